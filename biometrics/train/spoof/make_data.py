#!/usr/bin/env python3
"""make_data.py -- build the anti-spoofing training/evaluation set (bona fide, TTS, vocoded,
voice-converted and replayed speech, all ending as 8 kHz G.711 telephone audio).

Usage: make_data.py OUT_DIR CORPUS_DIR [CORPUS_DIR...]
  CORPUS_DIR  folders with MANIFEST.tsv (source, speaker, utterance_path, seconds, license) and
              <source>/<speaker>/*.wav, 8 kHz (the development corpus and the extra corpus)
  OUT_DIR     receives wav/<attack>/<id>.wav and list.tsv: path, label (bonafide|spoof),
              attack (bonafide | tts:<engine> | replay:<chain>), speaker, source, split
              (train|test, by speaker for bona fide and everything made from real speech).
Environment: NPM_DIR (a folder where `npm install sam-js @echogarden/gnuspeech-wasm` was run),
JOBS (parallel workers, default 2), SCALE (multiplies every count, default 1).

Tools: sox, ffmpeg, espeak-ng, espeak, praat, rubberband, node, cc (Debian packages and npm, see
biometrics/models/README.md for every generator and its licence). Deterministic for a given
corpus: every random draw comes from a per-item random.Random(item id).

Every item, bona fide or spoof, ends through the same random telephone line (band limit,
level, optionally one low-rate codec: GSM 06.10, G.726, G.723.1, Opus, Speex, MP3, then G.711
mu-law or A-law at 8 kHz) so the line never tells the classes apart.
"""
import csv
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from multiprocessing import Pool

SECONDS = {}  # utterance path -> seconds (from the manifests)
HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = float(os.environ.get("SCALE", "1"))
N_BONA = int(1400 * SCALE)
N_TTS = int(180 * SCALE)    # per engine
N_REPLAY = int(180 * SCALE)  # per chain family
TTS_ENGINES = ["espeak-ng", "espeak", "sam", "gnuspeech", "lpc", "vc", "pvoc",
               "hnm", "melgl", "psola", "psola_flat", "rubberband", "splice"]
VOCODED = ("lpc", "vc", "pvoc", "hnm", "melgl", "splice")  # real speech through vocoder.c
FROM_REAL = VOCODED + ("psola", "psola_flat", "rubberband")  # made from real speech
CHAINS = ["phone_spk", "laptop", "bt_speaker", "hifi_close", "tv_room", "car_handsfree", "rec_replay"]

WORDS = """my name is account number please the balance card bank transfer money pay bill
today tomorrow yes no thank you hello good morning afternoon evening I would like to check
send pound dollar euro credit debit loan mortgage savings current address street road city
help me speak with someone about order delivery password reset phone mobile home work code
security question mother maiden date birth January February March April May June July August
September October November December one two three four five six seven eight nine zero
hundred thousand and or but because when where what how why who can could should will
voice verify customer service agent call back later again sorry problem issue payment late
fee charge refund statement month year week day time minute hour quickly slowly really just
new old open close cancel change update confirm correct wrong right left first last next
""".split()


def rnd_text(r):
    n = r.randint(8, 22)
    ws = [r.choice(WORDS) for _ in range(n)]
    if r.random() < 0.4:
        ws += ["my", "number", "is"] + [r.choice(WORDS[WORDS.index("one"):WORDS.index("zero") + 1])
                                        for _ in range(r.randint(4, 9))]
    return " ".join(ws).capitalize() + "."


def chunk_seconds(chunk):
    return sum(SECONDS.get(p, 10.0) for p in chunk[2])


def run(cmd, inp=None):
    p = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd[:3]), p.stderr.decode(errors="replace")[-300:]))
    return p.stdout


def split_of(speaker):
    return "test" if int(hashlib.md5(speaker.encode()).hexdigest(), 16) % 10 >= 7 else "train"


