/* job_line.c -- output lines built in pieces (job_line.h). */
#include <stdarg.h>
#include <stdio.h>

#include "job_line.h"

void fib__line_add(fib__line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int w = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        l->n += (size_t)w < sizeof l->buf - l->n ? (size_t)w
                                                 : sizeof l->buf - 1 - l->n;
}

void fib__line_say(const fib_job_env *env, fib__line *l)
{
    l->buf[l->n < sizeof l->buf ? l->n : sizeof l->buf - 1] = '\0';
    fib_job_say(env, FIB_JOB_RESULT, "%s", l->buf);
    l->n = 0;
    l->buf[0] = '\0';
}
