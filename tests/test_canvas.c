/* test_canvas.c -- raster canvas primitives, text, scale bars, colormaps,
 * charts and the PNG writer (read back with libpng). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/canvas.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "fib_test.h"

#define BG ((fib_rgb)0x123456u)
#define INK ((fib_rgb)0xF0E0D0u)

static fib_canvas *make(int w, int h, fib_rgb bg)
{
    fib_canvas *c = NULL;
    fib_error err = {0};
    ck_assert_int_eq(fib_canvas_create((size_t)w, (size_t)h, bg, &c, &err),
                     FIB_OK);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* Pixels of colour @p col inside [x0, x1) x [y0, y1). */
static long count_in(const fib_canvas *c, fib_rgb col, int x0, int y0, int x1,
                     int y1)
{
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += fib_canvas_get(c, x, y) == col;
    return n;
}

static long count(const fib_canvas *c, fib_rgb col)
{
    return count_in(c, col, 0, 0, (int)fib_canvas_width(c),
                    (int)fib_canvas_height(c));
}

START_TEST(create_rejects_bad_sizes)
{
    fib_canvas *c = (fib_canvas *)1;
    fib_error err = {0};
    ck_assert_int_eq(fib_canvas_create(0, 5, 0, &c, &err), FIB_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(err.msg, "0x5"));
    fib_error_clear(&err);
    ck_assert_int_eq(fib_canvas_create(40000, 5, 0, &c, &err), FIB_EINVAL);
    c = make(7, 3, BG);
    ck_assert_uint_eq(fib_canvas_width(c), 7);
    ck_assert_uint_eq(fib_canvas_height(c), 3);
    ck_assert_int_eq(count(c, BG), 21);
    const uint8_t *px = fib_canvas_pixels_const(c);
    ck_assert_int_eq(px[0], 0x12);
    ck_assert_int_eq(px[1], 0x34);
    ck_assert_int_eq(px[2], 0x56);
    fib_canvas_set(c, 6, 2, INK);
    ck_assert_int_eq(fib_canvas_pixels(c)[(2 * 7 + 6) * 3], 0xF0);
    fib_canvas_set(c, -1, 0, INK); /* clipped, no crash */
    fib_canvas_set(c, 7, 0, INK);
    ck_assert_int_eq(count(c, INK), 1);
    ck_assert_uint_eq(fib_canvas_get(c, 99, 99), 0);
    fib_canvas_destroy(c);
    fib_canvas_destroy(NULL);
}
END_TEST

