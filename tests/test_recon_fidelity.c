/* test_recon_fidelity.c -- ABSOLUTE alignment accuracy of fib_recon on
 * rendered slice-and-view series with a known drift.
 *
 * A small, self-contained renderer (not the `cryofib simulate` digital
 * twin): a 3-D label volume (a random sphere packing of particles and
 * binder generated here, or the real NMC electrode of
 * ../shared/data/nrel-nmc-electrode-segmented when present) is cut slice
 * by slice (one label plane per slice, so the content evolves through the
 * stack as in a real acquisition), each phase gets a grey level, the
 * image is blurred (beam), a smooth shading fixed in the image frame is
 * added (charging / detector geometry: it does not move with the sample),
 * optionally stripes fixed in the frame, Gaussian noise, and the content
 * is displaced by a known drift (random walk plus a slow trend).
 *
 * The truth is the drift itself: the labels do not move, so any apparent
 * motion of the content is an error here (the old tests compared a
 * drifted run with a drift-free run, which cancels exactly that).  Scores:
 * position error = RMS over slices of (applied shift + true drift) after
 * removing the mean (the constant offset is arbitrary); step error = RMS
 * of its slice-to-slice differences.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/recon.h"
#include "fib/simulate.h"
#include "fib_test.h"

/* ---- random numbers (splitmix64) ---------------------------------------- */
typedef struct rng {
    uint64_t s;
} rng;

static double uni(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double gauss(rng *r)
{
    return sqrt(-2.0 * log(uni(r))) * cos(6.283185307179586 * uni(r));
}

/* ---- label volumes ------------------------------------------------------ */
typedef struct labels {
    size_t nx, ny, nz;
    uint8_t *v; /* 0 pore, 1 particle, 2 binder */
} labels;

static void put_sphere(labels *L, double cx, double cy, double cz, double rad,
                       uint8_t lab, bool over)
{
    const long x0 = (long)floor(cx - rad), x1 = (long)ceil(cx + rad);
    const long y0 = (long)floor(cy - rad), y1 = (long)ceil(cy + rad);
    const long z0 = (long)floor(cz - rad), z1 = (long)ceil(cz + rad);
    for (long z = z0; z <= z1; z++)
        for (long y = y0; y <= y1; y++)
            for (long x = x0; x <= x1; x++) {
                if (x < 0 || y < 0 || z < 0 || x >= (long)L->nx ||
                    y >= (long)L->ny || z >= (long)L->nz)
                    continue;
                const double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy) +
                                  (z - cz) * (z - cz);
                if (d2 > rad * rad)
                    continue;
                uint8_t *p =
                    &L->v[((size_t)z * L->ny + (size_t)y) * L->nx + (size_t)x];
                if (over || *p == 0)
                    *p = lab;
            }
}

/* Random packing: particles (radius 5-11 voxels) to about 45 % of the
 * volume, then binder blobs (radius 1.5-3.5) in the pores. */
static void make_packing(labels *L, size_t nx, size_t ny, size_t nz,
                         uint64_t seed)
{
    L->nx = nx;
    L->ny = ny;
    L->nz = nz;
    L->v = calloc(nx * ny * nz, 1);
    rng r = {seed};
    const double vol = (double)(nx * ny * nz);
    double filled = 0;
    while (filled < 0.55 * vol) {
        const double rad = 5 + 6 * uni(&r);
        put_sphere(L, uni(&r) * (double)nx, uni(&r) * (double)ny,
                   uni(&r) * (double)nz, rad, 1, true);
        filled += 4.18879 * rad * rad * rad;
    }
    filled = 0;
    while (filled < 0.12 * vol) {
        const double rad = 1.5 + 2 * uni(&r);
        put_sphere(L, uni(&r) * (double)nx, uni(&r) * (double)ny,
                   uni(&r) * (double)nz, rad, 2, false);
        filled += 4.18879 * rad * rad * rad;
    }
}

/* The NREL NMC electrode (0 pore, 1 NMC, 2 carbon-binder); false when the
 * shared data are absent. */
