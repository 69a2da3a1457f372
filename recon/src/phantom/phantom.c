/*
 * phantom.c -- synthetic slice-and-view series with ground truth
 * (fib/phantom.h).
 *
 * Structure: analytic capsules (segment + radius; a sphere is a capsule of
 * zero length) in structure coordinates (X, Y in pixels, Z = z * slice_nm
 * / pixel_nm), each of one phase; the dendrite substrate is a wavy half
 * space.  A slice is rendered from signed distances sd (px, > 0 outside):
 * coverage a = clamp(0.5 - sd, 0, 1) gives anti-aliased, sub-pixel exact
 * edges, so the drift can be applied exactly by shifting the sampling
 * grid: image(x, y) = S(x - dx_z, y - dy_z).  SEM-like contrast: phases
 * composited in priority order, a bright rim exp(-(sd + 0.5)^2 / 1.28) on
 * the material side (edge effect), optional shine-through of material up
 * to 4 slices behind a pore.  Artifacts, each from a PRNG stream that
 * depends only on (seed, slice): curtaining streaks fixed in the sample
 * (they move with the drift, fade downwards, change amplitude per slice),
 * a vertical shading, a per-slice gain random walk and Gaussian noise.
 *
 * PRNG: xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "fib/checked.h"
#include "fib/phantom.h"

#define FIB_PI 3.14159265358979323846
#define MAX_PRIMS 20000
#define NPHASE 3

typedef fib__rng rng;

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    fib__rng_seed(r, seed, stream, 0);
}

static double rng_uniform(rng *r)
{
    return fib__rng_uniform(r);
}

static double rng_range(rng *r, double a, double b)
{
    return a + (b - a) * rng_uniform(r);
}

static double rng_normal(rng *r)
{
    return fib__rng_normal(r);
}

typedef struct prim {
    double a[3], b[3], r;
    int phase; /* 0..NPHASE-1 : label phase + 1 */
} prim;

typedef struct streak {
    double x, width, amp;
} streak;

struct fib_phantom {
    fib_phantom_params p;
    double zs; /* structure Z per slice */
    prim *prims;
    size_t nprims;
    double *drift; /* 2 nz */
    double *gain;  /* nz */
    streak *streaks;
    size_t nstreaks;
    /* substrate (dendrites) */
    double ysub, wave_amp, ph1, ph2;
    /* protective cap with fiducial grooves (static along z) */
    double cap_y, groove_x[3], groove_w, groove_depth;
    double level[NPHASE + 1]; /* background, label 1, label 2 */
    int order[NPHASE];        /* composite order of labels (1-based) */
    int norder;
};

const char *fib_phantom_kind_name(fib_phantom_kind kind)
{
    switch (kind) {
    case FIB_PHANTOM_DENDRITES:
        return "dendrites";
    case FIB_PHANTOM_COATING:
        return "coating";
    case FIB_PHANTOM_PARTICLES:
        return "particles";
    }
    return "unknown";
}

fib_status fib_phantom_kind_parse(const char *text, fib_phantom_kind *out,
                                  fib_error *err)
{
    for (int k = 0; k <= FIB_PHANTOM_PARTICLES; k++) {
        if (text && !strcmp(text, fib_phantom_kind_name((fib_phantom_kind)k))) {
            *out = (fib_phantom_kind)k;
            return FIB_OK;
        }
    }
    return fib_error_set(err, FIB_EINVAL,
                         "phantom: kind must be dendrites, coating or "
                         "particles (got '%s')",
                         text ? text : "");
}

static bool add_prim(fib_phantom *ph, const double a[3], const double b[3],
                     double r, int label)
{
    if (ph->nprims >= MAX_PRIMS)
        return false;
    prim *q = &ph->prims[ph->nprims++];
    memcpy(q->a, a, sizeof q->a);
    memcpy(q->b, b, sizeof q->b);
    q->r = r;
    q->phase = label;
    return true;
}

