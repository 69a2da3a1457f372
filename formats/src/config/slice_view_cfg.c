/*
 * slice_view_cfg.c -- libconfig slice-and-view run files ->
 * fib_plan_sv_request (see fib/session_cfg.h).
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
#include "fmt_internal.h"
#include "session_cfg_internal.h"

/* ---------------------------------------------------------------------- */
/* Slice-and-view run files                                               */

/* The sem group of a slice-and-view file. */
static fib_status sv_sem(fib__scfg_ctx *c, const config_setting_t *sem,
                         fib_plan_sv_request *r)
{
    static const char *const sk[] = {"kV",     "current_pA", "dwell_us",
                                     "frames", "detectors",  "bytes_per_pixel",
                                     "edx_s",  NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, sem, "sem", sk));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, sem, "sem", "kV", &r->sem_kV,
                                     FIB__CFG_POS, 30));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, sem, "sem", "current_pA",
                                     &r->sem_current_pA, FIB__CFG_POS, 1e6));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, sem, "sem", "dwell_us",
                                     &r->dwell_us, FIB__CFG_POS, 1e4));
    FIB__CFG_TRY(
        fib__cfg_get_count(&c->cfg, sem, "sem", "frames", &r->frames, 1, 256));
    FIB__CFG_TRY(fib__cfg_get_count(&c->cfg, sem, "sem", "detectors",
                                    &r->n_detectors, 1, 8));
    FIB__CFG_TRY(fib__cfg_get_count(&c->cfg, sem, "sem", "bytes_per_pixel",
                                    &r->bytes_per_pixel, 1, 8));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, sem, "sem", "edx_s", &r->edx_s,
                                     FIB__CFG_NONNEG, 36000));
    return FIB_OK;
}

/* Element @p i of the ions list. */
static fib_status sv_ion(fib__scfg_ctx *c, const config_setting_t *e, int i,
                         fib_plan_sv_request *r)
{
    char pre[32];
    snprintf(pre, sizeof pre, "ions[%d]", i);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return fib__cfg_err(&c->cfg, e, pre, "must be a group");
    static const char *const ik[] = {
        "ion", "column", "energy_keV", "current_pA", "vpd_um3_per_nC", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, e, pre, ik));
    char name[16] = "";
    const config_setting_t *is;
    FIB__CFG_TRY(
        fib__cfg_get_str(&c->cfg, e, pre, "ion", name, sizeof name, &is));
    char f[48];
    snprintf(f, sizeof f, "%s.ion", pre);
    if (!is)
        return fib__cfg_err(&c->cfg, e, f, "is required");
    fib_error e2 = {0};
    if (fib_plan_ion_parse(name, &r->ions[i].ion, &e2) != FIB_OK)
        return fib__cfg_err(&c->cfg, is, f, "'%s' is not a known ion species",
                            name);
    const config_setting_t *cs;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, e, pre, "column", r->ions[i].column,
                                  sizeof r->ions[i].column, &cs));
    const fib_plan_column *col = r->ions[i].column[0]
                                     ? fib_plan_column_find(r->ions[i].column)
                                     : fib_plan_column_for_ion(r->ions[i].ion);
    if (!col)
        return fib__cfg_err(&c->cfg, cs ? cs : e, pre, "has no known column");
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "energy_keV",
                                     &r->ions[i].energy_keV, FIB__CFG_POS,
                                     100));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "vpd_um3_per_nC",
                                     &r->ions[i].vpd_um3_per_nC, FIB__CFG_POS,
                                     100));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, e, pre, "current_pA",
                                     &r->ion_current_pA[i], FIB__CFG_POS, 1e7));
    snprintf(f, sizeof f, "%s.current_pA", pre);
    FIB__CFG_TRY(
        fib__scfg_check_current(c, config_setting_get_member(e, "current_pA"),
                                f, col, r->ion_current_pA[i]));
    return FIB_OK;
}

static fib_status parse_sv(fib__scfg_ctx *c, const config_t *cfg,
                           const char *ion_override, fib_plan_sv_request *r)
{
    const config_setting_t *root = config_root_setting(cfg);
    static const char *const keys[] = {
        "name",        "material",    "region_um",     "voxel_nm",
        "slice_nm",    "ions",        "sem",           "per_slice_overhead_s",
        "temperature", "application", "time_budget_h", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, root, "", keys));
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, root, "", "name", r->name,
                                  sizeof r->name, NULL));
    const config_setting_t *ms;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, root, "", "material", r->material,
                                  sizeof r->material, &ms));
    if (!ms)
        return fib__cfg_err(&c->cfg, NULL, "material", "is required");
    FIB__CFG_TRY(fib__scfg_check_material(c, ms, "material", r->material, 0));
    const config_setting_t *rg = config_setting_get_member(root, "region_um");
    if (!rg)
        return fib__cfg_err(&c->cfg, NULL, "region_um",
                            "is required ([x, y, z] in um)");
    double reg[3];
    size_t nreg = 0;
    FIB__CFG_TRY(fib__cfg_get_num_array(&c->cfg, root, "", "region_um", reg, 3,
                                        &nreg, NULL));
    if (nreg != 3)
        return fib__cfg_err(&c->cfg, rg, "region_um",
                            "must hold 3 values [x, y, z] um");
    r->region_x_um = reg[0];
    r->region_y_um = reg[1];
    r->region_z_um = reg[2];
    const config_setting_t *vs = config_setting_get_member(root, "voxel_nm");
    if (!vs)
        return fib__cfg_err(&c->cfg, NULL, "voxel_nm", "is required");
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, root, "", "voxel_nm",
                                     &r->voxel_nm, FIB__CFG_POS, 1e5));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, root, "", "slice_nm",
                                     &r->slice_nm, FIB__CFG_POS, 1e5));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, root, "", "per_slice_overhead_s",
                                     &r->per_slice_overhead_s, FIB__CFG_NONNEG,
                                     3600));
    FIB__CFG_TRY(fib__cfg_get_signed(&c->cfg, root, "", "time_budget_h",
                                     &r->time_budget_h, FIB__CFG_POS,
                                     24 * 365));
    char mode[16] = "room";
    const config_setting_t *ts;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, root, "", "temperature", mode,
                                  sizeof mode, &ts));
    if (ts && strcmp(mode, "room") && strcmp(mode, "cryo"))
        return fib__cfg_err(&c->cfg, ts, "temperature",
                            "must be \"room\" or \"cryo\"");
    r->cryo = !strcmp(mode, "cryo");
    const config_setting_t *as;
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, root, "", "application",
                                  r->application, sizeof r->application, &as));
    if (as && !fib_plan_recipe_find(r->application))
        return fib__cfg_err(&c->cfg, as, "application",
                            "'%s' is not a known application "
                            "file",
                            r->application);
    fib_status st;
    const config_setting_t *sem = fib__cfg_get_group(&c->cfg, root, "sem", &st);
    FIB__CFG_TRY(st);
    if (sem)
        FIB__CFG_TRY(sv_sem(c, sem, r));
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
            FIB__CFG_TRY(
                sv_ion(c, config_setting_get_elem(L, (unsigned)i), i, r));
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
        FIB__CFG_TRY(
            fib__scfg_apply_ion_override(c, ion_override, r->ions, &r->n_ions));
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
    fib_status st = fib__scfg_load(&cfg, path, text, name, err);
    if (st == FIB_OK) {
        fib__scfg_ctx c = {{name, err}, db};
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
