/* job_measure_pictures.c -- the PNG pictures of `cryofib measure`:
 * orthoslices through the centre with a coloured label overlay (label
 * values mapped to their rank among the distinct values), a maximum-
 * intensity projection along z and a shaded surface per measured phase;
 * 640 x 560 each, written into the staged pictures folder. */
#include <stdio.h>

#include "fib/canvas.h"
#include "fib/picture.h"
#include "job_measure_internal.h"

/* Write @p cv as NAME.png into the staged folder; say its final name. */
static fib_status write_png(const fib__measure *m, const char *name,
                            const fib_canvas *cv, fib_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", m->s_pic, name);
    const fib_status st = fib_fmt_canvas_write_png(path, cv, err);
    if (st == FIB_OK)
        FIB__SAY(m, "wrote %s/%s.png", m->p->pictures_dir, name);
    return st;
}

/* One picture: grey base image (may be NULL), optional u32 overlay, scale
 * bar over @p phys_w_nm (none in voxel units: a bar in nm would invent a
 * length), title. */
static fib_status picture(const fib__measure *m, const char *name,
                          const fib_image *base, const fib_image *overlay,
                          double phys_w_nm, double phys_h_nm, const char *title,
                          fib_error *err)
{
    const bool scale_bar = !m->vu;
    fib_canvas *cv = NULL;
    fib_status st = fib_canvas_create(640, 560, FIB_RGB_BLACK, &cv, err);
    if (st != FIB_OK)
        return st;
    const fib_canvas_rect box = {10, 30, 620, 520};
    const fib_canvas_rect r = fib_canvas_fit_rect(box, phys_w_nm, phys_h_nm);
    if (base)
        st = fib_canvas_draw_image(cv, base, r, NULL, err);
    if (st == FIB_OK && overlay)
        st = fib_canvas_draw_labels(cv, overlay, r, NULL, err);
    if (st == FIB_OK) {
        fib_canvas_text(cv, 10, 10, title, 1, FIB_RGB_WHITE);
        const fib_scale_bar_params sb = {.width_nm = phys_w_nm};
        if (scale_bar)
            st = fib_canvas_scale_bar(cv, r, &sb, NULL, NULL, err);
        else
            fib_canvas_text(cv, 10, 548, "voxel units: no scale bar", 1,
                            FIB_RGB_WHITE);
    }
    if (st == FIB_OK)
        st = write_png(m, name, cv, err);
    fib_canvas_destroy(cv);
    return st;
}

/* The rank image (grey) and overlay (0 = background, rank + 1) of the
 * label slice @p sl. */
static void rank_images(const fib__measure *m, const fib_image *sl,
                        fib_image *grey, fib_image *ov)
{
    for (size_t y = 0; y < sl->height; y++)
        for (size_t x = 0; x < sl->width; x++) {
            const uint32_t v = (uint32_t)fib_image_get(sl, x, y);
            size_t rank = 0;
            while (rank < m->nval && m->vals[rank] != v)
                rank++;
            ((float *)fib_image_row(grey, y))[x] = (float)rank;
            ((uint32_t *)fib_image_row(ov, y))[x] =
                v == 0 ? 0 : (uint32_t)rank + 1;
        }
}

/* Orthoslice through the centre across axis @p a. */
static fib_status ortho(const fib__measure *m, const fib_volume *grey_vol,
                        int a, fib_error *err)
{
    static const char *const pname[3] = {"ortho_yz", "ortho_xz", "ortho_xy"};
    const fib_volume *vol = &m->vol;
    const size_t d[3] = {vol->nx, vol->ny, vol->nz};
    const double *sp = vol->voxel_size_nm;
    fib_image sl = {0}, grey = {0}, ov = {0}, gsl = {0};
    fib_status st = fib_recon_orthoslice(vol, a, d[a] / 2, &sl, err);
    if (st == FIB_OK && grey_vol)
        st = fib_recon_orthoslice(grey_vol, a, d[a] / 2, &gsl, err);
    if (st == FIB_OK)
        st = fib_image_init(&grey, FIB_PX_F32, sl.width, sl.height, err);
    if (st == FIB_OK)
        st = fib_image_init(&ov, FIB_PX_U32, sl.width, sl.height, err);
    if (st == FIB_OK) {
        rank_images(m, &sl, &grey, &ov);
        const int u = a == 0 ? 1 : 0, w = a == 2 ? 1 : 2;
        char title[128];
        snprintf(title, sizeof title, "%s slice %zu (labels coloured)",
                 fib__axis_name[a], d[a] / 2);
        st = picture(m, pname[a], grey_vol ? &gsl : &grey, &ov,
                     (double)d[u] * sp[u], (double)d[w] * sp[w], title, err);
    }
    fib_image_clear(&gsl);
    fib_image_clear(&sl);
    fib_image_clear(&grey);
    fib_image_clear(&ov);
    return st;
}

