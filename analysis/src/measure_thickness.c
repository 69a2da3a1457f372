/*
 * measure_thickness.c -- local thickness (Hildebrand & Ruegsegger 1997),
 * value distributions, deposit height maps and coating thickness /
 * coverage on particle surfaces.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/mesh.h"
#include "fib/segment.h"
#include "analysis_internal.h"

typedef struct ridge {
    float r; /* ball radius, nm */
    uint32_t x, y, z;
} ridge;

static inline double dmax(double a, double b)
{
    return a > b ? a : b;
}

static inline double dmin(double a, double b)
{
    return a < b ? a : b;
}

/* Ridge of the distance map: the phase voxels whose inscribed ball (radius
 * d) is not inside a neighbour's ball; into *out (malloc'd), count *nr. */
static fib_status ridge_list(const uint8_t *m, const float *d,
                             const size_t dims[3], const double sp[3],
                             size_t z0, size_t z1, ridge **out, size_t *nr_out,
                             fib_error *err)
{
    const size_t nx = dims[0], ny = dims[1], nz = dims[2];
    size_t nr = 0, cap = 1024;
    ridge *rl = malloc(sizeof *rl * cap);
    *out = NULL;
    *nr_out = 0;
    if (!rl)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    double step[26];
    ptrdiff_t off[26];
    for (int k = 0; k < 26; k++)
        step[k] =
            fib__step_len(sp, fib__n26[k][0], fib__n26[k][1], fib__n26[k][2]);
    fib__n26_offsets(nx, ny, off);
    for (size_t z = z0; z < z1; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                size_t i = (z * ny + y) * nx + x;
                if (!m[i])
                    continue;
                const bool inner = x > 0 && y > 0 && z > 0 && x + 1 < nx &&
                                   y + 1 < ny && z + 1 < nz;
                double r = (double)d[i];
                bool covered = false;
                for (int k = 0; k < 26; k++) {
                    size_t j;
                    if (inner)
                        j = (size_t)((ptrdiff_t)i + off[k]);
                    else if (!fib__n26_index(x, y, z, nx, ny, nz, k, &j))
                        continue;
                    if (!m[j])
                        continue;
                    if ((double)d[j] - step[k] >= r) {
                        covered = true;
                        break;
                    }
                }
                if (covered)
                    continue;
                if (nr == cap) {
                    ridge *t = realloc(rl, sizeof *rl * cap * 2);
                    if (!t) {
                        free(rl);
                        return fib_error_set(err, FIB_ENOMEM,
                                             "recon: out of memory");
                    }
                    rl = t;
                    cap *= 2;
                }
                rl[nr].r = d[i];
                rl[nr].x = (uint32_t)x;
                rl[nr].y = (uint32_t)y;
                rl[nr].z = (uint32_t)z;
                nr++;
            }
    *out = rl;
    *nr_out = nr;
    return FIB_OK;
}

/* Paint the balls of the ridge list (raster order of the centres) into
 * the z slab [z0, z1) of @p t: each voxel keeps the largest diameter
 * covering it (a maximum: the order of the balls does not matter).
 * @p rzmax: the largest ball half-extent along z in voxels.  Inside the
 * ball: dx^2 + dy^2 + dz^2 < r^2 (nm, double), which is a run of x
 * symmetric about the centre in each row (dx^2 grows with abs(x - cx)):
 * its half-width from the square root, then checked with that exact test
 * at both ends. */
