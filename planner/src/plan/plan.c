/*
 * plan.c -- session plans: step list, two-layer removal model, damage and
 * probe rules, default and optimized current ladders, session timeline.
 *
 * Rules (planner/PLANNER.md):
 *  R1 tail rule: a pattern at current I keeps its inner edge at least
 *     tail_factor * w(I) from the face the main-energy ladder ends on,
 *     with w the probe WIDTH INCLUDING TAILS (planner-physics.md 4.3: "the
 *     larger width for pattern-edge/overspray"): Ga = the Zeiss Crossbeam
 *     ProbeTable width fit (236 nm (I/nA)^0.525 at 30 kV, column
 *     ga-lmis-zeiss), applied as its ratio to the Ga column's FWHM fit;
 *     plasma columns = the core width 200 nm (I/nA)^0.5 [U]
 *     (rule_probe_nm; not the PFIB pattern diameter the column reports,
 *     which the published Xe ladders contradict).  Default k = 1.5: the
 * permissive end of the Ga anchors (materials 0.23 nA at 175 nm per side = 1.6
 * w; SerialFIB 100 pA at 275 nm = 3.9 w; AutoLamella 0.2 nA at 650 nm = 6.4 w;
 *     SerialFIB Arctis Xe 0.3 nA at 300 nm = 2.7 w, 0.1 nA at 50 nm =
 *     0.8 w).  The trench current thus sets the rough lamella thickness
 *     t_r >= T30 + 2 k w(I_trench).
 *  R2 damage rule: each thinning/polishing step removes per face at least
 *     DAMAGE_MARGIN x the damage depth left by the step before (trenches
 *     leave the main-energy damage).
 *  R3 final rule: the final lamella is thicker than 2 x damage of the last
 *     step + useful core; a thinner target is raised and a warning says so.
 *  R4 polish rule: the last main-energy pass puts its pattern edge on the
 *     face; the face lands within +-d/2 of the edge, so both faces moved
 *     inwards by d/2 must still leave half the thickness: d <= T30 /
 *     POLISH_EDGE_RATIO (2).  Its current is at most the published
 *     polishing current of the ion (ladder polish_pA: Ga 60 pA, AutoLamella
 *     and Odemis; Xe cryo 50 pA, SerialFIB Arctis; Xe RT 0.1 nA,
 *     planner-physics.md 4.7), in both modes: the optimizer does not
 *     invent polishing currents nobody uses.  Low-kV passes sweep the face
 *     at grazing incidence and use d <= LOWKV_RATIO x the thickness they
 *     leave (2: admits the RT practice 2 kV 25 pA, d = 144 nm, at 80 nm)
 *     [U], at most the top of the published low-kV range.
 *  Polishing geometry (AutoLamella task-protocol.yaml, planner-physics.md
 *     1.1): the final main-kV pass and the low-kV passes are commanded
 *     over the useful window only (site polish_depth_um: AutoLamella
 *     polishing 0.4 um deep vs 0.65 um rough), as a strip per face of the
 *     slab removed plus a small overlap (AutoLamella 1.6 -> 0.3 um spacing
 *     with 0.7 um boxes = 0.65 um slab + 50 nm).
 *  R6 heat rule: on a cryo specimen or a thermally sensitive ROI, passes
 *     ending within 1 um of each final face use <= 1 nA (Ga) or <= 4 nA
 *     (plasma ions) (planner-physics.md sec. 4.4).
 *  R7 cryo envelope: at cryo the optimizer uses no current above the
 *     largest published cryo current (Ga 28 nA, plasma 60 nA).
 *  R5 cut rule: cuts (side cut, undercut, cut-free, needle), fiducial
 *     bars (1 um) and stress-relief slots (0.5 um) use a probe whose width
 *     incl. tails (as in R1) fits in the bar: w <= bar width (Ga 7.6 nA,
 *     w = 0.68 um, in a 1 um J-cut bar, AutoLamella).  The optimizer's
 *     fiducial current is at most 7.6 nA (AutoLamella fiducials 1-7.6 nA).
 * The default ladder takes the protocol currents (planner-physics.md
 * sec. 6.5) mapped to the nearest preset and lowered until the rules
 * hold; the optimizer searches all presets (dynamic programming over the
 * thinning ladder, exhaustive over the trench current) for the minimum
 * session time under the same rules and cost model, so it is never slower
 * than the default.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

#define DAMAGE_MARGIN 1.25
#define POLISH_EDGE_RATIO 2.0
#define FIDUCIAL_MAX_PA 7600.0 /* largest AutoLamella fiducial current */
#define LOWKV_RATIO 2.0
#define HEAT_ZONE_NM 2000.0
#define RELIEF_SLOT_UM 0.5
#define FACE_ANGLE_MAX 80.0 /* deg, low-kV face incidence for the yield */

/* Overhead default: 0 = the default, < 0 = none (0 s). */
static double clamp_pos(double v, double def)
{
    return v > 0 ? v : (v < 0 ? 0 : def);
}

void fib_plan_overheads_defaults(fib_plan_overheads *o)
{
    o->current_change_s = clamp_pos(o->current_change_s, 20.5);
    o->stage_move_s = clamp_pos(o->stage_move_s, 8.0);
    o->alignment_s = clamp_pos(o->alignment_s, 6.8);
    o->image_s = clamp_pos(o->image_s, 3.0);
    o->kv_change_s = clamp_pos(o->kv_change_s, 180.0);
    o->gis_s = clamp_pos(o->gis_s, 30.0);
    o->deposit_rate_um3_s = clamp_pos(o->deposit_rate_um3_s, 0.15);
    o->needle_s = clamp_pos(o->needle_s, 300.0);
    o->ice_attach_s = clamp_pos(o->ice_attach_s, 60.0);
    o->transfer_s = clamp_pos(o->transfer_s, 600.0);
    o->stage_move_relative_s = clamp_pos(o->stage_move_relative_s, 6.5);
    o->objective_insert_s = clamp_pos(o->objective_insert_s, 18.5);
    o->objective_retract_s = clamp_pos(o->objective_retract_s, 19.6);
    o->pattern_setup_s = clamp_pos(o->pattern_setup_s, 15.0);
}

/* Pattern set-up before the first stroke of a milling step: cross-section
 * patterns (cleaning / regular cross-section) pay pattern_setup_s,
 * rectangles nothing (fibsem-os timing.py, one Thermo run: 0 s on a
 * rectangle, 15 s on a trench). */
static double setup_of(const fib_plan_overheads *o, const fib_geom_pattern *g)
{
    return g->scan == FIB_GEOM_SCAN_CCS || g->scan == FIB_GEOM_SCAN_STAIR
               ? o->pattern_setup_s
               : 0.0;
}

const fib_plan_column *fib__plan_column(const fib_plan_ion_setup *io)
{
    if (io->column[0])
        return fib_plan_column_find(io->column);
    return fib_plan_column_for_ion(io->ion);
}

/* Default ladder roles (pA) per ion and temperature, from published
 * protocols (planner-physics.md):
 *  Ga (sec. 1.1, 6.5): trench 7.6 nA cryo (AutoLamella waffle) / 9.3 nA
 *     RT (sec. 4.7: 9-21 nA); cuts 7.6 nA; relief and fiducial 1 nA;
 *     thinning 2.0 -> 0.74 -> 0.2 nA; polish 60 pA (AutoLamella, Odemis).
 *  Xe and the other plasma ions, cryo (sec. 1.2, 6.5): trench 60 nA
 *     (SerialFIB Arctis 01_large_trench; HPF paper up to 60 nA), rough
 *     15 nA (02_roughmill), lamella 1.0 -> 0.5 -> 0.3 -> 0.1 nA, polish
 *     50 pA (04_lamellamill).
 *  Xe, room temperature (sec. 4.7): trench 0.2 uA (0.2-2.5 uA), rough
 *     15 nA, thinning 4 -> 1 -> 0.3 nA; the 0.1 nA that ends the
 *     published ladder is its last 30 kV pass (polish_pA; R4 may lower
 *     it).
 *  Cuts 4 nA and relief 1 nA for plasma ions [U]. */
static void ladder_defaults(fib_plan_ion ion, bool cryo, fib_plan_ladder *l)
{
    bool ga = ion == FIB_PLAN_ION_GA;
    if (!(l->trench_pA > 0))
        l->trench_pA = ga ? (cryo ? 7600 : 9300) : (cryo ? 60000 : 200000);
    if (!(l->cut_pA > 0))
        l->cut_pA = ga ? 7600 : 4000;
    if (!(l->relief_pA > 0))
        l->relief_pA = ga ? 1000 : 1000;
    if (!(l->fiducial_pA > 0))
        l->fiducial_pA = 1000;
    if (!(l->thin_pA[0] > 0)) {
        static const double g[] = {2000, 740, 200, 0};
        static const double xc[] = {15000, 1000, 500, 300, 100, 0};
        static const double xr[] = {15000, 4000, 1000, 300, 0};
        const double *src = ga ? g : (cryo ? xc : xr);
        for (int i = 0; i < 6 && src[i] > 0; i++)
            l->thin_pA[i] = src[i];
    }
    if (!(l->polish_pA > 0))
        l->polish_pA = ga ? 60 : (cryo ? 50 : 100);
}

/* Low-kV polishing currents (planner-physics.md sec. 4.7): Ga 5 kV
 * 20-50 pA, 2 kV 10-30 pA; Xe 5 kV ~30-100 pA, 2 kV ~10-30 pA.  The
 * default takes the middle of the range, the optimizer may go to the top
 * (published envelope), never above. */
