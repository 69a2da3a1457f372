/*
 * correct_denoise.c -- denoising filters on f32 slices: median (2D square
 * window, 3D slab of three slices), separable Gaussian, and Perona-Malik
 * anisotropic diffusion.
 *
 * Median 3x3: each column triple is sorted once per row, the median of the
 * nine is med3(max of the lows, med3 of the mids, min of the highs) (the
 * classic exact decomposition used by e.g. Devillard's opt_med9 and
 * Paeth's Graphics Gems network).  Larger windows: quickselect (Hoare
 * selection with median-of-three pivots) on the gathered window; the
 * result is the exact order statistic, independent of the selection path.
 *
 * Gaussian: scipy.ndimage.gaussian_filter semantics (kernel exp(-x^2/(2
 * sigma^2)) normalised over the radius round(4 sigma), edge mode
 * "reflect").
 *
 * Perona & Malik, "Scale-space and edge detection using anisotropic
 * diffusion", IEEE PAMI 12(7):629 (1990), eq. 8 (4-neighbour explicit
 * scheme, lambda = step <= 1/4) with g(d) = exp(-(d/K)^2) (their eq. 10
 * first choice).  Auto K: 2 x 1.4826 x median |I(x+1,y) - I(x,y)|
 * (robust noise scale, Black, Sapiro, Marimont & Heeger, IEEE TIP 7:421,
 * 1998).
 *
 * Non-local means (Buades, Coll & Morel, CVPR 2005) with flat patches and
 * skimage's noise-corrected weight exp(-max(d^2 - 2 sd^2, 0) / h^2),
 * computed per search offset as in Darbon et al., ISBI 2008: each pair of
 * pixels (q, q + d) is evaluated once, for d and -d, over half the
 * offsets; patch sums per offset are streamed row by row through a small
 * ring (column tiles keep it in the L1 cache); the exponential is a
 * vectorised Cephes-style expf (correct_kernels.c, relative error < 1e-7).
 *
 * Every parallel loop writes disjoint outputs with a fixed arithmetic
 * order, so results do not depend on the number of threads.
 */
#include "correct_internal.h"

#include "fib/checked.h"
#include "fib/threads.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_RADIUS = 64, MAX_PATCH = 16 /* correct_params.c */ };

struct fib__denoise_ws {
    fib_recon_denoise_params p;
    size_t w, h;
    int nt;        /* threads the per-thread buffers were made for */
    size_t per_t;  /* floats per thread */
    float *thread; /* nt * per_t */
    float *plane;  /* w x h */
    float *plane2; /* w x h */
    /* non-local means */
    float *pad;         /* (w + 2M) x (h + 2M), M = search + patch radius */
    float *dsq;         /* per-thread rows (nlm) */
    float *accw, *accv; /* w x h */
    /* pruned Batcher network selecting the median of net_n values */
    size_t net_n;
    int net_count;
    unsigned char (*net)[2];
};

enum { NET_MAX = 64, NET_CHUNK = 64 };
/* NLM work items: blocks of NLM_BLOCK output rows by NLM_TILE columns; a
 * tile's rows of squared differences and patch sums (for every search
 * offset in turn) stay in the L1 cache, its accumulators in L2 */
enum { NLM_BLOCK = 64, NLM_TILE = 256 };

fib_status fib__denoise_resolve(const fib_recon_denoise_params *in,
                                fib_recon_denoise_params *out, fib_error *err)
{
    /* ranges and defaults: correct_params.c (radius <= MAX_RADIUS) */
    return fib__correct_resolve(FIB_CORRECT_STEP_DENOISE, in, out, sizeof *out,
                                err);
}

void fib__denoise_ws_destroy(fib__denoise_ws *ws)
{
    if (!ws)
        return;
    free(ws->thread);
    free(ws->plane);
    free(ws->plane2);
    free(ws->net);
    free(ws->pad);
    free(ws->dsq);
    free(ws->accw);
    free(ws->accv);
    free(ws);
}

