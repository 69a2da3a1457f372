/*
 * plan.c -- session plans: the step list of one ion species (geometry from
 * fib_geom_coarse/fib_geom_window, physics from plan_model.c, currents from
 * the ladder of plan_ladder.c, where the rules R1-R7 are listed), the
 * damage carried from step to step, the session timeline and the plan's
 * warnings; fib_plan_stage_solve for one free stage.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

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

/* ---------------------------------------------------------------------- */

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

static const char *ion_sym(fib_plan_ion ion)
{
    const fib_plan_ion_info *inf = fib_plan_ion_get(ion);
    return inf ? inf->symbol : "?";
}

/* Put the steps on the timeline with their overheads. */
static void timeline(const fib__plan_ctx *c, fib_plan *p)
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

/* State of one plan build: the context, the chosen ladder and the site
 * with the ladder's rough and final thickness. */
typedef struct bld {
    fib_plan *p;
    const fib__plan_ctx *c;
    const fib__plan_ladder *L;
    fib__plan_lctx LC; /* for the window overlaps */
    fib_geom_site s;
    double kV, vpd;   /* main energy and its application VPD */
    int n_thin;       /* thinning windows named so far */
    size_t next_thin; /* first ladder step not yet on the plan */
} bld;

static fib_plan_step *new_step_or_err(fib_plan *p, const fib_geom_pattern *g,
                                      fib_error *err)
{
    fib_plan_step *s = new_step(p, g);
    if (!s)
        fib_error_set(err, FIB_ERANGE, "planner: too many steps");
    return s;
}

/* Lift-out pre-thinning: ladder steps [b->next_thin, n_pre) as windows
 * over the full lamella height, right after the trench. */
static fib_status add_prethin(bld *b, size_t n_pre, fib_error *err)
{
    const fib__plan_ladder *L = b->L;
    for (; b->next_thin < n_pre; b->next_thin++) {
        const fib__plan_lstep *ls = &L->s[b->next_thin];
        char name[FIB_GEOM_NAME_SIZE];
        snprintf(name, sizeof name, "prethin-%d", ++b->n_thin);
        fib_geom_site s_pre = b->s;
        s_pre.window_height_um = b->s.lamella_height_um;
        s_pre.thin_overlap_um = fib__plan_window_overlap_um(&b->LC, ls->pA);
        fib_geom_pattern w;
        fib_status st = fib_geom_window(&s_pre, FIB_GEOM_THIN, name,
                                        ls->from_nm, ls->to_nm, &w, err);
        if (st != FIB_OK)
            return st;
        fib_plan_step *t_ = new_step_or_err(b->p, &w, err);
        if (!t_)
            return FIB_ERANGE;
        fib__plan_fill_mill(b->c, t_, ls->kV, ls->pA, b->vpd);
        t_->distance_um = (ls->to_nm - L->t30_nm) * 5e-4;
    }
    return FIB_OK;
}

/* The coarse steps (protect, trench, cuts, slots, fiducials, attach) and,
 * for lift-out, the pre-thinning passes that stay at or above the site's
 * rough thickness: they run on the bulk before the undercut (cleaning
 * cross-sections over the full lamella height); the chunk is lifted at
 * the thickness they leave. */
