/*
 * correct_destripe_dwt.c -- the periodised 1-level DWT (pywt mode
 * "periodization", convention in correct_destripe.c) in 1-D and as row and
 * column passes over the destripe work space.
 */
#include "destripe_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---- periodised 1-level 2D DWT on the top-left nx x ny block ---- */

void fib__dwt1d(const double *h, const double *g, int n, int off,
                const float *x, size_t len, float *a, float *d, float *scratch)
{
    const ptrdiff_t half = (ptrdiff_t)(len / 2);
    /* polyphase: E[m] = x[2m], O[m] = x[2m + 1]; tap k reads
     * x[2(i + q) + p] with k + off = 2q + p, i.e. E or O at i + q */
    float *E = scratch, *O = scratch + half;
    for (ptrdiff_t m = 0; m < half; m++) {
        E[m] = x[2 * m];
        O[m] = x[2 * m + 1];
    }
    ptrdiff_t qmin = 1 << 30, qmax = -(1 << 30);
    for (int k = 0; k < n; k++) {
        ptrdiff_t t = k + off, q = t >= 0 ? t / 2 : -((-t + 1) / 2);
        qmin = q < qmin ? q : qmin;
        qmax = q > qmax ? q : qmax;
    }
    ptrdiff_t i0 = qmin < 0 ? -qmin : 0, i1 = half - (qmax > 0 ? qmax : 0);
    if (i1 < i0)
        i1 = i0;
    for (ptrdiff_t i = i0; i < i1; i++)
        a[i] = d[i] = 0;
    for (int k = 0; k < n; k++) {
        ptrdiff_t t = k + off, q = t >= 0 ? t / 2 : -((-t + 1) / 2);
        const float *P = (t - 2 * q) ? O : E;
        const float hk = (float)h[k], gk = (float)g[k];
        const float *pp = P + q;
        if (i1 > i0)
            fib__vmac2(a + i0, d + i0, pp + i0, hk, gk, (size_t)(i1 - i0));
    }
    for (ptrdiff_t i = 0; i < half; i++) {
        if (i == i0)
            i = i1;
        if (i >= half)
            break;
        float sa = 0, sd = 0;
        for (int k = 0; k < n; k++) {
            ptrdiff_t t = k + off, q = t >= 0 ? t / 2 : -((-t + 1) / 2);
            const float *P = (t - 2 * q) ? O : E;
            ptrdiff_t m = (i + q) % half;
            if (m < 0)
                m += half;
            sa += (float)h[k] * P[m];
            sd += (float)g[k] * P[m];
        }
        a[i] = sa;
        d[i] = sd;
    }
}

void fib__wavelet_filters(const fib__wavelet *wav, double *h, double *g,
                          int *off)
{
    int n = wav->len;
    for (int k = 0; k < n; k++) {
        h[k] = wav->rec_lo[k];
        g[k] = ((k & 1) ? -1.0 : 1.0) * wav->rec_lo[n - 1 - k];
    }
    *off = 1 - n / 2;
}

void fib__destripe_dwt_rows(const fib__destripe_ws *ws, const float *src,
                            float *dst, size_t nx, size_t ny)
{
    const size_t stride = ws->px;
#pragma omp parallel num_threads(ws->nt)
    {
        float *scratch = ws->tbuf + (size_t)omp_get_thread_num() * ws->tbuf_per;
#pragma omp for schedule(static)
        for (size_t y = 0; y < ny; y++)
            fib__dwt1d(ws->h, ws->g, ws->wav->len, ws->off, src + y * stride,
                       nx, dst + y * stride, dst + y * stride + nx / 2,
                       scratch);
    }
}

void fib__destripe_dwt_cols(const fib__destripe_ws *ws, const float *src,
                            float *dst, size_t nx, size_t ny)
{
    const size_t stride = ws->px;
    const int n = ws->wav->len;
    const size_t half = ny / 2;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < half; i++) {
        float *oa = dst + i * stride;
        float *od = dst + (half + i) * stride;
        for (size_t x = 0; x < nx; x++) {
            oa[x] = 0;
            od[x] = 0;
        }
        for (int k = 0; k < n; k++) {
            ptrdiff_t t = ((ptrdiff_t)(2 * i) + ws->off + k) % (ptrdiff_t)ny;
            if (t < 0)
                t += (ptrdiff_t)ny;
            const float *r = src + (size_t)t * stride;
            float hk = (float)ws->h[k], gk = (float)ws->g[k];
            fib__vmac2(oa, od, r, hk, gk, nx);
        }
    }
}

