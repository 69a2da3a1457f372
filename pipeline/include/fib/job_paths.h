/*
 * fib/job_paths.h -- input/output identity policy of every job: an output
 * may never be, nor (for an output folder) hold, one of the run's inputs.
 *
 * Outputs are renamed over their target (fib/txn.h), so without these
 * checks an input given again as an output would be replaced, and an
 * output folder that holds the input series would be rewritten under it.
 * The `cryofib` command runs them before any job call (README
 * "Conventions"); a program that calls a job with paths from its user
 * should run them too.  Each check returns FIB_OK, or FIB_EINVAL (bad
 * input: the command's exit status 2) with the one-line message in
 * @p err, e.g. "--json out.json: is the input file in.json (refusing to
 * overwrite it)" (FIB_ERROR_SIZE bounds the text).  @p opt names the
 * option that gave the output ("--out"; NULL for an operand).
 */
#ifndef FIB_JOB_PATHS_H
#define FIB_JOB_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** True when @p a and @p b name the same existing file or folder (same
 *  device and inode: links, hard links and "./x" are caught). */
FIB_API bool fib_job_same_file(const char *a, const char *b);

/** True when @p a and @p b are the same file (fib_job_same_file()) or
 *  resolve to the same absolute, link-free name (one of them need not
 *  exist yet: its folder is resolved). */
FIB_API bool fib_job_names_same(const char *a, const char *b);

/**
 * The output file @p out (NULL: nothing to check) against @p inputs (NULL
 * entries skipped).  Refused: a folder of @p out that does not exist or
 * is not a folder ("OPT OUT: cannot create: DIR does not exist" / "is
 * not a folder"), and an output that names an input
 * (fib_job_names_same(): "OPT OUT: is the input file IN (refusing to
 * overwrite it)").
 */
FIB_API FIB_NODISCARD fib_status fib_job_check_not_input(
    const char *opt, const char *out, const char *const *inputs,
    size_t n_inputs, fib_error *err);

/** fib_job_check_not_input() for each output file @p out[k] (NULL
 *  skipped) given by option @p opt[k], in order; the first refusal. */
FIB_API FIB_NODISCARD fib_status fib_job_check_outputs(
    size_t n_out, const char *const *opt, const char *const *out,
    const char *const *inputs, size_t n_inputs, fib_error *err);

/**
 * The output folder @p dir (NULL: nothing to check) that a job writes
 * files into: refused when it is one of @p inputs ("... is the input
 * file ...") or holds one at any depth after resolving links ("OPT DIR:
 * holds the input IN (refusing to write into an input folder)").
 */
FIB_API FIB_NODISCARD fib_status fib_job_check_dir_not_input(
    const char *opt, const char *dir, const char *const *inputs,
    size_t n_inputs, fib_error *err);

/**
 * The output folder @p dir may not be, nor hold, the slice series @p src
 * (folder, glob or list file: @p src itself and every slice it names,
 * fib_fmt_series_list()).  A series that cannot be listed is that
 * listing's error.
 */
FIB_API FIB_NODISCARD fib_status fib_job_check_dir_not_series(const char *opt,
                                                              const char *dir,
                                                              const char *src,
                                                              fib_error *err);

/** The output file @p out of a job reading the file @p in: neither @p in
 *  nor its NRRD data file (fib_job_check_not_input()). */
FIB_API FIB_NODISCARD fib_status fib_job_check_out_of(const char *opt,
                                                      const char *out,
                                                      const char *in,
                                                      fib_error *err);

/**
 * The output @p out of a job that writes one result per slice of the
 * series @p src (fib_fmt_series_list()): when @p out is an existing
 * folder the slices keep their names in it, and no such name may be the
 * slice itself; else @p out (one file) may be neither a slice nor @p src
 * (a list file).  Messages as fib_job_check_not_input().
 */
FIB_API FIB_NODISCARD fib_status fib_job_check_series_out(const char *opt,
                                                          const char *out,
                                                          const char *src,
                                                          fib_error *err);

/** The detached data file of the NRRD header @p path, as the reader would
 *  open it, into @p buf (empty when the data are attached, or @p path is
 *  not a readable NRRD, recognised by its "NRRD" magic): an input of
 *  every job that reads @p path. */
FIB_API void fib_job_input_data_file(const char *path, char *buf, size_t n);

/** The inputs of one run for the checks above: each added path and, for
 *  an NRRD header, its detached data file.  Zero-initialise; p[0..n) is
 *  the list to pass as @p inputs. */
enum { FIB_JOB_MAX_INPUTS = 16 };
typedef struct fib_job_inputs {
    const char *p[2 * FIB_JOB_MAX_INPUTS];
    size_t n;
    char data[FIB_JOB_MAX_INPUTS][1024];
    size_t n_data;
} fib_job_inputs;

/** Add @p path (ignored when NULL or when the list is full); the path is
 *  referenced, not copied. */
FIB_API void fib_job_inputs_add(fib_job_inputs *in, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_PATHS_H */
