/*
 * tiff_io.c -- TIFF read/write with libtiff, vendor metadata tags.
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
#include "tiff_out.h"

enum { TAG_FEI_SFEG = 34680, TAG_FEI_HELIOS = 34682, TAG_CZ_SEM = 34118 };

typedef struct tiff_msgs {
    char msg[200];
    bool have;
} tiff_msgs;

static int on_error(TIFF *tif, void *ud, const char *module, const char *fmt,
                    va_list ap)
{
    (void)tif;
    (void)module;
    tiff_msgs *m = ud;
    if (m && !m->have) {
        (void)vsnprintf(m->msg, sizeof m->msg, fmt, ap);
        for (char *p = m->msg; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        m->have = true;
    }
    return 1; /* handled: do not call the global handler */
}

static int on_warning(TIFF *tif, void *ud, const char *module, const char *fmt,
                      va_list ap)
{
    (void)tif;
    (void)ud;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static TIFF *open_tiff(const char *path, const char *mode, tiff_msgs *m,
                       size_t max_alloc)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, m);
    if (max_alloc > 0) {
        const size_t cap =
            max_alloc > (size_t)1 << 40 ? (size_t)1 << 40 : max_alloc;
        TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)cap);
    }
    TIFF *tif = TIFFOpenExt(path, mode, o);
    TIFFOpenOptionsFree(o);
    return tif;
}

/* --- page description --------------------------------------------------- */

enum conv { CV_GREY, CV_RGB, CV_PALETTE, CV_BILEVEL };

typedef struct page_desc {
    uint32_t w, h;
    uint16_t bps, spp, fmt, photo, planar, comp;
    bool tiled;
    uint32_t rps, tw, th;
    uint16_t *cmap[3];
    enum conv conv;
    int samples_in_buf; /* samples per pixel in a decoded row */
    fib_pixel_type out;
    bool invert;
} page_desc;

static const char *comp_name(uint16_t c)
{
    switch (c) {
    case COMPRESSION_NONE:
        return "none";
    case COMPRESSION_LZW:
        return "lzw";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE:
        return "deflate";
    case COMPRESSION_PACKBITS:
        return "packbits";
    case COMPRESSION_JPEG:
    case COMPRESSION_OJPEG:
        return "jpeg";
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4:
        return "ccitt";
    case COMPRESSION_LZMA:
        return "lzma";
    case COMPRESSION_ZSTD:
        return "zstd";
    case COMPRESSION_WEBP:
        return "webp";
    default:
        return "other";
    }
}

