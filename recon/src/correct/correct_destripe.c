/*
 * correct_destripe.c -- curtaining (stripe) removal.
 *
 * Wavelet-FFT filter: Muench, Trtik, Marone & Stampanoni, "Stripe and ring
 * artifact removal with combined wavelet-Fourier filtering", Opt. Express
 * 17(10):8567 (2009), in the form of tomopy prep/stripe.py
 * _remove_stripe_fw: L-level 2D DWT, FFT of each level's vertical-detail
 * band along the stripe direction, multiplication by
 * g(k) = 1 - exp(-k^2 / (2 sigma^2)), inverse FFT, inverse DWT.
 *
 * Differences from tomopy (documented in fib/correct.h): the DWT is
 * periodised (pywt mode "periodization") on an image mirror-padded by a
 * margin and rounded up to a multiple of 2^L, instead of pywt's
 * "symmetric" mode on a zero-padded image; k is the integer frequency
 * index (DC fully removed) instead of tomopy's half-integer grid.
 *
 * DWT convention (matches pywt periodization, tested): with h = rec_lo and
 * g[k] = (-1)^k dec_lo[k] = rec_hi, both of length n,
 *   a[i] = sum_k h[k] x[(2i + k + 1 - n/2) mod N],
 *   d[i] = sum_k g[k] x[(2i + k + 1 - n/2) mod N],
 * an orthogonal transform whose inverse is its transpose.
 *
 * Wedge filter: gleb-shtengel FIBSEM_gs_py
 * build_kernel_FFT_zero_destreaker_radii_angles idea (zero the 2D spectrum
 * in a narrow wedge across the stripes), here with a raised-cosine taper
 * and mirror padding.
 *
 * Angles: see fib/correct.h; the filter runs in a frame where the stripes
 * are vertical and only the removed part is rotated back.
 */
#include "correct_internal.h"

#include "fib/checked.h"
#include "fftw_plan.h"
#include "fib/threads.h"

#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "destripe_internal.h"

fib_status fib__destripe_resolve(const fib_recon_destripe_params *in,
                                 fib_recon_destripe_params *out, fib_error *err)
{
    /* ranges and defaults: correct_params.c (levels <= MAX_LEVELS) */
    const fib_status st = fib__correct_resolve(FIB_CORRECT_STEP_DESTRIPE, in,
                                               out, sizeof *out, err);
    if (st != FIB_OK)
        return st;
    if (!out->wavelet)
        out->wavelet = "db5";
    if (!fib__wavelet_find(out->wavelet))
        return fib_error_set(err, FIB_EINVAL,
                             "correct: destripe.wavelet '%.40s' unknown (use "
                             "haar, db1..db10, sym2..sym10, coif1..coif5)",
                             out->wavelet);
    return FIB_OK;
}

void fib__destripe_ws_destroy(fib__destripe_ws *ws)
{
    if (!ws)
        return;
    fib__fftwf_planner_ready();
    for (int i = 0; i < MAX_LEVELS; i++) {
        if (ws->fwd[i])
            fftwf_destroy_plan(ws->fwd[i]);
        if (ws->inv[i])
            fftwf_destroy_plan(ws->inv[i]);
    }
    if (ws->fwd2)
        fftwf_destroy_plan(ws->fwd2);
    if (ws->inv2)
        fftwf_destroy_plan(ws->inv2);
    free(ws->frame);
    free(ws->frame0);
    fftwf_free(ws->buf);
    fftwf_free(ws->buf2);
    fftwf_free(ws->spec);
    free(ws->damp);
    free(ws->mask);
    free(ws->tbuf);
    free(ws->xmap);
    free(ws->xw);
    fib__vsnr_ws_destroy(ws->vsnr);
    free(ws);
}

static size_t round_up(size_t v, size_t m)
{
    return (v + m - 1) / m * m;
}

/* Frame coordinates: image point p = c + u e_u + v d with the stripe
 * direction d = (sin A, cos A) and e_u = (cos A, -sin A) (x right, y
 * down). */
