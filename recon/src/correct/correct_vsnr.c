/*
 * correct_vsnr.c -- VSNR destriping (variational stationary noise remover).
 *
 * Fehrenbach, Weiss & Lorenzo, "Variational algorithms to remove stationary
 * noise: applications to microscopy imaging", IEEE Trans. Image Process.
 * 21(10):4420-4430 (2012).  Model u0 = u + psi * lambda; the restored image
 * u = u0 - psi * x with
 *
 *     x = argmin_x  || grad(u0) - A x ||_{2,1} + (alpha / 2) || x ||^2,
 *     A = grad(psi * .)   (forward differences, periodic),
 *
 * i.e. the isotropic TV of the restored image plus the paper's phi = l2
 * prior.  Solved by ADMM with the splitting y = A x (as in the authors'
 * VSNR 2 code and CEA-MetroCarac/pyvsnr, written here from the equations):
 *
 *     x   <- (alpha + beta A^T A)^{-1} A^T (beta y - l)      (Fourier)
 *     y   <- g + shrink(A x + l / beta - g, 1 / beta)        (pixelwise)
 *     l   <- l + beta (A x - y)
 *
 * with g = grad u0 and shrink(t, s) = t max(0, 1 - s / |t|) (the proximal
 * map of || g - . ||_{2,1} / beta).  psi, A and the x update are diagonal in
 * Fourier space: 4 real FFTs per iteration.  The parameter choices (alpha
 * from the measured gradient scale and stripe variance, beta = 1 / tau)
 * and the safeguard are documented in fib/correct.h.
 *
 * Boundaries: the frame (stripes vertical) is embedded in a periodic plane
 * of (w + 2 m) x (h + 2 m) px, m = 32, rounded up to a size FFTW handles
 * fast; the gap outside the image is a raised-cosine cross-fade between the
 * mirror images of the two opposite edges (as the wavelet filter's
 * margins), so the periodic plane has no seam that could pass for a stripe.
 *
 * Threads: loops over rows or columns only, sums in a fixed order; FFTW
 * plans single-threaded, made after fib__fftwf_planner_ready() (fftw_plan.h).
 */
#include "correct_internal.h"

#include "fib/checked.h"
#include "fftw_plan.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { VSNR_MARGIN = 32, VSNR_BANDS = 4 };

/* High-pass width of the stripe measures (px), as fib_recon_stripe_power
 * and the bench: stripes narrower than about 2 pi 8 px. */
#define VSNR_HP_PX 8.0
/* Floor of the stripe variance, in units of tau^2 (see fib/correct.h). */
#define VSNR_S2_MIN 0.08

struct fib__vsnr_ws {
    double sig_x, sig_y, kappa, white;
    unsigned iters;
    size_t w, h;   /* frame */
    size_t px, py; /* periodic plane */
    size_t mx, my; /* image origin in the plane */
    size_t nh;     /* px / 2 + 1 */
    float *u0;     /* plane: padded input */
    float *l1, *l2, *b1, *b2;
    fftwf_complex *s1, *s2, *X;
    float *psi2;    /* |Psi|^2 normalised, py x nh */
    float *dd;      /* |D1|^2 + |D2|^2, py x nh */
    float *psi;     /* |Psi|, py x nh */
    float *cx, *sx; /* cos(kx) - 1, sin(kx), nh each */
    float *cy, *sy; /* cos(ky) - 1, sin(ky), py each */
    double *prof;   /* VSNR_BANDS + 2 profiles of w doubles, + h + py */
    ptrdiff_t *xmap, *ymap;
    float *xw, *yw;
    fftwf_plan fwd, inv;
};

