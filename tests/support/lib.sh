# lib.sh -- shell helpers for the gateway test scripts (sourced, not run).

# wait_port LOG [SECONDS]: print the port of the "listening" line a callprint started with
# CALLPRINT_LISTEN=127.0.0.1:0 writes to LOG; empty after SECONDS (default 10) without one.
wait_port() {
  local port=
  for _ in $(seq $((${2:-10} * 20))); do
    port=$(grep -so '"port":"[0-9]*"' "$1" | grep -o '[0-9]*' || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  echo "$port"
}
