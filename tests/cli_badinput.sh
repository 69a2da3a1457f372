#!/bin/bash
# cli_badinput.sh -- bad input and interruption sweep over every subcommand.
#
# Each case runs `cryofib ARGS...` in a scratch folder and expects: the exit
# status (2 bad input/usage, 1 failure of the work), exactly one line on
# stderr matching a regexp (it names the file, field or limit), no file
# left in out/ (no partial or temporary output) and every input file under
# in/ unchanged (md5 before/after).  Ctrl-C cases send SIGINT to long runs
# and expect exit 130 with nothing left behind.  Bad files are made here:
# truncated, header bytes flipped, headers claiming 100000^3 voxels.
set -u
C="$FIB_CLI"
SRC="${FIB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
PY="${FIB_PYTHON:-/usr/bin/python3}"
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-bad-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
sums() { find in -type f | LC_ALL=C sort | xargs md5sum; }

# ---- inputs --------------------------------------------------------------
mkdir -p in out in/dir in/cfg
"$C" phantom --kind particles --out in/ser --size 32x32x4 >/dev/null ||
  { echo "phantom failed"; exit 1; }
cp in/ser/slice_0000.png in/s.png
for e in tif mrc nrrd; do "$C" convert in/s.png in/s.$e >/dev/null || exit 1; done
"$C" convert in/s.png in/sg.nrrd --gzip >/dev/null || exit 1
"$C" convert in/ser/labels.mrc in/v.tif >/dev/null || exit 1
: >in/empty.png
for f in s.png s.tif s.mrc s.nrrd sg.nrrd v.tif; do
  sz=$(stat -c %s "in/$f")
  head -c 7 "in/$f" >"in/cut7_$f"
  head -c 200 "in/$f" >"in/cut200_$f"
  head -c $((sz / 2)) "in/$f" >"in/half_$f"
done
# flipped magic / header bytes
cp in/s.png in/flip.png && printf '\x00\x00\x00\x00' |
  dd of=in/flip.png bs=1 seek=16 conv=notrunc status=none
cp in/s.mrc in/mode.mrc && printf '\x63\x00\x00\x00' |
  dd of=in/mode.mrc bs=1 seek=12 conv=notrunc status=none
cp in/s.mrc in/neg.mrc && printf '\xfb\xff\xff\xff' |
  dd of=in/neg.mrc bs=1 seek=0 conv=notrunc status=none
cp in/s.mrc in/huge.mrc && printf '\xa0\x86\x01\x00\xa0\x86\x01\x00\xa0\x86\x01\x00' |
  dd of=in/huge.mrc bs=1 seek=0 conv=notrunc status=none
cp in/s.mrc in/ext.mrc && printf '\xff\xff\xff\x7f' |
  dd of=in/ext.mrc bs=1 seek=92 conv=notrunc status=none
nrrd() { # name sizes-line [encoding]
  { printf 'NRRD0004\ntype: uint16\ndimension: 3\n%s\n' "$2"
    printf 'endian: little\nencoding: %s\n\n' "${3:-raw}"
    head -c 4096 /dev/zero; } >"in/$1"
}
nrrd huge.nrrd 'sizes: 100000 100000 100000'
nrrd zero.nrrd 'sizes: 0 16 16'
nrrd neg.nrrd 'sizes: -16 16 16'
nrrd junk.nrrd 'sizes: 16 abc 16'
nrrd short.nrrd 'sizes: 64 64 64'
nrrd bz.nrrd 'sizes: 16 16 1' bzip2
nrrd gzbad.nrrd 'sizes: 16 16 8' gzip
# PNG and TIFF headers claiming 100000 x 100000 (valid CRC / tags)
"$PY" - <<'EOF' || exit 1
import struct, zlib
p = bytearray(open('in/s.png', 'rb').read())
p[16:24] = struct.pack('>II', 100000, 100000)
p[29:33] = struct.pack('>I', zlib.crc32(bytes(p[12:29])) & 0xffffffff)
open('in/huge.png', 'wb').write(p)
def tiff(name, w, h, bits=16):
    ent = [(256, 4, w), (257, 4, h), (258, 3, bits), (259, 3, 1), (262, 3, 1),
           (273, 4, 8), (277, 3, 1), (278, 4, h), (279, 4, 64)]
    ifd = 8 + 64
    b = bytearray(b'II*\x00' + struct.pack('<I', ifd) + bytes(64))
    b += struct.pack('<H', len(ent))
    for tag, typ, val in ent:
        b += struct.pack('<HHI', tag, typ, 1)
        b += struct.pack('<HH', val, 0) if typ == 3 else struct.pack('<I', val)
    b += struct.pack('<I', 0)
    open('in/' + name, 'wb').write(b)
tiff('huge.tif', 100000, 100000)
tiff('zero.tif', 0, 16)
tiff('bits.tif', 4, 4, 12)
EOF
# configuration files
L="$SRC/examples/li-dendrite-cryo-liftout.cfg"
SV="$SRC/examples/slice-view-coated-nmc.cfg"
cp "$L" in/cfg/L.cfg
cp "$SV" in/cfg/SV.cfg
cp "$SRC/examples/materials.cfg" in/cfg/M.cfg
mk() { sed "$2" "$1" >"in/cfg/$3"; }
mk "$L" 's/thickness_um = 10.0/thickness_um = -10.0/' negthick.cfg
mk "$L" 's/"Li2CO3"/"Unobtainium"/' unkmat.cfg
mk "$L" 's/lamella_width_um = 12.0/lamella_width_um = "wide"/' type.cfg
mk "$L" 's/lamella_width_um = 12.0/lamella_width_um = 1e300/' hugew.cfg
mk "$L" 's/target_thickness_nm = 150.0/target_thickness_nm = 0.0/' zerot.cfg
mk "$L" 's/{ ion = "Ga"; }/{ ion = "Ga"; presets_pA = [ 10.0, 1e9 ]; }/' cur.cfg
mk "$L" 's/{ ion = "Ga"; }/{ ion = "Ga"; ladder = { trench_pA = 1e9; }; }/' ladder.cfg
mk "$L" 's/{ ion = "Ga"; }/{ ion = "Ga"; energy_keV = 100.0; }/' kev.cfg
mk "$L" 's/{ ion = "Xe"; }/{ ion = "Zz"; }/' ion.cfg
mk "$L" 's/mode = "cryo"/mode = "lukewarm"/' mode.cfg
mk "$L" 's/sample = {/sampel = {/' key.cfg
mk "$L" 's/site = {/site = { {/' syntax.cfg
mk "$SV" 's/voxel_nm = 20.0;//' sv_missing.cfg
mk "$SV" 's/current_pA = 700.0/current_pA = 1e12/' sv_cur.cfg
mk "$SV" 's/voxel_nm = 20.0/voxel_nm = -20.0/' sv_neg.cfg
mk "$SV" 's/slice_nm = 20.0/slice_nm = 0.0001/' sv_huge.cfg
mk "$SV" 's/frames = 1/frames = "one"/' sv_type.cfg
m1() { printf 'materials = ( { name = "X1"; formula = "%s"; density_g_cm3 = %s;%s } );\n' \
  "$2" "$3" "${4:-}" >"in/cfg/$1"; }
