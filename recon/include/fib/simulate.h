/*
 * fib/simulate.h -- a slice-and-view digital twin: renders what a FIB-SEM
 * records, slice by slice, from any label volume, and the ground truth a
 * perfect reconstruction should give back.  In memory only (the CLI,
 * `cryofib simulate`, reads the labels and writes the files).
 *
 * Coordinates of the label volume (the sample): x along the face width,
 * y depth below the top surface (label row 0 is the top surface), z the
 * milling direction (label slice k is the face after milling k voxels).
 *
 * Image formation for output slice k (recon/README.md, "Digital twin", has
 * the parameter table; recon-methods.md sec. 2.1-2.2 the geometry):
 *   1. the face: label slice floor(z_k / voxel_z) at the measured depth
 *      z_k (nominal thickness with jitter); per-phase grey level, 3D value-
 *      noise texture fixed in the sample, SE edge brightening at phase
 *      boundaries, curtains (vertical streaks fixed in the sample, fading
 *      with depth below the top surface, amplitudes evolving slowly with
 *      z), all on the label grid;
 *   2. beam blur: separable Gaussian PSF (sigma in image pixels, converted
 *      to label voxels along x and along the foreshortened y), plus the
 *      pixel integration when the image pixel is coarser than a voxel;
 *   3. projection onto the image: image x = X / pixel; image y =
 *      Y sin(theta) / pixel (foreshortening, theta = angle between the
 *      electron and ion beams: 52 deg Thermo/FEI, 54 deg Zeiss; 1 when
 *      the instrument corrects it or the view is orthogonal), distorted
 *      by the slow affine A_k about the image centre when asked
 *      (scale_drift, shear_drift, rotation_drift_deg), shifted by
 *      the content displacement c_k = stage drift + receding face; the
 *      blurred face is sampled there by Keys cubic convolution (a = -0.5),
 *      so sub-pixel drift is applied exactly up to the interpolation error;
 *   4. frame-fixed shading (a smooth polynomial fixed in the image, with a
 *      slowly varying amplitude: charging), slice gain and offset drift,
 *      shot noise (Gaussian approximation of Poisson counts at `dose`
 *      electrons per unit grey) and read noise.
 * Every artifact draws from its own PRNG stream (xoshiro256** seeded by
 * splitmix64 from (seed, stream)), so switching one artifact off leaves
 * the others bit-identical: a "clean" render with the same seed differs
 * only by what was switched off.
 *
 * Drift convention: c_k is the displacement of the content in slice k
 * (x right, y down, pixels).  The truth a perfect aligner reports (the
 * applied shift of cryofib recon's drift.csv, fib/recon.h) is
 * a_k = -(c_k - mean c).  The receding face (recon-methods.md 2.2: the
 * face moves by t along its normal, seen as t cos(theta) / pixel in image
 * y, content moving up, -y) is in c_k unless the instrument tracks it.
 *
 * Truth on the reconstruction grid: what `cryofib recon` writes when it
 * aligns perfectly: width nx, height round(ny / s) with s = sin(theta)
 * (1 when not foreshortened), output pixel (i, j) of slice k showing the
 * sample point X = (i + 1/2 - mean c_x) pixel + X0, Y = (j + 1/2) pixel -
 * mean c_y pixel / s + Y0 (X0, Y0 the field origin) at depth z_k.
 *
 * Thread-safety: a fib_sim is read-only after creation; slices may be
 * rendered concurrently into distinct images.  Memory: the per-slice
 * truth table and the curtain amplitudes (O(nz * curtains) doubles), plus
 * one label-grid float slice per render call.  The label volume is
 * borrowed and must outlive the fib_sim.
 */
#ifndef FIB_SIMULATE_H
#define FIB_SIMULATE_H

#include "fib/common.h"
#include "fib/image.h"
#include "fib/phantom.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of distinct label values a volume may hold. */
#define FIB_SIM_MAX_PHASES 16

/**
 * Parameters; zero-initialise, then set.  Zero means the default given;
 * for artifacts a negative value switches them off.  Greys are fractions
 * of the detector range [0, 1].
 */
