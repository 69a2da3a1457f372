/*
 * job_segment.c -- fib_job_segment() (fib/job_segment.h): the `cryofib
 * segment` workflow -- thresholds into classes, per-class clean-up, the
 * watershed split and the label volume through the output transaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/checked.h"
#include "fib/formats.h"
#include "fib/threads.h"
#include "fib/job_paths.h"
#include "fib/job_segment.h"
#include "fib/segment.h"
#include "job_segment_internal.h"

fib_status fib_job_segment_check(const fib_job_segment_params *p,
                                 const char *out, fib_error *err)
{
    if (!p ||
        (!out && !(p->method == FIB_JOB_SEGMENT_CLASSIFIER && p->train_path)))
        return fib_error_set(err, FIB_EINVAL, "segment: params or out NULL");
    const fib_fmt_kind k = out ? fib_fmt_kind_from_path(out) : FIB_FMT_MRC;
    if (k == FIB_FMT_UNKNOWN || k == FIB_FMT_PNG)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: output must end in .mrc, .tif or .nrrd", out);
    if (p->open_nm < 0 || p->close_nm < 0)
        return fib_error_set(err, FIB_EINVAL,
                             "--open/--close radius must be >= 0");
    if (p->method == FIB_JOB_SEGMENT_MULTI_OTSU &&
        (p->classes < 2 || p->classes > 5))
        return fib_error_set(err, FIB_EINVAL,
                             "segment: classes must be 2..5 (got %d)",
                             p->classes);
    if (p->method == FIB_JOB_SEGMENT_MANUAL &&
        (!p->thresholds || p->n_thresholds < 1 ||
         p->n_thresholds > FIB_JOB_SEGMENT_MAX_THRESHOLDS))
        return fib_error_set(err, FIB_EINVAL,
                             "segment: manual needs 1..%d thresholds (got %zu)",
                             FIB_JOB_SEGMENT_MAX_THRESHOLDS, p->n_thresholds);
    if (p->method == FIB_JOB_SEGMENT_CLASSIFIER) {
        if (!p->model_path)
            return fib_error_set(err, FIB_EINVAL,
                                 "segment: the classifier needs --model "
                                 "M.json (written when training with "
                                 "--train, read otherwise)");
        if (p->train_unlabelled < -1 ||
            p->train_unlabelled > (int64_t)UINT32_MAX)
            return fib_error_set(err, FIB_EINVAL,
                                 "segment: the unlabelled value must be "
                                 "0..4294967295 or none (got %lld)",
                                 (long long)p->train_unlabelled);
        if (p->watershed)
            return fib_error_set(err, FIB_EINVAL,
                                 "segment: --watershed splits threshold "
                                 "classes; run it on the classifier's labels "
                                 "with --threshold");
        if (p->probabilities_path) {
            const fib_fmt_kind pk =
                fib_fmt_kind_from_path(p->probabilities_path);
            if (pk == FIB_FMT_UNKNOWN || pk == FIB_FMT_PNG)
                return fib_error_set(err, FIB_EINVAL,
                                     "%s: probabilities must end in .mrc, "
                                     ".tif, .nrrd or .zarr",
                                     p->probabilities_path);
        }
    } else if (p->train_path || p->probabilities_path)
        return fib_error_set(err, FIB_EINVAL,
                             "segment: --train and --probabilities belong to "
                             "the classifier (--model)");
    if (p->method < FIB_JOB_SEGMENT_OTSU ||
        p->method > FIB_JOB_SEGMENT_CLASSIFIER)
        return fib_error_set(err, FIB_EINVAL,
                             "segment: method %d is not a method",
                             (int)p->method);
    const int c = p->connectivity;
    if (c != 0 && c != 6 && c != 18 && c != 26)
        return fib_error_set(err, FIB_EINVAL,
                             "segment: connectivity must be 6, 18 or 26 "
                             "(got %d)",
                             c);
    return FIB_OK;
}

/* The classes of @p vol into the new u8 volume @p lab; the thresholds used
 * into @p res. */
