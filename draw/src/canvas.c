/*
 * canvas.c -- RGB8 raster canvas: creation, clip, pixels, lines,
 * rectangles, polygons, circles.  Colormaps and image/label blits are in
 * canvas_image.c, text and scale bars in canvas_text.c.  See fib/canvas.h
 * for contracts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/canvas.h"
#include "fib/checked.h"
#include "canvas_internal.h"
#include "font.h"

/* ------------------------------------------------------------------ */

fib_status fib_canvas_create(size_t width, size_t height, fib_rgb background,
                             fib_canvas **out, fib_error *err)
{
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "canvas: out must not be NULL");
    *out = NULL;
    if (width == 0 || height == 0 || width > FIB_CANVAS_MAX_SIDE ||
        height > FIB_CANVAS_MAX_SIDE)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: size %zux%zu must be 1..%d per side",
                             width, height, FIB_CANVAS_MAX_SIDE);
    fib_canvas *c = calloc(1, sizeof *c);
    if (!c)
        return fib_error_set(err, FIB_ENOMEM, "canvas: out of memory");
    size_t bytes = 0;
    c->px = fib_mul3_size(width, height, 3, &bytes) ? malloc(bytes) : NULL;
    if (!c->px) {
        free(c);
        return fib_error_set(err, FIB_ENOMEM,
                             "canvas: out of memory for %zux%zu pixels", width,
                             height);
    }
    c->w = (int)width;
    c->h = (int)height;
    fib_canvas_reset_clip(c);
    fib_canvas_clear(c, background);
    *out = c;
    return FIB_OK;
}

void fib_canvas_destroy(fib_canvas *c)
{
    if (!c)
        return;
    free(c->px);
    free(c);
}

size_t fib_canvas_width(const fib_canvas *c)
{
    return (size_t)c->w;
}

size_t fib_canvas_height(const fib_canvas *c)
{
    return (size_t)c->h;
}

uint8_t *fib_canvas_pixels(fib_canvas *c)
{
    return c->px;
}

const uint8_t *fib_canvas_pixels_const(const fib_canvas *c)
{
    return c->px;
}

void fib_canvas_reset_clip(fib_canvas *c)
{
    c->cx0 = 0, c->cy0 = 0, c->cx1 = c->w, c->cy1 = c->h;
}

void fib_canvas_set_clip(fib_canvas *c, fib_canvas_rect r)
{
    fib_canvas_reset_clip(c);
    long a = r.x, b = r.y, e = (long)r.x + r.w, f = (long)r.y + r.h;
    a = a < 0 ? 0 : a > c->w ? c->w : a;
    e = e < a ? a : e > c->w ? c->w : e;
    b = b < 0 ? 0 : b > c->h ? c->h : b;
    f = f < b ? b : f > c->h ? c->h : f;
    c->cx0 = (int)a, c->cy0 = (int)b, c->cx1 = (int)e, c->cy1 = (int)f;
}

fib_canvas_rect fib_canvas_get_clip(const fib_canvas *c)
{
    const fib_canvas_rect r = {c->cx0, c->cy0, c->cx1 - c->cx0,
                               c->cy1 - c->cy0};
    return r;
}

fib_rgb fib_canvas_get(const fib_canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return 0;
    const uint8_t *p = pixel_at(c, x, y);
    return FIB_RGB(p[0], p[1], p[2]);
}

void fib_canvas_clear(fib_canvas *c, fib_rgb color)
{
    /* Clears the whole canvas, ignoring the clip rectangle. */
    for (int x = 0; x < c->w; x++)
        put(c, x, 0, color);
    const size_t row = (size_t)c->w * 3;
    for (int y = 1; y < c->h; y++)
        memcpy(c->px + (size_t)y * row, c->px, row);
}

void fib_canvas_set(fib_canvas *c, int x, int y, fib_rgb color)
{
    if (inside(c, x, y))
        put(c, x, y, color);
}