static bool load_nmc(labels *L)
{
    char path[1024];
    if (!fib_test_shared("nrel-nmc-electrode-segmented/"
                         "nmc-1-cal_generatedCBD_bridge.tif",
                         path, sizeof path))
        return false;
    fib_volume vol = {0};
    fib_error err = {0};
    if (fib_fmt_volume_read(path, NULL, &vol, NULL, &err) != FIB_OK ||
        vol.type != FIB_PX_U8) {
        fib_volume_clear(&vol);
        return false;
    }
    L->nx = vol.nx;
    L->ny = vol.ny;
    L->nz = vol.nz;
    L->v = malloc(vol.nx * vol.ny * vol.nz);
    for (size_t z = 0; z < vol.nz; z++)
        for (size_t y = 0; y < vol.ny; y++)
            memcpy(L->v + (z * vol.ny + y) * vol.nx,
                   (const uint8_t *)vol.data + z * vol.stride_z +
                       y * vol.stride_y,
                   vol.nx);
    fib_volume_clear(&vol);
    return true;
}

/* ---- rendering ---------------------------------------------------------- */
typedef struct scene {
    const labels *L;
    size_t n;        /* slices */
    size_t w;        /* image side, px */
    bool evolving;   /* slice i shows label plane z0 + i (else always z0) */
    size_t z0;       /* first label plane */
    double step_px;  /* random-walk sigma per slice and axis */
    double trend[2]; /* px per slice */
    double shading;  /* amplitude of the frame-fixed shading, grey */
    double stripes;  /* amplitude of frame-fixed vertical stripes, grey */
    double noise;    /* Gaussian noise sigma, grey */
    uint64_t seed;
} scene;

typedef struct series {
    size_t n, w;
    float *img;         /* n * w * w */
    double (*drift)[2]; /* true content displacement of each slice, px */
} series;

static double keys(double t)
{
    t = fabs(t);
    if (t < 1)
        return (1.5 * t - 2.5) * t * t + 1;
    if (t < 2)
        return ((-0.5 * t + 2.5) * t - 4) * t + 2;
    return 0;
}

/* Grey of plane z (blurred, sigma 1 px, separable), nx * ny floats. */
static void plane_grey(const labels *L, size_t z, float *out, float *tmp)
{
    static const float grey[3] = {40.0f, 170.0f, 105.0f};
    const size_t nx = L->nx, ny = L->ny;
    const uint8_t *p = L->v + z * nx * ny;
    for (size_t i = 0; i < nx * ny; i++)
        out[i] = grey[p[i] < 3 ? p[i] : 2];
    double k[7], ks = 0;
    for (int j = -3; j <= 3; j++)
        ks += k[j + 3] = exp(-0.5 * j * j);
    for (size_t y = 0; y < ny; y++)
        for (size_t x = 0; x < nx; x++) {
            double a = 0;
            for (int j = -3; j <= 3; j++) {
                long xx = (long)x + j;
                xx = xx < 0 ? 0 : (xx >= (long)nx ? (long)nx - 1 : xx);
                a += k[j + 3] * (double)out[y * nx + (size_t)xx];
            }
            tmp[y * nx + x] = (float)(a / ks);
        }
    for (size_t y = 0; y < ny; y++)
        for (size_t x = 0; x < nx; x++) {
            double a = 0;
            for (int j = -3; j <= 3; j++) {
                long yy = (long)y + j;
                yy = yy < 0 ? 0 : (yy >= (long)ny ? (long)ny - 1 : yy);
                a += k[j + 3] * (double)tmp[(size_t)yy * nx + x];
            }
            out[y * nx + x] = (float)(a / ks);
        }
}

