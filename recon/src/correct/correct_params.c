/*
 * correct_params.c -- the parameters of the correction steps described
 * once (fib/params.h tables, one per step of fib_recon_correct_params):
 * range, default, unit and help of every field.  The steps' validation
 * (fib__*_resolve) and `cryofib correct`'s option parsing and --help
 * read these rows; no range is written anywhere else.
 *
 * A row with FIB_PARAM_ZERO_AUTO takes 0 as "the default": the resolve
 * step replaces it by the row's def, or keeps it when def is 0 (the value
 * then comes from the data, e.g. the background sigma from the image
 * size).  FIB_CORRECT_PARAM_MIN_OPEN / _MAX_OPEN exclude the bound itself.
 */
#include "correct_internal.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define OPEN_MIN FIB_CORRECT_PARAM_MIN_OPEN
#define OPEN_MAX FIB_CORRECT_PARAM_MAX_OPEN
#define AUTO FIB_PARAM_ZERO_AUTO
#define NO_CLI FIB_PARAM_NO_CLI

/* Numeric row of struct type T: key = field name. */
#define ROW(T, f, type, lo, hi, def, unit, help, flags)                        \
    {                                                                          \
#f, type, offsetof(T, f), 0, lo, hi, def, NULL, unit, help, NULL,      \
            NULL, flags                                                        \
    }
#define ENUM_ROW(T, f, def, help, choices, values)                             \
    {                                                                          \
#f, FIB_PARAM_ENUM, offsetof(T, f), 0, 0, 0, def, NULL, "", help,      \
            choices, values, 0                                                 \
    }

static const char *const destripe_names[] = {"vsnr", "wavelet", "wedge",
                                             "robust", NULL};
static const int destripe_values[] = {
    FIB_DESTRIPE_VSNR, FIB_DESTRIPE_WAVELET_FFT, FIB_DESTRIPE_WEDGE,
    FIB_DESTRIPE_WAVELET_MEDIAN};

#define D fib_recon_destripe_params
static const fib_param destripe_rows[] = {
    ENUM_ROW(D, method, FIB_DESTRIPE_DEFAULT, "curtaining removal method",
             destripe_names, destripe_values),
    ROW(D, levels, FIB_PARAM_INT, 1, 10, 4, "", "wavelet levels", AUTO),
    ROW(D, sigma, FIB_PARAM_DOUBLE, 0, 1e6, 2, "",
        "damping width, cycles per image height", AUTO | OPEN_MIN | OPEN_MAX),
    ROW(D, stripe_angle_deg, FIB_PARAM_DOUBLE, -90, 90, 0, "deg",
        "stripe direction from vertical, counter-clockwise", 0),
    ROW(D, wedge_half_angle_deg, FIB_PARAM_DOUBLE, 0, 45, 1, "deg",
        "wedge half angle", AUTO | OPEN_MIN | OPEN_MAX),
    ROW(D, wedge_taper_deg, FIB_PARAM_DOUBLE, 0, 45, 1, "deg",
        "wedge raised-cosine taper", AUTO | OPEN_MIN | OPEN_MAX | NO_CLI),
    ROW(D, wedge_min_radius, FIB_PARAM_DOUBLE, 0, 1, 0.01, "",
        "wedge: radius kept around DC, fraction of Nyquist",
        AUTO | OPEN_MIN | OPEN_MAX | NO_CLI),
    ROW(D, vsnr_sigma_across_px, FIB_PARAM_DOUBLE, 0, 1000, 0.5, "px",
        "vsnr filter width across the stripes", AUTO | OPEN_MIN),
    ROW(D, vsnr_sigma_along_px, FIB_PARAM_DOUBLE, 0, 1e5, 100, "px",
        "vsnr filter length along the stripes", AUTO | OPEN_MIN),
    ROW(D, vsnr_weight, FIB_PARAM_DOUBLE, 0, 1e6, 2, "",
        "vsnr prior weight, larger removes less", AUTO | OPEN_MIN),
    ROW(D, vsnr_white, FIB_PARAM_DOUBLE, 0, 1e6, 0, "",
        "relative variance of an added white-noise filter", 0),
    ROW(D, vsnr_iterations, FIB_PARAM_INT, 1, 10000, 30, "",
        "vsnr ADMM iterations", AUTO),
};
#undef D

