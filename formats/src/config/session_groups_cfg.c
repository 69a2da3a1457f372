/*
 * session_groups_cfg.c -- the groups of a session file (sample,
 * temperature, instrument and its ions, site, protective layer,
 * overheads) into a fib_plan_request (session_cfg_internal.h).
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

#include "fmt_internal.h"
#include "session_cfg_internal.h"

/* ---------------------------------------------------------------------- */

static fib_status parse_sens(fib__scfg_ctx *c, const config_setting_t *s,
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

fib_status fib__scfg_check_material(fib__scfg_ctx *c, const config_setting_t *s,
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

fib_status fib__scfg_parse_sample(fib__scfg_ctx *c, const config_setting_t *g,
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
        FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, e, pre, "material", ly->material,
                                      sizeof ly->material, &ms));
        char f[64];
        snprintf(f, sizeof f, "%s.material", pre);
        if (!ms)
            return fib__cfg_err(&c->cfg, e, f, "is required");
        FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "thickness_um",
                                         &ly->thickness_um, FIB__CFG_NONNEG,
                                         1e6));
        if (ly->thickness_um == 0 && i != n - 1) {
            snprintf(f, sizeof f, "%s.thickness_um", pre);
            return fib__cfg_err(&c->cfg, e, f,
                                "must be > 0 (only the last layer may be 0 "
                                "= semi-infinite)");
        }
        FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "density_g_cm3",
                                         &ly->density_g_cm3, FIB__CFG_POS, 30));
        FIB__CFG_TRY(fib__scfg_check_material(c, ms, f, ly->material,
                                              ly->density_g_cm3));
    }
    r->n_layers = (size_t)n;
    double roi = -1;
    const config_setting_t *rs = config_setting_get_member(g, "roi_layer");
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "sample", "roi_layer", &roi,
                                     FIB__CFG_ANY, 0));
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
    FIB__CFG_TRY(
        fib__cfg_get_bool(&c->cfg, g, "sample", "nanoscale", &r->nanoscale));
    return FIB_OK;
}

fib_status fib__scfg_parse_temperature(fib__scfg_ctx *c,
                                       const config_setting_t *g,
                                       fib_plan_request *r)
{
    static const char *const keys[] = {"mode", "stage_K", "ice_growth_nm_per_h",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "temperature", keys));
    char mode[16] = "room";
    const config_setting_t *ms;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, g, "temperature", "mode", mode,
                                  sizeof mode, &ms));
    if (!strcmp(mode, "cryo"))
        r->cryo = true;
    else if (!strcmp(mode, "room") || !strcmp(mode, "rt"))
        r->cryo = false;
    else
        return fib__cfg_err(&c->cfg, ms, "temperature.mode",
                            "must be \"room\" or \"cryo\" (got '%s')", mode);
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "temperature", "stage_K",
                                     &r->stage_K, FIB__CFG_POS, 400));
    const config_setting_t *ks = config_setting_get_member(g, "stage_K");
    if (ks && r->cryo && r->stage_K > 200)
        return fib__cfg_err(&c->cfg, ks, "temperature.stage_K",
                            "must be <= 200 K for mode \"cryo\" (got %g)",
                            r->stage_K);
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "temperature",
                                     "ice_growth_nm_per_h", &r->ice_growth_nm_h,
                                     FIB__CFG_NONNEG, 10000));
    return FIB_OK;
}