static double substrate_y(const fib_phantom *ph, double X, double Z)
{
    return ph->ysub + ph->wave_amp * sin(2.0 * FIB_PI * X / 61.0 + ph->ph1) *
                          sin(2.0 * FIB_PI * Z / 97.0 + ph->ph2);
}

static void normalize3(double v[3])
{
    const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (n > 0)
        for (int i = 0; i < 3; i++)
            v[i] /= n;
}

static void build_dendrites(fib_phantom *ph, rng *g, double sc, double D)
{
    const double nx = (double)ph->p.nx, ny = (double)ph->p.ny;
    ph->ysub = 0.8 * ny;
    ph->wave_amp = 1.0 * sc;
    ph->ph1 = rng_range(g, 0, 2 * FIB_PI);
    ph->ph2 = rng_range(g, 0, 2 * FIB_PI);
    size_t nroots = (size_t)(nx * (D + 1) / (1800.0 * sc * sc)) + 4;
    typedef struct tip {
        double p[3], d[3], r, len_left;
    } tip;
    tip stack[256];
    for (size_t k = 0; k < nroots; k++) {
        size_t top = 0;
        tip t;
        t.p[0] = rng_range(g, 0.05 * nx, 0.95 * nx);
        t.p[2] = rng_range(g, -4.0 * sc, D + 4.0 * sc);
        t.p[1] = substrate_y(ph, t.p[0], t.p[2]) + 2.0 * sc;
        t.d[0] = rng_range(g, -0.5, 0.5);
        t.d[1] = -1.0;
        t.d[2] = rng_range(g, -0.5, 0.5);
        normalize3(t.d);
        t.r = rng_range(g, 2.5, 5.0) * sc;
        t.len_left = rng_range(g, 0.25, 0.65) * ph->ysub;
        stack[top++] = t;
        while (top) {
            tip c = stack[--top];
            while (c.len_left > 0 && c.r > 0.8) {
                const double L = 8.0 * sc;
                double e[3];
                for (int i = 0; i < 3; i++)
                    e[i] = c.p[i] + L * c.d[i];
                if (!add_prim(ph, c.p, e, c.r, 1))
                    return;
                memcpy(c.p, e, sizeof e);
                c.len_left -= L;
                c.r *= 0.985;
                for (int i = 0; i < 3; i++)
                    c.d[i] += 0.25 * rng_normal(g);
                if (c.d[1] > -0.2) /* keep growing away from the substrate */
                    c.d[1] = -0.2;
                normalize3(c.d);
                if (rng_uniform(g) < 0.12 && top < 255) {
                    tip b = c;
                    for (int i = 0; i < 3; i++)
                        b.d[i] += 0.8 * rng_normal(g);
                    normalize3(b.d);
                    b.r = 0.7 * c.r;
                    b.len_left = 0.6 * c.len_left;
                    stack[top++] = b;
                }
            }
        }
    }
}

