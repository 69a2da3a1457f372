/*
 * tiff_out.h -- private: page-by-page TIFF output for the streaming volume
 * writer (ImageJ-compatible stacks).  The caller owns the temporary name
 * and the rename.
 */
#ifndef FIB_FORMATS_TIFF_OUT_H
#define FIB_FORMATS_TIFF_OUT_H

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

#endif
