/* threads.c -- per-call OpenMP thread counts (fib/threads.h). */
#include <omp.h>

#include "fib/threads.h"

fib_threads_scope fib_threads_begin(int threads)
{
    fib_threads_scope s = {omp_get_max_threads(), false};
    if (threads > 0) {
        omp_set_num_threads(threads);
        s.set = true;
    }
    return s;
}

void fib_threads_end(fib_threads_scope scope)
{
    if (scope.set)
        omp_set_num_threads(scope.saved);
}
