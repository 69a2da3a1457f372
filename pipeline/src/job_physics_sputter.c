/*
 * job_physics_sputter.c -- fib_job_sputter() (fib/job_physics.h): yield,
 * removal rate, range and damage per ion and energy (fib_plan_sputter():
 * a measured rate where the database has one, else Yamamura-Tawara 1996;
 * range ZBL+LSS; damage calibrated c x Rp), with the sources of each
 * number and the warnings of fib_plan_check_warnings().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_physics_internal.h"

enum {
    MAX_E = FIB_JOB_SPUTTER_MAX_ENERGIES,
    MAX_IONS = FIB_JOB_SPUTTER_MAX_IONS
};

/* One energy, a list "a,b,c" or a range "START:STOP:STEP". */
static fib_status parse_energies(const char *text, double *e, size_t *n,
                                 fib_error *err)
{
    *n = 0;
    if (strchr(text, ':')) {
        double a, b, s;
        char extra;
        if (sscanf(text, "%lf:%lf:%lf%c", &a, &b, &s, &extra) != 3)
            return fib_error_set(err, FIB_EINVAL,
                                 "--energy-kev range must be START:STOP:STEP"
                                 " (got '%s')",
                                 text);
        if (!(a > 0.0) || !(b >= a) || !(s > 0.0) || !isfinite(b))
            return fib_error_set(err, FIB_EINVAL,
                                 "--energy-kev range needs 0 < START <= "
                                 "STOP and STEP > 0 (got '%s')",
                                 text);
        for (double v = a; v <= b + 1e-9 * b; v += s) {
            if (*n >= MAX_E)
                return fib_error_set(err, FIB_EINVAL,
                                     "--energy-kev gives more than %d "
                                     "energies",
                                     MAX_E);
            e[(*n)++] = v;
        }
        return FIB_OK;
    }
    char buf[512];
    if (strlen(text) >= sizeof buf)
        return fib_error_set(err, FIB_EINVAL, "--energy-kev list too long");
    memcpy(buf, text, strlen(text) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        errno = 0;
        const double v = strtod(tok, &end);
        if (end == tok || *end || errno || !isfinite(v))
            return fib_error_set(err, FIB_EINVAL,
                                 "--energy-kev expects a finite number (got "
                                 "'%s')",
                                 tok);
        if (!(v > 0.0))
            return fib_error_set(err, FIB_EINVAL,
                                 "--energy-kev must be > 0 (got %g)", v);
        if (*n >= MAX_E)
            return fib_error_set(err, FIB_EINVAL,
                                 "--energy-kev: more than %d energies", MAX_E);
        e[(*n)++] = v;
    }
    if (*n == 0)
        return fib_error_set(err, FIB_EINVAL, "--energy-kev needs a value");
    return FIB_OK;
}

static fib_status parse_ions(const char *text, fib_plan_ion *ions, size_t *n,
                             fib_error *err)
{
    char buf[256];
    *n = 0;
    if (strlen(text) >= sizeof buf)
        return fib_error_set(err, FIB_EINVAL, "--compare list too long");
    memcpy(buf, text, strlen(text) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n >= MAX_IONS)
            return fib_error_set(err, FIB_EINVAL, "--compare: at most %d ions",
                                 MAX_IONS);
        const fib_status st = fib_plan_ion_parse(tok, &ions[*n], err);
        if (st != FIB_OK)
            return st;
        (*n)++;
    }
    if (*n == 0)
        return fib_error_set(err, FIB_EINVAL, "--compare needs ion names");
    return FIB_OK;
}

static const char *origin_name(fib_plan_origin o)
{
    switch (o) {
    case FIB_PLAN_ORIGIN_MEASURED:
        return "measured";
    case FIB_PLAN_ORIGIN_SCALED:
        return "scaled-measured";
    default:
        return "model";
    }
}

static double ratio(double a, double b)
{
    return b > 0.0 ? a / b : (double)NAN;
}

/* The computed table: material, ions x energies results, warnings. */
typedef struct table {
    fib_plan_material m;
    double e[MAX_E];
    size_t n_e;
    fib_plan_ion ions[MAX_IONS];
    size_t n_ions;
    fib_plan_sputter_result res[MAX_E * MAX_IONS];
    char warn[MAX_IONS][1024];
    char flags[256];
    const char *dsrc;
} table;

