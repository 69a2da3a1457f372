/*
 * plot_internal.h -- private to draw/: the chart frame (layout, axes,
 * ticks, chrome) shared by plot.c (xy charts) and plot_charts.c
 * (timelines, bars, colour bars), defined in plot_frame.c.
 */
#ifndef FIB_DRAW_PLOT_INTERNAL_H
#define FIB_DRAW_PLOT_INTERNAL_H

#include <stdbool.h>

#include "fib/plot.h"

#define COL_AXIS ((fib_rgb)0x000000u)
#define COL_TEXT ((fib_rgb)0x000000u)
#define COL_GRID ((fib_rgb)0xDDDDDDu)
#define COL_ZERO ((fib_rgb)0x606060u)
#define COL_BG ((fib_rgb)0xFFFFFFu)

enum { MAX_TICKS = 64, TICK_LABEL = 32 };

typedef struct frame {
    fib_canvas_rect r; /* whole chart */
    int ts, th, pad, tick;
    fib_plot_axes ax;
} frame;

int fib__plot_clamp_ts(int ts);

fib_status fib__plot_layout(frame *f, fib_canvas_rect r, int ts, bool title,
                            bool xlabel, bool ylabel, int left_w,
                            fib_error *err);

int fib__plot_tick_target(int pixels, int per_tick);

double fib__plot_axis_range(double dlo, double dhi, bool fixed, int target,
                            double *lo, double *hi);

int fib__plot_y_label_width(double lo, double hi, double step, int ts);

void fib__plot_draw_chrome(fib_canvas *c, const frame *f, const char *title,
                           const char *xlabel, const char *ylabel);

void fib__plot_draw_frame_box(fib_canvas *c, const frame *f);

int fib__plot_px_floor(double v);

void fib__plot_draw_x_ticks(fib_canvas *c, const frame *f, double step,
                            bool grid);

void fib__plot_draw_y_ticks(fib_canvas *c, const frame *f, double step,
                            bool grid);

fib_status fib__plot_check_fixed(const char *what, double lo, double hi,
                                 fib_error *err);

#endif
