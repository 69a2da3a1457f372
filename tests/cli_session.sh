#!/bin/bash
# cli_session.sh -- `cryofib plan` on session files with several sites
# (examples/cryo-4site-session.cfg, examples/workflow3-session.cfg): the
# batched timeline, phases, JSON/CSV consistency, the timeline chart, and
# the workflow recommendation checked against the plan temperature.
. "$(dirname "$0")/support/cli_prelude.sh"

for f in cryo-4site-session workflow3-session; do
  "$C" plan "$SRC/examples/$f.cfg" --json "$T/$f.json" --csv "$T/$f.csv" \
       --out "$T/$f" > "$T/$f.txt" || fail "plan $f exit $?"
  grep -q "^batching: [0-9]* current changes (site by site [0-9]*" \
    "$T/$f.txt" || fail "$f: no batching line"
  grep -q "lamellae per session, .* per day" "$T/$f.txt" \
    || fail "$f: no success line"
  png="$T/$f/timeline-Ga.png"
  [ -s "$png" ] && head -c 8 "$png" | od -An -tx1 | grep -q "89 50 4e 47" \
    || fail "$f: no timeline PNG"
  # every site drawn: beam view and side view, one pair per site
  n_site=$(ls "$T/$f"/site-*-Ga.png | wc -l)
  n_side=$(ls "$T/$f"/side-*-Ga.png | wc -l)
  [ "$n_site" -ge 2 ] && [ "$n_site" -eq "$n_side" ] \
    || fail "$f: $n_site site and $n_side side drawings"
  for g in "$T/$f"/site-*-Ga.png "$T/$f"/side-*-Ga.png; do
    head -c 8 "$g" | od -An -tx1 | grep -q "89 50 4e 47" \
      || fail "$g is not a PNG"
  done
  ok
done
[ -s "$T/cryo-4site-session/site-04-D-Ga.png" ] \
  && [ -s "$T/cryo-4site-session/side-04-D-Ga.png" ] \
  && [ "$(ls "$T/cryo-4site-session"/site-*-Ga.png | wc -l)" -eq 4 ] \
  || fail "4-site: site D drawings"
grep -q "^A  *-250.0  *120.0 on-grid" "$T/cryo-4site-session.txt" \
  || fail "4-site: site A row"
grep -q "warm lift-out" "$T/workflow3-session.txt" || fail "wf3: lift-out phase"

if [ -n "$PY" ] && [ -x "$PY" ]; then
  "$PY" - "$T" <<'PYEOF' || fail "json/csv checks"
import csv, json, sys
T = sys.argv[1]
order = {"rough": 0, "lift-out": 1, "thinning": 2, "polishing": 3}
for f, nsites, wf in (("cryo-4site-session", 4, 4), ("workflow3-session", 2, 3)):
    d = json.load(open(f"{T}/{f}.json"))
    s = d["sessions"][0]
    assert s["workflow"] == wf and s["n_sites"] == nsites, f
    assert [x["name"] for x in s["sites"]] == [x["name"] for x in s["sites"]]
    assert len(s["sites"]) == nsites
    steps = s["steps"]
    assert len(steps) == sum(x["n_steps"] for x in s["sites"])
    # every step has its site; steps are contiguous on the timeline
    names = {x["name"] for x in s["sites"]}
    for a, b in zip(steps, steps[1:]):
        assert a["site"] in names
        if a["phase"] == b["phase"]:
            assert abs(a["end_s"] - b["start_s"]) < 1e-6
            assert order[a["batch"]] <= order[b["batch"]], (a, b)
    # totals = sum of parts
    mill = sum(x["commanded_time_s"] for x in steps if x["mills"])
    ovh = sum(x["overhead_s"] for x in steps)
    assert abs(mill - s["milling_time_s"]) < 1e-3
    assert abs(ovh - s["overhead_s"]) < 1e-3
    ph = s["phases"]
    assert abs(sum(p["duration_s"] for p in ph) - s["total_time_s"]) < 1e-3
    assert abs(s["phases_s"] + mill + ovh - s["total_time_s"]) < 1e-3
    assert s["current_changes"] == sum(x["current_change"] for x in steps)
    assert abs(s["expected_lamellae"] - nsites * s["success_rate"]) < 1e-9
    assert abs(s["lamellae_per_day"]
               - s["expected_lamellae"] * 86400 / s["total_time_s"]) < 1e-6
    rows = list(csv.DictReader(open(f"{T}/{f}.csv")))
    assert len(rows) == len(steps)
    for r, x in zip(rows, steps):
        assert r["site"] == x["site"] and r["name"] == x["name"]
        assert abs(float(r["start_s"]) - x["start_s"]) < 1e-3
d = json.load(open(f"{T}/workflow3-session.json"))
kinds = [p["kind"] for p in d["sessions"][0]["phases"]]
assert kinds == ["transfer", "cool-down", "milling", "warm-up", "milling",
                 "cool-down", "milling", "warm-up", "transfer"], kinds
d = json.load(open(f"{T}/cryo-4site-session.json"))
s = d["sessions"][0]
assert s["site_moves"] == 3 * 3 and s["site_moves_sitewise"] == 3
assert s["current_changes"] < s["current_changes_sitewise"]
assert d["workflow"]["check"] == "ok"
PYEOF
  ok
fi

# The recommender checked against the plan: bulk Si -> conventional (0);
# a room-temperature Li plan -> a warning with the reason.
sed -e 's/"NMC811"; thickness_um = 40.0/"Si"; thickness_um = 40.0/' \
    -e '/sensitive = /d' "$SRC/examples/session-reference.cfg" > "$T/si.cfg"
"$C" workflow "$T/si.cfg" > "$T/si.txt" || fail "workflow si"
grep -q "^workflow 0: conventional" "$T/si.txt" || fail "Si not conventional"
grep -q "warning" "$T/si.txt" && fail "Si RT: unexpected warning"
"$C" plan "$T/si.cfg" --quiet --json "$T/si.json" || fail "plan si"
sed -e 's/mode = "cryo"/mode = "room"/' -e '/stage_K/d' -e '/ice_growth/d' \
    "$SRC/examples/li-dendrite-cryo-liftout.cfg" > "$T/li-rt.cfg"
"$C" workflow "$T/li-rt.cfg" > "$T/li.txt" || fail "workflow li-rt"
grep -q "^  warning: the plan mills at room temperature but workflow 4" \
  "$T/li.txt" || fail "Li RT: no conflict warning"
"$C" plan "$T/li-rt.cfg" --ion Ga > "$T/li-plan.txt" || fail "plan li-rt"
grep -q "^  warning: the plan mills at room temperature" "$T/li-plan.txt" \
  || fail "Li RT plan: no conflict warning"
# a cryo plan of Si: a note, not a warning
sed -e 's/mode = "room"/mode = "cryo"/' -e '/stage_K/d' -e '/ice_growth/d' \
    "$T/si.cfg" > "$T/si-cryo.cfg"
"$C" workflow "$T/si-cryo.cfg" | grep -q "^  note: the plan mills at cryo" \
  || fail "Si cryo: no note"
ok
echo "$pass passed"
