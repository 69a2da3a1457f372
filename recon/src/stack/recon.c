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

#include "align.h"
#include "fib/recon.h"

#define FIB_PI 3.14159265358979323846
/* the limits of fib_recon_params (fib/recon.h) */
#define MAX_NEIGHBOURS FIB_RECON_MAX_NEIGHBOURS
#define MAX_LENGTH_NM FIB_RECON_MAX_LENGTH_NM
#define MIN_LENGTH_NM FIB_RECON_MIN_LENGTH_NM

struct fib_recon {
    fib_recon_params p;
    fib_recon_source src;
    fib_budget own_budget;
    fib_budget *budget;
    size_t K;
    unsigned ups;
    int nthreads;
    fib_recon_rect crop;  /* output region (roi or whole image) */
    fib_recon_rect align; /* alignment region */
    fib_recon_pair *pairs;
    size_t n_pairs, cap_pairs;
    fib_recon_slice_info *info;
    double *pos; /* 2n solved content positions (x then y) */
    /* closure statistics and solve weights per distance (index k - 1) */
    fib_recon_distance dist[MAX_NEIGHBOURS];
    fib_recon_qc qc;
    bool clip_now; /* this pass 1 clips the dark class (dark_clip) */
    size_t charged;
    float *cache;       /* n * w * h slices kept between the passes, or NULL */
    size_t cache_bytes; /* charged for the cache */
    bool estimated;
    fib_recon_geometry geom;
};

static fib_status charge(fib_recon *r, size_t bytes, const char *what,
                         fib_error *err)
{
    fib_status st = fib_budget_charge(r->budget, bytes, what, err);
    if (st == FIB_OK)
        r->charged += bytes;
    return st;
}

static void release(fib_recon *r, size_t bytes)
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

static fib_status check_params(const fib_recon_params *p,
                               const fib_recon_source *s, fib_error *err)
{
    if ((unsigned)p->dark_clip > (unsigned)FIB_RECON_DARK_CLIP_OFF)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: dark_clip must be AUTO, ON or OFF "
                             "(got %d)",
                             (int)p->dark_clip);
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
    if (p->isotropic && !(s->pixel_size_nm[0] > 0 && p->slice_nm > 0))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: isotropic resampling needs the pixel "
                             "size and slice_nm (got %g, %g)",
                             s->pixel_size_nm[0], p->slice_nm);
    if (p->isotropic) {
        /* isotropic voxels of the x pixel size: the output extents follow
         * from the size ratios (make_geometry()); each must be a size the
         * library can hold, checked here in double before any conversion */
        const double px = s->pixel_size_nm[0];
        const double py = s->pixel_size_nm[1] > 0 ? s->pixel_size_nm[1] : px;
        const double ys = p->tilt_deg > 0 && !p->tilt_corrected
                              ? 1.0 / sin(p->tilt_deg * FIB_PI / 180.0)
                              : 1.0;
        const double e[2] = {(double)s->height * py * ys / px + 1.0,
                             (double)(s->n_slices - 1) * p->slice_nm / px +
                                 1.0};
        static const char *const ax[2] = {"y", "z"};
        for (int i = 0; i < 2; i++)
            if (!(e[i] <= (double)FIB_MAX_EXTENT))
                return fib_error_set(
                    err, FIB_EINVAL,
                    "recon: isotropic output would be %.3g voxels along %s "
                    "(pixel size %g nm, slice_nm %g): over the limit of %zu",
                    e[i], ax[i], px, p->slice_nm, (size_t)FIB_MAX_EXTENT);
    }
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
    fib_status st = check_params(p, ref, err);
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
    st = charge(r, bytes, "slice table", err);
    if (st) {
        free(r);
        return st;
    }
    r->info = calloc(n, sizeof *r->info);
    r->pos = calloc(2 * n, sizeof *r->pos);
    if (!r->info || !r->pos) {
        fib_recon_destroy(r);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    *out = r;
    return FIB_OK;
}

static void cache_free(fib_recon *r)
{
    free(r->cache);
    r->cache = NULL;
    release(r, r->cache_bytes);
    r->cache_bytes = 0;
}

/* Keep the slices between the passes when all of them fit in half of the
 * free budget; otherwise (or out of memory) stream, silently. */
