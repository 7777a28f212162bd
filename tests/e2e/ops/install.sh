#!/usr/bin/env bash
# install.sh -- `cmake --install` gives programs that find their data under the prefix, wherever
# they are run from: no source path is compiled in. The build is installed into a temporary
# prefix; from / and with no CALLPRINT_* settings, callprint's effective configuration names
# the prefix's model, spoofing model and schemas, callprint-bio enrols a recording with the
# installed model, and a running callprint serves the installed OpenAPI document. The programs
# must not hold the source tree's models/ or schemas/ path at all.
. "${CALLPRINT_SOURCE_DIR:?}/tests/support/script.sh"
. "$src/tests/e2e/ops/lib.sh"

prefix=$tmp/usr
cmake --install "$bin/.." --prefix "$prefix" >/dev/null || fail "cmake --install"
for p in callprint callprint-bio callprint-call; do
  [ -x "$prefix/bin/$p" ] || fail "$p not installed"
  if grep -qaF -e "$src/biometrics/models" -e "$src/schemas" "$prefix/bin/$p"; then
    fail "$p holds a source-tree data path"
  fi
done
share=$prefix/share/callprint
[ -f "$share/models/callprint.model" ] && [ -f "$share/schemas/openapi.json" ] ||
  fail "models or schemas not installed"

# Nothing from the environment, run from elsewhere.
clean=(env -u CALLPRINT_MODEL -u CALLPRINT_SPOOF_MODEL -u CALLPRINT_SCHEMAS_DIR)
cd /
conf=$("${clean[@]}" "$prefix/bin/callprint" --check-config) || fail "--check-config"
for want in "model = $share/models/callprint.model" "spoof_model = $share/models/spoof.model" \
            "schemas_dir = $share/schemas"; do
  grep -qxF "$want" <<<"$conf" || fail "expected '$want' in: $(grep -E '^(model|spoof_model|schemas_dir) =' <<<"$conf")"
done
"${clean[@]}" "$prefix/bin/callprint-bio" enroll --min-speech 2 -o "$tmp/spk.vp" \
  "$src/tests/fixtures/audio/librispeech-1688-142285-0003.wav" >"$tmp/stderr" 2>&1 ||
  fail "callprint-bio enroll with the installed model"
[ -s "$tmp/spk.vp" ] || fail "no voiceprint written"

"${clean[@]}" CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_LOG_FILE="$tmp/log" "$prefix/bin/callprint" \
  2>>"$tmp/stderr" &
pid=$!
port=$(wait_port "$tmp/log")
[ -n "$port" ] || fail "no port in the startup log"
doc=$(curl -sf "http://127.0.0.1:$port/api/v2/openapi.json") || fail "GET /api/v2/openapi.json"
grep -q '"openapi"' <<<"$doc" || fail "the installed OpenAPI document is not served"
kill -TERM "$pid"
wait "$pid" || fail "callprint did not exit cleanly"
pid=
echo "install: ok"
