#!/usr/bin/python3
"""real_recon.py -- known drift on a real FIB-SEM stack, for run_recon_real.sh.

  real_recon.py make SRC_DIR OUT_DIR NZ SEED
      Reads the first NZ slices of a real, already aligned FIB-SEM stack
      (../shared/data/janelia-fib25-medulla-cube/slices: 250 x 250 px 8-bit
      PNG), and writes two 16-bit PNG series of the central 200 x 200 px:
        OUT_DIR/plain/   the slices as they are, plus noise and curtains
        OUT_DIR/drift/   the same, each slice displaced by a known sub-pixel
                         random walk (sigma 0.5 px per slice and axis; cubic
                         spline interpolation, scipy.ndimage.shift order 3)
      with the same noise and curtains in both (Gaussian sd 6 grey levels;
      vertical stripes of sd 4 grey levels, fixed in the sample, half of
      them persisting from slice to slice), and OUT_DIR/true_drift.csv
      (slice,dx,dy = content displacement, px).

  real_recon.py skimage IN_DIR OUT.csv
      The peer: consecutive-pair skimage.registration.phase_cross_correlation
      (upsample 20, normalization=None), accumulated into positions; writes
      the applied shifts (slice,dx,dy, zero mean) in cryofib's convention and
      prints "skimage total_s T".

  real_recon.py score TRUE.csv DRIFT.csv PLAIN.csv
      Drift recovery of one tool: (applied on the drifted series - applied on
      the plain series + true drift), constant removed; prints the RMS
      position error, the RMS slice-to-slice step error and the worst slice
      (px).  Subtracting the plain run removes what the tool finds in the
      stack itself (content changing from slice to slice, its own residual
      misalignment), so only the recovery of the known drift is scored.
"""
import glob
import os
import sys
import time

import numpy as np


def make(src, out, nz, seed):
    from scipy import ndimage
    from skimage import io
    files = sorted(glob.glob(os.path.join(src, "*.png")))[:nz]
    if len(files) < nz:
        sys.exit(f"{src}: {len(files)} slices, need {nz}")
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.5, size=(nz, 2))
    steps[0] = 0
    drift = np.cumsum(steps, axis=0)  # (dx, dy) content displacement
    os.makedirs(f"{out}/plain", exist_ok=True)
    os.makedirs(f"{out}/drift", exist_ok=True)
    c0, n = 25, 200
    stripes = rng.normal(0.0, 4.0, size=n)
    for z, f in enumerate(files):
        im = io.imread(f).astype(np.float64)
        if im.ndim == 3:
            im = im[..., 0]
        # curtains: half of the stripes persist, half are new each slice
        keep = rng.random(n) < 0.5
        stripes = np.where(keep, stripes, rng.normal(0.0, 4.0, size=n))
        noise = rng.normal(0.0, 6.0, size=(n, n))
        for kind, img in (("plain", im),
                          ("drift", ndimage.shift(im, (drift[z, 1], drift[z, 0]),
                                                  order=3, mode="nearest"))):
            crop = img[c0:c0 + n, c0:c0 + n] + stripes[None, :] + noise
            v = np.clip(crop * 256.0, 0, 65535).astype(np.uint16)
            io.imsave(f"{out}/{kind}/slice_{z:04d}.png", v,
                      check_contrast=False)
    with open(f"{out}/true_drift.csv", "w") as fh:
        fh.write("slice,dx,dy\n")
        for z in range(nz):
            fh.write(f"{z},{drift[z, 0]:.10g},{drift[z, 1]:.10g}\n")


def peer(src, out):
    from skimage import io
    from skimage.registration import phase_cross_correlation
    files = sorted(glob.glob(os.path.join(src, "*.png")))
    t0 = time.perf_counter()
    pos = np.zeros((len(files), 2))  # (dy, dx) applied
    prev = io.imread(files[0]).astype(np.float32)
    for z in range(1, len(files)):
        cur = io.imread(files[z]).astype(np.float32)
        s, _, _ = phase_cross_correlation(prev, cur, upsample_factor=20,
                                          normalization=None)
        pos[z] = pos[z - 1] + s
        prev = cur
    pos -= pos.mean(0)
    t1 = time.perf_counter()
    with open(out, "w") as fh:
        fh.write("slice,dx,dy\n")
        for z in range(len(files)):
            fh.write(f"{z},{pos[z, 1]:.10g},{pos[z, 0]:.10g}\n")
    print(f"skimage total_s {t1 - t0:.3f}")


def score(true_csv, drift_csv, plain_csv):
    t = np.loadtxt(true_csv, delimiter=",", skiprows=1)[:, 1:]
    a = np.loadtxt(drift_csv, delimiter=",", skiprows=1)[:, 1:3]
    a0 = np.loadtxt(plain_csv, delimiter=",", skiprows=1)[:, 1:3]
    e = a - a0 + t
    e -= e.mean(0)
    pos = np.sqrt((e ** 2).sum(1).mean())
    step = np.sqrt((np.diff(e, axis=0) ** 2).sum(1).mean())
    worst = np.sqrt((e ** 2).sum(1)).max()
    print(f"{pos:.4f} {step:.4f} {worst:.4f}")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) == 4 and sys.argv[1] == "skimage":
        peer(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
