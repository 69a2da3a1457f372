/*
 * series.c -- slice series listing: a folder, a glob pattern or a list
 * file, sorted in natural order (fib/formats.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fib/formats.h"

int fib_fmt_natural_cmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a,
                        *q = (const unsigned char *)b;
    while (*p && *q) {
        if (isdigit(*p) && isdigit(*q)) {
            const unsigned char *p0 = p, *q0 = q;
            while (*p0 == '0' && isdigit(p0[1]))
                p0++;
            while (*q0 == '0' && isdigit(q0[1]))
                q0++;
            const unsigned char *pe = p0, *qe = q0;
            while (isdigit(*pe))
                pe++;
            while (isdigit(*qe))
                qe++;
            const size_t lp = (size_t)(pe - p0), lq = (size_t)(qe - q0);
            if (lp != lq)
                return lp < lq ? -1 : 1;
            const int c = memcmp(p0, q0, lp);
            if (c)
                return c < 0 ? -1 : 1;
            /* equal value: fewer leading zeros first */
            if ((pe - p) != (qe - q))
                return (pe - p) < (qe - q) ? -1 : 1;
            p = pe;
            q = qe;
            continue;
        }
        if (*p != *q)
            return *p < *q ? -1 : 1;
        p++;
        q++;
    }
    if (*p || *q)
        return *p ? 1 : -1;
    return 0;
}

static int cmp_paths(const void *a, const void *b)
{
    return fib_fmt_natural_cmp(*(const char *const *)a,
                               *(const char *const *)b);
}

void fib_fmt_series_free(char **paths, size_t n)
{
    if (!paths)
        return;
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

typedef struct list {
    char **v;
    size_t n, cap;
} list;

static bool list_push(list *l, const char *dir, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return false;
        l->v = nv;
        l->cap = cap;
    }
    size_t len = strlen(name) + (dir ? strlen(dir) + 1 : 0) + 1;
    char *s = malloc(len);
    if (!s)
        return false;
    if (dir)
        snprintf(s, len, "%s/%s", dir, name);
    else
        snprintf(s, len, "%s", name);
    l->v[l->n++] = s;
    return true;
}

static bool has_ext(const char *name, const char *const *exts)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    for (; *exts; exts++)
        if (!strcasecmp(dot + 1, *exts))
            return true;
    return false;
}

static const char *const image_exts[] = {"tif", "tiff", "png", NULL};
static const char *const list_exts[] = {"txt", "lst", NULL};

static fib_status list_folder(const char *src, list *l, fib_error *err)
{
    DIR *d = opendir(src);
    if (!d)
        return fib_error_set(err, FIB_EIO,
                             "formats: %s: cannot open folder: "
                             "%s",
                             src, strerror(errno));
    struct dirent *e;
    fib_status st = FIB_OK;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_ext(e->d_name, image_exts))
            continue;
        if (!list_push(l, src, e->d_name)) {
            st = fib_error_set(err, FIB_ENOMEM, "formats: out of memory");
            break;
        }
    }
    closedir(d);
    return st;
}

static fib_status list_glob(const char *src, list *l, fib_error *err)
{
    glob_t g;
    memset(&g, 0, sizeof g);
    const int rc = glob(src, 0, NULL, &g);
    fib_status st = FIB_OK;
    if (rc == GLOB_NOMATCH) {
        st = fib_error_set(err, FIB_ENOTFOUND, "formats: no file matches '%s'",
                           src);
    } else if (rc) {
        st = fib_error_set(err, FIB_EIO, "formats: glob '%s' failed (%d)", src,
                           rc);
    } else {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if (!list_push(l, NULL, g.gl_pathv[i])) {
                st = fib_error_set(err, FIB_ENOMEM, "formats: out of memory");
                break;
            }
        }
    }
    globfree(&g);
    return st;
}

static fib_status list_file(const char *src, list *l, fib_error *err)
{
    FILE *fp = fopen(src, "r");
    if (!fp)
        return fib_error_set(err, FIB_EIO, "formats: %s: cannot open: %s", src,
                             strerror(errno));
    /* folder of the list file, for relative names */
    char *dir = strdup(src);
    if (!dir) {
        fclose(fp);
        return fib_error_set(err, FIB_ENOMEM, "formats: out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
    char line[4096];
    size_t lineno = 0;
    fib_status st = FIB_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            st = fib_error_set(err, FIB_EFORMAT,
                               "formats: %s:%zu: line longer than %zu bytes",
                               src, lineno, sizeof line - 2);
            break;
        }
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        if (!list_push(l, (*s == '/' || !dir[0]) ? NULL : dir, s)) {
            st = fib_error_set(err, FIB_ENOMEM, "formats: out of memory");
            break;
        }
    }
    if (st == FIB_OK && ferror(fp))
        st = fib_error_set(err, FIB_EIO, "formats: %s: read error", src);
    fclose(fp);
    free(dir);
    return st;
}

