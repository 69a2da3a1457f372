/* font.h -- private: the embedded 8x8 bitmap font used by canvas.c. */
#ifndef FIB_CORE_FONT_H
#define FIB_CORE_FONT_H

#include <stdint.h>

/* Glyphs for ASCII 32..126: fib__font8x8[ch - 32][row], row 0 on top; bit
 * k of a row byte is column k (bit 0 = leftmost pixel). */
extern const uint8_t fib__font8x8[95][8];

#endif
