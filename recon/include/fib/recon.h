/*
 * fib/recon.h -- slice-and-view reconstruction core: sub-pixel alignment of
 * a slice series without drift accumulation, FIB-SEM geometry (tilt
 * foreshortening, receding face, anisotropic voxels) and streaming output
 * in a bounded memory budget.  In memory only: slices come from a caller
 * callback ("get slice i") and leave through a sink callback, so the
 * library never touches files (the CLI reads and writes them).
 *
 * Method (recon/README.md has the equations and citations):
 *   pass 1  every slice is read once, in order; its windowed real FFT is
 *           kept in a ring of K + 1 spectra; the translation to each of the
 *           K previous slices is measured by windowed (Tukey) plain
 *           cross-correlation and refined by the upsampled matrix DFT of
 *           Guizar-Sicairos, Thurman & Fienup, Opt. Lett. 33:156 (2008);
 *   closure each pair of distance k > 1 against the chain of distance-1
 *           pairs over its span: distances whose long pairs fall short of
 *           the chain (pulled toward zero shift) are dropped, the others
 *           weighted by their scatter; a pull flags a pattern fixed in the
 *           frame and pass 1 repeats once with a stripe notch;
 *   solve   all slice positions by weighted least squares over the pairs
 *           (banded normal equations, LAPACK dpbsv), iteratively dropping
 *           pairs whose residual exceeds reject_k * 1.4826 * MAD; optional
 *           removal of a linear trend;
 *   pass 2  every slice is read again, translated by its shift, stretched
 *           by 1/sin(tilt) in y when required, optionally resampled to
 *           isotropic voxels, and handed to the sink in input order.
 *   models  beyond translation (fib_recon_model): each pair also measures
 *           a 4 x 4 grid of tile shifts and fits its linear part; the
 *           per-slice 2 x 2 linear parts are solved over the pairs (a
 *           cubic in the slice index) and pass 2 resamples through them
 *           (recon/README.md "Models beyond translation").
 *
 * Shift convention: a slice whose content moved by (+dx, +dy) pixels
 * (x right, y down) relative to the aligned frame gets the applied shift
 * (-dx, -dy).  Applied shifts are in pixels of the input images, before
 * any tilt scaling, and have zero mean over the series.
 *
 * Memory: at most K + 2 slice spectra, one input slice, one or two output
 * slices and per-thread workspaces are held, independent of the number of
 * slices (plus O(n K) bytes of pair bookkeeping), and, with
 * fib_recon_params.cache and only when the whole series fits in half of
 * the free budget, the slices between the passes; every large block is
 * charged to the budget and FIB_EBUDGET is returned before allocating when
 * it would not fit.
 *
 * Determinism: results are bit-identical for any OpenMP thread count (each
 * pair is computed by one thread with its own workspace; reductions run in
 * a fixed order).  With more than one thread pass 1 overlaps reading and
 * transforming slice s (on the calling thread) with the pair measurements
 * of slice s - 1 (other threads); see fib_recon_source.read_uses_threads.
 *
 * Thread-safety: one fib_recon per thread; distinct contexts may be used
 * concurrently (the FFTW planner is made thread-safe: fib/correct.h).
 */
#ifndef FIB_RECON_H
#define FIB_RECON_H

#include "fib/checked.h"
#include "fib/comm.h"
#include "fib/common.h"
#include "fib/image.h"
#include "fib/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read slice @p index (0-based, < n_slices) into @p slice_f32: a library-
 * owned packed f32 image of the source's width x height (use
 * fib_recon_fill_f32() to convert any fib_image into it).  Called from the
 * calling thread only, every slice in increasing order, twice per output
 * (pass 1 and pass 2).  Return FIB_OK, or an error; with skip_bad a slice
 * whose read fails with FIB_ENOTFOUND, FIB_EFORMAT, FIB_EIO or FIB_EINVAL
 * in pass 1 is left out of the output and recorded.
 */
typedef fib_status (*fib_recon_read_fn)(void *user, size_t index,
                                        fib_image *slice_f32, fib_error *err);

/** A slice series in memory or on disk, seen through a callback. */
typedef struct fib_recon_source {
    size_t n_slices;
    size_t width, height;    /**< pixels of every slice */
    fib_pixel_type type;     /**< pixel type of the output slices */
    double pixel_size_nm[2]; /**< x, y of the raw images; 0 = unknown */
    fib_recon_read_fn read;
    void *user;
    /** The read callback runs OpenMP parallel loops of its own (artifact
     *  correction, decompression): pass 1 then reads serially with every
     *  thread free for the callback, instead of overlapping the reads with
     *  the pair measurements (a read inside the pipeline runs in a nested,
     *  one-thread region).  Results are the same either way. */
    bool read_uses_threads;
} fib_recon_source;

