/* test_measure_stats.c -- battery microstructure statistics against
 * analytic cases: triple-phase boundary of three sectors meeting on a
 * line, chords of a slab and of a ball, the two-point correlation of
 * lamellae (exact) and of a Boolean model of balls (closed form). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib_test.h"

static fib_volume mk(size_t nx, size_t ny, size_t nz, double vox_nm)
{
    fib_volume v;
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, nx, ny, nz, NULL), FIB_OK);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = vox_nm;
    return v;
}

static uint8_t *at(fib_volume *v, size_t x, size_t y, size_t z)
{
    return (uint8_t *)v->data + (z * v->ny + y) * v->nx + x;
}

/* Three phases meeting on one line along z at (cx, cy): 1 for x < cx,
 * 2 for x >= cx and y < cy, 3 for x >= cx and y >= cy.  TPB = that line:
 * nz edges of the z voxel size. */
START_TEST(test_tpb_line)
{
    const size_t n = 24, cx = 10, cy = 14;
    const double vox = 20; /* nm */
    fib_volume v = mk(n, n, n, vox);
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++)
                *at(&v, x, y, z) = x < cx ? 1 : y < cy ? 2 : 3;
    const uint32_t ph[3] = {1, 2, 3};
    fib_tpb_result r;
    ck_assert_int_eq(fib_recon_tpb(&v, ph, 2, &r, NULL), FIB_OK);
    ck_assert_uint_eq(r.n_edges, n);
    ck_assert_uint_eq(r.n_edges_total, 3 * n * (n - 1) * (n - 1));
    ck_assert_double_eq_tol(r.length_um, n * vox * 1e-3, 1e-12);
    const double vol_um3 = pow(n * vox * 1e-3, 3);
    ck_assert_double_eq_tol(r.density_um_per_um3, n * vox * 1e-3 / vol_um3,
                            1e-9);
    ck_assert_double_eq_tol(r.edge_fraction,
                            (double)n / (3.0 * n * (n - 1) * (n - 1)), 1e-15);
    /* every phase spans z: all active */
    ck_assert_double_eq_tol(r.active_fraction, 1.0, 1e-15);
    /* along x, phase 1 touches only the low face: nothing active */
    ck_assert_int_eq(fib_recon_tpb(&v, ph, 0, &r, NULL), FIB_OK);
    ck_assert_uint_eq(r.n_edges, n);
    ck_assert_uint_eq(r.n_edges_active, 0);
    ck_assert_double_eq_tol(r.active_fraction, 0.0, 1e-15);
    /* no axis: activity not tested */
    ck_assert_int_eq(fib_recon_tpb(&v, ph, -1, &r, NULL), FIB_OK);
    ck_assert(isnan(r.active_fraction));
    /* two phases only: no TPB; bad arguments */
    const uint32_t ph2[3] = {1, 2, 9};
    ck_assert_int_eq(fib_recon_tpb(&v, ph2, 2, &r, NULL), FIB_OK);
    ck_assert_uint_eq(r.n_edges, 0);
    ck_assert(isnan(r.active_fraction));
    const uint32_t same[3] = {1, 1, 2};
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_tpb(&v, same, 2, &r, &e), FIB_EINVAL);
    ck_assert_int_eq(fib_recon_tpb(&v, ph, 3, &r, &e), FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

/* TauFactor's own TPB test cases (tests/test_metrics.py of tldr-group/
 * taufactor): a 2x2x2 block with labels 1 at (0,0,0), (1,1,1), 2 at
 * (0,1,1), (1,0,0), 0 elsewhere: every one of its 6 interior edges is a
 * TPB (fraction 1); 1 on the plane x = 0 and 2 on the plane y = 0 (2 over
 * 1 where they cross): 1/3. */
START_TEST(test_tpb_taufactor_cases)
{
    const uint32_t ph[3] = {0, 1, 2};
    fib_tpb_result r;
    fib_volume v = mk(2, 2, 2, 1);
    memset(v.data, 0, 8);
    /* TauFactor indexes img[i, j, k]; the edge count is symmetric in the
     * axes, so i, j, k map to z, y, x here */
    *at(&v, 0, 0, 0) = 1;
    *at(&v, 1, 1, 1) = 1;
    *at(&v, 1, 1, 0) = 2;
    *at(&v, 0, 0, 1) = 2;
    ck_assert_int_eq(fib_recon_tpb(&v, ph, -1, &r, NULL), FIB_OK);
    ck_assert_uint_eq(r.n_edges_total, 6);
    ck_assert_double_eq_tol(r.edge_fraction, 1.0, 1e-15);
    memset(v.data, 0, 8);
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < 2; b++) {
            *at(&v, b, a, 0) = 1; /* img[0] = 1 */
            *at(&v, b, 0, a) = 2; /* img[:, 0] = 2 */
        }
    ck_assert_int_eq(fib_recon_tpb(&v, ph, -1, &r, NULL), FIB_OK);
    ck_assert_double_eq_tol(r.edge_fraction, 1.0 / 3.0, 1e-15);
    fib_volume_clear(&v);
}
END_TEST

