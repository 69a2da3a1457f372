#!/usr/bin/python3
"""psd_peer.py -- independent numpy/scipy/scikit-image versions of the size
sections of `cryofib measure` (issue 17 item 4), compared on the same
volume in the same run; one markdown table row per metric.

usage: psd_peer.py VOLUME REPORT.json VOXEL_NM AXIS [INTRUSION_LABELS]
  INTRUSION_LABELS: comma list of the labels whose intrusion curve is
  re-computed (default all in the report; the peer takes ~150 s per
  label on 256^3).
  porosimetry: PoreSpy's porosimetry(mode='dt', access_limited=True)
    written out with scipy.ndimage: seeds = EDT >= r, 6-connected blobs
    touching the inlet faces (the two faces normal to AXIS) kept,
    intruded = EDT(~seeds) < r; the radii are read from the report so
    that both sides use the same ones.
  particle sizes: skimage.segmentation.watershed(-edt, markers,
    mask, connectivity=3), markers = 26-connected regions of
    skimage.morphology.h_maxima(edt, h) with the report's h; equivalent
    diameters (6 V / pi)^(1/3).
  contact areas: voxel faces between two labels counted with numpy
    slicing.
"""
import json
import sys
import time

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

path, report, vox, axis = sys.argv[1:5]
only = sys.argv[5].split(',') if len(sys.argv) > 5 else None
vox = float(vox)
ax = {'x': 2, 'y': 1, 'z': 0}[axis]  # numpy axes are z, y, x
vol = tifffile.imread(path)
r = json.load(open(report))
name = path.split('/')[-1]
rows = []


def intrusion(mask, radii):
    dt = ndi.distance_transform_edt(mask).astype(np.float32) * np.float32(vox)
    inlet = np.zeros(mask.shape, bool)
    sl = [slice(None)] * 3
    for end in (0, -1):
        sl[ax] = end
        inlet[tuple(sl)] = True
    done = np.zeros(mask.shape, bool)
    frac = []
    for rad in radii:
        seeds = dt >= np.float32(rad)
        lab, _ = ndi.label(seeds)
        keep = np.unique(lab[inlet & seeds])
        seeds = np.isin(lab, keep[keep > 0])
        if seeds.any():
            d = ndi.distance_transform_edt(~seeds).astype(np.float32) * \
                np.float32(vox)
            done |= d < np.float32(rad)
        frac.append(done.sum() / mask.sum())
    return np.array(frac)


def particles(mask, h):
    """h-maxima markers (dynamics > h: skimage keeps >= h, so h is raised
    by 1e-6 relative), plus the highest voxel of every 26-connected
    component left without a marker (its dynamics is unbounded: cryofib
    gives every component at least one particle; skimage would leave it
    unlabelled)"""
    e = ndi.distance_transform_edt(mask) * vox
    s26 = np.ones((3, 3, 3))
    markers, nm = ndi.label(h_maxima(e, h * (1 + 1e-6)), structure=s26)
    comp, nc = ndi.label(mask, structure=s26)
    has = np.zeros(nc + 1, bool)
    has[comp[markers > 0]] = True
    lost = np.flatnonzero(~has[1:]) + 1
    if len(lost):
        pos = ndi.maximum_position(e, comp, lost)
        for k, p in enumerate(pos):
            markers[p] = nm + 1 + k
    w = watershed(-e, markers, mask=mask, connectivity=3)
    n = np.bincount(w.ravel())[1:]
    n = n[n > 0]
    return np.cbrt(6 * n * vox ** 3 / np.pi)


def d50(d):
    d = np.sort(d)
    c = np.cumsum(d ** 3)
    return d[np.searchsorted(c, 0.5 * c[-1])]


def faces(v, a, b):
    n = 0
    for e in range(3):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[e] = slice(0, -1)
        hi[e] = slice(1, None)
        p, q = v[tuple(lo)], v[tuple(hi)]
        n += int(np.count_nonzero(((p == a) & (q == b)) | ((p == b) & (q == a))))
    return n


t_intr = t_ws = 0.0
for lab_s, ent in r.get('porosimetry', {}).items():
    if not isinstance(ent, dict) or (only and lab_s not in only):
        continue
    t0 = time.perf_counter()
    radii = np.array(ent['diameter_nm']) / 2
    peer = intrusion(vol == int(lab_s), radii)
    t_intr += time.perf_counter() - t0
    ours = np.array(ent['intruded_fraction'])
    rows.append(f"| {name} | intrusion curve, label {lab_s} ({len(radii)} "
                f"radii) | max abs diff {np.abs(ours - peer).max():.2e} "
                f"(final {ours[-1]:.4f} vs {peer[-1]:.4f}) |")
for lab_s, ent in r.get('particle_sizes', {}).items():
    if not isinstance(ent, dict):
        continue
    t0 = time.perf_counter()
    peer = particles(vol == int(lab_s), ent['h_nm'])
    t_ws += time.perf_counter() - t0
    ours = np.array(ent['eq_diameter_nm'])
    rows.append(f"| {name} | watershed particles, label {lab_s} | count "
                f"{ent['count']} vs {len(peer)}; d50 {ent['d50_nm']:.1f} vs "
                f"{d50(peer):.1f} nm ({ent['d50_nm'] / d50(peer) - 1:+.2%}); "
                f"mean {ours.mean():.1f} vs {peer.mean():.1f} nm |")
for pair, ent in r.get('contact_area', {}).items():
    if not isinstance(ent, dict):
        continue
    a, b = (int(s) for s in pair.split('-'))
    n = faces(vol, a, b)
    rows.append(f"| {name} | contact faces {pair} | {ent['faces']} vs {n} "
                f"{'equal' if ent['faces'] == n else 'DIFFERENT'} |")
rows.append(f"| {name} | peer time | intrusion {t_intr:.1f} s, watershed "
            f"{t_ws:.1f} s (scipy/scikit-image, one thread) |")
print("\n".join(rows))
