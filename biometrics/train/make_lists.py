#!/usr/bin/env python3
"""make_lists.py -- deterministic train/eval split and trials files for callprint-bio.

Usage: make_lists.py DATA_DIR OUT_DIR
  DATA_DIR  the corpus (MANIFEST.tsv, SPEAKERS.tsv, <source>/<speaker>/*.wav)
  OUT_DIR   receives train.tsv (for `callprint-bio train --root DATA_DIR`), the trials files
            (for `callprint-bio eval --root DATA_DIR`) and eval_speakers.tsv.

Split (documented in biometrics/models/README.md):
  - speechocean762: speakers sorted by id; every third (index % 3 == 1) is held out for
    in-domain evaluation, the others train the model.
  - librispeech (test-other, 10 speakers) and fsdd (6 speakers): held out entirely, the
    out-of-domain evaluation sets (different text, recording conditions and, for fsdd,
    digits only).
  - librispeech_1utt (251 speakers, one utterance each): training only (background, cohort).
Trials: per evaluation speaker, utterances in name order (fsdd: interleaved digits, see
utt_order); enrolment = the first utterances
holding ~20 s of net speech (spec suffix @20); tests = the following utterances in chunks
holding about 3 s (or 10 s) of net speech (suffix @3 / @10), at most 10 tests per speaker.
Every test is scored against every enrolment of the same set (targets: same speaker).
"""
import csv
import os
import sys

MAX_TESTS = 10


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def utt_order(item):
    """Name order, except fsdd (<digit>_<speaker>_<n>.wav): order by n, then digit, so an
    enrolment holds all ten digits instead of fifty repetitions of "zero"."""
    path = item[0]
    if path.startswith("fsdd/"):
        digit, _, n = os.path.basename(path)[:-4].split("_")
        return (int(n), int(digit), path)
    return (0, 0, path)


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    manifest = read_tsv(os.path.join(data, "MANIFEST.tsv"))
    speakers = read_tsv(os.path.join(data, "SPEAKERS.tsv"))
    ratio = {}
    for s in speakers:
        sec = float(s["seconds"]) or 1.0
        ratio[(s["source"], s["speaker"])] = float(s["speech_seconds_est"] or 0) / sec or 0.5
    utts = {}
    for m in manifest:
        utts.setdefault((m["source"], m["speaker"]), []).append((m["utterance_path"], float(m["seconds"])))
    for k in utts:
        utts[k].sort(key=utt_order)

    so = sorted(k for k in utts if k[0] == "speechocean762")
    role = {}
    for i, k in enumerate(so):
        role[k] = "eval_in_domain" if i % 3 == 1 else "train"
    for k in utts:
        if k[0] in ("librispeech", "fsdd"):
            role[k] = "eval_out_of_domain"
        elif k[0] == "librispeech_1utt":
            role[k] = "train"

    with open(os.path.join(out, "train.tsv"), "w") as f:
        f.write("# path<TAB>speaker, relative to the corpus root; made by make_lists.py\n")
        for k in sorted(utts):
            if role[k] == "train":
                for p, _ in utts[k]:
                    f.write(f"{p}\t{k[0]}/{k[1]}\n")

    with open(os.path.join(out, "eval_speakers.tsv"), "w") as f:
        f.write("source\tspeaker\trole\n")
        for k in sorted(utts):
            if role[k] != "train":
                f.write(f"{k[0]}\t{k[1]}\t{role[k]}\n")

    for test_s in (3, 10):
        sets = {"in_domain": [], "out_of_domain": []}
        for k in sorted(utts):
            if role[k] == "train":
                continue
            r = ratio[k]
            files = utts[k]
            i, acc = 0, 0.0
            enroll = []
            while i < len(files) and acc * r < 20 * 1.4:
                enroll.append(files[i][0])
                acc += files[i][1]
                i += 1
            tests = []
            cur, acc = [], 0.0
            while i < len(files) and len(tests) < MAX_TESTS:
                cur.append(files[i][0])
                acc += files[i][1]
                i += 1
                if acc * r >= test_s * 1.5:
                    tests.append(cur)
                    cur, acc = [], 0.0
            entry = (k, ",".join(enroll) + "@20", [",".join(t) + f"@{test_s}" for t in tests])
            sets["in_domain" if role[k] == "eval_in_domain" else "out_of_domain"].append(entry)
        sets["pooled"] = sets["in_domain"] + sets["out_of_domain"]
        for name, entries in sets.items():
            path = os.path.join(out, f"trials_{name}_{test_s}s.tsv")
            with open(path, "w") as f:
                for k, _, tests in entries:
                    for t in tests:
                        for k2, enr2, _ in entries:
                            label = "target" if k2 == k else "nontarget"
                            f.write(f"{label}\t{enr2}\t{t}\n")


if __name__ == "__main__":
    main()
