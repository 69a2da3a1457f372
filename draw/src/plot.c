/*
 * plot.c -- axes maths: nice numbers, ticks, tick labels and data-to-pixel
 * mapping (line/scatter charts: plot_xy.c; timelines and bar charts:
 * plot_charts.c; the shared frame: plot_frame.c).
 * See fib/plot.h for contracts.  Axis ranges and ticks follow Heckbert's
 * nice-number labelling (Graphics Gems I, 1990).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/plot.h"
#include "plot_internal.h"

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