static fib_status parse_ladder(fib__scfg_ctx *c, const config_setting_t *g,
                               const char *pre, fib_plan_ladder *l)
{
    static const char *const keys[] = {"trench_pA",   "cut_pA",    "relief_pA",
                                       "thin_pA",     "polish_pA", "lowkv_pA",
                                       "fiducial_pA", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, pre, keys));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, pre, "trench_pA",
                                     &l->trench_pA, FIB__CFG_POS, 0));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, pre, "cut_pA", &l->cut_pA,
                                     FIB__CFG_POS, 0));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, pre, "relief_pA",
                                     &l->relief_pA, FIB__CFG_POS, 0));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, pre, "fiducial_pA",
                                     &l->fiducial_pA, FIB__CFG_POS, 0));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, pre, "polish_pA",
                                     &l->polish_pA, FIB__CFG_POS, 0));
    size_t n = 0;
    FIB__CFG_TRY(fib__cfg_get_num_array(&c->cfg, g, pre, "thin_pA", l->thin_pA,
                                        5, &n, NULL));
    FIB__CFG_TRY(fib__cfg_get_num_array(&c->cfg, g, pre, "lowkv_pA",
                                        l->lowkv_pA, FIB_PLAN_MAX_POLISH, &n,
                                        NULL));
    return FIB_OK;
}

/* Check a current against the column range; @p s for the line. */
fib_status fib__scfg_check_current(fib__scfg_ctx *c, const config_setting_t *s,
                                   const char *field,
                                   const fib_plan_column *col, double pA)
{
    if (pA == 0)
        return FIB_OK;
    if (pA < col->current_min_pA * 0.999 || pA > col->current_max_pA * 1.001)
        return fib__cfg_err(
            &c->cfg, s, field, "%g pA is outside the %s column range %g..%g pA",
            pA, col->name, col->current_min_pA, col->current_max_pA);
    return FIB_OK;
}

static fib_status parse_ion(fib__scfg_ctx *c, const config_setting_t *e, int i,
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
    FIB__CFG_TRY(
        fib__cfg_get_str(&c->cfg, e, pre, "ion", name, sizeof name, &is));
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
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, e, pre, "column", io->column,
                                  sizeof io->column, &cs));
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
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "energy_keV",
                                     &io->energy_keV, FIB__CFG_POS, 0));
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
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "vpd_um3_per_nC",
                                     &io->vpd_um3_per_nC, FIB__CFG_POS, 100));
    FIB__CFG_TRY(fib__cfg_get_num_array(&c->cfg, e, pre, "presets_pA",
                                        io->presets_pA, FIB_PLAN_MAX_PRESETS,
                                        &io->n_presets, NULL));
    const config_setting_t *ps = config_setting_get_member(e, "presets_pA");
    snprintf(f, sizeof f, "%s.presets_pA", pre);
    for (size_t k = 0; k < io->n_presets; k++) {
        FIB__CFG_TRY(fib__scfg_check_current(c, ps, f, col, io->presets_pA[k]));
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
            FIB__CFG_TRY(fib__scfg_check_current(c, lg, lf, col, all[k]));
        }
        snprintf(lf, sizeof lf, "%s.thin_pA", lp);
        for (int k = 0; k < 6 && l->thin_pA[k] > 0; k++)
            FIB__CFG_TRY(
                fib__scfg_check_current(c, lg, lf, col, l->thin_pA[k]));
        snprintf(lf, sizeof lf, "%s.lowkv_pA", lp);
        for (int k = 0; k < FIB_PLAN_MAX_POLISH; k++)
            FIB__CFG_TRY(
                fib__scfg_check_current(c, lg, lf, col, l->lowkv_pA[k]));
    }
    return FIB_OK;
}

fib_status fib__scfg_parse_instrument(fib__scfg_ctx *c,
                                      const config_setting_t *g,
                                      fib_plan_request *r)
{
    static const char *const keys[] = {"ions", "application", "polish_kV",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "instrument", keys));
    const config_setting_t *as;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, g, "instrument", "application",
                                  r->application, sizeof r->application, &as));
    if (as && !fib_plan_recipe_find(r->application))
        return fib__cfg_err(&c->cfg, as, "instrument.application",
                            "'%s' is not a known application file (Si, "
                            "Si-multipass, Si-ccs)",
                            r->application);
    FIB__CFG_TRY(fib__cfg_get_num_array(&c->cfg, g, "instrument", "polish_kV",
                                        r->polish_kV, FIB_PLAN_MAX_POLISH,
                                        &r->n_polish_kV, &r->polish_kV_given));
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

