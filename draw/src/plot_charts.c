/*
 * plot_charts.c -- timelines, histograms, bar charts, colour bars and
 * swatch legends on a fib_canvas.  See fib/plot.h for contracts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/plot.h"
#include "plot_internal.h"

/* ------------------------------------------------------------------ */
/* Timeline                                                            */

static bool is_light(fib_rgb col)
{
    return 0.299 * FIB_RGB_R(col) + 0.587 * FIB_RGB_G(col) +
               0.114 * FIB_RGB_B(col) >
           150.0;
}

fib_status fib_plot_timeline(fib_canvas *c, fib_canvas_rect r,
                             const fib_timeline_params *p,
                             const fib_timeline_segment *segs, size_t n_segs,
                             fib_plot_axes *axes_out, fib_error *err)
{
    if (!c || !p)
        return fib_error_set(err, FIB_EINVAL, "plot: timeline needs params");
    if (p->n_lanes == 0 || !p->lanes)
        return fib_error_set(err, FIB_EINVAL,
                             "plot: timeline needs n_lanes >= 1 lane names");
    if (n_segs > 0 && !segs)
        return fib_error_set(err, FIB_EINVAL, "plot: segment array is NULL");
    double tlo = 0.0, thi = -INFINITY;
    for (size_t i = 0; i < n_segs; i++) {
        const fib_timeline_segment *s = &segs[i];
        if (s->lane >= p->n_lanes)
            return fib_error_set(err, FIB_EINVAL,
                                 "plot: segment %zu lane %zu out of range "
                                 "(n_lanes %zu)",
                                 i, s->lane, p->n_lanes);
        if (!isfinite(s->start_min) || !isfinite(s->end_min))
            continue;
        if (s->end_min < s->start_min)
            return fib_error_set(err, FIB_EINVAL,
                                 "plot: segment %zu ends at %g min before its "
                                 "start %g min",
                                 i, s->end_min, s->start_min);
        tlo = s->start_min < tlo ? s->start_min : tlo;
        thi = s->end_min > thi ? s->end_min : thi;
    }
    if (!(thi > tlo))
        thi = tlo + 1.0;
    const bool fixed = p->t_min != p->t_max;
    fib_status st;
    if (fixed &&
        (st = fib__plot_check_fixed("time", p->t_min, p->t_max, err)) != FIB_OK)
        return st;
    if (fixed)
        tlo = p->t_min, thi = p->t_max;
    int lw = 0;
    for (size_t l = 0; l < p->n_lanes; l++) {
        const int w =
            fib_text_width(p->lanes[l], fib__plot_clamp_ts(p->text_scale));
        lw = w > lw ? w : lw;
    }
    frame f;
    const char *xl = p->x_label ? p->x_label : "time (min)";
    if ((st = fib__plot_layout(&f, r, p->text_scale, p->title != NULL, true,
                               false, lw, err)) != FIB_OK)
        return st;
    const fib_canvas_rect a = f.ax.area;
    double t0, t1;
    const double step = fib__plot_axis_range(
        tlo, thi, fixed, fib__plot_tick_target(a.w, 10 * f.th), &t0, &t1);
    f.ax.x_min = t0, f.ax.x_max = t1;
    f.ax.y_min = 0.0, f.ax.y_max = (double)p->n_lanes;

    const fib_canvas_rect saved = fib_canvas_get_clip(c);
    fib_canvas_set_clip(c, r);
    fib__plot_draw_chrome(c, &f, p->title, xl, NULL);
    fib__plot_draw_x_ticks(c, &f, step, !p->no_grid);
    const double lane_h = (double)a.h / (double)p->n_lanes;
    for (size_t l = 0; l < p->n_lanes; l++) {
        const int ly = a.y + (int)floor((double)l * lane_h);
        if (l > 0)
            fib_canvas_line(c, a.x, ly, a.x + a.w - 1, ly, COL_GRID);
        fib_canvas_text_aligned(c, a.x - f.tick - f.pad / 2,
                                a.y + (int)floor(((double)l + 0.5) * lane_h),
                                p->lanes[l], f.ts, COL_TEXT, FIB_ALIGN_END,
                                FIB_ALIGN_CENTER);
    }
    fib_canvas_set_clip(c, a);
    for (size_t i = 0; i < n_segs; i++) {
        const fib_timeline_segment *s = &segs[i];
        if (!isfinite(s->start_min) || !isfinite(s->end_min))
            continue;
        const fib_rgb col =
            s->custom_color ? s->color : fib_palette_color(s->category);
        const int xa =
            fib__plot_px_floor(fib_plot_px_x(&f.ax, s->start_min) + 0.5);
        int xb = fib__plot_px_floor(fib_plot_px_x(&f.ax, s->end_min) + 0.5);
        if (xb <= xa)
            xb = xa + 1;
        const int ya = a.y + (int)floor(((double)s->lane + 0.15) * lane_h);
        const int yb = a.y + (int)floor(((double)s->lane + 0.85) * lane_h);
        const fib_canvas_rect bar = {xa, ya, xb - xa,
                                     yb - ya > 1 ? yb - ya : 1};
        fib_canvas_fill_rect(c, bar, col);
        if (bar.w >= 3)
            fib_canvas_rect_outline(c, bar, fib_rgb_mix(COL_AXIS, col, 0.35));
        if (s->label && fib_text_width(s->label, f.ts) + 4 <= bar.w &&
            f.th + 2 <= bar.h)
            fib_canvas_text_aligned(c, bar.x + bar.w / 2, bar.y + bar.h / 2,
                                    s->label, f.ts,
                                    is_light(col) ? COL_TEXT : COL_BG,
                                    FIB_ALIGN_CENTER, FIB_ALIGN_CENTER);
    }
    fib_canvas_set_clip(c, r);
    fib__plot_draw_frame_box(c, &f);
    fib_canvas_set_clip(c, saved);
    if (axes_out)
        *axes_out = f.ax;
    return FIB_OK;
}

