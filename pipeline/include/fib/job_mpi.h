/*
 * fib/job_mpi.h -- the processes of an MPI launch (`mpirun -np N cryofib
 * ...`) as one fib_comm (fib/comm.h) for fib_job_env.comm.
 *
 * MPI is optional at build time (CMake option FIB_WITH_MPI, on when an MPI
 * for C is found; Debian: libopenmpi-dev).  Without it everything runs as
 * one process and a launch of several is refused, so that N copies never
 * write the same outputs.  Only the thread that called begin talks to MPI
 * (MPI_THREAD_FUNNELED).
 */
#ifndef FIB_JOB_MPI_H
#define FIB_JOB_MPI_H

#include <stdbool.h>

#include "fib/comm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** True when the library was built with MPI. */
FIB_API bool fib_job_mpi_available(void);

/** The number of processes the launcher says it started (OpenMPI's
 *  OMPI_COMM_WORLD_SIZE, else PMI_SIZE / PMIX_SIZE of other launchers);
 *  1 when not launched by one. */
FIB_API int fib_job_mpi_launched(void);

/** True for the `cryofib` commands whose jobs run on several processes
 *  together (fib_job_env.comm): "recon" (fib/job_recon.h) and "segment"
 *  (thresholds, streamed; fib/job_segment.h). */
FIB_API bool fib_job_mpi_takes(const char *command);

/**
 * Start MPI when this process was launched as one of several
 * (fib_job_mpi_launched() > 1) and return the world in *@p out; *@p out is
 * NULL (one process, nothing started) otherwise.  @p command (may be NULL:
 * any) is the job to run: one that runs as one process
 * (fib_job_mpi_takes() false) is refused with FIB_EINVAL after MPI has
 * started (*@p out set, so that the caller can let rank 0 alone say it;
 * "--version", "version", "--help" and "help" pass).  Errors: FIB_EINVAL
 * also when launched as several processes but built without MPI; FIB_EIO
 * when MPI does not start.
 */
FIB_API FIB_NODISCARD fib_status fib_job_mpi_begin(int *argc, char ***argv,
                                                   const char *command,
                                                   fib_comm **out,
                                                   fib_error *err);

/** Finalize MPI and free @p c (NULL: nothing). */
FIB_API void fib_job_mpi_end(fib_comm *c);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_MPI_H */
