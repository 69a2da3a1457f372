/* formats.c -- format detection, dispatch to the readers and data-bar
 * cropping (the helpers the readers share are in io/fmt_util.c). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fib/checked.h"
#include "fmt_internal.h"
#include "image_util.h"
#include "zarr_internal.h"

const char *fib_fmt_kind_name(fib_fmt_kind kind)
{
    switch (kind) {
    case FIB_FMT_PNG:
        return "png";
    case FIB_FMT_TIFF:
        return "tiff";
    case FIB_FMT_MRC:
        return "mrc";
    case FIB_FMT_NRRD:
        return "nrrd";
    case FIB_FMT_ZARR:
        return "zarr";
    default:
        return "unknown";
    }
}

fib_fmt_kind fib_fmt_kind_from_path(const char *path)
{
    if (!path)
        return FIB_FMT_UNKNOWN;
    /* a folder path may end in slashes: "vol.zarr/" */
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len >= 5 && strncasecmp(path + len - 5, ".zarr", 5) == 0)
        return FIB_FMT_ZARR;
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return FIB_FMT_UNKNOWN;
    dot++;
    if (strcasecmp(dot, "png") == 0)
        return FIB_FMT_PNG;
    if (strcasecmp(dot, "tif") == 0 || strcasecmp(dot, "tiff") == 0)
        return FIB_FMT_TIFF;
    if (strcasecmp(dot, "mrc") == 0 || strcasecmp(dot, "map") == 0 ||
        strcasecmp(dot, "rec") == 0)
        return FIB_FMT_MRC;
    if (strcasecmp(dot, "nrrd") == 0)
        return FIB_FMT_NRRD;
    return FIB_FMT_UNKNOWN;
}

/* --- detection ---------------------------------------------------------- */

static int32_t rd_le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) |
                     ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
}

fib_status fib__detect(const char *path, fib_fmt_kind *kind, fib_error *err)
{
    if (path && fib__zarr_is(path)) {
        *kind = FIB_FMT_ZARR;
        return FIB_OK;
    }
    long long size = 0;
    fib_status st = fib__stat_input(path, &size, err);
    if (st != FIB_OK)
        return st;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fib_error_set(err, FIB_EIO, "%s: cannot open: %s", path,
                             strerror(errno));
    unsigned char h[224];
    memset(h, 0, sizeof h);
    const size_t got = fread(h, 1, sizeof h, fp);
    fclose(fp);
    *kind = FIB_FMT_UNKNOWN;
    if (got >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
        *kind = FIB_FMT_PNG;
    else if (got >= 4 &&
             (memcmp(h, "II*\0", 4) == 0 || memcmp(h, "MM\0*", 4) == 0 ||
              memcmp(h, "II+\0", 4) == 0 || memcmp(h, "MM\0+", 4) == 0))
        *kind = FIB_FMT_TIFF;
    else if (got >= 7 && memcmp(h, "NRRD000", 7) == 0)
        *kind = FIB_FMT_NRRD;
    else if (got >= 212 && memcmp(h + 208, "MAP", 3) == 0)
        *kind = FIB_FMT_MRC;
    else if (got >= 212 && fib_fmt_kind_from_path(path) == FIB_FMT_MRC) {
        /* Pre-2014 MRC without the stamp: accept a plausible header. */
        const int32_t mode = rd_le32(h + 12);
        if (rd_le32(h) > 0 && rd_le32(h + 4) > 0 && rd_le32(h + 8) > 0 &&
            (mode == 0 || mode == 1 || mode == 2 || mode == 6))
            *kind = FIB_FMT_MRC;
    }
    if (*kind == FIB_FMT_UNKNOWN) {
        if (got < 8)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: file too short (%lld bytes) to be an "
                                 "image",
                                 path, size);
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: not a png, tiff, mrc or nrrd file", path);
    }
    return FIB_OK;
}

/* --- dispatch ----------------------------------------------------------- */

