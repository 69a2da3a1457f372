/*
 * pattern_export.c -- Thermo/FEI .ptf pattern files and fibsem-os /
 * AutoLamella protocol YAML from session plans (fib/pattern_export.h).
 *
 * .ptf layout: element names, order and datatype attributes are those of
 * the FEI PatternFile 1.2 templates shipped by SerialFIB
 * (sklumpe/SerialFIB TemplatePatterns/regular.ptf, cross.ptf,
 * clean_cross.ptf, PFIB/regular.ptf).  Derived fields follow the relations
 * that hold in those four published files:
 *   TotalVolumeSputterRate = VolumeEtchRate = VolumePerDose * I,
 *   TotalBeamArea = pi TotalDiameter^2 / 4,
 *   TotalLinearSputterRate = TotalVolumeSputterRate / TotalBeamArea,
 *   PitchX,Y = TotalDiameter * (1 - OverlapX,Y / 100),
 *   TotalTime = Width * Length * Depth / (VolumePerDose * I),
 *   Dose = PassCount * I * DwellTime / (PitchX * PitchY) * 1e-12.
 * DepthPerPass is xT's own beam-profile number (it is not a function of the
 * other fields in the published files); we write the uniform-raster value
 * VolumePerDose * I * DwellTime / (PitchX * PitchY) and PassCount =
 * ceil(Depth / DepthPerPass).  xT recomputes passes from its beam model when
 * the file is loaded; Depth, application and current fix the dose and time.
 * Overlaps and dwell are those of the templates: 50 % / 50 % for rectangles
 * and regular cross-sections, 85 % / 50 % for cleaning cross-sections,
 * 1 us dwell.
 *
 * YAML: written by hand (no dependency); keys as fibsem-os
 * fibsem/applications/autolamella/protocol/task-protocol.yaml and
 * task-protocol-waffle.yaml.  Every float carries a '.' in its mantissa so
 * that YAML 1.1 readers (PyYAML) read it as a float.
 */
#define _POSIX_C_SOURCE 200809L
#include "fib/pattern_export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

static const double DWELL_S = 1e-6; /* templates: DwellTime 0.000001 */
static const double PI = 3.14159265358979323846;

/* ---------------------------------------------------------------------- */
/* All-or-none file set                                                   */

typedef struct out_set {
    char **final;
    char **tmp;
    FILE *fp; /* the file being written (the last one) */
    size_t n, cap;
} out_set;

static fib_status set_open(out_set *s, const char *dir, const char *name,
                           fib_error *err)
{
    if (s->fp) {
        int bad = ferror(s->fp);
        if (fclose(s->fp) != 0 || bad) {
            s->fp = NULL;
            return fib_error_set(err, FIB_EIO, "%s: write error",
                                 s->final[s->n - 1]);
        }
        s->fp = NULL;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        char **f = realloc(s->final, nc * sizeof *f);
        if (!f)
            return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
        s->final = f;
        char **t = realloc(s->tmp, nc * sizeof *t);
        if (!t)
            return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
        s->tmp = t;
        s->cap = nc;
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    (void)snprintf(path, len, "%s/%s", dir, name);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        fib_status st = fib_error_set(err, FIB_EINVAL,
                                      "%s exists; the export never "
                                      "overwrites (choose an empty folder)",
                                      path);
        free(path);
        return st;
    }
    char *tmp = fib__atomic_tmpname(path);
    if (!tmp) {
        free(path);
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    }
    s->fp = fopen(tmp, "w");
    if (!s->fp) {
        fib_status st = fib_error_set(err, FIB_EIO, "%s: cannot write: %s",
                                      path, strerror(errno));
        free(path);
        free(tmp);
        return st;
    }
    s->final[s->n] = path;
    s->tmp[s->n] = tmp;
    s->n++;
    return FIB_OK;
}

/* Close the last file and rename every temporary over its final name; on
 * any failure remove what was renamed and what is left. */
