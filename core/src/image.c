/* image.c -- image and volume containers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/checked.h"
#include "fib/image.h"

size_t fib_pixel_size_bytes(fib_pixel_type type)
{
    switch (type) {
    case FIB_PX_U8:
        return 1;
    case FIB_PX_U16:
        return 2;
    case FIB_PX_F32:
    case FIB_PX_U32:
        return 4;
    default:
        return 0;
    }
}

const char *fib_pixel_type_name(fib_pixel_type type)
{
    static const char *const names[] = {"u8", "u16", "f32", "u32"};
    return (unsigned)type < FIB_PX_COUNT_ ? names[type] : "invalid";
}

fib_status fib_image_init(fib_image *img, fib_pixel_type type, size_t width,
                          size_t height, fib_error *err)
{
    memset(img, 0, sizeof *img);
    const size_t es = fib_pixel_size_bytes(type);
    if (!es)
        return fib_error_set(err, FIB_EINVAL, "image: invalid pixel type %d",
                             (int)type);
    if (width == 0 || height == 0 || width > FIB_MAX_EXTENT ||
        height > FIB_MAX_EXTENT)
        return fib_error_set(err, FIB_EINVAL,
                             "image: size %zux%zu outside 1..%zu", width,
                             height, FIB_MAX_EXTENT);
    size_t bytes;
    if (!fib_mul3_size(width, height, es, &bytes) ||
        bytes > FIB_MAX_ALLOC_BYTES)
        return fib_error_set(err, FIB_ERANGE,
                             "image: %zux%zu exceeds %zu bytes", width, height,
                             FIB_MAX_ALLOC_BYTES);
    void *data = calloc(1, bytes);
    if (!data)
        return fib_error_set(err, FIB_ENOMEM,
                             "image: cannot allocate %zu bytes", bytes);
    img->type = type;
    img->width = width;
    img->height = height;
    img->stride = width * es;
    img->data = data;
    img->owns_data = true;
    return FIB_OK;
}

void fib_image_clear(fib_image *img)
{
    if (!img)
        return;
    if (img->owns_data)
        free(img->data);
    memset(img, 0, sizeof *img);
}

fib_status fib_image_view(const fib_image *img, size_t x0, size_t y0,
                          size_t width, size_t height, fib_image *view,
                          fib_error *err)
{
    memset(view, 0, sizeof *view);
    if (width == 0 || height == 0 || x0 > img->width ||
        width > img->width - x0 || y0 > img->height ||
        height > img->height - y0)
        return fib_error_set(err, FIB_EINVAL,
                             "image: view %zux%zu+%zu+%zu outside %zux%zu",
                             width, height, x0, y0, img->width, img->height);
    *view = *img;
    view->owns_data = false;
    view->width = width;
    view->height = height;
    view->data = (char *)img->data + y0 * img->stride +
                 x0 * fib_pixel_size_bytes(img->type);
    view->origin_nm[0] = img->origin_nm[0] + (double)x0 * img->pixel_size_nm[0];
    view->origin_nm[1] = img->origin_nm[1] + (double)y0 * img->pixel_size_nm[1];
    return FIB_OK;
}

fib_status fib_image_copy(const fib_image *src, fib_image *dst, fib_error *err)
{
    const fib_status st =
        fib_image_init(dst, src->type, src->width, src->height, err);
    if (st != FIB_OK)
        return st;
    const size_t row = src->width * fib_pixel_size_bytes(src->type);
    for (size_t y = 0; y < src->height; y++)
        memcpy(fib_image_row(dst, y), fib_image_row(src, y), row);
    memcpy(dst->pixel_size_nm, src->pixel_size_nm, sizeof dst->pixel_size_nm);
    memcpy(dst->origin_nm, src->origin_nm, sizeof dst->origin_nm);
    return FIB_OK;
}

static double load(const void *p, fib_pixel_type t)
{
    switch (t) {
    case FIB_PX_U8:
        return *(const uint8_t *)p;
    case FIB_PX_U16:
        return *(const uint16_t *)p;
    case FIB_PX_F32:
        return (double)*(const float *)p;
    case FIB_PX_U32:
        return *(const uint32_t *)p;
    default:
        return 0.0;
    }
}

static double clamp_round(double v, double hi)
{
    if (!(v > 0.0))
        return 0.0; /* also maps NaN to 0 */
    if (v >= hi)
        return hi;
    return floor(v + 0.5);
}

static void store(void *p, fib_pixel_type t, double v)
{
    switch (t) {
    case FIB_PX_U8:
        *(uint8_t *)p = (uint8_t)clamp_round(v, 255.0);
        break;
    case FIB_PX_U16:
        *(uint16_t *)p = (uint16_t)clamp_round(v, 65535.0);
        break;
    case FIB_PX_F32:
        *(float *)p = (float)v;
        break;
    case FIB_PX_U32:
        *(uint32_t *)p = (uint32_t)clamp_round(v, 4294967295.0);
        break;
    default:
        break;
    }
}

