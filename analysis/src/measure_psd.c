/*
 * measure_psd.c -- pore and particle sizes and contact areas (issue 17
 * item 4): simulated mercury intrusion porosimetry, the particle-size
 * distribution of a watershed split and contact areas per label pair.
 * Definitions: fib/measure.h and analysis/MEASURE.md.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "analysis_internal.h"

static fib_status check_labels(const fib_volume *v, fib_error *err)
{
    fib_status st = fib__vol_check(v, "labels", err);
    if (st)
        return st;
    if (v->type != FIB_PX_U8 && v->type != FIB_PX_U16 && v->type != FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: labels must be u8, u16 or u32");
    if (fib__vol_count(v) >= UINT32_MAX)
        return fib_error_set(err, FIB_ERANGE,
                             "recon: sizes support < 2^32 voxels");
    return FIB_OK;
}

double fib_recon_washburn_pressure_MPa(double radius_nm)
{
    if (!(radius_nm > 0))
        return (double)INFINITY;
    const double cos_t = cos(FIB_HG_CONTACT_ANGLE_DEG * M_PI / 180.0);
    /* N/m / m = Pa; r in nm -> 1e-9 m; Pa -> MPa 1e-6 */
    return -2.0 * FIB_HG_SURFACE_TENSION_N_PER_M * cos_t / (radius_nm * 1e-9) *
           1e-6;
}

/* ---- intrusion ----------------------------------------------------------
 */

