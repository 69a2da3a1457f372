/*
 * job_segment_classify.c -- fib_job_segment() with a trained pixel
 * classifier (issue 19): `cryofib segment VOLUME --train LABELS --model
 * M.json` and `cryofib segment VOLUME --model M.json`.
 *
 *   normalise  the input's 0.5 and 99.5 percentiles (a 4096-bin histogram
 *              over [min, max], two slab passes) map to 0 and 1, so that a
 *              model trained on one acquisition (a digital twin) applies
 *              to another of other grey levels; NaN voxels count as 0;
 *   features   fib/features.h, slab by slab: sections [z0, z1) from the
 *              input read with the filters' z halo (fib_features_halo_z),
 *              the slab depth chosen so that input, feature rows,
 *              probabilities and the filters' work fit the memory budget;
 *   train      the labelled voxels (LABELS != 0) sampled per class, at most
 *              train_rows_per_class each, by a hash of the voxel index (the
 *              same rows whatever the slab depth or thread count); only
 *              sections holding labels are filtered; balanced classes
 *              (fib/classify.h); the model and its feature set saved;
 *   predict    every slab's rows -> probabilities -> the class of the
 *              largest; labels streamed to the output (or kept whole for
 *              the clean-up options), probabilities spilled per class to
 *              unlinked files in the output folder and written class by
 *              class at the end (a volume stack).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fib/checked.h"
#include "fib/classify.h"
#include "fib/features.h"
#include "fib/formats.h"
#include "job_segment_internal.h"

/* Largest model file read (a 100-round, 8-class, depth-6 model is ~3 MB
 * of JSON). */
#define MAX_MODEL_BYTES ((size_t)1 << 30)
/* Percentiles of the normalisation and histogram bins. */
#define P_LO 0.005
#define P_HI 0.995
#define NORM_BINS 4096

typedef struct cls_ctx {
    const fib_job_segment_params *p;
    const char *in;
    const fib_job_env *env;
    fib_fmt_info info;
    size_t budget;
    double lo, hi;          /* normalisation: lo -> 0, hi -> 1 */
    fib_features_params fp; /* the feature set, voxel sizes filled */
    size_t nf, halo, depth; /* features, z halo, output sections/slab */
    double vs[3];           /* voxel size, nm (0 = unknown) */
} cls_ctx;

static const fib_progress *prog(const cls_ctx *c)
{
    return c->env ? &c->env->progress : NULL;
}

/* ---- normalisation ------------------------------------------------- */

static inline double value_at(const fib_volume *v, size_t i)
{
    switch (v->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)v->data)[i];
    case FIB_PX_U16:
        return ((const uint16_t *)v->data)[i];
    case FIB_PX_U32:
        return ((const uint32_t *)v->data)[i];
    default:
        return (double)((const float *)v->data)[i];
    }
}

/* Sections per slab of a plain pass (input only) within half the budget. */
static size_t pass_depth(const cls_ctx *c)
{
    const size_t per = c->info.nx * c->info.ny *
                       (fib_pixel_size_bytes(c->info.type) + sizeof(float));
    size_t d = per ? c->budget / 2 / per : 1;
    return d < 1 ? 1 : d > c->info.nz ? c->info.nz : d;
}

/* min/max, then the histogram, then the percentiles (linear inside a
 * bin).  A constant volume gives hi = lo + 1. */
static fib_status normalisation(cls_ctx *c, fib_error *err)
{
    const size_t d = pass_depth(c), nz = c->info.nz;
    double lo = INFINITY, hi = -INFINITY;
    double *h = calloc(NORM_BINS, sizeof *h);
    if (!h)
        return fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    fib_status st = FIB_OK;
    for (size_t pass = 0; pass < 2 && !st; pass++)
        for (size_t z0 = 0; !st && z0 < nz; z0 += d) {
            const size_t n = nz - z0 < d ? nz - z0 : d;
            st = fib_progress_report(prog(c), "normalise", pass * nz + z0,
                                     2 * nz, err);
            fib_volume v = {0};
            if (!st)
                st = fib_fmt_volume_read_z(c->in, NULL, z0, n, &v, NULL, err);
            const size_t m = v.nx * v.ny * v.nz;
            for (size_t i = 0; !st && i < m; i++) {
                const double x = value_at(&v, i);
                if (!isfinite(x))
                    continue;
                if (pass == 0) {
                    lo = x < lo ? x : lo;
                    hi = x > hi ? x : hi;
                } else {
                    double b = (x - lo) / (hi - lo) * NORM_BINS;
                    size_t k = b >= NORM_BINS ? NORM_BINS - 1 : (size_t)b;
                    h[k] += 1;
                }
            }
            fib_volume_clear(&v);
            if (pass == 0 && !st && z0 + d >= nz && !(hi > lo)) {
                /* constant or no finite voxel: nothing to spread */
                c->lo = isfinite(lo) ? lo : 0;
                c->hi = c->lo + 1;
                free(h);
                return FIB_OK;
            }
        }
    if (st) {
        free(h);
        return st;
    }
    double total = 0;
    for (size_t k = 0; k < NORM_BINS; k++)
        total += h[k];
    const double q[2] = {P_LO * total, P_HI * total};
    double out[2] = {lo, hi}, acc = 0;
    int j = 0;
    for (size_t k = 0; k < NORM_BINS && j < 2; k++) {
        while (j < 2 && acc + h[k] >= q[j]) {
            const double f = h[k] > 0 ? (q[j] - acc) / h[k] : 0;
            out[j] = lo + ((double)k + f) * (hi - lo) / NORM_BINS;
            j++;
        }
        acc += h[k];
    }
    free(h);
    c->lo = out[0];
    c->hi = out[1] > out[0] ? out[1] : out[0] + (hi - lo) / NORM_BINS;
    return FIB_OK;
}

