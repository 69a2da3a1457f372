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
#include "fib/correct.h"
#include "fib/recon.h"
#include "fib/recon_cfg.h"
#include "cfg_util.h"
#include "fmt_internal.h"

/* ---- the parameter table: every range of a recon run, once ---------- */

static const char *const dark_names[] = {"auto", "on", "off", NULL};
static const int dark_values[] = {
    FIB_RECON_DARK_CLIP_AUTO, FIB_RECON_DARK_CLIP_ON, FIB_RECON_DARK_CLIP_OFF};

#define ROW(key, type, size, mn, mx, def, unit, help, flags)                   \
    {                                                                          \
#key, type, offsetof(fib_fmt_recon_cfg, key), size, mn, mx, def, NULL, \
            unit, help, NULL, NULL, flags                                      \
    }

static const char *const yes_no[] = {"yes", "no", NULL};
static const int yes_no_values[] = {1, 0};
static const char *const format_names[] = {"mrc", "tif", "nrrd", "zarr", NULL};
static const char *const zc_names[] = {"zlib", "blosc", "none", NULL};
static const int zc_values[] = {FIB_ZARR_ZLIB, FIB_ZARR_BLOSC, FIB_ZARR_RAW};
static const char *const zpos_names[] = {"auto", "names", "nominal", NULL};
static const int zpos_values[] = {FIB_FMT_RECON_Z_AUTO, FIB_FMT_RECON_Z_NAMES,
                                  FIB_FMT_RECON_Z_NOMINAL};
static const char *const bg_names[] = {"poly", "gauss", NULL};
static const int bg_values[] = {FIB_BACKGROUND_POLY, FIB_BACKGROUND_GAUSS};
static const char *const model_names[] = {
    "translation", "rigid", "similarity", "affine", "regularized-affine", NULL};
static const int model_values[] = {
    FIB_RECON_MODEL_TRANSLATION, FIB_RECON_MODEL_RIGID,
    FIB_RECON_MODEL_SIMILARITY, FIB_RECON_MODEL_AFFINE,
    FIB_RECON_MODEL_REGULARIZED_AFFINE};
static const char *const dn_names[] = {"median", "gauss", "diffusion", "nlm",
                                       NULL};
static const int dn_values[] = {FIB_DENOISE_MEDIAN, FIB_DENOISE_GAUSS,
                                FIB_DENOISE_DIFFUSION, FIB_DENOISE_NLM};

#define CHOICE(key, def, help, names, values, flags)                           \
    {                                                                          \
#key, FIB_PARAM_ENUM, offsetof(fib_fmt_recon_cfg, key), 0, 0, 0, def,  \
            NULL, "", help, names, values, flags                               \
    }

/* Lengths: 0.01 nm to 1 mm (the engine's own check, fib_recon_create());
 * 0 = from the metadata.  Beam angle 0..90 deg (0 = from the metadata). */