static fib_status denoise_ws_create_body(const fib_recon_denoise_params *p,
                                         size_t width, size_t height,
                                         fib__denoise_ws **out, fib_error *err)
{
    *out = NULL;
    fib__denoise_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
    fib_status st = fib__denoise_resolve(p, &ws->p, err);
    if (st != FIB_OK)
        goto fail;
    ws->w = width;
    ws->h = height;
    ws->nt = omp_get_max_threads();
    if (ws->nt < 1)
        ws->nt = 1;
    size_t win = (size_t)(2 * ws->p.radius + 1);
    ws->per_t = 3 * (width + 2) + 3 * win * win + 16;
    if (ws->per_t < NET_MAX * NET_CHUNK + 16)
        ws->per_t = NET_MAX * NET_CHUNK + 16;
    size_t n, nthr;
    if (!fib_mul_size(width, height, &n) ||
        !fib_mul_size(ws->per_t, (size_t)ws->nt, &nthr)) {
        st = fib_error_set(err, FIB_ERANGE, "correct: denoise: too big");
        goto fail;
    }
    ws->thread = calloc(nthr, sizeof(float));
    ws->plane = malloc(n * sizeof(float));
    ws->plane2 = malloc(n * sizeof(float));
    if (!ws->thread || !ws->plane || !ws->plane2) {
        st = fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
        goto fail;
    }
    if (ws->p.method == FIB_DENOISE_NLM) {
        size_t M = ws->p.search_radius + ws->p.patch_radius;
        size_t P = ws->p.patch_radius;
        /* per thread (nlm): a row of squared differences, a ring of
         * 2P + 1 rows of horizontal patch sums, a row of weights */
        size_t npad, nd, ring;
        const size_t L = NLM_TILE + ws->p.search_radius, nt = (size_t)ws->nt;
        if (!fib_mul_size(width + 2 * M, height + 2 * M, &npad) ||
            !fib_mul_size(2 * P + 2, L, &ring) ||
            !fib_add_size(ring, L + 2 * P, &ring) ||
            !fib_mul_size(ring, nt, &nd)) {
            st = fib_error_set(err, FIB_ERANGE, "correct: denoise: too big");
            goto fail;
        }
        ws->pad = malloc(npad * sizeof(float));
        ws->dsq = malloc(nd * sizeof(float));
        ws->accw = malloc(n * sizeof(float));
        ws->accv = malloc(n * sizeof(float));
        if (!ws->pad || !ws->dsq || !ws->accw || !ws->accv) {
            st = fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
            goto fail;
        }
    }
    *out = ws;
    return FIB_OK;
fail:
    fib__denoise_ws_destroy(ws);
    return st;
}

/* The work space is sized for the step's thread count (params threads). */
fib_status fib__denoise_ws_create(const fib_recon_denoise_params *p,
                                  size_t width, size_t height,
                                  fib__denoise_ws **out, fib_error *err)
{
    fib_threads_scope ts = fib_threads_begin(p ? p->threads : 0);
    fib_status st = denoise_ws_create_body(p, width, height, out, err);
    fib_threads_end(ts);
    return st;
}

/* ---------------- median ---------------- */

static inline float fmin2(float a, float b)
{
    return b < a ? b : a;
}
static inline float fmax2(float a, float b)
{
    return b < a ? a : b;
}
static inline float med3(float a, float b, float c)
{
    return fmax2(fmin2(a, b), fmin2(fmax2(a, b), c));
}

static void median3x3(fib__denoise_ws *ws, const float *src, size_t sse,
                      float *dst, size_t dse)
{
    const size_t w = ws->w, h = ws->h;
    const ptrdiff_t W = (ptrdiff_t)w, H = (ptrdiff_t)h;
#pragma omp parallel num_threads(ws->nt)
    {
        float *buf = ws->thread + (size_t)omp_get_thread_num() * ws->per_t;
        float *lo = buf, *mi = buf + (w + 2), *hi = buf + 2 * (w + 2);
#pragma omp for schedule(static)
        for (size_t y = 0; y < h; y++) {
            const float *r0 =
                src + (size_t)fib__reflect((ptrdiff_t)y - 1, H) * sse;
            const float *r1 = src + y * sse;
            const float *r2 =
                src + (size_t)fib__reflect((ptrdiff_t)y + 1, H) * sse;
            for (ptrdiff_t x = -1; x <= W; x++) {
                ptrdiff_t sx = (x < 0 || x >= W) ? fib__reflect(x, W) : x;
                float a = r0[sx], b = r1[sx], c = r2[sx];
                float l = fmin2(a, b), m = fmax2(a, b);
                float hh = fmax2(m, c);
                m = fmin2(m, c);
                float l2 = fmin2(l, m);
                m = fmax2(l, m);
                lo[x + 1] = l2;
                mi[x + 1] = m;
                hi[x + 1] = hh;
            }
            float *o = dst + y * dse;
            for (size_t x = 0; x < w; x++) {
                float L = fmax2(fmax2(lo[x], lo[x + 1]), lo[x + 2]);
                float M = med3(mi[x], mi[x + 1], mi[x + 2]);
                float Hh = fmin2(fmin2(hi[x], hi[x + 1]), hi[x + 2]);
                o[x] = med3(L, M, Hh);
            }
        }
    }
}

