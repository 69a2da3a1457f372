/* job_physics_tables.c -- fib_job_ions() and fib_job_materials()
 * (fib/job_physics.h): the ion, column, recipe and materials tables. */
#include <stdio.h>

#include "job_physics_internal.h"

static void ion_list(char *buf, size_t size, unsigned mask)
{
    buf[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                         fib_plan_ion_get((fib_plan_ion)i)->symbol);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
}

static void fmt_current(char *buf, size_t size, double pA)
{
    if (pA >= 1e6)
        snprintf(buf, size, "%g uA", pA / 1e6);
    else if (pA >= 1e3)
        snprintf(buf, size, "%g nA", pA / 1e3);
    else
        snprintf(buf, size, "%g pA", pA);
}

static void json_column(fib_fmt_json *j, const fib_plan_column *col)
{
    char ions[64];
    ion_list(ions, sizeof ions, col->ion_mask);
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "name", col->name);
    fib_fmt_json_kv_string(j, "description", col->description);
    fib_fmt_json_kv_string(j, "ions", ions);
    fib_fmt_json_kv_number(j, "energy_min_keV", col->energy_min_keV);
    fib_fmt_json_kv_number(j, "energy_max_keV", col->energy_max_keV);
    fib_fmt_json_kv_number(j, "current_min_pA", col->current_min_pA);
    fib_fmt_json_kv_number(j, "current_max_pA", col->current_max_pA);
    fib_fmt_json_key(j, "presets_pA");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < col->n_presets; k++)
        fib_fmt_json_number(j, col->presets_pA[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "probe_fits");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < col->n_probe_fits; k++) {
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_number(j, "energy_keV", col->probe[k].energy_keV);
        fib_fmt_json_kv_number(j, "d1_nm", col->probe[k].d1_nm);
        fib_fmt_json_kv_number(j, "exponent", col->probe[k].exponent);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_string(j, "source", col->source);
    fib_fmt_json_end_object(j);
}

static fib_status ions_json(const fib_job_env *env, fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_key(j, "ions");
    fib_fmt_json_begin_array(j);
    for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++) {
        const fib_plan_ion_info *in = fib_plan_ion_get((fib_plan_ion)i);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "symbol", in->symbol);
        fib_fmt_json_kv_int(j, "z", in->z);
        fib_fmt_json_kv_number(j, "mass_u", in->mass_u);
        fib_fmt_json_kv_number(j, "energy_min_keV", in->energy_min_keV);
        fib_fmt_json_kv_number(j, "energy_max_keV", in->energy_max_keV);
        fib_fmt_json_kv_string(j, "source_kind", in->source_kind);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "columns");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_plan_column_count(); i++)
        json_column(j, fib_plan_column_get(i));
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "recipes");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_plan_recipe_count(); i++) {
        const fib_plan_recipe *r = fib_plan_recipe_get(i);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "name", r->name);
        fib_fmt_json_kv_number(j, "vpd_um3_per_nC", r->vpd_um3_per_nC);
        fib_fmt_json_kv_number(j, "vpd_pfib_um3_per_nC",
                               r->vpd_pfib_um3_per_nC);
        fib_fmt_json_kv_string(j, "source", r->source);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    return fib__physics_json_say(env, j, err);
}

static void say_column(const fib_job_env *env, const fib_plan_column *col)
{
    char ions[64], lo[32], hi[32];
    fib__line l = {.n = 0};
    ion_list(ions, sizeof ions, col->ion_mask);
    fmt_current(lo, sizeof lo, col->current_min_pA);
    fmt_current(hi, sizeof hi, col->current_max_pA);
    fib_job_say(env, FIB_JOB_RESULT, "%s [%s] %g-%g kV, %s - %s: %s", col->name,
                ions, col->energy_min_keV, col->energy_max_keV, lo, hi,
                col->description);
    fib__line_add(&l, "  presets:");
    for (size_t k = 0; k < col->n_presets; k++) {
        char cur[32];
        fmt_current(cur, sizeof cur, col->presets_pA[k]);
        fib__line_add(&l, "%s %s", k ? "," : "", cur);
    }
    fib__line_say(env, &l);
    fib__line_add(&l, "  probe d = d1 (I/1 nA)^n:");
    for (size_t k = 0; k < col->n_probe_fits; k++)
        fib__line_add(&l, "%s %g kV: %.4g nm ^%.3g", k ? "," : "",
                      col->probe[k].energy_keV, col->probe[k].d1_nm,
                      col->probe[k].exponent);
    fib__line_say(env, &l);
    fib_job_say(env, FIB_JOB_RESULT, "  source: %s", col->source);
}

