/* job_plan_slice_view.c -- `cryofib slice-view` as a library call
 * (fib/job_plan.h): a FIB-SEM slice-and-view run planned for every ion
 * (slices, milling and imaging time, dose, data volume), its table, JSON,
 * CSV and the timeline of the first slice cycles. */
#include <stdio.h>
#include <string.h>

#include "fib/canvas.h"
#include "fib/job_paths.h"
#include "fib/materials_cfg.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "fib/session_cfg.h"
#include "job_plan_internal.h"

enum { SV_CYCLES = 4 };

#define SAY(...) fib_job_say(env, FIB_JOB_RESULT, __VA_ARGS__)

static void say_sv(const fib_job_env *env, const fib_plan_sv_request *r,
                   const fib_plan_sv_result *res)
{
    SAY("slice-and-view run: %s", r->name[0] ? r->name : "(unnamed)");
    SAY("  region %.1f x %.1f x %.1f um of %s, voxel %.0f nm, slice %.0f nm; "
        "SEM %.1f kV %.0f pA %.2f us x %d frame(s), %d detector(s)",
        r->region_x_um, r->region_y_um, r->region_z_um, r->material,
        r->voxel_nm, r->slice_nm, r->sem_kV, r->sem_current_pA, r->dwell_us,
        r->frames, r->n_detectors);
    SAY("%-4s %10s %8s %11s %10s %10s %9s %9s %12s %10s %9s", "ion", "I(pA)",
        "slices", "pixels", "mill(s)", "image(s)", "total(h)", "probe(nm)",
        "dose(e/nm2)", "data(GB)", "dmg(nm)");
    for (size_t i = 0; i < r->n_ions; i++) {
        char px[32];
        snprintf(px, sizeof px, "%zux%zu", res[i].pixels_x, res[i].pixels_y);
        SAY("%-4s %10.4g %8zu %11s %10.2f %10.2f %9.2f %9.1f %12.4g %10.3f "
            "%9.1f",
            fib__ion_sym(res[i].ion), res[i].current_pA, res[i].n_slices, px,
            res[i].mill_s_per_slice, res[i].image_s_per_slice,
            res[i].total_s / 3600, res[i].probe_d_nm,
            res[i].electron_dose_e_nm2, res[i].data_bytes / 1e9,
            res[i].damage_depth_nm);
    }
    for (size_t i = 0; i < r->n_ions; i++) {
        if (res[i].current_chosen)
            SAY("  %s current %.4g pA chosen for the %.0f nm slice and the "
                "%.0f h budget (probe %.1f x slice); slice depth to enter "
                "%.1f nm with %s",
                fib__ion_sym(res[i].ion), res[i].current_pA, r->slice_nm,
                r->time_budget_h, res[i].probe_slice_ratio,
                res[i].commanded_slice_nm, r->application);
        if (res[i].warning[0])
            SAY("  warning: %s", res[i].warning);
    }
    for (size_t i = 1; i < r->n_ions; i++)
        SAY("  %s/%s: run time %.2fx, milling per slice %.2fx",
            fib__ion_sym(res[i].ion), fib__ion_sym(res[0].ion),
            res[i].total_s / res[0].total_s,
            res[i].mill_s_per_slice / res[0].mill_s_per_slice);
}

static fib_status sv_json(const fib_plan_sv_request *r,
                          const fib_plan_sv_result *res, fib_fmt_json **out,
                          fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "run", r->name);
    fib_fmt_json_kv_string(j, "material", r->material);
    fib_fmt_json_key(j, "runs");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < r->n_ions; i++) {
        const fib_plan_sv_result *x = &res[i];
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "ion", fib__ion_sym(x->ion));
        fib_fmt_json_kv_number(j, "current_pA", x->current_pA);
        fib_fmt_json_kv_int(j, "n_slices", (long long)x->n_slices);
        fib_fmt_json_kv_int(j, "pixels_x", (long long)x->pixels_x);
        fib_fmt_json_kv_int(j, "pixels_y", (long long)x->pixels_y);
        fib_fmt_json_kv_number(j, "vpd_um3_per_nC", x->vpd_um3_per_nC);
        fib_fmt_json_kv_number(j, "mill_s_per_slice", x->mill_s_per_slice);
        fib_fmt_json_kv_number(j, "image_s_per_slice", x->image_s_per_slice);
        fib_fmt_json_kv_number(j, "total_time_s", x->total_s);
        fib_fmt_json_kv_number(j, "electron_dose_e_nm2",
                               x->electron_dose_e_nm2);
        fib_fmt_json_kv_number(j, "data_bytes", x->data_bytes);
        fib_fmt_json_kv_number(j, "probe_d_nm", x->probe_d_nm);
        fib_fmt_json_kv_number(j, "physical_slice_nm", x->physical_slice_nm);
        fib_fmt_json_kv_number(j, "commanded_slice_nm", x->commanded_slice_nm);
        fib_fmt_json_kv_bool(j, "over_budget", x->over_budget);
        fib_fmt_json_kv_number(j, "damage_depth_nm", x->damage_depth_nm);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    *out = j;
    return FIB_OK;
}