static void build_spheres(fib_phantom *ph, rng *g, double sc, double D,
                          bool coated)
{
    const double nx = (double)ph->p.nx, ny = (double)ph->p.ny;
    const double target = coated ? 0.45 : 0.50;
    const double box = nx * ny * (D + 1.0);
    double vol = 0;
    for (int tries = 0; tries < 20000 && vol < target * box; tries++) {
        const double r =
            (coated ? rng_range(g, 7, 16) : rng_range(g, 7, 18)) * sc;
        double c[3] = {rng_range(g, -r, nx + r), rng_range(g, -r, ny + r),
                       rng_range(g, -r, D + r)};
        /* crude non-overlap: keep particles apart by 0.85 (r1 + r2) */
        bool ok = true;
        for (size_t k = 0; k < ph->nprims && ok; k++) {
            const prim *q = &ph->prims[k];
            if (q->phase != 1)
                continue;
            const double dx = q->a[0] - c[0], dy = q->a[1] - c[1],
                         dz = q->a[2] - c[2];
            const double lim = 0.85 * (q->r + r);
            if (dx * dx + dy * dy + dz * dz < lim * lim)
                ok = false;
        }
        if (!ok)
            continue;
        double b[3] = {c[0], c[1], c[2]};
        if (!coated) { /* elongated particles: short capsules */
            double d[3] = {rng_normal(g), rng_normal(g), rng_normal(g)};
            normalize3(d);
            const double l = rng_range(g, 0, 0.3) * r;
            for (int i = 0; i < 3; i++)
                b[i] = c[i] + l * d[i];
        }
        if (coated) {
            const double t = rng_range(g, 2.5, 5.0) * sc;
            if (!add_prim(ph, c, b, r + t, 2))
                return;
        }
        if (!add_prim(ph, c, b, r, 1))
            return;
        vol += 4.0 / 3.0 * FIB_PI * r * r * r;
    }
    if (!coated) { /* binder / carbon blobs */
        const size_t nb = (size_t)(box / (8000.0 * sc * sc * sc));
        for (size_t k = 0; k < nb; k++) {
            double c[3] = {rng_range(g, 0, nx), rng_range(g, 0, ny),
                           rng_range(g, 0, D)};
            if (!add_prim(ph, c, c, rng_range(g, 4.0, 7.0) * sc, 2))
                return;
        }
    }
}

/* Validate @p p and fill its defaults (0 = default). */
static fib_status phantom_params(fib_phantom_params *p, fib_error *err)
{
    if ((unsigned)p->kind > FIB_PHANTOM_PARTICLES)
        return fib_error_set(err, FIB_EINVAL, "phantom: bad kind %d",
                             (int)p->kind);
    if (!p->nx)
        p->nx = 256;
    if (!p->ny)
        p->ny = 256;
    if (!p->nz)
        p->nz = 64;
    if (p->nx < 16 || p->ny < 16 || p->nx > 8192 || p->ny > 8192)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: slice size must be 16..8192 px a side "
                             "(got %zu x %zu)",
                             p->nx, p->ny);
    if (p->nz > 4096)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: nz must be 1..4096 (got %zu)", p->nz);
    if (!(p->pixel_nm >= 0) || !(p->slice_nm >= 0) || !isfinite(p->drift_px) ||
        !isfinite(p->noise) || !isfinite(p->stripes) || !isfinite(p->shading) ||
        !isfinite(p->intensity_drift))
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: sizes must be >= 0 and amplitudes "
                             "finite");
    if (p->pixel_nm == 0)
        p->pixel_nm = 10;
    if (p->slice_nm == 0)
        p->slice_nm = p->pixel_nm;
    if (p->drift_px == 0)
        p->drift_px = 0.6;
    if (p->noise == 0)
        p->noise = 0.03;
    if (p->stripes == 0)
        p->stripes = 0.04;
    if (p->shading == 0)
        p->shading = 0.15;
    if (p->intensity_drift == 0)
        p->intensity_drift = 0.003;
    return FIB_OK;
}

/* The scene of the phantom's kind: primitives, grey levels, draw order,
 * and the protective cap with its grooves. */
