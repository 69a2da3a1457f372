/* recon_cfg.c -- `cryofib recon` run files (fib/recon_cfg.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fib/checked.h"
#include "fib/recon_cfg.h"
#include "cfg_util.h"
#include "fmt_internal.h"

typedef struct rctx {
    const char *file;
    char *dir; /* folder of the file, "" for none */
    fib_error *err;
} rctx;

static fib_status perr(const rctx *c, const config_setting_t *s,
                       const char *key, const char *what)
{
    const unsigned line = s ? (unsigned)config_setting_source_line(s) : 0;
    return fib_error_set(c->err, FIB_EINVAL, "recon: %s:%u: %s %s", c->file,
                         line, key, what);
}

static fib_status get_nonneg(const rctx *c, const config_setting_t *s,
                             const char *key, double *out)
{
    if (!fib__cfg_is_number(s))
        return perr(c, s, key, "must be a number");
    const double v = fib__cfg_number(s);
    if (!(v >= 0) || !isfinite(v))
        return perr(c, s, key, "must be a finite number >= 0");
    *out = v;
    return FIB_OK;
}

static fib_status get_bool(const rctx *c, const config_setting_t *s,
                           const char *key, bool *out)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return perr(c, s, key, "must be true or false");
    *out = config_setting_get_bool(s) != 0;
    return FIB_OK;
}

/* A path relative to the run file's folder (malloc'ed). */
static fib_status get_path(const rctx *c, const config_setting_t *s,
                           const char *key, char **out)
{
    const char *v = config_setting_get_string(s);
    if (!v || !*v)
        return perr(c, s, key, "must be a non-empty string");
    const bool rel = v[0] != '/' && c->dir[0];
    const size_t n = strlen(v) + (rel ? strlen(c->dir) + 1 : 0) + 1;
    char *p = malloc(n);
    if (!p)
        return fib_error_set(c->err, FIB_ENOMEM, "recon: out of memory");
    if (rel)
        snprintf(p, n, "%s/%s", c->dir, v);
    else
        snprintf(p, n, "%s", v);
    free(*out);
    *out = p;
    return FIB_OK;
}

static fib_status get_rect(const rctx *c, const config_setting_t *s,
                           const char *key, size_t r[4])
{
    if (!config_setting_is_aggregate(s) || config_setting_length(s) != 4)
        return perr(c, s, key, "must be [x, y, width, height]");
    for (unsigned i = 0; i < 4; i++) {
        const config_setting_t *e = config_setting_get_elem(s, i);
        if (!e || !fib__cfg_is_number(e) || !(fib__cfg_number(e) >= 0) ||
            fib__cfg_number(e) > (double)(1u << 20) ||
            fib__cfg_number(e) != floor(fib__cfg_number(e)))
            return perr(c, s, key, "entries must be integers 0..1048576");
        r[i] = (size_t)fib__cfg_number(e);
    }
    if (!r[2] || !r[3])
        return perr(c, s, key, "width and height must be > 0");
    return FIB_OK;
}

static fib_status get_word(const rctx *c, const config_setting_t *s,
                           const char *key, const char *const *allowed,
                           char *out, size_t n)
{
    const char *v = config_setting_get_string(s);
    for (; v && *allowed; allowed++) {
        if (!strcmp(v, *allowed)) {
            snprintf(out, n, "%s", v);
            return FIB_OK;
        }
    }
    return perr(c, s, key, "has an unsupported value");
}

static fib_status parse_correct(const rctx *c, const config_setting_t *g,
                                fib_fmt_recon_cfg *o)
{
    static const char *const bg[] = {"poly", "gauss", NULL};
    static const char *const dn[] = {"median", "gauss", "diffusion", "nlm",
                                     NULL};
    static const char *const dm[] = {"vsnr", "wavelet", "wedge", "robust",
                                     NULL};
    if (!config_setting_is_group(g))
        return perr(c, g, "correct", "must be a group { ... }");
    const int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        const char *k = config_setting_name(e);
        fib_status st;
        if (!strcmp(k, "destripe"))
            st = get_bool(c, e, "correct.destripe", &o->destripe);
        else if (!strcmp(k, "normalize"))
            st = get_bool(c, e, "correct.normalize", &o->normalize);
        else if (!strcmp(k, "background"))
            st = get_word(c, e, "correct.background", bg, o->background,
                          sizeof o->background);
        else if (!strcmp(k, "denoise"))
            st = get_word(c, e, "correct.denoise", dn, o->denoise,
                          sizeof o->denoise);
        else if (!strcmp(k, "destripe_method"))
            st = get_word(c, e, "correct.destripe_method", dm,
                          o->destripe_method, sizeof o->destripe_method);
        else
            st = perr(c, e, k, "is not a key of correct");
        if (st)
            return st;
    }
    return FIB_OK;
}

