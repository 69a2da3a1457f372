/*
 * plan_request.c -- session plan requests: defaults (overheads, ladder
 * roles per ion and temperature, polish energies, site) and the checks
 * fib_plan_request_check() makes before a plan is built (rule R3
 * feasibility: plan_ladder.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plan_internal.h"

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

/* R3 feasibility for every ion of a request (defaults filled): the final
 * lamella, 2 x the damage of the last pass + the useful core, must stay
 * below the rough thickness. */
static fib_status check_core(const fib_plan_request *r,
                             const fib_plan_materials *db, fib_error *err)
{
    fib_geom_site site = r->site;
    fib_geom_site_defaults(&site);
    for (size_t i = 0; i < r->n_ions; i++) {
        fib__plan_ctx c;
        fib_status st = fib__plan_ctx_init(&c, r, i, &site, db, err);
        if (st != FIB_OK)
            return st;
        double kv_last = r->n_polish_kV ? r->polish_kV[r->n_polish_kV - 1]
                                        : c.io->energy_keV;
        double dmg = fib__plan_damage_nm(&c, kv_last);
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
