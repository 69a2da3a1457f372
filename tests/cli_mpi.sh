#!/bin/bash
# cli_mpi.sh -- `mpirun -np N cryofib recon|segment` (fib/job_mpi.h, issue
# 15): the recon volume written by 2 and 3 ranks is the same OME-Zarr
# tree, byte for byte, as one process writes, and so are drift.csv,
# drift.png and ortho.png; the report's numbers are equal (time and memory
# aside).  Labels segmented on 2 and 3 ranks (thresholds, opening and
# closing) are the bytes of one process.  A slice that cannot be read in
# another rank's part fails every rank with one line naming the file
# (exit 2) and leaves no output; a command or option that runs as one
# process is refused under mpirun.  Skipped when cryofib was built
# without MPI or mpirun is missing.  Runs as root with --allow-run-as-root
# (OpenMPI needs it there) and always with --oversubscribe (2-core CI).
. "$(dirname "$0")/support/cli_prelude.sh"
"$C" --version | grep -q '^mpi: yes' || {
  echo "skipped: cryofib built without MPI"
  exit 77
}
command -v mpirun >/dev/null || {
  echo "skipped: mpirun not installed (Debian openmpi-bin)"
  exit 77
}
RUN=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && RUN+=(--allow-run-as-root)
# OpenMPI's own allocations outlive MPI_Finalize: LeakSanitizer (the
# ASan build of the suite) would fail every rank on them
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

"$C" simulate --phantom particles --size 300x200x40 --seed 2 \
  --out "$T/sim" >/dev/null || fail "simulate"
IN="$T/sim/slices"

# report.json without the entries that measure this run
report() {
  "$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items()
                if k not in ("elapsed_s", "memory_peak_charged_bytes")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
print(json.dumps(strip(d), sort_keys=True))
PYEOF
}

same() { # same DIR_A DIR_B WHAT
  diff -r "$1/volume.zarr" "$2/volume.zarr" >/dev/null ||
    fail "$3: volume.zarr differs from one process's"
  for f in drift.csv drift.png ortho.png; do
    cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs from one process's"
  done
  if [ -n "$PY" ]; then
    [ "$(report "$1/report.json")" = "$(report "$2/report.json")" ] ||
      fail "$3: report.json numbers differ"
  fi
  ls -a "$2" | grep -q tmp && fail "$3: temporary left in the output folder"
  ok
}

# defaults (depths from the names: the z-resampled output), 2 ranks
"$C" recon --input "$IN" --out "$T/one" --format zarr --quiet >/dev/null ||
  fail "recon, one process"
"${RUN[@]}" -np 2 "$C" recon --input "$IN" --out "$T/two" --format zarr \
  --quiet >/dev/null || fail "recon, 2 ranks"
same "$T/one" "$T/two" "2 ranks"
# the pyramid has 2 levels here (282 px > 256): parts aligned to 2 slices
[ -f "$T/two/volume.zarr/1/.zarray" ] || fail "no pyramid level 1"

# one output slice per file, u8 voxels, a channel, 3 ranks
opts=(--z-positions nominal --keep-type --channel bse="$IN" --format zarr
      --quiet)
"$C" recon --input "$IN" --out "$T/one3" "${opts[@]}" >/dev/null ||
  fail "recon nominal, one process"
"${RUN[@]}" -np 3 "$C" recon --input "$IN" --out "$T/three" "${opts[@]}" \
  >/dev/null || fail "recon nominal, 3 ranks"
same "$T/one3" "$T/three" "3 ranks"
diff -r "$T/one3/volume_bse.zarr" "$T/three/volume_bse.zarr" >/dev/null ||
  fail "3 ranks: the channel's volume differs"

# segment on 2 and 3 ranks: thresholds from the combined histogram, each
# rank's z-chunks of labels.zarr, opening and closing over halos that
# reach into the neighbour's part: the bytes of one process (streamed and
# whole-volume)
"$C" segment "$T/one/volume.zarr" --out "$T/s1.zarr" --multi-otsu 3 \
  --open 10 --close 10 >/dev/null || fail "segment, one process"
"${RUN[@]}" -np 2 "$C" segment "$T/one/volume.zarr" --out "$T/s2.zarr" \
  --multi-otsu 3 --open 10 --close 10 --memory 16M >/dev/null ||
  fail "segment, 2 ranks"
diff -r "$T/s1.zarr" "$T/s2.zarr" >/dev/null ||
  fail "segment on 2 ranks: labels differ from one process's"
"$C" segment "$T/one/volume.zarr" --out "$T/s3a.zarr" --otsu --memory 2M \
  >/dev/null 2>&1 || fail "segment streamed, one process"
"${RUN[@]}" -np 3 "$C" segment "$T/one/volume.zarr" --out "$T/s3.zarr" \
  --otsu --memory 2M >/dev/null 2>&1 || fail "segment, 3 ranks"
diff -r "$T/s3a.zarr" "$T/s3.zarr" >/dev/null ||
  fail "segment on 3 ranks: labels differ from one process's"
ok
"${RUN[@]}" -np 2 "$C" segment "$T/one/volume.zarr" --out "$T/w.zarr" \
  --otsu --watershed >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "the watershed needs one process" "$T/err" ||
  fail "segment --watershed under 2 ranks: exit $rc: $(head -1 "$T/err")"
ok

# a truncated slice in the last rank's part: every rank fails, rank 0 says
# which file in one line, exit 2, nothing written
mkdir "$T/bad" && cp "$IN"/* "$T/bad/"
f=$(ls "$T/bad" | sed -n 35p)
head -c 3000 "$IN/$f" >"$T/bad/$f"
"${RUN[@]}" -np 2 "$C" recon --input "$T/bad" --out "$T/badout" \
  --format zarr --quiet >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] || fail "truncated slice under 2 ranks: exit $rc, expected 2"
head -1 "$T/err" | grep -q "rank 1: slice 34: .*$f" ||
  fail "truncated slice: first line names neither rank nor file: $(head -1 "$T/err")"
[ -e "$T/badout" ] && fail "truncated slice: an output folder was left"
ok

# MRC is one file: several ranks write zarr chunks only
"${RUN[@]}" -np 2 "$C" recon --input "$IN" --out "$T/mrc" --quiet \
  >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "pass --format zarr" "$T/err" ||
  fail "recon --format mrc under 2 ranks: exit $rc: $(head -1 "$T/err")"
ok
# a command that runs as one process is refused, not run twice
"${RUN[@]}" -np 2 "$C" phantom --kind particles --out "$T/ph" \
  --size 64x64x4 >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "runs as one process" "$T/err" ||
  fail "phantom under 2 ranks: exit $rc: $(head -1 "$T/err")"
[ -e "$T/ph" ] && fail "phantom under 2 ranks wrote its output"
ok
echo "cli_mpi: $pass checks passed"