static double lowkv_default_pA(double kV)
{
    if (kV >= 4.5)
        return 40;
    if (kV >= 1.5)
        return 25;
    return 15;
}

static double lowkv_max_pA(fib_plan_ion ion, double kV)
{
    if (kV >= 4.5)
        return ion == FIB_PLAN_ION_GA ? 50 : 100;
    return 30;
}

void fib__plan_request_defaults(fib_plan_request *r)
{
    if (r->n_ions == 0) {
        r->n_ions = 1;
        r->ions[0].ion = FIB_PLAN_ION_GA;
    }
    for (size_t i = 0; i < r->n_ions && i < FIB_PLAN_MAX_IONS; i++) {
        fib_plan_ion_setup *io = &r->ions[i];
        if (!(io->energy_keV > 0))
            io->energy_keV = 30.0;
        const fib_plan_column *col = fib__plan_column(io);
        if (io->n_presets == 0 && col) {
            io->n_presets = col->n_presets;
            memcpy(io->presets_pA, col->presets_pA,
                   col->n_presets * sizeof(double));
        }
        ladder_defaults(io->ion, r->cryo, &io->ladder);
    }
    if (!r->polish_kV_given && r->n_polish_kV == 0) {
        r->polish_kV[0] = 5.0;
        r->polish_kV[1] = 2.0;
        r->n_polish_kV = r->cryo ? 1 : 2;
    }
    if (!r->application[0])
        snprintf(r->application, sizeof r->application, "Si");
    if (!(r->stage_K > 0))
        r->stage_K = r->cryo ? 93.0 : 295.0;
    if (r->cryo && r->ice_growth_nm_h == 0)
        r->ice_growth_nm_h = 85.0;
    if (!r->cryo)
        r->ice_growth_nm_h = 0;
    if (r->useful_core_nm == 0)
        r->useful_core_nm = 20.0;
    if (!(r->tail_factor > 0))
        r->tail_factor = 1.5;
    if (!r->protect_material[0])
        snprintf(r->protect_material, sizeof r->protect_material, "Pt-C");
    fib_geom_site_defaults(&r->site);
    fib_plan_overheads_defaults(&r->overheads);
}

static fib_status check_core(const fib_plan_request *r,
                             const fib_plan_materials *db, fib_error *err);

fib_status fib_plan_request_check(const fib_plan_request *req_in,
                                  const fib_plan_materials *db, fib_error *err)
{
    fib_plan_request r = *req_in;
    fib__plan_request_defaults(&r);
    if (r.n_layers < 1 || r.n_layers > FIB_PLAN_MAX_LAYERS)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: sample needs 1..%d layers (got %zu)",
                             FIB_PLAN_MAX_LAYERS, r.n_layers);
    for (size_t i = 0; i < r.n_layers; i++) {
        const fib_plan_layer *ly = &r.layers[i];
        if (!(ly->thickness_um >= 0) ||
            (ly->thickness_um == 0 && i + 1 != r.n_layers))
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: layers[%zu].thickness_um must be "
                                 "> 0 (got %g; only the last may be 0)",
                                 i, ly->thickness_um);
        fib_plan_material m;
        fib_error e2 = {0};
        if (fib_plan_material_resolve(db, ly->material, ly->density_g_cm3, &m,
                                      &e2) != FIB_OK)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: layers[%zu].material '%s' "
                                 "unknown (%s)",
                                 i, ly->material, e2.msg);
    }
    if (r.roi_layer < -1 || r.roi_layer >= (int)r.n_layers)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: roi_layer %d is not a layer index",
                             r.roi_layer);
    if (r.n_ions < 1 || r.n_ions > FIB_PLAN_MAX_IONS)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: 1..%d ion species (got %zu)",
                             FIB_PLAN_MAX_IONS, r.n_ions);
    for (size_t i = 0; i < r.n_ions; i++) {
        const fib_plan_ion_setup *io = &r.ions[i];
        const fib_plan_column *col = fib__plan_column(io);
        if (!col)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: ions[%zu]: unknown column '%s'", i,
                                 io->column);
        if (!(col->ion_mask & (1u << io->ion)))
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: ions[%zu]: column '%s' does not "
                                 "carry this ion",
                                 i, col->name);
        if (io->energy_keV < col->energy_min_keV ||
            io->energy_keV > col->energy_max_keV)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: ions[%zu].energy_keV %g outside "
                                 "%g..%g keV",
                                 i, io->energy_keV, col->energy_min_keV,
                                 col->energy_max_keV);
        if (io->n_presets < 1 || io->n_presets > FIB_PLAN_MAX_PRESETS)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: ions[%zu] needs 1..%d presets", i,
                                 FIB_PLAN_MAX_PRESETS);
        for (size_t k = 0; k < io->n_presets; k++) {
            double p = io->presets_pA[k];
            if (!(p >= col->current_min_pA * 0.999 &&
                  p <= col->current_max_pA * 1.001))
                return fib_error_set(err, FIB_EINVAL,
                                     "planner: ions[%zu].presets_pA[%zu] = "
                                     "%g pA outside the %s range %g..%g pA",
                                     i, k, p, col->name, col->current_min_pA,
                                     col->current_max_pA);
            if (k > 0 && !(p > io->presets_pA[k - 1]))
                return fib_error_set(err, FIB_EINVAL,
                                     "planner: ions[%zu].presets_pA must be "
                                     "ascending",
                                     i);
        }
        for (size_t k = 0; k < r.n_polish_kV; k++)
            if (r.polish_kV[k] < col->energy_min_keV ||
                !(r.polish_kV[k] < io->energy_keV))
                return fib_error_set(err, FIB_EINVAL,
                                     "planner: polish_kV[%zu] = %g must be "
                                     "in %g..%g keV (below the main energy)",
                                     k, r.polish_kV[k], col->energy_min_keV,
                                     io->energy_keV);
    }
    for (size_t k = 1; k < r.n_polish_kV; k++)
        if (!(r.polish_kV[k] < r.polish_kV[k - 1]))
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: polish_kV must be descending");
    if (!fib_plan_recipe_find(r.application))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: application '%s' unknown",
                             r.application);
    if (!(r.useful_core_nm >= 0) || r.useful_core_nm > FIB_PLAN_MAX_CORE_NM)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: useful_core_nm must be in 0..%g nm "
                             "(got %g)",
                             FIB_PLAN_MAX_CORE_NM, r.useful_core_nm);
    if (!(r.tail_factor <= FIB_PLAN_MAX_TAIL_FACTOR))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: tail_factor must be in (0, %g] probe "
                             "widths (got %g)",
                             FIB_PLAN_MAX_TAIL_FACTOR, r.tail_factor);
    if (r.site.target_thickness_nm > 0 &&
        r.site.target_thickness_nm < FIB_PLAN_MIN_TARGET_NM)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: site.target_thickness_nm must be >= %g "
                             "nm (got %g)",
                             FIB_PLAN_MIN_TARGET_NM,
                             r.site.target_thickness_nm);
    if (r.site.protect_thickness_um > FIB_PLAN_MAX_CAP_UM)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: site.protect_thickness_um must be <= "
                             "%g um (got %g)",
                             FIB_PLAN_MAX_CAP_UM, r.site.protect_thickness_um);
    fib_status st = fib_geom_site_check(&r.site, err);
    if (st != FIB_OK)
        return st;
    return check_core(&r, db, err);
}

/* ---------------------------------------------------------------------- */
/* Build context                                                          */

typedef struct ctx {
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
    fib_error *err;
} ctx;

static fib_status si_yield(const fib_plan_materials *db, fib_plan_ion ion,
                           double kV, double *y, fib_error *err)
{
    fib_plan_material si;
    fib_status st = fib_plan_material_resolve(db, "Si", 0, &si, err);
    if (st != FIB_OK)
        return st;
    return fib_plan_material_yield(fib_plan_projectile_of(ion), &si, kV,
                                   FIB_PLAN_COMPOUND_AVERAGE_ATOM, y, err);
}

fib_status fib__plan_vpd(const fib_plan_request *r,
                         const fib_plan_ion_setup *io, double kV, double *vpd,
                         fib_error *err)
{
    double y, y_ref, base;
    fib_status st = si_yield(NULL, io->ion, kV, &y, err);
    if (st != FIB_OK)
        return st;
    if (io->vpd_um3_per_nC > 0) {
        base = io->vpd_um3_per_nC;
        st = si_yield(NULL, io->ion, io->energy_keV, &y_ref, err);
    } else {
        const fib_plan_recipe *rc = fib_plan_recipe_find(r->application);
        if (!rc)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: application '%s' unknown",
                                 r->application);
        /* plasma columns run their own application files (Thermo PFIB:
         * Si 0.38, Si-multipass 1.2, Si-ccs 1.1 um^3/nC, SerialFIB
         * TemplatePatterns/PFIB) [R]: anchored on Xe at 30 kV; other
         * species and energies by the model Si yield ratio */
        const fib_plan_column *col = fib__plan_column(io);
        bool plasma =
            col && strstr(col->name, "pfib") && rc->vpd_pfib_um3_per_nC > 0;
        base = plasma ? rc->vpd_pfib_um3_per_nC : rc->vpd_um3_per_nC;
        st = si_yield(NULL, plasma ? FIB_PLAN_ION_XE : FIB_PLAN_ION_GA, 30.0,
                      &y_ref, err);
    }
    if (st != FIB_OK)
        return st;
    if (!(y > 0) || !(y_ref > 0))
        return fib_error_set(err, FIB_ENUMERIC,
                             "planner: zero Si yield at %g keV", kV);
    *vpd = base * y / y_ref;
    return FIB_OK;
}