static void render(const scene *sc, series *s)
{
    const labels *L = sc->L;
    const size_t n = sc->n, w = sc->w;
    rng r = {sc->seed};
    s->n = n;
    s->w = w;
    s->img = malloc(n * w * w * sizeof(float));
    s->drift = calloc(n, sizeof *s->drift);
    for (size_t i = 1; i < n; i++)
        for (int a = 0; a < 2; a++)
            s->drift[i][a] =
                s->drift[i - 1][a] + sc->trend[a] + sc->step_px * gauss(&r);
    /* centre the drift path in the label plane */
    double lo[2] = {1e9, 1e9}, hi[2] = {-1e9, -1e9};
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 2; a++) {
            lo[a] = fmin(lo[a], s->drift[i][a]);
            hi[a] = fmax(hi[a], s->drift[i][a]);
        }
    const double ox = ((double)L->nx - (double)w) / 2 + (lo[0] + hi[0]) / 2;
    const double oy = ((double)L->ny - (double)w) / 2 + (lo[1] + hi[1]) / 2;
    ck_assert_msg(ox - (hi[0] - lo[0]) / 2 > 2 && oy - (hi[1] - lo[1]) / 2 > 2,
                  "label plane too small for the drift");
    /* frame-fixed stripes: a few columns bands of 1-6 px, fixed for the
     * whole series */
    double *stripe = calloc(w, sizeof *stripe);
    for (int b = 0; b < 12; b++) {
        const double c = uni(&r) * (double)w, hw = 0.5 + 2.5 * uni(&r);
        const double a = (uni(&r) < 0.5 ? -1 : 1) * (0.5 + 0.5 * uni(&r));
        for (size_t x = 0; x < w; x++)
            if (fabs((double)x - c) <= hw)
                stripe[x] += a;
    }
    float *g = malloc(L->nx * L->ny * sizeof(float));
    float *t = malloc(L->nx * L->ny * sizeof(float));
    size_t have = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const size_t z = sc->z0 + (sc->evolving ? i : 0);
        ck_assert(z < L->nz);
        if (z != have)
            plane_grey(L, z, g, t);
        have = z;
        float *im = s->img + i * w * w;
        for (size_t y = 0; y < w; y++)
            for (size_t x = 0; x < w; x++) {
                /* content moved by +d: image(x) = plane(x - d) */
                const double u = (double)x + ox - s->drift[i][0];
                const double v = (double)y + oy - s->drift[i][1];
                const long x0 = (long)floor(u), y0 = (long)floor(v);
                double acc = 0;
                for (int jy = -1; jy <= 2; jy++) {
                    const double wy = keys(v - (double)(y0 + jy));
                    const float *row = g + (size_t)(y0 + jy) * L->nx;
                    for (int jx = -1; jx <= 2; jx++)
                        acc += wy * keys(u - (double)(x0 + jx)) *
                               (double)row[x0 + jx];
                }
                const double fx = (double)x / (double)w - 0.5;
                const double fy = (double)y / (double)w - 0.5;
                acc += sc->shading * (0.8 * fx + 1.2 * fy * fy - 0.6 * fx * fy);
                acc += sc->stripes * stripe[x] * (1.0 - 0.4 * fy);
                acc += sc->noise * gauss(&r);
                im[y * w + x] = (float)acc;
            }
    }
    free(g);
    free(t);
    free(stripe);
}

static void series_free(series *s)
{
    free(s->img);
    free(s->drift);
}

static fib_status read_series(void *user, size_t i, fib_image *out,
                              fib_error *err)
{
    (void)err;
    const series *s = user;
    for (size_t y = 0; y < s->w; y++)
        memcpy(fib_image_row(out, y), s->img + (i * s->w + y) * s->w,
               s->w * sizeof(float));
    return FIB_OK;
}

typedef struct score {
    double pos, step; /* px RMS, both axes together */
} score;

