#!/usr/bin/env python3
"""report.py -- per-set and pooled accuracy from `callprint-bio eval --scores` files.

Usage: report.py [--exclude SPEAKER,...] SPEAKERS_TSV VERIFIED NOT_SURE SCORES_3S SCORES_6S SCORES_10S
  --exclude     drop every trial whose enrolment or test is one of these speakers (ids as in
                speakers.tsv), e.g. held-out callers whose calls are probably not one person
  SPEAKERS_TSV  speakers.tsv of make_lists.py (source, speaker, role, set)
  VERIFIED, NOT_SURE  the model's default thresholds
  SCORES_*      scores files: LABEL SCORE ENROLL TEST [VERDICT TEST_SPEECH_SECONDS]

Prints one row per held-out set and duration, then pooled rows (dev sets, test sets, the
leave-one-source-out sets, all): EER %, minDCF (P_target 0.01), false-accept / false-reject %
at `verified` and at `not_sure` (a test below `not_sure` is answered not_verified, so FR@ns is
the share of genuine callers told they are someone else), share of tests answered
insufficient_speech (when the scores carry the verdict), trial counts. A test set is labelled
`loso:` (leave-one-source-out) when no speaker of its source (or of a source named after it,
e.g. librispeech_1utt for librispeech) took part in training or dev.
Usage: report.py --thresholds SPEAKERS_TSV SCORES_3S SCORES_6S SCORES_10S
  prints "VERIFIED NOT_SURE": the lowest `verified` that keeps impostors at or above it
  <= 1% in every dev set (its 3, 6 and 10 s trials together), and the pooled dev
  equal-error threshold as `not_sure` (per-set figures on stderr).
Scores files are named ..._<N>s.tsv; N is the test length shown.
"""
import sys

P_TARGET = 0.01


def eer_dcf(tar, non):
    """EER and normalised minDCF (C_miss = C_fa = 1) by sweeping the sorted scores."""
    scores = sorted([(s, 1) for s in tar] + [(s, 0) for s in non])
    nt, nn = len(tar), len(non)
    miss, fa = 0, nn  # threshold below everything: no miss, every impostor accepted
    best_eer, best_gap, dcf, thr = 1.0, 2.0, min(P_TARGET, 1 - P_TARGET), 0.0
    for s, lab in scores:
        if lab:
            miss += 1
        else:
            fa -= 1
        pm, pf = miss / nt, fa / nn
        if abs(pm - pf) < best_gap:
            best_gap, best_eer, thr = abs(pm - pf), (pm + pf) / 2, s
        dcf = min(dcf, P_TARGET * pm + (1 - P_TARGET) * pf)
    return best_eer, dcf / min(P_TARGET, 1 - P_TARGET), thr


def set_of_spec(spec, sets):
    first = spec.split(",")[0]
    parts = first.split("/")
    return sets.get((parts[0], parts[1]))


def speaker_of_spec(spec):
    parts = spec.split(",")[0].split("/")
    return parts[1] if len(parts) > 1 else None


def load_scores(path, sets, exclude=frozenset()):
    rows = []
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) < 4 or speaker_of_spec(c[2]) in exclude or speaker_of_spec(c[3]) in exclude:
                continue
            verdict = c[4] if len(c) >= 6 else None
            rows.append((set_of_spec(c[3], sets), c[0] in ("target", "1"), float(c[1]), c[3],
                         verdict))
    return rows


def rates(tar, non, thr):
    """False-accept and false-reject % at a threshold (accepted: score >= thr)."""
    return (100.0 * sum(s >= thr for s in non) / len(non),
            100.0 * sum(s < thr for s in tar) / len(tar))


