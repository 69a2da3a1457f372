/*
 * mrc_io.c -- MRC 2014 (CCP-EM) read and the writer's header.
 *
 * Spec: Cheng et al., "MRC2014: Extensions to the MRC format header for
 * electron cryo-microscopy and tomography", J. Struct. Biol. 192 (2015)
 * 146-150, and https://www.ccpem.ac.uk/mrc_format/mrc2014.php.
 *
 * Read: modes 0 (int8, shifted +128 into u8; IMOD files flagged as
 * unsigned bytes are read as they are), 1 (int16, shifted +32768 into
 * u16), 2 (float32), 6 (uint16).  Little- and big-endian (machine stamp
 * 0x44 0x44 / 0x11 0x11).  Extended headers (NSYMBT bytes) are skipped.
 * Voxel size = cella / m{x,y,z} in Angstrom (x 0.1 for nm).  Only the
 * standard axis order mapc/mapr/maps = 1, 2, 3 is accepted.
 *
 * Write (volume_writer.c): u8 and u16 as mode 6 (u8 widened to 16 bits,
 * as mrcfile does), f32 as mode 2, u32 labels as mode 2 (exact up to
 * 2^24; larger labels are refused).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sys/types.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/checked.h"
#include "fmt_internal.h"
#include "image_util.h"

typedef struct mrc_hdr {
    long long n[3], m[3];
    int mode;
    int mapc[3];
    double cella[3], origin[3];
    long long nsymbt;
    bool swap;
    bool unsigned_bytes;
    char exttyp[5];
} mrc_hdr;

static uint32_t u32_at(const unsigned char *p, bool swap)
{
    if (swap)
        return (uint32_t)p[3] | ((uint32_t)p[2] << 8) | ((uint32_t)p[1] << 16) |
               ((uint32_t)p[0] << 24);
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static int32_t i32_at(const unsigned char *p, bool swap)
{
    return (int32_t)u32_at(p, swap);
}

static float f32_at(const unsigned char *p, bool swap)
{
    const uint32_t u = u32_at(p, swap);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Parse and validate the header; @p zcount sections (0 = all) are what
 * will be read and are checked against opts->max_bytes; *data_bytes gets
 * the size of the whole data block. */
static fib_status parse_header(const char *path, const fib_fmt_read_opts *opts,
                               FILE *fp, long long fsize, size_t zcount,
                               mrc_hdr *h, size_t *data_bytes, fib_error *err)
{
    unsigned char b[FIB__MRC_HEADER];
    memset(h, 0, sizeof *h);
    if (fsize < FIB__MRC_HEADER || fread(b, 1, sizeof b, fp) != sizeof b)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: truncated mrc header (%lld of 1024 bytes)",
                             path, fsize);
    if (b[212] == 0x11 && b[213] == 0x11)
        h->swap = true;
    else if (b[212] == 0x44 && (b[213] == 0x44 || b[213] == 0x41))
        h->swap = false;
    else { /* no stamp (old files): choose the order with a sane mode */
        const uint32_t le = u32_at(b + 12, false);
        h->swap = le > 16;
    }
    for (int i = 0; i < 3; i++) {
        h->n[i] = i32_at(b + 4 * i, h->swap);
        h->m[i] = i32_at(b + 28 + 4 * i, h->swap);
        h->cella[i] = (double)f32_at(b + 40 + 4 * i, h->swap);
        h->mapc[i] = i32_at(b + 64 + 4 * i, h->swap);
        h->origin[i] = (double)f32_at(b + 196 + 4 * i, h->swap);
    }
    h->mode = i32_at(b + 12, h->swap);
    h->nsymbt = i32_at(b + 92, h->swap);
    memcpy(h->exttyp, b + 104, 4);
    h->exttyp[4] = '\0';
    /* IMOD: stamp 1146047817 at byte 152, flags at 156; bit 0 set means
     * bytes are signed, clear means unsigned. */
    if (i32_at(b + 152, h->swap) == 1146047817 &&
        (i32_at(b + 156, h->swap) & 1) == 0)
        h->unsigned_bytes = true;
    size_t es;
    switch (h->mode) {
    case 0:
        es = 1;
        break;
    case 1:
    case 6:
        es = 2;
        break;
    case 2:
        es = 4;
        break;
    default:
        return fib_error_set(err, FIB_EUNSUPPORTED,
                             "%s: mrc mode %d is not supported (0, 1, 2, 6)",
                             path, h->mode);
    }
    fib_status st = fib__check_dims(path, h->n[0], h->n[1], h->n[2], es,
                                    (size_t)-1, data_bytes, err);
    if (st == FIB_OK)
        st = fib__check_dims(path, h->n[0], h->n[1],
                             zcount ? (long long)zcount : h->n[2], es,
                             fib__max_bytes(opts), NULL, err);
    if (st != FIB_OK)
        return st;
    if (!((h->mapc[0] == 1 && h->mapc[1] == 2 && h->mapc[2] == 3) ||
          (h->mapc[0] == 0 && h->mapc[1] == 0 && h->mapc[2] == 0)))
        return fib_error_set(err, FIB_EUNSUPPORTED,
                             "%s: mrc axis order mapc/mapr/maps = %d/%d/%d "
                             "is not supported (only 1/2/3)",
                             path, h->mapc[0], h->mapc[1], h->mapc[2]);
    if (h->nsymbt < 0)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: mrc nsymbt must be >= 0 (got %lld)", path,
                             h->nsymbt);
    const unsigned long long need = (unsigned long long)FIB__MRC_HEADER +
                                    (unsigned long long)h->nsymbt +
                                    (unsigned long long)*data_bytes;
    if ((unsigned long long)fsize < need)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: truncated mrc file: %lld bytes, header "
                             "claims %llu",
                             path, fsize, need);
    return FIB_OK;
}