/*
 * Median of n <= 64 values by a sorting network: Batcher's odd-even merge
 * sort for the next power of two (K. E. Batcher, AFIPS 1968), inputs
 * beyond n held at +infinity, pruned forward (comparators between a value
 * and a known +infinity are no-ops) and backward (only comparators that
 * can reach output n/2 are kept).  Applied to NET_CHUNK pixels at once, so
 * every comparator is a vectorisable min/max over an array.
 */
static fib_status build_network(fib__denoise_ws *ws, size_t n)
{
    if (ws->net_n == n)
        return FIB_OK;
    size_t N = 1;
    while (N < n)
        N <<= 1;
    int cap = 1024, cnt = 0;
    unsigned char(*all)[2] = malloc((size_t)cap * sizeof *all);
    if (!all)
        return FIB_ENOMEM;
    for (size_t p = 1; p < N; p <<= 1)
        for (size_t k = p; k >= 1; k >>= 1) {
            for (size_t j = k % p; j + k < N; j += 2 * k)
                for (size_t i = 0; i < k && i + j + k < N; i++)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
                        if (cnt == cap) {
                            free(all);
                            return FIB_ENOMEM;
                        }
                        all[cnt][0] = (unsigned char)(i + j);
                        all[cnt][1] = (unsigned char)(i + j + k);
                        cnt++;
                    }
            if (k == 1)
                break;
        }
    /* forward: drop comparators whose larger input is a known +inf */
    bool inf[NET_MAX];
    bool keep[1024];
    for (size_t i = 0; i < N; i++)
        inf[i] = i >= n;
    for (int c = 0; c < cnt; c++) {
        int a = all[c][0], b = all[c][1];
        keep[c] = !inf[b]; /* min(x, inf) = x, max = inf: no-op */
        if (keep[c] && inf[a]) {
            /* a holds +inf, b a value: swap them */
            inf[a] = false;
            inf[b] = true;
        }
    }
    /* backward: keep what can reach the median output */
    bool need[NET_MAX];
    memset(need, 0, sizeof need);
    need[n / 2] = true;
    for (int c = cnt - 1; c >= 0; c--) {
        if (!keep[c])
            continue;
        int a = all[c][0], b = all[c][1];
        if (need[a] || need[b])
            need[a] = need[b] = true;
        else
            keep[c] = false;
    }
    int m = 0;
    for (int c = 0; c < cnt; c++)
        if (keep[c]) {
            all[m][0] = all[c][0];
            all[m][1] = all[c][1];
            m++;
        }
    free(ws->net);
    ws->net = all;
    ws->net_count = m;
    ws->net_n = n;
    return FIB_OK;
}

