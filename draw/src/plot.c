/*
 * plot.c -- line/scatter charts, timelines and bar charts on a fib_canvas.
 * See fib/plot.h for contracts.  Axis ranges and ticks follow Heckbert's
 * nice-number labelling (Graphics Gems I, 1990).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/plot.h"

#define COL_AXIS ((fib_rgb)0x000000u)
#define COL_TEXT ((fib_rgb)0x000000u)
#define COL_GRID ((fib_rgb)0xDDDDDDu)
#define COL_ZERO ((fib_rgb)0x606060u)
#define COL_BG ((fib_rgb)0xFFFFFFu)

enum { MAX_TICKS = 64, TICK_LABEL = 32 };

/* ------------------------------------------------------------------ */
/* Nice numbers                                                        */

double fib_plot_nice_number(double x, bool round_nearest)
{
    if (!(x > 0.0) || !isfinite(x))
        return 0.0;
    const double e = floor(log10(x));
    const double p = pow(10.0, e);
    const double f = x / p;
    double nf;
    if (round_nearest)
        nf = f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0;
    else
        nf = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
    return nf * p;
}

/* Widen a degenerate range. */
static void widen(double *lo, double *hi)
{
    if (*hi > *lo)
        return;
    const double d = *lo == 0.0 ? 1.0 : 0.1 * fabs(*lo);
    *lo -= d;
    *hi += d;
}

double fib_plot_nice_range(double lo, double hi, int target, double *nice_lo,
                           double *nice_hi)
{
    if (!isfinite(lo) || !isfinite(hi))
        return 0.0;
    if (hi < lo) {
        const double t = lo;
        lo = hi;
        hi = t;
    }
    widen(&lo, &hi);
    if (target < 2)
        target = 2;
    const double range = fib_plot_nice_number(hi - lo, false);
    const double step = fib_plot_nice_number(range / (target - 1), true);
    if (!(step > 0.0))
        return 0.0;
    if (nice_lo)
        *nice_lo = floor(lo / step + 1e-9) * step;
    if (nice_hi)
        *nice_hi = ceil(hi / step - 1e-9) * step;
    return step;
}

size_t fib_plot_ticks(double lo, double hi, double step, double *ticks,
                      size_t max_ticks)
{
    if (!ticks || !(step > 0.0) || !isfinite(lo) || !isfinite(hi) ||
        !(hi >= lo) || !isfinite(step))
        return 0;
    const double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    if (!(k1 - k0 < 1e6))
        return 0;
    size_t n = 0;
    for (double k = k0; k <= k1 && n < max_ticks; k += 1.0) {
        double v = k * step;
        if (fabs(v) < 1e-9 * step)
            v = 0.0;
        ticks[n++] = v;
    }
    return n;
}

