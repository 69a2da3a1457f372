/*
 * image_util.c -- private helpers the image readers and writers share
 * (image_util.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_util.h"

char *fib__img_path_join(const char *a, const char *b)
{
    const size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

size_t fib__img_esize(fib_pixel_type t)
{
    return t == FIB_PX_U8 ? 1 : t == FIB_PX_U16 ? 2 : 4;
}

void fib__img_voxel_meta(fib_fmt_meta *meta, const double vs[3],
                         const char *key, size_t full_height)
{
    if (vs[0] > 0)
        meta->pixel_size_nm[0] = vs[0];
    if (vs[1] > 0)
        meta->pixel_size_nm[1] = vs[1];
    if (vs[2] > 0)
        meta->voxel_depth_nm = vs[2];
    if (vs[0] > 0)
        snprintf(meta->source_key, sizeof meta->source_key, "%s", key);
    meta->full_height = full_height;
}

void fib__img_swap_bytes(void *data, size_t n, size_t es)
{
    unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        unsigned char *e = p + i * es;
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            const unsigned char t = e[a];
            e[a] = e[b];
            e[b] = t;
        }
    }
}

/* fib/formats.h; here because every reader of this folder calls it. */
void fib_fmt_meta_init(fib_fmt_meta *meta)
{
    if (!meta)
        return;
    memset(meta, 0, sizeof *meta);
    meta->vendor = FIB_VENDOR_NONE;
    meta->beam = FIB_BEAM_UNKNOWN;
    meta->pixel_size_nm[0] = meta->pixel_size_nm[1] = (double)NAN;
    meta->voxel_depth_nm = (double)NAN;
    meta->hfw_nm = (double)NAN;
    meta->hv_kV = (double)NAN;
    meta->current_pA = (double)NAN;
    meta->stage_tilt_deg = (double)NAN;
    meta->working_distance_nm = (double)NAN;
    meta->beam_angle_deg = (double)NAN;
    meta->tilt_correction = -1;
}
