/*
 * nrrd_io.c -- NRRD read (http://teem.sourceforge.net/nrrd/format.html).
 *
 * Read: NRRD0001..0005 headers, dimension 2 or 3, types uchar/ushort/
 * float/uint (all their aliases), signed char/short shifted into u8/u16
 * (+128 / +32768), double narrowed to f32; encodings raw and gzip (zlib,
 * gzip or zlib header); endian little/big; "spacings" or the norms of
 * "space directions"; "units" (nm, um/micron, mm; no units = nm);
 * "byte skip" >= 0 and "line skip"; attached data or a detached
 * "data file" next to the header (single file, no lists/patterns).
 * The detached file is confined to the header's folder (formats/README.md
 * "NRRD detached data"): an absolute name, a ".." component or a link
 * resolving outside that folder is refused unless
 * fib_fmt_read_opts.allow_outside_data, so an untrusted header cannot make
 * the reader turn an arbitrary file (/etc/passwd) into an image.
 * Writing is in volume_writer.c.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <zlib.h>

#include "fib/checked.h"
#include "fmt_internal.h"
#include "image_util.h"

enum { NRRD_MAX_HEADER = 1 << 16 };

typedef struct nrrd_hdr {
    int dim;
    long long sizes[3];
    double spacing[3];
    double unit_nm[3];
    int type; /* 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 f32, 6 f64 */
    bool gzip, big;
    long long byte_skip, line_skip;
    char data_file[512];
    fib__kv kv;
} nrrd_hdr;

static const int TYPE_SIZE[7] = {1, 1, 2, 2, 4, 4, 8};

static int parse_type(const char *v)
{
    static const struct {
        const char *name;
        int t;
    } T[] = {{"uchar", 0},          {"unsigned char", 0},
             {"uint8", 0},          {"uint8_t", 0},
             {"signed char", 1},    {"int8", 1},
             {"int8_t", 1},         {"ushort", 2},
             {"unsigned short", 2}, {"unsigned short int", 2},
             {"uint16", 2},         {"uint16_t", 2},
             {"short", 3},          {"short int", 3},
             {"signed short", 3},   {"signed short int", 3},
             {"int16", 3},          {"int16_t", 3},
             {"uint", 4},           {"unsigned int", 4},
             {"uint32", 4},         {"uint32_t", 4},
             {"float", 5},          {"double", 6}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(v, T[i].name) == 0)
            return T[i].t;
    return -1;
}

static fib_pixel_type out_type(int t)
{
    switch (t) {
    case 0:
    case 1:
        return FIB_PX_U8;
    case 2:
    case 3:
        return FIB_PX_U16;
    case 4:
        return FIB_PX_U32;
    default:
        return FIB_PX_F32;
    }
}

static double unit_nm(const char *u)
{
    double v = fib__length_to_nm(u);
    if (v > 0)
        return v;
    char buf[80];
    snprintf(buf, sizeof buf, "1 %.64s", u);
    v = fib__length_to_nm(buf);
    return v > 0 ? v : (double)NAN;
}

/* Split a "units" or "space directions" value into up to 3 tokens. */
static int split_tokens(const char *v, char tok[3][64], bool paren)
{
    int n = 0;
    const char *p = v;
    while (*p && n < 3) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        char open = *p, close = 0;
        if (open == '"')
            close = '"';
        else if (paren && open == '(')
            close = ')';
        size_t k = 0;
        if (close) {
            p++;
            while (*p && *p != close) {
                if (k + 1 < 64)
                    tok[n][k++] = *p;
                p++;
            }
            if (*p)
                p++;
        } else {
            while (*p && *p != ' ' && *p != '\t') {
                if (k + 1 < 64)
                    tok[n][k++] = *p;
                p++;
            }
        }
        tok[n][k] = '\0';
        n++;
    }
    return n;
}

/* The required fields a header has named. */
typedef struct nrrd_seen {
    bool sizes, type, enc, dim;
} nrrd_seen;

