/* job_measure_transport.c -- the measure report sections on transport and
 * shape: tortuosity (with effective diffusivity, MacMullin number and the
 * solver record), skeleton, deposit heights over a substrate face and the
 * coating, plus the --mesh surface (methods in fib/measure.h,
 * fib/mesh.h). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fib/formats.h"
#include "fib/mesh_io.h"
#include "job_measure_internal.h"

/* A number, or the string "inf" when it is not finite. */
static void num_or_inf(fib_fmt_json *j, double v, bool finite)
{
    if (finite)
        fib_fmt_json_number(j, v);
    else
        fib_fmt_json_string(j, "inf");
}

/* Effective diffusivity and the MacMullin number N_M = sigma_0 /
 * sigma_eff = tau / eps = 1 / (D_eff / D) (MacMullin & Muccini, AIChE J.
 * 2:393, 1956; Thorat et al., J. Power Sources 188:592, 2009). */
static void tort_derived(fib__measure *m, const bool axes[3],
                         fib_tort_result (*res)[3])
{
    fib_fmt_json *j = m->j;
    for (int table = 0; table < 2; table++) {
        fib_fmt_json_key(j,
                         table ? "macmullin_number" : "effective_diffusivity");
        fib_fmt_json_begin_object(j);
        for (size_t p = 0; p < m->nphase; p++) {
            fib__key_u32(j, m->phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++) {
                if (!axes[a])
                    continue;
                const double d = res[p][a].d_eff_rel;
                fib_fmt_json_key(j, fib__axis_name[a]);
                if (table)
                    num_or_inf(j, 1.0 / d, d > 0 && isfinite(d));
                else
                    fib_fmt_json_number(j, d);
            }
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
    }
}

static void tort_solver(fib__measure *m, const bool axes[3],
                        fib_tort_result (*res)[3])
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "tortuosity_solver");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "TauFactor definition: steady diffusion on the 6-connected "
        "clusters touching both faces, c = 1/0 at the outer faces, no "
        "flux on the sides; tau = volume fraction / (D_eff/D); "
        "Jacobi-preconditioned conjugate gradients");
    fib_fmt_json_kv_string(j, "criterion",
                           "relative residual ||b - A c|| / ||b|| < tol");
    fib_fmt_json_kv_number(j, "tol", m->p->tortuosity_tol);
    for (size_t p = 0; p < m->nphase; p++) {
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        for (int a = 0; a < 3; a++) {
            if (!axes[a])
                continue;
            const fib_tort_result *r = &res[p][a];
            fib_fmt_json_key(j, fib__axis_name[a]);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_bool(j, "percolating", r->percolating);
            fib_fmt_json_kv_bool(j, "converged", r->converged);
            fib_fmt_json_kv_int(j, "iterations", (long long)r->iterations);
            fib_fmt_json_kv_number(j, "rel_residual", r->rel_residual);
            fib_fmt_json_kv_number(j, "flux_mismatch", r->flux_mismatch);
            fib_fmt_json_kv_number(j, "volume_fraction", r->eps);
            fib_fmt_json_kv_number(j, "percolating_fraction",
                                   r->eps_percolating);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_object(j);
}

/* The flux map of phase @p phase along @p axis: the volume into the
 * staged --flux-map file, its picture (with --pictures), and the report
 * entry: the mean of |J| / J_mean over the phase voxels of each slice
 * along the axis (the profile) and the largest value. */
static fib_status flux_map_out(fib__measure *m, uint32_t phase, int axis,
                               const fib_volume *fm, fib_error *err)
{
    fib_status st = fib_fmt_volume_write(m->s_flux, fm, NULL, err);
    if (st == FIB_OK && m->p->pictures_dir)
        st = fib__measure_flux_picture(m, phase, axis, fm, err);
    if (st != FIB_OK)
        return st;
    const size_t d[3] = {fm->nx, fm->ny, fm->nz};
    const float *f = fm->data;
    double *sum = calloc(d[axis], sizeof *sum);
    size_t *cnt = calloc(d[axis], sizeof *cnt);
    if (!sum || !cnt) {
        free(sum);
        free(cnt);
        return fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    }
    double fmax = 0;
    for (size_t i = 0; i < d[0] * d[1] * d[2]; i++) {
        if (fib_volume_label_at(&m->vol, i) != phase)
            continue;
        const size_t c[3] = {i % d[0], i / d[0] % d[1], i / (d[0] * d[1])};
        sum[c[axis]] += (double)f[i];
        cnt[c[axis]]++;
        fmax = (double)f[i] > fmax ? (double)f[i] : fmax;
    }
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "flux_map");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "local flux magnitude |J| / J_mean of the tortuosity solution: per "
        "voxel the mean of its two face flux densities per axis, J_mean = "
        "mean axial component over the percolating voxels (1 everywhere in "
        "straight channels); 0 outside the percolating clusters");
    fib_fmt_json_kv_int(j, "phase", phase);
    fib_fmt_json_kv_string(j, "axis", fib__axis_name[axis]);
    fib_fmt_json_kv_string(j, "file", m->p->flux_map_path);
    fib_fmt_json_kv_number(j, "max", fmax);
    fib_fmt_json_key(j, "slice_mean");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < d[axis]; k++)
        fib_fmt_json_number(j, cnt[k] ? sum[k] / (double)cnt[k] : 0.0);
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    free(sum);
    free(cnt);
    FIB__SAY(m, "phase %u: flux map along %s, largest |J| / J_mean %.3g: %s",
             phase, fib__axis_name[axis], fmax, m->p->flux_map_path);
    return FIB_OK;
}

