/*
 * session_sites_cfg.c -- the multi-site keys of a session file (`sites`,
 * `workflow`, `phases`, `success_rate`) -> fib_session_request (see
 * fib/session_sites_cfg.h, examples/session-reference.cfg).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fib/session_sites_cfg.h"
#include "cfg_util.h"
#include "fmt_internal.h"

static fib_status parse_site(const fib__cfg_ctx *c, const config_setting_t *e,
                             size_t i, fib_session_request *r)
{
    char pre[32];
    snprintf(pre, sizeof pre, "sites[%zu]", i);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return fib__cfg_err(c, e, pre, "must be a group { name = \"A\"; ... }");
    static const char *const keys[] = {"name",
                                       "x_um",
                                       "y_um",
                                       "lamella_width_um",
                                       "lamella_height_um",
                                       "method",
                                       "target_thickness_nm",
                                       "trench_length_um",
                                       NULL};
    FIB__CFG_TRY(fib__cfg_check_keys(c, e, pre, keys));
    fib_session_site *s = &r->sites[i];
    memset(s, 0, sizeof *s);
    s->method = -1;
    char f[96];
    const config_setting_t *ns = config_setting_get_member(e, "name");
    snprintf(f, sizeof f, "%s.name", pre);
    if (!ns)
        return fib__cfg_err(c, e, f, "is required");
    if (config_setting_type(ns) != CONFIG_TYPE_STRING)
        return fib__cfg_err(c, ns, f, "must be a string");
    const char *nm = config_setting_get_string(ns);
    size_t len = strlen(nm);
    if (len == 0 || len >= FIB_SESSION_NAME_MAX)
        return fib__cfg_err(c, ns, f, "must be 1..%d characters (got %zu)",
                            FIB_SESSION_NAME_MAX - 1, len);
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)nm[k] < 0x20 || nm[k] == '"' || nm[k] == '\\')
            return fib__cfg_err(c, ns, f, "must be printable, without quotes");
    for (size_t k = 0; k < i; k++)
        if (!strcmp(r->sites[k].name, nm))
            return fib__cfg_err(c, ns, f, "'%s' repeats sites[%zu]", nm, k);
    memcpy(s->name, nm, len + 1);
    const double P = FIB_SESSION_CFG_MAX_POS_UM;
    FIB__CFG_TRY(fib__cfg_get_num(c, e, pre, "x_um", -P, false, P, &s->x_um));
    FIB__CFG_TRY(fib__cfg_get_num(c, e, pre, "y_um", -P, false, P, &s->y_um));
    FIB__CFG_TRY(fib__cfg_get_num(c, e, pre, "lamella_width_um", 0, true, 1000,
                                  &s->lamella_width_um));
    FIB__CFG_TRY(fib__cfg_get_num(c, e, pre, "lamella_height_um", 0, true, 1000,
                                  &s->lamella_height_um));
    FIB__CFG_TRY(fib__cfg_get_num(c, e, pre, "target_thickness_nm", 0, true,
                                  100000, &s->target_thickness_nm));
    FIB__CFG_TRY(fib__cfg_get_num(c, e, pre, "trench_length_um", 0, true, 1000,
                                  &s->trench_length_um));
    const config_setting_t *ms = config_setting_get_member(e, "method");
    if (ms) {
        snprintf(f, sizeof f, "%s.method", pre);
        fib_geom_method m;
        if (config_setting_type(ms) != CONFIG_TYPE_STRING ||
            !fib_geom_method_parse(config_setting_get_string(ms), &m))
            return fib__cfg_err(
                c, ms, f,
                "must be one of liftout, cryo-liftout, on-grid, "
                "waffle, hbar");
        s->method = (int)m;
    }
    return FIB_OK;
}

static fib_status parse(const fib__cfg_ctx *c, const config_t *cfg,
                        fib_session_request *r, bool *has_sites)
{
    const config_setting_t *root = config_root_setting(cfg);
    const config_setting_t *ss = config_setting_get_member(root, "sites");
    *has_sites = ss != NULL;
    if (ss) {
        int t = config_setting_type(ss);
        if (t != CONFIG_TYPE_LIST)
            return fib__cfg_err(
                c, ss, "sites",
                "must be a list ( { name = \"A\"; x_um = 0; y_um = "
                "0; }, ... )");
        int n = config_setting_length(ss);
        if (n < 1 || n > FIB_SESSION_MAX_SITES)
            return fib__cfg_err(c, ss, "sites",
                                "must list 1..%d sites (got %d)",
                                FIB_SESSION_MAX_SITES, n);
        for (int i = 0; i < n; i++)
            FIB__CFG_TRY(parse_site(c, config_setting_get_elem(ss, (unsigned)i),
                                    (size_t)i, r));
        r->n_sites = (size_t)n;
    } else {
        r->n_sites = 1;
        snprintf(r->sites[0].name, sizeof r->sites[0].name, "A");
        r->sites[0].method = -1;
    }
    const config_setting_t *w = config_setting_get_member(root, "workflow");
    if (w) {
        if (config_setting_type(w) != CONFIG_TYPE_INT)
            return fib__cfg_err(c, w, "workflow",
                                "must be an integer 0, 1, 3 or 4");
        int v = config_setting_get_int(w);
        if (v < 0 || v > 4 || v == 2)
            return fib__cfg_err(c, w, "workflow",
                                "must be 0, 1, 3 or 4 (got %d; 2 needs no FIB)",
                                v);
        if ((v >= 3) != r->base.cryo)
            return fib__cfg_err(c, w, "workflow",
                                "%d mills at %s but temperature.mode is %s", v,
                                v >= 3 ? "cryo" : "room temperature",
                                r->base.cryo ? "cryo" : "room");
        r->workflow = v;
    }
    const config_setting_t *ph = config_setting_get_member(root, "phases");
    if (ph) {
        if (config_setting_type(ph) != CONFIG_TYPE_GROUP)
            return fib__cfg_err(c, ph, "phases", "must be a group { ... }");
        static const char *const keys[] = {"load_s",      "unload_s",
                                           "cool_down_s", "warm_up_s",
                                           "transfer_s",  NULL};
        FIB__CFG_TRY(fib__cfg_check_keys(c, ph, "phases", keys));
        fib_session_phase_times *pt = &r->times;
        double *dst[5] = {&pt->load_s, &pt->unload_s, &pt->cool_down_s,
                          &pt->warm_up_s, &pt->transfer_s};
        for (int k = 0; k < 5; k++)
            FIB__CFG_TRY(fib__cfg_get_num(c, ph, "phases", keys[k], 0, true,
                                          86400, dst[k]));
    }
    const config_setting_t *sr =
        config_setting_get_member(root, "success_rate");
    if (sr) {
        if (!fib__cfg_is_number(sr) || !(fib__cfg_number(sr) > 0) ||
            !(fib__cfg_number(sr) <= 1))
            return fib__cfg_err(
                c, sr, "success_rate", "must be a number in (0, 1] (got %g)",
                fib__cfg_is_number(sr) ? fib__cfg_number(sr) : (double)NAN);
        r->success_rate = fib__cfg_number(sr);
    }
    return FIB_OK;
}

static fib_status any(const char *path, const char *text, const char *name,
                      const fib_plan_request *base, fib_session_request *out,
                      bool *has_sites, fib_error *err)
{
    if (!out || !base || !has_sites || (!path && !text))
        return fib_error_set(err, FIB_EINVAL, "session: no input");
    fib_session_request_init(out, base);
    config_t cfg;
    config_init(&cfg);
    fib_status st = FIB_OK;
    int ok;
    if (text) {
        st = fib__cfg_precheck("session", NULL, text, name, err);
        ok = st == FIB_OK ? config_read_string(&cfg, text) : CONFIG_FALSE;
    } else {
        st = fib__require_regular("session", path, err);
        if (st == FIB_OK && access(path, F_OK) == 0)
            st = fib__cfg_precheck("session", path, NULL, name, err);
        FILE *f = st == FIB_OK ? fopen(path, "r") : NULL;
        if (st == FIB_OK && !f)
            st = fib_error_set(err, errno == ENOENT ? FIB_ENOTFOUND : FIB_EIO,
                               "session: %s: cannot open (%s)", path,
                               strerror(errno));
        ok = f ? config_read(&cfg, f) : CONFIG_FALSE;
        if (f)
            fclose(f);
    }
    if (st == FIB_OK && ok != CONFIG_TRUE)
        st = fib_error_set(err, FIB_EFORMAT, "session: %s:%d: syntax error: %s",
                           name, config_error_line(&cfg),
                           config_error_text(&cfg) ? config_error_text(&cfg)
                                                   : "?");
    if (st == FIB_OK) {
        fib__cfg_ctx c = {name, err};
        st = parse(&c, &cfg, out, has_sites);
    }
    config_destroy(&cfg);
    return st;
}

fib_status fib_fmt_session_cfg_read_sites(const char *path,
                                          const fib_plan_request *base,
                                          fib_session_request *out,
                                          bool *has_sites, fib_error *err)
{
    return any(path, NULL, path ? path : "?", base, out, has_sites, err);
}

fib_status fib_fmt_session_cfg_parse_sites(const char *text, const char *name,
                                           const fib_plan_request *base,
                                           fib_session_request *out,
                                           bool *has_sites, fib_error *err)
{
    return any(NULL, text, name ? name : "(string)", base, out, has_sites, err);
}
