#!/usr/bin/env python3
"""check_calls.py -- are a multi-call telephone caller's calls one person? (label check)

Usage: check_calls.py BUILD_DIR ROOT SPEAKERS_TSV MODEL [MODEL...]
  BUILD_DIR     build with bin/callprint-bio
  ROOT          the lists root of make_lists.py (wuw_tel/ with CALLS.tsv and s<session>_*.wav)
  SPEAKERS_TSV  speakers.tsv of make_lists.py (the role column is printed)
  MODEL         one or more models; give one that never saw wuw_tel (an earlier model) so that
                the check does not rest on the grouping it checks

The corpus groups calls by the caller's spoken name, so one "speaker" can be several people.
Every pair of calls of each multi-call caller is scored (one whole call enrolled, another
whole call tested) with each model, next to 3 pairs per caller of different callers (each
model's impostor range). Calls are joined when any model scores them at or above its
impostors' 95th percentile; a caller whose calls fall into two or more groups is printed with
its groups, each call's phone type and median pitch (autocorrelation over voiced frames:
independent of any speaker model, though it varies by several semitones within one person
on these lines) and the best score between its groups. Needs numpy (Debian python3-numpy) and
sox. Deterministic (the impostor pairs come from a seeded generator).
"""
import collections
import glob
import os
import random
import re
import subprocess
import sys
import tempfile

import numpy as np

SR = 8000
SESSION = re.compile(r"s(\d{5})_")


def median_f0(files):
    """Median F0 in Hz of the voiced 40 ms frames (normalised autocorrelation peak >= 0.5 in
    60-400 Hz, frames within 13 dB of the loudest tenth); NaN with fewer than 20 of them."""
    raw = subprocess.run(["sox", *files, "-t", "raw", "-r", str(SR), "-e", "signed", "-b", "16",
                          "-c", "1", "-"], capture_output=True, check=True).stdout
    x = np.frombuffer(raw, dtype=np.int16).astype(np.float64) / 32768.0
    n, hop = int(0.04 * SR), int(0.01 * SR)
    if len(x) < n:
        return float("nan")
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop]
    energy = (frames ** 2).mean(axis=1)
    floor = max(np.percentile(energy, 90) * 0.05, 1e-7)
    lo, hi, win = SR // 400, SR // 60, np.hanning(n)
    unbias = 1 - np.arange(n) / n
    f0 = []
    for frame, e in zip(frames, energy):
        if e < floor:
            continue
        f = (frame - frame.mean()) * win
        ac = np.correlate(f, f, "full")[n - 1:]
        if ac[0] <= 0:
            continue
        ac = ac / ac[0] / unbias
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] >= 0.5:
            f0.append(SR / k)
    return float(np.median(f0)) if len(f0) >= 20 else float("nan")


def call_spec(root, spk, session):
    files = sorted(glob.glob(f"{root}/wuw_tel/{spk}/s{session}_*.wav"))
    return ",".join(os.path.relpath(f, root) for f in files) + "@60", files


def score(build, model, root, trials, work):
    out = os.path.join(work, "scores.tsv")
    subprocess.run([f"{build}/bin/callprint-bio", "--model", model, "eval", "--root", root + "/",
                    "--scores", out, trials], check=True, stdout=subprocess.DEVNULL)
    same, other = {}, []
    with open(out) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            a, b = SESSION.search(c[2]).group(1), SESSION.search(c[3]).group(1)
            if c[0] == "target":
                same[(a, b)] = same[(b, a)] = float(c[1])
            else:
                other.append(float(c[1]))
    return same, float(np.percentile(other, 95))


def groups(sessions, joined):
    parent = {s: s for s in sessions}

    def find(s):
        while parent[s] != s:
            s = parent[s]
        return s
    for a in sessions:
        for b in sessions:
            if a < b and joined(a, b):
                parent[find(a)] = find(b)
    g = collections.defaultdict(list)
    for s in sessions:
        g[find(s)].append(s)
    return sorted(g.values(), key=lambda v: (-len(v), v))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    build, root, spk_path, models = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4:]
    role = {}
    with open(spk_path) as f:
        next(f)
        for line in f:
            c = line.rstrip("\n").split("\t")
            role[(c[0], c[1])] = c[2]
    calls, phone = collections.defaultdict(list), {}
    with open(f"{root}/wuw_tel/CALLS.tsv") as f:
        next(f)
        for line in f:
            spk, session, ph = line.rstrip("\n").split("\t")[:3]
            calls[spk].append(session)
            phone[session] = ph
    multi = sorted(s for s, c in calls.items() if len(c) > 1)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as work:
        trials = os.path.join(work, "trials.tsv")
        with open(trials, "w") as f:
            for s in multi:
                cl = calls[s]
                for i in range(len(cl)):
                    for j in range(i + 1, len(cl)):
                        f.write(f"target\t{call_spec(root, s, cl[i])[0]}\t"
                                f"{call_spec(root, s, cl[j])[0]}\n")
                for o in rng.sample([o for o in multi if o != s], 3):
                    f.write(f"nontarget\t{call_spec(root, s, cl[0])[0]}\t"
                            f"{call_spec(root, o, calls[o][-1])[0]}\n")
        scored = [score(build, m, root, trials, work) for m in models]
    for m, (_, p95) in zip(models, scored):
        print(f"# {m}: impostors' 95th percentile {p95:.1f}")
    pairs = [(a, b) for s in multi for a in calls[s] for b in calls[s] if a < b]
    direct = sum(any(sc[(a, b)] >= p for sc, p in scored) for a, b in pairs)
    print(f"# {len(multi)} multi-call callers, {len(pairs)} same-name call pairs, "
          f"{100.0 * direct / len(pairs):.1f} % joined directly")
    print("caller\trole\tgroups (session phone pitch)\tbest score between groups per model")
    for s in multi:
        g = groups(calls[s], lambda a, b: any(sc[(a, b)] >= p for sc, p in scored))
        if len(g) < 2:
            continue
        desc = " | ".join(", ".join(
            f"{c} {phone[c]} {median_f0(call_spec(root, s, c)[1]):.0f} Hz" for c in grp)
            for grp in g)
        best = " / ".join(f"{max(sc[(a, b)] for x in g for y in g if x is not y for a in x for b in y):.0f}"
                          for sc, _ in scored)
        print(f"{s}\t{role.get(('wuw_tel', s), '?')}\t{desc}\t{best}")


if __name__ == "__main__":
    main()
