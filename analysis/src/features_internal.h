/*
 * features_internal.h -- the plan of one fib_features_compute() call and
 * the per-section kernels of features_pass.c (private to analysis/).
 *
 * features.c builds the plan (kernel radii, channel offsets, workspace
 * sizes) from the parameters and drives the sections; features_pass.c
 * holds the 1-D passes, the per-section pipelines and the closed-form
 * symmetric 3x3 eigenvalues.  features_pass.c uses nothing of features.c.
 */
#ifndef FIB_FEATURES_INTERNAL_H
#define FIB_FEATURES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/features.h"

/* The element-wise loops and the eigenvalue rows are compiled twice, for
 * AVX2 and for the baseline, and picked at load time (GCC function
 * multiversioning, as recon/src/correct/correct_internal.h).  No FMA is
 * enabled and no expression is contracted (ISO C mode), so both versions
 * round identically: results do not depend on the CPU.  Off under
 * sanitizers and with clang (see there). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&         \
    !defined(__SANITIZE_ADDRESS__) && !defined(FIB_NO_CLONES)
#define FIB__FEAT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FIB__FEAT_CLONES
#endif

/* Smallest kernel standard deviation in voxels; a smaller one (a fine
 * scale on a coarse axis) is computed at this value: the smoothing
 * kernel is then the identity to 2e-22 and the derivative kernels are
 * the central differences [-1/2, 0, 1/2] and [1, -2, 1]. */
#define FIB__FEAT_SIGMA_MIN 0.1

/* Number of feature sets (FIB_FEAT_* bits) and a set's channel count. */
#define FIB__FEAT_NSETS 7

/* One half kernel: h[0..r] for offsets 0..r; symmetric (orders 0, 2:
 * w[-k] = w[k]) or antisymmetric (order 1: w[-k] = -w[k], h[0] = 0).
 * Applied as a correlation: out[i] = sum_k w[k] in[i + k]. */
typedef struct fib__fkern {
    int r;
    int order;
    const float *h;
} fib__fkern;

/* The kernels of one scale: k[axis][order] at the scale's sigma, dog[axis]
 * (order 0) at 0.66 sigma, st[axis] (order 0) at sigma / 2 (structure
 * tensor outer scale); ch[set]: the first channel of each set, or -1 when
 * the set is not computed. */
typedef struct fib__fscale {
    double s;
    fib__fkern k[3][3];
    fib__fkern dog[3];
    fib__fkern st[3];
    long ch[FIB__FEAT_NSETS];
    size_t halo_z; /* input sections needed beyond the output on a side */
    size_t st_r;   /* st[2].r when the structure tensor is computed, else 0 */
} fib__fscale;

typedef struct fib__fplan {
    size_t nx, ny, plane;
    unsigned sets;
    bool raw;
    size_t nscales;
    fib__fscale sc[FIB_FEATURES_MAX_SCALES];
    size_t nch;           /* channels per voxel */
    size_t halo_z;        /* max over scales */
    size_t st_r_max;      /* max over scales of st_r */
    size_t kern_floats;   /* floats of all half kernels together */
    size_t pad_r;         /* largest radius along x (row padding) */
    size_t pstride;       /* row stride of a padded plane: nx + 2 pad_r */
    size_t pplane;        /* floats of a padded plane: ny * pstride */
    size_t thread_floats; /* per-thread workspace (planes, rows) */
} fib__fplan;

/* Number of plane buffers (padded: pplane floats; a z pass uses the first
 * nx * ny contiguously) and row buffers of a thread's workspace. */
#define FIB__FEAT_PLANES 9
#define FIB__FEAT_ROWS 20

/* Reflected index (x[-1] = x[1], x[n] = x[n - 2]) of i in [0, n), for any
 * i (repeated reflection when a kernel is wider than the axis). */
static inline size_t fib__mirror(ptrdiff_t i, size_t n)
{
    ptrdiff_t m = (ptrdiff_t)n;
    if (i >= 0 && i < m)
        return (size_t)i;
    if (i < 0 && -i < m)
        return (size_t)-i;
    if (i >= m && i < 2 * m - 1)
        return (size_t)(2 * m - 2 - i);
    if (n == 1)
        return 0;
    ptrdiff_t per = 2 * (ptrdiff_t)(n - 1);
    i %= per;
    if (i < 0)
        i += per;
    return (size_t)(i < (ptrdiff_t)n ? i : per - i);
}

/* Radius of a kernel of derivative @p order and standard deviation
 * @p sigma voxels: ceil((3 + order / 2) sigma) (vigra's
 * initGaussianDerivative window; sigma clamped at FIB__FEAT_SIGMA_MIN),
 * at least 1. */
int fib__feat_radius(double sigma, int order);

/* Fill h[0..r] (r = fib__feat_radius(sigma, order)) with the half kernel of
 * @p order at @p sigma, derivatives multiplied by @p f^order (f = x
 * voxel / this axis's voxel: derivatives per x-voxel length). */
void fib__feat_kernel(double sigma, int order, double f, float *h);

/* Eigenvalues of the symmetric matrix [[a, d, e], [d, b, f], [e, f, c]],
 * descending, into ev[0..2] (closed form; NaN in -> NaN out). */
void fib__feat_eig3(float a, float b, float c, float d, float e, float f,
                    float ev[3]);

/* fib__feat_eig3 of n matrices given as six component rows, into the
 * rows e0, e1, e2 (descending). */
void fib__feat_eig3_row(size_t n, const float *a, const float *b,
                        const float *c, const float *d, const float *e,
                        const float *f, float *e0, float *e1, float *e2);

/* The input of a section pass: sections [in_z0, in_z0 + in_nz) of a
 * volume of vol_nz sections. */
typedef struct fib__fvol {
    const float *in;
    size_t in_z0, vol_nz;
} fib__fvol;

/* Scale @p sc of section @p zd: when @p out is non-NULL, every channel but
 * the structure tensor's into out (the section's first row, nch floats a
 * row); when @p grad is non-NULL, the three gradient components into
 * grad[c * grad_stride + y * nx + x].  @p ws: thread_floats floats. */
void fib__feat_section(const fib__fplan *pl, const fib__fscale *sc,
                       const fib__fvol *v, size_t zd, float *ws, float *out,
                       float *grad, size_t grad_stride);

/* Structure-tensor eigenvalues of scale @p sc for output section @p z
 * into out (the section's first row), from the gradients of sections
 * [g_z0, g_z0 + g_nz) (grad as above, section zd at (zd - g_z0) * plane). */
void fib__feat_structure(const fib__fplan *pl, const fib__fscale *sc,
                         const float *grad, size_t grad_stride, size_t g_z0,
                         size_t vol_nz, size_t z, float *ws, float *out);

#endif
