#!/usr/bin/env python3
"""make_lists.py -- deterministic train / held-out split and trials files for callprint-bio.

Usage: make_lists.py DATA_DIR EXTRA_DIR OUT_DIR
  DATA_DIR   the development corpus (MANIFEST.tsv, SPEAKERS.tsv, <source>/<speaker>/*.wav)
  EXTRA_DIR  the extra corpus in the same layout (wuw_tel/CALLS.tsv, noise/ ...)
  OUT_DIR    receives root/ (one symlink per source folder of both corpora: the --root of
             every list), train.tsv (path<TAB>speaker, for `callprint-bio train`),
             speakers.tsv (every speaker's role) and trials_<set>_<N>s.tsv (N = 3, 6, 10).

Roles (see biometrics/models/README.md):
  train   speechocean762 (sorted ids, index % 3 != 1), librispeech_1utt + librispeech_mini
          (the same persons), an4 (index % 3 != 1), cv_fa, wuw_tel callers not held out.
  dev     held-out speakers of trained sources, used to choose the default thresholds:
          speechocean762 index % 3 == 1, an4 index % 3 == 1, wuw_tel single-call callers
          index % 3 == 1.
  test    held out from training, tuning and calibration: wuw_tel callers with several calls
          (index % 3 == 1: enrol on the first call, test on the later ones), librispeech
          test-other, and two whole sources the model never sees (leave-one-source-out):
          fsdd (English digits) and cv_tw (Twi, a language absent from training).
Trials: per held-out speaker, utterances in order (fsdd: digits interleaved); enrolment = the
first utterances holding ~20 s of net speech (at most half of the speaker's audio); tests =
following utterances in chunks of N s net speech (suffix @N), at most 10 per speaker. Every
test is scored against every enrolment of the same set (impostors from the same source).
Training keeps at most TRAIN_CAP_S seconds of audio per speaker (evenly spread utterances), so
the few speakers with an hour of audio do not dominate.
"""
import csv
import os
import sys

MAX_TESTS = 10
TRAIN_CAP_S = 240.0
SPEECH_RATIO = 0.6  # rough net-speech share of a file where the corpus gives no estimate
DURATIONS = (3, 6, 10)


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


def load(corpora):
    utts, ratio = {}, {}
    for d in corpora:
        for s in read_tsv(os.path.join(d, "SPEAKERS.tsv")):
            sec = float(s["seconds"] or 0) or 1.0
            est = float(s["speech_seconds_est"] or 0)
            ratio[(s["source"], s["speaker"])] = est / sec if est > 0 else SPEECH_RATIO
        for m in read_tsv(os.path.join(d, "MANIFEST.tsv")):
            utts.setdefault((m["source"], m["speaker"]), []).append(
                (m["utterance_path"], float(m["seconds"])))
    for k in utts:
        utts[k].sort(key=utt_order)
    return utts, ratio


def wuw_calls(extra):
    calls = {}
    for c in read_tsv(os.path.join(extra, "wuw_tel", "CALLS.tsv")):
        calls.setdefault(c["speaker"], []).append(c["session"])
    return {k: sorted(v) for k, v in calls.items()}


def assign_roles(utts, calls):
    role = {}
    by_src = {}
    for k in sorted(utts):
        by_src.setdefault(k[0], []).append(k)
    for src, keys in by_src.items():
        if src in ("fsdd", "cv_tw", "librispeech"):
            for k in keys:
                role[k] = ("test", src)
        elif src in ("speechocean762", "an4"):
            for i, k in enumerate(keys):
                role[k] = ("dev", src) if i % 3 == 1 else ("train", src)
        elif src == "wuw_tel":
            multi = [k for k in keys if len(calls.get(k[1], [])) >= 2]
            single = [k for k in keys if len(calls.get(k[1], [])) < 2]
            for i, k in enumerate(multi):
                role[k] = ("test", "wuw_tel_crosscall") if i % 3 == 1 else ("train", src)
            for i, k in enumerate(single):
                role[k] = ("dev", "wuw_tel_1call") if i % 3 == 1 else ("train", src)
        else:
            for k in keys:
                role[k] = ("train", src)
    return role


def capped(files):
    total = sum(s for _, s in files)
    if total <= TRAIN_CAP_S:
        return files
    keep = max(1, int(len(files) * TRAIN_CAP_S / total))
    return [files[i * len(files) // keep] for i in range(keep)]


def train_key(k):
    """librispeech_mini/<id> and librispeech_1utt/<id> are one person: one training label."""
    return ("librispeech_1utt", k[1]) if k[0] == "librispeech_mini" else k


def chunk_tests(files, test_s, r):
    tests, cur, acc = [], [], 0.0
    for p, sec in files:
        cur.append(p)
        acc += sec
        if acc * r >= test_s * 1.5:
            tests.append(cur)
            cur, acc = [], 0.0
            if len(tests) == MAX_TESTS:
                break
    return tests


def speaker_trials(k, files, r, test_s, calls):
    """(enrolment spec, [test specs]) of one held-out speaker."""
    if k[0] == "wuw_tel" and len(calls.get(k[1], [])) >= 2:
        first = "s" + calls[k[1]][0] + "_"
        enroll = [f for f in files if os.path.basename(f[0]).startswith(first)]
        rest = [f for f in files if not os.path.basename(f[0]).startswith(first)]
    else:
        budget = min(20 * 1.4, 0.5 * sum(s for _, s in files) * r)
        i, acc = 0, 0.0
        while i < len(files) and acc * r < budget:
            acc += files[i][1]
            i += 1
        enroll, rest = files[:i], files[i:]
    tests = chunk_tests(rest, test_s, r)
    return ",".join(p for p, _ in enroll) + "@20", [",".join(t) + f"@{test_s}" for t in tests]


def make_root(out, corpora):
    root = os.path.join(out, "root")
    os.makedirs(root, exist_ok=True)
    for d in corpora:
        for name in sorted(os.listdir(d)):
            src = os.path.join(os.path.abspath(d), name)
            link = os.path.join(root, name)
            if os.path.isdir(src) and not os.path.lexists(link):
                os.symlink(src, link)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    data, extra, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    make_root(out, (data, extra))
    utts, ratio = load((data, extra))
    calls = wuw_calls(extra)
    role = assign_roles(utts, calls)

    with open(os.path.join(out, "train.tsv"), "w") as f:
        f.write("# path<TAB>speaker, relative to root/; made by make_lists.py\n")
        for k in sorted(utts):
            if role[k][0] == "train":
                tk = train_key(k)
                for p, _ in capped(utts[k]):
                    f.write(f"{p}\t{tk[0]}/{tk[1]}\n")

    with open(os.path.join(out, "speakers.tsv"), "w") as f:
        f.write("source\tspeaker\trole\tset\n")
        for k in sorted(utts):
            f.write(f"{k[0]}\t{k[1]}\t{role[k][0]}\t{role[k][1]}\n")

    for test_s in DURATIONS:
        sets = {}
        for k in sorted(utts):
            kind, name = role[k]
            if kind == "train":
                continue
            enr, tests = speaker_trials(k, utts[k], ratio[k], test_s, calls)
            sets.setdefault(name, []).append((k, enr, tests))
        with open(os.path.join(out, f"trials_{test_s}s.tsv"), "w") as f:
            for name in sorted(sets):
                entries = sets[name]
                for k, _, tests in entries:
                    for t in tests:
                        for k2, enr2, _ in entries:
                            label = "target" if k2 == k else "nontarget"
                            f.write(f"{label}\t{enr2}\t{t}\n")


if __name__ == "__main__":
    main()
