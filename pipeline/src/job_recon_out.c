/* job_recon_out.c -- the volume sink and the pictures and tables of
 * fib_job_recon(): ortho.png, drift.png, drift.csv. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/canvas.h"
#include "fib/checked.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "fib/report.h"
#include "job_recon_internal.h"

/* ---- sink: volume writer + orthogonal views --------------------------- */

fib_status fib__job_sink_begin(void *user, const fib_recon_geometry *g,
                               fib_error *err)
{
    fib__vol_sink *s = user;
    s->g = *g;
    if (s->part) {
        s->wo.zarr_part = true;
        s->wo.zarr_z_begin = g->z_begin;
        s->wo.zarr_z_end = g->z_end;
    }
    fib_status st =
        fib_fmt_volume_writer_create(s->path, g->type, g->nx, g->ny, g->nz,
                                     g->voxel_size_nm, &s->wo, &s->w, err);
    if (!st)
        st = fib_image_init(&s->xy, FIB_PX_F32, g->nx, g->ny, err);
    if (!st)
        st = fib_image_init(&s->xz, FIB_PX_F32, g->nx, g->nz, err);
    if (!st)
        st = fib_image_init(&s->yz, FIB_PX_F32, g->nz, g->ny, err);
    if (!st && s->async)
        st = fib__wq_create(s->w, g->type, g->nx, g->ny, &s->q, err);
    return st;
}

fib_status fib__job_sink_slice(void *user, size_t z, const fib_image *im,
                               fib_error *err)
{
    fib__vol_sink *s = user;
    fib_status st = s->q ? fib__wq_append(s->q, im, err)
                         : fib_fmt_volume_writer_append(s->w, im, err);
    if (st)
        return st;
    if (z == s->g.nz / 2)
        for (size_t y = 0; y < im->height; y++)
            for (size_t x = 0; x < im->width; x++)
                ((float *)fib_image_row(&s->xy, y))[x] =
                    (float)fib_image_get(im, x, y);
    float *row = fib_image_row(&s->xz, z);
    for (size_t x = 0; x < im->width; x++)
        row[x] = (float)fib_image_get(im, x, im->height / 2);
    for (size_t y = 0; y < im->height; y++)
        ((float *)fib_image_row(&s->yz, y))[z] =
            (float)fib_image_get(im, im->width / 2, y);
    return FIB_OK;
}

/* Every slice written, then the file completed. */
fib_status fib__job_sink_finish(fib__vol_sink *s, fib_error *err)
{
    fib_status st = fib__wq_drain(s->q, err);
    if (!st)
        st = fib_fmt_volume_writer_finish(s->w, err);
    return st;
}

/* One part's views on the wire: z_begin, z_end, whether the middle slice
 * is in it, then the XZ rows, the YZ columns (y-major) and the XY slice
 * of its part. */
