/*
 * session_cfg.c -- libconfig session and slice-and-view files -> request
 * structs (see fib/session_cfg.h, examples/session-reference.cfg).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "fib/session_cfg.h"
#include "cfg_util.h"
#include "fmt_internal.h"

/* Parse context: the file name for messages and the error sink, and the
 * materials database. */
typedef struct pctx {
    fib__cfg_ctx cfg;
    const fib_plan_materials *db;
} pctx;

enum { NUM_ANY = 0, NUM_POS, NUM_NONNEG };

/* Optional number @p key of group @p g into *out with a sign rule and an
 * upper limit (hi <= 0: none). */
static fib_status get_num(pctx *c, const config_setting_t *g,
                          const char *prefix, const char *key, double *out,
                          int rule, double hi)
{
    return fib__cfg_get_num(&c->cfg, g, prefix, key,
                            rule == NUM_ANY ? -HUGE_VAL : 0, rule == NUM_POS,
                            hi > 0 ? hi : HUGE_VAL, out);
}

/* Optional whole count @p key in lo..hi into *out: a non-integer value
 * (2.5 steps) is an error, not truncated. */
static fib_status get_count(pctx *c, const config_setting_t *g,
                            const char *prefix, const char *key, int *out,
                            int lo, int hi)
{
    const config_setting_t *s;
    char f[96];
    fib_status st = fib__cfg_num_member(&c->cfg, g, prefix, key,
                                        "must be a number (a whole count)", &s,
                                        f, sizeof f);
    if (st != FIB_OK || !s)
        return st;
    double v = fib__cfg_number(s);
    if (!isfinite(v) || v != floor(v))
        return fib__cfg_err(&c->cfg, s, f, "must be a whole number (got %g)",
                            v);
    if (v < lo || v > hi)
        return fib__cfg_err(&c->cfg, s, f, "must be in %d..%d (got %g)", lo, hi,
                            v);
    *out = (int)v;
    return FIB_OK;
}

/* Optional duration that may be 0 (none): the request keeps 0 for "the
 * default", so an explicit 0 is stored as -1 (fib_plan_overheads). */
static fib_status get_duration(pctx *c, const config_setting_t *g,
                               const char *prefix, const char *key, double *out,
                               double hi)
{
    double v = -2;
    fib_status st = get_num(c, g, prefix, key, &v, NUM_NONNEG, hi);
    if (st != FIB_OK)
        return st;
    if (v > 0)
        *out = v;
    else if (v == 0)
        *out = -1.0;
    return FIB_OK;
}

static fib_status get_bool(pctx *c, const config_setting_t *g,
                           const char *prefix, const char *key, bool *out)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return FIB_OK;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        char f[96];
        fib__cfg_field(f, sizeof f, prefix, key);
        return fib__cfg_err(&c->cfg, s, f, "must be true or false");
    }
    *out = config_setting_get_bool(s) != 0;
    return FIB_OK;
}

/* Optional string; *s_out = setting (NULL if absent). */
static fib_status get_str(pctx *c, const config_setting_t *g,
                          const char *prefix, const char *key, char *buf,
                          size_t size, const config_setting_t **s_out)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (s_out)
        *s_out = s;
    if (!s)
        return FIB_OK;
    char f[96];
    fib__cfg_field(f, sizeof f, prefix, key);
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return fib__cfg_err(&c->cfg, s, f, "must be a string");
    const char *v = config_setting_get_string(s);
    if (strlen(v) >= size)
        return fib__cfg_err(&c->cfg, s, f, "is too long (max %zu characters)",
                            size - 1);
    memcpy(buf, v, strlen(v) + 1);
    return FIB_OK;
}

/* Optional array of numbers (> 0) into out[cap]; *n set when present. */
static fib_status get_num_array(pctx *c, const config_setting_t *g,
                                const char *prefix, const char *key,
                                double *out, size_t cap, size_t *n, bool *given)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return FIB_OK;
    char f[96];
    fib__cfg_field(f, sizeof f, prefix, key);
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return fib__cfg_err(&c->cfg, s, f,
                            "must be an array of numbers [a, b, ...]");
    int len = config_setting_length(s);
    if ((size_t)len > cap)
        return fib__cfg_err(&c->cfg, s, f, "has %d values (max %zu)", len, cap);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!fib__cfg_is_number(e))
            return fib__cfg_err(&c->cfg, s, f, "element %d must be a number",
                                i);
        double v = fib__cfg_number(e);
        if (!(v > 0) || !isfinite(v))
            return fib__cfg_err(&c->cfg, s, f,
                                "element %d must be > 0 (got %g)", i, v);
        out[i] = v;
    }
    if (n)
        *n = (size_t)len;
    if (given)
        *given = true;
    return FIB_OK;
}

static const config_setting_t *get_group(pctx *c, const config_setting_t *g,
                                         const char *key, fib_status *st)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    *st = FIB_OK;
    if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        *st = fib__cfg_err(&c->cfg, s, key, "must be a group { ... }");
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------------- */

static fib_status parse_sens(pctx *c, const config_setting_t *s,
                             unsigned *flags)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"air", FIB_PLAN_SENS_AIR},
        {"oxygen", FIB_PLAN_SENS_AIR},
        {"moisture", FIB_PLAN_SENS_MOISTURE},
        {"ebeam", FIB_PLAN_SENS_EBEAM},
        {"electron_beam", FIB_PLAN_SENS_EBEAM},
        {"ibeam", FIB_PLAN_SENS_IBEAM},
        {"ion_beam", FIB_PLAN_SENS_IBEAM},
        {"thermal", FIB_PLAN_SENS_THERMAL},
        {"heat", FIB_PLAN_SENS_THERMAL},
        {"li-ga-alloy", FIB_PLAN_SENS_LI_GA_ALLOY},
        {"sublimation", FIB_PLAN_SENS_SUBLIMATION},
        {"cryo-only", FIB_PLAN_SENS_CRYO_ONLY},
    };
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return fib__cfg_err(
            &c->cfg, s, "sample.sensitive",
            "must be a list of names [\"air\", \"moisture\", ...]");
    *flags = 0;
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return fib__cfg_err(&c->cfg, s, "sample.sensitive",
                                "element %d must be a string", i);
        const char *v = config_setting_get_string(e);
        bool ok = false;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (!strcasecmp(v, names[k].name)) {
                *flags |= names[k].bit;
                ok = true;
            }
        if (!ok)
            return fib__cfg_err(&c->cfg, s, "sample.sensitive",
                                "'%s' is unknown (air, moisture, ebeam, ibeam, "
                                "thermal, li-ga-alloy, sublimation, cryo-only)",
                                v);
    }
    return FIB_OK;
}

