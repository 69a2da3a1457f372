/* recon_write.c -- pass 2 of a streaming reconstruction (fib/recon.h):
 * every kept slice is resampled once (bilinear) with its shift, the tilt
 * stretch and the isotropic scale folded into one mapping, and handed to
 * the sink in the output type. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recon_stack.h"

/* ---- pass 2 ----------------------------------------------------------- */

/* One axis of a bilinear sample at coordinate x of an axis of n pixels:
 * taps i0, i1 and weight f of i1; outside [-0.5, n - 0.5] is invalid (the
 * output pixel becomes 0); inside, coordinates clamp to the edge pixels. */
typedef struct tap {
    size_t i0, i1;
    float f;
    bool valid;
} tap;

static inline void tap_of(double x, size_t n, tap *t)
{
    const double w = (double)n;
    t->valid = x >= -0.5 && x <= w - 0.5;
    if (!t->valid) {
        t->i0 = t->i1 = 0;
        t->f = 0;
        return;
    }
    if (x < 0)
        x = 0;
    if (x > w - 1)
        x = w - 1;
    t->i0 = (size_t)x;
    t->i1 = t->i0 + 1 < n ? t->i0 + 1 : t->i0;
    t->f = (float)(x - (double)t->i0);
}

/* f32 -> u8/u16 with rounding to nearest and clamping; NaN becomes 0.
 * Branch-free so the loops vectorise. */
static void to_type(const fib_image *f, fib_image *t)
{
    const float hi = t->type == FIB_PX_U8 ? 255.0f : 65535.0f;
    for (size_t y = 0; y < f->height; y++) {
        const float *restrict s = fib_image_row(f, y);
        void *d = fib_image_row(t, y);
        if (t->type == FIB_PX_U8) {
            uint8_t *restrict d8 = d;
#pragma omp simd
            for (size_t x = 0; x < f->width; x++) {
                float v = s[x] > 0.0f ? s[x] : 0.0f; /* NaN -> 0 */
                v = v < hi ? v + 0.5f : hi;
                d8[x] = (uint8_t)(int32_t)v;
            }
        } else {
            uint16_t *restrict d16 = d;
#pragma omp simd
            for (size_t x = 0; x < f->width; x++) {
                float v = s[x] > 0.0f ? s[x] : 0.0f;
                v = v < hi ? v + 0.5f : hi;
                d16[x] = (uint16_t)(int32_t)v;
            }
        }
    }
}

/* The state of one pass 2: the buffers, the mappings and the position
 * in the output stack. */
typedef struct writer {
    fib_recon *r;
    const fib_recon_source *s; /* the slices read (reference or channel) */
    const fib_recon_sink *sink;
    fib_recon_geometry geom; /* a channel keeps its own pixel type */
    fib_image in, out, prev, typed, mix;
    double *mapx, *mapy;
    tap *colt;
    float *colf;
    double cxs, cys; /* reference px per channel px */
    size_t bytes;    /* charged to the budget */
    size_t zout;     /* next output slice */
    double zprev;    /* z of prev (isotropic) */
    bool have_prev;
    float *sim[2]; /* similarity samples: this slice, the previous kept */
    size_t sim_n[2];
    fib__frc *frc; /* the FRC resolution of each output slice */
    size_t frc_bytes;
    size_t zb, ze; /* the output slices emitted (this process's part) */
    /* per input slice: the first output slice it emits (e_lo), whether
     * this process resamples it and whether its quality is this
     * process's to record (part_plan()) */
    size_t *elo;
    bool *proc, *own;
} writer;

/* A channel must be a valid source of the reference's length. */
static fib_status check_channel(const fib_recon *r, const fib_recon_source *src,
                                fib_error *err)
{
    fib_recon_params none = {0};
    fib_status cs = fib__recon_check_params(&none, src, err);
    if (cs)
        return cs;
    if (src->n_slices != r->src.n_slices)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: channel has %zu slices, the "
                             "reference %zu",
                             src->n_slices, r->src.n_slices);
    return FIB_OK;
}

