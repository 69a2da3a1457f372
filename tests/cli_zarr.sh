#!/bin/bash
# cli_zarr.sh -- OME-Zarr output read by other tools: `cryofib recon
# --format zarr` on a rendered phantom and `cryofib convert` to and from
# .zarr, opened with zarr-python and Dask (Debian python3-zarr,
# python3-dask; skipped when absent): shape, chunks, dtype, voxel size in
# the multiscales metadata, every pyramid level readable and equal to the
# 2x2x2 mean of the level below; the round trip back to MRC is exact.
set -u
C="$FIB_CLI"
PY="${FIB_PYTHON:-/usr/bin/python3}"
"$PY" -c "import zarr, dask.array, numpy, mrcfile" 2>/dev/null || {
  echo "skipped: needs python3-zarr, python3-dask, numpy, mrcfile"
  exit 77
}
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-zarr-XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$C" phantom --kind particles --out "$T/ph" --size 600x300x20 --seed 3 \
  >/dev/null || fail "phantom"
"$C" recon --input "$T/ph" --out "$T/r" --pixel-size-nm 10 --slice-nm 12 \
  --format zarr --no-crop-valid --quiet >/dev/null || fail "recon --format zarr"
[ -d "$T/r/volume.zarr" ] || fail "no volume.zarr"
ls -a "$T/r" | grep -q tmp && fail "temporary left in the output folder"
"$C" convert "$T/r/volume.zarr" "$T/back.mrc" >/dev/null || fail "zarr -> mrc"
"$C" convert "$T/back.mrc" "$T/again.zarr" >/dev/null || fail "mrc -> zarr"
"$PY" - "$T" <<'PYEOF' || fail "zarr-python / dask checks"
import sys, numpy as np, zarr, dask.array as da, mrcfile
t = sys.argv[1]
g = zarr.open(t + '/r/volume.zarr', mode='r')
ms = g.attrs['multiscales'][0]
assert ms['version'] == '0.4', ms
assert [a['name'] for a in ms['axes']] == ['z', 'y', 'x'], ms['axes']
assert all(a.get('unit') == 'nanometer' for a in ms['axes']), ms['axes']
paths = [d['path'] for d in ms['datasets']]
assert len(paths) >= 2, paths        # 600 px wide: at least one halving
a0 = g[paths[0]]
back = mrcfile.open(t + '/back.mrc').data
assert a0.shape == back.shape and a0.shape[0] == 20, (a0.shape, back.shape)
assert a0.chunks == (1, min(512, a0.shape[1]), 512), a0.chunks
assert a0.dtype == np.float32, a0.dtype
assert np.array_equal(a0[:], back), 'level 0 differs from the MRC copy'
sc = ms['datasets'][0]['coordinateTransformations'][0]['scale']
assert sc == [12.0, 10.0, 10.0], sc
prev = a0[:].astype(np.float64)
for k, p in enumerate(paths[1:], 1):
    lv = g[p][:]
    z, y, x = [(n + 1) // 2 for n in prev.shape]
    assert lv.shape == (z, y, x), (p, lv.shape)
    pad = np.full((2 * z, 2 * y, 2 * x), np.nan)
    pad[:prev.shape[0], :prev.shape[1], :prev.shape[2]] = prev
    mean = np.nanmean(pad.reshape(z, 2, y, 2, x, 2), axis=(1, 3, 5))
    assert np.allclose(lv, mean, rtol=1e-6, atol=1e-3), p  # f32 storage
    s = ms['datasets'][k]['coordinateTransformations'][0]['scale']
    assert s == [12.0 * 2 ** k, 10.0 * 2 ** k, 10.0 * 2 ** k], s
    prev = lv.astype(np.float64)
d = da.from_zarr(t + '/r/volume.zarr/0')
m_dask = float(d.astype('f8').mean().compute())
assert d.shape == a0.shape and abs(m_dask / back.astype('f8').mean() - 1) < 1e-9
again = zarr.open(t + '/again.zarr', mode='r')['0'][:]
assert np.array_equal(again, back)
PYEOF
# compressors: blosc (lz4 + shuffle) and none, written by recon and convert
# and read back by zarr-python; arrays zarr-python writes with Blosc, GZip
# and Zlib read by cryofib, equal to the source
"$C" recon --input "$T/ph" --out "$T/rb" --pixel-size-nm 10 --slice-nm 12 \
  --format zarr --zarr-compressor blosc --no-crop-valid --quiet >/dev/null ||
  fail "recon --zarr-compressor blosc"
"$C" convert "$T/back.mrc" "$T/raw.zarr" --compress none >/dev/null ||
  fail "convert --compress none"
"$C" convert "$T/back.mrc" "$T/bl.zarr" --compress blosc >/dev/null ||
  fail "convert --compress blosc"
"$PY" - "$T" <<'PYEOF' || fail "blosc / gzip / none checks"
import sys, json, numpy as np, zarr, mrcfile, numcodecs
t = sys.argv[1]
back = mrcfile.open(t + '/back.mrc').data
for name, cid in (('rb/volume.zarr', 'blosc'), ('bl.zarr', 'blosc'),
                  ('raw.zarr', None)):
    meta = json.load(open(f'{t}/{name}/0/.zarray'))
    got = (meta['compressor'] or {}).get('id')
    assert got == cid, (name, meta['compressor'])
    a = zarr.open(f'{t}/{name}', mode='r')['0'][:]
    assert np.array_equal(a, back), name
for k, comp in enumerate((numcodecs.Blosc(cname='zstd', clevel=3,
                                          shuffle=numcodecs.Blosc.BITSHUFFLE),
                          numcodecs.GZip(level=4), numcodecs.Zlib(level=6))):
    z = zarr.open(f'{t}/py{k}.zarr', mode='w', shape=back.shape,
                  chunks=(3, 64, 100), dtype=back.dtype, compressor=comp)
    z[:] = back
PYEOF
for k in 0 1 2; do
  "$C" convert "$T/py$k.zarr" "$T/py$k.mrc" >/dev/null || fail "read py$k.zarr"
  "$PY" -c "import sys, mrcfile, numpy as np; a = mrcfile.open(sys.argv[1]).data; b = mrcfile.open(sys.argv[2]).data; sys.exit(0 if np.array_equal(a, b) else 1)" \
    "$T/py$k.mrc" "$T/back.mrc" || fail "py$k.zarr read differs"
done
# a blosc chunk that does not decode is named
printf 'garbage garbage garbage' > "$T/bl.zarr/0/2/0/0"
"$C" convert "$T/bl.zarr" "$T/y.mrc" 2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "bad blosc chunk: exit $rc"
grep -q "chunk 2/0/0" "$T/e" || fail "message: $(cat "$T/e")"
# segment to .zarr: an OME-NGFF label image (image-label, mode pyramid,
# 128^3 chunks clamped to the volume) equal to the MRC labels
"$C" segment "$T/back.mrc" --out "$T/lab.zarr" --multi-otsu 3 --quiet \
  >/dev/null || fail "segment -> zarr"
"$C" segment "$T/back.mrc" --out "$T/lab.mrc" --multi-otsu 3 --quiet \
  >/dev/null || fail "segment -> mrc"
"$PY" - "$T" <<'PYEOF' || fail "label image checks"
import sys, numpy as np, zarr, mrcfile
t = sys.argv[1]
g = zarr.open(t + '/lab.zarr', mode='r')
assert g.attrs['image-label']['version'] == '0.4', dict(g.attrs)
assert g.attrs['multiscales'][0]['type'] == 'mode'
a = g['0']
assert a.chunks == tuple(min(128, n) for n in a.shape), a.chunks
assert np.array_equal(a[:], mrcfile.open(t + '/lab.mrc').data)
PYEOF
# bad input: a missing chunk is named, exit 2, nothing written
rm "$T/again.zarr/0/3/0/0"
"$C" convert "$T/again.zarr" "$T/x.mrc" 2>"$T/e"; rc=$?
[ $rc -eq 2 ] || fail "missing chunk: exit $rc"
grep -q "chunk 3/0/0 missing" "$T/e" || fail "message: $(cat "$T/e")"
[ "$(wc -l <"$T/e")" -eq 1 ] || fail "one line: $(cat "$T/e")"
[ ! -e "$T/x.mrc" ] || fail "output written after an error"
# bad input: wrong dtype, inconsistent scale, a chunk cut short: one line
# naming the array or the chunk, exit 2
bad_zarr() { # NAME EDIT-PYTHON EXPECTED-MESSAGE
  rm -rf "$T/$1.zarr"
  cp -r "$T/again.zarr" "$T/$1.zarr"
  "$PY" - "$T/$1.zarr" <<<"$2" || fail "$1: edit"
  "$C" convert "$T/$1.zarr" "$T/x.mrc" 2>"$T/e"; rc=$?
  [ $rc -eq 2 ] || fail "$1: exit $rc"
  grep -q "$3" "$T/e" || fail "$1: message: $(cat "$T/e")"
  [ "$(wc -l <"$T/e")" -eq 1 ] || fail "$1: one line: $(cat "$T/e")"
  [ ! -e "$T/x.mrc" ] || fail "$1: output written after an error"
}
bad_zarr dtype "import json, sys
p = sys.argv[1] + '/0/.zarray'; a = json.load(open(p)); a['dtype'] = '<c8'
json.dump(a, open(p, 'w'))" "0/.zarray: dtype '<c8' not supported"
bad_zarr scale "import json, sys
p = sys.argv[1] + '/.zattrs'; a = json.load(open(p))
a['multiscales'][0]['datasets'][0]['coordinateTransformations'][0]['scale'] = [1, 2]
json.dump(a, open(p, 'w'))" ".zattrs: multiscales\[0\].datasets\[0\] scale must list 3 positive"
bad_zarr short "import sys
p = sys.argv[1] + '/0/2/0/0'; d = open(p, 'rb').read(); open(p, 'wb').write(d[:len(d) // 2])" \
  "chunk 2/0/0"
"$C" recon --input "$T/ph" --out "$T/r2" --format zarrr 2>/dev/null
[ $? -eq 2 ] || fail "bad --format accepted"
echo "cli_zarr: all passed"