/* ------------------------------------------------------------------ */
/* Bars and histograms                                                 */

fib_status fib_histogram(const double *v, size_t n, double lo, double hi,
                         size_t bins, double *counts, size_t *n_counted,
                         fib_error *err)
{
    if ((!v && n > 0) || !counts)
        return fib_error_set(err, FIB_EINVAL, "plot: histogram array is NULL");
    if (bins == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "plot: histogram bins must be "
                             "> 0");
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return fib_error_set(err, FIB_EINVAL,
                             "plot: histogram range [%g, %g] must be finite "
                             "with hi > lo",
                             lo, hi);
    memset(counts, 0, bins * sizeof *counts);
    size_t used = 0;
    const double scale = (double)bins / (hi - lo);
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] >= lo && v[i] <= hi))
            continue;
        size_t b = (size_t)((v[i] - lo) * scale);
        if (b >= bins)
            b = bins - 1;
        counts[b] += 1.0;
        used++;
    }
    if (n_counted)
        *n_counted = used;
    return FIB_OK;
}

/* Categorical x labels of a bar chart, thinned so that they do not
 * overlap. */
static void bar_labels(fib_canvas *c, const frame *fr, const fib_bar_params *p,
                       size_t n)
{
    const frame f = *fr;
    const fib_canvas_rect a = f.ax.area;
    /* Categorical labels, thinned so that they do not overlap. */
    int maxw = 0;
    char b[TICK_LABEL];
    for (size_t i = 0; i < n; i++) {
        const char *s = p->bar_labels ? p->bar_labels[i] : NULL;
        if (!s) {
            (void)snprintf(b, sizeof b, "%zu", i);
            s = b;
        }
        const int w = fib_text_width(s, f.ts);
        maxw = w > maxw ? w : maxw;
    }
    const double per = (double)a.w / (double)n;
    size_t every = (size_t)ceil((maxw + f.pad) / per);
    every = every < 1 ? 1 : every;
    for (size_t i = 0; i < n; i += every) {
        const char *s = p->bar_labels ? p->bar_labels[i] : NULL;
        if (!s) {
            (void)snprintf(b, sizeof b, "%zu", i);
            s = b;
        }
        const int x = fib__plot_px_floor(fib_plot_px_x(&f.ax, (double)i));
        fib_canvas_line(c, x, a.y + a.h, x, a.y + a.h + f.tick - 1, COL_AXIS);
        fib_canvas_text_aligned(c, x, a.y + a.h + f.tick + f.pad / 2, s, f.ts,
                                COL_TEXT, FIB_ALIGN_CENTER, FIB_ALIGN_START);
    }
}

