#!/usr/bin/env python3
"""augment_codecs.py -- telephone-channel copies of the training audio with real codecs.

Usage: augment_codecs.py LISTS_DIR COPIES [JOBS]
  LISTS_DIR  output of make_lists.py (root/, train.tsv); the copies are written under
             LISTS_DIR/root/aug/ and LISTS_DIR/train_aug.tsv lists train.tsv plus every copy
             (same speaker labels), for `callprint-bio train --root LISTS_DIR/root`.
  COPIES     copies per speaker; JOBS parallel workers (default 2)
Needs sox (with AMR-NB) and ffmpeg (libgsm, libopus, libspeex, g726, g723.1) from Debian;
used for training only, never at run time.

Each copy is one simulated call: all the training utterances of a speaker go through one
channel drawn from a seeded generator (sha256 of speaker and copy number, so the output is
deterministic): a device (handset band-pass with a resonance, a speakerphone with room
reverberation, or a plain line), a level change, real background noise (noise/ of the extra
corpus) at 5-25 dB SNR in most copies, and one codec round trip: GSM 06.10, AMR-NB at
4.75-12.2 kbit/s, Opus 6-12 kbit/s, Speex narrowband, G.726 at 16-40 kbit/s, G.723.1, A-law,
ending, like every call the gateway receives, in G.711 mu-law. Different copies of one speaker
get different channels, so LDA/WCCN see what a change of line looks like. The utterances are
processed as one stream and cut back at their (proportionally mapped) boundaries.
"""
import audioop
import hashlib
import multiprocessing
import os
import random
import struct
import subprocess
import sys

RAW = ["-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1"]
FF_IN = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", "8000",
         "-ac", "1", "-i", "-"]
FF_OUT = ["-f", "s16le", "-ar", "8000", "-ac", "1", "-"]


def wav_samples(path):
    """Sample count of a mono 8-bit (mu-law) or 16-bit WAV from its header."""
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path}: not a WAV file")
        bits = 8
        while True:
            h = f.read(8)
            if len(h) < 8:
                raise ValueError(f"{path}: no data chunk")
            cid, size = h[:4], struct.unpack("<I", h[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(size + (size & 1))
                bits = struct.unpack("<H", fmt[14:16])[0]
            elif cid == b"data":
                return size // (bits // 8)
            else:
                f.seek(size + (size & 1), 1)


def write_ulaw(path, pcm16):
    data = audioop.lin2ulaw(pcm16, 2)
    fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 12 + 4 + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"fact" + struct.pack("<II", 4, len(data)))
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def run(cmd, data):
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": " + p.stderr.decode(errors="replace")[-300:])
    return p.stdout


def device_effects(rng):
    kind = rng.choice(["handset", "handset", "speaker", "line"])
    if kind == "handset":
        fx = ["highpass", "%d" % rng.randint(150, 350), "lowpass", "%d" % rng.randint(2900, 3500),
              "equalizer", "%d" % rng.randint(900, 2600), "1q", "%.1f" % rng.uniform(-6, 9)]
    elif kind == "speaker":
        fx = ["highpass", "%d" % rng.randint(350, 700), "lowpass", "%d" % rng.randint(2800, 3400),
              "equalizer", "%d" % rng.randint(1500, 2500), "2q", "%.1f" % rng.uniform(0, 8),
              "reverb", "%d" % rng.randint(30, 80), "50", "%d" % rng.randint(20, 90)]
    else:
        fx = ["highpass", "%d" % rng.randint(80, 300)]
    return kind, fx + ["gain", "%.1f" % rng.uniform(-12, 3)]


