/*
 * canvas_text.c -- bitmap text and scale bars on a canvas.  See
 * fib/canvas.h for contracts.
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
/* Text                                                                */

static int clamp_scale(int scale)
{
    return scale < 1                    ? 1
           : scale > FIB_TEXT_MAX_SCALE ? FIB_TEXT_MAX_SCALE
                                        : scale;
}

int fib_text_width(const char *s, int scale)
{
    if (!s)
        return 0;
    scale = clamp_scale(scale);
    size_t best = 0, cur = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            cur = 0;
            continue;
        }
        if (++cur > best)
            best = cur;
    }
    if (best > 100000)
        best = 100000;
    return (int)best * FIB_FONT_W * scale;
}

int fib_text_height(const char *s, int scale)
{
    if (!s || !*s)
        return 0;
    scale = clamp_scale(scale);
    int lines = 1;
    for (; *s && lines < 10000; s++)
        lines += *s == '\n';
    return lines * FIB_FONT_H * scale;
}

static const uint8_t *glyph(unsigned char ch)
{
    if (ch < 32 || ch > 126)
        ch = '?';
    return fib__font8x8[ch - 32];
}

/* Draw the glyph of @p ch; (u, v) glyph pixel maps to (x + u, y + v) or,
 * when @p vertical, to (x + v, y - u) (rotated counter-clockwise). */
static void draw_glyph(fib_canvas *c, int x, int y, unsigned char ch, int scale,
                       fib_rgb color, bool vertical)
{
    const uint8_t *g = glyph(ch);
    for (int row = 0; row < FIB_FONT_H; row++)
        for (int col = 0; col < FIB_FONT_W; col++) {
            if (!((g[row] >> col) & 1u))
                continue;
            for (int a = 0; a < scale; a++)
                for (int b = 0; b < scale; b++) {
                    const int u = col * scale + a, v = row * scale + b;
                    if (vertical)
                        fib_canvas_set(c, x + v, y - u, color);
                    else
                        fib_canvas_set(c, x + u, y + v, color);
                }
        }
}

int fib_canvas_text(fib_canvas *c, int x, int y, const char *s, int scale,
                    fib_rgb color)
{
    if (!s)
        return 0;
    scale = clamp_scale(scale);
    const int adv = FIB_FONT_W * scale;
    int cx = x, cy = y;
    for (const char *q = s; *q; q++) {
        if (*q == '\n') {
            cx = x;
            cy += FIB_FONT_H * scale;
            continue;
        }
        if (cx > c->cx1 || cy > c->cy1)
            continue;
        if (cx + adv >= 0 && cy + FIB_FONT_H * scale >= 0)
            draw_glyph(c, cx, cy, (unsigned char)*q, scale, color, false);
        cx += adv;
    }
    return fib_text_width(s, scale);
}

void fib_canvas_text_aligned(fib_canvas *c, int x, int y, const char *s,
                             int scale, fib_rgb color, fib_text_align halign,
                             fib_text_align valign)
{
    const int w = fib_text_width(s, scale), h = fib_text_height(s, scale);
    if (halign == FIB_ALIGN_CENTER)
        x -= w / 2;
    else if (halign == FIB_ALIGN_END)
        x -= w;
    if (valign == FIB_ALIGN_CENTER)
        y -= h / 2;
    else if (valign == FIB_ALIGN_END)
        y -= h;
    fib_canvas_text(c, x, y, s, scale, color);
}

fib_canvas_rect fib_canvas_text_box(fib_canvas *c, int x, int y, const char *s,
                                    int scale, fib_rgb fg, fib_rgb bg,
                                    double bg_alpha, int pad_px)
{
    const int pad = pad_px > 0 ? pad_px : 0;
    const fib_canvas_rect box = {x, y, fib_text_width(s, scale) + 2 * pad,
                                 fib_text_height(s, scale) + 2 * pad};
    fib_canvas_fill_rect_alpha(c, box, bg, bg_alpha);
    fib_canvas_text(c, x + pad, y + pad, s, scale, fg);
    return box;
}