fib_status fib__job_sink_gather(fib__vol_sink *s, const fib_comm *c,
                                fib_status st, fib_error *err)
{
    if (fib_comm_size(c) == 1)
        return st;
    st = fib_comm_agree(c, st, err);
    if (st)
        return st;
    const size_t nx = s->g.nx, ny = s->g.ny, nz = s->g.nz;
    const size_t zb = s->g.z_begin, ze = s->g.z_end, m = ze - zb;
    const size_t mid = nz / 2;
    const size_t hx = mid >= zb && mid < ze;
    size_t floats = m * nx + m * ny + (hx ? nx * ny : 0), bytes;
    if (!fib_mul_size(floats, sizeof(float), &bytes) ||
        !fib_add_size(bytes, 3 * sizeof(size_t), &bytes))
        st = fib_error_set(err, FIB_ERANGE, "recon: views too large");
    unsigned char *msg = st ? NULL : malloc(bytes);
    if (!st && !msg)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (!st) {
        size_t *h = (size_t *)(void *)msg;
        h[0] = zb;
        h[1] = ze;
        h[2] = hx;
        float *f = (float *)(void *)(msg + 3 * sizeof(size_t));
        for (size_t z = zb; z < ze; z++, f += nx)
            memcpy(f, fib_image_row(&s->xz, z), nx * sizeof(float));
        for (size_t y = 0; y < ny; y++, f += m)
            memcpy(f, (const float *)fib_image_row(&s->yz, y) + zb,
                   m * sizeof(float));
        for (size_t y = 0; hx && y < ny; y++, f += nx)
            memcpy(f, fib_image_row(&s->xy, y), nx * sizeof(float));
    }
    void *all = NULL;
    size_t *counts = malloc((size_t)c->size * sizeof *counts);
    /* only rank 0 draws the views: gathered there alone */
    fib_status gs = fib_comm_gather(c, 0, msg, st || !counts ? 0 : bytes, &all,
                                    counts, err);
    free(msg);
    if (!st && !counts)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (!st)
        st = gs;
    const unsigned char *p = all;
    for (int q = 0; !st && all && q < c->size; p += counts[q], q++) {
        if (q == c->rank || counts[q] < 3 * sizeof(size_t))
            continue;
        size_t h[3];
        memcpy(h, p, sizeof h);
        const size_t qm = h[1] - h[0];
        const float *f = (const float *)(const void *)(p + sizeof h);
        for (size_t z = h[0]; z < h[1]; z++, f += nx)
            memcpy(fib_image_row(&s->xz, z), f, nx * sizeof(float));
        for (size_t y = 0; y < ny; y++, f += qm)
            memcpy((float *)fib_image_row(&s->yz, y) + h[0], f,
                   qm * sizeof(float));
        for (size_t y = 0; h[2] && y < ny; y++, f += nx)
            memcpy(fib_image_row(&s->xy, y), f, nx * sizeof(float));
    }
    free(all);
    free(counts);
    return fib_comm_agree(c, st, err);
}

void fib__job_sink_clear(fib__vol_sink *s)
{
    fib__wq_destroy(s->q); /* before the writer it appends to */
    fib_fmt_volume_writer_destroy(s->w);
    fib_image_clear(&s->xy);
    fib_image_clear(&s->xz);
    fib_image_clear(&s->yz);
    memset(s, 0, sizeof *s);
}

/* ---- pictures --------------------------------------------------------- */

static double pct(const fib_image *im, double q)
{
    /* display window from a 1024-bin histogram of the finite values */
    double lo, hi;
    fib_image_minmax(im, &lo, &hi);
    if (!(hi > lo))
        return lo;
    size_t hist[1024] = {0}, n = 0;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++) {
            const double v = fib_image_get(im, x, y);
            if (!isfinite(v))
                continue;
            size_t b = (size_t)((v - lo) / (hi - lo) * 1023.0);
            hist[b > 1023 ? 1023 : b]++;
            n++;
        }
    size_t acc = 0;
    for (size_t b = 0; b < 1024; b++) {
        acc += hist[b];
        if ((double)acc >= q * (double)n)
            return lo + (hi - lo) * (double)b / 1023.0;
    }
    return hi;
}

/* Three orthogonal views through the middle of the volume: XY (middle
 * slice), XZ (middle row, z down) and YZ (middle column, z to the right).
 * The XZ and YZ reslices are where a bad alignment shows, as shear (a
 * common bias: content leaning with z) or as steps between slices.
 * Panels keep the physical aspect; an unknown voxel size is drawn as the
 * size of a known axis and the footer says so.  A z extent of fewer than
 * 2 screen px per slice is exaggerated to that (the panel title gives the
 * factor) so that slice-to-slice jumps stay visible.  Each panel gets a
 * scale bar in physical units along its horizontal axis when that axis's
 * voxel size is known. */
