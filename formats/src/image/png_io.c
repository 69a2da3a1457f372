/*
 * png_io.c -- PNG read/write with libpng's low-level API.
 *
 * Read: grey 1..16 bit, grey+alpha, RGB, RGBA and palette images.  No
 * gamma, sRGB or iCCP transformation is ever applied: stored values are
 * what the caller gets.  Colour is converted to grey with ITU-R BT.709
 * luma on the stored values, Y = 0.2126 R + 0.7152 G + 0.0722 B, rounded;
 * alpha is dropped.  Bit depths below 8 are scaled up to 8 bits.
 * 16-bit files give u16 images, all others u8.
 *
 * Write: u8 and u16 grey, big-endian on disk as PNG requires; pixel sizes
 * go into pHYs (pixels per metre, rounded) and, exactly, into a tEXt chunk
 * "fib:pixel_size_nm" = "X Y" which the reader prefers.
 *
 * Memory: the header alone gives everything a read allocates (the output
 * image plus one decoded row, or every decoded row of an interlaced
 * file); png_run() checks that sum against the byte limit before any
 * pixel memory is allocated, and rows are then decoded one at a time.
 *
 * libpng reports errors by longjmp; setjmp is confined to the static
 * functions png_read_body() / png_decode_body() / png_write_body(), which
 * touch only heap
 * state reached through a pointer that does not change after setjmp.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "fib/checked.h"
#include "fmt_internal.h"

typedef struct png_ctx {
    char msg[160]; /* first member: shared with png_wctx by png_err_cb */
    const char *path;
    FILE *fp;
    png_structp png;
    png_infop info;
    unsigned char *raw; /* one decoded row, or all rows when interlaced */
    png_bytep *rows;    /* row pointers into raw (interlaced only) */
    size_t rowbytes;    /* decoded row: width * channels * depth / 8 */
    /* results */
    png_uint_32 w, h;
    int depth, color, channels, interlace;
    double px_nm[2];
} png_ctx;

static void png_err_cb(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings are dropped: the library never prints */
}

static void read_phys(png_ctx *c)
{
    c->px_nm[0] = c->px_nm[1] = (double)NAN;
    png_uint_32 rx = 0, ry = 0;
    int unit = 0;
    if (png_get_pHYs(c->png, c->info, &rx, &ry, &unit) &&
        unit == PNG_RESOLUTION_METER && rx > 0 && ry > 0) {
        c->px_nm[0] = 1e9 / (double)rx;
        c->px_nm[1] = 1e9 / (double)ry;
    }
    png_textp text = NULL;
    int nt = 0;
    if (png_get_text(c->png, c->info, &text, &nt) > 0) {
        for (int i = 0; i < nt; i++) {
            if (text[i].key && strcmp(text[i].key, "fib:pixel_size_nm") == 0 &&
                text[i].text) {
                double a = (double)NAN, b = (double)NAN;
                if (sscanf(text[i].text, "%lf %lf", &a, &b) == 2 && a > 0 &&
                    b > 0 && isfinite(a) && isfinite(b)) {
                    c->px_nm[0] = a;
                    c->px_nm[1] = b;
                }
            }
        }
    }
}

/* Header and transformations; may longjmp.  Returns 0 on success.  No
 * pixel memory is allocated here: png_run() first charges the decode
 * against the limit. */
