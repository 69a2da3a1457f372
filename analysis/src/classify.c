/*
 * classify.c -- fib/classify.h: gradient-boosted trees through XGBoost's C
 * API (xgboost/c_api.h, Debian libxgboost-dev).  Every XGBoost call's
 * status is checked; its message (XGBGetLastError) goes into fib_error.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "fib/classify.h"

/* The version of the attributes cryofib stores with a model. */
#define FORMAT_VERSION "1"

struct fib_classifier {
    BoosterHandle booster;
    size_t n_features;
    size_t n_classes;
    uint32_t values[FIB_CLASSIFY_MAX_CLASSES];
    char *signature;
};

/* XGBoost's log off (the library never prints), once per process. */
static void quiet_log(const char *msg)
{
    (void)msg;
}
static void quiet_once(void)
{
    (void)XGBRegisterLogCallback(quiet_log);
    (void)XGBSetGlobalConfig("{\"verbosity\": 0}");
}
static pthread_once_t quiet_flag = PTHREAD_ONCE_INIT;

static fib_status xgb_fail(fib_error *err, const char *what)
{
    const char *m = XGBGetLastError();
    /* the message may span lines (a C++ stack trace): keep the first */
    char line[256];
    snprintf(line, sizeof line, "%s", m ? m : "");
    line[strcspn(line, "\n")] = '\0';
    return fib_error_set(err, FIB_EIO, "classifier: XGBoost %s failed: %s",
                         what, line[0] ? line : "(no message)");
}

void fib_classifier_destroy(fib_classifier *c)
{
    if (!c)
        return;
    if (c->booster)
        (void)XGBoosterFree(c->booster);
    free(c->signature);
    free(c);
}

size_t fib_classifier_classes(const fib_classifier *c, uint32_t *values)
{
    if (!c)
        return 0;
    if (values)
        memcpy(values, c->values, c->n_classes * sizeof *values);
    return c->n_classes;
}

size_t fib_classifier_features(const fib_classifier *c)
{
    return c ? c->n_features : 0;
}

const char *fib_classifier_signature(const fib_classifier *c)
{
    return c && c->signature ? c->signature : "";
}

static bool key_ok(const char *key)
{
    const size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

fib_status fib_classifier_attr_set(fib_classifier *c, const char *key,
                                   const char *value, fib_error *err)
{
    if (!c || !key_ok(key) || !value || strlen(value) > 4096)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: attribute key must be 1..64 "
                             "letters, digits or '_' and the value at most "
                             "4096 bytes");
    if (XGBoosterSetAttr(c->booster, key, value) != 0)
        return xgb_fail(err, "SetAttr");
    return FIB_OK;
}

bool fib_classifier_attr_get(const fib_classifier *c, const char *key,
                             char *buf, size_t n)
{
    if (!c || !key_ok(key) || !buf || n == 0)
        return false;
    const char *v = NULL;
    int ok = 0;
    if (XGBoosterGetAttr(c->booster, key, &v, &ok) != 0 || !ok || !v)
        return false;
    snprintf(buf, n, "%s", v);
    return true;
}

/* Set one booster parameter; its failure as FIB_EIO. */
static fib_status set_param(BoosterHandle b, const char *k, const char *v,
                            fib_error *err)
{
    if (XGBoosterSetParam(b, k, v) != 0)
        return xgb_fail(err, "SetParam");
    return FIB_OK;
}

/* The class values of @p classes (ascending) into c->values; the row's
 * class index into @p idx. */
static fib_status class_table(fib_classifier *c, const uint32_t *classes,
                              size_t n, float *idx, fib_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const uint32_t v = classes[i];
        size_t k = 0;
        while (k < c->n_classes && c->values[k] < v)
            k++;
        if (k < c->n_classes && c->values[k] == v)
            continue;
        if (c->n_classes == FIB_CLASSIFY_MAX_CLASSES)
            return fib_error_set(err, FIB_EINVAL,
                                 "classifier: more than %d classes",
                                 FIB_CLASSIFY_MAX_CLASSES);
        memmove(c->values + k + 1, c->values + k,
                (c->n_classes - k) * sizeof *c->values);
        c->values[k] = v;
        c->n_classes++;
    }
    if (c->n_classes < 2)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: the labels hold one class only "
                             "(%" PRIu32 "): label at least two",
                             c->values[0]);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (c->values[k] != classes[i])
            k++;
        idx[i] = (float)k;
    }
    return FIB_OK;
}

