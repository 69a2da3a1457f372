/* job_physics.c -- the parts the physics table jobs share
 * (job_physics_internal.h): output lines, the materials database, JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/materials_cfg.h"
#include "job_physics_internal.h"

fib_status fib__physics_load_db(const char *cfg_path, fib_plan_materials **db,
                                fib_error *err)
{
    fib_status st = fib_plan_materials_create(db, err);
    if (st != FIB_OK || !cfg_path)
        return st;
    st = fib_fmt_materials_cfg_load(*db, cfg_path, err);
    if (st != FIB_OK) {
        fib_plan_materials_destroy(*db);
        *db = NULL;
    }
    /* a missing/unreadable file is the caller's bad input */
    return st == FIB_EIO ? FIB_EINVAL : st;
}

fib_status fib__physics_json_say(const fib_job_env *env, fib_fmt_json *j,
                                 fib_error *err)
{
    const char *text = NULL;
    fib_status st = fib_fmt_json_text(j, &text, err);
    if (st == FIB_OK && env && env->message) {
        size_t n = strlen(text);
        char *copy = malloc(n + 1);
        if (!copy) {
            st = fib_error_set(err, FIB_ENOMEM, "json: out of memory");
        } else {
            memcpy(copy, text, n + 1);
            if (n && copy[n - 1] == '\n')
                copy[--n] = '\0';
            env->message(env->message_user, FIB_JOB_RESULT, copy);
            free(copy);
        }
    }
    fib_fmt_json_destroy(j);
    return st;
}

const char *fib__physics_density_origin(fib_plan_density_src s)
{
    switch (s) {
    case FIB_PLAN_DENSITY_USER:
        return "user";
    case FIB_PLAN_DENSITY_ESTIMATED:
        return "estimated";
    default:
        return "table";
    }
}

void fib__physics_json_material(fib_fmt_json *j, const fib_plan_material *m)
{
    char flags[256];
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "name", m->name);
    fib_fmt_json_key(j, "aliases");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < FIB_PLAN_MAX_ALIASES; k++)
        if (m->aliases[k][0])
            fib_fmt_json_string(j, m->aliases[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_string(j, "formula", m->formula);
    fib_fmt_json_kv_string(j, "description", m->description);
    fib_fmt_json_key(j, "composition");
    fib_fmt_json_begin_object(j);
    for (size_t i = 0; i < m->n_components; i++) {
        const fib_plan_element *el = fib_plan_element_by_z(m->comp[i].z);
        fib_fmt_json_kv_number(j, el ? el->symbol : "?", m->comp[i].count);
    }
    fib_fmt_json_end_object(j);
    fib_fmt_json_kv_number(j, "density_g_cm3", m->density_g_cm3);
    fib_fmt_json_kv_string(j, "density_origin",
                           fib__physics_density_origin(m->density_src));
    fib_fmt_json_kv_string(j, "density_source", m->density_source);
    fib_fmt_json_kv_number(j, "atom_density_cm3",
                           fib_plan_material_atom_density_cm3(m));
    fib_fmt_json_kv_number(j, "binding_eV", m->binding_eV);
    fib_fmt_json_kv_string(j, "binding_source", m->binding_source);
    fib_fmt_json_kv_string(
        j, "flags", fib_plan_sens_string(m->sens_flags, flags, sizeof flags));
    fib_fmt_json_kv_number(j, "kappa_W_mK", m->kappa_W_mK);
    fib_fmt_json_kv_bool(j, "soft", m->soft);
    fib_fmt_json_kv_number(j, "cryo_yield_factor", m->cryo_yield_factor);
    fib_fmt_json_kv_string(j, "cryo_source", m->cryo_source);
    fib_fmt_json_key(j, "rates");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < m->n_rates; i++) {
        const fib_plan_rate *r = &m->rates[i];
        const fib_plan_ion_info *ion = fib_plan_ion_get(r->ion);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "ion", ion ? ion->symbol : "?");
        fib_fmt_json_kv_number(j, "energy_keV", r->energy_keV);
        fib_fmt_json_kv_number(j, "angle_deg", r->angle_deg);
        fib_fmt_json_kv_number(j, "um3_per_nC", r->um3_per_nC);
        fib_fmt_json_kv_bool(j, "cryo", r->cryo);
        fib_fmt_json_kv_string(j, "source", r->source);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}