/* One "key: value" field of a header into @p h (unknown keys are kept in
 * h->kv only). */
static fib_status header_field(const char *path, const char *k, const char *v,
                               nrrd_hdr *h, nrrd_seen *seen, fib_error *err)
{
    if (strcmp(k, "dimension") == 0) {
        char *dend = NULL;
        const long dim = strtol(v, &dend, 10);
        h->dim = (dend != v && dim >= 0 && dim < 100) ? (int)dim : -1;
        seen->dim = true;
        if (h->dim < 1 || h->dim > 3)
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: nrrd dimension %d is not supported "
                                 "(1 to 3)",
                                 path, h->dim);
    } else if (strcmp(k, "sizes") == 0) {
        if (!seen->dim)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: nrrd sizes before dimension", path);
        const char *p = v;
        for (int i = 0; i < h->dim; i++) {
            char *end = NULL;
            errno = 0;
            h->sizes[i] = strtoll(p, &end, 10);
            if (end == p || errno == ERANGE)
                return fib_error_set(err, FIB_EFORMAT,
                                     "%s: bad nrrd sizes \"%s\"", path, v);
            p = end;
        }
        seen->sizes = true;
    } else if (strcmp(k, "type") == 0) {
        h->type = parse_type(v);
        seen->type = true;
        if (h->type < 0)
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: nrrd type \"%s\" is not supported", path,
                                 v);
    } else if (strcmp(k, "encoding") == 0) {
        seen->enc = true;
        if (strcmp(v, "raw") == 0)
            h->gzip = false;
        else if (strcmp(v, "gzip") == 0 || strcmp(v, "gz") == 0)
            h->gzip = true;
        else
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: nrrd encoding \"%s\" is not "
                                 "supported (raw, gzip)",
                                 path, v);
    } else if (strcmp(k, "endian") == 0) {
        h->big = strcmp(v, "big") == 0;
    } else if (strcmp(k, "spacings") == 0) {
        const char *p = v;
        for (int i = 0; i < h->dim && i < 3; i++) {
            char *end = NULL;
            const double s = strtod(p, &end);
            if (end == p)
                break;
            h->spacing[i] = s;
            p = end;
        }
    } else if (strcmp(k, "space directions") == 0) {
        char tok[3][64];
        const int n = split_tokens(v, tok, true);
        for (int i = 0; i < n && i < h->dim; i++) {
            double a[3] = {0, 0, 0}, s2 = 0;
            const int c = sscanf(tok[i], "%lf,%lf,%lf", &a[0], &a[1], &a[2]);
            for (int j = 0; j < c; j++)
                s2 += a[j] * a[j];
            if (c >= 1 && s2 > 0 && !isfinite(h->spacing[i]))
                h->spacing[i] = sqrt(s2);
        }
    } else if (strcmp(k, "units") == 0 || strcmp(k, "space units") == 0) {
        char tok[3][64];
        const int n = split_tokens(v, tok, false);
        for (int i = 0; i < n && i < 3; i++) {
            const double u = unit_nm(tok[i]);
            if (u > 0)
                h->unit_nm[i] = u;
        }
    } else if (strcmp(k, "byte skip") == 0 || strcmp(k, "byteskip") == 0) {
        h->byte_skip = strtoll(v, NULL, 10);
        if (h->byte_skip < 0)
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: nrrd byte skip %lld is not "
                                 "supported",
                                 path, h->byte_skip);
    } else if (strcmp(k, "line skip") == 0 || strcmp(k, "lineskip") == 0) {
        h->line_skip = strtoll(v, NULL, 10);
        if (h->line_skip < 0)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: nrrd line skip must be >= 0", path);
    } else if (strcmp(k, "data file") == 0 || strcmp(k, "datafile") == 0) {
        if (strncmp(v, "LIST", 4) == 0 || strchr(v, '%'))
            return fib_error_set(err, FIB_EUNSUPPORTED,
                                 "%s: nrrd data file lists are not "
                                 "supported",
                                 path);
        snprintf(h->data_file, sizeof h->data_file, "%s", v);
    }
    return FIB_OK;
}

