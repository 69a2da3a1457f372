/* test_measure.c -- analytic checks of segmentation and measurement. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/mesh.h"
#include "fib/segment.h"
#include "fib_test.h"
#include "../analysis/src/analysis_internal.h"

#define PI_ 3.14159265358979323846
/* skimage 0.19.3: marching_cubes(vol, 0.5, method="lewiner") and
   mesh_surface_area (float64 vertices) of test_mc_random_binary_lewiner's
   volume */
#define MC_RANDOM_SKIMAGE_AREA 3672.9401091896834

static fib_volume mkvol(fib_pixel_type t, size_t nx, size_t ny, size_t nz)
{
    fib_volume v;
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(&v, t, nx, ny, nz, &e), FIB_OK);
    return v;
}

static uint8_t *u8(fib_volume *v)
{
    return v->data;
}

static size_t idx(const fib_volume *v, size_t x, size_t y, size_t z)
{
    return (z * v->ny + y) * v->nx + x;
}

/* ---- marching cubes ------------------------------------------------------ */

START_TEST(test_mc_sphere)
{
    /* smooth field R - |p - c| with anisotropic spacing 2 x 1 x 3 nm */
    size_t nx = 30, ny = 56, nz = 22;
    double sp[3] = {2, 1, 3}, c[3] = {29.3, 28.1, 31.7}, R = 20;
    float *f = malloc(sizeof(float) * nx * ny * nz);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                double d[3] = {(double)x * sp[0] - c[0],
                               (double)y * sp[1] - c[1],
                               (double)z * sp[2] - c[2]};
                f[(z * ny + y) * nx + x] =
                    (float)(R - sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
            }
    fib_mesh m;
    fib_error e = {0};
    ck_assert_int_eq(
        fib_recon_marching_cubes(f, nx, ny, nz, sp, NULL, 0, &m, &e), FIB_OK);
    double A = fib_mesh_area(&m), V = fib_mesh_volume(&m);
    ck_assert_double_le(fabs(fib_test_rel(A, 4 * PI_ * R * R)), 0.01);
    ck_assert_double_le(fabs(fib_test_rel(V, 4.0 / 3 * PI_ * R * R * R)), 0.01);
    ck_assert_double_gt(V, 0); /* outward orientation */
    /* closed genus-0 triangle mesh, vertices welded across slabs:
       V - E + F = 2 with E = 3F/2 */
    ck_assert_uint_eq(m.n_vertices, m.n_triangles / 2 + 2);
    fib_mesh_clear(&m);
    free(f);
}
END_TEST

/* a closed, consistently oriented mesh: every directed edge is matched by
   its reverse (as a multiset).  Returns the number of repeated directed
   edges (edges shared by 4 triangles: non-manifold, still closed). */
static int edge_key_cmp(const void *a, const void *b)
{
    const uint64_t *p = a, *q = b;
    return *p < *q ? -1 : (*p > *q);
}

static size_t assert_closed_oriented(const fib_mesh *m)
{
    size_t ne = 3 * m->n_triangles;
    uint64_t *fw = malloc(sizeof(uint64_t) * ne);
    uint64_t *bw = malloc(sizeof(uint64_t) * ne);
    for (size_t t = 0; t < m->n_triangles; t++)
        for (int k = 0; k < 3; k++) {
            uint64_t a = m->triangles[3 * t + (size_t)k];
            uint64_t b = m->triangles[3 * t + (size_t)(k + 1) % 3];
            ck_assert_uint_ne(a, b);
            fw[3 * t + (size_t)k] = a << 32 | b;
            bw[3 * t + (size_t)k] = b << 32 | a;
        }
    qsort(fw, ne, sizeof *fw, edge_key_cmp);
    qsort(bw, ne, sizeof *bw, edge_key_cmp);
    size_t dup = 0;
    for (size_t i = 0; i < ne; i++) {
        ck_assert(fw[i] == bw[i]);
        dup += i && fw[i] == fw[i - 1];
    }
    free(fw);
    free(bw);
    return dup;
}

/* random binary volume (all 256 corner configurations occur) with a zero
   border: closed, oriented mesh, and the area of scikit-image 0.19
   marching_cubes(method="lewiner") + mesh_surface_area at level 0.5 on
   the same volume (bench/gen_mc_table.py's table reproduces its tie
   resolution of ambiguous faces and interiors) */
START_TEST(test_mc_random_binary_lewiner)
{
    size_t n = 16;
    float *f = calloc(n * n * n, sizeof(float));
    uint32_t s = 12345u;
    for (size_t z = 1; z + 1 < n; z++)
        for (size_t y = 1; y + 1 < n; y++)
            for (size_t x = 1; x + 1 < n; x++) {
                s = s * 1664525u + 1013904223u;
                f[(z * n + y) * n + x] = (s >> 31) ? 1.0f : 0.0f;
            }
    double sp[3] = {1, 1, 1};
    fib_mesh m;
    fib_error e = {0};
    ck_assert_int_eq(
        fib_recon_marching_cubes(f, n, n, n, sp, NULL, 0.5, &m, &e), FIB_OK);
    assert_closed_oriented(&m);
    ck_assert_double_le(fabs(fib_mesh_area(&m) - MC_RANDOM_SKIMAGE_AREA), 1e-3);
    fib_mesh_clear(&m);
    /* graded values with the same signs: same table cases, still closed */
    for (size_t i = 0; i < n * n * n; i++)
        f[i] = f[i] > 0.5f ? 0.6f + 0.3f * (float)(i % 7) / 7.0f
                           : 0.4f - 0.3f * (float)(i % 5) / 5.0f;
    ck_assert_int_eq(
        fib_recon_marching_cubes(f, n, n, n, sp, NULL, 0.5, &m, &e), FIB_OK);
    assert_closed_oriented(&m);
    ck_assert_double_gt(fib_mesh_volume(&m), 0);
    fib_mesh_clear(&m);
    free(f);
}
END_TEST

START_TEST(test_mc_cylinder)
{
    /* cylinder R = 8 voxels along z through the whole volume: the lateral
       surface over the z extent (nz - 1) * dz; voxels 1 x 1 x 2 nm */
    size_t n = 24, nz = 30;
    double sp[3] = {1, 1, 2}, R = 8;
    float *f = malloc(sizeof(float) * n * n * nz);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                double dx = (double)x - 11.6, dy = (double)y - 11.9;
                f[(z * n + y) * n + x] = (float)(R - sqrt(dx * dx + dy * dy));
            }
    fib_mesh m;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_marching_cubes(f, n, n, nz, sp, NULL, 0, &m, &e),
                     FIB_OK);
    double H = (double)(nz - 1) * sp[2];
    ck_assert_double_le(fabs(fib_test_rel(fib_mesh_area(&m), 2 * PI_ * R * H)),
                        0.01);
    /* the open tube encloses pi R^2 H once closed by its two end discs,
       which contribute nothing to the divergence integral of x/3 + y/3 +
       z/3 ... except z/3 on the caps: V_mesh = V - (1/3) pi R^2 H */
    ck_assert_double_le(
        fabs(fib_test_rel(fib_mesh_volume(&m), PI_ * R * R * H * 2.0 / 3.0)),
        0.01);
    fib_mesh_clear(&m);
    free(f);
}
END_TEST

