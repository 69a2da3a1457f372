#!/bin/bash
# run_recon_files.sh -- `cryofib recon` on the inputs users have: a series
# of PNG files and a series of uncompressed TIFF files (issue 18, item 1),
# beside the scikit-image peer and the single-thread floor, in the same run.
#
#   bench/run_recon_files.sh [BUILD_DIR] [SIZE] [NZ]
#
# 1. renders a SIZE x SIZE x NZ (default 1024 x 1024 x 200) 16-bit particles
#    phantom with a known random-walk drift (`cryofib phantom`, PNG), and
#    writes the same slices as uncompressed TIFF files (tifffile);
# 2. for each series, REPS (default 3) runs of:
#      floor    bench_floor: decode once + one r2c FFT + bilinear shift +
#               write, one thread (the least any aligner must do)
#      cryofib  `cryofib recon` with its defaults (files in, volume.mrc,
#               drift plot, ortho views and report out), 1 thread and the
#               default (every core)
#      before   the same command of the build $BASELINE (optional)
#    and SK_REPS (default 2) runs of bench/peer_recon_files.py (skimage
#    phase_cross_correlation on consecutive pairs + scipy.ndimage.shift,
#    reading the same files, float32 volume out);
# 3. reports the minimum wall time of each, peak resident memory, the
#    ratios peer / cryofib and cryofib / floor, and the position error of
#    cryofib and the peer against the true drift (RMS over slices of
#    applied shift + true drift, constant removed).
# Results go to stdout and bench/results/recon_files.md.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
B="${1:-$HERE/../build}"
N="${2:-1024}"
NZ="${3:-200}"
REPS="${REPS:-3}"
SK_REPS="${SK_REPS:-2}"
PY=/usr/bin/python3
C="$B/cryofib"
FL="$B/bench/bench_floor"
for x in "$C" "$FL"; do [ -x "$x" ] || { echo "build first: $x missing"; exit 1; }; done
BASE="${BASELINE:-}"
W=$(mktemp -d "${TMPDIR:-/tmp}/fibbench-files-XXXXXX")
trap 'rm -rf "$W"' EXIT

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load average at start: $load0 ($(nproc) cores)"
echo "== rendering ${N}x${N}x${NZ} particles phantom (16-bit PNG)"
"$C" phantom --kind particles --size "${N}x${N}x${NZ}" --bits 16 --seed 5 \
  --out "$W/gen" >/dev/null
mkdir -p "$W/png" "$W/tiff"
mv "$W"/gen/slice_*.png "$W/png/"
"$PY" - "$W/png" "$W/tiff" <<'EOF'
import os, sys
import tifffile
from skimage import io as skio
src, dst = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(src)):
    tifffile.imwrite(os.path.join(dst, f[:-4] + ".tif"),
                     skio.imread(os.path.join(src, f)), compression=None)
EOF
echo "== series: $(du -sh "$W/png" | cut -f1) PNG, $(du -sh "$W/tiff" | cut -f1) TIFF"

