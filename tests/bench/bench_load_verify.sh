#!/usr/bin/env bash
# bench_load_verify.sh -- benchmark 2 (docs/performance.md): concurrent live-verified streams on this
# machine (both cores) with verdict latency p99 < 200 ms. Target: >= 1000 (500 per core).
#
#   tests/bench/bench_load_verify.sh [N ...]      (default 250 500 1000 1500 2000 3000)
#
# Each step: a fresh release gateway (workers = cores) and private redis-server; one voiceprint
# enrolled through POST /api/v2/import from a fixture speaker's enrolment recordings; then N
# zero-integration streams (customParameters external_id, mode=verify, webhook) of the same
# speaker's test recordings, real time, with the generator's own webhook receiver. The
# gateway verifies every stream every second and posts a webhook each time.
#
# Verdict latency p99 = p99 of the worker request (the tick's verify job from its hand-over
# to the result back on the loop: queueing + scoring) + p99 of the webhook delivery (from the
# gateway's X-Callprint-Sent-At to arrival in the receiver). A step holds when every stream
# completed, webhooks arrived, no audio was dropped, media-to-worker p99 < 20 ms and verdict
# p99 < 200 ms. The generator shares the two cores: its own CPU is reported.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && { sed -n '2,19p' "$0"; exit 0; }
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(250 500 1000 1500 2000 3000)
budget=${BENCH_BUDGET_S:-170}
echo "live verification benchmark: gateway and generator share both cores;" \
  "load average $(bench_load_average)"
printf '%6s %5s %8s %9s %9s %9s %9s %9s %9s %9s  %s\n' N held webhooks "gw-cores" "ms/str-s" \
  "req-p99" "dlv-p99" "verd-p99" "m2w-p99" "gen-ms/s" verdict
bench_redis_start
start=$SECONDS
best=0
projected=0
for n in "${steps[@]}"; do
  if [ $((SECONDS - start + 4 * n / 1000 + ${BENCH_HOLD_S:-8} + 8)) -gt "$budget" ]; then
    echo "(stopping before N=$n: the run would exceed ${budget} s)"
    break
  fi
  bench_verify_gateway "$n"
  out=$bench_tmp/verify-$n.json
  bench_verify_load "$n" "$out"
  bench_gateway_stop
  [ -s "$out" ] || { echo "N=$n: the load generator failed: $(tail -2 "$out.txt")"; exit 2; }
  { read -r pass; read -r held; read -r hooks; read -r cores; read -r cpu_ms; read -r req
    read -r dlv; read -r verd; read -r m2w; read -r gen_ms; read -r results; read -r why; } < <(
    json "$out" "['pass']" "['streams']['held']" "['webhooks']['received']" \
    "['gateway']['cores']" "['gateway']['cpu_per_stream_s']*1000" \
    "['gateway']['request']['p99_ms']" "['webhooks']['delivery']['p99_ms']" \
    "['webhooks']['verdict_p99_ms']" "['gateway']['media_to_worker']['p99_ms']" \
    "['generator']['cpu_per_stream_s']*1000" "['webhooks']['results']" "['why']")
  verdict=ok
  [ "$pass" = true ] || verdict="FAIL: $why"
  printf '%6s %5s %8s %9.3f %9.4f %9s %9s %9s %9s %9.4f  %s\n' "$n" "$held" "$hooks" \
    "$cores" "$cpu_ms" "$req" "$dlv" "$verd" "$m2w" "$gen_ms" "$verdict"
  echo "        webhook results: $results"
  # CPU per verified stream-second (engine + everything else) projects the capacity of the
  # machine's cores at 90 %, which stays meaningful when a busy machine misses the latencies.
  projected=$(awk "BEGIN { if ($cpu_ms > 0) printf \"%d\", 900 * $(nproc) / $cpu_ms; else print 0 }")
  [ "$verdict" = ok ] || break
  best=$n
done
echo "projection: at the last step's gateway CPU per verified stream-second, 90 % of $(nproc)" \
  "cores hold ~$projected streams (the generator's CPU not counted)"
echo "result: $best concurrent verified streams (verdict p99 < 200 ms) on $(nproc) cores;" \
  "target >= 1000; load average at the end $(bench_load_average)"
