/*
 * align_pair.c -- the shift between two aligner spectra: normalised
 * cross-power, inverse FFT, integer peak, then the staged upsampled-DFT
 * refinement (method in align.c's header); and the dark clip of a region.
 */
#define _POSIX_C_SOURCE 200809L
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align_internal.h"
#include "fib/checked.h"

/* exp(+i 2 pi f t / n) for the signed frequencies f of the n bins of an
 * axis (f = k for k <= n / 2, k - n above), times @p m for the r2c
 * half-axis columns (m = 2 except DC and Nyquist), for k < nk; by the
 * rotation recurrence z_k = z_{k-1} exp(i theta) in double (phase error
 * about k * 1e-16, far below the float storage). */
static void phase_row(double t, size_t n, size_t nk, bool half_axis,
                      float *restrict re, float *restrict im)
{
    const double th = 2.0 * FIB_PI * t / (double)n;
    const double br = cos(th), bi = sin(th);
    const size_t kpos = half_axis ? nk - 1 : n / 2;
    double zr = 1.0, zi = 0.0;
    for (size_t k = 0; k <= kpos && k < nk; k++) {
        double m = 1.0;
        if (half_axis)
            m = (k == 0 || ((n % 2) == 0 && k == n / 2)) ? 1.0 : 2.0;
        re[k] = (float)(m * zr);
        im[k] = (float)(m * zi);
        if (!half_axis && k > 0 && k < n - k) {
            re[n - k] = (float)zr; /* f = -k: the conjugate */
            im[n - k] = (float)-zi;
        }
        const double nr = zr * br - zi * bi;
        zi = zr * bi + zi * br;
        zr = nr;
    }
}

/* T(u, kx) += sum_{ky in [k0, k1)} R(ky, kx) Ey(u, ky), rows taken four
 * at a time (then one at a time for the rest); fixed order. */
FIB_HOT_CLONES
static void t_rows(scratch *s, size_t h, size_t hw, size_t nu, size_t nkx,
                   size_t k0, size_t k1)
{
    size_t ky = k0;
    for (; ky + 4 <= k1; ky += 4) {
        const float *restrict r0 = s->rre + ky * hw, *restrict i0 =
                                                         s->rim + ky * hw;
        const float *restrict r1 = r0 + hw, *restrict i1 = i0 + hw;
        const float *restrict r2 = r1 + hw, *restrict i2 = i1 + hw;
        const float *restrict r3 = r2 + hw, *restrict i3 = i2 + hw;
        for (size_t u = 0; u < nu; u++) {
            const float *ey = s->eyr + u * h, *ez = s->eyi + u * h;
            const float a0 = ey[ky], b0 = ez[ky], a1 = ey[ky + 1],
                        b1 = ez[ky + 1], a2 = ey[ky + 2], b2 = ez[ky + 2],
                        a3 = ey[ky + 3], b3 = ez[ky + 3];
            float *restrict tr = s->tre + u * hw;
            float *restrict ti = s->tim + u * hw;
#pragma omp simd
            for (size_t kx = 0; kx < nkx; kx++) {
                tr[kx] +=
                    (a0 * r0[kx] - b0 * i0[kx]) + (a1 * r1[kx] - b1 * i1[kx]) +
                    (a2 * r2[kx] - b2 * i2[kx]) + (a3 * r3[kx] - b3 * i3[kx]);
                ti[kx] +=
                    (a0 * i0[kx] + b0 * r0[kx]) + (a1 * i1[kx] + b1 * r1[kx]) +
                    (a2 * i2[kx] + b2 * r2[kx]) + (a3 * i3[kx] + b3 * r3[kx]);
            }
        }
    }
    for (; ky < k1; ky++) {
        const float *restrict rr = s->rre + ky * hw;
        const float *restrict ri = s->rim + ky * hw;
        for (size_t u = 0; u < nu; u++) {
            const float er = s->eyr[u * h + ky], ei = s->eyi[u * h + ky];
            float *restrict tr = s->tre + u * hw;
            float *restrict ti = s->tim + u * hw;
#pragma omp simd
            for (size_t kx = 0; kx < nkx; kx++) {
                tr[kx] += er * rr[kx] - ei * ri[kx];
                ti[kx] += er * ri[kx] + ei * rr[kx];
            }
        }
    }
}

