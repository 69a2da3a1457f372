/* test_features.c -- the pixel-classifier filter bank (fib/features.h)
 * against analytic cases: constants, ramps and quadratics (whose
 * derivatives the normalised kernels give exactly), a Gaussian blob
 * (closed-form convolution), the same continuous function sampled
 * isotropically and anisotropically, slabs against the whole volume and
 * one thread against several (bit for bit), parameter checks, channel
 * names and the signature. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/features.h"
#include "fib/threads.h"
#include "fib_test.h"

typedef double (*field_fn)(double x, double y, double z, const double *c);

/* A volume sampled from f at voxel centres (x, y, z) * voxel size / h
 * (h = the x voxel size, so coordinates are in x voxels). */
static float *sample(size_t nx, size_t ny, size_t nz, const double vox[3],
                     field_fn f, const double *c)
{
    float *v = malloc(nx * ny * nz * sizeof *v);
    ck_assert_ptr_nonnull(v);
    double sy = vox ? vox[1] / vox[0] : 1, sz = vox ? vox[2] / vox[0] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++)
                v[(z * ny + y) * nx + x] =
                    (float)f((double)x, (double)y * sy, (double)z * sz, c);
    return v;
}

/* Features of the whole volume. */
static float *features(const fib_features_params *p, const float *in, size_t nx,
                       size_t ny, size_t nz)
{
    size_t nch = fib_features_count(p);
    float *out = malloc(nx * ny * nz * nch * sizeof *out);
    ck_assert_ptr_nonnull(out);
    fib_error e = {0};
    ck_assert_msg(fib_features_compute(p, in, nx, ny, 0, nz, nz, 0, nz, out,
                                       &e) == FIB_OK,
                  "%s", e.msg);
    return out;
}

/* Channel index of @p name (fails the test when absent). */
static size_t chan(const fib_features_params *p, const char *name)
{
    char buf[64];
    for (size_t i = 0; i < fib_features_count(p); i++) {
        fib_features_name(p, i, buf, sizeof buf);
        if (strcmp(buf, name) == 0)
            return i;
    }
    ck_abort_msg("no channel %s", name);
    return 0;
}

static double at(const float *out, size_t nch, size_t nx, size_t ny, size_t x,
                 size_t y, size_t z, size_t c)
{
    return (double)out[((z * ny + y) * nx + x) * nch + c];
}

/* Second moment sum k^2 w[k] of the normalised sampled Gaussian of
 * standard deviation sigma truncated at ceil(3 sigma) (the smoothing
 * kernel's own variance, FEATURES.md). */
static double kernel_m2(double sigma)
{
    int r = (int)ceil(3 * sigma - 1e-9);
    double s0 = 0, s2 = 0;
    for (int k = -r; k <= r; k++) {
        double g = exp(-(double)k * k / (2 * sigma * sigma));
        s0 += g;
        s2 += (double)k * k * g;
    }
    return s2 / s0;
}

static double f_const(double x, double y, double z, const double *c)
{
    (void)x, (void)y, (void)z;
    return c[0];
}

/* A constant: smoothing keeps it, every derivative and the variance are
 * zero, everywhere (borders included: reflection keeps a constant). */
START_TEST(test_constant)
{
    const size_t nx = 13, ny = 11, nz = 9;
    const double c = 3.5;
    fib_features_params p = {.scales = {0.7, 1.6, 5.0}, .voxel_nm = {4, 4, 9}};
    float *in = sample(nx, ny, nz, NULL, f_const, &c);
    float *out = features(&p, in, nx, ny, nz);
    size_t nch = fib_features_count(&p);
    ck_assert_uint_eq(nch, 1 + 3 * 11);
    for (size_t i = 0; i < nx * ny * nz; i++)
        for (size_t k = 0; k < nch; k++) {
            char name[64];
            fib_features_name(&p, k, name, sizeof name);
            double v = out[i * nch + k];
            double want =
                strncmp(name, "raw", 3) && strncmp(name, "gauss", 5) ? 0 : c;
            ck_assert_msg(fabs(v - want) <= 2e-5 * c, "%s = %g, want %g", name,
                          v, want);
        }
    free(in);
    free(out);
}
END_TEST

/* Degenerate shapes (an axis of 1 or 2 voxels, kernels far wider than
 * the volume: repeated reflection) with the default set and with the
 * extreme scales 64 and 0.3 (z sigma 427 and 0.3 x 0.15 -> 0.1 voxels): a
 * constant stays a constant, every derivative and the variance are 0. */
