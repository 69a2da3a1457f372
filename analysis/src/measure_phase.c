/*
 * measure_phase.c -- volume fractions, phase meshes and specific surface
 * areas (per total volume and per phase volume, TauFactor issue #66 shows
 * why both are stated) with the split into interfaces.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/mesh.h"
#include "analysis_internal.h"

static fib_status check_labels(const fib_volume *v, fib_error *err)
{
    fib_status st = fib__vol_check(v, "label volume", err);
    if (st != FIB_OK)
        return st;
    if (v->type == FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: label volume must be u8, u16 or u32, "
                             "not f32");
    return FIB_OK;
}

fib_status fib_recon_volume_fraction(const fib_volume *labels, uint32_t value,
                                     double *fraction, fib_error *err)
{
    fib_status st = check_labels(labels, err);
    if (st != FIB_OK)
        return st;
    size_t n = fib__vol_count(labels), c = 0;
    for (size_t i = 0; i < n; i++)
        c += fib_volume_label_at(labels, i) == value;
    *fraction = (double)c / (double)n;
    return FIB_OK;
}

/* Separable Gaussian (sigma in voxels, radius ceil(3 sigma)) with
 * replicated borders, in place. */
static fib_status gauss3(float *f, const size_t dims[3], double sigma,
                         fib_error *err)
{
    int rad = (int)ceil(3.0 * sigma);
    if (rad < 1)
        return FIB_OK;
    double *k = malloc(sizeof(double) * (size_t)(2 * rad + 1));
    size_t maxn = dims[0];
    if (dims[1] > maxn)
        maxn = dims[1];
    if (dims[2] > maxn)
        maxn = dims[2];
    double *line = malloc(sizeof(double) * maxn);
    if (!k || !line) {
        free(k);
        free(line);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    double s = 0;
    for (int i = -rad; i <= rad; i++) {
        k[i + rad] = exp(-0.5 * i * i / (sigma * sigma));
        s += k[i + rad];
    }
    for (int i = 0; i <= 2 * rad; i++)
        k[i] /= s;
    size_t str[3] = {1, dims[0], dims[0] * dims[1]};
    for (int a = 0; a < 3; a++) {
        int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2;
        for (size_t ic = 0; ic < dims[c]; ic++)
            for (size_t ib = 0; ib < dims[b]; ib++) {
                float *base = f + ic * str[c] + ib * str[b];
                size_t n = dims[a];
                for (size_t q = 0; q < n; q++)
                    line[q] = (double)base[q * str[a]];
                for (size_t q = 0; q < n; q++) {
                    double acc = 0;
                    for (int t = -rad; t <= rad; t++) {
                        ptrdiff_t u = (ptrdiff_t)q + t;
                        if (u < 0)
                            u = 0;
                        if (u >= (ptrdiff_t)n)
                            u = (ptrdiff_t)n - 1;
                        acc += k[t + rad] * line[u];
                    }
                    base[q * str[a]] = (float)acc;
                }
            }
    }
    free(k);
    free(line);
    return FIB_OK;
}

fib_status fib_recon_mesh_phase(const fib_volume *labels, uint32_t value,
                                const fib_mesh_opts *opts, fib_mesh *out,
                                fib_error *err)
{
    fib_mesh_opts o = {0};
    if (opts)
        o = *opts;
    memset(out, 0, sizeof *out);
    fib_status st = check_labels(labels, err);
    if (st != FIB_OK)
        return st;
    if (!(o.sigma_vox >= 0) || o.sigma_vox > 20)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: smoothing sigma must be 0..20 voxels "
                             "(got %g)",
                             o.sigma_vox);
    if (o.z_end && (o.close_border || o.z_begin >= o.z_end ||
                    o.z_end > labels->nz - 1 || labels->nz < 2))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: cube layers [%zu, %zu) outside the "
                             "%zu layers of the volume (or with "
                             "close_border)",
                             o.z_begin, o.z_end,
                             labels->nz > 0 ? labels->nz - 1 : 0);
    size_t pad = o.close_border ? 1 + (size_t)ceil(3.0 * o.sigma_vox) : 0;
    size_t d[3] = {labels->nx + 2 * pad, labels->ny + 2 * pad,
                   labels->nz + 2 * pad};
    double sp[3], org[3];
    fib__vol_spacing(labels, sp);
    for (int a = 0; a < 3; a++)
        org[a] = (isfinite(labels->origin_nm[a]) ? labels->origin_nm[a] : 0) -
                 (double)pad * sp[a];
    size_t nf = d[0] * d[1] * d[2];
    float *f = calloc(nf, sizeof(float));
    if (!f)
        return fib_error_set(err, FIB_ENOMEM,
                             "recon: out of memory for a %zu-voxel field", nf);
    for (size_t z = 0; z < labels->nz; z++)
        for (size_t y = 0; y < labels->ny; y++)
            for (size_t x = 0; x < labels->nx; x++) {
                size_t i = (z * labels->ny + y) * labels->nx + x;
                size_t j = ((z + pad) * d[1] + y + pad) * d[0] + x + pad;
                f[j] = fib_volume_label_at(labels, i) == value ? 1.0f : 0.0f;
            }
    if (o.sigma_vox > 0 && (st = gauss3(f, d, o.sigma_vox, err)) != FIB_OK) {
        free(f);
        return st;
    }
    if (o.z_end) { /* the asked layers: sections z_begin .. z_end */
        const double org_z = org[2];
        org[2] = org_z + (double)o.z_begin * sp[2];
        st = fib_recon_marching_cubes(f + o.z_begin * d[0] * d[1], d[0], d[1],
                                      o.z_end - o.z_begin + 1, sp, org, 0.5,
                                      out, err);
    } else {
        st = fib_recon_marching_cubes(f, d[0], d[1], d[2], sp, org, 0.5, out,
                                      err);
    }
    free(f);
    if (st != FIB_OK || !o.label_sides)
        return st;
    out->tri_label = malloc(sizeof(uint32_t) * (out->n_triangles + 1));
    if (!out->tri_label) {
        fib_mesh_clear(out);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    double o0[3];
    for (int a = 0; a < 3; a++)
        o0[a] = isfinite(labels->origin_nm[a]) ? labels->origin_nm[a] : 0;
    size_t dims[3] = {labels->nx, labels->ny, labels->nz};
    for (size_t k = 0; k < out->n_triangles; k++) {
        const uint32_t *t = out->triangles + 3 * k;
        double c[3] = {0, 0, 0}, u[3], v[3], nv[3];
        const float *P[3];
        for (int j = 0; j < 3; j++)
            P[j] = out->vertices + 3 * (size_t)t[j];
        for (int a = 0; a < 3; a++) {
            /* voxel coordinates */
            double p0 = ((double)P[0][a] - o0[a]) / sp[a];
            double p1 = ((double)P[1][a] - o0[a]) / sp[a];
            double p2 = ((double)P[2][a] - o0[a]) / sp[a];
            c[a] = (p0 + p1 + p2) / 3.0;
            u[a] = p1 - p0;
            v[a] = p2 - p0;
        }
        nv[0] = u[1] * v[2] - u[2] * v[1];
        nv[1] = u[2] * v[0] - u[0] * v[2];
        nv[2] = u[0] * v[1] - u[1] * v[0];
        double l = sqrt(nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]);
        uint32_t lab = value;
        if (l > 0) {
            for (double step = 0.6; step < 2.0 && lab == value; step += 0.5) {
                size_t idx[3];
                bool inside = true;
                for (int a = 0; a < 3; a++) {
                    double q = floor(c[a] + step * nv[a] / l + 0.5);
                    if (q < 0 || q > (double)(dims[a] - 1)) {
                        inside = false;
                        break;
                    }
                    idx[a] = (size_t)q;
                }
                if (!inside)
                    break;
                lab = fib_volume_label_at(
                    labels, (idx[2] * dims[1] + idx[1]) * dims[0] + idx[0]);
            }
        }
        out->tri_label[k] = lab;
    }
    return FIB_OK;
}