static int cmp_desc(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* The radii, descending: given, or n log-spaced from rmax to rmin. */
static fib_status intrusion_radii(const double *radii_nm, size_t n, double rmax,
                                  double rmin, double *r, fib_error *err)
{
    if (radii_nm) {
        for (size_t k = 0; k < n; k++) {
            if (!(radii_nm[k] > 0) || !isfinite(radii_nm[k]))
                return fib_error_set(err, FIB_EINVAL,
                                     "recon: intrusion radius %zu must be "
                                     "> 0 nm (got %g)",
                                     k, radii_nm[k]);
            r[k] = radii_nm[k];
        }
        qsort(r, n, sizeof *r, cmp_desc);
        return FIB_OK;
    }
    if (!(rmax > rmin))
        rmax = rmin;
    for (size_t k = 0; k < n; k++)
        r[k] = n == 1 ? rmax
                      : exp(log(rmax) + (log(rmin) - log(rmax)) * (double)k /
                                            (double)(n - 1));
    return FIB_OK;
}

/* Phase mask, its EDT (nm) and the inlet voxels. */
static fib_status intrusion_setup(const fib_volume *labels, uint32_t value,
                                  int axis, fib_volume *mask, fib_volume *dist,
                                  uint8_t *inlet, size_t *nphase,
                                  fib_error *err)
{
    const size_t nx = labels->nx, ny = labels->ny, nz = labels->nz;
    const size_t n = nx * ny * nz;
    fib_status st = fib_volume_init(mask, FIB_PX_U8, nx, ny, nz, err);
    if (st)
        return st;
    memcpy(mask->voxel_size_nm, labels->voxel_size_nm,
           sizeof mask->voxel_size_nm);
    uint8_t *m = mask->data;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        cnt += m[i] = fib_volume_label_at(labels, i) == value;
    *nphase = cnt;
    for (size_t i = 0; i < n; i++) {
        const size_t c[3] = {i % nx, (i / nx) % ny, i / (nx * ny)};
        const size_t d[3] = {nx, ny, nz};
        bool on = false;
        for (int a = 0; a < 3; a++)
            if (axis < 0 || a == axis)
                on |= c[a] == 0 || c[a] + 1 == d[a];
        inlet[i] = on && m[i];
    }
    return fib_recon_edt(mask, dist, err);
}

enum { INTR_NONE = 255 };

/* Access level of every voxel (Hildebrand & Rueegsegger's seeds of all
 * radii in one pass): own[i] = first k with dist >= r_k (the voxel is a
 * sphere centre from radius k on), acc[i] = the first k at which it is a
 * seed, i.e. 6-connected to an inlet voxel through voxels with own <= k:
 * the minimax path level, found by a breadth-first search per level whose
 * frontier voxels of a later own level wait in that level's bucket
 * (every voxel is queued once: the first level that reaches it is its
 * level).  INTR_NONE: never a seed.  @p q: nphase + 1 entries, @p pend:
 * the same. */
static void intrusion_access(const uint8_t *own, const uint8_t *inlet,
                             const size_t dims[3], size_t nlev, uint8_t *acc,
                             uint32_t *q, uint32_t *pend)
{
    const size_t nx = dims[0], ny = dims[1], nz = dims[2], n = nx * ny * nz;
    size_t off[FIB_INTRUSION_MAX_SIZES + 1] = {0};
    size_t fill[FIB_INTRUSION_MAX_SIZES] = {0};
    for (size_t i = 0; i < n; i++)
        if (own[i] != INTR_NONE)
            off[own[i] + 1]++;
    for (size_t k = 0; k < nlev; k++)
        off[k + 1] += off[k];
    memset(acc, INTR_NONE, n);
    for (size_t i = 0; i < n; i++)
        if (inlet[i] && own[i] != INTR_NONE) {
            acc[i] = own[i];
            pend[off[own[i]] + fill[own[i]]++] = (uint32_t)i;
        }
    const size_t step[3] = {1, nx, nx * ny};
    for (size_t k = 0; k < nlev; k++) {
        size_t tail = fill[k], head = 0;
        memcpy(q, pend + off[k], tail * sizeof *q);
        while (head < tail) {
            const size_t i = q[head++];
            const size_t c[3] = {i % nx, (i / nx) % ny, i / (nx * ny)};
            for (int a = 0; a < 3; a++)
                for (int s = -1; s <= 1; s += 2) {
                    if ((s < 0 && c[a] == 0) || (s > 0 && c[a] + 1 == dims[a]))
                        continue;
                    const size_t j = s < 0 ? i - step[a] : i + step[a];
                    if (acc[j] != INTR_NONE || own[j] == INTR_NONE)
                        continue;
                    if (own[j] <= k) { /* reached at this level */
                        acc[j] = (uint8_t)k;
                        q[tail++] = (uint32_t)j;
                    } else { /* waits for its own level */
                        acc[j] = own[j];
                        pend[off[own[j]] + fill[own[j]]++] = (uint32_t)j;
                    }
                }
        }
    }
}

/* Half extents of the ball of radius @p r in voxels, at most the volume. */
static void ball_extent(double r, const double sp[3], const size_t dims[3],
                        int rad[3])
{
    for (int a = 0; a < 3; a++) {
        /* offsets beyond the volume never matter */
        const double e = ceil(r / sp[a]);
        rad[a] = e < (double)dims[a] ? (int)e : (int)dims[a];
    }
}

/* The ball of radius r as x half-widths per (dy, dz) row: w[(dz + rz) *
 * (2 ry + 1) + dy + ry] = the largest |dx| of the row inside, -1: none.
 * "Inside" is the squared distance as fib__edt_sq() computes it (x, then
 * y, then z pass, each sum rounded to float) below (float)(r * r), so that
 * the ball is the set that an EDT of the seed would mark. */
static void intrusion_ball(double r, const double sp[3], const size_t dims[3],
                           int rad[3], int *w)
{
    ball_extent(r, sp, dims, rad);
    const float r2 = (float)(r * r);
    for (int dz = -rad[2]; dz <= rad[2]; dz++)
        for (int dy = -rad[1]; dy <= rad[1]; dy++) {
            int best = -1;
            for (int dx = 0; dx <= rad[0]; dx++) {
                const double tx = dx, ty = dy, tz = dz;
                const float gx = (float)(sp[0] * sp[0] * tx * tx + 0.0);
                const float gy = (float)(sp[1] * sp[1] * ty * ty + (double)gx);
                const float gz = (float)(sp[2] * sp[2] * tz * tz + (double)gy);
                if (!(gz < r2))
                    break;
                best = dx;
            }
            w[(dz + rad[2]) * (2 * rad[1] + 1) + dy + rad[1]] = best;
        }
}

/* res[i] = min(res[i], k) on the ball of every voxel of @p list (the
 * seeds of level k, raster order) in the z slab [z0, z1). */
static void intrusion_paint(const uint32_t *list, size_t cnt, uint8_t k,
                            const int rad[3], const int *w,
                            const size_t dims[3], size_t z0, size_t z1,
                            uint8_t *res)
{
    const size_t nx = dims[0], ny = dims[1], plane = nx * ny;
    /* the seeds whose ball meets the slab: z in [z0 - rz, z1 + rz) */
    const size_t zlo = z0 > (size_t)rad[2] ? z0 - (size_t)rad[2] : 0;
    size_t lo = 0, hi = cnt;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (list[mid] / plane < zlo)
            lo = mid + 1;
        else
            hi = mid;
    }
    const ptrdiff_t wy = 2 * rad[1] + 1;
    for (size_t t = lo; t < cnt; t++) {
        const size_t i = list[t];
        const ptrdiff_t x = (ptrdiff_t)(i % nx), y = (ptrdiff_t)(i / nx % ny),
                        z = (ptrdiff_t)(i / plane);
        if (z - rad[2] >= (ptrdiff_t)z1)
            break;
        ptrdiff_t za = z - rad[2], zb = z + rad[2];
        if (za < (ptrdiff_t)z0)
            za = (ptrdiff_t)z0;
        if (zb >= (ptrdiff_t)z1)
            zb = (ptrdiff_t)z1 - 1;
        ptrdiff_t ya = y - rad[1], yb = y + rad[1];
        if (ya < 0)
            ya = 0;
        if (yb >= (ptrdiff_t)ny)
            yb = (ptrdiff_t)ny - 1;
        for (ptrdiff_t zz = za; zz <= zb; zz++) {
            const int *wr = w + (zz - z + rad[2]) * wy + rad[1] - y;
            for (ptrdiff_t yy = ya; yy <= yb; yy++) {
                const ptrdiff_t h = wr[yy];
                if (h < 0)
                    continue;
                const ptrdiff_t xa = x - h < 0 ? 0 : x - h;
                const ptrdiff_t xb =
                    x + h >= (ptrdiff_t)nx ? (ptrdiff_t)nx - 1 : x + h;
                uint8_t *row = res + ((size_t)zz * ny + (size_t)yy) * nx;
                for (ptrdiff_t xx = xa; xx <= xb; xx++)
                    row[xx] = row[xx] < k ? row[xx] : k;
            }
        }
    }
}

