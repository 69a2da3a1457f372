/* test_simulate.c -- the digital twin (fib/simulate.h) against analytic
 * cases: grey levels of a two-phase half space, foreshortening of a step,
 * drift recovered exactly by the pair aligner on a noise-free render, the
 * truth grid, reproducibility, and vendor metadata written by
 * fib_fmt_vendor_tiff_write() read back by our own reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/phantom.h"
#include "fib/recon.h"
#include "fib/simulate.h"
#include "fib/vendor_out.h"
#include "fib_test.h"

#define PI_ 3.14159265358979323846

/* Every artifact off (drift too). */
static fib_sim_params clean_params(void)
{
    fib_sim_params p = {0};
    p.slice_jitter = p.texture = p.edge_gain = p.psf_px = -1;
    p.drift_px = p.jump_prob = -1;
    p.trend_px[0] = (double)NAN;
    p.curtain_amp = p.shading = p.gain_drift = p.dose = p.read_noise = -1;
    p.shine_nm = -1;
    return p;
}

/* nx x ny x nz u8 labels: 0 above row / left of column @p cut, 1 beyond. */
static void half_space(fib_volume *v, size_t n, size_t nz, size_t cut,
                       bool along_y, double vox_nm)
{
    ck_assert_int_eq(fib_volume_init(v, FIB_PX_U8, n, n, nz, NULL), FIB_OK);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++)
                fib_volume_set(v, x, y, z, (along_y ? y : x) >= cut ? 1 : 0);
    v->voxel_size_nm[0] = v->voxel_size_nm[1] = v->voxel_size_nm[2] = vox_nm;
}

START_TEST(test_grey_levels)
{
    fib_volume v = {0};
    half_space(&v, 64, 4, 32, false, 10);
    fib_sim_params p = clean_params();
    const double grey[2] = {0.3, 0.65};
    p.grey = grey;
    p.n_grey = 2;
    fib_sim *s = NULL;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    ck_assert_uint_eq(g.n_phases, 2);
    ck_assert_uint_eq(g.nz, 4);
    fib_image im = {0};
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s, 2, &im, NULL), FIB_OK);
    /* x = X / pixel: the step at X = 320 nm is at image x = (320 - X0)/10 */
    const double xs = (320.0 - g.origin_nm[0]) / 10.0;
    for (size_t y = 0; y < g.ny; y++)
        for (size_t x = 0; x < g.nx; x++) {
            const double c = (double)x + 0.5, val = fib_image_get(&im, x, y);
            if (c < xs - 2.5)
                ck_assert_double_eq_tol(val, 0.3, 1e-6);
            else if (c > xs + 2.5)
                ck_assert_double_eq_tol(val, 0.65, 1e-6);
        }
    /* u8: the full range maps [0, 1] */
    fib_image b = {0};
    ck_assert_int_eq(fib_image_init(&b, FIB_PX_U8, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s, 0, &b, NULL), FIB_OK);
    ck_assert_double_eq(fib_image_get(&b, 0, 0), floor(0.3 * 255 + 0.5));
    fib_image_clear(&b);
    fib_image_clear(&im);
    fib_sim_destroy(s);
    fib_volume_clear(&v);
}
END_TEST

/* The mid-grey crossing of a y step in column 10 (linear between rows). */
static double crossing_row(const fib_image *im, double mid)
{
    for (size_t y = 0; y + 1 < im->height; y++) {
        const double a = fib_image_get(im, 10, y),
                     b = fib_image_get(im, 10, y + 1);
        if (a < mid && b >= mid)
            return (double)y + (mid - a) / (b - a);
    }
    return -1;
}

