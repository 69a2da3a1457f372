/* job_mpi.c -- fib_comm over MPI_COMM_WORLD (fib/job_mpi.h).  The gathers
 * move any number of bytes: MPI counts are int, so more than INT_MAX
 * bytes in all go in rounds of at most INT_MAX / size bytes per process. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fib/job_mpi.h"

#ifdef FIB_HAVE_MPI
#include <mpi.h>
#endif

int fib_job_mpi_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            const long n = strtol(v, NULL, 10);
            return n > 1 && n < INT_MAX ? (int)n : 1;
        }
    }
    return 1;
}

bool fib_job_mpi_takes(const char *command)
{
    return command &&
           (!strcmp(command, "recon") || !strcmp(command, "segment"));
}

/* A command that may run under a launcher of several: the jobs that take
 * ranks, and those that print and write nothing. */
static bool passes(const char *command)
{
    static const char *const quiet[] = {"--version", "-V", "version",
                                        "--help",    "-h", "help"};
    if (!command || fib_job_mpi_takes(command))
        return true;
    for (size_t i = 0; i < sizeof quiet / sizeof *quiet; i++)
        if (!strcmp(command, quiet[i]))
            return true;
    return false;
}

#ifdef FIB_HAVE_MPI

bool fib_job_mpi_available(void)
{
    return true;
}

/* fib_comm.gather: MPI_Allgatherv (root -1) or MPI_Gatherv in rounds of
 * at most INT_MAX / size bytes per process.  The receive buffers are
 * allocated first and every process learns whether all succeeded (one
 * MPI_Allreduce) before any data moves, so a failed allocation fails the
 * exchange on every process instead of receiving into nothing. */
static int mpi_gather(void *user, int root, const void *send, size_t n,
                      void **out, size_t *counts)
{
    (void)user;
    int size = 1, rank = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    unsigned long long mine = n;
    unsigned long long *all = malloc((size_t)size * sizeof *all);
    int *rc = malloc((size_t)size * sizeof *rc);
    int *displ = malloc((size_t)size * sizeof *displ);
    int ok = all && rc && displ, e = MPI_SUCCESS;
    if (ok)
        e = MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all, 1,
                          MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
    size_t total = 0, most = 0;
    for (int q = 0; ok && q < size && e == MPI_SUCCESS; q++) {
        counts[q] = (size_t)all[q];
        total += counts[q];
        most = counts[q] > most ? counts[q] : most;
    }
    const bool here = root < 0 || root == rank; /* receives the bytes */
    const size_t cap = (size_t)(INT_MAX / size);
    const size_t round =
        cap * (size_t)size < total ? cap * (size_t)size : total;
    unsigned char *buf = ok && total && here ? malloc(total) : NULL;
    unsigned char *tmp = ok && total && here ? malloc(round) : NULL;
    if (total && here && (!buf || !tmp))
        ok = 0;
    int all_ok = 0;
    const int ea =
        MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (e == MPI_SUCCESS)
        e = ea;
    size_t done = 0; /* bytes of each process moved so far */
    while (e == MPI_SUCCESS && all_ok && done < most) {
        int at = 0;
        for (int q = 0; q < size; q++) {
            const size_t left = counts[q] > done ? counts[q] - done : 0;
            rc[q] = (int)(left < cap ? left : cap);
            displ[q] = at;
            at += rc[q];
        }
        const size_t left = n > done ? n - done : 0;
        const int sc = (int)(left < cap ? left : cap);
        const void *sp = sc ? (const unsigned char *)send + done : NULL;
        e = root < 0 ? MPI_Allgatherv(sp, sc, MPI_BYTE, tmp, rc, displ,
                                      MPI_BYTE, MPI_COMM_WORLD)
                     : MPI_Gatherv(sp, sc, MPI_BYTE, tmp, rc, displ, MPI_BYTE,
                                   root, MPI_COMM_WORLD);
        size_t off = 0;
        for (int q = 0; q < size && e == MPI_SUCCESS && here; q++) {
            memcpy(buf + off + done, tmp + displ[q], (size_t)rc[q]);
            off += counts[q];
        }
        done += cap;
    }
    free(tmp);
    free(all);
    free(rc);
    free(displ);
    if (e != MPI_SUCCESS || !all_ok) {
        free(buf);
        return e != MPI_SUCCESS ? e : -1;
    }
    *out = buf;
    return 0;
}

fib_status fib_job_mpi_begin(int *argc, char ***argv, const char *command,
                             fib_comm **out, fib_error *err)
{
    *out = NULL;
    if (fib_job_mpi_launched() <= 1)
        return FIB_OK;
    fib_comm *c = calloc(1, sizeof *c);
    if (!c)
        return fib_error_set(err, FIB_ENOMEM, "mpi: out of memory");
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        free(c);
        return fib_error_set(err, FIB_EIO, "mpi: MPI_Init_thread failed");
    }
    /* errors come back as codes (fib_comm_agree reports them), never an
     * abort of the job from inside a collective */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    c->gather = mpi_gather;
    *out = c;
    if (!passes(command))
        return fib_error_set(
            err, FIB_EINVAL,
            "%s runs as one process (%d were started): run "
            "it without mpirun (recon and segment take several)",
            command, c->size);
    return FIB_OK;
}

void fib_job_mpi_end(fib_comm *c)
{
    if (!c)
        return;
    MPI_Finalize();
    free(c);
}

#else /* built without MPI */

bool fib_job_mpi_available(void)
{
    return false;
}

fib_status fib_job_mpi_begin(int *argc, char ***argv, const char *command,
                             fib_comm **out, fib_error *err)
{
    (void)argc;
    (void)argv;
    (void)command;
    *out = NULL;
    const int n = fib_job_mpi_launched();
    if (n > 1)
        return fib_error_set(err, FIB_EINVAL,
                             "mpi: launched as %d processes, but this cryofib "
                             "was built without MPI (install libopenmpi-dev "
                             "and rebuild)",
                             n);
    return FIB_OK;
}

void fib_job_mpi_end(fib_comm *c)
{
    (void)c;
}

#endif
