/*
 * features_pass.c -- the 1-D Gaussian-derivative passes and the
 * per-section pipelines of fib_features_compute()
 * (analysis/FEATURES.md has the formulas).
 *
 * Every output value is a fixed sequence of float operations on fixed
 * inputs (element-wise loops, taps in one order, no reductions across
 * elements), so a value does not depend on which other values are
 * computed with it, on the slab or on the thread that computes it.
 */
#include <math.h>
#include <string.h>

#include "features_internal.h"

/* ------------------------------------------------------------------ */
/* kernels                                                             */

int fib__feat_radius(double sigma, int order)
{
    if (sigma < FIB__FEAT_SIGMA_MIN)
        sigma = FIB__FEAT_SIGMA_MIN;
    double r = ceil((3.0 + 0.5 * order) * sigma - 1e-9);
    return r < 1.0 ? 1 : (int)r;
}

/*
 * Sampled Gaussian g[k] = exp(-k^2 / (2 sigma^2)), |k| <= r, normalised
 * on the truncated window so that polynomials are differentiated exactly
 * (the moment conditions of vigra's Kernel1D::initGaussianDerivative):
 *   order 0: sum w = 1;
 *   order 1: w[k] = k g[k] / sum_j j^2 g[j]  ->  sum k w[k] = 1 (a ramp of
 *            slope m gives m; the even moments vanish by antisymmetry);
 *   order 2: w[k] = g[k] (k^2 - m2) scaled, m2 = sum j^2 g / sum g, so that
 *            sum w = 0 and sum k^2 w[k] = 2 (x^2 gives 2).
 * The correlation form out[i] = sum_k w[k] in[i + k] makes the order-1
 * kernel the derivative d/dx (not its mirror).
 */
void fib__feat_kernel(double sigma, int order, double f, float *h)
{
    if (sigma < FIB__FEAT_SIGMA_MIN)
        sigma = FIB__FEAT_SIGMA_MIN;
    int r = fib__feat_radius(sigma, order);
    double s0 = 0, s2 = 0, s4 = 0;
    for (int k = 0; k <= r; k++) {
        double gk = exp(-(double)k * k / (2.0 * sigma * sigma));
        double mult = k == 0 ? 1.0 : 2.0;
        s0 += mult * gk;
        s2 += mult * k * (double)k * gk;
        s4 += mult * (double)k * k * k * k * gk;
    }
    double m2 = s2 / s0;
    /* sum_all k^2 g (k^2 - m2) = s4 - m2 s2 */
    double d2 = s4 - m2 * s2;
    for (int k = 0; k <= r; k++) {
        double gk = exp(-(double)k * k / (2.0 * sigma * sigma));
        double w;
        if (order == 0)
            w = gk / s0;
        else if (order == 1)
            w = (double)k * gk / s2 * f;
        else
            w = 2.0 * gk * ((double)k * k - m2) / d2 * f * f;
        h[k] = (float)w;
    }
}

/* ------------------------------------------------------------------ */
/* element-wise primitives (vectorised by the compiler)                */

FIB__FEAT_CLONES static void v_init(float *restrict d, const float *restrict a,
                                    float h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = h * a[i];
}

FIB__FEAT_CLONES static void v_sym(float *restrict d, const float *restrict a,
                                   const float *restrict b, float h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] += h * (a[i] + b[i]);
}

FIB__FEAT_CLONES static void v_anti(float *restrict d, const float *restrict a,
                                    const float *restrict b, float h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] += h * (a[i] - b[i]);
}

FIB__FEAT_CLONES static void
v_init_sq(float *restrict d, const float *restrict a, float h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = h * (a[i] * a[i]);
}

FIB__FEAT_CLONES static void v_sym_sq(float *restrict d,
                                      const float *restrict a,
                                      const float *restrict b, float h,
                                      size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] += h * (a[i] * a[i] + b[i] * b[i]);
}

FIB__FEAT_CLONES static void v_init_pr(float *restrict d,
                                       const float *restrict a,
                                       const float *restrict b, float h,
                                       size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = h * (a[i] * b[i]);
}

