#!/bin/bash
# cli_style.sh -- house style rule 13: functions banned in library code, and
# third-party headers kept out of public headers (rule 2).
set -u
cd "${FIB_SOURCE_DIR:?}"
fails=0
lib_src=$(find core draw geometry planner recon analysis formats pipeline \
             -path '*/src/*' -name '*.c' 2>/dev/null | LC_ALL=C sort)
# Word-boundary matches outside comments are close enough for a guard;
# strerror_r, snprintf and vsnprintf stay allowed.
# fprintf to a FILE is how formats/ writes text headers; elsewhere it is
# banned like printf.
banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atof|atol|printf|puts|exit|abort)\s*\('
if { grep -nE "$banned" $lib_src;
     grep -nE '\bfprintf\s*\(' $(echo "$lib_src" | grep -v '^formats/'); } \
   | grep -vE '^\S+:[0-9]+:\s*(/\*|\*|//)'; then
  echo "FAIL: banned function in library code (see above)"; fails=$((fails+1))
fi
if grep -nE '\bstderr\b|\bstdout\b' $lib_src; then
  echo "FAIL: library code must not use stdout/stderr"; fails=$((fails+1))
fi
pub=$(ls */include/fib/*.h)
if grep -nE '#include\s*[<"](png|tiffio|tiff|fftw3|libconfig|cblas|lapacke|zlib|omp)\.h' $pub; then
  echo "FAIL: third-party header in a public header"; fails=$((fails+1))
fi
# Formatting (rule 13): every tracked C file as .clang-format says, where
# clang-format is installed (it is on Debian's clang-format package).
checks=3
if command -v clang-format >/dev/null 2>&1; then
  checks=4
  bad=$(for f in $(git ls-files '*.c' '*.h' 2>/dev/null || ls */src/*.c */include/fib/*.h cli/*.c cli/*.h tests/*.c); do
          clang-format --dry-run "$f" 2>&1 | grep -q warning && echo "$f"
        done)
  if [ -n "$bad" ]; then
    echo "FAIL: not clang-formatted:" $bad; fails=$((fails+1))
  fi
fi
if [ $fails -eq 0 ]; then echo "$checks passed, 0 failed"; exit 0; fi
echo "$((checks-fails)) passed, $fails failed"; exit 1
