/* session_report.c -- sessions of several lamellae (`cryofib plan FILE`
 * when FILE has `sites`, fib/session.h): the tables, the timeline chart
 * and per-site drawings, and the run that writes the reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/canvas.h"
#include "fib/pattern_export.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "job_plan_internal.h"

/* Path of a site drawing: DIR/site-<site>-<ion>.png (v = 0) or
 * DIR/side-<site>-<ion>.png (v = 1); the site name made file-safe. */
static void site_png(char *buf, size_t n, const char *dir, int v,
                     const fib_session *s, size_t k, const char *ion)
{
    char nm[FIB_SESSION_NAME_MAX];
    const char *in = fib_session_site_get(s, k)->name;
    size_t j = 0;
    for (; in[j] && j + 1 < sizeof nm; j++) {
        unsigned char c = (unsigned char)in[j];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        nm[j] = ok ? (char)c : '_';
    }
    nm[j] = '\0';
    snprintf(buf, n, "%s/%s-%02zu-%s-%s.png", dir, v ? "side" : "site", k + 1,
             nm, ion);
}

/* Timeline chart: lane 0 = temperature phases, then one lane per site;
 * colour = batch (0-3) or phase kind (4 + kind). */
static fib_status draw_session(const fib_session *s, const char *ion,
                               const char *path, fib_error *err)
{
    size_t ns = fib_session_site_count(s), nl = ns + 1;
    size_t nseg = fib_session_step_count(s) + fib_session_phase_count(s);
    const int W = 1400, H = (int)(150 + 40 * nl), legend_h = 40;
    const char **lanes = calloc(nl, sizeof *lanes);
    fib_timeline_segment *segs = calloc(nseg ? nseg : 1, sizeof *segs);
    fib_canvas *c = NULL;
    fib_status st = FIB_OK;
    if (!lanes || !segs) {
        st = fib_error_set(err, FIB_ENOMEM, "plan: out of memory");
        goto out;
    }
    st = fib_canvas_create((size_t)W, (size_t)(H + legend_h), 0xFFFFFFu, &c,
                           err);
    if (st != FIB_OK)
        goto out;
    lanes[0] = "phases";
    for (size_t k = 0; k < ns; k++)
        lanes[k + 1] = fib_session_site_get(s, k)->name;
    size_t n = 0;
    for (size_t i = 0; i < fib_session_phase_count(s); i++) {
        const fib_session_phase *p = fib_session_phase_get(s, i);
        segs[n].lane = 0;
        segs[n].start_min = p->start_s / 60;
        segs[n].end_min = p->end_s / 60;
        segs[n].label = fib_session_phase_kind_name(p->kind);
        segs[n].category = FIB_SESSION_BATCH_COUNT_ + (size_t)p->kind;
        n++;
    }
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *q = fib_session_step_get(s, i);
        segs[n].lane = q->site + 1;
        segs[n].start_min = q->step.start_s / 60;
        segs[n].end_min = q->step.end_s / 60;
        segs[n].label = NULL; /* too many short steps to label legibly */
        segs[n].category = (size_t)q->batch;
        n++;
    }
    char title[160];
    snprintf(title, sizeof title,
             "%s session: %zu sites, workflow %d (colour = batch / phase)", ion,
             ns, fib_session_get_summary(s).workflow);
    fib_timeline_params tp = {0};
    tp.title = title;
    tp.lanes = lanes;
    tp.n_lanes = nl;
    fib_canvas_rect r = {0, 0, W, H};
    st = fib_plot_timeline(c, r, &tp, segs, n, NULL, err);
    if (st != FIB_OK)
        goto out;
    int lx = 10, ly = H + 8;
    for (size_t k = 0; k < FIB_SESSION_BATCH_COUNT_ + 6; k++) {
        const char *nm =
            k < FIB_SESSION_BATCH_COUNT_
                ? fib_session_batch_name((fib_session_batch)k)
                : fib_session_phase_kind_name(
                      (fib_session_phase_kind)(k - FIB_SESSION_BATCH_COUNT_));
        fib_canvas_rect sw = {lx, ly, 10, 10};
        fib_canvas_fill_rect(c, sw, fib_palette_color(k));
        fib_canvas_text(c, lx + 14, ly + 1, nm, 1, 0x000000u);
        lx += 14 + fib_text_width(nm, 1) + 16;
    }
    st = fib_fmt_canvas_write_png(path, c, err);
