/*
 * pattern_export.c -- Thermo/FEI .ptf pattern files and fibsem-os /
 * AutoLamella protocol YAML from session plans (fib/pattern_export.h).
 *
 * The writers: export_ptf.c (.ptf, its layout and derived fields),
 * export_yaml.c (AutoLamella YAML); shared helpers: export_util.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "fib/pattern_export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_internal.h"

/* ---------------------------------------------------------------------- */

bool fib_fmt_export_kind_parse(const char *name, fib_fmt_export_kind *out)
{
    if (!name)
        return false;
    if (!strcmp(name, "ptf")) {
        *out = FIB_FMT_EXPORT_PTF;
        return true;
    }
    if (!strcmp(name, "autolamella")) {
        *out = FIB_FMT_EXPORT_AUTOLAMELLA;
        return true;
    }
    return false;
}

fib_status fib_fmt_plan_export(const fib_plan *const *plans, size_t n_plans,
                               fib_fmt_export_kind kind, const char *dir,
                               fib_error *err)
{
    if (!plans || n_plans == 0 || !dir || !dir[0])
        return fib_error_set(err, FIB_EINVAL, "export: no plan or no folder");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fib_error_set(err, FIB_EINVAL,
                             "export folder %s: missing or not a folder", dir);
    for (size_t i = 0; i < n_plans; i++)
        for (size_t k = 0; k < i; k++)
            if (fib_plan_get_ion(plans[i]) == fib_plan_get_ion(plans[k]))
                return fib_error_set(err, FIB_EINVAL,
                                     "export: two plans for ion %s",
                                     fib__exp_ion_symbol(plans[i]));
    fib__exp_set set = {0};
    fib_status st = FIB_OK;
    for (size_t i = 0; i < n_plans && st == FIB_OK; i++)
        st = kind == FIB_FMT_EXPORT_PTF
                 ? fib__exp_ptf(plans[i], dir, &set, err)
                 : fib__exp_yaml(plans[i], NULL, dir, &set, err);
    if (st == FIB_OK)
        st = fib__exp_set_commit(&set, err);
    else
        fib__exp_set_abort(&set);
    fib__exp_set_free(&set);
    return st;
}

/* Remove what a failed session export left: the files (temporary or
 * final names), the site folders, the temporary folder. */
static void session_cleanup(fib__exp_set *set, char **dirs, size_t n_dirs,
                            const char *tmp)
{
    fib__exp_set_abort(set);
    for (size_t i = 0; i < set->n; i++)
        (void)remove(set->final[i]);
    for (size_t i = n_dirs; i-- > 0;)
        (void)rmdir(dirs[i]);
    if (tmp)
        (void)rmdir(tmp);
}

