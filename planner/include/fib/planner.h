/*
 * fib/planner.h -- FIB session planner: step-by-step lamella plans with
 * commanded and physical numbers, Ga vs Xe comparison, the current-ladder
 * optimizer, the workflow recommender (workflows 1-4 of Shin et al.) and
 * slice-and-view run planning.
 *
 * A plan is computed from a plain request struct (fib_plan_request, filled
 * by the session-file reader fib/session_cfg.h or by
 * fib_plan_request_default()) and is immutable once created.  The physics
 * (materials, yields, ranges, damage, probe sizes) comes from
 * fib/physics.h; the pattern geometry from fib/geometry.h.
 *
 * Two-layer removal model (planner-physics.md sec. 6.1): the instrument
 * runs each pattern for t = V / (VPD * I) with V the commanded box volume
 * and VPD the application-file volume per dose ("commanded time", exact
 * for Thermo xT); the depth that dose really reaches in the sample stack
 * is predicted separately from the sputter physics ("physical depth").
 *
 * Units are in the names.  Thread-safety: plans are immutable and may be
 * read from several threads; creating plans concurrently is safe.  The
 * library never prints; all text (warnings) is returned in the plan.
 */
#ifndef FIB_PLANNER_H
#define FIB_PLANNER_H

#include <stddef.h>

#include "fib/common.h"
#include "fib/geometry.h"
#include "fib/physics.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FIB_PLAN_MAX_LAYERS = 8, /**< sample stack layers */
    FIB_PLAN_MAX_IONS = 4,   /**< species compared in one session */
    FIB_PLAN_MAX_POLISH = 3, /**< low-kV polishing energies */
    FIB_PLAN_MAX_STEPS = 64, /**< steps in one plan */
    FIB_PLAN_LINE_MAX = 256  /**< one warning line */
};

/** Limits of the request checks (fib_plan_request_check, session files):
 *  a lamella target below 5 nm is non-physical (a few lattice planes;
 *  30 kV Si lamellae stop near 26 nm, planner-physics.md 4.2); the tail
 *  rule's published anchors span 0.8-6.4 probe widths, 10 is the ceiling;
 *  protective caps of the protocols are 0.2-3 um (NanoLab 1 um,
 *  AutoLamella GIS), 10 um the ceiling. */
#define FIB_PLAN_MIN_TARGET_NM 5.0
#define FIB_PLAN_MAX_TAIL_FACTOR 10.0
#define FIB_PLAN_MAX_CAP_UM 10.0
/** Useful core ceiling: TEM lamellae are < 0.5 um (inelastic mean free path
 *  in vitreous samples 0.3-0.4 um, planner-physics.md 4.7). */
#define FIB_PLAN_MAX_CORE_NM 1000.0

/** One layer of the sample stack, listed from the surface down. */
typedef struct fib_plan_layer {
    char material[FIB_PLAN_NAME_MAX]; /**< database name or formula */
    double thickness_um;              /**< > 0; the last layer may be
                                           "infinite" (thickness 0 = fills
                                           the rest) */
    double density_g_cm3;             /**< 0 = from the database */
} fib_plan_layer;

/** Roles of the currents in a ladder; "0" in a request = the default. */
typedef struct fib_plan_ladder {
    double trench_pA;   /**< coarse trenches (default Ga 7.6 nA cryo /
                             9.3 nA RT, Xe 60 nA cryo / 200 nA RT) */
    double cut_pA;      /**< side cut, undercut, cut-free, needle cut
                             (Ga 7.6 nA, Xe 4 nA) */
    double relief_pA;   /**< stress-relief slots (Ga 1 nA, Xe 1 nA) */
    double fiducial_pA; /**< drift-correction fiducial (1 nA) */
    double thin_pA[6];  /**< thinning ladder, high to low; 0-terminated
                             (default Ga 2.0, 0.74, 0.2 nA; Xe cryo 15,
                             1.0, 0.5, 0.3, 0.1 nA (SerialFIB Arctis); Xe
                             RT 15, 4, 1, 0.3 nA) */
    double polish_pA;   /**< final main-kV polish, also the optimizer's
                             ceiling (Ga 60 pA; Xe 50 pA cryo, 100 pA
                             RT) */
    double lowkv_pA[FIB_PLAN_MAX_POLISH]; /**< per polish_kV (5 kV 40 pA,
                                               2 kV 25 pA) */
} fib_plan_ladder;

