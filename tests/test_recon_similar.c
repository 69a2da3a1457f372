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
    double noise; /* sd of the independent per-slice noise */
    int blur;     /* slice to blur, or -1 */
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
            if ((int)i == s->blur) {
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
    fib_recon_sink sink = {NULL, sink_none, NULL};
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

int main(void)
{
    Suite *s = suite_create("recon_similar");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_identical);
    tcase_add_test(tc, test_blurred_slice_flagged);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
