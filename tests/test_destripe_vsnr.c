/*
 * test_destripe_vsnr.c -- VSNR destriping (fib/correct.h,
 * FIB_DESTRIPE_VSNR) against ground truth: a synthetic section (smooth
 * discs and blobs on a ramp, noise) plus known curtains 1-8 px wide that
 * fade with depth, the form of issue 11 and bench/fidelity_score.py
 * add_curtains.  VSNR must leave a lower RMS error than the input and
 * than cryofib's wavelet-FFT filter, and less stripe power; on the same
 * section without curtains it must change little; its output never has
 * more stripe power than its input (the safeguard); results do not depend
 * on the thread count; bad parameters are refused.
 */
#include "fib_test.h"

#include "fib/correct.h"
#include "fib/image.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define W 256
#define H 224

/* Clean section: ramp 90..110 in x, 70 discs (radius 3-14 px, grey
 * 40-200, edges blurred over ~1 px as a beam would), fixed seed; plus
 * Gaussian read noise of sd @p noise (seed @p seed). */
static void section(fib_image *im, double noise, uint64_t seed)
{
    ck_assert_int_eq(fib_image_init(im, FIB_PX_F32, W, H, NULL), FIB_OK);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            *fib_test_px(im, x, y) = (float)(90 + 20.0 * (double)x / W);
    fib_test_rng = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 70; i++) {
        double cx = fib_test_urand() * W, cy = fib_test_urand() * H,
               r = 3 + 11 * fib_test_urand();
        double g = 40 + 160 * fib_test_urand();
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++) {
                double d = hypot((double)x - cx, (double)y - cy) - r;
                if (d > 3)
                    continue;
                double a = 0.5 - 0.5 * tanh(d / 0.7); /* coverage */
                float *p = fib_test_px(im, x, y);
                *p = (float)((1 - a) * (double)*p + a * g);
            }
    }
    fib_test_rng = seed;
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            *fib_test_px(im, x, y) += (float)(noise * fib_test_nrand());
}

/* Curtains: W / 10 vertical streaks at random x, widths w uniform in
 * [1, 8] px (Gaussian profile, sigma w / 2), amplitudes N(0, amp), fading
 * with depth as exp(-y / (H / 2)); added to @p im (seed @p seed). */
static void add_curtains(fib_image *im, double amp, uint64_t seed)
{
    double col[W] = {0};
    fib_test_rng = seed;
    for (int i = 0; i < W / 10; i++) {
        double x0 = fib_test_urand() * W, w = 1 + 7 * fib_test_urand(),
               a = amp * fib_test_nrand();
        for (size_t x = 0; x < W; x++) {
            double d = ((double)x + 0.5 - x0) / (0.5 * w);
            col[x] += a * exp(-0.5 * d * d);
        }
    }
    for (size_t y = 0; y < H; y++) {
        double f = exp(-((double)y + 0.5) / (0.5 * H));
        for (size_t x = 0; x < W; x++)
            *fib_test_px(im, x, y) += (float)(f * col[x]);
    }
}

static void copy(const fib_image *src, fib_image *dst)
{
    ck_assert_int_eq(fib_image_copy(src, dst, NULL), FIB_OK);
}

static double rms(const fib_image *a, const fib_image *b)
{
    double r;
    ck_assert_int_eq(fib_recon_rms_diff(a, b, &r, NULL), FIB_OK);
    return r;
}

/* Stripe power (fib_recon_stripe_power, high-pass 8 px) of a - b. */
static double stripe_of_diff(const fib_image *a, const fib_image *b)
{
    fib_image d;
    copy(a, &d);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            *fib_test_px(&d, x, y) -=
                *(const float *)((const char *)fib_image_row(b, y) +
                                 x * sizeof(float));
    double p;
    ck_assert_int_eq(fib_recon_stripe_power(&d, 8, &p, NULL), FIB_OK);
    fib_image_clear(&d);
    return p;
}

static double stripe(const fib_image *a)
{
    double p;
    ck_assert_int_eq(fib_recon_stripe_power(a, 8, &p, NULL), FIB_OK);
    return p;
}

static void run(fib_recon_destripe_method m, const fib_image *in,
                fib_image *out)
{
    fib_recon_destripe_params p = {.method = m};
    fib_error e = {0};
    copy(in, out);
    ck_assert_msg(fib_recon_destripe(&p, out, &e) == FIB_OK, "%s", e.msg);
}

/* ================= tests ================= */

/* Three curtain draws on the section: VSNR beats the input and the
 * wavelet-FFT filter in RMS error and in stripe power left. */
