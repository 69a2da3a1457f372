/* job_line.h -- one output line built in pieces (private to pipeline/):
 * fib__line_add() appends printf-style text (cut at 4 KiB), and
 * fib__line_say() sends it as a FIB_JOB_RESULT message and empties it. */
#ifndef FIB_JOB_LINE_H
#define FIB_JOB_LINE_H

#include <stddef.h>

#include "fib/job.h"

typedef struct fib__line {
    char buf[4096];
    size_t n;
} fib__line;

void fib__line_add(fib__line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fib__line_say(const fib_job_env *env, fib__line *l);

#endif