static void frame_to_image(const fib__destripe_ws *ws, double fu, double fv,
                           double *x, double *y)
{
    double u = fu - 0.5 * (double)(ws->fw - 1);
    double v = fv - 0.5 * (double)(ws->fh - 1);
    *x = 0.5 * (double)(ws->w - 1) + u * ws->ca + v * ws->sa;
    *y = 0.5 * (double)(ws->h_img - 1) - u * ws->sa + v * ws->ca;
}

static void image_to_frame(const fib__destripe_ws *ws, double x, double y,
                           double *fu, double *fv)
{
    double dx = x - 0.5 * (double)(ws->w - 1);
    double dy = y - 0.5 * (double)(ws->h_img - 1);
    *fu = 0.5 * (double)(ws->fw - 1) + dx * ws->ca - dy * ws->sa;
    *fv = 0.5 * (double)(ws->fh - 1) + dx * ws->sa + dy * ws->ca;
}

/* Frame of the (rotated) stripes: its size fw x fh and, when rotated,
 * the frame buffers. */
static fib_status ws_frame(fib__destripe_ws *ws, size_t width, size_t height,
                           fib_error *err)
{
    double a = ws->p.stripe_angle_deg * FIB__PI / 180.0;
    ws->ca = cos(a);
    ws->sa = sin(a);
    ws->rotated = fabs(ws->p.stripe_angle_deg) > 1e-6;
    if (ws->rotated) {
        double fwd =
            fabs((double)width * ws->ca) + fabs((double)height * ws->sa);
        double fhd =
            fabs((double)width * ws->sa) + fabs((double)height * ws->ca);
        ws->fw = (size_t)ceil(fwd - 1e-9);
        ws->fh = (size_t)ceil(fhd - 1e-9);
    } else {
        ws->fw = width;
        ws->fh = height;
    }
    size_t n_frame;
    if (!fib_mul_size(ws->fw, ws->fh, &n_frame) || ws->fw > FIB_MAX_EXTENT ||
        ws->fh > FIB_MAX_EXTENT)
        return fib_error_set(err, FIB_ERANGE,
                             "correct: destripe: image too big");
    if (ws->rotated) {
        ws->frame = malloc(n_frame * sizeof(float));
        ws->frame0 = malloc(n_frame * sizeof(float));
        if (!ws->frame || !ws->frame0)
            return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    }
    return FIB_OK;
}

/* Wavelet filters, margins, the padded size px x py and the FFT buffers. */
static fib_status ws_pad(fib__destripe_ws *ws, size_t width, size_t height,
                         fib_error *err)
{
    /* Filters: h = rec_lo, g[k] = (-1)^k dec_lo[k] = (-1)^k h[n-1-k]. */
    int n = ws->wav->len;
    fib__wavelet_filters(ws->wav, ws->h, ws->g, &ws->off);

    size_t unit, margin;
    if (ws->p.method != FIB_DESTRIPE_WEDGE) {
        unit = (size_t)1 << ws->p.levels;
        unsigned ml = ws->p.levels < 3 ? ws->p.levels : 3;
        margin = (size_t)n << ml;
        /* The coarsest band must still be at least one filter long. */
    } else {
        unit = 2;
        margin = 16;
    }
    ws->mx = margin < ws->fw ? margin : ws->fw;
    ws->my = margin < ws->fh ? margin : ws->fh;
    ws->px = round_up(ws->fw + 2 * ws->mx, unit);
    ws->py = round_up(ws->fh + 2 * ws->my, unit);
    if (ws->p.method != FIB_DESTRIPE_WEDGE && (ws->fw < unit || ws->fh < unit))
        return fib_error_set(err, FIB_EINVAL,
                             "correct: destripe: image %zux%zu too small for "
                             "%u wavelet levels (needs >= %zu px per side)",
                             width, height, ws->p.levels, unit);
    size_t npad, nspec, nspec2;
    if (!fib_mul_size(ws->px, ws->py, &npad) ||
        !fib_mul_size(ws->px, ws->py / 2 + 1, &nspec) ||
        !fib_mul_size(ws->py, ws->px / 2 + 1, &nspec2))
        return fib_error_set(err, FIB_ERANGE,
                             "correct: destripe: image too big");
    ws->buf = fftwf_alloc_real(npad);
    ws->buf2 = fftwf_alloc_real(npad);
    /* column FFTs need px/2 x (py/4 + 1), the 2D r2c py x (px/2 + 1) */
    if (nspec2 > nspec)
        nspec = nspec2;
    ws->spec = fftwf_alloc_complex(nspec);
    if (!ws->buf || !ws->buf2 || !ws->spec)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    return FIB_OK;
}