/* Parse the header; @p zcount slices (0 = all) are checked against
 * opts->max_bytes; *bytes gets the size of the whole data block. */
static fib_status parse_nrrd(const char *path, const fib_fmt_read_opts *opts,
                             FILE *fp, size_t zcount, nrrd_hdr *h,
                             size_t *bytes, fib_error *err)
{
    char line[4096];
    memset(h, 0, sizeof *h);
    h->type = -1;
    for (int i = 0; i < 3; i++) {
        h->spacing[i] = (double)NAN;
        h->unit_nm[i] = 1.0;
        h->sizes[i] = 1;
    }
    if (!fgets(line, sizeof line, fp) || strncmp(line, "NRRD000", 7) != 0)
        return fib_error_set(err, FIB_EFORMAT, "%s: not a nrrd file", path);
    nrrd_seen seen = {false, false, false, false};
    long total = (long)strlen(line);
    for (;;) {
        if (!fgets(line, sizeof line, fp))
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: truncated nrrd header (no blank line "
                                 "before the data)",
                                 path);
        total += (long)strlen(line);
        if (total > NRRD_MAX_HEADER)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: nrrd header longer than %d bytes", path,
                                 NRRD_MAX_HEADER);
        size_t ll = strlen(line);
        while (ll > 0 && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
            line[--ll] = '\0';
        if (ll == 0)
            break;
        if (line[0] == '#')
            continue;
        char *sep = strstr(line, ": ");
        char *kvsep = strstr(line, ":=");
        if (kvsep && (!sep || kvsep < sep)) {
            *kvsep = '\0';
            fib__kv_add(&h->kv, line, strlen(line), kvsep + 2,
                        strlen(kvsep + 2));
            continue;
        }
        if (!sep)
            return fib_error_set(err, FIB_EFORMAT,
                                 "%s: bad nrrd header line \"%.40s\"", path,
                                 line);
        *sep = '\0';
        const char *k = line, *v = sep + 2;
        fib__kv_add(&h->kv, k, strlen(k), v, strlen(v));
        fib_status st = header_field(path, k, v, h, &seen, err);
        if (st != FIB_OK)
            return st;
    }
    if (!seen.sizes || !seen.type || !seen.enc || !seen.dim)
        return fib_error_set(err, FIB_EFORMAT, "%s: nrrd header lacks %s", path,
                             !seen.dim     ? "dimension"
                             : !seen.sizes ? "sizes"
                             : !seen.type  ? "type"
                                           : "encoding");
    if (h->kv.failed)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    fib_status st =
        fib__check_dims(path, h->sizes[0], h->sizes[1], h->sizes[2],
                        (size_t)TYPE_SIZE[h->type], (size_t)-1, bytes, err);
    if (st == FIB_OK)
        st = fib__check_dims(path, h->sizes[0], h->sizes[1],
                             zcount ? (long long)zcount : h->sizes[2],
                             (size_t)TYPE_SIZE[h->type], fib__max_bytes(opts),
                             NULL, err);
    return st;
}

static void nrrd_meta(const nrrd_hdr *h, fib_fmt_meta *meta, double vs[3])
{
    for (int i = 0; i < 3; i++)
        vs[i] = (h->spacing[i] > 0 && isfinite(h->spacing[i]))
                    ? h->spacing[i] * h->unit_nm[i]
                    : 0.0;
    fib__img_voxel_meta(meta, vs, "spacings", (size_t)h->sizes[1]);
}

/* The file the detached "data file" of header @p path names, into @p full
 * (empty when the data are attached), confined to the header's folder
 * unless opts->allow_outside_data. */