void fib_plot_format_tick(double v, double step, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    if (fabs(v) < 1e-9 * fabs(step))
        v = 0.0;
    v += 0.0; /* turns -0.0 into +0.0 */
    const double a = fabs(v);
    if ((a >= 1e6 || (step > 0.0 && step < 1e-4)) && v != 0.0) {
        (void)snprintf(buf, n, "%.3g", v);
        return;
    }
    int dec = 0;
    if (step > 0.0 && step < 1.0)
        dec = (int)ceil(-log10(step) - 1e-9);
    if (dec > 6)
        dec = 6;
    (void)snprintf(buf, n, "%.*f", dec, v);
    if (strcmp(buf, "-0") == 0 ||
        (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
        memmove(buf, buf + 1, strlen(buf));
}

double fib_plot_px_x(const fib_plot_axes *a, double x)
{
    return a->area.x + (x - a->x_min) / (a->x_max - a->x_min) * a->area.w;
}

double fib_plot_px_y(const fib_plot_axes *a, double y)
{
    return a->area.y + a->area.h -
           (y - a->y_min) / (a->y_max - a->y_min) * a->area.h;
}

/* ------------------------------------------------------------------ */
/* Layout and chrome shared by the charts                              */

typedef struct frame {
    fib_canvas_rect r; /* whole chart */
    int ts, th, pad, tick;
    fib_plot_axes ax;
} frame;

static int clamp_ts(int ts)
{
    return ts < 1 ? 1 : ts > FIB_TEXT_MAX_SCALE ? FIB_TEXT_MAX_SCALE : ts;
}

/* Place the data area inside r leaving room for the decorations. */
static fib_status layout(frame *f, fib_canvas_rect r, int ts, bool title,
                         bool xlabel, bool ylabel, int left_w, fib_error *err)
{
    f->r = r;
    f->ts = clamp_ts(ts);
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

static int tick_target(int pixels, int per_tick)
{
    const int t = pixels / (per_tick > 0 ? per_tick : 1);
    return t < 2 ? 2 : t > 10 ? 10 : t;
}

/* Axis range: fixed [lo, hi] keeps its ends; else nice range of data. */
static double axis_range(double dlo, double dhi, bool fixed, int target,
                         double *lo, double *hi)
{
    if (fixed) {
        *lo = dlo;
        *hi = dhi;
        return fib_plot_nice_number((dhi - dlo) / (target - 1), true);
    }
    return fib_plot_nice_range(dlo, dhi, target, lo, hi);
}

static int y_label_width(double lo, double hi, double step, int ts)
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

static void draw_chrome(fib_canvas *c, const frame *f, const char *title,
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

static void draw_frame_box(fib_canvas *c, const frame *f)
{
    const fib_canvas_rect a = f->ax.area;
    const fib_canvas_rect box = {a.x - 1, a.y - 1, a.w + 2, a.h + 2};
    fib_canvas_rect_outline(c, box, COL_AXIS);
}

static int px_floor(double v)
{
    if (!(v > -1e6))
        return -1000000;
    return v > 1e6 ? 1000000 : (int)floor(v);
}

/* Numeric x ticks with labels below the area and optional grid. */
static void draw_x_ticks(fib_canvas *c, const frame *f, double step, bool grid)
{
    const fib_canvas_rect a = f->ax.area;
    double t[MAX_TICKS];
    const size_t n =
        fib_plot_ticks(f->ax.x_min, f->ax.x_max, step, t, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        int x = px_floor(fib_plot_px_x(&f->ax, t[i]));
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

static void draw_y_ticks(fib_canvas *c, const frame *f, double step, bool grid)
{
    const fib_canvas_rect a = f->ax.area;
    double t[MAX_TICKS];
    const size_t n =
        fib_plot_ticks(f->ax.y_min, f->ax.y_max, step, t, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        int y = px_floor(fib_plot_px_y(&f->ax, t[i]));
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

static fib_status check_fixed(const char *what, double lo, double hi,
                              fib_error *err)
{
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return fib_error_set(err, FIB_EINVAL,
                             "plot: %s range [%g, %g] must be finite with max "
                             "> min",
                             what, lo, hi);
    return FIB_OK;
}

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
    if (xfix && (st = check_fixed("x", p->x_min, p->x_max, err)) != FIB_OK)
        return st;
    if (yfix && (st = check_fixed("y", p->y_min, p->y_max, err)) != FIB_OK)
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
    if ((st = layout(&f, r, p->text_scale, has_t, has_x, has_y, 0, err)) !=
        FIB_OK)
        return st;
    const int ty = tick_target(f.ax.area.h, 5 * f.th);
    double y0, y1;
    const double ystep = axis_range(ylo, yhi, yfix, ty, &y0, &y1);
    const int lw = y_label_width(y0, y1, ystep, f.ts);
    if ((st = layout(&f, r, p->text_scale, has_t, has_x, has_y, lw, err)) !=
        FIB_OK)
        return st;
    const int tx = tick_target(f.ax.area.w, 7 * f.th);
    double x0, x1;
    const double xstep = axis_range(xlo, xhi, xfix, tx, &x0, &x1);
    f.ax.x_min = x0, f.ax.x_max = x1, f.ax.y_min = y0, f.ax.y_max = y1;

    const fib_canvas_rect saved = fib_canvas_get_clip(c);
    fib_canvas_set_clip(c, r);
    draw_chrome(c, &f, p->title, p->x_label, p->y_label);
    draw_x_ticks(c, &f, xstep, !p->no_grid);
    draw_y_ticks(c, &f, ystep, !p->no_grid);
    if (p->zero_line && y0 < 0.0 && y1 > 0.0) {
        const int zy = px_floor(fib_plot_px_y(&f.ax, 0.0));
        fib_canvas_line(c, f.ax.area.x, zy, f.ax.area.x + f.ax.area.w - 1, zy,
                        COL_ZERO);
    }
    fib_canvas_set_clip(c, f.ax.area);
    for (size_t k = 0; k < n_series; k++)
        draw_series(c, &f.ax, &series[k], series_color(&series[k], k));
    fib_canvas_set_clip(c, r);
    draw_frame_box(c, &f);
    if (!p->no_legend)
        draw_legend(c, &f, series, n_series, p->legend_left);
    fib_canvas_set_clip(c, saved);
    if (axes_out)
        *axes_out = f.ax;
    return FIB_OK;
}

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
    if (fixed && (st = check_fixed("time", p->t_min, p->t_max, err)) != FIB_OK)
        return st;
    if (fixed)
        tlo = p->t_min, thi = p->t_max;
    int lw = 0;
    for (size_t l = 0; l < p->n_lanes; l++) {
        const int w = fib_text_width(p->lanes[l], clamp_ts(p->text_scale));
        lw = w > lw ? w : lw;
    }
    frame f;
    const char *xl = p->x_label ? p->x_label : "time (min)";
    if ((st = layout(&f, r, p->text_scale, p->title != NULL, true, false, lw,
                     err)) != FIB_OK)
        return st;
    const fib_canvas_rect a = f.ax.area;
    double t0, t1;
    const double step =
        axis_range(tlo, thi, fixed, tick_target(a.w, 10 * f.th), &t0, &t1);
    f.ax.x_min = t0, f.ax.x_max = t1;
    f.ax.y_min = 0.0, f.ax.y_max = (double)p->n_lanes;

    const fib_canvas_rect saved = fib_canvas_get_clip(c);
    fib_canvas_set_clip(c, r);
    draw_chrome(c, &f, p->title, xl, NULL);
    draw_x_ticks(c, &f, step, !p->no_grid);
    const double lane_h = (double)a.h / (double)p->n_lanes;
    for (size_t l = 0; l < p->n_lanes; l++) {
        const int ly = a.y + (int)floor(l * lane_h);
        if (l > 0)
            fib_canvas_line(c, a.x, ly, a.x + a.w - 1, ly, COL_GRID);
        fib_canvas_text_aligned(
            c, a.x - f.tick - f.pad / 2, a.y + (int)floor((l + 0.5) * lane_h),
            p->lanes[l], f.ts, COL_TEXT, FIB_ALIGN_END, FIB_ALIGN_CENTER);
    }
    fib_canvas_set_clip(c, a);
    for (size_t i = 0; i < n_segs; i++) {
        const fib_timeline_segment *s = &segs[i];
        if (!isfinite(s->start_min) || !isfinite(s->end_min))
            continue;
        const fib_rgb col =
            s->custom_color ? s->color : fib_palette_color(s->category);
        const int xa = px_floor(fib_plot_px_x(&f.ax, s->start_min) + 0.5);
        int xb = px_floor(fib_plot_px_x(&f.ax, s->end_min) + 0.5);
        if (xb <= xa)
            xb = xa + 1;
        const int ya = a.y + (int)floor((s->lane + 0.15) * lane_h);
        const int yb = a.y + (int)floor((s->lane + 0.85) * lane_h);
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
    draw_frame_box(c, &f);
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
    if ((st = layout(&f, r, p->text_scale, has_t, has_x, has_y, 0, err)) !=
        FIB_OK)
        return st;
    double y0, y1;
    const int ty = tick_target(f.ax.area.h, 5 * f.th);
    double ystep = fib_plot_nice_range(vlo, vhi, ty, &y0, &y1);
    if (p->y_max > 0.0) {
        y1 = p->y_max;
        ystep = fib_plot_nice_number((y1 - y0) / (ty - 1), true);
    }
    if ((st = layout(&f, r, p->text_scale, has_t, has_x, has_y,
                     y_label_width(y0, y1, ystep, f.ts), err)) != FIB_OK)
        return st;
    const fib_canvas_rect a = f.ax.area;
    f.ax.y_min = y0, f.ax.y_max = y1;
    f.ax.x_min = hist ? p->x_min : -0.5;
    f.ax.x_max = hist ? p->x_max : (double)n - 0.5;

    const fib_canvas_rect saved = fib_canvas_get_clip(c);
    fib_canvas_set_clip(c, r);
    draw_chrome(c, &f, p->title, p->x_label, p->y_label);
    draw_y_ticks(c, &f, ystep, !p->no_grid);
    if (hist) {
        const double xstep = fib_plot_nice_number(
            (p->x_max - p->x_min) / (tick_target(a.w, 10 * f.th) - 1), true);
        draw_x_ticks(c, &f, xstep, false);
    } else {
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
            const int x = px_floor(fib_plot_px_x(&f.ax, (double)i));
            fib_canvas_line(c, x, a.y + a.h, x, a.y + a.h + f.tick - 1,
                            COL_AXIS);
            fib_canvas_text_aligned(c, x, a.y + a.h + f.tick + f.pad / 2, s,
                                    f.ts, COL_TEXT, FIB_ALIGN_CENTER,
                                    FIB_ALIGN_START);
        }
    }
    fib_canvas_set_clip(c, a);
    const fib_rgb col = p->custom_color ? p->color : fib_palette_color(0);
    const fib_rgb edge = fib_rgb_mix(COL_AXIS, col, 0.35);
    const int base = px_floor(fib_plot_px_y(&f.ax, 0.0) + 0.5);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i]))
            continue;
        const double w = hist ? (p->x_max - p->x_min) / (double)n : 0.8;
        const double xl = hist ? p->x_min + (double)i * w : (double)i - 0.4;
        int xa = px_floor(fib_plot_px_x(&f.ax, xl) + 0.5);
        int xb = px_floor(fib_plot_px_x(&f.ax, xl + w) + 0.5);
        if (hist && xb - xa >= 4)
            xb--; /* one-pixel gap between neighbouring bins */
        if (xb <= xa)
            xb = xa + 1;
        const int yv = px_floor(fib_plot_px_y(&f.ax, values[i]) + 0.5);
        const int ya = yv < base ? yv : base, yb = yv < base ? base : yv;
        if (yb == ya)
            continue;
        const fib_canvas_rect bar = {xa, ya, xb - xa, yb - ya};
        fib_canvas_fill_rect(c, bar, col);
        if (bar.w >= 4 && bar.h >= 2)
            fib_canvas_rect_outline(c, bar, edge);
    }
    fib_canvas_set_clip(c, r);
    if (y0 < 0.0 && y1 > 0.0)
        fib_canvas_line(c, a.x, base, a.x + a.w - 1, base, COL_ZERO);
    draw_frame_box(c, &f);
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
    const int ts = clamp_ts(p->text_scale);
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
    const int target = tick_target(bar.h, 5 * FIB_FONT_H * ts);
    const double step =
        fib_plot_nice_number((p->hi - p->lo) / (target - 1), true);
    double t[MAX_TICKS];
    const size_t n = fib_plot_ticks(p->lo, p->hi, step, t, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        int y = px_floor(fib_plot_px_y(&ax, t[i]));
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
    const int ts = clamp_ts(text_scale), th = FIB_FONT_H * ts, pad = 4 * ts;
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
