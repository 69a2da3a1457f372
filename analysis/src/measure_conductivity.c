/*
 * measure_conductivity.c -- effective conductivity of a composite phase
 * (issue 17 item 2): steady conduction through voxels of several labels,
 * each with its own conductivity, between two faces.  Definitions:
 * fib/measure.h (fib_recon_effective_conductivity) and analysis/MEASURE.md.
 *
 * Discretisation as the tortuosity solver's (cell-centred finite volumes,
 * 7-point stencil; tortuosity.c), with the face conductance between two
 * voxels of conductivities s_i, s_j the harmonic mean 2 s_i s_j / (s_i +
 * s_j) times A / d (two half-voxel resistors in series: exact for layers
 * in series), 2 s_i A / d at the inlet and outlet faces.  Solved by
 * conjugate gradients in double on the voxels of the 6-connected
 * conducting clusters that touch both faces, preconditioned by the
 * tortuosity solver's multigrid W-cycle for the same voxels with unit
 * conductivity (tortuosity_mg.c: any symmetric positive definite
 * preconditioner keeps CG exact; the conductivity contrast bounds the
 * extra iterations), every reduction summed in a fixed order (results
 * independent of the thread count).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "analysis_internal.h"

typedef struct cgrid {
    size_t nx, ny, nz, n, nact;
    int axis;
    double g[3];      /* geometric factors A / d per axis */
    uint32_t *idx;    /* unknown of each voxel, UINT32_MAX: none */
    const float *sv;  /* conductivity of each voxel */
    double *part;     /* nz per-slice partial sums */
    uint32_t *vox;    /* voxel of each unknown */
    fib__tort_pc *pc; /* the preconditioner */
} cgrid;

static double sum_parts(const cgrid *G)
{
    double t = 0;
    for (size_t z = 0; z < G->nz; z++)
        t += G->part[z];
    return t;
}

static inline double harm(double a, double b)
{
    return 2.0 * a * b / (a + b);
}

/* q = A p for the unknowns; the diagonal into @p diag when not NULL;
 * returns p . q (per-slice partial sums). */
static double capply(const cgrid *G, const double *p, double *q, double *diag)
{
    const size_t nx = G->nx, ny = G->ny, nz = G->nz;
    const size_t st[3] = {1, nx, nx * ny}, d[3] = {nx, ny, nz};
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < nz; z++) {
        double acc = 0;
        for (size_t i = z * nx * ny; i < (z + 1) * nx * ny; i++) {
            const uint32_t u = G->idx[i];
            if (u == UINT32_MAX)
                continue;
            const size_t c[3] = {i % nx, i / nx % ny, z};
            const double si = (double)G->sv[i];
            double dg = 0, off = 0;
            for (int a = 0; a < 3; a++) {
                for (int s = -1; s <= 1; s += 2) {
                    const bool edge = s < 0 ? c[a] == 0 : c[a] + 1 == d[a];
                    if (edge) {
                        if (a == G->axis) /* inlet or outlet face */
                            dg += 2.0 * si * G->g[a];
                        continue;
                    }
                    const size_t j = s < 0 ? i - st[a] : i + st[a];
                    const uint32_t v = G->idx[j];
                    if (v == UINT32_MAX)
                        continue;
                    const double gij = harm(si, (double)G->sv[j]) * G->g[a];
                    dg += gij;
                    off += gij * p[v];
                }
            }
            q[u] = dg * p[u] - off;
            if (diag)
                diag[u] = dg;
            acc += p[u] * q[u];
        }
        G->part[z] = acc;
    }
    return sum_parts(G);
}

/* b: 2 s_i g at the inlet voxels (potential 1 there), and the fluxes
 * through the two faces of the solution @p x. */
static void cflux(const cgrid *G, const double *x, double *b, double *fin,
                  double *fout)
{
    const size_t d[3] = {G->nx, G->ny, G->nz};
    double a_in = 0, a_out = 0;
    for (size_t u = 0; u < G->nact; u++) {
        const size_t i = G->vox[u];
        const size_t c[3] = {i % d[0], i / d[0] % d[1], i / (d[0] * d[1])};
        const double gb = 2.0 * (double)G->sv[i] * G->g[G->axis];
        if (b)
            b[u] = c[G->axis] == 0 ? gb : 0;
        if (x && c[G->axis] == 0)
            a_in += gb * (1.0 - x[u]);
        if (x && c[G->axis] + 1 == d[G->axis])
            a_out += gb * x[u];
    }
    if (fin)
        *fin = a_in;
    if (fout)
        *fout = a_out;
}

