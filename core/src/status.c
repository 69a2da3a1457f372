/* status.c -- status table, error buffer, version. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "fib/common.h"
#include "fib_version.h"

const char *fib_strerror(fib_status code)
{
    switch (code) {
#define FIB_X_(c, text)                                                        \
    case c:                                                                    \
        return text;
        FIB_STATUS_MAP(FIB_X_)
#undef FIB_X_
    default:
        return "unknown";
    }
}

const char *fib_status_name(fib_status code)
{
    switch (code) {
#define FIB_X_(c, text)                                                        \
    case c:                                                                    \
        return #c;
        FIB_STATUS_MAP(FIB_X_)
#undef FIB_X_
    default:
        return "FIB_UNKNOWN";
    }
}

fib_status fib_error_vset(fib_error *err, fib_status code, const char *fmt,
                          va_list ap)
{
    if (!err || err->code != FIB_OK)
        return code;
    err->code = code;
    if (fmt) {
        (void)vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        /* Messages are one line: fold any newline the caller let in. */
        for (char *p = err->msg; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    } else {
        err->msg[0] = '\0';
    }
    return code;
}

fib_status fib_error_set(fib_error *err, fib_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const fib_status st = fib_error_vset(err, code, fmt, ap);
    va_end(ap);
    return st;
}

void fib_error_prefix(fib_error *err, const char *fmt, ...)
{
    if (!err || err->code == FIB_OK)
        return;
    char prefix[FIB_ERROR_SIZE];
    char old[FIB_ERROR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is intended: the prefix is kept, the tail may be cut. */
    const size_t np = strnlen(prefix, sizeof err->msg - 1);
    memcpy(err->msg, prefix, np);
    const size_t room = sizeof err->msg - 1 - np;
    const size_t no = strnlen(old, room);
    memcpy(err->msg + np, old, no);
    err->msg[np + no] = '\0';
}

void fib_error_clear(fib_error *err)
{
    if (!err)
        return;
    err->code = FIB_OK;
    err->msg[0] = '\0';
}

const char *fib_version_string(void)
{
    return FIB_VERSION_STRING;
}

bool fib_status_is_bad_input(fib_status code)
{
    switch (code) {
    case FIB_EINVAL:
    case FIB_ENOTFOUND:
    case FIB_EFORMAT:
    case FIB_ERANGE:
    case FIB_EUNSUPPORTED:
    case FIB_EBUDGET:
        return true;
    default:
        return false;
    }
}