static fib_status parse_channels(const rctx *c, const config_setting_t *l,
                                 fib_fmt_recon_cfg *o)
{
    if (!config_setting_is_list(l))
        return perr(c, l, "channels", "must be a list ( { ... }, ... )");
    const int n = config_setting_length(l);
    if (n > FIB_RECON_CFG_MAX_CHANNELS)
        return perr(c, l, "channels", "has more than 8 entries");
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        const config_setting_t *nm = config_setting_get_member(g, "name");
        const config_setting_t *in = config_setting_get_member(g, "input");
        if (!nm || !in || config_setting_length(g) != 2)
            return perr(c, g, "channels", "entries need name and input only");
        const char *name = config_setting_get_string(nm);
        if (!name || !*name || strpbrk(name, "/\\ ."))
            return perr(c, nm, "channels.name",
                        "must be a plain word (no '/', '.', spaces)");
        o->channel_name[i] = strdup(name);
        if (!o->channel_name[i])
            return fib_error_set(c->err, FIB_ENOMEM, "recon: out of memory");
        o->n_channels = (size_t)i + 1;
        fib_status st = get_path(c, in, "channels.input", &o->channel_input[i]);
        if (st)
            return st;
    }
    return FIB_OK;
}

static fib_status parse_root(const rctx *c, const config_setting_t *root,
                             fib_fmt_recon_cfg *o)
{
    static const char *const fmts[] = {"mrc", "tif", "nrrd", "zarr", NULL};
    const int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(root, (unsigned)i);
        const char *k = config_setting_name(e);
        fib_status st = FIB_OK;
        double v = 0;
        bool b = false;
        if (!strcmp(k, "input")) {
            st = get_path(c, e, k, &o->input);
        } else if (!strcmp(k, "out")) {
            st = get_path(c, e, k, &o->out);
        } else if (!strcmp(k, "pixel_size_nm")) {
            if (config_setting_is_aggregate(e)) {
                if (config_setting_length(e) != 2)
                    return perr(c, e, k, "must be a number or [x, y]");
                for (unsigned j = 0; j < 2 && !st; j++)
                    st = get_nonneg(c, config_setting_get_elem(e, j), k,
                                    &o->pixel_size_nm[j]);
            } else {
                st = get_nonneg(c, e, k, &v);
                o->pixel_size_nm[0] = o->pixel_size_nm[1] = v;
            }
            if (!st && (o->pixel_size_nm[0] > 1e6 || o->pixel_size_nm[1] > 1e6))
                st = perr(c, e, k, "must be at most 1e6 nm (1 mm)");
            for (int j = 0; !st && j < 2; j++)
                if (o->pixel_size_nm[j] > 0 && o->pixel_size_nm[j] < 0.01)
                    st = perr(c, e, k,
                              "must be 0 (unknown) or at least 0.01 nm");
        } else if (!strcmp(k, "slice_nm")) {
            st = get_nonneg(c, e, k, &o->slice_nm);
            if (!st && o->slice_nm > 1e6)
                st = perr(c, e, k, "must be at most 1e6 nm (1 mm)");
            if (!st && o->slice_nm > 0 && o->slice_nm < 0.01)
                st = perr(c, e, k, "must be 0 (unknown) or at least 0.01 nm");
        } else if (!strcmp(k, "tilt_deg")) {
            st = get_nonneg(c, e, k, &o->tilt_deg);
            if (!st && o->tilt_deg > 90)
                st = perr(c, e, k, "must be at most 90");
        } else if (!strcmp(k, "tilt_corrected")) {
            st = get_bool(c, e, k, &b);
            o->tilt_corrected = b;
        } else if (!strcmp(k, "crop_valid")) {
            st = get_bool(c, e, k, &b);
            o->crop_valid = b;
        } else if (!strcmp(k, "receding_face")) {
            st = get_bool(c, e, k, &o->receding_face);
        } else if (!strcmp(k, "cache")) {
            st = get_bool(c, e, k, &o->cache);
        } else if (!strcmp(k, "detrend")) {
            st = get_bool(c, e, k, &o->detrend);
        } else if (!strcmp(k, "isotropic")) {
            st = get_bool(c, e, k, &o->isotropic);
        } else if (!strcmp(k, "skip_bad")) {
            st = get_bool(c, e, k, &o->skip_bad);
        } else if (!strcmp(k, "roi")) {
            st = get_rect(c, e, k, o->roi);
            o->has_roi = true;
        } else if (!strcmp(k, "fiducial")) {
            st = get_rect(c, e, k, o->fiducial);
            o->has_fiducial = true;
        } else if (!strcmp(k, "neighbours")) {
            st = get_nonneg(c, e, k, &v);
            if (!st && (v < 1 || v > 16 || v != floor(v)))
                st = perr(c, e, k, "must be an integer 1..16");
            o->neighbours = (size_t)v;
        } else if (!strcmp(k, "upsample")) {
            st = get_nonneg(c, e, k, &v);
            if (!st && (v < 1 || v > 1000 || v != floor(v)))
                st = perr(c, e, k, "must be an integer 1..1000");
            o->upsample = (unsigned)v;
        } else if (!strcmp(k, "taper")) {
            st = get_nonneg(c, e, k, &v);
            if (!st && !(v <= 1))
                st = perr(c, e, k, "must be in [0, 1]");
            o->taper = v;
        } else if (!strcmp(k, "threads")) {
            st = get_nonneg(c, e, k, &v);
            if (!st && (v > 1024 || v != floor(v)))
                st = perr(c, e, k, "must be an integer 0..1024");
            o->threads = (int)v;
        } else if (!strcmp(k, "format")) {
            st = get_word(c, e, k, fmts, o->format, sizeof o->format);
        } else if (!strcmp(k, "memory")) {
            const char *s = config_setting_get_string(e);
            fib_error e2 = {0};
            if (!s || fib_parse_size(s, &o->memory_bytes, &e2))
                st = perr(c, e, k, "must be a size such as \"1G\"");
            else if (o->memory_bytes && o->memory_bytes < ((size_t)1 << 20))
                st = perr(c, e, k, "must be at least \"1M\" (or 0: default)");
        } else if (!strcmp(k, "channels")) {
            st = parse_channels(c, e, o);
        } else if (!strcmp(k, "correct")) {
            st = parse_correct(c, e, o);
        } else {
            st = perr(c, e, k, "is not a recon key");
        }
        if (st)
            return st;
    }
    if (!o->input)
        return fib_error_set(c->err, FIB_EINVAL, "recon: %s: input is missing",
                             c->file);
    if (!o->out)
        return fib_error_set(c->err, FIB_EINVAL, "recon: %s: out is missing",
                             c->file);
    return FIB_OK;
}

