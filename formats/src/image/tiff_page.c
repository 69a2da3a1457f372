/*
 * tiff_page.c -- TIFF pages with libtiff: opening with per-TIFF message
 * handlers, the page description, and decoding a page into packed rows
 * (tiff_internal.h; the rules: tiff_io.c).
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

static int on_error(TIFF *tif, void *ud, const char *module, const char *fmt,
                    va_list ap)
{
    (void)tif;
    (void)module;
    fib__tiff_msgs *m = ud;
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

TIFF *fib__tiff_open(const char *path, const char *mode, fib__tiff_msgs *m,
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

const char *fib__tiff_comp_name(uint16_t c)
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

fib_status fib__tiff_describe(TIFF *tif, const char *path, size_t page,
                              fib__tiff_page *d, fib_error *err)
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
void fib__tiff_convert_row(const fib__tiff_page *d, const unsigned char *src,
                           size_t n, void *dst)
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

static unsigned char *buf_reserve(fib__tiff_buf *b, size_t n)
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

/* The decode buffer for one strip or tile (@p what) of @p sz bytes:
 * FIB_EFORMAT when libtiff reports a @p bad size, FIB_ERANGE over
 * @p max_bytes. */
static fib_status unit_buffer(const char *path, size_t page,
                              const fib__tiff_page *d, const fib__tiff_msgs *m,
                              const char *what, tmsize_t sz, bool bad,
                              size_t max_bytes, fib__tiff_buf *db,
                              unsigned char **buf, fib_error *err)
{
    if (bad)
        return fib_error_set(err, FIB_EFORMAT, "%s: page %zu: bad %s size%s%s",
                             path, page, what, m->have ? ": " : "", m->msg);
    if ((size_t)sz > max_bytes)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: page %zu: a %u x %u image with a "
                             "%s of %lld bytes to decode exceeds the "
                             "limit (%zu bytes left of it after the "
                             "image)",
                             path, page, (unsigned)d->w, (unsigned)d->h, what,
                             (long long)sz, max_bytes);
    *buf = buf_reserve(db, (size_t)sz);
    if (!*buf)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    return FIB_OK;
}

/* Decode the current page into @p dst (packed rows of d->out) through one
 * strip or tile buffer of at most @p max_bytes (what the byte limit leaves
 * once the output volume is allocated). */
fib_status fib__tiff_read_page(TIFF *tif, const char *path, size_t page,
                               const fib__tiff_page *d, fib__tiff_msgs *m,
                               void *dst, size_t max_bytes, fib__tiff_buf *db,
                               fib_error *err)
{
    const size_t es = fib_pixel_size_bytes(d->out);
    const size_t row_out = (size_t)d->w * es;
    fib_status st = FIB_OK;
    unsigned char *buf = NULL;
    if (!d->tiled) {
        const tmsize_t ssz = TIFFStripSize(tif);
        const tmsize_t sl = TIFFScanlineSize(tif);
        st = unit_buffer(path, page, d, m, "strip", ssz, ssz <= 0 || sl <= 0,
                         max_bytes, db, &buf, err);
        if (st != FIB_OK)
            return st;
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
                fib__tiff_convert_row(d, buf + (size_t)r * (size_t)sl, d->w,
                                      (char *)dst + (size_t)(y0 + r) * row_out);
        }
    } else {
        const tmsize_t tsz = TIFFTileSize(tif);
        const tmsize_t trow = TIFFTileRowSize(tif);
        st = unit_buffer(path, page, d, m, "tile", tsz, tsz <= 0 || trow <= 0,
                         max_bytes, db, &buf, err);
        if (st != FIB_OK)
            return st;
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
                    fib__tiff_convert_row(
                        d, buf + (size_t)r * (size_t)trow, cols,
                        (char *)dst + (size_t)(ty + r) * row_out +
                            (size_t)tx * es);
            }
        }
    }
done:
    return st;
}

/* Raw bytes of a private tag (ASCII or BYTE/UNDEFINED), or NULL. */
