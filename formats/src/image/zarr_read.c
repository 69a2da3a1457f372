/*
 * zarr_read.c -- OME-Zarr volumes (zarr_write.c has the layout): level 0
 * of ROOT (a multiscales group, or a bare array folder), dtypes u1, u2,
 * u4, f4 little-endian, compressor zlib, gzip, blosc or none, C order, "." or
 * "/" separators.  A missing chunk is an error naming the array and the chunk
 * (the Zarr spec reads it as fill_value; for a volume that was copied
 * incompletely that is silent data loss).
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
#include <limits.h>
#include <stdint.h>
#include <zlib.h>

#include "fib/checked.h"
#include "fmt_internal.h"
#include "image_util.h"
#include "zarr_internal.h"

/* ---- a minimal JSON reader for .zarray / .zattrs ---------------------------
 * Enough of RFC 8259 for Zarr metadata: the value of a key path is found
 * by scanning; no DOM. */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

/* Skip one JSON value starting at p (after whitespace); NULL if malformed. */
static const char *skip_value(const char *p, int depth)
{
    p = skip_ws(p);
    if (depth > 64)
        return NULL;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1])
                p++;
        return *p == '"' ? p + 1 : NULL;
    }
    if (*p == '{' || *p == '[') {
        const char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                p = skip_value(p, depth + 1); /* key */
                if (!p)
                    return NULL;
                p = skip_ws(p);
                if (*p != ':')
                    return NULL;
                p++;
            }
            p = skip_value(p, depth + 1);
            if (!p)
                return NULL;
            p = skip_ws(p);
            if (*p == ',') {
                p = skip_ws(p + 1);
                continue;
            }
            return *p == close ? p + 1 : NULL;
        }
    }
    const char *s = p;
    while (*p && !strchr(",]} \n\r\t", *p))
        p++;
    return p > s ? p : NULL;
}

/* The value of key @p key in the object starting at p ('{'), or NULL. */
static const char *obj_get(const char *p, const char *key)
{
    if (!p)
        return NULL;
    p = skip_ws(p);
    if (*p != '{')
        return NULL;
    p = skip_ws(p + 1);
    const size_t kl = strlen(key);
    while (*p == '"') {
        const char *k = p + 1;
        const char *e = skip_value(p, 0);
        if (!e)
            return NULL;
        const bool match = (size_t)(e - 1 - k) == kl && !strncmp(k, key, kl);
        p = skip_ws(e);
        if (*p != ':')
            return NULL;
        p = skip_ws(p + 1);
        if (match)
            return p;
        p = skip_value(p, 0);
        if (!p)
            return NULL;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else
            break;
    }
    return NULL;
}

/* Up to @p max numbers of an array at p into v; count, or -1. */
static int num_array(const char *p, double *v, int max)
{
    if (!p)
        return -1;
    p = skip_ws(p);
    if (!p || *p != '[')
        return -1;
    p = skip_ws(p + 1);
    int n = 0;
    while (*p && *p != ']') {
        char *e;
        errno = 0;
        const double d = strtod(p, &e);
        if (e == p || errno || n >= max)
            return -1;
        v[n++] = d;
        p = skip_ws(e);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p != ']')
            return -1;
    }
    return *p == ']' ? n : -1;
}

/* A JSON string value at p into buf (no escapes needed for our keys). */
static bool str_value(const char *p, char *buf, size_t cap)
{
    if (!p)
        return false;
    p = skip_ws(p);
    if (!p || *p != '"')
        return false;
    const char *e = strchr(p + 1, '"');
    if (!e || (size_t)(e - p - 1) >= cap)
        return false;
    memcpy(buf, p + 1, (size_t)(e - p - 1));
    buf[e - p - 1] = '\0';
    return true;
}

