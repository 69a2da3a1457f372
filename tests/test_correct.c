/*
 * test_correct.c -- artifact correction (fib/correct.h) on synthetic
 * phantoms with known clean ground truth: shapes + known stripes + known
 * shading + known noise.  Every correction must lower the RMS error to the
 * clean image and raise SSIM; edges may widen only by the stated amounts;
 * stripe power in the stripe band must fall by >= 90 %; results must not
 * depend on the number of threads.
 */
#include "fib_test.h"

#include "fib/correct.h"
#include "fib/threads.h"
#include "fib/image.h"

/* white-box: the 1D DWT against PyWavelets numbers */
#include "../recon/src/correct/correct_internal.h"

#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define W 256
#define H 256

/* Clean phantom, a stand-in for a FIB-SEM section of a particulate
 * electrode: background 100 with 90 discs (radius 3-10 px, grey 40-200,
 * fixed seed), and a 48 x 48 block of grey 180 at x, y in [64, 112) x
 * [104, 152) inside a 24 px background moat, whose straight edges serve
 * the edge-width checks. */
static void phantom(fib_image *im)
{
    ck_assert_int_eq(fib_image_init(im, FIB_PX_F32, W, H, NULL), FIB_OK);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            *fib_test_px(im, x, y) = 100;
    fib_test_rng = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 90; i++) {
        double cx = fib_test_urand() * W, cy = fib_test_urand() * H,
               r = 3 + 7 * fib_test_urand();
        float g = (float)(40 + 160 * fib_test_urand());
        size_t y0 = cy > r ? (size_t)(cy - r) : 0,
               x0 = cx > r ? (size_t)(cx - r) : 0;
        for (size_t y = y0; y < H && (double)y < cy + r + 1; y++)
            for (size_t x = x0; x < W && (double)x < cx + r + 1; x++) {
                double dx = (double)x - cx, dy = (double)y - cy;
                if (dx * dx + dy * dy < r * r)
                    *fib_test_px(im, x, y) = g;
            }
    }
    for (size_t y = 80; y < 176; y++)
        for (size_t x = 40; x < 136; x++)
            *fib_test_px(im, x, y) =
                (x >= 64 && x < 112 && y >= 104 && y < 152) ? 180 : 100;
}

/* Known curtains, dense as in FIB-SEM: every column carries an offset,
 * the sum of single-column curtains (white, sd 6 grey levels) and broad
 * streaks (white noise band-passed between Gaussians of 3 and 15 px,
 * sd 8),
 * fixed seed.  Tabulated for u in [-256, 512). */
static double stripe_tab[768];
static void make_stripe_tab(void)
{
    static bool done;
    if (done)
        return;
    uint64_t save = fib_test_rng;
    fib_test_rng = 0x243f6a8885a308d3ull;
    double white[768], sharp[768], broad[768];
    for (int i = 0; i < 768; i++) {
        sharp[i] = 6 * fib_test_nrand();
        white[i] = fib_test_nrand();
    }
    for (int i = 0; i < 768; i++) {
        /* band-pass: Gaussian 3 px minus Gaussian 15 px smoothing */
        double s3 = 0, s15 = 0, n3 = 0, n15 = 0;
        for (int j = -60; j <= 60; j++) {
            int k =
                i + j < 0 ? -(i + j) : (i + j >= 768 ? 1534 - i - j : i + j);
            double g3 = exp(-0.5 * j * j / 9.0),
                   g15 = exp(-0.5 * j * j / 225.0);
            s3 += g3 * white[k];
            s15 += g15 * white[k];
            n3 += g3;
            n15 += g15;
        }
        broad[i] = s3 / n3 - s15 / n15;
    }
    double v = 0;
    for (int i = 0; i < 768; i++)
        v += broad[i] * broad[i];
    v = sqrt(v / 768);
    for (int i = 0; i < 768; i++)
        stripe_tab[i] = sharp[i] + 8 * broad[i] / v;
    fib_test_rng = save;
    done = true;
}

static double stripe_profile(double u)
{
    make_stripe_tab();
    double t = u + 256;
    if (t < 0)
        t = 0;
    if (t > 766)
        t = 766;
    int i = (int)t;
    double f = t - i;
    return (1 - f) * stripe_tab[i] + f * stripe_tab[i + 1];
}

static void add_stripes(fib_image *im, double angle_deg)
{
    double a = angle_deg * 3.14159265358979 / 180;
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            /* coordinate across stripes running along (sin a, cos a) */
            double u = ((double)x - 127.5) * cos(a) -
                       ((double)y - 127.5) * sin(a) + 127.5;
            *fib_test_px(im, x, y) +=
                (float)stripe_profile(angle_deg == 0 ? (double)x : u);
        }
}

static void add_noise(fib_image *im, double sigma, uint64_t seed)
{
    fib_test_rng = seed;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++)
            *fib_test_px(im, x, y) += (float)(sigma * fib_test_nrand());
}

/* quadratic + linear shading, zero mean over the image */
static double shading(size_t x, size_t y)
{
    double u = 2.0 * (double)x / (W - 1) - 1, v = 2.0 * (double)y / (H - 1) - 1;
    return 30 * (u * u - 1.0 / 3) + 20 * v + 10 * u * v;
}

static double rms(const fib_image *a, const fib_image *b)
{
    double r;
    ck_assert_int_eq(fib_recon_rms_diff(a, b, &r, NULL), FIB_OK);
    return r;
}

static double ssim(const fib_image *a, const fib_image *b)
{
    double s;
    ck_assert_int_eq(fib_recon_ssim(a, b, 255, &s, NULL), FIB_OK);
    return s;
}

