/*
 * align.c -- translation between two images by windowed FFT cross-
 * correlation with sub-pixel refinement by the upsampled matrix DFT of
 * Guizar-Sicairos, Thurman & Fienup, "Efficient subpixel image
 * registration algorithms", Opt. Lett. 33:156-158 (2008), following the
 * scikit-image port (skimage/registration/_phase_cross_correlation.py).
 *
 * Spectra A, B: of the mean-subtracted region, by default without a taper
 * and with the periodic-plus-smooth decomposition (Moisan 2011,
 * smooth_remove()), or with a Tukey taper (tukey_alpha > 0).  Steps:
 *   R(k) = conj(A(k)) B(k) / |conj(A(k)) B(k)|^p   (p = 0 default, 0.5, 1),
 *          times the IMOD high-pass w(f) for p = 0;
 *   cc   = IDFT(R): integer peak s (wrapped to [-N/2, N/2));
 *   cc_up(t) = Re sum_k m(k) R(k) exp(+i 2 pi k . t / N) on the lattice
 *          t = s + j / kappa, |j| <= 0.75 kappa (the paper's 1.5 kappa
 *          block), evaluated by two separable matrix products over the
 *          r2c half spectrum (m = 2 for the columns whose conjugate is
 *          implied) and searched coarse to fine (refine_stages(): 7 + 9
 *          + 7 points per axis for kappa = 40 instead of 60);
 *   shift = the lattice maximum (quantisation 1/kappa px).
 * Quality = cc_up(max) / sum_k m(k) |R(k)|, in [0, 1] (1 = all spectral
 * components agree on one shift).  Nyquist row/column and DC are zeroed.
 */
#define _POSIX_C_SOURCE 200809L
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align_internal.h"
#include "fib/checked.h"
#include "fftw_plan.h"

void fib__aligner_set_notch(fib__aligner *a, bool rows, bool cols)
{
    a->notch_rows = rows;
    a->notch_cols = cols;
}

/* Sigma of the inverted-Gaussian high-pass on the cross-power of plain
 * correlation, cycles per input pixel: w(f) = 1 - exp(-f^2 / (2 s1^2)),
 * the "FilterSigma1" of IMOD tiltxcorr, at the 0.03 its man page
 * suggests (keeps the correlation from being dominated by the largest-
 * scale features); measured in recon/README.md. */
#define FIB_ALIGN_HP_SIGMA 0.03

unsigned fib__aligner_bin(fib_recon_norm norm, size_t w, size_t h)
{
    const bool plain =
        norm != FIB_RECON_NORM_PHASE && norm != FIB_RECON_NORM_WHITEN;
    return plain && w >= 512 && h >= 512 ? 2 : 1;
}

size_t fib__aligner_spectrum_bytes(size_t w, size_t h, unsigned bin)
{
    return (h / bin) * ((w / bin) / 2 + 1) * sizeof(fftwf_complex);
}

static size_t upsampled_size(unsigned ups)
{
    if (ups <= 1)
        return 1;
    const stages st = refine_stages(ups);
    size_t u = 1;
    for (size_t i = 0; i < st.n; i++)
        if (2 * st.half[i] + 1 > u)
            u = 2 * st.half[i] + 1;
    return u;
}

bool fib__aligner_bytes(size_t w, size_t h, int nthreads, unsigned ups,
                        unsigned bin, size_t *bytes_out)
{
    size_t fulln, fullspec;
    const size_t fh0 = h;
    if (!fib_mul_size(w, h, &fulln) || !fib_mul_size(h, w / 2 + 1, &fullspec))
        return false;
    w /= bin;
    h /= bin;
    size_t hw = w / 2 + 1, n, spec, real, per, U = upsampled_size(ups * bin);
    if (!fib_mul_size(w, h, &n) || !fib_mul_size(h, hw, &spec))
        return false;
    real = n * sizeof(float);
    /* r (8 spec) + cc (real) + rre/rim (8 spec) + t, e buffers */
    per = spec * 16 + real + (U * hw * 4 + U * h * 2) * sizeof(float);
    if (per / 16 < spec)
        return false;
    size_t total;
    /* + window (allocated only when tapered, charged always) and input at
     * full size, + the high-pass table, + the periodic-plus-smooth lines
     * and tables (under 16 floats per input row and column), + the full
     * spectrum when binned */
    if (!fib_mul_size(per, (size_t)nthreads, &total) ||
        !fib_add_size(total, 2 * fulln * sizeof(float), &total) ||
        !fib_add_size(total, spec * sizeof(float), &total) ||
        !fib_add_size(total, 16 * (w * bin + fh0 + 4) * sizeof(float),
                      &total) ||
        (bin > 1 &&
         !fib_add_size(total, fullspec * 8 + COL_BLOCK * 8 * fh0, &total)))
        return false;
    *bytes_out = total;
    return true;
}

