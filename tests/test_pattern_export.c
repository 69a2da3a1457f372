/* test_pattern_export.c -- .ptf pattern files and AutoLamella protocol
 * YAML written from session plans: the files are parsed back and every
 * field is checked against the plan's steps; the relations between the
 * derived .ptf fields are checked on the published SerialFIB templates;
 * all-or-none on errors. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/pattern_export.h"
#include "fib/physics.h"
#include "fib/planner.h"
#include "fib/session.h"
#include "fib/session_cfg.h"
#include "fib/session_sites_cfg.h"
#include "fib_test.h"

static const double PI = 3.14159265358979323846;
static fib_plan_materials *db;

static void setup(void)
{
    ck_assert_int_eq(fib_plan_materials_create(&db, NULL), FIB_OK);
}

static void teardown(void)
{
    fib_plan_materials_destroy(db);
    db = NULL;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* Text of the first <tag ...>text</tag> at or after @p from. */
static bool xml_get(const char *from, const char *tag, char *out, size_t n)
{
    char open[64];
    snprintf(open, sizeof open, "<%s ", tag);
    const char *p = strstr(from, open);
    if (!p)
        return false;
    p = strchr(p, '>');
    if (!p)
        return false;
    p++;
    const char *e = strstr(p, "</");
    if (!e)
        return false;
    size_t k = (size_t)(e - p) < n - 1 ? (size_t)(e - p) : n - 1;
    memcpy(out, p, k);
    out[k] = '\0';
    return true;
}

static double xml_num(const char *from, const char *tag)
{
    char buf[64];
    ck_assert_msg(xml_get(from, tag, buf, sizeof buf), "no <%s>", tag);
    char *end;
    double v = strtod(buf, &end);
    ck_assert_msg(end != buf && *end == '\0', "<%s> '%s' is not a number", tag,
                  buf);
    return v;
}

/* Element names in document order after @p from (closing tags skipped). */
static size_t xml_tags(const char *from, char tags[][48], size_t cap)
{
    size_t n = 0;
    for (const char *p = strchr(from, '<'); p && n < cap;
         p = strchr(p + 1, '<')) {
        if (p[1] == '/')
            continue;
        size_t k = strcspn(p + 1, " >");
        ck_assert_uint_lt(k, 48);
        memcpy(tags[n], p + 1, k);
        tags[n][k] = '\0';
        n++;
    }
    return n;
}

/* Element order of SerialFIB TemplatePatterns/regular.ptf (also
 * PFIB/regular.ptf) after <PatternRectangle>. */
static const char *const RECT_ORDER[] = {
    "PatternRectangle",
    "Application",
    "Beam",
    "DwellTime",
    "CenterX",
    "CenterY",
    "Rotation",
    "GasType",
    "GasSetpoint",
    "GasNeedlePosition",
    "Defocus",
    "RefreshTime",
    "TotalTime",
    "PassCount",
    "Enable",
    "ExclusionZone",
    "Depth",
    "Blur",
    "InteractionDiameter",
    "RelativeInteractionDiameter",
    "TotalDiameter",
    "VolumePerDose",
    "Dose",
    "SaturationSputterRate",
    "TotalVolumeSputterRate",
    "SaturationCurrentDensity",
    "MaximumDosePerArea",
    "VolumeEtchRate",
    "VolumeGasAssistedRate",
    "VolumeDoseLimitedRate",
    "TotalLinearSputterRate",
    "TotalBeamArea",
    "DepthPerPass",
    "AreaCalculation",
    "Width",
    "Length",
    "ScanDirection",
    "ScanType",
    "PitchX",
    "PitchY",
    "EqualPitch",
    "OverlapX",
    "OverlapY",
    "FillStyle",
    "SelectiveMilling",
    "IsSelectiveMillingEnabled",
    "TimeIntervalBeforeAdjust",
    "ContrastThresholdMinimum",
    "ContrastThresholdMaximum",
    "EndpointDetection",
    "IsEndpointDetectionEnabled",
    "EndpointDetectionSignalType",
    "EndpointDetectionEndpointType",
    "EndpointNum",
};

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static fib_plan *make(const fib_plan_request *r, size_t ion)
{
    fib_plan *p = NULL;
    fib_error err = {0};
    fib_status st =
        fib_plan_create(r, ion, FIB_PLAN_LADDER_DEFAULT, db, &p, &err);
    ck_assert_msg(st == FIB_OK, "plan: %s", err.msg);
    return p;
}