static const char *const background_names[] = {"poly", "gauss", NULL};
static const int background_values[] = {FIB_BACKGROUND_POLY,
                                        FIB_BACKGROUND_GAUSS};

#define B fib_recon_background_params
static const fib_param background_rows[] = {
    ENUM_ROW(B, method, FIB_BACKGROUND_POLY,
             "polynomial surface or large Gaussian", background_names,
             background_values),
    ROW(B, poly_order, FIB_PARAM_INT, 1, 4, 2, "", "polynomial order", AUTO),
    ROW(B, skip_px, FIB_PARAM_INT, 1, INT_MAX, 0, "px",
        "fit grid step, 0 = about 64 x 64 samples", AUTO | NO_CLI),
    ROW(B, gauss_sigma_px, FIB_PARAM_DOUBLE, 0, 1e7, 0, "px",
        "Gaussian background sigma, 0 = min side / 8", AUTO | OPEN_MAX),
    ROW(B, divide, FIB_PARAM_BOOL, 0, 1, 0, "",
        "divide by the background (default subtract)", 0),
};
#undef B

#define N fib_recon_normalize_params
static const fib_param normalize_rows[] = {
    ROW(N, enabled, FIB_PARAM_BOOL, 0, 1, 0, "",
        "match mean/std to a running reference", 0),
    ROW(N, use_quantiles, FIB_PARAM_BOOL, 0, 1, 0, "",
        "match the q_lo / q_hi quantiles instead", 0),
    ROW(N, ema_slices, FIB_PARAM_DOUBLE, 1, INFINITY, 50, "slices",
        "reference memory, inf = slice 0", AUTO),
    ROW(N, q_lo, FIB_PARAM_DOUBLE, 0, 1, 0.02, "", "lower quantile",
        AUTO | OPEN_MIN | OPEN_MAX | NO_CLI),
    ROW(N, q_hi, FIB_PARAM_DOUBLE, 0, 1, 0.98, "", "upper quantile",
        AUTO | OPEN_MIN | OPEN_MAX | NO_CLI),
};
#undef N

static const char *const denoise_names[] = {"median", "gauss", "diffusion",
                                            "nlm", NULL};
static const int denoise_values[] = {FIB_DENOISE_MEDIAN, FIB_DENOISE_GAUSS,
                                     FIB_DENOISE_DIFFUSION, FIB_DENOISE_NLM};

#define Z fib_recon_denoise_params
static const fib_param denoise_rows[] = {
    ENUM_ROW(Z, method, FIB_DENOISE_MEDIAN, "2D denoising method",
             denoise_names, denoise_values),
    ROW(Z, radius, FIB_PARAM_INT, 1, 64, 1, "px", "median radius", AUTO),
    ROW(Z, sigma_px, FIB_PARAM_DOUBLE, 0, 1000, 1, "px", "Gaussian sigma",
        AUTO | OPEN_MIN),
    ROW(Z, kappa, FIB_PARAM_DOUBLE, 0, 1e30, 0, "grey",
        "diffusion edge threshold, 0 = auto", AUTO | OPEN_MAX),
    ROW(Z, iterations, FIB_PARAM_INT, 1, 100000, 10, "", "diffusion steps",
        AUTO),
    ROW(Z, step, FIB_PARAM_DOUBLE, 0, 0.25, 0.2, "", "diffusion time step",
        AUTO | OPEN_MIN | NO_CLI),
    ROW(Z, nlm_h, FIB_PARAM_DOUBLE, 0, 1e30, 0, "grey",
        "non-local means strength, 0 = 0.8 x noise sd", AUTO | OPEN_MAX),
    ROW(Z, patch_radius, FIB_PARAM_INT, 1, 16, 3, "px", "NLM patch radius",
        AUTO),
    ROW(Z, search_radius, FIB_PARAM_INT, 1, 50, 10, "px", "NLM search radius",
        AUTO),
};
#undef Z