static fib_status set_commit(out_set *s, fib_error *err)
{
    fib_status st = FIB_OK;
    if (s->fp) {
        int bad = ferror(s->fp);
        if (fclose(s->fp) != 0 || bad)
            st = fib_error_set(err, FIB_EIO, "%s: write error",
                               s->final[s->n - 1]);
        s->fp = NULL;
    }
    size_t done = 0;
    for (; st == FIB_OK && done < s->n; done++) {
        struct stat sb;
        if (stat(s->final[done], &sb) == 0) {
            st = fib_error_set(err, FIB_EINVAL, "%s appeared while writing",
                               s->final[done]);
            break;
        }
        st = fib__atomic_inject(s->final[done], err); /* test hook */
        if (st != FIB_OK)
            break;
        if (rename(s->tmp[done], s->final[done]) != 0) {
            st = fib_error_set(err, FIB_EIO, "%s: cannot rename output: %s",
                               s->final[done], strerror(errno));
            break;
        }
    }
    if (st != FIB_OK) {
        for (size_t i = 0; i < done; i++)
            (void)remove(s->final[i]);
        for (size_t i = done; i < s->n; i++)
            (void)remove(s->tmp[i]);
    }
    return st;
}

static void set_abort(out_set *s)
{
    if (s->fp)
        (void)fclose(s->fp);
    s->fp = NULL;
    for (size_t i = 0; i < s->n; i++)
        (void)remove(s->tmp[i]);
}

static void set_free(out_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->final[i]);
        free(s->tmp[i]);
    }
    free(s->final);
    free(s->tmp);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------------- */
/* Shared per-box numbers                                                 */

static const char *ion_symbol(const fib_plan *p)
{
    const fib_plan_ion_info *i = fib_plan_ion_get(fib_plan_get_ion(p));
    return i ? i->symbol : "ion";
}

/* Steps that go to the instrument: milling steps with boxes. */
static bool exported(const fib_plan_step *s)
{
    return s->mills && s->pattern.n_boxes > 0 &&
           s->pattern.scan != FIB_GEOM_SCAN_DEPOSIT && s->current_pA > 0 &&
           s->vpd_um3_per_nC > 0 && s->commanded_time_s > 0;
}

/* The instrument numbers of box @p b of a step. */
typedef struct box_out {
    double t_s;      /* the step's commanded time shared by box volume */
    double depth_um; /* the step's commanded depth, scaled for a box that
                        is shallower than the deepest one */
    double width_um, length_um, cx_um, cy_um; /* in the beam view */
} box_out;

/* Every box as drawn in the beam view.  Uniform patterns (rectangles,
 * cleaning cross-sections): the depth is the dose-equivalent depth of the
 * box, t * VPD * I / (W L), so that xT's own time for the file, W L D /
 * (VPD I), is the plan's; this is the plan's commanded depth whenever the
 * plan commands V = area x commanded depth.  Regular cross-sections
 * (stair trenches): the depth at the face, commanded_depth_um scaled for a
 * shallower box (xT converts the stair with its own application). */
static box_out box_numbers(const fib_plan_step *s, int b)
{
    const fib_geom_pattern *g = &s->pattern;
    double tot = 0, mine = 0;
    for (int i = 0; i < g->n_boxes; i++) {
        const fib_geom_box *x = &g->box[i];
        double v = (x->x1_um - x->x0_um) * (x->y1_um - x->y0_um) * x->depth_um;
        tot += v;
        if (i == b)
            mine = v;
    }
    const fib_geom_box *x = &g->box[b];
    box_out o;
    o.t_s = s->commanded_time_s * (tot > 0 ? mine / tot : 1.0 / g->n_boxes);
    o.width_um = x->x1_um - x->x0_um;
    o.length_um = x->y1_um - x->y0_um;
    o.cx_um = 0.5 * (x->x0_um + x->x1_um);
    o.cy_um = 0.5 * (x->y0_um + x->y1_um);
    double area = o.width_um * o.length_um;
    if (g->scan == FIB_GEOM_SCAN_STAIR || !(area > 0))
        o.depth_um = g->depth_um > 0
                         ? s->commanded_depth_um * x->depth_um / g->depth_um
                         : s->commanded_depth_um;
    else /* um^3 = s * um^3/nC * nA */
        o.depth_um = o.t_s * s->vpd_um3_per_nC * s->current_pA * 1e-3 / area;
    return o;
}

/* "upper"/"lower" for a pair on both sides of the lamella, "left"/"right"
 * for a pair on both sides in x, else "box1".. */
static void box_label(const fib_geom_pattern *g, int b, char *buf, size_t n)
{
    if (g->n_boxes == 2) {
        const fib_geom_box *a = &g->box[0], *c = &g->box[1];
        if ((a->y0_um >= 0 && c->y1_um <= 0) ||
            (a->y1_um <= 0 && c->y0_um >= 0)) {
            snprintf(buf, n, "%s", g->box[b].y0_um >= 0 ? "upper" : "lower");
            return;
        }
        if ((a->x0_um >= 0 && c->x1_um <= 0) ||
            (a->x1_um <= 0 && c->x0_um >= 0)) {
            snprintf(buf, n, "%s", g->box[b].x0_um >= 0 ? "right" : "left");
            return;
        }
    }
    snprintf(buf, n, "box%d", b + 1);
}

