/*
 * simulate_render.c -- image formation of the digital twin
 * (fib_sim_render, ground-truth labels; model in fib/simulate.h and
 * recon/README.md "Digital twin").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/simulate.h"
#include "simulate_internal.h"

/* ---- rendering ---------------------------------------------------------- */

/* Half-sample symmetric reflection into [0, n). */
static inline size_t mirror(long long i, size_t n)
{
    const long long nn = (long long)n, p = 2 * nn;
    long long m = i % p;
    if (m < 0)
        m += p;
    return (size_t)(m < nn ? m : p - 1 - m);
}

static double lattice(uint64_t seed, int64_t i, int64_t j, int64_t k)
{
    uint64_t x = seed ^ ((uint64_t)i * 0x9E3779B97F4A7C15ULL) ^
                 ((uint64_t)j * 0xC2B2AE3D27D4EB4FULL) ^
                 ((uint64_t)k * 0x165667B19E3779F9ULL);
    return (double)(fib__splitmix64(&x) >> 11) * (2.0 / 9007199254740992.0) -
           1.0;
}

/* Trilinear value noise in [-1, 1] with smoothstep weights. */
static double value_noise(uint64_t seed, double x, double y, double z)
{
    const double fx = floor(x), fy = floor(y), fz = floor(z);
    const int64_t i = (int64_t)fx, j = (int64_t)fy, k = (int64_t)fz;
    double tx = x - fx, ty = y - fy, tz = z - fz;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    tz = tz * tz * (3 - 2 * tz);
    double v = 0;
    for (int c = 0; c < 8; c++) {
        const int a = c & 1, b = (c >> 1) & 1, d = (c >> 2) & 1;
        v += (a ? tx : 1 - tx) * (b ? ty : 1 - ty) * (d ? tz : 1 - tz) *
             lattice(seed, i + a, j + b, k + d);
    }
    return v;
}

/* Separable Gaussian blur of a w x h float image in place (mirror edges);
 * tmp holds w x h floats. */
static void blur(float *f, float *tmp, size_t w, size_t h, double sx, double sy)
{
    double sig[2] = {sx, sy};
    for (int axis = 0; axis < 2; axis++) {
        const double sg = sig[axis];
        if (!(sg > 0.05))
            continue;
        const int r = (int)ceil(3.5 * sg);
        double kern[2 * 256 + 1];
        const int rr = r > 256 ? 256 : r;
        double sum = 0;
        for (int i = -rr; i <= rr; i++) {
            kern[i + rr] = exp(-0.5 * (double)(i * i) / (sg * sg));
            sum += kern[i + rr];
        }
        for (int i = 0; i <= 2 * rr; i++)
            kern[i] /= sum;
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++) {
                double acc = 0;
                for (int i = -rr; i <= rr; i++) {
                    const size_t xx =
                        axis == 0 ? mirror((long long)x + i, w) : x;
                    const size_t yy =
                        axis == 1 ? mirror((long long)y + i, h) : y;
                    acc += kern[i + rr] * (double)f[yy * w + xx];
                }
                tmp[y * w + x] = (float)acc;
            }
        memcpy(f, tmp, w * h * sizeof(float));
    }
}

/* Keys cubic convolution weights (a = -0.5) for fraction t in [0, 1). */
static inline void keys(double t, double w[4])
{
    w[0] = ((-0.5 * t + 1.0) * t - 0.5) * t;
    w[1] = (1.5 * t - 2.5) * t * t + 1.0;
    w[2] = ((-1.5 * t + 2.0) * t + 0.5) * t;
    w[3] = (0.5 * t - 0.5) * t * t;
}

/* Keys cubic sample of the w x h face @p f at (uu, vv) label voxels
 * (mirrored edges); @p wy: the y weights when precomputed for vv. */
static double cubic_at(const float *f, size_t w, size_t h, double uu, double vv,
                       const double *wy)
{
    const double fu = floor(uu), fv = floor(vv);
    double wx[4], wyl[4];
    keys(uu - fu, wx);
    if (!wy) {
        keys(vv - fv, wyl);
        wy = wyl;
    }
    double val = 0;
    for (int b = 0; b < 4; b++) {
        const float *row = f + mirror((long long)fv - 1 + b, h) * w;
        double a = 0;
        for (int c = 0; c < 4; c++)
            a += wx[c] * (double)row[mirror((long long)fu - 1 + c, w)];
        val += wy[b] * a;
    }
    return val;
}

