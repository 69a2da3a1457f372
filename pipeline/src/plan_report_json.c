/* plan_report_json.c -- the JSON reports of `cryofib plan` (one site or a
 * session of several) and the "workflow" object shared with
 * `cryofib workflow`; schemas in fib/job_plan.h. */
#include <stdio.h>

#include "job_plan_internal.h"

void fib__json_workflow(fib_fmt_json *j, const fib_plan_workflow *w,
                        unsigned sens, bool cryo, bool nanoscale, unsigned keys)
{
    char sb[160];
    fib_fmt_json_kv_int(j, "number", w->number);
    fib_fmt_json_kv_string(j, "summary", w->summary);
    fib_fmt_json_kv_string(j, "reason", w->reason);
    if (keys & FIB__WF_REQUIRES) {
        fib_fmt_json_key(j, "requires");
        fib_fmt_json_begin_array(j);
        for (int i = 0; i < 6 && w->requires[i]; i++)
            fib_fmt_json_string(j, w->requires[i]);
        fib_fmt_json_end_array(j);
    }
    if (keys & FIB__WF_PROTECTS) {
        fib_fmt_json_key(j, "protects");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_bool(j, "electron_beam", w->protects_ebeam);
        fib_fmt_json_kv_bool(j, "air_moisture", w->protects_air);
        fib_fmt_json_kv_bool(j, "ion_beam", w->protects_ion);
        fib_fmt_json_kv_bool(j, "thermal", w->protects_thermal);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_kv_string(j, "sensitivities",
                           fib_plan_sens_string(sens, sb, sizeof sb));
    if (keys & FIB__WF_PROTECTS)
        fib_fmt_json_kv_bool(j, "nanoscale", nanoscale);
    /* the workflow/plan check against the session's temperature */
    char msg[FIB_PLAN_LINE_MAX];
    fib_plan_workflow_conflict c =
        fib_plan_workflow_check(w, cryo, msg, sizeof msg);
    fib_fmt_json_kv_string(j, "check",
                           c == FIB_PLAN_WORKFLOW_WARNING ? "warning"
                           : c == FIB_PLAN_WORKFLOW_NOTE  ? "note"
                                                          : "ok");
    fib_fmt_json_kv_string(j, "check_message", msg);
}

/* The "workflow" key with its object. */
static void json_workflow_key(fib_fmt_json *j, const fib_plan_workflow *w,
                              unsigned sens, bool cryo, unsigned keys)
{
    fib_fmt_json_key(j, "workflow");
    fib_fmt_json_begin_object(j);
    fib__json_workflow(j, w, sens, cryo, false, keys);
    fib_fmt_json_end_object(j);
}

fib_status fib__workflow_json(const fib_plan_workflow *w, unsigned sens,
                              bool cryo, bool nanoscale, fib_fmt_json **out,
                              fib_error *err)
{
    fib_status st = fib_fmt_json_create(2, out, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_begin_object(*out);
    fib_fmt_json_key(*out, "workflow");
    fib_fmt_json_begin_object(*out);
    fib__json_workflow(*out, w, sens, cryo, nanoscale,
                       FIB__WF_REQUIRES | FIB__WF_PROTECTS);
    fib_fmt_json_end_object(*out);
    fib_fmt_json_end_object(*out);
    return FIB_OK;
}

static void json_warnings(fib_fmt_json *j, const fib_plan *p)
{
    fib_fmt_json_key(j, "warnings");
    fib_fmt_json_begin_array(j);
    for (size_t w = 0; w < fib_plan_warning_count(p); w++)
        fib_fmt_json_string(j, fib_plan_warning_get(p, w));
    fib_fmt_json_end_array(j);
}

void fib__json_plan_steps(fib_fmt_json *j, const fib_plan *p)
{
    fib_fmt_json_key(j, "steps");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "name", s->name);
        fib_fmt_json_kv_string(j, "kind", fib_geom_kind_name(s->pattern.kind));
        fib_fmt_json_kv_bool(j, "mills", s->mills);
        fib_fmt_json_kv_number(j, "energy_kev", s->energy_keV);
        fib_fmt_json_kv_number(j, "current_pA", s->current_pA);
        fib_fmt_json_kv_number(j, "volume_um3", s->volume_um3);
        fib_fmt_json_kv_number(j, "area_um2", s->pattern.area_um2);
        fib_fmt_json_kv_number(j, "vpd_um3_per_nC", s->vpd_um3_per_nC);
        fib_fmt_json_kv_number(j, "dose_nC", s->dose_nC);
        fib_fmt_json_kv_number(j, "dose_ions_cm2", s->dose_ions_cm2);
        fib_fmt_json_kv_number(j, "commanded_time_s", s->commanded_time_s);
        fib_fmt_json_kv_number(j, "commanded_depth_um", s->commanded_depth_um);
        fib_fmt_json_kv_number(j, "physical_depth_um", s->physical_depth_um);
        fib_fmt_json_kv_number(j, "target_depth_um", s->target_depth_um);
        fib_fmt_json_kv_number(j, "removed_per_face_nm",
                               s->removed_per_face_nm);
        fib_fmt_json_kv_number(j, "removal_um3_per_nC", s->removal_um3_per_nC);
        fib_fmt_json_kv_number(j, "damage_depth_nm", s->damage_depth_nm);
        fib_fmt_json_kv_number(j, "probe_d_nm", s->probe_d_nm);
        fib_fmt_json_kv_number(j, "distance_um", s->distance_um);
        fib_fmt_json_kv_number(j, "incidence_deg", s->pattern.incidence_deg);
        if (s->thickness_after_nm > 0) {
            fib_fmt_json_kv_number(j, "thickness_before_nm",
                                   s->thickness_before_nm);
            fib_fmt_json_kv_number(j, "thickness_after_nm",
                                   s->thickness_after_nm);
        }
        fib_fmt_json_key(j, "overheads_s");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_number(j, "current_change", s->overhead_current_s);
        fib_fmt_json_kv_number(j, "stage_move", s->overhead_stage_s);
        fib_fmt_json_kv_number(j, "alignment", s->overhead_align_s);
        fib_fmt_json_kv_number(j, "imaging", s->overhead_image_s);
        fib_fmt_json_kv_number(j, "other", s->overhead_other_s);
        fib_fmt_json_end_object(j);
        fib_fmt_json_key(j, "boxes");
        fib_fmt_json_begin_array(j);
        for (int b = 0; b < s->pattern.n_boxes; b++) {
            const fib_geom_box *x = &s->pattern.box[b];
            fib_fmt_json_begin_array(j);
            fib_fmt_json_number(j, x->x0_um);
            fib_fmt_json_number(j, x->y0_um);
            fib_fmt_json_number(j, x->x1_um);
            fib_fmt_json_number(j, x->y1_um);
            fib_fmt_json_number(j, x->depth_um);
            fib_fmt_json_end_array(j);
        }
        fib_fmt_json_end_array(j);
        fib_fmt_json_kv_number(j, "start_s", s->start_s);
        fib_fmt_json_kv_number(j, "end_s", s->end_s);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
}

static void json_totals(fib_fmt_json *j, const fib_plan *p)
{
    fib_fmt_json_kv_number(j, "total_time_s", fib_plan_total_time_s(p));
    fib_fmt_json_kv_number(j, "milling_time_s", fib_plan_milling_time_s(p));
    fib_fmt_json_kv_number(j, "final_thickness_nm",
                           fib_plan_final_thickness_nm(p));
    fib_fmt_json_kv_number(j, "final_damage_nm", fib_plan_final_damage_nm(p));
}

static void json_comparison(fib_fmt_json *j, fib_plan *const *prim, size_t n)
{
    fib_plan_totals tot[FIB_PLAN_MAX_IONS];
    fib_plan_compare((const fib_plan *const *)prim, n, tot);
    fib_fmt_json_key(j, "comparison");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "ion", fib__ion_sym(tot[i].ion));
        fib_fmt_json_kv_number(j, "milling_time_s", tot[i].milling_time_s);
        fib_fmt_json_kv_number(j, "total_time_s", tot[i].total_time_s);
        fib_fmt_json_kv_number(j, "final_damage_nm", tot[i].final_damage_nm);
        fib_fmt_json_kv_number(j, "implanted_fraction",
                               tot[i].implanted_fraction);
        fib_fmt_json_kv_number(j, "ratio_milling", tot[i].ratio_milling);
        fib_fmt_json_kv_number(j, "ratio_total", tot[i].ratio_total);
        fib_fmt_json_kv_number(j, "ratio_damage", tot[i].ratio_damage);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
}