static fib_status describe(TIFF *tif, const char *path, size_t page,
                           page_desc *d, fib_error *err)
{
    memset(d, 0, sizeof *d);
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &d->w) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &d->h))
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: page %zu has no image width/length", path,
                             page);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &d->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &d->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &d->fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &d->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &d->comp);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &d->photo))
        d->photo = d->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    d->tiled = TIFFIsTiled(tif) != 0;
    if (d->tiled) {
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &d->tw);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &d->th);
        if (d->tw == 0 || d->th == 0)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: page %zu: zero tile size", path, page);
    } else {
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &d->rps);
        if (d->rps == 0 || d->rps > d->h)
            d->rps = d->h;
    }
    if (d->spp == 0)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: page %zu: samples per pixel is 0", path,
                             page);
    if (d->photo == PHOTOMETRIC_YCBCR && d->comp == COMPRESSION_JPEG) {
        TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        d->photo = PHOTOMETRIC_RGB;
    }
    const uint16_t f = d->fmt;
    const uint16_t b = d->bps;
    if (d->photo == PHOTOMETRIC_PALETTE) {
        if (d->spp != 1 || (b != 8 && b != 16))
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: palette page with %u samples of %u bits "
                                 "is not supported",
                                 path, d->spp, b);
        if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &d->cmap[0], &d->cmap[1],
                          &d->cmap[2]))
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: palette page without a colour map", path);
        d->conv = CV_PALETTE;
        d->out = b == 16 ? FIB_PX_U16 : FIB_PX_U8;
    } else if (d->photo == PHOTOMETRIC_RGB) {
        if (d->spp < 3 || d->planar != PLANARCONFIG_CONTIG)
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: rgb page with %u samples (planar %u) is "
                                 "not supported",
                                 path, d->spp, d->planar);
        d->conv = CV_RGB;
        if (b == 8 && f == SAMPLEFORMAT_UINT)
            d->out = FIB_PX_U8;
        else if (b == 16 && f == SAMPLEFORMAT_UINT)
            d->out = FIB_PX_U16;
        else if (b == 32 && f == SAMPLEFORMAT_IEEEFP)
            d->out = FIB_PX_F32;
        else
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: rgb with %u-bit samples (format %u) is "
                                 "not supported",
                                 path, b, f);
    } else if (d->photo == PHOTOMETRIC_MINISBLACK ||
               d->photo == PHOTOMETRIC_MINISWHITE) {
        d->conv = CV_GREY;
        d->invert = d->photo == PHOTOMETRIC_MINISWHITE;
        if (b == 1 && d->spp == 1) {
            d->conv = CV_BILEVEL;
            d->out = FIB_PX_U8;
        } else if (b == 8 && (f == SAMPLEFORMAT_UINT || f == SAMPLEFORMAT_INT))
            d->out = FIB_PX_U8;
        else if (b == 16 && (f == SAMPLEFORMAT_UINT || f == SAMPLEFORMAT_INT))
            d->out = FIB_PX_U16;
        else if (b == 32 && f == SAMPLEFORMAT_UINT)
            d->out = FIB_PX_U32;
        else if ((b == 32 || b == 64) && f == SAMPLEFORMAT_IEEEFP)
            d->out = FIB_PX_F32;
        else if (b == 32 && f == SAMPLEFORMAT_INT)
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: signed 32-bit samples are not supported "
                                 "(convert to float or unsigned)",
                                 path);
        else
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: %u-bit samples (format %u) are not "
                                 "supported",
                                 path, b, f);
    } else {
        return fib_error_set(err, FIB_EUNSUPPORTED,
                             "%s: photometric interpretation %u is not "
                             "supported",
                             path, d->photo);
    }
    d->samples_in_buf = d->planar == PLANARCONFIG_SEPARATE ? 1 : (int)d->spp;
    return FIB_OK;
}

/* Convert @p n pixels of one decoded row into @p dst (type d->out). */
static void convert_row(const page_desc *d, const unsigned char *src, size_t n,
                        void *dst)
{
    const int sp = d->samples_in_buf;
    switch (d->conv) {
    case CV_BILEVEL: {
        unsigned char *o = dst;
        for (size_t x = 0; x < n; x++) {
            const int bit = (src[x >> 3] >> (7 - (x & 7))) & 1;
            o[x] = (unsigned char)((bit ^ (d->invert ? 1 : 0)) ? 255 : 0);
        }
        return;
    }
    case CV_PALETTE:
        for (size_t x = 0; x < n; x++) {
            const size_t i = d->bps == 16
                                 ? ((const uint16_t *)(const void *)src)[x]
                                 : src[x];
            if (d->bps == 8 && i > 255)
                continue;
            const double y = 0.2126 * d->cmap[0][i] + 0.7152 * d->cmap[1][i] +
                             0.0722 * d->cmap[2][i];
            if (d->out == FIB_PX_U8)
                ((unsigned char *)dst)[x] =
                    (unsigned char)fmin(255.0, floor(y / 257.0 + 0.5));
            else
                ((uint16_t *)dst)[x] = (uint16_t)fmin(65535.0, floor(y + 0.5));
        }
        return;
    case CV_RGB:
        for (size_t x = 0; x < n; x++) {
            const size_t k = x * (size_t)sp;
            double r, g, b;
            if (d->out == FIB_PX_U8) {
                r = src[k], g = src[k + 1], b = src[k + 2];
            } else if (d->out == FIB_PX_U16) {
                const uint16_t *s = (const uint16_t *)(const void *)src;
                r = s[k], g = s[k + 1], b = s[k + 2];
            } else {
                const float *s = (const float *)(const void *)src;
                r = (double)s[k], g = (double)s[k + 1], b = (double)s[k + 2];
            }
            const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            if (d->out == FIB_PX_U8)
                ((unsigned char *)dst)[x] =
                    (unsigned char)fmin(255.0, floor(y + 0.5));
            else if (d->out == FIB_PX_U16)
                ((uint16_t *)dst)[x] = (uint16_t)fmin(65535.0, floor(y + 0.5));
            else
                ((float *)dst)[x] = (float)y;
        }
        return;
    case CV_GREY:
        break;
    }
    const bool sgn = d->fmt == SAMPLEFORMAT_INT;
    switch (d->out) {
    case FIB_PX_U8: {
        unsigned char *o = dst;
        for (size_t x = 0; x < n; x++) {
            unsigned v = src[x * (size_t)sp];
            if (sgn)
                v = (unsigned)((int)(int8_t)v + 128);
            o[x] = (unsigned char)(d->invert ? 255u - v : v);
        }
        return;
    }
    case FIB_PX_U16: {
        const uint16_t *s = (const uint16_t *)(const void *)src;
        uint16_t *o = dst;
        for (size_t x = 0; x < n; x++) {
            unsigned v = s[x * (size_t)sp];
            if (sgn)
                v = (unsigned)((int)(int16_t)v + 32768);
            o[x] = (uint16_t)(d->invert ? 65535u - v : v);
        }
        return;
    }
    case FIB_PX_U32: {
        const uint32_t *s = (const uint32_t *)(const void *)src;
        uint32_t *o = dst;
        for (size_t x = 0; x < n; x++)
            o[x] =
                d->invert ? UINT32_MAX - s[x * (size_t)sp] : s[x * (size_t)sp];
        return;
    }
    case FIB_PX_F32: {
        float *o = dst;
        if (d->bps == 64) {
            const double *s = (const double *)(const void *)src;
            for (size_t x = 0; x < n; x++)
                o[x] = (float)s[x * (size_t)sp];
        } else {
            const float *s = (const float *)(const void *)src;
            for (size_t x = 0; x < n; x++)
                o[x] = s[x * (size_t)sp];
        }
        return;
    }
    default:
        return;
    }
}