/* The bars (finite values only), filled with an edge when large enough. */
static void draw_bars(fib_canvas *c, const frame *fr, const fib_bar_params *p,
                      const double *values, size_t n, bool hist, int base)
{
    const frame f = *fr;
    const fib_rgb col = p->custom_color ? p->color : fib_palette_color(0);
    const fib_rgb edge = fib_rgb_mix(COL_AXIS, col, 0.35);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i]))
            continue;
        const double w = hist ? (p->x_max - p->x_min) / (double)n : 0.8;
        const double xl = hist ? p->x_min + (double)i * w : (double)i - 0.4;
        int xa = fib__plot_px_floor(fib_plot_px_x(&f.ax, xl) + 0.5);
        int xb = fib__plot_px_floor(fib_plot_px_x(&f.ax, xl + w) + 0.5);
        if (hist && xb - xa >= 4)
            xb--; /* one-pixel gap between neighbouring bins */
        if (xb <= xa)
            xb = xa + 1;
        const int yv =
            fib__plot_px_floor(fib_plot_px_y(&f.ax, values[i]) + 0.5);
        const int ya = yv < base ? yv : base, yb = yv < base ? base : yv;
        if (yb == ya)
            continue;
        const fib_canvas_rect bar = {xa, ya, xb - xa, yb - ya};
        fib_canvas_fill_rect(c, bar, col);
        if (bar.w >= 4 && bar.h >= 2)
            fib_canvas_rect_outline(c, bar, edge);
    }
}

fib_status fib_plot_bars(fib_canvas *c, fib_canvas_rect r,
                         const fib_bar_params *p, const double *values,
                         size_t n, fib_plot_axes *axes_out, fib_error *err)
{
    static const fib_bar_params defaults = {0};
    if (!c)
        return fib_error_set(err, FIB_EINVAL, "plot: canvas is NULL");
    if (!p)
        p = &defaults;
    if (n == 0 || !values)
        return fib_error_set(err, FIB_EINVAL,
                             "plot: bar chart needs n >= 1 values");
    if (!(p->y_max >= 0.0))
        return fib_error_set(err, FIB_EINVAL,
                             "plot: bar y_max must be >= 0 (got %g)", p->y_max);
    const bool hist = p->x_min < p->x_max;
    if (hist && (!isfinite(p->x_min) || !isfinite(p->x_max)))
        return fib_error_set(err, FIB_EINVAL,
                             "plot: bar x range must be finite");
    double vlo = 0.0, vhi = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(values[i])) {
            vlo = values[i] < vlo ? values[i] : vlo;
            vhi = values[i] > vhi ? values[i] : vhi;
        }
    if (p->y_max > 0.0)
        vhi = p->y_max;
    if (!(vhi > vlo))
        vhi = vlo + 1.0;
    frame f;
    fib_status st;
    const bool has_t = p->title, has_x = p->x_label, has_y = p->y_label;
    if ((st = fib__plot_layout(&f, r, p->text_scale, has_t, has_x, has_y, 0,
                               err)) != FIB_OK)
        return st;
    double y0, y1;
    const int ty = fib__plot_tick_target(f.ax.area.h, 5 * f.th);
    double ystep = fib_plot_nice_range(vlo, vhi, ty, &y0, &y1);
    if (p->y_max > 0.0) {
        y1 = p->y_max;
        ystep = fib_plot_nice_number((y1 - y0) / (ty - 1), true);
    }
    if ((st = fib__plot_layout(&f, r, p->text_scale, has_t, has_x, has_y,
                               fib__plot_y_label_width(y0, y1, ystep, f.ts),
                               err)) != FIB_OK)
        return st;
    const fib_canvas_rect a = f.ax.area;
    f.ax.y_min = y0, f.ax.y_max = y1;
    f.ax.x_min = hist ? p->x_min : -0.5;
    f.ax.x_max = hist ? p->x_max : (double)n - 0.5;

    const fib_canvas_rect saved = fib_canvas_get_clip(c);
    fib_canvas_set_clip(c, r);
    fib__plot_draw_chrome(c, &f, p->title, p->x_label, p->y_label);
    fib__plot_draw_y_ticks(c, &f, ystep, !p->no_grid);
    if (hist) {
        const double xstep = fib_plot_nice_number(
            (p->x_max - p->x_min) / (fib__plot_tick_target(a.w, 10 * f.th) - 1),
            true);
        fib__plot_draw_x_ticks(c, &f, xstep, false);
    } else {
        bar_labels(c, &f, p, n);
    }
    fib_canvas_set_clip(c, a);
    const int base = fib__plot_px_floor(fib_plot_px_y(&f.ax, 0.0) + 0.5);
    draw_bars(c, &f, p, values, n, hist, base);
    fib_canvas_set_clip(c, r);
    if (y0 < 0.0 && y1 > 0.0)
        fib_canvas_line(c, a.x, base, a.x + a.w - 1, base, COL_ZERO);
    fib__plot_draw_frame_box(c, &f);
    fib_canvas_set_clip(c, saved);
    if (axes_out)
        *axes_out = f.ax;
    return FIB_OK;
}