START_TEST(test_vsnr_beats_wavelet_fft)
{
    fib_image clean;
    section(&clean, 3, 11);
    const uint64_t seeds[3] = {101, 202, 303};
    for (int k = 0; k < 3; k++) {
        fib_image in, v, f;
        copy(&clean, &in);
        add_curtains(&in, 20, seeds[k]);
        run(FIB_DESTRIPE_VSNR, &in, &v);
        run(FIB_DESTRIPE_WAVELET_FFT, &in, &f);
        double r0 = rms(&in, &clean), rv = rms(&v, &clean),
               rf = rms(&f, &clean);
        double p0 = stripe_of_diff(&in, &clean);
        double lv = stripe_of_diff(&v, &clean) / p0,
               lf = stripe_of_diff(&f, &clean) / p0;
        printf("curtains %d: rms input %.3f vsnr %.3f wavelet-fft %.3f; "
               "stripe left vsnr %.3f wavelet-fft %.3f\n",
               k, r0, rv, rf, lv, lf);
        ck_assert_msg(rv < 0.75 * r0, "rms %g -> %g", r0, rv);
        ck_assert_msg(rv < rf, "vsnr %g vs wavelet-fft %g", rv, rf);
        ck_assert_msg(lv < 0.25 && lv < lf, "stripe left %g vs %g", lv, lf);
        /* safeguard: never more stripe power than the input */
        ck_assert_double_le(stripe(&v), stripe(&in));
        fib_image_clear(&in);
        fib_image_clear(&v);
        fib_image_clear(&f);
    }
    fib_image_clear(&clean);
}
END_TEST

/* Without curtains the change is small next to the curtains it removes
 * (issue 11: the wavelet-FFT filter changed a stripe-free electrode slice
 * by 2.3 x the curtains' RMS). */
START_TEST(test_vsnr_stripe_free)
{
    fib_image clean, v, f, cur;
    section(&clean, 3, 11);
    run(FIB_DESTRIPE_VSNR, &clean, &v);
    run(FIB_DESTRIPE_WAVELET_FFT, &clean, &f);
    copy(&clean, &cur);
    add_curtains(&cur, 20, 101);
    double c = rms(&cur, &clean), dv = rms(&v, &clean), df = rms(&f, &clean);
    printf("stripe-free: change vsnr %.3f wavelet-fft %.3f; curtains %.3f\n",
           dv, df, c);
    ck_assert_msg(dv < 0.25 * c, "change %g vs curtains %g", dv, c);
    ck_assert_msg(dv < df, "vsnr %g vs wavelet-fft %g", dv, df);
    ck_assert_double_le(stripe(&v), stripe(&clean));
    /* the safeguard holds for any weight, however much VSNR removes */
    const double wts[3] = {1e-4, 0.1, 1e4};
    for (int i = 0; i < 3; i++) {
        fib_image g;
        copy(&clean, &g);
        fib_recon_destripe_params q = {.method = FIB_DESTRIPE_VSNR,
                                       .vsnr_weight = wts[i]};
        ck_assert_int_eq(fib_recon_destripe(&q, &g, NULL), FIB_OK);
        printf("stripe-free, weight %g: stripe power %.4f -> %.4f, change "
               "%.3f\n",
               wts[i], stripe(&clean), stripe(&g), rms(&g, &clean));
        ck_assert_double_le(stripe(&g), stripe(&clean) * (1 + 1e-9));
        fib_image_clear(&g);
    }
    /* a flat image is returned unchanged */
    fib_image flat;
    ck_assert_int_eq(fib_image_init(&flat, FIB_PX_F32, 64, 48, NULL), FIB_OK);
    for (size_t y = 0; y < 48; y++)
        for (size_t x = 0; x < 64; x++)
            *fib_test_px(&flat, x, y) = 7.5f;
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_VSNR};
    ck_assert_int_eq(fib_recon_destripe(&p, &flat, NULL), FIB_OK);
    for (size_t y = 0; y < 48; y++)
        for (size_t x = 0; x < 64; x++)
            ck_assert(*fib_test_px(&flat, x, y) == 7.5f);
    fib_image_clear(&flat);
    fib_image_clear(&clean);
    fib_image_clear(&v);
    fib_image_clear(&f);
    fib_image_clear(&cur);
}
END_TEST

/* Pure curtains on a constant background (TV of the truth is 0): most of
 * them go (75 % of the RMS measured; the Gaussian prior shrinks the
 * estimate, and the widest, faded curtains cost little TV). */
