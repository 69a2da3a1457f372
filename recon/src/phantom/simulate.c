/*
 * simulate.c -- the slice-and-view digital twin (fib/simulate.h): label
 * volume in, per-slice FIB-SEM images and the ground truth out.  The image
 * formation model, the conventions and the parameter meanings are in
 * fib/simulate.h and recon/README.md ("Digital twin"); the geometry follows
 * recon-methods.md sec. 2.1 (foreshortening by sin(theta)) and 2.2
 * (receding face t cos(theta) per slice, content moving up).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "fib/simulate.h"
#include "simulate_internal.h"

/* ---- the simulation ----------------------------------------------------- */

static double def(double v, double d)
{
    return v == 0 ? d : v;
}

static fib_status collect_labels(const fib_volume *v, fib_sim_geometry *g,
                                 fib_error *err)
{
    size_t n = 0;
    uint32_t *set = g->labels;
    for (size_t z = 0; z < v->nz; z++)
        for (size_t y = 0; y < v->ny; y++)
            for (size_t x = 0; x < v->nx; x++) {
                const uint32_t l = label_at(v, x, y, z);
                size_t i = 0;
                while (i < n && set[i] < l)
                    i++;
                if (i < n && set[i] == l)
                    continue;
                if (n == FIB_SIM_MAX_PHASES)
                    return fib_error_set(
                        err, FIB_EINVAL,
                        "simulate: labels: more than %d distinct values "
                        "(voxel %zu,%zu,%zu holds %u)",
                        FIB_SIM_MAX_PHASES, x, y, z, (unsigned)l);
                memmove(set + i + 1, set + i, (n - i) * sizeof *set);
                set[i] = l;
                n++;
            }
    g->n_phases = n;
    return FIB_OK;
}

