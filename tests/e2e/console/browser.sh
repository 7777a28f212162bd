#!/usr/bin/env bash
# The operator console end to end in a real browser: headless Chromium (Debian's package)
# driven by playwright-core against the real gateway and a real redis-server, while
# callprint-call streams a fixture call. console_e2e.cjs holds the steps; screenshots go to
# <build>/console-screenshots/ (test artefacts, not committed).
set -euo pipefail
: "${CALLPRINT_SOURCE_DIR:?}" "${CALLPRINT_BIN_DIR:?}"
bin=$CALLPRINT_BIN_DIR
tmp=$(mktemp -d)
pid=
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$CALLPRINT_SOURCE_DIR/tests/e2e/ops/lib.sh"
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ops_redis_stop
  rm -rf "$tmp"
}
trap cleanup EXIT

command -v chromium >/dev/null || fail "chromium is not installed (deploy/deps.sh test)"
bash "$CALLPRINT_SOURCE_DIR/tests/e2e/console/setup.sh"

redis=$(ops_redis)
prefix="console-e2e-$$:"
start_server "$tmp/gw.log" CALLPRINT_REDIS_URL="$redis" CALLPRINT_REDIS_PREFIX="$prefix" \
  CALLPRINT_ADMIN_PASSWORD=console-test-password CALLPRINT_WORKERS=2
shots="$CALLPRINT_BIN_DIR/../console-screenshots"
mkdir -p "$shots"
CONSOLE_URL="http://127.0.0.1:$port" CONSOLE_PASSWORD=console-test-password \
  CONSOLE_SHOTS="$shots" CONSOLE_MODULES="$CALLPRINT_SOURCE_DIR/var/console-node/node_modules" \
  CONSOLE_BIN="$bin" CONSOLE_FIXTURES="$CALLPRINT_SOURCE_DIR/tests/fixtures/bio" \
  node "$CALLPRINT_SOURCE_DIR/tests/e2e/console/console_e2e.cjs" || rc=$?
kill "$pid"; wait "$pid" 2>/dev/null || true
pid=
check_stderr
# The test's keys only (deploy/test.sh's Redis is shared with other tests).
if [ -n "${CALLPRINT_TEST_REDIS_URL:-}" ]; then
  redis-cli -u "$redis" --scan --pattern "${prefix}*" | xargs -r redis-cli -u "$redis" del >/dev/null
fi
exit "${rc:-0}"
