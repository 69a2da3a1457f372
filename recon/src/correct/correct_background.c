/*
 * correct_background.c -- shading / charging background removal.
 *
 * Polynomial: a least-squares surface sum_{i+j<=order} c_ij u^i v^j with
 * u, v the pixel coordinates scaled to [-1, 1], fitted to the means of
 * skip x skip blocks (block means rather than single pixels, so the fit
 * sees no aliased noise) with LAPACK dgels (QR).  As the per-slice
 * polynomial background of pystack3d bkg_removal and Janelia's
 * Perform_2D_fit on a binned image (recon-methods 3.2).
 *
 * Gaussian: the image box-downsampled by f = max(1, floor(sigma / 4)),
 * blurred with sigma / f (reflect edges), bilinearly upsampled -- a
 * large-scale background like bmiptools' I - G_sigma * I decharger step.
 *
 * Application keeps the mean level: subtract I - B + mean(B), divide
 * I * mean(B) / B.
 */
#include "correct_internal.h"

#include "fib/checked.h"
#include "fib/threads.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TERMS = 15 };

struct fib__background_ws {
    fib_recon_background_params p;
    size_t w, h;
    float *bg; /* w x h background plane */
    /* polynomial fit */
    size_t sx, sy, nbx, nby, m;
    int nterms;
    double *a, *b, *work;
    lapack_int lwork;
    /* Gaussian */
    size_t f, sw, sh;
    float *small, *small_tmp;
    double *rowsum;
};

fib_status fib__background_resolve(const fib_recon_background_params *in,
                                   fib_recon_background_params *out,
                                   fib_error *err)
{
    return fib__correct_resolve(FIB_CORRECT_STEP_BACKGROUND, in, out,
                                sizeof *out, err);
}

void fib__background_ws_destroy(fib__background_ws *ws)
{
    if (!ws)
        return;
    free(ws->bg);
    free(ws->a);
    free(ws->b);
    free(ws->work);
    free(ws->small);
    free(ws->small_tmp);
    free(ws->rowsum);
    free(ws);
}

static double ipow(double x, unsigned n)
{
    double r = 1;
    while (n--)
        r *= x;
    return r;
}

fib_status fib__background_ws_create(const fib_recon_background_params *p,
                                     size_t width, size_t height,
                                     fib__background_ws **out, fib_error *err)
{
    *out = NULL;
    fib__background_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    fib_status st = fib__background_resolve(p, &ws->p, err);
    if (st != FIB_OK)
        goto fail;
    ws->w = width;
    ws->h = height;
    size_t n;
    if (!fib_mul_size(width, height, &n)) {
        st = fib_error_set(err, FIB_ERANGE, "correct: background: too big");
        goto fail;
    }
    ws->bg = malloc(n * sizeof(float));
    ws->rowsum = malloc(height * sizeof(double));
    if (!ws->bg || !ws->rowsum)
        goto nomem;
    if (ws->p.method == FIB_BACKGROUND_POLY) {
        unsigned o = ws->p.poly_order;
        ws->nterms = (int)((o + 1) * (o + 2) / 2);
        if (ws->p.skip_px) {
            ws->sx = ws->sy = ws->p.skip_px;
        } else {
            ws->sx = width / 64 > 1 ? width / 64 : 1;
            ws->sy = height / 64 > 1 ? height / 64 : 1;
        }
        ws->nbx = (width + ws->sx - 1) / ws->sx;
        ws->nby = (height + ws->sy - 1) / ws->sy;
        ws->m = ws->nbx * ws->nby;
        if (ws->nbx <= o || ws->nby <= o) {
            st = fib_error_set(err, FIB_EINVAL,
                               "correct: background: a %ux%u grid of fit "
                               "samples (image %zux%zu, skip %zu) cannot fit "
                               "order %u; needs more than %u per axis",
                               (unsigned)ws->nbx, (unsigned)ws->nby, width,
                               height, ws->sx, o, o);
            goto fail;
        }
        if (ws->m < (size_t)ws->nterms * 2 || ws->m > ((size_t)1 << 28)) {
            st = fib_error_set(err, FIB_EINVAL,
                               "correct: background: %zu fit samples for %d "
                               "polynomial terms (image %zux%zu, skip %zu); "
                               "need >= %d",
                               ws->m, ws->nterms, width, height, ws->sx,
                               2 * ws->nterms);
            goto fail;
        }
        ws->a = malloc(ws->m * (size_t)ws->nterms * sizeof(double));
        ws->b = malloc(ws->m * sizeof(double));
        if (!ws->a || !ws->b)
            goto nomem;
        double q;
        lapack_int info = LAPACKE_dgels_work(
            LAPACK_COL_MAJOR, 'N', (lapack_int)ws->m, ws->nterms, 1, ws->a,
            (lapack_int)ws->m, ws->b, (lapack_int)ws->m, &q, -1);
        if (info != 0) {
            st = fib_error_set(err, FIB_ENUMERIC,
                               "correct: background: dgels workspace query "
                               "failed (info %d)",
                               (int)info);
            goto fail;
        }
        ws->lwork = (lapack_int)q + 1;
        ws->work = malloc((size_t)ws->lwork * sizeof(double));
        if (!ws->work)
            goto nomem;
    } else {
        if (ws->p.gauss_sigma_px == 0) {
            size_t mn = width < height ? width : height;
            ws->p.gauss_sigma_px = (double)mn / 8.0;
            if (ws->p.gauss_sigma_px < 1)
                ws->p.gauss_sigma_px = 1;
        }
        double f = floor(ws->p.gauss_sigma_px / 4.0);
        ws->f = f < 1 ? 1 : (size_t)f;
        ws->sw = (width + ws->f - 1) / ws->f;
        ws->sh = (height + ws->f - 1) / ws->f;
        ws->small = malloc(ws->sw * ws->sh * sizeof(float));
        ws->small_tmp = malloc(ws->sw * ws->sh * sizeof(float));
        if (!ws->small || !ws->small_tmp)
            goto nomem;
    }
    *out = ws;
    return FIB_OK;
nomem:
    st = fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
fail:
    fib__background_ws_destroy(ws);
    return st;
}