START_TEST(test_foreshortening)
{
    fib_volume v = {0};
    half_space(&v, 96, 2, 40, true, 10);
    const double tilts[3] = {52.0, 54.0, -1.0};
    for (int t = 0; t < 3; t++) {
        fib_sim_params p = clean_params();
        p.tilt_deg = tilts[t];
        p.psf_px = 1.0; /* a smooth step: the linear crossing between two
                           rows is within a few hundredths of a px */
        fib_sim *s = NULL;
        ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
        const fib_sim_geometry g = fib_sim_get_geometry(s);
        const double f = tilts[t] > 0 ? sin(tilts[t] * PI_ / 180.0) : 1.0;
        ck_assert_double_eq_tol(g.fore, f, 1e-12);
        /* image rows cover the face height times sin(theta), less the
         * 2-px margins a side */
        ck_assert_uint_eq(g.ny, (size_t)floor(960.0 * f / 10.0 - 10.0));
        ck_assert_uint_eq(g.truth_ny, (size_t)floor((double)g.ny / f + 0.5));
        fib_image im = {0};
        ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, g.nx, g.ny, NULL),
                         FIB_OK);
        ck_assert_int_eq(fib_sim_render(s, 0, &im, NULL), FIB_OK);
        /* the step at Y = 400 nm appears at pixel-centre coordinate
         * (400 - Y0) sin(theta) / pixel - 1/2 (Keys interpolation of a
         * symmetric step crosses mid-grey at the step) */
        const double want = (400.0 - g.origin_nm[1]) * f / 10.0 - 0.5;
        const double mid = 0.5 * (g.grey[0] + g.grey[1]);
        ck_assert_double_eq_tol(crossing_row(&im, mid), want, 0.05);
        /* truth grid: rows above the step are label 0, below label 1 */
        fib_image lab = {0};
        ck_assert_int_eq(
            fib_image_init(&lab, FIB_PX_U8, g.nx, g.truth_ny, NULL), FIB_OK);
        ck_assert_int_eq(fib_sim_truth_labels(s, 0, &lab, NULL), FIB_OK);
        for (size_t j = 0; j < g.truth_ny; j++) {
            const double Y = ((double)j + 0.5) * 10.0 + g.origin_nm[1];
            ck_assert_double_eq(fib_image_get(&lab, 5, j), Y < 400 ? 0 : 1);
        }
        fib_image_clear(&lab);
        fib_image_clear(&im);
        fib_sim_destroy(s);
    }
    fib_volume_clear(&v);
}
END_TEST

/* A phantom's slice repeated along z: content that does not change, so a
 * pair's measured shift is the drift difference alone. */
static void static_volume(fib_volume *v)
{
    fib_phantom_params pp = {0};
    pp.kind = FIB_PHANTOM_PARTICLES;
    pp.nx = pp.ny = 128;
    pp.nz = 1;
    pp.seed = 5;
    fib_phantom *ph = NULL;
    ck_assert_int_eq(fib_phantom_create(&pp, &ph, NULL), FIB_OK);
    fib_volume one = {0};
    ck_assert_int_eq(fib_sim_phantom_labels(ph, &one, NULL), FIB_OK);
    fib_phantom_destroy(ph);
    ck_assert_int_eq(fib_volume_init(v, FIB_PX_U8, 128, 128, 12, NULL), FIB_OK);
    for (size_t z = 0; z < 12; z++)
        for (size_t y = 0; y < 128; y++)
            for (size_t x = 0; x < 128; x++)
                fib_volume_set(v, x, y, z, fib_volume_get(&one, x, y, 0));
    v->voxel_size_nm[0] = v->voxel_size_nm[1] = v->voxel_size_nm[2] = 10;
    fib_volume_clear(&one);
}

