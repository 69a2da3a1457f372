#!/bin/bash
# cli_geometry.sh -- no silent geometry in `cryofib recon` and `measure`:
#   - a PNG series without sizes: one line per unknown length naming the
#     option, null + a status string in report.json, MRC cella 0 with a
#     label, no "0 nm" anywhere; NRRD without spacings; TIFF without
#     resolution;
#   - measure on such a volume reports voxel units (values checked against
#     the physical run: per_um = per_vox / voxel_um), refuses --units
#     physical (exit 2), and lists the labels it measured;
#   - the beam angle from the imaging beam on real vendor files: the
#     Helios PFIB ion image (stage tilt 37 deg) is not stretched, an
#     electron image at a FIB tilt gets the column angle (52 deg Thermo/FEI,
#     the file's 54 deg on Zeiss), a Zeiss FIB image is not stretched;
#   - --crop-valid (default) against the phantom's true drift, the cropped
#     volume equal to the box of the full frame, run-file key crop_valid.
# Python checks need numpy + mrcfile + tifffile (skip when missing); the
# real-file cases skip when ../shared/data is absent.
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
SRC="${FIB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
DATA="${FIB_SHARED_DIR:-$SRC/../shared}/data"
"$PY" -c 'import numpy, mrcfile, tifffile' 2>/dev/null ||
    { echo "SKIP: numpy/mrcfile/tifffile"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-geom-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
cd "$T" || exit 1

# ---- a PNG series without any size ----------------------------------------
"$C" phantom --kind particles --out ph --size 160x128x20 --seed 4 \
    --slice-nm 2.5 >/dev/null || { echo "phantom failed"; exit 1; }
mkdir bare
# drop pHYs and text chunks: the PNGs then state no pixel size
"$PY" - ph bare <<'PYEOF'
import sys, os, struct, glob
src, dst = sys.argv[1], sys.argv[2]
for f in sorted(glob.glob(src + '/slice_*.png')):
    b = open(f, 'rb').read()
    out, p = bytearray(b[:8]), 8
    while p < len(b):
        n = struct.unpack('>I', b[p:p + 4])[0]
        if b[p + 4:p + 8] not in (b'pHYs', b'tEXt', b'iTXt', b'zTXt'):
            out += b[p:p + 12 + n]
        p += 12 + n
    open(os.path.join(dst, os.path.basename(f)), 'wb').write(out)
PYEOF
"$C" recon --input bare --out r0 --quiet >r0.out 2>r0.err && ok || bad "recon bare: $(cat r0.err)"
grep -q 'pixel size unknown.*--pixel-size-nm' r0.err && ok || bad "no pixel-size line: $(cat r0.err)"
grep -q 'slice thickness unknown.*--slice-nm' r0.err && ok || bad "no slice line: $(cat r0.err)"
[ "$(wc -l <r0.err)" -eq 2 ] && ok || bad "expected 2 warning lines: $(cat r0.err)"
grep -Eq '(^|[^0-9.])0 nm' r0.out r0.err r0/report.json && bad "0 nm printed" || ok
grep -q 'voxel unknown x unknown x unknown' r0.out && ok || bad "summary: $(cat r0.out)"
"$PY" - <<'PYEOF' && ok || bad "report.json / MRC header say unknown"
import json, mrcfile
r = json.load(open('r0/report.json'))
o, p = r['output'], r['parameters']
assert o['voxel_size_nm'] == [None, None, None], o['voxel_size_nm']
assert 'unknown in x, y, z' in o['voxel_size_status'], o['voxel_size_status']
assert p['pixel_size_x_nm'] is None and p['slice_nm'] is None, p
assert p['pixel_size_from'] == 'unknown' and p['slice_nm_from'] == 'unknown'
with mrcfile.open('r0/volume.mrc') as m:
    assert tuple(float(c) for c in m.header.cella.tolist()) == (0, 0, 0), m.header.cella
    labels = b''.join(m.header.label[:int(m.header.nlabl)])
    assert b'voxel size unknown in x y z' in labels, labels
PYEOF
"$C" recon --input bare --out r0n --format nrrd --quiet >/dev/null 2>&1 && ok || bad "recon nrrd"
head -c 400 r0n/volume.nrrd | grep -aq '^spacings' && bad "NRRD claims spacings" || ok
"$C" recon --input bare --out r0t --format tif --quiet >/dev/null 2>&1 && ok || bad "recon tif"
"$PY" -c "
import tifffile
p = tifffile.TiffFile('r0t/volume.tif').pages[0]
assert 'XResolution' not in p.tags and 'unit=' not in (p.description or ''), p.description
" && ok || bad "TIFF claims a resolution"
# only z unknown: the phantom PNGs state 10 nm pixels
"$C" recon --input ph --out rz --quiet >/dev/null 2>rz.err && ok || bad "recon ph"
grep -q 'slice thickness unknown' rz.err && ! grep -q 'pixel size unknown' rz.err && ok ||
    bad "z-only warning: $(cat rz.err)"
"$PY" - <<'PYEOF' && ok || bad "z unknown: x, y kept"
import json, mrcfile
r = json.load(open('rz/report.json'))['output']
assert r['voxel_size_nm'] == [10, 10, None], r['voxel_size_nm']
with mrcfile.open('rz/volume.mrc') as m:
    vs = m.voxel_size
    assert abs(vs.x - 100) < 1e-3 and abs(vs.y - 100) < 1e-3 and vs.z == 0, vs
PYEOF
# --iso cannot invent sizes
"$C" recon --input bare --out ri --iso --quiet >/dev/null 2>ri.err
[ $? -eq 2 ] && grep -q -- '--iso needs' ri.err && [ ! -e ri ] && ok || bad "--iso without sizes: $(cat ri.err)"

# ---- measure on volumes of unknown size ------------------------------------
"$PY" - <<'PYEOF'
import numpy as np, mrcfile
z, y, x = np.mgrid[0:24, 0:40, 0:40]
lab = np.zeros((24, 40, 40), np.uint8)
lab[(x - 20) ** 2 + (y - 20) ** 2 + (z - 12) ** 2 <= 81] = 1   # ball r = 9
lab[:, :, 34:] = 2                                           # slab
with mrcfile.new('lab0.mrc', overwrite=True) as m:            # cella 0
    m.set_data(lab)
with mrcfile.new('labz.mrc', overwrite=True) as m:            # z unknown
    m.set_data(lab)
    m.header.cella = (400.0, 400.0, 0.0)                      # 1 nm x, y
PYEOF
"$C" measure lab0.mrc --json m0.json -q >m0.out 2>m0.err && ok || bad "measure unknown: $(cat m0.err)"
grep -q 'voxel size unknown in x y z: results in voxel units' m0.out && ok || bad "no voxel-units note: $(head -3 m0.out)"
grep -q '^measured labels: 1, 2 (label 0 = background skipped; --phase 0 to include)$' m0.out &&
    ok || bad "label line: $(grep measured m0.out)"
grep -Eq '/um|[0-9] um|[0-9] nm' m0.out && bad "physical units printed: $(cat m0.out)" || ok
"$C" measure lab0.mrc --json m1.json -q --voxel-nm 20,20,20 >/dev/null 2>&1 && ok || bad "measure --voxel-nm"
"$PY" - <<'PYEOF' && ok || bad "voxel-unit report"
import json
v, p = json.load(open('m0.json')), json.load(open('m1.json'))
assert v['units'] == 'voxel' and p['units'] == 'physical', (v['units'], p['units'])
assert v['voxel_size_nm'] == [None, None, None] and not v['voxel_size_known']
assert 'specific_surface_area_per_um' not in v and 'local_thickness_um' not in v
assert v['measured_labels'] == [1, 2]
# the same numbers, in voxels: 20 nm = 0.02 um voxels
sv, sp = v['specific_surface_area_per_vox']['1'], p['specific_surface_area_per_um']['1']
assert abs(sp['per_phase_volume'] * 0.02 - sv['per_phase_volume']) < 1e-9 * sv['per_phase_volume']
assert abs(sp['area_um2'] / 0.02 ** 2 - sv['area_vox2']) < 1e-6 * sv['area_vox2']
ov, op = v['objects']['1'], p['objects']['1']
assert abs(op['mean_volume_um3'] / 0.02 ** 3 - ov['mean_volume_vox3']) < 1e-6 * ov['mean_volume_vox3']
# analytic: a digital ball of radius 9 has 3071 voxels (x^2+y^2+z^2 <= 81)
assert ov['mean_volume_vox3'] == 3071, ov['mean_volume_vox3']
tv, tp = v['local_thickness_vox']['2'], p['local_thickness_um']['2']
assert abs(tp['median'] / 0.02 - tv['median']) < 1e-9 * tv['median'], (tp, tv)
PYEOF
# --units voxel with a known size: the same numbers as without a size
"$C" measure lab0.mrc --json mv.json -q --voxel-nm 20,20,20 --units voxel >/dev/null 2>&1 &&
    "$PY" -c "
import json
a, b = json.load(open('m0.json')), json.load(open('mv.json'))
assert b['units'] == 'voxel' and b['voxel_size_nm'] == [20, 20, 20]
assert a['specific_surface_area_per_vox'] == b['specific_surface_area_per_vox']
assert a['local_thickness_vox'] == b['local_thickness_vox']
" && ok || bad "--units voxel"
"$C" measure lab0.mrc --json mx.json -q --units physical >/dev/null 2>mx.err
[ $? -eq 2 ] && [ "$(wc -l <mx.err)" -eq 1 ] && grep -q -- '--voxel-nm' mx.err && [ ! -e mx.json ] &&
    ok || bad "--units physical on unknown sizes: $(cat mx.err)"
# only z unknown: never 1 nm in z -- voxel units, and physical refused
"$C" measure labz.mrc --json mz.json -q >mz.out 2>&1 && ok || bad "measure z unknown"
grep -q 'voxel size unknown in z: results in voxel units' mz.out && ok || bad "z note: $(head -2 mz.out)"
"$C" measure labz.mrc --json mz2.json -q --units physical >/dev/null 2>mz.err
[ $? -eq 2 ] && grep -q 'unknown in z' mz.err && ok || bad "z unknown, physical: $(cat mz.err)"
"$C" measure lab0.mrc --json mp.json -q --phase 0 --phase 2 --no-thickness >mp.out 2>&1 &&
    grep -q '^measured labels: 0, 2 (as given by --phase)$' mp.out && ok || bad "label line with --phase: $(grep measured mp.out)"

# ---- crop to the region every slice covers ---------------------------------
"$C" recon --input ph --out rc --pixel-size-nm 10 --slice-nm 2.5 --quiet >rc.out 2>&1 && ok || bad "recon crop"
grep -q 'cropped to the region every slice covers' rc.out && ok || bad "crop not said: $(cat rc.out)"
"$C" recon --input ph --out rf --pixel-size-nm 10 --slice-nm 2.5 --no-crop-valid --quiet >/dev/null 2>&1 && ok || bad "recon full"
printf 'input = "ph";\nout = "rcfg";\npixel_size_nm = 10.0;\nslice_nm = 2.5;\ncrop_valid = false;\n' >nc.cfg
"$C" recon nc.cfg --quiet >/dev/null 2>&1 && ok || bad "run file crop_valid = false"
"$PY" - <<'PYEOF' && ok || bad "crop box vs the true drift"
import json, math, numpy as np, mrcfile
r = json.load(open('rc/report.json'))
cv = r['output']['crop_valid']
assert cv['applied'] and r['parameters']['crop_valid'], cv
x0, y0, w, h = cv['box']
assert (cv['full_nx'], cv['full_ny']) == (160, 128), cv
# applied shift = -(content displacement), zero mean (phantom truth);
# voxel X is covered by every slice iff max s - 0.5 <= X <= W - 0.5 + min s
g = np.loadtxt('ph/true_drift.csv', delimiter=',', skiprows=1)[:, 1:]
s = -(g - g.mean(0))
ex0, ex1 = math.ceil(s[:, 0].max() - 0.5), math.floor(160 - 0.5 + s[:, 0].min())
ey0, ey1 = math.ceil(s[:, 1].max() - 0.5), math.floor(128 - 0.5 + s[:, 1].min())
assert abs(x0 - ex0) <= 1 and abs(x0 + w - 1 - ex1) <= 1, ((x0, w), (ex0, ex1))
assert abs(y0 - ey0) <= 1 and abs(y0 + h - 1 - ey1) <= 1, ((y0, h), (ey0, ey1))
a = mrcfile.open('rc/volume.mrc').data
f = mrcfile.open('rf/volume.mrc').data
c = mrcfile.open('rcfg/volume.mrc').data
assert a.shape == (20, h, w) and f.shape == (20, 128, 160) and c.shape == f.shape
assert np.array_equal(a, f[:, y0:y0 + h, x0:x0 + w])   # same samples, cropped
# the full frame has zero-filled edge lines (whole rows/columns of a slice)
# outside the box and none inside it
def zero_lines(v):
    return (v == 0).all(axis=1).any() or (v == 0).all(axis=2).any()
assert zero_lines(f[:, :, :x0 + 1]) or zero_lines(f[:, :, x0 + w - 1:]) or \
    zero_lines(f[:, :y0 + 1, :]) or zero_lines(f[:, y0 + h - 1:, :])
for v in (a[:, :, :1], a[:, :, -1:], a[:, :1, :], a[:, -1:, :]):
    assert not (v == 0).all(axis=(1, 2)).any()
PYEOF
printf 'input = "ph";\nout = "rbad";\ncrop_valid = 3;\n' >bad.cfg
out=$("$C" recon bad.cfg 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'bad.cfg:3: crop_valid must be true or false' && ok ||
    bad "bad crop_valid: $rc $out"

# ---- beam angle from the imaging beam, on real vendor files ---------------
if [ -r "$DATA/thermo-helios-pfib-ibeam/gamma_example.tif" ] &&
    [ -r "$DATA/fei-teneo-sem-databar/fei-sem-rbc.tif" ] &&
    [ -r "$DATA/zeiss-sem-metadata/test_tiff_Zeiss_SEM_1k.tif" ]; then
    mkdir ion el el52 el37 zsem zfib
    for i in 0 1; do
        cp "$DATA/thermo-helios-pfib-ibeam/gamma_example.tif" ion/s_$i.tif
        cp "$DATA/fei-teneo-sem-databar/fei-sem-rbc.tif" el/s_$i.tif
    done
    # same-length edits of the metadata text (copies; the originals stay):
    # StageT in radians (0.9075712110 = 52.000 deg, 0.6457718232 = 37.000),
    # Zeiss stage tilt 36 deg, and a Zeiss FIB (ion) image
    "$PY" - "$DATA" <<'PYEOF'
import sys
d = sys.argv[1]
t = open(d + '/fei-teneo-sem-databar/fei-sem-rbc.tif', 'rb').read()
z = open(d + '/zeiss-sem-metadata/test_tiff_Zeiss_SEM_1k.tif', 'rb').read()
def edit(b, old, new):
    assert len(old) == len(new) and old in b, old
    return b.replace(old, new)
for i in (0, 1):
    open(f'el52/s_{i}.tif', 'wb').write(edit(t, b'StageT=3.90252e-007', b'StageT=0.9075712110'))
    open(f'el37/s_{i}.tif', 'wb').write(edit(t, b'StageT=3.90252e-007', b'StageT=0.6457718232'))
    zs = edit(z, b'Stage at T =  -0.0 ', b'Stage at T =  36.0 ')
    open(f'zsem/s_{i}.tif', 'wb').write(zs)
    open(f'zfib/s_{i}.tif', 'wb').write(edit(zs, b'FIB Imaging = SEM', b'FIB Imaging = FIB'))
PYEOF
    for d in ion el el52 el37 zsem zfib; do
        "$C" recon --input $d --out r_$d --no-crop-valid --quiet >r_$d.out 2>&1 ||
            bad "recon $d: $(cat r_$d.out)"
    done
    "$C" recon --input ion --out r_ion52 --tilt-deg 52 --no-crop-valid --quiet >/dev/null 2>&1 ||
        bad "recon ion --tilt-deg 52"
    grep -q 'ion-beam image' r_ion.out && ! grep -q 'y stretched' r_ion.out && ok ||
        bad "ion summary: $(cat r_ion.out)"
    "$PY" - <<'PYEOF' && ok || bad "beam angle per imaging beam"
import json, math
def rep(d):
    r = json.load(open(f'r_{d}/report.json'))
    return r['inputs'], r['parameters'], r['output']
def ny(h, deg):
    return math.floor(h / math.sin(math.radians(deg)) + 0.5)
# the Helios PFIB ion image at stage tilt 37 deg: not stretched (it was
# 1024 / sin 37 = 1702 rows before)
i, p, o = rep('ion')
assert i['meta_image_beam'] == 'ion' and abs(i['meta_stage_tilt_deg'] - 37.0) < 0.01, i
assert p['tilt_deg'] is None and o['y_scale'] == 1 and o['ny'] == 1024, (p['tilt_deg'], o['ny'])
i, p, o = rep('ion52')      # --tilt-deg still overrides
assert o['ny'] == ny(1024, 52) == 1299, o['ny']
# Teneo electron image, stage flat: no stretch
i, p, o = rep('el')
assert i['meta_image_beam'] == 'electron' and o['y_scale'] == 1 and o['ny'] == i['height_px']
# electron image at 52 deg, and at 37 deg: the column angle, 52 deg, both
for d in ('el52', 'el37'):
    i, p, o = rep(d)
    assert p['tilt_deg'] == 52 and 'Thermo/FEI' in p['tilt_from'], (d, p['tilt_from'])
    assert o['ny'] == ny(i['height_px'], 52), (d, o['ny'], i['height_px'])
# Zeiss SEM image at stage tilt 36: the file's FIB-SEM angle, 54 deg
i, p, o = rep('zsem')
assert i['meta_beam_angle_deg'] == 54 and p['tilt_deg'] == 54, (i, p)
assert o['ny'] == ny(i['height_px'], 54), o['ny']
# the same file marked as a FIB image: ion, no stretch
i, p, o = rep('zfib')
assert i['meta_image_beam'] == 'ion' and o['y_scale'] == 1 and p['tilt_deg'] is None
PYEOF
else
    echo "SKIP: ../shared/data vendor files absent (beam-angle cases)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