void fib_canvas_text_vertical(fib_canvas *c, int cx, int cy, const char *s,
                              int scale, fib_rgb color)
{
    if (!s)
        return;
    scale = clamp_scale(scale);
    const int len = fib_text_width(s, scale);
    const int x = cx - FIB_FONT_H * scale / 2;
    int y = cy + len / 2 - 1; /* bottom of the first glyph */
    for (const char *q = s; *q; q++) {
        draw_glyph(c, x, y, (unsigned char)*q, scale, color, true);
        y -= FIB_FONT_W * scale;
    }
}

/* ------------------------------------------------------------------ */
/* Scale bar                                                           */

double fib_scale_bar_pick_nm(double width_nm, double fraction)
{
    if (!(width_nm > 0.0) || !(fraction > 0.0) || !isfinite(width_nm))
        return 0.0;
    const double target = width_nm * fraction;
    /* The 1e-9 guards exact decades against log10 rounding. */
    const double k = floor(log10(target) + 1e-9);
    const double decade = pow(10.0, k);
    const double m = target / decade * (1.0 + 1e-9);
    const double pick = m >= 5.0 ? 5.0 : m >= 2.0 ? 2.0 : 1.0;
    return pick * decade;
}

void fib_format_length_nm(double length_nm, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    const double a = fabs(length_nm);
    if (a >= 1e6)
        (void)snprintf(buf, n, "%g mm", length_nm / 1e6);
    else if (a >= 1e3)
        (void)snprintf(buf, n, "%g um", length_nm / 1e3);
    else
        (void)snprintf(buf, n, "%g nm", length_nm);
}

fib_status fib_canvas_scale_bar(fib_canvas *c, fib_canvas_rect image_rect,
                                const fib_scale_bar_params *p,
                                double *length_nm_out, int *length_px_out,
                                fib_error *err)
{
    if (!c || !p)
        return fib_error_set(err, FIB_EINVAL, "canvas: scale bar needs params");
    if (!(p->width_nm > 0.0) || !isfinite(p->width_nm))
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: scale bar width_nm must be > 0 (got %g)",
                             p->width_nm);
    const double frac = p->fraction == 0.0 ? 0.2 : p->fraction;
    if (!(frac > 0.0) || frac > 1.0)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: scale bar fraction must be in (0, 1] "
                             "(got %g)",
                             frac);
    fib_status st = check_dst(image_rect, err);
    if (st != FIB_OK)
        return st;
    const int ts = clamp_scale(p->text_scale);
    const double len_nm = fib_scale_bar_pick_nm(p->width_nm, frac);
    int len_px = (int)floor(len_nm / p->width_nm * image_rect.w + 0.5);
    if (len_px < 1)
        len_px = 1;
    char label[32];
    fib_format_length_nm(len_nm, label, sizeof label);
    const int bar_h =
        p->bar_height_px > 0.0 ? (int)floor(p->bar_height_px + 0.5) : 4 * ts;
    const int pad = 3 * ts, gap = 2 * ts;
    const int tw = fib_text_width(label, ts), th = fib_text_height(label, ts);
    const int box_w = (tw > len_px ? tw : len_px) + 2 * pad;
    const int box_h = th + gap + bar_h + 2 * pad;
    const int margin = 2 * pad;
    fib_canvas_rect box = {0, image_rect.y + image_rect.h - margin - box_h,
                           box_w, box_h};
    box.x = p->bottom_left ? image_rect.x + margin
                           : image_rect.x + image_rect.w - margin - box_w;
    const fib_rgb fg = p->dark ? FIB_RGB_BLACK : FIB_RGB_WHITE;
    const fib_rgb bg = p->dark ? FIB_RGB_WHITE : FIB_RGB_BLACK;
    const double box_alpha = p->box_alpha > 0.0 ? p->box_alpha : 0.6;
    fib_canvas_fill_rect_alpha(c, box, bg, box_alpha);
    const int cxm = box.x + box_w / 2;
    fib_canvas_text(c, cxm - tw / 2, box.y + pad, label, ts, fg);
    const fib_canvas_rect bar = {cxm - len_px / 2, box.y + pad + th + gap,
                                 len_px, bar_h};
    fib_canvas_fill_rect(c, bar, fg);
    if (length_nm_out)
        *length_nm_out = len_nm;
    if (length_px_out)
        *length_px_out = len_px;
    return FIB_OK;
}