/** Per-slice hook applied to every slice (f32, in place) right after it is
 *  read, before alignment and before output (artifact correction). */
typedef fib_status (*fib_recon_preprocess_fn)(void *user, size_t slice_index,
                                              fib_image *slice_f32,
                                              fib_error *err);

/** Spectral normalisation of the cross-power spectrum R = conj(A) B. */
typedef enum fib_recon_norm {
    FIB_RECON_NORM_DEFAULT = 0, /**< plain cross-correlation (= NONE) */
    FIB_RECON_NORM_NONE,        /**< plain cross-correlation */
    FIB_RECON_NORM_PHASE,       /**< phase correlation R / |R| */
    FIB_RECON_NORM_WHITEN       /**< partial whitening R / |R|^0.5 */
} fib_recon_norm;

/** Dark-phase clip before the shift measurement (fib_recon_params). */
typedef enum fib_recon_dark_clip {
    FIB_RECON_DARK_CLIP_AUTO = 0, /**< on for tilted views (0 < tilt < 90) */
    FIB_RECON_DARK_CLIP_ON,       /**< always */
    FIB_RECON_DARK_CLIP_OFF       /**< never: the raw slices */
} fib_recon_dark_clip;

/** Transformation model of the slices (fib_recon_params.model;
 *  recon/README.md "Models beyond translation").  Every model keeps the
 *  translation solve; the others add a per-slice 2x2 linear part A_i
 *  about the alignment region's centre c, so that output point u samples
 *  input point c + A_i (u - c) - (dx, dy). */
typedef enum fib_recon_model {
    FIB_RECON_MODEL_TRANSLATION = 0, /**< A_i = I (the default) */
    FIB_RECON_MODEL_RIGID,           /**< A_i a rotation */
    FIB_RECON_MODEL_SIMILARITY,      /**< rotation and isotropic scale */
    FIB_RECON_MODEL_AFFINE,          /**< any A_i */
    /** (1 - lambda) affine + lambda rigid (Saalfeld et al., Bioinformatics
     *  26:i57, 2010 / Nat. Methods 9:717, 2012: TrakEM2's interpolated
     *  models); lambda = fib_recon_params.model_lambda */
    FIB_RECON_MODEL_REGULARIZED_AFFINE
} fib_recon_model;

/** A rectangle in input pixels. */
typedef struct fib_recon_rect {
    size_t x, y, width, height;
} fib_recon_rect;

/** Limits of the parameters, checked by fib_recon_create(); the run's
 *  parameter table (fib_fmt_recon_cfg_params(), fib/recon_cfg.h) takes
 *  the same numbers, so that a range is written once.  Lengths: below
 *  0.01 nm (a tenth of an atomic spacing) or beyond 1 mm a pixel size or
 *  slice thickness is a unit mistake or garbage metadata (1e-300 nm
 *  overflowed the isotropic slice count). */
#define FIB_RECON_MIN_LENGTH_NM 0.01
#define FIB_RECON_MAX_LENGTH_NM 1e6
#define FIB_RECON_MAX_TILT_DEG 90.0
enum {
    FIB_RECON_MAX_NEIGHBOURS = 16,
    FIB_RECON_MAX_UPSAMPLE = 1000,
    FIB_RECON_MAX_THREADS = 1024
};