/* Columns outside the image, seen periodically as one gap of G columns
 * after the last one: a raised-cosine cross-fade from the mirror image of
 * the right edge to that of the left edge, so the periodic signal has no
 * seam (a seam would be a full-height vertical line, i.e. a stripe, for
 * the filter).  Also the per-thread row buffers. */
static fib_status ws_columns(fib__destripe_ws *ws, fib_error *err)
{
    ws->xmap = malloc(2 * ws->px * sizeof(ptrdiff_t));
    ws->xw = malloc(ws->px * sizeof(float));
    if (!ws->xmap || !ws->xw)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    const ptrdiff_t fw = (ptrdiff_t)ws->fw;
    const ptrdiff_t G = (ptrdiff_t)ws->px - fw;
    for (size_t x = 0; x < ws->px; x++) {
        ptrdiff_t t =
            ((ptrdiff_t)x - (ptrdiff_t)ws->mx - fw) % (ptrdiff_t)ws->px;
        if (t < 0)
            t += (ptrdiff_t)ws->px;
        if (t >= G) { /* inside the image */
            ws->xmap[2 * x] = ws->xmap[2 * x + 1] =
                (ptrdiff_t)x - (ptrdiff_t)ws->mx;
            ws->xw[x] = 0;
            continue;
        }
        ws->xmap[2 * x] = fib__reflect(fw + t, fw);    /* right mirror */
        ws->xmap[2 * x + 1] = fib__reflect(t - G, fw); /* left mirror */
        ws->xw[x] =
            (float)(0.5 - 0.5 * cos(FIB__PI * ((double)t + 0.5) / (double)G));
    }

    ws->nt = omp_get_max_threads();
    if (ws->nt < 1)
        ws->nt = 1;
    ws->tbuf_per = ws->px > ws->py / 2 ? ws->px : ws->py / 2;
    ws->tbuf = malloc((size_t)ws->nt * ws->tbuf_per * sizeof(float));
    if (!ws->tbuf)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    return FIB_OK;
}

/* wavelet-fft: the Gaussian damping of each level's column spectra and
 * the column FFT plans. */
static fib_status ws_wavelet_fft(fib__destripe_ws *ws, fib_error *err)
{
    size_t nd = 0;
    for (unsigned l = 0; l < ws->p.levels; l++)
        nd += (ws->py >> (l + 1)) / 2 + 1;
    ws->damp = malloc(nd * sizeof(float));
    if (!ws->damp)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    size_t o = 0;
    for (unsigned l = 0; l < ws->p.levels; l++) {
        size_t m = ws->py >> (l + 1);
        for (size_t k = 0; k <= m / 2; k++) {
            /* frequency in cycles per image height (not per padded
             * length), so that sigma does not depend on the padding */
            double kk = (double)k * (double)ws->fh / (double)ws->py;
            double s = ws->p.sigma;
            /* g(k) and the 1/m of the unnormalised inverse FFT */
            ws->damp[o + k] =
                (float)(-expm1(-kk * kk / (2 * s * s)) / (double)m);
        }
        o += m / 2 + 1;
    }
    int ok = 1;
    fib__fftwf_planner_ready();
    for (unsigned l = 0; l < ws->p.levels && ok; l++) {
        int m = (int)(ws->py >> (l + 1));
        int cols = (int)(ws->px >> (l + 1));
        float *cv = ws->buf + cols; /* right half of the band */
        ws->fwd[l] =
            fftwf_plan_many_dft_r2c(1, &m, cols, cv, NULL, (int)ws->px, 1,
                                    ws->spec, NULL, cols, 1, FFTW_ESTIMATE);
        ws->inv[l] =
            fftwf_plan_many_dft_c2r(1, &m, cols, ws->spec, NULL, cols, 1, cv,
                                    NULL, (int)ws->px, 1, FFTW_ESTIMATE);
        ok = ws->fwd[l] && ws->inv[l];
    }
    if (!ok)
        return fib_error_set(err, FIB_ENOMEM,
                             "correct: destripe: fftw planning failed");
    return FIB_OK;
}