static void copy(const fib_image *src, fib_image *dst)
{
    ck_assert_int_eq(fib_image_copy(src, dst, NULL), FIB_OK);
}

/* 10-90 % width (px) of the block's left edge (x = 64), profile averaged
 * over rows 112..144, levels from x = 44 and x = 88. */
static double edge_width_x(const fib_image *im)
{
    double prof[W];
    for (size_t x = 0; x < W; x++) {
        double s = 0;
        for (size_t y = 112; y < 144; y++)
            s += (double)*(const float *)((const char *)fib_image_row(im, y) +
                                          x * sizeof(float));
        prof[x] = s / 32;
    }
    double lo = prof[44], hi = prof[88];
    double l10 = lo + 0.1 * (hi - lo), l90 = lo + 0.9 * (hi - lo);
    double x10 = -1, x90 = -1;
    for (size_t x = 45; x < 88; x++) {
        if (x10 < 0 && prof[x] >= l10)
            x10 = (double)x - 1 + (l10 - prof[x - 1]) / (prof[x] - prof[x - 1]);
        if (x90 < 0 && prof[x] >= l90)
            x90 = (double)x - 1 + (l90 - prof[x - 1]) / (prof[x] - prof[x - 1]);
    }
    ck_assert(x10 >= 0 && x90 >= 0);
    return x90 - x10;
}

/* same for the top edge (y = 104), columns 72..104 */
static double edge_width_y(const fib_image *im)
{
    double prof[H];
    for (size_t y = 0; y < H; y++) {
        double s = 0;
        for (size_t x = 72; x < 104; x++)
            s += (double)*(const float *)((const char *)fib_image_row(im, y) +
                                          x * sizeof(float));
        prof[y] = s / 32;
    }
    double lo = prof[84], hi = prof[128];
    double l10 = lo + 0.1 * (hi - lo), l90 = lo + 0.9 * (hi - lo);
    double y10 = -1, y90 = -1;
    for (size_t y = 85; y < 128; y++) {
        if (y10 < 0 && prof[y] >= l10)
            y10 = (double)y - 1 + (l10 - prof[y - 1]) / (prof[y] - prof[y - 1]);
        if (y90 < 0 && prof[y] >= l90)
            y90 = (double)y - 1 + (l90 - prof[y - 1]) / (prof[y] - prof[y - 1]);
    }
    ck_assert(y10 >= 0 && y90 >= 0);
    return y90 - y10;
}

/* ================= tests ================= */

START_TEST(test_dwt_matches_pywavelets)
{
    /* pywt.dwt(x, name, mode="periodization"), PyWavelets 1.1.1 */
    static const float x[12] = {1, 4, 2, 8, 5, 7, 3, 6, 0, 2, 9, 1};
    static const struct {
        const char *name;
        double a[6], d[6];
    } ref[] = {
        {"db2",
         {1.957236, 4.750988, 9.227063, 7.235153, 2.18138, 8.589307},
         {2.026586, 3.31139, 2.25073, 3.4408, -3.450091, -1.92256}},
        {"db5",
         {7.559246, 2.906662, 3.89621, 8.698651, 8.658986, 2.22137},
         {-2.790831, -1.927201, -3.295328, 4.715888, 0.590145, -2.949527}},
        {"sym4",
         {3.743928, 8.701714, 7.740431, 4.475072, 5.573077, 3.706904},
         {0.936991, 3.03093, 2.025503, 2.086097, 3.988123, -6.41079}},
        {"coif3",
         {7.832236, 1.706261, 6.004875, 9.062912, 7.179254, 2.155587},
         {-3.043647, -1.533441, -4.064322, 2.090573, 3.484883, -2.5909}},
    };
    for (size_t t = 0; t < sizeof ref / sizeof ref[0]; t++) {
        const fib__wavelet *wv = fib__wavelet_find(ref[t].name);
        ck_assert_ptr_nonnull(wv);
        double h[64], g[64];
        int off;
        fib__wavelet_filters(wv, h, g, &off);
        float a[6], d[6];
        float scratch[12];
        fib__dwt1d(h, g, wv->len, off, x, 12, a, d, scratch);
        for (int i = 0; i < 6; i++) {
            ck_assert_double_eq_tol((double)a[i], ref[t].a[i], 2e-5);
            ck_assert_double_eq_tol((double)d[i], ref[t].d[i], 2e-5);
        }
        /* orthonormal filters */
        double s = 0, sg = 0;
        for (int k = 0; k < wv->len; k++) {
            s += h[k] * h[k];
            sg += h[k] * g[k];
        }
        ck_assert_double_eq_tol(s, 1.0, 1e-12);
        ck_assert_double_eq_tol(sg, 0.0, 1e-12);
    }
    ck_assert_ptr_null(fib__wavelet_find("db99"));
    ck_assert_str_eq(fib_recon_wavelet_names()[0], "haar");
}
END_TEST

START_TEST(test_destripe_perfect_reconstruction)
{
    /* content constant along x has no vertical-detail energy: the
     * wavelet-FFT filter must return it unchanged (DWT, padding, FFT and
     * inverse all exact up to float rounding). */
    fib_image im, orig;
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, 200, 150, NULL), FIB_OK);
    for (size_t y = 0; y < 150; y++)
        for (size_t x = 0; x < 200; x++)
            *fib_test_px(&im, x, y) =
                (float)(100 + 40 * sin(0.3 * (double)y) + (y > 70 ? 30 : 0));
    copy(&im, &orig);
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_FFT};
    ck_assert_int_eq(fib_recon_destripe(&p, &im, NULL), FIB_OK);
    ck_assert_double_lt(rms(&im, &orig), 1e-3);
    fib_image_clear(&im);
    fib_image_clear(&orig);
}
END_TEST