static void cache_try(fib_recon *r)
{
    size_t bytes;
    const fib_budget *b = r->budget;
    const size_t lim =
        b->limit_bytes ? b->limit_bytes : (size_t)FIB_BUDGET_DEFAULT_BYTES;
    const size_t freeb = lim > b->used_bytes ? lim - b->used_bytes : 0;
    if (!r->p.cache ||
        !fib_mul3_size(r->src.width, r->src.height, sizeof(float), &bytes) ||
        !fib_mul_size(bytes, r->src.n_slices, &bytes) || bytes > freeb / 2)
        return;
    if (charge(r, bytes, "slice cache", NULL) != FIB_OK)
        return;
    r->cache = malloc(bytes);
    if (!r->cache) {
        release(r, bytes);
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
    free(r->info);
    free(r->pos);
    free(r);
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

/* ---- solve ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One weighted least-squares solve over the used pairs (see top). */
static fib_status solve_once(fib_recon *r, double *ab, double *rhs,
                             fib_error *err)
{
    const size_t n = r->src.n_slices, K = r->K, ld = K + 1;
    memset(ab, 0, n * ld * sizeof(double));
    memset(rhs, 0, 2 * n * sizeof(double));
    /* banded upper storage, column major: A(i, j) at ab[K + i - j + j ld] */
#define AB(i, j) ab[(K + (i) - (j)) + (j)*ld]
    double wsum = 0.0;
    size_t nused = 0;
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        if (!pr->used)
            continue;
        const double wk = r->dist[pr->b - pr->a - 1].weight;
        if (!(wk > 0))
            continue;
        const double w = (pr->quality > 1e-3 ? pr->quality : 1e-3) * wk;
        AB(pr->a, pr->a) += w;
        AB(pr->b, pr->b) += w;
        AB(pr->a, pr->b) -= w;
        rhs[pr->b] += w * pr->dx;
        rhs[pr->a] -= w * pr->dx;
        rhs[n + pr->b] += w * pr->dy;
        rhs[n + pr->a] -= w * pr->dy;
        wsum += w;
        nused++;
    }
    const double mu = 1e-6 * (nused ? wsum / (double)nused : 1.0);
    for (size_t i = 0; i + 1 < n; i++) {
        AB(i, i) += mu;
        AB(i + 1, i + 1) += mu;
        AB(i, i + 1) -= mu;
    }
    AB(0, 0) += 1.0;
#undef AB
    lapack_int info =
        LAPACKE_dpbsv(LAPACK_COL_MAJOR, 'U', (lapack_int)n, (lapack_int)K, 2,
                      ab, (lapack_int)ld, rhs, (lapack_int)n);
    if (info != 0)
        return fib_error_set(err, FIB_ENUMERIC,
                             "recon: least-squares solve failed (dpbsv info "
                             "%d)",
                             (int)info);
    memcpy(r->pos, rhs, 2 * n * sizeof(double));
    return FIB_OK;
}

/* Median of v[0..m) (sorted in place); 0 for m = 0. */
static double median_of(double *v, size_t m)
{
    if (!m)
        return 0.0;
    qsort(v, m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* Fewest closures of a distance for its statistics to be used: below it
 * the distance keeps weight 1 (as without the test). */
#define MIN_CLOSURES 8
/* Significance of a per-distance systematic closure bias, in standard
 * errors (two-sided p = 0.003 per axis under normal scatter). */
#define CLOSURE_Z 3.0

/* Closure test (recon/README.md "Closure"): for every pair (a, b) with
 * b - a = k > 1 whose span a..b has all its distance-1 pairs measured and
 * above the quality gate, c = d_ab - sum_{j=a}^{b-1} d_{j,j+1} (x, y).
 * Per distance: the median of c (systematic inconsistency), its standard
 * error 1.2533 sigma / sqrt(n / k) (sigma = 1.4826 MAD; the n closures of
 * distance k share distance-1 pairs with their k - 1 neighbours, so only
 * about n / k of them are independent), and the robust scatter.  A
 * distance whose median differs from 0 by more than CLOSURE_Z standard
 * errors on either axis is inconsistent and dropped with every longer
 * distance.  @p s: 4n doubles of scratch (prefix sums and two work
 * vectors), @p gaps: n + 1 size_t. */
static void closure_test(fib_recon *r, double qgate, double *s, size_t *gaps)
{
    const size_t n = r->src.n_slices, K = r->K;
    double *sx = s, *sy = s + n, *v = s + 2 * n;
    /* prefix sums of the distance-1 chain: S[i] = sum_{j<i} d(j, j+1);
     * gaps[i] = number of missing links below i */
    for (size_t i = 0; i < n; i++) {
        sx[i] = sy[i] = 0;
        gaps[i + 1] = 1;
    }
    gaps[0] = 0;
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        if (pr->b == pr->a + 1 && pr->quality >= qgate) {
            sx[pr->b] = pr->dx; /* temporarily the link ending at b */
            sy[pr->b] = pr->dy;
            gaps[pr->b] = 0;
        }
    }
    /* gaps[i] (i >= 1): 1 when link (i-1, i) is missing; accumulate */
    gaps[n] = 0;
    for (size_t i = 1; i < n; i++) {
        gaps[i] += gaps[i - 1];
        sx[i] += sx[i - 1];
        sy[i] += sy[i - 1];
    }
    for (size_t k = 0; k < r->n_pairs; k++) {
        fib_recon_pair *pr = &r->pairs[k];
        pr->closure_px = -1.0;
        if (pr->b - pr->a < 2 || gaps[pr->b] != gaps[pr->a])
            continue;
        const double cx = pr->dx - (sx[pr->b] - sx[pr->a]);
        const double cy = pr->dy - (sy[pr->b] - sy[pr->a]);
        pr->closure_px = sqrt(cx * cx + cy * cy);
    }
    /* lattice step of the measured shifts: closures are multiples of it,
     * so the MAD can be 0; the scale is floored at one step */
    const double q = 1.0 / (double)r->ups;
    bool dropped = false;
    for (size_t d = 1; d <= K; d++) {
        fib_recon_distance *D = &r->dist[d - 1];
        memset(D, 0, sizeof *D);
        D->distance = d;
        D->weight = 1.0;
        if (d == 1)
            continue;
        double scale2 = 0;
        for (int axis = 0; axis < 2; axis++) {
            const double *S = axis ? sy : sx;
            size_t m = 0;
            for (size_t k = 0; k < r->n_pairs; k++) {
                const fib_recon_pair *pr = &r->pairs[k];
                if (pr->b - pr->a != d || pr->closure_px < 0 ||
                    pr->quality < qgate)
                    continue;
                v[m++] = (axis ? pr->dy : pr->dx) - (S[pr->b] - S[pr->a]);
            }
            D->n_closures = m;
            if (!m)
                continue;
            /* robust location and scale: the mean and standard deviation
             * of the closures within 4 s0 of the median, s0 = max(1.4826
             * MAD, lattice step) (a trimmed mean is not confined to the
             * lattice as the median is) */
            double *w = v + m; /* v has 2n doubles, m < n */
            memcpy(w, v, m * sizeof *v);
            const double med = median_of(w, m);
            for (size_t j = 0; j < m; j++)
                w[j] = fabs(v[j] - med);
            const double s0 = fmax(1.4826 * median_of(w, m), q);
            double sum = 0, sum2 = 0;
            size_t mk = 0;
            for (size_t j = 0; j < m; j++)
                if (fabs(v[j] - med) <= 4.0 * s0) {
                    sum += v[j];
                    mk++;
                }
            const double loc = sum / (double)mk;
            for (size_t j = 0; j < m; j++)
                if (fabs(v[j] - med) <= 4.0 * s0)
                    sum2 += (v[j] - loc) * (v[j] - loc);
            const double sig =
                fmax(mk > 1 ? sqrt(sum2 / (double)(mk - 1)) : s0, q / 2);
            D->bias_px[axis] = loc;
            D->bias_se_px[axis] = sig / sqrt((double)mk / (double)d);
            scale2 += sig * sig;
            /* proportional part: slope of the closure against the chain's
             * own span (a pull toward zero shift -- a frame-fixed pattern
             * weighs more in the less similar long pairs -- makes the
             * long pair a fraction of the chain: slope < 0; fitted
             * through the origin, so a steady trend counts as well as a
             * random walk), with the same effective sample size */
            double ss = 0, sc = 0, span = 0;
            size_t j2 = 0;
            for (size_t k = 0; k < r->n_pairs; k++) {
                const fib_recon_pair *pr = &r->pairs[k];
                if (pr->b - pr->a != d || pr->closure_px < 0 ||
                    pr->quality < qgate)
                    continue;
                w[j2++] = S[pr->b] - S[pr->a]; /* same order as v */
            }
            /* through the origin: a pull predicts c = pull * span */
            for (size_t j = 0; j < m; j++)
                if (fabs(v[j] - med) <= 4.0 * s0) {
                    ss += w[j] * w[j];
                    sc += w[j] * v[j];
                    span += w[j];
                }
            /* Which side is biased: a pull toward zero shift makes the
             * smaller of the two the biased one.  Long pairs that fall
             * short of the chain (bias against the mean span, or a
             * negative slope) are dropped; long pairs that exceed it mean
             * the distance-1 pairs are the pulled ones (a pattern that
             * persists over a few slices only, e.g. frame-fixed stripes
             * that change from slice to slice): they stay, and only the
             * flag is raised.  A constant offset alone does not say which
             * side is wrong: it counts as short only when the slope
             * agrees (not positive). */
            const bool sig_bias = fabs(loc) > CLOSURE_Z * D->bias_se_px[axis];
            bool sig_pull = false;
            if (ss > 0) {
                D->pull[axis] = sc / ss;
                D->pull_se[axis] = sig / sqrt(ss / (double)d);
                sig_pull = fabs(D->pull[axis]) > CLOSURE_Z * D->pull_se[axis];
            }
            if (sig_bias || sig_pull)
                D->inconsistent = true;
            if ((sig_bias && loc * span < 0 && D->pull[axis] <= 0) ||
                (sig_pull && D->pull[axis] < 0))
                D->long_short = true;
        }
        D->scatter_px = sqrt(scale2);
        if (D->n_closures < MIN_CLOSURES)
            D->inconsistent = D->long_short = false;
        if (D->long_short || dropped) {
            dropped = true;
            D->weight = 0.0;
        }
    }
}

/* Per-distance robust residual sigma (per axis) of the kept pairs:
 * median residual norm / 1.1774 (the median of the norm of a 2-D normal
 * vector of per-axis sigma s is s sqrt(2 ln 2)). */
static void distance_residuals(fib_recon *r, double *v)
{
    for (size_t d = 1; d <= r->K; d++) {
        size_t m = 0;
        for (size_t k = 0; k < r->n_pairs; k++) {
            const fib_recon_pair *pr = &r->pairs[k];
            if (pr->b - pr->a == d && pr->used)
                v[m++] = pr->residual_px;
        }
        r->dist[d - 1].residual_px = m ? median_of(v, m) / 1.1774 : 0.0;
    }
}

static fib_status solve(fib_recon *r, fib_error *err)
{
    const size_t n = r->src.n_slices, K = r->K;
    fib_status st = FIB_OK;
    double *ab = NULL, *rhs = NULL, *res = NULL, *cs = NULL;
    size_t *gaps = NULL;
    size_t bytes = n * (K + 1) * sizeof(double) + 2 * n * sizeof(double) +
                   r->n_pairs * sizeof(double) + 4 * n * sizeof(double) +
                   (n + 1) * sizeof(size_t);
    st = charge(r, bytes, "least-squares system", err);
    if (st)
        return st;
    ab = malloc(n * (K + 1) * sizeof(double));
    rhs = malloc(2 * n * sizeof(double));
    res = malloc((r->n_pairs ? r->n_pairs : 1) * sizeof(double));
    cs = malloc(4 * n * sizeof(double));
    gaps = malloc((n + 1) * sizeof(size_t));
    if (!ab || !rhs || !res || !cs || !gaps) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto fail;
    }
    const double kk = r->p.reject_k > 0 ? r->p.reject_k : 4.0;
    const double floor_px =
        r->p.reject_floor_px > 0 ? r->p.reject_floor_px : 0.1;
    /* Gate 1: a pair whose correlation peak is far weaker than the typical
     * one (blank, charged or unrelated slice) is not trusted at all. */
    double qgate = 0;
    if (!r->p.no_reject && r->n_pairs >= 3) {
        for (size_t k = 0; k < r->n_pairs; k++)
            res[k] = r->pairs[k].quality;
        qsort(res, r->n_pairs, sizeof *res, cmp_double);
        qgate = 0.2 * res[r->n_pairs / 2];
    }
    /* Closure test: distances with a systematic inconsistency get weight
     * 0 (see closure_test()). */
    closure_test(r, qgate, cs, gaps);
    const bool closure = !r->p.no_closure;
    if (!closure)
        for (size_t d = 0; d < K; d++)
            r->dist[d].weight = 1.0;
    for (size_t k = 0; k < r->n_pairs; k++)
        r->pairs[k].used =
            r->pairs[k].quality >= qgate &&
            r->dist[r->pairs[k].b - r->pairs[k].a - 1].weight > 0;
    /* Outer loop: variance components per distance (Helmert's estimate
     * in its simplified form, Foerstner 1979: the weight of a group of
     * observations is the inverse of its residual variance, re-estimated
     * from the solve): the consistent distances k > 1 get weight
     * min(1, (s_1 / s_k)^2), s = robust residual sigma, so that pairs that
     * scatter more than the distance-1 chain count less.  Inner loop,
     * gate 2: iteratively reweighted (0/1 weights) least squares: every
     * round re-solves, then keeps exactly the pairs whose residual is
     * within max(k * 1.4826 * MAD, floor) -- pairs dropped in an early,
     * distorted round come back once the solution settles. */
    for (int outer = 0; outer < (closure && K > 1 ? 3 : 1); outer++) {
        if (outer > 0) {
            distance_residuals(r, res);
            const double s1 = r->dist[0].residual_px;
            bool changed = false;
            for (size_t d = 2; d <= K; d++) {
                fib_recon_distance *D = &r->dist[d - 1];
                if (!(D->weight > 0))
                    continue;
                const double sk = D->residual_px;
                const double w =
                    sk > s1 && s1 > 0 ? (s1 / sk) * (s1 / sk) : 1.0;
                if (fabs(w - D->weight) > 0.05 * D->weight)
                    changed = true;
                D->weight = w;
            }
            if (!changed)
                break;
        }
        for (int round = 0; round < 20; round++) {
            st = solve_once(r, ab, rhs, err);
            if (st)
                goto fail;
            size_t m = 0;
            for (size_t k = 0; k < r->n_pairs; k++) {
                fib_recon_pair *pr = &r->pairs[k];
                const double ex = r->pos[pr->b] - r->pos[pr->a] - pr->dx;
                const double ey =
                    r->pos[n + pr->b] - r->pos[n + pr->a] - pr->dy;
                pr->residual_px = sqrt(ex * ex + ey * ey);
                if (pr->used)
                    res[m++] = pr->residual_px;
            }
            if (r->p.no_reject || m < 3)
                break;
            const double med = median_of(res, m);
            /* residuals are norms (>= 0): the median is the MAD about 0 */
            const double thr = fmax(kk * 1.4826 * med, floor_px);
            bool changed = false;
            for (size_t k = 0; k < r->n_pairs; k++) {
                fib_recon_pair *pr = &r->pairs[k];
                const bool keep = pr->quality >= qgate &&
                                  r->dist[pr->b - pr->a - 1].weight > 0 &&
                                  pr->residual_px <= thr;
                if (keep != pr->used) {
                    pr->used = keep;
                    changed = true;
                }
            }
            if (!changed)
                break;
        }
    }
    distance_residuals(r, res);
fail:
    free(ab);
    free(rhs);
    free(res);
    free(cs);
    free(gaps);
    release(r, bytes);
    return st;
}

/* Detrend, zero mean, receding face, per-slice statistics. */
static void finish_shifts(fib_recon *r)
{
    const size_t n = r->src.n_slices;
    double *px = r->pos, *py = r->pos + n;
    size_t m = 0;
    double si = 0, sii = 0, sx = 0, sy = 0, six = 0, siy = 0;
    for (size_t i = 0; i < n; i++) {
        if (r->info[i].skipped)
            continue;
        const double t = (double)i;
        m++;
        si += t;
        sii += t * t;
        sx += px[i];
        sy += py[i];
        six += t * px[i];
        siy += t * py[i];
    }
    double bx = 0, by = 0;
    if (r->p.detrend && m >= 2) {
        const double den = (double)m * sii - si * si;
        if (den > 0) {
            bx = ((double)m * six - si * sx) / den;
            by = ((double)m * siy - si * sy) / den;
        }
    }
    const double face = r->geom.face_shift_px;
    /* applied shift = -(position - trend) + face term, then zero mean */
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        fib_recon_slice_info *in = &r->info[i];
        in->dx = -(px[i] - bx * (double)i);
        in->dy = -(py[i] - by * (double)i) + face * (double)i;
        if (!in->skipped) {
            mx += in->dx;
            my += in->dy;
        }
    }
    if (m) {
        mx /= (double)m;
        my /= (double)m;
    }
    for (size_t i = 0; i < n; i++) {
        r->info[i].dx -= mx;
        r->info[i].dy -= my;
        r->info[i].residual_px = 0;
        r->info[i].pairs_used = r->info[i].pairs_rejected = 0;
        r->info[i].quality = 0;
    }
    /* peak quality of the distance-1 pair ending at each slice (the first
     * slice: the pair starting at it) */
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        if (pr->b != pr->a + 1)
            continue;
        r->info[pr->b].quality = pr->quality;
        if (pr->a == 0)
            r->info[0].quality = pr->quality;
    }
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        const size_t ends[2] = {pr->a, pr->b};
        for (int e = 0; e < 2; e++) {
            fib_recon_slice_info *in = &r->info[ends[e]];
            if (pr->used) {
                in->pairs_used++;
                in->residual_px += pr->residual_px * pr->residual_px;
            } else {
                in->pairs_rejected++;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (r->info[i].pairs_used)
            r->info[i].residual_px =
                sqrt(r->info[i].residual_px / (double)r->info[i].pairs_used);
}

/* ---- geometry --------------------------------------------------------- */

static void make_geometry(fib_recon *r, size_t kept)
{
    fib_recon_geometry *g = &r->geom;
    const double px = r->src.pixel_size_nm[0], py = r->src.pixel_size_nm[1];
    const double tilt = r->p.tilt_deg;
    g->type = r->p.float_out ? FIB_PX_F32 : r->src.type;
    g->y_scale = 1.0;
    g->face_shift_px = 0.0;
    if (r->p.tilt_corrected) {
        g->tilt_note = "tilt correction already applied by the instrument: "
                       "y not scaled";
    } else if (tilt > 0) {
        g->y_scale = 1.0 / sin(tilt * FIB_PI / 180.0);
        g->tilt_note = "y stretched by 1/sin(tilt) (foreshortening of the "
                       "cross-section face)";
    } else {
        g->tilt_note = "no tilt given and no tilt-correction flag: y not "
                       "scaled";
    }
    if (r->p.receding_face && tilt > 0 && r->p.slice_nm > 0 && py > 0)
        g->face_shift_px = r->p.slice_nm * cos(tilt * FIB_PI / 180.0) / py;
    const double pyf = py > 0 ? py : (px > 0 ? px : 1.0);
    const double pxf = px > 0 ? px : pyf;
    double ox = pxf, oy = pyf;
    if (r->p.isotropic)
        ox = oy = px;
    g->nx = (size_t)floor((double)r->crop.width * pxf / ox + 0.5);
    g->ny = (size_t)floor((double)r->crop.height * pyf * g->y_scale / oy + 0.5);
    if (g->nx < 1)
        g->nx = 1;
    if (g->ny < 1)
        g->ny = 1;
    g->voxel_size_nm[0] = px > 0 ? ox : 0;
    g->voxel_size_nm[1] = py > 0 || r->p.isotropic ? oy : 0;
    g->voxel_size_nm[2] = r->p.slice_nm;
    g->nz = kept;
    if (r->p.isotropic) {
        g->voxel_size_nm[2] = px;
        /* z spans input slice indices 0..n-1 at slice_nm each */
        const double span = (double)(r->src.n_slices - 1) * r->p.slice_nm;
        g->nz = (size_t)floor(span / px + 1e-9) + 1;
    }
    g->full_nx = g->nx;
    g->full_ny = g->ny;
    g->cropped = false;
    g->valid = (fib_recon_rect){0, 0, g->nx, g->ny};
}

/* Output voxel index range [lo, hi] (inclusive) of one axis whose centres
 * map into [a, b] (raw reference px of the crop) by u(X) = (X + 0.5) s
 * - 0.5 + off; false when empty.  The 1e-9 absorbs rounding of shifts
 * that land exactly on a pixel edge. */
static bool axis_range(double a, double b, double s, double off, size_t n,
                       size_t *lo, size_t *hi)
{
    const double l = ceil((a + 0.5 - off) / s - 0.5 - 1e-9);
    const double h = floor((b + 0.5 - off) / s - 0.5 + 1e-9);
    const double l0 = l > 0 ? l : 0;
    const double h0 = h < (double)n - 1 ? h : (double)n - 1;
    if (!(h0 >= l0))
        return false;
    *lo = (size_t)l0;
    *hi = (size_t)h0;
    return true;
}

/* crop_valid, after the shifts are final.  Pass 2 samples reference pixel
 * u - s_i for output voxel centre u (see fib_recon_write) and fills 0
 * outside [-0.5, W - 0.5]; a voxel is covered by every kept slice iff
 * max_i s_i - 0.5 <= u <= W - 0.5 + min_i s_i (same in y with the height
 * and the y shifts, receding-face term included).  The box is the set of
 * output voxels whose centres satisfy both, so the cropped volume has no
 * zero-filled voxel. */
static fib_status apply_crop_valid(fib_recon *r, fib_error *err)
{
    fib_recon_geometry *g = &r->geom;
    if (!r->p.crop_valid)
        return FIB_OK;
    double sx_lo = INFINITY, sx_hi = -INFINITY, sy_lo = INFINITY,
           sy_hi = -INFINITY;
    for (size_t i = 0; i < r->src.n_slices; i++) {
        if (r->info[i].skipped)
            continue;
        sx_lo = fmin(sx_lo, r->info[i].dx);
        sx_hi = fmax(sx_hi, r->info[i].dx);
        sy_lo = fmin(sy_lo, r->info[i].dy);
        sy_hi = fmax(sy_hi, r->info[i].dy);
    }
    const double px = r->src.pixel_size_nm[0], py = r->src.pixel_size_nm[1];
    const double pyf = py > 0 ? py : (px > 0 ? px : 1.0);
    const double pxf = px > 0 ? px : pyf;
    const double ox = r->p.isotropic ? px : pxf;
    const double oy = r->p.isotropic ? px : pyf;
    const double W = (double)r->src.width, H = (double)r->src.height;
    size_t x0, x1, y0, y1;
    if (!axis_range(sx_hi - 0.5, W - 0.5 + sx_lo, ox / pxf, (double)r->crop.x,
                    g->nx, &x0, &x1) ||
        !axis_range(sy_hi - 0.5, H - 0.5 + sy_lo, oy / (pyf * g->y_scale),
                    (double)r->crop.y, g->ny, &y0, &y1))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: crop_valid: no region is covered by "
                             "every slice (shifts span %.1f px in x and "
                             "%.1f px in y of a %zu x %zu frame); disable "
                             "crop_valid to keep the full frame",
                             sx_hi - sx_lo, sy_hi - sy_lo, r->src.width,
                             r->src.height);
    g->cropped = true;
    g->valid = (fib_recon_rect){x0, y0, x1 - x0 + 1, y1 - y0 + 1};
    g->nx = g->valid.width;
    g->ny = g->valid.height;
    return FIB_OK;
}

