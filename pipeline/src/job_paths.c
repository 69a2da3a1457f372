/* job_paths.c -- input/output identity checks of every job
 * (fib/job_paths.h): same file by device and inode, same resolved name,
 * output folders that hold an input, NRRD detached data files. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fib/formats.h"
#include "fib/job_paths.h"

bool fib_job_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The end of @p p without trailing slashes (*e) and the start of its last
 * component (*b). */
static void last_component(const char *p, size_t *b, size_t *e)
{
    *e = strlen(p);
    while (*e > 1 && p[*e - 1] == '/')
        (*e)--;
    *b = *e;
    while (*b > 0 && p[*b - 1] != '/')
        (*b)--;
}

/* Absolute, link-free name of @p p into @p buf: realpath() of the path
 * when it exists, else realpath() of its folder + "/" + its last
 * component (a not-yet-written output).  False when neither resolves. */
static bool resolve_name(const char *p, char *buf, size_t n)
{
    char tmp[PATH_MAX];
    if (!p || !*p || n < 2)
        return false;
    if (realpath(p, tmp)) {
        if (strlen(tmp) >= n)
            return false;
        memcpy(buf, tmp, strlen(tmp) + 1);
        return true;
    }
    size_t b, e;
    last_component(p, &b, &e);
    char dir[PATH_MAX];
    if (b == 0)
        snprintf(dir, sizeof dir, ".");
    else if (b == 1)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(b - 1), p);
    if (!realpath(dir, tmp))
        return false;
    const int k = snprintf(buf, n, "%s/%.*s", strcmp(tmp, "/") ? tmp : "",
                           (int)(e - b), p + b);
    return k > 0 && (size_t)k < n;
}

bool fib_job_names_same(const char *a, const char *b)
{
    if (fib_job_same_file(a, b))
        return true;
    char ra[PATH_MAX], rb[PATH_MAX];
    return resolve_name(a, ra, sizeof ra) && resolve_name(b, rb, sizeof rb) &&
           strcmp(ra, rb) == 0;
}

static fib_status is_input(const char *opt, const char *out, const char *in,
                           fib_error *err)
{
    return fib_error_set(err, FIB_EINVAL,
                         "%s%s%s: is the input file %s (refusing to "
                         "overwrite it)",
                         opt ? opt : "", opt ? " " : "", out, in);
}

fib_status fib_job_check_not_input(const char *opt, const char *out,
                                   const char *const *inputs, size_t n_inputs,
                                   fib_error *err)
{
    if (!out)
        return FIB_OK;
    /* the folder an output goes into must exist: the same bad input in
     * every job, found before anything is written */
    size_t b, e;
    last_component(out, &b, &e);
    if (b > 1) {
        char dir[PATH_MAX];
        struct stat sd;
        snprintf(dir, sizeof dir, "%.*s", (int)(b - 1), out);
        const bool exists = stat(dir, &sd) == 0;
        if (!exists || !S_ISDIR(sd.st_mode))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s%s%s: cannot create: %s %s", opt ? opt : "",
                                 opt ? " " : "", out, dir,
                                 exists ? "is not a folder" : "does not exist");
    }
    for (size_t i = 0; i < n_inputs; i++)
        if (inputs[i] && fib_job_names_same(out, inputs[i]))
            return is_input(opt, out, inputs[i], err);
    return FIB_OK;
}

fib_status fib_job_check_outputs(size_t n_out, const char *const *opt,
                                 const char *const *out,
                                 const char *const *inputs, size_t n_inputs,
                                 fib_error *err)
{
    fib_status st = FIB_OK;
    for (size_t k = 0; k < n_out && st == FIB_OK; k++)
        st = fib_job_check_not_input(opt[k], out[k], inputs, n_inputs, err);
    return st;
}