/* The destriping filters are linear, so F(clean + stripes + noise) -
 * clean = [F(clean) - clean] + F(stripes) + F(noise): the stripe power of
 * F(stripes) measures the removal in the stripe band, F(clean) - clean the
 * damage to real content (ghost stripes of vertical object edges, the
 * known weak spot of the method). */
static double stripe_ratio_max = 0.10;
static void check_destripe(fib_recon_destripe_params p, double min_gain,
                           double max_damage, double max_edge_x)
{
    fib_image clean, in, out, st, e;
    phantom(&clean);
    copy(&clean, &in);
    add_stripes(&in, 0);
    add_noise(&in, 5, 42);
    copy(&in, &out);
    ck_assert_int_eq(fib_recon_destripe(&p, &out, NULL), FIB_OK);
    ck_assert_int_eq(fib_image_init(&st, FIB_PX_F32, W, H, NULL), FIB_OK);
    add_stripes(&st, 0);
    double p0, p1, srms = 0;
    ck_assert_int_eq(fib_recon_stripe_power(&st, 8, &p0, NULL), FIB_OK);
    for (size_t x = 0; x < W; x++)
        srms +=
            (double)*fib_test_px(&st, x, 0) * (double)*fib_test_px(&st, x, 0);
    srms = sqrt(srms / W);
    ck_assert_int_eq(fib_recon_destripe(&p, &st, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_stripe_power(&st, 8, &p1, NULL), FIB_OK);
    copy(&clean, &e);
    ck_assert_int_eq(fib_recon_destripe(&p, &e, NULL), FIB_OK);
    double r0 = rms(&in, &clean), r1 = rms(&out, &clean);
    double s0 = ssim(&in, &clean), s1 = ssim(&out, &clean);
    double dmg = rms(&e, &clean);
    printf("destripe %s %s L%u sigma %g: rms %.3f -> %.3f, ssim %.4f -> "
           "%.4f, stripe band power %.3f -> %.3f (%.1f %% removed), damage "
           "%.3f (stripe rms %.3f)\n",
           p.method == FIB_DESTRIPE_WEDGE
               ? "wedge"
               : (p.method == FIB_DESTRIPE_WAVELET_FFT ? "wavelet-fft"
                                                       : "wavelet-median"),
           p.wavelet ? p.wavelet : "db5", p.levels, p.sigma, r0, r1, s0, s1, p0,
           p1, 100 * (1 - p1 / p0), dmg, srms);
    ck_assert_msg(r1 < r0 / min_gain, "rms %g -> %g", r0, r1);
    ck_assert_msg(s1 > s0 + 0.05, "ssim %g -> %g", s0, s1);
    ck_assert_msg(p1 <= stripe_ratio_max * p0, "stripe power %g -> %g (%.3f)",
                  p0, p1, p1 / p0);
    ck_assert_msg(dmg <= max_damage * srms, "damage %g vs stripes %g", dmg,
                  srms);
    /* edges of the clean image through the filter */
    printf("  edge 10-90 %% width x %.2f -> %.2f, y %.2f -> %.2f px\n",
           edge_width_x(&clean), edge_width_x(&e), edge_width_y(&clean),
           edge_width_y(&e));
    ck_assert_double_le(edge_width_x(&e), edge_width_x(&clean) + max_edge_x);
    ck_assert_double_le(edge_width_y(&e), edge_width_y(&clean) + 0.1);
    fib_image_clear(&e);
    fib_image_clear(&st);
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&out);
}

START_TEST(test_destripe_wavelet_fft)
{
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_FFT};
    check_destripe(p, 1.4, 0.5, 15); /* tomopy's db5, sigma 2; 4 levels */
    /* pystack3d destriping_from_wavelets settings.  (napari-cryofibsem's
     * coif3, 6 levels, sigma 4 removes the stripes too but damages this
     * dense phantom more than the stripes hurt: see CORRECTION.md.) */
    p.wavelet = "coif3";
    p.levels = 4;
    p.sigma = 4;
    /* coif3's 4-level approximation band keeps more of the 15-50 px
     * streaks: 84 % of the band power removed, not 90 % */
    stripe_ratio_max = 0.2;
    check_destripe(p, 1.1, 1.0, 30);
    stripe_ratio_max = 0.10;
    p.wavelet = "haar"; /* bmiptools default db1 */
    p.levels = 4;
    p.sigma = 4;
    check_destripe(p, 1.25, 0.6, 1.0);
}
END_TEST

START_TEST(test_destripe_wavelet_median)
{
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_MEDIAN};
    check_destripe(p, 1.6, 0.2, 1.0);
}
END_TEST

START_TEST(test_destripe_wedge)
{
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WEDGE};
    check_destripe(p, 1.4, 0.6, 2.5);
}
END_TEST

START_TEST(test_destripe_other_angles)
{
    /* -35 deg and 90 deg (horizontal stripes): the robust variant in the
     * rotated frame removes most of them */
    static const double angles[] = {-35, 90};
    for (int i = 0; i < 2; i++) {
        fib_image clean, in, out;
        phantom(&clean);
        copy(&clean, &in);
        add_stripes(&in, angles[i]);
        copy(&in, &out);
        fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_MEDIAN,
                                       .stripe_angle_deg = angles[i]};
        ck_assert_int_eq(fib_recon_destripe(&p, &out, NULL), FIB_OK);
        double r0 = rms(&in, &clean), r1 = rms(&out, &clean);
        printf("destripe (median) at %g deg: rms %.3f -> %.3f\n", angles[i], r0,
               r1);
        ck_assert_msg(r1 < 0.6 * r0, "%g deg: rms %g -> %g", angles[i], r0, r1);
        fib_image_clear(&clean);
        fib_image_clear(&in);
        fib_image_clear(&out);
    }
}
END_TEST

