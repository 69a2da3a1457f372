#!/bin/bash
# cli_export.sh -- `cryofib plan FILE --export ptf|autolamella DIR` on every
# example session: the .ptf index and the AutoLamella protocol YAML are
# parsed back (python3 + yaml) and every stage is checked against the
# plan's JSON (current, voltage, depth, sizes, spacing, time, VPD, dwell,
# overlap, application file); multi-site sessions (4-site cryo, workflow 3)
# per site against each site's plan, and their run order against the
# session timeline; bad
# output folders, existing files and unknown kinds exit 2 and leave
# nothing behind.
. "$(dirname "$0")/support/cli_prelude.sh"

have_yaml=0
if [ -n "$PY" ] && [ -x "$PY" ] && "$PY" -c 'import yaml' 2>/dev/null; then
  have_yaml=1
fi

cat > "$T/check.py" <<'PYEOF'
import glob, json, math, os, re, sys, yaml

def close(a, b, rel=1e-6, what=""):
    assert abs(a - b) <= rel * max(abs(a), abs(b), 1e-30), (what, a, b)

def check(ion, steps, ptf_dir, al_dir):
    # --- .ptf: every file against its step
    rows = [l.rstrip("\n").split("\t")
            for l in open(os.path.join(ptf_dir, "index-%s.txt" % ion))
            if not l.startswith("#")]
    tsum = {}
    for r in rows:
        f, step, pA, t, d = r[1], int(r[2]), float(r[7]), float(r[8]), float(r[9])
        s = steps[step - 1]
        assert s["mills"] and r[3] == s["name"], (r, s["name"])
        close(pA, s["current_pA"], what="current")
        assert r[6] == APP, (r[6], APP)
        x = open(os.path.join(ptf_dir, f)).read()
        assert x.startswith('<Content Version="FEI PatternFile 1.2">')
        v = dict(re.findall(r'<(\w+) xmlns:dt="urn:schemas-microsoft-com:'
                            r'datatypes" dt:dt="r8">([^<]*)</', x.split(
                                "</PatternList>")[1]))
        close(float(v["VolumePerDose"]), s["vpd_um3_per_nC"] * 1e-9, what="vpd")
        close(float(v["TotalVolumeSputterRate"]) / float(v["VolumePerDose"]),
              s["current_pA"] * 1e-12, what="I")
        close(float(v["TotalTime"]), t, what="time")
        close(float(v["Depth"]), d * 1e-6, what="depth")
        close(float(v["TotalDiameter"]), s["probe_d_nm"] * 1e-9, what="probe")
        close(float(v["DwellTime"]), 1e-6, what="dwell")
        ccs = "<PatternCleaningCrossSection>" in x
        close(float(v["OverlapX"]), 85.0 if ccs else 50.0, what="overlap x")
        close(float(v["OverlapY"]), 50.0, what="overlap y")
        app = re.search(r'<Application [^>]*>([^<]*)<', x.split(
            "</PatternList>")[1]).group(1)
        assert app == APP, (app, APP)
        # xT's own time for the file is the plan's (uniform patterns)
        if r[5] != "RegularCrossSection":
            close(float(v["Width"]) * float(v["Length"]) * float(v["Depth"])
                  / float(v["TotalVolumeSputterRate"]), t, rel=1e-6,
                  what="xT time")
        tsum[step] = tsum.get(step, 0) + t
    for i, s in enumerate(steps):
        if s["mills"] and s["kind"] not in ("protect", "attach",
                                            "grid-attach"):
            assert (i + 1) in tsum, ("step not exported", s["name"])
            close(tsum[i + 1], s["commanded_time_s"], what="step time")
    # --- AutoLamella YAML
    y = yaml.safe_load(open(os.path.join(al_dir, "autolamella-%s.yaml" % ion)))
    assert y["version"] == "1.0" and y["workflow"]["tasks"]
    names = [t["name"] for t in y["workflow"]["tasks"]]
    assert set(names) == set(y["tasks"]), names
    by_step = {c["step"]: c for c in y["cryofib"]["steps"]}
    n_stages = 0
    for tname, task in y["tasks"].items():
        assert task["task_type"] in ("MILL_TRENCH", "MILL_UNDERCUT",
                                     "SETUP_LAMELLA", "MILL_ROUGH",
                                     "MILL_POLISHING")
        (grp,) = task["milling"].values()
        for st in grp["stages"]:
            n_stages += 1
            k = int(st["name"].split()[0])
            s = steps[k - 1]
            assert by_step[k]["task"] == tname
            m, pat = st["milling"], st["pattern"]
            close(m["milling_current"], s["current_pA"] * 1e-12, what="I")
            close(m["milling_voltage"], s["energy_kev"] * 1e3, what="kV")
            assert isinstance(m["milling_current"], float)
            assert m["application_file"] == y["cryofib"]["application_file"]
            assert m["application_file"] == APP, (m["application_file"], APP)
            c = by_step[k]
            close(c["commanded_time_s"], s["commanded_time_s"], what="t")
            close(c["vpd_um3_per_nC"], s["vpd_um3_per_nC"], what="vpd")
            close(c["commanded_depth_um"], s["commanded_depth_um"], what="d")
            b = s["boxes"]
            if pat["name"] == "Trench":
                up = [q for q in b if q[1] >= 0][0]
                lo = [q for q in b if q[3] <= 0][0]
                close(pat["width"], (up[2] - up[0]) * 1e-6, what="width")
                close(pat["spacing"], (up[1] - lo[3]) * 1e-6, what="spacing")
                close(pat["upper_trench_height"], (up[3] - up[1]) * 1e-6)
                close(pat["lower_trench_height"], (lo[3] - lo[1]) * 1e-6)
                if pat["cross_section"] == "RegularCrossSection":
                    close(pat["depth"], s["commanded_depth_um"] * 1e-6,
                          what="stair depth")
                else:  # the dose-equivalent depth of the boxes
                    area = sum((q[2] - q[0]) * (q[3] - q[1]) for q in b)
                    close(pat["depth"] * 1e6 * area,
                          s["commanded_time_s"] * s["vpd_um3_per_nC"]
                          * s["current_pA"] * 1e-3, what="depth x area")
                xs = {"CleaningCrossSection", "RegularCrossSection",
                      "Rectangle"}
                assert pat["cross_section"] in xs
                if s.get("thickness_after_nm"):
                    close(pat["spacing"], s["thickness_after_nm"] * 1e-9,
                          rel=1e-6, what="final spacing")
            elif pat["name"] == "Fiducial":
                close(pat["height"], 10e-6)
                close(pat["width"], 1e-6)
                close(pat["depth"] * 1e6 * s["area_um2"],
                      s["commanded_time_s"] * s["vpd_um3_per_nC"]
                      * s["current_pA"] * 1e-3, what="fiducial depth")
            elif pat["name"] == "MicroExpansion":
                close(pat["width"], (b[0][2] - b[0][0]) * 1e-6)
                close(pat["height"], (b[0][3] - b[0][1]) * 1e-6)
            else:
                assert pat["name"] == "Rectangle", pat["name"]
                assert any(abs(pat["width"] - (q[2] - q[0]) * 1e-6) < 1e-12
                           for q in b)
    assert n_stages >= 3, n_stages

