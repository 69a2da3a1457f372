#!/bin/bash
# same_outputs.sh -- bit-for-bit output manifest of the `cryofib` command.
#
#   tests/same_outputs.sh CLI OUTDIR        run the work, write OUTDIR/manifest.txt
#   tests/same_outputs.sh --compare A B     compare two manifests (exit 1 on any change)
#   tests/same_outputs.sh --base REF        build REF in a temporary worktree, run both
#                                           it and the current build, compare
#
# The work covers the demo, every example session (plans, exports, drawings),
# the physics tables, the digital twin, recon in three formats, correction,
# segmentation, every measurement and format conversion.  Each output file is
# hashed (sha256); JSON reports and stdout are hashed after removing lines
# that state wall-clock times, dates or absolute paths (listed in normalise()
# below) -- nothing else is excluded.  A refactor that claims "behaviour
# unchanged" must leave the manifest identical on the same machine.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)

normalise() {  # stdin -> stdout: drop volatile lines (time, dates, paths, thread counts)
  grep -v -E '"(wall_s|elapsed_s|seconds|time_s|cpu_s|date|created|timestamp|threads|host|cwd|command_line|argv)"|wall[ -]time|elapsed|[0-9.]+ s wall|took [0-9.]+ s|MiB peak|/tmp/' || true
}

run_all() {
  local cli=$1 out=$2 w
  w=$(mktemp -d)
  mkdir -p "$out"
  (
    cd "$w" || exit 1
    ex="$here/examples"
    run() { local name=$1; shift; "$@" >"log/$name.out" 2>"log/$name.err"; echo "$name rc=$?" >>log/rc.txt; }
    mkdir -p log
    run demo "$cli" demo --out demo
    for cfg in "$ex"/*.cfg; do
      b=$(basename "$cfg" .cfg)
      case $b in materials|recon-phantom|slice-view-coated-nmc) continue;; esac
      run "plan-$b" "$cli" plan "$cfg" --json "plan-$b.json" --csv "plan-$b.csv" --out "plan-$b"
      run "workflow-$b" "$cli" workflow "$cfg" --json "workflow-$b.json"
    done
    run export-ptf "$cli" plan "$ex/cryo-4site-session.cfg" --export ptf exp-ptf
    run export-al "$cli" plan "$ex/cryo-4site-session.cfg" --export autolamella exp-al
    run export-ptf1 "$cli" plan "$ex/li-dendrite-cryo-liftout.cfg" --export ptf exp-ptf1
    run slice-view "$cli" slice-view "$ex/slice-view-coated-nmc.cfg" --json sv.json --csv sv.csv --out sv
    run sputter "$cli" sputter --material Li --compare Ga,Xe --energy-kev 2,5,16,30 --json
    run sputter-nmc "$cli" sputter --material NMC811 --ion Xe --cryo
    run ions "$cli" ions
    run materials "$cli" materials
    run phantom "$cli" phantom --kind coating --seed 3 --size 96x80x24 --out ph
    run sim "$cli" simulate ph/labels.mrc --out sim --seed 2
    run recon "$cli" recon --input sim/slices --out rec
    run recon-tif "$cli" recon --input sim/slices --out rec-tif --format tif
    run recon-zarr "$cli" recon --input sim/slices --out rec-zarr --format zarr
    mkdir -p cfg && cp "$ex/recon-phantom.cfg" cfg/recon.cfg
    run phantom-p "$cli" phantom --kind particles --out phantom --size 128x128x20 --slice-nm 2.5
    run recon-cfg "$cli" recon cfg/recon.cfg
    run correct "$cli" correct rec/volume.mrc cor.mrc --destripe --normalize --denoise nlm
    run correct-w "$cli" correct rec/volume.mrc corw.tif --destripe-method wavelet --background poly
    run segment "$cli" segment cor.mrc --out seg.mrc --multi-otsu 3 --min-size 8 --fill-holes
    run measure "$cli" measure seg.mrc --json meas.json --csv meas.csv --battery --tortuosity all --mesh meas.ply --pictures meas-pic --skeleton --grey cor.mrc
    run measure-truth "$cli" measure sim/truth_labels.mrc --json meas-truth.json --tpb 1,2,3 --chords --two-point 16
    run convert-nrrd "$cli" convert seg.mrc seg.nrrd
    run convert-tif "$cli" convert cor.mrc cor.tif
    run convert-zarr "$cli" convert cor.mrc cor.zarr
    for f in "$here"/tests/data/*.tif "$here"/tests/data/*.png; do
      run "info-$(basename "$f")" "$cli" info "$f"
    done
    # Real instrument files and volumes where ../shared/data is beside the
    # clone (skipped, and absent from the manifest, where it is not).
    sd="$here/../shared/data"
    if [ -d "$sd" ]; then
      for f in "$sd"/*/*.tif; do
        b=$(basename "$(dirname "$f")")-$(basename "$f" .tif)
        run "real-info-$b" "$cli" info "$f"
        run "real-convert-$b" "$cli" convert "$f" "real-$b.mrc"
      done
      run real-recon "$cli" recon --input "$sd/janelia-fib25-medulla-cube/slices" --out real-rec --pixel-size-nm 8 --slice-nm 8
      run real-correct "$cli" correct "$sd/nacre-fib-curtaining/nacreous_domain.tif" real-nacre.tif --destripe
      run real-measure "$cli" measure "$sd/taufactor-electrode/electrode.tiff" --json real-tf.json --voxel-nm 20,20,20 --tpb 0,1,2 --no-thickness
    fi
  ) >/dev/null 2>&1
  # Hash every file; reports and logs after normalisation.
  (cd "$w" && find . -type f | LC_ALL=C sort | while read -r f; do
     case $f in
       *.json|*.out|*.err|*.txt|*.csv|*.cfg|*.yaml|*.md|*.ptf|*.zattrs|*.zarray|*.zgroup)
         h=$(sed "s#$w#WORK#g; s#$here#SRC#g" "$f" | normalise | sha256sum | cut -c1-16);;
       *) h=$(sha256sum "$f" | cut -c1-16);;
     esac
     echo "$h $f"
   done) >"$out/manifest.txt"
  if [ -n "${KEEP:-}" ]; then echo "work kept in $w"; else rm -rf "$w"; fi
}