static void median_network(fib__denoise_ws *ws, const float *const *srcs,
                           int nsrc, size_t sse, float *dst, size_t dse)
{
    const size_t w = ws->w, h = ws->h;
    const ptrdiff_t W = (ptrdiff_t)w, H = (ptrdiff_t)h;
    const int r = (int)ws->p.radius;
    const int side = 2 * r + 1;
    const size_t n = ws->net_n;
    const int nc = ws->net_count;
    const unsigned char(*net)[2] = (const unsigned char(*)[2])ws->net;
#pragma omp parallel num_threads(ws->nt)
    {
        float *v = ws->thread + (size_t)omp_get_thread_num() * ws->per_t;
#pragma omp for schedule(static)
        for (size_t y = 0; y < h; y++) {
            for (size_t x0 = 0; x0 < w; x0 += NET_CHUNK) {
                size_t cw = w - x0 < NET_CHUNK ? w - x0 : NET_CHUNK;
                bool inside =
                    (ptrdiff_t)x0 - r >= 0 && (ptrdiff_t)(x0 + cw) + r <= W;
                size_t e = 0;
                for (int s = 0; s < nsrc; s++)
                    for (int dy = -r; dy <= r; dy++) {
                        const float *row =
                            srcs[s] +
                            (size_t)fib__reflect((ptrdiff_t)y + dy, H) * sse;
                        for (int dx = -r; dx <= r; dx++, e++) {
                            float *ve = v + e * NET_CHUNK;
                            if (inside) {
                                memcpy(ve, row + (ptrdiff_t)x0 + dx,
                                       cw * sizeof(float));
                            } else {
                                for (size_t c = 0; c < cw; c++)
                                    ve[c] = row[fib__reflect(
                                        (ptrdiff_t)(x0 + c) + dx, W)];
                            }
                        }
                    }
                (void)side;
                for (int k = 0; k < nc; k++) {
                    float *a = v + (size_t)net[k][0] * NET_CHUNK;
                    float *b = v + (size_t)net[k][1] * NET_CHUNK;
                    fib__vminmax(a, b, NET_CHUNK);
                }
                memcpy(dst + y * dse + x0, v + (n / 2) * NET_CHUNK,
                       cw * sizeof(float));
            }
        }
    }
}

static void median_general(fib__denoise_ws *ws, const float *const *srcs,
                           int nsrc, size_t sse, float *dst, size_t dse)
{
    const size_t w = ws->w, h = ws->h;
    const ptrdiff_t W = (ptrdiff_t)w, H = (ptrdiff_t)h;
    const int r = (int)ws->p.radius;
    const size_t n = (size_t)nsrc * (size_t)(2 * r + 1) * (size_t)(2 * r + 1);
    if (n <= NET_MAX && build_network(ws, n) == FIB_OK) {
        median_network(ws, srcs, nsrc, sse, dst, dse);
        return;
    }
#pragma omp parallel num_threads(ws->nt)
    {
        float *v = ws->thread + (size_t)omp_get_thread_num() * ws->per_t;
#pragma omp for schedule(static)
        for (size_t y = 0; y < h; y++) {
            for (size_t x = 0; x < w; x++) {
                size_t c = 0;
                for (int s = 0; s < nsrc; s++)
                    for (int dy = -r; dy <= r; dy++) {
                        const float *row =
                            srcs[s] +
                            (size_t)fib__reflect((ptrdiff_t)y + dy, H) * sse;
                        ptrdiff_t x0 = (ptrdiff_t)x - r, x1 = (ptrdiff_t)x + r;
                        if (x0 >= 0 && x1 < W) {
                            memcpy(v + c, row + x0,
                                   (size_t)(2 * r + 1) * sizeof(float));
                            c += (size_t)(2 * r + 1);
                        } else {
                            for (ptrdiff_t xx = x0; xx <= x1; xx++)
                                v[c++] = row[fib__reflect(xx, W)];
                        }
                    }
                dst[y * dse + x] = fib__select_k(v, n, n / 2);
            }
        }
    }
}

/* ---------------- Perona-Malik ---------------- */

/* Median of |I(x+1,y) - I(x,y)| over the plane @p src (upper median,
 * element c/2 of the c differences) in *med; false when the plane is one
 * column wide.  Uses ws->plane2 as scratch.  The robust noise scale of
 * both the Perona-Malik kappa and the NLM h (1.4826 x MAD, Rousseeuw &
 * Croux 1993). */
static bool diff_median(fib__denoise_ws *ws, const float *src, float *med)
{
    size_t w = ws->w, h = ws->h, c = 0;
    float *d = ws->plane2;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x + 1 < w; x++)
            d[c++] = fabsf(src[y * w + x + 1] - src[y * w + x]);
    if (c == 0)
        return false;
    *med = fib__select_k(d, c, c / 2);
    return true;
}

static double auto_kappa(fib__denoise_ws *ws, const float *src)
{
    float med;
    if (!diff_median(ws, src, &med))
        return 1;
    double k = 2.0 * 1.4826 * (double)med;
    return k > 0 ? k : 1e-6;
}

