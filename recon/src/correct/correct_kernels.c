/*
 * correct_kernels.c -- the vector inner loops of the correction filters,
 * compiled for AVX2 and the baseline (FIB__CLONES, correct_internal.h).
 * Every loop is element-wise, so both versions give identical results.
 */
#include "correct_internal.h"

#include <math.h>
#include <stdint.h>

FIB__CLONES void fib__vmac2(float *a, float *d, const float *p, float hk,
                            float gk, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        a[i] += hk * p[i];
        d[i] += gk * p[i];
    }
}

FIB__CLONES void fib__vmac_ab(float *o, const float *a, const float *d,
                              float hk, float gk, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] += hk * a[i] + gk * d[i];
}

FIB__CLONES void fib__vadd(float *o, const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] += a[i];
}

FIB__CLONES void fib__vsqdiff(float *o, const float *a, const float *b,
                              size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float t = a[i] - b[i];
        o[i] = t * t;
    }
}

FIB__CLONES void fib__vminmax(float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = a[i], y = b[i];
        a[i] = y < x ? y : x;
        b[i] = y < x ? x : y;
    }
}

/* exp(-z) for z >= 0 without libm (vectorisable): z is clamped to 87,
 * t = z log2(e) = n + f, e^(-f ln 2) by its degree-7 Taylor polynomial
 * (remainder < (ln 2)^8 / 8! = 1.3e-6; with float rounding the measured
 * relative error is < 1e-5 on [0, 80]), 2^-n by the exponent
 * bits. */
static inline float exp_neg(float z)
{
    float m = 87.0f - z; /* branch-free min(z, 87) for vectorisation */
    z = 87.0f - 0.5f * (m + fabsf(m));
    float t = z * 1.44269504f;
    int n = (int)t; /* t >= 0: truncation is floor */
    float f = (t - (float)n) * 0.693147181f;
    float p =
        1.0f +
        f * (-1.0f + f * (0.5f + f * (-0.166666667f +
                                      f * (0.0416666667f +
                                           f * (-0.00833333333f +
                                                f * (0.00138888889f -
                                                     f * 0.000198412698f))))));
    union {
        float f;
        int32_t i;
    } s;
    s.i = (127 - n) << 23; /* 2^-n, n <= 125 */
    return p * s.f;
}

FIB__CLONES void fib__vnlm(float *aw, float *av, const float *ssd,
                           const float *b, float inv_np, float two_s2,
                           float ih2, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float d2 = ssd[i] * inv_np - two_s2;
        float wt = exp_neg(0.5f * (d2 + fabsf(d2)) * ih2); /* max(d2, 0) */
        aw[i] += wt;
        av[i] += wt * b[i];
    }
}
