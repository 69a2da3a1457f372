/* recon_solve.c -- the solve of a streaming reconstruction (fib/recon.h;
 * the model is at the top of recon.c): weighted least squares over the
 * measured pairs with outlier rounds, the closure test per pair distance,
 * the output geometry and the valid-region crop. */
#define _POSIX_C_SOURCE 200809L
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recon_stack.h"

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
/* The chain of distance-1 pairs above the quality gate: prefix sums
 * sx, sy (n each: S[i] = sum_{j<i} d(j, j+1)) and gaps (n + 1: missing
 * links below i); each pair's closure_px (-1: its span has a gap). */
static void chain_closures(fib_recon *r, double qgate, double *sx, double *sy,
                           size_t *gaps)
{
    const size_t n = r->src.n_slices;
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
}

/* One axis of the closure statistics of distance @p d (see
 * closure_test()): location, standard error and pull of the closures,
 * and the inconsistent / long-pairs-short flags; @p v: 2n doubles of
 * scratch.  Returns the squared scale (0 without closures). */
static double distance_axis(const fib_recon *r, fib_recon_distance *D, int axis,
                            const double *S, double *v, double qgate, double q,
                            size_t d)
{
    size_t m = 0;
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        if (pr->b - pr->a != d || pr->closure_px < 0 || pr->quality < qgate)
            continue;
        v[m++] = (axis ? pr->dy : pr->dx) - (S[pr->b] - S[pr->a]);
    }
    D->n_closures = m;
    if (!m)
        return 0;
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
    const double sig = fmax(mk > 1 ? sqrt(sum2 / (double)(mk - 1)) : s0, q / 2);
    D->bias_px[axis] = loc;
    D->bias_se_px[axis] = sig / sqrt((double)mk / (double)d);
    const double scale2 = sig * sig;
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
        if (pr->b - pr->a != d || pr->closure_px < 0 || pr->quality < qgate)
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
    return scale2;
}

static void closure_test(fib_recon *r, double qgate, double *s, size_t *gaps)
{
    const size_t n = r->src.n_slices, K = r->K;
    double *sx = s, *sy = s + n, *v = s + 2 * n;
    chain_closures(r, qgate, sx, sy, gaps);
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
        for (int axis = 0; axis < 2; axis++)
            scale2 += distance_axis(r, D, axis, axis ? sy : sx, v, qgate, q, d);
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

fib_status fib__recon_solve(fib_recon *r, fib_error *err)
{
    const size_t n = r->src.n_slices, K = r->K;
    fib_status st = FIB_OK;
    double *ab = NULL, *rhs = NULL, *res = NULL, *cs = NULL;
    size_t *gaps = NULL;
    size_t bytes = n * (K + 1) * sizeof(double) + 2 * n * sizeof(double) +
                   r->n_pairs * sizeof(double) + 4 * n * sizeof(double) +
                   (n + 1) * sizeof(size_t);
    st = fib__recon_charge(r, bytes, "least-squares system", err);
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
    fib__recon_release(r, bytes);
    return st;
}

/* Detrend, zero mean, receding face, per-slice statistics. */
void fib__recon_finish_shifts(fib_recon *r)
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
        /* face term in slices of the nominal thickness: i, or the
         * measured depth / slice_nm */
        const double fs = r->zpos && r->p.slice_nm > 0
                              ? fib__recon_depth_nm(r, i) / r->p.slice_nm
                              : (double)i;
        in->dy = -(py[i] - by * (double)i) + face * fs;
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

void fib__recon_make_geometry(fib_recon *r, size_t kept)
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
    g->z_resampled = r->zpos != NULL && r->src.n_slices > 1;
    if (r->p.isotropic || g->z_resampled) {
        /* z spans the faces of slices 0..n-1 (at slice_nm each, or as
         * measured), sampled every px (isotropic) or slice_nm */
        const double dz = r->p.isotropic ? px : r->p.slice_nm;
        g->voxel_size_nm[2] = dz;
        const double span = fib__recon_depth_nm(r, r->src.n_slices - 1);
        g->nz = dz > 0 ? (size_t)floor(span / dz + 1e-9) + 1 : kept;
    }
    g->full_nx = g->nx;
    g->full_ny = g->ny;
    g->cropped = false;
    g->valid = (fib_recon_rect){0, 0, g->nx, g->ny};
    g->z_begin = 0;
    g->z_end = g->nz;
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
fib_status fib__recon_apply_crop_valid(fib_recon *r, fib_error *err)
{
    fib_recon_geometry *g = &r->geom;
    if (!r->p.crop_valid)
        return FIB_OK;
    double sx_lo = INFINITY, sx_hi = -INFINITY, sy_lo = INFINITY,
           sy_hi = -INFINITY;
    for (size_t i = 0; i < r->src.n_slices; i++) {
        if (r->info[i].skipped)
            continue;
        /* a linear part moves the frame's corners by up to dev more
         * than the shift (models beyond translation; 0 otherwise) */
        double dev[2] = {0, 0};
        if (r->p.model != FIB_RECON_MODEL_TRANSLATION)
            fib__recon_lin_dev(r, i, dev);
        sx_lo = fmin(sx_lo, r->info[i].dx - dev[0]);
        sx_hi = fmax(sx_hi, r->info[i].dx + dev[0]);
        sy_lo = fmin(sy_lo, r->info[i].dy - dev[1]);
        sy_hi = fmax(sy_hi, r->info[i].dy + dev[1]);
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