/* Charge and allocate the slice buffers and the mappings. */
static fib_status writer_alloc(writer *w, fib_error *err)
{
    const fib_recon_geometry *g = &w->geom;
    const fib_recon_source *s = w->s;
    const bool iso = w->r->p.isotropic || g->z_resampled;
    size_t b1, b2;
    if (!fib_mul3_size(s->width, s->height, sizeof(float), &b1) ||
        !fib_mul3_size(g->nx, g->ny, sizeof(float), &b2))
        return fib_error_set(err, FIB_ERANGE, "recon: slice size overflows");
    const size_t bytes = b1 + b2 * (iso ? 4 : 2) +
                         (g->nx + g->ny) * sizeof(double) +
                         g->nx * (sizeof(tap) + sizeof(float));
    fib_status st = fib__recon_charge(w->r, bytes, "output slices", err);
    if (st)
        return st;
    w->bytes = bytes;
    st = fib_image_init(&w->in, FIB_PX_F32, s->width, s->height, err);
    if (!st)
        st = fib_image_init(&w->out, FIB_PX_F32, g->nx, g->ny, err);
    if (!st && g->type != FIB_PX_F32)
        st = fib_image_init(&w->typed, g->type, g->nx, g->ny, err);
    if (!st && iso)
        st = fib_image_init(&w->prev, FIB_PX_F32, g->nx, g->ny, err);
    if (!st && iso)
        st = fib_image_init(&w->mix, FIB_PX_F32, g->nx, g->ny, err);
    if (st)
        return st;
    w->mapx = malloc(g->nx * sizeof(double));
    w->mapy = malloc(g->ny * sizeof(double));
    w->colt = malloc(g->nx * sizeof(tap));
    w->colf = malloc(g->nx * sizeof(float));
    if (!w->mapx || !w->mapy || !w->colt || !w->colf)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    return FIB_OK;
}

static void writer_free(writer *w)
{
    fib_image_clear(&w->in);
    fib_image_clear(&w->out);
    fib_image_clear(&w->prev);
    fib_image_clear(&w->typed);
    fib_image_clear(&w->mix);
    free(w->mapx);
    free(w->mapy);
    free(w->colt);
    free(w->colf);
    free(w->sim[0]);
    free(w->sim[1]);
    free(w->elo);
    free(w->proc);
    free(w->own);
    fib__frc_destroy(w->frc);
    fib__recon_release(w->r, w->frc_bytes);
    fib__recon_release(w->r, w->bytes);
}

/* The reference's slice i against the previous kept one (recon_similar.c);
 * the samples of i become the previous. */
static void similarity(writer *w, size_t i)
{
    fib_recon_slice_info *in = &w->r->info[i];
    w->sim_n[0] = fib__recon_sim_sample(w->r, &w->out, w->sim[0]);
    if (!w->own[i]) { /* another process's slice: only its samples */
        float *t = w->sim[1];
        w->sim[1] = w->sim[0];
        w->sim[0] = t;
        w->sim_n[1] = w->sim_n[0];
        return;
    }
    if (w->sim_n[1] && w->sim_n[1] == w->sim_n[0])
        fib__recon_sim_pair(w->sim[1], w->sim[0], w->sim_n[0], &in->ncc_prev,
                            &in->nmi_prev);
    /* the FRC on the common region (the output grid is the box itself
     * when cropped) */
    const fib_recon_rect v = w->r->geom.valid;
    const size_t x0 = w->r->geom.cropped ? 0 : v.x;
    const size_t y0 = w->r->geom.cropped ? 0 : v.y;
    if (w->frc && x0 + v.width <= w->out.width &&
        y0 + v.height <= w->out.height)
        in->frc_px = fib__frc_px(w->frc, &w->out, x0, y0, v.width, v.height);
    float *t = w->sim[1];
    w->sim[1] = w->sim[0];
    w->sim[0] = t;
    w->sim_n[1] = w->sim_n[0];
}

/* Output pixel centre -> raw reference pixel coordinate in the crop:
 * u = (X + 0.5) ox / px - 0.5, v = (Y + 0.5) oy / (py y_scale) - 0.5,
 * then to the channel: c = (U + 0.5) * (ref px / channel px) - 0.5. */
