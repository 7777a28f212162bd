# lib.sh -- helpers for the ops test scripts (sourced). Needs $bin, $tmp and a fail function.
. "${CALLPRINT_SOURCE_DIR:?}/tests/support/lib.sh" # wait_port

# A Redis for the test: deploy/test.sh's, else a private redis-server on a unix socket.
ops_redis() {
  if [ -n "${CALLPRINT_TEST_REDIS_URL:-}" ]; then
    echo "$CALLPRINT_TEST_REDIS_URL"
    return
  fi
  redis-server --port 0 --unixsocket "$tmp/redis.sock" --dir "$tmp" --save '' --appendonly no \
    --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log" >/dev/null
  for _ in $(seq 100); do redis-cli -s "$tmp/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
  echo "unix://$tmp/redis.sock"
}
ops_redis_stop() {
  [ -f "$tmp/redis.pid" ] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null || true
}

# start_server LOG [VAR=VALUE...]: callprint on a free loopback port; sets $pid and $port.
start_server() {
  local log=$1; shift
  env CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_LOG_FILE="$log" CALLPRINT_ALLOW_UNSIGNED_ENROLL=true \
    "$@" "$bin/callprint" \
    2>>"$tmp/stderr" &
  pid=$!
  port=$(wait_port "$log")
  [ -n "$port" ] || fail "no port in $log: $(cat "$log" "$tmp/stderr" 2>/dev/null)"
}

# wait_log FILE REGEX: up to 10 s for a line.
wait_log() {
  for _ in $(seq 200); do grep -Eqs "$2" "$1" && return 0; sleep 0.05; done
  return 1
}

# The servers' stderr must hold no sanitizer report (ASan builds): print it for ctest.
check_stderr() {
  if grep -q -e 'Sanitizer' -e 'runtime error' "$tmp/stderr" 2>/dev/null; then
    cat "$tmp/stderr" >&2
    fail "sanitizer report"
  fi
}
