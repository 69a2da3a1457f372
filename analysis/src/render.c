/*
 * render.c -- pictures of volumes for analysts: orthoslices, maximum-
 * intensity projections and a small orthographic ray caster with Lambert
 * shading (normals from the gradient of the box-filtered indicator).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "analysis_internal.h"

static void plane_axes(int axis, int *u, int *v)
{
    *u = axis == 0 ? 1 : 0;
    *v = axis == 2 ? 1 : 2;
}

fib_status fib_recon_orthoslice(const fib_volume *vol, int axis, size_t index,
                                fib_image *out, fib_error *err)
{
    fib_status st = fib__vol_check(vol, "orthoslice input", err);
    memset(out, 0, sizeof *out);
    if (st != FIB_OK)
        return st;
    size_t d[3] = {vol->nx, vol->ny, vol->nz};
    if (axis < 0 || axis > 2 || index >= d[axis < 0 || axis > 2 ? 0 : axis])
        return fib_error_set(err, FIB_EINVAL,
                             "recon: orthoslice axis %d index %zu out of range",
                             axis, index);
    int u, v;
    plane_axes(axis, &u, &v);
    if ((st = fib_image_init(out, vol->type, d[u], d[v], err)) != FIB_OK)
        return st;
    out->pixel_size_nm[0] = vol->voxel_size_nm[u];
    out->pixel_size_nm[1] = vol->voxel_size_nm[v];
    size_t es = fib_pixel_size_bytes(vol->type);
    size_t str[3] = {es, vol->stride_y, vol->stride_z};
    for (size_t j = 0; j < d[v]; j++) {
        char *row = fib_image_row(out, j);
        for (size_t i = 0; i < d[u]; i++)
            memcpy(row + i * es,
                   (const char *)vol->data + index * str[axis] + i * str[u] +
                       j * str[v],
                   es);
    }
    return FIB_OK;
}

fib_status fib_recon_mip(const fib_volume *vol, int axis, fib_image *out,
                         fib_error *err)
{
    fib_status st = fib__vol_check(vol, "projection input", err);
    memset(out, 0, sizeof *out);
    if (st != FIB_OK)
        return st;
    if (axis < 0 || axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: projection axis must be 0..2 (got %d)",
                             axis);
    size_t d[3] = {vol->nx, vol->ny, vol->nz};
    int u, v;
    plane_axes(axis, &u, &v);
    if ((st = fib_image_init(out, FIB_PX_F32, d[u], d[v], err)) != FIB_OK)
        return st;
    out->pixel_size_nm[0] = vol->voxel_size_nm[u];
    out->pixel_size_nm[1] = vol->voxel_size_nm[v];
    size_t str[3] = {1, d[0], d[0] * d[1]};
    for (size_t j = 0; j < d[v]; j++) {
        float *row = fib_image_row(out, j);
        for (size_t i = 0; i < d[u]; i++) {
            double m = -HUGE_VAL;
            for (size_t t = 0; t < d[axis]; t++) {
                double x = fib__vol_value(vol, t * str[axis] + i * str[u] +
                                                   j * str[v]);
                if (x > m)
                    m = x;
            }
            row[i] = (float)m;
        }
    }
    return FIB_OK;
}

/* Orthographic camera of fib_recon_render_surface(). */
typedef struct camera {
    size_t nx, ny, nz, width, height;
    double sp[3];
    double d[3], r[3], u[3]; /* view direction, picture right and up */
    double c[3];             /* centre of the volume box (nm) */
    double L[3];             /* unit vector towards the light */
    double pix, diag, step;  /* pixel size, box diagonal, ray step (nm) */
    size_t nstep;
} camera;

/* Picture plane fitted to the projected volume box; the light from the
 * viewer, a little up and left. */
static void camera_setup(camera *cam, const double d_in[3])
{
    const double *sp = cam->sp;
    double *d = cam->d, *r = cam->r, *u = cam->u, *c = cam->c, *L = cam->L;
    for (int k = 0; k < 3; k++)
        d[k] = d_in[k];
    double up[3] = {0, 0, 1};
    if (fabs(d[2]) > 0.9) {
        up[0] = 0;
        up[1] = -1;
        up[2] = 0;
    }
    /* right = d x up, true up = right x d */
    r[0] = d[1] * up[2] - d[2] * up[1];
    r[1] = d[2] * up[0] - d[0] * up[2];
    r[2] = d[0] * up[1] - d[1] * up[0];
    double rl = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    for (int k = 0; k < 3; k++)
        r[k] /= rl;
    u[0] = r[1] * d[2] - r[2] * d[1];
    u[1] = r[2] * d[0] - r[0] * d[2];
    u[2] = r[0] * d[1] - r[1] * d[0];
    /* extent of the volume box in the picture plane */
    double ext[3] = {(double)cam->nx * sp[0], (double)cam->ny * sp[1],
                     (double)cam->nz * sp[2]};
    for (int k = 0; k < 3; k++)
        c[k] = ext[k] / 2;
    double rmax = 0, umax = 0;
    for (int k = 0; k < 8; k++) {
        double p[3] = {(k & 1) ? ext[0] : 0, (k & 2) ? ext[1] : 0,
                       (k & 4) ? ext[2] : 0};
        double pr = 0, pu = 0;
        for (int a = 0; a < 3; a++) {
            pr += (p[a] - c[a]) * r[a];
            pu += (p[a] - c[a]) * u[a];
        }
        if (fabs(pr) > rmax)
            rmax = fabs(pr);
        if (fabs(pu) > umax)
            umax = fabs(pu);
    }
    cam->pix =
        fmax(2 * rmax / (double)cam->width, 2 * umax / (double)cam->height);
    cam->diag = sqrt(ext[0] * ext[0] + ext[1] * ext[1] + ext[2] * ext[2]);
    double smin = fmin(sp[0], fmin(sp[1], sp[2]));
    cam->step = 0.5 * smin;
    cam->nstep = (size_t)(cam->diag / cam->step) + 2;
    for (int a = 0; a < 3; a++)
        L[a] = -d[a] + 0.4 * u[a] - 0.3 * r[a];
    double ll = sqrt(L[0] * L[0] + L[1] * L[1] + L[2] * L[2]);
    for (int a = 0; a < 3; a++)
        L[a] /= ll;
}

