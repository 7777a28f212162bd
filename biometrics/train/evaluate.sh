#!/usr/bin/env bash
# evaluate.sh -- accuracy of a model on the held-out trials of make_lists.py.
# Usage: [EXCLUDE=SPEAKER,...] biometrics/train/evaluate.sh BUILD_DIR MODEL LISTS_DIR
# Scores the 3 s, 6 s and 10 s trials (every trial scored, `eval --scores`, written to
# LISTS_DIR/scores_<model name>_<N>s.tsv) and prints per held-out set and pooled (dev sets,
# test sets, leave-one-source-out sets, all): EER %, minDCF (P_target 0.01), false-accept /
# false-reject % at the model's `verified` and `not_sure` thresholds, share of tests answered
# insufficient_speech at the model's minimum net speech, trial counts (report.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1/bin/callprint-bio model=$2 lists=$3
name=$(basename "$model" .model)
files=()
for d in 3 6 10; do
  out="$lists/scores_${name}_${d}s.tsv"
  "$bin" --model "$model" eval --root "$lists/root" --scores "$out" "$lists/trials_${d}s.tsv" \
    > "$lists/eval_${name}_${d}s.json"
  files+=("$out")
done
thr=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["at_model_thresholds"]; print(t["verified"], t["not_sure"])' "$lists/eval_${name}_3s.json")
echo "model $model, thresholds verified / not_sure: $thr"
python3 "$here/report.py" "$lists/speakers.tsv" $thr "${files[@]}"
# EXCLUDE=SPK,...: the same table again without those speakers' trials (e.g. the held-out
# callers check_calls.py finds split); the full table above stays the one of record.
if [ -n "${EXCLUDE:-}" ]; then
  echo "without $EXCLUDE (every trial they enrol or test in):"
  python3 "$here/report.py" --exclude "$EXCLUDE" "$lists/speakers.tsv" $thr "${files[@]}"
fi