/** Parameters; zero-initialise, then set.  Zero means the default. */
typedef struct fib_recon_params {
    /* alignment */
    size_t neighbours;   /**< K pairs per slice; 0 = 3; at most 16 */
    unsigned upsample;   /**< DFT upsampling factor; 0 = 20 (0.05 px) */
    double tukey_alpha;  /**< 0 = no taper: periodic-plus-smooth
                              transform (Moisan 2011, the default); (0, 1]:
                              Tukey taper fraction, 1 = Hann (see
                              recon/README.md, "Window") */
    fib_recon_norm norm; /**< see fib_recon_norm */
    bool use_roi;        /**< crop input to roi for alignment and output */
    fib_recon_rect roi;
    bool use_fiducial; /**< align on this rectangle only (input px) */
    fib_recon_rect fiducial;
    double reject_k;        /**< outlier threshold in robust sigmas; 0 = 4 */
    double reject_floor_px; /**< residuals below this are kept; 0 = 0.1 */
    bool no_reject;         /**< disable outlier rejection */
    /** Disable the closure test's weights (every distance weight 1, as
     *  before it; the statistics are still computed and reported). */
    bool no_closure;
    bool detrend; /**< subtract a linear fit of position vs slice */
    /** Keep the darkest phase's grey out of the shift measurement
     *  (alignment only; the output volume is not clipped): each slice is
     *  clipped from below at its own Otsu threshold before its spectrum is
     *  taken.  Pores of an unfilled porous sample show material behind the
     *  face (shine-through; Prill et al., J. Microsc. 250:77, 2013); in a
     *  view at a beam angle theta < 90 deg that material moves by
     *  t cot(theta) per slice in y and biases every pair, while the face's
     *  own pore/solid edges stay.  AUTO clips when 0 < tilt_deg < 90 (the
     *  only views where shine-through moves laterally); in orthogonal or
     *  unknown-angle views the dark phase keeps its texture and curtains,
     *  which are references fixed in the sample (a filled or frozen
     *  electrolyte phase has no shine-through).  See recon/README.md,
     *  "Shine-through". */
    fib_recon_dark_clip dark_clip;
    /** Transformation model (fib_recon_model); models beyond translation
     *  measure each pair's linear part from the shifts of a 4 x 4 grid of
     *  tiles of the alignment region (at least 64 x 64 px) and solve it
     *  like the shifts. */
    fib_recon_model model;
    /** Weight of the rigid model in REGULARIZED_AFFINE, [0, 1]; 0 = 0.1
     *  (TrakEM2's default regularizer weight). */
    double model_lambda;
    /* geometry */
    double slice_nm;     /**< slice thickness; 0 = unknown */
    double tilt_deg;     /**< e/ion beam angle; 0 = unknown: no scaling */
    bool tilt_corrected; /**< instrument already stretched y: no scaling */
    bool receding_face;  /**< add the t cos(tilt) per-slice y shift */
    bool isotropic;      /**< resample to cubic voxels of the x size */
    /** Measured face position of every input slice, nm, strictly
     *  increasing (n_slices values, copied at fib_recon_create(); e.g. the
     *  z in Zeiss Atlas file names), or NULL: slice i at i x slice_nm.
     *  Given, the output is resampled to uniform z -- a step of slice_nm
     *  (the median measured spacing when slice_nm is 0; the x pixel size
     *  with isotropic) from the first slice's position -- by linear
     *  interpolation between the two aligned input slices around each
     *  output z, and the receding-face term follows the measured depth. */
    const double *z_nm;
    /** Crop the output to the region that every kept slice covers after
     *  its shift (the intersection of the shifted frames), so that no
     *  zero-filled border enters segmentation; fib_recon_geometry.valid
     *  records the box.  Off by default in the library (the full frame,
     *  as before); `cryofib recon` turns it on unless --no-crop-valid. */
    bool crop_valid;
    /** Write 32-bit float voxels instead of the source pixel type.  The
     *  sub-pixel shifts and the y stretch interpolate: rounding the result
     *  back to 8 or 16 bit integers adds up to 0.5 grey of quantisation
     *  that moves every class boundary of a later threshold (measured on
     *  the digital twin, bench/run_fidelity.sh: -0.002 Dice with perfect
     *  shifts).  Off by default in the library; `cryofib recon` turns it
     *  on unless --keep-type. */
    bool float_out;
    /* resources */
    fib_budget *budget; /**< NULL: an internal 1 GiB budget */
    int threads;        /**< OpenMP threads; 0 = runtime default */
    bool skip_bad;      /**< leave unreadable slices out (recorded) */
    /** Keep the slices between the passes when every slice (f32, after
     *  the preprocess hook) fits in half of the budget left after the
     *  pass-1 workspace (half of 1 GiB for an unlimited budget): pass 1
     *  keeps them and the reference's pass 2 uses them instead of reading
     *  again (decoding is most of the time of a PNG/compressed-TIFF
     *  series); a larger series streams as without it.  Off by default,
     *  so that peak memory does not depend on the number of slices; the
     *  output is the same either way. */
    bool cache;
    fib_recon_preprocess_fn preprocess; /**< NULL = none */
    void *preprocess_user;
    /** Several processes on one series (fib/comm.h; NULL = this one
     *  alone).  Every process creates the same reconstruction and calls
     *  estimate and write together.  Pass 1: process r reads the slices
     *  of its part of the series (fib_comm_split()) and the K before it,
     *  and measures the pairs that end in its part; the pair tables and
     *  the unreadable-slice flags are gathered on every process in rank
     *  order -- the table the single process builds -- and every process
     *  runs the same solve, so the shifts are bit for bit those of one
     *  process.  Pass 2: each process emits only its part of the output
     *  slices (fib_recon_geometry.z_begin .. z_end, split at multiples of
     *  fib_recon_sink.z_align), reading the input slices that part needs
     *  and the one before; the per-slice similarity and FRC of each input
     *  slice come from one process and are gathered on all.  The slice
     *  cache (cache) is not used. */
    const fib_comm *comm;
} fib_recon_params;

