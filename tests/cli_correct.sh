#!/bin/bash
# cli_correct.sh -- `cryofib correct` on a synthetic striped image, a slice
# series and a volume: outputs exist with the right size, stripe power
# falls, slice brightness drift falls, and bad input exits 2 with a
# one-line message.  Needs numpy and tifffile (skips otherwise).
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
"$PY" -c 'import numpy, tifffile' 2>/dev/null || { echo "skip: numpy/tifffile missing"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-correct-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# phantom: discs on a background + vertical curtains; 5 slices with a
# brightness ramp, written as single TIFFs and as one multi-page TIFF
"$PY" - "$T" <<'PYEOF'
import os, sys, numpy as np, tifffile
t = sys.argv[1]
os.makedirs(f"{t}/series")
rng = np.random.default_rng(5)
y, x = np.mgrid[0:200, 0:240]
clean = np.full((200, 240), 100.0)
for _ in range(40):
    cx, cy, r = rng.uniform(0, 240), rng.uniform(0, 200), rng.uniform(3, 9)
    clean[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(50, 180)
stripes = rng.normal(0, 8, 240)[None, :].repeat(200, 0)
np.save(f"{t}/clean.npy", clean)
stack = []
for k in range(5):
    im = np.clip(clean + stripes + 6 * k + rng.normal(0, 2, clean.shape), 0, 255)
    stack.append(im.astype(np.uint8))
    tifffile.imwrite(f"{t}/series/slice_{k + 1}.tif", stack[-1])
tifffile.imwrite(f"{t}/stack.tif", np.stack(stack))
PYEOF

# stripe power: variance of the column-mean profile minus its 8-px smooth
SP='import sys, numpy as np, tifffile
def sp(a):
    p = a.astype(float).mean(axis=-2)
    k = np.exp(-0.5 * (np.arange(-32, 33) / 8.0) ** 2); k /= k.sum()
    pp = np.pad(p, 32, mode="symmetric")
    return float(np.var(p - np.convolve(pp, k, mode="same")[32:-32]))
a = tifffile.imread(sys.argv[1]); b = tifffile.imread(sys.argv[2])
if a.ndim == 3: a, b = a[0], b[0]
r = sp(b) / sp(a)
print("stripe power ratio %.4f" % r)
sys.exit(0 if r < float(sys.argv[3]) and a.shape == b.shape else 1)'

"$C" correct "$T/series/slice_1.tif" "$T/one.tif" --destripe --quiet >/dev/null \
  && "$PY" -c "$SP" "$T/series/slice_1.tif" "$T/one.tif" 0.2 && ok || bad "single image destripe"
"$C" correct "$T/series/slice_1.tif" "$T/one_w.tif" --wedge --quiet >/dev/null \
  && "$PY" -c "$SP" "$T/series/slice_1.tif" "$T/one_w.tif" 0.2 && ok || bad "wedge"
"$C" correct "$T/series/slice_1.tif" "$T/one.png" --robust --background poly \
  --denoise median --quiet >/dev/null && [ -s "$T/one.png" ] && ok || bad "png output"
"$C" correct "$T/series/slice_1.tif" "$T/one_nlm.tif" --denoise nlm \
  --search-radius 2 --quiet >/dev/null && [ -s "$T/one_nlm.tif" ] && ok || bad "nlm"
"$C" correct "$T/series/slice_1.tif" "$T/one_f.tif" --destripe --out-type f32 \
  --quiet >/dev/null && "$PY" -c 'import sys,tifffile; sys.exit(0 if tifffile.imread(sys.argv[1]).dtype.name=="float32" else 1)' "$T/one_f.tif" \
  && ok || bad "--out-type f32"

# series -> volume with normalisation: slice means no longer ramp
"$C" correct "$T/series" "$T/vol.tif" --destripe --normalize --ema-slices inf \
  --quiet >/dev/null && "$PY" - "$T/vol.tif" "$T/stack.tif" <<'PYEOF' && ok || bad "series -> volume normalize"
import sys, tifffile, numpy as np
v = tifffile.imread(sys.argv[1]).astype(float); s = tifffile.imread(sys.argv[2]).astype(float)
mv = v.mean(axis=(1, 2)); ms = s.mean(axis=(1, 2))
print("slice mean spread %.3f -> %.3f" % (np.ptp(ms), np.ptp(mv)))
sys.exit(0 if v.shape == (5, 200, 240) and np.ptp(mv) < 0.1 * np.ptp(ms) else 1)
PYEOF
# glob series into a folder (names kept), 3D median
mkdir -p "$T/outdir"
"$C" correct "$T/series/slice_*.tif" "$T/outdir" --denoise median3d --quiet >/dev/null \
  && [ -s "$T/outdir/slice_1.tif" ] && [ -s "$T/outdir/slice_5.tif" ] && ok || bad "glob -> folder median3d"
# list file series
printf 'slice_2.tif\n# comment\nslice_1.tif\n' > "$T/series/list.txt"
"$C" correct "$T/series/list.txt" "$T/vol3.tif" --destripe --quiet >/dev/null \
  && "$PY" -c 'import sys,tifffile; sys.exit(0 if tifffile.imread(sys.argv[1]).shape==(2,200,240) else 1)' "$T/vol3.tif" \
  && ok || bad "list file series"
# volume -> volume
"$C" correct "$T/stack.tif" "$T/vol2.tif" --destripe --quiet >/dev/null \
  && "$PY" -c "$SP" "$T/stack.tif" "$T/vol2.tif" 0.2 && ok || bad "volume destripe"

# --destripe is VSNR; with a wavelet option it is the wavelet-FFT filter
S1="$T/series/slice_1.tif"
"$C" correct "$S1" "$T/d1.tif" --destripe --out-type f32 --quiet >/dev/null &&
  "$C" correct "$S1" "$T/d2.tif" --destripe-method vsnr --out-type f32 --quiet >/dev/null &&
  cmp -s "$T/d1.tif" "$T/d2.tif" && ok || bad "--destripe is not --destripe-method vsnr"
"$C" correct "$S1" "$T/d3.tif" --destripe --destripe-levels 3 --out-type f32 --quiet >/dev/null &&
  "$C" correct "$S1" "$T/d4.tif" --destripe-method wavelet --destripe-levels 3 --out-type f32 --quiet >/dev/null &&
  cmp -s "$T/d3.tif" "$T/d4.tif" && ! cmp -s "$T/d1.tif" "$T/d3.tif" && ok ||
  bad "--destripe --destripe-levels is not the wavelet filter"
rm -f "$T"/d[1-4].tif

# bad input: exit 2 and one line naming the problem
expect2() {
  local what="$1"; shift
  local msg
  msg=$("$C" correct "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 2 ] && [ "$(echo "$msg" | wc -l)" -eq 1 ] && echo "$msg" | grep -q -- "$what"; then ok
  else bad "expected exit 2 mentioning '$what', got $rc: $msg"; fi
}
expect2 "no step" "$T/series/slice_1.tif" "$T/x.tif"
expect2 "unknown output extension" "$T/series/slice_1.tif" "$T/x.xyz" --destripe
expect2 "db99" "$T/series/slice_1.tif" "$T/x.tif" --destripe --wavelet db99
expect2 "destripe-levels" "$T/series/slice_1.tif" "$T/x.tif" --destripe --destripe-levels 12
expect2 "--background" "$T/series/slice_1.tif" "$T/x.tif" --background cubic
expect2 "no such file" "$T/none.tif" "$T/x.tif" --destripe
expect2 "no file matches" "$T/empty_*.tif" "$T/x.tif" --destripe
expect2 "f32" "$T/series/slice_1.tif" "$T/x.png" --destripe --out-type f32
[ ! -e "$T/x.tif" ] && ok || bad "no output left after errors"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
