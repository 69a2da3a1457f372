/*
 * txn.c -- the output transaction of fib/txn.h that groups all the files
 * of a run: stages per output folder, journal, commit mark, moves.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "txn_internal.h"

typedef struct txn_stage {
    char *folder; /* absolute path of the folder the outputs go into */
    char *stage;  /* folder/.cryofib-txn-<pid>-<n> */
    char *newdir; /* stage/new */
    bool owned;   /* folder itself is an output folder (replace as a whole) */
    char **legacy;
    size_t n_legacy;
} txn_stage;

struct fib_fmt_txn {
    txn_stage *st;
    size_t n_st, cap_st;
    char **strs; /* returned paths, and staged folders needing a manifest */
    size_t n_strs, cap_strs;
    const char **manifest_dirs; /* staged output folders (into strs) */
    size_t n_man, cap_man;
    int err_no; /* errno of the last failed stage_for() */
};

fib_status fib_fmt_txn_begin(fib_fmt_txn **out, fib_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return fib_error_set(err, FIB_ENOMEM,
                             "output transaction: out of "
                             "memory");
    return FIB_OK;
}

static void stage_free(txn_stage *s)
{
    free(s->folder);
    free(s->stage);
    free(s->newdir);
    for (size_t i = 0; i < s->n_legacy; i++)
        free(s->legacy[i]);
    free(s->legacy);
}

static void txn_free(fib_fmt_txn *t)
{
    for (size_t i = 0; i < t->n_st; i++)
        stage_free(&t->st[i]);
    free(t->st);
    for (size_t i = 0; i < t->n_strs; i++)
        free(t->strs[i]);
    free(t->strs);
    free(t->manifest_dirs);
    free(t);
}

void fib_fmt_txn_abort(fib_fmt_txn *t)
{
    if (!t)
        return;
    /* secondaries first, the primary last (see stage_recover) */
    for (size_t i = t->n_st; i-- > 0;)
        fib__txn_remove_tree(t->st[i].stage);
    txn_free(t);
}

static const char *keep_str(fib_fmt_txn *t, char *s)
{
    if (!s)
        return NULL;
    if (!fib__txn_grow((void **)&t->strs, &t->cap_strs, t->n_strs,
                       sizeof *t->strs)) {
        free(s);
        return NULL;
    }
    t->strs[t->n_strs++] = s;
    return s;
}

/* The stage of folder @p folder (an existing folder), made on first use
 * after recovering dead runs' leftovers there. */
static fib_status stage_for(fib_fmt_txn *t, const char *what,
                            const char *folder, txn_stage **out, fib_error *err)
{
    char *abs = realpath(folder, NULL);
    if (!abs) {
        t->err_no = errno;
        return fib_error_set(err, FIB_EIO, "%s: cannot create (folder %s: %s)",
                             what, folder, strerror(t->err_no));
    }
    for (size_t i = 0; i < t->n_st; i++)
        if (!strcmp(t->st[i].folder, abs)) {
            free(abs);
            *out = &t->st[i];
            return FIB_OK;
        }
    fib_error ignore = {0};
    fib__txn_recover_quiet(abs, NULL, &ignore);
    if (!fib__txn_grow((void **)&t->st, &t->cap_st, t->n_st, sizeof *t->st)) {
        free(abs);
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", what);
    }
    static atomic_uint counter;
    txn_stage s = {0};
    s.folder = abs;
    for (int tries = 0; tries < 100; tries++) {
        char name[64];
        (void)snprintf(name, sizeof name, STAGE_PREFIX "%ld-%u", (long)getpid(),
                       atomic_fetch_add(&counter, 1u));
        free(s.stage);
        s.stage = fib__txn_cat3(abs, "/", name);
        if (!s.stage || mkdir(s.stage, 0777) == 0 || errno != EEXIST)
            break;
    }
    if (!s.stage || !fib__txn_exists_l(s.stage, NULL)) {
        const int e = errno;
        t->err_no = e;
        stage_free(&s);
        return fib_error_set(err, FIB_EIO, "%s: cannot create (folder %s: %s)",
                             what, folder, strerror(e));
    }
    s.newdir = fib__txn_cat3(s.stage, "/", "new");
    if (!s.newdir || mkdir(s.newdir, 0777) != 0) {
        const int e = s.newdir ? errno : ENOMEM;
        t->err_no = e;
        fib__txn_remove_tree(s.stage);
        stage_free(&s);
        return fib_error_set(err, FIB_EIO, "%s: cannot create (folder %s: %s)",
                             what, folder, strerror(e));
    }
    t->st[t->n_st] = s;
    *out = &t->st[t->n_st++];
    return FIB_OK;
}