/* Upsampled matrix DFT of the cross-power R (s->rre, s->rim) on the grid
 * (y0 + jy st, x0 + jx st), jy, jx in [-J, J] (Guizar-Sicairos et al.
 * 2008, eq. 4 as two separable products), over the rows |f| <= kby and
 * the half-spectrum columns kx < nkx.  Returns the maximum and its
 * (jy, jx); ties keep the first in row-major order, so the result does
 * not depend on the thread. */
FIB_HOT_CLONES
static double dft_block(const fib__aligner *a, scratch *s, double y0, double x0,
                        double st, size_t J, double kby, size_t nkx,
                        long *jy_out, long *jx_out)
{
    const size_t h = a->h, hw = a->hw, nu = 2 * J + 1;
    for (size_t u = 0; u < nu; u++) {
        const double o = ((double)u - (double)J) * st;
        phase_row(y0 + o, h, h, false, s->eyr + u * h, s->eyi + u * h);
        phase_row(x0 + o, a->w, nkx, true, s->exr + u * hw, s->exi + u * hw);
    }
    memset(s->tre, 0, nu * hw * sizeof(float));
    memset(s->tim, 0, nu * hw * sizeof(float));
    /* T(u, kx) = sum_ky R(ky, kx) Ey(u, ky) over the band rows: the
     * non-negative frequencies 0..kp and the negative ones h - kn..h - 1,
     * four rows per pass so T is loaded and stored once per four rows
     * (the loop is store-bound otherwise). */
    size_t kp = (size_t)kby, kn = (size_t)kby;
    if (kp > h / 2)
        kp = h / 2;
    if (kn > (h - 1) / 2)
        kn = (h - 1) / 2;
    t_rows(s, h, hw, nu, nkx, 0, kp + 1);
    t_rows(s, h, hw, nu, nkx, h - kn, h);
    /* cc(uy, ux) = Re sum_kx T(uy, kx) m Ex(ux, kx) */
    double bv = -HUGE_VAL;
    size_t bu = 0, bx = 0;
    for (size_t uy = 0; uy < nu; uy++) {
        const float *tr = s->tre + uy * hw, *ti = s->tim + uy * hw;
        for (size_t ux = 0; ux < nu; ux++) {
            const float *xr = s->exr + ux * hw, *xi = s->exi + ux * hw;
            double acc = 0.0;
#pragma omp simd reduction(+ : acc)
            for (size_t kx = 0; kx < nkx; kx++)
                acc += (double)(tr[kx] * xr[kx] - ti[kx] * xi[kx]);
            if (acc > bv) {
                bv = acc;
                bu = uy;
                bx = ux;
            }
        }
    }
    *jy_out = (long)bu - (long)J;
    *jx_out = (long)bx - (long)J;
    return bv;
}

/* The normalised cross-power conj(A) B of one pair into s->r (whitened,
 * high-passed, notched, DC and Nyquist zeroed), and the sum of m |R| over
 * the refinement band (the quality's denominator). */