def codec_roundtrip(rng, pcm):
    kind = rng.choice(["gsm", "amr", "amr", "opus", "speex", "g726", "g723", "alaw"])
    if kind == "amr":
        mode = rng.choice([0, 2, 4, 7])
        enc = run(["sox"] + RAW + ["-", "-t", "amr-nb", "-C", str(mode), "-"], pcm)
        return f"amr-nb mode {mode}", run(["sox", "-t", "amr-nb", "-"] + RAW + ["-"], enc)
    if kind == "gsm":
        enc, fmt = ["-c:a", "libgsm", "-f", "gsm", "-"], "gsm"
    elif kind == "opus":
        br = rng.choice(["6k", "8k", "12k"])
        kind += " " + br
        enc, fmt = ["-c:a", "libopus", "-b:a", br, "-application", "voip", "-f", "ogg", "-"], "ogg"
    elif kind == "speex":
        q = rng.choice([3, 5, 8])
        kind += f" q{q}"
        enc, fmt = ["-c:a", "libspeex", "-compression_level", "3", "-global_quality", str(q * 118),
                    "-f", "ogg", "-"], "ogg"
    elif kind == "g726":
        br = rng.choice(["16k", "24k", "32k", "40k"])
        kind += " " + br
        enc, fmt = ["-c:a", "g726", "-b:a", br, "-f", "matroska", "-"], "matroska"
    elif kind == "g723":
        enc, fmt = ["-c:a", "g723_1", "-b:a", "6.3k", "-f", "matroska", "-"], "matroska"
    else:
        enc, fmt = ["-c:a", "pcm_alaw", "-f", "alaw", "-"], "alaw"
    coded = run(FF_IN + enc, pcm)
    dec_in = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", fmt]
    if fmt in ("gsm", "alaw"):
        dec_in += ["-ar", "8000", "-ac", "1"]
    return kind, run(dec_in + ["-i", "-"] + FF_OUT, coded)


class Noise:
    def __init__(self, root):
        self.clips = []
        d = os.path.join(root, "noise")
        for dirpath, _, names in sorted(os.walk(d, followlinks=True)):
            for n in sorted(names):
                if n.endswith(".wav"):
                    self.clips.append(run(["sox", os.path.join(dirpath, n)] + RAW + ["-"], None))

    def add(self, rng, pcm):
        if not self.clips or rng.random() < 0.25:
            return "no noise", pcm
        clip = rng.choice(self.clips)
        n = len(pcm)
        start = rng.randrange(0, max(2, len(clip) - 2)) & ~1
        noise = (clip[start:] + clip * (n // max(2, len(clip)) + 2))[:n]
        snr = rng.uniform(5, 25)
        ps, pn = audioop.rms(pcm, 2), audioop.rms(noise, 2)
        if ps == 0 or pn == 0:
            return "no noise", pcm
        gain = ps / pn * 10 ** (-snr / 20)
        return "noise %.0f dB" % snr, audioop.add(pcm, audioop.mul(noise, 2, gain), 2)


def one_copy(job):
    root, spk, copy, files, noise = job
    seed = hashlib.sha256(f"{spk}|{copy}".encode()).digest()
    rng = random.Random(int.from_bytes(seed[:8], "little"))
    paths = [os.path.join(root, p) for p in files]
    lens = [wav_samples(p) for p in paths]
    pcm = run(["sox"] + paths + RAW + ["-"], None)
    dev, fx = device_effects(rng)
    pcm = run(["sox"] + RAW + ["-"] + RAW + ["-"] + fx, pcm)
    nz, pcm = NOISE.add(rng, pcm)
    codec, out = codec_roundtrip(rng, pcm)
    total_in, total_out = sum(lens), len(out) // 2
    rows, acc = [], 0
    for p, n in zip(files, lens):
        a = acc * total_out // total_in
        acc += n
        b = acc * total_out // total_in
        dst = os.path.join(root, "aug", f"c{copy}", p)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        write_ulaw(dst, out[2 * a:2 * b])
        rows.append(f"aug/c{copy}/{p}\t{spk}\n")
    return spk, copy, f"{dev} {' '.join(fx)} | {nz} | {codec}", rows


NOISE = None


def init(root):
    global NOISE
    NOISE = Noise(root)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    lists, copies = sys.argv[1], int(sys.argv[2])
    jobs = int(sys.argv[3]) if len(sys.argv) == 4 else 2
    root = os.path.join(lists, "root")
    by_spk = {}
    lines = []
    with open(os.path.join(lists, "train.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            lines.append(line)
            p, spk = line.rstrip("\n").split("\t")
            by_spk.setdefault(spk, []).append(p)
    work = [(root, spk, c, by_spk[spk], None) for spk in sorted(by_spk) for c in range(1, copies + 1)]
    with multiprocessing.Pool(jobs, initializer=init, initargs=(root,)) as pool:
        results = pool.map(one_copy, work, chunksize=4)
    with open(os.path.join(lists, "train_aug.tsv"), "w") as f:
        f.write("# train.tsv plus codec copies (augment_codecs.py)\n")
        f.writelines(lines)
        for _, _, _, rows in results:
            f.writelines(rows)
    with open(os.path.join(lists, "aug_channels.tsv"), "w") as f:
        for spk, c, desc, _ in results:
            f.write(f"{spk}\t{c}\t{desc}\n")


if __name__ == "__main__":
    main()
