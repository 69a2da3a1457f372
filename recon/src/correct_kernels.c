/*
 * correct_kernels.c -- the vector inner loops of the correction filters,
 * compiled for AVX2 and the baseline (FIB__CLONES, correct_internal.h).
 * Every loop is element-wise, so both versions give identical results.
 */
#include "correct_internal.h"

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

FIB__CLONES void fib__vminmax(float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = a[i], y = b[i];
        a[i] = y < x ? y : x;
        b[i] = y < x ? x : y;
    }
}