START_TEST(test_destripe_angle)
{
    const double angle = 20;
    fib_image clean, in, out;
    phantom(&clean);
    copy(&clean, &in);
    add_stripes(&in, angle);
    copy(&in, &out);
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_FFT,
                                   .stripe_angle_deg = angle};
    ck_assert_int_eq(fib_recon_destripe(&p, &out, NULL), FIB_OK);
    double r0 = rms(&in, &clean), r1 = rms(&out, &clean);
    printf("destripe at %g deg: rms %.3f -> %.3f\n", angle, r0, r1);
    ck_assert_msg(r1 < 0.75 * r0, "rms %g -> %g", r0, r1);
    /* the vertical filter does much less on tilted stripes */
    fib_image v;
    copy(&in, &v);
    p.stripe_angle_deg = 0;
    ck_assert_int_eq(fib_recon_destripe(&p, &v, NULL), FIB_OK);
    ck_assert_double_lt(r1, rms(&v, &clean));
    /* wedge at the same angle */
    fib_image wdg;
    copy(&in, &wdg);
    fib_recon_destripe_params q = {.method = FIB_DESTRIPE_WEDGE,
                                   .stripe_angle_deg = angle};
    ck_assert_int_eq(fib_recon_destripe(&q, &wdg, NULL), FIB_OK);
    ck_assert_double_lt(rms(&wdg, &clean), 0.7 * r0);
    fib_image_clear(&wdg);
    fib_image_clear(&v);
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&out);
}
END_TEST

static void check_background(fib_recon_background_params p, bool mult,
                             double min_gain)
{
    fib_image clean, in, out;
    phantom(&clean);
    copy(&clean, &in);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            float *v = fib_test_px(&in, x, y);
            if (mult)
                *v *= (float)(1 + shading(x, y) / 150);
            else
                *v += (float)shading(x, y);
        }
    add_noise(&in, 3, 7);
    copy(&in, &out);
    ck_assert_int_eq(fib_recon_background(&p, &out, NULL), FIB_OK);
    /* compare after removing the mean level difference */
    double mo = 0, mc = 0;
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            mo += (double)*fib_test_px(&out, x, y);
            mc += (double)*fib_test_px(&clean, x, y);
        }
    float shift = (float)((mc - mo) / (W * H));
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            *fib_test_px(&out, x, y) += shift;
    double r0 = rms(&in, &clean), r1 = rms(&out, &clean);
    printf("background method %d%s: rms %.3f -> %.3f, ssim %.4f -> %.4f\n",
           p.method, mult ? " (divide)" : "", r0, r1, ssim(&in, &clean),
           ssim(&out, &clean));
    ck_assert_msg(r1 < r0 / min_gain, "rms %g -> %g", r0, r1);
    ck_assert_double_gt(ssim(&out, &clean), ssim(&in, &clean));
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&out);
}

START_TEST(test_background_poly)
{
    fib_recon_background_params p = {.method = FIB_BACKGROUND_POLY};
    check_background(p, false, 1.8);
    p.divide = true;
    check_background(p, true, 1.5);
    /* an exact quadratic is recovered exactly */
    fib_image im, bg;
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, 97, 61, NULL), FIB_OK);
    for (size_t y = 0; y < 61; y++)
        for (size_t x = 0; x < 97; x++)
            *fib_test_px(&im, x, y) =
                (float)(50 + 0.01 * (double)(x * x) - 0.3 * (double)y +
                        0.002 * (double)(x * y));
    p.divide = false;
    ck_assert_int_eq(fib_recon_background_estimate(&p, &im, &bg, NULL), FIB_OK);
    ck_assert_double_lt(rms(&im, &bg), 1e-3);
    fib_image_clear(&bg);
    fib_image_clear(&im);
}
END_TEST

START_TEST(test_background_gauss)
{
    fib_recon_background_params p = {.method = FIB_BACKGROUND_GAUSS,
                                     .gauss_sigma_px = 48};
    check_background(p, false, 1.2);
}
END_TEST

START_TEST(test_normalize_drift)
{
    /* 40 slices: same clean content, gain/offset drift and a jump */
    fib_image clean;
    phantom(&clean);
    fib_recon_correct_params cp = {0};
    cp.normalize.enabled = true;
    cp.normalize.ema_slices = INFINITY;
    for (int mode = 0; mode < 2; mode++) {
        cp.normalize.use_quantiles = mode == 1;
        fib_recon_correct *ctx;
        ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_OK);
        double err_in = 0, err_out = 0;
        for (int k = 0; k < 40; k++) {
            fib_image s;
            copy(&clean, &s);
            double g = 1 + 0.01 * k, o = 2.0 * k + (k >= 20 ? 25 : 0);
            for (size_t y = 0; y < H; y++)
                for (size_t x = 0; x < W; x++)
                    *fib_test_px(&s, x, y) =
                        (float)((double)*fib_test_px(&s, x, y) * g + o);
            add_noise(&s, 2, 100 + (uint64_t)k);
            double before = rms(&s, &clean);
            ck_assert_int_eq(fib_recon_correct_slice(ctx, (size_t)k, &s, NULL),
                             FIB_OK);
            double after = rms(&s, &clean);
            err_in += before * before;
            err_out += after * after;
            fib_image_clear(&s);
        }
        err_in = sqrt(err_in / 40);
        err_out = sqrt(err_out / 40);
        printf("normalize (%s): drift rms %.3f -> %.3f\n",
               mode ? "quantiles" : "mean/std", err_in, err_out);
        ck_assert_msg(err_out < err_in / 10, "drift rms %g -> %g", err_in,
                      err_out);
        fib_recon_correct_destroy(ctx);
    }
    fib_image_clear(&clean);
}
END_TEST

