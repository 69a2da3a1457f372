/*
 * job_segment_train.c -- training the pixel classifier of
 * fib_job_segment() (job_segment_classify.c): the labelled voxels sampled
 * per class by a hash of the voxel index, their feature rows, the model
 * and its feature set saved; and the feature set of a saved model read
 * back and checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_segment_cls.h"

/* ---- training ------------------------------------------------------- */

/* splitmix64 (Steele, Lea & Flood 2014): a voxel's sampling draw. */
static inline uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

typedef struct train_set {
    uint32_t values[FIB_CLASSIFY_MAX_CLASSES];
    size_t count[FIB_CLASSIFY_MAX_CLASSES];
    double keep[FIB_CLASSIFY_MAX_CLASSES]; /* sampling probability */
    size_t n_classes;
    size_t *per_section; /* labelled voxels per section */
    float *rows;
    uint32_t *cls;
    size_t n_rows, cap_rows;
} train_set;

static fib_status check_labels_file(const cls_ctx *c, const char *path,
                                    fib_error *err)
{
    fib_fmt_info li;
    fib_status st = fib_fmt_probe(path, NULL, &li, err);
    if (st)
        return st;
    if (li.nx != c->info.nx || li.ny != c->info.ny || li.nz != c->info.nz)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: training labels are %zu x %zu x %zu, the "
                             "volume %s is %zu x %zu x %zu: they must match",
                             path, li.nx, li.ny, li.nz, c->in, c->info.nx,
                             c->info.ny, c->info.nz);
    if (li.type != FIB_PX_U8 && li.type != FIB_PX_U16 &&
        li.type != FIB_PX_U32 && li.type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: training labels must be integer labels",
                             path);
    return FIB_OK;
}

/* Class of voxel i of a label slab; FIB_EINVAL for a value that is not a
 * non-negative integer. */
static fib_status label_value(const fib_volume *v, size_t i, const char *path,
                              uint32_t *out, fib_error *err)
{
    const double x = fib__cls_value_at(v, i);
    if (!(x >= 0) || x > 4294967295.0 || x != floor(x))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: training label %g is not a non-negative "
                             "integer",
                             path, x);
    *out = (uint32_t)x;
    return FIB_OK;
}