START_TEST(test_vsnr_pure_stripes)
{
    fib_image clean, in, v;
    ck_assert_int_eq(fib_image_init(&clean, FIB_PX_F32, W, H, NULL), FIB_OK);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            *fib_test_px(&clean, x, y) = 100;
    copy(&clean, &in);
    add_curtains(&in, 20, 7);
    run(FIB_DESTRIPE_VSNR, &in, &v);
    double r0 = rms(&in, &clean), r1 = rms(&v, &clean);
    printf("pure curtains: rms %.3f -> %.3f\n", r0, r1);
    ck_assert_msg(r1 < 0.35 * r0, "rms %g -> %g", r0, r1);
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&v);
}
END_TEST

/* Stripes at 20 deg from vertical: the rotated frame of fib/correct.h. */
START_TEST(test_vsnr_angle)
{
    fib_image clean, in, v;
    section(&clean, 3, 11);
    copy(&clean, &in);
    const double a = 20 * 3.14159265358979 / 180;
    fib_test_rng = 99;
    double prof[2 * W];
    for (int i = 0; i < 2 * W; i++)
        prof[i] = 0;
    for (int i = 0; i < W / 5; i++) {
        double x0 = fib_test_urand() * 2 * W, w = 1 + 7 * fib_test_urand(),
               am = 20 * fib_test_nrand();
        for (int x = 0; x < 2 * W; x++) {
            double d = ((double)x - x0) / (0.5 * w);
            prof[x] += am * exp(-0.5 * d * d);
        }
    }
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            /* across-stripe coordinate u = dx cos A - dy sin A for stripes
             * along (sin A, cos A) (x right, y down): fib/correct.h's
             * positive angle, turned towards -x at the top */
            double u = ((double)x - W / 2.0) * cos(a) -
                       ((double)y - H / 2.0) * sin(a) + W;
            int i = (int)u;
            double f = u - i;
            *fib_test_px(&in, x, y) +=
                (float)((1 - f) * prof[i] +
                        f * prof[i + 1 < 2 * W ? i + 1 : i]);
        }
    double r0 = rms(&in, &clean);
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_VSNR,
                                   .stripe_angle_deg = 20};
    copy(&in, &v);
    ck_assert_int_eq(fib_recon_destripe(&p, &v, NULL), FIB_OK);
    double r1 = rms(&v, &clean);
    p.stripe_angle_deg = 0;
    fib_image v0;
    copy(&in, &v0);
    ck_assert_int_eq(fib_recon_destripe(&p, &v0, NULL), FIB_OK);
    double rz = rms(&v0, &clean);
    printf("stripes at 20 deg: rms %.3f -> %.3f (filter at 0 deg: %.3f)\n", r0,
           r1, rz);
    ck_assert_msg(r1 < 0.6 * r0, "rms %g -> %g", r0, r1);
    ck_assert_msg(r1 < rz, "20 deg %g vs 0 deg %g", r1, rz);
    fib_image_clear(&v);
    fib_image_clear(&v0);
    fib_image_clear(&clean);
    fib_image_clear(&in);
}
END_TEST

/* Bit-identical for 1 and 2 threads, and through a correction context. */
START_TEST(test_vsnr_threads_and_context)
{
    fib_image clean, in, a, b, c;
    section(&clean, 3, 11);
    copy(&clean, &in);
    add_curtains(&in, 20, 101);
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    run(FIB_DESTRIPE_VSNR, &in, &a);
    omp_set_num_threads(2);
    run(FIB_DESTRIPE_VSNR, &in, &b);
    omp_set_num_threads(nt);
    for (size_t y = 0; y < H; y++)
        ck_assert(memcmp(fib_image_row(&a, y), fib_image_row(&b, y),
                         W * sizeof(float)) == 0);
    fib_recon_correct_params cp;
    memset(&cp, 0, sizeof cp);
    cp.destripe.method = FIB_DESTRIPE_VSNR;
    fib_recon_correct *ctx;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, NULL), FIB_OK);
    for (int k = 0; k < 2; k++) { /* work space reused on the 2nd slice */
        copy(&in, &c);
        ck_assert_int_eq(fib_recon_correct_slice(ctx, (size_t)k, &c, NULL),
                         FIB_OK);
        for (size_t y = 0; y < H; y++)
            ck_assert(memcmp(fib_image_row(&a, y), fib_image_row(&c, y),
                             W * sizeof(float)) == 0);
        fib_image_clear(&c);
    }
    fib_recon_correct_destroy(ctx);
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&a);
    fib_image_clear(&b);
}
END_TEST

/* 30 iterations (the default) reach the ADMM fixed point: 300 change the
 * result by < 0.05 grey RMS (the result does not hang on early stopping). */
