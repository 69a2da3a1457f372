/*
 * fib/job_plan.h -- the planning workflows of pipeline/: lamella session
 * plans (one site or a session of several), the cryo workflow
 * recommendation, and slice-and-view run plans, each from its file to
 * its printed tables, reports, drawings and instrument exports.
 *
 * These are the whole `cryofib plan`, `cryofib workflow` and
 * `cryofib slice-view` commands: the command parses its options into the
 * parameter struct and makes one call.  Every table line goes to the
 * caller's message callback as FIB_JOB_RESULT (fib/job.h) with the text
 * the command prints; outputs (JSON, CSV, PNG folder, export folder) are
 * staged in the job's output transaction and appear together or not at
 * all.
 *
 * Report schemas (key order fixed; units in the key names):
 *  - plan JSON, one site: {session, workflow{number, summary, reason,
 *    requires[], sensitivities, check, check_message}, plans[{ion, ladder,
 *    roi_material, total_time_s, milling_time_s, final_thickness_nm,
 *    final_damage_nm, implanted_fraction, ice_on_lamella_nm,
 *    ice_session_nm, steps[...], warnings[], optimized|default{totals,
 *    steps}}], comparison[{ion, milling_time_s, total_time_s,
 *    final_damage_nm, implanted_fraction, ratio_milling, ratio_total,
 *    ratio_damage}]}; CSV: one row per step of both ladders of every ion.
 *  - plan JSON, several sites: {session, workflow{number, summary,
 *    reason, sensitivities, check, check_message}, sessions[{ion,
 *    workflow, n_sites, total_time_s, ..., phases[], sites[], steps[],
 *    warnings[]}]}; CSV: one row per session step of every ion.
 *  - workflow JSON: {workflow{number, summary, reason, requires[],
 *    protects{electron_beam, air_moisture, ion_beam, thermal},
 *    sensitivities, nanoscale, check, check_message}}.
 *  - slice-view JSON: {run, material, runs[{ion, current_pA, n_slices,
 *    pixels_x, pixels_y, vpd_um3_per_nC, mill_s_per_slice,
 *    image_s_per_slice, total_time_s, electron_dose_e_nm2, data_bytes,
 *    probe_d_nm, physical_slice_nm, commanded_slice_nm, over_budget,
 *    damage_depth_nm}]}; CSV: one row per ion.
 *
 * Errors (fib_error names the file, line and field): FIB_EFORMAT,
 * FIB_EINVAL, FIB_ERANGE for bad input files or an unusable output or
 * export folder; FIB_EIO for failed writes; FIB_ENOMEM.
 */
#ifndef FIB_JOB_PLAN_H
#define FIB_JOB_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/job.h"
#include "fib/pattern_export.h"
#include "fib/planner.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parameters of fib_job_plan(); zero-initialised = no outputs. */
typedef struct fib_job_plan_params {
    const char *session_path;   /**< session file (NULL: the embedded
                                     Li-dendrite cryo lift-out demo) */
    const char *materials_path; /**< extra materials file (NULL: none) */
    const char *ions;           /**< "Ga,Xe": species replacing the file's list
                                     (NULL: the file's) */
    const char *json_path;      /**< JSON report (NULL: none) */
    const char *csv_path;       /**< CSV of every step (NULL: none) */
    const char *out_dir;        /**< folder of PNG drawings (NULL: none) */
    bool optimized_primary;     /**< the optimized ladder is the plan shown */
    bool quiet;                 /**< no tables (FIB_JOB_RESULT lines) */
    const char *export_dir;     /**< instrument patterns folder, new or empty
                                     (NULL: none) */
    fib_fmt_export_kind export_kind; /**< with export_dir */
} fib_job_plan_params;

/** Numbers of a planning run (the primary ladder of every ion). */
typedef struct fib_job_plan_result {
    int workflow;   /**< recommended cryo workflow 0-4 */
    size_t n_ions;  /**< ions planned */
    size_t n_sites; /**< sites of the session (1: a single lamella) */
    double total_time_s[FIB_PLAN_MAX_IONS];   /**< session time per ion */
    double milling_time_s[FIB_PLAN_MAX_IONS]; /**< milling time per ion */
    size_t n_steps[FIB_PLAN_MAX_IONS]; /**< steps of the primary plan (one
                                            site) or of the session */
} fib_job_plan_result;

/**
 * Plan the session of @p p (a file with `sites = (...)` is a session of
 * several lamellae, fib/session.h) for every ion, hand the tables to
 * @p env's message callback and write the requested outputs.  @p res
 * (may be NULL) receives the numbers.
 */
FIB_API FIB_NODISCARD fib_status fib_job_plan(const fib_job_plan_params *p,
                                              const fib_job_env *env,
                                              fib_job_plan_result *res,
                                              fib_error *err);

/** Parameters of fib_job_workflow(). */
typedef struct fib_job_workflow_params {
    const char *session_path;   /**< session file (required) */
    const char *materials_path; /**< extra materials file (NULL: none) */
    const char *json_path;      /**< JSON report (NULL: none) */
} fib_job_workflow_params;

/**
 * Recommend the cryo workflow (0-4) for the sample of a session file and
 * check it against the session's temperature; @p number (may be NULL)
 * receives the workflow number.
 */
FIB_API FIB_NODISCARD fib_status
fib_job_workflow(const fib_job_workflow_params *p, const fib_job_env *env,
                 int *number, fib_error *err);

/** Parameters of fib_job_slice_view(). */
typedef struct fib_job_slice_view_params {
    const char *run_path;       /**< slice-and-view run file (required) */
    const char *materials_path; /**< extra materials file (NULL: none) */
    const char *ions;           /**< species replacing the file's (NULL) */
    const char *json_path;      /**< JSON report (NULL: none) */
    const char *csv_path;       /**< CSV, one row per ion (NULL: none) */
    const char *out_dir;        /**< folder for slice-view.png (NULL: none) */
} fib_job_slice_view_params;

/** Numbers of a slice-and-view plan, per ion. */
typedef struct fib_job_slice_view_result {
    size_t n_ions;
    size_t n_slices[FIB_PLAN_MAX_IONS];
    double total_time_s[FIB_PLAN_MAX_IONS];
} fib_job_slice_view_result;

/**
 * Plan the slice-and-view run of @p p for every ion: table lines, JSON,
 * CSV and the timeline of the first slice cycles.  @p res may be NULL.
 */
FIB_API FIB_NODISCARD fib_status
fib_job_slice_view(const fib_job_slice_view_params *p, const fib_job_env *env,
                   fib_job_slice_view_result *res, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_PLAN_H */