void fib__vsnr_ws_destroy(fib__vsnr_ws *ws)
{
    if (!ws)
        return;
    fib__fftwf_planner_ready();
    if (ws->fwd)
        fftwf_destroy_plan(ws->fwd);
    if (ws->inv)
        fftwf_destroy_plan(ws->inv);
    fftwf_free(ws->u0);
    fftwf_free(ws->l1);
    fftwf_free(ws->l2);
    fftwf_free(ws->b1);
    fftwf_free(ws->b2);
    fftwf_free(ws->s1);
    fftwf_free(ws->s2);
    fftwf_free(ws->X);
    free(ws->psi2);
    free(ws->dd);
    free(ws->psi);
    free(ws->cx);
    free(ws->cy);
    free(ws->prof);
    free(ws->xmap);
    free(ws->ymap);
    free(ws->xw);
    free(ws->yw);
    free(ws);
}

/* Smallest n' >= n whose prime factors are 2, 3, 5 and 7. */
static size_t good_size(size_t n)
{
    for (;; n++) {
        size_t m = n;
        const size_t f[4] = {2, 3, 5, 7};
        for (int i = 0; i < 4; i++)
            while (m % f[i] == 0)
                m /= f[i];
        if (m == 1)
            return n;
    }
}

/* Plane index p (0..P) -> image index pair and the weight of the second:
 * inside the image one index; in the gap of G = P - n cells after the last
 * image cell (seen periodically), a raised-cosine cross-fade from the
 * mirror of the far edge to the mirror of the near edge. */
static void make_map(size_t P, size_t n, size_t m, ptrdiff_t *map, float *wt)
{
    const ptrdiff_t N = (ptrdiff_t)n, G = (ptrdiff_t)P - N;
    for (size_t x = 0; x < P; x++) {
        ptrdiff_t t = ((ptrdiff_t)x - (ptrdiff_t)m - N) % (ptrdiff_t)P;
        if (t < 0)
            t += (ptrdiff_t)P;
        if (t >= G) {
            map[2 * x] = map[2 * x + 1] = (ptrdiff_t)x - (ptrdiff_t)m;
            wt[x] = 0;
            continue;
        }
        map[2 * x] = fib__reflect(N + t, N);
        map[2 * x + 1] = fib__reflect(t - G, N);
        wt[x] =
            (float)(0.5 - 0.5 * cos(FIB__PI * ((double)t + 0.5) / (double)G));
    }
}

static size_t pad_of(size_t n)
{
    return good_size(n + 2 * (n < VSNR_MARGIN ? n : VSNR_MARGIN));
}

