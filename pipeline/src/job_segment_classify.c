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

#include "job_segment_cls.h"

/* Largest model file read (a 100-round, 8-class, depth-6 model is ~3 MB
 * of JSON). */
#define MAX_MODEL_BYTES ((size_t)1 << 30)

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
        st = fib_progress_report(fib__cls_prog(c), "classify", z0, nz, err);
        if (!st)
            st = fib__cls_slab_features(c, z0, z1, in, rows, err);
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
            st = fib__cls_model_features(&c, m, err);
    }
    if (!st) {
        c.nf = fib_features_count(&c.fp);
        c.halo = fib_features_halo_z(&c.fp);
        st = fib__cls_normalisation(&c, err);
    }
    if (!st && p->train_path)
        st = fib__cls_train(&c, staged_model, &m, res, err);
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
        st = fib__cls_plan_depth(&c, K, (double)c.budget - whole, err);
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