FIB__FEAT_CLONES static void
v_sym_pr(float *restrict d, const float *restrict a1, const float *restrict b1,
         const float *restrict a2, const float *restrict b2, float h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] += h * (a1[i] * b1[i] + a2[i] * b2[i]);
}

/* Two taps in one sweep: the same additions in the same order as two
 * calls of v_sym / v_anti (each sum rounded to float), one load and store
 * of d fewer. */
FIB__FEAT_CLONES static void v_sym2(float *restrict d, const float *restrict a,
                                    const float *restrict b,
                                    const float *restrict a2,
                                    const float *restrict b2, float h, float h2,
                                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float t = d[i] + h * (a[i] + b[i]);
        d[i] = t + h2 * (a2[i] + b2[i]);
    }
}

FIB__FEAT_CLONES static void v_anti2(float *restrict d, const float *restrict a,
                                     const float *restrict b,
                                     const float *restrict a2,
                                     const float *restrict b2, float h,
                                     float h2, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float t = d[i] + h * (a[i] - b[i]);
        d[i] = t + h2 * (a2[i] - b2[i]);
    }
}

FIB__FEAT_CLONES static void
v_sym_pr2(float *restrict d, const float *restrict a1, const float *restrict b1,
          const float *restrict a2, const float *restrict b2,
          const float *restrict a3, const float *restrict b3,
          const float *restrict a4, const float *restrict b4, float h, float h2,
          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float t = d[i] + h * (a1[i] * b1[i] + a2[i] * b2[i]);
        d[i] = t + h2 * (a3[i] * b3[i] + a4[i] * b4[i]);
    }
}

/* Four taps in one sweep (as four calls of v_sym / v_anti, in order). */
FIB__FEAT_CLONES static void v_sym4(float *restrict d,
                                    const float *const *restrict ab,
                                    const float *restrict h, size_t n)
{
    const float *restrict a0 = ab[0], *restrict b0 = ab[1];
    const float *restrict a1 = ab[2], *restrict b1 = ab[3];
    const float *restrict a2 = ab[4], *restrict b2 = ab[5];
    const float *restrict a3 = ab[6], *restrict b3 = ab[7];
    const float h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
    for (size_t i = 0; i < n; i++) {
        float t = d[i] + h0 * (a0[i] + b0[i]);
        t = t + h1 * (a1[i] + b1[i]);
        t = t + h2 * (a2[i] + b2[i]);
        d[i] = t + h3 * (a3[i] + b3[i]);
    }
}

FIB__FEAT_CLONES static void v_anti4(float *restrict d,
                                     const float *const *restrict ab,
                                     const float *restrict h, size_t n)
{
    const float *restrict a0 = ab[0], *restrict b0 = ab[1];
    const float *restrict a1 = ab[2], *restrict b1 = ab[3];
    const float *restrict a2 = ab[4], *restrict b2 = ab[5];
    const float *restrict a3 = ab[6], *restrict b3 = ab[7];
    const float h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
    for (size_t i = 0; i < n; i++) {
        float t = d[i] + h0 * (a0[i] - b0[i]);
        t = t + h1 * (a1[i] - b1[i]);
        t = t + h2 * (a2[i] - b2[i]);
        d[i] = t + h3 * (a3[i] - b3[i]);
    }
}

/* One kernel along a line set: d = sum_k w[k] src(+k) where src(+k) and
 * src(-k) are the lines at offsets +k and -k (given by @p at). */
typedef const float *(*line_at)(const void *ctx, ptrdiff_t k);