static score align_score_qc(const series *s, size_t K, bool no_closure,
                            fib_recon_qc *qc_out)
{
    fib_recon_source src = {0};
    src.n_slices = s->n;
    src.width = src.height = s->w;
    src.type = FIB_PX_F32;
    src.read = read_series;
    src.user = (void *)s;
    fib_recon_params p = {0};
    p.neighbours = K;
    p.no_closure = no_closure;
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_recon_create(&p, &src, &r, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s", err.msg);
    if (getenv("FIB_FIDELITY_PAIRS")) {
        size_t np = 0;
        const fib_recon_pair *pp = fib_recon_pairs(r, &np);
        for (size_t k = 1; k <= K; k++) {
            double sx = 0, sy = 0, qx = 0, qy = 0, tx = 0;
            size_t c = 0;
            for (size_t j = 0; j < np; j++) {
                if (pp[j].b - pp[j].a != k)
                    continue;
                const double ex =
                    pp[j].dx - (s->drift[pp[j].b][0] - s->drift[pp[j].a][0]);
                const double ey =
                    pp[j].dy - (s->drift[pp[j].b][1] - s->drift[pp[j].a][1]);
                sx += ex;
                sy += ey;
                qx += ex * ex;
                qy += ey * ey;
                tx += s->drift[pp[j].b][0] - s->drift[pp[j].a][0];
                c++;
            }
            fprintf(stderr,
                    "  dist %zu: n %zu bias x %+.3f y %+.3f rms x %.3f y %.3f "
                    "(true mean dx %+.3f)\n",
                    k, c, sx / (double)c, sy / (double)c, sqrt(qx / (double)c),
                    sqrt(qy / (double)c), tx / (double)c);
        }
    }
    if (getenv("FIB_FIDELITY_PAIRS")) {
        size_t nd = 0;
        const fib_recon_distance *D = fib_recon_distances(r, &nd);
        for (size_t k = 0; k < nd; k++)
            fprintf(stderr,
                    "  closure %zu: n %zu bias %+.3f %+.3f se %.3f %.3f "
                    "scatter %.3f resid %.3f w %.2f pull %+.3f (%.3f) %+.3f "
                    "(%.3f)%s\n",
                    D[k].distance, D[k].n_closures, D[k].bias_px[0],
                    D[k].bias_px[1], D[k].bias_se_px[0], D[k].bias_se_px[1],
                    D[k].scatter_px, D[k].residual_px, D[k].weight,
                    D[k].pull[0], D[k].pull_se[0], D[k].pull[1],
                    D[k].pull_se[1], D[k].inconsistent ? " INCONSISTENT" : "");
        const fib_recon_qc qc = fib_recon_get_qc(r);
        fprintf(stderr, "  qc: frame-fixed %d %d notch %d %d passes %zu\n",
                qc.frame_fixed[0], qc.frame_fixed[1], qc.notch_rows,
                qc.notch_cols, qc.passes);
    }
    double *e = malloc(2 * s->n * sizeof(double)), m[2] = {0, 0};
    for (size_t i = 0; i < s->n; i++) {
        const fib_recon_slice_info in = fib_recon_get_slice(r, i);
        e[2 * i] = in.dx + s->drift[i][0];
        e[2 * i + 1] = in.dy + s->drift[i][1];
        m[0] += e[2 * i];
        m[1] += e[2 * i + 1];
    }
    score sc = {0, 0};
    for (size_t i = 0; i < s->n; i++) {
        for (int a = 0; a < 2; a++) {
            const double d = e[2 * i + a] - m[a] / (double)s->n;
            sc.pos += d * d;
            if (i) {
                const double st = e[2 * i + a] - e[2 * (i - 1) + a];
                sc.step += st * st;
            }
        }
    }
    sc.pos = sqrt(sc.pos / (double)s->n);
    sc.step = sqrt(sc.step / (double)(s->n - 1));
    if (qc_out)
        *qc_out = fib_recon_get_qc(r);
    free(e);
    fib_recon_destroy(r);
    return sc;
}

/* Closure statistics of a run with no_closure: distances 2 and 3 are
 * flagged short in x with a negative pull and mean offset, and the mean
 * offset in y stays within 3 standard errors. */
static bool closure_short_x(const series *s)
{
    fib_recon_source src = {0};
    src.n_slices = s->n;
    src.width = src.height = s->w;
    src.type = FIB_PX_F32;
    src.read = read_series;
    src.user = (void *)s;
    fib_recon_params p = {0};
    p.no_closure = true;
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert(fib_recon_create(&p, &src, &r, &err) == FIB_OK);
    ck_assert(fib_recon_estimate(r, NULL, &err) == FIB_OK);
    size_t nd = 0;
    const fib_recon_distance *D = fib_recon_distances(r, &nd);
    bool ok = nd == 3 && D[0].weight == 1.0 && D[0].n_closures == 0;
    for (size_t k = 1; k < nd; k++) {
        fprintf(stderr,
                "  distance %zu: closure offset x %+.3f (SE %.3f) pull x "
                "%+.3f (SE %.3f), offset y %+.3f (SE %.3f)\n",
                D[k].distance, D[k].bias_px[0], D[k].bias_se_px[0],
                D[k].pull[0], D[k].pull_se[0], D[k].bias_px[1],
                D[k].bias_se_px[1]);
        ok = ok && D[k].n_closures == s->n - D[k].distance &&
             D[k].inconsistent && D[k].long_short && D[k].pull[0] < 0 &&
             D[k].bias_px[0] < 0 && D[k].weight == 1.0 &&
             fabs(D[k].bias_px[1]) < 3 * D[k].bias_se_px[1];
    }
    fib_recon_destroy(r);
    return ok;
}

static score align_score(const series *s, size_t K)
{
    return align_score_qc(s, K, false, NULL);
}

/* ---- cases -------------------------------------------------------------- */
static labels g_pack; /* synthetic packing, 220 x 220 x 80 */
static labels g_nmc;  /* the real electrode, or nothing */

static scene base_scene(const labels *L, uint64_t seed)
{
    scene sc = {0};
    sc.L = L;
    sc.n = 64;
    sc.w = 160;
    sc.evolving = true;
    sc.z0 = 4;
    sc.step_px = 0.35;
    sc.trend[0] = 0.08;
    sc.trend[1] = -0.05;
    sc.shading = 40;
    sc.stripes = 0;
    sc.noise = 8;
    sc.seed = seed;
    return sc;
}

static void report(const char *name, const scene *sc)
{
    series s;
    render(sc, &s);
    for (size_t K = 1; K <= 3; K++) {
        const score a = align_score(&s, K);
        fprintf(stderr, "fidelity %-28s K=%zu position %.3f step %.3f px RMS\n",
                name, K, a.pos, a.step);
    }
    series_free(&s);
}

/* Static content (the same label plane in every slice, only drift, frame-
 * fixed shading and noise): the long pairs average noise, so K = 3 must
 * be no worse than K = 1, and both near exact. */
START_TEST(test_static_k3_no_worse)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scene sc = base_scene(&g_pack, seed);
        sc.evolving = false;
        series s;
        render(&sc, &s);
        const score k1 = align_score(&s, 1), k3 = align_score(&s, 3);
        fib_recon_qc qc;
        (void)align_score_qc(&s, 3, false, &qc);
        fprintf(stderr,
                "fidelity static seed %u: K=1 %.3f / %.3f, K=3 %.3f / %.3f "
                "px RMS (position / step)\n",
                (unsigned)seed, k1.pos, k1.step, k3.pos, k3.step);
        /* the noise-averaging gain of K > 1 shows in the step error; the
         * position (the long-term trend) may differ within 0.01 px */
        ck_assert_msg(k3.pos <= k1.pos + 0.01, "K=3 %g worse than K=1 %g",
                      k3.pos, k1.pos);
        ck_assert_msg(k3.step <= k1.step + 1e-9, "K=3 step %g vs K=1 %g",
                      k3.step, k1.step);
        ck_assert_msg(k3.pos < 0.1 && k3.step < 0.04, "static %g / %g", k3.pos,
                      k3.step);
        ck_assert_msg(!qc.frame_fixed[0] && !qc.frame_fixed[1],
                      "false frame-fixed detection on static content");
        series_free(&s);
    }
}
END_TEST

