/*
 * correct_metrics.c -- image quality metrics: SSIM, RMS difference and the
 * vertical stripe power.
 *
 * SSIM: Wang, Bovik, Sheikh & Simoncelli, "Image quality assessment: from
 * error visibility to structural similarity", IEEE TIP 13(4):600 (2004),
 * eq. 13 with local statistics from an isotropic Gaussian window
 * (sigma 1.5, radius 5, i.e. 11 x 11) and sample covariances (N/(N-1),
 * N = 121), averaged over pixels at least 5 px from the border -- the
 * conventions of skimage.metrics.structural_similarity(...,
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=True).
 */
#include "correct_internal.h"

#include "fib/checked.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static fib_status same_size(const fib_image *a, const fib_image *b,
                            const char *what, fib_error *err)
{
    if (!a || !b || !a->data || !b->data || a->width == 0 || a->height == 0)
        return fib_error_set(err, FIB_EINVAL, "correct: %s: empty image", what);
    if (a->width != b->width || a->height != b->height)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: %s: sizes differ (%zux%zu vs %zux%zu)",
                             what, a->width, a->height, b->width, b->height);
    return FIB_OK;
}

/* Separable Gaussian (reflect edges) on a packed double plane, in place. */
static void gauss_d(double *p, double *tmp, size_t w, size_t h, double sigma,
                    int r)
{
    double k[64];
    double sum = 0;
    for (int j = 0; j <= r; j++) {
        k[j] = exp(-0.5 * (double)(j * j) / (sigma * sigma));
        sum += j ? 2 * k[j] : k[j];
    }
    for (int j = 0; j <= r; j++)
        k[j] /= sum;
    const ptrdiff_t W = (ptrdiff_t)w, H = (ptrdiff_t)h;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        const double *row = p + y * w;
        double *o = tmp + y * w;
        for (ptrdiff_t x = 0; x < W; x++) {
            double s = k[0] * row[x];
            if (x >= r && x + r < W) {
                for (int j = 1; j <= r; j++)
                    s += k[j] * (row[x - j] + row[x + j]);
            } else {
                for (int j = 1; j <= r; j++)
                    s += k[j] * (row[fib__reflect(x - j, W)] +
                                 row[fib__reflect(x + j, W)]);
            }
            o[x] = s;
        }
    }
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h; y++) {
        double *o = p + y * w;
        const double *c = tmp + y * w;
        for (size_t x = 0; x < w; x++)
            o[x] = k[0] * c[x];
        for (int j = 1; j <= r; j++) {
            const double *a =
                tmp + (size_t)fib__reflect((ptrdiff_t)y - j, H) * w;
            const double *b =
                tmp + (size_t)fib__reflect((ptrdiff_t)y + j, H) * w;
            for (size_t x = 0; x < w; x++)
                o[x] += k[j] * (a[x] + b[x]);
        }
    }
}

