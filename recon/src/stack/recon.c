/*
 * recon.c -- streaming slice-series reconstruction (fib/recon.h).
 *
 * Pass 1 reads each slice once and keeps the spectra of the last K slices
 * in a ring; pairs (i - k, i), k = 1..K, are measured in parallel (one
 * pair per OpenMP iteration, own scratch per thread).  The solve is the
 * weighted least-squares problem of recon-methods.md section 1.8,
 *     min_p sum_pairs w_ab |p_b - p_a - d_ab|^2 + mu sum_i |p_{i+1} - p_i|^2
 *           + |p_0|^2,
 * whose normal matrix is banded (bandwidth K) and solved by banded
 * Cholesky (LAPACK dpbsv) for x and y at once.  mu (1e-6 of the mean pair
 * weight) only bridges slices without pairs (skipped slices); |p_0|^2
 * fixes the gauge (the rest is shift-invariant, so p_0 = 0 exactly).
 * Outliers: pairs with residual > max(reject_k * 1.4826 * MAD, floor) are
 * dropped and the system re-solved until nothing changes (at most 10
 * rounds).  Pass 2 resamples each slice once (bilinear) with the shift,
 * the tilt stretch and the isotropic scale folded into one mapping.
 */
#define _POSIX_C_SOURCE 200809L
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recon_stack.h"

fib_status fib__recon_charge(fib_recon *r, size_t bytes, const char *what,
                             fib_error *err)
{
    fib_status st = fib_budget_charge(r->budget, bytes, what, err);
    if (st == FIB_OK)
        r->charged += bytes;
    return st;
}

void fib__recon_release(fib_recon *r, size_t bytes)
{
    fib_budget_release(r->budget, bytes);
    r->charged = bytes > r->charged ? 0 : r->charged - bytes;
}

static bool rect_inside(const fib_recon_rect *rc, size_t w, size_t h)
{
    return rc->width > 0 && rc->height > 0 && rc->x < w && rc->y < h &&
           rc->width <= w - rc->x && rc->height <= h - rc->y;
}

fib_status fib_recon_fill_f32(const fib_image *src, fib_image *dst,
                              fib_error *err)
{
    if (!src || !dst || !src->data || !dst->data || dst->type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: fill_f32 needs a source and an f32 "
                             "destination");
    if (src->width != dst->width || src->height != dst->height)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: slice is %zu x %zu px, the series is "
                             "%zu x %zu",
                             src->width, src->height, dst->width, dst->height);
    for (size_t y = 0; y < src->height; y++) {
        float *d = fib_image_row(dst, y);
        const void *row = fib_image_row(src, y);
        switch (src->type) {
        case FIB_PX_U8:
            for (size_t x = 0; x < src->width; x++)
                d[x] = (float)((const uint8_t *)row)[x];
            break;
        case FIB_PX_U16:
            for (size_t x = 0; x < src->width; x++)
                d[x] = (float)((const uint16_t *)row)[x];
            break;
        case FIB_PX_F32:
            memcpy(d, row, src->width * sizeof(float));
            break;
        case FIB_PX_U32:
            for (size_t x = 0; x < src->width; x++)
                d[x] = (float)((const uint32_t *)row)[x];
            break;
        default:
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: unsupported pixel type %d",
                                 (int)src->type);
        }
    }
    return FIB_OK;
}

/* Isotropic output: the sizes it needs and the extents it makes. */
/* Measured positions: finite, strictly increasing, a span the output
 * grid can hold. */
static fib_status check_z(const fib_recon_params *p, const fib_recon_source *s,
                          fib_error *err)
{
    if (!p->z_nm)
        return FIB_OK;
    for (size_t i = 0; i < s->n_slices; i++)
        if (!isfinite(p->z_nm[i]) || (i && !(p->z_nm[i] > p->z_nm[i - 1])))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: z_nm[%zu] = %g: measured slice "
                                 "positions must be finite and increase "
                                 "(z_nm[%zu] = %g)",
                                 i, p->z_nm[i], i ? i - 1 : 0,
                                 p->z_nm[i ? i - 1 : 0]);
    if (s->n_slices < 2)
        return FIB_OK;
    const double span = p->z_nm[s->n_slices - 1] - p->z_nm[0];
    const double step = p->isotropic ? s->pixel_size_nm[0] : p->slice_nm;
    if (step > 0 && !(span / step + 1.0 <= (double)FIB_MAX_EXTENT))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: measured positions span %g nm: %.3g "
                             "slices of %g nm, over the limit of %zu",
                             span, span / step + 1.0, step,
                             (size_t)FIB_MAX_EXTENT);
    return FIB_OK;
}

