#!/bin/bash
# run_scale.sh -- block-wise measurement in bounded memory (issue 15):
# `cryofib measure` on a real electrode microstructure (the TauFactor
# 3-phase electrode, tiled 4x along z: 256 x 256 x 1024 = 64 Mi voxels,
# u8) loaded whole, and block-wise under --memory 512M, 256M and 128M, in the
# same run: wall time, peak resident memory (ru_maxrss) above the command's
# own baseline, slabs, time per section, and the largest difference of any
# report value and objects-CSV cell against the whole-volume run.
#
# usage: bench/run_scale.sh [BUILD_DIR]
# Writes bench/results/scale.md.  Needs /usr/bin/python3 with numpy and
# tifffile, and ../shared/data (taufactor-electrode).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
cli=$build/cryofib
py=/usr/bin/python3
data=${FIB_SHARED_DIR:-$here/../../shared}/data
src=$data/taufactor-electrode/electrode.tiff
out=$here/results/scale.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$cli" ] || { echo "build cryofib first ($cli)"; exit 1; }
[ -f "$src" ] || { echo "needs $src"; exit 1; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}

"$py" - "$src" "$tmp/e.nrrd" <<'PYEOF'
import sys
import numpy as np, tifffile
v = tifffile.imread(sys.argv[1])
v = np.concatenate([v, v[::-1], v, v[::-1]], axis=0)  # mirrored: continuous
nz, ny, nx = v.shape
with open(sys.argv[2], 'wb') as f:
    f.write(('NRRD0004\ntype: uint8\ndimension: 3\nsizes: %d %d %d\n'
             'spacings: 20 20 20\nencoding: raw\n\n' % (nx, ny, nz)).encode())
    f.write(np.ascontiguousarray(v, dtype=np.uint8).tobytes())
PYEOF

# run NAME ARGS...: wall seconds and peak KiB of one command
run() {
    "$py" - "$@" <<'PYEOF'
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'w'),
                   stderr=subprocess.STDOUT)
dt = time.perf_counter() - t
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print('%.2f %d %d' % (dt, kb, r.returncode))
PYEOF
}
# largest relative difference of the report values and CSV cells (axis
# directions up to sign), and whether counts and labels are equal
cmp_reports() {
    "$py" - "$@" <<'PYEOF'
import csv, json, sys
w, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
b.pop('blockwise'); w.pop('input'); b.pop('input')
worst, exact = 0.0, True
def cmp(a, c):
    global worst, exact
    if isinstance(a, dict):
        exact = exact and list(a) == list(c)
        for k in a:
            cmp(a[k], c.get(k))
    elif isinstance(a, list):
        exact = exact and len(a) == len(c)
        for x, y in zip(a, c):
            cmp(x, y)
    elif isinstance(a, float):
        worst = max(worst, abs(a - c) / max(abs(a), 1e-12))
    else:
        exact = exact and a == c
cmp(w, b)
rw, rb = list(csv.reader(open(sys.argv[3]))), list(csv.reader(open(sys.argv[4])))
exact = exact and len(rw) == len(rb)
for x, y in zip(rw[1:], rb[1:]):
    for k, a, c in zip(rw[0], x, y):
        if a == c:
            continue
        fa, fc = float(a), float(c)
        if k.startswith('axis1_'):
            worst = max(worst, abs(abs(fa) - abs(fc)))
        else:
            worst = max(worst, abs(fa - fc) / max(abs(fc), 1e-12))
print('%.1e %s %d' % (worst, 'yes' if exact else 'NO', len(rw) - 1))
PYEOF
}

base=$(run "$tmp/log" "$cli" info "$tmp/e.nrrd" | cut -d' ' -f2)
read -r tw kw rcw < <(run "$tmp/w.log" "$cli" measure "$tmp/e.nrrd" \
    --json "$tmp/w.json" --csv "$tmp/w.csv")
[ "$rcw" = 0 ] || { cat "$tmp/w.log"; exit 1; }
{
    echo "# Block-wise measurement in bounded memory (\`bench/run_scale.sh\`)"
    echo
    echo "Recon on several MPI processes, its scaling and the cost model for"
    echo "100-1000 ranks: [scale_mpi.md](scale_mpi.md) (\`bench/run_mpi.sh\`)."
    echo
    echo "\`cryofib measure\` with its defaults (fractions, surfaces per phase with interfaces,"
    echo "6-connected objects with the objects CSV, local thickness) on the TauFactor 3-phase"
    echo "electrode tiled 4x along z with mirrored copies: 256 x 256 x 1024 u8 NRRD (64 MiB),"
    echo "$OMP_NUM_THREADS threads, $(nproc) cores, load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Peak: ru_maxrss of the command minus that of \`cryofib info\` on the same file"
    echo "(the process baseline, $((base / 1024)) MiB).  Difference: the largest relative difference of any"
    echo "report value or CSV cell against the whole-volume run (principal-axis directions"
    echo "up to sign, absolute); counts and labels: every integer, key and row equal."
    echo
    echo "| run | slabs x sections | wall | per section | peak above baseline | largest difference | counts and labels equal | objects |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| whole volume | 1 x 1024 | $tw s | $(awk -v t="$tw" 'BEGIN{printf "%.1f ms", 1e3 * t / 1024}') | $(( (kw - base) / 1024 )) MiB | - | - | $(($(wc -l <"$tmp/w.csv") - 1)) |"
    for mem in 512M 256M 128M; do
        read -r tb kb rcb < <(run "$tmp/b.log" "$cli" measure "$tmp/e.nrrd" \
            --json "$tmp/b.json" --csv "$tmp/b.csv" --memory "$mem")
        [ "$rcb" = 0 ] || { cat "$tmp/b.log" >&2; exit 1; }
        slabs=$(grep -o 'block-wise in [0-9]* slabs of [0-9]* sections' "$tmp/b.log" |
            awk '{print $3 " x " $6}')
        slabs="$slabs; thickness $("$py" -c "import json,sys; b=json.load(open(sys.argv[1]))['blockwise']; print('%d slabs, halo %d' % (b['thickness_slabs'], b['thickness_halo_sections']))" "$tmp/b.json")"
        read -r worst exact nobj < <(cmp_reports "$tmp/w.json" "$tmp/b.json" \
            "$tmp/w.csv" "$tmp/b.csv")
        echo "| --memory $mem | $slabs | $tb s | $(awk -v t="$tb" 'BEGIN{printf "%.1f ms", 1e3 * t / 1024}') | $(( (kb - base) / 1024 )) MiB | $worst | $exact | $nobj |"
    done
    echo
    echo "The whole-volume path holds the labels, a mask, the u32 components, a float"
    echo "field and the distance and thickness maps of the whole volume, plus every"
    echo "object's bounding-box crop; the block-wise path holds one slab (its sections, a"
    echo "3-section halo on each side for the interface labels of the surface triangles),"
    echo "the object tables and the kept cubes, then for the local thickness one slab with"
    echo "the halo that the largest inscribed balls need (grown until no ball from beyond"
    echo "it can reach the slab: \"thickness halo\" sections on each side), and reads the"
    echo "file three times (label values; surfaces and objects; thickness)."
    echo
    echo "Not measured here: MPI ranks (not built yet) and tortuosity by domain"
    echo "decomposition (refused in block mode; see issue 15)."
} > "$out"
cat "$out"
