/*
 * fib/job_recon.h -- the whole slice-and-view reconstruction as one call:
 * a slice series (folder, glob or list file) in; an aligned, geometry-
 * corrected volume, drift.csv, drift.png, ortho.png and report.json out.
 * `cryofib recon` is option parsing plus fib_job_recon().
 *
 * Order of work on every slice (recon/README.md):
 *   read (data bar cropped by the reader) -> artifact correction
 *   (destripe -> background -> normalize -> denoise, fib/correct.h) ->
 *   alignment (pass 1) / translation + tilt stretch + resampling (pass 2)
 *   -> volume writer.
 *
 * Metadata policy (what the job takes from the files when the parameters
 * leave it open): the pixel size and the slice thickness from the vendor
 * metadata of the first slice (a value outside 0.01..1e6 nm there is an
 * error naming the file and the key); the beam angle from the beam that
 * made the image (electron image at a FIB stage tilt: the column angle --
 * the file's, else 52 deg Thermo/FEI, 54 deg Zeiss; ion image: no
 * stretch; see recon-methods.md 2.1); the tilt-correction flag from the
 * file.  report.json records each choice and where it came from.
 *
 * Thread-safety: reentrant (one job per fib_job_env).
 */
#ifndef FIB_JOB_RECON_H
#define FIB_JOB_RECON_H

#include "fib/job.h"
#include "fib/recon.h"
#include "fib/recon_cfg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The parameters of one reconstruction: the run (a run file read with
 *  fib_fmt_recon_cfg_read(), or filled in C after
 *  fib_job_recon_params_init(); its ranges are the tables of
 *  fib_fmt_recon_cfg_params() and fib_fmt_recon_cfg_correct_params()).
 *  run.input and run.out are required (the job does not own them). */
typedef struct fib_job_recon_params {
    fib_fmt_recon_cfg run;
} fib_job_recon_params;

/** Zero @p p, then every table field to its default (neighbours 3,
 *  upsample 20, lengths 0 = from the metadata, ...; tilt_corrected and
 *  crop_valid -1 = from the metadata / on). */
FIB_API void fib_job_recon_params_init(fib_job_recon_params *p);

/** Numbers of a finished reconstruction (all zero on failure). */
typedef struct fib_job_recon_result {
    size_t n_slices;         /**< slices in the series */
    size_t n_skipped;        /**< left out (run.skip_bad) */
    size_t nx, ny, nz;       /**< volume extents, voxels */
    double voxel_size_nm[3]; /**< x, y, z; 0 = unknown */
    double tilt_deg;         /**< beam angle used; 0 = no stretch */
    char volume[64];         /**< file name in run.out, "volume.mrc" */
} fib_job_recon_result;

/**
 * Run the reconstruction of @p p and write, into the folder p->run.out
 * (replaced as a whole when it holds an earlier result), volume.EXT
 * (EXT = p->run.format, default mrc), volume_NAME.EXT per channel,
 * drift.csv, drift.png, ortho.png and report.json.  The summary lines go
 * to env->message (FIB_JOB_RESULT; unknown lengths FIB_JOB_WARN); with
 * env->txn the outputs are staged there for the caller to commit.
 * The run's values are range-checked with its parameter tables first
 * (fields left at their defaults pass).
 * Several processes (env->comm of N > 1 ranks, fib/comm.h): every rank
 * calls with the same parameters; each measures and writes its part
 * (recon/README.md, "Several processes"), rank 0 stages and commits
 * (others write into its staged folder), and the outputs are the bytes
 * of one process.  The volume must be OME-Zarr (p->run.format zarr;
 * else FIB_EINVAL).  Every rank returns the same status and message.
 * Errors: FIB_ERANGE / FIB_EINVAL for a value outside its table row (the
 * key and the limit named), those of the reader (the file named),
 * FIB_EINVAL for parameters the data cannot take (named as the command's
 * option), FIB_ENOMEM, FIB_EIO, FIB_ECANCELED (env->progress).
 */
FIB_API FIB_NODISCARD fib_status fib_job_recon(const fib_job_recon_params *p,
                                               const fib_job_env *env,
                                               fib_job_recon_result *res,
                                               fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_RECON_H */
