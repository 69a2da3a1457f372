/*
 * fib/canvas.h -- a small dependency-free RGB8 raster canvas for every
 * picture cryofib draws: primitives, grey/label image blits, an embedded
 * 8x8 bitmap font, scale bars and colormaps.  Charts built on it are in
 * fib/plot.h; fib/picture.h writes a canvas as PNG.
 *
 * Coordinates: pixel (x, y) is the unit square [x, x+1) x [y, y+1); x runs
 * right, y down, (0, 0) is the top-left pixel.  Integer primitives address
 * pixels; the double-precision ones (antialiased line, polygon, circle)
 * use continuous coordinates where the centre of pixel (x, y) is
 * (x + 0.5, y + 0.5).  Every primitive clips to the canvas (and to the
 * clip rectangle, fib_canvas_set_clip()): drawing outside is a silent
 * no-op, never an error.
 *
 * Colours are packed 0xRRGGBB in a uint32_t (fib_rgb).  Alpha values are
 * doubles in [0, 1] (clamped; NaN counts as 0).
 *
 * Thread-safety: functions on distinct canvases are independent; a canvas
 * must not be drawn on from two threads at once.  No global state.
 */
#ifndef FIB_CANVAS_H
#define FIB_CANVAS_H

#include "fib/common.h"
#include "fib/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Packed colour 0xRRGGBB (the top byte is ignored). */
typedef uint32_t fib_rgb;

#define FIB_RGB(r, g, b)                                                       \
    ((fib_rgb)((((uint32_t)(r)&0xFFu) << 16) | (((uint32_t)(g)&0xFFu) << 8) |  \
               ((uint32_t)(b)&0xFFu)))
#define FIB_RGB_R(c) ((uint8_t)(((c) >> 16) & 0xFFu))
#define FIB_RGB_G(c) ((uint8_t)(((c) >> 8) & 0xFFu))
#define FIB_RGB_B(c) ((uint8_t)((c)&0xFFu))

#define FIB_RGB_BLACK ((fib_rgb)0x000000u)
#define FIB_RGB_WHITE ((fib_rgb)0xFFFFFFu)

/** Opaque RGB8 canvas: width x height pixels, 3 bytes each, rows packed. */
typedef struct fib_canvas fib_canvas;

/** Rectangle on a canvas in pixels: top-left (x, y), size w x h. */
typedef struct fib_canvas_rect {
    int x, y, w, h;
} fib_canvas_rect;

/** Largest accepted canvas side (pixels). */
#define FIB_CANVAS_MAX_SIDE 32768

/**
 * Create a canvas of @p width x @p height pixels filled with @p background.
 * Errors: FIB_EINVAL (a side is 0 or over FIB_CANVAS_MAX_SIDE, @p out NULL),
 * FIB_ENOMEM.  On failure *out is NULL.
 */
FIB_API FIB_NODISCARD fib_status fib_canvas_create(size_t width, size_t height,
                                                   fib_rgb background,
                                                   fib_canvas **out,
                                                   fib_error *err);

/** Free a canvas; NULL is a no-op. */
FIB_API void fib_canvas_destroy(fib_canvas *c);

FIB_API size_t fib_canvas_width(const fib_canvas *c);
FIB_API size_t fib_canvas_height(const fib_canvas *c);

/** Pixel bytes: row y starts at y * 3 * width; R, G, B per pixel.  The
 *  canvas owns them; valid until fib_canvas_destroy(). */
FIB_API uint8_t *fib_canvas_pixels(fib_canvas *c);
FIB_API const uint8_t *fib_canvas_pixels_const(const fib_canvas *c);

/** Colour of pixel (x, y); 0 (black) outside the canvas. */
FIB_API fib_rgb fib_canvas_get(const fib_canvas *c, int x, int y);

/** Restrict every later drawing call to @p r (intersected with the
 *  canvas) until fib_canvas_reset_clip(); an empty intersection makes
 *  drawing a no-op.  Plots use it to keep data inside their axes. */
FIB_API void fib_canvas_set_clip(fib_canvas *c, fib_canvas_rect r);
/** Clip back to the whole canvas (the state after create). */
FIB_API void fib_canvas_reset_clip(fib_canvas *c);
/** The current clip rectangle. */
FIB_API fib_canvas_rect fib_canvas_get_clip(const fib_canvas *c);

/** Fill the whole canvas with @p color (ignores the clip rectangle). */
FIB_API void fib_canvas_clear(fib_canvas *c, fib_rgb color);

