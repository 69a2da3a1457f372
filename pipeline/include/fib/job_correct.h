/*
 * fib/job_correct.h -- the `cryofib correct` workflow as one call: FIB-SEM
 * artifact correction (fib/correct.h: curtaining, shading/charging, slice
 * intensity drift, noise) of a single image, a volume or a slice series,
 * written in the format of the output's extension.
 *
 * Inputs (fib_job_correct_is_series() tells which):
 *  - one image or volume file (PNG, TIFF, multi-page TIFF, MRC, NRRD): the
 *    output is one file, a volume when the input has more than one slice;
 *  - a slice series (a folder of .tif/.tiff/.png files, a glob pattern, a
 *    .txt/.lst list of paths; fib_fmt_series_list()): the output is a
 *    volume file, or an existing folder where every slice keeps its name
 *    (the folder's previous result, by its manifest, is replaced as a
 *    whole; other files stay).
 *
 * The per-slice steps run in the fixed order of fib/correct.h on each
 * slice converted to f32; with median3d a 3D median of radius
 * median3d_radius over three corrected slices follows (a delay line of
 * three slices; z edges mirrored, a single slice is its own neighbour),
 * so the output lags one slice behind the input.  Each result is converted
 * (clamped, rounded) to out_type -- "same" is the input's type (a series:
 * its first slice's, so a volume gets one type throughout).
 *
 * Messages (fib_job_say): FIB_JOB_RESULT "wrote OUT (N slices)".
 */
#ifndef FIB_JOB_CORRECT_H
#define FIB_JOB_CORRECT_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/correct.h"
#include "fib/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** fib_job_correct_params.out_type: the input's pixel type. */
#define FIB_JOB_OUT_SAME (-1)

/** What `cryofib correct` runs; zero-initialised + out_type =
 *  FIB_JOB_OUT_SAME = nothing chosen (an error: no step). */
typedef struct fib_job_correct_params {
    fib_recon_correct_params correct; /**< per-slice steps (fib/correct.h);
                                           the wavelet name is read during
                                           the call only */
    bool median3d;            /**< 3D median after the per-slice steps */
    unsigned median3d_radius; /**< in-plane radius of the 3D median, px;
                                   0 = 1 (3 x 3 x 3) */
    int out_type;             /**< FIB_JOB_OUT_SAME or a fib_pixel_type
                                   (FIB_PX_U8, FIB_PX_U16, FIB_PX_F32) */
} fib_job_correct_params;

/** What a fib_job_correct() call did. */
typedef struct fib_job_correct_result {
    size_t slices; /**< slices written */
    bool series;   /**< the input was a slice series */
} fib_job_correct_result;

/** Settings by name (the option words of `cryofib correct`). */
#define FIB_JOB_BACKGROUND_CHOICES "poly|gauss"
#define FIB_JOB_DENOISE_CHOICES "median|median3d|gauss|diffusion|nlm"
#define FIB_JOB_OUT_TYPE_CHOICES "same|u8|u16|f32"

/** "poly" or "gauss"; false (and @p out unchanged) for any other name. */
FIB_API bool fib_job_background_parse(const char *name,
                                      fib_recon_background_method *out);

/** "median", "gauss", "diffusion", "nlm" set p->correct.denoise.method,
 *  "median3d" sets p->median3d (the two combine); false for any other
 *  name. */
FIB_API bool fib_job_denoise_parse(const char *name, fib_job_correct_params *p);

/** "same" (FIB_JOB_OUT_SAME), "u8", "u16", "f32"; false otherwise. */
FIB_API bool fib_job_out_type_parse(const char *name, int *out);

/** True when @p in names a slice series: an existing folder, a glob
 *  pattern (any of * ? [) or a .txt/.lst list file. */
FIB_API bool fib_job_correct_is_series(const char *in);