static void phantom_scene(fib_phantom *ph, rng *g, double sc, double D)
{
    const fib_phantom_params *p = &ph->p;
    switch (p->kind) {
    case FIB_PHANTOM_DENDRITES:
        build_dendrites(ph, g, sc, D);
        ph->level[0] = 0.22; /* electrolyte / embedding */
        ph->level[1] = 0.45; /* lithium: low Z, dim */
        ph->level[2] = 0.85; /* copper substrate */
        ph->order[0] = 2;
        ph->order[1] = 1;
        ph->norder = 2;
        break;
    case FIB_PHANTOM_COATING:
        build_spheres(ph, g, sc, D, true);
        ph->level[0] = 0.25;
        ph->level[1] = 0.75; /* core */
        ph->level[2] = 0.45; /* shell */
        ph->order[0] = 2;
        ph->order[1] = 1;
        ph->norder = 2;
        break;
    case FIB_PHANTOM_PARTICLES:
        build_spheres(ph, g, sc, D, false);
        ph->level[0] = 0.10; /* pore */
        ph->level[1] = 0.75; /* active particle */
        ph->level[2] = 0.38; /* binder / carbon */
        ph->order[0] = 2;
        ph->order[1] = 1;
        ph->norder = 2;
        break;
    }
    if (!p->no_cap) {
        ph->cap_y = 0.1 * (double)p->ny;
        ph->groove_w = 4.0 * sc;
        ph->groove_depth = 0.75 * ph->cap_y;
        for (int k = 0; k < 3; k++)
            ph->groove_x[k] = (0.3 + 0.2 * k) * (double)p->nx;
    }
}

/* Stage drift (random walk, slice 0 at zero), gain drift and the
 * curtaining streaks fixed in the sample frame. */
static fib_status phantom_artifacts(fib_phantom *ph, fib_error *err)
{
    const fib_phantom_params *p = &ph->p;
    /* drift: random walk, slice 0 at zero */
    rng gd;
    rng_seed(&gd, p->seed, 2);
    for (size_t z = 1; z < p->nz; z++) {
        const double s = p->drift_px > 0 ? p->drift_px : 0.0;
        ph->drift[2 * z] = ph->drift[2 * z - 2] + s * rng_normal(&gd);
        ph->drift[2 * z + 1] = ph->drift[2 * z - 1] + s * rng_normal(&gd);
    }
    ph->gain[0] = 1.0;
    for (size_t z = 1; z < p->nz; z++)
        ph->gain[z] =
            ph->gain[z - 1] * (1.0 + (p->intensity_drift > 0
                                          ? p->intensity_drift * rng_normal(&gd)
                                          : 0.0));
    /* curtaining streaks fixed in the sample frame */
    rng gs;
    rng_seed(&gs, p->seed, 3);
    ph->nstreaks = p->nx / 12 + 1;
    ph->streaks = malloc(ph->nstreaks * sizeof *ph->streaks);
    if (!ph->streaks) {
        return fib_error_set(err, FIB_ENOMEM, "phantom: out of memory");
    }
    for (size_t k = 0; k < ph->nstreaks; k++) {
        ph->streaks[k].x = rng_range(&gs, 0, (double)p->nx);
        ph->streaks[k].width = rng_range(&gs, 0.6, 2.5);
        ph->streaks[k].amp = rng_normal(&gs);
    }
    return FIB_OK;
}

fib_status fib_phantom_create(const fib_phantom_params *params,
                              fib_phantom **out, fib_error *err)
{
    fib_phantom_params p = params ? *params : (fib_phantom_params){0};
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "phantom: out is NULL");
    *out = NULL;
    fib_status st = phantom_params(&p, err);
    if (st != FIB_OK)
        return st;
    fib_phantom *ph = calloc(1, sizeof *ph);
    if (!ph)
        return fib_error_set(err, FIB_ENOMEM, "phantom: out of memory");
    ph->p = p;
    ph->zs = p.slice_nm / p.pixel_nm;
    ph->prims = malloc(MAX_PRIMS * sizeof *ph->prims);
    ph->drift = calloc(2 * p.nz, sizeof *ph->drift);
    ph->gain = calloc(p.nz, sizeof *ph->gain);
    if (!ph->prims || !ph->drift || !ph->gain) {
        fib_phantom_destroy(ph);
        return fib_error_set(err, FIB_ENOMEM, "phantom: out of memory");
    }
    rng g;
    rng_seed(&g, p.seed, 1);
    /* feature scale: grows with the image, but features stay several
     * slices deep even in small test phantoms */
    double sc = (double)(p.nx < p.ny ? p.nx : p.ny) / 256.0;
    if (sc < 1.0)
        sc = 1.0;
    const double D = (double)(p.nz - 1) * ph->zs;
    phantom_scene(ph, &g, sc, D);
    if ((st = phantom_artifacts(ph, err)) != FIB_OK) {
        fib_phantom_destroy(ph);
        return st;
    }
    *out = ph;
    return FIB_OK;
}