/** Output geometry, known after fib_recon_estimate(). */
typedef struct fib_recon_geometry {
    size_t nx, ny, nz;       /**< output voxels */
    fib_pixel_type type;     /**< output pixel type (= source type) */
    double voxel_size_nm[3]; /**< x, y, z; 0 = unknown */
    double y_scale;          /**< applied y stretch (1/sin(tilt) or 1) */
    double face_shift_px;    /**< receding-face y shift per slice, input
                                  px (0 when not applied) */
    /** Output slices at uniform z from measured positions
     *  (fib_recon_params.z_nm); voxel_size_nm[2] is the step. */
    bool z_resampled;
    const char *tilt_note; /**< static text: what was done and why */
    /** crop_valid: the kept box (x, y, width, height) in output voxels of
     *  the uncropped grid of full_nx x full_ny (nx = valid.width, ny =
     *  valid.height); without crop_valid the whole grid. */
    bool cropped;
    fib_recon_rect valid;
    size_t full_nx, full_ny;
    /** The output slices this process emits in fib_recon_write():
     *  0 .. nz for one process; with fib_recon_params.comm the part of
     *  this rank (may be empty: z_begin = z_end). */
    size_t z_begin, z_end;
} fib_recon_geometry;

/** What is known about one input slice after the solve. */
typedef struct fib_recon_slice_info {
    double dx, dy;      /**< applied shift, input pixels (see top) */
    double residual_px; /**< RMS residual of its kept pairs */
    size_t pairs_used;  /**< kept pairs touching this slice */
    size_t pairs_rejected;
    bool skipped; /**< unreadable and left out (skip_bad) */
    /** Correlation peak quality of the pair (i - 1, i) (of (i, i + 1) for
     *  the first slice), in [0, 1]; 0 when there is no such pair.  A dip
     *  marks a slice that is hard to align (charging, blank, large
     *  change). */
    double quality;
    /** Face position used for the slice, nm: the measured one
     *  (fib_recon_params.z_nm), else i x slice_nm; NaN when unknown. */
    double z_nm;
    /** Similarity with the previous kept slice after alignment (filled by
     *  fib_recon_write() of the reference; NaN for the first kept slice
     *  and before the write): normalised cross-correlation in [-1, 1] and
     *  normalised mutual information (H(A) + H(B)) / H(A, B) in [1, 2],
     *  on a 1-in-4 grid of the common region (recon_similar.c). */
    double ncc_prev, nmi_prev;
    /** Resolution of the aligned slice by single-image Fourier ring
     *  correlation (fib_recon_frc()), output pixels; NaN before the write
     *  or when the common region is under 64 x 64. */
    double frc_px;
    /** Unlike both kept neighbours (both pair NCCs below
     *  fib_recon_qc.ncc_cut: charging, a blank frame, a large jump), or
     *  blurred (frc_px above fib_recon_qc.frc_cut: lost focus). */
    bool flagged;
    /** Linear part A_i of the slice's transform, row-major (a11, a12,
     *  a21, a22): the slice's content at c + d relative to the alignment
     *  region's centre c shows the aligned frame's c + A_i^-1 d; the
     *  identity for FIB_RECON_MODEL_TRANSLATION.  Mean (A_i - I) over
     *  the kept slices is 0. */
    double a[4];
} fib_recon_slice_info;

/** One measured pair (slice a < slice b). */
typedef struct fib_recon_pair {
    size_t a, b;
    double dx, dy;      /**< measured content shift of b relative to a */
    double quality;     /**< correlation peak / total weight, in [0, 1] */
    double residual_px; /**< |solved - measured| after the solve */
    bool used;          /**< kept by the outlier rejection */
    /** Closure residual, px: for b - a > 1, |d_ab - sum of the distance-1
     *  pairs over a..b| (both axes); -1 when a distance-1 pair of the span
     *  is missing or for b - a = 1 (see fib_recon_distance). */
    double closure_px;
} fib_recon_pair;