fib_status fib__vsnr_ws_create(const fib_recon_destripe_params *p, size_t width,
                               size_t height, fib__vsnr_ws **out,
                               fib_error *err)
{
    *out = NULL;
    if (width < 8 || height < 8)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: destripe: image %zux%zu too small for "
                             "vsnr (needs >= 8 px per side)",
                             width, height);
    fib__vsnr_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    fib_status st = FIB_OK;
    ws->sig_x = p->vsnr_sigma_across_px;
    ws->sig_y = p->vsnr_sigma_along_px;
    ws->kappa = p->vsnr_weight;
    ws->white = p->vsnr_white;
    ws->iters = p->vsnr_iterations;
    ws->w = width;
    ws->h = height;
    ws->mx = width < VSNR_MARGIN ? width : VSNR_MARGIN;
    ws->my = height < VSNR_MARGIN ? height : VSNR_MARGIN;
    ws->px = pad_of(width);
    ws->py = pad_of(height);
    ws->nh = ws->px / 2 + 1;
    size_t n, nc;
    if (!fib_mul_size(ws->px, ws->py, &n) ||
        !fib_mul_size(ws->nh, ws->py, &nc) || ws->px > FIB_MAX_EXTENT ||
        ws->py > FIB_MAX_EXTENT) {
        free(ws);
        return fib_error_set(err, FIB_ERANGE, "correct: destripe: too big");
    }
    ws->u0 = fftwf_alloc_real(n);
    ws->l1 = fftwf_alloc_real(n);
    ws->l2 = fftwf_alloc_real(n);
    ws->b1 = fftwf_alloc_real(n);
    ws->b2 = fftwf_alloc_real(n);
    ws->s1 = fftwf_alloc_complex(nc);
    ws->s2 = fftwf_alloc_complex(nc);
    ws->X = fftwf_alloc_complex(nc);
    ws->psi2 = malloc(nc * sizeof(float));
    ws->dd = malloc(nc * sizeof(float));
    ws->psi = malloc(nc * sizeof(float));
    ws->cx = malloc(2 * ws->nh * sizeof(float));
    ws->cy = malloc(2 * ws->py * sizeof(float));
    ws->prof =
        malloc(((VSNR_BANDS + 2) * width + height + ws->py) * sizeof(double));
    ws->xmap = malloc(2 * ws->px * sizeof(ptrdiff_t));
    ws->ymap = malloc(2 * ws->py * sizeof(ptrdiff_t));
    ws->xw = malloc(ws->px * sizeof(float));
    ws->yw = malloc(ws->py * sizeof(float));
    if (!ws->u0 || !ws->l1 || !ws->l2 || !ws->b1 || !ws->b2 || !ws->s1 ||
        !ws->s2 || !ws->X || !ws->psi2 || !ws->dd || !ws->psi || !ws->cx ||
        !ws->cy || !ws->prof || !ws->xmap || !ws->ymap || !ws->xw || !ws->yw) {
        st = fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
        goto fail;
    }
    make_map(ws->px, width, ws->mx, ws->xmap, ws->xw);
    make_map(ws->py, height, ws->my, ws->ymap, ws->yw);

    /* |Psi|^2: Gaussian exp(-(kx sx)^2 / 2 - (ky sy)^2 / 2) squared,
     * normalised so that sum |psi|^2 = 1 (Parseval: the mean of |Psi|^2
     * over the full spectrum), plus the Dirac's flat spectrum. */
    double norm = 0;
    for (size_t j = 0; j < ws->py; j++) {
        ptrdiff_t jj =
            j <= ws->py / 2 ? (ptrdiff_t)j : (ptrdiff_t)j - (ptrdiff_t)ws->py;
        double ky = 2 * FIB__PI * (double)jj / (double)ws->py;
        for (size_t i = 0; i < ws->nh; i++) {
            double kx = 2 * FIB__PI * (double)i / (double)ws->px;
            double g2 = exp(-(kx * kx * ws->sig_x * ws->sig_x +
                              ky * ky * ws->sig_y * ws->sig_y));
            /* r2c half spectrum: columns other than 0 and px/2 count
             * twice in the full spectrum */
            double mult = (i == 0 || 2 * i == ws->px) ? 1 : 2;
            norm += mult * g2;
            ws->psi2[j * ws->nh + i] = (float)g2;
            ws->dd[j * ws->nh + i] = (float)(4 * sin(0.5 * kx) * sin(0.5 * kx) +
                                             4 * sin(0.5 * ky) * sin(0.5 * ky));
        }
    }
    norm /= (double)n;
    for (size_t k = 0; k < nc; k++) {
        double v = (double)ws->psi2[k] / norm + ws->white;
        ws->psi2[k] = (float)v;
        ws->psi[k] = (float)sqrt(v);
    }
    ws->sx = ws->cx + ws->nh;
    ws->sy = ws->cy + ws->py;
    for (size_t i = 0; i < ws->nh; i++) {
        double kx = 2 * FIB__PI * (double)i / (double)ws->px;
        ws->cx[i] = (float)(cos(kx) - 1);
        ws->sx[i] = (float)sin(kx);
    }
    for (size_t j = 0; j < ws->py; j++) {
        double ky = 2 * FIB__PI * (double)j / (double)ws->py;
        ws->cy[j] = (float)(cos(ky) - 1);
        ws->sy[j] = (float)sin(ky);
    }

    int ok;
    fib__fftwf_planner_ready();
    ws->fwd = fftwf_plan_dft_r2c_2d((int)ws->py, (int)ws->px, ws->b1, ws->s1,
                                    FFTW_ESTIMATE);
    ws->inv = fftwf_plan_dft_c2r_2d((int)ws->py, (int)ws->px, ws->s1, ws->b1,
                                    FFTW_ESTIMATE);
    ok = ws->fwd && ws->inv;
    if (!ok) {
        st = fib_error_set(err, FIB_ENOMEM,
                           "correct: destripe: fftw planning failed");
        goto fail;
    }
    *out = ws;
    return FIB_OK;