fib_status fib_fmt_series_list(const char *src, char ***paths_out,
                               size_t *n_out, fib_error *err)
{
    if (!src || !*src || !paths_out || !n_out)
        return fib_error_set(err, FIB_EINVAL,
                             "formats: series source is empty");
    *paths_out = NULL;
    *n_out = 0;
    list l = {0};
    fib_status st;
    struct stat sb;
    const bool is_glob = strpbrk(src, "*?[") != NULL;
    if (!is_glob && stat(src, &sb) != 0) {
        return fib_error_set(err, FIB_ENOTFOUND,
                             "formats: %s: no such folder, glob or list file",
                             src);
    }
    if (is_glob) {
        st = list_glob(src, &l, err);
    } else if (S_ISDIR(sb.st_mode)) {
        st = list_folder(src, &l, err);
    } else if (has_ext(src, list_exts)) {
        st = list_file(src, &l, err);
    } else {
        return fib_error_set(err, FIB_EINVAL,
                             "formats: %s: a series is a folder, a glob or a "
                             ".txt/.lst list file",
                             src);
    }
    if (st == FIB_OK && l.n == 0)
        st = fib_error_set(err, FIB_ENOTFOUND,
                           "formats: %s: no slice images found", src);
    if (st) {
        fib_fmt_series_free(l.v, l.n);
        return st;
    }
    /* every kind is sorted naturally (the contract of fib/formats.h) */
    qsort(l.v, l.n, sizeof *l.v, cmp_paths);
    *paths_out = l.v;
    *n_out = l.n;
    return FIB_OK;
}

/* "z=<number><unit>" in the base name (the last one): nm, or false. */
static bool name_z(const char *path, double *z_nm)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *hit = NULL;
    for (const char *q = base; (q = strstr(q, "z=")) != NULL; q += 2)
        if (q == base || q[-1] == '_' || q[-1] == '-' || q[-1] == ' ' ||
            q[-1] == '.')
            hit = q + 2;
    if (!hit)
        return false;
    char *end = NULL;
    const double v = strtod(hit, &end);
    if (end == hit || !isfinite(v))
        return false;
    if (!strncasecmp(end, "nm", 2))
        *z_nm = v;
    else if (!strncasecmp(end, "um", 2) || !strncmp(end, "\xc2\xb5m", 3))
        *z_nm = v * 1000.0;
    else
        return false;
    return true;
}

bool fib_fmt_series_z_nm(char *const *paths, size_t n, double *z_nm,
                         size_t *first_missing)
{
    for (size_t i = 0; i < n; i++)
        if (!name_z(paths[i], &z_nm[i])) {
            if (first_missing)
                *first_missing = i;
            return false;
        }
    return n > 0;
}

/* Field k (0-based) of a comma-separated line into buf; false if absent. */
static bool csv_field(const char *line, size_t k, char *buf, size_t cap)
{
    for (size_t i = 0; i < k; i++) {
        line = strchr(line, ',');
        if (!line)
            return false;
        line++;
    }
    size_t n = strcspn(line, ",\r\n");
    while (n && isspace((unsigned char)line[n - 1]))
        n--;
    while (n && isspace((unsigned char)*line)) {
        line++;
        n--;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    return true;
}

static size_t csv_count(const char *line)
{
    size_t n = 1;
    for (; *line; line++)
        n += *line == ',';
    return n;
}

fib_status fib_fmt_read_z_csv(const char *path, size_t n, double *z_nm,
                              fib_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fib_error_set(err, FIB_ENOTFOUND, "%s: cannot open (%s)", path,
                             strerror(errno));
    char line[4096], cell[128];
    size_t col = (size_t)-1, rows = 0, lineno = 0;
    fib_status st = FIB_OK;
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        const size_t nc = csv_count(line);
        if (col == (size_t)-1) {
            /* a header when the first field is not a number */
            char *end = NULL;
            (void)csv_field(line, 0, cell, sizeof cell);
            (void)strtod(cell, &end);
            col = nc - 1;
            if (end == cell || *end) {
                for (size_t k = 0; k < nc; k++)
                    if (csv_field(line, k, cell, sizeof cell) &&
                        (!strcmp(cell, "z_nm") || !strcmp(cell, "z")))
                        col = k;
                continue;
            }
        }
        if (rows >= n) {
            st = fib_error_set(err, FIB_EFORMAT,
                               "%s:%zu: more rows than the %zu slices", path,
                               lineno, n);
            break;
        }
        char *end = NULL;
        if (!csv_field(line, col, cell, sizeof cell)) {
            st = fib_error_set(err, FIB_EFORMAT, "%s:%zu: no column %zu", path,
                               lineno, col + 1);
            break;
        }
        const double v = strtod(cell, &end);
        if (end == cell || *end || !isfinite(v)) {
            st = fib_error_set(err, FIB_EFORMAT,
                               "%s:%zu: z '%s' is not a finite number", path,
                               lineno, cell);
            break;
        }
        z_nm[rows++] = v;
    }
    if (!st && ferror(f))
        st = fib_error_set(err, FIB_EIO, "%s: read error", path);
    fclose(f);
    if (!st && rows != n)
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s: %zu slice depths, the series has %zu slices",
                           path, rows, n);
    return st;
}