/* site: method, lamella and trench sizes, margins, trench style. */
static fib_status parse_site_shape(fib__scfg_ctx *c, const config_setting_t *g,
                                   fib_plan_request *r)
{
    fib_geom_site *s = &r->site;
    char buf[32];
    const config_setting_t *ms;
    buf[0] = 0;
    FIB__CFG_TRY(
        fib__cfg_get_str(&c->cfg, g, "site", "method", buf, sizeof buf, &ms));
    if (ms && !fib_geom_method_parse(buf, &s->method))
        return fib__cfg_err(
            &c->cfg, ms, "site.method",
            "'%s' is unknown (liftout, cryo-liftout, on-grid, waffle, "
            "hbar)",
            buf);
    if (!ms)
        s->method = r->cryo ? FIB_GEOM_CRYO_LIFTOUT : FIB_GEOM_LIFTOUT;
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "lamella_width_um",
                                     &s->lamella_width_um, FIB__CFG_POS, 1000));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "lamella_height_um",
                                     &s->lamella_height_um, FIB__CFG_POS,
                                     1000));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "target_thickness_nm",
                                     &s->target_thickness_nm, FIB__CFG_POS,
                                     1e5));
    if (s->target_thickness_nm > 0 &&
        s->target_thickness_nm < FIB_PLAN_MIN_TARGET_NM)
        return fib__cfg_err(&c->cfg,
                            config_setting_get_member(g, "target_thickness_nm"),
                            "site.target_thickness_nm",
                            "must be >= %g nm (got %g): no lamella is thinner",
                            FIB_PLAN_MIN_TARGET_NM, s->target_thickness_nm);
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "rough_thickness_nm",
                                     &s->rough_thickness_nm, FIB__CFG_POS,
                                     1e5));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "trench_length_um",
                                     &s->trench_length_um, FIB__CFG_POS, 1000));
    double margin = 0;
    const config_setting_t *mg = config_setting_get_member(g, "margin_um");
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "margin_um", &margin,
                                     FIB__CFG_NONNEG, 100));
    if (mg)
        s->margin_um = margin > 0 ? margin : -1.0;
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "depth_margin_um",
                                     &s->depth_margin_um, FIB__CFG_POS, 100));
    buf[0] = 0;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, g, "site", "trench_style", buf,
                                  sizeof buf, &ms));
    if (ms) {
        if (!strcmp(buf, "stair"))
            s->trench_style = FIB_GEOM_TRENCH_STAIR;
        else if (!strcmp(buf, "box"))
            s->trench_style = FIB_GEOM_TRENCH_BOX;
        else
            return fib__cfg_err(&c->cfg, ms, "site.trench_style",
                                "must be \"stair\" or \"box\" (got '%s')", buf);
    }
    FIB__CFG_TRY(fib__cfg_get_count(&c->cfg, g, "site", "stair_steps",
                                    &s->stair_steps, 1, 1000));
    return FIB_OK;
}

