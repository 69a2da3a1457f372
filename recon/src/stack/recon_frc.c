/*
 * recon_frc.c -- a resolution estimate from one image by Fourier ring
 * correlation (fib_recon_frc(); per slice in pass 2, issue 16 item 3).
 *
 * Fourier ring correlation (Saxton & Baumeister 1982; van Heel 1987)
 * needs two images of the same content with independent noise; a
 * slice-and-view run has one frame per face.  The frame is split into
 * two sub-images A(i, j) = I(2i, 2j) and B(i, j) = I(2i + 1, 2j + 1)
 * (Koho et al. 2019, Nat. Commun. 10:3103): per-pixel noise is
 * independent between them.  Two effects of the split are corrected
 * exactly rather than by Koho's empirical calibration curve:
 *
 *   shift   B samples the content half a sub-image pixel further on both
 *           axes: F_B is multiplied by exp(-i pi (kx + ky) / M) before
 *           the correlation (exact for content below the sub-image's
 *           Nyquist frequency);
 *   SNR     each sub-image has a quarter of the pixels: its signal power
 *           per frequency is 1/4 of the full frame's while white noise
 *           keeps its power, so SNR_full(k) = 4 SNR_split(k).  With
 *           FRC = SNR / (1 + SNR), the usual 1/7 threshold of the full
 *           frame (SNR_full = 1/6; Nieuwenhuizen et al. 2013, Nat.
 *           Methods 10:557) is FRC_split = 1/25.
 *
 * The estimate is the frame's own resolution: the length 1 / k at which
 * the signal-to-noise ratio per frequency of the frame falls to 1/6 (for
 * a Gaussian blur sigma of a signal of flat power S0 under white noise
 * N0: k = sqrt(ln(6 S0 / N0)) / (2 pi sigma); tests/test_recon_similar.c
 * checks that case).  Region: the centred square of side L <= 512 (even)
 * of the given rectangle, each sub-image mean-subtracted and Hann-
 * windowed; rings one sub-image frequency wide, the curve smoothed over
 * three rings, the first crossing after ring 2 interpolated linearly.
 * No crossing below the sub-image Nyquist frequency gives the 4 px limit
 * of the split (4.0).  Pixel-independent noise is assumed (SEM scan
 * noise); correlated noise (a smoothing filter before) makes it look
 * sharper.
 */
#define _POSIX_C_SOURCE 200809L
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fftw_plan.h"
#include "recon_stack.h"

enum { FRC_MAX_SIDE = 512, FRC_MIN_SIDE = 64 };
static const double PI = 3.14159265358979323846;
#define FRC_SPLIT_THRESHOLD (1.0 / 25.0)

struct fib__frc {
    size_t m; /* sub-image side */
    float *a, *b;
    fftwf_complex *fa, *fb;
    fftwf_plan pa, pb;
    double *win, *num, *da, *db;
    size_t *len; /* isotonic fit's block lengths */
    double *ph;  /* e^{-i pi f / m} for f = 0..m-1 (signed): cos, sin */
};

void fib__frc_destroy(fib__frc *f)
{
    if (!f)
        return;
    fib__fftwf_planner_ready();
    if (f->pa)
        fftwf_destroy_plan(f->pa);
    if (f->pb)
        fftwf_destroy_plan(f->pb);
    fftwf_free(f->a);
    fftwf_free(f->b);
    fftwf_free(f->fa);
    fftwf_free(f->fb);
    free(f->win);
    free(f->num);
    free(f->len);
    free(f->ph);
    free(f);
}

/* The side of the square analysed in a w x h region (0: too small). */
static size_t frc_side(size_t w, size_t h)
{
    size_t l = w < h ? w : h;
    l = l > FRC_MAX_SIDE ? FRC_MAX_SIDE : l;
    l &= ~(size_t)1;
    return l >= FRC_MIN_SIDE ? l : 0;
}

size_t fib__frc_bytes(size_t w, size_t h)
{
    const size_t m = frc_side(w, h) / 2;
    return m ? 2 * m * m * sizeof(float) +
                   2 * m * (m / 2 + 1) * sizeof(fftwf_complex) +
                   m * sizeof(double) + 3 * (m / 2 + 1) * sizeof(double) +
                   (m / 2 + 1) * sizeof(size_t) + 2 * m * sizeof(double)
             : 0;
}

