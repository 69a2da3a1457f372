#!/bin/bash
# run_fidelity.sh -- absolute accuracy of cryofib recon on rendered
# slice-and-view acquisitions (the digital twin, `cryofib simulate`),
# against the scikit-image peer and the oracle, in the same run.
#
#   bench/run_fidelity.sh [BUILD_DIR]
#
# Cases: 4 microstructures (../shared/data NREL NMC electrode and TauFactor
# electrode when present, the dendrites and coating phantoms) x seeds x
# {Thermo 52 deg, Zeiss 54 deg} x {tilted, orthogonal}.  Per case: render,
# cryofib recon (defaults), peer (skimage phase_cross_correlation pairwise,
# cumulative, scipy shift, multi-Otsu), oracle (true shifts); scores in
# bench/fidelity_run.py.  Then a destriping section (cryofib correct
# --destripe (VSNR) and --destripe-method wavelet vs the wavelet-FFT
# reference against the curtain-free render).
#
# Environment: FID_SLICES (default 64; 96 with FID_FULL=1), FID_SEEDS
# (default 1,2,3), FID_PHANTOM_SIZE (default 224x224), FIB_SHARED_DIR (the
# folder holding data/; default ../shared beside the checkout),
# FID_OUT (default bench/results/fidelity.md), FID_ONLY=destripe (only the
# destriping section, into bench/results/fidelity_destripe.md by default).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
B="${1:-$HERE/../build}"
CLI="$B/cryofib"
[ -x "$CLI" ] || { echo "build first: $CLI missing"; exit 1; }
"$CLI" simulate --help >/dev/null 2>&1 ||
    { echo "$CLI has no simulate command"; exit 1; }
PY=/usr/bin/python3
"$PY" -c "import skimage, scipy, tifffile, mrcfile, pywt" ||
    { echo "needs numpy, scipy, scikit-image, tifffile, mrcfile, pywt"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/fibbench-fid-XXXXXX")
trap 'rm -rf "$W"' EXIT
if [ "${FID_ONLY:-}" = destripe ]; then
    OUT="${FID_OUT:-$HERE/results/fidelity_destripe.md}"
else
    OUT="${FID_OUT:-$HERE/results/fidelity.md}"
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
"$PY" "$HERE/fidelity_run.py" "$CLI" "$W" "$OUT"
