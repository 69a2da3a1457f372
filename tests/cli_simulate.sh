#!/bin/bash
# cli_simulate.sh -- `cryofib simulate` end to end: files written (Atlas
# names with the measured depth, drift_true.csv, truth_labels.mrc,
# recon.cfg), vendor metadata read back by `cryofib info` and by tifffile,
# seed reproducibility, the run file driving `cryofib recon` onto the truth
# grid, the truth grid itself (a noise-free render moved by drift_true.csv
# matches truth_labels.mrc best at zero offset), and bad input exiting 2
# with one line on stderr and nothing left
# behind.  The python checks need numpy, tifffile and mrcfile (skipped when
# missing; the shell checks always run).
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-sim-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
havepy=0
"$PY" -c 'import numpy, tifffile, mrcfile' 2>/dev/null && havepy=1

"$C" simulate --help | grep -q '^usage: cryofib simulate' && ok || bad "simulate --help"

# ---- a phantom through the twin, Thermo 52 deg ----------------------------
"$C" simulate --phantom particles --size 96x96x24 --out a --seed 7 --quiet \
    >a.log 2>&1 && ok || bad "simulate phantom: $(cat a.log)"
n=$(ls a/slices/slice_*_z=*um.tif 2>/dev/null | wc -l)
[ "$n" -ge 20 ] && ok || bad "wrote $n Atlas-named slices"
[ -f "a/slices/slice_00000_z=0.0000um.tif" ] && ok || bad "first slice name"
for f in drift_true.csv truth_labels.mrc recon.cfg; do
    [ -s "a/$f" ] && ok || bad "missing $f"
done
[ "$(head -1 a/drift_true.csv | cut -d, -f1-3)" = "slice,dx,dy" ] && ok ||
    bad "drift_true.csv header: $(head -1 a/drift_true.csv)"
[ "$(($(wc -l <a/drift_true.csv) - 1))" -eq "$n" ] && ok || bad "drift_true rows"
first=$(ls a/slices | head -1)
"$C" info "a/slices/$first" >info.txt 2>&1 && ok || bad "info on a slice"
grep -Eq 'pixel size +10 x 10 nm \(from Scan/PixelWidth\)' info.txt && ok ||
    bad "info pixel size: $(grep pixel info.txt)"
grep -Eq 'stage tilt +52 deg' info.txt && ok || bad "info tilt: $(grep tilt info.txt)"
grep -Eq 'vendor +thermo-fei' info.txt && ok || bad "info vendor"

# same seed -> same bytes; another seed -> other bytes
"$C" simulate --phantom particles --size 96x96x24 --out b --seed 7 --quiet \
    >/dev/null && ok || bad "second run"