START_TEST(test_normalize_ema)
{
    /* with a finite memory the reference follows slowly: a jump in slice
     * brightness is removed right after it happens */
    fib_image clean;
    phantom(&clean);
    fib_recon_correct_params cp = {0};
    cp.normalize.enabled = true; /* default memory 50 slices */
    fib_recon_correct *ctx;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_OK);
    double m[12];
    for (int k = 0; k < 12; k++) {
        fib_image s;
        copy(&clean, &s);
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++)
                *fib_test_px(&s, x, y) += k >= 6 ? 40.0f : 0.0f;
        ck_assert_int_eq(fib_recon_correct_slice(ctx, (size_t)k, &s, NULL),
                         FIB_OK);
        fib_recon_intensity_stats st;
        fib_recon_normalize_params np = {0};
        ck_assert_int_eq(fib_recon_intensity_stats_compute(&np, &s, &st, NULL),
                         FIB_OK);
        m[k] = st.mean;
        fib_image_clear(&s);
    }
    /* ref after the jump moves by 40/50 per slice at most: the slice
     * means stay within 40 * 6/50 of the first */
    for (int k = 1; k < 12; k++)
        ck_assert_double_lt(fabs(m[k] - m[0]), 40.0 * 6 / 50 + 1e-3);
    fib_recon_correct_destroy(ctx);
    fib_image_clear(&clean);
}
END_TEST

static void check_denoise(fib_recon_denoise_params p, double min_gain,
                          double max_edge_growth)
{
    fib_image clean, in, out;
    phantom(&clean);
    copy(&clean, &in);
    add_noise(&in, 12, 9);
    copy(&in, &out);
    ck_assert_int_eq(fib_recon_denoise(&p, &out, NULL), FIB_OK);
    double r0 = rms(&in, &clean), r1 = rms(&out, &clean);
    printf("denoise method %d (r %u, sigma %g, kappa %g): rms %.3f -> %.3f, "
           "ssim %.4f -> %.4f\n",
           p.method, p.radius, p.sigma_px, p.kappa, r0, r1, ssim(&in, &clean),
           ssim(&out, &clean));
    ck_assert_msg(r1 < r0 / min_gain, "method %d: rms %g -> %g", p.method, r0,
                  r1);
    ck_assert_double_gt(ssim(&out, &clean), ssim(&in, &clean));
    fib_image e;
    copy(&clean, &e);
    ck_assert_int_eq(fib_recon_denoise(&p, &e, NULL), FIB_OK);
    double gx = edge_width_x(&e) - edge_width_x(&clean);
    double gy = edge_width_y(&e) - edge_width_y(&clean);
    printf("  edge growth x %.3f y %.3f px\n", gx, gy);
    ck_assert_msg(gx <= max_edge_growth && gy <= max_edge_growth,
                  "method %d: edge growth %g, %g", p.method, gx, gy);
    fib_image_clear(&e);
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&out);
}

START_TEST(test_denoise)
{
    fib_recon_denoise_params p = {.method = FIB_DENOISE_MEDIAN};
    check_denoise(p, 1.8, 0.05); /* median keeps straight edges exactly */
    p.radius = 2;
    check_denoise(p, 2.0, 0.05);
    fib_recon_denoise_params g = {.method = FIB_DENOISE_GAUSS, .sigma_px = 1};
    /* a Gaussian of sigma s widens a step's 10-90 % width to 2.563 s */
    check_denoise(g, 2.0, 2.6);
    fib_recon_denoise_params d = {
        .method = FIB_DENOISE_DIFFUSION, .kappa = 30, .iterations = 15};
    check_denoise(d, 2.0, 0.5);
    fib_recon_denoise_params da = {.method = FIB_DENOISE_DIFFUSION};
    check_denoise(da, 1.5, 0.5);
    fib_recon_denoise_params nl = {.method = FIB_DENOISE_NLM,
                                   .search_radius = 5};
    check_denoise(nl, 2.0, 0.5);
}
END_TEST

START_TEST(test_gauss_values)
{
    /* impulse response: normalised, symmetric, exp(-x^2/2) shape */
    fib_image im;
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, 41, 41, NULL), FIB_OK);
    *fib_test_px(&im, 20, 20) = 1000;
    fib_recon_denoise_params g = {.method = FIB_DENOISE_GAUSS, .sigma_px = 2};
    ck_assert_int_eq(fib_recon_denoise(&g, &im, NULL), FIB_OK);
    double sum = 0;
    for (size_t y = 0; y < 41; y++)
        for (size_t x = 0; x < 41; x++)
            sum += (double)*fib_test_px(&im, x, y);
    ck_assert_double_eq_tol(sum, 1000, 1e-2);
    double c = (double)*fib_test_px(&im, 20, 20),
           r1 = (double)*fib_test_px(&im, 21, 20);
    ck_assert_double_eq_tol(r1 / c, exp(-1.0 / 8), 1e-5);
    ck_assert_double_eq_tol((double)*fib_test_px(&im, 20, 24) / c,
                            exp(-16.0 / 8), 1e-5);
    ck_assert(*fib_test_px(&im, 20, 29) == 0.0f); /* beyond round(4 sigma) */
    fib_image_clear(&im);
}
END_TEST

