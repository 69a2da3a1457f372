/*
 * tortuosity_grid.c -- fine-level kernels of the tortuosity solver on the
 * compact grid of active voxels (tortuosity_internal.h).
 *
 * Every kernel walks one z slice per loop iteration: rows y, words w, set
 * bits b (x = 64 w + b), the unknowns in raster order.  Vectors are float
 * except the iterate x of the conjugate-gradient method (double, see
 * tortuosity.c); stencil sums and all reductions are accumulated in double,
 * reductions per slice into G->part and summed in slice order, so results
 * do not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "tortuosity_internal.h"

static double sum_parts(const fib__tgrid *G)
{
    double t = 0;
    for (size_t z = 0; z < G->nz; z++)
        t += G->part[z];
    return t;
}

static inline size_t tg_ctz(uint64_t v)
{
    return (size_t)__builtin_ctzll(v);
}

void fib__tg_tables(fib__tgrid *G)
{
    for (unsigned c = 0; c < 256; c++) {
        double d = 0;
        for (int a = 0; a < 3; a++)
            d += G->g[a] *
                 (double)(((c >> (2 * a)) & 1) + ((c >> (2 * a + 1)) & 1));
        if (c & FIB__T_IN)
            d += G->gb;
        if (c & FIB__T_OUT)
            d += G->gb;
        double m = 0;
        for (int k = 0; k < 6; k++)
            m += ((c >> k) & 1) ? 0.0 : G->g[k / 2];
        G->dtab[c] = d;
        G->mtab[c] = m;
        G->itab[c] = d > 0 ? 1.0 / d : 0.0;
    }
}

bool fib__tg_slabs(fib__tgrid *G)
{
    size_t nth = 1;
#ifdef _OPENMP
    nth = (size_t)omp_get_max_threads();
#endif
    G->slab = malloc(sizeof(float) * 3 * (G->nx + 2) * (G->ny + 2) * nth);
    return G->slab != NULL;
}

double fib__tg_residual(const fib__tgrid *G, const double *x, float *r,
                        double *bb)
{
    double bsum = 0;
    if (bb) {
        /* ||b||^2 = gb^2 times the number of inlet voxels */
        size_t nin = 0;
        for (size_t z = 0; z < G->nz; z++)
            for (size_t y = 0; y < G->ny; y++)
                for (size_t w = 0; w < G->W; w++) {
                    uint64_t v = G->bits[(z * G->ny + y) * G->W + w];
                    if (G->axis == 0)
                        nin += (w == 0) ? (v & 1) : 0;
                    else if ((G->axis == 1 && y == 0) ||
                             (G->axis == 2 && z == 0))
                        nin += fib__popc64(v);
                }
        bsum = G->gb * G->gb * (double)nin;
    }
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < G->nz; z++) {
        double acc = 0;
        size_t nb[6];
        for (size_t y = 0; y < G->ny; y++)
            for (size_t w = 0; w < G->W; w++) {
                size_t wi = (z * G->ny + y) * G->W + w;
                uint64_t v = G->bits[wi];
                size_t i = (size_t)G->wbase[wi];
                while (v) {
                    unsigned b = (unsigned)tg_ctz(v);
                    v &= v - 1;
                    unsigned c =
                        fib__tg_cell(G, wi, b, 64 * w + b, y, z, i, nb);
                    double ri = ((c & FIB__T_IN) ? G->gb : 0.0) -
                                fib__tg_diag(G, c) * x[i] +
                                fib__tg_nbsum_d(G, c, nb, x);
                    r[i] = (float)ri;
                    acc += ri * ri;
                    i++;
                }
            }
        G->part[z] = acc;
    }
    if (bb)
        *bb = bsum;
    return sum_parts(G);
}

