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

enum {
    NB_XM = 1,
    NB_XP = 2,
    NB_YM = 4,
    NB_YP = 8,
    NB_ZM = 16,
    NB_ZP = 32,
    IN_FACE = 64,
    OUT_FACE = 128
};

typedef struct tsys {
    const uint8_t *code;
    size_t nx, ny, nz, nxy;
    double g[3]; /* conductances x, y, z */
    double gb;   /* boundary conductance 2 g_axis */
    int axis;
    double *part; /* nz partial sums */
} tsys;

static inline double diag_of(const tsys *s, uint8_t c)
{
    double d = 0;
    if (c & NB_XM)
        d += s->g[0];
    if (c & NB_XP)
        d += s->g[0];
    if (c & NB_YM)
        d += s->g[1];
    if (c & NB_YP)
        d += s->g[1];
    if (c & NB_ZM)
        d += s->g[2];
    if (c & NB_ZP)
        d += s->g[2];
    if (c & IN_FACE)
        d += s->gb;
    if (c & OUT_FACE)
        d += s->gb;
    return d;
}

static inline double apply_at(const tsys *s, const double *p, size_t i,
                              uint8_t c)
{
    double v = diag_of(s, c) * p[i];
    if (c & NB_XM)
        v -= s->g[0] * p[i - 1];
    if (c & NB_XP)
        v -= s->g[0] * p[i + 1];
    if (c & NB_YM)
        v -= s->g[1] * p[i - s->nx];
    if (c & NB_YP)
        v -= s->g[1] * p[i + s->nx];
    if (c & NB_ZM)
        v -= s->g[2] * p[i - s->nxy];
    if (c & NB_ZP)
        v -= s->g[2] * p[i + s->nxy];
    return v;
}

static double sum_parts(const tsys *s)
{
    double t = 0;
    for (size_t z = 0; z < s->nz; z++)
        t += s->part[z];
    return t;
}

/* q = A p; returns p . q */
static double op_apply(const tsys *s, const double *p, double *q)
{
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < s->nz; z++) {
        double acc = 0;
        size_t i0 = z * s->nxy;
        for (size_t i = i0; i < i0 + s->nxy; i++) {
            uint8_t c = s->code[i];
            if (!c) {
                q[i] = 0;
                continue;
            }
            double v = apply_at(s, p, i, c);
            q[i] = v;
            acc += p[i] * v;
        }
        s->part[z] = acc;
    }
    return sum_parts(s);
}

static size_t coord(const tsys *s, size_t i, int a)
{
    if (a == 0)
        return i % s->nx;
    if (a == 1)
        return (i / s->nx) % s->ny;
    return i / s->nxy;
}

/* Phase 1: code[i] = 1 for the voxels of the 6-connected clusters of
 * @p mask that touch both faces normal to S->axis, else 0; *nact = their
 * number. */
static fib_status percolating_voxels(const fib_volume *mask, const tsys *S,
                                     const size_t dims[3], uint8_t *code,
                                     size_t *nact, fib_error *err)
{
    fib_volume lab = {0};
    size_t nl = 0, n = S->nxy * S->nz;
    fib_status st = fib_recon_label(mask, 6, &lab, &nl, err);
    if (st != FIB_OK)
        return st;
    uint8_t *in_set = calloc(nl + 1, 1);
    if (!in_set) {
        fib_volume_clear(&lab);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    const uint32_t *l = lab.data;
    for (size_t i = 0; i < n; i++) {
        if (!l[i])
            continue;
        size_t t = coord(S, i, S->axis);
        if (t == 0)
            in_set[l[i]] |= 1;
        if (t == dims[S->axis] - 1)
            in_set[l[i]] |= 2;
    }
    *nact = 0;
    for (size_t i = 0; i < n; i++) {
        bool act = l[i] && in_set[l[i]] == 3;
        code[i] = act;
        *nact += act;
    }
    fib_volume_clear(&lab);
    free(in_set);
    return FIB_OK;
}

/* Phase 2: turn the 0/1 activity of @p code into the neighbour and face
 * bits of each active voxel (in place). */
static fib_status neighbour_codes(const tsys *S, const size_t dims[3],
                                  uint8_t *code, fib_error *err)
{
    const size_t nx = S->nx, ny = S->ny, nz = S->nz, n = S->nxy * nz;
    const int axis = S->axis;
    uint8_t *act = malloc(n);
    if (!act)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    memcpy(act, code, n);
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t xx = 0; xx < nx; xx++) {
                size_t i = (z * ny + y) * nx + xx;
                if (!act[i]) {
                    code[i] = 0;
                    continue;
                }
                uint8_t c = 0;
                size_t cc[3] = {xx, y, z};
                if (xx > 0 && act[i - 1])
                    c |= NB_XM;
                if (xx + 1 < nx && act[i + 1])
                    c |= NB_XP;
                if (y > 0 && act[i - nx])
                    c |= NB_YM;
                if (y + 1 < ny && act[i + nx])
                    c |= NB_YP;
                if (z > 0 && act[i - nx * ny])
                    c |= NB_ZM;
                if (z + 1 < nz && act[i + nx * ny])
                    c |= NB_ZP;
                if (cc[axis] == 0)
                    c |= IN_FACE;
                if (cc[axis] == dims[axis] - 1)
                    c |= OUT_FACE;
                code[i] = c;
            }
    free(act);
    return FIB_OK;
}