void *fib__aligner_spectrum_alloc(const fib__aligner *a)
{
    return fftwf_malloc(a->nspec * sizeof(fftwf_complex));
}

void fib__aligner_spectrum_free(void *spec)
{
    if (spec)
        fftwf_free(spec);
}

void fib__aligner_destroy(fib__aligner *a)
{
    if (!a)
        return;
    fib__fftwf_planner_ready();
    if (a->fwd)
        fftwf_destroy_plan(a->fwd);
    if (a->fwd_cols)
        fftwf_destroy_plan(a->fwd_cols);
    if (a->inv)
        fftwf_destroy_plan(a->inv);
    if (a->ps_row)
        fftwf_destroy_plan(a->ps_row);
    if (a->ps_col)
        fftwf_destroy_plan(a->ps_col);
    if (a->scr) {
        for (int t = 0; t < a->nthreads; t++) {
            scratch *s = &a->scr[t];
            fftwf_free(s->r);
            fftwf_free(s->cc);
            free(s->rre);
            free(s->rim);
            free(s->tre);
            free(s->tim);
            free(s->eyr);
            free(s->eyi);
            free(s->exr);
            free(s->exi);
        }
        free(a->scr);
    }
    fftwf_free(a->window);
    fftwf_free(a->in);
    fftwf_free(a->full);
    fftwf_free(a->colbuf);
    free(a->hp);
    fftwf_free(a->ps_d);
    fftwf_free(a->ps_e);
    fftwf_free(a->ps_dh);
    fftwf_free(a->ps_eh);
    free(a->ps_px);
    free(a->ps_py);
    free(a->ps_cx);
    free(a->ps_cy);
    free(a);
}

/* Tukey window of n samples with taper fraction alpha (1 = Hann). */
static double tukey(size_t i, size_t n, double alpha)
{
    if (n < 2)
        return 1.0;
    const double x = (double)i / (double)(n - 1); /* 0..1 */
    const double half = alpha / 2.0;
    if (x < half)
        return 0.5 * (1.0 - cos(FIB_PI * x / half));
    if (x > 1.0 - half)
        return 0.5 * (1.0 - cos(FIB_PI * (1.0 - x) / half));
    return 1.0;
}

/* Plain correlation: the inverted-Gaussian high-pass on the spectrum,
 * frequencies in cycles per input pixel (the binned grid keeps the input's
 * frequency spacing 1 / (n bin)). */
static bool aligner_highpass(fib__aligner *a)
{
    const size_t h = a->h, w = a->w, hw = a->hw, bin = a->bin;
    a->hp = malloc(a->nspec * sizeof(float));
    if (!a->hp)
        return false;
    const double s2 = 2.0 * FIB_ALIGN_HP_SIGMA * FIB_ALIGN_HP_SIGMA;
    for (size_t ky = 0; ky < h; ky++) {
        const double fy = (ky <= h / 2 ? (double)ky : (double)ky - (double)h) /
                          (double)(h * bin);
        for (size_t kx = 0; kx < hw; kx++) {
            const double fx = (double)kx / (double)(w * bin);
            a->hp[ky * hw + kx] = (float)(1.0 - exp(-(fx * fx + fy * fy) / s2));
        }
    }
    return true;
}

