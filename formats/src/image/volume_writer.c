/*
 * volume_writer.c -- streaming volume output (MRC, NRRD raw/gzip, TIFF
 * ImageJ stacks) and the whole-image / whole-volume writers built on it.
 *
 * The file is written under "<path>.tmp-<pid>-<n>" and renamed over
 * <path> by fib_fmt_volume_writer_finish(); destroy without finish
 * removes the temporary file.  Buffers are allocated at create time, so
 * appending a slice does not allocate.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomic.h"
#include "fib/checked.h"
#include "fmt_internal.h"
#include "tiff_out.h"
#include "zarr_internal.h"

/* Largest u32 label stored exactly in an MRC mode-2 (float32) file. */
#define MRC_MAX_EXACT_LABEL 16777216u

struct fib_fmt_volume_writer {
    fib_fmt_kind kind;
    fib_pixel_type type;
    size_t nx, ny, nz, appended;
    double vs[3];
    fib_fmt_write_opts opts;
    char *path, *tmp;
    FILE *fp;
    fib__tiff_out *tif;
    fib__ij_out *ij;        /* uncompressed TIFF in ImageJ layout */
    fib__zarr_writer *zarr; /* OME-Zarr folder (zarr_write.c) */
    z_stream zs;
    bool z_init;
    int mrc_mode;
    unsigned char *buf; /* converted slice (MRC) */
    size_t buf_bytes;
    unsigned char *zout; /* deflate output */
    size_t zout_cap;
    /* running statistics (Chan et al. pairwise mean/M2 update) */
    double n_seen, mean, m2, min, max;
    bool failed;
};

static fib_status io_fail(fib_fmt_volume_writer *w, fib_error *err)
{
    w->failed = true;
    return fib_error_set(err, FIB_EIO, "%s: write failed: %s", w->path,
                         strerror(errno));
}

static const char *nrrd_type(fib_pixel_type t)
{
    switch (t) {
    case FIB_PX_U8:
        return "uint8";
    case FIB_PX_U16:
        return "uint16";
    case FIB_PX_U32:
        return "uint32";
    default:
        return "float";
    }
}

static fib_status write_nrrd_header(fib_fmt_volume_writer *w, fib_error *err)
{
    const bool two_d = w->nz == 1;
    fprintf(w->fp, "NRRD0004\n# written by cryofib %s\n", fib_version_string());
    fprintf(w->fp, "type: %s\ndimension: %d\n", nrrd_type(w->type),
            two_d ? 2 : 3);
    if (two_d)
        fprintf(w->fp, "sizes: %zu %zu\n", w->nx, w->ny);
    else
        fprintf(w->fp, "sizes: %zu %zu %zu\n", w->nx, w->ny, w->nz);
    const int d = two_d ? 2 : 3;
    bool known = true;
    for (int i = 0; i < d; i++)
        known = known && w->vs[i] > 0;
    if (known) {
        fprintf(w->fp, "spacings:");
        for (int i = 0; i < d; i++)
            fprintf(w->fp, " %.17g", w->vs[i]);
        fprintf(w->fp, "\nunits:");
        for (int i = 0; i < d; i++)
            fprintf(w->fp, " \"nm\"");
        fprintf(w->fp, "\n");
    }
    fprintf(w->fp, "endian: little\nencoding: %s\n\n",
            w->opts.nrrd_gzip ? "gzip" : "raw");
    if (ferror(w->fp))
        return io_fail(w, err);
    return FIB_OK;
}

static fib_status mrc_header(fib_fmt_volume_writer *w, fib_error *err)
{
    unsigned char hdr[FIB__MRC_HEADER];
    fib__mrc_stats st = {0, 0, 0, 0};
    if (w->n_seen > 0) {
        st.min = w->min;
        st.max = w->max;
        st.mean = w->mean;
        st.rms = sqrt(w->m2 / w->n_seen);
    }
    fib__mrc_header_encode(hdr, w->mrc_mode, w->nx, w->ny, w->nz, w->vs, &st);
    const size_t nv = w->opts.mrc_volumes;
    if (nv > 1 && w->nz % nv == 0) { /* MRC2014 volume stack */
        const size_t mz = w->nz / nv;
        const uint32_t u = (uint32_t)mz, ispg = 401;
        const float cz =
            w->vs[2] > 0 ? (float)(w->vs[2] * 10.0 * (double)mz) : 0.0f;
        uint32_t cb;
        memcpy(&cb, &cz, sizeof cb);
        for (int b = 0; b < 4; b++) {
            hdr[36 + b] = (unsigned char)(u >> (8 * b));    /* mz */
            hdr[88 + b] = (unsigned char)(ispg >> (8 * b)); /* ispg */
            hdr[48 + b] = (unsigned char)(cb >> (8 * b));   /* cella z */
        }
    }
    if (fseek(w->fp, 0, SEEK_SET) != 0 ||
        fwrite(hdr, 1, sizeof hdr, w->fp) != sizeof hdr)
        return io_fail(w, err);
    return FIB_OK;
}