/* The class list as text ("1,2,4"). */
static void classes_text(const fib_classifier *c, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < c->n_classes && used < n; k++)
        used += (size_t)snprintf(buf + used, n - used, "%s%" PRIu32,
                                 k ? "," : "", c->values[k]);
}

static fib_status check_params(const fib_classifier_params *p, int *rounds,
                               int *depth, double *eta, fib_error *err)
{
    *rounds = p && p->rounds ? p->rounds : 30;
    *depth = p && p->max_depth ? p->max_depth : 6;
    *eta = p && p->eta != 0 ? p->eta : 0.3;
    if (*rounds < 1 || *rounds > 2000)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: rounds must be 1..2000 (got %d)",
                             *rounds);
    if (*depth < 1 || *depth > 16)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: tree depth must be 1..16 (got %d)",
                             *depth);
    if (!(*eta > 0 && *eta <= 1))
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: learning rate must be in (0, 1] "
                             "(got %g)",
                             *eta);
    return FIB_OK;
}

/* Parameters and training rounds on a DMatrix that holds the rows, class
 * indices and weights. */
static fib_status boost(fib_classifier *c, DMatrixHandle dm, int rounds,
                        int depth, double eta, uint64_t seed, fib_error *err)
{
    if (XGBoosterCreate(&dm, 1, &c->booster) != 0)
        return xgb_fail(err, "BoosterCreate");
    char v[64];
    fib_status st = set_param(c->booster, "objective", "multi:softprob", err);
    snprintf(v, sizeof v, "%zu", c->n_classes);
    if (!st)
        st = set_param(c->booster, "num_class", v, err);
    if (!st)
        st = set_param(c->booster, "tree_method", "hist", err);
    if (!st)
        st = set_param(c->booster, "max_bin", "256", err);
    snprintf(v, sizeof v, "%d", depth);
    if (!st)
        st = set_param(c->booster, "max_depth", v, err);
    snprintf(v, sizeof v, "%.17g", eta);
    if (!st)
        st = set_param(c->booster, "eta", v, err);
    snprintf(v, sizeof v, "%" PRIu64, seed % 2147483647u);
    if (!st)
        st = set_param(c->booster, "seed", v, err);
    /* one thread: the histogram sums then run in one order, so the model
     * does not depend on the thread count */
    if (!st)
        st = set_param(c->booster, "nthread", "1", err);
    if (!st)
        st = set_param(c->booster, "verbosity", "0", err);
    for (int it = 0; !st && it < rounds; it++)
        if (XGBoosterUpdateOneIter(c->booster, it, dm) != 0)
            st = xgb_fail(err, "UpdateOneIter");
    return st;
}