static fib_status fit_poly(fib__background_ws *ws, const float *p, size_t se,
                           fib_error *err)
{
    const size_t w = ws->w, h = ws->h;
    const unsigned o = ws->p.poly_order;
    const double cx = 2.0 / (double)(w > 1 ? w - 1 : 1);
    const double cy = 2.0 / (double)(h > 1 ? h - 1 : 1);
#pragma omp parallel for schedule(static)
    for (size_t by = 0; by < ws->nby; by++) {
        size_t y0 = by * ws->sy, y1 = y0 + ws->sy < h ? y0 + ws->sy : h;
        for (size_t bx = 0; bx < ws->nbx; bx++) {
            size_t x0 = bx * ws->sx, x1 = x0 + ws->sx < w ? x0 + ws->sx : w;
            double s = 0;
            for (size_t y = y0; y < y1; y++)
                for (size_t x = x0; x < x1; x++)
                    s += (double)p[y * se + x];
            size_t row = by * ws->nbx + bx;
            ws->b[row] = s / (double)((y1 - y0) * (x1 - x0));
            double u = 0.5 * (double)(x0 + x1 - 1) * cx - 1;
            double v = 0.5 * (double)(y0 + y1 - 1) * cy - 1;
            int t = 0;
            for (unsigned d = 0; d <= o; d++)
                for (unsigned j = 0; j <= d; j++)
                    ws->a[(size_t)t++ * ws->m + row] =
                        ipow(u, d - j) * ipow(v, j);
        }
    }
    lapack_int info = LAPACKE_dgels_work(
        LAPACK_COL_MAJOR, 'N', (lapack_int)ws->m, ws->nterms, 1, ws->a,
        (lapack_int)ws->m, ws->b, (lapack_int)ws->m, ws->work, ws->lwork);
    if (info != 0)
        return fib_error_set(err, FIB_ENUMERIC,
                             "correct: background: polynomial fit failed "
                             "(dgels info %d)",
                             (int)info);
    const double *c = ws->b;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        double v = (double)y * cy - 1;
        double vp[5];
        for (unsigned j = 0; j <= o; j++)
            vp[j] = ipow(v, j);
        for (size_t x = 0; x < w; x++) {
            double u = (double)x * cx - 1;
            double up[5];
            up[0] = 1;
            for (unsigned i = 1; i <= o; i++)
                up[i] = up[i - 1] * u;
            double s = 0;
            int t = 0;
            for (unsigned d = 0; d <= o; d++)
                for (unsigned j = 0; j <= d; j++)
                    s += c[t++] * up[d - j] * vp[j];
            ws->bg[y * w + x] = (float)s;
        }
    }
    return FIB_OK;
}

/* Position on the small grid (n samples, factor f) of the centre of full
 * pixel i, clamped to [0, n - 1] (small pixel j covers [j f, (j+1) f)). */
static inline double small_pos(size_t i, size_t f, size_t n)
{
    double s = ((double)i + 0.5) / (double)f - 0.5;
    if (s < 0)
        s = 0;
    if (s > (double)(n - 1))
        s = (double)(n - 1);
    return s;
}

static void fit_gauss(fib__background_ws *ws, const float *p, size_t se)
{
    const size_t w = ws->w, h = ws->h, f = ws->f;
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < ws->sh; j++) {
        size_t y0 = j * f, y1 = y0 + f < h ? y0 + f : h;
        for (size_t i = 0; i < ws->sw; i++) {
            size_t x0 = i * f, x1 = x0 + f < w ? x0 + f : w;
            double s = 0;
            for (size_t y = y0; y < y1; y++)
                for (size_t x = x0; x < x1; x++)
                    s += (double)p[y * se + x];
            ws->small[j * ws->sw + i] =
                (float)(s / (double)((y1 - y0) * (x1 - x0)));
        }
    }
    fib__gauss_plane(ws->small, ws->small, ws->small_tmp, ws->sw, ws->sh,
                     ws->p.gauss_sigma_px / (double)f);
    /* bilinear upsampling; small pixel i covers [i f, (i+1) f) */
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        double sy = small_pos(y, f, ws->sh);
        size_t j0 = (size_t)sy, j1 = j0 + 1 < ws->sh ? j0 + 1 : j0;
        float fy = (float)(sy - (double)j0);
        const float *r0 = ws->small + j0 * ws->sw;
        const float *r1 = ws->small + j1 * ws->sw;
        for (size_t x = 0; x < w; x++) {
            double sx = small_pos(x, f, ws->sw);
            size_t i0 = (size_t)sx, i1 = i0 + 1 < ws->sw ? i0 + 1 : i0;
            float fx = (float)(sx - (double)i0);
            float top = r0[i0] + fx * (r0[i1] - r0[i0]);
            float bot = r1[i0] + fx * (r1[i1] - r1[i0]);
            ws->bg[y * w + x] = top + fy * (bot - top);
        }
    }
}

