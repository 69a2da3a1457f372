/* test_recon_affine.c -- transformation models beyond translation (issue
 * 16 items 1 and 5; recon_affine.c, recon_warp.c, the twin's slow affine
 * distortion in simulate.c):
 *   - the twin's A_k follows its definition (a linear ramp of zero mean,
 *     identity by default) and rejects out-of-range values;
 *   - on a rendered series with a known slow affine distortion (1 %
 *     scale, 0.5 % shear and 0.5 deg rotation over the run) whose face
 *     does not change (static_face: the distortion and the artifacts are
 *     all that differ between slices), the affine model recovers each
 *     slice's mapping to <= 0.2 px at the image corners (the issue's
 *     "done when"), where translation-only is off by more than 0.5 px;
 *     rigid recovers a rotation-only distortion; regularised affine
 *     (lambda 0.1) stays within 0.3 px;
 *   - without distortion, the affine model stays at the identity (<= 0.2
 *     px at the corners) and the default model reports the identity and
 *     measures no tile grid;
 *   - pass 2 applies A_i: every output pixel is the bilinear sample of the
 *     input at c + A_i (u - c) - s_i (1e-4 grey), and the first and last
 *     slice of the static face agree better than with translation;
 *   - bad parameters are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/phantom.h"
#include "fib/recon.h"
#include "fib/simulate.h"
#include "fib_test.h"

enum { NX = 256, NZ = 32 };

static fib_volume labels; /* one phantom, shared by the cases */

static void make_labels(void)
{
    if (labels.data)
        return;
    fib_phantom_params pp = {0};
    pp.kind = FIB_PHANTOM_PARTICLES;
    pp.nx = pp.ny = NX;
    pp.nz = NZ + 4;
    pp.seed = 7;
    fib_phantom *ph = NULL;
    ck_assert_int_eq(fib_phantom_create(&pp, &ph, NULL), FIB_OK);
    ck_assert_int_eq(fib_sim_phantom_labels(ph, &labels, NULL), FIB_OK);
    fib_phantom_destroy(ph);
}

static fib_sim *make_sim(double scale, double shear, double rot_deg,
                         bool static_face)
{
    make_labels();
    fib_sim_params p = {0};
    p.seed = 11;
    p.n_slices = NZ;
    p.static_face = static_face;
    p.scale_drift = scale;
    p.shear_drift = shear;
    p.rotation_drift_deg = rot_deg;
    fib_sim *s = NULL;
    ck_assert_int_eq(fib_sim_create(&labels, &p, &s, NULL), FIB_OK);
    return s;
}

static fib_status read_sim(void *user, size_t i, fib_image *out, fib_error *err)
{
    return fib_sim_render(user, i, out, err);
}

static fib_recon_source source_of(fib_sim *s)
{
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    fib_recon_source src = {0};
    src.n_slices = g.nz;
    src.width = g.nx;
    src.height = g.ny;
    src.type = FIB_PX_F32;
    src.pixel_size_nm[0] = src.pixel_size_nm[1] = g.pixel_nm;
    src.read = read_sim;
    src.user = s;
    return src;
}

static fib_recon *estimate_t(fib_sim *s, fib_recon_model model, int threads)
{
    fib_recon_source src = source_of(s);
    fib_recon_params p = {0};
    p.model = model;
    p.threads = threads;
    fib_recon *r = NULL;
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &e), FIB_OK);
    ck_assert_msg(fib_recon_estimate(r, NULL, &e) == FIB_OK, "%s", e.msg);
    return r;
}

static fib_recon *estimate(fib_sim *s, fib_recon_model model)
{
    return estimate_t(s, model, 2);
}

/* Largest distance between the solved mapping of an output point u to
 * the input, c + A_i (u - c) - s_i, and the truth's, c + A_k (u - c) -
 * a_k, over the four corners of the frame and every slice; c is the
 * frame's centre (the alignment region is the whole frame). */
static double corner_residual(const fib_recon *r, const fib_sim *s,
                              double *rms_out)
{
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    const double cx = 0.5 * ((double)g.nx - 1), cy = 0.5 * ((double)g.ny - 1);
    const double ux[2] = {-0.5 - cx, (double)g.nx - 0.5 - cx};
    const double uy[2] = {-0.5 - cy, (double)g.ny - 0.5 - cy};
    double worst = 0, ss = 0;
    for (size_t k = 0; k < g.nz; k++) {
        const fib_recon_slice_info in = fib_recon_get_slice(r, k);
        const fib_sim_slice q = fib_sim_get_slice(s, k);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                const double ex = (in.a[0] - q.a[0]) * ux[i] +
                                  (in.a[1] - q.a[1]) * uy[j] - (in.dx - q.dx);
                const double ey = (in.a[2] - q.a[2]) * ux[i] +
                                  (in.a[3] - q.a[3]) * uy[j] - (in.dy - q.dy);
                worst = fmax(worst, hypot(ex, ey));
                ss += ex * ex + ey * ey;
            }
    }
    if (rms_out)
        *rms_out = sqrt(ss / (4.0 * (double)g.nz));
    return worst;
}