/* Fill in defaults; check ranges.  The field name is in every message. */
static fib_status check_params(const fib_sim_params *in, const fib_volume *v,
                               fib_sim_params *p, fib_error *err)
{
    *p = *in;
    const struct {
        const char *name;
        double v;
    } f[] = {{"pixel_nm", in->pixel_nm},
             {"slice_nm", in->slice_nm},
             {"texture_nm", in->texture_nm},
             {"jump_px", in->jump_px},
             {"curtain_width_px", in->curtain_width_px},
             {"curtain_spacing_px", in->curtain_spacing_px},
             {"curtain_fade_nm", in->curtain_fade_nm},
             {"curtain_evolve", in->curtain_evolve},
             {"shine_gain", in->shine_gain},
             {"frame_stripes", in->frame_stripes}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!(f[i].v >= 0) || !isfinite(f[i].v) || f[i].v > 1e9)
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: %s must be finite and >= 0 "
                                 "(got %g)",
                                 f[i].name, f[i].v);
    const struct {
        const char *name;
        double v, max;
    } g[] = {{"slice_jitter", in->slice_jitter, 1},
             {"texture", in->texture, 1},
             {"tilt_deg", in->tilt_deg, 90},
             {"edge_gain", in->edge_gain, 10},
             {"psf_px", in->psf_px, 50},
             {"drift_px", in->drift_px, 100},
             {"jump_prob", in->jump_prob, 1},
             {"curtain_amp", in->curtain_amp, 10},
             {"shine_nm", in->shine_nm, 1e9},
             {"shading", in->shading, 1},
             {"gain_drift", in->gain_drift, 1},
             {"dose", in->dose, 1e12},
             {"read_noise", in->read_noise, 10}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        if (!isfinite(g[i].v) || g[i].v > g[i].max)
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: %s must be finite and <= %g "
                                 "(got %g)",
                                 g[i].name, g[i].max, g[i].v);
    const struct {
        const char *name;
        double v, max;
    } af[] = {{"scale_drift", in->scale_drift, 0.05},
              {"shear_drift", in->shear_drift, 0.05},
              {"rotation_drift_deg", in->rotation_drift_deg, 5}};
    for (size_t i = 0; i < sizeof af / sizeof af[0]; i++)
        if (!(fabs(af[i].v) <= af[i].max))
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: %s must be within +-%g (got %g)",
                                 af[i].name, af[i].max, af[i].v);
    if (in->tilt_deg > 0 && in->tilt_deg < 10)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: tilt_deg must be in [10, 90] or "
                             "negative for none (got %g)",
                             in->tilt_deg);
    for (int a = 0; a < 2; a++)
        if (!(fabs(in->trend_px[a]) <= 100) &&
            !(a == 0 && isnan(in->trend_px[0])))
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: trend_px must be within +-100 "
                                 "px/slice (got %g)",
                                 in->trend_px[a]);
    p->pixel_nm = def(in->pixel_nm, v->voxel_size_nm[0]);
    p->slice_nm = def(in->slice_nm, v->voxel_size_nm[2]);
    p->slice_jitter = def(in->slice_jitter, 0.05);
    p->tilt_deg = def(in->tilt_deg, 52.0);
    p->texture = def(in->texture, 0.03);
    p->texture_nm = def(in->texture_nm, 3.0 * p->pixel_nm);
    p->edge_gain = def(in->edge_gain, 0.25);
    p->psf_px = def(in->psf_px, 0.7);
    p->drift_px = def(in->drift_px, 0.3);
    p->jump_prob = def(in->jump_prob, 0.02);
    p->jump_px = def(in->jump_px, 3.0);
    p->curtain_amp = def(in->curtain_amp, 0.06);
    p->curtain_width_px = def(in->curtain_width_px, 3.0);
    p->curtain_spacing_px = def(in->curtain_spacing_px, 12.0);
    p->curtain_fade_nm =
        def(in->curtain_fade_nm, 0.5 * (double)v->ny * v->voxel_size_nm[1]);
    p->curtain_evolve = def(in->curtain_evolve, 30.0);
    p->shine_nm = def(in->shine_nm, 2.0 * p->slice_nm);
    p->shine_gain = def(in->shine_gain, 0.5);
    p->shading = def(in->shading, 0.08);
    p->gain_drift = def(in->gain_drift, 0.004);
    p->dose = def(in->dose, 400.0);
    p->read_noise = def(in->read_noise, 0.01);
    return FIB_OK;
}

/* Phase grey: one grey value per phase (given or spread over 0.15..0.75). */
static fib_status sim_grey(fib_sim *s, fib_error *err)
{
    const fib_sim_params *p = &s->p;
    fib_sim_geometry *g = &s->g;
    const size_t np = g->n_phases;
    for (size_t i = 0; i < np; i++) {
        g->grey[i] =
            p->grey
                ? p->grey[i]
                : (np > 1 ? 0.15 + 0.6 * (double)i / (double)(np - 1) : 0.5);
        if (!isfinite(g->grey[i])) {
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: grey[%zu] is not finite", i);
        }
    }
    return FIB_OK;
}

/* Phase geometry: tilt, foreshortening and the face shift per slice. */
static void sim_geometry(fib_sim *s)
{
    const fib_sim_params *p = &s->p;
    fib_sim_geometry *g = &s->g;
    const bool tilted = p->tilt_deg > 0;
    const double th = tilted ? p->tilt_deg * FIB_PI / 180.0 : FIB_PI / 2;
    g->tilt_deg = tilted ? p->tilt_deg : 0;
    s->sin_th = sin(th);
    s->cos_th = fabs(cos(th)) < 1e-12 ? 0 : cos(th);
    g->fore = (tilted && !p->tilt_corrected) ? sin(th) : 1.0;
    g->pixel_nm = p->pixel_nm;
    g->slice_nm = p->slice_nm;
    g->face_px = p->slice_nm * cos(th) /
                 (p->pixel_nm * (p->tilt_corrected ? sin(th) : 1.0));
    if (!tilted || fabs(g->face_px) < 1e-12)
        g->face_px = 0;
}