/* Register entry @p base of @p folder; its staged path. */
static fib_status stage_entry(fib_fmt_txn *t, const char *what,
                              const char *folder, const char *base,
                              const char **staged, fib_error *err)
{
    txn_stage *s;
    fib_status st = stage_for(t, what, folder, &s, err);
    if (st != FIB_OK)
        return st;
    char *p = fib__txn_cat3(s->newdir, "/", base);
    if (p && fib__txn_exists_l(p, NULL)) {
        free(p);
        return fib_error_set(err, FIB_EINVAL, "%s: named twice as an output",
                             what);
    }
    *staged = keep_str(t, p);
    if (!*staged)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", what);
    return FIB_OK;
}

static fib_status txn_entry(fib_fmt_txn *t, const char *final_path, bool tree,
                            const char **staged, fib_error *err)
{
    *staged = NULL;
    if (!final_path || !*final_path)
        return fib_error_set(err, FIB_EINVAL, "formats: empty output path");
    struct stat sb;
    if (!tree && stat(final_path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: is a folder (an output file was expected)",
                             final_path);
    char *folder, *base;
    if (!fib__txn_split_path(final_path, &folder, &base))
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_path);
    fib_status st;
    if (!fib__txn_plain_name(base))
        st = fib_error_set(err, FIB_EINVAL, "%s: not a file name", final_path);
    else
        st = stage_entry(t, final_path, folder, base, staged, err);
    free(folder);
    free(base);
    return st;
}

fib_status fib_fmt_txn_path(fib_fmt_txn *t, const char *final_path,
                            const char **staged, fib_error *err)
{
    return txn_entry(t, final_path, false, staged, err);
}

fib_status fib_fmt_txn_tree(fib_fmt_txn *t, const char *final_path,
                            const char **staged, fib_error *err)
{
    return txn_entry(t, final_path, true, staged, err);
}

/* The new folder @p final_dir staged whole in its parent (one rename at
 * the commit) and created empty; a failure says "FINAL: CANNOT: reason". */
static fib_status stage_new_folder(fib_fmt_txn *t, const char *final_dir,
                                   const char *cannot, const char **staged,
                                   fib_error *err)
{
    char *folder, *base;
    if (!fib__txn_split_path(final_dir, &folder, &base))
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_dir);
    fib_status st;
    if (!fib__txn_plain_name(base)) {
        st = fib_error_set(err, FIB_EINVAL, "%s: not a folder name", final_dir);
    } else {
        st = stage_entry(t, final_dir, folder, base, staged, err);
        if (st == FIB_EIO) {
            const int e = t->err_no; /* of the failed realpath/mkdir */
            if (err)
                err->code = FIB_OK; /* replace the message */
            st = fib_error_set(err, FIB_EIO, "%s: %s: %s", final_dir, cannot,
                               strerror(e));
        }
    }
    if (st == FIB_OK && mkdir(*staged, 0777) != 0)
        st = fib_error_set(err, FIB_EIO, "%s: %s: %s", final_dir, cannot,
                           strerror(errno));
    free(folder);
    free(base);
    return st;
}

fib_status fib_fmt_txn_dir(fib_fmt_txn *t, const char *final_dir,
                           const char *const *legacy, size_t n_legacy,
                           const char **staged, fib_error *err)
{
    *staged = NULL;
    if (!final_dir || !*final_dir)
        return fib_error_set(err, FIB_EINVAL, "formats: empty output folder");
    struct stat sb;
    if (stat(final_dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: is a file (an output folder was "
                                 "expected)",
                                 final_dir);
        /* existing folder: stage inside it, replace the previous result */
        txn_stage *s;
        fib_status st = stage_for(t, final_dir, final_dir, &s, err);
        if (st != FIB_OK)
            return st;
        if (s->owned)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: named twice as an "
                                 "output folder",
                                 final_dir);
        /* leftovers of dead runs staged in the parent */
        char *parent, *base;
        if (fib__txn_split_path(s->folder, &parent, &base)) {
            fib_error ignore = {0};
            fib__txn_recover_quiet(parent, NULL, &ignore);
            free(parent);
            free(base);
        }
        s->owned = true;
        if (n_legacy) {
            s->legacy = calloc(n_legacy, sizeof *s->legacy);
            if (!s->legacy)
                return fib_error_set(err, FIB_ENOMEM, "%s: out of memory",
                                     final_dir);
            for (size_t i = 0; i < n_legacy; i++)
                if ((s->legacy[s->n_legacy] = strdup(legacy[i])) != NULL)
                    s->n_legacy++;
        }
        *staged = s->newdir;
        if (!fib__txn_grow((void **)&t->manifest_dirs, &t->cap_man, t->n_man,
                           sizeof *t->manifest_dirs))
            return fib_error_set(err, FIB_ENOMEM, "%s: out of memory",
                                 final_dir);
        t->manifest_dirs[t->n_man++] = s->newdir;
        return FIB_OK;
    }
    /* new folder: staged whole in its parent, one rename at the commit */
    fib_status st =
        stage_new_folder(t, final_dir, "cannot create folder", staged, err);
    if (st == FIB_OK) {
        if (fib__txn_grow((void **)&t->manifest_dirs, &t->cap_man, t->n_man,
                          sizeof *t->manifest_dirs))
            t->manifest_dirs[t->n_man++] = *staged;
        else
            st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_dir);
    }
    return st;
}