START_TEST(test_vsnr_converged)
{
    fib_image clean, in, a, b;
    section(&clean, 3, 11);
    copy(&clean, &in);
    add_curtains(&in, 20, 202);
    run(FIB_DESTRIPE_VSNR, &in, &a);
    copy(&in, &b);
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_VSNR,
                                   .vsnr_iterations = 300};
    ck_assert_int_eq(fib_recon_destripe(&p, &b, NULL), FIB_OK);
    double d = rms(&a, &b);
    printf("30 vs 300 iterations: rms difference %.4f (error %.3f / %.3f)\n", d,
           rms(&a, &clean), rms(&b, &clean));
    ck_assert_msg(d < 0.05, "30 vs 300 iterations differ by %g", d);
    fib_image_clear(&clean);
    fib_image_clear(&in);
    fib_image_clear(&a);
    fib_image_clear(&b);
}
END_TEST

/* Odd and minimal sizes run (FFT sizes 7-smooth, margins capped by the
 * image) and give finite output that is not rougher than the input. */
START_TEST(test_vsnr_odd_sizes)
{
    const size_t sz[][2] = {{8, 8},   {9, 13},  {31, 17},
                            {300, 8}, {8, 301}, {127, 211}};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        fib_image im;
        ck_assert_int_eq(
            fib_image_init(&im, FIB_PX_F32, sz[i][0], sz[i][1], NULL), FIB_OK);
        fib_test_rng = 77 + i;
        for (size_t y = 0; y < sz[i][1]; y++)
            for (size_t x = 0; x < sz[i][0]; x++)
                *fib_test_px(&im, x, y) =
                    (float)(50 + 10 * fib_test_nrand() + 20 * (x % 5 == 0));
        fib_image o;
        copy(&im, &o);
        fib_recon_destripe_params p = {.method = FIB_DESTRIPE_VSNR,
                                       .stripe_angle_deg = i == 5 ? 30 : 0};
        fib_error e = {0};
        ck_assert_msg(fib_recon_destripe(&p, &o, &e) == FIB_OK, "%zux%zu: %s",
                      sz[i][0], sz[i][1], e.msg);
        for (size_t y = 0; y < sz[i][1]; y++)
            for (size_t x = 0; x < sz[i][0]; x++)
                ck_assert(isfinite(*fib_test_px(&o, x, y)));
        if (i != 5)
            ck_assert_double_le(stripe(&o), stripe(&im) * (1 + 1e-9));
        fib_image_clear(&im);
        fib_image_clear(&o);
    }
}
END_TEST

START_TEST(test_vsnr_bad_params)
{
    fib_image im;
    section(&im, 0, 1);
    const double nan = NAN, inf = INFINITY;
    fib_recon_destripe_params bad[] = {
        {.method = FIB_DESTRIPE_VSNR, .vsnr_sigma_across_px = nan},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_sigma_across_px = -1},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_sigma_along_px = inf},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_sigma_along_px = -3},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_weight = nan},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_weight = -2},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_white = -0.1},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_white = nan},
        {.method = FIB_DESTRIPE_VSNR, .vsnr_iterations = 10001},
        {.method = (fib_recon_destripe_method)5},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fib_error e = {0};
        ck_assert_int_eq(fib_recon_destripe(&bad[i], &im, &e), FIB_EINVAL);
        ck_assert(strlen(e.msg) > 0 && !strchr(e.msg, '\n'));
    }
    /* too small */
    fib_image tiny;
    ck_assert_int_eq(fib_image_init(&tiny, FIB_PX_F32, 7, 40, NULL), FIB_OK);
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_VSNR};
    fib_error e = {0};
    ck_assert_int_eq(fib_recon_destripe(&p, &tiny, &e), FIB_EINVAL);
    ck_assert(strstr(e.msg, "too small") != NULL);
    fib_image_clear(&tiny);
    /* u8 refused */
    fib_image u8;
    ck_assert_int_eq(fib_image_init(&u8, FIB_PX_U8, 32, 32, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_destripe(&p, &u8, NULL), FIB_EINVAL);
    fib_image_clear(&u8);
    fib_image_clear(&im);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("destripe_vsnr");
    TCase *tc = tcase_create("vsnr");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_vsnr_beats_wavelet_fft);
    tcase_add_test(tc, test_vsnr_stripe_free);
    tcase_add_test(tc, test_vsnr_pure_stripes);
    tcase_add_test(tc, test_vsnr_angle);
    tcase_add_test(tc, test_vsnr_threads_and_context);
    tcase_add_test(tc, test_vsnr_converged);
    tcase_add_test(tc, test_vsnr_odd_sizes);
    tcase_add_test(tc, test_vsnr_bad_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(suite(), NULL);
}