/* Check the .ptf export of @p p in @p dir (index-<ion>.txt and its files)
 * against the plan; returns the number of pattern files. */
static size_t check_ptf_files(const fib_plan *p, const char *dir)
{
    const char *ion = fib_plan_ion_get(fib_plan_get_ion(p))->symbol;
    const char *app = fib_plan_get_request(p)->application;
    char path[1024];
    snprintf(path, sizeof path, "%s/index-%s.txt", dir, ion);
    char *index = slurp(path);
    /* per step: sum of box times, deepest box */
    double t_sum[FIB_PLAN_MAX_STEPS] = {0}, d_max[FIB_PLAN_MAX_STEPS] = {0};
    int boxes[FIB_PLAN_MAX_STEPS] = {0};
    size_t rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(index, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        size_t order, step;
        char file[128], name[64], box[16], type[32], appl[32];
        double pA, t_s, d_um, w_um, l_um, cx, cy;
        int k = sscanf(line,
                       "%zu\t%127s\t%zu\t%63s\t%15s\t%31s\t%31s\t%lf\t%lf\t%lf"
                       "\t%lf\t%lf\t%lf\t%lf",
                       &order, file, &step, name, box, type, appl, &pA, &t_s,
                       &d_um, &w_um, &l_um, &cx, &cy);
        ck_assert_int_eq(k, 14);
        ck_assert_uint_eq(order, rows + 1);
        rows++;
        ck_assert_uint_ge(step, 1);
        const fib_plan_step *s = fib_plan_step_get(p, step - 1);
        ck_assert_ptr_nonnull(s);
        ck_assert(s->mills);
        ck_assert_str_eq(name, s->name);
        ck_assert_str_eq(appl, app);
        ck_assert_double_eq_tol(pA, s->current_pA, 1e-9 * s->current_pA);

        snprintf(path, sizeof path, "%s/%s", dir, file);
        char *x = slurp(path);
        ck_assert(
            !strncmp(x, "<Content Version=\"FEI PatternFile 1.2\">\n", 39));
        const char *pat = strstr(x, "</PatternList>");
        ck_assert_ptr_nonnull(pat);
        const char *tag = s->pattern.scan == FIB_GEOM_SCAN_CCS
                              ? "<PatternCleaningCrossSection>"
                          : s->pattern.scan == FIB_GEOM_SCAN_STAIR
                              ? "<PatternRegularCrossSection>"
                              : "<PatternRectangle>";
        ck_assert_msg(strstr(pat, tag) != NULL, "%s: no %s", file, tag);
        {
            /* element order: regular.ptf (rectangle), cross.ptf (regular
             * cross-section: common part + ScanMethod, MultiScanPassCount,
             * ScanRatio), clean_cross.ptf (cleaning: common part only) */
            static const char *const RCS_TAIL[] = {
                "ScanMethod", "MultiScanPassCount", "ScanRatio"};
            const size_t common = 43; /* PatternRectangle .. OverlapY */
            char tags[80][48];
            size_t nt = xml_tags(strchr(pat + 1, '<'), tags, 80);
            size_t ne = s->pattern.scan == FIB_GEOM_SCAN_BOX
                            ? sizeof RECT_ORDER / sizeof RECT_ORDER[0]
                        : s->pattern.scan == FIB_GEOM_SCAN_STAIR ? common + 3
                                                                 : common;
            ck_assert_uint_eq(nt, ne);
            ck_assert_str_eq(RECT_ORDER[common - 1], "OverlapY");
            for (size_t i = 1; i < common; i++)
                ck_assert_str_eq(tags[i], RECT_ORDER[i]);
            for (size_t i = common; i < ne; i++)
                ck_assert_str_eq(tags[i], s->pattern.scan == FIB_GEOM_SCAN_STAIR
                                              ? RCS_TAIL[i - common]
                                              : RECT_ORDER[i]);
            ck_assert_uint_eq(strlen(tags[0]), strlen(tag) - 2);
            ck_assert(!strncmp(tags[0], tag + 1, strlen(tag) - 2));
        }
        char sv[64];
        ck_assert(xml_get(pat, "Application", sv, sizeof sv));
        ck_assert_str_eq(sv, app);
        ck_assert(xml_get(pat, "Beam", sv, sizeof sv));
        ck_assert_str_eq(sv, "Ion");
        double vpd = xml_num(pat, "VolumePerDose");
        double rate = xml_num(pat, "TotalVolumeSputterRate");
        double T = xml_num(pat, "TotalTime");
        double D = xml_num(pat, "Depth");
        double W = xml_num(pat, "Width"), L = xml_num(pat, "Length");
        double dwell = xml_num(pat, "DwellTime");
        double diam = xml_num(pat, "TotalDiameter");
        /* SI units against the plan's um, pA, s, um^3/nC */
        ck_assert_double_eq_tol(vpd, s->vpd_um3_per_nC * 1e-9, 1e-12 * vpd);
        ck_assert_double_eq_tol(rate / vpd, s->current_pA * 1e-12,
                                1e-12 * s->current_pA);
        ck_assert_double_eq_tol(xml_num(pat, "VolumeEtchRate"), rate,
                                1e-12 * rate);
        ck_assert_double_eq_tol(diam, s->probe_d_nm * 1e-9, 1e-12);
        ck_assert_double_eq_tol(dwell, 1e-6, 1e-15);
        ck_assert_double_eq_tol(T, t_s, 1e-9 * t_s);
        ck_assert_double_eq_tol(D, d_um * 1e-6, 1e-9 * D);
        ck_assert_double_eq_tol(W, w_um * 1e-6, 1e-12);
        ck_assert_double_eq_tol(L, l_um * 1e-6, 1e-12);
        ck_assert_double_eq_tol(xml_num(pat, "CenterX"), cx * 1e-6, 1e-12);
        ck_assert_double_eq_tol(xml_num(pat, "CenterY"), cy * 1e-6, 1e-12);
        /* the box of the plan */
        int b = boxes[step - 1]++;
        ck_assert_int_lt(b, s->pattern.n_boxes);
        const fib_geom_box *g = &s->pattern.box[b];
        ck_assert_double_eq_tol(w_um, g->x1_um - g->x0_um, 1e-9);
        ck_assert_double_eq_tol(l_um, g->y1_um - g->y0_um, 1e-9);
        ck_assert_double_eq_tol(cx, 0.5 * (g->x0_um + g->x1_um), 1e-9);
        ck_assert_double_eq_tol(cy, 0.5 * (g->y0_um + g->y1_um), 1e-9);
        /* mill towards the lamella */
        ck_assert(xml_get(pat, "ScanDirection", sv, sizeof sv));
        ck_assert_str_eq(sv, g->y0_um >= 0 ? "TopToBottom" : "BottomToTop");
        /* what xT computes from the file is the planned time, for every
         * uniform-depth pattern: t = W L D / (VPD I) */
        if (s->pattern.scan != FIB_GEOM_SCAN_STAIR)
            ck_assert_double_eq_tol(W * L * D / rate, T, 1e-6 * T);
        /* derived fields (relations of the published templates) */
        double px = xml_num(pat, "PitchX"), py = xml_num(pat, "PitchY");
        double ovx = xml_num(pat, "OverlapX"), ovy = xml_num(pat, "OverlapY");
        ck_assert_double_eq_tol(px, diam * (1 - ovx / 100), 1e-12 * diam);
        ck_assert_double_eq_tol(py, diam * (1 - ovy / 100), 1e-12 * diam);
        double area = xml_num(pat, "TotalBeamArea");
        ck_assert_double_eq_tol(area, PI * diam * diam / 4, 1e-9 * area);
        ck_assert_double_eq_tol(xml_num(pat, "TotalLinearSputterRate"),
                                rate / area, 1e-9 * rate / area);
        double passes = xml_num(pat, "PassCount");
        ck_assert_double_eq_tol(xml_num(pat, "Dose"),
                                passes * (rate / vpd) * dwell / (px * py) *
                                    1e-12,
                                1e-9 * xml_num(pat, "Dose"));
        ck_assert_double_ge(passes * xml_num(pat, "DepthPerPass"), D);
        t_sum[step - 1] += T;
        d_max[step - 1] = fmax(d_max[step - 1], D);
        free(x);
    }
    free(index);
    /* every milling step, every box, times and depths of the plan */
    size_t n_files = 0;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        bool mill = s->mills && s->pattern.scan != FIB_GEOM_SCAN_DEPOSIT &&
                    s->pattern.n_boxes > 0;
        if (!mill) {
            ck_assert_int_eq(boxes[i], 0);
            continue;
        }
        ck_assert_int_eq(boxes[i], s->pattern.n_boxes);
        n_files += (size_t)boxes[i];
        ck_assert_double_eq_tol(t_sum[i], s->commanded_time_s,
                                1e-9 * s->commanded_time_s);
        /* the depth is the plan's commanded depth: always for stair
         * trenches; for uniform patterns whenever the plan commands
         * V = area x commanded depth (its contract; before the issue-12
         * depth solve, low-kV passes carried the slab instead) */
        double area = s->pattern.area_um2;
        if (s->pattern.scan == FIB_GEOM_SCAN_STAIR ||
            fabs(area * s->commanded_depth_um - s->volume_um3) <=
                1e-9 * s->volume_um3)
            ck_assert_double_eq_tol(d_max[i], s->commanded_depth_um * 1e-6,
                                    1e-9 * d_max[i]);
        else
            ck_assert_int_eq(s->pattern.kind, FIB_GEOM_POLISH);
    }
    ck_assert_uint_eq(rows, n_files);
    return n_files;
}