static const fib_param rows[] = {
    ROW(pixel_size_nm, FIB_PARAM_DLIST, 2, FIB_RECON_MIN_LENGTH_NM,
        FIB_RECON_MAX_LENGTH_NM, 0, "nm",
        "pixel size x[,y]; default: the metadata", FIB_PARAM_ZERO_AUTO),
    ROW(slice_nm, FIB_PARAM_DOUBLE, 0, FIB_RECON_MIN_LENGTH_NM,
        FIB_RECON_MAX_LENGTH_NM, 0, "nm",
        "slice thickness; default: the metadata", FIB_PARAM_ZERO_AUTO),
    ROW(tilt_deg, FIB_PARAM_DOUBLE, 0, 0, FIB_RECON_MAX_TILT_DEG, 0, "deg",
        "angle between the electron and ion columns for SEM images of "
        "the milled face (52 Thermo/FEI, 54 Zeiss); default: the "
        "metadata's (ion images: no y stretch)",
        0),
    /* run file: tilt_corrected = true / false (read by name) */
    CHOICE(tilt_corrected, -1,
           "the instrument already stretched y (run file: true/false); "
           "default: the metadata's flag",
           yes_no, yes_no_values, FIB_PARAM_NO_FILE),
    ROW(receding_face, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "add the t cos(T) per-slice y shift", 0),
    ROW(neighbours, FIB_PARAM_SIZE, 0, 1, FIB_RECON_MAX_NEIGHBOURS, 3, "",
        "pairs per slice, default 3 (also --neighbors)", 0),
    ROW(upsample, FIB_PARAM_INT, 0, 1, FIB_RECON_MAX_UPSAMPLE, 20, "",
        "sub-pixel factor, default 20 (0.05 px)", 0),
    ROW(taper, FIB_PARAM_DOUBLE, 0, 0, 1, 0, "",
        "Tukey window taper fraction, default 0 (periodic-plus-smooth "
        "transform)",
        0),
    CHOICE(model, FIB_RECON_MODEL_TRANSLATION,
           "slice transformation: translation (default), rigid, similarity, "
           "affine or regularized-affine (linear parts from a 4 x 4 tile "
           "grid, solved like the shifts; recon/README.md)",
           model_names, model_values, 0),
    ROW(model_lambda, FIB_PARAM_DOUBLE, 0, 0, 1, 0, "",
        "weight of the rigid model in regularized-affine, default 0.1",
        FIB_PARAM_ZERO_AUTO),
    ROW(detrend, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "remove a linear drift trend (oblique content looks like drift)", 0),
    ROW(cache, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "keep the slices in memory between the passes when they fit in "
        "half of --memory",
        0),
    ROW(isotropic, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "resample to isotropic voxels (also --iso)", 0),
    ROW(skip_bad, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "leave unreadable slices out (recorded)", 0),
    ROW(threads, FIB_PARAM_INT, 0, 1, FIB_RECON_MAX_THREADS, 0, "",
        "OpenMP threads, default all (results do not depend on it)",
        FIB_PARAM_ZERO_AUTO),
    ROW(keep_type, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "write the source pixel type, not 32-bit float (command line "
        "only)",
        FIB_PARAM_NO_FILE),
    {"dark_clip", FIB_PARAM_ENUM, offsetof(fib_fmt_recon_cfg, dark_clip), 0, 0,
     0, FIB_RECON_DARK_CLIP_AUTO, NULL, "",
     "align on slices clipped at their Otsu threshold (shine-through "
     "cannot bias the shifts); auto: for tilted views (command line only)",
     dark_names, dark_values, FIB_PARAM_NO_FILE},
    CHOICE(format, FIB_FMT_RECON_MRC,
           "volume format, default mrc (zarr: OME-Zarr folder with a pyramid)",
           format_names, NULL, 0),
    CHOICE(z_positions, FIB_FMT_RECON_Z_AUTO,
           "slice depths: auto (the file names when every one carries "
           "z=..um/nm, Zeiss Atlas style, else nominal), names, or nominal "
           "(i x slice_nm); measured depths resample the volume to uniform "
           "z",
           zpos_names, zpos_values, 0),
    CHOICE(zarr_compressor, FIB_ZARR_ZLIB,
           "OME-Zarr chunk compressor: zlib (default), blosc (lz4 + shuffle, "
           "zarr-python's default) or none",
           zc_names, zc_values, 0),
};

/* Correction steps: the run file has them in its correct = { } group
 * (read by name below); off (0) unless given. */
static const fib_param correct_rows[] = {
    ROW(destripe, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "curtaining removal (wavelet-FFT; see --destripe-method)", 0),
    CHOICE(background, FIB_BACKGROUND_NONE, "shading removal", bg_names,
           bg_values, 0),
    ROW(normalize, FIB_PARAM_BOOL, 0, 0, 1, 0, "",
        "slice intensity normalisation", 0),
    CHOICE(denoise, FIB_DENOISE_NONE, "denoising", dn_names, dn_values, 0),
};

static const fib_param_table correct_table = {"recon.correct", correct_rows,
                                              sizeof correct_rows /
                                                  sizeof correct_rows[0]};

const fib_param_table *fib_fmt_recon_cfg_correct_params(void)
{
    return &correct_table;
}

static const fib_param_table table = {"recon", rows,
                                      sizeof rows / sizeof rows[0]};

const fib_param_table *fib_fmt_recon_cfg_params(void)
{
    return &table;
}

/* ---- the reader ------------------------------------------------------- */

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

/* "%g" without the exponent's sign and zeros: 1e6, 0.01, 90. */
static const char *num(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%g", v);
    char *e = strchr(buf, 'e');
    if (e && (e[1] == '+' || e[1] == '-')) {
        char *d = e + 2, *w = e + 1;
        if (e[1] == '-')
            *w++ = '-';
        while (*d == '0' && d[1])
            d++;
        memmove(w, d, strlen(d) + 1);
    }
    return buf;
}

static fib_status get_choice(const rctx *c, const config_setting_t *s,
                             const char *key, const fib_param *p,
                             fib_fmt_recon_cfg *o)
{
    const char *v = config_setting_get_string(s);
    for (size_t i = 0; v && p->choices[i]; i++)
        if (!strcmp(v, p->choices[i]))
            return fib_params_set_number(
                p, o, p->values ? p->values[i] : (int)i, c->err);
    return perr(c, s, key, "has an unsupported value");
}

