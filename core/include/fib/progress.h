/*
 * fib/progress.h -- the one callback long batch calls report through.
 *
 * The library never prints (house style rule 4).  Long operations take an
 * optional `const fib_progress *` and call fib_progress_report() at sensible
 * intervals; the callback may return FIB_ECANCELED to stop the work, which
 * then unwinds, frees what it made and returns FIB_ECANCELED.  The cli
 * renders reports as a progress bar with ETA on a terminal and cancels on
 * SIGINT.
 */
#ifndef FIB_PROGRESS_H
#define FIB_PROGRESS_H

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Progress callback.  @p stage is a short static label ("align",
 * "write"), @p done of @p total units (total may be 0 when unknown).
 * Return FIB_OK to go on, FIB_ECANCELED to stop.  May be called from the
 * calling thread only (never from worker threads).
 */
typedef fib_status (*fib_progress_fn)(void *user, const char *stage,
                                      size_t done, size_t total);

typedef struct fib_progress {
    fib_progress_fn fn; /**< NULL = no reporting */
    void *user;
} fib_progress;

/**
 * Report progress; NULL @p p or NULL fn does nothing.  Returns FIB_OK or
 * FIB_ECANCELED (recorded in @p err as "<stage>: canceled").
 */
FIB_API FIB_NODISCARD fib_status fib_progress_report(const fib_progress *p,
                                                     const char *stage,
                                                     size_t done, size_t total,
                                                     fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PROGRESS_H */
