#!/usr/bin/env bash
# tls_metrics.sh -- a TLS gateway end to end, with a local CA made here by the openssl CLI:
# a signed wss:// stream from callprint-call --ca, https /healthz and /readyz with curl
# --cacert, plain http refused on the TLS port; /metrics parsed and its counters checked
# against what the call sent (metrics_check.py); readiness without a model and without Redis;
# and the whole run's log (debug level) holds no secret, no audio payload and no unmasked
# caller number, and its lines about the call carry the stream and session ids.
set -euo pipefail
bin=${CALLPRINT_BIN_DIR:?}
src=${CALLPRINT_SOURCE_DIR:?}
wav=$src/tests/fixtures/audio/librispeech-1688-142285-0003.wav
tmp=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; ops_redis_stop; rm -rf "$tmp"' EXIT
fail() { echo "tls_metrics: $*" >&2; tail -n 30 "$tmp"/log* >&2 2>/dev/null || true; exit 1; }
. "$src/tests/e2e/ops/lib.sh"
passed=0
ok() { passed=$((passed + 1)); }

# Local CA and a server certificate for localhost / 127.0.0.1.
cd "$tmp"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=callprint test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
  -extfile ext 2>/dev/null

redis=$(ops_redis)
admin=Adm1n-pass-$RANDOM$RANDOM
token=twilio-tok-$RANDOM$RANDOM
key=$(openssl rand -hex 32)
start_server "$tmp/log" CALLPRINT_TLS_CERT="$tmp/srv.pem" CALLPRINT_TLS_KEY="$tmp/srv.key" \
  CALLPRINT_REDIS_URL="$redis" CALLPRINT_REDIS_PREFIX="ops$RANDOM:" CALLPRINT_LOG_LEVEL=debug \
  CALLPRINT_ADMIN_PASSWORD="$admin" CALLPRINT_TWILIO_AUTH_TOKEN="$token" \
  CALLPRINT_PUBLIC_URL=wss://gw.test CALLPRINT_VOICEPRINT_KEY="$key"
grep -q "listening on https://" "$tmp/log" || fail "no https listening line"

curl -sf --cacert ca.pem "https://127.0.0.1:$port/healthz" | grep -q '"ok"' || fail "https healthz"
curl -sf --cacert ca.pem "https://localhost:$port/healthz" >/dev/null || fail "https by name"
ok
# An untrusted certificate is refused by the client; plain HTTP gets no answer.
if curl -sf "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then fail "untrusted cert accepted"; fi
if curl -sf -m 5 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then fail "plain http answered"; fi
ok
for _ in $(seq 100); do
  curl -s --cacert ca.pem "https://127.0.0.1:$port/readyz" >"$tmp/ready" || true
  grep -q '"ready":true' "$tmp/ready" && break
  sleep 0.05
done
grep -q '"ready":true' "$tmp/ready" || fail "readyz with model and Redis: $(cat "$tmp/ready")"
ok

# A signed wss:// stream; without --ca the client refuses the private CA.
"$bin/callprint-call" --url "wss://127.0.0.1:$port/stream" --ca ca.pem --fast --sign "$token" \
  --public-url wss://gw.test -p caller=+447911123456 -p session_id=ops-session-1 "$wav" \
  >"$tmp/call.json" || fail "wss call: $(cat "$tmp/call.json")"
grep -q '"opened":true' "$tmp/call.json" || fail "wss call did not open"
if "$bin/callprint-call" --url "wss://127.0.0.1:$port/stream" --fast --sign "$token" \
  --public-url wss://gw.test "$wav" >"$tmp/nocall.json" 2>/dev/null; then
  fail "wss call without the CA accepted"
fi
grep -q '"opened":false' "$tmp/nocall.json" || fail "untrusted: $(cat "$tmp/nocall.json")"
ok
wait_log "$tmp/log" '"reason":"stop"' || fail "no stream end line"
curl -sf --cacert ca.pem "https://127.0.0.1:$port/metrics" -D "$tmp/hdr" >"$tmp/metrics" \
  || fail "metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/hdr" || fail "metrics content type"
python3 "$src/tests/e2e/ops/metrics_check.py" "$tmp/metrics" "$tmp/call.json" || fail "metrics check"
ok
# Maintenance (REST API, when built in): /readyz 503 while locked, 200 again after unlock.
h=https://127.0.0.1:$port
code=$(curl -s --cacert ca.pem -o "$tmp/login" -w '%{http_code}' -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin\"}" "$h/api/v2/auth/login")
if [ "$code" = 404 ]; then
  echo "tls_metrics: maintenance not checked (no REST API in this build)"
else
  [ "$code" = 200 ] || fail "login: $code $(cat "$tmp/login")"
  tok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/login")
  curl -sf --cacert ca.pem -X POST -H "authorization: Token $tok" "$h/api/v2/maintenance/lock" \
    >/dev/null || fail "maintenance lock"
  code=$(curl -s --cacert ca.pem -o "$tmp/rm" -w '%{http_code}' "$h/readyz")
  [ "$code" = 503 ] && grep -q '"reason":"maintenance"' "$tmp/rm" || fail "maintenance: $code"
  curl -sf --cacert ca.pem -X POST -H "authorization: Token $tok" "$h/api/v2/maintenance/unlock" \
    >/dev/null || fail "maintenance unlock"
  curl -sf --cacert ca.pem "$h/readyz" >/dev/null || fail "readyz after unlock"
  grep -qF -- "$tok" "$tmp/log" && fail "API token in the log"
  ok
fi
kill -TERM "$pid"
wait "$pid" || fail "exit status $?"
pid=

# Every line about the call carries its stream id; no secret and no audio in the log.
grep '"streamSid"' "$tmp/log" | grep -v '"stream":"' && fail "call line without stream id"
grep -q '"stream":"[^"]*","session":"ops-session-1"' "$tmp/log" || fail "no session id on the call's lines"
grep -q 7911123456 "$tmp/log" && fail "caller number not masked"
for secret in "$admin" "$token" "$key"; do
  grep -qF -- "$secret" "$tmp/log" && fail "a secret is in the log"
done
grep -Eq '[A-Za-z0-9+/]{120,}' "$tmp/log" && fail "base64 (audio?) in the log"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/log" \
  || fail "log line not JSON"
ok

# Readiness: no model -> 503; Redis unreachable -> 503 (plain HTTP servers).
start_server "$tmp/log2" CALLPRINT_MODEL=/nonexistent.model CALLPRINT_REDIS_URL="$redis"
code=$(curl -s -o "$tmp/r2" -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[ "$code" = 503 ] && grep -q '"reason":"model not loaded"' "$tmp/r2" || fail "no model: $code $(cat "$tmp/r2")"
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "healthz must stay 200"
kill -TERM "$pid"; wait "$pid" || fail "exit status (no model)"
start_server "$tmp/log3" CALLPRINT_REDIS_URL=redis://127.0.0.1:1/0
code=$(curl -s -o "$tmp/r3" -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[ "$code" = 503 ] && grep -q '"reason":"redis' "$tmp/r3" || fail "no redis: $code $(cat "$tmp/r3")"
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/m3" || fail "metrics (no redis)"
grep -qx 'callprint_redis_up 0' "$tmp/m3" || fail "redis_up"
kill -TERM "$pid"; wait "$pid" || fail "exit status (no redis)"
pid=
ok
check_stderr
echo "tls_metrics: $passed passed, 0 failed"
