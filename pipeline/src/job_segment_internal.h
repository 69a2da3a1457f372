/* job_segment_internal.h -- private pieces of fib_job_segment() shared by
 * job_segment*.c. */
#ifndef FIB_JOB_SEGMENT_INTERNAL_H
#define FIB_JOB_SEGMENT_INTERNAL_H

#include "fib/formats.h"
#include "fib/job_segment.h"

/* job_segment_stream.c: the threshold methods slab by slab within
 * @p budget bytes, the labels written to @p staged. */
fib_status fib__job_segment_stream(const fib_job_segment_params *p,
                                   const char *in, const char *staged,
                                   const fib_fmt_info *info, size_t budget,
                                   const fib_job_env *env,
                                   fib_job_segment_result *res, fib_error *err);

#endif
