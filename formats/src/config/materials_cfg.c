/*
 * materials_cfg.c -- user materials from a libconfig file (see
 * fib/materials_cfg.h for the format).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fib/materials_cfg.h"
#include "cfg_util.h"
#include "fmt_internal.h"

/* ASCII case-insensitive equality (strcasecmp is not in strict C11). */
static int strcasecmp_portable(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a;
        int cb = (*b >= 'A' && *b <= 'Z') ? *b + 32 : *b;
        if (ca != cb)
            return ca - cb;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

typedef struct ctx {
    const char *label;
    fib_error *err;
} ctx;

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static fib_status bad(const ctx *c, const config_setting_t *s, int entry,
                      const char *field, const char *what)
{
    return fib_error_set(
        c->err, FIB_EINVAL, "formats: %s:%d: materials[%d].%s %s", c->label,
        s ? (int)config_setting_source_line(s) : 0, entry, field, what);
}

/* Keys of a material entry and of one of its rates (a typo must not be
 * ignored silently: the session files reject unknown keys too). */
static const char *const entry_keys[] = {
    "name",           "aliases",     "formula",        "density_g_cm3",
    "density_source", "description", "binding_source", "cryo_source",
    "binding_eV",     "kappa_W_mK",  "redep_k",        "cryo_yield_factor",
    "soft",           "flags",       "rates",          NULL};
static const char *const rate_keys[] = {
    "ion", "energy_keV", "um3_per_nC", "angle_deg", "cryo", "source", NULL};

static fib_status check_keys(const ctx *c, const config_setting_t *g, int entry,
                             const char *prefix, const char *const *keys)
{
    const int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *k = config_setting_name(m);
        size_t j = 0;
        while (k && keys[j] && strcmp(keys[j], k) != 0)
            j++;
        if (k && !keys[j]) {
            char field[96];
            (void)snprintf(field, sizeof field, "%s%s", prefix, k);
            return bad(c, m, entry, field,
                       "is not a known key (see examples/materials.cfg)");
        }
    }
    return FIB_OK;
}

/* Optional number member; *found tells whether it was present. */
static fib_status get_num(const ctx *c, const config_setting_t *g, int entry,
                          const char *field, double *out, bool *found)
{
    config_setting_t *s = config_setting_get_member(g, field);
    *found = false;
    if (!s)
        return FIB_OK;
    if (!fib__cfg_is_number(s))
        return bad(c, s, entry, field, "must be a number");
    *out = fib__cfg_number(s);
    if (!isfinite(*out))
        return bad(c, s, entry, field, "must be finite");
    *found = true;
    return FIB_OK;
}

static fib_status get_str(const ctx *c, const config_setting_t *g, int entry,
                          const char *field, const char **out)
{
    config_setting_t *s = config_setting_get_member(g, field);
    *out = NULL;
    if (!s)
        return FIB_OK;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return bad(c, s, entry, field, "must be a string");
    *out = config_setting_get_string(s);
    return FIB_OK;
}

static fib_status get_bool(const ctx *c, const config_setting_t *g, int entry,
                           const char *field, bool *out)
{
    config_setting_t *s = config_setting_get_member(g, field);
    if (!s)
        return FIB_OK;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return bad(c, s, entry, field, "must be true or false");
    *out = config_setting_get_bool(s) != 0;
    return FIB_OK;
}

static fib_status parse_rate(const ctx *c, const config_setting_t *r, int entry,
                             fib_plan_rate *out)
{
    fib_status st;
    memset(out, 0, sizeof *out);
    if (!config_setting_is_group(r))
        return bad(c, r, entry, "rates", "entries must be groups { ... }");
    if ((st = check_keys(c, r, entry, "rates.", rate_keys)) != FIB_OK)
        return st;
    const char *ion = NULL, *src = NULL;
    if ((st = get_str(c, r, entry, "ion", &ion)) != FIB_OK)
        return st;
    if (!ion)
        return bad(c, r, entry, "rates.ion", "is required");
    fib_error e2 = {0};
    if (fib_plan_ion_parse(ion, &out->ion, &e2) != FIB_OK)
        return bad(c, r, entry, "rates.ion", e2.msg);
    bool f1, f2, f3;
    if ((st = get_num(c, r, entry, "energy_keV", &out->energy_keV, &f1)) !=
            FIB_OK ||
        (st = get_num(c, r, entry, "um3_per_nC", &out->um3_per_nC, &f2)) !=
            FIB_OK ||
        (st = get_num(c, r, entry, "angle_deg", &out->angle_deg, &f3)) !=
            FIB_OK)
        return st;
    if (!f1 || !(out->energy_keV > 0.0))
        return bad(c, r, entry, "rates.energy_keV", "must be given and > 0");
    if (!f2 || !(out->um3_per_nC > 0.0))
        return bad(c, r, entry, "rates.um3_per_nC", "must be given and > 0");
    if (out->angle_deg < 0.0 || out->angle_deg >= 90.0)
        return bad(c, r, entry, "rates.angle_deg", "must be in [0, 90)");
    if ((st = get_bool(c, r, entry, "cryo", &out->cryo)) != FIB_OK ||
        (st = get_str(c, r, entry, "source", &src)) != FIB_OK)
        return st;
    copy_str(out->source, sizeof out->source, src ? src : "user file");
    return FIB_OK;
}

