#!/usr/bin/env bash
# Install the Debian 12 packages callprint needs, only those that are missing.
# Usage: deploy/deps.sh [build|test|runtime|train]   (default: build)
# train: build + what biometrics/train/train.sh needs to rebuild the model (sox, ffmpeg) and
#        check_calls.py its label check (numpy); spoof/train.sh the spoofing data generators
#        (espeak-ng, espeak, praat, rubberband, npm).
# Idempotent; runs as root without sudo (uses sudo only when not root and available).
set -euo pipefail

runtime=(libwebsockets17 libwebsockets-evlib-uv libuv1 libcjson1 libssl3 libcurl4 libhiredis0.14
         libsndfile1 libfftw3-single3 libspeexdsp1 libopenblas0 liblapacke libphonenumber8
         libgeocoding8 ca-certificates curl)
build=(build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-uv libcjson-dev libjsmn-dev
       libuv1-dev libssl-dev libcurl4-openssl-dev libhiredis-dev libsndfile1-dev libfftw3-dev
       libspeexdsp-dev libopenblas-dev liblapacke-dev libphonenumber-dev libicu-dev redis-server
       ca-certificates)
test=("${build[@]}" libcriterion-dev clang libclang-rt-14-dev valgrind python3 python3-jsonschema
      docker-compose openssl curl npm chromium)
train=("${build[@]}" python3 python3-numpy sox libsox-fmt-all ffmpeg espeak-ng espeak praat rubberband-cli npm)

case "${1:-build}" in
  runtime) want=("${runtime[@]}") ;;
  build) want=("${build[@]}") ;;
  test) want=("${test[@]}") ;;
  train) want=("${train[@]}") ;;
  *) echo "usage: $0 [build|test|runtime|train]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # npm may come from outside Debian's packages (a machine image's own Node.js): a working
  # npm command is enough, and Debian's npm would conflict with it.
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
