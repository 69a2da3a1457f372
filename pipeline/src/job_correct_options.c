/*
 * job_correct_options.c -- the settings of `cryofib correct` by option
 * name (fib/job_correct.h): each option names one row of the correction's
 * parameter tables, which give its type, range, default, unit and help.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/job_correct.h"

#define DS FIB_CORRECT_STEP_DESTRIPE
#define BG FIB_CORRECT_STEP_BACKGROUND
#define NO FIB_CORRECT_STEP_NORMALIZE
#define DN FIB_CORRECT_STEP_DENOISE
static const fib_job_correct_option options[] = {
    {"vsnr-sigma-across-px", "S", DS, "vsnr_sigma_across_px",
     FIB_JOB_CORRECT_VSNR},
    {"vsnr-sigma-along-px", "S", DS, "vsnr_sigma_along_px",
     FIB_JOB_CORRECT_VSNR},
    {"vsnr-weight", "K", DS, "vsnr_weight", FIB_JOB_CORRECT_VSNR},
    {"vsnr-iterations", "N", DS, "vsnr_iterations", FIB_JOB_CORRECT_VSNR},
    {"vsnr-white", "F", DS, "vsnr_white", FIB_JOB_CORRECT_VSNR},
    {"destripe-sigma", "S", DS, "sigma", FIB_JOB_CORRECT_WAVELET},
    {"destripe-levels", "L", DS, "levels", FIB_JOB_CORRECT_WAVELET},
    {"stripe-angle-deg", "A", DS, "stripe_angle_deg", FIB_JOB_CORRECT_ANY},
    {"wedge-deg", "D", DS, "wedge_half_angle_deg", FIB_JOB_CORRECT_WEDGE},
    {"poly-order", "N", BG, "poly_order", FIB_JOB_CORRECT_ANY},
    {"background-sigma", "S", BG, "gauss_sigma_px", FIB_JOB_CORRECT_ANY},
    {"divide", NULL, BG, "divide", FIB_JOB_CORRECT_ANY},
    {"normalize", NULL, NO, "enabled", FIB_JOB_CORRECT_ANY},
    {"ema-slices", "N", NO, "ema_slices", FIB_JOB_CORRECT_ANY},
    {"radius", "R", DN, "radius", FIB_JOB_CORRECT_ANY},
    {"sigma", "S", DN, "sigma_px", FIB_JOB_CORRECT_ANY},
    {"kappa", "K", DN, "kappa", FIB_JOB_CORRECT_ANY},
    {"iterations", "N", DN, "iterations", FIB_JOB_CORRECT_ANY},
    {"nlm-h", "H", DN, "nlm_h", FIB_JOB_CORRECT_ANY},
    {"patch-radius", "P", DN, "patch_radius", FIB_JOB_CORRECT_ANY},
    {"search-radius", "S", DN, "search_radius", FIB_JOB_CORRECT_ANY},
};

const fib_job_correct_option *fib_job_correct_options(size_t *n)
{
    if (n)
        *n = sizeof options / sizeof options[0];
    return options;
}

const fib_param *fib_job_correct_option_row(const fib_job_correct_option *o)
{
    return o ? fib_params_find(fib_recon_correct_param_table(o->step), o->key)
             : NULL;
}

/* The step's struct inside the job's parameters. */
static void *step_params(fib_job_correct_params *p, fib_recon_correct_step s)
{
    switch (s) {
    case FIB_CORRECT_STEP_DESTRIPE:
        return &p->correct.destripe;
    case FIB_CORRECT_STEP_BACKGROUND:
        return &p->correct.background;
    case FIB_CORRECT_STEP_NORMALIZE:
        return &p->correct.normalize;
    case FIB_CORRECT_STEP_DENOISE:
        return &p->correct.denoise;
    }
    return NULL;
}

