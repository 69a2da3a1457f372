#!/usr/bin/python3
"""peer_recon.py -- the scikit-image peer of bench_recon align.

Consecutive-pair alignment with skimage.registration.phase_cross_correlation
(upsample_factor 20, normalization=None: plain cross-correlation, the
documented choice for noisy SEM; scikit-image issue #6456), accumulated into
positions, then every slice shifted with scipy.ndimage.shift (order 1 =
bilinear, as cryofib; mode constant).  Reads the same raw u16 series.

usage: peer_recon.py IN.raw NX NY NZ OUT.csv
Prints "skimage total_s T estimate_s E apply_s A cpu_s C" (C = user +
system CPU seconds of the process over the same span, all threads); OUT.csv = applied shifts
(slice,dx,dy, zero mean) in cryofib's convention.
"""
import resource
import sys
import time

import numpy as np
from scipy import ndimage
from skimage.registration import phase_cross_correlation


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    path, nx, ny, nz, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), sys.argv[5]
    vol = np.memmap(path, dtype="<u2", mode="r", shape=(nz, ny, nx))
    t0 = time.perf_counter()
    c0 = cpu_s()
    pos = np.zeros((nz, 2))  # (dy, dx) applied
    prev = vol[0].astype(np.float32) / 65535.0
    for z in range(1, nz):
        cur = vol[z].astype(np.float32) / 65535.0
        s, _, _ = phase_cross_correlation(prev, cur, upsample_factor=20,
                                          normalization=None)
        pos[z] = pos[z - 1] + s  # s registers cur onto prev
        prev = cur
    pos -= pos.mean(0)
    t1 = time.perf_counter()
    acc = 0.0
    for z in range(nz):
        img = ndimage.shift(vol[z].astype(np.float32), pos[z], order=1,
                            mode="constant")
        acc += float(img[::16, 0].sum())
    t2 = time.perf_counter()
    c2 = cpu_s()
    with open(out, "w") as f:
        f.write("slice,dx,dy\n")
        for z in range(nz):
            f.write(f"{z},{pos[z, 1]:.10g},{pos[z, 0]:.10g}\n")
    print(f"skimage total_s {t2 - t0:.3f} estimate_s {t1 - t0:.3f} "
          f"apply_s {t2 - t1:.3f} cpu_s {c2 - c0:.3f}")


if __name__ == "__main__":
    main()