/* site: angles, undercut, over-tilt, windows, stress relief, core. */
static fib_status parse_site_cuts(fib__scfg_ctx *c, const config_setting_t *g,
                                  fib_plan_request *r)
{
    fib_geom_site *s = &r->site;
    char buf[32];
    const config_setting_t *ms;
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "milling_angle_deg",
                                     &s->milling_angle_deg, FIB__CFG_POS,
                                     89.9));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "column_angle_deg",
                                     &s->column_angle_deg, FIB__CFG_POS, 89.9));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "undercut_tilt_deg",
                                     &s->undercut_tilt_deg, FIB__CFG_ANY, 0));
    buf[0] = 0;
    FIB__CFG_TRY(
        fib__cfg_get_str(&c->cfg, g, "site", "undercut", buf, sizeof buf, &ms));
    if (ms) {
        if (!strcasecmp(buf, "J"))
            s->undercut = FIB_GEOM_UNDERCUT_J;
        else if (!strcasecmp(buf, "U"))
            s->undercut = FIB_GEOM_UNDERCUT_U;
        else
            return fib__cfg_err(&c->cfg, ms, "site.undercut",
                                "must be \"J\" or \"U\" (got '%s')", buf);
    }
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "undercut_width_um",
                                     &s->undercut_width_um, FIB__CFG_POS, 100));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "overtilt_deg",
                                     &s->overtilt_deg, FIB__CFG_NONNEG, 10));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "taper_deg",
                                     &s->taper_deg, FIB__CFG_NONNEG, 10));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "window_height_um",
                                     &s->window_height_um, FIB__CFG_POS, 1000));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "polish_depth_um",
                                     &s->polish_depth_um, FIB__CFG_POS, 1000));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "thin_overlap_um",
                                     &s->thin_overlap_um, FIB__CFG_POS, 100));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "stress_relief_len_um",
                                     &s->stress_relief_len_um, FIB__CFG_POS,
                                     1000));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "stress_relief_gap_um",
                                     &s->stress_relief_gap_um, FIB__CFG_POS,
                                     1000));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "useful_core_nm",
                                     &r->useful_core_nm, FIB__CFG_NONNEG,
                                     FIB_PLAN_MAX_CORE_NM));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "site", "tail_factor",
                                     &r->tail_factor, FIB__CFG_POS,
                                     FIB_PLAN_MAX_TAIL_FACTOR));
    return FIB_OK;
}

fib_status fib__scfg_parse_site(fib__scfg_ctx *c, const config_setting_t *g,
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
    FIB__CFG_TRY(parse_site_shape(c, g, r));
    FIB__CFG_TRY(parse_site_cuts(c, g, r));
    fib_geom_site *s = &r->site;
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

fib_status fib__scfg_parse_protect(fib__scfg_ctx *c, const config_setting_t *g,
                                   fib_plan_request *r)
{
    static const char *const keys[] = {"material", "thickness_um", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, g, "protective_layer", keys));
    const config_setting_t *ms;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, g, "protective_layer", "material",
                                  r->protect_material,
                                  sizeof r->protect_material, &ms));
    if (ms)
        FIB__CFG_TRY(fib__scfg_check_material(
            c, ms, "protective_layer.material", r->protect_material, 0));
    double t = -1;
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, "protective_layer",
                                     "thickness_um", &t, FIB__CFG_NONNEG,
                                     FIB_PLAN_MAX_CAP_UM));
    if (config_setting_get_member(g, "thickness_um"))
        r->site.protect_thickness_um = t > 0 ? t : -1.0;
    return FIB_OK;
}

fib_status fib__scfg_parse_overheads(fib__scfg_ctx *c,
                                     const config_setting_t *g,
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
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "current_change_s",
                                       &o->current_change_s, 3600));
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "stage_move_s",
                                       &o->stage_move_s, 3600));
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "alignment_s",
                                       &o->alignment_s, 3600));
    FIB__CFG_TRY(
        fib__cfg_get_duration(&c->cfg, g, p, "image_s", &o->image_s, 3600));
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "kv_change_s",
                                       &o->kv_change_s, 3600));
    FIB__CFG_TRY(
        fib__cfg_get_duration(&c->cfg, g, p, "gis_s", &o->gis_s, 3600));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, g, p, "deposit_rate_um3_s",
                                     &o->deposit_rate_um3_s, FIB__CFG_POS,
                                     1e3));
    FIB__CFG_TRY(
        fib__cfg_get_duration(&c->cfg, g, p, "needle_s", &o->needle_s, 36000));
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "ice_attach_s",
                                       &o->ice_attach_s, 36000));
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "transfer_s",
                                       &o->transfer_s, 36000));
    FIB__CFG_TRY(fib__cfg_get_duration(&c->cfg, g, p, "pattern_setup_s",
                                       &o->pattern_setup_s, 3600));
    return FIB_OK;
}
