#!/bin/bash
# cli_txn.sh -- all-or-none outputs (fib/txn.h): a write failure at each
# output position (FIB_TEST_FAIL_WRITE, a test-only hook), a rerun over an
# earlier result, kill -9 and SIGTERM/SIGINT during a recon, the recovery
# of a dead run's stage (roll back without COMMIT, roll forward with it),
# and, when a tmpfs can be mounted (root), a real full disk.
set -u
C="$FIB_CLI"
T=$(mktemp -d "${TMPDIR:-/tmp}/fibtest-txn-XXXXXX")
MNT=""
cleanup() {
    [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
cd "$T" || exit 1

# leftovers: stages and single-file temporaries anywhere under a folder
leftovers() { find "$1" \( -name '.cryofib-txn-*' -o -name '*.tmp-[0-9]*-[0-9]*' \) 2>/dev/null; }
# checksums of a folder's files (names and contents), leftovers of a killed
# run aside (they are checked on their own)
sums() {
    (cd "$1" && find . -type f -not -path '*/.cryofib-txn-*' | LC_ALL=C sort |
        xargs -r md5sum)
}
# a pid that is certainly dead (a finished child of this shell)
dead_pid() {
    sh -c 'exit 0' &
    local p=$!
    wait $p
    echo $p
}

"$C" phantom --kind particles --out ph --size 96x80x12 --seed 4 \
    --slice-nm 2.5 >/dev/null || {
    echo "phantom failed"
    exit 1
}
"$C" phantom --kind particles --out ch --size 96x80x12 --seed 4 \
    --slice-nm 2.5 --bits 8 >/dev/null || exit 1
R=(recon --input ph --pixel-size-nm 10 --slice-nm 2.5 --quiet)
RCH=("${R[@]}" --channel bse=ch)
# recon with a channel writes 6 files: volume, ortho, the channel volume,
# drift.csv, drift.png, report.json
NREC=6

# ---- (a) a failure at each output position: nothing new, no leftovers --
for n in $(seq 1 $NREC); do
    FIB_TEST_FAIL_WRITE=$n "$C" "${RCH[@]}" --out new >log 2>&1
    rc=$?
    if [ $rc -ne 1 ]; then
        bad "recon, write $n fails: exit $rc ($(head -c 200 log))"
    elif [ -e new ]; then
        bad "recon, write $n fails: output folder left: $(ls -A new | tr '\n' ' ')"
    elif [ -n "$(leftovers .)" ]; then
        bad "recon, write $n fails: leftovers $(leftovers .)"
    elif [ "$(wc -l <log)" != 1 ] || ! grep -q 'FIB_TEST_FAIL_WRITE' log; then
        bad "recon, write $n fails: message $(cat log)"
    else
        ok
    fi
done
# position NREC+1 does not exist: the run succeeds (every position covered)
FIB_TEST_FAIL_WRITE=$((NREC + 1)) "$C" "${RCH[@]}" --out new >log 2>&1 &&
    ok || bad "recon with $NREC outputs failed past them: $(cat log)"
[ "$(ls -A new | LC_ALL=C sort | tr '\n' ' ')" = \
    ".cryofib-result drift.csv drift.png ortho.png report.json volume.mrc volume_bse.mrc " ] &&
    ok || bad "recon outputs: $(ls -A new | tr '\n' ' ')"

# a channel whose last slice is cut: found while that channel is
# reconstructed, after the volume and the ortho view are written
mkdir -p chbad
cp ch/slice_*.png chbad/
head -c 300 ch/slice_0011.png >chbad/slice_0011.png
"$C" "${R[@]}" --channel bse=chbad --out badch >log 2>&1
rc=$?
[ $rc -ne 0 ] && [ ! -e badch ] && [ -z "$(leftovers .)" ] && ok ||
    bad "recon with a bad channel: exit $rc, left $(ls -A badch 2>/dev/null | tr '\n' ' ')"

# ---- (b) an earlier result: failures keep it, success replaces it -------
echo "my notes" >new/notes.txt
sums new >sum_prev
for n in $(seq 1 5); do
    # a different result (no channel, other slice thickness) fails at n
    FIB_TEST_FAIL_WRITE=$n "$C" "${R[@]}" --slice-nm 3 --out new >log 2>&1
    rc=$?
    if [ $rc -ne 1 ]; then
        bad "rerun, write $n fails: exit $rc"
    elif ! sums new | cmp -s - sum_prev; then
        bad "rerun, write $n fails: the earlier result changed"
    elif [ -n "$(leftovers .)" ]; then
        bad "rerun, write $n fails: leftovers $(leftovers .)"
    else
        ok
    fi
done
"$C" "${R[@]}" --slice-nm 3 --out new >log 2>&1 && ok || bad "rerun: $(cat log)"
[ ! -e new/volume_bse.mrc ] && ok || bad "rerun: the old channel volume is mixed in"
[ "$(cat new/notes.txt)" = "my notes" ] && ok || bad "rerun: a file not of the result went"
grep -q '"slice_nm": 3' new/report.json && ok || bad "rerun: report not replaced"
[ -z "$(leftovers .)" ] && ok || bad "rerun: leftovers $(leftovers .)"
# a folder from before the manifest: the recon files are the old result
rm new/.cryofib-result
cp new/volume.mrc new/volume_old.mrc
"$C" "${R[@]}" --out new >log 2>&1 && ok || bad "legacy rerun: $(cat log)"
[ ! -e new/volume_old.mrc ] && [ -e new/notes.txt ] && ok ||
    bad "legacy folder: $(ls -A new | tr '\n' ' ')"

# ---- measure: json, csv, mesh and 5 pictures -------------------------------
"$C" phantom --kind particles --out sm --size 32x32x6 --seed 4 >/dev/null || exit 1
M=(measure sm/labels.mrc --phase 1 --no-thickness --quiet --json m/r.json
    --csv m/r.csv --mesh m/p.ply --pictures m/pic)
# mesh, 5 pictures (3 orthoslices, projection, surface), json, csv
NMEA=8
mkdir m
for n in $(seq 1 $NMEA); do
    FIB_TEST_FAIL_WRITE=$n "$C" "${M[@]}" >log 2>&1
    rc=$?
    if [ $rc -ne 1 ]; then
        bad "measure, write $n fails: exit $rc ($(tail -c 200 log))"
    elif [ -n "$(ls -A m)" ]; then
        bad "measure, write $n fails: left $(ls -A m | tr '\n' ' ')"
    else
        ok
    fi
done
FIB_TEST_FAIL_WRITE=$((NMEA + 1)) "$C" "${M[@]}" >log 2>&1 && ok ||
    bad "measure past its $NMEA outputs: $(cat log)"
[ "$(ls m | tr '\n' ' ')" = "p.ply pic r.csv r.json " ] && ok ||
    bad "measure outputs: $(ls m | tr '\n' ' ')"
sums m >sum_m
for n in 1 4 $NMEA; do
    FIB_TEST_FAIL_WRITE=$n "$C" "${M[@]}" --smooth 2 >log 2>&1
    [ $? -eq 1 ] && sums m | cmp -s - sum_m && [ -z "$(leftovers m)" ] && ok ||
        bad "measure rerun, write $n fails: the earlier result changed"
done

# ---- segment, convert, correct, plan: a failed run keeps the earlier output
mkdir -p o
"$C" recon "${R[@]:1}" --out rv >/dev/null 2>&1 || bad "recon for rv"
"$C" segment rv/volume.mrc --out o/lab.mrc >/dev/null 2>&1 && ok || bad "segment"
"$C" convert rv/volume.mrc o/v.nrrd >/dev/null 2>&1 && ok || bad "convert"
mkdir -p o/cs
"$C" correct ph o/cs --destripe --quiet >/dev/null 2>&1 && ok || bad "correct series"
sums o >sum_o
# one output file each: the one write fails
for n in 1; do
    FIB_TEST_FAIL_WRITE=$n "$C" segment rv/volume.mrc --out o/lab.mrc --multi-otsu 3 >log 2>&1
    [ $? -eq 1 ] && ok || bad "segment, write $n fails: $(cat log)"
    FIB_TEST_FAIL_WRITE=$n "$C" convert ph/labels.mrc o/v.nrrd >log 2>&1
    [ $? -eq 1 ] && ok || bad "convert, write $n fails: $(cat log)"
done
# correct writes 12 slices: fail the 1st, the 7th and the 12th
for n in 1 7 12; do
    FIB_TEST_FAIL_WRITE=$n "$C" correct ph o/cs --destripe --quiet >log 2>&1
    [ $? -eq 1 ] && ok || bad "correct, write $n fails: exit $? $(cat log)"
done
sums o | cmp -s - sum_o && [ -z "$(leftovers o)" ] && ok ||
    bad "segment/convert/correct failures changed the earlier outputs"
# plan: json, csv, pictures and an export; the export's 2nd file fails
EX="$(dirname "$0")/../examples/cryo-4site-session.cfg"
for n in 1 3 6; do
    FIB_TEST_FAIL_WRITE=$n "$C" plan "$EX" --quiet --json o/p.json --csv o/p.csv \
        --out o/pics --export ptf o/exp >log 2>&1
    rc=$?
    [ $rc -eq 1 ] && [ ! -e o/p.json ] && [ ! -e o/pics ] && [ ! -e o/exp ] &&
        [ -z "$(leftovers o)" ] && ok || bad "plan, write $n fails: exit $rc, $(ls o | tr '\n' ' ')"
done
"$C" plan "$EX" --quiet --json o/p.json --csv o/p.csv --out o/pics \
    --export ptf o/exp >log 2>&1 && [ -s o/p.json ] && [ -n "$(ls o/exp)" ] &&
    [ -z "$(leftovers o)" ] && ok || bad "plan with an export: $(cat log)"

# an OME-Zarr store (a folder tree): a failed rerun keeps the earlier store,
# a successful one replaces it whole
"$C" convert ph/labels.mrc o/z.zarr >/dev/null 2>&1 && ok || bad "convert to zarr"
sums o/z.zarr >sum_z
FIB_TEST_FAIL_WRITE=1 "$C" convert rv/volume.mrc o/z.zarr >log 2>&1
[ $? -eq 1 ] && sums o/z.zarr | cmp -s - sum_z && [ -z "$(leftovers o)" ] && ok ||
    bad "zarr rerun, write fails: $(cat log)"
"$C" convert rv/volume.mrc o/z.zarr >log 2>&1 && ! sums o/z.zarr | cmp -s - sum_z &&
    [ -z "$(leftovers o)" ] && ok || bad "zarr rerun: $(cat log)"

# ---- recovery of dead runs' leftovers ------------------------------------
# roll back: a dead run's stage without COMMIT, and a lone temporary
dp=$(dead_pid)
mkdir -p "r/.cryofib-txn-$dp-0/new"
head -c 100000 /dev/zero >"r/.cryofib-txn-$dp-0/new/volume.mrc"
head -c 100000 /dev/zero >"r/volume.mrc.tmp-$dp-3"
echo keep >"r/data.tmp-notapid"
"$C" "${R[@]}" --out r/out >log 2>&1 && ok || bad "run beside leftovers: $(cat log)"
[ -z "$(leftovers r)" ] && ok || bad "dead run's leftovers not removed: $(leftovers r)"
[ -e r/data.tmp-notapid ] && ok || bad "a user file named like a temporary went"
# roll forward: a dead run stopped inside its commit (journal + COMMIT):
# the next run in the folder completes the moves
mkdir -p "r/.cryofib-txn-$dp-1/new"
echo new >"r/.cryofib-txn-$dp-1/new/a.txt"
echo old >r/a.txt
echo stale >r/b.txt
printf 'D b.txt\n' >"r/.cryofib-txn-$dp-1/journal"
: >"r/.cryofib-txn-$dp-1/COMMIT"
"$C" "${R[@]}" --out r/out >log 2>&1 && ok || bad "run after a crashed commit"
[ "$(cat r/a.txt)" = new ] && [ ! -e r/b.txt ] && [ -z "$(leftovers r)" ] && ok ||
    bad "crashed commit not rolled forward: $(ls -A r | tr '\n' ' ')"
# several folders: a secondary stage follows its primary's COMMIT
mkdir -p r/s1 r/s2 "r/s1/.cryofib-txn-$dp-2/new" "r/s2/.cryofib-txn-$dp-3/new"
P1="$T/r/s1/.cryofib-txn-$dp-2"
P2="$T/r/s2/.cryofib-txn-$dp-3"
echo one >"$P1/new/x.json"
echo two >"$P2/new/y.csv"
printf 'S %s\n' "$P2" >"$P1/journal"
printf 'P %s\n' "$P1" >"$P2/journal"
: >"$P1/COMMIT"
"$C" measure sm/labels.mrc --quiet --json r/s2/z.json >log 2>&1 || bad "measure: $(cat log)"
[ "$(cat r/s1/x.json 2>/dev/null)" = one ] && [ "$(cat r/s2/y.csv 2>/dev/null)" = two ] &&
    [ -z "$(leftovers r)" ] && ok || bad "secondary stage: not rolled forward with its primary"
# the same without COMMIT: both roll back
mkdir -p "r/s1/.cryofib-txn-$dp-4/new" "r/s2/.cryofib-txn-$dp-5/new"
P1="$T/r/s1/.cryofib-txn-$dp-4"
P2="$T/r/s2/.cryofib-txn-$dp-5"
echo one >"$P1/new/u.json"
echo two >"$P2/new/v.csv"
printf 'S %s\n' "$P2" >"$P1/journal"
printf 'P %s\n' "$P1" >"$P2/journal"
"$C" measure sm/labels.mrc --quiet --json r/s2/z.json >log 2>&1 || bad "measure: $(cat log)"
[ ! -e r/s2/v.csv ] && [ ! -e r/s1/u.json ] && [ -z "$(leftovers r)" ] && ok ||
    bad "uncommitted secondary stage not rolled back"

# ---- (c) kill -9 and (d) SIGTERM / SIGINT during a larger recon -----------
"$C" phantom --kind particles --out big --size 320x320x48 --seed 5 \
    --slice-nm 2.5 >/dev/null || bad "big phantom"
# start a recon into $2, wait until its stage exists, then send signal $1
signal_run() {
    "$C" recon --input big --out "$2" --pixel-size-nm 10 --slice-nm 2.5 \
        --quiet >/dev/null 2>sig.log &
    local p=$! i
    for i in $(seq 1 200); do
        [ -n "$(find . -maxdepth 2 -name '.cryofib-txn-*' 2>/dev/null)" ] && break
        sleep 0.02
    done
    sleep 0.2
    kill -"$1" $p
    wait $p
    return $?
}
signal_run KILL k9
rc=$?
[ $rc -eq 137 ] && ok || bad "kill -9: exit $rc"
[ ! -e k9 ] && ok || bad "kill -9: partial output folder $(ls -A k9 | tr '\n' ' ')"
stale=$(find . -maxdepth 1 -name '.cryofib-txn-*')
[ -n "$stale" ] && ok || bad "kill -9: no stage of the killed run (ran too fast?)"
"$C" "${R[@]}" --out k9 >log 2>&1 && ok || bad "run after kill -9: $(cat log)"
[ -z "$(find . -maxdepth 1 -name '.cryofib-txn-*')" ] && ok ||
    bad "the killed run's stage was not removed"
# a killed rerun over an earlier result leaves it intact
sums k9 >sum_k9
signal_run KILL k9
sums k9 | cmp -s - sum_k9 && ok || bad "kill -9 over an earlier result changed it"
[ -n "$(leftovers k9)" ] && ok || bad "kill -9 over k9: no stage (ran too fast?)"
# the next run in k9 (failing on purpose) removes the dead run's stage
FIB_TEST_FAIL_WRITE=1 "$C" "${R[@]}" --out k9 >/dev/null 2>&1
sums k9 | cmp -s - sum_k9 && [ -z "$(leftovers k9)" ] && ok ||
    bad "stage in k9 not removed: $(leftovers k9)"

for s in TERM:143 INT:130; do
    sig=${s%:*}
    want=${s#*:}
    signal_run "$sig" "s$sig"
    rc=$?
    [ $rc -eq "$want" ] && ok || bad "SIG$sig: exit $rc, expected $want ($(cat sig.log))"
    [ ! -e "s$sig" ] && [ -z "$(leftovers .)" ] && ok ||
        bad "SIG$sig: left $(ls -d "s$sig" 2>/dev/null) $(leftovers .)"
    [ "$(wc -l <sig.log)" -le 1 ] && grep -q 'canceled' sig.log && ok ||
        bad "SIG$sig: message '$(cat sig.log)'"
done

# measure: SIGTERM during the work (its outputs are staged from the start)
mkdir -p mt
"$C" measure big/labels.mrc --json mt/r.json --csv mt/r.csv --pictures mt/pic \
    --quiet >/dev/null 2>sig.log &
p=$!
for i in $(seq 1 200); do
    [ -n "$(find mt -maxdepth 1 -name '.cryofib-txn-*' 2>/dev/null)" ] && break
    sleep 0.02
done
sleep 0.3
kill -TERM $p
wait $p
rc=$?
[ $rc -eq 143 ] && [ -z "$(ls -A mt)" ] && ok ||
    bad "measure SIGTERM: exit $rc, left $(ls -A mt | tr '\n' ' ') ($(cat sig.log))"

# ---- a real full disk (a 1 MB tmpfs; root only) ---------------------------
if [ "$(id -u)" = 0 ] && mkdir -p "$T/mnt" && mount -t tmpfs -o size=1m tmpfs "$T/mnt" 2>/dev/null; then
    MNT="$T/mnt"
    # the volume (1.4 MB of float voxels) does not fit
    "$C" recon --input big --out "$MNT/r" --pixel-size-nm 10 --slice-nm 2.5 \
        --quiet >log 2>&1
    rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <log)" = 1 ] && ok || bad "full disk: exit $rc, $(cat log)"
    [ -z "$(ls -A "$MNT")" ] && ok || bad "full disk: left $(ls -A "$MNT")"
    # the small recon fits, then a rerun with a channel does not: the
    # earlier result stays
    "$C" "${R[@]}" --out "$MNT/r" >log 2>&1 && ok || bad "small recon on tmpfs: $(cat log)"
    sums "$MNT/r" >sum_t
    head -c 400000 /dev/zero >"$MNT/fill"
    "$C" "${RCH[@]}" --out "$MNT/r" >log 2>&1
    [ $? -eq 1 ] && sums "$MNT/r" | cmp -s - sum_t && [ -z "$(leftovers "$MNT")" ] && ok ||
        bad "full disk over an earlier result: $(cat log)"
else
    echo "note: no tmpfs (not root or no mount); full disk covered by the injection"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