static int png_read_body(png_ctx *c, bool pixels)
{
    if (setjmp(png_jmpbuf(c->png)))
        return 1;
    png_init_io(c->png, c->fp);
    png_set_user_limits(c->png, (png_uint_32)FIB_MAX_EXTENT,
                        (png_uint_32)FIB_MAX_EXTENT);
    png_read_info(c->png, c->info);
    c->w = png_get_image_width(c->png, c->info);
    c->h = png_get_image_height(c->png, c->info);
    c->depth = png_get_bit_depth(c->png, c->info);
    c->color = png_get_color_type(c->png, c->info);
    c->interlace = png_get_interlace_type(c->png, c->info);
    read_phys(c);
    if (!pixels)
        return 0;
    if (c->color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(c->png);
    if (c->color == PNG_COLOR_TYPE_GRAY && c->depth < 8)
        png_set_expand_gray_1_2_4_to_8(c->png);
    if (c->depth == 16)
        png_set_swap(c->png); /* host (little-endian) order */
    if (c->interlace != PNG_INTERLACE_NONE)
        (void)png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    c->channels = png_get_channels(c->png, c->info);
    c->rowbytes = png_get_rowbytes(c->png, c->info);
    return 0;
}

/* One decoded row (c->channels samples per pixel) to grey in @p vol. */
static void convert_row(const png_ctx *c, png_uint_32 y,
                        const unsigned char *src, fib_volume *vol)
{
    const int ch = c->channels;
    const bool colour = ch >= 3;
    void *dst = (char *)vol->data + (size_t)y * vol->stride_y;
    for (png_uint_32 x = 0; x < c->w; x++) {
        double v;
        if (c->depth == 16) {
            const uint16_t *s =
                (const uint16_t *)(const void *)src + (size_t)x * (size_t)ch;
            v = colour ? 0.2126 * s[0] + 0.7152 * s[1] + 0.0722 * s[2]
                       : (double)s[0];
            double r = floor(v + 0.5);
            ((uint16_t *)dst)[x] = (uint16_t)(r > 65535.0 ? 65535.0 : r);
        } else {
            const unsigned char *s = src + (size_t)x * (size_t)ch;
            v = colour ? 0.2126 * s[0] + 0.7152 * s[1] + 0.0722 * s[2]
                       : (double)s[0];
            double r = floor(v + 0.5);
            ((unsigned char *)dst)[x] = (unsigned char)(r > 255.0 ? 255.0 : r);
        }
    }
}

/* Decode the pixels into @p vol (allocated by the caller): row by row
 * through one row buffer, or, for an interlaced file, through the whole
 * decoded image (charged by png_run()).  May longjmp; 0 on success. */
static int png_decode_body(png_ctx *c, fib_volume *vol)
{
    if (setjmp(png_jmpbuf(c->png)))
        return 1;
    if (c->interlace == PNG_INTERLACE_NONE && c->channels == 1 &&
        c->rowbytes == vol->nx * fib_pixel_size_bytes(vol->type)) {
        /* grey, 8 or 16 bit (swapped to host order): the decoded row is
         * the image row -- decode straight into it */
        for (png_uint_32 y = 0; y < c->h; y++)
            png_read_row(
                c->png, (png_bytep)vol->data + (size_t)y * vol->stride_y, NULL);
    } else if (c->interlace == PNG_INTERLACE_NONE) {
        for (png_uint_32 y = 0; y < c->h; y++) {
            png_read_row(c->png, c->raw, NULL);
            convert_row(c, y, c->raw, vol);
        }
    } else {
        for (png_uint_32 y = 0; y < c->h; y++)
            c->rows[y] = c->raw + (size_t)y * c->rowbytes;
        png_read_image(c->png, c->rows);
        for (png_uint_32 y = 0; y < c->h; y++)
            convert_row(c, y, c->rows[y], vol);
    }
    png_read_end(c->png, NULL);
    return 0;
}

static void ctx_free(png_ctx *c)
{
    if (c->png)
        png_destroy_read_struct(&c->png, &c->info, NULL);
    if (c->fp)
        fclose(c->fp);
    free(c->raw);
    free(c->rows);
}

static fib_status png_open(const char *path, png_ctx *c, fib_error *err)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->fp = fopen(path, "rb");
    if (!c->fp)
        return fib_error_set(err, errno == ENOENT ? FIB_ENOTFOUND : FIB_EIO,
                             "%s: cannot open: %s", path, strerror(errno));
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_err_cb,
                                    png_warn_cb);
    if (c->png)
        c->info = png_create_info_struct(c->png);
    if (!c->png || !c->info)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    return FIB_OK;
}

static fib_status png_run(png_ctx *c, bool pixels, const fib_fmt_read_opts *o,
                          fib_error *err)
{
    const size_t max = fib__max_bytes(o);
    const int r = png_read_body(c, pixels);
    if (r == 1)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: truncated or corrupt png: %s", c->path,
                             c->msg);
    size_t out_bytes = 0;
    fib_status st = fib__check_dims(
        c->path, c->w, c->h, 1, c->depth == 16 ? 2 : 1, max, &out_bytes, err);
    if (st != FIB_OK || !pixels)
        return st;
    /* Everything the read allocates, from the header alone: the output
     * image, plus one decoded row (channels x depth), or every decoded row
     * and their pointers for an interlaced file (Adam7 needs the whole
     * image).  Nothing is allocated when it exceeds the limit. */
    size_t dec = c->rowbytes, total = 0;
    bool ok = true;
    if (c->interlace != PNG_INTERLACE_NONE) {
        size_t ptrs = 0;
        ok = fib_mul_size(c->rowbytes, c->h, &dec) &&
             fib_mul_size(c->h, sizeof(png_bytep), &ptrs) &&
             fib_add_size(dec, ptrs, &dec);
    }
    if (!ok || !fib_add_size(out_bytes, dec, &total) || total > max)
        return fib_error_set(
            err, FIB_ERANGE,
            "%s: png %u x %u, %d channel(s) of %d bits%s, needs %zu bytes to "
            "decode: exceeds the limit of %zu bytes",
            c->path, (unsigned)c->w, (unsigned)c->h, c->channels, c->depth,
            c->interlace != PNG_INTERLACE_NONE ? ", interlaced" : "",
            ok ? total : (size_t)-1, max);
    return FIB_OK;
}

