/*
 * features.c -- the pixel-classifier filter bank of fib/features.h:
 * parameters, channel layout, the plan (kernel radii and workspace) and
 * the slab driver.  The passes are in features_pass.c; formulas and
 * references in analysis/FEATURES.md.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fib/checked.h"
#include "fib/features.h"
#include "features_internal.h"

/* ilastik's default scales without 0.3 (Berg et al. 2019). */
static const double default_scales[] = {0.7, 1.0, 1.6, 3.5, 5.0, 10.0};
#define N_DEFAULT (sizeof default_scales / sizeof default_scales[0])

static const char *const set_name[FIB__FEAT_NSETS] = {
    "gauss", "log", "gradmag", "dog", "structure", "hessian", "variance"};
static const size_t set_width[FIB__FEAT_NSETS] = {1, 1, 1, 1, 3, 3, 1};

/* DoG inner scale and structure-tensor outer scale, as factors of s
 * (ilastik's DifferenceOfGaussians and StructureTensorEigenvalues). */
#define DOG_RATIO 0.66
#define ST_OUTER_RATIO 0.5

#define SCALE_MIN 0.3
#define SCALE_MAX 64.0
/* Largest ratio of voxel sizes (x to y or z): kernels stay below 4 * 64 *
 * 1000 voxels. */
#define MAX_ANISO 1000.0

/* The resolved parameters: scales, sets, raw, voxel ratios f[a] = vx/va. */
typedef struct resolved {
    size_t n;
    double s[FIB_FEATURES_MAX_SCALES];
    unsigned sets;
    bool raw;
    double f[3];
} resolved;

static void resolve(const fib_features_params *p, resolved *r)
{
    memset(r, 0, sizeof *r);
    if (p->scales[0] == 0.0) {
        r->n = N_DEFAULT;
        memcpy(r->s, default_scales, sizeof default_scales);
    } else {
        while (r->n < FIB_FEATURES_MAX_SCALES && p->scales[r->n] != 0.0) {
            r->s[r->n] = p->scales[r->n];
            r->n++;
        }
    }
    r->sets = p->sets ? p->sets : (unsigned)FIB_FEAT_ALL;
    r->raw = !p->no_raw;
    bool iso = false;
    for (int a = 0; a < 3; a++)
        iso = iso || !(p->voxel_nm[a] > 0.0);
    for (int a = 0; a < 3; a++)
        r->f[a] = iso ? 1.0 : p->voxel_nm[0] / p->voxel_nm[a];
}

fib_status fib_features_check(const fib_features_params *p, fib_error *err)
{
    if (!p)
        return fib_error_set(err, FIB_EINVAL, "features: no parameters");
    bool ended = false;
    for (int i = 0; i < FIB_FEATURES_MAX_SCALES; i++) {
        double s = p->scales[i];
        if (s == 0.0) {
            ended = true;
            continue;
        }
        if (ended && p->scales[0] != 0.0)
            return fib_error_set(err, FIB_EINVAL,
                                 "features: scales[%d] = %g follows the "
                                 "list's terminating 0",
                                 i, s);
        if (ended)
            return fib_error_set(err, FIB_EINVAL,
                                 "features: scales[%d] = %g but scales[0] = 0 "
                                 "(the default list)",
                                 i, s);
        if (!(s >= SCALE_MIN && s <= SCALE_MAX))
            return fib_error_set(err, FIB_EINVAL,
                                 "features: scales[%d] = %g is outside "
                                 "%g..%g (x voxels)",
                                 i, s, SCALE_MIN, SCALE_MAX);
        for (int j = 0; j < i; j++)
            if (p->scales[j] == s)
                return fib_error_set(err, FIB_EINVAL,
                                     "features: scales[%d] = %g repeats "
                                     "scales[%d]",
                                     i, s, j);
    }
    if (p->sets & ~(unsigned)FIB_FEAT_ALL)
        return fib_error_set(err, FIB_EINVAL,
                             "features: sets 0x%x has bits outside "
                             "FIB_FEAT_ALL (0x%x)",
                             p->sets, (unsigned)FIB_FEAT_ALL);
    bool iso = false;
    for (int a = 0; a < 3; a++) {
        if (!isfinite(p->voxel_nm[a]))
            return fib_error_set(err, FIB_EINVAL,
                                 "features: voxel_nm[%d] is not finite", a);
        iso = iso || !(p->voxel_nm[a] > 0.0);
    }
    for (int a = 1; a < 3 && !iso; a++) {
        double f = p->voxel_nm[0] / p->voxel_nm[a];
        if (!(f >= 1.0 / MAX_ANISO && f <= MAX_ANISO))
            return fib_error_set(err, FIB_EINVAL,
                                 "features: voxel_nm[0] / voxel_nm[%d] = %g "
                                 "is outside 1/%g..%g",
                                 a, f, MAX_ANISO, MAX_ANISO);
    }
    return FIB_OK;
}