m1 m_neg.cfg SiO2 -2.0
m1 m_elem.cfg Qq2 2.0
m1 m_type.cfg SiO2 '"heavy"'
m1 m_key.cfg SiO2 2.0 ' colour = "red";'
m1 m_flag.cfg SiO2 2.0 ' flags = [ "sticky" ];'
printf 'input = "ser"; out = "../out/r";\n' >in/r_ok.cfg
printf 'out = "../out/r";\n' >in/cfg/r_noin.cfg
printf 'input = "../ser"; out = "../../out/r"; slice_nm = "ten";\n' >in/cfg/r_type.cfg
printf 'input = "../ser"; out = "../../out/r"; pixel_size_nm = -3.0;\n' >in/cfg/r_neg.cfg
printf 'input = "../ser"; out = "../../out/r"; slice_nm = 1e300;\n' >in/cfg/r_huge.cfg
printf 'input = "../ser"; out = "../../out/r"; memory = "1";\n' >in/cfg/r_mem.cfg
printf 'input = "../ser"; out = "../../out/r"; roi = [ -1, 0, 8, 8 ];\n' >in/cfg/r_roi.cfg
printf 'input = "../ser"; out = "../../out/r"; foo = 1;\n' >in/cfg/r_key.cfg
printf 'input = "../ser"; out = "../../out/r"; taper = 2.0;\n' >in/cfg/r_taper.cfg
printf 'input = "../ser" out = \n' >in/cfg/r_syntax.cfg
printf 'input = "../ser"; out = "../../out/r"; channels = ( { name = "x"; input = "../none"; } );\n' \
  >in/cfg/r_chan.cfg
# a series with one truncated slice
mkdir -p in/badser
cp in/ser/slice_000[0-2].png in/badser/
head -c 300 in/ser/slice_0003.png >in/badser/slice_0003.png
sums >sum0

# ---- the table -----------------------------------------------------------
# t RC REGEX ARGS...: run, then check rc, one stderr line, no leftovers,
# inputs unchanged.
t() {
  local rc=$1 re=$2
  shift 2
  "$C" "$@" >stdout.txt 2>stderr.txt
  local got=$? n
  n=$(wc -l <stderr.txt)
  local what="cryofib $*"
  if [ "$got" != "$rc" ]; then
    bad "$what: exit $got, expected $rc ($(head -c 300 stderr.txt))"
  elif [ "$n" != 1 ]; then
    bad "$what: $n stderr lines: $(head -c 300 stderr.txt | tr '\n' '|')"
  elif ! grep -Eq -- "$re" stderr.txt; then
    bad "$what: stderr '$(cat stderr.txt)' does not match /$re/"
  elif [ -n "$(find out -mindepth 1 | head -1)" ]; then
    bad "$what: left in out/: $(find out -mindepth 1 | head -5 | tr '\n' ' ')"
  elif [ -n "$(find . -name '*.tmp-*' | head -1)" ]; then
    bad "$what: temporary file left: $(find . -name '*.tmp-*' | head -3)"
  else
    ok
  fi
  rm -rf out && mkdir out
  if ! sums | cmp -s - sum0; then
    bad "$what: an input file changed"
    echo "$pass passed, $fail failed (inputs changed, stop)"
    exit 1
  fi
}

# options and operands, every command
for c in info convert sputter materials ions plan workflow slice-view phantom \
  recon correct demo; do
  t 2 "^cryofib $c: .*'--bogus'" $c --bogus
done
t 2 '^cryofib info: expected one FILE' info
t 2 '^cryofib convert: expected IN and OUT' convert in/s.png
t 2 '^cryofib correct: expected IN and OUT' correct in/s.png
t 2 '^cryofib sputter: --material is required' sputter
t 2 '^cryofib plan: expected one SESSION.cfg' plan
t 2 '^cryofib workflow: expected one SESSION.cfg' workflow
t 2 '^cryofib slice-view: expected one RUN.cfg' slice-view
t 2 '^cryofib phantom: --kind and --out are required' phantom
t 2 '^cryofib recon: --input and --out are required' recon
t 2 "^cryofib recon: .*'--roi'" recon --input in/ser --out out/r --roi
t 2 "unexpected argument 'extra'" ions extra
t 2 "^cryofib: unknown command" no-such-command

# missing, folder, empty, truncated and corrupt image files
t 2 'in/none.tif: no such file' info in/none.tif
t 2 'in/dir: not a regular file' info in/dir
t 2 'in/dir: not a regular file' convert in/dir out/o.tif
t 2 'in/empty.png: .*0 bytes' info in/empty.png
t 2 'in/empty.png: .*0 bytes' convert in/empty.png out/o.mrc
for f in s.png s.tif s.mrc s.nrrd sg.nrrd v.tif; do
  t 2 "in/cut7_$f: " convert "in/cut7_$f" out/o.mrc
  t 2 "in/cut200_$f: " convert "in/cut200_$f" out/o.mrc
  t 2 "in/half_$f: " convert "in/half_$f" out/o.tif
  t 2 "in/half_$f: " correct "in/half_$f" out/o.tif --destripe
  # info reads headers; --check decodes every slice
  t 2 "in/half_$f: " info "in/half_$f" --check
done
t 2 'in/half_s.mrc: truncated mrc' info in/half_s.mrc
t 2 'in/flip.png: ' convert in/flip.png out/o.tif
t 2 'in/mode.mrc: .*mode' info in/mode.mrc
t 2 'in/neg.mrc: .*must be > 0' info in/neg.mrc
t 2 'in/ext.mrc: ' convert in/ext.mrc out/o.tif
for f in huge.mrc huge.nrrd huge.png huge.tif; do
  t 2 "in/$f: .*100000 x 100000.*exceeds the limit" convert "in/$f" out/o.mrc
done
t 2 'in/huge.mrc: .*exceeds' correct in/huge.mrc out/o.mrc --destripe
t 2 'in/zero.nrrd: .*must be > 0' info in/zero.nrrd
t 2 'in/neg.nrrd: ' info in/neg.nrrd
t 2 'in/junk.nrrd: .*sizes' info in/junk.nrrd
t 2 'in/short.nrrd: ' convert in/short.nrrd out/o.mrc
t 2 'in/bz.nrrd: .*bzip2' convert in/bz.nrrd out/o.mrc
t 2 'in/gzbad.nrrd: ' convert in/gzbad.nrrd out/o.mrc
t 2 'in/zero.tif: ' convert in/zero.tif out/o.mrc
t 2 'in/bits.tif: .*12' convert in/bits.tif out/o.mrc
t 2 'in/v.tif: .*limit' convert in/v.tif out/o.mrc --max-bytes 100
t 2 'o.xyz: unknown output extension' convert in/s.png out/o.xyz
t 2 'in/badser/slice_0003.png: truncated or corrupt' correct in/badser out --destripe
t 2 'slice 3: in/badser/slice_0003.png' recon --input in/badser --out out/r --quiet