START_TEST(test_mc_cube_phase)
{
    /* a 10^3 voxel cube in 20^3 (TauFactor test_metrics): binary marching
       cubes cuts the 12 edges and 8 corners: area 6*9*9 + 12*9*sqrt(2)/2
       ... compare with the exact chamfered-box value */
    fib_volume v = mkvol(FIB_PX_U8, 20, 20, 20);
    for (size_t z = 5; z < 15; z++)
        for (size_t y = 5; y < 15; y++)
            for (size_t x = 5; x < 15; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    fib_mesh m;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_mesh_phase(&v, 1, NULL, &m, &e), FIB_OK);
    /* faces 6 * 9 * 9, edge strips 12 * 9 * (sqrt(2)/2), corners 8 * (
       equilateral triangle of side sqrt(2)/2) */
    double exact = 6 * 81 + 12 * 9 * sqrt(0.5) + 8 * (sqrt(3) / 4 * 0.5);
    ck_assert_double_le(fabs(fib_test_rel(fib_mesh_area(&m), exact)), 1e-4);
    /* chamfered cube: 1000 minus 12 edge prisms of 9 * 0.125 and less at
       the corners */
    ck_assert_double_le(fabs(fib_test_rel(fib_mesh_volume(&m), 1000 - 13.5)),
                        0.005);
    fib_phase_surface ps;
    ck_assert_int_eq(fib_recon_phase_surface(&v, 1, 0, &ps, &e), FIB_OK);
    ck_assert_uint_eq(ps.n_interfaces, 1);
    ck_assert_uint_eq(ps.other[0], 0);
    /* per total: area / 8000 nm^3 = um^-1 * 1e3 */
    ck_assert_double_le(fabs(fib_test_rel(ps.per_total_um, exact / 8000 * 1e3)),
                        1e-4);
    ck_assert_double_le(fabs(fib_test_rel(ps.per_phase_um, exact / 1000 * 1e3)),
                        1e-4);
    fib_mesh_clear(&m);
    fib_volume_clear(&v);
}
END_TEST

/* ---- tortuosity ---------------------------------------------------------- */

static fib_tort_result tort(fib_volume *v, int axis)
{
    fib_tort_result r;
    fib_error e = {0};
    fib_tort_opts o = {.rel_tol = 1e-9};
    ck_assert_int_eq(fib_recon_tortuosity(v, axis, &o, &r, NULL, &e), FIB_OK);
    return r;
}

