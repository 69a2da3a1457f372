#!/bin/bash
# run_measure.sh -- cryofib measurement kernels against scipy.ndimage and
# scikit-image in the same run (label counts, EDT, marching-cubes area,
# timings and ratios), and the tortuosity solve on the TauFactor 500^3
# benchmark volume (time and peak memory in x, y, z).
#
# usage: [SKIP_TORT=1 | ONLY_TORT=1] bench/run_measure.sh [BUILD_DIR] [--no-500]
# SKIP_TORT=1 runs the 500^3 kernels but not the (slow) tortuosity solves:
# the tortuosity section of the previous results file is kept, marked as such.
# LABEL_ONLY=1 runs only the labelling 1-vs-2-threads section and puts it
# into the existing results file in place of the previous one.
# ONLY_TORT=1 runs only the tortuosity solves and replaces that section of
# the results file, keeping the rest.
# BATTERY_TIME=1 [BASELINE_CLI=/path/to/older/cryofib] times only the whole
# `measure --battery` report on the 256^3 electrode (and the baseline
# binary's, named BASELINE_NAME in the table, with the reports compared)
# and replaces that section.
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

# Labelling on 1 and on 2 threads (issue 18): wall times, best of 9 runs
# taken alternately so that both see the same machine load.
label_threads_md() {
    echo
    echo "## Labelling on 1 and 2 threads (\`bench_measure labelthreads\`)"
    echo
    echo "Wall time, best of 9 runs each taken alternately (1, 2, 1, 2, ...), OMP_WAIT_POLICY=$OMP_WAIT_POLICY;"
    echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other sessions share the machine)."
    echo
    echo "CPU: process CPU time of those runs, all threads (the work the second thread adds, whatever the load)."
    echo
    echo "| volume | phase | connectivity | components | 1 thread | 2 threads | 1T / 2T | CPU 1T / 2T | labels identical |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for spec in "$data/taufactor-electrode/electrode.tiff|0 85 170" \
                "$data/nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif|0 1 2"; do
        f=${spec%%|*}
        for p in ${spec#*|}; do
            "$bm" labelthreads "$f" "$p" 9 | awk -v v="$(basename "$f")" -v p="$p" \
                '{printf "| %s | %s | %s | %s | %.1f ms | %.1f ms | %.2fx | %.1f / %.1f ms | %s |\n", v, p, $2, $3, 1e3 * $4, 1e3 * $5, $4 / $5, 1e3 * $7, 1e3 * $8, $6 ? "yes" : "NO"}'
        done
    done
}
if [ "${LABEL_ONLY:-0}" = 1 ]; then
    label_threads_md > "$tmp/lt.md"
    if [ -f "$out" ]; then # replace the section, keep the rest
        awk -v f="$tmp/lt.md" '/^## Labelling on 1 and 2 threads/ {skip = 1; next}
            skip && /^## / {skip = 0} !skip' "$out" | cat -s > "$tmp/rest.md"
        cat "$tmp/rest.md" "$tmp/lt.md" > "$out"
    else
        cp "$tmp/lt.md" "$out"
    fi
    cat "$tmp/lt.md"
    exit 0
fi

# the tortuosity section (x, y, z of the 500^3 benchmark) appended to $1
run_tort() {
    # one process per axis (as `measure --tortuosity x` would be run):
    # solve time, whole-process wall time (TIFF read and mask included)
    # and peak RSS per axis, bytes per voxel = peak RSS / 500^3
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    : > "$tmp/tort.txt"
    for a in x y z; do
        t0=$(date +%s.%N)
        line=$(/usr/bin/time -f "%U %S" -o "$tmp/cpu.txt" "$bm" tortuosity "$v500" 255 $a 1e-6)
        t1=$(date +%s.%N)
        echo "$line $(echo "$t1 - $t0" | bc) $(awk '{print $1 + $2}' "$tmp/cpu.txt")" >> "$tmp/tort.txt"
    done
    load1=$(cut -d' ' -f1-3 /proc/loadavg)
    {
    echo
    echo "## Tortuosity factor, TauFactor 500^3 benchmark (phase 255, porosity 0.30)"
    echo
    echo "CG on the percolating voxels (compact grid, float vectors, double iterate)"
    echo "preconditioned by an aggregation-multigrid W-cycle in float; converged when"
    echo "the true ||b - A c|| / ||b|| < 1e-6.  One process per axis; peak RSS of the"
    echo "whole process (TIFF read and mask included); bytes/voxel = peak RSS / 500^3."
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ), OMP_NUM_THREADS=$OMP_NUM_THREADS; load average (1, 5, 15 min)"
    echo "before: $load0; after: $load1 (machine shared with other sessions, $(nproc) cores)."
    echo
    echo "Process CPU = user + system seconds of the whole process (all threads; less"
    echo "sensitive to the load than the wall times)."
    echo
    echo "| axis | tau | iterations | solve | process wall | process CPU | peak RSS | bytes/voxel | unknowns | converged | rel. residual | flux in/out mismatch |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    awk '{printf "| %s | %s | %s | %s s | %.1f s | %.1f s | %s MiB | %.1f | %s | %s | %s | %s |\n", $2, $3, $4, $5, $12, $13, $6, $6 * 1048576 / $11, $10, $7, $8, $9}' "$tmp/tort.txt"
    awk '{s += $5; w += $12; c += $13; if ($6 > m) m = $6; v = $11} END {printf "| all three | | | %.1f s | %.1f s | %.1f s | %.1f MiB (max) | %.1f (max) | | | | |\n", s, w, c, m, m * 1048576 / v}' "$tmp/tort.txt"
    } >> "$1"
}

