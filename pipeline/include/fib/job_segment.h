/*
 * fib/job_segment.h -- the `cryofib segment` workflow as one call: a grey
 * volume into a u8 label volume by thresholds (Otsu, multi-Otsu, manual,
 * hysteresis; fib/segment.h), per-class morphology, hole filling and
 * small-component removal, and an optional watershed split of the
 * foreground into particle labels.
 *
 * Classes: 0 = background / lowest class, 1..n = above each threshold in
 * turn.  Morphology, hole filling and size filtering act on each class > 0
 * in turn, in this order: opening, closing, filling, size filter; classes
 * later in order win where they overlap.  The watershed splits the
 * highest class (the foreground) and replaces the labels by particle
 * labels 1..n.
 *
 * Messages (fib_job_say, FIB_JOB_RESULT): "thresholds: T1 T2 ..." (the
 * thresholds used, %.6g), "watershed: N particles", "wrote OUT (NX x NY x
 * NZ)".
 */
#ifndef FIB_JOB_SEGMENT_H
#define FIB_JOB_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/classify.h"
#include "fib/features.h"
#include "fib/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most thresholds (classes - 1) of a u8 label volume. */
#define FIB_JOB_SEGMENT_MAX_THRESHOLDS 254

typedef enum fib_job_segment_method {
    FIB_JOB_SEGMENT_OTSU = 0,   /**< two classes by Otsu */
    FIB_JOB_SEGMENT_MULTI_OTSU, /**< classes classes by multi-Otsu */
    FIB_JOB_SEGMENT_MANUAL,     /**< the given ascending thresholds */
    FIB_JOB_SEGMENT_HYSTERESIS, /**< > hi grown into > lo (one class) */
    FIB_JOB_SEGMENT_CLASSIFIER  /**< a trained pixel classifier (below) */
} fib_job_segment_method;

/** What `cryofib segment` runs; zero-initialised = Otsu, 6-connectivity,
 *  no post-processing, the file's voxel size. */
typedef struct fib_job_segment_params {
    fib_job_segment_method method;
    int classes;              /**< multi-Otsu: 2..5 */
    const double *thresholds; /**< manual: ascending grey thresholds */
    size_t n_thresholds;      /**< manual: 1..FIB_JOB_SEGMENT_MAX_THRESHOLDS */
    double hysteresis_lo;     /**< hysteresis: grown into > lo */
    double hysteresis_hi;     /**< hysteresis: seeds > hi */
    double open_nm;           /**< opening ball radius, nm; 0 = none */
    double close_nm;          /**< closing ball radius, nm; 0 = none */
    bool fill_holes;          /**< fill enclosed cavities of each class */
    size_t min_size_vox;      /**< drop smaller components; 0 = none */
    bool watershed;           /**< split the foreground into particles
                                   (the labels become u32 1..n) */
    double watershed_h_nm;    /**< h-maxima depth of the distance map,
                                   nm; negative = one voxel (the x voxel
                                   size, 1 when unknown) */
    int connectivity;         /**< 6, 18 or 26; 0 = 6 */
    double voxel_nm[3];       /**< voxel size when > 0 (else the
                                   file's) */
    /** Memory budget, bytes; 0 = FIB_BUDGET_DEFAULT_BYTES (1 GiB).  A
     *  volume whose whole-volume work (input + labels, about 6 bytes per
     *  voxel for u8 input) does not fit is streamed in slabs when the
     *  method is Otsu, multi-Otsu or manual, with --open/--close (a halo
     *  deeper than 2 open_nm + 2 close_nm around each slab) but without
     *  holes, the size filter or the watershed (the same output, byte for
     *  byte); otherwise refused (FIB_EBUDGET) naming what it would need.
     *  With several processes (fib_job_env.comm) the job always streams:
     *  each rank histograms and writes its part of an OME-Zarr --out
     *  (the same bytes as one process); other outputs, the classifier,
     *  holes, the size filter, hysteresis and the watershed are refused
     *  (FIB_EINVAL). */
    size_t memory_bytes;

    /* The trainable pixel classifier (method FIB_JOB_SEGMENT_CLASSIFIER;
     * job_segment_classify.c).  The input is normalised by its own 0.5 and
     * 99.5 percentiles (so a model transfers between acquisitions of
     * other grey levels), the features of fib/features.h computed slab by
     * slab within memory_bytes, and each voxel gets the class of the
     * largest probability.  Output classes keep the training label values
     * (u8 when they are all <= 255, else u32).  Clean-up (opening,
     * closing, hole filling, size filter) then acts on each class as for
     * the thresholds. */
    /** Labels to train on: same size as the input, train_unlabelled =
     *  not labelled (0 by default), the other values the classes (at
     *  least two).  Set: train,
     *  write model_path, and segment the input when an output is given
     *  (fib_job_segment()'s out may then be NULL: the model only).
     *  NULL: apply model_path. */
    const char *train_path;
    /** The model: written (XGBoost JSON with cryofib's attributes) when
     *  training, read when applying.  Required. */
    const char *model_path;
    /** Optional: the class probabilities as f32, an MRC volume stack (K
     *  volumes in the class order of the model, ISPG 401), a TIFF, NRRD
     *  or OME-Zarr of K x nz sections in the same order. */
    const char *probabilities_path;
    /** Training: the feature set (zero = fib/features.h's default).
     *  Applying: zero = the model's; else must equal it. */
    fib_features_params features;
    fib_classifier_params classifier; /**< training parameters */
    /** Training rows sampled per class (deterministic hash of the voxel
     *  index, so the same on any slab size and thread count); 0 =
     *  20000. */
    size_t train_rows_per_class;
    /** The training label value that means "not labelled": 0 (the
     *  default) .. 2^32 - 1; -1 = none (every voxel is labelled, e.g. a
     *  digital twin's truth, where 0 is the pore class). */
    int64_t train_unlabelled;
} fib_job_segment_params;

/** What a fib_job_segment() call found. */
typedef struct fib_job_segment_result {
    /* classifier: the classes (values) and the training rows used */
    uint32_t class_values[FIB_CLASSIFY_MAX_CLASSES];
    size_t n_class_values;
    size_t train_rows;
    double thresholds[FIB_JOB_SEGMENT_MAX_THRESHOLDS + 1]; /**< used */
    size_t n_thresholds;
    size_t particles; /**< watershed: particle labels */
    size_t nx, ny, nz;
    size_t class_voxels[FIB_JOB_SEGMENT_MAX_THRESHOLDS + 2]; /**< voxels
        per class 0..n_thresholds written (watershed: [0] background, [1]
        all particles) */
} fib_job_segment_result;

/**
 * Check @p p and the output path @p out (a volume format: .mrc, .tif,
 * .nrrd).  fib_job_segment() does the same first.  Errors: FIB_EINVAL.
 */
FIB_API FIB_NODISCARD fib_status fib_job_segment_check(
    const fib_job_segment_params *p, const char *out, fib_error *err);

/**
 * Segment the volume @p in into the label volume @p out (u8 classes, or
 * u32 particles after the watershed; the input's voxel size).  The caller
 * checks that @p out is not an input. Outputs go through env->txn (or the job's
 * own transaction).  @p res may be NULL.  Errors: as fib_job_segment_check();
 * readers' and writers' errors; FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_job_segment(
    const fib_job_segment_params *p, const char *in, const char *out,
    const fib_job_env *env, fib_job_segment_result *res, fib_error *err);

/** The help text of `cryofib segment` (every option, one per line). */
FIB_API const char *fib_job_segment_usage(void);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_SEGMENT_H */
