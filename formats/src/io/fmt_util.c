/* fmt_util.c -- helpers every reader shares: the size and dimension limits,
 * input checks, key/value lists for vendor metadata and Latin-1 -> UTF-8.
 * Kept apart from the dispatcher (formats.c) so that the readers depend on
 * this file and the dispatcher on them, never the other way round. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/checked.h"
#include "fmt_internal.h"

size_t fib__max_bytes(const fib_fmt_read_opts *opts)
{
    return (opts && opts->max_bytes) ? opts->max_bytes : FIB__DEFAULT_MAX_BYTES;
}

fib_status fib__check_dims(const char *path, long long nx, long long ny,
                           long long nz, size_t elsize, size_t max_bytes,
                           size_t *bytes_out, fib_error *err)
{
    const long long v[3] = {nx, ny, nz};
    static const char *const names[3] = {"width (x size)", "height (y size)",
                                         "depth (z size)"};
    for (int i = 0; i < 3; i++) {
        if (v[i] <= 0)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: %s must be > 0 (got %lld)", path,
                                 names[i], v[i]);
        if ((unsigned long long)v[i] > (unsigned long long)FIB_MAX_EXTENT)
            return fib_error_set(err, FIB_ERANGE,
                                 "%s: %s %lld exceeds the limit %zu", path,
                                 names[i], v[i], (size_t)FIB_MAX_EXTENT);
    }
    size_t bytes = 0;
    if (!fib_mul3_size((size_t)nx, (size_t)ny, (size_t)nz, &bytes) ||
        !fib_mul_size(bytes, elsize, &bytes) || bytes > max_bytes)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: pixel data %lld x %lld x %lld x %zu bytes "
                             "exceeds the limit of %zu bytes",
                             path, nx, ny, nz, elsize, max_bytes);
    if (bytes_out)
        *bytes_out = bytes;
    return FIB_OK;
}

fib_status fib__stat_input(const char *path, long long *size_out,
                           fib_error *err)
{
    struct stat st;
    if (!path || !*path)
        return fib_error_set(err, FIB_EINVAL, "formats: empty input path");
    if (stat(path, &st) != 0) {
        const int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return fib_error_set(err, FIB_ENOTFOUND, "%s: no such file", path);
        return fib_error_set(err, FIB_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return fib_error_set(err, FIB_EINVAL, "%s: not a regular file", path);
    if (size_out)
        *size_out = (long long)st.st_size;
    return FIB_OK;
}

fib_status fib__require_regular(const char *module, const char *path,
                                fib_error *err)
{
    struct stat st;
    if (path && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return fib_error_set(err, FIB_EINVAL, "%s: %s: not a regular file",
                             module, path);
    return FIB_OK;
}

/* --- key/value lists ---------------------------------------------------- */

void fib__kv_add(fib__kv *kv, const char *key, size_t klen, const char *val,
                 size_t vlen)
{
    if (!kv || kv->failed)
        return;
    if (kv->n == kv->cap) {
        const size_t cap = kv->cap ? kv->cap * 2 : 64;
        char **items = realloc(kv->items, 2 * cap * sizeof *items);
        if (!items) {
            kv->failed = true;
            return;
        }
        kv->items = items;
        kv->cap = cap;
    }
    char *k = fib__latin1_to_utf8(key, klen);
    char *v = fib__latin1_to_utf8(val, vlen);
    if (!k || !v) {
        free(k);
        free(v);
        kv->failed = true;
        return;
    }
    kv->items[2 * kv->n] = k;
    kv->items[2 * kv->n + 1] = v;
    kv->n++;
}

const char *fib__kv_get(const fib__kv *kv, const char *key)
{
    if (!kv)
        return NULL;
    for (size_t i = 0; i < kv->n; i++)
        if (strcmp(kv->items[2 * i], key) == 0)
            return kv->items[2 * i + 1];
    return NULL;
}

void fib__kv_free(fib__kv *kv)
{
    if (!kv)
        return;
    for (size_t i = 0; i < 2 * kv->n; i++)
        free(kv->items[i]);
    free(kv->items);
    memset(kv, 0, sizeof *kv);
}

/* Whether s[0..n) (up to a NUL) is valid UTF-8. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i]) {
        const unsigned char c = s[i];
        size_t k = c < 0x80         ? 0
                   : (c >> 5) == 6  ? 1
                   : (c >> 4) == 14 ? 2
                   : (c >> 3) == 30 ? 3
                                    : 9;
        if (k == 9 || (k > 0 && c < 0xC2 && k == 1))
            return false;
        for (size_t j = 1; j <= k; j++)
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

char *fib__latin1_to_utf8(const char *s, size_t n)
{
    if (valid_utf8((const unsigned char *)s, n)) { /* already UTF-8/ASCII */
        size_t len = 0;
        while (len < n && s[len])
            len++;
        char *out = malloc(len + 1);
        if (out) {
            memcpy(out, s, len);
            out[len] = '\0';
        }
        return out;
    }
    size_t len = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        len += ((unsigned char)s[i] >= 0x80) ? 2 : 1;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n && s[i]; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

void fib_fmt_pairs_free(char **pairs, size_t n)
{
    if (!pairs)
        return;
    for (size_t i = 0; i < 2 * n; i++)
        free(pairs[i]);
    free(pairs);
}
