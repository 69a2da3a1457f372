/*
 * tortuosity_internal.h -- the compact grid of the tortuosity solver
 * (tortuosity_grid.c), its multigrid preconditioner (tortuosity_mg.c) and
 * the conjugate-gradient driver (tortuosity.c).
 *
 * Only the active (percolating) voxels carry unknowns, numbered in raster
 * order (z, y, x).  Face neighbours are found from a rank structure: one
 * bit per voxel (rows padded to 64-bit words) and, per word, the number of
 * active voxels before it (8 bytes per 64 voxels).  The index of the
 * active voxel at (x, row) is wbase[w] + popcount(bits[w] & below(x)),
 * w = row * W + x / 64; the stencil (conductances, faces, diagonal) is
 * recomputed from these bits on the fly (matrix-free), so the fine level
 * costs 0.25 bytes per voxel plus its vectors per unknown.
 */
#ifndef FIB_TORTUOSITY_INTERNAL_H
#define FIB_TORTUOSITY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "fib/common.h"

/* neighbour / face bits of one active voxel */
enum {
    FIB__T_XM = 1,
    FIB__T_XP = 2,
    FIB__T_YM = 4,
    FIB__T_YP = 8,
    FIB__T_ZM = 16,
    FIB__T_ZP = 32,
    FIB__T_IN = 64,
    FIB__T_OUT = 128
};

typedef struct fib__tgrid {
    size_t nx, ny, nz; /* grid extent */
    size_t W;          /* 64-bit words per row */
    size_t nact;       /* active voxels = unknowns */
    int axis;          /* transport axis */
    double g[3];       /* face conductances x, y, z */
    double gb;         /* inlet/outlet conductance 2 g[axis] */
    uint64_t *bits;    /* ny * nz * W words, bit x of row (y, z) */
    uint64_t *wbase;   /* ny * nz * W + 1: active voxels before each word */
    double *part;      /* nz per-slice partial sums (fixed-order reductions) */
} fib__tgrid;

static inline unsigned fib__popc64(uint64_t v)
{
#if defined(__POPCNT__) || !defined(__GNUC__)
    return (unsigned)__builtin_popcountll(v);
#else
    /* SWAR count (Hacker's Delight 5-2): no library call without -mpopcnt */
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((v * 0x0101010101010101ull) >> 56);
#endif
}

/* Neighbours of the active voxel @p i at (x, y, z), word @p wi, bit @p b:
 * returns its FIB__T_* bits and fills nb[k] (k = 0..5: -x, +x, -y, +y, -z,
 * +z) for the neighbours that exist (i itself for the others, so that
 * sums can run branch-free with weight 0). */
static inline unsigned fib__tg_cell(const fib__tgrid *G, size_t wi, unsigned b,
                                    size_t x, size_t y, size_t z, size_t i,
                                    size_t nb[6])
{
    const uint64_t *bits = G->bits;
    const uint64_t below = (1ull << b) - 1;
    const size_t W = G->W, Wz = G->W * G->ny;
    unsigned c = 0;
    for (int k = 0; k < 6; k++)
        nb[k] = i; /* missing neighbours point at the voxel itself */
    if (x > 0 && (b ? (bits[wi] >> (b - 1)) & 1 : bits[wi - 1] >> 63)) {
        c |= FIB__T_XM;
        nb[0] = i - 1;
    }
    if (x + 1 < G->nx &&
        (b < 63 ? (bits[wi] >> (b + 1)) & 1 : bits[wi + 1] & 1)) {
        c |= FIB__T_XP;
        nb[1] = i + 1;
    }
    size_t off[4] = {wi - W, wi + W, wi - Wz, wi + Wz};
    bool ok[4] = {y > 0, y + 1 < G->ny, z > 0, z + 1 < G->nz};
    for (int k = 0; k < 4; k++) {
        if (!ok[k])
            continue;
        uint64_t v = bits[off[k]];
        if ((v >> b) & 1) {
            c |= FIB__T_YM << k;
            nb[2 + k] = (size_t)G->wbase[off[k]] + fib__popc64(v & below);
        }
    }
    size_t t = G->axis == 0 ? x : G->axis == 1 ? y : z;
    size_t na = G->axis == 0 ? G->nx : G->axis == 1 ? G->ny : G->nz;
    if (t == 0)
        c |= FIB__T_IN;
    if (t == na - 1)
        c |= FIB__T_OUT;
    return c;
}