def row(name, rows, ver, ns):
    tar = [r[2] for r in rows if r[1]]
    non = [r[2] for r in rows if not r[1]]
    if not tar or not non:
        return f"{name:28s} (no trials)"
    eer, dcf, _ = eer_dcf(tar, non)
    far, frr = rates(tar, non, ver)
    far_ns, frr_ns = rates(tar, non, ns)
    tests = {}
    for r in rows:
        tests[r[3]] = r[4]
    ins = "-"
    if any(v is not None for v in tests.values()):
        ins = "%.1f" % (100.0 * sum(v == "insufficient_speech" for v in tests.values()) / len(tests))
    return (f"{name:28s} {100 * eer:6.2f} {dcf:7.3f} {far:8.2f} {frr:8.2f} {far_ns:7.2f} "
            f"{frr_ns:7.2f} {ins:>7s} {len(tar):6d} {len(non):7d}")


def far_threshold(non, far=0.01):
    """Lowest threshold with at most `far` of the impostor scores at or above it."""
    s = sorted(non, reverse=True)
    k = int(far * len(s))  # k impostors may be at or above
    return s[k] + 1e-3 if k < len(s) else s[-1]


def main():
    args = sys.argv[1:]
    exclude = frozenset()
    if args[:1] == ["--exclude"] and len(args) > 1:
        exclude, args = frozenset(args[1].split(",")), args[2:]
    choose = args and args[0] == "--thresholds"
    if choose:
        args = args[1:]
        spk_path, files = args[0], args[1:]
        ver = 0.0
    else:
        spk_path, ver, ns, files = args[0], float(args[1]), float(args[2]), args[3:]
    sets, kinds, src_of, seen = {}, {}, {}, set()
    with open(spk_path) as f:
        next(f)
        for line in f:
            src, spk, kind, name = line.rstrip("\n").split("\t")
            if kind != "test":
                seen.add(src)
            if kind != "train":
                sets[(src, spk)] = name
                kinds[name] = kind
                src_of[name] = src
    for name, src in src_of.items():
        # librispeech (test-other) shares its corpus with librispeech_1utt / _mini (training)
        if kinds[name] == "test" and not any(x == src or x.startswith(src + "_") for x in seen):
            kinds[name] = "loso"
    per = {}
    for path in files:
        dur = path.rsplit("_", 1)[-1].split(".")[0]
        for r in load_scores(path, sets, exclude):
            if r[0]:
                per.setdefault((r[0], dur), []).append(r)
    if choose:
        # verified: the highest 1%-FAR threshold over the dev sets (each set's 3, 6 and 10 s
        # impostor trials together: a single duration of a small set has too few impostors
        # for its 1% tail); not_sure: the EER threshold of all dev trials pooled.
        by_set = {}
        for k, v in per.items():
            if kinds[k[0]] == "dev":
                by_set.setdefault(k[0], []).extend(r[2] for r in v if not r[1])
        thr = {k: far_threshold(v) for k, v in by_set.items()}
        for k in sorted(thr):
            print(f"# {k}: 1% FAR at {thr[k]:.2f} ({len(by_set[k])} impostor trials)",
                  file=sys.stderr)
        dev = [r for k, v in per.items() if kinds[k[0]] == "dev" for r in v]
        _, _, eer_thr = eer_dcf([r[2] for r in dev if r[1]], [r[2] for r in dev if not r[1]])
        print("%.2f %.2f" % (max(thr.values()), eer_thr))
        return
    print(f"{'set / test length':28s} {'EER%':>6s} {'minDCF':>7s} {'FA@ver%':>8s} {'FR@ver%':>8s} "
          f"{'FA@ns%':>7s} {'FR@ns%':>7s} {'insuf%':>7s} {'tgt':>6s} {'non':>7s}")
    durs = sorted({k[1] for k in per}, key=lambda d: int(d.rstrip("s")))
    for name in sorted(kinds, key=lambda n: (kinds[n], n)):
        for d in durs:
            if (name, d) in per:
                print(row(f"{kinds[name]}:{name} {d}", per[(name, d)], ver, ns))
    groups = {"dev": ("dev",), "test": ("test", "loso"), "loso": ("loso",), "all": None}
    for group, members in groups.items():
        for d in durs:
            rows = [r for k, v in per.items()
                    if k[1] == d and (members is None or kinds[k[0]] in members) for r in v]
            if rows:
                print(row(f"pooled {group} {d}", rows, ver, ns))


if __name__ == "__main__":
    main()
