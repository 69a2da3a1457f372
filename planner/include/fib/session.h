/*
 * fib/session.h -- sessions with several lamella sites and temperature
 * phases, as a layer on top of the single-site plan of fib/planner.h.
 *
 * A session request is a base fib_plan_request, N sites (name, stage
 * position, optional per-site geometry overrides) and a workflow (0-4,
 * Shin et al., Table 1; seed-summary.md) whose temperature phases
 * (loading, cool-down, transfer, milling, warm-up) frame the milling.
 *
 * Each site is planned with fib_plan_create(); the session then batches
 * the steps the way operators run several sites (AutoLamella runs rough
 * milling for all sites, then polishing for all sites; planner-physics.md
 * sec. 1.1 and 5.2): every step of a site belongs to one of four batches
 * (rough: cap, fiducial, trenches, cuts, stress relief; lift-out: needle
 * weld, cut free, grid weld, needle cut; thinning; polishing).  A step
 * joins the earliest batch that a later step of the same site still
 * needs, so each site's own step order is kept.  Batches run one after the
 * other; inside a batch the sites are visited in serpentine order (A B C,
 * then C B A, ...), so a batch boundary needs no stage move and the
 * number of site-to-site moves is (N - 1) per non-empty batch.  Polishing
 * runs last so that the finished lamellae collect as little ice as
 * possible (85 nm/h upper bound, Berger et al. 2023).
 *
 * Overheads on the session timeline (fibsem-os timing.py, Thermo; the
 * request's fib_plan_overheads): a current change (current_change_s) only
 * when the ion current or energy differs from the previous milling step
 * (the drift-correction images are taken at the milling current, as
 * AutoLamella does [U]); a stage move (stage_move_s, 8 s absolute) when
 * the site or the stage tilt changes; a kV change (kv_change_s) when the
 * energy changes; alignment, reference image, GIS, needle and transfer
 * overheads as in the single-site plan.  The site-by-site schedule (each
 * site finished before the next) is timed with the same rules, so the
 * current changes and time saved by batching are like for like.
 *
 * Thread-safety: sessions are immutable once created.  The library never
 * prints.
 */
#ifndef FIB_SESSION_H
#define FIB_SESSION_H

#include <stddef.h>

#include "fib/common.h"
#include "fib/planner.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FIB_SESSION_MAX_SITES = 32,  /**< sites in one session */
    FIB_SESSION_MAX_PHASES = 12, /**< temperature phases */
    FIB_SESSION_NAME_MAX = 32    /**< site name incl. NUL */
};

/** One lamella site.  Geometry fields of 0 (method -1) keep the base
 *  request's value. */
typedef struct fib_session_site {
    char name[FIB_SESSION_NAME_MAX]; /**< unique, non-empty */
    double x_um, y_um;               /**< stage position (um) */
    int method;                      /**< fib_geom_method; -1 = base */
    double lamella_width_um;         /**< 0 = base */
    double lamella_height_um;        /**< 0 = base */
    double target_thickness_nm;      /**< 0 = base */
    double trench_length_um;         /**< 0 = base */
} fib_session_site;

/** Batches of the session, in run order. */
typedef enum fib_session_batch {
    FIB_SESSION_BATCH_ROUGH = 0, /**< cap, fiducial, trenches, cuts, relief */
    FIB_SESSION_BATCH_LIFTOUT,   /**< needle weld, cut free, grid weld, cut */
    FIB_SESSION_BATCH_THIN,      /**< thinning windows */
    FIB_SESSION_BATCH_POLISH,    /**< final main-kV and low-kV polishing */
    FIB_SESSION_BATCH_COUNT_
} fib_session_batch;

/** Kind of a temperature phase. */
typedef enum fib_session_phase_kind {
    FIB_SESSION_PHASE_LOAD = 0, /**< load and pump down (room temperature) */
    FIB_SESSION_PHASE_COOL,     /**< cool the cryo stage down */
    FIB_SESSION_PHASE_TRANSFER, /**< shuttle transfer (vacuum or cryo) */
    FIB_SESSION_PHASE_MILL,     /**< milling: one or more batches */
    FIB_SESSION_PHASE_WARM,     /**< warm the stage / sample up */
    FIB_SESSION_PHASE_UNLOAD    /**< vent and unload */
} fib_session_phase_kind;

