/* plan_out.c -- tables, reports and drawings of session plans. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fib/canvas.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "fib/report.h"
#include "plan_out.h"
#include "session_out.h"

static const char *ion_sym(fib_plan_ion ion)
{
    const fib_plan_ion_info *i = fib_plan_ion_get(ion);
    return i ? i->symbol : "?";
}

bool cli_make_dir(const char *cmd, const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return true;
        cli_usage_error(cmd, "--out %s exists and is not a folder", dir);
        return false;
    }
    if (mkdir(dir, 0777) != 0) {
        fprintf(stderr, "cryofib %s: cannot create folder %s: %s\n", cmd, dir,
                strerror(errno));
        return false;
    }
    return true;
}

static void fmt_time(double s, char *buf, size_t n)
{
    if (s < 120)
        snprintf(buf, n, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, n, "%.1f min", s / 60);
    else
        snprintf(buf, n, "%.2f h", s / 3600);
}

static void print_plan(const fib_plan *p, const char *title)
{
    char tt[32], tm[32];
    fmt_time(fib_plan_total_time_s(p), tt, sizeof tt);
    fmt_time(fib_plan_milling_time_s(p), tm, sizeof tm);
    printf("\n%s plan (%s ladder): ROI %s, final %.0f nm, session %s, "
           "milling %s\n",
           title,
           fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED ? "optimized"
                                                             : "default",
           fib_plan_roi_material(p), fib_plan_final_thickness_nm(p), tt, tm);
    printf("%-3s %-13s %-13s %5s %9s %9s %9s %9s %7s %7s %6s %6s %6s %8s "
           "%8s\n",
           "#", "step", "kind", "kV", "I(pA)", "V(um3)", "dose(nC)", "t_cmd(s)",
           "z_cmd", "z_phys", "dmg", "probe", "dist", "start", "end");
    printf("%-3s %-13s %-13s %5s %9s %9s %9s %9s %7s %7s %6s %6s %6s %8s "
           "%8s\n",
           "", "", "", "", "", "", "", "", "(um)", "(um)", "(nm)", "(nm)",
           "(um)", "(min)", "(min)");
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        if (s->mills)
            printf("%-3zu %-13s %-13s %5.1f %9.4g %9.4g %9.4g %9.1f %7.3f "
                   "%7.3f %6.1f %6.0f %6.2f %8.1f %8.1f\n",
                   i + 1, s->name, fib_geom_kind_name(s->pattern.kind),
                   s->energy_keV, s->current_pA, s->volume_um3, s->dose_nC,
                   s->commanded_time_s, s->commanded_depth_um,
                   s->physical_depth_um, s->damage_depth_nm, s->probe_d_nm,
                   s->distance_um, s->start_s / 60, s->end_s / 60);
        else
            printf("%-3zu %-13s %-13s %5s %9s %9.4g %9s %9s %7s %7s %6s %6s "
                   "%6s %8.1f %8.1f  (deposit/transfer %.0f s)\n",
                   i + 1, s->name, fib_geom_kind_name(s->pattern.kind), "-",
                   "-", s->volume_um3, "-", "-", "-", "-", "-", "-", "-",
                   s->start_s / 60, s->end_s / 60, s->overhead_s);
    }
}

static void print_ladder_line(const fib_plan *p)
{
    printf("  ladder %-9s:", fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED
                                 ? "optimized"
                                 : "default");
    double last = -1, last_kv = -1;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        if (!s->mills)
            continue;
        if (s->current_pA == last && s->energy_keV == last_kv)
            continue;
        last = s->current_pA;
        last_kv = s->energy_keV;
        if (s->current_pA >= 1000)
            printf(" %s %.3gnA", s->name, s->current_pA / 1000);
        else
            printf(" %s %.3gpA", s->name, s->current_pA);
        if (s->energy_keV !=
            fib_plan_step_get(p, 1 < fib_plan_step_count(p) ? 1 : 0)
                ->energy_keV)
            printf("@%gkV", s->energy_keV);
    }
    char tt[32];
    fmt_time(fib_plan_total_time_s(p), tt, sizeof tt);
    printf("  -> %s\n", tt);
}

void cli_print_workflow(const fib_plan_workflow *w, unsigned sens)
{
    char buf[160];
    fib_plan_sens_string(sens, buf, sizeof buf);
    printf("workflow %d: %s\n", w->number, w->summary);
    printf("  sensitivities: %s\n", buf[0] ? buf : "(none)");
    printf("  why: %s\n", w->reason);
    printf("  protects against: %s%s%s%s\n",
           w->protects_ebeam ? "electron beam" : "(no special protection)",
           w->protects_air ? ", air/moisture" : "",
           w->protects_ion ? ", ion beam" : "",
           w->protects_thermal ? ", warming" : "");
    printf("  requires:");
    for (int i = 0; i < 6 && w->requires[i]; i++)
        printf("%s %s", i ? ";" : "", w->requires[i]);
    printf("\n");
}

static void json_steps(fib_fmt_json *j, const fib_plan *p)
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

/* ---------------------------------------------------------------------- */
/* Drawings                                                               */