fib_status fib__png_probe(const char *path, const fib_fmt_read_opts *opts,
                          fib_fmt_info *info, fib_error *err)
{
    png_ctx c;
    fib_status st = png_open(path, &c, err);
    if (st == FIB_OK)
        st = png_run(&c, false, opts, err);
    if (st == FIB_OK) {
        info->nx = c.w;
        info->ny = c.h;
        info->nz = 1;
        info->type = c.depth == 16 ? FIB_PX_U16 : FIB_PX_U8;
        snprintf(info->compression, sizeof info->compression, "deflate");
        info->meta.pixel_size_nm[0] = c.px_nm[0];
        info->meta.pixel_size_nm[1] = c.px_nm[1];
        info->meta.full_height = c.h;
    }
    ctx_free(&c);
    return st;
}

fib_status fib__png_read(const char *path, const fib_fmt_read_opts *opts,
                         fib_volume *vol, fib_fmt_meta *meta, fib_error *err)
{
    png_ctx c;
    fib_status st = png_open(path, &c, err);
    if (st == FIB_OK)
        st = png_run(&c, true, opts, err);
    if (st == FIB_OK)
        st = fib_volume_init(vol, c.depth == 16 ? FIB_PX_U16 : FIB_PX_U8, c.w,
                             c.h, 1, err);
    if (st == FIB_OK) {
        const bool il = c.interlace != PNG_INTERLACE_NONE;
        c.raw = malloc(il ? c.rowbytes * c.h : c.rowbytes);
        c.rows = il ? malloc((size_t)c.h * sizeof *c.rows) : NULL;
        if (!c.raw || (il && !c.rows))
            st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
        else if (png_decode_body(&c, vol) != 0)
            st = fib_error_set(err, FIB_EFORMAT,
                               "%s: truncated or corrupt png: %s", path, c.msg);
        if (st != FIB_OK)
            fib_volume_clear(vol);
    }
    if (st != FIB_OK) {
        ctx_free(&c);
        return st;
    }
    meta->pixel_size_nm[0] = c.px_nm[0];
    meta->pixel_size_nm[1] = c.px_nm[1];
    meta->full_height = c.h;
    ctx_free(&c);
    return FIB_OK;
}

/* --- write -------------------------------------------------------------- */

typedef struct png_wctx {
    char msg[160];
    FILE *fp;
    png_structp png;
    png_infop info;
    const fib_image *img;
} png_wctx;

static int png_write_body(png_wctx *c)
{
    if (setjmp(png_jmpbuf(c->png)))
        return 1;
    const fib_image *img = c->img;
    png_init_io(c->png, c->fp);
    const int depth = img->type == FIB_PX_U16 ? 16 : 8;
    png_set_IHDR(c->png, c->info, (png_uint_32)img->width,
                 (png_uint_32)img->height, depth, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    char txt[96];
    png_text text;
    memset(&text, 0, sizeof text);
    if (img->pixel_size_nm[0] > 0 && img->pixel_size_nm[1] > 0) {
        const double rx = floor(1e9 / img->pixel_size_nm[0] + 0.5);
        const double ry = floor(1e9 / img->pixel_size_nm[1] + 0.5);
        if (rx >= 1 && ry >= 1 && rx < 2147483647.0 && ry < 2147483647.0)
            png_set_pHYs(c->png, c->info, (png_uint_32)rx, (png_uint_32)ry,
                         PNG_RESOLUTION_METER);
        snprintf(txt, sizeof txt, "%.17g %.17g", img->pixel_size_nm[0],
                 img->pixel_size_nm[1]);
        text.compression = PNG_TEXT_COMPRESSION_NONE;
        char key[] = "fib:pixel_size_nm";
        text.key = key;
        text.text = txt;
        png_set_text(c->png, c->info, &text, 1);
    }
    png_write_info(c->png, c->info);
    if (depth == 16)
        png_set_swap(c->png);
    for (size_t y = 0; y < img->height; y++)
        png_write_row(c->png, (png_const_bytep)fib_image_row(img, y));
    png_write_end(c->png, NULL);
    return 0;
}

fib_status fib__png_write(const char *path, const fib_image *img,
                          fib_error *err)
{
    if (img->type != FIB_PX_U8 && img->type != FIB_PX_U16)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: png takes u8 or u16 images (got %s)", path,
                             fib_pixel_type_name(img->type));
    if (img->width == 0 || img->height == 0 || img->width > FIB_MAX_EXTENT ||
        img->height > FIB_MAX_EXTENT)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: image size %zu x %zu out of range", path,
                             img->width, img->height);
    fib__atomic_file af;
    fib_status st = fib__atomic_begin(path, &af, err);
    if (st != FIB_OK)
        return st;
    png_wctx c;
    memset(&c, 0, sizeof c);
    c.fp = af.fp;
    c.img = img;
    c.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, png_err_cb,
                                    png_warn_cb);
    if (c.png)
        c.info = png_create_info_struct(c.png);
    if (!c.png || !c.info) {
        if (c.png)
            png_destroy_write_struct(&c.png, &c.info);
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    }
    const int r = png_write_body(&c);
    png_destroy_write_struct(&c.png, &c.info);
    if (r != 0) {
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_EIO, "%s: png write failed: %s", path,
                             c.msg);
    }
    return fib__atomic_commit(&af, err);
}