/* ---- pass 1 ----------------------------------------------------------- */

static fib_status add_pair(fib_recon *r, size_t a, size_t b, fib_error *err)
{
    if (r->n_pairs == r->cap_pairs) {
        size_t cap = r->cap_pairs ? 2 * r->cap_pairs : 64;
        fib_status st = charge(r, (cap - r->cap_pairs) * sizeof(fib_recon_pair),
                               "pair table", err);
        if (st)
            return st;
        fib_recon_pair *np = realloc(r->pairs, cap * sizeof *np);
        if (!np)
            return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        r->pairs = np;
        r->cap_pairs = cap;
    }
    fib_recon_pair *pr = &r->pairs[r->n_pairs++];
    memset(pr, 0, sizeof *pr);
    pr->a = a;
    pr->b = b;
    pr->used = true;
    return FIB_OK;
}

static bool skippable(fib_status st)
{
    return st == FIB_ENOTFOUND || st == FIB_EFORMAT || st == FIB_EIO ||
           st == FIB_EINVAL;
}

/* Read slice i into buf (and run the preprocess hook). */
static fib_status read_slice(fib_recon *r, const fib_recon_source *s, size_t i,
                             fib_image *buf, fib_error *err)
{
    fib_status st = s->read(s->user, i, buf, err);
    if (st == FIB_OK && r->p.preprocess)
        st = r->p.preprocess(r->p.preprocess_user, i, buf, err);
    if (st == FIB_OK && (buf->width != s->width || buf->height != s->height ||
                         buf->type != FIB_PX_F32))
        st = fib_error_set(err, FIB_EINVAL,
                           "recon: reader changed the slice buffer");
    return st;
}

