/*
 * fib/image.h -- 2D images and 3D volumes with explicit strides and
 * physical voxel sizes.
 *
 * Storage convention: x runs along a row (image columns), y along rows
 * (down), z along slices (the milling / stacking direction).  Element
 * (x, y) of an image lives at `(char *)data + y * stride + x * elsize`;
 * voxel (x, y, z) of a volume at
 * `(char *)data + z * stride_z + y * stride_y + x * elsize`.  Strides are in
 * bytes.  Sizes are physical, in nanometres per pixel/voxel; a size of 0
 * means "unknown".  Voxel data are u8, u16, f32 or u32 (labels); geometry
 * and physics elsewhere use double.
 *
 * Ownership (house style rule 5): fib_image_init()/fib_volume_init()
 * allocate and the struct owns its pixels until fib_image_clear() /
 * fib_volume_clear().  A *view* (fib_image_view(), fib_volume_slice()) never
 * owns its pixels; clearing a view only zeroes the struct.
 */
#ifndef FIB_IMAGE_H
#define FIB_IMAGE_H

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fib_pixel_type {
    FIB_PX_U8 = 0,  /**< unsigned 8-bit grey */
    FIB_PX_U16 = 1, /**< unsigned 16-bit grey */
    FIB_PX_F32 = 2, /**< 32-bit float */
    FIB_PX_U32 = 3, /**< unsigned 32-bit integer: labels */
    FIB_PX_COUNT_
} fib_pixel_type;

/** Bytes per element of a pixel type; 0 for an invalid type. */
FIB_API size_t fib_pixel_size_bytes(fib_pixel_type type);

/** "u8", "u16", "f32", "u32"; "invalid" otherwise. */
FIB_API const char *fib_pixel_type_name(fib_pixel_type type);

typedef struct fib_image {
    fib_pixel_type type;
    size_t width;            /**< pixels along x */
    size_t height;           /**< pixels along y */
    size_t stride;           /**< bytes from one row to the next */
    void *data;              /**< first pixel */
    double pixel_size_nm[2]; /**< x, y; 0 = unknown */
    double origin_nm[2];     /**< physical position of pixel (0, 0) */
    bool owns_data;          /**< true when fib_image_clear() frees data */
} fib_image;

typedef struct fib_volume {
    fib_pixel_type type;
    size_t nx, ny, nz;
    size_t stride_y; /**< bytes from one row to the next */
    size_t stride_z; /**< bytes from one slice to the next */
    void *data;
    double voxel_size_nm[3]; /**< x, y, z; 0 = unknown */
    double origin_nm[3];
    bool owns_data;
} fib_volume;

/** Largest accepted extent of any axis (2^20 pixels). */
#define FIB_MAX_EXTENT ((size_t)1 << 20)
/** Largest pixel buffer fib_image_init()/fib_volume_init() allocate
 *  (1 TiB): larger requests fail with FIB_ERANGE instead of reaching
 *  calloc (sanitizers abort on such sizes instead of returning NULL). */
#define FIB_MAX_ALLOC_BYTES ((size_t)1 << 40)

/**
 * Allocate a zero-filled image of @p width x @p height pixels with a packed
 * stride.  On failure *img is zeroed.  Errors: FIB_EINVAL (zero size, bad
 * type, extent over FIB_MAX_EXTENT), FIB_ERANGE (byte count overflows or
 * exceeds FIB_MAX_ALLOC_BYTES), FIB_ENOMEM.  Thread-safety: safe on distinct
 * images.
 */
FIB_API FIB_NODISCARD fib_status fib_image_init(fib_image *img,
                                                fib_pixel_type type,
                                                size_t width, size_t height,
                                                fib_error *err);

/** Free an owned image and zero the struct; views are only zeroed. */
FIB_API void fib_image_clear(fib_image *img);

/** Non-owning view of a rectangle of @p img.  The rectangle must lie inside
 *  the image (checked: FIB_EINVAL otherwise). */
FIB_API FIB_NODISCARD fib_status fib_image_view(const fib_image *img, size_t x0,
                                                size_t y0, size_t width,
                                                size_t height, fib_image *view,
                                                fib_error *err);

/** Deep copy of @p src (any stride) into a new packed owned image. */
FIB_API FIB_NODISCARD fib_status fib_image_copy(const fib_image *src,
                                                fib_image *dst, fib_error *err);

/** Convert @p src into a new owned image of @p type.  Values are clamped
 *  to the target range and rounded half away from zero for integer
 *  targets; NaN becomes 0. */
FIB_API FIB_NODISCARD fib_status fib_image_convert(const fib_image *src,
                                                   fib_pixel_type type,
                                                   fib_image *dst,
                                                   fib_error *err);

/** Pointer to the first byte of row @p y (no bounds check). */
static inline void *fib_image_row(const fib_image *img, size_t y)
{
    return (char *)img->data + y * img->stride;
}

/** Value of pixel (x, y) as double, whatever the type (slow path). */
FIB_API double fib_image_get(const fib_image *img, size_t x, size_t y);

/** Store @p v at (x, y), clamped and rounded for integer types. */
FIB_API void fib_image_set(fib_image *img, size_t x, size_t y, double v);

/**
 * Allocate a zero-filled volume with packed strides.  Errors as
 * fib_image_init().  Thread-safety: safe on distinct volumes.
 */
FIB_API FIB_NODISCARD fib_status fib_volume_init(fib_volume *vol,
                                                 fib_pixel_type type, size_t nx,
                                                 size_t ny, size_t nz,
                                                 fib_error *err);

/** Free an owned volume and zero the struct; views are only zeroed. */
FIB_API void fib_volume_clear(fib_volume *vol);

/** Non-owning image view of slice @p z (z < nz, not checked). The view
 *  carries the x, y voxel sizes. */
FIB_API fib_image fib_volume_slice(const fib_volume *vol, size_t z);

/** Pointer to voxel (x, y, z) (no bounds check). */
static inline void *fib_volume_at(const fib_volume *vol, size_t x, size_t y,
                                  size_t z)
{
    return (char *)vol->data + z * vol->stride_z + y * vol->stride_y +
           x * fib_pixel_size_bytes(vol->type);
}

/** Label at voxel index @p i (x fastest) of a packed (contiguous) u8, u16
 *  or u32 label volume; any other pixel type reads as u32 -- callers
 *  refuse f32 labels first.  The one label reader of analysis/ and
 *  pipeline/. */
static inline uint32_t fib_volume_label_at(const fib_volume *v, size_t i)
{
    switch (v->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)v->data)[i];
    case FIB_PX_U16:
        return ((const uint16_t *)v->data)[i];
    default:
        return ((const uint32_t *)v->data)[i];
    }
}

/** Value of voxel (x, y, z) as double (slow path). */
FIB_API double fib_volume_get(const fib_volume *vol, size_t x, size_t y,
                              size_t z);

/** Store @p v at (x, y, z), clamped and rounded for integer types. */
FIB_API void fib_volume_set(fib_volume *vol, size_t x, size_t y, size_t z,
                            double v);

/** Minimum and maximum finite value of an image (NaN/Inf skipped; both 0
 *  for an image with no finite value). */
FIB_API void fib_image_minmax(const fib_image *img, double *min_out,
                              double *max_out);

/** Minimum and maximum finite value of a volume, as fib_image_minmax. */
FIB_API void fib_volume_minmax(const fib_volume *vol, double *min_out,
                               double *max_out);

#ifdef __cplusplus
}
#endif

#endif /* FIB_IMAGE_H */