/* Balanced weights n / (K n_c) for class indices @p idx. */
static void balance(const float *idx, size_t n, size_t k_classes, float *w)
{
    size_t count[FIB_CLASSIFY_MAX_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        count[(size_t)idx[i]]++;
    for (size_t i = 0; i < n; i++)
        w[i] = (float)((double)n /
                       ((double)k_classes * (double)count[(size_t)idx[i]]));
}

fib_status fib_classifier_train(const fib_classifier_params *p,
                                const float *rows, const uint32_t *classes,
                                size_t n_rows, size_t n_features,
                                const char *signature, fib_classifier **out,
                                fib_error *err)
{
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "classifier: out is NULL");
    *out = NULL;
    if (!rows || !classes || n_rows == 0 || n_features == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: no training rows (no labelled "
                             "voxel)");
    if (n_rows > (size_t)INT32_MAX || n_features > 100000)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: at most 2^31 - 1 rows and 100000 "
                             "features (got %zu, %zu)",
                             n_rows, n_features);
    int rounds, depth;
    double eta;
    fib_status st = check_params(p, &rounds, &depth, &eta, err);
    if (st)
        return st;
    pthread_once(&quiet_flag, quiet_once);
    fib_classifier *c = calloc(1, sizeof *c);
    float *idx = malloc(n_rows * sizeof *idx);
    float *w = malloc(n_rows * sizeof *w);
    char *sig = strdup(signature ? signature : "");
    if (!c || !idx || !w || !sig) {
        free(c);
        free(idx);
        free(w);
        free(sig);
        return fib_error_set(err, FIB_ENOMEM, "classifier: out of memory");
    }
    c->signature = sig;
    c->n_features = n_features;
    st = class_table(c, classes, n_rows, idx, err);
    DMatrixHandle dm = NULL;
    if (!st && XGDMatrixCreateFromMat(rows, (bst_ulong)n_rows,
                                      (bst_ulong)n_features, NAN, &dm) != 0)
        st = xgb_fail(err, "DMatrixCreateFromMat");
    if (!st) {
        balance(idx, n_rows, c->n_classes, w);
        if (XGDMatrixSetFloatInfo(dm, "label", idx, (bst_ulong)n_rows) != 0 ||
            XGDMatrixSetFloatInfo(dm, "weight", w, (bst_ulong)n_rows) != 0)
            st = xgb_fail(err, "DMatrixSetFloatInfo");
    }
    free(idx);
    free(w);
    if (!st)
        st = boost(c, dm, rounds, depth, eta, p ? p->seed : 0, err);
    if (dm)
        (void)XGDMatrixFree(dm);
    char text[4200];
    if (!st)
        st = fib_classifier_attr_set(c, "cryofib_format", FORMAT_VERSION, err);
    if (!st)
        st = fib_classifier_attr_set(c, "cryofib_features", c->signature, err);
    classes_text(c, text, sizeof text);
    if (!st)
        st = fib_classifier_attr_set(c, "cryofib_classes", text, err);
    snprintf(text, sizeof text,
             "rounds=%d max_depth=%d eta=%g objective=multi:softprob "
             "tree_method=hist max_bin=256 balanced=1 rows=%zu features=%zu",
             rounds, depth, eta, n_rows, n_features);
    if (!st)
        st = fib_classifier_attr_set(c, "cryofib_params", text, err);
    if (st) {
        fib_classifier_destroy(c);
        return st;
    }
    *out = c;
    return FIB_OK;
}

fib_status fib_classifier_predict(const fib_classifier *c, const float *rows,
                                  size_t n_rows, float *prob, uint32_t *label,
                                  fib_error *err)
{
    if (!c || (!rows && n_rows))
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: predict needs a "
                             "model and rows");
    if (n_rows == 0)
        return FIB_OK;
    /* in-place prediction on the caller's rows (no copy): the
     * __array_interface__ of a C float matrix */
    char arr[256], cfg[256];
    snprintf(arr, sizeof arr,
             "{\"data\": [%" PRIuPTR ", true], \"shape\": [%zu, %zu], "
             "\"typestr\": \"<f4\", \"version\": 3}",
             (uintptr_t)rows, n_rows, c->n_features);
    snprintf(cfg, sizeof cfg,
             "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
             "\"iteration_end\": 0, \"strict_shape\": true, \"cache_id\": 0, "
             "\"missing\": "
             "NaN}");
    char nth[32];
    snprintf(nth, sizeof nth, "%d", omp_get_max_threads());
    /* the booster is shared read-only between callers; its thread count
     * is a parameter, set per call (prediction per row: any count gives
     * the same values) */
    fib_status st = set_param(c->booster, "nthread", nth, err);
    if (st)
        return st;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    if (XGBoosterPredictFromDense(c->booster, arr, cfg, NULL, &shape, &dim,
                                  &res) != 0)
        return xgb_fail(err, "PredictFromDense");
    const size_t K = c->n_classes;
    if (dim != 2 || shape[0] != n_rows || shape[1] != K)
        return fib_error_set(err, FIB_EIO,
                             "classifier: XGBoost gave a prediction of an "
                             "unexpected shape");
    if (prob)
        memcpy(prob, res, n_rows * K * sizeof *prob);
    if (label)
        for (size_t i = 0; i < n_rows; i++) {
            const float *r = res + i * K;
            size_t best = 0;
            for (size_t k = 1; k < K; k++)
                if (r[k] > r[best])
                    best = k;
            label[i] = c->values[best];
        }
    return FIB_OK;
}

