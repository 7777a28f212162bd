# lib.sh -- shared by the load benchmarks (sourced, not run): a private redis-server and a
# release gateway started per measurement, the load generator, JSON fields, cleanup.
#
# Everything listens on loopback only: Redis on a unix socket in a temp dir, the gateway on
# 127.0.0.1:0 (the port is read from its log), the generator's webhook receiver on
# 127.0.0.1:0. Binaries come from CALLPRINT_BIN_DIR, default build/bin (the release build
# deploy/build.sh makes): figures are only meaningful from a release build.

bench_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${CALLPRINT_BIN_DIR:-$bench_src/build/bin}
bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/callprint-bench.XXXXXX")
redis_pid=
gw_pid=
gw_port=
# Speech for the streams: real fixtures (LibriSpeech, speechocean762), concatenated.
BENCH_AUDIO=("$bench_src"/tests/fixtures/bio/speechocean762_0120/enroll/*.wav)

bench_cleanup() {
  [ -n "$gw_pid" ] && kill -KILL "$gw_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$bench_tmp"
}
trap bench_cleanup EXIT

bench_die() {
  echo "$(basename "$0"): $*" >&2
  [ -f "$bench_tmp/gw.log" ] && tail -5 "$bench_tmp/gw.log" >&2
  exit 2
}

# Raise the descriptor limit: every stream is a socket on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

[ -x "$BIN/callprint" ] && [ -x "$BIN/callprint-call" ] ||
  bench_die "no binaries in $BIN (run deploy/build.sh, or set CALLPRINT_BIN_DIR)"

bench_redis_start() {
  redis-server --port 0 --unixsocket "$bench_tmp/redis.sock" --save "" --appendonly no \
    --dir "$bench_tmp" >"$bench_tmp/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do [ -S "$bench_tmp/redis.sock" ] && return 0; sleep 0.05; done
  bench_die "redis-server did not start"
}

# bench_gateway_start CPUS [VAR=value ...]: a fresh gateway pinned to CPUS (taskset list,
# "" = not pinned), with the extra settings; sets gw_pid and gw_port, waits for
# $BENCH_READY (default /readyz: model loaded, Redis connected).
bench_gateway_start() {
  local cpus=$1
  shift
  : >"$bench_tmp/gw.log"
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  env CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_REDIS_URL="unix://$bench_tmp/redis.sock" \
    CALLPRINT_LOG_FILE="$bench_tmp/gw.log" CALLPRINT_SHUTDOWN_GRACE_S=0 \
    CALLPRINT_LOG_LEVEL=info "$@" "${pin[@]}" "$BIN/callprint" 2>>"$bench_tmp/gw.err" &
  gw_pid=$!
  gw_port=
  for _ in $(seq 400); do
    gw_port=$(grep -so '"port":"[0-9]*"' "$bench_tmp/gw.log" | head -1 | grep -o '[0-9]*' || true)
    [ -n "$gw_port" ] && break
    kill -0 "$gw_pid" 2>/dev/null || bench_die "the gateway exited at start"
    sleep 0.05
  done
  [ -n "$gw_port" ] || bench_die "the gateway did not log its port"
  local ready=${BENCH_READY:-/readyz}
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$gw_port$ready" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  bench_die "the gateway is not ready (model? redis?): $(curl -s "http://127.0.0.1:$gw_port$ready")"
}

# bench_floor_start CPUS: tests/bench/bench_floor (the do-nothing epoll+recv WebSocket
# endpoint) in the gateway's place, pinned to CPUS; sets gw_pid and gw_port.
bench_floor_start() {
  local pin=()
  [ -n "$1" ] && pin=(taskset -c "$1")
  [ -x "$BIN/bench_floor" ] || bench_die "no $BIN/bench_floor (run deploy/build.sh)"
  : >"$bench_tmp/floor.out"
  "${pin[@]}" "$BIN/bench_floor" >"$bench_tmp/floor.out" 2>>"$bench_tmp/gw.err" &
  gw_pid=$!
  gw_port=
  for _ in $(seq 100); do
    gw_port=$(sed -n 's/^port //p' "$bench_tmp/floor.out")
    [ -n "$gw_port" ] && return 0
    sleep 0.05
  done
  bench_die "bench_floor did not start"
}

bench_gateway_stop() {
  [ -n "$gw_pid" ] || return 0
  kill -TERM "$gw_pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$gw_pid" 2>/dev/null
  wait "$gw_pid" 2>/dev/null
  gw_pid=
}

# bench_load CPUS OUT ARGS...: the load generator (pinned to CPUS, "" = not) against the
# current gateway; its JSON report goes to OUT, its summary to OUT.txt. Returns its status.
bench_load() {
  local cpus=$1 out=$2
  shift 2
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  local rc=0
  "${pin[@]}" "$BIN/callprint-call" --url "ws://127.0.0.1:$gw_port/stream" \
    --gateway-pid "$gw_pid" "$@" "${BENCH_AUDIO[@]}" >"$out" 2>"$out.txt" || rc=$?
  # BENCH_OUT_DIR: keep every report (tests/extra/bench_smoke.sh checks them).
  [ -n "${BENCH_OUT_DIR:-}" ] && cp "$out" "$out.txt" "$BENCH_OUT_DIR/" 2>/dev/null
  return $rc
}

# json FILE EXPR...: fields of a JSON report, one line each, e.g.
#   json r.json "['gateway']['cores']" "['pass']"      (one python3 start for all of them)
json() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
    v = eval("d" + e)
    print(str(v).lower() if isinstance(v, bool) else v)' "$@"
}

# ms_to_s MS: "1.250"
ms_to_s() {
  printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

bench_load_average() {
  cut -d' ' -f1-3 /proc/loadavg
}

# ---- live verification (benchmarks 2 and 3) ----
BENCH_PASSWORD=bench-admin-password
BENCH_SPEAKER=$bench_src/tests/fixtures/bio/speechocean762_0120

# bench_verify_gateway N: a fresh gateway on both cores (not pinned: workers = cores) with
# the REST API on, and a voiceprint "bench-spk" enrolled from the speaker's enrolment
# recordings through POST /api/v2/import. The worker queues hold 1 s of audio per stream
# (the default, 512 blocks a worker, is ~80 ms at 250 streams: a worker descheduled that
# long on a shared machine drops audio), and a webhook target's queue holds one webhook per
# stream: every stream's webhook of a tick is queued at once, so with one receiver URL the
# default (64) drops all but 64 of them each second.
bench_verify_gateway() {
  bench_gateway_start "" CALLPRINT_MAX_STREAMS=$(($1 + 100)) \
    CALLPRINT_ADMIN_PASSWORD="$BENCH_PASSWORD" CALLPRINT_HTTP_BODY_MAX=$((64 << 20)) \
    CALLPRINT_WORKER_QUEUE_LEN=$(($1 * 50 / $(nproc) + 512)) \
    CALLPRINT_WEBHOOK_QUEUE_MAX=$(($1 + 64))
  python3 "$bench_src/tests/bench/bench_api.py" enroll "http://127.0.0.1:$gw_port" \
    "$BENCH_PASSWORD" bench-spk "$BENCH_SPEAKER/enroll" >"$bench_tmp/enroll.json" ||
    bench_die "enrolment of bench-spk failed: $(cat "$bench_tmp/enroll.json")"
}

# bench_verify_load N OUT: N streams of the same speaker's test recordings verifying against
# bench-spk in zero-integration mode, a webhook a second each to the generator's receiver:
# one URL for all (as a contact centre configures it), or one per stream when
# BENCH_WEBHOOK_PER_STREAM is set (the gateway then has a webhook target per stream).
# Streams start at 500 a second (at least over 200 ms).
bench_verify_load() {
  local n=$1 out=$2 ramp_ms=$(( $1 * 2 > 200 ? $1 * 2 : 200 ))
  BENCH_AUDIO=("$BENCH_SPEAKER"/test/*.wav)
  bench_load "" "$out" --load "$n" --ramp "$(ms_to_s $ramp_ms)" \
    --duration "$(ms_to_s $((ramp_ms + ${BENCH_HOLD_S:-8} * 1000)))" \
    --mode verify --external-id bench-spk --max-verdict-p99 200 --max-media-p99 20 \
    $([ -n "${BENCH_WEBHOOK_PER_STREAM:-}" ] && echo --webhook-per-stream)
}
