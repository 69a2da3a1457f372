#!/usr/bin/env bash
# setup.sh -- install what is missing, build, then run the demo or the tests.
#
#   ./setup.sh demo    install deps, build, run `cryofib demo`
#   ./setup.sh test    install deps, build with -Werror, run every test,
#                      then rebuild with ASan+UBSan and run every test again,
#                      then fuzz every reader for a short fixed time
#                      (fuzz/run.sh: clang, ASan+UBSan, FIB_FUZZ_SECONDS
#                      per target, default 10; skipped without clang)
#
# Debian 12 packages are installed with apt-get when run as root or through
# sudo; otherwise the exact apt-get line is printed and the script stops.
set -euo pipefail
cd "$(dirname "$0")"

MODE="${1:-demo}"
JOBS="$(nproc 2>/dev/null || echo 2)"

# Build and library dependencies, then what the tests use to check our
# files with real readers (mrcfile, tifffile) and clang for the fuzzers.
PKGS_BUILD="build-essential cmake pkg-config libpng-dev libtiff-dev zlib1g-dev libblosc-dev
  libopenblas-dev liblapacke-dev libfftw3-dev libconfig-dev libxgboost-dev check
  libopenmpi-dev openmpi-bin"
PKGS_TEST="python3 python3-numpy python3-scipy python3-mrcfile python3-tifffile python3-yaml python3-zarr python3-dask"

missing_pkgs() {
  local out=""
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
      out="$out $p"
    fi
  done
  echo "$out"
}

install_pkgs() {
  local missing
  missing="$(missing_pkgs "$@")"
  [ -z "$missing" ] && return 0
  local line="apt-get install -y --no-install-recommends$missing"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $line
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "setup: installing with sudo:$missing"
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive $line
  else
    echo "setup: missing Debian packages; run as root:" >&2
    echo "  $line" >&2
    exit 1
  fi
}

# clang with its fuzzer runtime and OpenMP, llvm for llvm-symbolizer
# (readable sanitizer stacks); optional: installed when we may install.
PKGS_FUZZ="clang libclang-rt-dev libomp-dev llvm"

can_install() {
  [ "$(id -u)" -eq 0 ] ||
    { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

build() {  # build DIR [extra cmake args...]
  local dir="$1"; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
}

case "$MODE" in
  demo)
    # shellcheck disable=SC2086
    install_pkgs $PKGS_BUILD
    build build -DFIB_BUILD_TESTS=OFF
    ./build/cryofib demo
    ;;
  test)
    # shellcheck disable=SC2086
    install_pkgs $PKGS_BUILD $PKGS_TEST
    if can_install; then
      # shellcheck disable=SC2086
      install_pkgs $PKGS_FUZZ
    fi
    export CK_VERBOSITY="${CK_VERBOSITY:-normal}"
    echo "== release build (-Werror) and tests"
    build build -DFIB_WERROR=ON -DFIB_BUILD_TESTS=ON
    (cd build && ctest --output-on-failure -j"$JOBS")
    echo "== ASan+UBSan build and tests"
    build build-asan -DFIB_WERROR=ON -DFIB_BUILD_TESTS=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIB_SANITIZE=address,undefined
    (cd build-asan && CK_FORK=no ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j"$JOBS")
    echo "== fuzz: every reader, clang ASan+UBSan, ${FIB_FUZZ_SECONDS:-10} s each"
    rc=0
    FUZZ_JOBS="$JOBS" fuzz/run.sh "${FIB_FUZZ_SECONDS:-10}" || rc=$?
    if [ "$rc" -eq 77 ]; then
      echo "setup: fuzz stage skipped (no clang; apt-get install $PKGS_FUZZ)"
    elif [ "$rc" -ne 0 ]; then
      exit "$rc"
    fi
    ;;
  *)
    echo "usage: ./setup.sh demo|test" >&2
    exit 2
    ;;
esac
