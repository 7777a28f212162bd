#!/usr/bin/env python3
"""calibrate.py -- duration-aware calibration of a model, fitted on the dev trials.

Usage: calibrate.py MODEL SPEAKERS_TSV SCORES_3S SCORES_6S SCORES_10S
  MODEL         model file, rewritten in place (version 2, with the duration block)
  SPEAKERS_TSV  speakers.tsv of make_lists.py: only the trials of its `dev` sets are used
  SCORES_*      `callprint-bio eval --scores` files of MODEL (LABEL SCORE ENROLL TEST VERDICT
                TEST_SPEECH_SECONDS)

The model maps a normalised score s of a test with t seconds of net speech to the log-odds
    z = a s + b + (c + d s) log t,   t clamped to [t_min, t_max]
(backend.h). Training fits a and b alone, on trials of one length. A longer test's scores
separate better, so with one (a, b) a fixed threshold lets through more impostors at 10 s
than at 3 s. This step recovers s from each dev trial's score (inverting the model's current
calibration), fits a, b, c, d by prior-weighted logistic regression (P_target 0.5) on the dev
trials of all three lengths together, and writes them with [t_min, t_max] = the 1st to 99th
percentile of the test lengths they were fitted on (outside it the terms are held at the
edge, not extrapolated: shorter tests keep the shortest fitted length's calibration and the
engine's short-test thresholds). Scores printed as 0 or 100 carry no exact s; they are clipped at 1e-6 of
either end. The payload changes, so the model id changes: run before anyone enrols.
"""
import hashlib
import math
import struct
import sys

HEADER = 12 + 40 + 8 + 32  # magic+version, config block, payload length, payload hash
DURATION_BLOCK = 16
EPS = 1e-6


def read_model(path):
    buf = bytearray(open(path, "rb").read())
    if buf[:8] != b"CPBIOMDL":
        sys.exit(f"{path}: not a callprint model")
    ver = struct.unpack_from("<I", buf, 8)[0]
    if ver not in (1, 2):
        sys.exit(f"{path}: unsupported model version {ver}")
    return buf, ver


def current_calibration(buf, ver):
    a, b = struct.unpack_from("<2f", buf, HEADER + 24)
    if ver == 1:
        return a, b, 0.0, 0.0, 1.0, 1.0
    return (a, b) + struct.unpack_from("<4f", buf, len(buf) - DURATION_BLOCK)


def write_model(path, buf, ver, a, b, c, d, tmin, tmax):
    if ver == 1:
        buf += bytes(DURATION_BLOCK)
        struct.pack_into("<I", buf, 8, 2)
    struct.pack_into("<2f", buf, HEADER + 24, a, b)
    struct.pack_into("<4f", buf, len(buf) - DURATION_BLOCK, c, d, tmin, tmax)
    plen = len(buf) - HEADER
    struct.pack_into("<Q", buf, HEADER - 40, plen)
    buf[HEADER - 32:HEADER] = hashlib.sha256(buf[HEADER:]).digest()
    open(path, "wb").write(buf)


def dev_trials(speakers, files):
    dev = set()
    with open(speakers) as f:
        next(f)
        for line in f:
            src, spk, kind, _ = line.rstrip("\n").split("\t")
            if kind == "dev":
                dev.add((src, spk))
    rows = []
    for path in files:
        with open(path) as f:
            for line in f:
                c = line.rstrip("\n").split("\t")
                if len(c) < 6:
                    sys.exit(f"{path}: expected 6 columns (eval --scores)")
                if tuple(c[3].split(",")[0].split("/")[:2]) in dev:
                    rows.append((c[0] in ("target", "1"), float(c[1]), float(c[5])))
    return rows


def solve(A, y):
    n = len(y)
    M = [A[i][:] + [y[i]] for i in range(n)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(M[r][i]))
        M[i], M[p] = M[p], M[i]
        for r in range(n):
            if r != i:
                f = M[r][i] / M[i][i]
                for k in range(i, n + 1):
                    M[r][k] -= f * M[i][k]
    return [M[i][n] / M[i][i] for i in range(n)]


def fit_logistic(X, y, prior=0.5):
    """Newton's method on the prior-weighted cross-entropy."""
    nt = sum(y)
    nn = len(y) - nt
    wt, wn = prior / nt, (1 - prior) / nn
    k = len(X[0])
    w = [0.0] * k
    for _ in range(50):
        g = [0.0] * k
        H = [[1e-9 * (i == j) for j in range(k)] for i in range(k)]
        for x, t in zip(X, y):
            z = sum(a * b for a, b in zip(w, x))
            p = 1 / (1 + math.exp(-z)) if z > -40 else 0.0
            wi = wt if t else wn
            for i in range(k):
                g[i] += wi * (p - t) * x[i]
                for j in range(k):
                    H[i][j] += wi * p * (1 - p) * x[i] * x[j]
        step = solve(H, g)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return w


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path = sys.argv[1]
    buf, ver = read_model(path)
    a, b, c, d, tmin, tmax = current_calibration(buf, ver)
    rows = dev_trials(sys.argv[2], sys.argv[3:])
    if not any(r[0] for r in rows) or all(r[0] for r in rows):
        sys.exit("calibrate.py: the dev trials need both targets and impostors")
    lengths = sorted(r[2] for r in rows)
    lo, hi = lengths[len(lengths) // 100], lengths[len(lengths) * 99 // 100]
    if not 0 < lo < hi:
        sys.exit("calibrate.py: the dev trials need tests of several lengths")
    X, y = [], []
    for target, score, t in rows:
        p = min(max(score / 100, EPS), 1 - EPS)
        lt = math.log(min(max(t, tmin), tmax))
        s = (math.log(p / (1 - p)) - b - c * lt) / (a + d * lt)
        lt = math.log(t)
        X.append([s, 1.0, lt, s * lt])
        y.append(1 if target else 0)
    na, nb, nc, nd = fit_logistic(X, y)
    write_model(path, buf, ver, na, nb, nc, nd, lo, hi)
    print(f"{path}: calibration on {sum(y)} target / {len(y) - sum(y)} impostor dev trials, "
          f"{lo:.2f}-{hi:.2f} s: z = {na:.4f} s + {nb:.4f} + ({nc:.4f} + {nd:.4f} s) log t")


if __name__ == "__main__":
    main()