/* ------------------------------------------------------------------ */
/* Settings by option name: each sets one row of a step's parameter    */
/* table (fib_recon_correct_param_table()) -- what `cryofib correct`   */
/* parses and lists in --help.                                          */
/* ------------------------------------------------------------------ */

/** The destripe method an option belongs to (a plain "destripe" takes
 *  the method its options name: fib_job_correct_destripe_pick()). */
typedef enum fib_job_correct_group {
    FIB_JOB_CORRECT_ANY,
    FIB_JOB_CORRECT_WAVELET,
    FIB_JOB_CORRECT_VSNR,
    FIB_JOB_CORRECT_WEDGE,
    FIB_JOB_CORRECT_GROUPS
} fib_job_correct_group;

/** An option that sets one parameter row. */
typedef struct fib_job_correct_option {
    const char *name; /**< option name without "--", e.g. "destripe-sigma" */
    const char *arg;  /**< value placeholder ("S"); NULL: a flag */
    fib_recon_correct_step step; /**< the table of its row */
    const char *key;             /**< the row's key, e.g. "sigma" */
    fib_job_correct_group group;
} fib_job_correct_option;

/** The options, in --help order, and their count in *@p n. */
FIB_API const fib_job_correct_option *fib_job_correct_options(size_t *n);

/** The parameter row of option @p o. */
FIB_API const fib_param *
fib_job_correct_option_row(const fib_job_correct_option *o);

/**
 * Set option @p o from @p text (a flag: @p text unused): integers are
 * checked against the row's range here ("--destripe-levels must be an
 * integer in 1..10 (got 12)"), real numbers when the correction context is
 * made (fib_job_correct_check(), naming the field); "inf" is accepted
 * where the range has no upper end.  "radius" also sets median3d_radius.
 * Errors: FIB_EINVAL.
 */
FIB_API FIB_NODISCARD fib_status fib_job_correct_option_set(
    fib_job_correct_params *p, const fib_job_correct_option *o,
    const char *text, fib_error *err);

/** The --help text of @p o from its row ("  --destripe-levels L  wavelet
 *  levels (1..10; default 4)"; a long option on two lines) into @p buf;
 *  returns @p buf. */
FIB_API const char *fib_job_correct_option_help(const fib_job_correct_option *o,
                                                char *buf, size_t n);

/**
 * The destripe method from the options given: with @p plain (a bare
 * "destripe", no method named) the method of the options of
 * @p given[group] (the option names that were set, NULL for none):
 * wavelet-FFT, wedge or FIB_DESTRIPE_DEFAULT.  An option of one method
 * with another method, or without destriping, is refused.
 * Errors: FIB_EINVAL ("--wedge-deg does not apply to destripe method
 * vsnr").
 */
FIB_API FIB_NODISCARD fib_status fib_job_correct_destripe_pick(
    fib_job_correct_params *p, bool plain,
    const char *const given[FIB_JOB_CORRECT_GROUPS], fib_error *err);

/**
 * Check @p p and the output path @p out without touching any file other
 * than by stat(): the correction parameters (fib_recon_correct_create()),
 * at least one step, an output extension the writers know (or an existing
 * folder), no f32 into PNG.  fib_job_correct() does the same first.
 * Errors: FIB_EINVAL naming the field or the path.
 */
FIB_API FIB_NODISCARD fib_status fib_job_correct_check(
    const fib_job_correct_params *p, const char *out, fib_error *err);

/**
 * Run the correction of @p in into @p out (see the top of this file).
 * The caller checks that @p out is not one of the inputs.  Outputs go
 * through env->txn (or the job's own transaction, committed before it
 * returns).  @p res may be NULL.
 * Errors: as fib_job_correct_check(); the readers' and writers' errors
 * naming the file; FIB_ECANCELED from env->progress.
 */
FIB_API FIB_NODISCARD fib_status fib_job_correct(
    const fib_job_correct_params *p, const char *in, const char *out,
    const fib_job_env *env, fib_job_correct_result *res, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_CORRECT_H */