fail:
    fib__vsnr_ws_destroy(ws);
    return st;
}

/* Gaussian high-pass of a profile (sigma VSNR_HP_PX, reflecting edges):
 * out = p - G * p. */
static void highpass(const double *p, double *out, size_t n)
{
    const double s = VSNR_HP_PX;
    const int r = (int)(4 * s + 0.5);
    double ksum = 0;
    for (int j = -r; j <= r; j++)
        ksum += exp(-0.5 * (double)(j * j) / (s * s));
    for (size_t x = 0; x < n; x++) {
        double a = 0;
        for (int j = -r; j <= r; j++)
            a += exp(-0.5 * (double)(j * j) / (s * s)) *
                 p[fib__reflect((ptrdiff_t)x + j, (ptrdiff_t)n)];
        out[x] = p[x] - a / ksum;
    }
}

/* Column means of rows [y0, y1) of a w-wide plane (row stride se). */
static void col_means(const float *v, size_t se, size_t w, size_t y0, size_t y1,
                      double *out)
{
#pragma omp parallel for schedule(static)
    for (size_t x = 0; x < w; x++) {
        double a = 0;
        for (size_t y = y0; y < y1; y++)
            a += (double)v[y * se + x];
        out[x] = a / (double)(y1 - y0);
    }
}

static void center(double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += a[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        a[i] -= m;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Value of the padded plane at (x, y) from the image plane v. */
static float padded_at(const fib__vsnr_ws *ws, const float *v, size_t se,
                       size_t x, size_t y)
{
    const ptrdiff_t *xm = ws->xmap + 2 * x, *ym = ws->ymap + 2 * y;
    const float wx = ws->xw[x], wy = ws->yw[y];
    const float *r0 = v + (size_t)ym[0] * se, *r1 = v + (size_t)ym[1] * se;
    float a = r0[xm[0]] + wx * (r0[xm[1]] - r0[xm[0]]);
    float b = r1[xm[0]] + wx * (r1[xm[1]] - r1[xm[0]]);
    return a + wy * (b - a);
}

/* VSNR step 1: stripe variance s2, the mean cross product of the bands'
 * high-passed column-mean profiles. */
static double vsnr_stripe_var(fib__vsnr_ws *ws, const float *v, size_t se)
{
    const size_t w = ws->w, h = ws->h;
    double *band = ws->prof;            /* VSNR_BANDS x w */
    double *pa = band + VSNR_BANDS * w; /* w */
    for (size_t b = 0; b < VSNR_BANDS; b++) {
        col_means(v, se, w, b * h / VSNR_BANDS, (b + 1) * h / VSNR_BANDS, pa);
        highpass(pa, band + b * w, w);
    }
    double s2 = 0;
    int npair = 0;
    for (size_t i = 0; i < VSNR_BANDS; i++)
        for (size_t j = i + 1; j < VSNR_BANDS; j++) {
            s2 += dot(band + i * w, band + j * w, w) / (double)w;
            npair++;
        }
    s2 /= npair;

    return s2;
}

/* VSNR step 2: the padded plane u0 and the gradient scale tau = mean
 * |grad u0| / 2 over the image (per-row sums, added in row order). */
static double vsnr_tau(fib__vsnr_ws *ws, const float *v, size_t se)
{
    const size_t px = ws->px, py = ws->py, w = ws->w, h = ws->h;
    float *u0 = ws->u0;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < py; y++)
        for (size_t x = 0; x < px; x++)
            u0[y * px + x] = padded_at(ws, v, se, x, y);
    double *rs = ws->prof + (VSNR_BANDS + 2) * w;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        double a = 0;
        const float *r = v + y * se;
        const float *rn = v + (y + 1 < h ? y + 1 : y) * se;
        for (size_t x = 0; x < w; x++) {
            double gx = x + 1 < w ? (double)r[x + 1] - (double)r[x] : 0;
            double gy = (double)rn[x] - (double)r[x];
            a += sqrt(gx * gx + gy * gy);
        }
        rs[y] = a;
    }
    double tau = 0;
    for (size_t y = 0; y < h; y++)
        tau += rs[y];
    tau *= 0.5 / ((double)w * (double)h);
    return tau;
}