static fib_status check_material(pctx *c, const config_setting_t *s,
                                 const char *field, const char *name,
                                 double density)
{
    fib_plan_material m;
    fib_error e2 = {0};
    if (fib_plan_material_resolve(c->db, name, density, &m, &e2) != FIB_OK)
        return fib__cfg_err(&c->cfg, s, field,
                            "'%s' is not a known material or formula "
                            "(%s)",
                            name, e2.msg);
    return FIB_OK;
}

static fib_status parse_sample(pctx *c, const config_setting_t *g,
                               fib_plan_request *r)
{
    static const char *const keys[] = {"layers", "roi_layer", "sensitive",
                                       "nanoscale", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "sample", keys));
    const config_setting_t *L = config_setting_get_member(g, "layers");
    if (!L)
        return fib__cfg_err(&c->cfg, g, "sample.layers",
                            "is required (list of { material; "
                            "thickness_um; })");
    if (config_setting_type(L) != CONFIG_TYPE_LIST)
        return fib__cfg_err(&c->cfg, L, "sample.layers",
                            "must be a list ( {...}, ... )");
    int n = config_setting_length(L);
    if (n < 1 || n > FIB_PLAN_MAX_LAYERS)
        return fib__cfg_err(&c->cfg, L, "sample.layers",
                            "must hold 1..%d layers (got %d)",
                            FIB_PLAN_MAX_LAYERS, n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(L, (unsigned)i);
        char pre[48];
        snprintf(pre, sizeof pre, "sample.layers[%d]", i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return fib__cfg_err(&c->cfg, e, pre,
                                "must be a group { material = ...; }");
        static const char *const lk[] = {"material", "thickness_um",
                                         "density_g_cm3", NULL};
        FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, e, pre, lk));
        fib_plan_layer *ly = &r->layers[i];
        const config_setting_t *ms;
        FIB__CFG_TRY(get_str(c, e, pre, "material", ly->material,
                             sizeof ly->material, &ms));
        char f[64];
        snprintf(f, sizeof f, "%s.material", pre);
        if (!ms)
            return fib__cfg_err(&c->cfg, e, f, "is required");
        FIB__CFG_TRY(get_num(c, e, pre, "thickness_um", &ly->thickness_um,
                             NUM_NONNEG, 1e6));
        if (ly->thickness_um == 0 && i != n - 1) {
            snprintf(f, sizeof f, "%s.thickness_um", pre);
            return fib__cfg_err(&c->cfg, e, f,
                                "must be > 0 (only the last layer may be 0 "
                                "= semi-infinite)");
        }
        FIB__CFG_TRY(get_num(c, e, pre, "density_g_cm3", &ly->density_g_cm3,
                             NUM_POS, 30));
        FIB__CFG_TRY(check_material(c, ms, f, ly->material, ly->density_g_cm3));
    }
    r->n_layers = (size_t)n;
    double roi = -1;
    const config_setting_t *rs = config_setting_get_member(g, "roi_layer");
    FIB__CFG_TRY(get_num(c, g, "sample", "roi_layer", &roi, NUM_ANY, 0));
    if (rs && (roi < -1 || roi >= n || roi != floor(roi)))
        return fib__cfg_err(&c->cfg, rs, "sample.roi_layer",
                            "must be a layer index 0..%d or -1 (got %g)", n - 1,
                            roi);
    r->roi_layer = (int)roi;
    const config_setting_t *ss = config_setting_get_member(g, "sensitive");
    if (ss) {
        FIB__CFG_TRY(parse_sens(c, ss, &r->sens_flags));
        r->sens_given = true;
    }
    FIB__CFG_TRY(get_bool(c, g, "sample", "nanoscale", &r->nanoscale));
    return FIB_OK;
}

static fib_status parse_temperature(pctx *c, const config_setting_t *g,
                                    fib_plan_request *r)
{
    static const char *const keys[] = {"mode", "stage_K", "ice_growth_nm_per_h",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "temperature", keys));
    char mode[16] = "room";
    const config_setting_t *ms;
    FIB__CFG_TRY(get_str(c, g, "temperature", "mode", mode, sizeof mode, &ms));
    if (!strcmp(mode, "cryo"))
        r->cryo = true;
    else if (!strcmp(mode, "room") || !strcmp(mode, "rt"))
        r->cryo = false;
    else
        return fib__cfg_err(&c->cfg, ms, "temperature.mode",
                            "must be \"room\" or \"cryo\" (got '%s')", mode);
    FIB__CFG_TRY(
        get_num(c, g, "temperature", "stage_K", &r->stage_K, NUM_POS, 400));
    const config_setting_t *ks = config_setting_get_member(g, "stage_K");
    if (ks && r->cryo && r->stage_K > 200)
        return fib__cfg_err(&c->cfg, ks, "temperature.stage_K",
                            "must be <= 200 K for mode \"cryo\" (got %g)",
                            r->stage_K);
    FIB__CFG_TRY(get_num(c, g, "temperature", "ice_growth_nm_per_h",
                         &r->ice_growth_nm_h, NUM_NONNEG, 10000));
    return FIB_OK;
}

