#!/usr/bin/env bash
# Configure and build callprint. Usage: deploy/build.sh [release|asan] 
#   release -> build/       (binaries in build/bin/)
#   asan    -> build/asan/  (tests, -fsanitize=address,undefined)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-release}
case "$mode" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLPRINT_SANITIZE=OFF -DCALLPRINT_TESTS=OFF) ;;
  asan) dir=build/asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DCALLPRINT_SANITIZE=ON -DCALLPRINT_TESTS=ON) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