/* The range check of one number of row @p p, in the run file's words. */
static fib_status check_row_number(const rctx *c, const config_setting_t *s,
                                   const fib_param *p, double v)
{
    const bool zero_auto = (p->flags & FIB_PARAM_ZERO_AUTO) != 0;
    const double lo = zero_auto ? 0 : p->min;
    const char *u = p->unit && *p->unit ? p->unit : NULL;
    char what[128], a[32], b[32];
    if (p->type == FIB_PARAM_INT || p->type == FIB_PARAM_SIZE) {
        if (v == floor(v) && v >= lo && v <= p->max)
            return FIB_OK;
        snprintf(what, sizeof what, "must be an integer %s..%s",
                 num(lo, a, sizeof a), num(p->max, b, sizeof b));
    } else if (zero_auto && v > p->max) {
        snprintf(what, sizeof what, "must be at most %s%s%s",
                 num(p->max, a, sizeof a), u ? " " : "", u ? u : "");
    } else if (zero_auto && v > 0 && v < p->min) {
        snprintf(what, sizeof what, "must be 0 (unknown) or at least %s%s%s",
                 num(p->min, a, sizeof a), u ? " " : "", u ? u : "");
    } else if (!zero_auto && (v < p->min || v > p->max)) {
        snprintf(what, sizeof what, "must be in [%s, %s]", num(lo, a, sizeof a),
                 num(p->max, b, sizeof b));
    } else {
        return FIB_OK;
    }
    return perr(c, s, p->key, what);
}

/* A key of the parameter table: true/false, a number, or (lists) a
 * number for every element or [x, y]. */
static fib_status get_row(const rctx *c, const config_setting_t *e,
                          const fib_param *p, fib_fmt_recon_cfg *o)
{
    if (p->type == FIB_PARAM_ENUM)
        return get_choice(c, e, p->key, p, o);
    if (p->type == FIB_PARAM_BOOL) {
        bool b = false;
        const fib_status st = get_bool(c, e, p->key, &b);
        return st ? st : fib_params_set_number(p, o, b, c->err);
    }
    double v[2] = {0, 0};
    size_t n = 1;
    fib_status st = FIB_OK;
    if (p->type == FIB_PARAM_DLIST && config_setting_is_aggregate(e)) {
        if (config_setting_length(e) != (int)p->size || p->size > 2)
            return perr(c, e, p->key, "must be a number or [x, y]");
        n = p->size;
        for (unsigned j = 0; j < n && !st; j++)
            st = get_nonneg(c, config_setting_get_elem(e, j), p->key, &v[j]);
    } else {
        st = get_nonneg(c, e, p->key, &v[0]);
    }
    /* every element against the upper limit first, then the lower */
    for (int pass = 0; pass < 2 && !st; pass++)
        for (size_t j = 0; j < n && !st; j++)
            if ((pass == 0) == (v[j] > p->max))
                st = check_row_number(c, e, p, v[j]);
    return st ? st : fib_params_set_list(p, o, v, n, c->err);
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
            st = get_choice(c, e, "correct.background",
                            fib_params_find(&correct_table, k), o);
        else if (!strcmp(k, "denoise"))
            st = get_choice(c, e, "correct.denoise",
                            fib_params_find(&correct_table, k), o);
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
    const int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(root, (unsigned)i);
        const char *k = config_setting_name(e);
        const fib_param *row = fib_params_find(&table, k);
        fib_status st = FIB_OK;
        bool b = false;
        if (row && !strcmp(row->key, k) && !(row->flags & FIB_PARAM_NO_FILE)) {
            st = get_row(c, e, row, o);
        } else if (!strcmp(k, "input")) {
            st = get_path(c, e, k, &o->input);
        } else if (!strcmp(k, "out")) {
            st = get_path(c, e, k, &o->out);
        } else if (!strcmp(k, "z_csv")) {
            st = get_path(c, e, k, &o->z_csv);
        } else if (!strcmp(k, "tilt_corrected")) {
            st = get_bool(c, e, k, &b);
            o->tilt_corrected = b;
        } else if (!strcmp(k, "crop_valid")) {
            st = get_bool(c, e, k, &b);
            o->crop_valid = b;
        } else if (!strcmp(k, "roi")) {
            st = get_rect(c, e, k, o->roi);
            o->has_roi = true;
        } else if (!strcmp(k, "fiducial")) {
            st = get_rect(c, e, k, o->fiducial);
            o->has_fiducial = true;
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
    fib_params_defaults(&table, out);
    fib_params_defaults(&correct_table, out);
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
    free(cfg->z_csv);
    for (size_t i = 0; i < FIB_RECON_CFG_MAX_CHANNELS; i++) {
        free(cfg->channel_name[i]);
        free(cfg->channel_input[i]);
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->tilt_corrected = -1;
    cfg->crop_valid = -1;
}
