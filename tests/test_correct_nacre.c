/*
 * test_correct_nacre.c -- destriping on the real curtained SEM image of a
 * FIB-milled nacre section (../shared/data/nacre-fib-curtaining, Schwartz
 * et al. 2019 sample data; internal testing only, never copied here).
 * Skips (77) when the file is absent.
 *
 * Stripe power (vertical stripes narrower than ~50 px) must fall, and the
 * non-stripe content must survive: vertical curtains carry (almost) no
 * signal in the derivative along y, so the y-derivative image of the
 * output must stay highly correlated with the input's, with nearly the same
 * energy; and the mean grey level must not move.
 */
#include "fib_test.h"

#include "fib/correct.h"
#include "fib/formats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static char path[4096];
static fib_image orig; /* f32 */

static void load(void)
{
    fib_image u8;
    ck_assert_int_eq(fib_fmt_image_read(path, NULL, &u8, NULL, NULL), FIB_OK);
    ck_assert_int_eq(u8.width, 1024);
    ck_assert_int_eq(u8.height, 740);
    ck_assert_int_eq(fib_image_convert(&u8, FIB_PX_F32, &orig, NULL), FIB_OK);
    fib_image_clear(&u8);
}

static double at(const fib_image *im, size_t x, size_t y)
{
    return (double)((const float *)fib_image_row(im, y))[x];
}

/* correlation and energy ratio of the y-derivatives */
static void dy_stats(const fib_image *a, const fib_image *b, double *corr,
                     double *energy_ratio)
{
    double sab = 0, saa = 0, sbb = 0;
    for (size_t y = 0; y + 1 < a->height; y++)
        for (size_t x = 0; x < a->width; x++) {
            double da = at(a, x, y + 1) - at(a, x, y);
            double db = at(b, x, y + 1) - at(b, x, y);
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
    *corr = sab / sqrt(saa * sbb);
    *energy_ratio = sbb / saa;
}

/* stripe power summed over 4 horizontal bands of the image: catches
 * curtains that run down only part of the height */
static double band_power(const fib_image *a)
{
    double s = 0;
    size_t bh = a->height / 4;
    for (size_t b = 0; b < 4; b++) {
        fib_image v;
        double p;
        ck_assert_int_eq(fib_image_view(a, 0, b * bh, a->width, bh, &v, NULL),
                         FIB_OK);
        ck_assert_int_eq(fib_recon_stripe_power(&v, 8, &p, NULL), FIB_OK);
        s += p;
    }
    return s;
}

static double mean(const fib_image *a)
{
    double s = 0;
    for (size_t y = 0; y < a->height; y++)
        for (size_t x = 0; x < a->width; x++)
            s += at(a, x, y);
    return s / ((double)a->width * (double)a->height);
}

static void check(fib_recon_destripe_params p, const char *name,
                  double max_power_ratio, double max_band_ratio)
{
    fib_image out;
    ck_assert_int_eq(fib_image_copy(&orig, &out, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_destripe(&p, &out, NULL), FIB_OK);
    double p0, p1, corr, er;
    ck_assert_int_eq(fib_recon_stripe_power(&orig, 8, &p0, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_stripe_power(&out, 8, &p1, NULL), FIB_OK);
    dy_stats(&orig, &out, &corr, &er);
    double b0 = band_power(&orig), b1 = band_power(&out);
    double m0 = mean(&orig), m1 = mean(&out);
    printf("nacre %s: stripe power %.3f -> %.4f (%.1f %% removed), "
           "4-band power %.3f -> %.3f (%.1f %% removed), y-derivative corr "
           "%.4f, energy ratio %.4f, mean %.2f -> %.2f\n",
           name, p0, p1, 100 * (1 - p1 / p0), b0, b1, 100 * (1 - b1 / b0), corr,
           er, m0, m1);
    ck_assert_msg(b1 <= max_band_ratio * b0, "%s: band power %g -> %g", name,
                  b0, b1);
    ck_assert_msg(p1 <= max_power_ratio * p0, "%s: stripe power %g -> %g", name,
                  p0, p1);
    ck_assert_msg(corr >= 0.97, "%s: y-derivative correlation %g", name, corr);
    ck_assert_msg(er > 0.93 && er < 1.03, "%s: y-derivative energy ratio %g",
                  name, er);
    ck_assert_double_lt(fabs(m1 - m0), 0.5);
    fib_image_clear(&out);
}

START_TEST(test_nacre_wavelet_fft)
{
    load();
    /* tomopy defaults (db5, sigma 2) with 4 levels */
    fib_recon_destripe_params p = {.method = FIB_DESTRIPE_WAVELET_FFT};
    check(p, "wavelet-fft db5 L4 s2", 0.05, 0.15);
    /* napari-cryofibsem settings */
    fib_recon_destripe_params q = {.method = FIB_DESTRIPE_WAVELET_FFT,
                                   .wavelet = "coif3",
                                   .levels = 6,
                                   .sigma = 4};
    check(q, "wavelet-fft coif3 L6 s4", 0.01, 0.05);
    fib_image_clear(&orig);
}
END_TEST

START_TEST(test_nacre_wedge_and_robust)
{
    load();
    fib_recon_destripe_params w = {.method = FIB_DESTRIPE_WEDGE};
    check(w, "wedge 1 deg", 0.01, 0.15);
    /* the robust variant leaves the curtains that start at features and
     * run down part of the height (documented limit) */
    fib_recon_destripe_params r = {.method = FIB_DESTRIPE_WAVELET_MEDIAN};
    check(r, "wavelet-median", 0.2, 0.8);
    fib_image_clear(&orig);
}
END_TEST

int main(void)
{
    const char *skip = NULL;
    if (!fib_test_shared("nacre-fib-curtaining/nacreous_domain.tif", path,
                         sizeof path))
        skip = "nacre-fib-curtaining/nacreous_domain.tif absent";
    Suite *s = suite_create("correct_nacre");
    TCase *tc = tcase_create("nacre");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_nacre_wavelet_fft);
    tcase_add_test(tc, test_nacre_wedge_and_robust);
    suite_add_tcase(s, tc);
    return fib_test_run(s, skip);
}
