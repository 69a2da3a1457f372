/*
 * plan_extra.c -- embedded default session, ion comparison, workflow
 * recommender (Shin et al., Table 1) and slice-and-view run planning.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/session.h"
#include "plan_internal.h"

/* Slice and view: largest probe / slice ratio accepted by the current
 * rule (and warned beyond) [U]. */
#define SV_PROBE_MAX 10.0

void fib_plan_request_default(fib_plan_request *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name,
             "Li-metal dendrite cryo lift-out (Ga vs Xe)");
    static const struct {
        const char *m;
        double t;
    } stack[] = {
        {"electrolyte", 1.0}, {"Li2CO3", 0.05}, {"Li", 10.0}, {"Cu", 0.0}};
    r->n_layers = 4;
    for (size_t i = 0; i < 4; i++) {
        snprintf(r->layers[i].material, sizeof r->layers[i].material, "%s",
                 stack[i].m);
        r->layers[i].thickness_um = stack[i].t;
    }
    r->roi_layer = -1;
    r->cryo = true;
    r->stage_K = 93.0;
    r->n_ions = 2;
    r->ions[0].ion = FIB_PLAN_ION_GA;
    r->ions[1].ion = FIB_PLAN_ION_XE;
    r->site.method = FIB_GEOM_CRYO_LIFTOUT;
    r->site.lamella_width_um = 12.0;
    r->site.lamella_height_um = 6.0;
    r->site.target_thickness_nm = 150.0;
    r->site.undercut = FIB_GEOM_UNDERCUT_J;
    r->n_polish_kV = 1;
    r->polish_kV[0] = 5.0;
    r->polish_kV_given = true;
    r->useful_core_nm = 50.0;
    snprintf(r->protect_material, sizeof r->protect_material, "Pt-C");
}

void fib_plan_compare(const fib_plan *const *plans, size_t n,
                      fib_plan_totals *out)
{
    for (size_t i = 0; i < n; i++) {
        const fib_plan *p = plans[i];
        fib_plan_totals *t = &out[i];
        t->ion = p->ion;
        t->milling_time_s = p->milling_s;
        t->total_time_s = p->total_s;
        t->final_damage_nm = p->final_damage_nm;
        t->implanted_fraction = p->implanted;
        t->final_thickness_nm = p->final_thickness_nm;
        const fib_plan *b = plans[0];
        t->ratio_milling = b->milling_s > 0 ? p->milling_s / b->milling_s : 0;
        t->ratio_total = b->total_s > 0 ? p->total_s / b->total_s : 0;
        t->ratio_damage = b->final_damage_nm > 0
                              ? p->final_damage_nm / b->final_damage_nm
                              : 0;
    }
}

/* ---------------------------------------------------------------------- */

/*
 * Workflow recommender: Shin et al., Table 1 (seed-summary.md), with a row 0
 * for samples that need neither cryo nor inert handling.
 *
 * Which flags call for what:
 *  - air / moisture: inert handling (glovebox, vacuum or cryo transfer);
 *  - thermal, sublimation, cryo-only: cold through the whole chain (4);
 *  - Li-Ga alloying (Li, Na under Ga): cryo milling (3), alloying is
 *    suppressed at cryo (Lee et al., ACS Energy Lett. 4 (2019) 489;
 *    planner-physics.md 3.5);
 *  - ion-beam sensitivity *together with* electron-beam sensitivity
 *    (beam-sensitive compounds: cathodes, electrolytes, polymers): cryo
 *    milling (3);
 *  - ion-beam sensitivity alone (amorphisation of Si, graphite, GaAs):
 *    handled by low-kV polishing at room temperature (planner-physics.md
 *    4.2, 4.7); it does not call for cryo;
 *  - electron-beam sensitivity alone: room-temperature FIB, then a
 *    cryo-cooling TEM holder (1).
 * A sample with none of these gets the conventional workflow 0.
 */