static double cross_power(const fib__aligner *a, scratch *s, const float *A,
                          const float *B, double kby, size_t nkb)
{
    const size_t w = a->w, h = a->h, hw = a->hw;
    const float p = (float)a->p;
    const bool w_even = (w % 2) == 0, h_even = (h % 2) == 0;
    double total = 0.0;
    for (size_t ky = 0; ky < h; ky++) {
        const float *restrict ab = A + 2 * ky * hw, *restrict bb =
                                                        B + 2 * ky * hw;
        float *restrict rr = s->rre + ky * hw, *restrict ri = s->rim + ky * hw;
        /* conj(A) * B, split into real and imaginary planes (vectorisable) */
        for (size_t kx = 0; kx < hw; kx++) {
            rr[kx] = ab[2 * kx] * bb[2 * kx] + ab[2 * kx + 1] * bb[2 * kx + 1];
            ri[kx] = ab[2 * kx] * bb[2 * kx + 1] - ab[2 * kx + 1] * bb[2 * kx];
        }
        if (p > 0.0f) {
            for (size_t kx = 0; kx < hw; kx++) {
                const float mag = sqrtf(rr[kx] * rr[kx] + ri[kx] * ri[kx]);
                const float sc =
                    mag > 0.0f ? (p == 1.0f ? 1.0f / mag : 1.0f / sqrtf(mag))
                               : 0.0f;
                rr[kx] *= sc;
                ri[kx] *= sc;
            }
        }
        if (a->hp) {
            const float *restrict wr = a->hp + ky * hw;
            for (size_t kx = 0; kx < hw; kx++) {
                rr[kx] *= wr[kx];
                ri[kx] *= wr[kx];
            }
        }
        /* frame-fixed stripes: the rows / columns next to the axis */
        if (a->notch_rows && (ky <= 1 || ky + 1 == h)) {
            memset(rr, 0, hw * sizeof(float));
            memset(ri, 0, hw * sizeof(float));
        }
        if (a->notch_cols) {
            rr[0] = ri[0] = 0.0f;
            if (hw > 1)
                rr[1] = ri[1] = 0.0f;
        }
        /* DC, the Nyquist row and the Nyquist column carry no shift */
        if (ky == 0 || (h_even && ky == h / 2)) {
            const size_t n0 = ky == 0 ? 1 : hw;
            memset(rr, 0, n0 * sizeof(float));
            memset(ri, 0, n0 * sizeof(float));
        }
        if (w_even) {
            rr[w / 2] = 0.0f;
            ri[w / 2] = 0.0f;
        }
        /* sum of m |R| over the band (m = 2 off DC and Nyquist columns):
         * a fixed-order vector reduction, same for every thread */
        if (fabs(signed_freq(ky, h)) <= kby) {
            float rs = 0.0f;
#pragma omp simd reduction(+ : rs)
            for (size_t kx = 0; kx < nkb; kx++)
                rs += sqrtf(rr[kx] * rr[kx] + ri[kx] * ri[kx]);
            /* every column counts twice, except DC (and Nyquist) */
            double row_total = 2.0 * (double)rs;
            row_total -= (double)sqrtf(rr[0] * rr[0] + ri[0] * ri[0]);
            if (w_even && nkb == hw)
                row_total -= (double)sqrtf(rr[hw - 1] * rr[hw - 1] +
                                           ri[hw - 1] * ri[hw - 1]);
            total += row_total;
        }
        float *restrict ri2 = &s->r[ky * hw][0];
        for (size_t kx = 0; kx < hw; kx++) {
            ri2[2 * kx] = rr[kx];
            ri2[2 * kx + 1] = ri[kx];
        }
    }
    return total;
}

/* Integer peak of the inverse transform of s->r: the first maximum (vector
 * max, then the first index holding it) as a signed shift; returns the
 * peak value. */
static double integer_peak(const fib__aligner *a, scratch *s, double *sx_out,
                           double *sy_out)
{
    const size_t w = a->w, h = a->h;
    fftwf_execute_dft_c2r(a->inv, s->r, s->cc);
    const float *restrict cc = s->cc;
    float bestv = cc[0];
    /* clang (14) cannot vectorise a compare-select max and turns the
     * requested simd into a -Wpass-failed error: the pragma is GCC's
     * only (the maximum is exact either way). */
#if !defined(__clang__)
#pragma omp simd reduction(max : bestv)
#endif
    for (size_t i = 0; i < w * h; i++)
        bestv = cc[i] > bestv ? cc[i] : bestv;
    size_t best = 0;
    while (best + 1 < w * h && !(cc[best] >= bestv))
        best++;
    double sx = (double)(best % w), sy = (double)(best / w);
    if (sx > (double)(w / 2))
        sx -= (double)w;
    if (sy > (double)(h / 2))
        sy -= (double)h;
    double peak = (double)bestv;
    *sx_out = sx;
    *sy_out = sy;
    return peak;
}

/* Refinement of the shift (*sx, *sy) on the lattice s + j / kappa;
 * returns the refined peak value. */