static fib_status sv_csv(const fib_plan_sv_request *r,
                         const fib_plan_sv_result *res, fib_fmt_csv **out,
                         fib_error *err)
{
    fib_fmt_csv *csv = NULL;
    fib_status st = fib_fmt_csv_create(&csv, err);
    if (st != FIB_OK)
        return st;
    static const char *const h[] = {"ion",
                                    "current_pA",
                                    "n_slices",
                                    "mill_s_per_slice",
                                    "image_s_per_slice",
                                    "total_time_s",
                                    "electron_dose_e_nm2",
                                    "data_bytes"};
    for (size_t k = 0; k < sizeof h / sizeof h[0]; k++)
        fib_fmt_csv_field(csv, h[k]);
    fib_fmt_csv_end_row(csv);
    for (size_t i = 0; i < r->n_ions; i++) {
        fib_fmt_csv_field(csv, fib__ion_sym(res[i].ion));
        fib_fmt_csv_number(csv, res[i].current_pA);
        fib_fmt_csv_int(csv, (long long)res[i].n_slices);
        fib_fmt_csv_number(csv, res[i].mill_s_per_slice);
        fib_fmt_csv_number(csv, res[i].image_s_per_slice);
        fib_fmt_csv_number(csv, res[i].total_s);
        fib_fmt_csv_number(csv, res[i].electron_dose_e_nm2);
        fib_fmt_csv_number(csv, res[i].data_bytes);
        fib_fmt_csv_end_row(csv);
    }
    *out = csv;
    return FIB_OK;
}

/* The first SV_CYCLES slice cycles of every ion on one timeline. */
static fib_status draw_cycles(const fib_plan_sv_request *r,
                              const fib_plan_sv_result *res, const char *path,
                              fib_error *err)
{
    fib_canvas *c = NULL;
    size_t n = r->n_ions;
    fib_status st =
        fib_canvas_create(1100, (size_t)(150 + 80 * n), 0xFFFFFFu, &c, err);
    if (st != FIB_OK)
        return st;
    const char *lanes[FIB_PLAN_MAX_IONS];
    fib_timeline_segment seg[FIB_PLAN_MAX_IONS * SV_CYCLES * 3] = {{0}};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        lanes[i] = fib__ion_sym(res[i].ion);
        double t = 0;
        double part[3] = {res[i].mill_s_per_slice, res[i].image_s_per_slice,
                          r->per_slice_overhead_s};
        static const char *const names[3] = {"mill", "image", "align"};
        for (int cyc = 0; cyc < SV_CYCLES; cyc++)
            for (int q = 0; q < 3; q++) {
                seg[k].lane = i;
                seg[k].start_min = t / 60;
                t += part[q];
                seg[k].end_min = t / 60;
                seg[k].label = names[q];
                seg[k].category = (size_t)q;
                k++;
            }
    }
    char title[160];
    snprintf(title, sizeof title,
             "first %d slices per ion (mill / image / align); %zu slices "
             "in all",
             SV_CYCLES, res[0].n_slices);
    fib_timeline_params tp = {0};
    tp.title = title;
    tp.lanes = lanes;
    tp.n_lanes = n;
    fib_canvas_rect rr = {0, 0, 1100, (int)(150 + 80 * n)};
    st = fib_plot_timeline(c, rr, &tp, seg, k, NULL, err);
    if (st == FIB_OK)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

static fib_status sv_outputs(const fib_job_slice_view_params *p,
                             const fib_plan_sv_request *r,
                             const fib_plan_sv_result *res,
                             const fib_job_env *env, fib_fmt_txn **own,
                             bool *named, fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_fmt_csv *csv = NULL;
    fib_status st = FIB_OK;
    if (p->json_path)
        st = sv_json(r, res, &j, err);
    if (st == FIB_OK && p->csv_path)
        st = sv_csv(r, res, &csv, err);
    st = fib__job_write_reports(env, own, st, p->json_path, j, p->csv_path, csv,
                                err);
    if (st == FIB_OK && p->out_dir) {
        const char *dir = NULL;
        st = fib__job_out_dir(env, own, p->out_dir, &dir, named, err);
        if (st == FIB_OK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/slice-view.png", dir);
            st = draw_cycles(r, res, path, err);
        }
    }
    return st;
}

fib_status fib_job_slice_view(const fib_job_slice_view_params *p,
                              const fib_job_env *env,
                              fib_job_slice_view_result *res, fib_error *err)
{
    if (!p || !p->run_path)
        return fib_error_set(err, FIB_EINVAL, "slice-view: no run file");
    if (res)
        memset(res, 0, sizeof *res);
    /* no report may be the run or materials file (fib/job_paths.h) */
    const char *ins[] = {p->run_path, p->materials_path},
               *opt[] = {"--json", "--csv"},
               *rep[] = {p->json_path, p->csv_path};
    fib_status st = fib_job_check_outputs(2, opt, rep, ins, 2, err);
    if (st != FIB_OK)
        return st;
    fib_plan_materials *db = NULL;
    fib_plan_sv_request r;
    fib_plan_sv_result out[FIB_PLAN_MAX_IONS];
    fib_fmt_txn *own = NULL;
    bool named = false;
    st = fib_plan_materials_create(&db, err);
    if (st == FIB_OK && p->materials_path)
        st = fib_fmt_materials_cfg_load(db, p->materials_path, err);
    if (st == FIB_OK)
        st = fib_fmt_slice_view_read(p->run_path, db, p->ions, &r, err);
    if (st == FIB_OK)
        st = fib_plan_slice_view(&r, db, out, err);
    fib_plan_materials_destroy(db);
    if (st != FIB_OK)
        return st;
    fib_plan_sv_defaults(&r);
    say_sv(env, &r, out);
    st = sv_outputs(p, &r, out, env, &own, &named, err);
    if (st == FIB_OK && res) {
        res->n_ions = r.n_ions;
        for (size_t i = 0; i < r.n_ions; i++) {
            res->n_slices[i] = out[i].n_slices;
            res->total_time_s[i] = out[i].total_s;
        }
    }
    return fib__job_end(env, own, st, named, err);
}
