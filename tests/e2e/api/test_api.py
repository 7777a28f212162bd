#!/usr/bin/env python3
"""REST API end to end: a real callprint process, a real redis-server, real HTTP.

The server is started once with short timings (token TTL 3 s, HTTP-stream inactivity 1.5 s,
minimum enrolment speech 6 s) so expiry and timeouts are tested without long waits. Redis is
CALLPRINT_TEST_REDIS_URL when set (deploy/test.sh), else a private redis-server on a free port;
keys live under a prefix unique to the run. The ASan build's leak and UB reports on the
server's stderr fail the suite at shutdown.

Usage: test_api.py (env CALLPRINT_SOURCE_DIR, CALLPRINT_BIN_DIR).
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import io
import wave
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

SRC = os.environ.get("CALLPRINT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("CALLPRINT_BIN_DIR", os.path.join(SRC, "build", "bin"))
PASSWORD = "correct horse battery staple"
AUDIO = os.path.join(SRC, "tests", "fixtures", "workers")
TOKEN_TTL = 3
IMPORT_MAX = 3 << 20  # /import's own body limit in these tests (default 64 MiB)

srv = None  # the Server of this run


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, **extra):
        """extra: environment overrides for the gateway (also used by test_voiceverify_manual)."""
        self.tmp = tempfile.mkdtemp(prefix="cp-api-")
        self.redis = None
        url = os.environ.get("CALLPRINT_TEST_REDIS_URL")
        if not url:
            port = free_port()
            self.redis = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.tmp],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = "redis://127.0.0.1:%d/0" % port
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        self.redis_url = url
        self.prefix = "test:api:%d:%d:" % (os.getpid(), int(time.time()))
        self.start(**extra)

    def start(self, ready=True, **extra):
        env = dict(os.environ)
        env.update({
            "CALLPRINT_LISTEN": "127.0.0.1:0",
            "CALLPRINT_REDIS_URL": self.redis_url,
            "CALLPRINT_REDIS_PREFIX": self.prefix,
            "CALLPRINT_ADMIN_PASSWORD": PASSWORD,
            "CALLPRINT_TOKEN_TTL_S": str(TOKEN_TTL),
            "CALLPRINT_HTTP_STREAM_TIMEOUT_MS": "1500",
            "CALLPRINT_MIN_ENROLL_SPEECH": "6",
            "CALLPRINT_WORKERS": "2",
            "CALLPRINT_SCHEMAS_DIR": os.path.join(SRC, "schemas"),
            "CALLPRINT_LOG_LEVEL": "info",
            "CALLPRINT_IMPORT_BODY_MAX": str(IMPORT_MAX),
        })
        env.update(extra)
        self.logpath = os.path.join(self.tmp, "server.log")
        skip = len(self.logtext()) if os.path.exists(self.logpath) else 0
        with open(self.logpath, "a") as log:
            # CALLPRINT_API_WRAP runs the server under a tool, e.g. "valgrind --error-exitcode=9".
            wrap = os.environ.get("CALLPRINT_API_WRAP", "").split()
            self.proc = subprocess.Popen(wrap + [os.path.join(BIN, "callprint")], env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError("callprint exited: " + self.logtext())
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.logtext()[skip:])
            if m:
                self.port = int(m.group(1))
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("callprint did not start: " + self.logtext())
        self.base = "http://127.0.0.1:%d" % self.port
        # Ready = Redis connected (logins read the stored password record first).
        while ready and time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)

    def logtext(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode

    def close(self):
        if self.redis:
            self.redis.kill()
            self.redis.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def call(method, path, body=None, token=None, raw=None, headers=None, timeout=60):
    """(status, parsed JSON or text, headers)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(srv.base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Token " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text, hdrs = r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read().decode(), e.headers
    try:
        return status, json.loads(text), hdrs
    except ValueError:
        return status, text, hdrs


_tok = {"t": None, "at": 0}


def login():
    st, js, _ = call("POST", "/api/v2/auth/login", {"username": "admin", "password": PASSWORD})
    assert st == 200, (st, js)
    return js["token"]


def token():
    """A token with at least half its life left."""
    if not _tok["t"] or time.time() - _tok["at"] > TOKEN_TTL / 2:
        _tok["t"], _tok["at"] = login(), time.time()
    return _tok["t"]


def api(method, path, body=None, **kw):
    return call(method, path, body, token=token(), **kw)


def b64file(name):
    with open(os.path.join(AUDIO, name), "rb") as f:
        return base64.b64encode(f.read()).decode()


def ulaw_pcm(name):
    """The 16-bit samples (bytes, s16le) of one of the 8 kHz µ-law WAV fixtures."""
    with open(os.path.join(AUDIO, name), "rb") as f:
        data = f.read()
    i = data.index(b"data") + 8
    out = bytearray()
    for b in data[i:]:
        u = ~b & 0xFF
        t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        v = (0x84 - t) if u & 0x80 else (t - 0x84)
        out += struct.pack("<h", v)
    return bytes(out)


def wav(pcm, rate, channels=1):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return base64.b64encode(buf.getvalue()).decode()


def upsample2(pcm):
    """8 kHz -> 16 kHz by linear interpolation (enough to exercise the resampler)."""
    x = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    out = []
    for i, v in enumerate(x):
        out += [v, (v + x[min(i + 1, len(x) - 1)]) // 2]
    return struct.pack("<%dh" % len(out), *out)


def play(uuid=None, dialect="twilio", fast=True, files=("1688-142285-0000.wav",)):
    args = [os.path.join(BIN, "callprint-call"), "--url", "ws://127.0.0.1:%d/stream" % srv.port,
            "--dialect", dialect]
    if fast:
        args.append("--fast")
    if uuid:
        args += ["-p", "uuid=" + uuid]
    args += [os.path.join(AUDIO, f) for f in files]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def declare_body(path, length, timeout=30.0):
    """Send only the headers of a POST declaring a `length`-byte body; the server's answer
    within timeout (b"" if none). An over-limit body is refused from its Content-Length, before
    a byte of it is sent (had we sent it, the server closing with unread data would reset the
    connection and could destroy the answer before we read it)."""
    sock = socket.create_connection(("127.0.0.1", srv.port), 30)
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (path, token(), length))
    sock.sendall(head.encode())
    sock.settimeout(timeout)
    answer = b""
    try:
        while not answer.endswith(b"}") and len(answer) < 4096:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError:  # socket.timeout included
        pass
    sock.close()
    return answer


def wait_for(pred, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


class T01Auth(unittest.TestCase):
    def test_login_ok_and_token_works(self):
        st, js, _ = call("POST", "/api/v2/auth/login", {"username": "admin", "password": PASSWORD})
        self.assertEqual(st, 200)
        self.assertRegex(js["token"], "^[0-9a-f]{64}$")
        self.assertEqual(js["expires_in"], TOKEN_TTL)
        self.assertEqual(call("GET", "/api/v2/status", token=js["token"])[0], 200)

    def test_missing_and_invalid_tokens(self):
        st, js, h = call("GET", "/api/v2/streams")
        self.assertEqual(st, 401)
        self.assertIn("Authorization", js["error"])
        self.assertEqual(h.get("WWW-Authenticate"), "Token")
        self.assertEqual(call("GET", "/api/v2/streams", token="0" * 64)[0], 401)
        self.assertEqual(call("GET", "/api/v2/status", headers={"Authorization": "Bearer x"})[0], 401)

    def test_unauthenticated_endpoints(self):
        self.assertEqual(call("GET", "/healthz")[0], 200)
        st, doc, _ = call("GET", "/api/v2/openapi.json")
        self.assertEqual(st, 200)
        self.assertTrue(doc["openapi"].startswith("3."))

    def test_expired_token(self):
        t = login()
        self.assertEqual(call("GET", "/api/v2/status", token=t)[0], 200)
        time.sleep(TOKEN_TTL + 1.2)
        st, js, _ = call("GET", "/api/v2/status", token=t)
        self.assertEqual(st, 401)
        self.assertIn("expired", js["error"] + " (" + js["error"] + ")")

    def test_logout_revokes(self):
        t = login()
        self.assertEqual(call("POST", "/api/v2/auth/logout", token=t)[0], 200)
        self.assertEqual(call("GET", "/api/v2/status", token=t)[0], 401)

    def test_bad_login_bodies(self):
        self.assertEqual(call("POST", "/api/v2/auth/login", raw=b"{not json")[0], 400)
        st, js, _ = call("POST", "/api/v2/auth/login", {"username": "admin", "password": 5})
        self.assertEqual(st, 400)
        self.assertIn("password", js["error"])
        st, _, _ = call("POST", "/api/v2/auth/login", {"username": "root", "password": PASSWORD})
        self.assertEqual(st, 401)


class T02Voiceprints(unittest.TestCase):
    def import_recordings(self, recordings):
        """POST /import: the reply (200 asserted) and its results by external_id."""
        st, js, _ = api("POST", "/api/v2/import", {"recordings": recordings})
        self.assertEqual(st, 200, js)
        return js, {x["external_id"]: x for x in js["results"]}

    def assert_created_and_failed(self, r, created, failed, why):
        """`created` was enrolled from 6 s of speech or more; `failed` was refused for `why`."""
        self.assertEqual(r[created]["status"], "created", r[created])
        self.assertGreaterEqual(r[created]["speech_length"], 6)
        self.assertEqual(r[failed]["status"], "failed")
        self.assertIn(why, r[failed]["detail"])

    def test_import_exists_delete_count(self):
        js, r = self.import_recordings([
            {"external_id": "alice", "audio": b64file("1688-142285-0000.wav"), "overwrite": True},
            {"external_id": "short", "audio": b64file("2033-164914-0004.wav")},
            {"external_id": "garbage", "audio": base64.b64encode(b"RIFF not audio").decode()}])
        self.assert_created_and_failed(r, "alice", "short", "not enough net speech")
        self.assertEqual(r["garbage"]["status"], "failed")
        self.assertIn("not a readable audio file", r["garbage"]["detail"])
        self.assertEqual((js["created"], js["failed"]), (1, 2))
        st, js, _ = api("POST", "/api/v2/voiceprint", {"external_id": "alice"})
        self.assertEqual((st, js["exists"]), (200, True))
        st, js, _ = api("GET", "/api/v2/voiceprint/alice")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(js["speech_length"], 6)
        # Same id again without overwrite: skipped.
        st, js, _ = api("POST", "/api/v2/import", {"recordings": [
            {"external_id": "alice", "audio": b64file("1688-142285-0001.wav")}]})
        self.assertEqual(js["results"][0]["status"], "skipped")
        st, js, _ = api("GET", "/api/v2/voiceprints/count")
        self.assertEqual((st, js["count"]), (200, 1))
        st, js, _ = api("DELETE", "/api/v2/voiceprint/alice")
        self.assertEqual((st, js["deleted"]), (200, True))
        st, js, _ = api("POST", "/api/v2/voiceprint", {"external_id": "alice"})
        self.assertEqual((st, js["exists"]), (200, False))
        self.assertEqual(api("DELETE", "/api/v2/voiceprint/alice")[0], 404)
        self.assertEqual(api("GET", "/api/v2/voiceprint/nobody")[0], 404)

    def test_import_refuses_spoofed_audio(self):
        """Synthetic and replayed speech (tests/fixtures/spoof, one recording) is not
        enrolled; real speech is, and both results carry the countermeasure's fields."""
        spoof = os.path.join(SRC, "tests", "fixtures", "spoof")
        fake = b"".join(ulaw_pcm(os.path.join(spoof, f)) for f in
                        ("replay_phone_0120.wav", "tts_espeak-ng.wav", "replay_laptop.wav"))
        _, r = self.import_recordings([
            {"external_id": "mallory", "audio": wav(fake, 8000), "overwrite": True},
            {"external_id": "bob", "audio": b64file("1688-142285-0000.wav"), "overwrite": True}])
        self.assertEqual(r["mallory"]["status"], "failed", r["mallory"])
        self.assertIn("judged spoofed", r["mallory"]["detail"])
        self.assertEqual(r["mallory"]["spoof"], "spoof")
        self.assertGreaterEqual(r["mallory"]["speech_length"], 6)
        self.assertEqual(r["bob"]["status"], "created", r["bob"])
        self.assertEqual(r["bob"]["spoof"], "bonafide")
        self.assertLess(r["bob"]["spoof_score"], r["mallory"]["spoof_score"])
        st, js, _ = api("POST", "/api/v2/voiceprint", {"external_id": "mallory"})
        self.assertEqual((st, js["exists"]), (200, False))
        api("DELETE", "/api/v2/voiceprint/bob")

    def test_import_formats(self):
        """A 16 kHz PCM WAV is resampled and enrolled; a stereo recording is refused."""
        pcm = ulaw_pcm("1688-142285-0000.wav")
        _, r = self.import_recordings([
            {"external_id": "wide", "audio": wav(upsample2(pcm), 16000), "overwrite": True},
            {"external_id": "stereo", "audio": wav(pcm[: len(pcm) // 2 * 2], 8000, channels=2)}])
        self.assert_created_and_failed(r, "wide", "stereo", "only mono")
        api("DELETE", "/api/v2/voiceprint/wide")

    def test_bad_bodies(self):
        st, js, _ = api("POST", "/api/v2/voiceprint", {"external_id": "x" * 257})
        self.assertEqual(st, 400)
        self.assertIn("256", js["error"])
        self.assertEqual(api("POST", "/api/v2/voiceprint", {"external_id": 7})[0], 400)
        self.assertEqual(api("POST", "/api/v2/voiceprint", raw=b"[1,2]")[0], 400)
        self.assertEqual(api("DELETE", "/api/v2/voiceprint/" + "y" * 300)[0], 400)
        st, js, _ = api("POST", "/api/v2/import", {"recordings": []})
        self.assertEqual(st, 400)
        st, js, _ = api("POST", "/api/v2/import",
                        {"recordings": [{"external_id": "a", "audio": "@@not base64"}]})
        self.assertEqual(st, 400)
        self.assertIn("base64", js["error"])
        st, js, _ = api("POST", "/api/v2/snapshot/import", {"mode": "merge", "voiceprints": []})
        self.assertEqual(st, 400)

    def test_oversize_upload_413(self):
        """Each route's limit: other routes keep http_body_max (1 MiB), /import has its own."""
        answer = declare_body("/api/v2/snapshot/import", (1 << 20) + 1)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])
        self.assertIn(b"at most 1048576 bytes", answer)
        answer = declare_body("/api/v2/import", IMPORT_MAX + 1)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])
        self.assertIn(b"at most %d bytes" % IMPORT_MAX, answer)
        # Within the limit the server waits for the body instead (the test gives up at once).
        self.assertEqual(declare_body("/api/v2/import", (1 << 20) + 1, timeout=1.0), b"")

    def test_import_over_the_general_body_limit(self):
        """A 1.3 MiB import (one minute of 16-bit audio) passes under /import's limit."""
        pcm = ulaw_pcm("1688-142285-0000.wav") * 4
        body = {"recordings": [{"external_id": "long-one", "audio": wav(pcm, 8000),
                                "overwrite": True}]}
        self.assertGreater(len(json.dumps(body)), 1 << 20)
        st, js, _ = api("POST", "/api/v2/import", body)
        self.assertEqual(st, 200, js)
        self.assertEqual(js["results"][0]["status"], "created", js)
        self.assertGreater(js["results"][0]["speech_length"], 12)
        self.assertEqual(api("DELETE", "/api/v2/voiceprint/long-one")[0], 200)

    def test_snapshot_round_trip(self):
        st, js, _ = api("POST", "/api/v2/import", {"recordings": [
            {"external_id": "snap-a", "audio": b64file("1688-142285-0000.wav"), "overwrite": True},
            {"external_id": "snap-b", "audio": b64file("1688-142285-0001.wav"), "overwrite": True}]})
        self.assertEqual(js["created"], 2, js)
        st, snap, _ = api("GET", "/api/v2/snapshot")
        self.assertEqual(st, 200)
        vps = {v["external_id"]: v for v in snap["voiceprints"]}
        self.assertTrue({"snap-a", "snap-b"} <= set(vps))
        self.assertTrue(snap["model"]["engine"])
        a_created = vps["snap-a"]["created_ms"]
        # Delete one, then skip-mode import restores it and skips the other.
        self.assertEqual(api("DELETE", "/api/v2/voiceprint/snap-a")[0], 200)
        mine = [vps["snap-a"], vps["snap-b"]]
        st, js, _ = api("POST", "/api/v2/snapshot/import", {"mode": "skip", "voiceprints": mine})
        self.assertEqual(st, 200, js)
        r = {x["external_id"]: x["status"] for x in js["results"]}
        self.assertEqual(r, {"snap-a": "created", "snap-b": "skipped"})
        st, js, _ = api("GET", "/api/v2/voiceprint/snap-a")
        self.assertEqual(js["created_ms"], a_created, "metadata travels with the snapshot")
        st, js, _ = api("POST", "/api/v2/snapshot/import", {"mode": "overwrite", "voiceprints": mine})
        self.assertEqual((js["created"], js["skipped"]), (2, 0))
        # A corrupted voiceprint is refused by the engine's check; the others still go in.
        bad = dict(vps["snap-b"], external_id="snap-bad")
        blob = bytearray(base64.b64decode(bad["voiceprint"]))
        blob[len(blob) // 2] ^= 0xFF
        bad["voiceprint"] = base64.b64encode(bytes(blob)).decode()
        st, js, _ = api("POST", "/api/v2/snapshot/import", {"mode": "overwrite", "voiceprints": [bad]})
        self.assertEqual(js["results"][0]["status"], "failed")
        self.assertIn("refused", js["results"][0]["detail"])
        self.assertFalse(api("POST", "/api/v2/voiceprint", {"external_id": "snap-bad"})[1]["exists"])
        # A creation time out of any int64 range (or an infinity) is ignored, not converted.
        for huge in (1e300, 1e400, 9.3e18):
            odd = dict(vps["snap-b"], external_id="snap-huge", created_ms=huge)
            raw = json.dumps({"mode": "overwrite", "voiceprints": [odd]}).replace(
                "Infinity", "1e400").encode()
            st, js, _ = call("POST", "/api/v2/snapshot/import", raw=raw, token=token())
            self.assertEqual((st, js["results"][0]["status"]), (200, "created"), js)
            st, js, _ = api("GET", "/api/v2/voiceprint/snap-huge")
            self.assertLess(js["created_ms"], 1e16, js)
        check_sanitizers(self)


class T03Streams(unittest.TestCase):
    def test_http_stream_open_push_close(self):
        st, js, _ = api("POST", "/api/v2/stream/HTTP",
                        {"info": {"source_uuid": "src-1", "caller": "+15550001111"}, "frequency": 16000})
        self.assertEqual(st, 201, js)
        uuid = js["uuid"]
        pcm = b"\x10\x00\xf0\xff" * 8000  # 16000 samples = 1 s at 16 kHz
        st, js, _ = api("POST", "/api/v2/stream/HTTP/data/" + uuid, raw=pcm)
        self.assertEqual(st, 200, js)
        self.assertAlmostEqual(js["seconds"], 1.0, delta=0.05)
        self.assertEqual(api("POST", "/api/v2/stream/HTTP/data/" + uuid, raw=b"abc")[0], 400)
        st, s, _ = api("GET", "/api/v2/streams/" + uuid)
        self.assertEqual((st, s["kind"]), (200, "http"))
        self.assertEqual(s["customParameters"]["source_uuid"], "src-1")
        self.assertEqual(api("GET", "/api/v2/streams/%2B15550001111")[1]["uuid"], uuid)
        self.assertEqual(api("POST", "/api/v2/streams", {"caller": "+15550001111"})[1]["uuid"], uuid)
        st, c, _ = api("GET", "/api/v2/streams/count")
        self.assertEqual((c["http"], c["by_source"].get("src-1")), (1, 1))
        self.assertEqual(api("GET", "/api/v2/status")[1]["http_streams"]["running"], 1)
        self.assertEqual(api("DELETE", "/api/v2/stream/HTTP/" + uuid)[0], 200)
        self.assertEqual(api("GET", "/api/v2/streams/" + uuid)[0], 404)
        self.assertEqual(api("POST", "/api/v2/stream/HTTP/data/" + uuid, raw=pcm)[0], 404)
        for bad in (12, 1e300, 16000.5, "8000", -1):
            self.assertEqual(api("POST", "/api/v2/stream/HTTP", {"frequency": bad})[0], 400, bad)
        self.assertEqual(api("POST", "/api/v2/stream/HTTP", {"info": [1]})[0], 400)
        self.assertEqual(api("POST", "/api/v2/stream/HTTP", {"info": {"k": {"x": 1}}})[0], 400)

    def test_http_stream_audio_reaches_live_enrolment(self):
        """Speech pushed over an HTTP stream is what a live enrolment on it hears."""
        st, js, _ = api("POST", "/api/v2/stream/HTTP", {"info": {"source_uuid": "src-2"}})
        uuid = js["uuid"]
        api("DELETE", "/api/v2/voiceprint/http-enrolled")
        pcm = ulaw_pcm("1688-142285-0000.wav")
        for off in range(0, len(pcm), 16000):  # 1 s per push
            self.assertEqual(api("POST", "/api/v2/stream/HTTP/data/" + uuid,
                                 raw=pcm[off:off + 16000])[0], 200)
        last = {}

        def created():
            st, js, _ = api("POST", "/api/v2/stream/%s/enroll" % uuid, {"external_id": "http-enrolled"})
            last.update(js)
            return st == 200 and js.get("detail") == "created"
        self.assertTrue(wait_for(created, 20), last)
        self.assertGreaterEqual(last["speech_length"], 6)
        st, s, _ = api("GET", "/api/v2/streams/" + uuid)
        self.assertEqual(s["jobs"][0]["external_id"], "http-enrolled")
        self.assertTrue(api("POST", "/api/v2/voiceprint", {"external_id": "http-enrolled"})[1]["exists"])
        # The REST contract spells a verdict one way: the verify answer's "result" and the
        # stream details' verify job agree.
        st, v, _ = api("POST", "/api/v2/stream/%s/verify" % uuid, {"external_id": "http-enrolled"})
        self.assertEqual(st, 200, v)
        self.assertIn(v["result"], ("verified", "not_sure", "not_verified", "insufficient_speech"))
        st, s, _ = api("GET", "/api/v2/streams/" + uuid)
        job = [j for j in s["jobs"] if j["type"] == "verify"][0]
        self.assertEqual(job["result"], v["result"])
        self.assertEqual(api("DELETE", "/api/v2/stream/HTTP/" + uuid)[0], 200)

    def test_http_stream_inactivity_close(self):
        t = login()
        st, js, _ = call("POST", "/api/v2/stream/HTTP", {}, token=t)
        uuid = js["uuid"]
        for _ in range(2):  # 1.6 s in all, more than the 1.5 s timeout: pushes reset it
            self.assertEqual(call("POST", "/api/v2/stream/HTTP/data/" + uuid,
                                  raw=b"\x00\x00" * 800, token=t)[0], 200)
            time.sleep(0.8)
        self.assertEqual(call("GET", "/api/v2/streams/" + uuid, token=t)[0], 200)
        t0 = time.time()
        self.assertTrue(wait_for(lambda: call("GET", "/api/v2/streams/" + uuid, token=t)[0] == 404, 5))
        self.assertGreater(time.time() - t0, 0.4, "not closed before the timeout")
        self.assertGreaterEqual(call("GET", "/api/v2/status", token=t)[1]["http_streams"]["timed_out"], 1)

    def test_maintenance_lock_and_force_off(self):
        st, js, _ = api("POST", "/api/v2/maintenance/lock")
        self.assertEqual((st, js["maintenance"]), (200, True))
        try:
            self.assertEqual(api("POST", "/api/v2/stream/HTTP", {})[0], 423)
            p = play(uuid="0b3f3c3e-5d0a-4d7e-9a55-0c1f9b0e4a11", dialect="voiceverify")
            out, _ = p.communicate(timeout=30)
            self.assertIn("423", json.loads(out.splitlines()[-1])["received"]["statuses"].__repr__())
            self.assertTrue(api("GET", "/api/v2/status")[1]["maintenance"])
        finally:
            self.assertEqual(api("POST", "/api/v2/maintenance/unlock")[1]["maintenance"], False)
        # A real-time WebSocket call plus an HTTP stream: force_off ends both. The HTTP stream
        # is opened once the call runs and kept fed: it ends after 1.5 s without data.
        p = play(fast=False)
        self.assertTrue(wait_for(lambda: api("GET", "/api/v2/streams/count")[1]["running"] == 1, 10))
        st, js, _ = api("POST", "/api/v2/stream/HTTP", {})
        self.assertEqual(st, 201)
        feed = lambda: api("POST", "/api/v2/stream/HTTP/data/" + js["uuid"], raw=b"\0\0" * 160)
        self.assertTrue(wait_for(lambda: feed()[0] == 200 and
                                 api("GET", "/api/v2/streams/count")[1]["running"] == 2, 10))
        st, s, _ = api("GET", "/api/v2/streams")
        ws = [x for x in s["streams"] if x["kind"] == "websocket"][0]
        self.assertEqual(api("GET", "/api/v2/streams/" + ws["streamSid"])[1]["uuid"], ws["uuid"])
        self.assertEqual(api("GET", "/api/v2/streams/" + ws["callSid"])[1]["uuid"], ws["uuid"])
        self.assertEqual(feed()[0], 200)
        st, js, _ = api("POST", "/api/v2/maintenance/force_off")
        self.assertEqual((st, js["ended"], js["streams_running"]), (200, 2, 0))
        p.communicate(timeout=30)
        self.assertEqual(api("GET", "/api/v2/streams/count")[1]["running"], 0)
        self.assertEqual(api("GET", "/api/v2/streams/nothing-here")[0], 404)

    def test_status_fields(self):
        st, js, _ = api("GET", "/api/v2/status")
        self.assertEqual(st, 200)
        self.assertTrue(js["model"]["loaded"])
        self.assertIn("thr_verified", js["model"])
        self.assertEqual(js["redis"]["state"], "connected")
        self.assertEqual(len(js["workers"]), 2)
        for w in js["workers"]:
            self.assertTrue({"queue_depth", "queue_max_depth", "dropped"} <= set(w))
        self.assertGreater(js["streams_max"], 0)
        self.assertIn("queued", js["webhooks"])


class T04OpenAPI(unittest.TestCase):
    def test_every_route_is_documented_and_served(self):
        doc = api("GET", "/api/v2/openapi.json")[1]
        sys.path.insert(0, os.path.dirname(__file__))
        import openapi_check
        problems = openapi_check.check(doc, os.path.join(SRC, "gateway"))
        self.assertEqual(problems, [])
        # Every documented operation reaches a handler (not the router's 404/405).
        for path, ops in doc["paths"].items():
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            for method in ops:
                st, js, _ = call(method.upper(), concrete, raw=b"" if method != "get" else None)
                self.assertNotEqual(st, 405, (method, path))
                self.assertFalse(st == 404 and js == {"error": "not found"}, (method, path))


class T05Password(unittest.TestCase):
    """Last: changes the password, then restarts the server to see it persisted."""
    def test_password_change_revokes_and_persists(self):
        global PASSWORD
        st, js, _ = call("POST", "/api/v2/auth/password",
                         {"old_password": "wrong wrong wrong", "new_password": "x" * 16}, token=login())
        self.assertEqual(st, 403)
        st, js, _ = call("POST", "/api/v2/auth/password",
                         {"old_password": PASSWORD, "new_password": "short"}, token=login())
        self.assertEqual(st, 400)
        self.assertEqual(call("POST", "/api/v2/auth/password", {"old_password": PASSWORD},
                              token=login())[0], 400)
        other = login()
        new = "a much better passphrase 42"
        st, js, _ = call("POST", "/api/v2/auth/password",
                         {"old_password": PASSWORD, "new_password": new}, token=login())
        self.assertEqual((st, js["persisted"]), (200, True), js)
        self.assertEqual(call("GET", "/api/v2/status", token=other)[0], 401)
        self.assertEqual(call("POST", "/api/v2/auth/login",
                              {"username": "admin", "password": PASSWORD})[0], 401)
        PASSWORD = new
        _tok["t"] = None
        self.assertEqual(srv.stop(), 0)
        check_sanitizers(self)
        srv.start()
        self.assertEqual(call("POST", "/api/v2/auth/login",
                              {"username": "admin", "password": "correct horse battery staple"})[0], 401)
        self.assertEqual(call("GET", "/api/v2/status", token=login())[0], 200)

    def test_zz_rate_limit(self):
        codes = [call("POST", "/api/v2/auth/login", {"username": "admin", "password": "nope"})[0]
                 for _ in range(12)]
        self.assertEqual(codes[0], 401)
        self.assertIn(429, codes)
        first = codes.index(429)
        self.assertGreaterEqual(first, 5, "the limit allows several attempts")
        self.assertEqual(codes[first:], [429] * (12 - first))
        st, js, h = call("POST", "/api/v2/auth/login", {"username": "admin", "password": "nope"})
        self.assertEqual(st, 429)
        self.assertTrue(h.get("Retry-After"))
        # Even the right password is refused while limited.
        self.assertEqual(call("POST", "/api/v2/auth/login",
                              {"username": "admin", "password": PASSWORD})[0], 429)


def other_server(tc, **env):
    """Run a second gateway with env overrides while the body of a with-block runs."""
    import contextlib

    @contextlib.contextmanager
    def cm():
        global srv
        main = srv
        other = Server.__new__(Server)
        other.tmp, other.redis = tempfile.mkdtemp(prefix="cp-api-other-"), None
        other.redis_url, other.prefix = main.redis_url, main.prefix + "other:"
        other.start(**env)
        srv = other
        try:
            yield other
        finally:
            srv = main
            rc = other.stop()
            text = other.logtext()
            other.close()
            tc.assertEqual(rc, 0)
            for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                tc.assertNotIn(bad, text)
    return cm()


class T06OtherServers(unittest.TestCase):
    def test_api_disabled_without_password(self):
        """Without an admin password (and none stored under this prefix) the API is off."""
        with other_server(self, CALLPRINT_ADMIN_PASSWORD="") as o:
            self.assertIn("REST API is disabled", o.logtext())
            st, js, _ = call("POST", "/api/v2/auth/login", {"username": "admin", "password": "x"})
            self.assertEqual(st, 503)
            st, js, _ = call("GET", "/api/v2/streams", token="0" * 64)
            self.assertEqual(st, 503)
            self.assertIn("CALLPRINT_ADMIN_PASSWORD", js["error"])
            self.assertEqual(call("GET", "/healthz")[0], 200)

    def test_login_refused_while_the_password_store_is_down(self):
        """A stored password may differ from the initial one: no fallback while Redis is down."""
        dead = "redis://127.0.0.1:%d/0" % free_port()
        with other_server(self, ready=False, CALLPRINT_REDIS_URL=dead):
            st, js, _ = call("POST", "/api/v2/auth/login", {"username": "admin", "password": PASSWORD})
            self.assertEqual(st, 503)
            self.assertIn("password store", js["error"])


class T07Secrets(unittest.TestCase):
    def test_failed_authentication_log_masks_numbers_in_the_path(self):
        # A server of its own: failures are logged one by one only 10 a minute, and the
        # earlier tests (T04, T05's rate limit) spend that budget.
        with other_server(self) as o:
            for path in ("/api/v2/directory/+447911123456", "/api/v2/directory/%2B447911123457",
                         "/api/v2/directory/0044-7911-123458?x=1"):
                self.assertEqual(call("GET", path, token="0" * 64)[0], 401)
            text = o.logtext()
        self.assertIn("API authentication failed", text)
        for digits in ("447911123456", "447911123457", "7911-123458"):
            self.assertFalse(digits in text, "caller number %s in the log" % digits)
        self.assertIn("/api/v2/directory/+4479", text)

    def test_login_body_is_wiped_after_use(self):
        """The password of a login is nowhere in the server's memory once answered."""
        secret = "wipe-me-%s" % os.urandom(12).hex()
        st, _, _ = call("POST", "/api/v2/auth/login", {"username": "admin", "password": secret})
        self.assertIn(st, (401, 429))
        # Later requests overwrite the server's socket receive buffer, as any traffic does.
        for _ in range(3):
            call("GET", "/healthz", headers={"X-Filler": "f" * 600})
        time.sleep(0.2)
        needle = secret.encode()
        found, scanned = [], 0
        with open("/proc/%d/maps" % srv.proc.pid) as maps, \
                open("/proc/%d/mem" % srv.proc.pid, "rb", 0) as mem:
            for line in maps:
                f = line.split()
                lo, hi = (int(x, 16) for x in f[0].split("-"))
                if not f[1].startswith("rw") or hi - lo > (1 << 30):
                    continue  # sanitizer shadow and reserved ranges are not data
                try:
                    mem.seek(lo)
                    chunk = mem.read(hi - lo)
                except OSError:
                    continue
                scanned += len(chunk)
                if needle in chunk:
                    found.append(line.strip())
        self.assertGreater(scanned, 1 << 20)
        self.assertEqual(found, [], "the login password stayed in memory")


def check_sanitizers(tc):
    text = srv.logtext()
    for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        tc.assertNotIn(bad, text, text[-4000:])


def run(make_server):
    """Start the server, run the calling module's tests, fail on sanitizer reports; exit."""
    global srv
    srv = make_server()
    ok = False
    try:
        res = unittest.main(exit=False, verbosity=2).result
        ok = res.wasSuccessful()
        rc = srv.stop()
        text = srv.logtext()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if bad in text:
                print("server reported: " + bad + "\n" + text[-6000:])
                ok = False
        if rc != 0:
            print("server exit status %d\n%s" % (rc, text[-3000:]))
            ok = False
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
        srv.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    run(Server)
