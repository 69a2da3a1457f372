/*
 * canvas_internal.h -- private to draw/: the canvas struct and the pixel
 * helpers shared by canvas.c (primitives), canvas_image.c (colormaps,
 * image and label blits) and canvas_text.c (text, scale bars).
 */
#ifndef FIB_DRAW_CANVAS_INTERNAL_H
#define FIB_DRAW_CANVAS_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "fib/canvas.h"

struct fib_canvas {
    int w, h;
    uint8_t *px;            /* w * h * 3 bytes, rows packed */
    int cx0, cy0, cx1, cy1; /* clip: cx0 <= x < cx1, cy0 <= y < cy1 */
};

static inline uint8_t *pixel_at(const fib_canvas *c, int x, int y)
{
    return c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
}

static inline bool inside(const fib_canvas *c, int x, int y)
{
    return x >= c->cx0 && y >= c->cy0 && x < c->cx1 && y < c->cy1;
}

static inline void put(fib_canvas *c, int x, int y, fib_rgb color)
{
    uint8_t *p = pixel_at(c, x, y);
    p[0] = FIB_RGB_R(color);
    p[1] = FIB_RGB_G(color);
    p[2] = FIB_RGB_B(color);
}

static inline double clamp01(double a)
{
    if (!(a > 0.0))
        return 0.0;
    return a > 1.0 ? 1.0 : a;
}

static inline uint8_t mix8(uint8_t a, uint8_t b, double alpha)
{
    return (uint8_t)floor(alpha * a + (1.0 - alpha) * b + 0.5);
}

static inline void blend_px(fib_canvas *c, int x, int y, fib_rgb color,
                            double alpha)
{
    uint8_t *p = pixel_at(c, x, y);
    p[0] = mix8(FIB_RGB_R(color), p[0], alpha);
    p[1] = mix8(FIB_RGB_G(color), p[1], alpha);
    p[2] = mix8(FIB_RGB_B(color), p[2], alpha);
}

/* Intersect r with the canvas; false when empty. */
static inline bool clip_rect(const fib_canvas *c, fib_canvas_rect r, int *x0,
                             int *y0, int *x1, int *y1)
{
    if (r.w <= 0 || r.h <= 0)
        return false;
    long a = r.x, b = r.y, e = (long)r.x + r.w, f = (long)r.y + r.h;
    if (a < c->cx0)
        a = c->cx0;
    if (b < c->cy0)
        b = c->cy0;
    if (e > c->cx1)
        e = c->cx1;
    if (f > c->cy1)
        f = c->cy1;
    if (a >= e || b >= f)
        return false;
    *x0 = (int)a, *y0 = (int)b, *x1 = (int)e, *y1 = (int)f;
    return true;
}

/* A blit destination must be non-empty. */
static inline fib_status check_dst(fib_canvas_rect dst, fib_error *err)
{
    if (dst.w <= 0 || dst.h <= 0)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: destination %dx%d must be non-empty",
                             dst.w, dst.h);
    return FIB_OK;
}

#endif
