/*
 * align.h -- private: FFT cross-correlation workspace shared by the
 * streaming reconstruction (recon.c) and fib_recon_align_pair().
 *
 * A fib__aligner owns the FFTW plans for one region size, the window and
 * per-thread scratch.  fib__aligner_spectrum() turns a region of an f32
 * image into a windowed half spectrum (h x (w/2+1) complex floats);
 * fib__aligner_pair() measures the content shift of B relative to A from
 * two such spectra.  Thread-safety: fib__aligner_pair() may run
 * concurrently with distinct @p thread indices (< nthreads); everything
 * else from one thread.
 */
#ifndef FIB_RECON_ALIGN_H
#define FIB_RECON_ALIGN_H

#include "fib/recon.h"

typedef struct fib__aligner fib__aligner;

/* Spectral decimation of a w x h region: 2 for plain correlation on
 * regions of at least 512 px a side (only the band below half the input
 * Nyquist is kept: the stored spectra and the per-pair transforms are 4x
 * smaller), else 1. */
unsigned fib__aligner_bin(fib_recon_norm norm, size_t w, size_t h);

/* Bytes a workspace for a w x h region (input px) with nthreads threads,
 * upsampling @p ups and binning @p bin needs (plans excluded); false on
 * overflow. */
bool fib__aligner_bytes(size_t w, size_t h, int nthreads, unsigned ups,
                        unsigned bin, size_t *bytes_out);

/* Bytes of one half spectrum of a w x h region binned by @p bin. */
size_t fib__aligner_spectrum_bytes(size_t w, size_t h, unsigned bin);

/* @p mask: NULL or an f32 image of w x h multiplied into the window. */
/* @p w x @p h: the region in input pixels; shifts come back in input
 * pixels whatever the binning. */
fib_status fib__aligner_create(size_t w, size_t h, int nthreads, unsigned ups,
                               unsigned bin, double tukey_alpha,
                               fib_recon_norm norm, fib__aligner **out,
                               fib_error *err);
void fib__aligner_destroy(fib__aligner *a);

/* Suppress patterns fixed in the image frame that are stripes: @p rows
 * zeroes the cross-power rows |ky| <= 1 (vertical stripes, constant or
 * slowly varying along y), @p cols the columns kx <= 1 (horizontal
 * stripes, scan-line offsets).  Off by default. */
void fib__aligner_set_notch(fib__aligner *a, bool rows, bool cols);

/* Clip the rectangle (x0, y0, w, h) of @p img (f32) from below at its
 * Otsu threshold (Otsu, IEEE Trans. SMC 9:62, 1979; 1024-bin histogram
 * between the rectangle's minimum and maximum): the darkest class becomes
 * flat.  Deterministic (serial).  Non-finite pixels are left alone. */
void fib__dark_clip(fib_image *img, size_t x0, size_t y0, size_t w, size_t h);

/* Allocate / free one spectrum buffer (FFTW-aligned). */
void *fib__aligner_spectrum_alloc(const fib__aligner *a);
void fib__aligner_spectrum_free(void *spec);

/* Windowed spectrum of the rectangle (x0, y0, w, h) of @p img (f32). */
void fib__aligner_spectrum(fib__aligner *a, const fib_image *img, size_t x0,
                           size_t y0, void *spec_out);

/* Content shift of B relative to A (b(x) ~ a(x - d)), in pixels, and the
 * peak quality in [0, 1]. */
void fib__aligner_pair(fib__aligner *a, int thread, const void *spec_a,
                       const void *spec_b, double *dx, double *dy,
                       double *quality);

#endif