/** Ion species set-up for one plan. */
typedef struct fib_plan_ion_setup {
    fib_plan_ion ion;
    char column[FIB_PLAN_NAME_MAX]; /**< physics column; "" = default for the
                                         ion (ga-lmis, xe-pfib, ...) */
    double energy_keV;              /**< main milling energy; default 30 */
    size_t n_presets;               /**< 0 = the column's presets */
    double presets_pA[FIB_PLAN_MAX_PRESETS]; /**< ascending */
    fib_plan_ladder ladder;                  /**< default-ladder overrides */
    double vpd_um3_per_nC; /**< application-file VPD at the main
                                energy; 0 = from the request's
                                application (scaled by the Si
                                yield ratio for this ion) */
} fib_plan_ion_setup;

/** Overhead durations (s); 0 = the documented default, < 0 = none
 *  (an explicit 0 s; the session reader stores a 0 in the file as -1). */
typedef struct fib_plan_overheads {
    double current_change_s;   /**< 20.5, paid twice per milling step
                                    (fibsem-os timing.py, Thermo) */
    double stage_move_s;       /**< 8.0 absolute stage move */
    double alignment_s;        /**< 6.8 = 2 x (autocontrast 1.7 + 2 drift
                                    frames x 0.85) per milling step */
    double image_s;            /**< 3.0 = 2 s overhead + ~1 s scan, one
                                    reference image per milling step */
    double kv_change_s;        /**< 180: change of column energy incl.
                                    re-alignment [U] */
    double gis_s;              /**< 30: GIS insert/flow/retract (AutoLamella
                                    CryoDeposition default) */
    double deposit_rate_um3_s; /**< 0.0125: RT IBID Pt rate (NanoLab:
                                    12 x 3 x 1 um in ~4 min) */
    double needle_s;           /**< 300: needle insert + approach + retract
                                    per needle operation [U] */
    double ice_attach_s;       /**< 60: condensed-ice weld growth (cryo) */
    double transfer_s;         /**< 600: lift lamella, move stage to the grid
                                    post, approach [U] */
    /* Added with issue 12 (keep new fields at the end). */
    double stage_move_relative_s; /**< 6.5 relative stage move (fibsem-os
                                       timing.py, p90) */
    double objective_insert_s;    /**< 18.5 FM objective insert (timing.py) */
    double objective_retract_s;   /**< 19.6 FM objective retract
                                       (timing.py) */
    double pattern_setup_s;       /**< 15: set-up of a cross-section pattern
                                       (cleaning or regular cross-section: trenches,
                                       thinning and polishing windows) between the
                                       start of patterning and the first stroke,
                                       once per milling step; rectangles none.
                                       fibsem-os timing.py: "0 s on a rectangle,
                                       15 s on a trench in the one run measured"
                                       (Thermo; not modelled there: "too variable
                                       to pick a number from" -- one run, the
                                       value is the measured one, not a fit) */
} fib_plan_overheads;

/** Fill zero fields with defaults (in place). */
FIB_API void fib_plan_overheads_defaults(fib_plan_overheads *o);

/** A session request.  Zero fields take the documented defaults. */
typedef struct fib_plan_request {
    char name[128];  /**< session title */
    size_t n_layers; /**< >= 1 */
    fib_plan_layer layers[FIB_PLAN_MAX_LAYERS];
    /** Index of the layer that holds the lamella region of interest
     *  (used for thinning, damage and thickness rules); -1 = the thickest
     *  layer below any protective cap. */
    int roi_layer;
    unsigned sens_flags;    /**< fib_plan_sens bits; 0 = union of the
                                 layers' database flags */
    bool sens_given;        /**< true when sens_flags came from the user */
    bool nanoscale;         /**< specimen already electron transparent */
    bool cryo;              /**< cryo stage */
    double stage_K;         /**< stage temperature; default 93 K (cryo) or
                                 295 K */
    double ice_growth_nm_h; /**< chamber ice growth; default 85 nm/h (cryo,
                                 upper bound, Berger et al. 2023); 0 at RT */
    size_t n_ions;          /**< >= 1 */
    fib_plan_ion_setup ions[FIB_PLAN_MAX_IONS];
    size_t n_polish_kV;                    /**< low-kV polishing energies */
    double polish_kV[FIB_PLAN_MAX_POLISH]; /**< default RT {5, 2}, cryo {5} */
    bool polish_kV_given; /**< true when the list came from the user (an
                               empty list then means "no low-kV polish") */
    char application[32]; /**< application file: "Si" (default),
                               "Si-multipass", "Si-ccs" */
    fib_geom_site site;
    double useful_core_nm; /**< undamaged core the final lamella must keep;
                                default 20 */
    double tail_factor;    /**< pattern edges stay >= tail_factor probe
                                widths (incl. tails: Ga Zeiss ProbeTable
                                width, plasma column fit) from the final
                                face; default 1.5 */
    char protect_material[FIB_PLAN_NAME_MAX]; /**< "" = "Pt-C" if the site
                                                  has a cap */
    fib_plan_overheads overheads;
} fib_plan_request;