static fib_status data_path(const char *path, const nrrd_hdr *h,
                            const fib_fmt_read_opts *opts, char *full, size_t n,
                            fib_error *err)
{
    full[0] = '\0';
    if (!h->data_file[0])
        return FIB_OK;
    const bool allow = opts && opts->allow_outside_data;
    const char *df = h->data_file;
    if (!allow && df[0] == '/')
        return fib_error_set(err, FIB_EINVAL,
                             "%s: nrrd field 'data file' %s is an absolute "
                             "path (only files in the header's folder are "
                             "read)",
                             path, df);
    for (const char *q = df; !allow && *q;) {
        const size_t len = strcspn(q, "/");
        if (len == 2 && q[0] == '.' && q[1] == '.')
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: nrrd field 'data file' %s leaves the "
                                 "header's folder (only files in it are "
                                 "read)",
                                 path, df);
        q += len;
        while (*q == '/')
            q++;
    }
    const char *slash = strrchr(path, '/');
    int k;
    if (df[0] == '/' || !slash)
        k = snprintf(full, n, "%s", df);
    else
        k = snprintf(full, n, "%.*s/%s", (int)(slash - path), path, df);
    if (k < 0 || (size_t)k >= n)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: nrrd field 'data file' is too long", path);
    char rdir[PATH_MAX], rdata[PATH_MAX], dir[PATH_MAX];
    if (allow || !realpath(full, rdata))
        return FIB_OK; /* a missing file is reported by the reader */
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (!realpath(dir, rdir))
        return fib_error_set(err, FIB_EIO, "%s: cannot resolve its folder",
                             path);
    const size_t nd = strlen(rdir);
    if (strncmp(rdata, rdir, nd) != 0 ||
        (rdata[nd] != '/' && strcmp(rdir, "/") != 0))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: nrrd field 'data file' %s resolves to %s, "
                             "outside the header's folder (only files in it "
                             "are read)",
                             path, df, rdata);
    return FIB_OK;
}

static fib_status open_nrrd(const char *path, const fib_fmt_read_opts *opts,
                            size_t zcount, FILE **fp, nrrd_hdr *h,
                            size_t *bytes, fib_error *err)
{
    fib_status st = fib__stat_input(path, NULL, err);
    if (st != FIB_OK)
        return st;
    *fp = fopen(path, "rb");
    if (!*fp)
        return fib_error_set(err, FIB_EIO, "%s: cannot open: %s", path,
                             strerror(errno));
    st = parse_nrrd(path, opts, *fp, zcount, h, bytes, err);
    if (st != FIB_OK) {
        fclose(*fp);
        *fp = NULL;
        fib__kv_free(&h->kv);
    }
    return st;
}

fib_status fib__nrrd_probe(const char *path, const fib_fmt_read_opts *opts,
                           fib_fmt_info *info, fib_error *err)
{
    FILE *fp = NULL;
    nrrd_hdr h;
    size_t bytes;
    fib_status st = open_nrrd(path, opts, 0, &fp, &h, &bytes, err);
    if (st != FIB_OK)
        return st;
    fclose(fp);
    st =
        data_path(path, &h, opts, info->data_file, sizeof info->data_file, err);
    if (st != FIB_OK) {
        fib__kv_free(&h.kv);
        return st;
    }
    info->nx = (size_t)h.sizes[0];
    info->ny = (size_t)h.sizes[1];
    info->nz = (size_t)h.sizes[2];
    info->type = out_type(h.type);
    snprintf(info->compression, sizeof info->compression, "%s",
             h.gzip ? "gzip" : "none");
    double vs[3];
    nrrd_meta(&h, &info->meta, vs);
    fib__kv_free(&h.kv);
    return FIB_OK;
}

fib_status fib__nrrd_vendor_pairs(const char *path, fib__kv *kv, fib_error *err)
{
    FILE *fp = NULL;
    nrrd_hdr h;
    size_t bytes;
    fib_status st = open_nrrd(path, NULL, 0, &fp, &h, &bytes, err);
    if (st != FIB_OK)
        return st;
    fclose(fp);
    *kv = h.kv;
    return FIB_OK;
}