static void writer_maps(writer *w, const fib_recon_source *src)
{
    const fib_recon *r = w->r;
    const fib_recon_geometry *g = &w->geom;
    const double px = r->src.pixel_size_nm[0], py = r->src.pixel_size_nm[1];
    const double pyf = py > 0 ? py : (px > 0 ? px : 1.0);
    const double pxf = px > 0 ? px : pyf;
    const double ox = r->p.isotropic ? px : pxf;
    const double oy = r->p.isotropic ? px : pyf;
    w->cxs = w->cys = 1.0;
    if (src) {
        if (px > 0 && src->pixel_size_nm[0] > 0)
            w->cxs = px / src->pixel_size_nm[0];
        else
            w->cxs = (double)src->width / (double)r->src.width;
        if (py > 0 && src->pixel_size_nm[1] > 0)
            w->cys = py / src->pixel_size_nm[1];
        else
            w->cys = (double)src->height / (double)r->src.height;
    }
    /* crop_valid: output voxel X is voxel X + valid.x of the full grid */
    for (size_t X = 0; X < g->nx; X++)
        w->mapx[X] = ((double)(X + g->valid.x) + 0.5) * ox / pxf - 0.5 +
                     (double)r->crop.x;
    for (size_t Y = 0; Y < g->ny; Y++)
        w->mapy[Y] =
            ((double)(Y + g->valid.y) + 0.5) * oy / (pyf * g->y_scale) - 0.5 +
            (double)r->crop.y;
}

/* Slice i into w->in: from the cache or the source. */
static fib_status writer_read(writer *w, size_t i, bool channel, fib_error *err)
{
    const fib_recon *r = w->r;
    const fib_recon_source *s = w->s;
    if (!channel && r->cache) {
        const size_t wd = s->width;
        const float *c = r->cache + i * wd * s->height;
        for (size_t y = 0; y < s->height; y++)
            memcpy(fib_image_row(&w->in, y), c + y * wd, wd * sizeof(float));
        return FIB_OK;
    }
    const fib_status st = fib__recon_read_slice(w->r, s, i, &w->in, err);
    if (st)
        fib_error_prefix(err, "slice %zu: ", i);
    return st;
}

/* w->in shifted by (sx, sy) and mapped into w->out: separable bilinear,
 * the column taps depend on X only. */
static void resample(writer *w, double sx, double sy)
{
    const fib_recon_geometry *g = &w->geom;
    const fib_recon_source *s = w->s;
    const double cxs = w->cxs, cys = w->cys;
    const double *mapx = w->mapx, *mapy = w->mapy;
    tap *colt = w->colt;
    float *colf = w->colf;
    const fib_image *inp = &w->in;
    fib_image *op = &w->out;
    for (size_t X = 0; X < g->nx; X++)
        tap_of((mapx[X] - sx + 0.5) * cxs - 0.5, s->width, &colt[X]);
    const tap *ct = colt;
    /* The run [xa, xb) of output columns whose taps are interior and
     * consecutive (i0 = i0(xa) + X - xa, i1 = i0 + 1): the whole row
     * for a pure translation.  There the same arithmetic runs on
     * contiguous loads (vectorised), bit-identical to the general
     * loop. */
    size_t xa = 0, xb = 0;
    while (xa < g->nx && !(ct[xa].valid && ct[xa].i1 == ct[xa].i0 + 1))
        xa++;
    for (xb = xa; xb < g->nx; xb++) {
        const tap *t = &ct[xb];
        if (!t->valid || t->i0 != ct[xa].i0 + (xb - xa) || t->i1 != t->i0 + 1)
            break;
        colf[xb] = t->f;
    }
    const float *cf = colf;
#pragma omp parallel for schedule(static) num_threads(w->r->nthreads)
    for (long Y = 0; Y < (long)g->ny; Y++) {
        float *row = fib_image_row(op, (size_t)Y);
        tap ty;
        tap_of((mapy[Y] - sy + 0.5) * cys - 0.5, s->height, &ty);
        if (!ty.valid) {
            memset(row, 0, g->nx * sizeof(float));
            continue;
        }
        const float *r0 = fib_image_row(inp, ty.i0);
        const float *r1 = fib_image_row(inp, ty.i1);
        for (size_t X = 0; X < g->nx; X++) {
            if (X == xa && xb > xa) {
                const float *restrict p0 = r0 + ct[xa].i0;
                const float *restrict p1 = r1 + ct[xa].i0;
                const float *restrict fx = cf + xa;
                float *restrict o = row + xa;
                const float fy = ty.f;
#pragma omp simd
                for (size_t j = 0; j < xb - xa; j++) {
                    const float a = p0[j] + fx[j] * (p0[j + 1] - p0[j]);
                    const float b = p1[j] + fx[j] * (p1[j + 1] - p1[j]);
                    o[j] = a + fy * (b - a);
                }
                X = xb - 1;
                continue;
            }
            const tap t = ct[X];
            const float a = r0[t.i0] + t.f * (r0[t.i1] - r0[t.i0]);
            const float b = r1[t.i0] + t.f * (r1[t.i1] - r1[t.i0]);
            row[X] = t.valid ? a + ty.f * (b - a) : 0.0f;
        }
    }
}

