/*
 * fib/plot.h -- small charts drawn into a rectangle of a fib_canvas: line /
 * scatter charts (drift vs slice, energy sweeps), a horizontal timeline
 * (Gantt) with lanes (session timelines: "Ga", "Xe"), and bar charts /
 * histograms (distributions).
 *
 * Usage: fill a params struct (all-zero = defaults) and arrays, then call
 * fib_plot_xy(), fib_plot_timeline() or fib_plot_bars() with the canvas
 * rectangle to draw into.  Each chart paints its rectangle white, then the
 * axes (black), grid (light grey), tick labels, titles and data, all clipped
 * to the rectangle.  Text is the canvas 8x8 font at params.text_scale.
 * Non-finite data points are skipped (a line series is broken at them).
 * The optional fib_plot_axes output tells where the data area landed, so
 * callers can add annotations with fib_plot_px_x()/fib_plot_px_y().
 *
 * Thread-safety: as fib/canvas.h.  Nothing is allocated.
 */
#ifndef FIB_PLOT_H
#define FIB_PLOT_H

#include "fib/canvas.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Nice numbers (Heckbert, "Nice numbers for graph labels", Graphics   */
/* Gems I, 1990, pp. 61-63)                                            */

/** A 1, 2, 5 or 10 x 10^k close to @p x > 0: rounded to nearest when
 *  @p round_nearest, else the smallest such value >= x.  0 for x not > 0. */
FIB_API double fib_plot_nice_number(double x, bool round_nearest);

/**
 * Expand [lo, hi] to a nice axis range for about @p target ticks (>= 2):
 * step = nice(nice(hi - lo) / (target - 1), rounded), *nice_lo =
 * floor(lo / step) * step, *nice_hi = ceil(hi / step) * step.  lo == hi is
 * widened by 1 (or 10% of |lo|) on each side first.  Returns the step, 0
 * for non-finite input (outputs untouched).
 */
FIB_API double fib_plot_nice_range(double lo, double hi, int target,
                                   double *nice_lo, double *nice_hi);

/**
 * The multiples of @p step inside [lo, hi] (inclusive to 1e-9 of a step),
 * at most @p max_ticks of them written to @p ticks (tiny values snapped to
 * exactly 0).  Returns the count written; 0 for bad input.
 */
FIB_API size_t fib_plot_ticks(double lo, double hi, double step, double *ticks,
                              size_t max_ticks);

/** Format a tick value with as many decimals as @p step needs ("%.*f"),
 *  or "%.3g" for very large/small magnitudes; "-0" never appears. */
FIB_API void fib_plot_format_tick(double v, double step, char *buf, size_t n);

/* ------------------------------------------------------------------ */

/** Where a chart's data area landed and which data range it shows. */
typedef struct fib_plot_axes {
    fib_canvas_rect area; /**< data area inside the axes, pixels */
    double x_min, x_max;  /**< data at the left / right edge of area */
    double y_min, y_max;  /**< data at the bottom / top edge of area */
} fib_plot_axes;

/** Continuous canvas x of data value @p x (left edge of area = x_min). */
FIB_API double fib_plot_px_x(const fib_plot_axes *a, double x);
/** Continuous canvas y of data value @p y (bottom edge of area = y_min). */
FIB_API double fib_plot_px_y(const fib_plot_axes *a, double y);

typedef enum fib_plot_style {
    FIB_PLOT_LINE = 0,         /**< antialiased polyline */
    FIB_PLOT_MARKERS = 1,      /**< filled discs */
    FIB_PLOT_LINE_MARKERS = 2, /**< both */
    FIB_PLOT_STEPS = 3         /**< step line (value held until next x) */
} fib_plot_style;

/** One data series of fib_plot_xy(). */
typedef struct fib_plot_series {
    const double *x;         /**< n values; NULL means x = 0, 1, 2, ... */
    const double *y;         /**< n values (required when n > 0) */
    size_t n;                /**< number of points */
    const char *label;       /**< legend text; NULL keeps it out */
    fib_plot_style style;    /**< default FIB_PLOT_LINE */
    bool custom_color;       /**< use @p color, else palette[series index] */
    fib_rgb color;           /**< see custom_color */
    double line_width_px;    /**< 0 means 1 (antialiased); > 1.5 is thick */
    double marker_radius_px; /**< 0 means 2.5 */
} fib_plot_series;

/** Chart decorations and ranges; all-zero = automatic. */
typedef struct fib_plot_params {
    const char *title;   /**< NULL: none */
    const char *x_label; /**< axis title below the x axis; NULL: none */
    const char *y_label; /**< vertical axis title; NULL: none */
    double x_min, x_max; /**< x_min == x_max: from the data, nice range */
    double y_min, y_max; /**< y_min == y_max: from the data, nice range */
    int text_scale;      /**< 1..4; 0 means 1 */
    bool no_grid;        /**< no light grid lines at the ticks */
    bool no_legend;      /**< no legend even when series have labels */
    bool legend_left;    /**< legend at top-left instead of top-right */
    bool zero_line;      /**< draw y = 0 in dark grey when in range */
} fib_plot_params;

/**
 * Line / scatter chart of @p n_series series into rectangle @p r.
 * Errors: FIB_EINVAL (NULL canvas/params, a series with n > 0 and y NULL,
 * a fixed range with max < min or non-finite, @p r too small for the
 * decorations: the message names the size).  @p axes_out may be NULL.
 */
