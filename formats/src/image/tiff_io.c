/*
 * tiff_io.c -- TIFF reading with libtiff, vendor metadata tags (pages:
 * tiff_page.c; writing: tiff_write.c).
 *
 * Errors and warnings of libtiff go through per-TIFF handlers installed
 * with TIFFOpenOptionsSetErrorHandlerExtR (libtiff >= 4.5): the first error
 * lands in a buffer owned by the call and becomes the fib_error message;
 * nothing is printed and no global handler is touched, so concurrent calls
 * on different files are safe.
 *
 * Read rules (formats/README.md): 1-bit, 8, 16, 32-bit unsigned, 8 and
 * 16-bit signed (shifted by +128 / +32768 into u8 / u16), 32-bit signed is
 * refused, 32 and 64-bit float (64-bit narrowed to f32).  RGB(A) and
 * palette pages become grey by BT.709 luma of the stored values; extra
 * samples (alpha) are dropped; MinIsWhite integer data are inverted.
 * Strips are read with TIFFReadEncodedStrip, tiles with
 * TIFFReadEncodedTile, so every compression libtiff decodes works.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <sys/types.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "fib/checked.h"
#include "fmt_internal.h"
#include "tiff_internal.h"
#include "tiff_out.h"

enum { TAG_FEI_SFEG = 34680, TAG_FEI_HELIOS = 34682, TAG_CZ_SEM = 34118 };

static const char *get_blob(TIFF *tif, uint32_t tag, size_t *n)
{
    const TIFFField *f = TIFFFindField(tif, tag, TIFF_ANY);
    if (!f)
        return NULL;
    void *data = NULL;
    if (TIFFFieldPassCount(f)) {
        if (TIFFFieldReadCount(f) == TIFF_VARIABLE2) {
            uint32_t c = 0;
            if (!TIFFGetField(tif, tag, &c, &data))
                return NULL;
            *n = c;
        } else {
            uint16_t c = 0;
            if (!TIFFGetField(tif, tag, &c, &data))
                return NULL;
            *n = c;
        }
    } else {
        if (TIFFFieldDataType(f) != TIFF_ASCII ||
            !TIFFGetField(tif, tag, &data) || !data)
            return NULL;
        *n = strlen(data);
    }
    const int ds = TIFFFieldSetGetSize(f);
    if (ds > 1)
        *n *= (size_t)ds;
    return data;
}

/* Vendor metadata of the current page into meta (and kv when non-NULL). */
static void page_meta(TIFF *tif, uint32_t height, fib__kv *kv,
                      fib_fmt_meta *meta, double *ij_unit_nm, size_t *ij_images)
{
    *ij_images = 0;
    size_t n = 0;
    const char *t = get_blob(tif, TAG_FEI_HELIOS, &n);
    if (!t)
        t = get_blob(tif, TAG_FEI_SFEG, &n);
    *ij_unit_nm = (double)NAN;
    if (t) {
        fib__fei_parse(t, n, height, kv, meta);
        return;
    }
    t = get_blob(tif, TAG_CZ_SEM, &n);
    if (t) {
        fib__zeiss_parse(t, n, kv, meta);
        meta->full_height = height;
        return;
    }
    char *desc = NULL;
    if (TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc) && desc &&
        strncmp(desc, "ImageJ=", 7) == 0) {
        fib__imagej_parse(desc, strlen(desc), kv, meta, ij_unit_nm, ij_images);
        float xr = 0.f, yr = 0.f;
        if (*ij_unit_nm > 0 && TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr) &&
            xr > 0.f) {
            meta->pixel_size_nm[0] = *ij_unit_nm / (double)xr;
            meta->pixel_size_nm[1] = meta->pixel_size_nm[0];
            if (TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr) && yr > 0.f)
                meta->pixel_size_nm[1] = *ij_unit_nm / (double)yr;
            snprintf(meta->source_key, sizeof meta->source_key, "XResolution");
        }
    }
    meta->full_height = height;
}

