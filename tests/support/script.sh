# script.sh -- the common start of the end-to-end shell tests (sourced first, as
# `. "${CALLPRINT_SOURCE_DIR:?}/tests/support/script.sh"`): strict mode, the build's programs
# ($bin) and the sources ($src) from ctest's environment, the usual fixture recording ($wav),
# lib.sh's helpers, a temporary folder ($tmp) removed at exit with the server in $pid
# stopped, and fail MESSAGE: the script's name and the message, then $tmp's logs
# (log*, stderr), exit 1.
set -euo pipefail
bin=${CALLPRINT_BIN_DIR:?}
src=${CALLPRINT_SOURCE_DIR:?}
wav=$src/tests/fixtures/audio/fsdd-0_george_10.wav
. "$src/tests/support/lib.sh"
tmp=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() {
  echo "$(basename "$0" .sh): $*" >&2
  cat "$tmp"/log* "$tmp/stderr" >&2 2>/dev/null || true
  exit 1
}