/* The input, spectrum and per-thread scratch buffers. */
static bool aligner_buffers(fib__aligner *a)
{
    const size_t fw = a->fw, fh = a->fh, bin = a->bin;
    const size_t n = a->w * a->h, U = a->U, hw = a->hw, h = a->h;
    a->in = fftwf_malloc(fw * fh * sizeof(float));
    a->scr = calloc((size_t)a->nthreads, sizeof *a->scr);
    if (bin > 1) {
        a->full = fftwf_malloc(fh * a->fhw * sizeof(fftwf_complex));
        a->colbuf = fftwf_malloc(COL_BLOCK * fh * sizeof(fftwf_complex));
    }
    if (!a->in || !a->scr || (bin > 1 && (!a->full || !a->colbuf)))
        return false;
    for (int t = 0; t < a->nthreads; t++) {
        scratch *s = &a->scr[t];
        s->r = fftwf_malloc(a->nspec * sizeof(fftwf_complex));
        s->cc = fftwf_malloc(n * sizeof(float));
        s->rre = malloc(a->nspec * sizeof(float));
        s->rim = malloc(a->nspec * sizeof(float));
        s->tre = malloc(U * hw * sizeof(float));
        s->tim = malloc(U * hw * sizeof(float));
        s->eyr = malloc(U * h * sizeof(float));
        s->eyi = malloc(U * h * sizeof(float));
        s->exr = malloc(U * hw * sizeof(float));
        s->exi = malloc(U * hw * sizeof(float));
        if (!s->r || !s->cc || !s->rre || !s->rim || !s->tre || !s->tim ||
            !s->eyr || !s->eyi || !s->exr || !s->exi)
            return false;
    }
    return true;
}

/* alpha = 0: no taper, periodic-plus-smooth instead (see
 * smooth_remove()): its buffers and per-bin factors. */
static bool aligner_smooth(fib__aligner *a)
{
    const size_t fw = a->fw, fh = a->fh, hw = a->hw, h = a->h;
    const size_t fhh = fh / 2 + 1;
    a->ps_d = fftwf_malloc(fw * sizeof(float));
    a->ps_e = fftwf_malloc(fh * sizeof(float));
    a->ps_dh = fftwf_malloc(a->fhw * sizeof(fftwf_complex));
    a->ps_eh = fftwf_malloc(fhh * sizeof(fftwf_complex));
    a->ps_px = malloc(2 * hw * sizeof(float));
    a->ps_cx = malloc(hw * sizeof(float));
    a->ps_py = malloc(2 * h * sizeof(float));
    a->ps_cy = malloc(h * sizeof(float));
    if (!a->ps_d || !a->ps_e || !a->ps_dh || !a->ps_eh || !a->ps_px ||
        !a->ps_cx || !a->ps_py || !a->ps_cy)
        return false;
    /* kept bins: kx = 0..hw-1 and the signed ky of the (cropped)
     * spectrum rows, as frequencies of the full fw x fh grid */
    for (size_t kx = 0; kx < hw; kx++) {
        const double th = 2.0 * FIB_PI * (double)kx / (double)fw;
        const double sh = sin(th / 2.0);
        a->ps_px[2 * kx] = (float)(2.0 * sh * sh); /* 1 - cos */
        a->ps_px[2 * kx + 1] = (float)-sin(th);
        a->ps_cx[kx] = (float)(-4.0 * sh * sh); /* 2 cos - 2 */
    }
    for (size_t ky = 0; ky < h; ky++) {
        const double f = ky <= h / 2 ? (double)ky : (double)ky - (double)h;
        const double th = 2.0 * FIB_PI * f / (double)fh;
        const double sh = sin(th / 2.0);
        a->ps_py[2 * ky] = (float)(2.0 * sh * sh);
        a->ps_py[2 * ky + 1] = (float)-sin(th);
        a->ps_cy[ky] = (float)(-4.0 * sh * sh);
    }
    return true;
}

/* The Tukey window (alpha > 0) over the fw x fh region and its sum. */
static bool aligner_window(fib__aligner *a, double alpha)
{
    const size_t fw = a->fw, fh = a->fh;
    a->window = fftwf_malloc(fw * fh * sizeof(float));
    if (!a->window)
        return false;
    for (size_t y = 0; y < fh; y++) {
        const double wy = tukey(y, fh, alpha);
        for (size_t x = 0; x < fw; x++)
            a->window[y * fw + x] = (float)(wy * tukey(x, fw, alpha));
    }
    for (size_t i = 0; i < fw * fh; i++)
        a->wsum += (double)a->window[i];
    return true;
}

