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

void fib__recon_warp(const fib__warp *w)
{
    const fib_image *in = w->in;
    fib_image *out = w->out;
    const size_t nx = out->width, ny = out->height;
    const size_t iw = in->width, ih = in->height;
    const double *a = w->a;
    const double c0 = w->c[0], c1 = w->c[1];
    const double xmax = (double)iw - 1.0, ymax = (double)ih - 1.0;
#pragma omp parallel for schedule(static) num_threads(w->nthreads)
    for (long Y = 0; Y < (long)ny; Y++) {
        float *row = fib_image_row(out, (size_t)Y);
        const double v = w->mapy[Y] - c1;
        /* x(X) = bx + ax u(X), y(X) = by + ay u(X): linear in u */
        const double bx = c0 + a[1] * v - w->sx - a[0] * c0;
        const double by = c1 + a[3] * v - w->sy - a[2] * c0;
        for (size_t X = 0; X < nx; X++) {
            const double u = w->mapx[X];
            const double xc = (bx + a[0] * u + 0.5) * w->cxs - 0.5;
            const double yc = (by + a[2] * u + 0.5) * w->cys - 0.5;
            const bool ok = xc >= -0.5 && xc <= (double)iw - 0.5 &&
                            yc >= -0.5 && yc <= (double)ih - 0.5;
            if (!ok) {
                row[X] = 0.0f;
                continue;
            }
            const double x = xc < 0 ? 0 : (xc > xmax ? xmax : xc);
            const double y = yc < 0 ? 0 : (yc > ymax ? ymax : yc);
            const size_t i0 = (size_t)x, j0 = (size_t)y;
            const size_t i1 = i0 + 1 < iw ? i0 + 1 : i0;
            const size_t j1 = j0 + 1 < ih ? j0 + 1 : j0;
            const float fx = (float)(x - (double)i0);
            const float fy = (float)(y - (double)j0);
            const float *r0 = fib_image_row(in, j0);
            const float *r1 = fib_image_row(in, j1);
            const float p = r0[i0] + fx * (r0[i1] - r0[i0]);
            const float q = r1[i0] + fx * (r1[i1] - r1[i0]);
            row[X] = p + fy * (q - p);
        }
    }
}
