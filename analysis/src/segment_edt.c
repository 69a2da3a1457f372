/*
 * segment_edt.c -- exact Euclidean distance transform with anisotropic
 * voxels (Felzenszwalb & Huttenlocher, "Distance transforms of sampled
 * functions", Theory of Computing 8:415-428, 2012).
 *
 * The squared distance is separable: one 1D lower-envelope-of-parabolas
 * pass per axis, each parabola scaled by the squared spacing of that axis
 * (eq. (4) with f(q) + (w (p - q))^2).  Infinite samples (no feature yet on
 * the line) take no part in the envelope, so lines without a feature stay
 * infinite.  Lines are processed in tiles of TILE neighbours along the
 * fastest other axis so that strided passes read whole cache lines.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/segment.h"
#include "analysis_internal.h"

#define TILE 16

/* 1D squared-distance transform of f (n samples, spacing^2 = w2) into d.
 * v, z: scratch of n and n + 1 entries. */
static void edt1d(const double *f, double *d, size_t n, double w2, size_t *v,
                  double *z)
{
    ptrdiff_t k = -1;
    for (size_t q = 0; q < n; q++) {
        if (!(f[q] < (double)INFINITY))
            continue;
        double fq = f[q] + w2 * (double)q * (double)q;
        for (;;) {
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = -(double)INFINITY;
                z[1] = (double)INFINITY;
                break;
            }
            size_t p = v[k];
            double s = (fq - (f[p] + w2 * (double)p * (double)p)) /
                       (2.0 * w2 * (double)(q - p));
            if (s <= z[k]) {
                k--;
                if (k < 0) {
                    /* cannot happen (z[0] = -inf) */
                    k = -1;
                }
                continue;
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = (double)INFINITY;
            break;
        }
    }
    if (k < 0) {
        for (size_t q = 0; q < n; q++)
            d[q] = (double)INFINITY;
        return;
    }
    size_t j = 0;
    for (size_t q = 0; q < n; q++) {
        while (z[j + 1] < (double)q)
            j++;
        double t = (double)q - (double)v[j];
        d[q] = w2 * t * t + f[v[j]];
    }
}

fib_status fib__edt_sq(float *f, size_t nx, size_t ny, size_t nz,
                       const double sp[3], fib_error *err)
{
    size_t dims[3] = {nx, ny, nz};
    size_t str[3] = {1, nx, nx * ny};
    size_t maxn = nx > ny ? nx : ny;
    if (nz > maxn)
        maxn = nz;
    int failed = 0;
    for (int a = 0; a < 3; a++) {
        /* the other two axes: b (tiled, fastest) and c */
        int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2;
        size_t n = dims[a], nb = dims[b], nc = dims[c];
        double w2 = sp[a] * sp[a];
        size_t ntile = (nb + TILE - 1) / TILE;
        ptrdiff_t ntask = (ptrdiff_t)(ntile * nc);
#pragma omp parallel reduction(| : failed)
        {
            double *buf = malloc(sizeof(double) * maxn * TILE);
            double *out = malloc(sizeof(double) * maxn);
            double *z = malloc(sizeof(double) * (maxn + 1));
            size_t *v = malloc(sizeof(size_t) * maxn);
            if (!buf || !out || !z || !v) {
                failed = 1;
            } else {
#pragma omp for schedule(dynamic, 4)
                for (ptrdiff_t t = 0; t < ntask; t++) {
                    size_t ic = (size_t)t / ntile;
                    size_t ib0 = ((size_t)t % ntile) * TILE;
                    size_t tb = nb - ib0 < TILE ? nb - ib0 : TILE;
                    size_t base = ic * str[c] + ib0 * str[b];
                    for (size_t q = 0; q < n; q++) {
                        const float *src = f + base + q * str[a];
                        for (size_t u = 0; u < tb; u++)
                            buf[u * n + q] = (double)src[u * str[b]];
                    }
                    for (size_t u = 0; u < tb; u++) {
                        edt1d(buf + u * n, out, n, w2, v, z);
                        memcpy(buf + u * n, out, sizeof(double) * n);
                    }
                    for (size_t q = 0; q < n; q++) {
                        float *dst = f + base + q * str[a];
                        for (size_t u = 0; u < tb; u++)
                            dst[u * str[b]] = (float)buf[u * n + q];
                    }
                }
            }
            free(buf);
            free(out);
            free(z);
            free(v);
        }
        if (failed)
            return fib_error_set(err, FIB_ENOMEM,
                                 "recon: out of memory in distance transform");
    }
    return FIB_OK;
}

fib_status fib_recon_edt(const fib_volume *mask, fib_volume *dist,
                         fib_error *err)
{
    fib_status st;
    double sp[3];
    memset(dist, 0, sizeof *dist);
    if ((st = fib__vol_check(mask, "distance transform input", err)) != FIB_OK)
        return st;
    st = fib_volume_init(dist, FIB_PX_F32, mask->nx, mask->ny, mask->nz, err);
    if (st != FIB_OK)
        return st;
    memcpy(dist->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
    memcpy(dist->origin_nm, mask->origin_nm, sizeof(double) * 3);
    fib__vol_spacing(mask, sp);
    size_t n = fib__vol_count(mask);
    float *f = dist->data;
    if (mask->type == FIB_PX_U8) {
        const uint8_t *m = mask->data;
        for (size_t i = 0; i < n; i++)
            f[i] = m[i] ? INFINITY : 0.0f;
    } else {
        for (size_t i = 0; i < n; i++)
            f[i] = fib__vol_value(mask, i) != 0 ? INFINITY : 0.0f;
    }
    st = fib__edt_sq(f, mask->nx, mask->ny, mask->nz, sp, err);
    if (st != FIB_OK) {
        fib_volume_clear(dist);
        return st;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        f[i] = sqrtf(f[i]);
    return FIB_OK;
}
