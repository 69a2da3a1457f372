/* job_recon_src.c -- the slice series of fib_job_recon(): files in, the
 * metadata policy (beam angle) and the artifact-correction settings. */
#define _GNU_SOURCE
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "job_recon_internal.h"

/* Curtaining method of a run (run file or options): NONE when off;
 * FIB_RECON_DESTRIPE_DEFAULT for a plain destripe = true / --destripe. */
fib_recon_destripe_method fib__job_destripe_of(const fib_fmt_recon_cfg *c)
{
    fib_recon_destripe_method m = FIB_RECON_DESTRIPE_DEFAULT;
    if (!c->destripe && !c->destripe_method[0])
        return FIB_DESTRIPE_NONE;
    if (c->destripe_method[0] &&
        !fib_recon_destripe_method_parse(c->destripe_method, &m))
        m = FIB_RECON_DESTRIPE_DEFAULT; /* not reached: names are checked */
    return m;
}

/* ---- slice source over files ----------------------------------------- */

fib_status fib__job_read_slice(void *user, size_t i, fib_image *out,
                               fib_error *err)
{
    fib__file_src *s = user;
    fib_image own = {0};
    const fib_image *img = &own;
    fib_fmt_read_opts ro = {0};
    ro.page = s->pages ? i : 0;
    fib_status st = s->rd
                        ? fib_fmt_series_reader_get(s->rd, i, &img, err)
                        : fib_fmt_image_read(s->paths[i], &ro, &own, NULL, err);
    if (st)
        return st;
    if (img->width != out->width || img->height != out->height) {
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s is %zu x %zu px, the series (from the first "
                           "slice) is %zu x %zu",
                           s->paths[i], img->width, img->height, out->width,
                           out->height);
    } else {
        st = fib_recon_fill_f32(img, out, err);
    }
    fib_image_clear(&own);
    if (st == FIB_OK && s->correct) {
        /* each pass starts the stack again: the normalisation reference
         * must follow the same slices in both passes */
        if (i == 0)
            fib_recon_correct_reset(s->correct);
        st = fib_recon_correct_slice(s->correct, i, out, err);
    }
    return st;
}

/* Decoder threads for a run of @p threads (0 = the OpenMP default): one
 * per thread when there is more than one, none otherwise -- a one-thread
 * run stays on one thread. */
size_t fib__job_src_decoders(int threads)
{
    const int t = threads > 0 ? threads : omp_get_max_threads();
    return t > 1 ? (size_t)t : 0;
}

/* Slices decoded ahead: two per decoder and one more, so that every
 * decoder has work while the engine holds one. */
size_t fib__job_src_ahead(size_t decoders)
{
    return 2 * decoders + 1;
}

/* Read-ahead over the series (fib/series_reader.h): @p decoders threads
 * decode the next slices while the engine works on the current one; for a
 * compressed series (PNG, compressed TIFF) the decoded slices also go to an
 * unlinked spill file in @p spill_dir, so that pass 2 reads raw pixels
 * instead of decoding every file again.  Slices are the same bytes either
 * way: the output does not depend on it. */
fib_status fib__job_src_start(fib__file_src *s, int decoders,
                              const char *spill_dir, fib_error *err)
{
    fib_fmt_series_reader_opts o = {0};
    o.threads = decoders;
    o.ahead = decoders ? fib__job_src_ahead((size_t)decoders) : 0;
    o.spill_dir = s->compressed ? spill_dir : NULL;
    o.pages = s->pages;
    if (!o.threads && !o.spill_dir)
        return FIB_OK;
    return fib_fmt_series_reader_create(s->paths, s->n, &o, &s->rd, err);
}

void fib__job_src_stop(fib__file_src *s)
{
    fib_fmt_series_reader_destroy(s->rd);
    s->rd = NULL;
}

/* A stack file as a series: its pages (TIFF) or sections (MRC, NRRD,
 * OME-Zarr), the path repeated once per slice.  FIB_OK with s->n = 0 when
 * @p src is not a file of several images (a folder, glob or list). */
static fib_status open_stack(const char *src, fib__file_src *s, fib_error *err)
{
    struct stat sb;
    const char *dot = strrchr(src, '.');
    if (stat(src, &sb) != 0 ||
        (!S_ISREG(sb.st_mode) &&
         !(S_ISDIR(sb.st_mode) && dot && !strcasecmp(dot, ".zarr"))) ||
        (dot && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".lst"))))
        return FIB_OK;
    fib_fmt_info info;
    fib_status st = fib_fmt_probe(src, NULL, &info, err);
    if (st)
        return st;
    if (info.nz < 2)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: one image, not a series: give a folder, "
                             "a glob, a list file or a multi-page stack",
                             src);
    s->paths = calloc(info.nz, sizeof *s->paths);
    if (!s->paths)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (s->n = 0; s->n < info.nz; s->n++)
        if (!(s->paths[s->n] = strdup(src)))
            return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    s->pages = true;
    return FIB_OK;
}

fib_status fib__job_open_series(const char *src, fib__file_src *s,
                                fib_error *err)
{
    memset(s, 0, sizeof *s);
    fib_status st = open_stack(src, s, err);
    if (!st && !s->pages)
        st = fib_fmt_series_list(src, &s->paths, &s->n, err);
    if (st)
        return st;
    fib_fmt_info info;
    st = fib_fmt_probe(s->paths[0], NULL, &info, err);
    if (st)
        return st;
    s->width = info.nx;
    s->height = info.ny -
                (info.meta.databar_rows < info.ny ? info.meta.databar_rows : 0);
    s->type = info.type;
    s->meta = info.meta;
    s->compressed =
        info.kind == FIB_FMT_PNG ||
        (info.kind == FIB_FMT_TIFF && strcmp(info.compression, "none") != 0);
    if (s->type == FIB_PX_U32)
        s->type = FIB_PX_F32;
    /* the probe gives the file rows; the reader crops the data bar: read
     * the first slice to get the exact slice size */
    fib_image img = {0};
    st = fib_fmt_image_read(s->paths[0], NULL, &img, &s->meta, err);
    if (st)
        return st;
    s->width = img.width;
    s->height = img.height;
    fib_image_clear(&img);
    return FIB_OK;
}