fib_rgb fib_rgb_mix(fib_rgb a, fib_rgb b, double alpha)
{
    alpha = clamp01(alpha);
    return FIB_RGB(mix8(FIB_RGB_R(a), FIB_RGB_R(b), alpha),
                   mix8(FIB_RGB_G(a), FIB_RGB_G(b), alpha),
                   mix8(FIB_RGB_B(a), FIB_RGB_B(b), alpha));
}

void fib_canvas_blend(fib_canvas *c, int x, int y, fib_rgb color, double alpha)
{
    alpha = clamp01(alpha);
    if (inside(c, x, y) && alpha > 0.0)
        blend_px(c, x, y, color, alpha);
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */

/* Clamp a double coordinate into int range so that casts are defined. */
static int to_int(double v)
{
    if (!(v > -1e9))
        return -1000000000;
    if (v > 1e9)
        return 1000000000;
    return (int)floor(v);
}

void fib_canvas_dashed_line(fib_canvas *c, int x0, int y0, int x1, int y1,
                            int on, int off, fib_rgb color)
{
    /* Bresenham (1965), all octants with one error term. */
    const long dx = labs((long)x1 - x0), dy = -labs((long)y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    long e = dx + dy;
    const int period = on > 0 && off > 0 ? on + off : 0;
    long step = 0;
    for (;;) {
        if (period == 0 || step % period < on)
            fib_canvas_set(c, x0, y0, color);
        step++;
        if (x0 == x1 && y0 == y1)
            break;
        const long e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

void fib_canvas_line(fib_canvas *c, int x0, int y0, int x1, int y1,
                     fib_rgb color)
{
    fib_canvas_dashed_line(c, x0, y0, x1, y1, 0, 0, color);
}

static double fpart(double v)
{
    return v - floor(v);
}

/* Plot for Wu's algorithm; @p steep swaps x and y back. */
static void wu_plot(fib_canvas *c, bool steep, double a, double b,
                    fib_rgb color, double alpha)
{
    const int ia = to_int(a), ib = to_int(b);
    if (steep)
        fib_canvas_blend(c, ib, ia, color, alpha);
    else
        fib_canvas_blend(c, ia, ib, color, alpha);
}

void fib_canvas_line_aa(fib_canvas *c, double x0, double y0, double x1,
                        double y1, fib_rgb color)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    /* Work with integer = pixel centre. */
    x0 -= 0.5, y0 -= 0.5, x1 -= 0.5, y1 -= 0.5;
    const bool steep = fabs(y1 - y0) > fabs(x1 - x0);
    double t;
    if (steep) {
        t = x0, x0 = y0, y0 = t;
        t = x1, x1 = y1, y1 = t;
    }
    if (x0 > x1) {
        t = x0, x0 = x1, x1 = t;
        t = y0, y0 = y1, y1 = t;
    }
    const double dx = x1 - x0, dy = y1 - y0;
    const double grad = dx == 0.0 ? 1.0 : dy / dx;
    /* Clip the x range to the canvas so huge lines stay cheap. */
    const double lim = (steep ? c->h : c->w) + 1.0;
    /* First endpoint. */
    double xe = floor(x0 + 0.5);
    double ye = y0 + grad * (xe - x0);
    double xgap = 1.0 - fpart(x0 + 0.5);
    const double xpx1 = xe;
    wu_plot(c, steep, xe, floor(ye), color, (1.0 - fpart(ye)) * xgap);
    wu_plot(c, steep, xe, floor(ye) + 1, color, fpart(ye) * xgap);
    double inter = ye + grad;
    /* Second endpoint. */
    xe = floor(x1 + 0.5);
    ye = y1 + grad * (xe - x1);
    xgap = fpart(x1 + 0.5);
    const double xpx2 = xe;
    if (xpx2 > xpx1) {
        wu_plot(c, steep, xe, floor(ye), color, (1.0 - fpart(ye)) * xgap);
        wu_plot(c, steep, xe, floor(ye) + 1, color, fpart(ye) * xgap);
    }
    double xs = xpx1 + 1, xend = xpx2 - 1;
    if (xs < -1.0) {
        inter += grad * (-1.0 - xs);
        xs = -1.0;
    }
    if (xend > lim)
        xend = lim;
    for (double x = xs; x <= xend; x += 1.0) {
        wu_plot(c, steep, x, floor(inter), color, 1.0 - fpart(inter));
        wu_plot(c, steep, x, floor(inter) + 1, color, fpart(inter));
        inter += grad;
    }
}

void fib_canvas_thick_line(fib_canvas *c, double x0, double y0, double x1,
                           double y1, double width_px, fib_rgb color)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    const double len = hypot(x1 - x0, y1 - y0);
    if (!(width_px > 1.5) || !(len > 0.0)) {
        fib_canvas_line(c, to_int(x0), to_int(y0), to_int(x1), to_int(y1),
                        color);
        return;
    }
    const double nx = -(y1 - y0) / len * 0.5 * width_px;
    const double ny = (x1 - x0) / len * 0.5 * width_px;
    const double q[8] = {x0 + nx, y0 + ny, x1 + nx, y1 + ny,
                         x1 - nx, y1 - ny, x0 - nx, y0 - ny};
    fib_canvas_fill_polygon(c, q, 4, color, 1.0);
}

void fib_canvas_arrow(fib_canvas *c, double x0, double y0, double x1, double y1,
                      double width_px, double head_px, fib_rgb color)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    const double len = hypot(x1 - x0, y1 - y0);
    if (!(len > 0.0))
        return;
    const double w = width_px > 1.0 ? width_px : 1.0;
    double head = head_px > 0.0 ? head_px : 4.0 * w + 4.0;
    if (head > len)
        head = len;
    const double ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    const double bx = x1 - ux * head, by = y1 - uy * head;
    if (len > head) {
        if (w > 1.5)
            fib_canvas_thick_line(c, x0, y0, bx, by, w, color);
        else
            fib_canvas_line_aa(c, x0, y0, bx, by, color);
    }
    const double hw = 0.45 * head;
    const double tri[6] = {x1,           y1,           bx - uy * hw,
                           by + ux * hw, bx + uy * hw, by - ux * hw};
    fib_canvas_fill_polygon(c, tri, 3, color, 1.0);
}

/* ------------------------------------------------------------------ */
/* Rectangles, polygons, circles                                       */

void fib_canvas_fill_rect_alpha(fib_canvas *c, fib_canvas_rect r, fib_rgb color,
                                double alpha)
{
    int x0, y0, x1, y1;
    alpha = clamp01(alpha);
    if (alpha <= 0.0 || !clip_rect(c, r, &x0, &y0, &x1, &y1))
        return;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            if (alpha >= 1.0)
                put(c, x, y, color);
            else
                blend_px(c, x, y, color, alpha);
        }
}