fib_plan_workflow fib_plan_workflow_recommend(unsigned f, bool nanoscale)
{
    fib_plan_workflow w;
    memset(&w, 0, sizeof w);
    bool thermal = f & (FIB_PLAN_SENS_THERMAL | FIB_PLAN_SENS_CRYO_ONLY |
                        FIB_PLAN_SENS_SUBLIMATION);
    bool air = f & (FIB_PLAN_SENS_AIR | FIB_PLAN_SENS_MOISTURE);
    bool ebeam = f & FIB_PLAN_SENS_EBEAM;
    bool alloy = f & FIB_PLAN_SENS_LI_GA_ALLOY;
    bool ion = alloy || ((f & FIB_PLAN_SENS_IBEAM) && ebeam);
    w.protects_ebeam = true;
    if (nanoscale) {
        if (air) {
            w.number = 2;
            w.reason = "nano-scaled specimen (already electron transparent) "
                       "that reacts with air/moisture: no FIB needed, prepare "
                       "and transfer inert";
        } else if (ebeam || thermal) {
            w.number = 1;
            w.reason = "nano-scaled specimen, not air sensitive: cryo-cooling "
                       "in the TEM protects against the electron beam";
        } else {
            w.number = 0;
            w.reason = "nano-scaled specimen with no beam, air or thermal "
                       "sensitivity: conventional handling";
        }
        if (thermal)
            w.reason = air ? "nano-scaled, air- and heat-sensitive: workflow "
                             "2 with a cryo-transfer holder (keep it cold)"
                           : "nano-scaled, heat-sensitive: workflow 1 with the "
                             "cryo holder cooled before insertion";
    } else if (thermal) {
        w.number = 4;
        w.reason = "bulk specimen that must stay cold (melting, sublimation, "
                   "devitrification or thermal reactions): cryogenic "
                   "conditions through the whole chain";
    } else if (air || ion) {
        w.number = 3;
        w.reason = air ? "bulk specimen sensitive to air/moisture: cryo-FIB "
                         "lamella with a cryo stage and inert (vacuum-"
                         "shuttle) transfer; warming during lift-out/"
                         "transfer is tolerated"
                   : alloy ? "bulk specimen that alloys with Ga (Li, Na): "
                             "cryo-FIB milling suppresses the alloying; "
                             "warming during lift-out/transfer is tolerated"
                           : "bulk specimen damaged by both ion and electron "
                             "beams: cryo-FIB milling limits ion damage; "
                             "warming during lift-out/transfer is tolerated";
    } else if (ebeam) {
        w.number = 1;
        w.reason = "bulk specimen only electron-beam sensitive: conventional "
                   "(room-temperature) FIB, then a cryo-cooling TEM holder";
    } else {
        w.number = 0;
        w.reason = (f & FIB_PLAN_SENS_IBEAM)
                       ? "bulk specimen neither air- nor electron-beam "
                         "sensitive; ion-beam amorphisation is removed by "
                         "low-kV polishing at room temperature, cryo does "
                         "not help"
                       : "bulk specimen with no beam, air or thermal "
                         "sensitivity";
    }
    switch (w.number) {
    case 0:
        w.summary = "conventional room-temperature FIB lift-out and TEM";
        w.requires[0] = "FIB-SEM (room-temperature stage)";
        w.protects_ebeam = false;
        break;
    case 1:
        w.summary = "cryo-cooling TEM holder; any preparation";
        w.requires[0] = "cryo-cooling TEM holder";
        break;
    case 2:
        w.summary = "glovebox preparation and inert/cryo transfer";
        w.requires[0] = "glovebox (Ar preferred for very reactive samples)";
        w.requires[1] = "inert- or cryo-transfer TEM holder";
        w.protects_air = true;
        break;
    case 3:
        w.summary = "cryo-FIB lamella preparation with a cryo stage";
        w.requires[0] = "cryo stage (FIB)";
        w.requires[1] = "glovebox with vacuum transfer shuttle (FIB to "
                        "glovebox)";
        w.requires[2] = "inert- or cryo-transfer TEM holder";
        w.protects_air = w.protects_ion = true;
        break;
    default:
        w.summary = "cryo-FIB with cryo nanomanipulator and cryo loader, "
                    "cold through the whole chain";
        w.requires[0] = "cryo stage (FIB)";
        w.requires[1] = "cryo nanomanipulator";
        w.requires[2] = "cryo sample loader / FIB cryo load lock";
        w.requires[3] = "cryo-transfer workstation or glovebox";
        w.requires[4] = "cryo-transfer TEM holder";
        w.protects_air = w.protects_ion = w.protects_thermal = true;
        break;
    }
    return w;
}