START_TEST(test_tiny)
{
    const size_t shapes[][3] = {
        {1, 1, 1}, {1, 4, 3}, {5, 1, 1}, {2, 2, 2}, {3, 2, 1}};
    const double c = -1.25;
    const fib_features_params ps[2] = {
        {.voxel_nm = {3, 7, 20}},
        {.scales = {64, 0.3}, .voxel_nm = {20, 7, 3}}}; /* the limits */
    for (size_t i = 0; i < 2 * sizeof shapes / sizeof shapes[0]; i++) {
        const fib_features_params p = ps[i & 1];
        size_t nch = fib_features_count(&p);
        size_t nx = shapes[i / 2][0], ny = shapes[i / 2][1],
               nz = shapes[i / 2][2];
        float *in = sample(nx, ny, nz, NULL, f_const, &c);
        float *out = features(&p, in, nx, ny, nz);
        for (size_t v = 0; v < nx * ny * nz; v++)
            for (size_t k = 0; k < nch; k++) {
                char name[64];
                fib_features_name(&p, k, name, sizeof name);
                double want =
                    strncmp(name, "raw", 3) && strncmp(name, "gauss", 5) ? 0
                                                                         : c;
                ck_assert_msg(fabs((double)out[v * nch + k] - want) <= 2e-5,
                              "%zux%zux%zu %s = %g", nx, ny, nz, name,
                              (double)out[v * nch + k]);
            }
        free(in);
        free(out);
    }
}
END_TEST

static double f_ramp(double x, double y, double z, const double *c)
{
    return c[0] + c[1] * x + c[2] * y + c[3] * z;
}

/* A ramp g.x: gradient magnitude |g|, Hessian and LoG 0, smoothing and
 * DoG keep it (symmetric kernels), structure tensor g g^T: eigenvalues
 * (|g|^2, 0, 0); variance sum_a g_a^2 m2(sigma_a) (the kernels' second
 * moments: G*(I^2) - (G*I)^2 of a linear I is the kernel's variance of
 * I).  Away from the borders by the kernel reach. */
START_TEST(test_ramp)
{
    const size_t nx = 30, ny = 28, nz = 26;
    const double c[4] = {1.0, 0.2, -0.05, 0.15};
    const double g2 = c[1] * c[1] + c[2] * c[2] + c[3] * c[3];
    fib_features_params p = {.scales = {1.0, 1.6}};
    float *in = sample(nx, ny, nz, NULL, f_ramp, c);
    float *out = features(&p, in, nx, ny, nz);
    size_t nch = fib_features_count(&p), m = 9; /* 5 + 3 + margin */
    const char *zero[] = {"log_s",          "dog_s",         "hessian_ev1_s",
                          "hessian_ev2_s",  "hessian_ev3_s", "structure_ev2_s",
                          "structure_ev3_s"};
    for (size_t si = 0; si < 2; si++) {
        double s = p.scales[si];
        char nm[64];
        snprintf(nm, sizeof nm, "gradmag_s%g", s);
        size_t cg = chan(&p, nm);
        snprintf(nm, sizeof nm, "structure_ev1_s%g", s);
        size_t cs = chan(&p, nm);
        snprintf(nm, sizeof nm, "variance_s%g", s);
        size_t cv = chan(&p, nm);
        snprintf(nm, sizeof nm, "gauss_s%g", s);
        size_t c0 = chan(&p, nm);
        double var = g2 * kernel_m2(s);
        for (size_t z = m; z < nz - m; z++)
            for (size_t y = m; y < ny - m; y++)
                for (size_t x = m; x < nx - m; x++) {
                    double I = f_ramp((double)x, (double)y, (double)z, c);
                    ck_assert_double_eq_tol(at(out, nch, nx, ny, x, y, z, cg),
                                            sqrt(g2), 1e-6);
                    ck_assert_double_eq_tol(at(out, nch, nx, ny, x, y, z, cs),
                                            g2, 1e-6);
                    ck_assert_double_eq_tol(at(out, nch, nx, ny, x, y, z, c0),
                                            I, 2e-6);
                    /* G*I^2 - (G*I)^2: two rounded values of size I^2 */
                    ck_assert_double_eq_tol(at(out, nch, nx, ny, x, y, z, cv),
                                            var, 1e-6 + 5e-7 * I * I);
                    for (size_t k = 0; k < 7; k++) {
                        snprintf(nm, sizeof nm, "%s%g", zero[k], s);
                        ck_assert_double_eq_tol(
                            at(out, nch, nx, ny, x, y, z, chan(&p, nm)), 0,
                            2e-6);
                    }
                }
    }
    free(in);
    free(out);
}
END_TEST

