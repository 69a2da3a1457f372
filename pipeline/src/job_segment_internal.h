/* job_segment_internal.h -- private pieces of fib_job_segment() shared by
 * job_segment*.c. */
#ifndef FIB_JOB_SEGMENT_INTERNAL_H
#define FIB_JOB_SEGMENT_INTERNAL_H

#include "fib/formats.h"
#include "fib/job_segment.h"

/* job_segment_stream.c: the threshold methods slab by slab within
 * @p budget bytes, the labels written to @p staged. */
/* Sections of halo that --open/--close need on each side of a streamed
 * slab (0 without them; job_segment_stream.c). */
size_t fib__job_segment_halo(const fib_job_segment_params *p, double sz_nm);

fib_status fib__job_segment_stream(const fib_job_segment_params *p,
                                   const char *in, const char *staged,
                                   const fib_fmt_info *info, size_t budget,
                                   const fib_job_env *env,
                                   fib_job_segment_result *res, fib_error *err);

/* job_segment_classify.c: the trained pixel classifier (train and/or
 * apply), its outputs (labels, model, probabilities) through env's
 * transaction or its own. */
fib_status fib__job_segment_classifier(const fib_job_segment_params *p,
                                       const char *in, const char *out,
                                       const fib_job_env *env,
                                       fib_job_segment_result *res,
                                       fib_error *err);

/* job_segment.c: opening, closing, hole filling and the size filter on
 * each class 1..n_classes of the u8 labels @p lab in turn. */
fib_status fib__job_segment_clean(const fib_job_segment_params *p, int conn,
                                  size_t n_classes, fib_volume *lab,
                                  fib_error *err);

#endif
