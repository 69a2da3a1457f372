/*
 * tiff_ij_out.c -- uncompressed TIFF stacks in ImageJ's own layout.
 *
 * ImageJ (and Fiji's default opener) reads an uncompressed TIFF whose
 * first ImageDescription says "images=N" as N slices stored back to back
 * from the first strip offset, and ignores the other IFDs.  libtiff writes
 * each IFD after its page's strips, so its stacks have gaps between the
 * slices; this writer therefore lays the file out as ImageJ's TiffEncoder
 * does:
 *
 *   header | IFD 0, description, resolutions | slice 0 .. slice N-1 |
 *   IFD 1 .. IFD N-1 (each followed by its resolutions)
 *
 * Every offset is known from (type, nx, ny, nz) before the first slice
 * arrives, so slices are streamed straight to the file.  When the trailing
 * IFDs would not fit under 4 GiB, only IFD 0 is written (ImageJ does the
 * same for big stacks); fib readers, ImageJ and tifffile read such files,
 * plain libtiff readers see one page.  Little-endian classic TIFF, one
 * strip per slice, SampleFormat uint or IEEE float.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tiff_out.h"

enum { T_SHORT = 3, T_LONG = 4, T_RATIONAL = 5, T_ASCII = 2 };

struct fib__ij_out {
    FILE *fp;
    const char *name;
    fib_pixel_type type;
    size_t nx, ny, nz, appended;
    uint64_t slice_bytes, data_off, tail_off;
    bool all_ifds;
    bool calibrated;
    uint32_t res_num[2], res_den;
    char desc[256];
};

static void put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)((v >> 8) & 0xFF);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* Entries of one IFD; returns the count.  Values that do not fit in 4
 * bytes point at @p extra (description, then X and Y resolution). */
static int ifd_entries(const fib__ij_out *o, bool first, uint64_t strip,
                       uint32_t extra, unsigned char *ent)
{
    const size_t es = fib_pixel_size_bytes(o->type);
    int n = 0;
    const uint32_t dlen = first ? (uint32_t)strlen(o->desc) + 1 : 0;
#define ENTRY(tag, typ, cnt, val)                                              \
    do {                                                                       \
        unsigned char *e_ = ent + 12 * n++;                                    \
        put16(e_, (tag));                                                      \
        put16(e_ + 2, (typ));                                                  \
        put32(e_ + 4, (cnt));                                                  \
        if ((typ) == T_SHORT) {                                                \
            put16(e_ + 8, (uint32_t)(val));                                    \
            put16(e_ + 10, 0);                                                 \
        } else {                                                               \
            put32(e_ + 8, (uint32_t)(val));                                    \
        }                                                                      \
    } while (0)
    ENTRY(254, T_LONG, 1, 0);
    ENTRY(256, T_LONG, 1, o->nx);
    ENTRY(257, T_LONG, 1, o->ny);
    ENTRY(258, T_SHORT, 1, es * 8);
    ENTRY(259, T_SHORT, 1, 1);
    ENTRY(262, T_SHORT, 1, 1);
    if (first)
        ENTRY(270, T_ASCII, dlen, extra);
    ENTRY(273, T_LONG, 1, strip);
    ENTRY(277, T_SHORT, 1, 1);
    ENTRY(278, T_LONG, 1, o->ny);
    ENTRY(279, T_LONG, 1, o->slice_bytes);
    if (o->calibrated) {
        ENTRY(282, T_RATIONAL, 1, extra + dlen);
        ENTRY(283, T_RATIONAL, 1, extra + dlen + 8);
        ENTRY(296, T_SHORT, 1, 1);
    }
    ENTRY(339, T_SHORT, 1, o->type == FIB_PX_F32 ? 3 : 1);
#undef ENTRY
    return n;
}

/* Bytes of one IFD with its extra data. */
static uint64_t ifd_size(const fib__ij_out *o, bool first)
{
    unsigned char ent[12 * 20];
    const int n = ifd_entries(o, first, 0, 0, ent);
    uint64_t s = 2 + 12 * (uint64_t)n + 4;
    if (first)
        s += strlen(o->desc) + 1;
    if (o->calibrated)
        s += 16;
    return (s + 1) & ~(uint64_t)1;
}

/* Write one IFD at the current position, which must be @p at. */
static bool write_ifd(fib__ij_out *o, bool first, uint64_t at, uint64_t strip,
                      uint64_t next)
{
    unsigned char buf[2 + 12 * 20 + 4 + 256 + 16 + 2];
    unsigned char ent[12 * 20];
    memset(buf, 0, sizeof buf);
    const int n0 = ifd_entries(o, first, 0, 0, ent);
    const uint32_t extra = (uint32_t)(at + 2 + 12 * (uint64_t)n0 + 4);
    const int n = ifd_entries(o, first, strip, extra, ent);
    put16(buf, (uint32_t)n);
    memcpy(buf + 2, ent, 12 * (size_t)n);
    size_t p = 2 + 12 * (size_t)n;
    put32(buf + p, (uint32_t)next);
    p += 4;
    if (first) {
        const size_t dl = strlen(o->desc) + 1;
        memcpy(buf + p, o->desc, dl);
        p += dl;
    }
    if (o->calibrated) {
        put32(buf + p, o->res_num[0]);
        put32(buf + p + 4, o->res_den);
        put32(buf + p + 8, o->res_num[1]);
        put32(buf + p + 12, o->res_den);
        p += 16;
    }
    p = (p + 1) & ~(size_t)1;
    return fwrite(buf, 1, p, o->fp) == p;
}