static char *slurp(const char *path, size_t max, fib_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fib_error_set(err, errno == ENOENT ? FIB_ENOTFOUND : FIB_EIO,
                      "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max + 1, f) : 0;
    fclose(f);
    if (!b) {
        fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
        return NULL;
    }
    if (n > max) {
        free(b);
        fib_error_set(err, FIB_EFORMAT, "%s: metadata over %zu bytes", path,
                      max);
        return NULL;
    }
    b[n] = '\0';
    return b;
}

bool fib__zarr_is(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return false;
    char *a = fib__img_path_join(path, ".zattrs"),
         *b = fib__img_path_join(path, ".zarray");
    const bool yes = (a && stat(a, &sb) == 0) || (b && stat(b, &sb) == 0);
    free(a);
    free(b);
    return yes;
}

/* The array folder of level 0 and its voxel size (from the multiscales
 * scale, nm; 0 when absent). */
static fib_status find_array(const char *root, char **arr_out, double vs[3],
                             fib_error *err)
{
    vs[0] = vs[1] = vs[2] = 0;
    char *za = fib__img_path_join(root, ".zarray");
    struct stat sb;
    if (za && stat(za, &sb) == 0) { /* a bare array */
        free(za);
        const size_t rl = strlen(root) + 1;
        *arr_out = malloc(rl);
        if (!*arr_out)
            return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
        memcpy(*arr_out, root, rl);
        return FIB_OK;
    }
    free(za);
    char *at = fib__img_path_join(root, ".zattrs");
    if (!at)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    char *txt = slurp(at, 1 << 20, err);
    if (!txt) {
        free(at);
        return err ? err->code : FIB_EIO;
    }
    const char *ms = obj_get(txt, "multiscales");
    ms = ms ? skip_ws(ms) : NULL;
    const char *ds =
        ms && *ms == '[' ? obj_get(skip_ws(ms + 1), "datasets") : NULL;
    ds = ds ? skip_ws(ds) : NULL;
    const char *d0 = ds && *ds == '[' ? skip_ws(ds + 1) : NULL;
    char name[256];
    if (!d0 || !str_value(obj_get(d0, "path"), name, sizeof name) ||
        strstr(name, "..") || name[0] == '/') {
        fib_status e2 = fib_error_set(
            err, FIB_EFORMAT, "%s: no multiscales[0].datasets[0].path", at);
        free(txt);
        free(at);
        return e2;
    }
    /* the scale is a length only when the axes name a unit */
    const char *ax = ms && *ms == '[' ? obj_get(skip_ws(ms + 1), "axes") : NULL;
    ax = ax ? skip_ws(ax) : NULL;
    const char *ax0 = ax && *ax == '[' ? skip_ws(ax + 1) : NULL;
    char unit[32] = "";
    double to_nm = 0;
    if (ax0 && str_value(obj_get(ax0, "unit"), unit, sizeof unit))
        to_nm = !strcmp(unit, "nanometer")    ? 1.0
                : !strcmp(unit, "micrometer") ? 1e3
                : !strcmp(unit, "angstrom")   ? 0.1
                : !strcmp(unit, "millimeter") ? 1e6
                                              : 0;
    const char *ct = obj_get(d0, "coordinateTransformations");
    ct = ct ? skip_ws(ct) : NULL;
    if (ct && *ct == '[') {
        double s[8];
        const char *sc = obj_get(skip_ws(ct + 1), "scale");
        const int ns = sc ? num_array(sc, s, 8) : 3;
        if (sc && (ns != 3 || !(s[0] > 0 && s[1] > 0 && s[2] > 0) ||
                   !isfinite(s[0] + s[1] + s[2]))) {
            const fib_status e3 = fib_error_set(
                err, FIB_EFORMAT,
                "%s: multiscales[0].datasets[0] scale must list 3 positive "
                "numbers (z, y, x) for the 3-D array (got %d numbers; -1: "
                "not a list of numbers)",
                at, ns);
            free(txt);
            free(at);
            return e3;
        }
        if (sc && to_nm > 0) {
            vs[0] = s[2] * to_nm;
            vs[1] = s[1] * to_nm;
            vs[2] = s[0] * to_nm;
        }
    }
    free(txt);
    free(at);
    *arr_out = fib__img_path_join(root, name);
    return *arr_out ? FIB_OK
                    : fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
}

enum { CODEC_NONE, CODEC_ZLIB, CODEC_BLOSC };

typedef struct zarray {
    size_t shape[3], chunks[3];
    fib_pixel_type type;
    int codec; /* CODEC_*: numcodecs "zlib"/"gzip", "blosc" or none */
    char sep;
} zarray;

/* Three sizes in 1..FIB_MAX_EXTENT under @p key of the .zarray text. */
static fib_status sizes3(const char *txt, const char *key, const char *path,
                         size_t out[3], fib_error *err)
{
    double v[4];
    if (num_array(obj_get(txt, key), v, 4) != 3)
        return fib_error_set(err, FIB_EFORMAT, "%s: %s must list 3 sizes", path,
                             key);
    for (int a = 0; a < 3; a++) {
        if (!(v[a] >= 1) || v[a] != floor(v[a]) ||
            v[a] > (double)FIB_MAX_EXTENT)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: %s[%d] = %g is not a size in 1..%zu",
                                 path, key, a, v[a], (size_t)FIB_MAX_EXTENT);
        out[a] = (size_t)v[a];
    }
    return FIB_OK;
}

