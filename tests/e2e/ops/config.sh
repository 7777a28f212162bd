#!/usr/bin/env bash
# config.sh -- callprint's configuration as an operator meets it: --help lists every setting
# with its variable, default and description; --check-config prints the effective settings
# (file < environment, secrets masked) and exits 0; a bad file or variable exits 2 with a
# message naming the setting (and the file's line); deploy/callprint.conf.example documents
# every setting and is itself a valid configuration.
set -euo pipefail
bin=${CALLPRINT_BIN_DIR:?}
src=${CALLPRINT_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "config: $*" >&2; exit 1; }
cp=$bin/callprint
# Run callprint with no CALLPRINT_* variable from the caller's environment.
run() { env $(env | grep -o '^CALLPRINT_[A-Z_]*' | grep -v -e _BIN_DIR -e _SOURCE_DIR | sed 's/^/-u /') "$@"; }
passed=0
ok() { passed=$((passed + 1)); }

# Every setting: in --help (name, variable, description) and in --check-config.
run "$cp" --help >"$tmp/help"
run "$cp" --check-config >"$tmp/eff" || fail "--check-config with defaults: exit $?"
names=$(grep -v '^#' "$tmp/eff" | sed 's/ = .*//')
[ "$(echo "$names" | wc -l)" -ge 30 ] || fail "too few settings: $names"
for n in $names; do
  var=CALLPRINT_$(echo "$n" | tr a-z A-Z)
  grep -q "^  $n  *[^ ]" "$tmp/help" || fail "--help: $n without a description"
  grep -q "  $var (default" "$tmp/help" || fail "--help: no $var"
  grep -Eq "^#? ?$n =( |$)" "$src/deploy/callprint.conf.example" || fail "deploy/callprint.conf.example lacks $n: python3 tests/e2e/ops/gen_conf_example.py build/bin/callprint > deploy/callprint.conf.example"
done
ok
"$cp" --version | grep -q '^callprint [0-9]' || fail "--version"
ok

# The example file is a valid configuration (its commented lines are the defaults).
run "$cp" --config "$src/deploy/callprint.conf.example" --check-config >/dev/null || fail "example"
ok

# File values, environment wins, secrets masked, quotes keep spaces.
cat >"$tmp/good.conf" <<'CONF'
# comment
listen = 127.0.0.1:9123
max_streams = 42
admin_password = "hunter2 #x"
twilio_auth_token = tok-file-secret
mask_numbers = off
CONF
run env CALLPRINT_MAX_STREAMS=7 CALLPRINT_VOICEPRINT_KEY=$(printf 'ab%.0s' $(seq 32)) \
  CALLPRINT_REDIS_URL=redis://:redis-pw-secret@db.example:6380/2 \
  "$cp" --config "$tmp/good.conf" --check-config >"$tmp/out" || fail "good file: exit $?"
grep -qx 'listen = 127.0.0.1:9123' "$tmp/out" || fail "file value: $(cat "$tmp/out")"
grep -qx 'max_streams = 7' "$tmp/out" || fail "environment must win"
grep -qx 'mask_numbers = false' "$tmp/out" || fail "bool"
grep -qx 'admin_password = \*\*\*\*\*\*\*\*' "$tmp/out" || fail "password not masked"
grep -qx 'twilio_auth_token = \*\*\*\*\*\*\*\*' "$tmp/out" || fail "token not masked"
grep -qx 'voiceprint_key = \*\*\*\*\*\*\*\*' "$tmp/out" || fail "key not masked"
grep -qx 'redis_url = redis://:\*\*\*\*\*\*\*\*@db.example:6380/2' "$tmp/out" || fail "redis password"
! grep -q -e hunter2 -e tok-file-secret -e abababab -e redis-pw "$tmp/out" || fail "secret printed"
env -u CALLPRINT_MAX_STREAMS CALLPRINT_CONFIG="$tmp/good.conf" "$cp" --check-config \
  | grep -qx 'max_streams = 42' || fail "CALLPRINT_CONFIG not read"
ok