/* VSNR step 3: ADMM on the padded plane; X holds the stripe spectrum. */
static void vsnr_admm(fib__vsnr_ws *ws, double alpha, float fb, float ib)
{
    const size_t px = ws->px, py = ws->py, nh = ws->nh, n = px * py;
    const float *u0 = ws->u0;
    /* b1, b2 hold w = beta y - l before each x update (y = g, l = 0 at
     * the start: w = beta g). */
    float *l1 = ws->l1, *l2 = ws->l2, *b1 = ws->b1, *b2 = ws->b2;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < py; y++) {
        const float *r = u0 + y * px, *rn = u0 + ((y + 1) % py) * px;
        for (size_t x = 0; x < px; x++) {
            float g1 = (x + 1 < px ? r[x + 1] : r[0]) - r[x];
            float g2 = rn[x] - r[x];
            b1[y * px + x] = fb * g1;
            b2[y * px + x] = fb * g2;
            l1[y * px + x] = 0;
            l2[y * px + x] = 0;
        }
    }
    const float inv_n = (float)(1.0 / (double)n);
    for (unsigned it = 0; it < ws->iters; it++) {
        fftwf_execute_dft_r2c(ws->fwd, b1, ws->s1);
        fftwf_execute_dft_r2c(ws->fwd, b2, ws->s2);
        /* X = Psi (conj(D1) W1 + conj(D2) W2) / (alpha + beta Psi^2 DD);
         * then s1 = D1 Psi X / n, s2 = D2 Psi X / n (c2r unnormalised) */
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < py; j++) {
            const float cy = ws->cy[j], sy = ws->sy[j];
            for (size_t i = 0; i < nh; i++) {
                size_t k = j * nh + i;
                const float cx = ws->cx[i], sxk = ws->sx[i];
                const float ps2 = ws->psi2[k], ps = ws->psi[k];
                float den = (float)alpha + fb * ps2 * ws->dd[k];
                /* conj(D) W with D = (c, s): (c - i s)(a + i b) */
                float a1 = ws->s1[k][0], bb1 = ws->s1[k][1];
                float a2 = ws->s2[k][0], bb2 = ws->s2[k][1];
                float re = cx * a1 + sxk * bb1 + cy * a2 + sy * bb2;
                float im = cx * bb1 - sxk * a1 + cy * bb2 - sy * a2;
                float xr = ps * re / den, xi = ps * im / den;
                ws->X[k][0] = xr;
                ws->X[k][1] = xi;
                /* D Psi X = (c + i s) ps (xr + i xi) */
                float qr = ps * xr * inv_n, qi = ps * xi * inv_n;
                ws->s1[k][0] = cx * qr - sxk * qi;
                ws->s1[k][1] = cx * qi + sxk * qr;
                ws->s2[k][0] = cy * qr - sy * qi;
                ws->s2[k][1] = cy * qi + sy * qr;
            }
        }
        fftwf_execute_dft_c2r(ws->inv, ws->s1, b1);
        fftwf_execute_dft_c2r(ws->inv, ws->s2, b2);
        /* b = A x; y = g + shrink(b + l / beta - g); l += beta (b - y);
         * b <- beta y - l */
