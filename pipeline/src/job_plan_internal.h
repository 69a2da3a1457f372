/*
 * job_plan_internal.h -- private helpers of the planning jobs
 * (fib/job_plan.h): table lines, report documents, drawings and the
 * staging of outputs, shared by the one-site plan, the multi-site session,
 * the workflow recommendation and the slice-and-view run.
 */
#ifndef FIB_JOB_PLAN_INTERNAL_H
#define FIB_JOB_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/job.h"
#include "fib/job_plan.h"
#include "fib/planner.h"
#include "fib/report.h"
#include "fib/session.h"

static inline const char *fib__ion_sym(fib_plan_ion ion)
{
    const fib_plan_ion_info *i = fib_plan_ion_get(ion);
    return i ? i->symbol : "?";
}

#include "job_line.h"

/* ---- terminal tables (plan_report_text.c) ---- */

/* "session: NAME", the workflow block and its check against the
 * session's temperature (@p cryo). */
void fib__say_workflow_head(const fib_job_env *env, const char *name,
                            const fib_plan_workflow *w, unsigned sens,
                            bool cryo);
/* Every ion's primary plan table, both ladder lines, its warnings, then
 * the ion comparison. */
void fib__say_plans(const fib_job_env *env, fib_plan *const *def,
                    fib_plan *const *opt, size_t n, bool optimized_primary);
/* The tables of one multi-site session (session_report.c). */
void fib__say_session(const fib_job_env *env, const fib_session *s,
                      const char *ion, bool optimized);

/* ---- JSON and CSV documents (plan_report_json.c, plan_report_csv.c) ---- */

/* Which optional keys the "workflow" object carries. */
enum { FIB__WF_REQUIRES = 1u, FIB__WF_PROTECTS = 2u };
/* The members of the "workflow" object (inside the current object):
 * number, summary, reason, [requires], [protects], sensitivities,
 * [nanoscale with FIB__WF_PROTECTS], check, check_message. */
void fib__json_workflow(fib_fmt_json *j, const fib_plan_workflow *w,
                        unsigned sens, bool cryo, bool nanoscale,
                        unsigned keys);
/* The whole `cryofib workflow` report (schema in fib/job_plan.h). */
fib_status fib__workflow_json(const fib_plan_workflow *w, unsigned sens,
                              bool cryo, bool nanoscale, fib_fmt_json **out,
                              fib_error *err);
/* The "steps" key of a plan. */
void fib__json_plan_steps(fib_fmt_json *j, const fib_plan *p);
/* The whole plan report of one site (schema in fib/job_plan.h). */
fib_status fib__plan_json(const fib_plan_request *req,
                          const fib_plan_workflow *wf, unsigned sens,
                          fib_plan *const *def, fib_plan *const *opt, size_t n,
                          bool optimized_primary, fib_fmt_json **out,
                          fib_error *err);
/* The whole session report of several sites. */
fib_status fib__session_json(const fib_session_request *req,
                             const fib_plan_workflow *wf, unsigned sens,
                             fib_session *const *ss, size_t n,
                             fib_fmt_json **out, fib_error *err);
fib_status fib__plan_csv(fib_plan *const *def, fib_plan *const *opt, size_t n,
                         fib_fmt_csv **out, fib_error *err);
fib_status fib__session_csv(fib_session *const *ss, size_t n, fib_fmt_csv **out,
                            fib_error *err);

/* ---- drawings (plan_drawings.c, session_report.c) ---- */

/* site-<ion>.png (beam view + lamella zoom), side-<ion>.png (commanded vs
 * physical depth in the stack), timeline.png (every ion's steps). */
fib_status fib__draw_site(const fib_plan *p, const char *path, fib_error *err);
fib_status fib__draw_side(const fib_plan *p, const char *path, fib_error *err);
fib_status fib__draw_timeline(fib_plan *const *plans, size_t n,
                              const char *path, fib_error *err);
/* timeline-<ion>.png of a session and every site's own drawings. */
fib_status fib__draw_session_all(fib_session *const *ss, size_t n,
                                 const char *dir, fib_error *err);

/* ---- outputs (job_plan.c) ---- */

/* The transaction outputs are staged in: env->txn or *own. */
fib_fmt_txn *fib__job_txn_of(const fib_job_env *env, fib_fmt_txn *own);
/* With @p st == FIB_OK: stage and write @p j at @p json_path and @p c at
 * @p csv_path (each when both are non-NULL); then destroy @p j and @p c.
 * Returns @p st or the first failure. */
fib_status fib__job_write_reports(const fib_job_env *env, fib_fmt_txn **own,
                                  fib_status st, const char *json_path,
                                  fib_fmt_json *j, const char *csv_path,
                                  fib_fmt_csv *c, fib_error *err);
/* Stage the --out folder @p dir (replaced as a whole by its manifest):
 * an unusable folder is bad input, FIB_EINVAL with "--out DIR exists and
 * is not a folder" or "cannot create folder DIR (...)".  Sets *@p named
 * (the message already names the final folder). */
fib_status fib__job_out_dir(const fib_job_env *env, fib_fmt_txn **own,
                            const char *dir, const char **staged, bool *named,
                            fib_error *err);
/* Stage the new-or-empty export folder @p dir: FIB_EINVAL "export folder
 * ..." when it cannot be (FIB_ENOMEM passed on).  Sets *@p named. */
fib_status fib__job_export_dir(const fib_job_env *env, fib_fmt_txn **own,
                               const char *dir, const char **staged,
                               bool *named, fib_error *err);
/* End of a job: name the outputs in the error (unless @p named), then
 * fib_job_finish(). */
fib_status fib__job_end(const fib_job_env *env, fib_fmt_txn *own, fib_status st,
                        bool named, fib_error *err);

/* The multi-site session run (session_report.c). */
fib_status fib__job_session(const fib_job_plan_params *p,
                            const fib_session_request *req,
                            const fib_plan_materials *db,
                            const fib_job_env *env, fib_job_plan_result *res,
                            fib_error *err);

#endif