fib_status fib__frc_create(size_t w, size_t h, fib__frc **out, fib_error *err)
{
    *out = NULL;
    const size_t l = frc_side(w, h);
    if (!l)
        return FIB_OK; /* too small: no estimate */
    fib__frc *f = calloc(1, sizeof *f);
    if (!f)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    const size_t m = l / 2, nc = m * (m / 2 + 1), nr = m / 2 + 1;
    f->m = m;
    f->a = fftwf_malloc(m * m * sizeof(float));
    f->b = fftwf_malloc(m * m * sizeof(float));
    f->fa = fftwf_malloc(nc * sizeof(fftwf_complex));
    f->fb = fftwf_malloc(nc * sizeof(fftwf_complex));
    f->win = malloc(m * sizeof(double));
    f->num = calloc(3 * nr, sizeof(double));
    f->len = calloc(nr, sizeof(size_t));
    f->ph = malloc(2 * m * sizeof(double));
    if (!f->a || !f->b || !f->fa || !f->fb || !f->win || !f->num || !f->len ||
        !f->ph) {
        fib__frc_destroy(f);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    f->da = f->num + nr;
    f->db = f->da + nr;
    for (size_t i = 0; i < m; i++) {
        f->win[i] = 0.5 - 0.5 * cos(2.0 * PI * ((double)i + 0.5) /
                                    (double)m); /* Hann */
        /* the half-pixel shift's phase per axis, signed frequency */
        const double fq = i <= m / 2 ? (double)i : (double)i - (double)m;
        f->ph[2 * i] = cos(-PI * fq / (double)m);
        f->ph[2 * i + 1] = sin(-PI * fq / (double)m);
    }
    fib__fftwf_planner_ready();
    f->pa = fftwf_plan_dft_r2c_2d((int)m, (int)m, f->a, f->fa, FFTW_ESTIMATE);
    f->pb = fftwf_plan_dft_r2c_2d((int)m, (int)m, f->b, f->fb, FFTW_ESTIMATE);
    if (!f->pa || !f->pb) {
        fib__frc_destroy(f);
        return fib_error_set(err, FIB_ENOMEM, "recon: FFTW plan failed");
    }
    *out = f;
    return FIB_OK;
}

/* Sub-image @p dst = I(2i + o, 2j + o) of the square at (x0, y0), mean
 * removed, Hann-windowed. */
static void split(const fib__frc *f, const fib_image *im, size_t x0, size_t y0,
                  size_t o, float *dst)
{
    const size_t m = f->m;
    double mean = 0;
    for (size_t i = 0; i < m; i++) {
        const float *row = fib_image_row(im, y0 + 2 * i + o);
        for (size_t j = 0; j < m; j++) {
            const double v = (double)row[x0 + 2 * j + o];
            dst[i * m + j] = isfinite(v) ? (float)v : 0.0f;
            mean += isfinite(v) ? v : 0.0;
        }
    }
    mean /= (double)(m * m);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            dst[i * m + j] = (float)(((double)dst[i * m + j] - mean) *
                                     f->win[i] * f->win[j]);
}

double fib__frc_px(fib__frc *f, const fib_image *im, size_t x0, size_t y0,
                   size_t w, size_t h)
{
    if (!f || im->type != FIB_PX_F32)
        return (double)NAN;
    const size_t l = 2 * f->m;
    if (w < l || h < l)
        return (double)NAN;
    x0 += (w - l) / 2;
    y0 += (h - l) / 2;
    const size_t m = f->m, half = m / 2, nr = half + 1, nxc = half + 1;
    split(f, im, x0, y0, 0, f->a);
    split(f, im, x0, y0, 1, f->b);
    fftwf_execute(f->pa);
    fftwf_execute(f->pb);
    memset(f->num, 0, 3 * nr * sizeof(double));
    for (size_t ky = 0; ky < m; ky++) {
        const double fy = ky <= half ? (double)ky : (double)ky - (double)m;
        for (size_t kx = 0; kx < nxc; kx++) {
            const double fx = (double)kx;
            const size_t r = (size_t)lround(sqrt(fx * fx + fy * fy));
            if (r >= nr)
                continue;
            /* the r2c half plane: interior columns stand for two */
            const double wgt = kx == 0 || kx == half ? 1.0 : 2.0;
            const float *A = f->fa[ky * nxc + kx];
            const float *B = f->fb[ky * nxc + kx];
            /* e^{-i pi (fx + fy) / m} = e^{-i pi fx / m} e^{-i pi fy / m} */
            const double *px = f->ph + 2 * kx, *py = f->ph + 2 * ky;
            const double c = px[0] * py[0] - px[1] * py[1];
            const double s = px[1] * py[0] + px[0] * py[1];
            /* B' = B e^{i ph}; Re(A conj(B')) */
            const double br = (double)B[0] * c - (double)B[1] * s;
            const double bi = (double)B[0] * s + (double)B[1] * c;
            f->num[r] += wgt * ((double)A[0] * br + (double)A[1] * bi);
            f->da[r] += wgt * ((double)A[0] * (double)A[0] +
                               (double)A[1] * (double)A[1]);
            f->db[r] += wgt * (br * br + bi * bi);
        }
    }
    /* per-ring FRC, then its decreasing isotonic fit (pool adjacent
     * violators, weighted by the rings' power): the crossing of a curve
     * whose scatter near the low threshold is larger than the threshold
     * itself is read off a monotone curve, not off the first noisy dip */
    double *v = f->num, *wt = f->da; /* reused: v[r], weight[r] */
    size_t nb = 0;
    for (size_t r = 1; r < nr; r++) {
        const double a = f->da[r], b = f->db[r];
        v[nb] = a > 0 && b > 0 ? f->num[r] / sqrt(a * b) : 0.0;
        wt[nb] = sqrt(a * b) > 0 ? (double)r : 0.0; /* ~ samples per ring */
        nb++;
    }
    /* PAVA for a non-increasing fit: blocks of (value, weight, length) */
    size_t *len = f->len;
    size_t nblk = 0;
    for (size_t i = 0; i < nb; i++) {
        v[nblk] = v[i];
        wt[nblk] = wt[i];
        len[nblk] = 1;
        nblk++;
        while (nblk > 1 && v[nblk - 2] < v[nblk - 1]) {
            const double w2 = wt[nblk - 2] + wt[nblk - 1];
            v[nblk - 2] = w2 > 0 ? (v[nblk - 2] * wt[nblk - 2] +
                                    v[nblk - 1] * wt[nblk - 1]) /
                                       w2
                                 : 0.5 * (v[nblk - 2] + v[nblk - 1]);
            wt[nblk - 2] = w2;
            len[nblk - 2] += len[nblk - 1];
            nblk--;
        }
    }
    /* the fitted value of ring r (1-based) and the first crossing */
    double prev = 1.0;
    size_t ring = 1;
    for (size_t k = 0; k < nblk; k++)
        for (size_t j = 0; j < len[k]; j++, ring++) {
            const double frc = v[k];
            if (ring >= 2 && frc < FRC_SPLIT_THRESHOLD) {
                const double t =
                    prev > frc ? (prev - FRC_SPLIT_THRESHOLD) / (prev - frc)
                               : 0.0;
                const double rc = (double)(ring - 1) + t;
                /* ring rc of an m-point sub-image = rc / (2m) cycles
                 * per frame pixel */
                return 2.0 * (double)m / rc;
            }
            prev = frc;
        }
    return 4.0; /* sharper than the split can tell */
}

fib_status fib_recon_frc(const fib_image *img, const fib_recon_rect *region,
                         double *res_px, fib_error *err)
{
    if (!img || !img->data || !res_px)
        return fib_error_set(err, FIB_EINVAL, "frc: image or output NULL");
    *res_px = (double)NAN;
    fib_recon_rect r = {0, 0, img->width, img->height};
    if (region)
        r = *region;
    if (r.x > img->width || r.y > img->height || r.width > img->width - r.x ||
        r.height > img->height - r.y)
        return fib_error_set(err, FIB_EINVAL,
                             "frc: region %zu,%zu %zu x %zu outside the %zu "
                             "x %zu image",
                             r.x, r.y, r.width, r.height, img->width,
                             img->height);
    if (!frc_side(r.width, r.height))
        return fib_error_set(err, FIB_EINVAL,
                             "frc: region %zu x %zu smaller than %d x %d",
                             r.width, r.height, FRC_MIN_SIDE, FRC_MIN_SIDE);
    fib_image f32 = {0};
    const fib_image *src = img;
    fib_status st = FIB_OK;
    if (img->type != FIB_PX_F32) {
        st = fib_image_init(&f32, FIB_PX_F32, img->width, img->height, err);
        if (!st)
            st = fib_recon_fill_f32(img, &f32, err);
        src = &f32;
    }
    fib__frc *f = NULL;
    if (!st)
        st = fib__frc_create(r.width, r.height, &f, err);
    if (!st)
        *res_px = fib__frc_px(f, src, r.x, r.y, r.width, r.height);
    fib__frc_destroy(f);
    fib_image_clear(&f32);
    return st;
}