/* The preconditioned conjugate-gradient state (phase 3). */
typedef struct pcg {
    tsys S;
    size_t n;
    double *x, *r, *p, *q;
    double *zv;  /* M^-1 r of the multigrid (NULL: Jacobi) */
    fib__mg *mg; /* NULL: Jacobi diagonal */
    double rz;   /* r . M^-1 r */
    size_t it;
    double relres;
    bool conv;
} pcg;

/* r . z with z = M^-1 r (zv of the multigrid, after fib__mg_apply, or the
 * Jacobi diagonal); z is also stored in @p z_out when not NULL. */
static double precond_dot(pcg *P, double *z_out)
{
    const tsys *S = &P->S;
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < S->nz; z++) {
        double acc = 0;
        for (size_t i = z * S->nxy; i < (z + 1) * S->nxy; i++) {
            uint8_t c = S->code[i];
            if (!c)
                continue;
            double zi = P->mg ? P->zv[i] : P->r[i] / diag_of(S, c);
            if (z_out)
                z_out[i] = zi;
            acc += P->r[i] * zi;
        }
        S->part[z] = acc;
    }
    return sum_parts(S);
}

/* x0 = linear ramp 1 -> 0 between the faces; r0 = b - A x0; p0 = M^-1 r0.
 * Returns |b|. */
static double pcg_start(pcg *P, double na)
{
    const tsys *S = &P->S;
    const int axis = S->axis;
    double *x = P->x, *r = P->r, *p = P->p;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < P->n; i++) {
        if (!S->code[i]) {
            x[i] = 0;
            continue;
        }
        x[i] = 1.0 - ((double)coord(S, i, axis) + 0.5) / na;
    }
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < S->nz; z++) {
        double acc = 0;
        for (size_t i = z * S->nxy; i < (z + 1) * S->nxy; i++) {
            uint8_t c = S->code[i];
            if (!c) {
                r[i] = p[i] = 0;
                continue;
            }
            double b = (c & IN_FACE) ? S->gb : 0.0;
            acc += b * b;
            r[i] = b - apply_at(S, x, i, c);
        }
        S->part[z] = acc;
    }
    double bnorm = sqrt(sum_parts(S));
    if (P->mg)
        fib__mg_apply(P->mg, r, P->zv);
    P->rz = precond_dot(P, p);
    /* initial residual norm */
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < S->nz; z++) {
        double acc = 0;
        for (size_t i = z * S->nxy; i < (z + 1) * S->nxy; i++)
            acc += r[i] * r[i];
        S->part[z] = acc;
    }
    P->relres = sqrt(sum_parts(S)) / bnorm;
    return bnorm;
}

/* Phase 3: PCG iterations from pcg_start() until the relative residual
 * falls below @p tol or @p max_iter iterations. */
static fib_status pcg_solve(pcg *P, double na, double tol, size_t max_iter,
                            const fib_progress *progress, fib_error *err)
{
    const tsys *S = &P->S;
    double *x = P->x, *r = P->r, *p = P->p, *q = P->q;
    const double bnorm = pcg_start(P, na);
    P->it = 0;
    P->conv = P->relres < tol;
    while (!P->conv && P->it < max_iter) {
        double pq = op_apply(S, p, q);
        if (!(pq > 0))
            break;
        double alpha = P->rz / pq;
#pragma omp parallel for schedule(static)
        for (size_t z = 0; z < S->nz; z++) {
            double acc = 0;
            for (size_t i = z * S->nxy; i < (z + 1) * S->nxy; i++) {
                if (!S->code[i])
                    continue;
                x[i] += alpha * p[i];
                r[i] -= alpha * q[i];
                acc += r[i] * r[i];
            }
            S->part[z] = acc;
        }
        P->relres = sqrt(sum_parts(S)) / bnorm;
        P->it++;
        if (P->relres < tol) {
            P->conv = true;
            break;
        }
        if (P->mg)
            fib__mg_apply(P->mg, r, P->zv);
        double rz_new = precond_dot(P, NULL);
        double beta = rz_new / P->rz;
        P->rz = rz_new;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < P->n; i++) {
            uint8_t c = S->code[i];
            if (c)
                p[i] = (P->mg ? P->zv[i] : r[i] / diag_of(S, c)) + beta * p[i];
        }
        if (P->it % 50 == 0) {
            fib_status st = fib_progress_report(progress, "tortuosity", P->it,
                                                max_iter, err);
            if (st != FIB_OK)
                return st;
        }
    }
    return FIB_OK;
}