void fib_canvas_fill_rect(fib_canvas *c, fib_canvas_rect r, fib_rgb color)
{
    fib_canvas_fill_rect_alpha(c, r, color, 1.0);
}

void fib_canvas_rect_outline(fib_canvas *c, fib_canvas_rect r, fib_rgb color)
{
    if (r.w <= 0 || r.h <= 0)
        return;
    const fib_canvas_rect top = {r.x, r.y, r.w, 1};
    const fib_canvas_rect bottom = {r.x, r.y + r.h - 1, r.w, 1};
    const fib_canvas_rect left = {r.x, r.y, 1, r.h};
    const fib_canvas_rect right = {r.x + r.w - 1, r.y, 1, r.h};
    fib_canvas_fill_rect(c, top, color);
    fib_canvas_fill_rect(c, bottom, color);
    fib_canvas_fill_rect(c, left, color);
    fib_canvas_fill_rect(c, right, color);
}

enum { POLY_STACK = 64, AA_SUBROWS = 16 };

/* Vertical extent of a polygon; false for NaN/Inf vertices. */
static bool poly_yrange(const double *xy, size_t n, double *ymin, double *ymax)
{
    *ymin = xy[1], *ymax = xy[1];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return false;
        *ymin = xy[2 * i + 1] < *ymin ? xy[2 * i + 1] : *ymin;
        *ymax = xy[2 * i + 1] > *ymax ? xy[2 * i + 1] : *ymax;
    }
    return true;
}

