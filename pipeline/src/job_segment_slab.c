/*
 * job_segment_slab.c -- the trained pixel classifier's input side
 * (job_segment_classify.c): the percentile normalisation and the slabs of
 * feature rows within the memory budget.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_segment_cls.h"

/* Percentiles of the normalisation and histogram bins. */
#define P_LO 0.005
#define P_HI 0.995
#define NORM_BINS 4096
/* A value at the very minimum or maximum on more than this fraction of
 * the voxels is fill or saturation (see fib__cls_normalisation()). */
#define FILL_SPIKE 0.005

/* ---- normalisation ------------------------------------------------- */

size_t fib__cls_pass_depth(const cls_ctx *c)
{
    const size_t per = c->info.nx * c->info.ny *
                       (fib_pixel_size_bytes(c->info.type) + sizeof(float));
    size_t d = per ? c->budget / 2 / per : 1;
    return d < 1 ? 1 : d > c->info.nz ? c->info.nz : d;
}

/* min/max, then the histogram, then the percentiles (linear inside a
 * bin).  A constant volume gives hi = lo + 1. */
fib_status fib__cls_normalisation(cls_ctx *c, fib_error *err)
{
    const size_t d = fib__cls_pass_depth(c), nz = c->info.nz;
    double lo = INFINITY, hi = -INFINITY, n_lo = 0, n_hi = 0;
    double *h = calloc(NORM_BINS, sizeof *h);
    if (!h)
        return fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    fib_status st = FIB_OK;
    for (size_t pass = 0; pass < 2 && !st; pass++)
        for (size_t z0 = 0; !st && z0 < nz; z0 += d) {
            const size_t n = nz - z0 < d ? nz - z0 : d;
            st = fib_progress_report(fib__cls_prog(c), "normalise",
                                     pass * nz + z0, 2 * nz, err);
            fib_volume v = {0};
            if (!st)
                st = fib_fmt_volume_read_z(c->in, NULL, z0, n, &v, NULL, err);
            const size_t m = v.nx * v.ny * v.nz;
            for (size_t i = 0; !st && i < m; i++) {
                const double x = fib__cls_value_at(&v, i);
                if (!isfinite(x))
                    continue;
                if (pass == 0) {
                    lo = x < lo ? x : lo;
                    hi = x > hi ? x : hi;
                } else if (x == lo) {
                    n_lo += 1;
                } else if (x == hi) {
                    n_hi += 1;
                } else {
                    double b = (x - lo) / (hi - lo) * NORM_BINS;
                    size_t k = b >= NORM_BINS ? NORM_BINS - 1 : (size_t)b;
                    h[k] += 1;
                }
            }
            fib_volume_clear(&v);
            if (pass == 0 && !st && z0 + d >= nz && !(hi > lo)) {
                /* constant or no finite voxel: nothing to spread */
                c->lo = isfinite(lo) ? lo : 0;
                c->hi = c->lo + 1;
                free(h);
                return FIB_OK;
            }
        }
    if (st) {
        free(h);
        return st;
    }
    double total = n_lo + n_hi;
    for (size_t k = 0; k < NORM_BINS; k++)
        total += h[k];
    /* a spike at the very minimum or maximum holding more than FILL_SPIKE
     * of the voxels is fill or saturation (the zero border of an uncropped
     * reconstruction, a clipped detector), not the sample's grey: it is
     * left out of the percentiles; a smaller count is ordinary data */
    const bool drop_lo = n_lo > FILL_SPIKE * total;
    const bool drop_hi = n_hi > FILL_SPIKE * total;
    if (!drop_lo)
        h[0] += n_lo;
    if (!drop_hi)
        h[NORM_BINS - 1] += n_hi;
    total -= (drop_lo ? n_lo : 0) + (drop_hi ? n_hi : 0);
    const double q[2] = {P_LO * total, P_HI * total};
    double out[2] = {lo, hi}, acc = 0;
    int j = 0;
    for (size_t k = 0; k < NORM_BINS && j < 2; k++) {
        while (j < 2 && acc + h[k] >= q[j]) {
            const double f = h[k] > 0 ? (q[j] - acc) / h[k] : 0;
            out[j] = lo + ((double)k + f) * (hi - lo) / NORM_BINS;
            j++;
        }
        acc += h[k];
    }
    free(h);
    c->lo = out[0];
    c->hi = out[1] > out[0] ? out[1] : out[0] + (hi - lo) / NORM_BINS;
    return FIB_OK;
}

/* Sections [z0, z0 + n) of the input, normalised into @p dst. */
static fib_status read_norm(const cls_ctx *c, size_t z0, size_t n, float *dst,
                            fib_error *err)
{
    fib_volume v = {0};
    fib_status st = fib_fmt_volume_read_z(c->in, NULL, z0, n, &v, NULL, err);
    if (st)
        return st;
    const size_t m = v.nx * v.ny * v.nz;
    const double s = 1.0 / (c->hi - c->lo);
    for (size_t i = 0; i < m; i++) {
        const double x = fib__cls_value_at(&v, i);
        dst[i] = isfinite(x) ? (float)((x - c->lo) * s) : 0.0f;
    }
    fib_volume_clear(&v);
    return FIB_OK;
}

/* ---- slabs ---------------------------------------------------------- */

/* Bytes a slab of @p d output sections needs: the input with its halo
 * (file type + float), the feature rows, probabilities and labels (K
 * classes), and the filters' work. */
static double slab_bytes(const cls_ctx *c, size_t d, size_t k)
{
    const double plane = (double)c->info.nx * (double)c->info.ny;
    const double in_secs = (double)(d + 2 * c->halo) < (double)c->info.nz
                               ? (double)(d + 2 * c->halo)
                               : (double)c->info.nz;
    return in_secs * plane *
               ((double)fib_pixel_size_bytes(c->info.type) + 4.0) +
           (double)d * plane * (4.0 * (double)c->nf + 4.0 * (double)k + 8.0) +
           (double)fib_features_work_bytes(&c->fp, c->info.nx, c->info.ny, d);
}

/* The deepest slab within @p avail bytes; FIB_EBUDGET when one section
 * does not fit. */
fib_status fib__cls_plan_depth(cls_ctx *c, size_t k, double avail,
                               fib_error *err)
{
    size_t d = c->info.nz;
    while (d > 1 && slab_bytes(c, d, k) > avail)
        d = d / 2;
    if (slab_bytes(c, d, k) > avail)
        return fib_error_set(err, FIB_EBUDGET,
                             "segment: the classifier needs about %.0f MiB "
                             "for one section of %s (%zu features, %zu "
                             "halo sections; --memory %.0f MiB): raise "
                             "--memory or use fewer scales",
                             slab_bytes(c, 1, k) / 1048576.0, c->in, c->nf,
                             c->halo, (double)c->budget / 1048576.0);
    c->depth = d;
    return FIB_OK;
}

/* Feature rows of output sections [z0, z1) into @p rows (the input slab
 * read into @p in, room for the halo). */
fib_status fib__cls_slab_features(const cls_ctx *c, size_t z0, size_t z1,
                                  float *in, float *rows, fib_error *err)
{
    const size_t nz = c->info.nz;
    const size_t a = z0 > c->halo ? z0 - c->halo : 0;
    const size_t b = z1 + c->halo < nz ? z1 + c->halo : nz;
    fib_status st = read_norm(c, a, b - a, in, err);
    if (!st)
        st = fib_features_compute(&c->fp, in, c->info.nx, c->info.ny, a, b - a,
                                  nz, z0, z1, rows, err);
    return st;
}