/* Phase 4: fluxes through the two faces (fixed order), D_eff and tau. */
static void fluxes(const pcg *P, const size_t dims[3], const double sp[3],
                   fib_tort_result *out)
{
    const tsys *S = &P->S;
    const int axis = S->axis;
    double fin = 0, fout = 0;
    for (size_t i = 0; i < P->n; i++) {
        uint8_t c = S->code[i];
        if (c & IN_FACE)
            fin += S->gb * (1.0 - P->x[i]);
        if (c & OUT_FACE)
            fout += S->gb * P->x[i];
    }
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

static fib_status tortuosity_body(const fib_volume *mask, int axis,
                                  const fib_tort_opts *opts,
                                  fib_tort_result *out,
                                  const fib_progress *progress, fib_error *err)
{
    fib_status st;
    uint8_t *code = NULL;
    double *part = NULL;
    pcg P = {0};
    memset(out, 0, sizeof *out);
    out->tau = HUGE_VAL;
    if ((st = fib__vol_check(mask, "tortuosity input", err)) != FIB_OK)
        return st;
    if (mask->type != FIB_PX_U8)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: tortuosity mask must be u8 (got %s)",
                             fib_pixel_type_name(mask->type));
    if (axis < 0 || axis > 2)
        return fib_error_set(
            err, FIB_EINVAL,
            "recon: tortuosity axis must be 0, 1 or 2 (got %d)", axis);
    double tol = opts && opts->rel_tol > 0 ? opts->rel_tol : 1e-6;
    size_t max_iter = opts && opts->max_iter ? opts->max_iter : 20000;
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz, n = nx * ny * nz;
    size_t dims[3] = {nx, ny, nz};
    double sp[3];
    fib__vol_spacing(mask, sp);
    const uint8_t *m = mask->data;
    size_t nphase = 0;
    for (size_t i = 0; i < n; i++)
        nphase += m[i] != 0;
    out->eps = (double)nphase / (double)n;

    code = malloc(n);
    part = calloc(nz, sizeof *part);
    if (!code || !part) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    tsys *S = &P.S;
    *S = (tsys){.code = code,
                .nx = nx,
                .ny = ny,
                .nz = nz,
                .nxy = nx * ny,
                .axis = axis,
                .part = part};
    P.n = n;
    size_t nact = 0;
    if ((st = percolating_voxels(mask, S, dims, code, &nact, err)) != FIB_OK)
        goto done;
    out->unknowns = nact;
    out->eps_percolating = (double)nact / (double)n;
    if (nact == 0) {
        out->percolating = false;
        out->tau = HUGE_VAL;
        out->d_eff_rel = 0;
        out->converged = true;
        st = FIB_OK;
        goto done;
    }
    out->percolating = true;
    if ((st = neighbour_codes(S, dims, code, err)) != FIB_OK)
        goto done;
    S->g[0] = sp[1] * sp[2] / sp[0];
    S->g[1] = sp[0] * sp[2] / sp[1];
    S->g[2] = sp[0] * sp[1] / sp[2];
    S->gb = 2.0 * S->g[axis];

    P.x = malloc(sizeof(double) * n);
    P.r = malloc(sizeof(double) * n);
    P.p = malloc(sizeof(double) * n);
    P.q = malloc(sizeof(double) * n);
    bool use_mg = !(opts && opts->jacobi);
    if (use_mg) {
        P.zv = malloc(sizeof(double) * n);
        if (P.zv)
            st = fib__mg_create(code, nx, ny, nz, S->g, S->gb, &P.mg, err);
        if (st != FIB_OK)
            goto done;
    }
    if (!P.x || !P.r || !P.p || !P.q || (use_mg && (!P.zv || !P.mg))) {
        st = fib_error_set(err, FIB_ENOMEM,
                           "recon: out of memory for the tortuosity solver "
                           "(%zu voxels, about 33 bytes each)",
                           n);
        goto done;
    }
    st = pcg_solve(&P, (double)dims[axis], tol, max_iter, progress, err);
    if (st != FIB_OK)
        goto done;
    fluxes(&P, dims, sp, out);
    out->iterations = P.it;
    out->mg_levels = P.mg ? fib__mg_levels(P.mg) : 0;
    out->rel_residual = P.relres;
    out->converged = P.conv;
    if (!P.conv)
        st = fib_error_set(err, FIB_ENUMERIC,
                           "recon: tortuosity solver did not reach relative "
                           "residual %g in %zu iterations (got %g)",
                           tol, P.it, P.relres);
    else
        st = FIB_OK;
done:
    free(code);
    free(part);
    free(P.x);
    free(P.r);
    free(P.p);
    free(P.q);
    free(P.zv);
    fib__mg_destroy(P.mg);
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