/**
 * Consistency of the pairs of one distance k = b - a with the chain of
 * distance-1 pairs over the same span (closure test, recon/README.md
 * "Closure"): the closure residual c = d(i, i + k) - sum_{j=i}^{i+k-1}
 * d(j, j + 1) is zero for every pair when the measurements agree.  Its
 * median over the series is the distance's systematic inconsistency (a
 * common bias that pair residuals cannot show: it goes straight into the
 * solved trend); distances whose long pairs fall significantly short of
 * the chain are dropped from the solve, the others weighted by their
 * scatter.  Distance 1 is the
 * reference (bias 0, weight 1).
 */
typedef struct fib_recon_distance {
    size_t distance;      /**< k */
    size_t n_closures;    /**< pairs with a complete distance-1 span */
    double bias_px[2];    /**< median closure residual, x and y, px */
    double bias_se_px[2]; /**< its standard error, px */
    double scatter_px;    /**< robust RMS of the closure residual, px (both
                               axes) */
    /** Slope of the closure residual against the chain's span, x and y
     *  (dimensionless): a shift-proportional inconsistency; < 0 = the
     *  long pairs are pulled toward zero shift (a pattern fixed in the
     *  image frame), and its standard error. */
    double pull[2], pull_se[2];
    double residual_px; /**< robust RMS of the solve residuals of the
                             kept pairs of this distance, px */
    double weight;      /**< factor on the pairs' weights in the solve;
                             0 = dropped */
    bool inconsistent;  /**< systematic inconsistency detected (bias or
                             pull beyond 3 standard errors) */
    /** ... and the long pairs fall short of the chain (pulled toward zero
     *  shift): the distance and every longer one are dropped (weight 0).
     *  Inconsistent but not short: the distance-1 pairs are the pulled
     *  ones and the distance is kept. */
    bool long_short;
} fib_recon_distance;

/** Receives the output slices in order (z = 0 .. nz - 1; with
 *  fib_recon_params.comm, z = geom->z_begin .. z_end - 1). */
typedef struct fib_recon_sink {
    /** Called once before the first slice; may be NULL. */
    fib_status (*begin)(void *user, const fib_recon_geometry *geom,
                        fib_error *err);
    /** One output slice (borrowed for the call; type = geom->type). */
    fib_status (*slice)(void *user, size_t z, const fib_image *slice,
                        fib_error *err);
    void *user;
    /** With fib_recon_params.comm: the processes' parts of the output
     *  start at multiples of this many slices (a chunked writer's z
     *  alignment, fib_fmt_zarr_z_align()); 0 or 1 = any slice. */
    size_t z_align;
} fib_recon_sink;

typedef struct fib_recon fib_recon;

/**
 * Create a reconstruction of @p ref (copied; its callback must stay valid
 * until destroy).  Validates the parameters and the source.  Errors:
 * FIB_EINVAL naming the field and value, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_create(const fib_recon_params *params, const fib_recon_source *ref,
                 fib_recon **out, fib_error *err);
FIB_API void fib_recon_destroy(fib_recon *r);

/**
 * Pass 1 and solve: read every slice once, measure pair shifts, solve the
 * slice positions.  Errors: those of the read/preprocess callbacks
 * (prefixed with "slice N: "), FIB_EINVAL for a slice of the wrong size,
 * FIB_EBUDGET, FIB_ENOMEM, FIB_ENUMERIC (the system could not be solved),
 * FIB_ECANCELED; with crop_valid, FIB_EINVAL when no voxel is covered by
 * every slice.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_estimate(fib_recon *r,
                                                    const fib_progress *prog,
                                                    fib_error *err);

/**
 * Pass 2: read every kept slice of @p src again (NULL = the reference
 * source), apply the solved shifts and the geometry, and emit the output
 * slices to @p sink.  A different @p src is another channel of the same
 * series (same n_slices; any size): its slices are resampled onto the
 * reference output grid using the pixel sizes (or, when either is unknown,
 * the assumption of the same field of view) and keep the channel's pixel
 * type (the geometry handed to sink->begin says so).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_write(fib_recon *r,
                                                 const fib_recon_source *src,
                                                 const fib_recon_sink *sink,
                                                 const fib_progress *prog,
                                                 fib_error *err);

/** Output geometry (valid after fib_recon_estimate()). */
FIB_API fib_recon_geometry fib_recon_get_geometry(const fib_recon *r);
/** Number of input slices. */
FIB_API size_t fib_recon_n_slices(const fib_recon *r);
/** Information on input slice @p i (< n_slices; zeroed otherwise). */
FIB_API fib_recon_slice_info fib_recon_get_slice(const fib_recon *r, size_t i);
/** Measured pairs (borrowed until destroy) and their count. */
FIB_API const fib_recon_pair *fib_recon_pairs(const fib_recon *r,
                                              size_t *n_out);
