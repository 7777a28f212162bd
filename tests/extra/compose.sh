#!/usr/bin/env bash
# compose.sh -- the Docker Compose stack, really built and run (deploy/test.sh runs it).
#
# No image registry is reachable from the machines this runs on, so the images the stack
# needs are made here from Debian's packages: a Debian 12 base made with debootstrap and
# `docker import` (tagged as the FROM name the Dockerfile uses) and a Redis image built from it
# with Debian's redis-server (tagged as the name docker-compose.yml uses). The gateway image is
# built from docker/Dockerfile exactly as an operator would, with the host network for package
# downloads. Then, through the port published on 127.0.0.1 only:
#   1. wait for the gateway's health check;
#   2. enrol a fixture speaker from a live call (zero-integration mode, signed upgrade);
#   3. verify the same speaker from other recordings: `verified` in the audit stream;
#   4. restart the Redis container: the voiceprint survived (REST) and verifies again;
#   5. take the stack down with its volumes.
# Prints the image sizes. Needs root (dockerd). Installs docker.io and debootstrap if missing
# and starts dockerd when none runs (stopped again at the end).
#
# Uses the release build's callprint-call (build/bin, or CALLPRINT_BIN_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${CALLPRINT_BIN_DIR:-$root/build/bin}
work=$root/var/compose
mkdir -p "$work"
passed=0
failed=0
ok() { echo "compose: ok: $*"; passed=$((passed + 1)); }
bad() { echo "compose: FAIL: $*" >&2; failed=$((failed + 1)); }

# --- the engine ---------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
started_dockerd=
if ! docker info >/dev/null 2>&1; then
  # Low priority: the image build must not starve anything else running on the machine.
  nice -n 10 dockerd >"$work/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { echo "compose: dockerd did not start" >&2; tail "$work/dockerd.log" >&2; exit 1; }
fi

