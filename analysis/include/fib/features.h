/*
 * fib/features.h -- per-voxel image features for a trainable pixel
 * classifier (issue 19): the filter bank ilastik's pixel classification
 * offers (Sommer et al. 2011; Berg et al. 2019, Nat. Methods 16:1226),
 * computed in 3-D with anisotropic voxel sizes.
 *
 * For each scale s (a Gaussian standard deviation in voxels of the x
 * axis; along axis a the standard deviation is s * voxel_nm[0] /
 * voxel_nm[a], so a scale is the same physical length on every axis):
 *
 *   GAUSS      G_s * I                                  (1 channel)
 *   LOG        Laplacian of Gaussian  sum_a d2/da2 (G_s * I)  (1)
 *   GRADMAG    |grad (G_s * I)|                         (1)
 *   DOG        G_s * I - G_{0.66 s} * I                 (1)
 *   STRUCTURE  eigenvalues of the structure tensor
 *              G_{s/2} * (grad(G_s*I) grad(G_s*I)^T), descending   (3)
 *   HESSIAN    eigenvalues of the Hessian of G_s * I, descending   (3)
 *   VARIANCE   local variance G_s * I^2 - (G_s * I)^2   (1)
 *
 * plus, when raw is set, the grey value itself (channel 0).  Derivatives
 * are sampled derivative-of-Gaussian kernels truncated at (3 + order/2)
 * sigma (vigra's initGaussianDerivative window: 3, 3.5, 4 sigma for
 * orders 0, 1, 2; at least one voxel) and normalised so that polynomials
 * are differentiated exactly (sum w = 1; a ramp's slope; d2/dx2 x^2 = 2);
 * a standard deviation below 0.1 voxel (a fine scale on a coarse axis) is
 * taken as 0.1 (central differences).  Derivatives are per physical
 * length of one x voxel, so an anisotropic volume gives the same values
 * as an isotropic one sampled at the x voxel size.  Volume borders are
 * reflected (x[-1] = x[1]; repeatedly when a kernel is wider than the
 * axis).  Arithmetic is float (eigenvalues in double); a NaN or infinite
 * input voxel is propagated to every feature whose kernels reach it --
 * the caller normalises the input first (analysis/FEATURES.md).
 *
 * Channel order: raw (if set), then for each scale in the given order the
 * sets in the order of the table above (only those selected).
 *
 * Results do not depend on the thread count (OpenMP over lines; each
 * output value is computed by the same arithmetic whatever the split).
 * Everything is in memory; nothing touches files.
 */
#ifndef FIB_FEATURES_H
#define FIB_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FIB_FEAT_GAUSS = 1u << 0,
    FIB_FEAT_LOG = 1u << 1,
    FIB_FEAT_GRADMAG = 1u << 2,
    FIB_FEAT_DOG = 1u << 3,
    FIB_FEAT_STRUCTURE = 1u << 4,
    FIB_FEAT_HESSIAN = 1u << 5,
    FIB_FEAT_VARIANCE = 1u << 6,
    FIB_FEAT_ALL = (1u << 7) - 1
};

/** Most scales of one feature set. */
#define FIB_FEATURES_MAX_SCALES 8

/** The feature set.  Zero-initialised = the default: scales 0.7, 1.0,
 *  1.6, 3.5, 5.0, 10.0 (ilastik's, without 0.3), every set, the raw value,
 *  isotropic voxels. */
typedef struct fib_features_params {
    /** Scales in x voxels, ascending or not, each in 0.3..64, no repeats;
     *  the list ends at the first 0 (nothing non-zero after it);
     *  scales[0] = 0: the default list. */
    double scales[FIB_FEATURES_MAX_SCALES];
    unsigned sets; /**< FIB_FEAT_* bits; 0 = FIB_FEAT_ALL */
    bool no_raw;   /**< leave out the raw grey value */
    /** Voxel size x, y, z; any <= 0 = isotropic; otherwise x / y and
     *  x / z within 1/1000..1000. */
    double voxel_nm[3];
} fib_features_params;

/** Check @p p: scales in range, sets known, voxel sizes finite (ratios
 *  within 1000).  Errors: FIB_EINVAL naming the field and the limit. */
FIB_API FIB_NODISCARD fib_status
fib_features_check(const fib_features_params *p, fib_error *err);

/** Number of channels per voxel (p checked). */
FIB_API size_t fib_features_count(const fib_features_params *p);

/** Name of channel @p i into @p buf (e.g. "raw", "gauss_s1.6",
 *  "hessian_ev1_s3.5"); the empty string when i is out of range. */
FIB_API void fib_features_name(const fib_features_params *p, size_t i,
                               char *buf, size_t n);

/** A one-line text that identifies the feature set (version, scales,
 *  sets, raw), to store with a trained model and compare when it is
 *  applied.  The voxel size is not part of it (scales are physical). */
FIB_API void fib_features_signature(const fib_features_params *p, char *buf,
                                    size_t n);

/** Input sections needed beyond the output on each side along z: the
 *  largest z kernel radius the sets use, or for the structure tensor its
 *  outer radius plus the gradient's radius, over the scales. */
FIB_API size_t fib_features_halo_z(const fib_features_params *p);

/** Working memory of fib_features_compute() beyond @p in and @p out, in
 *  bytes, for @p nz_out output sections of nx x ny, with the calling
 *  thread's current OpenMP team size (omp_get_max_threads()): per thread
 *  9 (nx + 2 r) * ny + 20 nx floats (r the largest x radius), 3 floats a
 *  voxel of gradients over the output and the structure tensor's z halo,
 *  the kernels.  An upper bound of what one call allocates (call it with
 *  the thread count compute will run with); SIZE_MAX on overflow. */
FIB_API size_t fib_features_work_bytes(const fib_features_params *p, size_t nx,
                                       size_t ny, size_t nz_out);

/**
 * Features of sections [@p z0, @p z1) of a volume of @p vol_nz sections of
 * @p nx x @p ny voxels.  @p in holds sections [@p in_z0, @p in_z0 + @p
 * in_nz) of that volume (x fastest, then y, then z), which must include
 * [z0 - halo, z1 + halo) clipped to [0, vol_nz) (fib_features_halo_z());
 * the volume border (z = 0, vol_nz - 1) is reflected, never a slab edge.
 * @p out receives (z1 - z0) * ny * nx rows of fib_features_count()
 * floats, row r = voxel (x, y, z0 + z) with r = (z * ny + y) * nx + x.
 * The values are those the whole volume would give (bit for bit), on any
 * number of threads.
 * Errors: FIB_EINVAL (parameters, sizes, ranges, a size that overflows),
 * FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status
fib_features_compute(const fib_features_params *p, const float *in, size_t nx,
                     size_t ny, size_t in_z0, size_t in_nz, size_t vol_nz,
                     size_t z0, size_t z1, float *out, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_FEATURES_H */