/* The FFT plans (made once, FFTW_ESTIMATE); false when one failed. */
static bool aligner_plans(fib__aligner *a)
{
    const size_t fw = a->fw, fh = a->fh, w = a->w, h = a->h;
    const unsigned bin = a->bin;
    fib__fftwf_planner_ready();
    if (bin == 1) {
        a->fwd = fftwf_plan_dft_r2c_2d((int)fh, (int)fw, a->in, a->scr[0].r,
                                       FFTW_ESTIMATE);
    } else {
        /* Pruned 2-D transform: r2c of every row, then the column
         * c2c transforms of only the hw columns kept by the crop
         * (about half the columns: 40 % less work than the full
         * 2-D r2c). */
        const int nrow = (int)fw, ncol = (int)fh;
        a->fwd = fftwf_plan_many_dft_r2c(1, &nrow, (int)fh, a->in, NULL, 1,
                                         (int)fw, a->full, NULL, 1, (int)a->fhw,
                                         FFTW_ESTIMATE);
        a->fwd_cols = fftwf_plan_many_dft(1, &ncol, COL_BLOCK, a->colbuf, NULL,
                                          1, ncol, a->colbuf, NULL, 1, ncol,
                                          FFTW_FORWARD, FFTW_ESTIMATE);
    }
    a->inv = fftwf_plan_dft_c2r_2d((int)h, (int)w, a->scr[0].r, a->scr[0].cc,
                                   FFTW_ESTIMATE);
    if (a->ps_d) {
        a->ps_row =
            fftwf_plan_dft_r2c_1d((int)fw, a->ps_d, a->ps_dh, FFTW_ESTIMATE);
        a->ps_col =
            fftwf_plan_dft_r2c_1d((int)fh, a->ps_e, a->ps_eh, FFTW_ESTIMATE);
    }
    return a->fwd && a->inv && (bin == 1 || a->fwd_cols) &&
           (!a->ps_d || (a->ps_row && a->ps_col));
}

fib_status fib__aligner_create(size_t w, size_t h, int nthreads, unsigned ups,
                               unsigned bin, double tukey_alpha,
                               fib_recon_norm norm, fib__aligner **out,
                               fib_error *err)
{
    *out = NULL;
    if (bin < 1)
        bin = 1;
    const size_t fw = w, fh = h;
    w /= bin;
    h /= bin;
    /* binned by 2: refine with kappa * 2 on the binned grid, so the step
     * stays 1 / kappa input px */
    ups = ups < 1 ? 1 : ups * bin;
    if (w < 8 || h < 8 || w > FIB_MAX_EXTENT || h > FIB_MAX_EXTENT)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: alignment region must be 8..%zu px a "
                             "side (got %zu x %zu)",
                             (size_t)FIB_MAX_EXTENT, w, h);
    fib__aligner *a = calloc(1, sizeof *a);
    if (!a)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    a->w = w;
    a->h = h;
    a->hw = w / 2 + 1;
    a->fw = fw;
    a->fh = fh;
    a->fhw = fw / 2 + 1;
    a->nspec = h * a->hw;
    a->nthreads = nthreads < 1 ? 1 : nthreads;
    a->ups = ups < 1 ? 1 : ups;
    a->U = upsampled_size(a->ups);
    /* plain correlation carries almost no power near Nyquist (image
     * spectra fall as 1/f^2, noise is flat): the refinement DFT uses the
     * band below half Nyquist (4x less work, and less noise); whitened
     * spectra use every frequency.  Regions of 512 px and more keep only
     * that band in their stored spectra (bin = 2, see
     * fib__aligner_spectrum()), so their whole cropped spectrum is used. */
    a->bin = bin;
    a->band =
        norm == FIB_RECON_NORM_PHASE || norm == FIB_RECON_NORM_WHITEN || bin > 1
            ? 1.0
            : 0.5;
    a->p = norm == FIB_RECON_NORM_PHASE    ? 1.0
           : norm == FIB_RECON_NORM_WHITEN ? 0.5
                                           : 0.0;
    if (a->p == 0.0 && !aligner_highpass(a))
        goto nomem;
    if (!aligner_buffers(a))
        goto nomem;
    /* alpha = 0: no taper, periodic-plus-smooth instead (see
     * smooth_remove()) */
    const double alpha = tukey_alpha > 0 ? tukey_alpha : 0.0;
    if (alpha == 0.0 && !aligner_smooth(a))
        goto nomem;
    if (alpha > 0) {
        if (!aligner_window(a, alpha))
            goto nomem;
    } else {
        a->wsum = (double)(fw * fh); /* no taper: no window buffer */
    }
    /* Plans are made once, on buffers allocated with fftwf_malloc (so
     * every later buffer has the same alignment), with FFTW's planner made
     * thread-safe first (fftw_plan.h). */
    if (!aligner_plans(a)) {
        fib__aligner_destroy(a);
        return fib_error_set(err, FIB_ENUMERIC,
                             "recon: fftw could not plan a %zu x %zu "
                             "transform",
                             w, h);
    }
    *out = a;
    return FIB_OK;
