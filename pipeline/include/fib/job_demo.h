/*
 * fib/job_demo.h -- the whole project end to end on built-in data, as one
 * call: `cryofib demo` is option parsing plus fib_job_demo().
 *
 * The job runs the other jobs of pipeline/ in the order a user would type
 * the commands, and writes every output under one folder DIR:
 *
 *   1. plan     the embedded Li-metal dendrite cryo lift-out, Ga vs Xe
 *               (fib_job_plan(): tables, DIR/plan/plan.json, site drawings
 *               and timeline in DIR/plan);
 *   2. sputter  ion sources compared on lithium (Ga, Xe, Ar at 5 and
 *               30 keV) and NMC811 (Ga, Xe at 30 keV; fib_job_sputter());
 *   3. phantom  a dendrite slice-and-view series, seed 7, with known drift,
 *               curtains, shading, intensity drift and noise
 *               (fib_job_phantom() into DIR/phantom);
 *   4. recon    alignment, destriping, normalisation and a median denoise
 *               at 10 nm pixels and slices (fib_job_recon() into
 *               DIR/recon), and the same for the drift-free twin of the
 *               phantom (same seed, drift off: DIR/phantom-still,
 *               DIR/recon-still), to separate the aligner's error from
 *               the apparent motion of the content; the recovered drift is
 *               compared with the truth;
 *   5. segment + measure  three-class multi-Otsu with a 10 nm opening and
 *               a 50-voxel size filter (DIR/measure/labels_otsu.mrc); then
 *               the trained pixel classifier: a twin of another seed (8)
 *               rendered and reconstructed (DIR/twin, DIR/twin-recon), its
 *               truth on one section in 8 as training labels, the model
 *               (DIR/measure/classifier.json) applied to the demo's volume
 *               with a 50-voxel size filter (DIR/measure/labels.mrc); the
 *               classifier's lithium (label 1) measured with the skeleton,
 *               heights above the y1 face, objects CSV, PLY mesh and
 *               pictures (fib_job_measure() into DIR/measure); both
 *               segmentations compared with the phantom's truth on the
 *               reconstruction's grid (fib_job_phantom_truth_volume(),
 *               DIR/measure/truth_labels.mrc): Dice and the lithium
 *               voxels in the protective cap's rows.
 *
 * Every line goes to the caller's message callback as FIB_JOB_RESULT: the
 * stage headings ("\n== N/5 TITLE"), the lines of the jobs it runs, the
 * accuracy lines and the closing "\ndone: ..." summary (both with
 * embedded newlines; the receiver adds the final one), with the text of
 * `cryofib demo`.
 *
 * Outputs: the stages read each other's files (recon reads the phantom's
 * slices, the segmentation reads recon's volume), so each stage commits
 * its own output transaction before the next one starts; env->txn must be
 * NULL.  A failed or cancelled stage leaves no partial output of its own;
 * the outputs of the stages before it stay.  env->progress and
 * env->threads are handed to every stage.
 *
 * Errors: FIB_EINVAL when a folder cannot be created ("DIR: cannot create
 * folder: REASON"), the folder name is too long or env->txn is set; the
 * errors of the jobs it runs (FIB_ECANCELED from env->progress included).
 */
#ifndef FIB_JOB_DEMO_H
#define FIB_JOB_DEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"
#include "fib/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The output folder when fib_job_demo_params.out_dir is NULL. */
#define FIB_JOB_DEMO_DEFAULT_DIR "cryofib-demo"

/** Where the demo writes; zero-initialised = ./cryofib-demo. */
typedef struct fib_job_demo_params {
    const char *out_dir; /**< output folder, created when missing
                              (NULL: FIB_JOB_DEMO_DEFAULT_DIR) */
} fib_job_demo_params;

/**
 * The accuracy of the demo's reconstruction and segmentation against the
 * phantom's truth: the numbers of its accuracy lines, unrounded.  Drift
 * errors are RMS over the slices after removing the mean, because an
 * aligner's shifts are defined up to one constant offset (recon/README.md,
 * "Accuracy").  Fields of a check that was skipped (its flag false) are 0.
 */
typedef struct fib_job_demo_result {
    size_t n_slices;            /**< slices of the phantom series */
    bool drift_checked;         /**< recon/drift.csv matched the truth's rows */
    double true_drift_rms_px;   /**< RMS of the phantom's true drift, px */
    double drift_error_px[2];   /**< x, y: RMS of (applied + true), centred */
    bool aligner_checked;       /**< the drift-free twin was compared */
    double aligner_error_px[2]; /**< x, y: RMS of (applied + true - applied
                                     on the drift-free twin), centred: the
                                     aligner's own error */
    double still_motion_px[2];  /**< x, y: RMS of the twin's applied drift,
                                     centred: the content's apparent motion */
    bool truth_checked;         /**< the segmentation was compared */
    double fraction_segmented;  /**< lithium volume fraction segmented (by
                                     the classifier) */
    double fraction_true;       /**< lithium volume fraction of the truth */
    double dice;                /**< Dice overlap 2|S n T| / (|S| + |T|) of
                                     the trained classifier's lithium */
    double dice_threshold;      /**< the same for multi-Otsu (3 classes) */
} fib_job_demo_result;

/**
 * Run the demo of @p p (may be NULL: the defaults) into its folder, saying
 * every line through @p env (may be NULL: no messages, no progress).
 * @p res (may be NULL) receives the accuracy numbers.
 */
FIB_API FIB_NODISCARD fib_status fib_job_demo(const fib_job_demo_params *p,
                                              const fib_job_env *env,
                                              fib_job_demo_result *res,
                                              fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_DEMO_H */
