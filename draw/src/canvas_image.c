/*
 * canvas_image.c -- colormaps, palette, image and label blits onto a
 * canvas, aspect-correct fitting.  See fib/canvas.h for contracts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/canvas.h"
#include "fib/checked.h"
#include "canvas_internal.h"
#include "font.h"

/* ------------------------------------------------------------------ */
/* Colormaps                                                           */

/* matplotlib's viridis (_cm_listed._viridis_data, CC0, van der Walt &
 * Smith 2015) rounded to 8 bits: entry i = round(255 * value). */
static const fib_rgb viridis_lut[256] = {
    0x440154, 0x440256, 0x450457, 0x450559, 0x46075A, 0x46085C, 0x460A5D,
    0x460B5E, 0x470D60, 0x470E61, 0x471063, 0x471164, 0x471365, 0x481467,
    0x481668, 0x481769, 0x48186A, 0x481A6C, 0x481B6D, 0x481C6E, 0x481D6F,
    0x481F70, 0x482071, 0x482173, 0x482374, 0x482475, 0x482576, 0x482677,
    0x482878, 0x482979, 0x472A7A, 0x472C7A, 0x472D7B, 0x472E7C, 0x472F7D,
    0x46307E, 0x46327E, 0x46337F, 0x463480, 0x453581, 0x453781, 0x453882,
    0x443983, 0x443A83, 0x443B84, 0x433D84, 0x433E85, 0x423F85, 0x424086,
    0x424186, 0x414287, 0x414487, 0x404588, 0x404688, 0x3F4788, 0x3F4889,
    0x3E4989, 0x3E4A89, 0x3E4C8A, 0x3D4D8A, 0x3D4E8A, 0x3C4F8A, 0x3C508B,
    0x3B518B, 0x3B528B, 0x3A538B, 0x3A548C, 0x39558C, 0x39568C, 0x38588C,
    0x38598C, 0x375A8C, 0x375B8D, 0x365C8D, 0x365D8D, 0x355E8D, 0x355F8D,
    0x34608D, 0x34618D, 0x33628D, 0x33638D, 0x32648E, 0x32658E, 0x31668E,
    0x31678E, 0x31688E, 0x30698E, 0x306A8E, 0x2F6B8E, 0x2F6C8E, 0x2E6D8E,
    0x2E6E8E, 0x2E6F8E, 0x2D708E, 0x2D718E, 0x2C718E, 0x2C728E, 0x2C738E,
    0x2B748E, 0x2B758E, 0x2A768E, 0x2A778E, 0x2A788E, 0x29798E, 0x297A8E,
    0x297B8E, 0x287C8E, 0x287D8E, 0x277E8E, 0x277F8E, 0x27808E, 0x26818E,
    0x26828E, 0x26828E, 0x25838E, 0x25848E, 0x25858E, 0x24868E, 0x24878E,
    0x23888E, 0x23898E, 0x238A8D, 0x228B8D, 0x228C8D, 0x228D8D, 0x218E8D,
    0x218F8D, 0x21908D, 0x21918C, 0x20928C, 0x20928C, 0x20938C, 0x1F948C,
    0x1F958B, 0x1F968B, 0x1F978B, 0x1F988B, 0x1F998A, 0x1F9A8A, 0x1E9B8A,
    0x1E9C89, 0x1E9D89, 0x1F9E89, 0x1F9F88, 0x1FA088, 0x1FA188, 0x1FA187,
    0x1FA287, 0x20A386, 0x20A486, 0x21A585, 0x21A685, 0x22A785, 0x22A884,
    0x23A983, 0x24AA83, 0x25AB82, 0x25AC82, 0x26AD81, 0x27AD81, 0x28AE80,
    0x29AF7F, 0x2AB07F, 0x2CB17E, 0x2DB27D, 0x2EB37C, 0x2FB47C, 0x31B57B,
    0x32B67A, 0x34B679, 0x35B779, 0x37B878, 0x38B977, 0x3ABA76, 0x3BBB75,
    0x3DBC74, 0x3FBC73, 0x40BD72, 0x42BE71, 0x44BF70, 0x46C06F, 0x48C16E,
    0x4AC16D, 0x4CC26C, 0x4EC36B, 0x50C46A, 0x52C569, 0x54C568, 0x56C667,
    0x58C765, 0x5AC864, 0x5CC863, 0x5EC962, 0x60CA60, 0x63CB5F, 0x65CB5E,
    0x67CC5C, 0x69CD5B, 0x6CCD5A, 0x6ECE58, 0x70CF57, 0x73D056, 0x75D054,
    0x77D153, 0x7AD151, 0x7CD250, 0x7FD34E, 0x81D34D, 0x84D44B, 0x86D549,
    0x89D548, 0x8BD646, 0x8ED645, 0x90D743, 0x93D741, 0x95D840, 0x98D83E,
    0x9BD93C, 0x9DD93B, 0xA0DA39, 0xA2DA37, 0xA5DB36, 0xA8DB34, 0xAADC32,
    0xADDC30, 0xB0DD2F, 0xB2DD2D, 0xB5DE2B, 0xB8DE29, 0xBADE28, 0xBDDF26,
    0xC0DF25, 0xC2DF23, 0xC5E021, 0xC8E020, 0xCAE11F, 0xCDE11D, 0xD0E11C,
    0xD2E21B, 0xD5E21A, 0xD8E219, 0xDAE319, 0xDDE318, 0xDFE318, 0xE2E418,
    0xE5E419, 0xE7E419, 0xEAE51A, 0xECE51B, 0xEFE51C, 0xF1E51D, 0xF4E61E,
    0xF6E620, 0xF8E621, 0xFBE723, 0xFDE725,
};

