/* session_out.c -- terminal, JSON, CSV and chart output of multi-site
 * sessions (`cryofib plan FILE` when FILE has `sites`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fib/canvas.h"
#include "fib/pattern_export.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "fib/report.h"
#include "session_out.h"

static const char *sym(fib_plan_ion ion)
{
    const fib_plan_ion_info *inf = fib_plan_ion_get(ion);
    return inf ? inf->symbol : "?";
}

void cli_print_workflow_check(const fib_plan_workflow *w, bool cryo)
{
    char msg[FIB_PLAN_LINE_MAX];
    fib_plan_workflow_conflict c =
        fib_plan_workflow_check(w, cryo, msg, sizeof msg);
    if (c == FIB_PLAN_WORKFLOW_WARNING)
        printf("  warning: %s\n", msg);
    else if (c == FIB_PLAN_WORKFLOW_NOTE)
        printf("  note: %s\n", msg);
}

void cli_json_workflow_check(fib_fmt_json *j, const fib_plan_workflow *w,
                             bool cryo)
{
    char msg[FIB_PLAN_LINE_MAX];
    fib_plan_workflow_conflict c =
        fib_plan_workflow_check(w, cryo, msg, sizeof msg);
    fib_fmt_json_kv_string(j, "check",
                           c == FIB_PLAN_WORKFLOW_WARNING ? "warning"
                           : c == FIB_PLAN_WORKFLOW_NOTE  ? "note"
                                                          : "ok");
    fib_fmt_json_kv_string(j, "check_message", msg);
}

static void print_session(const fib_session *s, const char *ion, bool optimized)
{
    fib_session_summary S = fib_session_get_summary(s);
    printf("\n%s session (%s ladder): %zu sites, workflow %d, total %.1f min "
           "(%.2f h): milling %.1f min, overheads %.1f min, phases %.1f min\n",
           ion, optimized ? "optimized" : "default", S.n_sites, S.workflow,
           S.total_s / 60, S.total_s / 3600, S.milling_s / 60,
           S.overhead_s / 60, S.phases_s / 60);
    printf("phases:\n%-3s %-42s %-9s %7s %10s %10s %9s\n", "#", "phase", "kind",
           "T(K)", "start(min)", "end(min)", "dur(min)");
    for (size_t i = 0; i < fib_session_phase_count(s); i++) {
        const fib_session_phase *p = fib_session_phase_get(s, i);
        printf("%-3zu %-42s %-9s %7.0f %10.1f %10.1f %9.1f\n", i + 1, p->name,
               fib_session_phase_kind_name(p->kind), p->temperature_K,
               p->start_s / 60, p->end_s / 60, p->duration_s / 60);
    }
    printf("sites:\n%-8s %9s %9s %-13s %5s %12s %13s %9s %9s %8s\n", "site",
           "x(um)", "y(um)", "method", "steps", "milling(min)", "overhead(min)",
           "final(nm)", "done(min)", "ice(nm)");
    for (size_t k = 0; k < fib_session_site_count(s); k++) {
        const fib_session_site *si = fib_session_site_get(s, k);
        const fib_plan *p = fib_session_site_plan(s, k);
        const fib_session_site_result *r = fib_session_site_result_get(s, k);
        printf("%-8s %9.1f %9.1f %-13s %5zu %12.1f %13.1f %9.0f %9.1f "
               "%8.1f\n",
               si->name, si->x_um, si->y_um,
               fib_geom_method_name(fib_plan_get_request(p)->site.method),
               fib_plan_step_count(p), r->milling_s / 60, r->overhead_s / 60,
               r->final_thickness_nm, r->polish_end_s / 60, r->ice_after_nm);
    }
    printf("batching: %zu current changes (site by site %zu, %lld saved); "
           "%zu site moves (site by site %zu); milling schedule %.1f min vs "
           "%.1f min site by site (%.1f min saved)\n",
           S.current_changes, S.current_changes_sitewise,
           (long long)S.current_changes_sitewise - (long long)S.current_changes,
           S.site_moves, S.site_moves_sitewise, S.schedule_s / 60,
           S.schedule_sitewise_s / 60, S.time_saved_s / 60);
    printf("ice on finished lamellae: max %.1f nm batched, %.1f nm site by "
           "site\n",
           S.ice_max_nm, S.ice_max_sitewise_nm);
    printf("success: %.2f per site (%s) -> %.2f lamellae per session, %.1f "
           "per day\n",
           S.success_rate, S.success_source, S.expected_lamellae,
           S.lamellae_per_day);
    printf("timeline:\n%-4s %-8s %-9s %-14s %-14s %5s %8s %9s %9s %9s %9s\n",
           "#", "site", "batch", "step", "kind", "kV", "I(pA)", "t_cmd(s)",
           "ovh(s)", "start(min)", "end(min)");
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *st = fib_session_step_get(s, i);
        const fib_plan_step *p = &st->step;
        printf("%-4zu %-8s %-9s %-14s %-14s", i + 1,
               fib_session_site_get(s, st->site)->name,
               fib_session_batch_name(st->batch), p->name,
               fib_geom_kind_name(p->pattern.kind));
        if (p->mills)
            printf(" %5.1f %8.4g %9.1f", p->energy_keV, p->current_pA,
                   p->commanded_time_s);
        else
            printf(" %5s %8s %9s", "-", "-", "-");
        printf(" %9.1f %9.1f %9.1f%s%s\n", p->overhead_s, p->start_s / 60,
               p->end_s / 60, st->site_move ? "  (move)" : "",
               st->current_change ? "  (current)" : "");
    }
    for (size_t w = 0; w < fib_session_warning_count(s); w++)
        printf("  warning: %s\n", fib_session_warning_get(s, w));
    /* the sites' own plan warnings, once per text with the sites that
     * share it; the plans' ice budgets are for a site milled on its own and
     * are replaced by the session's (above) */
    size_t ns = fib_session_site_count(s);
    for (size_t k = 0; k < ns; k++) {
        const fib_plan *p = fib_session_site_plan(s, k);
        for (size_t w = 0; w < fib_plan_warning_count(p); w++) {
            const char *msg = fib_plan_warning_get(p, w);
            bool seen = !strncmp(msg, "ice budget", 10);
            for (size_t a = 0; a < k && !seen; a++)
                for (size_t b = 0;
                     b < fib_plan_warning_count(fib_session_site_plan(s, a));
                     b++)
                    if (!strcmp(msg, fib_plan_warning_get(
                                         fib_session_site_plan(s, a), b)))
                        seen = true;
            if (seen)
                continue;
            printf("  warning: site %s", fib_session_site_get(s, k)->name);
            for (size_t a = k + 1; a < ns; a++) {
                const fib_plan *q = fib_session_site_plan(s, a);
                for (size_t b = 0; b < fib_plan_warning_count(q); b++)
                    if (!strcmp(msg, fib_plan_warning_get(q, b))) {
                        printf(", %s", fib_session_site_get(s, a)->name);
                        break;
                    }
            }
            printf(": %s\n", msg);
        }
    }
}

