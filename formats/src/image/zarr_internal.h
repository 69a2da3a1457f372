/*
 * zarr_internal.h -- private: the OME-Zarr reader and streaming writer of
 * zarr_read.c and zarr_write.c behind fib/formats.h (format by the ".zarr"
 * extension).
 */
#ifndef FIB_FORMATS_ZARR_INTERNAL_H
#define FIB_FORMATS_ZARR_INTERNAL_H

#include "fib/formats.h"

typedef struct fib__zarr_writer fib__zarr_writer;

fib_status fib__zarr_writer_create(const char *path, fib_pixel_type type,
                                   size_t nx, size_t ny, size_t nz,
                                   const double vs[3],
                                   const fib_fmt_write_opts *opts,
                                   fib__zarr_writer **out, fib_error *err);
fib_status fib__zarr_writer_append(fib__zarr_writer *w, const fib_image *slice,
                                   fib_error *err);
fib_status fib__zarr_writer_finish(fib__zarr_writer *w, fib_error *err);
/* removes the temporary tree unless finished */
void fib__zarr_writer_destroy(fib__zarr_writer *w);

/* @p path is a folder holding .zattrs or .zarray */
bool fib__zarr_is(const char *path);
fib_status fib__zarr_probe(const char *path, fib_fmt_info *info,
                           fib_error *err);
fib_status fib__zarr_read_z(const char *path, const fib_fmt_read_opts *opts,
                            size_t z0, size_t count, fib_volume *vol,
                            fib_error *err);
fib_status fib__zarr_read(const char *path, const fib_fmt_read_opts *opts,
                          fib_volume *vol, fib_error *err);

#endif