/* The curve in one pass over the levels.  PoreSpy's definition (one EDT
 * per radius): intruded at level k = voxels closer than r_k to S_k, the
 * seeds of level k (acc <= k).  Equivalently res[i] = the smallest acc[s]
 * over the seeds s whose own ball B(s, r_acc[s]) holds i (a seed of an
 * earlier level has a larger ball, which holds its ball of r_k), and only
 * the balls of seeds with a 6-neighbour of a later level (or none) are
 * needed: the seed of S_k nearest to a voxel outside S_k has such a
 * neighbour (a step along the largest offset towards the voxel brings
 * any other seed closer, in the EDT's arithmetic too), and that
 * neighbour is not in S_k.  Seeds themselves get their own level.
 * Exact (the same voxels as the per-radius EDTs); the painting is split
 * into z slabs (one writer per voxel; min does not depend on the order). */
static fib_status intrusion_curve(const float *dist, const uint8_t *inlet,
                                  const size_t dims[3], const double sp[3],
                                  fib_intrusion_result *out,
                                  const fib_progress *progress, fib_error *err)
{
    const size_t nx = dims[0], ny = dims[1], nz = dims[2], n = nx * ny * nz;
    const size_t nlev = out->n_sizes, np = out->phase_voxels;
    uint8_t *own = malloc(n), *acc = malloc(n);
    uint32_t *q = malloc((np + 1) * sizeof *q);
    uint32_t *pend = malloc((np + 1) * sizeof *pend);
    int *w = NULL;
    fib_status st = FIB_OK;
    if (!own || !acc || !q || !pend)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    float rf[FIB_INTRUSION_MAX_SIZES];
    int maxr = 1;
    for (size_t k = 0; k < nlev; k++) {
        rf[k] = (float)out->radius_nm[k];
        int rad[3];
        ball_extent(out->radius_nm[k], sp, dims, rad);
        for (int a = 1; a < 3; a++)
            maxr = rad[a] > maxr ? rad[a] : maxr;
    }
    if (st == FIB_OK)
        st = fib_progress_report(progress, "intrusion", 0, 3, err);
    if (st == FIB_OK) {
        /* own level: radii descend, so the first k with dist >= r_k */
        for (size_t i = 0; i < n; i++) {
            uint8_t l = INTR_NONE;
            if (!(dist[i] < rf[nlev - 1])) {
                size_t lo = 0, hi = nlev - 1; /* dist >= rf[hi] */
                while (lo < hi) {
                    const size_t mid = (lo + hi) / 2;
                    if (dist[i] >= rf[mid])
                        hi = mid;
                    else
                        lo = mid + 1;
                }
                l = (uint8_t)lo;
            }
            own[i] = l;
        }
        intrusion_access(own, inlet, dims, nlev, acc, q, pend);
        st = fib_progress_report(progress, "intrusion", 1, 3, err);
    }
    /* boundary seeds by level (counting sort, raster order kept) */
    size_t off[FIB_INTRUSION_MAX_SIZES + 1] = {0};
    if (st == FIB_OK) {
        const size_t step[3] = {1, nx, nx * ny};
        uint8_t *isb = own; /* own is no longer needed */
        for (size_t i = 0; i < n; i++) {
            const uint8_t l = acc[i];
            bool b = false;
            if (l != INTR_NONE) {
                const size_t c[3] = {i % nx, (i / nx) % ny, i / (nx * ny)};
                for (int a = 0; a < 3 && !b; a++) {
                    b |= c[a] > 0 && acc[i - step[a]] > l;
                    b |= c[a] + 1 < dims[a] && acc[i + step[a]] > l;
                }
            }
            isb[i] = b;
            if (b)
                off[l + 1]++;
        }
        for (size_t k = 0; k < nlev; k++)
            off[k + 1] += off[k];
        size_t fill[FIB_INTRUSION_MAX_SIZES] = {0};
        for (size_t i = 0; i < n; i++)
            if (isb[i])
                q[off[acc[i]] + fill[acc[i]]++] = (uint32_t)i;
        const size_t wn = (size_t)(2 * maxr + 1) * (size_t)(2 * maxr + 1);
        w = malloc(nlev * wn * sizeof *w);
        if (!w)
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    if (st == FIB_OK) {
        const size_t wn = (size_t)(2 * maxr + 1) * (size_t)(2 * maxr + 1);
        int rad[FIB_INTRUSION_MAX_SIZES][3];
        for (size_t k = 0; k < nlev; k++)
            intrusion_ball(out->radius_nm[k], sp, dims, rad[k], w + k * wn);
        uint8_t *res = acc; /* seeds: their own level */
        enum { SLAB = 4 };
        const ptrdiff_t nslab = (ptrdiff_t)((nz + SLAB - 1) / SLAB);
#pragma omp parallel for schedule(dynamic, 1)
        for (ptrdiff_t s = 0; s < nslab; s++) {
            const size_t z0 = (size_t)s * SLAB;
            const size_t z1 = z0 + SLAB < nz ? z0 + SLAB : nz;
            for (size_t k = 0; k < nlev; k++)
                intrusion_paint(q + off[k], off[k + 1] - off[k], (uint8_t)k,
                                rad[k], w + k * wn, dims, z0, z1, res);
        }
        st = fib_progress_report(progress, "intrusion", 2, 3, err);
    }
    if (st == FIB_OK) {
        size_t cnt[FIB_INTRUSION_MAX_SIZES] = {0}, reached = 0;
        for (size_t i = 0; i < n; i++)
            if (acc[i] != INTR_NONE)
                cnt[acc[i]]++;
        for (size_t k = 0; k < nlev; k++) {
            reached += cnt[k];
            out->fraction[k] = np ? (double)reached / (double)np : (double)NAN;
            out->pressure_MPa[k] =
                fib_recon_washburn_pressure_MPa(out->radius_nm[k]);
        }
        out->intruded_voxels = reached;
    }
    free(own);
    free(acc);
    free(q);
    free(pend);
    free(w);
    return st;
}

fib_status fib_recon_intrusion(const fib_volume *labels, uint32_t value,
                               int axis, size_t n_sizes, const double *radii_nm,
                               fib_intrusion_result *out,
                               const fib_progress *progress, fib_error *err)
{
    memset(out, 0, sizeof *out);
    fib_status st = check_labels(labels, err);
    if (st)
        return st;
    if (axis < -1 || axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: intrusion axis must be -1..2 (got %d)",
                             axis);
    if (!n_sizes && !radii_nm)
        n_sizes = 25;
    if (n_sizes < 1 || n_sizes > FIB_INTRUSION_MAX_SIZES)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: intrusion needs 1..%d radii (got %zu)",
                             FIB_INTRUSION_MAX_SIZES, n_sizes);
    const size_t dims[3] = {labels->nx, labels->ny, labels->nz};
    const size_t n = dims[0] * dims[1] * dims[2];
    double sp[3];
    fib__vol_spacing(labels, sp);
    fib_volume mask = {0}, dist = {0};
    uint8_t *inlet = malloc(n);
    if (!inlet)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    st = intrusion_setup(labels, value, axis, &mask, &dist, inlet,
                         &out->phase_voxels, err);
    fib_volume_clear(&mask);
    double rmax = 0, rmin = fmin(sp[0], fmin(sp[1], sp[2]));
    if (st == FIB_OK) {
        const float *d = dist.data;
        for (size_t i = 0; i < n; i++)
            if (isfinite(d[i]) && (double)d[i] > rmax)
                rmax = (double)d[i];
        out->n_sizes = n_sizes;
        st =
            intrusion_radii(radii_nm, n_sizes, rmax, rmin, out->radius_nm, err);
    }
    if (st == FIB_OK)
        st = intrusion_curve(dist.data, inlet, dims, sp, out, progress, err);
    free(inlet);
    fib_volume_clear(&dist);
    return st;
}

