/*
 * tiff_internal.h -- private: the TIFF pieces shared by the reader
 * (tiff_io.c), the page decoder (tiff_page.c) and the writer
 * (tiff_write.c).
 */
#ifndef FIB_FORMATS_TIFF_INTERNAL_H
#define FIB_FORMATS_TIFF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <tiffio.h>

#include "fib/image.h"

/* The first libtiff error of a call (no global handler is touched). */
typedef struct fib__tiff_msgs {
    char msg[200];
    bool have;
} fib__tiff_msgs;

/* TIFFOpenExt with per-TIFF handlers: the first error into @p m, warnings
 * dropped; @p max_alloc > 0 caps a single libtiff allocation. */
TIFF *fib__tiff_open(const char *path, const char *mode, fib__tiff_msgs *m,
                     size_t max_alloc);

enum conv { CV_GREY, CV_RGB, CV_PALETTE, CV_BILEVEL };

/* What a page holds and how its rows become output pixels. */
typedef struct fib__tiff_page {
    uint32_t w, h;
    uint16_t bps, spp, fmt, photo, planar, comp;
    bool tiled;
    uint32_t rps, tw, th;
    uint16_t *cmap[3];
    enum conv conv;
    int samples_in_buf; /* samples per pixel in a decoded row */
    fib_pixel_type out;
    bool invert;
} fib__tiff_page;

/* Name of a TIFF compression scheme for messages. */
const char *fib__tiff_comp_name(uint16_t c);
/* Describe the current page (@p page for messages); FIB_EUNSUPPORTED or
 * FIB_EFORMAT naming @p path for what the read rules refuse. */
fib_status fib__tiff_describe(TIFF *tif, const char *path, size_t page,
                              fib__tiff_page *d, fib_error *err);
/* Convert @p n pixels of one decoded row into @p dst (type d->out). */
void fib__tiff_convert_row(const fib__tiff_page *d, const unsigned char *src,
                           size_t n, void *dst);

/* A decode buffer reused across pages (grown when a page needs more). */
typedef struct fib__tiff_buf {
    unsigned char *p;
    size_t cap;
} fib__tiff_buf;

/* Decode the current page into @p dst (packed rows of d->out) through one
 * strip or tile buffer of at most @p max_bytes. */
fib_status fib__tiff_read_page(TIFF *tif, const char *path, size_t page,
                               const fib__tiff_page *d, fib__tiff_msgs *m,
                               void *dst, size_t max_bytes, fib__tiff_buf *db,
                               fib_error *err);

#endif
