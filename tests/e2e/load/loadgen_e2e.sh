#!/usr/bin/env bash
# loadgen_e2e.sh -- callprint-call --load against a real gateway (this build), over loopback:
#  1. 6 streams (2 per connection, 5 s) complete, every frame is counted and the report is
#     consistent (what bench_smoke.sh checks on the release build, here under ASan or
#     valgrind): exit 0;
#  2. a gateway that admits only 3 streams: the other 3 are reported ended early (the
#     gateway closes a Twilio connection whose start it refused) and the exit status is 1;
#  3. usage errors exit 2, an unreachable gateway exits 3.
# In a release build the generator runs under valgrind (leaks and invalid accesses fail).
set -uo pipefail
bin=${CALLPRINT_BIN_DIR:?}
src=${CALLPRINT_SOURCE_DIR:?}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail() { echo "loadgen_e2e: $*" >&2; cat "$tmp"/*.txt >&2 2>/dev/null; exit 1; }
wav=$src/tests/fixtures/audio/librispeech-1688-142285-0003.wav
run=()
# (grep reads all of ldd's output: with -q it could quit first, and pipefail would then see
# ldd's SIGPIPE as "no ASan" and put an ASan build under valgrind.)
if command -v valgrind >/dev/null &&
  ! ldd "$bin/callprint-call" 2>/dev/null | grep libasan >/dev/null; then
  run=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
fi

redis-server --port 0 --unixsocket "$tmp/redis.sock" --save "" --appendonly no --dir "$tmp" \
  >/dev/null 2>&1 &
pids+=($!)
disown
for _ in $(seq 100); do [ -S "$tmp/redis.sock" ] && break; sleep 0.05; done

# gateway MAX_STREAMS LOG: start one; sets port.
gateway() {
  CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_REDIS_URL="unix://$tmp/redis.sock" \
    CALLPRINT_LOG_FILE="$tmp/$2" CALLPRINT_MAX_STREAMS=$1 CALLPRINT_MODEL=/nonexistent \
    "$bin/callprint" >/dev/null 2>&1 &
  pids+=($!)
  disown
  port=
  for _ in $(seq 200); do
    port=$(grep -so '"port":"[0-9]*"' "$tmp/$2" | head -1 | grep -o '[0-9]*' || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
}
check() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$1" "$2" || fail "$(basename "$1"): $3 [$2]"
}

gateway 100 gw1.log
[ -n "$port" ] || fail "no gateway port"
"${run[@]}" "$bin/callprint-call" --load 6 --streams-per-conn 2 --duration 5 --ramp 0.2 \
  --url "ws://127.0.0.1:$port/stream" -p tenant=acme --external-id-prefix cust- "$wav" \
  >"$tmp/ok.json" 2>"$tmp/ok.txt"
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "generator status $rc"
check "$tmp/ok.json" "d['streams']['completed']==6 and d['streams']['held']==6" "6 streams completed"
check "$tmp/ok.json" "d['media_sent']==d['media_expected']==6*250" "5 s = 250 frames a stream"
check "$tmp/ok.json" "d['messages_sent']==6*252+3" "start + 250 media + stop a stream, connected a connection"
check "$tmp/ok.json" "d['send_lag']['count']==1500" "a lag per frame"
check "$tmp/ok.json" "d['gateway']['cpu_s']>0 and d['gateway']['rss_kb']>0" "/proc read"
check "$tmp/ok.json" "d['gateway']['latency_available']" "/debug/latency read"
grep -q 'held in the window' "$tmp/ok.txt" || fail "no human summary"

gateway 3 gw2.log
[ -n "$port" ] || fail "no second gateway port"
"${run[@]}" "$bin/callprint-call" --load 6 --duration 3 --ramp 0.2 \
  --url "ws://127.0.0.1:$port/stream" "$wav" >"$tmp/refused.json" 2>"$tmp/refused.txt"
rc=$?
[ "$rc" = 1 ] || fail "refused streams: status $rc, want 1"
check "$tmp/refused.json" "d['streams']['completed']==3 and d['streams']['ended_early']==3" "3 refused"
check "$tmp/refused.json" "not d['pass'] and 'did not complete' in d['why']" "why says so"

"$bin/callprint-call" --load 0 "$wav" >/dev/null 2>&1; [ $? = 2 ] || fail "--load 0 accepted"
"$bin/callprint-call" --load 2 --mode bogus "$wav" >/dev/null 2>&1; [ $? = 2 ] || fail "bad --mode"
"$bin/callprint-call" --load 2 --duration 2 --ramp 1 "$wav" >/dev/null 2>&1
[ $? = 3 ] || fail "a window-less duration must not run"
"$bin/callprint-call" --load 2 --url ws://127.0.0.1:1/stream "$wav" >/dev/null 2>&1
[ $? = 3 ] || fail "an unreachable gateway must exit 3"
echo "loadgen_e2e: ok"
