/*
 * export_yaml.c -- fibsem-os / AutoLamella protocol YAML from session
 * plans (fib/pattern_export.h).
 *
 * YAML: written by hand (no dependency); keys as fibsem-os
 * fibsem/applications/autolamella/protocol/task-protocol.yaml and
 * task-protocol-waffle.yaml.  Every float carries a '.' in its mantissa so
 * that YAML 1.1 readers (PyYAML) read it as a float.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_internal.h"

/* ---------------------------------------------------------------------- */
/* AutoLamella protocol YAML                                              */

/* A YAML 1.1 float that PyYAML reads as a float: always a '.' in the
 * mantissa ("7.4e-10", "3.0e+04", "0.0"). */
static void yf(FILE *f, double v)
{
    if (v == 0) {
        fputs("0.0", f);
        return;
    }
    char buf[48];
    snprintf(buf, sizeof buf, "%.9e", v);
    char *e = strchr(buf, 'e');
    if (!e) {
        fputs(buf, f);
        return;
    }
    char *m = e; /* strip trailing zeros of the mantissa, keep "d.0" */
    while (m > buf && m[-1] == '0')
        m--;
    if (m[-1] == '.')
        m++;
    fwrite(buf, 1, (size_t)(m - buf), f);
    fputs(e, f);
}