FIB_API FIB_NODISCARD fib_status fib_plot_xy(fib_canvas *c, fib_canvas_rect r,
                                             const fib_plot_params *p,
                                             const fib_plot_series *series,
                                             size_t n_series,
                                             fib_plot_axes *axes_out,
                                             fib_error *err);

/* ------------------------------------------------------------------ */

/** One coloured bar of a timeline. */
typedef struct fib_timeline_segment {
    size_t lane;       /**< index into params.lanes */
    double start_min;  /**< start time, minutes */
    double end_min;    /**< end time, minutes (>= start_min) */
    const char *label; /**< drawn centred inside when it fits */
    size_t category;   /**< colour: fib_palette_color(category) */
    bool custom_color; /**< use @p color instead */
    fib_rgb color;     /**< see custom_color */
} fib_timeline_segment;

typedef struct fib_timeline_params {
    const char *title;        /**< NULL: none */
    const char *x_label;      /**< NULL means "time (min)" */
    const char *const *lanes; /**< n_lanes lane names, top to bottom */
    size_t n_lanes;           /**< >= 1 */
    double t_min, t_max;      /**< equal: 0 .. latest end, nice range */
    int text_scale;           /**< 0 means 1 */
    bool no_grid;
} fib_timeline_params;

/**
 * Horizontal timeline: one lane per name (top to bottom), each segment a
 * filled bar from start_min to end_min with a darker outline, clipped to
 * the time range.  Segments with non-finite times are skipped.  Errors:
 * FIB_EINVAL (n_lanes 0 or lanes NULL, segment lane out of range, end <
 * start, fixed range t_max < t_min, rectangle too small).
 */
FIB_API FIB_NODISCARD fib_status fib_plot_timeline(
    fib_canvas *c, fib_canvas_rect r, const fib_timeline_params *p,
    const fib_timeline_segment *segs, size_t n_segs, fib_plot_axes *axes_out,
    fib_error *err);

/* ------------------------------------------------------------------ */

typedef struct fib_bar_params {
    const char *title, *x_label, *y_label;
    /** x_min < x_max: the n bars are equal bins covering [x_min, x_max]
     *  (histogram, numeric x axis).  Otherwise categorical: bar i is
     *  labelled bar_labels[i] (or its index when bar_labels is NULL). */
    double x_min, x_max;
    const char *const *bar_labels;
    double y_max;      /**< 0: automatic (nice range of the data and 0) */
    bool custom_color; /**< use @p color, else palette entry 0 */
    fib_rgb color;
    int text_scale; /**< 0 means 1 */
    bool no_grid;
} fib_bar_params;

/**
 * Bar chart / histogram of @p n values from the baseline 0 (negative
 * values go down).  Non-finite values draw no bar.  Errors: FIB_EINVAL
 * (values NULL with n > 0, n 0, y_max < 0, rectangle too small).
 */
FIB_API FIB_NODISCARD fib_status fib_plot_bars(fib_canvas *c, fib_canvas_rect r,
                                               const fib_bar_params *p,
                                               const double *values, size_t n,
                                               fib_plot_axes *axes_out,
                                               fib_error *err);

/**
 * Count @p v into @p bins equal bins over [lo, hi]: bin i covers
 * [lo + i*w, lo + (i+1)*w), the last also includes hi.  Values outside and
 * non-finite values are not counted.  @p counts (bins entries) is
 * overwritten.  Returns the number counted through @p n_counted (may be
 * NULL).  Errors: FIB_EINVAL (bins 0, hi <= lo, non-finite bounds, NULL
 * arrays).
 */
FIB_API FIB_NODISCARD fib_status fib_histogram(const double *v, size_t n,
                                               double lo, double hi,
                                               size_t bins, double *counts,
                                               size_t *n_counted,
                                               fib_error *err);

/* ------------------------------------------------------------------ */
/* Keys for pictures: colour bars and swatch legends                   */

/** Colour bar parameters; zero = no title, text scale 1. */
typedef struct fib_colorbar_params {
    fib_colormap cmap; /**< colormap shown, FIB_CMAP_GREY by default */
    double lo, hi;     /**< data values at the bottom / top (hi > lo) */
    const char *title; /**< drawn above the bar (e.g. "thickness (nm)") */
    int text_scale;    /**< 0 means 1 */
    bool invert;       /**< as fib_canvas_image_params.invert */
} fib_colorbar_params;

/**
 * Vertical colour bar in @p bar (hi at the top) with a black outline, nice
 * ticks and labels to its right and the title above it; the caller leaves
 * room (about 7 characters right of the bar, one text line above).
 * Errors: FIB_EINVAL (hi not > lo or non-finite, bar smaller than 2x8).
 */
FIB_API FIB_NODISCARD fib_status fib_plot_colorbar(fib_canvas *c,
                                                   fib_canvas_rect bar,
                                                   const fib_colorbar_params *p,
                                                   fib_error *err);

/**
 * Key of @p n coloured swatches with names (segmentation phases, label
 * classes), one per line, on a translucent white box whose top-left is
 * (x, y).  @p colors NULL means fib_palette_color(i); NULL names are drawn
 * as "".  Returns the box drawn (w = h = 0 when n is 0).
 */
FIB_API fib_canvas_rect fib_plot_swatch_legend(fib_canvas *c, int x, int y,
                                               const char *const *names,
                                               const fib_rgb *colors, size_t n,
                                               int text_scale);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PLOT_H */