typedef struct fib_sim_params {
    uint64_t seed; /**< PRNG seed (0 is a valid seed) */
    /* acquisition geometry */
    double pixel_nm;     /**< image pixel (x and raw y); 0 = voxel x */
    double slice_nm;     /**< nominal slice thickness; 0 = voxel z */
    double slice_jitter; /**< relative sigma of each slice's thickness
                              (milling rate fluctuation); 0 = 0.05;
                              negative = none (clamped to [0.2, 3] t) */
    size_t n_slices;     /**< 0 = as many as the volume depth holds */
    double tilt_deg;     /**< angle between the electron and ion beams;
                              0 = 52 (Thermo/FEI); 90 = orthogonal view
                              (no foreshortening); negative = no tilt */
    bool tilt_corrected; /**< instrument stretches y (dynamic tilt
                              correction): no foreshortening in the image */
    bool no_tracking;    /**< the instrument does not follow the receding
                              face: content moves up t cos(theta)/pixel per
                              slice */
    bool static_face;    /**< test mode: every slice shows the face of label
                              slice 0 (texture and pore-back included), so
                              only drift and artifacts change between
                              slices */
    /* contrast */
    const double *grey; /**< grey per phase in label order (ascending
                             values), n_grey of them; NULL = evenly
                             spread over [0.15, 0.75] */
    size_t n_grey;
    double texture;    /**< texture amplitude per phase (value noise in
                            [-1, 1] times this); 0 = 0.03; negative =
                            none */
    double texture_nm; /**< texture correlation length; 0 = 3 pixels */
    double edge_gain;  /**< SE edge brightening at phase boundaries, times
                            the grey step; 0 = 0.25; negative = none */
    double psf_px;     /**< beam blur, Gaussian sigma in image pixels;
                            0 = 0.7; negative = none */
    /* stage drift (content displacement, image pixels) */
    double drift_px;    /**< random-walk step sigma per slice and axis;
                             0 = 0.3; negative = none */
    double trend_px[2]; /**< slow trend, px per slice (x, y); both 0 =
                             a random direction of 0.05 px/slice;
                             NaN in x = no trend */
    double jump_prob;   /**< probability per slice of a stage jump;
                             0 = 0.02; negative = none */
    double jump_px;     /**< jump length (mean; uniform 0.5-1.5x, random
                             direction); 0 = 3 */
    /* curtains (fixed in the sample) */
    double curtain_amp;        /**< mean streak amplitude (grey); 0 = 0.06;
                                    negative = none */
    double curtain_width_px;   /**< median streak width (Gaussian sigma x 2,
                                    log-uniform over 1/3-3x); 0 = 3 */
    double curtain_spacing_px; /**< mean distance between streaks; 0 = 12 */
    double curtain_fade_nm;    /**< e-folding depth below the top surface;
                                    0 = half the volume height */
    double curtain_evolve;     /**< correlation length of the amplitudes, in
                                    slices; 0 = 30 */
    /* pore-back (shine-through, recon-methods.md 3.5) */
    double shine_nm;   /**< through a pore (phase 0, the lowest label) the
                            beam sees the first solid voxel along its line
                            of sight (down and into the sample at theta);
                            its grey step over the pore's shows, weighted
                            by exp(-distance / shine_nm) x shine_gain;
                            0 = 2 x slice_nm; negative = none */
    double shine_gain; /**< 0 = 0.5 */
    /* frame and detector */
    double frame_stripes; /**< amplitude of vertical stripes fixed in the
                               image frame (scan generator / detector
                               pattern, not moving with the sample);
                               0 = none (default) */
    double shading;       /**< frame-fixed shading depth; 0 = 0.08;
                               negative = none */
    double gain_drift;    /**< per-slice gain random-walk sigma (relative);
                               0 = 0.004; negative = none */
    double dose;          /**< electrons per unit grey per pixel (shot noise
                               sigma = sqrt(I / dose)); 0 = 400; negative =
                               none */
    double read_noise;    /**< Gaussian read noise sigma (grey); 0 = 0.01;
                               negative = none */
    /* slow affine distortion of the image (scan distortion, charging):
     * slice k's content is mapped about the image centre by A_k =
     * R(theta f_k) [[1 + s f_k, h f_k], [0, 1 + s f_k]], f_k = k / (nz - 1)
     * - 1/2 (a linear ramp of zero mean: the mean frame is undistorted,
     * so the truth grid below is unchanged); every field 0 = none (the
     * default: renders bit-identical to a twin without it) */
    double scale_drift;        /**< s: total relative scale change over the
                                    run, in [-0.05, 0.05] */
    double shear_drift;        /**< h: total x-by-y shear over the run, in
                                    [-0.05, 0.05] */
    double rotation_drift_deg; /**< theta: total rotation over the run (x
                                    toward y: clockwise on screen), in
                                    [-5, 5] deg */
} fib_sim_params;