/**
 * Fill @p req with the embedded demo session: Li-metal dendrite (Pt-C cap,
 * SEI, Li, Cu) cryo lift-out at 93 K, Ga and Xe compared, J-cut, 150 nm
 * target, 5 kV polish.  Needs no file.
 */
FIB_API void fib_plan_request_default(fib_plan_request *req);

/**
 * Check a request (after defaults): layers, ions, presets inside the
 * column's current range, energies inside the column's range, site.
 * Resolves materials in @p db (NULL = built-in database).  Errors name
 * the field: "planner: layers[2].material 'Xx' unknown".
 */
FIB_API FIB_NODISCARD fib_status fib_plan_request_check(
    const fib_plan_request *req, const fib_plan_materials *db, fib_error *err);

/** How the currents of a plan are chosen. */
typedef enum fib_plan_ladder_mode {
    FIB_PLAN_LADDER_DEFAULT = 0, /**< protocol ladder (request overrides) */
    FIB_PLAN_LADDER_OPTIMIZED    /**< minimum total time under the rules */
} fib_plan_ladder_mode;

/** One step of a plan (a value: copy freely). */
typedef struct fib_plan_step {
    char name[FIB_GEOM_NAME_SIZE];
    fib_geom_pattern pattern; /**< geometry (boxes, area, volume) */
    fib_plan_ion ion;
    bool mills; /**< false for deposition / transfer */
    double energy_keV;
    double current_pA;
    double vpd_um3_per_nC;     /**< application VPD used for the time */
    double volume_um3;         /**< commanded volume (box area x
                                    commanded depth) */
    double dose_nC;            /**< I * t: the dose that reaches
                                    target_depth_um through the stack */
    double dose_ions_cm2;      /**< dose / area */
    double commanded_time_s;   /**< V / (VPD I) = dose / I */
    double commanded_depth_um; /**< depth to enter on the instrument with
                                    this application file (deepest box):
                                    dose x VPD / area */
    double physical_depth_um;  /**< depth reached by that dose in the
                                    stack (redeposition included); equals
                                    target_depth_um unless a layer does
                                    not mill (then a warning) */
    double removal_um3_per_nC; /**< physics rate of the ROI material */
    double damage_depth_nm;    /**< damage left on the lamella faces after
                                    this step: thin/polish max(own damage,
                                    previous damage - slab removed) */
    double probe_d_nm;         /**< beam diameter at this current */
    double distance_um;        /**< pattern edge to the final face */
    double thickness_before_nm, thickness_after_nm; /**< thin/polish */
    double overhead_current_s, overhead_stage_s, overhead_align_s,
        overhead_image_s, overhead_other_s; /**< GIS, needle, ice, kV */
    double overhead_s;                      /**< sum of the above */
    double start_s, end_s;                  /**< on the session timeline */
    /* Added with the depth solve (issue 12); keep new fields at the end. */
    double target_depth_um;     /**< physical depth the step must reach (the
                                     drawn box depth: through the cap and the
                                     layers for trenches and windows, the face
                                     height for a low-kV pass) */
    double removed_per_face_nm; /**< thin/polish: slab physically taken
                                     off each face */
} fib_plan_step;

/** An immutable plan (opaque). */
typedef struct fib_plan fib_plan;

/**
 * Plan the session of @p req for its ion number @p ion_index with the
 * given ladder mode.  @p db: materials (NULL = built-ins).  Errors:
 * FIB_EINVAL for a bad request (message names the field), FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_plan_create(
    const fib_plan_request *req, size_t ion_index, fib_plan_ladder_mode mode,
    const fib_plan_materials *db, fib_plan **out, fib_error *err);
/** Free; NULL is a no-op. */
FIB_API void fib_plan_destroy(fib_plan *plan);