fib_status fib_classifier_save(const fib_classifier *c, char **out, size_t *len,
                               fib_error *err)
{
    if (!c || !out || !len)
        return fib_error_set(err, FIB_EINVAL,
                             "classifier: save needs a "
                             "model and outputs");
    bst_ulong n = 0;
    const char *bytes = NULL;
    if (XGBoosterSaveModelToBuffer(c->booster, "{\"format\": \"json\"}", &n,
                                   &bytes) != 0)
        return xgb_fail(err, "SaveModelToBuffer");
    *out = malloc((size_t)n ? (size_t)n : 1);
    if (!*out)
        return fib_error_set(err, FIB_ENOMEM, "classifier: out of memory");
    memcpy(*out, bytes, (size_t)n);
    *len = (size_t)n;
    return FIB_OK;
}

/* Parse "0,1,4" into c->values (ascending, distinct). */
static bool parse_classes(fib_classifier *c, const char *text)
{
    const char *s = text;
    c->n_classes = 0;
    while (*s) {
        char *end;
        const unsigned long long v = strtoull(s, &end, 10);
        if (end == s || *s == '-' || v > UINT32_MAX ||
            c->n_classes == FIB_CLASSIFY_MAX_CLASSES ||
            (c->n_classes && v <= c->values[c->n_classes - 1]))
            return false;
        c->values[c->n_classes++] = (uint32_t)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return false;
    }
    return c->n_classes >= 2;
}

fib_status fib_classifier_load(const char *bytes, size_t len, const char *what,
                               fib_classifier **out, fib_error *err)
{
    what = what ? what : "model";
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "classifier: out is NULL");
    *out = NULL;
    if (!bytes || len == 0)
        return fib_error_set(err, FIB_EINVAL, "%s: empty model", what);
    pthread_once(&quiet_flag, quiet_once);
    fib_classifier *c = calloc(1, sizeof *c);
    if (!c)
        return fib_error_set(err, FIB_ENOMEM, "classifier: out of memory");
    fib_status st = FIB_OK;
    if (XGBoosterCreate(NULL, 0, &c->booster) != 0)
        st = xgb_fail(err, "BoosterCreate");
    if (!st &&
        XGBoosterLoadModelFromBuffer(c->booster, bytes, (bst_ulong)len) != 0) {
        const char *m = XGBGetLastError();
        char line[160];
        snprintf(line, sizeof line, "%s", m ? m : "");
        line[strcspn(line, "\n")] = '\0';
        st = fib_error_set(err, FIB_EINVAL, "%s: not an XGBoost model (%s)",
                           what, line);
    }
    char text[4200];
    bst_ulong nf = 0;
    if (!st &&
        (!fib_classifier_attr_get(c, "cryofib_format", text, sizeof text) ||
         strcmp(text, FORMAT_VERSION) != 0))
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: an XGBoost model without cryofib's "
                           "attributes (cryofib_format %s): train it with "
                           "cryofib segment --train",
                           what, FORMAT_VERSION);
    if (!st &&
        (!fib_classifier_attr_get(c, "cryofib_classes", text, sizeof text) ||
         !parse_classes(c, text)))
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: cryofib_classes must list at least two "
                           "ascending class values",
                           what);
    if (!st && XGBoosterGetNumFeature(c->booster, &nf) != 0)
        st = xgb_fail(err, "GetNumFeature");
    if (!st && (nf == 0 || nf > 100000))
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: the model expects %llu features (1..100000)",
                           what, (unsigned long long)nf);
    if (!st) {
        c->n_features = (size_t)nf;
        if (!fib_classifier_attr_get(c, "cryofib_features", text, sizeof text))
            text[0] = '\0';
        c->signature = strdup(text);
        if (!c->signature)
            st = fib_error_set(err, FIB_ENOMEM, "classifier: out of memory");
    }
    if (st) {
        fib_classifier_destroy(c);
        return st;
    }
    *out = c;
    return FIB_OK;
}