/* wedge: the wedge mask over the r2c spectrum and the 2-D plans.  Rows ky
 * (py of them, fastest varying index kx in 0..px/2): FFTW's 2D r2c of a
 * py x px row-major plane gives py x (px/2+1) complex values. */
static fib_status ws_wedge(fib__destripe_ws *ws, fib_error *err)
{
    size_t nh = ws->px / 2 + 1;
    size_t nm;
    if (!fib_mul_size(ws->py, nh, &nm))
        return fib_error_set(err, FIB_ERANGE, "correct: image too big");
    ws->mask = malloc(nm * sizeof(float));
    if (!ws->mask)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    double half = ws->p.wedge_half_angle_deg * FIB__PI / 180.0;
    double taper = ws->p.wedge_taper_deg * FIB__PI / 180.0;
    double norm = 1.0 / ((double)ws->px * (double)ws->py);
    for (size_t j = 0; j < ws->py; j++) {
        double fy =
            (double)(j <= ws->py / 2 ? (ptrdiff_t)j
                                     : (ptrdiff_t)j - (ptrdiff_t)ws->py) /
            (double)ws->py;
        for (size_t i = 0; i < nh; i++) {
            double fx = (double)i / (double)ws->px;
            /* radius as a fraction of Nyquist (0.5 cycles/px) */
            double r = 2 * sqrt(fx * fx + fy * fy);
            /* angle from the fx axis (stripes vertical in the frame
             * put their energy on fy = 0) */
            double ang = atan2(fabs(fy), fx);
            double m = 1;
            if (r > ws->p.wedge_min_radius) {
                if (ang <= half)
                    m = 0;
                else if (ang < half + taper)
                    m = 0.5 - 0.5 * cos(FIB__PI * (ang - half) / taper);
            }
            ws->mask[j * nh + i] = (float)(m * norm);
        }
    }
    fib__fftwf_planner_ready();
    ws->fwd2 = fftwf_plan_dft_r2c_2d((int)ws->py, (int)ws->px, ws->buf,
                                     ws->spec, FFTW_ESTIMATE);
    ws->inv2 = fftwf_plan_dft_c2r_2d((int)ws->py, (int)ws->px, ws->spec,
                                     ws->buf, FFTW_ESTIMATE);
    if (!ws->fwd2 || !ws->inv2)
        return fib_error_set(err, FIB_ENOMEM,
                             "correct: destripe: fftw planning failed");
    return FIB_OK;
}

static fib_status destripe_ws_create_body(const fib_recon_destripe_params *p,
                                          size_t width, size_t height,
                                          fib__destripe_ws **out,
                                          fib_error *err)
{
    fib_status st = FIB_OK;
    *out = NULL;
    fib__destripe_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    st = fib__destripe_resolve(p, &ws->p, err);
    if (st != FIB_OK)
        goto fail;
    ws->wav = fib__wavelet_find(ws->p.wavelet);
    ws->w = width;
    ws->h_img = height;
    if ((st = ws_frame(ws, width, height, err)) != FIB_OK)
        goto fail;
    if (ws->p.method == FIB_DESTRIPE_VSNR) {
        st = fib__vsnr_ws_create(&ws->p, ws->fw, ws->fh, &ws->vsnr, err);
        if (st != FIB_OK)
            goto fail;
        *out = ws;
        return FIB_OK;
    }
    if ((st = ws_pad(ws, width, height, err)) != FIB_OK ||
        (st = ws_columns(ws, err)) != FIB_OK)
        goto fail;
    st = ws->p.method == FIB_DESTRIPE_WAVELET_FFT ? ws_wavelet_fft(ws, err)
                                                  : ws_wedge(ws, err);
    if (st != FIB_OK)
        goto fail;
    *out = ws;
    return FIB_OK;
fail:
    fib__destripe_ws_destroy(ws);
    return st;
}

