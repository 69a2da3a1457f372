/*
 * plan_internal.h -- private structures shared by planner/src/plan*.c.
 */
#ifndef FIB_PLAN_INTERNAL_H
#define FIB_PLAN_INTERNAL_H

#include "fib/planner.h"

enum { FIB__PLAN_MAX_WARN = 24 };

struct fib_plan {
    fib_plan_request req; /* defaults filled */
    size_t ion_index;
    fib_plan_ion ion;
    fib_plan_ladder_mode mode;
    size_t n_steps;
    fib_plan_step steps[FIB_PLAN_MAX_STEPS];
    size_t n_warn;
    char warn[FIB__PLAN_MAX_WARN][FIB_PLAN_LINE_MAX];
    double total_s, milling_s;
    double final_thickness_nm, final_damage_nm, implanted;
    double ice_lamella_nm, ice_session_nm;
    char roi_name[FIB_PLAN_NAME_MAX];
};

/* Fill request defaults in place (ions, presets, ladder roles, overheads,
 * polish energies, application, site). */
void fib__plan_request_defaults(fib_plan_request *r);

/* Column of an ion set-up (its named column or the ion's default). */
const fib_plan_column *fib__plan_column(const fib_plan_ion_setup *io);

/* Application-file VPD (um^3/nC) for ion set-up @p io at @p kV: the
 * request's application VPD (or io->vpd at io->energy) scaled by the model
 * yield ratio in Si, Y_Si(ion, kV) / Y_Si(Ga, 30 keV) (or / Y_Si(ion,
 * E_main) for a user VPD). */
fib_status fib__plan_vpd(const fib_plan_request *r,
                         const fib_plan_ion_setup *io, double kV, double *vpd,
                         fib_error *err);

/* --- build context and removal model (plan_model.c) ------------------- */

/* Build context of one ion set-up: the stack as milled (protective cap,
 * then the request's layers), the ROI layer and the main-energy removal
 * rates (plan_model.c). */
typedef struct fib__plan_ctx {
    const fib_plan_request *r;
    const fib_plan_ion_setup *io;
    const fib_plan_column *col;
    fib_plan_projectile proj;
    size_t n_layers;
    fib_plan_material mat[FIB_PLAN_MAX_LAYERS + 1];
    double thick_um[FIB_PLAN_MAX_LAYERS + 1]; /* 0 = semi-infinite */
    int roi;
    fib_geom_site site; /* defaults; rough/target set per plan */
    double rate_main[FIB_PLAN_MAX_LAYERS + 1]; /* removal at the main kV */
} fib__plan_ctx;
/* The solve of one milling pattern at kV with application VPD vpd. */
typedef struct fib__plan_solve {
    double dose_nC;       /* dose that reaches the needed depth */
    double scale;         /* commanded / needed depth */
    double phys_depth_um; /* depth really reached (= needed unless short) */
    double roi_face_rate; /* low-kV: ROI rate at the face incidence */
} fib__plan_solve;
/* Ladder: thickness schedule and its cost (plan_ladder.c). */

typedef struct fib__plan_lstep {
    double pA, kV, from_nm, to_nm;
    bool polish; /* low-kV */
} fib__plan_lstep;

typedef struct fib__plan_ladder {
    double trench_pA, cut_pA, relief_pA, fiducial_pA;
    double t_rough_nm, t30_nm, t_final_nm;
    size_t n;
    fib__plan_lstep s[FIB_PLAN_MAX_PRESETS + 1 + FIB_PLAN_MAX_POLISH];
    double cost_s;
} fib__plan_ladder;

typedef struct fib__plan_lctx {
    const fib__plan_ctx *c;
    double vpd_main;
    double dmg_main;
    double W_um, H_um, overlap_um;
    double H_pol_um;    /* final main-kV pass: polish_depth_um */
    double H_full_um;   /* lift-out pre-thinning on the bulk: full height */
    double pre_nm;      /* thickness at/above which thinning is pre-lift-out
                           (lift-out methods; 0 = none) */
    double cryo_max_pA; /* R7: optimizer ceiling at cryo (HUGE_VAL at RT) */
    double heat_cap_pA; /* R6: max current within HEAT_ZONE_NM of the
                           final faces (INFINITY = none) */
    double oh_step;
    /* effective volume per dose of a main-kV window (commanded volume per
     * nC that reaches its depth through the stack, no redeposition) for
     * the window height, the full lamella height and the polish depth */
    double veff_H, veff_full, veff_pol;
} fib__plan_lctx;

