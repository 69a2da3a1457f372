/*
 * segment_threshold.c -- global thresholds: Otsu (IEEE Trans. SMC 9:62,
 * 1979), multi-Otsu (Liao, Chen & Chung, J. Inf. Sci. Eng. 17:713, 2001),
 * classification by thresholds, hysteresis.
 *
 * Histograms have FIB_OTSU_BINS bins over [min, max] of the finite voxel
 * values; a threshold is the upper edge of the last bin of the lower class,
 * and a voxel belongs to the upper class when its value is strictly
 * greater.  scikit-image returns the bin centre instead; the upper edge
 * used here keeps every value of the lower bins at or below the threshold
 * (the two differ by half a bin).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/segment.h"
#include "analysis_internal.h"

typedef struct hist {
    double count[FIB_OTSU_BINS];
} hist;

/* The bin of value v in the histogram over [lo, hi]: the same
 * arithmetic for the whole-volume and the streaming paths. */
static inline int bin_of(double v, double lo, double w)
{
    int k = (int)((v - lo) / w);
    if (k >= FIB_OTSU_BINS)
        k = FIB_OTSU_BINS - 1;
    if (k < 0)
        k = 0;
    return k;
}

fib_status fib_recon_hist_add(const fib_volume *vol, double lo, double hi,
                              double *count, fib_error *err)
{
    fib_status st;
    if ((st = fib__vol_check(vol, "threshold input", err)) != FIB_OK)
        return st;
    if (vol->type == FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: thresholds need a u8, u16 or f32 volume, "
                             "not a u32 label volume");
    if (!(hi > lo))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: cannot threshold a constant or empty "
                             "volume (min = max = %g)",
                             lo);
    const double w = (hi - lo) / FIB_OTSU_BINS;
    const size_t n = fib__vol_count(vol);
    for (size_t i = 0; i < n; i++) {
        const double v = fib__vol_value(vol, i);
        if (isfinite(v))
            count[bin_of(v, lo, w)] += 1.0;
    }
    return FIB_OK;
}

static fib_status make_hist(const fib_volume *vol, hist *h, double *lo_out,
                            double *hi_out, fib_error *err)
{
    fib_status st;
    if ((st = fib__vol_check(vol, "threshold input", err)) != FIB_OK)
        return st;
    double lo, hi; /* both 0 when no voxel is finite */
    fib_volume_minmax(vol, &lo, &hi);
    memset(h, 0, sizeof *h);
    *lo_out = lo;
    *hi_out = hi;
    return fib_recon_hist_add(vol, lo, hi, h->count, err);
}

fib_status fib_recon_otsu(const fib_volume *vol, double *threshold,
                          fib_error *err)
{
    return fib_recon_multi_otsu(vol, 2, threshold, err);
}

/* prefix sums: P[k] = sum count[0..k-1], S[k] = sum count*centre */
typedef struct search {
    double P[FIB_OTSU_BINS + 1], S[FIB_OTSU_BINS + 1];
    int classes;
    int cur[5], best[5];
    double best_val;
} search;

static double class_term(const search *s, int a, int b) /* bins [a, b) */
{
    double w = s->P[b] - s->P[a];
    if (w <= 0)
        return 0;
    double m = s->S[b] - s->S[a];
    return m * m / w;
}

static void recurse(search *s, int level, int start, double acc)
{
    /* level = index of the threshold being chosen (0-based); cur[level]
       = last bin of class level */
    int remaining = s->classes - 1 - level;
    if (remaining == 0) {
        double v = acc + class_term(s, start, FIB_OTSU_BINS);
        if (v > s->best_val) {
            s->best_val = v;
            memcpy(s->best, s->cur, sizeof s->cur);
        }
        return;
    }
    for (int t = start; t <= FIB_OTSU_BINS - 1 - remaining; t++) {
        s->cur[level] = t;
        recurse(s, level + 1, t + 1, acc + class_term(s, start, t + 1));
    }
}