/* Phase depths (stream S_DEPTH): slice depths and thicknesses; g->nz. */
static fib_status sim_depths(fib_sim *s, const fib_volume *labels,
                             fib_error *err)
{
    const fib_sim_params *p = &s->p;
    const double depth_nm = (double)labels->nz * s->vox[2];
    size_t cap = (size_t)(depth_nm / (0.2 * p->slice_nm)) + 2;
    if (p->n_slices && p->n_slices < cap)
        cap = p->n_slices;
    s->sl = calloc(cap, sizeof *s->sl);
    if (!s->sl) {
        return fib_error_set(err, FIB_ENOMEM, "simulate: out of memory");
    }
    rng r;
    rng_seed(&r, p->seed, S_DEPTH);
    size_t nz = 0;
    double z = 0;
    for (size_t k = 0; k < cap; k++) {
        double t = p->slice_nm;
        if (k > 0) {
            if (p->slice_jitter > 0) {
                t = p->slice_nm * (1.0 + p->slice_jitter * rng_normal(&r));
                t = fmin(fmax(t, 0.2 * p->slice_nm), 3.0 * p->slice_nm);
            }
            z += t;
        }
        const size_t lz = (size_t)floor(z / s->vox[2]);
        if (lz >= labels->nz)
            break;
        s->sl[k].z_nm = z;
        s->sl[k].thickness_nm = t;
        s->sl[k].label_z = p->static_face ? 0 : lz;
        nz++;
    }
    if (nz < 1 || (p->n_slices && nz < p->n_slices)) {
        const size_t want = p->n_slices;
        const double t = p->slice_nm;
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: n_slices %zu: the volume depth "
                             "(%g nm) holds only %zu slices of %g nm",
                             want, depth_nm, nz, t);
    }
    s->g.nz = nz;
    return FIB_OK;
}

/* The slow affine distortion of every slice (fib_sim_params.scale_drift
 * ...; no random draw): A_k = R(theta f_k) [[1 + s f_k, h f_k], [0, 1 +
 * s f_k]], f_k = k / (nz - 1) - 1/2. */
static void sim_affine(fib_sim *s)
{
    const fib_sim_params *p = &s->p;
    const size_t nz = s->g.nz;
    for (size_t k = 0; k < nz; k++) {
        const double f = nz > 1 ? (double)k / (double)(nz - 1) - 0.5 : 0.0;
        const double th = p->rotation_drift_deg * f * FIB_PI / 180.0;
        const double c = cos(th), sn = sin(th);
        const double m = 1.0 + p->scale_drift * f, h = p->shear_drift * f;
        double *a = s->sl[k].a;
        a[0] = c * m;
        a[1] = c * h - sn * m;
        a[2] = sn * m;
        a[3] = sn * h + c * m;
    }
}

/* Phase drift (stream S_DRIFT): random walk + trend + jumps; the range of
 * the content shift in cmin/cmax. */
