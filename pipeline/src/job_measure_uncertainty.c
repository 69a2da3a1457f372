/* job_measure_uncertainty.c -- the segmentation-uncertainty section of the
 * measure report (issue 17 item 6; fib/job_measure.h): the grey volume
 * re-classified by multi-Otsu, each threshold moved by -delta and +delta
 * in turn, and the volume fraction, specific surface and asked
 * tortuosities of every measured label as nominal and [low, high]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/segment.h"
#include "job_measure_internal.h"

enum { UNC_MAX_T = 4, UNC_METRICS = 5 }; /* vf, surface, tau x y z */

typedef struct unc_range {
    double nominal[FIB_JOB_MEASURE_MAX_PHASES][UNC_METRICS];
    double lo[FIB_JOB_MEASURE_MAX_PHASES][UNC_METRICS];
    double hi[FIB_JOB_MEASURE_MAX_PHASES][UNC_METRICS];
} unc_range;

/* The label volume of thresholds @p t: class k -> the k-th label value. */
static fib_status variant_labels(const fib__measure *m, const fib_volume *grey,
                                 const double *t, size_t nt, fib_volume *out,
                                 fib_error *err)
{
    fib_status st = fib_recon_classify(grey, t, nt, out, err);
    if (st != FIB_OK)
        return st;
    uint32_t *d = out->data;
    const size_t n = out->nx * out->ny * out->nz;
    for (size_t i = 0; i < n; i++)
        d[i] = m->vals[d[i]];
    memcpy(out->voxel_size_nm, m->vol.voxel_size_nm, sizeof out->voxel_size_nm);
    return FIB_OK;
}

/* The metrics of every measured label of @p lab into @p v. */
static fib_status variant_metrics(fib__measure *m, const fib_volume *lab,
                                  fib_volume *mask, double v[][UNC_METRICS],
                                  fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    for (size_t q = 0; q < m->nphase; q++) {
        fib_phase_surface s;
        fib_status st =
            fib_recon_volume_fraction(lab, m->phases[q], &v[q][0], err);
        if (st == FIB_OK)
            st = fib_recon_phase_surface(lab, m->phases[q], p->smooth_vox, &s,
                                         err);
        if (st != FIB_OK)
            return st;
        v[q][1] = s.per_total_um;
        for (int a = 0; a < 3; a++) {
            v[q][2 + a] = (double)NAN;
            if (!p->tortuosity_axes[a])
                continue;
            fib__job_label_mask(lab, m->phases[q], mask);
            const fib_tort_opts o = {.rel_tol = p->tortuosity_tol};
            fib_tort_result r;
            st = fib_recon_tortuosity(mask, a, &o, &r, m->prog, err);
            if (st != FIB_OK && st != FIB_ENUMERIC)
                return st;
            v[q][2 + a] = r.tau;
        }
    }
    return FIB_OK;
}

/* Thresholds of variant @p k (0 = nominal; 2j+1 / 2j+2: threshold j moved
 * down / up), kept ascending (a shift past a neighbour stops half way). */
static void variant_thresholds(const double *t, const double *delta, size_t nt,
                               size_t k, double *out)
{
    memcpy(out, t, nt * sizeof *t);
    if (k == 0)
        return;
    const size_t j = (k - 1) / 2;
    const double s = (k - 1) % 2 ? delta[j] : -delta[j];
    out[j] = t[j] + s;
    if (j > 0 && out[j] <= t[j - 1])
        out[j] = 0.5 * (t[j] + t[j - 1]);
    if (j + 1 < nt && out[j] >= t[j + 1])
        out[j] = 0.5 * (t[j] + t[j + 1]);
}

/* Nominal and the range over the 2 nt variants. */
static fib_status unc_run(fib__measure *m, const fib_volume *grey,
                          const double *t, const double *delta, size_t nt,
                          unc_range *r, double *agree, fib_error *err)
{
    fib_volume lab = {0}, mask = {0};
    double(*v)[UNC_METRICS] = r->nominal;
    fib_status st =
        fib_volume_init(&mask, FIB_PX_U8, m->vol.nx, m->vol.ny, m->vol.nz, err);
    memcpy(mask.voxel_size_nm, m->vol.voxel_size_nm, sizeof mask.voxel_size_nm);
    for (size_t k = 0; st == FIB_OK && k <= 2 * nt; k++) {
        double tk[UNC_MAX_T], cur[FIB_JOB_MEASURE_MAX_PHASES][UNC_METRICS];
        variant_thresholds(t, delta, nt, k, tk);
        st = variant_labels(m, grey, tk, nt, &lab, err);
        if (st == FIB_OK && k == 0) {
            const size_t n = lab.nx * lab.ny * lab.nz;
            size_t same = 0;
            for (size_t i = 0; i < n; i++)
                same += ((uint32_t *)lab.data)[i] ==
                        fib_volume_label_at(&m->vol, i);
            *agree = (double)same / (double)n;
        }
        if (st == FIB_OK)
            st = variant_metrics(m, &lab, &mask, k ? cur : v, err);
        fib_volume_clear(&lab);
        for (size_t q = 0; st == FIB_OK && q < m->nphase; q++)
            for (int x = 0; x < UNC_METRICS; x++) {
                const double c = k ? cur[q][x] : v[q][x];
                r->lo[q][x] = k ? fmin(r->lo[q][x], c) : c;
                r->hi[q][x] = k ? fmax(r->hi[q][x], c) : c;
            }
    }
    fib_volume_clear(&mask);
    return st;
}