# outputs: missing folder, not a folder, the input itself
t 2 'out/no/o.tif: cannot create' convert in/s.png out/no/o.tif
t 2 'in/s.png/o.tif' convert in/s.tif in/s.png/o.tif
t 2 'in/s.png: is the input file' convert in/s.png in/s.png
t 2 'in/s.mrc: is the input file' convert in/./s.mrc in/s.mrc
t 2 'in/s.tif: is the input file' correct in/s.tif in/s.tif --destripe
t 2 'in/ser/slice_0000.png: is the input file' correct in/ser in/ser --destripe
t 2 'in/ser/slice_0001.png: is the input file' correct 'in/ser/*.png' in/ser/slice_0001.png --destripe
t 2 'in/cfg/L.cfg: is the input file' plan in/cfg/L.cfg --quiet --json in/cfg/L.cfg
t 2 'in/cfg/M.cfg: is the input file' plan --demo --quiet --csv in/cfg/M.cfg --materials in/cfg/M.cfg
t 2 'in/cfg/SV.cfg: is the input file' slice-view in/cfg/SV.cfg --csv in/cfg/SV.cfg
t 2 'in/cfg/L.cfg: is the input file' workflow in/cfg/L.cfg --json in/cfg/L.cfg
t 2 'in/ser: is the input file' recon --input in/ser --out in/ser --quiet
t 2 'out/no/x.json: cannot create' plan in/cfg/L.cfg --quiet --json out/no/x.json
t 2 'out/no/x.csv: cannot create' plan in/cfg/L.cfg --quiet --json out/a.json --csv out/no/x.csv
t 2 'out/no/d: cannot create' plan in/cfg/L.cfg --quiet --json out/a.json --csv out/a.csv --out out/no/d
t 2 'out/no/x.csv: cannot create' slice-view in/cfg/SV.cfg --json out/a.json --csv out/no/x.csv
t 2 '--out in/s.png exists and is not a folder' slice-view in/cfg/SV.cfg --csv out/a.csv --out in/s.png
t 2 'out/no/d: cannot create folder' phantom --kind coating --out out/no/d --size 16x16x2

# numbers in options
t 2 '--energy-kev expects a finite number' sputter --material Si --energy-kev nan
t 2 '--energy-kev must be > 0' sputter --material Si --energy-kev -5
t 2 'energy_keV must be <= 1000' sputter --material Si --energy-kev 1e9
t 2 '--energy-kev gives more than 64' sputter --material Si --energy-kev 1:1000000:0.0001
t 2 '--angle-deg must be in \[0, 90\)' sputter --material Si --angle-deg 90
t 2 '--angle-deg expects a finite' sputter --material Si --angle-deg inf
t 2 '--density-g-cm3 must be in' sputter --material Si --density-g-cm3 -1
t 2 '--current-na must be in \(0, 10000\]' sputter --material Si --current-na -1
t 2 '--current-na must be in \(0, 10000\]' sputter --material Si --current-na 1e9
t 2 "unknown ion 'Zz'" sputter --material Si --ion Zz
t 2 "'Unobtainium' is not a known material" sputter --material Unobtainium
t 2 "'Li3\(PS4' .*missing '\)'" materials 'Li3(PS4'
t 2 'count at position 3 must be' sputter --material Si1000000000000
t 2 '--size expects NXxNYxNZ' phantom --kind dendrites --out out/p --size 0x10x10
t 2 '--size expects NXxNYxNZ' phantom --kind dendrites --out out/p --size 100000x100000x100000
t 2 '--size expects NXxNYxNZ' phantom --kind dendrites --out out/p --size -5x16x16
t 2 '--pixel-nm must be > 0' phantom --kind dendrites --out out/p --pixel-nm -1
t 2 '--noise expects a finite' phantom --kind dendrites --out out/p --noise nan
t 2 '--bits expects 8 or 16' phantom --kind dendrites --out out/p --bits 12
t 2 "kind must be dendrites" phantom --kind foo --out out/p
t 2 '--pixel-size-nm expects' recon --input in/ser --out out/r --pixel-size-nm -1
t 2 'pixel_size_nm\[0\] must be in \[0, 1e\+06\]' recon --input in/ser --out out/r --pixel-size-nm 1e300 --quiet
t 2 '--slice-nm expects a finite' recon --input in/ser --out out/r --slice-nm inf
t 2 '--tilt-deg must be in \[0, 90\]' recon --input in/ser --out out/r --tilt-deg 91
t 2 '--roi expects x,y,w,h' recon --input in/ser --out out/r --roi -1,0,8,8
t 2 'roi 30,30,8,8 is not inside the 32 x 32' recon --input in/ser --out out/r --roi 30,30,8,8 --quiet
t 2 '--memory must be at least 1M' recon --input in/ser --out out/r --memory 1
t 2 '--memory: ' recon --input in/ser --out out/r --memory -5
t 2 '--threads must be an integer' recon --input in/ser --out out/r --threads 0
t 2 '--neighbours must be an integer' recon --input in/ser --out out/r --neighbours 1000
t 2 '--taper must be in \[0, 1\]' recon --input in/ser --out out/r --taper 1.5
t 2 '--taper expects' recon --input in/ser --out out/r --taper nan
t 2 'in/none: no such folder' recon --input in/none --out out/r
t 2 'in/none: no such folder' recon --input in/ser --out out/r --channel x=in/none --quiet
t 2 'in/s.png: one image, not a series' recon --input in/s.png --out out/r
t 2 'destripe.sigma must be in \(0, 1e6\)' correct in/s.png out/o.png --destripe --destripe-sigma 1e9
t 2 '--destripe-levels must be an integer in 1..10' correct in/s.png out/o.png --destripe --destripe-levels 0
t 2 "wavelet 'db99' unknown" correct in/s.png out/o.png --destripe --wavelet db99
t 2 'sigma_px must be in \(0, 1000\]' correct in/s.png out/o.png --denoise gauss --sigma -1
t 2 '--radius must be an integer in 1..64' correct in/s.png out/o.png --denoise median --radius 100000
t 2 'out/o.png: PNG cannot hold f32' correct in/s.png out/o.png --destripe --out-type f32
t 2 'no step chosen' correct in/s.png out/o.png