START_TEST(test_median_values)
{
    /* salt-and-pepper on a ramp: 3x3 median restores the ramp inside */
    fib_image im;
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, 30, 20, NULL), FIB_OK);
    for (size_t y = 0; y < 20; y++)
        for (size_t x = 0; x < 30; x++)
            *fib_test_px(&im, x, y) = (float)x;
    *fib_test_px(&im, 10, 10) = 1000;
    *fib_test_px(&im, 15, 5) = -1000;
    for (unsigned r = 1; r <= 3; r++) {
        fib_image c;
        copy(&im, &c);
        fib_recon_denoise_params p = {.method = FIB_DENOISE_MEDIAN,
                                      .radius = r};
        ck_assert_int_eq(fib_recon_denoise(&p, &c, NULL), FIB_OK);
        for (size_t y = 0; y < 20; y++)
            for (size_t x = r; x + r < 30; x++)
                ck_assert(*fib_test_px(&c, x, y) == (float)x);
        fib_image_clear(&c);
    }
    fib_image_clear(&im);
}
END_TEST

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static ptrdiff_t refl(ptrdiff_t i, ptrdiff_t n)
{
    while (i < 0 || i >= n)
        i = i < 0 ? -i - 1 : 2 * n - 1 - i;
    return i;
}

START_TEST(test_median_brute_force)
{
    /* every radius / slab against sorting the mirrored window */
    enum { MW = 70, MH = 23 };
    fib_image s[3];
    fib_test_rng = 77;
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(fib_image_init(&s[k], FIB_PX_F32, MW, MH, NULL),
                         FIB_OK);
        for (size_t y = 0; y < MH; y++)
            for (size_t x = 0; x < MW; x++)
                *fib_test_px(&s[k], x, y) = (float)floor(20 * fib_test_urand());
    }
    for (unsigned r = 1; r <= 4; r++) {
        for (int three = 0; three < 2; three++) {
            fib_image out;
            if (three) {
                ck_assert_int_eq(
                    fib_recon_median3d(&s[0], &s[1], &s[2], r, &out, NULL),
                    FIB_OK);
            } else {
                copy(&s[1], &out);
                fib_recon_denoise_params p = {.method = FIB_DENOISE_MEDIAN,
                                              .radius = r};
                ck_assert_int_eq(fib_recon_denoise(&p, &out, NULL), FIB_OK);
            }
            float win[3 * 81];
            for (ptrdiff_t y = 0; y < MH; y++)
                for (ptrdiff_t x = 0; x < MW; x++) {
                    int n = 0;
                    for (int k = three ? 0 : 1; k < (three ? 3 : 2); k++)
                        for (int dy = -(int)r; dy <= (int)r; dy++)
                            for (int dx = -(int)r; dx <= (int)r; dx++)
                                win[n++] = *fib_test_px(
                                    &s[k], (size_t)refl(x + dx, MW),
                                    (size_t)refl(y + dy, MH));
                    qsort(win, (size_t)n, sizeof(float), cmpf);
                    ck_assert_msg(*fib_test_px(&out, (size_t)x, (size_t)y) ==
                                      win[n / 2],
                                  "r %u 3d %d at %td,%td", r, three, x, y);
                }
            fib_image_clear(&out);
        }
    }
    for (int k = 0; k < 3; k++)
        fib_image_clear(&s[k]);
}
END_TEST

START_TEST(test_median3d)
{
    fib_image clean, s[3], out2d, out3d;
    phantom(&clean);
    for (int k = 0; k < 3; k++) {
        copy(&clean, &s[k]);
        add_noise(&s[k], 12, 300 + (uint64_t)k);
    }
    copy(&s[1], &out2d);
    fib_recon_denoise_params p = {.method = FIB_DENOISE_MEDIAN};
    ck_assert_int_eq(fib_recon_denoise(&p, &out2d, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_median3d(&s[0], &s[1], &s[2], 1, &out3d, NULL),
                     FIB_OK);
    double r0 = rms(&s[1], &clean), r2 = rms(&out2d, &clean),
           r3 = rms(&out3d, &clean);
    ck_assert_msg(r3 < r2 && r2 < r0, "rms %g, 2d %g, 3d %g", r0, r2, r3);
    fib_image_clear(&out3d);
    fib_image wrong;
    ck_assert_int_eq(fib_image_init(&wrong, FIB_PX_F32, 10, 10, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_median3d(&s[0], &s[1], &wrong, 1, &out3d, NULL),
                     FIB_EINVAL);
    fib_image_clear(&wrong);
    for (int k = 0; k < 3; k++)
        fib_image_clear(&s[k]);
    fib_image_clear(&out2d);
    fib_image_clear(&clean);
}
END_TEST

START_TEST(test_full_chain_and_threads)
{
    /* all four steps through the context; 1 and 2 threads identical */
    fib_recon_correct_params cp = {0};
    cp.destripe.method = FIB_DESTRIPE_WAVELET_FFT;
    cp.background.method = FIB_BACKGROUND_POLY;
    cp.normalize.enabled = true;
    cp.denoise.method = FIB_DENOISE_MEDIAN;
    fib_image clean;
    phantom(&clean);
    fib_image res[2][3];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        fib_recon_correct *ctx;
        ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_OK);
        ck_assert(fib_recon_correct_any(ctx));
        for (int k = 0; k < 3; k++) {
            fib_image in;
            copy(&clean, &in);
            add_stripes(&in, 0);
            for (size_t y = 0; y < H; y++)
                for (size_t x = 0; x < W; x++)
                    *fib_test_px(&in, x, y) += (float)(shading(x, y) + 5 * k);
            add_noise(&in, 8, 500 + (uint64_t)k);
            copy(&in, &res[t][k]);
            ck_assert_int_eq(
                fib_recon_correct_slice(ctx, (size_t)k, &res[t][k], NULL),
                FIB_OK);
            if (t == 0) {
                double r0 = rms(&in, &clean), r1 = rms(&res[t][k], &clean);
                printf("full chain slice %d: rms %.3f -> %.3f, ssim %.4f -> "
                       "%.4f\n",
                       k, r0, r1, ssim(&in, &clean), ssim(&res[t][k], &clean));
                ck_assert_msg(r1 < r0 / 2.2, "slice %d rms %g -> %g", k, r0,
                              r1);
                ck_assert_double_gt(ssim(&res[t][k], &clean),
                                    ssim(&in, &clean));
            }
            fib_image_clear(&in);
        }
        fib_recon_correct_destroy(ctx);
    }
    /* also the wedge, gauss and diffusion paths */
    fib_recon_destripe_params wp = {.method = FIB_DESTRIPE_WEDGE};
    fib_recon_denoise_params dps[3] = {
        {.method = FIB_DENOISE_GAUSS, .sigma_px = 2},
        {.method = FIB_DENOISE_NLM, .search_radius = 3},
        {.method = FIB_DENOISE_DIFFUSION}};
    fib_image a[2][4];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        copy(&res[0][0], &a[t][0]);
        ck_assert_int_eq(fib_recon_destripe(&wp, &a[t][0], NULL), FIB_OK);
        for (int j = 0; j < 3; j++) {
            copy(&res[0][1], &a[t][j + 1]);
            ck_assert_int_eq(fib_recon_denoise(&dps[j], &a[t][j + 1], NULL),
                             FIB_OK);
        }
    }
    omp_set_num_threads(2);
    for (int k = 0; k < 3; k++) {
        ck_assert_mem_eq(res[0][k].data, res[1][k].data, W * H * 4);
        ck_assert_mem_eq(a[0][k].data, a[1][k].data, W * H * 4);
        fib_image_clear(&res[0][k]);
        fib_image_clear(&res[1][k]);
        fib_image_clear(&a[0][k]);
        fib_image_clear(&a[1][k]);
    }
    ck_assert_mem_eq(a[0][3].data, a[1][3].data, W * H * 4);
    fib_image_clear(&a[0][3]);
    fib_image_clear(&a[1][3]);
    fib_image_clear(&clean);
}
END_TEST

