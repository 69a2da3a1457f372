/*
 * fib/correct.h -- FIB-SEM slice artifact correction: curtaining (stripe)
 * removal, shading/charging background removal, slice-to-slice intensity
 * normalisation and denoising, on f32 images in memory.
 *
 * Two ways to use it:
 *  - a streaming *correction context* (fib_recon_correct_create()) built
 *    from fib_recon_correct_params, which applies the enabled steps to one
 *    slice at a time, in place, in this FIXED order:
 *
 *        1. destripe    (curtaining; VSNR, wavelet-FFT or FFT wedge)
 *        2. background  (shading/charging; polynomial or Gaussian)
 *        3. normalize   (match mean/spread to a running reference)
 *        4. denoise     (2D median, Gaussian or anisotropic diffusion)
 *
 *    Destriping comes first because stripes are a property of the raw
 *    milled face (they bias a background fit); the background is removed
 *    before the intensity statistics are taken; denoising comes last so
 *    that it does not smear stripes into the neighbourhood (recon-methods
 *    section 3.4: crop -> destripe -> decharge -> register -> normalise ->
 *    denoise).  In `cryofib recon` the context runs as a preprocessing hook
 *    on each slice before alignment; all steps commute with the integer
 *    and sub-pixel translations of alignment up to interpolation.
 *  - single-image functions for each step (fib_recon_destripe(), ...).
 *
 * Images: every function takes FIB_PX_F32 images (any stride) and rejects
 * other types with FIB_EINVAL; convert with fib_image_convert() first.
 * Non-finite pixels are not supported (results undefined).
 *
 * Threads: functions use OpenMP internally; results are bit-identical for
 * any number of threads (no parallel floating-point reductions).  A
 * context is not thread-safe: one context per thread.  Before it makes its
 * first FFTW plan the library calls fftwf_make_planner_thread_safe() (once
 * per process): FFTW's own lock then guards every planner call, the host
 * program's concurrent FFTW planning included.
 */
#ifndef FIB_CORRECT_H
#define FIB_CORRECT_H

#include "fib/common.h"
#include "fib/image.h"
#include "fib/params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Step parameters (zero-initialised struct = step off / defaults).    */
/* ------------------------------------------------------------------ */

typedef enum fib_recon_destripe_method {
    FIB_DESTRIPE_NONE = 0,           /**< step off */
    FIB_DESTRIPE_WAVELET_FFT = 1,    /**< Muench et al. 2009 wavelet-FFT */
    FIB_DESTRIPE_WEDGE = 2,          /**< zero a tapered wedge of the 2D FFT */
    FIB_DESTRIPE_WAVELET_MEDIAN = 3, /**< robust variant: column medians of
                                          the vertical details (see below) */
    FIB_DESTRIPE_VSNR = 4            /**< variational stationary noise remover
                                          (Fehrenbach et al. 2012; see below) */
} fib_recon_destripe_method;

/** Curtaining removal by its option name, shared by `correct` and `recon`
 *  (--destripe-method, destripe_method =): "vsnr", "wavelet" (wavelet-FFT),
 *  "wedge", "robust" (wavelet-median).  False for any other name. */
FIB_API bool fib_recon_destripe_method_parse(const char *name,
                                             fib_recon_destripe_method *out);
/** Name written in reports ("destripe:<name>"): vsnr, wavelet-fft, wedge,
 *  wavelet-median, none. */
FIB_API const char *fib_recon_destripe_method_name(fib_recon_destripe_method m);
/** The option names accepted by fib_recon_destripe_method_parse(). */
#define FIB_DESTRIPE_CHOICES "vsnr|wavelet|wedge|robust"
/** Method of a plain `correct --destripe`: the one that wins the
 *  destriping bench (bench/results/fidelity.md, "Destriping"). */
#define FIB_DESTRIPE_DEFAULT FIB_DESTRIPE_VSNR
/** Inside `recon`, a plain --destripe / destripe = true stays the
 *  wavelet-FFT filter: with VSNR the frame-fixed-pattern test of the
 *  aligner (recon_solve.c, closure pull) fired on the demo's drift-free
 *  twin and its notch let y wander (recon/CORRECTION.md, Limits). */