void fib__tg_jacobi(const fib__tgrid *G, const float *r, float *z_out)
{
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < G->nz; z++) {
        size_t nb[6];
        for (size_t y = 0; y < G->ny; y++)
            for (size_t w = 0; w < G->W; w++) {
                size_t wi = (z * G->ny + y) * G->W + w;
                uint64_t v = G->bits[wi];
                size_t i = (size_t)G->wbase[wi];
                while (v) {
                    unsigned b = (unsigned)tg_ctz(v);
                    v &= v - 1;
                    unsigned c =
                        fib__tg_cell(G, wi, b, 64 * w + b, y, z, i, nb);
                    z_out[i] = (float)((double)r[i] * G->itab[c]);
                    i++;
                }
            }
    }
}

/* coordinate along the transport axis */
static inline size_t along(const fib__tgrid *G, size_t x, size_t y, size_t z)
{
    return G->axis == 0 ? x : G->axis == 1 ? y : z;
}

void fib__tg_ramp(const fib__tgrid *G, double *x)
{
    double na = (double)(G->axis == 0 ? G->nx : G->axis == 1 ? G->ny : G->nz);
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < G->nz; z++)
        for (size_t y = 0; y < G->ny; y++)
            for (size_t w = 0; w < G->W; w++) {
                size_t wi = (z * G->ny + y) * G->W + w;
                uint64_t v = G->bits[wi];
                size_t i = (size_t)G->wbase[wi];
                while (v) {
                    size_t xx = 64 * w + tg_ctz(v);
                    v &= v - 1;
                    x[i++] = 1.0 - ((double)along(G, xx, y, z) + 0.5) / na;
                }
            }
}

void fib__tg_flux(const fib__tgrid *G, const double *x, double *fin,
                  double *fout)
{
    size_t na = G->axis == 0 ? G->nx : G->axis == 1 ? G->ny : G->nz;
    double a = 0, o = 0;
    for (size_t z = 0; z < G->nz; z++)
        for (size_t y = 0; y < G->ny; y++)
            for (size_t w = 0; w < G->W; w++) {
                size_t wi = (z * G->ny + y) * G->W + w;
                uint64_t v = G->bits[wi];
                size_t i = (size_t)G->wbase[wi];
                while (v) {
                    size_t t = along(G, 64 * w + tg_ctz(v), y, z);
                    v &= v - 1;
                    if (t == 0)
                        a += G->gb * (1.0 - x[i]);
                    if (t == na - 1)
                        o += G->gb * x[i];
                    i++;
                }
            }
    *fin = a;
    *fout = o;
}

/* bits of the voxels of one colour ((x + y + z) & 1 == colour) in a word */
static inline uint64_t colour_mask(size_t y, size_t z, int colour)
{
    return (((size_t)colour ^ y ^ z) & 1) ? 0xaaaaaaaaaaaaaaaaull
                                          : 0x5555555555555555ull;
}

/* ---- slice-buffer kernels: the operator, the smoother and the
 * restriction (the hot loops) decompress slices z - 1, z, z + 1 into
 * zero-padded dense buffers per thread (inactive voxels 0; rolled along z,
 * so each slice is copied about once per pass), so that the stencil sum
 * needs no neighbour ranks; the FIB__T_* bits for the diagonal come from
 * the bit words alone.  Red-black: a half-sweep reads only the other
 * colour, which it does not change, so buffers copied before the updates
 * of a slice are current. ---- */

/* FIB__T_* bits of the active voxel at bit b of word wi, (x, y, z) */
static inline unsigned row_code(const fib__tgrid *G, size_t wi, unsigned b,
                                size_t x, size_t y, size_t z)
{
    const uint64_t *bits = G->bits, cur = bits[wi];
    const size_t W = G->W, Wz = G->W * G->ny;
    unsigned c = 0;
    if (x > 0)
        c |= (unsigned)((b ? cur >> (b - 1) : bits[wi - 1] >> 63) & 1);
    if (x + 1 < G->nx)
        c |= (unsigned)((b < 63 ? cur >> (b + 1) : bits[wi + 1]) & 1) << 1;
    if (y > 0)
        c |= (unsigned)((bits[wi - W] >> b) & 1) << 2;
    if (y + 1 < G->ny)
        c |= (unsigned)((bits[wi + W] >> b) & 1) << 3;
    if (z > 0)
        c |= (unsigned)((bits[wi - Wz] >> b) & 1) << 4;
    if (z + 1 < G->nz)
        c |= (unsigned)((bits[wi + Wz] >> b) & 1) << 5;
    size_t t = along(G, x, y, z);
    size_t na = G->axis == 0 ? G->nx : G->axis == 1 ? G->ny : G->nz;
    if (t == 0)
        c |= FIB__T_IN;
    if (t == na - 1)
        c |= FIB__T_OUT;
    return c;
}