/* A decode buffer reused across pages (grown when a page needs more). */
typedef struct decode_buf {
    unsigned char *p;
    size_t cap;
} decode_buf;

static unsigned char *buf_reserve(decode_buf *b, size_t n)
{
    if (n > b->cap) {
        unsigned char *q = realloc(b->p, n);
        if (!q)
            return NULL;
        b->p = q;
        b->cap = n;
    }
    return b->p;
}

/* Decode the current page into @p dst (packed rows of d->out) through one
 * strip or tile buffer of at most @p max_bytes (what the byte limit leaves
 * once the output volume is allocated). */
static fib_status read_page(TIFF *tif, const char *path, size_t page,
                            const page_desc *d, tiff_msgs *m, void *dst,
                            size_t max_bytes, decode_buf *db, fib_error *err)
{
    const size_t es = fib_pixel_size_bytes(d->out);
    const size_t row_out = (size_t)d->w * es;
    fib_status st = FIB_OK;
    unsigned char *buf = NULL;
    if (!d->tiled) {
        const tmsize_t ssz = TIFFStripSize(tif);
        const tmsize_t sl = TIFFScanlineSize(tif);
        if (ssz <= 0 || sl <= 0)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: page %zu: bad strip size%s%s", path, page,
                                 m->have ? ": " : "", m->msg);
        if ((size_t)ssz > max_bytes)
            return fib_error_set(err, FIB_ERANGE,
                                 "%s: page %zu: a %u x %u image with a "
                                 "strip of %lld bytes to decode exceeds the "
                                 "limit (%zu bytes left of it after the "
                                 "image)",
                                 path, page, (unsigned)d->w, (unsigned)d->h,
                                 (long long)ssz, max_bytes);
        buf = buf_reserve(db, (size_t)ssz);
        if (!buf)
            return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
        for (uint32_t y0 = 0; y0 < d->h; y0 += d->rps) {
            const uint32_t rows = d->h - y0 < d->rps ? d->h - y0 : d->rps;
            const uint32_t s = TIFFComputeStrip(tif, y0, 0);
            const tmsize_t got = TIFFReadEncodedStrip(tif, s, buf, ssz);
            if (got < 0 || got < (tmsize_t)rows * sl) {
                st = fib_error_set(err, FIB_EFORMAT,
                                   "%s: page %zu: truncated or corrupt strip "
                                   "%u%s%s",
                                   path, page, (unsigned)s, m->have ? ": " : "",
                                   m->msg);
                goto done;
            }
            for (uint32_t r = 0; r < rows; r++)
                convert_row(d, buf + (size_t)r * (size_t)sl, d->w,
                            (char *)dst + (size_t)(y0 + r) * row_out);
        }
    } else {
        const tmsize_t tsz = TIFFTileSize(tif);
        const tmsize_t trow = TIFFTileRowSize(tif);
        if (tsz <= 0 || trow <= 0)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: page %zu: bad tile size%s%s", path, page,
                                 m->have ? ": " : "", m->msg);
        if ((size_t)tsz > max_bytes)
            return fib_error_set(err, FIB_ERANGE,
                                 "%s: page %zu: a %u x %u image with a "
                                 "tile of %lld bytes to decode exceeds the "
                                 "limit (%zu bytes left of it after the "
                                 "image)",
                                 path, page, (unsigned)d->w, (unsigned)d->h,
                                 (long long)tsz, max_bytes);
        buf = buf_reserve(db, (size_t)tsz);
        if (!buf)
            return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
        for (uint32_t ty = 0; ty < d->h; ty += d->th) {
            for (uint32_t tx = 0; tx < d->w; tx += d->tw) {
                const uint32_t t = TIFFComputeTile(tif, tx, ty, 0, 0);
                const tmsize_t got = TIFFReadEncodedTile(tif, t, buf, tsz);
                if (got < 0) {
                    st = fib_error_set(err, FIB_EFORMAT,
                                       "%s: page %zu: truncated or corrupt "
                                       "tile %u%s%s",
                                       path, page, (unsigned)t,
                                       m->have ? ": " : "", m->msg);
                    goto done;
                }
                const uint32_t rows = d->h - ty < d->th ? d->h - ty : d->th;
                const uint32_t cols = d->w - tx < d->tw ? d->w - tx : d->tw;
                for (uint32_t r = 0; r < rows; r++)
                    convert_row(d, buf + (size_t)r * (size_t)trow, cols,
                                (char *)dst + (size_t)(ty + r) * row_out +
                                    (size_t)tx * es);
            }
        }
    }