/** Set one pixel (clipped). */
FIB_API void fib_canvas_set(fib_canvas *c, int x, int y, fib_rgb color);

/** Blend @p color over pixel (x, y): out = alpha * color + (1-alpha) * old,
 *  rounded to nearest (clipped). */
FIB_API void fib_canvas_blend(fib_canvas *c, int x, int y, fib_rgb color,
                              double alpha);

/** Blend two colours: alpha * a + (1 - alpha) * b, per channel, rounded. */
FIB_API fib_rgb fib_rgb_mix(fib_rgb a, fib_rgb b, double alpha);

/** 1-pixel line from (x0, y0) to (x1, y1), both endpoints included
 *  (Bresenham 1965, integer all-octant form). */
FIB_API void fib_canvas_line(fib_canvas *c, int x0, int y0, int x1, int y1,
                             fib_rgb color);

/** Antialiased 1-pixel line between continuous points (Wu 1991, "An
 *  efficient antialiasing technique", SIGGRAPH 25(4):143). */
FIB_API void fib_canvas_line_aa(fib_canvas *c, double x0, double y0, double x1,
                                double y1, fib_rgb color);

/** Line of @p width_px pixels between continuous points, drawn as a filled
 *  rectangle (butt ends); width <= 1.5 falls back to fib_canvas_line() on
 *  the rounded endpoints. */
FIB_API void fib_canvas_thick_line(fib_canvas *c, double x0, double y0,
                                   double x1, double y1, double width_px,
                                   fib_rgb color);

/** Dashed 1-pixel Bresenham line: @p on pixels drawn, @p off skipped. */
FIB_API void fib_canvas_dashed_line(fib_canvas *c, int x0, int y0, int x1,
                                    int y1, int on, int off, fib_rgb color);

/** 1-pixel outline of the w x h rectangle at (x, y): exactly the pixels
 *  with x <= px < x+w, y <= py < y+h on its border.  w or h <= 0: nothing. */
FIB_API void fib_canvas_rect_outline(fib_canvas *c, fib_canvas_rect r,
                                     fib_rgb color);

/** Fill the w x h rectangle at (x, y) (exactly w*h pixels when inside). */
FIB_API void fib_canvas_fill_rect(fib_canvas *c, fib_canvas_rect r,
                                  fib_rgb color);

/** Alpha-blend @p color over the rectangle (overlays, legend boxes). */
FIB_API void fib_canvas_fill_rect_alpha(fib_canvas *c, fib_canvas_rect r,
                                        fib_rgb color, double alpha);

/**
 * Fill a simple or self-intersecting polygon of @p n vertices
 * xy[2i], xy[2i+1] (continuous coordinates, closed automatically) with the
 * even-odd rule by scanline: a pixel is filled when its centre is inside
 * (half-open on the right edge, so two polygons sharing an edge never both
 * fill a pixel).  Pixel count matches the analytic area to within the
 * boundary rounding.  @p alpha 1 = opaque.  n < 3 or NaN vertices: nothing
 * is drawn.  Allocates nothing for n <= 64 vertices; larger polygons use a
 * heap scratch buffer and draw nothing if it cannot be allocated.
 */
FIB_API void fib_canvas_fill_polygon(fib_canvas *c, const double *xy, size_t n,
                                     fib_rgb color, double alpha);

/**
 * Antialiased polygon fill (even-odd): each pixel is blended with alpha *
 * its covered fraction, computed exactly along x on 16 sub-scanlines per
 * row, so the summed coverage matches the analytic area to a small
 * fraction of a pixel per row.  Allocates one row of coverage (clip width
 * doubles) per call; draws nothing if that fails.  Same input rules as
 * fib_canvas_fill_polygon().
 */
FIB_API void fib_canvas_fill_polygon_aa(fib_canvas *c, const double *xy,
                                        size_t n, fib_rgb color, double alpha);

/** Closed 1-pixel polygon outline (antialiased when @p aa). */
FIB_API void fib_canvas_polygon_outline(fib_canvas *c, const double *xy,
                                        size_t n, fib_rgb color, bool aa);

/** 1-pixel circle outline of radius @p r about (cx, cy) pixel indices
 *  (midpoint algorithm). */
FIB_API void fib_canvas_circle(fib_canvas *c, int cx, int cy, int r,
                               fib_rgb color);

/** Filled disc: every pixel whose centre lies within @p r of (cx, cy)
 *  (continuous coordinates), blended with @p alpha. */
