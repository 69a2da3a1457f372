/*
 * tortuosity_mg.c -- multigrid preconditioner for the tortuosity solver.
 *
 * Aggregation multigrid on the voxel grid: each coarse cell is a 2x2x2
 * block of fine cells, prolongation is piecewise constant and the coarse
 * operator is the Galerkin product P^T A P.  For a 7-point stencil the
 * Galerkin operator is again a 7-point stencil: the coupling between two
 * face-adjacent blocks is the sum of the fine couplings across their
 * shared face, and the coarse diagonal is the sum of the fine diagonals
 * minus twice the couplings inside the block (Braess, "Towards algebraic
 * multigrid for elliptic problems of second order", Computing 55:379,
 * 1995; Vanek, Mandel & Brezina 1996 for aggregation AMG).  The smoother
 * is red-black Gauss-Seidel, one forward sweep (red, black) before and one
 * backward sweep (black, red) after the coarse correction, so that the
 * V-cycle is a symmetric positive definite operator usable as a CG
 * preconditioner.  The piecewise-constant coarse correction is scaled by
 * MG_OVERCORRECT (Braess 1995 recommends ~1.8 for the Laplacian).  Every
 * loop is over z slices with no reductions, so results do not depend on
 * the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

#define MG_OVERCORRECT 1.8
#ifndef MG_GAMMA
#define MG_GAMMA 2 /* 1 = V-cycle, 2 = W-cycle */
#endif
#define MG_COARSEST 512 /* cells: below this, many smoothing sweeps */
#define MG_COARSE_SWEEPS 40

typedef struct mglevel {
    size_t nx, ny, nz, n;
    double *gx, *gy, *gz; /* coupling to the +x/+y/+z neighbour */
    double *diag;         /* 0 = inactive cell */
    double *x, *b, *r;
    double *x2, *b2; /* second coarse solve of the W-cycle */
    /* finest level: matrix-free from the neighbour codes (1 byte/cell
       instead of 32); gx..diag are NULL there */
    const uint8_t *code;
    double g[3], gb;
} mglevel;

struct fib__mg {
    int nlev;
    mglevel lev[24];
};

static void level_free(mglevel *L)
{
    free(L->gx);
    free(L->gy);
    free(L->gz);
    free(L->diag);
    free(L->x);
    free(L->b);
    free(L->r);
    free(L->x2);
    free(L->b2);
}

static bool level_alloc(mglevel *L, bool vectors_xb)
{
    if (L->code) {
        L->r = calloc(L->n, sizeof(double));
        return L->r != NULL;
    }
    L->gx = calloc(L->n, sizeof(double));
    L->gy = calloc(L->n, sizeof(double));
    L->gz = calloc(L->n, sizeof(double));
    L->diag = calloc(L->n, sizeof(double));
    L->r = calloc(L->n, sizeof(double));
    if (vectors_xb) {
        L->x = calloc(L->n, sizeof(double));
        L->b = calloc(L->n, sizeof(double));
        L->x2 = calloc(L->n, sizeof(double));
        L->b2 = calloc(L->n, sizeof(double));
    }
    return L->gx && L->gy && L->gz && L->diag && L->r &&
           (!vectors_xb || (L->x && L->b && L->x2 && L->b2));
}

static inline double diag_at(const mglevel *L, size_t i)
{
    if (!L->code)
        return L->diag[i];
    uint8_t c = L->code[i];
    if (!c)
        return 0;
    double d = 0;
    if (c & 1)
        d += L->g[0];
    if (c & 2)
        d += L->g[0];
    if (c & 4)
        d += L->g[1];
    if (c & 8)
        d += L->g[1];
    if (c & 16)
        d += L->g[2];
    if (c & 32)
        d += L->g[2];
    if (c & 64)
        d += L->gb;
    if (c & 128)
        d += L->gb;
    return d;
}