/* Inverse (transpose): x[j] = sum over k with j = 2i + k + off (mod N)
 * of h[k] a[i] + g[k] d[i].  Polyphase: even and odd j use every other
 * tap; interior outputs gather without wrapping, taps in a fixed order. */
void fib__destripe_idwt_rows(const fib__destripe_ws *ws, const float *src,
                             float *dst, size_t nx, size_t ny)
{
    const size_t stride = ws->px;
    const int n = ws->wav->len;
    const ptrdiff_t half = (ptrdiff_t)(nx / 2), off = ws->off;
    float hf[64], gf[64];
    for (int k = 0; k < n; k++) {
        hf[k] = (float)ws->h[k];
        gf[k] = (float)ws->g[k];
    }
    /* output j = 2m + p (p = 0, 1); tap k contributes when k + off has
     * the parity of p, from coefficient i = m - (k + off - p) / 2 */
#pragma omp parallel num_threads(ws->nt)
    {
        float *scr = ws->tbuf + (size_t)omp_get_thread_num() * ws->tbuf_per;
#pragma omp for schedule(static)
        for (size_t y = 0; y < ny; y++) {
            const float *a = src + y * stride;
            const float *d = a + half;
            float *o = dst + y * stride;
            for (int p = 0; p < 2; p++) {
                /* interior m range: all i = m - q in [0, half) */
                ptrdiff_t qmin = 1 << 30, qmax = -(1 << 30);
                for (int k = 0; k < n; k++) {
                    ptrdiff_t t = k + off - p;
                    if (t & 1)
                        continue;
                    ptrdiff_t q = t / 2;
                    qmin = q < qmin ? q : qmin;
                    qmax = q > qmax ? q : qmax;
                }
                ptrdiff_t m0 = qmax > 0 ? qmax : 0;
                ptrdiff_t m1 = half + (qmin < 0 ? qmin : 0);
                if (m1 < m0)
                    m1 = m0;
                float *P = scr + p * half; /* outputs 2m + p, contiguous */
                for (ptrdiff_t m = m0; m < m1; m++)
                    P[m] = 0;
                for (int k = 0; k < n; k++) {
                    ptrdiff_t t = k + off - p;
                    if (t & 1)
                        continue;
                    ptrdiff_t q = t / 2;
                    const float hk = hf[k], gk = gf[k];
                    const float *ap = a - q, *dp = d - q;
                    if (m1 > m0)
                        fib__vmac_ab(P + m0, ap + m0, dp + m0, hk, gk,
                                     (size_t)(m1 - m0));
                }
                for (ptrdiff_t m = 0; m < half; m++) {
                    if (m == m0)
                        m = m1;
                    if (m >= half)
                        break;
                    float s = 0;
                    for (int k = 0; k < n; k++) {
                        ptrdiff_t t = k + off - p;
                        if (t & 1)
                            continue;
                        ptrdiff_t i = m - t / 2;
                        i %= half;
                        if (i < 0)
                            i += half;
                        s += hf[k] * a[i] + gf[k] * d[i];
                    }
                    P[m] = s;
                }
            }
            for (ptrdiff_t m = 0; m < half; m++) {
                o[2 * m] = scr[m];
                o[2 * m + 1] = scr[half + m];
            }
        }
    }
}

void fib__destripe_idwt_cols(const fib__destripe_ws *ws, const float *src,
                             float *dst, size_t nx, size_t ny)
{
    const size_t stride = ws->px;
    const int n = ws->wav->len;
    const size_t half = ny / 2;
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < ny; j++) {
        float *o = dst + j * stride;
        for (size_t x = 0; x < nx; x++)
            o[x] = 0;
        for (int k = 0; k < n; k++) {
            ptrdiff_t t = (ptrdiff_t)j - k - ws->off;
            t %= (ptrdiff_t)ny;
            if (t < 0)
                t += (ptrdiff_t)ny;
            if (t & 1)
                continue;
            size_t i = (size_t)t / 2;
            const float *a = src + i * stride;
            const float *d = src + (half + i) * stride;
            float hk = (float)ws->h[k], gk = (float)ws->g[k];
            fib__vmac_ab(o, a, d, hk, gk, nx);
        }
    }
}
