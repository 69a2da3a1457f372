/*
 * correct_kernels.c -- the vector inner loops of the correction filters,
 * compiled for AVX2 and the baseline (FIB__CLONES, correct_internal.h).
 * Every loop is element-wise, so both versions give identical results.
 */
#include "correct_internal.h"

#include <stdint.h>
#include <string.h>

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

/* exp(-z) for z >= 0 without libm, Cephes expf's method (S. L. Moshier,
 * Cephes Math Library, expf.c): z is clamped to 87 (e^-87 = 1.6e-38 is
 * still a normal float), n = round(z / ln 2), r = z - n ln 2 with ln 2
 * split in two (Cody & Waite 1980; n C1 and z - n C1 are exact), e^-r =
 * 1 + x + x^2 P(x), x = -r, |x| <= ln 2 / 2, with Cephes' degree-5
 * minimax P (evaluated by Estrin's scheme: a short dependency chain),
 * times 2^-n by the exponent bits.  Relative error against exp() in
 * double: < 2.5e-7 on [0, 87] (tests/test_correct.c). */
#define EXP_C1 0.693359375f
#define EXP_C2 (-2.12194440e-4f)
#define EXP_P0 5.0000001201e-1f
#define EXP_P1 1.6666665459e-1f
#define EXP_P2 4.1665795894e-2f
#define EXP_P3 8.3334519073e-3f
#define EXP_P4 1.3981999507e-3f
#define EXP_P5 1.9875691500e-4f

static inline float exp_neg(float z)
{
    z = z < 87.0f ? z : 87.0f;
    int n = (int)(z * 1.44269504f + 0.5f); /* z >= 0: round to nearest */
    float fn = (float)n;
    float x = -((z - fn * EXP_C1) - fn * EXP_C2);
    float x2 = x * x;
    float p = (EXP_P0 + EXP_P1 * x) +
              x2 * ((EXP_P2 + EXP_P3 * x) + x2 * (EXP_P4 + EXP_P5 * x));
    float y = (p * x2 + x) + 1.0f;
    union {
        float f;
        int32_t i;
    } s;
    s.i = (127 - n) << 23; /* 2^-n, n <= 126 */
    return y * s.f;
}

static inline float nlm_weight(float ssd, float inv_np, float two_s2, float ih2)
{
    float d2 = ssd * inv_np - two_s2;
    return exp_neg((d2 > 0.0f ? d2 : 0.0f) * ih2);
}

#if defined(__GNUC__)
/* The NLM sums as 8-lane vectors (GCC/clang vector extensions; lowered to
 * SSE pairs in the baseline clone).  Every lane does the scalar code's
 * operations in the scalar code's order, so both give identical results. */
#define FIB__NLM_V 1
#if !defined(__clang__)
/* the helpers below are static and inlined: no ABI to keep */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#if defined(__clang__)
/* The v8f / v8i helpers below are static to this file, so no call passes
 * a 32-byte vector across an ABI boundary; clang's warning that such
 * arguments change the ABI without AVX does not apply (GCC compiles them
 * to SSE pairs without a warning). */
#pragma clang diagnostic ignored "-Wpsabi"
#endif
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8f ld8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st8(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

/* a where m is true (all bits set), else b */
static inline v8f vsel8(v8i m, v8f a, v8f b)
{
    v8i ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    ia = (ia & m) | (ib & ~m);
    memcpy(&a, &ia, sizeof a);
    return a;
}

/* exp_neg lane by lane */
static inline v8f vexp_neg8(v8f z)
{
    const v8f zero = {0}, big = zero + 87.0f;
    z = vsel8(z < 87.0f, z, big);
    v8i n = __builtin_convertvector(z * 1.44269504f + 0.5f, v8i);
    v8f fn = __builtin_convertvector(n, v8f);
    v8f x = -((z - fn * EXP_C1) - fn * EXP_C2);
    v8f x2 = x * x;
    v8f p = (EXP_P0 + EXP_P1 * x) +
            x2 * ((EXP_P2 + EXP_P3 * x) + x2 * (EXP_P4 + EXP_P5 * x));
    v8f y = (p * x2 + x) + 1.0f;
    v8i e = (127 - n) << 23;
    v8f sc;
    memcpy(&sc, &e, sizeof sc);
    return y * sc;
}

static inline v8f vnlm_weight8(v8f ssd, float inv_np, float two_s2, float ih2)
{
    const v8f zero = {0};
    v8f d2 = ssd * inv_np - two_s2;
    return vexp_neg8(vsel8(d2 > 0.0f, d2, zero) * ih2);
}
#endif

/* The loops of fib__vwinsum / fib__vnlm_weight, inlined with the window
 * length a constant for the common patch sizes (unrolled sums). */
static inline __attribute__((always_inline)) void
winsum_body(float *o, const float *d, size_t len, size_t n)
{
    size_t i = 0;
#ifdef FIB__NLM_V
    for (; i + 16 <= n; i += 16) {
        v8f s0 = ld8(d + i), s1 = ld8(d + i + 8);
        for (size_t k = 1; k < len; k++) {
            s0 += ld8(d + i + k);
            s1 += ld8(d + i + k + 8);
        }
        st8(o + i, s0);
        st8(o + i + 8, s1);
    }
#endif
    for (; i < n; i++) {
        float t = d[i];
        for (size_t k = 1; k < len; k++)
            t += d[i + k];
        o[i] = t;
    }
}

static inline __attribute__((always_inline)) void
weight_body(float *wt, const float *const *rows, size_t nk, float inv_np,
            float two_s2, float ih2, size_t n)
{
    size_t i = 0;
#ifdef FIB__NLM_V
    for (; i + 16 <= n; i += 16) {
        v8f s0 = ld8(rows[0] + i), s1 = ld8(rows[0] + i + 8);
        for (size_t k = 1; k < nk; k++) {
            s0 += ld8(rows[k] + i);
            s1 += ld8(rows[k] + i + 8);
        }
        st8(wt + i, vnlm_weight8(s0, inv_np, two_s2, ih2));
        st8(wt + i + 8, vnlm_weight8(s1, inv_np, two_s2, ih2));
    }
#endif
    for (; i < n; i++) {
        float t = rows[0][i];
        for (size_t k = 1; k < nk; k++)
            t += rows[k][i];
        wt[i] = nlm_weight(t, inv_np, two_s2, ih2);
    }
}

FIB__CLONES void fib__vwinsum(float *o, const float *d, size_t len, size_t n)
{
    switch (len) {
    case 3:
        winsum_body(o, d, 3, n);
        break;
    case 5:
        winsum_body(o, d, 5, n);
        break;
    case 7:
        winsum_body(o, d, 7, n);
        break;
    default:
        winsum_body(o, d, len, n);
    }
}

FIB__CLONES void fib__vnlm_weight(float *wt, const float *const *rows,
                                  size_t nk, float inv_np, float two_s2,
                                  float ih2, size_t n)
{
    switch (nk) {
    case 3:
        weight_body(wt, rows, 3, inv_np, two_s2, ih2, n);
        break;
    case 5:
        weight_body(wt, rows, 5, inv_np, two_s2, ih2, n);
        break;
    case 7:
        weight_body(wt, rows, 7, inv_np, two_s2, ih2, n);
        break;
    default:
        weight_body(wt, rows, nk, inv_np, two_s2, ih2, n);
    }
}

FIB__CLONES void fib__vnlm_acc(float *aw, float *av, const float *wt,
                               const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        aw[i] += wt[i];
        av[i] += wt[i] * b[i];
    }
}