void fib_phantom_destroy(fib_phantom *ph)
{
    if (!ph)
        return;
    free(ph->prims);
    free(ph->drift);
    free(ph->gain);
    free(ph->streaks);
    free(ph);
}

fib_phantom_params fib_phantom_get_params(const fib_phantom *ph)
{
    fib_phantom_params z = {0};
    return ph ? ph->p : z;
}

void fib_phantom_true_drift(const fib_phantom *ph, size_t z, double *dx,
                            double *dy)
{
    *dx = *dy = 0;
    if (!ph || z >= ph->p.nz)
        return;
    *dx = ph->drift[2 * z];
    *dy = ph->drift[2 * z + 1];
}

/* Signed distances of each label (index 1..2) in the slice at structure Z,
 * sampled at image pixel centres shifted by (ox, oy): structure X = x - ox.
 * sd[(l-1) * n + i] holds label l; values are clamped to +-4 px. */
static void distances(const fib_phantom *ph, double Z, double ox, double oy,
                      float *sd)
{
    const size_t nx = ph->p.nx, ny = ph->p.ny, n = nx * ny;
    for (size_t i = 0; i < 2 * n; i++)
        sd[i] = 4.0f;
    const double M = 2.5; /* margin for edges and rims */
    for (size_t k = 0; k < ph->nprims; k++) {
        const prim *q = &ph->prims[k];
        const double zlo = fmin(q->a[2], q->b[2]) - q->r - M;
        const double zhi = fmax(q->a[2], q->b[2]) + q->r + M;
        if (Z < zlo || Z > zhi)
            continue;
        double ab[3], L2 = 0;
        for (int i = 0; i < 3; i++) {
            ab[i] = q->b[i] - q->a[i];
            L2 += ab[i] * ab[i];
        }
        const double x0 = fmin(q->a[0], q->b[0]) - q->r - M + ox;
        const double x1 = fmax(q->a[0], q->b[0]) + q->r + M + ox;
        const double y0 = fmin(q->a[1], q->b[1]) - q->r - M + oy;
        const double y1 = fmax(q->a[1], q->b[1]) + q->r + M + oy;
        if (x1 < 0 || y1 < 0 || x0 > (double)nx - 1 || y0 > (double)ny - 1)
            continue;
        const size_t ix0 = x0 < 0 ? 0 : (size_t)ceil(x0);
        const size_t iy0 = y0 < 0 ? 0 : (size_t)ceil(y0);
        const size_t ix1 = x1 > (double)nx - 1 ? nx - 1 : (size_t)floor(x1);
        const size_t iy1 = y1 > (double)ny - 1 ? ny - 1 : (size_t)floor(y1);
        float *dst = sd + (size_t)(q->phase - 1) * n;
        for (size_t y = iy0; y <= iy1; y++) {
            const double Y = (double)y - oy;
            for (size_t x = ix0; x <= ix1; x++) {
                const double X = (double)x - ox;
                const double ap[3] = {X - q->a[0], Y - q->a[1], Z - q->a[2]};
                double t =
                    L2 > 0
                        ? (ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / L2
                        : 0.0;
                t = t < 0 ? 0 : (t > 1 ? 1 : t);
                const double d0 = ap[0] - t * ab[0], d1 = ap[1] - t * ab[1],
                             d2 = ap[2] - t * ab[2];
                const float d =
                    (float)(sqrt(d0 * d0 + d1 * d1 + d2 * d2) - q->r);
                if (d < dst[y * nx + x])
                    dst[y * nx + x] = d;
            }
        }
    }
    if (ph->p.kind == FIB_PHANTOM_DENDRITES) { /* substrate = label 2 */
        float *dst = sd + n;
        for (size_t y = 0; y < ny; y++) {
            const double Y = (double)y - oy;
            for (size_t x = 0; x < nx; x++) {
                const double X = (double)x - ox;
                double d = substrate_y(ph, X, Z) - Y;
                d = d > 4 ? 4 : (d < -4 ? -4 : d);
                if ((float)d < dst[y * nx + x])
                    dst[y * nx + x] = (float)d;
            }
        }
    }
}

/* Lattice value noise in [-1, 1] (hash of the integer corner), smoothly
 * interpolated: a 3D texture of the sample (grain, embedding) so that
 * neighbouring slices share fine detail, as real materials do. */
static double lattice(uint64_t seed, int64_t i, int64_t j, int64_t k)
{
    uint64_t h = seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)j * 0xc2b2ae3d27d4eb4fULL) ^
                 ((uint64_t)k * 0x165667b19e3779f9ULL);
    h = fib__splitmix64(&h);
    return (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static double smooth(double t)
{
    return t * t * (3.0 - 2.0 * t);
}

static double value_noise(uint64_t seed, double x, double y, double z)
{
    const double fx = floor(x), fy = floor(y), fz = floor(z);
    const int64_t i = (int64_t)fx, j = (int64_t)fy, k = (int64_t)fz;
    const double u = smooth(x - fx), v = smooth(y - fy), w = smooth(z - fz);
    double c[2][2];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            const double l0 = lattice(seed, i + a, j + b, k);
            const double l1 = lattice(seed, i + a, j + b, k + 1);
            c[a][b] = l0 + w * (l1 - l0);
        }
    const double y0 = c[0][0] + v * (c[0][1] - c[0][0]);
    const double y1 = c[1][0] + v * (c[1][1] - c[1][0]);
    return y0 + u * (y1 - y0);
}

