/*
 * tortuosity_mg.c -- multigrid preconditioner for the tortuosity solver.
 *
 * Aggregation multigrid on the voxel grid: each coarse cell is a 2x2x2
 * block of cells of the level above, prolongation is piecewise constant
 * and the coarse operator is the Galerkin product P^T A P.  For a 7-point
 * stencil the Galerkin operator is again a 7-point stencil: the coupling
 * between two face-adjacent blocks is the sum of the fine couplings across
 * their shared face, and the coarse diagonal is the sum of those couplings
 * plus the inlet/outlet terms of the block (Braess, "Towards algebraic
 * multigrid for elliptic problems of second order", Computing 55:379,
 * 1995; Vanek, Mandel & Brezina 1996 for aggregation AMG).  The smoother
 * is red-black Gauss-Seidel, one forward sweep (red, black) before and one
 * backward sweep (black, red) after the coarse correction, so that the
 * cycle is a symmetric positive definite operator usable as a CG
 * preconditioner.  The piecewise-constant coarse correction is scaled by
 * MG_OVERCORRECT (Braess 1995 recommends ~1.8 for the Laplacian).
 *
 * The finest level is the compact grid of active voxels (kernels in
 * tortuosity_grid.c); the coarse levels are dense grids in float (24 bytes
 * per coarse cell: 3 couplings, the inverse diagonal, x, b --
 * the residual is formed inside the restriction, no vector of its own), in
 * all about 3.4 bytes per fine voxel.  A W-cycle (the coarse problem is
 * visited twice, the second time continuing from the first iterate, which
 * equals a second cycle on the coarse residual) keeps the CG iteration
 * count low; with 2x2x2 coarsening it costs only 4/3 of the fine-level
 * work of a V-cycle.  Every loop is over z slices with no reductions, so
 * results do not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "tortuosity_internal.h"

#define MG_OVERCORRECT 1.8f
#ifndef MG_GAMMA
#define MG_GAMMA 2 /* 1 = V-cycle, 2 = W-cycle */
#endif
#define MG_COARSEST 512 /* cells: below this, many smoothing sweeps */
#define MG_COARSE_SWEEPS 40
#define MG_MAXLEV 24

struct fib__mg {
    const fib__tgrid *G;
    int nlev; /* dense coarse levels */
    fib__tlevel lev[MG_MAXLEV];
};

static void level_free(fib__tlevel *L)
{
    free(L->gx);
    free(L->gy);
    free(L->gz);
    free(L->diag);
    free(L->x);
    free(L->b);
}

static bool level_alloc(fib__tlevel *L, size_t fnx, size_t fny, size_t fnz)
{
    L->nx = (fnx + 1) / 2;
    L->ny = (fny + 1) / 2;
    L->nz = (fnz + 1) / 2;
    L->n = L->nx * L->ny * L->nz;
    L->gx = calloc(L->n, sizeof(float));
    L->gy = calloc(L->n, sizeof(float));
    L->gz = calloc(L->n, sizeof(float));
    L->diag = calloc(L->n, sizeof(float));
    L->x = calloc(L->n, sizeof(float));
    L->b = calloc(L->n, sizeof(float));
    return L->gx && L->gy && L->gz && L->diag && L->x && L->b;
}

/* diag = 1 / (Dirichlet part (as built) plus the six couplings), 0 for
 * no active cell: the smoother multiplies instead of dividing */
static void finish_diag(fib__tlevel *L)
{
    size_t nxy = L->nx * L->ny;
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t z = 0; z < L->nz; z++)
        for (size_t y = 0; y < L->ny; y++)
            for (size_t x = 0; x < L->nx; x++) {
                size_t i = (z * L->ny + y) * L->nx + x;
                float d = L->diag[i] + L->gx[i] + L->gy[i] + L->gz[i];
                if (x > 0)
                    d += L->gx[i - 1];
                if (y > 0)
                    d += L->gy[i - L->nx];
                if (z > 0)
                    d += L->gz[i - nxy];
                L->diag[i] = d > 0 ? 1.0f / d : 0.0f;
            }
}

