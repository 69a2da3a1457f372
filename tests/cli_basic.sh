#!/bin/bash
# cli_basic.sh -- the command's help, version and exit codes.
set -u
C="$FIB_CLI"
fail() { echo "FAIL: $*"; exit 1; }
"$C" --version | grep -q '^cryofib [0-9]' || fail "--version"
"$C" --help | grep -q 'usage: cryofib' || fail "--help"
"$C" no-such-command 2>/dev/null; [ $? -eq 2 ] || fail "unknown command exit"
"$C" 2>/dev/null; [ $? -eq 2 ] || fail "no command exit"
for cmd in $("$C" --help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}'); do
  "$C" "$cmd" --help | grep -q "usage: cryofib $cmd" || fail "$cmd --help"
done
echo "1 passed, 0 failed"
