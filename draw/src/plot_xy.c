/*
 * plot_xy.c -- line/scatter charts on a fib_canvas (axes maths: plot.c;
 * the shared frame: plot_frame.c).  See fib/plot.h for contracts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/plot.h"
#include "plot_internal.h"

/* ------------------------------------------------------------------ */
/* Line / scatter chart                                                */

static fib_rgb series_color(const fib_plot_series *s, size_t i)
{
    return s->custom_color ? s->color : fib_palette_color(i);
}

static void draw_segment(fib_canvas *c, double x0, double y0, double x1,
                         double y1, double width, fib_rgb col)
{
    if (width > 1.5) {
        fib_canvas_thick_line(c, x0, y0, x1, y1, width, col);
        fib_canvas_fill_circle(c, x1, y1, 0.5 * width, col, 1.0);
    } else {
        fib_canvas_line_aa(c, x0, y0, x1, y1, col);
    }
}

static void draw_series(fib_canvas *c, const fib_plot_axes *ax,
                        const fib_plot_series *s, fib_rgb col)
{
    const double lw = s->line_width_px > 0.0 ? s->line_width_px : 1.0;
    const double mr = s->marker_radius_px > 0.0 ? s->marker_radius_px : 2.5;
    const bool line = s->style != FIB_PLOT_MARKERS;
    const bool marks =
        s->style == FIB_PLOT_MARKERS || s->style == FIB_PLOT_LINE_MARKERS;
    bool prev = false;
    double px0 = 0.0, py0 = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        const double xv = s->x ? s->x[i] : (double)i, yv = s->y[i];
        if (!isfinite(xv) || !isfinite(yv)) {
            prev = false;
            continue;
        }
        /* Keep far-away points finite and bounded for the rasteriser. */
        double px = fib_plot_px_x(ax, xv), py = fib_plot_px_y(ax, yv);
        px = px < -1e6 ? -1e6 : px > 1e6 ? 1e6 : px;
        py = py < -1e6 ? -1e6 : py > 1e6 ? 1e6 : py;
        if (line && prev) {
            if (s->style == FIB_PLOT_STEPS) {
                draw_segment(c, px0, py0, px, py0, lw, col);
                draw_segment(c, px, py0, px, py, lw, col);
            } else {
                draw_segment(c, px0, py0, px, py, lw, col);
            }
        }
        if (marks)
            fib_canvas_fill_circle(c, px, py, mr, col, 1.0);
        prev = true;
        px0 = px;
        py0 = py;
    }
}

static void draw_legend(fib_canvas *c, const frame *f,
                        const fib_plot_series *series, size_t n_series,
                        bool left)
{
    size_t n = 0;
    int tw = 0;
    for (size_t i = 0; i < n_series; i++)
        if (series[i].label) {
            n++;
            const int w = fib_text_width(series[i].label, f->ts);
            tw = w > tw ? w : tw;
        }
    if (n == 0)
        return;
    const int sw = 16 * f->ts, row = f->th + f->pad;
    const fib_canvas_rect a = f->ax.area;
    fib_canvas_rect box = {0, a.y + f->pad, sw + tw + 3 * f->pad,
                           (int)n * row + f->pad};
    box.x = left ? a.x + f->pad : a.x + a.w - f->pad - box.w;
    fib_canvas_fill_rect_alpha(c, box, COL_BG, 0.85);
    fib_canvas_rect_outline(c, box, 0xA0A0A0u);
    int y = box.y + f->pad;
    for (size_t i = 0; i < n_series; i++) {
        const fib_plot_series *s = &series[i];
        if (!s->label)
            continue;
        const fib_rgb col = series_color(s, i);
        const double cy = y + 0.5 * f->th;
        const double x0 = box.x + f->pad, x1 = x0 + sw;
        if (s->style != FIB_PLOT_MARKERS) {
            const double lw = s->line_width_px > 0.0 ? s->line_width_px : 1.0;
            if (lw > 1.5)
                fib_canvas_thick_line(c, x0, cy, x1, cy, lw, col);
            else
                fib_canvas_line(c, (int)x0, (int)cy, (int)x1 - 1, (int)cy, col);
        }
        if (s->style == FIB_PLOT_MARKERS || s->style == FIB_PLOT_LINE_MARKERS)
            fib_canvas_fill_circle(
                c, 0.5 * (x0 + x1), cy,
                s->marker_radius_px > 0.0 ? s->marker_radius_px : 2.5, col,
                1.0);
        fib_canvas_text(c, (int)x1 + f->pad, y, s->label, f->ts, COL_TEXT);
        y += row;
    }
}

