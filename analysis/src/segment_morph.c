/*
 * segment_morph.c -- binary morphology with physical-unit balls, hole
 * filling, small-object removal and a marker watershed.
 *
 * Erosion and dilation by a ball of radius r are thresholds of the exact
 * Euclidean distance transform (Danielsson 1980; e.g. Soille,
 * "Morphological Image Analysis", 2nd ed., sec. 3.9): X (+) B_r =
 * {p : d(p, X) <= r} and X (-) B_r = {p : d(p, X^c) > r}.  With the
 * anisotropic EDT the ball is an ellipsoid in voxel units and the cost is
 * independent of r.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/segment.h"
#include "analysis_internal.h"

static fib_status check_mask(const fib_volume *m, fib_error *err)
{
    fib_status st = fib__vol_check(m, "mask", err);
    if (st != FIB_OK)
        return st;
    if (m->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: mask must be a u8 volume (got %s)",
                             fib_pixel_type_name(m->type));
    return FIB_OK;
}

/* One erosion (dilate = false) or dilation in place. */
static fib_status morph1(fib_volume *mask, bool dilate, double r,
                         fib_error *err)
{
    size_t n = fib__vol_count(mask);
    double sp[3];
    fib__vol_spacing(mask, sp);
    float *f = malloc(sizeof(float) * n);
    if (!f)
        return fib_error_set(err, FIB_ENOMEM,
                             "recon: out of memory for morphology (%zu voxels)",
                             n);
    uint8_t *m = mask->data;
    for (size_t i = 0; i < n; i++) {
        bool feature = dilate ? m[i] != 0 : m[i] == 0;
        f[i] = feature ? 0.0f : INFINITY;
    }
    fib_status st = fib__edt_sq(f, mask->nx, mask->ny, mask->nz, sp, err);
    if (st == FIB_OK) {
        /* compare in double: r^2 with a relative slack for rounding of the
           float squared distances */
        double r2 = r * r * (1.0 + 1e-6);
        for (size_t i = 0; i < n; i++) {
            double d2 = (double)f[i];
            if (dilate)
                m[i] = d2 <= r2;
            else
                m[i] = d2 > r2;
        }
    }
    free(f);
    return st;
}

fib_status fib_recon_morph(fib_volume *mask, fib_morph_op op, double radius_nm,
                           fib_error *err)
{
    fib_status st = check_mask(mask, err);
    if (st != FIB_OK)
        return st;
    if (!(radius_nm >= 0) || !isfinite(radius_nm))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: ball radius must be >= 0 nm (got %g)",
                             radius_nm);
    switch (op) {
    case FIB_MORPH_ERODE:
        return morph1(mask, false, radius_nm, err);
    case FIB_MORPH_DILATE:
        return morph1(mask, true, radius_nm, err);
    case FIB_MORPH_OPEN:
        st = morph1(mask, false, radius_nm, err);
        return st == FIB_OK ? morph1(mask, true, radius_nm, err) : st;
    case FIB_MORPH_CLOSE:
        st = morph1(mask, true, radius_nm, err);
        return st == FIB_OK ? morph1(mask, false, radius_nm, err) : st;
    }
    return fib_error_set(err, FIB_EINVAL, "recon: unknown morphology op %d",
                         (int)op);
}

fib_status fib_recon_fill_holes(fib_volume *mask, fib_error *err)
{
    fib_status st = check_mask(mask, err);
    fib_volume bg = {0}, lab = {0};
    uint8_t *border = NULL;
    size_t nl = 0;
    if (st != FIB_OK)
        return st;
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz, n = nx * ny * nz;
    st = fib_volume_init(&bg, FIB_PX_U8, nx, ny, nz, err);
    if (st != FIB_OK)
        goto done;
    uint8_t *m = mask->data, *b = bg.data;
    for (size_t i = 0; i < n; i++)
        b[i] = m[i] == 0;
    st = fib_recon_label(&bg, 6, &lab, &nl, err);
    if (st != FIB_OK)
        goto done;
    border = calloc(nl + 1, 1);
    if (!border) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    const uint32_t *l = lab.data;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                bool edge = x == 0 || y == 0 || z == 0 || x == nx - 1 ||
                            y == ny - 1 || z == nz - 1;
                if (!edge)
                    continue;
                border[l[(z * ny + y) * nx + x]] = 1;
            }
    for (size_t i = 0; i < n; i++)
        if (l[i] && !border[l[i]])
            m[i] = 1;