START_TEST(test_drift_recovered)
{
    fib_volume v = {0};
    static_volume(&v);
    fib_sim_params p = clean_params();
    p.seed = 3;
    p.drift_px = 0.8;
    p.jump_prob = 0.3;
    p.jump_px = 2.5;
    p.edge_gain = 0.3;
    p.psf_px = 0.8;
    fib_sim *s = NULL;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    ck_assert_uint_eq(g.nz, 12);
    fib_image a = {0}, b = {0};
    ck_assert_int_eq(fib_image_init(&a, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_image_init(&b, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s, 0, &a, NULL), FIB_OK);
    fib_recon_params rp = {0};
    double worst = 0, moved = 0, sum_dx = 0, sum_dy = 0, ss = 0;
    for (size_t k = 0; k < g.nz; k++) {
        const fib_sim_slice q = fib_sim_get_slice(s, k);
        sum_dx += q.dx;
        sum_dy += q.dy;
        if (k == 0)
            continue;
        ck_assert_int_eq(fib_sim_render(s, k, &b, NULL), FIB_OK);
        double dx, dy;
        ck_assert_int_eq(
            fib_recon_align_pair(&a, &b, &rp, &dx, &dy, NULL, NULL), FIB_OK);
        const fib_sim_slice q0 = fib_sim_get_slice(s, 0);
        const double tx = q.stage_dx - q0.stage_dx,
                     ty = q.stage_dy - q0.stage_dy;
        /* and in the drift-file convention: content shift = -(a_k - a_0) */
        ck_assert_double_eq_tol(tx, -(q.dx - q0.dx), 1e-9);
        ss += (dx - tx) * (dx - tx) + (dy - ty) * (dy - ty);
        worst = fmax(worst, fmax(fabs(dx - tx), fabs(dy - ty)));
        moved = fmax(moved, hypot(tx, ty));
    }
    /* the aligner's own error (1/20 px steps, content entering at the
     * borders): RMS within 0.05 px, every pair within 0.1 px */
    ck_assert_double_le(sqrt(ss / (2.0 * (double)(g.nz - 1))), 0.05);
    ck_assert_double_le(worst, 0.1);
    ck_assert_double_ge(moved, 1.0); /* the case is not trivial */
    ck_assert_double_eq_tol(sum_dx, 0, 1e-9);
    ck_assert_double_eq_tol(sum_dy, 0, 1e-9);
    fib_image_clear(&a);
    fib_image_clear(&b);
    fib_sim_destroy(s);
    fib_volume_clear(&v);
}
END_TEST

/* The first moment of an interpolated image moves exactly with the shift
 * (Keys' kernel sums to 1 and reproduces linear functions), so the
 * centroid of a blob's excess grey tracks the true drift to rounding. */
START_TEST(test_drift_exact_centroid)
{
    fib_volume v = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, 96, 96, 8, NULL), FIB_OK);
    for (size_t z = 0; z < 8; z++)
        for (size_t y = 0; y < 96; y++)
            for (size_t x = 0; x < 96; x++)
                fib_volume_set(
                    &v, x, y, z,
                    hypot((double)x - 45.3, (double)y - 50.1) < 9 ? 1 : 0);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = 10;
    fib_sim_params p = clean_params();
    p.seed = 11;
    p.drift_px = 1.0;
    p.psf_px = 0.7;
    p.tilt_deg = -1; /* unit sampling step in y too (with 1/sin(theta)
                        steps the kernel's partition of unity is only
                        approximate and the moment exact to ~0.002 px) */
    fib_sim *s = NULL;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    fib_image im = {0};
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    double c0[2] = {0, 0};
    for (size_t k = 0; k < g.nz; k++) {
        ck_assert_int_eq(fib_sim_render(s, k, &im, NULL), FIB_OK);
        double m0 = 0, mx = 0, my = 0;
        for (size_t y = 0; y < g.ny; y++)
            for (size_t x = 0; x < g.nx; x++) {
                const double e = fib_image_get(&im, x, y) - g.grey[0];
                m0 += e;
                mx += e * (double)x;
                my += e * (double)y;
            }
        const double c[2] = {mx / m0, my / m0};
        const fib_sim_slice q = fib_sim_get_slice(s, k);
        if (k == 0) {
            c0[0] = c[0];
            c0[1] = c[1];
            continue;
        }
        const fib_sim_slice q0 = fib_sim_get_slice(s, 0);
        /* drift_true convention: content moved by -(a_k - a_0) */
        ck_assert_double_eq_tol(c[0] - c0[0], -(q.dx - q0.dx), 1e-5);
        ck_assert_double_eq_tol(c[1] - c0[1], -(q.dy - q0.dy), 1e-5);
    }
    fib_image_clear(&im);
    fib_sim_destroy(s);
    fib_volume_clear(&v);
}
END_TEST

/* Pore-back: pore everywhere in front of a solid slab starting at label
 * slice 20; a face at depth z sees the slab at the distance d along the
 * line of sight (d sin(theta) = 20 voxels - z, rounded up to the half-voxel
 * marching step), its grey step weighted by shine_gain exp(-d / shine_nm). */
