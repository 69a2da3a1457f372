/*
 * plan_ladder.c -- the rules of a session plan and its current ladders
 * (default and optimized); the steps and timeline: plan.c, the removal
 * model: plan_model.c.
 *
 * Rules (planner/PLANNER.md):
 *  R1 tail rule: a pattern at current I keeps its inner edge at least
 *     tail_factor * w(I) from the face the main-energy ladder ends on,
 *     with w the probe WIDTH INCLUDING TAILS (planner-physics.md 4.3: "the
 *     larger width for pattern-edge/overspray"): Ga = the Zeiss Crossbeam
 *     ProbeTable width fit (236 nm (I/nA)^0.525 at 30 kV, column
 *     ga-lmis-zeiss), applied as its ratio to the Ga column's FWHM fit;
 *     plasma columns = the core width 200 nm (I/nA)^0.5 [U]
 *     (fib__plan_rule_probe_nm; not the PFIB pattern diameter the column
 * reports, which the published Xe ladders contradict).  Default k = 1.5: the
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
#include <stdio.h>
#include <string.h>

#include "plan_internal.h"

#define POLISH_EDGE_RATIO 2.0
#define FIDUCIAL_MAX_PA 7600.0 /* largest AutoLamella fiducial current */
#define LOWKV_RATIO 2.0
#define DAMAGE_MARGIN 1.25
#define HEAT_ZONE_NM 2000.0
#define RELIEF_SLOT_UM 0.5

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

/* Per milling step overhead excluding stage moves and kV changes, for a
 * cross-section pattern (thinning windows are cleaning cross-sections: the
 * pattern set-up applies, as on the timeline). */
static double step_overhead(const fib_plan_overheads *o)
{
    return 2 * o->current_change_s + o->alignment_s + o->image_s +
           o->pattern_setup_s;
}

/* Effective volume per dose (um^3/nC) of a main-kV thinning window of
 * height h: h / dose density to reach h through the stack. */
static double window_veff(const fib__plan_ctx *c, double h, double vpd)
{
    double rates[FIB_PLAN_MAX_LAYERS + 1];
    fib__plan_layer_rates(c, c->io->energy_keV, rates);
    double q = fib__plan_stack_dose(c, rates, h, 0, 0);
    return isfinite(q) && q > 0 ? h / q : vpd;
}

/* Overlap of a main-energy window at current pA: the box reaches past the
 * slab by three probe diameters (the beam tail), at least 50 nm and at
 * most the site's thin_overlap_um. */
double fib__plan_window_overlap_um(const fib__plan_lctx *L, double pA)
{
    double o = 3e-3 * fib__plan_rule_probe_nm(L->c, L->c->io->energy_keV, pA);
    if (o < 0.05)
        o = 0.05;
    return o < L->overlap_um ? o : L->overlap_um;
}

/* Commanded time + per-step overhead of a window pair from -> to; the
 * final main-kV pass (last) is commanded over the polishing depth. */
static double window_cost(const fib__plan_lctx *L, double vpd, double from,
                          double to, double pA, bool last)
{
    (void)vpd;
    bool full = L->pre_nm > 0 && to >= L->pre_nm;
    double h = full ? L->H_full_um : L->H_um;
    double veff = full ? L->veff_full : L->veff_H;
    if (last) {
        h = L->H_pol_um;
        veff = L->veff_pol;
    }
    double v = 2 * L->W_um *
               ((from - to) * 5e-4 + fib__plan_window_overlap_um(L, pA)) * h;
    return v / (veff * pA * 1e-3) + L->oh_step;
}

static double tail_thickness(const fib__plan_lctx *L, double t30, double pA)
{
    return t30 + 2 * L->c->r->tail_factor *
                     fib__plan_edge_width_nm(L->c, L->c->io->energy_keV, pA);
}

/* Optimal main-energy thinning from t_r to t30 ending with polish current
 * p_pA (DP over presets, rules R1, R2).  Writes the steps to out (may be
 * NULL) and returns the cost (HUGE_VAL when infeasible). */
static double thin_dp(const fib__plan_lctx *L, double t_r, double t30,
                      double p_pA, fib__plan_lstep *out, size_t *n_out)
{
    const fib__plan_ctx *c = L->c;
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
            out[n++] = (fib__plan_lstep){io->presets_pA[np - 1 - (size_t)k], kV,
                                         from, t[k], false};
            from = t[k];
        }
        out[n++] = (fib__plan_lstep){p_pA, kV, from, t30, false};
        *n_out = n;
    }
    return best;
}