APP = sys.argv[2]
plan = json.load(open(sys.argv[3]))
ptf_dir, al_dir = sys.argv[4], sys.argv[5]
if sys.argv[1] == "plan":
    for p in plan["plans"]:
        check(p["ion"], p["steps"], ptf_dir, al_dir)
    sys.exit(0)

# a session: every site's folder against that site's plan, then the run
# order files against the session's timeline
def safe(n):
    return re.sub(r"[^A-Za-z0-9._-]", "_", n)

for ses in plan["sessions"]:
    ion = ses["ion"]
    folders = ["site-%02d-%s" % (k + 1, safe(si["name"]))
               for k, si in enumerate(ses["sites"])]
    assert sorted(os.listdir(ptf_dir)) == sorted(
        folders + ["session-%s.txt" % ion]), os.listdir(ptf_dir)
    assert sorted(os.listdir(al_dir)) == sorted(
        folders + ["session-%s.yaml" % ion]), os.listdir(al_dir)
    for si, fo in zip(ses["sites"], folders):
        assert si["n_steps"] == len(si["steps"])
        check(ion, si["steps"], os.path.join(ptf_dir, fo),
              os.path.join(al_dir, fo))
    site_of = {si["name"]: (k, si) for k, si in enumerate(ses["sites"])}
    # .ptf run order
    rows = [l.rstrip("\n").split("\t")
            for l in open(os.path.join(ptf_dir, "session-%s.txt" % ion))
            if not l.startswith("#")]
    assert len(rows) == len(ses["steps"]), (len(rows), len(ses["steps"]))
    for i, (r, q) in enumerate(zip(rows, ses["steps"])):
        assert int(r[0]) == i + 1 and r[1] == q["site"], (r, q)
        k, si = site_of[q["site"]]
        assert r[2] == folders[k]
        close(float(r[3]), si["x_um"], rel=1e-9)
        close(float(r[4]), si["y_um"], rel=1e-9)
        assert r[5] == q["batch"], (r[5], q["batch"])
        s = si["steps"][int(r[6]) - 1]
        assert r[7] == s["name"] == q["name"]
        if s["mills"]:
            close(float(r[8]), s["current_pA"], what="session current")
            close(float(r[9]), s["commanded_time_s"], what="session time")
            close(float(r[9]), q["commanded_time_s"], what="session time")
        close(float(r[10]), q["start_s"], rel=1e-9, what="start")
        close(float(r[11]), q["end_s"], rel=1e-9, what="end")
        if r[12] != "-":
            tsum = 0
            for fn in r[12].split(","):
                x = open(os.path.join(ptf_dir, fn)).read()
                tsum += float(re.search(r'<TotalTime [^>]*>([^<]*)<',
                                        x).group(1))
            close(tsum, s["commanded_time_s"], what="files of the step")
        else:
            assert not s["mills"] or s["kind"] in ("protect", "attach",
                                                   "grid-attach"), s
    # AutoLamella: sites, stage positions, protocols, run order
    y = yaml.safe_load(open(os.path.join(al_dir, "session-%s.yaml" % ion)))
    assert y["ion"] == ion and y["workflow"] == ses["workflow"]
    close(y["total_time_s"], ses["total_time_s"], what="session total")
    assert [s["name"] for s in y["sites"]] == [s["name"] for s in ses["sites"]]
    for ys, si, fo in zip(y["sites"], ses["sites"], folders):
        assert ys["folder"] == fo and ys["method"] == si["method"]
        assert os.path.isfile(os.path.join(al_dir, ys["protocol"]))
        prot = yaml.safe_load(open(os.path.join(al_dir, ys["protocol"])))
        assert (", site %s (" % si["name"]) in prot["name"], prot["name"]
        close(ys["stage_position"]["x"], si["x_um"] * 1e-6, rel=1e-9)
        close(ys["stage_position"]["y"], si["y_um"] * 1e-6, rel=1e-9)
        close(ys["milling_time_s"], si["milling_time_s"], what="site milling")
    assert len(y["run_order"]) == len(ses["steps"])
    for i, (r, q) in enumerate(zip(y["run_order"], ses["steps"])):
        assert r["order"] == i + 1 and r["site"] == q["site"]
        assert r["batch"] == q["batch"] and r["name"] == q["name"]
        close(r["start_s"], q["start_s"], rel=1e-9, what="start")
        close(r["commanded_time_s"], q["commanded_time_s"] if q["mills"]
              else 0.0, what="time")