/* Grey ramp: entry i = (i, i, i). */
static const fib_rgb grey_lut[256] = {
    0x000000, 0x010101, 0x020202, 0x030303, 0x040404, 0x050505, 0x060606,
    0x070707, 0x080808, 0x090909, 0x0A0A0A, 0x0B0B0B, 0x0C0C0C, 0x0D0D0D,
    0x0E0E0E, 0x0F0F0F, 0x101010, 0x111111, 0x121212, 0x131313, 0x141414,
    0x151515, 0x161616, 0x171717, 0x181818, 0x191919, 0x1A1A1A, 0x1B1B1B,
    0x1C1C1C, 0x1D1D1D, 0x1E1E1E, 0x1F1F1F, 0x202020, 0x212121, 0x222222,
    0x232323, 0x242424, 0x252525, 0x262626, 0x272727, 0x282828, 0x292929,
    0x2A2A2A, 0x2B2B2B, 0x2C2C2C, 0x2D2D2D, 0x2E2E2E, 0x2F2F2F, 0x303030,
    0x313131, 0x323232, 0x333333, 0x343434, 0x353535, 0x363636, 0x373737,
    0x383838, 0x393939, 0x3A3A3A, 0x3B3B3B, 0x3C3C3C, 0x3D3D3D, 0x3E3E3E,
    0x3F3F3F, 0x404040, 0x414141, 0x424242, 0x434343, 0x444444, 0x454545,
    0x464646, 0x474747, 0x484848, 0x494949, 0x4A4A4A, 0x4B4B4B, 0x4C4C4C,
    0x4D4D4D, 0x4E4E4E, 0x4F4F4F, 0x505050, 0x515151, 0x525252, 0x535353,
    0x545454, 0x555555, 0x565656, 0x575757, 0x585858, 0x595959, 0x5A5A5A,
    0x5B5B5B, 0x5C5C5C, 0x5D5D5D, 0x5E5E5E, 0x5F5F5F, 0x606060, 0x616161,
    0x626262, 0x636363, 0x646464, 0x656565, 0x666666, 0x676767, 0x686868,
    0x696969, 0x6A6A6A, 0x6B6B6B, 0x6C6C6C, 0x6D6D6D, 0x6E6E6E, 0x6F6F6F,
    0x707070, 0x717171, 0x727272, 0x737373, 0x747474, 0x757575, 0x767676,
    0x777777, 0x787878, 0x797979, 0x7A7A7A, 0x7B7B7B, 0x7C7C7C, 0x7D7D7D,
    0x7E7E7E, 0x7F7F7F, 0x808080, 0x818181, 0x828282, 0x838383, 0x848484,
    0x858585, 0x868686, 0x878787, 0x888888, 0x898989, 0x8A8A8A, 0x8B8B8B,
    0x8C8C8C, 0x8D8D8D, 0x8E8E8E, 0x8F8F8F, 0x909090, 0x919191, 0x929292,
    0x939393, 0x949494, 0x959595, 0x969696, 0x979797, 0x989898, 0x999999,
    0x9A9A9A, 0x9B9B9B, 0x9C9C9C, 0x9D9D9D, 0x9E9E9E, 0x9F9F9F, 0xA0A0A0,
    0xA1A1A1, 0xA2A2A2, 0xA3A3A3, 0xA4A4A4, 0xA5A5A5, 0xA6A6A6, 0xA7A7A7,
    0xA8A8A8, 0xA9A9A9, 0xAAAAAA, 0xABABAB, 0xACACAC, 0xADADAD, 0xAEAEAE,
    0xAFAFAF, 0xB0B0B0, 0xB1B1B1, 0xB2B2B2, 0xB3B3B3, 0xB4B4B4, 0xB5B5B5,
    0xB6B6B6, 0xB7B7B7, 0xB8B8B8, 0xB9B9B9, 0xBABABA, 0xBBBBBB, 0xBCBCBC,
    0xBDBDBD, 0xBEBEBE, 0xBFBFBF, 0xC0C0C0, 0xC1C1C1, 0xC2C2C2, 0xC3C3C3,
    0xC4C4C4, 0xC5C5C5, 0xC6C6C6, 0xC7C7C7, 0xC8C8C8, 0xC9C9C9, 0xCACACA,
    0xCBCBCB, 0xCCCCCC, 0xCDCDCD, 0xCECECE, 0xCFCFCF, 0xD0D0D0, 0xD1D1D1,
    0xD2D2D2, 0xD3D3D3, 0xD4D4D4, 0xD5D5D5, 0xD6D6D6, 0xD7D7D7, 0xD8D8D8,
    0xD9D9D9, 0xDADADA, 0xDBDBDB, 0xDCDCDC, 0xDDDDDD, 0xDEDEDE, 0xDFDFDF,
    0xE0E0E0, 0xE1E1E1, 0xE2E2E2, 0xE3E3E3, 0xE4E4E4, 0xE5E5E5, 0xE6E6E6,
    0xE7E7E7, 0xE8E8E8, 0xE9E9E9, 0xEAEAEA, 0xEBEBEB, 0xECECEC, 0xEDEDED,
    0xEEEEEE, 0xEFEFEF, 0xF0F0F0, 0xF1F1F1, 0xF2F2F2, 0xF3F3F3, 0xF4F4F4,
    0xF5F5F5, 0xF6F6F6, 0xF7F7F7, 0xF8F8F8, 0xF9F9F9, 0xFAFAFA, 0xFBFBFB,
    0xFCFCFC, 0xFDFDFD, 0xFEFEFE, 0xFFFFFF,
};

