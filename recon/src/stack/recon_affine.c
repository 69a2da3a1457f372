/* recon_affine.c -- transformation models beyond translation
 * (fib_recon_model, recon/README.md "Models beyond translation").
 *
 * Per pair (a, b): the alignment region is cut into a TILES x TILES grid;
 * each tile's content shift d_t is measured with the pass-1 aligner
 * (windowed cross-correlation refined by the upsampled DFT) on the tile's
 * own spectra, and the affine map between the slices is fitted to the
 * tile centres x_t (relative to the region centre c):
 *     d_t = L_ab x_t + t_ab   (L_ab = A_b A_a^-1 - I to first order),
 * by weighted least squares (weights: tile peak quality) with
 * residual-trimmed rounds (the least-squares core of the tile / block
 * matching of Saalfeld et al., Nat. Methods 9:717, 2012, without their
 * spring mesh).  The pair's translation stays the whole-region shift d_ab
 * of pass 1 (t_ab extrapolates the tiles to c: noisier where the content
 * changes between slices), moved to the centre c: under a linear
 * distortion the whole-region correlation measures the shift at an
 * effective point x_e of the region (its texture-weighted centre; the
 * digital twin's top rows carry the curtains), not at c.  x_e is one point for
 * the whole series (the region and its texture stay), so it is fitted once over
 * all pairs, d_ab - t_ab = L_ab x_e (weighted least squares, clamped to the
 * region), and every d_ab corrected by -L_ab x_e.
 *
 * Globally, for small distortions L_ab = L_b - L_a to first order, so
 * each of the 4 entries of L_i is solved like the shifts: banded weighted
 * least squares over the kept pairs with the translation solve's weights
 * (peak quality x distance weight x the inverse variance of the tile
 * fit), which also trims the pairs; then, as the prior that scan
 * distortion and charging change slowly over a run, L_i is taken as a
 * cubic in the slice index fitted to all the kept pairs at once (L_ab =
 * P(t_b) - P(t_a), t = 2 i / (n - 1) - 1): the per-pair scatter (the
 * content's own motion, the tiles' noise) then averages over the run
 * instead of accumulating along the chain of pairs as a random walk
 * (bench/results/affine.md); zero mean over the kept slices.  The first-order
 * cross term of the translations, d_ab = T_b - T_a - (L_b - L_a) T_a (T the
 * content positions about the mean frame), is then added back to the pairs and
 * the positions solved again with the same matrix.  The solved L_i is projected
 * on the model: rigid R(theta), similarity (1 + s) R(theta), affine I + L,
 * regularised (1 - lambda) (I + L) + lambda R(theta) (TrakEM2's interpolated
 * affine / rigid model, Saalfeld et al. 2010, 2012), with theta = (l21 - l12) /
 * 2 and s = (l11 + l22) / 2.
 */
#define _POSIX_C_SOURCE 200809L
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recon_stack.h"

/* Tiles per axis: 16 tile shifts fit 6 parameters with 10 degrees of
 * freedom left for the trimming; a tile keeps 1/4 of the region side. */
#define TILES 4
#define NTILE (TILES * TILES)
/* Upsampling factor of the tile shifts (at least; see
 * fib__recon_tiles_create()). */
#define TILE_UPS 50
/* Smallest tile side, px: below it a tile's correlation is too weak. */
#define MIN_TILE 16

struct fib__recon_tiles {
    fib__aligner *al;
    size_t ring;
    size_t x0[NTILE], y0[NTILE];
    double cx[NTILE], cy[NTILE]; /* tile centre - region centre, px */
    void **spec;                 /* ring * NTILE spectra */
};

void fib__recon_lin_centre(const fib_recon *r, double c[2])
{
    c[0] = (double)r->align.x + 0.5 * ((double)r->align.width - 1.0);
    c[1] = (double)r->align.y + 0.5 * ((double)r->align.height - 1.0);
}