START_TEST(test_twin_affine)
{
    fib_sim *s = make_sim(0.01, 0.005, 0.5, true);
    const size_t nz = fib_sim_get_geometry(s).nz;
    double mean[4] = {0};
    for (size_t k = 0; k < nz; k++) {
        const fib_sim_slice q = fib_sim_get_slice(s, k);
        const double f = (double)k / (double)(nz - 1) - 0.5;
        const double th = 0.5 * f * 3.14159265358979323846 / 180.0;
        const double m = 1 + 0.01 * f, h = 0.005 * f;
        ck_assert_double_eq_tol(q.a[0], cos(th) * m, 1e-12);
        ck_assert_double_eq_tol(q.a[1], cos(th) * h - sin(th) * m, 1e-12);
        ck_assert_double_eq_tol(q.a[2], sin(th) * m, 1e-12);
        ck_assert_double_eq_tol(q.a[3], sin(th) * h + cos(th) * m, 1e-12);
        for (int e = 0; e < 4; e++)
            mean[e] += q.a[e] / (double)nz;
    }
    /* zero-mean ramp: the mean frame is undistorted (to second order) */
    ck_assert_double_eq_tol(mean[0], 1, 1e-5);
    ck_assert_double_eq_tol(mean[1], 0, 1e-5);
    ck_assert_double_eq_tol(mean[2], 0, 1e-5);
    fib_sim_destroy(s);
    s = make_sim(0, 0, 0, true);
    const fib_sim_slice q = fib_sim_get_slice(s, nz - 1);
    ck_assert(q.a[0] == 1 && q.a[1] == 0 && q.a[2] == 0 && q.a[3] == 1);
    fib_sim_destroy(s);
    fib_sim_params p = {0};
    p.rotation_drift_deg = 6;
    fib_sim *bad = NULL;
    fib_error e = {0};
    ck_assert_int_eq(fib_sim_create(&labels, &p, &bad, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "rotation_drift_deg"));
    p.rotation_drift_deg = 0;
    p.scale_drift = -0.06;
    fib_error_clear(&e);
    ck_assert_int_eq(fib_sim_create(&labels, &p, &bad, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "scale_drift"));
}
END_TEST

START_TEST(test_affine_recovered)
{
    fib_sim *s = make_sim(0.01, 0.005, 0.5, true);
    fib_recon *rt = estimate(s, FIB_RECON_MODEL_TRANSLATION);
    fib_recon *ra = estimate(s, FIB_RECON_MODEL_AFFINE);
    fib_recon *rr = estimate(s, FIB_RECON_MODEL_REGULARIZED_AFFINE);
    double rms_a = 0;
    const double et = corner_residual(rt, s, NULL);
    const double ea = corner_residual(ra, s, &rms_a);
    const double er = corner_residual(rr, s, NULL);
    /* the 0.2 px at the worst corner of the worst slice (0.175
     * px measured here; RMS over slices and corners 0.06 px) */
    ck_assert_msg(rms_a <= 0.1 && ea <= 0.2,
                  "affine: corner residual RMS %.3f px, max %.3f px", rms_a,
                  ea);
    ck_assert_msg(et > 0.5, "translation: corner residual %.3f px", et);
    ck_assert_msg(er < 0.5 * et && er <= 0.3,
                  "regularised affine %.3f px (affine %.3f, translation "
                  "%.3f)",
                  er, ea, et);
    /* the pairs carry their tile fits; translation measured none */
    size_t np = 0, fitted = 0;
    const fib_recon_pair *pr = fib_recon_pairs(ra, &np);
    ck_assert_ptr_nonnull(pr);
    for (size_t k = 0; k < np; k++)
        fitted += fib_recon_pair_linear(ra, k, NULL) >= 6;
    ck_assert_uint_ge(fitted, np - np / 10);
    pr = fib_recon_pairs(rt, &np);
    ck_assert_ptr_nonnull(pr);
    for (size_t k = 0; k < np; k++)
        ck_assert_uint_eq(fib_recon_pair_linear(rt, k, NULL), 0);
    const fib_recon_slice_info in = fib_recon_get_slice(rt, 3);
    ck_assert(in.a[0] == 1 && in.a[1] == 0 && in.a[2] == 0 && in.a[3] == 1);
    /* independent of the thread count (bit for bit) */
    fib_recon *r1 = estimate_t(s, FIB_RECON_MODEL_AFFINE, 1);
    for (size_t k = 0; k < NZ; k++) {
        const fib_recon_slice_info x = fib_recon_get_slice(ra, k);
        const fib_recon_slice_info y = fib_recon_get_slice(r1, k);
        ck_assert(!memcmp(x.a, y.a, sizeof x.a) && x.dx == y.dx &&
                  x.dy == y.dy);
    }
    fib_recon_destroy(r1);
    fib_recon_destroy(rt);
    fib_recon_destroy(ra);
    fib_recon_destroy(rr);
    fib_sim_destroy(s);
}
END_TEST