/* Evolving content (one label plane per slice) with frame-fixed shading:
 * absolute error against the true drift with the defaults. */
START_TEST(test_evolving_absolute)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scene sc = base_scene(&g_pack, seed);
        series s;
        render(&sc, &s);
        fib_recon_qc qc;
        const score a = align_score_qc(&s, 3, false, &qc);
        fprintf(stderr,
                "fidelity evolving seed %u: position %.3f step %.3f px RMS\n",
                (unsigned)seed, a.pos, a.step);
        /* issue 11's targets are 0.5 / 0.1 px; the position error of this
         * case is content motion (K = 1 gives 0.38-0.42), see README */
        ck_assert_msg(a.pos < 0.55, "position %g px RMS", a.pos);
        ck_assert_msg(a.step < 0.1, "step %g px RMS", a.step);
        ck_assert_msg(!qc.frame_fixed[0] && !qc.frame_fixed[1],
                      "false frame-fixed detection");
        series_free(&s);
    }
}
END_TEST

/* Stripes fixed in the image frame (12 bands of 1-6 px, 20-40 grey) with
 * a drift of 0.3 px/slice trend + 0.8 px random walk: without the closure
 * test (the behaviour before it) the long pairs are pulled toward zero
 * shift and the solve turns that into a false trend (1.2-2.5 px RMS);
 * with it the pull is detected, pass 1 repeats with the stripe notch and
 * the error falls under the targets. */