static fib_status add_coarse(bld *b, fib_error *err)
{
    const fib__plan_ladder *L = b->L;
    const fib__plan_ctx *c = b->c;
    const bool lift =
        b->s.method == FIB_GEOM_LIFTOUT || b->s.method == FIB_GEOM_CRYO_LIFTOUT;
    size_t n_pre = 0;
    double t_lift = L->t_rough_nm;
    if (lift)
        while (n_pre < L->n && !L->s[n_pre].polish &&
               L->s[n_pre].to_nm >= c->site.rough_thickness_nm) {
            t_lift = L->s[n_pre].to_nm;
            n_pre++;
        }
    fib_geom_pattern pats[20], cuts[20];
    size_t np = 0, nc = 0;
    fib_status st = fib_geom_coarse(&b->s, pats, 20, &np, err);
    if (st != FIB_OK)
        return st;
    fib_geom_site s_lift = b->s;
    s_lift.rough_thickness_nm = t_lift;
    st = fib_geom_coarse(&s_lift, cuts, 20, &nc, err);
    if (st != FIB_OK)
        return st;
    for (size_t i = 0; i < nc; i++) {
        /* protect and trench from the rough geometry, the rest from the
         * lift geometry; pre-thinning right after the trench */
        const fib_geom_pattern *g = &cuts[i];
        if (cuts[i].kind == FIB_GEOM_PROTECT || cuts[i].kind == FIB_GEOM_TRENCH)
            for (size_t k = 0; k < np; k++)
                if (pats[k].kind == cuts[i].kind)
                    g = &pats[k];
        fib_plan_step *st_ = new_step_or_err(b->p, g, err);
        if (!st_)
            return FIB_ERANGE;
        switch (g->kind) {
        case FIB_GEOM_PROTECT:
        case FIB_GEOM_ATTACH:
        case FIB_GEOM_GRID_ATTACH:
            st_->energy_keV = b->kV;
            st_->volume_um3 = g->volume_um3;
            break;
        case FIB_GEOM_TRENCH:
            fib__plan_fill_mill(c, st_, b->kV, L->trench_pA, b->vpd);
            st_->distance_um = (L->t_rough_nm - L->t30_nm) * 5e-4;
            st_->thickness_after_nm = L->t_rough_nm;
            break;
        case FIB_GEOM_STRESS_RELIEF:
            fib__plan_fill_mill(c, st_, b->kV, L->relief_pA, b->vpd);
            break;
        case FIB_GEOM_FIDUCIAL:
            fib__plan_fill_mill(c, st_, b->kV, L->fiducial_pA, b->vpd);
            break;
        default:
            fib__plan_fill_mill(c, st_, b->kV, L->cut_pA, b->vpd);
            break;
        }
        if (g->kind == FIB_GEOM_TRENCH) {
            st = add_prethin(b, n_pre, err);
            if (st != FIB_OK)
                return st;
        }
    }
    return FIB_OK;
}

/* The thinning and polishing windows of the ladder not yet on the plan. */
static fib_status add_windows(bld *b, fib_error *err)
{
    const fib__plan_ladder *L = b->L;
    const fib__plan_ctx *c = b->c;
    for (size_t i = b->next_thin; i < L->n; i++) {
        const fib__plan_lstep *ls = &L->s[i];
        char name[FIB_GEOM_NAME_SIZE];
        if (ls->polish || i + 1 == L->n || L->s[i + 1].polish)
            snprintf(name, sizeof name, "polish-%gkV", ls->kV);
        else
            snprintf(name, sizeof name, "thin-%d", ++b->n_thin);
        fib_geom_pattern w;
        fib_geom_site s_w = b->s;
        s_w.thin_overlap_um = fib__plan_window_overlap_um(&b->LC, ls->pA);
        /* the final main-kV pass covers the useful window only */
        if (!ls->polish && (i + 1 == L->n || L->s[i + 1].polish))
            s_w.window_height_um = b->s.polish_depth_um;
        fib_status st =
            fib_geom_window(&s_w, ls->polish ? FIB_GEOM_POLISH : FIB_GEOM_THIN,
                            name, ls->from_nm, ls->to_nm, &w, err);
        if (st != FIB_OK)
            return st;
        fib_plan_step *st_ = new_step_or_err(b->p, &w, err);
        if (!st_)
            return FIB_ERANGE;
        double v;
        st = fib__plan_vpd(c->r, c->io, ls->kV, &v, err);
        if (st != FIB_OK)
            return st;
        fib__plan_fill_mill(c, st_, ls->kV, ls->pA, v);
        st_->distance_um =
            (ls->to_nm - (ls->polish ? L->t_final_nm : L->t30_nm)) * 5e-4;
    }
    return FIB_OK;
}

/* Damage and thickness follow the physics: each thin/polish step leaves
 * max(its own damage, the damage before minus the slab it took off each
 * face); a step that would take off more than the lamella has is an
 * error.  @p dmg_prev: the damage the trench faces carry. */