/* c[0..5]: a, b, c, d, e, f of a x^2 + b y^2 + c z^2 + d xy + e xz + f yz
 * about the centre (c[6..8]). */
static double f_quad(double x, double y, double z, const double *c)
{
    x -= c[6], y -= c[7], z -= c[8];
    return c[0] * x * x + c[1] * y * y + c[2] * z * z + c[3] * x * y +
           c[4] * x * z + c[5] * y * z;
}

static int desc(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return u < v ? 1 : u > v ? -1 : 0;
}

/* Quadratics: the Hessian is the constant matrix of second derivatives
 * (2a, 2b, 2c; d, e, f off the diagonal), its eigenvalues (computed here
 * by Jacobi rotations, numerically exact) sorted descending; LoG =
 * 2(a + b + c); gradient magnitude |grad f| at each voxel (order-1
 * kernels differentiate quadratics exactly).  Cases: diagonal (the
 * issue's a x^2 + b y^2 + c z^2), general, and the degenerate spectra
 * (4, 1, 1) and (-1, -1, -4) (closed form at r = -1 and r = 1). */
START_TEST(test_quadratic)
{
    const size_t n = 24, m = 8;
    const double cases[4][6] = {{0.01, -0.03, 0.02, 0, 0, 0},
                                {0.02, -0.01, 0.005, 0.015, -0.01, 0.007},
                                {0.01, 0.01, 0.01, 0.01, 0.01, 0.01},
                                {-0.01, -0.01, -0.01, -0.01, -0.01, -0.01}};
    fib_features_params p = {.scales = {1.0, 2.0}};
    size_t nch = fib_features_count(&p);
    for (int cs = 0; cs < 4; cs++) {
        double c[9];
        memcpy(c, cases[cs], sizeof cases[cs]);
        c[6] = c[7] = c[8] = 11.5;
        double H[3][3] = {{2 * c[0], c[3], c[4]},
                          {c[3], 2 * c[1], c[5]},
                          {c[4], c[5], 2 * c[2]}};
        /* Jacobi eigenvalues (cyclic sweeps) */
        for (int sweep = 0; sweep < 50; sweep++)
            for (int i = 0; i < 3; i++)
                for (int j = i + 1; j < 3; j++) {
                    if (fabs(H[i][j]) < 1e-300)
                        continue;
                    double th = 0.5 * atan2(2 * H[i][j], H[j][j] - H[i][i]);
                    double co = cos(th), si = sin(th);
                    for (int k = 0; k < 3; k++) {
                        double a = H[k][i], b = H[k][j];
                        H[k][i] = co * a - si * b;
                        H[k][j] = si * a + co * b;
                    }
                    for (int k = 0; k < 3; k++) {
                        double a = H[i][k], b = H[j][k];
                        H[i][k] = co * a - si * b;
                        H[j][k] = si * a + co * b;
                    }
                }
        double ev[3] = {H[0][0], H[1][1], H[2][2]};
        qsort(ev, 3, sizeof ev[0], desc);
        float *in = sample(n, n, n, NULL, f_quad, c);
        float *out = features(&p, in, n, n, n);
        for (size_t si = 0; si < 2; si++) {
            char nm[64];
            double s = p.scales[si];
            size_t ch[3];
            for (int k = 0; k < 3; k++) {
                snprintf(nm, sizeof nm, "hessian_ev%d_s%g", k + 1, s);
                ch[k] = chan(&p, nm);
            }
            snprintf(nm, sizeof nm, "log_s%g", s);
            size_t cl = chan(&p, nm);
            snprintf(nm, sizeof nm, "gradmag_s%g", s);
            size_t cg = chan(&p, nm);
            for (size_t z = m; z < n - m; z++)
                for (size_t y = m; y < n - m; y++)
                    for (size_t x = m; x < n - m; x++) {
                        for (int k = 0; k < 3; k++)
                            ck_assert_msg(
                                fabs(at(out, nch, n, n, x, y, z, ch[k]) -
                                     ev[k]) < 2e-6,
                                "case %d ev%d %g want %g", cs, k + 1,
                                at(out, nch, n, n, x, y, z, ch[k]), ev[k]);
                        ck_assert_double_eq_tol(at(out, nch, n, n, x, y, z, cl),
                                                2 * (c[0] + c[1] + c[2]), 2e-6);
                        double X = (double)x - c[6], Y = (double)y - c[7],
                               Z = (double)z - c[8];
                        double gx = 2 * c[0] * X + c[3] * Y + c[4] * Z;
                        double gy = 2 * c[1] * Y + c[3] * X + c[5] * Z;
                        double gz = 2 * c[2] * Z + c[4] * X + c[5] * Y;
                        ck_assert_double_eq_tol(
                            at(out, nch, n, n, x, y, z, cg),
                            sqrt(gx * gx + gy * gy + gz * gz), 4e-6);
                    }
        }
        free(in);
        free(out);
    }
}
END_TEST