/* Export @p p as .ptf into a fresh folder and check every file against the
 * plan; returns the number of pattern files. */
static size_t check_ptf(const fib_plan *p)
{
    char dir[512];
    fib_test_tmpdir(dir, sizeof dir);
    fib_error err = {0};
    const fib_plan *one[1] = {p};
    fib_status st = fib_fmt_plan_export(one, 1, FIB_FMT_EXPORT_PTF, dir, &err);
    ck_assert_msg(st == FIB_OK, "export: %s", err.msg);
    size_t n_files = check_ptf_files(p, dir);
    ck_assert_uint_eq(count_entries(dir), n_files + 1);
    fib_test_rmdir(dir);
    return n_files;
}

START_TEST(test_templates_relations)
{
    /* The relations written into every file hold on the published files
     * (SerialFIB TemplatePatterns/PFIB/regular.ptf, Xe, and
     * TemplatePatterns/clean_cross.ptf, Ga). */
    struct {
        double vpd, rate, d, px, py, passes, dose, area, lin;
    } t[2] = {
        {3.8e-10, 3.76974706E-20, 232e-9, 116e-9, 116e-9, 643583,
         4.74479223143653E-09, 4.22732707467043E-14, 8.91756656963643E-07},
        {2e-9, 1.16834400000062E-19, 19e-9, 2.85e-9, 9.5e-9, 364,
         7.85368819945012E-10, 2.83528736986479E-16, 4.12072515970871E-04}};
    for (int i = 0; i < 2; i++) {
        double I = t[i].rate / t[i].vpd;
        ck_assert_double_eq_tol(t[i].passes * I * 1e-6 / (t[i].px * t[i].py) *
                                    1e-12,
                                t[i].dose, 1e-4 * t[i].dose);
        ck_assert_double_eq_tol(PI * t[i].d * t[i].d / 4, t[i].area,
                                1e-6 * t[i].area);
        ck_assert_double_eq_tol(t[i].rate / t[i].area, t[i].lin,
                                1e-6 * t[i].lin);
    }
    /* regular.ptf: TotalTime = W L D / (VPD I) (189 303 s at 58.4 pA) */
    double W = 9.46346153846162E-05, L = 3.15448717948721E-05,
           D = 9.99964628864632E-07, rate = 1.57726440000083E-20;
    /* (xT adds 0.02 %: 189 260 s by the formula) */
    ck_assert_double_eq_tol(W * L * D / rate, 189303.076352, 189303 * 5e-4);
}
END_TEST