/* Sum of couplings times neighbour values at cell i of (x, y, z). */
static inline float nb_sum(const fib__tlevel *L, const float *v, size_t i,
                           size_t x, size_t y, size_t z)
{
    size_t nxy = L->nx * L->ny;
    float s = 0;
    if (x + 1 < L->nx)
        s += L->gx[i] * v[i + 1];
    if (x > 0)
        s += L->gx[i - 1] * v[i - 1];
    if (y + 1 < L->ny)
        s += L->gy[i] * v[i + L->nx];
    if (y > 0)
        s += L->gy[i - L->nx] * v[i - L->nx];
    if (z + 1 < L->nz)
        s += L->gz[i] * v[i + nxy];
    if (z > 0)
        s += L->gz[i - nxy] * v[i - nxy];
    return s;
}

/* Galerkin operator of level C from the dense level F above it */
static void coarsen_dense(const fib__tlevel *F, fib__tlevel *C)
{
#pragma omp parallel for schedule(static) if (F->n > 65536)
    for (size_t K = 0; K < C->nz; K++)
        for (size_t z = 2 * K; z < 2 * K + 2 && z < F->nz; z++)
            for (size_t y = 0; y < F->ny; y++)
                for (size_t x = 0; x < F->nx; x++) {
                    size_t i = (z * F->ny + y) * F->nx + x;
                    size_t I = (K * C->ny + y / 2) * C->nx + x / 2;
                    C->diag[I] += F->diag[i];
                    if (x & 1)
                        C->gx[I] += F->gx[i];
                    if (y & 1)
                        C->gy[I] += F->gy[i];
                    if (z & 1)
                        C->gz[I] += F->gz[i];
                }
}

static void gs_color(const fib__tlevel *L, float *x, const float *b, int color)
{
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t z = 0; z < L->nz; z++)
        for (size_t y = 0; y < L->ny; y++) {
            size_t x0 = (size_t)((color + (int)((y + z) & 1)) & 1);
            for (size_t xx = x0; xx < L->nx; xx += 2) {
                size_t i = (z * L->ny + y) * L->nx + xx;
                float dv = L->diag[i];
                if (dv == 0)
                    continue;
                x[i] = (b[i] + nb_sum(L, x, i, xx, y, z)) * dv;
            }
        }
}

/* C->b = aggregate sums of the residual b - A x of level L, after a sweep
 * that ended with colour 1: only colour 0 has a non-zero residual */
static void restrict_dense(const fib__tlevel *L, fib__tlevel *C)
{
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t K = 0; K < C->nz; K++) {
        memset(C->b + K * C->nx * C->ny, 0, sizeof(float) * C->nx * C->ny);
        for (size_t z = 2 * K; z < 2 * K + 2 && z < L->nz; z++)
            for (size_t y = 0; y < L->ny; y++)
                for (size_t xx = (y + z) & 1; xx < L->nx; xx += 2) {
                    size_t i = (z * L->ny + y) * L->nx + xx;
                    float dv = L->diag[i];
                    if (dv == 0)
                        continue;
                    C->b[(K * C->ny + y / 2) * C->nx + xx / 2] +=
                        L->b[i] - L->x[i] / dv + nb_sum(L, L->x, i, xx, y, z);
                }
    }
}

static void prolong_dense(fib__tlevel *L, const fib__tlevel *C)
{
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t z = 0; z < L->nz; z++)
        for (size_t y = 0; y < L->ny; y++)
            for (size_t xx = 0; xx < L->nx; xx++) {
                size_t i = (z * L->ny + y) * L->nx + xx;
                if (L->diag[i] != 0)
                    L->x[i] += MG_OVERCORRECT *
                               C->x[((z / 2) * C->ny + y / 2) * C->nx + xx / 2];
            }
}

/* One cycle on dense level l for L->x, L->b; from x = 0 when @p zero,
 * else continuing from the current x. */
