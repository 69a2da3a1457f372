/*
 * fib/txn.h -- one output transaction for all the files of a run.
 *
 * A command registers every output with the transaction, writes each one
 * to the staged path it gets back, and commits at the end.  Until the
 * commit nothing in the destination changes; the commit moves all staged
 * outputs into place together.
 *
 * Layout.  Outputs are staged in a folder ".cryofib-txn-<pid>-<n>" made in
 * the folder that will hold them (so the final renames never cross a file
 * system): "<stage>/new/<name>" for a file <folder>/<name>.
 *
 * Guarantee (against an error, a full disk, SIGINT/SIGTERM, or kill -9 at
 * any moment):
 *  - before the commit point the destination holds exactly what it held
 *    before the run (the previous result, or nothing);
 *  - the commit point is one file, "<primary stage>/COMMIT", created only
 *    after every staged file is complete and synced (fsync) and every stage
 *    holds a synced journal of what it will replace;
 *  - after the commit point the outputs are moved in by rename(2) (a file
 *    replaces its namesake atomically; a folder output that exists is first
 *    moved into "<stage>/old" and deleted at the end).  If the run dies
 *    inside this step (a few renames), the next run that stages into that
 *    folder finds the journal and the COMMIT file and completes the moves
 *    (roll forward); a stage without the COMMIT file is deleted (roll back).
 *    So after recovery a folder holds either the complete new outputs or
 *    the complete previous state.
 *  - Outputs in several folders: each folder has its own stage; the stages
 *    name each other and share the one COMMIT file of the first (primary)
 *    stage, so recovery of any of them decides for all.
 *
 * Stale leftovers.  Every time a folder is staged into, stages
 * ".cryofib-txn-<pid>-<n>" and single-file temporaries "<name>.tmp-<pid>-<n>"
 * of processes that no longer exist (kill(pid, 0) fails with ESRCH) are
 * recovered as above or removed.  A pid reused by a live process keeps its
 * leftovers until that process ends.  Pids are those of this machine (a
 * folder shared between machines is not supported).
 *
 * Output folders replaced as a whole (fib_fmt_txn_dir()).  A folder that
 * does not exist is staged whole in its parent and appears with one
 * rename.  An existing folder keeps files that are not part of a cryofib
 * result (for instance the user's notes) but loses the previous result as
 * a whole: the files listed in its ".cryofib-result" manifest (written by
 * every commit into the folder) that the new result does not have are
 * removed at the commit; a folder without a manifest (written before the
 * manifest existed) loses the files matching the caller's patterns.
 *
 * Test hook (test-only, not a user setting): with FIB_TEST_FAIL_WRITE=N in
 * the environment, the Nth output file completed by this process (every
 * writer of the formats module renames a finished temporary into place)
 * fails as if the disk were full.  Tests use it to fail each output
 * position in turn.
 */
#ifndef FIB_TXN_H
#define FIB_TXN_H

#include <stddef.h>

#include "fib/common.h"
#include "fib/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An output transaction (opaque). */
typedef struct fib_fmt_txn fib_fmt_txn;

/** Start an empty transaction.  Errors: FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_begin(fib_fmt_txn **out,
                                                   fib_error *err);

/**
 * Register the output file @p final_path and return in @p staged the path
 * to write it to (owned by the transaction, valid until commit or abort).
 * The first output in a folder creates its stage there and recovers or
 * removes the leftovers of dead runs in that folder.
 * Errors: FIB_EINVAL (@p final_path is a folder, or names an output already
 * registered), FIB_EIO (the folder does not exist or is not writable),
 * FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_path(fib_fmt_txn *t,
                                                  const char *final_path,
                                                  const char **staged,
                                                  fib_error *err);

/**
 * Register an output that one writer makes as a folder tree (an OME-Zarr
 * store, ".zarr"): like fib_fmt_txn_path(), but an existing folder of that
 * name is the earlier result and is replaced whole at the commit (moved
 * into the stage and deleted).  Errors: as fib_fmt_txn_path().
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_tree(fib_fmt_txn *t,
                                                  const char *final_path,
                                                  const char **staged,
                                                  fib_error *err);

/**
 * Register the output folder @p final_dir, replaced as a whole by what the
 * caller writes into the folder returned in @p staged (see the header
 * comment).  @p legacy: fnmatch(3) patterns of the files a result of this
 * command holds, used only for a folder without a manifest (may be NULL
 * with @p n_legacy 0).  The stages of the folder and of its parent are
 * cleaned of dead runs' leftovers.
 * Errors: FIB_EINVAL (@p final_dir is a file), FIB_EIO, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_dir(
    fib_fmt_txn *t, const char *final_dir, const char *const *legacy,
    size_t n_legacy, const char **staged, fib_error *err);

/**
 * Register the output folder @p final_dir that must be new or empty (an
 * export that never overwrites): staged like fib_fmt_txn_dir() but without
 * a manifest; the folder returned in @p staged exists and is empty.
 * Errors: FIB_EINVAL (@p final_dir is a file, or a folder that is not
 * empty), FIB_EIO, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_new_dir(fib_fmt_txn *t,
                                                     const char *final_dir,
                                                     const char **staged,
                                                     fib_error *err);

/**
 * Move every staged output into place (see the guarantee above) and free
 * @p t.  @p prog (may be NULL) is asked once before the commit point: a
 * cancel there (SIGINT, SIGTERM) aborts the transaction and returns
 * FIB_ECANCELED.  Any failure before the commit point aborts (the
 * destination is unchanged); a failure after it returns FIB_EIO and leaves
 * the journal for the next run to complete.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_commit(fib_fmt_txn *t,
                                                    const fib_progress *prog,
                                                    fib_error *err);

/**
 * Rewrite the staged paths in @p err's message as the final ones ("<stage>/
 * new/x" -> "<folder>/x"), so that an error names the output the user
 * gave.  NULL @p t or @p err is a no-op.
 */
FIB_API void fib_fmt_txn_explain(const fib_fmt_txn *t, fib_error *err);

/** Remove every staged output and free @p t; NULL is a no-op. */
FIB_API void fib_fmt_txn_abort(fib_fmt_txn *t);

/**
 * Recover or remove the leftovers of dead runs in @p dir (done by
 * fib_fmt_txn_path() / fib_fmt_txn_dir() for the folders they stage in).
 * Returns the number of stages and temporaries handled in @p n_cleaned
 * (may be NULL).  Errors: FIB_EIO when @p dir cannot be read.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_txn_recover(const char *dir,
                                                     size_t *n_cleaned,
                                                     fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_TXN_H */