static void sim_drift(fib_sim *s, double cmin[2], double cmax[2])
{
    fib_sim_params *p = &s->p;
    const fib_sim_geometry *g = &s->g;
    const size_t nz = g->nz;
    rng r;
    rng_seed(&r, p->seed, S_DRIFT);
    double tr[2] = {p->trend_px[0], p->trend_px[1]};
    if (isnan(tr[0])) {
        tr[0] = tr[1] = 0;
    } else if (tr[0] == 0 && tr[1] == 0) {
        const double a = 2 * FIB_PI * rng_uniform(&r);
        tr[0] = 0.05 * cos(a);
        tr[1] = 0.05 * sin(a);
    }
    p->trend_px[0] = tr[0];
    p->trend_px[1] = tr[1];
    double sx = 0, sy = 0;
    for (size_t k = 0; k < nz; k++) {
        if (k > 0) {
            if (p->drift_px > 0) {
                sx += p->drift_px * rng_normal(&r);
                sy += p->drift_px * rng_normal(&r);
            }
            sx += tr[0];
            sy += tr[1];
            const double u = rng_uniform(&r), a = 2 * FIB_PI * rng_uniform(&r),
                         m = 0.5 + rng_uniform(&r);
            if (p->jump_prob > 0 && u < p->jump_prob) {
                sx += p->jump_px * m * cos(a);
                sy += p->jump_px * m * sin(a);
            }
        }
        fib_sim_slice *q = &s->sl[k];
        q->stage_dx = sx;
        q->stage_dy = sy;
        q->face_dy = p->no_tracking && g->face_px != 0
                         ? -q->z_nm / p->slice_nm * g->face_px
                         : 0;
        const double c[2] = {q->stage_dx, q->stage_dy + q->face_dy};
        for (int a = 0; a < 2; a++) {
            s->mean_c[a] += c[a];
            cmin[a] = fmin(cmin[a], c[a]);
            cmax[a] = fmax(cmax[a], c[a]);
        }
    }
    s->mean_c[0] /= (double)nz;
    s->mean_c[1] /= (double)nz;
    for (size_t k = 0; k < nz; k++) {
        s->sl[k].dx = -(s->sl[k].stage_dx - s->mean_c[0]);
        s->sl[k].dy = -(s->sl[k].stage_dy + s->sl[k].face_dy - s->mean_c[1]);
    }
}

/* Phase field: the volume less the margins the displacement needs (at
 * most 1/8 of the size a side; beyond, the face is mirrored). */
static fib_status sim_field(fib_sim *s, const double full[2],
                            const double cmin[2], const double cmax[2],
                            fib_error *err)
{
    const fib_sim_params *p = &s->p;
    fib_sim_geometry *g = &s->g;
    const double pad0 = ceil(3.0 * pos(p->psf_px)) + 2.0;
    /* the affine distortion moves the corners by up to half its total
     * linear change times half the size */
    const double lin = 0.5 * (fabs(p->scale_drift) + fabs(p->shear_drift) +
                              fabs(p->rotation_drift_deg) * FIB_PI / 180.0);
    double lo[2], hi[2];
    for (int a = 0; a < 2; a++) {
        const double pad = pad0 + ceil(lin * 0.5 * full[a]);
        lo[a] = fmin(ceil(cmax[a]) + pad, floor(full[a] / 8));
        hi[a] = fmin(ceil(-cmin[a]) + pad, floor(full[a] / 8));
        const double n = floor(full[a] - lo[a] - hi[a]);
        const double pix = p->pixel_nm;
        if (!(n >= 16)) {
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: pixel_nm %g: the field is under "
                                 "16 px along %c (%g px)",
                                 pix, "xy"[a], n);
        }
        if (n > 16384) {
            return fib_error_set(err, FIB_ERANGE,
                                 "simulate: pixel_nm %g: the image would be "
                                 "%g px along %c (limit 16384)",
                                 pix, n, "xy"[a]);
        }
        if (a == 0)
            g->nx = (size_t)n;
        else
            g->ny = (size_t)n;
    }
    g->origin_nm[0] = lo[0] * p->pixel_nm;
    g->origin_nm[1] = lo[1] * p->pixel_nm / g->fore;
    g->truth_ny = (size_t)floor((double)g->ny / g->fore + 0.5);

    return FIB_OK;
}

/* Phase curtains (stream S_CURTAIN): positions and widths fixed in the
 * sample, amplitudes an AR(1) process along z. */
