/*
 * txn_internal.h -- private: the pieces of the output transaction
 * (fib/txn.h) shared by txn.c, txn_recover.c and txn_util.c.
 */
#ifndef FIB_FORMATS_TXN_INTERNAL_H
#define FIB_FORMATS_TXN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "atomic.h"
#include "fib/txn.h"

#define STAGE_PREFIX ".cryofib-txn-"
#define MANIFEST ".cryofib-result"
#define JOURNAL "journal"
#define COMMIT_MARK "COMMIT"
/* deepest folder nesting removed or synced inside a stage (outputs are
 * files or one level of folders; a deeper tree is left, never followed) */
enum { TREE_DEPTH = 8 };

/* a + b + c, malloc'ed; NULL when out of memory. */
char *fib__txn_cat3(const char *a, const char *b, const char *c);
/* Room for n + 1 elements of @p elem bytes in *p (capacity *cap). */
bool fib__txn_grow(void **p, size_t *cap, size_t n, size_t elem);
/* Split @p path into a parent folder (malloc'ed, "." when none) and a last
 * component (malloc'ed), trailing slashes dropped. */
bool fib__txn_split_path(const char *path, char **parent, char **base);
/* lstat succeeds (@p sb may be NULL). */
bool fib__txn_exists_l(const char *path, struct stat *sb);
/* Remove a file or a folder tree, TREE_DEPTH deep (links are removed,
 * never followed). */
void fib__txn_remove_tree(const char *path);
/* fsync a file or a folder tree; false on the first failure. */
bool fib__txn_sync_tree(const char *path, int depth);
/* A name that stays inside its folder. */
bool fib__txn_plain_name(const char *s);

/* Journal of a stage: lines "P <primary stage>", "S <secondary stage>",
 * "D <name>" (a previous-result entry of the folder to remove). */
typedef struct fib__txn_journal {
    char *primary;
    char **secondary;
    size_t n_sec;
    char **del;
    size_t n_del;
} fib__txn_journal;

void fib__txn_journal_free(fib__txn_journal *j);
/* Read the journal of @p stage; false when it has none or it is bad. */
bool fib__txn_journal_read(const char *stage, fib__txn_journal *j);
/* Complete the moves of a committed stage (idempotent). */
bool fib__txn_stage_forward(const char *stage, const fib__txn_journal *j);
/* Roll a dead run's stage forward (its primary holds COMMIT) or back. */
void fib__txn_stage_recover(const char *stage, int depth);
/* fib_fmt_txn_recover() whose failure is left for later (a folder that
 * cannot be read fails with the output's name). */
void fib__txn_recover_quiet(const char *dir, size_t *n, fib_error *err);

#endif