/** Durations of the non-milling phases (s); 0 = the documented default.
 *  Defaults are [U] (no timed primary source in ../shared/reference):
 *  load + pump-down 600 s, vent + unload 300 s, cryo-stage cool-down 2400 s
 *  (typical 30-45 min for a cryo stage with an LN2 dewar), warm-up 3600 s
 *  (~60 min back to room temperature), shuttle transfer (vacuum or cryo
 *  shuttle, incl. load-lock pumping) 600 s. */
typedef struct fib_session_phase_times {
    double load_s, unload_s, cool_down_s, warm_up_s, transfer_s;
} fib_session_phase_times;

/** A session request.  Zero fields take their defaults. */
typedef struct fib_session_request {
    fib_plan_request base; /**< the single-site plan every site starts from */
    size_t n_sites;        /**< 1..FIB_SESSION_MAX_SITES */
    fib_session_site sites[FIB_SESSION_MAX_SITES];
    /** Workflow 0-4 whose phases frame the milling; -1 = the recommended
     *  one (fib_plan_workflow_recommend) when it fits the base's
     *  temperature, else cryo -> 4, room -> 0.  2 needs no FIB (an
     *  error); 3 and 4 need a cryo base, 0 and 1 a room-temperature one.
     *  In the warm lift-out of workflow 3 the welds are timed as GIS Pt-C
     *  (gis_s + volume / deposit_rate) instead of condensed ice. */
    int workflow;
    fib_session_phase_times times;
    /** Expected fraction of sites giving a usable lamella; 0 = the
     *  method's documented rate (fib_session_success_rate()). */
    double success_rate;
} fib_session_request;

/** Zero @p r, copy @p base into it and set workflow -1. */
FIB_API void fib_session_request_init(fib_session_request *r,
                                      const fib_plan_request *base);

/** One temperature phase on the session timeline. */
typedef struct fib_session_phase {
    fib_session_phase_kind kind;
    char name[64];
    double temperature_K; /**< stage temperature during the phase (the
                               end temperature for cool-down / warm-up) */
    unsigned batches;     /**< MILL: bit b set = batch b runs here */
    double duration_s;    /**< MILL: the scheduled steps incl. overheads */
    double start_s, end_s;
    const char *source; /**< static: where the default duration is from */
} fib_session_phase;

/** One step of the session timeline. */
typedef struct fib_session_step {
    size_t site;             /**< index into the request's sites */
    size_t plan_step;        /**< index of the step in the site's plan */
    size_t phase;            /**< index of its MILL phase */
    fib_session_batch batch; /**< batch the step runs in */
    bool current_change;     /**< a current change precedes it */
    bool site_move;          /**< the stage moves to another site first */
    fib_plan_step step;      /**< the site plan's step, overheads and
                                  start/end re-timed for the session */
} fib_session_step;

/** Per-site results. */
typedef struct fib_session_site_result {
    double milling_s;  /**< commanded milling time */
    double overhead_s; /**< overheads of its steps in the session */
    double final_thickness_nm;
    double polish_end_s;    /**< end of its last step */
    double ice_after_nm;    /**< ice grown on the finished lamella from the
                                 end of its last step to the end of its
                                 (cryo) milling phase; 0 at room temp. */
    double ice_sitewise_nm; /**< the same for the site-by-site schedule */
} fib_session_site_result;

/** Session totals. */
typedef struct fib_session_summary {
    int workflow;
    size_t n_sites, n_steps;
    double total_s;    /**< end of the last phase */
    double milling_s;  /**< sum of commanded milling times */
    double overhead_s; /**< sum of step overheads */
    double phases_s;   /**< sum of the non-milling phases */
    size_t current_changes, current_changes_sitewise;
    size_t site_moves, site_moves_sitewise;
    double schedule_s;          /**< milling schedule (steps + overheads) */
    double schedule_sitewise_s; /**< same steps, site by site */
    double time_saved_s;        /**< schedule_sitewise_s - schedule_s */
    double success_rate;
    const char *success_source; /**< static text */
    double expected_lamellae;   /**< n_sites * success_rate */
    double lamellae_per_day;    /**< expected / total time x 24 h */
    double ice_max_nm;          /**< max ice_after_nm over the sites */
    double ice_max_sitewise_nm;
} fib_session_summary;