FIB_API size_t fib_plan_step_count(const fib_plan *plan);
/** Borrowed step @p i (NULL when out of range). */
FIB_API const fib_plan_step *fib_plan_step_get(const fib_plan *plan, size_t i);
FIB_API fib_plan_ion fib_plan_get_ion(const fib_plan *plan);
FIB_API fib_plan_ladder_mode fib_plan_get_mode(const fib_plan *plan);
/** Session length (s): end of the last step. */
FIB_API double fib_plan_total_time_s(const fib_plan *plan);
/** Sum of commanded milling times (s). */
FIB_API double fib_plan_milling_time_s(const fib_plan *plan);
/** Final lamella thickness planned (nm) and the damage layer per face
 *  left by the last step (nm). */
FIB_API double fib_plan_final_thickness_nm(const fib_plan *plan);
FIB_API double fib_plan_final_damage_nm(const fib_plan *plan);
/** Steady-state implanted ion fraction at the final faces (0..1). */
FIB_API double fib_plan_implanted_at_faces(const fib_plan *plan);
/** Ice grown on the lamella (nm) between the start of thinning and the
 *  end of the session (0 at room temperature), and over the session. */
FIB_API double fib_plan_ice_on_lamella_nm(const fib_plan *plan);
FIB_API double fib_plan_ice_session_nm(const fib_plan *plan);
/** Warnings (one line each). */
FIB_API size_t fib_plan_warning_count(const fib_plan *plan);
FIB_API const char *fib_plan_warning_get(const fib_plan *plan, size_t i);
/** Name of the ROI material. */
FIB_API const char *fib_plan_roi_material(const fib_plan *plan);
/** The request the plan was made from (defaults filled). */
FIB_API const fib_plan_request *fib_plan_get_request(const fib_plan *plan);

/* ------------------------------------------------------------------------
 * One milling stage on its own (published protocols, pattern files)
 * ---------------------------------------------------------------------- */

/** A milling stage with given geometry, ion, current and application. */
typedef struct fib_plan_stage {
    fib_geom_pattern pattern; /**< boxes, area, volume; depth_um = the depth
                                   to reach physically; kind decides the
                                   redeposition (none for THIN/POLISH) */
    fib_plan_ion_setup ion;   /**< ion, column, energy (0 = 30 kV), vpd
                                   (0 = the request's application) */
    double current_pA;        /**< > 0 */
    double time_s;            /**< > 0: a time-controlled stage (SerialFIB
                                   .pro): the dose is I t and the result
                                   gives the depth it reaches; 0: solve the
                                   time that reaches pattern.depth_um */
} fib_plan_stage;

typedef struct fib_plan_stage_result {
    double vpd_um3_per_nC;     /**< application VPD used */
    double instrument_time_s;  /**< the pattern as drawn: volume / (VPD I),
                                    the instrument's own time (xT) */
    double time_s;             /**< milling time: solved, or the given one */
    double dose_nC;            /**< I t */
    double commanded_depth_um; /**< depth to enter with the application so
                                    the instrument delivers that dose */
    double physical_depth_um;  /**< depth that dose reaches in the stack */
    double setup_s;            /**< pattern set-up before the first stroke:
                                    overheads.pattern_setup_s for a
                                    cross-section (CCS, stair), 0 for a
                                    rectangle */
    double wall_time_s;        /**< the stage on the instrument: the time it
                                    mills (time_s when time-controlled, else
                                    the drawn pattern's instrument_time_s)
                                    + setup_s */
} fib_plan_stage_result;

/**
 * Plan one stage on the sample of @p req (layers, protective cap, cryo,
 * application): the same depth solve as the steps of a plan.  Errors:
 * FIB_EINVAL for a bad request or stage (message names the field).
 */
FIB_API FIB_NODISCARD fib_status fib_plan_stage_solve(
    const fib_plan_request *req, const fib_plan_stage *stage,
    const fib_plan_materials *db, fib_plan_stage_result *out, fib_error *err);

/* ------------------------------------------------------------------------
 * Ion comparison
 * ---------------------------------------------------------------------- */

/** Totals of one plan, side by side with the first ion of the request. */
typedef struct fib_plan_totals {
    fib_plan_ion ion;
    double milling_time_s;
    double total_time_s;
    double final_damage_nm;
    double implanted_fraction;
    double final_thickness_nm;
    double ratio_milling; /**< milling time / first ion's */
    double ratio_total;
    double ratio_damage;
} fib_plan_totals;

/** Fill @p out[i] from plans[i] (i < n); ratios relative to plans[0]. */
FIB_API void fib_plan_compare(const fib_plan *const *plans, size_t n,
                              fib_plan_totals *out);

/* ------------------------------------------------------------------------
 * Workflow recommender (Shin et al., Table 1; seed-summary.md)
 * ---------------------------------------------------------------------- */

