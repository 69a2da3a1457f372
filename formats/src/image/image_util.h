/*
 * image_util.h -- private: helpers the image readers and writers of
 * formats/src/image share.
 */
#ifndef FIB_FORMATS_IMAGE_UTIL_H
#define FIB_FORMATS_IMAGE_UTIL_H

#include <stddef.h>

#include "fib/formats.h"
#include "fib/image.h"

/* "a/b", malloc'ed; NULL when out of memory. */
char *fib__img_path_join(const char *a, const char *b);
/* Bytes per pixel of a u8/u16/u32/f32 type. */
size_t fib__img_esize(fib_pixel_type t);

/* Voxel size @p vs (nm; 0 = unknown) into @p meta: pixel sizes and slice
 * depth where known, @p key as the source key when the x size is known,
 * and the stored image height. */
void fib__img_voxel_meta(fib_fmt_meta *meta, const double vs[3],
                         const char *key, size_t full_height);

/* Reverse the byte order of @p n elements of @p es bytes in place. */
void fib__img_swap_bytes(void *data, size_t n, size_t es);

#endif
