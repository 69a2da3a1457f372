#!/bin/bash
# cli_segment_stream.sh -- `cryofib segment` on a volume 4x larger than its
# --memory (issue 15, item 2): the threshold methods stream in slabs and
# give the same label file, byte for byte, as the whole-volume run (MRC,
# TIFF and NRRD in and out; OME-Zarr in and out: the same data, the chunks
# cut to the budget); the peak resident memory
# of the streamed run stays within the budget above the process's own
# baseline (the resident size of a command that loads nothing); opening
# and closing stream with a halo and give the same bytes; what needs the
# whole volume (holes, size filter, watershed) is refused with one line
# naming what it would need.
. "$(dirname "$0")/support/cli_prelude.sh"
[ -n "$PY" ] && "$PY" -c "import numpy, mrcfile" 2>/dev/null || {
  echo "skipped: needs python3 with numpy and mrcfile"
  exit 77
}
# 256 x 256 x 256 float32 = 64 MiB: 4x a 16 MiB budget
"$PY" - "$T" <<'PYEOF' || fail "writing the volume"
import sys
import numpy as np, mrcfile
t = sys.argv[1]
rng = np.random.default_rng(3)
z, y, x = np.mgrid[0:256, 0:256, 0:256].astype(np.float32)
v = (100 + 60 * np.sin(x / 9) * np.cos(y / 7) + 40 * np.sin(z / 5)
     + rng.normal(0, 10, x.shape)).astype(np.float32)
with mrcfile.new(t + '/g.mrc') as m:
    m.set_data(v)
    m.voxel_size = (10, 10, 10)
PYEOF
"$C" convert "$T/g.mrc" "$T/g.nrrd" >/dev/null || fail "-> nrrd"
"$C" convert "$T/g.mrc" "$T/g.zarr" --compress blosc >/dev/null || fail "-> zarr"
# rss CMD...: peak resident KiB of CMD (a child of python: ru_maxrss)
rss() {
  "$PY" - "$@" <<'PYEOF'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)
PYEOF
}
# under AddressSanitizer the shadow memory and the quarantine dominate the
# resident size: the outputs are still compared, the budget is not
asan=0
ldd "$C" 2>/dev/null | grep -q libasan && asan=1
base=$(rss "$C" info "$T/g.mrc")
[ "$base" -gt 0 ] || fail "baseline"
for m in "--multi-otsu 3" "--otsu" "--threshold 90,130"; do
  for io in mrc:mrc nrrd:tif zarr:zarr; do
    in=${io%%:*}; out=${io##*:}
    rm -rf "$T/w.$out" "$T/s.$out"
    "$C" segment "$T/g.$in" --out "$T/w.$out" $m --quiet >/dev/null 2>&1 ||
      fail "whole $m $in"
    kb=$(rss "$C" segment "$T/g.$in" --out "$T/s.$out" $m --memory 16M --quiet)
    [ "$kb" -gt 0 ] || fail "streamed $m $in"
    if [ "$out" = zarr ]; then
      # the same data (the streamed chunks may be shallower)
      "$C" convert "$T/w.zarr" "$T/w.mrc" >/dev/null &&
        "$C" convert "$T/s.zarr" "$T/s.mrc" >/dev/null || fail "zarr -> mrc"
      cmp -s "$T/w.mrc" "$T/s.mrc" || fail "$m $in: zarr data differ"
    else
      cmp -s "$T/w.$out" "$T/s.$out" || fail "$m $in -> $out: output differs"
    fi
    # 16 MiB budget above the baseline (the whole volume alone is 64 MiB)
    [ $asan = 1 ] || [ $((kb - base)) -le 16384 ] ||
      fail "$m $in: peak $kb KiB, baseline $base KiB: over the 16 MiB budget"
    ok
  done
done
# opening and closing stream with a halo: the same bytes, within budget
# (voxels of 1 nm: the MRC header's 10 A)
for m in "--multi-otsu 3 --open 1 --close 1" "--otsu --close 1.5"; do
  # shellcheck disable=SC2086
  "$C" segment "$T/g.mrc" --out "$T/w.mrc" $m --quiet >/dev/null 2>&1 ||
    fail "whole $m"
  mem=16M # 4x; the first case's halo of 5 sections needs more
  [ "$m" = "--otsu --close 1.5" ] || mem=24M
  # shellcheck disable=SC2086
  kb=$(rss "$C" segment "$T/g.mrc" --out "$T/s.mrc" $m --memory $mem --quiet)
  [ "$kb" -gt 0 ] || fail "streamed $m"
  cmp -s "$T/w.mrc" "$T/s.mrc" || fail "$m: streamed output differs"
  [ $asan = 1 ] || [ $((kb - base)) -le $((${mem%M} * 1024)) ] ||
    fail "$m: peak $kb KiB, baseline $base KiB: over the $mem budget"
  ok
done
"$C" segment "$T/g.mrc" --out "$T/x.mrc" --otsu --fill-holes --memory 16M \
  2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "clean-up over budget: exit $rc"
grep -q "needs about .* MiB whole for --fill-holes/--min-size (--memory 16 MiB)" \
  "$T/e" || fail "message: $(cat "$T/e")"
[ "$(wc -l <"$T/e")" -eq 1 ] || fail "one line: $(cat "$T/e")"
[ ! -e "$T/x.mrc" ] || fail "output written after an error"
ok
echo "cli_segment_stream: $pass passed"