/* the calling thread's three padded slice buffers */
static void slices_init(const fib__tgrid *G, float *S[3])
{
    size_t t = 0, n = (G->nx + 2) * (G->ny + 2);
#ifdef _OPENMP
    t = (size_t)omp_get_thread_num();
#endif
    for (int k = 0; k < 3; k++)
        S[k] = G->slab + (3 * t + (size_t)k) * n;
}

/* dense copy of slice z of v into S, padded by one zero voxel on each side
 * in x and y (0 = inactive); all zero when @p ok is false.  (A half-sweep
 * reads only the other colour, but copying every voxel with a running
 * index is cheaper than selecting them.) */
static void slice_load(const fib__tgrid *G, size_t z, bool ok, const float *v,
                       float *S)
{
    const size_t P = G->nx + 2;
    memset(S, 0, sizeof(float) * P * (G->ny + 2));
    if (!ok)
        return;
    size_t i = (size_t)G->wbase[z * G->ny * G->W];
    for (size_t y = 0; y < G->ny; y++) {
        const uint64_t *bits = G->bits + (z * G->ny + y) * G->W;
        float *row = S + (y + 1) * P + 1;
        for (size_t w = 0; w < G->W; w++) {
            uint64_t m = bits[w];
            while (m) {
                row[64 * w + tg_ctz(m)] = v[i++];
                m &= m - 1;
            }
        }
    }
}

/* S[0..2] = slices z - 1, z, z + 1 of v; when the thread's previous call
 * (*zl) was for z - 1 the buffers are rolled and only z + 1 is copied */
static void slices_next(const fib__tgrid *G, size_t z, const float *v,
                        float *S[3], size_t *zl)
{
    if (*zl != (size_t)-1 && z == *zl + 1) {
        float *t = S[0];
        S[0] = S[1];
        S[1] = S[2];
        S[2] = t;
    } else {
        slice_load(G, z - (z > 0), z > 0, v, S[0]);
        slice_load(G, z, true, v, S[1]);
    }
    slice_load(G, z + 1, z + 1 < G->nz, v, S[2]);
    *zl = z;
}

/* R[0..4] = rows (y, z), (y - 1, z), (y + 1, z), (y, z - 1), (y, z + 1) in
 * the slice buffers (R[k][x + 1] is voxel x) */
static void slice_rows(const fib__tgrid *G, float *const S[3], size_t y,
                       float *R[5])
{
    const size_t P = G->nx + 2;
    R[0] = S[1] + (y + 1) * P;
    R[1] = S[1] + y * P;
    R[2] = S[1] + (y + 2) * P;
    R[3] = S[0] + (y + 1) * P;
    R[4] = S[2] + (y + 1) * P;
}

/* sum over the six neighbours of conductance times value at x */
static inline double row_nbsum(const fib__tgrid *G, float *const R[5], size_t x)
{
    return G->g[0] * ((double)R[0][x] + (double)R[0][x + 2]) +
           G->g[1] * ((double)R[1][x + 1] + (double)R[2][x + 1]) +
           G->g[2] * ((double)R[3][x + 1] + (double)R[4][x + 1]);
}

