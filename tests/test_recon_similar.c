/* test_recon_similar.c -- per-slice similarity after alignment (issue 16,
 * item 3; recon_similar.c): identical slices give NCC 1 and NMI 2 for
 * every pair; a series with independent noise on each slice and one slice
 * out of focus (a 9 x 9 box blur, as lost focus or charging smears it)
 * flags exactly that slice, and none without it; the first slice has no
 * previous (NaN). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/recon.h"
#include "fib_test.h"

enum { W = 96, H = 80, NZ = 16, BAD = 7 };

typedef struct series {
    float tex[W * H];
    float texb[W * H]; /* Gaussian-blurred texture (gauss) */
    double noise;      /* sd of the independent per-slice noise */
    int blur;          /* slice to blur, or -1 */
    bool gauss;        /* blur = texb, else a 9 x 9 box */
} series;

static float at(const float *t, int x, int y)
{
    x = x < 0 ? 0 : x >= W ? W - 1 : x;
    y = y < 0 ? 0 : y >= H ? H - 1 : y;
    return t[y * W + x];
}

static fib_status read_s(void *user, size_t i, fib_image *out, fib_error *err)
{
    (void)err;
    const series *s = user;
    fib_test_rng = 1000 + i;
    for (int y = 0; y < H; y++) {
        float *row = fib_image_row(out, (size_t)y);
        for (int x = 0; x < W; x++) {
            double v = (double)s->tex[y * W + x];
            if ((int)i == s->blur && s->gauss) {
                v = (double)s->texb[y * W + x];
            } else if ((int)i == s->blur) {
                double b = 0;
                for (int dy = -4; dy <= 4; dy++)
                    for (int dx = -4; dx <= 4; dx++)
                        b += (double)at(s->tex, x + dx, y + dy);
                v = b / 81.0;
            }
            row[x] = (float)(v + s->noise * fib_test_nrand());
        }
    }
    return FIB_OK;
}

static void make(series *s, double noise, int blur)
{
    fib_test_rng = 5;
    for (size_t k = 0; k < W * H; k++)
        s->tex[k] = (float)(100.0 + 100.0 * fib_test_urand());
    s->noise = noise;
    s->blur = blur;
    s->gauss = false;
}

/* tex <- tex blurred by a Gaussian of @p sigma px (clamped borders). */
static void gauss_blur(const float *in, float *out, double sigma)
{
    const int rad = (int)ceil(4 * sigma);
    double k[64], ks = 0;
    for (int i = -rad; i <= rad; i++)
        ks += k[i + rad] = exp(-0.5 * i * i / (sigma * sigma));
    float tmp[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double a = 0;
            for (int d = -rad; d <= rad; d++)
                a += k[d + rad] * (double)at(in, x + d, y);
            tmp[y * W + x] = (float)(a / ks);
        }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double a = 0;
            for (int d = -rad; d <= rad; d++)
                a += k[d + rad] * (double)at(tmp, x, y + d);
            out[y * W + x] = (float)(a / ks);
        }
}

static fib_status sink_none(void *user, size_t z, const fib_image *im,
                            fib_error *err)
{
    (void)user;
    (void)z;
    (void)im;
    (void)err;
    return FIB_OK;
}

static fib_recon *run(series *s)
{
    fib_recon_source src = {0};
    src.n_slices = NZ;
    src.width = W;
    src.height = H;
    src.type = FIB_PX_F32;
    src.pixel_size_nm[0] = src.pixel_size_nm[1] = 5.0;
    src.read = read_s;
    src.user = s;
    fib_recon_params p = {0};
    p.slice_nm = 10;
    p.float_out = true;
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_recon_create(&p, &src, &r, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s", err.msg);
    fib_recon_sink sink = {NULL, sink_none, NULL, 0};
    ck_assert_msg(fib_recon_write(r, NULL, &sink, NULL, &err) == FIB_OK, "%s",
                  err.msg);
    return r;
}

START_TEST(test_identical)
{
    series s;
    make(&s, 0.0, -1);
    fib_recon *r = run(&s);
    ck_assert(isnan(fib_recon_get_slice(r, 0).ncc_prev));
    for (size_t i = 1; i < NZ; i++) {
        const fib_recon_slice_info in = fib_recon_get_slice(r, i);
        ck_assert_double_eq_tol(in.ncc_prev, 1.0, 1e-9);
        ck_assert_double_eq_tol(in.nmi_prev, 2.0, 1e-9);
        ck_assert(!in.flagged);
    }
    ck_assert_uint_eq(fib_recon_get_qc(r).n_flagged, 0);
    fib_recon_destroy(r);
}
END_TEST

START_TEST(test_blurred_slice_flagged)
{
    series s;
    make(&s, 8.0, BAD);
    fib_recon *r = run(&s);
    for (size_t i = 0; i < NZ; i++) {
        const fib_recon_slice_info in = fib_recon_get_slice(r, i);
        ck_assert_msg(in.flagged == (i == BAD), "slice %zu flagged %d (ncc %g)",
                      i, in.flagged, in.ncc_prev);
    }
    const fib_recon_slice_info b = fib_recon_get_slice(r, BAD);
    const fib_recon_slice_info ok = fib_recon_get_slice(r, BAD + 3);
    ck_assert(b.ncc_prev < fib_recon_get_qc(r).ncc_cut);
    ck_assert(ok.ncc_prev > 0.9 && ok.nmi_prev > b.nmi_prev);
    ck_assert_uint_eq(fib_recon_get_qc(r).n_flagged, 1);
    fib_recon_destroy(r);
    /* the same noise without the blurred slice: nothing flagged */
    make(&s, 8.0, -1);
    r = run(&s);
    ck_assert_uint_eq(fib_recon_get_qc(r).n_flagged, 0);
    fib_recon_destroy(r);
}
END_TEST

/* A white Gaussian field of variance S0 blurred by a sampled Gaussian of
 * sigma px, plus white noise of variance N0, on n x n pixels. */
static void blurred_field(fib_image *im, size_t n, double sigma, double s0,
                          double n0, uint64_t seed)
{
    ck_assert_int_eq(fib_image_init(im, FIB_PX_F32, n, n, NULL), FIB_OK);
    double *f = malloc(n * n * sizeof *f), *g = malloc(n * n * sizeof *g);
    const int rad = (int)ceil(5 * sigma);
    double *k = malloc((size_t)(2 * rad + 1) * sizeof *k), ks = 0;
    for (int i = -rad; i <= rad; i++)
        ks += k[i + rad] = exp(-0.5 * i * i / (sigma * sigma));
    for (int i = 0; i <= 2 * rad; i++)
        k[i] /= ks;
    fib_test_rng = seed;
    for (size_t i = 0; i < n * n; i++)
        f[i] = sqrt(s0) * fib_test_nrand();
    /* periodic separable blur: no border in the field */
    for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++) {
            double a = 0;
            for (int d = -rad; d <= rad; d++)
                a += k[d + rad] *
                     f[y * n + (x + n + (size_t)(d + rad) - (size_t)rad) % n];
            g[y * n + x] = a;
        }
    for (size_t y = 0; y < n; y++) {
        float *row = fib_image_row(im, y);
        for (size_t x = 0; x < n; x++) {
            double a = 0;
            for (int d = -rad; d <= rad; d++)
                a += k[d + rad] *
                     g[((y + n + (size_t)(d + rad) - (size_t)rad) % n) * n + x];
            row[x] = (float)(a + sqrt(n0) * fib_test_nrand());
        }
    }
    free(f);
    free(g);
    free(k);
}

