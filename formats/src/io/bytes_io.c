/*
 * bytes_io.c -- fib_fmt_bytes_read() / fib_fmt_bytes_write()
 * (fib/formats.h): a whole small file (a trained model, a text) in or out
 * as bytes, the write through a temporary name renamed when complete.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "fib/formats.h"

fib_status fib_fmt_bytes_read(const char *path, size_t max_bytes, char **out,
                              size_t *len, fib_error *err)
{
    if (!path || !out || !len)
        return fib_error_set(err, FIB_EINVAL, "read: path or outputs NULL");
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fib_error_set(err, errno == ENOENT ? FIB_ENOTFOUND : FIB_EIO,
                             "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    fib_status st =
        buf ? FIB_OK
            : fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    while (!st) {
        if (n == cap) {
            if (cap >= max_bytes) {
                st = fib_error_set(err, FIB_EINVAL,
                                   "%s: larger than %zu bytes (the most "
                                   "read)",
                                   path, max_bytes);
                break;
            }
            cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
        }
        const size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                st = fib_error_set(err, FIB_EIO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    buf[n] = '\0'; /* room kept: text can be used as a string */
    *out = buf;
    *len = n;
    return FIB_OK;
}

fib_status fib_fmt_bytes_write(const char *path, const void *data, size_t len,
                               fib_error *err)
{
    if (!path || (!data && len))
        return fib_error_set(err, FIB_EINVAL, "write: path or data NULL");
    fib__atomic_file af;
    fib_status st = fib__atomic_begin(path, &af, err);
    if (st)
        return st;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_EIO, "%s: write failed", path);
    }
    return fib__atomic_commit(&af, err);
}
