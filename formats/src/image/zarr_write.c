/*
 * zarr_write.c -- OME-Zarr volumes: Zarr v2 arrays (Zarr storage
 * specification v2; zarr-python 2, Dask and napari read them) with the
 * OME-NGFF 0.4 `multiscales` metadata (https://ngff.openmicroscopy.org/
 * 0.4/): a group with one array per pyramid level ("0", "1", ...), axes z,
 * y, x in nanometers, a scale transformation per level.
 *
 * Layout written:
 *   ROOT/.zgroup             {"zarr_format": 2}
 *   ROOT/.zattrs             multiscales (axes, datasets, scales, type)
 *   ROOT/L/.zarray           shape, chunks, dtype, compressor (zlib by
 *                            default; blosc lz4 + shuffle or none), "/"
 *                            dimension separator, C order, fill 0
 *   ROOT/L/cz/cy/cx          one compressed chunk (numcodecs Zlib/Blosc);
 *                            edge chunks are full size, padded with 0
 * Level L + 1 is level L reduced 2x2x2 (odd sizes: the last block is
 * partial), by the mean for grey data and the most frequent value for
 * labels (ties: the smallest label), computed as the slices stream in:
 * one retained slice per level.  The tree is written under
 * "ROOT.tmp-<pid>-<n>" and renamed over ROOT at finish; a failure or a
 * destroy without finish removes it.
 *
 * Reading: zarr_read.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <blosc.h>
#include <zlib.h>

#include "atomic.h"
#include "fib/checked.h"
#include "fmt_internal.h"
#include "image_util.h"
#include "zarr_internal.h"

enum { BLOSC_LEVEL = 5 }; /* numcodecs Blosc default clevel */

#define ZARR_MAX_LEVELS 12

/* ---- paths ----------------------------------------------------------------
 */

/* Remove a tree written by us (files and folders only). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        (void)unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *c = fib__img_path_join(path, e->d_name);
        if (c) {
            remove_tree(c);
            free(c);
        }
    }
    closedir(d);
    (void)rmdir(path);
}

static fib_status write_file(const char *path, const void *data, size_t n,
                             fib_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return fib_error_set(err, FIB_EIO, "%s: cannot create: %s", path,
                             strerror(errno));
    const bool ok = fwrite(data, 1, n, f) == n;
    if (fclose(f) != 0 || !ok)
        return fib_error_set(err, FIB_EIO, "%s: write failed: %s", path,
                             strerror(errno));
    return FIB_OK;
}

static fib_status make_dir(const char *path, fib_error *err)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return fib_error_set(err, FIB_EIO, "%s: cannot create folder: %s", path,
                             strerror(errno));
    return FIB_OK;
}

/* ---- writer ---------------------------------------------------------------
 */

typedef struct zlevel {
    size_t nx, ny, nz;   /* level size */
    size_t cz, cy, cx;   /* chunk size (clamped to the level) */
    size_t appended;     /* slices written to this level (from the part's
                            first slice of the level) */
    size_t end;          /* the part's end at this level (nz: to the end) */
    unsigned char *slab; /* cz slices of the level, waiting for a chunk row */
    size_t slab_n;       /* slices in the slab */
    float *held;         /* the first slice of a pair (as f32), for L + 1 */
    bool has_held;
    char *dir; /* ROOT.tmp/L */
} zlevel;

struct fib__zarr_writer {
    char *path, *tmp;
    fib_pixel_type type;
    size_t esize;
    double vs[3];
    bool vs_known; /* every voxel size given: axes carry "nanometer" */
    bool labels;
    int zlevel_c; /* zlib level */
    int codec;    /* FIB_ZARR_* */
    int nlev;
    zlevel lev[ZARR_MAX_LEVELS];
    unsigned char *chunk, *zbuf; /* one chunk raw / compressed */
    size_t chunk_cap, zbuf_cap;
    float *tmpf, *down; /* scratch slices (level 0 size) */
    bool failed;
    bool part; /* fib_fmt_write_opts.zarr_part: tmp is the folder itself,
                  kept at destroy, never renamed */
};