/* The work space is sized for the step's thread count (params threads). */
fib_status fib__destripe_ws_create(const fib_recon_destripe_params *p,
                                   size_t width, size_t height,
                                   fib__destripe_ws **out, fib_error *err)
{
    fib_threads_scope ts = fib_threads_begin(p ? p->threads : 0);
    fib_status st = destripe_ws_create_body(p, width, height, out, err);
    fib_threads_end(ts);
    return st;
}

/* Fill the padded plane from a packed w x h source, mirrored margins. */
static void fill_padded(fib__destripe_ws *ws, const float *src, size_t w,
                        size_t h, size_t sstride_el)
{
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < ws->py; y++) {
        ptrdiff_t sy =
            fib__reflect((ptrdiff_t)y - (ptrdiff_t)ws->my, (ptrdiff_t)h);
        const float *r = src + (size_t)sy * sstride_el;
        float *o = ws->buf + y * ws->px;
        for (size_t x = 0; x < ws->mx; x++)
            o[x] = r[ws->xmap[2 * x]] +
                   ws->xw[x] * (r[ws->xmap[2 * x + 1]] - r[ws->xmap[2 * x]]);
        memcpy(o + ws->mx, r, w * sizeof(float));
        for (size_t x = ws->mx + w; x < ws->px; x++)
            o[x] = r[ws->xmap[2 * x]] +
                   ws->xw[x] * (r[ws->xmap[2 * x + 1]] - r[ws->xmap[2 * x]]);
    }
}

static void wavelet_fft(fib__destripe_ws *ws)
{
    size_t nx = ws->px, ny = ws->py;
    for (unsigned l = 0; l < ws->p.levels; l++) {
        fib__destripe_dwt_rows(ws, ws->buf, ws->buf2, nx, ny);
        fib__destripe_dwt_cols(ws, ws->buf2, ws->buf, nx, ny);
        nx /= 2;
        ny /= 2;
    }
    size_t o = 0;
    for (unsigned l = 0; l < ws->p.levels; l++) {
        size_t m = ws->py >> (l + 1);
        size_t cols = ws->px >> (l + 1);
        fftwf_execute(ws->fwd[l]);
        const float *dmp = ws->damp + o;
#pragma omp parallel for schedule(static)
        for (size_t k = 0; k <= m / 2; k++) {
            fftwf_complex *row = ws->spec + k * cols;
            float f = dmp[k];
            for (size_t c = 0; c < cols; c++) {
                row[c][0] *= f;
                row[c][1] *= f;
            }
        }
        fftwf_execute(ws->inv[l]);
        o += m / 2 + 1;
    }
    for (unsigned l = ws->p.levels; l-- > 0;) {
        nx = ws->px >> l;
        ny = ws->py >> l;
        fib__destripe_idwt_cols(ws, ws->buf, ws->buf2, nx, ny);
        fib__destripe_idwt_rows(ws, ws->buf2, ws->buf, nx, ny);
    }
}

/* Robust variant: subtract from every column of each level's vertical
 * detail band its median along the stripe direction.  A stripe adds a
 * constant to a whole column; object edges occupy a minority of it and
 * do not move the median (cf. the median/sorting stripe estimators of
 * Vo, Atwood & Drakopoulos, Opt. Express 26:28396, 2018). */
