#!/bin/bash
# run_correct.sh -- time cryofib's artifact correction against the peers
# (tomopy's wavelet-FFT destriping written with PyWavelets, scipy.ndimage
# median_filter and gaussian_filter) in the SAME run on the real curtained
# nacre image, compare errors on a phantom with ground truth, and write
# bench/results/correct.md plus before/after PNGs.
#
#   bench/run_correct.sh [BUILD_DIR]      (default: build)
#
# Needs /usr/bin/python3 with numpy, scipy, pywt, tifffile, skimage, PIL.
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build}"
PY=/usr/bin/python3
IMG="${FIB_SHARED_DIR:-../shared}/data/nacre-fib-curtaining/nacreous_domain.tif"
[ -f "$IMG" ] || { echo "run_correct: $IMG absent, nothing to do"; exit 77; }
[ -x "$B/bench/bench_correct" ] || { echo "run_correct: build $B first"; exit 1; }
REPS="${REPS:-7}"
T=$(mktemp -d "${TMPDIR:-/tmp}/fib-bench-correct-XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p bench/results

echo "== cryofib, 1 thread"
OMP_NUM_THREADS=1 "$B/bench/bench_correct" "$IMG" "$REPS" "$T" | tee "$T/c1.txt"
echo "== cryofib, 2 threads"
OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive FIB_BENCH_WALL=1 \
  "$B/bench/bench_correct" "$IMG" "$REPS" | tee "$T/c2.txt"
echo "== peers (python, single thread)"
OMP_NUM_THREADS=1 "$PY" bench/peer_correct.py "$IMG" "$REPS" "$T" | tee "$T/py.txt"

echo "== phantom with ground truth"
"$PY" bench/report_correct.py phantom "$T"
C="$B/cryofib"
"$C" correct "$T/phantom.tif" "$T/ph_fw4.tif" --destripe-method wavelet --destripe-levels 4 --out-type f32 --quiet
"$C" correct "$T/phantom.tif" "$T/ph_fw6.tif" --destripe-method wavelet --destripe-levels 6 --out-type f32 --quiet
"$C" correct "$T/phantom.tif" "$T/ph_med.tif" --robust --out-type f32 --quiet
"$C" correct "$T/phantom.tif" "$T/ph_wedge.tif" --wedge --out-type f32 --quiet
"$C" correct "$T/phantom.tif" "$T/ph_vsnr.tif" --destripe --out-type f32 --quiet

"$PY" bench/report_correct.py report "$T" "$IMG" bench/results/correct.md bench/results
ls -l bench/results/nacre_*.png