double fib__tg_apply(const fib__tgrid *G, const float *p, float *q)
{
#pragma omp parallel
    {
        float *S[3], *R[5];
        size_t zl = (size_t)-1;
        slices_init(G, S);
#pragma omp for schedule(static)
        for (size_t z = 0; z < G->nz; z++) {
            double acc = 0;
            slices_next(G, z, p, S, &zl);
            for (size_t y = 0; y < G->ny; y++) {
                slice_rows(G, S, y, R);
                for (size_t w = 0; w < G->W; w++) {
                    size_t wi = (z * G->ny + y) * G->W + w;
                    uint64_t v = G->bits[wi];
                    size_t i = (size_t)G->wbase[wi];
                    while (v) {
                        unsigned b = (unsigned)tg_ctz(v);
                        v &= v - 1;
                        size_t x = 64 * w + b;
                        unsigned c = row_code(G, wi, b, x, y, z);
                        double qi =
                            G->dtab[c] * (double)p[i] - row_nbsum(G, R, x);
                        q[i] = (float)qi;
                        acc += (double)p[i] * qi;
                        i++;
                    }
                }
            }
            G->part[z] = acc;
        }
    }
    return sum_parts(G);
}

/* The popcount that ranks a voxel of one colour within its word is the
 * smoother's main cost besides the stencil; without -mpopcnt the compiler
 * emits a software count.  On x86-64 the smoother is therefore compiled a
 * second time for the POPCNT instruction and chosen at run time
 * (__builtin_cpu_supports); the counts, hence the results, are identical. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__POPCNT__)
#define TG_POPCNT_DISPATCH 1
#endif

/* one half-sweep of slice z (hw: the count is the hardware instruction) */
static inline __attribute__((always_inline)) void
gs_slice(const fib__tgrid *G, float *x, const float *b, int colour, size_t z,
         float *S[3], size_t *zl, bool hw)
{
    float *R[5];
    slices_next(G, z, x, S, zl);
    for (size_t y = 0; y < G->ny; y++) {
        uint64_t cm = colour_mask(y, z, colour);
        slice_rows(G, S, y, R);
        for (size_t w = 0; w < G->W; w++) {
            size_t wi = (z * G->ny + y) * G->W + w;
            uint64_t all = G->bits[wi], v = all & cm;
            while (v) {
                unsigned k = (unsigned)tg_ctz(v);
                v &= v - 1;
                uint64_t lo = all & ((1ull << k) - 1);
                size_t i =
                    (size_t)G->wbase[wi] +
                    (hw ? (unsigned)__builtin_popcountll(lo) : fib__popc64(lo));
                size_t xx = 64 * w + k;
                unsigned c = row_code(G, wi, k, xx, y, z);
                x[i] =
                    (float)(((double)b[i] + row_nbsum(G, R, xx)) * G->itab[c]);
            }
        }
    }
}

static void gs_sw(const fib__tgrid *G, float *x, const float *b, int colour)
{
#pragma omp parallel
    {
        float *S[3];
        size_t zl = (size_t)-1;
        slices_init(G, S);
#pragma omp for schedule(static)
        for (size_t z = 0; z < G->nz; z++)
            gs_slice(G, x, b, colour, z, S, &zl, false);
    }
}

#ifdef TG_POPCNT_DISPATCH
__attribute__((target("popcnt"))) static void
gs_hw(const fib__tgrid *G, float *x, const float *b, int colour)
{
#pragma omp parallel
    {
        float *S[3];
        size_t zl = (size_t)-1;
        slices_init(G, S);
#pragma omp for schedule(static)
        for (size_t z = 0; z < G->nz; z++)
            gs_slice(G, x, b, colour, z, S, &zl, true);
    }
}
#endif

void fib__tg_gs(const fib__tgrid *G, float *x, const float *b, int colour)
{
#ifdef TG_POPCNT_DISPATCH
    if (__builtin_cpu_supports("popcnt")) {
        gs_hw(G, x, b, colour);
        return;
    }
#endif
    gs_sw(G, x, b, colour);
}