# --- the images no registry can give us ------------------------------------------------------
base=$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' docker/Dockerfile)
redis_image=$(sed -n 's/^ *image: *\(redis:[^ ]*\)$/\1/p' docker/docker-compose.yml)
project=callprinttest$$
# Compose (v1) names the image it builds <project>_<service>: tag ours so, and `up --no-build`.
gateway_image=${project}_gateway
if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "compose: making $base with debootstrap"
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail "$work/debootstrap.log" >&2; exit 1; }
  cp /etc/apt/sources.list.d/debian.sources "$work/rootfs/etc/apt/sources.list.d/" 2>/dev/null \
    && rm -f "$work/rootfs/etc/apt/sources.list"
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/* \
    "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/*
  tar -C "$work/rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$work/rootfs"
fi
if ! docker image inspect "$redis_image" >/dev/null 2>&1; then
  echo "compose: building $redis_image from Debian's redis-server"
  docker build -q --network host --build-arg BASE="$base" -t "$redis_image" \
    -f tests/extra/redis.Dockerfile tests/extra >/dev/null
fi
echo "compose: building $gateway_image"
t0=$SECONDS
docker build -q --network host -t "$gateway_image" -f docker/Dockerfile . >/dev/null
echo "compose: gateway image built in $((SECONDS - t0)) s"
size_mb() { docker image inspect "$1" --format '{{.Size}}' | awk '{printf "%.0f", $1 / 1048576}'; }
echo "compose: image sizes: gateway $(size_mb "$gateway_image") MB, $base $(size_mb "$base") MB, redis $(size_mb "$redis_image") MB"

# --- the stack ------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
admin=compose-admin-$RANDOM$RANDOM
twilio=$(openssl rand -hex 16)
cat >"$work/.env" <<EOF
REDIS_PASSWORD=$(openssl rand -hex 12)
CALLPRINT_BIND=127.0.0.1
CALLPRINT_PORT=$port
CALLPRINT_ADMIN_PASSWORD=$admin
CALLPRINT_TWILIO_AUTH_TOKEN=$twilio
CALLPRINT_PUBLIC_URL=wss://voice.example.com
CALLPRINT_VOICEPRINT_KEY=$(openssl rand -hex 32)
CALLPRINT_LOG_LEVEL=info
CALLPRINT_SHUTDOWN_GRACE_S=2
EOF
dc() { docker-compose -p "$project" -f docker/docker-compose.yml --project-directory "$work" --env-file "$work/.env" "$@"; }
cleanup() {
  dc logs --no-color >"$work/stack.log" 2>&1 || true
  dc down -v --timeout 10 >/dev/null 2>&1 || true
  docker image rm "$gateway_image" >/dev/null 2>&1 || true
  docker image prune -f >/dev/null 2>&1 || true   # the build stages left dangling
  [ -n "$started_dockerd" ] && kill "$started_dockerd" 2>/dev/null && wait "$started_dockerd" 2>/dev/null
  true
}
trap cleanup EXIT
dc up -d --no-build >/dev/null 2>"$work/up.log" || { cat "$work/up.log" >&2; exit 1; }

base_url=http://127.0.0.1:$port
healthy() {
  local id
  id=$(dc ps -q gateway)
  [ "$(docker inspect --format '{{.State.Health.Status}}' "$id" 2>/dev/null)" = healthy ]
}
for _ in $(seq 120); do healthy && break; sleep 0.5; done
if healthy && curl -fsS "$base_url/readyz" >/dev/null 2>&1; then ok "stack healthy and ready on 127.0.0.1:$port"; else bad "stack not healthy"; dc logs --no-color | tail -30 >&2; exit 1; fi

token=$(curl -fsS "$base_url/api/v2/auth/login" -d "{\"username\":\"admin\",\"password\":\"$admin\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
spk=tests/fixtures/bio/speechocean762_0120
id=compose-spk-$$
call() { # call MODE FILE...: one signed live call through the published port, in real time
  # as Twilio sends it (a --fast call outruns the workers' bounded audio queues, which drop)
  local mode=$1; shift
  "$bin/callprint-call" --url "ws://127.0.0.1:$port/stream" --sign "$twilio" \
    --public-url wss://voice.example.com \
    -p external_id="$id" -p mode="$mode" "$@" >>"$work/calls.log"
}
voiceprint_status() {
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Token $token" "$base_url/api/v2/voiceprint/$id"
}
last_verdict() { # the newest verify verdict of this speaker in the audit stream (Redis, in the stack)
  dc exec -T redis sh -c 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --raw XREVRANGE callprint:audit + - COUNT 50' \
    | grep -m1 "external_id=$id" | awk '{print $1}'
}
wait_voiceprint() { for _ in $(seq 40); do [ "$(voiceprint_status)" = 200 ] && return 0; sleep 0.25; done; return 1; }
wait_verdict() { local v; for _ in $(seq 40); do v=$(last_verdict); [ -n "$v" ] && { echo "$v"; return; }; sleep 0.25; done; }

call enroll "$spk"/enroll/*.wav
if wait_voiceprint; then ok "enrolled from a live call"; else bad "no voiceprint after the enrolment call"; fi
call verify "$spk"/test/*.wav
v=$(wait_verdict)
if [ "$v" = verified ]; then ok "the same speaker verified"; else bad "verify verdict '$v', expected verified"; fi

dc restart redis >/dev/null 2>&1
for _ in $(seq 60); do
  [ "$(curl -s "$base_url/readyz" -o /dev/null -w '%{http_code}')" = 200 ] && [ "$(voiceprint_status)" = 200 ] && break
  sleep 0.5
done
if [ "$(voiceprint_status)" = 200 ]; then ok "the voiceprint survived a Redis restart"; else bad "voiceprint lost with the Redis restart"; fi
dc exec -T redis sh -c 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli DEL callprint:audit' >/dev/null
call verify "$spk"/test/*.wav
v=$(wait_verdict)
if [ "$v" = verified ]; then ok "verified again after the restart"; else bad "verify after restart: '$v'"; fi

echo "compose: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