out:
    fib_canvas_destroy(c);
    free(segs);
    free(lanes);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                 */

#define SAY(...) fib_job_say(env, FIB_JOB_RESULT, __VA_ARGS__)

static void say_session_head(const fib_job_env *env, const fib_session *s,
                             const char *ion, bool optimized)
{
    fib_session_summary S = fib_session_get_summary(s);
    SAY("\n%s session (%s ladder): %zu sites, workflow %d, total %.1f min "
        "(%.2f h): milling %.1f min, overheads %.1f min, phases %.1f min",
        ion, optimized ? "optimized" : "default", S.n_sites, S.workflow,
        S.total_s / 60, S.total_s / 3600, S.milling_s / 60, S.overhead_s / 60,
        S.phases_s / 60);
    SAY("phases:\n%-3s %-42s %-9s %7s %10s %10s %9s", "#", "phase", "kind",
        "T(K)", "start(min)", "end(min)", "dur(min)");
    for (size_t i = 0; i < fib_session_phase_count(s); i++) {
        const fib_session_phase *p = fib_session_phase_get(s, i);
        SAY("%-3zu %-42s %-9s %7.0f %10.1f %10.1f %9.1f", i + 1, p->name,
            fib_session_phase_kind_name(p->kind), p->temperature_K,
            p->start_s / 60, p->end_s / 60, p->duration_s / 60);
    }
    SAY("sites:\n%-8s %9s %9s %-13s %5s %12s %13s %9s %9s %8s", "site", "x(um)",
        "y(um)", "method", "steps", "milling(min)", "overhead(min)",
        "final(nm)", "done(min)", "ice(nm)");
    for (size_t k = 0; k < fib_session_site_count(s); k++) {
        const fib_session_site *si = fib_session_site_get(s, k);
        const fib_plan *p = fib_session_site_plan(s, k);
        const fib_session_site_result *r = fib_session_site_result_get(s, k);
        SAY("%-8s %9.1f %9.1f %-13s %5zu %12.1f %13.1f %9.0f %9.1f %8.1f",
            si->name, si->x_um, si->y_um,
            fib_geom_method_name(fib_plan_get_request(p)->site.method),
            fib_plan_step_count(p), r->milling_s / 60, r->overhead_s / 60,
            r->final_thickness_nm, r->polish_end_s / 60, r->ice_after_nm);
    }
    SAY("batching: %zu current changes (site by site %zu, %lld saved); "
        "%zu site moves (site by site %zu); milling schedule %.1f min vs "
        "%.1f min site by site (%.1f min saved)",
        S.current_changes, S.current_changes_sitewise,
        (long long)S.current_changes_sitewise - (long long)S.current_changes,
        S.site_moves, S.site_moves_sitewise, S.schedule_s / 60,
        S.schedule_sitewise_s / 60, S.time_saved_s / 60);
    SAY("ice on finished lamellae: max %.1f nm batched, %.1f nm site by site",
        S.ice_max_nm, S.ice_max_sitewise_nm);
    SAY("success: %.2f per site (%s) -> %.2f lamellae per session, %.1f per "
        "day",
        S.success_rate, S.success_source, S.expected_lamellae,
        S.lamellae_per_day);
}