fib_plan_workflow_conflict fib_plan_workflow_check(const fib_plan_workflow *w,
                                                   bool cryo, char *msg,
                                                   size_t n)
{
    if (msg && n)
        msg[0] = 0;
    if (!cryo && (w->number == 3 || w->number == 4)) {
        if (msg && n)
            snprintf(msg, n,
                     "the plan mills at room temperature but workflow %d "
                     "(cryo milling) is recommended: %s",
                     w->number, w->reason);
        return FIB_PLAN_WORKFLOW_WARNING;
    }
    if (cryo && (w->number == 0 || w->number == 1)) {
        if (msg && n)
            snprintf(msg, n,
                     "the plan mills at cryo although workflow %d (room-"
                     "temperature FIB) suffices: %s",
                     w->number, w->reason);
        return FIB_PLAN_WORKFLOW_NOTE;
    }
    return FIB_PLAN_WORKFLOW_OK;
}

fib_status fib_plan_request_sens(const fib_plan_request *r,
                                 const fib_plan_materials *db, unsigned *flags,
                                 fib_error *err)
{
    if (r->sens_given) {
        *flags = r->sens_flags;
        return FIB_OK;
    }
    unsigned f = 0;
    for (size_t i = 0; i < r->n_layers; i++) {
        fib_plan_material m;
        fib_status st = fib_plan_material_resolve(
            db, r->layers[i].material, r->layers[i].density_g_cm3, &m, err);
        if (st != FIB_OK)
            return st;
        f |= m.sens_flags;
    }
    if (f & FIB_PLAN_SENS_CRYO_ONLY)
        f |= FIB_PLAN_SENS_THERMAL;
    *flags = f;
    return FIB_OK;
}

/* ---------------------------------------------------------------------- */
/* Slice and view                                                         */

void fib_plan_sv_defaults(fib_plan_sv_request *r)
{
    if (!(r->slice_nm > 0))
        r->slice_nm = r->voxel_nm;
    if (!(r->sem_kV > 0))
        r->sem_kV = 2.0;
    if (!(r->sem_current_pA > 0))
        r->sem_current_pA = 400.0;
    if (!(r->dwell_us > 0))
        r->dwell_us = 3.0;
    if (r->frames <= 0)
        r->frames = 1;
    if (r->n_detectors <= 0)
        r->n_detectors = 2;
    if (r->bytes_per_pixel <= 0)
        r->bytes_per_pixel = 1;
    if (!(r->per_slice_overhead_s >= 0) || r->per_slice_overhead_s == 0)
        r->per_slice_overhead_s = 5.0;
    if (!r->application[0])
        snprintf(r->application, sizeof r->application, "Si");
    if (!(r->time_budget_h > 0))
        r->time_budget_h = 24.0;
    if (r->n_ions == 0) {
        r->n_ions = 1;
        r->ions[0].ion = FIB_PLAN_ION_GA;
    }
    for (size_t i = 0; i < r->n_ions && i < FIB_PLAN_MAX_IONS; i++)
        if (!(r->ions[i].energy_keV > 0))
            r->ions[i].energy_keV = 30.0;
}

/* The current of a slice-and-view run when the request names none
 * (removal rate @p rate, @p ns slices of @p v_slice um^3, @p image_s
 * imaging per slice, @p budget_s). */
