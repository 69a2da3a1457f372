#!/bin/bash
# cli_recon_z.sh -- measured slice depths from Zeiss Atlas style file names
# (issue 16, item 2).  The digital twin renders a run with 5 % slice-
# thickness jitter and writes each slice's measured depth in its name
# (slice_00002_z=0.0203um.tif); `cryofib recon` with its defaults must read
# them: report.json gives every slice's z_nm within 0.05 nm of the truth
# (drift_true.csv; the names round to 0.1 nm), the volume is resampled to
# uniform z (nz = floor(span / step) + 1, step = the median spacing when no
# --slice-nm), and `--z-positions nominal` keeps one slice per file.  A
# series whose names carry no z with `--z-positions names` is refused
# naming the file; non-increasing z is refused too.  `--z-csv` gives the
# depths from a file (a header naming z_nm; the wrong row count refused).
. "$(dirname "$0")/support/cli_prelude.sh"
[ -n "$PY" ] && "$PY" -c "import json, numpy" 2>/dev/null || {
  echo "skipped: needs python3 with numpy"
  exit 77
}
"$C" simulate --phantom particles --slices 20 --seed 4 --out "$T/tw" \
  >/dev/null || fail "simulate"
ls "$T/tw/slices" | grep -q "_z=0.0" || fail "twin names carry no z"
"$C" recon --input "$T/tw/slices" --out "$T/r" --quiet >"$T/o" 2>&1 ||
  fail "recon: $(cat "$T/o")"
grep -q "slice depths from the file names" "$T/o" || fail "no z line: $(cat "$T/o")"
"$PY" - "$T" <<'PYEOF' || fail "z positions"
import json, sys
import numpy as np
t = sys.argv[1]
rep = json.load(open(t + '/r/report.json'))
truth = np.genfromtxt(t + '/tw/drift_true.csv', delimiter=',', names=True)
z = np.array([s['z_nm'] for s in rep['slices']], float)
err = np.abs(z - truth['z_nm']).max()
assert err <= 0.05, ('z_nm from the names vs truth', err)
steps = np.diff(truth['z_nm'])
assert steps.min() < 9.9 and steps.max() > 10.1, steps   # jittered run
dz = rep['output']['voxel_size_nm'][2]
assert abs(dz - np.median(np.diff(z))) < 1e-9, (dz, np.median(np.diff(z)))
nz = int(np.floor((z[-1] - z[0]) / dz + 1e-9)) + 1
assert rep['output']['nz'] == nz, (rep['output']['nz'], nz)
assert rep['output']['z_positions'].startswith('measured'), rep['output']
PYEOF
ok
# --slice-nm sets the step; nominal keeps one slice per file
"$C" recon --input "$T/tw/slices" --out "$T/r10" --slice-nm 10 --quiet \
  >/dev/null 2>&1 || fail "recon --slice-nm 10"
"$C" recon --input "$T/tw/slices" --out "$T/rn" --slice-nm 10 \
  --z-positions nominal --quiet >/dev/null 2>&1 || fail "nominal"
"$PY" - "$T" <<'PYEOF' || fail "step / nominal"
import json, sys
t = sys.argv[1]
a = json.load(open(t + '/r10/report.json'))
n = json.load(open(t + '/rn/report.json'))
z = [s['z_nm'] for s in a['slices']]
assert a['output']['voxel_size_nm'][2] == 10
assert a['output']['nz'] == int((z[-1] - z[0]) / 10 + 1e-9) + 1
assert n['output']['nz'] == 20 and n['output']['z_positions'].startswith('nominal')
assert [s['z_nm'] for s in n['slices']] == [10.0 * i for i in range(20)]
PYEOF
ok
# names without z: refused with --z-positions names, nominal by default
"$C" phantom --kind particles --size 64x64x6 --out "$T/ph" >/dev/null ||
  fail "phantom"
"$C" recon --input "$T/ph" --out "$T/rp" --pixel-size-nm 10 --slice-nm 10 \
  --z-positions names --quiet 2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "names without z: exit $rc"
grep -q "slice_0000.png: no z=" "$T/e" || fail "message: $(cat "$T/e")"
[ "$(wc -l <"$T/e")" -eq 1 ] || fail "one line: $(cat "$T/e")"
[ ! -e "$T/rp" ] || fail "output written after an error"
ok
# z that does not increase: refused naming both files
mkdir -p "$T/bad"
cp "$T/tw/slices/slice_00000_z=0.0000um.tif" "$T/bad/a_z=0.0200um.tif"
cp "$T/tw/slices/slice_00001_"* "$T/bad/b_z=0.0100um.tif"
cp "$T/tw/slices/slice_00002_"* "$T/bad/c_z=0.0300um.tif"
"$C" recon --input "$T/bad" --out "$T/rb" --z-positions names --quiet \
  2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "decreasing z: exit $rc"
grep -q "b_z=0.0100um.tif: z = 10 nm in the name does not increase" "$T/e" ||
  fail "message: $(cat "$T/e")"
ok
# depths from a CSV file (column z_nm): used as given, over the names
"$PY" - "$T" <<'PYEOF' || fail "writing z.csv"
import sys
import numpy as np
t = sys.argv[1]
z = np.genfromtxt(t + '/tw/drift_true.csv', delimiter=',', names=True)['z_nm']
with open(t + '/z.csv', 'w') as f:
    f.write('# measured by hand\nslice,z_nm,note\n')
    f.write(''.join(f'{i},{v + 1000:.6f},x\n' for i, v in enumerate(z)))
with open(t + '/short.csv', 'w') as f:
    f.write(''.join(f'{v:.3f}\n' for v in z[:5]))
PYEOF
"$C" recon --input "$T/tw/slices" --out "$T/rc" --z-csv "$T/z.csv" --quiet \
  >/dev/null 2>&1 || fail "--z-csv"
"$PY" - "$T" <<'PYEOF' || fail "z from the CSV"
import json, sys
import numpy as np
t = sys.argv[1]
rep = json.load(open(t + '/rc/report.json'))
z = np.array([s['z_nm'] for s in rep['slices']])
truth = np.genfromtxt(t + '/tw/drift_true.csv', delimiter=',', names=True)['z_nm']
assert np.abs(z - (truth + 1000)).max() < 1e-5, z[:3]
assert 'z_csv' in rep['output']['z_positions']
PYEOF
ok
"$C" recon --input "$T/tw/slices" --out "$T/rs" --z-csv "$T/short.csv" \
  --quiet 2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "short csv: exit $rc"
grep -q "short.csv: 5 slice depths, the series has 20 slices" "$T/e" ||
  fail "message: $(cat "$T/e")"
"$C" recon --input "$T/tw/slices" --out "$T/rs" --z-csv "$T/z.csv" \
  --z-positions nominal --quiet 2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "csv + nominal: exit $rc"
grep -q "contradict" "$T/e" || fail "message: $(cat "$T/e")"
ok
echo "cli_recon_z: $pass passed"
