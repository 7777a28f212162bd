#!/usr/bin/env bash
# cli_smoke.sh -- the two programs as a user runs them: callprint on a free port, callprint-call
# streaming a fixture (Twilio and Voice Verify dialects, DTMF), SIGHUP after the log file was
# rotated (a new file appears), then SIGTERM: the server must log the stream with its counters
# and exit 0 (under ASan: without leaks). Then a server with the signature check: signed
# concurrent calls pass, an unsigned one is refused with 403.
. "${CALLPRINT_SOURCE_DIR:?}/tests/support/script.sh"

"$bin/callprint" --help | grep -q CALLPRINT_LISTEN || fail "--help"
"$bin/callprint" --version | grep -q '^callprint [0-9]' || fail "--version"
"$bin/callprint-call" --help | grep -q -- --dialect || fail "callprint-call --help"
if CALLPRINT_MAX_STREAMS=zero "$bin/callprint" 2>"$tmp/err"; then fail "bad setting accepted"; fi
grep -q max_streams "$tmp/err" || fail "bad setting not named"
if "$bin/callprint-call" --url ws://127.0.0.1:1/stream "$src/tests/fixtures/README.md" 2>/dev/null; then
  fail "non-audio file accepted"
fi

CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_LOG_FILE="$tmp/log" "$bin/callprint" 2>"$tmp/stderr" &
pid=$!
port=$(wait_port "$tmp/log")
[ -n "$port" ] || fail "no port in the startup log"
curl -sf "http://127.0.0.1:$port/healthz" | grep -q '"ok"' || fail "healthz"
# The socket listens on 127.0.0.1 only (/proc/net/tcp: local 0100007F, state 0A), not on a
# wildcard of either family.
hexport=$(printf '%04X' "$port")
grep -q "^ *[0-9]*: 0100007F:$hexport 00000000:0000 0A" /proc/net/tcp || fail "not listening on 127.0.0.1"
if grep -q ":$hexport 0*:0000 0A" /proc/net/tcp6; then fail "listening on an IPv6 wildcard"; fi
if grep -q "^ *[0-9]*: 00000000:$hexport 00000000:0000 0A" /proc/net/tcp; then fail "listening on 0.0.0.0"; fi

"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast --dtmf 42 -p external_id=alice \
  --stream-sid MZ00000000000000000000000000000001 "$wav" >"$tmp/twilio.json" || fail "twilio call"
grep -q '"media":38' "$tmp/twilio.json" || fail "media count: $(cat "$tmp/twilio.json")"
grep -q '"received":{"messages":0' "$tmp/twilio.json" || fail "twilio client got messages"
uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --dialect voiceverify --fast \
  -p "uuid=$uuid" "$wav" >"$tmp/vv.json" || fail "voiceverify call"
grep -q '"statuses":\[201,204\]' "$tmp/vv.json" || fail "vv statuses: $(cat "$tmp/vv.json")"

mv "$tmp/log" "$tmp/log.1"
kill -HUP "$pid"
for _ in $(seq 100); do grep -qs "log file reopened" "$tmp/log" && break; sleep 0.05; done
grep -qs "log file reopened" "$tmp/log" || fail "SIGHUP did not reopen the log file"
cat "$tmp/log.1" "$tmp/log" >"$tmp/all"

kill -TERM "$pid"
wait "$pid" || fail "server exit status $?"
cat "$tmp/log" >>"$tmp/all"
[ ! -s "$tmp/stderr" ] || fail "unexpected stderr: $(cat "$tmp/stderr")"
grep -q '"reason":"stop".*"dtmf_digits":"2"' "$tmp/all" || fail "stream summary missing"
grep -q "\"stream\":\"$uuid\"" "$tmp/all" || fail "voice verify uuid not used"
grep -q '"msg":"stopped"' "$tmp/all" || fail "no clean stop"

# A second server with the signature check: --sign passes, an unsigned call gets 403.
CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_TWILIO_AUTH_TOKEN=tok-42 CALLPRINT_PUBLIC_URL=wss://gw.test \
  CALLPRINT_LOG_FILE="$tmp/log2" "$bin/callprint" 2>>"$tmp/stderr" &
pid=$!
port=$(wait_port "$tmp/log2")
[ -n "$port" ] || fail "no port (signed server)"
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast --calls 3 --sign tok-42 \
  --public-url wss://gw.test "$wav" >"$tmp/signed.json" || fail "signed calls refused"
[ "$(grep -c '"opened":true' "$tmp/signed.json")" = 3 ] || fail "3 signed calls expected"
if "$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast "$wav" >"$tmp/unsigned.json" \
  2>"$tmp/unsigned.err"; then
  fail "unsigned call accepted"
fi
grep -q '"http_status":403' "$tmp/unsigned.json" || fail "unsigned: $(cat "$tmp/unsigned.json")"
grep -q tok-42 "$tmp/log2" && fail "auth token in the log"
kill -TERM "$pid"
wait "$pid" || fail "signed server exit status $?"
echo "cli_smoke: ok"