# session, run and materials files
t 2 'in/none.cfg: cannot open' plan in/none.cfg
t 2 'in/dir: not a regular file' plan in/dir
t 2 'in/dir: not a regular file' sputter --material Si --materials in/dir
t 2 'in/dir: not a regular file' recon in/dir
t 2 'in/empty.png: sample is required' plan in/empty.png
t 2 'negthick.cfg:[0-9]+: sample.layers\[2\].thickness_um must be >= 0' plan in/cfg/negthick.cfg --quiet
t 2 "unkmat.cfg:[0-9]+: sample.layers\[1\].material 'Unobtainium'" plan in/cfg/unkmat.cfg --quiet
t 2 "unkmat.cfg:[0-9]+: sample.layers\[1\].material 'Unobtainium'" workflow in/cfg/unkmat.cfg
t 2 'type.cfg:[0-9]+: site.lamella_width_um must be a number' plan in/cfg/type.cfg --quiet
t 2 'hugew.cfg:[0-9]+: site.lamella_width_um must be <= 1000' plan in/cfg/hugew.cfg --quiet
t 2 'zerot.cfg:[0-9]+: site.target_thickness_nm must be > 0' plan in/cfg/zerot.cfg --quiet
t 2 'cur.cfg:[0-9]+: instrument.ions\[0\].presets_pA 1e\+09 pA is outside the ga-lmis column range' plan in/cfg/cur.cfg --quiet
t 2 'ladder.cfg:[0-9]+: instrument.ions\[0\].ladder.trench_pA 1e\+09 pA is outside' plan in/cfg/ladder.cfg --quiet
t 2 'kev.cfg:[0-9]+: instrument.ions\[0\].energy_keV 100 keV is outside' plan in/cfg/kev.cfg --quiet
t 2 "ion.cfg:[0-9]+: instrument.ions\[1\].ion 'Zz'" plan in/cfg/ion.cfg --quiet
t 2 'mode.cfg:[0-9]+: temperature.mode must be' plan in/cfg/mode.cfg --quiet
t 2 'key.cfg:[0-9]+: sampel is not a known key' plan in/cfg/key.cfg --quiet
t 2 'syntax.cfg:[0-9]+: syntax error' plan in/cfg/syntax.cfg --quiet
t 2 'sv_missing.cfg: voxel_nm is required' slice-view in/cfg/sv_missing.cfg
t 2 'sv_cur.cfg:[0-9]+: ions\[0\].current_pA must be <= 1e\+07' slice-view in/cfg/sv_cur.cfg
t 2 'sv_neg.cfg:[0-9]+: voxel_nm must be > 0' slice-view in/cfg/sv_neg.cfg
t 2 'slice-view run too large' slice-view in/cfg/sv_huge.cfg
t 2 'sv_type.cfg:[0-9]+: sem.frames must be a number' slice-view in/cfg/sv_type.cfg
t 2 'm_neg.cfg:[0-9]+: materials\[0\].density_g_cm3 must be in \(0, 30\)' materials --materials in/cfg/m_neg.cfg
t 2 "m_elem.cfg:[0-9]+: materials\[0\].formula .*'Qq'" materials --materials in/cfg/m_elem.cfg
t 2 'm_type.cfg:[0-9]+: materials\[0\].density_g_cm3 must be a number' plan in/cfg/L.cfg --materials in/cfg/m_type.cfg
t 2 'm_key.cfg:[0-9]+: materials\[0\].colour is not a known key' materials --materials in/cfg/m_key.cfg
t 2 "m_flag.cfg:[0-9]+: materials\[0\].flags has unknown flag 'sticky'" sputter --material Si --materials in/cfg/m_flag.cfg
t 2 'r_noin.cfg: input is missing' recon in/cfg/r_noin.cfg
t 2 'r_type.cfg:[0-9]+: slice_nm must be a number' recon in/cfg/r_type.cfg
t 2 'r_neg.cfg:[0-9]+: pixel_size_nm must be a finite number >= 0' recon in/cfg/r_neg.cfg
t 2 'r_huge.cfg:[0-9]+: slice_nm must be at most 1e6 nm' recon in/cfg/r_huge.cfg
t 2 'r_mem.cfg:[0-9]+: memory must be at least' recon in/cfg/r_mem.cfg
t 2 'r_roi.cfg:[0-9]+: roi entries must be integers' recon in/cfg/r_roi.cfg
t 2 'r_key.cfg:[0-9]+: foo is not a recon key' recon in/cfg/r_key.cfg
t 2 'r_taper.cfg:[0-9]+: taper must be in \[0, 1\]' recon in/cfg/r_taper.cfg
t 2 'r_syntax.cfg:[0-9]+: ' recon in/cfg/r_syntax.cfg
t 2 'cfg/../none: no such folder' recon in/cfg/r_chan.cfg --quiet
t 2 "with a run file only --quiet is accepted" recon in/r_ok.cfg --iso

# ---- Ctrl-C: exit 130, no temporary or partial output --------------------
# SIGINT before the handler is installed kills the process: also 130.
intr() { # SECONDS ARGS...
  local s=$1
  shift
  timeout --preserve-status -s INT "$s" "$C" "$@" >/dev/null 2>stderr.txt
  local got=$?
  if [ "$got" != 130 ]; then
    bad "Ctrl-C cryofib $*: exit $got, expected 130 ($(head -c 200 stderr.txt))"
  elif [ "$(wc -l <stderr.txt)" -gt 1 ]; then
    bad "Ctrl-C cryofib $*: $(wc -l <stderr.txt) stderr lines"
  elif [ -n "$(find out -mindepth 1 | head -1)" ]; then
    bad "Ctrl-C cryofib $*: left $(find out -mindepth 1 | head -5 | tr '\n' ' ')"
  elif ! sums | cmp -s - sum0; then
    bad "Ctrl-C cryofib $*: an input file changed"
  else
    ok
  fi
  rm -rf out && mkdir out
}
intr 1 phantom --kind dendrites --out out/big --size 1024x1024x200
"$C" phantom --kind particles --out in/long --size 192x192x40 >/dev/null || exit 1
sums >sum0
# Non-local means makes the recon run take tens of seconds here, so the
# interrupt lands mid-run even on a much faster machine.
intr 1 recon --input in/long --out out/r --neighbours 16 --upsample 1000 \
  --denoise nlm
intr 1.5 correct in/long out --denoise diffusion --iterations 200