/* Sections [z0, z0 + n) of the input, normalised into @p dst. */
static fib_status read_norm(const cls_ctx *c, size_t z0, size_t n, float *dst,
                            fib_error *err)
{
    fib_volume v = {0};
    fib_status st = fib_fmt_volume_read_z(c->in, NULL, z0, n, &v, NULL, err);
    if (st)
        return st;
    const size_t m = v.nx * v.ny * v.nz;
    const double s = 1.0 / (c->hi - c->lo);
    for (size_t i = 0; i < m; i++) {
        const double x = value_at(&v, i);
        dst[i] = isfinite(x) ? (float)((x - c->lo) * s) : 0.0f;
    }
    fib_volume_clear(&v);
    return FIB_OK;
}

/* ---- slabs ---------------------------------------------------------- */

/* Bytes a slab of @p d output sections needs: the input with its halo
 * (file type + float), the feature rows, probabilities and labels (K
 * classes), and the filters' work. */
static double slab_bytes(const cls_ctx *c, size_t d, size_t k)
{
    const double plane = (double)c->info.nx * (double)c->info.ny;
    const double in_secs = (double)(d + 2 * c->halo) < (double)c->info.nz
                               ? (double)(d + 2 * c->halo)
                               : (double)c->info.nz;
    return in_secs * plane *
               ((double)fib_pixel_size_bytes(c->info.type) + 4.0) +
           (double)d * plane * (4.0 * (double)c->nf + 4.0 * (double)k + 8.0) +
           (double)fib_features_work_bytes(&c->fp, c->info.nx, c->info.ny, d);
}

/* The deepest slab within @p avail bytes; FIB_EBUDGET when one section
 * does not fit. */
static fib_status plan_depth(cls_ctx *c, size_t k, double avail, fib_error *err)
{
    size_t d = c->info.nz;
    while (d > 1 && slab_bytes(c, d, k) > avail)
        d = d / 2;
    if (slab_bytes(c, d, k) > avail)
        return fib_error_set(err, FIB_EBUDGET,
                             "segment: the classifier needs about %.0f MiB "
                             "for one section of %s (%zu features, %zu "
                             "halo sections; --memory %.0f MiB): raise "
                             "--memory or use fewer scales",
                             slab_bytes(c, 1, k) / 1048576.0, c->in, c->nf,
                             c->halo, (double)c->budget / 1048576.0);
    c->depth = d;
    return FIB_OK;
}

/* Feature rows of output sections [z0, z1) into @p rows (the input slab
 * read into @p in, room for the halo). */
