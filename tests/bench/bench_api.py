#!/usr/bin/env python3
"""bench_api.py -- the REST side of the load benchmarks (standard library only).

  bench_api.py enroll URL PASSWORD EXTERNAL_ID DIR
      enrol one voiceprint from the recordings in DIR (concatenated) through POST /api/v2/import
  bench_api.py import URL PASSWORD GATEWAY_PID COUNT BATCH FIXTURES_DIR
      enrolment import throughput: COUNT recordings (each speaker's enrolment recordings of
      tests/fixtures/bio concatenated into one file, used in turn) in requests of BATCH,
      two requests in flight; prints one JSON object with the wall time, the gateway's CPU
      seconds (/proc/PID/stat) and recordings per second and per CPU-second.

Recordings are G.711 u-law WAV files (format 7, what the fixtures are); the concatenation
keeps that format, so the gateway decodes exactly what an operator would upload.
"""
import base64
import glob
import json
import os
import struct
import sys
import threading
import time
import urllib.request


def call(url, path, body=None, token=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method="POST" if data else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Token " + token)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def login(url, password):
    return call(url, "/api/v2/auth/login", {"username": "admin", "password": password})["token"]


def wav_chunks(path):
    """(fmt chunk bytes, data bytes) of a RIFF/WAVE file."""
    raw = open(path, "rb").read()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(path + ": not a WAV file")
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError(path + ": no fmt/data chunk")
    return fmt, data


def concat_wav(files):
    fmt, datas = None, []
    for f in files:
        f_fmt, d = wav_chunks(f)
        if fmt is not None and f_fmt[:16] != fmt[:16]:
            raise ValueError(f + ": a different format from the others")
        fmt = f_fmt
        datas.append(d)
    data = b"".join(datas)
    out = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + (b"\0" if len(fmt) & 1 else b"")
    out += b"data" + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")
    return b"RIFF" + struct.pack("<I", len(out)) + out


def cpu_seconds(pid):
    text = open("/proc/%d/stat" % pid).read()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def enroll(url, password, external_id, directory):
    token = login(url, password)
    audio = concat_wav(sorted(glob.glob(os.path.join(directory, "*.wav"))))
    rec = {"external_id": external_id, "audio": base64.b64encode(audio).decode(), "overwrite": True}
    res = call(url, "/api/v2/import", {"recordings": [rec]}, token)
    print(json.dumps(res))
    return 0 if res.get("created") == 1 else 1


def import_bench(url, password, pid, count, batch, fixtures):
    token = login(url, password)
    speakers = sorted(glob.glob(os.path.join(fixtures, "*", "enroll")))
    audios = [base64.b64encode(concat_wav(sorted(glob.glob(os.path.join(d, "*.wav"))))).decode()
              for d in speakers]
    seconds = [len(base64.b64decode(a)) / 8000.0 for a in audios]  # u-law: 8000 bytes a second
    batches = []
    for start in range(0, count, batch):
        batches.append([{"external_id": "import-%d" % i, "audio": audios[i % len(audios)],
                         "overwrite": True} for i in range(start, min(count, start + batch))])
    lock, statuses, errors = threading.Lock(), {}, []

    def worker():
        while True:
            with lock:
                if not batches:
                    return
                b = batches.pop(0)
            try:
                res = call(url, "/api/v2/import", {"recordings": b}, token, timeout=170)
                items = res.get("results", [])
                with lock:
                    for it in items:
                        s = it.get("status", "?") if isinstance(it, dict) else "?"
                        statuses[s] = statuses.get(s, 0) + 1
            except Exception as e:  # an HTTP error is a finding, not a crash of the bench
                with lock:
                    errors.append(str(e))

    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    done = statuses.get("created", 0)
    out = {"recordings": count, "enrolled": done, "statuses": statuses, "errors": errors[:3],
           "recording_seconds_mean": round(sum(seconds) / len(seconds), 1),
           "wall_s": round(wall, 3), "gateway_cpu_s": round(cpu, 3),
           "per_second": round(done / wall, 2) if wall else 0,
           "per_cpu_second": round(done / cpu, 2) if cpu else 0}
    print(json.dumps(out))
    return 0 if done and not errors else 1


def main(argv):
    if len(argv) == 6 and argv[1] == "enroll":
        return enroll(argv[2], argv[3], argv[4], argv[5])
    if len(argv) == 8 and argv[1] == "import":
        return import_bench(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]), argv[7])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
