#!/bin/bash
# run_measure.sh -- cryofib measurement kernels against scipy.ndimage and
# scikit-image in the same run (label counts, EDT, marching-cubes area,
# timings and ratios), and the tortuosity solve on the TauFactor 500^3
# benchmark volume (time and peak memory in x, y, z).
#
# usage: [SKIP_TORT=1] bench/run_measure.sh [BUILD_DIR] [--no-500]
# SKIP_TORT=1 runs the 500^3 kernels but not the (slow) tortuosity solves:
# the tortuosity section of the previous results file is kept, marked as such.
# Writes bench/results/measure.md.  Needs /usr/bin/python3 with numpy,
# scipy, scikit-image and tifffile, and ../shared/data.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bm=$build/bench/bench_measure
py=/usr/bin/python3
data=${FIB_SHARED_DIR:-$here/../../shared}/data
out=$here/results/measure.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$bm" ] || { echo "build bench_measure first ($bm)"; exit 1; }
threads=${OMP_NUM_THREADS:-$(nproc)}
export OMP_NUM_THREADS=$threads
# as the cryofib command sets it (cli/main.c): no spinning at barriers
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

{
echo "# Measurement kernels vs scipy / scikit-image"
echo
echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
echo "OMP_NUM_THREADS=$threads, OMP_WAIT_POLICY=$OMP_WAIT_POLICY; peers: scipy $($py -c 'import scipy; print(scipy.__version__)'),"
echo "scikit-image $($py -c 'import skimage; print(skimage.__version__)') (single-threaded)."
echo "Wall times of one run each (labelling: best of 3 runs, both sides), same machine, same run."
echo
echo "| volume | shape (z,y,x) | kernel | result (cryofib vs peer) | cryofib | peer | peer/cryofib |"
echo "|---|---|---|---|---|---|---|"
} > "$tmp/md"

run_kernels() { # FILE PHASE
    "$bm" kernels "$1" "$2" "$tmp/edt.f32" > "$tmp/lines.txt"
    $py "$here/measure_peer.py" "$1" "$2" "$tmp/edt.f32" "$tmp/lines.txt" >> "$tmp/md"
}
run_skeleton() { # FILE PHASE: 3-D thinning, voxel-by-voxel vs scikit-image
    line=$("$bm" skeleton "$1" "$2" "$tmp/skel.u8")
    $py "$here/skeleton_peer.py" "$1" "$2" "$tmp/skel.u8" "$line" >> "$tmp/md"
}
run_kernels "$data/taufactor-electrode/electrode.tiff" 0
run_kernels "$data/taufactor-electrode/electrode.tiff" 85
run_kernels "$data/nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif" 1
run_skeleton "$data/taufactor-electrode/electrode.tiff" 0
run_skeleton "$data/taufactor-electrode/electrode.tiff" 85
run_skeleton "$data/nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif" 0

# battery metrics (issue 17): `cryofib measure --battery` against the
# independent numpy versions in bench/battery_peer.py, same volumes
cli=$build/cryofib
if [ -x "$cli" ]; then
    {
    echo
    echo "## Battery metrics vs independent numpy (bench/battery_peer.py)"
    echo
    echo "| volume | metric | cryofib vs numpy |"
    echo "|---|---|---|"
    } >> "$tmp/battery.md"
    for spec in "$data/taufactor-electrode/electrode.tiff|0 85 170" \
                "$data/nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif|0 1 2"; do
        f=${spec%%|*}
        ph=""
        for p in ${spec#*|}; do ph="$ph --phase $p"; done
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$cli" measure "$f" $ph --battery --battery-axis z --voxel-nm 20,20,20 \
            --no-thickness -q --json "$tmp/bat.json" >/dev/null
        t1=$(date +%s.%N)
        $py "$here/battery_peer.py" "$f" "$tmp/bat.json" \
            "$(echo "$t1 - $t0" | bc)" 20 z >> "$tmp/battery.md"
    done
fi

# ---- sizes (issue 17 item 4; h/metrics17): porosimetry, watershed
# particle sizes and contact areas of `cryofib measure` against the
# scipy/scikit-image versions in bench/psd_peer.py (the peer's intrusion
# only for the pore label 0: ~150 s per label) ----
if [ -x "$cli" ]; then
    f=$data/taufactor-electrode/electrode.tiff
    t0=$(date +%s.%N)
    "$cli" measure "$f" --phase 0 --phase 85 --phase 170 --voxel-nm 20,20,20 \
        --porosimetry --particle-sizes --contact --no-thickness -q \
        --json "$tmp/psd.json" >/dev/null
    t1=$(date +%s.%N)
    {
    echo
    echo "## Pore/particle sizes and contact areas vs scipy/scikit-image (bench/psd_peer.py)"
    echo
    echo "cryofib measure --porosimetry --particle-sizes --contact, three labels, whole run: $(echo "$t1 - $t0" | bc) s"
    echo
    echo "| volume | metric | cryofib vs peer |"
    echo "|---|---|---|"
    $py "$here/psd_peer.py" "$f" "$tmp/psd.json" 20 z 0
    } >> "$tmp/battery.md"
fi
# ---- end of the sizes block ----

if [ "${2:-}" != "--no-500" ]; then
    unzip -q -o "$data/taufactor-500-benchmark/TF-500x500x500-1x2x6-v3.tiff.zip" -d "$tmp"
    v500=$tmp/TF-500x500x500-1x2x6-v3.tiff
    run_kernels "$v500" 255
fi
if [ "${2:-}" != "--no-500" ] && [ "${SKIP_TORT:-0}" = 1 ]; then
    if [ -f "$out" ] && grep -q '^## Tortuosity factor' "$out"; then
        {
        echo
        sed -n '/^## Tortuosity factor/,$p' "$out" | grep -v '^(Kept from the previous run' | sed '1a\
\
(Kept from the previous run: this run was made with SKIP_TORT=1.)' | cat -s
        } >> "$tmp/md"
    fi
elif [ "${2:-}" != "--no-500" ]; then
    {
    echo
    echo "## Tortuosity factor, TauFactor 500^3 benchmark (phase 255, porosity 0.30)"
    echo
    echo "CG preconditioned by an aggregation-multigrid W-cycle; converged when"
    echo "||b - A c|| / ||b|| < 1e-6.  Peak RSS of the whole process (volume read included)."
    echo
    echo "| axis | tau | iterations | time | peak RSS | converged | rel. residual | flux in/out mismatch |"
    echo "|---|---|---|---|---|---|---|---|"
    } >> "$tmp/md"
    for a in x y z; do
        "$bm" tortuosity "$v500" 255 $a 1e-6 | awk '{printf "| %s | %s | %s | %s s | %s MiB | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9}' >> "$tmp/md"
    done
fi
[ -f "$tmp/battery.md" ] && cat "$tmp/battery.md" >> "$tmp/md"
mkdir -p "$here/results"
cp "$tmp/md" "$out"
cat "$out"