/* Pixels per micron as a rational with a shared denominator. */
static void resolution(fib__ij_out *o, const double vs[3])
{
    const double r[2] = {1e3 / vs[0], 1e3 / vs[1]};
    uint32_t den = 1000000;
    while (den > 1 && (r[0] * den > 4294967295.0 || r[1] * den > 4294967295.0))
        den /= 10;
    o->res_den = den;
    for (int i = 0; i < 2; i++) {
        const double v = floor(r[i] * den + 0.5);
        o->res_num[i] = v < 1.0            ? 1u
                        : v > 4294967295.0 ? 4294967295u
                                           : (uint32_t)v;
    }
}

fib_status fib__ij_out_open(const char *tmp, const char *name,
                            fib_pixel_type type, size_t nx, size_t ny,
                            size_t nz, const double vs[3], fib__ij_out **out,
                            fib_error *err)
{
    *out = NULL;
    const uint64_t slice = (uint64_t)nx * ny * fib_pixel_size_bytes(type);
    if (slice == 0 || slice > UINT32_MAX || nx > UINT32_MAX || ny > UINT32_MAX)
        return FIB_EUNSUPPORTED; /* caller falls back to libtiff */
    fib__ij_out *o = calloc(1, sizeof *o);
    if (!o)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", name);
    o->name = name;
    o->type = type;
    o->nx = nx;
    o->ny = ny;
    o->nz = nz;
    o->slice_bytes = slice;
    o->calibrated = vs[0] > 0 && vs[1] > 0;
    if (o->calibrated)
        resolution(o, vs);
    int w = snprintf(o->desc, sizeof o->desc, "ImageJ=1.53t\n");
    if (nz > 1)
        w += snprintf(o->desc + w, sizeof o->desc - (size_t)w,
                      "images=%zu\nslices=%zu\n", nz, nz);
    if (o->calibrated)
        w += snprintf(o->desc + w, sizeof o->desc - (size_t)w, "unit=micron\n");
    if (o->calibrated && nz > 1 && vs[2] > 0)
        w += snprintf(o->desc + w, sizeof o->desc - (size_t)w, "spacing=%.9g\n",
                      vs[2] / 1e3);
    if (nz > 1)
        (void)snprintf(o->desc + w, sizeof o->desc - (size_t)w, "loop=false\n");
    const uint64_t ifd0 = 8;
    o->data_off = (ifd0 + ifd_size(o, true) + 15) & ~(uint64_t)15;
    o->tail_off = (o->data_off + slice * nz + 1) & ~(uint64_t)1; /* even */
    const uint64_t tail = (nz - 1) * ifd_size(o, false);
    o->all_ifds = nz > 1 && o->tail_off + tail <= UINT32_MAX;
    o->fp = fopen(tmp, "wb");
    if (!o->fp) {
        fib_status st = fib_error_set(err, FIB_EIO, "%s: cannot create: %s",
                                      name, strerror(errno));
        free(o);
        return st;
    }
    unsigned char hdr[8] = {'I', 'I', 42, 0, 8, 0, 0, 0};
    bool ok =
        fwrite(hdr, 1, 8, o->fp) == 8 &&
        write_ifd(o, true, ifd0, o->data_off, o->all_ifds ? o->tail_off : 0);
    const long pos = ftell(o->fp);
    for (long i = pos; ok && i < (long)o->data_off; i++)
        ok = fputc(0, o->fp) != EOF;
    if (!ok) {
        fib_status st = fib_error_set(err, FIB_EIO, "%s: write failed: %s",
                                      name, strerror(errno));
        fclose(o->fp);
        free(o);
        return st;
    }
    *out = o;
    return FIB_OK;
}

fib_status fib__ij_out_page(fib__ij_out *o, const fib_image *img,
                            fib_error *err)
{
    const size_t row = o->nx * fib_pixel_size_bytes(o->type);
    for (size_t y = 0; y < o->ny; y++)
        if (fwrite(fib_image_row(img, y), 1, row, o->fp) != row)
            return fib_error_set(err, FIB_EIO, "%s: write failed: %s", o->name,
                                 strerror(errno));
    o->appended++;
    return FIB_OK;
}

fib_status fib__ij_out_close(fib__ij_out *o, bool finish, fib_error *err)
{
    if (!o)
        return FIB_OK;
    bool ok = true;
    if (finish && o->all_ifds) {
        if ((o->data_off + o->slice_bytes * o->nz) & 1)
            ok = fputc(0, o->fp) != EOF; /* word-align the first IFD */
        uint64_t at = o->tail_off;
        const uint64_t step = ifd_size(o, false);
        for (size_t z = 1; ok && z < o->nz; z++, at += step)
            ok = write_ifd(o, false, at, o->data_off + z * o->slice_bytes,
                           z + 1 < o->nz ? at + step : 0);
    }
    ok = ok && !ferror(o->fp);
    ok = (fclose(o->fp) == 0) && ok;
    fib_status st = FIB_OK;
    if (finish && !ok)
        st = fib_error_set(err, FIB_EIO, "%s: write failed (disk full?)",
                           o->name);
    free(o);
    return st;
}