static void apply(float *restrict d, const fib__fkern *K, line_at at,
                  const void *ctx, size_t n)
{
    if (K->order == 1)
        memset(d, 0, n * sizeof *d);
    else
        v_init(d, at(ctx, 0), K->h[0], n);
    int k = 1;
    for (; k + 3 <= K->r; k += 4) {
        const float *ab[8];
        for (int j = 0; j < 4; j++) {
            ab[2 * j] = at(ctx, k + j);
            ab[2 * j + 1] = at(ctx, -k - j);
        }
        if (K->order == 1)
            v_anti4(d, ab, K->h + k, n);
        else
            v_sym4(d, ab, K->h + k, n);
    }
    for (; k + 1 <= K->r; k += 2) {
        const float *a = at(ctx, k), *b = at(ctx, -k);
        const float *a2 = at(ctx, k + 1), *b2 = at(ctx, -k - 1);
        if (K->order == 1)
            v_anti2(d, a, b, a2, b2, K->h[k], K->h[k + 1], n);
        else
            v_sym2(d, a, b, a2, b2, K->h[k], K->h[k + 1], n);
    }
    if (k <= K->r) {
        const float *a = at(ctx, k), *b = at(ctx, -k);
        if (K->order == 1)
            v_anti(d, a, b, K->h[k], n);
        else
            v_sym(d, a, b, K->h[k], n);
    }
}

/* ------------------------------------------------------------------ */
/* z pass: planes of the input, chunked so the output stays in cache   */

#define CHUNK 2048

typedef struct zctx {
    const float *base; /* input section 0 of the volume (virtual) */
    size_t plane, vol_nz, z, off;
    size_t in_z0;
} zctx;

static const float *z_at(const void *c, ptrdiff_t k)
{
    const zctx *z = c;
    size_t s = fib__mirror((ptrdiff_t)z->z + k, z->vol_nz) - z->in_z0;
    return z->base + s * z->plane + z->off;
}

/* d = the z kernel K on section z of the input (squared when sq). */
static void zpass(const fib__fplan *pl, const fib__fvol *v, size_t z,
                  const fib__fkern *K, bool sq, float *d)
{
    zctx c = {v->in, pl->plane, v->vol_nz, z, 0, v->in_z0};
    for (size_t o = 0; o < pl->plane; o += CHUNK) {
        size_t n = pl->plane - o < CHUNK ? pl->plane - o : CHUNK;
        c.off = o;
        if (!sq) {
            apply(d + o, K, z_at, &c, n);
            continue;
        }
        v_init_sq(d + o, z_at(&c, 0), K->h[0], n);
        for (int k = 1; k <= K->r; k++)
            v_sym_sq(d + o, z_at(&c, k), z_at(&c, -k), K->h[k], n);
    }
}

/* ------------------------------------------------------------------ */
/* y pass: rows of a plane                                             */

typedef struct yctx {
    const float *src;
    size_t nx, ny, y;
} yctx;

static const float *y_at(const void *c, ptrdiff_t k)
{
    const yctx *y = c;
    return y->src + fib__mirror((ptrdiff_t)y->y + k, y->ny) * y->nx;
}

/* Row y of a padded plane (row stride nx + 2 pad_r, element 0 at pad_r). */
static float *prow(const fib__fplan *pl, float *plane, size_t y)
{
    return plane + y * pl->pstride + pl->pad_r;
}

/* y pass of plane @p src (nx x ny, contiguous) into the padded plane
 * @p d, whose rows then get their reflected borders for the x pass
 * (d[-i] = d[i], d[nx - 1 + i] = d[nx - 1 - i], repeatedly reflected). */
static void ypass(const fib__fplan *pl, const float *src, const fib__fkern *K,
                  float *d)
{
    yctx c = {src, pl->nx, pl->ny, 0};
    ptrdiff_t r = (ptrdiff_t)pl->pad_r, n = (ptrdiff_t)pl->nx;
    for (size_t y = 0; y < pl->ny; y++) {
        c.y = y;
        float *row = prow(pl, d, y);
        apply(row, K, y_at, &c, pl->nx);
        for (ptrdiff_t i = -r; i < 0; i++)
            row[i] = row[fib__mirror(i, pl->nx)];
        for (ptrdiff_t i = n; i < n + r; i++)
            row[i] = row[fib__mirror(i, pl->nx)];
    }
}

/* ------------------------------------------------------------------ */
/* x pass: on a row of a padded plane                                  */

static const float *x_at(const void *c, ptrdiff_t k)
{
    return (const float *)c + k;
}

static void xpass(const fib__fplan *pl, const float *padded,
                  const fib__fkern *K, float *d)
{
    apply(d, K, x_at, padded, pl->nx);
}