START_TEST(test_frame_fixed_stripes)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scene sc = base_scene(&g_pack, seed);
        sc.step_px = 0.8;
        sc.trend[0] = 0.3;
        sc.trend[1] = -0.2;
        sc.stripes = 40;
        series s;
        render(&sc, &s);
        fib_recon_qc qc, qc0;
        const score before = align_score_qc(&s, 3, true, &qc0);
        const score after = align_score_qc(&s, 3, false, &qc);
        fprintf(stderr,
                "fidelity frame-fixed stripes seed %u: without closure %.3f "
                "/ %.3f, with %.3f / %.3f px RMS (position / step)\n",
                (unsigned)seed, before.pos, before.step, after.pos, after.step);
        ck_assert_msg(before.pos > 1.0, "the bias should show: %g", before.pos);
        /* the closure statistics name it even when not acted on: the long
         * pairs fall short of the chain in x (pull < 0), y is clean */
        ck_assert(closure_short_x(&s));
        ck_assert(qc.frame_fixed[0] && qc.notch_rows && qc.passes == 2);
        ck_assert_msg(after.pos < 0.5, "position %g px RMS", after.pos);
        ck_assert_msg(after.step < 0.1, "step %g px RMS", after.step);
        series_free(&s);
    }
}
END_TEST

/* The repeated pass 1 (stripe notch) keeps results independent of the
 * thread count: 1 and 2 threads give bit-identical shifts. */
START_TEST(test_notch_threads_identical)
{
    scene sc = base_scene(&g_pack, 1);
    sc.step_px = 0.8;
    sc.trend[0] = 0.3;
    sc.trend[1] = -0.2;
    sc.stripes = 40;
    series s;
    render(&sc, &s);
    fib_recon *rr[2] = {NULL, NULL};
    for (int t = 0; t < 2; t++) {
        fib_recon_source src = {0};
        src.n_slices = s.n;
        src.width = src.height = s.w;
        src.type = FIB_PX_F32;
        src.read = read_series;
        src.user = &s;
        fib_recon_params p = {0};
        p.threads = t + 1;
        fib_error err = {0};
        ck_assert(fib_recon_create(&p, &src, &rr[t], &err) == FIB_OK);
        ck_assert_msg(fib_recon_estimate(rr[t], NULL, &err) == FIB_OK, "%s",
                      err.msg);
        ck_assert(fib_recon_get_qc(rr[t]).passes == 2);
    }
    for (size_t i = 0; i < s.n; i++) {
        const fib_recon_slice_info a = fib_recon_get_slice(rr[0], i);
        const fib_recon_slice_info b = fib_recon_get_slice(rr[1], i);
        ck_assert_msg(a.dx == b.dx && a.dy == b.dy, "slice %zu differs", i);
    }
    fib_recon_destroy(rr[0]);
    fib_recon_destroy(rr[1]);
    series_free(&s);
}
END_TEST

/* The real NMC electrode (../shared/data), evolving, shading and noise:
 * printed, and bounded at the level measured (content change per slice
 * is larger than the packing's: see README). */
