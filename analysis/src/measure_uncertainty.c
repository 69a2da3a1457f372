/*
 * measure_uncertainty.c -- segmentation uncertainty (issue 17 item 6):
 * the default threshold shifts from the valleys of the grey histogram
 * (fib/measure.h fib_recon_threshold_valley()).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "analysis_internal.h"

/* FIB_OTSU_BINS-bin histogram over [min, max] of the finite values, as
 * segment_threshold.c builds it. */
static fib_status valley_hist(const fib_volume *grey, double *count, double *lo,
                              double *w, fib_error *err)
{
    fib_status st = fib__vol_check(grey, "grey", err);
    if (st)
        return st;
    if (grey->type == FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: the grey volume must be u8, u16 or f32");
    double hi;
    fib_volume_minmax(grey, lo, &hi);
    if (!(hi > *lo))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: constant grey volume (min = max = %g)",
                             *lo);
    *w = (hi - *lo) / FIB_OTSU_BINS;
    memset(count, 0, sizeof(double) * FIB_OTSU_BINS);
    const size_t n = fib__vol_count(grey);
    for (size_t i = 0; i < n; i++) {
        const double v = fib__vol_value(grey, i);
        if (!isfinite(v))
            continue;
        int k = (int)((v - *lo) / *w);
        k = k < 0 ? 0 : k >= FIB_OTSU_BINS ? FIB_OTSU_BINS - 1 : k;
        count[k] += 1.0;
    }
    return FIB_OK;
}

/* Bin of grey value @p t, clamped. */
static int bin_of(double t, double lo, double w)
{
    const double k = floor((t - lo) / w);
    return k < 0 ? 0 : k >= FIB_OTSU_BINS ? FIB_OTSU_BINS - 1 : (int)k;
}

/* Highest bin in [a, b] (first on ties). */
static int peak_in(const double *c, int a, int b)
{
    int best = a;
    for (int k = a; k <= b; k++)
        if (c[k] > c[best])
            best = k;
    return best;
}

fib_status fib_recon_threshold_valley(const fib_volume *grey,
                                      const double *thresholds, size_t n,
                                      double *delta, fib_error *err)
{
    if (n < 1 || n > 254)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: need 1..254 thresholds (got %zu)", n);
    for (size_t k = 0; k < n; k++)
        if (!isfinite(thresholds[k]) ||
            (k > 0 && !(thresholds[k] > thresholds[k - 1])))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: thresholds must be finite and "
                                 "ascending (threshold %zu = %g)",
                                 k + 1, thresholds[k]);
    double count[FIB_OTSU_BINS], lo = 0, w = 1;
    fib_status st = valley_hist(grey, count, &lo, &w, err);
    if (st)
        return st;
    for (size_t k = 0; k < n; k++) {
        /* the threshold is a bin's upper edge: bins <= tb are below it */
        const int tb = bin_of(thresholds[k] - 0.5 * w, lo, w);
        const int a = k ? bin_of(thresholds[k - 1] - 0.5 * w, lo, w) + 1 : 0;
        const int b = k + 1 < n ? bin_of(thresholds[k + 1] - 0.5 * w, lo, w)
                                : FIB_OTSU_BINS - 1;
        const int pl = peak_in(count, a < tb ? a : tb, tb);
        const int pr = peak_in(count, tb + 1 <= b ? tb + 1 : b, b);
        int fl = pl;
        for (int j = pl; j <= pr; j++)
            if (count[j] < count[fl] ||
                (count[j] == count[fl] && abs(j - tb) < abs(fl - tb)))
                fl = j;
        const double lim = 2 * count[fl];
        int l = fl, r = fl;
        while (l - 1 > pl && count[l - 1] <= lim)
            l--;
        while (r + 1 < pr && count[r + 1] <= lim)
            r++;
        const double half = 0.5 * (double)(r - l + 1) * w;
        delta[k] = half > w ? half : w;
    }
    return FIB_OK;
}