const fib_rgb *fib_colormap_lut(fib_colormap cm)
{
    return cm == FIB_CMAP_VIRIDIS ? viridis_lut : grey_lut;
}

fib_rgb fib_colormap_eval(fib_colormap cm, double t)
{
    t = clamp01(t);
    return fib_colormap_lut(cm)[(int)floor(t * 255.0 + 0.5)];
}

/* Tableau 10 (matplotlib "tab10") then six extra tones chosen so that every
 * pair of the 16 differs by more than 60 in RGB Euclidean distance. */
static const fib_rgb palette[FIB_PALETTE_SIZE] = {
    0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B,
    0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF, 0xAEC7E8, 0xFFBB78,
    0x98DF8A, 0x393B79, 0xFF00FF, 0xFFD92F,
};

fib_rgb fib_palette_color(size_t i)
{
    return palette[i % FIB_PALETTE_SIZE];
}

/* ------------------------------------------------------------------ */
/* Images                                                              */

static inline double sample(const fib_image *img, size_t x, size_t y)
{
    const char *row = (const char *)img->data + y * img->stride;
    switch (img->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)row)[x];
    case FIB_PX_U16:
        return ((const uint16_t *)row)[x];
    case FIB_PX_F32:
        return (double)((const float *)row)[x];
    default:
        return ((const uint32_t *)row)[x];
    }
}