def read_chunks(corpora):
    """Per speaker, consecutive utterances grouped into chunks of 3-6 s (one draw each)."""
    by_spk = {}
    for root in corpora:
        with open(os.path.join(root, "MANIFEST.tsv"), newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                key = (row["source"], row["speaker"])
                path = os.path.join(root, row["utterance_path"])
                by_spk.setdefault(key, []).append((path, float(row["seconds"])))
                SECONDS[path] = float(row["seconds"])
    chunks = []
    for (src, spk), utts in sorted(by_spk.items()):
        utts.sort()
        r = random.Random(src + spk)
        cur, tot, goal = [], 0.0, r.uniform(3, 6)
        for path, sec in utts:
            cur.append(path)
            tot += sec
            if tot >= goal:
                chunks.append((src, src + "/" + spk, cur))
                cur, tot, goal = [], 0.0, r.uniform(3, 6)
    return chunks


def pick_chunks(chunks, n, seed):
    """n chunks spread over sources (each source at most its share, wuw_tel weighted up)."""
    r = random.Random(seed)
    by_src = {}
    for c in chunks:
        by_src.setdefault(c[0], []).append(c)
    weight = {s: (3.0 if s == "wuw_tel" else 1.0) for s in by_src}
    tot = sum(weight.values())
    out = []
    for s, cs in sorted(by_src.items()):
        k = min(len(cs), int(round(n * weight[s] / tot)))
        out += r.sample(cs, k)
    r.shuffle(out)
    return out


# ---------------------------------------------------------------- sources of audio
def espeak_wav(engine, r, out):
    if engine == "espeak-ng":
        langs = ["en", "en-us", "en-gb-x-rp", "en-029", "de", "fr", "es", "it", "nl", "pt", "pl", "hi",
                 "ru", "sv", "tr", "id", "vi", "fa", "sw", "cy"]
        variants = run(["espeak-ng", "--voices=variant"]).decode().split("\n")[1:]
        variants = [v.split()[4][3:] for v in variants if len(v.split()) >= 5]
    else:
        langs = ["en", "en-us", "en-sc", "en-uk-rp", "en-wi", "de", "fr-fr", "es", "it", "nl", "pt-pt",
                 "pl", "hi", "sv", "af", "cy"]
        variants = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "croak",
                    "klatt", "klatt2", "klatt3", "whisper"]
    voice = r.choice(langs) + ("+" + r.choice(variants) if r.random() < 0.8 else "")
    run([engine, "-v", voice, "-s", str(r.randint(110, 200)), "-p", str(r.randint(20, 80)),
         "-g", str(r.randint(0, 6)), "-w", out, rnd_text(r)])