fib_status fib__job_write_ortho(const char *path, const fib__vol_sink *s,
                                fib_error *err)
{
    const double *vs = s->g.voxel_size_nm;
    const bool kx = vs[0] > 0, ky = vs[1] > 0, kz = vs[2] > 0;
    const double ref = kx ? vs[0] : ky ? vs[1] : kz ? vs[2] : 1.0;
    const double vx = kx ? vs[0] : ref, vy = ky ? vs[1] : ref,
                 vz = kz ? vs[2] : ref;
    const int box = 400, pad = 24, foot = 20;
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(3 * box + 4 * pad, box + 2 * pad + foot,
                                      FIB_RGB_WHITE, &c, err);
    if (st)
        return st;
    fib_canvas_image_params ip = {0};
    ip.lo = pct(&s->xy, 0.005);
    ip.hi = pct(&s->xy, 0.995);
    if (!(ip.hi > ip.lo))
        ip.hi = ip.lo + 1;
    ip.interp = FIB_INTERP_BILINEAR;
    const fib_image *ims[3] = {&s->xy, &s->xz, &s->yz};
    const double pw[3] = {(double)s->g.nx * vx, (double)s->g.nx * vx,
                          (double)s->g.nz * vz};
    const double ph[3] = {(double)s->g.ny * vy, (double)s->g.nz * vz,
                          (double)s->g.ny * vy};
    const bool known_w[3] = {kx, kx, kz};
    static const char *names[3] = {"XY (middle slice)", "XZ (middle row)",
                                   "YZ (middle column; z to the right)"};
    const double zmin_px = fmin(2.0 * (double)s->g.nz, (double)box);
    for (int k = 0; k < 3 && !st; k++) {
        fib_canvas_rect b = {pad + k * (box + pad), pad, box, box};
        fib_canvas_rect r = fib_canvas_fit_rect(b, pw[k], ph[k]);
        double zx = 1.0; /* z exaggeration */
        if (k == 1 && r.h < zmin_px && r.h > 0) {
            zx = zmin_px / r.h;
            r = fib_canvas_fit_rect(b, pw[k], ph[k] * zx);
        } else if (k == 2 && r.w < zmin_px && r.w > 0) {
            zx = zmin_px / r.w;
            r = fib_canvas_fit_rect(b, pw[k] * zx, ph[k]);
        }
        if (r.w < 1)
            r.w = 1;
        if (r.h < 1)
            r.h = 1;
        st = fib_canvas_draw_image(c, ims[k], r, &ip, err);
        char title[96];
        if (zx > 1.0)
            snprintf(title, sizeof title, "%s, z x%.2g", names[k], zx);
        else
            snprintf(title, sizeof title, "%s", names[k]);
        fib_canvas_text(c, b.x, 6, title, 1, FIB_RGB_BLACK);
        if (!st && known_w[k] && r.w >= 80 && r.h >= 24) {
            fib_scale_bar_params sb = {.width_nm = pw[k]};
            st = fib_canvas_scale_bar(c, r, &sb, NULL, NULL, err);
        } else if (!st && known_w[k]) {
            /* too narrow for a bar: the panel's width in words */
            char len[32], txt[64];
            fib_format_length_nm(pw[k], len, sizeof len);
            snprintf(txt, sizeof txt, "width %s", len);
            fib_canvas_text(c, r.x, pad + box + 4, txt, 1, FIB_RGB_BLACK);
        } else if (!st) {
            fib_canvas_text(c, b.x, pad + box + 4,
                            k == 2 ? "no scale bar: slice thickness unknown"
                                   : "no scale bar: pixel size unknown",
                            1, FIB_RGB_BLACK);
        }
    }
    if (!st && !(kx && ky && kz)) {
        char note[160];
        snprintf(note, sizeof note,
                 "voxel size unknown in%s%s%s: drawn as cubic voxels "
                 "(pass --pixel-size-nm / --slice-nm)",
                 kx ? "" : " x", ky ? "" : " y", kz ? "" : " z");
        fib_canvas_text(c, pad, pad + box + 4 + foot / 2 + 2, note, 1,
                        FIB_RGB_BLACK);
    }
    if (!st)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

/* The closure panel of drift.png: the per-distance bias in x and y with
 * the +-3 standard-error band; @p dk holds 5 * nd doubles (distance, bias
 * x, bias y, +3 SE, -3 SE). */
static fib_status closure_panel(fib_canvas *c, const double *dk, size_t nd,
                                const char *title, fib_error *err)
{
    const double *bx = dk + nd, *by = bx + nd, *hi = by + nd, *lo = hi + nd;
    fib_plot_series s4[4] = {{0}, {0}, {0}, {0}};
    s4[0].x = dk;
    s4[0].y = bx;
    s4[0].n = nd;
    s4[0].label = "x";
    s4[0].style = FIB_PLOT_LINE_MARKERS;
    s4[1].x = dk;
    s4[1].y = by;
    s4[1].n = nd;
    s4[1].label = "y";
    s4[1].style = FIB_PLOT_LINE_MARKERS;
    s4[2].x = dk;
    s4[2].y = hi;
    s4[2].n = nd;
    s4[2].label = "+-3 SE";
    s4[2].custom_color = true;
    s4[2].color = FIB_RGB(160, 160, 160);
    s4[3] = s4[2];
    s4[3].y = lo;
    s4[3].label = NULL;
    fib_plot_params p4 = {0};
    p4.title = title;
    p4.x_label = "pair distance k";
    p4.y_label = "px";
    p4.zero_line = true;
    return fib_plot_xy(c, (fib_canvas_rect){0, 600, 900, 240}, &p4, s4, 4, NULL,
                       err);
}

/* drift.png: the applied shifts; the correlation peak quality per slice
 * (a dip marks a slice that is hard to align); and the closure
 * inconsistency per distance (fib_recon_distance: the mean of d(i, i + k)
 * minus the chain of distance-1 pairs over the span, with +-3 standard
 * errors).  A common bias of the long pairs -- which the pair residuals
 * cannot show, they stay small while the solved trend is wrong -- shows
 * up there as points outside the band. */
fib_status fib__job_write_drift_plot(const char *path, const fib_recon *r,
                                     fib_error *err)
{
    const size_t n = fib_recon_n_slices(r);
    size_t nd = 0;
    const fib_recon_distance *D = fib_recon_distances(r, &nd);
    double *buf =
        malloc((8 * (n ? n : 1) + 5 * (nd ? nd : 1)) * sizeof(double));
    if (!buf)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    double *xs = buf, *dx = buf + n, *dy = buf + 2 * n, *qual = buf + 3 * n;
    /* NCC after alignment (finite only) and the flagged slices */
    double *nx_ = buf + 4 * n, *ncc = buf + 5 * n, *fx = buf + 6 * n,
           *fy = buf + 7 * n;
    double *dk = buf + 8 * n, *bx = dk + nd, *by = bx + nd, *hi = by + nd,
           *lo = hi + nd;
    size_t m = 0, mn = 0, mf = 0;
    for (size_t i = 0; i < n; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        if (in.skipped)
            continue;
        xs[m] = (double)i;
        dx[m] = in.dx;
        dy[m] = in.dy;
        qual[m] = in.quality;
        m++;
        if (isfinite(in.ncc_prev)) {
            nx_[mn] = (double)i;
            ncc[mn++] = in.ncc_prev;
        }
        if (in.flagged) {
            fx[mf] = (double)i;
            fy[mf++] = isfinite(in.ncc_prev) ? in.ncc_prev : 0.0;
        }
    }
    char title[160];
    size_t dropped = 0, first_drop = 0;
    for (size_t k = 0; k < nd; k++) {
        dk[k] = (double)D[k].distance;
        bx[k] = D[k].bias_px[0];
        by[k] = D[k].bias_px[1];
        const double se = fmax(D[k].bias_se_px[0], D[k].bias_se_px[1]);
        hi[k] = 3.0 * se;
        lo[k] = -3.0 * se;
        if (!(D[k].weight > 0) && !dropped++)
            first_drop = D[k].distance;
    }
    const fib_recon_qc qc = fib_recon_get_qc(r);
    if (dropped)
        snprintf(title, sizeof title,
                 "closure d(i,i+k) - chain, mean +-3 SE: distances >= %zu "
                 "dropped%s",
                 first_drop,
                 qc.frame_fixed[0] || qc.frame_fixed[1]
                     ? "; frame-fixed pattern"
                     : "");
    else
        snprintf(title, sizeof title,
                 "closure d(i,i+k) - chain, mean +-3 SE: consistent%s",
                 qc.frame_fixed[0] || qc.frame_fixed[1]
                     ? "; frame-fixed pattern"
                     : "");
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(900, 840, FIB_RGB_WHITE, &c, err);
    if (!st) {
        fib_plot_series sr[2] = {{0}, {0}};
        sr[0].x = xs;
        sr[0].y = dx;
        sr[0].n = m;
        sr[0].label = "dx applied";
        sr[1].x = xs;
        sr[1].y = dy;
        sr[1].n = m;
        sr[1].label = "dy applied";
        fib_plot_params pp = {0};
        pp.title = "shift applied to each slice (input px)";
        pp.x_label = "slice";
        pp.y_label = "px";
        pp.zero_line = true;
        st = fib_plot_xy(c, (fib_canvas_rect){0, 0, 900, 380}, &pp, sr, 2, NULL,
                         err);
        if (!st) {
            fib_plot_series s3[3] = {{0}, {0}, {0}};
            s3[0].x = xs;
            s3[0].y = qual;
            s3[0].n = m;
            s3[0].label = "peak quality (pair i-1, i)";
            s3[0].style = FIB_PLOT_MARKERS;
            s3[1].x = nx_;
            s3[1].y = ncc;
            s3[1].n = mn;
            s3[1].label = "NCC with i-1 after alignment";
            s3[2].x = fx;
            s3[2].y = fy;
            s3[2].n = mf;
            s3[2].label = "flagged: unlike both neighbours";
            s3[2].style = FIB_PLOT_MARKERS;
            fib_plot_params p3 = {0};
            p3.x_label = "slice";
            p3.y_label = "quality, NCC";
            p3.y_min = 0;
            p3.y_max = 1;
            st = fib_plot_xy(c, (fib_canvas_rect){0, 380, 900, 220}, &p3, s3,
                             mf ? 3 : 2, NULL, err);
        }
        if (!st && nd > 1)
            st = closure_panel(c, dk, nd, title, err);
        if (!st)
            st = fib_fmt_canvas_write_png(path, c, err);
        fib_canvas_destroy(c);
    }
    free(buf);
    return st;
}

/* ---- reports ---------------------------------------------------------- */

fib_status fib__job_write_drift_csv(const char *path, const fib_recon *r,
                                    fib_error *err)
{
    fib_fmt_csv *csv = NULL;
    fib_status st = fib_fmt_csv_create(&csv, err);
    if (st)
        return st;
    fib_fmt_csv_field(csv, "slice");
    fib_fmt_csv_field(csv, "dx");
    fib_fmt_csv_field(csv, "dy");
    fib_fmt_csv_field(csv, "quality");
    fib_fmt_csv_field(csv, "residual_px");
    fib_fmt_csv_field(csv, "ncc_prev");
    fib_fmt_csv_field(csv, "frc_px");
    fib_fmt_csv_field(csv, "flagged");
    fib_fmt_csv_end_row(csv);
    for (size_t i = 0; i < fib_recon_n_slices(r); i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        if (in.skipped)
            continue;
        fib_fmt_csv_int(csv, (long long)i);
        fib_fmt_csv_number(csv, in.dx);
        fib_fmt_csv_number(csv, in.dy);
        fib_fmt_csv_number(csv, in.quality);
        fib_fmt_csv_number(csv, in.residual_px);
        fib_fmt_csv_number(csv, in.ncc_prev);
        fib_fmt_csv_number(csv, in.frc_px);
        fib_fmt_csv_int(csv, in.flagged);
        fib_fmt_csv_end_row(csv);
    }
    st = fib_fmt_csv_write(csv, path, err);
    fib_fmt_csv_destroy(csv);
    return st;
}
