#!/usr/bin/python3
"""measure_peer.py -- the scipy / scikit-image side of bench/run_measure.sh.

usage: measure_peer.py VOLUME PHASE CRYOFIB_EDT.f32 CRYOFIB_LINES.txt
Prints one markdown table row block comparing counts, areas, EDT and
timings with the cryofib kernel lines read from CRYOFIB_LINES.txt.
"""
import sys
import time

import numpy as np
import tifffile
from scipy import ndimage
from skimage import measure

path, phase, edt_path, lines_path = sys.argv[1:5]
vol = tifffile.imread(path)
mask = vol == int(phase)
ours = {}
for line in open(lines_path):
    f = line.split()
    if f:
        ours[f[0]] = f[1:]



def best_label(structure):
    """best of 3 runs, as bench_measure times cryofib's labelling"""
    best = None
    for _ in range(3):
        t = time.perf_counter()
        _, n = ndimage.label(mask, structure=structure)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return n, best


n6, t_l6 = best_label(None)
n26, t_l26 = best_label(np.ones((3, 3, 3)))
t = time.perf_counter()
edt = ndimage.distance_transform_edt(mask)
t_edt = time.perf_counter() - t
t = time.perf_counter()
verts, faces, _, _ = measure.marching_cubes(mask.astype(np.float32), 0.5)
area = measure.mesh_surface_area(verts, faces)
t_mc = time.perf_counter() - t

# our EDT is x fastest = numpy C order of (z, y, x)
ed = np.fromfile(edt_path, dtype=np.float32).reshape(mask.shape)
dmax = float(np.max(np.abs(ed.astype(np.float64) - edt)))

name = path.split('/')[-1]
c6, s6 = int(ours['label6'][0]), float(ours['label6'][1])
c26, s26 = int(ours['label26'][0]), float(ours['label26'][1])
se = float(ours['edt'][0])
a_ours, s_mc = float(ours['mc'][0]), float(ours['mc'][1])
print(f"| {name} phase {phase} | {mask.shape} | label 6-conn | {c6} vs {n6} "
      f"{'equal' if c6 == n6 else 'DIFFERENT'} | {s6:.3f} s | {t_l6:.3f} s | "
      f"{t_l6 / s6:.1f}x |")
print(f"| | | label 26-conn | {c26} vs {n26} "
      f"{'equal' if c26 == n26 else 'DIFFERENT'} | {s26:.3f} s | "
      f"{t_l26:.3f} s | {t_l26 / s26:.1f}x |")
print(f"| | | EDT | max abs diff {dmax:.2e} voxel | {se:.3f} s | "
      f"{t_edt:.3f} s | {t_edt / se:.1f}x |")
print(f"| | | marching cubes area | {a_ours:.1f} vs {area:.1f} "
      f"({100 * (a_ours - area) / area:+.3f} %) | {s_mc:.3f} s | "
      f"{t_mc:.3f} s | {t_mc / s_mc:.1f}x |")
