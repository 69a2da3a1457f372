/*
 * session_cfg.c -- libconfig session files -> request structs (see
 * fib/session_cfg.h, examples/session-reference.cfg); the groups:
 * session_groups_cfg.c, slice-and-view files: slice_view_cfg.c.
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

/* Replace the ion list by the species named in @p spec, keeping the file's
 * settings for species it already lists. */
fib_status fib__scfg_apply_ion_override(fib__scfg_ctx *c, const char *spec,
                                        fib_plan_ion_setup *ions,
                                        size_t *n_ions)
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
fib_status fib__scfg_load(config_t *cfg, const char *path, const char *text,
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

static fib_status parse_session(fib__scfg_ctx *c, const config_t *cfg,
                                const char *ion_override, fib_plan_request *r)
{
    const config_setting_t *root = config_root_setting(cfg);
    static const char *const keys[] = {
        "name", "sample", "temperature", "instrument", "site",
        "protective_layer", "overheads",
        /* multi-site keys, read by session_sites_cfg.c */
        "sites", "workflow", "phases", "success_rate", NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(&c->cfg, root, "", keys));
    FIB__CFG_TRY(fib__cfg_get_str(&c->cfg, root, "", "name", r->name,
                                  sizeof r->name, NULL));
    fib_status st;
    const config_setting_t *g =
        fib__cfg_get_group(&c->cfg, root, "sample", &st);
    FIB__CFG_TRY(st);
    if (!g)
        return fib__cfg_err(&c->cfg, NULL, "sample",
                            "is required (sample = { layers = "
                            "(...); })");
    FIB__CFG_TRY(fib__scfg_parse_sample(c, g, r));
    if ((g = fib__cfg_get_group(&c->cfg, root, "temperature", &st)))
        FIB__CFG_TRY(fib__scfg_parse_temperature(c, g, r));
    FIB__CFG_TRY(st);
    if ((g = fib__cfg_get_group(&c->cfg, root, "instrument", &st)))
        FIB__CFG_TRY(fib__scfg_parse_instrument(c, g, r));
    FIB__CFG_TRY(st);
    if ((g = fib__cfg_get_group(&c->cfg, root, "site", &st)))
        FIB__CFG_TRY(fib__scfg_parse_site(c, g, r));
    else
        r->site.method = r->cryo ? FIB_GEOM_CRYO_LIFTOUT : FIB_GEOM_LIFTOUT;
    FIB__CFG_TRY(st);
    if ((g = fib__cfg_get_group(&c->cfg, root, "protective_layer", &st)))
        FIB__CFG_TRY(fib__scfg_parse_protect(c, g, r));
    FIB__CFG_TRY(st);
    if ((g = fib__cfg_get_group(&c->cfg, root, "overheads", &st)))
        FIB__CFG_TRY(fib__scfg_parse_overheads(c, g, r));
    FIB__CFG_TRY(st);
    if (r->n_ions == 0) {
        r->n_ions = 1;
        r->ions[0].ion = FIB_PLAN_ION_GA;
    }
    if (ion_override)
        FIB__CFG_TRY(
            fib__scfg_apply_ion_override(c, ion_override, r->ions, &r->n_ions));
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
    fib_status st = fib__scfg_load(&cfg, path, text, name, err);
    if (st == FIB_OK) {
        fib__scfg_ctx c = {{name, err}, db};
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