static double refine_peak(const fib__aligner *a, scratch *s, double kbx,
                          double kby, double *sx, double *sy)
{
    const size_t hw = a->hw;
    double peak = 0;
    /* Coarse-to-fine search on the lattice s + j / kappa (see
     * coarse_step() and refine_stages()): each stage samples around
     * the previous stage's maximum, finer and narrower.  The
     * correlation peak is smooth on the scale of a pixel (band-limited
     * to |k| <= band Nyquist), so the fine maximum lies within one
     * coarse step of the coarse maximum. */
    const double kappa = (double)a->ups;
    const stages st = refine_stages(a->ups);
    size_t nkx = (size_t)kbx + 1;
    if (nkx > hw)
        nkx = hw;
    long ly = 0, lx = 0; /* lattice offset of the current maximum */
    for (size_t k = 0; k < st.n; k++) {
        long jy = 0, jx = 0;
        peak = dft_block(a, s, *sy + (double)ly / kappa,
                         *sx + (double)lx / kappa, (double)st.step[k] / kappa,
                         st.half[k], kby, nkx, &jy, &jx);
        ly += jy * (long)st.step[k];
        lx += jx * (long)st.step[k];
    }
    /* the result is the lattice point s + (ly, lx) / kappa */
    *sy += (double)ly / kappa;
    *sx += (double)lx / kappa;
    return peak;
}

void fib__aligner_pair(fib__aligner *a, int thread, const void *spec_a,
                       const void *spec_b, double *dx, double *dy,
                       double *quality)
{
    scratch *s = &a->scr[thread];
    const size_t w = a->w, h = a->h, hw = a->hw;
    const float *A = spec_a, *B = spec_b; /* interleaved re, im */

    /* refinement band (see create); the quality is measured inside it */
    const double kbx = a->ups > 1 ? a->band * (double)(w / 2) : (double)w;
    const double kby = a->ups > 1 ? a->band * (double)(h / 2) : (double)h;
    /* band columns 0..nkb - 1 of the half spectrum enter the quality */
    size_t nkb = (size_t)kbx + 1;
    if (nkb > hw)
        nkb = hw;
    const double total = cross_power(a, s, A, B, kby, nkb);
    double sx, sy;
    double peak = integer_peak(a, s, &sx, &sy);
    if (a->ups > 1)
        peak = refine_peak(a, s, kbx, kby, &sx, &sy);
    *dx = sx * (double)a->bin;
    *dy = sy * (double)a->bin;
    double q = total > 0 ? peak / total : 0.0;
    *quality = q < 0 ? 0.0 : (q > 1 ? 1.0 : q);
}

void fib__dark_clip(fib_image *img, size_t x0, size_t y0, size_t w, size_t h)
{
    enum { NB = 1024 };
    float lo = INFINITY, hi = -INFINITY;
    for (size_t y = 0; y < h; y++) {
        const float *row = (const float *)fib_image_row(img, y0 + y) + x0;
        for (size_t x = 0; x < w; x++)
            if (isfinite(row[x])) {
                lo = row[x] < lo ? row[x] : lo;
                hi = row[x] > hi ? row[x] : hi;
            }
    }
    if (!(hi > lo))
        return;
    double hist[NB] = {0};
    const double sc = (double)NB / ((double)hi - (double)lo);
    for (size_t y = 0; y < h; y++) {
        const float *row = (const float *)fib_image_row(img, y0 + y) + x0;
        for (size_t x = 0; x < w; x++)
            if (isfinite(row[x])) {
                long b = (long)(((double)row[x] - (double)lo) * sc);
                hist[b < 0 ? 0 : b >= NB ? NB - 1 : b] += 1.0;
            }
    }
    /* Otsu: the split maximising the between-class variance */
    double n = 0, mu = 0;
    for (int b = 0; b < NB; b++) {
        n += hist[b];
        mu += (double)b * hist[b];
    }
    double w0 = 0, m0 = 0, best = -1;
    int tb = 0;
    for (int b = 0; b < NB - 1; b++) {
        w0 += hist[b];
        m0 += (double)b * hist[b];
        const double w1 = n - w0;
        if (w0 <= 0 || w1 <= 0)
            continue;
        const double d = m0 / w0 - (mu - m0) / w1;
        const double v = w0 * w1 * d * d;
        if (v > best) {
            best = v;
            tb = b;
        }
    }
    const float t = (float)((double)lo + (double)(tb + 1) / sc);
    for (size_t y = 0; y < h; y++) {
        float *row = (float *)fib_image_row(img, y0 + y) + x0;
        for (size_t x = 0; x < w; x++)
            if (row[x] < t)
                row[x] = t;
    }
}
