/* job_plan.c -- `cryofib plan` and `cryofib workflow` as library calls
 * (fib/job_plan.h): read the session and materials files, plan every ion
 * (default and optimized ladders), say the tables, write the reports. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/job_paths.h"
#include "fib/materials_cfg.h"
#include "fib/session_cfg.h"
#include "fib/session_sites_cfg.h"
#include "job_plan_internal.h"

/* ---------------------------------------------------------------------- */
/* One site                                                               */

static fib_status plan_outputs(const fib_job_plan_params *p,
                               const fib_plan_request *req,
                               const fib_plan_workflow *wf, unsigned sens,
                               fib_plan *const *def, fib_plan *const *opt,
                               size_t n, const fib_job_env *env,
                               fib_fmt_txn **own, bool *named, fib_error *err)
{
    fib_plan *const *prim = p->optimized_primary ? opt : def;
    fib_fmt_json *j = NULL;
    fib_fmt_csv *csv = NULL;
    fib_status st = FIB_OK;
    if (p->json_path)
        st = fib__plan_json(req, wf, sens, def, opt, n, p->optimized_primary,
                            &j, err);
    if (st == FIB_OK && p->csv_path)
        st = fib__plan_csv(def, opt, n, &csv, err);
    st = fib__job_write_reports(env, own, st, p->json_path, j, p->csv_path, csv,
                                err);
    if (st != FIB_OK)
        return st;
    const char *dir = NULL;
    char path[4096];
    if (p->out_dir) {
        st = fib__job_out_dir(env, own, p->out_dir, &dir, named, err);
        for (size_t i = 0; i < n && st == FIB_OK; i++) {
            const char *is = fib__ion_sym(fib_plan_get_ion(prim[i]));
            snprintf(path, sizeof path, "%s/site-%s.png", dir, is);
            st = fib__draw_site(prim[i], path, err);
            snprintf(path, sizeof path, "%s/side-%s.png", dir, is);
            if (st == FIB_OK)
                st = fib__draw_side(prim[i], path, err);
        }
        snprintf(path, sizeof path, "%s/timeline.png", dir ? dir : "");
        if (st == FIB_OK)
            st = fib__draw_timeline(prim, n, path, err);
        if (st != FIB_OK)
            return st;
    }
    if (p->export_dir) {
        /* last, so that nothing can fail after it */
        st = fib__job_export_dir(env, own, p->export_dir, &dir, named, err);
        if (st == FIB_OK)
            st = fib_fmt_plan_export((const fib_plan *const *)prim, n,
                                     p->export_kind, dir, err);
    }
    return st;
}

static fib_status job_plan_one(const fib_job_plan_params *p,
                               const fib_plan_request *req,
                               const fib_plan_materials *db,
                               const fib_job_env *env, fib_job_plan_result *res,
                               fib_error *err)
{
    fib_plan *def[FIB_PLAN_MAX_IONS] = {0}, *opt[FIB_PLAN_MAX_IONS] = {0};
    fib_fmt_txn *own = NULL;
    bool named = false;
    size_t n = req->n_ions;
    unsigned sens = 0;
    fib_status st = fib_plan_request_sens(req, db, &sens, err);
    fib_plan_workflow wf = fib_plan_workflow_recommend(sens, req->nanoscale);
    for (size_t i = 0; i < n && st == FIB_OK; i++) {
        st = fib_plan_create(req, i, FIB_PLAN_LADDER_DEFAULT, db, &def[i], err);
        if (st == FIB_OK)
            st = fib_plan_create(req, i, FIB_PLAN_LADDER_OPTIMIZED, db, &opt[i],
                                 err);
    }
    if (st == FIB_OK && !p->quiet) {
        fib__say_workflow_head(env, req->name, &wf, sens, req->cryo);
        fib__say_plans(env, def, opt, n, p->optimized_primary);
    }
    if (st == FIB_OK)
        st = plan_outputs(p, req, &wf, sens, def, opt, n, env, &own, &named,
                          err);
    if (st == FIB_OK && res) {
        fib_plan *const *prim = p->optimized_primary ? opt : def;
        res->workflow = wf.number;
        res->n_ions = n;
        res->n_sites = 1;
        for (size_t i = 0; i < n; i++) {
            res->total_time_s[i] = fib_plan_total_time_s(prim[i]);
            res->milling_time_s[i] = fib_plan_milling_time_s(prim[i]);
            res->n_steps[i] = fib_plan_step_count(prim[i]);
        }
    }
    st = fib__job_end(env, own, st, named, err);
    for (size_t i = 0; i < n; i++) {
        fib_plan_destroy(def[i]);
        fib_plan_destroy(opt[i]);
    }
    return st;
}