static double removal_rate(const ctx *c, const fib_plan_material *m, double kV,
                           fib_plan_sputter_result *res_out)
{
    fib_plan_sputter_params p = {0};
    p.ion = c->io->ion;
    p.energy_keV = kV;
    p.angle_deg = 0;
    p.cryo = c->r->cryo;
    fib_plan_sputter_result res;
    if (fib_plan_sputter(m, &p, &res, NULL) != FIB_OK)
        return 0;
    if (res_out)
        *res_out = res;
    return res.removal_um3_per_nC;
}

/* ---------------------------------------------------------------------- */
/* Physical depth through the stack, and its inverse (the dose to reach a
 * needed depth).  The floor of a box advances along the beam through the
 * layers (cap, then each layer from the surface down), each at its
 * removal rate R_i (fib_plan_sputter: measured value where the database
 * has one, cryo factors at cryo) at normal incidence on the floor (the
 * steady state of a deepening box; the measured 0.74 nA on-grid trench of
 * fibsem-os, 146.2 s for 140 um^3 of ice = 1.3 um^3/nC, agrees with the
 * normal-incidence ice rate 1.0 and not with a 75 deg Yamamura factor of
 * 5).  Redeposition in a box of narrow width w (trenches, cuts, slots,
 * fiducials; not thinning windows, which take a thin wall off the side of
 * the lamella into an open trench): dz/dq = R_i / (1 + k z / w), the
 * physics eta(AR) = 1/(1 + k AR) with AR = z / w (planner-physics.md
 * 4.5), integrated exactly with u(z) = z + k z^2 / (2 w): the dose from
 * z_a to z_b inside layer i is (u(z_b) - u(z_a)) / R_i. */

static double redep_u(double z, double w, double k)
{
    return w > 0 ? z + k * z * z / (2 * w) : z;
}

static double redep_u_inv(double u, double w, double k)
{
    /* positive root of z + k z^2/(2w) = u, stable form */
    return w > 0 ? 2 * u / (1 + sqrt(1 + 2 * k * u / w)) : u;
}

/* Layer removal rates (um^3/nC) at kV, into rates[]. */
static void layer_rates(const ctx *c, double kV, double *rates)
{
    for (size_t i = 0; i < c->n_layers; i++)
        rates[i] = c->io && kV == c->io->energy_keV && c->rate_main[i] > 0
                       ? c->rate_main[i]
                       : removal_rate(c, &c->mat[i], kV, NULL);
}

/* Dose density (nC/um^2) that takes the floor from the surface of layer
 * @p first to depth D_um; HUGE_VAL when a layer in the way does not mill
 * (below the sputter threshold). */
static double stack_dose(const ctx *c, const double *rates, double D_um,
                         double w_um, size_t first)
{
    const double k = c->mat[c->roi].redep_k > 0 ? c->mat[c->roi].redep_k
                                                : FIB_PLAN_REDEP_K_DEFAULT;
    double z = 0, q = 0;
    for (size_t i = first; i < c->n_layers && z < D_um; i++) {
        double t = c->thick_um[i];
        double zb = (t > 0 && z + t < D_um) ? z + t : D_um;
        if (i + 1 == c->n_layers)
            zb = D_um; /* the last layer fills the rest */
        if (!(rates[i] > 0))
            return HUGE_VAL;
        q += (redep_u(zb, w_um, k) - redep_u(z, w_um, k)) / rates[i];
        z = zb;
    }
    return q;
}

/* Depth (um) reached by a dose density q (nC/um^2) (inverse of
 * stack_dose). */
static double stack_depth(const ctx *c, const double *rates, double q,
                          double w_um, size_t first)
{
    const double k = c->mat[c->roi].redep_k > 0 ? c->mat[c->roi].redep_k
                                                : FIB_PLAN_REDEP_K_DEFAULT;
    double z = 0, left = q;
    for (size_t i = first; i < c->n_layers && left > 0; i++) {
        if (!(rates[i] > 0))
            break; /* below threshold: the beam stops removing here */
        double t = c->thick_um[i];
        bool last = i + 1 == c->n_layers || !(t > 0);
        double ua = redep_u(z, w_um, k);
        if (!last) {
            double need = (redep_u(z + t, w_um, k) - ua) / rates[i];
            if (left >= need) {
                left -= need;
                z += t;
                continue;
            }
        }
        z = redep_u_inv(ua + left * rates[i], w_um, k);
        left = 0;
    }
    return z;
}

/* Narrow width of the first box (redeposition aspect ratio). */
static double pattern_narrow_um(const fib_geom_pattern *g)
{
    if (g->n_boxes < 1)
        return 0;
    double bx = g->box[0].x1_um - g->box[0].x0_um;
    double by = g->box[0].y1_um - g->box[0].y0_um;
    return bx < by ? bx : by;
}

/* The solve of one milling pattern at kV with application VPD vpd. */
typedef struct solve {
    double dose_nC;       /* dose that reaches the needed depth */
    double scale;         /* commanded / needed depth */
    double phys_depth_um; /* depth really reached (= needed unless short) */
    double roi_face_rate; /* low-kV: ROI rate at the face incidence */
} solve;

static solve solve_pattern(const ctx *c, const fib_geom_pattern *g, double kV,
                           double vpd)
{
    solve sv = {0};
    const double D = g->depth_um;
    sv.scale = 1;
    sv.phys_depth_um = D;
    if (!(D > 0) || !(g->volume_um3 > 0) || !(vpd > 0)) {
        sv.dose_nC = g->volume_um3 > 0 && vpd > 0 ? g->volume_um3 / vpd : 0;
        return sv;
    }
    if (g->kind == FIB_GEOM_POLISH) {
        /* face-on low-kV pass: the slab (the commanded volume) is taken
         * off the face at the face incidence by the ROI material */
        fib_plan_sputter_params sp = {0};
        sp.ion = c->io->ion;
        sp.energy_keV = kV;
        /* the Yamamura angular fit is taken no further than 80 deg: beyond
         * it falls to 0 at 90 deg (0.19 at 85 deg for Ga 5 kV on NMC811),
         * against the practice of polishing at 1-5 deg grazing [U] */
        sp.angle_deg = g->face_incidence_deg < FACE_ANGLE_MAX
                           ? g->face_incidence_deg
                           : FACE_ANGLE_MAX;
        sp.cryo = c->r->cryo;
        fib_plan_sputter_result res;
        double rate = 0;
        if (fib_plan_sputter(&c->mat[c->roi], &sp, &res, NULL) == FIB_OK)
            rate = res.removal_um3_per_nC;
        sv.roi_face_rate = rate;
        if (!(rate > 0)) {
            sv.dose_nC = g->volume_um3 / vpd;
            sv.phys_depth_um = 0;
            return sv;
        }
        sv.dose_nC = g->volume_um3 / rate;
        sv.scale = vpd / rate;
        return sv;
    }
    if (g->kind == FIB_GEOM_NEEDLE_CUT) {
        /* the needle cut mills the needle (not in the stack): commanded
         * as drawn */
        sv.dose_nC = g->volume_um3 / vpd;
        return sv;
    }
    double rates[FIB_PLAN_MAX_LAYERS + 1];
    layer_rates(c, kV, rates);
    /* the undercut enters the lamella from the trench wall: it mills the
     * ROI layer, not the cap; everything else mills from the top */
    size_t first = g->kind == FIB_GEOM_UNDERCUT ? (size_t)c->roi : 0;
    double w = g->kind == FIB_GEOM_THIN ? 0 : pattern_narrow_um(g);
    double q = stack_dose(c, rates, D, w, first);
    if (!isfinite(q)) {
        /* a layer in the way does not mill: command the geometry and
         * report the depth that dose reaches */
        q = D / vpd;
        sv.phys_depth_um = stack_depth(c, rates, q, w, first);
    }
    /* boxes of several depths (stairs) share the deepest box's scale */
    sv.scale = q * vpd / D;
    sv.dose_nC = g->volume_um3 * sv.scale / vpd;
    return sv;
}

static double probe_nm(const ctx *c, double kV, double pA)
{
    double d = 0;
    if (fib_plan_probe_diameter_nm(c->col, kV, pA, &d, NULL) != FIB_OK)
        return 0;
    return d;
}

/* The beam diameter the edge rules (R1, R4, low-kV, window overlap) are
 * applied to.  Ga: the column fit.  Plasma columns: the column fit is the
 * Thermo PFIB pattern-file TotalDiameter (232 nm at 99.2 pA, the diameter
 * xT sets the pitch with); the published Xe ladders are incompatible with
 * edge rules on that diameter (SerialFIB Arctis ends its 0.1 nA pass 50 nm
 * from a 400 nm lamella = 0.2 TotalDiameter; RT Xe practice polishes
 * < 100 nm lamellae after a 0.1 nA pass of 233 nm), so the rules keep the
 * core width they were anchored with, 200 nm (I/nA)^0.5 at 30 kV [U]:
 * PLASMA_RULE_SCALE = 200 / 736.6 of the pattern diameter.  With the
 * pattern diameter itself the Xe plans of the examples polish at 1-3 pA
 * and take 5-15x the Ga time. */
#define PLASMA_RULE_SCALE (200.0 / 736.6)