START_TEST(test_shine_through)
{
    fib_volume v = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, 48, 48, 30, NULL), FIB_OK);
    for (size_t z = 20; z < 30; z++)
        for (size_t y = 0; y < 48; y++)
            for (size_t x = 0; x < 48; x++)
                fib_volume_set(&v, x, y, z, 1);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = 10;
    const double tilts[2] = {-1.0, 52.0};
    for (int t = 0; t < 2; t++) {
        fib_sim_params p = clean_params();
        p.tilt_deg = tilts[t];
        p.shine_nm = 40;
        p.shine_gain = 0.8;
        fib_sim *s = NULL;
        ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
        const fib_sim_geometry g = fib_sim_get_geometry(s);
        const double st = t ? sin(52 * PI_ / 180) : 1.0;
        fib_image im = {0};
        ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, g.nx, g.ny, NULL),
                         FIB_OK);
        const size_t ks[3] = {0, 12, 19};
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(fib_sim_render(s, ks[i], &im, NULL), FIB_OK);
            const double d =
                ceil((double)(20 - ks[i]) * 10.0 / st / 5.0 - 1e-9) * 5.0;
            const double want = g.grey[0] + 0.8 * (g.grey[1] - g.grey[0]) *
                                                (d <= 200 ? exp(-d / 40) : 0);
            /* rows whose line of sight stays inside the volume */
            ck_assert_double_eq_tol(fib_image_get(&im, g.nx / 2, 2), want,
                                    1e-6);
        }
        fib_image_clear(&im);
        fib_sim_destroy(s);
    }
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_receding_face)
{
    fib_volume v = {0};
    half_space(&v, 64, 40, 32, true, 10);
    fib_sim_params p = clean_params();
    p.no_tracking = true;
    p.tilt_deg = 52;
    fib_sim *s = NULL;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    /* recon-methods.md 2.2: t cos(theta) / pixel per slice, content up */
    ck_assert_double_eq_tol(g.face_px, cos(52 * PI_ / 180), 1e-12);
    const fib_sim_slice q = fib_sim_get_slice(s, 10);
    ck_assert_double_eq_tol(q.face_dy, -10 * cos(52 * PI_ / 180), 1e-9);
    fib_sim_destroy(s);
    p.no_tracking = false;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    ck_assert_double_eq(fib_sim_get_slice(s, 10).face_dy, 0);
    fib_sim_destroy(s);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_seed_reproducible)
{
    fib_volume v = {0};
    static_volume(&v);
    fib_sim_params p = {0};
    p.seed = 42;
    fib_sim *s1 = NULL, *s2 = NULL, *s3 = NULL;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s1, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s2, NULL), FIB_OK);
    p.seed = 43;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s3, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s1);
    fib_image a = {0}, b = {0}, c = {0};
    ck_assert_int_eq(fib_image_init(&a, FIB_PX_U16, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_image_init(&b, FIB_PX_U16, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s1, 5, &a, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s2, 5, &b, NULL), FIB_OK);
    ck_assert_int_eq(memcmp(a.data, b.data, g.nx * g.ny * 2), 0);
    ck_assert_double_eq(fib_sim_get_slice(s1, 7).dx,
                        fib_sim_get_slice(s2, 7).dx);
    const fib_sim_geometry g3 = fib_sim_get_geometry(s3);
    ck_assert_int_eq(fib_image_init(&c, FIB_PX_U16, g3.nx, g3.ny, NULL),
                     FIB_OK);
    ck_assert_int_eq(fib_sim_render(s3, 5, &c, NULL), FIB_OK);
    ck_assert(g3.nx != g.nx || g3.ny != g.ny ||
              memcmp(a.data, c.data, g.nx * g.ny * 2) != 0);
    fib_image_clear(&a);
    fib_image_clear(&b);
    fib_image_clear(&c);
    fib_sim_destroy(s1);
    fib_sim_destroy(s2);
    fib_sim_destroy(s3);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_static_face)
{
    fib_volume v = {0};
    half_space(&v, 64, 20, 30, true, 10);
    for (size_t z = 10; z < 20; z++) /* the content changes at slice 10 */
        for (size_t y = 0; y < 64; y++)
            for (size_t x = 0; x < 64; x++)
                fib_volume_set(&v, x, y, z, x < 20 ? 1 : 0);
    fib_sim_params p = clean_params();
    p.texture = 0.05;
    p.shine_nm = 30;
    p.static_face = true;
    fib_sim *s = NULL;
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    fib_image a = {0}, b = {0};
    ck_assert_int_eq(fib_image_init(&a, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_image_init(&b, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s, 0, &a, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s, 15, &b, NULL), FIB_OK);
    ck_assert_int_eq(memcmp(a.data, b.data, g.nx * g.ny * sizeof(float)), 0);
    ck_assert_uint_eq(fib_sim_get_slice(s, 15).label_z, 0);
    fib_sim_destroy(s);
    p.static_face = false; /* the same volume without: slice 15 differs */
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_render(s, 15, &b, NULL), FIB_OK);
    ck_assert_int_ne(memcmp(a.data, b.data, g.nx * g.ny * sizeof(float)), 0);
    fib_sim_destroy(s);
    fib_image_clear(&a);
    fib_image_clear(&b);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_bad_input)
{
    fib_volume v = {0};
    half_space(&v, 32, 2, 16, false, 10);
    fib_sim_params p = {0};
    fib_sim *s = NULL;
    fib_error err = {0};
    const double grey[3] = {0.1, 0.2, 0.3};
    p.grey = grey;
    p.n_grey = 3;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "grey"));
    p = (fib_sim_params){0};
    p.pixel_nm = -3;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "pixel_nm"));
    p.pixel_nm = 100; /* 3.2 px wide */
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "16 px"));
    p = (fib_sim_params){0};
    p.n_slices = 5;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "n_slices"));
    p.n_slices = 0;
    v.voxel_size_nm[1] = 0;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "voxel size y"));
    v.voxel_size_nm[1] = 10;
    for (size_t x = 0; x < 17; x++)
        fib_volume_set(&v, x, 0, 0, (double)(x + 10));
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&v, &p, &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "more than 16"));
    ck_assert_ptr_null(s);
    fib_volume_clear(&v);
    fib_volume f = {0};
    ck_assert_int_eq(fib_volume_init(&f, FIB_PX_F32, 32, 32, 2, NULL), FIB_OK);
    f.voxel_size_nm[0] = f.voxel_size_nm[1] = f.voxel_size_nm[2] = 1;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_sim_create(&f, &p, &s, &err), FIB_EINVAL);
    fib_volume_clear(&f);
}
END_TEST

