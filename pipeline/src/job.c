/* job.c -- the shared part of every pipeline job (fib/job.h): messages and
 * the output transaction. */
#include <stdio.h>

#include "fib/job.h"

void fib_job_vsay(const fib_job_env *env, fib_job_level level, const char *fmt,
                  va_list ap)
{
    if (!env || !env->message)
        return;
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    env->message(env->message_user, level, line);
}

void fib_job_say(const fib_job_env *env, fib_job_level level, const char *fmt,
                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    fib_job_vsay(env, level, fmt, ap);
    va_end(ap);
}

fib_status fib_job_txn(const fib_job_env *env, fib_fmt_txn **own,
                       fib_fmt_txn **out, fib_error *err)
{
    if (env && env->txn) {
        *out = env->txn;
        return FIB_OK;
    }
    if (!*own) {
        const fib_status st = fib_fmt_txn_begin(own, err);
        if (st != FIB_OK)
            return st;
    }
    *out = *own;
    return FIB_OK;
}

fib_status fib_job_stage(const fib_job_env *env, fib_fmt_txn **own,
                         const char *final_path, const char **staged,
                         fib_error *err)
{
    fib_fmt_txn *t = NULL;
    const fib_status st = fib_job_txn(env, own, &t, err);
    if (st != FIB_OK)
        return st;
    return fib_fmt_txn_path(t, final_path, staged, err);
}

fib_status fib_job_finish(const fib_job_env *env, fib_fmt_txn *own,
                          fib_status st, fib_error *err)
{
    if (!own)
        return st;
    if (st != FIB_OK) {
        fib_fmt_txn_abort(own);
        return st;
    }
    const fib_progress *prog = env ? &env->progress : NULL;
    if (prog && !prog->fn)
        prog = NULL;
    return fib_fmt_txn_commit(own, prog, err);
}
