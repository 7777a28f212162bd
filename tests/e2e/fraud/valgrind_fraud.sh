#!/usr/bin/env bash
# valgrind_fraud.sh -- fraud screening under valgrind (memcheck, full leak check): the C++
# libphonenumber shim, the screening and registration paths of a call, and Redis being
# unreachable (every deny-list, directory, session and watchlist request fails), then SIGTERM.
# honeypot_threshold 0 sends every call to the honeypot: the dummy IVR plays on the
# bidirectional call (prompts, DTMF menus, barge-in) and on the call cut by SIGTERM.
# Any memory error or leak (definite, indirect, possible) fails. Registered for builds without
# sanitizers (valgrind and ASan do not mix).
. "${CALLPRINT_SOURCE_DIR:?}/tests/support/script.sh"
. "$src/tests/support/valgrind.sh"

# Port 9 (discard) is closed on loopback: Redis is down for the whole run.
CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_REDIS_URL=redis://127.0.0.1:9/0 \
  CALLPRINT_DEFAULT_COUNTRY_CODE=44 CALLPRINT_HONEYPOT_THRESHOLD=0 \
  CALLPRINT_HONEYPOT_MENU="$src/tests/fixtures/honeypot/menu.json" valgrind_start
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast -p caller="056 1234 5678" \
  -p StirVerstat=TN-Validation-Passed-B -p screen=true "$wav" >/dev/null || fail "screened call"
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --fast -p From=not-a-number \
  -p mode=register_fraudster -p fraudster_id=fr-1 -p watchlist=ring-7 \
  -p external_id=cust-1 "$wav" >/dev/null || fail "registration call"
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" -p bidirectional=true --dtmf 190 \
  --dtmf-at 200,400,600 "$wav" >/dev/null || fail "honeypot call"
# a verified-mode call still streaming (real time) when the server stops
"$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" -p caller=+442079460958 \
  -p bidirectional=true -p external_id=cust-1 -p mode=verify "$wav" >/dev/null 2>&1 &
call=$!
valgrind_stop 1.5
