/*
 * cfg_util.c -- private libconfig helpers (see cfg_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cfg_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool fib__cfg_is_number(const config_setting_t *s)
{
    const int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
           t == CONFIG_TYPE_FLOAT;
}

double fib__cfg_number(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        return (double)config_setting_get_int(s);
    case CONFIG_TYPE_INT64:
        return (double)config_setting_get_int64(s);
    default:
        return config_setting_get_float(s);
    }
}

fib_status fib__cfg_session_error(fib_error *err, const char *file,
                                  const config_setting_t *s, const char *field,
                                  const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const unsigned line = s ? (unsigned)config_setting_source_line(s) : 0;
    if (line)
        return fib_error_set(err, FIB_EINVAL, "session: %s:%u: %s %s", file,
                             line, field, msg);
    return fib_error_set(err, FIB_EINVAL, "session: %s: %s %s", file, field,
                         msg);
}

fib_status fib__cfg_err(const fib__cfg_ctx *c, const config_setting_t *s,
                        const char *field, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fib__cfg_session_error(c->err, c->file, s, field, "%s", msg);
}

void fib__cfg_field(char *buf, size_t n, const char *prefix, const char *key)
{
    snprintf(buf, n, "%s%s%s", prefix, *prefix ? "." : "", key);
}

fib_status fib__cfg_check_keys(const fib__cfg_ctx *c, const config_setting_t *g,
                               const char *prefix, const char *const *allowed)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(e);
        if (!name)
            continue;
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, name)) {
                ok = true;
                break;
            }
        if (!ok) {
            char f[96];
            fib__cfg_field(f, sizeof f, prefix, name);
            return fib__cfg_err(c, e, f,
                                "is not a known key (see "
                                "examples/session-reference.cfg)");
        }
    }
    return FIB_OK;
}

fib_status fib__cfg_num_member(const fib__cfg_ctx *c, const config_setting_t *g,
                               const char *prefix, const char *key,
                               const char *not_number,
                               const config_setting_t **s_out, char *f,
                               size_t fn)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    *s_out = s;
    if (!s)
        return FIB_OK;
    fib__cfg_field(f, fn, prefix, key);
    if (!fib__cfg_is_number(s))
        return fib__cfg_err(c, s, f, "%s", not_number);
    return FIB_OK;
}

fib_status fib__cfg_get_num(const fib__cfg_ctx *c, const config_setting_t *g,
                            const char *prefix, const char *key, double lo,
                            bool lo_open, double hi, double *out)
{
    const config_setting_t *s;
    char f[96];
    fib_status st = fib__cfg_num_member(c, g, prefix, key, "must be a number",
                                        &s, f, sizeof f);
    if (st != FIB_OK || !s)
        return st;
    double v = fib__cfg_number(s);
    if (!isfinite(v))
        return fib__cfg_err(c, s, f, "must be finite");
    if (lo_open ? !(v > lo) : !(v >= lo))
        return fib__cfg_err(c, s, f, "must be %s %g (got %g)",
                            lo_open ? ">" : ">=", lo, v);
    if (v > hi)
        return fib__cfg_err(c, s, f, "must be <= %g (got %g)", hi, v);
    *out = v;
    return FIB_OK;
}

/* ---- optional members of a session-file group -------------------------- */

/* Optional number @p key of group @p g into *out with a sign rule and an
 * upper limit (hi <= 0: none). */
fib_status fib__cfg_get_signed(const fib__cfg_ctx *c, const config_setting_t *g,
                               const char *prefix, const char *key, double *out,
                               int rule, double hi)
{
    return fib__cfg_get_num(c, g, prefix, key,
                            rule == FIB__CFG_ANY ? -HUGE_VAL : 0,
                            rule == FIB__CFG_POS, hi > 0 ? hi : HUGE_VAL, out);
}

/* Optional whole count @p key in lo..hi into *out: a non-integer value
 * (2.5 steps) is an error, not truncated. */