fib_status fib_recon_multi_otsu_hist(const double *count, double lo, double hi,
                                     int classes, double *thresholds,
                                     fib_error *err)
{
    if (classes < 2 || classes > 5)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: multi-otsu classes must be 2..5 (got %d)",
                             classes);
    if (!(hi > lo))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: cannot threshold a constant or empty "
                             "volume (min = max = %g)",
                             lo);
    search *s = malloc(sizeof *s);
    if (!s)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    const double w = (hi - lo) / FIB_OTSU_BINS;
    s->P[0] = s->S[0] = 0;
    for (int k = 0; k < FIB_OTSU_BINS; k++) {
        const double centre = lo + ((double)k + 0.5) * w;
        s->P[k + 1] = s->P[k] + count[k];
        s->S[k + 1] = s->S[k] + count[k] * centre;
    }
    s->classes = classes;
    s->best_val = -1;
    memset(s->best, 0, sizeof s->best);
    /* maximising sum_k w_k mu_k^2 maximises the between-class variance */
    recurse(s, 0, 0, 0.0);
    /* upper edge of the last bin of each lower class, so that every value
       of the lower class is <= the threshold */
    const double c0 = lo + 0.5 * w, c1 = lo + 1.5 * w; /* bin centres */
    for (int i = 0; i < classes - 1; i++)
        thresholds[i] = (lo + ((double)s->best[i] + 0.5) * w) + 0.5 * (c1 - c0);
    free(s);
    return FIB_OK;
}

fib_status fib_recon_multi_otsu(const fib_volume *vol, int classes,
                                double *thresholds, fib_error *err)
{
    if (classes < 2 || classes > 5)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: multi-otsu classes must be 2..5 (got %d)",
                             classes);
    hist *h = malloc(sizeof *h);
    if (!h)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    double lo = 0, hi = 0;
    fib_status st = make_hist(vol, h, &lo, &hi, err);
    if (!st)
        st = fib_recon_multi_otsu_hist(h->count, lo, hi, classes, thresholds,
                                       err);
    free(h);
    return st;
}

fib_status fib_recon_classify(const fib_volume *vol, const double *thresholds,
                              size_t n, fib_volume *labels, fib_error *err)
{
    fib_status st;
    memset(labels, 0, sizeof *labels);
    if ((st = fib__vol_check(vol, "classify input", err)) != FIB_OK)
        return st;
    if (n == 0 || n > 254)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: need 1..254 thresholds (got %zu)", n);
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(thresholds[k]))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: threshold %zu is not finite", k + 1);
        if (k > 0 && !(thresholds[k] > thresholds[k - 1]))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: thresholds must ascend (%g after %g)",
                                 thresholds[k], thresholds[k - 1]);
    }
    st = fib_volume_init(labels, FIB_PX_U32, vol->nx, vol->ny, vol->nz, err);
    if (st != FIB_OK)
        return st;
    memcpy(labels->voxel_size_nm, vol->voxel_size_nm, sizeof(double) * 3);
    memcpy(labels->origin_nm, vol->origin_nm, sizeof(double) * 3);
    uint32_t *out = labels->data;
    size_t nv = fib__vol_count(vol);
    for (size_t i = 0; i < nv; i++) {
        double v = fib__vol_value(vol, i);
        uint32_t c = 0;
        while (c < n && v > thresholds[c])
            c++;
        out[i] = c;
    }
    return FIB_OK;
}

fib_status fib_recon_hysteresis(const fib_volume *vol, double low, double high,
                                int connectivity, fib_volume *mask,
                                fib_error *err)
{
    fib_status st;
    fib_volume low_mask = {0}, lab = {0};
    uint8_t *seed = NULL;
    size_t nl = 0;
    memset(mask, 0, sizeof *mask);
    if ((st = fib__vol_check(vol, "hysteresis input", err)) != FIB_OK)
        return st;
    if (!(high >= low))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: hysteresis needs low <= high (got %g, %g)",
                             low, high);
    size_t n = fib__vol_count(vol);
    st = fib_volume_init(&low_mask, FIB_PX_U8, vol->nx, vol->ny, vol->nz, err);
    if (st != FIB_OK)
        goto fail;
    uint8_t *lm = low_mask.data;
    for (size_t i = 0; i < n; i++)
        lm[i] = fib__vol_value(vol, i) > low;
    st = fib_recon_label(&low_mask, connectivity, &lab, &nl, err);
    if (st != FIB_OK)
        goto fail;
    seed = calloc(nl + 1, 1);
    if (!seed) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto fail;
    }
    const uint32_t *l = lab.data;
    for (size_t i = 0; i < n; i++)
        if (l[i] && fib__vol_value(vol, i) > high)
            seed[l[i]] = 1;
    for (size_t i = 0; i < n; i++)
        lm[i] = l[i] ? seed[l[i]] : 0;
    memcpy(low_mask.voxel_size_nm, vol->voxel_size_nm, sizeof(double) * 3);
    memcpy(low_mask.origin_nm, vol->origin_nm, sizeof(double) * 3);
    *mask = low_mask;
    fib_volume_clear(&lab);
    free(seed);
    return FIB_OK;
fail:
    fib_volume_clear(&low_mask);
    fib_volume_clear(&lab);
    free(seed);
    return st;
}