def vocoded_wav(kind, chunk, r, out, tmp):
    raw_in, raw_out = os.path.join(tmp, "in.raw"), os.path.join(tmp, "out.raw")
    eff = []
    if kind == "vc":
        # crude voice conversion: formants and pitch moved together by resampling, then the
        # LPC vocoder moves the pitch again on its own (target speaker with other vocal tract)
        eff = ["speed", "%.3f" % r.choice([r.uniform(0.82, 0.94), r.uniform(1.06, 1.2)])]
    run(["sox"] + chunk[2] + ["-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1",
                              raw_in] + eff + ["rate", "8000"])
    mode = kind if kind in ("pvoc", "hnm", "melgl", "splice") else "lpc"
    ratio = "%.3f" % (r.uniform(0.75, 1.3) if kind == "vc" else 1.0)
    extra = []
    if kind == "hnm":  # pitch ratio (often 1), voicing cut-off, minimum or zero phase
        ratio = "%.3f" % (1.0 if r.random() < 0.6 else r.uniform(0.8, 1.25))
        extra = ["%d" % r.uniform(1800, 3900), "1" if r.random() < 0.3 else "0"]
    elif kind == "melgl":  # mel bands, Griffin-Lim iterations
        extra = [str(r.randint(32, 80)), str(r.randint(8, 60))]
    with open(raw_in, "rb") as f:
        data = f.read()
    with open(raw_out, "wb") as f:
        f.write(run([os.path.join(OUT_DIR, "vocoder"), mode, ratio, str(r.randint(1, 10**9))] + extra, data))
    run(["sox", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", raw_out, out])


# Praat scripts (PSOLA): "Change gender" moves formants by resampling and pitch by
# pitch-synchronous overlap-add, the classic voice conversion; the second replaces the pitch
# contour by a stylised one (straight lines, range compressed), as statistical TTS prosody is.
PRAAT_GENDER = """form args
  sentence infile
  sentence outfile
  real formant 1
  real median 0
  real range 1
  real dur 1
endform
Read from file: infile$
Change gender: 75, 600, formant, median, range, dur
Save as WAV file: outfile$
"""
PRAAT_FLAT = """form args
  sentence infile
  sentence outfile
  real semitones 2
  real ratio 1
  real range 1
endform
Read from file: infile$
m = To Manipulation: 0.01, 75, 600
pt = Extract pitch tier
Stylize: semitones, "semitones"
med = Get mean (points): 0, 0
Formula: "ratio * med * (self / med) ^ range"
selectObject: m, pt
Replace pitch tier
selectObject: m
Get resynthesis (overlap-add)
Save as WAV file: outfile$
"""


def from_real_wav(kind, chunk, r, out, tmp):
    """PSOLA (Praat) and phase-vocoder pitch shifting (Rubber Band) of real speech."""
    real = os.path.join(tmp, "real.wav")
    run(["sox"] + chunk[2] + ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed", real])
    shift = r.choice([r.uniform(0.8, 0.94), r.uniform(1.06, 1.25)])
    if kind in ("psola", "psola_flat"):
        script = os.path.join(tmp, "s.praat")
        with open(script, "w") as f:
            f.write(PRAAT_GENDER if kind == "psola" else PRAAT_FLAT)
        if kind == "psola":  # formant ratio, new median pitch (0 = keep), range factor, duration
            args = ["%.3f" % shift, str(r.choice([0, r.randint(90, 260)])), "%.2f" % r.uniform(0.3, 1.5),
                    "%.2f" % r.uniform(0.9, 1.1)]
        else:  # stylisation step (semitones), pitch ratio, range factor
            args = ["%.1f" % r.uniform(1, 4), "%.3f" % r.uniform(0.8, 1.25), "%.2f" % r.uniform(0.3, 1.0)]
        run(["praat", "--run", script, real, out] + args)
    else:  # rubberband: R2 (crispness 0-6) or R3 engine, with or without formant preservation
        semis = 12 * math.log2(shift)
        opts = ["-q", "-p", "%.2f" % semis, "-T", "%.3f" % r.uniform(0.88, 1.12)]
        opts += ["-3"] if r.random() < 0.5 else ["-2", "-c", str(r.randint(0, 6))]
        opts += ["-F"] if r.random() < 0.5 else []
        run(["rubberband"] + opts + [real, out])


def replay_wav(chain, chunk, r, tmp):
    """Loudspeaker -> room -> microphone, drawn at random inside the chain's family."""
    u, secs = r.uniform, chunk_seconds(chunk)
    if chain == "phone_spk":
        spk = ["highpass", "%d" % u(400, 900), "equalizer", "%d" % u(1000, 3000), "1q", "%.1f" % u(4, 12),
               "overdrive", "%.1f" % u(0, 8)]
        room = ["reverb", "%d" % u(5, 35), "50", "%d" % u(5, 30)]
    elif chain == "laptop":
        spk = ["highpass", "%d" % u(180, 400), "equalizer", "%d" % u(2000, 3800), "2q", "%.1f" % u(3, 9),
               "equalizer", "%d" % u(600, 1200), "1q", "%.1f" % u(-6, 0)]
        room = ["reverb", "%d" % u(25, 60), "50", "%d" % u(20, 60)]
    elif chain == "bt_speaker":
        spk = ["highpass", "%d" % u(90, 200), "bass", "%.1f" % u(3, 10), "%d" % u(150, 300),
               "compand", "0.01,0.2", "-60,-60,-30,-18,0,-8", "0", "-90", "0.05"]
        room = ["reverb", "%d" % u(50, 95), "50", "%d" % u(50, 100)]
    elif chain == "hifi_close":
        spk = ["highpass", "%d" % u(30, 80), "equalizer", "%d" % u(3000, 3900), "1q", "%.1f" % u(-2, 2)]
        room = ["reverb", "%d" % u(0, 15), "50", "%d" % u(5, 15)]
    elif chain == "tv_room":
        spk = ["highpass", "%d" % u(120, 250), "equalizer", "%d" % u(200, 500), "1q", "%.1f" % u(2, 8),
               "echo", "0.8", "0.7", "%d" % u(3, 15), "%.2f" % u(0.2, 0.5)]
        room = ["reverb", "%d" % u(60, 100), "50", "%d" % u(60, 100)]
    elif chain == "rec_replay":
        # the victim recorded on a phone (automatic gain, MP3 at 24-64 kbit/s), then played from
        # a phone held against the handset: small loudspeaker, almost no room
        rec = os.path.join(tmp, "rec.mp3")
        run(["sox"] + chunk[2] + ["-r", "16000", "-c", "1", "-C", str(r.choice([24, 32, 48, 64])), rec,
                                  "highpass", "%d" % u(80, 200), "compand", "0.02,0.3", "-70,-70,-45,-25,0,-6",
                                  "0", "-90", "0.05"])
        chunk = (chunk[0], chunk[1], [rec])
        spk = ["highpass", "%d" % u(300, 800), "lowpass", "%d" % u(5000, 7500), "equalizer", "%d" % u(1500, 3500),
               "1q", "%.1f" % u(3, 10), "overdrive", "%.1f" % u(0, 4)]
        room = ["reverb", "%d" % u(0, 10), "50", "%d" % u(0, 8)]
    else:  # car_handsfree
        spk = ["highpass", "%d" % u(250, 500), "compand", "0.005,0.1", "-70,-70,-40,-15,0,-5", "0", "-90",
               "0.02", "equalizer", "%d" % u(1500, 3000), "1q", "%.1f" % u(2, 8)]
        room = ["reverb", "%d" % u(5, 25), "50", "%d" % u(2, 10)]
    mic = ["highpass", "%d" % u(60, 200), "equalizer", "%d" % u(2500, 3800), "1q", "%.1f" % u(-3, 6)]
    dry = os.path.join(tmp, "dry.wav")
    run(["sox"] + chunk[2] + ["-r", "16000", "-e", "signed", "-b", "16", dry, "rate", "16000"]
        + spk + room + mic + ["gain", "-n", "-3"])
    # additive noise at the microphone, 12-40 dB SNR (car: 3-15 dB), mixed by the line's sox
    snr = u(3, 15) if chain == "car_handsfree" else u(12, 40)
    color = r.choice(["pinknoise", "brownnoise", "whitenoise"])
    noise = "|sox -n -r 16000 -b 16 -c 1 -p synth %.2f %s gain -n -%.1f" % (secs, color, snr + 3)
    return ["-m", dry, "-v", "1", noise]


def line(src, out, r, tmp):
    """The telephone line, identical in distribution for every class: band limit and level,
    then maybe one low-rate codec round trip, then G.711 at 8 kHz. sox does it in one or two
    processes (GSM 06.10, AMR-NB, IMA ADPCM, MP3 are sox formats); Opus and G.726 go through
    ffmpeg, rarely, because its start-up costs ten times sox's."""
    lo, hi = r.uniform(50, 300), r.uniform(3200, 3700)
    law = ["-e", "u-law" if r.random() < 0.7 else "a-law", "-b", "8"]
    shape = ["rate", "8000", "sinc", "%d-%d" % (lo, hi), "gain", "-n", "-%.1f" % r.uniform(1, 20)]
    codec = r.choice(["none", "none", "gsm", "amr", "amr", "ima", "mp3", "opus", "g726"])
    sox_fmt = {"gsm": ["-t", "gsm"], "amr": ["-t", "amr-nb", "-C", str(r.randint(0, 7))],
               "ima": ["-t", "ima"], "mp3": ["-t", "mp3", "-C", str(r.choice([8, 16, 24]))]}
    src = src if isinstance(src, list) else [src]
    if codec == "none":
        run(["sox"] + src + ["-r", "8000", "-c", "1"] + law + [out] + shape)
    elif codec in sox_fmt:
        enc = os.path.join(tmp, "c." + codec)
        run(["sox"] + src + ["-r", "8000", "-c", "1"] + sox_fmt[codec][:2] + sox_fmt[codec][2:] + [enc] + shape)
        dec = ["-t", "ima", "-r", "8000", "-c", "1"] if codec == "ima" else []
        run(["sox"] + dec + [enc, "-r", "8000", "-c", "1"] + law + [out])
    else:
        mid = os.path.join(tmp, "line.wav")
        run(["sox"] + src + ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed", mid] + shape)
        enc = os.path.join(tmp, "c.ogg" if codec == "opus" else "c.wav")
        args = ["-c:a", "libopus", "-b:a", r.choice(["8k", "12k"])] if codec == "opus" else \
            ["-c:a", "g726", "-ar", "8000", "-b:a", r.choice(["16k", "24k", "32k"])]
        run(["ffmpeg", "-loglevel", "error", "-y", "-i", mid] + args + [enc])
        dec = os.path.join(tmp, "dec.wav")
        run(["ffmpeg", "-loglevel", "error", "-y", "-i", enc, "-ar", "8000", "-ac", "1", dec])
        run(["sox", dec] + law + [out])
    return codec


def make_item(item):
    iid, attack, chunk, split = item
    r = random.Random(iid)
    out = os.path.join(OUT_DIR, "wav", attack.replace(":", "_"), iid + ".wav")
    if os.path.exists(out):
        return item, out, None
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp:
        src = os.path.join(tmp, "src.wav")
        try:
            if attack == "bonafide":
                src = chunk[2]
            elif attack.startswith("tts:"):
                eng = attack[4:]
                if eng in ("espeak-ng", "espeak"):
                    espeak_wav(eng, r, src)
                elif eng in VOCODED:
                    vocoded_wav(eng, chunk, r, src, tmp)
                elif eng in FROM_REAL:
                    from_real_wav(eng, chunk, r, src, tmp)
                else:
                    src = os.path.join(OUT_DIR, "npm", iid + ".wav")  # made in the batch step
                    if not os.path.exists(src):
                        return item, None, "npm output missing"
            else:
                src = replay_wav(attack[7:], chunk, r, tmp)
            line(src, out + ".tmp.wav", r, tmp)
            os.rename(out + ".tmp.wav", out)
        except Exception as e:  # one bad item is skipped, not the run
            return item, None, str(e)
    return item, out, None


def npm_jobs(items):
    jobs = []
    for iid, attack, _, _ in items:
        r = random.Random(iid)
        out = os.path.join(OUT_DIR, "npm", iid + ".wav")
        if os.path.exists(out):
            continue
        if attack == "tts:sam":
            p = {"speed": r.randint(55, 95), "pitch": r.randint(40, 100), "throat": r.randint(100, 170),
                 "mouth": r.randint(100, 170)}
            jobs.append({"engine": "sam", "text": rnd_text(r), "out": out, "params": p})
        elif attack == "tts:gnuspeech":
            p = {"voice": r.choice(["male", "female", "large_child", "small_child", "baby"]),
                 "tempo": round(r.uniform(0.8, 1.25), 2), "controlRate": 250}
            jobs.append({"engine": "gnuspeech", "text": rnd_text(r), "out": out, "params": p})
    return jobs


def main():
    global OUT_DIR
    OUT_DIR = os.path.abspath(sys.argv[1])
    os.makedirs(os.path.join(OUT_DIR, "npm"), exist_ok=True)
    run(["cc", "-O2", "-o", os.path.join(OUT_DIR, "vocoder"), os.path.join(HERE, "vocoder.c"), "-lfftw3", "-lm"])
    chunks = read_chunks(sys.argv[2:])
    items = []
    for i, c in enumerate(pick_chunks(chunks, N_BONA, "bona")):
        items.append(("b%05d" % i, "bonafide", c, split_of(c[1])))
    for e in TTS_ENGINES:
        real = pick_chunks(chunks, N_TTS, e)
        for i in range(N_TTS):
            iid = "%s_%04d" % (e, i)
            if e in FROM_REAL:
                items.append((iid, "tts:" + e, real[i % len(real)], split_of(real[i % len(real)][1])))
            else:
                items.append((iid, "tts:" + e, None, "test" if i % 10 >= 7 else "train"))
    for ch in CHAINS:
        real = pick_chunks(chunks, N_REPLAY, ch)
        for i in range(N_REPLAY):
            c = real[i % len(real)]
            items.append(("%s_%04d" % (ch, i), "replay:" + ch, c, split_of(c[1])))
    jobs = npm_jobs(items)
    if jobs:
        jf = os.path.join(OUT_DIR, "npm_jobs.jsonl")
        with open(jf, "w") as f:
            f.write("\n".join(json.dumps(j) for j in jobs) + "\n")
        subprocess.run(["node", os.path.join(HERE, "tts_npm.mjs"), jf], check=True,
                       cwd=os.environ.get("NPM_DIR", "."))
    rows, bad = [], 0
    with Pool(int(os.environ.get("JOBS", "2"))) as pool:
        for (iid, attack, chunk, split), out, err in pool.imap_unordered(make_item, items, chunksize=8):
            if err:
                bad += 1
                print("skip %s: %s" % (iid, err), file=sys.stderr)
                continue
            spk = chunk[1] if chunk else attack
            src = chunk[0] if chunk else attack
            rows.append((os.path.relpath(out, OUT_DIR), "bonafide" if attack == "bonafide" else "spoof",
                         attack, spk, src, split))
    rows.sort()
    with open(os.path.join(OUT_DIR, "list.tsv"), "w") as f:
        f.write("path\tlabel\tattack\tspeaker\tsource\tsplit\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    print("%d items, %d skipped" % (len(rows), bad))


if __name__ == "__main__":
    main()
