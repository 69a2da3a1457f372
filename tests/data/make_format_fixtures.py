#!/usr/bin/python3
"""Generate the tiny format fixtures used by tests/test_formats.c.

Run from tests/data with /usr/bin/python3 (numpy, tifffile).  The values
are simple formulas that the C tests recompute.
"""
import struct
import zlib

import numpy as np
import tifffile


def png_chunk(tag, data):
    c = struct.pack(">I", len(data)) + tag + data
    return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def write_png(name, w, h, depth, ctype, rows, plte=None, ppm=None):
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if plte is not None:
        data += png_chunk(b"PLTE", plte)
    if ppm is not None:  # pHYs: pixels per metre, unit 1 = metre
        data += png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1))
    # a gAMA chunk that a converting reader would apply: we must not
    data += png_chunk(b"gAMA", struct.pack(">I", 100000))
    data += png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    open(name, "wb").write(data)


# RGB 8-bit 4x3: R = 60x, G = 100y, B = 30(x+y)
rows = [bytes(v for x in range(4) for v in (60 * x, 100 * y, 30 * (x + y)))
        for y in range(3)]
write_png("fmt_rgb8.png", 4, 3, 8, 2, rows)
# RGBA 16-bit 3x2: R = 20000x, G = 30000y, B = 1000, A = 7
rows = [b"".join(struct.pack(">HHHH", 20000 * x, 30000 * y, 1000, 7)
                 for x in range(3)) for y in range(2)]
write_png("fmt_rgba16.png", 3, 2, 16, 6, rows)
# palette 8-bit 4x1: indices 0..3, palette (255,0,0) (0,255,0) (0,0,255) (10,20,30)
plte = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])
write_png("fmt_pal8.png", 4, 1, 8, 3, [bytes([0, 1, 2, 3])], plte)
# grey+alpha 8-bit 2x2: grey = 10 + 50 * (x + 2y), alpha 0; pHYs 5 x 8 nm
rows = [bytes(v for x in range(2) for v in (10 + 50 * (x + 2 * y), 0))
        for y in range(2)]
write_png("fmt_ga8.png", 2, 2, 8, 4, rows, ppm=(200000000, 125000000))

# TIFF: tiled u16 40x30, 16x16 tiles, deflate; v = 1000x + y
y, x = np.mgrid[0:30, 0:40]
tifffile.imwrite("fmt_tiled_u16.tif", (1000 * x + y).astype(np.uint16),
                 tile=(16, 16), compression="zlib")
# int16 5x4: v = -32768 + 4000 * (x + 5y)
y, x = np.mgrid[0:4, 0:5]
tifffile.imwrite("fmt_int16.tif", (-32768 + 3000 * (x + 5 * y)).astype(np.int16))
# float64 6x5: v = 0.5x - 0.25y
y, x = np.mgrid[0:5, 0:6]
tifffile.imwrite("fmt_f64.tif", (0.5 * x - 0.25 * y).astype(np.float64))
# RGB u8 4x3 deflate: same formula as the PNG
y, x = np.mgrid[0:3, 0:4]
rgb = np.stack([60 * x, 100 * y, 30 * (x + y)], axis=-1).astype(np.uint8)
tifffile.imwrite("fmt_rgb_zlib.tif", rgb, photometric="rgb", compression="zlib")
# big-endian, 3 pages 8x6 u8, 2 rows per strip; v = 10z + x + 8y
z, y, x = np.mgrid[0:3, 0:6, 0:8]
tifffile.imwrite("fmt_pages_be.tif", (10 * z + x + 8 * y).astype(np.uint8),
                 byteorder=">", rowsperstrip=2,
                 photometric="minisblack")
# palette 8-bit 3x1 with a colour map (16-bit entries)
cmap = np.zeros((3, 256), np.uint16)
cmap[:, 0] = [65535, 0, 0]
cmap[:, 1] = [0, 65535, 0]
cmap[:, 2] = [0, 0, 65535]
tifffile.imwrite("fmt_pal8.tif", np.array([[0, 1, 2]], np.uint8),
                 photometric="palette", colormap=cmap)

# Synthetic FEI: ion beam, 16x12 with ResolutionY=9 (3 data-bar rows),
# CRLF and trailing NUL; DatabarHeight deliberately wrong.
fei = ("[User]\r\nDate=01/02/2024\r\n[System]\r\nSystemType=Helios 5 Hydra\r\n"
       "[Beam]\r\nHV=30000\r\nBeam=IBeam\r\nScan=IScan\r\n"
       "[IBeam]\r\nHV=30000\r\nBeamCurrent=1e-010\r\nTiltCorrectionIsOn=yes\r\n"
       "WD=0.0165\r\n"
       "[Scan]\r\nPixelWidth=2.5e-009\r\nPixelHeight=3e-009\r\n"
       "HorFieldsize=4e-008\r\n"
       "[IScan]\r\nPixelWidth=2.5e-009\r\n"
       "[Stage]\r\nStageT=0.6108652\r\n"
       "[Image]\r\nResolutionX=16\r\nResolutionY=9\r\n"
       "[Detectors]\r\nName=ICE\r\n[PrivateFei]\r\nDatabarHeight=0\r\n\0")