/* ---- particle sizes ------------------------------------------------------
 */

static int cmp_asc(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Mean, median and the volume-weighted D10/D50/D90 of out's diameters. */
static fib_status particle_summary(fib_particle_sizes *out, fib_error *err)
{
    const size_t n = out->n;
    out->mean_nm = out->median_nm = out->d10_nm = out->d50_nm = out->d90_nm =
        (double)NAN;
    if (!n)
        return FIB_OK;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    double sum = 0, vol = 0;
    for (size_t k = 0; k < n; k++) {
        d[k] = out->eq_diameter_nm[k];
        sum += d[k];
        vol += d[k] * d[k] * d[k];
    }
    qsort(d, n, sizeof *d, cmp_asc);
    out->mean_nm = sum / (double)n;
    out->median_nm = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
    /* volume ~ d^3: first diameter whose cumulative volume reaches q */
    const double q[3] = {0.1, 0.5, 0.9};
    double *dq[3] = {&out->d10_nm, &out->d50_nm, &out->d90_nm};
    double cum = 0;
    size_t qi = 0;
    for (size_t k = 0; k < n && qi < 3; k++) {
        cum += d[k] * d[k] * d[k];
        while (qi < 3 && cum >= q[qi] * vol)
            *dq[qi++] = d[k];
    }
    while (qi < 3)
        *dq[qi++] = d[n - 1];
    free(d);
    return FIB_OK;
}

/* Sort @p n uint32 keys ascending (LSD radix, 4 passes of 8 bits);
 * @p tmp: n entries of scratch. */
static void psd_radix(uint32_t *key, uint32_t *tmp, size_t n)
{
    for (int pass = 0; pass < 4; pass++) {
        size_t cnt[257] = {0};
        const int sh = 8 * pass;
        for (size_t i = 0; i < n; i++)
            cnt[((key[i] >> sh) & 255u) + 1]++;
        for (int b = 0; b < 256; b++)
            cnt[b + 1] += cnt[b];
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(key[i] >> sh) & 255u]++] = key[i];
        memcpy(key, tmp, n * sizeof *key);
    }
}

