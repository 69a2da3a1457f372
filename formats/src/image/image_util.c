/*
 * image_util.c -- private helpers the image readers and writers share
 * (image_util.h).
 */
#include <math.h>
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