static fib_status check_isotropic(const fib_recon_params *p,
                                  const fib_recon_source *s, fib_error *err)
{
    if (p->isotropic &&
        !(s->pixel_size_nm[0] > 0 && (p->slice_nm > 0 || p->z_nm)))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: isotropic resampling needs the pixel "
                             "size and slice_nm (got %g, %g)",
                             s->pixel_size_nm[0], p->slice_nm);
    if (p->isotropic) {
        /* isotropic voxels of the x pixel size: the output extents follow
         * from the size ratios (fib__recon_make_geometry()); each must be a
         * size the library can hold, checked here in double before any
         * conversion */
        const double px = s->pixel_size_nm[0];
        const double py = s->pixel_size_nm[1] > 0 ? s->pixel_size_nm[1] : px;
        const double ys = p->tilt_deg > 0 && !p->tilt_corrected
                              ? 1.0 / sin(p->tilt_deg * FIB_PI / 180.0)
                              : 1.0;
        const double zspan = p->z_nm && s->n_slices > 1
                                 ? p->z_nm[s->n_slices - 1] - p->z_nm[0]
                                 : (double)(s->n_slices - 1) * p->slice_nm;
        const double e[2] = {(double)s->height * py * ys / px + 1.0,
                             zspan / px + 1.0};
        static const char *const ax[2] = {"y", "z"};
        for (int i = 0; i < 2; i++)
            if (!(e[i] <= (double)FIB_MAX_EXTENT))
                return fib_error_set(
                    err, FIB_EINVAL,
                    "recon: isotropic output would be %.3g voxels along %s "
                    "(pixel size %g nm, slice_nm %g): over the limit of %zu",
                    e[i], ax[i], px, p->slice_nm, (size_t)FIB_MAX_EXTENT);
    }
    return FIB_OK;
}

