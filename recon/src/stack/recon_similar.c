/* recon_similar.c -- per-slice similarity after alignment (issue 16, item
 * 3): normalised cross-correlation and normalised mutual information of
 * each aligned output slice with the previous kept one, and the slices
 * unlike both neighbours flagged.
 *
 * Samples: every SIM_STEP-th row and column of the common region
 * (fib_recon_geometry.valid; zero-filled borders excluded), at most
 * SIM_MAX samples -- a 1024^2 slice gives 65536, enough for both
 * statistics to two or three digits, at a cost that does not show next to
 * the resampling.
 *   NCC = sum (a - mean a)(b - mean b) / sqrt(sum (a - mean a)^2 sum (b -
 *         mean b)^2), in [-1, 1] (Lewis 1995);
 *   NMI = (H(A) + H(B)) / H(A, B) with a 64 x 64 joint histogram over the
 *         common grey range of the pair (Studholme, Hill & Hawkes, Pattern
 *         Recognit. 32:71, 1999), in [1, 2]: 2 for identical slices, 1
 *         for independent ones.
 * Flag (charging, lost focus, a blank frame): a slice whose NCC with its
 * previous AND with its next kept slice are both below median - 5 x
 * 1.4826 x MAD of all the pair NCCs (a robust outlier test: 5 robust
 * standard deviations); the first and last slices need their one pair
 * below it.  A slice unlike only one neighbour is a change of content
 * (or the slice on the other side is the odd one), not flagged.
 * Blur (lost focus): a slice whose FRC resolution (recon_frc.c) is above
 * median + 5 x 1.4826 x MAD of all slices' and at least 1.5 x the median
 * (a run of equally sharp slices has MAD ~ 0; the floor keeps ordinary
 * scatter out). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recon_stack.h"

enum { SIM_STEP = 4, SIM_BINS = 64 };

/* The sampled pixels of @p im inside the valid box, into @p out (count
 * returned; capacity fib__recon_sim_capacity()). */
size_t fib__recon_sim_sample(const fib_recon *r, const fib_image *im,
                             float *out)
{
    const fib_recon_rect v = r->geom.valid;
    size_t n = 0;
    /* the output grid is the box itself when cropped */
    const size_t x0 = r->geom.cropped ? 0 : v.x, y0 = r->geom.cropped ? 0 : v.y;
    for (size_t y = y0; y < y0 + v.height && y < im->height; y += SIM_STEP) {
        const float *row = fib_image_row(im, y);
        for (size_t x = x0; x < x0 + v.width && x < im->width; x += SIM_STEP)
            out[n++] = row[x];
    }
    return n;
}

size_t fib__recon_sim_capacity(const fib_recon *r)
{
    const fib_recon_rect v = r->geom.valid;
    return (v.height / SIM_STEP + 1) * (v.width / SIM_STEP + 1);
}

static double entropy(const double *p, size_t n)
{
    double h = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0)
            h -= p[i] * log(p[i]);
    return h;
}

/* NCC and NMI of two sample sets of n values (NaN when n < 2 or a set is
 * constant). */