static double sv_choose_current(const fib_plan_sv_request *rq,
                                const fib_plan_column *col, double kV,
                                double rate, double ns, double v_slice,
                                double image_s, double budget_s)
{
    double I;
    /* Rule: slice definition first, within the time budget.  The
     * largest preset whose probe is not wider than the slice; if
     * that run exceeds the budget, the smallest preset that meets
     * it among those with a probe <= 10 x the slice (the face is
     * cut by the beam edge: Ga 30 kV FIB-SEM tomography mills 5-20
     * nm slices at 0.1-1 nA, probes 2-5 x the slice [L]); if none
     * meets it, the largest of those (flagged). */
    size_t np = col->n_presets;
    double d[FIB_PLAN_MAX_PRESETS];
    for (size_t k = 0; k < np; k++)
        if (fib_plan_probe_diameter_nm(col, kV, col->presets_pA[k], &d[k],
                                       NULL) != FIB_OK)
            d[k] = HUGE_VAL;
    I = col->presets_pA[0];
    for (size_t k = 0; k < np; k++)
        if (d[k] <= rq->slice_nm)
            I = col->presets_pA[k];
    double t_run =
        ns * (v_slice / (rate * I * 1e-3) + image_s + rq->per_slice_overhead_s);
    if (t_run > budget_s) {
        double best = 0;
        for (size_t k = 0; k < np; k++) {
            double Ik = col->presets_pA[k];
            if (!(Ik > I) || !(d[k] <= SV_PROBE_MAX * rq->slice_nm))
                continue;
            best = Ik; /* largest so far within the probe limit */
            double tk = ns * (v_slice / (rate * Ik * 1e-3) + image_s +
                              rq->per_slice_overhead_s);
            if (tk <= budget_s)
                break; /* smallest that meets the budget */
        }
        if (best > 0)
            I = best;
    }
    return I;
}

/* The region, voxel and slice sizes and the ion count of a request. */
static fib_status sv_check(const fib_plan_sv_request *rq, fib_error *err)
{
    const fib_plan_sv_request r = *rq;
    if (!(r.region_x_um > 0) || !(r.region_y_um > 0) || !(r.region_z_um > 0))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: slice-view region must be > 0 in x, y "
                             "and z (got %g, %g, %g um)",
                             r.region_x_um, r.region_y_um, r.region_z_um);
    if (!(r.voxel_nm > 0) || !(r.slice_nm > 0))
        return fib_error_set(err, FIB_EINVAL,
                             "planner: voxel_nm and slice_nm must be > 0 "
                             "(got %g, %g)",
                             r.voxel_nm, r.slice_nm);
    if (r.voxel_nm * 1e-3 > r.region_x_um ||
        r.voxel_nm * 1e-3 > r.region_y_um || r.slice_nm * 1e-3 > r.region_z_um)
        return fib_error_set(err, FIB_EINVAL,
                             "planner: voxel/slice larger than the region");
    if (r.n_ions < 1 || r.n_ions > FIB_PLAN_MAX_IONS)
        return fib_error_set(err, FIB_EINVAL, "planner: 1..%d ions",
                             FIB_PLAN_MAX_IONS);
    return FIB_OK;
}