START_TEST(test_vendor_roundtrip)
{
    char dir[512], path[600];
    fib_test_tmpdir(dir, sizeof dir);
    fib_image im = {0};
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_U16, 37, 21, NULL), FIB_OK);
    for (size_t y = 0; y < 21; y++)
        for (size_t x = 0; x < 37; x++)
            fib_image_set(&im, x, y, (double)(x * 1000 + y));
    const fib_fmt_vendor vendors[2] = {FIB_VENDOR_THERMO_FEI, FIB_VENDOR_ZEISS};
    const double tilt[2] = {52.0, 54.0}, px[2] = {7.5, 3.25};
    for (int i = 0; i < 2; i++) {
        fib_fmt_meta m;
        fib_fmt_meta_init(&m);
        m.vendor = vendors[i];
        m.beam = FIB_BEAM_ELECTRON;
        m.pixel_size_nm[0] = m.pixel_size_nm[1] = px[i];
        m.stage_tilt_deg = tilt[i];
        m.hv_kV = 2.0;
        m.current_pA = 100;
        m.tilt_correction = 0;
        snprintf(path, sizeof path, "%s/v%d.tif", dir, i);
        ck_assert_int_eq(fib_fmt_vendor_tiff_write(path, &im, &m, NULL),
                         FIB_OK);
        fib_image back = {0};
        fib_fmt_meta r;
        ck_assert_int_eq(fib_fmt_image_read(path, NULL, &back, &r, NULL),
                         FIB_OK);
        ck_assert_int_eq(r.vendor, vendors[i]);
        ck_assert_int_eq(r.beam, FIB_BEAM_ELECTRON);
        ck_assert_double_eq_tol(r.pixel_size_nm[0], px[i], 1e-6);
        ck_assert_double_eq_tol(r.pixel_size_nm[1], px[i], 1e-6);
        ck_assert_double_eq_tol(r.stage_tilt_deg, tilt[i], 0.051);
        ck_assert_double_eq_tol(r.hv_kV, 2.0, 1e-9);
        ck_assert_double_eq_tol(r.current_pA, 100, 1e-6);
        ck_assert_int_eq(r.tilt_correction, 0);
        ck_assert_uint_eq(r.databar_rows, 0);
        ck_assert_uint_eq(back.width, 37);
        ck_assert_uint_eq(back.height, 21);
        ck_assert_int_eq(back.type, FIB_PX_U16);
        ck_assert_double_eq(fib_image_get(&back, 36, 20), 36020);
        ck_assert_double_eq(fib_image_get(&back, 3, 7), 3007);
        fib_image_clear(&back);
    }
    fib_fmt_meta m;
    fib_fmt_meta_init(&m);
    m.vendor = FIB_VENDOR_ZEISS;
    snprintf(path, sizeof path, "%s/bad.tif", dir);
    ck_assert_int_eq(fib_fmt_vendor_tiff_write(path, &im, &m, NULL),
                     FIB_EINVAL); /* no pixel size */
    fib_image_clear(&im);
    fib_test_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("simulate");
    TCase *tc = tcase_create("twin");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_grey_levels);
    tcase_add_test(tc, test_foreshortening);
    tcase_add_test(tc, test_drift_recovered);
    tcase_add_test(tc, test_drift_exact_centroid);
    tcase_add_test(tc, test_shine_through);
    tcase_add_test(tc, test_receding_face);
    tcase_add_test(tc, test_seed_reproducible);
    tcase_add_test(tc, test_static_face);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_vendor_roundtrip);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