static double f_blob(double x, double y, double z, const double *c)
{
    double r2 = (x - c[1]) * (x - c[1]) + (y - c[1]) * (y - c[1]) +
                (z - c[1]) * (z - c[1]);
    return exp(-r2 / (2 * c[0] * c[0]));
}

/* A Gaussian blob of width w: G_s * blob is the blob of width
 * W = sqrt(w^2 + s^2) scaled by (w / W)^3; at its centre the Laplacian is
 * -3 (w/W)^3 / W^2, the Hessian eigenvalues -(w/W)^3 / W^2 (three times)
 * and the gradient 0 (by symmetry); at distance d along x the gradient
 * magnitude is (w/W)^3 d / W^2 exp(-d^2 / (2 W^2)).  The kernels are
 * truncated (3, 3.5, 4 sigma for orders 0, 1, 2) and renormalised; for
 * this blob that moves a 1-D smoothing by <= 1e-3 and a 1-D derivative by
 * <= 4.5e-3 at s <= 3.5 (the same sums in double, FEATURES.md), three
 * factors in 3-D: tolerances 5e-3 (smoothing) and 1e-2 (derivatives). */
START_TEST(test_blob)
{
    const size_t n = 33;
    const double c[2] = {3.0, 16.0};
    fib_features_params p = {.scales = {1.0, 1.6, 3.5}};
    float *in = sample(n, n, n, NULL, f_blob, c);
    float *out = features(&p, in, n, n, n);
    size_t nch = fib_features_count(&p);
    for (size_t si = 0; si < 3; si++) {
        double s = p.scales[si], W2 = c[0] * c[0] + s * s;
        double amp = pow(c[0] * c[0] / W2, 1.5);
        char nm[64];
        snprintf(nm, sizeof nm, "gauss_s%g", s);
        double g = at(out, nch, n, n, 16, 16, 16, chan(&p, nm));
        ck_assert_msg(fabs(g / amp - 1) < 5e-3, "gauss %g want %g", g, amp);
        snprintf(nm, sizeof nm, "log_s%g", s);
        double l = at(out, nch, n, n, 16, 16, 16, chan(&p, nm));
        ck_assert_msg(fabs(l / (-3 * amp / W2) - 1) < 1e-2, "log %g want %g", l,
                      -3 * amp / W2);
        for (int k = 1; k <= 3; k++) {
            snprintf(nm, sizeof nm, "hessian_ev%d_s%g", k, s);
            double h = at(out, nch, n, n, 16, 16, 16, chan(&p, nm));
            ck_assert_msg(fabs(h / (-amp / W2) - 1) < 1e-2, "hess %g want %g",
                          h, -amp / W2);
        }
        snprintf(nm, sizeof nm, "gradmag_s%g", s);
        ck_assert_double_eq_tol(at(out, nch, n, n, 16, 16, 16, chan(&p, nm)), 0,
                                1e-7);
        /* off centre along x, at distance d: gradient magnitude
         * amp d / W2 exp(-d^2 / (2 W2)) */
        double d = 3, gm = amp * d / W2 * exp(-d * d / (2 * W2));
        double v = at(out, nch, n, n, 19, 16, 16, chan(&p, nm));
        ck_assert_msg(fabs(v / gm - 1) < 1e-2, "gradmag %g want %g", v, gm);
    }
    free(in);
    free(out);
}
END_TEST

/* c: centre (x, y, z) and widths (wx, wy, wz), all in x voxels. */
static double f_aniso(double x, double y, double z, const double *c)
{
    double u = (x - c[0]) / c[3], v = (y - c[1]) / c[4], w = (z - c[2]) / c[5];
    return exp(-0.5 * (u * u + v * v + w * w)) + 0.02 * x - 0.01 * z;
}

/* Largest magnitude of channel k's set (the three eigenvalues of a
 * tensor together: their error scales with the tensor) over the
 * interior; set_of gives the first channel and width of k's set. */