static fib_status draw_site(const fib_plan *p, const char *path, fib_error *err)
{
    const int W = 1100, H = 720, legend_w = 330;
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(W, H, 0xFFFFFFu, &c, err);
    if (st != FIB_OK)
        return st;
    /* extent of every box */
    double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_geom_pattern *g = &fib_plan_step_get(p, i)->pattern;
        for (int b = 0; b < g->n_boxes; b++) {
            const fib_geom_box *x = &g->box[b];
            x0 = fmin(x0, x->x0_um);
            x1 = fmax(x1, x->x1_um);
            y0 = fmin(y0, x->y0_um);
            y1 = fmax(y1, x->y1_um);
        }
    }
    double mx = 0.08 * (x1 - x0) + 1, my = 0.08 * (y1 - y0) + 1;
    x0 -= mx;
    x1 += mx;
    y0 -= my;
    y1 += my;
    fib_canvas_rect box = {20, 50, W - legend_w - 40, H - 90};
    fib_canvas_rect area = fib_canvas_fit_rect(box, x1 - x0, y1 - y0);
    double sc = area.w / (x1 - x0);
    fib_canvas_fill_rect(c, area, 0xE8E8E8u);
    fib_canvas_rect_outline(c, area, 0x000000u);
    char title[160];
    snprintf(title, sizeof title, "%s site, beam view (%s ladder)",
             ion_sym(fib_plan_get_ion(p)),
             fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED ? "optimized"
                                                               : "default");
    fib_canvas_text(c, 20, 15, title, 2, 0x000000u);
    int ly = 60;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        const fib_geom_pattern *g = &s->pattern;
        fib_rgb col = fib_palette_color(i);
        for (int b = 0; b < g->n_boxes; b++) {
            const fib_geom_box *x = &g->box[b];
            fib_canvas_rect r;
            r.x = area.x + (int)lround((x->x0_um - x0) * sc);
            r.w = (int)lround((x->x1_um - x->x0_um) * sc);
            /* y up in the drawing */
            r.y = area.y + (int)lround((y1 - x->y1_um) * sc);
            r.h = (int)lround((x->y1_um - x->y0_um) * sc);
            if (r.w < 1)
                r.w = 1;
            if (r.h < 1)
                r.h = 1;
            fib_canvas_fill_rect_alpha(c, r, col, 0.55);
            fib_canvas_rect_outline(c, r, col);
            if (b == 0) {
                char lab[24];
                snprintf(lab, sizeof lab, "%zu", i + 1);
                fib_canvas_text_aligned(c, r.x + r.w / 2, r.y + r.h / 2, lab, 1,
                                        0x000000u, FIB_ALIGN_CENTER,
                                        FIB_ALIGN_CENTER);
            }
        }
        /* legend */
        if (ly < H - 20) {
            fib_canvas_rect sw = {W - legend_w, ly, 12, 10};
            fib_canvas_fill_rect(c, sw, col);
            char lab[96];
            if (s->mills && s->current_pA >= 1000)
                snprintf(lab, sizeof lab, "%zu %s %.3g nA %.0f s", i + 1,
                         s->name, s->current_pA / 1000, s->commanded_time_s);
            else if (s->mills)
                snprintf(lab, sizeof lab, "%zu %s %.3g pA %.0f s", i + 1,
                         s->name, s->current_pA, s->commanded_time_s);
            else
                snprintf(lab, sizeof lab, "%zu %s (deposit/transfer)", i + 1,
                         s->name);
            fib_canvas_text(c, W - legend_w + 18, ly + 1, lab, 1, 0x000000u);
            ly += 16;
        }
    }
    /* lamella at its final thickness (drawn at least 2 px) */
    const fib_plan_request *rq = fib_plan_get_request(p);
    double lw = rq->site.lamella_width_um;
    double t = fib_plan_final_thickness_nm(p) * 1e-3;
    fib_canvas_rect lam;
    lam.x = area.x + (int)lround((-lw / 2 - x0) * sc);
    lam.w = (int)lround(lw * sc);
    lam.h = (int)fmax(2, t * sc);
    lam.y = area.y + (int)lround((y1 - t / 2) * sc);
    fib_canvas_fill_rect(c, lam, 0x202020u);
    fib_canvas_text(c, lam.x, lam.y - 12, "lamella", 1, 0x000000u);
    fib_scale_bar_params sb = {0};
    sb.width_nm = (x1 - x0) * 1e3;
    sb.dark = true;
    sb.text_scale = 1;
    st = fib_canvas_scale_bar(c, area, &sb, NULL, NULL, err);
    if (st == FIB_OK)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