static const char *dtype_str(fib_pixel_type t)
{
    switch (t) {
    case FIB_PX_U8:
        return "|u1";
    case FIB_PX_U16:
        return "<u2";
    case FIB_PX_U32:
        return "<u4";
    default:
        return "<f4";
    }
}

static size_t clamp_chunk(size_t want, size_t n)
{
    return want == 0 ? 1 : want > n ? n : want;
}

/* Levels of a volume written with @p opts: the count, and per level its
 * size and chunk size (d[l] = nx, ny, nz, cz, cy, cx). */
static int level_plan(size_t nx, size_t ny, size_t nz, bool labels,
                      const fib_fmt_write_opts *opts,
                      size_t d[ZARR_MAX_LEVELS][6])
{
    size_t ch[3] = {1, 512, 512}; /* z, y, x */
    if (labels)
        ch[0] = ch[1] = ch[2] = 128;
    for (int a = 0; a < 3 && opts; a++)
        if (opts->zarr_chunk[a])
            ch[a] = opts->zarr_chunk[a];
    /* levels: halve until the larger xy side is at most 256 (or as asked) */
    int nlev = 1;
    if (opts && opts->zarr_levels > 0)
        nlev = opts->zarr_levels;
    else
        for (size_t m = nx > ny ? nx : ny; m > 256 && nlev < ZARR_MAX_LEVELS;
             m = (m + 1) / 2)
            nlev++;
    if (nlev > ZARR_MAX_LEVELS)
        nlev = ZARR_MAX_LEVELS;
    for (int l = 0; l < nlev; l++) {
        d[l][0] = l ? (d[l - 1][0] + 1) / 2 : nx;
        d[l][1] = l ? (d[l - 1][1] + 1) / 2 : ny;
        d[l][2] = l ? (d[l - 1][2] + 1) / 2 : nz;
        d[l][3] = clamp_chunk(ch[0], d[l][2]);
        d[l][4] = clamp_chunk(ch[1], d[l][1]);
        d[l][5] = clamp_chunk(ch[2], d[l][0]);
    }
    return nlev;
}

