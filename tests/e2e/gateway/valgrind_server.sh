#!/usr/bin/env bash
# valgrind_server.sh -- callprint under valgrind (memcheck, full leak check): a Twilio call,
# a Voice Verify call, an HTTP request, a connection left open at shutdown, then SIGTERM.
# Any memory error or leak (definite, indirect, possible) fails. Registered for builds
# without sanitizers (valgrind and ASan do not mix).
. "${CALLPRINT_SOURCE_DIR:?}/tests/support/script.sh"
. "$src/tests/support/valgrind.sh"

CALLPRINT_LISTEN=127.0.0.1:0 valgrind_start
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast --dtmf 1 "$wav" >/dev/null ||
  fail "twilio call"
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --dialect voiceverify --fast \
  -p uuid=0f8fad5b-d9cb-469f-a165-70867728950e "$wav" >/dev/null || fail "voiceverify call"
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "healthz"
# a call still streaming (real time, 0.7 s) when the server stops
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" "$wav" >/dev/null 2>&1 &
call=$!
valgrind_stop 0.3
