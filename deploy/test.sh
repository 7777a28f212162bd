#!/usr/bin/env bash
# Set up and run every test: installs missing packages, builds with
# -fsanitize=address,undefined -fno-sanitize-recover=all into build/asan, starts a private
# redis-server on a free loopback port, runs ctest, runs the fuzz targets for a bounded time,
# validates the Docker files, and exits non-zero on any failure or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

deploy/deps.sh test
deploy/build.sh asan
deploy/build.sh release   # the benchmarks' smoke runs and the fuzzers use optimised code

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
status=0
ctest --test-dir build/asan --output-on-failure --timeout 600 -j2 || status=1

for t in tests/extra/*.sh; do
  [ -e "$t" ] || continue
  echo "== $t"
  bash "$t" || status=1
done

if [ $status -ne 0 ]; then echo "deploy/test.sh: FAILED" >&2; fi
exit $status