/* "KEY": {"nominal": v, "range": [lo, hi]} (tau: "inf" when infinite). */
static void unc_entry(fib__measure *m, const char *key, double nominal,
                      double lo, double hi, const char *rule)
{
    fib_fmt_json *j = m->j;
    const double val[3] = {nominal, lo, hi};
    fib_fmt_json_key(j, fib__ukey(m, key));
    fib_fmt_json_begin_object(j);
    for (int k = 0; k < 3; k++) {
        if (k == 0)
            fib_fmt_json_key(j, "nominal");
        if (k == 1) {
            fib_fmt_json_key(j, "range");
            fib_fmt_json_begin_array(j);
        }
        if (isinf(val[k]))
            fib_fmt_json_string(j, "inf");
        else
            fib_fmt_json_number(j, fib__uval(m, rule, val[k]));
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}

static void unc_report(fib__measure *m, const double *t, const double *delta,
                       size_t nt, const unc_range *r, double agree)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "segmentation_uncertainty");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "the grey volume re-classified by multi-Otsu into as many classes "
        "as the labels have values (class k = k-th smallest label), each "
        "threshold moved by -delta and +delta in turn; nominal = the "
        "re-classification, range = [min, max] over nominal and variants");
    fib_fmt_json_kv_string(j, "delta_source",
                           m->p->uncertainty_delta < 0
                               ? "histogram valley: half its width at twice "
                                 "its floor count, at least one bin"
                               : "given");
    const double *arr[2] = {t, delta};
    for (int a = 0; a < 2; a++) {
        fib_fmt_json_key(j, a ? "delta" : "thresholds");
        fib_fmt_json_begin_array(j);
        for (size_t k = 0; k < nt; k++)
            fib_fmt_json_number(j, arr[a][k]);
        fib_fmt_json_end_array(j);
    }
    fib_fmt_json_kv_int(j, "variants", (long long)(2 * nt));
    fib_fmt_json_kv_number(j, "nominal_agreement_with_labels", agree);
    static const char *const tk[3] = {"tortuosity_x", "tortuosity_y",
                                      "tortuosity_z"};
    for (size_t q = 0; q < m->nphase; q++) {
        fib__key_u32(j, m->phases[q]);
        fib_fmt_json_begin_object(j);
        const double *n = r->nominal[q], *lo = r->lo[q], *hi = r->hi[q];
        unc_entry(m, "volume_fraction", n[0], lo[0], hi[0], "");
        unc_entry(m, "specific_surface_per_um", n[1], lo[1], hi[1], "_per_um");
        for (int a = 0; a < 3; a++)
            if (m->p->tortuosity_axes[a])
                unc_entry(m, tk[a], n[2 + a], lo[2 + a], hi[2 + a], "");
        fib_fmt_json_end_object(j);
        FIB__SAY(m,
                 "phase %u: volume fraction %.4f, range [%.4f, %.4f] with "
                 "the thresholds moved by +-delta",
                 m->phases[q], n[0], lo[0], hi[0]);
    }
    fib_fmt_json_end_object(j);
}

fib_status fib__measure_uncertainty(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    if (!p->uncertainty)
        return FIB_OK;
    if (m->nval < 2 || m->nval > UNC_MAX_T + 1)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: uncertainty needs 2..5 label values (the "
                             "multi-Otsu classes), found %zu",
                             p->labels_path, m->nval);
    const size_t nt = m->nval - 1;
    double t[UNC_MAX_T], delta[UNC_MAX_T], agree = 0;
    fib_volume grey = {0};
    unc_range *r = calloc(1, sizeof *r);
    fib_status st = r ? fib__measure_read_grey(m, &grey, err)
                      : fib_error_set(err, FIB_ENOMEM, "measure: oom");
    if (st == FIB_OK)
        st = fib_recon_multi_otsu(&grey, (int)m->nval, t, err);
    if (st == FIB_OK && p->uncertainty_delta < 0)
        st = fib_recon_threshold_valley(&grey, t, nt, delta, err);
    else
        for (size_t k = 0; k < nt; k++)
            delta[k] = p->uncertainty_delta;
    if (st == FIB_OK)
        st = unc_run(m, &grey, t, delta, nt, r, &agree, err);
    if (st == FIB_OK)
        unc_report(m, t, delta, nt, r, agree);
    fib_volume_clear(&grey);
    free(r);
    return st;
}