/* Sorted x of the edge crossings of the horizontal line at @p yc, each
 * edge half-open in y so shared vertices count once.  Returns the count
 * (<= n, even for a closed polygon). */
static size_t poly_crossings(const double *xy, size_t n, double yc, double *xs)
{
    size_t k = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        const double xi = xy[2 * i], yi = xy[2 * i + 1];
        const double xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi <= yc && yc < yj) || (yj <= yc && yc < yi))
            xs[k++] = xi + (yc - yi) * (xj - xi) / (yj - yi);
    }
    for (size_t a = 1; a < k; a++) { /* insertion sort: k is small */
        const double v = xs[a];
        size_t b = a;
        while (b > 0 && xs[b - 1] > v) {
            xs[b] = xs[b - 1];
            b--;
        }
        xs[b] = v;
    }
    return k;
}

void fib_canvas_fill_polygon(fib_canvas *c, const double *xy, size_t n,
                             fib_rgb color, double alpha)
{
    alpha = clamp01(alpha);
    double ymin, ymax;
    if (!xy || n < 3 || alpha <= 0.0 || !poly_yrange(xy, n, &ymin, &ymax))
        return;
    double stack[POLY_STACK];
    double *xs = n > POLY_STACK ? malloc(n * sizeof *xs) : stack;
    if (!xs)
        return;
    /* Rows whose centre y + 0.5 lies in [ymin, ymax). */
    int ya = to_int(ceil(ymin - 0.5)), yb = to_int(ceil(ymax - 0.5)) - 1;
    ya = ya < c->cy0 ? c->cy0 : ya;
    yb = yb > c->cy1 - 1 ? c->cy1 - 1 : yb;
    for (int y = ya; y <= yb; y++) {
        const size_t k = poly_crossings(xy, n, y + 0.5, xs);
        for (size_t a = 0; a + 1 < k; a += 2) {
            /* Pixels whose centre x + 0.5 lies in [xs[a], xs[a+1]). */
            int xa = to_int(ceil(xs[a] - 0.5));
            int xb = to_int(ceil(xs[a + 1] - 0.5)) - 1;
            xa = xa < c->cx0 ? c->cx0 : xa;
            xb = xb > c->cx1 - 1 ? c->cx1 - 1 : xb;
            for (int x = xa; x <= xb; x++) {
                if (alpha >= 1.0)
                    put(c, x, y, color);
                else
                    blend_px(c, x, y, color, alpha);
            }
        }
    }
    if (xs != stack)
        free(xs);
}

