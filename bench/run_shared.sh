#!/bin/bash
# run_shared.sh -- `cryofib recon` on a shared machine (issue 18, item 2).
#
#   bench/run_shared.sh [BUILD_DIR] [SIZE] [NZ]
#
# Renders a SIZE x SIZE x NZ (default 768 x 768 x 120) 16-bit PNG particles
# phantom series with `cryofib phantom`, then times `cryofib recon` on it
# (files in, volume.mrc out, the command's defaults) four ways:
#   quiet machine, 1 thread (OMP_NUM_THREADS=1)     -> T1
#   quiet machine, default threads (all cores)      -> Tq
#   two other CPU-bound processes running, 1 thread -> T1 loaded
#   two other CPU-bound processes running, default  -> Tl
# The competing load is two busy loops (`sha256sum /dev/zero`), started
# before and killed after each loaded run.  The target (issue 18): on the
# loaded machine the default (all cores) run takes at most 1.5x the
# single-thread run -- it never collapses by spin-waiting for cores the
# other processes hold (the command waits passively, cli/main.c).  For
# reference the table also gives Tl against the quiet single-thread run:
# with three runnable threads on two cores a fair share makes that 1.5x
# for one thread.  Every run's volume.mrc is hashed: the
# outputs must be identical whatever the thread count and load.  Each
# configuration runs REPS (default 3) times; the table keeps the minimum
# and the maximum wall time, and the peak resident memory (/usr/bin/time).
# Results go to stdout and bench/results/shared.md.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
B="${1:-$HERE/../build}"
N="${2:-768}"
NZ="${3:-120}"
REPS="${REPS:-3}"
C="$B/cryofib"
[ -x "$C" ] || { echo "build first: $C missing"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/fibbench-shared-XXXXXX")
HOGS=""
cleanup() { [ -n "$HOGS" ] && kill $HOGS 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

load0=$(cut -d' ' -f1 /proc/loadavg)
echo "== load average at start: $load0 ($(nproc) cores)"
echo "== rendering ${N}x${N}x${NZ} phantom (PNG, 16 bit)"
"$C" phantom --kind particles --size "${N}x${N}x${NZ}" --seed 5 \
  --out "$W/series" >/dev/null

hogs_start() {
  HOGS=""
  for _ in 1 2; do
    sha256sum /dev/zero >/dev/null 2>&1 &
    HOGS="$HOGS $!"
  done
  sleep 1
}
hogs_stop() { kill $HOGS 2>/dev/null; wait $HOGS 2>/dev/null || true; HOGS=""; }

# run TAG THREADS LOADED: REPS runs; prints "TAG min max rss hash"
run() {
  local tag=$1 th=$2 loaded=$3 best="" worst="" rss=0 hash=""
  for r in $(seq "$REPS"); do
    [ "$loaded" = 1 ] && hogs_start
    local env_th=()
    [ "$th" != default ] && env_th=(OMP_NUM_THREADS="$th")
    rm -rf "$W/out"
    local t
    t=$( { env "${env_th[@]}" /usr/bin/time -f "%e %M" "$C" recon \
             --input "$W/series" --out "$W/out" --pixel-size-nm 10 \
             --slice-nm 10 --quiet >/dev/null 2>"$W/err"; } 2>&1; tail -1 "$W/err")
    [ "$loaded" = 1 ] && hogs_stop
    local wall=${t%% *} kb=${t##* }
    [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}' && best=$wall
    [ -z "$worst" ] || awk -v a="$wall" -v b="$worst" 'BEGIN{exit !(a>b)}' && worst=$wall
    [ "$kb" -gt "$rss" ] && rss=$kb
    local h
    h=$(sha256sum "$W/out/volume.mrc" | cut -c1-16)
    [ -z "$hash" ] && hash=$h
    [ "$h" = "$hash" ] || hash="DIFFERS"
  done
  echo "$tag $best $worst $((rss / 1024)) $hash"
}

R1=$(run "quiet-1T" 1 0)
RQ=$(run "quiet-default" default 0)
RL1=$(run "loaded-1T" 1 1)
RL=$(run "loaded-default" default 1)
for r in "$R1" "$RQ" "$RL1" "$RL"; do echo "$r"; done

t1=$(echo "$R1" | cut -d' ' -f2)
tq=$(echo "$RQ" | cut -d' ' -f2)
tl=$(echo "$RL" | cut -d' ' -f2)
tlw=$(echo "$RL" | cut -d' ' -f3)
tl1=$(echo "$RL1" | cut -d' ' -f2)
hashes=$(for r in "$R1" "$RQ" "$RL1" "$RL"; do echo "$r" | cut -d' ' -f5; done | sort -u | wc -l)
same=$([ "$hashes" = 1 ] && ! echo "$R1 $RQ $RL1 $RL" | grep -q DIFFERS && echo yes || echo no)
ratio=$(awk -v a="$tl" -v b="$tl1" 'BEGIN{printf "%.2f", a/b}')
ratiow=$(awk -v a="$tlw" -v b="$tl1" 'BEGIN{printf "%.2f", a/b}')
ratioq=$(awk -v a="$tl" -v b="$t1" 'BEGIN{printf "%.2f", a/b}')
speed=$(awk -v a="$t1" -v b="$tq" 'BEGIN{printf "%.2f", a/b}')
echo "loaded: default / 1 thread $ratio (worst run $ratiow); loaded default / quiet 1 thread $ratioq; quiet speed-up $speed x; identical outputs: $same"

OUT="$HERE/results/shared.md"
{
  echo "# Recon on a shared machine"
  echo
  echo "\`bench/run_shared.sh\` ($("$C" --version 2>/dev/null | head -1); $(nproc) cores; load average $load0 at the start).  \`cryofib recon\` with its defaults on a ${N} x ${N} x ${NZ} 16-bit PNG particles phantom series (files in, volume.mrc out), $REPS runs per row; \"loaded\" = two other CPU-bound processes (\`sha256sum /dev/zero\`) running for the whole run."
  echo
  echo "| run | threads | wall min, s | wall max, s | peak RSS, MiB | volume.mrc sha256 |"
  echo "|---|---|---|---|---|---|"
  for r in "$R1" "$RQ" "$RL1" "$RL"; do
    set -- $r
    case $1 in *1T) th=1;; *) th="default ($(nproc))";; esac
    echo "| ${1%-*} | $th | $2 | $3 | $4 | \`$5\` |"
  done
  echo
  echo "Loaded machine, default threads against one thread (best runs): **${ratio}x** (the worst default run ${ratiow}x; issue 18 target <= 1.5x: no collapse).  Loaded default against the quiet single-thread run: ${ratioq}x (a fair share of two cores among three runnable threads is 1.5x for one thread).  Quiet machine, default threads: ${speed}x faster than one thread -- pass 1 decodes the PNG slices on one thread (issue 18, item 1).  Outputs identical across thread counts and load: $same."
} >"$OUT"
echo "wrote $OUT"