/* Level of each mask voxel: the rank of its EDT among the distinct EDT
 * values of the mask (positive floats order as their bits).  @p lev: n
 * entries; *nlev levels; @p cnt_out: malloc'ed voxels per level. */
static fib_status psd_levels(const float *edt, const uint8_t *mask, size_t n,
                             uint32_t *lev, size_t *nlev, size_t **cnt_out,
                             fib_error *err)
{
    size_t nm = 0;
    for (size_t i = 0; i < n; i++)
        nm += mask[i] != 0;
    uint32_t *key = malloc((nm ? nm : 1) * sizeof *key);
    uint32_t *tmp = malloc((nm ? nm : 1) * sizeof *tmp);
    if (!key || !tmp) {
        free(key);
        free(tmp);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i])
            memcpy(&key[k++], &edt[i], sizeof *key);
    psd_radix(key, tmp, nm);
    size_t u = 0;
    for (size_t i = 0; i < nm; i++)
        if (!u || key[i] != key[u - 1])
            key[u++] = key[i];
    size_t *cnt = calloc(u ? u : 1, sizeof *cnt);
    if (!cnt) {
        free(key);
        free(tmp);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (!mask[i])
            continue;
        uint32_t b;
        memcpy(&b, &edt[i], sizeof b);
        size_t lo = 0, hi = u; /* key[lo] <= b < key[hi] */
        while (hi - lo > 1) {
            const size_t mid = (lo + hi) / 2;
            if (key[mid] <= b)
                lo = mid;
            else
                hi = mid;
        }
        lev[i] = (uint32_t)lo;
        cnt[lo]++;
    }
    free(key);
    free(tmp);
    *nlev = u;
    *cnt_out = cnt;
    return FIB_OK;
}