static double rule_probe_nm(const ctx *c, double kV, double pA)
{
    double d = probe_nm(c, kV, pA);
    if (c->col && strstr(c->col->name, "pfib"))
        d *= PLASMA_RULE_SCALE;
    return d;
}

/* Probe width including tails (R1): Ga FWHM fit scaled by the Zeiss
 * width / Helios FWHM ratio at the same current at 30 kV; other columns
 * (plasma fits, the Zeiss column itself) as they are. */
static double edge_width_nm(const ctx *c, double kV, double pA)
{
    double d = rule_probe_nm(c, kV, pA);
    if (c->io->ion != FIB_PLAN_ION_GA || !c->col ||
        !strcmp(c->col->name, "ga-lmis-zeiss"))
        return d;
    const fib_plan_column *z = fib_plan_column_find("ga-lmis-zeiss");
    double w30 = 0, d30 = 0;
    if (!z || fib_plan_probe_diameter_nm(z, 30.0, pA, &w30, NULL) != FIB_OK ||
        fib_plan_probe_diameter_nm(c->col, 30.0, pA, &d30, NULL) != FIB_OK ||
        !(d30 > 0) || !(w30 > d30))
        return d;
    return d * w30 / d30;
}

static double damage_nm(const ctx *c, double kV)
{
    double d = 0;
    if (fib_plan_damage_depth_nm(c->proj, &c->mat[c->roi], kV, &d, NULL) !=
        FIB_OK)
        return 0;
    return d;
}

static double edge_width_nm(const ctx *c, double kV, double pA);

static fib_status resolve_stack(ctx *c, const fib_plan_materials *db,
                                fib_error *err);

/* R3 feasibility for every ion of a request (defaults filled): the final
 * lamella, 2 x the damage of the last pass + the useful core, must stay
 * below the rough thickness. */
static fib_status check_core(const fib_plan_request *r,
                             const fib_plan_materials *db, fib_error *err)
{
    fib_geom_site site = r->site;
    fib_geom_site_defaults(&site);
    for (size_t i = 0; i < r->n_ions; i++) {
        ctx c = {0};
        c.r = r;
        c.io = &r->ions[i];
        c.col = fib__plan_column(c.io);
        c.proj = fib_plan_projectile_of(c.io->ion);
        c.site = site;
        fib_status st = resolve_stack(&c, db, err);
        if (st != FIB_OK)
            return st;
        double kv_last = r->n_polish_kV ? r->polish_kV[r->n_polish_kV - 1]
                                        : c.io->energy_keV;
        double dmg = damage_nm(&c, kv_last);
        double t_min = 2 * dmg + r->useful_core_nm;
        if (t_min >= site.rough_thickness_nm)
            return fib_error_set(err, FIB_ERANGE,
                                 "planner: site.useful_core_nm %g + 2 x damage "
                                 "%.0f nm (%s at %g kV) needs a %.0f nm "
                                 "lamella, not below site.rough_thickness_nm "
                                 "%g",
                                 r->useful_core_nm, dmg,
                                 fib_plan_ion_get(c.io->ion)->symbol, kv_last,
                                 t_min, site.rough_thickness_nm);
    }
    return FIB_OK;
}

/* Largest preset <= cap_pA whose probe satisfies d <= dmax_nm (dmax <= 0:
 * no probe limit; edge: d is the width incl. tails, else the FWHM fit);
 * the smallest preset if none does. */
static double pick_preset_w(const ctx *c, double kV, double cap_pA,
                            double dmax_nm, bool edge)
{
    const fib_plan_ion_setup *io = c->io;
    double best = io->presets_pA[0];
    for (size_t k = 0; k < io->n_presets; k++) {
        double p = io->presets_pA[k];
        if (p > cap_pA * 1.0001)
            break;
        if (dmax_nm > 0 && (edge ? edge_width_nm(c, kV, p)
                                 : rule_probe_nm(c, kV, p)) > dmax_nm)
            continue;
        best = p;
    }
    return best;
}

static double pick_preset(const ctx *c, double kV, double cap_pA,
                          double dmax_nm)
{
    return pick_preset_w(c, kV, cap_pA, dmax_nm, false);
}

/* Nearest preset of the set-up (log distance). */
static double nearest_preset(const ctx *c, double pA)
{
    const fib_plan_ion_setup *io = c->io;
    double best = io->presets_pA[0], bd = HUGE_VAL;
    for (size_t k = 0; k < io->n_presets; k++) {
        double d = fabs(log(io->presets_pA[k] / pA));
        if (d < bd) {
            bd = d;
            best = io->presets_pA[k];
        }
    }
    return best;
}

/* Per milling step overhead excluding stage moves and kV changes, for a
 * cross-section pattern (thinning windows are cleaning cross-sections: the
 * pattern set-up applies, as on the timeline). */
static double step_overhead(const fib_plan_overheads *o)
{
    return 2 * o->current_change_s + o->alignment_s + o->image_s +
           o->pattern_setup_s;
}

/* ---------------------------------------------------------------------- */
/* Ladder: thickness schedule and its cost                                */

typedef struct lstep {
    double pA, kV, from_nm, to_nm;
    bool polish; /* low-kV */
} lstep;

typedef struct ladder {
    double trench_pA, cut_pA, relief_pA, fiducial_pA;
    double t_rough_nm, t30_nm, t_final_nm;
    size_t n;
    lstep s[FIB_PLAN_MAX_PRESETS + 1 + FIB_PLAN_MAX_POLISH];
    double cost_s;
} ladder;

typedef struct lctx {
    const ctx *c;
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
} lctx;

/* Effective volume per dose (um^3/nC) of a main-kV thinning window of
 * height h: h / dose density to reach h through the stack. */
static double window_veff(const ctx *c, double h, double vpd)
{
    double rates[FIB_PLAN_MAX_LAYERS + 1];
    layer_rates(c, c->io->energy_keV, rates);
    double q = stack_dose(c, rates, h, 0, 0);
    return isfinite(q) && q > 0 ? h / q : vpd;
}

/* Overlap of a main-energy window at current pA: the box reaches past the
 * slab by three probe diameters (the beam tail), at least 50 nm and at
 * most the site's thin_overlap_um. */
static double window_overlap_um(const lctx *L, double pA)
{
    double o = 3e-3 * rule_probe_nm(L->c, L->c->io->energy_keV, pA);
    if (o < 0.05)
        o = 0.05;
    return o < L->overlap_um ? o : L->overlap_um;
}

/* Commanded time + per-step overhead of a window pair from -> to; the
 * final main-kV pass (last) is commanded over the polishing depth. */
static double window_cost(const lctx *L, double vpd, double from, double to,
                          double pA, bool last)
{
    (void)vpd;
    bool full = L->pre_nm > 0 && to >= L->pre_nm;
    double h = full ? L->H_full_um : L->H_um;
    double veff = full ? L->veff_full : L->veff_H;
    if (last) {
        h = L->H_pol_um;
        veff = L->veff_pol;
    }
    double v =
        2 * L->W_um * ((from - to) * 5e-4 + window_overlap_um(L, pA)) * h;
    return v / (veff * pA * 1e-3) + L->oh_step;
}

static double tail_thickness(const lctx *L, double t30, double pA)
{
    return t30 + 2 * L->c->r->tail_factor *
                     edge_width_nm(L->c, L->c->io->energy_keV, pA);
}

/* Optimal main-energy thinning from t_r to t30 ending with polish current
 * p_pA (DP over presets, rules R1, R2).  Writes the steps to out (may be
 * NULL) and returns the cost (HUGE_VAL when infeasible). */
static double thin_dp(const lctx *L, double t_r, double t30, double p_pA,
                      lstep *out, size_t *n_out)
{
    const ctx *c = L->c;
    const fib_plan_ion_setup *io = c->io;
    const double kV = io->energy_keV, need = 2 * DAMAGE_MARGIN * L->dmg_main;
    size_t np = io->n_presets;
    double f[FIB_PLAN_MAX_PRESETS], t[FIB_PLAN_MAX_PRESETS];
    int prev[FIB_PLAN_MAX_PRESETS];
    /* presets in descending current order: index k -> io->presets[np-1-k] */
    for (size_t k = 0; k < np; k++) {
        double I = io->presets_pA[np - 1 - k];
        f[k] = HUGE_VAL;
        prev[k] = -2;
        t[k] = tail_thickness(L, t30, I);
        if (!(I > p_pA) || t[k] < t30 + need || I > L->cryo_max_pA ||
            (I > L->heat_cap_pA && t[k] < t30 + HEAT_ZONE_NM))
            continue; /* final-pass step must still remove the damage */
        if (t_r - t[k] >= need) {
            f[k] = window_cost(L, L->vpd_main, t_r, t[k], I, false);
            prev[k] = -1;
        }
        for (size_t j = 0; j < k; j++) {
            if (!isfinite(f[j]) || !(t[j] - t[k] >= need))
                continue;
            double v = f[j] + window_cost(L, L->vpd_main, t[j], t[k], I, false);
            if (v < f[k]) {
                f[k] = v;
                prev[k] = (int)j;
            }
        }
    }
    double best = HUGE_VAL;
    int last = -1;
    if (t_r - t30 >= need)
        best = window_cost(L, L->vpd_main, t_r, t30, p_pA, true);
    for (size_t k = 0; k < np; k++) {
        if (!isfinite(f[k]))
            continue;
        double v = f[k] + window_cost(L, L->vpd_main, t[k], t30, p_pA, true);
        if (v < best) {
            best = v;
            last = (int)k;
        }
    }
    if (out && isfinite(best)) {
        int chain[FIB_PLAN_MAX_PRESETS], nc = 0;
        for (int k = last; k >= 0; k = prev[k])
            chain[nc++] = k;
        size_t n = 0;
        double from = t_r;
        for (int i = nc - 1; i >= 0; i--) {
            int k = chain[i];
            out[n++] = (lstep){io->presets_pA[np - 1 - (size_t)k], kV, from,
                               t[k], false};
            from = t[k];
        }
        out[n++] = (lstep){p_pA, kV, from, t30, false};
        *n_out = n;
    }
    return best;
}