/* The default main-energy ladder: protocol currents in order, each step
 * kept only when the rules allow it. */
static double thin_default(const fib__plan_lctx *L, double t_r, double t30,
                           double p_pA, fib__plan_lstep *out, size_t *n_out)
{
    const fib__plan_ctx *c = L->c;
    const double kV = c->io->energy_keV, need = 2 * DAMAGE_MARGIN * L->dmg_main;
    double from = t_r, cost = 0;
    size_t n = 0;
    for (int i = 0; i < 6 && c->io->ladder.thin_pA[i] > 0; i++) {
        double I = fib__plan_nearest_preset(c, c->io->ladder.thin_pA[i]);
        double to = tail_thickness(L, t30, I);
        if (!(I > p_pA) || from - to < need || to < t30 + need ||
            (I > L->heat_cap_pA && to < t30 + HEAT_ZONE_NM))
            continue;
        if (n > 0 && out[n - 1].pA == I)
            continue;
        cost += window_cost(L, L->vpd_main, from, to, I, false);
        out[n++] = (fib__plan_lstep){I, kV, from, to, false};
        from = to;
    }
    cost += window_cost(L, L->vpd_main, from, t30, p_pA, true);
    out[n++] = (fib__plan_lstep){p_pA, kV, from, t30, false};
    *n_out = n;
    return cost;
}

/* Main-energy numbers of the ladder search: application VPD, damage,
 * window sizes, overheads and effective volumes per dose. */
static fib_status lctx_init(fib__plan_lctx *L, const fib__plan_ctx *c,
                            fib_error *err)
{
    const double kV = c->io->energy_keV;
    memset(L, 0, sizeof *L);
    L->c = c;
    fib_status st = fib__plan_vpd(c->r, c->io, kV, &L->vpd_main, err);
    if (st != FIB_OK)
        return st;
    L->dmg_main = fib__plan_damage_nm(c, kV);
    L->W_um = c->site.lamella_width_um;
    L->H_um = c->site.window_height_um;
    L->H_full_um = c->site.lamella_height_um;
    L->H_pol_um = c->site.polish_depth_um;
    bool lift = c->site.method == FIB_GEOM_LIFTOUT ||
                c->site.method == FIB_GEOM_CRYO_LIFTOUT;
    L->pre_nm = lift ? c->site.rough_thickness_nm : 0;
    L->overlap_um = c->site.thin_overlap_um;
    L->oh_step = step_overhead(&c->r->overheads);
    L->veff_H = window_veff(c, L->H_um, L->vpd_main);
    L->veff_full = window_veff(c, L->H_full_um, L->vpd_main);
    L->veff_pol = window_veff(c, L->H_pol_um, L->vpd_main);
    return FIB_OK;
}

/* R3: final thickness from the last step's damage (raised with a warning
 * when the target is thinner), and the thickness the main-energy ladder
 * ends on: the low-kV schedule backwards, each pass removing the damage
 * of the one before (R2).  Into out->t_final_nm and out->t30_nm. */
static fib_status final_thickness(const fib__plan_ctx *c, fib_plan *p,
                                  fib__plan_ladder *out, fib_error *err)
{
    const fib_plan_request *r = c->r;
    const fib_plan_ion_setup *io = c->io;
    const double kV = io->energy_keV;
    double kv_last = r->n_polish_kV ? r->polish_kV[r->n_polish_kV - 1] : kV;
    double dmg_last = fib__plan_damage_nm(c, kv_last);
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
        fib__plan_warn(
            p,
            "target %.0f nm cannot be met with %s at %g kV: 2 x damage "
            "%.0f nm + core %.0f nm needs %.0f nm; final thickness "
            "raised to %.0f nm",
            t_final, fib_plan_ion_get(io->ion)->symbol, kv_last, dmg_last,
            r->useful_core_nm, t_min, t_min);
        t_final = t_min;
    }
    double t30 = t_final;
    for (size_t j = r->n_polish_kV; j-- > 0;) {
        double prev_kV = j == 0 ? kV : r->polish_kV[j - 1];
        t30 += 2 * DAMAGE_MARGIN * fib__plan_damage_nm(c, prev_kV);
    }
    out->t_final_nm = t_final;
    out->t30_nm = t30;
    return FIB_OK;
}

/* Current ceilings (R6 heat, R7 cryo) into @p L, the final main-energy
 * pass current (R4) returned, and the cut, fiducial and relief currents
 * (R5) into @p out. */