/* Pore-back: the grey a pore voxel (x, y) of slice k gains from the first
 * solid voxel on the beam's line of sight behind the face, which runs
 * down (+y) by cos(theta) and into the sample (+z) by sin(theta) per unit
 * length (the geometry of recon-methods.md 2.1-2.2); steps of half the
 * smaller voxel side, up to 5 attenuation lengths. */
static double shine(const fib_sim *s, size_t x, size_t y, size_t k)
{
    const fib_volume *v = s->lab;
    const fib_sim_params *p = &s->p;
    const double h = 0.5 * fmin(s->vox[1], s->vox[2]);
    const double Y = ((double)y + 0.5) * s->vox[1];
    const double Z = p->static_face ? 0 : s->sl[k].z_nm;
    const double smax = 5.0 * p->shine_nm;
    for (double d = h; d <= smax; d += h) {
        const double yy = floor((Y + d * s->cos_th) / s->vox[1]);
        const double zz = floor((Z + d * s->sin_th) / s->vox[2]);
        if (yy >= (double)v->ny || zz >= (double)v->nz)
            return 0;
        const int o = phase_of(s, label_at(v, x, (size_t)yy, (size_t)zz));
        if (o != 0)
            return p->shine_gain * (s->g.grey[o] - s->g.grey[0]) *
                   exp(-d / p->shine_nm);
    }
    return 0;
}

/* The face of slice k on the label grid, blurred (nx_l x ny_l floats). */
static fib_status face(const fib_sim *s, size_t k, float *f, float *tmp,
                       unsigned char *ph)
{
    const fib_volume *v = s->lab;
    const fib_sim_params *p = &s->p;
    const size_t w = v->nx, h = v->ny, lz = s->sl[k].label_z;
    const double *grey = s->g.grey;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            ph[y * w + x] = (unsigned char)phase_of(s, label_at(v, x, y, lz));
    const double Z = (p->static_face ? 0 : s->sl[k].z_nm) / p->texture_nm;
    for (size_t y = 0; y < h; y++) {
        const double Y = ((double)y + 0.5) * s->vox[1] / p->texture_nm;
        for (size_t x = 0; x < w; x++) {
            const int q = ph[y * w + x];
            double g = grey[q];
            if (q == 0 && p->shine_nm > 0 && p->shine_gain > 0)
                g += shine(s, x, y, k);
            if (p->texture > 0) {
                const double X = ((double)x + 0.5) * s->vox[0] / p->texture_nm;
                g += p->texture *
                     value_noise(p->seed * 31 + (uint64_t)q + 7, X, Y, Z);
            }
            if (p->edge_gain > 0) {
                /* secondary-electron edge effect: brighter where the
                 * face meets another phase, scaled by the grey step */
                double step = 0;
                const size_t nb[4][2] = {{x > 0 ? x - 1 : x, y},
                                         {x + 1 < w ? x + 1 : x, y},
                                         {x, y > 0 ? y - 1 : y},
                                         {x, y + 1 < h ? y + 1 : y}};
                for (int i = 0; i < 4; i++) {
                    const int o = ph[nb[i][1] * w + nb[i][0]];
                    if (o != q)
                        step = fmax(step, fabs(grey[o] - grey[q]));
                }
                g += p->edge_gain * step;
            }
            f[y * w + x] = (float)g;
        }
    }
    if (s->ncur) {
        /* column profile of the streaks, then the fade with depth */
        double *col = (double *)(void *)tmp; /* w doubles fit in w*h floats
                                                (h >= 2) */
        for (size_t x = 0; x < w; x++) {
            const double X = ((double)x + 0.5) * s->vox[0];
            double c = 0;
            for (size_t i = 0; i < s->ncur; i++) {
                const double d = (X - s->cur_x_nm[i]) / s->cur_sigma_nm[i];
                if (fabs(d) < 5)
                    c += s->cur_amp[i * s->g.nz + k] * exp(-0.5 * d * d);
            }
            col[x] = c;
        }
        for (size_t y = 0; y < h; y++) {
            const double fade =
                exp(-((double)y + 0.5) * s->vox[1] / p->curtain_fade_nm);
            for (size_t x = 0; x < w; x++)
                f[y * w + x] += (float)(col[x] * fade);
        }
    }
    /* beam blur (psf_px image pixels) plus pixel integration (box
     * variance 1/12 of a pixel squared beyond one voxel) in voxels */
    const double px = p->pixel_nm / s->vox[0];
    const double py = p->pixel_nm / (s->g.fore * s->vox[1]);
    const double psf = pos(p->psf_px);
    const double sx = sqrt(psf * psf * px * px + pos(px * px - 1) / 12.0);
    const double sy = sqrt(psf * psf * py * py + pos(py * py - 1) / 12.0);
    blur(f, tmp, w, h, sx, sy);
    return FIB_OK;
}

