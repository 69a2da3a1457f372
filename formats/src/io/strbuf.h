/*
 * strbuf.h -- private: a growable NUL-terminated byte buffer used by the
 * report writers and text renderers inside the library.  A failed append
 * sets `failed` and later appends are ignored, so callers check once.
 */
#ifndef FIB_CORE_STRBUF_H
#define FIB_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>

#include "fib/common.h"

typedef struct fib__strbuf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} fib__strbuf;

void fib__strbuf_init(fib__strbuf *b);
void fib__strbuf_clear(fib__strbuf *b);
void fib__strbuf_append(fib__strbuf *b, const char *s, size_t n);
void fib__strbuf_puts(fib__strbuf *b, const char *s);
void fib__strbuf_putc(fib__strbuf *b, char c);
void fib__strbuf_printf(fib__strbuf *b, const char *fmt, ...) FIB_PRINTF(2, 3);

#endif
