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

#include "align.h"
#include "fib/checked.h"
#include "fftw_plan.h"

#define FIB_PI 3.14159265358979323846

/* The refinement kernel (t_rows, dft_block) is built twice on x86-64 GCC, for
 * the baseline and for AVX2 + FMA (Haswell and later), and the loader
 * picks one per machine (GNU ifunc); a given machine always runs the same
 * code, so results stay independent of the thread count. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&         \
    defined(__linux__)
#define FIB_HOT_CLONES                                                         \
    __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FIB_HOT_CLONES
#endif

/* Column block of the pruned forward transform (bin > 1): COL_BLOCK
 * columns of the row-transformed image are gathered into contiguous
 * buffers and transformed together (a fixed FFTW_ESTIMATE plan of
 * contiguous 1-D transforms; the strided in-place plan that
 * FFTW_ESTIMATE picks for the whole column set is cache-unfriendly, and
 * FFTW_MEASURE's buffered plans are chosen by timing, so they can differ
 * between runs). */
#define COL_BLOCK 8

typedef struct scratch {
    fftwf_complex *r; /* h * hw cross-power (destroyed by c2r) */
    float *cc;        /* h * w correlation */
    float *rre, *rim; /* h * hw copy of R, split */
    float *tre, *tim; /* U * hw */
    float *eyr, *eyi; /* U * h */
    float *exr, *exi; /* U * hw */
} scratch;

struct fib__aligner {
    size_t w, h, hw, nspec;
    int nthreads;
    unsigned ups;
    size_t U;
    double p;           /* whitening exponent */
    double band;        /* refinement band, fraction of Nyquist */
    unsigned bin;       /* input pixels per correlation pixel along each axis */
    size_t fw, fh, fhw; /* full region (input px) and its half width */
    fftwf_plan fwd, inv;
    fftwf_plan fwd_cols;   /* bin > 1: fwd = the row r2c transforms only */
    double wsum;           /* sum of the window weights */
    float *window;         /* fw * fh Tukey weights; NULL untapered */
    float *in;             /* fw * fh forward input */
    fftwf_complex *full;   /* fh * fhw full spectrum (bin > 1 only) */
    fftwf_complex *colbuf; /* COL_BLOCK * fh gathered columns (bin > 1) */
    float *hp;             /* h * hw high-pass weights, or NULL */
    /* periodic-plus-smooth decomposition (no taper; NULL when tapered):
     * border differences, their 1-D spectra and per-axis tables over the
     * kept spectrum (see smooth_remove()) */
    fftwf_plan ps_row, ps_col;    /* r2c of fw and of fh samples */
    float *ps_d, *ps_e;           /* fw and fh border differences */
    fftwf_complex *ps_dh, *ps_eh; /* their half spectra */
    float *ps_px, *ps_py; /* 1 - e^{2 pi i kx / fw}, 1 - e^{2 pi i ky / fh}
                             (re, im) */
    float *ps_cx, *ps_cy; /* 2 cos(2 pi kx / fw) - 2, 2 cos(2 pi ky / fh) - 2,
                             as -4 sin^2(theta / 2) (no cancellation) */
    scratch *scr;
    /* frame-fixed stripe suppression (fib__aligner_set_notch()): zero the
     * rows |ky| <= 1 (vertical stripes) / columns kx <= 1 (horizontal) of
     * the cross-power */
    bool notch_rows, notch_cols;
};

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

/* Coarse-to-fine refinement (see fib__aligner_pair()): stage 1 samples
 * the correlation every c1 = round(kappa / 4) fine steps (1/4 px) over
 * +-0.75 px around the integer peak (2 J1 + 1 points per axis, J1 =
 * ceil(0.75 kappa / c1)); the later stages (refine_stages()) sample
 * finer and narrower around the previous maximum, down to every fine
 * step 1/kappa.  With kappa = 40 that is 7 + 9 + 7 points per axis
 * instead of the 60 of one exhaustive 1.5 kappa block. */
static size_t coarse_step(unsigned ups)
{
    const size_t c = (size_t)floor((double)ups / 4.0 + 0.5);
    return c < 1 ? 1 : c;
}

static size_t coarse_half(unsigned ups)
{
    return (size_t)ceil(0.75 * (double)ups / (double)coarse_step(ups));
}