START_TEST(test_nmc_electrode)
{
    if (!g_nmc.v)
        return;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scene sc = base_scene(&g_nmc, seed);
        series s;
        render(&sc, &s);
        const score k1 = align_score(&s, 1), k3 = align_score(&s, 3);
        fprintf(stderr,
                "fidelity nmc seed %u: K=1 %.3f / %.3f, K=3 %.3f / %.3f px "
                "RMS\n",
                (unsigned)seed, k1.pos, k1.step, k3.pos, k3.step);
        ck_assert_msg(k3.pos < 0.8 && k3.step < 0.12, "nmc %g / %g", k3.pos,
                      k3.step);
        series_free(&s);
    }
}
END_TEST

START_TEST(test_fidelity_table)
{
    if (!getenv("FIB_FIDELITY_TABLE"))
        return;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scene sc = base_scene(&g_pack, seed);
        char nm[64];
        snprintf(nm, sizeof nm, "packing evolving s%u", (unsigned)seed);
        report(nm, &sc);
        sc.evolving = false;
        snprintf(nm, sizeof nm, "packing static s%u", (unsigned)seed);
        report(nm, &sc);
        sc.evolving = true;
        sc.stripes = 15;
        snprintf(nm, sizeof nm, "packing stripes s%u", (unsigned)seed);
        report(nm, &sc);
        sc.stripes = 0;
        sc.step_px = 0.8;
        sc.trend[0] = 0.3;
        sc.trend[1] = -0.2;
        snprintf(nm, sizeof nm, "packing bigdrift s%u", (unsigned)seed);
        report(nm, &sc);
        sc.stripes = 40;
        snprintf(nm, sizeof nm, "packing bigdrift stripes s%u", (unsigned)seed);
        report(nm, &sc);
        if (g_nmc.v) {
            sc = base_scene(&g_nmc, seed);
            snprintf(nm, sizeof nm, "nmc evolving s%u", (unsigned)seed);
            report(nm, &sc);
        }
    }
}
END_TEST

/* ---- shine-through through the digital twin ------------------------------ */
typedef struct simseries {
    size_t n, w, h;
    float *img;     /* n * w * h */
    double (*a)[2]; /* true applied shift of each slice (zero mean) */
} simseries;

static fib_status read_sim(void *user, size_t i, fib_image *out, fib_error *err)
{
    (void)err;
    const simseries *s = user;
    for (size_t y = 0; y < s->h; y++)
        memcpy(fib_image_row(out, y), s->img + (i * s->h + y) * s->w,
               s->w * sizeof(float));
    return FIB_OK;
}

/* Render the packing through fib_sim (52 deg view, every default artifact,
 * pore-back on or off) and return the position error (px RMS per axis,
 * constant offset removed) of fib_recon with and without the dark clip. */
static void shine_case(uint64_t seed, double shine_nm, double pos[2][2])
{
    fib_volume v = {0};
    v.type = FIB_PX_U8;
    v.nx = g_pack.nx;
    v.ny = g_pack.ny;
    v.nz = g_pack.nz;
    v.stride_y = v.nx;
    v.stride_z = v.nx * v.ny;
    v.data = g_pack.v;
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = 20;
    fib_sim_params sp = {0};
    sp.seed = seed;
    sp.n_slices = 64;
    sp.shine_nm = shine_nm;
    fib_sim *sim = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_sim_create(&v, &sp, &sim, &err) == FIB_OK, "%s", err.msg);
    const fib_sim_geometry g = fib_sim_get_geometry(sim);
    simseries s = {g.nz, g.nx, g.ny, NULL, NULL};
    s.img = malloc(s.n * s.w * s.h * sizeof(float));
    s.a = malloc(s.n * sizeof *s.a);
    ck_assert(s.img && s.a);
    for (size_t k = 0; k < s.n; k++) {
        fib_image im;
        ck_assert(fib_image_init(&im, FIB_PX_F32, s.w, s.h, NULL) == FIB_OK);
        ck_assert(fib_sim_render(sim, k, &im, NULL) == FIB_OK);
        for (size_t y = 0; y < s.h; y++)
            memcpy(s.img + (k * s.h + y) * s.w, fib_image_row(&im, y),
                   s.w * sizeof(float));
        fib_image_clear(&im);
        const fib_sim_slice q = fib_sim_get_slice(sim, k);
        s.a[k][0] = q.dx;
        s.a[k][1] = q.dy;
    }
    fib_sim_destroy(sim);
    for (int clip = 0; clip < 2; clip++) {
        fib_recon_source src = {0};
        src.n_slices = s.n;
        src.width = s.w;
        src.height = s.h;
        src.type = FIB_PX_F32;
        src.read = read_sim;
        src.user = &s;
        fib_recon_params p = {0};
        p.dark_clip = clip ? FIB_RECON_DARK_CLIP_ON : FIB_RECON_DARK_CLIP_OFF;
        fib_recon *r = NULL;
        ck_assert(fib_recon_create(&p, &src, &r, &err) == FIB_OK);
        ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s",
                      err.msg);
        double m[2] = {0, 0}, q2[2] = {0, 0};
        for (size_t i = 0; i < s.n; i++) {
            const fib_recon_slice_info in = fib_recon_get_slice(r, i);
            const double e[2] = {in.dx - s.a[i][0], in.dy - s.a[i][1]};
            for (int a = 0; a < 2; a++) {
                m[a] += e[a];
                q2[a] += e[a] * e[a];
            }
        }
        for (int a = 0; a < 2; a++) {
            m[a] /= (double)s.n;
            pos[clip][a] = sqrt(fmax(q2[a] / (double)s.n - m[a] * m[a], 0));
        }
        fib_recon_destroy(r);
    }
    free(s.img);
    free(s.a);
}