static void paint_slab(float *t, const ridge *rl, size_t nr, size_t z0,
                       size_t z1, double rzmax, const size_t dims[3],
                       const double sp[3])
{
    const size_t nx = dims[0], ny = dims[1];
    /* first centre with z >= z0 - rzmax */
    const double zlo = (double)z0 - rzmax - 1;
    size_t lo = 0, hi = nr;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if ((double)rl[mid].z < zlo)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < nr; k++) {
        if ((double)rl[k].z > (double)z1 + rzmax + 1)
            break;
        double r = (double)rl[k].r;
        if (!(r > 0))
            continue;
        double cz = rl[k].z, cy = rl[k].y, cx = rl[k].x;
        double rz = r / sp[2], ry = r / sp[1], rx = r / sp[0];
        double za = dmax(ceil(cz - rz), (double)z0),
               zb = dmin(floor(cz + rz), (double)z1 - 1);
        if (za > zb)
            continue;
        float diam = (float)(2.0 * r);
        double r2 = r * r;
        const double ya = dmax(ceil(cy - ry), 0),
                     yb = dmin(floor(cy + ry), (double)ny - 1);
        const double xa = dmax(ceil(cx - rx), 0),
                     xb = dmin(floor(cx + rx), (double)nx - 1);
        for (ptrdiff_t z = (ptrdiff_t)za; z <= (ptrdiff_t)zb; z++) {
            double dz2 = ((double)z - cz) * sp[2];
            dz2 *= dz2;
            for (ptrdiff_t y = (ptrdiff_t)ya; y <= (ptrdiff_t)yb; y++) {
                double dy2 = ((double)y - cy) * sp[1];
                dy2 = dy2 * dy2 + dz2;
                if (dy2 > r2)
                    continue;
                /* half-width h: the largest h with (h sp0)^2 + dy2 < r2 */
                /* (no run is longer than the row: h <= nx) */
                double h =
                    dmin(floor(sqrt(dmax(r2 - dy2, 0)) / sp[0]), (double)nx);
                while (h >= 0 && !((h * sp[0]) * (h * sp[0]) + dy2 < r2))
                    h -= 1;
                while (((h + 1) * sp[0]) * ((h + 1) * sp[0]) + dy2 < r2 &&
                       h + 1 <= (double)nx)
                    h += 1;
                if (h < 0)
                    continue;
                const double a = dmax(cx - h, xa), b = dmin(cx + h, xb);
                float *row = t + ((size_t)z * ny + (size_t)y) * nx;
                for (ptrdiff_t x = (ptrdiff_t)a; x <= (ptrdiff_t)b; x++)
                    row[x] = row[x] < diam ? diam : row[x];
            }
        }
    }
}

/* The radius map of @p mask (in place in @p d, the EDT): 0 outside,
 * EDT - half the smallest voxel edge inside (1e30 without background). */
static void radius_map(const uint8_t *m, float *d, size_t n, const double sp[3])
{
    double smin = sp[0] < sp[1] ? sp[0] : sp[1];
    if (sp[2] < smin)
        smin = sp[2];
    for (size_t i = 0; i < n; i++) {
        if (!m[i])
            d[i] = 0;
        else if (isinf(d[i]))
            d[i] = 1e30f;
        else
            d[i] -= (float)(0.5 * smin);
    }
}

/* Ridge of sections [r0, r1) of the radius map, balls painted into the
 * sections [p0, p1) of @p t (f32, the size of @p mask), 0 outside the
 * mask there. */
static fib_status ridge_paint(const fib_volume *mask, const float *d, size_t r0,
                              size_t r1, size_t p0, size_t p1, float *t,
                              fib_error *err)
{
    const size_t nx = mask->nx, ny = mask->ny, dims[3] = {nx, ny, mask->nz};
    const uint8_t *m = mask->data;
    double sp[3];
    fib__vol_spacing(mask, sp);
    ridge *rl = NULL;
    size_t nr = 0;
    fib_status st = ridge_list(m, d, dims, sp, r0, r1, &rl, &nr, err);
    if (st != FIB_OK)
        return st;
    double rzmax = 0; /* centres stay in raster order (see paint_slab) */
    for (size_t k = 0; k < nr; k++)
        if ((double)rl[k].r / sp[2] > rzmax)
            rzmax = (double)rl[k].r / sp[2];
    /* paint balls; z slabs are owned by one thread each (no races) */
    const int nslab = 32;
    const size_t nz = p1 - p0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int s = 0; s < nslab; s++) {
        size_t z0 = p0 + nz * (size_t)s / (size_t)nslab;
        size_t z1 = p0 + nz * (size_t)(s + 1) / (size_t)nslab;
        if (z0 == z1)
            continue;
        paint_slab(t, rl, nr, z0, z1, rzmax, dims, sp);
    }
    for (size_t i = p0 * nx * ny; i < p1 * nx * ny; i++)
        if (!m[i])
            t[i] = 0;
    free(rl);
    return FIB_OK;
}