static void wavelet_median(fib__destripe_ws *ws)
{
    size_t nx = ws->px, ny = ws->py;
    for (unsigned l = 0; l < ws->p.levels; l++) {
        fib__destripe_dwt_rows(ws, ws->buf, ws->buf2, nx, ny);
        fib__destripe_dwt_cols(ws, ws->buf2, ws->buf, nx, ny);
        nx /= 2;
        ny /= 2;
        /* only rows inside the image (not the mirrored margins) */
        size_t r0 = ws->my >> (l + 1);
        size_t r1 = (ws->my + ws->fh + ((size_t)1 << (l + 1)) - 1) >> (l + 1);
        if (r1 > ny)
            r1 = ny;
        size_t m = r1 - r0;
#pragma omp parallel num_threads(ws->nt)
        {
            float *col = ws->tbuf + (size_t)omp_get_thread_num() * ws->tbuf_per;
#pragma omp for schedule(static)
            for (size_t c = nx; c < 2 * nx; c++) {
                for (size_t r = 0; r < m; r++)
                    col[r] = ws->buf[(r0 + r) * ws->px + c];
                float med = fib__select_k(col, m, m / 2);
                for (size_t r = 0; r < ny; r++)
                    ws->buf[r * ws->px + c] -= med;
            }
        }
    }
    for (unsigned l = ws->p.levels; l-- > 0;) {
        nx = ws->px >> l;
        ny = ws->py >> l;
        fib__destripe_idwt_cols(ws, ws->buf, ws->buf2, nx, ny);
        fib__destripe_idwt_rows(ws, ws->buf2, ws->buf, nx, ny);
    }
}

static void wedge(fib__destripe_ws *ws)
{
    fftwf_execute(ws->fwd2);
    size_t nh = ws->px / 2 + 1;
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < ws->py; j++) {
        fftwf_complex *row = ws->spec + j * nh;
        const float *m = ws->mask + j * nh;
        for (size_t i = 0; i < nh; i++) {
            row[i][0] *= m[i];
            row[i][1] *= m[i];
        }
    }
    fftwf_execute(ws->inv2);
}

/* Filter the fw x fh plane @p src (row stride in elements) in place. */
static void filter_frame(fib__destripe_ws *ws, float *src, size_t stride_el)
{
    if (ws->vsnr) {
        fib__vsnr_run(ws->vsnr, src, stride_el);
        return;
    }
    fill_padded(ws, src, ws->fw, ws->fh, stride_el);
    if (ws->p.method == FIB_DESTRIPE_WAVELET_FFT)
        wavelet_fft(ws);
    else if (ws->p.method == FIB_DESTRIPE_WAVELET_MEDIAN)
        wavelet_median(ws);
    else
        wedge(ws);
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < ws->fh; y++) {
        const float *r = ws->buf + (y + ws->my) * ws->px + ws->mx;
        float *o = src + y * stride_el;
        memcpy(o, r, ws->fw * sizeof(float));
    }
}

static double bilinear(const float *p, size_t w, size_t h, size_t stride_el,
                       double x, double y)
{
    if (x < 0)
        x = 0;
    if (y < 0)
        y = 0;
    if (x > (double)(w - 1))
        x = (double)(w - 1);
    if (y > (double)(h - 1))
        y = (double)(h - 1);
    size_t x0 = (size_t)x, y0 = (size_t)y;
    size_t x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    double fx = x - (double)x0, fy = y - (double)y0;
    const float *r0 = p + y0 * stride_el, *r1 = p + y1 * stride_el;
    return (1 - fy) * ((1 - fx) * (double)r0[x0] + fx * (double)r0[x1]) +
           fy * ((1 - fx) * (double)r1[x0] + fx * (double)r1[x1]);
}

/* Resample the image into the frame.  Frame column u is a line along the
 * stripe direction; where it leaves the image the values are mirrored
 * along the line, so that stripes continue unbroken into the margins. */
