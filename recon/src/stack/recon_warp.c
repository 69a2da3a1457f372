/* recon_warp.c -- pass 2 of a model beyond translation (fib_recon_model):
 * one bilinear resampling of each slice through its whole transform.
 * Output voxel centre (X, Y) maps to the reference input point u =
 * (mapx[X], mapy[Y]) (tilt stretch, isotropic scale and crop folded in,
 * as for translation), then to the slice's input point
 *     x = c + A_i (u - c) - (sx, sy)
 * and to the channel's pixels (x + 0.5) cxs - 0.5.  Outside [-0.5, n -
 * 0.5] on either axis the voxel is 0; inside, coordinates clamp to the
 * edge pixels (the conventions of the separable translation path of
 * recon_write.c, which translation-only runs keep using). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "recon_stack.h"

/* One output row: x(X) = ax0 + axs X, y(X) = ay0 + ays X, input pixels
 * (pixel i at i).  For a near-identity A_i, x - X and y vary slowly along
 * the row: the row splits into a few runs where both floor(x - X) = k and
 * floor(y) = j hold, in which the four taps of pixel X are the contiguous
 * samples X + k, X + k + 1 of rows j, j + 1; those runs go through a
 * vectorised loop like the translation path's, the rest (run ends, the
 * edges, where clamping or the zero fill applies) pixel by pixel. */
typedef struct row_map {
    const fib_image *in;
    double ax0, axs, ay0, ays;
} row_map;

/* The generic bilinear sample (clamped, 0 outside [-0.5, n - 0.5]). */
static float sample(const fib_image *in, double x, double y)
{
    const double w = (double)in->width, h = (double)in->height;
    if (!(x >= -0.5 && x <= w - 0.5 && y >= -0.5 && y <= h - 0.5))
        return 0.0f;
    x = fmin(fmax(x, 0.0), w - 1.0);
    y = fmin(fmax(y, 0.0), h - 1.0);
    const size_t i0 = (size_t)x, j0 = (size_t)y;
    const size_t i1 = i0 + 1 < in->width ? i0 + 1 : i0;
    const size_t j1 = j0 + 1 < in->height ? j0 + 1 : j0;
    const float fx = (float)(x - (double)i0), fy = (float)(y - (double)j0);
    const float *r0 = fib_image_row(in, j0), *r1 = fib_image_row(in, j1);
    const float p = r0[i0] + fx * (r0[i1] - r0[i0]);
    const float q = r1[i0] + fx * (r1[i1] - r1[i0]);
    return p + fy * (q - p);
}

/* Length of the run from X (at most nx - X): floor(x - X) and floor(y)
 * keep their values at X and both taps stay inside the image. */
static size_t run_length(const row_map *m, size_t X, size_t nx, double *k,
                         double *j)
{
    const double x = m->ax0 + m->axs * (double)X;
    const double y = m->ay0 + m->ays * (double)X;
    const double wm = (double)m->in->width - 1.0;
    const double hm = (double)m->in->height - 1.0;
    if (!(x >= 0 && x < wm && y >= 0 && y < hm))
        return 0;
    *k = floor(x - (double)X);
    *j = floor(y);
    size_t len = nx - X;
    /* a guess from the slopes, then checked at its last pixel (rounding
     * near an integer crossing shortens it) */
    const double de = m->axs - 1.0, dy = m->ays;
    const double e0 = x - (double)X - *k, f0 = y - *j;
    if (de > 0)
        len = (size_t)fmin((double)len, floor((1.0 - e0) / de));
    else if (de < 0)
        len = (size_t)fmin((double)len, floor(e0 / -de) + 1.0);
    if (dy > 0)
        len = (size_t)fmin((double)len, floor((1.0 - f0) / dy));
    else if (dy < 0)
        len = (size_t)fmin((double)len, floor(f0 / -dy) + 1.0);
    while (len > 0) {
        const double xl = m->ax0 + m->axs * (double)(X + len - 1);
        const double yl = m->ay0 + m->ays * (double)(X + len - 1);
        if (floor(xl - (double)(X + len - 1)) == *k && floor(yl) == *j &&
            xl >= 0 && xl < wm && yl >= 0 && yl < hm)
            break;
        len = len > 8 ? len - len / 8 : len - 1;
    }
    return len;
}

static void warp_row(const row_map *m, size_t nx, float *restrict row)
{
    size_t X = 0;
    while (X < nx) {
        double k = 0, j = 0;
        const size_t len = run_length(m, X, nx, &k, &j);
        if (len < 2) {
            row[X] = sample(m->in, m->ax0 + m->axs * (double)X,
                            m->ay0 + m->ays * (double)X);
            X++;
            continue;
        }
        const float *restrict r0 = fib_image_row(m->in, (size_t)j);
        const float *restrict r1 = fib_image_row(m->in, (size_t)j + 1);
        const float *restrict p0 = r0 + (long)X + (long)k;
        const float *restrict p1 = r1 + (long)X + (long)k;
        const double x = m->ax0 + m->axs * (double)X;
        const double y = m->ay0 + m->ays * (double)X;
        const float fx0 = (float)(x - (double)X - k), fy0 = (float)(y - j);
        const float dfx = (float)(m->axs - 1.0), dfy = (float)m->ays;
        float *restrict o = row + X;
#pragma omp simd
        for (size_t t = 0; t < len; t++) {
            const float fx = fx0 + dfx * (float)t, fy = fy0 + dfy * (float)t;
            const float a = p0[t] + fx * (p0[t + 1] - p0[t]);
            const float b = p1[t] + fx * (p1[t + 1] - p1[t]);
            o[t] = a + fy * (b - a);
        }
        X += len;
    }
}

void fib__recon_warp(const fib__warp *w)
{
    const fib_image *in = w->in;
    fib_image *out = w->out;
    const size_t nx = out->width, ny = out->height;
    const double *a = w->a;
    const double c0 = w->c[0], c1 = w->c[1];
    /* mapx is linear in X (writer_maps()): u(X) = u0 + us X */
    const double u0 = w->mapx[0] - c0;
    const double us =
        nx > 1 ? (w->mapx[nx - 1] - w->mapx[0]) / (double)(nx - 1) : 1.0;
    /* channel pixel = (x + 0.5) cxs - 0.5, x = c + A (u - c) - s */
#pragma omp parallel for schedule(static) num_threads(w->nthreads)
    for (long Y = 0; Y < (long)ny; Y++) {
        const double v = w->mapy[Y] - c1;
        const double bx = c0 + a[0] * u0 + a[1] * v - w->sx;
        const double by = c1 + a[2] * u0 + a[3] * v - w->sy;
        const row_map m = {in, (bx + 0.5) * w->cxs - 0.5, a[0] * us * w->cxs,
                           (by + 0.5) * w->cys - 0.5, a[2] * us * w->cys};
        warp_row(&m, nx, fib_image_row(out, (size_t)Y));
    }
}