#define FIB_RECON_DESTRIPE_DEFAULT FIB_DESTRIPE_WAVELET_FFT

/**
 * Curtaining removal.
 *
 * Wavelet-FFT (Muench, Trtik, Marone, Stampanoni, Opt. Express 17:8567,
 * 2009; as tomopy prep/stripe.py remove_stripe_fw): L-level 2D orthogonal
 * DWT (periodised, on an image mirror-padded to a multiple of 2^L plus a
 * margin); the vertical-detail band of each level is Fourier transformed
 * along the stripe direction and multiplied by
 * g(k) = 1 - exp(-k^2 / (2 sigma^2)), k = frequency in cycles per image
 * height along the stripes (tomopy: the half-integer index k + 1/2 in
 * cycles per its padded length, 1.125 x the height), then everything is
 * transformed back and cropped.
 *
 * Wavelet-median (cryofib's robust variant): the same decomposition, but
 * instead of the Fourier damping the median along the stripe direction of
 * each column of each vertical-detail band (over the rows inside the
 * image) is subtracted.  Removes stripes that run through the whole
 * height without the ghosts the Fourier damping makes beside vertical
 * edges of objects shorter than half the height; does not remove curtains
 * that cover less than half of the height (use the wavelet-FFT filter).
 * sigma is not used.
 *
 * Stripe angle: 0 = stripes along image y (vertical curtains, the FIB
 * default), positive angles turn the stripe direction counter-clockwise
 * as seen on screen (towards -x at the top).  For a non-zero angle the
 * image is resampled (bilinear) into a frame where the stripes are
 * vertical, filtered there, and only the *removed part* is rotated back
 * and subtracted from the original, so stripe-free content is not
 * interpolated.
 *
 * VSNR (Fehrenbach, Weiss & Lorenzo, "Variational algorithms to remove
 * stationary noise: applications to microscopy imaging", IEEE TIP
 * 21(10):4420, 2012): the image is u0 = u + psi * lambda, the curtains
 * being a convolution of an elongated filter psi with a random field
 * lambda; the restored image is u = u0 - psi * lambda with
 *
 *     lambda = argmin  || grad(u0 - psi * lambda) ||_{2,1}
 *                      + (alpha / 2) || lambda ||_2^2
 *
 * (isotropic total variation of the restored image plus the Gaussian
 * prior of the paper's phi = l2 case), solved by ADMM (the augmented
 * Lagrangian primal-dual scheme of the authors' later code, pyvsnr) with
 * every convolution diagonal in Fourier space, on the image mirrored into
 * a periodic plane.  psi is a Gaussian of standard deviation
 * vsnr_sigma_across_px across and vsnr_sigma_along_px along the stripes
 * (normalised to unit l2 norm), plus optionally a Dirac of relative
 * variance vsnr_white (white noise; the two filters' power spectra add).
 * alpha = vsnr_weight * tau / s2 is the MAP weight for a Laplace prior of
 * scale tau = mean |grad u0| / 2 on the gradients and stripes of variance
 * s2, measured on the image: s2 = the mean product, over all pairs of
 * four horizontal bands, of the bands' column-mean profiles high-passed
 * along x (Gaussian, sigma 8 px) -- stripes are coherent between bands,
 * objects shorter than a band are not, so stripe-free content gives a
 * small s2; as content still scatters it, s2 is floored at 0.08 tau^2.
 * A flat image (tau = 0) is returned unchanged.
 * Safeguard: with P(v) = variance of the high-passed column-mean
 * profile of v (the stripe power), the removed part b is scaled by the
 * t in [0, 1] that minimises P(u0 - t b) whenever P(u0 - b) > P(u0), so
 * the output never has more stripe power than the input.  The ADMM step
 * is 1 / tau; the iteration count is fixed (results do not depend on
 * convergence tests).  Cost: 4 FFTs of the padded plane per iteration.
 *
 * Wedge: 2D FFT of the mirror-padded image; frequencies within
 * +-wedge_half_angle_deg of the axis across the stripes and farther than
 * wedge_min_radius (fraction of Nyquist) from DC are multiplied by 0, with
 * a raised-cosine taper of wedge_taper_deg on each side.
 */