size_t fib__measure_parse_conductivity(const char *spec, uint32_t *labels,
                                       double *sigma)
{
    size_t n = 0;
    const char *s = spec;
    while (*s) {
        char *end;
        if (n == FIB_CONDUCTIVITY_MAX_LABELS || *s < '0' || *s > '9')
            return 0;
        const unsigned long l = strtoul(s, &end, 10);
        if (*end != '=' || l > UINT32_MAX)
            return 0;
        s = end + 1;
        const double v = strtod(s, &end);
        if (end == s || !(v >= 0) || !isfinite(v) || (*end && *end != ','))
            return 0;
        labels[n] = (uint32_t)l;
        sigma[n++] = v;
        s = *end ? end + 1 : end;
        if (*end && !*s)
            return 0; /* trailing comma */
    }
    return n;
}

/* Effective conductivity of the --conductivity composite along the
 * battery axis. */
static fib_status conductivity(fib__measure *m, fib_error *err)
{
    uint32_t cl[FIB_CONDUCTIVITY_MAX_LABELS];
    double cs[FIB_CONDUCTIVITY_MAX_LABELS];
    const size_t n =
        fib__measure_parse_conductivity(m->p->conductivity, cl, cs);
    const int axis = m->p->battery_axis;
    fib_conductivity_result c;
    const fib_status st = fib_recon_effective_conductivity(
        &m->vol, cl, cs, n, axis, 0, &c, m->prog, err);
    if (st != FIB_OK)
        return st;
    double smax = 0;
    for (size_t k = 0; k < n; k++)
        smax = cs[k] > smax ? cs[k] : smax;
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "composite_conductivity");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "steady conduction, potential 1/0 on the two faces normal to the "
        "axis, no flux on the sides, harmonic-mean face conductances between "
        "labels; sigma_eff = F L / A in the unit of the given "
        "conductivities; conjugate gradients preconditioned by the "
        "tortuosity multigrid, to relative residual 1e-8");
    fib_fmt_json_kv_string(j, "axis", fib__axis_name[axis]);
    fib_fmt_json_key(j, "labels");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < n; k++)
        fib_fmt_json_int(j, cl[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "sigma");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < n; k++)
        fib_fmt_json_number(j, cs[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_number(j, "sigma_eff", c.sigma_eff);
    fib_fmt_json_kv_number(j, "sigma_eff_over_max",
                           smax > 0 ? c.sigma_eff / smax : 0.0);
    fib_fmt_json_kv_bool(j, "percolating", c.percolating);
    fib_fmt_json_kv_int(j, "iterations", (long long)c.iterations);
    fib_fmt_json_kv_number(j, "rel_residual", c.rel_residual);
    fib_fmt_json_kv_number(j, "flux_mismatch", c.flux_mismatch);
    fib_fmt_json_end_object(j);
    FIB__SAY(m,
             "composite conductivity along %s: %.6g (%.4g of the largest "
             "given), %zu iterations",
             fib__axis_name[axis], c.sigma_eff,
             smax > 0 ? c.sigma_eff / smax : 0.0, c.iterations);
    return FIB_OK;
}

fib_status fib__measure_tortuosity(fib__measure *m, fib_error *err)
{
    if (m->p->conductivity) {
        const fib_status cst = conductivity(m, err);
        if (cst != FIB_OK)
            return cst;
    }
    bool axes[3];
    memcpy(axes, m->p->tortuosity_axes, sizeof axes);
    if (m->p->battery)
        axes[m->p->battery_axis] = true;
    if (!axes[0] && !axes[1] && !axes[2])
        return FIB_OK;
    fib_fmt_json *j = m->j;
    fib_tort_result res[FIB_JOB_MEASURE_MAX_PHASES][3];
    memset(res, 0, sizeof res);
    /* the flux map: first phase, first axis (the battery axis first) */
    const int fax = m->p->battery ? m->p->battery_axis
                    : axes[0]     ? 0
                    : axes[1]     ? 1
                                  : 2;
    fib_volume fm = {0};
    fib_fmt_json_key(j, "tortuosity");
    fib_fmt_json_begin_object(j);
    for (size_t p = 0; p < m->nphase; p++) {
        fib__job_label_mask(&m->vol, m->phases[p], &m->mask);
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        for (int a = 0; a < 3; a++) {
            if (!axes[a])
                continue;
            const bool want = m->p->flux_map_path && p == 0 && a == fax;
            const fib_tort_opts to = {.rel_tol = m->p->tortuosity_tol,
                                      .flux_map = want ? &fm : NULL};
            fib_tort_result *r = &res[p][a];
            const fib_status st =
                fib_recon_tortuosity(&m->mask, a, &to, r, m->prog, err);
            if (st != FIB_OK)
                return st;
            fib_fmt_json_key(j, fib__axis_name[a]);
            num_or_inf(j, r->tau, isfinite(r->tau));
            FIB__SAY(m,
                     "phase %u: tortuosity %s = %.6g (D_eff/D = %.6g, %zu "
                     "iterations, residual %.2g)",
                     m->phases[p], fib__axis_name[a], r->tau, r->d_eff_rel,
                     r->iterations, r->rel_residual);
        }
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_object(j);
    tort_derived(m, axes, res);
    tort_solver(m, axes, res);
    fib_status st = FIB_OK;
    if (m->p->flux_map_path)
        st = flux_map_out(m, m->phases[0], fax, &fm, err);
    fib_volume_clear(&fm);
    return st;
}

fib_status fib__measure_skeleton(fib__measure *m, fib_error *err)
{
    if (!m->p->skeleton)
        return FIB_OK;
    fib_fmt_json *j = m->j;
    const double *sp = m->vol.voxel_size_nm;
    const size_t n = m->vol.nx * m->vol.ny * m->vol.nz;
    fib_fmt_json_key(j, "skeleton");
    fib_fmt_json_begin_object(j);
    for (size_t p = 0; p < m->nphase; p++) {
        fib_skeleton_stats s;
        fib_status st;
        fib__job_label_mask(&m->vol, m->phases[p], &m->mask);
        if ((st = fib_recon_skeletonize(&m->mask, err)) != FIB_OK ||
            (st = fib_recon_skeleton_stats(&m->mask, m->p->substrate_face, &s,
                                           err)) != FIB_OK)
            return st;
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "voxels", (long long)s.n_voxels);
        fib_fmt_json_kv_int(j, "branches", (long long)s.n_branches);
        fib_fmt_json_kv_int(j, "junctions", (long long)s.n_junctions);
        fib_fmt_json_kv_int(j, "end_points", (long long)s.n_end_points);
        fib__jnum(m, "total_length_um", s.total_length_um);
        fib__jnum(m, "mean_branch_length_um", s.mean_branch_length_um);
        fib_fmt_json_kv_number(j, "mean_branch_tortuosity",
                               s.mean_branch_tortuosity);
        const double vtot = (double)n * sp[0] * sp[1] * sp[2] * 1e-9;
        fib__jnum(m, "junctions_per_um3", (double)s.n_junctions / vtot);
        fib__jnum(m, "max_height_um", s.max_height_um);
        fib__jnum(m, "mean_height_um", s.mean_height_um);
        fib_fmt_json_end_object(j);
        FIB__SAY(m,
                 "phase %u: skeleton %zu branches, %zu junctions, %zu end "
                 "points",
                 m->phases[p], s.n_branches, s.n_junctions, s.n_end_points);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

fib_status fib__measure_heights(fib__measure *m, fib_error *err)
{
    const int face = m->p->substrate_face;
    if (face < 0)
        return FIB_OK;
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "deposit_height");
    fib_fmt_json_begin_object(j);
    for (size_t p = 0; p < m->nphase; p++) {
        fib_height_stats hs = m->blk ? m->blk->hs[p] : (fib_height_stats){0};
        if (!m->blk) { /* block-wise: job_measure_blocks.c */
            fib__job_label_mask(&m->vol, m->phases[p], &m->mask);
            const fib_status st =
                fib_recon_height_map(&m->mask, face, NULL, NULL, &hs, err);
            if (st != FIB_OK)
                return st;
        }
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        fib__jnum(m, "mean_um", hs.mean_nm * 1e-3);
        fib__jnum(m, "std_um", hs.std_nm * 1e-3);
        fib__jnum(m, "max_um", hs.max_nm * 1e-3);
        fib__jnum(m, "ra_um", hs.ra_nm * 1e-3);
        fib__jnum(m, "rq_um", hs.rq_nm * 1e-3);
        fib__jnum(m, "dense_thickness_um", hs.dense_mean_nm * 1e-3);
        fib_fmt_json_kv_number(j, "covered_fraction", hs.covered_fraction);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

/* The coating of one label on another (its particle surface is the mesh
 * with --mesh). */
static fib_status coating(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    const double *sp = m->vol.voxel_size_nm;
    double tmin = p->coating_min_nm;
    if (tmin < 0) {
        tmin = sp[0] < sp[1] ? sp[0] : sp[1];
        if (sp[2] < tmin)
            tmin = sp[2];
    }
    fib_coating_result cr;
    const fib_status st = fib_recon_coating(
        &m->vol, (uint32_t)p->coating_particle, (uint32_t)p->coating_label,
        tmin, &cr, p->mesh_path ? &m->mesh : NULL, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "coating");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_int(j, "particle_label", (long long)p->coating_particle);
    fib_fmt_json_kv_int(j, "coating_label", (long long)p->coating_label);
    fib__jnum(m, "threshold_nm", tmin);
    fib_fmt_json_kv_number(j, "coverage", cr.coverage);
    fib__jnum(m, "mean_thickness_nm", cr.mean_thickness_nm);
    fib__jnum(m, "mean_covered_thickness_nm", cr.mean_covered_nm);
    fib__jnum(m, "particle_area_um2", cr.particle_area_um2);
    fib_fmt_json_end_object(j);
    FIB__SAY(m, "coating %g on %g: coverage %.4f, mean thickness %.4g %s",
             p->coating_label, p->coating_particle, cr.coverage,
             cr.mean_thickness_nm, m->vu ? "voxels" : "nm");
    return FIB_OK;
}

fib_status fib__measure_coating_mesh(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    fib_status st = FIB_OK;
    if (p->coating) {
        st = coating(m, err);
    } else if (p->mesh_path) {
        const fib_mesh_opts mo = {.sigma_vox = p->smooth_vox,
                                  .close_border = p->mesh_closed};
        st = fib_recon_mesh_phase(&m->vol, m->phases[0], &mo, &m->mesh, err);
    }
    if (st != FIB_OK || !p->mesh_path)
        return st;
    const char *dot = strrchr(p->mesh_path, '.');
    if (strcasecmp(dot, ".ply") == 0)
        st = fib_fmt_mesh_write_ply(m->s_mesh, &m->mesh, "coating_nm", err);
    else
        st = fib_fmt_mesh_write_stl(m->s_mesh, &m->mesh, err);
    if (st == FIB_OK)
        FIB__SAY(m, "wrote %s (%zu triangles)", p->mesh_path,
                 m->mesh.n_triangles);
    return st;
}
