#!/usr/bin/env python3
"""group_segments.py -- join short training utterances of one session into longer files.

Usage: group_segments.py ROOT LIST OUT_LIST [SECONDS]
  ROOT      the --root of LIST (make_lists.py's LISTS_DIR/root)
  LIST      path<TAB>speaker lines (train.tsv or train_aug.tsv)
  OUT_LIST  the same audio as files of at least SECONDS (default 8) of audio each, written
            under ROOT/grp/ (paths in OUT_LIST relative to ROOT)

Why: the telephone, AN4 and Common Voice utterances are 0.5-3 s long, and an i-vector of one
of them is mostly noise, which swamps the within-speaker scatter LDA/WCCN learn. Tests and
enrolments are 3-20 s of speech. Consecutive lines of the same speaker, folder and (for the
telephone calls, files s<call>_<n>.wav) the same call are joined in list order, so a group
never mixes two calls or two simulated channels. The files are 8-bit mu-law WAV (the corpus
format): joining their data chunks is exact.
"""
import os
import struct
import sys


def read_ulaw(path):
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    i, fmt = 12, None
    while i + 8 <= len(b):
        cid, size = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", b[i + 8:i + 24])
        elif cid == b"data":
            if not fmt or fmt[0] != 7 or fmt[1] != 1 or fmt[2] != 8000:
                raise ValueError(f"{path}: expected 8 kHz mono mu-law")
            return b[i + 8:i + 8 + size]
        i += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def write_ulaw(path, data):
    fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 12 + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"fact" + struct.pack("<II", 4, len(data)))
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def session_key(path, spk):
    d, name = os.path.split(path)
    call = name.split("_")[0] if "wuw_tel/" in path else ""
    return (spk, d, call)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    root, src, dst = sys.argv[1:4]
    min_bytes = int(float(sys.argv[4] if len(sys.argv) == 5 else 8) * 8000)
    lines = []
    with open(src) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                lines.append(line.rstrip("\n").split("\t"))
    out, cur, key, n = [], [], None, 0

    def flush():
        if cur:
            name = os.path.join("grp", cur[0][0])
            write_ulaw(os.path.join(root, name), b"".join(c[1] for c in cur))
            out.append(f"{name}\t{key[0]}\n")

    for p, spk in lines:
        k = session_key(p, spk)
        if k != key or sum(len(c[1]) for c in cur) >= min_bytes:
            flush()
            cur, key = [], k
        cur.append((p, read_ulaw(os.path.join(root, p))))
        n += 1
    flush()
    with open(dst, "w") as f:
        f.write(f"# {src} joined into files of >= {min_bytes / 8000:.0f} s (group_segments.py)\n")
        f.writelines(out)
    print(f"{n} files -> {len(out)} groups", file=sys.stderr)


if __name__ == "__main__":
    main()