static fib_status background_run_body(fib__background_ws *ws, fib_image *img,
                                      fib_image *bg_out, fib_error *err)
{
    fib_status st = fib__check_f32(img, "background", err);
    if (st != FIB_OK)
        return st;
    if (img->width != ws->w || img->height != ws->h || img->stride % 4)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: background: image %zux%zu does not "
                             "match work space %zux%zu",
                             img->width, img->height, ws->w, ws->h);
    size_t se = img->stride / sizeof(float);
    float *p = img->data;
    if (ws->p.method == FIB_BACKGROUND_POLY) {
        st = fit_poly(ws, p, se, err);
        if (st != FIB_OK)
            return st;
    } else {
        fit_gauss(ws, p, se);
    }
    const size_t w = ws->w, h = ws->h;
    if (bg_out) {
        for (size_t y = 0; y < h; y++)
            memcpy(fib_image_row(bg_out, y), ws->bg + y * w, w * sizeof(float));
        return FIB_OK;
    }
    /* mean and max |B| in a fixed order */
    double maxabs = 0;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        double s = 0;
        for (size_t x = 0; x < w; x++)
            s += (double)ws->bg[y * w + x];
        ws->rowsum[y] = s;
    }
    double sum = 0;
    for (size_t y = 0; y < h; y++)
        sum += ws->rowsum[y];
    double mean = sum / ((double)w * (double)h);
    if (!ws->p.divide) {
        float add = (float)mean;
#pragma omp parallel for schedule(static)
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++)
                p[y * se + x] += add - ws->bg[y * w + x];
        return FIB_OK;
    }
    for (size_t i = 0; i < w * h; i++) {
        double a = fabs((double)ws->bg[i]);
        if (a > maxabs)
            maxabs = a;
    }
    if (!(maxabs > 0) || !(mean > 0))
        return fib_error_set(err, FIB_ENUMERIC,
                             "correct: background: cannot divide by a "
                             "background of mean %g",
                             mean);
    float floor_v = (float)(1e-6 * maxabs);
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            float b = ws->bg[y * w + x];
            if (b < floor_v)
                b = floor_v;
            p[y * se + x] = (float)((double)p[y * se + x] * mean / (double)b);
        }
    return FIB_OK;
}

/* Runs with the step's thread count (params threads). */
fib_status fib__background_run(fib__background_ws *ws, fib_image *img,
                               fib_image *bg_out, fib_error *err)
{
    fib_threads_scope ts = fib_threads_begin(ws->p.threads);
    fib_status st = background_run_body(ws, img, bg_out, err);
    fib_threads_end(ts);
    return st;
}

fib_status fib_recon_background(const fib_recon_background_params *params,
                                fib_image *img_f32_inout, fib_error *err)
{
    if (!params)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: background params NULL");
    fib_status st = fib__check_f32(img_f32_inout, "background", err);
    if (st != FIB_OK)
        return st;
    fib__background_ws *ws;
    st = fib__background_ws_create(params, img_f32_inout->width,
                                   img_f32_inout->height, &ws, err);
    if (st != FIB_OK)
        return st;
    st = fib__background_run(ws, img_f32_inout, NULL, err);
    fib__background_ws_destroy(ws);
    return st;
}

fib_status
fib_recon_background_estimate(const fib_recon_background_params *params,
                              const fib_image *img_f32, fib_image *bg_out,
                              fib_error *err)
{
    if (!params || !bg_out)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: background_estimate: NULL argument");
    memset(bg_out, 0, sizeof *bg_out);
    fib_status st = fib__check_f32(img_f32, "background", err);
    if (st != FIB_OK)
        return st;
    fib__background_ws *ws;
    st = fib__background_ws_create(params, img_f32->width, img_f32->height, &ws,
                                   err);
    if (st != FIB_OK)
        return st;
    st = fib_image_init(bg_out, FIB_PX_F32, img_f32->width, img_f32->height,
                        err);
    if (st == FIB_OK) {
        fib_image tmp = *img_f32; /* run only reads the pixels here */
        st = fib__background_run(ws, &tmp, bg_out, err);
        if (st != FIB_OK)
            fib_image_clear(bg_out);
    }
    fib__background_ws_destroy(ws);
    return st;
}