static void say_session_steps(const fib_job_env *env, const fib_session *s)
{
    SAY("timeline:\n%-4s %-8s %-9s %-14s %-14s %5s %8s %9s %9s %9s %9s", "#",
        "site", "batch", "step", "kind", "kV", "I(pA)", "t_cmd(s)", "ovh(s)",
        "start(min)", "end(min)");
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *st = fib_session_step_get(s, i);
        const fib_plan_step *p = &st->step;
        fib__line l = {.n = 0};
        fib__line_add(&l, "%-4zu %-8s %-9s %-14s %-14s", i + 1,
                      fib_session_site_get(s, st->site)->name,
                      fib_session_batch_name(st->batch), p->name,
                      fib_geom_kind_name(p->pattern.kind));
        if (p->mills)
            fib__line_add(&l, " %5.1f %8.4g %9.1f", p->energy_keV,
                          p->current_pA, p->commanded_time_s);
        else
            fib__line_add(&l, " %5s %8s %9s", "-", "-", "-");
        fib__line_add(&l, " %9.1f %9.1f %9.1f%s%s", p->overhead_s,
                      p->start_s / 60, p->end_s / 60,
                      st->site_move ? "  (move)" : "",
                      st->current_change ? "  (current)" : "");
        fib__line_say(env, &l);
    }
}

/* True when site plan @p a of @p s has the warning text @p msg. */
static bool plan_has_warning(const fib_session *s, size_t a, const char *msg)
{
    const fib_plan *q = fib_session_site_plan(s, a);
    for (size_t b = 0; b < fib_plan_warning_count(q); b++)
        if (!strcmp(msg, fib_plan_warning_get(q, b)))
            return true;
    return false;
}

/* The sites' own plan warnings, once per text with the sites that share
 * it; the plans' ice budgets are for a site milled on its own and are
 * replaced by the session's. */
static void say_site_warnings(const fib_job_env *env, const fib_session *s)
{
    size_t ns = fib_session_site_count(s);
    for (size_t k = 0; k < ns; k++) {
        const fib_plan *p = fib_session_site_plan(s, k);
        for (size_t w = 0; w < fib_plan_warning_count(p); w++) {
            const char *msg = fib_plan_warning_get(p, w);
            bool seen = !strncmp(msg, "ice budget", 10);
            for (size_t a = 0; a < k && !seen; a++)
                seen = plan_has_warning(s, a, msg);
            if (seen)
                continue;
            fib__line l = {.n = 0};
            fib__line_add(&l, "  warning: site %s",
                          fib_session_site_get(s, k)->name);
            for (size_t a = k + 1; a < ns; a++)
                if (plan_has_warning(s, a, msg))
                    fib__line_add(&l, ", %s", fib_session_site_get(s, a)->name);
            fib__line_add(&l, ": %s", msg);
            fib__line_say(env, &l);
        }
    }
}

void fib__say_session(const fib_job_env *env, const fib_session *s,
                      const char *ion, bool optimized)
{
    say_session_head(env, s, ion, optimized);
    say_session_steps(env, s);
    for (size_t w = 0; w < fib_session_warning_count(s); w++)
        SAY("  warning: %s", fib_session_warning_get(s, w));
    say_site_warnings(env, s);
}

/* ---------------------------------------------------------------------- */
/* Drawings and the run                                                   */

fib_status fib__draw_session_all(fib_session *const *ss, size_t n,
                                 const char *dir, fib_error *err)
{
    char path[4096];
    for (size_t i = 0; i < n; i++) {
        const char *is =
            fib__ion_sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0)));
        snprintf(path, sizeof path, "%s/timeline-%s.png", dir, is);
        fib_status st = draw_session(ss[i], is, path, err);
        if (st != FIB_OK)
            return st;
    }
    /* every site's own drawings: site-<site>-<ion>.png (beam view) and
     * side-<site>-<ion>.png (commanded vs physical depth) */
    for (size_t i = 0; i < n; i++) {
        const char *is =
            fib__ion_sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0)));
        for (size_t k = 0; k < fib_session_site_count(ss[i]); k++) {
            const fib_plan *p = fib_session_site_plan(ss[i], k);
            for (int v = 0; v < 2; v++) {
                site_png(path, sizeof path, dir, v, ss[i], k, is);
                fib_status st = v == 0 ? fib__draw_site(p, path, err)
                                       : fib__draw_side(p, path, err);
                if (st != FIB_OK)
                    return st;
            }
        }
    }
    return FIB_OK;
}