/* Unknowns: conducting voxels of the 6-clusters touching both faces. */
static fib_status cgrid_build(const fib_volume *labels, const uint32_t *values,
                              const double *sigma, size_t nv, cgrid *G,
                              float *sv, fib_error *err)
{
    const size_t n = G->n, d[3] = {G->nx, G->ny, G->nz};
    fib_volume mask = {0}, lab = {0};
    fib_status st = fib_volume_init(&mask, FIB_PX_U8, G->nx, G->ny, G->nz, err);
    if (st)
        return st;
    uint8_t *m = mask.data;
    for (size_t i = 0; i < n; i++) {
        const uint32_t v = fib_volume_label_at(labels, i);
        sv[i] = 0;
        for (size_t k = 0; k < nv; k++)
            if (values[k] == v)
                sv[i] = (float)sigma[k];
        m[i] = sv[i] > 0;
    }
    size_t nl = 0, npc = 0;
    st = fib__tort_pc_create(&mask, G->axis, &G->pc, &npc, err);
    if (st == FIB_OK)
        st = fib_recon_label(&mask, 6, &lab, &nl, err);
    fib_volume_clear(&mask);
    if (st)
        return st;
    uint8_t *touch = calloc(nl + 1, 1);
    if (!touch) {
        fib_volume_clear(&lab);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    const uint32_t *l = lab.data;
    for (size_t i = 0; i < n; i++) {
        const size_t c[3] = {i % d[0], i / d[0] % d[1], i / (d[0] * d[1])};
        if (l[i] && c[G->axis] == 0)
            touch[l[i]] |= 1;
        if (l[i] && c[G->axis] + 1 == d[G->axis])
            touch[l[i]] |= 2;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        G->idx[i] = l[i] && touch[l[i]] == 3 ? (uint32_t)k++ : UINT32_MAX;
    G->nact = k;
    free(touch);
    if (k != npc) { /* the same voxels by definition */
        fib_volume_clear(&lab);
        return fib_error_set(err, FIB_EINVAL,
                             "recon: conductivity grid mismatch (%zu vs %zu)",
                             k, npc);
    }
    fib_volume_clear(&lab);
    G->vox = malloc((k ? k : 1) * sizeof *G->vox);
    if (!G->vox)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t i = 0; i < n; i++)
        if (G->idx[i] != UINT32_MAX)
            G->vox[G->idx[i]] = (uint32_t)i;
    return FIB_OK;
}

/* z = M^-1 r through the float multigrid cycle; returns r . z. */
static double cprecond(const cgrid *G, const double *r, double *z, float *rf,
                       float *zf)
{
    const size_t m = G->nact;
    for (size_t u = 0; u < m; u++)
        rf[u] = (float)r[u];
    fib__tort_pc_apply(G->pc, rf, zf);
    double rz = 0;
    for (size_t u = 0; u < m; u++) {
        z[u] = (double)zf[u];
        rz += r[u] * z[u];
    }
    return rz;
}

/* PCG from the linear ramp until ||b - A x|| / ||b|| < tol. */
static fib_status csolve(const cgrid *G, double tol, size_t max_iter, double *x,
                         fib_conductivity_result *out,
                         const fib_progress *progress, fib_error *err)
{
    const size_t m = G->nact, na = G->axis == 0   ? G->nx
                                   : G->axis == 1 ? G->ny
                                                  : G->nz;
    double *b = malloc(m * sizeof *b), *r = malloc(m * sizeof *r);
    double *p = malloc(m * sizeof *p), *q = malloc(m * sizeof *q);
    double *z = q; /* M^-1 r is needed only while A p is not */
    float *rf = malloc(m * sizeof *rf), *zf = malloc(m * sizeof *zf);
    fib_status st = FIB_OK;
    if (!b || !r || !p || !q || !rf || !zf) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    cflux(G, NULL, b, NULL, NULL);
    const size_t d[3] = {G->nx, G->ny, G->nz};
    for (size_t u = 0; u < m; u++) {
        const size_t i = G->vox[u];
        const size_t c[3] = {i % d[0], i / d[0] % d[1], i / (d[0] * d[1])};
        x[u] = 1.0 - ((double)c[G->axis] + 0.5) / (double)na;
    }
    capply(G, x, q, NULL);
    double bb = 0, rr = 0;
    for (size_t u = 0; u < m; u++) {
        r[u] = b[u] - q[u];
        bb += b[u] * b[u];
        rr += r[u] * r[u];
    }
    const double bn = sqrt(bb);
    double rz = cprecond(G, r, z, rf, zf);
    memcpy(p, z, m * sizeof *p);
    size_t it = 0;
    while (sqrt(rr) / bn >= tol && it < max_iter) {
        const double pq = capply(G, p, q, NULL);
        if (!(pq > 0))
            break;
        const double alpha = rz / pq;
        rr = 0;
        for (size_t u = 0; u < m; u++) {
            x[u] += alpha * p[u];
            r[u] -= alpha * q[u];
            rr += r[u] * r[u];
        }
        it++;
        if (it % 20 == 0) { /* the true residual against drift */
            capply(G, x, q, NULL);
            rr = 0;
            for (size_t u = 0; u < m; u++) {
                r[u] = b[u] - q[u];
                rr += r[u] * r[u];
            }
        }
        const double rz2 = cprecond(G, r, z, rf, zf);
        const double beta = rz2 / rz;
        rz = rz2;
        for (size_t u = 0; u < m; u++)
            p[u] = z[u] + beta * p[u];
        if (it % 10 == 0 &&
            (st = fib_progress_report(progress, "conductivity", it, max_iter,
                                      err)) != FIB_OK)
            goto done;
    }
    /* the true residual */
    capply(G, x, q, NULL);
    rr = 0;
    for (size_t u = 0; u < m; u++)
        rr += (b[u] - q[u]) * (b[u] - q[u]);
    out->iterations = it;
    out->rel_residual = sqrt(rr) / bn;
    out->converged = out->rel_residual < tol;
    if (!out->converged)
        st = fib_error_set(err, FIB_ENUMERIC,
                           "recon: conductivity solver did not reach relative "
                           "residual %g in %zu iterations (got %g)",
                           tol, it, out->rel_residual);
done:
    free(b);
    free(r);
    free(p);
    free(q);
    free(rf);
    free(zf);
    return st;
}

fib_status fib_recon_effective_conductivity(
    const fib_volume *labels, const uint32_t *values, const double *sigma,
    size_t n_values, int axis, double rel_tol, fib_conductivity_result *out,
    const fib_progress *progress, fib_error *err)
{
    memset(out, 0, sizeof *out);
    fib_status st = fib__vol_check(labels, "labels", err);
    if (st)
        return st;
    if (labels->type != FIB_PX_U8 && labels->type != FIB_PX_U16 &&
        labels->type != FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: labels must be u8, u16 or u32");
    if (fib__vol_count(labels) >= UINT32_MAX)
        return fib_error_set(err, FIB_ERANGE,
                             "recon: conductivity supports < 2^32 voxels");
    if (axis < 0 || axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: conductivity axis must be 0..2 (got %d)",
                             axis);
    if (n_values < 1 || n_values > FIB_CONDUCTIVITY_MAX_LABELS)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: conductivity needs 1..%d labels (got %zu)",
                             FIB_CONDUCTIVITY_MAX_LABELS, n_values);
    for (size_t k = 0; k < n_values; k++)
        if (!(sigma[k] >= 0) || !isfinite(sigma[k]))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: conductivity of label %u must be "
                                 "finite and >= 0 (got %g)",
                                 values[k], sigma[k]);
    double sp[3];
    fib__vol_spacing(labels, sp);
    cgrid G = {.nx = labels->nx,
               .ny = labels->ny,
               .nz = labels->nz,
               .n = fib__vol_count(labels),
               .axis = axis,
               .g = {sp[1] * sp[2] / sp[0], sp[0] * sp[2] / sp[1],
                     sp[0] * sp[1] / sp[2]}};
    float *sv = malloc(G.n * sizeof *sv);
    double *x = NULL;
    G.idx = malloc(G.n * sizeof *G.idx);
    G.part = calloc(G.nz, sizeof *G.part);
    G.sv = sv;
    if (!sv || !G.idx || !G.part)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (st == FIB_OK)
        st = cgrid_build(labels, values, sigma, n_values, &G, sv, err);
    out->unknowns = G.nact;
    out->percolating = G.nact > 0;
    if (st == FIB_OK && G.nact) {
        x = malloc(G.nact * sizeof *x);
        if (!x)
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        if (st == FIB_OK)
            st = csolve(&G, rel_tol > 0 ? rel_tol : 1e-8, 5000, x, out,
                        progress, err);
        if (st == FIB_OK || st == FIB_ENUMERIC) {
            cflux(&G, x, NULL, &out->flux_in, &out->flux_out);
            const double L = (double)(axis == 0   ? G.nx
                                      : axis == 1 ? G.ny
                                                  : G.nz) *
                             sp[axis];
            double A = 1;
            const size_t d[3] = {G.nx, G.ny, G.nz};
            for (int a = 0; a < 3; a++)
                if (a != axis)
                    A *= (double)d[a] * sp[a];
            out->flux_mismatch =
                out->flux_in > 0
                    ? fabs(out->flux_in - out->flux_out) / out->flux_in
                    : 0;
            out->sigma_eff = 0.5 * (out->flux_in + out->flux_out) * L / A;
        }
    }
    free(x);
    free(sv);
    free(G.idx);
    free(G.part);
    free(G.vox);
    fib__tort_pc_destroy(G.pc);
    return st;
}