/** Geometry of a simulation (after fib_sim_create()). */
typedef struct fib_sim_geometry {
    size_t nx, ny, nz;   /**< image width, height and slice count */
    size_t truth_ny;     /**< rows of the reconstruction grid */
    double pixel_nm;     /**< image pixel */
    double slice_nm;     /**< nominal slice thickness */
    double tilt_deg;     /**< beam angle written to the metadata (0 =
                              none) */
    double fore;         /**< y foreshortening sin(theta) or 1 */
    double face_px;      /**< receding-face shift per nominal slice, px
                              (t cos(theta) / pixel; 0 = none) */
    double origin_nm[2]; /**< sample point of image pixel (0,0)'s corner
                              at zero displacement (X0, Y0) */
    size_t n_phases;     /**< distinct label values */
    uint32_t labels[FIB_SIM_MAX_PHASES]; /**< ascending */
    double grey[FIB_SIM_MAX_PHASES];     /**< grey per phase */
} fib_sim_geometry;

/** Truth of one output slice. */
typedef struct fib_sim_slice {
    double z_nm;               /**< measured depth of the face */
    double thickness_nm;       /**< z_k - z_{k-1} (nominal for k = 0) */
    double stage_dx, stage_dy; /**< stage drift, content px */
    double face_dy;            /**< receding-face content shift, px */
    double dx, dy;  /**< shift a perfect aligner applies (zero mean) */
    double gain;    /**< slice gain */
    size_t label_z; /**< label slice shown */
    /** Linear part A_k of the slow affine distortion, row-major (a11,
     *  a12, a21, a22; identity without it): the content at image point
     *  c + d relative to the centre c = (nx / 2, ny / 2) of an undistorted
     *  frame shows at c + A_k d + (stage_dx, stage_dy + face_dy). */
    double a[4];
} fib_sim_slice;

typedef struct fib_sim fib_sim;

/**
 * Prepare a simulation of @p labels (u8, u16 or u32, integer labels;
 * voxel sizes required; borrowed).  Draws the slice depths, drift and
 * curtains.  Errors: FIB_EINVAL naming the field (negative or non-finite
 * sizes, more than FIB_SIM_MAX_PHASES labels, f32 input, unknown voxel
 * size, n_grey not matching the phases, a field under 16 x 16 pixels,
 * n_slices more than the depth holds), FIB_ERANGE (image over 16384 px a
 * side), FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_sim_create(const fib_volume *labels,
                                                const fib_sim_params *params,
                                                fib_sim **out, fib_error *err);
FIB_API void fib_sim_destroy(fib_sim *sim);

/** Effective parameters (defaults filled in; grey points into the sim). */
FIB_API fib_sim_params fib_sim_get_params(const fib_sim *sim);
FIB_API fib_sim_geometry fib_sim_get_geometry(const fib_sim *sim);
/** Truth of slice @p k (zeroed for k >= nz). */
FIB_API fib_sim_slice fib_sim_get_slice(const fib_sim *sim, size_t k);

/**
 * Render slice @p k (< nz) into @p out: an initialised nx x ny image of
 * type u8 or u16 (grey [0, 1] to the full range, clamped) or f32 (grey,
 * unclamped).  Errors: FIB_EINVAL (k, size or type), FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_sim_render(const fib_sim *sim, size_t k,
                                                fib_image *out, fib_error *err);

/**
 * Truth labels of slice @p k on the reconstruction grid (see top) into an
 * initialised nx x truth_ny image of type u8 (labels < 256) or u32.
 */
FIB_API FIB_NODISCARD fib_status fib_sim_truth_labels(const fib_sim *sim,
                                                      size_t k, fib_image *out,
                                                      fib_error *err);

/**
 * The label volume of a built-in phantom (fib/phantom.h, sample frame,
 * no drift) into a new owned u8 volume with the phantom's voxel size, to
 * feed fib_sim_create().
 */
FIB_API FIB_NODISCARD fib_status fib_sim_phantom_labels(const fib_phantom *ph,
                                                        fib_volume *out,
                                                        fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_SIMULATE_H */