/* Pass-1 state: the ring of the last spectra and the slice buffer. */
typedef struct pass1 {
    fib__aligner *al;
    size_t ring;                        /* K + 1, or K + 2 pipelined */
    void *spec[MAX_NEIGHBOURS + 2];     /* ring of half spectra */
    size_t slot_of[MAX_NEIGHBOURS + 2]; /* slice index held by each slot */
    bool slot_ok[MAX_NEIGHBOURS + 2];   /* slot holds a kept slice */
    fib_image buf;                      /* the slice being read */
} pass1;

/* The pairs (i - k, i) of one slice: the older slices' ring slots and
 * indices, and the results. */
typedef struct pair_plan {
    size_t n, b_slot;
    size_t a[MAX_NEIGHBOURS], a_slot[MAX_NEIGHBOURS];
    double dx[MAX_NEIGHBOURS], dy[MAX_NEIGHBOURS], q[MAX_NEIGHBOURS];
} pair_plan;

/* Read slice i into its ring slot and transform it; plan its pairs with
 * the kept slices among the K previous (none when it is skipped). */
static fib_status produce(fib_recon *r, pass1 *c, const fib_progress *prog,
                          size_t i, pair_plan *plan, fib_error *err)
{
    plan->n = 0;
    fib_status st = fib_progress_report(prog, "align", i, r->src.n_slices, err);
    if (st)
        return st;
    const size_t slot = i % c->ring;
    c->slot_ok[slot] = false;
    c->slot_of[slot] = i;
    st = read_slice(r, &r->src, i, &c->buf, err);
    if (st) {
        if (r->p.skip_bad && skippable(st)) {
            fib_error_clear(err);
            r->info[i].skipped = true;
            return FIB_OK;
        }
        fib_error_prefix(err, "slice %zu: ", i);
        return st;
    }
    if (r->cache) {
        const size_t w = r->src.width;
        float *dst = r->cache + i * w * r->src.height;
        for (size_t y = 0; y < r->src.height; y++)
            memcpy(dst + y * w, fib_image_row(&c->buf, y), w * sizeof(float));
    }
    if (r->clip_now)
        fib__dark_clip(&c->buf, r->align.x, r->align.y, r->align.width,
                       r->align.height);
    fib__aligner_spectrum(c->al, &c->buf, r->align.x, r->align.y,
                          c->spec[slot]);
    c->slot_ok[slot] = true;
    plan->b_slot = slot;
    for (size_t k = 1; k <= r->K && k <= i; k++) {
        const size_t os = (i - k) % c->ring;
        if (!c->slot_ok[os] || c->slot_of[os] != i - k)
            continue;
        plan->a[plan->n] = i - k;
        plan->a_slot[plan->n++] = os;
    }
    return FIB_OK;
}

