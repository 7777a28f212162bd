#!/usr/bin/env bash
# bench_smoke.sh -- a short run of every load benchmark (deploy/test.sh runs it after ctest):
# proves the tooling works and that its figures come from real measurements. Small N, a few
# seconds each, < 60 s in all. It fails when the tooling is broken -- a benchmark that does
# not run, a report that is missing or inconsistent (counts that do not add up to what was
# sent, CPU that /proc did not see, latencies with no samples) -- never because a target is
# missed: that is the full benchmarks' business (tests/bench/bench_load_*.sh, bench_import.sh,
# docs/performance.md).
#
# Uses the release build (build/bin, or CALLPRINT_BIN_DIR).
set -uo pipefail
cd "$(dirname "$0")/../.."
src=$(pwd)
export CALLPRINT_BIN_DIR=${CALLPRINT_BIN_DIR:-$src/build/bin}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export BENCH_OUT_DIR=$out BENCH_HOLD_S=3
failures=0
fail() { echo "bench_smoke: FAIL: $*" >&2; failures=$((failures + 1)); }

# check FILE PYTHON-EXPRESSION DESCRIPTION: the expression over the report d must hold.
check() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$1" "$2" 2>/dev/null || fail "$(basename "$1"): $3 [$2]"
}

# run NAME PATTERN BENCHMARK ARGS...: one benchmark run, its output in $out/NAME.txt; it must
# exit 0 and print a line matching PATTERN (its result).
run() {
  local name=$1 pattern=$2 txt=$out/$1.txt status=0
  shift 2
  "$@" >"$txt" 2>&1 || status=$?
  [ "$status" -eq 0 ] || fail "$name: $(basename "$1") exited $status"
  grep -q "$pattern" "$txt" || fail "$name: no line '$pattern' from $(basename "$1")"
}

# The counts of one load report: everything sent accounted for, the gateway's /proc read.
check_load() {
  local f=$1 n=$2
  check "$f" "d['streams']['requested']==$n and d['streams']['completed']==$n" "all $n streams completed"
  check "$f" "d['media_sent']==d['media_expected']>0" "every frame of the audio was sent"
  check "$f" "d['messages_sent']==d['media_sent']+3*$n" "messages = media + connected/start/stop"
  check "$f" "d['send_lag']['count']==d['media_sent'] and d['send_lag']['max_ms']>=d['send_lag']['p99_ms']>=d['send_lag']['p50_ms']" "a send lag per frame"
  check "$f" "d['window_s']>1 and d['streams']['held']==$n" "a steady window with every stream"
  check "$f" "d['gateway']['cpu_s']>0 and d['gateway']['cores']>0" "gateway CPU from /proc"
  check "$f" "d['gateway']['rss_idle_kb']>0 and d['gateway']['rss_kb']>0" "gateway RSS from /proc"
  check "$f" "d['generator']['cpu_s']>0" "generator CPU from getrusage"
  check "$f" "d['gateway']['latency_available']" "GET /debug/latency answered"
}

t0=$SECONDS
echo "bench_smoke: ingest (20 streams, ingest only)"
run ingest '^result:' tests/bench/bench_load_ingest.sh 20
if [ -s "$out/ingest-20.json" ]; then
  check_load "$out/ingest-20.json" 20
else
  fail "no ingest report"
fi

echo "bench_smoke: the loopback floor (20 streams, bench_floor in the gateway's place)"
run floor "^projection: the floor server's" tests/bench/bench_load_ingest.sh --floor 20
if [ -s "$out/ingest-20.json" ]; then
  f=$out/ingest-20.json
  check "$f" "d['streams']['completed']==20 and d['media_sent']==d['media_expected']>0" "the floor took every stream and frame"
  check "$f" "d['gateway']['cpu_s']>0 and not d['gateway']['latency_available']" "floor CPU from /proc (and no gateway behind it)"
else
  fail "no floor report"
fi

echo "bench_smoke: live verification (20 streams)"
run verify '^result:' tests/bench/bench_load_verify.sh 20
if [ -s "$out/verify-20.json" ]; then
  f=$out/verify-20.json
  check_load "$f" 20
  check "$f" "d['gateway']['media_to_worker']['count']>0" "media-to-worker samples from the workers"
  check "$f" "d['gateway']['request']['count']>0" "verify request latency samples"
  check "$f" "d['webhooks']['received']>=20 and d['webhooks']['streams']==20" "webhooks from every stream"
  check "$f" "d['webhooks']['without_sent_at']==0 and d['webhooks']['delivery']['count']==d['webhooks']['received']" "X-Callprint-Sent-At on every webhook"
  check "$f" "sum(d['webhooks']['results'].values())==d['webhooks']['received'] or len(d['webhooks']['results'])==8" "every webhook classified"
  check "$f" "d['webhooks']['verdict_p99_ms']>0" "a verdict latency"
else
  fail "no verify report"
fi

echo "bench_smoke: memory (20 streams)"
run memory '^result: [0-9.]* KB' tests/bench/bench_load_memory.sh 20
[ -s "$out/memory.json" ] && check "$out/memory.json" "d['gateway']['rss_kb']>=d['gateway']['rss_idle_kb']>0" "RSS idle and loaded"

echo "bench_smoke: import (4 recordings)"
run import '^result:' tests/bench/bench_import.sh 4 2
if [ -s "$out/import.json" ]; then
  check "$out/import.json" "d['enrolled']==4 and d['gateway_cpu_s']>0 and d['per_cpu_second']>0" "4 recordings enrolled, CPU from /proc"
else
  fail "no import report"
fi

if [ "$failures" -gt 0 ]; then
  for f in "$out"/*.txt; do echo "--- $(basename "$f")"; tail -15 "$f"; done >&2
  echo "bench_smoke: $failures failure(s) in $((SECONDS - t0)) s" >&2
  exit 1
fi
echo "bench_smoke: 5 benchmark runs, reports consistent, in $((SECONDS - t0)) s"
