/* job_plan_util.c -- the output staging the plan, workflow and session
 * jobs share (job_plan_internal.h): reports into the transaction, the
 * drawing and export folders, the end of a job.  Kept apart from the
 * drivers so that job_plan.c and session_report.c both depend on this
 * file and not on each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_plan_internal.h"

/* ---------------------------------------------------------------------- */
/* Outputs                                                                */

fib_fmt_txn *fib__job_txn_of(const fib_job_env *env, fib_fmt_txn *own)
{
    return env && env->txn ? env->txn : own;
}

static fib_status stage_write(const fib_job_env *env, fib_fmt_txn **own,
                              const char *path, const fib_fmt_json *j,
                              const fib_fmt_csv *c, fib_error *err)
{
    const char *staged = NULL;
    fib_status st = fib_job_stage(env, own, path, &staged, err);
    if (st != FIB_OK)
        return st;
    return j ? fib_fmt_json_write(j, staged, err)
             : fib_fmt_csv_write(c, staged, err);
}

fib_status fib__job_write_reports(const fib_job_env *env, fib_fmt_txn **own,
                                  fib_status st, const char *json_path,
                                  fib_fmt_json *j, const char *csv_path,
                                  fib_fmt_csv *c, fib_error *err)
{
    if (st == FIB_OK && json_path && j)
        st = stage_write(env, own, json_path, j, NULL, err);
    if (st == FIB_OK && csv_path && c)
        st = stage_write(env, own, csv_path, NULL, c, err);
    fib_fmt_json_destroy(j);
    fib_fmt_csv_destroy(c);
    return st;
}

fib_status fib__job_out_dir(const fib_job_env *env, fib_fmt_txn **own,
                            const char *dir, const char **staged, bool *named,
                            fib_error *err)
{
    fib_fmt_txn *t = NULL;
    fib_error e = {0};
    fib_status st = fib_job_txn(env, own, &t, err);
    if (st != FIB_OK)
        return st;
    st = fib_fmt_txn_dir(t, dir, NULL, 0, staged, &e);
    if (st == FIB_OK)
        return FIB_OK;
    /* an unusable output folder is bad input (the command exits 2) */
    *named = true;
    if (st == FIB_EINVAL)
        return fib_error_set(err, FIB_EINVAL,
                             "--out %s exists and is not a folder", dir);
    return fib_error_set(err, FIB_EINVAL, "cannot create folder %s (%s)", dir,
                         e.msg);
}

fib_status fib__job_export_dir(const fib_job_env *env, fib_fmt_txn **own,
                               const char *dir, const char **staged,
                               bool *named, fib_error *err)
{
    fib_fmt_txn *t = NULL;
    fib_error e = {0};
    fib_status st = fib_job_txn(env, own, &t, err);
    if (st != FIB_OK)
        return st;
    st = fib_fmt_txn_new_dir(t, dir, staged, &e);
    if (st == FIB_OK)
        return FIB_OK;
    /* the folder must be new or empty; a missing parent or a file of that
     * name is bad input */
    *named = true;
    if (st == FIB_ENOMEM)
        return fib_error_set(err, st, "%s", e.msg);
    return fib_error_set(err, FIB_EINVAL, "export folder %s", e.msg);
}

fib_status fib__job_end(const fib_job_env *env, fib_fmt_txn *own, fib_status st,
                        bool named, fib_error *err)
{
    if (st != FIB_OK && !named) /* name the outputs, not the stage */
        fib_fmt_txn_explain(fib__job_txn_of(env, own), err);
    return fib_job_finish(env, own, st, err);
}
