#!/bin/bash
# cli_measure.sh -- `cryofib segment` and `cryofib measure` end to end on a
# synthetic grey volume (two touching balls and a rod in noise), outputs
# checked with python (numpy + tifffile, skip otherwise).
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
"$PY" -c 'import numpy, tifffile' 2>/dev/null || { echo "SKIP: numpy/tifffile"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { pass=$((pass+1)); }

"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, tifffile
z, y, x = np.mgrid[0:40, 0:48, 0:64]
v = np.zeros((40, 48, 64), np.float32)
ball = lambda cx, cy, cz, r: (x-cx)**2 + (y-cy)**2 + (z-cz)**2 <= r*r
m = ball(20, 24, 20, 9) | ball(36, 24, 20, 9)
m |= ((y-10)**2 + (z-8)**2 <= 9)           # rod along x through the volume
rng = np.random.default_rng(3)
g = 60 + 120*m + rng.normal(0, 12, m.shape)
tifffile.imwrite(sys.argv[1] + '/grey.tif', np.clip(g, 0, 255).astype(np.uint8))
PYEOF

"$C" segment "$T/grey.tif" --out "$T/lab.mrc" --otsu --open 1 --fill-holes \
    --min-size 20 --voxel-nm 10,10,10 >"$T/seg.txt" || fail "segment"
grep -q thresholds "$T/seg.txt" || fail "segment prints thresholds"; ok
"$C" measure "$T/lab.mrc" --phase 1 --tortuosity x --json "$T/r.json" \
    --csv "$T/o.csv" --mesh "$T/m.stl" --substrate z0 -q >/dev/null \
    || fail "measure"
"$PY" - "$T" <<'PYEOF' || fail "report contents"
import json, sys
t = sys.argv[1]
r = json.load(open(t + '/r.json'))
for k in ('volume_fraction', 'specific_surface_area_per_um', 'objects',
          'local_thickness_um', 'tortuosity', 'effective_diffusivity'):
    assert k in r, k
vf = r['volume_fraction']['1']
assert 0.05 < vf < 0.25, vf
assert r['objects']['1']['count'] == 2, r['objects']['1']['count']
# only the rod spans x; TauFactor's tau = eps / D_rel counts the balls in
# eps, so tau * (percolating fraction / volume fraction) ~ 1 (straight rod)
tau = r['tortuosity']['1']['x']
sol = r['tortuosity_solver']['1']['x']
straight = tau * sol['percolating_fraction'] / sol['volume_fraction']
assert 0.99 < straight < 1.3, (tau, straight)
assert sol['converged'] and sol['percolating']
lt = r['local_thickness_um']['1']
assert 0.03 < lt['median'] < 0.2, lt
rows = open(t + '/o.csv').read().strip().split('\n')
assert len(rows) == 3 and rows[0].startswith('phase,label'), rows[:2]
stl = open(t + '/m.stl', 'rb').read()
n = int.from_bytes(stl[80:84], 'little')
assert len(stl) == 84 + 50 * n and n > 100, n
PYEOF
ok
# --flux-map: a straight channel along z carries the mean flux (1)
# everywhere, a ball beside it none (not percolating)
"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, tifffile
v = np.zeros((20, 16, 16), np.uint8)
v[:, 2:6, 3:8] = 1
z, y, x = np.mgrid[0:20, 0:16, 0:16]
v[(x-11)**2 + (y-11)**2 + (z-10)**2 <= 9] = 1
tifffile.imwrite(sys.argv[1] + '/ch.tif', v)
PYEOF
"$C" measure "$T/ch.tif" --phase 1 --tortuosity z --voxel-nm 4,4,6 \
    --json "$T/f.json" --flux-map "$T/f.mrc" --tol 1e-9 -q >/dev/null \
    || fail "measure --flux-map"
"$PY" - "$T" <<'PYEOF' || fail "flux map contents"
import json, sys, numpy as np
t = sys.argv[1]
r = json.load(open(t + '/f.json'))['flux_map']
assert r['phase'] == 1 and r['axis'] == 'z', r
raw = open(t + '/f.mrc', 'rb').read()
f = np.frombuffer(raw[1024:], np.float32).reshape(20, 16, 16)
assert np.abs(f[:, 2:6, 3:8] - 1).max() < 1e-5, f[:, 2:6, 3:8]
assert (f[:, 8:, 8:] == 0).all()
assert len(r['slice_mean']) == 20 and abs(r['slice_mean'][0] - 1) < 1e-5
PYEOF
ok
# --conductivity: layers in series along z (labels 1 and 2, 8 and 12 of
# 20 slices): 1 / sigma = 0.4 / 2 + 0.6 / 0.5; label 0 absent
"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, tifffile
v = np.ones((20, 6, 7), np.uint8)
v[8:] = 2
tifffile.imwrite(sys.argv[1] + '/lam.tif', v)
PYEOF
"$C" measure "$T/lam.tif" --conductivity 1=2,2=0.5 --voxel-nm 3,3,3 \
    --json "$T/c.json" -q >/dev/null || fail "measure --conductivity"
"$PY" - "$T" <<'PYEOF' || fail "conductivity contents"
import json, sys
r = json.load(open(sys.argv[1] + '/c.json'))['composite_conductivity']
want = 1 / (0.4 / 2 + 0.6 / 0.5)
assert abs(r['sigma_eff'] - want) < 1e-6 * want, (r, want)
assert r['axis'] == 'z' and r['labels'] == [1, 2], r
PYEOF
ok
"$C" measure "$T/lam.tif" --conductivity 1=2,2 --json "$T/c2.json" \
    2>"$T/e"; [ $? = 2 ] && grep -q -- "--conductivity" "$T/e" \
    && [ ! -e "$T/c2.json" ] || fail "bad --conductivity"
ok
"$C" segment "$T/grey.tif" --out "$T/ws.nrrd" --otsu --watershed=20 \
    --voxel-nm 10,10,10 | grep -q "watershed: 3 particles" \
    || fail "watershed splits the touching balls"
ok
"$C" measure "$T/lab.mrc" --json "$T/p.json" --pictures "$T/pics" \
    --no-thickness -q >/dev/null || fail "pictures"
[ -s "$T/pics/ortho_xy.png" ] && [ -s "$T/pics/surface_1.png" ] \
    && [ -s "$T/pics/mip_z.png" ] || fail "picture files"
ok
# battery metrics (issue 17): a three-label volume made here -- labels 1
# (x < 6), 2 (x >= 6, y < 5), 3 (x >= 6, y >= 5) meet on one line along
# z: TPB = nz edges; the MacMullin number is 1 / (D_eff/D); S2(0) = the
# volume fraction; chords of label 1 along x are border-cut (none)
"$PY" - "$T" <<'PYEOF' || fail "battery volume"
import sys, numpy as np, tifffile
v = np.zeros((12, 10, 14), np.uint8)
v[:, :, :6] = 1
v[:, :5, 6:] = 2
v[:, 5:, 6:] = 3
tifffile.imwrite(sys.argv[1] + '/tri.tif', v)
PYEOF
"$C" measure "$T/tri.tif" --phase 1 --phase 2 --phase 3 --tpb 1,2,3 \
    --battery --battery-axis z --voxel-nm 10,10,20 --json "$T/b.json" \
    --no-thickness -q >/dev/null || fail "battery run"
"$PY" - "$T/b.json" <<'PYEOF' || fail "battery values"
import json, sys
r = json.load(open(sys.argv[1]))
t = r['triple_phase_boundary']
assert t['labels'] == [1, 2, 3] and t['edges'] == 12, t
# 12 edges of 20 nm in a 140 x 100 x 240 nm box
assert abs(t['density_per_um2'] - 12 * 0.02 / (0.14 * 0.1 * 0.24)) < 1e-6, t
assert t['active_fraction'] == 1.0, t
for lab in ('1', '2', '3'):
    d = r['effective_diffusivity'][lab]['z']
    assert abs(r['macmullin_number'][lab]['z'] * d - 1) < 1e-9
    # straight channels: tau = 1, so N_M = 1 / eps
    assert abs(r['macmullin_number'][lab]['z'] -
               1 / r['volume_fraction'][lab]) < 1e-9
    s2 = r['two_point_correlation'][lab]['z']
    assert abs(s2[0] - r['volume_fraction'][lab]) < 1e-12, (lab, s2[0])
c = r['chords']['1']
assert c['x']['count'] == 0 and c['x']['border_chords'] == 120, c['x']
# every chord of label 1 runs into the border: none kept, mean null
assert c['z']['count'] == 0 and c['z']['border_chords'] == 60, c['z']
assert c['z']['mean_nm'] is None, c['z']
PYEOF
ok
"$C" measure "$T/tri.tif" --json "$T/x.json" --tpb 1,1,2 2>"$T/e"; \
    [ $? -eq 2 ] && grep -q "three distinct labels" "$T/e" || fail "bad --tpb"
"$C" measure "$T/tri.tif" --json "$T/x.json" --two-point 0 2>"$T/e"; \
    [ $? -eq 2 ] && grep -q "two-point" "$T/e" || fail "bad --two-point"
ok
# bad input: exit status 2 and a one-line message naming the problem
"$C" measure "$T/lab.mrc" --json "$T/x.json" --tortuosity w 2>"$T/e" ; \
    [ $? -eq 2 ] && grep -q tortuosity "$T/e" || fail "bad axis"
"$C" measure "$T/none.mrc" --json "$T/x.json" 2>/dev/null; [ $? -eq 2 ] \
    || fail "missing file"
"$C" segment "$T/grey.tif" --out "$T/o.mrc" --multi-otsu 9 2>/dev/null; \
    [ $? -eq 2 ] || fail "bad class count"
[ ! -e "$T/x.json" ] || fail "no report after a failure"
ok
echo "$pass passed, 0 failed"
