/* test_measure_psd.c -- pore and particle sizes and contact areas against
 * analytic cases: intrusion of a spherical pore through a cylindrical
 * throat (the step sits at the throat radius; a closed pore is never
 * reached), the Washburn pressure, two touching balls split into two
 * with their equivalent diameters, contact areas of two face-sharing
 * boxes (exact face count) and of a ball (isotropic correction). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "fib_test.h"

static fib_volume mk(size_t nx, size_t ny, size_t nz, double vox_nm,
                     uint8_t fill)
{
    fib_volume v;
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, nx, ny, nz, NULL), FIB_OK);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = vox_nm;
    memset(v.data, fill, nx * ny * nz);
    return v;
}

static uint8_t *at(fib_volume *v, size_t x, size_t y, size_t z)
{
    return (uint8_t *)v->data + (z * v->ny + y) * v->nx + x;
}

/* Solid (1) block with a spherical pore (0) of radius R voxels at the
 * centre, joined to the z0 face by a cylindrical throat of radius rt
 * voxels along z (rt = 0: no throat).  Returns the pore voxel count of the
 * sphere. */
static size_t pore_block(fib_volume *v, double R, double rt)
{
    const double c = (double)(v->nx - 1) / 2, cz = (double)v->nz - R - 4;
    size_t nsph = 0;
    for (size_t z = 0; z < v->nz; z++)
        for (size_t y = 0; y < v->ny; y++)
            for (size_t x = 0; x < v->nx; x++) {
                const double dx = (double)x - c, dy = (double)y - c;
                const double dz = (double)z - cz;
                const bool sph = dx * dx + dy * dy + dz * dz <= R * R;
                const bool thr =
                    rt > 0 && z <= cz && dx * dx + dy * dy <= rt * rt;
                nsph += sph;
                *at(v, x, y, z) = sph || thr ? 0 : 1;
            }
    return nsph;
}

START_TEST(test_intrusion_throat)
{
    const double vox = 10; /* nm */
    const double radii_vox[] = {12, 9, 7, 6, 5.5, 5, 4, 3.5, 3, 2, 1};
    const size_t nr = sizeof radii_vox / sizeof *radii_vox;
    double radii[16];
    for (size_t k = 0; k < nr; k++)
        radii[k] = radii_vox[nr - 1 - k] * vox; /* ascending: sorted inside */
    /* throat radius 3 and 5 voxels: a sphere of radius r passes the
       throat when r <= its EDT, sqrt(10) = 3.16 and sqrt(26) = 5.10
       voxels (nearest solid voxel centre to the axis) */
    const double throat[2] = {3, 5}, pass_vox[2] = {3, 5};
    for (int t = 0; t < 2; t++) {
        fib_volume v = mk(33, 33, 40, vox, 1);
        const size_t nsph = pore_block(&v, 10, throat[t]);
        fib_intrusion_result r;
        ck_assert_int_eq(
            fib_recon_intrusion(&v, 0, 2, nr, radii, &r, NULL, NULL), FIB_OK);
        ck_assert_uint_eq(r.n_sizes, nr);
        size_t npore = 0;
        for (size_t i = 0; i < 33 * 33 * 40; i++)
            npore += ((uint8_t *)v.data)[i] == 0;
        ck_assert_uint_eq(r.phase_voxels, npore);
        for (size_t k = 0; k < nr; k++) {
            ck_assert_double_eq_tol(r.radius_nm[k], radii_vox[k] * vox, 1e-9);
            ck_assert(k == 0 || r.fraction[k] >= r.fraction[k - 1]);
            if (radii_vox[k] > pass_vox[t] + 0.2)
                ck_assert_double_eq(r.fraction[k], 0); /* nothing enters */
        }
        /* at the throat radius the sphere fills (all but its digital
           rim, < 10 %) */
        for (size_t k = 0; k < nr; k++)
            if (radii_vox[k] == pass_vox[t])
                ck_assert_double_ge(r.fraction[k] * (double)npore,
                                    0.9 * (double)nsph);
        /* at one voxel everything is reached */
        ck_assert_double_eq_tol(r.fraction[nr - 1], 1.0, 1e-12);
        /* closed pore: never intruded */
        pore_block(&v, 10, 0);
        ck_assert_int_eq(
            fib_recon_intrusion(&v, 0, 2, nr, radii, &r, NULL, NULL), FIB_OK);
        ck_assert_double_eq(r.fraction[nr - 1], 0);
        ck_assert_uint_eq(r.intruded_voxels, 0);
        /* from all faces: the same throat is the only way in */
        pore_block(&v, 10, throat[t]);
        ck_assert_int_eq(
            fib_recon_intrusion(&v, 0, -1, nr, radii, &r, NULL, NULL), FIB_OK);
        ck_assert_double_eq_tol(r.fraction[nr - 1], 1.0, 1e-12);
        fib_volume_clear(&v);
    }
}
END_TEST

