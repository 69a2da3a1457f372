#!/usr/bin/python3
"""peer_recon_files.py -- the scikit-image peer of `cryofib recon` on a
series of image files (issue 18: the inputs users have).

Reads every file of SERIES (sorted names; PNG through skimage.io.imread,
TIFF through tifffile.imread), registers consecutive slices with
skimage.registration.phase_cross_correlation (upsample_factor 20,
normalization=None, the documented choice for noisy SEM; scikit-image issue
#6456), accumulates the positions, then reads every slice again, shifts it
with scipy.ndimage.shift (order 1 = bilinear, as cryofib; mode constant)
and writes the float32 volume to OUT.raw -- the same two passes, the same
work and the same output bytes per voxel as `cryofib recon`.  Memory stays
flat in the slice count, as cryofib's.

usage: peer_recon_files.py SERIES OUT.raw OUT.csv
Prints "skimage total_s T estimate_s E apply_s A cpu_s C"; OUT.csv =
applied shifts (slice,dx,dy, zero mean) in cryofib's convention.
"""
import os
import resource
import sys
import time

import numpy as np
import tifffile
from scipy import ndimage
from skimage import io as skio
from skimage.registration import phase_cross_correlation


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def read(path):
    if path.lower().endswith((".tif", ".tiff")):
        return tifffile.imread(path)
    return skio.imread(path)


def main():
    series, out_raw, out_csv = sys.argv[1], sys.argv[2], sys.argv[3]
    files = sorted(os.path.join(series, f) for f in os.listdir(series)
                   if f.lower().endswith((".png", ".tif", ".tiff")))
    nz = len(files)
    t0 = time.perf_counter()
    c0 = cpu_s()
    pos = np.zeros((nz, 2))  # (dy, dx) applied
    # estimation on [0, 1] grey (as peer_recon.py): float32 products of
    # 16-bit grey values overflow inside phase_cross_correlation's error
    # estimate; the shift itself does not depend on the scale
    prev = read(files[0])
    scale = 1.0 / float(np.iinfo(prev.dtype).max) \
        if np.issubdtype(prev.dtype, np.integer) else 1.0
    prev = prev.astype(np.float32) * scale
    for z in range(1, nz):
        cur = read(files[z]).astype(np.float32) * scale
        s, _, _ = phase_cross_correlation(prev, cur, upsample_factor=20,
                                          normalization=None)
        pos[z] = pos[z - 1] + s  # s registers cur onto prev
        prev = cur
    pos -= pos.mean(0)
    t1 = time.perf_counter()
    with open(out_raw, "wb") as f:
        for z in range(nz):
            img = ndimage.shift(read(files[z]).astype(np.float32), pos[z],
                                order=1, mode="constant")
            img.astype(np.float32).tofile(f)
    t2 = time.perf_counter()
    c2 = cpu_s()
    with open(out_csv, "w") as f:
        f.write("slice,dx,dy\n")
        for z in range(nz):
            f.write(f"{z},{pos[z, 1]:.10g},{pos[z, 0]:.10g}\n")
    print(f"skimage total_s {t2 - t0:.3f} estimate_s {t1 - t0:.3f} "
          f"apply_s {t2 - t1:.3f} cpu_s {c2 - c0:.3f}")


if __name__ == "__main__":
    main()