void fib__recon_sim_pair(const float *a, const float *b, size_t n, double *ncc,
                         double *nmi)
{
    *ncc = *nmi = (double)NAN;
    if (n < 2)
        return;
    double ma = 0, mb = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        ma += (double)a[i];
        mb += (double)b[i];
        lo = fmin(lo, fmin((double)a[i], (double)b[i]));
        hi = fmax(hi, fmax((double)a[i], (double)b[i]));
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        const double da = (double)a[i] - ma, db = (double)b[i] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (!(saa > 0 && sbb > 0 && hi > lo))
        return;
    *ncc = sab / sqrt(saa * sbb);
    double *joint = calloc(SIM_BINS * SIM_BINS + 2 * SIM_BINS, sizeof *joint);
    if (!joint)
        return;
    double *pa = joint + SIM_BINS * SIM_BINS, *pb = pa + SIM_BINS;
    const double scale = (double)SIM_BINS / (hi - lo) * (1 - 1e-12);
    for (size_t i = 0; i < n; i++) {
        const size_t ia = (size_t)(((double)a[i] - lo) * scale);
        const size_t ib = (size_t)(((double)b[i] - lo) * scale);
        joint[ia * SIM_BINS + ib] += 1.0 / (double)n;
        pa[ia] += 1.0 / (double)n;
        pb[ib] += 1.0 / (double)n;
    }
    const double hab = entropy(joint, SIM_BINS * SIM_BINS);
    *nmi =
        hab > 0 ? (entropy(pa, SIM_BINS) + entropy(pb, SIM_BINS)) / hab : 2.0;
    free(joint);
}

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and MAD of the finite values of @p v (n values; sorted in
 * place); false when fewer than 3. */
static bool med_mad(double *v, size_t n, double *med, double *mad)
{
    if (n < 3)
        return false;
    qsort(v, n, sizeof *v, cmp_d);
    *med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - *med);
    qsort(v, n, sizeof *v, cmp_d);
    *mad = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return true;
}

/* Flag the blurred slices (see the top); their count. */
static size_t flag_blur(fib_recon *r)
{
    const size_t n = r->src.n_slices;
    double *v = malloc(n * sizeof *v);
    size_t m = 0, k = 0;
    r->qc.frc_cut = (double)NAN;
    for (size_t i = 0; v && i < n; i++)
        if (!r->info[i].skipped && isfinite(r->info[i].frc_px))
            v[m++] = r->info[i].frc_px;
    double med, mad;
    if (v && med_mad(v, m, &med, &mad)) {
        const double cut = fmax(med + 5.0 * 1.4826 * mad, 1.5 * med);
        r->qc.frc_cut = cut;
        for (size_t i = 0; i < n; i++)
            if (!r->info[i].skipped && r->info[i].frc_px > cut &&
                !r->info[i].flagged) {
                r->info[i].flagged = true;
                k++;
            }
    }
    free(v);
    return k;
}

/* Flag the slices unlike both kept neighbours and the blurred ones (see
 * the top). */
void fib__recon_sim_flag(fib_recon *r)
{
    const size_t n = r->src.n_slices;
    double *v = malloc(n * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; v && i < n; i++) {
        r->info[i].flagged = false;
        if (isfinite(r->info[i].ncc_prev))
            v[m++] = r->info[i].ncc_prev;
    }
    if (!v || m < 3) {
        free(v);
        r->qc.n_flagged = flag_blur(r);
        return;
    }
    qsort(v, m, sizeof *v, cmp_d);
    const double med = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
    for (size_t i = 0; i < m; i++)
        v[i] = fabs(v[i] - med);
    qsort(v, m, sizeof *v, cmp_d);
    const double mad = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
    free(v);
    const double cut = med - 5.0 * 1.4826 * fmax(mad, 1e-6);
    r->qc.ncc_cut = cut;
    /* kept slices in order; pair NCC of kept k with kept k - 1 */
    size_t prev = n, n_flag = 0;
    for (size_t i = 0; i < n; i++) {
        if (r->info[i].skipped)
            continue;
        const bool low_prev =
            isfinite(r->info[i].ncc_prev) && r->info[i].ncc_prev < cut;
        size_t next = i + 1;
        while (next < n && r->info[next].skipped)
            next++;
        const bool has_next = next < n, has_prev = prev < n;
        const bool low_next = has_next && isfinite(r->info[next].ncc_prev) &&
                              r->info[next].ncc_prev < cut;
        if ((has_prev && has_next && low_prev && low_next) ||
            (!has_prev && has_next && low_next) ||
            (has_prev && !has_next && low_prev)) {
            r->info[i].flagged = true;
            n_flag++;
        }
        prev = i;
    }
    r->qc.n_flagged = n_flag + flag_blur(r);
}