static fib_status session_export(const fib_session *const *sessions,
                                 size_t n_sessions, fib_fmt_export_kind kind,
                                 const char *dir, fib_error *err)
{
    if (!sessions || n_sessions == 0 || !dir || !dir[0])
        return fib_error_set(err, FIB_EINVAL,
                             "export: no session or no folder");
    const size_t ns = fib_session_site_count(sessions[0]);
    for (size_t i = 0; i < n_sessions; i++) {
        if (!sessions[i] || fib_session_site_count(sessions[i]) != ns)
            return fib_error_set(err, FIB_EINVAL,
                                 "export: the sessions differ in their sites");
        for (size_t k = 0; k < i; k++)
            if (fib_plan_get_ion(fib_session_site_plan(sessions[i], 0)) ==
                fib_plan_get_ion(fib_session_site_plan(sessions[k], 0)))
                return fib_error_set(
                    err, FIB_EINVAL, "export: two sessions for ion %s",
                    fib__exp_ion_symbol(fib_session_site_plan(sessions[i], 0)));
    }
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return fib_error_set(err, FIB_EINVAL,
                                 "export folder %s exists and is not a folder",
                                 dir);
        /* an existing folder must be empty: the finished export is renamed
         * over it (rename(2) replaces an empty folder) */
        DIR *d = opendir(dir);
        if (!d)
            return fib_error_set(err, FIB_EINVAL, "export folder %s: %s", dir,
                                 strerror(errno));
        const struct dirent *e;
        bool empty = true;
        while (empty && (e = readdir(d)) != NULL)
            empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
        (void)closedir(d);
        if (!empty)
            return fib_error_set(err, FIB_EINVAL,
                                 "export folder %s exists and is not empty; "
                                 "the export never overwrites",
                                 dir);
    }
    size_t len = strlen(dir) + 16;
    char *tmp = malloc(len);
    if (!tmp)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    (void)snprintf(tmp, len, "%s.tmp-XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        fib_status st = fib_error_set(
            err, errno == ENOENT || errno == ENOTDIR ? FIB_EINVAL : FIB_EIO,
            "export folder %s: cannot create it: %s", dir, strerror(errno));
        free(tmp);
        return st;
    }
    fib__exp_set set = {0};
    char **dirs = calloc(ns, sizeof *dirs);
    size_t n_dirs = 0;
    fib_status st =
        dirs ? FIB_OK : fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    for (size_t k = 0; k < ns && st == FIB_OK; k++) {
        char folder[64];
        fib__exp_site_folder(sessions[0], k, folder, sizeof folder);
        size_t l = strlen(tmp) + strlen(folder) + 2;
        dirs[k] = malloc(l);
        if (!dirs[k]) {
            st = fib_error_set(err, FIB_ENOMEM, "export: out of memory");
            break;
        }
        (void)snprintf(dirs[k], l, "%s/%s", tmp, folder);
        if (mkdir(dirs[k], 0777) != 0) {
            st = fib_error_set(err, FIB_EIO, "%s: cannot create: %s", dirs[k],
                               strerror(errno));
            free(dirs[k]);
            dirs[k] = NULL;
            break;
        }
        n_dirs = k + 1;
        for (size_t i = 0; i < n_sessions && st == FIB_OK; i++) {
            const fib_plan *p = fib_session_site_plan(sessions[i], k);
            st = kind == FIB_FMT_EXPORT_PTF
                     ? fib__exp_ptf(p, dirs[k], &set, err)
                     : fib__exp_yaml(p,
                                     fib_session_site_get(sessions[i], k)->name,
                                     dirs[k], &set, err);
            if (st != FIB_OK && err) { /* name the site */
                fib_error e2 = *err;
                fib_error_clear(err);
                st = fib_error_set(err, st, "site %s: %s",
                                   fib_session_site_get(sessions[i], k)->name,
                                   e2.msg);
            }
        }
    }
    for (size_t i = 0; i < n_sessions && st == FIB_OK; i++)
        st = kind == FIB_FMT_EXPORT_PTF
                 ? fib__exp_session_index_ptf(sessions[i], tmp, &set, err)
                 : fib__exp_session_index_yaml(sessions[i], tmp, &set, err);
    if (st == FIB_OK)
        st = fib__exp_set_commit(&set, err);
    if (st == FIB_OK && rename(tmp, dir) != 0)
        st = fib_error_set(
            err, errno == ENOTEMPTY || errno == EEXIST ? FIB_EINVAL : FIB_EIO,
            "export folder %s: cannot rename %s over it: %s", dir, tmp,
            strerror(errno));
    if (st != FIB_OK)
        session_cleanup(&set, dirs, n_dirs, tmp);
    fib__exp_set_free(&set);
    for (size_t k = 0; k < n_dirs; k++)
        free(dirs[k]);
    free(dirs);
    free(tmp);
    return st;
}

fib_status fib_fmt_session_export(const fib_session *const *sessions,
                                  size_t n_sessions, fib_fmt_export_kind kind,
                                  const char *dir, fib_error *err)
{
    if (!dir || !dir[0])
        return session_export(sessions, n_sessions, kind, dir, err);
    /* "out/" names the folder "out": the temporary one goes beside it */
    size_t n = strlen(dir);
    char *d = malloc(n + 1);
    if (!d)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    memcpy(d, dir, n + 1);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    fib_status st = session_export(sessions, n_sessions, kind, d, err);
    free(d);
    return st;
}
