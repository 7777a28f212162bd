#!/usr/bin/env bash
# shutdown.sh -- SIGTERM with a real-time call in flight. Graceful: new streams and upgrades
# are refused (503) and /readyz says "shutting down" while the running call goes on; its stop
# is processed (Voice Verify stop ack 204, stream end "stop"); the call's zero-integration
# webhooks (to a slow receiver, so some are still queued at the stop) are all delivered, Redis
# writes acknowledged, exit 0. Immediate: a second SIGTERM ends the call at once (Voice Verify
# gets 503 "Resource is unavailable." and the close 1001, stream end "shutdown"), still exit 0.
set -euo pipefail
bin=${CALLPRINT_BIN_DIR:?}
src=${CALLPRINT_SOURCE_DIR:?}
a1=$src/tests/fixtures/audio/librispeech-1688-142285-0003.wav
a2=$src/tests/fixtures/audio/speechocean762-0001-000010035.wav
tmp=$(mktemp -d)
pid= rpid= cpid=
trap 'kill $pid $rpid $cpid 2>/dev/null || true; ops_redis_stop; rm -rf "$tmp"' EXIT
fail() { echo "shutdown: $*" >&2; tail -n 25 "$tmp"/log* >&2 2>/dev/null || true; exit 1; }
. "$src/tests/e2e/ops/lib.sh"
passed=0
ok() { passed=$((passed + 1)); }
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

redis=$(ops_redis)
prefix="ops$RANDOM:"
python3 "$src/tests/support/receiver.py" "$tmp/hooks" >"$tmp/rport" &
rpid=$!
for _ in $(seq 100); do [ -s "$tmp/rport" ] && break; sleep 0.05; done
rport=$(head -1 "$tmp/rport")
[ -n "$rport" ] || fail "no receiver port"

# ---- graceful ----
start_server "$tmp/log" CALLPRINT_REDIS_URL="$redis" CALLPRINT_REDIS_PREFIX="$prefix" \
  CALLPRINT_SHUTDOWN_GRACE_S=20
# The call's webhook is signed with the secret the gateway keeps in Redis: wait for it.
wait_log "$tmp/log" "webhook secret" || fail "webhook secret not loaded"
u1=$(uuid)
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --dialect voiceverify -p "uuid=$u1" \
  -p external_id=ops-caller -p mode=enroll -p "webhook=http://127.0.0.1:$rport/slow/700/x" \
  "$a1" "$a2" >"$tmp/call.json" &
cpid=$!
wait_log "$tmp/log" "\"stream\":\"$u1\".*stream started" || fail "call did not start"
sleep 2.5
kill -TERM "$pid"
wait_log "$tmp/log" "graceful stop" || fail "no graceful stop line"
code=$(curl -s -o "$tmp/ready" -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[ "$code" = 503 ] && grep -q '"reason":"shutting down"' "$tmp/ready" || fail "readyz: $code"
if "$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast "$a1" >"$tmp/late.json" 2>/dev/null; then
  fail "a new call was accepted while stopping"
fi
grep -q '"http_status":503' "$tmp/late.json" || fail "late call: $(cat "$tmp/late.json")"
ok
wait "$cpid" || fail "running call failed: $(cat "$tmp/call.json")"
cpid=
grep -q '"statuses":\[201,204\]' "$tmp/call.json" || fail "call: $(cat "$tmp/call.json")"
wait "$pid" || fail "server exit status $?"
pid=
grep -q "\"stream\":\"$u1\".*\"reason\":\"stop\"" "$tmp/log" || fail "the call's stop was not processed"
grep -q '"drained: no stream left"' "$tmp/log" || fail "not drained"
ok
# No webhook lost: everything sent was delivered and the receiver saw each one.
line=$(grep '"outbound queues flushed"' "$tmp/log") || fail "no flush line"
sent=$(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhooks_sent"])')
got=$(echo "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["webhooks_delivered"], d["webhooks_lost"], d["redis_writes_queued"])')
[ "$sent" -ge 3 ] || fail "only $sent webhooks sent"
[ "$got" = "$sent 0 0" ] || fail "flush: $line"
[ "$(wc -l <"$tmp/hooks")" = "$sent" ] || fail "receiver got $(wc -l <"$tmp/hooks") of $sent"
# The enrolment reported to the receiver is in Redis (written and acknowledged before exit).
if grep -q '"created"\|Voiceprint created' "$tmp/hooks"; then
  keys=$(redis-cli -u "$redis" --scan --pattern "${prefix}*" 2>/dev/null || \
         redis-cli -s "$tmp/redis.sock" --scan --pattern "${prefix}*")
  echo "$keys" | grep -q . || fail "enrolment reported but no key in Redis"
fi
ok

# ---- immediate: a second SIGTERM ----
start_server "$tmp/log2" CALLPRINT_REDIS_URL="$redis" CALLPRINT_REDIS_PREFIX="$prefix" \
  CALLPRINT_SHUTDOWN_GRACE_S=20
u2=$(uuid)
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --dialect voiceverify -p "uuid=$u2" \
  "$a1" >"$tmp/call2.json" &
cpid=$!
wait_log "$tmp/log2" "\"stream\":\"$u2\".*stream started" || fail "call 2 did not start"
kill -TERM "$pid"
wait_log "$tmp/log2" "graceful stop" || fail "no graceful stop (2)"
kill -TERM "$pid"
wait "$pid" || fail "server exit status (2) $?"
pid=
wait "$cpid" || true
cpid=
grep -q "\"stream\":\"$u2\".*\"reason\":\"shutdown\"" "$tmp/log2" || fail "call 2 not ended by shutdown"
grep -q '"statuses":\[201,503\]' "$tmp/call2.json" || fail "call 2: $(cat "$tmp/call2.json")"
grep -q '"close_code":1001' "$tmp/call2.json" || fail "call 2 close: $(cat "$tmp/call2.json")"
grep -q 'stopping now' "$tmp/log2" || fail "second signal not logged"
ok
check_stderr
echo "shutdown: $passed passed, 0 failed"