START_TEST(test_per_call_threads)
{
    /* params.threads: the step runs with that team size, the caller's
     * OpenMP setting is put back, and the result is bit-identical to the
     * run with the default (house rule: results independent of threads) */
    omp_set_num_threads(2);
    fib_threads_scope sc = fib_threads_begin(5);
    ck_assert(sc.set);
    ck_assert_int_eq(omp_get_max_threads(), 5);
    fib_threads_end(sc);
    ck_assert_int_eq(omp_get_max_threads(), 2);
    sc = fib_threads_begin(0);
    ck_assert(!sc.set);
    ck_assert_int_eq(omp_get_max_threads(), 2);
    fib_threads_end(sc);
    ck_assert_int_eq(omp_get_max_threads(), 2);

    fib_image clean, a[2], d[2], g[2];
    phantom(&clean);
    copy(&clean, &a[0]);
    add_stripes(&a[0], 0);
    add_noise(&a[0], 8, 77);
    copy(&a[0], &a[1]);
    copy(&a[0], &d[0]);
    copy(&a[0], &d[1]);
    copy(&a[0], &g[0]);
    copy(&a[0], &g[1]);
    for (int t = 0; t < 2; t++) {
        const int n = t ? 3 : 0;
        fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_FFT,
                                       .threads = n};
        ck_assert_int_eq(fib_recon_destripe(&p, &a[t], NULL), FIB_OK);
        fib_recon_denoise_params q = {
            .method = FIB_DENOISE_NLM, .search_radius = 3, .threads = n};
        ck_assert_int_eq(fib_recon_denoise(&q, &d[t], NULL), FIB_OK);
        fib_recon_background_params b = {.method = FIB_BACKGROUND_GAUSS,
                                         .threads = n};
        ck_assert_int_eq(fib_recon_background(&b, &g[t], NULL), FIB_OK);
        ck_assert_int_eq(omp_get_max_threads(), 2);
    }
    /* the steps did something, identically */
    ck_assert_double_gt(rms(&a[0], &d[0]), 0.1);
    ck_assert_mem_eq(a[0].data, a[1].data, W * H * 4);
    ck_assert_mem_eq(d[0].data, d[1].data, W * H * 4);
    ck_assert_mem_eq(g[0].data, g[1].data, W * H * 4);
    for (int t = 0; t < 2; t++) {
        fib_image_clear(&a[t]);
        fib_image_clear(&d[t]);
        fib_image_clear(&g[t]);
    }
    fib_image_clear(&clean);
}
END_TEST

START_TEST(test_ssim_reference)
{
    /* skimage.metrics.structural_similarity(a, b, data_range=60,
     * gaussian_weights=True, sigma=1.5, use_sample_covariance=True) =
     * 0.9892327304318588 (scikit-image 0.19) */
    fib_image a, b;
    ck_assert_int_eq(fib_image_init(&a, FIB_PX_F32, 64, 48, NULL), FIB_OK);
    ck_assert_int_eq(fib_image_init(&b, FIB_PX_F32, 64, 48, NULL), FIB_OK);
    for (size_t y = 0; y < 48; y++)
        for (size_t x = 0; x < 64; x++) {
            *fib_test_px(&a, x, y) = (float)((x * 7 + y * 13) % 50);
            *fib_test_px(&b, x, y) =
                (float)((x * 7 + y * 13) % 50) + (float)((x * y) % 7) - 3.0f;
        }
    double s;
    ck_assert_int_eq(fib_recon_ssim(&a, &b, 60, &s, NULL), FIB_OK);
    ck_assert_double_eq_tol(s, 0.9892327304318588, 1e-9);
    ck_assert_int_eq(fib_recon_ssim(&a, &a, 60, &s, NULL), FIB_OK);
    ck_assert_double_eq_tol(s, 1.0, 1e-12);
    ck_assert_int_eq(fib_recon_ssim(&a, &b, 0, &s, NULL), FIB_EINVAL);
    fib_image_clear(&a);
    fib_image_clear(&b);
}
END_TEST