/* Name of entry @p entry and the material it starts from: an earlier
 * entry of this file, else the database, else a blank new material
 * (*is_new). */
static fib_status entry_base(const ctx *c, const fib_plan_materials *db,
                             const fib_plan_material *done, int n_done,
                             const config_setting_t *g, int entry,
                             fib_plan_material *m, bool *is_new)
{
    fib_status st;
    if (!config_setting_is_group(g))
        return bad(c, g, entry, "", "must be a group { ... }");
    if ((st = check_keys(c, g, entry, "", entry_keys)) != FIB_OK)
        return st;
    const char *name = NULL;
    if ((st = get_str(c, g, entry, "name", &name)) != FIB_OK)
        return st;
    if (!name || !*name)
        return bad(c, g, entry, "name", "is required");
    if (strlen(name) >= FIB_PLAN_NAME_MAX)
        return bad(c, g, entry, "name", "is too long");
    /* Start from an earlier entry of this file, else the database. */
    const fib_plan_material *base = NULL;
    for (int i = n_done - 1; i >= 0 && !base; i--)
        if (!strcasecmp_portable(done[i].name, name))
            base = &done[i];
    if (!base) {
        const fib_plan_material *hit = fib_plan_materials_find(db, name);
        if (hit && !strcasecmp_portable(hit->name, name))
            base = hit;
    }
    if (base) {
        *m = *base;
    } else {
        memset(m, 0, sizeof *m);
        m->cryo_yield_factor = 1.0;
        m->density_src = FIB_PLAN_DENSITY_TABLE;
    }
    copy_str(m->name, sizeof m->name, name);
    *is_new = !base;
    return FIB_OK;
}

/* Formula, density, sources and scalar properties of an entry. */
static fib_status entry_fields(const ctx *c, const config_setting_t *g,
                               int entry, bool is_new, fib_plan_material *m)
{
    fib_status st;
    const char *formula = NULL, *s = NULL;
    if ((st = get_str(c, g, entry, "formula", &formula)) != FIB_OK)
        return st;
    if (formula) {
        fib_error e2 = {0};
        if (fib_plan_formula_parse(formula, m, &e2) != FIB_OK)
            return bad(c, config_setting_get_member(g, "formula"), entry,
                       "formula", e2.msg);
    } else if (is_new) {
        return bad(c, g, entry, "formula", "is required for a new material");
    }
    bool found;
    double v;
    if ((st = get_num(c, g, entry, "density_g_cm3", &v, &found)) != FIB_OK)
        return st;
    if (found) {
        if (!(v > 0.0) || !(v < 30.0))
            return bad(c, config_setting_get_member(g, "density_g_cm3"), entry,
                       "density_g_cm3", "must be in (0, 30)");
        m->density_g_cm3 = v;
        m->density_src = FIB_PLAN_DENSITY_TABLE;
        copy_str(m->density_source, sizeof m->density_source, c->label);
    } else if (is_new) {
        return bad(c, g, entry, "density_g_cm3",
                   "is required for a new material");
    }
    static const struct {
        const char *key;
        size_t off;
        size_t size;
    } strs[] = {
        {"density_source", offsetof(fib_plan_material, density_source),
         FIB_PLAN_SOURCE_MAX},
        {"description", offsetof(fib_plan_material, description),
         FIB_PLAN_SOURCE_MAX},
        {"binding_source", offsetof(fib_plan_material, binding_source),
         FIB_PLAN_SOURCE_MAX},
        {"cryo_source", offsetof(fib_plan_material, cryo_source),
         FIB_PLAN_SOURCE_MAX},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if ((st = get_str(c, g, entry, strs[i].key, &s)) != FIB_OK)
            return st;
        if (s)
            copy_str((char *)m + strs[i].off, strs[i].size, s);
    }
    static const struct {
        const char *key;
        size_t off;
        double lo, hi;
    } nums[] = {
        {"binding_eV", offsetof(fib_plan_material, binding_eV), 0.0, 50.0},
        {"kappa_W_mK", offsetof(fib_plan_material, kappa_W_mK), 0.0, 1e4},
        {"redep_k", offsetof(fib_plan_material, redep_k), 0.0, 100.0},
        {"cryo_yield_factor", offsetof(fib_plan_material, cryo_yield_factor),
         0.0, 100.0},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if ((st = get_num(c, g, entry, nums[i].key, &v, &found)) != FIB_OK)
            return st;
        if (!found)
            continue;
        if (v < nums[i].lo || v > nums[i].hi) {
            char what[64];
            snprintf(what, sizeof what, "must be in [%g, %g] (got %g)",
                     nums[i].lo, nums[i].hi, v);
            return bad(c, config_setting_get_member(g, nums[i].key), entry,
                       nums[i].key, what);
        }
        memcpy((char *)m + nums[i].off, &v, sizeof v);
    }
    if ((st = get_bool(c, g, entry, "soft", &m->soft)) != FIB_OK)
        return st;
    return FIB_OK;
}