/* Grey of picture pixel (i, j): Lambert shading at the first occupied
 * voxel along the ray, 0 when the ray misses. */
static uint8_t cast_ray(const camera *cam, const uint8_t *occ, size_t i,
                        size_t j)
{
    const size_t nx = cam->nx, ny = cam->ny, nz = cam->nz;
    const double *sp = cam->sp, *d = cam->d, *r = cam->r, *u = cam->u,
                 *c = cam->c, *L = cam->L;
    double a = ((double)i + 0.5 - (double)cam->width / 2) * cam->pix;
    double b = ((double)cam->height / 2 - ((double)j + 0.5)) * cam->pix;
    double o[3];
    for (int k = 0; k < 3; k++)
        o[k] = c[k] + a * r[k] + b * u[k] - d[k] * cam->diag / 2;
    for (size_t s = 0; s < cam->nstep; s++) {
        double p[3];
        long q[3];
        bool in = true;
        for (int k = 0; k < 3; k++) {
            p[k] = o[k] + d[k] * cam->step * (double)s;
            q[k] = (long)floor(p[k] / sp[k]);
        }
        if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= (long)nx ||
            q[1] >= (long)ny || q[2] >= (long)nz)
            in = false;
        if (!in || !occ[((size_t)q[2] * ny + (size_t)q[1]) * nx + (size_t)q[0]])
            continue;
        /* gradient of the 3x3x3 box-filtered indicator */
        double g[3] = {0, 0, 0};
        /* (the centre adds 0 to each component: left out) */
        for (int k = 0; k < 26; k++) {
            size_t jn;
            if (!fib__n26_index((size_t)q[0], (size_t)q[1], (size_t)q[2], nx,
                                ny, nz, k, &jn) ||
                !occ[jn])
                continue;
            g[0] += fib__n26[k][0] / sp[0];
            g[1] += fib__n26[k][1] / sp[1];
            g[2] += fib__n26[k][2] / sp[2];
        }
        /* outward normal = -gradient of the occupancy */
        double gl = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
        double lam;
        if (gl > 0)
            lam = -(g[0] * L[0] + g[1] * L[1] + g[2] * L[2]) / gl;
        else
            lam = -(d[0] * L[0] + d[1] * L[1] + d[2] * L[2]);
        if (lam < 0)
            lam = 0;
        double shade = 0.2 + 0.8 * lam;
        return (uint8_t)(40 + 215 * shade);
    }
    return 0;
}

fib_status fib_recon_render_surface(const fib_volume *labels, uint32_t value,
                                    const double view_dir[3], size_t width,
                                    size_t height, fib_image *out,
                                    fib_error *err)
{
    fib_status st = fib__vol_check(labels, "render input", err);
    uint8_t *occ = NULL;
    memset(out, 0, sizeof *out);
    if (st != FIB_OK)
        return st;
    if (labels->type == FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: render needs an integer label volume");
    double dl = sqrt(view_dir[0] * view_dir[0] + view_dir[1] * view_dir[1] +
                     view_dir[2] * view_dir[2]);
    if (!(dl > 0) || !isfinite(dl))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: view direction must be a non-zero vector");
    if (width < 8 || height < 8 || width > 8192 || height > 8192)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: picture size must be 8..8192 pixels "
                             "(got %zu x %zu)",
                             width, height);
    size_t n = labels->nx * labels->ny * labels->nz;
    camera cam = {.nx = labels->nx,
                  .ny = labels->ny,
                  .nz = labels->nz,
                  .width = width,
                  .height = height};
    fib__vol_spacing(labels, cam.sp);
    occ = malloc(n);
    if (!occ)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t i = 0; i < n; i++)
        occ[i] = fib_volume_label_at(labels, i) == value;
    if ((st = fib_image_init(out, FIB_PX_U8, width, height, err)) != FIB_OK) {
        free(occ);
        return st;
    }
    const double d[3] = {view_dir[0] / dl, view_dir[1] / dl, view_dir[2] / dl};
    camera_setup(&cam, d);
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t j = 0; j < height; j++) {
        uint8_t *row = fib_image_row(out, j);
        for (size_t i = 0; i < width; i++)
            row[i] = cast_ray(&cam, occ, i, j);
    }
    free(occ);
    return FIB_OK;
}