fib_status fib__plan_json(const fib_plan_request *req,
                          const fib_plan_workflow *wf, unsigned sens,
                          fib_plan *const *def, fib_plan *const *opt, size_t n,
                          bool optimized_primary, fib_fmt_json **out,
                          fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st != FIB_OK)
        return st;
    fib_plan *const *prim = optimized_primary ? opt : def;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "session", req->name);
    json_workflow_key(j, wf, sens, req->cryo, FIB__WF_REQUIRES);
    fib_fmt_json_key(j, "plans");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        const fib_plan *p = prim[i];
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "ion", fib__ion_sym(fib_plan_get_ion(p)));
        fib_fmt_json_kv_string(j, "ladder",
                               optimized_primary ? "optimized" : "default");
        fib_fmt_json_kv_string(j, "roi_material", fib_plan_roi_material(p));
        json_totals(j, p);
        fib_fmt_json_kv_number(j, "implanted_fraction",
                               fib_plan_implanted_at_faces(p));
        fib_fmt_json_kv_number(j, "ice_on_lamella_nm",
                               fib_plan_ice_on_lamella_nm(p));
        fib_fmt_json_kv_number(j, "ice_session_nm", fib_plan_ice_session_nm(p));
        fib__json_plan_steps(j, p);
        json_warnings(j, p);
        const fib_plan *alt = optimized_primary ? def[i] : opt[i];
        fib_fmt_json_key(j, optimized_primary ? "default" : "optimized");
        fib_fmt_json_begin_object(j);
        json_totals(j, alt);
        fib__json_plan_steps(j, alt);
        fib_fmt_json_end_object(j);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    json_comparison(j, prim, n);
    fib_fmt_json_end_object(j);
    *out = j;
    return FIB_OK;
}