static fib_status parse_zarray(const char *arr, zarray *za,
                               const fib_fmt_read_opts *opts, fib_error *err)
{
    char *p = fib__img_path_join(arr, ".zarray");
    if (!p)
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    char *txt = slurp(p, 1 << 16, err);
    if (!txt) {
        free(p);
        return err ? err->code : FIB_EIO;
    }
    fib_status st = FIB_OK;
    char dt[16], order[4], sep[4] = ".", cid[16];
    const char *comp = obj_get(txt, "compressor");
    if ((st = sizes3(txt, "shape", p, za->shape, err)) != FIB_OK ||
        (st = sizes3(txt, "chunks", p, za->chunks, err)) != FIB_OK)
        goto done;
    if (!str_value(obj_get(txt, "dtype"), dt, sizeof dt)) {
        st = fib_error_set(err, FIB_EFORMAT, "%s: no dtype", p);
        goto done;
    }
    if (!strcmp(dt, "|u1") || !strcmp(dt, "<u1"))
        za->type = FIB_PX_U8;
    else if (!strcmp(dt, "<u2"))
        za->type = FIB_PX_U16;
    else if (!strcmp(dt, "<u4"))
        za->type = FIB_PX_U32;
    else if (!strcmp(dt, "<f4"))
        za->type = FIB_PX_F32;
    else {
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s: dtype '%s' not supported (|u1, <u2, <u4, <f4)",
                           p, dt);
        goto done;
    }
    if (str_value(obj_get(txt, "order"), order, sizeof order) &&
        strcmp(order, "C")) {
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s: order '%s' not supported (C only)", p, order);
        goto done;
    }
    (void)str_value(obj_get(txt, "dimension_separator"), sep, sizeof sep);
    za->sep = sep[0] == '/' ? '/' : '.';
    za->codec = CODEC_NONE;
    if (comp && strncmp(skip_ws(comp), "null", 4)) {
        if (!str_value(obj_get(comp, "id"), cid, sizeof cid) ||
            (strcmp(cid, "zlib") && strcmp(cid, "gzip") &&
             strcmp(cid, "blosc"))) {
            st = fib_error_set(err, FIB_EFORMAT,
                               "%s: compressor not supported (zlib, gzip, "
                               "blosc or none)",
                               p);
            goto done;
        }
        za->codec = strcmp(cid, "blosc") ? CODEC_ZLIB : CODEC_BLOSC;
    }
    /* filters (delta, fixed scale offset, ...) change the bytes: none read */
    const char *filt = obj_get(txt, "filters");
    if (filt && strncmp(skip_ws(filt), "null", 4) &&
        strncmp(skip_ws(filt), "[]", 2)) {
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s: filters not supported (null only)", p);
        goto done;
    }
    size_t bytes;
    st = fib__check_dims(p, (long long)za->shape[2], (long long)za->shape[1],
                         (long long)za->shape[0], fib__img_esize(za->type),
                         fib__max_bytes(opts), &bytes, err);
done:
    free(txt);
    free(p);
    return st;
}

