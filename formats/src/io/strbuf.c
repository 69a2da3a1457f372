/* strbuf.c -- growable string buffer (private). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void fib__strbuf_init(fib__strbuf *b)
{
    memset(b, 0, sizeof *b);
}

void fib__strbuf_clear(fib__strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static bool reserve(fib__strbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void fib__strbuf_append(fib__strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void fib__strbuf_puts(fib__strbuf *b, const char *s)
{
    fib__strbuf_append(b, s, strlen(s));
}

void fib__strbuf_putc(fib__strbuf *b, char c)
{
    fib__strbuf_append(b, &c, 1);
}

void fib__strbuf_printf(fib__strbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        fib__strbuf_append(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