fib_status fib_plan_slice_view(const fib_plan_sv_request *in,
                               const fib_plan_materials *db,
                               fib_plan_sv_result *out, fib_error *err)
{
    fib_plan_sv_request r = *in;
    fib_plan_sv_defaults(&r);
    fib_status st = sv_check(&r, err);
    if (st != FIB_OK)
        return st;
    fib_plan_material m;
    st = fib_plan_material_resolve(db, r.material, 0, &m, err);
    if (st != FIB_OK)
        return st;
    double nx = ceil(r.region_x_um * 1e3 / r.voxel_nm);
    double ny = ceil(r.region_y_um * 1e3 / r.voxel_nm);
    double ns = ceil(r.region_z_um * 1e3 / r.slice_nm - 1e-9);
    if (nx * ny > 1e9 || ns > 1e7)
        return fib_error_set(err, FIB_ERANGE,
                             "planner: slice-view run too large (%.0f x %.0f "
                             "pixels, %.0f slices)",
                             nx, ny, ns);
    fib_plan_request pr;
    memset(&pr, 0, sizeof pr);
    snprintf(pr.application, sizeof pr.application, "%s", r.application);
    const double npx = nx * ny;
    const double v_slice = r.region_x_um * r.region_y_um * r.slice_nm * 1e-3;
    const double image_s = npx * r.dwell_us * 1e-6 * r.frames + 2.0 + r.edx_s;
    const double budget_s = r.time_budget_h * 3600.0;
    for (size_t i = 0; i < r.n_ions; i++) {
        fib_plan_ion_setup io = r.ions[i];
        const fib_plan_column *col = fib__plan_column(&io);
        if (!col)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: ions[%zu]: no column", i);
        double kV = io.energy_keV;
        /* removal rate of the material: the dose per slice is solved for
         * the slice itself (an open face, no trench redeposition) */
        fib_plan_sputter_params sp = {0};
        sp.ion = io.ion;
        sp.energy_keV = kV;
        sp.cryo = r.cryo;
        fib_plan_sputter_result res;
        memset(&res, 0, sizeof res);
        st = fib_plan_sputter(&m, &sp, &res, err);
        if (st != FIB_OK)
            return st;
        double rate = res.removal_um3_per_nC;
        if (!(rate > 0))
            return fib_error_set(err, FIB_ERANGE,
                                 "planner: %s does not mill %s at %g kV "
                                 "(below the sputter threshold)",
                                 fib_plan_ion_get(io.ion)->symbol, r.material,
                                 kV);
        double I = r.ion_current_pA[i];
        bool chosen = !(I > 0);
        if (chosen)
            I = sv_choose_current(&r, col, kV, rate, ns, v_slice, image_s,
                                  budget_s);
        if (I < col->current_min_pA * 0.999 || I > col->current_max_pA * 1.001)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: ions[%zu].current_pA %g outside "
                                 "the %s range %g..%g pA",
                                 i, I, col->name, col->current_min_pA,
                                 col->current_max_pA);
        fib_plan_sv_result *o = &out[i];
        memset(o, 0, sizeof *o);
        o->ion = io.ion;
        o->current_pA = I;
        o->current_chosen = chosen;
        o->n_slices = (size_t)ns;
        o->pixels_x = (size_t)nx;
        o->pixels_y = (size_t)ny;
        st = fib__plan_vpd(&pr, &io, kV, &o->vpd_um3_per_nC, err);
        if (st != FIB_OK)
            return st;
        o->mill_s_per_slice = v_slice / (rate * I * 1e-3);
        o->image_s_per_slice = image_s;
        o->total_s = ns * (o->mill_s_per_slice + o->image_s_per_slice +
                           r.per_slice_overhead_s);
        /* electrons per pixel / pixel area */
        double e_px = r.sem_current_pA * 1e-12 * r.dwell_us * 1e-6 * r.frames /
                      FIB_PLAN_E_CHARGE;
        o->electron_dose_e_nm2 = e_px / (r.voxel_nm * r.voxel_nm);
        o->data_bytes = npx * r.bytes_per_pixel * r.n_detectors * ns;
        if (fib_plan_probe_diameter_nm(col, kV, I, &o->probe_d_nm, NULL) !=
            FIB_OK)
            o->probe_d_nm = 0;
        o->probe_slice_ratio = o->probe_d_nm / r.slice_nm;
        o->physical_slice_nm = r.slice_nm;
        o->commanded_slice_nm = r.slice_nm * o->vpd_um3_per_nC / rate;
        o->damage_depth_nm = res.damage_depth_nm;
        o->over_budget = o->total_s > budget_s;
        const char *sym = fib_plan_ion_get(io.ion)->symbol;
        if (o->over_budget)
            snprintf(o->warning, sizeof o->warning,
                     "%s run %.1f h exceeds the %.0f h budget at %.4g pA "
                     "(probe %.0f nm = %.1f x the %.0f nm slice): thicker "
                     "slices, a smaller region or a larger current",
                     sym, o->total_s / 3600, r.time_budget_h, I, o->probe_d_nm,
                     o->probe_slice_ratio, r.slice_nm);
        else if (o->probe_slice_ratio > SV_PROBE_MAX)
            snprintf(o->warning, sizeof o->warning,
                     "%s probe %.0f nm at %.4g pA is wider than the %.0f nm "
                     "slice by more than %gx: lower the current",
                     sym, o->probe_d_nm, I, r.slice_nm, SV_PROBE_MAX);
    }
    return FIB_OK;
}
