#!/bin/bash
# cli_plan.sh -- `cryofib plan`, `workflow` and `slice-view` on every
# example session: exit codes, JSON keys, CSV rows, PNG outputs, errors
# naming file and line.
. "$(dirname "$0")/support/cli_prelude.sh"

for f in li-dendrite-cryo-liftout nmc811-rt-pfib sulfur-carbon-cryo-ongrid \
         li-lipon-cryo-liftout session-reference; do
  "$C" plan "$SRC/examples/$f.cfg" --json "$T/$f.json" --csv "$T/$f.csv" \
       > "$T/$f.txt" || fail "plan $f exit $?"
  grep -q "^workflow [1-4]:" "$T/$f.txt" || fail "$f: no workflow line"
  grep -q "ion comparison" "$T/$f.txt" || fail "$f: no comparison"
  [ "$(wc -l < "$T/$f.csv")" -gt 10 ] || fail "$f: csv too short"
  if [ -n "$PY" ] && [ -x "$PY" ]; then
    "$PY" - "$T/$f.json" <<'PYEOF' || fail "$f: json keys"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["workflow"]["number"] in (1, 2, 3, 4)
assert isinstance(d["workflow"]["requires"], list) and d["workflow"]["requires"]
assert len(d["plans"]) >= 2
for p in d["plans"]:
    for k in ("ion", "total_time_s", "milling_time_s", "steps", "warnings"):
        assert k in p, k
    assert p["total_time_s"] >= p["milling_time_s"] > 0
    assert p["optimized"]["total_time_s"] <= p["total_time_s"] + 1e-6
    for s in p["steps"]:
        for k in ("name", "kind", "energy_kev", "current_pA", "volume_um3",
                  "dose_nC", "commanded_time_s", "physical_depth_um",
                  "damage_depth_nm", "start_s", "end_s"):
            assert k in s, k
        assert s["end_s"] >= s["start_s"]
        if s["mills"]:
            t = s["volume_um3"] / (s["vpd_um3_per_nC"] * s["current_pA"] * 1e-3)
            assert abs(t - s["commanded_time_s"]) <= 1e-3 * t
PYEOF
  fi
  ok
done

