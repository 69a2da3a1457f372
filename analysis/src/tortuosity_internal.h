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
    double dtab[256];  /* diagonal of each stencil code (fib__tg_tables) */
    double itab[256];  /* its inverse (0 for code 0) */
    double mtab[256];  /* sum of the conductances of the missing neighbours */
    float *slab; /* 3 (nx + 2)(ny + 2) floats per thread (fib__tg_slabs) */
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
    const uint64_t below = (1ull << b) - 1, cur = bits[wi];
    const size_t W = G->W, Wz = G->W * G->ny;
    /* branch-free in the (random) neighbour bits: a missing neighbour
       points at i itself; only the (predictable) borders branch */
    size_t h =
        x > 0 ? (size_t)((b ? cur >> (b - 1) : bits[wi - 1] >> 63) & 1) : 0;
    unsigned c = (unsigned)h;
    nb[0] = i - h;
    h = x + 1 < G->nx ? (size_t)((b < 63 ? cur >> (b + 1) : bits[wi + 1]) & 1)
                      : 0;
    c |= (unsigned)h << 1;
    nb[1] = i + h;
    const size_t off[4] = {wi - W, wi + W, wi - Wz, wi + Wz};
    const bool ok[4] = {y > 0, y + 1 < G->ny, z > 0, z + 1 < G->nz};
    for (int k = 0; k < 4; k++) {
        size_t o = ok[k] ? off[k] : wi;
        uint64_t v = ok[k] ? bits[o] : 0;
        h = (size_t)((v >> b) & 1);
        c |= (unsigned)h << (2 + k);
        size_t r = (size_t)G->wbase[o] + fib__popc64(v & below);
        nb[2 + k] = i + h * (r - i);
    }
    size_t t = G->axis == 0 ? x : G->axis == 1 ? y : z;
    size_t na = G->axis == 0 ? G->nx : G->axis == 1 ? G->ny : G->nz;
    if (t == 0)
        c |= FIB__T_IN;
    if (t == na - 1)
        c |= FIB__T_OUT;
    return c;
}

/* Diagonal of the stencil with bits @p c (a table: the stencil takes at
 * most 256 forms; no division in the kernels). */
static inline double fib__tg_diag(const fib__tgrid *G, unsigned c)
{
    return G->dtab[c];
}

/* sum over neighbours of conductance times v (float / double vectors) */
static inline double fib__tg_nbsum_f(const fib__tgrid *G, unsigned c,
                                     const size_t nb[6], const float *v)
{
    /* missing neighbours point at the voxel itself: their terms are
       taken out again with the tabulated weight mtab[c] (nb[0] + (c & 1)
       is the voxel itself) */
    return G->g[0] * ((double)v[nb[0]] + (double)v[nb[1]]) +
           G->g[1] * ((double)v[nb[2]] + (double)v[nb[3]]) +
           G->g[2] * ((double)v[nb[4]] + (double)v[nb[5]]) -
           G->mtab[c] * (double)v[nb[0] + (c & 1)];
}

static inline double fib__tg_nbsum_d(const fib__tgrid *G, unsigned c,
                                     const size_t nb[6], const double *v)
{
    /* missing neighbours point at the voxel itself: their terms are
       taken out again with the tabulated weight mtab[c] (nb[0] + (c & 1)
       is the voxel itself) */
    return G->g[0] * (v[nb[0]] + v[nb[1]]) + G->g[1] * (v[nb[2]] + v[nb[3]]) +
           G->g[2] * (v[nb[4]] + v[nb[5]]) - G->mtab[c] * v[nb[0] + (c & 1)];
}

/* ---- fine-level kernels (tortuosity_grid.c); all loops are over z slices,
 * reductions per slice summed in order: thread-count independent ---- */

/* fill G->dtab and G->itab from G->g and G->gb */
void fib__tg_tables(fib__tgrid *G);
/* allocate G->slab for the threads of the calling scope; false: no
 * memory */
bool fib__tg_slabs(fib__tgrid *G);
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
 * the +x/+y/+z neighbour, inverse diagonal (0 = no active cell), iterate,
 * rhs.
 * While the levels are built, diag holds only the inlet/outlet (Dirichlet)
 * part; the diagonal is then that plus the six couplings, a sum of
 * positive terms (no cancellation in float), and diag its inverse. */
typedef struct fib__tlevel {
    size_t nx, ny, nz, n;
    float *gx, *gy, *gz, *diag, *x, *b;
} fib__tlevel;

/* Galerkin operator of the first coarse level from the fine grid (level C
 * allocated and zeroed). */
void fib__tg_coarsen(const fib__tgrid *G, fib__tlevel *C);
/* C->b = restriction (sum over the aggregate) of b - A x, right after a
 * fib__tg_gs sweep of colour 1 (the residual of colour 1 is then zero) */
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
