#!/usr/bin/python3
"""battery_peer.py -- independent numpy versions of the battery metrics of
`cryofib measure --battery` (issue 17), compared on the same volume in
the same run; one markdown table row per metric.

usage: battery_peer.py VOLUME REPORT.json SECONDS_CRYOFIB VOXEL_NM AXIS
  TPB: TauFactor's definition (tldr-group/taufactor metrics.base:
  voxel edges whose 4 voxels hold all three labels, interior edges), here
  with numpy slicing instead of torch rolls; chords: run lengths of the
  label along each axis with border-cut runs left out; S2: pairs at lag r
  along the axis, both inside the volume.
"""
import json
import sys
import time

import numpy as np
import tifffile

path, report, t_ours, vox, axis = sys.argv[1:6]
vox = float(vox)
vol = tifffile.imread(path)  # (z, y, x)
r = json.load(open(report))
name = path.split('/')[-1]
labels = sorted(int(v) for v in np.unique(vol))
rows = []


def tpb_edges(v, labs):
    """edges along each axis whose 4 surrounding voxels hold all three"""
    n = 0
    for e in range(3):  # numpy axes z, y, x
        a, b = [k for k in range(3) if k != e]
        has = []
        for lab in labs:
            m = v == lab
            sl = [slice(None)] * 3
            def part(i, j):
                s = list(sl)
                s[a] = slice(i, m.shape[a] - 1 + i)
                s[b] = slice(j, m.shape[b] - 1 + j)
                return m[tuple(s)]
            has.append(part(0, 0) | part(1, 0) | part(0, 1) | part(1, 1))
        n += int(np.count_nonzero(has[0] & has[1] & has[2]))
    return n


t0 = time.perf_counter()
if len(labels) == 3 and 'triple_phase_boundary' in r:
    n = tpb_edges(vol, labels)
    ours = r['triple_phase_boundary']['edges']
    rows.append(f"| {name} | TPB edges (labels {labels}) | {ours} vs {n} "
                f"{'equal' if ours == n else 'DIFFERENT'} |")


def chords(m, ax):
    """number and mean length (voxels) of interior runs along axis ax"""
    m = np.moveaxis(m, ax, -1).reshape(-1, m.shape[ax]).astype(np.int8)
    pad = np.zeros((m.shape[0], m.shape[1] + 2), np.int8)
    pad[:, 1:-1] = m
    d = np.diff(pad, axis=1)
    starts = np.nonzero(d == 1)
    ends = np.nonzero(d == -1)
    length = ends[1] - starts[1]
    inner = (starts[1] > 0) & (ends[1] < m.shape[1])
    return int(inner.sum()), float(length[inner].mean()) if inner.any() \
        else float('nan')


np_axis = {'x': 2, 'y': 1, 'z': 0}
for lab in labels:
    key = str(lab)
    if key not in r.get('chords', {}):
        continue
    for a in 'xyz':
        cnt, mean = chords(vol == lab, np_axis[a])
        c = r['chords'][key][a]
        ours_mean = c['mean_nm'] / vox if c['mean_nm'] is not None \
            else float('nan')
        same = cnt == c['count'] and abs(ours_mean - mean) < 1e-9 * mean
        rows.append(f"| {name} | chords label {lab} along {a} | "
                    f"{c['count']} vs {cnt}, mean {ours_mean:.4f} vs "
                    f"{mean:.4f} voxels {'equal' if same else 'DIFFERENT'} |")
    m = (vol == lab).astype(np.int64)
    for a in 'xyz':
        s2 = r['two_point_correlation'][key][a]
        ax = np_axis[a]
        diff = 0.0
        for lag in range(len(s2)):
            a0 = np.take(m, range(0, m.shape[ax] - lag), axis=ax)
            a1 = np.take(m, range(lag, m.shape[ax]), axis=ax)
            diff = max(diff, abs(float((a0 & a1).mean()) - s2[lag]))
        rows.append(f"| {name} | S2 label {lab} along {a}, lags 0..{len(s2) - 1}"
                    f" | max abs difference {diff:.1e} |")
t_peer = time.perf_counter() - t0
for row in rows:
    print(row)
print(f"| {name} | time: whole `measure --battery` report vs these numpy "
      f"metrics alone | {float(t_ours):.1f} s vs {t_peer:.1f} s |")