/* The default main-energy ladder: protocol currents in order, each step
 * kept only when the rules allow it. */
static double thin_default(const lctx *L, double t_r, double t30, double p_pA,
                           lstep *out, size_t *n_out)
{
    const ctx *c = L->c;
    const double kV = c->io->energy_keV, need = 2 * DAMAGE_MARGIN * L->dmg_main;
    double from = t_r, cost = 0;
    size_t n = 0;
    for (int i = 0; i < 6 && c->io->ladder.thin_pA[i] > 0; i++) {
        double I = nearest_preset(c, c->io->ladder.thin_pA[i]);
        double to = tail_thickness(L, t30, I);
        if (!(I > p_pA) || from - to < need || to < t30 + need ||
            (I > L->heat_cap_pA && to < t30 + HEAT_ZONE_NM))
            continue;
        if (n > 0 && out[n - 1].pA == I)
            continue;
        cost += window_cost(L, L->vpd_main, from, to, I, false);
        out[n++] = (lstep){I, kV, from, to, false};
        from = to;
    }
    cost += window_cost(L, L->vpd_main, from, t30, p_pA, true);
    out[n++] = (lstep){p_pA, kV, from, t30, false};
    *n_out = n;
    return cost;
}

/* ---------------------------------------------------------------------- */

static void add_warn(fib_plan *p, const char *fmt, ...) FIB_PRINTF(2, 3);

static void add_warn(fib_plan *p, const char *fmt, ...)
{
    if (p->n_warn >= FIB__PLAN_MAX_WARN)
        return;
    char buf[FIB_PLAN_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < p->n_warn; i++)
        if (!strcmp(p->warn[i], buf))
            return;
    memcpy(p->warn[p->n_warn++], buf, sizeof buf);
}

static fib_status resolve_stack(ctx *c, const fib_plan_materials *db,
                                fib_error *err)
{
    const fib_plan_request *r = c->r;
    size_t n = 0;
    fib_status st;
    /* the protective cap is milled through first when it is deposited
     * during the session and not already listed as the top layer */
    if (r->site.protect_thickness_um > 0) {
        fib_plan_material cap;
        st = fib_plan_material_resolve(db, r->protect_material, 0, &cap, err);
        if (st != FIB_OK)
            return st;
        fib_plan_material top;
        st = fib_plan_material_resolve(db, r->layers[0].material,
                                       r->layers[0].density_g_cm3, &top, err);
        if (st != FIB_OK)
            return st;
        if (strcmp(cap.name, top.name)) {
            c->mat[n] = cap;
            c->thick_um[n++] = r->site.protect_thickness_um;
        }
    }
    size_t first = n;
    for (size_t i = 0; i < r->n_layers; i++) {
        st = fib_plan_material_resolve(db, r->layers[i].material,
                                       r->layers[i].density_g_cm3, &c->mat[n],
                                       err);
        if (st != FIB_OK) {
            fib_error_prefix(err, "planner: layers[%zu]: ", i);
            return st;
        }
        c->thick_um[n++] = r->layers[i].thickness_um;
    }
    c->n_layers = n;
    if (r->roi_layer >= 0) {
        c->roi = (int)first + r->roi_layer;
    } else {
        /* thickest finite layer below a cap (a first layer made of the
         * protective material counts as the cap) */
        size_t lo = first;
        if (first == 0 && n > 1 && r->site.protect_thickness_um > 0)
            lo = 1;
        int best = -1;
        for (size_t i = lo; i < n; i++)
            if (c->thick_um[i] > 0 &&
                (best < 0 || c->thick_um[i] > c->thick_um[best]))
                best = (int)i;
        c->roi = best >= 0 ? best : (int)n - 1;
    }
    return FIB_OK;
}

/* Fill the physics numbers of a milling step: the dose that reaches the
 * drawn (needed) depth through the stack, the commanded depth and volume
 * that make the instrument deliver it with this application file
 * (commanded depth = dose x VPD / area), and t = dose / I. */
static void fill_mill(const ctx *c, fib_plan_step *s, double kV, double pA,
                      double vpd)
{
    const fib_geom_pattern *g = &s->pattern;
    s->mills = true;
    s->energy_keV = kV;
    s->current_pA = pA;
    s->vpd_um3_per_nC = vpd;
    solve sv = solve_pattern(c, g, kV, vpd);
    s->target_depth_um = g->depth_um;
    s->volume_um3 = g->volume_um3 * sv.scale;
    s->commanded_depth_um = g->depth_um * sv.scale;
    s->physical_depth_um = sv.phys_depth_um;
    s->dose_nC = sv.dose_nC;
    s->commanded_time_s = s->volume_um3 / (vpd * pA * 1e-3);
    s->dose_ions_cm2 = g->area_um2 > 0 ? s->dose_nC * 1e-9 / FIB_PLAN_E_CHARGE /
                                             (g->area_um2 * 1e-8)
                                       : 0;
    s->removal_um3_per_nC = removal_rate(c, &c->mat[c->roi], kV, NULL);
    s->damage_depth_nm = damage_nm(c, kV);
    s->probe_d_nm = probe_nm(c, kV, pA);
    s->distance_um = g->distance_um;
    s->thickness_before_nm = g->thickness_before_nm;
    s->thickness_after_nm = g->thickness_after_nm;
    if (g->kind == FIB_GEOM_THIN || g->kind == FIB_GEOM_POLISH)
        s->removed_per_face_nm =
            0.5 * (g->thickness_before_nm - g->thickness_after_nm) *
            (g->depth_um > 0 ? s->physical_depth_um / g->depth_um : 0);
}

static fib_plan_step *new_step(fib_plan *p, const fib_geom_pattern *g)
{
    if (p->n_steps >= FIB_PLAN_MAX_STEPS)
        return NULL;
    fib_plan_step *s = &p->steps[p->n_steps++];
    memset(s, 0, sizeof *s);
    s->pattern = *g;
    snprintf(s->name, sizeof s->name, "%s", g->name);
    s->ion = p->ion;
    return s;
}