static fib_status classify(const fib_job_segment_params *p, int conn,
                           const fib_volume *vol, fib_volume *lab,
                           fib_job_segment_result *res, fib_error *err)
{
    const size_t n = vol->nx * vol->ny * vol->nz;
    fib_status st;
    if (p->method == FIB_JOB_SEGMENT_HYSTERESIS) {
        fib_volume mask = {0};
        st = fib_recon_hysteresis(vol, p->hysteresis_lo, p->hysteresis_hi, conn,
                                  &mask, err);
        if (st == FIB_OK)
            st =
                fib_volume_init(lab, FIB_PX_U8, vol->nx, vol->ny, vol->nz, err);
        if (st == FIB_OK) {
            memcpy(lab->data, mask.data, n);
            memcpy(lab->voxel_size_nm, vol->voxel_size_nm,
                   sizeof vol->voxel_size_nm);
        }
        fib_volume_clear(&mask);
        res->n_thresholds = 1;
        res->thresholds[0] = p->hysteresis_lo;
        return st;
    }
    if (p->method == FIB_JOB_SEGMENT_MANUAL) {
        res->n_thresholds = p->n_thresholds;
        memcpy(res->thresholds, p->thresholds,
               sizeof(double) * p->n_thresholds);
    } else {
        res->n_thresholds =
            p->method == FIB_JOB_SEGMENT_OTSU ? 1 : (size_t)p->classes - 1;
        st = fib_recon_multi_otsu(vol, (int)res->n_thresholds + 1,
                                  res->thresholds, err);
        if (st != FIB_OK)
            return st;
    }
    fib_volume l32;
    st = fib_recon_classify(vol, res->thresholds, res->n_thresholds, &l32, err);
    if (st != FIB_OK)
        return st;
    st = fib_volume_init(lab, FIB_PX_U8, vol->nx, vol->ny, vol->nz, err);
    if (st == FIB_OK) {
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)lab->data)[i] = (uint8_t)((uint32_t *)l32.data)[i];
        memcpy(lab->voxel_size_nm, vol->voxel_size_nm,
               sizeof vol->voxel_size_nm);
        memcpy(lab->origin_nm, vol->origin_nm, sizeof vol->origin_nm);
    }
    fib_volume_clear(&l32);
    return st;
}

/* The highest class split into particles: @p lab becomes the u32 labels. */
static fib_status split(const fib_job_segment_params *p, size_t top,
                        fib_volume *lab, size_t *particles, fib_error *err)
{
    const size_t n = lab->nx * lab->ny * lab->nz;
    const double sp = lab->voxel_size_nm[0] > 0 ? lab->voxel_size_nm[0] : 1;
    fib_volume mask = {0}, ws = {0};
    fib_status st =
        fib_volume_init(&mask, FIB_PX_U8, lab->nx, lab->ny, lab->nz, err);
    if (st != FIB_OK)
        return st;
    memcpy(mask.voxel_size_nm, lab->voxel_size_nm, sizeof mask.voxel_size_nm);
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)mask.data)[i] = ((uint8_t *)lab->data)[i] == top;
    st = fib_recon_watershed(&mask,
                             p->watershed_h_nm >= 0 ? p->watershed_h_nm : sp,
                             &ws, particles, err);
    fib_volume_clear(&mask);
    if (st != FIB_OK)
        return st;
    fib_volume_clear(lab);
    *lab = ws;
    return FIB_OK;
}

/* Voxels per class (u8 labels) or background / particles (u32). */
static void count(const fib_volume *lab, fib_job_segment_result *res)
{
    const size_t n = lab->nx * lab->ny * lab->nz;
    memset(res->class_voxels, 0, sizeof res->class_voxels);
    for (size_t i = 0; i < n; i++) {
        const size_t v = lab->type == FIB_PX_U8
                             ? ((const uint8_t *)lab->data)[i]
                             : ((const uint32_t *)lab->data)[i] > 0;
        if (v < sizeof res->class_voxels / sizeof res->class_voxels[0])
            res->class_voxels[v]++;
    }
}

/* The label volume through the transaction. */
static fib_status write_labels(const fib_job_env *env, const char *out,
                               const fib_volume *lab, fib_error *err)
{
    fib_fmt_txn *own = NULL;
    const char *staged = NULL;
    fib_fmt_write_opts wo = {0};
    wo.zarr_labels = true; /* OME-Zarr: label image, mode pyramid */
    fib_status st = fib_job_stage(env, &own, out, &staged, err);
    if (st == FIB_OK)
        st = fib_fmt_volume_write(staged, lab, &wo, err);
    fib_fmt_txn *t = own ? own : env ? env->txn : NULL;
    if (st != FIB_OK && t)
        fib_fmt_txn_explain(t, err);
    return fib_job_finish(env, own, st, err);
}

static void say_thresholds(const fib_job_env *env,
                           const fib_job_segment_result *res)
{
    char line[4096];
    size_t used = (size_t)snprintf(line, sizeof line, "thresholds:");
    for (size_t i = 0; i < res->n_thresholds && used < sizeof line; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, " %.6g",
                                 res->thresholds[i]);
    fib_job_say(env, FIB_JOB_RESULT, "%s", line);
}

/* A volume whose whole-volume work does not fit the budget: streamed
 * (job_segment_stream.c) when the method allows, else refused. */