fib_status fib__zarr_probe(const char *path, fib_fmt_info *info, fib_error *err)
{
    char *arr = NULL;
    double vs[3];
    fib_status st = find_array(path, &arr, vs, err);
    if (st)
        return st;
    zarray za;
    fib_fmt_read_opts o = {0};
    o.max_bytes = FIB__PROBE_MAX_BYTES;
    st = parse_zarray(arr, &za, &o, err);
    free(arr);
    if (st)
        return st;
    info->kind = FIB_FMT_ZARR;
    info->nx = za.shape[2];
    info->ny = za.shape[1];
    info->nz = za.shape[0];
    info->type = za.type;
    snprintf(info->compression, sizeof info->compression, "%s",
             za.codec == CODEC_BLOSC  ? "blosc"
             : za.codec == CODEC_ZLIB ? "zlib"
                                      : "none");
    info->meta.pixel_size_nm[0] = vs[0] > 0 ? vs[0] : (double)NAN;
    info->meta.pixel_size_nm[1] = vs[1] > 0 ? vs[1] : (double)NAN;
    info->meta.voxel_depth_nm = vs[2] > 0 ? vs[2] : (double)NAN;
    return FIB_OK;
}

/* Decode a zlib or gzip stream (numcodecs Zlib / GZip) into out[cap]:
 * the bytes produced, or 0 on any error. */
static size_t inflate_any(const unsigned char *in, size_t n, unsigned char *out,
                          size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (n > UINT_MAX || cap > UINT_MAX || inflateInit2(&zs, 15 + 32) != Z_OK)
        return 0; /* 15 + 32: zlib or gzip header, detected */
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    const int r = inflate(&zs, Z_FINISH);
    const size_t got = r == Z_STREAM_END ? (size_t)zs.total_out : 0;
    inflateEnd(&zs);
    return got;
}

/* Decode a Blosc frame (numcodecs Blosc) into out[cap]: the bytes
 * produced, or 0 when the frame is invalid or not exactly cap bytes. */
static size_t unblosc(const unsigned char *in, size_t n, unsigned char *out,
                      size_t cap)
{
    size_t nbytes = 0;
    if (n < BLOSC_MIN_HEADER_LENGTH ||
        blosc_cbuffer_validate(in, n, &nbytes) != 0 || nbytes != cap)
        return 0;
    const int r = blosc_decompress_ctx(in, out, cap, 1);
    return r > 0 ? (size_t)r : 0;
}

/* Read chunk (cz, cy, cx) of array @p arr from file @p cp into @p chunk
 * (@p craw bytes after decoding; *zin / *zcap: the buffer of the
 * compressed stream, grown here). */
static fib_status read_chunk(const char *cp, const zarray *za, const char *arr,
                             size_t cz, size_t cy, size_t cx,
                             unsigned char *chunk, size_t craw,
                             unsigned char **zin, size_t *zcap, fib_error *err)
{
    FILE *f = fopen(cp, "rb");
    if (!f)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: chunk %zu%c%zu%c%zu missing (%s)", arr, cz,
                             za->sep, cy, za->sep, cx, strerror(errno));
    size_t got;
    if (za->codec != CODEC_NONE) {
        /* whole compressed chunk, at most the limit (blosc adds a 16-byte
         * header; zlib at most 5 bytes per 16 KiB block + 6) */
        struct stat sb;
        if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 ||
            (size_t)sb.st_size > craw + craw / 8 + 1024) {
            fclose(f);
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: chunk %zu%c%zu%c%zu: bad "
                                 "size",
                                 arr, cz, za->sep, cy, za->sep, cx);
        }
        if ((size_t)sb.st_size > *zcap) {
            free(*zin);
            *zcap = (size_t)sb.st_size + 1;
            *zin = malloc(*zcap);
        }
        if (!*zin) {
            fclose(f);
            return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
        }
        const size_t zn = fread(*zin, 1, (size_t)sb.st_size, f);
        got = za->codec == CODEC_BLOSC ? unblosc(*zin, zn, chunk, craw)
                                       : inflate_any(*zin, zn, chunk, craw);
    } else {
        got = fread(chunk, 1, craw, f);
    }
    fclose(f);
    if (got != craw)
        return fib_error_set(err, FIB_EFORMAT,
                             "%s: chunk %zu%c%zu%c%zu: %zu bytes "
                             "after decoding, %zu expected",
                             arr, cz, za->sep, cy, za->sep, cx, got, craw);
    return FIB_OK;
}

/* Copy the part of chunk (cz, cy, cx) inside sections [z0, z0 + vol->nz)
 * of the array into @p vol (its section z - z0). */
