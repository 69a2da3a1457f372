/*
 * correct_util.c -- helpers the correction steps share: the f32 image
 * check, the separable Gaussian of one plane and the k-th smallest value.
 * Kept apart from the context (correct_ctx.c) and the steps so that the
 * steps depend on this file and the context on them, never both ways.
 */
#include "correct_internal.h"

#include <math.h>
#include <stddef.h>

fib_status fib__check_f32(const fib_image *img, const char *what,
                          fib_error *err)
{
    if (!img || !img->data || img->width == 0 || img->height == 0)
        return fib_error_set(err, FIB_EINVAL, "correct: %s: empty image", what);
    if (img->type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: %s: pixel type must be f32 (got %s)",
                             what, fib_pixel_type_name(img->type));
    if (img->stride < img->width * sizeof(float))
        return fib_error_set(err, FIB_EINVAL,
                             "correct: %s: stride %zu below row size %zu", what,
                             img->stride, img->width * sizeof(float));
    return FIB_OK;
}

/* ---------------- Gaussian ---------------- */

/* o[x] = k0 c[x] (x < n) */
FIB__CLONES static void vscale(float *o, const float *c, float k0, size_t n)
{
    for (size_t x = 0; x < n; x++)
        o[x] = k0 * c[x];
}

/* o[x] += kj (a[x] + b[x]) */
FIB__CLONES static void vaxpy2(float *o, const float *a, const float *b,
                               float kj, size_t n)
{
    for (size_t x = 0; x < n; x++)
        o[x] += kj * (a[x] + b[x]);
}

void fib__gauss_plane(const float *src, float *dst, float *tmp, size_t w,
                      size_t h, double sigma)
{
    int r = (int)(4.0 * sigma + 0.5);
    if (r < 1)
        r = 1;
    if (r > 4096)
        r = 4096;
    float k[4097];
    double sum = 0;
    for (int j = 0; j <= r; j++) {
        double v = exp(-0.5 * (double)j * (double)j / (sigma * sigma));
        k[j] = (float)v;
        sum += j == 0 ? v : 2 * v;
    }
    for (int j = 0; j <= r; j++)
        k[j] = (float)((double)k[j] / sum);
    const ptrdiff_t W = (ptrdiff_t)w, H = (ptrdiff_t)h;
    /* horizontal: src -> tmp */
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        const float *in = src + y * w;
        float *o = tmp + y * w;
        ptrdiff_t lo = r < W ? r : W, hi = W - r > lo ? W - r : lo;
        if (hi > lo) {
            vscale(o + lo, in + lo, k[0], (size_t)(hi - lo));
            for (int j = 1; j <= r; j++)
                vaxpy2(o + lo, in + lo - j, in + lo + j, k[j],
                       (size_t)(hi - lo));
        }
        for (ptrdiff_t x = 0; x < W; x++) {
            if (x >= lo && x < hi)
                continue;
            float s = k[0] * in[x];
            for (int j = 1; j <= r; j++)
                s += k[j] *
                     (in[fib__reflect(x - j, W)] + in[fib__reflect(x + j, W)]);
            o[x] = s;
        }
    }
    /* vertical: tmp -> dst */
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        float *o = dst + y * w;
        const float *c = tmp + y * w;
        vscale(o, c, k[0], w);
        for (int j = 1; j <= r; j++) {
            const float *a =
                tmp + (size_t)fib__reflect((ptrdiff_t)y - j, H) * w;
            const float *b =
                tmp + (size_t)fib__reflect((ptrdiff_t)y + j, H) * w;
            vaxpy2(o, a, b, k[j], w);
        }
    }
}

/* k-th smallest (0-based) of v[0..n), reorders v (N. Wirth, Algorithms
 * + Data Structures = Programs, 1976, via N. Devillard's kth_smallest). */
float fib__select_k(float *v, size_t n, size_t k)
{
    ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (l < m) {
        float x = v[kk];
        ptrdiff_t i = l, j = m;
        do {
            while (v[i] < x)
                i++;
            while (x < v[j])
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            m = j;
    }
    return v[k];
}