if (cd a/slices && md5sum ./*) | cmp -s - <(cd b/slices && md5sum ./*) &&
    cmp -s a/drift_true.csv b/drift_true.csv; then ok; else bad "seed 7 not reproducible"; fi
"$C" simulate --phantom particles --size 96x96x24 --out c --seed 8 --quiet \
    >/dev/null && ok || bad "third run"
cmp -s a/drift_true.csv c/drift_true.csv && bad "seeds 7 and 8 gave the same drift" || ok

# the run file: recon writes onto the truth grid
# full frame: the truth grid is the uncropped frame
printf 'crop_valid = false;\n' >>a/recon.cfg
"$C" recon a/recon.cfg --quiet >r.log 2>&1 && ok || bad "recon a/recon.cfg: $(cat r.log)"
[ -s a-recon/volume.mrc ] && ok || bad "recon volume missing"

# ---- Zeiss, no tracking, 16 bit ------------------------------------------
"$C" simulate --phantom coating --size 96x96x24 --out z --vendor zeiss \
    --no-tracking --bits 16 --quiet >/dev/null && ok || bad "zeiss run"
zf=$(ls z/slices | head -1)
"$C" info "z/slices/$zf" >zinfo.txt 2>&1
grep -Eq 'stage tilt +54 deg' zinfo.txt && ok || bad "zeiss tilt: $(grep tilt zinfo.txt)"
grep -Eq 'pixel size +10 x 10 nm \(from AP_IMAGE_PIXEL_SIZE\)' zinfo.txt && ok ||
    bad "zeiss pixel: $(grep pixel zinfo.txt)"

if [ "$havepy" = 1 ]; then
    "$PY" - <<'EOF' && ok || bad "python checks"
import glob, math
import numpy as np, tifffile, mrcfile, csv
f = sorted(glob.glob("a/slices/*.tif"))
t = tifffile.TiffFile(f[3])
fei = t.fei_metadata
assert abs(fei["Scan"]["PixelWidth"] - 1e-8) < 1e-15, fei["Scan"]
assert abs(math.degrees(fei["Stage"]["StageT"]) - 52) < 1e-6, fei["Stage"]
assert fei["Beam"]["Beam"] == "EBeam"
z = sorted(glob.glob("z/slices/*.tif"))
tz = tifffile.TiffFile(z[0])
sem = tz.sem_metadata
assert sem["ap_image_pixel_size"][1] == 10.0, sem["ap_image_pixel_size"]
assert sem["ap_stage_at_t"][1] == 54.0, sem["ap_stage_at_t"]
assert tz.pages[0].dtype == np.uint16
# names carry the depth of drift_true.csv (um, 4 decimals)
rows = list(csv.DictReader(open("a/drift_true.csv")))
for p, r in zip(f, rows):
    zname = float(p.split("_z=")[1][:-6])
    assert abs(zname - float(r["z_nm"]) / 1e3) < 6e-5, (p, r["z_nm"])
# no tracking: the face term is t cos(54) per slice of depth, content up
rz = list(csv.DictReader(open("z/drift_true.csv")))
k = len(rz) - 1
want = -float(rz[k]["z_nm"]) / 10 * math.cos(math.radians(54))
assert abs(float(rz[k]["face_dy"]) - want) < 1e-6, (rz[k]["face_dy"], want)
# truth grid = recon grid: width, rows = round(ny / sin 52), slices
with mrcfile.open("a/truth_labels.mrc") as m:
    truth = m.data
with mrcfile.open("a-recon/volume.mrc") as m:
    vol = m.data
assert truth.shape == vol.shape, (truth.shape, vol.shape)
ny = tifffile.imread(f[0]).shape[0]
assert truth.shape[1] == int(math.floor(ny / math.sin(math.radians(52)) + 0.5))
assert set(np.unique(truth)) <= {0, 1, 2, 3}
EOF
    # the truth grid: a noise-free render shifted by drift_true.csv and
    # stretched by 1/sin(52 deg) as recon does agrees best with
    # truth_labels.mrc at zero offset (half a pixel off in x or y agrees
    # less: no half-pixel error in the grid or sign error in the drift)
    "$C" simulate --phantom coating --size 128x128x16 --out g --seed 5 --clean \
        --shine-nm 0 --texture 0 --edge 0 --psf-px 0 --quiet >/dev/null ||
        bad "clean render"
    "$PY" - <<'EOF' && ok || bad "truth grid check"
import csv, glob, math
import numpy as np, tifffile, mrcfile
from scipy import ndimage
sl = [tifffile.imread(p).astype(float) for p in sorted(glob.glob("g/slices/*.tif"))]
sh = np.array([[float(r["dx"]), float(r["dy"])]
               for r in csv.DictReader(open("g/drift_true.csv"))])
with mrcfile.open("g/truth_labels.mrc") as m:
    truth = np.asarray(m.data)
ys = 1 / math.sin(math.radians(52))
yy, xx = np.meshgrid(np.arange(truth.shape[1], dtype=float),
                     np.arange(truth.shape[2], dtype=float), indexing="ij")
grey = np.array([0.15, 0.35, 0.55, 0.75]) * 255
m = int(np.ceil(np.abs(sh).max())) + 3
my = int(m * ys)
def agree(ox, oy):
    a = []
    for k, img in enumerate(sl):
        v = (yy + 0.5) / ys - 0.5 - sh[k, 1] + oy
        u = xx - sh[k, 0] + ox
        g = ndimage.map_coordinates(img, [v, u], order=1, mode="nearest")
        cls = np.abs(g[..., None] - grey).argmin(-1)
        a.append((cls == truth[k])[my:-my, m:-m].mean())
    return np.mean(a)
a0 = agree(0, 0)
assert a0 >= 0.95, a0
for o in ((0.5, 0), (-0.5, 0), (0, 0.5), (0, -0.5)):
    assert agree(*o) < a0, (o, agree(*o), a0)
EOF
    # bad-input files: non-integer labels, labels without a voxel size
    "$PY" - <<'EOF' || bad "making bad inputs"
import numpy as np, mrcfile, tifffile
a = np.zeros((8, 32, 32), np.float32); a[:, 5, 5] = 0.5
with mrcfile.new("frac.mrc", overwrite=True) as m:
    m.set_data(a); m.voxel_size = 10
tifffile.imwrite("novox.tif", np.zeros((8, 32, 32), np.uint8))
EOF
fi

# ---- bad input: exit 2, one line naming the problem, nothing written -----
t() {
    local re=$1
    shift
    rm -rf out
    "$C" simulate "$@" >stdout.txt 2>stderr.txt
    local got=$?
    if [ "$got" != 2 ]; then
        bad "simulate $*: exit $got ($(head -c 200 stderr.txt))"
    elif [ "$(wc -l <stderr.txt)" != 1 ]; then
        bad "simulate $*: $(wc -l <stderr.txt) stderr lines"
    elif ! grep -Eq -- "$re" stderr.txt; then
        bad "simulate $*: '$(cat stderr.txt)' !~ /$re/"
    elif [ -e out ]; then
        bad "simulate $*: left out/"
    else
        ok
    fi
}
t "nothing.mrc" nothing.mrc --out out
t "^cryofib simulate: --out DIR is required" --phantom dendrites
t "expected one LABELS file or --phantom" --out out
t "'--bogus'" --phantom coating --out out --bogus
t -- "--pixel-nm must be in \(0, 1e\+06\]" --phantom coating --out out --pixel-nm -1
t -- "--drift-px must be in \[0, 100\]" --phantom coating --out out --drift-px -2
t -- "--tilt-deg must be in \[10, 90\]" --phantom coating --out out --tilt-deg 5
t -- "--size expects" --phantom coating --out out --size 100000x16x4
t "image would be .* px along x \(limit 16384\)" --phantom coating --out out --size 2048x64x4 --pixel-nm 0.5
t "field is under 16 px" --phantom coating --out out --size 64x64x4 --pixel-nm 100
t "n_slices 500" --phantom coating --out out --size 64x64x8 --slices 500
t -- "--grey expects" --phantom coating --out out --grey 0.1,x
t "grey: 2 values given for 4 phases" --phantom coating --out out --grey 0.1,0.2
if [ "$havepy" = 1 ]; then
    t "frac.mrc: voxel [0-9]+ holds 0.5, not a label" frac.mrc --out out
    t "novox.tif: voxel size x not in the file: give --voxel-nm" novox.tif --out out
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