# ---- non-physical session values (issue 12): refused with file:line, the
# field and the limit; non-integer counts are errors; 0 overhead accepted
mk "$L" 's/useful_core_nm = 50.0;/useful_core_nm = 50.0; tail_factor = 1000.0;/' tail.cfg
mk "$L" 's/thickness_um = 1.0; };/thickness_um = 100.0; };/' cap100.cfg
mk "$L" 's/target_thickness_nm = 150.0/target_thickness_nm = 0.001/' tiny.cfg
mk "$L" 's/undercut = "J";/undercut = "J"; stair_steps = 2.5;/' stair.cfg
mk "$L" 's/undercut = "J";/undercut = "J"; stair_steps = 0;/' stair0.cfg
mk "$SV" 's/frames = 1/frames = 1.5/' sv_frames.cfg
mk "$SV" 's/time_budget_h = 24.0/time_budget_h = -1.0/' sv_budget.cfg
printf '\noverheads = { current_change_s = 0.0; stage_move_s = 0; };\n' |
  cat "$L" - >in/cfg/oh0.cfg
printf '\noverheads = { current_change_s = -1.0; };\n' |
  cat "$L" - >in/cfg/ohneg.cfg
mk "$L" 's/useful_core_nm = 50.0;/useful_core_nm = 5000.0;/' core.cfg
mk "$L" 's/useful_core_nm = 50.0;/rough_thickness_nm = 1000.0;\n  useful_core_nm = 990.0;/' core2.cfg
sums >sum0
t 2 'core.cfg:[0-9]+: site.useful_core_nm must be <= 1000 \(got 5000\)' plan in/cfg/core.cfg --quiet
t 2 'core2.cfg:[0-9]+: planner: site.useful_core_nm 990 \+ 2 x damage [0-9]+ nm \(Ga at 5 kV\) needs a [0-9]+ nm lamella, not below site.rough_thickness_nm 1000' plan in/cfg/core2.cfg --quiet
t 2 'tail.cfg:[0-9]+: site.tail_factor must be <= 10 \(got 1000\)' plan in/cfg/tail.cfg --quiet
t 2 'cap100.cfg:[0-9]+: protective_layer.thickness_um must be <= 10 \(got 100\)' plan in/cfg/cap100.cfg --quiet
t 2 'tiny.cfg:[0-9]+: site.target_thickness_nm must be >= 5 nm \(got 0.001\)' plan in/cfg/tiny.cfg --quiet
t 2 'stair.cfg:[0-9]+: site.stair_steps must be a whole number \(got 2.5\)' plan in/cfg/stair.cfg --quiet
t 2 'stair0.cfg:[0-9]+: site.stair_steps must be in 1..1000 \(got 0\)' plan in/cfg/stair0.cfg --quiet
t 2 'sv_frames.cfg:[0-9]+: sem.frames must be a whole number \(got 1.5\)' slice-view in/cfg/sv_frames.cfg
t 2 'sv_budget.cfg:[0-9]+: time_budget_h must be > 0 \(got -1\)' slice-view in/cfg/sv_budget.cfg
t 2 'ohneg.cfg:[0-9]+: overheads.current_change_s must be >= 0 \(got -1\)' plan in/cfg/ohneg.cfg --quiet
# a zero overhead is valid: the plan runs and has no current-change time
if "$C" plan in/cfg/oh0.cfg --quiet --json out/oh0.json >/dev/null 2>stderr.txt &&
  grep -q '"current_change": 0,' out/oh0.json &&
  ! grep -q '"current_change": [1-9]' out/oh0.json; then
  ok
else
  bad "overheads = 0: $(head -c 300 stderr.txt)"
fi
rm -rf out && mkdir out
# ---- sessions with several sites (sites = (...), workflow) ----------------
S0="$SRC/examples/sulfur-carbon-cryo-ongrid.cfg"
site() { # name extra-text
  { cat "$S0"; printf '%s\n' "$2"; } >"in/cfg/$1"
}
site s_dup.cfg 'sites = ( { name = "A"; }, { name = "A"; x_um = 5.0; } );'
site s_neg.cfg 'sites = ( { name = "A"; lamella_width_um = -3.0; } );'
site s_far.cfg 'sites = ( { name = "A"; x_um = 60000.0; } );'
site s_many.cfg "sites = ( $(for i in $(seq 0 32); do printf '{ name = "S%d"; }, ' "$i"; done | sed 's/, $//') );"
site s_key.cfg 'sites = ( { name = "A"; z_um = 1.0; } );'
site s_wf2.cfg 'sites = ( { name = "A"; } ); workflow = 2;'
site s_thick.cfg 'sites = ( { name = "A"; target_thickness_nm = 5000.0; } );'
{ cat "$SRC/examples/session-reference.cfg"; echo 'sites = ( { name = "A"; } ); workflow = 3;'; } >in/cfg/s_wfroom.cfg
sums >sum0
t 2 "s_dup.cfg:[0-9]+: sites\[1\]\.name 'A' repeats sites\[0\]" plan in/cfg/s_dup.cfg --json out/s.json --out out/d
t 2 's_neg.cfg:[0-9]+: sites\[0\]\.lamella_width_um must be > 0 \(got -3\)' plan in/cfg/s_neg.cfg --out out/d
t 2 's_far.cfg:[0-9]+: sites\[0\]\.x_um must be <= 50000 \(got 60000\)' plan in/cfg/s_far.cfg
t 2 's_many.cfg:[0-9]+: sites must list 1\.\.32 sites \(got 33\)' plan in/cfg/s_many.cfg
t 2 's_key.cfg:[0-9]+: sites\[0\]\.z_um is not a known key' plan in/cfg/s_key.cfg
t 2 's_wf2.cfg:[0-9]+: workflow must be 0, 1, 3 or 4 \(got 2' plan in/cfg/s_wf2.cfg
t 2 's_wfroom.cfg:[0-9]+: workflow 3 mills at cryo but temperature\.mode is room' plan in/cfg/s_wfroom.cfg
t 2 "s_thick.cfg: session: site 'A': .*target" plan in/cfg/s_thick.cfg --json out/s.json
t 2 'export folder out/no/e: cannot create it' plan "$SRC/examples/cryo-4site-session.cfg" --export ptf out/no/e
t 2 'export folder in/cfg/s_dup.cfg exists and is not a folder' plan "$SRC/examples/cryo-4site-session.cfg" --json out/s.json --export autolamella in/cfg/s_dup.cfg
# ---- geometry options (issue 11: no silent geometry) -----------------------
"$C" convert in/ser/slice_0000.png in/zunk.mrc >/dev/null || exit 1 # z unknown
printf 'input = "../ser"; out = "../../out/r"; crop_valid = 3;\n' >in/cfg/r_crop.cfg
sums >sum0
t 2 '--crop-valid and --no-crop-valid contradict' recon --input in/ser --out out/r --crop-valid --no-crop-valid
t 2 'r_crop.cfg:1: crop_valid must be true or false' recon in/cfg/r_crop.cfg
t 2 '--iso needs the pixel size and the slice thickness' recon --input in/ser --out out/r --iso --quiet
t 2 '--units must be auto, physical or voxel' measure in/zunk.mrc --json out/x.json --units metres
t 2 'in/zunk.mrc: voxel size unknown in z .*--voxel-nm' measure in/zunk.mrc --json out/x.json --units physical -q
t 2 'coating threshold 5 nm needs the voxel size' measure in/zunk.mrc --json out/x.json --coating 1,2,5 -q
t 2 '--uncertainty must be auto or a grey delta >= 0' measure in/zunk.mrc --json out/x.json --uncertainty -3 -q
t 2 'uncertainty needs the grey volume .--grey.' measure in/zunk.mrc --json out/x.json --uncertainty auto -q
t 2 '--dark-clip expects auto, on or off \(got .yes.\)' recon --input in/ser --out out/r --dark-clip yes

