# cli_prelude.sh -- sourced by the command tests: the command ($C), the
# source tree ($SRC), the python with the readers ($PY, may be empty), a
# scratch folder ($T, removed on exit), the pass counter and ok/fail.
set -u
C="$FIB_CLI"
SRC="${FIB_SOURCE_DIR:?}"
PY="${FIB_PYTHON:-}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { pass=$((pass+1)); }