void fib_canvas_fill_polygon_aa(fib_canvas *c, const double *xy, size_t n,
                                fib_rgb color, double alpha)
{
    alpha = clamp01(alpha);
    double ymin, ymax;
    if (!xy || n < 3 || alpha <= 0.0 || !poly_yrange(xy, n, &ymin, &ymax))
        return;
    if (c->cx1 <= c->cx0)
        return;
    double stack[POLY_STACK];
    double *xs = n > POLY_STACK ? malloc(n * sizeof *xs) : stack;
    /* Coverage of the clip columns in the current row. */
    double *cov = calloc((size_t)(c->cx1 - c->cx0), sizeof *cov);
    if (!xs || !cov)
        goto done;
    int ya = to_int(floor(ymin)), yb = to_int(ceil(ymax)) - 1;
    ya = ya < c->cy0 ? c->cy0 : ya;
    yb = yb > c->cy1 - 1 ? c->cy1 - 1 : yb;
    const double sub = 1.0 / AA_SUBROWS, lo = c->cx0, hi = c->cx1;
    for (int y = ya; y <= yb; y++) {
        int used0 = c->cx1, used1 = c->cx0 - 1;
        for (int s = 0; s < AA_SUBROWS; s++) {
            const size_t k = poly_crossings(xy, n, y + (s + 0.5) * sub, xs);
            for (size_t a = 0; a + 1 < k; a += 2) {
                /* Exact horizontal coverage of [xa, xb) per pixel. */
                const double xa = xs[a] < lo ? lo : xs[a];
                const double xb = xs[a + 1] > hi ? hi : xs[a + 1];
                if (!(xb > xa))
                    continue;
                const int pa = (int)floor(xa);
                const int pb = (int)ceil(xb) - 1;
                used0 = pa < used0 ? pa : used0;
                used1 = pb > used1 ? pb : used1;
                for (int x = pa; x <= pb; x++) {
                    const double l = xa > x ? xa : x;
                    const double r = xb < x + 1 ? xb : x + 1;
                    cov[x - c->cx0] += (r - l) * sub;
                }
            }
        }
        for (int x = used0; x <= used1; x++) {
            double a = cov[x - c->cx0];
            cov[x - c->cx0] = 0.0;
            a = (a > 1.0 ? 1.0 : a) * alpha;
            if (a > 0.0)
                blend_px(c, x, y, color, a);
        }
    }
done:
    if (xs && xs != stack)
        free(xs);
    free(cov);
}

void fib_canvas_polygon_outline(fib_canvas *c, const double *xy, size_t n,
                                fib_rgb color, bool aa)
{
    if (!xy || n < 2)
        return;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        if (aa)
            fib_canvas_line_aa(c, xy[2 * j], xy[2 * j + 1], xy[2 * i],
                               xy[2 * i + 1], color);
        else
            fib_canvas_line(c, to_int(xy[2 * j]), to_int(xy[2 * j + 1]),
                            to_int(xy[2 * i]), to_int(xy[2 * i + 1]), color);
    }
}

void fib_canvas_circle(fib_canvas *c, int cx, int cy, int r, fib_rgb color)
{
    if (r < 0)
        return;
    /* Midpoint circle algorithm (Bresenham 1977), eight-way symmetry. */
    int x = r, y = 0, d = 1 - r;
    while (x >= y) {
        const int pts[8][2] = {{x, y},   {y, x},   {-y, x}, {-x, y},
                               {-x, -y}, {-y, -x}, {y, -x}, {x, -y}};
        for (int k = 0; k < 8; k++)
            fib_canvas_set(c, cx + pts[k][0], cy + pts[k][1], color);
        y++;
        if (d < 0) {
            d += 2 * y + 1;
        } else {
            x--;
            d += 2 * (y - x) + 1;
        }
    }
}

void fib_canvas_fill_circle(fib_canvas *c, double cx, double cy, double r,
                            fib_rgb color, double alpha)
{
    alpha = clamp01(alpha);
    if (!(r > 0.0) || !isfinite(cx) || !isfinite(cy) || !isfinite(r) ||
        alpha <= 0.0)
        return;
    int y0 = to_int(cy - r), y1 = to_int(cy + r);
    int x0 = to_int(cx - r), x1 = to_int(cx + r);
    if (y0 < c->cy0)
        y0 = c->cy0;
    if (x0 < c->cx0)
        x0 = c->cx0;
    if (y1 > c->cy1 - 1)
        y1 = c->cy1 - 1;
    if (x1 > c->cx1 - 1)
        x1 = c->cx1 - 1;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            const double ex = x + 0.5 - cx, ey = y + 0.5 - cy;
            if (ex * ex + ey * ey <= r * r) {
                if (alpha >= 1.0)
                    put(c, x, y, color);
                else
                    blend_px(c, x, y, color, alpha);
            }
        }
}