fib_status fib__cfg_get_count(const fib__cfg_ctx *c, const config_setting_t *g,
                              const char *prefix, const char *key, int *out,
                              int lo, int hi)
{
    const config_setting_t *s;
    char f[96];
    fib_status st = fib__cfg_num_member(
        c, g, prefix, key, "must be a number (a whole count)", &s, f, sizeof f);
    if (st != FIB_OK || !s)
        return st;
    double v = fib__cfg_number(s);
    if (!isfinite(v) || v != floor(v))
        return fib__cfg_err(c, s, f, "must be a whole number (got %g)", v);
    if (v < lo || v > hi)
        return fib__cfg_err(c, s, f, "must be in %d..%d (got %g)", lo, hi, v);
    *out = (int)v;
    return FIB_OK;
}

/* Optional duration that may be 0 (none): the request keeps 0 for "the
 * default", so an explicit 0 is stored as -1 (fib_plan_overheads). */
fib_status fib__cfg_get_duration(const fib__cfg_ctx *c,
                                 const config_setting_t *g, const char *prefix,
                                 const char *key, double *out, double hi)
{
    double v = -2;
    fib_status st =
        fib__cfg_get_signed(c, g, prefix, key, &v, FIB__CFG_NONNEG, hi);
    if (st != FIB_OK)
        return st;
    if (v > 0)
        *out = v;
    else if (v == 0)
        *out = -1.0;
    return FIB_OK;
}

fib_status fib__cfg_get_bool(const fib__cfg_ctx *c, const config_setting_t *g,
                             const char *prefix, const char *key, bool *out)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return FIB_OK;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        char f[96];
        fib__cfg_field(f, sizeof f, prefix, key);
        return fib__cfg_err(c, s, f, "must be true or false");
    }
    *out = config_setting_get_bool(s) != 0;
    return FIB_OK;
}

/* Optional string; *s_out = setting (NULL if absent). */
fib_status fib__cfg_get_str(const fib__cfg_ctx *c, const config_setting_t *g,
                            const char *prefix, const char *key, char *buf,
                            size_t size, const config_setting_t **s_out)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (s_out)
        *s_out = s;
    if (!s)
        return FIB_OK;
    char f[96];
    fib__cfg_field(f, sizeof f, prefix, key);
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return fib__cfg_err(c, s, f, "must be a string");
    const char *v = config_setting_get_string(s);
    if (strlen(v) >= size)
        return fib__cfg_err(c, s, f, "is too long (max %zu characters)",
                            size - 1);
    memcpy(buf, v, strlen(v) + 1);
    return FIB_OK;
}

/* Optional array of numbers (> 0) into out[cap]; *n set when present. */
fib_status fib__cfg_get_num_array(const fib__cfg_ctx *c,
                                  const config_setting_t *g, const char *prefix,
                                  const char *key, double *out, size_t cap,
                                  size_t *n, bool *given)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return FIB_OK;
    char f[96];
    fib__cfg_field(f, sizeof f, prefix, key);
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return fib__cfg_err(c, s, f, "must be an array of numbers [a, b, ...]");
    int len = config_setting_length(s);
    if ((size_t)len > cap)
        return fib__cfg_err(c, s, f, "has %d values (max %zu)", len, cap);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!fib__cfg_is_number(e))
            return fib__cfg_err(c, s, f, "element %d must be a number", i);
        double v = fib__cfg_number(e);
        if (!(v > 0) || !isfinite(v))
            return fib__cfg_err(c, s, f, "element %d must be > 0 (got %g)", i,
                                v);
        out[i] = v;
    }
    if (n)
        *n = (size_t)len;
    if (given)
        *given = true;
    return FIB_OK;
}

const config_setting_t *fib__cfg_get_group(const fib__cfg_ctx *c,
                                           const config_setting_t *g,
                                           const char *key, fib_status *st)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    *st = FIB_OK;
    if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        *st = fib__cfg_err(c, s, key, "must be a group { ... }");
        return NULL;
    }
    return s;
}