/* Context of ion set-up @p ion_index of @p r (defaults filled) with site
 * @p site: resolves the stack (cap, layers, ROI) and the main-energy
 * removal rates.  Errors of the material look-up. */
fib_status fib__plan_ctx_init(fib__plan_ctx *c, const fib_plan_request *r,
                              size_t ion_index, const fib_geom_site *site,
                              const fib_plan_materials *db, fib_error *err);
/* Stack of @p c->r into c->mat/thick_um/n_layers and the ROI index. */
fib_status fib__plan_resolve_stack(fib__plan_ctx *c,
                                   const fib_plan_materials *db,
                                   fib_error *err);
/* Removal rate (um^3/nC) of @p m at normal incidence at @p kV (0 when the
 * sputter model fails); @p res_out (may be NULL) gets the whole result. */
double fib__plan_removal_rate(const fib__plan_ctx *c,
                              const fib_plan_material *m, double kV,
                              fib_plan_sputter_result *res_out);
/* Layer removal rates (um^3/nC) at kV, into rates[]. */
void fib__plan_layer_rates(const fib__plan_ctx *c, double kV, double *rates);
/* Dose density (nC/um^2) from the surface of layer @p first to depth
 * D_um with redeposition in a box of narrow width w_um (0 = none);
 * HUGE_VAL when a layer in the way does not mill. */
double fib__plan_stack_dose(const fib__plan_ctx *c, const double *rates,
                            double D_um, double w_um, size_t first);
/* Depth (um) reached by dose density q (inverse of fib__plan_stack_dose). */
double fib__plan_stack_depth(const fib__plan_ctx *c, const double *rates,
                             double q, double w_um, size_t first);
/* Narrow width of the first box (redeposition aspect ratio). */
double fib__plan_pattern_narrow_um(const fib_geom_pattern *g);
fib__plan_solve fib__plan_solve_pattern(const fib__plan_ctx *c,
                                        const fib_geom_pattern *g, double kV,
                                        double vpd);
/* Probe diameter (column fit; 0 on error), the diameter the edge rules
 * use, the width including tails (R1), and the damage depth in the ROI. */
double fib__plan_probe_nm(const fib__plan_ctx *c, double kV, double pA);
double fib__plan_rule_probe_nm(const fib__plan_ctx *c, double kV, double pA);
double fib__plan_edge_width_nm(const fib__plan_ctx *c, double kV, double pA);
double fib__plan_damage_nm(const fib__plan_ctx *c, double kV);
/* Largest preset <= cap_pA whose probe (edge: width incl. tails) is at
 * most dmax_nm (<= 0: no limit); the smallest preset if none. */
double fib__plan_pick_preset_w(const fib__plan_ctx *c, double kV, double cap_pA,
                               double dmax_nm, bool edge);
double fib__plan_pick_preset(const fib__plan_ctx *c, double kV, double cap_pA,
                             double dmax_nm);
/* Nearest preset of the set-up (log distance). */
double fib__plan_nearest_preset(const fib__plan_ctx *c, double pA);
/* Physics numbers of a milling step (dose, commanded depth and time). */
void fib__plan_fill_mill(const fib__plan_ctx *c, fib_plan_step *s, double kV,
                         double pA, double vpd);

/* --- ladder (plan_ladder.c) and plan (plan.c) ------------------------- */

/* Overlap (um) of a main-energy window at current pA. */
double fib__plan_window_overlap_um(const fib__plan_lctx *L, double pA);
/* Choose the ladder (default or optimized) under rules R1-R7. */
fib_status fib__plan_choose_ladder(const fib__plan_ctx *c,
                                   fib_plan_ladder_mode mode, fib_plan *p,
                                   fib__plan_ladder *out, fib_error *err);
/* Add a warning to @p p (duplicates and overflow dropped). */
void fib__plan_warn(fib_plan *p, const char *fmt, ...) FIB_PRINTF(2, 3);

#endif