/* Pass 1 over the labels: classes, voxels per class and per section. */
static fib_status count_labels(const cls_ctx *c, const char *path, train_set *t,
                               fib_error *err)
{
    const size_t nz = c->info.nz, d = fib__cls_pass_depth(c);
    fib_status st = FIB_OK;
    for (size_t z0 = 0; !st && z0 < nz; z0 += d) {
        const size_t n = nz - z0 < d ? nz - z0 : d;
        fib_volume v = {0};
        st = fib_fmt_volume_read_z(path, NULL, z0, n, &v, NULL, err);
        const size_t plane = c->info.nx * c->info.ny;
        for (size_t i = 0; !st && i < plane * n; i++) {
            uint32_t l = 0;
            st = label_value(&v, i, path, &l, err);
            if (st || (int64_t)l == c->p->train_unlabelled)
                continue;
            size_t k = 0;
            while (k < t->n_classes && t->values[k] != l)
                k++;
            if (k == t->n_classes) {
                if (k == FIB_CLASSIFY_MAX_CLASSES) {
                    st = fib_error_set(err, FIB_EINVAL,
                                       "%s: more than %d classes", path,
                                       FIB_CLASSIFY_MAX_CLASSES);
                    break;
                }
                t->values[k] = l;
                t->n_classes++;
            }
            t->count[k]++;
            t->per_section[z0 + i / plane]++;
        }
        fib_volume_clear(&v);
    }
    if (st)
        return st;
    /* classes in ascending value (the model's order) */
    for (size_t a = 1; a < t->n_classes; a++)
        for (size_t b = a; b > 0 && t->values[b - 1] > t->values[b]; b--) {
            const uint32_t v = t->values[b];
            const size_t n = t->count[b];
            t->values[b] = t->values[b - 1];
            t->count[b] = t->count[b - 1];
            t->values[b - 1] = v;
            t->count[b - 1] = n;
        }
    if (t->n_classes == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: no labelled voxel (%" PRId64 " means not "
                             "labelled)",
                             path, c->p->train_unlabelled);
    if (t->n_classes == 1)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: one class only (label %" PRIu32
                             "): label at least two classes",
                             path, t->values[0]);
    return FIB_OK;
}

/* Pass 2: the sampled rows of every labelled section, in runs of at most
 * c->depth consecutive sections. */
static fib_status gather(const cls_ctx *c, const char *path, train_set *t,
                         fib_error *err)
{
    const size_t nx = c->info.nx, ny = c->info.ny, nz = c->info.nz;
    const size_t plane = nx * ny, nf = c->nf;
    const double in_secs = (double)(c->depth + 2 * c->halo);
    float *in = malloc((size_t)(in_secs < (double)nz ? in_secs : (double)nz) *
                       plane * sizeof *in);
    float *rows = malloc(c->depth * plane * nf * sizeof *rows);
    fib_status st =
        in && rows ? FIB_OK
                   : fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    const uint64_t seed = mix64(c->p->classifier.seed ^ 0x5EEDull);
    size_t z = 0;
    while (!st && z < nz) {
        if (!t->per_section[z]) {
            z++;
            continue;
        }
        size_t z1 = z + 1;
        while (z1 < nz && z1 - z < c->depth && t->per_section[z1])
            z1++;
        st =
            fib_progress_report(fib__cls_prog(c), "train features", z, nz, err);
        if (!st)
            st = fib__cls_slab_features(c, z, z1, in, rows, err);
        fib_volume lv = {0};
        if (!st)
            st = fib_fmt_volume_read_z(path, NULL, z, z1 - z, &lv, NULL, err);
        for (size_t i = 0; !st && i < (z1 - z) * plane; i++) {
            uint32_t l = 0;
            st = label_value(&lv, i, path, &l, err);
            if (st || (int64_t)l == c->p->train_unlabelled)
                continue;
            size_t k = 0;
            while (t->values[k] != l)
                k++;
            const uint64_t g = mix64(seed + (uint64_t)(z * plane + i));
            if ((double)(g >> 11) * 0x1.0p-53 >= t->keep[k])
                continue;
            if (t->n_rows == t->cap_rows) {
                st = fib_error_set(err, FIB_EINVAL,
                                   "segment: sampled more training rows "
                                   "than planned");
                break;
            }
            memcpy(t->rows + t->n_rows * nf, rows + i * nf, nf * sizeof *rows);
            t->cls[t->n_rows++] = l;
        }
        fib_volume_clear(&lv);
        z = z1;
    }
    free(in);
    free(rows);
    return st;
}

/* The feature set's parameters as model attributes (so that applying
 * the model recomputes the same features). */
static fib_status store_features(fib_classifier *m, const cls_ctx *c,
                                 fib_error *err)
{
    char buf[512];
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < FIB_FEATURES_MAX_SCALES && c->fp.scales[i] > 0; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%.17g",
                                 i ? "," : "", c->fp.scales[i]);
    /* none given: "default" (fib/features.h's list; the signature holds
     * the resolved scales, so a change of the default is caught) */
    fib_status st = fib_classifier_attr_set(m, "cryofib_feature_scales",
                                            used ? buf : "default", err);
    snprintf(buf, sizeof buf, "%u", c->fp.sets ? c->fp.sets : FIB_FEAT_ALL);
    if (!st)
        st = fib_classifier_attr_set(m, "cryofib_feature_sets", buf, err);
    if (!st)
        st = fib_classifier_attr_set(m, "cryofib_feature_raw",
                                     c->fp.no_raw ? "0" : "1", err);
    if (!st)
        st = fib_classifier_attr_set(m, "cryofib_normalise",
                                     "percentiles 0.5 99.5 -> 0 1", err);
    snprintf(buf, sizeof buf, "%g,%g,%g", c->vs[0], c->vs[1], c->vs[2]);
    if (!st)
        st = fib_classifier_attr_set(m, "cryofib_train_voxel_nm", buf, err);
    return st;
}

/* The feature set of a model (its attributes) into c->fp; checked against
 * its signature and feature count, and against the caller's set when one
 * was given. */
