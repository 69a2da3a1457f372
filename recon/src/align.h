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

/* Bytes a workspace for a w x h region with nthreads threads and
 * upsampling @p ups needs (plans excluded); false on overflow. */
bool fib__aligner_bytes(size_t w, size_t h, int nthreads, unsigned ups,
                        size_t *bytes_out);

/* Bytes of one half spectrum of a w x h region. */
size_t fib__aligner_spectrum_bytes(size_t w, size_t h);

/* @p mask: NULL or an f32 image of w x h multiplied into the window. */
fib_status fib__aligner_create(size_t w, size_t h, int nthreads,
                               unsigned ups, double tukey_alpha,
                               fib_recon_norm norm, fib__aligner **out,
                               fib_error *err);
void fib__aligner_destroy(fib__aligner *a);

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
