/*
 * job_simulate_options.c -- the options of `cryofib simulate` and
 * `cryofib phantom` (fib/job_simulate.h): one setter per job, with the
 * ranges and messages of the commands' --help, sharing the size, seed and
 * number parsers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/job_simulate.h"

/* Range of a pixel size, voxel size or slice thickness, nm (0.01 nm ..
 * 1 mm; recon/README.md): below, a unit mistake or garbage that overflows
 * voxel-count conversions. */
static bool length_ok(double v)
{
    return v >= 0.01 && v <= 1e6;
}

/* A finite number "OPT expects a finite number (got 'TEXT')". */
static fib_status number(const char *opt, const char *text, double *out,
                         fib_error *err)
{
    char *end = NULL;
    errno = 0;
    const double v = text ? strtod(text, &end) : (double)NAN;
    if (!text || end == text || *end || errno || !isfinite(v))
        return fib_error_set(err, FIB_EINVAL,
                             "%s expects a finite number (got '%s')", opt,
                             text ? text : "");
    *out = v;
    return FIB_OK;
}

/* "NXxNYxNZ": NX, NY in 16..max_px, NZ in 1..4096. */
static fib_status size_parse(const char *text, size_t max_px,
                             fib_phantom_params *p, fib_error *err)
{
    unsigned long a, b, c;
    char tail;
    if (!text || sscanf(text, "%lux%lux%lu%c", &a, &b, &c, &tail) != 3 ||
        a < 16 || b < 16 || a > max_px || b > max_px || c < 1 || c > 4096)
        return fib_error_set(err, FIB_EINVAL,
                             "--size expects NXxNYxNZ with 16..%zu px and "
                             "1..4096 slices (got '%s')",
                             max_px, text ? text : "");
    p->nx = a;
    p->ny = b;
    p->nz = c;
    return FIB_OK;
}

/* A non-negative integer seed; @p empty_ok: "" is seed 0 (as `phantom`
 * always took it). */
static fib_status seed_parse(const char *text, bool empty_ok, uint64_t *out,
                             fib_error *err)
{
    char *end = NULL;
    errno = 0;
    const unsigned long long s = text ? strtoull(text, &end, 10) : 0;
    if (!text || errno || !end || *end || text[0] == '-' ||
        (!text[0] && !empty_ok))
        return fib_error_set(err, FIB_EINVAL,
                             "--seed expects a non-negative integer (got '%s')",
                             text ? text : "");
    *out = (uint64_t)s;
    return FIB_OK;
}

/* The renderer's numeric options: 'a' an amplitude in [0, max] (0 switches
 * the artifact off: the library's "negative = none"; frame stripes are
 * off at 0), 'p' a positive number in (0, max], 'l' a length in nm that
 * is also within length_ok(), 's' a signed value in [-max, max] stored as
 * given (0 = none: the slow affine distortion). */
typedef struct num_opt {
    const char *name;
    char kind;
    double max;
    size_t off;
} num_opt;
#define SIM_OFF(f) offsetof(fib_sim_params, f)
static const num_opt sim_nums[] = {
    {"pixel-nm", 'l', 1e6, SIM_OFF(pixel_nm)},
    {"slice-nm", 'l', 1e6, SIM_OFF(slice_nm)},
    {"jitter", 'a', 1, SIM_OFF(slice_jitter)},
    {"texture", 'a', 1, SIM_OFF(texture)},
    {"edge", 'a', 10, SIM_OFF(edge_gain)},
    {"psf-px", 'a', 50, SIM_OFF(psf_px)},
    {"drift-px", 'a', 100, SIM_OFF(drift_px)},
    {"jump-prob", 'a', 1, SIM_OFF(jump_prob)},
    {"jump-px", 'p', 1000, SIM_OFF(jump_px)},
    {"curtains", 'a', 10, SIM_OFF(curtain_amp)},
    {"curtain-width-px", 'p', 1000, SIM_OFF(curtain_width_px)},
    {"curtain-fade-nm", 'p', 1e9, SIM_OFF(curtain_fade_nm)},
    {"shading", 'a', 1, SIM_OFF(shading)},
    {"gain-drift", 'a', 1, SIM_OFF(gain_drift)},
    {"dose", 'a', 1e12, SIM_OFF(dose)},
    {"read-noise", 'a', 10, SIM_OFF(read_noise)},
    {"frame-stripes", 'a', 1, SIM_OFF(frame_stripes)},
    {"shine-nm", 'a', 1e6, SIM_OFF(shine_nm)},
    {"scale-drift", 's', 0.05, SIM_OFF(scale_drift)},
    {"shear-drift", 's', 0.05, SIM_OFF(shear_drift)},
    {"rotation-drift-deg", 's', 5, SIM_OFF(rotation_drift_deg)},
};