fib_status fib_job_correct_option_set(fib_job_correct_params *p,
                                      const fib_job_correct_option *o,
                                      const char *text, fib_error *err)
{
    const fib_param *row = fib_job_correct_option_row(o);
    if (!p || !row)
        return fib_error_set(err, FIB_EINVAL, "correct: unknown option");
    char *f = (char *)step_params(p, o->step) + row->offset;
    if (row->type == FIB_PARAM_BOOL) {
        *(bool *)f = true;
        return FIB_OK;
    }
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : (double)NAN;
    if (isinf(row->max) && text && strcmp(text, "inf") == 0)
        v = INFINITY;
    else if (!text || end == text || *end || errno || !isfinite(v))
        return fib_error_set(err, FIB_EINVAL,
                             "--%s expects a finite number (got '%s')", o->name,
                             text ? text : "");
    if (row->type == FIB_PARAM_INT) {
        /* the rows' integer fields are unsigned; 0 (auto) is not given */
        if (!(v >= row->min && v <= row->max) || v != (double)(unsigned)v)
            return fib_error_set(err, FIB_EINVAL,
                                 "--%s must be an integer in %g..%g (got %s)",
                                 o->name, row->min, row->max, text);
        *(unsigned *)f = (unsigned)v;
        if (o->step == FIB_CORRECT_STEP_DENOISE &&
            strcmp(o->key, "radius") == 0)
            p->median3d_radius = (unsigned)v;
    } else {
        *(double *)f = v;
    }
    return FIB_OK;
}

const char *fib_job_correct_option_help(const fib_job_correct_option *o,
                                        char *buf, size_t n)
{
    const fib_param *p = fib_job_correct_option_row(o);
    char head[64], range[64], def[48] = "";
    if (!p) {
        snprintf(buf, n, "  --%s", o ? o->name : "?");
        return buf;
    }
    snprintf(head, sizeof head, "--%s%s%s", o->name, o->arg ? " " : "",
             o->arg ? o->arg : "");
    if (p->type == FIB_PARAM_BOOL) {
        snprintf(buf, n, "  %-22s %s", head, p->help);
        return buf;
    }
    fib_recon_correct_param_range(p, range, sizeof range);
    if (p->def != 0 || !(p->flags & FIB_PARAM_ZERO_AUTO))
        snprintf(def, sizeof def, "; default %g", p->def);
    /* a long option gets its text on the next line, and text that would
     * pass 79 columns its range there */
    static const char indent[] = "\n                         ";
    char details[160];
    snprintf(details, sizeof details, "(%s%s%s%s)", p->unit,
             *p->unit ? "; " : "",
             strncmp(range, "in ", 3) == 0 ? range + 3 : range, def);
    const bool two = strlen(head) > 22;
    const bool wrap = 25 + strlen(p->help) + 1 + strlen(details) > 79;
    snprintf(buf, n, "  %-22s%s%s%s%s", head, two ? indent : " ", p->help,
             wrap ? indent : " ", details);
    return buf;
}

fib_status
fib_job_correct_destripe_pick(fib_job_correct_params *p, bool plain,
                              const char *const given[FIB_JOB_CORRECT_GROUPS],
                              fib_error *err)
{
    const char *wav = given[FIB_JOB_CORRECT_WAVELET],
               *vsnr = given[FIB_JOB_CORRECT_VSNR],
               *wedge = given[FIB_JOB_CORRECT_WEDGE], *o = NULL;
    fib_recon_destripe_method *m = &p->correct.destripe.method;
    if (plain) {
        if (wav && (vsnr || wedge))
            return fib_error_set(
                err, FIB_EINVAL,
                "--%s and --%s belong to different destripe methods", wav,
                vsnr ? vsnr : wedge);
        if (vsnr && wedge)
            return fib_error_set(
                err, FIB_EINVAL,
                "--%s and --%s belong to different destripe methods", vsnr,
                wedge);
        *m = wav     ? FIB_DESTRIPE_WAVELET_FFT
             : wedge ? FIB_DESTRIPE_WEDGE
                     : FIB_DESTRIPE_DEFAULT;
    }
    if (*m == FIB_DESTRIPE_NONE)
        o = wav ? wav : vsnr ? vsnr : wedge;
    else if (wav && *m != FIB_DESTRIPE_WAVELET_FFT &&
             *m != FIB_DESTRIPE_WAVELET_MEDIAN)
        o = wav;
    else if (vsnr && *m != FIB_DESTRIPE_VSNR)
        o = vsnr;
    else if (wedge && *m != FIB_DESTRIPE_WEDGE)
        o = wedge;
    if (o && *m == FIB_DESTRIPE_NONE)
        return fib_error_set(err, FIB_EINVAL,
                             "--%s needs --destripe or --destripe-method", o);
    if (o)
        return fib_error_set(err, FIB_EINVAL,
                             "--%s does not apply to destripe method %s", o,
                             fib_recon_destripe_method_name(*m));
    return FIB_OK;
}
