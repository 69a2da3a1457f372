#!/bin/bash
# run_all.sh -- every speed and memory benchmark in one run, and
# bench/results/summary.md (issue 18, item 5).
#
#   bench/run_all.sh [BUILD_DIR]
#
# Runs, one after the other on the same machine: run_recon_files.sh (PNG
# and uncompressed TIFF series against scikit-image and the single-thread
# floor), run_recon.sh (raw-input alignment speed and accuracy, streamed
# 2048 x 2048 x 500 memory), run_shared.sh (two competing CPU-bound
# processes), run_measure.sh (labelling 1 and 2 threads, EDT, marching
# cubes, skeleton, battery metrics, tortuosity 500^3 time and memory) and
# run_correct.sh (destriping, median, non-local means).  Each writes its own
# report in bench/results/; summarize.py then copies the key rows of each,
# with the machine load at the start, into bench/results/summary.md.
# About 16 minutes on a quiet 2-core machine.  RUN_ALL_ONLY="recon_files shared" runs a
# subset.  Scripts that need ../shared/data report themselves skipped
# without it.  Accuracy benchmarks (run_fidelity.sh, run_physics.sh) are
# not part of it: they measure correctness, not speed.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
B="${1:-$HERE/../build}"
ONLY="${RUN_ALL_ONLY:-recon_files recon shared measure correct}"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
ran=()
for s in $ONLY; do
  sh="run_$s.sh"
  echo "==== $sh"
  bash "$HERE/$sh" "$B" || echo "==== $sh: exit status $?"
  ran+=("$sh")
done
t1=$(date +%s)
/usr/bin/python3 "$HERE/summarize.py" "$HERE/results" "$load0" \
  "$((t1 - t0))" "${ran[@]}"
cat "$HERE/results/summary.md"