fib_status fib_sim_render(const fib_sim *s, size_t k, fib_image *out,
                          fib_error *err)
{
    if (!s || !out || !out->data)
        return fib_error_set(err, FIB_EINVAL, "simulate: render needs images");
    const fib_sim_geometry *g = &s->g;
    if (k >= g->nz)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: slice %zu out of range (nz %zu)", k,
                             g->nz);
    if (out->width != g->nx || out->height != g->ny ||
        (out->type != FIB_PX_U8 && out->type != FIB_PX_U16 &&
         out->type != FIB_PX_F32))
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: image must be %zu x %zu u8, u16 or "
                             "f32 (got %zu x %zu %s)",
                             g->nx, g->ny, out->width, out->height,
                             fib_pixel_type_name(out->type));
    const fib_volume *v = s->lab;
    const size_t w = v->nx, h = v->ny, n = w * h;
    float *f = malloc(n * sizeof(float));
    float *tmp = malloc((n < 2 * w ? 2 * w : n) * sizeof(float));
    unsigned char *ph = malloc(n);
    if (!f || !tmp || !ph) {
        free(f);
        free(tmp);
        free(ph);
        return fib_error_set(err, FIB_ENOMEM, "simulate: out of memory");
    }
    fib_status st = face(s, k, f, tmp, ph);
    const fib_sim_params *p = &s->p;
    const fib_sim_slice *q = &s->sl[k];
    const double cx = q->stage_dx, cy = q->stage_dy + q->face_dy;
    rng r;
    rng_seed(&r, p->seed, S_NOISE + k);
    const double maxv = out->type == FIB_PX_U8    ? 255.0
                        : out->type == FIB_PX_U16 ? 65535.0
                                                  : 1.0;
    const bool affine =
        q->a[0] != 1.0 || q->a[1] != 0.0 || q->a[2] != 0.0 || q->a[3] != 1.0;
    double ai[4] = {1, 0, 0, 1}; /* A_k^-1 */
    if (affine) {
        const double det = q->a[0] * q->a[3] - q->a[1] * q->a[2];
        ai[0] = q->a[3] / det;
        ai[1] = -q->a[1] / det;
        ai[2] = -q->a[2] / det;
        ai[3] = q->a[0] / det;
    }
    const double ctr[2] = {0.5 * (double)g->nx, 0.5 * (double)g->ny};
    for (size_t j = 0; j < g->ny && !st; j++) {
        const double Y =
            ((double)j + 0.5 - cy) * p->pixel_nm / g->fore + g->origin_nm[1];
        const double vv = Y / s->vox[1] - 0.5, fv = floor(vv);
        double wy[4];
        keys(vv - fv, wy);
        const double yn = ((double)j + 0.5) / (double)g->ny - 0.5;
        for (size_t i = 0; i < g->nx; i++) {
            double X = ((double)i + 0.5 - cx) * p->pixel_nm + g->origin_nm[0];
            double vy = vv;
            if (affine) {
                /* the sample point shown: ctr + A^-1 (image - ctr - c) */
                const double dxp = (double)i + 0.5 - ctr[0] - cx;
                const double dyp = (double)j + 0.5 - ctr[1] - cy;
                X = (ctr[0] + ai[0] * dxp + ai[1] * dyp) * p->pixel_nm +
                    g->origin_nm[0];
                vy = ((ctr[1] + ai[2] * dxp + ai[3] * dyp) * p->pixel_nm /
                          g->fore +
                      g->origin_nm[1]) /
                         s->vox[1] -
                     0.5;
            }
            double val =
                cubic_at(f, w, h, X / s->vox[0] - 0.5, vy, affine ? NULL : wy);
            /* frame-fixed shading (charging: amplitude varies slowly) */
            const double xn = ((double)i + 0.5) / (double)g->nx - 0.5;
            const double shade =
                1.0 + s->shade_amp[k] *
                          (s->shade_c[0] * xn + s->shade_c[1] * yn +
                           s->shade_c[2] * (xn * xn + yn * yn - 1.0 / 6.0));
            if (s->frame_col)
                val += s->frame_col[i];
            val = q->gain * val * shade + s->offset[k];
            if (p->dose > 0)
                val += sqrt(pos(val) / p->dose) * rng_normal(&r);
            if (p->read_noise > 0)
                val += p->read_noise * rng_normal(&r);
            if (out->type == FIB_PX_F32) {
                ((float *)fib_image_row(out, j))[i] = (float)val;
            } else {
                double o = floor(fmin(fmax(val, 0.0), 1.0) * maxv + 0.5);
                if (out->type == FIB_PX_U8)
                    ((uint8_t *)fib_image_row(out, j))[i] = (uint8_t)o;
                else
                    ((uint16_t *)fib_image_row(out, j))[i] = (uint16_t)o;
            }
        }
    }
    out->pixel_size_nm[0] = out->pixel_size_nm[1] = p->pixel_nm;
    free(f);
    free(tmp);
    free(ph);
    return st;
}