/* Diagonal of the stencil with bits @p c. */
static inline double fib__tg_diag(const fib__tgrid *G, unsigned c)
{
    double d = 0;
    for (int a = 0; a < 3; a++)
        d +=
            G->g[a] * (double)(((c >> (2 * a)) & 1) + ((c >> (2 * a + 1)) & 1));
    if (c & FIB__T_IN)
        d += G->gb;
    if (c & FIB__T_OUT)
        d += G->gb;
    return d;
}

/* sum over neighbours of conductance times v (float / double vectors) */
static inline double fib__tg_nbsum_f(const fib__tgrid *G, unsigned c,
                                     const size_t nb[6], const float *v)
{
    double s = 0;
    for (int k = 0; k < 6; k++)
        s += (double)((c >> k) & 1) * G->g[k / 2] * (double)v[nb[k]];
    return s;
}

static inline double fib__tg_nbsum_d(const fib__tgrid *G, unsigned c,
                                     const size_t nb[6], const double *v)
{
    double s = 0;
    for (int k = 0; k < 6; k++)
        s += (double)((c >> k) & 1) * G->g[k / 2] * v[nb[k]];
    return s;
}

/* ---- fine-level kernels (tortuosity_grid.c); all loops are over z slices,
 * reductions per slice summed in order: thread-count independent ---- */

/* r = b - A x with b = gb on inlet voxels; returns ||r||^2 (double) and
 * ||b||^2 in *bb when not NULL */
double fib__tg_residual(const fib__tgrid *G, const double *x, float *r,
                        double *bb);
/* q = A p; returns p . q */
double fib__tg_apply(const fib__tgrid *G, const float *p, float *q);
/* z = D^-1 r */
void fib__tg_jacobi(const fib__tgrid *G, const float *r, float *z);
/* x = linear ramp 1 -> 0 between the faces */
void fib__tg_ramp(const fib__tgrid *G, double *x);
/* total flux through the inlet and outlet faces for the field x */
void fib__tg_flux(const fib__tgrid *G, const double *x, double *fin,
                  double *fout);
/* one red (colour 0) or black (1) Gauss-Seidel half-sweep on A x = b */
void fib__tg_gs(const fib__tgrid *G, float *x, const float *b, int colour);

/* A dense coarse level (2x2x2 aggregates of the level above): couplings to
 * the +x/+y/+z neighbour, the inlet/outlet (Dirichlet) part of the
 * diagonal, iterate, rhs.  The diagonal is dir plus the six couplings, a
 * sum of positive terms (no cancellation in float); 0 = no active cell. */
typedef struct fib__tlevel {
    size_t nx, ny, nz, n;
    float *gx, *gy, *gz, *dir, *x, *b;
} fib__tlevel;

/* Galerkin operator of the first coarse level from the fine grid (level C
 * allocated and zeroed). */
void fib__tg_coarsen(const fib__tgrid *G, fib__tlevel *C);
/* C->b = restriction (sum over the aggregate) of b - A x */
void fib__tg_restrict(const fib__tgrid *G, const float *x, const float *b,
                      fib__tlevel *C);
/* x += w * (piecewise-constant prolongation of C->x) */
void fib__tg_prolong(const fib__tgrid *G, float *x, const fib__tlevel *C,
                     float w);

/* ---- multigrid preconditioner (tortuosity_mg.c) ---- */
typedef struct fib__mg fib__mg;
fib_status fib__mg_create(const fib__tgrid *G, fib__mg **out, fib_error *err);
/* z = M^-1 r on the active voxels (one W-cycle from z = 0) */
void fib__mg_apply(fib__mg *mg, const float *r, float *z);
int fib__mg_levels(const fib__mg *mg);
size_t fib__mg_bytes(const fib__mg *mg);
void fib__mg_destroy(fib__mg *mg);

#endif
