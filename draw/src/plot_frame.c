/*
 * plot_frame.c -- layout, axis ranges, ticks and chrome shared by the
 * charts of plot.c and plot_charts.c (plot_internal.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/plot.h"
#include "plot_internal.h"

/* ------------------------------------------------------------------ */
/* Layout and chrome shared by the charts                              */

int fib__plot_clamp_ts(int ts)
{
    return ts < 1 ? 1 : ts > FIB_TEXT_MAX_SCALE ? FIB_TEXT_MAX_SCALE : ts;
}

/* Place the data area inside r leaving room for the decorations. */
fib_status fib__plot_layout(frame *f, fib_canvas_rect r, int ts, bool title,
                            bool xlabel, bool ylabel, int left_w,
                            fib_error *err)
{
    f->r = r;
    f->ts = fib__plot_clamp_ts(ts);
    f->th = FIB_FONT_H * f->ts;
    f->pad = 4 * f->ts;
    f->tick = 4 * f->ts;
    const int top = f->pad + (title ? f->th + f->pad : 0) + f->th / 2;
    const int bottom =
        f->tick + f->pad / 2 + f->th + f->pad + (xlabel ? f->th + f->pad : 0);
    const int left =
        f->pad + (ylabel ? f->th + f->pad : 0) + left_w + f->pad / 2 + f->tick;
    const int right = f->pad + 2 * f->th;
    const fib_canvas_rect a = {r.x + left, r.y + top, r.w - left - right,
                               r.h - top - bottom};
    if (a.w < 16 || a.h < 16)
        return fib_error_set(err, FIB_EINVAL,
                             "plot: rectangle %dx%d is too small for axes and "
                             "labels at text scale %d (data area %dx%d)",
                             r.w, r.h, f->ts, a.w, a.h);
    f->ax.area = a;
    return FIB_OK;
}

int fib__plot_tick_target(int pixels, int per_tick)
{
    const int t = pixels / (per_tick > 0 ? per_tick : 1);
    return t < 2 ? 2 : t > 10 ? 10 : t;
}

/* Axis range: fixed [lo, hi] keeps its ends; else nice range of data. */
double fib__plot_axis_range(double dlo, double dhi, bool fixed, int target,
                            double *lo, double *hi)
{
    if (fixed) {
        *lo = dlo;
        *hi = dhi;
        return fib_plot_nice_number((dhi - dlo) / (target - 1), true);
    }
    return fib_plot_nice_range(dlo, dhi, target, lo, hi);
}

int fib__plot_y_label_width(double lo, double hi, double step, int ts)
{
    double t[MAX_TICKS];
    const size_t n = fib_plot_ticks(lo, hi, step, t, MAX_TICKS);
    int w = 0;
    for (size_t i = 0; i < n; i++) {
        char b[TICK_LABEL];
        fib_plot_format_tick(t[i], step, b, sizeof b);
        const int tw = fib_text_width(b, ts);
        if (tw > w)
            w = tw;
    }
    return w;
}

void fib__plot_draw_chrome(fib_canvas *c, const frame *f, const char *title,
                           const char *xlabel, const char *ylabel)
{
    const fib_canvas_rect a = f->ax.area;
    fib_canvas_fill_rect(c, f->r, COL_BG);
    if (title)
        fib_canvas_text_aligned(c, a.x + a.w / 2, f->r.y + f->pad, title, f->ts,
                                COL_TEXT, FIB_ALIGN_CENTER, FIB_ALIGN_START);
    if (xlabel)
        fib_canvas_text_aligned(c, a.x + a.w / 2, f->r.y + f->r.h - f->pad,
                                xlabel, f->ts, COL_TEXT, FIB_ALIGN_CENTER,
                                FIB_ALIGN_END);
    if (ylabel)
        fib_canvas_text_vertical(c, f->r.x + f->pad + f->th / 2, a.y + a.h / 2,
                                 ylabel, f->ts, COL_TEXT);
}

void fib__plot_draw_frame_box(fib_canvas *c, const frame *f)
{
    const fib_canvas_rect a = f->ax.area;
    const fib_canvas_rect box = {a.x - 1, a.y - 1, a.w + 2, a.h + 2};
    fib_canvas_rect_outline(c, box, COL_AXIS);
}

int fib__plot_px_floor(double v)
{
    if (!(v > -1e6))
        return -1000000;
    return v > 1e6 ? 1000000 : (int)floor(v);
}

/* Numeric x ticks with labels below the area and optional grid. */
void fib__plot_draw_x_ticks(fib_canvas *c, const frame *f, double step,
                            bool grid)
{
    const fib_canvas_rect a = f->ax.area;
    double t[MAX_TICKS];
    const size_t n =
        fib_plot_ticks(f->ax.x_min, f->ax.x_max, step, t, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        int x = fib__plot_px_floor(fib_plot_px_x(&f->ax, t[i]));
        if (x >= a.x + a.w)
            x = a.x + a.w - 1;
        if (grid)
            fib_canvas_line(c, x, a.y, x, a.y + a.h - 1, COL_GRID);
        fib_canvas_line(c, x, a.y + a.h, x, a.y + a.h + f->tick - 1, COL_AXIS);
        char b[TICK_LABEL];
        fib_plot_format_tick(t[i], step, b, sizeof b);
        fib_canvas_text_aligned(c, x, a.y + a.h + f->tick + f->pad / 2, b,
                                f->ts, COL_TEXT, FIB_ALIGN_CENTER,
                                FIB_ALIGN_START);
    }
}

void fib__plot_draw_y_ticks(fib_canvas *c, const frame *f, double step,
                            bool grid)
{
    const fib_canvas_rect a = f->ax.area;
    double t[MAX_TICKS];
    const size_t n =
        fib_plot_ticks(f->ax.y_min, f->ax.y_max, step, t, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        int y = fib__plot_px_floor(fib_plot_px_y(&f->ax, t[i]));
        if (y >= a.y + a.h)
            y = a.y + a.h - 1;
        if (grid)
            fib_canvas_line(c, a.x, y, a.x + a.w - 1, y, COL_GRID);
        fib_canvas_line(c, a.x - f->tick, y, a.x - 1, y, COL_AXIS);
        char b[TICK_LABEL];
        fib_plot_format_tick(t[i], step, b, sizeof b);
        fib_canvas_text_aligned(c, a.x - f->tick - f->pad / 2, y, b, f->ts,
                                COL_TEXT, FIB_ALIGN_END, FIB_ALIGN_CENTER);
    }
}

fib_status fib__plot_check_fixed(const char *what, double lo, double hi,
                                 fib_error *err)
{
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return fib_error_set(err, FIB_EINVAL,
                             "plot: %s range [%g, %g] must be finite with max "
                             "> min",
                             what, lo, hi);
    return FIB_OK;
}
