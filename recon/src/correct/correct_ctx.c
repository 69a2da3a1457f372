/*
 * correct_ctx.c -- the streaming correction context of fib/correct.h:
 * parameter validation, per-size work spaces and the fixed step order
 * destripe -> background -> normalize -> denoise.
 */
#include "correct_internal.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct fib_recon_correct {
    fib_recon_correct_params p; /* resolved; wavelet points at wname */
    char wname[16];
    size_t width, height; /* size the work spaces were made for */
    fib__destripe_ws *ds;
    fib__background_ws *bg;
    fib__denoise_ws *dn;
    bool have_ref;
    fib_recon_intensity_stats ref;
};

fib_status fib_recon_correct_create(const fib_recon_correct_params *params,
                                    fib_recon_correct **ctx_out, fib_error *err)
{
    fib_status st;
    if (!ctx_out)
        return fib_error_set(err, FIB_EINVAL, "correct: ctx_out is NULL");
    *ctx_out = NULL;
    fib_recon_correct_params zero;
    memset(&zero, 0, sizeof zero);
    if (!params)
        params = &zero;
    fib_recon_correct *c = calloc(1, sizeof *c);
    if (!c)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    if (params->destripe.method != FIB_DESTRIPE_NONE) {
        st = fib__destripe_resolve(&params->destripe, &c->p.destripe, err);
        if (st != FIB_OK)
            goto fail;
        snprintf(c->wname, sizeof c->wname, "%s", c->p.destripe.wavelet);
        c->p.destripe.wavelet = c->wname;
    }
    if (params->background.method != FIB_BACKGROUND_NONE) {
        st =
            fib__background_resolve(&params->background, &c->p.background, err);
        if (st != FIB_OK)
            goto fail;
    }
    if (params->normalize.enabled) {
        st = fib__normalize_resolve(&params->normalize, &c->p.normalize, err);
        if (st != FIB_OK)
            goto fail;
    }
    if (params->denoise.method != FIB_DENOISE_NONE) {
        st = fib__denoise_resolve(&params->denoise, &c->p.denoise, err);
        if (st != FIB_OK)
            goto fail;
    }
    *ctx_out = c;
    return FIB_OK;
fail:
    free(c);
    return st;
}

static void free_ws(fib_recon_correct *c)
{
    fib__destripe_ws_destroy(c->ds);
    fib__background_ws_destroy(c->bg);
    fib__denoise_ws_destroy(c->dn);
    c->ds = NULL;
    c->bg = NULL;
    c->dn = NULL;
    c->width = c->height = 0;
}

void fib_recon_correct_destroy(fib_recon_correct *ctx)
{
    if (!ctx)
        return;
    free_ws(ctx);
    free(ctx);
}

bool fib_recon_correct_any(const fib_recon_correct *ctx)
{
    return ctx && (ctx->p.destripe.method != FIB_DESTRIPE_NONE ||
                   ctx->p.background.method != FIB_BACKGROUND_NONE ||
                   ctx->p.normalize.enabled ||
                   ctx->p.denoise.method != FIB_DENOISE_NONE);
}

void fib_recon_correct_reset(fib_recon_correct *ctx)
{
    if (ctx)
        ctx->have_ref = false;
}

static fib_status make_ws(fib_recon_correct *c, size_t w, size_t h,
                          fib_error *err)
{
    fib_status st = FIB_OK;
    free_ws(c);
    if (c->p.destripe.method != FIB_DESTRIPE_NONE)
        st = fib__destripe_ws_create(&c->p.destripe, w, h, &c->ds, err);
    if (st == FIB_OK && c->p.background.method != FIB_BACKGROUND_NONE)
        st = fib__background_ws_create(&c->p.background, w, h, &c->bg, err);
    if (st == FIB_OK && c->p.denoise.method != FIB_DENOISE_NONE)
        st = fib__denoise_ws_create(&c->p.denoise, w, h, &c->dn, err);
    if (st != FIB_OK) {
        free_ws(c);
        return st;
    }
    c->width = w;
    c->height = h;
    return FIB_OK;
}

static fib_status normalize_step(fib_recon_correct *c, fib_image *img,
                                 fib_error *err)
{
    fib_recon_intensity_stats s;
    fib_status st =
        fib_recon_intensity_stats_compute(&c->p.normalize, img, &s, err);
    if (st != FIB_OK)
        return st;
    if (!c->have_ref) {
        c->ref = s; /* slice 0 defines the reference and stays unchanged */
        c->have_ref = true;
        return FIB_OK;
    }
    st = fib_recon_normalize_match(&c->p.normalize, &s, &c->ref, img, err);
    if (st != FIB_OK)
        return st;
    /* EMA of the raw statistics of the slices seen so far. */
    double a = 1.0 / c->p.normalize.ema_slices;
    c->ref.mean += a * (s.mean - c->ref.mean);
    c->ref.std += a * (s.std - c->ref.std);
    c->ref.q_lo += a * (s.q_lo - c->ref.q_lo);
    c->ref.q_hi += a * (s.q_hi - c->ref.q_hi);
    return FIB_OK;
}

fib_status fib_recon_correct_slice(fib_recon_correct *ctx, size_t slice_index,
                                   fib_image *slice_f32_inout, fib_error *err)
{
    fib_status st;
    if (!ctx)
        return fib_error_set(err, FIB_EINVAL, "correct: context is NULL");
    st = fib__check_f32(slice_f32_inout, "slice", err);
    if (st != FIB_OK)
        goto fail;
    if (slice_f32_inout->width != ctx->width ||
        slice_f32_inout->height != ctx->height) {
        st = make_ws(ctx, slice_f32_inout->width, slice_f32_inout->height, err);
        if (st != FIB_OK)
            goto fail;
    }
    if (ctx->ds) {
        st = fib__destripe_run(ctx->ds, slice_f32_inout, err);
        if (st != FIB_OK)
            goto fail;
    }
    if (ctx->bg) {
        st = fib__background_run(ctx->bg, slice_f32_inout, NULL, err);
        if (st != FIB_OK)
            goto fail;
    }
    if (ctx->p.normalize.enabled) {
        st = normalize_step(ctx, slice_f32_inout, err);
        if (st != FIB_OK)
            goto fail;
    }
    if (ctx->dn) {
        st = fib__denoise_run(ctx->dn, slice_f32_inout, err);
        if (st != FIB_OK)
            goto fail;
    }
    return FIB_OK;
fail:
    fib_error_prefix(err, "slice %zu: ", slice_index);
    return st;
}

bool fib_recon_destripe_method_parse(const char *name,
                                     fib_recon_destripe_method *out)
{
    static const struct {
        const char *name;
        fib_recon_destripe_method m;
    } t[] = {{"vsnr", FIB_DESTRIPE_VSNR},
             {"wavelet", FIB_DESTRIPE_WAVELET_FFT},
             {"wedge", FIB_DESTRIPE_WEDGE},
             {"robust", FIB_DESTRIPE_WAVELET_MEDIAN}};
    for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(name, t[i].name) == 0) {
            *out = t[i].m;
            return true;
        }
    return false;
}

const char *fib_recon_destripe_method_name(fib_recon_destripe_method m)
{
    switch (m) {
    case FIB_DESTRIPE_VSNR:
        return "vsnr";
    case FIB_DESTRIPE_WAVELET_FFT:
        return "wavelet-fft";
    case FIB_DESTRIPE_WEDGE:
        return "wedge";
    case FIB_DESTRIPE_WAVELET_MEDIAN:
        return "wavelet-median";
    case FIB_DESTRIPE_NONE:
        break;
    }
    return "none";
}