/** The session (opaque, immutable). */
typedef struct fib_session fib_session;

/**
 * Plan every site of @p req with fib_plan_create(@p ion_index, @p mode,
 * @p db), batch and time the session.  Errors: FIB_EINVAL naming the field
 * and limit ("session: sites[2].name 'A' repeats sites[0]", "session:
 * workflow 3 mills at cryo but temperature is room"), errors of
 * fib_plan_create prefixed with the site name, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_session_create(
    const fib_session_request *req, size_t ion_index, fib_plan_ladder_mode mode,
    const fib_plan_materials *db, fib_session **out, fib_error *err);
/** Free; NULL is a no-op. */
FIB_API void fib_session_destroy(fib_session *s);

FIB_API const fib_session_request *
fib_session_get_request(const fib_session *s);
FIB_API fib_session_summary fib_session_get_summary(const fib_session *s);
FIB_API size_t fib_session_site_count(const fib_session *s);
/** Borrowed site @p i and its single-site plan (NULL when out of range). */
FIB_API const fib_session_site *fib_session_site_get(const fib_session *s,
                                                     size_t i);
FIB_API const fib_plan *fib_session_site_plan(const fib_session *s, size_t i);
FIB_API const fib_session_site_result *
fib_session_site_result_get(const fib_session *s, size_t i);
FIB_API size_t fib_session_step_count(const fib_session *s);
FIB_API const fib_session_step *fib_session_step_get(const fib_session *s,
                                                     size_t i);
FIB_API size_t fib_session_phase_count(const fib_session *s);
FIB_API const fib_session_phase *fib_session_phase_get(const fib_session *s,
                                                       size_t i);
FIB_API size_t fib_session_warning_count(const fib_session *s);
FIB_API const char *fib_session_warning_get(const fib_session *s, size_t i);

/** Batch of a step kind/name (polishing = FIB_GEOM_POLISH or a thinning
 *  step named "polish..."). */
FIB_API fib_session_batch fib_session_step_batch(const fib_plan_step *step);
FIB_API const char *fib_session_batch_name(fib_session_batch b);
FIB_API const char *fib_session_phase_kind_name(fib_session_phase_kind k);

/**
 * Documented lamella success rate of a preparation method, with its
 * source (static text):  lift-out (RT) 0.75, the middle of 60-90 % (Yao
 * (ed.), Focused Ion Beam Systems, CUP 2007, ch. 8); cryo lift-out 0.5
 * [U] (several hours per lift-out volume, planner-physics.md 5.2; Serial
 * Lift-Out, Schiotz et al. 2024); on-grid 0.8 [U] (automated AutoLamella /
 * SerialFIB runs, 5-15 lamellae per overnight session); waffle 0.7 [U]
 * (Kelley et al. 2022); H-bar 0.9 [U] (no lift-out; Yao 2007: ~10
 * automated overnight).
 */
FIB_API double fib_session_success_rate(fib_geom_method m, const char **source);

/** Severity of a workflow/plan conflict. */
typedef enum fib_plan_workflow_conflict {
    FIB_PLAN_WORKFLOW_OK = 0,
    FIB_PLAN_WORKFLOW_NOTE,   /**< cryo plan of a sample that needs no cryo */
    FIB_PLAN_WORKFLOW_WARNING /**< room-temperature plan of a sample the
                                   recommender sends to cryo milling */
} fib_plan_workflow_conflict;

/**
 * Check the recommended workflow @p w against the plan temperature
 * (@p cryo): a room-temperature plan of a sample that needs cryo milling
 * (workflow 3 or 4) is a warning, a cryo plan of a sample whose workflow
 * mills at room temperature (0 or 1) is a note.  @p msg receives one line
 * with the reason ("" when OK).
 */
FIB_API fib_plan_workflow_conflict fib_plan_workflow_check(
    const fib_plan_workflow *w, bool cryo, char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif

#endif /* FIB_SESSION_H */