# timed CMD...: "wall_s peak_rss_MiB" of one run (stdout of CMD to $W/last)
timed() {
  local t
  t=$( { /usr/bin/time -f "%e %M" "$@" >"$W/last" 2>"$W/err"; } 2>&1; tail -1 "$W/err")
  echo "${t%% *} $(( ${t##* } / 1024 ))"
}
# best TAG REPS CMD...: minimum wall and maximum RSS over REPS runs
best() {
  local tag=$1 reps=$2 bw="" br=0 r out w m
  shift 2
  for r in $(seq "$reps"); do
    out=$(timed "$@")
    w=${out% *}; m=${out#* }
    bw=$(awk -v a="$w" -v b="$bw" 'BEGIN{print (b == "" || a < b) ? a : b}')
    [ "$m" -gt "$br" ] && br=$m
    [ "$r" = 1 ] && cp "$W/last" "$W/$tag.stdout"
  done
  echo "$bw $br"
}
# pos_err TRUE.csv APPLIED.csv: "x / y" RMS px
pos_err() {
  "$PY" - "$1" "$2" <<'EOF'
import sys
import numpy as np
t = np.genfromtxt(sys.argv[1], delimiter=",", names=True)
a = np.genfromtxt(sys.argv[2], delimiter=",", names=True)
e = [a[k] + t[k] for k in ("dx", "dy")]
print(" / ".join(f"{np.sqrt(np.mean((v - v.mean()) ** 2)):.2f}" for v in e))
EOF
}

rows=""
for fmt in png tiff; do
  S="$W/$fmt"
  echo "== $fmt: floor"
  fl=$(best floor "$REPS" "$FL" "$S" "$W/floor.raw"); rm -f "$W/floor.raw"
  echo "   $fl"
  run_c() { # TAG THREADS BIN
    local tag=$1 th=$2 bin=$3 bw="" br=0 r out w m
    for r in $(seq "$REPS"); do
      rm -rf "$W/out"
      out=$(timed env ${th:+OMP_NUM_THREADS=$th} "$bin" recon --input "$S" \
              --out "$W/out" --pixel-size-nm 10 --slice-nm 10 --quiet)
      w=${out% *}; m=${out#* }
      bw=$(awk -v a="$w" -v b="$bw" 'BEGIN{print (b == "" || a < b) ? a : b}')
      [ "$m" -gt "$br" ] && br=$m
      [ "$r" = 1 ] && cp "$W/out/drift.csv" "$W/$tag.csv" &&
        sha256sum "$W/out/volume.mrc" | cut -c1-16 >"$W/$tag.sha"
    done
    echo "$bw $br"
  }
  echo "== $fmt: cryofib, 1 thread"; c1=$(run_c c1 1 "$C"); echo "   $c1"
  echo "== $fmt: cryofib, default threads"; cd_=$(run_c cd "" "$C"); echo "   $cd_"
  bf=""
  if [ -n "$BASE" ]; then
    echo "== $fmt: before ($BASE), default threads"; bf=$(run_c bf "" "$BASE"); echo "   $bf"
  fi
  echo "== $fmt: scikit-image"
  sk=$(best sk "$SK_REPS" "$PY" "$HERE/peer_recon_files.py" "$S" "$W/sk.raw" "$W/sk.csv")
  rm -f "$W/sk.raw"; echo "   $sk"
  same=no; [ "$(cat "$W/c1.sha")" = "$(cat "$W/cd.sha")" ] && same=yes
  ec=$(pos_err "$W/gen/true_drift.csv" "$W/c1.csv")
  es=$(pos_err "$W/gen/true_drift.csv" "$W/sk.csv")
  r() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
  flw=${fl% *}; c1w=${c1% *}; cdw=${cd_% *}; skw=${sk% *}
  rows+="| $fmt | floor (1 thread) | ${flw} | ${fl#* } | | | |
| $fmt | cryofib, 1 thread | ${c1w} | ${c1#* } | $(r "$skw" "$c1w")x | $(r "$c1w" "$flw")x | $ec |
| $fmt | cryofib, default ($(nproc) threads) | ${cdw} | ${cd_#* } | **$(r "$skw" "$cdw")x** | **$(r "$cdw" "$flw")x** | same volume as 1 thread: $same |
"
  if [ -n "$bf" ]; then
    rows+="| $fmt | before (\$BASELINE), default | ${bf% *} | ${bf#* } | $(r "$skw" "${bf% *}")x | $(r "${bf% *}" "$flw")x | |
"
  fi
  rows+="| $fmt | scikit-image peer | ${skw} | ${sk#* } | 1x | $(r "$skw" "$flw")x | $es |
"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

out="$HERE/results/recon_files.md"
{
  echo "# cryofib recon on PNG and TIFF series"
  echo
  echo "\`bench/run_recon_files.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average at the start $load0, at the end $load1)."
  echo "Input: a ${N} x ${N} x ${NZ} 16-bit particles phantom with a random-walk drift (\`cryofib phantom --kind particles --bits 16 --seed 5\`), as the PNG files the command writes ($(du -sh "$W/png" | cut -f1)) and the same slices as uncompressed TIFF files ($(du -sh "$W/tiff" | cut -f1))."
  echo "Every tool reads the files and writes a float32 volume: the floor (\`bench_floor\`: decode once + one r2c FFT + bilinear shift + write, one thread), \`cryofib recon\` with its defaults (K = 3 neighbour pairs and the global solve, volume.mrc, ortho.png, drift.png, drift.csv, report.json), and the scikit-image peer (\`bench/peer_recon_files.py\`: consecutive-pair \`phase_cross_correlation\`, upsample 20, then \`scipy.ndimage.shift\` order 1; two passes over the files like cryofib)."
  echo "Wall time = the minimum of $REPS runs ($SK_REPS for the peer); peak RSS = the maximum (/usr/bin/time).  Position error = RMS over slices of (applied shift + true drift) after removing the mean, x / y px (the phantom's particles appear and grow from slice to slice, which any correlation aligner sees as motion: recon/README.md)."
  echo
  echo "| series | tool | wall s | peak RSS MiB | peer / tool | tool / floor | position error px |"
  echo "|---|---|---|---|---|---|---|"
  printf "%s" "$rows"
  echo
  echo "How: with more than one thread \`cryofib recon\` decodes the next slices on threads of its own (fib/series_reader.h: a read-ahead of 2 x threads + 1 slices, charged to the memory budget) while the engine transforms and measures the current one, and for a compressed series (PNG, compressed TIFF) it copies every decoded slice into an unlinked spill file of raw pixels, so that pass 2 reads them back instead of decoding every file again.  One thread decodes on the calling thread (the spill still saves pass 2's decoding)."
} >"$out"
cat "$out"