/* Single-image FRC against the closed form: signal power S0 exp(-4 pi^2
 * sigma^2 k^2) over white noise N0 reaches SNR 1/6 at k = sqrt(ln(6 S0 /
 * N0)) / (2 pi sigma) cycles per pixel; the resolution is 1 / k.  Within
 * 10 %: the scatter of the ring estimate at the crossing (measured over
 * seeds: 14.0-16.1 px for 14.9 px at sigma 6; 0.3-3 % at the other
 * cases). */
START_TEST(test_frc_closed_form)
{
    const double cases[][2] = {
        {3.0, 100.0}, {4.0, 10.0}, {2.5, 1000.0}, {6.0, 100.0}};
    for (size_t c = 0; c < 4; c++) {
        const double sigma = cases[c][0], snr = cases[c][1];
        fib_image im;
        blurred_field(&im, 512, sigma, snr, 1.0, 11 + c);
        double res = 0;
        fib_error err = {0};
        ck_assert_msg(fib_recon_frc(&im, NULL, &res, &err) == FIB_OK, "%s",
                      err.msg);
        const double k =
            sqrt(log(6.0 * snr)) / (2.0 * 3.14159265358979 * sigma);
        ck_assert_msg(fabs(res * k - 1.0) < 0.10,
                      "sigma %g SNR %g: FRC %g px, closed form %g px", sigma,
                      snr, res, 1.0 / k);
        fib_image_clear(&im);
    }
    /* bad regions */
    fib_image im;
    ck_assert_int_eq(fib_image_init(&im, FIB_PX_F32, 100, 100, NULL), FIB_OK);
    double res;
    fib_recon_rect small = {0, 0, 60, 100}, out = {50, 0, 60, 100};
    ck_assert_int_eq(fib_recon_frc(&im, &small, &res, NULL), FIB_EINVAL);
    ck_assert_int_eq(fib_recon_frc(&im, &out, &res, NULL), FIB_EINVAL);
    fib_image_clear(&im);
}
END_TEST

/* Lost focus as a Gaussian blur: a texture with detail down to about 2
 * px (white noise blurred by sigma 0.7), one slice blurred further by
 * sigma 2.5: its FRC resolution is above the cut and it is flagged; the
 * others are not, and without the blurred slice nothing is. */
START_TEST(test_frc_flags_blur)
{
    series s;
    make(&s, 2.0, -1);
    float raw[W * H];
    memcpy(raw, s.tex, sizeof raw);
    gauss_blur(raw, s.tex, 0.7);
    fib_recon *r = run(&s);
    const double sharp = fib_recon_get_slice(r, 3).frc_px;
    ck_assert_msg(isfinite(sharp), "frc %g", sharp);
    ck_assert(isfinite(fib_recon_get_qc(r).frc_cut));
    ck_assert_uint_eq(fib_recon_get_qc(r).n_flagged, 0);
    fib_recon_destroy(r);
    gauss_blur(s.tex, s.texb, 2.5);
    s.blur = BAD;
    s.gauss = true;
    r = run(&s);
    const fib_recon_slice_info b = fib_recon_get_slice(r, BAD);
    ck_assert_msg(b.frc_px > fib_recon_get_qc(r).frc_cut,
                  "blurred frc %g vs cut %g (sharp %g)", b.frc_px,
                  fib_recon_get_qc(r).frc_cut, sharp);
    for (size_t i = 0; i < NZ; i++)
        ck_assert_msg(fib_recon_get_slice(r, i).flagged == (i == BAD),
                      "slice %zu flagged %d (frc %g)", i,
                      fib_recon_get_slice(r, i).flagged,
                      fib_recon_get_slice(r, i).frc_px);
    fib_recon_destroy(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recon_similar");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_identical);
    tcase_add_test(tc, test_blurred_slice_flagged);
    tcase_add_test(tc, test_frc_closed_form);
    tcase_add_test(tc, test_frc_flags_blur);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