# ---- issue 13: inputs (h/io13) ----
# One identity check for every command: no output may be an input (same
# device + inode after links, or the same resolved name), detached NRRD data
# files included; an output folder may not be or hold an input series.
mkdir -p in/i13/pics
cp in/ser/labels.mrc in/i13/v.mrc
ln -s v.mrc in/i13/vlink.mrc
cp in/ser/slice_0000.png in/i13/pics/mip_z.png
nrrd13() { # header data-file-field [sizes]
  printf 'NRRD0004\ntype: uint8\ndimension: 2\nsizes: %s\nencoding: raw\ndata file: %s\n\n' \
    "${3:-32 32}" "$2" >"in/i13/$1"
}
head -c 1024 /dev/urandom >in/i13/d.mrc
head -c 1024 /dev/urandom >in/i13/d.raw
nrrd13 hm.nrrd d.mrc
nrrd13 habs.nrrd /etc/passwd '8 8'
nrrd13 hup.nrrd ../i13/d.raw
ln -s /etc/hostname in/i13/out.raw
nrrd13 hlink.nrrd out.raw '2 2'
printf '../ser/slice_0000.png\n../ser/slice_0001.png\n' >in/i13/list.txt
printf 'input = "../ser"; out = ".";\n' >in/cfg/r_self.cfg
sums >sum0
t 2 'segment: --out in/i13/v.mrc: is the input file' segment in/i13/v.mrc --out in/i13/v.mrc --quiet
t 2 'segment: --out in/i13/vlink.mrc: is the input file' segment in/i13/v.mrc --out in/i13/vlink.mrc --quiet
t 2 'measure: --json in/i13/v.mrc: is the input file' measure in/i13/v.mrc --json in/i13/v.mrc -q
t 2 'measure: --csv in/i13/./v.mrc: is the input file' measure in/i13/v.mrc --json out/x.json --csv in/i13/./v.mrc -q
t 2 'measure: --csv in/s.mrc: is the input file' measure in/i13/v.mrc --json out/x.json --grey in/s.mrc --csv in/s.mrc -q
t 2 'measure: --pictures in/i13/pics: holds the input in/i13/pics/mip_z.png' measure in/i13/v.mrc --json out/x.json --grey in/i13/pics/mip_z.png --pictures in/i13/pics -q
t 2 'measure: --pictures in/i13: holds the input in/i13/v.mrc' measure in/i13/v.mrc --json out/x.json --pictures in/i13 -q
t 2 'convert: in/i13/d.mrc: is the input file' convert in/i13/hm.nrrd in/i13/d.mrc
t 2 'correct: in/i13/d.mrc: is the input file' correct in/i13/hm.nrrd in/i13/d.mrc --destripe
t 2 'segment: --out in/i13/d.mrc: is the input file' segment in/i13/hm.nrrd --out in/i13/d.mrc
t 2 "in/i13/habs.nrrd: nrrd field 'data file' /etc/passwd is an absolute path" convert in/i13/habs.nrrd out/o.mrc
t 2 "in/i13/habs.nrrd: nrrd field 'data file' /etc/passwd is an absolute path" info in/i13/habs.nrrd
t 2 "in/i13/hup.nrrd: nrrd field 'data file' ../i13/d.raw leaves the header's folder" convert in/i13/hup.nrrd out/o.mrc
t 2 "in/i13/hlink.nrrd: nrrd field 'data file' out.raw resolves to .*outside the header's folder" convert in/i13/hlink.nrrd out/o.mrc
t 2 "recon: --out in/ser: holds the input" recon --input 'in/ser/*.png' --out in/ser --quiet
t 2 "recon: --out in/ser: holds the input in/i13/../ser/slice_0000.png" recon --input in/i13/list.txt --out in/ser --quiet
t 2 "recon: --out in/cfg/.: holds the input in/cfg/r_self.cfg|recon: --out .*: holds the input" recon in/cfg/r_self.cfg --quiet
t 2 "recon: --out in: holds the input in/ser" recon --input in/ser --out in --quiet
t 2 "simulate: --out in/ser: holds the input in/ser/labels.mrc" simulate in/ser/labels.mrc --out in/ser --quiet
t 2 'plan: --out in/cfg/L.cfg: is the input file' plan in/cfg/L.cfg --quiet --out in/cfg/L.cfg
# Memory before decoding: the PNG header alone gives what a read allocates
# (the image, plus one decoded row, or all rows of an interlaced file);
# a file over the limit is refused before any pixel memory is allocated.
"$PY" - <<'EOF' || exit 1
import struct, zlib
def png(name, w, h, depth, ctype, interlace, raw):
    def chunk(t, d):
        return (struct.pack('>I', len(d)) + t + d +
                struct.pack('>I', zlib.crc32(t + d) & 0xffffffff))
    ihdr = struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, interlace)
    open('in/i13/' + name, 'wb').write(
        b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
        chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
# 20000 x 20000 grey declared, 80 kB of data
png('tall.png', 20000, 20000, 8, 0, 0, b'\0' * 20001 * 4)
# 300 x 300 RGBA 16-bit interlaced: 180 kB image, 720 kB to decode
png('il.png', 300, 300, 16, 6, 1, b'')
# a valid Adam7 grey image (value = (3x + 5y) mod 256), and a valid
# non-interlaced RGBA 16-bit image whose decoded rows are 4x its grey size
W, H = 13, 11
g = lambda x, y: (3 * x + 5 * y) % 256
raw = b''
for y0, x0, dy, dx in [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4),
                       (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]:
    xs = list(range(x0, W, dx))
    if not xs:
        continue
    for y in range(y0, H, dy):
        raw += b'\0' + bytes(g(x, y) for x in xs)
png('adam7.png', W, H, 8, 0, 1, raw)
raw = b''
for y in range(300):
    raw += b'\0' + b''.join(struct.pack('>HHHH', 1000 + y, 1000 + y, 1000 + y, 7)
                            for x in range(300))
png('rgba16.png', 300, 300, 16, 6, 0, raw)
EOF
sums >sum0
t 2 'in/i13/tall.png: .*20000 x 20000.*exceeds the limit of 104857600 bytes' convert in/i13/tall.png out/o.mrc --max-bytes 100M
t 2 'in/i13/il.png: png 300 x 300, 4 channel\(s\) of 16 bits, interlaced, needs [0-9]+ bytes to decode: exceeds the limit of 409600 bytes' convert in/i13/il.png out/o.mrc --max-bytes 400K
# an interlaced file decodes exactly; a colour file decodes row by row
# within a limit just above its grey image (180000 bytes)
if "$C" convert in/i13/adam7.png out/a.nrrd >/dev/null 2>stderr.txt &&
  "$C" convert in/i13/rgba16.png out/r.nrrd --max-bytes 190000 >/dev/null 2>>stderr.txt &&
  "$PY" - <<'EOF'; then ok; else bad "png decode: $(head -c 300 stderr.txt)"; fi
import struct, sys
def body(p):
    b = open(p, 'rb').read()
    return b[b.index(b'\n\n') + 2:]
a = body('out/a.nrrd')
want = bytes((3 * x + 5 * y) % 256 for y in range(11) for x in range(13))
r = body('out/r.nrrd')
v = struct.unpack('<%dH' % (len(r) // 2), r)
sys.exit(0 if a == want and len(v) == 90000 and
         all(v[y * 300 + 7] == 1000 + y for y in range(300)) else 1)
EOF
rm -rf out && mkdir out
# TIFF strips/tiles and NRRD doubles are charged with the output image
"$PY" - <<'EOF' || exit 1
import numpy as np, tifffile
a = (np.arange(200 * 300 * 3) % 251).astype(np.uint8).reshape(200, 300, 3)
# one deflate strip of 180000 decoded bytes for a 60000-byte grey image
tifffile.imwrite('in/i13/rgb1.tif', a, photometric='rgb', rowsperstrip=200,
                 compression='zlib')
EOF
{ printf 'NRRD0004\ntype: double\ndimension: 2\nsizes: 100 100\nencoding: raw\nendian: little\n\n'
  head -c 80000 /dev/zero; } >in/i13/dbl.nrrd
sums >sum0
t 2 'in/i13/rgb1.tif: page 0: a 300 x 200 image with a strip of 180000 bytes to decode exceeds the limit' convert in/i13/rgb1.tif out/o.mrc --max-bytes 190000
t 2 'in/i13/dbl.nrrd: nrrd double data need 80000 bytes to read and 40000 to store: exceeds the limit of 100000 bytes' convert in/i13/dbl.nrrd out/o.mrc --max-bytes 100000
# Non-finite pixels: float data holding NaN or Inf are refused by every
# reader (recon, correct, segment, measure, convert), naming the file, the
# count and the first one; MRC outputs never hold them (mrcfile.validate)
mkdir -p in/i13/fser
"$PY" - <<'EOF' || exit 1
import numpy as np, tifffile
rng = np.random.default_rng(0)
b = (rng.random((40, 40)) * 100).astype(np.float32)
for k in range(4):
    a = np.roll(b, k, axis=1).copy()
    if k == 2:
        a[5, 7] = np.nan
        a[9, 9] = np.inf
    tifffile.imwrite('in/i13/fser/s%d.tif' % k, a)
a = np.ones((3, 16, 16), '<f4')
a[1, 2, 3] = np.nan
hdr = ('NRRD0004\ntype: float\ndimension: 3\nsizes: 16 16 3\n'
       'encoding: raw\nendian: little\n\n').encode()
open('in/i13/nan.nrrd', 'wb').write(hdr + a.tobytes())
EOF
sums >sum0
t 2 'slice 2: in/i13/fser/s2.tif: 2 non-finite pixel\(s\) \(NaN or Inf\) in float data, first at x 7, y 5' recon --input in/i13/fser --out out/r --quiet
t 2 'in/i13/fser/s2.tif: 2 non-finite pixel' correct in/i13/fser out --destripe
t 2 'in/i13/nan.nrrd: 1 non-finite pixel\(s\) .*x 3, y 2, slice 1' convert in/i13/nan.nrrd out/o.mrc
t 2 'in/i13/nan.nrrd: 1 non-finite pixel' correct in/i13/nan.nrrd out/o.mrc --destripe
t 2 'in/i13/nan.nrrd: 1 non-finite pixel' segment in/i13/nan.nrrd --out out/l.mrc
t 2 'in/i13/nan.nrrd: 1 non-finite pixel' measure in/i13/nan.nrrd --json out/m.json -q
# a float recon volume passes mrcfile.validate (skipped without mrcfile)
if "$PY" -c 'import mrcfile' 2>/dev/null; then
  mkdir -p in/i13/fok && cp in/i13/fser/s[013].tif in/i13/fok/
  if "$C" recon --input in/i13/fok --out out/r --pixel-size-nm 5 --slice-nm 5 --quiet \
    >/dev/null 2>stderr.txt &&
    "$PY" -c 'import mrcfile, sys; sys.exit(0 if mrcfile.validate("out/r/volume.mrc", print_file=open("/dev/null", "w")) else 1)'; then
    ok
  else
    bad "float recon volume: mrcfile.validate failed ($(head -c 200 stderr.txt))"
  fi
  rm -rf out && mkdir out
fi
# Geometry in a physical range (0.01 nm .. 1 mm) from options, run files
# and metadata: 1e-300 nm overflowed the isotropic slice count (exit 0)
mkdir -p in/i13/fei
"$PY" - <<'EOF' || exit 1
import numpy as np, tifffile
rng = np.random.default_rng(0)
b = (rng.random((48, 48)) * 255).astype(np.uint8)
ini = '[Scan]\r\nPixelWidth=1e-309\r\nPixelHeight=1e-309\r\n'
for k in range(4):
    tifffile.imwrite('in/i13/fei/s%d.tif' % k, np.roll(b, k, axis=1),
                     extratags=[(34682, 's', 0, ini, True)])
EOF
printf 'input = "../ser"; out = "../../out/r"; pixel_size_nm = 1e-300; isotropic = true; slice_nm = 5.0;\n' >in/cfg/r_tiny.cfg
sums >sum0
t 2 'pixel_size_nm\[0\] must be in \[0, 1e\+06\] nm, 0 for unknown, at least 0.01 nm when known \(got 1e-300\)' recon --input in/ser --out out/r --iso --pixel-size-nm 1e-300 --slice-nm 5 --quiet
t 2 'slice_nm must be in \[0, 1e\+06\] nm, 0 for unknown, at least 0.01 nm when known \(got 1e-300\)' recon --input in/ser --out out/r --pixel-size-nm 5 --slice-nm 1e-300 --quiet
t 2 'isotropic output would be 3e\+08 voxels along z' recon --input in/ser --out out/r --iso --pixel-size-nm 0.01 --slice-nm 1e6 --quiet
t 2 'in/i13/fei/s0.tif: pixel size 1e-300 nm from the file metadata \(Scan/PixelWidth\) is outside 0.01..1e6 nm: pass --pixel-size-nm' recon --input in/i13/fei --out out/r --iso --slice-nm 5 --quiet
t 2 'r_tiny.cfg:1: pixel_size_nm must be 0 \(unknown\) or at least 0.01 nm' recon in/cfg/r_tiny.cfg
# libconfig: @include of a folder or a missing file, and files over 1 MiB,
# are refused before libconfig reads them (libconfig 1.5 exited from its
# scanner with "input in flex scanner failed", naming neither)
mkdir -p in/i13/incdir
{ echo '@include "in/i13/incdir"'; cat "$L"; } >in/cfg/inc_dir.cfg
{ echo '@include "in/i13/none.cfg"'; cat "$L"; } >in/cfg/inc_none.cfg
printf 'input = "../ser"; out = "../../out/r";\n  @include "in/i13/incdir"\n' >in/cfg/r_inc.cfg
printf 'materials = ( );\n@include "in/i13/incdir"\n' >in/cfg/m_inc.cfg
printf 'voxel_nm = 20.0;\n@include "in/i13/incdir"\n' >in/cfg/sv_inc.cfg
"$PY" -c "open('in/cfg/r_big.cfg', 'w').write('x = \"' + 'a' * (4 << 20) + '\";\n')"
sums >sum0
t 2 'plan: session: in/cfg/inc_dir.cfg:1: @include in/i13/incdir: not a regular file \(a folder\)' plan in/cfg/inc_dir.cfg --quiet
t 2 'workflow: session: in/cfg/inc_dir.cfg:1: @include in/i13/incdir: not a regular file' workflow in/cfg/inc_dir.cfg
t 2 'in/cfg/inc_none.cfg:1: @include in/i13/none.cfg: No such file' plan in/cfg/inc_none.cfg --quiet
t 2 'recon: recon: in/cfg/r_inc.cfg:2: @include in/i13/incdir: not a regular file' recon in/cfg/r_inc.cfg
t 2 'in/cfg/m_inc.cfg:2: @include in/i13/incdir: not a regular file' materials --materials in/cfg/m_inc.cfg
t 2 'in/cfg/sv_inc.cfg:2: @include in/i13/incdir: not a regular file' slice-view in/cfg/sv_inc.cfg
t 2 'in/cfg/r_big.cfg: 4194312 bytes: a configuration file is at most 1048576 bytes' recon in/cfg/r_big.cfg
# Exit status: an output (file or folder) whose folder does not exist or
# is not a folder is bad input (2) in every command, found before anything
# is written (plan/slice-view --out, measure --pictures and file outputs
# gave 1, phantom/recon/simulate/--export 2)
t 2 'measure: --pictures out/no/p: cannot create: out/no does not exist' measure in/i13/v.mrc --json out/x.json --pictures out/no/p -q
t 2 'slice-view: .*cannot create folder out/no/d' slice-view in/cfg/SV.cfg --out out/no/d
t 2 'segment: --out out/no/l.mrc: cannot create: out/no does not exist' segment in/i13/v.mrc --out out/no/l.mrc
t 2 'measure: --json out/no/x.json: cannot create: out/no does not exist' measure in/i13/v.mrc --json out/no/x.json -q
t 2 'workflow: --json in/s.png/x.json: cannot create: in/s.png is not a folder' workflow in/cfg/L.cfg --json in/s.png/x.json
t 2 'segment: --voxel-nm needs three sizes > 0, in 0.01..1e6 nm \(got 1e-300,1,1\)' segment in/i13/v.mrc --out out/l.mrc --voxel-nm 1e-300,1,1
t 2 'measure: --voxel-nm needs X,Y,Z sizes > 0, in 0.01..1e6 nm' measure in/i13/v.mrc --json out/m.json --voxel-nm 1e-300,1,1 -q
t 2 'phantom: --pixel-nm must be > 0, in 0.01..1e6 nm \(got 1e-300\)' phantom --kind particles --out out/p --pixel-nm 1e-300
t 2 'simulate: --voxel-nm expects X,Y,Z .* in \[0.01, 1e6\] nm' simulate in/i13/v.mrc --out out/s --voxel-nm 1e-300
t 2 'simulate: --slice-nm must be in \[0.01, 1e6\] nm \(got 1e-300\)' simulate --phantom coating --out out/s --slice-nm 1e-300
# recon --memory charges the image each slice file is decoded into (it
# was not charged: 1.77 GB resident under --memory 1G)
"$C" phantom --kind particles --out in/i13/bigp --size 1024x1024x2 --bits 16 >/dev/null || exit 1
sums >sum0
t 2 'recon: memory budget: slice file decode needs 2097152 bytes, 0 of 1048576' recon --input in/i13/bigp --out out/r --memory 1M --quiet
# the detached data file is found by content, whatever the header's name
head -c 1024 /dev/urandom >in/i13/d2.mrc
nrrd13 hdr.txt d2.mrc
sums >sum0
t 2 'convert: in/i13/d2.mrc: is the input file' convert in/i13/hdr.txt in/i13/d2.mrc

# ---- destriping method (issue 11: VSNR) -----------------------------------
printf 'input = "../ser"; out = "../../out/r"; correct = { destripe_method = "fast"; };\n' >in/cfg/r_dm.cfg
sums >sum0
t 2 '--destripe-method must be one of vsnr\|wavelet\|wedge\|robust \(got .fast.\)' correct in/s.png out/o.png --destripe-method fast
t 2 '--destripe-method must be one of vsnr\|wavelet\|wedge\|robust \(got .VSNR.\)' recon --input in/ser --out out/r --destripe-method VSNR
t 2 'r_dm.cfg:1: correct.destripe_method has an unsupported value' recon in/cfg/r_dm.cfg
t 2 'destripe.vsnr_weight must be in \(0, 1e6\] \(got -1\)' correct in/s.png out/o.png --destripe --vsnr-weight -1
t 2 '--vsnr-sigma-along-px expects a finite number' correct in/s.png out/o.png --destripe --vsnr-sigma-along-px nan
t 2 'destripe.vsnr_sigma_across_px must be in \(0, 1000\] \(got 5000\)' correct in/s.png out/o.png --destripe-method vsnr --vsnr-sigma-across-px 5000
t 2 '--vsnr-iterations must be an integer in 1..10000' correct in/s.png out/o.png --destripe --vsnr-iterations 0
t 2 '--destripe-levels does not apply to destripe method vsnr' correct in/s.png out/o.png --destripe-method vsnr --destripe-levels 6
t 2 '--wavelet and --vsnr-weight belong to different destripe methods' correct in/s.png out/o.png --destripe --wavelet db4 --vsnr-weight 3
t 2 '--vsnr-weight needs --destripe or --destripe-method' correct in/s.png out/o.png --vsnr-weight 3 --normalize
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
