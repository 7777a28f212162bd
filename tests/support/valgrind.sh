# valgrind.sh -- the gateway under valgrind for the leak tests (sourced after script.sh, by
# builds without sanitizers: valgrind and ASan do not mix).
#
# valgrind_start: "$bin/callprint" under memcheck with a full leak check (definite, indirect and
# possible leaks are errors; tests/support/valgrind.supp for the libraries' own), its output
# in $tmp/log, in the background as $pid; sets $port once it listens (the caller sets
# CALLPRINT_LISTEN=127.0.0.1:0 and any other setting in the environment).
# valgrind_stop SECONDS: after SECONDS more of the call running in the background as $call,
# SIGTERM the server and wait for both: the test fails unless the server exited 0 (99:
# valgrind found errors), else prints "<script>: ok".
valgrind_start() {
  valgrind -q --leak-check=full --suppressions="$src/tests/support/valgrind.supp" \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    --error-exitcode=99 "$bin/callprint" >"$tmp/log" 2>&1 &
  pid=$!
  port=$(wait_port "$tmp/log" 120) # the model loads slowly under valgrind
  [ -n "$port" ] || fail "no port"
}

valgrind_stop() {
  sleep "$1"
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  wait "$call" 2>/dev/null || true
  [ "$status" -eq 0 ] || fail "exit status $status (99 = valgrind found errors)"
  echo "$(basename "$0" .sh): ok"
}