static void json_session(fib_fmt_json *j, const fib_session *s, const char *ion)
{
    fib_session_summary S = fib_session_get_summary(s);
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "ion", ion);
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
        cli_json_plan_steps(j, p);
        fib_fmt_json_key(j, "warnings");
        fib_fmt_json_begin_array(j);
        for (size_t w = 0; w < fib_plan_warning_count(p); w++)
            fib_fmt_json_string(j, fib_plan_warning_get(p, w));
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
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
    fib_fmt_json_key(j, "warnings");
    fib_fmt_json_begin_array(j);
    for (size_t w = 0; w < fib_session_warning_count(s); w++)
        fib_fmt_json_string(j, fib_session_warning_get(s, w));
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}

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

int cli_session_run(const char *cmd, const char *src,
                    const fib_session_request *req,
                    const fib_plan_materials *db, const cli_plan_opts *o)
{
    fib_error err = {0};
    fib_session *ss[FIB_PLAN_MAX_IONS] = {0};
    fib_fmt_json *j = NULL;
    fib_fmt_csv *csv = NULL;
    int rc = CLI_EXIT_OK;
    /* every output goes through the output transaction (fib/txn.h): all
     * appear at the end, or none */
    fib_fmt_txn *txn = NULL;
    const char *staged = NULL;
    size_t n = req->base.n_ions;
    unsigned sens = 0;
    fib_plan_ladder_mode mode = o->optimized_primary ? FIB_PLAN_LADDER_OPTIMIZED
                                                     : FIB_PLAN_LADDER_DEFAULT;
    fib_status st = fib_plan_request_sens(&req->base, db, &sens, &err);
    if (st != FIB_OK)
        goto fail;
    fib_plan_workflow wf =
        fib_plan_workflow_recommend(sens, req->base.nanoscale);
    for (size_t i = 0; i < n; i++) {
        st = fib_session_create(req, i, mode, db, &ss[i], &err);
        if (st != FIB_OK) {
            /* name the file: a bad site or workflow is bad input (2) */
            fib_error e2 = err;
            fib_error_clear(&err);
            fib_error_set(&err, st, "%s: %s", src, e2.msg);
            goto fail;
        }
    }
    if (!o->quiet) {
        printf("session: %s\n",
               req->base.name[0] ? req->base.name : "(unnamed)");
        cli_print_workflow(&wf, sens);
        cli_print_workflow_check(&wf, req->base.cryo);
        for (size_t i = 0; i < n; i++)
            print_session(
                ss[i], sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0))),
                o->optimized_primary);
    }
    if (o->json_path) {
        st = fib_fmt_json_create(2, &j, &err);
        if (st != FIB_OK)
            goto fail;
        char sb[160];
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "session", req->base.name);
        fib_fmt_json_key(j, "workflow");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "number", wf.number);
        fib_fmt_json_kv_string(j, "summary", wf.summary);
        fib_fmt_json_kv_string(j, "reason", wf.reason);
        fib_fmt_json_kv_string(j, "sensitivities",
                               fib_plan_sens_string(sens, sb, sizeof sb));
        cli_json_workflow_check(j, &wf, req->base.cryo);
        fib_fmt_json_end_object(j);
        fib_fmt_json_key(j, "sessions");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < n; i++)
            json_session(
                j, ss[i],
                sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0))));
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        st = cli_txn_file(&txn, o->json_path, &staged, &err);
        if (st == FIB_OK)
            st = fib_fmt_json_write(j, staged, &err);
        if (st != FIB_OK)
            goto fail;
    }
    if (o->csv_path) {
        st = fib_fmt_csv_create(&csv, &err);
        if (st != FIB_OK)
            goto fail;
        static const char *const hdr[] = {"ion",
                                          "site",
                                          "batch",
                                          "phase",
                                          "name",
                                          "kind",
                                          "energy_kev",
                                          "current_pA",
                                          "commanded_time_s",
                                          "commanded_depth_um",
                                          "physical_depth_um",
                                          "target_depth_um",
                                          "removed_per_face_nm",
                                          "overhead_s",
                                          "start_s",
                                          "end_s"};
        for (size_t h = 0; h < sizeof hdr / sizeof hdr[0]; h++)
            fib_fmt_csv_field(csv, hdr[h]);
        fib_fmt_csv_end_row(csv);
        for (size_t i = 0; i < n; i++) {
            const char *is =
                sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0)));
            for (size_t k = 0; k < fib_session_step_count(ss[i]); k++) {
                const fib_session_step *q = fib_session_step_get(ss[i], k);
                fib_fmt_csv_field(csv, is);
                fib_fmt_csv_field(csv,
                                  fib_session_site_get(ss[i], q->site)->name);
                fib_fmt_csv_field(csv, fib_session_batch_name(q->batch));
                fib_fmt_csv_int(csv, (long long)q->phase);
                fib_fmt_csv_field(csv, q->step.name);
                fib_fmt_csv_field(csv,
                                  fib_geom_kind_name(q->step.pattern.kind));
                fib_fmt_csv_number(csv, q->step.energy_keV);
                fib_fmt_csv_number(csv, q->step.current_pA);
                fib_fmt_csv_number(csv, q->step.mills ? q->step.commanded_time_s
                                                      : 0.0);
                fib_fmt_csv_number(csv, q->step.commanded_depth_um);
                fib_fmt_csv_number(csv, q->step.physical_depth_um);
                fib_fmt_csv_number(csv, q->step.target_depth_um);
                fib_fmt_csv_number(csv, q->step.removed_per_face_nm);
                fib_fmt_csv_number(csv, q->step.overhead_s);
                fib_fmt_csv_number(csv, q->step.start_s);
                fib_fmt_csv_number(csv, q->step.end_s);
                fib_fmt_csv_end_row(csv);
            }
        }
        st = cli_txn_file(&txn, o->csv_path, &staged, &err);
        if (st == FIB_OK)
            st = fib_fmt_csv_write(csv, staged, &err);
        if (st != FIB_OK)
            goto fail;
    }
    if (o->out_dir) {
        const char *sdir = NULL;
        if (!cli_txn_out_dir(cmd, &txn, o->out_dir, &sdir)) {
            rc = CLI_EXIT_USAGE; /* an unusable output folder is bad input */
            goto done;
        }
        char path[4096];
        for (size_t i = 0; i < n; i++) {
            const char *is =
                sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0)));
            snprintf(path, sizeof path, "%s/timeline-%s.png", sdir, is);
            st = draw_session(ss[i], is, path, &err);
            if (st != FIB_OK)
                goto fail;
        }
        /* every site's own drawings: site-<site>-<ion>.png (beam view) and
         * side-<site>-<ion>.png (commanded vs physical depth) */
        for (size_t i = 0; i < n; i++) {
            const char *is =
                sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0)));
            for (size_t k = 0; k < fib_session_site_count(ss[i]); k++) {
                const fib_plan *p = fib_session_site_plan(ss[i], k);
                for (int v = 0; v < 2; v++) {
                    site_png(path, sizeof path, sdir, v, ss[i], k, is);
                    st = v == 0 ? cli_draw_site(p, path, &err)
                                : cli_draw_side(p, path, &err);
                    if (st != FIB_OK)
                        goto fail;
                }
            }
        }
    }
    if (o->export_kind) {
        /* last, so that nothing can fail after it: the library writes the
         * whole folder or nothing */
        fib_fmt_export_kind kind;
        if (!fib_fmt_export_kind_parse(o->export_kind, &kind)) {
            rc = cli_usage_error(cmd,
                                 "--export kind '%s' unknown (ptf or "
                                 "autolamella)",
                                 o->export_kind);
            goto done;
        }
        const char *edir = NULL;
        rc = cli_txn_export_dir(cmd, &txn, o->export_dir, &edir);
        if (rc != CLI_EXIT_OK)
            goto done;
        st = fib_fmt_session_export((const fib_session *const *)ss, n, kind,
                                    edir, &err);
        if (st != FIB_OK)
            goto fail;
    }
    goto done;
fail:
    fib_fmt_txn_explain(txn, &err); /* name the outputs, not the stage */
    rc = cli_fail(cmd, st, &err);
done:
    /* all outputs or none: commit, or abort on failure */
    rc = cli_txn_finish(cmd, txn, rc);
    fib_fmt_json_destroy(j);
    fib_fmt_csv_destroy(csv);
    for (size_t i = 0; i < n; i++)
        fib_session_destroy(ss[i]);
    return rc;
}