/* ---- geometry policy: metadata -> beam angle -------------------------- */

/* The beam angle that foreshortens the image of the milled face
 * (recon-methods.md 2.1).  In slice-and-view the ion beam mills the face,
 * so the face contains the ion-beam direction (its depth axis, image y).
 *   - An SEM (electron) image sees that axis at the angle theta between
 *     the electron and ion columns: lengths along it appear multiplied by
 *     sin(theta), hence the 1/sin(theta) stretch (1.269 at 52 deg).  theta
 *     is a property of the instrument, not of the stage: the stage tilt
 *     only sets where the face lies on the sample (52 deg on a DualBeam
 *     puts it normal to the surface), so an electron image at a FIB tilt
 *     gets the column angle -- the file's own AP_FIB_SEM_ANGLE (Zeiss),
 *     else 52 deg for Thermo/FEI DualBeams, 54 deg for Zeiss Crossbeams.
 *   - An ion image looks along the face's depth axis (sin 0): the face is
 *     seen edge-on and the ion image shows the sample surface, so no
 *     cross-section stretch applies.  Using the stage tilt there (37 deg
 *     on the Helios PFIB example) would stretch y by 1/sin 37 = 1.66 for
 *     nothing.
 * Stage tilts below 10 deg mean a plain SEM view (no milled face):
 * nothing is stretched.  --tilt-deg (or tilt_deg) overrides all this. */
const char *fib__job_beam_word(fib_fmt_beam b)
{
    return b == FIB_BEAM_ION        ? "ion"
           : b == FIB_BEAM_ELECTRON ? "electron"
                                    : "unknown";
}

fib__tilt_choice fib__job_choose_tilt(const fib_fmt_recon_cfg *c,
                                      const fib_fmt_meta *m)
{
    fib__tilt_choice t = {0, ""};
    const double st = m->stage_tilt_deg;
    const bool fib_tilt = isfinite(st) && st >= 10 && st <= 90;
    if (c->tilt_given || c->tilt_deg > 0) {
        t.tilt_deg = c->tilt_deg;
        snprintf(t.why, sizeof t.why, "beam angle %g deg as given", t.tilt_deg);
    } else if (m->beam == FIB_BEAM_ION) {
        snprintf(t.why, sizeof t.why,
                 "ion-beam image (vendor metadata): the milled face contains "
                 "the ion-beam direction, so the 1/sin(angle) stretch of SEM "
                 "views does not apply; y not scaled (stage tilt %s not "
                 "used; --tilt-deg overrides)",
                 isfinite(st) ? "stated but" : "not stated and");
    } else if (fib_tilt && m->beam == FIB_BEAM_ELECTRON) {
        double a = m->beam_angle_deg;
        const char *src = "stated in the file";
        if (!(a >= 10 && a <= 90)) {
            a = m->vendor == FIB_VENDOR_THERMO_FEI ? 52.0
                : m->vendor == FIB_VENDOR_ZEISS    ? 54.0
                                                   : st;
            src = m->vendor == FIB_VENDOR_THERMO_FEI ? "Thermo/FEI DualBeam"
                  : m->vendor == FIB_VENDOR_ZEISS    ? "Zeiss Crossbeam"
                                                     : "the stage tilt";
        }
        t.tilt_deg = a;
        snprintf(t.why, sizeof t.why,
                 "electron image at stage tilt %.3g deg: beam angle %.3g deg "
                 "between the electron and ion columns (%s)",
                 st, a, src);
    } else if (fib_tilt) {
        t.tilt_deg = st;
        snprintf(t.why, sizeof t.why,
                 "imaging beam not stated: stage tilt %.3g deg taken as the "
                 "beam angle",
                 st);
    } else if (isfinite(st)) {
        snprintf(t.why, sizeof t.why,
                 "stage tilt %.3g deg (not a FIB cross-section tilt): y not "
                 "scaled; pass --tilt-deg for a milled face",
                 st);
    } else {
        snprintf(t.why, sizeof t.why,
                 "no tilt in the metadata: y not scaled; pass --tilt-deg "
                 "(52 Thermo/FEI, 54 Zeiss) for SEM images of a milled "
                 "face");
    }
    return t;
}

fib_status fib__job_make_correct(const fib_fmt_recon_cfg *c,
                                 fib_recon_correct **out, fib_error *err)
{
    *out = NULL;
    fib_recon_correct_params cp;
    memset(&cp, 0, sizeof cp);
    cp.destripe.method = fib__job_destripe_of(c);
    cp.background.method = (fib_recon_background_method)c->background;
    cp.normalize.enabled = c->normalize;
    cp.denoise.method = (fib_recon_denoise_method)c->denoise;
    fib_recon_correct *ctx = NULL;
    fib_status st = fib_recon_correct_create(&cp, &ctx, err);
    if (st)
        return st;
    if (!fib_recon_correct_any(ctx)) {
        fib_recon_correct_destroy(ctx);
        return FIB_OK;
    }
    *out = ctx;
    return FIB_OK;
}
