/* picture_png.c -- fib_canvas -> 8-bit RGB PNG through libpng, atomic. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "fib/picture.h"

/* libpng error text, captured by the error callback before longjmp.  It
 * lives on the heap: a local changed between setjmp() and longjmp() would
 * be indeterminate afterwards (C11 7.13.2.1). */
typedef struct png_err_ctx {
    char msg[160];
} png_err_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_err_ctx *ctx = png_get_error_ptr(png);
    if (ctx)
        (void)snprintf(ctx->msg, sizeof ctx->msg, "%s", msg ? msg : "?");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* the library never prints */
}

fib_status fib_fmt_canvas_write_png(const char *path, const fib_canvas *c,
                                    fib_error *err)
{
    if (!c)
        return fib_error_set(err, FIB_EINVAL, "formats: canvas is NULL");
    fib__atomic_file af;
    fib_status st = fib__atomic_begin(path, &af, err);
    if (st != FIB_OK)
        return st;
    png_err_ctx *ctx = calloc(1, sizeof *ctx);
    png_structp png =
        ctx ? png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_png_error,
                                      on_png_warning)
            : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        free(ctx);
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory for png",
                             path);
    }
    const size_t w = fib_canvas_width(c), h = fib_canvas_height(c);
    const uint8_t *px = fib_canvas_pixels_const(c);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fib__atomic_abort(&af);
        st = fib_error_set(err, FIB_EIO, "%s: png write failed: %s", path,
                           ctx->msg);
        free(ctx);
        return st;
    }
    png_init_io(png, af.fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (size_t y = 0; y < h; y++)
        png_write_row(png, px + y * w * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(ctx);
    return fib__atomic_commit(&af, err);
}