static fib_status stream_if_big(const fib_job_segment_params *p, const char *in,
                                const char *out, const fib_job_env *env,
                                fib_job_segment_result *res, bool *streamed,
                                fib_error *err)
{
    *streamed = false;
    fib_fmt_info info;
    fib_status st = fib_fmt_probe(in, NULL, &info, err);
    if (st)
        return st;
    const size_t budget =
        p->memory_bytes ? p->memory_bytes : FIB_BUDGET_DEFAULT_BYTES;
    const bool clean = p->open_nm > 0 || p->close_nm > 0 || p->fill_holes ||
                       p->min_size_vox > 0;
    const bool whole_clean = p->fill_holes || p->min_size_vox > 0;
    /* input + u32 classes + u8 labels; clean-up adds a mask and a copy,
     * the watershed a distance map and u32 labels */
    const double per = (double)fib_pixel_size_bytes(info.type) + 5.0 +
                       (clean ? 2.0 : 0.0) + (p->watershed ? 12.0 : 0.0);
    const double need =
        per * (double)info.nx * (double)info.ny * (double)info.nz;
    const fib_comm *comm = env ? env->comm : NULL;
    const int ranks = fib_comm_size(comm);
    if (need <= (double)budget && ranks == 1)
        return FIB_OK;
    if (ranks > 1 && (whole_clean || p->watershed ||
                      p->method == FIB_JOB_SEGMENT_HYSTERESIS ||
                      fib_fmt_kind_from_path(out) != FIB_FMT_ZARR))
        return fib_error_set(err, FIB_EINVAL,
                             "segment: %d processes stream thresholds (with "
                             "--open/--close) into OME-Zarr chunks of their "
                             "own: %s needs one process",
                             ranks,
                             fib_fmt_kind_from_path(out) != FIB_FMT_ZARR
                                 ? "an --out that is not .zarr"
                             : p->watershed ? "the watershed"
                             : whole_clean  ? "--fill-holes/--min-size"
                                            : "hysteresis");
    if (whole_clean || p->watershed || p->method == FIB_JOB_SEGMENT_HYSTERESIS)
        return fib_error_set(err, FIB_EBUDGET,
                             "segment: %s needs about %.0f MiB whole for %s "
                             "(--memory %.0f MiB): raise --memory, or use "
                             "thresholds with --open/--close alone, which "
                             "stream",
                             in, need / 1048576.0,
                             p->watershed  ? "the watershed"
                             : whole_clean ? "--fill-holes/--min-size"
                                           : "hysteresis",
                             (double)budget / 1048576.0);
    fib_fmt_txn *own = NULL;
    const char *staged = NULL;
    void *shared = NULL; /* several processes: rank 0's staged path */
    if (fib_comm_rank(comm) == 0)
        st = fib_job_stage(env, &own, out, &staged, err);
    st = fib_comm_agree(comm, st, err);
    if (st == FIB_OK && ranks > 1) {
        const bool lead = comm->rank == 0;
        st = fib_comm_allgather(comm, lead ? staged : "",
                                lead ? strlen(staged) + 1 : 0, &shared, NULL,
                                err);
        if (st == FIB_OK)
            staged = shared; /* rank 0's bytes come first */
        st = fib_comm_agree(comm, st, err);
    }
    if (st == FIB_OK)
        st = fib__job_segment_stream(p, in, staged, &info, budget, env, res,
                                     err);
    free(shared);
    fib_fmt_txn *t = own ? own : env ? env->txn : NULL;
    if (st != FIB_OK && t)
        fib_fmt_txn_explain(t, err);
    st = fib_job_finish(env, own, st, err);
    *streamed = true;
    return st;
}