/* The reports of a planned session: JSON, CSV, drawings, export (last, so
 * that nothing can fail after it: the library writes the whole folder or
 * nothing). */
static fib_status session_outputs(const fib_job_plan_params *p,
                                  const fib_session_request *req,
                                  const fib_plan_workflow *wf, unsigned sens,
                                  fib_session *const *ss, size_t n,
                                  const fib_job_env *env, fib_fmt_txn **own,
                                  bool *named, fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_fmt_csv *csv = NULL;
    fib_status st = FIB_OK;
    if (p->json_path)
        st = fib__session_json(req, wf, sens, ss, n, &j, err);
    if (st == FIB_OK && p->csv_path)
        st = fib__session_csv(ss, n, &csv, err);
    st = fib__job_write_reports(env, own, st, p->json_path, j, p->csv_path, csv,
                                err);
    if (st != FIB_OK)
        return st;
    const char *dir = NULL;
    if (p->out_dir) {
        st = fib__job_out_dir(env, own, p->out_dir, &dir, named, err);
        if (st == FIB_OK)
            st = fib__draw_session_all(ss, n, dir, err);
        if (st != FIB_OK)
            return st;
    }
    if (p->export_dir) {
        st = fib__job_export_dir(env, own, p->export_dir, &dir, named, err);
        if (st == FIB_OK)
            st = fib_fmt_session_export((const fib_session *const *)ss, n,
                                        p->export_kind, dir, err);
    }
    return st;
}

fib_status fib__job_session(const fib_job_plan_params *p,
                            const fib_session_request *req,
                            const fib_plan_materials *db,
                            const fib_job_env *env, fib_job_plan_result *res,
                            fib_error *err)
{
    fib_session *ss[FIB_PLAN_MAX_IONS] = {0};
    fib_fmt_txn *own = NULL;
    bool named = false;
    size_t n = req->base.n_ions;
    unsigned sens = 0;
    fib_plan_ladder_mode mode = p->optimized_primary ? FIB_PLAN_LADDER_OPTIMIZED
                                                     : FIB_PLAN_LADDER_DEFAULT;
    fib_status st = fib_plan_request_sens(&req->base, db, &sens, err);
    fib_plan_workflow wf =
        fib_plan_workflow_recommend(sens, req->base.nanoscale);
    for (size_t i = 0; i < n && st == FIB_OK; i++) {
        st = fib_session_create(req, i, mode, db, &ss[i], err);
        if (st != FIB_OK) {
            /* name the file: a bad site or workflow is bad input */
            fib_error e2 = *err;
            fib_error_clear(err);
            fib_error_set(err, st, "%s: %s", p->session_path, e2.msg);
        }
    }
    if (st == FIB_OK && !p->quiet) {
        fib__say_workflow_head(env, req->base.name, &wf, sens, req->base.cryo);
        for (size_t i = 0; i < n; i++)
            fib__say_session(
                env, ss[i],
                fib__ion_sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0))),
                p->optimized_primary);
    }
    if (st == FIB_OK)
        st = session_outputs(p, req, &wf, sens, ss, n, env, &own, &named, err);
    if (st == FIB_OK && res && n > 0) {
        res->workflow = wf.number;
        res->n_ions = n;
        res->n_sites = fib_session_site_count(ss[0]);
        for (size_t i = 0; i < n; i++) {
            fib_session_summary S = fib_session_get_summary(ss[i]);
            res->total_time_s[i] = S.total_s;
            res->milling_time_s[i] = S.milling_s;
            res->n_steps[i] = fib_session_step_count(ss[i]);
        }
    }
    st = fib__job_end(env, own, st, named, err);
    for (size_t i = 0; i < n; i++)
        fib_session_destroy(ss[i]);
    return st;
}