fib_status fib__recon_check_params(const fib_recon_params *p,
                                   const fib_recon_source *s, fib_error *err)
{
    if ((unsigned)p->dark_clip > (unsigned)FIB_RECON_DARK_CLIP_OFF)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: dark_clip must be AUTO, ON or OFF "
                             "(got %d)",
                             (int)p->dark_clip);
    if ((unsigned)p->model > (unsigned)FIB_RECON_MODEL_REGULARIZED_AFFINE)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: model must be TRANSLATION, RIGID, "
                             "SIMILARITY, AFFINE or REGULARIZED_AFFINE (got "
                             "%d)",
                             (int)p->model);
    if (!(p->model_lambda >= 0 && p->model_lambda <= 1))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: model_lambda must be in [0, 1] (got %g)",
                             p->model_lambda);
    if (!s || !s->read)
        return fib_error_set(err, FIB_EINVAL, "recon: source has no reader");
    if (s->n_slices < 1)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: series must have at least 1 slice");
    if (s->width < 8 || s->height < 8 || s->width > FIB_MAX_EXTENT ||
        s->height > FIB_MAX_EXTENT)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: slice size must be 8..%zu px a side "
                             "(got %zu x %zu)",
                             (size_t)FIB_MAX_EXTENT, s->width, s->height);
    if (s->type != FIB_PX_U8 && s->type != FIB_PX_U16 && s->type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: output type must be u8, u16 or f32 "
                             "(got %s)",
                             fib_pixel_type_name(s->type));
    for (int i = 0; i < 2; i++)
        if (!(s->pixel_size_nm[i] >= 0 &&
              s->pixel_size_nm[i] <= MAX_LENGTH_NM) ||
            (s->pixel_size_nm[i] > 0 && s->pixel_size_nm[i] < MIN_LENGTH_NM))
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: pixel_size_nm[%d] must be in [0, %g] "
                                 "nm, 0 for unknown, at least %g nm when "
                                 "known (got %g)",
                                 i, MAX_LENGTH_NM, MIN_LENGTH_NM,
                                 s->pixel_size_nm[i]);
    if (p->neighbours > MAX_NEIGHBOURS)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: neighbours must be 1..%d (got %zu)",
                             MAX_NEIGHBOURS, p->neighbours);
    if (p->upsample > FIB_RECON_MAX_UPSAMPLE)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: upsample must be 1..%d (got %u)",
                             FIB_RECON_MAX_UPSAMPLE, p->upsample);
    if (!(p->tukey_alpha >= 0 && p->tukey_alpha <= 1))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: tukey_alpha must be in [0, 1] (got %g)",
                             p->tukey_alpha);
    if (!(p->reject_k >= 0) || !(p->reject_floor_px >= 0))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: reject_k and reject_floor_px must be "
                             ">= 0 (got %g, %g)",
                             p->reject_k, p->reject_floor_px);
    if (!(p->slice_nm >= 0 && p->slice_nm <= MAX_LENGTH_NM) ||
        (p->slice_nm > 0 && p->slice_nm < MIN_LENGTH_NM))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: slice_nm must be in [0, %g] nm, 0 for "
                             "unknown, at least %g nm when known (got %g)",
                             MAX_LENGTH_NM, MIN_LENGTH_NM, p->slice_nm);
    if (!(p->tilt_deg >= 0 && p->tilt_deg <= 90))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: tilt_deg must be in (0, 90], or 0 for "
                             "unknown (got %g)",
                             p->tilt_deg);
    if (p->tilt_deg > 0 && p->tilt_deg < 10)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: tilt_deg %g is below 10 degrees (a "
                             "stretch of 1/sin(tilt) > 5.8); give the angle "
                             "between the electron and ion beams",
                             p->tilt_deg);
    if (p->use_roi && !rect_inside(&p->roi, s->width, s->height))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: roi %zu,%zu,%zu,%zu is not inside the "
                             "%zu x %zu slice",
                             p->roi.x, p->roi.y, p->roi.width, p->roi.height,
                             s->width, s->height);
    if (p->use_fiducial) {
        if (!rect_inside(&p->fiducial, s->width, s->height))
            return fib_error_set(
                err, FIB_EINVAL,
                "recon: fiducial %zu,%zu,%zu,%zu is not inside the %zu x "
                "%zu slice",
                p->fiducial.x, p->fiducial.y, p->fiducial.width,
                p->fiducial.height, s->width, s->height);
        if (p->fiducial.width < 8 || p->fiducial.height < 8)
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: fiducial must be at least 8 x 8 px "
                                 "(got %zu x %zu)",
                                 p->fiducial.width, p->fiducial.height);
    }
    if (p->use_roi && (p->roi.width < 8 || p->roi.height < 8))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: roi must be at least 8 x 8 px (got %zu "
                             "x %zu)",
                             p->roi.width, p->roi.height);
    fib_status st = check_isotropic(p, s, err);
    if (!st)
        st = check_z(p, s, err);
    if (st)
        return st;
    if (p->threads < 0 || p->threads > FIB_RECON_MAX_THREADS)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: threads must be 0..%d (got %d)",
                             FIB_RECON_MAX_THREADS, p->threads);
    return FIB_OK;
}

