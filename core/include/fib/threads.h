/*
 * fib/threads.h -- per-call OpenMP thread counts.
 *
 * Engines whose parameter struct has an `int threads` field (recon's
 * fib_recon_params, the correction steps of fib/correct.h, fib_tort_opts of
 * fib/measure.h) run their parallel regions with that many threads; 0 keeps
 * the OpenMP runtime default (OMP_NUM_THREADS, else one per core).  The
 * count is set for the calling thread for the duration of the call and put
 * back before it returns, so other calls and the host program's own OpenMP
 * code are not affected.  Results never depend on the count (house rule:
 * no parallel floating-point reductions in an order that varies).
 */
#ifndef FIB_THREADS_H
#define FIB_THREADS_H

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What fib_threads_begin() changed, for fib_threads_end(). */
typedef struct fib_threads_scope {
    int saved; /**< omp_get_max_threads() before the call */
    bool set;  /**< false: nothing was changed */
} fib_threads_scope;

/**
 * Use @p threads OpenMP threads in the calling thread's next parallel
 * regions (omp_set_num_threads); @p threads <= 0 changes nothing.  Pair
 * every call with fib_threads_end() on the same thread.
 */
FIB_API fib_threads_scope fib_threads_begin(int threads);

/** Put back the team size that fib_threads_begin() replaced. */
FIB_API void fib_threads_end(fib_threads_scope scope);

#ifdef __cplusplus
}
#endif

#endif /* FIB_THREADS_H */