/* ---------------------------------------------------------------------- */
/* Sessions of several sites                                              */

static void json_session_totals(fib_fmt_json *j, const fib_session *s)
{
    fib_session_summary S = fib_session_get_summary(s);
    fib_fmt_json_kv_int(j, "workflow", S.workflow);
    fib_fmt_json_kv_int(j, "n_sites", (long long)S.n_sites);
    fib_fmt_json_kv_number(j, "total_time_s", S.total_s);
    fib_fmt_json_kv_number(j, "milling_time_s", S.milling_s);
    fib_fmt_json_kv_number(j, "overhead_s", S.overhead_s);
    fib_fmt_json_kv_number(j, "phases_s", S.phases_s);
    fib_fmt_json_kv_number(j, "schedule_s", S.schedule_s);
    fib_fmt_json_kv_number(j, "schedule_sitewise_s", S.schedule_sitewise_s);
    fib_fmt_json_kv_number(j, "time_saved_s", S.time_saved_s);
    fib_fmt_json_kv_int(j, "current_changes", (long long)S.current_changes);
    fib_fmt_json_kv_int(j, "current_changes_sitewise",
                        (long long)S.current_changes_sitewise);
    fib_fmt_json_kv_int(j, "site_moves", (long long)S.site_moves);
    fib_fmt_json_kv_int(j, "site_moves_sitewise",
                        (long long)S.site_moves_sitewise);
    fib_fmt_json_kv_number(j, "success_rate", S.success_rate);
    fib_fmt_json_kv_string(j, "success_source", S.success_source);
    fib_fmt_json_kv_number(j, "expected_lamellae", S.expected_lamellae);
    fib_fmt_json_kv_number(j, "lamellae_per_day", S.lamellae_per_day);
    fib_fmt_json_kv_number(j, "ice_max_nm", S.ice_max_nm);
    fib_fmt_json_kv_number(j, "ice_max_sitewise_nm", S.ice_max_sitewise_nm);
}

static void json_session_phases(fib_fmt_json *j, const fib_session *s)
{
    fib_fmt_json_key(j, "phases");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_session_phase_count(s); i++) {
        const fib_session_phase *p = fib_session_phase_get(s, i);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "name", p->name);
        fib_fmt_json_kv_string(j, "kind", fib_session_phase_kind_name(p->kind));
        fib_fmt_json_kv_number(j, "temperature_K", p->temperature_K);
        fib_fmt_json_kv_number(j, "duration_s", p->duration_s);
        fib_fmt_json_kv_number(j, "start_s", p->start_s);
        fib_fmt_json_kv_number(j, "end_s", p->end_s);
        fib_fmt_json_key(j, "batches");
        fib_fmt_json_begin_array(j);
        for (int b = 0; b < FIB_SESSION_BATCH_COUNT_; b++)
            if (p->batches & (1u << b))
                fib_fmt_json_string(
                    j, fib_session_batch_name((fib_session_batch)b));
        fib_fmt_json_end_array(j);
        fib_fmt_json_kv_string(j, "source", p->source);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
}