/* Aliases and sensitivity flags of an entry (lists of strings). */
static fib_status entry_lists(const ctx *c, const config_setting_t *g,
                              int entry, fib_plan_material *m)
{
    config_setting_t *al = config_setting_get_member(g, "aliases");
    if (al) {
        if (!config_setting_is_aggregate(al) ||
            config_setting_length(al) > FIB_PLAN_MAX_ALIASES)
            return bad(c, al, entry, "aliases",
                       "must be a list of at most 4 strings");
        memset(m->aliases, 0, sizeof m->aliases);
        for (int i = 0; i < config_setting_length(al); i++) {
            const char *a = config_setting_get_string_elem(al, i);
            if (!a)
                return bad(c, al, entry, "aliases", "must hold strings");
            copy_str(m->aliases[i], FIB_PLAN_NAME_MAX, a);
        }
    }
    config_setting_t *fl = config_setting_get_member(g, "flags");
    if (fl) {
        if (!config_setting_is_aggregate(fl))
            return bad(c, fl, entry, "flags", "must be a list of strings");
        m->sens_flags = 0;
        for (int i = 0; i < config_setting_length(fl); i++) {
            const char *f = config_setting_get_string_elem(fl, i);
            unsigned bit = f ? fib_plan_sens_from_name(f) : 0;
            if (!bit) {
                char what[192];
                snprintf(what, sizeof what,
                         "has unknown flag '%s' (air, moisture, e-beam, "
                         "ion-beam, thermal, li-ga-alloy, sublimation, "
                         "cryo-only)",
                         f ? f : "?");
                return bad(c, fl, entry, "flags", what);
            }
            m->sens_flags |= bit;
        }
    }
    return FIB_OK;
}

/* Measured rates of an entry: the file's first, then the previous ones
 * while room remains. */
static fib_status entry_rates(const ctx *c, const config_setting_t *g,
                              int entry, fib_plan_material *m)
{
    fib_status st;
    config_setting_t *rs = config_setting_get_member(g, "rates");
    if (rs) {
        if (!config_setting_is_aggregate(rs))
            return bad(c, rs, entry, "rates", "must be a list of groups");
        int n = config_setting_length(rs);
        if (n > FIB_PLAN_MAX_RATES)
            return bad(c, rs, entry, "rates", "has more than 6 entries");
        fib_plan_rate user[FIB_PLAN_MAX_RATES];
        for (int i = 0; i < n; i++)
            if ((st = parse_rate(c, config_setting_get_elem(rs, (unsigned)i),
                                 entry, &user[i])) != FIB_OK)
                return st;
        /* user rates first, then the previous ones while room remains */
        fib_plan_rate merged[FIB_PLAN_MAX_RATES];
        size_t k = 0;
        for (int i = 0; i < n; i++)
            merged[k++] = user[i];
        for (size_t i = 0; i < m->n_rates && k < FIB_PLAN_MAX_RATES; i++)
            merged[k++] = m->rates[i];
        memcpy(m->rates, merged, k * sizeof merged[0]);
        m->n_rates = k;
    }
    return FIB_OK;
}