done:
    return st;
}

/* Raw bytes of a private tag (ASCII or BYTE/UNDEFINED), or NULL. */
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
                            tiff_msgs *m, TIFF **out, fib_error *err)
{
    fib_status st = fib__stat_input(path, NULL, err);
    if (st != FIB_OK)
        return st;
    memset(m, 0, sizeof *m);
    *out = open_tiff(path, "r", m, fib__max_bytes(opts));
    if (!*out)
        return fib_error_set(err, FIB_EFORMAT, "%s: cannot read tiff%s%s", path,
                             m->have ? ": " : "", m->msg);
    return FIB_OK;
}

static fib_status set_dir(TIFF *tif, const char *path, size_t page,
                          tiff_msgs *m, fib_error *err)
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
static bool imagej_contiguous(TIFF *tif, const page_desc *d,
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
                                  const page_desc *d, uint64_t offset,
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
        convert_row(d, p + r * row, d->w, p + r * row);
    return FIB_OK;
}

/* Advance to the next page (TIFFReadDirectory: linear, where
 * TIFFSetDirectory would walk the chain from the start each time). */
static fib_status next_dir(TIFF *tif, const char *path, size_t page,
                           tiff_msgs *m, fib_error *err)
{
    if (!TIFFReadDirectory(tif))
        return fib_error_set(err, FIB_EFORMAT, "%s: cannot read page %zu%s%s",
                             path, page, m->have ? ": " : "", m->msg);
    return FIB_OK;
}

