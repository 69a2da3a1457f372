/* correct_todo.c -- placeholder so the API links; replaced step by step. */
#include "correct_internal.h"

#define TODO(name)                                                             \
    return fib_error_set(err, FIB_EUNSUPPORTED, "correct: %s not built yet",   \
                         name)

fib_status fib__destripe_resolve(const fib_recon_destripe_params *in,
                                 fib_recon_destripe_params *out, fib_error *err)
{
    (void)in;
    (void)out;
    TODO("destripe");
}
fib_status fib__background_resolve(const fib_recon_background_params *in,
                                   fib_recon_background_params *out,
                                   fib_error *err)
{
    (void)in;
    (void)out;
    TODO("background");
}
fib_status fib__normalize_resolve(const fib_recon_normalize_params *in,
                                  fib_recon_normalize_params *out,
                                  fib_error *err)
{
    (void)in;
    (void)out;
    TODO("normalize");
}
fib_status fib__denoise_resolve(const fib_recon_denoise_params *in,
                                fib_recon_denoise_params *out, fib_error *err)
{
    (void)in;
    (void)out;
    TODO("denoise");
}
fib_status fib__destripe_ws_create(const fib_recon_destripe_params *p,
                                   size_t width, size_t height,
                                   fib__destripe_ws **out, fib_error *err)
{
    (void)p;
    (void)width;
    (void)height;
    (void)out;
    TODO("destripe");
}
void fib__destripe_ws_destroy(fib__destripe_ws *ws)
{
    (void)ws;
}
fib_status fib__destripe_run(fib__destripe_ws *ws, fib_image *img,
                             fib_error *err)
{
    (void)ws;
    (void)img;
    TODO("destripe");
}
fib_status fib__background_ws_create(const fib_recon_background_params *p,
                                     size_t width, size_t height,
                                     fib__background_ws **out, fib_error *err)
{
    (void)p;
    (void)width;
    (void)height;
    (void)out;
    TODO("background");
}
void fib__background_ws_destroy(fib__background_ws *ws)
{
    (void)ws;
}
fib_status fib__background_run(fib__background_ws *ws, fib_image *img,
                               fib_image *bg_out, fib_error *err)
{
    (void)ws;
    (void)img;
    (void)bg_out;
    TODO("background");
}
fib_status fib__denoise_ws_create(const fib_recon_denoise_params *p,
                                  size_t width, size_t height,
                                  fib__denoise_ws **out, fib_error *err)
{
    (void)p;
    (void)width;
    (void)height;
    (void)out;
    TODO("denoise");
}
void fib__denoise_ws_destroy(fib__denoise_ws *ws)
{
    (void)ws;
}
fib_status fib__denoise_run(fib__denoise_ws *ws, fib_image *img, fib_error *err)
{
    (void)ws;
    (void)img;
    TODO("denoise");
}
fib_status fib_recon_destripe(const fib_recon_destripe_params *params,
                              fib_image *img, fib_error *err)
{
    (void)params;
    (void)img;
    TODO("destripe");
}
fib_status fib_recon_background(const fib_recon_background_params *params,
                                fib_image *img, fib_error *err)
{
    (void)params;
    (void)img;
    TODO("background");
}
fib_status
fib_recon_background_estimate(const fib_recon_background_params *params,
                              const fib_image *img, fib_image *bg_out,
                              fib_error *err)
{
    (void)params;
    (void)img;
    (void)bg_out;
    TODO("background");
}
fib_status fib_recon_intensity_stats_compute(
    const fib_recon_normalize_params *params, const fib_image *img,
    fib_recon_intensity_stats *out, fib_error *err)
{
    (void)params;
    (void)img;
    (void)out;
    TODO("normalize");
}
fib_status fib_recon_normalize_match(const fib_recon_normalize_params *params,
                                     const fib_recon_intensity_stats *have,
                                     const fib_recon_intensity_stats *want,
                                     fib_image *img, fib_error *err)
{
    (void)params;
    (void)have;
    (void)want;
    (void)img;
    TODO("normalize");
}
fib_status fib_recon_denoise(const fib_recon_denoise_params *params,
                             fib_image *img, fib_error *err)
{
    (void)params;
    (void)img;
    TODO("denoise");
}
fib_status fib_recon_median3d(const fib_image *below, const fib_image *center,
                              const fib_image *above, unsigned radius,
                              fib_image *out, fib_error *err)
{
    (void)below;
    (void)center;
    (void)above;
    (void)radius;
    (void)out;
    TODO("median3d");
}
fib_status fib_recon_ssim(const fib_image *a, const fib_image *b,
                          double data_range, double *ssim_out, fib_error *err)
{
    (void)a;
    (void)b;
    (void)data_range;
    (void)ssim_out;
    TODO("ssim");
}
fib_status fib_recon_rms_diff(const fib_image *a, const fib_image *b,
                              double *rms_out, fib_error *err)
{
    (void)a;
    (void)b;
    (void)rms_out;
    TODO("rms");
}
fib_status fib_recon_stripe_power(const fib_image *img, double highpass_px,
                                  double *power_out, fib_error *err)
{
    (void)img;
    (void)highpass_px;
    (void)power_out;
    TODO("stripe power");
}
void fib__gauss_plane(const float *src, float *dst, float *tmp, size_t w,
                      size_t h, double sigma)
{
    (void)src;
    (void)dst;
    (void)tmp;
    (void)w;
    (void)h;
    (void)sigma;
}