static size_t gcd_size(size_t a, size_t b)
{
    while (b) {
        const size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

size_t fib_fmt_zarr_z_align(size_t nx, size_t ny, size_t nz,
                            const fib_fmt_write_opts *opts)
{
    size_t d[ZARR_MAX_LEVELS][6];
    const int nlev = level_plan(nx, ny, nz, opts && opts->zarr_labels, opts, d);
    size_t a = 1;
    for (int l = 0; l < nlev && a <= nz; l++) {
        const size_t t = d[l][3] << l; /* one chunk of level l, in slices */
        const size_t g = gcd_size(a, t);
        if (a / g > (nz + 1) / (t ? t : 1) + 1) /* beyond nz: one part */
            return nz ? nz : 1;
        a = a / g * t;
    }
    return a > nz ? (nz ? nz : 1) : a;
}

static fib_status write_meta(fib__zarr_writer *w, fib_error *err)
{
    char buf[4096];
    fib_status st;
    char *p = fib__img_path_join(w->tmp, ".zgroup");
    if (!p)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    static const char zgroup[] = "{\n    \"zarr_format\": 2\n}\n";
    st = write_file(p, zgroup, sizeof zgroup - 1, err);
    free(p);
    if (st)
        return st;
    /* multiscales: one dataset per level, scale = voxel size x 2^L */
    size_t n = 0;
    n += (size_t)snprintf(
        buf + n, sizeof buf - n,
        "{\n    \"multiscales\": [\n        {\n            \"version\": "
        "\"0.4\",\n            \"name\": \"cryofib\",\n            \"axes\": "
        "[\n                {\"name\": \"z\", \"type\": \"space\"%s},\n"
        "                {\"name\": \"y\", \"type\": \"space\"%s},\n"
        "                {\"name\": \"x\", \"type\": \"space\"%s}\n"
        "            ],\n            \"datasets\": [\n",
        w->vs_known ? ", \"unit\": \"nanometer\"" : "",
        w->vs_known ? ", \"unit\": \"nanometer\"" : "",
        w->vs_known ? ", \"unit\": \"nanometer\"" : "");
    for (int l = 0; l < w->nlev && n < sizeof buf; l++) {
        const double f = (double)(1u << l);
        n += (size_t)snprintf(
            buf + n, sizeof buf - n,
            "                {\"path\": \"%d\", \"coordinateTransformations\": "
            "[{\"type\": \"scale\", \"scale\": [%.17g, %.17g, %.17g]}]}%s\n",
            l, w->vs[2] * f, w->vs[1] * f, w->vs[0] * f,
            l + 1 < w->nlev ? "," : "");
    }
    if (n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "            ],\n            \"type\": \"%s\",\n"
                              "            \"metadata\": {\"writer\": "
                              "\"cryofib %s\"}\n        }\n    ]%s\n}\n",
                              w->labels ? "mode" : "mean", fib_version_string(),
                              /* OME-NGFF 0.4 label image: napari opens it as
                               * a labels layer */
                              w->labels ? ",\n    \"image-label\": "
                                          "{\"version\": \"0.4\"}"
                                        : "");
    if (n >= sizeof buf)
        return fib_error_set(err, FIB_EINVAL, "zarr: metadata too long");
    p = fib__img_path_join(w->tmp, ".zattrs");
    if (!p)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    st = write_file(p, buf, n, err);
    free(p);
    if (st)
        return st;
    char comp[128];
    if (w->codec == FIB_ZARR_BLOSC)
        snprintf(comp, sizeof comp,
                 "{\"id\": \"blosc\", \"cname\": \"lz4\", \"clevel\": %d, "
                 "\"shuffle\": 1, \"blocksize\": 0}",
                 BLOSC_LEVEL);
    else if (w->codec == FIB_ZARR_ZLIB)
        snprintf(comp, sizeof comp, "{\"id\": \"zlib\", \"level\": %d}",
                 w->zlevel_c);
    else
        snprintf(comp, sizeof comp, "null");
    for (int l = 0; l < w->nlev; l++) {
        const zlevel *L = &w->lev[l];
        n = (size_t)snprintf(
            buf, sizeof buf,
            "{\n    \"zarr_format\": 2,\n    \"shape\": [%zu, %zu, %zu],\n"
            "    \"chunks\": [%zu, %zu, %zu],\n    \"dtype\": \"%s\",\n"
            "    \"compressor\": %s,\n"
            "    \"fill_value\": 0,\n    \"order\": \"C\",\n"
            "    \"filters\": null,\n    \"dimension_separator\": \"/\"\n}\n",
            L->nz, L->ny, L->nx, L->cz, L->cy, L->cx, dtype_str(w->type), comp);
        if ((st = make_dir(L->dir, err)) != FIB_OK)
            return st;
        p = fib__img_path_join(L->dir, ".zarray");
        if (!p)
            return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
        st = write_file(p, buf, n, err);
        free(p);
        if (st)
            return st;
    }
    return FIB_OK;
}

void fib__zarr_writer_destroy(fib__zarr_writer *w)
{
    if (!w)
        return;
    if (w->tmp && !w->part)
        remove_tree(w->tmp);
    for (int l = 0; l < ZARR_MAX_LEVELS; l++) {
        free(w->lev[l].slab);
        free(w->lev[l].held);
        free(w->lev[l].dir);
    }
    free(w->chunk);
    free(w->zbuf);
    free(w->tmpf);
    free(w->down);
    free(w->path);
    free(w->tmp);
    free(w);
}

/* The levels' sizes from the plan @p d, the part [zb, ze) of level 0
 * at each level, and the buffers (the caller destroys @p w on failure). */
static fib_status alloc_levels(fib__zarr_writer *w,
                               size_t d[ZARR_MAX_LEVELS][6], size_t nx,
                               size_t ny, size_t nz, size_t zb, size_t ze,
                               fib_error *err)
{
    const int nlev = w->nlev;
    size_t cap = 0;
    for (int l = 0; l < nlev; l++) {
        zlevel *L = &w->lev[l];
        L->nx = d[l][0];
        L->ny = d[l][1];
        L->nz = d[l][2];
        L->cz = d[l][3];
        L->cy = d[l][4];
        L->cx = d[l][5];
        L->appended = zb >> l;
        L->end = ze == nz ? L->nz : ze >> l;
        size_t slab, c;
        if (!fib_mul3_size(L->cz, L->ny * L->nx, w->esize, &slab) ||
            !fib_mul3_size(L->cz, L->cy * L->cx, w->esize, &c)) {
            return fib_error_set(err, FIB_ERANGE, "%s: zarr sizes overflow",
                                 w->path);
        }
        cap = c > cap ? c : cap;
        char name[8];
        snprintf(name, sizeof name, "%d", l);
        L->slab = malloc(slab);
        L->held = l + 1 < nlev ? malloc(L->nx * L->ny * sizeof(float)) : NULL;
        L->dir = fib__img_path_join(w->tmp, name);
        if (!L->slab || (l + 1 < nlev && !L->held) || !L->dir)
            return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    }
    w->chunk_cap = cap;
    w->zbuf_cap = compressBound((uLong)cap) + BLOSC_MAX_OVERHEAD;
    w->chunk = malloc(cap);
    w->zbuf = malloc(w->zbuf_cap);
    w->tmpf = malloc(nx * ny * sizeof(float));
    w->down = malloc(((nx + 1) / 2) * ((ny + 1) / 2) * sizeof(float));
    if (!w->chunk || !w->zbuf || !w->tmpf || !w->down)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    return FIB_OK;
}

fib_status fib__zarr_writer_create(const char *path, fib_pixel_type type,
                                   size_t nx, size_t ny, size_t nz,
                                   const double vs[3],
                                   const fib_fmt_write_opts *opts,
                                   fib__zarr_writer **out, fib_error *err)
{
    *out = NULL;
    if (type != FIB_PX_U8 && type != FIB_PX_U16 && type != FIB_PX_U32 &&
        type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: zarr takes u8, u16, u32 or f32 voxels", path);
    fib__zarr_writer *w = calloc(1, sizeof *w);
    if (!w)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    static unsigned counter;
    const size_t lp = strlen(path);
    w->path = malloc(lp + 1);
    w->tmp = malloc(lp + 48);
    if (!w->path || !w->tmp) {
        fib__zarr_writer_destroy(w);
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    }
    memcpy(w->path, path, lp + 1);
    while (lp > 1 && w->path[strlen(w->path) - 1] == '/')
        w->path[strlen(w->path) - 1] = '\0';
    snprintf(w->tmp, lp + 48, "%s.tmp-%ld-%u", w->path, (long)getpid(),
             counter++);
    w->type = type;
    w->esize = fib__img_esize(type);
    w->vs_known = true;
    for (int a = 0; a < 3; a++) {
        const bool k = vs && vs[a] > 0 && isfinite(vs[a]);
        w->vs[a] = k ? vs[a] : 1.0; /* unknown: scale 1, no unit */
        w->vs_known = w->vs_known && k;
    }
    w->labels = opts && opts->zarr_labels;
    w->zlevel_c =
        opts && opts->zarr_zlib_level > 0 && opts->zarr_zlib_level <= 9
            ? opts->zarr_zlib_level
            : 1;
    w->codec = opts ? opts->zarr_compressor : FIB_ZARR_ZLIB;
    if (!fib_fmt_zarr_compressor_name(w->codec)) {
        fib__zarr_writer_destroy(w);
        return fib_error_set(err, FIB_EINVAL,
                             "%s: zarr compressor %d (zlib, blosc or none)",
                             path, w->codec);
    }
    size_t d[ZARR_MAX_LEVELS][6];
    const int nlev = level_plan(nx, ny, nz, w->labels, opts, d);
    w->nlev = nlev;
    /* a part: [zb, ze) of level 0, aligned so that no chunk of any level
     * is shared with another part */
    size_t zb = 0, ze = nz;
    if (opts && opts->zarr_part) {
        const size_t a = fib_fmt_zarr_z_align(nx, ny, nz, opts);
        zb = opts->zarr_z_begin;
        ze = opts->zarr_z_end;
        if (zb > ze || ze > nz || zb % a || (ze != nz && ze % a)) {
            fib__zarr_writer_destroy(w);
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: zarr part %zu..%zu of %zu slices is not "
                                 "aligned to %zu slices",
                                 path, zb, ze, nz, a);
        }
        w->part = true;
        snprintf(w->tmp, lp + 48, "%s", w->path);
    }
    fib_status st = alloc_levels(w, d, nx, ny, nz, zb, ze, err);
    if (st) {
        fib__zarr_writer_destroy(w);
        return st;
    }
    struct stat sb;
    if (stat(w->path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        fib_status e2 = fib_error_set(
            err, FIB_EINVAL, "%s: exists and is not a zarr folder", w->path);
        fib__zarr_writer_destroy(w);
        return e2;
    }
    st = make_dir(w->tmp, err);
    /* the level folders first: the parts of other processes may write
     * chunks before the metadata is there */
    for (int l = 0; l < nlev && !st && w->part; l++)
        st = make_dir(w->lev[l].dir, err);
    if (!st && zb == 0)
        st = write_meta(w, err);
    if (st) {
        fib__zarr_writer_destroy(w);
        return st;
    }
    *out = w;
    return FIB_OK;
}

/* Write the chunk row of level @p l held in its slab (slab_n slices,
 * chunk z index = appended / cz before the row). */
const char *fib_fmt_zarr_compressor_name(int c)
{
    return c == FIB_ZARR_ZLIB    ? "zlib"
           : c == FIB_ZARR_BLOSC ? "blosc"
           : c == FIB_ZARR_RAW   ? "none"
                                 : NULL;
}

int fib_fmt_zarr_compressor_parse(const char *name)
{
    for (int c = 0; c < 3; c++)
        if (name && !strcmp(name, fib_fmt_zarr_compressor_name(c)))
            return c;
    return -1;
}

/* One chunk of n bytes encoded with the writer's codec: the encoded bytes
 * (w->zbuf, or the chunk itself for none) and their count, or NULL.
 * Blosc: lz4 at level 5 with byte shuffle of the element size (numcodecs'
 * Blosc defaults, what zarr-python writes), one internal thread (the
 * context API: no global state, safe beside other threads). */
static const unsigned char *encode(fib__zarr_writer *w, const unsigned char *c,
                                   size_t n, size_t *zn)
{
    if (w->codec == FIB_ZARR_RAW) {
        *zn = n;
        return c;
    }
    if (w->codec == FIB_ZARR_BLOSC) {
        if (n > (size_t)BLOSC_MAX_BUFFERSIZE)
            return NULL;
        const int r =
            blosc_compress_ctx(BLOSC_LEVEL, BLOSC_SHUFFLE, w->esize, n, c,
                               w->zbuf, w->zbuf_cap, "lz4", 0, 1);
        if (r <= 0)
            return NULL;
        *zn = (size_t)r;
        return w->zbuf;
    }
    uLongf z = (uLongf)w->zbuf_cap;
    if (compress2(w->zbuf, &z, c, (uLong)n, w->zlevel_c) != Z_OK)
        return NULL;
    *zn = (size_t)z;
    return w->zbuf;
}

static fib_status flush_slab(fib__zarr_writer *w, int l, fib_error *err)
{
    zlevel *L = &w->lev[l];
    if (!L->slab_n)
        return FIB_OK;
    const size_t cz_idx = (L->appended - L->slab_n) / L->cz;
    const size_t es = w->esize;
    char zdir[64];
    snprintf(zdir, sizeof zdir, "%zu", cz_idx);
    char *dz = fib__img_path_join(L->dir, zdir);
    if (!dz)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    fib_status st = make_dir(dz, err);
    for (size_t cy = 0; !st && cy * L->cy < L->ny; cy++) {
        char ydir[32];
        snprintf(ydir, sizeof ydir, "%zu", cy);
        char *dy = fib__img_path_join(dz, ydir);
        if (!dy) {
            st = fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
            break;
        }
        st = make_dir(dy, err);
        for (size_t cx = 0; !st && cx * L->cx < L->nx; cx++) {
            /* gather the chunk (C order z, y, x), zero padded */
            unsigned char *c = w->chunk;
            const size_t row = L->cx * es;
            memset(c, 0, L->cz * L->cy * row);
            for (size_t k = 0; k < L->slab_n; k++)
                for (size_t y = 0; y < L->cy && cy * L->cy + y < L->ny; y++) {
                    const size_t y0 = cy * L->cy + y, x0 = cx * L->cx;
                    const size_t nxc = x0 + L->cx <= L->nx ? L->cx : L->nx - x0;
                    memcpy(c + (k * L->cy + y) * row,
                           L->slab + ((k * L->ny + y0) * L->nx + x0) * es,
                           nxc * es);
                }
            size_t zn = 0;
            const unsigned char *out = encode(w, c, L->cz * L->cy * row, &zn);
            if (!out) {
                st = fib_error_set(err, FIB_EIO, "%s: %s compression failed",
                                   w->path,
                                   fib_fmt_zarr_compressor_name(w->codec));
                break;
            }
            char xname[32];
            snprintf(xname, sizeof xname, "%zu", cx);
            char *f = fib__img_path_join(dy, xname);
            if (!f) {
                st = fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
                break;
            }
            st = write_file(f, out, zn, err);
            free(f);
        }
        free(dy);
    }
    free(dz);
    L->slab_n = 0;
    return st;
}

static float get_f(const void *row, fib_pixel_type t, size_t i)
{
    switch (t) {
    case FIB_PX_U8:
        return ((const uint8_t *)row)[i];
    case FIB_PX_U16:
        return ((const uint16_t *)row)[i];
    case FIB_PX_U32:
        return (float)((const uint32_t *)row)[i];
    default:
        return ((const float *)row)[i];
    }
}

static void put_slab(fib__zarr_writer *w, zlevel *L, size_t y, const float *src,
                     const void *raw)
{
    unsigned char *dst = L->slab + (L->slab_n * L->ny + y) * L->nx * w->esize;
    if (raw) {
        memcpy(dst, raw, L->nx * w->esize);
        return;
    }
    for (size_t x = 0; x < L->nx; x++) {
        const float v = src[x];
        switch (w->type) {
        case FIB_PX_U8:
            dst[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : floorf(v + 0.5f));
            break;
        case FIB_PX_U16: {
            const uint16_t q = (uint16_t)(v < 0       ? 0
                                          : v > 65535 ? 65535
                                                      : floorf(v + 0.5f));
            memcpy(dst + 2 * x, &q, 2);
            break;
        }
        case FIB_PX_U32: {
            const uint32_t q = (uint32_t)(v < 0 ? 0 : v);
            memcpy(dst + 4 * x, &q, 4);
            break;
        }
        default:
            memcpy(dst + 4 * x, &v, 4);
        }
    }
}

/* Most frequent of n values (ties: the smallest). */
static float mode_of(float *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            const float t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    float best = v[0];
    int bc = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && v[j] == v[i])
            j++;
        if (j - i > bc) {
            bc = j - i;
            best = v[i];
        }
        i = j;
    }
    return best;
}

static fib_status push_level(fib__zarr_writer *w, int l, const float *f,
                             const fib_image *raw, fib_error *err);

/* Reduce the held slice of level l (and @p second, or NULL at the end of
 * an odd level) 2x2x2 into level l + 1. */
static fib_status reduce_into(fib__zarr_writer *w, int l, const float *second,
                              fib_error *err)
{
    zlevel *L = &w->lev[l], *N = &w->lev[l + 1];
    for (size_t Y = 0; Y < N->ny; Y++)
        for (size_t X = 0; X < N->nx; X++) {
            float v[8];
            int n = 0;
            for (int s = 0; s < (second ? 2 : 1); s++) {
                const float *src = s ? second : L->held;
                for (size_t dy = 0; dy < 2; dy++)
                    for (size_t dx = 0; dx < 2; dx++) {
                        const size_t y = 2 * Y + dy, x = 2 * X + dx;
                        if (y < L->ny && x < L->nx)
                            v[n++] = src[y * L->nx + x];
                    }
            }
            float out;
            if (w->labels)
                out = mode_of(v, n);
            else {
                double acc = 0;
                for (int k = 0; k < n; k++)
                    acc += (double)v[k];
                out = (float)(acc / n);
            }
            w->down[Y * N->nx + X] = out;
        }
    L->has_held = false;
    return push_level(w, l + 1, w->down, NULL, err);
}

/* Append one slice (as f32 @p f, or the original image @p raw for level 0
 * when no conversion is needed) to level l. */
static fib_status push_level(fib__zarr_writer *w, int l, const float *f,
                             const fib_image *raw, fib_error *err)
{
    zlevel *L = &w->lev[l];
    for (size_t y = 0; y < L->ny; y++)
        put_slab(w, L, y, f ? f + y * L->nx : NULL,
                 raw ? fib_image_row(raw, y) : NULL);
    L->slab_n++;
    L->appended++;
    fib_status st = FIB_OK;
    if (L->slab_n == L->cz || L->appended == L->end)
        st = flush_slab(w, l, err);
    if (st || l + 1 >= w->nlev)
        return st;
    /* the pyramid: keep the first of a pair, reduce with the second */
    const float *cur = f;
    if (!cur) {
        for (size_t y = 0; y < L->ny; y++) {
            const void *row = fib_image_row(raw, y);
            for (size_t x = 0; x < L->nx; x++)
                w->tmpf[y * L->nx + x] = get_f(row, w->type, x);
        }
        cur = w->tmpf;
    }
    if (!L->has_held) {
        memcpy(L->held, cur, L->nx * L->ny * sizeof(float));
        L->has_held = true;
        if (L->appended == L->nz) /* odd count: the last one alone */
            return reduce_into(w, l, NULL, err);
        return FIB_OK;
    }
    /* cur may be w->down of this level's caller: copy first */
    if (cur == w->down) {
        memcpy(w->tmpf, cur, L->nx * L->ny * sizeof(float));
        cur = w->tmpf;
    }
    return reduce_into(w, l, cur, err);
}

fib_status fib__zarr_writer_append(fib__zarr_writer *w, const fib_image *slice,
                                   fib_error *err)
{
    if (w->failed)
        return fib_error_set(err, FIB_EIO, "%s: writer failed earlier",
                             w->path);
    zlevel *L = &w->lev[0];
    if (L->appended >= L->end)
        return fib_error_set(err, FIB_EINVAL, "%s: more than %zu slices",
                             w->path, L->end);
    if (slice->width != L->nx || slice->height != L->ny ||
        slice->type != w->type)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: slice is %zux%zu %s, the volume %zux%zu %s",
                             w->path, slice->width, slice->height,
                             fib_pixel_type_name(slice->type), L->nx, L->ny,
                             fib_pixel_type_name(w->type));
    fib_status st = push_level(w, 0, NULL, slice, err);
    if (st)
        w->failed = true;
    return st;
}