case ${1:-} in
  --compare)
    if diff <(awk '{print $2, $1}' "$2") <(awk '{print $2, $1}' "$3") >/dev/null; then
      echo "same outputs: $(wc -l <"$2") files identical"; exit 0
    fi
    echo "outputs differ:"; diff <(awk '{print $2, $1}' "$2") <(awk '{print $2, $1}' "$3") | head -40
    exit 1;;
  --base)
    ref=$2; t=$(mktemp -d)
    git -C "$here" worktree add --detach "$t/src" "$ref" >/dev/null 2>&1 || { echo "cannot check out $ref"; exit 2; }
    cmake -S "$t/src" -B "$t/build" -DFIB_BUILD_TESTS=OFF -DFIB_BUILD_BENCH=OFF \
          -DFIB_BUILD_EXAMPLES=OFF >/dev/null && cmake --build "$t/build" -j2 >/dev/null \
      || { echo "cannot build $ref"; exit 2; }
    run_all "$t/build/cryofib" "$t/base"
    run_all "${FIB_CLI:-$here/build/cryofib}" "$t/new"
    "$0" --compare "$t/base/manifest.txt" "$t/new/manifest.txt"; rc=$?
    git -C "$here" worktree remove --force "$t/src"; rm -rf "$t"
    exit $rc;;
  ""|-h|--help) sed -n '2,16p' "$0"; exit 0;;
  *) run_all "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" "$2";;
esac