static void run_pair(pass1 *c, int thread, pair_plan *plan, size_t k)
{
    fib__aligner_pair(c->al, thread, c->spec[plan->a_slot[k]],
                      c->spec[plan->b_slot], &plan->dx[k], &plan->dy[k],
                      &plan->q[k]);
}

/* Append the measured pairs of slice i to the pair table, in order. */
static fib_status commit(fib_recon *r, size_t i, const pair_plan *plan,
                         fib_error *err)
{
    for (size_t k = 0; k < plan->n; k++) {
        fib_status st = add_pair(r, plan->a[k], i, err);
        if (st)
            return st;
        fib_recon_pair *pr = &r->pairs[r->n_pairs - 1];
        pr->dx = plan->dx[k];
        pr->dy = plan->dy[k];
        pr->quality = plan->q[k];
    }
    return FIB_OK;
}

/* Serial producer, the K pairs of each slice in parallel (used with one
 * thread, and with a preprocess hook or a read callback that run parallel
 * loops of their own: they then get every thread). */
static fib_status pass1_serial(fib_recon *r, pass1 *c, int nthreads,
                               const fib_progress *prog, fib_error *err)
{
    pair_plan plan;
    for (size_t i = 0; i < r->src.n_slices; i++) {
        fib_status st = produce(r, c, prog, i, &plan, err);
        if (st)
            return st;
#pragma omp parallel for schedule(static) num_threads(nthreads)
        for (long k = 0; k < (long)plan.n; k++)
            run_pair(c, omp_get_thread_num(), &plan, (size_t)k);
        st = commit(r, i, &plan, err);
        if (st)
            return st;
    }
    return FIB_OK;
}

/* A barrier for the pass-1 pipeline that yields the core while it waits.
 * libgomp's own barrier spins for a long time by default (GOMP_SPINCOUNT,
 * unless OMP_WAIT_POLICY=passive), which on a loaded machine keeps the
 * thread that is needed off the core: the pipeline meets twice per slice.
 * Release/acquire on the generation counter orders every write made
 * before the barrier before every read after it. */
typedef struct yield_barrier {
    atomic_uint count, gen;
    unsigned n;
} yield_barrier;