static double texture(const fib_phantom *ph, double X, double Y, double Z)
{
    return value_noise(ph->p.seed + 77, X / 6.0, Y / 6.0, Z / 6.0) +
           0.5 * value_noise(ph->p.seed + 78, X / 3.0, Y / 3.0, Z / 3.0);
}

static inline float coverage(float sd)
{
    const float a = 0.5f - sd;
    return a < 0 ? 0.0f : (a > 1 ? 1.0f : a);
}

/* Signed distance (px, > 0 outside) of the cap and of its grooves. */
static void cap_sd(const fib_phantom *ph, double X, double Y, double *cap,
                   double *groove)
{
    *cap = Y - ph->cap_y;
    double gmin = 1e9;
    for (int k = 0; k < 3; k++) {
        const double dx = fabs(X - ph->groove_x[k]) - 0.5 * ph->groove_w;
        const double d = fmax(dx, Y - ph->groove_depth);
        gmin = fmin(gmin, d);
    }
    *groove = gmin;
}

/* Grey of the protective cap (Pt, bright) over the face, with its dark
 * fiducial grooves, composited over @p below. */
static double cap_grey(const fib_phantom *ph, double X, double Y, double below)
{
    double c, gr;
    cap_sd(ph, X, Y, &c, &gr);
    const double ac = (double)coverage((float)c);
    /* two layers: electron-beam Pt (0.7) under ion-beam Pt (0.9), their
     * interface is flat along z like the sample surface */
    const double al = (double)coverage((float)(Y - 0.45 * ph->cap_y));
    double g = below * (1.0 - ac) + (0.7 + 0.2 * al) * ac;
    const double ag = (double)coverage((float)gr);
    g = g * (1.0 - ag) + 0.15 * ag;
    const double e = gr + 0.5;
    return g + 0.1 * exp(-e * e / 1.28) * ac;
}