static fib_status slab_features(const cls_ctx *c, size_t z0, size_t z1,
                                float *in, float *rows, fib_error *err)
{
    const size_t nz = c->info.nz;
    const size_t a = z0 > c->halo ? z0 - c->halo : 0;
    const size_t b = z1 + c->halo < nz ? z1 + c->halo : nz;
    fib_status st = read_norm(c, a, b - a, in, err);
    if (!st)
        st = fib_features_compute(&c->fp, in, c->info.nx, c->info.ny, a, b - a,
                                  nz, z0, z1, rows, err);
    return st;
}

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
    const double x = value_at(v, i);
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
    const size_t nz = c->info.nz, d = pass_depth(c);
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
        st = fib_progress_report(prog(c), "train features", z, nz, err);
        if (!st)
            st = slab_features(c, z, z1, in, rows, err);
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
    fib_status st =
        fib_classifier_attr_set(m, "cryofib_feature_scales", buf, err);
    snprintf(buf, sizeof buf, "%u", c->fp.sets);
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
static fib_status model_features(cls_ctx *c, const fib_classifier *m,
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
    const char *s = buf;
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
                             "%s: the model's feature set '%s' (%zu features) "
                             "is not the one this cryofib computes for its "
                             "parameters ('%s', %zu): retrain it",
                             path, fib_classifier_signature(m),
                             fib_classifier_features(m), sig,
                             fib_features_count(&fp));
    const fib_features_params *given = &c->p->features;
    if (given->scales[0] > 0 || given->sets || given->no_raw) {
        fib_features_signature(given, want, sizeof want);
        if (strcmp(want, sig) != 0)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: the model was trained on features "
                                 "'%s', the options ask for '%s'",
                                 path, sig, want);
    }
    memcpy(fp.voxel_nm, c->vs, sizeof fp.voxel_nm);
    c->fp = fp;
    return FIB_OK;
}

