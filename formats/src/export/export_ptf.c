/*
 * export_ptf.c -- Thermo/FEI .ptf pattern files from session plans
 * (fib/pattern_export.h).
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
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_internal.h"

static const double DWELL_S = 1e-6; /* templates: DwellTime 0.000001 */
static const double PI = 3.14159265358979323846;

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

/* <Tag dt:dt="string">value</Tag>; an empty value is written as the
 * templates do (newline, closing tag on its own line). */
static void el_s(FILE *f, int in, const char *tag, const char *v)
{
    fib__exp_indent(f, in);
    fprintf(f, "<%s " DT " dt:dt=\"string\">", tag);
    if (v[0])
        xml_text(f, v);
    else {
        fputc('\n', f);
        fib__exp_indent(f, in);
    }
    fprintf(f, "</%s>\n", tag);
}

static void el_r(FILE *f, int in, const char *tag, double v)
{
    fib__exp_indent(f, in);
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
    const fib__exp_box bo = fib__exp_box_numbers(s, b);
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
    el_s(f, 4, "ScanDirection", fib__exp_scan_dir(x));
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

fib_status fib__exp_ptf(const fib_plan *p, const char *dir, fib__exp_set *set,
                        fib_error *err)
{
    const char *ion = fib__exp_ion_symbol(p);
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
        if (!fib__exp_exported(s))
            continue;
        char sname[FIB_GEOM_NAME_SIZE];
        fib__exp_safe_name(s->name, sname, sizeof sname);
        for (int b = 0; b < s->pattern.n_boxes && st == FIB_OK; b++) {
            char lab[16], file[128];
            fib__exp_box_label(&s->pattern, b, lab, sizeof lab);
            snprintf(file, sizeof file, "%s-%02zu-%s-%s.ptf", ion, i + 1, sname,
                     lab);
            st = fib__exp_set_open(set, dir, file, err);
            if (st != FIB_OK)
                break;
            ptf_write(set->fp, s, b, app);
            const fib__exp_box bo = fib__exp_box_numbers(s, b);
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
        st = fib__exp_set_open(set, dir, index_name, err);
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

/* The session's run order for the ptf export: every session step with the
 * .ptf files of its boxes (relative to the export folder; "-" for steps
 * that are not exported). */
fib_status fib__exp_session_index_ptf(const fib_session *s, const char *dir,
                                      fib__exp_set *set, fib_error *err)
{
    const char *ion = fib__exp_ion_symbol(fib_session_site_plan(s, 0));
    char name[64];
    snprintf(name, sizeof name, "session-%s.txt", ion);
    fib_status st = fib__exp_set_open(set, dir, name, err);
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
        fib__exp_site_folder(s, q->site, folder, sizeof folder);
        fprintf(f,
                "%zu\t%s\t%s\t%.15g\t%.15g\t%s\t%zu\t%s\t%.15g\t%.15g"
                "\t%.15g\t%.15g\t",
                i + 1, si->name, folder, si->x_um, si->y_um,
                fib_session_batch_name(q->batch), q->plan_step + 1, ps->name,
                ps->mills ? ps->current_pA : 0.0,
                ps->mills ? ps->commanded_time_s : 0.0, q->step.start_s,
                q->step.end_s);
        if (!fib__exp_exported(ps)) {
            fputs("-\n", f);
            continue;
        }
        char sname[FIB_GEOM_NAME_SIZE];
        fib__exp_safe_name(ps->name, sname, sizeof sname);
        for (int b = 0; b < ps->pattern.n_boxes; b++) {
            char lab[16];
            fib__exp_box_label(&ps->pattern, b, lab, sizeof lab);
            fprintf(f, "%s%s/%s-%02zu-%s-%s.ptf", b ? "," : "", folder, ion,
                    q->plan_step + 1, sname, lab);
        }
        fputc('\n', f);
    }
    return FIB_OK;
}
