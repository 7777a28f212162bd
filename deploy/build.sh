#!/usr/bin/env bash
# Configure and build callprint. Usage: deploy/build.sh [release|asan|check]
#   release -> build/        (binaries in build/bin/; benchmarks)
#   asan    -> build/asan/   (the test suite, -fsanitize=address,undefined)
#   check   -> build/check/  (the test suite without sanitizers, for the valgrind tests)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-release}
case "$mode" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLPRINT_SANITIZE=OFF -DCALLPRINT_TESTS=OFF) ;;
  asan) dir=build/asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DCALLPRINT_SANITIZE=ON -DCALLPRINT_TESTS=ON) ;;
  check) dir=build/check; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLPRINT_SANITIZE=OFF -DCALLPRINT_TESTS=ON) ;;
  *) echo "usage: $0 [release|asan|check]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
