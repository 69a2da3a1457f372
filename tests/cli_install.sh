#!/bin/bash
# cli_install.sh -- `cmake --install` puts the command, the static library,
# the public headers, a relocatable pkg-config file and a CMake package in
# place; a consumer program builds against them with pkg-config alone, and
# another with find_package(cryofib CONFIG) and <fib/fib.h> (which must
# include every installed public header).
set -u
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$FIB_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null || fail "install"
[ -x "$tmp/prefix/bin/cryofib" ] || fail "command not installed"
[ -f "$tmp/prefix/lib/libcryofib.a" ] || fail "library not installed"
[ -f "$tmp/prefix/include/fib/common.h" ] || fail "headers not installed"
cat > "$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <fib/common.h>
#include <fib/image.h>
int main(void)
{
    fib_image img;
    fib_error err = {0};
    if (fib_image_init(&img, FIB_PX_U16, 3, 2, &err) != FIB_OK)
        return 1;
    fib_image_clear(&img);
    printf("%s\n", fib_version_string());
    return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# Sanitizer builds need the runtime flags on the consumer too.
san=""
grep -q 'FIB_SANITIZE:STRING=.\+' "$FIB_BUILD_DIR/CMakeCache.txt" && \
  san="-fsanitize=$(sed -n 's/^FIB_SANITIZE:STRING=//p' "$FIB_BUILD_DIR/CMakeCache.txt")"
# shellcheck disable=SC2046
cc -std=c11 $san "$tmp/consumer.c" -o "$tmp/consumer" \
  $(pkg-config --cflags --libs --static cryofib) || fail "consumer build"
"$tmp/consumer" | grep -q '^[0-9]' || fail "consumer run"

# The umbrella header names every installed public header.
inc="$tmp/prefix/include/fib"
[ -f "$inc/fib.h" ] || fail "fib/fib.h not installed"
for h in "$inc"/*.h; do
  b=$(basename "$h")
  [ "$b" = fib.h ] && continue
  grep -q "^#include \"fib/$b\"" "$inc/fib.h" || fail "fib/fib.h does not include fib/$b"
done
[ -f "$tmp/prefix/lib/cmake/cryofib/cryofibConfig.cmake" ] || fail "no cryofibConfig.cmake"
[ -f "$tmp/prefix/lib/cmake/cryofib/cryofibConfigVersion.cmake" ] || fail "no cryofibConfigVersion.cmake"

# A CMake consumer: find_package(cryofib CONFIG), one umbrella include,
# calls into core, planner and pipeline (the physics job prints the ion
# table through its message callback).
mkdir -p "$tmp/cmake-consumer"
cat > "$tmp/cmake-consumer/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.21)
project(consumer LANGUAGES C)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
find_package(cryofib 0.1 CONFIG REQUIRED)
add_executable(consumer main.c)
target_compile_options(consumer PRIVATE -Wall -Wextra -Wpedantic -Werror)
target_link_libraries(consumer PRIVATE cryofib::cryofib)
CM
cat > "$tmp/cmake-consumer/main.c" <<'C'
#include <stdio.h>
#include <string.h>

#include <fib/fib.h>

static int lines, ga;
static void on_message(void *user, fib_job_level level, const char *text)
{
    (void)user;
    if (level == FIB_JOB_RESULT) {
        lines++;
        ga += strncmp(text, "Ga ", 3) == 0;
    }
}

int main(void)
{
    fib_job_env env = {0};
    env.message = on_message;
    fib_error err = {0};
    if (fib_job_ions(false, &env, &err) != FIB_OK || ga != 1 || lines < 5) {
        fprintf(stderr, "ions: %s (%d lines)\n", err.msg, lines);
        return 1;
    }
    printf("%s %d\n", fib_version_string(), FIB_PLAN_ION_COUNT_);
    return 0;
}
C
cmake -S "$tmp/cmake-consumer" -B "$tmp/cmake-build" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release \
  ${san:+-DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san"} \
  >"$tmp/cmake-consumer.log" 2>&1 || { cat "$tmp/cmake-consumer.log"; fail "find_package(cryofib)"; }
cmake --build "$tmp/cmake-build" >>"$tmp/cmake-consumer.log" 2>&1 || \
  { cat "$tmp/cmake-consumer.log"; fail "CMake consumer build"; }
"$tmp/cmake-build/consumer" | grep -q '^[0-9][0-9.]* [0-9]' || fail "CMake consumer run"
# A version the package does not satisfy is refused.
sed -i 's/find_package(cryofib 0.1 CONFIG REQUIRED)/find_package(cryofib 9.0 CONFIG REQUIRED)/' \
  "$tmp/cmake-consumer/CMakeLists.txt"
if cmake -S "$tmp/cmake-consumer" -B "$tmp/cmake-build9" \
     -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null 2>&1; then
  fail "find_package(cryofib 9.0) accepted version 0.x"
fi
echo "3 passed, 0 failed"