fib_status fib_recon_create(const fib_recon_params *params,
                            const fib_recon_source *ref, fib_recon **out,
                            fib_error *err)
{
    fib_recon_params zero = {0};
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "recon: out is NULL");
    *out = NULL;
    const fib_recon_params *p = params ? params : &zero;
    fib_status st = fib__recon_check_params(p, ref, err);
    if (st)
        return st;
    fib_recon *r = calloc(1, sizeof *r);
    if (!r)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    r->p = *p;
    r->src = *ref;
    r->own_budget = fib_budget_make(FIB_BUDGET_DEFAULT_BYTES);
    r->budget = p->budget ? p->budget : &r->own_budget;
    r->K = p->neighbours ? p->neighbours : 3;
    r->ups = p->upsample ? p->upsample : 20;
    r->nthreads = p->threads > 0 ? p->threads : omp_get_max_threads();
    if (r->nthreads < 1)
        r->nthreads = 1;
    if (p->use_roi) {
        r->crop = p->roi;
    } else {
        r->crop.width = ref->width;
        r->crop.height = ref->height;
    }
    r->align = p->use_fiducial ? p->fiducial : r->crop;
    const size_t n = ref->n_slices;
    size_t bytes;
    if (!fib_mul_size(n, sizeof(fib_recon_slice_info) + 2 * sizeof(double),
                      &bytes)) {
        free(r);
        return fib_error_set(err, FIB_ERANGE, "recon: %zu slices overflow", n);
    }
    st = fib__recon_charge(r, bytes, "slice table", err);
    if (st) {
        free(r);
        return st;
    }
    r->info = calloc(n, sizeof *r->info);
    r->pos = calloc(2 * n, sizeof *r->pos);
    if (p->z_nm) {
        r->zpos = malloc(n * sizeof *r->zpos);
        if (r->zpos)
            memcpy(r->zpos, p->z_nm, n * sizeof *r->zpos);
        r->p.z_nm = r->zpos;
    }
    if (!r->info || !r->pos || (p->z_nm && !r->zpos)) {
        fib_recon_destroy(r);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    /* measured positions without a nominal thickness: the median step */
    if (r->zpos && !(r->p.slice_nm > 0) && n > 1)
        r->p.slice_nm = fib__recon_median_step(r->zpos, n);
    for (size_t i = 0; i < n; i++) {
        r->info[i].z_nm = fib__recon_slice_z(r, i);
        r->info[i].ncc_prev = r->info[i].nmi_prev = r->info[i].frc_px =
            (double)NAN;
    }
    *out = r;
    return FIB_OK;
}

void fib__recon_cache_free(fib_recon *r)
{
    free(r->cache);
    r->cache = NULL;
    fib__recon_release(r, r->cache_bytes);
    r->cache_bytes = 0;
}

/* Keep the slices between the passes when all of them fit in half of the
 * free budget; otherwise (or out of memory) stream, silently. */
void fib__recon_cache_try(fib_recon *r)
{
    size_t bytes;
    const fib_budget *b = r->budget;
    const size_t lim =
        b->limit_bytes ? b->limit_bytes : (size_t)FIB_BUDGET_DEFAULT_BYTES;
    const size_t freeb = lim > b->used_bytes ? lim - b->used_bytes : 0;
    if (!r->p.cache || fib_comm_size(r->p.comm) > 1 ||
        !fib_mul3_size(r->src.width, r->src.height, sizeof(float), &bytes) ||
        !fib_mul_size(bytes, r->src.n_slices, &bytes) || bytes > freeb / 2)
        return;
    if (fib__recon_charge(r, bytes, "slice cache", NULL) != FIB_OK)
        return;
    r->cache = malloc(bytes);
    if (!r->cache) {
        fib__recon_release(r, bytes);
        return;
    }
    r->cache_bytes = bytes;
}

