/*
 * test_nlm.c -- non-local means (FIB_DENOISE_NLM): the fast implementation
 * (half the offsets by symmetry, streamed patch sums, vector exp) against
 * a direct double-precision evaluation of the documented weights
 * (recon/CORRECTION.md: patch distance d^2 = mean squared difference over
 * the (2P+1)^2 patch, weight exp(-max(d^2 - 2 sd^2, 0) / h^2), reflected
 * edges, noise sd = 1.4826 median |I(x+1,y) - I(x,y)| / sqrt 2), its
 * exp against exp() in double, and bit-identical results for 1, 2 and 3
 * threads on images spanning several row blocks and column tiles.
 */
#include "fib_test.h"

#include "fib/correct.h"
#include "fib/image.h"

#include "../recon/src/correct/correct_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A section-like test image: background 100, discs of grey 40-200,
 * Gaussian noise of sd @p noise (fixed seeds). */
static void section(fib_image *im, size_t w, size_t h, double noise,
                    uint64_t seed)
{
    ck_assert_int_eq(fib_image_init(im, FIB_PX_F32, w, h, NULL), FIB_OK);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            *fib_test_px(im, x, y) = 100;
    fib_test_rng = seed;
    size_t nd = w * h / 400 + 1;
    for (size_t i = 0; i < nd; i++) {
        double cx = fib_test_urand() * (double)w,
               cy = fib_test_urand() * (double)h, r = 2 + 8 * fib_test_urand();
        float g = (float)(40 + 160 * fib_test_urand());
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++) {
                double dx = (double)x - cx, dy = (double)y - cy;
                if (dx * dx + dy * dy < r * r)
                    *fib_test_px(im, x, y) = g;
            }
    }
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            *fib_test_px(im, x, y) += (float)(noise * fib_test_nrand());
}