/* Meyer's flooding (Meyer, Signal Process. 38:113, 1994) of -EDT from
 * the labelled marker voxels of @p lab over the mask voxels, 26-connected,
 * as skimage.segmentation.watershed: a popped voxel labels its unlabelled
 * mask neighbours with its own label and queues them; the highest EDT
 * level is popped first, ties first in, first out (a hierarchical queue
 * of one FIFO per distinct EDT value: the same order as skimage's heap
 * ordered by value and age).  Every voxel is queued at most once. */
static fib_status psd_flood(const float *edt, const uint8_t *mask,
                            uint32_t *lab, const size_t dims[3], fib_error *err)
{
    const size_t nx = dims[0], ny = dims[1], nz = dims[2], n = nx * ny * nz;
    uint32_t *lev = malloc(n * sizeof *lev);
    size_t *cnt = NULL, nlev = 0;
    fib_status st = lev ? psd_levels(edt, mask, n, lev, &nlev, &cnt, err)
                        : fib_error_set(err, FIB_ENOMEM, "recon: oom");
    size_t *head = NULL, *tail = NULL;
    uint32_t *q = NULL;
    uint64_t *busy = NULL;
    if (st == FIB_OK) {
        head = malloc((nlev + 1) * sizeof *head);
        tail = malloc((nlev + 1) * sizeof *tail);
        q = malloc(n * sizeof *q);
        busy = calloc((n + 63) / 64, sizeof *busy);
        if (!head || !tail || !q || !busy)
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    if (st == FIB_OK) {
        size_t off = 0;
        for (size_t l = 0; l < nlev; l++) {
            head[l] = tail[l] = off;
            off += cnt[l];
        }
        ptrdiff_t cur = -1;
        /* bit i: voxel i outside or labelled (lab[i] != 0): the test of
           the 26 neighbours stays in cache */
        for (size_t i = 0; i < n; i++)
            if (!mask[i] || lab[i])
                busy[i >> 6] |= 1ull << (i & 63);
        for (size_t i = 0; i < n; i++)
            if (lab[i] && mask[i]) {
                q[tail[lev[i]]++] = (uint32_t)i;
                if ((ptrdiff_t)lev[i] > cur)
                    cur = (ptrdiff_t)lev[i];
            }
        ptrdiff_t nbo[26];
        fib__n26_offsets(nx, ny, nbo);
        while (cur >= 0) {
            if (head[cur] == tail[cur]) {
                cur--;
                continue;
            }
            const size_t i = q[head[cur]++];
            const size_t x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
            const bool inner = x > 0 && y > 0 && z > 0 && x + 1 < nx &&
                               y + 1 < ny && z + 1 < nz;
            for (int k = 0; k < 26; k++) {
                size_t j;
                if (inner)
                    j = (size_t)((ptrdiff_t)i + nbo[k]);
                else if (!fib__n26_index(x, y, z, nx, ny, nz, k, &j))
                    continue;
                if (!(busy[j >> 6] >> (j & 63) & 1)) {
                    busy[j >> 6] |= 1ull << (j & 63);
                    lab[j] = lab[i];
                    q[tail[lev[j]]++] = (uint32_t)j;
                    if ((ptrdiff_t)lev[j] > cur)
                        cur = (ptrdiff_t)lev[j];
                }
            }
        }
    }
    free(busy);
    free(lev);
    free(cnt);
    free(head);
    free(tail);
    free(q);
    return st;
}

/* Markers: the highest-EDT voxel (first in raster order on ties) of each
 * of the @p nb basins in @p ws, which keeps only them. */
static fib_status psd_markers(const float *edt, uint32_t *ws, size_t n,
                              size_t nb, fib_error *err)
{
    uint32_t *peak = malloc((nb + 1) * sizeof *peak);
    if (!peak)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t k = 0; k <= nb; k++)
        peak[k] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        const uint32_t b = ws[i];
        if (b && (peak[b] == UINT32_MAX || edt[i] > edt[peak[b]]))
            peak[b] = (uint32_t)i;
    }
    memset(ws, 0, n * sizeof *ws);
    for (size_t k = 1; k <= nb; k++)
        if (peak[k] != UINT32_MAX)
            ws[peak[k]] = (uint32_t)k;
    free(peak);
    return FIB_OK;
}