static fib_status sim_number(const num_opt *o, const char *value,
                             fib_sim_params *sp, fib_error *err)
{
    char opt[48];
    double v = 0;
    snprintf(opt, sizeof opt, "--%s", o->name);
    fib_status st = number(opt, value, &v, err);
    if (st)
        return st;
    if (o->kind == 'a' && !(v >= 0 && v <= o->max))
        return fib_error_set(err, FIB_EINVAL, "%s must be in [0, %g] (got %g)",
                             opt, o->max, v);
    if (o->kind == 's' && !(fabs(v) <= o->max))
        return fib_error_set(err, FIB_EINVAL,
                             "%s must be in [-%g, %g] (got %g)", opt, o->max,
                             o->max, v);
    if (o->kind != 'a' && o->kind != 's' && !(v > 0 && v <= o->max))
        return fib_error_set(err, FIB_EINVAL, "%s must be in (0, %g] (got %g)",
                             opt, o->max, v);
    if (o->kind == 'l' && !length_ok(v))
        return fib_error_set(err, FIB_EINVAL,
                             "%s must be in [0.01, 1e6] nm (got %g)", opt, v);
    if (o->kind == 'a' && !(v > 0))
        v = strcmp(o->name, "frame-stripes") ? -1 : 0;
    memcpy((char *)sp + o->off, &v, sizeof v);
    return FIB_OK;
}

void fib_job_simulate_params_init(fib_job_simulate_params *p)
{
    memset(p, 0, sizeof *p);
    p->sim.seed = 1;
    p->vendor = FIB_VENDOR_THERMO_FEI;
    p->bits = 8;
}

static fib_status grey_parse(fib_job_simulate_params *p, const char *value,
                             fib_error *err)
{
    const char *s = value ? value : "";
    p->n_grey = 0;
    while (*s) {
        char *end = NULL;
        const double g = strtod(s, &end);
        if (end == s || !(g >= 0 && g <= 1) ||
            p->n_grey == FIB_SIM_MAX_PHASES || (*end && *end != ','))
            return fib_error_set(
                err, FIB_EINVAL,
                "--grey expects up to %d values in [0, 1] separated by "
                "commas (got '%s')",
                FIB_SIM_MAX_PHASES, value);
        p->grey[p->n_grey++] = g;
        s = *end ? end + 1 : end;
    }
    if (!p->n_grey)
        return fib_error_set(err, FIB_EINVAL, "--grey expects values (got '')");
    return FIB_OK;
}

/* The options that take text other than one number. */
static fib_status sim_text(fib_job_simulate_params *p, const char *name,
                           const char *v, fib_error *err)
{
    fib_sim_params *sp = &p->sim;
    char tail;
    if (!strcmp(name, "phantom")) {
        p->use_phantom = true;
        return fib_phantom_kind_parse(v, &p->phantom.kind, err) ? FIB_EINVAL
                                                                : FIB_OK;
    }
    if (!strcmp(name, "size"))
        return size_parse(v, 4096, &p->phantom, err);
    if (!strcmp(name, "seed"))
        return seed_parse(v, false, &sp->seed, err);
    if (!strcmp(name, "grey"))
        return grey_parse(p, v, err);
    if (!strcmp(name, "voxel-nm")) {
        double *x = p->voxel_nm;
        const int k =
            v ? sscanf(v, "%lf,%lf,%lf%c", &x[0], &x[1], &x[2], &tail) : 0;
        if (k == 1)
            x[1] = x[2] = x[0];
        if ((k != 1 && k != 3) || !length_ok(x[0]) || !length_ok(x[1]) ||
            !length_ok(x[2]))
            return fib_error_set(err, FIB_EINVAL,
                                 "--voxel-nm expects X,Y,Z (or one value) in "
                                 "[0.01, 1e6] nm (got '%s')",
                                 v ? v : "");
        return FIB_OK;
    }
    if (!strcmp(name, "trend-px")) {
        double a, b;
        if (!v || sscanf(v, "%lf,%lf%c", &a, &b, &tail) != 2 ||
            !(fabs(a) <= 100 && fabs(b) <= 100))
            return fib_error_set(err, FIB_EINVAL,
                                 "--trend-px expects X,Y within +-100 "
                                 "px/slice (got '%s')",
                                 v ? v : "");
        sp->trend_px[0] = a == 0 && b == 0 ? (double)NAN : a;
        sp->trend_px[1] = b;
        return FIB_OK;
    }
    return FIB_ENOTFOUND;
}