double fib_image_get(const fib_image *img, size_t x, size_t y)
{
    return load((const char *)fib_image_row(img, y) +
                    x * fib_pixel_size_bytes(img->type),
                img->type);
}

void fib_image_set(fib_image *img, size_t x, size_t y, double v)
{
    store((char *)fib_image_row(img, y) + x * fib_pixel_size_bytes(img->type),
          img->type, v);
}

fib_status fib_image_convert(const fib_image *src, fib_pixel_type type,
                             fib_image *dst, fib_error *err)
{
    const fib_status st =
        fib_image_init(dst, type, src->width, src->height, err);
    if (st != FIB_OK)
        return st;
    for (size_t y = 0; y < src->height; y++)
        for (size_t x = 0; x < src->width; x++)
            fib_image_set(dst, x, y, fib_image_get(src, x, y));
    memcpy(dst->pixel_size_nm, src->pixel_size_nm, sizeof dst->pixel_size_nm);
    memcpy(dst->origin_nm, src->origin_nm, sizeof dst->origin_nm);
    return FIB_OK;
}

fib_status fib_volume_init(fib_volume *vol, fib_pixel_type type, size_t nx,
                           size_t ny, size_t nz, fib_error *err)
{
    memset(vol, 0, sizeof *vol);
    const size_t es = fib_pixel_size_bytes(type);
    if (!es)
        return fib_error_set(err, FIB_EINVAL, "volume: invalid pixel type %d",
                             (int)type);
    if (nx == 0 || ny == 0 || nz == 0 || nx > FIB_MAX_EXTENT ||
        ny > FIB_MAX_EXTENT || nz > FIB_MAX_EXTENT)
        return fib_error_set(err, FIB_EINVAL,
                             "volume: size %zux%zux%zu outside 1..%zu", nx, ny,
                             nz, FIB_MAX_EXTENT);
    size_t slice, bytes;
    if (!fib_mul3_size(nx, ny, es, &slice) ||
        !fib_mul_size(slice, nz, &bytes) || bytes > FIB_MAX_ALLOC_BYTES)
        return fib_error_set(err, FIB_ERANGE,
                             "volume: %zux%zux%zu exceeds %zu bytes", nx, ny,
                             nz, FIB_MAX_ALLOC_BYTES);
    void *data = calloc(1, bytes);
    if (!data)
        return fib_error_set(err, FIB_ENOMEM,
                             "volume: cannot allocate %zu bytes", bytes);
    vol->type = type;
    vol->nx = nx;
    vol->ny = ny;
    vol->nz = nz;
    vol->stride_y = nx * es;
    vol->stride_z = slice;
    vol->data = data;
    vol->owns_data = true;
    return FIB_OK;
}

void fib_volume_clear(fib_volume *vol)
{
    if (!vol)
        return;
    if (vol->owns_data)
        free(vol->data);
    memset(vol, 0, sizeof *vol);
}

fib_image fib_volume_slice(const fib_volume *vol, size_t z)
{
    fib_image img;
    memset(&img, 0, sizeof img);
    img.type = vol->type;
    img.width = vol->nx;
    img.height = vol->ny;
    img.stride = vol->stride_y;
    img.data = (char *)vol->data + z * vol->stride_z;
    img.pixel_size_nm[0] = vol->voxel_size_nm[0];
    img.pixel_size_nm[1] = vol->voxel_size_nm[1];
    img.origin_nm[0] = vol->origin_nm[0];
    img.origin_nm[1] = vol->origin_nm[1];
    img.owns_data = false;
    return img;
}

double fib_volume_get(const fib_volume *vol, size_t x, size_t y, size_t z)
{
    return load(fib_volume_at(vol, x, y, z), vol->type);
}

void fib_volume_set(fib_volume *vol, size_t x, size_t y, size_t z, double v)
{
    store(fib_volume_at(vol, x, y, z), vol->type, v);
}

/* One step of the finite min/max scan of fib_image_minmax and
 * fib_volume_minmax (NaN/Inf skipped; the first of equal values kept). */
static inline void minmax_add(double v, double *lo, double *hi)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

static void minmax_end(double lo, double hi, double *min_out, double *max_out)
{
    if (lo > hi)
        lo = hi = 0.0;
    *min_out = lo;
    *max_out = hi;
}

void fib_image_minmax(const fib_image *img, double *min_out, double *max_out)
{
    double lo = (double)INFINITY, hi = -(double)INFINITY;
    for (size_t y = 0; y < img->height; y++)
        for (size_t x = 0; x < img->width; x++)
            minmax_add(fib_image_get(img, x, y), &lo, &hi);
    minmax_end(lo, hi, min_out, max_out);
}

void fib_volume_minmax(const fib_volume *vol, double *min_out, double *max_out)
{
    double lo = (double)INFINITY, hi = -(double)INFINITY;
    for (size_t z = 0; z < vol->nz; z++)
        for (size_t y = 0; y < vol->ny; y++)
            for (size_t x = 0; x < vol->nx; x++)
                minmax_add(load(fib_volume_at(vol, x, y, z), vol->type), &lo,
                           &hi);
    minmax_end(lo, hi, min_out, max_out);
}