/* Choose the ladder (default or optimized). */
static fib_status choose_ladder(const ctx *c, fib_plan_ladder_mode mode,
                                fib_plan *p, ladder *out, fib_error *err)
{
    const fib_plan_request *r = c->r;
    const fib_plan_ion_setup *io = c->io;
    const double kV = io->energy_keV;
    lctx L = {0};
    L.c = c;
    fib_status st = fib__plan_vpd(r, io, kV, &L.vpd_main, err);
    if (st != FIB_OK)
        return st;
    L.dmg_main = damage_nm(c, kV);
    L.W_um = c->site.lamella_width_um;
    L.H_um = c->site.window_height_um;
    L.H_full_um = c->site.lamella_height_um;
    L.H_pol_um = c->site.polish_depth_um;
    bool lift = c->site.method == FIB_GEOM_LIFTOUT ||
                c->site.method == FIB_GEOM_CRYO_LIFTOUT;
    L.pre_nm = lift ? c->site.rough_thickness_nm : 0;
    L.overlap_um = c->site.thin_overlap_um;
    L.oh_step = step_overhead(&r->overheads);
    L.veff_H = window_veff(c, L.H_um, L.vpd_main);
    L.veff_full = window_veff(c, L.H_full_um, L.vpd_main);
    L.veff_pol = window_veff(c, L.H_pol_um, L.vpd_main);

    /* R3: final thickness from the last step's damage */
    double kv_last = r->n_polish_kV ? r->polish_kV[r->n_polish_kV - 1] : kV;
    double dmg_last = damage_nm(c, kv_last);
    double t_min = 2 * dmg_last + r->useful_core_nm;
    double t_final = c->site.target_thickness_nm;
    if (t_min >= c->site.rough_thickness_nm)
        return fib_error_set(err, FIB_ERANGE,
                             "planner: useful_core_nm %g + 2 x damage %.0f nm "
                             "(%s at %g kV) needs a %.0f nm lamella, not "
                             "below site.rough_thickness_nm %g",
                             r->useful_core_nm, dmg_last,
                             fib_plan_ion_get(io->ion)->symbol, kv_last, t_min,
                             c->site.rough_thickness_nm);
    if (t_final < t_min) {
        add_warn(p,
                 "target %.0f nm cannot be met with %s at %g kV: 2 x damage "
                 "%.0f nm + core %.0f nm needs %.0f nm; final thickness "
                 "raised to %.0f nm",
                 t_final, fib_plan_ion_get(io->ion)->symbol, kv_last, dmg_last,
                 r->useful_core_nm, t_min, t_min);
        t_final = t_min;
    }
    /* low-kV schedule backwards: each pass removes the damage of the one
     * before (R2) */
    double t30 = t_final;
    for (size_t j = r->n_polish_kV; j-- > 0;) {
        double prev_kV = j == 0 ? kV : r->polish_kV[j - 1];
        t30 += 2 * DAMAGE_MARGIN * damage_nm(c, prev_kV);
    }
    out->t_final_nm = t_final;
    out->t30_nm = t30;

    bool hot = r->cryo || (c->mat[c->roi].sens_flags & FIB_PLAN_SENS_THERMAL);
    L.heat_cap_pA =
        !hot ? HUGE_VAL : (io->ion == FIB_PLAN_ION_GA ? 1000.0 : 4000.0);
    /* R7: at cryo the optimizer stays inside the published cryo currents
     * (Ga 28 nA, AutoLamella lift-out horseshoe; plasma 60 nA, SerialFIB
     * Arctis trench and the Xe HPF paper), or the request's own trench
     * current when that is higher */
    L.cryo_max_pA = HUGE_VAL;
    if (r->cryo && mode == FIB_PLAN_LADDER_OPTIMIZED)
        L.cryo_max_pA = fmax(io->ion == FIB_PLAN_ION_GA ? 28000.0 : 60000.0,
                             io->ladder.trench_pA);
    /* R4: final main-energy pass, at most the published polishing
     * current (both modes), edge-placement limit on the probe */
    double pol_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? nearest_preset(c, io->ladder.polish_pA)
                         : io->ladder.polish_pA;
    if (pol_cap > L.heat_cap_pA)
        pol_cap = L.heat_cap_pA;
    double p_pA = pick_preset(c, kV, pol_cap, t30 / POLISH_EDGE_RATIO);
    /* R5: cuts and slots */
    double b = c->site.undercut_width_um * 1e3;
    double cut_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? nearest_preset(c, io->ladder.cut_pA)
                         : L.cryo_max_pA;
    out->cut_pA = pick_preset_w(c, kV, cut_cap, b, true);
    /* fiducial bars are 1 um wide, far from the lamella */
    double fid_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? nearest_preset(c, io->ladder.fiducial_pA)
                         : fmax(io->ladder.fiducial_pA, FIDUCIAL_MAX_PA);
    out->fiducial_pA = pick_preset_w(c, kV, fid_cap, 1000.0, true);
    double rel_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? nearest_preset(c, io->ladder.relief_pA)
                         : HUGE_VAL;
    if (rel_cap > L.heat_cap_pA) /* slots are a few um from the lamella */
        rel_cap = L.heat_cap_pA;
    out->relief_pA = pick_preset_w(c, kV, rel_cap, RELIEF_SLOT_UM * 1e3, true);

    /* trench current(s) and the main thinning ladder */
    fib_geom_site s = c->site;
    s.target_thickness_nm = t_final;
    fib_geom_pattern pats[16];
    size_t np = 0;
    st = fib_geom_coarse(&s, pats, 16, &np, err);
    if (st != FIB_OK)
        return st;
    double dose_trench = 0; /* nC to reach the trench depth */
    for (size_t i = 0; i < np; i++)
        if (pats[i].kind == FIB_GEOM_TRENCH)
            dose_trench = solve_pattern(c, &pats[i], kV, L.vpd_main).dose_nC;
    const double need = 2 * DAMAGE_MARGIN * L.dmg_main;
    double best = HUGE_VAL;
    for (size_t k = 0; k < io->n_presets; k++) {
        double I = io->presets_pA[k];
        if (mode == FIB_PLAN_LADDER_DEFAULT &&
            I != nearest_preset(c, io->ladder.trench_pA))
            continue;
        if (I > L.cryo_max_pA)
            continue;
        double t_r = c->site.rough_thickness_nm;
        double tt = tail_thickness(&L, t30, I);
        if (tt > t_r)
            t_r = tt;
        if (t30 + need > t_r)
            t_r = t30 + need;
        if (I > L.heat_cap_pA && t_r < t30 + HEAT_ZONE_NM)
            t_r = t30 + HEAT_ZONE_NM; /* R6 for the trench itself */
        lstep tmp[FIB_PLAN_MAX_PRESETS + 1];
        size_t nt = 0;
        double cost = mode == FIB_PLAN_LADDER_DEFAULT
                          ? thin_default(&L, t_r, t30, p_pA, tmp, &nt)
                          : thin_dp(&L, t_r, t30, p_pA, tmp, &nt);
        if (!isfinite(cost))
            continue;
        cost += dose_trench / (I * 1e-3) + L.oh_step;
        if (L.pre_nm > 0) {
            /* lift-out: the cuts scale with the thickness the chunk is
             * lifted at, which the ladder decides */
            double t_lift = t_r;
            for (size_t q = 0;
                 q < nt && !tmp[q].polish && tmp[q].to_nm >= L.pre_nm; q++)
                t_lift = tmp[q].to_nm;
            fib_geom_site sl = s;
            sl.rough_thickness_nm = t_lift;
            fib_geom_pattern cp[16];
            size_t ncp = 0;
            if (fib_geom_coarse(&sl, cp, 16, &ncp, NULL) == FIB_OK)
                for (size_t q = 0; q < ncp; q++)
                    if (cp[q].kind == FIB_GEOM_SIDE_CUT ||
                        cp[q].kind == FIB_GEOM_UNDERCUT ||
                        cp[q].kind == FIB_GEOM_CUT_FREE)
                        cost +=
                            solve_pattern(c, &cp[q], kV, L.vpd_main).dose_nC /
                            (out->cut_pA * 1e-3);
        }
        if (cost < best) {
            best = cost;
            out->trench_pA = I;
            out->t_rough_nm = t_r;
            out->n = nt;
            memcpy(out->s, tmp, nt * sizeof tmp[0]);
        }
    }
    if (!isfinite(best))
        return fib_error_set(err, FIB_ERANGE,
                             "planner: no current ladder satisfies the "
                             "damage and probe rules for %s",
                             fib_plan_ion_get(io->ion)->symbol);
    /* low-kV passes */
    double from = t30;
    for (size_t j = 0; j < r->n_polish_kV; j++) {
        double prev_kV = j == 0 ? kV : r->polish_kV[j - 1];
        double to = from - 2 * DAMAGE_MARGIN * damage_nm(c, prev_kV);
        if (j + 1 == r->n_polish_kV)
            to = t_final;
        double role = io->ladder.lowkv_pA[j] > 0
                          ? io->ladder.lowkv_pA[j]
                          : lowkv_default_pA(r->polish_kV[j]);
        double cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? nearest_preset(c, role)
                         : fmax(role, lowkv_max_pA(io->ion, r->polish_kV[j]));
        if (cap > L.heat_cap_pA)
            cap = L.heat_cap_pA;
        double I = pick_preset(c, r->polish_kV[j], cap, LOWKV_RATIO * to);
        out->s[out->n++] = (lstep){I, r->polish_kV[j], from, to, true};
        from = to;
    }
    return FIB_OK;
}

static const char *ion_sym(fib_plan_ion ion)
{
    const fib_plan_ion_info *inf = fib_plan_ion_get(ion);
    return inf ? inf->symbol : "?";
}

/* Put the steps on the timeline with their overheads. */
static void timeline(const ctx *c, fib_plan *p)
{
    const fib_plan_overheads *o = &c->r->overheads;
    double t = 0, last_kV = 0, last_inc = -1;
    double thin_start = -1;
    for (size_t i = 0; i < p->n_steps; i++) {
        fib_plan_step *s = &p->steps[i];
        s->overhead_current_s = s->overhead_stage_s = s->overhead_align_s = 0;
        s->overhead_image_s = s->overhead_other_s = 0;
        fib_geom_kind k = s->pattern.kind;
        if (s->mills) {
            s->overhead_current_s = 2 * o->current_change_s;
            s->overhead_align_s = o->alignment_s;
            s->overhead_image_s = o->image_s;
            if (last_kV > 0 && s->energy_keV != last_kV)
                s->overhead_other_s += o->kv_change_s;
            last_kV = s->energy_keV;
            s->overhead_other_s += setup_of(o, &s->pattern);
        }
        /* stage move to the site at the start and whenever the stage tilt
         * (beam incidence) changes */
        if (i == 0 || s->pattern.incidence_deg != last_inc)
            s->overhead_stage_s = o->stage_move_s;
        last_inc = s->pattern.incidence_deg;
        switch (k) {
        case FIB_GEOM_PROTECT:
            s->overhead_other_s += o->gis_s;
            if (!c->r->cryo)
                s->overhead_other_s +=
                    s->pattern.volume_um3 / o->deposit_rate_um3_s;
            break;
        case FIB_GEOM_ATTACH:
            s->overhead_other_s += o->needle_s;
            s->overhead_other_s +=
                c->r->cryo
                    ? o->ice_attach_s
                    : o->gis_s + s->pattern.volume_um3 / o->deposit_rate_um3_s;
            break;
        case FIB_GEOM_GRID_ATTACH:
            s->overhead_other_s += o->transfer_s;
            s->overhead_other_s +=
                c->r->cryo
                    ? o->ice_attach_s
                    : o->gis_s + s->pattern.volume_um3 / o->deposit_rate_um3_s;
            break;
        default:
            break;
        }
        if ((k == FIB_GEOM_THIN || k == FIB_GEOM_POLISH) && thin_start < 0)
            thin_start = t;
        s->overhead_s = s->overhead_current_s + s->overhead_stage_s +
                        s->overhead_align_s + s->overhead_image_s +
                        s->overhead_other_s;
        s->start_s = t;
        t += s->overhead_s + (s->mills ? s->commanded_time_s : 0);
        s->end_s = t;
        if (s->mills)
            p->milling_s += s->commanded_time_s;
    }
    p->total_s = t;
    double rate = c->r->cryo ? c->r->ice_growth_nm_h : 0;
    p->ice_session_nm = rate * t / 3600.0;
    p->ice_lamella_nm = thin_start >= 0 ? rate * (t - thin_start) / 3600.0 : 0;
}

