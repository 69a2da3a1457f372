/*
 * fib/job_measure.h -- the measurement workflow (`cryofib measure`) as one
 * library call.
 *
 * fib_job_measure() reads a label volume (MRC, TIFF stack, NRRD, OME-Zarr;
 * u8/u16/u32 labels, or f32 holding integers >= 0), decides the voxel size
 * and the report units, measures every selected label and writes the JSON
 * report and the optional objects CSV, surface mesh and PNG pictures --
 * the same files, bit for bit, as the command.  The report schema (key
 * order included) is defined in pipeline/src/job_measure*.c; the methods
 * are those of fib/measure.h and fib/mesh.h (analysis/MEASURE.md).
 *
 * Units policy: the voxel size is params.voxel_nm when given, else the
 * file's.  When an axis is unknown (0, negative or non-finite in the
 * file) the volume is measured with unit voxels and every length, area,
 * volume and density is written in voxel units under renamed keys
 * (area_um2 -> area_vox2, ..._per_um -> ..._per_vox); never as nm or um
 * that the file does not support.  FIB_JOB_MEASURE_UNITS_PHYSICAL then
 * refuses (FIB_EINVAL).
 *
 * Messages (fib/job.h): every summary line the command prints is sent as
 * FIB_JOB_RESULT, in the command's order.
 */
#ifndef FIB_JOB_MEASURE_H
#define FIB_JOB_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/common.h"
#include "fib/job.h"