# Bad configurations: exit 2, the setting named, the file's line number.
bad() { # bad NAME EXPECTED-REGEX FILE-CONTENT [ENV...]
  local name=$1 want=$2 content=$3; shift 3
  printf '%s\n' "$content" >"$tmp/bad.conf"
  set +e
  run env "$@" "$cp" --config "$tmp/bad.conf" --check-config >/dev/null 2>"$tmp/err"
  local rc=$?
  set -e
  [ $rc = 2 ] || fail "$name: exit $rc, expected 2"
  grep -Eq "$want" "$tmp/err" || fail "$name: message \"$(cat "$tmp/err")\" lacks /$want/"
  ok
}
bad "bad int" 'bad.conf:3: max_streams: expected an integer' $'# x\n\nmax_streams = 12abc'
bad "unknown setting" 'bad.conf:2: unknown setting "max_stream"' $'listen = 127.0.0.1:1\nmax_stream = 3'
bad "no equals" 'bad.conf:1: expected name = value' 'listen 127.0.0.1:1'
bad "duplicate" 'bad.conf:2: workers: already set on line 1' $'workers = 1\nworkers = 2'
bad "bad bool" 'bad.conf:1: mask_numbers: expected true or false' 'mask_numbers = maybe'
bad "bad listen" 'bad.conf:1: listen: expected host:port' 'listen = 8080'
bad "env bad int" 'CALLPRINT_WORKERS: workers: expected an integer' '' CALLPRINT_WORKERS=many
bad "cert without key" 'tls_key: set tls_cert and tls_key together' "tls_cert = $tmp/bad.conf"
bad "unreadable cert" 'tls_cert: cannot read' $'tls_cert = /nonexistent.pem\ntls_key = /nonexistent.key'
bad "bad key" 'voiceprint_key: ' 'voiceprint_key = short'
bad "thresholds" 'thr_not_sure: 80 is above thr_verified' $'thr_verified = 60\nthr_not_sure = 80'
set +e
run "$cp" --config "$tmp/missing.conf" --check-config 2>"$tmp/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q 'missing.conf: No such file' "$tmp/err" || fail "missing file: $rc $(cat "$tmp/err")"
ok
# A bad configuration also stops the server itself before it listens.
set +e
run env CALLPRINT_LISTEN=127.0.0.1:0 CALLPRINT_MAX_STREAMS=0 "$cp" 2>"$tmp/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q max_streams "$tmp/err" || fail "server with a bad setting: $rc"
ok
# Beyond loopback, /stream needs a Twilio auth token, or the risk accepted explicitly
# (checked with --check-config: the same validation runs before the server listens).
refused() { # refused "VAR=value..." expected-message
  set +e
  run env $1 "$cp" --check-config >/dev/null 2>"$tmp/err"; local rc=$?
  set -e
  [ $rc = 2 ] && grep -q "$2" "$tmp/err" || fail "$1: exit $rc, $(cat "$tmp/err")"
}
refused "CALLPRINT_LISTEN=0.0.0.0:8080" "twilio_auth_token: required when listening on 0.0.0.0:8080"
refused "CALLPRINT_LISTEN=10.1.2.3:8080" "insecure_no_stream_auth = true"
refused "CALLPRINT_LISTEN=[::]:8080" "twilio_auth_token: required"
for good in "CALLPRINT_LISTEN=0.0.0.0:8080 CALLPRINT_TWILIO_AUTH_TOKEN=tok" \
            "CALLPRINT_LISTEN=0.0.0.0:8080 CALLPRINT_INSECURE_NO_STREAM_AUTH=true" \
            "CALLPRINT_LISTEN=[::1]:8080" "CALLPRINT_LISTEN=localhost:8080"; do
  run env $good "$cp" --check-config >/dev/null 2>"$tmp/err" || fail "$good: $(cat "$tmp/err")"
done
refused "CALLPRINT_REQUIRE_CALL_TOKEN=true" "require_call_token: needs call_token_secret"
ok
echo "config: $passed passed, 0 failed"