done:
    fib_volume_clear(&bg);
    fib_volume_clear(&lab);
    free(border);
    return st;
}

fib_status fib_recon_remove_small(fib_volume *mask, int connectivity,
                                  size_t min_voxels, fib_error *err)
{
    fib_status st = check_mask(mask, err);
    fib_volume lab = {0};
    size_t *count = NULL, nl = 0;
    if (st != FIB_OK)
        return st;
    st = fib_recon_label(mask, connectivity, &lab, &nl, err);
    if (st != FIB_OK)
        return st;
    count = calloc(nl + 1, sizeof *count);
    if (!count) {
        fib_volume_clear(&lab);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    size_t n = fib__vol_count(mask);
    const uint32_t *l = lab.data;
    uint8_t *m = mask->data;
    for (size_t i = 0; i < n; i++)
        count[l[i]]++;
    for (size_t i = 0; i < n; i++)
        if (l[i] && count[l[i]] < min_voxels)
            m[i] = 0;
    free(count);
    fib_volume_clear(&lab);
    return FIB_OK;
}

/* ---- watershed ---------------------------------------------------------- */

typedef struct ws_item {
    float v;
    uint32_t i;
} ws_item;

/* Sort @p n items by descending distance, ascending index on ties (the
 * items come in ascending index order): a stable LSD radix sort of the
 * complemented float bits (non-negative floats order as their bits), 4
 * passes of 8 bits.  @p tmp: n items of scratch. */
static void ws_sort(ws_item *it, ws_item *tmp, size_t n)
{
    for (int pass = 0; pass < 4; pass++) {
        size_t cnt[257] = {0};
        const int sh = 8 * pass;
        for (size_t k = 0; k < n; k++) {
            uint32_t b;
            memcpy(&b, &it[k].v, sizeof b);
            cnt[((~b >> sh) & 255u) + 1]++;
        }
        for (int c = 0; c < 256; c++)
            cnt[c + 1] += cnt[c];
        for (size_t k = 0; k < n; k++) {
            uint32_t b;
            memcpy(&b, &it[k].v, sizeof b);
            tmp[cnt[(~b >> sh) & 255u]++] = it[k];
        }
        memcpy(it, tmp, n * sizeof *it);
    }
}

static uint32_t ws_find(uint32_t *p, uint32_t i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

/* The flood of fib__recon_watershed_edt(): the @p nfg foreground voxels
 * @p items in descending distance join the basin of their first processed
 * neighbour (26-connected); two basins meeting at a voxel of distance v
 * merge when the lower peak rises at most @p h_nm above v (the dynamics
 * criterion).  @p par: union-find parents (UINT32_MAX = not yet),
 * @p peak: each root's highest distance, @p seen: processed bits. */
static void ws_flood(const ws_item *items, size_t nfg, size_t nx, size_t ny,
                     size_t nz, const ptrdiff_t off[26], uint32_t *par,
                     float *peak, uint64_t *seen, double h_nm)
{
    for (size_t t = 0; t < nfg; t++) {
        uint32_t i = items[t].i;
        float v = items[t].v;
        size_t x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
        const bool inner =
            x > 0 && y > 0 && z > 0 && x + 1 < nx && y + 1 < ny && z + 1 < nz;
        par[i] = i;
        peak[i] = v;
        seen[i >> 6] |= 1ull << (i & 63);
        uint32_t mine = i;
        bool joined = false;
        for (int nb = 0; nb < 26; nb++) {
            size_t j;
            if (inner)
                j = (size_t)((ptrdiff_t)i + off[nb]);
            else if (!fib__n26_index(x, y, z, nx, ny, nz, nb, &j))
                continue;
            if (!(seen[j >> 6] >> (j & 63) & 1))
                continue;
            uint32_t rj = ws_find(par, (uint32_t)j);
            uint32_t ri = ws_find(par, mine);
            if (ri == rj)
                continue;
            if (!joined) {
                /* first neighbour: join its basin */
                par[i] = rj;
                mine = rj;
                joined = true;
                continue;
            }
            float lowpeak = peak[ri] < peak[rj] ? peak[ri] : peak[rj];
            if ((double)lowpeak - (double)v <= h_nm) {
                /* merge: keep the higher peak's root */
                uint32_t hi = peak[ri] >= peak[rj] ? ri : rj;
                uint32_t lo = hi == ri ? rj : ri;
                par[lo] = hi;
                mine = hi;
            }
        }
    }
}

fib_status fib__recon_watershed_edt(const fib_volume *mask,
                                    const fib_volume *edt, double h_nm,
                                    fib_volume *labels, size_t *n_labels,
                                    fib_error *err)
{
    fib_status st;
    ws_item *items = NULL;
    uint32_t *par = NULL;
    float *peak = NULL;
    uint64_t *seen = NULL;
    memset(labels, 0, sizeof *labels);
    if (n_labels)
        *n_labels = 0;
    if ((st = check_mask(mask, err)) != FIB_OK)
        return st;
    if (!(h_nm >= 0))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: watershed h must be >= 0 nm (got %g)",
                             h_nm);
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz, n = nx * ny * nz;
    if (n >= UINT32_MAX)
        return fib_error_set(err, FIB_ERANGE,
                             "recon: watershed supports < 2^32 voxels");
    const float *d = edt->data;
    const uint8_t *m = mask->data;
    size_t nfg = 0;
    for (size_t i = 0; i < n; i++)
        nfg += m[i] != 0;
    items = malloc(sizeof *items * (nfg ? nfg : 1));
    par = malloc(sizeof *par * n);
    peak = malloc(sizeof *peak * n);
    if (!items || !par || !peak) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        par[i] = UINT32_MAX;
        if (m[i]) {
            items[k].v = d[i];
            items[k].i = (uint32_t)i;
            k++;
        }
    }
    {
        ws_item *tmp = malloc(sizeof *tmp * (nfg ? nfg : 1));
        if (!tmp) {
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
            goto done;
        }
        ws_sort(items, tmp, nfg);
        free(tmp);
    }
    /* flood from the highest distance down; basins whose peak rises less
       than h above the saddle where they meet a higher basin are merged
       (the dynamics criterion, equivalent to h-maxima markers) */
    /* bit i: voxel i processed (par[i] set), kept apart from par so that
       the test of the 26 neighbours stays in cache */
    ptrdiff_t off[26];
    fib__n26_offsets(nx, ny, off);
    seen = calloc((n + 63) / 64, sizeof *seen);
    if (!seen) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    ws_flood(items, nfg, nx, ny, nz, off, par, peak, seen, h_nm);
    st = fib_volume_init(labels, FIB_PX_U32, nx, ny, nz, err);
    if (st != FIB_OK)
        goto done;
    memcpy(labels->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
    memcpy(labels->origin_nm, mask->origin_nm, sizeof(double) * 3);
    uint32_t *out = labels->data;
    /* number basins by first voxel in raster order; the map reuses the
       memory of peak[] (same size as uint32_t) */
    uint32_t *map = (uint32_t *)(void *)peak;
    uint32_t next = 0;
    memset(map, 0, sizeof *map * n);
    for (size_t i = 0; i < n; i++) {
        if (par[i] == UINT32_MAX) {
            out[i] = 0;
            continue;
        }
        uint32_t r = ws_find(par, (uint32_t)i);
        if (map[r] == 0)
            map[r] = ++next;
        out[i] = map[r];
    }
    if (n_labels)
        *n_labels = next;
done:
    free(seen);
    free(items);
    free(par);
    free(peak);
    return st;
}

fib_status fib_recon_watershed(const fib_volume *mask, double h_nm,
                               fib_volume *labels, size_t *n_labels,
                               fib_error *err)
{
    fib_volume dist = {0};
    memset(labels, 0, sizeof *labels);
    if (n_labels)
        *n_labels = 0;
    fib_status st = check_mask(mask, err);
    if (st == FIB_OK)
        st = fib_recon_edt(mask, &dist, err);
    if (st == FIB_OK)
        st = fib__recon_watershed_edt(mask, &dist, h_nm, labels, n_labels, err);
    fib_volume_clear(&dist);
    return st;
}