fib_status fib__cls_model_features(cls_ctx *c, const fib_classifier *m,
                                   fib_error *err)
{
    const char *path = c->p->model_path;
    char buf[512];
    fib_features_params fp = {0};
    if (!fib_classifier_attr_get(m, "cryofib_feature_scales", buf, sizeof buf))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: no cryofib_feature_scales attribute (a "
                             "model from another feature set)",
                             path);
    const char *s = strcmp(buf, "default") == 0 ? "" : buf;
    for (int i = 0; *s && i < FIB_FEATURES_MAX_SCALES; i++) {
        char *end;
        fp.scales[i] = strtod(s, &end);
        if (end == s)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: cryofib_feature_scales '%s' is not a "
                                 "list of numbers",
                                 path, buf);
        s = *end == ',' ? end + 1 : end;
    }
    if (!fib_classifier_attr_get(m, "cryofib_feature_sets", buf, sizeof buf))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: no cryofib_feature_sets attribute", path);
    fp.sets = (unsigned)strtoul(buf, NULL, 10);
    if (!fib_classifier_attr_get(m, "cryofib_feature_raw", buf, sizeof buf))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: no cryofib_feature_raw attribute", path);
    fp.no_raw = strcmp(buf, "0") == 0;
    fib_status st = fib_features_check(&fp, err);
    if (st)
        return st;
    char sig[1024], want[1024];
    fib_features_signature(&fp, sig, sizeof sig);
    if (strcmp(sig, fib_classifier_signature(m)) != 0 ||
        fib_features_count(&fp) != fib_classifier_features(m))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: a model of another feature set (%zu "
                             "features, signature not this cryofib's for "
                             "its parameters): retrain it",
                             path, fib_classifier_features(m));
    const fib_features_params *given = &c->p->features;
    if (given->scales[0] > 0 || given->sets || given->no_raw) {
        fib_features_signature(given, want, sizeof want);
        if (strcmp(want, sig) != 0)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: the model was trained on other "
                                 "features than --scales asks for (leave "
                                 "--scales out to use the model's)",
                                 path);
    }
    memcpy(fp.voxel_nm, c->vs, sizeof fp.voxel_nm);
    c->fp = fp;
    return FIB_OK;
}

fib_status fib__cls_train(cls_ctx *c, const char *staged_model,
                          fib_classifier **out, fib_job_segment_result *res,
                          fib_error *err)
{
    const char *path = c->p->train_path;
    fib_status st = check_labels_file(c, path, err);
    if (st)
        return st;
    train_set t = {0};
    t.per_section = calloc(c->info.nz, sizeof *t.per_section);
    if (!t.per_section)
        return fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    st = count_labels(c, path, &t, err);
    const size_t cap =
        c->p->train_rows_per_class ? c->p->train_rows_per_class : 20000;
    size_t planned = 0;
    for (size_t k = 0; !st && k < t.n_classes; k++) {
        t.keep[k] = t.count[k] <= cap ? 1.0 : (double)cap / (double)t.count[k];
        /* the draw keeps about keep * count rows: room for 4 sigma more */
        const double e = t.keep[k] * (double)t.count[k];
        const double room = e + 4.0 * sqrt(e) + 16.0;
        planned += room < (double)t.count[k] ? (size_t)room : t.count[k];
    }
    const double need = (double)planned * (double)(c->nf * 4 + 4);
    if (!st && need > (double)c->budget / 2)
        st = fib_error_set(err, FIB_EBUDGET,
                           "segment: %zu training rows of %zu features need "
                           "%.0f MiB (--memory %.0f MiB): lower the rows per "
                           "class",
                           planned, c->nf, need / 1048576.0,
                           (double)c->budget / 1048576.0);
    if (!st)
        st = fib__cls_plan_depth(c, t.n_classes, (double)c->budget / 2, err);
    if (!st) {
        t.cap_rows = planned;
        t.rows = malloc(planned * c->nf * sizeof *t.rows);
        t.cls = malloc(planned * sizeof *t.cls);
        if (!t.rows || !t.cls)
            st = fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    }
    if (!st)
        st = gather(c, path, &t, err);
    char sig[1024];
    fib_features_signature(&c->fp, sig, sizeof sig);
    if (!st)
        st = fib_progress_report(fib__cls_prog(c), "train", 0, 1, err);
    if (!st)
        st = fib_classifier_train(&c->p->classifier, t.rows, t.cls, t.n_rows,
                                  c->nf, sig, out, err);
    if (!st)
        st = store_features(*out, c, err);
    char *bytes = NULL;
    size_t len = 0;
    if (!st)
        st = fib_classifier_save(*out, &bytes, &len, err);
    if (!st)
        st = fib_fmt_bytes_write(staged_model, bytes, len, err);
    free(bytes);
    if (!st) {
        res->train_rows = t.n_rows;
        char line[1024];
        size_t used;
        size_t per[FIB_CLASSIFY_MAX_CLASSES] = {0};
        for (size_t i = 0; i < t.n_rows; i++) {
            size_t k = 0;
            while (t.values[k] != t.cls[i])
                k++;
            per[k]++;
        }
        used = 0;
        for (size_t k = 0; k < t.n_classes && used < sizeof line; k++)
            used += (size_t)snprintf(line + used, sizeof line - used,
                                     " %" PRIu32 ":%zu/%zu", t.values[k],
                                     per[k], t.count[k]);
        fib_job_say(c->env, FIB_JOB_RESULT,
                    "classifier: trained on %zu voxels (class:sampled/"
                    "labelled%s), %zu features, balanced classes",
                    t.n_rows, line, c->nf);
    }
    free(t.per_section);
    free(t.rows);
    free(t.cls);
    return st;
}
