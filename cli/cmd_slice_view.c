/* cmd_slice_view.c -- `cryofib slice-view`: FIB-SEM slice-and-view run
 * planning (slices, milling and imaging time, dose, data volume). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/canvas.h"
#include "fib/picture.h"
#include "fib/planner.h"
#include "fib/plot.h"
#include "fib/report.h"
#include "fib/materials_cfg.h"
#include "fib/session_cfg.h"
#include "plan_out.h"

static const char *cmd = "slice-view";

static void usage(void)
{
    printf("usage: cryofib slice-view RUN.cfg [--ion Ga,Xe] [--json FILE] "
           "[--csv FILE]\n"
           "                          [--out DIR] [--materials FILE]\n\n"
           "Plan a slice-and-view run from a run file (see examples/"
           "slice-view-coated-nmc.cfg):\nnumber of slices, milling and "
           "imaging time per slice, total run time, electron\ndose per "
           "slice and data volume, for each ion species side by side.\n"
           "  --out DIR  write slice-view.png: the first slices of the run "
           "per ion\n            (milling / imaging / overhead) on a "
           "timeline\n");
}

enum { SV_CYCLES = 4 };

/* The first SV_CYCLES slice cycles of every ion on one timeline. */
static fib_status draw_cycles(const fib_plan_sv_request *r,
                              const fib_plan_sv_result *res, const char *path,
                              fib_error *err);

static const char *sym(fib_plan_ion ion)
{
    const fib_plan_ion_info *i = fib_plan_ion_get(ion);
    return i ? i->symbol : "?";
}

