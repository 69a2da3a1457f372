/*
 * correct_normalize.c -- slice intensity statistics and linear matching
 * (the running reference lives in the context, correct_ctx.c).
 *
 * Mean/std matching is the Standardizer of bmiptools; quantile matching
 * maps two quantiles of the slice onto those of the reference, a
 * two-point version of pystack3d's intensity_rescaling histogram match
 * that cannot change the shape of the histogram (recon-methods 3.3).
 */
#include "correct_internal.h"

#include <math.h>
#include <string.h>

enum { NBINS = 4096 };

fib_status fib__normalize_resolve(const fib_recon_normalize_params *in,
                                  fib_recon_normalize_params *out,
                                  fib_error *err)
{
    const fib_status st = fib__correct_resolve(FIB_CORRECT_STEP_NORMALIZE, in,
                                               out, sizeof *out, err);
    if (st != FIB_OK)
        return st;
    out->enabled = true;
    if (!(out->q_lo < out->q_hi))
        return fib_error_set(err, FIB_EINVAL,
                             "correct: normalize quantiles must satisfy "
                             "0 < q_lo < q_hi < 1 (got %g, %g)",
                             out->q_lo, out->q_hi);
    return FIB_OK;
}

static double quantile(const size_t *hist, size_t n, double lo, double bw,
                       double q)
{
    double target = q * (double)n;
    double cum = 0;
    for (int i = 0; i < NBINS; i++) {
        double c = (double)hist[i];
        if (cum + c >= target && c > 0)
            return lo + bw * ((double)i + (target - cum) / c);
        cum += c;
    }
    return lo + bw * NBINS;
}

fib_status fib_recon_intensity_stats_compute(
    const fib_recon_normalize_params *params, const fib_image *img_f32,
    fib_recon_intensity_stats *out, fib_error *err)
{
    fib_recon_normalize_params p;
    fib_recon_normalize_params zero;
    memset(&zero, 0, sizeof zero);
    fib_status st = fib__normalize_resolve(params ? params : &zero, &p, err);
    if (st != FIB_OK)
        return st;
    st = fib__check_f32(img_f32, "normalize", err);
    if (st != FIB_OK)
        return st;
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "correct: stats out NULL");
    const size_t w = img_f32->width, h = img_f32->height;
    double s = 0, mn = INFINITY, mx = -INFINITY;
    for (size_t y = 0; y < h; y++) {
        const float *r = fib_image_row(img_f32, y);
        double rs = 0;
        for (size_t x = 0; x < w; x++) {
            double v = (double)r[x];
            rs += v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        s += rs;
    }
    double n = (double)w * (double)h;
    double mean = s / n, ss = 0;
    for (size_t y = 0; y < h; y++) {
        const float *r = fib_image_row(img_f32, y);
        double rs = 0;
        for (size_t x = 0; x < w; x++) {
            double d = (double)r[x] - mean;
            rs += d * d;
        }
        ss += rs;
    }
    out->mean = mean;
    out->std = sqrt(ss / n);
    if (p.use_quantiles) {
        size_t hist[NBINS];
        memset(hist, 0, sizeof hist);
        double bw = (mx - mn) / NBINS;
        if (!(bw > 0)) {
            out->q_lo = out->q_hi = mn;
            return FIB_OK;
        }
        for (size_t y = 0; y < h; y++) {
            const float *r = fib_image_row(img_f32, y);
            for (size_t x = 0; x < w; x++) {
                int b = (int)(((double)r[x] - mn) / bw);
                hist[b < 0 ? 0 : (b >= NBINS ? NBINS - 1 : b)]++;
            }
        }
        out->q_lo = quantile(hist, w * h, mn, bw, p.q_lo);
        out->q_hi = quantile(hist, w * h, mn, bw, p.q_hi);
    } else {
        out->q_lo = out->q_hi = NAN;
    }
    return FIB_OK;
}

fib_status fib_recon_normalize_match(const fib_recon_normalize_params *params,
                                     const fib_recon_intensity_stats *have,
                                     const fib_recon_intensity_stats *want,
                                     fib_image *img_f32_inout, fib_error *err)
{
    if (!params || !have || !want)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: normalize_match: NULL argument");
    fib_status st = fib__check_f32(img_f32_inout, "normalize", err);
    if (st != FIB_OK)
        return st;
    double gain, a_from, a_to;
    if (params->use_quantiles) {
        double dh = have->q_hi - have->q_lo, dw = want->q_hi - want->q_lo;
        gain = dh > 0 && dw > 0 ? dw / dh : 1;
        a_from = have->q_lo;
        a_to = want->q_lo;
    } else {
        gain = have->std > 0 && want->std > 0 ? want->std / have->std : 1;
        a_from = have->mean;
        a_to = want->mean;
    }
    if (!isfinite(gain) || !isfinite(a_from) || !isfinite(a_to))
        return fib_error_set(err, FIB_ENUMERIC,
                             "correct: normalize: non-finite statistics");
    /* out = (in - a_from) * gain + a_to */
    const float g = (float)gain, off = (float)(a_to - a_from * gain);
    const size_t w = img_f32_inout->width, h = img_f32_inout->height;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        float *r = fib_image_row(img_f32_inout, y);
        for (size_t x = 0; x < w; x++)
            r[x] = r[x] * g + off;
    }
    return FIB_OK;
}