static fib_status open_read(const char *path, const fib_fmt_read_opts *opts,
                            fib__tiff_msgs *m, TIFF **out, fib_error *err)
{
    fib_status st = fib__stat_input(path, NULL, err);
    if (st != FIB_OK)
        return st;
    memset(m, 0, sizeof *m);
    *out = fib__tiff_open(path, "r", m, fib__max_bytes(opts));
    if (!*out)
        return fib_error_set(err, FIB_EFORMAT, "%s: cannot read tiff%s%s", path,
                             m->have ? ": " : "", m->msg);
    return FIB_OK;
}

static fib_status set_dir(TIFF *tif, const char *path, size_t page,
                          fib__tiff_msgs *m, fib_error *err)
{
    if (page > 65535 || !TIFFSetDirectory(tif, (tdir_t)page))
        return fib_error_set(err, FIB_EFORMAT, "%s: cannot read page %zu%s%s",
                             path, page, m->have ? ": " : "", m->msg);
    return FIB_OK;
}

/*
 * ImageJ writes stacks over 4 GiB with one IFD and the slices stored one
 * after the other ("images=N" in the description).  Such a file is read
 * when its first page is uncompressed single-sample grey in consecutive
 * strips; *offset_out gets where slice 0 starts.
 */
static bool imagej_contiguous(TIFF *tif, const fib__tiff_page *d,
                              uint64_t *offset_out)
{
    if (d->tiled || d->comp != COMPRESSION_NONE || d->conv != CV_GREY ||
        d->spp != 1 || d->bps % 8 != 0 ||
        (size_t)d->bps / 8 != fib_pixel_size_bytes(d->out))
        return false;
    uint64_t *off = NULL, *cnt = NULL;
    if (!TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &off) ||
        !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &cnt) || !off || !cnt)
        return false;
    const uint32_t ns = TIFFNumberOfStrips(tif);
    uint64_t next = off[0];
    for (uint32_t i = 0; i < ns; i++) {
        if (off[i] != next)
            return false;
        next += cnt[i];
    }
    *offset_out = off[0];
    return true;
}

/* Slices [z0, z0 + n) of a contiguous ImageJ stack into @p v. */
static fib_status read_contiguous(TIFF *tif, const char *path,
                                  const fib__tiff_page *d, uint64_t offset,
                                  size_t total, size_t z0, size_t n,
                                  fib_volume *v, fib_error *err)
{
    const size_t es = fib_pixel_size_bytes(d->out);
    const size_t slice = (size_t)d->w * d->h * es;
    long long fsize = 0;
    fib_status st = fib__stat_input(path, &fsize, err);
    if (st != FIB_OK)
        return st;
    if ((unsigned long long)fsize < offset + (unsigned long long)total * slice)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: truncated imagej stack: %lld bytes, %zu "
                             "images need %llu",
                             path, fsize, total,
                             (unsigned long long)(offset + total * slice));
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fib_error_set(err, FIB_EIO, "%s: cannot open", path);
    if (fseeko(fp, (off_t)(offset + (uint64_t)z0 * slice), SEEK_SET) != 0 ||
        fread(v->data, 1, slice * n, fp) != slice * n) {
        fclose(fp);
        return fib_error_set(err, FIB_EFORMAT, "%s: truncated imagej stack",
                             path);
    }
    fclose(fp);
    unsigned char *p = v->data;
    if (TIFFIsByteSwapped(tif) && es > 1)
        for (size_t i = 0; i < slice * n; i += es)
            for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                const unsigned char t = p[i + a];
                p[i + a] = p[i + b];
                p[i + b] = t;
            }
    const size_t row = (size_t)d->w * es;
    for (size_t r = 0; r < (size_t)d->h * n; r++) /* in place, same size */
        fib__tiff_convert_row(d, p + r * row, d->w, p + r * row);
    return FIB_OK;
}

/* Advance to the next page (TIFFReadDirectory: linear, where
 * TIFFSetDirectory would walk the chain from the start each time). */
static fib_status next_dir(TIFF *tif, const char *path, size_t page,
                           fib__tiff_msgs *m, fib_error *err)
{
    if (!TIFFReadDirectory(tif))
        return fib_error_set(err, FIB_EFORMAT, "%s: cannot read page %zu%s%s",
                             path, page, m->have ? ": " : "", m->msg);
    return FIB_OK;
}

/* Page 0's description and metadata into @p d0 / @p meta, and the page
 * count: an uncompressed ImageJ stack is *contig (its slices from
 * *contig_off on), else the IFD chain is counted. */