static fib_status parse_ladder(pctx *c, const config_setting_t *g,
                               const char *pre, fib_plan_ladder *l)
{
    static const char *const keys[] = {"trench_pA",   "cut_pA",    "relief_pA",
                                       "thin_pA",     "polish_pA", "lowkv_pA",
                                       "fiducial_pA", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, pre, keys));
    FIB__CFG_TRY(get_num(c, g, pre, "trench_pA", &l->trench_pA, NUM_POS, 0));
    FIB__CFG_TRY(get_num(c, g, pre, "cut_pA", &l->cut_pA, NUM_POS, 0));
    FIB__CFG_TRY(get_num(c, g, pre, "relief_pA", &l->relief_pA, NUM_POS, 0));
    FIB__CFG_TRY(
        get_num(c, g, pre, "fiducial_pA", &l->fiducial_pA, NUM_POS, 0));
    FIB__CFG_TRY(get_num(c, g, pre, "polish_pA", &l->polish_pA, NUM_POS, 0));
    size_t n = 0;
    FIB__CFG_TRY(get_num_array(c, g, pre, "thin_pA", l->thin_pA, 5, &n, NULL));
    FIB__CFG_TRY(get_num_array(c, g, pre, "lowkv_pA", l->lowkv_pA,
                               FIB_PLAN_MAX_POLISH, &n, NULL));
    return FIB_OK;
}

/* Check a current against the column range; @p s for the line. */
static fib_status check_current(pctx *c, const config_setting_t *s,
                                const char *field, const fib_plan_column *col,
                                double pA)
{
    if (pA == 0)
        return FIB_OK;
    if (pA < col->current_min_pA * 0.999 || pA > col->current_max_pA * 1.001)
        return fib__cfg_err(
            &c->cfg, s, field, "%g pA is outside the %s column range %g..%g pA",
            pA, col->name, col->current_min_pA, col->current_max_pA);
    return FIB_OK;
}

static fib_status parse_ion(pctx *c, const config_setting_t *e, int i,
                            fib_plan_ion_setup *io)
{
    char pre[48];
    snprintf(pre, sizeof pre, "instrument.ions[%d]", i);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return fib__cfg_err(&c->cfg, e, pre,
                            "must be a group { ion = \"Ga\"; ... }");
    static const char *const keys[] = {"ion",        "column", "energy_keV",
                                       "presets_pA", "ladder", "vpd_um3_per_nC",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, e, pre, keys));
    char name[16] = "";
    const config_setting_t *is;
    FIB__CFG_TRY(get_str(c, e, pre, "ion", name, sizeof name, &is));
    char f[80];
    snprintf(f, sizeof f, "%s.ion", pre);
    if (!is)
        return fib__cfg_err(&c->cfg, e, f,
                            "is required (\"Ga\", \"Xe\", \"Ar\", ...)");
    fib_error e2 = {0};
    if (fib_plan_ion_parse(name, &io->ion, &e2) != FIB_OK)
        return fib__cfg_err(&c->cfg, is, f, "'%s' is not a known ion species",
                            name);
    const config_setting_t *cs;
    FIB__CFG_TRY(
        get_str(c, e, pre, "column", io->column, sizeof io->column, &cs));
    const fib_plan_column *col = io->column[0]
                                     ? fib_plan_column_find(io->column)
                                     : fib_plan_column_for_ion(io->ion);
    snprintf(f, sizeof f, "%s.column", pre);
    if (!col)
        return fib__cfg_err(&c->cfg, cs ? cs : e, f,
                            "'%s' is not a known column for %s",
                            io->column[0] ? io->column : "(default)", name);
    if (!(col->ion_mask & (1u << io->ion)))
        return fib__cfg_err(&c->cfg, cs, f, "'%s' does not carry %s ions",
                            col->name, name);
    FIB__CFG_TRY(get_num(c, e, pre, "energy_keV", &io->energy_keV, NUM_POS, 0));
    const config_setting_t *es = config_setting_get_member(e, "energy_keV");
    if (es && (io->energy_keV < col->energy_min_keV ||
               io->energy_keV > col->energy_max_keV)) {
        snprintf(f, sizeof f, "%s.energy_keV", pre);
        return fib__cfg_err(&c->cfg, es, f,
                            "%g keV is outside the %s column range "
                            "%g..%g keV",
                            io->energy_keV, col->name, col->energy_min_keV,
                            col->energy_max_keV);
    }
    FIB__CFG_TRY(get_num(c, e, pre, "vpd_um3_per_nC", &io->vpd_um3_per_nC,
                         NUM_POS, 100));
    FIB__CFG_TRY(get_num_array(c, e, pre, "presets_pA", io->presets_pA,
                               FIB_PLAN_MAX_PRESETS, &io->n_presets, NULL));
    const config_setting_t *ps = config_setting_get_member(e, "presets_pA");
    snprintf(f, sizeof f, "%s.presets_pA", pre);
    for (size_t k = 0; k < io->n_presets; k++) {
        FIB__CFG_TRY(check_current(c, ps, f, col, io->presets_pA[k]));
        if (k > 0 && !(io->presets_pA[k] > io->presets_pA[k - 1]))
            return fib__cfg_err(&c->cfg, ps, f, "must be strictly ascending");
    }
    const config_setting_t *lg = config_setting_get_member(e, "ladder");
    if (lg) {
        char lp[64];
        snprintf(lp, sizeof lp, "%s.ladder", pre);
        if (config_setting_type(lg) != CONFIG_TYPE_GROUP)
            return fib__cfg_err(&c->cfg, lg, lp, "must be a group { ... }");
        FIB__CFG_TRY(parse_ladder(c, lg, lp, &io->ladder));
        const fib_plan_ladder *l = &io->ladder;
        const double all[5] = {l->trench_pA, l->cut_pA, l->relief_pA,
                               l->polish_pA, l->fiducial_pA};
        static const char *const lkeys[5] = {"trench_pA", "cut_pA", "relief_pA",
                                             "polish_pA", "fiducial_pA"};
        char lf[96];
        for (int k = 0; k < 5; k++) {
            snprintf(lf, sizeof lf, "%s.%s", lp, lkeys[k]);
            FIB__CFG_TRY(check_current(c, lg, lf, col, all[k]));
        }
        snprintf(lf, sizeof lf, "%s.thin_pA", lp);
        for (int k = 0; k < 6 && l->thin_pA[k] > 0; k++)
            FIB__CFG_TRY(check_current(c, lg, lf, col, l->thin_pA[k]));
        snprintf(lf, sizeof lf, "%s.lowkv_pA", lp);
        for (int k = 0; k < FIB_PLAN_MAX_POLISH; k++)
            FIB__CFG_TRY(check_current(c, lg, lf, col, l->lowkv_pA[k]));
    }
    return FIB_OK;
}