/* Hand @p im to the sink as the next output slice, in the output type. */
static fib_status emit(writer *w, const fib_image *im, fib_error *err)
{
    if (w->zout < w->zb || w->zout >= w->ze) { /* another process's */
        w->zout++;
        return FIB_OK;
    }
    if (w->geom.type != FIB_PX_F32) {
        to_type(im, &w->typed);
        im = &w->typed;
    }
    return w->sink->slice(w->sink->user, w->zout++, im, err);
}

/* Isotropic: emit every z = k dz_out in (zprev, zcur] by linear
 * interpolation between consecutive kept slices; w->out becomes prev. */
static fib_status emit_isotropic(writer *w, size_t i, fib_error *err)
{
    const fib_recon_geometry *g = &w->geom;
    const double zcur = fib__recon_depth_nm(w->r, i);
    while (w->zout < g->nz) {
        const double zk = (double)w->zout * g->voxel_size_nm[2];
        if (zk > zcur + 1e-9)
            break;
        const fib_image *im = &w->out;
        const bool mine = w->zout >= w->zb && w->zout < w->ze;
        if (mine && w->have_prev && zk < zcur - 1e-9) {
            const double zprev = w->zprev;
            const float t = (float)((zk - zprev) / (zcur - zprev));
            for (size_t y = 0; y < g->ny; y++) {
                const float *a = fib_image_row(&w->prev, y);
                const float *b = fib_image_row(&w->out, y);
                float *m = fib_image_row(&w->mix, y);
                for (size_t x = 0; x < g->nx; x++)
                    m[x] = a[x] + t * (b[x] - a[x]);
            }
            im = &w->mix;
        }
        const fib_status st = emit(w, im, err);
        if (st)
            return st;
    }
    fib_image tmp = w->prev;
    w->prev = w->out;
    w->out = tmp;
    w->zprev = zcur;
    w->have_prev = true;
    return FIB_OK;
}

/* Which input slices this process resamples and whose quality it
 * records, and the first output slice each emits: the emission rule of
 * emit() and emit_isotropic() run without images.  A kept slice is this
 * process's when its first output slice (the last one for a slice past
 * the end) is in [zb, ze); it is resampled when it is its own, emits into
 * [zb, ze), or is the kept slice before one of those (the previous image
 * of the interpolation and of the similarity). */