static void yield_barrier_wait(yield_barrier *b)
{
    const unsigned g = atomic_load_explicit(&b->gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) + 1 ==
        b->n) {
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->gen, 1, memory_order_release);
        return;
    }
    /* spin briefly, then yield the core, then sleep 50 us at a time (a
     * long wait: the other stage is reading or preprocessing) */
    for (unsigned spin = 0;
         atomic_load_explicit(&b->gen, memory_order_acquire) == g; spin++) {
        if (spin < 256)
            continue;
        if (spin < 256 + 64) {
            (void)sched_yield();
        } else {
            const struct timespec ts = {0, 50000};
            (void)nanosleep(&ts, NULL);
        }
    }
}

/* Two-stage pipeline: while thread 0 reads and transforms slice s, the
 * other threads measure the pairs of slice s - 1, and thread 0 joins them
 * when its transform is done (pairs are claimed from a shared counter).
 * Which thread computes a pair does not change its value (each pair
 * overwrites its thread's scratch completely), and the pairs are committed
 * by thread 0 in slice order, so the results are those of the serial
 * loop.  The read callback, the progress callback and every error stay
 * on the calling thread (thread 0 of the team is the caller). */
static fib_status pass1_pipelined(fib_recon *r, pass1 *c, int nthreads,
                                  const fib_progress *prog, fib_error *err)
{
    const size_t n = r->src.n_slices;
    pair_plan plan[2];
    /* st: written by thread 0 only; stop: written by thread 0 only between
     * the two barriers of a step and read by every thread after the
     * second, so all threads leave the loop at the same step (thread 0
     * may already be producing the next slice, and changing st, while
     * the others read stop). */
    fib_status st = FIB_OK;
    bool stop = false;
    long next = 0;
    plan[0].n = plan[1].n = 0;
    yield_barrier bar;
    atomic_init(&bar.count, 0);
    atomic_init(&bar.gen, 0);
#pragma omp parallel num_threads(nthreads)
    {
        const int tid = omp_get_thread_num();
#pragma omp single
        bar.n = (unsigned)omp_get_num_threads();
        for (size_t s = 0; s <= n; s++) {
            if (tid == 0 && s < n)
                st = produce(r, c, prog, s, &plan[s & 1], err);
            if (s >= 1) {
                pair_plan *pp = &plan[(s - 1) & 1];
                for (;;) {
                    long k;
#pragma omp atomic capture
                    k = next++;
                    if (k >= (long)pp->n)
                        break;
                    run_pair(c, tid, pp, (size_t)k);
                }
            }
            yield_barrier_wait(&bar);
            if (tid == 0) {
                if (s >= 1 && st == FIB_OK)
                    st = commit(r, s - 1, &plan[(s - 1) & 1], err);
                next = 0;
                stop = st != FIB_OK;
            }
            yield_barrier_wait(&bar);
            if (stop)
                break;
        }
    }
    return st;
}

/* Pass 1 with the stripe notch of fib__aligner_set_notch(). */
static fib_status pass1_run(fib_recon *r, const fib_progress *prog,
                            bool notch_rows, bool notch_cols, fib_error *err)
{
    const size_t n = r->src.n_slices, K = r->K;
    pass1 c;
    memset(&c, 0, sizeof c);
    size_t ws_bytes = 0, charged_here = 0;
    fib_status st;
    const size_t aw = r->align.width, ah = r->align.height;
    /* pipelined: one producer and up to K pair threads; serial: up to K
     * pair threads */
    const bool pipelined =
        r->nthreads > 1 && !r->p.preprocess && !r->src.read_uses_threads;
    int nthreads = r->nthreads;
    if ((size_t)nthreads > (pipelined ? K + 1 : K))
        nthreads = (int)(pipelined ? K + 1 : K);
    c.ring = pipelined ? K + 2 : K + 1;

    r->n_pairs = 0;
    r->estimated = false;
    cache_free(r);
    for (size_t i = 0; i < n; i++)
        r->info[i].skipped = false;
    const unsigned bin = fib__aligner_bin(r->p.norm, aw, ah);
    size_t spec_bytes = fib__aligner_spectrum_bytes(aw, ah, bin), ring_bytes;
    size_t slice_bytes;
    if (!fib__aligner_bytes(aw, ah, nthreads, r->ups, bin, &ws_bytes) ||
        !fib_mul_size(spec_bytes, c.ring, &ring_bytes) ||
        !fib_mul3_size(r->src.width, r->src.height, sizeof(float),
                       &slice_bytes) ||
        !fib_add_size(ws_bytes, ring_bytes, &ws_bytes) ||
        !fib_add_size(ws_bytes, slice_bytes, &ws_bytes))
        return fib_error_set(err, FIB_ERANGE,
                             "recon: workspace size overflows");
    st = charge(r, ws_bytes, "alignment workspace", err);
    if (st)
        return st;
    charged_here = ws_bytes;
    cache_try(r);
    st = fib__aligner_create(aw, ah, nthreads, r->ups, bin, r->p.tukey_alpha,
                             r->p.norm, &c.al, err);
    if (st)
        goto done;
    fib__aligner_set_notch(c.al, notch_rows, notch_cols);
    for (size_t k = 0; k < c.ring; k++) {
        c.spec[k] = fib__aligner_spectrum_alloc(c.al);
        if (!c.spec[k]) {
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
            goto done;
        }
    }
    st = fib_image_init(&c.buf, FIB_PX_F32, r->src.width, r->src.height, err);
    if (st)
        goto done;
    c.buf.pixel_size_nm[0] = r->src.pixel_size_nm[0];
    c.buf.pixel_size_nm[1] = r->src.pixel_size_nm[1];

    st = pipelined ? pass1_pipelined(r, &c, nthreads, prog, err)
                   : pass1_serial(r, &c, nthreads, prog, err);
    if (st)
        goto done;
    st = fib_progress_report(prog, "align", n, n, err);
done:
    /* The workspace goes before the solve; only the tables remain. */
    for (size_t k = 0; k < c.ring; k++)
        fib__aligner_spectrum_free(c.spec[k]);
    fib__aligner_destroy(c.al);
    fib_image_clear(&c.buf);
    release(r, charged_here);
    if (st)
        cache_free(r);
    return st;
}