/* Skip @p lines lines then @p bytes bytes of raw input. */
static bool skip_input(FILE *fp, long long lines, long long bytes)
{
    for (long long i = 0; i < lines; i++) {
        int c;
        while ((c = fgetc(fp)) != EOF && c != '\n')
            ;
        if (c == EOF)
            return false;
    }
    return bytes == 0 || fseek(fp, (long)bytes, SEEK_CUR) == 0;
}

/* Inflate @p skip bytes into a scratch buffer, then @p n into @p dst. */
static fib_status read_gzip(const char *path, FILE *fp, size_t skip,
                            unsigned char *dst, size_t n, fib_error *err)
{
    unsigned char scratch[65536];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return fib_error_set(err, FIB_ENOMEM, "%s: zlib init failed", path);
    unsigned char in[65536];
    size_t done = 0;
    int zr = Z_OK;
    fib_status st = FIB_OK;
    n += skip;
    while (done < n) {
        if (zs.avail_in == 0) {
            const size_t got = fread(in, 1, sizeof in, fp);
            if (got == 0) {
                st = fib_error_set(err, FIB_EFORMAT,
                                   "%s: truncated gzip data (%zu of %zu "
                                   "bytes)",
                                   path, done, n);
                break;
            }
            zs.next_in = in;
            zs.avail_in = (uInt)got;
        }
        size_t chunk = n - done > (size_t)1 << 30 ? (size_t)1 << 30 : n - done;
        if (done < skip) {
            if (chunk > skip - done)
                chunk = skip - done;
            if (chunk > sizeof scratch)
                chunk = sizeof scratch;
            zs.next_out = scratch;
        } else {
            zs.next_out = dst + (done - skip);
        }
        zs.avail_out = (uInt)chunk;
        zr = inflate(&zs, Z_NO_FLUSH);
        done += chunk - zs.avail_out;
        if (zr == Z_STREAM_END && done < n) {
            st = fib_error_set(err, FIB_EFORMAT,
                               "%s: gzip data end after %zu of %zu bytes", path,
                               done, n);
            break;
        }
        if (zr != Z_OK && zr != Z_STREAM_END) {
            st = fib_error_set(err, FIB_EFORMAT, "%s: corrupt gzip data: %s",
                               path, zs.msg ? zs.msg : "inflate failed");
            break;
        }
    }
    inflateEnd(&zs);
    return st;
}

/* Open the detached data file of header @p path into *fp. */
static fib_status open_data(const char *path, const nrrd_hdr *h,
                            const fib_fmt_read_opts *opts, FILE **fp,
                            fib_error *err)
{
    char full[1024];
    fib_status st = data_path(path, h, opts, full, sizeof full, err);
    if (st != FIB_OK)
        return st;
    fib_error derr = {0};
    if (fib__stat_input(full, NULL, &derr) != FIB_OK)
        return fib_error_set(err, derr.code, "%s: nrrd data file: %s", path,
                             derr.msg);
    *fp = fopen(full, "rb");
    if (!*fp)
        return fib_error_set(err, FIB_ENOTFOUND, "%s: nrrd data file %s: %s",
                             path, full, strerror(errno));
    return FIB_OK;
}