/* Stage schedule: stage i samples every step[i] lattice steps over
 * +-half[i] samples around the previous maximum.  After stage 1 (above)
 * either one fine stage (step 1 over +-c1) or, when fewer points, two:
 * step c2 = round(sqrt(c1)) over +-ceil(c1 / c2), then step 1 over +-c2
 * (kappa = 40: 7 + 9 + 7 points per axis instead of 7 + 21). */
typedef struct stages {
    size_t n, step[3], half[3];
} stages;

static stages refine_stages(unsigned ups)
{
    stages st = {0};
    const size_t c1 = coarse_step(ups);
    st.step[0] = c1;
    st.half[0] = coarse_half(ups);
    st.n = 1;
    if (c1 == 1)
        return st;
    size_t c2 = (size_t)floor(sqrt((double)c1) + 0.5);
    const size_t h2 = c2 > 0 ? (c1 + c2 - 1) / c2 : 0;
    if (c2 > 1 && (2 * h2 + 1) + (2 * c2 + 1) < 2 * c1 + 1) {
        st.step[1] = c2;
        st.half[1] = h2;
        st.step[2] = 1;
        st.half[2] = c2;
        st.n = 3;
    } else {
        st.step[1] = 1;
        st.half[1] = c1;
        st.n = 2;
    }
    return st;
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

static inline double signed_freq(size_t k, size_t n)
{
    return k <= n / 2 ? (double)k : (double)k - (double)n;
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

/* exp(+i 2 pi f t / n) for the signed frequencies f of the n bins of an
 * axis (f = k for k <= n / 2, k - n above), times @p m for the r2c
 * half-axis columns (m = 2 except DC and Nyquist), for k < nk; by the
 * rotation recurrence z_k = z_{k-1} exp(i theta) in double (phase error
 * about k * 1e-16, far below the float storage). */
static void phase_row(double t, size_t n, size_t nk, bool half_axis,
                      float *restrict re, float *restrict im)
{
    const double th = 2.0 * FIB_PI * t / (double)n;
    const double br = cos(th), bi = sin(th);
    const size_t kpos = half_axis ? nk - 1 : n / 2;
    double zr = 1.0, zi = 0.0;
    for (size_t k = 0; k <= kpos && k < nk; k++) {
        double m = 1.0;
        if (half_axis)
            m = (k == 0 || ((n % 2) == 0 && k == n / 2)) ? 1.0 : 2.0;
        re[k] = (float)(m * zr);
        im[k] = (float)(m * zi);
        if (!half_axis && k > 0 && k < n - k) {
            re[n - k] = (float)zr; /* f = -k: the conjugate */
            im[n - k] = (float)-zi;
        }
        const double nr = zr * br - zi * bi;
        zi = zr * bi + zi * br;
        zr = nr;
    }
}

/* T(u, kx) += sum_{ky in [k0, k1)} R(ky, kx) Ey(u, ky), rows taken four
 * at a time (then one at a time for the rest); fixed order. */
FIB_HOT_CLONES
static void t_rows(scratch *s, size_t h, size_t hw, size_t nu, size_t nkx,
                   size_t k0, size_t k1)
{
    size_t ky = k0;
    for (; ky + 4 <= k1; ky += 4) {
        const float *restrict r0 = s->rre + ky * hw, *restrict i0 =
                                                         s->rim + ky * hw;
        const float *restrict r1 = r0 + hw, *restrict i1 = i0 + hw;
        const float *restrict r2 = r1 + hw, *restrict i2 = i1 + hw;
        const float *restrict r3 = r2 + hw, *restrict i3 = i2 + hw;
        for (size_t u = 0; u < nu; u++) {
            const float *ey = s->eyr + u * h, *ez = s->eyi + u * h;
            const float a0 = ey[ky], b0 = ez[ky], a1 = ey[ky + 1],
                        b1 = ez[ky + 1], a2 = ey[ky + 2], b2 = ez[ky + 2],
                        a3 = ey[ky + 3], b3 = ez[ky + 3];
            float *restrict tr = s->tre + u * hw;
            float *restrict ti = s->tim + u * hw;
#pragma omp simd
            for (size_t kx = 0; kx < nkx; kx++) {
                tr[kx] +=
                    (a0 * r0[kx] - b0 * i0[kx]) + (a1 * r1[kx] - b1 * i1[kx]) +
                    (a2 * r2[kx] - b2 * i2[kx]) + (a3 * r3[kx] - b3 * i3[kx]);
                ti[kx] +=
                    (a0 * i0[kx] + b0 * r0[kx]) + (a1 * i1[kx] + b1 * r1[kx]) +
                    (a2 * i2[kx] + b2 * r2[kx]) + (a3 * i3[kx] + b3 * r3[kx]);
            }
        }
    }
    for (; ky < k1; ky++) {
        const float *restrict rr = s->rre + ky * hw;
        const float *restrict ri = s->rim + ky * hw;
        for (size_t u = 0; u < nu; u++) {
            const float er = s->eyr[u * h + ky], ei = s->eyi[u * h + ky];
            float *restrict tr = s->tre + u * hw;
            float *restrict ti = s->tim + u * hw;
#pragma omp simd
            for (size_t kx = 0; kx < nkx; kx++) {
                tr[kx] += er * rr[kx] - ei * ri[kx];
                ti[kx] += er * ri[kx] + ei * rr[kx];
            }
        }
    }
}

/* Upsampled matrix DFT of the cross-power R (s->rre, s->rim) on the grid
 * (y0 + jy st, x0 + jx st), jy, jx in [-J, J] (Guizar-Sicairos et al.
 * 2008, eq. 4 as two separable products), over the rows |f| <= kby and
 * the half-spectrum columns kx < nkx.  Returns the maximum and its
 * (jy, jx); ties keep the first in row-major order, so the result does
 * not depend on the thread. */
FIB_HOT_CLONES
static double dft_block(const fib__aligner *a, scratch *s, double y0, double x0,
                        double st, size_t J, double kby, size_t nkx,
                        long *jy_out, long *jx_out)
{
    const size_t h = a->h, hw = a->hw, nu = 2 * J + 1;
    for (size_t u = 0; u < nu; u++) {
        const double o = ((double)u - (double)J) * st;
        phase_row(y0 + o, h, h, false, s->eyr + u * h, s->eyi + u * h);
        phase_row(x0 + o, a->w, nkx, true, s->exr + u * hw, s->exi + u * hw);
    }
    memset(s->tre, 0, nu * hw * sizeof(float));
    memset(s->tim, 0, nu * hw * sizeof(float));
    /* T(u, kx) = sum_ky R(ky, kx) Ey(u, ky) over the band rows: the
     * non-negative frequencies 0..kp and the negative ones h - kn..h - 1,
     * four rows per pass so T is loaded and stored once per four rows
     * (the loop is store-bound otherwise). */
    size_t kp = (size_t)kby, kn = (size_t)kby;
    if (kp > h / 2)
        kp = h / 2;
    if (kn > (h - 1) / 2)
        kn = (h - 1) / 2;
    t_rows(s, h, hw, nu, nkx, 0, kp + 1);
    t_rows(s, h, hw, nu, nkx, h - kn, h);
    /* cc(uy, ux) = Re sum_kx T(uy, kx) m Ex(ux, kx) */
    double bv = -HUGE_VAL;
    size_t bu = 0, bx = 0;
    for (size_t uy = 0; uy < nu; uy++) {
        const float *tr = s->tre + uy * hw, *ti = s->tim + uy * hw;
        for (size_t ux = 0; ux < nu; ux++) {
            const float *xr = s->exr + ux * hw, *xi = s->exi + ux * hw;
            double acc = 0.0;
#pragma omp simd reduction(+ : acc)
            for (size_t kx = 0; kx < nkx; kx++)
                acc += (double)(tr[kx] * xr[kx] - ti[kx] * xi[kx]);
            if (acc > bv) {
                bv = acc;
                bu = uy;
                bx = ux;
            }
        }
    }
    *jy_out = (long)bu - (long)J;
    *jx_out = (long)bx - (long)J;
    return bv;
}

void fib__aligner_pair(fib__aligner *a, int thread, const void *spec_a,
                       const void *spec_b, double *dx, double *dy,
                       double *quality)
{
    scratch *s = &a->scr[thread];
    const size_t w = a->w, h = a->h, hw = a->hw;
    const fftwf_complex *A = (const fftwf_complex *)spec_a;
    const fftwf_complex *B = (const fftwf_complex *)spec_b;
    const float p = (float)a->p;
    const bool w_even = (w % 2) == 0, h_even = (h % 2) == 0;
    double total = 0.0;

    /* refinement band (see create); the quality is measured inside it */
    const double kbx = a->ups > 1 ? a->band * (double)(w / 2) : (double)w;
    const double kby = a->ups > 1 ? a->band * (double)(h / 2) : (double)h;
    /* band columns 0..nkb - 1 of the half spectrum enter the quality */
    size_t nkb = (size_t)kbx + 1;
    if (nkb > hw)
        nkb = hw;
    for (size_t ky = 0; ky < h; ky++) {
        const float *restrict ab = &A[ky * hw][0], *restrict bb =
                                                       &B[ky * hw][0];
        float *restrict rr = s->rre + ky * hw, *restrict ri = s->rim + ky * hw;
        /* conj(A) * B, split into real and imaginary planes (vectorisable) */
        for (size_t kx = 0; kx < hw; kx++) {
            rr[kx] = ab[2 * kx] * bb[2 * kx] + ab[2 * kx + 1] * bb[2 * kx + 1];
            ri[kx] = ab[2 * kx] * bb[2 * kx + 1] - ab[2 * kx + 1] * bb[2 * kx];
        }
        if (p > 0.0f) {
            for (size_t kx = 0; kx < hw; kx++) {
                const float mag = sqrtf(rr[kx] * rr[kx] + ri[kx] * ri[kx]);
                const float sc =
                    mag > 0.0f ? (p == 1.0f ? 1.0f / mag : 1.0f / sqrtf(mag))
                               : 0.0f;
                rr[kx] *= sc;
                ri[kx] *= sc;
            }
        }
        if (a->hp) {
            const float *restrict wr = a->hp + ky * hw;
            for (size_t kx = 0; kx < hw; kx++) {
                rr[kx] *= wr[kx];
                ri[kx] *= wr[kx];
            }
        }
        /* frame-fixed stripes: the rows / columns next to the axis */
        if (a->notch_rows && (ky <= 1 || ky + 1 == h)) {
            memset(rr, 0, hw * sizeof(float));
            memset(ri, 0, hw * sizeof(float));
        }
        if (a->notch_cols) {
            rr[0] = ri[0] = 0.0f;
            if (hw > 1)
                rr[1] = ri[1] = 0.0f;
        }
        /* DC, the Nyquist row and the Nyquist column carry no shift */
        if (ky == 0 || (h_even && ky == h / 2)) {
            const size_t n0 = ky == 0 ? 1 : hw;
            memset(rr, 0, n0 * sizeof(float));
            memset(ri, 0, n0 * sizeof(float));
        }
        if (w_even) {
            rr[w / 2] = 0.0f;
            ri[w / 2] = 0.0f;
        }
        /* sum of m |R| over the band (m = 2 off DC and Nyquist columns):
         * a fixed-order vector reduction, same for every thread */
        if (fabs(signed_freq(ky, h)) <= kby) {
            float rs = 0.0f;
#pragma omp simd reduction(+ : rs)
            for (size_t kx = 0; kx < nkb; kx++)
                rs += sqrtf(rr[kx] * rr[kx] + ri[kx] * ri[kx]);
            /* every column counts twice, except DC (and Nyquist) */
            double row_total = 2.0 * (double)rs;
            row_total -= (double)sqrtf(rr[0] * rr[0] + ri[0] * ri[0]);
            if (w_even && nkb == hw)
                row_total -= (double)sqrtf(rr[hw - 1] * rr[hw - 1] +
                                           ri[hw - 1] * ri[hw - 1]);
            total += row_total;
        }
        float *restrict ri2 = &s->r[ky * hw][0];
        for (size_t kx = 0; kx < hw; kx++) {
            ri2[2 * kx] = rr[kx];
            ri2[2 * kx + 1] = ri[kx];
        }
    }

    /* Integer peak of the inverse transform: the first maximum (vector
     * max, then the first index holding it). */
    fftwf_execute_dft_c2r(a->inv, s->r, s->cc);
    const float *restrict cc = s->cc;
    float bestv = cc[0];
    /* clang (14) cannot vectorise a compare-select max and turns the
     * requested simd into a -Wpass-failed error: the pragma is GCC's
     * only (the maximum is exact either way). */
#if !defined(__clang__)
#pragma omp simd reduction(max : bestv)
#endif
    for (size_t i = 0; i < w * h; i++)
        bestv = cc[i] > bestv ? cc[i] : bestv;
    size_t best = 0;
    while (best + 1 < w * h && !(cc[best] >= bestv))
        best++;
    double sx = (double)(best % w), sy = (double)(best / w);
    if (sx > (double)(w / 2))
        sx -= (double)w;
    if (sy > (double)(h / 2))
        sy -= (double)h;
    double peak = (double)bestv;

    if (a->ups > 1) {
        /* Coarse-to-fine search on the lattice s + j / kappa (see
         * coarse_step() and refine_stages()): each stage samples around
         * the previous stage's maximum, finer and narrower.  The
         * correlation peak is smooth on the scale of a pixel (band-limited
         * to |k| <= band Nyquist), so the fine maximum lies within one
         * coarse step of the coarse maximum. */
        const double kappa = (double)a->ups;
        const stages st = refine_stages(a->ups);
        size_t nkx = (size_t)kbx + 1;
        if (nkx > hw)
            nkx = hw;
        long ly = 0, lx = 0; /* lattice offset of the current maximum */
        for (size_t k = 0; k < st.n; k++) {
            long jy = 0, jx = 0;
            peak = dft_block(
                a, s, sy + (double)ly / kappa, sx + (double)lx / kappa,
                (double)st.step[k] / kappa, st.half[k], kby, nkx, &jy, &jx);
            ly += jy * (long)st.step[k];
            lx += jx * (long)st.step[k];
        }
        /* the result is the lattice point s + (ly, lx) / kappa */
        sy += (double)ly / kappa;
        sx += (double)lx / kappa;
    }
    *dx = sx * (double)a->bin;
    *dy = sy * (double)a->bin;
    double q = total > 0 ? peak / total : 0.0;
    *quality = q < 0 ? 0.0 : (q > 1 ? 1.0 : q);
}

void fib__dark_clip(fib_image *img, size_t x0, size_t y0, size_t w, size_t h)
{
    enum { NB = 1024 };
    float lo = INFINITY, hi = -INFINITY;
    for (size_t y = 0; y < h; y++) {
        const float *row = (const float *)fib_image_row(img, y0 + y) + x0;
        for (size_t x = 0; x < w; x++)
            if (isfinite(row[x])) {
                lo = row[x] < lo ? row[x] : lo;
                hi = row[x] > hi ? row[x] : hi;
            }
    }
    if (!(hi > lo))
        return;
    double hist[NB] = {0};
    const double sc = (double)NB / ((double)hi - (double)lo);
    for (size_t y = 0; y < h; y++) {
        const float *row = (const float *)fib_image_row(img, y0 + y) + x0;
        for (size_t x = 0; x < w; x++)
            if (isfinite(row[x])) {
                long b = (long)(((double)row[x] - (double)lo) * sc);
                hist[b < 0 ? 0 : b >= NB ? NB - 1 : b] += 1.0;
            }
    }
    /* Otsu: the split maximising the between-class variance */
    double n = 0, mu = 0;
    for (int b = 0; b < NB; b++) {
        n += hist[b];
        mu += (double)b * hist[b];
    }
    double w0 = 0, m0 = 0, best = -1;
    int tb = 0;
    for (int b = 0; b < NB - 1; b++) {
        w0 += hist[b];
        m0 += (double)b * hist[b];
        const double w1 = n - w0;
        if (w0 <= 0 || w1 <= 0)
            continue;
        const double d = m0 / w0 - (mu - m0) / w1;
        const double v = w0 * w1 * d * d;
        if (v > best) {
            best = v;
            tb = b;
        }
    }
    const float t = (float)((double)lo + (double)(tb + 1) / sc);
    for (size_t y = 0; y < h; y++) {
        float *row = (float *)fib_image_row(img, y0 + y) + x0;
        for (size_t x = 0; x < w; x++)
            if (row[x] < t)
                row[x] = t;
    }
}