/* ------------------------------------------------------------------ */
/* per-section pipelines                                               */

/* Rows: the filtered rows, then the derived channels. */
enum {
    S,
    DX,
    DXX,
    DY,
    DXY,
    DYY,
    DZ,
    DXZ,
    DYZ,
    DZZ,
    SD,
    SV,
    LOG,
    GM,
    DOG,
    H0,
    VAR = H0 + 3,
    NROWS
};
_Static_assert(NROWS <= FIB__FEAT_ROWS, "workspace rows");

/* What a section computes: the rows that feed its channels. */
typedef struct need {
    bool row[FIB__FEAT_ROWS];
} need;

static need section_needs(const fib__fplan *pl, bool out, bool grad)
{
    need n;
    memset(&n, 0, sizeof n);
    unsigned s = out ? pl->sets : 0;
    bool g = grad || (s & FIB_FEAT_GRADMAG);
    bool d2 = s & (FIB_FEAT_LOG | FIB_FEAT_HESSIAN);
    bool off = s & FIB_FEAT_HESSIAN;
    n.row[S] = s & (FIB_FEAT_GAUSS | FIB_FEAT_DOG | FIB_FEAT_VARIANCE);
    n.row[DX] = n.row[DY] = n.row[DZ] = g;
    n.row[DXX] = n.row[DYY] = n.row[DZZ] = d2;
    n.row[DXY] = n.row[DXZ] = n.row[DYZ] = off;
    n.row[SD] = s & FIB_FEAT_DOG;
    n.row[SV] = s & FIB_FEAT_VARIANCE;
    return n;
}

/* out[x * stride + dst[k]] = src[k][x] for the m channels: each voxel's
 * values written together (one cache line or two per voxel). */
static void interleave(size_t nx, size_t stride, int m,
                       const float *const src[], const size_t dst[], float *out)
{
    for (size_t x = 0; x < nx; x++) {
        float *o = out + x * stride;
        for (int k = 0; k < m; k++)
            o[dst[k]] = src[k][x];
    }
}

/* The per-voxel channels of a row (all but the structure tensor): each
 * channel into a row of its own (element-wise, vectorised), then stored. */
static void emit_row(const fib__fplan *pl, const fib__fscale *sc,
                     float *const r[FIB__FEAT_ROWS], float *out)
{
    const long *ch = sc->ch;
    const size_t nx = pl->nx;
    const float *src[8];
    size_t dst[8];
    int m = 0;
    if (ch[0] >= 0)
        src[m] = r[S], dst[m++] = (size_t)ch[0];
    if (ch[1] >= 0) {
        for (size_t x = 0; x < nx; x++)
            r[LOG][x] = r[DXX][x] + r[DYY][x] + r[DZZ][x];
        src[m] = r[LOG], dst[m++] = (size_t)ch[1];
    }
    if (ch[2] >= 0) {
        for (size_t x = 0; x < nx; x++)
            r[GM][x] = sqrtf(r[DX][x] * r[DX][x] + r[DY][x] * r[DY][x] +
                             r[DZ][x] * r[DZ][x]);
        src[m] = r[GM], dst[m++] = (size_t)ch[2];
    }
    if (ch[3] >= 0) {
        for (size_t x = 0; x < nx; x++)
            r[DOG][x] = r[S][x] - r[SD][x];
        src[m] = r[DOG], dst[m++] = (size_t)ch[3];
    }
    if (ch[5] >= 0) {
        fib__feat_eig3_row(nx, r[DXX], r[DYY], r[DZZ], r[DXY], r[DXZ], r[DYZ],
                           r[H0], r[H0 + 1], r[H0 + 2]);
        for (int k = 0; k < 3; k++)
            src[m] = r[H0 + k], dst[m++] = (size_t)ch[5] + (size_t)k;
    }
    if (ch[6] >= 0) {
        for (size_t x = 0; x < nx; x++) {
            float var = r[SV][x] - r[S][x] * r[S][x];
            r[VAR][x] = var < 0.0f ? 0.0f : var; /* a NaN stays */
        }
        src[m] = r[VAR], dst[m++] = (size_t)ch[6];
    }
    interleave(nx, pl->nch, m, src, dst, out);
}