static void json_session_sites(fib_fmt_json *j, const fib_session *s)
{
    fib_fmt_json_key(j, "sites");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < fib_session_site_count(s); k++) {
        const fib_session_site *si = fib_session_site_get(s, k);
        const fib_plan *p = fib_session_site_plan(s, k);
        const fib_session_site_result *r = fib_session_site_result_get(s, k);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "name", si->name);
        fib_fmt_json_kv_number(j, "x_um", si->x_um);
        fib_fmt_json_kv_number(j, "y_um", si->y_um);
        fib_fmt_json_kv_string(
            j, "method",
            fib_geom_method_name(fib_plan_get_request(p)->site.method));
        fib_fmt_json_kv_int(j, "n_steps", (long long)fib_plan_step_count(p));
        fib_fmt_json_kv_number(j, "milling_time_s", r->milling_s);
        fib_fmt_json_kv_number(j, "overhead_s", r->overhead_s);
        fib_fmt_json_kv_number(j, "final_thickness_nm", r->final_thickness_nm);
        fib_fmt_json_kv_number(j, "done_s", r->polish_end_s);
        fib_fmt_json_kv_number(j, "ice_after_nm", r->ice_after_nm);
        fib_fmt_json_kv_number(j, "ice_sitewise_nm", r->ice_sitewise_nm);
        fib_fmt_json_kv_number(j, "site_plan_total_s",
                               fib_plan_total_time_s(p));
        /* the site's own plan, step by step (single-site timing) */
        fib__json_plan_steps(j, p);
        json_warnings(j, p);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
}

static void json_session_steps(fib_fmt_json *j, const fib_session *s)
{
    fib_fmt_json_key(j, "steps");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *st = fib_session_step_get(s, i);
        const fib_plan_step *p = &st->step;
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "site",
                               fib_session_site_get(s, st->site)->name);
        fib_fmt_json_kv_string(j, "batch", fib_session_batch_name(st->batch));
        fib_fmt_json_kv_int(j, "phase", (long long)st->phase);
        fib_fmt_json_kv_string(j, "name", p->name);
        fib_fmt_json_kv_string(j, "kind", fib_geom_kind_name(p->pattern.kind));
        fib_fmt_json_kv_bool(j, "mills", p->mills);
        fib_fmt_json_kv_number(j, "energy_kev", p->energy_keV);
        fib_fmt_json_kv_number(j, "current_pA", p->current_pA);
        fib_fmt_json_kv_number(j, "commanded_time_s", p->commanded_time_s);
        fib_fmt_json_kv_number(j, "commanded_depth_um", p->commanded_depth_um);
        fib_fmt_json_kv_number(j, "physical_depth_um", p->physical_depth_um);
        fib_fmt_json_kv_number(j, "target_depth_um", p->target_depth_um);
        fib_fmt_json_kv_number(j, "removed_per_face_nm",
                               p->removed_per_face_nm);
        fib_fmt_json_kv_number(j, "overhead_s", p->overhead_s);
        fib_fmt_json_kv_number(j, "overhead_current_s", p->overhead_current_s);
        fib_fmt_json_kv_number(j, "overhead_stage_s", p->overhead_stage_s);
        fib_fmt_json_kv_bool(j, "current_change", st->current_change);
        fib_fmt_json_kv_bool(j, "site_move", st->site_move);
        fib_fmt_json_kv_number(j, "start_s", p->start_s);
        fib_fmt_json_kv_number(j, "end_s", p->end_s);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
}

static void json_session(fib_fmt_json *j, const fib_session *s, const char *ion)
{
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "ion", ion);
    json_session_totals(j, s);
    json_session_phases(j, s);
    json_session_sites(j, s);
    json_session_steps(j, s);
    fib_fmt_json_key(j, "warnings");
    fib_fmt_json_begin_array(j);
    for (size_t w = 0; w < fib_session_warning_count(s); w++)
        fib_fmt_json_string(j, fib_session_warning_get(s, w));
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}

fib_status fib__session_json(const fib_session_request *req,
                             const fib_plan_workflow *wf, unsigned sens,
                             fib_session *const *ss, size_t n,
                             fib_fmt_json **out, fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "session", req->base.name);
    json_workflow_key(j, wf, sens, req->base.cryo, 0);
    fib_fmt_json_key(j, "sessions");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < n; i++)
        json_session(
            j, ss[i],
            fib__ion_sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0))));
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    *out = j;
    return FIB_OK;
}