FIB_API void fib_canvas_fill_circle(fib_canvas *c, double cx, double cy,
                                    double r, fib_rgb color, double alpha);

/** Arrow from (x0, y0) to the tip (x1, y1): a shaft of @p width_px (as
 *  fib_canvas_thick_line; antialiased when <= 1.5) and a filled triangular
 *  head @p head_px long and 0.9 * head_px wide at the tip (0 means
 *  4 * max(width_px, 1) + 4; shortened to the arrow length if longer). */
FIB_API void fib_canvas_arrow(fib_canvas *c, double x0, double y0, double x1,
                              double y1, double width_px, double head_px,
                              fib_rgb color);

/* ------------------------------------------------------------------ */
/* Colormaps and palettes                                              */

typedef enum fib_colormap {
    FIB_CMAP_GREY = 0,    /**< black -> white */
    FIB_CMAP_VIRIDIS = 1, /**< matplotlib viridis (van der Walt & Smith
                               2015, CC0), the published 256 entries */
    FIB_CMAP_COUNT_
} fib_colormap;

/** 256-entry table of a colormap (static storage); grey for bad values. */
FIB_API const fib_rgb *fib_colormap_lut(fib_colormap cm);

/** Colour at @p t in [0, 1] (clamped; NaN gives entry 0): entry
 *  round(t * 255) of the table. */
FIB_API fib_rgb fib_colormap_eval(fib_colormap cm, double t);

/** Number of entries of the categorical palette (>= 12). */
#define FIB_PALETTE_SIZE 16

/** Categorical colour i (i modulo FIB_PALETTE_SIZE): Tableau 10 (tab10)
 *  followed by six more; every pair differs by > 60 in RGB distance. */
FIB_API fib_rgb fib_palette_color(size_t i);

/* ------------------------------------------------------------------ */
/* Images                                                              */

typedef enum fib_canvas_interp {
    FIB_INTERP_NEAREST = 0,
    FIB_INTERP_BILINEAR = 1
} fib_canvas_interp;

/** Grey blit parameters; all-zero = auto window, nearest, grey. */
typedef struct fib_canvas_image_params {
    double lo, hi;            /**< display window; lo == hi: image min/max */
    fib_canvas_interp interp; /**< nearest (default) or bilinear */
    fib_colormap cmap;        /**< FIB_CMAP_GREY default */
    bool invert;              /**< map lo -> white */
} fib_canvas_image_params;

/**
 * Draw @p img (u8, u16 or f32) scaled into @p dst: destination pixel
 * (i, j) samples the source at ((i + 0.5) * W / dst.w - 0.5, ...) so the
 * image fills dst exactly; anisotropic scaling is simply a dst whose aspect
 * differs from the pixel grid (see fib_canvas_fit_rect()).  Values map
 * linearly from [lo, hi] to the colormap, clamped; NaN pixels draw like
 * values <= lo.  Errors: FIB_EINVAL (NULL/empty image, u32 image, hi <
 * lo, dst with w or h <= 0).  The part of dst outside the canvas is clipped.
 */
FIB_API FIB_NODISCARD fib_status
fib_canvas_draw_image(fib_canvas *c, const fib_image *img, fib_canvas_rect dst,
                      const fib_canvas_image_params *p, fib_error *err);

/** Label overlay parameters; all-zero = alpha 0.5, categorical palette. */
typedef struct fib_canvas_label_params {
    double alpha;          /**< 0 means 0.5 */
    const fib_rgb *colors; /**< NULL: fib_palette_color(label - 1) */
    size_t n_colors;       /**< entries of colors (label-1 taken modulo) */
    bool outline_only;     /**< colour only pixels on a label boundary */
} fib_canvas_label_params;

/**
 * Blend a u32 label image (0 = background, left untouched) over @p dst
 * with nearest scaling, label l taking colour (l - 1) of the palette.
 * Errors: FIB_EINVAL (not u32, empty, bad dst, n_colors 0 with colors).
 */
FIB_API FIB_NODISCARD fib_status fib_canvas_draw_labels(
    fib_canvas *c, const fib_image *labels, fib_canvas_rect dst,
    const fib_canvas_label_params *p, fib_error *err);

/**
 * Largest rectangle inside @p box with aspect phys_w : phys_h (physical
 * sizes, e.g. nx * voxel_x_nm and nz * voxel_z_nm), centred in box.  Bad
 * sizes (not > 0) return box unchanged.
 */