int cli_cmd_slice_view(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ion", required_argument, NULL, 'i'},
        {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"materials", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *json = NULL, *csvp = NULL, *ions = NULL, *out = NULL,
               *mats = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hi:j:c:o:m:", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage();
            return CLI_EXIT_OK;
        case 'i':
            ions = optarg;
            break;
        case 'j':
            json = optarg;
            break;
        case 'c':
            csvp = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'm':
            mats = optarg;
            break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one RUN.cfg; see --help");
    {
        const char *ins[] = {argv[optind], mats};
        if (cli_check_not_input(cmd, "--json", json, ins, 2) ||
            cli_check_not_input(cmd, "--csv", csvp, ins, 2))
            return CLI_EXIT_USAGE;
    }
    fib_error err = {0};
    fib_plan_materials *db = NULL;
    fib_fmt_json *j = NULL;
    fib_fmt_csv *csv = NULL;
    fib_plan_sv_request r;
    fib_plan_sv_result res[FIB_PLAN_MAX_IONS];
    int rc = CLI_EXIT_OK;
    /* outputs through the output transaction (fib/txn.h): all or none */
    fib_fmt_txn *txn = NULL;
    const char *staged = NULL;
    fib_status st = fib_plan_materials_create(&db, &err);
    if (st == FIB_OK && mats)
        st = fib_fmt_materials_cfg_load(db, mats, &err);
    if (st == FIB_OK)
        st = fib_fmt_slice_view_read(argv[optind], db, ions, &r, &err);
    if (st == FIB_OK)
        st = fib_plan_slice_view(&r, db, res, &err);
    if (st != FIB_OK) {
        rc = cli_fail(cmd, st, &err);
        goto done;
    }
    fib_plan_sv_defaults(&r);
    printf("slice-and-view run: %s\n", r.name[0] ? r.name : "(unnamed)");
    printf("  region %.1f x %.1f x %.1f um of %s, voxel %.0f nm, slice "
           "%.0f nm; SEM %.1f kV %.0f pA %.2f us x %d frame(s), %d "
           "detector(s)\n",
           r.region_x_um, r.region_y_um, r.region_z_um, r.material, r.voxel_nm,
           r.slice_nm, r.sem_kV, r.sem_current_pA, r.dwell_us, r.frames,
           r.n_detectors);
    printf("%-4s %10s %8s %11s %10s %10s %9s %9s %12s %10s %9s\n", "ion",
           "I(pA)", "slices", "pixels", "mill(s)", "image(s)", "total(h)",
           "probe(nm)", "dose(e/nm2)", "data(GB)", "dmg(nm)");
    for (size_t i = 0; i < r.n_ions; i++) {
        char px[32];
        snprintf(px, sizeof px, "%zux%zu", res[i].pixels_x, res[i].pixels_y);
        printf("%-4s %10.4g %8zu %11s %10.2f %10.2f %9.2f %9.1f %12.4g "
               "%10.3f %9.1f\n",
               sym(res[i].ion), res[i].current_pA, res[i].n_slices, px,
               res[i].mill_s_per_slice, res[i].image_s_per_slice,
               res[i].total_s / 3600, res[i].probe_d_nm,
               res[i].electron_dose_e_nm2, res[i].data_bytes / 1e9,
               res[i].damage_depth_nm);
    }
    for (size_t i = 0; i < r.n_ions; i++) {
        if (res[i].current_chosen)
            printf("  %s current %.4g pA chosen for the %.0f nm slice and "
                   "the %.0f h budget (probe %.1f x slice); slice depth to "
                   "enter %.1f nm with %s\n",
                   sym(res[i].ion), res[i].current_pA, r.slice_nm,
                   r.time_budget_h, res[i].probe_slice_ratio,
                   res[i].commanded_slice_nm, r.application);
        if (res[i].warning[0])
            printf("  warning: %s\n", res[i].warning);
    }
    for (size_t i = 1; i < r.n_ions; i++)
        printf("  %s/%s: run time %.2fx, milling per slice %.2fx\n",
               sym(res[i].ion), sym(res[0].ion),
               res[i].total_s / res[0].total_s,
               res[i].mill_s_per_slice / res[0].mill_s_per_slice);
    if (json) {
        st = fib_fmt_json_create(2, &j, &err);
        if (st != FIB_OK)
            goto fail;
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "run", r.name);
        fib_fmt_json_kv_string(j, "material", r.material);
        fib_fmt_json_key(j, "runs");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < r.n_ions; i++) {
            const fib_plan_sv_result *x = &res[i];
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "ion", sym(x->ion));
            fib_fmt_json_kv_number(j, "current_pA", x->current_pA);
            fib_fmt_json_kv_int(j, "n_slices", (long long)x->n_slices);
            fib_fmt_json_kv_int(j, "pixels_x", (long long)x->pixels_x);
            fib_fmt_json_kv_int(j, "pixels_y", (long long)x->pixels_y);
            fib_fmt_json_kv_number(j, "vpd_um3_per_nC", x->vpd_um3_per_nC);
            fib_fmt_json_kv_number(j, "mill_s_per_slice", x->mill_s_per_slice);
            fib_fmt_json_kv_number(j, "image_s_per_slice",
                                   x->image_s_per_slice);
            fib_fmt_json_kv_number(j, "total_time_s", x->total_s);
            fib_fmt_json_kv_number(j, "electron_dose_e_nm2",
                                   x->electron_dose_e_nm2);
            fib_fmt_json_kv_number(j, "data_bytes", x->data_bytes);
            fib_fmt_json_kv_number(j, "probe_d_nm", x->probe_d_nm);
            fib_fmt_json_kv_number(j, "physical_slice_nm",
                                   x->physical_slice_nm);
            fib_fmt_json_kv_number(j, "commanded_slice_nm",
                                   x->commanded_slice_nm);
            fib_fmt_json_kv_bool(j, "over_budget", x->over_budget);
            fib_fmt_json_kv_number(j, "damage_depth_nm", x->damage_depth_nm);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        st = cli_txn_file(&txn, json, &staged, &err);
        if (st == FIB_OK)
            st = fib_fmt_json_write(j, staged, &err);
        if (st != FIB_OK)
            goto fail;
    }
    if (csvp) {
        st = fib_fmt_csv_create(&csv, &err);
        if (st != FIB_OK)
            goto fail;
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
        for (size_t i = 0; i < r.n_ions; i++) {
            fib_fmt_csv_field(csv, sym(res[i].ion));
            fib_fmt_csv_number(csv, res[i].current_pA);
            fib_fmt_csv_int(csv, (long long)res[i].n_slices);
            fib_fmt_csv_number(csv, res[i].mill_s_per_slice);
            fib_fmt_csv_number(csv, res[i].image_s_per_slice);
            fib_fmt_csv_number(csv, res[i].total_s);
            fib_fmt_csv_number(csv, res[i].electron_dose_e_nm2);
            fib_fmt_csv_number(csv, res[i].data_bytes);
            fib_fmt_csv_end_row(csv);
        }
        st = cli_txn_file(&txn, csvp, &staged, &err);
        if (st == FIB_OK)
            st = fib_fmt_csv_write(csv, staged, &err);
        if (st != FIB_OK)
            goto fail;
    }
    if (out) {
        const char *sdir = NULL;
        if (!cli_txn_out_dir(cmd, &txn, out, &sdir)) {
            rc = CLI_EXIT_USAGE; /* an unusable output folder is bad input */
            goto done;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/slice-view.png", sdir);
        st = draw_cycles(&r, res, path, &err);
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
    fib_plan_materials_destroy(db);
    return rc;
}

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
    fib_timeline_segment seg[FIB_PLAN_MAX_IONS * SV_CYCLES * 3];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        lanes[i] = sym(res[i].ion);
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