nomem:
    fib__aligner_destroy(a);
    return fib_error_set(err, FIB_ENOMEM,
                         "recon: out of memory for a %zu x %zu alignment "
                         "workspace",
                         w, h);
}

/* Periodic-plus-smooth decomposition of Moisan, "Periodic plus smooth
 * image decomposition", J. Math. Imaging Vis. 39:161-179 (2011): the
 * region u = p + s, where s is smooth and carries the jumps between
 * opposite borders that a periodic DFT sees as edges (the cross along the
 * axes of the spectrum, which does not move with the content and pulls
 * the peak to zero).  With the border image v (v = u(opposite) - u on the
 * first and last rows and columns, 0 inside), eq. (10) of the paper:
 *     S(q, r) = V(q, r) / (2 cos(2 pi q / M) + 2 cos(2 pi r / N) - 4),
 * S(0, 0) = 0, and P = U - S.  v is non-zero on four lines only, so V
 * is separable: with d(x) = u(x, N-1) - u(x, 0) and e(y) = u(M-1, y) -
 * u(0, y),
 *     V(q, r) = D(q) (1 - e^{2 pi i r / N}) + E(r) (1 - e^{2 pi i q / M}),
 * two 1-D transforms instead of a second 2-D one.  Used instead of a
 * tapered window: a taper weights features by their position, so a
 * feature that grows or shrinks from slice to slice (every particle as
 * the face cuts through it) moves its weighted centroid toward the
 * centre -- a bias of the same sign over many slices that the solve
 * accumulates into a wander (recon/README.md, "Window").  @p spec: the
 * (cropped) half spectrum of a->in, whose border lines were copied into
 * ps_d / ps_e before the forward transform. */
static void smooth_remove(fib__aligner *a, fftwf_complex *spec)
{
    fftwf_execute(a->ps_row);
    fftwf_execute(a->ps_col);
    const size_t h = a->h, hw = a->hw;
    fftwf_complex *dh = a->ps_dh;
    for (size_t ky = 0; ky < h; ky++) {
        const bool neg = ky > h / 2;
        const size_t af = neg ? h - ky : ky;
        const float er = a->ps_eh[af][0];
        const float ei = neg ? -a->ps_eh[af][1] : a->ps_eh[af][1];
        const float pyr = a->ps_py[2 * ky], pyi = a->ps_py[2 * ky + 1];
        const float cy = a->ps_cy[ky];
        fftwf_complex *row = spec + ky * hw;
        for (size_t kx = ky == 0 ? 1 : 0; kx < hw; kx++) {
            const float pxr = a->ps_px[2 * kx], pxi = a->ps_px[2 * kx + 1];
            const float vr =
                dh[kx][0] * pyr - dh[kx][1] * pyi + er * pxr - ei * pxi;
            const float vi =
                dh[kx][0] * pyi + dh[kx][1] * pyr + er * pxi + ei * pxr;
            const float inv = 1.0f / (a->ps_cx[kx] + cy);
            row[kx][0] -= vr * inv;
            row[kx][1] -= vi * inv;
        }
    }
}

