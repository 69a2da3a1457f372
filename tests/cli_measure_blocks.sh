#!/bin/bash
# cli_measure_blocks.sh -- `cryofib measure --memory` (issue 15, item 2):
# a label volume larger than the budget is measured block-wise and gives
# the whole-volume report and objects CSV (counts and labels equal, values
# to rounding; principal-axis directions up to sign) from MRC, NRRD, TIFF
# and OME-Zarr; a volume 4x larger than --memory stays within the budget
# above the process's own baseline (the command on an 8^3 volume); what needs the whole volume is refused
# in one line with exit 2.
. "$(dirname "$0")/support/cli_prelude.sh"
[ -n "$PY" ] && "$PY" -c "import numpy, scipy" 2>/dev/null || {
  echo "skipped: needs python3 with numpy and scipy"
  exit 77
}
# labels.nrrd: u8, 3 phases from a smoothed random field plus small
# particles of label 3; NX NY NZ from the arguments
mk() {
  "$PY" - "$@" <<'PYEOF'
import sys
import numpy as np
from scipy import ndimage as ndi
out, nx, ny, nz = sys.argv[1], *map(int, sys.argv[2:5])
rng = np.random.default_rng(5)
f = ndi.gaussian_filter(rng.normal(size=(nz, ny, nx)).astype(np.float32), 3)
q = np.quantile(f, [0.45, 0.8])
lab = (f > q[0]).astype(np.uint8) + (f > q[1])
for z, y, x in rng.integers(0, [nz, ny, nx], size=(nx * ny * nz // 20000, 3)):
    lab[z:z + 2, y:y + 3, x:x + 2] = 3
with open(out, 'wb') as fh:
    fh.write(('NRRD0004\ntype: uint8\ndimension: 3\nsizes: %d %d %d\n'
              'spacings: 10 12 15\nencoding: raw\n\n' % (nx, ny, nz)).encode())
    fh.write(lab.tobytes())
PYEOF
}
mk "$T/s.nrrd" 72 64 90 || fail "writing the small volume"
"$C" convert "$T/s.nrrd" "$T/s.mrc" >/dev/null &&
  "$C" convert "$T/s.nrrd" "$T/s.tif" >/dev/null &&
  "$C" convert "$T/s.nrrd" "$T/s.zarr" >/dev/null || fail "converting"
# same JSON apart from "blockwise" and CSV: exact for integers, 1e-6
# relative for reals, axis directions up to sign
same() {
  "$PY" - "$@" <<'PYEOF'
import csv, json, sys
w, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert b.pop('blockwise')['slabs'] > 1, 'not block-wise'
w.pop('input'), b.pop('input')
def cmp(a, c, p):
    if isinstance(a, dict):
        assert list(a) == list(c), p
        for k in a:
            cmp(a[k], c[k], p + '/' + k)
    elif isinstance(a, list):
        assert len(a) == len(c), p
        for i, (x, y) in enumerate(zip(a, c)):
            cmp(x, y, '%s[%d]' % (p, i))
    elif isinstance(a, float):
        assert abs(a - c) <= 1e-6 * max(abs(a), 1e-9), (p, a, c)
    else:
        assert a == c, (p, a, c)
cmp(w, b, '')
rw, rb = list(csv.reader(open(sys.argv[3]))), list(csv.reader(open(sys.argv[4])))
assert len(rw) == len(rb) and rw[0] == rb[0], 'csv rows'
h = rw[0]
for x, y in zip(rw[1:], rb[1:]):
    for k, a, c in zip(h, x, y):
        fa, fc = float(a), float(c)
        if a == c:
            continue
        if k.startswith('axis1_'):
            fa, fc = abs(fa), abs(fc)
            tol = 1e-6
        else:
            tol = 1e-6 * max(abs(fc), 1e-9)
        assert abs(fa - fc) <= tol, (k, x[:2], a, c)
PYEOF
}
for in in nrrd mrc tif zarr; do
  "$C" measure "$T/s.$in" --json "$T/w.json" --csv "$T/w.csv" --quiet \
    >/dev/null || fail "whole-volume run $in"
  "$C" measure "$T/s.$in" --json "$T/b.json" --csv "$T/b.csv" \
    --memory 4M --quiet >"$T/out" || fail "block-wise $in"
  grep -q "block-wise in .* slabs" "$T/out" || fail "$in: not block-wise"
  grep -q "local thickness mean" "$T/out" || fail "$in: thickness line"
  same "$T/w.json" "$T/b.json" "$T/w.csv" "$T/b.csv" ||
    fail "$in: block-wise report differs"
  ok
done
# 18-connectivity and smoothed surfaces (a halo of 3 + 3 sections)
"$C" measure "$T/s.nrrd" --json "$T/w.json" --csv "$T/w.csv" --smooth 0.8 \
  --connectivity 18 --no-thickness --quiet >/dev/null || fail "whole, smooth"
"$C" measure "$T/s.nrrd" --json "$T/b.json" --csv "$T/b.csv" --smooth 0.8 \
  --connectivity 18 --no-thickness --memory 4M --quiet >/dev/null ||
  fail "block-wise, smooth"
same "$T/w.json" "$T/b.json" "$T/w.csv" "$T/b.csv" || fail "smooth differs"
ok
# a substrate face: deposit heights and objects' contact and height
for face in z0 x1; do
  "$C" measure "$T/s.nrrd" --json "$T/w.json" --csv "$T/w.csv" \
    --substrate $face --no-thickness --quiet >/dev/null || fail "whole, $face"
  "$C" measure "$T/s.nrrd" --json "$T/b.json" --csv "$T/b.csv" \
    --substrate $face --no-thickness --memory 4M --quiet >/dev/null ||
    fail "block-wise, $face"
  grep -q '"deposit_height"' "$T/b.json" || fail "$face: no heights"
  same "$T/w.json" "$T/b.json" "$T/w.csv" "$T/b.csv" || fail "$face differs"
  ok
done
# refused: what needs the whole volume; no output left
for opt in "--tortuosity z" "--skeleton" "--pictures $T/p"; do
  # shellcheck disable=SC2086
  "$C" measure "$T/s.nrrd" --json "$T/x.json" $opt --memory 1M 2>"$T/e"
  rc=$?
  [ $rc -eq 2 ] || fail "$opt: exit $rc"
  grep -q "needs the whole volume .* (about .* MiB; --memory 1 MiB)" "$T/e" ||
    fail "$opt: $(cat "$T/e")"
  [ "$(wc -l <"$T/e")" -eq 1 ] || fail "$opt: one line: $(cat "$T/e")"
  [ ! -e "$T/x.json" ] || fail "$opt: output written"
  ok
done
# 4x the budget: 32 x 32 x 16384 u8 = 16 MiB with --memory 4M
mk "$T/big.nrrd" 32 32 16384 || fail "writing the large volume"
rss() {
  "$PY" - "$@" <<'PYEOF'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)
PYEOF
}
# the baseline: the same command on an 8^3 volume (libraries, the OpenMP
# team and its stacks, the report), as measured by the same rusage
mk "$T/tiny.nrrd" 8 8 8 || fail "writing the tiny volume"
base=$(rss "$C" measure "$T/tiny.nrrd" --json "$T/tiny.json" --memory 4M)
kb=$(rss "$C" measure "$T/big.nrrd" --json "$T/big.json" --memory 4M --quiet)
[ "$kb" -gt 0 ] && [ "$base" -gt 0 ] || fail "large run"
asan=0
ldd "$C" 2>/dev/null | grep -q libasan && asan=1
[ $asan = 1 ] || [ $((kb - base)) -le 4096 ] ||
  fail "peak $kb KiB, baseline $base KiB: over the 4 MiB budget"
grep -q '"slabs"' "$T/big.json" || fail "large run not block-wise"
ok
echo "cli_measure_blocks: $pass passed"