static const char *sym(fib_plan_ion ion)
{
    return fib_plan_ion_get(ion)->symbol;
}

/* Check the parameters in the command's order, then compute every row. */
static fib_status compute(const fib_job_sputter_params *p, table *t,
                          fib_error *err)
{
    if (!(p->angle_deg >= 0.0) || !(p->angle_deg < 90.0))
        return fib_error_set(err, FIB_EINVAL,
                             "--angle-deg must be in [0, 90) (got %g)",
                             p->angle_deg);
    if (p->density_given &&
        !(p->density_g_cm3 > 0.0 && p->density_g_cm3 < 30.0))
        return fib_error_set(err, FIB_EINVAL,
                             "--density-g-cm3 must be in (0, 30) (got %g)",
                             p->density_g_cm3);
    fib_status st = parse_energies(p->energies_keV ? p->energies_keV : "30",
                                   t->e, &t->n_e, err);
    if (st == FIB_OK)
        st = parse_ions(p->ions ? p->ions : "Ga", t->ions, &t->n_ions, err);
    fib_plan_materials *db = NULL;
    if (st == FIB_OK)
        st = fib__physics_load_db(p->materials_cfg, &db, err);
    if (st == FIB_OK)
        st = fib_plan_material_resolve(db, p->material, p->density_g_cm3, &t->m,
                                       err);
    fib_plan_materials_destroy(db);
    fib_plan_sputter_params sp;
    memset(&sp, 0, sizeof sp);
    sp.cryo = p->cryo;
    sp.model_only = p->model_only;
    sp.compound_model = p->compound_model;
    sp.angle_deg = p->angle_deg;
    for (size_t ie = 0; st == FIB_OK && ie < t->n_e; ie++)
        for (size_t ii = 0; st == FIB_OK && ii < t->n_ions; ii++) {
            sp.ion = t->ions[ii];
            sp.energy_keV = t->e[ie];
            st =
                fib_plan_sputter(&t->m, &sp, &t->res[ie * t->n_ions + ii], err);
        }
    /* warnings for each ion at the first energy */
    for (size_t ii = 0; st == FIB_OK && ii < t->n_ions; ii++) {
        fib_plan_warning_params wp;
        memset(&wp, 0, sizeof wp);
        wp.ion = t->ions[ii];
        wp.energy_keV = t->e[0];
        wp.cryo = p->cryo;
        wp.lamella_thickness_nm = p->lamella_nm;
        wp.current_nA = p->current_nA;
        unsigned bits = 0;
        t->warn[ii][0] = '\0';
        st = fib_plan_check_warnings(&t->m, &wp, &bits, t->warn[ii],
                                     sizeof t->warn[ii], err);
    }
    if (st != FIB_OK)
        return st;
    fib_plan_sens_string(t->m.sens_flags, t->flags, sizeof t->flags);
    t->dsrc = fib__physics_density_origin(t->m.density_src);
    return FIB_OK;
}

static void json_result(fib_fmt_json *j, const fib_plan_sputter_result *r)
{
    fib_fmt_json_kv_number(j, "yield_atoms_per_ion", r->yield_atoms_per_ion);
    fib_fmt_json_kv_number(j, "removal_um3_per_nC", r->removal_um3_per_nC);
    fib_fmt_json_kv_number(j, "projected_range_nm", r->projected_range_nm);
    fib_fmt_json_kv_number(j, "range_straggle_nm", r->range_straggle_nm);
    fib_fmt_json_kv_number(j, "damage_depth_nm", r->damage_depth_nm);
    fib_fmt_json_kv_number(j, "implanted_fraction", r->implanted_fraction);
    fib_fmt_json_kv_number(j, "yield_model_normal", r->yield_normal_model);
    fib_fmt_json_kv_number(j, "angle_factor", r->angle_factor);
    fib_fmt_json_kv_number(j, "cryo_factor", r->cryo_factor);
    fib_fmt_json_kv_number(j, "model_removal_um3_per_nC",
                           r->model_removal_um3_per_nC);
    fib_fmt_json_kv_number(j, "threshold_eV", r->threshold_eV);
    fib_fmt_json_kv_string(j, "removal_origin", origin_name(r->removal_origin));
    fib_fmt_json_key(j, "source");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "yield", r->yield_source);
    fib_fmt_json_kv_string(j, "removal", r->removal_source);
    fib_fmt_json_kv_string(j, "range", r->range_source);
    fib_fmt_json_kv_string(j, "damage", r->damage_source);
    fib_fmt_json_kv_string(j, "cryo", r->cryo_source);
    fib_fmt_json_kv_string(j, "implanted_fraction",
                           "model: 1/(1+Y), steady state, full retention");
    fib_fmt_json_end_object(j);
}