/* Basins of the phase mask: h-dynamics markers, then the flood. */
static fib_status psd_split(const fib_volume *mask, double h_nm, fib_volume *ws,
                            size_t *nb, fib_error *err)
{
    fib_volume edt = {0};
    const size_t dims[3] = {mask->nx, mask->ny, mask->nz};
    fib_status st = fib_recon_edt(mask, &edt, err);
    if (st == FIB_OK)
        st = fib__recon_watershed_edt(mask, &edt, h_nm, ws, nb, err);
    if (st == FIB_OK)
        st = psd_markers(edt.data, ws->data, fib__vol_count(mask), *nb, err);
    if (st == FIB_OK)
        st = psd_flood(edt.data, mask->data, ws->data, dims, err);
    fib_volume_clear(&edt);
    return st;
}

fib_status fib_recon_particle_sizes(const fib_volume *labels, uint32_t value,
                                    double h_nm, fib_particle_sizes *out,
                                    fib_error *err)
{
    memset(out, 0, sizeof *out);
    fib_status st = check_labels(labels, err);
    if (st)
        return st;
    const size_t n = fib__vol_count(labels);
    double sp[3];
    fib__vol_spacing(labels, sp);
    if (h_nm < 0)
        h_nm = fmin(sp[0], fmin(sp[1], sp[2]));
    out->h_nm = h_nm;
    fib_volume mask = {0}, ws = {0};
    st = fib_volume_init(&mask, FIB_PX_U8, labels->nx, labels->ny, labels->nz,
                         err);
    if (st)
        return st;
    memcpy(mask.voxel_size_nm, sp, sizeof sp);
    uint8_t *m = mask.data;
    for (size_t i = 0; i < n; i++)
        m[i] = fib_volume_label_at(labels, i) == value;
    size_t nb = 0;
    st = psd_split(&mask, h_nm, &ws, &nb, err);
    fib_volume_clear(&mask);
    if (st == FIB_OK) {
        out->n = nb;
        out->n_voxels = calloc(nb ? nb : 1, sizeof *out->n_voxels);
        out->eq_diameter_nm = malloc((nb ? nb : 1) * sizeof(double));
        if (!out->n_voxels || !out->eq_diameter_nm)
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    if (st == FIB_OK) {
        const uint32_t *w = ws.data;
        for (size_t i = 0; i < n; i++)
            if (w[i])
                out->n_voxels[w[i] - 1]++;
        const double vvox = sp[0] * sp[1] * sp[2];
        for (size_t k = 0; k < nb; k++)
            out->eq_diameter_nm[k] =
                cbrt(6.0 * (double)out->n_voxels[k] * vvox / M_PI);
        st = particle_summary(out, err);
    }
    fib_volume_clear(&ws);
    if (st)
        fib_particle_sizes_clear(out);
    return st;
}

void fib_particle_sizes_clear(fib_particle_sizes *p)
{
    if (!p)
        return;
    free(p->eq_diameter_nm);
    free(p->n_voxels);
    memset(p, 0, sizeof *p);
}

/* ---- contact areas -------------------------------------------------------
 */

/* Index of @p v in the list, or -1. */
static int contact_index(const uint32_t *values, size_t n, uint32_t v)
{
    for (size_t k = 0; k < n; k++)
        if (values[k] == v)
            return (int)k;
    return -1;
}

fib_status fib_recon_contact_areas(const fib_volume *labels,
                                   const uint32_t *values, size_t n,
                                   fib_contact_result *out, fib_error *err)
{
    memset(out, 0, sizeof *out);
    fib_status st = check_labels(labels, err);
    if (st)
        return st;
    if (n < 1 || n > FIB_CONTACT_MAX_LABELS)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: contact areas need 1..%d labels (got %zu)",
                             FIB_CONTACT_MAX_LABELS, n);
    const size_t nx = labels->nx, ny = labels->ny, nz = labels->nz;
    const size_t nv = nx * ny * nz;
    int8_t *idx = malloc(nv);
    if (!idx)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t i = 0; i < nv; i++)
        idx[i] =
            (int8_t)contact_index(values, n, fib_volume_label_at(labels, i));
    /* faces per axis: cnt[a][i][j] */
    size_t(*cnt)[FIB_CONTACT_MAX_LABELS][FIB_CONTACT_MAX_LABELS] =
        calloc(3, sizeof *cnt);
    if (!cnt) {
        free(idx);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    const size_t step[3] = {1, nx, nx * ny};
    for (size_t i = 0; i < nv; i++) {
        const int a0 = idx[i];
        if (a0 < 0)
            continue;
        const size_t c[3] = {i % nx, (i / nx) % ny, i / (nx * ny)};
        const size_t d[3] = {nx, ny, nz};
        for (int a = 0; a < 3; a++) {
            if (c[a] + 1 == d[a])
                continue;
            const int b0 = idx[i + step[a]];
            if (b0 >= 0 && b0 != a0)
                cnt[a][a0][b0]++;
        }
    }
    double sp[3];
    fib__vol_spacing(labels, sp);
    const double face_um2[3] = {sp[1] * sp[2] * 1e-6, sp[0] * sp[2] * 1e-6,
                                sp[0] * sp[1] * 1e-6};
    out->n = n;
    memcpy(out->label, values, n * sizeof *values);
    for (size_t p = 0; p < n; p++)
        for (size_t q = 0; q < n; q++) {
            double area = 0;
            size_t faces = 0;
            for (int a = 0; a < 3; a++) {
                faces += cnt[a][p][q] + cnt[a][q][p];
                area += (double)(cnt[a][p][q] + cnt[a][q][p]) * face_um2[a];
            }
            out->faces[p][q] = p == q ? 0 : faces;
            out->face_area_um2[p][q] = p == q ? 0 : area;
            out->isotropic_area_um2[p][q] = p == q ? 0 : area * 2.0 / 3.0;
        }
    free(cnt);
    free(idx);
    return FIB_OK;
}
