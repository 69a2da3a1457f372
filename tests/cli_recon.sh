#!/bin/bash
# cli_recon.sh -- `cryofib phantom` then `cryofib recon` end to end on a
# small phantom: files produced, drift.csv header and recovered drift,
# volume.mrc size and voxel size, tilt stretch, run file, channels, the
# correction hook, --skip-bad, and bad input exiting 2 with a one-line
# message naming the slice.  The python checks need numpy + mrcfile
# (skipped when missing; the shell checks always run).
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-recon-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
havepy=0
"$PY" -c 'import numpy, mrcfile' 2>/dev/null && havepy=1

"$C" phantom --help | grep -q '^usage: cryofib phantom' && ok || bad "phantom --help"
"$C" recon --help | grep -q '^usage: cryofib recon' && ok || bad "recon --help"

"$C" phantom --kind particles --out "$T/ph" --size 160x128x20 --seed 4 \
    --slice-nm 2.5 >/dev/null && ok || bad "phantom run"
n=$(ls "$T/ph"/slice_*.png 2>/dev/null | wc -l)
[ "$n" -eq 20 ] && ok || bad "phantom wrote $n slices, expected 20"
[ -s "$T/ph/labels.mrc" ] && ok || bad "labels.mrc missing"
[ "$(head -1 "$T/ph/true_drift.csv")" = "slice,dx,dy" ] && ok || bad "true_drift.csv header"
# the run file the phantom writes carries the slice thickness
"$C" recon "$T/ph/recon.cfg" --quiet >/dev/null 2>&1 && ok || bad "recon ph/recon.cfg"
grep -q '"slice_nm": 2.5' "$T/ph-recon/report.json" && ok ||
    bad "phantom run file: slice thickness not used"

"$C" recon --input "$T/ph" --out "$T/r1" --pixel-size-nm 10 --slice-nm 2.5 \
    --tilt-deg 52 --quiet >"$T/r1.log" 2>&1 && ok || bad "recon run: $(cat "$T/r1.log")"
for f in volume.mrc drift.csv drift.png ortho.png report.json; do
    [ -s "$T/r1/$f" ] && ok || bad "recon did not write $f"
done
[ "$(head -1 "$T/r1/drift.csv")" = "slice,dx,dy,quality,residual_px,ncc_prev,frc_px,flagged" ] && ok ||
    bad "drift.csv header: $(head -1 "$T/r1/drift.csv")"
# the closure test per distance and the alignment diagnostics
grep -q '"closure": \[' "$T/r1/report.json" && grep -q '"alignment_qc"' "$T/r1/report.json" &&
    ok || bad "report.json closure / alignment_qc"
[ "$(wc -l <"$T/r1/drift.csv")" -eq 21 ] && ok || bad "drift.csv rows"
grep -q '"tilt_note"' "$T/r1/report.json" && ok || bad "report.json tilt_note"
grep -q '"window": "periodic-plus-smooth"' "$T/r1/report.json" && ok ||
    bad "report.json window"
# --cache: slices kept between the passes, the same volume and shifts
"$C" recon --input "$T/ph" --out "$T/r1c" --pixel-size-nm 10 --slice-nm 2.5 \
    --tilt-deg 52 --cache --quiet >/dev/null 2>&1 && ok || bad "recon --cache"
cmp -s "$T/r1/volume.mrc" "$T/r1c/volume.mrc" && cmp -s "$T/r1/drift.csv" "$T/r1c/drift.csv" &&
    ok || bad "--cache changed the output"
grep -q '"cache": true' "$T/r1c/report.json" && ok || bad "cache not recorded"
# a Tukey taper instead: recorded, and the drift still recovered
"$C" recon --input "$T/ph" --out "$T/r1t" --taper 0.2 --quiet >/dev/null 2>&1 &&
    ok || bad "recon --taper"
grep -q '"window": "tukey"' "$T/r1t/report.json" && ok || bad "taper not recorded"

if [ $havepy -eq 1 ]; then
    "$PY" - "$T" <<'PYEOF' && ok || bad "volume / drift checks (python)"