static fib_status parse_entry(const ctx *c, const fib_plan_materials *db,
                              const fib_plan_material *done, int n_done,
                              const config_setting_t *g, int entry,
                              fib_plan_material *m)
{
    bool is_new = false;
    fib_status st = entry_base(c, db, done, n_done, g, entry, m, &is_new);
    if (st == FIB_OK)
        st = entry_fields(c, g, entry, is_new, m);
    if (st == FIB_OK)
        st = entry_lists(c, g, entry, m);
    if (st == FIB_OK)
        st = entry_rates(c, g, entry, m);
    if (st != FIB_OK)
        return st;
    fib_error e2 = {0};
    if (fib_plan_material_validate(m, &e2) != FIB_OK)
        return bad(c, g, entry, "", e2.msg);
    return FIB_OK;
}

static fib_status apply(fib_plan_materials *db, config_t *cfg, const ctx *c)
{
    fib_status st = FIB_OK;
    fib_plan_material *items = NULL;
    config_setting_t *list = config_lookup(cfg, "materials");
    if (!list)
        return fib_error_set(c->err, FIB_EINVAL,
                             "formats: %s: no 'materials' list", c->label);
    if (!config_setting_is_aggregate(list) || config_setting_is_array(list))
        return fib_error_set(c->err, FIB_EINVAL,
                             "formats: %s:%d: 'materials' must be a list "
                             "( {...}, ... )",
                             c->label, (int)config_setting_source_line(list));
    int n = config_setting_length(list);
    if (n > 10000)
        return fib_error_set(c->err, FIB_EINVAL,
                             "formats: %s: more than 10000 materials",
                             c->label);
    if (n == 0)
        return FIB_OK;
    items = calloc((size_t)n, sizeof *items);
    if (!items)
        return fib_error_set(c->err, FIB_ENOMEM, "formats: %s: out of memory",
                             c->label);
    for (int i = 0; i < n; i++) {
        st = parse_entry(c, db, items, i,
                         config_setting_get_elem(list, (unsigned)i), i,
                         &items[i]);
        if (st != FIB_OK)
            goto fail;
    }
    for (int i = 0; i < n; i++)
        if ((st = fib_plan_materials_add(db, &items[i], c->err)) != FIB_OK)
            goto fail;
fail:
    free(items);
    return st;
}

fib_status fib_fmt_materials_cfg_parse(fib_plan_materials *db, const char *text,
                                       const char *label, fib_error *err)
{
    if (!db || !text)
        return fib_error_set(err, FIB_EINVAL, "formats: NULL argument");
    ctx c = {label ? label : "(string)", err};
    if (fib__cfg_precheck("formats", NULL, text, c.label, err) != FIB_OK)
        return err ? err->code : FIB_EINVAL;
    config_t cfg;
    config_init(&cfg);
    fib_status st;
    if (config_read_string(&cfg, text) != CONFIG_TRUE)
        st = fib_error_set(err, FIB_EFORMAT, "formats: %s:%d: %s", c.label,
                           config_error_line(&cfg), config_error_text(&cfg));
    else
        st = apply(db, &cfg, &c);
    config_destroy(&cfg);
    return st;
}

fib_status fib_fmt_materials_cfg_load(fib_plan_materials *db, const char *path,
                                      fib_error *err)
{
    if (!db || !path)
        return fib_error_set(err, FIB_EINVAL, "formats: NULL argument");
    if (fib__require_regular("formats", path, err) != FIB_OK)
        return FIB_EINVAL;
    if (access(path, F_OK) == 0) {
        const fib_status pst =
            fib__cfg_precheck("formats", path, NULL, NULL, err);
        if (pst != FIB_OK)
            return pst;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return fib_error_set(err, FIB_EIO, "formats: %s: %s", path,
                             strerror(errno));
    ctx c = {path, err};
    config_t cfg;
    config_init(&cfg);
    fib_status st;
    if (config_read(&cfg, f) != CONFIG_TRUE)
        st = fib_error_set(err, FIB_EFORMAT, "formats: %s:%d: %s", path,
                           config_error_line(&cfg), config_error_text(&cfg));
    else
        st = apply(db, &cfg, &c);
    config_destroy(&cfg);
    fclose(f);
    return st;
}
