/*
 * fmt_internal.h -- private: the per-format readers and writers behind
 * fib/formats.h, and the helpers they share (size checks, key/value
 * lists, vendor metadata parsers).
 *
 * Every reader fills a packed owned fib_volume (nz = pages / sections read)
 * and a fib_fmt_meta; formats.c dispatches, crops the data bar and turns a
 * one-slice volume into an image.  Writers are streaming (volume_writer.c);
 * whole-volume and image writes go through them.
 */
#ifndef FIB_FORMATS_INTERNAL_H
#define FIB_FORMATS_INTERNAL_H

#include <stdio.h>

#include "fib/formats.h"

/* Default refusal limit for pixel data a header may claim: 4 GiB. */
#define FIB__DEFAULT_MAX_BYTES ((size_t)4 << 30)

/* Default limit of fib_fmt_probe(), which reads no pixel data: 1 TiB. */
#define FIB__PROBE_MAX_BYTES ((size_t)1 << 40)

size_t fib__max_bytes(const fib_fmt_read_opts *opts);

/*
 * Validate sizes claimed by a file header: each extent in 1..FIB_MAX_EXTENT
 * (FIB_EFORMAT for zero/negative, FIB_ERANGE over the limit) and the byte
 * count nx*ny*nz*elsize <= max_bytes (FIB_ERANGE).  Messages name @p path
 * and the field.  @p bytes_out may be NULL.
 */
fib_status fib__check_dims(const char *path, long long nx, long long ny,
                           long long nz, size_t elsize, size_t max_bytes,
                           size_t *bytes_out, fib_error *err);

/* FIB_ENOTFOUND when @p path does not exist, FIB_EIO when it is not a
 * readable regular file; *size_out gets its size. */
fib_status fib__stat_input(const char *path, long long *size_out,
                           fib_error *err);

/* An ordered list of key/value string pairs (owned). */
typedef struct fib__kv {
    char **items; /* 2 * n strings */
    size_t n, cap;
    bool failed;
} fib__kv;

void fib__kv_add(fib__kv *kv, const char *key, size_t klen, const char *val,
                 size_t vlen);
/* Value of @p key or NULL. */
const char *fib__kv_get(const fib__kv *kv, const char *key);
void fib__kv_free(fib__kv *kv);

/* Text that is not valid UTF-8 is taken as Latin-1 (Zeiss: 0xB5 micro
 * sign, 0xB0 degree) and converted to UTF-8; valid UTF-8 (and ASCII) is
 * copied.  New malloc'ed string, NULL when out of memory. */
char *fib__latin1_to_utf8(const char *s, size_t n);

/* Vendor text parsers (vendor_meta.c).  @p text need not be NUL-terminated;
 * CRLF and trailing NULs are handled.  @p height is the stored image height
 * (rows), used for the FEI data bar rule.  They fill @p kv (may be NULL)
 * and the vendor fields of @p meta. */
void fib__fei_parse(const char *text, size_t n, size_t height, fib__kv *kv,
                    fib_fmt_meta *meta);
void fib__zeiss_parse(const char *text, size_t n, fib__kv *kv,
                      fib_fmt_meta *meta);
/* ImageJ ImageDescription; *xy_unit_nm gets nm per "unit" (NaN unknown). */
void fib__imagej_parse(const char *text, size_t n, fib__kv *kv,
                       fib_fmt_meta *meta, double *unit_nm, size_t *images_out);
/* Length of a value with unit ("2.615 um", "5.825 nm") in nm; NaN if not
 * a length. */
double fib__length_to_nm(const char *s);

/* Zeiss data zone: the topmost near-black row in the bottom quarter that
 * has a non-black row below it and a light panel (mean >= half the image
 * maximum) under it (formats/README.md).  0 when none. */
size_t fib__zeiss_databar_rows(const fib_image *img);

/* --- per-format entry points ------------------------------------------- */
fib_status fib__png_probe(const char *path, const fib_fmt_read_opts *opts,
                          fib_fmt_info *info, fib_error *err);
fib_status fib__png_read(const char *path, const fib_fmt_read_opts *opts,
                         fib_volume *vol, fib_fmt_meta *meta, fib_error *err);
fib_status fib__png_write(const char *path, const fib_image *img,
                          fib_error *err);

fib_status fib__tiff_probe(const char *path, const fib_fmt_read_opts *opts,
                           fib_fmt_info *info, fib_error *err);
/* Pages [page0, page0 + npages) (npages 0 = all from page0). */
fib_status fib__tiff_read(const char *path, const fib_fmt_read_opts *opts,
                          size_t page0, size_t npages, fib_volume *vol,
                          fib_fmt_meta *meta, fib_error *err);
fib_status fib__tiff_vendor_pairs(const char *path, fib__kv *kv,
                                  fib_error *err);

fib_status fib__mrc_probe(const char *path, const fib_fmt_read_opts *opts,
                          fib_fmt_info *info, fib_error *err);
/* Sections [z0, z0 + nz) (nz 0 = all from z0); FIB_ERANGE if z0 >= nz. */
fib_status fib__mrc_read(const char *path, const fib_fmt_read_opts *opts,
                         size_t z0, size_t nz, fib_volume *vol,
                         fib_fmt_meta *meta, fib_error *err);

fib_status fib__nrrd_probe(const char *path, const fib_fmt_read_opts *opts,
                           fib_fmt_info *info, fib_error *err);
/* Slices [z0, z0 + nz) (nz 0 = all from z0); FIB_ERANGE if z0 >= nz. */
fib_status fib__nrrd_read(const char *path, const fib_fmt_read_opts *opts,
                          size_t z0, size_t nz, fib_volume *vol,
                          fib_fmt_meta *meta, fib_error *err);
fib_status fib__nrrd_vendor_pairs(const char *path, fib__kv *kv,
                                  fib_error *err);

/* MRC 2014 header (1024 bytes, little endian) for the writer. */
enum { FIB__MRC_HEADER = 1024 };
typedef struct fib__mrc_stats {
    double min, max, mean, rms;
} fib__mrc_stats;
void fib__mrc_header_encode(unsigned char hdr[FIB__MRC_HEADER], int mode,
                            size_t nx, size_t ny, size_t nz,
                            const double voxel_nm[3], const fib__mrc_stats *st);

/* Detect the format of @p path from its first bytes (and, for MRC files
 * without the "MAP " stamp, a plausible header). */
fib_status fib__detect(const char *path, fib_fmt_kind *kind, fib_error *err);

#endif