fib_status fib_recon_estimate(fib_recon *r, const fib_progress *prog,
                              fib_error *err)
{
    if (!r)
        return fib_error_set(err, FIB_EINVAL, "recon: context is NULL");
    const size_t n = r->src.n_slices;
    memset(&r->qc, 0, sizeof r->qc);
    r->clip_now = r->p.dark_clip == FIB_RECON_DARK_CLIP_ON ||
                  (r->p.dark_clip == FIB_RECON_DARK_CLIP_AUTO &&
                   r->p.tilt_deg > 0 && r->p.tilt_deg < 90);
    r->qc.dark_clip = r->clip_now;
    fib_status st = pass1_run(r, prog, false, false, err);
    if (st)
        return st;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        kept += !r->info[i].skipped;
    if (!kept) {
        cache_free(r);
        return fib_error_set(err, FIB_EFORMAT,
                             "recon: no readable slice in the series");
    }
    st = solve(r, err);
    if (st) {
        cache_free(r);
        return st;
    }
    r->qc.passes = 1;
    /* A pattern fixed in the image frame pulls the shifts toward zero,
     * more in the less similar long pairs: a significantly negative
     * closure slope (fib_recon_distance.pull) on x or y at any distance.
     * Stripes are the common frame-fixed pattern with enough energy to
     * do it (scan / detector lines, curtains of a fixed beam): pass 1 is
     * repeated once with the cross-power rows (x pull: vertical stripes)
     * or columns (y pull) next to the axis removed. */
    for (size_t d = 2; d <= r->K; d++)
        for (int axis = 0; axis < 2; axis++) {
            const fib_recon_distance *D = &r->dist[d - 1];
            if (D->n_closures >= MIN_CLOSURES &&
                fabs(D->pull[axis]) > CLOSURE_Z * D->pull_se[axis])
                r->qc.frame_fixed[axis] = true;
        }
    if (!r->p.no_closure && (r->qc.frame_fixed[0] || r->qc.frame_fixed[1])) {
        r->qc.notch_rows = r->qc.frame_fixed[0];
        r->qc.notch_cols = r->qc.frame_fixed[1];
        /* the notch removes an additive frame-fixed pattern only while the
         * image is linear in it: the dark clip would mask the stripes with
         * the pores, which move with the sample, and leave them in */
        r->clip_now = false;
        st = pass1_run(r, prog, r->qc.notch_rows, r->qc.notch_cols, err);
        if (!st)
            st = solve(r, err);
        if (st) {
            cache_free(r);
            return st;
        }
        r->qc.passes = 2;
    }
    make_geometry(r, kept);
    finish_shifts(r);
    st = apply_crop_valid(r, err);
    if (st) {
        cache_free(r);
        return st;
    }
    r->estimated = true;
    return FIB_OK;
}

/* ---- pass 2 ----------------------------------------------------------- */

/* One axis of a bilinear sample at coordinate x of an axis of n pixels:
 * taps i0, i1 and weight f of i1; outside [-0.5, n - 0.5] is invalid (the
 * output pixel becomes 0); inside, coordinates clamp to the edge pixels. */
typedef struct tap {
    size_t i0, i1;
    float f;
    bool valid;
} tap;

static inline void tap_of(double x, size_t n, tap *t)
{
    const double w = (double)n;
    t->valid = x >= -0.5 && x <= w - 0.5;
    if (!t->valid) {
        t->i0 = t->i1 = 0;
        t->f = 0;
        return;
    }
    if (x < 0)
        x = 0;
    if (x > w - 1)
        x = w - 1;
    t->i0 = (size_t)x;
    t->i1 = t->i0 + 1 < n ? t->i0 + 1 : t->i0;
    t->f = (float)(x - (double)t->i0);
}

/* f32 -> u8/u16 with rounding to nearest and clamping; NaN becomes 0.
 * Branch-free so the loops vectorise. */
static void to_type(const fib_image *f, fib_image *t)
{
    const float hi = t->type == FIB_PX_U8 ? 255.0f : 65535.0f;
    for (size_t y = 0; y < f->height; y++) {
        const float *restrict s = fib_image_row(f, y);
        void *d = fib_image_row(t, y);
        if (t->type == FIB_PX_U8) {
            uint8_t *restrict d8 = d;
#pragma omp simd
            for (size_t x = 0; x < f->width; x++) {
                float v = s[x] > 0.0f ? s[x] : 0.0f; /* NaN -> 0 */
                v = v < hi ? v + 0.5f : hi;
                d8[x] = (uint8_t)(int32_t)v;
            }
        } else {
            uint16_t *restrict d16 = d;
#pragma omp simd
            for (size_t x = 0; x < f->width; x++) {
                float v = s[x] > 0.0f ? s[x] : 0.0f;
                v = v < hi ? v + 0.5f : hi;
                d16[x] = (uint16_t)(int32_t)v;
            }
        }
    }
}