void fib__aligner_spectrum(fib__aligner *a, const fib_image *img, size_t x0,
                           size_t y0, void *spec_out)
{
    const size_t w = a->fw, h = a->fh;
    double sum = 0.0;
    for (size_t y = 0; y < h; y++) {
        const float *restrict row =
            (const float *)fib_image_row(img, y0 + y) + x0;
        float rs = 0.0f;
        /* per-row float sums (fixed-order vector reduction), summed in
         * double over the rows */
        if (a->window) {
            const float *restrict win = a->window + y * w;
#pragma omp simd reduction(+ : rs)
            for (size_t x = 0; x < w; x++)
                rs += win[x] * row[x];
        } else {
#pragma omp simd reduction(+ : rs)
            for (size_t x = 0; x < w; x++)
                rs += row[x];
        }
        sum += (double)rs;
    }
    /* Subtract the window-weighted mean so the window edge carries no
     * step (a constant would correlate as the window's autocorrelation). */
    const float mean = a->wsum > 0 ? (float)(sum / a->wsum) : 0.0f;
    for (size_t y = 0; y < h; y++) {
        const float *restrict row =
            (const float *)fib_image_row(img, y0 + y) + x0;
        float *restrict dst = a->in + y * w;
        if (a->window) {
            const float *restrict win = a->window + y * w;
            for (size_t x = 0; x < w; x++)
                dst[x] = win[x] * (row[x] - mean);
        } else {
            for (size_t x = 0; x < w; x++)
                dst[x] = row[x] - mean;
        }
    }
    if (a->ps_d) {
        const float *u = a->in;
        for (size_t x = 0; x < w; x++)
            a->ps_d[x] = u[(h - 1) * w + x] - u[x];
        for (size_t y = 0; y < h; y++)
            a->ps_e[y] = u[y * w + w - 1] - u[y * w];
    }
    if (a->bin == 1) {
        fftwf_execute_dft_r2c(a->fwd, a->in, (fftwf_complex *)spec_out);
        if (a->ps_d)
            smooth_remove(a, spec_out);
        return;
    }
    /* Band-limit exactly by cropping the spectrum to |k| below the input
     * Nyquist / bin: the correlation of the cropped spectra is the
     * band-limited correlation sampled every bin pixels, with no aliasing
     * (box binning would fold the upper band into it). */
    fftwf_execute_dft_r2c(a->fwd, a->in, a->full);
    /* columns 0..hw-1 in blocks of COL_BLOCK (the last block may run past
     * hw into columns that are transformed and dropped: hw + COL_BLOCK
     * <= fhw for fw >= 512); each block is gathered, transformed and its
     * kept rows scattered into the cropped spectrum */
    fftwf_complex *dst = spec_out;
    fftwf_complex *cb = a->colbuf;
    for (size_t c0 = 0; c0 < a->hw; c0 += COL_BLOCK) {
        for (size_t y = 0; y < h; y++) {
            const float *src = &a->full[y * a->fhw + c0][0];
            for (size_t c = 0; c < COL_BLOCK; c++) {
                cb[c * h + y][0] = src[2 * c];
                cb[c * h + y][1] = src[2 * c + 1];
            }
        }
        fftwf_execute_dft(a->fwd_cols, cb, cb);
        const size_t nc = a->hw - c0 < COL_BLOCK ? a->hw - c0 : COL_BLOCK;
        for (size_t ky = 0; ky < a->h; ky++) {
            const double f = signed_freq(ky, a->h);
            const size_t src = f >= 0 ? (size_t)f : (size_t)((double)h + f);
            fftwf_complex *d = dst + ky * a->hw + c0;
            for (size_t c = 0; c < nc; c++) {
                d[c][0] = cb[c * h + src][0];
                d[c][1] = cb[c * h + src][1];
            }
        }
    }
    if (a->ps_d)
        smooth_remove(a, spec_out);
}