fib_status fib_job_ions(bool json, const fib_job_env *env, fib_error *err)
{
    if (json)
        return ions_json(env, err);
    fib_job_say(env, FIB_JOB_RESULT, "ion species");
    fib_job_say(env, FIB_JOB_RESULT, "%-4s %4s %9s %12s  %s", "ion", "Z",
                "mass_u", "keV range", "source");
    for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++) {
        const fib_plan_ion_info *in = fib_plan_ion_get((fib_plan_ion)i);
        fib_job_say(env, FIB_JOB_RESULT, "%-4s %4d %9.3f %5g-%-6g  %s",
                    in->symbol, in->z, in->mass_u, in->energy_min_keV,
                    in->energy_max_keV, in->source_kind);
    }
    fib_job_say(env, FIB_JOB_RESULT, "%s", "");
    fib_job_say(env, FIB_JOB_RESULT, "columns");
    for (size_t i = 0; i < fib_plan_column_count(); i++)
        say_column(env, fib_plan_column_get(i));
    fib_job_say(env, FIB_JOB_RESULT, "%s", "");
    fib_job_say(env, FIB_JOB_RESULT,
                "recipes (commanded volume per dose, Ga LMIS / Xe PFIB)");
    for (size_t i = 0; i < fib_plan_recipe_count(); i++) {
        const fib_plan_recipe *r = fib_plan_recipe_get(i);
        char pf[32] = "-";
        if (r->vpd_pfib_um3_per_nC > 0)
            snprintf(pf, sizeof pf, "%.3g", r->vpd_pfib_um3_per_nC);
        fib_job_say(env, FIB_JOB_RESULT, "  %-13s %6.3g / %-5s um^3/nC  %s",
                    r->name, r->vpd_um3_per_nC, pf, r->source);
    }
    return FIB_OK;
}

static void say_material(const fib_job_env *env, const fib_plan_material *m)
{
    char flags[256];
    fib_job_say(env, FIB_JOB_RESULT, "%s (%s): %s", m->name, m->formula,
                m->description);
    fib_job_say(env, FIB_JOB_RESULT, "  density      %.4g g/cm^3 [%s: %s]",
                m->density_g_cm3, fib__physics_density_origin(m->density_src),
                m->density_source);
    fib_job_say(env, FIB_JOB_RESULT, "  atoms        %.4g /cm^3",
                fib_plan_material_atom_density_cm3(m));
    if (m->binding_eV > 0.0)
        fib_job_say(env, FIB_JOB_RESULT, "  binding      %.3g eV/atom [%s]",
                    m->binding_eV, m->binding_source);
    else
        fib_job_say(env, FIB_JOB_RESULT, "  binding      elemental U_s [%s]",
                    m->binding_source);
    fib_job_say(env, FIB_JOB_RESULT, "  flags        %s",
                fib_plan_sens_string(m->sens_flags, flags, sizeof flags));
    if (m->cryo_source[0])
        fib_job_say(env, FIB_JOB_RESULT, "  cryo         %s", m->cryo_source);
    for (size_t i = 0; i < m->n_rates; i++) {
        const fib_plan_ion_info *ion = fib_plan_ion_get(m->rates[i].ion);
        fib_job_say(env, FIB_JOB_RESULT,
                    "  rate         %.3g um^3/nC, %s %g keV%s [%s]",
                    m->rates[i].um3_per_nC, ion ? ion->symbol : "?",
                    m->rates[i].energy_keV, m->rates[i].cryo ? " cryo" : "",
                    m->rates[i].source);
    }
}

static fib_status materials_list(const fib_plan_materials *db, bool json,
                                 const fib_job_env *env, fib_error *err)
{
    const size_t n = fib_plan_materials_count(db);
    if (json) {
        fib_fmt_json *j = NULL;
        const fib_status st = fib_fmt_json_create(2, &j, err);
        if (st != FIB_OK)
            return st;
        fib_fmt_json_begin_object(j);
        fib_fmt_json_key(j, "materials");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < n; i++)
            fib__physics_json_material(j, fib_plan_materials_get(db, i));
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        return fib__physics_json_say(env, j, err);
    }
    fib_job_say(env, FIB_JOB_RESULT, "%-12s %-28s %8s %6s  %s", "name",
                "formula", "g/cm^3", "rates", "flags");
    for (size_t i = 0; i < n; i++) {
        const fib_plan_material *m = fib_plan_materials_get(db, i);
        char flags[256];
        fib_job_say(env, FIB_JOB_RESULT, "%-12s %-28s %8.4g %6zu  %s", m->name,
                    m->formula, m->density_g_cm3, m->n_rates,
                    fib_plan_sens_string(m->sens_flags, flags, sizeof flags));
    }
    fib_job_say(env, FIB_JOB_RESULT, "%s", "");
    fib_job_say(env, FIB_JOB_RESULT,
                "%zu materials; 'cryofib materials NAME' shows sources and "
                "measured rates",
                n);
    return FIB_OK;
}

fib_status fib_job_materials(const char *name, const char *materials_cfg,
                             bool json, const fib_job_env *env, fib_error *err)
{
    fib_plan_materials *db = NULL;
    fib_status st = fib__physics_load_db(materials_cfg, &db, err);
    if (st != FIB_OK)
        return st;
    if (!name) {
        st = materials_list(db, json, env, err);
        fib_plan_materials_destroy(db);
        return st;
    }
    fib_plan_material m;
    st = fib_plan_material_resolve(db, name, 0.0, &m, err);
    fib_plan_materials_destroy(db);
    if (st != FIB_OK)
        return st;
    if (!json) {
        say_material(env, &m);
        return FIB_OK;
    }
    fib_fmt_json *j = NULL;
    if ((st = fib_fmt_json_create(2, &j, err)) != FIB_OK)
        return st;
    fib__physics_json_material(j, &m);
    return fib__physics_json_say(env, j, err);
}
