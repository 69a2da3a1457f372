/*
 * destripe_internal.h -- private to the destripe step: its work space
 * (correct_destripe.c) and the periodised 2-D DWT passes on it
 * (correct_destripe_dwt.c).  Not installed.
 */
#ifndef FIB_RECON_DESTRIPE_INTERNAL_H
#define FIB_RECON_DESTRIPE_INTERNAL_H

#include <fftw3.h>

#include "correct_internal.h"

enum { MAX_LEVELS = 10 };

struct fib__destripe_ws {
    fib_recon_destripe_params p;
    const fib__wavelet *wav;
    double h[64], g[64]; /* analysis/synthesis filters (orthogonal) */
    int off;             /* 1 - n/2 */
    size_t w, h_img;     /* image size */
    /* rotated frame (== image size when the angle is 0) */
    bool rotated;
    double ca, sa; /* cos, sin of the stripe angle */
    size_t fw, fh; /* frame size */
    float *frame;  /* fw x fh */
    float *frame0; /* copy of the frame before filtering */
    /* padded work planes */
    size_t px, py, mx, my;
    float *buf, *buf2;
    fftwf_complex *spec;
    float *damp; /* per level, py/2 + 1 values each */
    fftwf_plan fwd[MAX_LEVELS], inv[MAX_LEVELS];
    fftwf_plan fwd2, inv2; /* wedge: 2D r2c/c2r on buf */
    int nt;                /* threads the scratch buffers were made for */
    size_t tbuf_per;       /* floats per thread: max(px, py / 2) */
    float *tbuf;           /* nt x tbuf_per scratch */
    float *mask;           /* wedge: py x (px/2+1) spectrum weights */
    ptrdiff_t *xmap;       /* padded column -> source columns (2 each) */
    float *xw;             /* padded column -> weight of the second */
    fib__vsnr_ws *vsnr;    /* VSNR: its own work space on the frame */
};

/* One level of the periodised 2-D DWT / inverse on the top-left block of
 * the padded plane (row pass, then column pass; the convention in
 * correct_destripe.c's header). */
void fib__destripe_dwt_rows(const fib__destripe_ws *ws, const float *src,
                            float *dst, size_t nx, size_t ny);
void fib__destripe_dwt_cols(const fib__destripe_ws *ws, const float *src,
                            float *dst, size_t nx, size_t ny);
void fib__destripe_idwt_rows(const fib__destripe_ws *ws, const float *src,
                             float *dst, size_t nx, size_t ny);
void fib__destripe_idwt_cols(const fib__destripe_ws *ws, const float *src,
                             float *dst, size_t nx, size_t ny);

#endif