/* The options that take no value, or one from a short list. */
static fib_status sim_flag(fib_job_simulate_params *p, const char *name,
                           const char *v, fib_error *err)
{
    fib_sim_params *sp = &p->sim;
    double t = 0;
    if (!strcmp(name, "vendor")) {
        if (v && (!strcmp(v, "thermo") || !strcmp(v, "fei")))
            p->vendor = FIB_VENDOR_THERMO_FEI;
        else if (v && !strcmp(v, "zeiss"))
            p->vendor = FIB_VENDOR_ZEISS;
        else
            return fib_error_set(err, FIB_EINVAL,
                                 "--vendor expects thermo or zeiss (got '%s')",
                                 v ? v : "");
    } else if (!strcmp(name, "tilt-deg")) {
        if (number("--tilt-deg", v, &t, err))
            return FIB_EINVAL;
        if (!(t >= 10 && t <= 90))
            return fib_error_set(err, FIB_EINVAL,
                                 "--tilt-deg must be in [10, 90] (got %g)", t);
        sp->tilt_deg = t;
    } else if (!strcmp(name, "slices")) {
        if (number("--slices", v, &t, err))
            return FIB_EINVAL;
        if (!(t >= 1 && t <= 100000) || t != floor(t))
            return fib_error_set(err, FIB_EINVAL,
                                 "--slices must be an integer 1..100000 (got "
                                 "%s)",
                                 v);
        sp->n_slices = (size_t)t;
    } else if (!strcmp(name, "bits")) {
        if (!v || (strcmp(v, "8") && strcmp(v, "16")))
            return fib_error_set(err, FIB_EINVAL,
                                 "--bits expects 8 or 16 (got '%s')",
                                 v ? v : "");
        p->bits = v[0] == '8' ? 8 : 16;
    } else if (!strcmp(name, "no-tilt"))
        sp->tilt_deg = -1;
    else if (!strcmp(name, "tilt-corrected"))
        sp->tilt_corrected = true;
    else if (!strcmp(name, "no-tracking"))
        sp->no_tracking = true;
    else if (!strcmp(name, "png"))
        p->png = true;
    else if (!strcmp(name, "static"))
        sp->static_face = true;
    else if (!strcmp(name, "clean"))
        sp->curtain_amp = sp->shading = sp->gain_drift = sp->dose =
            sp->read_noise = -1;
    else if (!strcmp(name, "no-drift")) {
        sp->drift_px = sp->jump_prob = -1;
        sp->trend_px[0] = (double)NAN;
    } else
        return FIB_ENOTFOUND;
    return FIB_OK;
}

fib_status fib_job_simulate_option(fib_job_simulate_params *p, const char *name,
                                   const char *value, fib_error *err)
{
    if (!p || !name)
        return fib_error_set(err, FIB_EINVAL, "simulate: no option");
    for (size_t i = 0; i < sizeof sim_nums / sizeof *sim_nums; i++)
        if (!strcmp(name, sim_nums[i].name))
            return sim_number(&sim_nums[i], value, &p->sim, err);
    fib_status st = sim_text(p, name, value, err);
    if (st == FIB_ENOTFOUND)
        st = sim_flag(p, name, value, err);
    if (st == FIB_ENOTFOUND)
        return fib_error_set(err, FIB_ENOTFOUND, "simulate: no option --%s",
                             name);
    return st;
}

void fib_job_phantom_params_init(fib_job_phantom_params *p)
{
    memset(p, 0, sizeof *p);
    p->bits = 16;
}

fib_status fib_job_phantom_option(fib_job_phantom_params *p, const char *name,
                                  const char *v, fib_error *err)
{
    fib_phantom_params *pp = &p->phantom;
    const bool pixel = !strcmp(name, "pixel-nm");
    double t = 0;
    if (!strcmp(name, "kind"))
        return fib_phantom_kind_parse(v, &pp->kind, err) ? FIB_EINVAL : FIB_OK;
    if (!strcmp(name, "seed"))
        return seed_parse(v, true, &pp->seed, err);
    if (!strcmp(name, "size"))
        return size_parse(v, 8192, pp, err);
    if (!strcmp(name, "bits")) {
        if (!v || (strcmp(v, "8") && strcmp(v, "16")))
            return fib_error_set(err, FIB_EINVAL, "--bits expects 8 or 16");
        p->bits = v[0] == '8' ? 8 : 16;
    } else if (!strcmp(name, "drift-px") || !strcmp(name, "noise")) {
        const bool drift = name[0] == 'd';
        const double max = drift ? 100 : 1;
        if (number(drift ? "--drift-px" : "--noise", v, &t, err))
            return FIB_EINVAL;
        if (!(t >= 0 && t <= max))
            return fib_error_set(err, FIB_EINVAL,
                                 "--%s must be in [0, %g] (got %g)", name, max,
                                 t);
        *(drift ? &pp->drift_px : &pp->noise) = t > 0 ? t : -1;
    } else if (pixel || !strcmp(name, "slice-nm")) {
        if (number(pixel ? "--pixel-nm" : "--slice-nm", v, &t, err))
            return FIB_EINVAL;
        if (!length_ok(t))
            return fib_error_set(err, FIB_EINVAL,
                                 "--%s must be > 0, in 0.01..1e6 nm (got %g)",
                                 name, t);
        *(pixel ? &pp->pixel_nm : &pp->slice_nm) = t;
    } else if (!strcmp(name, "clean"))
        pp->noise = pp->stripes = pp->shading = pp->intensity_drift = -1;
    else if (!strcmp(name, "shine-through"))
        pp->shine_through = true;
    else if (!strcmp(name, "no-cap"))
        pp->no_cap = true;
    else if (!strcmp(name, "truth-for"))
        p->truth_for = v; /* not copied: the caller keeps it */
    else
        return fib_error_set(err, FIB_ENOTFOUND, "phantom: no option --%s",
                             name);
    return FIB_OK;
}