fib_status fib_sim_truth_labels(const fib_sim *s, size_t k, fib_image *out,
                                fib_error *err)
{
    if (!s || !out || !out->data)
        return fib_error_set(err, FIB_EINVAL, "simulate: truth needs images");
    const fib_sim_geometry *g = &s->g;
    if (k >= g->nz)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: slice %zu out of range (nz %zu)", k,
                             g->nz);
    if (out->width != g->nx || out->height != g->truth_ny ||
        (out->type != FIB_PX_U8 && out->type != FIB_PX_U32) ||
        (out->type == FIB_PX_U8 && g->labels[g->n_phases - 1] > 255))
        return fib_error_set(
            err, FIB_EINVAL, "simulate: truth image must be %zu x %zu %s",
            g->nx, g->truth_ny,
            g->labels[g->n_phases - 1] > 255 ? "u32" : "u8 or u32");
    const fib_volume *v = s->lab;
    const double pnm = s->p.pixel_nm;
    const size_t lz = s->sl[k].label_z;
    for (size_t j = 0; j < g->truth_ny; j++) {
        const double Y = ((double)j + 0.5) * pnm -
                         s->mean_c[1] * pnm / g->fore + g->origin_nm[1];
        const size_t y = mirror((long long)floor(Y / s->vox[1]), v->ny);
        for (size_t i = 0; i < g->nx; i++) {
            const double X =
                ((double)i + 0.5 - s->mean_c[0]) * pnm + g->origin_nm[0];
            const size_t x = mirror((long long)floor(X / s->vox[0]), v->nx);
            const uint32_t l = label_at(v, x, y, lz);
            if (out->type == FIB_PX_U8)
                ((uint8_t *)fib_image_row(out, j))[i] = (uint8_t)l;
            else
                ((uint32_t *)fib_image_row(out, j))[i] = l;
        }
    }
    out->pixel_size_nm[0] = out->pixel_size_nm[1] = pnm;
    return FIB_OK;
}

fib_status fib_sim_phantom_labels(const fib_phantom *ph, fib_volume *out,
                                  fib_error *err)
{
    if (!ph || !out)
        return fib_error_set(err, FIB_EINVAL, "simulate: NULL argument");
    const fib_phantom_params pp = fib_phantom_get_params(ph);
    fib_status st = fib_volume_init(out, FIB_PX_U8, pp.nx, pp.ny, pp.nz, err);
    if (st)
        return st;
    out->voxel_size_nm[0] = out->voxel_size_nm[1] = pp.pixel_nm;
    out->voxel_size_nm[2] = pp.slice_nm;
    for (size_t z = 0; z < pp.nz && !st; z++) {
        fib_image sl = fib_volume_slice(out, z);
        st = fib_phantom_labels(ph, z, &sl, err);
    }
    if (st)
        fib_volume_clear(out);
    return st;
}