fib_status fib_recon_ssim(const fib_image *a, const fib_image *b,
                          double data_range, double *ssim_out, fib_error *err)
{
    fib_status st = same_size(a, b, "ssim", err);
    if (st != FIB_OK)
        return st;
    if (!(data_range > 0) || !isfinite(data_range))
        return fib_error_set(err, FIB_EINVAL,
                             "correct: ssim: data_range must be > 0 (got %g)",
                             data_range);
    if (!ssim_out)
        return fib_error_set(err, FIB_EINVAL, "correct: ssim: out NULL");
    const size_t w = a->width, h = a->height;
    const int r = 5;
    if (w <= 2 * (size_t)r || h <= 2 * (size_t)r)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: ssim: image %zux%zu smaller than the "
                             "11x11 window",
                             w, h);
    size_t n;
    if (!fib_mul_size(w, h, &n) || n > ((size_t)1 << 31))
        return fib_error_set(err, FIB_ERANGE, "correct: ssim: too big");
    double *buf = malloc(6 * n * sizeof(double));
    if (!buf)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    double *ux = buf, *uy = buf + n, *uxx = buf + 2 * n, *uyy = buf + 3 * n,
           *uxy = buf + 4 * n, *tmp = buf + 5 * n;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            double va = fib_image_get(a, x, y), vb = fib_image_get(b, x, y);
            size_t i = y * w + x;
            ux[i] = va;
            uy[i] = vb;
            uxx[i] = va * va;
            uyy[i] = vb * vb;
            uxy[i] = va * vb;
        }
    gauss_d(ux, tmp, w, h, 1.5, r);
    gauss_d(uy, tmp, w, h, 1.5, r);
    gauss_d(uxx, tmp, w, h, 1.5, r);
    gauss_d(uyy, tmp, w, h, 1.5, r);
    gauss_d(uxy, tmp, w, h, 1.5, r);
    const double np = 121, cov = np / (np - 1);
    const double c1 = (0.01 * data_range) * (0.01 * data_range);
    const double c2 = (0.03 * data_range) * (0.03 * data_range);
    double total = 0;
    for (size_t y = (size_t)r; y < h - (size_t)r; y++) {
        double rs = 0;
        for (size_t x = (size_t)r; x < w - (size_t)r; x++) {
            size_t i = y * w + x;
            double mx = ux[i], my = uy[i];
            double vx = cov * (uxx[i] - mx * mx);
            double vy = cov * (uyy[i] - my * my);
            double vxy = cov * (uxy[i] - mx * my);
            rs += ((2 * mx * my + c1) * (2 * vxy + c2)) /
                  ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
        total += rs;
    }
    free(buf);
    *ssim_out =
        total / ((double)(w - 2 * (size_t)r) * (double)(h - 2 * (size_t)r));
    return FIB_OK;
}

fib_status fib_recon_rms_diff(const fib_image *a, const fib_image *b,
                              double *rms_out, fib_error *err)
{
    fib_status st = same_size(a, b, "rms", err);
    if (st != FIB_OK)
        return st;
    if (!rms_out)
        return fib_error_set(err, FIB_EINVAL, "correct: rms: out NULL");
    double s = 0;
    for (size_t y = 0; y < a->height; y++) {
        double rs = 0;
        for (size_t x = 0; x < a->width; x++) {
            double d = fib_image_get(a, x, y) - fib_image_get(b, x, y);
            rs += d * d;
        }
        s += rs;
    }
    *rms_out = sqrt(s / ((double)a->width * (double)a->height));
    return FIB_OK;
}

fib_status fib_recon_stripe_power(const fib_image *img, double highpass_px,
                                  double *power_out, fib_error *err)
{
    if (!img || !img->data || img->width == 0 || img->height == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: stripe_power: empty image");
    if (highpass_px == 0)
        highpass_px = 8;
    if (!(highpass_px > 0) || !(highpass_px < 1e6))
        return fib_error_set(err, FIB_EINVAL,
                             "correct: stripe_power: highpass_px must be > 0 "
                             "(got %g)",
                             highpass_px);
    if (!power_out)
        return fib_error_set(err, FIB_EINVAL, "correct: stripe_power: NULL");
    const size_t w = img->width, h = img->height;
    double *prof = calloc(2 * w, sizeof(double));
    if (!prof)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    double *sm = prof + w;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            prof[x] += fib_image_get(img, x, y);
    for (size_t x = 0; x < w; x++)
        prof[x] /= (double)h;
    int r = (int)(4 * highpass_px + 0.5);
    double ksum = 0;
    for (int j = -r; j <= r; j++)
        ksum += exp(-0.5 * (double)(j * j) / (highpass_px * highpass_px));
    for (size_t x = 0; x < w; x++) {
        double s = 0;
        for (int j = -r; j <= r; j++)
            s += exp(-0.5 * (double)(j * j) / (highpass_px * highpass_px)) *
                 prof[fib__reflect((ptrdiff_t)x + j, (ptrdiff_t)w)];
        sm[x] = s / ksum;
    }
    double m = 0;
    for (size_t x = 0; x < w; x++)
        m += prof[x] - sm[x];
    m /= (double)w;
    double v = 0;
    for (size_t x = 0; x < w; x++) {
        double d = prof[x] - sm[x] - m;
        v += d * d;
    }
    free(prof);
    *power_out = v / (double)w;
    return FIB_OK;
}