fib_status fib_fmt_probe(const char *path, const fib_fmt_read_opts *opts,
                         fib_fmt_info *info, fib_error *err)
{
    if (!info)
        return fib_error_set(err, FIB_EINVAL, "formats: info is NULL");
    memset(info, 0, sizeof *info);
    fib_fmt_meta_init(&info->meta);
    fib_fmt_kind kind;
    fib_status st = fib__detect(path, &kind, err);
    if (st != FIB_OK)
        return st;
    info->kind = kind;
    snprintf(info->compression, sizeof info->compression, "none");
    /* A probe allocates no pixels: unless the caller set a limit, accept
     * headers up to FIB__PROBE_MAX_BYTES so that `info` describes large
     * stacks that a default read would refuse. */
    fib_fmt_read_opts po;
    memset(&po, 0, sizeof po);
    if (opts)
        po = *opts;
    if (po.max_bytes == 0)
        po.max_bytes = FIB__PROBE_MAX_BYTES;
    opts = &po;
    switch (kind) {
    case FIB_FMT_PNG:
        return fib__png_probe(path, opts, info, err);
    case FIB_FMT_TIFF:
        return fib__tiff_probe(path, opts, info, err);
    case FIB_FMT_MRC:
        return fib__mrc_probe(path, opts, info, err);
    case FIB_FMT_NRRD:
        return fib__nrrd_probe(path, opts, info, err);
    case FIB_FMT_ZARR:
        return fib__zarr_probe(path, info, err);
    default:
        return fib_error_set(err, FIB_EFORMAT, "%s: unknown format", path);
    }
}

/* Drop the bottom @p rows rows of every slice of a packed volume. */
static void crop_rows(fib_volume *vol, size_t rows)
{
    if (rows == 0 || rows >= vol->ny)
        return;
    const size_t keep = vol->ny - rows;
    const size_t slice = keep * vol->stride_y;
    for (size_t z = 1; z < vol->nz; z++)
        memmove((char *)vol->data + z * slice,
                (char *)vol->data + z * vol->stride_z, slice);
    vol->ny = keep;
    vol->stride_z = slice;
}

static void meta_to_voxels(const fib_fmt_meta *m, fib_volume *vol)
{
    if (m->pixel_size_nm[0] > 0)
        vol->voxel_size_nm[0] = m->pixel_size_nm[0];
    if (m->pixel_size_nm[1] > 0)
        vol->voxel_size_nm[1] = m->pixel_size_nm[1];
    if (m->voxel_depth_nm > 0)
        vol->voxel_size_nm[2] = m->voxel_depth_nm;
}

/* Sections [page, page + count) of @p path (count 0: every section, page
 * ignored). */
static fib_status read_any(const char *path, const fib_fmt_read_opts *opts,
                           size_t z0, size_t count, fib_volume *vol,
                           fib_fmt_meta *meta, fib_error *err)
{
    fib_fmt_kind kind;
    fib_status st = fib__detect(path, &kind, err);
    if (st != FIB_OK)
        return st;
    const bool one_page = count > 0;
    const size_t page = one_page ? z0 : 0;
    if (one_page && (page > 0 || count > 1) && kind == FIB_FMT_PNG)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: page %zu requested, the file has 1 page",
                             path, page);
    switch (kind) {
    case FIB_FMT_PNG:
        st = fib__png_read(path, opts, vol, meta, err);
        break;
    case FIB_FMT_TIFF:
        st = fib__tiff_read(path, opts, page, count, vol, meta, err);
        break;
    case FIB_FMT_MRC:
        st = fib__mrc_read(path, opts, page, count, vol, meta, err);
        break;
    case FIB_FMT_NRRD:
        st = fib__nrrd_read(path, opts, page, count, vol, meta, err);
        break;
    case FIB_FMT_ZARR:
        /* one page: only the chunks holding that section are read */
        st = fib__zarr_read_z(path, opts, page, count, vol, err);
        if (st == FIB_OK) {
            meta->pixel_size_nm[0] =
                vol->voxel_size_nm[0] > 0 ? vol->voxel_size_nm[0] : (double)NAN;
            meta->pixel_size_nm[1] =
                vol->voxel_size_nm[1] > 0 ? vol->voxel_size_nm[1] : (double)NAN;
            meta->voxel_depth_nm =
                vol->voxel_size_nm[2] > 0 ? vol->voxel_size_nm[2] : (double)NAN;
        }
        break;
    default:
        st = fib_error_set(err, FIB_EFORMAT, "%s: unknown format", path);
    }
    if (st != FIB_OK)
        return st;
    if (vol->type == FIB_PX_F32) {
        /* Non-finite pixels are refused (formats/README.md "Non-finite
         * pixels"): one NaN and one Inf moved a slice's registration by
         * 0.87 px without a word, and MRC statistics become NaN. */
        size_t bad = 0, first = 0;
        const size_t n = vol->nx * vol->ny * vol->nz;
        const float *f = vol->data;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(f[i]) && bad++ == 0)
                first = i;
        if (bad) {
            const size_t plane = vol->nx * vol->ny, nx = vol->nx;
            const size_t z = first / plane + (one_page ? page : 0);
            const size_t x = first % plane % nx, y = first % plane / nx;
            fib_volume_clear(vol);
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: %zu non-finite pixel(s) (NaN or Inf) "
                                 "in float data, first at x %zu, y %zu, "
                                 "slice %zu: refused (replace them by "
                                 "finite values first)",
                                 path, bad, x, y, z);
        }
    }
    meta_to_voxels(meta, vol);
    if (!(opts && opts->keep_databar))
        crop_rows(vol, meta->databar_rows);
    return FIB_OK;
}

