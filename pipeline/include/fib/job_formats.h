/*
 * fib/job_formats.h -- the file commands as calls: `cryofib convert`
 * (an image or volume into another format, voxel sizes kept) and
 * `cryofib info` (what a file holds, as text lines or one JSON object).
 */
#ifndef FIB_JOB_FORMATS_H
#define FIB_JOB_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/formats.h"
#include "fib/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What `cryofib convert` runs (zero-initialised = defaults: the data bar
 *  cropped, uncompressed output, the readers' size limit). */
typedef struct fib_job_convert_params {
    fib_fmt_read_opts read;   /**< keep_databar, max_bytes */
    fib_fmt_write_opts write; /**< nrrd_gzip, tiff_compression */
    /** One compression name for both writers (overrides write's): TIFF
     *  takes none, deflate or lzw; OME-Zarr none, zlib (= deflate) or
     *  blosc; the output's extension picks which.  NULL = write's. */
    const char *compress;
} fib_job_convert_params;

/** Apply @p name to @p w as fib_job_convert_params.compress does.
 *  Errors: FIB_EINVAL naming the accepted names. */
FIB_API FIB_NODISCARD fib_status fib_job_convert_compress(const char *name,
                                                          fib_fmt_write_opts *w,
                                                          fib_error *err);

/** Size of the converted volume. */
typedef struct fib_job_convert_result {
    size_t nx, ny, nz;
} fib_job_convert_result;

/** The output path's format is one the writers know (else FIB_EINVAL
 *  "OUT: unknown output extension (...)"). */
FIB_API FIB_NODISCARD fib_status fib_job_convert_check(const char *out,
                                                       fib_error *err);

/**
 * Read @p in whole and write it to @p out (format by extension; a .zarr
 * store replaces an earlier one of that name as a whole), slice by slice
 * so that env->progress can cancel ("read" once, then "write" per
 * slice).  The caller checks that @p out is not an input.
 * Messages: FIB_JOB_RESULT "wrote OUT (NX x NY x NZ)".  @p res may be
 * NULL.  Errors: the readers' and writers' errors naming the file,
 * FIB_ECANCELED.
 */
FIB_API FIB_NODISCARD fib_status fib_job_convert(
    const fib_job_convert_params *p, const char *in, const char *out,
    const fib_job_env *env, fib_job_convert_result *res, fib_error *err);

/** What `cryofib info` prints. */
typedef struct fib_job_info_params {
    bool json;  /**< one JSON object instead of "key  value" lines */
    bool all;   /**< also every vendor key/value pair */
    bool check; /**< decode every slice (a bad one is an error naming it) */
} fib_job_info_params;

/**
 * Describe @p path: kind, dimensions, pixel type, compression, pixel and
 * voxel size, the vendor metadata found (fib_fmt_probe()).  Every line
 * (or the JSON document, as one message without its final newline) goes
 * to env's message callback as FIB_JOB_RESULT.  Writes no file.
 * Errors: the probe's and, with check, the slice decoder's ("slice Z of
 * N: ...").
 */
FIB_API FIB_NODISCARD fib_status fib_job_info(const fib_job_info_params *p,
                                              const char *path,
                                              const fib_job_env *env,
                                              fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_FORMATS_H */
