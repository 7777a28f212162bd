#!/usr/bin/env bash
# Run every libFuzzer target for a bounded time (deploy/test.sh runs every tests/extra/*.sh).
#
# Configures build/fuzz with clang, -DCALLPRINT_FUZZ=ON and the sanitizers, builds only the
# fuzz_* targets (tests/fuzz, and any other area that defines fuzz_<name> under
# CALLPRINT_FUZZ), and runs each on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<name>/, else tests/fixtures/<name>/) so the tree stays clean.
# Exits non-zero if a target does not build or libFuzzer reports a crash, leak or sanitizer
# error; the crashing input is kept under build/fuzz/artifacts/.
#
# FUZZ_SECONDS (default 20) bounds each target's run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-20}
build=$root/build/fuzz

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang is not installed (deploy/deps.sh test)" >&2
  exit 1
fi

# -fsanitize=fuzzer-no-link instruments the libraries for coverage; each fuzz target adds
# -fsanitize=fuzzer itself. CALLPRINT_SANITIZE adds address,undefined everywhere.
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
  -DCALLPRINT_FUZZ=ON -DCALLPRINT_SANITIZE=ON -DCALLPRINT_TESTS=ON \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; echo "fuzz.sh: configure failed" >&2; exit 1; }

mapfile -t targets < <(cmake --build "$build" --target help | sed -n 's/^\.\.\. \(fuzz_[A-Za-z0-9_]*\)$/\1/p' |
                       grep -v '_replay$' | sort -u)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi
cmake --build "$build" -j2 --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  seeds=$root/tests/fuzz/corpus/$name
  [ -d "$seeds" ] || seeds=$root/tests/fixtures/$name
  work=$(mktemp -d "$build/corpus-$name.XXXXXX")
  [ -d "$seeds" ] && cp -r "$seeds/." "$work/"
  echo "== $t: ${seconds}s on $(ls "$work" | wc -l) seeds"
  if ! "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=70000 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
       "$work" >"$build/$t.log" 2>&1; then
    tail -n 40 "$build/$t.log" >&2
    echo "fuzz.sh: $t FAILED (see $build/$t.log, artifacts in $build/artifacts)" >&2
    status=1
  else
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units)' "$build/$t.log" | tail -n 1 || true
  fi
  rm -rf "$work"
done
exit $status
