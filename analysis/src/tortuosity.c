/*
 * tortuosity.c -- tortuosity factor by steady-state diffusion on the
 * voxels of one phase (TauFactor's definition; see fib/measure.h and
 * analysis/MEASURE.md).
 *
 * Discretisation: cell-centred finite volumes, 7-point stencil.  Between
 * two face-adjacent phase voxels along axis a the conductance is
 * g_a = (area of the shared face) / (centre distance) = s_b s_c / s_a.  At
 * the inlet/outlet faces the fixed concentration sits on the outer face of
 * the boundary voxel, half a voxel away: conductance 2 g_a (TauFactor's
 * ghost layer with weight 2).  Only the 6-connected clusters touching both
 * faces take part (elsewhere the field is undetermined or carries no
 * flux).  The system A c = b is symmetric positive definite; it is solved
 * by conjugate gradients (Hestenes & Stiefel 1952) preconditioned with one
 * aggregation-multigrid V-cycle (tortuosity_mg.c; or the Jacobi diagonal
 * when opts->jacobi), on the full grid, starting from the linear ramp.  All
 * reductions are per z slice into an array summed in order, so results do not
 * depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "fib/threads.h"
#include "analysis_internal.h"
#include "tortuosity_internal.h"

/* Phase 1: the rank structure of the voxels of the 6-connected clusters
 * of @p mask that touch both faces normal to G->axis (G->bits, G->wbase,
 * G->nact). */
static fib_status percolating_grid(const fib_volume *mask, fib__tgrid *G,
                                   fib_error *err)
{
    fib_volume lab = {0};
    size_t nl = 0;
    const size_t nx = G->nx, nrows = G->ny * G->nz, W = G->W;
    const size_t na = G->axis == 0 ? G->nx : G->axis == 1 ? G->ny : G->nz;
    fib_status st = fib_recon_label(mask, 6, &lab, &nl, err);
    if (st != FIB_OK)
        return st;
    uint8_t *in_set = calloc(nl + 1, 1);
    G->bits = calloc(nrows * W, sizeof(uint64_t));
    G->wbase = malloc(sizeof(uint64_t) * (nrows * W + 1));
    if (!in_set || !G->bits || !G->wbase) {
        fib_volume_clear(&lab);
        free(in_set);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    const uint32_t *l = lab.data;
    for (size_t row = 0; row < nrows; row++)
        for (size_t x = 0; x < nx; x++) {
            uint32_t v = l[row * nx + x];
            if (!v)
                continue;
            size_t y = row % G->ny, z = row / G->ny;
            size_t t = G->axis == 0 ? x : G->axis == 1 ? y : z;
            if (t == 0)
                in_set[v] |= 1;
            if (t == na - 1)
                in_set[v] |= 2;
        }
#pragma omp parallel for schedule(static)
    for (size_t row = 0; row < nrows; row++)
        for (size_t x = 0; x < nx; x++) {
            uint32_t v = l[row * nx + x];
            if (v && in_set[v] == 3)
                G->bits[row * W + x / 64] |= 1ull << (x % 64);
        }
    fib_volume_clear(&lab);
    free(in_set);
    uint64_t k = 0;
    for (size_t w = 0; w < nrows * W; w++) {
        G->wbase[w] = k;
        k += fib__popc64(G->bits[w]);
    }
    G->wbase[nrows * W] = k;
    G->nact = (size_t)k;
    return FIB_OK;
}

/* The preconditioned conjugate-gradient state (phase 2).  The iterate x is
 * double; r, p and w (A p, then M^-1 r) are float. */
typedef struct pcg {
    fib__tgrid *G;
    double *x;
    float *r, *p, *w;
    fib__mg *mg; /* NULL: Jacobi diagonal */
    size_t it;
    double relres;
    bool conv;
} pcg;

/* first unknown of slice z (z = nz: their number) */
static inline size_t slice_lo(const fib__tgrid *G, size_t z)
{
    return (size_t)G->wbase[z * G->ny * G->W];
}

static double sum_parts(const fib__tgrid *G)
{
    double t = 0;
    for (size_t z = 0; z < G->nz; z++)
        t += G->part[z];
    return t;
}

/* w = M^-1 r; returns r . w */
static double precondition(pcg *P)
{
    const fib__tgrid *G = P->G;
    if (P->mg)
        fib__mg_apply(P->mg, P->r, P->w);
    else
        fib__tg_jacobi(G, P->r, P->w);
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < G->nz; z++) {
        double acc = 0;
        for (size_t i = slice_lo(G, z); i < slice_lo(G, z + 1); i++)
            acc += (double)P->r[i] * (double)P->w[i];
        G->part[z] = acc;
    }
    return sum_parts(G);
}