void fib_recon_destroy(fib_recon *r)
{
    if (!r)
        return;
    free(r->cache);
    fib_budget_release(r->budget, r->charged);
    free(r->pairs);
    free(r->plin);
    free(r->info);
    free(r->pos);
    free(r->zpos);
    free(r);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the n - 1 steps of increasing positions (n >= 2); 0 when it
 * cannot be computed. */
double fib__recon_median_step(const double *z, size_t n)
{
    double *d = n > 1 ? malloc((n - 1) * sizeof *d) : NULL;
    if (!d)
        return 0;
    for (size_t i = 1; i < n; i++)
        d[i - 1] = z[i] - z[i - 1];
    qsort(d, n - 1, sizeof *d, cmp_double);
    const size_t m = n - 1;
    const double med = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
    free(d);
    return med;
}

/* The face position of slice i: measured, else i x slice_nm, else NaN. */
double fib__recon_slice_z(const fib_recon *r, size_t i)
{
    if (r->zpos)
        return r->zpos[i];
    return r->p.slice_nm > 0 ? (double)i * r->p.slice_nm : (double)NAN;
}

/* Depth of slice i below the first slice's face, nm (0 when unknown): what
 * the z resampling and the receding-face term use. */
double fib__recon_depth_nm(const fib_recon *r, size_t i)
{
    if (r->zpos)
        return r->zpos[i] - r->zpos[0];
    return r->p.slice_nm > 0 ? (double)i * r->p.slice_nm : 0.0;
}

size_t fib_recon_n_slices(const fib_recon *r)
{
    return r ? r->src.n_slices : 0;
}

fib_recon_slice_info fib_recon_get_slice(const fib_recon *r, size_t i)
{
    fib_recon_slice_info z = {0};
    if (!r || i >= r->src.n_slices)
        return z;
    return r->info[i];
}

const fib_recon_pair *fib_recon_pairs(const fib_recon *r, size_t *n_out)
{
    if (n_out)
        *n_out = r ? r->n_pairs : 0;
    return r ? r->pairs : NULL;
}

size_t fib_recon_pair_linear(const fib_recon *r, size_t k, double lin_out[4])
{
    const bool ok = r && r->plin && k < r->n_pairs;
    if (lin_out) {
        for (int e = 0; e < 4; e++)
            lin_out[e] = ok ? r->plin[k].lin[e] : 0.0;
    }
    return ok ? r->plin[k].tiles : 0;
}

const fib_recon_distance *fib_recon_distances(const fib_recon *r, size_t *n_out)
{
    if (n_out)
        *n_out = r && r->estimated ? r->K : 0;
    return r && r->estimated ? r->dist : NULL;
}

fib_recon_qc fib_recon_get_qc(const fib_recon *r)
{
    fib_recon_qc z = {0};
    return r && r->estimated ? r->qc : z;
}

size_t fib_recon_peak_bytes(const fib_recon *r)
{
    return r ? r->budget->peak_bytes : 0;
}

fib_recon_geometry fib_recon_get_geometry(const fib_recon *r)
{
    fib_recon_geometry z = {0};
    return r ? r->geom : z;
}

/* ---- single pair ------------------------------------------------------ */

fib_status fib_recon_align_pair(const fib_image *ref, const fib_image *moving,
                                const fib_recon_params *params, double *dx_out,
                                double *dy_out, double *quality_out,
                                fib_error *err)
{
    fib_recon_params zero = {0};
    const fib_recon_params *p = params ? params : &zero;
    if (!ref || !moving || !dx_out || !dy_out)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: align_pair needs two images and outputs");
    if (ref->width != moving->width || ref->height != moving->height)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: images differ in size (%zu x %zu vs %zu "
                             "x %zu)",
                             ref->width, ref->height, moving->width,
                             moving->height);
    fib__aligner *al = NULL;
    void *sa = NULL, *sb = NULL;
    fib_image fa = {0}, fb = {0};
    double q = 0;
    fib_status st = fib__aligner_create(
        ref->width, ref->height, 1, p->upsample ? p->upsample : 20,
        fib__aligner_bin(p->norm, ref->width, ref->height), p->tukey_alpha,
        p->norm, &al, err);
    if (st)
        return st;
    st = fib_image_init(&fa, FIB_PX_F32, ref->width, ref->height, err);
    if (!st)
        st = fib_image_init(&fb, FIB_PX_F32, ref->width, ref->height, err);
    if (!st)
        st = fib_recon_fill_f32(ref, &fa, err);
    if (!st)
        st = fib_recon_fill_f32(moving, &fb, err);
    if (st)
        goto fail;
    sa = fib__aligner_spectrum_alloc(al);
    sb = fib__aligner_spectrum_alloc(al);
    if (!sa || !sb) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto fail;
    }
    fib__aligner_spectrum(al, &fa, 0, 0, sa);
    fib__aligner_spectrum(al, &fb, 0, 0, sb);
    fib__aligner_pair(al, 0, sa, sb, dx_out, dy_out, &q);
    if (quality_out)
        *quality_out = q;
fail:
    fib__aligner_spectrum_free(sa);
    fib__aligner_spectrum_free(sb);
    fib__aligner_destroy(al);
    fib_image_clear(&fa);
    fib_image_clear(&fb);
    return st;
}