# The whole `measure --battery` report on the 256^3 electrode (issue 17:
# under 60 s on this 2-core machine): wall, process CPU and peak RSS, and
# the same for BASELINE_CLI (an older cryofib, optional) in the same run,
# runs taken alternately; the reports must be identical.
battery_time_md() {
    f=$data/taufactor-electrode/electrode.tiff
    echo
    echo "## Whole \`measure --battery\` report, electrode 256^3 (three labels)"
    echo
    echo "\`cryofib measure electrode.tiff --phase 0 --phase 85 --phase 170 --battery --voxel-nm 20,20,20 --json R.json -q\`"
    echo "(local thickness included); run $(date -u +%Y-%m-%dT%H:%MZ), OMP_NUM_THREADS=$OMP_NUM_THREADS,"
    echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine)."
    echo
    echo "| binary | wall | process CPU | peak RSS | report |"
    echo "|---|---|---|---|---|"
    for who in new ${BASELINE_CLI:+old}; do
        bin=$cli
        [ "$who" = old ] && bin=$BASELINE_CLI
        /usr/bin/time -f "%e %U %S %M" -o "$tmp/t_$who" "$bin" measure "$f" \
            --phase 0 --phase 85 --phase 170 --battery --voxel-nm 20,20,20 \
            --json "$tmp/b_$who.json" -q >/dev/null
        grep -v '"input"' "$tmp/b_$who.json" > "$tmp/b_$who.cmp"
    done
    for who in new ${BASELINE_CLI:+old}; do
        same=reference
        [ "$who" = old ] && { cmp -s "$tmp/b_new.cmp" "$tmp/b_old.cmp" && same="identical" || same="DIFFERS"; }
        awk -v w="$([ "$who" = old ] && echo "${BASELINE_NAME:-$BASELINE_CLI}" || echo "this build")" -v s="$same" \
            '{printf "| %s | %.1f s | %.1f s | %.0f MiB | %s |\n", w, $1, $2 + $3, $4 / 1024, s}' "$tmp/t_$who"
    done
}
if [ "${BATTERY_TIME:-0}" = 1 ]; then
    cli=$build/cryofib
    battery_time_md > "$tmp/bt.md"
    if [ -f "$out" ]; then # replace the section, keep the rest
        awk '/^## Whole `measure --battery` report/ {skip = 1; next}
            skip && /^## / {skip = 0} !skip' "$out" | cat -s > "$tmp/rest.md"
        cat "$tmp/rest.md" "$tmp/bt.md" > "$out"
    else
        cp "$tmp/bt.md" "$out"
    fi
    cat "$tmp/bt.md"
    exit 0
fi

if [ "${ONLY_TORT:-0}" = 1 ]; then
    # regenerate only the tortuosity section (the last one) of $out
    unzip -q -o "$data/taufactor-500-benchmark/TF-500x500x500-1x2x6-v3.tiff.zip" -d "$tmp"
    v500=$tmp/TF-500x500x500-1x2x6-v3.tiff
    : > "$tmp/md"
    [ -f "$out" ] && awk '/^## Tortuosity factor/ {skip = 1; next}
        skip && /^## / {skip = 0} !skip' "$out" > "$tmp/md"
    run_tort "$tmp/md"
    cat -s "$tmp/md" > "$out"
    awk '/^## Tortuosity factor/ {p = 1} p && /^## / && !/^## Tortuosity/ {p = 0} p' "$out"
    exit 0
fi

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
label_threads_md >> "$tmp/md"

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
    run_tort "$tmp/md"
fi
[ -f "$tmp/battery.md" ] && cat "$tmp/battery.md" >> "$tmp/md"
mkdir -p "$here/results"
cp "$tmp/md" "$out"
cat "$out"
