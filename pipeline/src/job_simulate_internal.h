/*
 * job_simulate_internal.h -- the output folder shared by the series jobs
 * of fib/job_simulate.h (private to pipeline/): a folder staged whole in
 * the job's transaction, a label volume written slice by slice, a drift
 * table and a run file.
 */
#ifndef FIB_JOB_SIMULATE_INTERNAL_H
#define FIB_JOB_SIMULATE_INTERNAL_H

#include "fib/formats.h"
#include "fib/job.h"
#include "fib/job_simulate.h"
#include "fib/report.h"

typedef struct fib__series {
    const fib_job_env *env;
    fib_fmt_txn *own;              /* the job's own transaction (or NULL) */
    fib_fmt_txn *t;                /* the transaction written into */
    const char *out;               /* the folder as the caller named it */
    const char *sout;              /* its staged twin, written into */
    bool staged;                   /* the folder is staged in s->t */
    fib_fmt_volume_writer *labels; /* the label volume, slice by slice */
    fib_fmt_csv *csv;              /* the drift table */
    char path[4096 + 128];         /* the last path made by fib__series_path */
} fib__series;

/* Stage @p out whole in the job's transaction.  @p legacy (fnmatch
 * patterns) applies only when @p out holds the regular file @p marker (a
 * result written before manifests existed).  An unusable folder is
 * FIB_EINVAL (bad input) with the transaction's message. */
fib_status fib__series_begin(fib__series *s, const fib_job_env *env,
                             const char *out, const char *const *legacy,
                             size_t n_legacy, const char *marker,
                             fib_error *err);

/* Open the label volume @p name (in the staged folder) and the drift table
 * with the header row @p cols. */
fib_status fib__series_open(fib__series *s, const char *name,
                            fib_pixel_type type, size_t nx, size_t ny,
                            size_t nz, const double voxel_nm[3],
                            const char *const *cols, size_t n_cols,
                            fib_error *err);

/* The staged path of "<folder>/<printf(fmt, ...)>" in s->path. */
const char *fib__series_path(fib__series *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append one label slice and one drift row (slice index, then @p n
 * numbers). */
fib_status fib__series_row(fib__series *s, const fib_image *labels,
                           size_t slice, const double *vals, size_t n,
                           fib_error *err);

/* Finish the label volume, write the run file recon.cfg (printf-style
 * text) and the drift table @p csv_name, in this order. */
fib_status fib__series_close(fib__series *s, const char *csv_name,
                             fib_error *err, const char *cfg_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Free what the series holds; commit the job's own transaction when @p st
 * is FIB_OK, else name the final outputs in @p err and abort it.  Returns
 * @p st or the commit's failure. */
fib_status fib__series_end(fib__series *s, fib_status st, fib_error *err);

/* Last component of the folder @p dir (trailing slashes dropped) into
 * @p buf, or @p fallback when it has none usable ("/", ".", "..", too
 * long): the name a run file gives the recon folder beside it. */
void fib__series_dir_base(const char *dir, const char *fallback, char *buf,
                          size_t n);

/* job_simulate_truth.c: `cryofib phantom --truth-for RECON_DIR`: the
 * truth labels of p->phantom on the grid of that reconstruction into the
 * label file @p out, through env's transaction or its own. */
fib_status fib__job_phantom_truth(const fib_job_phantom_params *p,
                                  const char *out, const fib_job_env *env,
                                  fib_error *err);

#endif /* FIB_JOB_SIMULATE_INTERNAL_H */