START_TEST(test_ptf_liftout_and_xe)
{
    /* demo: cryo lift-out, Ga and Xe, stair trenches, J-cut, polish */
    fib_plan_request r;
    fib_plan_request_default(&r);
    for (size_t i = 0; i < r.n_ions; i++) {
        fib_plan *p = make(&r, i);
        size_t n = check_ptf(p);
        ck_assert_uint_ge(n, 10);
        fib_plan_destroy(p);
    }
}
END_TEST

START_TEST(test_ptf_examples)
{
    static const char *const ex[] = {"sulfur-carbon-cryo-ongrid.cfg",
                                     "nmc811-rt-pfib.cfg",
                                     "li-lipon-cryo-liftout.cfg"};
    const char *src = getenv("FIB_SOURCE_DIR");
    for (size_t e = 0; e < sizeof ex / sizeof ex[0]; e++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/examples/%s", src, ex[e]);
        fib_plan_request r;
        fib_error err = {0};
        fib_status st = fib_fmt_session_read(path, db, NULL, &r, &err);
        ck_assert_msg(st == FIB_OK, "%s: %s", ex[e], err.msg);
        for (size_t i = 0; i < r.n_ions; i++) {
            fib_plan *p = make(&r, i);
            ck_assert_uint_ge(check_ptf(p), 6);
            fib_plan_destroy(p);
        }
    }
}
END_TEST