START_TEST(test_rigid_rotation)
{
    fib_sim *s = make_sim(0, 0, 0.5, true);
    fib_recon *rg = estimate(s, FIB_RECON_MODEL_RIGID);
    fib_recon *rt = estimate(s, FIB_RECON_MODEL_TRANSLATION);
    double rms_g = 0;
    const double eg = corner_residual(rg, s, &rms_g);
    const double et = corner_residual(rt, s, NULL);
    ck_assert_msg(rms_g <= 0.1 && eg <= 0.2,
                  "rigid: corner residual RMS %.3f px, max %.3f px", rms_g, eg);
    ck_assert_msg(et > 0.5, "translation: corner residual %.3f px", et);
    /* a rotation: a11 = a22, a12 = -a21 */
    for (size_t k = 0; k < NZ; k++) {
        const fib_recon_slice_info in = fib_recon_get_slice(rg, k);
        ck_assert_double_eq_tol(in.a[0], in.a[3], 1e-12);
        ck_assert_double_eq_tol(in.a[1], -in.a[2], 1e-12);
    }
    fib_recon_destroy(rg);
    fib_recon_destroy(rt);
    fib_sim_destroy(s);
}
END_TEST

START_TEST(test_undistorted_identity)
{
    fib_sim *s = make_sim(0, 0, 0, true);
    fib_recon *ra = estimate(s, FIB_RECON_MODEL_AFFINE);
    fib_recon *rt = estimate(s, FIB_RECON_MODEL_TRANSLATION);
    const double ea = corner_residual(ra, s, NULL);
    const double et = corner_residual(rt, s, NULL);
    ck_assert_msg(ea <= 0.2, "affine on undistorted: %.3f px", ea);
    ck_assert_msg(et <= 0.2, "translation on undistorted: %.3f px", et);
    fib_recon_destroy(ra);
    fib_recon_destroy(rt);
    fib_sim_destroy(s);
}
END_TEST

/* Pass 2: every slice of a static-face series shows the same face, so
 * after a perfect alignment the first and the last output slice agree up
 * to noise; with the distortion left in (translation) their outer parts
 * do not.  RMS difference over the frame less a 1/8 border. */
typedef struct collect {
    float *vol;
    size_t nx, ny, nz;
} collect;

static fib_status begin_c(void *user, const fib_recon_geometry *g,
                          fib_error *err)
{
    (void)err;
    collect *c = user;
    c->nx = g->nx;
    c->ny = g->ny;
    c->nz = g->nz;
    c->vol = calloc(g->nx * g->ny * g->nz, sizeof(float));
    return c->vol ? FIB_OK : FIB_ENOMEM;
}

static fib_status slice_c(void *user, size_t z, const fib_image *im,
                          fib_error *err)
{
    (void)err;
    collect *c = user;
    for (size_t y = 0; y < c->ny; y++)
        memcpy(c->vol + (z * c->ny + y) * c->nx, fib_image_row(im, y),
               c->nx * sizeof(float));
    return FIB_OK;
}

static double first_last_rms(fib_sim *s, fib_recon_model model)
{
    fib_recon *r = estimate(s, model);
    collect c = {0};
    fib_recon_sink sink = {begin_c, slice_c, &c, 0};
    ck_assert_int_eq(fib_recon_write(r, NULL, &sink, NULL, NULL), FIB_OK);
    fib_recon_destroy(r);
    const float *a = c.vol, *b = c.vol + (c.nz - 1) * c.nx * c.ny;
    double ss = 0;
    size_t n = 0;
    for (size_t y = c.ny / 8; y < c.ny - c.ny / 8; y++)
        for (size_t x = c.nx / 8; x < c.nx - c.nx / 8; x++) {
            const double d = (double)a[y * c.nx + x] - (double)b[y * c.nx + x];
            ss += d * d;
            n++;
        }
    free(c.vol);
    return sqrt(ss / (double)n);
}

START_TEST(test_pass2_applies_affine)
{
    fib_sim *s = make_sim(0.01, 0.005, 0.5, true);
    const double dt = first_last_rms(s, FIB_RECON_MODEL_TRANSLATION);
    const double da = first_last_rms(s, FIB_RECON_MODEL_AFFINE);
    ck_assert_msg(da < 0.7 * dt, "affine %.4f vs translation %.4f grey", da,
                  dt);
    fib_sim_destroy(s);
}
END_TEST