import sys, numpy as np, mrcfile
t = sys.argv[1]
import json
rep = json.load(open(f"{t}/r1/report.json"))["output"]
cv = rep["crop_valid"]  # cropped by default to the region every slice covers
assert cv["applied"] and (cv["full_nx"], cv["full_ny"]) == (160, 162), cv  # 128 / sin 52 = 162.4
with mrcfile.open(f"{t}/r1/volume.mrc", permissive=True) as m:
    assert m.data.shape == (20, cv["box"][3], cv["box"][2]), (m.data.shape, cv)
    vs = m.voxel_size
    assert abs(vs.x - 100) < 1e-3 and abs(vs.y - 100) < 1e-3 and abs(vs.z - 25) < 1e-3, vs
d = np.loadtxt(f"{t}/r1/drift.csv", delimiter=",", skiprows=1)
g = np.loadtxt(f"{t}/ph/true_drift.csv", delimiter=",", skiprows=1)
e = d[:, 1:3] + g[:, 1:]
assert ((d[:, 3] > 0) & (d[:, 3] <= 1)).all(), d[:, 3]  # peak quality
e -= e.mean(0)
rms = np.sqrt((e ** 2).sum(1).mean())
assert rms < 0.2, rms
assert abs(d[:, 1:3].mean(0)).max() < 1e-6  # zero-mean applied shifts
PYEOF
fi

# unknown tilt: nothing stretched, and the report says so
"$C" recon --input "$T/ph" --out "$T/r2" --format nrrd --quiet >/dev/null 2>&1 \
    && ok || bad "recon nrrd"
[ -s "$T/r2/volume.nrrd" ] && ok || bad "volume.nrrd missing"
grep -q 'no tilt given' "$T/r2/report.json" && ok || bad "report lacks the no-tilt note"

# run file with a channel (the same slices, 8-bit, as a second channel) and
# the correction hook
"$C" phantom --kind particles --out "$T/ch" --size 160x128x20 --seed 4 \
    --slice-nm 2.5 --bits 8 >/dev/null && ok || bad "phantom channel"
cat >"$T/run.cfg" <<EOF
input = "ph";
out = "r3";
pixel_size_nm = 10.0;
slice_nm = 2.5;
neighbours = 2;
channels = ( { name = "bse"; input = "ch"; } );
correct = { destripe = true; };
EOF
"$C" recon "$T/run.cfg" --quiet >"$T/r3.log" 2>&1 && ok || bad "recon run file: $(cat "$T/r3.log")"
[ -s "$T/r3/volume_bse.mrc" ] && ok || bad "channel volume missing"
if [ $havepy -eq 1 ]; then
    "$PY" - "$T" <<'PYEOF' && ok || bad "channel volume registered with the reference"
import sys, numpy as np, mrcfile
t = sys.argv[1]
a = mrcfile.open(f"{t}/r3/volume.mrc", permissive=True).data.astype(float)
b = mrcfile.open(f"{t}/r3/volume_bse.mrc", permissive=True).data.astype(float)
assert a.shape == b.shape, (a.shape, b.shape)
# the 8-bit channel is the same phantom: proportional to the 16-bit one
# (up to rounding and the destriping that both get)
c = np.corrcoef(a[5].ravel(), b[5].ravel())[0, 1]
assert c > 0.99, c
PYEOF
fi
grep -q '"destripe:wavelet-fft"' "$T/r3/report.json" && ok || bad "correction not recorded (destripe = true is wavelet-fft)"
# the method chosen is the one recorded
"$C" recon --input "$T/ph" --out "$T/r3m" --pixel-size-nm 10 --slice-nm 2.5 \
    --destripe-method robust --quiet >/dev/null 2>&1 && ok || bad "recon --destripe-method robust"
grep -q '"destripe:wavelet-median"' "$T/r3m/report.json" && ok || bad "destripe method not recorded"
"$C" recon --input "$T/ph" --out "$T/r3v" --pixel-size-nm 10 --slice-nm 2.5 \
    --destripe-method vsnr --quiet >/dev/null 2>&1 && ok || bad "recon --destripe-method vsnr"