img = (np.arange(16 * 12) % 251).reshape(12, 16).astype(np.uint8)
tifffile.imwrite("fmt_fei_ion.tif", img,
                 extratags=[(34682, 2, 0, fei, False)])

# Synthetic Zeiss: 20x16, only AP_PIXEL_SIZE in pm with a Latin-1 micro
# sign elsewhere; data zone from row 12 (black line) to 15.
zeiss = (b"0\r\n0\r\n0\r\n2.5e-010\r\n1\r\n6\r\n"
         b"AP_PIXEL_SIZE\r\nPixel Size = 250.0 pm\r\n"
         b"AP_WIDTH\r\nWidth = 0.005 \xb5m\r\n"
         b"AP_ACTUALKV\r\nEHT = 1.50 kV\r\n"
         b"AP_IPROBE\r\nI Probe = 25.0 pA\r\n"
         b"AP_STAGE_AT_T\r\nStage at T = 54.0 \xb0\r\n"
         b"DP_DETECTOR_CHANNEL\r\nSignal A = SE2\r\n"
         b"SV_SERIAL_NUMBER\r\nSerial No. = Crossbeam-550\r\n\0\0")
img = np.full((16, 20), 120, np.uint8)
img[12, :] = 0
img[13:16, :] = 230
tifffile.imwrite("fmt_zeiss_pm.tif", img,
                 extratags=[(34118, 2, 0, zeiss, False)])

# ImageJ "contiguous" stack: one IFD, images=3, the three 4x3 big-endian
# u16 slices stored one after the other (how ImageJ writes > 4 GiB);
# v = 100z + 10y + x; 0.05 um pixels (XResolution 20/um), spacing 0.25 um.
desc = (b"ImageJ=1.53t\nimages=3\nslices=3\nunit=micron\nspacing=0.25\n"
        b"loop=false\n\0")
entries = []  # (tag, type, count, value-or-offset)
n_entries = 11
ifd_off = 8
after_ifd = ifd_off + 2 + 12 * n_entries + 4
desc_off = after_ifd
xres_off = desc_off + len(desc)
yres_off = xres_off + 8
data_off = yres_off + 8
entries = [
    (256, 3, 1, 4), (257, 3, 1, 3), (258, 3, 1, 16), (259, 3, 1, 1),
    (262, 3, 1, 1), (270, 2, len(desc), desc_off), (273, 4, 1, data_off),
    (278, 3, 1, 3), (279, 4, 1, 24), (282, 5, 1, xres_off),
    (283, 5, 1, yres_off),
]
assert len(entries) == n_entries
out = b"MM\0*" + struct.pack(">I", ifd_off) + struct.pack(">H", n_entries)
for tag, typ, count, val in entries:
    if typ == 3 and count == 1:
        out += struct.pack(">HHIHH", tag, typ, count, val, 0)
    else:
        out += struct.pack(">HHII", tag, typ, count, val)
out += struct.pack(">I", 0) + desc
out += struct.pack(">II", 20, 1) + struct.pack(">II", 20, 1)
z, y, x = np.mgrid[0:3, 0:3, 0:4]
out += (100 * z + 10 * y + x).astype(">u2").tobytes()
open("fmt_ij_contig.tif", "wb").write(out)

# Zeiss with a black row in the bottom quarter but dark content below it:
# not a data zone (the zone is a light panel), so nothing is cropped.
img = np.full((16, 20), 200, np.uint8)
img[12, :] = 0
img[13:16, :] = 30
tifffile.imwrite("fmt_zeiss_dark.tif", img,
                 extratags=[(34118, 2, 0, zeiss, False)])

# ImageJ description with a UTF-8 micro sign: 8 px per um = 125 nm.
tifffile.imwrite("fmt_ij_utf8.tif", np.zeros((2, 3), np.uint8),
                 description="ImageJ=1.53t\nunit=\u00b5m\n".encode("utf-8"),
                 resolution=(8, 8), resolutionunit=1, metadata=None)

# fmt_ij_gaps.tif is not made here: it is fmt_pages_be.tif written by
# `cryofib convert` (ImageJ layout, images=3) and rewritten by libtiff's
# `tiffcp`, which keeps the description but puts each IFD between the
# slices -- an "images=N" file that is NOT contiguous (the reader must
# walk the IFDs instead of trusting images=N).
