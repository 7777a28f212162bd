#!/usr/bin/env bash
# Validate and lint the Docker files (compose.sh builds and runs them): docker-compose config
# must accept the compose file with the example .env, and the linters must pass.
# docker/.dclintrc turns off three dclint rules: the top-level "name" field (docker-compose 1.29,
# the validator here, rejects it), unbound port interfaces (the bind address is a variable that
# defaults to 127.0.0.1, which the linter cannot see) and the quoting style of ports.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
tools="$root/var/tools"
if [ ! -x "$tools/node_modules/.bin/dclint" ] || [ ! -x "$tools/node_modules/.bin/dockerfilelint" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent dclint@3.1.0 dockerfilelint@1.8.0 >/dev/null 2>&1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp docker/docker-compose.yml "$tmp/docker-compose.yml"
cp docker/.env.example "$tmp/.env"
(cd "$tmp" && docker-compose -f docker-compose.yml config -q)
echo "docker: compose config ok"
(cd docker && "$tools/node_modules/.bin/dclint" docker-compose.yml)
echo "docker: dclint ok"
"$tools/node_modules/.bin/dockerfilelint" docker/Dockerfile
echo "docker: dockerfilelint ok"
# The runtime stage must carry the lws libuv plugin (libwebsockets17 does not pull it in).
grep -q libwebsockets-evlib-uv deploy/deps.sh
echo "docker: 2 passed, 0 failed"