static fib_status parse_instrument(pctx *c, const config_setting_t *g,
                                   fib_plan_request *r)
{
    static const char *const keys[] = {"ions", "application", "polish_kV",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "instrument", keys));
    const config_setting_t *as;
    FIB__CFG_TRY(get_str(c, g, "instrument", "application", r->application,
                         sizeof r->application, &as));
    if (as && !fib_plan_recipe_find(r->application))
        return fib__cfg_err(&c->cfg, as, "instrument.application",
                            "'%s' is not a known application file (Si, "
                            "Si-multipass, Si-ccs)",
                            r->application);
    FIB__CFG_TRY(get_num_array(c, g, "instrument", "polish_kV", r->polish_kV,
                               FIB_PLAN_MAX_POLISH, &r->n_polish_kV,
                               &r->polish_kV_given));
    for (size_t k = 0; k < r->n_polish_kV; k++)
        if (r->polish_kV[k] > 30)
            return fib__cfg_err(
                &c->cfg, config_setting_get_member(g, "polish_kV"),
                "instrument.polish_kV", "values must be <= 30 kV");
    const config_setting_t *L = config_setting_get_member(g, "ions");
    if (L) {
        if (config_setting_type(L) != CONFIG_TYPE_LIST)
            return fib__cfg_err(&c->cfg, L, "instrument.ions",
                                "must be a list ( { ion = \"Ga\"; }, ... )");
        int n = config_setting_length(L);
        if (n < 1 || n > FIB_PLAN_MAX_IONS)
            return fib__cfg_err(&c->cfg, L, "instrument.ions",
                                "must hold 1..%d species", FIB_PLAN_MAX_IONS);
        for (int i = 0; i < n; i++)
            FIB__CFG_TRY(parse_ion(c, config_setting_get_elem(L, (unsigned)i),
                                   i, &r->ions[i]));
        r->n_ions = (size_t)n;
    }
    return FIB_OK;
}

