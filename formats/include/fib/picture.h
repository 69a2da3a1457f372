/*
 * fib/picture.h -- write a drawn fib_canvas (fib/canvas.h) as an image
 * file.  Output is atomic: a temporary name in the same folder, renamed
 * over @p path when complete; on any error the temporary is removed and
 * @p path is left untouched.
 */
#ifndef FIB_PICTURE_H
#define FIB_PICTURE_H

#include "fib/canvas.h"
#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Write @p c as an 8-bit RGB, non-interlaced PNG (libpng, default zlib
 * level).  Errors: FIB_EINVAL (NULL canvas or empty path), FIB_EIO (cannot
 * create, libpng or write failure; the message names the path).
 * Thread-safety: safe on distinct paths.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_canvas_write_png(const char *path,
                                                          const fib_canvas *c,
                                                          fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PICTURE_H */
