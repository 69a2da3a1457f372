/*
 * fib/job.h -- conventions shared by the whole-workflow calls of pipeline/.
 *
 * A job (fib_job_recon(), fib_job_measure(), ...) runs one workflow from a
 * parameter struct: it reads its inputs through formats/, computes with
 * the engines of recon/, analysis/ or planner/, and writes every output and
 * report -- the same files, bit for bit, as the `cryofib` command, which
 * is option parsing plus one job call (as `vipsthumbnail` calls
 * vips_thumbnail()).  The report schemas are defined in pipeline/ and
 * tested there in C.
 *
 * The library never prints: a job hands each line meant for a person to
 * the caller's message callback with its level, and the caller decides
 * where it goes (the command prints FIB_JOB_RESULT lines on stdout, notes
 * and warnings on stderr).
 *
 * Outputs go through an output transaction (fib/txn.h): when the caller
 * passes one in fib_job_env.txn the job stages its outputs there and the
 * caller commits; with NULL the job begins its own and commits it before
 * returning, so a failed or cancelled job leaves no partial output.
 */
#ifndef FIB_JOB_H
#define FIB_JOB_H

#include <stdarg.h>

#include "fib/common.h"
#include "fib/progress.h"
#include "fib/comm.h"
#include "fib/txn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a message line is. */
typedef enum fib_job_level {
    FIB_JOB_RESULT, /**< the result a person asked for (tables, summaries) */
    FIB_JOB_NOTE,   /**< how the run went (choices made, files written) */
    FIB_JOB_WARN    /**< something the user should act on */
} fib_job_level;

/** Receives one message; @p text has no trailing newline unless the line
 *  is meant to end with an empty line. */
typedef void (*fib_job_message_fn)(void *user, fib_job_level level,
                                   const char *text);

/** The environment of one job call; zero-initialised = defaults. */
typedef struct fib_job_env {
    fib_fmt_txn *txn;           /**< stage outputs here (NULL: own one) */
    fib_progress progress;      /**< progress and cancel (fn may be NULL) */
    fib_job_message_fn message; /**< message lines (NULL: dropped) */
    void *message_user;
    int threads; /**< OpenMP threads (0: the default) */
    /** Several processes running this job together (fib/comm.h,
     *  fib/job_mpi.h; NULL: this one alone).  Jobs that support it say so
     *  in their header; the outputs are staged and committed by rank 0
     *  (its env->txn or its own), the other ranks write their parts into
     *  rank 0's staged folder, so every rank must see the same file
     *  system. */
    const fib_comm *comm;
} fib_job_env;

/** Send one printf-style line to @p env's message callback (no-op when
 *  @p env or its callback is NULL).  Lines longer than 4 KiB are cut. */
FIB_API void fib_job_say(const fib_job_env *env, fib_job_level level,
                         const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
FIB_API void fib_job_vsay(const fib_job_env *env, fib_job_level level,
                          const char *fmt, va_list ap);

/**
 * Stage the output file @p final_path in @p env's transaction (beginning
 * one into *@p own when env->txn is NULL) and return the path to write in
 * @p staged.  A job calls fib_job_finish() once at the end.
 */
FIB_API FIB_NODISCARD fib_status fib_job_stage(const fib_job_env *env,
                                               fib_fmt_txn **own,
                                               const char *final_path,
                                               const char **staged,
                                               fib_error *err);

/** The transaction a job writes into: env->txn, or *@p own (begun when
 *  NULL).  Errors: FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_job_txn(const fib_job_env *env,
                                             fib_fmt_txn **own,
                                             fib_fmt_txn **out, fib_error *err);

/**
 * End a job: with status @p st == FIB_OK commit the job's own transaction
 * (asking env->progress once before the commit point), else abort it;
 * a caller's transaction (env->txn) is left to the caller.  Returns @p st
 * or the commit's failure.
 */
FIB_API FIB_NODISCARD fib_status fib_job_finish(const fib_job_env *env,
                                                fib_fmt_txn *own, fib_status st,
                                                fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_H */