static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool empty = true;
    const struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

fib_status fib_fmt_txn_new_dir(fib_fmt_txn *t, const char *final_dir,
                               const char **staged, fib_error *err)
{
    *staged = NULL;
    if (!final_dir || !*final_dir)
        return fib_error_set(err, FIB_EINVAL, "formats: empty output folder");
    struct stat sb;
    if (stat(final_dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s exists and is not a folder", final_dir);
        if (!dir_empty(final_dir))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s exists and is not empty; the export "
                                 "never overwrites",
                                 final_dir);
        /* an empty folder: stage inside it (no manifest: nothing to replace
         * but nothing either to mark) */
        txn_stage *s;
        const fib_status st = stage_for(t, final_dir, final_dir, &s, err);
        if (st != FIB_OK)
            return st;
        *staged = s->newdir;
        return FIB_OK;
    }
    return stage_new_folder(t, final_dir, "cannot create it", staged, err);
}

void fib_fmt_txn_explain(const fib_fmt_txn *t, fib_error *err)
{
    if (!t || !err || err->code == FIB_OK)
        return;
    for (size_t i = 0; i < t->n_st; i++) {
        const txn_stage *s = &t->st[i];
        const size_t ln = strlen(s->newdir);
        char *hit;
        /* "<newdir>/x" -> "<folder>/x", "<newdir>" -> "<folder>" */
        while ((hit = strstr(err->msg, s->newdir)) != NULL) {
            char out[sizeof err->msg];
            const size_t pre = (size_t)(hit - err->msg);
            const int n = snprintf(out, sizeof out, "%.*s%s%s", (int)pre,
                                   err->msg, s->folder, hit + ln);
            if (n < 0)
                break;
            memcpy(err->msg, out, sizeof out);
        }
    }
}

/* Write the manifest of a staged output folder: the names of its entries. */
static bool write_manifest(const char *dir)
{
    char *path = fib__txn_cat3(dir, "/", MANIFEST);
    FILE *f = path ? fopen(path, "w") : NULL;
    free(path);
    if (!f)
        return false;
    fprintf(f, "# cryofib result: the files of the last run that wrote this "
               "folder; the next run replaces them as a whole\n");
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (fib__txn_plain_name(e->d_name) && strcmp(e->d_name, MANIFEST) &&
                !strchr(e->d_name, '\n'))
                fprintf(f, "%s\n", e->d_name);
        closedir(d);
    }
    const bool ok = d && !ferror(f);
    return (fclose(f) == 0) && ok;
}

/* Names of the previous result in an owned folder that the new result
 * does not have: from its manifest, else from the legacy patterns. */
static bool previous_result(const txn_stage *s, FILE *jf)
{
    char *mpath = fib__txn_cat3(s->folder, "/", MANIFEST);
    if (!mpath)
        return false;
    FILE *m = fopen(mpath, "r");
    free(mpath);
    char line[4096];
    if (m) {
        while (fgets(line, sizeof line, m)) {
            size_t l = strlen(line);
            if (l && line[l - 1] == '\n')
                line[--l] = '\0';
            if (line[0] == '#' || !fib__txn_plain_name(line) ||
                !strncmp(line, STAGE_PREFIX, strlen(STAGE_PREFIX)))
                continue;
            char *np = fib__txn_cat3(s->newdir, "/", line);
            if (np && !fib__txn_exists_l(np, NULL))
                fprintf(jf, "D %s\n", line);
            free(np);
        }
        fclose(m);
        return true;
    }
    if (!s->n_legacy)
        return true;
    DIR *d = opendir(s->folder);
    if (!d)
        return false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!fib__txn_plain_name(e->d_name) || strchr(e->d_name, '\n') ||
            !strncmp(e->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)))
            continue;
        bool match = false;
        for (size_t i = 0; i < s->n_legacy && !match; i++)
            match = fnmatch(s->legacy[i], e->d_name, FNM_PERIOD) == 0;
        char *np = fib__txn_cat3(s->newdir, "/", e->d_name);
        if (match && np && !fib__txn_exists_l(np, NULL))
            fprintf(jf, "D %s\n", e->d_name);
        free(np);
    }
    closedir(d);
    return true;
}