size_t fib_features_count(const fib_features_params *p)
{
    resolved r;
    resolve(p, &r);
    size_t per = 0;
    for (int k = 0; k < FIB__FEAT_NSETS; k++)
        if (r.sets & (1u << k))
            per += set_width[k];
    return (r.raw ? 1 : 0) + r.n * per;
}

void fib_features_name(const fib_features_params *p, size_t i, char *buf,
                       size_t n)
{
    if (!buf || n == 0)
        return;
    buf[0] = '\0';
    resolved r;
    resolve(p, &r);
    if (r.raw) {
        if (i == 0) {
            snprintf(buf, n, "raw");
            return;
        }
        i--;
    }
    for (size_t s = 0; s < r.n; s++)
        for (int k = 0; k < FIB__FEAT_NSETS; k++) {
            if (!(r.sets & (1u << k)))
                continue;
            if (i < set_width[k]) {
                if (set_width[k] == 1)
                    snprintf(buf, n, "%s_s%g", set_name[k], r.s[s]);
                else
                    snprintf(buf, n, "%s_ev%zu_s%g", set_name[k], i + 1,
                             r.s[s]);
                return;
            }
            i -= set_width[k];
        }
}

void fib_features_signature(const fib_features_params *p, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    resolved r;
    resolve(p, &r);
    char sc[FIB_FEATURES_MAX_SCALES * 20] = "";
    size_t len = 0;
    for (size_t s = 0; s < r.n; s++)
        len += (size_t)snprintf(sc + len, sizeof sc - len, "%s%.9g",
                                s ? "," : "", r.s[s]);
    snprintf(buf, n,
             "fib-features 1 scales=%s sets=0x%02x raw=%d window=3,3.5,4sigma "
             "dog=%.2f st_outer=%.2f",
             sc, r.sets, r.raw ? 1 : 0, DOG_RATIO, ST_OUTER_RATIO);
}

/* ------------------------------------------------------------------ */
/* the plan                                                            */

