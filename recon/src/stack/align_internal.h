/*
 * align_internal.h -- private to recon/src/stack: the aligner's work space
 * and the refinement schedule shared by align.c (workspace, spectra) and
 * align_pair.c (pair measurement, refinement DFT).  Not installed.
 */
#ifndef FIB_RECON_ALIGN_INTERNAL_H
#define FIB_RECON_ALIGN_INTERNAL_H

#include <fftw3.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "align.h"

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

/* Coarse-to-fine refinement (see fib__aligner_pair()): stage 1 samples
 * the correlation every c1 = round(kappa / 4) fine steps (1/4 px) over
 * +-0.75 px around the integer peak (2 J1 + 1 points per axis, J1 =
 * ceil(0.75 kappa / c1)); the later stages (refine_stages()) sample
 * finer and narrower around the previous maximum, down to every fine
 * step 1/kappa.  With kappa = 40 that is 7 + 9 + 7 points per axis
 * instead of the 60 of one exhaustive 1.5 kappa block. */
static inline size_t coarse_step(unsigned ups)
{
    const size_t c = (size_t)floor((double)ups / 4.0 + 0.5);
    return c < 1 ? 1 : c;
}

static inline size_t coarse_half(unsigned ups)
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

static inline stages refine_stages(unsigned ups)
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

static inline double signed_freq(size_t k, size_t n)
{
    return k <= n / 2 ? (double)k : (double)k - (double)n;
}

#endif