#ifdef __cplusplus
extern "C" {
#endif

/** At most this many labels are measured (--phase); the rest are named. */
#define FIB_JOB_MEASURE_MAX_PHASES 16
/** At most this many distinct label values are listed in the report. */
#define FIB_JOB_MEASURE_MAX_LABELS 256

/** Report units. */
typedef enum fib_job_measure_units {
    FIB_JOB_MEASURE_UNITS_AUTO = 0, /**< physical when the voxel size is
                                         known, else voxel units + a note */
    FIB_JOB_MEASURE_UNITS_PHYSICAL, /**< refuse without a voxel size */
    FIB_JOB_MEASURE_UNITS_VOXEL     /**< voxel units (cubic voxels) */
} fib_job_measure_units;

/** What to measure and where to write it (fib_job_measure_defaults()). */
typedef struct fib_job_measure_params {
    const char *labels_path;   /**< label volume (required) */
    const char *grey_path;     /**< grey volume under the picture overlay
                                    (same size as the labels; NULL: labels
                                    shown as their rank) */
    const char *json_path;     /**< the report (required) */
    const char *csv_path;      /**< one row per object (NULL: none) */
    const char *mesh_path;     /**< .stl or .ply surface of the first phase,
                                    or with the coating the particle surface
                                    (PLY scalar coating_nm); NULL: none */
    const char *pictures_dir;  /**< PNG pictures folder (NULL: none) */
    const char *conductivity;  /**< "L=S,L=S,...": effective conductivity
                                    along battery_axis of the composite of
                                    labels L with conductivities S >= 0
                                    (any unit; other labels insulate);
                                    fib_recon_effective_conductivity();
                                    NULL: none */
    const char *flux_map_path; /**< local flux map (.mrc, .tif, .nrrd; F32
                                    |J| / J_mean, fib_tort_opts.flux_map)
                                    of the first measured phase along the
                                    first tortuosity axis (battery_axis
                                    with battery); needs one; with
                                    pictures_dir also flux_PHASE_AXIS.png;
                                    NULL: none */

    /** Labels to measure; 0 = every non-zero label present (every label
     *  when only one value is present), at most 16 of them. */
    uint32_t phases[FIB_JOB_MEASURE_MAX_PHASES];
    size_t n_phases;

    double voxel_nm[3];          /**< x, y, z voxel size, nm; all 0 = the
                                      file's (else each in 0.01..1e6) */
    fib_job_measure_units units; /**< report units */
    int substrate_face;          /**< -1 none; 0..5 = x0 x1 y0 y1 z0 z1:
                                      heights, contact, deposit map */
    int connectivity;            /**< 6, 18 or 26 for objects */
    double smooth_vox;           /**< Gaussian pre-smoothing of the surface
                                      indicator, voxels, 0..20 (0 = binary
                                      marching cubes) */
    bool thickness;              /**< local thickness (default true) */
    bool skeleton;               /**< skeleton/dendrite metrics (Lee 1994) */
    bool tortuosity_axes[3];     /**< tortuosity along x, y, z */
    double tortuosity_tol;       /**< CG relative residual, (0, 1) */

    /** Coating of label coating_label on label coating_particle (label
     *  values as given, truncated to integers); coverage counts thickness
     *  >= coating_min_nm (< 0: one voxel, the smallest edge). */
    bool coating;
    double coating_particle, coating_label, coating_min_nm;

    /* battery metrics (fib/measure.h, issue 17) */
    bool battery; /**< all of them: TPB of the three labels when
                       there are three, chords, two-point to a
                       quarter axis, representative volume,
                       tortuosity along battery_axis */
    bool chords;  /**< chord-length distributions */
    bool tpb;     /**< triple-phase boundary of tpb_labels */
    uint32_t tpb_labels[3];
    size_t two_point_lag; /**< two-point lags 0..this (0: none; 1..1e5) */
    int battery_axis;     /**< transport axis 0..2 = x, y, z (default z) */

    double view[3]; /**< view direction of the surface pictures */

    /* pore and particle sizes, contact areas (issue 17 item 4; each also
       on with battery; fib/measure.h) */
    bool porosimetry;       /**< simulated mercury intrusion of each
                                 measured label from the two faces normal
                                 to battery_axis */
    size_t intrusion_sizes; /**< radii of the intrusion curve (0: 25,
                                 log-spaced; at most 64) */
    bool particle_sizes;    /**< watershed particle-size distribution of
                                 each measured label */
    double psd_h_nm;        /**< watershed h, nm (< 0, the default: one
                                 smallest voxel size) */
    bool contact;           /**< contact areas between measured labels */

    /** Closed (capped) --mesh surface at the volume border for printing
     *  and CFD: the labels are padded with one layer of background voxels
     *  before marching cubes (fib_mesh_opts.close_border), so the cut by
     *  the border becomes a surface; false (default): the cut is open. */
    bool mesh_closed;

    /** Segmentation uncertainty (issue 17 item 6): the grey volume
     *  (grey_path, required) is re-classified by multi-Otsu into as many
     *  classes as LABELS has values (2..5; class k = the k-th smallest
     *  label value), then each threshold is moved by -delta and +delta in
     *  turn; volume fraction, specific surface and the asked tortuosities
     *  of every measured label are reported as nominal and [low, high]
     *  over those 2 x thresholds variants.  uncertainty_delta: grey units;
     *  < 0 (default) = per threshold from the histogram valley
     *  (fib_recon_threshold_valley()); 0 = the range collapses. */
    bool uncertainty;
    double uncertainty_delta;

    /** Memory budget, bytes (0, the default: none, the whole volume is
     *  loaded).  When the whole-volume work would need more, the labels
     *  are measured block-wise in slabs of sections read one at a time
     *  (issue 15): volume fractions from a first pass, surface areas
     *  from each slab's own cube layers (a halo of 3 + ceil(3 smooth_vox)
     *  sections), objects joined across the slab faces by union-find
     *  (fib_objects_stream), local thickness from slabs whose halo grows
     *  until every inscribed ball reaching them is seen
     *  (fib_recon_local_thickness_part()), deposit heights from per-column
     *  maps of the substrate face -- the whole-volume values, to
     *  rounding.  Any other asked measurement, the mesh and the pictures
     *  need the whole volume and are refused (FIB_EBUDGET, one line). */
    size_t memory_bytes;
} fib_job_measure_params;

/** What one run measured (numbers a caller may want without the report). */
typedef struct fib_job_measure_result {
    size_t dims[3];
    bool voxel_size_known; /**< every axis known (file or voxel_nm) */
    bool voxel_units;      /**< report written in voxel units */
    size_t n_labels;       /**< distinct label values (at most 256) */
    uint32_t labels[FIB_JOB_MEASURE_MAX_LABELS];
    double volume_fraction[FIB_JOB_MEASURE_MAX_LABELS]; /**< per label */
    size_t n_phases;                                    /**< labels measured */
    uint32_t phases[FIB_JOB_MEASURE_MAX_PHASES];
    size_t n_objects[FIB_JOB_MEASURE_MAX_PHASES]; /**< connected objects */
    size_t n_unmeasured;   /**< labels present beyond the 16 measured */
    bool blockwise;        /**< measured block-wise (memory_bytes) */
    size_t block_sections; /**< sections per slab then */
} fib_job_measure_result;

/** The command's defaults: 6-connectivity, thickness on, tolerance 1e-6,
 *  z battery axis, no substrate, view (1, 0.6, -0.8), auto units. */
FIB_API void fib_job_measure_defaults(fib_job_measure_params *p);

/**
 * Check @p p without reading anything: required paths, the mesh name
 * ("%s: --mesh must end in .stl or .ply"), ranges of every number.
 * Errors: FIB_EINVAL naming the field and the limit.
 */
FIB_API FIB_NODISCARD fib_status
fib_job_measure_check(const fib_job_measure_params *p, fib_error *err);

/**
 * Run the measurement: read p->labels_path, measure, write the report and
 * the asked outputs through @p env's transaction (fib/job.h), send the
 * summary lines to @p env's message callback.  @p env may be NULL
 * (defaults, own transaction, no messages); @p res may be NULL.
 * Errors: FIB_EINVAL (bad parameters, not a label volume, no label,
 * --units physical or a coating threshold without a voxel size, grey
 * volume of another size), the readers' and writers' errors, FIB_ENOMEM,
 * FIB_ECANCELED from env->progress.  On failure after the outputs were
 * staged the message names the final output paths (fib_fmt_txn_explain).
 */
FIB_API FIB_NODISCARD fib_status
fib_job_measure(const fib_job_measure_params *p, const fib_job_env *env,
                fib_job_measure_result *res, fib_error *err);

/** The `cryofib measure` usage text (every option of
 *  fib_job_measure_params, as the command takes them). */
FIB_API const char *fib_job_measure_usage(void);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_MEASURE_H */
