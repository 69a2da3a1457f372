/*
 * txn_recover.c -- recovery of the output transaction (fib/txn.h): the
 * leftovers of dead runs (stages rolled forward from their journal when
 * committed, back otherwise; temporary files removed).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "txn_internal.h"

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

void fib__txn_journal_free(fib__txn_journal *j)
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

bool fib__txn_journal_read(const char *stage, fib__txn_journal *j)
{
    memset(j, 0, sizeof *j);
    char *path = fib__txn_cat3(stage, "/", JOURNAL);
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
        } else if (line[0] == 'S' &&
                   fib__txn_grow((void **)&j->secondary, &cap_sec, j->n_sec,
                                 sizeof *j->secondary)) {
            j->secondary[j->n_sec++] = v;
        } else if (line[0] == 'D' && fib__txn_plain_name(v) &&
                   fib__txn_grow((void **)&j->del, &cap_del, j->n_del,
                                 sizeof *j->del)) {
            j->del[j->n_del++] = v;
        } else {
            free(v);
        }
    }
    fclose(f);
    if (!ok)
        fib__txn_journal_free(j);
    return ok;
}

/* Complete the moves of a committed stage: the previous-result entries
 * listed in the journal and every entry the new result replaces go to
 * stage/old, every entry of stage/new goes into the folder, then the stage
 * is removed.  Idempotent: a rerun after a crash finishes the rest. */
bool fib__txn_stage_forward(const char *stage, const fib__txn_journal *j)
{
    char *folder = NULL, *sname = NULL;
    if (!fib__txn_split_path(stage, &folder, &sname))
        return false;
    free(sname);
    char *newdir = fib__txn_cat3(stage, "/", "new");
    char *olddir = fib__txn_cat3(stage, "/", "old");
    bool ok = newdir && olddir;
    if (ok && mkdir(olddir, 0777) != 0 && errno != EEXIST)
        ok = false;
    for (size_t i = 0; ok && i < j->n_del; i++) {
        char *dst = fib__txn_cat3(folder, "/", j->del[i]);
        char *aside = fib__txn_cat3(olddir, "/", j->del[i]);
        if (!dst || !aside)
            ok = false;
        else if (fib__txn_exists_l(dst, NULL) &&
                 !fib__txn_exists_l(aside, NULL) && rename(dst, aside) != 0)
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
            char *src = fib__txn_cat3(newdir, "/", e->d_name);
            char *dst = fib__txn_cat3(folder, "/", e->d_name);
            char *aside = fib__txn_cat3(olddir, "/", e->d_name);
            struct stat ss, ds;
            if (!src || !dst || !aside || lstat(src, &ss) != 0) {
                ok = false;
            } else if (lstat(dst, &ds) == 0 &&
                       (S_ISDIR(ss.st_mode) || S_ISDIR(ds.st_mode))) {
                /* a folder is not replaced by rename(2): move it aside */
                fib__txn_remove_tree(aside);
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
        fib__txn_remove_tree(stage);
    }
    free(folder);
    free(newdir);
    free(olddir);
    return ok;
}

static bool has_commit_mark(const char *stage)
{
    char *m = fib__txn_cat3(stage, "/", COMMIT_MARK);
    const bool yes = m && fib__txn_exists_l(m, NULL);
    free(m);
    return yes;
}

/* Roll a dead run's stage forward (its primary holds COMMIT) or back. */
void fib__txn_stage_recover(const char *stage, int depth)
{
    fib__txn_journal j;
    if (!fib__txn_journal_read(stage, &j)) {
        fib__txn_remove_tree(stage); /* never prepared: roll back */
        return;
    }
    if (j.primary) {
        /* a secondary: the primary decides and handles every stage */
        const char *pb = strrchr(j.primary, '/');
        bool pst;
        const long ppid = leftover_pid(pb ? pb + 1 : j.primary, &pst);
        if (depth == 0 && pst && ppid > 0 && pid_dead(ppid) &&
            fib__txn_exists_l(j.primary, NULL))
            fib__txn_stage_recover(j.primary, depth + 1);
        if (fib__txn_exists_l(stage, NULL)) {
            if (fib__txn_exists_l(j.primary, NULL) &&
                has_commit_mark(j.primary))
                (void)fib__txn_stage_forward(stage, &j);
            else
                fib__txn_remove_tree(stage);
        }
    } else if (has_commit_mark(stage)) {
        bool ok = true;
        for (size_t i = 0; i < j.n_sec; i++) {
            fib__txn_journal js;
            if (!fib__txn_exists_l(j.secondary[i], NULL))
                continue;
            if (fib__txn_journal_read(j.secondary[i], &js)) {
                ok = fib__txn_stage_forward(j.secondary[i], &js) && ok;
                fib__txn_journal_free(&js);
            } else {
                ok = false; /* a secondary must have its journal */
            }
        }
        /* the primary (with COMMIT) goes last: while a secondary is left,
         * it still says "committed" */
        if (ok)
            (void)fib__txn_stage_forward(stage, &j);
    } else {
        for (size_t i = 0; i < j.n_sec; i++)
            fib__txn_remove_tree(j.secondary[i]);
        fib__txn_remove_tree(stage);
    }
    fib__txn_journal_free(&j);
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
        char *s = fib__txn_cat3(dir, "/", e->d_name);
        if (!s || !fib__txn_grow((void **)&names, &cap, nn, sizeof *names)) {
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
                fib__txn_stage_recover(abs ? abs : names[i], 0);
                free(abs);
                n++;
            } else if (!is_stage) {
                /* a file, or the folder tree of a Zarr writer */
                fib__txn_remove_tree(names[i]);
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
void fib__txn_recover_quiet(const char *dir, size_t *n, fib_error *err)
{
    if (fib_fmt_txn_recover(dir, n, err) != FIB_OK)
        return;
}