fib_status fib_job_check_dir_not_input(const char *opt, const char *dir,
                                       const char *const *inputs,
                                       size_t n_inputs, fib_error *err)
{
    char rd[PATH_MAX], ri[PATH_MAX];
    if (!dir || !resolve_name(dir, rd, sizeof rd))
        return FIB_OK;
    const size_t nd = strlen(rd);
    for (size_t i = 0; i < n_inputs; i++) {
        if (!inputs[i])
            continue;
        if (fib_job_names_same(dir, inputs[i]))
            return is_input(opt, dir, inputs[i], err);
        if (!resolve_name(inputs[i], ri, sizeof ri))
            continue;
        if (strncmp(ri, rd, nd) == 0 && (ri[nd] == '/' || !strcmp(rd, "/")))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s%s%s: holds the input %s (refusing to "
                                 "write into an input folder)",
                                 opt ? opt : "", opt ? " " : "", dir,
                                 inputs[i]);
    }
    return FIB_OK;
}

fib_status fib_job_check_dir_not_series(const char *opt, const char *dir,
                                        const char *src, fib_error *err)
{
    char **paths = NULL;
    size_t n = 0;
    /* a stack file (multi-page TIFF, MRC, NRRD, an OME-Zarr folder) is
     * its own only input */
    struct stat sb;
    const char *dot = src ? strrchr(src, '.') : NULL;
    const bool list =
        dot && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".lst"));
    if (src && stat(src, &sb) == 0 &&
        ((S_ISREG(sb.st_mode) && !list) ||
         (S_ISDIR(sb.st_mode) && dot && !strcasecmp(dot, ".zarr"))))
        return fib_job_check_dir_not_input(opt, dir, &src, 1, err);
    fib_status st = fib_fmt_series_list(src, &paths, &n, err);
    if (st != FIB_OK)
        return st;
    st = fib_job_check_dir_not_input(opt, dir, &src, 1, err);
    if (st == FIB_OK)
        st = fib_job_check_dir_not_input(opt, dir, (const char *const *)paths,
                                         n, err);
    fib_fmt_series_free(paths, n);
    return st;
}

fib_status fib_job_check_out_of(const char *opt, const char *out,
                                const char *in, fib_error *err)
{
    fib_job_inputs ins = {0};
    fib_job_inputs_add(&ins, in);
    return fib_job_check_not_input(opt, out, ins.p, ins.n, err);
}

fib_status fib_job_check_series_out(const char *opt, const char *out,
                                    const char *src, fib_error *err)
{
    char **paths = NULL;
    size_t n = 0;
    fib_status st = fib_fmt_series_list(src, &paths, &n, err);
    struct stat sb;
    const bool out_dir = out && stat(out, &sb) == 0 && S_ISDIR(sb.st_mode);
    for (size_t k = 0; k < n && st == FIB_OK; k++) {
        const char *base = strrchr(paths[k], '/');
        char target[PATH_MAX];
        snprintf(target, sizeof target, "%s/%s", out,
                 base ? base + 1 : paths[k]);
        st = fib_job_check_not_input(opt, out_dir ? target : out,
                                     (const char *const *)&paths[k], 1, err);
    }
    fib_fmt_series_free(paths, n);
    if (st == FIB_OK && !out_dir)
        st = fib_job_check_not_input(opt, out, &src, 1, err);
    return st;
}

void fib_job_input_data_file(const char *path, char *buf, size_t n)
{
    fib_fmt_info info;
    fib_error err = {0};
    if (n)
        buf[0] = '\0';
    if (!path || !n)
        return;
    /* by content, as the readers choose the format: "NRRD" magic */
    char magic[4] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return;
    const size_t got = fread(magic, 1, sizeof magic, fp);
    fclose(fp);
    if (got != sizeof magic || memcmp(magic, "NRRD", 4) != 0 ||
        fib_fmt_probe(path, NULL, &info, &err) != FIB_OK)
        return;
    snprintf(buf, n, "%s", info.data_file);
}

void fib_job_inputs_add(fib_job_inputs *in, const char *path)
{
    if (!path || in->n_data >= FIB_JOB_MAX_INPUTS ||
        in->n + 2 > sizeof in->p / sizeof in->p[0])
        return;
    in->p[in->n++] = path;
    char *d = in->data[in->n_data];
    fib_job_input_data_file(path, d, sizeof in->data[0]);
    if (d[0]) {
        in->p[in->n++] = d;
        in->n_data++;
    }
}