/* Pore-back (shine-through): in a 52 deg view the material seen through a
 * pore lies behind the face and moves up by t cot(52 deg) = 0.78 px per
 * 20 nm slice, a common apparent motion of every pair in y.  The dark clip
 * removes the part of it below the Otsu threshold: measured y error 1.66
 * -> 0.68 px RMS (seed 1; seed 2: 1.81 -> 0.87; without pore-back 0.10 /
 * 0.07), x unchanged
 * within 0.02 px.  The rest (pore-back brighter than the threshold, next
 * to the pore edges) stays: the assertion is that the clip at least
 * halves the y error and leaves x within 0.05 px. */
START_TEST(test_shine_through)
{
    for (uint64_t seed = 1; seed <= 2; seed++) {
        double pos[2][2], off[2][2];
        shine_case(seed, 0, pos);  /* default pore-back */
        shine_case(seed, -1, off); /* no pore-back */
        fprintf(stderr,
                "fidelity shine seed %u: raw %.3f / %.3f, dark clip %.3f / "
                "%.3f px RMS; without pore-back raw %.3f / %.3f, clip "
                "%.3f / %.3f\n",
                (unsigned)seed, pos[0][0], pos[0][1], pos[1][0], pos[1][1],
                off[0][0], off[0][1], off[1][0], off[1][1]);
        ck_assert_msg(pos[1][1] < 0.55 * pos[0][1] && pos[1][1] < 1.0,
                      "y: clip %g vs raw %g", pos[1][1], pos[0][1]);
        ck_assert_msg(pos[1][0] < pos[0][0] + 0.05, "x: clip %g vs raw %g",
                      pos[1][0], pos[0][0]);
        ck_assert_msg(off[1][0] < 0.2 && off[1][1] < 0.2,
                      "no pore-back: clip %g / %g", off[1][0], off[1][1]);
    }
}
END_TEST

int main(void)
{
    make_packing(&g_pack, 220, 220, 80, 7);
    (void)load_nmc(&g_nmc);
    Suite *s = suite_create("recon_fidelity");
    TCase *tc = tcase_create("fidelity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_static_k3_no_worse);
    tcase_add_test(tc, test_evolving_absolute);
    tcase_add_test(tc, test_frame_fixed_stripes);
    tcase_add_test(tc, test_notch_threads_identical);
    tcase_add_test(tc, test_nmc_electrode);
    tcase_add_test(tc, test_shine_through);
    tcase_add_test(tc, test_fidelity_table);
    suite_add_tcase(s, tc);
    const int rc = fib_test_run(s, NULL);
    free(g_pack.v);
    free(g_nmc.v);
    return rc;
}
