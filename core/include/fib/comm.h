/*
 * fib/comm.h -- several processes working on one job (MPI ranks), seen
 * through one callback so that no module below the pipeline depends on
 * MPI (pipeline/include/fib/job_mpi.h binds it to OpenMPI).
 *
 * A NULL `const fib_comm *` (or size 1) is one process: every helper then
 * works locally.  Every helper is collective: each process of the group
 * must call it, in the same order, or the group waits forever.  Sums and
 * merges are formed in rank order on every process from the gathered
 * values, never by the transport's own reductions, so that the result does
 * not depend on the number or placement of the processes (house rule:
 * results independent of the thread count; the same holds for ranks).
 */
#ifndef FIB_COMM_H
#define FIB_COMM_H

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fib_comm {
    int rank; /**< this process, 0 .. size - 1 */
    int size; /**< processes in the group (>= 1) */
    /** Every process's @p n bytes, concatenated in rank order into a new
     *  malloc'ed buffer (*@p out, freed by the caller; NULL when the total
     *  is 0) on process @p root, or on every process when @p root is -1;
     *  every process gets each one's count in @p counts[size].  Returns 0
     *  on success. */
    int (*gather)(void *user, int root, const void *send, size_t n, void **out,
                  size_t *counts);
    void *user;
} fib_comm;

/** Rank of @p c (0 for NULL) and group size (1 for NULL). */
FIB_API int fib_comm_rank(const fib_comm *c);
FIB_API int fib_comm_size(const fib_comm *c);

/** fib_comm.allgather with the error recorded; @p counts may be NULL.
 *  With a NULL @p c the result is a copy of @p send. */
FIB_API FIB_NODISCARD fib_status fib_comm_allgather(const fib_comm *c,
                                                    const void *send, size_t n,
                                                    void **out, size_t *counts,
                                                    fib_error *err);

/**
 * Agree on the outcome of a step: every process passes its own status
 * (and @p err holding its message when it failed); all return the status
 * of the lowest failing rank with its message (prefixed "rank N: " on the
 * other processes), or FIB_OK when every process succeeded.  Call it
 * before any collective that a failed process would not reach.
 */
FIB_API FIB_NODISCARD fib_status fib_comm_agree(const fib_comm *c,
                                                fib_status st, fib_error *err);

/** fib_comm_allgather() into process @p root only (*@p out is NULL on
 *  the others): what only one process needs (rank 0's pictures) without
 *  sending everything to everyone. */
FIB_API FIB_NODISCARD fib_status fib_comm_gather(const fib_comm *c, int root,
                                                 const void *send, size_t n,
                                                 void **out, size_t *counts,
                                                 fib_error *err);

/** Wait until every process has arrived (an agree on FIB_OK). */
FIB_API FIB_NODISCARD fib_status fib_comm_barrier(const fib_comm *c,
                                                  fib_error *err);

/** The part [*lo, *hi) of 0 .. n - 1 that rank @p rank of @p size takes
 *  when n items are split into contiguous, nearly equal parts in rank
 *  order (the first n % size parts one larger). */
FIB_API void fib_comm_split(size_t n, int rank, int size, size_t *lo,
                            size_t *hi);

#ifdef __cplusplus
}
#endif

#endif /* FIB_COMM_H */
