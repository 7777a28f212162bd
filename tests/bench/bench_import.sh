#!/usr/bin/env bash
# bench_import.sh -- benchmark 4 (docs/performance.md): enrolment import throughput, recordings enrolled per
# second per core, through the REST API (POST /api/v2/import).
#
#   tests/bench/bench_import.sh [COUNT] [BATCH]      (default 96 recordings, 16 per request)
#
# A fresh release gateway (both cores) and private redis-server; each recording is one
# fixture speaker's enrolment utterances concatenated into one u-law WAV (~45 s of audio,
# over the 20 s net-speech minimum), sent base64 in JSON, two requests in flight. The gateway
# decodes and enrols on the libuv thread pool and replies once Redis acknowledged every
# voiceprint. Per core = recordings created / gateway CPU seconds (utime + stime of
# /proc/<gateway>/stat over the run): the cost of an enrolment on one core, whatever the
# number of cores.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && { sed -n '2,13p' "$0"; exit 0; }
count=${1:-96}
batch=${2:-16}
bench_redis_start
bench_gateway_start "" CALLPRINT_ADMIN_PASSWORD=bench-admin-password \
  CALLPRINT_HTTP_BODY_MAX=$((256 << 20)) CALLPRINT_HTTP_TIMEOUT_S=170
out=$bench_tmp/import.json
timeout 170 python3 "$bench_src/tests/bench/bench_api.py" import "http://127.0.0.1:$gw_port" \
  bench-admin-password "$gw_pid" "$count" "$batch" "$bench_src/tests/fixtures/bio" >"$out"
rc=$?
bench_gateway_stop
[ -s "$out" ] || bench_die "the import run failed (status $rc)"
[ -n "${BENCH_OUT_DIR:-}" ] && cp "$out" "$BENCH_OUT_DIR/"
echo "import benchmark: $(cat "$out"); load average $(bench_load_average)"
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("result: %d of %d recordings (%.1f s of audio each) enrolled in %.2f s = %.2f/s;"
      " gateway CPU %.2f s = %.2f recordings per second per core"
      % (d["enrolled"], d["recordings"], d["recording_seconds_mean"], d["wall_s"],
         d["per_second"], d["gateway_cpu_s"], d["per_cpu_second"]))
PY
exit $rc