fib_status fib_recon_write(fib_recon *r, const fib_recon_source *src,
                           const fib_recon_sink *sink, const fib_progress *prog,
                           fib_error *err)
{
    if (!r || !sink || !sink->slice)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: write needs a context and a sink");
    if (!r->estimated)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: fib_recon_estimate() must run first");
    const fib_recon_source *s = src ? src : &r->src;
    /* a channel keeps its own pixel type on the reference grid */
    fib_recon_geometry geom = r->geom;
    geom.type = src && !r->p.float_out ? src->type : r->geom.type;
    const fib_recon_geometry *g = &geom;
    const size_t n = r->src.n_slices;
    if (src) {
        fib_recon_params none = {0};
        fib_status cs = check_params(&none, src, err);
        if (cs)
            return cs;
        if (src->n_slices != n)
            return fib_error_set(err, FIB_EINVAL,
                                 "recon: channel has %zu slices, the "
                                 "reference %zu",
                                 src->n_slices, n);
    }
    fib_image in = {0}, out = {0}, prev = {0}, typed = {0}, mix = {0};
    double *mapx = NULL, *mapy = NULL;
    tap *colt = NULL;
    float *colf = NULL;
    size_t bytes = 0, b1, b2;
    fib_status st;
    if (!fib_mul3_size(s->width, s->height, sizeof(float), &b1) ||
        !fib_mul3_size(g->nx, g->ny, sizeof(float), &b2))
        return fib_error_set(err, FIB_ERANGE, "recon: slice size overflows");
    bytes = b1 + b2 * (r->p.isotropic ? 4 : 2) +
            (g->nx + g->ny) * sizeof(double) +
            g->nx * (sizeof(tap) + sizeof(float));
    st = charge(r, bytes, "output slices", err);
    if (st)
        return st;
    st = fib_image_init(&in, FIB_PX_F32, s->width, s->height, err);
    if (!st)
        st = fib_image_init(&out, FIB_PX_F32, g->nx, g->ny, err);
    if (!st && g->type != FIB_PX_F32)
        st = fib_image_init(&typed, g->type, g->nx, g->ny, err);
    if (!st && r->p.isotropic)
        st = fib_image_init(&prev, FIB_PX_F32, g->nx, g->ny, err);
    if (!st && r->p.isotropic)
        st = fib_image_init(&mix, FIB_PX_F32, g->nx, g->ny, err);
    if (st)
        goto fail;
    mapx = malloc(g->nx * sizeof(double));
    mapy = malloc(g->ny * sizeof(double));
    colt = malloc(g->nx * sizeof(tap));
    colf = malloc(g->nx * sizeof(float));
    if (!mapx || !mapy || !colt || !colf) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto fail;
    }
    /* Output pixel centre -> raw reference pixel coordinate in the crop:
     * u = (X + 0.5) ox / px - 0.5, v = (Y + 0.5) oy / (py y_scale) - 0.5,
     * then to the channel: c = (U + 0.5) * (ref px / channel px) - 0.5. */
    const double px = r->src.pixel_size_nm[0], py = r->src.pixel_size_nm[1];
    const double pyf = py > 0 ? py : (px > 0 ? px : 1.0);
    const double pxf = px > 0 ? px : pyf;
    const double ox = r->p.isotropic ? px : pxf;
    const double oy = r->p.isotropic ? px : pyf;
    double cxs = 1.0, cys = 1.0; /* reference px per channel px */
    if (src) {
        if (px > 0 && src->pixel_size_nm[0] > 0)
            cxs = px / src->pixel_size_nm[0];
        else
            cxs = (double)src->width / (double)r->src.width;
        if (py > 0 && src->pixel_size_nm[1] > 0)
            cys = py / src->pixel_size_nm[1];
        else
            cys = (double)src->height / (double)r->src.height;
    }
    /* crop_valid: output voxel X is voxel X + valid.x of the full grid */
    for (size_t X = 0; X < g->nx; X++)
        mapx[X] = ((double)(X + g->valid.x) + 0.5) * ox / pxf - 0.5 +
                  (double)r->crop.x;
    for (size_t Y = 0; Y < g->ny; Y++)
        mapy[Y] = ((double)(Y + g->valid.y) + 0.5) * oy / (pyf * g->y_scale) -
                  0.5 + (double)r->crop.y;

    if (sink->begin) {
        st = sink->begin(sink->user, g, err);
        if (st)
            goto fail;
    }
    const int nthreads = r->nthreads;
    size_t zout = 0;
    double zprev = 0;
    bool have_prev = false;
    for (size_t i = 0; i < n; i++) {
        st = fib_progress_report(prog, "write", i, n, err);
        if (st)
            goto fail;
        if (r->info[i].skipped)
            continue;
        if (!src && r->cache) {
            const size_t w = s->width;
            const float *c = r->cache + i * w * s->height;
            for (size_t y = 0; y < s->height; y++)
                memcpy(fib_image_row(&in, y), c + y * w, w * sizeof(float));
        } else {
            st = read_slice(r, s, i, &in, err);
            if (st) {
                fib_error_prefix(err, "slice %zu: ", i);
                goto fail;
            }
        }
        const double sx = r->info[i].dx, sy = r->info[i].dy;
        const fib_image *inp = &in;
        fib_image *op = &out;
        /* separable bilinear: the column taps depend on X only */
        for (size_t X = 0; X < g->nx; X++)
            tap_of((mapx[X] - sx + 0.5) * cxs - 0.5, s->width, &colt[X]);
        const tap *ct = colt;
        /* The run [xa, xb) of output columns whose taps are interior and
         * consecutive (i0 = i0(xa) + X - xa, i1 = i0 + 1): the whole row
         * for a pure translation.  There the same arithmetic runs on
         * contiguous loads (vectorised), bit-identical to the general
         * loop. */
        size_t xa = 0, xb = 0;
        while (xa < g->nx && !(ct[xa].valid && ct[xa].i1 == ct[xa].i0 + 1))
            xa++;
        for (xb = xa; xb < g->nx; xb++) {
            const tap *t = &ct[xb];
            if (!t->valid || t->i0 != ct[xa].i0 + (xb - xa) ||
                t->i1 != t->i0 + 1)
                break;
            colf[xb] = t->f;
        }
        const float *cf = colf;
#pragma omp parallel for schedule(static) num_threads(nthreads)
        for (long Y = 0; Y < (long)g->ny; Y++) {
            float *row = fib_image_row(op, (size_t)Y);
            tap ty;
            tap_of((mapy[Y] - sy + 0.5) * cys - 0.5, s->height, &ty);
            if (!ty.valid) {
                memset(row, 0, g->nx * sizeof(float));
                continue;
            }
            const float *r0 = fib_image_row(inp, ty.i0);
            const float *r1 = fib_image_row(inp, ty.i1);
            for (size_t X = 0; X < g->nx; X++) {
                if (X == xa && xb > xa) {
                    const float *restrict p0 = r0 + ct[xa].i0;
                    const float *restrict p1 = r1 + ct[xa].i0;
                    const float *restrict fx = cf + xa;
                    float *restrict o = row + xa;
                    const float fy = ty.f;
#pragma omp simd
                    for (size_t j = 0; j < xb - xa; j++) {
                        const float a = p0[j] + fx[j] * (p0[j + 1] - p0[j]);
                        const float b = p1[j] + fx[j] * (p1[j + 1] - p1[j]);
                        o[j] = a + fy * (b - a);
                    }
                    X = xb - 1;
                    continue;
                }
                const tap t = ct[X];
                const float a = r0[t.i0] + t.f * (r0[t.i1] - r0[t.i0]);
                const float b = r1[t.i0] + t.f * (r1[t.i1] - r1[t.i0]);
                row[X] = t.valid ? a + ty.f * (b - a) : 0.0f;
            }
        }
        if (!r->p.isotropic) {
            const fib_image *emit = &out;
            if (g->type != FIB_PX_F32) {
                to_type(&out, &typed);
                emit = &typed;
            }
            st = sink->slice(sink->user, zout++, emit, err);
            if (st)
                goto fail;
            continue;
        }
        /* isotropic: emit every z = k dz_out in (zprev, zcur] by linear
         * interpolation between consecutive kept slices */
        const double zcur = (double)i * r->p.slice_nm;
        while (zout < g->nz) {
            const double zk = (double)zout * g->voxel_size_nm[2];
            if (zk > zcur + 1e-9)
                break;
            const fib_image *emit = &out;
            if (have_prev && zk < zcur - 1e-9) {
                const float t = (float)((zk - zprev) / (zcur - zprev));
                for (size_t y = 0; y < g->ny; y++) {
                    const float *a = fib_image_row(&prev, y);
                    const float *b = fib_image_row(&out, y);
                    float *m = fib_image_row(&mix, y);
                    for (size_t x = 0; x < g->nx; x++)
                        m[x] = a[x] + t * (b[x] - a[x]);
                }
                emit = &mix;
            }
            if (g->type != FIB_PX_F32) {
                to_type(emit, &typed);
                emit = &typed;
            }
            st = sink->slice(sink->user, zout++, emit, err);
            if (st)
                goto fail;
        }
        fib_image tmp = prev;
        prev = out;
        out = tmp;
        zprev = zcur;
        have_prev = true;
    }
    /* isotropic output past the last kept slice: repeat it */
    while (r->p.isotropic && zout < g->nz) {
        const fib_image *emit = &prev;
        if (g->type != FIB_PX_F32) {
            to_type(emit, &typed);
            emit = &typed;
        }
        st = sink->slice(sink->user, zout++, emit, err);
        if (st)
            goto fail;
    }
    st = fib_progress_report(prog, "write", n, n, err);
fail:
    fib_image_clear(&in);
    fib_image_clear(&out);
    fib_image_clear(&prev);
    fib_image_clear(&typed);
    fib_image_clear(&mix);
    free(mapx);
    free(mapy);
    free(colt);
    free(colf);
    release(r, bytes);
    return st;
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