fib_status fib_phantom_render(const fib_phantom *ph, size_t z, fib_image *out,
                              fib_error *err)
{
    if (!ph || !out || !out->data)
        return fib_error_set(err, FIB_EINVAL, "phantom: render needs images");
    if (z >= ph->p.nz)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: slice %zu out of range (nz %zu)", z,
                             ph->p.nz);
    if (out->width != ph->p.nx || out->height != ph->p.ny ||
        (out->type != FIB_PX_U8 && out->type != FIB_PX_U16 &&
         out->type != FIB_PX_F32))
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: output must be %zu x %zu u8/u16/f32 "
                             "(got %zu x %zu %s)",
                             ph->p.nx, ph->p.ny, out->width, out->height,
                             fib_pixel_type_name(out->type));
    const size_t nx = ph->p.nx, ny = ph->p.ny, n = nx * ny;
    const bool shine = ph->p.shine_through;
    float *sd = malloc((shine ? 4 : 2) * n * sizeof(float));
    if (!sd)
        return fib_error_set(err, FIB_ENOMEM, "phantom: out of memory");
    const double ox = ph->drift[2 * z], oy = ph->drift[2 * z + 1];
    const double Z = (double)z * ph->zs;
    distances(ph, Z, ox, oy, sd);
    if (shine) /* material 4 px behind the face, seen through pores */
        distances(ph, Z + 4.0, ox, oy, sd + 2 * n);
    rng gn;
    rng_seed(&gn, ph->p.seed, 1000 + 2 * (uint64_t)z);
    rng ga;
    rng_seed(&ga, ph->p.seed, 1001 + 2 * (uint64_t)z);
    /* per-slice streak amplitude factors (first nstreaks draws) */
    const double stripes = ph->p.stripes > 0 ? ph->p.stripes : 0.0;
    const double noise = ph->p.noise > 0 ? ph->p.noise : 0.0;
    const double shading = ph->p.shading > 0 ? ph->p.shading : 0.0;
    double fac[4096];
    const size_t ns = ph->nstreaks < 4096 ? ph->nstreaks : 4096;
    for (size_t k = 0; k < ns; k++)
        fac[k] = 1.0 + 0.3 * rng_normal(&ga);
    const double gain = ph->gain[z];
    /* curtain profile of this slice: streaks fixed in the sample frame */
    double *colst = malloc(nx * sizeof(double));
    if (!colst) {
        free(sd);
        return fib_error_set(err, FIB_ENOMEM, "phantom: out of memory");
    }
    for (size_t x = 0; x < nx; x++) {
        const double xs = (double)x - ox;
        double acc = 0;
        for (size_t k = 0; k < ns && stripes > 0; k++) {
            const double d = (xs - ph->streaks[k].x) / ph->streaks[k].width;
            if (d > -4 && d < 4)
                acc += ph->streaks[k].amp * fac[k] * exp(-0.5 * d * d);
        }
        colst[x] = acc;
    }
    for (size_t y = 0; y < ny; y++) {
        const double fy = (double)y / (double)ny;
        const double shade = 1.0 - shading * fy * fy;
        const double fade = 1.0 - 0.6 * fy; /* curtains fade downwards */
        for (size_t x = 0; x < nx; x++) {
            const size_t i = y * nx + x;
            double g = ph->level[0], alpha_all = 0;
            for (int o = 0; o < ph->norder; o++) {
                const int l = ph->order[o];
                const float s = sd[(size_t)(l - 1) * n + i];
                const float a = coverage(s);
                g = g * (1.0 - (double)a) + ph->level[l] * (double)a;
                alpha_all = alpha_all + (double)a * (1.0 - alpha_all);
                /* edge brightening on the material side */
                const double e = (double)s + 0.5;
                g += 0.12 * exp(-e * e / 1.28);
            }
            if (shine) {
                const float a = coverage(sd[2 * n + i]);
                g += 0.25 * (1.0 - alpha_all) * (double)a *
                     (ph->level[1] - ph->level[0]);
            }
            const double xs = (double)x - ox; /* streaks move with sample */
            const double st = colst[x];
            g += 0.05 * texture(ph, xs, (double)y - oy, Z);
            if (ph->cap_y > 0)
                g = cap_grey(ph, xs, (double)y - oy, g);
            g = (g + stripes * fade * st) * shade * gain;
            if (noise > 0)
                g += noise * rng_normal(&gn);
            void *row = fib_image_row(out, y);
            const double c = g < 0 ? 0 : (g > 1 ? 1 : g);
            if (out->type == FIB_PX_F32)
                ((float *)row)[x] = (float)g;
            else if (out->type == FIB_PX_U8)
                ((uint8_t *)row)[x] = (uint8_t)(c * 255.0 + 0.5);
            else
                ((uint16_t *)row)[x] = (uint16_t)(c * 65535.0 + 0.5);
        }
    }
    free(sd);
    free(colst);
    return FIB_OK;
}