typedef struct fib_recon_destripe_params {
    fib_recon_destripe_method method;
    const char *wavelet;         /**< "haar", "dbN" (1..10), "symN" (2..10),
                                      "coifN" (1..5); NULL = "db5" */
    unsigned levels;             /**< DWT levels, 1..10; 0 = 4 */
    double sigma;                /**< damping width, cycles per image height
                                      along the stripes; 0 = 2 */
    double stripe_angle_deg;     /**< |angle| <= 90; 0 = vertical */
    double wedge_half_angle_deg; /**< wedge only; 0 = 1 */
    double wedge_taper_deg;      /**< wedge only; 0 = 1 */
    double wedge_min_radius;     /**< wedge only, fraction of Nyquist, kept
                                      around DC; 0 = 0.01 */
    /* VSNR only (0 = the default named).  Defaults from the physics of
     * curtains: the narrowest curtain is about 1 px wide (a Gaussian
     * profile of sigma width / 2), wider ones are sums of narrow ones;
     * curtains run along the milled depth and fade over a fraction of the
     * image height, so the filter must allow variation along the stripes
     * over ~100 px. */
    double vsnr_sigma_across_px; /**< filter sigma across; 0 = 0.5 */
    double vsnr_sigma_along_px;  /**< filter sigma along; 0 = 100 */
    double vsnr_weight;          /**< multiplier of the MAP alpha (larger =
                                      removes less); 0 = 2 */
    double vsnr_white;           /**< variance of an added Dirac (white
                                      noise) filter relative to the stripe
                                      filter; 0 = none (negative invalid) */
    unsigned vsnr_iterations;    /**< ADMM iterations, <= 10000; 0 = 30 */
    int threads; /**< OpenMP threads for this step; 0 = runtime default
                      (fib/threads.h; results do not depend on it) */
} fib_recon_destripe_params;

typedef enum fib_recon_background_method {
    FIB_BACKGROUND_NONE = 0, /**< step off */
    FIB_BACKGROUND_POLY = 1, /**< least-squares 2D polynomial surface */
    FIB_BACKGROUND_GAUSS = 2 /**< large-scale Gaussian blur */
} fib_recon_background_method;

/**
 * Shading / charging background.  The background B(x, y) is either the
 * least-squares polynomial sum_{i+j<=order} c_ij u^i v^j (u, v = x, y
 * scaled to [-1, 1]), fitted with LAPACKE_dgels on every skip_px-th pixel
 * in x and y, or a Gaussian blur of standard deviation gauss_sigma_px
 * (computed on an image box-downsampled so that sigma is about 4 px there,
 * then bilinearly upsampled).  Subtract: I - B + mean(B); divide:
 * I * mean(B) / B (B clamped to >= 1e-6 * max|B|), so the mean level is kept.
 */
typedef struct fib_recon_background_params {
    fib_recon_background_method method;
    unsigned poly_order;   /**< 1..4; 0 = 2 */
    unsigned skip_px;      /**< fit grid step; 0 = so that about 64 x 64
                                samples are used */
    double gauss_sigma_px; /**< 0 = min(width, height) / 8 */
    bool divide;           /**< false = subtract (additive shading) */
    int threads; /**< OpenMP threads for this step; 0 = runtime default */
} fib_recon_background_params;