void fib__tg_restrict(const fib__tgrid *G, const float *x, const float *b,
                      fib__tlevel *C)
{
    /* called after a red-black sweep that ended with black (colour 1):
       the residual of the black voxels is zero (each was just solved
       exactly for its red neighbours), so only the red ones are summed */
#pragma omp parallel
    {
        float *S[3], *R[5];
        size_t zl = (size_t)-1;
        slices_init(G, S);
#pragma omp for schedule(static)
        for (size_t K = 0; K < C->nz; K++) {
            memset(C->b + K * C->nx * C->ny, 0, sizeof(float) * C->nx * C->ny);
            for (size_t z = 2 * K; z < 2 * K + 2 && z < G->nz; z++) {
                slices_next(G, z, x, S, &zl);
                for (size_t y = 0; y < G->ny; y++) {
                    uint64_t cm = colour_mask(y, z, 0);
                    float *crow = C->b + (K * C->ny + y / 2) * C->nx;
                    slice_rows(G, S, y, R);
                    for (size_t w = 0; w < G->W; w++) {
                        size_t wi = (z * G->ny + y) * G->W + w;
                        uint64_t all = G->bits[wi], v = all & cm;
                        while (v) {
                            unsigned k = (unsigned)tg_ctz(v);
                            v &= v - 1;
                            size_t xx = 64 * w + k;
                            size_t i = (size_t)G->wbase[wi] +
                                       fib__popc64(all & ((1ull << k) - 1));
                            unsigned c = row_code(G, wi, k, xx, y, z);
                            double ri = (double)b[i] -
                                        G->dtab[c] * (double)x[i] +
                                        row_nbsum(G, R, xx);
                            crow[xx / 2] += (float)ri;
                        }
                    }
                }
            }
        }
    }
}

void fib__tg_coarsen(const fib__tgrid *G, fib__tlevel *C)
{
    /* coarse slice K gathers fine slices 2K, 2K+1 only: independent.
       diag collects the Dirichlet (inlet/outlet) terms; the coarse
       diagonal is that plus the couplings to the neighbouring aggregates
       (added in tortuosity_mg.c), a sum of positive terms. */
#pragma omp parallel for schedule(static)
    for (size_t K = 0; K < C->nz; K++) {
        size_t nb[6];
        for (size_t z = 2 * K; z < 2 * K + 2 && z < G->nz; z++)
            for (size_t y = 0; y < G->ny; y++)
                for (size_t w = 0; w < G->W; w++) {
                    size_t wi = (z * G->ny + y) * G->W + w;
                    uint64_t v = G->bits[wi];
                    size_t i = (size_t)G->wbase[wi];
                    while (v) {
                        unsigned k = (unsigned)tg_ctz(v);
                        v &= v - 1;
                        size_t xx = 64 * w + k;
                        unsigned c = fib__tg_cell(G, wi, k, xx, y, z, i++, nb);
                        size_t I = (K * C->ny + y / 2) * C->nx + xx / 2;
                        double dir = ((c & FIB__T_IN) ? G->gb : 0.0) +
                                     ((c & FIB__T_OUT) ? G->gb : 0.0);
                        C->diag[I] += (float)dir;
                        if ((xx & 1) && (c & FIB__T_XP))
                            C->gx[I] += (float)G->g[0];
                        if ((y & 1) && (c & FIB__T_YP))
                            C->gy[I] += (float)G->g[1];
                        if ((z & 1) && (c & FIB__T_ZP))
                            C->gz[I] += (float)G->g[2];
                    }
                }
    }
}

void fib__tg_prolong(const fib__tgrid *G, float *x, const fib__tlevel *C,
                     float wt)
{
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < G->nz; z++)
        for (size_t y = 0; y < G->ny; y++) {
            const float *crow = C->x + ((z / 2) * C->ny + y / 2) * C->nx;
            for (size_t w = 0; w < G->W; w++) {
                size_t wi = (z * G->ny + y) * G->W + w;
                uint64_t v = G->bits[wi];
                size_t i = (size_t)G->wbase[wi];
                while (v) {
                    size_t xx = 64 * w + tg_ctz(v);
                    v &= v - 1;
                    x[i++] += wt * crow[xx / 2];
                }
            }
        }
}
