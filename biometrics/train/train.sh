#!/usr/bin/env bash
# train.sh -- the whole training pipeline in one command (deterministic).
# Usage: biometrics/train/train.sh BUILD_DIR DATA_DIR EXTRA_DIR WORK_DIR [MODEL] [-- TRAIN_OPTIONS]
#   1. make_lists.py: split and trials (WORK_DIR/lists; root/ links both corpora)
#   2. augment_codecs.py: COPIES (default 3) codec/device/noise copies per training speaker,
#      cached under WORK_DIR/lists/root/aug (skipped when train_aug.tsv exists)
#   3. group_segments.py: short utterances of one call joined into >= 8 s training files
#   4. callprint-bio train --cohort-channels (then TRAIN_OPTIONS; other settings: defaults)
#   5. evaluate.sh -> calibrate.py: duration-aware calibration fitted on the dev trials of all
#      three test lengths (rewrites the model's calibration; the model id changes)
#   6. evaluate.sh (scores of every held-out trial) -> report.py --thresholds -> set_thresholds.py:
#      `verified` = the highest 1%-false-accept threshold over the dev sets and test lengths,
#      `not_sure` = the dev equal-error threshold
#   7. report.py: the full table at those thresholds (per held-out set and pooled, 3 / 6 / 10 s)
# MODEL defaults to WORK_DIR/callprint.model. Needs sox, ffmpeg (training only), python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 data=$2 extra=$3 work=$4
shift 4
model=$work/callprint.model
if [ $# -gt 0 ] && [ "$1" != "--" ]; then model=$1; shift; fi
[ "${1:-}" = "--" ] && shift
lists=$work/lists
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
python3 "$here/make_lists.py" "$data" "$extra" "$lists"
[ -s "$lists/train_aug.tsv" ] || python3 -W ignore "$here/augment_codecs.py" "$lists" "${COPIES:-3}" "${JOBS:-2}"
[ -s "$lists/train_grp.tsv" ] || python3 "$here/group_segments.py" "$lists/root" "$lists/train_aug.tsv" "$lists/train_grp.tsv" 8
"$build/bin/callprint-bio" train --quiet -o "$model" --root "$lists/root" \
    --cohort-channels "$@" "$lists/train_grp.tsv"
name=$(basename "$model" .model)
scores=("$lists/scores_${name}_3s.tsv" "$lists/scores_${name}_6s.tsv" "$lists/scores_${name}_10s.tsv")
"$here/evaluate.sh" "$build" "$model" "$lists" > /dev/null
python3 "$here/calibrate.py" "$model" "$lists/speakers.tsv" "${scores[@]}"
"$here/evaluate.sh" "$build" "$model" "$lists" > /dev/null
read -r ver ns < <(python3 "$here/report.py" --thresholds "$lists/speakers.tsv" "${scores[@]}")
python3 "$here/set_thresholds.py" "$model" "$ver" "$ns"
# The thresholds do not change the scores: report them again at the new thresholds.
python3 "$here/report.py" "$lists/speakers.tsv" "$ver" "$ns" "${scores[@]}"