grep -q '"destripe:vsnr"' "$T/r3v/report.json" && ok || bad "vsnr not recorded"

# a slice of another size: clear error naming the file; --skip-bad records it
cp -r "$T/ph" "$T/bad"
cp "$T/ch/slice_0000.png" "$T/bad/slice_0005.png"
"$C" phantom --kind coating --out "$T/small" --size 64x64x1 >/dev/null
cp "$T/small/slice_0000.png" "$T/bad/slice_0007.png"
out=$("$C" recon --input "$T/bad" --out "$T/r4" --quiet 2>&1)
rc=$?
[ $rc -eq 2 ] && ok || bad "mismatched slice: exit $rc"
echo "$out" | grep -q 'slice_0007.png' && ok || bad "message does not name the slice: $out"
[ "$(echo "$out" | wc -l)" -eq 1 ] && ok || bad "message is not one line: $out"
"$C" recon --input "$T/bad" --out "$T/r5" --skip-bad --quiet >/dev/null 2>&1 \
    && ok || bad "--skip-bad run"
grep -q '"skipped": true' "$T/r5/report.json" && ok || bad "skipped slice not recorded"
[ "$(wc -l <"$T/r5/drift.csv")" -eq 20 ] && ok || bad "skip-bad drift.csv rows"

# a run file with an unknown key: exit 2, file and line named
printf 'input = "ph";\nout = "r8";\nneighbors = 3;\n' >"$T/bad.cfg"
out=$("$C" recon "$T/bad.cfg" 2>&1); rc=$?
[ $rc -eq 2 ] && ok || bad "bad run file: exit $rc"
echo "$out" | grep -q 'bad.cfg:3: neighbors' && ok || bad "bad run file message: $out"

# bad usage
"$C" recon --input "$T/ph" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing --out not exit 2"
"$C" recon --input "$T/nothing" --out "$T/r6" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing input not exit 2"
"$C" recon --input "$T/ph" --out "$T/r7" --roi 0,0,500,10 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bad roi not exit 2"

# the truth on the reconstruction's grid (`phantom --truth-for`): the
# sizes of the volume, the labels of the phantom, and the phantom's own
# labels shifted by recon's constant offset and crop box (integer offsets
# here: no drift, so the offset is the box corner only)
"$C" phantom --kind dendrites --out "$T/tp" --size 96x96x12 --seed 3 \
    --drift-px 0 >/dev/null && ok || bad "phantom without drift"
"$C" recon --input "$T/tp" --out "$T/tr" --pixel-size-nm 10 --slice-nm 10 \
    --quiet >/dev/null 2>&1 && ok || bad "recon of the driftless phantom"
"$C" phantom --kind dendrites --size 96x96x12 --seed 3 --drift-px 0 \
    --truth-for "$T/tr" --out "$T/truth.mrc" >/dev/null && ok ||
    bad "--truth-for"
if [ $havepy -eq 1 ]; then
  "$PY" - "$T" <<'PYEOF' && ok || bad "truth on the grid"
import sys, json, re
import numpy as np, mrcfile
t = sys.argv[1]
truth = mrcfile.open(t + '/truth.mrc').data
vol = mrcfile.open(t + '/tr/volume.mrc').data
lab = mrcfile.open(t + '/tp/labels.mrc').data
assert truth.shape == vol.shape, (truth.shape, vol.shape)
rep = open(t + '/tr/report.json').read()
m = re.search(r'"box": \[\s*(\d+),\s*(\d+)', rep)
x0, y0 = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
ny, nx = vol.shape[1:]
ref = lab[:, y0:y0 + ny, x0:x0 + nx]
assert (truth == ref).mean() > 0.999, (truth == ref).mean()
PYEOF
fi
"$C" phantom --kind dendrites --size 96x96x12 --truth-for "$T/nothing" \
    --out "$T/t2.mrc" >/dev/null 2>&1; [ $? -eq 2 ] && [ ! -e "$T/t2.mrc" ] &&
  ok || bad "--truth-for without a recon not exit 2"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