static void scatter_chunk(fib_volume *vol, const zarray *za,
                          const unsigned char *chunk, size_t cz, size_t cy,
                          size_t cx, size_t es, size_t z0)
{
    const size_t ny = za->shape[1], nx = za->shape[2];
    for (size_t k = 0; k < za->chunks[0]; k++) {
        const size_t za_z = cz * za->chunks[0] + k;
        if (za_z < z0)
            continue;
        const size_t z = za_z - z0;
        if (z >= vol->nz)
            break;
        for (size_t yy = 0; yy < za->chunks[1]; yy++) {
            const size_t y = cy * za->chunks[1] + yy;
            if (y >= ny)
                break;
            const size_t x0 = cx * za->chunks[2];
            const size_t n = x0 + za->chunks[2] <= nx ? za->chunks[2] : nx - x0;
            memcpy((unsigned char *)vol->data + ((z * ny + y) * nx + x0) * es,
                   chunk + ((k * za->chunks[1] + yy) * za->chunks[2]) * es,
                   n * es);
        }
    }
}

fib_status fib__zarr_read(const char *path, const fib_fmt_read_opts *opts,
                          fib_volume *vol, fib_error *err)
{
    return fib__zarr_read_z(path, opts, 0, 0, vol, err);
}

/* Sections [z0, z0 + count) of level 0 (count 0: all), reading only the
 * chunks that hold them. */
fib_status fib__zarr_read_z(const char *path, const fib_fmt_read_opts *opts,
                            size_t z0, size_t count, fib_volume *vol,
                            fib_error *err)
{
    char *arr = NULL;
    double vs[3];
    fib_status st = find_array(path, &arr, vs, err);
    if (st)
        return st;
    zarray za;
    if ((st = parse_zarray(arr, &za, opts, err)) != FIB_OK) {
        free(arr);
        return st;
    }
    const size_t nz = za.shape[0], ny = za.shape[1], nx = za.shape[2];
    const size_t es = fib__img_esize(za.type);
    if (count == 0) {
        z0 = 0;
        count = nz;
    }
    if (z0 >= nz || count > nz - z0) {
        st = fib_error_set(err, FIB_ERANGE,
                           "%s: sections %zu..%zu requested, the array has "
                           "%zu",
                           path, z0, z0 + count - 1, nz);
        free(arr);
        return st;
    }
    if ((st = fib_volume_init(vol, za.type, nx, ny, count, err)) != FIB_OK) {
        free(arr);
        return st;
    }
    for (int a = 0; a < 3; a++)
        vol->voxel_size_nm[a] = vs[a];
    size_t craw;
    if (!fib_mul3_size(za.chunks[0], za.chunks[1] * za.chunks[2], es, &craw) ||
        craw > fib__max_bytes(opts)) {
        fib_volume_clear(vol);
        fib_status e2 = fib_error_set(err, FIB_ERANGE,
                                      "%s: chunk size over the limit", arr);
        free(arr);
        return e2;
    }
    unsigned char *chunk = malloc(craw), *zin = NULL;
    size_t zcap = 0;
    if (!chunk) {
        fib_volume_clear(vol);
        free(arr);
        return fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    }
    const size_t ncz = (nz + za.chunks[0] - 1) / za.chunks[0];
    const size_t ncy = (ny + za.chunks[1] - 1) / za.chunks[1];
    const size_t ncx = (nx + za.chunks[2] - 1) / za.chunks[2];
    const size_t alen = strlen(arr);
    char *cp = malloc(alen + 80);
    const size_t cz1 = (z0 + count - 1) / za.chunks[0] + 1;
    for (size_t cz = z0 / za.chunks[0]; !st && cz < cz1 && cz < ncz && cp; cz++)
        for (size_t cy = 0; !st && cy < ncy; cy++)
            for (size_t cx = 0; !st && cx < ncx; cx++) {
                snprintf(cp, alen + 80, "%s/%zu%c%zu%c%zu", arr, cz, za.sep, cy,
                         za.sep, cx);
                st = read_chunk(cp, &za, arr, cz, cy, cx, chunk, craw, &zin,
                                &zcap, err);
                if (st)
                    break;
                scatter_chunk(vol, &za, chunk, cz, cy, cx, es, z0);
            }
    if (!cp && !st)
        st = fib_error_set(err, FIB_ENOMEM, "zarr: out of memory");
    free(cp);
    free(chunk);
    free(zin);
    free(arr);
    if (st)
        fib_volume_clear(vol);
    return st;
}