/* The classifier: outputs distinct from the inputs, the job, its lines. */
static fib_status classifier_run(const fib_job_segment_params *p,
                                 const char *in, const char *out,
                                 const fib_job_env *env,
                                 fib_job_segment_result *res, fib_error *err)
{
    const char *outs[3] = {out, p->train_path ? p->model_path : NULL,
                           p->probabilities_path};
    const char *names[3] = {"--out", "--model", "--probabilities"};
    fib_status st = FIB_OK;
    for (int i = 0; i < 3 && !st; i++) {
        if (!outs[i])
            continue;
        st = fib_job_check_out_of(names[i], outs[i], in, err);
        if (!st && p->train_path)
            st = fib_job_check_out_of(names[i], outs[i], p->train_path, err);
        for (int j = 0; j < i && !st; j++)
            if (outs[j] && strcmp(outs[i], outs[j]) == 0)
                st = fib_error_set(err, FIB_EINVAL,
                                   "%s and %s name the same file %s", names[j],
                                   names[i], outs[i]);
    }
    if (!st)
        st = fib__job_segment_classifier(p, in, out, env, res, err);
    if (st)
        return st;
    char line[2048];
    size_t used = (size_t)snprintf(line, sizeof line, "classes:");
    for (size_t k = 0; k < res->n_class_values && used < sizeof line; k++) {
        const uint32_t v = res->class_values[k];
        used += (size_t)snprintf(
            line + used, sizeof line - used, " %u (%zu voxels)", (unsigned)v,
            v < sizeof res->class_voxels / sizeof res->class_voxels[0]
                ? res->class_voxels[v]
                : (size_t)0);
    }
    if (out)
        fib_job_say(env, FIB_JOB_RESULT, "%s", line);
    if (p->train_path)
        fib_job_say(env, FIB_JOB_RESULT, "wrote %s", p->model_path);
    if (p->probabilities_path)
        fib_job_say(env, FIB_JOB_RESULT, "wrote %s (%zu class volumes)",
                    p->probabilities_path, res->n_class_values);
    if (out)
        fib_job_say(env, FIB_JOB_RESULT, "wrote %s (%zu x %zu x %zu)", out,
                    res->nx, res->ny, res->nz);
    return FIB_OK;
}

static fib_status job_segment_run(const fib_job_segment_params *p,
                                  const char *in, const char *out,
                                  const fib_job_env *env,
                                  fib_job_segment_result *res_out,
                                  fib_error *err)
{
    fib_status st = fib_job_segment_check(p, out, err);
    if (st != FIB_OK)
        return st;
    if (!in)
        return fib_error_set(err, FIB_EINVAL, "segment: in is NULL");
    if (out)
        st = fib_job_check_out_of("--out", out, in, err); /* job_paths.h */
    if (st != FIB_OK)
        return st;
    fib_job_segment_result *res = calloc(1, sizeof *res);
    if (!res)
        return fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    const int conn = p->connectivity ? p->connectivity : 6;
    if (p->method == FIB_JOB_SEGMENT_CLASSIFIER &&
        fib_comm_size(env ? env->comm : NULL) > 1)
        st = fib_error_set(err, FIB_EINVAL,
                           "segment: the pixel classifier runs as one "
                           "process (%d were started)",
                           fib_comm_size(env->comm));
    if (st) {
        free(res);
        return st;
    }
    if (p->method == FIB_JOB_SEGMENT_CLASSIFIER) {
        st = classifier_run(p, in, out, env, res, err);
        if (!st && res_out)
            *res_out = *res;
        free(res);
        return st;
    }
    bool streamed = false;
    st = stream_if_big(p, in, out, env, res, &streamed, err);
    if (st || streamed) {
        if (!st) {
            say_thresholds(env, res);
            fib_job_say(env, FIB_JOB_RESULT, "wrote %s (%zu x %zu x %zu)", out,
                        res->nx, res->ny, res->nz);
            if (res_out)
                *res_out = *res;
        }
        free(res);
        return st;
    }
    fib_volume vol = {0}, lab = {0};
    st = fib_fmt_volume_read(in, NULL, &vol, NULL, err);
    if (st == FIB_OK && p->voxel_nm[0] > 0)
        memcpy(vol.voxel_size_nm, p->voxel_nm, sizeof vol.voxel_size_nm);
    if (st == FIB_OK)
        st = classify(p, conn, &vol, &lab, res, err);
    fib_volume_clear(&vol);
    if (st == FIB_OK)
        say_thresholds(env, res);
    if (st == FIB_OK && (p->open_nm > 0 || p->close_nm > 0 || p->fill_holes ||
                         p->min_size_vox > 0))
        st = fib__job_segment_clean(p, conn, res->n_thresholds, &lab, err);
    if (st == FIB_OK && p->watershed) {
        st = split(p, res->n_thresholds, &lab, &res->particles, err);
        if (st == FIB_OK)
            fib_job_say(env, FIB_JOB_RESULT, "watershed: %zu particles",
                        res->particles);
    }
    if (st == FIB_OK)
        st = write_labels(env, out, &lab, err);
    if (st == FIB_OK) {
        res->nx = lab.nx;
        res->ny = lab.ny;
        res->nz = lab.nz;
        count(&lab, res);
        fib_job_say(env, FIB_JOB_RESULT, "wrote %s (%zu x %zu x %zu)", out,
                    lab.nx, lab.ny, lab.nz);
        if (res_out)
            *res_out = *res;
    }
    fib_volume_clear(&lab);
    free(res);
    return st;
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_segment(const fib_job_segment_params *p, const char *in,
                           const char *out, const fib_job_env *env,
                           fib_job_segment_result *res_out, fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_segment_run(p, in, out, env, res_out, err);
    fib_threads_end(scope);
    return st;
}
