/*
 * materials.c -- the materials database handle (fib/physics.h): the
 * built-in materials (materials_table.c) plus user entries, looked up by
 * name, alias or composition.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physics_internal.h"

struct fib_plan_materials {
    fib_plan_material *items;
    size_t n, cap;
};

fib_status fib_plan_materials_create(fib_plan_materials **out, fib_error *err)
{
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "physics: out is NULL");
    *out = NULL;
    fib_plan_materials *db = calloc(1, sizeof *db);
    if (!db)
        goto fail;
    db->cap = fib__builtin_material_count() + 16;
    db->items = calloc(db->cap, sizeof *db->items);
    if (!db->items)
        goto fail;
    db->n = fib__builtin_materials(db->items, db->cap);
    *out = db;
    return FIB_OK;
fail:
    fib_plan_materials_destroy(db);
    return fib_error_set(err, FIB_ENOMEM,
                         "physics: out of memory for the materials database");
}

void fib_plan_materials_destroy(fib_plan_materials *db)
{
    if (!db)
        return;
    free(db->items);
    free(db);
}

static bool name_matches(const fib_plan_material *m, const char *name)
{
    if (fib__str_ieq(m->name, name))
        return true;
    for (size_t k = 0; k < FIB_PLAN_MAX_ALIASES; k++)
        if (m->aliases[k][0] && fib__str_ieq(m->aliases[k], name))
            return true;
    return false;
}

fib_status fib_plan_materials_add(fib_plan_materials *db,
                                  const fib_plan_material *m, fib_error *err)
{
    if (!db || !m)
        return fib_error_set(err, FIB_EINVAL, "physics: NULL argument");
    fib_status st = fib_plan_material_validate(m, err);
    if (st != FIB_OK)
        return st;
    for (size_t i = 0; i < db->n; i++)
        if (fib__str_ieq(db->items[i].name, m->name)) {
            db->items[i] = *m;
            return FIB_OK;
        }
    if (db->n == db->cap) {
        size_t cap = db->cap * 2;
        fib_plan_material *p = realloc(db->items, cap * sizeof *p);
        if (!p)
            return fib_error_set(err, FIB_ENOMEM,
                                 "physics: out of memory adding material "
                                 "'%s'",
                                 m->name);
        db->items = p;
        db->cap = cap;
    }
    db->items[db->n++] = *m;
    return FIB_OK;
}

/* Same composition: same elements, atom fractions within 1e-3. */
static bool same_composition(const fib_plan_material *a,
                             const fib_plan_material *b)
{
    if (a->n_components != b->n_components || a->n_components == 0)
        return false;
    double na = fib_plan_material_atoms_per_unit(a);
    double nb = fib_plan_material_atoms_per_unit(b);
    for (size_t i = 0; i < a->n_components; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n_components; j++)
            if (a->comp[i].z == b->comp[j].z) {
                found =
                    fabs(a->comp[i].count / na - b->comp[j].count / nb) < 1e-3;
                break;
            }
        if (!found)
            return false;
    }
    return true;
}

const fib_plan_material *fib_plan_materials_find(const fib_plan_materials *db,
                                                 const char *name)
{
    if (!db || !name || !*name)
        return NULL;
    /* later entries (user overrides appended) never shadow by order:
     * names are unique because add() replaces */
    for (size_t i = 0; i < db->n; i++)
        if (name_matches(&db->items[i], name))
            return &db->items[i];
    fib_plan_material q;
    memset(&q, 0, sizeof q);
    if (fib_plan_formula_parse(name, &q, NULL) != FIB_OK)
        return NULL;
    for (size_t i = 0; i < db->n; i++)
        if (same_composition(&db->items[i], &q))
            return &db->items[i];
    return NULL;
}

size_t fib_plan_materials_count(const fib_plan_materials *db)
{
    return db ? db->n : 0;
}

const fib_plan_material *fib_plan_materials_get(const fib_plan_materials *db,
                                                size_t i)
{
    return db && i < db->n ? &db->items[i] : NULL;
}

fib_status fib_plan_material_resolve(const fib_plan_materials *db,
                                     const char *name_or_formula,
                                     double density_g_cm3,
                                     fib_plan_material *out, fib_error *err)
{
    if (!name_or_formula || !out)
        return fib_error_set(err, FIB_EINVAL, "physics: material is NULL");
    if (isnan(density_g_cm3) || density_g_cm3 < 0.0 || density_g_cm3 >= 30.0)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: density_g_cm3 must be in (0, 30) "
                             "(got %g)",
                             density_g_cm3);
    if (!db) {
        /* NULL means the built-in database: resolve against a temporary
         * one so that callers without user materials need no handle. */
        fib_plan_materials *tmp = NULL;
        fib_status st = fib_plan_materials_create(&tmp, err);
        if (st == FIB_OK)
            st = fib_plan_material_resolve(tmp, name_or_formula, density_g_cm3,
                                           out, err);
        fib_plan_materials_destroy(tmp);
        return st;
    }
    const fib_plan_material *hit = fib_plan_materials_find(db, name_or_formula);
    if (hit) {
        *out = *hit;
    } else {
        memset(out, 0, sizeof *out);
        fib_error perr = {0};
        fib_status st = fib_plan_formula_parse(name_or_formula, out, &perr);
        if (st != FIB_OK) {
            /* drop the parser's "physics: formula 'X': " prefix */
            const char *why = strstr(perr.msg, "': ");
            why = why ? why + 3 : perr.msg;
            return fib_error_set(err, st,
                                 "physics: '%s' is not a known material, "
                                 "and as a formula: %s",
                                 name_or_formula, why);
        }
        fib__str_copy(out->name, sizeof out->name, name_or_formula);
        fib__str_copy(out->description, sizeof out->description,
                      "parsed formula (not in the database)");
        out->cryo_yield_factor = 1.0;
        if (out->n_components == 1) {
            const fib_plan_element *el = fib_plan_element_by_z(out->comp[0].z);
            if (el && el->density_g_cm3 > 0.0) {
                out->density_g_cm3 = el->density_g_cm3;
                out->density_src = FIB_PLAN_DENSITY_TABLE;
                fib__str_copy(out->density_source, sizeof out->density_source,
                              el->src_density);
            }
            fib__str_copy(out->binding_source, sizeof out->binding_source,
                          el ? el->src_usurf : "");
        } else {
            fib__str_copy(out->binding_source, sizeof out->binding_source,
                          "estimated: stoichiometry-weighted elemental U_s");
        }
        if (!(out->density_g_cm3 > 0.0)) {
            double rho;
            st = fib_plan_density_estimate(out, &rho, err);
            if (st != FIB_OK)
                return st;
            out->density_g_cm3 = rho;
            out->density_src = FIB_PLAN_DENSITY_ESTIMATED;
            fib__str_copy(
                out->density_source, sizeof out->density_source,
                "ESTIMATED from atomic volumes (about +-20 %, up to 2x)");
        }
    }
    if (density_g_cm3 > 0.0) {
        out->density_g_cm3 = density_g_cm3;
        out->density_src = FIB_PLAN_DENSITY_USER;
        fib__str_copy(out->density_source, sizeof out->density_source,
                      "given by the user");
    }
    return FIB_OK;
}