/* Source coordinate of destination index i (pixel-centre mapping). */
static inline double src_coord(int i, int dst_n, size_t src_n)
{
    return (i + 0.5) * (double)src_n / dst_n - 0.5;
}

static inline size_t nearest_index(int i, int dst_n, size_t src_n)
{
    const double s = floor((i + 0.5) * (double)src_n / dst_n);
    if (!(s > 0.0))
        return 0;
    return s >= (double)src_n ? src_n - 1 : (size_t)s;
}

fib_status fib_canvas_draw_image(fib_canvas *c, const fib_image *img,
                                 fib_canvas_rect dst,
                                 const fib_canvas_image_params *p,
                                 fib_error *err)
{
    static const fib_canvas_image_params defaults = {0};
    if (!p)
        p = &defaults;
    if (!c || !img || !img->data || img->width == 0 || img->height == 0)
        return fib_error_set(err, FIB_EINVAL, "canvas: image is empty");
    if (img->type != FIB_PX_U8 && img->type != FIB_PX_U16 &&
        img->type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: image type %s cannot be drawn as grey "
                             "(need u8, u16 or f32)",
                             fib_pixel_type_name(img->type));
    fib_status st = check_dst(dst, err);
    if (st != FIB_OK)
        return st;
    double lo = p->lo, hi = p->hi;
    if (!isfinite(lo) || !isfinite(hi) || hi < lo)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: display window lo %g, hi %g must be "
                             "finite with hi >= lo",
                             lo, hi);
    if (lo == hi)
        fib_image_minmax(img, &lo, &hi);
    const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
    const fib_rgb *lut = fib_colormap_lut(p->cmap);
    int x0, y0, x1, y1;
    if (!clip_rect(c, dst, &x0, &y0, &x1, &y1))
        return FIB_OK;
    const size_t W = img->width, H = img->height;
    for (int y = y0; y < y1; y++) {
        const int j = y - dst.y;
        size_t iy0 = nearest_index(j, dst.h, H), iy1 = iy0;
        double fy = 0.0;
        if (p->interp == FIB_INTERP_BILINEAR) {
            double sy = src_coord(j, dst.h, H);
            if (sy < 0.0)
                sy = 0.0;
            if (sy > (double)(H - 1))
                sy = (double)(H - 1);
            iy0 = (size_t)sy;
            iy1 = iy0 + 1 < H ? iy0 + 1 : iy0;
            fy = sy - (double)iy0;
        }
        for (int x = x0; x < x1; x++) {
            const int i = x - dst.x;
            double v;
            if (p->interp == FIB_INTERP_BILINEAR) {
                double sx = src_coord(i, dst.w, W);
                if (sx < 0.0)
                    sx = 0.0;
                if (sx > (double)(W - 1))
                    sx = (double)(W - 1);
                const size_t ix0 = (size_t)sx;
                const size_t ix1 = ix0 + 1 < W ? ix0 + 1 : ix0;
                const double fx = sx - (double)ix0;
                const double a = sample(img, ix0, iy0) * (1 - fx) +
                                 sample(img, ix1, iy0) * fx;
                const double b = sample(img, ix0, iy1) * (1 - fx) +
                                 sample(img, ix1, iy1) * fx;
                v = a * (1 - fy) + b * fy;
            } else {
                v = sample(img, nearest_index(i, dst.w, W), iy0);
            }
            double t = (v - lo) * scale;
            if (!(t > 0.0))
                t = 0.0;
            if (t > 255.0)
                t = 255.0;
            int k = (int)floor(t + 0.5);
            if (p->invert)
                k = 255 - k;
            put(c, x, y, lut[k]);
        }
    }
    return FIB_OK;
}