START_TEST(bresenham_lines)
{
    fib_canvas *c = make(40, 30, BG);
    /* Shallow line: one pixel per column, both endpoints included. */
    fib_canvas_line(c, 2, 3, 17, 9, INK);
    ck_assert_uint_eq(fib_canvas_get(c, 2, 3), INK);
    ck_assert_uint_eq(fib_canvas_get(c, 17, 9), INK);
    ck_assert_int_eq(count(c, INK), 16);
    for (int x = 2; x <= 17; x++)
        ck_assert_int_eq(count_in(c, INK, x, 0, x + 1, 30), 1);
    /* Steep line drawn backwards: one pixel per row. */
    fib_canvas_clear(c, BG);
    fib_canvas_line(c, 20, 25, 15, 4, INK);
    ck_assert_uint_eq(fib_canvas_get(c, 20, 25), INK);
    ck_assert_uint_eq(fib_canvas_get(c, 15, 4), INK);
    ck_assert_int_eq(count(c, INK), 22);
    for (int y = 4; y <= 25; y++)
        ck_assert_int_eq(count_in(c, INK, 0, y, 40, y + 1), 1);
    /* A line leaving the canvas is clipped. */
    fib_canvas_clear(c, BG);
    fib_canvas_line(c, -10, 5, 50, 5, INK);
    ck_assert_int_eq(count(c, INK), 40);
    /* Dashes: 3 on, 2 off over 20 pixels = 12 drawn. */
    fib_canvas_clear(c, BG);
    fib_canvas_dashed_line(c, 0, 0, 19, 0, 3, 2, INK);
    ck_assert_int_eq(count(c, INK), 12);
    ck_assert_uint_eq(fib_canvas_get(c, 3, 0), BG);
    ck_assert_uint_eq(fib_canvas_get(c, 5, 0), INK);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(antialiased_and_thick_lines)
{
    fib_canvas *c = make(40, 30, FIB_RGB_BLACK);
    /* Along the centres of row 5: full colour inside, nothing above or
     * below, half coverage at the endpoint pixel centres. */
    fib_canvas_line_aa(c, 2.5, 5.5, 12.5, 5.5, FIB_RGB_WHITE);
    for (int x = 3; x <= 11; x++)
        ck_assert_uint_eq(fib_canvas_get(c, x, 5), FIB_RGB_WHITE);
    ck_assert_uint_eq(fib_canvas_get(c, 2, 5), 0x808080u);
    ck_assert_uint_eq(fib_canvas_get(c, 12, 5), 0x808080u);
    ck_assert_int_eq(count_in(c, FIB_RGB_BLACK, 0, 4, 40, 5), 40);
    ck_assert_int_eq(count_in(c, FIB_RGB_BLACK, 0, 6, 40, 7), 40);
    /* Halfway between rows 10 and 11: two rows at half intensity. */
    fib_canvas_clear(c, FIB_RGB_BLACK);
    fib_canvas_line_aa(c, 5.5, 11.0, 20.5, 11.0, FIB_RGB_WHITE);
    for (int x = 6; x <= 19; x++) {
        ck_assert_uint_eq(fib_canvas_get(c, x, 10), 0x808080u);
        ck_assert_uint_eq(fib_canvas_get(c, x, 11), 0x808080u);
    }
    /* Thick horizontal line: exactly the rectangle it covers. */
    fib_canvas_clear(c, BG);
    fib_canvas_thick_line(c, 10.0, 20.0, 30.0, 20.0, 4.0, INK);
    ck_assert_int_eq(count(c, INK), 80);
    ck_assert_int_eq(count_in(c, INK, 10, 18, 30, 22), 80);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(rectangles_and_clip)
{
    fib_canvas *c = make(50, 40, BG);
    const fib_canvas_rect r = {5, 6, 10, 7};
    fib_canvas_fill_rect(c, r, INK);
    ck_assert_int_eq(count(c, INK), 70);
    ck_assert_int_eq(count_in(c, INK, 5, 6, 15, 13), 70);
    fib_canvas_clear(c, BG);
    fib_canvas_rect_outline(c, r, INK);
    ck_assert_int_eq(count(c, INK), 2 * (10 + 7) - 4);
    ck_assert_uint_eq(fib_canvas_get(c, 14, 12), INK);
    ck_assert_uint_eq(fib_canvas_get(c, 6, 7), BG);
    /* Partly outside the canvas. */
    fib_canvas_clear(c, BG);
    const fib_canvas_rect out = {-3, 35, 10, 10};
    fib_canvas_fill_rect(c, out, INK);
    ck_assert_int_eq(count(c, INK), 7 * 5);
    /* Clip rectangle. */
    fib_canvas_clear(c, BG);
    const fib_canvas_rect clip = {10, 10, 4, 3};
    fib_canvas_set_clip(c, clip);
    const fib_canvas_rect all = {0, 0, 50, 40};
    fib_canvas_fill_rect(c, all, INK);
    fib_canvas_line(c, 0, 0, 49, 39, INK);
    fib_canvas_text(c, 0, 0, "WWWWWW", 4, INK);
    ck_assert_int_eq(count(c, INK), 12);
    const fib_canvas_rect got = fib_canvas_get_clip(c);
    ck_assert_int_eq(got.w, 4);
    fib_canvas_reset_clip(c);
    fib_canvas_fill_rect(c, all, INK);
    ck_assert_int_eq(count(c, INK), 2000);
    /* Alpha blending rounds to nearest. */
    fib_canvas_clear(c, FIB_RGB_BLACK);
    fib_canvas_fill_rect_alpha(c, r, 0xFF8000u, 0.25);
    ck_assert_uint_eq(fib_canvas_get(c, 5, 6), FIB_RGB(64, 32, 0));
    ck_assert_uint_eq(fib_rgb_mix(0xFFFFFFu, 0x000000u, 0.5), 0x808080u);
    fib_canvas_destroy(c);
}
END_TEST

static double shoelace(const double *xy, size_t n)
{
    double a = 0.0;
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        a += xy[2 * j] * xy[2 * i + 1] - xy[2 * i] * xy[2 * j + 1];
    return fabs(0.5 * a);
}

/* Summed red channel / 255 of a white-on-black drawing. */
static double coverage(const fib_canvas *c)
{
    const uint8_t *p = fib_canvas_pixels_const(c);
    const size_t n = fib_canvas_width(c) * fib_canvas_height(c);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += p[3 * i];
    return sum / 255.0;
}

START_TEST(polygon_area_matches_analytic)
{
    fib_canvas *c = make(120, 100, BG);
    /* Trench trapezoid (wide at the top, as seen in a rotated view). */
    const double trap[] = {0.0, 10.0, 60.0, 10.0, 50.0, 40.0, 10.0, 40.0};
    fib_canvas_fill_polygon(c, trap, 4, INK, 1.0);
    ck_assert_double_eq_tol((double)count(c, INK), shoelace(trap, 4), 1.0);
    /* Stair-step trench (non-convex, 8 vertices). */
    fib_canvas_clear(c, BG);
    const double stair[] = {10, 10, 100, 10, 100, 30, 80, 30,
                            80, 50, 60,  50, 60,  70, 10, 70};
    fib_canvas_fill_polygon(c, stair, 8, INK, 1.0);
    ck_assert_double_eq_tol((double)count(c, INK), shoelace(stair, 8), 1.0);
    /* Fractional vertices of a skewed quadrilateral. */
    fib_canvas_clear(c, BG);
    const double skew[] = {10.3, 5.2, 70.7, 12.9, 90.1, 80.6, 20.4, 60.5};
    fib_canvas_fill_polygon(c, skew, 4, INK, 1.0);
    const double a = shoelace(skew, 4);
    /* Centre sampling: error bounded by a fraction of the perimeter. */
    ck_assert_double_eq_tol((double)count(c, INK), a, 0.01 * a);
    /* Rotated squares (42 px half-diagonal): centre sampling is biased on
     * edges of slope +-1 with unlucky offsets; it stays within 1.5%. */
    for (int k = 0; k < 24; k++) {
        const double t = 0.0654 * k, h = 1.5707963267948966;
        double q[8];
        for (int i = 0; i < 4; i++) {
            q[2 * i] = 60.3 + 42.0 * cos(t + i * h);
            q[2 * i + 1] = 49.7 + 42.0 * sin(t + i * h);
        }
        fib_canvas_clear(c, BG);
        fib_canvas_fill_polygon(c, q, 4, INK, 1.0);
        ck_assert_double_eq_tol((double)count(c, INK), shoelace(q, 4),
                                0.015 * shoelace(q, 4));
        /* Coverage antialiasing: summed coverage within 1 px. */
        fib_canvas_clear(c, FIB_RGB_BLACK);
        fib_canvas_fill_polygon_aa(c, q, 4, FIB_RGB_WHITE, 1.0);
        ck_assert_double_eq_tol(coverage(c), shoelace(q, 4), 1.0);
    }
    fib_canvas_clear(c, FIB_RGB_BLACK);
    fib_canvas_fill_polygon_aa(c, skew, 4, FIB_RGB_WHITE, 1.0);
    ck_assert_double_eq_tol(coverage(c), a, 1.0);
    fib_canvas_clear(c, FIB_RGB_BLACK);
    fib_canvas_fill_polygon_aa(c, trap, 4, FIB_RGB_WHITE, 1.0);
    ck_assert_double_eq_tol(coverage(c), 1500.0, 0.5);
    /* Horizontal edges on pixel boundaries stay sharp. */
    ck_assert_int_eq(count_in(c, FIB_RGB_BLACK, 0, 0, 120, 10), 1200);
    ck_assert_int_eq(count_in(c, FIB_RGB_BLACK, 0, 40, 120, 100), 7200);
    ck_assert_int_eq(count_in(c, FIB_RGB_WHITE, 10, 10, 50, 40), 1200);
    /* Two triangles sharing the diagonal of a square: no pixel twice. */
    fib_canvas_clear(c, FIB_RGB_BLACK);
    const double t1[] = {20.0, 20.0, 60.0, 20.0, 60.0, 60.0};
    const double t2[] = {20.0, 20.0, 60.0, 60.0, 20.0, 60.0};
    fib_canvas_fill_polygon(c, t1, 3, FIB_RGB_WHITE, 0.5);
    fib_canvas_fill_polygon(c, t2, 3, FIB_RGB_WHITE, 0.5);
    ck_assert_int_eq(count(c, 0x808080u), 1600);
    /* Degenerate input draws nothing. */
    fib_canvas_clear(c, BG);
    const double bad[] = {0.0, 0.0, NAN, 5.0, 9.0, 9.0};
    fib_canvas_fill_polygon(c, bad, 3, INK, 1.0);
    fib_canvas_fill_polygon(c, trap, 2, INK, 1.0);
    ck_assert_int_eq(count(c, INK), 0);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(circles)
{
    fib_canvas *c = make(60, 60, BG);
    fib_canvas_circle(c, 30, 30, 10, INK);
    ck_assert_uint_eq(fib_canvas_get(c, 40, 30), INK);
    ck_assert_uint_eq(fib_canvas_get(c, 30, 20), INK);
    ck_assert_uint_eq(fib_canvas_get(c, 20, 30), INK);
    for (int y = 0; y < 60; y++)
        for (int x = 0; x < 60; x++)
            if (fib_canvas_get(c, x, y) == INK)
                ck_assert(fabs(hypot(x - 30, y - 30) - 10.0) < 1.0);
    fib_canvas_clear(c, BG);
    fib_canvas_fill_circle(c, 30.0, 30.0, 10.0, INK, 1.0);
    const double a = 3.14159265358979 * 100.0;
    ck_assert_double_eq_tol((double)count(c, INK), a, 0.05 * a);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(arrows_and_outlines)
{
    fib_canvas *c = make(80, 60, BG);
    /* Horizontal arrow: tip pixel coloured, head wider than the shaft,
     * nothing beyond the tip. */
    fib_canvas_arrow(c, 10.0, 30.5, 70.0, 30.5, 3.0, 12.0, INK);
    ck_assert_uint_eq(fib_canvas_get(c, 69, 30), INK);
    ck_assert_int_eq(count_in(c, INK, 70, 0, 80, 60), 0);
    ck_assert_int_eq(count_in(c, INK, 10, 0, 11, 60), 3);
    ck_assert_int_gt(count_in(c, INK, 60, 0, 61, 60), 5);
    /* Triangle head area ~ 0.5 * 12 * 10.8 plus the 3 px shaft. */
    ck_assert_double_eq_tol((double)count(c, INK), 48.0 * 3.0 + 64.8, 8.0);
    /* Polygon outline passes through the vertices. */
    fib_canvas_clear(c, BG);
    const double sq[8] = {5.0, 5.0, 25.0, 5.0, 25.0, 25.0, 5.0, 25.0};
    fib_canvas_polygon_outline(c, sq, 4, INK, false);
    ck_assert_int_eq(count(c, INK), 80);
    ck_assert_uint_eq(fib_canvas_get(c, 25, 25), INK);
    /* Label outlines: only boundary pixels of a 6x6 block are coloured. */
    fib_image lab;
    fib_error err = {0};
    ck_assert_int_eq(fib_image_init(&lab, FIB_PX_U32, 10, 10, &err), FIB_OK);
    for (size_t y = 2; y < 8; y++)
        for (size_t x = 2; x < 8; x++)
            fib_image_set(&lab, x, y, 1);
    fib_canvas_clear(c, BG);
    const fib_canvas_rect dst = {0, 0, 10, 10};
    const fib_canvas_label_params lp = {.alpha = 1.0, .outline_only = true};
    ck_assert_int_eq(fib_canvas_draw_labels(c, &lab, dst, &lp, &err), FIB_OK);
    ck_assert_int_eq(count(c, fib_palette_color(0)), 20);
    ck_assert_uint_eq(fib_canvas_get(c, 4, 4), BG);
    fib_image_clear(&lab);
    /* Text box: box pixels around the text. */
    fib_canvas_clear(c, BG);
    const fib_canvas_rect b =
        fib_canvas_text_box(c, 3, 4, "ab", 1, INK, 0x000000u, 1.0, 2);
    ck_assert_int_eq(b.w, 20);
    ck_assert_int_eq(b.h, 12);
    ck_assert_int_eq(count_in(c, BG, 3, 4, 23, 16), 0);
    ck_assert_int_gt(count(c, INK), 10);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(text_stays_in_its_box)
{
    ck_assert_int_eq(fib_text_width("Hg 42", 2), 5 * 16);
    ck_assert_int_eq(fib_text_height("Hg 42", 2), 16);
    ck_assert_int_eq(fib_text_width("ab\nabcd", 1), 32);
    ck_assert_int_eq(fib_text_height("ab\nabcd", 1), 16);
    ck_assert_int_eq(fib_text_width("", 1), 0);
    ck_assert_int_eq(fib_text_width("x", 9), 32); /* scale clamped to 4 */
    fib_canvas *c = make(120, 60, BG);
    const int w = fib_canvas_text(c, 7, 9, "Hg 42", 2, INK);
    ck_assert_int_eq(w, 80);
    const long in = count_in(c, INK, 7, 9, 7 + 80, 9 + 16);
    ck_assert_int_gt(in, 100);
    ck_assert_int_eq(count(c, INK), in);
    /* 'H' of the 8x8 font: six rows 0x33 and one 0x3F -> 30 pixels. */
    fib_canvas_clear(c, BG);
    fib_canvas_text(c, 0, 0, "H", 1, INK);
    ck_assert_int_eq(count(c, INK), 30);
    ck_assert_uint_eq(fib_canvas_get(c, 0, 0), INK);
    ck_assert_uint_eq(fib_canvas_get(c, 2, 0), BG);
    ck_assert_int_eq(count_in(c, INK, 0, 7, 8, 8), 0);
    /* Scale 3 multiplies the pixel count by 9. */
    fib_canvas_clear(c, BG);
    fib_canvas_text(c, 0, 0, "H", 3, INK);
    ck_assert_int_eq(count(c, INK), 270);
    /* Non-printable bytes draw as '?'. */
    fib_canvas_clear(c, BG);
    fib_canvas_text(c, 0, 0, "\x01", 1, INK);
    const long q = count(c, INK);
    fib_canvas_clear(c, BG);
    fib_canvas_text(c, 0, 0, "?", 1, INK);
    ck_assert_int_eq(count(c, INK), q);
    /* Vertical text: same pixel count, in an 8 x width box around the
     * centre. */
    fib_canvas_clear(c, BG);
    fib_canvas_text_vertical(c, 60, 30, "Hg", 1, INK);
    fib_canvas_text(c, 0, 0, "Hg", 1, 0x010101u);
    ck_assert_int_eq(count_in(c, INK, 56, 22, 64, 38), count(c, 0x010101u));
    ck_assert_int_eq(count(c, INK), count(c, 0x010101u));
    /* Centred text is centred. */
    fib_canvas_clear(c, BG);
    fib_canvas_text_aligned(c, 60, 30, "IIII", 1, INK, FIB_ALIGN_CENTER,
                            FIB_ALIGN_CENTER);
    ck_assert_int_eq(count_in(c, INK, 44, 26, 76, 34), count(c, INK));
    ck_assert_int_gt(count(c, INK), 0);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(scale_bar_picks_round_lengths)
{
    ck_assert_double_eq(fib_scale_bar_pick_nm(10000.0, 0.2), 2000.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(3000.0, 0.2), 500.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(1000.0, 0.2), 200.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(5000.0, 0.2), 1000.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(70000.0, 0.2), 10000.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(250000.0, 0.2), 50000.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(123.0, 0.25), 20.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(0.0, 0.2), 0.0);
    ck_assert_double_eq(fib_scale_bar_pick_nm(NAN, 0.2), 0.0);
    char b[32];
    fib_format_length_nm(2000.0, b, sizeof b);
    ck_assert_str_eq(b, "2 um");
    fib_format_length_nm(500.0, b, sizeof b);
    ck_assert_str_eq(b, "500 nm");
    fib_format_length_nm(1e6, b, sizeof b);
    ck_assert_str_eq(b, "1 mm");
    fib_format_length_nm(0.5, b, sizeof b);
    ck_assert_str_eq(b, "0.5 nm");
    /* Drawn bar: 2 um over a 400 px image 10 um wide = 80 px. */
    fib_canvas *c = make(400, 300, 0x404040u);
    const fib_canvas_rect img = {0, 0, 400, 300};
    fib_scale_bar_params p = {.width_nm = 10000.0};
    double len = 0.0;
    int px = 0;
    fib_error err = {0};
    ck_assert_int_eq(fib_canvas_scale_bar(c, img, &p, &len, &px, &err), FIB_OK);
    ck_assert_double_eq(len, 2000.0);
    ck_assert_int_eq(px, 80);
    int best = 0;
    for (int y = 0; y < 300; y++) {
        int run = 0;
        for (int x = 0; x < 400; x++) {
            run = fib_canvas_get(c, x, y) == FIB_RGB_WHITE ? run + 1 : 0;
            best = run > best ? run : best;
        }
    }
    ck_assert_int_eq(best, 80);
    /* Everything drawn lies in the bottom-right quarter. */
    ck_assert_int_eq(count_in(c, 0x404040u, 0, 0, 400, 150), 400 * 150);
    ck_assert_int_eq(count_in(c, 0x404040u, 0, 0, 200, 300), 200 * 300);
    p.width_nm = 0.0;
    ck_assert_int_eq(fib_canvas_scale_bar(c, img, &p, NULL, NULL, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "width_nm"));
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(nice_ticks)
{
    double lo = 0.0, hi = 0.0, t[16];
    double step = fib_plot_nice_range(0.0, 97.3, 5, &lo, &hi);
    ck_assert_double_eq(step, 20.0);
    ck_assert_double_eq(lo, 0.0);
    ck_assert_double_eq(hi, 100.0);
    size_t n = fib_plot_ticks(lo, hi, step, t, 16);
    ck_assert_uint_eq(n, 6);
    ck_assert_double_eq(t[5], 100.0);
    step = fib_plot_nice_range(-0.37, 0.81, 6, &lo, &hi);
    ck_assert_double_eq_tol(step, 0.5, 1e-15);
    ck_assert_double_eq_tol(lo, -0.5, 1e-15);
    ck_assert_double_eq_tol(hi, 1.0, 1e-15);
    n = fib_plot_ticks(lo, hi, step, t, 16);
    ck_assert_uint_eq(n, 4);
    ck_assert_double_eq(t[1], 0.0);
    step = fib_plot_nice_range(1013.0, 1187.0, 5, &lo, &hi);
    ck_assert_double_eq(step, 50.0);
    ck_assert_double_eq(lo, 1000.0);
    ck_assert_double_eq(hi, 1200.0);
    /* Heckbert's nice numbers. */
    ck_assert_double_eq(fib_plot_nice_number(97.3, false), 100.0);
    ck_assert_double_eq(fib_plot_nice_number(1.4, true), 1.0);
    ck_assert_double_eq(fib_plot_nice_number(2.9, true), 2.0);
    ck_assert_double_eq(fib_plot_nice_number(0.06, true), 0.05);
    ck_assert_double_eq(fib_plot_nice_number(0.0, true), 0.0);
    /* Fixed ranges: only the multiples inside. */
    n = fib_plot_ticks(0.3, 2.7, 0.5, t, 16);
    ck_assert_uint_eq(n, 5);
    ck_assert_double_eq(t[0], 0.5);
    ck_assert_double_eq(t[4], 2.5);
    ck_assert_uint_eq(fib_plot_ticks(0.0, 1.0, 0.0, t, 16), 0);
    char b[32];
    fib_plot_format_tick(20.0, 20.0, b, sizeof b);
    ck_assert_str_eq(b, "20");
    fib_plot_format_tick(2.5, 0.5, b, sizeof b);
    ck_assert_str_eq(b, "2.5");
    fib_plot_format_tick(0.25, 0.05, b, sizeof b);
    ck_assert_str_eq(b, "0.25");
    fib_plot_format_tick(-1e-17, 0.1, b, sizeof b);
    ck_assert_str_eq(b, "0.0");
    fib_plot_format_tick(-0.5, 0.5, b, sizeof b);
    ck_assert_str_eq(b, "-0.5");
}
END_TEST

START_TEST(colormaps_and_palette)
{
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_VIRIDIS, 0.0), 0x440154u);
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_VIRIDIS, 1.0), 0xFDE725u);
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_VIRIDIS, 0.5), 0x21918Cu);
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_VIRIDIS, 7.0), 0xFDE725u);
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_VIRIDIS, NAN), 0x440154u);
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_GREY, 0.0), 0x000000u);
    ck_assert_uint_eq(fib_colormap_eval(FIB_CMAP_GREY, 1.0), 0xFFFFFFu);
    ck_assert_uint_eq(fib_colormap_lut(FIB_CMAP_GREY)[77], 0x4D4D4Du);
    /* Viridis is monotone in lightness: green channel rises throughout. */
    const fib_rgb *v = fib_colormap_lut(FIB_CMAP_VIRIDIS);
    for (int i = 1; i < 256; i++)
        ck_assert_int_ge(FIB_RGB_G(v[i]), FIB_RGB_G(v[i - 1]));
    /* Categorical palette: >= 12 colours, pairwise clearly distinct. */
    ck_assert_int_ge(FIB_PALETTE_SIZE, 12);
    for (size_t i = 0; i < FIB_PALETTE_SIZE; i++)
        for (size_t j = i + 1; j < FIB_PALETTE_SIZE; j++) {
            const fib_rgb a = fib_palette_color(i), b = fib_palette_color(j);
            const double d = hypot(
                hypot(FIB_RGB_R(a) - FIB_RGB_R(b), FIB_RGB_G(a) - FIB_RGB_G(b)),
                FIB_RGB_B(a) - FIB_RGB_B(b));
            ck_assert(d > 60.0);
        }
    ck_assert_uint_eq(fib_palette_color(FIB_PALETTE_SIZE + 1),
                      fib_palette_color(1));
}
END_TEST

