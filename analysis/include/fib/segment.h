/*
 * fib/segment.h -- segmentation of reconstructed volumes: global
 * thresholds (Otsu, multi-Otsu, manual, hysteresis), 3D morphology with
 * ball structuring elements in physical units, connected components,
 * hole filling, small-object removal, exact Euclidean distance transform
 * and a marker watershed that splits touching particles.
 *
 * Conventions.  Volumes must have packed strides (as made by
 * fib_volume_init()).  Masks are FIB_PX_U8 volumes, 0 = background, any
 * other value = foreground.  Label volumes are FIB_PX_U32.  Physical
 * spacing comes from vol->voxel_size_nm; an unknown size (0) counts as
 * 1 nm so that results are then in voxel units.  Counters are 64-bit
 * (PoreSpy issue #814).  Everything is in memory; nothing touches files.
 *
 * Thread-safety: every function is safe on distinct outputs; OpenMP is
 * used inside some and results do not depend on the thread count.
 */
#ifndef FIB_SEGMENT_H
#define FIB_SEGMENT_H

#include "fib/common.h"
#include "fib/image.h"
#include "fib/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Histogram bins used by Otsu / multi-Otsu (as skimage's nbins=256). */
#define FIB_OTSU_BINS 256

/**
 * Otsu (1979) threshold of all voxels of @p vol (u8, u16, f32; NaN
 * skipped), from a 256-bin histogram over [min, max].  The threshold is a
 * bin upper edge (skimage: the bin centre); voxels > threshold are foreground.
 * Errors: FIB_EINVAL (empty or constant volume).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_otsu(const fib_volume *vol,
                                                double *threshold,
                                                fib_error *err);

/**
 * Multi-Otsu (Liao, Chen & Chung 2001): @p classes - 1 thresholds (2 <=
 * classes <= 5) that maximise the between-class variance of the 256-bin
 * histogram, by exhaustive search over bin boundaries; ascending.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_multi_otsu(const fib_volume *vol,
                                                      int classes,
                                                      double *thresholds,
                                                      fib_error *err);

/**
 * The streaming form of the two above, for volumes read slab by slab:
 * fib_recon_hist_add() adds the finite voxels of @p vol (u8, u16, f32) to
 * @p count[FIB_OTSU_BINS], the histogram over [@p lo, @p hi] (the min and
 * max of the whole volume's finite voxels, found by a first pass); then
 * fib_recon_multi_otsu_hist() gives the thresholds.  Same bins, same sums,
 * same arithmetic as fib_recon_multi_otsu() on the whole volume: the same
 * thresholds, bit for bit.  Errors: FIB_EINVAL (lo >= hi, u32 input,
 * classes).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_hist_add(const fib_volume *vol,
                                                    double lo, double hi,
                                                    double *count,
                                                    fib_error *err);
FIB_API FIB_NODISCARD fib_status fib_recon_multi_otsu_hist(const double *count,
                                                           double lo, double hi,
                                                           int classes,
                                                           double *thresholds,
                                                           fib_error *err);

/**
 * Classify each voxel by @p n ascending thresholds: label = number of
 * thresholds the value is strictly greater than (0..n).  @p labels is a
 * new owned u32 volume with the voxel sizes of @p vol.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_classify(const fib_volume *vol,
                                                    const double *thresholds,
                                                    size_t n,
                                                    fib_volume *labels,
                                                    fib_error *err);

/**
 * Hysteresis threshold (as skimage apply_hysteresis_threshold): voxels >
 * @p high seed, grown into @p connectivity-connected voxels > @p low.
 * @p mask: new owned u8 volume (0/1).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_hysteresis(const fib_volume *vol,
                                                      double low, double high,
                                                      int connectivity,
                                                      fib_volume *mask,
                                                      fib_error *err);

/**
 * Connected components of the non-zero voxels of @p mask (any pixel
 * type) with 6 (faces), 18 (faces + edges) or 26 (all) connectivity,
 * two-pass union-find (parallel over z slabs, merged after).  Labels are
 * 1..n numbered in order of first voxel in x-fastest raster order (the
 * numbering scipy.ndimage.label gives); 0 = background.  @p labels: new
 * owned u32 volume.  Errors: FIB_EINVAL (connectivity), FIB_ERANGE (more
 * than 2^32 - 2 voxels).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_label(const fib_volume *mask,
                                                 int connectivity,
                                                 fib_volume *labels,
                                                 size_t *n_labels,
                                                 fib_error *err);

/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher,
 * Theory of Computing 8:415, 2012; separable lower envelopes of
 * parabolas with anisotropic sampling): for every non-zero voxel of
 * @p mask, the distance in nm from its centre to the nearest zero voxel
 * centre; 0 on zero voxels; +inf when the mask has no zero voxel (as
 * scipy.ndimage.distance_transform_edt with sampling = voxel sizes).
 * @p dist: new owned f32 volume.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_edt(const fib_volume *mask,
                                               fib_volume *dist,
                                               fib_error *err);

/** Morphological operations with a ball of a physical radius. */
typedef enum fib_morph_op {
    FIB_MORPH_ERODE = 0,
    FIB_MORPH_DILATE,
    FIB_MORPH_OPEN,
    FIB_MORPH_CLOSE
} fib_morph_op;

/**
 * Apply @p op to the u8 @p mask in place with a ball of radius
 * @p radius_nm: in voxels an ellipsoid with semi-axes radius / voxel size
 * (a voxel q is inside the ball around p when |q - p| <= radius in nm).
 * Implemented by thresholding the exact EDT (dilation: distance to the
 * nearest foreground <= r; erosion: distance to the nearest background
 * > r), so the cost does not grow with the radius.  The outside of the
 * volume counts as neither phase: the border neither erodes nor dilates.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_morph(fib_volume *mask,
                                                 fib_morph_op op,
                                                 double radius_nm,
                                                 fib_error *err);

/** Fill holes: background components (6-connected) that do not touch the
 *  volume border become foreground (value 1). */
FIB_API FIB_NODISCARD fib_status fib_recon_fill_holes(fib_volume *mask,
                                                      fib_error *err);

/** Remove foreground components (@p connectivity) of fewer than
 *  @p min_voxels voxels from the u8 @p mask in place. */
FIB_API FIB_NODISCARD fib_status fib_recon_remove_small(fib_volume *mask,
                                                        int connectivity,
                                                        size_t min_voxels,
                                                        fib_error *err);

/**
 * Split touching particles: markers are the connected plateaus of the
 * EDT within @p h_nm of a local maximum (h-maxima; h = 0 gives one nm
 * when voxel sizes are unknown), then a priority-flood watershed on -EDT
 * restricted to the mask (Gostick's SNOW idea without the Gaussian).
 * @p labels: new owned u32 volume, 1..n.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_watershed(const fib_volume *mask,
                                                     double h_nm,
                                                     fib_volume *labels,
                                                     size_t *n_labels,
                                                     fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_SEGMENT_H */