static inline uint32_t label_at(const fib_image *img, size_t x, size_t y)
{
    return ((const uint32_t *)((const char *)img->data + y * img->stride))[x];
}

fib_status fib_canvas_draw_labels(fib_canvas *c, const fib_image *labels,
                                  fib_canvas_rect dst,
                                  const fib_canvas_label_params *p,
                                  fib_error *err)
{
    static const fib_canvas_label_params defaults = {0};
    if (!p)
        p = &defaults;
    if (!c || !labels || !labels->data || labels->width == 0 ||
        labels->height == 0)
        return fib_error_set(err, FIB_EINVAL, "canvas: label image is empty");
    if (labels->type != FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: label image must be u32 (got %s)",
                             fib_pixel_type_name(labels->type));
    if (p->colors && p->n_colors == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "canvas: label n_colors must be > 0");
    fib_status st = check_dst(dst, err);
    if (st != FIB_OK)
        return st;
    const double alpha = p->alpha > 0.0 ? clamp01(p->alpha) : 0.5;
    int x0, y0, x1, y1;
    if (!clip_rect(c, dst, &x0, &y0, &x1, &y1))
        return FIB_OK;
    const size_t W = labels->width, H = labels->height;
    for (int y = y0; y < y1; y++) {
        const size_t sy = nearest_index(y - dst.y, dst.h, H);
        for (int x = x0; x < x1; x++) {
            const size_t sx = nearest_index(x - dst.x, dst.w, W);
            const uint32_t l = label_at(labels, sx, sy);
            if (l == 0)
                continue;
            if (p->outline_only) {
                /* Boundary in destination space: a 4-neighbour maps to a
                 * different label (or lies outside dst). */
                bool edge = false;
                const int nb[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
                for (int k = 0; k < 4 && !edge; k++) {
                    const int ii = x - dst.x + nb[k][0];
                    const int jj = y - dst.y + nb[k][1];
                    if (ii < 0 || jj < 0 || ii >= dst.w || jj >= dst.h)
                        edge = true;
                    else
                        edge = label_at(labels, nearest_index(ii, dst.w, W),
                                        nearest_index(jj, dst.h, H)) != l;
                }
                if (!edge)
                    continue;
            }
            const fib_rgb col = p->colors ? p->colors[(l - 1) % p->n_colors]
                                          : fib_palette_color(l - 1);
            blend_px(c, x, y, col, alpha);
        }
    }
    return FIB_OK;
}

fib_canvas_rect fib_canvas_fit_rect(fib_canvas_rect box, double phys_w,
                                    double phys_h)
{
    if (!(phys_w > 0.0) || !(phys_h > 0.0) || !isfinite(phys_w) ||
        !isfinite(phys_h) || box.w <= 0 || box.h <= 0)
        return box;
    const double aspect = phys_w / phys_h;
    fib_canvas_rect r = box;
    if ((double)box.w / box.h > aspect) {
        r.w = (int)floor(box.h * aspect + 0.5);
        if (r.w < 1)
            r.w = 1;
    } else {
        r.h = (int)floor(box.w / aspect + 0.5);
        if (r.h < 1)
            r.h = 1;
    }
    r.x = box.x + (box.w - r.w) / 2;
    r.y = box.y + (box.h - r.h) / 2;
    return r;
}