START_TEST(image_blits_scale_exactly)
{
    fib_error err = {0};
    fib_image img;
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U8, 2, 2, &err), FIB_OK);
    fib_image_set(&img, 0, 0, 0);
    fib_image_set(&img, 1, 0, 255);
    fib_image_set(&img, 0, 1, 128);
    fib_image_set(&img, 1, 1, 64);
    fib_canvas *c = make(20, 20, BG);
    const fib_canvas_rect dst = {3, 4, 4, 4};
    fib_canvas_image_params p = {.lo = 0.0, .hi = 255.0};
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, dst, &p, &err), FIB_OK);
    ck_assert_int_eq(count_in(c, 0x000000u, 3, 4, 5, 6), 4);
    ck_assert_int_eq(count_in(c, 0xFFFFFFu, 5, 4, 7, 6), 4);
    ck_assert_int_eq(count_in(c, 0x808080u, 3, 6, 5, 8), 4);
    ck_assert_int_eq(count_in(c, 0x404040u, 5, 6, 7, 8), 4);
    ck_assert_int_eq(count(c, BG), 400 - 16);
    /* Auto window (min/max) and viridis. */
    p.lo = p.hi = 0.0;
    p.cmap = FIB_CMAP_VIRIDIS;
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, dst, &p, &err), FIB_OK);
    ck_assert_uint_eq(fib_canvas_get(c, 3, 4), 0x440154u);
    ck_assert_uint_eq(fib_canvas_get(c, 6, 4), 0xFDE725u);
    fib_image_clear(&img);

    /* Anisotropic: 4 x 2 f32 image into 4 x 8 (z voxels 4x taller). */
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_F32, 4, 2, &err), FIB_OK);
    for (size_t x = 0; x < 4; x++) {
        fib_image_set(&img, x, 0, 10.0 * (double)x);
        fib_image_set(&img, x, 1, 100.0);
    }
    fib_canvas_clear(c, BG);
    const fib_canvas_rect tall = {0, 0, 4, 8};
    p = (fib_canvas_image_params){.lo = 0.0, .hi = 30.0};
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, tall, &p, &err), FIB_OK);
    for (int y = 0; y < 4; y++) {
        ck_assert_uint_eq(fib_canvas_get(c, 0, y), 0x000000u);
        ck_assert_uint_eq(fib_canvas_get(c, 3, y), 0xFFFFFFu);
        ck_assert_uint_eq(fib_canvas_get(c, 1, y), 0x555555u);
    }
    ck_assert_int_eq(count_in(c, 0xFFFFFFu, 0, 4, 4, 8), 16);
    fib_image_clear(&img);

    /* Bilinear: a 2-pixel ramp 0 -> 255 into 4 pixels. */
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U16, 2, 1, &err), FIB_OK);
    fib_image_set(&img, 1, 0, 255);
    const fib_canvas_rect row = {0, 0, 4, 1};
    p = (fib_canvas_image_params){
        .lo = 0.0, .hi = 255.0, .interp = FIB_INTERP_BILINEAR};
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, row, &p, &err), FIB_OK);
    ck_assert_uint_eq(fib_canvas_get(c, 0, 0), 0x000000u);
    ck_assert_uint_eq(fib_canvas_get(c, 1, 0), 0x404040u); /* 63.75 */
    ck_assert_uint_eq(fib_canvas_get(c, 2, 0), 0xBFBFBFu); /* 191.25 */
    ck_assert_uint_eq(fib_canvas_get(c, 3, 0), 0xFFFFFFu);
    /* Bad input. */
    p.hi = -1.0;
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, row, &p, &err), FIB_EINVAL);
    fib_error_clear(&err);
    const fib_canvas_rect empty = {0, 0, 0, 4};
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, empty, NULL, &err),
                     FIB_EINVAL);
    fib_image_clear(&img);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U32, 2, 1, &err), FIB_OK);
    ck_assert_int_eq(fib_canvas_draw_image(c, &img, row, NULL, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "u32"));

    /* Labels: 0 is transparent, label l takes palette colour l - 1. */
    fib_image_set(&img, 1, 0, 3);
    fib_canvas_clear(c, FIB_RGB_WHITE);
    const fib_canvas_rect two = {0, 0, 2, 1};
    ck_assert_int_eq(fib_canvas_draw_labels(c, &img, two, NULL, &err), FIB_OK);
    ck_assert_uint_eq(fib_canvas_get(c, 0, 0), FIB_RGB_WHITE);
    ck_assert_uint_eq(fib_canvas_get(c, 1, 0),
                      fib_rgb_mix(fib_palette_color(2), FIB_RGB_WHITE, 0.5));
    const fib_rgb mine[1] = {0x00FF00u};
    fib_canvas_label_params lp = {.alpha = 1.0, .colors = mine, .n_colors = 1};
    ck_assert_int_eq(fib_canvas_draw_labels(c, &img, two, &lp, &err), FIB_OK);
    ck_assert_uint_eq(fib_canvas_get(c, 1, 0), 0x00FF00u);
    fib_image_clear(&img);
    fib_canvas_destroy(c);

    /* Aspect-preserving fit. */
    const fib_canvas_rect box = {10, 20, 100, 100};
    const fib_canvas_rect f = fib_canvas_fit_rect(box, 200.0, 100.0);
    ck_assert_int_eq(f.x, 10);
    ck_assert_int_eq(f.y, 45);
    ck_assert_int_eq(f.w, 100);
    ck_assert_int_eq(f.h, 50);
    const fib_canvas_rect g = fib_canvas_fit_rect(box, 10.0, 40.0);
    ck_assert_int_eq(g.w, 25);
    ck_assert_int_eq(g.h, 100);
    ck_assert_int_eq(g.x, 47);
}
END_TEST