/* Mill towards the lamella: boxes above it scan top to bottom, boxes below
 * bottom to top (fibsem Trench: upper TopToBottom, lower BottomToTop). */
static const char *scan_dir(const fib_geom_box *x)
{
    return x->y0_um >= 0 && x->y1_um > 0 ? "TopToBottom" : "BottomToTop";
}

/* File-name-safe copy of a step name. */
static void safe_name(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        unsigned char c = (unsigned char)*in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out[k++] = ok ? (char)c : '_';
    }
    out[k] = '\0';
}

/* ---------------------------------------------------------------------- */
/* .ptf                                                                   */

#define DT "xmlns:dt=\"urn:schemas-microsoft-com:datatypes\""

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void ind(FILE *f, int n)
{
    for (int i = 0; i < n; i++)
        fputc(' ', f);
}

/* <Tag dt:dt="string">value</Tag>; an empty value is written as the
 * templates do (newline, closing tag on its own line). */
static void el_s(FILE *f, int in, const char *tag, const char *v)
{
    ind(f, in);
    fprintf(f, "<%s " DT " dt:dt=\"string\">", tag);
    if (v[0])
        xml_text(f, v);
    else {
        fputc('\n', f);
        ind(f, in);
    }
    fprintf(f, "</%s>\n", tag);
}

static void el_r(FILE *f, int in, const char *tag, double v)
{
    ind(f, in);
    fprintf(f, "<%s " DT " dt:dt=\"r8\">%.15G</%s>\n", tag, v, tag);
}