static fib_status parse_site(pctx *c, const config_setting_t *g,
                             fib_plan_request *r)
{
    static const char *const keys[] = {"method",
                                       "lamella_width_um",
                                       "lamella_height_um",
                                       "target_thickness_nm",
                                       "rough_thickness_nm",
                                       "trench_length_um",
                                       "margin_um",
                                       "depth_margin_um",
                                       "trench_style",
                                       "stair_steps",
                                       "milling_angle_deg",
                                       "column_angle_deg",
                                       "undercut_tilt_deg",
                                       "undercut",
                                       "undercut_width_um",
                                       "overtilt_deg",
                                       "taper_deg",
                                       "thin_overlap_um",
                                       "window_height_um",
                                       "polish_depth_um",
                                       "useful_core_nm",
                                       "tail_factor",
                                       "stress_relief_len_um",
                                       "stress_relief_gap_um",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "site", keys));
    fib_geom_site *s = &r->site;
    char buf[32];
    const config_setting_t *ms;
    buf[0] = 0;
    FIB__CFG_TRY(get_str(c, g, "site", "method", buf, sizeof buf, &ms));
    if (ms && !fib_geom_method_parse(buf, &s->method))
        return fib__cfg_err(
            &c->cfg, ms, "site.method",
            "'%s' is unknown (liftout, cryo-liftout, on-grid, waffle, "
            "hbar)",
            buf);
    if (!ms)
        s->method = r->cryo ? FIB_GEOM_CRYO_LIFTOUT : FIB_GEOM_LIFTOUT;
    FIB__CFG_TRY(get_num(c, g, "site", "lamella_width_um", &s->lamella_width_um,
                         NUM_POS, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "lamella_height_um",
                         &s->lamella_height_um, NUM_POS, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "target_thickness_nm",
                         &s->target_thickness_nm, NUM_POS, 1e5));
    if (s->target_thickness_nm > 0 &&
        s->target_thickness_nm < FIB_PLAN_MIN_TARGET_NM)
        return fib__cfg_err(&c->cfg,
                            config_setting_get_member(g, "target_thickness_nm"),
                            "site.target_thickness_nm",
                            "must be >= %g nm (got %g): no lamella is thinner",
                            FIB_PLAN_MIN_TARGET_NM, s->target_thickness_nm);
    FIB__CFG_TRY(get_num(c, g, "site", "rough_thickness_nm",
                         &s->rough_thickness_nm, NUM_POS, 1e5));
    FIB__CFG_TRY(get_num(c, g, "site", "trench_length_um", &s->trench_length_um,
                         NUM_POS, 1000));
    double margin = 0;
    const config_setting_t *mg = config_setting_get_member(g, "margin_um");
    FIB__CFG_TRY(get_num(c, g, "site", "margin_um", &margin, NUM_NONNEG, 100));
    if (mg)
        s->margin_um = margin > 0 ? margin : -1.0;
    FIB__CFG_TRY(get_num(c, g, "site", "depth_margin_um", &s->depth_margin_um,
                         NUM_POS, 100));
    buf[0] = 0;
    FIB__CFG_TRY(get_str(c, g, "site", "trench_style", buf, sizeof buf, &ms));
    if (ms) {
        if (!strcmp(buf, "stair"))
            s->trench_style = FIB_GEOM_TRENCH_STAIR;
        else if (!strcmp(buf, "box"))
            s->trench_style = FIB_GEOM_TRENCH_BOX;
        else
            return fib__cfg_err(&c->cfg, ms, "site.trench_style",
                                "must be \"stair\" or \"box\" (got '%s')", buf);
    }
    FIB__CFG_TRY(
        get_count(c, g, "site", "stair_steps", &s->stair_steps, 1, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "milling_angle_deg",
                         &s->milling_angle_deg, NUM_POS, 89.9));
    FIB__CFG_TRY(get_num(c, g, "site", "column_angle_deg", &s->column_angle_deg,
                         NUM_POS, 89.9));
    FIB__CFG_TRY(get_num(c, g, "site", "undercut_tilt_deg",
                         &s->undercut_tilt_deg, NUM_ANY, 0));
    buf[0] = 0;
    FIB__CFG_TRY(get_str(c, g, "site", "undercut", buf, sizeof buf, &ms));
    if (ms) {
        if (!strcasecmp(buf, "J"))
            s->undercut = FIB_GEOM_UNDERCUT_J;
        else if (!strcasecmp(buf, "U"))
            s->undercut = FIB_GEOM_UNDERCUT_U;
        else
            return fib__cfg_err(&c->cfg, ms, "site.undercut",
                                "must be \"J\" or \"U\" (got '%s')", buf);
    }
    FIB__CFG_TRY(get_num(c, g, "site", "undercut_width_um",
                         &s->undercut_width_um, NUM_POS, 100));
    FIB__CFG_TRY(get_num(c, g, "site", "overtilt_deg", &s->overtilt_deg,
                         NUM_NONNEG, 10));
    FIB__CFG_TRY(
        get_num(c, g, "site", "taper_deg", &s->taper_deg, NUM_NONNEG, 10));
    FIB__CFG_TRY(get_num(c, g, "site", "window_height_um", &s->window_height_um,
                         NUM_POS, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "polish_depth_um", &s->polish_depth_um,
                         NUM_POS, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "thin_overlap_um", &s->thin_overlap_um,
                         NUM_POS, 100));
    FIB__CFG_TRY(get_num(c, g, "site", "stress_relief_len_um",
                         &s->stress_relief_len_um, NUM_POS, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "stress_relief_gap_um",
                         &s->stress_relief_gap_um, NUM_POS, 1000));
    FIB__CFG_TRY(get_num(c, g, "site", "useful_core_nm", &r->useful_core_nm,
                         NUM_NONNEG, FIB_PLAN_MAX_CORE_NM));
    FIB__CFG_TRY(get_num(c, g, "site", "tail_factor", &r->tail_factor, NUM_POS,
                         FIB_PLAN_MAX_TAIL_FACTOR));
    const config_setting_t *ts =
        config_setting_get_member(g, "target_thickness_nm");
    fib_geom_site d = *s;
    fib_geom_site_defaults(&d);
    if (ts && !(d.target_thickness_nm < d.rough_thickness_nm))
        return fib__cfg_err(&c->cfg, ts, "site.target_thickness_nm",
                            "(%g nm) must be below rough_thickness_nm (%g nm)",
                            d.target_thickness_nm, d.rough_thickness_nm);
    fib_error e2 = {0};
    if (fib_geom_site_check(&d, &e2) != FIB_OK)
        return fib__cfg_err(&c->cfg, g, "site", "is invalid: %s", e2.msg);
    return FIB_OK;
}

static fib_status parse_protect(pctx *c, const config_setting_t *g,
                                fib_plan_request *r)
{
    static const char *const keys[] = {"material", "thickness_um", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "protective_layer", keys));
    const config_setting_t *ms;
    FIB__CFG_TRY(get_str(c, g, "protective_layer", "material",
                         r->protect_material, sizeof r->protect_material, &ms));
    if (ms)
        FIB__CFG_TRY(check_material(c, ms, "protective_layer.material",
                                    r->protect_material, 0));
    double t = -1;
    FIB__CFG_TRY(get_num(c, g, "protective_layer", "thickness_um", &t,
                         NUM_NONNEG, FIB_PLAN_MAX_CAP_UM));
    if (config_setting_get_member(g, "thickness_um"))
        r->site.protect_thickness_um = t > 0 ? t : -1.0;
    return FIB_OK;
}

static fib_status parse_overheads(pctx *c, const config_setting_t *g,
                                  fib_plan_request *r)
{
    static const char *const keys[] = {
        "current_change_s", "stage_move_s", "alignment_s",        "image_s",
        "kv_change_s",      "gis_s",        "deposit_rate_um3_s", "needle_s",
        "ice_attach_s",     "transfer_s",   "pattern_setup_s",    NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "overheads", keys));
    fib_plan_overheads *o = &r->overheads;
    const char *p = "overheads";
    /* durations may be 0 (none); a rate may not */
    FIB__CFG_TRY(
        get_duration(c, g, p, "current_change_s", &o->current_change_s, 3600));
    FIB__CFG_TRY(get_duration(c, g, p, "stage_move_s", &o->stage_move_s, 3600));
    FIB__CFG_TRY(get_duration(c, g, p, "alignment_s", &o->alignment_s, 3600));
    FIB__CFG_TRY(get_duration(c, g, p, "image_s", &o->image_s, 3600));
    FIB__CFG_TRY(get_duration(c, g, p, "kv_change_s", &o->kv_change_s, 3600));
    FIB__CFG_TRY(get_duration(c, g, p, "gis_s", &o->gis_s, 3600));
    FIB__CFG_TRY(get_num(c, g, p, "deposit_rate_um3_s", &o->deposit_rate_um3_s,
                         NUM_POS, 1e3));
    FIB__CFG_TRY(get_duration(c, g, p, "needle_s", &o->needle_s, 36000));
    FIB__CFG_TRY(
        get_duration(c, g, p, "ice_attach_s", &o->ice_attach_s, 36000));
    FIB__CFG_TRY(get_duration(c, g, p, "transfer_s", &o->transfer_s, 36000));
    FIB__CFG_TRY(
        get_duration(c, g, p, "pattern_setup_s", &o->pattern_setup_s, 3600));
    return FIB_OK;
}