/* ------------------------------------------------------------------ */
/* Colour bars and swatch legends                                      */

fib_status fib_plot_colorbar(fib_canvas *c, fib_canvas_rect bar,
                             const fib_colorbar_params *p, fib_error *err)
{
    if (!c || !p)
        return fib_error_set(err, FIB_EINVAL, "plot: colorbar needs params");
    if (!isfinite(p->lo) || !isfinite(p->hi) || !(p->hi > p->lo))
        return fib_error_set(err, FIB_EINVAL,
                             "plot: colorbar range [%g, %g] must be finite "
                             "with hi > lo",
                             p->lo, p->hi);
    if (bar.w < 2 || bar.h < 8)
        return fib_error_set(err, FIB_EINVAL,
                             "plot: colorbar %dx%d is smaller than 2x8", bar.w,
                             bar.h);
    const int ts = fib__plot_clamp_ts(p->text_scale);
    const fib_rgb *lut = fib_colormap_lut(p->cmap);
    for (int j = 0; j < bar.h; j++) {
        /* Row j (top = 0) shows the value at its centre. */
        const double t = 1.0 - (j + 0.5) / bar.h;
        int k = (int)floor(t * 255.0 + 0.5);
        if (p->invert)
            k = 255 - k;
        const fib_canvas_rect row = {bar.x, bar.y + j, bar.w, 1};
        fib_canvas_fill_rect(c, row, lut[k]);
    }
    const fib_canvas_rect box = {bar.x - 1, bar.y - 1, bar.w + 2, bar.h + 2};
    fib_canvas_rect_outline(c, box, COL_AXIS);
    const fib_plot_axes ax = {bar, 0.0, 1.0, p->lo, p->hi};
    const int target = fib__plot_tick_target(bar.h, 5 * FIB_FONT_H * ts);
    const double step =
        fib_plot_nice_number((p->hi - p->lo) / (target - 1), true);
    double t[MAX_TICKS];
    const size_t n = fib_plot_ticks(p->lo, p->hi, step, t, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        int y = fib__plot_px_floor(fib_plot_px_y(&ax, t[i]));
        y = y >= bar.y + bar.h ? bar.y + bar.h - 1 : y;
        fib_canvas_line(c, bar.x + bar.w, y, bar.x + bar.w + 3 * ts, y,
                        COL_AXIS);
        char b[TICK_LABEL];
        fib_plot_format_tick(t[i], step, b, sizeof b);
        fib_canvas_text_aligned(c, bar.x + bar.w + 7 * ts, y, b, ts, COL_TEXT,
                                FIB_ALIGN_START, FIB_ALIGN_CENTER);
    }
    if (p->title)
        fib_canvas_text_aligned(c, bar.x, bar.y - 4 * ts, p->title, ts,
                                COL_TEXT, FIB_ALIGN_START, FIB_ALIGN_END);
    return FIB_OK;
}

fib_canvas_rect fib_plot_swatch_legend(fib_canvas *c, int x, int y,
                                       const char *const *names,
                                       const fib_rgb *colors, size_t n,
                                       int text_scale)
{
    fib_canvas_rect box = {x, y, 0, 0};
    if (!c || n == 0)
        return box;
    const int ts = fib__plot_clamp_ts(text_scale), th = FIB_FONT_H * ts,
              pad = 4 * ts;
    const size_t rows = n > 1000 ? 1000 : n;
    int tw = 0;
    for (size_t i = 0; i < rows; i++) {
        const int w = fib_text_width(names ? names[i] : NULL, ts);
        tw = w > tw ? w : tw;
    }
    box.w = th + tw + 3 * pad;
    box.h = (int)rows * (th + pad) + pad;
    fib_canvas_fill_rect_alpha(c, box, COL_BG, 0.85);
    fib_canvas_rect_outline(c, box, 0xA0A0A0u);
    for (size_t i = 0; i < rows; i++) {
        const int ry = y + pad + (int)i * (th + pad);
        const fib_canvas_rect sw = {x + pad, ry, th, th};
        fib_canvas_fill_rect(c, sw, colors ? colors[i] : fib_palette_color(i));
        fib_canvas_rect_outline(c, sw, COL_AXIS);
        if (names && names[i])
            fib_canvas_text(c, x + 2 * pad + th, ry, names[i], ts, COL_TEXT);
    }
    return box;
}
