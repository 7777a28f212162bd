#!/usr/bin/env bash
# Set up and run every test: installs missing packages, builds with
# -fsanitize=address,undefined -fno-sanitize-recover=all into build/asan, starts a private
# redis-server on a free loopback port, runs the whole suite through ctest, then the valgrind
# tests (build/check, no sanitizers), then tests/extra/*.sh: the bounded fuzz runs, the Docker
# file validation, the Compose stack built and run, and the benchmark smoke runs. Exits
# non-zero on any failure or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

deploy/deps.sh test
# playwright-core for the console's browser test (npm ci, pinned); if this fails, that test
# fails and says why, the others still run.
bash tests/e2e/console/setup.sh || echo "console: npm ci of playwright-core failed" >&2
deploy/build.sh asan
deploy/build.sh check     # valgrind tests (ASan and valgrind do not mix)
deploy/build.sh release   # the benchmark smoke runs use optimised code, as the benchmarks do

# A private redis-server for the tests that need one; stopped on exit.
mkdir -p var/test-redis
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$root/var/test-redis" --save '' \
  --appendonly no --daemonize yes --pidfile "$root/var/test-redis/redis.pid" \
  --logfile "$root/var/test-redis/redis.log"
trap 'kill "$(cat "$root/var/test-redis/redis.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export CALLPRINT_TEST_REDIS_URL="redis://127.0.0.1:$port/0"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
passed=0
failed=0
step() { # step NAME COMMAND...: run one step, count it
  echo "== $1"
  if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== $1: FAILED" >&2; fi
}

step "ctest (ASan+UBSan)" ctest --test-dir build/asan --output-on-failure --timeout 600 -j2
step "ctest (valgrind)" ctest --test-dir build/check --output-on-failure --timeout 900 -R valgrind
for t in tests/extra/*.sh; do
  [ -e "$t" ] && step "$t" bash "$t"
done

echo
echo "deploy/test.sh steps (each ctest run counts as one step; its own summary is above)"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