static double role_currents(fib__plan_lctx *L, fib_plan_ladder_mode mode,
                            fib__plan_ladder *out)
{
    const fib__plan_ctx *c = L->c;
    const fib_plan_request *r = c->r;
    const fib_plan_ion_setup *io = c->io;
    const double kV = io->energy_keV;
    bool hot = r->cryo || (c->mat[c->roi].sens_flags & FIB_PLAN_SENS_THERMAL);
    L->heat_cap_pA =
        !hot ? HUGE_VAL : (io->ion == FIB_PLAN_ION_GA ? 1000.0 : 4000.0);
    /* R7: at cryo the optimizer stays inside the published cryo currents
     * (Ga 28 nA, AutoLamella lift-out horseshoe; plasma 60 nA, SerialFIB
     * Arctis trench and the Xe HPF paper), or the request's own trench
     * current when that is higher */
    L->cryo_max_pA = HUGE_VAL;
    if (r->cryo && mode == FIB_PLAN_LADDER_OPTIMIZED)
        L->cryo_max_pA = fmax(io->ion == FIB_PLAN_ION_GA ? 28000.0 : 60000.0,
                              io->ladder.trench_pA);
    /* R4: final main-energy pass, at most the published polishing
     * current (both modes), edge-placement limit on the probe */
    double pol_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? fib__plan_nearest_preset(c, io->ladder.polish_pA)
                         : io->ladder.polish_pA;
    if (pol_cap > L->heat_cap_pA)
        pol_cap = L->heat_cap_pA;
    double p_pA =
        fib__plan_pick_preset(c, kV, pol_cap, out->t30_nm / POLISH_EDGE_RATIO);
    /* R5: cuts and slots */
    double b = c->site.undercut_width_um * 1e3;
    double cut_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? fib__plan_nearest_preset(c, io->ladder.cut_pA)
                         : L->cryo_max_pA;
    out->cut_pA = fib__plan_pick_preset_w(c, kV, cut_cap, b, true);
    /* fiducial bars are 1 um wide, far from the lamella */
    double fid_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? fib__plan_nearest_preset(c, io->ladder.fiducial_pA)
                         : fmax(io->ladder.fiducial_pA, FIDUCIAL_MAX_PA);
    out->fiducial_pA = fib__plan_pick_preset_w(c, kV, fid_cap, 1000.0, true);
    double rel_cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? fib__plan_nearest_preset(c, io->ladder.relief_pA)
                         : HUGE_VAL;
    if (rel_cap > L->heat_cap_pA) /* slots are a few um from the lamella */
        rel_cap = L->heat_cap_pA;
    out->relief_pA =
        fib__plan_pick_preset_w(c, kV, rel_cap, RELIEF_SLOT_UM * 1e3, true);
    return p_pA;
}

/* Lift-out: @p cost plus the time of the cuts, which scale with the
 * thickness the chunk is lifted at (the last pre-lift-out step of ladder
 * @p tmp); added term by term in the cuts' order. */
static double lift_cut_cost(const fib__plan_lctx *L, const fib_geom_site *s,
                            double t_r, const fib__plan_lstep *tmp, size_t nt,
                            double cut_pA, double cost)
{
    const double kV = L->c->io->energy_keV;
    double t_lift = t_r;
    for (size_t q = 0; q < nt && !tmp[q].polish && tmp[q].to_nm >= L->pre_nm;
         q++)
        t_lift = tmp[q].to_nm;
    fib_geom_site sl = *s;
    sl.rough_thickness_nm = t_lift;
    fib_geom_pattern cp[16];
    size_t ncp = 0;
    if (fib_geom_coarse(&sl, cp, 16, &ncp, NULL) == FIB_OK)
        for (size_t q = 0; q < ncp; q++)
            if (cp[q].kind == FIB_GEOM_SIDE_CUT ||
                cp[q].kind == FIB_GEOM_UNDERCUT ||
                cp[q].kind == FIB_GEOM_CUT_FREE)
                cost += fib__plan_solve_pattern(L->c, &cp[q], kV, L->vpd_main)
                            .dose_nC /
                        (cut_pA * 1e-3);
    return cost;
}

/* Trench current(s) and the main thinning ladder: every allowed trench
 * preset (the protocol one in the default mode) with its best thinning
 * ladder ending on @p p_pA; the cheapest into @p out. */