/**
 * Slice intensity normalisation.  Each slice's statistics (mean and
 * standard deviation, or with use_quantiles the quantiles q_lo and q_hi
 * from a 4096-bin histogram) are mapped linearly onto a running reference.
 * The reference is an exponential moving average of the RAW statistics of
 * the previous slices: ref_1 = s_0 (slice 0 is left unchanged),
 * ref_{k+1} = (1 - a) ref_k + a s_k with a = 1 / ema_slices.  A long
 * memory (ema_slices = INFINITY freezes the reference at slice 0) removes
 * slow drift; a short one removes only jumps and follows real changes of
 * phase fractions (recon-methods 3.3 caution).
 */
typedef struct fib_recon_normalize_params {
    bool enabled;
    bool use_quantiles; /**< match quantiles instead of mean/std */
    double ema_slices;  /**< reference memory in slices, >= 1; 0 = 50 */
    double q_lo;        /**< lower quantile in (0, 1); 0 = 0.02 */
    double q_hi;        /**< upper quantile in (q_lo, 1); 0 = 0.98 */
} fib_recon_normalize_params;

typedef enum fib_recon_denoise_method {
    FIB_DENOISE_NONE = 0,      /**< step off */
    FIB_DENOISE_MEDIAN = 1,    /**< 2D median of a (2r+1)^2 square */
    FIB_DENOISE_GAUSS = 2,     /**< separable Gaussian */
    FIB_DENOISE_DIFFUSION = 3, /**< Perona-Malik anisotropic diffusion */
    FIB_DENOISE_NLM = 4        /**< non-local means (Buades et al. 2005) */
} fib_recon_denoise_method;

/**
 * Denoising.  Median: square window of side 2 radius + 1 (sorting network
 * for radius 1, selection otherwise).  Gaussian: separable, standard
 * deviation sigma_px, kernel truncated at radius round(4 sigma), edges
 * mirrored about the pixel edge ("reflect": d c b a | a b c d, as
 * scipy.ndimage).  Diffusion (Perona & Malik, IEEE PAMI 12:629, 1990,
 * their eq. 7-10 with the exponential conductance g = exp(-(|dI|/kappa)^2)):
 * `iterations` explicit steps of size `step` (<= 0.25 for stability) over
 * the 4 nearest neighbours, reflecting edges; kappa 0 = automatic,
 * 2 x 1.4826 x median absolute neighbour difference (a robust noise scale
 * after Black et al., IEEE TIP 7:421, 1998).
 * Non-local means (Buades, Coll & Morel, CVPR 2005; the integral-image
 * form of Darbon et al., ISBI 2008): each pixel becomes the weighted mean
 * of the pixels in its search window, weight
 * exp(-max(d^2 - 2 s^2, 0) / h^2) with d^2 the mean squared difference of
 * the two (flat) patches and s the estimated noise sd (the noise-corrected
 * weighting of scikit-image's denoise_nl_means with sigma = s); the centre
 * pixel gets weight 1; edges mirrored.  Cost ~ (2 search + 1)^2 passes.  s
 * = 1.4826 x median |I(x+1,y) - I(x,y)| / sqrt 2.
 */
typedef struct fib_recon_denoise_params {
    fib_recon_denoise_method method;
    unsigned radius;     /**< median; 0 = 1 */
    double sigma_px;     /**< Gaussian; 0 = 1 */
    double kappa;        /**< diffusion edge threshold, grey units; 0 = auto */
    unsigned iterations; /**< diffusion; 0 = 10 */
    double step;         /**< diffusion time step, (0, 0.25]; 0 = 0.2 */
    double nlm_h;        /**< NLM filtering strength h, grey units;
                              0 = 0.8 x estimated noise sd */
    unsigned patch_radius;  /**< NLM patch (2r+1)^2; 0 = 3 (7 x 7) */
    unsigned search_radius; /**< NLM search (2r+1)^2; 0 = 10 (21 x 21) */
    int threads; /**< OpenMP threads for this step; 0 = runtime default */
} fib_recon_denoise_params;

/** Every step; a zero-initialised struct turns everything off. */
typedef struct fib_recon_correct_params {
    fib_recon_destripe_params destripe;
    fib_recon_background_params background;
    fib_recon_normalize_params normalize;
    fib_recon_denoise_params denoise;
} fib_recon_correct_params;