/*
 * Planes of the workspace: P[0..2] = z pass of orders 0, 1, 2; then the y
 * passes Y00 (y0 of z0), Y10, Y20, Y01, Y11, Y02 in P[3..8]; the DoG and
 * the variance reuse P[0..2] once the y passes are done.
 */
void fib__feat_section(const fib__fplan *pl, const fib__fscale *sc,
                       const fib__fvol *v, size_t zd, float *ws, float *out,
                       float *grad, size_t grad_stride)
{
    const size_t nx = pl->nx;
    float *P[FIB__FEAT_PLANES], *R[FIB__FEAT_ROWS];
    for (int i = 0; i < FIB__FEAT_PLANES; i++)
        P[i] = ws + (size_t)i * pl->pplane;
    for (int i = 0; i < FIB__FEAT_ROWS; i++)
        R[i] = ws + FIB__FEAT_PLANES * pl->pplane + (size_t)i * nx;
    need n = section_needs(pl, out != NULL, grad != NULL);
    const bool *u = n.row;
    bool z0 = u[S] || u[DX] || u[DY] || u[DXX] || u[DYY] || u[DXY];
    bool z1 = u[DZ] || u[DXZ] || u[DYZ];
    bool y00 = u[S] || u[DX] || u[DXX], y10 = u[DY] || u[DXY];
    if (z0)
        zpass(pl, v, zd, &sc->k[2][0], false, P[0]);
    if (z1)
        zpass(pl, v, zd, &sc->k[2][1], false, P[1]);
    if (u[DZZ])
        zpass(pl, v, zd, &sc->k[2][2], false, P[2]);
    if (y00)
        ypass(pl, P[0], &sc->k[1][0], P[3]);
    if (y10)
        ypass(pl, P[0], &sc->k[1][1], P[4]);
    if (u[DYY])
        ypass(pl, P[0], &sc->k[1][2], P[5]);
    if (u[DZ] || u[DXZ])
        ypass(pl, P[1], &sc->k[1][0], P[6]);
    if (u[DYZ])
        ypass(pl, P[1], &sc->k[1][1], P[7]);
    if (u[DZZ])
        ypass(pl, P[2], &sc->k[1][0], P[8]);
    if (u[SD]) {
        zpass(pl, v, zd, &sc->dog[2], false, P[0]);
        ypass(pl, P[0], &sc->dog[1], P[1]);
    }
    if (u[SV]) {
        zpass(pl, v, zd, &sc->k[2][0], true, P[2]);
        ypass(pl, P[2], &sc->k[1][0], P[0]);
    }
    for (size_t y = 0; y < pl->ny; y++) {
        size_t o = y * nx;
        const float *p;
        if (grad) { /* the gradient rows go straight to the store */
            R[DX] = grad + o;
            R[DY] = grad + grad_stride + o;
            R[DZ] = grad + 2 * grad_stride + o;
        }
        if (y00) {
            p = prow(pl, P[3], y);
            if (u[S])
                xpass(pl, p, &sc->k[0][0], R[S]);
            if (u[DX])
                xpass(pl, p, &sc->k[0][1], R[DX]);
            if (u[DXX])
                xpass(pl, p, &sc->k[0][2], R[DXX]);
        }
        if (y10) {
            p = prow(pl, P[4], y);
            if (u[DY])
                xpass(pl, p, &sc->k[0][0], R[DY]);
            if (u[DXY])
                xpass(pl, p, &sc->k[0][1], R[DXY]);
        }
        if (u[DYY])
            xpass(pl, prow(pl, P[5], y), &sc->k[0][0], R[DYY]);
        if (u[DZ] || u[DXZ]) {
            p = prow(pl, P[6], y);
            if (u[DZ])
                xpass(pl, p, &sc->k[0][0], R[DZ]);
            if (u[DXZ])
                xpass(pl, p, &sc->k[0][1], R[DXZ]);
        }
        if (u[DYZ])
            xpass(pl, prow(pl, P[7], y), &sc->k[0][0], R[DYZ]);
        if (u[DZZ])
            xpass(pl, prow(pl, P[8], y), &sc->k[0][0], R[DZZ]);
        if (u[SD])
            xpass(pl, prow(pl, P[1], y), &sc->dog[0], R[SD]);
        if (u[SV])
            xpass(pl, prow(pl, P[0], y), &sc->k[0][0], R[SV]);
        if (out)
            emit_row(pl, sc, R, out + o * pl->nch);
    }
}

