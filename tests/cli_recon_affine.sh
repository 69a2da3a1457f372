#!/bin/bash
# cli_recon_affine.sh -- `cryofib simulate` renders a slow affine
# distortion and `cryofib recon --model` recovers it (issue 16 items 1 and
# 5; the numbers are tested in tests/test_recon_affine.c, this checks the
# command and the files): drift_true.csv gains a11..a22 only when the
# distortion is on (the default columns stay), the run file's `model` and
# the option `--model` reach the engine, report.json records the model and
# each slice's 2x2 linear part (the identity for translation), whose
# corner residual against the truth is below translation's, and a bad
# model or twin value is refused (exit 2, nothing written).
. "$(dirname "$0")/support/cli_prelude.sh"
[ -n "$PY" ] && "$PY" -c "import json, numpy" 2>/dev/null || {
  echo "skipped: needs python3 with numpy"
  exit 77
}
"$C" simulate --phantom particles --size 256x256x24 --static --seed 3 \
  --scale-drift 0.01 --rotation-drift-deg 0.5 --shear-drift -0.005 \
  --out "$T/tw" >/dev/null 2>&1 || fail "simulate"
head -1 "$T/tw/drift_true.csv" | grep -q ",gain,a11,a12,a21,a22$" ||
  fail "affine columns: $(head -1 "$T/tw/drift_true.csv")"
"$C" simulate --phantom particles --size 64x64x8 --out "$T/plain" \
  >/dev/null 2>&1 || fail "simulate plain"
head -1 "$T/plain/drift_true.csv" | grep -q ",gain$" ||
  fail "default columns changed: $(head -1 "$T/plain/drift_true.csv")"
ok
for m in translation affine; do
  "$C" recon --input "$T/tw/slices" --out "$T/r-$m" --model "$m" \
    --z-positions nominal --quiet >"$T/o" 2>&1 || fail "recon $m: $(cat "$T/o")"
done
sed "s#^out = .*#out = \"../rf\";#" "$T/tw/recon.cfg" >"$T/tw/run.cfg"
echo 'model = "regularized-affine";' >>"$T/tw/run.cfg"
"$C" recon "$T/tw/run.cfg" --quiet >"$T/o" 2>&1 || fail "run file: $(cat "$T/o")"
"$PY" - "$T" <<'PYEOF' || fail "report"
import csv, json, sys
import numpy as np
t = sys.argv[1]
rows = list(csv.DictReader(open(t + '/tw/drift_true.csv')))
def residual(name):
    rep = json.load(open(t + '/' + name + '/report.json'))
    sl = rep['slices']
    assert len(sl) == len(rows), (len(sl), len(rows))
    w, h = rep['inputs']['width_px'], rep['inputs']['height_px']
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    cor = np.array([[-.5, -.5], [w - .5, -.5], [-.5, h - .5], [w - .5, h - .5]]) - c
    e = 0
    for s, r in zip(sl, rows):
        at = np.array([float(r[k]) for k in ('a11', 'a12', 'a21', 'a22')]).reshape(2, 2)
        d = cor @ (np.array(s['a']).reshape(2, 2) - at).T - (
            np.array([s['dx'], s['dy']]) - np.array([float(r['dx']), float(r['dy'])]))
        e = max(e, np.hypot(d[:, 0], d[:, 1]).max())
    return rep, e
rt, et = residual('r-translation')
ra, ea = residual('r-affine')
rf, ef = residual('rf')
assert rt['parameters']['model'] == 'translation', rt['parameters']['model']
assert ra['parameters']['model'] == 'affine', ra['parameters']['model']
assert rf['parameters']['model'] == 'regularized-affine'
assert all(s['a'] == [1, 0, 0, 1] for s in rt['slices'])
assert 'lin' in ra['pairs'][0] and 'lin' not in rt['pairs'][0]
assert ea < 0.5 * et and ef < 0.5 * et, (et, ea, ef)
PYEOF
ok
# refused: a bad model and an out-of-range distortion, nothing written
"$C" recon --input "$T/tw/slices" --out "$T/bad" --model shear >"$T/o" 2>&1
[ $? -eq 2 ] && grep -q -- "--model" "$T/o" && [ ! -e "$T/bad" ] ||
  fail "bad --model: $(cat "$T/o")"
"$C" simulate --phantom particles --size 64x64x8 --rotation-drift-deg 9 \
  --out "$T/bad2" >"$T/o" 2>&1
[ $? -eq 2 ] && grep -q -- "--rotation-drift-deg" "$T/o" && [ ! -e "$T/bad2" ] ||
  fail "bad --rotation-drift-deg: $(cat "$T/o")"
ok
echo "cli_recon_affine: $pass checks passed"