static fib_status count_pages(TIFF *tif, const char *path, fib__tiff_msgs *m,
                              fib_fmt_meta *meta, fib__tiff_page *d0,
                              bool *contig, uint64_t *contig_off, size_t *total,
                              double *ij_unit, size_t *ij_images,
                              fib_error *err)
{
    /* An uncompressed ImageJ stack ("images=N", slices back to back, as
     * ImageJ and tiff_ij_out.c write it) is read like ImageJ reads it:
     * from the first strip on, without walking N IFDs.  Contiguity is
     * checked on IFD 1 when there is one. */
    fib_error e0 = {0}; /* page 0 matters here only if it is ImageJ's */
    if (fib__tiff_describe(tif, path, 0, d0, &e0) == FIB_OK)
        page_meta(tif, d0->h, NULL, meta, ij_unit, ij_images);
    if (e0.code == FIB_OK && meta->vendor == FIB_VENDOR_IMAGEJ &&
        *ij_images > 1 && *ij_images <= FIB_MAX_EXTENT &&
        imagej_contiguous(tif, d0, contig_off)) {
        const uint64_t slice =
            (uint64_t)d0->w * d0->h * fib_pixel_size_bytes(d0->out);
        uint64_t *o1 = NULL;
        if (!TIFFReadDirectory(tif))
            *contig = !m->have; /* one IFD (a broken link is an error) */
        else
            *contig = TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &o1) && o1 &&
                      o1[0] == *contig_off + slice;
        if (*contig)
            *total = *ij_images;
    }
    if (!*contig) {
        const size_t ndir = TIFFNumberOfDirectories(tif);
        if (m->have) { /* the page chain points past the end of the file */
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: truncated or corrupt page chain after "
                                 "page %zu: %s",
                                 path, ndir, m->msg);
        }
        *total = ndir;
    }
    return FIB_OK;
}

/* Pages page0 .. page0 + n_read - 1 (the first one current, described in
 * @p d0) into @p v, walking the IFD chain; every page must match page 0. */
static fib_status read_pages(TIFF *tif, const char *path, fib__tiff_msgs *m,
                             const fib__tiff_page *d0, size_t page0,
                             size_t n_read, fib_volume *v, size_t maxb,
                             fib__tiff_buf *db, fib_error *err)
{
    fib_status st;
    for (size_t p = 0; p < n_read; p++) {
        fib__tiff_page d;
        if (p > 0) {
            if ((st = next_dir(tif, path, page0 + p, m, err)) != FIB_OK ||
                (st = fib__tiff_describe(tif, path, page0 + p, &d, err)) !=
                    FIB_OK)
                return st;
            if (d.w != d0->w || d.h != d0->h || d.out != d0->out) {
                st = fib_error_set(err, FIB_EFORMAT,
                                   "%s: page %zu is %ux%u %s, page %zu "
                                   "is %ux%u %s",
                                   path, page0 + p, (unsigned)d.w,
                                   (unsigned)d.h, fib_pixel_type_name(d.out),
                                   page0, (unsigned)d0->w, (unsigned)d0->h,
                                   fib_pixel_type_name(d0->out));
                return st;
            }
        } else {
            d = *d0;
        }
        /* the decode buffer is charged with the volume: what is left
         * of the limit once the volume is allocated */
        const size_t vbytes = v->stride_z * n_read;
        if ((st = fib__tiff_read_page(
                 tif, path, page0 + p, &d, m, (char *)v->data + p * v->stride_z,
                 maxb > vbytes ? maxb - vbytes : 0, db, err)) != FIB_OK)
            return st;
    }
    return FIB_OK;
}