START_TEST(test_bad_input)
{
    fib_error err = {0};
    fib_recon_correct *ctx = NULL;
    fib_recon_correct_params cp = {0};
    cp.destripe.method = FIB_DESTRIPE_WAVELET_FFT;
    cp.destripe.wavelet = "db42";
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "db42"));
    cp.destripe.wavelet = NULL;
    cp.destripe.sigma = NAN;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "sigma"));
    cp.destripe.sigma = 0;
    cp.denoise.method = FIB_DENOISE_DIFFUSION;
    cp.denoise.step = 0.3;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "step"));
    cp.denoise.step = 0;
    cp.background.method = FIB_BACKGROUND_POLY;
    cp.background.poly_order = 7;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_EINVAL);
    cp.background.poly_order = 0;
    cp.normalize.enabled = true;
    cp.normalize.q_lo = 0.9;
    cp.normalize.q_hi = 0.1;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_EINVAL);
    cp.normalize.q_lo = cp.normalize.q_hi = 0;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_OK);
    /* u8 slice refused; tiny slice refused with the level count named */
    fib_image u8, tiny;
    ck_assert_int_eq(fib_image_init(&u8, FIB_PX_U8, 64, 64, NULL), FIB_OK);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_recon_correct_slice(ctx, 3, &u8, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "slice 3"));
    ck_assert_ptr_nonnull(strstr(err.msg, "f32"));
    ck_assert_int_eq(fib_image_init(&tiny, FIB_PX_F32, 8, 8, NULL), FIB_OK);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_recon_correct_slice(ctx, 0, &tiny, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "levels"));
    fib_image_clear(&u8);
    fib_image_clear(&tiny);
    fib_recon_correct_destroy(ctx);
    /* nothing enabled */
    fib_recon_correct_params none = {0};
    ck_assert_int_eq(fib_recon_correct_create(&none, &ctx, NULL), FIB_OK);
    ck_assert(!fib_recon_correct_any(ctx));
    fib_recon_correct_destroy(ctx);
}
END_TEST

START_TEST(test_small_and_odd_sizes)
{
    /* every step on tiny and odd-sized images: FIB_OK or a one-line
     * FIB_EINVAL, never a crash (run under ASan in CI) */
    static const size_t sz[][2] = {{1, 1},   {1, 50}, {50, 1},  {2, 2},
                                   {3, 3},   {17, 5}, {16, 16}, {33, 70},
                                   {70, 33}, {31, 29}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int m = 0; m < 11; m++) {
            fib_image im;
            ck_assert_int_eq(
                fib_image_init(&im, FIB_PX_F32, sz[s][0], sz[s][1], NULL),
                FIB_OK);
            for (size_t y = 0; y < sz[s][1]; y++)
                for (size_t x = 0; x < sz[s][0]; x++)
                    *fib_test_px(&im, x, y) = (float)((x * 3 + y) % 7);
            fib_error e = {0};
            fib_status st;
            if (m < 6) {
                fib_recon_destripe_params d = {
                    .method = (fib_recon_destripe_method)(m % 3 + 1),
                    .levels = 2,
                    .stripe_angle_deg = m < 3 ? 0 : 30};
                st = fib_recon_destripe(&d, &im, &e);
            } else if (m < 8) {
                fib_recon_background_params b = {
                    .method = (fib_recon_background_method)(m - 5),
                    .poly_order = 1};
                st = fib_recon_background(&b, &im, &e);
            } else {
                fib_recon_denoise_params d = {
                    .method = (fib_recon_denoise_method)(m - 7), .radius = 3};
                st = fib_recon_denoise(&d, &im, &e);
            }
            ck_assert_msg(st == FIB_OK || st == FIB_EINVAL,
                          "%zux%zu step %d: %s", sz[s][0], sz[s][1], m, e.msg);
            if (st == FIB_EINVAL)
                ck_assert(strlen(e.msg) > 0 && !strchr(e.msg, '\n'));
            fib_image_clear(&im);
        }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("correct");
    TCase *tc = tcase_create("correct");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dwt_matches_pywavelets);
    tcase_add_test(tc, test_destripe_perfect_reconstruction);
    tcase_add_test(tc, test_destripe_wavelet_fft);
    tcase_add_test(tc, test_destripe_wavelet_median);
    tcase_add_test(tc, test_destripe_wedge);
    tcase_add_test(tc, test_destripe_angle);
    tcase_add_test(tc, test_destripe_other_angles);
    tcase_add_test(tc, test_background_poly);
    tcase_add_test(tc, test_background_gauss);
    tcase_add_test(tc, test_normalize_drift);
    tcase_add_test(tc, test_normalize_ema);
    tcase_add_test(tc, test_denoise);
    tcase_add_test(tc, test_gauss_values);
    tcase_add_test(tc, test_median_values);
    tcase_add_test(tc, test_median_brute_force);
    tcase_add_test(tc, test_median3d);
    tcase_add_test(tc, test_full_chain_and_threads);
    tcase_add_test(tc, test_per_call_threads);
    tcase_add_test(tc, test_ssim_reference);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_small_and_odd_sizes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(suite(), NULL);
}