static void to_frame(fib__destripe_ws *ws, const fib_image *img)
{
    const float *p = img->data;
    size_t se = img->stride / sizeof(float);
    double W = (double)(ws->w - 1), H = (double)(ws->h_img - 1);
#pragma omp parallel for schedule(static)
    for (size_t u = 0; u < ws->fw; u++) {
        /* segment [v0, v1] of this column inside the image (slab test) */
        double x0, y0;
        frame_to_image(ws, (double)u, 0, &x0, &y0);
        double dxv = ws->sa, dyv = ws->ca; /* d(x, y) per unit v */
        double v0 = -1e300, v1 = 1e300;
        if (fabs(dxv) > 1e-12) {
            double a = (0 - x0) / dxv, b = (W - x0) / dxv;
            v0 = fmax(v0, fmin(a, b));
            v1 = fmin(v1, fmax(a, b));
        } else if (x0 < -0.5 || x0 > W + 0.5) {
            v0 = 0;
            v1 = -1;
        }
        if (fabs(dyv) > 1e-12) {
            double a = (0 - y0) / dyv, b = (H - y0) / dyv;
            v0 = fmax(v0, fmin(a, b));
            v1 = fmin(v1, fmax(a, b));
        } else if (y0 < -0.5 || y0 > H + 0.5) {
            v0 = 0;
            v1 = -1;
        }
        bool empty = !(v1 >= v0);
        for (size_t v = 0; v < ws->fh; v++) {
            double vv = (double)v;
            if (!empty && v1 > v0) {
                double len = v1 - v0;
                double t = fmod(vv - v0, 2 * len);
                if (t < 0)
                    t += 2 * len;
                vv = v0 + (t <= len ? t : 2 * len - t);
            } else if (!empty) {
                vv = v0;
            }
            double x, y;
            frame_to_image(ws, (double)u, vv, &x, &y);
            ws->frame[v * ws->fw + u] =
                (float)bilinear(p, ws->w, ws->h_img, se, x, y);
        }
    }
}

static fib_status destripe_run_body(fib__destripe_ws *ws, fib_image *img,
                                    fib_error *err)
{
    fib_status st = fib__check_f32(img, "destripe", err);
    if (st != FIB_OK)
        return st;
    if (img->width != ws->w || img->height != ws->h_img)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: destripe: image %zux%zu but work "
                             "space made for %zux%zu",
                             img->width, img->height, ws->w, ws->h_img);
    size_t se = img->stride / sizeof(float);
    if (img->stride % sizeof(float) != 0)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: destripe: stride %zu not a multiple "
                             "of 4",
                             img->stride);
    if (!ws->rotated) {
        filter_frame(ws, img->data, se);
        return FIB_OK;
    }
    to_frame(ws, img);
    size_t n = ws->fw * ws->fh;
    memcpy(ws->frame0, ws->frame, n * sizeof(float));
    filter_frame(ws, ws->frame, ws->fw);
    /* removed part, rotated back and subtracted */
    for (size_t i = 0; i < n; i++)
        ws->frame0[i] -= ws->frame[i];
    float *p = img->data;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < ws->h_img; y++) {
        for (size_t x = 0; x < ws->w; x++) {
            double fu, fv;
            image_to_frame(ws, (double)x, (double)y, &fu, &fv);
            p[y * se + x] -=
                (float)bilinear(ws->frame0, ws->fw, ws->fh, ws->fw, fu, fv);
        }
    }
    return FIB_OK;
}

/* Runs with the step's thread count (params threads). */
fib_status fib__destripe_run(fib__destripe_ws *ws, fib_image *img,
                             fib_error *err)
{
    fib_threads_scope ts = fib_threads_begin(ws->p.threads);
    fib_status st = destripe_run_body(ws, img, err);
    fib_threads_end(ts);
    return st;
}

fib_status fib_recon_destripe(const fib_recon_destripe_params *params,
                              fib_image *img_f32_inout, fib_error *err)
{
    if (!params)
        return fib_error_set(err, FIB_EINVAL, "correct: destripe params NULL");
    fib_status st = fib__check_f32(img_f32_inout, "destripe", err);
    if (st != FIB_OK)
        return st;
    fib__destripe_ws *ws;
    st = fib__destripe_ws_create(params, img_f32_inout->width,
                                 img_f32_inout->height, &ws, err);
    if (st != FIB_OK)
        return st;
    st = fib__destripe_run(ws, img_f32_inout, err);
    fib__destripe_ws_destroy(ws);
    return st;
}