/* Replace the ion list by the species named in @p spec, keeping the file's
 * settings for species it already lists. */
static fib_status apply_ion_override(pctx *c, const char *spec,
                                     fib_plan_ion_setup *ions, size_t *n_ions)
{
    fib_plan_ion_setup out[FIB_PLAN_MAX_IONS];
    size_t n = 0;
    char buf[128];
    if (strlen(spec) >= sizeof buf)
        return fib_error_set(c->cfg.err, FIB_EINVAL,
                             "session: --ion list too "
                             "long");
    memcpy(buf, spec, strlen(spec) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == FIB_PLAN_MAX_IONS)
            return fib_error_set(c->cfg.err, FIB_EINVAL,
                                 "session: --ion names more than %d species",
                                 FIB_PLAN_MAX_IONS);
        fib_plan_ion ion;
        if (fib_plan_ion_parse(tok, &ion, c->cfg.err) != FIB_OK)
            return FIB_EINVAL;
        memset(&out[n], 0, sizeof out[n]);
        out[n].ion = ion;
        for (size_t k = 0; k < *n_ions; k++)
            if (ions[k].ion == ion)
                out[n] = ions[k];
        if (!fib_plan_column_for_ion(ion))
            return fib_error_set(c->cfg.err, FIB_EINVAL,
                                 "session: --ion %s: no column carries it",
                                 tok);
        n++;
    }
    if (n == 0)
        return fib_error_set(c->cfg.err, FIB_EINVAL, "session: --ion is empty");
    memcpy(ions, out, n * sizeof out[0]);
    *n_ions = n;
    return FIB_OK;
}

/* Shared: read @p text (or file @p path when text is NULL) into @p cfg. */
static fib_status load(config_t *cfg, const char *path, const char *text,
                       const char *name, fib_error *err)
{
    config_init(cfg);
    if (access(path ? path : ".", F_OK) == 0 || text) {
        const fib_status pst =
            fib__cfg_precheck("session", text ? NULL : path, text, name, err);
        if (pst != FIB_OK)
            return pst;
    }
    if (text) {
        if (config_read_string(cfg, text) == CONFIG_TRUE)
            return FIB_OK;
    } else {
        if (fib__require_regular("session", path, err) != FIB_OK)
            return FIB_EINVAL;
        FILE *f = fopen(path, "r");
        if (!f)
            return fib_error_set(err, errno == ENOENT ? FIB_ENOTFOUND : FIB_EIO,
                                 "session: %s: cannot open (%s)", path,
                                 strerror(errno));
        int ok = config_read(cfg, f);
        fclose(f);
        if (ok == CONFIG_TRUE)
            return FIB_OK;
    }
    return fib_error_set(err, FIB_EFORMAT, "session: %s:%d: syntax error: %s",
                         name, config_error_line(cfg),
                         config_error_text(cfg) ? config_error_text(cfg) : "?");
}

/* The setting a planner check message is about, for its line: the key
 * itself where the message names one of the site, else its group. */
static const config_setting_t *planner_msg_setting(const config_setting_t *root,
                                                   const char *msg)
{
    static const struct {
        const char *token, *group, *key;
    } map[] = {
        {"useful_core_nm", "site", "useful_core_nm"},
        {"rough_thickness_nm", "site", "rough_thickness_nm"},
        {"target_thickness_nm", "site", "target_thickness_nm"},
        {"tail_factor", "site", "tail_factor"},
        {"protect_thickness_um", "protective_layer", "thickness_um"},
        {"site", "site", NULL},
        {"layers", "sample", NULL},
        {"roi_layer", "sample", NULL},
        {"ions", "instrument", NULL},
        {"polish_kV", "instrument", "polish_kV"},
        {"application", "instrument", "application"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (!strstr(msg, map[i].token))
            continue;
        const config_setting_t *g =
            config_setting_get_member(root, map[i].group);
        if (!g)
            continue;
        const config_setting_t *k =
            map[i].key ? config_setting_get_member(g, map[i].key) : NULL;
        return k ? k : g;
    }
    return NULL;
}

static fib_status parse_session(pctx *c, const config_t *cfg,
                                const char *ion_override, fib_plan_request *r)
{
    const config_setting_t *root = config_root_setting(cfg);
    static const char *const keys[] = {
        "name", "sample", "temperature", "instrument", "site",
        "protective_layer", "overheads",
        /* multi-site keys, read by session_sites_cfg.c */
        "sites", "workflow", "phases", "success_rate", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, root, "", keys));
    FIB__CFG_TRY(get_str(c, root, "", "name", r->name, sizeof r->name, NULL));
    fib_status st;
    const config_setting_t *g = get_group(c, root, "sample", &st);
    FIB__CFG_TRY(st);
    if (!g)
        return fib__cfg_err(&c->cfg, NULL, "sample",
                            "is required (sample = { layers = "
                            "(...); })");
    FIB__CFG_TRY(parse_sample(c, g, r));
    if ((g = get_group(c, root, "temperature", &st)))
        FIB__CFG_TRY(parse_temperature(c, g, r));
    FIB__CFG_TRY(st);
    if ((g = get_group(c, root, "instrument", &st)))
        FIB__CFG_TRY(parse_instrument(c, g, r));
    FIB__CFG_TRY(st);
    if ((g = get_group(c, root, "site", &st)))
        FIB__CFG_TRY(parse_site(c, g, r));
    else
        r->site.method = r->cryo ? FIB_GEOM_CRYO_LIFTOUT : FIB_GEOM_LIFTOUT;
    FIB__CFG_TRY(st);
    if ((g = get_group(c, root, "protective_layer", &st)))
        FIB__CFG_TRY(parse_protect(c, g, r));
    FIB__CFG_TRY(st);
    if ((g = get_group(c, root, "overheads", &st)))
        FIB__CFG_TRY(parse_overheads(c, g, r));
    FIB__CFG_TRY(st);
    if (r->n_ions == 0) {
        r->n_ions = 1;
        r->ions[0].ion = FIB_PLAN_ION_GA;
    }
    if (ion_override)
        FIB__CFG_TRY(apply_ion_override(c, ion_override, r->ions, &r->n_ions));
    fib_error e2 = {0};
    if (fib_plan_request_check(r, c->db, &e2) != FIB_OK) {
        const config_setting_t *at = planner_msg_setting(root, e2.msg);
        unsigned line = at ? (unsigned)config_setting_source_line(at) : 0;
        if (line)
            return fib_error_set(c->cfg.err, e2.code, "session: %s:%u: %s",
                                 c->cfg.file, line, e2.msg);
        return fib_error_set(c->cfg.err, e2.code, "session: %s: %s",
                             c->cfg.file, e2.msg);
    }
    return FIB_OK;
}