# every example plan (single site and sessions with sites): each milling
# step reaches its target depth physically, the "reaches a of b um" depth
# warning fires exactly where a step is short (none is in the examples), and
# target_depth_um / removed_per_face_nm are in the JSON and CSV
n_ex=0
for cfg in "$SRC"/examples/*.cfg; do
  grep -Eq '^(site|sites)[[:space:]]*=' "$cfg" || continue
  f=$(basename "$cfg" .cfg)
  n_ex=$((n_ex+1))
  "$C" plan "$cfg" --quiet --json "$T/ex-$f.json" --csv "$T/ex-$f.csv" \
    || fail "example $f: exit $?"
  [ -n "$PY" ] && [ -x "$PY" ] || continue
  "$PY" - "$T/ex-$f.json" "$T/ex-$f.csv" <<'PYEOF' || fail "$f: depths"
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
for k in ("target_depth_um", "removed_per_face_nm"):
    assert k in rows[0], k
plans = []  # (label, steps, warnings of that plan)
if "plans" in d:
    for p in d["plans"]:
        plans.append((p["ion"], p["steps"], p["warnings"]))
        # (the JSON carries no warnings of the optimized ladder)
        plans.append((p["ion"] + " optimized", p["optimized"]["steps"],
                      None))
    # CSV rows of the default ladder = the JSON steps
    for p in d["plans"]:
        r = [x for x in rows if x["ion"] == p["ion"] and
             x["ladder"] == "default"]
        assert len(r) == len(p["steps"])
        for x, s in zip(r, p["steps"]):
            for k in ("target_depth_um", "removed_per_face_nm"):
                assert abs(float(x[k]) - s[k]) <= 1e-6 * max(1, abs(s[k])), k
else:
    for ses in d["sessions"]:
        for si in ses["sites"]:
            plans.append((ses["ion"] + " " + si["name"], si["steps"],
                          si["warnings"]))
        assert len(rows) == len(ses["steps"])
        for x, s in zip(rows, ses["steps"]):
            for k in ("target_depth_um", "removed_per_face_nm"):
                assert abs(float(x[k]) - s[k]) <= 1e-6 * max(1, abs(s[k])), k
n_thin = 0
for label, steps, warns in plans:
    short = []
    for s in steps:
        for k in ("target_depth_um", "removed_per_face_nm"):
            assert k in s and s[k] >= 0, (label, s["name"], k)
        if s["mills"] and s["target_depth_um"] > 0 and \
           s["physical_depth_um"] < s["target_depth_um"] * (1 - 1e-6):
            short.append(s["name"])
        if s["kind"] in ("thin", "polish") and s["mills"]:
            n_thin += 1
            assert s["removed_per_face_nm"] > 0, (label, s["name"])
    if warns is not None:
        w = [x for x in warns if " reaches " in x and "um it needs" in x]
        assert bool(short) == bool(w), (label, short, w)
    assert not short, (label, "short of the target depth", short)
assert n_thin > 0
PYEOF
  ok
done
[ "$n_ex" -ge 7 ] || fail "only $n_ex example plans found"

# Ga vs Xe side by side, drawings
"$C" plan "$SRC/examples/li-dendrite-cryo-liftout.cfg" --ion Ga,Xe \
     --out "$T/out" --quiet || fail "plan --out"
for png in site-Ga.png site-Xe.png timeline.png; do
  [ -s "$T/out/$png" ] || fail "missing $png"
  head -c 8 "$T/out/$png" | od -An -tx1 | grep -q "89 50 4e 47" \
    || fail "$png is not a PNG"
done
ok
"$C" plan --demo --optimized > "$T/demo.txt" || fail "plan --demo"
grep -q "Ga plan (optimized ladder)" "$T/demo.txt" || fail "demo optimized"
grep -q "^Xe " "$T/demo.txt" || fail "demo Xe row"
ok

# workflow
"$C" workflow "$SRC/examples/li-dendrite-cryo-liftout.cfg" --json "$T/w.json" \
  | grep -q "^workflow 4:" || fail "workflow 4 for Li dendrite"
grep -q '"number": 4' "$T/w.json" || fail "workflow json"
"$C" workflow "$SRC/examples/nmc811-rt-pfib.cfg" | grep -q "^workflow 3:" \
  || fail "workflow 3 for NMC811"
ok

# slice-view
"$C" slice-view "$SRC/examples/slice-view-coated-nmc.cfg" --json "$T/sv.json" \
  > "$T/sv.txt" || fail "slice-view exit"
grep -q "^Ga .* 500 " "$T/sv.txt" || fail "slice-view 500 slices"
"$C" slice-view "$SRC/examples/slice-view-coated-nmc.cfg" --out "$T/svout" >/dev/null \
  && [ -s "$T/svout/slice-view.png" ] || fail "slice-view --out"
grep -q "Xe/Ga: run time" "$T/sv.txt" || fail "slice-view ratio"
grep -q '"n_slices": 500' "$T/sv.json" || fail "slice-view json"
ok

# user materials file
cat > "$T/nmc622.cfg" <<'CFGEOF'
sample = { layers = ( { material = "NMC622"; thickness_um = 0.0; } ); };
CFGEOF
"$C" plan "$T/nmc622.cfg" --quiet 2>/dev/null; [ $? -eq 2 ] \
  || fail "NMC622 without --materials should be unknown"
"$C" plan "$T/nmc622.cfg" --materials "$SRC/examples/materials.cfg" \
  | grep -q "ROI NMC622" || fail "--materials"
ok

# bad input: exit 2 and file:line:field in the message
D="$SRC/tests/data/plan"
"$C" plan "$D/negative-width.cfg" 2> "$T/err.txt"; rc=$?
[ $rc -eq 2 ] || fail "negative width exit $rc"
grep -q "negative-width.cfg:5: site.lamella_width_um" "$T/err.txt" \
  || fail "negative width message: $(cat "$T/err.txt")"
"$C" plan "$D/unknown-material.cfg" 2> "$T/err.txt"; rc=$?
[ $rc -eq 2 ] || fail "unknown material exit $rc"
grep -q "unknown-material.cfg:4:" "$T/err.txt" || fail "unknown material line"
"$C" plan "$D/current-range.cfg" 2> "$T/err.txt"; rc=$?
[ $rc -eq 2 ] || fail "current range exit $rc"
"$C" plan "$SRC/examples/li-dendrite-cryo-liftout.cfg" --ion Zz \
  2>/dev/null; [ $? -eq 2 ] || fail "--ion Zz exit"
"$C" plan 2>/dev/null; [ $? -eq 2 ] || fail "no file exit"
"$C" plan "$T/none.cfg" 2>/dev/null; [ $? -ne 0 ] || fail "missing file"
ok

# drawings (issue 12 item 8): site and side views of every ion, sizes,
# step colours distinct in CIELAB on the legend of an 18-step plan
"$C" plan "$SRC/examples/nmc811-rt-pfib.cfg" --out "$T/draw" --quiet \
  || fail "plan --out (nmc811)"
"$C" plan "$SRC/tests/data/plan-many-steps.cfg" --out "$T/many" \
  --json "$T/many.json" --quiet || fail "plan --out (many steps)"
for png in site-Ga.png site-Xe.png side-Ga.png side-Xe.png timeline.png; do
  [ -s "$T/draw/$png" ] || fail "missing $png"
done
if [ -n "$PY" ] && [ -x "$PY" ] && "$PY" -c 'import skimage, numpy' 2>/dev/null
then
  "$PY" - "$T/draw" "$T/many" "$T/many.json" <<'PYEOF' || fail "drawings"
import itertools, sys
import numpy as np
from skimage.io import imread
from skimage.color import rgb2lab
d = sys.argv[1]
site = imread(d + "/site-Xe.png")[..., :3]
side = imread(d + "/side-Xe.png")[..., :3]
assert site.shape == (800, 1500, 3), site.shape
assert side.shape == (700, 1200, 3), side.shape
# legend swatches: x 1150..1161, one row of 14 px per step from y 60
import json
n = len(json.load(open(sys.argv[3]))["plans"][0]["steps"])
assert n > 16, n  # past the 16 colours of the shared palette
many = imread(sys.argv[2] + "/site-Ga.png")[..., :3]
sw = [many[65 + 14 * i, 1155] for i in range(n)]
lab = rgb2lab(np.array([sw], dtype=np.uint8))[0]
dmin = min(np.linalg.norm(a - b) for a, b in itertools.combinations(lab, 2))
assert dmin >= 20, dmin
# the side view draws the stack bands and both depths: more than the
# background and black in the data area
area = side[60:610, 80:840].reshape(-1, 3)
assert len(np.unique(area, axis=0)) > 20
PYEOF
fi
ok

echo "$pass passed, 0 failed"