/* ------------------------------------------------------------------ */
/* Parameter tables (fib/params.h): every field above described once.  */
/* ------------------------------------------------------------------ */

/** The four steps, in their fixed order. */
typedef enum fib_recon_correct_step {
    FIB_CORRECT_STEP_DESTRIPE,   /**< rows of fib_recon_destripe_params */
    FIB_CORRECT_STEP_BACKGROUND, /**< rows of fib_recon_background_params */
    FIB_CORRECT_STEP_NORMALIZE,  /**< rows of fib_recon_normalize_params */
    FIB_CORRECT_STEP_DENOISE     /**< rows of fib_recon_denoise_params */
} fib_recon_correct_step;

/** Row flags beyond fib/params.h: the bound itself is outside the range
 *  (sigma in (0, 1e6)).  fib_recon_correct_create() honours them;
 *  fib_params_check() and fib_params_parse() treat the bound as
 *  included. */
#define FIB_CORRECT_PARAM_MIN_OPEN (1u << 8)
#define FIB_CORRECT_PARAM_MAX_OPEN (1u << 9)

/**
 * The parameter table of one step (NULL for another value): one row per
 * numeric, boolean or method field of the step's struct, keyed by the
 * field name (engine "destripe", "background", "normalize", "denoise").
 * The wavelet name (a string pointer) is not a row: see
 * fib_recon_wavelet_names().  A row with FIB_PARAM_ZERO_AUTO takes 0 as
 * its default: def, or from the data where def is 0.  The method rows
 * list the option names (destripe: FIB_DESTRIPE_CHOICES) and their def is
 * the method of a plain "on".  fib_recon_correct_create() validates with
 * these rows and no other ranges.
 */
FIB_API const fib_param_table *
fib_recon_correct_param_table(fib_recon_correct_step step);

/** The range of row @p p of a correction table as the error messages
 *  write it ("1..10", "in (0, 1e6)", "in [-90, 90]", ">= 1") into @p buf;
 *  returns @p buf. */
FIB_API const char *fib_recon_correct_param_range(const fib_param *p, char *buf,
                                                  size_t n);

/* ------------------------------------------------------------------ */
/* Streaming context.                                                  */
/* ------------------------------------------------------------------ */

typedef struct fib_recon_correct fib_recon_correct;

/**
 * Validate @p params and create a context (the params, including the
 * wavelet name, are copied).  Work buffers and FFT plans are made on the
 * first slice and reused while the slice size stays the same.
 * Errors: FIB_EINVAL naming the bad field, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_correct_create(const fib_recon_correct_params *params,
                         fib_recon_correct **ctx_out, fib_error *err);

/** Free a context; NULL is a no-op. */
FIB_API void fib_recon_correct_destroy(fib_recon_correct *ctx);

/** True when at least one step is enabled. */
FIB_API bool fib_recon_correct_any(const fib_recon_correct *ctx);

/** Forget the running normalisation reference (start of a new stack). */
FIB_API void fib_recon_correct_reset(fib_recon_correct *ctx);

/**
 * Apply the enabled steps in the fixed order above to @p slice_f32_inout
 * in place.  Slices must come in stack order (the normalisation reference
 * follows the calls); @p slice_index only labels errors ("slice 12: ...").
 * Does not allocate unless the slice size changed since the last call.
 * Errors: FIB_EINVAL (not f32, too small for the requested DWT levels),
 * FIB_ENOMEM, FIB_ENUMERIC (singular background fit).
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_correct_slice(fib_recon_correct *ctx, size_t slice_index,
                        fib_image *slice_f32_inout, fib_error *err);

/* ------------------------------------------------------------------ */
/* Single-image steps (allocate their own work space).                 */
/* ------------------------------------------------------------------ */

/** Curtaining removal in place (method must not be NONE). */
FIB_API FIB_NODISCARD fib_status
fib_recon_destripe(const fib_recon_destripe_params *params,
                   fib_image *img_f32_inout, fib_error *err);

