/*
 * atomic.c -- temporary-name output files, renamed when complete, and the
 * output transaction of fib/txn.h that groups all the files of a run.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "atomic.h"
#include "fib/txn.h"

char *fib__atomic_tmpname(const char *path)
{
    /* A process-wide counter keeps names distinct between threads; it is
     * the one piece of mutable static state in the library and is atomic. */
    static atomic_uint counter;
    const unsigned n = atomic_fetch_add(&counter, 1u);
    const size_t len = strlen(path) + 48;
    char *tmp = malloc(len);
    if (!tmp)
        return NULL;
    (void)snprintf(tmp, len, "%s.tmp-%ld-%u", path, (long)getpid(), n);
    return tmp;
}

/* ---- test hook: FIB_TEST_FAIL_WRITE=N ----------------------------------- */

fib_status fib__atomic_inject(const char *path, fib_error *err)
{
    /* counts the completed output files of the process (atomic: writers may
     * run on several threads) */
    static atomic_uint completed;
    const char *env = getenv("FIB_TEST_FAIL_WRITE");
    if (!env || !*env)
        return FIB_OK;
    const unsigned n = atomic_fetch_add(&completed, 1u) + 1u;
    if (strtoul(env, NULL, 10) != n)
        return FIB_OK;
    return fib_error_set(err, FIB_EIO,
                         "%s: write failed: %s (FIB_TEST_FAIL_WRITE=%u)", path,
                         strerror(ENOSPC), n);
}

fib_status fib__atomic_rename(const char *tmp, const char *path, fib_error *err)
{
    const fib_status inj = fib__atomic_inject(path, err);
    if (inj != FIB_OK) {
        (void)remove(tmp);
        return inj;
    }
    if (rename(tmp, path) != 0) {
        const int e = errno;
        (void)remove(tmp);
        return fib_error_set(err, FIB_EIO, "%s: cannot rename output: %s", path,
                             strerror(e));
    }
    return FIB_OK;
}

fib_status fib__atomic_begin(const char *path, fib__atomic_file *af,
                             fib_error *err)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path)
        return fib_error_set(err, FIB_EINVAL, "formats: empty output path");
    af->tmp_path = fib__atomic_tmpname(path);
    af->final_path = strdup(path);
    if (!af->tmp_path || !af->final_path) {
        fib__atomic_abort(af);
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    }
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        const int e = errno;
        fib__atomic_abort(af);
        return fib_error_set(err, FIB_EIO, "%s: cannot create: %s", path,
                             strerror(e));
    }
    return FIB_OK;
}

fib_status fib__atomic_commit(fib__atomic_file *af, fib_error *err)
{
    fib_status st = FIB_OK;
    if (!af->fp)
        return fib_error_set(err, FIB_EINVAL, "formats: output not open");
    const int bad = ferror(af->fp);
    const int closed = fclose(af->fp);
    af->fp = NULL;
    if (bad || closed != 0) {
        st = fib_error_set(err, FIB_EIO, "%s: write failed (disk full?)",
                           af->final_path);
        fib__atomic_abort(af);
        return st;
    }
    st = fib__atomic_rename(af->tmp_path, af->final_path, err);
    free(af->tmp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
    return st;
}

void fib__atomic_abort(fib__atomic_file *af)
{
    if (af->fp)
        (void)fclose(af->fp);
    if (af->tmp_path)
        (void)remove(af->tmp_path);
    free(af->tmp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
}

/* ---- output transaction (fib/txn.h) -------------------------------------- */

#define STAGE_PREFIX ".cryofib-txn-"
#define MANIFEST ".cryofib-result"
#define JOURNAL "journal"
#define COMMIT_MARK "COMMIT"
/* deepest folder nesting removed or synced inside a stage (outputs are
 * files or one level of folders; a deeper tree is left, never followed) */
enum { TREE_DEPTH = 8 };

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
    char **manifest_dirs; /* staged output folders (point into strs) */
    size_t n_man, cap_man;
    int err_no; /* errno of the last failed stage_for() */
};

static char *str_cat3(const char *a, const char *b, const char *c)
{
    const size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    const size_t nc = *cap ? 2 * *cap : 8;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return false;
    *p = q;
    *cap = nc;
    return true;
}

/* Split @p path into a parent folder (malloc'ed, "." when none) and a last
 * component (malloc'ed), trailing slashes dropped. */
static bool split_path(const char *path, char **parent, char **base)
{
    size_t e = strlen(path);
    while (e > 1 && path[e - 1] == '/')
        e--;
    size_t b = e;
    while (b > 0 && path[b - 1] != '/')
        b--;
    *base = strndup(path + b, e - b);
    if (b == 0)
        *parent = strdup(".");
    else if (b == 1)
        *parent = strdup("/");
    else
        *parent = strndup(path, b - 1);
    if (!*base || !*parent) {
        free(*base);
        free(*parent);
        *base = *parent = NULL;
        return false;
    }
    return true;
}

static bool exists_l(const char *path, struct stat *sb)
{
    struct stat tmp;
    return lstat(path, sb ? sb : &tmp) == 0;
}

/* Remove a file or a folder tree (links are removed, never followed). */
static void remove_tree_depth(const char *path, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        (void)unlink(path);
        return;
    }
    if (depth <= 0)
        return;
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *c = str_cat3(path, "/", e->d_name);
            if (c)
                remove_tree_depth(c, depth - 1);
            free(c);
        }
        closedir(d);
    }
    (void)rmdir(path);
}