static void json_rows(fib_fmt_json *j, const table *t)
{
    fib_fmt_json_key(j, "ions");
    fib_fmt_json_begin_array(j);
    for (size_t ii = 0; ii < t->n_ions; ii++)
        fib_fmt_json_string(j, sym(t->ions[ii]));
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "rows");
    fib_fmt_json_begin_array(j);
    for (size_t ie = 0; ie < t->n_e; ie++)
        for (size_t ii = 0; ii < t->n_ions; ii++) {
            const fib_plan_sputter_result *r = &t->res[ie * t->n_ions + ii];
            const fib_plan_sputter_result *r0 = &t->res[ie * t->n_ions];
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "ion", sym(t->ions[ii]));
            fib_fmt_json_kv_number(j, "energy_keV", t->e[ie]);
            json_result(j, r);
            if (t->n_ions > 1) {
                fib_fmt_json_key(j, "ratio_to_first");
                fib_fmt_json_begin_object(j);
                fib_fmt_json_kv_number(
                    j, "yield",
                    ratio(r->yield_atoms_per_ion, r0->yield_atoms_per_ion));
                fib_fmt_json_kv_number(
                    j, "removal",
                    ratio(r->removal_um3_per_nC, r0->removal_um3_per_nC));
                fib_fmt_json_kv_number(
                    j, "range",
                    ratio(r->projected_range_nm, r0->projected_range_nm));
                fib_fmt_json_kv_number(
                    j, "damage",
                    ratio(r->damage_depth_nm, r0->damage_depth_nm));
                fib_fmt_json_end_object(j);
            }
            fib_fmt_json_end_object(j);
        }
    fib_fmt_json_end_array(j);
}

