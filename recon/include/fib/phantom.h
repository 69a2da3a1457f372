/*
 * fib/phantom.h -- synthetic slice-and-view series with ground truth.
 *
 * A phantom is a known 3D structure made of analytic primitives (capsules
 * and spheres, in pixel units; z in slice units scaled by slice_nm /
 * pixel_nm) rendered slice by slice with SEM-like contrast: a grey level
 * per phase, edge brightening, optional "shine-through" of material behind
 * pores, then the acquisition artifacts: a known sub-pixel drift (random
 * walk), curtaining stripes, shading, intensity drift and Gaussian noise.
 * Everything comes from one deterministic PRNG (splitmix64 seeding a
 * xoshiro256**) so a seed gives the same series on every machine.
 *
 * Every kind has, unless no_cap, a protective cap (platinum, label 3)
 * over the top tenth of the face with three fiducial grooves milled along
 * the slicing direction (so their cross-section does not change with z:
 * the static marks that fiducial-mode alignment uses).
 *
 * Kinds and labels (0 is always the background/pore phase):
 *   DENDRITES  Li dendrites grown as branching capsules from a substrate at
 *              the bottom of the face: 1 lithium, 2 substrate.
 *   COATING    coated particles: 1 core, 2 shell.
 *   PARTICLES  electrode particles (1) with binder/carbon blobs (2) and
 *              pores (0).
 *
 * Drift convention: true_drift(z) = (dx, dy) is the displacement of the
 * content in slice z (x right, y down, pixels); the shift an aligner
 * should apply is its negative (up to a constant).  Slice 0 has no drift.
 *
 * Memory: the primitive list only (a few kB); slices are rendered into
 * caller images.  Thread-safety: a phantom is read-only after creation,
 * so slices may be rendered concurrently into distinct images.
 */
#ifndef FIB_PHANTOM_H
#define FIB_PHANTOM_H

#include "fib/common.h"
#include "fib/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fib_phantom_kind {
    FIB_PHANTOM_DENDRITES = 0,
    FIB_PHANTOM_COATING,
    FIB_PHANTOM_PARTICLES
} fib_phantom_kind;

/** "dendrites", "coating", "particles". */
FIB_API const char *fib_phantom_kind_name(fib_phantom_kind kind);
/** Parse a kind name; FIB_EINVAL naming the text otherwise. */
FIB_API FIB_NODISCARD fib_status fib_phantom_kind_parse(const char *text,
                                                        fib_phantom_kind *out,
                                                        fib_error *err);

/** Parameters; zero-initialise, then set.  Zero means the default. */
typedef struct fib_phantom_params {
    fib_phantom_kind kind;
    uint64_t seed;          /**< PRNG seed (0 is a valid seed) */
    size_t nx, ny, nz;      /**< slice width, height, count; 0 = 256x256x64 */
    double pixel_nm;        /**< pixel size; 0 = 10 */
    double slice_nm;        /**< slice thickness; 0 = pixel_nm */
    double drift_px;        /**< random-walk step sigma per slice (x and y);
                                 0 = 0.6 px; negative = no drift */
    double noise;           /**< Gaussian noise sigma, fraction of the grey
                                 range; 0 = 0.03; negative = none */
    double stripes;         /**< curtaining amplitude, fraction of the range;
                                 0 = 0.04; negative = none */
    double shading;         /**< vertical shading depth; 0 = 0.15; neg none */
    double intensity_drift; /**< per-slice gain random walk sigma; 0 = 0.003;
                                 negative = none */
    bool shine_through;     /**< pores show faint material behind the face */
    bool no_cap;            /**< leave out the protective cap (label 3) */
} fib_phantom_params;

typedef struct fib_phantom fib_phantom;

/** Build the structure and the drift.  Errors: FIB_EINVAL naming the field
 *  (sizes 16..8192 a side, 1..4096 slices), FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_phantom_create(
    const fib_phantom_params *params, fib_phantom **out, fib_error *err);
FIB_API void fib_phantom_destroy(fib_phantom *ph);

/** Effective parameters (defaults filled in). */
FIB_API fib_phantom_params fib_phantom_get_params(const fib_phantom *ph);

/** True content drift of slice @p z (pixels; 0 for z >= nz). */
FIB_API void fib_phantom_true_drift(const fib_phantom *ph, size_t z, double *dx,
                                    double *dy);

/**
 * Render slice @p z (< nz) as the microscope would see it, with drift and
 * artifacts, into @p out: an initialised image of nx x ny, type u8, u16
 * (full range) or f32 (grey levels in [0, 1]).
 */
FIB_API FIB_NODISCARD fib_status fib_phantom_render(const fib_phantom *ph,
                                                    size_t z, fib_image *out,
                                                    fib_error *err);

/** Ground-truth labels of slice @p z in the sample frame (no drift) into
 *  an initialised u8 or u32 image of nx x ny. */
FIB_API FIB_NODISCARD fib_status fib_phantom_labels(const fib_phantom *ph,
                                                    size_t z, fib_image *out,
                                                    fib_error *err);

/** The same labels sampled where slice @p z's image shows them when its
 *  content is displaced by (@p ox, @p oy) px: pixel (x, y) holds the label
 *  of structure point (x - ox, y - oy) (the convention of the drift,
 *  fib_phantom_true_drift()).  Sub-pixel offsets are exact (the
 *  primitives are analytic), so the truth can be put on the grid of a
 *  reconstruction whose constant offset is known.  fib_phantom_labels()
 *  is this with (0, 0).  Errors: as fib_phantom_labels(); FIB_EINVAL for
 *  an offset that is not finite or above 1e6 px. */
FIB_API FIB_NODISCARD fib_status fib_phantom_labels_at(const fib_phantom *ph,
                                                       size_t z, double ox,
                                                       double oy,
                                                       fib_image *out,
                                                       fib_error *err);

/** Volume fraction of label @p label over the whole phantom, measured by
 *  rasterising every slice (for tests of downstream measurements). */
FIB_API double fib_phantom_label_fraction(const fib_phantom *ph,
                                          uint32_t label);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PHANTOM_H */
