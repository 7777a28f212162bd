#!/usr/bin/env bash
# bench_load_memory.sh -- benchmark 3 (docs/performance.md): gateway resident memory per active verified
# stream. Target: <= 64 KB.
#
#   tests/bench/bench_load_memory.sh [N]      (default 1000)
#
# The same setup as bench_load_verify.sh (fresh release gateway, voiceprint enrolled through
# the import API, N zero-integration verify streams with webhooks). RSS is VmRSS of
# /proc/<gateway>/status: the idle gateway (model loaded, voiceprint enrolled, before the
# first stream) and at the end of the measurement window with every stream live; per stream
# = the difference / the streams held. Everything a stream costs is in it: WebSocket
# buffers, registry entry, engine state, live job, cached voiceprint, webhook queue.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && { sed -n '2,12p' "$0"; exit 0; }
n=${1:-1000}
bench_redis_start
bench_verify_gateway "$n"
out=$bench_tmp/memory.json
bench_verify_load "$n" "$out"
bench_gateway_stop
[ -s "$out" ] || bench_die "the load generator failed: $(tail -2 "$out.txt")"
{ read -r held; read -r idle; read -r rss; read -r peak; read -r per; } < <(json "$out" \
  "['streams']['held']" "['gateway']['rss_idle_kb']" "['gateway']['rss_kb']" \
  "['gateway']['rss_max_kb']" "['gateway']['rss_per_stream_kb']")
echo "memory benchmark: $n verified streams, $held held; load average $(bench_load_average)"
echo "  gateway RSS idle $idle kB, with the streams $rss kB (peak $peak kB)"
printf 'result: %.1f KB of gateway RSS per active verified stream (target <= 64 KB)%s\n' \
  "$per" "$([ "$held" = "$n" ] || echo "; NOTE: only $held of $n streams were held")"