static void set_of(const fib_features_params *p, size_t k, size_t *c0,
                   size_t *w)
{
    char nm[64];
    fib_features_name(p, k, nm, sizeof nm);
    const char *ev = strstr(nm, "_ev");
    *w = ev ? 3 : 1;
    *c0 = ev ? k - (size_t)(ev[3] - '1') : k;
}

/* Largest |difference| of each channel between the anisotropic result and
 * the isotropic one at the common points, over the largest magnitude of
 * its set; the largest such ratio over the channels. */
static double aniso_worst(const fib_features_params *p, const float *oa,
                          const float *oi, size_t nx, size_t ny, size_t nzc,
                          char *worst, size_t n)
{
    size_t nch = fib_features_count(p), m = 9;
    double r = 0;
    for (size_t k = 0; k < nch; k++) {
        size_t c0, w;
        set_of(p, k, &c0, &w);
        double big = 0, diff = 0;
        for (size_t z = 5; z < nzc - 5; z++) /* 10 fine sections = 3 + 6 */
            for (size_t y = m; y < ny - m; y++)
                for (size_t x = m; x < nx - m; x++) {
                    double a = at(oa, nch, nx, ny, x, y, z, k);
                    double b = at(oi, nch, nx, ny, x, y, 2 * z, k);
                    diff = fmax(diff, fabs(a - b));
                    for (size_t j = c0; j < c0 + w; j++)
                        big = fmax(big,
                                   fabs(at(oi, nch, nx, ny, x, y, 2 * z, j)));
                }
        ck_assert(big > 1e-4);
        if (diff / big > r) {
            r = diff / big;
            fib_features_name(p, k, worst, n);
        }
    }
    return r;
}

/*
 * The same continuous function sampled with voxels (10, 10, 10) nm and
 * (10, 10, 20) nm: every channel agrees at the common points.  Scale 2:
 * along z the kernels have sigma 2 and 1 voxels, truncated at the same
 * physical distance; the sampled Gaussians differ from the continuous
 * one by exp(-2 pi^2 sigma^2) (Poisson summation: 3e-9 at sigma = 1) and
 * the function (widths >= 3 coarse voxels) is resolved by both grids.
 * What differs is the window's end: a tap at exactly the truncation
 * radius (the window is a whole number of voxels on both grids) weighs
 * g(3 sigma) ~ 1 % of the peak over a voxel of 1 or 0.5 sigma, so the
 * renormalised kernels differ by ~1e-3 of their mass; the structure
 * tensor's outer sigma 1 vs 0.5 voxels ends at 3 and 4 sigma.  Measured:
 * <= 3.3e-3 of a set's largest magnitude (structure tensor), <= 3e-3
 * (DoG, a difference of two smoothings), <= 3e-4 (smoothing), 1e-3
 * (Hessian).  Tolerance 5e-3.  A wrong voxel size (the anisotropic volume
 * taken as isotropic) is off by more than 10 % on some channel.
 */
START_TEST(test_anisotropic)
{
    const size_t nx = 36, ny = 34, nzc = 18, nzf = 2 * nzc - 1;
    const double c[6] = {17.3, 16.1, 17.2, 4.0, 5.0, 6.0};
    const double viso[3] = {10, 10, 10}, vani[3] = {10, 10, 20};
    fib_features_params pi = {.scales = {2.0}, .voxel_nm = {10, 10, 10}};
    fib_features_params pa = pi;
    pa.voxel_nm[2] = 20;
    float *fi = sample(nx, ny, nzf, viso, f_aniso, c);
    float *fa = sample(nx, ny, nzc, vani, f_aniso, c);
    float *oi = features(&pi, fi, nx, ny, nzf);
    float *oa = features(&pa, fa, nx, ny, nzc);
    char nm[64];
    double r = aniso_worst(&pi, oa, oi, nx, ny, nzc, nm, sizeof nm);
    ck_assert_msg(r <= 5e-3, "%s: differs by %g of its set's magnitude", nm, r);
    float *ow = features(&pi, fa, nx, ny, nzc);
    r = aniso_worst(&pi, ow, oi, nx, ny, nzc, nm, sizeof nm);
    ck_assert_msg(r > 0.1, "voxel size ignored: only %g (%s)", r, nm);
    free(fi);
    free(fa);
    free(oi);
    free(oa);
    free(ow);
}
END_TEST

static float *noise(size_t n)
{
    float *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    fib_test_rng = 12345;
    for (size_t i = 0; i < n; i++)
        v[i] = (float)fib_test_nrand();
    return v;
}

/* Slab [z0, z1) from exactly [z0 - halo, z1 + halo) clipped equals the
 * same rows of the whole-volume result bit for bit. */