START_TEST(test_intrusion_default_radii)
{
    fib_volume v = mk(20, 20, 20, 2, 0); /* all pore: EDT inf */
    for (size_t x = 0; x < 20; x++)
        for (size_t y = 0; y < 20; y++)
            *at(&v, x, y, 10) = 1; /* one solid plane */
    fib_intrusion_result r;
    ck_assert_int_eq(fib_recon_intrusion(&v, 0, 2, 0, NULL, &r, NULL, NULL),
                     FIB_OK);
    ck_assert_uint_eq(r.n_sizes, 25);
    /* largest EDT: 10 voxels from the solid plane (z = 0) -> 20 nm;
       smallest radius one voxel, 2 nm; log-spaced */
    ck_assert_double_eq_tol(r.radius_nm[0], 20, 1e-9);
    ck_assert_double_eq_tol(r.radius_nm[24], 2, 1e-9);
    ck_assert_double_eq_tol(r.radius_nm[12], sqrt(20.0 * 2.0), 1e-9);
    ck_assert_double_eq_tol(r.fraction[24], 1.0, 1e-12);
    /* bad arguments */
    ck_assert_int_eq(fib_recon_intrusion(&v, 0, 3, 0, NULL, &r, NULL, NULL),
                     FIB_EINVAL);
    ck_assert_int_eq(fib_recon_intrusion(&v, 0, 2, 65, NULL, &r, NULL, NULL),
                     FIB_EINVAL);
    const double bad[1] = {-1};
    ck_assert_int_eq(fib_recon_intrusion(&v, 0, 2, 1, bad, &r, NULL, NULL),
                     FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

/* The definition written out (PoreSpy porosimetry, mode "dt", access
 * limited; one brute-force dilation per radius): seeds of radius r =
 * voxels with EDT >= r 6-connected through such voxels to an inlet
 * voxel, intruded = voxels with a seed closer than r (squared distances
 * are exact integers here: integer voxel sizes). */
static void intrusion_reference(const fib_volume *v, uint8_t value, int axis,
                                const fib_intrusion_result *r, double *frac)
{
    const size_t nx = v->nx, ny = v->ny, nz = v->nz, n = nx * ny * nz;
    const double *sp = v->voxel_size_nm;
    fib_volume mask = mk(nx, ny, nz, 1, 0), dist = {0};
    memcpy(mask.voxel_size_nm, sp, sizeof mask.voxel_size_nm);
    const uint8_t *lab = v->data;
    uint8_t *m = mask.data, *seed = malloc(n), *done = calloc(n, 1);
    size_t *queue = malloc(n * sizeof *queue), np = 0;
    for (size_t i = 0; i < n; i++)
        np += m[i] = lab[i] == value;
    ck_assert_int_eq(fib_recon_edt(&mask, &dist, NULL), FIB_OK);
    const float *d = dist.data;
    const size_t dims[3] = {nx, ny, nz}, step[3] = {1, nx, nx * ny};
    for (size_t k = 0; k < r->n_sizes; k++) {
        const float rf = (float)r->radius_nm[k];
        size_t head = 0, tail = 0;
        memset(seed, 0, n);
        for (size_t i = 0; i < n; i++) {
            const size_t c[3] = {i % nx, i / nx % ny, i / (nx * ny)};
            bool on = false;
            for (int a = 0; a < 3; a++)
                if (axis < 0 || a == axis)
                    on |= c[a] == 0 || c[a] + 1 == dims[a];
            if (on && m[i] && d[i] >= rf) {
                seed[i] = 1;
                queue[tail++] = i;
            }
        }
        while (head < tail) {
            const size_t i = queue[head++];
            const size_t c[3] = {i % nx, i / nx % ny, i / (nx * ny)};
            for (int a = 0; a < 3; a++)
                for (int s = -1; s <= 1; s += 2) {
                    if ((s < 0 && c[a] == 0) || (s > 0 && c[a] + 1 == dims[a]))
                        continue;
                    const size_t j = s < 0 ? i - step[a] : i + step[a];
                    if (!seed[j] && m[j] && d[j] >= rf) {
                        seed[j] = 1;
                        queue[tail++] = j;
                    }
                }
        }
        const float r2 = (float)(r->radius_nm[k] * r->radius_nm[k]);
        for (size_t t = 0; t < tail; t++) {
            const size_t s = queue[t];
            const ptrdiff_t c[3] = {(ptrdiff_t)(s % nx),
                                    (ptrdiff_t)(s / nx % ny),
                                    (ptrdiff_t)(s / (nx * ny))};
            for (size_t i = 0; i < n; i++) {
                const ptrdiff_t e[3] = {(ptrdiff_t)(i % nx) - c[0],
                                        (ptrdiff_t)(i / nx % ny) - c[1],
                                        (ptrdiff_t)(i / (nx * ny)) - c[2]};
                double q = 0;
                for (int a = 0; a < 3; a++)
                    q += (double)(e[a] * e[a]) * sp[a] * sp[a];
                if ((float)q < r2)
                    done[i] = 1;
            }
        }
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            cnt += done[i];
        frac[k] = (double)cnt / (double)np;
    }
    fib_volume_clear(&mask);
    fib_volume_clear(&dist);
    free(seed);
    free(done);
    free(queue);
}

/* The one-pass intrusion equals the per-radius definition voxel count for
 * voxel count on random pore spaces (overlapping balls of random radii
 * in a solid block), anisotropic voxels, every inlet choice. */
START_TEST(test_intrusion_reference)
{
    const double vox[2][3] = {{1, 1, 1}, {2, 3, 2}};
    unsigned seed = 17;
    for (int t = 0; t < 2; t++) {
        fib_volume v = mk(22, 19, 17, 1, 1);
        memcpy(v.voxel_size_nm, vox[t], sizeof v.voxel_size_nm);
        for (int b = 0; b < 14; b++) {
            const double c[3] = {rand_r(&seed) % 22, rand_r(&seed) % 19,
                                 rand_r(&seed) % 17};
            const double R = 1.5 + (rand_r(&seed) % 40) / 10.0;
            for (size_t z = 0; z < 17; z++)
                for (size_t y = 0; y < 19; y++)
                    for (size_t x = 0; x < 22; x++) {
                        const double dx = (double)x - c[0],
                                     dy = (double)y - c[1],
                                     dz = (double)z - c[2];
                        if (dx * dx + dy * dy + dz * dz <= R * R)
                            *at(&v, x, y, z) = 0;
                    }
        }
        for (int axis = -1; axis < 3; axis++) {
            fib_intrusion_result r;
            ck_assert_int_eq(
                fib_recon_intrusion(&v, 0, axis, 12, NULL, &r, NULL, NULL),
                FIB_OK);
            double ref[FIB_INTRUSION_MAX_SIZES];
            intrusion_reference(&v, 0, axis, &r, ref);
            bool some = false;
            for (size_t k = 0; k < r.n_sizes; k++) {
                ck_assert_double_eq(r.fraction[k], ref[k]);
                some |= r.fraction[k] > 0 && r.fraction[k] < 1;
            }
            ck_assert(some); /* a curve, not a step at one end */
        }
        fib_volume_clear(&v);
    }
}
END_TEST

/* Composite conductivity (issue 17 item 2): layers in series and in
 * parallel against their closed forms (exact in this discretisation),
 * one label of conductivity 1 against the tortuosity solver's D_eff / D,
 * an insulating layer. */
START_TEST(test_conductivity_laminates)
{
    const uint32_t lv[2] = {1, 2};
    const double sg[2] = {1.0, 10.0};
    fib_conductivity_result c;
    /* series: z < 8 label 1, z >= 8 label 2, along z */
    fib_volume v = mk(6, 5, 20, 1, 1);
    v.voxel_size_nm[0] = 2;
    v.voxel_size_nm[2] = 5;
    for (size_t z = 8; z < 20; z++)
        for (size_t y = 0; y < 5; y++)
            for (size_t x = 0; x < 6; x++)
                *at(&v, x, y, z) = 2;
    ck_assert_int_eq(fib_recon_effective_conductivity(&v, lv, sg, 2, 2, 1e-12,
                                                      &c, NULL, NULL),
                     FIB_OK);
    ck_assert(c.percolating && c.converged);
    ck_assert_double_eq_tol(c.sigma_eff, 1.0 / (0.4 / 1.0 + 0.6 / 10.0), 1e-9);
    /* the same layers along x are in parallel: f1 s1 + f2 s2 */
    ck_assert_int_eq(fib_recon_effective_conductivity(&v, lv, sg, 2, 0, 1e-12,
                                                      &c, NULL, NULL),
                     FIB_OK);
    ck_assert_double_eq_tol(c.sigma_eff, 0.4 * 1.0 + 0.6 * 10.0, 1e-9);
    ck_assert_double_le(c.flux_mismatch, 1e-9);
    /* an insulating layer (label 2 given conductivity 0) across z */
    const double ins[2] = {1.0, 0.0};
    ck_assert_int_eq(
        fib_recon_effective_conductivity(&v, lv, ins, 2, 2, 0, &c, NULL, NULL),
        FIB_OK);
    ck_assert(!c.percolating);
    ck_assert_double_eq(c.sigma_eff, 0);
    /* along x only label 1 conducts: its fraction */
    ck_assert_int_eq(
        fib_recon_effective_conductivity(&v, lv, ins, 2, 0, 0, &c, NULL, NULL),
        FIB_OK);
    ck_assert_double_eq_tol(c.sigma_eff, 0.4, 1e-7);
    fib_volume_clear(&v);
    /* one label, conductivity 1: D_eff / D of the tortuosity solver on a
       random pore space */
    v = mk(18, 16, 14, 1, 1);
    v.voxel_size_nm[1] = 2;
    unsigned seed = 5;
    for (size_t i = 0; i < 18 * 16 * 14; i++)
        ((uint8_t *)v.data)[i] = rand_r(&seed) % 100 < 62;
    const uint32_t one = 1;
    const double s1 = 1.0;
    ck_assert_int_eq(fib_recon_effective_conductivity(&v, &one, &s1, 1, 1,
                                                      1e-12, &c, NULL, NULL),
                     FIB_OK);
    fib_tort_result tr;
    const fib_tort_opts to = {.rel_tol = 1e-10};
    ck_assert_int_eq(fib_recon_tortuosity(&v, 1, &to, &tr, NULL, NULL), FIB_OK);
    ck_assert(tr.percolating && c.sigma_eff > 0.05);
    ck_assert_uint_eq(c.unknowns, tr.unknowns);
    ck_assert_double_eq_tol(c.sigma_eff, tr.d_eff_rel, 1e-6 * tr.d_eff_rel);
    /* bad arguments */
    ck_assert_int_eq(fib_recon_effective_conductivity(&v, &one, &s1, 1, 3, 0,
                                                      &c, NULL, NULL),
                     FIB_EINVAL);
    const double neg = -1;
    ck_assert_int_eq(fib_recon_effective_conductivity(&v, &one, &neg, 1, 0, 0,
                                                      &c, NULL, NULL),
                     FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_washburn)
{
    /* -2 * 0.485 N/m * cos(140 deg) / 1 um = 0.74306 MPa */
    ck_assert_double_eq_tol(fib_recon_washburn_pressure_MPa(1000),
                            -2 * 0.485 * cos(140 * M_PI / 180) / 1e-6 * 1e-6,
                            1e-12);
    ck_assert_double_eq_tol(fib_recon_washburn_pressure_MPa(1000), 0.74306,
                            1e-5);
    ck_assert_double_eq_tol(fib_recon_washburn_pressure_MPa(10),
                            100 * fib_recon_washburn_pressure_MPa(1000), 1e-9);
    ck_assert(isinf(fib_recon_washburn_pressure_MPa(0)));
}
END_TEST

/* Balls of radii R1, R2 (voxels) with centres d apart along x. */
static size_t two_balls(fib_volume *v, double R1, double R2, double d)
{
    const double cy = (double)(v->ny - 1) / 2, c1 = R1 + 3, c2 = c1 + d;
    size_t n = 0;
    for (size_t z = 0; z < v->nz; z++)
        for (size_t y = 0; y < v->ny; y++)
            for (size_t x = 0; x < v->nx; x++) {
                const double dy = (double)y - cy, dz = (double)z - cy;
                const double a = (double)x - c1, b = (double)x - c2;
                const bool in = a * a + dy * dy + dz * dz <= R1 * R1 ||
                                b * b + dy * dy + dz * dz <= R2 * R2;
                *at(v, x, y, z) = in ? 3 : 0;
                n += in;
            }
    return n;
}

/* Volume of a ball of radius R cut by a plane at distance a from its
 * centre, the side with the centre. */
static double ball_cut(double R, double a)
{
    const double h = R - a; /* cap height */
    return 4.0 / 3.0 * M_PI * R * R * R - M_PI * h * h * (3 * R - h) / 3.0;
}

START_TEST(test_particle_sizes_two_balls)
{
    const double vox = 4; /* nm */
    /* equal balls R = 9, centres 16 apart: cut at the mid-plane */
    fib_volume v = mk(46, 26, 26, vox, 0);
    size_t n = two_balls(&v, 9, 9, 16);
    fib_particle_sizes ps;
    ck_assert_int_eq(fib_recon_particle_sizes(&v, 3, -1, &ps, NULL), FIB_OK);
    ck_assert_uint_eq(ps.n, 2);
    ck_assert_double_eq_tol(ps.h_nm, vox, 1e-12);
    ck_assert_uint_eq(ps.n_voxels[0] + ps.n_voxels[1], n);
    double want = cbrt(6 * ball_cut(9, 8) / M_PI) * vox;
    for (int k = 0; k < 2; k++)
        ck_assert_double_eq_tol(ps.eq_diameter_nm[k], want, 0.03 * want);
    ck_assert_double_eq_tol(ps.d50_nm, want, 0.03 * want);
    fib_particle_sizes_clear(&ps);
    /* unequal balls R = 10 and 6, centres 14 apart: the neck plane where
       the spheres intersect, x = (d^2 + R1^2 - R2^2) / (2 d) from c1 */
    n = two_balls(&v, 10, 6, 14);
    ck_assert_int_eq(fib_recon_particle_sizes(&v, 3, -1, &ps, NULL), FIB_OK);
    ck_assert_uint_eq(ps.n, 2);
    ck_assert_uint_eq(ps.n_voxels[0] + ps.n_voxels[1], n);
    const double a1 = (14.0 * 14 + 100 - 36) / 28.0, a2 = 14 - a1;
    const double big = cbrt(6 * ball_cut(10, a1) / M_PI) * vox;
    const double small = cbrt(6 * ball_cut(6, a2) / M_PI) * vox;
    /* raster numbering: the big ball (lower x) first */
    ck_assert_double_eq_tol(ps.eq_diameter_nm[0], big, 0.03 * big);
    ck_assert_double_eq_tol(ps.eq_diameter_nm[1], small, 0.05 * small);
    ck_assert_double_eq_tol(ps.mean_nm, (big + small) / 2,
                            0.03 * (big + small) / 2);
    /* volume-weighted: the small ball holds 10..50 % of the volume
       (6^3 / (6^3 + 10^3) = 18 % before the cut), so D10 is the small
       one, D50 and D90 the big one */
    ck_assert_double_eq(ps.d10_nm, ps.eq_diameter_nm[1]);
    ck_assert_double_eq(ps.d50_nm, ps.eq_diameter_nm[0]);
    ck_assert_double_eq(ps.d90_nm, ps.eq_diameter_nm[0]);
    fib_particle_sizes_clear(&ps);
    /* a huge h merges them into one */
    ck_assert_int_eq(fib_recon_particle_sizes(&v, 3, 1000, &ps, NULL), FIB_OK);
    ck_assert_uint_eq(ps.n, 1);
    ck_assert_double_eq_tol(ps.eq_diameter_nm[0],
                            cbrt(6.0 * (double)n / M_PI) * vox, 1e-9);
    fib_particle_sizes_clear(&ps);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_contact_boxes)
{
    fib_volume v = mk(20, 20, 20, 1, 0);
    v.voxel_size_nm[0] = 2;
    v.voxel_size_nm[1] = 3;
    v.voxel_size_nm[2] = 5;
    for (size_t z = 2; z < 7; z++)
        for (size_t y = 3; y < 9; y++)
            for (size_t x = 4; x < 14; x++)
                *at(&v, x, y, z) = x < 10 ? 1 : 2;
    const uint32_t vals[3] = {0, 1, 2};
    fib_contact_result c;
    ck_assert_int_eq(fib_recon_contact_areas(&v, vals, 3, &c, NULL), FIB_OK);
    /* shared face: 6 (y) x 5 (z) faces of dy dz = 15 nm^2 */
    ck_assert_uint_eq(c.faces[1][2], 30);
    ck_assert_uint_eq(c.faces[2][1], 30);
    ck_assert_double_eq_tol(c.face_area_um2[1][2], 30 * 15e-6, 1e-15);
    ck_assert_double_eq_tol(c.isotropic_area_um2[1][2], 20 * 15e-6, 1e-15);
    /* box 1 (6 x 6 x 5 voxels) against 0: one x face (6 x 5 of 15 nm^2),
       two y faces (6 x 5 of dx dz = 10), two z faces (6 x 6 of dx dy = 6) */
    ck_assert_uint_eq(c.faces[0][1], 30 + 60 + 72);
    ck_assert_double_eq_tol(c.face_area_um2[0][1],
                            (30 * 15 + 60 * 10 + 72 * 6) * 1e-6, 1e-15);
    ck_assert_uint_eq(c.faces[1][1], 0);
    /* a label missing from the list is left out */
    const uint32_t two[2] = {1, 2};
    ck_assert_int_eq(fib_recon_contact_areas(&v, two, 2, &c, NULL), FIB_OK);
    ck_assert_uint_eq(c.faces[0][1], 30);
    ck_assert_int_eq(fib_recon_contact_areas(&v, two, 0, &c, NULL), FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_contact_ball_isotropic)
{
    /* a ball of radius 14 voxels: the face count is ~3/2 of the sphere
       area, the isotropic estimate within a few % of 4 pi R^2 */
    const double R = 14;
    fib_volume v = mk(36, 36, 36, 1, 0);
    for (size_t z = 0; z < 36; z++)
        for (size_t y = 0; y < 36; y++)
            for (size_t x = 0; x < 36; x++) {
                const double dx = x - 17.5, dy = y - 17.5, dz = z - 17.5;
                *at(&v, x, y, z) = dx * dx + dy * dy + dz * dz <= R * R;
            }
    const uint32_t vals[2] = {0, 1};
    fib_contact_result c;
    ck_assert_int_eq(fib_recon_contact_areas(&v, vals, 2, &c, NULL), FIB_OK);
    const double sphere_um2 = 4 * M_PI * R * R * 1e-6;
    ck_assert_double_eq_tol(c.isotropic_area_um2[0][1], sphere_um2,
                            0.04 * sphere_um2);
    ck_assert_double_eq_tol(c.face_area_um2[0][1], 1.5 * sphere_um2,
                            0.06 * sphere_um2);
    fib_volume_clear(&v);
}
END_TEST

/* Two uniform blocks of grey values, [0, 99.9] and [150, 249.9], with an
 * empty gap of 50 between them: the valley floor is 0 and the valley is
 * the gap, so the default shift is half of it, 25 (within a bin). */
START_TEST(test_threshold_valley)
{
    fib_volume g;
    ck_assert_int_eq(fib_volume_init(&g, FIB_PX_F32, 100, 20, 1, NULL), FIB_OK);
    float *d = g.data;
    for (size_t i = 0; i < 2000; i++)
        d[i] = (float)(i % 1000) / 10.0f + (i < 1000 ? 0.0f : 150.0f);
    const double w = 249.9 / 256;
    for (int k = 0; k < 3; k++) {
        const double t = 110 + 15 * k; /* anywhere in the gap */
        double delta;
        ck_assert_int_eq(fib_recon_threshold_valley(&g, &t, 1, &delta, NULL),
                         FIB_OK);
        ck_assert_double_eq_tol(delta, 25, w);
    }
    /* thresholds must ascend */
    const double bad[2] = {120, 110};
    double dd[2];
    ck_assert_int_eq(fib_recon_threshold_valley(&g, bad, 2, dd, NULL),
                     FIB_EINVAL);
    fib_volume_clear(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("measure_psd");
    TCase *tc = tcase_create("psd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_intrusion_throat);
    tcase_add_test(tc, test_intrusion_default_radii);
    tcase_add_test(tc, test_intrusion_reference);
    tcase_add_test(tc, test_washburn);
    tcase_add_test(tc, test_conductivity_laminates);
    tcase_add_test(tc, test_particle_sizes_two_balls);
    tcase_add_test(tc, test_contact_boxes);
    tcase_add_test(tc, test_contact_ball_isotropic);
    tcase_add_test(tc, test_threshold_valley);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