/** Background removal in place (method must not be NONE). */
FIB_API FIB_NODISCARD fib_status
fib_recon_background(const fib_recon_background_params *params,
                     fib_image *img_f32_inout, fib_error *err);

/**
 * Fit only: write the background surface into @p bg_out (a new owned f32
 * image of the same size; the caller clears it).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_background_estimate(
    const fib_recon_background_params *params, const fib_image *img_f32,
    fib_image *bg_out, fib_error *err);

/** Intensity statistics of one slice (see fib_recon_normalize_params). */
typedef struct fib_recon_intensity_stats {
    double mean, std;  /**< mean and population standard deviation */
    double q_lo, q_hi; /**< the requested quantiles */
} fib_recon_intensity_stats;

/** Statistics of @p img_f32 (quantiles with params->q_lo / q_hi). */
FIB_API FIB_NODISCARD fib_status fib_recon_intensity_stats_compute(
    const fib_recon_normalize_params *params, const fib_image *img_f32,
    fib_recon_intensity_stats *out, fib_error *err);

/**
 * Map @p img_f32_inout linearly so that its statistics @p have become
 * @p want (mean/std, or quantiles with params->use_quantiles).  A slice
 * with zero spread is only shifted.
 */
FIB_API FIB_NODISCARD fib_status
fib_recon_normalize_match(const fib_recon_normalize_params *params,
                          const fib_recon_intensity_stats *have,
                          const fib_recon_intensity_stats *want,
                          fib_image *img_f32_inout, fib_error *err);

/** 2D denoising in place (method must not be NONE). */
FIB_API FIB_NODISCARD fib_status
fib_recon_denoise(const fib_recon_denoise_params *params,
                  fib_image *img_f32_inout, fib_error *err);

/**
 * 3D median over a slab of three slices: each output pixel is the median
 * of the 3 x (2 radius + 1)^2 values around it in @p below, @p center and
 * @p above (all f32, same size; edges mirrored in-plane).  @p out becomes a
 * new owned f32 image (caller clears).  radius 0 = 1.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_median3d(
    const fib_image *below, const fib_image *center, const fib_image *above,
    unsigned radius, fib_image *out, fib_error *err);

/* ------------------------------------------------------------------ */
/* Quality metrics (used by tests and bench; useful elsewhere).         */
/* ------------------------------------------------------------------ */

/**
 * Mean structural similarity (Wang, Bovik, Sheikh, Simoncelli, IEEE TIP
 * 13:600, 2004, eq. 13) of two same-size images of any pixel type, with an
 * 11 x 11 Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03, sample
 * covariances, averaged over the pixels whose window lies inside the image
 * (as skimage structural_similarity with gaussian_weights=True).
 * @p data_range is the dynamic range L (> 0).
 */
FIB_API FIB_NODISCARD fib_status fib_recon_ssim(const fib_image *a,
                                                const fib_image *b,
                                                double data_range,
                                                double *ssim_out,
                                                fib_error *err);

/** Root-mean-square difference of two same-size images of any type. */
FIB_API FIB_NODISCARD fib_status fib_recon_rms_diff(const fib_image *a,
                                                    const fib_image *b,
                                                    double *rms_out,
                                                    fib_error *err);

/**
 * Stripe power of vertical stripes: variance of the high-passed column-mean
 * profile p(x) - (G_s * p)(x), G_s a Gaussian of sigma @p highpass_px
 * (0 = 8 px; i.e. stripes narrower than about 2 pi s px).  Any pixel type.
 */
FIB_API FIB_NODISCARD fib_status fib_recon_stripe_power(const fib_image *img,
                                                        double highpass_px,
                                                        double *power_out,
                                                        fib_error *err);

/** Wavelet names accepted by fib_recon_destripe_params.wavelet, as a
 *  NULL-terminated static array. */
FIB_API const char *const *fib_recon_wavelet_names(void);

#ifdef __cplusplus
}
#endif

#endif /* FIB_CORRECT_H */
