#!/usr/bin/python3
"""skeleton_peer.py -- the scikit-image side of the skeleton row of
bench/run_measure.sh.

usage: skeleton_peer.py VOLUME PHASE CRYOFIB_SKELETON.u8 CRYOFIB_LINE
Runs skimage.morphology.skeletonize (Lee 1994, the 3-D method; the same
algorithm as Fiji's Skeletonize3D) on the phase mask, compares it voxel by
voxel with cryofib's skeleton (bench_measure skeleton) and prints one
markdown row: voxel counts, differing voxels, times and the ratio.
"""
import sys
import time

import numpy as np
import tifffile
from skimage import morphology

path, phase, skel_path, line = sys.argv[1:5]
mask = tifffile.imread(path) == int(phase)
f = line.split()  # skeleton VOXELS SECONDS
n_ours, t_ours = int(f[1]), float(f[2])
ours = np.fromfile(skel_path, np.uint8).reshape(mask.shape) != 0
fn = getattr(morphology, "skeletonize_3d", None)
t = time.perf_counter()
ref = (fn(mask) if fn else morphology.skeletonize(mask)) != 0
t_ref = time.perf_counter() - t
diff = int((ours != ref).sum())
name = path.split('/')[-1]
print(f"| {name} phase {phase} | {mask.shape} | skeleton (Lee 1994) | "
      f"{n_ours} vs {int(ref.sum())} voxels, "
      f"{'identical' if diff == 0 else f'{diff} voxels differ'} | "
      f"{t_ours:.3f} s | {t_ref:.3f} s | {t_ref / t_ours:.1f}x |")