static void check_slabs(const fib_features_params *p, size_t nx, size_t ny,
                        size_t nz)
{
    float *in = noise(nx * ny * nz);
    float *whole = features(p, in, nx, ny, nz);
    size_t nch = fib_features_count(p), plane = nx * ny;
    size_t halo = fib_features_halo_z(p);
    const size_t slabs[][2] = {
        {0, 1},       {0, 5},       {nz / 2 - 3, nz / 2 + 4},
        {nz - 5, nz}, {nz - 1, nz}, {nz / 3, nz / 3 + 1}};
    float *out = malloc(7 * plane * nch * sizeof *out);
    ck_assert_ptr_nonnull(out);
    for (size_t s = 0; s < sizeof slabs / sizeof slabs[0]; s++) {
        size_t z0 = slabs[s][0], z1 = slabs[s][1];
        size_t lo = z0 > halo ? z0 - halo : 0;
        size_t hi = nz - z1 > halo ? z1 + halo : nz;
        fib_error e = {0};
        ck_assert_msg(fib_features_compute(p, in + lo * plane, nx, ny, lo,
                                           hi - lo, nz, z0, z1, out,
                                           &e) == FIB_OK,
                      "%s", e.msg);
        ck_assert_msg(memcmp(out, whole + z0 * plane * nch,
                             (z1 - z0) * plane * nch * sizeof *out) == 0,
                      "slab [%zu, %zu) differs", z0, z1);
        /* one section fewer of input is refused */
        if (lo > 0)
            ck_assert_int_eq(fib_features_compute(p, in + (lo + 1) * plane, nx,
                                                  ny, lo + 1, hi - lo - 1, nz,
                                                  z0, z1, out, NULL),
                             FIB_EINVAL);
    }
    free(in);
    free(whole);
    free(out);
}

START_TEST(test_slabs)
{
    fib_features_params p = {.scales = {0.7, 1.6, 3.5}, .voxel_nm = {5, 6, 12}};
    ck_assert_uint_eq(fib_features_halo_z(&p), 6 + 3);
    check_slabs(&p, 19, 13, 40);
    /* default set: the halo (35 + 15) exceeds the volume: reflected
     * more than once */
    fib_features_params d = {0};
    ck_assert_uint_eq(fib_features_halo_z(&d), 50);
    check_slabs(&d, 9, 8, 16);
}
END_TEST

/* 1, 2 and 3 threads: identical bits. */
START_TEST(test_threads)
{
    const size_t nx = 23, ny = 17, nz = 12;
    fib_features_params p = {.scales = {0.7, 2.0}, .voxel_nm = {8, 8, 11}};
    float *in = noise(nx * ny * nz);
    fib_threads_scope sc = fib_threads_begin(1);
    float *a = features(&p, in, nx, ny, nz);
    fib_threads_end(sc);
    size_t bytes = nx * ny * nz * fib_features_count(&p) * sizeof(float);
    for (int t = 2; t <= 3; t++) {
        sc = fib_threads_begin(t);
        float *b = features(&p, in, nx, ny, nz);
        fib_threads_end(sc);
        ck_assert_msg(memcmp(a, b, bytes) == 0, "%d threads differ", t);
        free(b);
    }
    free(in);
    free(a);
}
END_TEST

/* A NaN voxel is propagated: every feature whose kernels reach it is NaN
 * (at the voxel itself the first derivatives are not: their kernels'
 * centre tap is 0; one voxel off on every axis all are), the rest stays
 * finite (FEATURES.md: the caller normalises). */
START_TEST(test_nan)
{
    const size_t n = 20;
    fib_features_params p = {.scales = {1.0}};
    float *in = noise(n * n * n);
    in[(10 * n + 10) * n + 10] = NAN;
    float *out = features(&p, in, n, n, n);
    size_t nch = fib_features_count(&p);
    for (size_t k = 1; k < nch; k++) {
        char nm[64];
        fib_features_name(&p, k, nm, sizeof nm);
        ck_assert_msg(isnan(at(out, nch, n, n, 11, 11, 11, k)), "%s", nm);
        ck_assert_msg(isfinite(at(out, nch, n, n, 18, 18, 2, k)), "%s", nm);
    }
    free(in);
    free(out);
}
END_TEST

static void expect_einval(const fib_features_params *p, const char *field)
{
    fib_error e = {0};
    ck_assert_int_eq(fib_features_check(p, &e), FIB_EINVAL);
    ck_assert_msg(strstr(e.msg, field) != NULL, "'%s' lacks %s", e.msg, field);
    ck_assert_msg(strncmp(e.msg, "features: ", 10) == 0, "%s", e.msg);
}