static fib_status carry_damage(fib_plan *p, double dmg_prev, fib_error *err)
{
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
    return FIB_OK;
}

/* Material warnings of every layer (the ROI with the first thinning
 * current and probe), each ';'-separated item its own warning. */
static void warn_layers(const bld *b)
{
    const fib__plan_ctx *c = b->c;
    const fib__plan_ladder *L = b->L;
    for (size_t i = 0; i < c->n_layers; i++) {
        unsigned w = 0;
        char text[512];
        fib_plan_warning_params wp = {0};
        wp.ion = c->io->ion;
        wp.energy_keV = b->kV;
        wp.cryo = c->r->cryo;
        if ((int)i == c->roi) {
            /* heating at the first thinning current, damage at the energy
             * of the last pass */
            wp.current_nA = L->s[0].pA * 1e-3;
            wp.probe_d_nm = fib__plan_probe_nm(c, b->kV, L->s[0].pA);
        }
        if (fib_plan_check_warnings(&c->mat[i], &wp, &w, text, sizeof text,
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
                fib__plan_warn(b->p, "%s: %s", c->mat[i].name, tok);
        }
    }
}

/* Warnings on the finished plan: damage of the last pass, Li-Ga alloying,
 * steps short of their depth, ice budget, residual wedge. */
static void warn_plan(const bld *b)
{
    const fib__plan_ctx *c = b->c;
    const fib__plan_ladder *L = b->L;
    fib_plan *p = b->p;
    {
        unsigned w = 0;
        char text[512];
        fib_plan_warning_params wp = {0};
        wp.ion = c->io->ion;
        wp.energy_keV = p->steps[p->n_steps - 1].energy_keV;
        wp.cryo = c->r->cryo;
        wp.lamella_thickness_nm = L->t_final_nm;
        if (fib_plan_check_warnings(&c->mat[c->roi], &wp, &w, text, sizeof text,
                                    NULL) == FIB_OK &&
            (w & FIB_PLAN_WARN_DAMAGE_HALF))
            fib__plan_warn(
                p,
                "%s: damage layer of the last pass (%g kV) exceeds half "
                "the %.0f nm lamella",
                c->mat[c->roi].name, wp.energy_keV, L->t_final_nm);
    }
    if (c->io->ion == FIB_PLAN_ION_GA && !c->r->cryo)
        for (size_t i = 0; i < c->n_layers; i++)
            if (c->mat[i].sens_flags & FIB_PLAN_SENS_LI_GA_ALLOY)
                fib__plan_warn(
                    p,
                    "Ga on %s at room temperature: Li-Ga alloying and "
                    "melting artefacts; use cryo or a Xe/Ar plasma FIB",
                    c->mat[i].name);
    /* a step whose dose cannot reach its depth (a layer in the way does
     * not mill at this energy): the only case where the physical depth
     * falls short after the solve */
    for (size_t i = 0; i < p->n_steps; i++) {
        const fib_plan_step *q = &p->steps[i];
        if (!q->mills || !(q->target_depth_um > 0) ||
            q->physical_depth_um >= 0.99 * q->target_depth_um)
            continue;
        fib__plan_warn(
            p,
            "%s reaches %.2f of the %.2f um it needs: a layer in the "
            "way does not mill with %s at %g kV; commanded %.2f um "
            "(application %s)",
            q->name, q->physical_depth_um, q->target_depth_um, ion_sym(q->ion),
            q->energy_keV, q->commanded_depth_um, c->r->application);
    }
    if (c->r->cryo && p->ice_lamella_nm > 0)
        fib__plan_warn(p,
                       "ice budget: %.0f nm of ice may condense on the lamella "
                       "between the start of thinning and the end (%.0f nm/h); "
                       "%.0f nm over the session",
                       p->ice_lamella_nm, c->r->ice_growth_nm_h,
                       p->ice_session_nm);
    double wedge = fib_geom_wedge_nm(&b->s);
    if (wedge > 0.5 * L->t_final_nm)
        fib__plan_warn(
            p,
            "residual wedge %.0f nm over the %.1f um lamella height "
            "(taper %.1f deg, over-tilt %.1f deg): increase over-tilt",
            wedge, b->s.lamella_height_um, b->s.taper_deg, b->s.overtilt_deg);
}

/* Build plan @p p: context, ladder, steps, damage, timeline, warnings. */
static fib_status build(fib_plan *p, const fib_plan_materials *db,
                        fib_error *err)
{
    fib__plan_ctx c;
    fib_status st =
        fib__plan_ctx_init(&c, &p->req, p->ion_index, &p->req.site, db, err);
    if (st != FIB_OK)
        return st;
    snprintf(p->roi_name, sizeof p->roi_name, "%s", c.mat[c.roi].name);
    fib__plan_ladder L;
    memset(&L, 0, sizeof L);
    st = fib__plan_choose_ladder(&c, p->mode, p, &L, err);
    if (st != FIB_OK)
        return st;
    bld b = {0};
    b.p = p;
    b.c = &c;
    b.L = &L;
    b.kV = c.io->energy_keV;
    st = fib__plan_vpd(c.r, c.io, b.kV, &b.vpd, err);
    if (st != FIB_OK)
        return st;
    b.s = c.site;
    b.s.rough_thickness_nm = L.t_rough_nm;
    b.s.target_thickness_nm = L.t_final_nm;
    b.LC.c = &c;
    b.LC.overlap_um = c.site.thin_overlap_um;
    st = add_coarse(&b, err);
    if (st == FIB_OK)
        st = add_windows(&b, err);
    if (st == FIB_OK) /* trench faces: main energy */
        st = carry_damage(p, fib__plan_damage_nm(&c, b.kV), err);
    if (st != FIB_OK)
        return st;
    timeline(&c, p);
    p->final_thickness_nm = L.t_final_nm;
    const fib_plan_step *last = &p->steps[p->n_steps - 1];
    p->final_damage_nm = last->damage_depth_nm;
    double core = L.t_final_nm - 2 * p->final_damage_nm;
    if (core < c.r->useful_core_nm)
        fib__plan_warn(p,
                       "final lamella %.0f nm keeps %.0f nm undamaged between "
                       "2 x %.1f nm of damage, less than the useful core %.0f "
                       "nm",
                       L.t_final_nm, core, p->final_damage_nm,
                       c.r->useful_core_nm);
    fib_plan_sputter_result res;
    memset(&res, 0, sizeof res);
    fib__plan_removal_rate(&c, &c.mat[c.roi], last->energy_keV, &res);
    p->implanted = res.implanted_fraction;
    warn_layers(&b);
    warn_plan(&b);
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
        fib__plan_ctx c;
        st = fib__plan_ctx_init(&c, r, 0, &r->site, db, err);
        double vpd = 0, kV = c.io->energy_keV;
        if (st == FIB_OK)
            st = fib__plan_vpd(r, c.io, kV, &vpd, err);
        if (st == FIB_OK) {
            const double I_nA = stage->current_pA * 1e-3;
            out->vpd_um3_per_nC = vpd;
            out->instrument_time_s = g->volume_um3 / (vpd * I_nA);
            if (stage->time_s > 0) {
                /* time-controlled: the dose is given; the depth follows
                 * (uniform over the boxes) */
                double rates[FIB_PLAN_MAX_LAYERS + 1];
                fib__plan_layer_rates(&c, kV, rates);
                size_t first = g->kind == FIB_GEOM_UNDERCUT ? (size_t)c.roi : 0;
                double w =
                    (g->kind == FIB_GEOM_THIN || g->kind == FIB_GEOM_POLISH)
                        ? 0
                        : fib__plan_pattern_narrow_um(g);
                out->time_s = stage->time_s;
                out->dose_nC = I_nA * stage->time_s;
                double q = out->dose_nC / g->area_um2;
                out->commanded_depth_um = q * vpd;
                out->physical_depth_um =
                    fib__plan_stack_depth(&c, rates, q, w, first);
            } else {
                fib__plan_solve sv = fib__plan_solve_pattern(&c, g, kV, vpd);
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