static fib_pixel_type mode_type(int mode)
{
    return mode == 0 ? FIB_PX_U8 : mode == 2 ? FIB_PX_F32 : FIB_PX_U16;
}

static void fill_meta(const mrc_hdr *h, fib_fmt_meta *meta, double vs[3])
{
    for (int i = 0; i < 3; i++) {
        const double m = h->m[i] > 0 ? (double)h->m[i] : (double)h->n[i];
        vs[i] = (h->cella[i] > 0 && isfinite(h->cella[i]))
                    ? h->cella[i] / m * 0.1
                    : 0.0;
    }
    fib__img_voxel_meta(meta, vs, "cella/mx", (size_t)h->n[1]);
}

/* Open @p path and parse its header into @p h (the data bytes of @p nz
 * sections, 0 = all, into *bytes); *fp is open on success only. */
static fib_status open_mrc(const char *path, const fib_fmt_read_opts *opts,
                           size_t nz, FILE **fp, mrc_hdr *h, size_t *bytes,
                           fib_error *err)
{
    long long fsize = 0;
    fib_status st = fib__stat_input(path, &fsize, err);
    if (st != FIB_OK)
        return st;
    *fp = fopen(path, "rb");
    if (!*fp)
        return fib_error_set(err, FIB_EIO, "%s: cannot open: %s", path,
                             strerror(errno));
    st = parse_header(path, opts, *fp, fsize, nz, h, bytes, err);
    if (st != FIB_OK) {
        fclose(*fp);
        *fp = NULL;
    }
    return st;
}

fib_status fib__mrc_probe(const char *path, const fib_fmt_read_opts *opts,
                          fib_fmt_info *info, fib_error *err)
{
    FILE *fp = NULL;
    mrc_hdr h;
    size_t bytes = 0;
    fib_status st = open_mrc(path, opts, 0, &fp, &h, &bytes, err);
    if (st != FIB_OK)
        return st;
    fclose(fp);
    info->nx = (size_t)h.n[0];
    info->ny = (size_t)h.n[1];
    info->nz = (size_t)h.n[2];
    info->type = mode_type(h.mode);
    double vs[3];
    fill_meta(&h, &info->meta, vs);
    return FIB_OK;
}

