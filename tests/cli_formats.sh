#!/bin/bash
# cli_formats.sh -- `cryofib info` on every vendor file in ../shared/data
# (skipped when absent) with the pixel sizes the files hold, `--json` and
# `--all`, `cryofib convert` keeping voxel sizes, and exit status 2 with a
# one-line message for bad input.
set -u
C="$FIB_CLI"
D="${FIB_SHARED_DIR:-../shared}/data"
PY="${FIB_PYTHON:-/usr/bin/python3}"
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# file | expected "pixel size" line fragment | data bar rows
while IFS='|' read -r rel px bar; do
  f="$D/$rel"
  [ -f "$f" ] || continue
  out=$("$C" info "$f") || { bad "info $rel exit $?"; continue; }
  echo "$out" | grep -q "^pixel size *$px nm" && ok || bad "$rel pixel size: $(echo "$out" | grep 'pixel size')"
  echo "$out" | grep -q "^data bar rows *$bar " && ok || bad "$rel data bar: $(echo "$out" | grep 'data bar')"
done <<'LIST'
thermo-helios-pfib-ibeam/gamma_example.tif|97.6562 x 97.6562|0
thermo-helios-pfib-ibeam/test_image_2.tif|97.6562 x 97.6562|0
fei-helios660-ebeam-metadata/FEI-Helios-Ebeam-8bits.tif|3372.4 x 3372.4|29
fei-helios660-ebeam-metadata/FEI-Helios-Ebeam-16bits.tif|3372.4 x 3372.4|29
fei-teneo-sem-databar/fei-sem-rbc.tif|7.70833 x 7.70833|70
zeiss-sem-metadata/test_tiff_Zeiss_SEM_1k.tif|2615 x 2615|77
zeiss-sem-metadata/test_tiff_Zeiss_SEM_512pix.tif|5.825 x 5.825|34
LIST

# multi-page volumes: dimensions and compression
while IFS='|' read -r rel dims comp; do
  f="$D/$rel"
  [ -f "$f" ] || continue
  out=$("$C" info "$f") || { bad "info $rel"; continue; }
  echo "$out" | grep -q "^dimensions *$dims\$" && ok || bad "$rel dims: $(echo "$out" | grep dimensions)"
  echo "$out" | grep -q "^compression *$comp\$" && ok || bad "$rel compression"
done <<'LIST'
nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif|301 x 301 x 251|packbits
taufactor-electrode/electrode.tiff|256 x 256 x 256|deflate
LIST

G="$D/thermo-helios-pfib-ibeam/gamma_example.tif"
if [ -f "$G" ]; then
  "$C" info "$G" | grep -q '^beam *ion' && ok || bad "gamma beam"
  "$C" info --check "$G" | grep -q '^check *1 slice decoded' && ok ||
    bad "info --check on a vendor TIFF"
  "$C" info --all "$G" | grep -q '^  Scan/PixelWidth = 9.76562e-008' && ok || bad "--all pairs"
  if "$C" info --json "$G" > "$T/g.json"; then
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if abs(d["pixel_size_x_nm"]-97.6562)<1e-6 and d["beam"]=="ion" and d["width"]==1536 and d["databar_rows"]==0 else 1)' "$T/g.json" && ok || bad "--json keys"
  else
    bad "info --json exit"
  fi
  R="$D/fei-teneo-sem-databar/fei-sem-rbc.tif"
  "$C" convert "$R" "$T/rbc.mrc" > /dev/null && ok || bad "convert to mrc"
  "$C" info "$T/rbc.mrc" | grep -q '^dimensions *1536 x 1024 x 1' && ok || bad "cropped mrc size"
  "$C" info "$T/rbc.mrc" | grep -q '^pixel size *7.70833 x 7.70833 nm' && ok || bad "mrc pixel size"
  if "$PY" -c 'import mrcfile' 2>/dev/null; then
    "$PY" -c 'import mrcfile,sys; sys.exit(0 if mrcfile.validate(sys.argv[1], open("/dev/null","w")) else 1)' "$T/rbc.mrc" && ok || bad "mrcfile.validate"
  fi
  "$C" convert --keep-databar "$R" "$T/rbc.nrrd" --gzip > /dev/null && ok || bad "convert nrrd"
  "$C" info "$T/rbc.nrrd" | grep -q '^compression *gzip' && ok || bad "nrrd gzip"
  "$C" info "$T/rbc.nrrd" | grep -q '^dimensions *1536 x 1094 x 1' && ok || bad "keep-databar"
  "$C" convert "$T/rbc.nrrd" "$T/rbc.png" > /dev/null && ok || bad "convert png"
  "$C" convert --max-bytes 1M "$R" "$T/o_small.mrc" 2>/dev/null; [ $? -eq 2 ] && ok || bad "--max-bytes limit"
  "$C" info "$T/rbc.png" | grep -q '^pixel size *7.70833 x 7.70833 nm' && ok || bad "png pixel size"
fi

# bad input: exit 2, one line naming the file, no output left behind
printf 'not an image at all' > "$T/junk.tif"
# a PNG cut inside its header (info) and one cut inside its pixels (convert)
printf '\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0' > "$T/hdr.png"
if [ -f "$T/rbc.png" ]; then head -c 1500 "$T/rbc.png" > "$T/cut.png"; else cp "$T/hdr.png" "$T/cut.png"; fi
for args in "info $T/missing.tif" "info $T/junk.tif" "info $T/hdr.png" \
            "convert $T/missing.tif $T/o1.mrc" "convert $T/junk.tif $T/o2.tif" \
            "convert $T/cut.png $T/o3.nrrd" "convert $T/junk.tif $T/o4.xyz" \
            "info" "info --bogus $T/junk.tif"; do
  # shellcheck disable=SC2086
  msg=$("$C" $args 2>&1 >/dev/null); rc=$?
  [ "$rc" -eq 2 ] && ok || bad "'$args' exit $rc (want 2)"
  [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && ok || bad "'$args' message not one line: $msg"
done
"$C" convert "$T/cut.png" "$T/o5.mrc" 2>&1 | grep -q 'cut.png' && ok || bad "message names the file"
ls "$T" | grep -q '^o' && bad "partial output left: $(ls "$T")" || ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
