#!/bin/bash
# cli_physics.sh -- `cryofib sputter`, `materials`, `ions`: JSON keys,
# values against published numbers, sweeps, comparisons, exit codes.
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
pass=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { pass=$((pass+1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# single result, JSON keys
"$C" sputter --ion Xe --energy-kev 30 --material NMC811 --angle-deg 52 --json \
  > "$tmp/s.json" || fail "sputter json exit"
"$PY" - "$tmp/s.json" <<'PYEOF' || fail "sputter json keys"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("yield_atoms_per_ion", "removal_um3_per_nC", "projected_range_nm",
          "damage_depth_nm", "source", "implanted_fraction", "threshold_eV",
          "removal_origin", "density_g_cm3", "warnings"):
    assert k in d, k
for k in ("yield", "removal", "range", "damage"):
    assert d["source"][k], k
assert d["yield_atoms_per_ion"] > 0 and d["removal_um3_per_nC"] > 0
assert d["ion"] == "Xe" and d["material"] == "NMC811"
PYEOF
ok

# FEI value reproduced and marked measured; Ga->Si 30 keV model 2.37
"$C" sputter --material Si --json > "$tmp/si.json" || fail "si"
"$PY" -c "
import json; d=json.load(open('$tmp/si.json'))
assert abs(d['removal_um3_per_nC']-0.27)<1e-9, d
assert d['removal_origin']=='measured'
assert 'FEI' in d['source']['removal']
assert abs(d['yield_model_normal']-2.37)<0.05
assert 20 < d['damage_depth_nm'] < 26
" || fail "Si values"
ok

# text output names the source of each number
out=$("$C" sputter --material Si --ion Ga --energy-kev 30)
echo "$out" | grep -q "removal rate.*measured: FEI" || fail "text source"
echo "$out" | grep -q "projected range.*ZBL" || fail "text range source"
ok

# sweep list and range, compare with ratios
"$C" sputter --material Si --energy-kev 2,5,8,16,30 --json > "$tmp/sw.json" \
  || fail "sweep"
"$PY" -c "
import json; d=json.load(open('$tmp/sw.json'))
assert [r['energy_keV'] for r in d['rows']]==[2,5,8,16,30]
y=[r['yield_atoms_per_ion'] for r in d['rows']]; assert y==sorted(y)
" || fail "sweep rows"
"$C" sputter --material Li --energy-kev 1:30:5 | grep -c '^ *[0-9]' \
  | grep -qx 6 || fail "range sweep rows"
"$C" sputter --material Si --compare Ga,Xe --energy-kev 30 --json --model-only \
  > "$tmp/c.json" || fail "compare"
"$PY" -c "
import json; d=json.load(open('$tmp/c.json'))
xe=[r for r in d['rows'] if r['ion']=='Xe'][0]
assert abs(xe['ratio_to_first']['yield']-1.27)<0.02, xe['ratio_to_first']
" || fail "compare ratio"
"$C" sputter --material Si --compare Ga,Xe --energy-kev 2,30 | grep -q "ratios to Ga" \
  || fail "compare text"
ok

# warnings: Ga on Li at room temperature
"$C" sputter --material Li --json | grep -q "forms Li-Ga" || fail "Li-Ga warning"
"$C" sputter --material Li --cryo --json | grep -q "forms Li-Ga" && fail "cryo Li-Ga"
ok

# below threshold: zero yield, exit 0
"$C" sputter --material Si --energy-kev 0.02 --json > "$tmp/z.json" \
  || fail "below threshold exit"
"$PY" -c "
import json; d=json.load(open('$tmp/z.json')); assert d['yield_atoms_per_ion']==0
" || fail "zero yield"
ok

# density: estimated vs user
"$C" sputter --material Li3PS4 --json | grep -q '"density_origin": "estimated"' \
  || fail "estimated density"
"$C" sputter --material Li3PS4 --density-g-cm3 1.87 --json \
  | grep -q '"density_origin": "user"' || fail "user density"
ok

# user materials file
cat > "$tmp/m.cfg" <<'CFG'
materials = ( { name = "NMC622"; formula = "LiNi0.6Mn0.2Co0.2O2";
                density_g_cm3 = 4.7;
                rates = ( { ion = "Ga"; energy_keV = 30; um3_per_nC = 0.33;
                            source = "test lab"; } ); } );
CFG
"$C" sputter --material NMC622 --materials "$tmp/m.cfg" --json \
  | grep -q '"removal_um3_per_nC": 0.33' || fail "user material rate"
"$C" materials --materials "$tmp/m.cfg" | grep -q NMC622 || fail "materials cfg"
ok

# the shipped example file loads and its override wins
"$C" sputter --material Si --materials "$FIB_SOURCE_DIR/examples/materials.cfg" \
  --json | grep -q '"removal_um3_per_nC": 0.29' || fail "example cfg"
ok

# bad input: exit 2 and one line on stderr
check_bad() {
  local want="$1"; shift
  "$C" "$@" >/dev/null 2>"$tmp/err"; rc=$?
  [ $rc -eq 2 ] || fail "'$*' exit $rc (want 2)"
  [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "'$*' stderr not one line"
  grep -q "$want" "$tmp/err" || fail "'$*': $(cat "$tmp/err")"
}
check_bad "'Xx'" sputter --material LiXx2
check_bad "missing ')'" sputter --material 'Li2(O'
check_bad "position 3" sputter --material 'Li-2'
check_bad "energy-kev" sputter --material Si --energy-kev -5
check_bad "energy-kev" sputter --material Si --energy-kev 0
check_bad "angle-deg" sputter --material Si --angle-deg 90
check_bad "angle-deg" sputter --material Si --angle-deg 95
check_bad "angle-deg" sputter --material Si --angle-deg -1
check_bad "Zz" sputter --material Si --ion Zz
check_bad "Zz" sputter --material Si --compare Ga,Zz
check_bad "density" sputter --material Si --density-g-cm3 -1
check_bad "material" sputter --energy-kev 30
check_bad "START" sputter --material Si --energy-kev 30:1:5
check_bad "nope.cfg" sputter --material Si --materials "$tmp/nope.cfg"
printf 'materials = ( { name = "Q"; } );\n' > "$tmp/bad.cfg"
check_bad "bad.cfg:1" materials --materials "$tmp/bad.cfg"
check_bad "unknown" ions --bogus
ok

# materials and ions listings
"$C" materials --json > "$tmp/mat.json" || fail "materials json"
"$PY" -c "
import json; d=json.load(open('$tmp/mat.json'))
names={m['name'] for m in d['materials']}
for n in ['NMC811','NMC111','LCO','LFP','LMNO','graphite','Si','Li','Na','S8',
          'Li2S','LiF','Li2O','Li2CO3','LiPON','LLZO','LPSCl','ice',
          'electrolyte','Pt-C','Cu','Al']:
    assert n in names, n
si=[m for m in d['materials'] if m['name']=='Si'][0]
assert any(abs(r['um3_per_nC']-0.27)<1e-9 for r in si['rates'])
" || fail "materials content"
"$C" materials NMC811 | grep -q "LiNi0.8Mn0.1Co0.1O2" || fail "materials one"
"$C" ions --json > "$tmp/ions.json" || fail "ions json"
"$PY" -c "
import json; d=json.load(open('$tmp/ions.json'))
sy={i['symbol'] for i in d['ions']}; assert {'Ga','Xe','Ar','O','N'}<=sy
cols={c['name']:c for c in d['columns']}
assert cols['ga-lmis']['current_max_pA']==65000
assert cols['xe-pfib']['current_max_pA']==2.5e6
" || fail "ions content"
"$C" ions | grep -q "xe-pfib" || fail "ions text"
ok

echo "$pass passed, 0 failed"