static void cycle(fib__mg *mg, int l, bool zero)
{
    fib__tlevel *L = &mg->lev[l];
    if (zero)
        memset(L->x, 0, sizeof(float) * L->n);
    if (l == mg->nlev - 1) {
        for (int s = 0; s < MG_COARSE_SWEEPS; s++) {
            gs_color(L, L->x, L->b, 0);
            gs_color(L, L->x, L->b, 1);
        }
        for (int s = 0; s < MG_COARSE_SWEEPS; s++) {
            gs_color(L, L->x, L->b, 1);
            gs_color(L, L->x, L->b, 0);
        }
        return;
    }
    gs_color(L, L->x, L->b, 0);
    gs_color(L, L->x, L->b, 1);
    restrict_dense(L, &mg->lev[l + 1]);
    cycle(mg, l + 1, true);
    if (MG_GAMMA == 2 && l + 1 < mg->nlev - 1)
        cycle(mg, l + 1, false);
    prolong_dense(L, &mg->lev[l + 1]);
    gs_color(L, L->x, L->b, 1);
    gs_color(L, L->x, L->b, 0);
}

void fib__mg_destroy(fib__mg *mg)
{
    if (!mg)
        return;
    for (int l = 0; l < mg->nlev; l++)
        level_free(&mg->lev[l]);
    free(mg);
}

fib_status fib__mg_create(const fib__tgrid *G, fib__mg **out, fib_error *err)
{
    fib__mg *mg = calloc(1, sizeof *mg);
    *out = NULL;
    if (!mg)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    mg->G = G;
    size_t n0 = G->nx * G->ny * G->nz;
    if (n0 > MG_COARSEST && !(G->nx <= 2 && G->ny <= 2 && G->nz <= 2)) {
        mg->nlev = 1;
        if (!level_alloc(&mg->lev[0], G->nx, G->ny, G->nz))
            goto nomem;
        fib__tg_coarsen(G, &mg->lev[0]);
    }
    while (mg->nlev > 0 && mg->nlev < MG_MAXLEV) {
        fib__tlevel *F = &mg->lev[mg->nlev - 1];
        if (F->n <= MG_COARSEST || (F->nx <= 2 && F->ny <= 2 && F->nz <= 2))
            break;
        fib__tlevel *C = &mg->lev[mg->nlev++];
        if (!level_alloc(C, F->nx, F->ny, F->nz))
            goto nomem;
        coarsen_dense(F, C); /* reads the Dirichlet part of F->diag */
        finish_diag(F);
    }
    if (mg->nlev > 0)
        finish_diag(&mg->lev[mg->nlev - 1]);
    *out = mg;
    return FIB_OK;
nomem:
    fib__mg_destroy(mg);
    return fib_error_set(err, FIB_ENOMEM,
                         "recon: out of memory for the multigrid levels");
}

void fib__mg_apply(fib__mg *mg, const float *r, float *z)
{
    const fib__tgrid *G = mg->G;
    memset(z, 0, sizeof(float) * G->nact);
    if (mg->nlev == 0) {
        /* tiny grid: symmetric Gauss-Seidel sweeps only */
        for (int s = 0; s < MG_COARSE_SWEEPS; s++) {
            fib__tg_gs(G, z, r, 0);
            fib__tg_gs(G, z, r, 1);
        }
        for (int s = 0; s < MG_COARSE_SWEEPS; s++) {
            fib__tg_gs(G, z, r, 1);
            fib__tg_gs(G, z, r, 0);
        }
        return;
    }
    fib__tg_gs(G, z, r, 0);
    fib__tg_gs(G, z, r, 1);
    fib__tg_restrict(G, z, r, &mg->lev[0]);
    cycle(mg, 0, true);
    if (MG_GAMMA == 2 && mg->nlev > 1)
        cycle(mg, 0, false);
    fib__tg_prolong(G, z, &mg->lev[0], MG_OVERCORRECT);
    fib__tg_gs(G, z, r, 1);
    fib__tg_gs(G, z, r, 0);
}

int fib__mg_levels(const fib__mg *mg)
{
    return mg->nlev + 1;
}

size_t fib__mg_bytes(const fib__mg *mg)
{
    size_t b = 0;
    for (int l = 0; l < mg->nlev; l++)
        b += 6 * sizeof(float) * mg->lev[l].n;
    return b;
}
