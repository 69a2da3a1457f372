/* segment_util.c -- small helpers shared by recon/ segmentation code. */
#include <math.h>
#include <stdlib.h>

#include "analysis_internal.h"

bool fib__vol_packed(const fib_volume *vol)
{
    size_t es = fib_pixel_size_bytes(vol->type);
    return es != 0 && vol->stride_y == vol->nx * es &&
           vol->stride_z == vol->ny * vol->stride_y;
}

fib_status fib__vol_check(const fib_volume *vol, const char *what,
                          fib_error *err)
{
    if (!vol || !vol->data || vol->nx == 0 || vol->ny == 0 || vol->nz == 0)
        return fib_error_set(err, FIB_EINVAL, "recon: %s is empty", what);
    if (!fib__vol_packed(vol))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: %s must have packed strides", what);
    return FIB_OK;
}

void fib__vol_spacing(const fib_volume *vol, double sp[3])
{
    for (int a = 0; a < 3; a++) {
        double s = vol->voxel_size_nm[a];
        sp[a] = (s > 0 && isfinite(s)) ? s : 1.0;
    }
}

double fib__vol_value(const fib_volume *vol, size_t i)
{
    switch (vol->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)vol->data)[i];
    case FIB_PX_U16:
        return ((const uint16_t *)vol->data)[i];
    case FIB_PX_F32:
        return (double)((const float *)vol->data)[i];
    case FIB_PX_U32:
        return ((const uint32_t *)vol->data)[i];
    default:
        return 0;
    }
}

const int8_t fib__n26[26][3] = {
    {-1, -1, -1}, {0, -1, -1}, {1, -1, -1}, {-1, 0, -1}, {0, 0, -1},
    {1, 0, -1},   {-1, 1, -1}, {0, 1, -1},  {1, 1, -1},  {-1, -1, 0},
    {0, -1, 0},   {1, -1, 0},  {-1, 0, 0},  {1, 0, 0},   {-1, 1, 0},
    {0, 1, 0},    {1, 1, 0},   {-1, -1, 1}, {0, -1, 1},  {1, -1, 1},
    {-1, 0, 1},   {0, 0, 1},   {1, 0, 1},   {-1, 1, 1},  {0, 1, 1},
    {1, 1, 1}};

int fib__backward_offsets(int connectivity, int off[13][3])
{
    int n = 0;
    for (int dz = -1; dz <= 0; dz++)
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                /* backward: earlier in raster order (z, then y, then x) */
                if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0)))
                    continue;
                int m = abs(dx) + abs(dy) + abs(dz);
                if (connectivity == 6 && m > 1)
                    continue;
                if (connectivity == 18 && m > 2)
                    continue;
                off[n][0] = dx;
                off[n][1] = dy;
                off[n][2] = dz;
                n++;
            }
    return n;
}
