#!/bin/bash
# run_classifier.sh -- the trainable pixel classifier (`cryofib segment
# --train/--model`) against multi-Otsu and the oracle threshold on rendered
# acquisitions with known truth; speed and thread independence of features
# + prediction.  Writes bench/results/classifier.md.
#
#   bench/run_classifier.sh [BUILD_DIR]
#
# Environment: CLS_SLICES (default 64), CLS_SEEDS (test seeds, default
# 2,3), FIB_SHARED_DIR (the folder holding data/; the NREL electrode case
# runs when present), CLS_OUT (default bench/results/classifier.md).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
B="${1:-$HERE/../build}"
CLI="$B/cryofib"
[ -x "$CLI" ] || { echo "build first: $CLI missing"; exit 1; }
PY=/usr/bin/python3
"$PY" -c "import numpy, scipy, skimage, mrcfile" ||
    { echo "needs numpy, scipy, scikit-image, mrcfile"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/fibbench-cls-XXXXXX")
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
"$PY" "$HERE/classifier_run.py" "$CLI" "$W" "${CLS_OUT:-$HERE/results/classifier.md}"