#pragma omp parallel for schedule(static)
        for (size_t y = 0; y < py; y++) {
            const float *r = u0 + y * px, *rn = u0 + ((y + 1) % py) * px;
            for (size_t x = 0; x < px; x++) {
                size_t k = y * px + x;
                float g1 = (x + 1 < px ? r[x + 1] : r[0]) - r[x];
                float g2 = rn[x] - r[x];
                float t1 = b1[k] + l1[k] * ib - g1;
                float t2 = b2[k] + l2[k] * ib - g2;
                float nt = sqrtf(t1 * t1 + t2 * t2);
                float sh = nt > ib ? 1 - ib / nt : 0;
                float y1 = g1 + sh * t1, y2 = g2 + sh * t2;
                l1[k] += fb * (b1[k] - y1);
                l2[k] += fb * (b2[k] - y2);
                b1[k] = fb * y1 - l1[k];
                b2[k] = fb * y2 - l2[k];
            }
        }
    }
}

/* VSNR steps 4-5: the stripes b = psi * x, subtracted from @p v with the
 * safeguard P(u0 - t b) <= P(u0). */
static void vsnr_subtract(fib__vsnr_ws *ws, float *v, size_t se)
{
    const size_t px = ws->px, py = ws->py, nh = ws->nh, w = ws->w, h = ws->h;
    const size_t n = px * py, nc = nh * py;
    const float inv_n = (float)(1.0 / (double)n);
    float *b1 = ws->b1;
    double *band = ws->prof;            /* VSNR_BANDS x w */
    double *pa = band + VSNR_BANDS * w; /* w */
    double *pb = pa + w;                /* w */

    /* 4. stripes b = psi * x (into b1) */
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < nc; k++) {
        float ps = ws->psi[k] * inv_n;
        ws->s1[k][0] = ps * ws->X[k][0];
        ws->s1[k][1] = ps * ws->X[k][1];
    }
    fftwf_execute_dft_c2r(ws->inv, ws->s1, b1);
    const float *bs = b1 + ws->my * px + ws->mx; /* image part, stride px */

    /* 5. safeguard: P(u0 - t b) <= P(u0) */
    col_means(v, se, w, 0, h, pa);
    highpass(pa, band, w); /* c_in */
    col_means(bs, px, w, 0, h, pa);
    highpass(pa, pb, w); /* c_b */
    center(band, w);     /* P = variance of the profile, exactly */
    center(pb, w);       /* fib_recon_stripe_power's measure */
    double cib = dot(band, pb, w), cbb = dot(pb, pb, w);
    double t = 1;
    if (cbb - 2 * cib > 0) /* P(u0 - b) > P(u0) */
        t = cbb > 0 ? fmin(1, fmax(0, cib / cbb)) : 0;
    const float ft = (float)t;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            v[y * se + x] -= ft * bs[y * px + x];
}

void fib__vsnr_run(fib__vsnr_ws *ws, float *v, size_t se)
{
    double s2 = vsnr_stripe_var(ws, v, se);
    double tau = vsnr_tau(ws, v, se);
    if (!(tau > 0) || !isfinite(s2))
        return; /* flat image: nothing to remove */
    /* the band estimate is dominated by the content's own vertical
     * coherence below about (0.3 tau)^2: never assume less */
    if (s2 < VSNR_S2_MIN * tau * tau)
        s2 = VSNR_S2_MIN * tau * tau;
    const double alpha = ws->kappa * tau / s2;
    const double beta = 1.0 / tau;
    const float fb = (float)beta, ib = (float)(1.0 / beta);
    vsnr_admm(ws, alpha, fb, ib);
    if (ws->iters == 0)
        return;
    vsnr_subtract(ws, v, se);
}