fib_status fib_recon_local_thickness(const fib_volume *mask, fib_volume *thick,
                                     const fib_progress *progress,
                                     fib_error *err)
{
    fib_status st;
    fib_volume dist = {0};
    memset(thick, 0, sizeof *thick);
    if ((st = fib__vol_check(mask, "local thickness input", err)) != FIB_OK)
        return st;
    if (mask->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: local thickness needs a u8 mask");
    if ((st = fib_recon_edt(mask, &dist, err)) != FIB_OK)
        return st;
    const size_t nx = mask->nx, ny = mask->ny, nz = mask->nz;
    double sp[3];
    fib__vol_spacing(mask, sp);
    radius_map(mask->data, dist.data, nx * ny * nz, sp);
    st = fib_progress_report(progress, "local thickness", 1, 3, err);
    if (st == FIB_OK)
        st = fib_volume_init(thick, FIB_PX_F32, nx, ny, nz, err);
    if (st == FIB_OK) {
        memcpy(thick->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
        memcpy(thick->origin_nm, mask->origin_nm, sizeof(double) * 3);
        st = ridge_paint(mask, dist.data, 0, nz, 0, nz, thick->data, err);
    }
    fib_volume_clear(&dist);
    if (st != FIB_OK)
        fib_volume_clear(thick);
    return st;
}

/* The largest EDT of the zone [zs0, zs1) and whether the EDT of sections
 * [zs0 - 1, zs1 + 1) is exact: within its distance to a cut face (the
 * background beyond a cut is at least that far). */
static bool zone_exact(const fib_volume *mask, const float *e, size_t zs0,
                       size_t zs1, bool cut_below, bool cut_above, double sp_z,
                       double *max_edt)
{
    const size_t plane = mask->nx * mask->ny, nz = mask->nz;
    const uint8_t *m = mask->data;
    const size_t a = zs0 > 0 ? zs0 - 1 : 0, b = zs1 < nz ? zs1 + 1 : nz;
    bool exact = true;
    *max_edt = 0;
    for (size_t z = a; z < b; z++) {
        const double lim_lo = cut_below ? (double)(z + 1) * sp_z : HUGE_VAL;
        const double lim_hi = cut_above ? (double)(nz - z) * sp_z : HUGE_VAL;
        const double lim = lim_lo < lim_hi ? lim_lo : lim_hi;
        const bool in_zone = z >= zs0 && z < zs1;
        for (size_t i = z * plane; i < (z + 1) * plane; i++) {
            if (!m[i])
                continue;
            const double v = (double)e[i];
            if (!(v <= lim))
                exact = false;
            if (in_zone && v > *max_edt)
                *max_edt = v;
        }
    }
    return exact;
}

fib_status fib_recon_local_thickness_part(const fib_volume *mask,
                                          size_t z_begin, size_t z_end,
                                          bool cut_below, bool cut_above,
                                          fib_volume *thick,
                                          size_t *halo_needed, fib_error *err)
{
    fib_status st;
    memset(thick, 0, sizeof *thick);
    *halo_needed = 0;
    if ((st = fib__vol_check(mask, "local thickness input", err)) != FIB_OK)
        return st;
    const size_t nx = mask->nx, ny = mask->ny, nz = mask->nz;
    if (mask->type != FIB_PX_U8 || z_begin >= z_end || z_end > nz)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: local thickness part needs a u8 mask and "
                             "owned sections inside it (got %zu..%zu of %zu)",
                             z_begin, z_end, nz);
    double sp[3];
    fib__vol_spacing(mask, sp);
    /* the zone of ball centres: half of the halo on each cut side */
    const size_t lo = cut_below ? z_begin : SIZE_MAX,
                 hi = cut_above ? nz - z_end : SIZE_MAX;
    const size_t g = (lo < hi ? lo : hi) / 2;
    const size_t zs0 = cut_below ? z_begin - g : 0;
    const size_t zs1 = cut_above ? z_end + g : nz;
    fib_volume dist = {0};
    if ((st = fib_recon_edt(mask, &dist, err)) != FIB_OK)
        return st;
    double emax = 0;
    const bool exact = zone_exact(mask, dist.data, zs0, zs1, cut_below,
                                  cut_above, sp[2], &emax);
    /* a ball centred beyond the zone reaches the owned sections only if
     * some zone voxel g - 1 sections out has EDT above (g - 1) sp_z (the
     * EDT is 1-Lipschitz), give or take a voxel diagonal */
    const double diag = sqrt(sp[0] * sp[0] + sp[1] * sp[1] + sp[2] * sp[2]);
    const bool whole = !cut_below && !cut_above;
    if (!whole && (!exact || !(emax + diag < ((double)g - 1) * sp[2]))) {
        size_t need = (size_t)ceil((emax + diag) / sp[2]) + 2;
        if (!isfinite(emax) || emax > 1e9 * sp[2])
            need = SIZE_MAX / 4;
        *halo_needed = 2 * (need > g ? need : 2 * g + 2);
        fib_volume_clear(&dist);
        return fib_error_set(err, FIB_ERANGE,
                             "recon: local thickness needs %zu halo sections "
                             "(has %zu)",
                             *halo_needed, 2 * g);
    }
    radius_map(mask->data, dist.data, nx * ny * nz, sp);
    fib_volume t = {0};
    st = fib_volume_init(&t, FIB_PX_F32, nx, ny, nz, err);
    if (st == FIB_OK)
        st =
            ridge_paint(mask, dist.data, zs0, zs1, z_begin, z_end, t.data, err);
    fib_volume_clear(&dist);
    if (st == FIB_OK)
        st = fib_volume_init(thick, FIB_PX_F32, nx, ny, z_end - z_begin, err);
    if (st == FIB_OK) {
        memcpy(thick->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
        memcpy(thick->data, (float *)t.data + z_begin * nx * ny,
               sizeof(float) * nx * ny * (z_end - z_begin));
    }
    fib_volume_clear(&t);
    return st;
}

/* Sort @p n finite floats ascending: LSD radix sort (4 passes of 8 bits)
 * of the bits mapped to an unsigned order (sign bit flipped for
 * non-negative values, all bits for negative ones); equal values stay
 * equal, so the sorted values are qsort's.  @p tmp: n of scratch. */
static void float_sort(float *v, float *tmp, size_t n)
{
    uint32_t *k = (uint32_t *)(void *)v, *t = (uint32_t *)(void *)tmp;
    for (size_t i = 0; i < n; i++)
        k[i] = k[i] >> 31 ? ~k[i] : k[i] | 0x80000000u;
    for (int pass = 0; pass < 4; pass++) {
        size_t cnt[257] = {0};
        const int sh = 8 * pass;
        for (size_t i = 0; i < n; i++)
            cnt[((k[i] >> sh) & 255u) + 1]++;
        for (int c = 0; c < 256; c++)
            cnt[c + 1] += cnt[c];
        for (size_t i = 0; i < n; i++)
            t[cnt[(k[i] >> sh) & 255u]++] = k[i];
        memcpy(k, t, n * sizeof *k);
    }
    for (size_t i = 0; i < n; i++)
        k[i] = k[i] >> 31 ? k[i] & 0x7fffffffu : ~k[i];
}

fib_status fib_recon_distribution(const fib_volume *vol, const fib_volume *mask,
                                  size_t n_bins, fib_distribution *out,
                                  fib_error *err)
{
    fib_status st;
    memset(out, 0, sizeof *out);
    if ((st = fib__vol_check(vol, "distribution input", err)) != FIB_OK)
        return st;
    if (vol->type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: distribution needs an f32 volume");
    if (n_bins < 1 || n_bins > 64)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: histogram bins must be 1..64 (got %zu)",
                             n_bins);
    size_t n = fib__vol_count(vol), c = 0;
    const float *v = vol->data;
    const uint8_t *mk = mask ? mask->data : NULL;
    float *vals = malloc(sizeof(float) * (n ? n : 1));
    if (!vals)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t i = 0; i < n; i++) {
        bool use = mk ? mk[i] != 0 : v[i] > 0;
        if (use && isfinite(v[i]))
            vals[c++] = v[i];
    }
    out->count = c;
    out->n_bins = n_bins;
    if (c == 0) {
        out->mean = out->median = out->std = out->min = out->max = NAN;
        free(vals);
        return FIB_OK;
    }
    float *tmp = malloc(sizeof(float) * c);
    if (!tmp) {
        free(vals);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    float_sort(vals, tmp, c);
    free(tmp);
    double s = 0, s2 = 0;
    for (size_t i = 0; i < c; i++) {
        s += (double)vals[i];
        s2 += (double)vals[i] * (double)vals[i];
    }
    out->mean = s / (double)c;
    double var = s2 / (double)c - out->mean * out->mean;
    out->std = sqrt(var > 0 ? var : 0);
    out->min = (double)vals[0];
    out->max = (double)vals[c - 1];
    out->median = c % 2 ? (double)vals[c / 2]
                        : 0.5 * ((double)vals[c / 2 - 1] + (double)vals[c / 2]);
    double lo = out->min, hi = out->max;
    if (!(hi > lo))
        hi = lo + 1;
    for (size_t b = 0; b <= n_bins; b++)
        out->bin_edges[b] = lo + (hi - lo) * (double)b / (double)n_bins;
    for (size_t i = 0; i < c; i++) {
        size_t b =
            (size_t)(((double)vals[i] - lo) / (hi - lo) * (double)n_bins);
        if (b >= n_bins)
            b = n_bins - 1;
        out->fraction[b] += 1.0 / (double)c;
    }
    free(vals);
    return FIB_OK;
}

fib_status fib_recon_distribution_counts(const float *values,
                                         const double *counts, size_t n,
                                         size_t n_bins, fib_distribution *out,
                                         fib_error *err)
{
    memset(out, 0, sizeof *out);
    if (n_bins < 1 || n_bins > 64)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: histogram bins must be 1..64 (got %zu)",
                             n_bins);
    double c = 0, s = 0, s2 = 0;
    for (size_t k = 0; k < n; k++) {
        if (k && !(values[k] > values[k - 1]))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: distribution values must ascend");
        c += counts[k];
        s += (double)values[k] * counts[k];
        s2 += (double)values[k] * (double)values[k] * counts[k];
    }
    out->count = (size_t)c;
    out->n_bins = n_bins;
    if (!(c > 0)) {
        out->mean = out->median = out->std = out->min = out->max = NAN;
        return FIB_OK;
    }
    out->mean = s / c;
    const double var = s2 / c - out->mean * out->mean;
    out->std = sqrt(var > 0 ? var : 0);
    out->min = (double)values[0];
    out->max = (double)values[n - 1];
    /* the median: the middle value (the mean of the two middle ones) */
    const size_t total = (size_t)c, i1 = total / 2,
                 i0 = total % 2 ? i1 : i1 - 1;
    double acc = 0, v0 = NAN, v1 = NAN;
    for (size_t k = 0; k < n && isnan(v1); k++) {
        acc += counts[k];
        if (isnan(v0) && acc > (double)i0)
            v0 = (double)values[k];
        if (acc > (double)i1)
            v1 = (double)values[k];
    }
    out->median = 0.5 * (v0 + v1);
    double lo = out->min, hi = out->max;
    if (!(hi > lo))
        hi = lo + 1;
    for (size_t b = 0; b <= n_bins; b++)
        out->bin_edges[b] = lo + (hi - lo) * (double)b / (double)n_bins;
    for (size_t k = 0; k < n; k++) {
        size_t b =
            (size_t)(((double)values[k] - lo) / (hi - lo) * (double)n_bins);
        if (b >= n_bins)
            b = n_bins - 1;
        out->fraction[b] += counts[k] / c;
    }
    return FIB_OK;
}

fib_status fib_recon_height_map(const fib_volume *mask, int face,
                                fib_image *h_map, fib_image *dense_map,
                                fib_height_stats *stats, fib_error *err)
{
    fib_status st;
    fib_image h = {0}, dn = {0};
    memset(stats, 0, sizeof *stats);
    if ((st = fib__vol_check(mask, "height map input", err)) != FIB_OK)
        return st;
    if (mask->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: height map needs a u8 mask");
    if (face < 0 || face > 5)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: substrate face must be 0..5 (got %d)",
                             face);
    int ax = face / 2;
    bool hi = face % 2;
    int b = ax == 0 ? 1 : 0, c = ax == 2 ? 1 : 2;
    size_t dims[3] = {mask->nx, mask->ny, mask->nz};
    double sp[3];
    fib__vol_spacing(mask, sp);
    if ((st = fib_image_init(&h, FIB_PX_F32, dims[b], dims[c], err)) != FIB_OK)
        return st;
    if ((st = fib_image_init(&dn, FIB_PX_F32, dims[b], dims[c], err)) !=
        FIB_OK) {
        fib_image_clear(&h);
        return st;
    }
    h.pixel_size_nm[0] = dn.pixel_size_nm[0] = sp[b];
    h.pixel_size_nm[1] = dn.pixel_size_nm[1] = sp[c];
    const uint8_t *m = mask->data;
    size_t str[3] = {1, dims[0], dims[0] * dims[1]};
    double sum = 0, sum2 = 0, mx = 0, dsum = 0;
    size_t cov = 0, ncol = dims[b] * dims[c];
    for (size_t ic = 0; ic < dims[c]; ic++)
        for (size_t ib = 0; ib < dims[b]; ib++) {
            double top = 0;
            size_t cnt = 0;
            for (size_t t = 0; t < dims[ax]; t++) {
                if (!m[ic * str[c] + ib * str[b] + t * str[ax]])
                    continue;
                cnt++;
                double d = hi ? (double)(dims[ax] - t) * sp[ax]
                              : (double)(t + 1) * sp[ax];
                if (d > top)
                    top = d;
            }
            ((float *)fib_image_row(&h, ic))[ib] = (float)top;
            ((float *)fib_image_row(&dn, ic))[ib] =
                (float)((double)cnt * sp[ax]);
            sum += top;
            sum2 += top * top;
            dsum += (double)cnt * sp[ax];
            if (top > mx)
                mx = top;
            cov += cnt > 0;
        }
    stats->mean_nm = sum / (double)ncol;
    double var = sum2 / (double)ncol - stats->mean_nm * stats->mean_nm;
    stats->std_nm = stats->rq_nm = sqrt(var > 0 ? var : 0);
    stats->max_nm = mx;
    stats->dense_mean_nm = dsum / (double)ncol;
    stats->covered_fraction = (double)cov / (double)ncol;
    double ra = 0;
    for (size_t ic = 0; ic < dims[c]; ic++)
        for (size_t ib = 0; ib < dims[b]; ib++)
            ra += fabs((double)((float *)fib_image_row(&h, ic))[ib] -
                       stats->mean_nm);
    stats->ra_nm = ra / (double)ncol;
    if (h_map)
        *h_map = h;
    else
        fib_image_clear(&h);
    if (dense_map)
        *dense_map = dn;
    else
        fib_image_clear(&dn);
    return FIB_OK;
}

fib_status fib_recon_coating(const fib_volume *labels, uint32_t particle,
                             uint32_t coating, double t_min_nm,
                             fib_coating_result *out, fib_mesh *mesh,
                             fib_error *err)
{
    fib_status st;
    fib_mesh m;
    float *nrm = NULL;
    double *varea = NULL;
    memset(out, 0, sizeof *out);
    if (mesh)
        memset(mesh, 0, sizeof *mesh);
    if (!(t_min_nm >= 0))
        return fib_error_set(
            err, FIB_EINVAL,
            "recon: coating threshold must be >= 0 nm (got %g)", t_min_nm);
    fib_mesh_opts o = {.close_border = true};
    if ((st = fib_recon_mesh_phase(labels, particle, &o, &m, err)) != FIB_OK)
        return st;
    nrm = fib_mesh_vertex_normals(&m);
    varea = calloc(m.n_vertices + 1, sizeof(double));
    m.scalar = malloc(sizeof(float) * (m.n_vertices + 1));
    if (!nrm || !varea || !m.scalar) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    for (size_t k = 0; k < m.n_triangles; k++) {
        const uint32_t *t = m.triangles + 3 * k;
        double a = fib__mesh_triangle_area(&m, k);
        for (int j = 0; j < 3; j++)
            varea[t[j]] += a / 3.0;
    }
    double sp[3], org[3];
    fib__vol_spacing(labels, sp);
    for (int a = 0; a < 3; a++)
        org[a] = isfinite(labels->origin_nm[a]) ? labels->origin_nm[a] : 0;
    double smin = sp[0] < sp[1] ? sp[0] : sp[1];
    if (sp[2] < smin)
        smin = sp[2];
    double step = 0.25 * smin;
    size_t dims[3] = {labels->nx, labels->ny, labels->nz};
    size_t maxsteps = 4 * (dims[0] + dims[1] + dims[2]);
    double atot = 0, acov = 0, tsum = 0, tcov = 0;
    for (size_t k = 0; k < m.n_vertices; k++) {
        const float *p = m.vertices + 3 * k;
        const float *nv = nrm + 3 * k;
        double last_c = -1;
        for (size_t sI = 1; sI < maxsteps; sI++) {
            double tt = step * (double)sI;
            size_t idx[3];
            bool inside = true;
            for (int a = 0; a < 3; a++) {
                double q = floor(
                    ((double)p[a] + tt * (double)nv[a] - org[a]) / sp[a] + 0.5);
                if (q < 0 || q > (double)(dims[a] - 1)) {
                    inside = false;
                    break;
                }
                idx[a] = (size_t)q;
            }
            if (!inside)
                break;
            uint32_t lab = fib_volume_label_at(
                labels, (idx[2] * dims[1] + idx[1]) * dims[0] + idx[0]);
            if (lab == particle && last_c < 0)
                continue;
            if (lab == coating) {
                last_c = tt;
                continue;
            }
            break;
        }
        double th = last_c > 0 ? last_c + 0.5 * step : 0.0;
        m.scalar[k] = (float)th;
        atot += varea[k];
        tsum += varea[k] * th;
        if (th >= t_min_nm && th > 0) {
            acov += varea[k];
            tcov += varea[k] * th;
        }
    }
    out->particle_area_um2 = atot * 1e-6;
    out->coverage = atot > 0 ? acov / atot : 0;
    out->mean_thickness_nm = atot > 0 ? tsum / atot : 0;
    out->mean_covered_nm = acov > 0 ? tcov / acov : 0;
done:
    free(nrm);
    free(varea);
    if (st == FIB_OK && mesh)
        *mesh = m;
    else
        fib_mesh_clear(&m);
    return st;
}