static fib_status say_json(const fib_job_sputter_params *p, const table *t,
                           const fib_job_env *env, fib_error *err)
{
    fib_fmt_json *j = NULL;
    const fib_status st = fib_fmt_json_create(2, &j, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "material", t->m.name);
    fib_fmt_json_kv_string(j, "formula", t->m.formula);
    fib_fmt_json_kv_number(j, "density_g_cm3", t->m.density_g_cm3);
    fib_fmt_json_kv_string(j, "density_origin", t->dsrc);
    fib_fmt_json_kv_string(j, "density_source", t->m.density_source);
    fib_fmt_json_kv_string(j, "flags", t->flags);
    fib_fmt_json_kv_number(j, "angle_deg", p->angle_deg);
    fib_fmt_json_kv_bool(j, "cryo", p->cryo);
    if (t->n_e == 1 && t->n_ions == 1 && !p->compare) {
        fib_fmt_json_kv_string(j, "ion", sym(t->ions[0]));
        fib_fmt_json_kv_number(j, "energy_keV", t->e[0]);
        json_result(j, &t->res[0]);
    } else {
        json_rows(j, t);
    }
    fib_fmt_json_key(j, "warnings");
    fib_fmt_json_begin_array(j);
    for (size_t ii = 0; ii < t->n_ions; ii++)
        if (t->warn[ii][0])
            fib_fmt_json_string(j, t->warn[ii]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    return fib__physics_json_say(env, j, err);
}

static void say_one(const fib_job_sputter_params *p, const table *t,
                    const fib_job_env *env)
{
    const fib_plan_sputter_result *r = &t->res[0];
    const fib_job_level R = FIB_JOB_RESULT;
    fib_job_say(env, R, "ion %s+ at %g keV (threshold %.3g eV)",
                sym(t->ions[0]), t->e[0], r->threshold_eV);
    fib_job_say(env, R, "  yield               %8.4g atoms/ion   [%s]",
                r->yield_atoms_per_ion, r->yield_source);
    fib_job_say(env, R, "  removal rate        %8.4g um^3/nC     [%s]",
                r->removal_um3_per_nC, r->removal_source);
    if (r->removal_origin != FIB_PLAN_ORIGIN_MODEL)
        fib_job_say(env, R,
                    "  model rate          %8.4g um^3/nC     [model at the "
                    "same angle, for comparison]",
                    r->model_removal_um3_per_nC);
    fib_job_say(env, R,
                "  projected range     %8.4g nm (straggle %.3g nm) [%s]",
                r->projected_range_nm, r->range_straggle_nm, r->range_source);
    fib_job_say(env, R, "  damage depth        %8.4g nm          [%s]",
                r->damage_depth_nm, r->damage_source);
    fib_job_say(env, R,
                "  implanted fraction  %8.3g             [model: 1/(1+Y), "
                "steady state, full retention]",
                r->implanted_fraction);
    if (p->cryo)
        fib_job_say(env, R, "  cryo                %s", r->cryo_source);
}

static void say_rows(const table *t, const fib_job_env *env)
{
    fib__line l = {.n = 0};
    fib__line_add(&l, "%8s", "E/keV");
    for (size_t ii = 0; ii < t->n_ions; ii++)
        fib__line_add(&l, " | %2s: %7s %8s %7s %7s %-8s", sym(t->ions[ii]), "Y",
                      "um3/nC", "Rp/nm", "dmg/nm", "origin");
    if (t->n_ions > 1)
        fib__line_add(&l, " | ratios to %s: Y, um3/nC, Rp, dmg",
                      sym(t->ions[0]));
    fib__line_say(env, &l);
    for (size_t ie = 0; ie < t->n_e; ie++) {
        const fib_plan_sputter_result *row = &t->res[ie * t->n_ions];
        fib__line_add(&l, "%8g", t->e[ie]);
        for (size_t ii = 0; ii < t->n_ions; ii++)
            fib__line_add(&l, " |     %7.3g %8.3g %7.3g %7.3g %-8.8s",
                          row[ii].yield_atoms_per_ion,
                          row[ii].removal_um3_per_nC,
                          row[ii].projected_range_nm, row[ii].damage_depth_nm,
                          origin_name(row[ii].removal_origin));
        for (size_t ii = 1; ii < t->n_ions; ii++)
            fib__line_add(
                &l, " | %s %.3g %.3g %.3g %.3g", sym(t->ions[ii]),
                ratio(row[ii].yield_atoms_per_ion, row[0].yield_atoms_per_ion),
                ratio(row[ii].removal_um3_per_nC, row[0].removal_um3_per_nC),
                ratio(row[ii].projected_range_nm, row[0].projected_range_nm),
                ratio(row[ii].damage_depth_nm, row[0].damage_depth_nm));
        fib__line_say(env, &l);
    }
    fib_job_say(env, FIB_JOB_RESULT,
                "sources: removal per row as 'origin'; model = "
                "Yamamura-Tawara 1996; range ZBL+LSS (+-30 %%); damage "
                "calibrated c x Rp");
}

fib_status fib_job_sputter(const fib_job_sputter_params *p,
                           const fib_job_env *env, fib_error *err)
{
    if (!p || !p->material)
        return fib_error_set(err, FIB_EINVAL, "--material is required");
    table *t = calloc(1, sizeof *t);
    if (!t)
        return fib_error_set(err, FIB_ENOMEM, "sputter: out of memory");
    fib_status st = compute(p, t, err);
    if (st == FIB_OK && p->json)
        st = say_json(p, t, env, err);
    else if (st == FIB_OK) {
        fib_job_say(env, FIB_JOB_RESULT,
                    "%s (%s), %.4g g/cm^3 [%s: %s], angle %g deg%s", t->m.name,
                    t->m.formula, t->m.density_g_cm3, t->dsrc,
                    t->m.density_source, p->angle_deg, p->cryo ? ", cryo" : "");
        if (t->flags[0])
            fib_job_say(env, FIB_JOB_RESULT, "sensitivity: %s", t->flags);
        if (t->n_e == 1 && t->n_ions == 1)
            say_one(p, t, env);
        else
            say_rows(t, env);
        for (size_t ii = 0; ii < t->n_ions; ii++)
            if (t->warn[ii][0])
                fib_job_say(env, FIB_JOB_RESULT, "warning (%s): %s",
                            sym(t->ions[ii]), t->warn[ii]);
    }
    free(t);
    return st;
}