static void diffusion(fib__denoise_ws *ws, float *u)
{
    const size_t w = ws->w, h = ws->h;
    double kappa = ws->p.kappa > 0 ? ws->p.kappa : auto_kappa(ws, u);
    const float ik2 = (float)(1.0 / (kappa * kappa));
    const float lam = (float)ws->p.step;
    float *a = u, *b = ws->plane2;
    for (unsigned it = 0; it < ws->p.iterations; it++) {
#pragma omp parallel for schedule(static)
        for (size_t y = 0; y < h; y++) {
            const float *rc = a + y * w;
            const float *rn = a + (y > 0 ? y - 1 : y) * w;
            const float *rs = a + (y + 1 < h ? y + 1 : y) * w;
            float *o = b + y * w;
            for (size_t x = 0; x < w; x++) {
                float c = rc[x];
                float dn = rn[x] - c, ds = rs[x] - c;
                float de = (x + 1 < w ? rc[x + 1] : c) - c;
                float dw = (x > 0 ? rc[x - 1] : c) - c;
                float f = expf(-dn * dn * ik2) * dn +
                          expf(-ds * ds * ik2) * ds +
                          expf(-de * de * ik2) * de + expf(-dw * dw * ik2) * dw;
                o[x] = c + lam * f;
            }
        }
        float *t = a;
        a = b;
        b = t;
    }
    if (a != u)
        memcpy(u, a, w * h * sizeof(float));
}

/* robust noise sd: 1.4826 x median |I(x+1,y) - I(x,y)| / sqrt 2 */
static double noise_sd(fib__denoise_ws *ws, const float *src)
{
    float med;
    if (!diff_median(ws, src, &med))
        return 0;
    return 1.4826 * (double)med / sqrt(2.0);
}

static void nlm(fib__denoise_ws *ws, float *u)
{
    const size_t w = ws->w, h = ws->h;
    const ptrdiff_t S = (ptrdiff_t)ws->p.search_radius;
    const ptrdiff_t P = (ptrdiff_t)ws->p.patch_radius;
    const ptrdiff_t M = S + P;
    const size_t pw = w + 2 * (size_t)M;
    double s = noise_sd(ws, u);
    double hh = ws->p.nlm_h > 0 ? ws->p.nlm_h : 0.8 * s;
    if (!(hh > 0))
        return; /* a noise-free image: nothing to average */
    const float ih2 = (float)(1.0 / (hh * hh));
    const float two_s2 = (float)(2 * s * s);
    const float inv_np = 1.0f / (float)((2 * P + 1) * (2 * P + 1));
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < h + 2 * (size_t)M; y++) {
        const float *r =
            u + (size_t)fib__reflect((ptrdiff_t)y - M, (ptrdiff_t)h) * w;
        float *o = ws->pad + y * pw;
        for (size_t x = 0; x < pw; x++)
            o[x] = r[fib__reflect((ptrdiff_t)x - M, (ptrdiff_t)w)];
    }
    for (size_t i = 0; i < w * h; i++) {
        ws->accw[i] = 1; /* the centre pixel */
        ws->accv[i] = u[i];
    }
    /* Offsets d of one half plane (dy > 0, or dy = 0 and dx > 0): the
     * pair (q, q + d) has one patch distance, hence one weight, for the
     * offset d at q and for -d at q + d (Darbon et al. 2008; skimage's fast
     * mode).  The squared differences (a - b)^2 = (b - a)^2 and their sums
     * run in the order of the full-window loop, so every weight is
     * bit-identical to the one computed for d and -d separately.
     *
     * Work items of NLM_BLOCK rows by NLM_TILE columns, each by one
     * thread: an item adds to the accumulators of its own pixels only, so
     * it also evaluates the pairs whose first pixel lies up to dy rows
     * above or |dx| columns beside it (the neighbouring item computes the
     * same, bit-identical weights for its own pixels).  Within an item the
     * offsets and rows run in a fixed order, so every pixel accumulates its
     * weights in the same order whatever the thread count.  Per offset,
     * rows stream through a ring of 2P + 1 rows of horizontal patch sums
     * that stays in the L1 cache. */
    const size_t nby = (h + NLM_BLOCK - 1) / NLM_BLOCK;
    const size_t nbx = (w + NLM_TILE - 1) / NLM_TILE;
    const size_t L = NLM_TILE + (size_t)S, nk = 2 * (size_t)P + 1;
    const size_t per = L + 2 * (size_t)P + (nk + 1) * L;