static void ptf_write(FILE *f, const fib_plan_step *s, int b,
                      const char *application)
{
    const fib_geom_pattern *g = &s->pattern;
    const fib_geom_box *x = &g->box[b];
    const char *tag =
        g->scan == FIB_GEOM_SCAN_CCS     ? "PatternCleaningCrossSection"
        : g->scan == FIB_GEOM_SCAN_STAIR ? "PatternRegularCrossSection"
                                         : "PatternRectangle";
    const bool ccs = g->scan == FIB_GEOM_SCAN_CCS;
    const box_out bo = box_numbers(s, b);
    const double I = s->current_pA * 1e-12;      /* A */
    const double vpd = s->vpd_um3_per_nC * 1e-9; /* m^3/C */
    const double d = (s->probe_d_nm > 0 ? s->probe_d_nm : 1.0) * 1e-9;
    const double ovx = ccs ? 85 : 50, ovy = 50;
    const double px = d * (1 - ovx / 100), py = d * (1 - ovy / 100);
    const double depth = bo.depth_um * 1e-6;
    const double beam_area = PI * d * d / 4;
    const double dpp = vpd * I * DWELL_S / (px * py);
    const double passes = dpp > 0 ? ceil(depth / dpp) : 0;

    fputs("<Content Version=\"FEI PatternFile 1.2\">\n", f);
    fputs("  <PatternList>\n", f);
    el_s(f, 4, "Mode", "Serial");
    el_s(f, 4, "Beam", "Ion");
    el_s(f, 4, "GasType", "");
    el_s(f, 4, "GasSetpoint", "");
    el_s(f, 4, "GasNeedlePosition", "");
    el_r(f, 4, "Defocus", 0);
    el_r(f, 4, "PassCount", 0);
    el_r(f, 4, "Blur", 0);
    fputs("  </PatternList>\n", f);
    fprintf(f, "  <%s>\n", tag);
    el_s(f, 4, "Application", application);
    el_s(f, 4, "Beam", "Ion");
    el_r(f, 4, "DwellTime", DWELL_S);
    el_r(f, 4, "CenterX", bo.cx_um * 1e-6);
    el_r(f, 4, "CenterY", bo.cy_um * 1e-6);
    el_r(f, 4, "Rotation", 0);
    el_s(f, 4, "GasType", "");
    el_s(f, 4, "GasSetpoint", "");
    el_s(f, 4, "GasNeedlePosition", "");
    el_r(f, 4, "Defocus", 0);
    el_r(f, 4, "RefreshTime", 0);
    el_r(f, 4, "TotalTime", bo.t_s);
    el_r(f, 4, "PassCount", passes);
    el_s(f, 4, "Enable", "True");
    el_s(f, 4, "ExclusionZone", "False");
    el_r(f, 4, "Depth", depth);
    el_r(f, 4, "Blur", 0);
    el_r(f, 4, "InteractionDiameter", 0);
    el_r(f, 4, "RelativeInteractionDiameter", 0);
    el_r(f, 4, "TotalDiameter", d);
    el_r(f, 4, "VolumePerDose", vpd);
    el_r(f, 4, "Dose", passes * I * DWELL_S / (px * py) * 1e-12);
    el_r(f, 4, "SaturationSputterRate", 0);
    el_r(f, 4, "TotalVolumeSputterRate", vpd * I);
    el_r(f, 4, "SaturationCurrentDensity", 1);
    el_r(f, 4, "MaximumDosePerArea", 0);
    el_r(f, 4, "VolumeEtchRate", vpd * I);
    el_r(f, 4, "VolumeGasAssistedRate", 0);
    el_r(f, 4, "VolumeDoseLimitedRate", 0);
    el_r(f, 4, "TotalLinearSputterRate", vpd * I / beam_area);
    el_r(f, 4, "TotalBeamArea", beam_area);
    el_r(f, 4, "DepthPerPass", dpp);
    el_s(f, 4, "AreaCalculation", "Pattern");
    el_r(f, 4, "Width", bo.width_um * 1e-6);
    el_r(f, 4, "Length", bo.length_um * 1e-6);
    el_s(f, 4, "ScanDirection", scan_dir(x));
    el_s(f, 4, "ScanType", "Serpentine");
    el_r(f, 4, "PitchX", px);
    el_r(f, 4, "PitchY", py);
    el_s(f, 4, "EqualPitch", ccs ? "False" : "True");
    el_r(f, 4, "OverlapX", ovx);
    el_r(f, 4, "OverlapY", ovy);
    if (g->scan == FIB_GEOM_SCAN_STAIR) {
        /* as TemplatePatterns/cross.ptf */
        el_s(f, 4, "ScanMethod", "MultiScan");
        el_r(f, 4, "MultiScanPassCount", 4);
        el_r(f, 4, "ScanRatio", 0.3);
    } else if (!ccs) {
        /* as TemplatePatterns/regular.ptf */
        el_s(f, 4, "FillStyle", "Solid");
        fputs("    <SelectiveMilling>\n", f);
        el_s(f, 6, "IsSelectiveMillingEnabled", "False");
        el_r(f, 6, "TimeIntervalBeforeAdjust", 2);
        el_r(f, 6, "ContrastThresholdMinimum", 0);
        el_r(f, 6, "ContrastThresholdMaximum", 1);
        fputs("    </SelectiveMilling>\n", f);
        fputs("    <EndpointDetection>\n", f);
        el_s(f, 6, "IsEndpointDetectionEnabled", "False");
        el_s(f, 6, "EndpointDetectionSignalType", "Intensity");
        el_s(f, 6, "EndpointDetectionEndpointType", "Peak");
        el_r(f, 6, "EndpointNum", 0);
        fputs("    </EndpointDetection>\n", f);
    }
    fprintf(f, "  </%s>\n", tag);
    fputs("</Content>", f);
}