START_TEST(test_bad_params)
{
    fib_features_params p = {0};
    ck_assert_int_eq(fib_features_check(&p, NULL), FIB_OK);
    p.scales[0] = 0.2;
    expect_einval(&p, "scales[0]");
    p.scales[0] = 64.5;
    expect_einval(&p, "0.3..64");
    p.scales[0] = NAN;
    expect_einval(&p, "scales[0]");
    p.scales[0] = 1, p.scales[1] = -2;
    expect_einval(&p, "scales[1]");
    p.scales[1] = 0, p.scales[2] = 3;
    expect_einval(&p, "scales[2]");
    p.scales[1] = 1, p.scales[2] = 0;
    expect_einval(&p, "repeats");
    p.scales[1] = 2;
    ck_assert_int_eq(fib_features_check(&p, NULL), FIB_OK);
    p.sets = 0x80;
    expect_einval(&p, "sets");
    p.sets = FIB_FEAT_HESSIAN;
    p.voxel_nm[2] = INFINITY;
    expect_einval(&p, "voxel_nm[2]");
    p.voxel_nm[2] = NAN;
    expect_einval(&p, "voxel_nm[2]");
    p.voxel_nm[2] = 0;
    ck_assert_int_eq(fib_features_check(&p, NULL), FIB_OK);
    p.voxel_nm[0] = 9e-4, p.voxel_nm[1] = 1, p.voxel_nm[2] = 1;
    expect_einval(&p, "voxel_nm[0] / voxel_nm[1]");
    p.voxel_nm[0] = 1e300, p.voxel_nm[1] = 1e-300;
    expect_einval(&p, "voxel_nm[0] / voxel_nm[1]");
    p.voxel_nm[0] = 1, p.voxel_nm[1] = 1, p.voxel_nm[2] = 1001;
    expect_einval(&p, "voxel_nm[0] / voxel_nm[2]");
    p.voxel_nm[2] = 999;
    ck_assert_int_eq(fib_features_check(&p, NULL), FIB_OK);
    p.voxel_nm[0] = -1; /* isotropic: the others are not looked at */
    ck_assert_int_eq(fib_features_check(&p, NULL), FIB_OK);
    p.voxel_nm[0] = p.voxel_nm[2] = 0;
    /* compute: ranges */
    float in[4 * 4 * 4] = {0}, out[4 * 4 * 4 * 7];
    fib_error e = {0};
    ck_assert_int_eq(fib_features_compute(&p, in, 4, 4, 0, 4, 4, 0, 5, out, &e),
                     FIB_EINVAL);
    ck_assert_int_eq(
        fib_features_compute(&p, in, 4, 4, 0, 4, 4, 2, 2, out, NULL),
        FIB_EINVAL);
    ck_assert_int_eq(
        fib_features_compute(&p, NULL, 4, 4, 0, 4, 4, 0, 4, out, NULL),
        FIB_EINVAL);
    ck_assert_int_eq(
        fib_features_compute(&p, in, 0, 4, 0, 4, 4, 0, 4, out, NULL),
        FIB_EINVAL);
    ck_assert_int_eq(
        fib_features_compute(&p, in, 4, 4, 1, 4, 4, 0, 4, out, NULL),
        FIB_EINVAL);
    /* halo 3 + 2: output [0, 1) needs input [0, 4) of 4; given [0, 3) */
    e = (fib_error){0};
    ck_assert_int_eq(fib_features_compute(&p, in, 4, 4, 0, 3, 4, 0, 1, out, &e),
                     FIB_EINVAL);
    ck_assert_msg(strstr(e.msg, "do not cover") != NULL, "%s", e.msg);
    /* sizes that overflow */
    ck_assert_int_eq(
        fib_features_compute(&p, in, SIZE_MAX / 2, 4, 0, 4, 4, 0, 4, out, NULL),
        FIB_EINVAL);
    ck_assert_uint_eq(fib_features_work_bytes(&p, SIZE_MAX / 2, 4, 4),
                      SIZE_MAX);
}
END_TEST