static inline double gx_at(const mglevel *L, size_t i)
{
    return L->code ? ((L->code[i] & 2) ? L->g[0] : 0.0) : L->gx[i];
}

static inline double gy_at(const mglevel *L, size_t i)
{
    return L->code ? ((L->code[i] & 8) ? L->g[1] : 0.0) : L->gy[i];
}

static inline double gz_at(const mglevel *L, size_t i)
{
    return L->code ? ((L->code[i] & 32) ? L->g[2] : 0.0) : L->gz[i];
}

void fib__mg_destroy(fib__mg *mg)
{
    if (!mg)
        return;
    for (int l = 0; l < mg->nlev; l++)
        level_free(&mg->lev[l]);
    free(mg);
}

fib_status fib__mg_create(const uint8_t *code, size_t nx, size_t ny, size_t nz,
                          const double g[3], double gb, fib__mg **out,
                          fib_error *err)
{
    fib__mg *mg = calloc(1, sizeof *mg);
    *out = NULL;
    if (!mg)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    mglevel *L = &mg->lev[0];
    L->nx = nx;
    L->ny = ny;
    L->nz = nz;
    L->n = nx * ny * nz;
    mg->nlev = 1;
    /* the finest level borrows x and b from the caller (see apply) and
       reads its stencil from the codes */
    L->code = code;
    memcpy(L->g, g, sizeof L->g);
    L->gb = gb;
    if (!level_alloc(L, false))
        goto nomem;
    while (mg->nlev < 24) {
        mglevel *F = &mg->lev[mg->nlev - 1];
        if (F->n <= MG_COARSEST || (F->nx <= 2 && F->ny <= 2 && F->nz <= 2))
            break;
        mglevel *Cl = &mg->lev[mg->nlev];
        Cl->nx = (F->nx + 1) / 2;
        Cl->ny = (F->ny + 1) / 2;
        Cl->nz = (F->nz + 1) / 2;
        Cl->n = Cl->nx * Cl->ny * Cl->nz;
        mg->nlev++;
        if (!level_alloc(Cl, true))
            goto nomem;
            /* Galerkin coarse operator; coarse slice K gathers fine z = 2K,
               2K+1 only, so slices are independent */
#pragma omp parallel for schedule(static) if (F->n > 65536)
        for (size_t K = 0; K < Cl->nz; K++)
            for (size_t z = 2 * K; z < 2 * K + 2 && z < F->nz; z++)
                for (size_t y = 0; y < F->ny; y++)
                    for (size_t x = 0; x < F->nx; x++) {
                        size_t i = (z * F->ny + y) * F->nx + x;
                        double d = diag_at(F, i);
                        if (d == 0)
                            continue;
                        size_t I = (K * Cl->ny + y / 2) * Cl->nx + x / 2;
                        double fx = gx_at(F, i), fy = gy_at(F, i),
                               fz = gz_at(F, i);
                        if (x & 1)
                            Cl->gx[I] += fx;
                        else
                            d -= 2 * fx;
                        if (y & 1)
                            Cl->gy[I] += fy;
                        else
                            d -= 2 * fy;
                        if (z & 1)
                            Cl->gz[I] += fz;
                        else
                            d -= 2 * fz;
                        Cl->diag[I] += d;
                    }
    }
    *out = mg;
    return FIB_OK;
nomem:
    fib__mg_destroy(mg);
    return fib_error_set(err, FIB_ENOMEM,
                         "recon: out of memory for the multigrid levels");
}

