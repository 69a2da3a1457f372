#!/usr/bin/env bash
# fuzz/run.sh -- build the libFuzzer targets with clang (ASan + UBSan) and
# run each for a fixed time on its committed corpus (fuzz/corpus/TARGET).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 10 s, all)
#
# Fails (exit 1) on any finding: a crash, a sanitizer report, a leak, a
# timeout (> FUZZ_TIMEOUT_S, default 10 s, for one input), an input that
# allocates over FUZZ_RSS_MB (default 2048) or one that makes the target
# exit.  The input that did it is saved as
# BUILD/artifacts/TARGET/crash-* (or leak-, timeout-, oom-); reproduce with
# BUILD/fuzz/TARGET FILE.  New inputs go to BUILD/corpus/TARGET, never
# into the committed corpus.  Exit 77 when clang (with its fuzzer runtime)
# is missing.  setup.sh test runs it with 10 s per target (fuzz/README.md).
# Environment: FIB_FUZZ_BUILD (build folder, default build-fuzz),
# FUZZ_JOBS (build jobs, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

SECONDS_PER="${1:-10}"
[ $# -gt 0 ] && shift
case "$SECONDS_PER" in
  '' | *[!0-9]*)
    echo "fuzz/run.sh: SECONDS_PER_TARGET must be a whole number (got '$SECONDS_PER')" >&2
    exit 2
    ;;
esac
ALL="fuzz_read fuzz_vendor fuzz_session fuzz_slice_view fuzz_recon_cfg
  fuzz_materials fuzz_series fuzz_nrrd_detached"
TARGETS="${*:-$ALL}"
BUILD="${FIB_FUZZ_BUILD:-build-fuzz}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
JOBS="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz/run.sh: clang not found (apt-get install clang libclang-rt-dev libomp-dev); skipped" >&2
  exit 77
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null; then
  echo "fuzz/run.sh: clang cannot link -fsanitize=fuzzer (apt-get install libclang-rt-dev); skipped" >&2
  exit 77
fi

LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
echo "== fuzz: building $BUILD (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFIB_BUILD_FUZZERS=ON -DFIB_SANITIZE=address,undefined -DFIB_WERROR=ON \
  -DFIB_BUILD_TESTS=OFF -DFIB_BUILD_EXAMPLES=OFF -DFIB_BUILD_BENCH=OFF \
  "${LAUNCHER[@]}" >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$JOBS" --target $TARGETS >/dev/null

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# third-party leaks only (libconfig 1.5; see the file)
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/fuzz/lsan.supp:print_suppressions=0}"
failed=""
printf '%-20s %8s %10s %9s %12s %s\n' target seconds execs exec/s corpus result
for t in $TARGETS; do
  seeds="$ROOT/fuzz/corpus/$t"
  if [ ! -d "$seeds" ]; then
    echo "fuzz/run.sh: no corpus $seeds" >&2
    exit 2
  fi
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  mkdir -p "$work" "$art" "$BUILD/cwd" "$BUILD/tmp"
  log="$BUILD/$t.log"
  rc=0
  # cwd: libconfig resolves a relative @include from the working folder
  # TMPDIR: the targets' private folders (libFuzzer's exit skips their
  # atexit cleanup), emptied after each target
  (cd "$BUILD/cwd" && TMPDIR="$BUILD/tmp" "$BUILD/fuzz/$t" -max_total_time="$SECONDS_PER" \
    -timeout="${FUZZ_TIMEOUT_S:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -print_final_stats=1 -artifact_prefix="$art/" "$work" "$seeds") \
    >"$log" 2>&1 || rc=$?
  rm -rf "${BUILD:?}/tmp/"cryofib-fuzz-*
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  corp="$({ grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" || true; } |
    tail -1 | cut -d' ' -f2)"
  if [ "$rc" -eq 0 ]; then
    res=ok
  else
    res="FINDING (exit $rc; log $log)"
    failed="$failed $t"
  fi
  printf '%-20s %8s %10s %9s %12s %s\n' "$t" "$SECONDS_PER" "${execs:-?}" \
    "${speed:-?}" "${corp:-?}" "$res"
done
if [ -n "$failed" ]; then
  echo "fuzz/run.sh: findings in:$failed" >&2
  for t in $failed; do
    echo "---- $t (last lines of $BUILD/$t.log)" >&2
    grep -v '^#[0-9]' "$BUILD/$t.log" | tail -40 >&2
  done
  exit 1
fi
echo "fuzz/run.sh: no finding"