fib_status fib__nrrd_read(const char *path, const fib_fmt_read_opts *opts,
                          size_t z0, size_t nz, fib_volume *vol,
                          fib_fmt_meta *meta, fib_error *err)
{
    FILE *fp = NULL;
    nrrd_hdr h;
    size_t bytes = 0;
    fib_status st = open_nrrd(path, opts, nz, &fp, &h, &bytes, err);
    if (st != FIB_OK)
        return st;
    unsigned char *raw = NULL;
    if (z0 >= (size_t)h.sizes[2]) {
        st = fib_error_set(err, FIB_ERANGE,
                           "%s: slice %zu requested, the file has %lld", path,
                           z0, h.sizes[2]);
        goto fail;
    }
    if (nz == 0 || nz > (size_t)h.sizes[2] - z0)
        nz = (size_t)h.sizes[2] - z0;
    const size_t slice_in = bytes / (size_t)h.sizes[2];
    const size_t skip_bytes = slice_in * z0;
    bytes = slice_in * nz;
    if (h.data_file[0]) {
        fclose(fp);
        fp = NULL;
        if ((st = open_data(path, &h, opts, &fp, err)) != FIB_OK)
            goto fail;
    }
    if (!skip_input(fp, h.line_skip, h.gzip ? 0 : h.byte_skip) ||
        (!h.gzip && skip_bytes > 0 &&
         fseeko(fp, (off_t)skip_bytes, SEEK_CUR) != 0)) {
        st = fib_error_set(err, FIB_EFORMAT, "%s: truncated nrrd data", path);
        goto fail;
    }
    const fib_pixel_type ot = out_type(h.type);
    const size_t es_in = (size_t)TYPE_SIZE[h.type];
    const size_t n = bytes / es_in;
    if (es_in != fib_pixel_size_bytes(ot)) {
        /* doubles are read into a buffer beside the f32 volume: both are
         * charged against the limit before either is allocated */
        size_t need = 0;
        const size_t lim = fib__max_bytes(opts);
        if (!fib_add_size(bytes, n * fib_pixel_size_bytes(ot), &need) ||
            need > lim) {
            st = fib_error_set(err, FIB_ERANGE,
                               "%s: nrrd double data need %zu bytes to read "
                               "and %zu to store: exceeds the limit of %zu "
                               "bytes",
                               path, bytes, n * fib_pixel_size_bytes(ot), lim);
            goto fail;
        }
    }
    if ((st = fib_volume_init(vol, ot, (size_t)h.sizes[0], (size_t)h.sizes[1],
                              nz, err)) != FIB_OK)
        goto fail;
    /* f64 input needs a separate buffer; others decode in place. */
    raw = es_in == fib_pixel_size_bytes(ot) ? vol->data : malloc(bytes);
    if (!raw) {
        st = fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
        goto fail_v;
    }
    if (h.gzip) {
        if ((st = read_gzip(path, fp, skip_bytes, raw, bytes, err)) != FIB_OK)
            goto fail_v;
    } else if (fread(raw, 1, bytes, fp) != bytes) {
        st = fib_error_set(err, FIB_EFORMAT,
                           "%s: truncated nrrd data (header claims %zu "
                           "bytes)",
                           path, bytes);
        goto fail_v;
    }
    fclose(fp);
    fp = NULL;
    if (h.big && es_in > 1)
        fib__img_swap_bytes(raw, n, es_in);
    if (h.type == 1) {
        for (size_t i = 0; i < n; i++)
            raw[i] = (unsigned char)(raw[i] ^ 0x80u);
    } else if (h.type == 3) {
        uint16_t *q = (uint16_t *)(void *)raw;
        for (size_t i = 0; i < n; i++)
            q[i] = (uint16_t)(q[i] ^ 0x8000u);
    } else if (h.type == 6) {
        const double *s = (const double *)(const void *)raw;
        float *o = vol->data;
        for (size_t i = 0; i < n; i++)
            o[i] = (float)s[i];
        free(raw);
    }
    raw = NULL;
    double vs[3];
    nrrd_meta(&h, meta, vs);
    for (int i = 0; i < 3; i++)
        vol->voxel_size_nm[i] = vs[i];
    vol->origin_nm[2] = (double)z0 * vs[2];
    fib__kv_free(&h.kv);
    return FIB_OK;
fail_v:
    if (raw && raw != vol->data)
        free(raw);
    fib_volume_clear(vol);
fail:
    if (fp)
        fclose(fp);
    fib__kv_free(&h.kv);
    return st;
}