START_TEST(test_yaml_shape)
{
    fib_plan_request r;
    fib_plan_request_default(&r);
    fib_plan *p = make(&r, 0);
    char dir[512];
    fib_test_tmpdir(dir, sizeof dir);
    fib_error err = {0};
    const fib_plan *one[1] = {p};
    ck_assert_int_eq(
        fib_fmt_plan_export(one, 1, FIB_FMT_EXPORT_AUTOLAMELLA, dir, &err),
        FIB_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/autolamella-Ga.yaml", dir);
    char *y = slurp(path);
    /* the trench stage: current in A, voltage in V, stair = RCS */
    const fib_plan_step *tr = NULL;
    for (size_t i = 0; i < fib_plan_step_count(p); i++)
        if (fib_plan_step_get(p, i)->pattern.kind == FIB_GEOM_TRENCH)
            tr = fib_plan_step_get(p, i);
    ck_assert_ptr_nonnull(tr);
    const char *t = strstr(y, "task_type: MILL_TRENCH");
    ck_assert_ptr_nonnull(t);
    const char *c = strstr(t, "milling_current: ");
    ck_assert_ptr_nonnull(c);
    ck_assert_double_eq_tol(strtod(c + 17, NULL), tr->current_pA * 1e-12,
                            1e-8 * tr->current_pA * 1e-12);
    c = strstr(t, "milling_voltage: ");
    ck_assert_double_eq_tol(strtod(c + 17, NULL), tr->energy_keV * 1e3, 1e-6);
    c = strstr(t, "depth: ");
    ck_assert_double_eq_tol(strtod(c + 7, NULL), tr->commanded_depth_um * 1e-6,
                            1e-8 * tr->commanded_depth_um * 1e-6);
    c = strstr(t, "cross_section: ");
    ck_assert(!strncmp(c + 15, "RegularCrossSection\n", 20));
    /* every float has a '.' in its mantissa (PyYAML reads "1e-06" as a
     * string) */
    for (const char *q = strstr(y, "e-"); q; q = strstr(q + 1, "e-")) {
        const char *s = q;
        while (s > y && ((s[-1] >= '0' && s[-1] <= '9') || s[-1] == '.'))
            s--;
        if (s == q)
            continue; /* a word such as "time-" */
        ck_assert_msg(memchr(s, '.', (size_t)(q - s)) != NULL,
                      "float without '.' at %.20s", s);
    }
    free(y);
    fib_test_rmdir(dir);
    fib_plan_destroy(p);
}
END_TEST

START_TEST(test_all_or_none)
{
    fib_plan_request r;
    fib_plan_request_default(&r);
    fib_plan *p = make(&r, 0);
    fib_plan *q = make(&r, 1);
    const fib_plan *two[2] = {p, q};
    char dir[512];
    fib_test_tmpdir(dir, sizeof dir);
    /* a file the export would write exists: nothing else appears */
    char path[1024];
    snprintf(path, sizeof path, "%s/index-Xe.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("keep\n", f);
    fclose(f);
    fib_error err = {0};
    fib_status st = fib_fmt_plan_export(two, 2, FIB_FMT_EXPORT_PTF, dir, &err);
    ck_assert_int_eq(st, FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "index-Xe.txt") != NULL, "%s", err.msg);
    ck_assert_uint_eq(count_entries(dir), 1);
    char *keep = slurp(path);
    ck_assert_str_eq(keep, "keep\n");
    free(keep);
    /* a folder that is missing, or a file */
    fib_error_clear(&err);
    snprintf(path, sizeof path, "%s/missing", dir);
    ck_assert_int_eq(
        fib_fmt_plan_export(two, 2, FIB_FMT_EXPORT_AUTOLAMELLA, path, &err),
        FIB_EINVAL);
    fib_error_clear(&err);
    snprintf(path, sizeof path, "%s/index-Xe.txt", dir);
    ck_assert_int_eq(
        fib_fmt_plan_export(two, 2, FIB_FMT_EXPORT_PTF, path, &err),
        FIB_EINVAL);
    /* two plans of one ion would collide */
    const fib_plan *same[2] = {p, p};
    fib_error_clear(&err);
    ck_assert_int_eq(
        fib_fmt_plan_export(same, 2, FIB_FMT_EXPORT_PTF, dir, &err),
        FIB_EINVAL);
    ck_assert_uint_eq(count_entries(dir), 1);
    fib_fmt_export_kind k;
    ck_assert(fib_fmt_export_kind_parse("ptf", &k) && k == FIB_FMT_EXPORT_PTF);
    ck_assert(fib_fmt_export_kind_parse("autolamella", &k) &&
              k == FIB_FMT_EXPORT_AUTOLAMELLA);
    ck_assert(!fib_fmt_export_kind_parse("PTF", &k));
    ck_assert(!fib_fmt_export_kind_parse("", &k));
    fib_test_rmdir(dir);
    fib_plan_destroy(p);
    fib_plan_destroy(q);
}
END_TEST

/* Sessions with several sites (examples/cryo-4site-session.cfg, 4 on-grid
 * sites; examples/workflow3-session.cfg, 2 lift-out sites in workflow 3):
 * every site folder holds exactly the single-site export of that site's
 * plan (checked file by file against the plan), session-<ion>.txt lists
 * the session's steps in run order with their files, the AutoLamella
 * kind writes one protocol per site; a non-empty folder, a missing parent
 * or a file leave nothing behind. */
static fib_session *make_session(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s", getenv("FIB_SOURCE_DIR"),
             name);
    fib_plan_request r;
    fib_error err = {0};
    fib_status st = fib_fmt_session_read(path, db, NULL, &r, &err);
    ck_assert_msg(st == FIB_OK, "%s: %s", name, err.msg);
    static fib_session_request sr;
    bool has = false;
    st = fib_fmt_session_cfg_read_sites(path, &r, &sr, &has, &err);
    ck_assert_msg(st == FIB_OK && has, "%s: %s", name, err.msg);
    fib_session *s = NULL;
    st = fib_session_create(&sr, 0, FIB_PLAN_LADDER_DEFAULT, db, &s, &err);
    ck_assert_msg(st == FIB_OK, "%s: %s", name, err.msg);
    return s;
}