/* Sum of couplings times neighbour values at cell i of (x, y, z). */
static inline double nb_sum(const mglevel *L, const double *v, size_t i,
                            size_t x, size_t y, size_t z)
{
    size_t nxy = L->nx * L->ny;
    double s = 0;
    if (L->code) {
        uint8_t c = L->code[i];
        if (c & 1)
            s += L->g[0] * v[i - 1];
        if (c & 2)
            s += L->g[0] * v[i + 1];
        if (c & 4)
            s += L->g[1] * v[i - L->nx];
        if (c & 8)
            s += L->g[1] * v[i + L->nx];
        if (c & 16)
            s += L->g[2] * v[i - nxy];
        if (c & 32)
            s += L->g[2] * v[i + nxy];
        return s;
    }
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

static void gs_color(const mglevel *L, double *x, const double *b, int color)
{
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t z = 0; z < L->nz; z++)
        for (size_t y = 0; y < L->ny; y++) {
            size_t x0 = (size_t)((color + (int)((y + z) & 1)) & 1);
            for (size_t xx = x0; xx < L->nx; xx += 2) {
                size_t i = (z * L->ny + y) * L->nx + xx;
                double d = diag_at(L, i);
                if (d == 0)
                    continue;
                x[i] = (b[i] + nb_sum(L, x, i, xx, y, z)) / d;
            }
        }
}

static void residual(const mglevel *L, const double *x, const double *b,
                     double *r)
{
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t z = 0; z < L->nz; z++)
        for (size_t y = 0; y < L->ny; y++)
            for (size_t xx = 0; xx < L->nx; xx++) {
                size_t i = (z * L->ny + y) * L->nx + xx;
                double d = diag_at(L, i);
                r[i] = d == 0 ? 0 : b[i] - d * x[i] + nb_sum(L, x, i, xx, y, z);
            }
}

static void vcycle(fib__mg *mg, int l, double *x, const double *b)
{
    mglevel *L = &mg->lev[l];
    memset(x, 0, sizeof(double) * L->n);
    if (l == mg->nlev - 1) {
        for (int s = 0; s < MG_COARSE_SWEEPS; s++) {
            gs_color(L, x, b, 0);
            gs_color(L, x, b, 1);
        }
        for (int s = 0; s < MG_COARSE_SWEEPS; s++) {
            gs_color(L, x, b, 1);
            gs_color(L, x, b, 0);
        }
        return;
    }
    gs_color(L, x, b, 0);
    gs_color(L, x, b, 1);
    residual(L, x, b, L->r);
    mglevel *Cl = &mg->lev[l + 1];
    memset(Cl->b, 0, sizeof(double) * Cl->n);
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t K = 0; K < Cl->nz; K++)
        for (size_t z = 2 * K; z < 2 * K + 2 && z < L->nz; z++)
            for (size_t y = 0; y < L->ny; y++)
                for (size_t xx = 0; xx < L->nx; xx++) {
                    size_t i = (z * L->ny + y) * L->nx + xx;
                    Cl->b[(K * Cl->ny + y / 2) * Cl->nx + xx / 2] += L->r[i];
                }
    vcycle(mg, l + 1, Cl->x, Cl->b);
    if (MG_GAMMA == 2 && l + 1 < mg->nlev - 1) {
        /* W-cycle: a second coarse solve on the coarse residual */
        residual(Cl, Cl->x, Cl->b, Cl->b2);
        vcycle(mg, l + 1, Cl->x2, Cl->b2);
        for (size_t k = 0; k < Cl->n; k++)
            Cl->x[k] += Cl->x2[k];
    }
#pragma omp parallel for schedule(static) if (L->n > 65536)
    for (size_t z = 0; z < L->nz; z++)
        for (size_t y = 0; y < L->ny; y++)
            for (size_t xx = 0; xx < L->nx; xx++) {
                size_t i = (z * L->ny + y) * L->nx + xx;
                if (diag_at(L, i) != 0)
                    x[i] += MG_OVERCORRECT *
                            Cl->x[((z / 2) * Cl->ny + y / 2) * Cl->nx + xx / 2];
            }
    gs_color(L, x, b, 1);
    gs_color(L, x, b, 0);
}

void fib__mg_apply(fib__mg *mg, const double *r, double *z)
{
    vcycle(mg, 0, z, r);
}

int fib__mg_levels(const fib__mg *mg)
{
    return mg->nlev;
}
