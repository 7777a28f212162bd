#!/usr/bin/env bash
# evaluate.sh -- accuracy of a model on the held-out trials (see make_lists.py).
# Usage: biometrics/train/evaluate.sh BUILD_DIR MODEL DATA_DIR LISTS_DIR
# Prints one line per condition: EER %, minDCF (P_target 0.01), FAR/FRR at the model's
# `verified` threshold, trial counts.
set -euo pipefail
bin=$1/bin/callprint-bio model=$2 data=$3 lists=$4
printf '%-22s %7s %7s %9s %9s %7s %7s\n' condition EER% minDCF FAR@ver% FRR@ver% targets nontgt
for cond in in_domain_3s out_of_domain_3s pooled_3s in_domain_10s out_of_domain_10s pooled_10s; do
  "$bin" --model "$model" eval --root "$data" "$lists/trials_$cond.tsv" | python3 -c '
import json, sys
r = json.load(sys.stdin); t = r["at_model_thresholds"]
print("%-22s %7.2f %7.3f %9.2f %9.2f %7d %7d" % (sys.argv[1], r["eer_percent"], r["min_dcf"],
      t["verified_far_percent"], t["verified_frr_percent"], r["targets"], r["nontargets"]))' "$cond"
done