static fib_status build(fib_plan *p, const fib_plan_materials *db,
                        fib_error *err)
{
    ctx c = {0};
    c.r = &p->req;
    c.io = &p->req.ions[p->ion_index];
    c.col = fib__plan_column(c.io);
    c.proj = fib_plan_projectile_of(c.io->ion);
    c.err = err;
    c.site = p->req.site;
    fib_status st = resolve_stack(&c, db, err);
    if (st != FIB_OK)
        return st;
    for (size_t i = 0; i < c.n_layers; i++)
        c.rate_main[i] = removal_rate(&c, &c.mat[i], c.io->energy_keV, NULL);
    snprintf(p->roi_name, sizeof p->roi_name, "%s", c.mat[c.roi].name);
    ladder L;
    memset(&L, 0, sizeof L);
    st = choose_ladder(&c, p->mode, p, &L, err);
    if (st != FIB_OK)
        return st;
    const double kV = c.io->energy_keV;
    double vpd;
    st = fib__plan_vpd(c.r, c.io, kV, &vpd, err);
    if (st != FIB_OK)
        return st;
    fib_geom_site s = c.site;
    s.rough_thickness_nm = L.t_rough_nm;
    s.target_thickness_nm = L.t_final_nm;
    lctx LC = {0};
    LC.c = &c;
    LC.overlap_um = c.site.thin_overlap_um;
    const bool lift =
        s.method == FIB_GEOM_LIFTOUT || s.method == FIB_GEOM_CRYO_LIFTOUT;
    /* lift-out: thinning passes that stay at or above the site's rough
     * thickness run on the bulk before the undercut (cleaning cross-
     * sections over the full lamella height); the chunk is lifted at the
     * thickness they leave */
    size_t n_pre = 0;
    double t_lift = L.t_rough_nm;
    if (lift)
        while (n_pre < L.n && !L.s[n_pre].polish &&
               L.s[n_pre].to_nm >= c.site.rough_thickness_nm) {
            t_lift = L.s[n_pre].to_nm;
            n_pre++;
        }
    fib_geom_pattern pats[20], cuts[20];
    size_t np = 0, nc = 0;
    st = fib_geom_coarse(&s, pats, 20, &np, err);
    if (st != FIB_OK)
        return st;
    fib_geom_site s_lift = s;
    s_lift.rough_thickness_nm = t_lift;
    st = fib_geom_coarse(&s_lift, cuts, 20, &nc, err);
    if (st != FIB_OK)
        return st;
    int n_thin = 0;
    size_t next_thin = 0;
    for (size_t i = 0; i < nc; i++) {
        /* protect and trench from the rough geometry, the rest from the
         * lift geometry; pre-thinning right after the trench */
        const fib_geom_pattern *g = &cuts[i];
        if (cuts[i].kind == FIB_GEOM_PROTECT || cuts[i].kind == FIB_GEOM_TRENCH)
            for (size_t k = 0; k < np; k++)
                if (pats[k].kind == cuts[i].kind)
                    g = &pats[k];
        fib_plan_step *st_ = new_step(p, g);
        if (!st_)
            return fib_error_set(err, FIB_ERANGE, "planner: too many steps");
        switch (g->kind) {
        case FIB_GEOM_PROTECT:
        case FIB_GEOM_ATTACH:
        case FIB_GEOM_GRID_ATTACH:
            st_->energy_keV = kV;
            st_->volume_um3 = g->volume_um3;
            break;
        case FIB_GEOM_TRENCH:
            fill_mill(&c, st_, kV, L.trench_pA, vpd);
            st_->distance_um = (L.t_rough_nm - L.t30_nm) * 5e-4;
            st_->thickness_after_nm = L.t_rough_nm;
            break;
        case FIB_GEOM_STRESS_RELIEF:
            fill_mill(&c, st_, kV, L.relief_pA, vpd);
            break;
        case FIB_GEOM_FIDUCIAL:
            fill_mill(&c, st_, kV, L.fiducial_pA, vpd);
            break;
        default:
            fill_mill(&c, st_, kV, L.cut_pA, vpd);
            break;
        }
        if (g->kind == FIB_GEOM_TRENCH)
            for (; next_thin < n_pre; next_thin++) {
                const lstep *ls = &L.s[next_thin];
                char name[FIB_GEOM_NAME_SIZE];
                snprintf(name, sizeof name, "prethin-%d", ++n_thin);
                fib_geom_site s_pre = s;
                s_pre.window_height_um = s.lamella_height_um;
                s_pre.thin_overlap_um = window_overlap_um(&LC, ls->pA);
                fib_geom_pattern w;
                st = fib_geom_window(&s_pre, FIB_GEOM_THIN, name, ls->from_nm,
                                     ls->to_nm, &w, err);
                if (st != FIB_OK)
                    return st;
                fib_plan_step *t_ = new_step(p, &w);
                if (!t_)
                    return fib_error_set(err, FIB_ERANGE,
                                         "planner: too many steps");
                fill_mill(&c, t_, ls->kV, ls->pA, vpd);
                t_->distance_um = (ls->to_nm - L.t30_nm) * 5e-4;
            }
    }
    for (size_t i = next_thin; i < L.n; i++) {
        const lstep *ls = &L.s[i];
        char name[FIB_GEOM_NAME_SIZE];
        if (ls->polish || i + 1 == L.n || L.s[i + 1].polish)
            snprintf(name, sizeof name, "polish-%gkV", ls->kV);
        else
            snprintf(name, sizeof name, "thin-%d", ++n_thin);
        fib_geom_pattern w;
        fib_geom_site s_w = s;
        s_w.thin_overlap_um = window_overlap_um(&LC, ls->pA);
        /* the final main-kV pass covers the useful window only */
        if (!ls->polish && (i + 1 == L.n || L.s[i + 1].polish))
            s_w.window_height_um = s.polish_depth_um;
        st = fib_geom_window(&s_w, ls->polish ? FIB_GEOM_POLISH : FIB_GEOM_THIN,
                             name, ls->from_nm, ls->to_nm, &w, err);
        if (st != FIB_OK)
            return st;
        fib_plan_step *st_ = new_step(p, &w);
        if (!st_)
            return fib_error_set(err, FIB_ERANGE, "planner: too many steps");
        double v;
        st = fib__plan_vpd(c.r, c.io, ls->kV, &v, err);
        if (st != FIB_OK)
            return st;
        fill_mill(&c, st_, ls->kV, ls->pA, v);
        st_->distance_um =
            (ls->to_nm - (ls->polish ? L.t_final_nm : L.t30_nm)) * 5e-4;
    }
    /* Damage and thickness follow the physics: each thin/polish step
     * leaves max(its own damage, the damage before minus the slab it took
     * off each face); a step that would take off more than the lamella
     * has is an error. */
    double dmg_prev = damage_nm(&c, kV); /* trench faces: main energy */
    for (size_t i = 0; i < p->n_steps; i++) {
        fib_plan_step *q = &p->steps[i];
        fib_geom_kind k = q->pattern.kind;
        if (!q->mills || (k != FIB_GEOM_THIN && k != FIB_GEOM_POLISH))
            continue;
        if (2 * q->removed_per_face_nm >= q->thickness_before_nm)
            return fib_error_set(err, FIB_ERANGE,
                                 "planner: %s would consume the lamella: "
                                 "%.0f nm per face off a %.0f nm lamella",
                                 q->name, q->removed_per_face_nm,
                                 q->thickness_before_nm);
        double own = q->damage_depth_nm;
        double left = dmg_prev - q->removed_per_face_nm;
        q->damage_depth_nm = left > own ? left : own;
        dmg_prev = q->damage_depth_nm;
    }
    timeline(&c, p);
    p->final_thickness_nm = L.t_final_nm;
    const fib_plan_step *last = &p->steps[p->n_steps - 1];
    p->final_damage_nm = last->damage_depth_nm;
    {
        double core = L.t_final_nm - 2 * p->final_damage_nm;
        if (core < c.r->useful_core_nm)
            add_warn(p,
                     "final lamella %.0f nm keeps %.0f nm undamaged between "
                     "2 x %.1f nm of damage, less than the useful core %.0f "
                     "nm",
                     L.t_final_nm, core, p->final_damage_nm,
                     c.r->useful_core_nm);
    }
    fib_plan_sputter_result res;
    memset(&res, 0, sizeof res);
    removal_rate(&c, &c.mat[c.roi], last->energy_keV, &res);
    p->implanted = res.implanted_fraction;

    /* warnings */
    for (size_t i = 0; i < c.n_layers; i++) {
        unsigned w = 0;
        char text[512];
        fib_plan_warning_params wp = {0};
        wp.ion = c.io->ion;
        wp.energy_keV = kV;
        wp.cryo = c.r->cryo;
        if ((int)i == c.roi) {
            /* heating at the first thinning current, damage at the energy
             * of the last pass */
            wp.current_nA = L.s[0].pA * 1e-3;
            wp.probe_d_nm = probe_nm(&c, kV, L.s[0].pA);
        }
        if (fib_plan_check_warnings(&c.mat[i], &wp, &w, text, sizeof text,
                                    NULL) != FIB_OK)
            continue;
        w &= ~(unsigned)FIB_PLAN_WARN_DENSITY_EST;
        if (!w)
            continue;
        char *save = text, *tok;
        while ((tok = save) != NULL) {
            char *semi = strchr(tok, ';');
            if (semi) {
                *semi = 0;
                save = semi + 1;
            } else {
                save = NULL;
            }
            while (*tok == ' ')
                tok++;
            if (*tok)
                add_warn(p, "%s: %s", c.mat[i].name, tok);
        }
    }
    {
        unsigned w = 0;
        char text[512];
        fib_plan_warning_params wp = {0};
        wp.ion = c.io->ion;
        wp.energy_keV = p->steps[p->n_steps - 1].energy_keV;
        wp.cryo = c.r->cryo;
        wp.lamella_thickness_nm = L.t_final_nm;
        if (fib_plan_check_warnings(&c.mat[c.roi], &wp, &w, text, sizeof text,
                                    NULL) == FIB_OK &&
            (w & FIB_PLAN_WARN_DAMAGE_HALF))
            add_warn(p,
                     "%s: damage layer of the last pass (%g kV) exceeds half "
                     "the %.0f nm lamella",
                     c.mat[c.roi].name, wp.energy_keV, L.t_final_nm);
    }
    if (c.io->ion == FIB_PLAN_ION_GA && !c.r->cryo)
        for (size_t i = 0; i < c.n_layers; i++)
            if (c.mat[i].sens_flags & FIB_PLAN_SENS_LI_GA_ALLOY)
                add_warn(p,
                         "Ga on %s at room temperature: Li-Ga alloying and "
                         "melting artefacts; use cryo or a Xe/Ar plasma FIB",
                         c.mat[i].name);
    /* a step whose dose cannot reach its depth (a layer in the way does
     * not mill at this energy): the only case where the physical depth
     * falls short after the solve */
    for (size_t i = 0; i < p->n_steps; i++) {
        const fib_plan_step *q = &p->steps[i];
        if (!q->mills || !(q->target_depth_um > 0) ||
            q->physical_depth_um >= 0.99 * q->target_depth_um)
            continue;
        add_warn(p,
                 "%s reaches %.2f of the %.2f um it needs: a layer in the "
                 "way does not mill with %s at %g kV; commanded %.2f um "
                 "(application %s)",
                 q->name, q->physical_depth_um, q->target_depth_um,
                 ion_sym(q->ion), q->energy_keV, q->commanded_depth_um,
                 c.r->application);
    }
    if (c.r->cryo && p->ice_lamella_nm > 0)
        add_warn(p,
                 "ice budget: %.0f nm of ice may condense on the lamella "
                 "between the start of thinning and the end (%.0f nm/h); "
                 "%.0f nm over the session",
                 p->ice_lamella_nm, c.r->ice_growth_nm_h, p->ice_session_nm);
    double wedge = fib_geom_wedge_nm(&s);
    if (wedge > 0.5 * L.t_final_nm)
        add_warn(p,
                 "residual wedge %.0f nm over the %.1f um lamella height "
                 "(taper %.1f deg, over-tilt %.1f deg): increase over-tilt",
                 wedge, s.lamella_height_um, s.taper_deg, s.overtilt_deg);
    return FIB_OK;
}

