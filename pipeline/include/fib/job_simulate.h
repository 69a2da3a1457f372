/*
 * fib/job_simulate.h -- the synthetic slice-and-view series as jobs
 * (fib/job.h): `cryofib simulate` (the digital twin of fib/simulate.h)
 * and `cryofib phantom` (the quick phantom series of fib/phantom.h).
 *
 * Each job writes one output folder, replaced as a whole through the
 * output transaction (fib/txn.h; an earlier result of the same job there
 * is recognised by its drift file), and says one FIB_JOB_RESULT summary
 * line when everything is written: after its own commit, or, when the
 * caller passes its transaction in env->txn, before the caller commits
 * (`cryofib` holds the line until its commit succeeded, so a failed
 * commit prints no summary).  recon/README.md, "Digital twin", gives each
 * parameter's physical meaning.
 */
#ifndef FIB_JOB_SIMULATE_H
#define FIB_JOB_SIMULATE_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"
#include "fib/formats.h"
#include "fib/job.h"
#include "fib/phantom.h"
#include "fib/simulate.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What fib_job_simulate() renders and how it writes it.  Start from
 * fib_job_simulate_params_init() (the command's defaults), then set.
 */
typedef struct fib_job_simulate_params {
    /** Renderer parameters (fib/simulate.h); sim.grey is ignored (see
     *  grey).  sim.tilt_deg 0 = the vendor's default beam angle (52 deg
     *  Thermo/FEI, 54 deg Zeiss). */
    fib_sim_params sim;
    /** The labels: the built-in phantom @p phantom (kind, nx, ny, nz used;
     *  its seed is sim.seed) when use_phantom, else the label volume file
     *  labels_path (TIFF stack, MRC, NRRD; integer labels, or f32 holding
     *  non-negative integers). */
    bool use_phantom;
    fib_phantom_params phantom;
    const char *labels_path;
    /** Label voxel size x, y, z, nm; 0 = from the file (required there
     *  when the file has none).  For a phantom: x = pixel, z = slice. */
    double voxel_nm[3];
    double grey[FIB_SIM_MAX_PHASES]; /**< grey per phase in label order */
    size_t n_grey;                   /**< 0 = the renderer's default */
    fib_fmt_vendor vendor;           /**< FIB_VENDOR_ZEISS or else Thermo/FEI
                                          metadata, names and default tilt */
    bool png; /**< PNG slices (no metadata) instead of TIFF */
    int bits; /**< 8 or 16 bits per pixel */
} fib_job_simulate_params;

/** The defaults of `cryofib simulate`: everything zero but seed 1, 8-bit
 *  Thermo/FEI TIFF slices. */
FIB_API void fib_job_simulate_params_init(fib_job_simulate_params *p);

/**
 * Set the parameter of the command-line option @p name (without the
 * leading "--", e.g. "jitter", "grey", "no-drift") from its text @p value
 * (NULL for a flag), with the ranges and messages of `cryofib simulate
 * --help` (recon/README.md, "Digital twin"): amplitudes in [0, max] where
 * 0 switches the artifact off; lengths in nm within [0.01, 1e6].  "clean"
 * and "no-drift" switch groups of artifacts off.  Errors: FIB_EINVAL
 * naming the option, its limit and the text given ("--jitter must be in
 * [0, 1] (got 2)"); FIB_ENOTFOUND for a name that is not an option.
 */
FIB_API FIB_NODISCARD fib_status
fib_job_simulate_option(fib_job_simulate_params *p, const char *name,
                        const char *value, fib_error *err);

/** Numbers of a finished simulation. */
typedef struct fib_job_simulate_result {
    fib_sim_geometry geometry; /**< slices nx x ny x nz, truth grid ny */
    uint64_t seed;
} fib_job_simulate_result;

/**
 * Render the series of @p p into the folder @p out_dir:
 * out_dir/slices/slice_NNNNN_z=Z.ZZZZum.tif (or .png; measured depth in
 * the name, Zeiss Atlas 3D style; vendor metadata in each TIFF),
 * out_dir/drift_true.csv (slice,dx,dy,stage_dx,stage_dy,face_dy,z_nm,
 * thickness_nm,gain: dx,dy is the shift a perfect `cryofib recon` reports),
 * out_dir/truth_labels.mrc (the labels on the reconstruction grid: what a
 * perfect recon should segment into) and out_dir/recon.cfg (a run file
 * for `cryofib recon`).  Says the summary line "cryofib simulate: ..." as
 * FIB_JOB_RESULT.  @p result may be NULL.
 * Errors: FIB_EINVAL (labels that are not labels, a voxel size missing,
 * an output folder that cannot be used), the readers' and the renderer's
 * errors, FIB_EIO, FIB_ECANCELED.
 */
FIB_API FIB_NODISCARD fib_status fib_job_simulate(
    const fib_job_simulate_params *p, const char *out_dir,
    const fib_job_env *env, fib_job_simulate_result *result, fib_error *err);

/** What fib_job_phantom() writes; start from fib_job_phantom_params_init(). */
typedef struct fib_job_phantom_params {
    fib_phantom_params phantom; /**< the structure and its artifacts */
    int bits;                   /**< 8 or 16 bits per PNG pixel */
    /** A `cryofib recon` output folder of this phantom's series: write,
     *  instead of the series, the truth labels on that reconstruction's
     *  grid (fib_job_phantom_truth_volume()) into the label file given as
     *  the output (.mrc, .tif, .nrrd). */
    const char *truth_for;
} fib_job_phantom_params;

/** The defaults of `cryofib phantom`: fib/phantom.h's, 16-bit slices. */
FIB_API void fib_job_phantom_params_init(fib_job_phantom_params *p);

/** Set the parameter of the `cryofib phantom` option @p name ("kind",
 *  "seed", "size", "drift-px", "bits", "pixel-nm", "slice-nm", "noise",
 *  "clean", "shine-through", "no-cap", "truth-for") from @p value, with the
 * command's ranges and messages.  Errors as fib_job_simulate_option(). */
FIB_API FIB_NODISCARD fib_status
fib_job_phantom_option(fib_job_phantom_params *p, const char *name,
                       const char *value, fib_error *err);

/**
 * The truth labels of the phantom @p pp on the grid of its reconstruction
 * in @p recon_dir (drift.csv: the applied shifts of every slice;
 * report.json: the crop box), @p nx x @p ny (the volume's size) x the
 * phantom's slices, into the new u8 volume @p out.  recon's frame is the
 * slices' mean position: the constant c = mean(applied shift + true drift)
 * is removed exactly (the labels are rasterised at that sub-pixel offset,
 * fib_phantom_labels_at()), so what differs from the volume is the
 * reconstruction's own per-slice error.  For reconstructions without a y
 * stretch or z resampling (the phantom's PNG series has neither).
 * Errors: FIB_EINVAL (a drift file of another slice count, sizes), the
 * phantom's, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_job_phantom_truth_volume(
    const fib_phantom_params *pp, const char *recon_dir, size_t nx, size_t ny,
    fib_volume *out, fib_error *err);

/**
 * Write the phantom series of @p p into the folder @p out_dir:
 * out_dir/slice_NNNN.png, out_dir/labels.mrc (0 pore/background, 1 and 2
 * phases, 3 protective cap), out_dir/true_drift.csv (slice,dx,dy: content
 * displacement, px; the correcting shift is its negative) and
 * out_dir/recon.cfg.  Says "cryofib phantom: ..." as FIB_JOB_RESULT.
 * With p->truth_for set, @p out_dir is instead the label file of the
 * truth on that reconstruction's grid (fib_job_phantom_truth_volume()).
 * @p used (may be NULL) receives the effective parameters (defaults
 * filled in).  Errors: as fib_phantom_create(), FIB_EINVAL (output
 * folder), FIB_EIO, FIB_ECANCELED.
 */
FIB_API FIB_NODISCARD fib_status fib_job_phantom(
    const fib_job_phantom_params *p, const char *out_dir,
    const fib_job_env *env, fib_phantom_params *used, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_SIMULATE_H */