/* z pass of the product of gradient components a and b (outer scale). */
typedef struct pctx {
    const float *ga, *gb;
    size_t plane, vol_nz, z, g_z0, off;
} pctx;

static size_t p_sec(const pctx *c, ptrdiff_t k)
{
    return (fib__mirror((ptrdiff_t)c->z + k, c->vol_nz) - c->g_z0) * c->plane +
           c->off;
}

static void zprod(const fib__fplan *pl, const pctx *c0, const fib__fkern *K,
                  float *d)
{
    pctx c = *c0;
    for (size_t o = 0; o < pl->plane; o += CHUNK) {
        size_t n = pl->plane - o < CHUNK ? pl->plane - o : CHUNK;
        c.off = o;
        size_t i0 = p_sec(&c, 0);
        v_init_pr(d + o, c.ga + i0, c.gb + i0, K->h[0], n);
        int k = 1;
        for (; k + 1 <= K->r; k += 2) {
            size_t ip = p_sec(&c, k), im = p_sec(&c, -k);
            size_t jp = p_sec(&c, k + 1), jm = p_sec(&c, -k - 1);
            v_sym_pr2(d + o, c.ga + ip, c.gb + ip, c.ga + im, c.gb + im,
                      c.ga + jp, c.gb + jp, c.ga + jm, c.gb + jm, K->h[k],
                      K->h[k + 1], n);
        }
        if (k <= K->r) {
            size_t ip = p_sec(&c, k), im = p_sec(&c, -k);
            v_sym_pr(d + o, c.ga + ip, c.gb + ip, c.ga + im, c.gb + im, K->h[k],
                     n);
        }
    }
}

void fib__feat_structure(const fib__fplan *pl, const fib__fscale *sc,
                         const float *grad, size_t grad_stride, size_t g_z0,
                         size_t vol_nz, size_t z, float *ws, float *out)
{
    static const int pa[6] = {0, 1, 2, 0, 0, 1}, pb[6] = {0, 1, 2, 1, 2, 2};
    const size_t np = pl->plane, nx = pl->nx;
    float *T = ws, *U[6], *R[6], *E[3];
    float *rows = ws + FIB__FEAT_PLANES * pl->pplane;
    for (int c = 0; c < 6; c++) {
        U[c] = ws + (size_t)(c + 1) * pl->pplane;
        R[c] = rows + (size_t)c * nx;
    }
    for (int c = 0; c < 3; c++)
        E[c] = rows + (size_t)(6 + c) * nx;
    for (int c = 0; c < 6; c++) {
        pctx pc = {grad + (size_t)pa[c] * grad_stride,
                   grad + (size_t)pb[c] * grad_stride,
                   np,
                   vol_nz,
                   z,
                   g_z0,
                   0};
        zprod(pl, &pc, &sc->st[2], T);
        ypass(pl, T, &sc->st[1], U[c]);
    }
    const size_t dst[3] = {(size_t)sc->ch[4], (size_t)sc->ch[4] + 1,
                           (size_t)sc->ch[4] + 2};
    for (size_t y = 0; y < pl->ny; y++) {
        for (int c = 0; c < 6; c++)
            xpass(pl, prow(pl, U[c], y), &sc->st[0], R[c]);
        fib__feat_eig3_row(nx, R[0], R[1], R[2], R[3], R[4], R[5], E[0], E[1],
                           E[2]);
        interleave(nx, pl->nch, 3, (const float *const *)E, dst,
                   out + y * nx * pl->nch);
    }
}