fib_status fib_fmt_recon_cfg_read(const char *path, fib_fmt_recon_cfg *out,
                                  fib_error *err)
{
    if (!path || !out)
        return fib_error_set(err, FIB_EINVAL, "recon: no run file given");
    memset(out, 0, sizeof *out);
    out->tilt_corrected = -1;
    out->crop_valid = -1;
    if (fib__require_regular("recon", path, err) != FIB_OK)
        return FIB_EINVAL;
    if (access(path, F_OK) == 0) {
        const fib_status pst =
            fib__cfg_precheck("recon", path, NULL, NULL, err);
        if (pst != FIB_OK)
            return pst;
    }
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fib_error_set(err, errno == ENOENT ? FIB_ENOTFOUND : FIB_EIO,
                             "recon: %s: cannot open: %s", path,
                             strerror(errno));
    config_t cfg;
    config_init(&cfg);
    fib_status st = FIB_OK;
    rctx c = {path, NULL, err};
    if (!config_read(&cfg, fp)) {
        st = fib_error_set(err, FIB_EFORMAT, "recon: %s:%d: %s", path,
                           config_error_line(&cfg), config_error_text(&cfg));
        goto done;
    }
    c.dir = strdup(path);
    if (!c.dir) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    char *slash = strrchr(c.dir, '/');
    if (slash)
        *slash = '\0';
    else
        c.dir[0] = '\0';
    st = parse_root(&c, config_root_setting(&cfg), out);
done:
    fclose(fp);
    config_destroy(&cfg);
    free(c.dir);
    if (st)
        fib_fmt_recon_cfg_free(out);
    return st;
}

void fib_fmt_recon_cfg_free(fib_fmt_recon_cfg *cfg)
{
    if (!cfg)
        return;
    free(cfg->input);
    free(cfg->out);
    for (size_t i = 0; i < FIB_RECON_CFG_MAX_CHANNELS; i++) {
        free(cfg->channel_name[i]);
        free(cfg->channel_input[i]);
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->tilt_corrected = -1;
    cfg->crop_valid = -1;
}