static fib_status train(cls_ctx *c, const char *staged_model,
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
        st = plan_depth(c, t.n_classes, (double)c->budget / 2, err);
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
        st = fib_progress_report(prog(c), "train", 0, 1, err);
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

/* ---- prediction ----------------------------------------------------- */

typedef struct pred_out {
    fib_fmt_volume_writer *w; /* labels, streamed (NULL: kept in lab) */
    fib_volume lab;           /* whole labels when cleaned afterwards */
    fib_pixel_type type;      /* u8 or u32 */
    FILE *spill[FIB_CLASSIFY_MAX_CLASSES]; /* probabilities per class */
} pred_out;

/* An unlinked spill file in the folder of @p near (the output's). */
static FILE *spill_file(const char *near)
{
    char tmpl[4200];
    const char *slash = strrchr(near, '/');
    if (slash)
        snprintf(tmpl, sizeof tmpl, "%.*s/.cryofib-prob-XXXXXX",
                 (int)(slash - near), near);
    else
        snprintf(tmpl, sizeof tmpl, ".cryofib-prob-XXXXXX");
    const int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    unlink(tmpl);
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}

static fib_status predict_all(cls_ctx *c, const fib_classifier *m, pred_out *o,
                              fib_job_segment_result *res, fib_error *err)
{
    const size_t nx = c->info.nx, ny = c->info.ny, nz = c->info.nz;
    const size_t plane = nx * ny, nf = c->nf;
    const size_t K = fib_classifier_classes(m, NULL);
    const size_t in_n =
        c->depth + 2 * c->halo < nz ? c->depth + 2 * c->halo : nz;
    float *in = malloc(in_n * plane * sizeof *in);
    float *rows = malloc(c->depth * plane * nf * sizeof *rows);
    float *prob =
        o->spill[0] ? malloc(c->depth * plane * K * sizeof *prob) : NULL;
    float *plane_buf = o->spill[0] ? malloc(plane * sizeof *plane_buf) : NULL;
    uint32_t *lab = malloc(c->depth * plane * sizeof *lab);
    fib_image sec = {0};
    fib_status st =
        in && rows && lab && (!o->spill[0] || (prob && plane_buf))
            ? FIB_OK
            : fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    if (!st && o->w)
        st = fib_image_init(&sec, o->type, nx, ny, err);
    for (size_t z0 = 0; !st && z0 < nz; z0 += c->depth) {
        const size_t z1 = z0 + c->depth < nz ? z0 + c->depth : nz;
        const size_t n = (z1 - z0) * plane;
        st = fib_progress_report(prog(c), "classify", z0, nz, err);
        if (!st)
            st = slab_features(c, z0, z1, in, rows, err);
        if (!st)
            st = fib_classifier_predict(m, rows, n, prob, lab, err);
        for (size_t i = 0; !st && i < n; i++)
            if (lab[i] < sizeof res->class_voxels / sizeof res->class_voxels[0])
                res->class_voxels[lab[i]]++;
        for (size_t z = z0; !st && z < z1; z++) {
            const uint32_t *L = lab + (z - z0) * plane;
            if (o->w) {
                for (size_t y = 0; y < ny; y++) {
                    void *row = fib_image_row(&sec, y);
                    for (size_t x = 0; x < nx; x++) {
                        if (o->type == FIB_PX_U8)
                            ((uint8_t *)row)[x] = (uint8_t)L[y * nx + x];
                        else
                            ((uint32_t *)row)[x] = L[y * nx + x];
                    }
                }
                st = fib_fmt_volume_writer_append(o->w, &sec, err);
            } else {
                uint8_t *dst = fib_volume_at(&o->lab, 0, 0, z);
                for (size_t i = 0; i < plane; i++)
                    dst[i] = (uint8_t)L[i];
            }
            for (size_t k = 0; !st && o->spill[0] && k < K; k++) {
                const float *P = prob + (z - z0) * plane * K;
                for (size_t i = 0; i < plane; i++)
                    plane_buf[i] = P[i * K + k];
                if (fwrite(plane_buf, sizeof *plane_buf, plane, o->spill[k]) !=
                    plane)
                    st = fib_error_set(err, FIB_EIO,
                                       "segment: cannot write the "
                                       "probabilities' spill file (disk "
                                       "full?)");
            }
        }
    }
    fib_image_clear(&sec);
    free(in);
    free(rows);
    free(prob);
    free(plane_buf);
    free(lab);
    return st;
}

/* The spilled probabilities, class by class, into @p staged. */
static fib_status write_probabilities(const cls_ctx *c, pred_out *o, size_t K,
                                      const char *staged, fib_error *err)
{
    const size_t nx = c->info.nx, ny = c->info.ny, nz = c->info.nz;
    fib_fmt_write_opts wo = {0};
    wo.mrc_volumes = K;
    fib_fmt_volume_writer *w = NULL;
    fib_image sec = {0};
    fib_status st = fib_fmt_volume_writer_create(staged, FIB_PX_F32, nx, ny,
                                                 K * nz, c->vs, &wo, &w, err);
    if (!st)
        st = fib_image_init(&sec, FIB_PX_F32, nx, ny, err);
    for (size_t k = 0; !st && k < K; k++) {
        if (fseek(o->spill[k], 0, SEEK_SET) != 0)
            st = fib_error_set(err, FIB_EIO, "segment: spill file: %s",
                               strerror(errno));
        for (size_t z = 0; !st && z < nz; z++) {
            for (size_t y = 0; !st && y < ny; y++)
                if (fread(fib_image_row(&sec, y), sizeof(float), nx,
                          o->spill[k]) != nx)
                    st = fib_error_set(err, FIB_EIO,
                                       "segment: spill file cut short");
            if (!st)
                st = fib_fmt_volume_writer_append(w, &sec, err);
        }
    }
    if (!st)
        st = fib_fmt_volume_writer_finish(w, err);
    fib_fmt_volume_writer_destroy(w);
    fib_image_clear(&sec);
    return st;
}

/* ---- the job -------------------------------------------------------- */

static fib_status setup(cls_ctx *c, fib_error *err)
{
    const fib_job_segment_params *p = c->p;
    if (!p->model_path)
        return fib_error_set(err, FIB_EINVAL,
                             "segment: the classifier needs --model M.json "
                             "(written when training, read otherwise)");
    fib_status st = fib_fmt_probe(c->in, NULL, &c->info, err);
    if (st)
        return st;
    if (c->info.type == FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: a label volume (u32), not a grey volume",
                             c->in);
    c->budget = p->memory_bytes ? p->memory_bytes : FIB_BUDGET_DEFAULT_BYTES;
    c->vs[0] = c->info.meta.pixel_size_nm[0];
    c->vs[1] = c->info.meta.pixel_size_nm[1];
    c->vs[2] = c->info.meta.voxel_depth_nm;
    if (p->voxel_nm[0] > 0)
        memcpy(c->vs, p->voxel_nm, sizeof c->vs);
    for (int a = 0; a < 3; a++)
        if (!(c->vs[a] > 0) || !isfinite(c->vs[a]))
            c->vs[0] = c->vs[1] = c->vs[2] = 0; /* unknown: isotropic */
    return FIB_OK;
}

fib_status fib__job_segment_classifier(const fib_job_segment_params *p,
                                       const char *in, const char *out,
                                       const fib_job_env *env,
                                       fib_job_segment_result *res,
                                       fib_error *err)
{
    cls_ctx c = {.p = p, .in = in, .env = env};
    fib_status st = setup(&c, err);
    if (st)
        return st;
    fib_classifier *m = NULL;
    fib_fmt_txn *own = NULL;
    const char *staged_model = NULL, *staged_out = NULL, *staged_prob = NULL;
    if (p->train_path) {
        c.fp = p->features;
        memcpy(c.fp.voxel_nm, c.vs, sizeof c.vs);
        st = fib_features_check(&c.fp, err);
        if (!st)
            st = fib_job_stage(env, &own, p->model_path, &staged_model, err);
    } else {
        char *bytes = NULL;
        size_t len = 0;
        st = fib_fmt_bytes_read(p->model_path, MAX_MODEL_BYTES, &bytes, &len,
                                err);
        if (!st)
            st = fib_classifier_load(bytes, len, p->model_path, &m, err);
        free(bytes);
        if (!st)
            st = model_features(&c, m, err);
    }
    if (!st) {
        c.nf = fib_features_count(&c.fp);
        c.halo = fib_features_halo_z(&c.fp);
        st = normalisation(&c, err);
    }
    if (!st && p->train_path)
        st = train(&c, staged_model, &m, res, err);
    const size_t K = m ? fib_classifier_classes(m, res->class_values) : 0;
    res->n_class_values = K;
    const uint32_t top = K ? res->class_values[K - 1] : 0;
    const bool clean = p->open_nm > 0 || p->close_nm > 0 || p->fill_holes ||
                       p->min_size_vox > 0;
    if (!st && clean && top > 255)
        st = fib_error_set(err, FIB_EINVAL,
                           "segment: the clean-up options need class values "
                           "<= 255 (the model's largest is %" PRIu32 ")",
                           top);
    /* the labels kept whole for the clean-up take a byte per voxel */
    const double whole =
        clean ? (double)c.info.nx * (double)c.info.ny * (double)c.info.nz * 3.0
              : 0.0;
    if (!st && whole > (double)c.budget / 2)
        st = fib_error_set(err, FIB_EBUDGET,
                           "segment: the clean-up options need the labels "
                           "whole, about %.0f MiB (--memory %.0f MiB)",
                           whole / 1048576.0, (double)c.budget / 1048576.0);
    if (!st && out)
        st = plan_depth(&c, K, (double)c.budget - whole, err);
    if (!out) { /* training only: the model is the output */
        fib_classifier_destroy(m);
        fib_fmt_txn *t0 = own ? own : env ? env->txn : NULL;
        if (st != FIB_OK && t0)
            fib_fmt_txn_explain(t0, err);
        return fib_job_finish(env, own, st, err);
    }
    pred_out o = {.type = top > 255 ? FIB_PX_U32 : FIB_PX_U8};
    if (!st)
        st = fib_job_stage(env, &own, out, &staged_out, err);
    if (!st && p->probabilities_path)
        st = fib_job_stage(env, &own, p->probabilities_path, &staged_prob, err);
    for (size_t k = 0; !st && staged_prob && k < K; k++)
        if (!(o.spill[k] = spill_file(staged_prob)))
            st = fib_error_set(err, FIB_EIO,
                               "%s: cannot make a spill file in its folder: "
                               "%s",
                               p->probabilities_path, strerror(errno));
    fib_fmt_write_opts wo = {0};
    wo.zarr_labels = true;
    if (!st && clean)
        st = fib_volume_init(&o.lab, FIB_PX_U8, c.info.nx, c.info.ny, c.info.nz,
                             err);
    else if (!st)
        st = fib_fmt_volume_writer_create(staged_out, o.type, c.info.nx,
                                          c.info.ny, c.info.nz, c.vs, &wo, &o.w,
                                          err);
    if (!st)
        st = predict_all(&c, m, &o, res, err);
    if (!st && o.w)
        st = fib_fmt_volume_writer_finish(o.w, err);
    if (!st && clean) {
        memcpy(o.lab.voxel_size_nm, c.vs, sizeof c.vs);
        const int conn = p->connectivity ? p->connectivity : 6;
        st = fib__job_segment_clean(p, conn, top, &o.lab, err);
        if (!st) {
            memset(res->class_voxels, 0, sizeof res->class_voxels);
            const uint8_t *L = o.lab.data;
            for (size_t i = 0; i < c.info.nx * c.info.ny * c.info.nz; i++)
                res->class_voxels[L[i]]++;
            st = fib_fmt_volume_write(staged_out, &o.lab, &wo, err);
        }
    }
    if (!st && staged_prob)
        st = write_probabilities(&c, &o, K, staged_prob, err);
    fib_fmt_volume_writer_destroy(o.w);
    fib_volume_clear(&o.lab);
    for (size_t k = 0; k < K; k++)
        if (o.spill[k])
            fclose(o.spill[k]);
    fib_classifier_destroy(m);
    fib_fmt_txn *t = own ? own : env ? env->txn : NULL;
    if (st != FIB_OK && t)
        fib_fmt_txn_explain(t, err);
    st = fib_job_finish(env, own, st, err);
    res->nx = c.info.nx;
    res->ny = c.info.ny;
    res->nz = c.info.nz;
    return st;
}
