/*
 * tiff_out.h -- private: page-by-page TIFF output for the streaming volume
 * writer (ImageJ-compatible stacks).  The caller owns the temporary name
 * and the rename.
 */
#ifndef FIB_FORMATS_TIFF_OUT_H
#define FIB_FORMATS_TIFF_OUT_H

#include <stdio.h>

#include "fib/image.h"

typedef struct fib__tiff_out fib__tiff_out;

/* Create @p tmp for writing (BigTIFF when @p total_bytes nears 4 GiB);
 * @p name (the final path, borrowed for the writer's life) is used in
 * messages. */
fib_status fib__tiff_out_open(const char *tmp, const char *name,
                              size_t total_bytes, fib__tiff_out **out,
                              fib_error *err);
/* Write @p img as page @p index of @p npages; page 0 carries the ImageJ
 * description.  @p compression: 0 none, 1 deflate, 2 lzw. */
fib_status fib__tiff_out_page(fib__tiff_out *o, const fib_image *img,
                              size_t index, size_t npages,
                              const double voxel_nm[3], int compression,
                              fib_error *err);
/* Close and free (NULL is a no-op); FIB_EIO if libtiff reported an error. */
fib_status fib__tiff_out_close(fib__tiff_out *o, fib_error *err);

/* Uncompressed stacks in ImageJ's layout (tiff_ij_out.c): header and IFD 0,
 * then the slices back to back, then IFDs 1..N-1.  Open returns
 * FIB_EUNSUPPORTED (no message) when a slice exceeds 4 GiB; use libtiff
 * then. */
typedef struct fib__ij_out fib__ij_out;
fib_status fib__ij_out_open(const char *tmp, const char *name,
                            fib_pixel_type type, size_t nx, size_t ny,
                            size_t nz, const double vs[3], fib__ij_out **out,
                            fib_error *err);
/* Append the next slice (size and type checked by the caller). */
fib_status fib__ij_out_page(fib__ij_out *o, const fib_image *img,
                            fib_error *err);
/* Write the trailing IFDs when @p finish, close and free (NULL no-op). */
fib_status fib__ij_out_close(fib__ij_out *o, bool finish, fib_error *err);

#endif