static fib_status sim_curtains(fib_sim *s, const fib_volume *labels,
                               const double full[2], fib_error *err)
{
    const fib_sim_params *p = &s->p;
    const size_t nz = s->g.nz;
    rng r;
    rng_seed(&r, p->seed, S_CURTAIN);
    if (p->curtain_amp > 0) {
        s->ncur = (size_t)floor(full[0] / p->curtain_spacing_px + 0.5);
        if (s->ncur < 1)
            s->ncur = 1;
        s->cur_x_nm = malloc(s->ncur * sizeof(double));
        s->cur_sigma_nm = malloc(s->ncur * sizeof(double));
        s->cur_amp = malloc(s->ncur * nz * sizeof(double));
        if (!s->cur_x_nm || !s->cur_sigma_nm || !s->cur_amp) {
            return fib_error_set(err, FIB_ENOMEM, "simulate: out of memory");
        }
        const double rho = exp(-1.0 / p->curtain_evolve);
        for (size_t c = 0; c < s->ncur; c++) {
            s->cur_x_nm[c] = rng_uniform(&r) * (double)labels->nx * s->vox[0];
            const double w = p->curtain_width_px *
                             exp(log(3.0) * (2.0 * rng_uniform(&r) - 1.0));
            s->cur_sigma_nm[c] = 0.5 * w * p->pixel_nm;
            const double a0 = p->curtain_amp * (0.4 + 1.2 * rng_uniform(&r)) *
                              (rng_uniform(&r) < 0.5 ? -1.0 : 1.0);
            double m = rng_normal(&r);
            for (size_t k = 0; k < nz; k++) {
                if (k > 0)
                    m = rho * m + sqrt(1 - rho * rho) * rng_normal(&r);
                s->cur_amp[c * nz + k] = a0 * (1.0 + 0.5 * m);
            }
        }
    }
    return FIB_OK;
}

/* Phase frame stripes (stream S_FRAME): image x positions. */
static fib_status sim_frame_stripes(fib_sim *s, fib_error *err)
{
    const fib_sim_params *p = &s->p;
    const fib_sim_geometry *g = &s->g;
    rng r;
    if (p->frame_stripes > 0) {
        rng_seed(&r, p->seed, S_FRAME);
        s->frame_col = calloc(g->nx, sizeof(double));
        if (!s->frame_col) {
            return fib_error_set(err, FIB_ENOMEM, "simulate: out of memory");
        }
        const size_t nfs = g->nx / 16 + 1;
        for (size_t c = 0; c < nfs; c++) {
            const double x0 = rng_uniform(&r) * (double)g->nx;
            const double sg = 0.5 + 1.5 * rng_uniform(&r);
            const double a = p->frame_stripes * (0.5 + rng_uniform(&r)) *
                             (rng_uniform(&r) < 0.5 ? -1.0 : 1.0);
            for (size_t i = 0; i < g->nx; i++) {
                const double d = ((double)i + 0.5 - x0) / sg;
                s->frame_col[i] += a * exp(-0.5 * d * d);
            }
        }
    }
    return FIB_OK;
}

/* Phase shading (stream S_SHADE) and gain (stream S_GAIN). */
static fib_status sim_shading_gain(fib_sim *s, fib_error *err)
{
    const fib_sim_params *p = &s->p;
    const size_t nz = s->g.nz;
    rng r;
    s->shade_amp = malloc(nz * sizeof(double));
    s->offset = malloc(nz * sizeof(double));
    if (!s->shade_amp || !s->offset) {
        return fib_error_set(err, FIB_ENOMEM, "simulate: out of memory");
    }
    rng_seed(&r, p->seed, S_SHADE);
    for (int i = 0; i < 3; i++)
        s->shade_c[i] = 2.0 * rng_uniform(&r) - 1.0;
    double m = 0;
    const double rho_s = exp(-1.0 / 20.0);
    for (size_t k = 0; k < nz; k++) {
        m = rho_s * m + sqrt(1 - rho_s * rho_s) * rng_normal(&r);
        s->shade_amp[k] = p->shading > 0 ? p->shading * (1.0 + 0.2 * m) : 0;
    }
    rng_seed(&r, p->seed, S_GAIN);
    double lg = 0, off = 0;
    for (size_t k = 0; k < nz; k++) {
        if (k > 0 && p->gain_drift > 0) {
            lg += p->gain_drift * rng_normal(&r);
            off += 0.5 * p->gain_drift * rng_normal(&r);
        }
        s->sl[k].gain = exp(lg);
        s->offset[k] = off;
    }
    return FIB_OK;
}