/* The size and type rules of a volume writer for @p kind. */
static fib_status check_request(const char *path, fib_fmt_kind kind,
                                fib_pixel_type type, size_t nx, size_t ny,
                                size_t nz, fib_error *err)
{
    if (fib_pixel_size_bytes(type) == 0)
        return fib_error_set(err, FIB_EINVAL, "%s: bad pixel type %d", path,
                             (int)type);
    const size_t dims[3] = {nx, ny, nz};
    for (int i = 0; i < 3; i++)
        if (dims[i] == 0 || dims[i] > FIB_MAX_EXTENT)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: volume size %zu x %zu x %zu out of "
                                 "range (1..%zu per axis)",
                                 path, nx, ny, nz, (size_t)FIB_MAX_EXTENT);
    if (kind == FIB_FMT_TIFF && (nx > UINT32_MAX || ny > UINT32_MAX))
        return fib_error_set(err, FIB_EINVAL, "%s: too large for tiff", path);
    if (kind == FIB_FMT_MRC && (nx > INT32_MAX || ny > INT32_MAX))
        return fib_error_set(err, FIB_EINVAL, "%s: too large for mrc", path);
    return FIB_OK;
}

/* Open the temporary MRC or NRRD file of @p w and write its header (and
 * set up gzip for NRRD); on failure w->tmp is gone when nothing was
 * created. */
static fib_status open_raw(fib_fmt_volume_writer *w, fib_error *err)
{
    fib_status st;
    w->fp = fopen(w->tmp, "wb");
    if (!w->fp) {
        st = fib_error_set(err, FIB_EIO, "%s: cannot create: %s", w->path,
                           strerror(errno));
        free(w->tmp);
        w->tmp = NULL;
        return st;
    }
    if (w->kind == FIB_FMT_MRC) {
        w->mrc_mode = (w->type == FIB_PX_U8 || w->type == FIB_PX_U16) ? 6 : 2;
        w->buf_bytes = w->nx * w->ny * (w->mrc_mode == 6 ? 2u : 4u);
        w->buf = malloc(w->buf_bytes);
        if (!w->buf) {
            st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", w->path);
            return st;
        }
        if ((st = mrc_header(w, err)) != FIB_OK)
            return st;
    } else { /* NRRD */
        if ((st = write_nrrd_header(w, err)) != FIB_OK)
            return st;
        if (w->opts.nrrd_gzip) {
            if (deflateInit2(&w->zs, 6, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) != Z_OK) {
                st = fib_error_set(err, FIB_ENOMEM, "%s: zlib init failed",
                                   w->path);
                return st;
            }
            w->z_init = true;
            w->zout_cap = 1 << 18;
            w->zout = malloc(w->zout_cap);
            w->buf_bytes = w->nx * fib_pixel_size_bytes(w->type);
            w->buf = malloc(w->buf_bytes);
            if (!w->zout || !w->buf) {
                st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory",
                                   w->path);
                return st;
            }
        }
    }
    return FIB_OK;
}

