/*
 * tiff_write.c -- page-by-page TIFF output with libtiff for the streaming
 * volume writer (tiff_out.h): ImageJ description on page 0, optional
 * deflate or LZW.
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

struct fib__tiff_out {
    TIFF *tif;
    fib__tiff_msgs m;
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
    o->tif = fib__tiff_open(tmp, big ? "w8" : "w", &o->m, 0);
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