static void remove_tree(const char *path)
{
    remove_tree_depth(path, TREE_DEPTH);
}

/* fsync a file or a folder tree; false on the first failure. */
static bool sync_tree(const char *path, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return false;
    if (S_ISLNK(sb.st_mode))
        return true;
    if (S_ISDIR(sb.st_mode) && depth > 0) {
        DIR *d = opendir(path);
        if (!d)
            return false;
        bool ok = true;
        struct dirent *e;
        while (ok && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *c = str_cat3(path, "/", e->d_name);
            ok = c && sync_tree(c, depth - 1);
            free(c);
        }
        closedir(d);
        if (!ok)
            return false;
    }
    const int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    /* EINVAL: the file system does not sync this kind of file */
    const bool ok = fsync(fd) == 0 || errno == EINVAL;
    close(fd);
    return ok;
}

/* Parse ".cryofib-txn-<pid>-<n>" or "<name>.tmp-<pid>-<n>"; the pid, or 0
 * when @p name is neither. */
static long leftover_pid(const char *name, bool *is_stage)
{
    const char *p;
    *is_stage = false;
    if (!strncmp(name, STAGE_PREFIX, strlen(STAGE_PREFIX))) {
        p = name + strlen(STAGE_PREFIX);
        *is_stage = true;
    } else {
        const char *t = NULL;
        for (const char *q = strstr(name, ".tmp-"); q;
             q = strstr(q + 1, ".tmp-"))
            t = q;
        if (!t || t == name)
            return 0;
        p = t + 5;
    }
    char *end;
    errno = 0;
    const long pid = strtol(p, &end, 10);
    if (errno || pid <= 0 || end == p || *end != '-')
        return 0;
    const char *q = end + 1;
    if (!*q)
        return 0;
    for (; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return pid;
}

static bool pid_dead(long pid)
{
    return pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Journal of a stage: lines "P <primary stage>", "S <secondary stage>",
 * "D <name>" (a previous-result entry of the folder to remove). */
typedef struct journal {
    char *primary;
    char **secondary;
    size_t n_sec;
    char **del;
    size_t n_del;
} journal;

static void journal_free(journal *j)
{
    free(j->primary);
    for (size_t i = 0; i < j->n_sec; i++)
        free(j->secondary[i]);
    free(j->secondary);
    for (size_t i = 0; i < j->n_del; i++)
        free(j->del[i]);
    free(j->del);
    memset(j, 0, sizeof *j);
}

/* A name that stays inside its folder. */
static bool plain_name(const char *s)
{
    return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}

static bool journal_read(const char *stage, journal *j)
{
    memset(j, 0, sizeof *j);
    char *path = str_cat3(stage, "/", JOURNAL);
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return false;
    char line[8192];
    bool ok = true;
    size_t cap_sec = 0, cap_del = 0;
    while (ok && fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n')
            line[--l] = '\0';
        if (l < 3 || line[1] != ' ')
            continue;
        char *v = strdup(line + 2);
        if (!v) {
            ok = false;
        } else if (line[0] == 'P' && !j->primary) {
            j->primary = v;
        } else if (line[0] == 'S' && grow((void **)&j->secondary, &cap_sec,
                                          j->n_sec, sizeof *j->secondary)) {
            j->secondary[j->n_sec++] = v;
        } else if (line[0] == 'D' && plain_name(v) &&
                   grow((void **)&j->del, &cap_del, j->n_del, sizeof *j->del)) {
            j->del[j->n_del++] = v;
        } else {
            free(v);
        }
    }
    fclose(f);
    if (!ok)
        journal_free(j);
    return ok;
}

/* Complete the moves of a committed stage: the previous-result entries
 * listed in the journal and every entry the new result replaces go to
 * stage/old, every entry of stage/new goes into the folder, then the stage
 * is removed.  Idempotent: a rerun after a crash finishes the rest. */
static bool stage_forward(const char *stage, const journal *j)
{
    char *folder = NULL, *sname = NULL;
    if (!split_path(stage, &folder, &sname))
        return false;
    free(sname);
    char *newdir = str_cat3(stage, "/", "new");
    char *olddir = str_cat3(stage, "/", "old");
    bool ok = newdir && olddir;
    if (ok && mkdir(olddir, 0777) != 0 && errno != EEXIST)
        ok = false;
    for (size_t i = 0; ok && i < j->n_del; i++) {
        char *dst = str_cat3(folder, "/", j->del[i]);
        char *aside = str_cat3(olddir, "/", j->del[i]);
        if (!dst || !aside)
            ok = false;
        else if (exists_l(dst, NULL) && !exists_l(aside, NULL) &&
                 rename(dst, aside) != 0)
            ok = false;
        free(dst);
        free(aside);
    }
    DIR *d = ok ? opendir(newdir) : NULL;
    if (ok && !d && errno != ENOENT)
        ok = false;
    if (d) {
        struct dirent *e;
        while (ok && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *src = str_cat3(newdir, "/", e->d_name);
            char *dst = str_cat3(folder, "/", e->d_name);
            char *aside = str_cat3(olddir, "/", e->d_name);
            struct stat ss, ds;
            if (!src || !dst || !aside || lstat(src, &ss) != 0) {
                ok = false;
            } else if (lstat(dst, &ds) == 0 &&
                       (S_ISDIR(ss.st_mode) || S_ISDIR(ds.st_mode))) {
                /* a folder is not replaced by rename(2): move it aside */
                remove_tree(aside);
                ok = rename(dst, aside) == 0;
            }
            if (ok)
                ok = rename(src, dst) == 0;
            free(src);
            free(dst);
            free(aside);
        }
        closedir(d);
    }
    if (ok) {
        /* make the renames durable before the journal goes */
        const int fd = open(folder, O_RDONLY);
        if (fd >= 0) {
            (void)fsync(fd);
            close(fd);
        }
        remove_tree(stage);
    }
    free(folder);
    free(newdir);
    free(olddir);
    return ok;
}

static bool has_commit_mark(const char *stage)
{
    char *m = str_cat3(stage, "/", COMMIT_MARK);
    const bool yes = m && exists_l(m, NULL);
    free(m);
    return yes;
}

/* Roll a dead run's stage forward (its primary holds COMMIT) or back. */
static void stage_recover(const char *stage, int depth)
{
    journal j;
    if (!journal_read(stage, &j)) {
        remove_tree(stage); /* never prepared: roll back */
        return;
    }
    if (j.primary) {
        /* a secondary: the primary decides and handles every stage */
        const char *pb = strrchr(j.primary, '/');
        bool pst;
        const long ppid = leftover_pid(pb ? pb + 1 : j.primary, &pst);
        if (depth == 0 && pst && ppid > 0 && pid_dead(ppid) &&
            exists_l(j.primary, NULL))
            stage_recover(j.primary, depth + 1);
        if (exists_l(stage, NULL)) {
            if (exists_l(j.primary, NULL) && has_commit_mark(j.primary))
                (void)stage_forward(stage, &j);
            else
                remove_tree(stage);
        }
    } else if (has_commit_mark(stage)) {
        bool ok = true;
        for (size_t i = 0; i < j.n_sec; i++) {
            journal js;
            if (!exists_l(j.secondary[i], NULL))
                continue;
            if (journal_read(j.secondary[i], &js)) {
                ok = stage_forward(j.secondary[i], &js) && ok;
                journal_free(&js);
            } else {
                ok = false; /* a secondary must have its journal */
            }
        }
        /* the primary (with COMMIT) goes last: while a secondary is left,
         * it still says "committed" */
        if (ok)
            (void)stage_forward(stage, &j);
    } else {
        for (size_t i = 0; i < j.n_sec; i++)
            remove_tree(j.secondary[i]);
        remove_tree(stage);
    }
    journal_free(&j);
}

fib_status fib_fmt_txn_recover(const char *dir, size_t *n_cleaned,
                               fib_error *err)
{
    size_t n = 0;
    if (n_cleaned)
        *n_cleaned = 0;
    DIR *d = opendir(dir);
    if (!d)
        return fib_error_set(err, FIB_EIO, "%s: cannot read folder: %s", dir,
                             strerror(errno));
    /* collect first: recovery renames entries of this folder */
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        bool is_stage;
        const long pid = leftover_pid(e->d_name, &is_stage);
        if (pid <= 0 || !pid_dead(pid))
            continue;
        char *s = str_cat3(dir, "/", e->d_name);
        if (!s || !grow((void **)&names, &cap, nn, sizeof *names)) {
            free(s);
            break;
        }
        names[nn++] = s;
    }
    closedir(d);
    for (size_t i = 0; i < nn; i++) {
        bool is_stage;
        char *base = strrchr(names[i], '/') + 1;
        (void)leftover_pid(base, &is_stage);
        struct stat sb;
        if (lstat(names[i], &sb) == 0) {
            if (is_stage && S_ISDIR(sb.st_mode)) {
                char *abs = realpath(names[i], NULL);
                stage_recover(abs ? abs : names[i], 0);
                free(abs);
                n++;
            } else if (!is_stage) {
                /* a file, or the folder tree of a Zarr writer */
                remove_tree(names[i]);
                n++;
            }
        }
        free(names[i]);
    }
    free(names);
    if (n_cleaned)
        *n_cleaned = n;
    return FIB_OK;
}

/* Recovery on the way: a folder that cannot be read fails later, with the
 * output's name. */
static void recover_quiet(const char *dir, size_t *n, fib_error *err)
{
    if (fib_fmt_txn_recover(dir, n, err) != FIB_OK)
        return;
}

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
        remove_tree(t->st[i].stage);
    txn_free(t);
}