fib_status fib_fmt_volume_writer_create(const char *path, fib_pixel_type type,
                                        size_t nx, size_t ny, size_t nz,
                                        const double voxel_size_nm[3],
                                        const fib_fmt_write_opts *opts,
                                        fib_fmt_volume_writer **out,
                                        fib_error *err)
{
    if (!out)
        return fib_error_set(err, FIB_EINVAL, "formats: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return fib_error_set(err, FIB_EINVAL, "formats: empty output path");
    const fib_fmt_kind kind = fib_fmt_kind_from_path(path);
    if (kind == FIB_FMT_UNKNOWN || kind == FIB_FMT_PNG)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: unknown volume extension (use .tif, .tiff, "
                             ".mrc, .map, .rec, .nrrd or .zarr)",
                             path);
    fib_status cs = check_request(path, kind, type, nx, ny, nz, err);
    if (cs != FIB_OK)
        return cs;
    if (opts && opts->zarr_part && kind != FIB_FMT_ZARR)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: only OME-Zarr (.zarr) is written in parts "
                             "by several processes",
                             path);
    fib_fmt_volume_writer *w = calloc(1, sizeof *w);
    if (!w)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    w->kind = kind;
    w->type = type;
    w->nx = nx;
    w->ny = ny;
    w->nz = nz;
    if (kind == FIB_FMT_ZARR) {
        if (opts && opts->zarr_part) /* this writer's slices */
            w->nz = opts->zarr_z_end > opts->zarr_z_begin
                        ? opts->zarr_z_end - opts->zarr_z_begin
                        : 0;
        fib_status zs = fib__zarr_writer_create(
            path, type, nx, ny, nz, voxel_size_nm, opts, &w->zarr, err);
        if (zs) {
            free(w);
            return zs;
        }
        *out = w;
        return FIB_OK;
    }
    for (int i = 0; i < 3; i++)
        w->vs[i] =
            voxel_size_nm && voxel_size_nm[i] > 0 && isfinite(voxel_size_nm[i])
                ? voxel_size_nm[i]
                : 0.0;
    if (opts)
        w->opts = *opts;
    w->min = (double)INFINITY;
    w->max = -(double)INFINITY;
    fib_status st = FIB_OK;
    w->path = strdup(path);
    w->tmp = fib__atomic_tmpname(path);
    size_t slice = 0, total = 0;
    if (!w->path || !w->tmp || !fib_mul3_size(nx, ny, 4, &slice) ||
        !fib_mul_size(slice, nz, &total)) {
        st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (kind == FIB_FMT_TIFF && w->opts.tiff_compression == 0) {
        st = fib__ij_out_open(w->tmp, w->path, type, nx, ny, nz, w->vs, &w->ij,
                              err);
        if (st == FIB_OK) {
            *out = w;
            return FIB_OK;
        }
        if (st != FIB_EUNSUPPORTED) {
            free(w->tmp); /* nothing was created */
            w->tmp = NULL;
            goto fail;
        }
        st = FIB_OK; /* slices over 4 GiB: libtiff BigTIFF below */
    }
    if (kind == FIB_FMT_TIFF) {
        if ((st = fib__tiff_out_open(w->tmp, w->path, total, &w->tif, err)) !=
            FIB_OK) {
            free(w->tmp); /* libtiff did not create it */
            w->tmp = NULL;
            goto fail;
        }
        *out = w;
        return FIB_OK;
    }
    if ((st = open_raw(w, err)) != FIB_OK)
        goto fail;
    *out = w;
    return FIB_OK;
fail:
    fib_fmt_volume_writer_destroy(w);
    return st;
}

static fib_status zwrite(fib_fmt_volume_writer *w, const void *data, size_t n,
                         int flush, fib_error *err)
{
    w->zs.next_in = (Bytef *)(uintptr_t)data;
    w->zs.avail_in = (uInt)n;
    int zr;
    do {
        w->zs.next_out = w->zout;
        w->zs.avail_out = (uInt)w->zout_cap;
        zr = deflate(&w->zs, flush);
        if (zr == Z_STREAM_ERROR) {
            w->failed = true;
            return fib_error_set(err, FIB_EIO, "%s: deflate failed", w->path);
        }
        const size_t have = w->zout_cap - w->zs.avail_out;
        if (have && fwrite(w->zout, 1, have, w->fp) != have)
            return io_fail(w, err);
    } while (w->zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return FIB_OK;
}

static void stats_add(fib_fmt_volume_writer *w, double n, double mean,
                      double m2, double mn, double mx)
{
    if (n <= 0)
        return;
    const double tot = w->n_seen + n;
    const double delta = mean - w->mean;
    w->mean += delta * n / tot;
    w->m2 += m2 + delta * delta * w->n_seen * n / tot;
    w->n_seen = tot;
    if (mn < w->min)
        w->min = mn;
    if (mx > w->max)
        w->max = mx;
}

/* One slice of an MRC volume: converted into the file's mode (labels and
 * floats checked), statistics gathered, written. */
/* Running sums of one slice (row by row; the float rows in four partial
 * sums, float_row()). */
typedef struct mrc_sums {
    double sum, mn, mx;
    size_t cnt;
} mrc_sums;

static inline void sums_add(mrc_sums *m, double v)
{
    m->sum += v;
    m->cnt++;
    if (v < m->mn)
        m->mn = v;
    if (v > m->mx)
        m->mx = v;
}

/* u8 / u16 slice into the mode-6 buffer. */
static void mrc_rows_uint(fib_fmt_volume_writer *w, const fib_image *s,
                          mrc_sums *m)
{
    uint16_t *dst = (uint16_t *)(void *)w->buf;
    for (size_t y = 0; y < w->ny; y++, dst += w->nx) {
        const void *src = fib_image_row(s, y);
        if (w->type == FIB_PX_U8) {
            const uint8_t *p = src;
            for (size_t x = 0; x < w->nx; x++) {
                dst[x] = p[x];
                sums_add(m, (double)p[x]);
            }
        } else {
            const uint16_t *p = src;
            for (size_t x = 0; x < w->nx; x++) {
                dst[x] = p[x];
                sums_add(m, (double)p[x]);
            }
        }
    }
}

/* One f32 row copied into @p dst and added to @p m: four partial sums
 * (independent chains: the sum is not one long dependency of double
 * additions; the header stores float32 mean and rms, which the order of
 * the additions does not reach in practice), min and max; false when a
 * value is not finite. */
static bool float_row(const float *restrict p, float *restrict dst, size_t n,
                      mrc_sums *m)
{
    double s[4] = {0, 0, 0, 0};
    float mn = p[0], mx = p[0];
    bool ok = true;
    size_t x = 0;
    for (; x + 4 <= n; x += 4)
        for (size_t j = 0; j < 4; j++) {
            const float v = p[x + j];
            ok &= isfinite(v) != 0;
            s[j] += (double)v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
    for (; x < n; x++) {
        const float v = p[x];
        ok &= isfinite(v) != 0;
        s[0] += (double)v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    if (!ok)
        return false;
    memcpy(dst, p, n * sizeof *p);
    m->sum += (s[0] + s[1]) + (s[2] + s[3]);
    m->cnt += n;
    if ((double)mn < m->mn)
        m->mn = (double)mn;
    if ((double)mx > m->mx)
        m->mx = (double)mx;
    return true;
}

/* u32 labels / f32 slice into the mode-2 buffer; refuses labels above the
 * exact float range and non-finite values. */
static fib_status mrc_rows_float(fib_fmt_volume_writer *w, const fib_image *s,
                                 mrc_sums *m, fib_error *err)
{
    float *dst = (float *)(void *)w->buf;
    for (size_t y = 0; y < w->ny; y++, dst += w->nx) {
        const void *src = fib_image_row(s, y);
        if (w->type == FIB_PX_U32) {
            const uint32_t *p = src;
            for (size_t x = 0; x < w->nx; x++) {
                if (p[x] > MRC_MAX_EXACT_LABEL) {
                    w->failed = true;
                    return fib_error_set(
                        err, FIB_ERANGE,
                        "%s: label %u at (%zu, %zu, %zu) exceeds %u, "
                        "the largest exact in mrc mode 2",
                        w->path, (unsigned)p[x], x, y, w->appended,
                        MRC_MAX_EXACT_LABEL);
                }
                dst[x] = (float)p[x];
                sums_add(m, (double)p[x]);
            }
            continue;
        }
        const float *p = src;
        if (!float_row(p, dst, w->nx, m)) {
            size_t x = 0;
            while (x < w->nx && isfinite(p[x]))
                x++;
            w->failed = true; /* mrcfile.validate refuses them */
            return fib_error_set(err, FIB_ENUMERIC,
                                 "%s: non-finite value at (%zu, %zu, "
                                 "%zu): an mrc volume never holds NaN "
                                 "or Inf",
                                 w->path, x, y, w->appended);
        }
    }
    return FIB_OK;
}

static fib_status append_mrc(fib_fmt_volume_writer *w, const fib_image *s,
                             fib_error *err)
{
    /* convert into the file's mode and gather statistics (every value in
     * the buffer is finite: non-finite input is refused) */
    mrc_sums m = {0, (double)INFINITY, -(double)INFINITY, 0};
    if (w->type == FIB_PX_U8 || w->type == FIB_PX_U16) {
        mrc_rows_uint(w, s, &m);
    } else {
        const fib_status st = mrc_rows_float(w, s, &m, err);
        if (st)
            return st;
    }
    if (m.cnt > 0) {
        const double mean = m.sum / (double)m.cnt;
        double m2 = 0;
        const size_t n = w->nx * w->ny;
        if (w->mrc_mode == 6) {
            const uint16_t *b = (const uint16_t *)(void *)w->buf;
            for (size_t i = 0; i < n; i++)
                m2 += ((double)b[i] - mean) * ((double)b[i] - mean);
        } else { /* four partial sums, as float_row */
            const float *b = (const float *)(void *)w->buf;
            double q[4] = {0, 0, 0, 0};
            size_t i = 0;
            for (; i + 4 <= n; i += 4)
                for (size_t j = 0; j < 4; j++)
                    q[j] +=
                        ((double)b[i + j] - mean) * ((double)b[i + j] - mean);
            for (; i < n; i++)
                q[0] += ((double)b[i] - mean) * ((double)b[i] - mean);
            m2 = (q[0] + q[1]) + (q[2] + q[3]);
        }
        stats_add(w, (double)m.cnt, mean, m2, m.mn, m.mx);
    }
    if (fwrite(w->buf, 1, w->buf_bytes, w->fp) != w->buf_bytes)
        return io_fail(w, err);
    return FIB_OK;
}

fib_status fib_fmt_volume_writer_append(fib_fmt_volume_writer *w,
                                        const fib_image *s, fib_error *err)
{
    if (w && w->zarr) {
        fib_status zs = fib__zarr_writer_append(w->zarr, s, err);
        if (zs)
            w->failed = true;
        else
            w->appended++;
        return zs;
    }
    if (!w || !s)
        return fib_error_set(err, FIB_EINVAL, "formats: NULL writer/slice");
    if (w->failed)
        return fib_error_set(err, FIB_EIO, "%s: writer failed earlier",
                             w->path);
    if (w->appended >= w->nz)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: slice %zu appended, the volume has %zu",
                             w->path, w->appended + 1, w->nz);
    if (s->width != w->nx || s->height != w->ny || s->type != w->type)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: slice %zu is %zux%zu %s, expected "
                             "%zux%zu %s",
                             w->path, w->appended, s->width, s->height,
                             fib_pixel_type_name(s->type), w->nx, w->ny,
                             fib_pixel_type_name(w->type));
    const size_t es = fib_pixel_size_bytes(w->type);
    const size_t row = w->nx * es;
    if (w->ij) {
        fib_status st = fib__ij_out_page(w->ij, s, err);
        if (st != FIB_OK) {
            w->failed = true;
            return st;
        }
    } else if (w->kind == FIB_FMT_TIFF) {
        fib_status st = fib__tiff_out_page(w->tif, s, w->appended, w->nz, w->vs,
                                           w->opts.tiff_compression, err);
        if (st != FIB_OK) {
            w->failed = true;
            return st;
        }
    } else if (w->kind == FIB_FMT_MRC) {
        fib_status st = append_mrc(w, s, err);
        if (st != FIB_OK)
            return st;
    } else { /* NRRD */
        for (size_t y = 0; y < w->ny; y++) {
            const void *src = fib_image_row(s, y);
            if (w->opts.nrrd_gzip) {
                memcpy(w->buf, src, row);
                fib_status st = zwrite(w, w->buf, row, Z_NO_FLUSH, err);
                if (st != FIB_OK)
                    return st;
            } else if (fwrite(src, 1, row, w->fp) != row) {
                return io_fail(w, err);
            }
        }
    }
    w->appended++;
    return FIB_OK;
}

fib_status fib_fmt_volume_writer_finish(fib_fmt_volume_writer *w,
                                        fib_error *err)
{
    if (!w)
        return fib_error_set(err, FIB_EINVAL, "formats: NULL writer");
    if (w->failed)
        return fib_error_set(err, FIB_EIO, "%s: writer failed earlier",
                             w->path);
    if (w->appended != w->nz)
        return fib_error_set(err, FIB_EINVAL, "%s: %zu of %zu slices appended",
                             w->path, w->appended, w->nz);
    fib_status st = FIB_OK;
    if (w->zarr) {
        st = fib__zarr_writer_finish(w->zarr, err);
        w->failed = st != FIB_OK;
        return st;
    }
    if (w->ij) {
        st = fib__ij_out_close(w->ij, true, err);
        w->ij = NULL;
    } else if (w->kind == FIB_FMT_TIFF) {
        st = fib__tiff_out_close(w->tif, err);
        w->tif = NULL;
    } else {
        if (w->kind == FIB_FMT_MRC)
            st = mrc_header(w, err);
        else if (w->z_init)
            st = zwrite(w, NULL, 0, Z_FINISH, err);
        if (st == FIB_OK) {
            const int bad = ferror(w->fp);
            const int closed = fclose(w->fp);
            w->fp = NULL;
            if (bad || closed != 0)
                st = fib_error_set(err, FIB_EIO,
                                   "%s: write failed (disk full?)", w->path);
        }
    }
    if (st != FIB_OK) {
        w->failed = true;
        return st;
    }
    st = fib__atomic_rename(w->tmp, w->path, err);
    free(w->tmp);
    w->tmp = NULL; /* renamed (or removed by the failed rename) */
    w->failed = st != FIB_OK;
    return st;
}

void fib_fmt_volume_writer_destroy(fib_fmt_volume_writer *w)
{
    if (!w)
        return;
    fib__zarr_writer_destroy(w->zarr);
    if (w->tif)
        (void)fib__tiff_out_close(w->tif, NULL);
    if (w->ij)
        (void)fib__ij_out_close(w->ij, false, NULL);
    if (w->fp)
        fclose(w->fp);
    if (w->z_init)
        deflateEnd(&w->zs);
    if (w->tmp)
        (void)remove(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w->buf);
    free(w->zout);
    free(w);
}

/* --- whole-image and whole-volume writers -------------------------------- */

fib_status fib_fmt_volume_write(const char *path, const fib_volume *vol,
                                const fib_fmt_write_opts *opts, fib_error *err)
{
    if (!vol || !vol->data)
        return fib_error_set(err, FIB_EINVAL, "formats: empty volume");
    const fib_fmt_kind kind = fib_fmt_kind_from_path(path);
    if (kind == FIB_FMT_PNG) {
        if (vol->nz != 1)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: png holds one image, the volume has "
                                 "%zu slices",
                                 path, vol->nz);
        const fib_image s = fib_volume_slice(vol, 0);
        return fib__png_write(path, &s, err);
    }
    fib_fmt_volume_writer *w = NULL;
    fib_status st =
        fib_fmt_volume_writer_create(path, vol->type, vol->nx, vol->ny, vol->nz,
                                     vol->voxel_size_nm, opts, &w, err);
    for (size_t z = 0; st == FIB_OK && z < vol->nz; z++) {
        const fib_image s = fib_volume_slice(vol, z);
        st = fib_fmt_volume_writer_append(w, &s, err);
    }
    if (st == FIB_OK)
        st = fib_fmt_volume_writer_finish(w, err);
    fib_fmt_volume_writer_destroy(w);
    return st;
}

fib_status fib_fmt_image_write(const char *path, const fib_image *img,
                               const fib_fmt_write_opts *opts, fib_error *err)
{
    if (!img || !img->data)
        return fib_error_set(err, FIB_EINVAL, "formats: empty image");
    const fib_fmt_kind kind = fib_fmt_kind_from_path(path);
    if (kind == FIB_FMT_UNKNOWN)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: unknown image extension (use .png, .tif, "
                             ".tiff, .mrc or .nrrd)",
                             path ? path : "(null)");
    if (kind == FIB_FMT_PNG)
        return fib__png_write(path, img, err);
    fib_volume v;
    memset(&v, 0, sizeof v);
    v.type = img->type;
    v.nx = img->width;
    v.ny = img->height;
    v.nz = 1;
    v.stride_y = img->stride;
    v.stride_z = img->stride * img->height;
    v.data = img->data;
    v.voxel_size_nm[0] = img->pixel_size_nm[0];
    v.voxel_size_nm[1] = img->pixel_size_nm[1];
    return fib_fmt_volume_write(path, &v, opts, err);
}