static fib_status draw_timeline(fib_plan *const *plans, size_t n,
                                const char *path, fib_error *err)
{
    fib_canvas *c = NULL;
    const int legend_h = 40;
    fib_status st =
        fib_canvas_create(1200, 160 + 90 * n + legend_h, 0xFFFFFFu, &c, err);
    if (st != FIB_OK)
        return st;
    const char *lanes[FIB_PLAN_MAX_IONS];
    size_t nseg = 0;
    for (size_t i = 0; i < n; i++)
        nseg += fib_plan_step_count(plans[i]);
    fib_timeline_segment *segs = calloc(nseg ? nseg : 1, sizeof *segs);
    if (!segs) {
        fib_canvas_destroy(c);
        return fib_error_set(err, FIB_ENOMEM, "plan: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        lanes[i] = ion_sym(fib_plan_get_ion(plans[i]));
        for (size_t s = 0; s < fib_plan_step_count(plans[i]); s++) {
            const fib_plan_step *st_ = fib_plan_step_get(plans[i], s);
            segs[k].lane = i;
            segs[k].start_min = st_->start_s / 60;
            segs[k].end_min = st_->end_s / 60;
            segs[k].label = st_->name;
            segs[k].category = (size_t)st_->pattern.kind;
            k++;
        }
    }
    fib_timeline_params tp = {0};
    tp.title = "session timeline per ion (colour = step kind)";
    tp.lanes = lanes;
    tp.n_lanes = n;
    fib_canvas_rect r = {0, 0, 1200, (int)(160 + 90 * n)};
    st = fib_plot_timeline(c, r, &tp, segs, k, NULL, err);
    free(segs);
    /* legend of step kinds */
    int lx = 10, ly = r.h + 8;
    for (int kd = 0; kd < FIB_GEOM_KIND_COUNT_; kd++) {
        const char *nm = fib_geom_kind_name((fib_geom_kind)kd);
        int w = fib_text_width(nm, 1);
        if (lx + 16 + w > 1190) {
            lx = 10;
            ly += 14;
        }
        fib_canvas_rect sw = {lx, ly, 10, 10};
        fib_canvas_fill_rect(c, sw, fib_palette_color((size_t)kd));
        fib_canvas_text(c, lx + 14, ly + 1, nm, 1, 0x000000u);
        lx += 14 + w + 16;
    }
    if (st == FIB_OK)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

/* ---------------------------------------------------------------------- */

int cli_plan_run(const char *cmd, const fib_plan_request *req,
                 const fib_plan_materials *db, const cli_plan_opts *o)
{
    fib_error err = {0};
    fib_plan *def[FIB_PLAN_MAX_IONS] = {0}, *opt[FIB_PLAN_MAX_IONS] = {0};
    fib_fmt_json *j = NULL;
    fib_fmt_csv *csv = NULL;
    int rc = CLI_EXIT_OK;
    bool wrote_json = false, wrote_csv = false;
    size_t n_sites = 0; /* site-ION.png written */
    fib_status st = FIB_OK;
    size_t n = req->n_ions;
    unsigned sens = 0;
    st = fib_plan_request_sens(req, db, &sens, &err);
    if (st != FIB_OK)
        goto fail;
    fib_plan_workflow wf = fib_plan_workflow_recommend(sens, req->nanoscale);
    for (size_t i = 0; i < n; i++) {
        st =
            fib_plan_create(req, i, FIB_PLAN_LADDER_DEFAULT, db, &def[i], &err);
        if (st != FIB_OK)
            goto fail;
        st = fib_plan_create(req, i, FIB_PLAN_LADDER_OPTIMIZED, db, &opt[i],
                             &err);
        if (st != FIB_OK)
            goto fail;
    }
    fib_plan *const *prim = o->optimized_primary ? opt : def;
    if (!o->quiet) {
        printf("session: %s\n", req->name[0] ? req->name : "(unnamed)");
        cli_print_workflow(&wf, sens);
        cli_print_workflow_check(&wf, req->cryo);
        for (size_t i = 0; i < n; i++) {
            print_plan(prim[i], ion_sym(fib_plan_get_ion(prim[i])));
            print_ladder_line(def[i]);
            print_ladder_line(opt[i]);
            for (size_t w = 0; w < fib_plan_warning_count(prim[i]); w++)
                printf("  warning: %s\n", fib_plan_warning_get(prim[i], w));
        }
        fib_plan_totals tot[FIB_PLAN_MAX_IONS];
        fib_plan_compare((const fib_plan *const *)prim, n, tot);
        printf("\nion comparison (ratios to %s):\n", ion_sym(tot[0].ion));
        printf("%-4s %12s %12s %10s %10s %10s %8s %8s %8s\n", "ion",
               "milling(min)", "session(min)", "damage(nm)", "final(nm)",
               "implanted", "r_mill", "r_sess", "r_dmg");
        for (size_t i = 0; i < n; i++)
            printf("%-4s %12.1f %12.1f %10.1f %10.0f %9.0f%% %8.2f %8.2f "
                   "%8.2f\n",
                   ion_sym(tot[i].ion), tot[i].milling_time_s / 60,
                   tot[i].total_time_s / 60, tot[i].final_damage_nm,
                   tot[i].final_thickness_nm, 100 * tot[i].implanted_fraction,
                   tot[i].ratio_milling, tot[i].ratio_total,
                   tot[i].ratio_damage);
    }
    if (o->json_path) {
        st = fib_fmt_json_create(2, &j, &err);
        if (st != FIB_OK)
            goto fail;
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "session", req->name);
        fib_fmt_json_key(j, "workflow");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "number", wf.number);
        fib_fmt_json_kv_string(j, "summary", wf.summary);
        fib_fmt_json_kv_string(j, "reason", wf.reason);
        fib_fmt_json_key(j, "requires");
        fib_fmt_json_begin_array(j);
        for (int i = 0; i < 6 && wf.requires[i]; i++)
            fib_fmt_json_string(j, wf.requires[i]);
        fib_fmt_json_end_array(j);
        char sb[160];
        fib_fmt_json_kv_string(j, "sensitivities",
                               fib_plan_sens_string(sens, sb, sizeof sb));
        cli_json_workflow_check(j, &wf, req->cryo);
        fib_fmt_json_end_object(j);
        fib_fmt_json_key(j, "plans");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < n; i++) {
            const fib_plan *p = prim[i];
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "ion", ion_sym(fib_plan_get_ion(p)));
            fib_fmt_json_kv_string(
                j, "ladder", o->optimized_primary ? "optimized" : "default");
            fib_fmt_json_kv_string(j, "roi_material", fib_plan_roi_material(p));
            json_totals(j, p);
            fib_fmt_json_kv_number(j, "implanted_fraction",
                                   fib_plan_implanted_at_faces(p));
            fib_fmt_json_kv_number(j, "ice_on_lamella_nm",
                                   fib_plan_ice_on_lamella_nm(p));
            fib_fmt_json_kv_number(j, "ice_session_nm",
                                   fib_plan_ice_session_nm(p));
            json_steps(j, p);
            fib_fmt_json_key(j, "warnings");
            fib_fmt_json_begin_array(j);
            for (size_t w = 0; w < fib_plan_warning_count(p); w++)
                fib_fmt_json_string(j, fib_plan_warning_get(p, w));
            fib_fmt_json_end_array(j);
            const fib_plan *alt = o->optimized_primary ? def[i] : opt[i];
            fib_fmt_json_key(j, o->optimized_primary ? "default" : "optimized");
            fib_fmt_json_begin_object(j);
            json_totals(j, alt);
            json_steps(j, alt);
            fib_fmt_json_end_object(j);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_array(j);
        fib_plan_totals tot[FIB_PLAN_MAX_IONS];
        fib_plan_compare((const fib_plan *const *)prim, n, tot);
        fib_fmt_json_key(j, "comparison");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < n; i++) {
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "ion", ion_sym(tot[i].ion));
            fib_fmt_json_kv_number(j, "milling_time_s", tot[i].milling_time_s);
            fib_fmt_json_kv_number(j, "total_time_s", tot[i].total_time_s);
            fib_fmt_json_kv_number(j, "final_damage_nm",
                                   tot[i].final_damage_nm);
            fib_fmt_json_kv_number(j, "implanted_fraction",
                                   tot[i].implanted_fraction);
            fib_fmt_json_kv_number(j, "ratio_milling", tot[i].ratio_milling);
            fib_fmt_json_kv_number(j, "ratio_total", tot[i].ratio_total);
            fib_fmt_json_kv_number(j, "ratio_damage", tot[i].ratio_damage);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        st = fib_fmt_json_write(j, o->json_path, &err);
        if (st != FIB_OK)
            goto fail;
        wrote_json = true;
    }
    if (o->csv_path) {
        st = fib_fmt_csv_create(&csv, &err);
        if (st != FIB_OK)
            goto fail;
        static const char *const hdr[] = {"ion",
                                          "ladder",
                                          "step",
                                          "name",
                                          "kind",
                                          "energy_kev",
                                          "current_pA",
                                          "volume_um3",
                                          "dose_nC",
                                          "dose_ions_cm2",
                                          "commanded_time_s",
                                          "commanded_depth_um",
                                          "physical_depth_um",
                                          "damage_depth_nm",
                                          "probe_d_nm",
                                          "distance_um",
                                          "overhead_s",
                                          "start_s",
                                          "end_s"};
        for (size_t h = 0; h < sizeof hdr / sizeof hdr[0]; h++)
            fib_fmt_csv_field(csv, hdr[h]);
        fib_fmt_csv_end_row(csv);
        for (size_t i = 0; i < n; i++)
            for (int m = 0; m < 2; m++) {
                const fib_plan *p = m == 0 ? def[i] : opt[i];
                for (size_t s = 0; s < fib_plan_step_count(p); s++) {
                    const fib_plan_step *x = fib_plan_step_get(p, s);
                    fib_fmt_csv_field(csv, ion_sym(x->ion));
                    fib_fmt_csv_field(csv, m ? "optimized" : "default");
                    fib_fmt_csv_int(csv, (long long)s + 1);
                    fib_fmt_csv_field(csv, x->name);
                    fib_fmt_csv_field(csv, fib_geom_kind_name(x->pattern.kind));
                    fib_fmt_csv_number(csv, x->energy_keV);
                    fib_fmt_csv_number(csv, x->current_pA);
                    fib_fmt_csv_number(csv, x->volume_um3);
                    fib_fmt_csv_number(csv, x->dose_nC);
                    fib_fmt_csv_number(csv, x->dose_ions_cm2);
                    fib_fmt_csv_number(csv, x->commanded_time_s);
                    fib_fmt_csv_number(csv, x->commanded_depth_um);
                    fib_fmt_csv_number(csv, x->physical_depth_um);
                    fib_fmt_csv_number(csv, x->damage_depth_nm);
                    fib_fmt_csv_number(csv, x->probe_d_nm);
                    fib_fmt_csv_number(csv, x->distance_um);
                    fib_fmt_csv_number(csv, x->overhead_s);
                    fib_fmt_csv_number(csv, x->start_s);
                    fib_fmt_csv_number(csv, x->end_s);
                    fib_fmt_csv_end_row(csv);
                }
            }
        st = fib_fmt_csv_write(csv, o->csv_path, &err);
        if (st != FIB_OK)
            goto fail;
        wrote_csv = true;
    }
    if (o->out_dir) {
        if (!cli_make_dir(cmd, o->out_dir)) {
            rc = CLI_EXIT_FAIL;
            goto done;
        }
        char path[4096];
        for (size_t i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/site-%s.png", o->out_dir,
                     ion_sym(fib_plan_get_ion(prim[i])));
            st = draw_site(prim[i], path, &err);
            if (st != FIB_OK)
                goto fail;
            n_sites = i + 1;
        }
        snprintf(path, sizeof path, "%s/timeline.png", o->out_dir);
        st = draw_timeline(prim, n, path, &err);
        if (st != FIB_OK)
            goto fail;
    }
    goto done;
fail:
    rc = cli_fail(cmd, st, &err);
done:
    if (rc != CLI_EXIT_OK) { /* all outputs or none */
        if (wrote_json)
            (void)remove(o->json_path);
        if (wrote_csv)
            (void)remove(o->csv_path);
        for (size_t i = 0; i < n_sites; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/site-%s.png", o->out_dir,
                     ion_sym(fib_plan_get_ion(prim[i])));
            (void)remove(path);
        }
    }
    fib_fmt_json_destroy(j);
    fib_fmt_csv_destroy(csv);
    for (size_t i = 0; i < n; i++) {
        fib_plan_destroy(def[i]);
        fib_plan_destroy(opt[i]);
    }
    return rc;
}