fib_status fib__recon_tiles_create(fib_recon *r, int nthreads, size_t ring,
                                   fib__recon_tiles **out, size_t *bytes_out,
                                   fib_error *err)
{
    *out = NULL;
    const size_t tw = r->align.width / TILES, th = r->align.height / TILES;
    if (tw < MIN_TILE || th < MIN_TILE)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: model: the alignment region must be at "
                             "least %d x %d px for the tile grid (got %zu x "
                             "%zu)",
                             TILES * MIN_TILE, TILES * MIN_TILE, r->align.width,
                             r->align.height);
    /* tiles are binned like the whole region when they are large enough
     * (fib__aligner_bin): the tile grid then costs about one pair */
    unsigned bin = fib__aligner_bin(r->p.norm, r->align.width, r->align.height);
    if (tw < 64 || th < 64)
        bin = 1;
    /* the tile shifts of neighbouring slices differ by hundredths of a
     * pixel across the region: they are refined to 1/TILE_UPS px at
     * least (the run's upsample when finer) so that the lattice of the
     * upsampled DFT does not quantise the linear part away */
    const unsigned ups = r->ups > TILE_UPS ? r->ups : TILE_UPS;
    size_t ws = 0;
    if (!fib__aligner_bytes(tw, th, nthreads, ups, bin, &ws))
        return fib_error_set(err, FIB_ERANGE,
                             "recon: tile workspace overflows");
    const size_t bytes =
        ws + ring * NTILE * fib__aligner_spectrum_bytes(tw, th, bin);
    fib_status st = fib__recon_charge(r, bytes, "tile workspace", err);
    if (st)
        return st;
    fib__recon_tiles *t = calloc(1, sizeof *t);
    if (!t) {
        fib__recon_release(r, bytes);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    t->ring = ring;
    double c[2];
    fib__recon_lin_centre(r, c);
    for (size_t j = 0; j < TILES; j++)
        for (size_t i = 0; i < TILES; i++) {
            const size_t k = j * TILES + i;
            t->x0[k] = r->align.x + i * tw;
            t->y0[k] = r->align.y + j * th;
            t->cx[k] = (double)t->x0[k] + 0.5 * ((double)tw - 1.0) - c[0];
            t->cy[k] = (double)t->y0[k] + 0.5 * ((double)th - 1.0) - c[1];
        }
    st = fib__aligner_create(tw, th, nthreads, ups, bin, r->p.tukey_alpha,
                             r->p.norm, &t->al, err);
    if (!st) {
        t->spec = calloc(ring * NTILE, sizeof *t->spec);
        if (!t->spec)
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    for (size_t k = 0; !st && k < ring * NTILE; k++)
        if (!(t->spec[k] = fib__aligner_spectrum_alloc(t->al)))
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (st) {
        fib__recon_tiles_destroy(t);
        fib__recon_release(r, bytes);
        return st;
    }
    *bytes_out = bytes;
    *out = t;
    return FIB_OK;
}

void fib__recon_tiles_destroy(fib__recon_tiles *t)
{
    if (!t)
        return;
    if (t->spec)
        for (size_t k = 0; k < t->ring * NTILE; k++)
            fib__aligner_spectrum_free(t->spec[k]);
    free(t->spec);
    fib__aligner_destroy(t->al);
    free(t);
}

void fib__recon_tiles_spectrum(fib__recon_tiles *t, const fib_image *img,
                               size_t slot)
{
    for (size_t k = 0; k < NTILE; k++)
        fib__aligner_spectrum(t->al, img, t->x0[k], t->y0[k],
                              t->spec[slot * NTILE + k]);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t m)
{
    if (!m)
        return 0.0;
    qsort(v, m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* Weighted least squares of d = l1 x + l2 y + t over the kept tiles
 * (3 x 3 normal equations, Cramer's rule); false when degenerate. */
static bool fit_axis(const double *x, const double *y, const double *d,
                     const double *w, const bool *keep, double out[3])
{
    double m[3][3] = {{0}}, b[3] = {0};
    for (size_t k = 0; k < NTILE; k++) {
        if (!keep[k])
            continue;
        const double v[3] = {x[k], y[k], 1.0};
        for (int i = 0; i < 3; i++) {
            b[i] += w[k] * v[i] * d[k];
            for (int j = 0; j < 3; j++)
                m[i][j] += w[k] * v[i] * v[j];
        }
    }
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const double scale = m[0][0] * m[1][1] * m[2][2];
    if (!(fabs(det) > 1e-9 * scale) || !(scale > 0))
        return false;
    for (int c = 0; c < 3; c++) {
        double a[3][3];
        memcpy(a, m, sizeof a);
        for (int i = 0; i < 3; i++)
            a[i][c] = b[i];
        out[c] = (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                  a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                  a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])) /
                 det;
    }
    return true;
}

void fib__recon_tiles_pair(fib__recon_tiles *t, int thread, size_t a_slot,
                           size_t b_slot, double lin[4], double shift[3],
                           size_t *tiles_used)
{
    double dx[NTILE], dy[NTILE], q[NTILE], tmp[NTILE];
    bool keep[NTILE];
    memset(lin, 0, 4 * sizeof *lin);
    *tiles_used = 0;
    for (size_t k = 0; k < NTILE; k++) {
        fib__aligner_pair(t->al, thread, t->spec[a_slot * NTILE + k],
                          t->spec[b_slot * NTILE + k], &dx[k], &dy[k], &q[k]);
        tmp[k] = q[k];
    }
    /* tiles with a weak peak (under 0.3 x the median tile quality: blank
     * or featureless tiles) do not enter the fit */
    const double qgate = 0.3 * median_of(tmp, NTILE);
    size_t n = 0;
    for (size_t k = 0; k < NTILE; k++) {
        keep[k] = q[k] > qgate && q[k] > 0;
        n += keep[k];
    }
    double fx[3], fy[3];
    /* up to 3 rounds: fit, then keep the tiles whose residual is within
     * max(3 x 1.4826 x median residual, 0.1 px) of the fit */
    for (int round = 0; round < 3; round++) {
        if (n < 6 || !fit_axis(t->cx, t->cy, dx, q, keep, fx) ||
            !fit_axis(t->cx, t->cy, dy, q, keep, fy))
            return;
        double res[NTILE];
        size_t m = 0;
        for (size_t k = 0; k < NTILE; k++) {
            const double ex =
                fx[0] * t->cx[k] + fx[1] * t->cy[k] + fx[2] - dx[k];
            const double ey =
                fy[0] * t->cx[k] + fy[1] * t->cy[k] + fy[2] - dy[k];
            res[k] = sqrt(ex * ex + ey * ey);
            if (keep[k])
                tmp[m++] = res[k];
        }
        const double thr = fmax(3.0 * 1.4826 * median_of(tmp, m), 0.1);
        bool changed = false;
        n = 0;
        for (size_t k = 0; k < NTILE; k++) {
            const bool kk = q[k] > qgate && q[k] > 0 && res[k] <= thr;
            changed |= kk != keep[k];
            keep[k] = kk;
            n += kk;
        }
        if (!changed)
            break;
    }
    if (n < 6 || !fit_axis(t->cx, t->cy, dx, q, keep, fx) ||
        !fit_axis(t->cx, t->cy, dy, q, keep, fy))
        return;
    lin[0] = fx[0];
    lin[1] = fx[1];
    lin[2] = fy[0];
    lin[3] = fy[1];
    shift[0] = fx[2];
    shift[1] = fy[2];
    double ss = 0;
    for (size_t k = 0; k < NTILE; k++)
        if (keep[k]) {
            const double ex =
                fx[0] * t->cx[k] + fx[1] * t->cy[k] + fx[2] - dx[k];
            const double ey =
                fy[0] * t->cx[k] + fy[1] * t->cy[k] + fy[2] - dy[k];
            ss += ex * ex + ey * ey;
        }
    shift[2] = sqrt(ss / (double)n);
    *tiles_used = n;
}

/* ---- global solve ------------------------------------------------------ */

/* Solve the banded system of the pairs in @p use with the translation
 * solve's weights for @p ncol right-hand sides (rhs: ncol x n, column
 * major; pair k contributes col[c][k] to column c); slice 0 is pinned.
 * @p ab: n (K + 1) doubles. */
static fib_status band_solve(const fib_recon *r, const bool *use,
                             const double *fac, const double *const *col,
                             int ncol, double *ab, double *rhs, fib_error *err)
{
    const size_t n = r->src.n_slices, K = r->K, ld = K + 1;
    memset(ab, 0, n * ld * sizeof(double));
    memset(rhs, 0, (size_t)ncol * n * sizeof(double));
#define AB(i, j) ab[(K + (i) - (j)) + (j)*ld]
    double wsum = 0.0;
    size_t nused = 0;
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        const double wk = r->dist[pr->b - pr->a - 1].weight;
        if (!use[k] || !(wk > 0))
            continue;
        const double w = (pr->quality > 1e-3 ? pr->quality : 1e-3) * wk *
                         (fac ? fac[k] : 1.0);
        AB(pr->a, pr->a) += w;
        AB(pr->b, pr->b) += w;
        AB(pr->a, pr->b) -= w;
        for (int c = 0; c < ncol; c++) {
            rhs[(size_t)c * n + pr->b] += w * col[c][k];
            rhs[(size_t)c * n + pr->a] -= w * col[c][k];
        }
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
    const lapack_int info =
        LAPACKE_dpbsv(LAPACK_COL_MAJOR, 'U', (lapack_int)n, (lapack_int)K,
                      (lapack_int)ncol, ab, (lapack_int)ld, rhs, (lapack_int)n);
    if (info != 0)
        return fib_error_set(err, FIB_ENUMERIC,
                             "recon: linear-part solve failed (dpbsv info %d)",
                             (int)info);
    return FIB_OK;
}

/* Subtract the mean over the kept slices from v[0..n). */
static void zero_mean(const fib_recon *r, double *v)
{
    const size_t n = r->src.n_slices;
    double m = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (!r->info[i].skipped) {
            m += v[i];
            cnt++;
        }
    m = cnt ? m / (double)cnt : 0;
    for (size_t i = 0; i < n; i++)
        v[i] -= m;
}

/* A_i from the solved L_i for the model (see top). */
static void project_model(const fib_recon *r, const double l[4], double a[4])
{
    const double th = 0.5 * (l[2] - l[1]), s = 0.5 * (l[0] + l[3]);
    const double c = cos(th), sn = sin(th);
    const double lam = r->p.model_lambda > 0 ? r->p.model_lambda : 0.1;
    switch (r->p.model) {
    case FIB_RECON_MODEL_RIGID:
        a[0] = c, a[1] = -sn, a[2] = sn, a[3] = c;
        break;
    case FIB_RECON_MODEL_SIMILARITY:
        a[0] = (1 + s) * c, a[1] = -(1 + s) * sn;
        a[2] = (1 + s) * sn, a[3] = (1 + s) * c;
        break;
    case FIB_RECON_MODEL_REGULARIZED_AFFINE: {
        const double rr[4] = {c, -sn, sn, c};
        for (int j = 0; j < 4; j++)
            a[j] = (1 - lam) * ((j == 0 || j == 3) + l[j]) + lam * rr[j];
        break;
    }
    default:
        for (int j = 0; j < 4; j++)
            a[j] = (j == 0 || j == 3) + l[j];
        break;
    }
}

/* The pairs of the linear solve, their residual trimming (up to 3 rounds:
 * a pair whose linear residual moves the region's corner by more than
 * max(4 x 1.4826 x median, 0.05 px) leaves) and the solved L (4n). */
static fib_status solve_l(fib_recon *r, bool *use, double *ab, double *l,
                          double *res, fib_error *err)
{
    const size_t n = r->src.n_slices;
    const double half =
        0.5 * hypot((double)r->align.width, (double)r->align.height);
    const double *cols[4];
    double *lc = malloc(4 * (r->n_pairs ? r->n_pairs : 1) * sizeof *lc);
    if (!lc)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (int c = 0; c < 4; c++) {
        for (size_t k = 0; k < r->n_pairs; k++)
            lc[(size_t)c * r->n_pairs + k] = r->plin[k].lin[c];
        cols[c] = lc + (size_t)c * r->n_pairs;
    }
    for (size_t k = 0; k < r->n_pairs; k++)
        use[k] = r->pairs[k].used && r->plin[k].tiles > 0;
    /* inverse-variance factor of each pair's linear part: the variance of
     * a least-squares slope scales with the fit's residual variance, so
     * pairs whose tiles scatter more (a tile over a border after a jump,
     * changed content) count less; normalised to mean 1 over the pairs
     * (a floor of 0.01 px keeps exact fits finite) */
    double *fac = res + 2 * r->n_pairs, fsum = 0;
    size_t fn = 0;
    for (size_t k = 0; k < r->n_pairs; k++) {
        const double s2 = fmax(r->plin[k].rms_px, 0.01);
        fac[k] = 1.0 / (s2 * s2);
        if (use[k]) {
            fsum += fac[k];
            fn++;
        }
    }
    for (size_t k = 0; k < r->n_pairs && fn; k++)
        fac[k] *= (double)fn / fsum;
    fib_status st = FIB_OK;
    for (int round = 0; round < 3 && !st; round++) {
        st = band_solve(r, use, fac, cols, 4, ab, l, err);
        if (st || r->p.no_reject)
            break;
        size_t m = 0;
        double *e = res + r->n_pairs;
        for (size_t k = 0; k < r->n_pairs; k++) {
            const fib_recon_pair *pr = &r->pairs[k];
            double s2 = 0;
            for (int c = 0; c < 4; c++) {
                const double d = l[(size_t)c * n + pr->b] -
                                 l[(size_t)c * n + pr->a] - r->plin[k].lin[c];
                s2 += d * d;
            }
            res[k] = sqrt(s2) * half;
            if (use[k])
                e[m++] = res[k];
        }
        if (m < 3)
            break;
        const double thr = fmax(4.0 * 1.4826 * median_of(e, m), 0.05);
        bool changed = false;
        for (size_t k = 0; k < r->n_pairs; k++) {
            const bool u =
                r->pairs[k].used && r->plin[k].tiles > 0 && res[k] <= thr;
            changed |= u != use[k];
            use[k] = u;
        }
        if (!changed)
            break;
    }
    free(lc);
    return st;
}

/* The effective point x_e of the whole-region shifts (see top): weighted
 * least squares of d_ab - t_ab = L_ab x_e over the pairs in @p use
 * (2 x 2 normal equations), clamped to the alignment region; 0 when the
 * linear parts are too small to tell. */
static void effective_point(const fib_recon *r, const bool *use, double xe[2])
{
    double m00 = 0, m01 = 0, m11 = 0, b0 = 0, b1 = 0;
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        if (!use[k])
            continue;
        const double w = pr->quality, *L = r->plin[k].lin;
        const double ex = pr->dx - r->plin[k].shift[0];
        const double ey = pr->dy - r->plin[k].shift[1];
        m00 += w * (L[0] * L[0] + L[2] * L[2]);
        m01 += w * (L[0] * L[1] + L[2] * L[3]);
        m11 += w * (L[1] * L[1] + L[3] * L[3]);
        b0 += w * (L[0] * ex + L[2] * ey);
        b1 += w * (L[1] * ex + L[3] * ey);
    }
    const double det = m00 * m11 - m01 * m01;
    xe[0] = xe[1] = 0;
    if (!(det > 1e-12 * (m00 * m11)) || !(m00 > 0))
        return;
    const double hx = 0.5 * (double)r->align.width;
    const double hy = 0.5 * (double)r->align.height;
    xe[0] = fmin(fmax((m11 * b0 - m01 * b1) / det, -hx), hx);
    xe[1] = fmin(fmax((m00 * b1 - m01 * b0) / det, -hy), hy);
}

/* Polynomial of degree @p deg (no constant: the gauge) in the slice index
 * t = 2 i / (n - 1) - 1 fitted to the pairs in @p use, L_ab = P(t_b) -
 * P(t_a), for each of the 4 entries, weights as the band solve's (see
 * top); written to l (4n). */
static void poly_fit(const fib_recon *r, const bool *use, const double *fac,
                     int deg, double *l)
{
    const size_t n = r->src.n_slices;
    const double sc = n > 1 ? 2.0 / (double)(n - 1) : 0.0;
    for (int c = 0; c < 4; c++) {
        double m[3][4] = {{0}};
        for (size_t k = 0; k < r->n_pairs; k++) {
            const fib_recon_pair *pr = &r->pairs[k];
            const double wk = r->dist[pr->b - pr->a - 1].weight;
            if (!use[k] || !(wk > 0))
                continue;
            const double w =
                (pr->quality > 1e-3 ? pr->quality : 1e-3) * wk * fac[k];
            const double ta = (double)pr->a * sc - 1,
                         tb = (double)pr->b * sc - 1;
            double g[3], pa = 1, pb = 1;
            for (int j = 0; j < deg; j++) {
                pa *= ta;
                pb *= tb;
                g[j] = pb - pa;
            }
            for (int i = 0; i < deg; i++) {
                for (int j = 0; j < deg; j++)
                    m[i][j] += w * g[i] * g[j];
                m[i][3] += w * g[i] * r->plin[k].lin[c];
            }
        }
        /* Gauss-Jordan on the deg x deg system (symmetric positive) */
        double coef[3] = {0, 0, 0};
        bool ok = true;
        for (int i = 0; i < deg && ok; i++) {
            const double piv = m[i][i];
            if (!(fabs(piv) > 1e-300)) {
                ok = false;
                break;
            }
            for (int j = 0; j < deg; j++) {
                if (j == i)
                    continue;
                const double f = m[j][i] / piv;
                for (int q = 0; q < 4; q++)
                    m[j][q] -= f * m[i][q];
            }
        }
        for (int i = 0; i < deg && ok; i++)
            coef[i] = m[i][3] / m[i][i];
        for (size_t i = 0; i < n; i++) {
            const double t = (double)i * sc - 1;
            double v = 0, p = 1;
            for (int j = 0; j < deg; j++) {
                p *= t;
                v += coef[j] * p;
            }
            l[(size_t)c * n + i] = v;
        }
    }
}

fib_status fib__recon_solve_linear(fib_recon *r, fib_error *err)
{
    const size_t n = r->src.n_slices, np = r->n_pairs ? r->n_pairs : 1;
    const size_t mx = n > np ? n : np;
    const size_t bytes = n * (r->K + 1) * sizeof(double) +
                         6 * n * sizeof(double) + 4 * mx * sizeof(double) +
                         np * sizeof(bool);
    fib_status st = fib__recon_charge(r, bytes, "linear-part system", err);
    if (st)
        return st;
    double *ab = malloc(n * (r->K + 1) * sizeof *ab);
    double *l = malloc(4 * n * sizeof *l);
    double *res = malloc(4 * mx * sizeof *res);
    bool *use = malloc(np * sizeof *use);
    if (!ab || !l || !res || !use) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    st = solve_l(r, use, ab, l, res, err);
    if (st)
        goto done;
    /* the slow-distortion prior: a cubic in the slice index over the
     * kept pairs (fewer terms for under 5 slices; see top) */
    if (n >= 2)
        poly_fit(r, use, res + 2 * r->n_pairs, n >= 5 ? 3 : (int)n - 1, l);
    for (int c = 0; c < 4; c++)
        zero_mean(r, l + (size_t)c * n);
    /* cross term: d_ab + (L_b - L_a) T_a, T about the mean frame; the
     * positions move by the solve of the correction alone (linear, same
     * pairs and weights as the translation solve) */
    double xe[2];
    effective_point(r, use, xe);
    double *tx = res, *ty = res + mx, *cx = res + 2 * mx, *cy = res + 3 * mx;
    memcpy(tx, r->pos, n * sizeof *tx);
    memcpy(ty, r->pos + n, n * sizeof *ty);
    zero_mean(r, tx);
    zero_mean(r, ty);
    for (size_t k = 0; k < r->n_pairs; k++) {
        const fib_recon_pair *pr = &r->pairs[k];
        const size_t a = pr->a, b = pr->b;
        cx[k] = ((l[b] - l[a]) * tx[a] + (l[n + b] - l[n + a]) * ty[a]);
        cy[k] = ((l[2 * n + b] - l[2 * n + a]) * tx[a] +
                 (l[3 * n + b] - l[3 * n + a]) * ty[a]);
        const double *L = r->plin[k].lin;
        if (r->plin[k].tiles) {
            cx[k] -= L[0] * xe[0] + L[1] * xe[1];
            cy[k] -= L[2] * xe[0] + L[3] * xe[1];
        }
        use[k] = pr->used;
    }
    const double *cols[2] = {cx, cy};
    double *corr = malloc(2 * n * sizeof *corr);
    if (!corr) {
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        goto done;
    }
    st = band_solve(r, use, NULL, cols, 2, ab, corr, err);
    if (!st)
        for (size_t i = 0; i < 2 * n; i++)
            r->pos[i] += corr[i];
    free(corr);
    if (st)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const double li[4] = {l[i], l[n + i], l[2 * n + i], l[3 * n + i]};
        project_model(r, li, r->info[i].a);
    }
done:
    free(ab);
    free(l);
    free(res);
    free(use);
    fib__recon_release(r, bytes);
    return st;
}

void fib__recon_lin_dev(const fib_recon *r, size_t i, double dev[2])
{
    const double *a = r->info[i].a;
    double c[2];
    fib__recon_lin_centre(r, c);
    dev[0] = dev[1] = 0;
    const double xs[2] = {(double)r->crop.x - 0.5 - c[0],
                          (double)(r->crop.x + r->crop.width) - 0.5 - c[0]};
    const double ys[2] = {(double)r->crop.y - 0.5 - c[1],
                          (double)(r->crop.y + r->crop.height) - 0.5 - c[1]};
    for (int u = 0; u < 2; u++)
        for (int v = 0; v < 2; v++) {
            dev[0] = fmax(dev[0], fabs((a[0] - 1) * xs[u] + a[1] * ys[v]));
            dev[1] = fmax(dev[1], fabs(a[2] * xs[u] + (a[3] - 1) * ys[v]));
        }
}