/* A slab of thickness t across the volume: every chord along z is t;
 * along x every chord touches the border (left out unless asked). */
START_TEST(test_chords_slab)
{
    const size_t n = 20, t = 7, z0 = 5;
    fib_volume v = mk(n, n, n, 10);
    memset(v.data, 0, n * n * n);
    for (size_t z = z0; z < z0 + t; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++)
                *at(&v, x, y, z) = 1;
    fib_chord_result c;
    ck_assert_int_eq(fib_recon_chords(&v, 1, 2, false, 0, &c, NULL), FIB_OK);
    ck_assert_uint_eq(c.n_chords, n * n);
    ck_assert_double_eq_tol(c.mean_nm, t * 10.0, 1e-9);
    ck_assert_double_eq_tol(c.sd_nm, 0.0, 1e-9);
    ck_assert_uint_eq(c.counts[t], n * n); /* bin width one voxel */
    fib_chord_result_clear(&c);
    /* the complement along z: two border chords per line */
    ck_assert_int_eq(fib_recon_chords(&v, 0, 2, false, 0, &c, NULL), FIB_OK);
    ck_assert_uint_eq(c.n_chords, 0);
    ck_assert_uint_eq(c.n_border_chords, 2 * n * n);
    ck_assert(isnan(c.mean_nm));
    fib_chord_result_clear(&c);
    ck_assert_int_eq(fib_recon_chords(&v, 1, 0, true, 0, &c, NULL), FIB_OK);
    ck_assert_uint_eq(c.n_chords, n * t);
    ck_assert_double_eq_tol(c.mean_nm, n * 10.0, 1e-9);
    fib_chord_result_clear(&c);
    fib_volume_clear(&v);
}
END_TEST

/* A ball of radius R: chords along any axis have density l / (2 R^2) on
 * [0, 2R] (lines uniform over the projected disc), mean 4R/3 and
 * length-weighted mean 3R/2; the voxelised ball within 3 %. */
START_TEST(test_chords_ball)
{
    const size_t n = 64;
    const double R = 24, c0 = 31.5;
    fib_volume v = mk(n, n, n, 1);
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                const double dx = x - c0, dy = y - c0, dz = z - c0;
                *at(&v, x, y, z) = dx * dx + dy * dy + dz * dz <= R * R;
            }
    for (int axis = 0; axis < 3; axis++) {
        fib_chord_result c;
        ck_assert_int_eq(fib_recon_chords(&v, 1, axis, false, 4, &c, NULL),
                         FIB_OK);
        ck_assert_msg(fabs(c.mean_nm / (4 * R / 3) - 1) < 0.03, "mean %g",
                      c.mean_nm);
        ck_assert_msg(fabs(c.weighted_mean_nm / (1.5 * R) - 1) < 0.03,
                      "weighted mean %g", c.weighted_mean_nm);
        /* the histogram follows l / (2 R^2): the upper half of the range
         * [R, 2R] holds 3/4 of the chords */
        size_t hi = 0;
        for (size_t k = 0; k < c.n_bins; k++)
            if ((k + 0.5) * c.bin_nm >= R)
                hi += c.counts[k];
        ck_assert_msg(fabs((double)hi / c.n_chords - 0.75) < 0.03,
                      "upper half %g", (double)hi / c.n_chords);
        fib_chord_result_clear(&c);
    }
    fib_volume_clear(&v);
}
END_TEST