/* ---- before libconfig reads ------------------------------------------ */

/* libconfig 1.5 (the packaged version) has no include hook
 * (config_set_include_func is 1.7): its scanner opens an @include target
 * with fopen() relative to the working folder (no include_dir is set) and
 * calls exit() from inside flex when the read fails ("input in flex scanner
 * failed", on a folder).  Its string scanner is also slow on long strings
 * (a 4 MB string took 11.7 s).  So every file and text is checked here
 * first: at most FIB__CFG_MAX_BYTES, and every @include line (libconfig's
 * rule: at the start of a line, after blanks) names a regular file that
 * passes the same checks, to libconfig's include depth. */
enum { CFG_MAX_DEPTH = 10 };

static fib_status scan_text(const char *module, const char *name,
                            const char *text, size_t len, int depth,
                            fib_error *err);

static fib_status check_file(const char *module, const char *where,
                             const char *path, int depth, fib_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return fib_error_set(err, FIB_ENOTFOUND, "%s: %s%s: %s", module, where,
                             path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return fib_error_set(err, FIB_EINVAL, "%s: %s%s: not a regular file%s",
                             module, where, path,
                             S_ISDIR(sb.st_mode) ? " (a folder)" : "");
    if ((unsigned long long)sb.st_size > FIB__CFG_MAX_BYTES)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: %s%s: %lld bytes: a configuration file is "
                             "at most %u bytes (1 MiB)",
                             module, where, path, (long long)sb.st_size,
                             (unsigned)FIB__CFG_MAX_BYTES);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fib_error_set(err, FIB_EIO, "%s: %s%s: cannot open: %s", module,
                             where, path, strerror(errno));
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        fclose(f);
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", module);
    }
    const size_t got = fread(buf, 1, (size_t)sb.st_size, f);
    fclose(f);
    buf[got] = '\0';
    fib_status st = scan_text(module, path, buf, got, depth, err);
    free(buf);
    return st;
}

static fib_status scan_text(const char *module, const char *name,
                            const char *text, size_t len, int depth,
                            fib_error *err)
{
    if (len > FIB__CFG_MAX_BYTES)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: %s: %zu bytes: a configuration file is at "
                             "most %u bytes (1 MiB)",
                             module, name, len, (unsigned)FIB__CFG_MAX_BYTES);
    unsigned line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        size_t k = i;
        while (k < e && (text[k] == ' ' || text[k] == '\t'))
            k++;
        if (e - k >= 8 && memcmp(text + k, "@include", 8) == 0) {
            k += 8;
            const size_t k0 = k;
            while (k < e && (text[k] == ' ' || text[k] == '\t'))
                k++;
            if (k > k0 && k < e && text[k] == '"') {
                size_t q = ++k;
                while (q < e && text[q] != '"')
                    q++;
                char inc[1024], where[1200];
                if (q - k >= sizeof inc)
                    return fib_error_set(err, FIB_EINVAL,
                                         "%s: %s:%u: @include name too long",
                                         module, name, line);
                memcpy(inc, text + k, q - k);
                inc[q - k] = '\0';
                if (depth + 1 > CFG_MAX_DEPTH)
                    return fib_error_set(err, FIB_EINVAL,
                                         "%s: %s:%u: @include nested deeper "
                                         "than %d",
                                         module, name, line, CFG_MAX_DEPTH);
                snprintf(where, sizeof where, "%s:%u: @include ", name, line);
                fib_status st = check_file(module, where, inc, depth + 1, err);
                if (st != FIB_OK)
                    return st;
            }
        }
        i = e + 1;
    }
    return FIB_OK;
}

fib_status fib__cfg_precheck(const char *module, const char *path,
                             const char *text, const char *name, fib_error *err)
{
    if (text)
        return scan_text(module, name ? name : "(text)", text, strlen(text), 0,
                         err);
    return check_file(module, "", path, 0, err);
}