fib_status fib__zarr_writer_finish(fib__zarr_writer *w, fib_error *err)
{
    if (w->failed)
        return fib_error_set(err, FIB_EIO, "%s: writer failed earlier",
                             w->path);
    if (w->lev[0].appended != w->lev[0].end)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: %zu slices appended, %zu announced", w->path,
                             w->lev[0].appended, w->lev[0].end);
    if (w->part) /* the caller stages the folder: nothing to rename */
        return FIB_OK;
    /* the test hook of fib/txn.h (FIB_TEST_FAIL_WRITE) */
    fib_status inj = fib__atomic_inject(w->path, err);
    if (inj != FIB_OK)
        return inj;
    /* replace an earlier result as a whole: move it aside, rename, remove */
    struct stat sb;
    char *old = NULL;
    if (stat(w->path, &sb) == 0) {
        const size_t ol = strlen(w->tmp) + 5;
        old = malloc(ol);
        if (!old)
            return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
        snprintf(old, ol, "%s.old", w->tmp);
        if (rename(w->path, old) != 0) {
            fib_status e2 = fib_error_set(err, FIB_EIO,
                                          "%s: cannot move the old folder "
                                          "aside: %s",
                                          w->path, strerror(errno));
            free(old);
            return e2;
        }
    }
    if (rename(w->tmp, w->path) != 0) {
        fib_status e2 = fib_error_set(err, FIB_EIO, "%s: rename failed: %s",
                                      w->path, strerror(errno));
        if (old)
            (void)rename(old, w->path);
        free(old);
        return e2;
    }
    if (old) {
        remove_tree(old);
        free(old);
    }
    free(w->tmp);
    w->tmp = NULL; /* nothing to remove at destroy */
    return FIB_OK;
}
