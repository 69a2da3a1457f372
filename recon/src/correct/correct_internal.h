/*
 * correct_internal.h -- private helpers shared by the correct_*.c files
 * (artifact correction, fib/correct.h).
 */
#ifndef FIB_CORRECT_INTERNAL_H
#define FIB_CORRECT_INTERNAL_H

#include "fib/correct.h"

/** An orthogonal wavelet: its low-pass synthesis filter (pywt rec_lo). */
typedef struct fib__wavelet {
    const char *name;
    int len;
    const double *rec_lo;
} fib__wavelet;

/** Wavelet by name ("db5"); NULL when unknown. */
const fib__wavelet *fib__wavelet_find(const char *name);

/** Analysis filters h (= rec_lo), g (= rec_hi, g[k] = (-1)^k h[n-1-k])
 *  and the index shift off = 1 - n/2 of the periodised DWT. */
void fib__wavelet_filters(const fib__wavelet *wav, double *h, double *g,
                          int *off);

/** One level of the periodised 1D DWT of x[0..len) (len even):
 *  a[i] = sum_k h[k] x[(2i + k + off) mod len], d likewise with g; equals
 *  pywt.dwt(x, name, mode="periodization").  @p scratch holds len floats. */
void fib__dwt1d(const double *h, const double *g, int n, int off,
                const float *x, size_t len, float *a, float *d, float *scratch);

/** k-th smallest (0-based) of v[0..n) (n > k), reordering v. */
float fib__select_k(float *v, size_t n, size_t k);

/** FIB_EINVAL unless @p img is a non-empty f32 image. */
fib_status fib__check_f32(const fib_image *img, const char *what,
                          fib_error *err);

/* Per-step work spaces sized for one slice size; *_run does not allocate. */
typedef struct fib__destripe_ws fib__destripe_ws;
fib_status fib__destripe_ws_create(const fib_recon_destripe_params *p,
                                   size_t width, size_t height,
                                   fib__destripe_ws **out, fib_error *err);
void fib__destripe_ws_destroy(fib__destripe_ws *ws);
fib_status fib__destripe_run(fib__destripe_ws *ws, fib_image *img,
                             fib_error *err);

/* VSNR destriping of a w x h plane with vertical stripes (fib/correct.h;
 * correct_vsnr.c); params already resolved.  _run works in place on
 * @p plane (row stride @p stride_el floats) and does not allocate. */
typedef struct fib__vsnr_ws fib__vsnr_ws;
fib_status fib__vsnr_ws_create(const fib_recon_destripe_params *p, size_t width,
                               size_t height, fib__vsnr_ws **out,
                               fib_error *err);
void fib__vsnr_ws_destroy(fib__vsnr_ws *ws);
void fib__vsnr_run(fib__vsnr_ws *ws, float *plane, size_t stride_el);

typedef struct fib__background_ws fib__background_ws;
fib_status fib__background_ws_create(const fib_recon_background_params *p,
                                     size_t width, size_t height,
                                     fib__background_ws **out, fib_error *err);
void fib__background_ws_destroy(fib__background_ws *ws);
/* Estimate into the work space's background plane, then apply when
 * @p apply (else copy the plane into @p bg_out, f32 same size). */
fib_status fib__background_run(fib__background_ws *ws, fib_image *img,
                               fib_image *bg_out, fib_error *err);

typedef struct fib__denoise_ws fib__denoise_ws;
fib_status fib__denoise_ws_create(const fib_recon_denoise_params *p,
                                  size_t width, size_t height,
                                  fib__denoise_ws **out, fib_error *err);
void fib__denoise_ws_destroy(fib__denoise_ws *ws);
fib_status fib__denoise_run(fib__denoise_ws *ws, fib_image *img,
                            fib_error *err);

/* Parameter validation with defaults filled in.  fib__correct_resolve
 * copies @p size bytes of the step's struct from @p in to @p out, puts each
 * automatic row's default in place of 0 and checks every row of the
 * step's table (correct_params.c); the *_resolve functions add what a row
 * cannot say (the wavelet name, q_lo < q_hi). */
fib_status fib__correct_resolve(fib_recon_correct_step step, const void *in,
                                void *out, size_t size, fib_error *err);
fib_status fib__destripe_resolve(const fib_recon_destripe_params *in,
                                 fib_recon_destripe_params *out,
                                 fib_error *err);
fib_status fib__background_resolve(const fib_recon_background_params *in,
                                   fib_recon_background_params *out,
                                   fib_error *err);
fib_status fib__normalize_resolve(const fib_recon_normalize_params *in,
                                  fib_recon_normalize_params *out,
                                  fib_error *err);
fib_status fib__denoise_resolve(const fib_recon_denoise_params *in,
                                fib_recon_denoise_params *out, fib_error *err);

/* Separable Gaussian blur of a packed float plane (w x h, reflect edges,
 * truncate at round(4 sigma)) from @p src into @p dst using @p tmp (w x h);
 * src may equal dst. */
void fib__gauss_plane(const float *src, float *dst, float *tmp, size_t w,
                      size_t h, double sigma);

/* Reflect index i into [0, n) about the pixel edges (d c b a | a b c d). */
static inline ptrdiff_t fib__reflect(ptrdiff_t i, ptrdiff_t n)
{
    if (n == 1)
        return 0;
    ptrdiff_t p = 2 * n;
    i %= p;
    if (i < 0)
        i += p;
    return i < n ? i : p - 1 - i;
}

#define FIB__PI 3.14159265358979323846

/* Hot inner loops are compiled twice, for AVX2 and for the baseline, and
 * picked at load time (GCC function multiversioning).  No FMA is
 * enabled, so both versions round identically: results do not depend on
 * the CPU.  Off under sanitizers (ifunc resolvers run before their
 * runtime is set up) and with clang: clang (14 at least) names the ifunc
 * of an extern clone `name.ifunc`, so a caller in another file that sees
 * the plain declaration does not link, and one that sees the attribute
 * gets a weak undefined reference (the call is silently skipped). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&         \
    !defined(__SANITIZE_ADDRESS__) && !defined(FIB_NO_CLONES)
#define FIB__CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FIB__CLONES
#endif

/* a += hk p, d += gk p;  o += hk a + gk d;  (a, b) = (min, max). */
void fib__vmac2(float *a, float *d, const float *p, float hk, float gk,
                size_t n);
void fib__vmac_ab(float *o, const float *a, const float *d, float hk, float gk,
                  size_t n);
void fib__vminmax(float *a, float *b, size_t n);
/* o += a;  o = (a - b)^2. */
void fib__vadd(float *o, const float *a, size_t n);
void fib__vsqdiff(float *o, const float *a, const float *b, size_t n);
/* o[i] = d[i] + d[i + 1] + ... + d[i + len - 1], summed in that order.
 * NLM weights: wt = exp(-max(ssd inv_np - two_s2, 0) ih2) by a polynomial
 * (relative error < 1e-5, measured 7.2e-6), ssd = rows[0] + ... +
 * rows[nk - 1] summed in that order; accumulation: aw += wt, av += wt b. */
void fib__vwinsum(float *o, const float *d, size_t len, size_t n);
void fib__vnlm_weight(float *wt, const float *const *rows, size_t nk,
                      float inv_np, float two_s2, float ih2, size_t n);
void fib__vnlm_acc(float *aw, float *av, const float *wt, const float *b,
                   size_t n);

#endif
