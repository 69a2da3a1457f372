/* job_segment_cls.h -- private pieces of the trained pixel classifier
 * of fib_job_segment() shared by job_segment_slab.c (normalisation and
 * slabs of feature rows), job_segment_train.c (training) and
 * job_segment_classify.c (prediction and the job). */
#ifndef FIB_JOB_SEGMENT_CLS_H
#define FIB_JOB_SEGMENT_CLS_H

#include "fib/checked.h"
#include "fib/classify.h"
#include "fib/features.h"
#include "fib/formats.h"
#include "job_segment_internal.h"

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

static inline const fib_progress *fib__cls_prog(const cls_ctx *c)
{
    return c->env ? &c->env->progress : NULL;
}

/* Voxel i of a volume of any pixel type as double. */
static inline double fib__cls_value_at(const fib_volume *v, size_t i)
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

/* job_segment_slab.c */
/* Sections per slab of a plain pass (input only) within half the budget. */
size_t fib__cls_pass_depth(const cls_ctx *c);
/* The input's 0.5 and 99.5 percentiles into c->lo, c->hi. */
fib_status fib__cls_normalisation(cls_ctx *c, fib_error *err);
/* The deepest slab of output sections within @p avail bytes for @p k
 * classes into c->depth; FIB_EBUDGET when one section does not fit. */
fib_status fib__cls_plan_depth(cls_ctx *c, size_t k, double avail,
                               fib_error *err);
/* Feature rows of output sections [z0, z1) into @p rows (the normalised
 * input slab read into @p in, room for the halo). */
fib_status fib__cls_slab_features(const cls_ctx *c, size_t z0, size_t z1,
                                  float *in, float *rows, fib_error *err);

/* job_segment_train.c */
/* Train on c->p->train_path (c->fp set, normalisation done), save the
 * model to @p staged_model; the model into *@p out. */
fib_status fib__cls_train(cls_ctx *c, const char *staged_model,
                          fib_classifier **out, fib_job_segment_result *res,
                          fib_error *err);
/* The feature set of a loaded model into c->fp, checked. */
fib_status fib__cls_model_features(cls_ctx *c, const fib_classifier *m,
                                   fib_error *err);

#endif
