/*
 * features_eig.c -- closed-form eigenvalues of symmetric 3x3 matrices (the
 * Hessian and structure-tensor channels of fib/features.h).  In a file of
 * its own so that its AVX2 clone is what the callers in features_pass.c
 * reach (GCC inlines the baseline version into callers in the same file).
 */
#include <math.h>

#include "features_internal.h"

/* ------------------------------------------------------------------ */
/* symmetric 3x3 eigenvalues                                           */

/*
 * The trigonometric solution of the characteristic cubic (Smith 1961,
 * Commun. ACM 4:168; Kopp 2008, Int. J. Mod. Phys. C 19:523, eq. 8-22):
 * q = tr A / 3, p = sqrt(tr((A - qI)^2) / 6), B = (A - qI) / p,
 * r = det B / 2 clamped to [-1, 1], phi = acos(r) / 3 in [0, pi/3];
 *   ev1 = q + 2p cos(phi),
 *   ev2 = q - p cos(phi) + sqrt(3) p sin(phi)   (= q + 2p cos(phi - 2pi/3)),
 *   ev3 = q - p cos(phi) - sqrt(3) p sin(phi)   (= q + 2p cos(phi + 2pi/3)).
 * Computed in double (the cancellation in A - qI and in det B is then far
 * below float resolution) with polynomial acos (Abramowitz & Stegun
 * 4.4.46, |error| <= 2e-8) and Taylor cos/sin of phi (to phi^14 / phi^15,
 * error < 1e-12 on [0, pi/3]), branch-free so that a row vectorises.
 * A diagonal matrix (off-diagonal all 0, a multiple of the identity
 * included) gives its diagonal exactly; NaN in gives NaN out.  Sorted
 * descending.
 */
static inline double acos_as(double r)
{
    double x = r < 0.0 ? -r : r;
    double poly =
        1.5707963050 +
        x * (-0.2145988016 +
             x * (0.0889789874 +
                  x * (-0.0501743046 +
                       x * (0.0308918810 +
                            x * (-0.0170881256 +
                                 x * (0.0066700901 + x * -0.0012624911))))));
    double t = sqrt(1.0 - x) * poly;
    return r < 0.0 ? 3.14159265358979324 - t : t;
}

static inline double cos_t(double x)
{
    double x2 = x * x;
    return 1.0 +
           x2 * (-1.0 / 2 +
                 x2 * (1.0 / 24 +
                       x2 * (-1.0 / 720 +
                             x2 * (1.0 / 40320 +
                                   x2 * (-1.0 / 3628800 +
                                         x2 * (1.0 / 479001600 +
                                               x2 * -1.0 / 87178291200.0))))));
}

static inline double sin_t(double x)
{
    double x2 = x * x;
    return x * (1.0 +
                x2 * (-1.0 / 6 +
                      x2 * (1.0 / 120 +
                            x2 * (-1.0 / 5040 +
                                  x2 * (1.0 / 362880 +
                                        x2 * (-1.0 / 39916800 +
                                              x2 * (1.0 / 6227020800.0 +
                                                    x2 * -1.0 /
                                                        1307674368000.0)))))));
}

static inline void eig3_one(double A, double B, double C, double D, double E,
                            double F, float *e0, float *e1, float *e2)
{
    double p1 = D * D + E * E + F * F;
    double q = (A + B + C) * (1.0 / 3.0);
    double aa = A - q, bb = B - q, cc = C - q;
    double p2 = aa * aa + bb * bb + cc * cc + 2.0 * p1;
    double p = sqrt(p2 * (1.0 / 6.0));
    double ip = p > 0.0 ? 1.0 / p : 0.0;
    double det =
        aa * (bb * cc - F * F) - D * (D * cc - F * E) + E * (D * F - bb * E);
    double r = 0.5 * det * ip * ip * ip;
    r = r < -1.0 ? -1.0 : r > 1.0 ? 1.0 : r;
    double phi = acos_as(r) * (1.0 / 3.0);
    double c = p * cos_t(phi), s = 1.7320508075688772 * p * sin_t(phi);
    double l0 = q + 2.0 * c, l1 = q - c + s, l2 = q - c - s;
    if (p1 == 0.0)
        l0 = A, l1 = B, l2 = C;
    /* sort descending (selects; a NaN stays NaN) */
    double hi = l0 < l1 ? l1 : l0, lo = l0 < l1 ? l0 : l1;
    double top = hi < l2 ? l2 : hi, m = hi < l2 ? hi : l2;
    double mid = lo < m ? m : lo, bot = lo < m ? lo : m;
    *e0 = (float)top;
    *e1 = (float)mid;
    *e2 = (float)bot;
}

void fib__feat_eig3(float a, float b, float c, float d, float e, float f,
                    float ev[3])
{
    eig3_one(a, b, c, d, e, f, ev, ev + 1, ev + 2);
}

FIB__FEAT_CLONES void
fib__feat_eig3_row(size_t n, const float *restrict a, const float *restrict b,
                   const float *restrict c, const float *restrict d,
                   const float *restrict e, const float *restrict f,
                   float *restrict e0, float *restrict e1, float *restrict e2)
{
    for (size_t i = 0; i < n; i++)
        eig3_one(a[i], b[i], c[i], d[i], e[i], f[i], e0 + i, e1 + i, e2 + i);
}
