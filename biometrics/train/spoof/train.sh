#!/usr/bin/env bash
# train.sh -- build the anti-spoofing data, measure, and train the shipped countermeasure.
# Usage: biometrics/train/spoof/train.sh BUILD_DIR CACHE_DIR CORPUS_DIR...
#   BUILD_DIR   a release build (BUILD_DIR/bin/callprint-bio)
#   CACHE_DIR   receives the generated audio (a few hundred MB) and the vector cache; outside
#               the repository
#   CORPUS_DIR  speech corpora with MANIFEST.tsv (the development corpus, the extra corpus)
# Needs sox, ffmpeg, espeak-ng, espeak, praat, rubberband, node/npm, cc (deploy/deps.sh train).
# Writes biometrics/models/spoof.model and
# prints the held-out figures (leave-one-kind-out, leave-one-family-out, pooled, bona fide
# flagged per source) of the network and of the two-GMM baseline, as JSON lines.
set -euo pipefail
build=$1 cache=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
mkdir -p "$cache/npm"
[ -d "$cache/npm/node_modules/sam-js" ] ||
  (cd "$cache/npm" && npm init -y >/dev/null && npm install --no-audit --no-fund sam-js@0.3.1 @echogarden/gnuspeech-wasm@0.3.0 >/dev/null)
NPM_DIR=$cache/npm nice -n 5 python3 "$here/make_data.py" "$cache/data" "$@"
bin=$build/bin/callprint-bio
nice -n 5 "$bin" spoof-train --hidden 4 --l2 0.05 --epochs 30 --cache "$cache/vectors.bin" -o "$repo/biometrics/models/spoof.model" "$cache/data/list.tsv"
nice -n 5 "$bin" spoof-train --no-heldout --gmm-baseline --cache "$cache/vectors.bin" "$cache/data/list.tsv"
# leave-one-family-out, the held-out figures of record: kinds of one generator family together
families=tts:lpc+tts:vc,tts:espeak+tts:espeak-ng,tts:psola+tts:psola_flat,tts:pvoc+tts:melgl
families=$families,replay:bt_speaker+replay:car_handsfree+replay:hifi_close+replay:laptop+replay:phone_spk+replay:tv_room
families=$families,replay:rec_replay,tts:sam,tts:gnuspeech,tts:hnm,tts:rubberband,tts:splice
nice -n 5 "$bin" spoof-train --hold-out "$families" --cache "$cache/vectors.bin" "$cache/data/list.tsv"
# the shipped model on the test split (what biometrics/models/spoof.md reports)
"$bin" spoof-eval --cache "$cache/vectors.bin" "$cache/data/list.tsv"