/* x += alpha p; r -= alpha w; returns ||r||^2 */
static double cg_update(pcg *P, double alpha)
{
    const fib__tgrid *G = P->G;
    const float af = (float)alpha;
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < G->nz; z++) {
        double acc = 0;
        for (size_t i = slice_lo(G, z); i < slice_lo(G, z + 1); i++) {
            P->x[i] += alpha * (double)P->p[i];
            P->r[i] -= af * P->w[i];
            acc += (double)P->r[i] * (double)P->r[i];
        }
        G->part[z] = acc;
    }
    return sum_parts(G);
}

/* The float residual recurrence drifts from the true residual b - A x by
 * about float epsilon times the largest residual since it was last
 * recomputed; recomputing it (in double, from the double x) whenever it
 * has fallen by RELIABLE_DROP, and always before declaring convergence,
 * keeps the drift below 1e-3 of the current residual ("reliable updates",
 * Sleijpen & van der Vorst, Computing 56:141, 1996).  The reported
 * rel_residual is always such a recomputed true residual. */
#define RELIABLE_DROP 1e-3

/* Phase 2: PCG (Hestenes & Stiefel 1952) from the linear ramp until the
 * true relative residual falls below @p tol or @p max_iter iterations. */
static fib_status pcg_solve(pcg *P, double tol, size_t max_iter,
                            const fib_progress *progress, fib_error *err)
{
    const fib__tgrid *G = P->G;
    double bb = 0;
    fib__tg_ramp(G, P->x);
    double rn = sqrt(fib__tg_residual(G, P->x, P->r, &bb));
    const double bnorm = sqrt(bb);
    double last_true = rn;
    P->relres = rn / bnorm;
    P->it = 0;
    P->conv = P->relres < tol;
    if (P->conv)
        return FIB_OK;
    double rz = precondition(P);
    memcpy(P->p, P->w, sizeof(float) * G->nact);
    while (P->it < max_iter) {
        double pq = fib__tg_apply(G, P->p, P->w);
        if (!(pq > 0))
            break;
        rn = sqrt(cg_update(P, rz / pq));
        P->it++;
        if (rn / bnorm < tol || rn < RELIABLE_DROP * last_true) {
            rn = sqrt(fib__tg_residual(G, P->x, P->r, NULL));
            last_true = rn;
            if (rn / bnorm < tol) {
                P->relres = rn / bnorm;
                P->conv = true;
                return FIB_OK;
            }
        }
        P->relres = rn / bnorm;
        double rz_new = precondition(P);
        const float beta = (float)(rz_new / rz);
        rz = rz_new;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < G->nact; i++)
            P->p[i] = P->w[i] + beta * P->p[i];
        if (P->it % 50 == 0) {
            fib_status st = fib_progress_report(progress, "tortuosity", P->it,
                                                max_iter, err);
            if (st != FIB_OK)
                return st;
        }
    }
    /* not converged: report the true residual */
    P->relres = sqrt(fib__tg_residual(G, P->x, P->r, NULL)) / bnorm;
    return FIB_OK;
}

/* Phase 3: fluxes through the two faces (fixed order), D_eff and tau. */
static void fluxes(const pcg *P, const size_t dims[3], const double sp[3],
                   fib_tort_result *out)
{
    const int axis = P->G->axis;
    double fin = 0, fout = 0;
    fib__tg_flux(P->G, P->x, &fin, &fout);
    double L = (double)dims[axis] * sp[axis], A = 1;
    for (int a = 0; a < 3; a++)
        if (a != axis)
            A *= (double)dims[a] * sp[a];
    double F = 0.5 * (fin + fout);
    out->flux_in = fin;
    out->flux_out = fout;
    out->flux_mismatch = fin > 0 ? fabs(fin - fout) / fin : HUGE_VAL;
    out->d_eff_rel = F * L / A;
    out->tau = out->d_eff_rel > 0 ? out->eps / out->d_eff_rel : HUGE_VAL;
}

/* The local flux map (fib_tort_opts.flux_map): per active voxel the
 * mean of its two face flux densities along each axis (D = 1: (c_i -
 * c_j) / s_a between voxels, (1 - c) / (s_a / 2) at the inlet face, c /
 * (s_a / 2) at the outlet face, 0 at walls), |J| divided by the mean of
 * the axial component over the active voxels (fixed-order sum). */
