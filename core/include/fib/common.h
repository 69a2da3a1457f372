/*
 * fib/common.h -- status codes, the caller-owned error buffer, export and
 * attribute macros shared by every cryofib module.
 *
 * Error model (house style rule 3, after curl's CURLOPT_ERRORBUFFER): every
 * fallible function returns a fib_status and takes a `fib_error *err` as its
 * last parameter, which may be NULL.  The first error written wins; callers
 * further up may prefix context with fib_error_prefix() but never replace
 * the root cause.  Messages are one line, lower case, no trailing period,
 * and start with the module name: "formats: a.tif: truncated strip 3".
 */
#ifndef FIB_COMMON_H
#define FIB_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define FIB_API __attribute__((visibility("default")))
#define FIB_NODISCARD __attribute__((warn_unused_result))
#define FIB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FIB_API
#define FIB_NODISCARD
#define FIB_PRINTF(fmt, args)
#endif

/* The one table of status codes (libuv's UV_ERRNO_MAP pattern). */
#define FIB_STATUS_MAP(X)                                                      \
    X(FIB_OK, "success")                                                       \
    X(FIB_ENOMEM, "out of memory")                                             \
    X(FIB_EINVAL, "invalid argument")                                          \
    X(FIB_EIO, "input/output error")                                           \
    X(FIB_ENOTFOUND, "file or item not found")                                 \
    X(FIB_EFORMAT, "malformed or unsupported file")                            \
    X(FIB_ERANGE, "value out of range")                                        \
    X(FIB_ENUMERIC, "numerical failure")                                       \
    X(FIB_EBUDGET, "memory budget exceeded")                                   \
    X(FIB_ECANCELED, "operation canceled")                                     \
    X(FIB_EUNSUPPORTED, "feature not supported")

typedef enum fib_status {
#define FIB_X_(code, text) code,
    FIB_STATUS_MAP(FIB_X_)
#undef FIB_X_
        FIB_STATUS_COUNT_
} fib_status;

enum { FIB_ERROR_SIZE = 256 };

/** Caller-owned error buffer, usually on the stack; zero-initialise it. */
typedef struct fib_error {
    fib_status code;          /**< FIB_OK while no error was recorded */
    char msg[FIB_ERROR_SIZE]; /**< "" when no message */
} fib_error;

/** Static text for a status code; never NULL, unknown codes give "unknown". */
FIB_API const char *fib_strerror(fib_status code);

/** Short symbolic name ("FIB_EINVAL") of a status code; never NULL. */
FIB_API const char *fib_status_name(fib_status code);

/**
 * Record an error in @p err (if non-NULL and still empty) and return @p code.
 * The first error wins: a buffer that already holds an error is left alone.
 * Thread-safety: safe on distinct buffers.
 */
FIB_API fib_status fib_error_set(fib_error *err, fib_status code,
                                 const char *fmt, ...) FIB_PRINTF(3, 4);

/** va_list form of fib_error_set(). */
FIB_API fib_status fib_error_vset(fib_error *err, fib_status code,
                                  const char *fmt, va_list ap) FIB_PRINTF(3, 0);

/**
 * Prefix context ("slice 212: ") to the message already in @p err.  Does
 * nothing when @p err is NULL or holds no error.  The text is truncated to
 * FIB_ERROR_SIZE - 1 bytes, keeping the prefix.
 */
FIB_API void fib_error_prefix(fib_error *err, const char *fmt, ...)
    FIB_PRINTF(2, 3);

/** Reset @p err to "no error". NULL is a no-op. */
FIB_API void fib_error_clear(fib_error *err);

/** Library version, "MAJOR.MINOR.PATCH". */
FIB_API const char *fib_version_string(void);

/** Whether a status code denotes bad input (as opposed to a failure of the
 *  work).  The CLI maps the former to exit status 2, the latter to 1. */
FIB_API bool fib_status_is_bad_input(fib_status code);

#ifdef __cplusplus
}
#endif

#endif /* FIB_COMMON_H */
