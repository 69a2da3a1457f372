/* job_simulate_series.c -- the output folder of the series jobs
 * (job_simulate_internal.h): staged whole, label volume, drift table, run
 * file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "job_simulate_internal.h"

static bool has_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    const int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

fib_status fib__series_begin(fib__series *s, const fib_job_env *env,
                             const char *out, const char *const *legacy,
                             size_t n_legacy, const char *marker,
                             fib_error *err)
{
    memset(s, 0, sizeof *s);
    s->env = env;
    s->out = out;
    fib_status st = fib_job_txn(env, &s->own, &s->t, err);
    if (st == FIB_OK)
        st = fib_fmt_txn_dir(s->t, out, legacy,
                             has_file(out, marker) ? n_legacy : 0, &s->sout,
                             err);
    s->staged = st == FIB_OK;
    /* a folder that cannot be made or written is the caller's bad input */
    return st == FIB_EIO ? FIB_EINVAL : st;
}

fib_status fib__series_open(fib__series *s, const char *name,
                            fib_pixel_type type, size_t nx, size_t ny,
                            size_t nz, const double voxel_nm[3],
                            const char *const *cols, size_t n_cols,
                            fib_error *err)
{
    fib_status st =
        fib_fmt_volume_writer_create(fib__series_path(s, "%s", name), type, nx,
                                     ny, nz, voxel_nm, NULL, &s->labels, err);
    if (st == FIB_OK)
        st = fib_fmt_csv_create(&s->csv, err);
    if (st != FIB_OK)
        return st;
    for (size_t i = 0; i < n_cols; i++)
        fib_fmt_csv_field(s->csv, cols[i]);
    fib_fmt_csv_end_row(s->csv);
    return FIB_OK;
}

const char *fib__series_path(fib__series *s, const char *fmt, ...)
{
    char name[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    snprintf(s->path, sizeof s->path, "%s/%s", s->sout, name);
    return s->path;
}

fib_status fib__series_row(fib__series *s, const fib_image *labels,
                           size_t slice, const double *vals, size_t n,
                           fib_error *err)
{
    const fib_status st = fib_fmt_volume_writer_append(s->labels, labels, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_csv_int(s->csv, (long long)slice);
    for (size_t i = 0; i < n; i++)
        fib_fmt_csv_number(s->csv, vals[i]);
    fib_fmt_csv_end_row(s->csv);
    return FIB_OK;
}

fib_status fib__series_close(fib__series *s, const char *csv_name,
                             fib_error *err, const char *cfg_fmt, ...)
{
    fib_status st = fib_fmt_volume_writer_finish(s->labels, err);
    if (st != FIB_OK)
        return st;
    char cfg[8192];
    va_list ap;
    va_start(ap, cfg_fmt);
    const int len = vsnprintf(cfg, sizeof cfg, cfg_fmt, ap);
    va_end(ap);
    const char *path = fib__series_path(s, "recon.cfg");
    if (len < 0 || (size_t)len >= sizeof cfg)
        return fib_error_set(err, FIB_ERANGE, "%s: path too long", path);
    st = fib_fmt_write_file_atomic(path, cfg, (size_t)len, err);
    if (st == FIB_OK)
        st =
            fib_fmt_csv_write(s->csv, fib__series_path(s, "%s", csv_name), err);
    return st;
}

fib_status fib__series_end(fib__series *s, fib_status st, fib_error *err)
{
    if (st != FIB_OK && s->staged)
        fib_fmt_txn_explain(s->t, err); /* name the outputs, not the stage */
    fib_fmt_volume_writer_destroy(s->labels);
    fib_fmt_csv_destroy(s->csv);
    s->labels = NULL;
    s->csv = NULL;
    st = fib_job_finish(s->env, s->own, st, err);
    s->own = NULL;
    return st;
}

void fib__series_dir_base(const char *dir, const char *fallback, char *buf,
                          size_t n)
{
    size_t e = strlen(dir);
    while (e > 1 && dir[e - 1] == '/')
        e--;
    size_t b = e;
    while (b > 0 && dir[b - 1] != '/')
        b--;
    const size_t len = e - b;
    if (len == 0 || len >= n || (len == 1 && dir[b] == '.') ||
        (len == 2 && dir[b] == '.' && dir[b + 1] == '.')) {
        snprintf(buf, n, "%s", fallback);
        return;
    }
    memcpy(buf, dir + b, len);
    buf[len] = '\0';
}