START_TEST(test_tort_block_channel_deadend)
{
    fib_volume v = mkvol(FIB_PX_U8, 12, 10, 8);
    memset(v.data, 1, 12 * 10 * 8);
    v.voxel_size_nm[0] = 2;
    v.voxel_size_nm[1] = 1;
    v.voxel_size_nm[2] = 5;
    for (int a = 0; a < 3; a++) {
        fib_tort_result r = tort(&v, a);
        ck_assert_double_le(fabs(r.tau - 1.0), 1e-6);
        ck_assert_double_le(fabs(r.d_eff_rel - 1.0), 1e-6);
    }
    /* straight channel of 1/4 of the cross-section along x */
    memset(v.data, 0, 12 * 10 * 8);
    for (size_t z = 0; z < 4; z++)
        for (size_t y = 0; y < 5; y++)
            for (size_t x = 0; x < 12; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    fib_tort_result r = tort(&v, 0);
    ck_assert_double_le(fabs(r.tau - 1.0), 1e-6);
    ck_assert_double_le(fabs(r.eps - 0.25), 1e-12);
    /* dead end: channel stops one voxel before the outlet */
    u8(&v)[0] = 0;
    for (size_t z = 0; z < 4; z++)
        for (size_t y = 0; y < 5; y++)
            u8(&v)[idx(&v, 11, y, z)] = 0;
    r = tort(&v, 0);
    ck_assert(isinf(r.tau));
    ck_assert(!r.percolating);
    ck_assert_double_eq(r.d_eff_rel, 0);
    /* along y the dead-end channel is also closed (y < 5 of 10) */
    r = tort(&v, 1);
    ck_assert(isinf(r.tau));
    fib_volume_clear(&v);
}
END_TEST

/* Mean of the flux map over the phase voxels of slice z. */
static double flux_slice_mean(const fib_volume *v, const fib_volume *f,
                              size_t z)
{
    double s = 0;
    size_t c = 0;
    for (size_t y = 0; y < v->ny; y++)
        for (size_t x = 0; x < v->nx; x++)
            if (u8((fib_volume *)v)[idx(v, x, y, z)]) {
                s += (double)((const float *)f->data)[idx(v, x, y, z)];
                c++;
            }
    return s / (double)c;
}

/* Local flux map (issue 17 item 3): straight channels carry the mean flux
 * everywhere (1), a dead end none (0); a constriction of area A2 in a
 * channel of area A1 carries A1 / A2 times the flux density of the wide
 * part. */
START_TEST(test_tort_flux_map)
{
    fib_volume v = mkvol(FIB_PX_U8, 12, 10, 16);
    v.voxel_size_nm[0] = 2;
    v.voxel_size_nm[1] = 1;
    v.voxel_size_nm[2] = 5;
    for (size_t z = 0; z < 16; z++) {
        for (size_t y = 1; y < 3; y++) /* channel 3 x 2 */
            for (size_t x = 1; x < 4; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
        for (size_t y = 5; y < 9; y++) /* channel 4 x 4 */
            for (size_t x = 6; x < 10; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    }
    for (size_t z = 2; z < 14; z++) /* dead end: touches neither face */
        u8(&v)[idx(&v, 11, 0, z)] = 1;
    fib_volume f = {0};
    fib_tort_result r;
    fib_tort_opts o = {.rel_tol = 1e-9, .flux_map = &f};
    ck_assert_int_eq(fib_recon_tortuosity(&v, 2, &o, &r, NULL, NULL), FIB_OK);
    ck_assert_int_eq(f.type, FIB_PX_F32);
    ck_assert_uint_eq(f.nx * f.ny * f.nz, 12 * 10 * 16);
    const float *fl = f.data;
    for (size_t z = 0; z < 16; z++)
        for (size_t y = 0; y < 10; y++)
            for (size_t x = 0; x < 12; x++) {
                const size_t i = idx(&v, x, y, z);
                const bool dead = x == 11 && y == 0;
                if (u8(&v)[i] && !dead)
                    ck_assert_double_eq_tol((double)fl[i], 1.0, 1e-6);
                else
                    ck_assert_double_eq((double)fl[i], 0);
            }
    fib_volume_clear(&f);
    fib_volume_clear(&v);
    /* constriction: 12 x 12 channel, 4 x 4 over z = 12..27 of 40 */
    v = mkvol(FIB_PX_U8, 16, 16, 40);
    for (size_t z = 0; z < 40; z++) {
        const bool narrow = z >= 12 && z < 28;
        const size_t lo = narrow ? 6 : 2, hi = narrow ? 10 : 14;
        for (size_t y = lo; y < hi; y++)
            for (size_t x = lo; x < hi; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    }
    ck_assert_int_eq(fib_recon_tortuosity(&v, 2, &o, &r, NULL, NULL), FIB_OK);
    const double wide = flux_slice_mean(&v, &f, 1),
                 mid = flux_slice_mean(&v, &f, 20);
    ck_assert_double_eq_tol(mid / wide, 144.0 / 16.0, 0.03 * 9);
    /* the normalisation: the mean axial flux over the voxels is 1, and
       in the narrow part the flux is axial and uniform */
    ck_assert_double_eq_tol(flux_slice_mean(&v, &f, 20),
                            (double)((const float *)f.data)[idx(&v, 7, 7, 20)],
                            1e-3);
    fib_volume_clear(&f);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_tort_staircase)
{
    /* TauFactor test_solver_on_slanted_strip_of_ones: zeros(20, 21, 21),
       img[i, i:i+2, i:i+2] = 1; first numpy axis = transport = our x */
    fib_volume v = mkvol(FIB_PX_U8, 20, 21, 21);
    for (size_t i = 0; i < 20; i++)
        for (size_t a = i; a < i + 2; a++)
            for (size_t b = i; b < i + 2; b++)
                u8(&v)[idx(&v, i, a, b)] = 1;
    fib_tort_result r = tort(&v, 0);
    ck_assert_double_le(fabs(r.tau - 7.51667), 5e-5);
    ck_assert(r.converged);
    ck_assert_double_le(r.flux_mismatch, 1e-6);
    /* same geometry along z: transpose x <-> z */
    fib_volume w = mkvol(FIB_PX_U8, 21, 21, 20);
    for (size_t i = 0; i < 20; i++)
        for (size_t a = i; a < i + 2; a++)
            for (size_t b = i; b < i + 2; b++)
                u8(&w)[idx(&w, b, a, i)] = 1;
    r = tort(&w, 2);
    ck_assert_double_le(fabs(r.tau - 7.51667), 5e-5);
    fib_volume_clear(&v);
    fib_volume_clear(&w);
}
END_TEST

/* Independent reference: plain double Jacobi-PCG on the full grid, with
 * the percolating voxels found by two flood fills (from the inlet and the
 * outlet face), to rel. residual 1e-12; returns tau (TauFactor's
 * definition as in fib/measure.h). */
static double ref_tau(const uint8_t *m, const size_t d[3], const double s[3],
                      int axis)
{
    size_t n = d[0] * d[1] * d[2], st[3] = {1, d[0], d[0] * d[1]};
    uint8_t *reach = calloc(n, 1);
    size_t *stack = malloc(n * sizeof *stack);
    for (int side = 0; side < 2; side++) {
        size_t top = 0;
        for (size_t i = 0; i < n; i++) {
            size_t t = (i / st[axis]) % d[axis];
            if (m[i] && t == (side ? d[axis] - 1 : 0)) {
                reach[i] |= (uint8_t)(1 << side);
                stack[top++] = i;
            }
        }
        while (top) {
            size_t i = stack[--top];
            for (int a = 0; a < 3; a++) {
                size_t c = (i / st[a]) % d[a];
                for (int sg = -1; sg <= 1; sg += 2) {
                    if ((sg < 0 && c == 0) || (sg > 0 && c + 1 == d[a]))
                        continue;
                    size_t j = sg < 0 ? i - st[a] : i + st[a];
                    if (m[j] && !(reach[j] & (1 << side))) {
                        reach[j] |= (uint8_t)(1 << side);
                        stack[top++] = j;
                    }
                }
            }
        }
    }
    double g[3] = {s[1] * s[2] / s[0], s[0] * s[2] / s[1], s[0] * s[1] / s[2]};
    double gb = 2 * g[axis];
    double *x = calloc(n, sizeof *x), *r = calloc(n, sizeof *r),
           *p = calloc(n, sizeof *p), *q = calloc(n, sizeof *q),
           *dg = calloc(n, sizeof *dg);
    double bb = 0, rz = 0;
    for (size_t i = 0; i < n; i++) {
        if (reach[i] != 3)
            continue;
        size_t t = (i / st[axis]) % d[axis];
        for (int a = 0; a < 3; a++) {
            size_t c = (i / st[a]) % d[a];
            dg[i] += (c > 0 && reach[i - st[a]] == 3) ? g[a] : 0;
            dg[i] += (c + 1 < d[a] && reach[i + st[a]] == 3) ? g[a] : 0;
        }
        dg[i] += (t == 0 ? gb : 0) + (t + 1 == d[axis] ? gb : 0);
        r[i] = t == 0 ? gb : 0; /* x = 0 */
        bb += r[i] * r[i];
        p[i] = r[i] / dg[i];
        rz += r[i] * p[i];
    }
    for (int it = 0; it < 100000; it++) {
        double pq = 0, rr = 0, rz2 = 0;
        for (size_t i = 0; i < n; i++) {
            if (!dg[i])
                continue;
            q[i] = dg[i] * p[i];
            for (int a = 0; a < 3; a++) {
                size_t c = (i / st[a]) % d[a];
                if (c > 0 && dg[i - st[a]])
                    q[i] -= g[a] * p[i - st[a]];
                if (c + 1 < d[a] && dg[i + st[a]])
                    q[i] -= g[a] * p[i + st[a]];
            }
            pq += p[i] * q[i];
        }
        double al = rz / pq;
        for (size_t i = 0; i < n; i++) {
            x[i] += al * p[i];
            r[i] -= al * q[i];
            rr += r[i] * r[i];
            rz2 += dg[i] ? r[i] * r[i] / dg[i] : 0;
        }
        if (sqrt(rr / bb) < 1e-12)
            break;
        for (size_t i = 0; i < n; i++)
            p[i] = dg[i] ? r[i] / dg[i] + rz2 / rz * p[i] : 0;
        rz = rz2;
    }
    double fin = 0, fout = 0, A = 1, eps = 0;
    for (size_t i = 0; i < n; i++) {
        size_t t = (i / st[axis]) % d[axis];
        eps += m[i] != 0;
        if (reach[i] == 3 && t == 0)
            fin += gb * (1 - x[i]);
        if (reach[i] == 3 && t + 1 == d[axis])
            fout += gb * x[i];
    }
    for (int a = 0; a < 3; a++)
        if (a != axis)
            A *= (double)d[a] * s[a];
    double D = 0.5 * (fin + fout) * (double)d[axis] * s[axis] / A;
    free(reach);
    free(stack);
    free(x);
    free(r);
    free(p);
    free(q);
    free(dg);
    return eps / (double)n / D;
}

START_TEST(test_tort_random_reference)
{
    /* random 24 x 26 x 23 mask (anisotropic voxels, 60 % phase, dead ends
       and isolated clusters): the compact float solver agrees with the
       plain double reference to 1e-4 at the default tolerance 1e-6 and to
       1e-7 at 1e-10, and gives the same bits with 1 and 2 threads */
    fib_volume v = mkvol(FIB_PX_U8, 24, 26, 23);
    v.voxel_size_nm[0] = 1;
    v.voxel_size_nm[1] = 1.5;
    v.voxel_size_nm[2] = 0.8;
    const size_t d[3] = {24, 26, 23};
    const double s[3] = {1, 1.5, 0.8};
    srand(18);
    for (size_t i = 0; i < 24 * 26 * 23; i++)
        u8(&v)[i] = rand() % 100 < 60;
    for (int a = 0; a < 3; a++) {
        double ref = ref_tau(v.data, d, s, a);
        fib_tort_result r1, r2, r3;
        fib_error e = {0};
        fib_tort_opts o = {.threads = 1};
        ck_assert_int_eq(fib_recon_tortuosity(&v, a, &o, &r1, NULL, &e),
                         FIB_OK);
        ck_assert(r1.converged && r1.rel_residual < 1e-6);
        ck_assert_double_le(fabs(r1.tau / ref - 1), 1e-4);
        o.threads = 2;
        ck_assert_int_eq(fib_recon_tortuosity(&v, a, &o, &r2, NULL, &e),
                         FIB_OK);
        ck_assert(r1.tau == r2.tau && r1.iterations == r2.iterations);
        o.rel_tol = 1e-10;
        ck_assert_int_eq(fib_recon_tortuosity(&v, a, &o, &r3, NULL, &e),
                         FIB_OK);
        ck_assert(r3.rel_residual < 1e-10);
        ck_assert_double_le(fabs(r3.tau / ref - 1), 1e-7);
        ck_assert_double_gt(r3.tau, 1.0);
    }
    fib_volume_clear(&v);
}
END_TEST

/* ---- connected components ------------------------------------------------ */

START_TEST(test_label_connectivity)
{
    /* three voxels: (1,1,1), (2,2,1) edge-adjacent, (3,3,2) corner-adjacent
       to (2,2,1); plus a separate 2-voxel bar */
    fib_volume v = mkvol(FIB_PX_U8, 8, 8, 5);
    u8(&v)[idx(&v, 1, 1, 1)] = 1;
    u8(&v)[idx(&v, 2, 2, 1)] = 1;
    u8(&v)[idx(&v, 3, 3, 2)] = 1;
    u8(&v)[idx(&v, 6, 6, 4)] = 1;
    u8(&v)[idx(&v, 6, 5, 4)] = 1;
    fib_volume l;
    size_t n;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_label(&v, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 4);
    /* raster numbering: first voxel (1,1,1) -> 1 */
    ck_assert_uint_eq(((uint32_t *)l.data)[idx(&v, 1, 1, 1)], 1);
    fib_volume_clear(&l);
    ck_assert_int_eq(fib_recon_label(&v, 18, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 3);
    fib_volume_clear(&l);
    ck_assert_int_eq(fib_recon_label(&v, 26, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 2);
    fib_volume_clear(&l);
    ck_assert_int_eq(fib_recon_label(&v, 7, &l, &n, &e), FIB_EINVAL);
    /* random volume spanning many z slabs: compare to a flood fill */
    fib_volume r = mkvol(FIB_PX_U8, 17, 13, 90);
    srand(7);
    for (size_t i = 0; i < 17 * 13 * 90; i++)
        u8(&r)[i] = rand() % 100 < 35;
    for (int conn = 6; conn <= 26; conn += conn == 6 ? 12 : 8) {
        ck_assert_int_eq(fib_recon_label(&r, conn, &l, &n, &e), FIB_OK);
        /* each pair of face neighbours in the mask shares a label, and the
           number of distinct labels equals n */
        const uint32_t *L = l.data;
        uint32_t maxl = 0;
        for (size_t i = 0; i < 17 * 13 * 90; i++) {
            ck_assert((L[i] != 0) == (u8(&r)[i] != 0));
            if (L[i] > maxl) {
                ck_assert_uint_eq(L[i], maxl + 1); /* raster numbering */
                maxl = L[i];
            }
            if (L[i] && i % 17 && u8(&r)[i - 1])
                ck_assert_uint_eq(L[i], L[i - 1]);
            if (L[i] && i >= 17 * 13 && u8(&r)[i - 17 * 13])
                ck_assert_uint_eq(L[i], L[i - 17 * 13]);
        }
        ck_assert_uint_eq(maxl, n);
        fib_volume_clear(&l);
    }
    fib_volume_clear(&r);
    fib_volume_clear(&v);
}
END_TEST

/* labels by breadth-first flood fill in raster order of the seeds: the
   numbering of scipy.ndimage.label */
static size_t flood_label(const uint8_t *m, size_t nx, size_t ny, size_t nz,
                          int conn, uint32_t *L)
{
    size_t n = nx * ny * nz, *q = malloc(sizeof(size_t) * n);
    uint32_t next = 0;
    memset(L, 0, sizeof(uint32_t) * n);
    for (size_t s = 0; s < n; s++) {
        if (!m[s] || L[s])
            continue;
        size_t h = 0, t = 0;
        L[s] = ++next;
        q[t++] = s;
        while (h < t) {
            size_t i = q[h++], x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
            for (int dz = -1; dz <= 1; dz++)
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int k = abs(dx) + abs(dy) + abs(dz);
                        if (!k || (conn == 6 && k > 1) || (conn == 18 && k > 2))
                            continue;
                        if ((dx < 0 && !x) || (dx > 0 && x + 1 == nx) ||
                            (dy < 0 && !y) || (dy > 0 && y + 1 == ny) ||
                            (dz < 0 && !z) || (dz > 0 && z + 1 == nz))
                            continue;
                        size_t j =
                            (size_t)((ptrdiff_t)i + dx + dy * (ptrdiff_t)nx +
                                     dz * (ptrdiff_t)(nx * ny));
                        if (m[j] && !L[j]) {
                            L[j] = next;
                            q[t++] = j;
                        }
                    }
        }
    }
    free(q);
    return next;
}

/* rows of 64, 100 and 130 voxels (packed 64-voxel words, partial words),
   mask values other than 1 (any nonzero byte is foreground), runs ending
   at the row end: labels identical to a flood fill */
START_TEST(test_label_flood_fill)
{
    const size_t nxs[3] = {64, 100, 130};
    srand(5);
    for (int c = 0; c < 3; c++) {
        size_t nx = nxs[c], ny = 11, nz = 9, n = nx * ny * nz;
        fib_volume v = mkvol(FIB_PX_U8, nx, ny, nz);
        for (size_t i = 0; i < n; i++) {
            int r = rand() % 100;
            u8(&v)[i] = r < 40 ? 0 : (uint8_t)(r < 70 ? 1 : 128 + r);
        }
        uint32_t *ref = malloc(sizeof(uint32_t) * n);
        for (int conn = 6; conn <= 26; conn += conn == 6 ? 12 : 8) {
            fib_volume l;
            size_t nl;
            fib_error e = {0};
            ck_assert_int_eq(fib_recon_label(&v, conn, &l, &nl, &e), FIB_OK);
            ck_assert_uint_eq(nl, flood_label(u8(&v), nx, ny, nz, conn, ref));
            ck_assert(memcmp(l.data, ref, sizeof(uint32_t) * n) == 0);
            fib_volume_clear(&l);
        }
        free(ref);
        fib_volume_clear(&v);
    }
}
END_TEST

/* ---- EDT ----------------------------------------------------------------- */

START_TEST(test_edt_bruteforce)
{
    srand(11);
    for (int trial = 0; trial < 4; trial++) {
        size_t nx = 7 + (size_t)trial, ny = 9, nz = 6 + 2 * (size_t)trial;
        fib_volume v = mkvol(FIB_PX_U8, nx, ny, nz);
        v.voxel_size_nm[0] = 1.0 + trial;
        v.voxel_size_nm[1] = 0.5;
        v.voxel_size_nm[2] = trial == 3 ? 0 : 3.0; /* 0 = unknown = 1 */
        double sp[3] = {v.voxel_size_nm[0], 0.5, trial == 3 ? 1.0 : 3.0};
        size_t n = nx * ny * nz;
        for (size_t i = 0; i < n; i++)
            u8(&v)[i] = rand() % 100 < 85;
        u8(&v)[n / 2] = 0;
        fib_volume d;
        fib_error e = {0};
        ck_assert_int_eq(fib_recon_edt(&v, &d, &e), FIB_OK);
        for (size_t i = 0; i < n; i++) {
            double best = INFINITY;
            if (!u8(&v)[i])
                best = 0;
            else
                for (size_t j = 0; j < n; j++) {
                    if (u8(&v)[j])
                        continue;
                    double dx = ((double)(i % nx) - (double)(j % nx)) * sp[0];
                    double dy =
                        ((double)(i / nx % ny) - (double)(j / nx % ny)) * sp[1];
                    double dz =
                        ((double)(i / (nx * ny)) - (double)(j / (nx * ny))) *
                        sp[2];
                    double dd = sqrt(dx * dx + dy * dy + dz * dz);
                    if (dd < best)
                        best = dd;
                }
            double got = (double)((float *)d.data)[i];
            ck_assert_double_le(fabs(got - best), 1e-5 * (1 + best));
        }
        fib_volume_clear(&d);
        fib_volume_clear(&v);
    }
}
END_TEST

/* ---- thresholds and morphology ------------------------------------------- */

START_TEST(test_otsu_bimodal)
{
    /* two uniform modes 40..59 and 160..179: Otsu falls between */
    fib_volume v = mkvol(FIB_PX_U8, 40, 40, 4);
    for (size_t i = 0; i < 6400; i++)
        u8(&v)[i] = (uint8_t)(i % 3 == 0 ? 160 + i % 20 : 40 + i % 20);
    double t;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_otsu(&v, &t, &e), FIB_OK);
    ck_assert_double_gt(t, 59);
    ck_assert_double_lt(t, 160);
    /* three modes -> multi-Otsu thresholds between them */
    for (size_t i = 0; i < 6400; i++)
        u8(&v)[i] = (uint8_t)(i % 3 == 0   ? 20 + i % 10
                              : i % 3 == 1 ? 120 + i % 10
                                           : 220 + i % 10);
    double th[2];
    ck_assert_int_eq(fib_recon_multi_otsu(&v, 3, th, &e), FIB_OK);
    ck_assert_double_gt(th[0], 29);
    ck_assert_double_lt(th[0], 120);
    ck_assert_double_gt(th[1], 129);
    ck_assert_double_lt(th[1], 220);
    fib_volume lab;
    ck_assert_int_eq(fib_recon_classify(&v, th, 2, &lab, &e), FIB_OK);
    ck_assert_uint_eq(((uint32_t *)lab.data)[0], 0);
    ck_assert_uint_eq(((uint32_t *)lab.data)[1], 1);
    ck_assert_uint_eq(((uint32_t *)lab.data)[2], 2);
    fib_volume_clear(&lab);
    memset(v.data, 7, 6400);
    ck_assert_int_eq(fib_recon_otsu(&v, &t, &e), FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_hysteresis)
{
    fib_volume v = mkvol(FIB_PX_U8, 10, 3, 1);
    uint8_t row[10] = {0, 60, 60, 200, 60, 0, 60, 60, 60, 0};
    memcpy(v.data, row, 10);
    fib_volume m;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_hysteresis(&v, 50, 150, 6, &m, &e), FIB_OK);
    uint8_t want[10] = {0, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(m.data, want, 10);
    fib_volume_clear(&m);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_morph_physical)
{
    /* a single voxel dilated by r = 4 nm with voxels 1 x 2 x 4 nm gives an
       ellipsoid with semi-axes 4, 2, 1 voxels */
    fib_volume v = mkvol(FIB_PX_U8, 21, 21, 21);
    v.voxel_size_nm[0] = 1;
    v.voxel_size_nm[1] = 2;
    v.voxel_size_nm[2] = 4;
    u8(&v)[idx(&v, 10, 10, 10)] = 1;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_morph(&v, FIB_MORPH_DILATE, 4.0, &e), FIB_OK);
    size_t cnt = 0, want = 0;
    for (int z = -10; z <= 10; z++)
        for (int y = -10; y <= 10; y++)
            for (int x = -10; x <= 10; x++) {
                double d2 = x * x + 4.0 * y * y + 16.0 * z * z;
                bool in = d2 <= 16.0;
                want += in;
                ck_assert_int_eq(
                    u8(&v)[idx(&v, (size_t)(x + 10), (size_t)(y + 10),
                               (size_t)(z + 10))],
                    in);
                cnt += in;
            }
    ck_assert_uint_eq(cnt, want);
    /* erosion by the same ball gives the voxel back; opening of a thin
       plate removes it */
    ck_assert_int_eq(fib_recon_morph(&v, FIB_MORPH_ERODE, 4.0, &e), FIB_OK);
    cnt = 0;
    for (size_t i = 0; i < 21 * 21 * 21; i++)
        cnt += u8(&v)[i];
    ck_assert_uint_eq(cnt, 1);
    /* a plate one voxel (4 nm) thick in z does not survive opening by a
       5 nm ball, a 3 nm ball keeps it */
    memset(v.data, 0, 21 * 21 * 21);
    for (size_t y = 0; y < 21; y++)
        for (size_t x = 0; x < 21; x++)
            u8(&v)[idx(&v, x, y, 10)] = 1;
    ck_assert_int_eq(fib_recon_morph(&v, FIB_MORPH_OPEN, 5.0, &e), FIB_OK);
    cnt = 0;
    for (size_t i = 0; i < 21 * 21 * 21; i++)
        cnt += u8(&v)[i];
    ck_assert_uint_eq(cnt, 0);
    /* fill holes + remove small */
    memset(v.data, 0, 21 * 21 * 21);
    for (size_t z = 2; z < 9; z++)
        for (size_t y = 2; y < 9; y++)
            for (size_t x = 2; x < 9; x++)
                u8(&v)[idx(&v, x, y, z)] = !(x == 5 && y == 5 && z == 5);
    u8(&v)[idx(&v, 15, 15, 15)] = 1;
    ck_assert_int_eq(fib_recon_fill_holes(&v, &e), FIB_OK);
    ck_assert_int_eq(u8(&v)[idx(&v, 5, 5, 5)], 1);
    ck_assert_int_eq(fib_recon_remove_small(&v, 6, 2, &e), FIB_OK);
    ck_assert_int_eq(u8(&v)[idx(&v, 15, 15, 15)], 0);
    ck_assert_int_eq(u8(&v)[idx(&v, 2, 2, 2)], 1);
    ck_assert_int_eq(fib_recon_morph(&v, FIB_MORPH_OPEN, -1, &e), FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_watershed_two_spheres)
{
    fib_volume v = mkvol(FIB_PX_U8, 40, 24, 24);
    for (size_t z = 0; z < 24; z++)
        for (size_t y = 0; y < 24; y++)
            for (size_t x = 0; x < 40; x++) {
                double a = pow((double)x - 12, 2) + pow((double)y - 12, 2) +
                           pow((double)z - 12, 2);
                double b = pow((double)x - 26, 2) + pow((double)y - 12, 2) +
                           pow((double)z - 12, 2);
                u8(&v)[idx(&v, x, y, z)] = a <= 64 || b <= 64;
            }
    fib_volume l;
    size_t n;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_label(&v, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 1);
    fib_volume_clear(&l);
    ck_assert_int_eq(fib_recon_watershed(&v, 1.0, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 2);
    const uint32_t *L = l.data;
    ck_assert_uint_ne(L[idx(&v, 12, 12, 12)], L[idx(&v, 26, 12, 12)]);
    fib_volume_clear(&l);
    fib_volume_clear(&v);
}
END_TEST

/* ---- thickness, objects, skeleton ---------------------------------------- */

START_TEST(test_local_thickness)
{
    /* slab of 7 voxels (x 2 nm -> 14 nm) and rod of radius 5 voxels */
    fib_volume v = mkvol(FIB_PX_U8, 30, 30, 20);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = 2;
    for (size_t z = 6; z < 13; z++)
        for (size_t y = 0; y < 30; y++)
            for (size_t x = 0; x < 30; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    fib_volume t;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_local_thickness(&v, &t, NULL, &e), FIB_OK);
    fib_distribution dd;
    ck_assert_int_eq(fib_recon_distribution(&t, &v, 16, &dd, &e), FIB_OK);
    ck_assert_double_le(fabs(dd.median - 14.0), 1e-4);
    ck_assert_double_le(fabs(dd.mean - 14.0), 1e-4);
    fib_volume_clear(&t);
    /* rod along x, radius 5 voxels -> diameter ~ 10 voxels = 20 nm */
    memset(v.data, 0, 30 * 30 * 20);
    for (size_t z = 0; z < 20; z++)
        for (size_t y = 0; y < 30; y++)
            for (size_t x = 0; x < 30; x++) {
                double r2 = pow((double)y - 15, 2) + pow((double)z - 10, 2);
                u8(&v)[idx(&v, x, y, z)] = r2 <= 25.0;
            }
    ck_assert_int_eq(fib_recon_local_thickness(&v, &t, NULL, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_distribution(&t, &v, 16, &dd, &e), FIB_OK);
    /* within one voxel (2 nm) of 2R = 20 nm (digital disc: max 2*(5+.5)-1) */
    ck_assert_double_le(fabs(dd.median - 20.0), 2.0);
    ck_assert_double_le(fabs(dd.max - 20.0), 2.0);
    fib_volume_clear(&t);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_objects)
{
    /* ellipsoid-ish box 10 x 4 x 2 voxels along x, voxel 1 nm, and a
       sphere of radius 6 touching the z0 substrate */
    fib_volume v = mkvol(FIB_PX_U8, 40, 30, 30);
    for (size_t z = 20; z < 22; z++)
        for (size_t y = 10; y < 14; y++)
            for (size_t x = 5; x < 15; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    for (size_t z = 0; z < 30; z++)
        for (size_t y = 0; y < 30; y++)
            for (size_t x = 0; x < 40; x++)
                if (pow((double)x - 28, 2) + pow((double)y - 15, 2) +
                        pow((double)z - 6, 2) <=
                    36.0)
                    u8(&v)[idx(&v, x, y, z)] = 1;
    fib_volume l;
    size_t n;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_label(&v, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 2);
    fib_object_stats *o;
    fib_substrate sub = {.face = 4};
    ck_assert_int_eq(fib_recon_objects(&l, n, &v, &sub, &o, &e), FIB_OK);
    /* label 1 = sphere (first in raster order: lower z) */
    ck_assert_uint_eq(o[0].n_voxels > 800, 1);
    ck_assert(o[0].touches_substrate);
    ck_assert(!o[1].touches_substrate);
    ck_assert_uint_eq(o[1].n_voxels, 80);
    ck_assert_double_le(fabs(o[1].volume_um3 - 80e-9), 1e-15);
    /* box principal axes: sqrt(5 * L^2 / 12) for L = 10, 4, 2 */
    ck_assert_double_le(fabs(o[1].axes_um[0] * 1e3 - sqrt(5 * 100.0 / 12)),
                        1e-6);
    ck_assert_double_le(fabs(o[1].axes_um[2] * 1e3 - sqrt(5 * 4.0 / 12)), 1e-6);
    ck_assert_double_le(fabs(fabs(o[1].axis_dir[0][0]) - 1), 1e-9);
    ck_assert_uint_eq(o[1].bbox_min[0], 5);
    ck_assert_uint_eq(o[1].bbox_max[0], 14);
    /* digital sphere: sphericity close to 1 (binary MC: within 10 %) */
    ck_assert_double_gt(o[0].sphericity, 0.9);
    ck_assert_double_le(o[0].sphericity, 1.02);
    ck_assert_double_le(fabs(o[0].height_um * 1e3 - 13), 1e-9);
    free(o);
    fib_volume_clear(&l);
    fib_volume_clear(&v);
}
END_TEST

/* References for the Lee94 thinning predicates of skeleton.c, written
 * the slow, direct way. */

/* number of 26-components of the object voxels of nb (centre excluded) */
static int t26_count(const uint8_t nb[27])
{
    bool seen[27] = {false};
    int comps = 0, stack[27];
    for (int s0 = 0; s0 < 27; s0++) {
        if (s0 == 13 || !nb[s0] || seen[s0])
            continue;
        comps++;
        int sp = 0;
        stack[sp++] = s0;
        seen[s0] = true;
        while (sp) {
            const int u = stack[--sp];
            for (int v = 0; v < 27; v++)
                if (v != 13 && nb[v] && !seen[v] && abs(u % 3 - v % 3) <= 1 &&
                    abs(u / 3 % 3 - v / 3 % 3) <= 1 &&
                    abs(u / 9 - v / 9) <= 1) {
                    seen[v] = true;
                    stack[sp++] = v;
                }
        }
    }
    return comps;
}

/* Euler characteristic V - E + F - C of the union of the closed unit
 * cubes of the occupied voxels of a 3x3x3 block */
static int euler_chi(const uint8_t nb[27])
{
#define OCC(x, y, z)                                                           \
    ((x) >= 0 && (x) < 3 && (y) >= 0 && (y) < 3 && (z) >= 0 && (z) < 3 &&      \
     nb[(z)*9 + (y)*3 + (x)])
    int V = 0, E = 0, F = 0, C = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 4; k++) {
                int any = 0;
                for (int a = -1; a <= 0; a++)
                    for (int b = -1; b <= 0; b++)
                        for (int c = -1; c <= 0; c++)
                            any |= OCC(i + a, j + b, k + c);
                V += any;
                /* edges from (i, j, k) along +x, +y, +z */
                int ex = 0, ey = 0, ez = 0;
                for (int a = -1; a <= 0; a++)
                    for (int b = -1; b <= 0; b++) {
                        ex |= i < 3 && OCC(i, j + a, k + b);
                        ey |= j < 3 && OCC(i + a, j, k + b);
                        ez |= k < 3 && OCC(i + a, j + b, k);
                    }
                E += ex + ey + ez;
                /* unit faces with lower corner (i, j, k), normal z, y, x */
                F += (i < 3 && j < 3 && (OCC(i, j, k - 1) || OCC(i, j, k))) +
                     (i < 3 && k < 3 && (OCC(i, j - 1, k) || OCC(i, j, k))) +
                     (j < 3 && k < 3 && (OCC(i - 1, j, k) || OCC(i, j, k)));
            }
    for (int q = 0; q < 27; q++)
        C += nb[q] != 0;
#undef OCC
    return V - E + F - C;
}

/* The bit-parallel predicates agree with the direct definitions: every
 * configuration with at most 3 neighbours or at most 3 background voxels,
 * and 2^20 random ones. */
START_TEST(test_skeleton_predicates)
{
    uint64_t st = 88172645463325252ull;
    size_t n_euler = 0, n_t26 = 0;
    for (uint32_t i = 0; i < (1u << 20) + 2 * 2951 + 2; i++) {
        uint32_t cfg;
        if (i < (1u << 20)) {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            cfg = (uint32_t)st & 0x3FFFFFFu;
        } else {
            /* few bits set (and their complements) */
            const uint32_t j = i - (1u << 20);
            uint32_t c = 0, r = j / 2;
            for (int k = 0; k < 3 && r; k++, r /= 27)
                c |= 1u << (r % 26);
            cfg = j % 2 ? c : ~c & 0x3FFFFFFu;
        }
        uint8_t nb[27];
        for (int k = 0, b = 0; k < 27; k++)
            nb[k] = k == 13 ? 1 : (uint8_t)((cfg >> b++) & 1u);
        const int chi1 = euler_chi(nb);
        nb[13] = 0;
        const bool inv = chi1 == euler_chi(nb);
        const bool le1 = t26_count(nb) <= 1;
        ck_assert_msg(inv == fib__skel_euler_invariant(cfg),
                      "Euler, configuration %#x", cfg);
        ck_assert_msg(le1 == fib__skel_t26_le1(cfg), "T26, configuration %#x",
                      cfg);
        n_euler += inv;
        n_t26 += le1;
    }
    ck_assert(n_euler > 1000 && n_t26 > 1000); /* both answers occur */
}
END_TEST

START_TEST(test_skeleton_rod_branch)
{
    /* a 3x3 rod along x of length 30 thins to a line; a T adds a branch */
    fib_volume v = mkvol(FIB_PX_U8, 34, 24, 9);
    for (size_t z = 3; z < 6; z++)
        for (size_t y = 3; y < 6; y++)
            for (size_t x = 2; x < 32; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_skeletonize(&v, &e), FIB_OK);
    fib_skeleton_stats s;
    ck_assert_int_eq(fib_recon_skeleton_stats(&v, -1, &s, &e), FIB_OK);
    ck_assert_uint_eq(s.n_end_points, 2);
    ck_assert_uint_eq(s.n_junctions, 0);
    ck_assert_uint_eq(s.n_branches, 1);
    ck_assert_double_ge(s.total_length_um * 1e3, 24);
    ck_assert_double_le(s.total_length_um * 1e3, 30);
    ck_assert_double_le(fabs(s.mean_branch_tortuosity - 1), 0.05);
    /* T: a side rod along y from the middle */
    memset(v.data, 0, 34 * 24 * 9);
    for (size_t z = 3; z < 6; z++) {
        for (size_t y = 3; y < 6; y++)
            for (size_t x = 2; x < 32; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
        for (size_t y = 3; y < 22; y++)
            for (size_t x = 16; x < 19; x++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    }
    ck_assert_int_eq(fib_recon_skeletonize(&v, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_skeleton_stats(&v, 2, &s, &e), FIB_OK);
    ck_assert_uint_eq(s.n_end_points, 3);
    ck_assert_uint_eq(s.n_junctions, 1);
    ck_assert_uint_eq(s.n_branches, 3);
    ck_assert_double_ge(s.max_height_um * 1e3, 17);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_height_coating)
{
    /* deposit: columns of height x % 4 + 1 voxels on z0, voxel 10 nm */
    fib_volume v = mkvol(FIB_PX_U8, 8, 5, 10);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = 10;
    for (size_t y = 0; y < 5; y++)
        for (size_t x = 0; x < 8; x++)
            for (size_t z = 0; z <= x % 4; z++)
                u8(&v)[idx(&v, x, y, z)] = 1;
    fib_height_stats hs;
    fib_image h;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_height_map(&v, 4, &h, NULL, &hs, &e), FIB_OK);
    ck_assert_double_le(fabs(hs.mean_nm - 25), 1e-9);
    ck_assert_double_le(fabs(hs.max_nm - 40), 1e-9);
    ck_assert_double_le(fabs(hs.ra_nm - 10), 1e-9);
    ck_assert_double_le(fabs((double)((float *)h.data)[3] - 40), 1e-6);
    fib_image_clear(&h);
    fib_volume_clear(&v);
    /* particle: sphere r = 8 (label 1) with a 3-voxel shell (label 2) on
       the upper half only: coverage ~ 0.5, thickness ~ 3 voxels */
    fib_volume l = mkvol(FIB_PX_U8, 32, 32, 32);
    for (size_t z = 0; z < 32; z++)
        for (size_t y = 0; y < 32; y++)
            for (size_t x = 0; x < 32; x++) {
                double r =
                    sqrt(pow((double)x - 15.5, 2) + pow((double)y - 15.5, 2) +
                         pow((double)z - 15.5, 2));
                uint8_t val = r <= 8 ? 1 : (r <= 11 && z > 15) ? 2 : 0;
                u8(&l)[idx(&l, x, y, z)] = val;
            }
    fib_coating_result c;
    fib_mesh m;
    ck_assert_int_eq(fib_recon_coating(&l, 1, 2, 1.5, &c, &m, &e), FIB_OK);
    ck_assert_double_le(fabs(c.coverage - 0.5), 0.06);
    ck_assert_double_le(fabs(c.mean_covered_nm - 3.0), 0.6);
    ck_assert_ptr_nonnull(m.scalar);
    fib_mesh_clear(&m);
    fib_volume_clear(&l);
}
END_TEST

START_TEST(test_phantom)
{
    fib_volume v;
    fib_error e = {0};
    ck_assert_int_eq(
        fib_recon_dendrite_phantom(48, 48, 40, 50, 4, 6, 1.5, 42, &v, &e),
        FIB_OK);
    double f1, f2;
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 1, &f1, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 2, &f2, &e), FIB_OK);
    ck_assert_double_eq_tol(f1, 0.1, 1e-12);
    ck_assert_double_gt(f2, 0.005);
    /* Li touching the substrate (label 1) vs detached particles */
    fib_volume m, l;
    size_t n;
    ck_assert_int_eq(fib_volume_init(&m, FIB_PX_U8, 48, 48, 40, &e), FIB_OK);
    m.voxel_size_nm[0] = m.voxel_size_nm[1] = m.voxel_size_nm[2] = 50;
    for (size_t i = 0; i < 48 * 48 * 40; i++)
        ((uint8_t *)m.data)[i] = ((uint8_t *)v.data)[i] == 2;
    ck_assert_int_eq(fib_recon_label(&m, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_ge(n, 2);
    fib_object_stats *o;
    fib_substrate sub = {.face = -1, .has_label = true, .label = 1};
    ck_assert_int_eq(fib_recon_objects(&l, n, &v, &sub, &o, &e), FIB_OK);
    size_t attached = 0;
    for (size_t k = 0; k < n; k++)
        attached += o[k].touches_substrate;
    ck_assert_uint_ge(attached, 1);
    ck_assert_uint_lt(attached, n);
    free(o);
    /* same seed, same phantom */
    fib_volume w;
    ck_assert_int_eq(
        fib_recon_dendrite_phantom(48, 48, 40, 50, 4, 6, 1.5, 42, &w, &e),
        FIB_OK);
    ck_assert_mem_eq(v.data, w.data, 48 * 48 * 40);
    fib_volume_clear(&w);
    fib_volume_clear(&l);
    fib_volume_clear(&m);
    fib_volume_clear(&v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("measure");
    TCase *tc = tcase_create("analytic");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mc_sphere);
    tcase_add_test(tc, test_mc_cylinder);
    tcase_add_test(tc, test_mc_random_binary_lewiner);
    tcase_add_test(tc, test_mc_cube_phase);
    tcase_add_test(tc, test_tort_block_channel_deadend);
    tcase_add_test(tc, test_tort_staircase);
    tcase_add_test(tc, test_tort_flux_map);
    tcase_add_test(tc, test_tort_random_reference);
    tcase_add_test(tc, test_label_connectivity);
    tcase_add_test(tc, test_label_flood_fill);
    tcase_add_test(tc, test_edt_bruteforce);
    tcase_add_test(tc, test_otsu_bimodal);
    tcase_add_test(tc, test_hysteresis);
    tcase_add_test(tc, test_morph_physical);
    tcase_add_test(tc, test_watershed_two_spheres);
    tcase_add_test(tc, test_local_thickness);
    tcase_add_test(tc, test_objects);
    tcase_add_test(tc, test_skeleton_rod_branch);
    tcase_add_test(tc, test_skeleton_predicates);
    tcase_add_test(tc, test_height_coating);
    tcase_add_test(tc, test_phantom);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