fib_status fib_sim_create(const fib_volume *labels,
                          const fib_sim_params *params, fib_sim **out,
                          fib_error *err)
{
    if (!labels || !params || !out || !labels->data)
        return fib_error_set(err, FIB_EINVAL, "simulate: NULL argument");
    *out = NULL;
    if (labels->type != FIB_PX_U8 && labels->type != FIB_PX_U16 &&
        labels->type != FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: labels must be u8, u16 or u32 "
                             "integers (got %s)",
                             fib_pixel_type_name(labels->type));
    for (int a = 0; a < 3; a++)
        if (!(labels->voxel_size_nm[a] > 0) ||
            !isfinite(labels->voxel_size_nm[a]))
            return fib_error_set(err, FIB_EINVAL,
                                 "simulate: labels: voxel size %c unknown "
                                 "(got %g nm)",
                                 "xyz"[a], labels -> voxel_size_nm[a]);
    fib_sim *s = calloc(1, sizeof *s);
    if (!s)
        return fib_error_set(err, FIB_ENOMEM, "simulate: out of memory");
    fib_status st = check_params(params, labels, &s->p, err);
    if (!st)
        st = collect_labels(labels, &s->g, err);
    if (st) {
        free(s);
        return st;
    }
    s->lab = labels;
    memcpy(s->vox, labels->voxel_size_nm, sizeof s->vox);
    fib_sim_params *p = &s->p;
    fib_sim_geometry *g = &s->g;
    const size_t np = g->n_phases;
    if (p->grey && p->n_grey != np) {
        const size_t ng = p->n_grey;
        free(s);
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: grey: %zu values given for %zu "
                             "phases",
                             ng, np);
    }
    if ((st = sim_grey(s, err)) != FIB_OK) {
        free(s);
        return st;
    }
    p->grey = g->grey;
    p->n_grey = np;
    sim_geometry(s);
    double cmin[2] = {0, 0}, cmax[2] = {0, 0};
    const double full[2] = {(double)labels->nx * s->vox[0] / p->pixel_nm,
                            (double)labels->ny * s->vox[1] * g->fore /
                                p->pixel_nm};
    if ((st = sim_depths(s, labels, err)) == FIB_OK) {
        sim_drift(s, cmin, cmax);
        sim_affine(s);
        if ((st = sim_field(s, full, cmin, cmax, err)) == FIB_OK &&
            (st = sim_curtains(s, labels, full, err)) == FIB_OK &&
            (st = sim_frame_stripes(s, err)) == FIB_OK)
            st = sim_shading_gain(s, err);
    }
    if (st != FIB_OK) {
        fib_sim_destroy(s);
        return st;
    }
    *out = s;
    return FIB_OK;
}

void fib_sim_destroy(fib_sim *s)
{
    if (!s)
        return;
    free(s->sl);
    free(s->cur_x_nm);
    free(s->cur_sigma_nm);
    free(s->cur_amp);
    free(s->shade_amp);
    free(s->offset);
    free(s->frame_col);
    free(s);
}

fib_sim_params fib_sim_get_params(const fib_sim *s)
{
    return s->p;
}

fib_sim_geometry fib_sim_get_geometry(const fib_sim *s)
{
    return s->g;
}

fib_sim_slice fib_sim_get_slice(const fib_sim *s, size_t k)
{
    fib_sim_slice z;
    memset(&z, 0, sizeof z);
    return k < s->g.nz ? s->sl[k] : z;
}