/* Read pages into vol (or only describe them when vol is NULL). */
static fib_status tiff_read_impl(const char *path,
                                 const fib_fmt_read_opts *opts, size_t page0,
                                 size_t npages, fib_volume *vol,
                                 fib_fmt_meta *meta, fib_fmt_info *info,
                                 fib_error *err)
{
    tiff_msgs m;
    TIFF *tif = NULL;
    fib_status st = open_read(path, opts, &m, &tif, err);
    if (st != FIB_OK)
        return st;
    const size_t maxb = fib__max_bytes(opts);
    decode_buf db = {NULL, 0};
    page_desc d0;
    double ij_unit = (double)NAN;
    size_t ij_images = 0, total = 0;
    uint64_t contig_off = 0;
    bool contig = false;
    /* An uncompressed ImageJ stack ("images=N", slices back to back, as
     * ImageJ and tiff_ij_out.c write it) is read like ImageJ reads it:
     * from the first strip on, without walking N IFDs.  Contiguity is
     * checked on IFD 1 when there is one. */
    fib_error e0 = {0}; /* page 0 matters here only if it is ImageJ's */
    if (describe(tif, path, 0, &d0, &e0) == FIB_OK)
        page_meta(tif, d0.h, NULL, meta, &ij_unit, &ij_images);
    if (e0.code == FIB_OK && meta->vendor == FIB_VENDOR_IMAGEJ &&
        ij_images > 1 && ij_images <= FIB_MAX_EXTENT &&
        imagej_contiguous(tif, &d0, &contig_off)) {
        const uint64_t slice =
            (uint64_t)d0.w * d0.h * fib_pixel_size_bytes(d0.out);
        uint64_t *o1 = NULL;
        if (!TIFFReadDirectory(tif))
            contig = !m.have; /* one IFD (a broken link is an error) */
        else
            contig = TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &o1) && o1 &&
                     o1[0] == contig_off + slice;
        if (contig)
            total = ij_images;
    }
    if (!contig) {
        const size_t ndir = TIFFNumberOfDirectories(tif);
        if (m.have) { /* the page chain points past the end of the file */
            st = fib_error_set(err, FIB_EFORMAT,
                               "%s: truncated or corrupt page chain after "
                               "page %zu: %s",
                               path, ndir, m.msg);
            goto fail;
        }
        total = ndir;
    }
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
            (st = describe(tif, path, page0, &d0, err)) != FIB_OK)
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
                 comp_name(d0.comp));
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
        for (size_t p = 0; p < n_read; p++) {
            page_desc d;
            if (p > 0) {
                if ((st = next_dir(tif, path, page0 + p, &m, err)) != FIB_OK ||
                    (st = describe(tif, path, page0 + p, &d, err)) != FIB_OK)
                    goto fail_v;
                if (d.w != d0.w || d.h != d0.h || d.out != d0.out) {
                    st = fib_error_set(
                        err, FIB_EFORMAT,
                        "%s: page %zu is %ux%u %s, page %zu "
                        "is %ux%u %s",
                        path, page0 + p, (unsigned)d.w, (unsigned)d.h,
                        fib_pixel_type_name(d.out), page0, (unsigned)d0.w,
                        (unsigned)d0.h, fib_pixel_type_name(d0.out));
                    goto fail_v;
                }
            } else {
                d = d0;
            }
            /* the decode buffer is charged with the volume: what is left
             * of the limit once the volume is allocated */
            const size_t vbytes = v->stride_z * n_read;
            if ((st = read_page(tif, path, page0 + p, &d, &m,
                                (char *)v->data + p * v->stride_z,
                                maxb > vbytes ? maxb - vbytes : 0, &db, err)) !=
                FIB_OK)
                goto fail_v;
        }
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
    tiff_msgs m;
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

/* --- writing ------------------------------------------------------------ */

struct fib__tiff_out {
    TIFF *tif;
    tiff_msgs m;
    const char *name; /* final name, for messages */
    unsigned char *strip;
    size_t strip_cap;
};

fib_status fib__tiff_out_open(const char *tmp, const char *name,
                              size_t total_bytes, fib__tiff_out **out,
                              fib_error *err)
{
    fib__tiff_out *o = calloc(1, sizeof *o);
    if (!o)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", name);
    o->name = name;
    /* Classic TIFF offsets are 32-bit: use BigTIFF near 4 GiB. */
    const bool big = total_bytes > ((size_t)3 << 30) + ((size_t)1 << 29);
    o->tif = open_tiff(tmp, big ? "w8" : "w", &o->m, 0);
    if (!o->tif) {
        fib_status st = fib_error_set(err, FIB_EIO, "%s: cannot create%s%s",
                                      name, o->m.have ? ": " : "", o->m.msg);
        free(o);
        return st;
    }
    *out = o;
    return FIB_OK;
}

