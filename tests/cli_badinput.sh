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
t 1 'out/no/o.tif: cannot create' convert in/s.png out/no/o.tif
t 1 'in/s.png/o.tif' convert in/s.tif in/s.png/o.tif
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
t 1 'out/no/x.json: cannot create' plan in/cfg/L.cfg --quiet --json out/no/x.json
t 1 'out/no/x.csv: cannot create' plan in/cfg/L.cfg --quiet --json out/a.json --csv out/no/x.csv
t 1 'cannot create folder out/no/d' plan in/cfg/L.cfg --quiet --json out/a.json --csv out/a.csv --out out/no/d
t 1 'out/no/x.csv: cannot create' slice-view in/cfg/SV.cfg --json out/a.json --csv out/no/x.csv
t 1 '--out in/s.png exists and is not a folder' slice-view in/cfg/SV.cfg --csv out/a.csv --out in/s.png
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
t 2 'in/s.png: a series is a folder' recon --input in/s.png --out out/r
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
t 2 'cryo-4site-session.cfg: --export is not supported for sessions' plan "$SRC/examples/cryo-4site-session.cfg" --export ptf out/e
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