static fib_status session_any(const char *path, const char *text,
                              const char *name, const fib_plan_materials *db,
                              const char *ion_override, fib_plan_request *out,
                              fib_error *err)
{
    if (!out || (!path && !text))
        return fib_error_set(err, FIB_EINVAL, "session: no input");
    memset(out, 0, sizeof *out);
    out->roi_layer = -1;
    config_t cfg;
    fib_status st = load(&cfg, path, text, name, err);
    if (st == FIB_OK) {
        pctx c = {{name, err}, db};
        st = parse_session(&c, &cfg, ion_override, out);
    }
    config_destroy(&cfg);
    return st;
}

fib_status fib_fmt_session_read(const char *path, const fib_plan_materials *db,
                                const char *ion_override, fib_plan_request *out,
                                fib_error *err)
{
    if (!path)
        return fib_error_set(err, FIB_EINVAL, "session: no path");
    return session_any(path, NULL, path, db, ion_override, out, err);
}

fib_status fib_fmt_session_parse(const char *text, const char *name,
                                 const fib_plan_materials *db,
                                 const char *ion_override,
                                 fib_plan_request *out, fib_error *err)
{
    if (!text)
        return fib_error_set(err, FIB_EINVAL, "session: no text");
    return session_any(NULL, text, name ? name : "(string)", db, ion_override,
                       out, err);
}

/* ---------------------------------------------------------------------- */
/* Slice-and-view run files                                               */