static fib_status flux_field(const fib__tgrid *G, const double *xc,
                             const fib_volume *mask, fib_volume *out,
                             fib_error *err)
{
    const size_t nx = G->nx, ny = G->ny, nz = G->nz, W = G->W;
    fib_status st = fib_volume_init(out, FIB_PX_F32, nx, ny, nz, err);
    if (st != FIB_OK)
        return st;
    memcpy(out->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
    memcpy(out->origin_nm, mask->origin_nm, sizeof(double) * 3);
    double sp[3];
    fib__vol_spacing(mask, sp);
    float *f = out->data;
    const int ax = G->axis;
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < nz; z++) {
        double acc = 0;
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                const size_t wi = (z * ny + y) * W + x / 64;
                const unsigned b = (unsigned)(x % 64);
                const size_t o = (z * ny + y) * nx + x;
                f[o] = 0;
                if (!(G->bits[wi] >> b & 1))
                    continue;
                const size_t i = (size_t)G->wbase[wi] +
                                 fib__popc64(G->bits[wi] & ((1ull << b) - 1));
                size_t nb[6];
                const unsigned c = fib__tg_cell(G, wi, b, x, y, z, i, nb);
                const double ci = xc[i];
                double j2 = 0;
                for (int a = 0; a < 3; a++) {
                    double jm = 0, jp = 0;
                    if (c & (1u << (2 * a)))
                        jm = (xc[nb[2 * a]] - ci) / sp[a];
                    else if (a == ax && (c & FIB__T_IN))
                        jm = (1 - ci) / (0.5 * sp[a]);
                    if (c & (2u << (2 * a)))
                        jp = (ci - xc[nb[2 * a + 1]]) / sp[a];
                    else if (a == ax && (c & FIB__T_OUT))
                        jp = ci / (0.5 * sp[a]);
                    const double ja = 0.5 * (jm + jp);
                    j2 += ja * ja;
                    if (a == ax)
                        acc += ja;
                }
                f[o] = (float)sqrt(j2);
            }
        G->part[z] = acc;
    }
    const double mean = sum_parts(G) / (double)G->nact;
    const size_t n = nx * ny * nz;
    if (mean > 0)
        for (size_t i = 0; i < n; i++)
            f[i] = (float)((double)f[i] / mean);
    return FIB_OK;
}

static fib_status check_input(const fib_volume *mask, int axis, fib_error *err)
{
    fib_status st = fib__vol_check(mask, "tortuosity input", err);
    if (st != FIB_OK)
        return st;
    if (mask->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: tortuosity mask must be u8 (got %s)",
                             fib_pixel_type_name(mask->type));
    if (axis < 0 || axis > 2)
        return fib_error_set(
            err, FIB_EINVAL,
            "recon: tortuosity axis must be 0, 1 or 2 (got %d)", axis);
    return FIB_OK;
}

/* Phase 2 set-up: vectors and preconditioner, then the solve. */
static fib_status solve(pcg *P, const fib_tort_opts *opts,
                        const fib_progress *progress, fib_error *err)
{
    const size_t n = P->G->nact;
    double tol = opts && opts->rel_tol > 0 ? opts->rel_tol : 1e-6;
    size_t max_iter = opts && opts->max_iter ? opts->max_iter : 20000;
    P->x = malloc(sizeof(double) * n);
    P->r = malloc(sizeof(float) * n);
    P->p = malloc(sizeof(float) * n);
    P->w = malloc(sizeof(float) * n);
    if (!P->x || !P->r || !P->p || !P->w || !fib__tg_slabs(P->G))
        return fib_error_set(err, FIB_ENOMEM,
                             "recon: out of memory for the tortuosity solver "
                             "(%zu unknowns, 20 bytes each)",
                             n);
    if (!(opts && opts->jacobi)) {
        fib_status st = fib__mg_create(P->G, &P->mg, err);
        if (st != FIB_OK)
            return st;
    }
    fib_status st = pcg_solve(P, tol, max_iter, progress, err);
    if (st == FIB_OK && !P->conv)
        st = fib_error_set(err, FIB_ENUMERIC,
                           "recon: tortuosity solver did not reach relative "
                           "residual %g in %zu iterations (got %g)",
                           tol, P->it, P->relres);
    return st;
}