static fib_status search_trench(const fib__plan_lctx *L,
                                fib_plan_ladder_mode mode, double p_pA,
                                fib__plan_ladder *out, fib_error *err)
{
    const fib__plan_ctx *c = L->c;
    const fib_plan_ion_setup *io = c->io;
    const double kV = io->energy_keV, t30 = out->t30_nm;
    fib_geom_site s = c->site;
    s.target_thickness_nm = out->t_final_nm;
    fib_geom_pattern pats[16];
    size_t np = 0;
    fib_status st = fib_geom_coarse(&s, pats, 16, &np, err);
    if (st != FIB_OK)
        return st;
    double dose_trench = 0; /* nC to reach the trench depth */
    for (size_t i = 0; i < np; i++)
        if (pats[i].kind == FIB_GEOM_TRENCH)
            dose_trench =
                fib__plan_solve_pattern(c, &pats[i], kV, L->vpd_main).dose_nC;
    const double need = 2 * DAMAGE_MARGIN * L->dmg_main;
    double best = HUGE_VAL;
    for (size_t k = 0; k < io->n_presets; k++) {
        double I = io->presets_pA[k];
        if (mode == FIB_PLAN_LADDER_DEFAULT &&
            I != fib__plan_nearest_preset(c, io->ladder.trench_pA))
            continue;
        if (I > L->cryo_max_pA)
            continue;
        double t_r = c->site.rough_thickness_nm;
        double tt = tail_thickness(L, t30, I);
        if (tt > t_r)
            t_r = tt;
        if (t30 + need > t_r)
            t_r = t30 + need;
        if (I > L->heat_cap_pA && t_r < t30 + HEAT_ZONE_NM)
            t_r = t30 + HEAT_ZONE_NM; /* R6 for the trench itself */
        fib__plan_lstep tmp[FIB_PLAN_MAX_PRESETS + 1];
        size_t nt = 0;
        double cost = mode == FIB_PLAN_LADDER_DEFAULT
                          ? thin_default(L, t_r, t30, p_pA, tmp, &nt)
                          : thin_dp(L, t_r, t30, p_pA, tmp, &nt);
        if (!isfinite(cost))
            continue;
        cost += dose_trench / (I * 1e-3) + L->oh_step;
        if (L->pre_nm > 0)
            cost = lift_cut_cost(L, &s, t_r, tmp, nt, out->cut_pA, cost);
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
    return FIB_OK;
}

/* The low-kV passes after the main-energy ladder (R2, low-kV edge rule,
 * published low-kV currents, R6). */
static void add_lowkv(const fib__plan_lctx *L, fib_plan_ladder_mode mode,
                      fib__plan_ladder *out)
{
    const fib__plan_ctx *c = L->c;
    const fib_plan_request *r = c->r;
    const fib_plan_ion_setup *io = c->io;
    const double kV = io->energy_keV;
    double from = out->t30_nm;
    for (size_t j = 0; j < r->n_polish_kV; j++) {
        double prev_kV = j == 0 ? kV : r->polish_kV[j - 1];
        double to = from - 2 * DAMAGE_MARGIN * fib__plan_damage_nm(c, prev_kV);
        if (j + 1 == r->n_polish_kV)
            to = out->t_final_nm;
        double role = io->ladder.lowkv_pA[j] > 0
                          ? io->ladder.lowkv_pA[j]
                          : lowkv_default_pA(r->polish_kV[j]);
        double cap = mode == FIB_PLAN_LADDER_DEFAULT
                         ? fib__plan_nearest_preset(c, role)
                         : fmax(role, lowkv_max_pA(io->ion, r->polish_kV[j]));
        if (cap > L->heat_cap_pA)
            cap = L->heat_cap_pA;
        double I =
            fib__plan_pick_preset(c, r->polish_kV[j], cap, LOWKV_RATIO * to);
        out->s[out->n++] =
            (fib__plan_lstep){I, r->polish_kV[j], from, to, true};
        from = to;
    }
}

/* Choose the ladder (default or optimized). */
fib_status fib__plan_choose_ladder(const fib__plan_ctx *c,
                                   fib_plan_ladder_mode mode, fib_plan *p,
                                   fib__plan_ladder *out, fib_error *err)
{
    fib__plan_lctx L;
    fib_status st = lctx_init(&L, c, err);
    if (st == FIB_OK)
        st = final_thickness(c, p, out, err);
    if (st != FIB_OK)
        return st;
    double p_pA = role_currents(&L, mode, out);
    st = search_trench(&L, mode, p_pA, out, err);
    if (st != FIB_OK)
        return st;
    add_lowkv(&L, mode, out);
    return FIB_OK;
}