/* Bilinear sample of @p im at (x, y) with pass 2's conventions: 0 outside
 * [-0.5, n - 0.5], clamped to the edge pixels inside. */
static double bilinear(const fib_image *im, double x, double y)
{
    const double w = (double)im->width, h = (double)im->height;
    if (!(x >= -0.5 && x <= w - 0.5 && y >= -0.5 && y <= h - 0.5))
        return 0;
    x = fmin(fmax(x, 0), w - 1);
    y = fmin(fmax(y, 0), h - 1);
    const size_t i0 = (size_t)x, j0 = (size_t)y;
    const size_t i1 = i0 + 1 < im->width ? i0 + 1 : i0;
    const size_t j1 = j0 + 1 < im->height ? j0 + 1 : j0;
    const double fx = x - (double)i0, fy = y - (double)j0;
    const float *r0 = fib_image_row(im, j0), *r1 = fib_image_row(im, j1);
    const double p00 = r0[i0], p01 = r0[i1], p10 = r1[i0], p11 = r1[i1];
    const double a = p00 + fx * (p01 - p00);
    const double b = p10 + fx * (p11 - p10);
    return a + fy * (b - a);
}

/* Pass 2 resamples output pixel u at c + A_i (u - c) - s_i, exactly (no
 * tilt, no crop: output pixel X, Y is input point X, Y): every pixel of
 * two output slices against a direct bilinear sample of the input. */
START_TEST(test_pass2_mapping)
{
    fib_sim *s = make_sim(0.01, 0.005, 0.5, true);
    fib_recon *r = estimate(s, FIB_RECON_MODEL_AFFINE);
    collect c = {0};
    fib_recon_sink sink = {begin_c, slice_c, &c, 0};
    ck_assert_int_eq(fib_recon_write(r, NULL, &sink, NULL, NULL), FIB_OK);
    const fib_sim_geometry g = fib_sim_get_geometry(s);
    ck_assert(c.nx == g.nx && c.ny == g.ny && c.nz == g.nz);
    fib_image in = {0};
    ck_assert_int_eq(fib_image_init(&in, FIB_PX_F32, g.nx, g.ny, NULL), FIB_OK);
    const double cx = 0.5 * ((double)g.nx - 1), cy = 0.5 * ((double)g.ny - 1);
    double worst = 0;
    const size_t ks[2] = {0, NZ - 1};
    for (int t = 0; t < 2; t++) {
        const size_t k = ks[t];
        ck_assert_int_eq(fib_sim_render(s, k, &in, NULL), FIB_OK);
        const fib_recon_slice_info si = fib_recon_get_slice(r, k);
        for (size_t Y = 0; Y < g.ny; Y++)
            for (size_t X = 0; X < g.nx; X++) {
                const double u = (double)X - cx, v = (double)Y - cy;
                const double x = cx + si.a[0] * u + si.a[1] * v - si.dx;
                const double y = cy + si.a[2] * u + si.a[3] * v - si.dy;
                const double want = bilinear(&in, x, y);
                const float got = c.vol[(k * g.ny + Y) * g.nx + X];
                worst = fmax(worst, fabs((double)got - want));
            }
    }
    /* grey levels ~0.5: float rounding of the coordinates and taps */
    ck_assert_msg(worst < 1e-4, "pass 2 vs direct bilinear: %g", worst);
    fib_image_clear(&in);
    free(c.vol);
    fib_recon_destroy(r);
    fib_sim_destroy(s);
}
END_TEST

START_TEST(test_bad_params)
{
    fib_sim *s = make_sim(0, 0, 0, true);
    fib_recon_source src = source_of(s);
    fib_recon_params p = {0};
    fib_recon *r = NULL;
    fib_error e = {0};
    p.model = (fib_recon_model)9;
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "model"));
    p.model = FIB_RECON_MODEL_REGULARIZED_AFFINE;
    p.model_lambda = 1.5;
    fib_error_clear(&e);
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "model_lambda"));
    /* a fiducial too small for the 4 x 4 grid of 16 px tiles */
    p.model_lambda = 0;
    p.use_fiducial = true;
    p.fiducial = (fib_recon_rect){10, 10, 60, 100};
    fib_error_clear(&e);
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_estimate(r, NULL, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "64 x 64"));
    fib_recon_destroy(r);
    fib_sim_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recon_affine");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_twin_affine);
    tcase_add_test(tc, test_affine_recovered);
    tcase_add_test(tc, test_rigid_rotation);
    tcase_add_test(tc, test_undistorted_identity);
    tcase_add_test(tc, test_pass2_applies_affine);
    tcase_add_test(tc, test_pass2_mapping);
    tcase_add_test(tc, test_bad_params);
    suite_add_tcase(s, tc);
    const int rc = fib_test_run(s, NULL);
    fib_volume_clear(&labels);
    return rc;
}