static fib_status export_ptf(const fib_plan *p, const char *dir, out_set *set,
                             fib_error *err)
{
    const char *ion = ion_symbol(p);
    const char *app = fib_plan_get_request(p)->application;
    size_t n = fib_plan_step_count(p);
    /* the index is the first file of the set; rows follow the patterns */
    char index_name[64];
    snprintf(index_name, sizeof index_name, "index-%s.txt", ion);
    /* write the patterns first, remembering rows, then the index */
    size_t cap = 4 * n + 1, rows = 0;
    char(*row)[512] = calloc(cap, sizeof *row);
    if (!row)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    fib_status st = FIB_OK;
    for (size_t i = 0; i < n && st == FIB_OK; i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        if (!exported(s))
            continue;
        char sname[FIB_GEOM_NAME_SIZE];
        safe_name(s->name, sname, sizeof sname);
        for (int b = 0; b < s->pattern.n_boxes && st == FIB_OK; b++) {
            char lab[16], file[128];
            box_label(&s->pattern, b, lab, sizeof lab);
            snprintf(file, sizeof file, "%s-%02zu-%s-%s.ptf", ion, i + 1, sname,
                     lab);
            st = set_open(set, dir, file, err);
            if (st != FIB_OK)
                break;
            ptf_write(set->fp, s, b, app);
            const box_out bo = box_numbers(s, b);
            const char *type =
                s->pattern.scan == FIB_GEOM_SCAN_CCS ? "CleaningCrossSection"
                : s->pattern.scan == FIB_GEOM_SCAN_STAIR ? "RegularCrossSection"
                                                         : "Rectangle";
            snprintf(row[rows], sizeof row[rows],
                     "%zu\t%s\t%zu\t%s\t%s\t%s\t%s\t%.10g\t%.10g\t%.10g\t%.10g"
                     "\t%.10g\t%.10g\t%.10g\n",
                     rows + 1, file, i + 1, s->name, lab, type, app,
                     s->current_pA, bo.t_s, bo.depth_um, bo.width_um,
                     bo.length_um, bo.cx_um, bo.cy_um);
            rows++;
        }
    }
    if (st == FIB_OK && rows == 0)
        st = fib_error_set(err, FIB_EINVAL,
                           "export: the %s plan has no milling step", ion);
    if (st == FIB_OK)
        st = set_open(set, dir, index_name, err);
    if (st == FIB_OK) {
        FILE *f = set->fp;
        fprintf(f,
                "# cryofib pattern export, %s plan: xT pattern files in run "
                "order (SI in the files; here um, pA, s)\n",
                ion);
        fputs("# order\tfile\tstep\tstep_name\tbox\tpattern\tapplication"
              "\tcurrent_pA\ttime_s\tdepth_um\twidth_um\tlength_um"
              "\tcenter_x_um\tcenter_y_um\n",
              f);
        for (size_t r = 0; r < rows; r++)
            fputs(row[r], f);
    }
    free(row);
    return st;
}

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
    ind(f, in);
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
    if (!exported(s))
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
    ind(f, 16);
    fputs("-   name: ", f);
    ys(f, name);
    fputc('\n', f);
    ind(f, 20);
    fputs("milling:\n", f);
    ykf(f, 24, "milling_current", s->current_pA * 1e-12);
    ykf(f, 24, "milling_voltage", s->energy_keV * 1e3);
    ind(f, 24);
    fputs("application_file: ", f);
    ys(f, app);
    fputc('\n', f);
    ind(f, 24);
    fputs("patterning_mode: Serial\n", f);
    ind(f, 20);
    fputs("pattern:\n", f);
}

static void y_point(FILE *f, double x_um, double y_um)
{
    ind(f, 24);
    fputs("point:\n", f);
    ykf(f, 28, "x", x_um * 1e-6);
    ykf(f, 28, "y", y_um * 1e-6);
    ind(f, 28);
    fputs("name: null\n", f);
}

static void y_stage_tail(FILE *f)
{
    ind(f, 20);
    fputs("strategy:\n", f);
    ind(f, 24);
    fputs("name: Standard\n", f);
    ind(f, 24);
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
        dmax = fmax(dmax, box_numbers(s, b).depth_um);
    const fib_geom_box *b0 = &g->box[0];
    double w0 = b0->x1_um - b0->x0_um, h0 = b0->y1_um - b0->y0_um;
    char lab[16];
    box_label(g, 0, lab, sizeof lab);
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
        ind(f, 24);
        fputs("rotation: 0\n", f);
        ind(f, 24);
        fputs("cross_section: Rectangle\n", f);
        ind(f, 24);
        fputs("asymmetric: false\n", f);
        ind(f, 24);
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
        ind(f, 24);
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
        ind(f, 24);
        fprintf(f, "cross_section: %s\n", cross_section(g));
        ykf(f, 24, "time", 0);
        ykf(f, 24, "fillet", 0);
        ind(f, 24);
        fputs("name: Trench\n", f);
        y_stage_tail(f);
        return 1;
    }
    /* anything else: one Rectangle stage per box */
    for (int b = 0; b < g->n_boxes; b++) {
        const fib_geom_box *x = &g->box[b];
        const box_out bo = box_numbers(s, b);
        char nb[112];
        box_label(g, b, lab, sizeof lab);
        if (g->n_boxes > 1)
            snprintf(nb, sizeof nb, "%s %s", name, lab);
        else
            snprintf(nb, sizeof nb, "%s", name);
        y_stage_head(f, nb, s, app);
        y_point(f, bo.cx_um, bo.cy_um);
        ykf(f, 24, "width", bo.width_um * 1e-6);
        ykf(f, 24, "height", bo.length_um * 1e-6);
        ykf(f, 24, "depth", bo.depth_um * 1e-6);
        ind(f, 24);
        fputs("rotation: 0\n", f);
        ind(f, 24);
        fprintf(f, "cross_section: %s\n", cross_section(g));
        ind(f, 24);
        fprintf(f, "scan_direction: %s\n", scan_dir(x));
        ind(f, 24);
        fputs("name: Rectangle\n", f);
        y_stage_tail(f);
    }
    return g->n_boxes;
}

