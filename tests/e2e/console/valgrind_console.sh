#!/usr/bin/env bash
# valgrind_console.sh -- the console's code paths under valgrind (memcheck, full leak check):
# the web files, a refused and an accepted event stream, snapshots while a call streams,
# the voiceprint search, a stream revoked by logout, one left open at shutdown, then SIGTERM.
# Without the model (it loads slowly under valgrind): calls are still streamed and listed.
# Any memory error or leak fails. Registered for builds without sanitizers.
set -euo pipefail
bin=${CALLPRINT_BIN_DIR:?}
src=${CALLPRINT_SOURCE_DIR:?}
audio=$src/tests/fixtures/audio
wavs=("$audio/librispeech-1688-142285-0003.wav" "$audio/speechocean762-0001-000010035.wav") # ~8 s
tmp=$(mktemp -d)
pid=
fail() { echo "valgrind_console: $*" >&2; cat "$tmp/log" >&2; exit 1; }
. "$src/tests/e2e/ops/lib.sh" # ops_redis, wait_port
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; ops_redis_stop; rm -rf "$tmp"' EXIT

redis=$(ops_redis)
CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_REDIS_URL="$redis" CALLPRINT_REDIS_PREFIX="vgc$$:" \
  CALLPRINT_MODEL=/nonexistent CALLPRINT_ADMIN_PASSWORD=valgrind-console-pw \
  valgrind -q --leak-check=full \
  --suppressions="$src/tests/support/valgrind.supp" --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
  "$bin/callprint" >"$tmp/log" 2>&1 &
pid=$!
port=$(wait_port "$tmp/log" 100) # starting takes ~40 s under valgrind
[ -n "$port" ] || fail "no port"
base="http://127.0.0.1:$port"
curl -sf "$base/console/" | grep -q 'console.js' || fail "index.html"
curl -sf "$base/console/console.js" >/dev/null || fail "console.js"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/console/nope")" = 404 ] || fail "404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v2/console/events")" = 401 ] || fail "401"
token=
for _ in $(seq 50); do
  token=$(curl -s "$base/api/v2/auth/login" -d '{"username":"admin","password":"valgrind-console-pw"}' |
          sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
  [ -n "$token" ] && break
  sleep 0.2
done
[ -n "$token" ] || fail "login"
curl -s -N -m 8 -H "Authorization: Token $token" "$base/api/v2/console/events" >"$tmp/ev1" &
ev1=$!
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" -p caller=+447911123456 "${wavs[@]}" \
  >/dev/null || fail "call"
curl -sf -H "Authorization: Token $token" "$base/api/v2/voiceprints?q=x" | grep -q external_ids ||
  fail "search"
wait "$ev1" || true
grep -q '"caller":"+4479' "$tmp/ev1" || fail "the call was not in the snapshots"
# A stream ended by logout, and one (of a second token) left open at shutdown.
curl -s -N -m 30 -H "Authorization: Token $token" "$base/api/v2/console/events" >/dev/null &
ev2=$!
sleep 1
curl -sf -X POST -H "Authorization: Token $token" "$base/api/v2/auth/logout" >/dev/null ||
  fail "logout"
wait "$ev2" || true
token=$(curl -s "$base/api/v2/auth/login" -d '{"username":"admin","password":"valgrind-console-pw"}' |
        sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
curl -s -N -m 30 -H "Authorization: Token $token" "$base/api/v2/console/events" >/dev/null &
ev3=$!
sleep 1.5
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
wait "$ev3" 2>/dev/null || true
[ "$status" -eq 0 ] || fail "exit status $status (99 = valgrind found errors)"
echo "valgrind_console: ok"