FIB_API fib_canvas_rect fib_canvas_fit_rect(fib_canvas_rect box, double phys_w,
                                            double phys_h);

/* ------------------------------------------------------------------ */
/* Text: embedded public-domain 8x8 font (IBM VGA ROM glyphs via       */
/* Marcel Sondaar / Daniel Hepper's font8x8), ASCII 32..126.           */

enum { FIB_FONT_W = 8, FIB_FONT_H = 8, FIB_TEXT_MAX_SCALE = 4 };

/** Width in pixels of the longest line of @p s at @p scale (clamped to
 *  1..4); each character advances 8 * scale pixels. */
FIB_API int fib_text_width(const char *s, int scale);

/** Height in pixels: (number of lines) * 8 * scale; 0 for "" or NULL. */
FIB_API int fib_text_height(const char *s, int scale);

/**
 * Draw @p s with its top-left corner at (x, y), every glyph pixel a
 * scale x scale block.  '\n' starts a new line; bytes outside 32..126 draw
 * as '?'.  Only pixels inside the box (x, y, fib_text_width, fib_text_height)
 * are touched.  Returns the width drawn.
 */
FIB_API int fib_canvas_text(fib_canvas *c, int x, int y, const char *s,
                            int scale, fib_rgb color);

/** Horizontal/vertical anchor for fib_canvas_text_aligned(). */
typedef enum fib_text_align {
    FIB_ALIGN_START = 0, /**< left / top */
    FIB_ALIGN_CENTER = 1,
    FIB_ALIGN_END = 2 /**< right / bottom */
} fib_text_align;

/** Draw text anchored at (x, y) with the given alignments. */
FIB_API void fib_canvas_text_aligned(fib_canvas *c, int x, int y, const char *s,
                                     int scale, fib_rgb color,
                                     fib_text_align halign,
                                     fib_text_align valign);

/** Text on a backing box (annotations over images): the box is the text
 *  box grown by @p pad_px on every side, top-left at (x, y), filled with
 *  @p bg at @p bg_alpha (0 = no box); text in @p fg.  Returns the box. */
FIB_API fib_canvas_rect fib_canvas_text_box(fib_canvas *c, int x, int y,
                                            const char *s, int scale,
                                            fib_rgb fg, fib_rgb bg,
                                            double bg_alpha, int pad_px);

/** Draw one line rotated 90 degrees counter-clockwise (reading bottom to
 *  top, for y-axis titles), centred on (cx, cy). */
FIB_API void fib_canvas_text_vertical(fib_canvas *c, int cx, int cy,
                                      const char *s, int scale, fib_rgb color);

/* ------------------------------------------------------------------ */
/* Scale bar                                                           */

/** Round length 1, 2 or 5 x 10^k (nm) that is the largest such value
 *  <= fraction * width_nm; 0 when width_nm or fraction is not > 0. */
FIB_API double fib_scale_bar_pick_nm(double width_nm, double fraction);

/** Format a length: "500 nm", "2 um", "1.5 mm" ("%g" of the value in the
 *  largest unit of nm/um/mm in which it is >= 1). */
FIB_API void fib_format_length_nm(double length_nm, char *buf, size_t n);

/** Scale bar parameters; zero = white bar with label on a translucent black
 *  box, 20% of the image width, bottom-right, text scale 1. */
typedef struct fib_scale_bar_params {
    double width_nm;      /**< physical width of @p image_rect (required) */
    double fraction;      /**< target bar length / width; 0 means 0.2 */
    int text_scale;       /**< 0 means 1 */
    bool dark;            /**< black bar on a translucent white box */
    bool bottom_left;     /**< place at bottom-left instead of right */
    double box_alpha;     /**< backing box opacity; 0 means 0.6 */
    double bar_height_px; /**< 0 means 4 * text_scale */
} fib_scale_bar_params;

/**
 * Draw a scale bar inside @p image_rect (the rectangle where an image of
 * physical width p->width_nm was drawn): a bar of the picked round length
 * and its label centred above it.  Optionally returns the length (nm) and
 * bar length (pixels).  Errors: FIB_EINVAL (width_nm not > 0, fraction not
 * in (0, 1], empty rect).
 */
FIB_API FIB_NODISCARD fib_status fib_canvas_scale_bar(
    fib_canvas *c, fib_canvas_rect image_rect, const fib_scale_bar_params *p,
    double *length_nm_out, int *length_px_out, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_CANVAS_H */