fib_status fib_fmt_volume_read(const char *path, const fib_fmt_read_opts *opts,
                               fib_volume *vol, fib_fmt_meta *meta,
                               fib_error *err)
{
    fib_fmt_meta local;
    if (!vol)
        return fib_error_set(err, FIB_EINVAL, "formats: vol is NULL");
    memset(vol, 0, sizeof *vol);
    fib_fmt_meta *m = meta ? meta : &local;
    fib_fmt_meta_init(m);
    return read_any(path, opts, 0, 0, vol, m, err);
}

fib_status fib_fmt_volume_read_z(const char *path,
                                 const fib_fmt_read_opts *opts, size_t z0,
                                 size_t count, fib_volume *vol,
                                 fib_fmt_meta *meta, fib_error *err)
{
    fib_fmt_meta local;
    if (!vol || count == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "formats: read_z needs a volume and count >= 1");
    memset(vol, 0, sizeof *vol);
    fib_fmt_meta *m = meta ? meta : &local;
    fib_fmt_meta_init(m);
    return read_any(path, opts, z0, count, vol, m, err);
}

fib_status fib_fmt_image_read(const char *path, const fib_fmt_read_opts *opts,
                              fib_image *img, fib_fmt_meta *meta,
                              fib_error *err)
{
    fib_fmt_meta local;
    fib_volume vol;
    if (!img)
        return fib_error_set(err, FIB_EINVAL, "formats: img is NULL");
    memset(img, 0, sizeof *img);
    memset(&vol, 0, sizeof vol);
    fib_fmt_meta *m = meta ? meta : &local;
    fib_fmt_meta_init(m);
    fib_status st =
        read_any(path, opts, opts ? opts->page : 0, 1, &vol, m, err);
    if (st != FIB_OK)
        return st;
    img->type = vol.type;
    img->width = vol.nx;
    img->height = vol.ny;
    img->stride = vol.stride_y;
    img->data = vol.data;
    img->pixel_size_nm[0] = vol.voxel_size_nm[0];
    img->pixel_size_nm[1] = vol.voxel_size_nm[1];
    img->origin_nm[0] = vol.origin_nm[0];
    img->origin_nm[1] = vol.origin_nm[1];
    img->owns_data = true;
    return FIB_OK;
}

fib_status fib_fmt_vendor_pairs(const char *path, char ***pairs_out,
                                size_t *n_out, fib_error *err)
{
    if (!pairs_out || !n_out)
        return fib_error_set(err, FIB_EINVAL, "formats: NULL output");
    *pairs_out = NULL;
    *n_out = 0;
    fib_fmt_kind kind;
    fib_status st = fib__detect(path, &kind, err);
    if (st != FIB_OK)
        return st;
    fib__kv kv = {0};
    if (kind == FIB_FMT_TIFF)
        st = fib__tiff_vendor_pairs(path, &kv, err);
    else if (kind == FIB_FMT_NRRD)
        st = fib__nrrd_vendor_pairs(path, &kv, err);
    if (st == FIB_OK && kv.failed)
        st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    if (st != FIB_OK) {
        fib__kv_free(&kv);
        return st;
    }
    *pairs_out = kv.items;
    *n_out = kv.n;
    return FIB_OK;
}