START_TEST(xy_chart)
{
    fib_canvas *c = make(500, 400, BG);
    double x[50], y[50], y2[50];
    for (int i = 0; i < 50; i++) {
        x[i] = i;
        y[i] = 0.1 * i - 2.0;
        y2[i] = 3.0 * sin(0.2 * i);
    }
    y2[20] = NAN;
    const fib_plot_series s[2] = {
        {.x = x,
         .y = y,
         .n = 50,
         .label = "dx",
         .style = FIB_PLOT_MARKERS,
         .custom_color = true,
         .color = 0xFF0000u,
         .marker_radius_px = 3.0},
        {.y = y2, .n = 50, .label = "dy", .line_width_px = 2.0}};
    const fib_plot_params p = {.title = "drift",
                               .x_label = "slice",
                               .y_label = "shift (px)",
                               .zero_line = true};
    const fib_canvas_rect r = {50, 40, 400, 300};
    fib_plot_axes ax;
    fib_error err = {0};
    ck_assert_int_eq(fib_plot_xy(c, r, &p, s, 2, &ax, &err), FIB_OK);
    /* Nothing outside the rectangle changed. */
    ck_assert_int_eq(count(c, BG), 500 * 400 - 400 * 300);
    /* Axis range covers the data with nice ends. */
    ck_assert(ax.x_min <= 0.0 && ax.x_max >= 49.0);
    ck_assert(ax.y_min <= -3.0 && ax.y_max >= 3.0);
    ck_assert(ax.area.x > r.x && ax.area.x + ax.area.w < r.x + r.w);
    /* A marker away from the legend has the series colour at its centre. */
    const int px = (int)floor(fib_plot_px_x(&ax, x[10]));
    const int py = (int)floor(fib_plot_px_y(&ax, y[10]));
    ck_assert_uint_eq(fib_canvas_get(c, px, py), 0xFF0000u);
    ck_assert_double_eq_tol(fib_plot_px_x(&ax, ax.x_min), ax.area.x, 1e-9);
    ck_assert_double_eq_tol(fib_plot_px_y(&ax, ax.y_min), ax.area.y + ax.area.h,
                            1e-9);
    /* The second series uses palette colour 1 somewhere. */
    ck_assert_int_gt(count(c, fib_palette_color(1)), 50);
    /* Fixed y range clips data to the area. */
    const fib_plot_params q = {.y_min = -1.0, .y_max = 1.0};
    fib_canvas_clear(c, BG);
    ck_assert_int_eq(fib_plot_xy(c, r, &q, s, 2, &ax, &err), FIB_OK);
    ck_assert_double_eq(ax.y_min, -1.0);
    ck_assert_double_eq(ax.y_max, 1.0);
    ck_assert_int_eq(count(c, BG), 500 * 400 - 400 * 300);
    /* Errors. */
    const fib_canvas_rect tiny = {0, 0, 40, 30};
    ck_assert_int_eq(fib_plot_xy(c, tiny, &p, s, 2, NULL, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "40x30"));
    fib_error_clear(&err);
    const fib_plot_series bad = {.n = 3};
    ck_assert_int_eq(fib_plot_xy(c, r, &p, &bad, 1, NULL, &err), FIB_EINVAL);
    fib_error_clear(&err);
    const fib_plot_params inv = {.x_min = 5.0, .x_max = 1.0};
    ck_assert_int_eq(fib_plot_xy(c, r, &inv, s, 2, NULL, &err), FIB_EINVAL);
    /* No series: empty axes are fine. */
    ck_assert_int_eq(fib_plot_xy(c, r, NULL, NULL, 0, NULL, NULL), FIB_OK);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(timeline_chart)
{
    fib_canvas *c = make(600, 200, BG);
    const char *lanes[2] = {"Ga", "Xe"};
    const fib_timeline_segment seg[3] = {
        {.lane = 0,
         .start_min = 0.0,
         .end_min = 12.0,
         .label = "coarse",
         .custom_color = true,
         .color = 0x00AA00u},
        {.lane = 0, .start_min = 12.0, .end_min = 20.0, .category = 3},
        {.lane = 1,
         .start_min = 5.0,
         .end_min = 37.0,
         .label = "trench",
         .custom_color = true,
         .color = 0x0000AAu}};
    const fib_timeline_params p = {
        .title = "session", .lanes = lanes, .n_lanes = 2};
    const fib_canvas_rect r = {0, 0, 600, 200};
    fib_plot_axes ax;
    fib_error err = {0};
    ck_assert_int_eq(fib_plot_timeline(c, r, &p, seg, 3, &ax, &err), FIB_OK);
    ck_assert_double_eq(ax.x_min, 0.0);
    ck_assert(ax.x_max >= 37.0 && ax.x_max <= 50.0);
    /* Lane 0 (top) at t = 3 min is green, lane 1 at t = 30 is blue. */
    const int lane_h = ax.area.h / 2;
    const int x3 = (int)fib_plot_px_x(&ax, 3.0);
    const int x30 = (int)fib_plot_px_x(&ax, 30.0);
    ck_assert_uint_eq(fib_canvas_get(c, x3, ax.area.y + lane_h / 2 - 5),
                      0x00AA00u);
    ck_assert_uint_eq(fib_canvas_get(c, x30, ax.area.y + lane_h * 3 / 2 - 5),
                      0x0000AAu);
    ck_assert_uint_ne(fib_canvas_get(c, x3, ax.area.y + lane_h * 3 / 2 - 5),
                      0x0000AAu);
    ck_assert_int_gt(count(c, fib_palette_color(3)), 100);
    /* The label is drawn inside its bar in white on dark blue. */
    ck_assert_int_gt(count(c, FIB_RGB_WHITE), 0);
    /* Errors. */
    fib_timeline_segment bad = seg[0];
    bad.lane = 2;
    ck_assert_int_eq(fib_plot_timeline(c, r, &p, &bad, 1, NULL, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "lane 2"));
    fib_error_clear(&err);
    bad = seg[0];
    bad.end_min = -1.0;
    ck_assert_int_eq(fib_plot_timeline(c, r, &p, &bad, 1, NULL, &err),
                     FIB_EINVAL);
    fib_error_clear(&err);
    const fib_timeline_params none = {0};
    ck_assert_int_eq(fib_plot_timeline(c, r, &none, seg, 3, NULL, &err),
                     FIB_EINVAL);
    /* NaN segments are skipped. */
    bad = seg[0];
    bad.start_min = NAN;
    ck_assert_int_eq(fib_plot_timeline(c, r, &p, &bad, 1, NULL, NULL), FIB_OK);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(histogram_and_bars)
{
    const double v[8] = {0.0, 0.5, 1.0, 9.99, 10.0, 10.1, -0.1, NAN};
    double cnt[10];
    size_t used = 0;
    fib_error err = {0};
    ck_assert_int_eq(fib_histogram(v, 8, 0.0, 10.0, 10, cnt, &used, &err),
                     FIB_OK);
    ck_assert_uint_eq(used, 5);
    ck_assert_double_eq(cnt[0], 2.0);
    ck_assert_double_eq(cnt[1], 1.0);
    ck_assert_double_eq(cnt[9], 2.0);
    ck_assert_double_eq(cnt[5], 0.0);
    ck_assert_int_eq(fib_histogram(v, 8, 1.0, 1.0, 10, cnt, NULL, &err),
                     FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_histogram(v, 8, 0.0, 1.0, 0, cnt, NULL, &err),
                     FIB_EINVAL);

    fib_canvas *c = make(400, 300, BG);
    const double vals[4] = {3.0, 7.0, NAN, 1.5};
    const char *names[4] = {"Ga", "Xe", "Ar", "O"};
    const fib_bar_params bp = {.title = "dose",
                               .bar_labels = names,
                               .custom_color = true,
                               .color = 0xCC0000u};
    const fib_canvas_rect r = {0, 0, 400, 300};
    fib_plot_axes ax;
    ck_assert_int_eq(fib_plot_bars(c, r, &bp, vals, 4, &ax, &err), FIB_OK);
    ck_assert_double_eq(ax.y_min, 0.0);
    ck_assert(ax.y_max >= 7.0);
    for (int i = 0; i < 4; i++) {
        const int x = (int)fib_plot_px_x(&ax, i);
        const int y = (int)fib_plot_px_y(&ax, 1.0);
        if (i == 2)
            ck_assert_uint_ne(fib_canvas_get(c, x, y), 0xCC0000u);
        else
            ck_assert_uint_eq(fib_canvas_get(c, x, y), 0xCC0000u);
    }
    /* Bar heights in pixels are proportional to the values. */
    const int x1 = (int)fib_plot_px_x(&ax, 1.0);
    const long h1 = count_in(c, 0xCC0000u, x1, 0, x1 + 1, 300);
    const int x3 = (int)fib_plot_px_x(&ax, 3.0);
    const long h3 = count_in(c, 0xCC0000u, x3, 0, x3 + 1, 300);
    ck_assert_double_eq_tol((double)h1 / (double)h3, 7.0 / 1.5, 0.25);
    /* Histogram mode. */
    const fib_bar_params hp = {.x_min = 0.0, .x_max = 10.0, .x_label = "x"};
    fib_canvas_clear(c, BG);
    ck_assert_int_eq(fib_plot_bars(c, r, &hp, cnt, 10, &ax, &err), FIB_OK);
    ck_assert_double_eq(ax.x_min, 0.0);
    ck_assert_double_eq(ax.x_max, 10.0);
    ck_assert_int_gt(count(c, fib_palette_color(0)), 100);
    ck_assert_int_eq(fib_plot_bars(c, r, &hp, cnt, 0, NULL, &err), FIB_EINVAL);
    fib_canvas_destroy(c);
}
END_TEST

START_TEST(colorbar_and_swatches)
{
    fib_canvas *c = make(200, 300, FIB_RGB_WHITE);
    const fib_canvas_rect bar = {20, 30, 16, 256};
    const fib_colorbar_params p = {
        .cmap = FIB_CMAP_VIRIDIS, .lo = 0.0, .hi = 250.0, .title = "t (nm)"};
    fib_error err = {0};
    ck_assert_int_eq(fib_plot_colorbar(c, bar, &p, &err), FIB_OK);
    /* 256 rows: top row is viridis(1), bottom row viridis(0). */
    ck_assert_uint_eq(fib_canvas_get(c, 25, 30), 0xFDE725u);
    ck_assert_uint_eq(fib_canvas_get(c, 25, 30 + 255), 0x440154u);
    ck_assert_uint_eq(fib_canvas_get(c, 19, 100), FIB_RGB_BLACK); /* frame */
    /* Tick labels right of the bar, title above it, nothing left of it. */
    ck_assert_int_gt(count_in(c, FIB_RGB_BLACK, 40, 20, 200, 300), 50);
    ck_assert_int_gt(count_in(c, FIB_RGB_BLACK, 20, 0, 200, 28), 20);
    ck_assert_int_eq(count_in(c, FIB_RGB_BLACK, 0, 0, 19, 300), 0);
    const fib_colorbar_params bad = {.lo = 1.0, .hi = 1.0};
    ck_assert_int_eq(fib_plot_colorbar(c, bar, &bad, &err), FIB_EINVAL);

    fib_canvas_clear(c, BG);
    const char *names[3] = {"NMC", "electrolyte", "pore"};
    const fib_canvas_rect box =
        fib_plot_swatch_legend(c, 5, 6, names, NULL, 3, 1);
    ck_assert_int_eq(box.x, 5);
    ck_assert_int_eq(box.h, 3 * 12 + 4);
    ck_assert_int_eq(box.w, 8 + 11 * 8 + 12);
    /* Swatch 1 interior has palette colour 1; nothing outside the box. */
    ck_assert_uint_eq(fib_canvas_get(c, 5 + 4 + 3, 6 + 4 + 12 + 3),
                      fib_palette_color(1));
    ck_assert_int_eq(count(c, BG), 200 * 300 - box.w * box.h);
    fib_canvas_destroy(c);
}
END_TEST

/* Read a PNG with libpng's simplified API into RGB bytes (malloc'ed). */
static uint8_t *read_png_rgb(const char *path, unsigned *w, unsigned *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        return NULL;
    ck_assert_int_eq(im.format & PNG_FORMAT_FLAG_COLOR, PNG_FORMAT_FLAG_COLOR);
    ck_assert_int_eq(im.format & PNG_FORMAT_FLAG_ALPHA, 0);
    im.format = PNG_FORMAT_RGB;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(im));
    ck_assert_ptr_nonnull(buf);
    if (!png_image_finish_read(&im, NULL, buf, 0, NULL)) {
        free(buf);
        return NULL;
    }
    *w = im.width;
    *h = im.height;
    return buf;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

START_TEST(png_round_trip)
{
    char dir[512], path[600];
    fib_test_tmpdir(dir, sizeof dir);
    ck_assert(dir[0] != '\0');
    (void)snprintf(path, sizeof path, "%s/pic.png", dir);
    fib_canvas *c = make(37, 23, BG);
    for (int y = 0; y < 23; y++)
        for (int x = 0; x < 37; x++)
            fib_canvas_set(c, x, y, FIB_RGB(x * 7, y * 11, (x * y) & 0xFF));
    fib_canvas_text(c, 1, 1, "Pt", 1, FIB_RGB_WHITE);
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_canvas_write_png(path, c, &err), FIB_OK);
    ck_assert_int_eq(count_files(dir), 1); /* no temporary left behind */
    unsigned w = 0, h = 0;
    uint8_t *px = read_png_rgb(path, &w, &h);
    ck_assert_ptr_nonnull(px);
    ck_assert_uint_eq(w, 37);
    ck_assert_uint_eq(h, 23);
    ck_assert_int_eq(memcmp(px, fib_canvas_pixels_const(c), 37 * 23 * 3), 0);
    ck_assert_int_eq(px[(5 * 37 + 9) * 3 + 1], 55);
    free(px);
    /* Unwritable destination: clear error, nothing left behind. */
    (void)snprintf(path, sizeof path, "%s/no/such/dir/pic.png", dir);
    ck_assert_int_eq(fib_fmt_canvas_write_png(path, c, &err), FIB_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "pic.png"));
    fib_error_clear(&err);
    ck_assert_int_eq(fib_fmt_canvas_write_png("", c, &err), FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_fmt_canvas_write_png(path, NULL, &err), FIB_EINVAL);
    ck_assert_int_eq(count_files(dir), 1);
    fib_canvas_destroy(c);
    fib_test_rmdir(dir);
}
END_TEST

static Suite *canvas_suite(void)
{
    Suite *s = suite_create("canvas");
    TCase *tc = tcase_create("primitives");
    tcase_add_test(tc, create_rejects_bad_sizes);
    tcase_add_test(tc, bresenham_lines);
    tcase_add_test(tc, antialiased_and_thick_lines);
    tcase_add_test(tc, rectangles_and_clip);
    tcase_add_test(tc, polygon_area_matches_analytic);
    tcase_add_test(tc, circles);
    tcase_add_test(tc, arrows_and_outlines);
    tcase_add_test(tc, text_stays_in_its_box);
    tcase_add_test(tc, scale_bar_picks_round_lengths);
    tcase_add_test(tc, colormaps_and_palette);
    tcase_add_test(tc, image_blits_scale_exactly);
    suite_add_tcase(s, tc);
    tc = tcase_create("plots");
    tcase_add_test(tc, nice_ticks);
    tcase_add_test(tc, xy_chart);
    tcase_add_test(tc, timeline_chart);
    tcase_add_test(tc, histogram_and_bars);
    tcase_add_test(tc, colorbar_and_swatches);
    suite_add_tcase(s, tc);
    tc = tcase_create("png");
    tcase_add_test(tc, png_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(canvas_suite(), NULL);
}