static size_t umax(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Reserve (and with @p store fill) the half kernel of one axis. */
static void kern_slot(fib__fkern *k, double sigma, int order, double f,
                      size_t *off, float *store)
{
    k->r = fib__feat_radius(sigma, order);
    k->order = order;
    k->h = NULL;
    if (store) {
        fib__feat_kernel(sigma, order, f, store + *off);
        k->h = store + *off;
    }
    *off += (size_t)k->r + 1;
}

/* Radii, channel offsets and sizes for nx x ny sections (nx, ny may be 0
 * for the halo alone); with @p store (kern_floats floats, known from a
 * first call without) the kernels too.  False when a size overflows. */
static bool plan_init(const fib_features_params *p, size_t nx, size_t ny,
                      fib__fplan *pl, float *store)
{
    resolved r;
    resolve(p, &r);
    memset(pl, 0, sizeof *pl);
    pl->nx = nx;
    pl->ny = ny;
    pl->sets = r.sets;
    pl->raw = r.raw;
    pl->nscales = r.n;
    pl->nch = fib_features_count(p);
    size_t off = 0, ch = r.raw ? 1 : 0;
    for (size_t i = 0; i < r.n; i++) {
        fib__fscale *sc = &pl->sc[i];
        sc->s = r.s[i];
        for (int a = 0; a < 3; a++) {
            double sg = r.s[i] * r.f[a];
            for (int o = 0; o < 3; o++)
                kern_slot(&sc->k[a][o], sg, o, r.f[a], &off, store);
            kern_slot(&sc->dog[a], sg * DOG_RATIO, 0, 1.0, &off, store);
            kern_slot(&sc->st[a], sg * ST_OUTER_RATIO, 0, 1.0, &off, store);
            for (int o = 0; o < 3; o++)
                pl->pad_r = umax(pl->pad_r, (size_t)sc->k[0][o].r);
        }
        for (int k = 0; k < FIB__FEAT_NSETS; k++) {
            sc->ch[k] = -1;
            if (r.sets & (1u << k)) {
                sc->ch[k] = (long)ch;
                ch += set_width[k];
            }
        }
        sc->st_r = (r.sets & FIB_FEAT_STRUCTURE) ? (size_t)sc->st[2].r : 0;
        /* output sections: the z kernels their sets use; gradient
         * sections of the structure tensor (st_r beyond): orders 0, 1 */
        size_t r0 = (size_t)sc->k[2][0].r, r1 = (size_t)sc->k[2][1].r;
        size_t r2 = (size_t)sc->k[2][2].r, rout = r0;
        if (r.sets & (FIB_FEAT_GRADMAG | FIB_FEAT_HESSIAN))
            rout = umax(rout, r1);
        if (r.sets & (FIB_FEAT_LOG | FIB_FEAT_HESSIAN))
            rout = umax(rout, r2);
        sc->halo_z = rout;
        if (r.sets & FIB_FEAT_STRUCTURE)
            sc->halo_z = umax(rout, sc->st_r + umax(r0, r1));
        pl->halo_z = umax(pl->halo_z, sc->halo_z);
        pl->st_r_max = umax(pl->st_r_max, sc->st_r);
    }
    pl->kern_floats = off;
    size_t planes, rows;
    if (!fib_mul_size(nx, ny, &pl->plane) ||
        !fib_add_size(nx, 2 * pl->pad_r, &pl->pstride) ||
        !fib_mul_size(ny, pl->pstride, &pl->pplane) ||
        !fib_mul_size(pl->pplane, FIB__FEAT_PLANES, &planes) ||
        !fib_mul_size(nx, FIB__FEAT_ROWS, &rows) ||
        !fib_add_size(planes, rows, &pl->thread_floats))
        return false;
    return true;
}

size_t fib_features_halo_z(const fib_features_params *p)
{
    fib__fplan pl;
    plan_init(p, 0, 0, &pl, NULL);
    return pl.halo_z;
}

static size_t max_threads(void)
{
#ifdef _OPENMP
    int t = omp_get_max_threads();
    return t > 0 ? (size_t)t : 1;
#else
    return 1;
#endif
}

/* Floats of the working memory: kernels, per-thread workspace, gradient
 * sections of the structure tensor (nzd sections). */
static bool work_floats(const fib__fplan *pl, size_t threads, size_t nzd,
                        size_t *out)
{
    size_t ws, grad = 0, t;
    if (!fib_mul_size(threads, pl->thread_floats, &ws))
        return false;
    if ((pl->sets & FIB_FEAT_STRUCTURE) &&
        !fib_mul3_size(3, nzd, pl->plane, &grad))
        return false;
    return fib_add_size(pl->kern_floats, ws, &t) && fib_add_size(t, grad, out);
}

size_t fib_features_work_bytes(const fib_features_params *p, size_t nx,
                               size_t ny, size_t nz_out)
{
    fib__fplan pl;
    size_t nzd, fl, bytes;
    if (!plan_init(p, nx, ny, &pl, NULL) ||
        !fib_add_size(nz_out, 2 * pl.st_r_max, &nzd) ||
        !work_floats(&pl, max_threads(), nzd, &fl) ||
        !fib_mul_size(fl, sizeof(float), &bytes))
        return SIZE_MAX;
    return bytes;
}

/* ------------------------------------------------------------------ */
/* compute                                                             */

static fib_status check_ranges(const float *in, size_t nx, size_t ny,
                               size_t in_z0, size_t in_nz, size_t vol_nz,
                               size_t z0, size_t z1, const float *out,
                               size_t halo, fib_error *err)
{
    if (!in || !out)
        return fib_error_set(err, FIB_EINVAL, "features: %s is NULL",
                             in ? "out" : "in");
    if (nx == 0 || ny == 0 || vol_nz == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "features: empty volume %zu x %zu x %zu", nx, ny,
                             vol_nz);
    if (!(z0 < z1 && z1 <= vol_nz))
        return fib_error_set(err, FIB_EINVAL,
                             "features: sections [%zu, %zu) are not a "
                             "non-empty range within [0, %zu)",
                             z0, z1, vol_nz);
    if (in_nz == 0 || in_z0 >= vol_nz || in_nz > vol_nz - in_z0)
        return fib_error_set(err, FIB_EINVAL,
                             "features: input sections [%zu, +%zu) exceed "
                             "the volume's %zu",
                             in_z0, in_nz, vol_nz);
    size_t lo = z0 > halo ? z0 - halo : 0;
    size_t hi = vol_nz - z1 > halo ? z1 + halo : vol_nz;
    if (in_z0 > lo || in_z0 + in_nz < hi)
        return fib_error_set(err, FIB_EINVAL,
                             "features: input sections [%zu, %zu) do not "
                             "cover [%zu, %zu) (output [%zu, %zu) with a "
                             "halo of %zu)",
                             in_z0, in_z0 + in_nz, lo, hi, z0, z1, halo);
    return FIB_OK;
}

/* Sections of the gradients the structure tensor of scale sc needs. */
static void grad_range(const fib__fscale *sc, size_t z0, size_t z1,
                       size_t vol_nz, size_t *d0, size_t *d1)
{
    *d0 = z0 > sc->st_r ? z0 - sc->st_r : 0;
    *d1 = vol_nz - z1 > sc->st_r ? z1 + sc->st_r : vol_nz;
}

static void run_scale(const fib__fplan *pl, const fib__fscale *sc,
                      const fib__fvol *v, size_t z0, size_t z1, float *ws,
                      float *grad, size_t grad_stride, float *out)
{
    const size_t np = pl->plane;
    bool st = (pl->sets & FIB_FEAT_STRUCTURE) != 0;
    size_t d0 = z0, d1 = z1;
    if (st)
        grad_range(sc, z0, z1, v->vol_nz, &d0, &d1);
#pragma omp parallel
    {
#ifdef _OPENMP
        float *w = ws + (size_t)omp_get_thread_num() * pl->thread_floats;
#else
        float *w = ws;
#endif
#pragma omp for schedule(dynamic, 1)
        for (ptrdiff_t zi = (ptrdiff_t)d0; zi < (ptrdiff_t)d1; zi++) {
            size_t zd = (size_t)zi;
            bool o = zd >= z0 && zd < z1;
            fib__feat_section(pl, sc, v, zd, w,
                              o ? out + (zd - z0) * np * pl->nch : NULL,
                              st ? grad + (zd - d0) * np : NULL, grad_stride);
        }
        if (st) {
#pragma omp for schedule(dynamic, 1)
            for (ptrdiff_t zi = (ptrdiff_t)z0; zi < (ptrdiff_t)z1; zi++) {
                size_t z = (size_t)zi;
                fib__feat_structure(pl, sc, grad, grad_stride, d0, v->vol_nz, z,
                                    w, out + (z - z0) * np * pl->nch);
            }
        }
    }
}

fib_status fib_features_compute(const fib_features_params *p, const float *in,
                                size_t nx, size_t ny, size_t in_z0,
                                size_t in_nz, size_t vol_nz, size_t z0,
                                size_t z1, float *out, fib_error *err)
{
    fib_status st = fib_features_check(p, err);
    if (st != FIB_OK)
        return st;
    fib__fplan pl;
    size_t halo = fib_features_halo_z(p);
    st = check_ranges(in, nx, ny, in_z0, in_nz, vol_nz, z0, z1, out, halo, err);
    if (st != FIB_OK)
        return st;
    size_t nzd = z1 - z0, tmp, fl;
    const size_t threads = max_threads();
    if (!plan_init(p, nx, ny, &pl, NULL) ||
        !fib_mul3_size(in_nz, pl.plane, sizeof(float), &tmp) ||
        !fib_mul3_size(z1 - z0, pl.plane, pl.nch * sizeof(float), &tmp))
        return fib_error_set(err, FIB_EINVAL,
                             "features: %zu x %zu x %zu sections of %zu "
                             "channels overflow the address space",
                             nx, ny, z1 - z0, pl.nch);
    for (size_t i = 0; i < pl.nscales; i++) {
        size_t d0, d1;
        grad_range(&pl.sc[i], z0, z1, vol_nz, &d0, &d1);
        nzd = umax(nzd, d1 - d0);
    }
    if (!work_floats(&pl, threads, nzd, &fl) ||
        !fib_mul_size(fl, sizeof(float), &tmp))
        return fib_error_set(err, FIB_ENOMEM,
                             "features: working memory overflows");
    float *kern = malloc(umax(pl.kern_floats, 1) * sizeof(float));
    float *ws = malloc(threads * pl.thread_floats * sizeof(float));
    float *grad = NULL;
    size_t grad_stride = nzd * pl.plane;
    if (pl.sets & FIB_FEAT_STRUCTURE)
        grad = malloc(3 * grad_stride * sizeof(float));
    if (!kern || !ws || ((pl.sets & FIB_FEAT_STRUCTURE) && !grad)) {
        free(kern);
        free(ws);
        free(grad);
        return fib_error_set(err, FIB_ENOMEM,
                             "features: cannot allocate %zu bytes of "
                             "working memory",
                             fl * sizeof(float));
    }
    plan_init(p, nx, ny, &pl, kern);
    fib__fvol v = {in, in_z0, vol_nz};
    if (pl.raw) {
        const float *src = in + (z0 - in_z0) * pl.plane;
        size_t n = (z1 - z0) * pl.plane;
#pragma omp parallel for schedule(static)
        for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++)
            out[(size_t)i * pl.nch] = src[i];
    }
    for (size_t i = 0; i < pl.nscales; i++)
        run_scale(&pl, &pl.sc[i], &v, z0, z1, ws, grad, grad_stride, out);
    free(kern);
    free(ws);
    free(grad);
    return FIB_OK;
}