/* d c b a | a b c d, period 2n (as fib__reflect) */
static ptrdiff_t refl(ptrdiff_t i, ptrdiff_t n)
{
    if (n == 1)
        return 0;
    ptrdiff_t p = 2 * n;
    i %= p;
    if (i < 0)
        i += p;
    return i < n ? i : p - 1 - i;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The documented NLM in double precision, straight from the definition
 * (every offset of the (2S+1)^2 window, the centre's weight included). */
static void nlm_reference(const fib_image *in, unsigned P, unsigned S,
                          double *out)
{
    const ptrdiff_t w = (ptrdiff_t)in->width, h = (ptrdiff_t)in->height;
    /* noise sd: upper median (element c/2) of the float differences */
    size_t c = 0;
    float *d = malloc((size_t)(w * h) * sizeof(float));
    ck_assert_ptr_nonnull(d);
    for (ptrdiff_t y = 0; y < h; y++) {
        const float *r = fib_image_row(in, (size_t)y);
        for (ptrdiff_t x = 0; x + 1 < w; x++)
            d[c++] = fabsf(r[x + 1] - r[x]);
    }
    if (c == 0) { /* one column: no noise estimate, nothing averaged */
        free(d);
        for (ptrdiff_t i = 0; i < w * h; i++)
            out[i] = (double)((const float *)fib_image_row(
                in, (size_t)(i / w)))[i % w];
        return;
    }
    qsort(d, c, sizeof(float), cmp_float);
    double sd = 1.4826 * (double)d[c / 2] / sqrt(2.0);
    free(d);
    double hh = 0.8 * sd, np = (2.0 * P + 1) * (2.0 * P + 1);
#define PX(X, Y)                                                               \
    ((double)((const float *)fib_image_row(                                    \
        in, (size_t)refl((Y), h)))[refl((X), w)])
    const ptrdiff_t p = (ptrdiff_t)P, s = (ptrdiff_t)S;
    for (ptrdiff_t y = 0; y < h; y++)
        for (ptrdiff_t x = 0; x < w; x++) {
            double sw = 0, sv = 0;
            for (ptrdiff_t ey = -s; ey <= s; ey++)
                for (ptrdiff_t ex = -s; ex <= s; ex++) {
                    double ssd = 0;
                    for (ptrdiff_t ky = -p; ky <= p; ky++)
                        for (ptrdiff_t kx = -p; kx <= p; kx++) {
                            double t = PX(x + kx, y + ky) -
                                       PX(x + ex + kx, y + ey + ky);
                            ssd += t * t;
                        }
                    double d2 = ssd / np - 2 * sd * sd;
                    double wt = exp(-(d2 > 0 ? d2 : 0) / (hh * hh));
                    sw += wt;
                    sv += wt * PX(x + ex, y + ey);
                }
            out[y * w + x] = sv / sw;
        }
#undef PX
}

/* max |fast - reference| over the image */
static double nlm_max_err(size_t w, size_t h, unsigned P, unsigned S,
                          double noise, uint64_t seed)
{
    fib_image im;
    section(&im, w, h, noise, seed);
    double *ref = malloc(w * h * sizeof(double));
    ck_assert_ptr_nonnull(ref);
    nlm_reference(&im, P, S, ref);
    fib_recon_denoise_params p = {
        .method = FIB_DENOISE_NLM, .patch_radius = P, .search_radius = S};
    fib_image in;
    ck_assert_int_eq(fib_image_copy(&im, &in, NULL), FIB_OK);
    ck_assert_int_eq(fib_recon_denoise(&p, &im, NULL), FIB_OK);
    double e = 0, moved = 0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            double v = (double)*fib_test_px(&im, x, y);
            double a = fabs(v - ref[y * w + x]);
            e = a > e ? a : e;
            moved += fabs(v - (double)*fib_test_px(&in, x, y));
        }
    /* the filter did something (mean change of at least noise / 4) */
    ck_assert_double_gt(moved / (double)(w * h), noise / 4);
    printf("nlm %zux%zu P%u S%u: max |fast - double reference| %.3g\n", w, h, P,
           S, e);
    free(ref);
    fib_image_clear(&im);
    fib_image_clear(&in);
    return e;
}

START_TEST(test_nlm_matches_reference)
{
    /* several row blocks and column tiles (blocks of 64 rows, tiles of
     * 256 columns), the bench's 7 x 7 / 11 x 11 and other radii, and an
     * image smaller than the search window (reflection over and over) */
    ck_assert_double_lt(nlm_max_err(300, 150, 3, 5, 8, 11), 1e-3);
    ck_assert_double_lt(nlm_max_err(270, 80, 1, 4, 10, 12), 1e-3);
    ck_assert_double_lt(nlm_max_err(61, 70, 2, 10, 6, 13), 1e-3);
    ck_assert_double_lt(nlm_max_err(9, 7, 3, 5, 12, 14), 1e-3);
}
END_TEST

START_TEST(test_nlm_tiny_images)
{
    /* degenerate sizes (one row, one column, smaller than the patch and
     * the search window): the documented values (double reference) for
     * small radii; for the largest radii (16, 50) a weighted mean of
     * image values, so inside [min, max] of the input */
    static const size_t sz[][2] = {{1, 1}, {1, 50}, {50, 1},
                                   {2, 2}, {3, 3},  {17, 5}};
    static const unsigned rad[][2] = {{3, 10}, {1, 1}, {16, 50}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (size_t r = 0; r < 3; r++) {
            const size_t w = sz[s][0], h = sz[s][1];
            fib_image im;
            ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, w, h, NULL),
                             FIB_OK);
            fib_test_rng = 99 + s;
            float lo = 1e30f, hi = -1e30f;
            for (size_t y = 0; y < h; y++)
                for (size_t x = 0; x < w; x++) {
                    float v = (float)(100 + 20 * fib_test_nrand());
                    *fib_test_px(&im, x, y) = v;
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
            double *ref = malloc(w * h * sizeof(double));
            ck_assert_ptr_nonnull(ref);
            if (r < 2)
                nlm_reference(&im, rad[r][0], rad[r][1], ref);
            fib_recon_denoise_params p = {.method = FIB_DENOISE_NLM,
                                          .patch_radius = rad[r][0],
                                          .search_radius = rad[r][1]};
            ck_assert_int_eq(fib_recon_denoise(&p, &im, NULL), FIB_OK);
            for (size_t y = 0; y < h; y++)
                for (size_t x = 0; x < w; x++) {
                    float v = *fib_test_px(&im, x, y);
                    ck_assert(isfinite(v) && v >= lo && v <= hi);
                    if (r < 2)
                        ck_assert_msg(fabs((double)v - ref[y * w + x]) < 1e-3,
                                      "%zux%zu P%u S%u (%zu, %zu): %g vs %g", w,
                                      h, rad[r][0], rad[r][1], x, y, (double)v,
                                      ref[y * w + x]);
                }
            free(ref);
            fib_image_clear(&im);
        }
}
END_TEST

START_TEST(test_nlm_threads_bit_identical)
{
    fib_image a[3];
    for (int t = 0; t < 3; t++) {
        section(&a[t], 530, 200, 8, 21);
        fib_recon_denoise_params p = {.method = FIB_DENOISE_NLM,
                                      .patch_radius = 3,
                                      .search_radius = 5,
                                      .threads = (unsigned)(t + 1)};
        ck_assert_int_eq(fib_recon_denoise(&p, &a[t], NULL), FIB_OK);
    }
    for (size_t y = 0; y < 200; y++) {
        ck_assert_mem_eq(fib_image_row(&a[0], y), fib_image_row(&a[1], y),
                         530 * sizeof(float));
        ck_assert_mem_eq(fib_image_row(&a[0], y), fib_image_row(&a[2], y),
                         530 * sizeof(float));
    }
    for (int t = 0; t < 3; t++)
        fib_image_clear(&a[t]);
}
END_TEST

START_TEST(test_nlm_exp)
{
    /* weights exp(-max(ssd - 0, 0) * 1) for ssd in [-1, 90]: relative
     * error against exp() in double, the vector body and the scalar tail
     * bit-identical, negative distances weight 1, beyond 87 the floor
     * e^-87 */
    enum { N = 91001 };
    float *z = malloc(N * sizeof(float)), *wv = malloc(N * sizeof(float)),
          *ws = malloc(N * sizeof(float));
    ck_assert(z && wv && ws);
    for (size_t i = 0; i < N; i++)
        z[i] = (float)(-1.0 + 91.0 * (double)i / (N - 1));
    const float *rows[1] = {z};
    fib__vnlm_weight(wv, rows, 1, 1.0f, 0.0f, 1.0f, N);
    double emax = 0;
    for (size_t i = 0; i < N; i++) {
        const float *r1[1] = {z + i};
        fib__vnlm_weight(ws + i, r1, 1, 1.0f, 0.0f, 1.0f, 1);
        ck_assert_mem_eq(&ws[i], &wv[i], sizeof(float));
        if (z[i] <= 0) {
            ck_assert(wv[i] == 1.0f);
        } else if (z[i] <= 87) {
            double e = exp(-(double)z[i]);
            double r = fabs((double)wv[i] - e) / e;
            emax = r > emax ? r : emax;
        } else {
            ck_assert((double)wv[i] <= exp(-87.0) * (1 + 3e-7));
            ck_assert(wv[i] > 0);
        }
    }
    printf("nlm exp: max relative error on [0, 87] %.3g\n", emax);
    ck_assert_double_lt(emax, 3e-7);
    free(z);
    free(wv);
    free(ws);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nlm");
    TCase *tc = tcase_create("nlm");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_nlm_exp);
    tcase_add_test(tc, test_nlm_threads_bit_identical);
    tcase_add_test(tc, test_nlm_tiny_images);
    tcase_add_test(tc, test_nlm_matches_reference);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