typedef struct fib_plan_workflow {
    int number;              /**< 1..4 */
    const char *summary;     /**< static text */
    const char *requires[6]; /**< equipment, NULL-terminated (static) */
    bool protects_ebeam, protects_air, protects_ion, protects_thermal;
    const char *reason; /**< static text: why this row */
} fib_plan_workflow;

/** Recommend a workflow from sensitivity flags and specimen size. */
FIB_API fib_plan_workflow fib_plan_workflow_recommend(unsigned sens_flags,
                                                      bool nanoscale);

/** Effective sensitivities of a request: the user's flags, or the union
 *  of the layers' database flags (cryo-only materials imply thermal). */
FIB_API FIB_NODISCARD fib_status
fib_plan_request_sens(const fib_plan_request *req, const fib_plan_materials *db,
                      unsigned *flags, fib_error *err);

/* ------------------------------------------------------------------------
 * Slice-and-view runs
 * ---------------------------------------------------------------------- */

typedef struct fib_plan_sv_request {
    char name[128];
    char material[FIB_PLAN_NAME_MAX];             /**< milled material */
    double region_x_um, region_y_um, region_z_um; /**< face width, face
                                                      height, milled length */
    double voxel_nm;                              /**< in-plane pixel size */
    double slice_nm; /**< slice thickness (default = voxel) */
    size_t n_ions;
    fib_plan_ion_setup ions[FIB_PLAN_MAX_IONS]; /**< ladder.polish_pA or
                                                    presets[0] is unused:
                                                    current_pA below */
    double ion_current_pA[FIB_PLAN_MAX_IONS];   /**< milling current */
    double sem_kV;                              /**< default 2 */
    double sem_current_pA;                      /**< default 400 */
    double dwell_us;             /**< per pixel per frame; default 3 */
    int frames;                  /**< line/frame averages; default 1 */
    int n_detectors;             /**< simultaneous detectors; default 2 */
    int bytes_per_pixel;         /**< default 1 (8-bit) */
    double edx_s;                /**< EDX map time per slice; default 0 */
    double per_slice_overhead_s; /**< drift correction, autofocus; 5 */
    bool cryo;
    char application[32]; /**< default "Si" */
    double time_budget_h; /**< run-time budget that sets the default
                               current (default 24 h); a run longer than
                               it is flagged in the result */
} fib_plan_sv_request;

typedef struct fib_plan_sv_result {
    fib_plan_ion ion;
    double current_pA;
    size_t n_slices;
    size_t pixels_x, pixels_y;
    double vpd_um3_per_nC;
    double mill_s_per_slice;
    double image_s_per_slice;
    double total_s;
    double electron_dose_e_nm2; /**< per slice (imaging the face) */
    double data_bytes;          /**< whole run, all detectors */
    double probe_d_nm;
    double physical_slice_nm; /**< slice really removed (= slice_nm: the
                                   dose is solved for it) */
    double damage_depth_nm;   /**< on each new face */
    /* Added with issue 12 (keep new fields at the end). */
    double commanded_slice_nm;       /**< slice depth to enter with the
                                          application file: slice x VPD / rate */
    double probe_slice_ratio;        /**< probe diameter / slice thickness */
    bool current_chosen;             /**< the current was chosen by the rule
                                          (none given) */
    bool over_budget;                /**< total_s > time_budget_h */
    char warning[FIB_PLAN_LINE_MAX]; /**< "" or one line: run past the
                                          budget, probe > 10 x slice */
} fib_plan_sv_result;

/** Fill defaults of a slice-and-view request (in place). */
FIB_API void fib_plan_sv_defaults(fib_plan_sv_request *r);

/**
 * Plan a slice-and-view run for each ion of @p r; @p out has room for
 * r->n_ions results.  Milling per slice is the dose that removes the
 * slice in the material (x y slice / (rate I), rate from the physics
 * module), and the slice depth to enter is slice x VPD / rate.  Without a
 * current the rule of fib_plan_slice_view (PLANNER.md) picks one: the
 * largest preset whose probe is not wider than the slice; if that run
 * exceeds the time budget, the smallest preset that meets it with a probe
 * at most 10 x the slice; else the largest such preset, flagged.  Errors:
 * FIB_EINVAL naming the field (sizes <= 0, voxel larger than the region,
 * current outside the column range).
 */
FIB_API FIB_NODISCARD fib_status
fib_plan_slice_view(const fib_plan_sv_request *r, const fib_plan_materials *db,
                    fib_plan_sv_result *out, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PLANNER_H */