START_TEST(test_names)
{
    fib_features_params p = {0};
    char b[64];
    ck_assert_uint_eq(fib_features_count(&p), 67);
    const char *want[] = {"raw",
                          "gauss_s0.7",
                          "log_s0.7",
                          "gradmag_s0.7",
                          "dog_s0.7",
                          "structure_ev1_s0.7",
                          "structure_ev2_s0.7",
                          "structure_ev3_s0.7",
                          "hessian_ev1_s0.7",
                          "hessian_ev2_s0.7",
                          "hessian_ev3_s0.7",
                          "variance_s0.7",
                          "gauss_s1"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        fib_features_name(&p, i, b, sizeof b);
        ck_assert_str_eq(b, want[i]);
    }
    fib_features_name(&p, 66, b, sizeof b);
    ck_assert_str_eq(b, "variance_s10");
    fib_features_name(&p, 67, b, sizeof b);
    ck_assert_str_eq(b, "");
    p.no_raw = true;
    ck_assert_uint_eq(fib_features_count(&p), 66);
    fib_features_name(&p, 0, b, sizeof b);
    ck_assert_str_eq(b, "gauss_s0.7");
    fib_features_params q = {.scales = {3.5, 1.0},
                             .sets = FIB_FEAT_HESSIAN | FIB_FEAT_DOG};
    ck_assert_uint_eq(fib_features_count(&q), 1 + 2 * 4);
    fib_features_name(&q, 1, b, sizeof b);
    ck_assert_str_eq(b, "dog_s3.5");
    fib_features_name(&q, 8, b, sizeof b);
    ck_assert_str_eq(b, "hessian_ev3_s1");
    /* halo: scale 1 -> radii 3, 4, 4 (orders 0, 1, 2); structure outer
     * 0.5 -> 2 beyond the order-1 radius; with z voxels twice x: radii
     * 2, 2, 2 and 1 */
    fib_features_params h = {.scales = {1.0}};
    ck_assert_uint_eq(fib_features_halo_z(&h), 6);
    h.sets = FIB_FEAT_GAUSS;
    ck_assert_uint_eq(fib_features_halo_z(&h), 3);
    h.sets = 0;
    h.voxel_nm[0] = h.voxel_nm[1] = 10, h.voxel_nm[2] = 20;
    ck_assert_uint_eq(fib_features_halo_z(&h), 3);
}
END_TEST

START_TEST(test_signature)
{
    char a[256], b[256];
    fib_features_params p = {0}, q = {0};
    fib_features_signature(&p, a, sizeof a);
    double def[6] = {0.7, 1.0, 1.6, 3.5, 5.0, 10.0};
    memcpy(q.scales, def, sizeof def);
    fib_features_signature(&q, b, sizeof b);
    ck_assert_str_eq(a, b); /* the default list spelled out */
    q.voxel_nm[0] = 5, q.voxel_nm[1] = 5, q.voxel_nm[2] = 15;
    fib_features_signature(&q, b, sizeof b);
    ck_assert_str_eq(a, b); /* voxel size not part of it */
    q.scales[5] = 9.0;
    fib_features_signature(&q, b, sizeof b);
    ck_assert_str_ne(a, b);
    q.scales[5] = 10.0, q.sets = FIB_FEAT_ALL & ~FIB_FEAT_DOG;
    fib_features_signature(&q, b, sizeof b);
    ck_assert_str_ne(a, b);
    q.sets = 0, q.no_raw = true;
    fib_features_signature(&q, b, sizeof b);
    ck_assert_str_ne(a, b);
    q.no_raw = false, q.scales[5] = 0;
    fib_features_signature(&q, b, sizeof b);
    ck_assert_str_ne(a, b);
}
END_TEST

/* Working memory: grows with the sections asked for, and covers the
 * gradient sections of the structure tensor (3 floats a voxel over the
 * output and its outer halo). */
START_TEST(test_work_bytes)
{
    fib_features_params p = {.scales = {1.0}};
    size_t a = fib_features_work_bytes(&p, 64, 32, 4);
    size_t b = fib_features_work_bytes(&p, 64, 32, 8);
    ck_assert_uint_eq(b - a, 3 * 4 * 64 * 32 * sizeof(float));
    ck_assert_uint_ge(a, 3 * (4 + 2 * 2) * 64 * 32 * sizeof(float));
    p.sets = FIB_FEAT_GAUSS;
    ck_assert_uint_eq(fib_features_work_bytes(&p, 64, 32, 4),
                      fib_features_work_bytes(&p, 64, 32, 8));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("features");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_constant);
    tcase_add_test(tc, test_tiny);
    tcase_add_test(tc, test_ramp);
    tcase_add_test(tc, test_quadratic);
    tcase_add_test(tc, test_blob);
    tcase_add_test(tc, test_anisotropic);
    tcase_add_test(tc, test_slabs);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_nan);
    tcase_add_test(tc, test_bad_params);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_signature);
    tcase_add_test(tc, test_work_bytes);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
