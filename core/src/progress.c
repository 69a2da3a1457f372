/* progress.c -- progress reporting with cancellation. */
#include "fib/progress.h"

fib_status fib_progress_report(const fib_progress *p, const char *stage,
                               size_t done, size_t total, fib_error *err)
{
    if (!p || !p->fn)
        return FIB_OK;
    const fib_status st = p->fn(p->user, stage ? stage : "", done, total);
    if (st == FIB_OK)
        return FIB_OK;
    return fib_error_set(err, FIB_ECANCELED, "%s: canceled",
                         stage ? stage : "work");
}