/* ---------------------------------------------------------------------- */
/* Inputs                                                                 */

/* The embedded demo session with the species of the comma list @p ions
 * (NULL: the demo's own). */
static fib_status demo_request(const char *ions, fib_plan_request *req,
                               fib_error *err)
{
    fib_plan_request_default(req);
    if (!ions)
        return FIB_OK;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", ions);
    req->n_ions = 0;
    char *save = NULL;
    fib_status st = FIB_OK;
    for (char *t = strtok_r(buf, ",", &save); t && st == FIB_OK;
         t = strtok_r(NULL, ",", &save)) {
        if (req->n_ions == FIB_PLAN_MAX_IONS)
            return fib_error_set(err, FIB_EINVAL,
                                 "--ion names too many species");
        memset(&req->ions[req->n_ions], 0, sizeof req->ions[0]);
        st = fib_plan_ion_parse(t, &req->ions[req->n_ions++].ion, err);
    }
    return st;
}

static fib_status load_materials(const char *path, fib_plan_materials **db,
                                 fib_error *err)
{
    fib_status st = fib_plan_materials_create(db, err);
    if (st == FIB_OK && path)
        st = fib_fmt_materials_cfg_load(*db, path, err);
    return st;
}

fib_status fib_job_plan(const fib_job_plan_params *p, const fib_job_env *env,
                        fib_job_plan_result *res, fib_error *err)
{
    if (!p)
        return fib_error_set(err, FIB_EINVAL, "plan: no parameters");
    if (res)
        memset(res, 0, sizeof *res);
    /* no output may be the session or materials file (fib/job_paths.h) */
    const char *ins[] = {p->session_path, p->materials_path},
               *opt[] = {"--json", "--csv", "--out"},
               *out[] = {p->json_path, p->csv_path, p->out_dir};
    fib_status st = fib_job_check_outputs(3, opt, out, ins, 2, err);
    if (st != FIB_OK)
        return st;
    fib_plan_materials *db = NULL;
    fib_plan_request req;
    st = load_materials(p->materials_path, &db, err);
    if (st == FIB_OK && !p->session_path)
        st = demo_request(p->ions, &req, err);
    else if (st == FIB_OK)
        st = fib_fmt_session_read(p->session_path, db, p->ions, &req, err);
    /* a file with `sites = (...)` is a multi-site session (session.h) */
    fib_session_request *sreq = NULL;
    bool has_sites = false;
    if (st == FIB_OK && p->session_path) {
        sreq = malloc(sizeof *sreq);
        st = sreq ? fib_fmt_session_cfg_read_sites(p->session_path, &req, sreq,
                                                   &has_sites, err)
                  : fib_error_set(err, FIB_ENOMEM, "out of memory");
    }
    if (st == FIB_OK && has_sites)
        st = fib__job_session(p, sreq, db, env, res, err);
    else if (st == FIB_OK)
        st = job_plan_one(p, &req, db, env, res, err);
    free(sreq);
    fib_plan_materials_destroy(db);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Workflow                                                               */

fib_status fib_job_workflow(const fib_job_workflow_params *p,
                            const fib_job_env *env, int *number, fib_error *err)
{
    if (!p || !p->session_path)
        return fib_error_set(err, FIB_EINVAL, "workflow: no session file");
    const char *ins[] = {p->session_path, p->materials_path}, *opt = "--json";
    fib_status st = fib_job_check_outputs(1, &opt, &p->json_path, ins, 2, err);
    if (st != FIB_OK) /* the report is not an input (fib/job_paths.h) */
        return st;
    fib_plan_materials *db = NULL;
    fib_fmt_json *j = NULL;
    fib_fmt_txn *own = NULL;
    fib_plan_request req;
    unsigned sens = 0;
    st = load_materials(p->materials_path, &db, err);
    if (st == FIB_OK)
        st = fib_fmt_session_read(p->session_path, db, NULL, &req, err);
    if (st == FIB_OK)
        st = fib_plan_request_sens(&req, db, &sens, err);
    fib_plan_materials_destroy(db);
    if (st != FIB_OK)
        return st;
    fib_plan_workflow w = fib_plan_workflow_recommend(sens, req.nanoscale);
    if (number)
        *number = w.number;
    fib__say_workflow_head(env, req.name, &w, sens, req.cryo);
    if (p->json_path) {
        st = fib__workflow_json(&w, sens, req.cryo, req.nanoscale, &j, err);
        st = fib__job_write_reports(env, &own, st, p->json_path, j, NULL, NULL,
                                    err);
    }
    return fib__job_end(env, own, st, false, err);
}
