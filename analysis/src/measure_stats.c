/*
 * measure_stats.c -- battery microstructure statistics (issue 17):
 * triple-phase boundary density with its active fraction, chord-length
 * distributions and the two-point correlation function.  Definitions and
 * conventions: fib/measure.h and analysis/MEASURE.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "analysis_internal.h"

static fib_status check_labels(const fib_volume *v, const char *what,
                               fib_error *err)
{
    fib_status st = fib__vol_check(v, what, err);
    if (st)
        return st;
    if (v->type != FIB_PX_U8 && v->type != FIB_PX_U16 && v->type != FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: %s must be u8, u16 or u32 labels", what);
    return FIB_OK;
}

/* 1 for the voxels of @p value whose 6-connected cluster touches both
 * faces normal to @p axis (the percolating part), else 0. */
static fib_status percolating(const fib_volume *labels, uint32_t value,
                              int axis, uint8_t *out, fib_error *err)
{
    const size_t nx = labels->nx, ny = labels->ny, nz = labels->nz;
    const size_t n = nx * ny * nz;
    fib_volume m = {0}, lab = {0};
    fib_status st = fib_volume_init(&m, FIB_PX_U8, nx, ny, nz, err);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)m.data)[i] = fib_volume_label_at(labels, i) == value;
    size_t ncl = 0;
    st = fib_recon_label(&m, 6, &lab, &ncl, err);
    fib_volume_clear(&m);
    if (st)
        return st;
    uint8_t *touch = calloc(ncl + 1, 1); /* bit 0: low face, bit 1: high */
    if (!touch) {
        fib_volume_clear(&lab);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    const uint32_t *L = lab.data;
    const size_t dims[3] = {nx, ny, nz};
    for (size_t i = 0; i < n; i++) {
        if (!L[i])
            continue;
        const size_t c[3] = {i % nx, (i / nx) % ny, i / (nx * ny)};
        if (c[axis] == 0)
            touch[L[i]] |= 1;
        if (c[axis] == dims[axis] - 1)
            touch[L[i]] |= 2;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = L[i] && touch[L[i]] == 3;
    free(touch);
    fib_volume_clear(&lab);
    return FIB_OK;
}

fib_status fib_recon_tpb(const fib_volume *labels, const uint32_t phase[3],
                         int axis, fib_tpb_result *out, fib_error *err)
{
    memset(out, 0, sizeof *out);
    out->active_fraction = NAN;
    fib_status st = check_labels(labels, "TPB input", err);
    if (st)
        return st;
    if (phase[0] == phase[1] || phase[0] == phase[2] || phase[1] == phase[2])
        return fib_error_set(err, FIB_EINVAL,
                             "recon: TPB needs three distinct phases (got "
                             "%u, %u, %u)",
                             phase[0], phase[1], phase[2]);
    if (axis < -1 || axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: TPB axis must be -1, 0, 1 or 2 (got %d)",
                             axis);
    const size_t nx = labels->nx, ny = labels->ny, nz = labels->nz;
    const size_t n = nx * ny * nz;
    double sp[3];
    fib__vol_spacing(labels, sp);
    /* per voxel: bit p for phase p, bit 3 + p when that voxel also
     * percolates (its phase's percolating cluster) */
    uint8_t *code = malloc(n), *perc = axis >= 0 ? malloc(n) : NULL;
    if (!code || (axis >= 0 && !perc)) {
        free(code);
        free(perc);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t l = fib_volume_label_at(labels, i);
        code[i] = l == phase[0] ? 1 : l == phase[1] ? 2 : l == phase[2] ? 4 : 0;
    }
    for (int p = 0; p < 3 && axis >= 0; p++) {
        st = percolating(labels, phase[p], axis, perc, err);
        if (st) {
            free(code);
            free(perc);
            return st;
        }
        for (size_t i = 0; i < n; i++)
            if (perc[i])
                code[i] |= (uint8_t)(8u << p);
    }
    free(perc);
    /* Edges along axis e are shared by the 4 voxels around them in the
     * plane of the two other axes (interior edges only: TauFactor's
     * count).  An edge is TPB when the 4 hold all three phases, active
     * when each phase is there with a percolating voxel. */
    const size_t dims[3] = {nx, ny, nz};
    const size_t stride[3] = {1, nx, nx * ny};
    size_t cnt[3] = {0, 0, 0}, act[3] = {0, 0, 0}, tot[3];
    for (int e = 0; e < 3; e++) {
        const int a = (e + 1) % 3, b = (e + 2) % 3;
        tot[e] = dims[e] * (dims[a] > 0 ? dims[a] - 1 : 0) *
                 (dims[b] > 0 ? dims[b] - 1 : 0);
        const size_t sa = stride[a], sb = stride[b];
        size_t c = 0, ac = 0;
#pragma omp parallel for reduction(+ : c, ac) schedule(static)
        for (long z = 0; z < (long)nz; z++)
            for (size_t y = 0; y < ny; y++)
                for (size_t x = 0; x < nx; x++) {
                    const size_t co[3] = {x, y, (size_t)z};
                    if (co[a] + 1 >= dims[a] || co[b] + 1 >= dims[b])
                        continue;
                    const size_t i = x + y * nx + (size_t)z * nx * ny;
                    const unsigned u = code[i] | code[i + sa] | code[i + sb] |
                                       code[i + sa + sb];
                    if ((u & 7u) == 7u) {
                        c++;
                        if ((u >> 3) == 7u)
                            ac++;
                    }
                }
        cnt[e] = c;
        act[e] = ac;
    }
    free(code);
    const double vol_um3 = (double)n * sp[0] * sp[1] * sp[2] * 1e-9;
    for (int e = 0; e < 3; e++) {
        out->n_edges += cnt[e];
        out->n_edges_total += tot[e];
        out->n_edges_active += act[e];
        out->length_um += (double)cnt[e] * sp[e] * 1e-3;
        out->active_length_um += (double)act[e] * sp[e] * 1e-3;
    }
    out->edge_fraction = out->n_edges_total
                             ? (double)out->n_edges / (double)out->n_edges_total
                             : 0.0;
    out->density_um_per_um3 = vol_um3 > 0 ? out->length_um / vol_um3 : 0.0;
    out->active_density_um_per_um3 =
        vol_um3 > 0 ? out->active_length_um / vol_um3 : 0.0;
    if (axis >= 0 && out->n_edges)
        out->active_fraction = out->active_length_um / out->length_um;
    if (axis < 0) {
        out->n_edges_active = 0;
        out->active_length_um = out->active_density_um_per_um3 = NAN;
    }
    return FIB_OK;
}

fib_status fib_recon_chords(const fib_volume *labels, uint32_t value, int axis,
                            bool include_border, double bin_nm,
                            fib_chord_result *out, fib_error *err)
{
    memset(out, 0, sizeof *out);
    fib_status st = check_labels(labels, "chord input", err);
    if (st)
        return st;
    if (axis < 0 || axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: chord axis must be 0, 1 or 2 (got %d)",
                             axis);
    const size_t nx = labels->nx, ny = labels->ny, nz = labels->nz;
    const size_t dims[3] = {nx, ny, nz}, stride[3] = {1, nx, nx * ny};
    double sp[3];
    fib__vol_spacing(labels, sp);
    const double step = sp[axis];
    const double bw = bin_nm > 0 ? bin_nm : step;
    if (!isfinite(bw))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: chord bin width must be finite");
    const size_t len = dims[axis];
    size_t nbins = (size_t)ceil((double)len * step / bw) + 1;
    if (nbins > FIB_CHORD_MAX_BINS)
        nbins = FIB_CHORD_MAX_BINS;
    out->counts = calloc(nbins, sizeof *out->counts);
    if (!out->counts)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    out->n_bins = nbins;
    out->bin_nm = bw;
    /* lines along the axis: start at every voxel whose axis coordinate is
     * 0; walk the runs of @p value */
    const int a = (axis + 1) % 3, b = (axis + 2) % 3;
    double sum = 0, sum2 = 0;
    size_t nch = 0, nborder = 0;
    for (size_t ib = 0; ib < dims[b]; ib++)
        for (size_t ia = 0; ia < dims[a]; ia++) {
            const size_t base = ia * stride[a] + ib * stride[b];
            size_t run = 0, start = 0;
            for (size_t k = 0; k <= len; k++) {
                const bool in =
                    k < len && fib_volume_label_at(
                                   labels, base + k * stride[axis]) == value;
                if (in) {
                    if (!run)
                        start = k;
                    run++;
                    continue;
                }
                if (!run)
                    continue;
                const bool border = start == 0 || k == len;
                if (border)
                    nborder++;
                if (!border || include_border) {
                    const double l = (double)run * step;
                    sum += l;
                    sum2 += l * l;
                    nch++;
                    size_t bin = (size_t)floor(l / bw);
                    out->counts[bin < nbins ? bin : nbins - 1]++;
                }
                run = 0;
            }
        }
    out->n_chords = nch;
    out->n_border_chords = nborder;
    out->mean_nm = nch ? sum / (double)nch : (double)NAN;
    out->sd_nm = nch > 1
                     ? sqrt(fmax(sum2 / (double)nch -
                                     (sum / (double)nch) * (sum / (double)nch),
                                 0.0))
                     : (double)NAN;
    /* length-weighted mean (what a random point in the phase sees) */
    out->weighted_mean_nm = sum > 0 ? sum2 / sum : (double)NAN;
    return FIB_OK;
}

void fib_chord_result_clear(fib_chord_result *r)
{
    if (!r)
        return;
    free(r->counts);
    memset(r, 0, sizeof *r);
}

fib_status fib_recon_two_point(const fib_volume *labels, uint32_t value,
                               int axis, size_t max_lag, double *s2,
                               fib_error *err)
{
    fib_status st = check_labels(labels, "two-point input", err);
    if (st)
        return st;
    if (axis < 0 || axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: two-point axis must be 0, 1 or 2 (got "
                             "%d)",
                             axis);
    const size_t nx = labels->nx, ny = labels->ny, nz = labels->nz;
    const size_t dims[3] = {nx, ny, nz};
    if (max_lag >= dims[axis])
        return fib_error_set(err, FIB_EINVAL,
                             "recon: two-point lag %zu must be < %zu (the "
                             "axis length)",
                             max_lag, dims[axis]);
    /* S2(r) = P(x and x + r e_axis both in the phase), over the pairs
     * inside the volume (no periodic wrap), counted exactly in integers.
     * Every row (along x) is packed into 64-bit words, bit x of word
     * x / 64; a lag along x shifts a row by r bits, a lag along y or z
     * pairs row (y, z) with row (y + r, z) or (y, z + r); pairs are
     * counted with popcount (64 voxels per operation). */
    const size_t nw = (nx + 63) / 64, rows = ny * nz;
    uint64_t *bits = calloc(rows * nw + 1, sizeof *bits);
    if (!bits)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t r = 0; r < rows; r++)
        for (size_t x = 0; x < nx; x++)
            if (fib_volume_label_at(labels, r * nx + x) == value)
                bits[r * nw + x / 64] |= (uint64_t)1 << (x % 64);
    for (size_t lag = 0; lag <= max_lag; lag++) {
        unsigned long long hits = 0;
        size_t pairs;
        if (axis == 0) {
            /* row & (row >> lag): word k of the shifted row takes bits
             * lag.. of the row; the pairs (x, x + lag) with x + lag < nx */
            const size_t q = lag / 64, b = lag % 64;
            pairs = (nx - lag) * rows;
#pragma omp parallel for reduction(+ : hits) schedule(static)
            for (long r = 0; r < (long)rows; r++) {
                const uint64_t *w = bits + (size_t)r * nw;
                for (size_t k = 0; k + q < nw; k++) {
                    uint64_t sh = w[k + q] >> b;
                    if (b && k + q + 1 < nw)
                        sh |= w[k + q + 1] << (64 - b);
                    hits += (unsigned long long)__builtin_popcountll(w[k] & sh);
                }
            }
        } else {
            const size_t step = axis == 1 ? 1 : ny; /* rows per unit lag */
            const size_t n_ax = dims[axis];
            pairs = nx * (rows / n_ax) * (n_ax - lag);
#pragma omp parallel for reduction(+ : hits) schedule(static)
            for (long r = 0; r < (long)rows; r++) {
                const size_t c = axis == 1 ? (size_t)r % ny : (size_t)r / ny;
                if (c + lag >= n_ax)
                    continue;
                const uint64_t *a = bits + (size_t)r * nw;
                const uint64_t *b2 = a + lag * step * nw;
                for (size_t k = 0; k < nw; k++)
                    hits +=
                        (unsigned long long)__builtin_popcountll(a[k] & b2[k]);
            }
        }
        s2[lag] = pairs ? (double)hits / (double)pairs : (double)NAN;
    }
    free(bits);
    return FIB_OK;
}

/* ---- representative volume ------------------------------------------------
 */

/* Copy the box [x0, x0 + bx) x [y0, ...) x [z0, ...) of @p v into @p out
 * (a new owned volume of the same type and voxel size). */
static fib_status sub_box(const fib_volume *v, const size_t o[3],
                          const size_t b[3], fib_volume *out, fib_error *err)
{
    fib_status st = fib_volume_init(out, v->type, b[0], b[1], b[2], err);
    if (st)
        return st;
    memcpy(out->voxel_size_nm, v->voxel_size_nm, sizeof out->voxel_size_nm);
    const size_t es = fib_pixel_size_bytes(v->type);
    for (size_t z = 0; z < b[2]; z++)
        for (size_t y = 0; y < b[1]; y++)
            memcpy((char *)out->data + ((z * b[1] + y) * b[0]) * es,
                   (const char *)v->data +
                       (((z + o[2]) * v->ny + y + o[1]) * v->nx + o[0]) * es,
                   b[0] * es);
    return FIB_OK;
}

fib_status fib_recon_rev(const fib_volume *labels, fib_rev_metric metric,
                         const uint32_t value[3], size_t n_steps,
                         double rel_tol, fib_rev_point *out,
                         size_t *settled_out, fib_error *err)
{
    fib_status st = check_labels(labels, "REV input", err);
    if (st)
        return st;
    if (n_steps < 2 || n_steps > 8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: REV steps must be 2..8 (got %zu)",
                             n_steps);
    if (metric != FIB_REV_VOLUME_FRACTION && metric != FIB_REV_TPB_DENSITY)
        return fib_error_set(err, FIB_EINVAL, "recon: unknown REV metric %d",
                             (int)metric);
    const double tol = rel_tol > 0 ? rel_tol : 0.05;
    const size_t dims[3] = {labels->nx, labels->ny, labels->nz};
    double full = 0;
    *settled_out = n_steps; /* none */
    for (size_t k = 0; k < n_steps; k++) {
        /* box side = dims / 2^(n_steps - 1 - k), at least 2 voxels */
        const size_t div = (size_t)1 << (n_steps - 1 - k);
        size_t b[3], nb[3];
        for (int a = 0; a < 3; a++) {
            b[a] = dims[a] / div;
            if (b[a] < 2)
                b[a] = dims[a] < 2 ? dims[a] : 2;
            nb[a] = dims[a] / b[a];
            if (nb[a] > 4)
                nb[a] = 4; /* at most 64 boxes, spread over the volume */
        }
        double s = 0, s2 = 0;
        size_t n = 0;
        for (size_t iz = 0; iz < nb[2]; iz++)
            for (size_t iy = 0; iy < nb[1]; iy++)
                for (size_t ix = 0; ix < nb[0]; ix++) {
                    /* boxes spread evenly: origin i (dims - b) / (nb - 1) */
                    const size_t ii[3] = {ix, iy, iz};
                    size_t o[3];
                    for (int a = 0; a < 3; a++)
                        o[a] = nb[a] > 1
                                   ? ii[a] * (dims[a] - b[a]) / (nb[a] - 1)
                                   : (dims[a] - b[a]) / 2;
                    fib_volume sb = {0};
                    if ((st = sub_box(labels, o, b, &sb, err)) != FIB_OK)
                        return st;
                    double m = 0;
                    if (metric == FIB_REV_VOLUME_FRACTION) {
                        st = fib_recon_volume_fraction(&sb, value[0], &m, err);
                    } else {
                        fib_tpb_result t;
                        st = fib_recon_tpb(&sb, value, -1, &t, err);
                        m = t.density_um_per_um3;
                    }
                    fib_volume_clear(&sb);
                    if (st)
                        return st;
                    s += m;
                    s2 += m * m;
                    n++;
                }
        fib_rev_point *p = &out[k];
        memcpy(p->size_vox, b, sizeof b);
        p->n_boxes = n;
        p->mean = s / (double)n;
        p->sd = n > 1 ? sqrt(fmax(s2 / (double)n - p->mean * p->mean, 0) *
                             (double)n / (double)(n - 1))
                      : 0.0;
        if (k == n_steps - 1)
            full = p->mean;
    }
    /* settled: the smallest size from which on every larger one has a
     * relative spread under tol and a mean within tol of the largest */
    for (size_t k = n_steps; k-- > 0;) {
        const fib_rev_point *p = &out[k];
        const double ref = fabs(full) > 0 ? fabs(full) : 1.0;
        if (p->sd / ref > tol || fabs(p->mean - full) / ref > tol)
            break;
        *settled_out = k;
    }
    if (*settled_out == n_steps - 1)
        *settled_out = n_steps; /* the whole volume agrees with itself */
    return FIB_OK;
}