/** Models beyond translation (fib_recon_params.model): the linear part
 *  L_ab = A_b A_a^-1 - I (row-major) measured for pair @p k of
 *  fib_recon_pairs() from its tile shifts into @p lin_out (may be NULL);
 *  returns the number of tiles the fit kept (0: translation model, @p k
 *  out of range, or the fit failed -- the pair then leaves the linear
 *  solve; lin_out is zeroed). */
FIB_API size_t fib_recon_pair_linear(const fib_recon *r, size_t k,
                                     double lin_out[4]);
/** Series-level alignment diagnostics (valid after fib_recon_estimate()). */
typedef struct fib_recon_qc {
    /** A pull toward zero shift on x / y was detected by the closure test
     *  of the first pass-1 run (a pattern fixed in the image frame). */
    bool frame_fixed[2];
    /** Pass 1 was repeated with the cross-power rows next to ky = 0
     *  (vertical stripes, x pull) / columns next to kx = 0 removed. */
    bool notch_rows, notch_cols;
    size_t passes; /**< pass-1 runs (1, or 2 with the notch) */
    /** The first pass-1 run clipped the dark class (dark_clip; the
     *  notched rerun never clips: the notch needs the image linear in
     *  the stripes). */
    bool dark_clip;
    /** After fib_recon_write() of the reference: the NCC below which a
     *  pair counts as unlike (median - 5 x 1.4826 x MAD of the pair NCCs)
     *  and the number of slices flagged (fib_recon_slice_info.flagged). */
    double ncc_cut;
    /** The FRC resolution above which a slice counts as blurred (median
     *  + 5 x 1.4826 x MAD of the slices' frc_px, at least 1.5 x the
     *  median); NaN when fewer than 3 slices have one. */
    double frc_cut;
    size_t n_flagged;
} fib_recon_qc;

/** Alignment diagnostics; zeroed before fib_recon_estimate(). */
FIB_API fib_recon_qc fib_recon_get_qc(const fib_recon *r);

/** Closure statistics per pair distance 1..K (borrowed until destroy;
 *  valid after fib_recon_estimate()) and their count (K). */
FIB_API const fib_recon_distance *fib_recon_distances(const fib_recon *r,
                                                      size_t *n_out);
/** Peak bytes charged to the budget so far. */
FIB_API size_t fib_recon_peak_bytes(const fib_recon *r);

/**
 * Translation of @p moving relative to @p ref (same size, any pixel type):
 * the content shift (dx, dy) in pixels such that moving(x) ~ ref(x - d),
 * with the method and parameters of pass 1 (window, norm, upsample; roi
 * and fiducial ignored).  @p quality_out may be NULL.  Accuracy: 1 /
 * upsample px quantisation; see recon/README.md for measured errors.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_align_pair(const fib_image *ref, const fib_image *moving,
                     const fib_recon_params *params, double *dx_out,
                     double *dy_out, double *quality_out, fib_error *err);

/**
 * Resolution of one image by single-image Fourier ring correlation
 * (recon/src/stack/recon_frc.c): the image split into its even and odd
 * pixels (Koho et al. 2019), the half-pixel shift between them and the
 * quarter sampling corrected exactly, the 1/7 criterion of a two-image FRC
 * (Nieuwenhuizen et al. 2013).  The centred square (at most 512 px) of
 * @p region (NULL: the whole image) is analysed.  @p res_px: the length,
 * in pixels, at which the image's signal-to-noise ratio per frequency
 * falls to 1/6 (4.0: sharper than the split can tell).  Assumes pixel-
 * independent noise.  Errors: FIB_EINVAL (a region outside the image or
 * under 64 x 64).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_frc(const fib_image *img,
                                               const fib_recon_rect *region,
                                               double *res_px, fib_error *err);

/**
 * Convert @p src (any type, any stride) into @p dst, an f32 image of the
 * same size (as handed to fib_recon_read_fn).  Errors: FIB_EINVAL naming
 * both sizes when they differ.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_fill_f32(const fib_image *src,
                                                    fib_image *dst,
                                                    fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_RECON_H */