PYEOF

# application file of an example (the session file's `application`, else
# the planner's default Si)
app_of() {
  local a
  a=$(sed -n 's/^[[:space:]]*application[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -1)
  echo "${a:-Si}"
}

for f in li-dendrite-cryo-liftout nmc811-rt-pfib sulfur-carbon-cryo-ongrid \
         li-lipon-cryo-liftout session-reference; do
  "$C" plan "$SRC/examples/$f.cfg" --quiet --json "$T/$f.json" \
       --export ptf "$T/$f-ptf" || fail "$f: --export ptf exit $?"
  "$C" plan "$SRC/examples/$f.cfg" --quiet \
       --export autolamella "$T/$f-al" || fail "$f: --export autolamella exit $?"
  ls "$T/$f-ptf"/index-*.txt > /dev/null || fail "$f: no index"
  n_ptf=$(ls "$T/$f-ptf"/*.ptf | wc -l)
  n_idx=$(cat "$T/$f-ptf"/index-*.txt | grep -vc '^#')
  [ "$n_ptf" -eq "$n_idx" ] && [ "$n_ptf" -ge 6 ] \
    || fail "$f: $n_ptf .ptf files, $n_idx index rows"
  ls "$T/$f-ptf" | grep -q 'tmp-' && fail "$f: temporary left"
  ok
  [ "$have_yaml" = 1 ] || continue
  "$PY" "$T/check.py" plan "$(app_of "$SRC/examples/$f.cfg")" "$T/$f.json" \
    "$T/$f-ptf" "$T/$f-al" || fail "$f: parse back"
  ok
done

# sessions with several sites (sites = (...)): one folder per site with the
# single-site files, the run order of the batched session beside them
for f in cryo-4site-session workflow3-session; do
  "$C" plan "$SRC/examples/$f.cfg" --quiet --json "$T/$f.json" \
       --export ptf "$T/$f-ptf" || fail "$f: session --export ptf exit $?"
  "$C" plan "$SRC/examples/$f.cfg" --quiet \
       --export autolamella "$T/$f-al" || fail "$f: session --export al exit $?"
  n_sites=$(ls -d "$T/$f-ptf"/site-* | wc -l)
  [ "$n_sites" -ge 2 ] || fail "$f: $n_sites site folders"
  for d in "$T/$f-ptf"/site-*; do
    n_ptf=$(ls "$d"/*.ptf | wc -l)
    n_idx=$(cat "$d"/index-*.txt | grep -vc '^#')
    [ "$n_ptf" -eq "$n_idx" ] && [ "$n_ptf" -ge 6 ] \
      || fail "$d: $n_ptf .ptf files, $n_idx index rows"
  done
  ls "$T" | grep -q 'tmp-' && fail "$f: temporary folder left"
  ok
  [ "$have_yaml" = 1 ] || continue
  "$PY" "$T/check.py" session "$(app_of "$SRC/examples/$f.cfg")" \
    "$T/$f.json" "$T/$f-ptf" "$T/$f-al" || fail "$f: session parse back"
  ok
done
[ "$(ls -d "$T"/cryo-4site-session-ptf/site-* | wc -l)" -eq 4 ] \
  || fail "4-site session: not 4 site folders"
ok

# session export: all or none.  A non-empty folder is refused (exit 2,
# nothing written); an empty one is filled; a failing run leaves nothing
f="$SRC/examples/cryo-4site-session.cfg"
mkdir "$T/sfull"; touch "$T/sfull/keep"
"$C" plan "$f" --quiet --json "$T/s.json" --export ptf "$T/sfull" \
  2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "not empty" "$T/err.txt" \
  && [ "$(ls "$T/sfull")" = "keep" ] && [ ! -e "$T/s.json" ] \
  || fail "session export into a non-empty folder"
ls "$T" | grep -q 'sfull.tmp-' && fail "session: temporary folder left"
ok
mkdir "$T/sempty"
"$C" plan "$f" --quiet --export autolamella "$T/sempty/" \
  && [ -f "$T/sempty/session-Ga.yaml" ] || fail "session into an empty folder"
ok
"$C" plan "$f" --quiet --export ptf "$T/no/such/dir" 2> "$T/err.txt"
[ $? -eq 2 ] && [ ! -e "$T/no" ] && grep -q "no/such/dir" "$T/err.txt" \
  || fail "session: missing parent: exit 2"
ok

# a protocol that AutoLamella reads keeps its trench numbers: on-grid Ga
# rough mill 1 is a Si application Trench pattern at the plan's current
# (checked above); here: bad output, kinds and collisions
f="$SRC/examples/sulfur-carbon-cryo-ongrid.cfg"
mkdir "$T/full"
"$C" plan "$f" --quiet --export ptf "$T/full" || fail "export into empty dir"
before=$(ls "$T/full" | wc -l)
"$C" plan "$f" --quiet --export ptf "$T/full" 2> "$T/err.txt"
[ $? -eq 2 ] || fail "existing files: expected exit 2"
grep -q "exists" "$T/err.txt" || fail "existing files: message"
[ "$(ls "$T/full" | wc -l)" -eq "$before" ] || fail "existing: files changed"
ok
"$C" plan "$f" --quiet --export pdf "$T/k" 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "kind 'pdf'" "$T/err.txt" && [ ! -e "$T/k" ] \
  || fail "unknown kind"
ok
"$C" plan "$f" --quiet --export ptf "$T/no/such/dir" 2> "$T/err.txt"
[ $? -eq 2 ] && [ ! -e "$T/no" ] || fail "missing parent: exit 2"
ok
touch "$T/afile"
"$C" plan "$f" --quiet --export autolamella "$T/afile" 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "not a folder" "$T/err.txt" || fail "file as dir"
ok
"$C" plan "$f" --quiet --export ptf 2> "$T/err.txt"
[ $? -eq 2 ] || fail "missing DIR: exit 2"
ok
# a failing export removes the other outputs of the same run
"$C" plan "$f" --quiet --json "$T/x.json" --export ptf "$T/full" 2>/dev/null
[ $? -eq 2 ] && [ ! -e "$T/x.json" ] || fail "json left behind"
ok
echo "cli_export: $pass checks passed (yaml parse-back: $have_yaml)"
