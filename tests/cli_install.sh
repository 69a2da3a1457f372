#!/bin/bash
# cli_install.sh -- `cmake --install` puts the command, the static library,
# the public headers and a relocatable pkg-config file in place, and a
# consumer program builds against them with pkg-config alone.
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
echo "1 passed, 0 failed"