/* @p site: the session site the plan is for (named in the protocol's
 * title), NULL for a single-site plan. */
static fib_status export_yaml(const fib_plan *p, const char *site,
                              const char *dir, out_set *set, fib_error *err)
{
    const char *ion = ion_symbol(p);
    const fib_plan_request *rq = fib_plan_get_request(p);
    const char *app = rq->application;
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
    fib_status st = set_open(set, dir, file, err);
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
        ind(f, 4);
        fprintf(f, "%s:\n", TASKS[t].name);
        ind(f, 8);
        fprintf(f, "task_type: %s\n", TASKS[t].type);
        if (t == T_SETUP) {
            ind(f, 8);
            fputs("parameters:\n", f);
            ykf(f, 12, "milling_angle",
                rq->site.milling_angle_deg > 0 ? rq->site.milling_angle_deg
                                               : 15.0);
            ind(f, 12);
            fputs("use_fiducial: true\n", f);
            ind(f, 12);
            fputs("align_to_reference: true\n", f);
            ind(f, 12);
            fputs("alignment_expansion: 50\n", f);
        }
        ind(f, 8);
        fputs("milling:\n", f);
        ind(f, 12);
        fprintf(f, "%s:\n", TASKS[t].key);
        ind(f, 16);
        fprintf(f, "name: %s\n", TASKS[t].group);
        ykf(f, 16, "field_of_view", fov);
        ind(f, 16);
        fputs("channel: ION\n", f);
        ind(f, 16);
        fprintf(f, "alignment:\n");
        ind(f, 20);
        fprintf(f, "enabled: %s\n", t == T_SETUP ? "false" : "true");
        ind(f, 16);
        fputs("stages:\n", f);
        for (size_t i = 0; i < n; i++)
            if (step_task(p, i) == t)
                (void)y_stages(f, p, i, app);
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
            fputs(exported(s) ? "null  # lift-out cut: mill by hand or use "
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
    return FIB_OK;
}

/* ---------------------------------------------------------------------- */

bool fib_fmt_export_kind_parse(const char *name, fib_fmt_export_kind *out)
{
    if (!name)
        return false;
    if (!strcmp(name, "ptf")) {
        *out = FIB_FMT_EXPORT_PTF;
        return true;
    }
    if (!strcmp(name, "autolamella")) {
        *out = FIB_FMT_EXPORT_AUTOLAMELLA;
        return true;
    }
    return false;
}

fib_status fib_fmt_plan_export(const fib_plan *const *plans, size_t n_plans,
                               fib_fmt_export_kind kind, const char *dir,
                               fib_error *err)
{
    if (!plans || n_plans == 0 || !dir || !dir[0])
        return fib_error_set(err, FIB_EINVAL, "export: no plan or no folder");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fib_error_set(err, FIB_EINVAL,
                             "export folder %s: missing or not a folder", dir);
    for (size_t i = 0; i < n_plans; i++)
        for (size_t k = 0; k < i; k++)
            if (fib_plan_get_ion(plans[i]) == fib_plan_get_ion(plans[k]))
                return fib_error_set(err, FIB_EINVAL,
                                     "export: two plans for ion %s",
                                     ion_symbol(plans[i]));
    out_set set = {0};
    fib_status st = FIB_OK;
    for (size_t i = 0; i < n_plans && st == FIB_OK; i++)
        st = kind == FIB_FMT_EXPORT_PTF
                 ? export_ptf(plans[i], dir, &set, err)
                 : export_yaml(plans[i], NULL, dir, &set, err);
    if (st == FIB_OK)
        st = set_commit(&set, err);
    else
        set_abort(&set);
    set_free(&set);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Sessions with several sites: one folder per site                       */

/* "site-NN-<name>": numbered so that two names that map to the same safe
 * name cannot collide and the folders list in session order. */
static void site_folder(const fib_session *s, size_t k, char *buf, size_t n)
{
    char nm[FIB_SESSION_NAME_MAX];
    safe_name(fib_session_site_get(s, k)->name, nm, sizeof nm);
    snprintf(buf, n, "site-%02zu-%s", k + 1, nm);
}

/* The session's run order for the ptf export: every session step with the
 * .ptf files of its boxes (relative to the export folder; "-" for steps
 * that are not exported). */
static fib_status session_index_ptf(const fib_session *s, const char *dir,
                                    out_set *set, fib_error *err)
{
    const char *ion = ion_symbol(fib_session_site_plan(s, 0));
    char name[64];
    snprintf(name, sizeof name, "session-%s.txt", ion);
    fib_status st = set_open(set, dir, name, err);
    if (st != FIB_OK)
        return st;
    FILE *f = set->fp;
    fib_session_summary S = fib_session_get_summary(s);
    fprintf(f,
            "# cryofib session export, %s: %zu sites, workflow %d; the "
            "session's run order\n# (batched: rough, lift-out, thinning, "
            "polishing; sites serpentine).  Each site's\n# folder holds its "
            ".ptf files and index-%s.txt (as the single-site export).\n",
            ion, S.n_sites, S.workflow, ion);
    fputs("# order\tsite\tfolder\tx_um\ty_um\tbatch\tstep\tstep_name"
          "\tcurrent_pA\ttime_s\tstart_s\tend_s\tfiles\n",
          f);
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *q = fib_session_step_get(s, i);
        const fib_session_site *si = fib_session_site_get(s, q->site);
        const fib_plan *p = fib_session_site_plan(s, q->site);
        const fib_plan_step *ps = fib_plan_step_get(p, q->plan_step);
        char folder[64];
        site_folder(s, q->site, folder, sizeof folder);
        fprintf(f,
                "%zu\t%s\t%s\t%.15g\t%.15g\t%s\t%zu\t%s\t%.15g\t%.15g"
                "\t%.15g\t%.15g\t",
                i + 1, si->name, folder, si->x_um, si->y_um,
                fib_session_batch_name(q->batch), q->plan_step + 1, ps->name,
                ps->mills ? ps->current_pA : 0.0,
                ps->mills ? ps->commanded_time_s : 0.0, q->step.start_s,
                q->step.end_s);
        if (!exported(ps)) {
            fputs("-\n", f);
            continue;
        }
        char sname[FIB_GEOM_NAME_SIZE];
        safe_name(ps->name, sname, sizeof sname);
        for (int b = 0; b < ps->pattern.n_boxes; b++) {
            char lab[16];
            box_label(&ps->pattern, b, lab, sizeof lab);
            fprintf(f, "%s%s/%s-%02zu-%s-%s.ptf", b ? "," : "", folder, ion,
                    q->plan_step + 1, sname, lab);
        }
        fputc('\n', f);
    }
    return FIB_OK;
}

/* The session's sites and run order for the AutoLamella export. */
static fib_status session_index_yaml(const fib_session *s, const char *dir,
                                     out_set *set, fib_error *err)
{
    const fib_plan *p0 = fib_session_site_plan(s, 0);
    const char *ion = ion_symbol(p0);
    const fib_plan_request *rq = &fib_session_get_request(s)->base;
    char name[64];
    snprintf(name, sizeof name, "session-%s.yaml", ion);
    fib_status st = set_open(set, dir, name, err);
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
        site_folder(s, k, folder, sizeof folder);
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

/* Remove what a failed session export left: the files (temporary or
 * final names), the site folders, the temporary folder. */
static void session_cleanup(out_set *set, char **dirs, size_t n_dirs,
                            const char *tmp)
{
    set_abort(set);
    for (size_t i = 0; i < set->n; i++)
        (void)remove(set->final[i]);
    for (size_t i = n_dirs; i-- > 0;)
        (void)rmdir(dirs[i]);
    if (tmp)
        (void)rmdir(tmp);
}

static fib_status session_export(const fib_session *const *sessions,
                                 size_t n_sessions, fib_fmt_export_kind kind,
                                 const char *dir, fib_error *err)
{
    if (!sessions || n_sessions == 0 || !dir || !dir[0])
        return fib_error_set(err, FIB_EINVAL,
                             "export: no session or no folder");
    const size_t ns = fib_session_site_count(sessions[0]);
    for (size_t i = 0; i < n_sessions; i++) {
        if (!sessions[i] || fib_session_site_count(sessions[i]) != ns)
            return fib_error_set(err, FIB_EINVAL,
                                 "export: the sessions differ in their sites");
        for (size_t k = 0; k < i; k++)
            if (fib_plan_get_ion(fib_session_site_plan(sessions[i], 0)) ==
                fib_plan_get_ion(fib_session_site_plan(sessions[k], 0)))
                return fib_error_set(
                    err, FIB_EINVAL, "export: two sessions for ion %s",
                    ion_symbol(fib_session_site_plan(sessions[i], 0)));
    }
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return fib_error_set(err, FIB_EINVAL,
                                 "export folder %s exists and is not a folder",
                                 dir);
        /* an existing folder must be empty: the finished export is renamed
         * over it (rename(2) replaces an empty folder) */
        DIR *d = opendir(dir);
        if (!d)
            return fib_error_set(err, FIB_EINVAL, "export folder %s: %s", dir,
                                 strerror(errno));
        const struct dirent *e;
        bool empty = true;
        while (empty && (e = readdir(d)) != NULL)
            empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
        (void)closedir(d);
        if (!empty)
            return fib_error_set(err, FIB_EINVAL,
                                 "export folder %s exists and is not empty; "
                                 "the export never overwrites",
                                 dir);
    }
    size_t len = strlen(dir) + 16;
    char *tmp = malloc(len);
    if (!tmp)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    (void)snprintf(tmp, len, "%s.tmp-XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        fib_status st = fib_error_set(
            err, errno == ENOENT || errno == ENOTDIR ? FIB_EINVAL : FIB_EIO,
            "export folder %s: cannot create it: %s", dir, strerror(errno));
        free(tmp);
        return st;
    }
    out_set set = {0};
    char **dirs = calloc(ns, sizeof *dirs);
    size_t n_dirs = 0;
    fib_status st =
        dirs ? FIB_OK : fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    for (size_t k = 0; k < ns && st == FIB_OK; k++) {
        char folder[64];
        site_folder(sessions[0], k, folder, sizeof folder);
        size_t l = strlen(tmp) + strlen(folder) + 2;
        dirs[k] = malloc(l);
        if (!dirs[k]) {
            st = fib_error_set(err, FIB_ENOMEM, "export: out of memory");
            break;
        }
        (void)snprintf(dirs[k], l, "%s/%s", tmp, folder);
        if (mkdir(dirs[k], 0777) != 0) {
            st = fib_error_set(err, FIB_EIO, "%s: cannot create: %s", dirs[k],
                               strerror(errno));
            free(dirs[k]);
            dirs[k] = NULL;
            break;
        }
        n_dirs = k + 1;
        for (size_t i = 0; i < n_sessions && st == FIB_OK; i++) {
            const fib_plan *p = fib_session_site_plan(sessions[i], k);
            st =
                kind == FIB_FMT_EXPORT_PTF
                    ? export_ptf(p, dirs[k], &set, err)
                    : export_yaml(p, fib_session_site_get(sessions[i], k)->name,
                                  dirs[k], &set, err);
            if (st != FIB_OK && err) { /* name the site */
                fib_error e2 = *err;
                fib_error_clear(err);
                st = fib_error_set(err, st, "site %s: %s",
                                   fib_session_site_get(sessions[i], k)->name,
                                   e2.msg);
            }
        }
    }
    for (size_t i = 0; i < n_sessions && st == FIB_OK; i++)
        st = kind == FIB_FMT_EXPORT_PTF
                 ? session_index_ptf(sessions[i], tmp, &set, err)
                 : session_index_yaml(sessions[i], tmp, &set, err);
    if (st == FIB_OK)
        st = set_commit(&set, err);
    if (st == FIB_OK && rename(tmp, dir) != 0)
        st = fib_error_set(
            err, errno == ENOTEMPTY || errno == EEXIST ? FIB_EINVAL : FIB_EIO,
            "export folder %s: cannot rename %s over it: %s", dir, tmp,
            strerror(errno));
    if (st != FIB_OK)
        session_cleanup(&set, dirs, n_dirs, tmp);
    set_free(&set);
    for (size_t k = 0; k < n_dirs; k++)
        free(dirs[k]);
    free(dirs);
    free(tmp);
    return st;
}

fib_status fib_fmt_session_export(const fib_session *const *sessions,
                                  size_t n_sessions, fib_fmt_export_kind kind,
                                  const char *dir, fib_error *err)
{
    if (!dir || !dir[0])
        return session_export(sessions, n_sessions, kind, dir, err);
    /* "out/" names the folder "out": the temporary one goes beside it */
    size_t n = strlen(dir);
    char *d = malloc(n + 1);
    if (!d)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    memcpy(d, dir, n + 1);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    fib_status st = session_export(sessions, n_sessions, kind, d, err);
    free(d);
    return st;
}