fib_status fib__mrc_read(const char *path, const fib_fmt_read_opts *opts,
                         size_t z0, size_t nz, fib_volume *vol,
                         fib_fmt_meta *meta, fib_error *err)
{
    FILE *fp = NULL;
    mrc_hdr h;
    size_t bytes = 0;
    fib_status st = open_mrc(path, opts, nz, &fp, &h, &bytes, err);
    if (st != FIB_OK)
        return st;
    if (z0 >= (size_t)h.n[2]) {
        st = fib_error_set(err, FIB_ERANGE,
                           "%s: section %zu requested, the file has %lld", path,
                           z0, h.n[2]);
        goto fail;
    }
    if (nz == 0 || nz > (size_t)h.n[2] - z0)
        nz = (size_t)h.n[2] - z0;
    const size_t slice = bytes / (size_t)h.n[2];
    const off_t off =
        (off_t)FIB__MRC_HEADER + (off_t)h.nsymbt + (off_t)z0 * (off_t)slice;
    if (fseeko(fp, off, SEEK_SET) != 0) {
        st = fib_error_set(err, FIB_EFORMAT, "%s: cannot seek to section %zu",
                           path, z0);
        goto fail;
    }
    if ((st = fib_volume_init(vol, mode_type(h.mode), (size_t)h.n[0],
                              (size_t)h.n[1], nz, err)) != FIB_OK)
        goto fail;
    bytes = slice * nz;
    if (fread(vol->data, 1, bytes, fp) != bytes) {
        fib_volume_clear(vol);
        st = fib_error_set(err, FIB_EFORMAT, "%s: truncated mrc data", path);
        goto fail;
    }
    fclose(fp);
    const size_t n = bytes / fib_pixel_size_bytes(vol->type);
    unsigned char *p = vol->data;
    if (h.swap && h.mode != 0)
        fib__img_swap_bytes(p, n, fib_pixel_size_bytes(vol->type));
    if (h.mode == 0 && !h.unsigned_bytes)
        for (size_t i = 0; i < n; i++)
            p[i] = (unsigned char)(p[i] ^ 0x80u); /* int8 + 128 */
    if (h.mode == 1) {
        uint16_t *q = vol->data;
        for (size_t i = 0; i < n; i++)
            q[i] = (uint16_t)(q[i] ^ 0x8000u); /* int16 + 32768 */
    }
    double vs[3];
    fill_meta(&h, meta, vs);
    for (int i = 0; i < 3; i++) {
        vol->voxel_size_nm[i] = vs[i];
        vol->origin_nm[i] = isfinite(h.origin[i]) ? h.origin[i] * 0.1 : 0.0;
    }
    vol->origin_nm[2] += (double)z0 * vs[2];
    return FIB_OK;
fail:
    fclose(fp);
    return st;
}

static void put_i32(unsigned char *p, int32_t v)
{
    const uint32_t u = (uint32_t)v;
    p[0] = (unsigned char)(u & 0xFF);
    p[1] = (unsigned char)((u >> 8) & 0xFF);
    p[2] = (unsigned char)((u >> 16) & 0xFF);
    p[3] = (unsigned char)(u >> 24);
}

static void put_f32(unsigned char *p, double v)
{
    const float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_i32(p, (int32_t)u);
}

void fib__mrc_header_encode(unsigned char hdr[FIB__MRC_HEADER], int mode,
                            size_t nx, size_t ny, size_t nz,
                            const double voxel_nm[3], const fib__mrc_stats *st)
{
    memset(hdr, 0, FIB__MRC_HEADER);
    const size_t n[3] = {nx, ny, nz};
    for (int i = 0; i < 3; i++) {
        put_i32(hdr + 4 * i, (int32_t)n[i]);
        put_i32(hdr + 28 + 4 * i, (int32_t)n[i]); /* mx, my, mz */
        const double a =
            voxel_nm[i] > 0 ? voxel_nm[i] * 10.0 * (double)n[i] : 0.0;
        put_f32(hdr + 40 + 4 * i, a);     /* cella, Angstrom */
        put_f32(hdr + 52 + 4 * i, 90.0);  /* cellb */
        put_i32(hdr + 64 + 4 * i, i + 1); /* mapc, mapr, maps */
    }
    put_i32(hdr + 12, mode);
    put_f32(hdr + 76, st->min);
    put_f32(hdr + 80, st->max);
    put_f32(hdr + 84, st->mean);
    put_i32(hdr + 88, 1); /* ispg 1: a single volume */
    put_i32(hdr + 92, 0); /* nsymbt */
    memcpy(hdr + 104, "MRCO", 4);
    put_i32(hdr + 108, 20140);
    memcpy(hdr + 208, "MAP ", 4);
    hdr[212] = 0x44;
    hdr[213] = 0x44;
    put_f32(hdr + 216, st->rms);
    /* An unknown voxel size is cella = 0 on that axis: what mrcfile writes
     * for a new file whose voxel size was never set (its voxel_size reads
     * 0), and what our reader takes as "not stated" -- never a made-up
     * length.  A second label says so in words. */
    char unk[40] = "";
    for (int i = 0; i < 3; i++)
        if (!(voxel_nm[i] > 0)) {
            const size_t l = strlen(unk);
            snprintf(unk + l, sizeof unk - l, "%s%c", l ? " " : "", "xyz"[i]);
        }
    char labels[2][81];
    snprintf(labels[0], sizeof labels[0], "cryofib");
    snprintf(labels[1], sizeof labels[1],
             "cryofib: voxel size unknown in %s (cella 0)", unk);
    const int nl = unk[0] ? 2 : 1;
    put_i32(hdr + 220, nl);
    for (int k = 0; k < nl; k++) {
        const size_t l = strlen(labels[k]);
        memcpy(hdr + 224 + 80 * k, labels[k], l);
        memset(hdr + 224 + 80 * k + l, ' ', 80 - l);
    }
}