/* Double-quoted YAML string. */
static void ys(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7F)
            fprintf(f, "\\x%02X", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void ykf(FILE *f, int in, const char *key, double v)
{
    fib__exp_indent(f, in);
    fprintf(f, "%s: ", key);
    yf(f, v);
    fputc('\n', f);
}

typedef enum task_id {
    T_TRENCH = 0,
    T_UNDERCUT,
    T_SETUP,
    T_ROUGH,
    T_POLISH,
    T_COUNT_
} task_id;

static const struct {
    const char *name, *type, *key, *group;
} TASKS[T_COUNT_] = {
    {"Trench Milling", "MILL_TRENCH", "trench", "Trench Milling"},
    {"Undercut Milling", "MILL_UNDERCUT", "undercut", "Undercut Milling"},
    {"Setup Lamella", "SETUP_LAMELLA", "fiducial", "Fiducial"},
    {"Rough Milling", "MILL_ROUGH", "mill_rough", "Rough Milling"},
    {"Polishing", "MILL_POLISHING", "mill_polishing", "Polishing"},
};

/* Task of a step; -1 = not an AutoLamella milling task (lift-out cuts are
 * manual in AutoLamella's on-grid / waffle workflows). */
static int step_task(const fib_plan *p, size_t i)
{
    const fib_plan_step *s = fib_plan_step_get(p, i);
    if (!fib__exp_exported(s))
        return -1;
    switch (s->pattern.kind) {
    case FIB_GEOM_FIDUCIAL:
        return T_SETUP;
    case FIB_GEOM_TRENCH:
        /* on-grid: AutoLamella mills the trenches as its first rough
         * stage (task-protocol.yaml Rough Mill 01); waffle and lift-out
         * have a Trench Milling task (task-protocol-waffle.yaml) */
        return fib_plan_get_request(p)->site.method == FIB_GEOM_ON_GRID
                   ? T_ROUGH
                   : T_TRENCH;
    case FIB_GEOM_SIDE_CUT:
    case FIB_GEOM_UNDERCUT:
        return T_UNDERCUT;
    case FIB_GEOM_STRESS_RELIEF:
        return T_ROUGH;
    case FIB_GEOM_THIN: {
        /* the last main-energy thinning window is AutoLamella's polish */
        for (size_t k = i + 1; k < fib_plan_step_count(p); k++)
            if (fib_plan_step_get(p, k)->pattern.kind == FIB_GEOM_THIN)
                return T_ROUGH;
        return T_POLISH;
    }
    case FIB_GEOM_POLISH:
        return T_POLISH;
    default:
        return -1;
    }
}

static const char *cross_section(const fib_geom_pattern *g)
{
    return g->scan == FIB_GEOM_SCAN_CCS     ? "CleaningCrossSection"
           : g->scan == FIB_GEOM_SCAN_STAIR ? "RegularCrossSection"
                                            : "Rectangle";
}

static void y_stage_head(FILE *f, const char *name, const fib_plan_step *s,
                         const char *app)
{
    fib__exp_indent(f, 16);
    fputs("-   name: ", f);
    ys(f, name);
    fputc('\n', f);
    fib__exp_indent(f, 20);
    fputs("milling:\n", f);
    ykf(f, 24, "milling_current", s->current_pA * 1e-12);
    ykf(f, 24, "milling_voltage", s->energy_keV * 1e3);
    fib__exp_indent(f, 24);
    fputs("application_file: ", f);
    ys(f, app);
    fputc('\n', f);
    fib__exp_indent(f, 24);
    fputs("patterning_mode: Serial\n", f);
    fib__exp_indent(f, 20);
    fputs("pattern:\n", f);
}

static void y_point(FILE *f, double x_um, double y_um)
{
    fib__exp_indent(f, 24);
    fputs("point:\n", f);
    ykf(f, 28, "x", x_um * 1e-6);
    ykf(f, 28, "y", y_um * 1e-6);
    fib__exp_indent(f, 28);
    fputs("name: null\n", f);
}

static void y_stage_tail(FILE *f)
{
    fib__exp_indent(f, 20);
    fputs("strategy:\n", f);
    fib__exp_indent(f, 24);
    fputs("name: Standard\n", f);
    fib__exp_indent(f, 24);
    fputs("config: {}\n", f);
}

/* One or more stages for step @p i; returns the number written. */
static int y_stages(FILE *f, const fib_plan *p, size_t i, const char *app)
{
    const fib_plan_step *s = fib_plan_step_get(p, i);
    const fib_geom_pattern *g = &s->pattern;
    char name[96];
    snprintf(name, sizeof name, "%02zu %s", i + 1, s->name);
    double dmax = 0;
    for (int b = 0; b < g->n_boxes; b++)
        dmax = fmax(dmax, fib__exp_box_numbers(s, b).depth_um);
    const fib_geom_box *b0 = &g->box[0];
    double w0 = b0->x1_um - b0->x0_um, h0 = b0->y1_um - b0->y0_um;
    char lab[16];
    fib__exp_box_label(g, 0, lab, sizeof lab);
    bool pair_y =
        g->n_boxes == 2 && (!strcmp(lab, "upper") || !strcmp(lab, "lower"));
    if (g->kind == FIB_GEOM_FIDUCIAL) {
        double cx = 0, cy = 0;
        for (int b = 0; b < g->n_boxes; b++) {
            cx += 0.5 * (g->box[b].x0_um + g->box[b].x1_um) / g->n_boxes;
            cy += 0.5 * (g->box[b].y0_um + g->box[b].y1_um) / g->n_boxes;
        }
        y_stage_head(f, name, s, app);
        y_point(f, cx, cy);
        ykf(f, 24, "width", fmin(w0, h0) * 1e-6);
        ykf(f, 24, "height", fmax(w0, h0) * 1e-6);
        ykf(f, 24, "depth", dmax * 1e-6);
        fib__exp_indent(f, 24);
        fputs("rotation: 0\n", f);
        fib__exp_indent(f, 24);
        fputs("cross_section: Rectangle\n", f);
        fib__exp_indent(f, 24);
        fputs("asymmetric: false\n", f);
        fib__exp_indent(f, 24);
        fputs("name: Fiducial\n", f);
        y_stage_tail(f);
        return 1;
    }
    if (g->kind == FIB_GEOM_STRESS_RELIEF && g->n_boxes == 2) {
        y_stage_head(f, name, s, app);
        y_point(f, 0, 0);
        ykf(f, 24, "width", w0 * 1e-6);
        ykf(f, 24, "height", h0 * 1e-6);
        ykf(f, 24, "depth", dmax * 1e-6);
        /* slot centre from the lamella centre */
        ykf(f, 24, "distance", fabs(0.5 * (b0->x0_um + b0->x1_um)) * 1e-6);
        fib__exp_indent(f, 24);
        fputs("name: MicroExpansion\n", f);
        y_stage_tail(f);
        return 1;
    }
    if (pair_y) {
        const fib_geom_box *up = b0->y0_um >= 0 ? b0 : &g->box[1];
        const fib_geom_box *lo = b0->y0_um >= 0 ? &g->box[1] : b0;
        y_stage_head(f, name, s, app);
        y_point(f, 0.5 * (up->x0_um + up->x1_um),
                0.5 * (up->y0_um + lo->y1_um));
        ykf(f, 24, "width", (up->x1_um - up->x0_um) * 1e-6);
        ykf(f, 24, "depth", dmax * 1e-6);
        ykf(f, 24, "spacing", (up->y0_um - lo->y1_um) * 1e-6);
        ykf(f, 24, "upper_trench_height", (up->y1_um - up->y0_um) * 1e-6);
        ykf(f, 24, "lower_trench_height", (lo->y1_um - lo->y0_um) * 1e-6);
        fib__exp_indent(f, 24);
        fprintf(f, "cross_section: %s\n", cross_section(g));
        ykf(f, 24, "time", 0);
        ykf(f, 24, "fillet", 0);
        fib__exp_indent(f, 24);
        fputs("name: Trench\n", f);
        y_stage_tail(f);
        return 1;
    }
    /* anything else: one Rectangle stage per box */
    for (int b = 0; b < g->n_boxes; b++) {
        const fib_geom_box *x = &g->box[b];
        const fib__exp_box bo = fib__exp_box_numbers(s, b);
        char nb[112];
        fib__exp_box_label(g, b, lab, sizeof lab);
        if (g->n_boxes > 1)
            snprintf(nb, sizeof nb, "%s %s", name, lab);
        else
            snprintf(nb, sizeof nb, "%s", name);
        y_stage_head(f, nb, s, app);
        y_point(f, bo.cx_um, bo.cy_um);
        ykf(f, 24, "width", bo.width_um * 1e-6);
        ykf(f, 24, "height", bo.length_um * 1e-6);
        ykf(f, 24, "depth", bo.depth_um * 1e-6);
        fib__exp_indent(f, 24);
        fputs("rotation: 0\n", f);
        fib__exp_indent(f, 24);
        fprintf(f, "cross_section: %s\n", cross_section(g));
        fib__exp_indent(f, 24);
        fprintf(f, "scan_direction: %s\n", fib__exp_scan_dir(x));
        fib__exp_indent(f, 24);
        fputs("name: Rectangle\n", f);
        y_stage_tail(f);
    }
    return g->n_boxes;
}

/* Task @p t of the protocol: its parameters and milling stages. */
static void y_task(FILE *f, const fib_plan *p, int t, double fov)
{
    const fib_plan_request *rq = fib_plan_get_request(p);
    const char *app = rq->application;
    size_t n = fib_plan_step_count(p);
    fib__exp_indent(f, 4);
    fprintf(f, "%s:\n", TASKS[t].name);
    fib__exp_indent(f, 8);
    fprintf(f, "task_type: %s\n", TASKS[t].type);
    if (t == T_SETUP) {
        fib__exp_indent(f, 8);
        fputs("parameters:\n", f);
        ykf(f, 12, "milling_angle",
            rq->site.milling_angle_deg > 0 ? rq->site.milling_angle_deg : 15.0);
        fib__exp_indent(f, 12);
        fputs("use_fiducial: true\n", f);
        fib__exp_indent(f, 12);
        fputs("align_to_reference: true\n", f);
        fib__exp_indent(f, 12);
        fputs("alignment_expansion: 50\n", f);
    }
    fib__exp_indent(f, 8);
    fputs("milling:\n", f);
    fib__exp_indent(f, 12);
    fprintf(f, "%s:\n", TASKS[t].key);
    fib__exp_indent(f, 16);
    fprintf(f, "name: %s\n", TASKS[t].group);
    ykf(f, 16, "field_of_view", fov);
    fib__exp_indent(f, 16);
    fputs("channel: ION\n", f);
    fib__exp_indent(f, 16);
    fprintf(f, "alignment:\n");
    fib__exp_indent(f, 20);
    fprintf(f, "enabled: %s\n", t == T_SETUP ? "false" : "true");
    fib__exp_indent(f, 16);
    fputs("stages:\n", f);
    for (size_t i = 0; i < n; i++)
        if (step_task(p, i) == t)
            (void)y_stages(f, p, i, app);
}

/* The cryofib block: plan numbers per step. */
static void y_plan_numbers(FILE *f, const fib_plan *p, const char *ion)
{
    const char *app = fib_plan_get_request(p)->application;
    size_t n = fib_plan_step_count(p);
    /* Plan numbers per stage (ignored by AutoLamella; read by tests and
     * operators): the commanded time is what the instrument will take. */
    fputs("cryofib:\n    ion: ", f);
    ys(f, ion);
    fputs("\n    application_file: ", f);
    ys(f, app);
    fputs("\n    steps:\n", f);
    for (size_t i = 0; i < n; i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        int t = step_task(p, i);
        fprintf(f, "    -   step: %zu\n", i + 1);
        fputs("        name: ", f);
        ys(f, s->name);
        fputs("\n        task: ", f);
        if (t >= 0)
            ys(f, TASKS[t].name);
        else
            fputs(fib__exp_exported(s)
                      ? "null  # lift-out cut: mill by hand or use "
                        "the .ptf export"
                      : "null  # deposition / transfer",
                  f);
        fputc('\n', f);
        ykf(f, 8, "current_pA", s->current_pA);
        ykf(f, 8, "energy_keV", s->energy_keV);
        ykf(f, 8, "vpd_um3_per_nC", s->vpd_um3_per_nC);
        ykf(f, 8, "commanded_time_s", s->commanded_time_s);
        ykf(f, 8, "commanded_depth_um", s->commanded_depth_um);
        ykf(f, 8, "physical_depth_um", s->physical_depth_um);
    }
}

/* @p site: the session site the plan is for (named in the protocol's
 * title), NULL for a single-site plan. */
fib_status fib__exp_yaml(const fib_plan *p, const char *site, const char *dir,
                         fib__exp_set *set, fib_error *err)
{
    const char *ion = fib__exp_ion_symbol(p);
    const fib_plan_request *rq = fib_plan_get_request(p);
    size_t n = fib_plan_step_count(p);
    bool has[T_COUNT_] = {0};
    size_t n_exp = 0;
    double ext_um = 0;
    for (size_t i = 0; i < n; i++) {
        int t = step_task(p, i);
        if (t < 0)
            continue;
        has[t] = true;
        n_exp++;
        const fib_geom_pattern *g = &fib_plan_step_get(p, i)->pattern;
        for (int b = 0; b < g->n_boxes; b++)
            ext_um =
                fmax(ext_um,
                     fmax(fmax(fabs(g->box[b].x0_um), fabs(g->box[b].x1_um)),
                          fmax(fabs(g->box[b].y0_um), fabs(g->box[b].y1_um))));
    }
    if (n_exp == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "export: the %s plan has no AutoLamella milling "
                             "step",
                             ion);
    char file[64];
    snprintf(file, sizeof file, "autolamella-%s.yaml", ion);
    fib_status st = fib__exp_set_open(set, dir, file, err);
    if (st != FIB_OK)
        return st;
    FILE *f = set->fp;
    /* field of view: every pattern inside with 20 % room, >= 80 um */
    double fov = fmax(80e-6, 2.4 * ext_um * 1e-6);
    fputs("# AutoLamella task protocol written by cryofib (keys as fibsem-os\n"
          "# fibsem/applications/autolamella/protocol/task-protocol.yaml).\n"
          "# SI units: metres, amperes, volts.  Depths are the depths to "
          "enter with\n# the application file and current (planned time in "
          "the cryofib block).\n",
          f);
    fputs("name: ", f);
    char title[192];
    snprintf(title, sizeof title, "cryofib %s%s%s (%s, %s ladder)",
             rq->name[0] ? rq->name : "session", site ? ", site " : "",
             site ? site : "", ion,
             fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED ? "optimized"
                                                               : "default");
    ys(f, title);
    fputs("\ndescription: ", f);
    ys(f, fib_geom_method_name(rq->site.method));
    fputs("\nversion: '1.0'\ntasks:\n", f);
    for (int t = 0; t < T_COUNT_; t++) {
        if (!has[t])
            continue;
        y_task(f, p, t, fov);
    }
    fputs("workflow:\n    name: ''\n    description: ''\n    tasks:\n", f);
    const char *prev = NULL;
    for (int t = 0; t < T_COUNT_; t++) {
        if (!has[t])
            continue;
        fprintf(f, "    -   name: %s\n", TASKS[t].name);
        fputs("        supervise: true\n        required: true\n", f);
        if (prev && t >= T_ROUGH)
            fprintf(f, "        requires:\n        - %s\n", prev);
        else
            fputs("        requires: []\n", f);
        prev = TASKS[t].name;
    }
    fputs("options:\n    turn_beams_off: false\n", f);
    y_plan_numbers(f, p, ion);
    return FIB_OK;
}

/* The session's sites and run order for the AutoLamella export. */
fib_status fib__exp_session_index_yaml(const fib_session *s, const char *dir,
                                       fib__exp_set *set, fib_error *err)
{
    const fib_plan *p0 = fib_session_site_plan(s, 0);
    const char *ion = fib__exp_ion_symbol(p0);
    const fib_plan_request *rq = &fib_session_get_request(s)->base;
    char name[64];
    snprintf(name, sizeof name, "session-%s.yaml", ion);
    fib_status st = fib__exp_set_open(set, dir, name, err);
    if (st != FIB_OK)
        return st;
    FILE *f = set->fp;
    fib_session_summary S = fib_session_get_summary(s);
    fputs("# cryofib session for AutoLamella: one task protocol per site\n"
          "# (<folder>/autolamella-<ion>.yaml).  AutoLamella keeps a "
          "task_config per\n# lamella (experiment.yaml positions[i]."
          "task_config, fibsem-os\n# fibsem/applications/autolamella/"
          "structures.py); add one lamella per site at\n# its stage "
          "position and load its protocol.  stage_position in metres.\n",
          f);
    fputs("name: ", f);
    ys(f, rq->name[0] ? rq->name : "session");
    fputs("\nion: ", f);
    ys(f, ion);
    fprintf(f, "\nworkflow: %d\n", S.workflow);
    ykf(f, 0, "total_time_s", S.total_s);
    ykf(f, 0, "milling_time_s", S.milling_s);
    fputs("sites:\n", f);
    for (size_t k = 0; k < fib_session_site_count(s); k++) {
        const fib_session_site *si = fib_session_site_get(s, k);
        const fib_plan *p = fib_session_site_plan(s, k);
        char folder[64];
        fib__exp_site_folder(s, k, folder, sizeof folder);
        fputs("-   name: ", f);
        ys(f, si->name);
        fprintf(f, "\n    folder: %s\n    protocol: %s/autolamella-%s.yaml\n",
                folder, folder, ion);
        fputs("    method: ", f);
        ys(f, fib_geom_method_name(fib_plan_get_request(p)->site.method));
        fputs("\n    stage_position:\n", f);
        ykf(f, 8, "x", si->x_um * 1e-6);
        ykf(f, 8, "y", si->y_um * 1e-6);
        ykf(f, 4, "milling_time_s",
            fib_session_site_result_get(s, k)->milling_s);
    }
    fputs("run_order:\n", f);
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *q = fib_session_step_get(s, i);
        const fib_plan *p = fib_session_site_plan(s, q->site);
        const fib_plan_step *ps = fib_plan_step_get(p, q->plan_step);
        int t = step_task(p, q->plan_step);
        fprintf(f, "-   order: %zu\n    site: ", i + 1);
        ys(f, fib_session_site_get(s, q->site)->name);
        fprintf(f, "\n    batch: %s\n    step: %zu\n    name: ",
                fib_session_batch_name(q->batch), q->plan_step + 1);
        ys(f, ps->name);
        fputs("\n    task: ", f);
        if (t >= 0)
            ys(f, TASKS[t].name);
        else
            fputs("null", f);
        fputc('\n', f);
        ykf(f, 4, "current_pA", ps->mills ? ps->current_pA : 0.0);
        ykf(f, 4, "commanded_time_s", ps->mills ? ps->commanded_time_s : 0.0);
        ykf(f, 4, "start_s", q->step.start_s);
        ykf(f, 4, "end_s", q->step.end_s);
    }
    return FIB_OK;
}
