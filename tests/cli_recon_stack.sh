#!/bin/bash
# cli_recon_stack.sh -- `cryofib recon --input STACK` on one stack file
# (issue 16, item 4): a multi-page TIFF, an MRC and an OME-Zarr volume
# holding the same slices as a PNG series must give the same volume, byte
# for byte, with one thread and with two (read-ahead of pages, the zarr
# read chunk by chunk); a single image is refused with one line.
. "$(dirname "$0")/support/cli_prelude.sh"
[ -n "$PY" ] && "$PY" -c "import tifffile, mrcfile, numpy, skimage" 2>/dev/null || {
  echo "skipped: needs python3 with tifffile, mrcfile, numpy, skimage"
  exit 77
}
"$C" phantom --kind particles --size 96x80x10 --seed 2 --out "$T/ph" \
  >/dev/null || fail "phantom"
"$PY" - "$T" <<'PYEOF' || fail "writing the stacks"
import glob, sys
import numpy as np, tifffile, mrcfile
from skimage import io
t = sys.argv[1]
st = np.stack([io.imread(f) for f in sorted(glob.glob(t + '/ph/slice_*.png'))])
tifffile.imwrite(t + '/stack.tif', st)
with mrcfile.new(t + '/stack.mrc') as m:
    m.set_data(st.astype(np.uint16))
PYEOF
"$C" convert "$T/stack.mrc" "$T/stack.zarr" --compress blosc >/dev/null ||
  fail "mrc -> zarr"
run() { # SRC OUT THREADS
  OMP_NUM_THREADS=$3 "$C" recon --input "$1" --out "$2" --pixel-size-nm 10 \
    --slice-nm 10 --keep-type --quiet >/dev/null 2>"$T/e" ||
    fail "recon $1: $(cat "$T/e")"
}
run "$T/ph" "$T/r0" 1
for f in stack.tif stack.mrc stack.zarr; do
  for th in 1 2; do
    run "$T/$f" "$T/r-$f-$th" $th
    cmp -s "$T/r0/volume.mrc" "$T/r-$f-$th/volume.mrc" ||
      fail "$f ($th threads): volume differs from the PNG series'"
    ok
  done
done
grep -q '"slice": 9' "$T/r-stack.tif-2/report.json" || fail "10 slices in the report"
# one image is not a series
"$C" recon --input "$T/ph/slice_0000.png" --out "$T/rx" --quiet 2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "one image: exit $rc"
grep -q "slice_0000.png: one image, not a series" "$T/e" || fail "message: $(cat "$T/e")"
[ "$(wc -l <"$T/e")" -eq 1 ] || fail "one line: $(cat "$T/e")"
[ ! -e "$T/rx" ] || fail "output written after an error"
ok
echo "cli_recon_stack: $pass passed"
