#!/usr/bin/env bash
# Set up and run the gateway in the foreground with a working default configuration:
# installs missing packages, builds build/bin/callprint, starts a private redis-server on a
# unix socket under var/ (unless CALLPRINT_REDIS_URL names one), listens on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

deploy/deps.sh build
deploy/build.sh release

mkdir -p var/redis
if [ -z "${CALLPRINT_REDIS_URL:-}" ]; then
  sock="$root/var/redis/redis.sock"
  if ! redis-cli -s "$sock" ping >/dev/null 2>&1; then
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$root/var/redis" \
      --appendonly yes --appendfsync always --daemonize yes --pidfile "$root/var/redis/redis.pid" \
      --logfile "$root/var/redis/redis.log"
    for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  export CALLPRINT_REDIS_URL="unix://$sock"
fi

export CALLPRINT_LISTEN=${CALLPRINT_LISTEN:-127.0.0.1:8080}
# A local trial on loopback: test calls (callprint-call) are not signed, so zero-integration
# enrolment is allowed unless a Twilio token or a call-token secret is configured. Listening
# beyond loopback needs CALLPRINT_TWILIO_AUTH_TOKEN (docs/security.md).
if [ -z "${CALLPRINT_TWILIO_AUTH_TOKEN:-}${CALLPRINT_CALL_TOKEN_SECRET:-}" ]; then
  export CALLPRINT_ALLOW_UNSIGNED_ENROLL=${CALLPRINT_ALLOW_UNSIGNED_ENROLL:-true}
fi
export CALLPRINT_MODEL=${CALLPRINT_MODEL:-$root/biometrics/models/callprint.model}
export CALLPRINT_SPOOF_MODEL=${CALLPRINT_SPOOF_MODEL:-$root/biometrics/models/spoof.model}
exec build/bin/callprint "$@"