fib_status fib__tiff_out_page(fib__tiff_out *o, const fib_image *img,
                              size_t index, size_t npages,
                              const double voxel_nm[3], int compression,
                              fib_error *err)
{
    TIFF *tif = o->tif;
    const size_t es = fib_pixel_size_bytes(img->type);
    const size_t row = img->width * es;
    uint32_t rps = (uint32_t)((256u * 1024u) / (row ? row : 1));
    if (rps < 1)
        rps = 1;
    if (rps > img->height)
        rps = (uint32_t)img->height;
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)(es * 8));
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)1);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                 img->type == FIB_PX_F32 ? SAMPLEFORMAT_IEEEFP
                                         : SAMPLEFORMAT_UINT);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
    const uint16_t comp = compression == 1   ? COMPRESSION_ADOBE_DEFLATE
                          : compression == 2 ? COMPRESSION_LZW
                                             : COMPRESSION_NONE;
    TIFFSetField(tif, TIFFTAG_COMPRESSION, comp);
    /* ImageJ undoes the horizontal predictor for LZW; keep deflate plain */
    if (comp == COMPRESSION_LZW && img->type != FIB_PX_F32)
        TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    const bool cal = voxel_nm[0] > 0 && voxel_nm[1] > 0;
    if (cal) {
        /* ImageJ: resolution in pixels per unit; unit (micron) in the
         * description, ResolutionUnit NONE as ImageJ writes it. */
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, 1e3 / voxel_nm[0]);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, 1e3 / voxel_nm[1]);
        TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE);
    }
    if (index == 0) {
        char desc[256];
        int w = snprintf(desc, sizeof desc, "ImageJ=1.53t\n");
        /* "images=N" would make ImageJ read N contiguous uncompressed
         * slices; for compressed pages it must walk the IFDs, so only
         * "slices" is given here (tiff_ij_out.c writes uncompressed). */
        if (npages > 1)
            w += snprintf(desc + w, sizeof desc - (size_t)w, "slices=%zu\n",
                          npages);
        if (cal)
            w += snprintf(desc + w, sizeof desc - (size_t)w, "unit=micron\n");
        if (cal && npages > 1 && voxel_nm[2] > 0)
            w += snprintf(desc + w, sizeof desc - (size_t)w, "spacing=%.9g\n",
                          voxel_nm[2] / 1e3);
        if (npages > 1)
            (void)snprintf(desc + w, sizeof desc - (size_t)w, "loop=false\n");
        TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, desc);
    }
    if (npages > 1) {
        TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)index,
                     (uint16_t)(npages > 65535 ? 65535 : npages));
    }
    const size_t need = row * rps;
    if (need > o->strip_cap) {
        unsigned char *s = realloc(o->strip, need);
        if (!s)
            return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", o->name);
        o->strip = s;
        o->strip_cap = need;
    }
    for (uint32_t y0 = 0, s = 0; y0 < img->height; y0 += rps, s++) {
        const uint32_t rows =
            (uint32_t)(img->height - y0 < rps ? img->height - y0 : rps);
        for (uint32_t r = 0; r < rows; r++)
            memcpy(o->strip + (size_t)r * row, fib_image_row(img, y0 + r), row);
        if (TIFFWriteEncodedStrip(tif, s, o->strip, (tmsize_t)(rows * row)) < 0)
            return fib_error_set(err, FIB_EIO, "%s: tiff write failed%s%s",
                                 o->name, o->m.have ? ": " : "", o->m.msg);
    }
    if (!TIFFWriteDirectory(tif))
        return fib_error_set(err, FIB_EIO, "%s: tiff write failed%s%s", o->name,
                             o->m.have ? ": " : "", o->m.msg);
    return FIB_OK;
}

fib_status fib__tiff_out_close(fib__tiff_out *o, fib_error *err)
{
    fib_status st = FIB_OK;
    if (!o)
        return FIB_OK;
    if (o->tif) {
        TIFFFlush(o->tif);
        TIFFClose(o->tif);
    }
    if (o->m.have)
        st = fib_error_set(err, FIB_EIO, "%s: tiff write failed: %s", o->name,
                           o->m.msg);
    free(o->strip);
    free(o);
    return st;
}