fib_status fib_plot_xy(fib_canvas *c, fib_canvas_rect r,
                       const fib_plot_params *p, const fib_plot_series *series,
                       size_t n_series, fib_plot_axes *axes_out, fib_error *err)
{
    static const fib_plot_params defaults = {0};
    if (!c)
        return fib_error_set(err, FIB_EINVAL, "plot: canvas is NULL");
    if (!p)
        p = &defaults;
    if (n_series > 0 && !series)
        return fib_error_set(err, FIB_EINVAL, "plot: series array is NULL");
    const bool xfix = p->x_min != p->x_max, yfix = p->y_min != p->y_max;
    fib_status st;
    if (xfix &&
        (st = fib__plot_check_fixed("x", p->x_min, p->x_max, err)) != FIB_OK)
        return st;
    if (yfix &&
        (st = fib__plot_check_fixed("y", p->y_min, p->y_max, err)) != FIB_OK)
        return st;
    /* Data extent over finite points. */
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t k = 0; k < n_series; k++) {
        const fib_plot_series *s = &series[k];
        if (s->n > 0 && !s->y)
            return fib_error_set(err, FIB_EINVAL,
                                 "plot: series %zu has n = %zu but y is NULL",
                                 k, s->n);
        for (size_t i = 0; i < s->n; i++) {
            const double xv = s->x ? s->x[i] : (double)i, yv = s->y[i];
            if (!isfinite(xv) || !isfinite(yv))
                continue;
            xlo = xv < xlo ? xv : xlo;
            xhi = xv > xhi ? xv : xhi;
            ylo = yv < ylo ? yv : ylo;
            yhi = yv > yhi ? yv : yhi;
        }
    }
    if (!(xhi >= xlo))
        xlo = 0.0, xhi = 1.0;
    if (!(yhi >= ylo))
        ylo = 0.0, yhi = 1.0;
    if (xfix)
        xlo = p->x_min, xhi = p->x_max;
    if (yfix)
        ylo = p->y_min, yhi = p->y_max;

    frame f;
    const bool has_t = p->title, has_x = p->x_label, has_y = p->y_label;
    if ((st = fib__plot_layout(&f, r, p->text_scale, has_t, has_x, has_y, 0,
                               err)) != FIB_OK)
        return st;
    const int ty = fib__plot_tick_target(f.ax.area.h, 5 * f.th);
    double y0, y1;
    const double ystep = fib__plot_axis_range(ylo, yhi, yfix, ty, &y0, &y1);
    const int lw = fib__plot_y_label_width(y0, y1, ystep, f.ts);
    if ((st = fib__plot_layout(&f, r, p->text_scale, has_t, has_x, has_y, lw,
                               err)) != FIB_OK)
        return st;
    const int tx = fib__plot_tick_target(f.ax.area.w, 7 * f.th);
    double x0, x1;
    const double xstep = fib__plot_axis_range(xlo, xhi, xfix, tx, &x0, &x1);
    f.ax.x_min = x0, f.ax.x_max = x1, f.ax.y_min = y0, f.ax.y_max = y1;

    const fib_canvas_rect saved = fib_canvas_get_clip(c);
    fib_canvas_set_clip(c, r);
    fib__plot_draw_chrome(c, &f, p->title, p->x_label, p->y_label);
    fib__plot_draw_x_ticks(c, &f, xstep, !p->no_grid);
    fib__plot_draw_y_ticks(c, &f, ystep, !p->no_grid);
    if (p->zero_line && y0 < 0.0 && y1 > 0.0) {
        const int zy = fib__plot_px_floor(fib_plot_px_y(&f.ax, 0.0));
        fib_canvas_line(c, f.ax.area.x, zy, f.ax.area.x + f.ax.area.w - 1, zy,
                        COL_ZERO);
    }
    fib_canvas_set_clip(c, f.ax.area);
    for (size_t k = 0; k < n_series; k++)
        draw_series(c, &f.ax, &series[k], series_color(&series[k], k));
    fib_canvas_set_clip(c, r);
    fib__plot_draw_frame_box(c, &f);
    if (!p->no_legend)
        draw_legend(c, &f, series, n_series, p->legend_left);
    fib_canvas_set_clip(c, saved);
    if (axes_out)
        *axes_out = f.ax;
    return FIB_OK;
}