#pragma omp parallel for schedule(dynamic, 1) num_threads(ws->nt)
    for (size_t bi = 0; bi < nby * nbx; bi++) {
        const size_t t = (size_t)omp_get_thread_num();
        float *dr = ws->dsq + t * per;        /* squared differences of a row */
        float *ring = dr + L + 2 * (size_t)P; /* nk rows of patch sums */
        float *wt = ring + nk * L;            /* weights of a row */
        /* the tile's target rows [y0, y1), columns [x0, x0 + tw) */
        const ptrdiff_t y0 = (ptrdiff_t)(bi / nbx * NLM_BLOCK);
        const ptrdiff_t y1 =
            y0 + NLM_BLOCK < (ptrdiff_t)h ? y0 + NLM_BLOCK : (ptrdiff_t)h;
        const ptrdiff_t x0 = (ptrdiff_t)(bi % nbx * NLM_TILE);
        const size_t tw = w - (size_t)x0 < NLM_TILE ? w - (size_t)x0 : NLM_TILE;
        for (ptrdiff_t oy = 0; oy <= S; oy++)
            for (ptrdiff_t ox = oy ? -S : 1; ox <= S; ox++) {
                /* source columns [xa, xa + cw): q or q + d in the tile */
                const ptrdiff_t xa = x0 - (ox > 0 ? ox : 0);
                const size_t cw = tw + (size_t)(ox > 0 ? ox : -ox);
                /* source rows [y0 - oy, y1); patch-sum rows P more */
                const ptrdiff_t r0 = y0 - oy - P;
                for (ptrdiff_t r = r0; r < y1 + P; r++) {
                    const float *a =
                        ws->pad + (size_t)(r + M) * pw + (size_t)(xa - P + M);
                    fib__vsqdiff(dr, a, a + oy * (ptrdiff_t)pw + ox,
                                 cw + 2 * (size_t)P);
                    fib__vwinsum(ring + (size_t)(r - r0) % nk * L, dr, nk, cw);
                    if (r - r0 < 2 * P)
                        continue;
                    const ptrdiff_t qy = r - P; /* patch rows in the ring */
                    const size_t i0 = (size_t)(qy - P - r0);
                    const float *rows[2 * MAX_PATCH + 1];
                    for (size_t k = 0; k < nk; k++)
                        rows[k] = ring + (i0 + k) % nk * L;
                    fib__vnlm_weight(wt, rows, nk, inv_np, two_s2, ih2, cw);
                    if (qy >= y0) /* offset d at q */
                        fib__vnlm_acc(ws->accw + (size_t)qy * w + x0,
                                      ws->accv + (size_t)qy * w + x0,
                                      wt + (x0 - xa),
                                      ws->pad + (size_t)(qy + oy + M) * pw +
                                          (size_t)(x0 + M + ox),
                                      tw);
                    if (qy + oy < y1) /* offset -d at q + d */
                        fib__vnlm_acc(ws->accw + (size_t)(qy + oy) * w + x0,
                                      ws->accv + (size_t)(qy + oy) * w + x0,
                                      wt + (x0 - ox - xa),
                                      ws->pad + (size_t)(qy + M) * pw +
                                          (size_t)(x0 + M - ox),
                                      tw);
                }
            }
    }
    for (size_t i = 0; i < w * h; i++)
        u[i] = ws->accv[i] / ws->accw[i];
}