#define TABLE(name, rows)                                                      \
    {                                                                          \
        name, rows, sizeof rows / sizeof rows[0]                               \
    }
static const fib_param_table tables[] = {
    TABLE("destripe", destripe_rows), TABLE("background", background_rows),
    TABLE("normalize", normalize_rows), TABLE("denoise", denoise_rows)};

const fib_param_table *fib_recon_correct_param_table(fib_recon_correct_step s)
{
    return (unsigned)s < sizeof tables / sizeof tables[0] ? &tables[s] : NULL;
}

/* %g without the exponent's '+' and leading zeros (1e6, not 1e+06), as
 * the messages have always written limits. */
static const char *num(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%g", v);
    char *e = strchr(buf, 'e');
    if (e) {
        char *d = e + 1, *s = e + 1;
        if (*s == '+')
            s++;
        else if (*s == '-')
            *d++ = *s++;
        while (*s == '0' && s[1])
            s++;
        memmove(d, s, strlen(s) + 1);
    }
    return buf;
}

const char *fib_recon_correct_param_range(const fib_param *p, char *buf,
                                          size_t n)
{
    char a[32], b[32];
    if (p->type == FIB_PARAM_INT)
        snprintf(buf, n, "%s..%s", num(p->min, a, sizeof a),
                 num(p->max, b, sizeof b));
    else if (isinf(p->max))
        snprintf(buf, n, "%s %s",
                 p->flags & OPEN_MIN ? ">" : ">=", num(p->min, a, sizeof a));
    else
        snprintf(buf, n, "in %c%s, %s%c", p->flags & OPEN_MIN ? '(' : '[',
                 num(p->min, a, sizeof a), num(p->max, b, sizeof b),
                 p->flags & OPEN_MAX ? ')' : ']');
    return buf;
}

/* The number in row @p p of @p obj is inside the row's range (open ends
 * excluded).  0 of an automatic row has been replaced or is kept. */
static bool in_range(const fib_param *p, double v)
{
    if ((p->flags & AUTO) && v == 0)
        return true;
    if (p->type == FIB_PARAM_INT && v != floor(v))
        return false;
    const bool lo = p->flags & OPEN_MIN ? v > p->min : v >= p->min;
    const bool hi = p->flags & OPEN_MAX ? v < p->max : v <= p->max;
    return lo && hi;
}

fib_status fib__correct_resolve(fib_recon_correct_step step, const void *in,
                                void *out, size_t size, fib_error *err)
{
    const fib_param_table *t = fib_recon_correct_param_table(step);
    memmove(out, in, size);
    for (size_t r = 0; r < t->n; r++) {
        const fib_param *p = &t->rows[r];
        char range[96];
        if (p->type == FIB_PARAM_ENUM) {
            const int v = *(const int *)((const char *)out + p->offset);
            bool known = false;
            for (size_t i = 0; p->choices[i]; i++)
                known = known || p->values[i] == v;
            if (!known)
                return fib_error_set(err, FIB_EINVAL,
                                     "correct: %s.%s %d is not a method",
                                     t->engine, p->key, v);
            continue;
        }
        if (p->type == FIB_PARAM_BOOL)
            continue;
        double v = fib_params_number(p, out);
        if ((p->flags & AUTO) && v == 0 && p->def != 0) {
            v = p->def;
            if (p->type == FIB_PARAM_INT)
                *(int *)((char *)out + p->offset) = (int)v;
            else
                *(double *)((char *)out + p->offset) = v;
        }
        if (!in_range(p, v))
            return fib_error_set(
                err, FIB_EINVAL, "correct: %s.%s must be %s (got %g)",
                t->engine, p->key,
                fib_recon_correct_param_range(p, range, sizeof range), v);
    }
    return FIB_OK;
}
