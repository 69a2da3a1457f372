/*
 * fib/classify.h -- a trainable pixel classifier: gradient-boosted
 * decision trees (XGBoost; Chen & Guestrin 2016, KDD '16, 785-794,
 * through Debian's libxgboost C API) on per-voxel feature rows
 * (fib/features.h), as ilastik's pixel classification does with a random
 * forest (Berg et al. 2019).
 *
 * Training rows carry a class value (any uint32; the classes are the
 * distinct values, at least 2, at most FIB_CLASSIFY_MAX_CLASSES; which
 * value of a label volume means "not labelled" is the caller's business).
 * Classes are balanced: each row is weighted by n / (K n_c) (n rows, K
 * classes, n_c rows of its class), so a class labelled on few voxels
 * counts as much as a large one.  Objective multi:softprob (K
 * probabilities per row summing to 1), tree method "hist" (256 bins),
 * trained on one thread so that the model is the same bit for bit on any
 * machine load and thread count; prediction is per row and uses every
 * thread with identical results.
 *
 * A model is saved as XGBoost's own JSON (readable by the xgboost Python
 * package: xgboost.Booster(model_file=...)) with cryofib's attributes:
 * "cryofib_format" (the format version), "cryofib_features" (the feature
 * set's signature, fib_features_signature()), "cryofib_classes" (the class
 * values, comma-separated, in probability order), "cryofib_params" (the
 * training parameters) and any set with fib_classifier_attr_set().
 *
 * Everything is in memory; nothing touches files (the bytes of a model go
 * through formats/).  The library never prints: XGBoost's log is silenced
 * (verbosity 0) and its errors become fib_error messages.
 */
#ifndef FIB_CLASSIFY_H
#define FIB_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most classes of one classifier. */
#define FIB_CLASSIFY_MAX_CLASSES 64

/** Training parameters; zero-initialised = the defaults. */
typedef struct fib_classifier_params {
    int rounds;    /**< boosting rounds, 1..2000; 0 = 30 */
    int max_depth; /**< tree depth, 1..16; 0 = 6 */
    double eta;    /**< learning rate, (0, 1]; 0 = 0.3 */
    uint64_t seed; /**< XGBoost's seed (row sampling off: unused today) */
} fib_classifier_params;

typedef struct fib_classifier fib_classifier;

/**
 * Train on @p n_rows rows of @p n_features floats (row-major, NaN =
 * missing) with class values @p classes.  @p signature (the
 * feature set, may be "") is stored with the model.  Errors: FIB_EINVAL
 * (no row, one class only -- naming it --, more than
 * FIB_CLASSIFY_MAX_CLASSES, parameters out of range), FIB_ENOMEM, FIB_EIO
 * (an XGBoost failure, with its message).
 */
FIB_API FIB_NODISCARD fib_status fib_classifier_train(
    const fib_classifier_params *p, const float *rows, const uint32_t *classes,
    size_t n_rows, size_t n_features, const char *signature,
    fib_classifier **out, fib_error *err);

/** Free a classifier; NULL is a no-op. */
FIB_API void fib_classifier_destroy(fib_classifier *c);

/** Number of classes; their values in probability order into @p values
 *  (room for FIB_CLASSIFY_MAX_CLASSES; may be NULL). */
FIB_API size_t fib_classifier_classes(const fib_classifier *c,
                                      uint32_t *values);

/** Number of features per row the model expects. */
FIB_API size_t fib_classifier_features(const fib_classifier *c);

/** The feature-set signature stored with the model ("" when none). */
FIB_API const char *fib_classifier_signature(const fib_classifier *c);

/** Store / read a text attribute saved with the model (key: letters,
 *  digits and '_', at most 64 bytes; value at most 4096 bytes).
 *  attr_get copies at most @p n - 1 bytes and returns false when the key
 *  is absent. */
FIB_API FIB_NODISCARD fib_status fib_classifier_attr_set(fib_classifier *c,
                                                         const char *key,
                                                         const char *value,
                                                         fib_error *err);
FIB_API bool fib_classifier_attr_get(const fib_classifier *c, const char *key,
                                     char *buf, size_t n);

/**
 * Class probabilities of @p n_rows rows: @p prob (may be NULL) receives
 * n_rows x K floats (class order of fib_classifier_classes()), @p label
 * (may be NULL) the class value of the largest probability (the first on
 * a tie).  Uses the calling thread's OpenMP thread count; results do not
 * depend on it.  Errors: FIB_EINVAL, FIB_ENOMEM, FIB_EIO.
 */
FIB_API FIB_NODISCARD fib_status fib_classifier_predict(
    const fib_classifier *c, const float *rows, size_t n_rows, float *prob,
    uint32_t *label, fib_error *err);

/** The model as XGBoost JSON bytes into a new buffer (*@p out, free()),
 *  *@p len bytes.  Errors: FIB_ENOMEM, FIB_EIO. */
FIB_API FIB_NODISCARD fib_status fib_classifier_save(const fib_classifier *c,
                                                     char **out, size_t *len,
                                                     fib_error *err);

/** A model from the bytes fib_classifier_save() gave.  @p what names the
 *  source in messages (e.g. the file).  Errors: FIB_EINVAL (not an
 *  XGBoost model, or not one cryofib wrote: its attributes missing or
 *  malformed), FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_classifier_load(const char *bytes,
                                                     size_t len,
                                                     const char *what,
                                                     fib_classifier **out,
                                                     fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_CLASSIFY_H */