/* Read pages into vol (or only describe them when vol is NULL). */
static fib_status tiff_read_impl(const char *path,
                                 const fib_fmt_read_opts *opts, size_t page0,
                                 size_t npages, fib_volume *vol,
                                 fib_fmt_meta *meta, fib_fmt_info *info,
                                 fib_error *err)
{
    fib__tiff_msgs m;
    TIFF *tif = NULL;
    fib_status st = open_read(path, opts, &m, &tif, err);
    if (st != FIB_OK)
        return st;
    const size_t maxb = fib__max_bytes(opts);
    fib__tiff_buf db = {NULL, 0};
    fib__tiff_page d0;
    double ij_unit = (double)NAN;
    size_t ij_images = 0, total = 0;
    uint64_t contig_off = 0;
    bool contig = false;
    st = count_pages(tif, path, &m, meta, &d0, &contig, &contig_off, &total,
                     &ij_unit, &ij_images, err);
    if (st != FIB_OK)
        goto fail;
    if (page0 >= total) {
        st = fib_error_set(err, FIB_ERANGE,
                           "%s: page %zu requested, the file has %zu", path,
                           page0, total);
        goto fail;
    }
    if (npages == 0)
        npages = total - page0;
    if (!contig) {
        fib_fmt_meta_init(meta);
        if ((st = set_dir(tif, path, page0, &m, err)) != FIB_OK ||
            (st = fib__tiff_describe(tif, path, page0, &d0, err)) != FIB_OK)
            goto fail;
        page_meta(tif, d0.h, NULL, meta, &ij_unit, &ij_images);
    }
    if ((st = fib__check_dims(path, d0.w, d0.h, (long long)npages,
                              fib_pixel_size_bytes(d0.out), maxb, NULL, err)) !=
        FIB_OK)
        goto fail;
    if (info) {
        info->type = d0.out;
        info->nx = d0.w;
        info->ny = d0.h;
        info->nz = npages;
        info->tiled = d0.tiled;
        snprintf(info->compression, sizeof info->compression, "%s",
                 fib__tiff_comp_name(d0.comp));
    }
    if (!vol && !(meta->vendor == FIB_VENDOR_ZEISS))
        goto done;
    {
        fib_volume local;
        fib_volume *v = vol ? vol : &local;
        const size_t n_read = vol ? npages : 1;
        if ((st = fib_volume_init(v, d0.out, d0.w, d0.h, n_read, err)) !=
            FIB_OK)
            goto fail;
        if (contig) {
            if ((st = read_contiguous(tif, path, &d0, contig_off, total, page0,
                                      n_read, v, err)) != FIB_OK)
                goto fail_v;
            goto read_done;
        }
        if ((st = read_pages(tif, path, &m, &d0, page0, n_read, v, maxb, &db,
                             err)) != FIB_OK)
            goto fail_v;
    read_done:
        if (m.have) { /* a decoder complained but returned data */
            st = fib_error_set(err, FIB_EFORMAT, "%s: corrupt pixel data: %s",
                               path, m.msg);
            goto fail_v;
        }
        if (meta->vendor == FIB_VENDOR_ZEISS) {
            const fib_image s0 = fib_volume_slice(v, 0);
            meta->databar_rows = fib__zeiss_databar_rows(&s0);
        }
        if (!vol)
            fib_volume_clear(&local);
        goto done;
    fail_v:
        fib_volume_clear(v);
        goto fail;
    }
done:
    if (info)
        info->meta = *meta;
    free(db.p);
    TIFFClose(tif);
    return FIB_OK;
fail:
    free(db.p);
    TIFFClose(tif);
    return st;
}

fib_status fib__tiff_probe(const char *path, const fib_fmt_read_opts *opts,
                           fib_fmt_info *info, fib_error *err)
{
    fib_fmt_meta meta;
    fib_fmt_meta_init(&meta);
    return tiff_read_impl(path, opts, 0, 0, NULL, &meta, info, err);
}

fib_status fib__tiff_read(const char *path, const fib_fmt_read_opts *opts,
                          size_t page0, size_t npages, fib_volume *vol,
                          fib_fmt_meta *meta, fib_error *err)
{
    return tiff_read_impl(path, opts, page0, npages, vol, meta, NULL, err);
}

fib_status fib__tiff_vendor_pairs(const char *path, fib__kv *kv, fib_error *err)
{
    fib__tiff_msgs m;
    TIFF *tif = NULL;
    fib_status st = open_read(path, NULL, &m, &tif, err);
    if (st != FIB_OK)
        return st;
    uint32_t h = 0;
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    fib_fmt_meta meta;
    fib_fmt_meta_init(&meta);
    double u;
    size_t images;
    page_meta(tif, h, kv, &meta, &u, &images);
    TIFFClose(tif);
    return FIB_OK;
}