/* Write and sync stage i's journal. */
static bool write_journal(const fib_fmt_txn *t, size_t i)
{
    const txn_stage *s = &t->st[i];
    char *path = fib__txn_cat3(s->stage, "/", JOURNAL ".tmp");
    char *final = fib__txn_cat3(s->stage, "/", JOURNAL);
    FILE *f = path ? fopen(path, "w") : NULL;
    bool ok = f && final;
    if (ok) {
        if (i > 0)
            fprintf(f, "P %s\n", t->st[0].stage);
        else
            for (size_t k = 1; k < t->n_st; k++)
                fprintf(f, "S %s\n", t->st[k].stage);
        if (s->owned)
            ok = previous_result(s, f);
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && !ferror(f) && ok;
    }
    if (f && fclose(f) != 0)
        ok = false;
    if (ok)
        ok = rename(path, final) == 0;
    if (ok)
        ok = fib__txn_sync_tree(s->stage, 0);
    free(path);
    free(final);
    return ok;
}

fib_status fib_fmt_txn_commit(fib_fmt_txn *t, const fib_progress *prog,
                              fib_error *err)
{
    if (!t)
        return fib_error_set(err, FIB_EINVAL, "formats: no transaction");
    fib_status st = fib_progress_report(prog, "commit", 0, 1, err);
    for (size_t i = 0; st == FIB_OK && i < t->n_man; i++)
        if (!write_manifest(t->manifest_dirs[i]))
            st = fib_error_set(err, FIB_EIO,
                               "%s: cannot write the manifest: "
                               "%s",
                               t->manifest_dirs[i], strerror(errno));
    for (size_t i = 0; st == FIB_OK && i < t->n_st; i++) {
        const txn_stage *s = &t->st[i];
        if (!fib__txn_sync_tree(s->newdir, TREE_DEPTH))
            st = fib_error_set(err, FIB_EIO, "%s: cannot sync the outputs: %s",
                               s->folder, strerror(errno));
        else if (!write_journal(t, i))
            st = fib_error_set(err, FIB_EIO, "%s: cannot write the journal: %s",
                               s->folder, strerror(errno));
    }
    /* the last chance to cancel: after the mark the outputs are final */
    if (st == FIB_OK)
        st = fib_progress_report(prog, "commit", 0, 1, err);
    if (st == FIB_OK && t->n_st > 0) {
        char *mark = fib__txn_cat3(t->st[0].stage, "/", COMMIT_MARK);
        const int fd =
            mark ? open(mark, O_WRONLY | O_CREAT | O_EXCL, 0666) : -1;
        if (fd < 0 || fsync(fd) != 0)
            st = fib_error_set(err, FIB_EIO,
                               "%s: cannot commit the outputs: "
                               "%s",
                               t->st[0].folder, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(mark);
        if (st == FIB_OK && !fib__txn_sync_tree(t->st[0].stage, 0))
            st = fib_error_set(err, FIB_EIO,
                               "%s: cannot commit the outputs: "
                               "%s",
                               t->st[0].folder, strerror(errno));
    }
    if (st != FIB_OK) {
        fib_fmt_txn_abort(t);
        return st;
    }
    /* committed: move in, secondaries first, the primary (with the mark)
     * last */
    const char *failed = NULL;
    for (size_t k = t->n_st; k-- > 0;) {
        fib__txn_journal j;
        /* a secondary left behind keeps the primary (and its COMMIT) for
         * the recovery to finish: without it the secondary would roll
         * back */
        if (k == 0 && failed)
            break;
        if (!fib__txn_journal_read(t->st[k].stage, &j) ||
            !fib__txn_stage_forward(t->st[k].stage, &j))
            failed = t->st[k].folder;
        fib__txn_journal_free(&j);
    }
    if (failed)
        st = fib_error_set(err, FIB_EIO,
                           "%s: outputs committed but not all moved in (%s); "
                           "the next run in this folder completes them",
                           failed, strerror(errno));
    txn_free(t);
    return st;
}