/* The area of mesh @p m and its split by tri_label into @p out. */
static void surface_areas(const fib_mesh *m, fib_phase_surface *out)
{
    double total = 0;
    for (size_t k = 0; k < m->n_triangles; k++) {
        double a = fib__mesh_triangle_area(m, k) * 1e-6; /* um2 */
        total += a;
        uint32_t other = m->tri_label[k];
        size_t j = 0;
        while (j < out->n_interfaces && out->other[j] != other)
            j++;
        if (j == out->n_interfaces) {
            if (j < 16) {
                out->other[j] = other;
                out->n_interfaces++;
            } else {
                j = 15;
            }
        }
        out->interface_area_um2[j] += a;
    }
    out->area_um2 = total;
}

fib_status fib_recon_phase_surface_layers(const fib_volume *labels,
                                          uint32_t value, double sigma_vox,
                                          size_t z_begin, size_t z_end,
                                          fib_phase_surface *out,
                                          fib_error *err)
{
    fib_mesh m;
    fib_mesh_opts o = {.sigma_vox = sigma_vox,
                       .label_sides = true,
                       .z_begin = z_begin,
                       .z_end = z_end};
    memset(out, 0, sizeof *out);
    if (z_end == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: no cube layer asked (z_end 0)");
    fib_status st = fib_recon_mesh_phase(labels, value, &o, &m, err);
    if (st != FIB_OK)
        return st;
    surface_areas(&m, out);
    fib_mesh_clear(&m);
    return FIB_OK;
}

fib_status fib_recon_phase_surface(const fib_volume *labels, uint32_t value,
                                   double sigma_vox, fib_phase_surface *out,
                                   fib_error *err)
{
    fib_mesh m;
    fib_mesh_opts o = {.sigma_vox = sigma_vox, .label_sides = true};
    memset(out, 0, sizeof *out);
    fib_status st = fib_recon_mesh_phase(labels, value, &o, &m, err);
    if (st != FIB_OK)
        return st;
    double sp[3];
    fib__vol_spacing(labels, sp);
    double vtot_um3 =
        (double)fib__vol_count(labels) * sp[0] * sp[1] * sp[2] * 1e-9;
    double frac = 0;
    st = fib_recon_volume_fraction(labels, value, &frac, err);
    if (st != FIB_OK) {
        fib_mesh_clear(&m);
        return st;
    }
    surface_areas(&m, out);
    out->per_total_um = vtot_um3 > 0 ? out->area_um2 / vtot_um3 : 0;
    out->per_phase_um = frac > 0 ? out->area_um2 / (frac * vtot_um3) : 0;
    fib_mesh_clear(&m);
    return FIB_OK;
}