fib_status fib_phantom_labels(const fib_phantom *ph, size_t z, fib_image *out,
                              fib_error *err)
{
    return fib_phantom_labels_at(ph, z, 0, 0, out, err);
}

fib_status fib_phantom_labels_at(const fib_phantom *ph, size_t z, double ox,
                                 double oy, fib_image *out, fib_error *err)
{
    if (!ph || !out || !out->data)
        return fib_error_set(err, FIB_EINVAL, "phantom: labels needs images");
    if (z >= ph->p.nz)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: slice %zu out of range (nz %zu)", z,
                             ph->p.nz);
    if (out->width != ph->p.nx || out->height != ph->p.ny ||
        (out->type != FIB_PX_U8 && out->type != FIB_PX_U32))
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: label image must be %zu x %zu u8/u32",
                             ph->p.nx, ph->p.ny);
    if (!isfinite(ox) || !isfinite(oy) || fabs(ox) > 1e6 || fabs(oy) > 1e6)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: label offset must be finite, at most "
                             "1e6 px (got %g, %g)",
                             ox, oy);
    const size_t nx = ph->p.nx, ny = ph->p.ny, n = nx * ny;
    float *sd = malloc(2 * n * sizeof(float));
    if (!sd)
        return fib_error_set(err, FIB_ENOMEM, "phantom: out of memory");
    distances(ph, (double)z * ph->zs, ox, oy, sd);
    for (size_t y = 0; y < ny; y++) {
        void *row = fib_image_row(out, y);
        for (size_t x = 0; x < nx; x++) {
            uint32_t lab = 0;
            double cd = 1, gd = 1;
            if (ph->cap_y > 0)
                cap_sd(ph, (double)x - ox, (double)y - oy, &cd, &gd);
            for (int o = 0; o < ph->norder; o++) {
                const int l = ph->order[o];
                if (sd[(size_t)(l - 1) * n + y * nx + x] <= 0.0f)
                    lab = (uint32_t)l;
            }
            if (cd <= 0)
                lab = gd <= 0 ? 0 : 3;
            if (out->type == FIB_PX_U8)
                ((uint8_t *)row)[x] = (uint8_t)lab;
            else
                ((uint32_t *)row)[x] = lab;
        }
    }
    free(sd);
    return FIB_OK;
}

double fib_phantom_label_fraction(const fib_phantom *ph, uint32_t label)
{
    if (!ph)
        return 0;
    fib_image im = {0};
    if (fib_image_init(&im, FIB_PX_U8, ph->p.nx, ph->p.ny, NULL))
        return 0;
    size_t count = 0;
    for (size_t z = 0; z < ph->p.nz; z++) {
        if (fib_phantom_labels(ph, z, &im, NULL))
            break;
        for (size_t y = 0; y < im.height; y++) {
            const uint8_t *row = fib_image_row(&im, y);
            for (size_t x = 0; x < im.width; x++)
                count += row[x] == label;
        }
    }
    const double total = (double)ph->p.nx * (double)ph->p.ny * (double)ph->p.nz;
    fib_image_clear(&im);
    return (double)count / total;
}