static const char *keep_str(fib_fmt_txn *t, char *s)
{
    if (!s)
        return NULL;
    if (!grow((void **)&t->strs, &t->cap_strs, t->n_strs, sizeof *t->strs)) {
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
    recover_quiet(abs, NULL, &ignore);
    if (!grow((void **)&t->st, &t->cap_st, t->n_st, sizeof *t->st)) {
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
        s.stage = str_cat3(abs, "/", name);
        if (!s.stage || mkdir(s.stage, 0777) == 0 || errno != EEXIST)
            break;
    }
    if (!s.stage || !exists_l(s.stage, NULL)) {
        const int e = errno;
        t->err_no = e;
        stage_free(&s);
        return fib_error_set(err, FIB_EIO, "%s: cannot create (folder %s: %s)",
                             what, folder, strerror(e));
    }
    s.newdir = str_cat3(s.stage, "/", "new");
    if (!s.newdir || mkdir(s.newdir, 0777) != 0) {
        const int e = s.newdir ? errno : ENOMEM;
        t->err_no = e;
        remove_tree(s.stage);
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
    char *p = str_cat3(s->newdir, "/", base);
    if (p && exists_l(p, NULL)) {
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
    if (!split_path(final_path, &folder, &base))
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_path);
    fib_status st;
    if (!plain_name(base))
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
        if (split_path(s->folder, &parent, &base)) {
            fib_error ignore = {0};
            recover_quiet(parent, NULL, &ignore);
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
        if (!grow((void **)&t->manifest_dirs, &t->cap_man, t->n_man,
                  sizeof *t->manifest_dirs))
            return fib_error_set(err, FIB_ENOMEM, "%s: out of memory",
                                 final_dir);
        t->manifest_dirs[t->n_man++] = s->newdir;
        return FIB_OK;
    }
    /* new folder: staged whole in its parent, one rename at the commit */
    char *folder, *base;
    if (!split_path(final_dir, &folder, &base))
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_dir);
    fib_status st;
    if (!plain_name(base))
        st = fib_error_set(err, FIB_EINVAL, "%s: not a folder name", final_dir);
    else {
        st = stage_entry(t, final_dir, folder, base, staged, err);
        if (st == FIB_EIO) {
            const int e = t->err_no; /* of the failed realpath/mkdir */
            if (err)
                err->code = FIB_OK; /* replace the message */
            st = fib_error_set(err, FIB_EIO, "%s: cannot create folder: %s",
                               final_dir, strerror(e));
        }
    }
    if (st == FIB_OK && mkdir(*staged, 0777) != 0)
        st = fib_error_set(err, FIB_EIO, "%s: cannot create folder: %s",
                           final_dir, strerror(errno));
    if (st == FIB_OK) {
        if (grow((void **)&t->manifest_dirs, &t->cap_man, t->n_man,
                 sizeof *t->manifest_dirs))
            t->manifest_dirs[t->n_man++] = (char *)*staged;
        else
            st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_dir);
    }
    free(folder);
    free(base);
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
    char *folder, *base;
    if (!split_path(final_dir, &folder, &base))
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", final_dir);
    fib_status st;
    if (!plain_name(base)) {
        st = fib_error_set(err, FIB_EINVAL, "%s: not a folder name", final_dir);
    } else {
        st = stage_entry(t, final_dir, folder, base, staged, err);
        if (st == FIB_EIO) {
            const int e = t->err_no; /* of the failed realpath/mkdir */
            if (err)
                err->code = FIB_OK; /* replace the message */
            st = fib_error_set(err, FIB_EIO, "%s: cannot create it: %s",
                               final_dir, strerror(e));
        }
    }
    if (st == FIB_OK && mkdir(*staged, 0777) != 0)
        st = fib_error_set(err, FIB_EIO, "%s: cannot create it: %s", final_dir,
                           strerror(errno));
    free(folder);
    free(base);
    return st;
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
    char *path = str_cat3(dir, "/", MANIFEST);
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
            if (plain_name(e->d_name) && strcmp(e->d_name, MANIFEST) &&
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
    char *mpath = str_cat3(s->folder, "/", MANIFEST);
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
            if (line[0] == '#' || !plain_name(line) ||
                !strncmp(line, STAGE_PREFIX, strlen(STAGE_PREFIX)))
                continue;
            char *np = str_cat3(s->newdir, "/", line);
            if (np && !exists_l(np, NULL))
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
        if (!plain_name(e->d_name) || strchr(e->d_name, '\n') ||
            !strncmp(e->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)))
            continue;
        bool match = false;
        for (size_t i = 0; i < s->n_legacy && !match; i++)
            match = fnmatch(s->legacy[i], e->d_name, FNM_PERIOD) == 0;
        char *np = str_cat3(s->newdir, "/", e->d_name);
        if (match && np && !exists_l(np, NULL))
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
    char *path = str_cat3(s->stage, "/", JOURNAL ".tmp");
    char *final = str_cat3(s->stage, "/", JOURNAL);
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
        ok = sync_tree(s->stage, 0);
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
        if (!sync_tree(s->newdir, TREE_DEPTH))
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
        char *mark = str_cat3(t->st[0].stage, "/", COMMIT_MARK);
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
        if (st == FIB_OK && !sync_tree(t->st[0].stage, 0))
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
        journal j;
        /* a secondary left behind keeps the primary (and its COMMIT) for
         * the recovery to finish: without it the secondary would roll
         * back */
        if (k == 0 && failed)
            break;
        if (!journal_read(t->st[k].stage, &j) ||
            !stage_forward(t->st[k].stage, &j))
            failed = t->st[k].folder;
        journal_free(&j);
    }
    if (failed)
        st = fib_error_set(err, FIB_EIO,
                           "%s: outputs committed but not all moved in (%s); "
                           "the next run in this folder completes them",
                           failed, strerror(errno));
    txn_free(t);
    return st;
}