fib_status fib_plan_stage_solve(const fib_plan_request *req,
                                const fib_plan_stage *stage,
                                const fib_plan_materials *db,
                                fib_plan_stage_result *out, fib_error *err)
{
    if (!req || !stage || !out)
        return fib_error_set(err, FIB_EINVAL, "planner: NULL argument");
    memset(out, 0, sizeof *out);
    const fib_geom_pattern *g = &stage->pattern;
    if (!(stage->current_pA > 0) || !isfinite(stage->current_pA))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: stage current_pA must be > 0 (got %g)",
                             stage->current_pA);
    if (!(stage->time_s >= 0) || !isfinite(stage->time_s))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: stage time_s must be >= 0 (got %g)",
                             stage->time_s);
    if (!(g->area_um2 > 0) || !(g->volume_um3 >= 0) ||
        (stage->time_s == 0 && !(g->depth_um > 0)))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: stage pattern needs an area > 0 and a "
                             "depth > 0 (got %g um^2, %g um)",
                             g->area_um2, g->depth_um);
    fib_plan_request *r = malloc(sizeof *r);
    if (!r)
        return fib_error_set(err, FIB_ENOMEM, "planner: out of memory");
    *r = *req;
    r->n_ions = 1;
    r->ions[0] = stage->ion;
    r->ions[0].n_presets = 0; /* the column's: the stage current is free */
    fib_status st = fib_plan_request_check(r, db, err);
    if (st == FIB_OK) {
        fib__plan_request_defaults(r);
        ctx c = {0};
        c.r = r;
        c.io = &r->ions[0];
        c.col = fib__plan_column(c.io);
        c.proj = fib_plan_projectile_of(c.io->ion);
        c.err = err;
        c.site = r->site;
        st = resolve_stack(&c, db, err);
        double vpd = 0, kV = c.io->energy_keV;
        if (st == FIB_OK)
            st = fib__plan_vpd(r, c.io, kV, &vpd, err);
        if (st == FIB_OK) {
            for (size_t i = 0; i < c.n_layers; i++)
                c.rate_main[i] = removal_rate(&c, &c.mat[i], kV, NULL);
            const double I_nA = stage->current_pA * 1e-3;
            out->vpd_um3_per_nC = vpd;
            out->instrument_time_s = g->volume_um3 / (vpd * I_nA);
            if (stage->time_s > 0) {
                /* time-controlled: the dose is given; the depth follows
                 * (uniform over the boxes) */
                double rates[FIB_PLAN_MAX_LAYERS + 1];
                layer_rates(&c, kV, rates);
                size_t first = g->kind == FIB_GEOM_UNDERCUT ? (size_t)c.roi : 0;
                double w =
                    (g->kind == FIB_GEOM_THIN || g->kind == FIB_GEOM_POLISH)
                        ? 0
                        : pattern_narrow_um(g);
                out->time_s = stage->time_s;
                out->dose_nC = I_nA * stage->time_s;
                double q = out->dose_nC / g->area_um2;
                out->commanded_depth_um = q * vpd;
                out->physical_depth_um = stack_depth(&c, rates, q, w, first);
            } else {
                solve sv = solve_pattern(&c, g, kV, vpd);
                out->dose_nC = sv.dose_nC;
                out->time_s = sv.dose_nC / I_nA;
                out->commanded_depth_um = g->depth_um * sv.scale;
                out->physical_depth_um = sv.phys_depth_um;
            }
            out->setup_s = setup_of(&r->overheads, g);
            out->wall_time_s =
                (stage->time_s > 0 ? stage->time_s : out->instrument_time_s) +
                out->setup_s;
        }
    }
    free(r);
    return st;
}

fib_status fib_plan_create(const fib_plan_request *req, size_t ion_index,
                           fib_plan_ladder_mode mode,
                           const fib_plan_materials *db, fib_plan **out,
                           fib_error *err)
{
    if (!req || !out)
        return fib_error_set(err, FIB_EINVAL, "planner: NULL argument");
    *out = NULL;
    fib_status st = fib_plan_request_check(req, db, err);
    if (st != FIB_OK)
        return st;
    fib_plan *p = calloc(1, sizeof *p);
    if (!p)
        return fib_error_set(err, FIB_ENOMEM, "planner: out of memory");
    p->req = *req;
    fib__plan_request_defaults(&p->req);
    if (ion_index >= p->req.n_ions) {
        size_t n = p->req.n_ions;
        free(p);
        return fib_error_set(err, FIB_EINVAL,
                             "planner: ion index %zu >= %zu species", ion_index,
                             n);
    }
    p->ion_index = ion_index;
    p->ion = p->req.ions[ion_index].ion;
    p->mode = mode;
    st = build(p, db, err);
    if (st != FIB_OK) {
        free(p);
        return st;
    }
    *out = p;
    return FIB_OK;
}

void fib_plan_destroy(fib_plan *plan)
{
    free(plan);
}

size_t fib_plan_step_count(const fib_plan *p)
{
    return p ? p->n_steps : 0;
}

const fib_plan_step *fib_plan_step_get(const fib_plan *p, size_t i)
{
    return p && i < p->n_steps ? &p->steps[i] : NULL;
}

fib_plan_ion fib_plan_get_ion(const fib_plan *p)
{
    return p->ion;
}

fib_plan_ladder_mode fib_plan_get_mode(const fib_plan *p)
{
    return p->mode;
}

double fib_plan_total_time_s(const fib_plan *p)
{
    return p->total_s;
}

double fib_plan_milling_time_s(const fib_plan *p)
{
    return p->milling_s;
}

double fib_plan_final_thickness_nm(const fib_plan *p)
{
    return p->final_thickness_nm;
}

double fib_plan_final_damage_nm(const fib_plan *p)
{
    return p->final_damage_nm;
}

double fib_plan_implanted_at_faces(const fib_plan *p)
{
    return p->implanted;
}

double fib_plan_ice_on_lamella_nm(const fib_plan *p)
{
    return p->ice_lamella_nm;
}

double fib_plan_ice_session_nm(const fib_plan *p)
{
    return p->ice_session_nm;
}

size_t fib_plan_warning_count(const fib_plan *p)
{
    return p->n_warn;
}

const char *fib_plan_warning_get(const fib_plan *p, size_t i)
{
    return i < p->n_warn ? p->warn[i] : NULL;
}

const char *fib_plan_roi_material(const fib_plan *p)
{
    return p->roi_name;
}

const fib_plan_request *fib_plan_get_request(const fib_plan *p)
{
    return &p->req;
}