static fib_status tortuosity_body(const fib_volume *mask, int axis,
                                  const fib_tort_opts *opts,
                                  fib_tort_result *out,
                                  const fib_progress *progress, fib_error *err)
{
    fib_status st;
    fib__tgrid G = {0};
    pcg P = {.G = &G};
    memset(out, 0, sizeof *out);
    out->tau = HUGE_VAL;
    if (opts && opts->flux_map)
        memset(opts->flux_map, 0, sizeof *opts->flux_map);
    if ((st = check_input(mask, axis, err)) != FIB_OK)
        return st;
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz, n = nx * ny * nz;
    size_t dims[3] = {nx, ny, nz};
    double sp[3];
    fib__vol_spacing(mask, sp);
    const uint8_t *m = mask->data;
    size_t nphase = 0;
    for (size_t i = 0; i < n; i++)
        nphase += m[i] != 0;
    out->eps = (double)nphase / (double)n;
    G = (fib__tgrid){.nx = nx,
                     .ny = ny,
                     .nz = nz,
                     .W = (nx + 63) / 64,
                     .axis = axis,
                     .g = {sp[1] * sp[2] / sp[0], sp[0] * sp[2] / sp[1],
                           sp[0] * sp[1] / sp[2]}};
    G.gb = 2.0 * G.g[axis];
    fib__tg_tables(&G);
    G.part = calloc(nz, sizeof *G.part);
    if (!G.part) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    if ((st = percolating_grid(mask, &G, err)) != FIB_OK)
        goto done;
    out->unknowns = G.nact;
    out->eps_percolating = (double)G.nact / (double)n;
    out->percolating = G.nact > 0;
    if (G.nact == 0) {
        out->tau = HUGE_VAL;
        out->d_eff_rel = 0;
        out->converged = true;
        if (opts && opts->flux_map) { /* no flux anywhere */
            st = fib_volume_init(opts->flux_map, FIB_PX_F32, nx, ny, nz, err);
            if (st == FIB_OK)
                memcpy(opts->flux_map->voxel_size_nm, mask->voxel_size_nm,
                       sizeof(double) * 3);
        }
        goto done;
    }
    st = solve(&P, opts, progress, err);
    if (st != FIB_OK && st != FIB_ENUMERIC)
        goto done;
    fluxes(&P, dims, sp, out);
    if (opts && opts->flux_map) {
        const fib_status fs = flux_field(&G, P.x, mask, opts->flux_map, err);
        if (fs != FIB_OK)
            st = fs;
    }
    out->iterations = P.it;
    out->mg_levels = P.mg ? fib__mg_levels(P.mg) : 0;
    out->rel_residual = P.relres;
    out->converged = P.conv;
done:
    free(G.part);
    free(G.bits);
    free(G.wbase);
    free(G.slab);
    free(P.x);
    free(P.r);
    free(P.p);
    free(P.w);
    fib__mg_destroy(P.mg);
    if (st != FIB_OK && st != FIB_ENUMERIC && opts && opts->flux_map)
        fib_volume_clear(opts->flux_map);
    return st;
}

fib_status fib_recon_tortuosity(const fib_volume *mask, int axis,
                                const fib_tort_opts *opts, fib_tort_result *out,
                                const fib_progress *progress, fib_error *err)
{
    fib_threads_scope ts = fib_threads_begin(opts ? opts->threads : 0);
    fib_status st = tortuosity_body(mask, axis, opts, out, progress, err);
    fib_threads_end(ts);
    return st;
}

/* ---- the multigrid preconditioner for other operators on the same
 *      voxels (measure_conductivity.c; analysis_internal.h) ------------- */

struct fib__tort_pc {
    fib__tgrid G;
    fib__mg *mg;
};

fib_status fib__tort_pc_create(const fib_volume *mask, int axis,
                               fib__tort_pc **out, size_t *nact, fib_error *err)
{
    *out = NULL;
    *nact = 0;
    fib_status st = check_input(mask, axis, err);
    if (st != FIB_OK)
        return st;
    fib__tort_pc *pc = calloc(1, sizeof *pc);
    if (!pc)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    double sp[3];
    fib__vol_spacing(mask, sp);
    fib__tgrid *G = &pc->G;
    *G = (fib__tgrid){.nx = mask->nx,
                      .ny = mask->ny,
                      .nz = mask->nz,
                      .W = (mask->nx + 63) / 64,
                      .axis = axis,
                      .g = {sp[1] * sp[2] / sp[0], sp[0] * sp[2] / sp[1],
                            sp[0] * sp[1] / sp[2]}};
    G->gb = 2.0 * G->g[axis];
    fib__tg_tables(G);
    G->part = calloc(G->nz, sizeof *G->part);
    if (!G->part)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (st == FIB_OK)
        st = percolating_grid(mask, G, err);
    if (st == FIB_OK && G->nact && !fib__tg_slabs(G))
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (st == FIB_OK && G->nact)
        st = fib__mg_create(G, &pc->mg, err);
    if (st != FIB_OK) {
        fib__tort_pc_destroy(pc);
        return st;
    }
    *nact = G->nact;
    *out = pc;
    return FIB_OK;
}

void fib__tort_pc_apply(fib__tort_pc *pc, const float *r, float *z)
{
    fib__mg_apply(pc->mg, r, z);
}

void fib__tort_pc_destroy(fib__tort_pc *pc)
{
    if (!pc)
        return;
    free(pc->G.part);
    free(pc->G.bits);
    free(pc->G.wbase);
    free(pc->G.slab);
    fib__mg_destroy(pc->mg);
    free(pc);
}