/* The shaded surface of label @p phase seen along the view direction. */
static fib_status surface(const fib__measure *m, uint32_t phase, fib_error *err)
{
    const double *view = m->p->view;
    fib_image img = {0};
    fib_canvas *cv = NULL;
    fib_status st =
        fib_recon_render_surface(&m->vol, phase, view, 620, 520, &img, err);
    if (st == FIB_OK)
        st = fib_canvas_create(640, 560, FIB_RGB_BLACK, &cv, err);
    const fib_canvas_rect r = {10, 30, 620, 520};
    if (st == FIB_OK)
        st = fib_canvas_draw_image(cv, &img, r, NULL, err);
    if (st == FIB_OK) {
        char name[64], title[128];
        snprintf(name, sizeof name, "surface_%u", phase);
        snprintf(title, sizeof title, "phase %u seen along (%.2g, %.2g, %.2g)",
                 phase, view[0], view[1], view[2]);
        fib_canvas_text(cv, 10, 10, title, 1, FIB_RGB_WHITE);
        st = write_png(m, name, cv, err);
    }
    fib_canvas_destroy(cv);
    fib_image_clear(&img);
    return st;
}

fib_status fib__measure_flux_picture(const fib__measure *m, uint32_t phase,
                                     int axis, const fib_volume *flux,
                                     fib_error *err)
{
    /* the slice across the axis normal to the transport axis and z (x
       for the z axis): an image over the transport axis */
    const int a = axis == 2 ? 1 : 2;
    const size_t d[3] = {flux->nx, flux->ny, flux->nz};
    const double *sp = m->vol.voxel_size_nm;
    fib_image sl = {0};
    fib_canvas *cv = NULL;
    fib_status st = fib_recon_orthoslice(flux, a, d[a] / 2, &sl, err);
    if (st == FIB_OK)
        st = fib_canvas_create(640, 560, FIB_RGB_BLACK, &cv, err);
    if (st == FIB_OK) {
        const int u = a == 0 ? 1 : 0, w = a == 2 ? 1 : 2;
        const fib_canvas_rect box = {10, 30, 620, 500};
        const fib_canvas_rect r = fib_canvas_fit_rect(box, (double)d[u] * sp[u],
                                                      (double)d[w] * sp[w]);
        /* window 0..3 x the mean flux: channels at the mean read teal */
        const fib_canvas_image_params ip = {
            .lo = 0, .hi = 3, .cmap = FIB_CMAP_VIRIDIS};
        st = fib_canvas_draw_image(cv, &sl, r, &ip, err);
        char title[160], name[64];
        snprintf(title, sizeof title,
                 "phase %u: |J| / J_mean along %s, %s slice %zu (0..3)", phase,
                 fib__axis_name[axis], fib__axis_name[a], d[a] / 2);
        fib_canvas_text(cv, 10, 10, title, 1, FIB_RGB_WHITE);
        snprintf(name, sizeof name, "flux_%u_%s", phase, fib__axis_name[axis]);
        if (st == FIB_OK)
            st = write_png(m, name, cv, err);
    }
    fib_canvas_destroy(cv);
    fib_image_clear(&sl);
    return st;
}

fib_status fib__measure_pictures(fib__measure *m, const fib_volume *grey,
                                 fib_error *err)
{
    const fib_volume *vol = &m->vol;
    const double *sp = vol->voxel_size_nm;
    fib_status st = FIB_OK;
    for (int a = 0; a < 3 && st == FIB_OK; a++)
        st = ortho(m, grey, a, err);
    if (st == FIB_OK) {
        fib_image mip = {0};
        st = fib_recon_mip(grey ? grey : vol, 2, &mip, err);
        if (st == FIB_OK)
            st = picture(m, "mip_z", &mip, NULL, (double)vol->nx * sp[0],
                         (double)vol->ny * sp[1],
                         "maximum-intensity projection along z", err);
        fib_image_clear(&mip);
    }
    for (size_t p = 0; p < m->nphase && st == FIB_OK; p++)
        st = surface(m, m->phases[p], err);
    return st;
}