static fib_status parse_sv(pctx *c, const config_t *cfg,
                           const char *ion_override, fib_plan_sv_request *r)
{
    const config_setting_t *root = config_root_setting(cfg);
    static const char *const keys[] = {
        "name",        "material",    "region_um",     "voxel_nm",
        "slice_nm",    "ions",        "sem",           "per_slice_overhead_s",
        "temperature", "application", "time_budget_h", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, root, "", keys));
    FIB__CFG_TRY(get_str(c, root, "", "name", r->name, sizeof r->name, NULL));
    const config_setting_t *ms;
    FIB__CFG_TRY(
        get_str(c, root, "", "material", r->material, sizeof r->material, &ms));
    if (!ms)
        return fib__cfg_err(&c->cfg, NULL, "material", "is required");
    FIB__CFG_TRY(check_material(c, ms, "material", r->material, 0));
    const config_setting_t *rg = config_setting_get_member(root, "region_um");
    if (!rg)
        return fib__cfg_err(&c->cfg, NULL, "region_um",
                            "is required ([x, y, z] in um)");
    double reg[3];
    size_t nreg = 0;
    FIB__CFG_TRY(get_num_array(c, root, "", "region_um", reg, 3, &nreg, NULL));
    if (nreg != 3)
        return fib__cfg_err(&c->cfg, rg, "region_um",
                            "must hold 3 values [x, y, z] um");
    r->region_x_um = reg[0];
    r->region_y_um = reg[1];
    r->region_z_um = reg[2];
    const config_setting_t *vs = config_setting_get_member(root, "voxel_nm");
    if (!vs)
        return fib__cfg_err(&c->cfg, NULL, "voxel_nm", "is required");
    FIB__CFG_TRY(get_num(c, root, "", "voxel_nm", &r->voxel_nm, NUM_POS, 1e5));
    FIB__CFG_TRY(get_num(c, root, "", "slice_nm", &r->slice_nm, NUM_POS, 1e5));
    FIB__CFG_TRY(get_num(c, root, "", "per_slice_overhead_s",
                         &r->per_slice_overhead_s, NUM_NONNEG, 3600));
    FIB__CFG_TRY(get_num(c, root, "", "time_budget_h", &r->time_budget_h,
                         NUM_POS, 24 * 365));
    char mode[16] = "room";
    const config_setting_t *ts;
    FIB__CFG_TRY(get_str(c, root, "", "temperature", mode, sizeof mode, &ts));
    if (ts && strcmp(mode, "room") && strcmp(mode, "cryo"))
        return fib__cfg_err(&c->cfg, ts, "temperature",
                            "must be \"room\" or \"cryo\"");
    r->cryo = !strcmp(mode, "cryo");
    const config_setting_t *as;
    FIB__CFG_TRY(get_str(c, root, "", "application", r->application,
                         sizeof r->application, &as));
    if (as && !fib_plan_recipe_find(r->application))
        return fib__cfg_err(&c->cfg, as, "application",
                            "'%s' is not a known application "
                            "file",
                            r->application);
    fib_status st;
    const config_setting_t *sem = get_group(c, root, "sem", &st);
    FIB__CFG_TRY(st);
    if (sem) {
        static const char *const sk[] = {
            "kV",        "current_pA",      "dwell_us", "frames",
            "detectors", "bytes_per_pixel", "edx_s",    NULL};
        FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, sem, "sem", sk));
        FIB__CFG_TRY(get_num(c, sem, "sem", "kV", &r->sem_kV, NUM_POS, 30));
        FIB__CFG_TRY(get_num(c, sem, "sem", "current_pA", &r->sem_current_pA,
                             NUM_POS, 1e6));
        FIB__CFG_TRY(
            get_num(c, sem, "sem", "dwell_us", &r->dwell_us, NUM_POS, 1e4));
        FIB__CFG_TRY(get_count(c, sem, "sem", "frames", &r->frames, 1, 256));
        FIB__CFG_TRY(
            get_count(c, sem, "sem", "detectors", &r->n_detectors, 1, 8));
        FIB__CFG_TRY(get_count(c, sem, "sem", "bytes_per_pixel",
                               &r->bytes_per_pixel, 1, 8));
        FIB__CFG_TRY(
            get_num(c, sem, "sem", "edx_s", &r->edx_s, NUM_NONNEG, 36000));
    }
    const config_setting_t *L = config_setting_get_member(root, "ions");
    if (L) {
        if (config_setting_type(L) != CONFIG_TYPE_LIST)
            return fib__cfg_err(&c->cfg, L, "ions",
                                "must be a list ( { ion = \"Ga\"; "
                                "current_pA = ...; }, ... )");
        int n = config_setting_length(L);
        if (n < 1 || n > FIB_PLAN_MAX_IONS)
            return fib__cfg_err(&c->cfg, L, "ions", "must hold 1..%d species",
                                FIB_PLAN_MAX_IONS);
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(L, (unsigned)i);
            char pre[32];
            snprintf(pre, sizeof pre, "ions[%d]", i);
            if (config_setting_type(e) != CONFIG_TYPE_GROUP)
                return fib__cfg_err(&c->cfg, e, pre, "must be a group");
            static const char *const ik[] = {
                "ion",        "column",         "energy_keV",
                "current_pA", "vpd_um3_per_nC", NULL};
            FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, e, pre, ik));
            char name[16] = "";
            const config_setting_t *is;
            FIB__CFG_TRY(get_str(c, e, pre, "ion", name, sizeof name, &is));
            char f[48];
            snprintf(f, sizeof f, "%s.ion", pre);
            if (!is)
                return fib__cfg_err(&c->cfg, e, f, "is required");
            fib_error e2 = {0};
            if (fib_plan_ion_parse(name, &r->ions[i].ion, &e2) != FIB_OK)
                return fib__cfg_err(&c->cfg, is, f,
                                    "'%s' is not a known ion species", name);
            const config_setting_t *cs;
            FIB__CFG_TRY(get_str(c, e, pre, "column", r->ions[i].column,
                                 sizeof r->ions[i].column, &cs));
            const fib_plan_column *col =
                r->ions[i].column[0] ? fib_plan_column_find(r->ions[i].column)
                                     : fib_plan_column_for_ion(r->ions[i].ion);
            if (!col)
                return fib__cfg_err(&c->cfg, cs ? cs : e, pre,
                                    "has no known column");
            FIB__CFG_TRY(get_num(c, e, pre, "energy_keV",
                                 &r->ions[i].energy_keV, NUM_POS, 100));
            FIB__CFG_TRY(get_num(c, e, pre, "vpd_um3_per_nC",
                                 &r->ions[i].vpd_um3_per_nC, NUM_POS, 100));
            FIB__CFG_TRY(get_num(c, e, pre, "current_pA", &r->ion_current_pA[i],
                                 NUM_POS, 1e7));
            snprintf(f, sizeof f, "%s.current_pA", pre);
            FIB__CFG_TRY(
                check_current(c, config_setting_get_member(e, "current_pA"), f,
                              col, r->ion_current_pA[i]));
        }
        r->n_ions = (size_t)n;
    }
    if (r->n_ions == 0) {
        r->n_ions = 1;
        r->ions[0].ion = FIB_PLAN_ION_GA;
    }
    if (ion_override) {
        double cur[FIB_PLAN_MAX_IONS] = {0};
        fib_plan_ion_setup old[FIB_PLAN_MAX_IONS];
        size_t n_old = r->n_ions;
        memcpy(old, r->ions, sizeof old);
        FIB__CFG_TRY(apply_ion_override(c, ion_override, r->ions, &r->n_ions));
        for (size_t i = 0; i < r->n_ions; i++)
            for (size_t k = 0; k < n_old; k++)
                if (old[k].ion == r->ions[i].ion)
                    cur[i] = r->ion_current_pA[k];
        memcpy(r->ion_current_pA, cur, sizeof cur);
    }
    return FIB_OK;
}

static fib_status sv_any(const char *path, const char *text, const char *name,
                         const fib_plan_materials *db, const char *ion_override,
                         fib_plan_sv_request *out, fib_error *err)
{
    if (!out || (!path && !text))
        return fib_error_set(err, FIB_EINVAL, "session: no input");
    memset(out, 0, sizeof *out);
    config_t cfg;
    fib_status st = load(&cfg, path, text, name, err);
    if (st == FIB_OK) {
        pctx c = {{name, err}, db};
        st = parse_sv(&c, &cfg, ion_override, out);
    }
    config_destroy(&cfg);
    return st;
}

fib_status fib_fmt_slice_view_read(const char *path,
                                   const fib_plan_materials *db,
                                   const char *ion_override,
                                   fib_plan_sv_request *out, fib_error *err)
{
    if (!path)
        return fib_error_set(err, FIB_EINVAL, "session: no path");
    return sv_any(path, NULL, path, db, ion_override, out, err);
}

fib_status fib_fmt_slice_view_parse(const char *text, const char *name,
                                    const fib_plan_materials *db,
                                    const char *ion_override,
                                    fib_plan_sv_request *out, fib_error *err)
{
    if (!text)
        return fib_error_set(err, FIB_EINVAL, "session: no text");
    return sv_any(NULL, text, name ? name : "(string)", db, ion_override, out,
                  err);
}