/* Lamellae of period 2t along z: S2(r) = m (t - r) / (n - r) for r <= t
 * exactly (m periods, pairs inside the volume only). */
START_TEST(test_two_point_lamellae)
{
    const size_t t = 6, m = 5, n = 2 * t * m;
    fib_volume v = mk(8, 8, n, 1);
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < 8; y++)
            for (size_t x = 0; x < 8; x++)
                *at(&v, x, y, z) = (z / t) % 2 == 0;
    double s2[7];
    ck_assert_int_eq(fib_recon_two_point(&v, 1, 2, t, s2, NULL), FIB_OK);
    for (size_t r = 0; r <= t; r++)
        ck_assert_double_eq_tol(s2[r], (double)(m * (t - r)) / (double)(n - r),
                                1e-15);
    /* across the lamellae (x): constant = the volume fraction */
    ck_assert_int_eq(fib_recon_two_point(&v, 1, 0, 5, s2, NULL), FIB_OK);
    for (size_t r = 0; r <= 5; r++)
        ck_assert_double_eq_tol(s2[r], 0.5, 1e-15);
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_two_point(&v, 1, 0, 8, s2, &e), FIB_EINVAL);
    fib_volume_clear(&v);
}
END_TEST

/* Boolean model of digital balls: centres on the lattice, each voxel a
 * centre with probability p independently (periodic wrap), ball B of
 * radius R.  The void phase has S2(r) = (1 - p)^(2|B| - |B n (B + r)|)
 * exactly (Torquato, Random Heterogeneous Materials, 2002, ch. 5, for the
 * overlapping-sphere model; here with |B| and the overlap counted on the
 * lattice).  Measured within 0.006 at every lag. */
START_TEST(test_two_point_boolean)
{
    const size_t n = 96;
    const int R = 4;
    const double p = 0.0025;
    fib_volume v = mk(n, n, n, 1);
    memset(v.data, 0, n * n * n);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    size_t nb = 0;
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                if ((double)(s >> 11) * 0x1p-53 >= p)
                    continue;
                for (int dz = -R; dz <= R; dz++)
                    for (int dy = -R; dy <= R; dy++)
                        for (int dx = -R; dx <= R; dx++)
                            if (dx * dx + dy * dy + dz * dz <= R * R)
                                *at(&v, (x + n + dx) % n, (y + n + dy) % n,
                                    (z + n + dz) % n) = 1;
            }
    /* |B| and |B n (B + r e_x)| on the lattice */
    long ball = 0, ov[13] = {0};
    for (int dz = -R; dz <= R; dz++)
        for (int dy = -R; dy <= R; dy++)
            for (int dx = -R; dx <= R; dx++)
                if (dx * dx + dy * dy + dz * dz <= R * R) {
                    ball++;
                    for (int r = 0; r <= 12; r++) {
                        const int ex = dx - r;
                        ov[r] += ex * ex + dy * dy + dz * dz <= R * R;
                    }
                }
    double s2[13];
    ck_assert_int_eq(fib_recon_two_point(&v, 0, 0, 12, s2, NULL), FIB_OK);
    for (int r = 0; r <= 12; r++) {
        const double expect = pow(1 - p, (double)(2 * ball - ov[r]));
        ck_assert_msg(fabs(s2[r] - expect) < 0.006, "r %d: %g vs %g", r, s2[r],
                      expect);
        nb += r == 12;
    }
    ck_assert(nb == 1);
    /* the void fraction is S2(0) and S2 decays to its square */
    ck_assert(s2[12] < s2[0]);
    fib_volume_clear(&v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("measure_stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tpb_line);
    tcase_add_test(tc, test_tpb_taufactor_cases);
    tcase_add_test(tc, test_chords_slab);
    tcase_add_test(tc, test_chords_ball);
    tcase_add_test(tc, test_two_point_lamellae);
    tcase_add_test(tc, test_two_point_boolean);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
