/*
 * plan_util.c -- private helpers every file of planner/src/plan uses
 * (plan_internal.h): the column of an ion set-up, plan warnings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan_internal.h"

const fib_plan_column *fib__plan_column(const fib_plan_ion_setup *io)
{
    if (io->column[0])
        return fib_plan_column_find(io->column);
    return fib_plan_column_for_ion(io->ion);
}

void fib__plan_warn(fib_plan *p, const char *fmt, ...)
{
    if (p->n_warn >= FIB__PLAN_MAX_WARN)
        return;
    char buf[FIB_PLAN_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < p->n_warn; i++)
        if (!strcmp(p->warn[i], buf))
            return;
    memcpy(p->warn[p->n_warn++], buf, sizeof buf);
}