static fib_status denoise_run_body(fib__denoise_ws *ws, fib_image *img,
                                   fib_error *err)
{
    fib_status st = fib__check_f32(img, "denoise", err);
    if (st != FIB_OK)
        return st;
    if (img->width != ws->w || img->height != ws->h || img->stride % 4)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: denoise: image %zux%zu does not match "
                             "work space %zux%zu",
                             img->width, img->height, ws->w, ws->h);
    size_t se = img->stride / sizeof(float);
    float *p = img->data;
    /* packed copy in ws->plane */
    for (size_t y = 0; y < ws->h; y++)
        memcpy(ws->plane + y * ws->w, p + y * se, ws->w * sizeof(float));
    switch (ws->p.method) {
    case FIB_DENOISE_MEDIAN:
        if (ws->p.radius == 1) {
            median3x3(ws, ws->plane, ws->w, p, se);
        } else {
            const float *s[1] = {ws->plane};
            median_general(ws, s, 1, ws->w, p, se);
        }
        return FIB_OK;
    case FIB_DENOISE_GAUSS:
        fib__gauss_plane(ws->plane, ws->plane, ws->plane2, ws->w, ws->h,
                         ws->p.sigma_px);
        break;
    case FIB_DENOISE_DIFFUSION:
        diffusion(ws, ws->plane);
        break;
    case FIB_DENOISE_NLM:
        nlm(ws, ws->plane);
        break;
    default:
        return fib_error_set(err, FIB_EINVAL, "correct: denoise: no method");
    }
    for (size_t y = 0; y < ws->h; y++)
        memcpy(p + y * se, ws->plane + y * ws->w, ws->w * sizeof(float));
    return FIB_OK;
}

/* Runs with the step's thread count (params threads). */
fib_status fib__denoise_run(fib__denoise_ws *ws, fib_image *img, fib_error *err)
{
    fib_threads_scope ts = fib_threads_begin(ws->p.threads);
    fib_status st = denoise_run_body(ws, img, err);
    fib_threads_end(ts);
    return st;
}

fib_status fib_recon_denoise(const fib_recon_denoise_params *params,
                             fib_image *img_f32_inout, fib_error *err)
{
    if (!params)
        return fib_error_set(err, FIB_EINVAL, "correct: denoise params NULL");
    fib_status st = fib__check_f32(img_f32_inout, "denoise", err);
    if (st != FIB_OK)
        return st;
    fib__denoise_ws *ws;
    st = fib__denoise_ws_create(params, img_f32_inout->width,
                                img_f32_inout->height, &ws, err);
    if (st != FIB_OK)
        return st;
    st = fib__denoise_run(ws, img_f32_inout, err);
    fib__denoise_ws_destroy(ws);
    return st;
}

fib_status fib_recon_median3d(const fib_image *below, const fib_image *center,
                              const fib_image *above, unsigned radius,
                              fib_image *out, fib_error *err)
{
    fib_status st;
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "correct: median3d: out NULL");
    memset(out, 0, sizeof *out);
    if ((st = fib__check_f32(below, "median3d below", err)) != FIB_OK ||
        (st = fib__check_f32(center, "median3d center", err)) != FIB_OK ||
        (st = fib__check_f32(above, "median3d above", err)) != FIB_OK)
        return st;
    if (below->width != center->width || above->width != center->width ||
        below->height != center->height || above->height != center->height)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: median3d: slices differ in size");
    fib_recon_denoise_params p = {0};
    p.method = FIB_DENOISE_MEDIAN;
    p.radius = radius;
    fib__denoise_ws *ws = NULL;
    st = fib__denoise_ws_create(&p, center->width, center->height, &ws, err);
    if (st != FIB_OK)
        return st;
    /* packed copies: ws->plane (below), ws->plane2 (above), out (centre) */
    st = fib_image_init(out, FIB_PX_F32, center->width, center->height, err);
    if (st != FIB_OK)
        goto done;
    float *c = malloc(center->width * center->height * sizeof(float));
    if (!c) {
        st = fib_error_set(err, FIB_ENOMEM, "correct: out of memory");
        fib_image_clear(out);
        goto done;
    }
    size_t w = center->width;
    for (size_t y = 0; y < center->height; y++) {
        memcpy(ws->plane + y * w, fib_image_row(below, y), w * sizeof(float));
        memcpy(c + y * w, fib_image_row(center, y), w * sizeof(float));
        memcpy(ws->plane2 + y * w, fib_image_row(above, y), w * sizeof(float));
    }
    const float *s[3] = {ws->plane, c, ws->plane2};
    median_general(ws, s, 3, w, out->data, out->stride / sizeof(float));
    free(c);
done:
    fib__denoise_ws_destroy(ws);
    return st;
}