START_TEST(test_session_export)
{
    static const struct {
        const char *file;
        size_t n_sites;
    } ex[] = {{"cryo-4site-session.cfg", 4}, {"workflow3-session.cfg", 2}};
    for (size_t e = 0; e < sizeof ex / sizeof ex[0]; e++) {
        fib_session *s = make_session(ex[e].file);
        ck_assert_uint_eq(fib_session_site_count(s), ex[e].n_sites);
        const char *ion =
            fib_plan_ion_get(fib_plan_get_ion(fib_session_site_plan(s, 0)))
                ->symbol;
        char top[512], dir[600], path[1024];
        fib_test_tmpdir(top, sizeof top);
        snprintf(dir, sizeof dir, "%s/export", top);
        const fib_session *one[1] = {s};
        fib_error err = {0};
        fib_status st =
            fib_fmt_session_export(one, 1, FIB_FMT_EXPORT_PTF, dir, &err);
        ck_assert_msg(st == FIB_OK, "%s: %s", ex[e].file, err.msg);
        /* nothing beside the folder (the temporary one was renamed) */
        ck_assert_uint_eq(count_entries(top), 1);
        ck_assert_uint_eq(count_entries(dir), ex[e].n_sites + 1);
        size_t files_total = 0;
        for (size_t k = 0; k < ex[e].n_sites; k++) {
            const fib_session_site *si = fib_session_site_get(s, k);
            snprintf(path, sizeof path, "%s/site-%02zu-%s", dir, k + 1,
                     si->name);
            size_t n = check_ptf_files(fib_session_site_plan(s, k), path);
            ck_assert_uint_ge(n, 6);
            ck_assert_uint_eq(count_entries(path), n + 1);
            files_total += n;
        }
        /* the run order: one row per session step, in order */
        snprintf(path, sizeof path, "%s/session-%s.txt", dir, ion);
        char *idx = slurp(path);
        size_t rows = 0, files_listed = 0;
        char *save = NULL;
        for (char *line = strtok_r(idx, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == '#')
                continue;
            const fib_session_step *q = fib_session_step_get(s, rows);
            ck_assert_ptr_nonnull(q);
            size_t order, step;
            char site[64], folder[96], batch[32], name[64], files[4096];
            double x, y, pA, t, t0, t1;
            int k = sscanf(line,
                           "%zu\t%63s\t%95s\t%lf\t%lf\t%31s\t%zu\t%63s\t%lf"
                           "\t%lf\t%lf\t%lf\t%4095s",
                           &order, site, folder, &x, &y, batch, &step, name,
                           &pA, &t, &t0, &t1, files);
            ck_assert_int_eq(k, 13);
            ck_assert_uint_eq(order, rows + 1);
            const fib_session_site *si = fib_session_site_get(s, q->site);
            ck_assert_str_eq(site, si->name);
            ck_assert_double_eq_tol(x, si->x_um, 1e-9);
            ck_assert_double_eq_tol(y, si->y_um, 1e-9);
            ck_assert_str_eq(batch, fib_session_batch_name(q->batch));
            ck_assert_uint_eq(step, q->plan_step + 1);
            const fib_plan_step *ps =
                fib_plan_step_get(fib_session_site_plan(s, q->site), step - 1);
            ck_assert_str_eq(name, ps->name);
            ck_assert_str_eq(name, q->step.name);
            ck_assert_double_eq_tol(t0, q->step.start_s, 1e-6);
            ck_assert_double_eq_tol(t1, q->step.end_s, 1e-6);
            if (ps->mills) {
                ck_assert_double_eq_tol(pA, ps->current_pA, 1e-6);
                ck_assert_double_eq_tol(t, ps->commanded_time_s,
                                        1e-8 * ps->commanded_time_s);
            }
            if (strcmp(files, "-") != 0) {
                /* each listed file exists; its box count is the step's */
                int nb = 0;
                char *s2 = NULL;
                for (char *fn = strtok_r(files, ",", &s2); fn;
                     fn = strtok_r(NULL, ",", &s2), nb++) {
                    snprintf(path, sizeof path, "%s/%s", dir, fn);
                    FILE *f = fopen(path, "r");
                    ck_assert_msg(f != NULL, "%s listed, missing", fn);
                    fclose(f);
                }
                ck_assert_int_eq(nb, ps->pattern.n_boxes);
                files_listed += (size_t)nb;
            }
            rows++;
        }
        free(idx);
        ck_assert_uint_eq(rows, fib_session_step_count(s));
        ck_assert_uint_eq(files_listed, files_total);

        /* AutoLamella: a protocol per site, the session file */
        snprintf(dir, sizeof dir, "%s/al", top);
        st = fib_fmt_session_export(one, 1, FIB_FMT_EXPORT_AUTOLAMELLA, dir,
                                    &err);
        ck_assert_msg(st == FIB_OK, "%s: %s", ex[e].file, err.msg);
        for (size_t k = 0; k < ex[e].n_sites; k++) {
            snprintf(path, sizeof path, "%s/site-%02zu-%s/autolamella-%s.yaml",
                     dir, k + 1, fib_session_site_get(s, k)->name, ion);
            char *y = slurp(path);
            ck_assert(strstr(y, "tasks:") && strstr(y, "milling_current:"));
            free(y);
        }
        snprintf(path, sizeof path, "%s/session-%s.yaml", dir, ion);
        char *y = slurp(path);
        ck_assert(strstr(y, "run_order:") && strstr(y, "stage_position:"));
        free(y);

        /* all or none: into the (now non-empty) folder, a missing parent,
         * a file */
        fib_error_clear(&err);
        ck_assert_int_eq(
            fib_fmt_session_export(one, 1, FIB_FMT_EXPORT_PTF, dir, &err),
            FIB_EINVAL);
        ck_assert_msg(strstr(err.msg, "not empty") != NULL, "%s", err.msg);
        snprintf(path, sizeof path, "%s/no/such", top);
        fib_error_clear(&err);
        ck_assert_int_eq(
            fib_fmt_session_export(one, 1, FIB_FMT_EXPORT_PTF, path, &err),
            FIB_EINVAL);
        snprintf(path, sizeof path, "%s/session-%s.yaml", dir, ion);
        fib_error_clear(&err);
        ck_assert_int_eq(
            fib_fmt_session_export(one, 1, FIB_FMT_EXPORT_PTF, path, &err),
            FIB_EINVAL);
        ck_assert_uint_eq(count_entries(top), 2); /* export, al: no tmp */
        ck_assert_uint_eq(count_entries(dir), ex[e].n_sites + 1);
        /* two sessions of the same ion would collide */
        const fib_session *same[2] = {s, s};
        snprintf(path, sizeof path, "%s/two", top);
        fib_error_clear(&err);
        ck_assert_int_eq(
            fib_fmt_session_export(same, 2, FIB_FMT_EXPORT_PTF, path, &err),
            FIB_EINVAL);
        ck_assert_uint_eq(count_entries(top), 2);
        fib_test_rmdir(top);
        fib_session_destroy(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pattern_export");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_templates_relations);
    tcase_add_test(tc, test_ptf_liftout_and_xe);
    tcase_add_test(tc, test_ptf_examples);
    tcase_add_test(tc, test_yaml_shape);
    tcase_add_test(tc, test_all_or_none);
    tcase_add_test(tc, test_session_export);
    suite_add_tcase(s, tc);
    return fib_test_run(s, getenv("FIB_SOURCE_DIR") ? NULL
                                                    : "FIB_SOURCE_DIR unset");
}