static fib_status part_plan(writer *w, bool zmode, fib_error *err)
{
    const fib_recon *r = w->r;
    const size_t n = r->src.n_slices, nz = w->geom.nz;
    const double dz = w->geom.voxel_size_nm[2];
    w->elo = malloc(n * sizeof *w->elo);
    size_t *ehi = malloc(n * sizeof *ehi);
    w->proc = calloc(n, sizeof *w->proc);
    w->own = calloc(n, sizeof *w->own);
    if (!w->elo || !ehi || !w->proc || !w->own) {
        free(ehi);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    size_t z = 0, last = n;
    for (size_t i = 0; i < n; i++) {
        w->elo[i] = z;
        if (!r->info[i].skipped) {
            if (zmode) {
                const double zcur = fib__recon_depth_nm(r, i);
                while (z < nz && (double)z * dz <= zcur + 1e-9)
                    z++;
            } else if (z < nz) {
                z++;
            }
            last = i;
        }
        ehi[i] = z;
    }
    if (zmode && last < n)
        ehi[last] = nz; /* the repeats past the last kept slice */
    size_t prev = n;    /* the kept slice before i */
    for (size_t i = 0; i < n && nz; i++) {
        if (r->info[i].skipped)
            continue;
        const size_t a = w->elo[i] < nz ? w->elo[i] : nz - 1;
        w->own[i] = a >= w->zb && a < w->ze;
        const bool emits =
            ehi[i] > w->elo[i] && w->elo[i] < w->ze && ehi[i] > w->zb;
        w->proc[i] = w->own[i] || emits;
        if (w->proc[i] && prev < n)
            w->proc[prev] = true;
        prev = i;
    }
    free(ehi);
    return FIB_OK;
}

fib_status fib_recon_write(fib_recon *r, const fib_recon_source *src,
                           const fib_recon_sink *sink, const fib_progress *prog,
                           fib_error *err)
{
    if (!r || !sink || !sink->slice)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: write needs a context and a sink");
    if (!r->estimated)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: fib_recon_estimate() must run first");
    if (src) {
        const fib_status cs = check_channel(r, src, err);
        if (cs)
            return cs;
    }
    writer w;
    memset(&w, 0, sizeof w);
    w.r = r;
    w.s = src ? src : &r->src;
    w.sink = sink;
    w.geom = r->geom;
    w.geom.type = src && !r->p.float_out ? src->type : r->geom.type;
    const size_t n = r->src.n_slices;
    const bool zmode = r->p.isotropic || r->geom.z_resampled;
    fib__recon_part_output(r, sink->z_align, &w.zb, &w.ze);
    w.geom.z_begin = w.zb;
    w.geom.z_end = w.ze;
    fib_status st = writer_alloc(&w, err);
    if (!st)
        st = part_plan(&w, zmode, err);
    if (!st && !src) {
        const size_t cap = fib__recon_sim_capacity(r);
        w.sim[0] = malloc(cap * sizeof(float));
        w.sim[1] = malloc(cap * sizeof(float));
        if (!w.sim[0] || !w.sim[1])
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        for (size_t i = 0; i < n; i++)
            r->info[i].ncc_prev = r->info[i].nmi_prev = r->info[i].frc_px =
                (double)NAN;
        /* the FRC's buffers within the budget; a budget without room
         * for them leaves the estimate out (NaN), never fails the run */
        const size_t fb =
            fib__frc_bytes(r->geom.valid.width, r->geom.valid.height);
        fib_error ferr = {0};
        if (!st && fb && fib__recon_charge(r, fb, "FRC", &ferr) == FIB_OK) {
            w.frc_bytes = fb;
            if (fib__frc_create(r->geom.valid.width, r->geom.valid.height,
                                &w.frc, &ferr) != FIB_OK)
                w.frc = NULL;
        }
    }
    if (!st) {
        writer_maps(&w, src);
        if (sink->begin)
            st = sink->begin(sink->user, &w.geom, err);
    }
    for (size_t i = 0; i < n && !st; i++) {
        st = fib_progress_report(prog, "write", i, n, err);
        if (st || r->info[i].skipped || !w.proc[i])
            continue;
        w.zout = w.elo[i];
        st = writer_read(&w, i, src != NULL, err);
        if (st)
            break;
        if (r->p.model == FIB_RECON_MODEL_TRANSLATION) {
            resample(&w, r->info[i].dx, r->info[i].dy);
        } else {
            fib__warp wp = {&w.in,         &w.out,       w.mapx,
                            w.mapy,        w.cxs,        w.cys,
                            {0, 0},        r->info[i].a, r->info[i].dx,
                            r->info[i].dy, r->nthreads};
            fib__recon_lin_centre(r, wp.c);
            fib__recon_warp(&wp);
        }
        if (!src)
            similarity(&w, i);
        st = zmode ? emit_isotropic(&w, i, err) : emit(&w, &w.out, err);
    }
    /* resampled output past the last kept slice: repeat it */
    while (!st && zmode && w.zout < w.geom.nz)
        st = emit(&w, &w.prev, err);
    /* several processes: each slice's quality from the one that owns
     * it, on every process, before the flags are set from them all */
    if (!src)
        st = fib__recon_share_write_qc(r, w.own, st, err);
    if (!st && !src)
        fib__recon_sim_flag(r);
    if (!st)
        st = fib_progress_report(prog, "write", n, n, err);
    writer_free(&w);
    return st;
}
