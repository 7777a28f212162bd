#!/usr/bin/env python3
"""Conformance with the Voice Verify manual (version 1.5.1), route by route, message by message.

Every assertion carries, as its message, the sentence of the manual it checks, so a failure
says which promise to a Voice Verify integrator is broken. A real callprint process and a real
redis-server (test_api.Server), real HTTP (urllib) and a real WebSocket client over loopback
(the small RFC 6455 client below: the standard library has none). The server runs with short
timings (ping 1 s, stream timeout 2.5 s) so the keep-alive and the inactivity timeout are seen
without long waits; the manual's defaults (5 s, 10 s) are checked in the effective
configuration instead. The ASan build's reports on the server's stderr fail the suite.

Usage: test_voiceverify_manual.py (env CALLPRINT_SOURCE_DIR, CALLPRINT_BIN_DIR).
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import unittest
import uuid as uuidlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (the REST harness: Server, call, token, wait_for)

PING_MS, TIMEOUT_MS, MAX_STREAMS = 1000, 2500, 24
EXTRA_PATH = "/websocket"


def sid():
    """A 34-character streamSid [A-Za-z0-9], as the manual asks."""
    return "MZ" + uuidlib.uuid4().hex


class WS:
    """A minimal WebSocket client: text frames out (masked), frames in, ping answered."""

    def __init__(self, path="/", headers=None):
        self.sock = socket.create_connection(("127.0.0.1", T.srv.port), 10)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n%s\r\n" % (path, key, extra)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ", 2)[1]) if head else 0
        self.buf = b""
        self.closed = None

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                               bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                               bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=3.0, skip_pings=True):
        """The next JSON message (pings skipped unless asked), None on timeout or close."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            h = self._read(2, deadline)
            if h is None:
                return None
            op, n = h[0] & 0x0F, h[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2, deadline))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8, deadline))[0]
            payload = self._read(n, deadline) if n else b""
            if payload is None:
                return None
            if op == 8:
                self.closed = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                return None
            if op == 1:
                msg = json.loads(payload)
                if skip_pings and msg.get("event") == "ping":
                    continue
                return msg
        return None

    def quiet(self, seconds):
        """True when nothing but pings arrives for `seconds`."""
        return self.recv(seconds) is None and self.closed is None

    def close(self):
        try:
            self.sock.sendall(bytes([0x88, 0x82]) + b"\0\0\0\0" + struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()


def start_msg(stream_sid, stream_uuid, **params):
    """The manual's start request, field for field."""
    custom = {"uuid": stream_uuid, "source_uuid": "pbx-1"}
    custom.update(params)
    return {"event": "start", "sequenceNumber": "1",
            "start": {"accountSid": "", "streamSid": stream_sid, "callSid": "",
                      "tracks": ["inbound"],
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                      "channels": 1},
                      "customParameters": custom},
            "streamSid": stream_sid}


def media_msg(stream_sid, seq, payload=b"\xff" * 160):
    return {"event": "media", "sequenceNumber": str(seq),
            "media": {"track": "inbound", "chunk": str(seq - 1), "timestamp": str(20 * seq),
                      "payload": base64.b64encode(payload).decode()},
            "streamSid": stream_sid}


def stop_msg(stream_sid, seq):
    return {"event": "stop", "sequenceNumber": str(seq), "streamSid": stream_sid,
            "stop": {"accountSid": "", "callSid": ""}}


def connected(ws):
    ws.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    return ws.recv()


def ulaw_bytes(name):
    """The µ-law samples of one of the 8 kHz µ-law WAV fixtures (tests/fixtures/workers)."""
    with open(os.path.join(T.AUDIO, name), "rb") as f:
        data = f.read()
    return data[data.index(b"data") + 8:]


def no_streams():
    """Wait until the streams of earlier tests (ended by closing their sockets) are gone."""
    return T.wait_for(lambda: vv("GET", "/streams")[1]["count"] == 0)


def vv(method, path, body=None, **kw):
    """A call to one of the manual's routes with a fresh token in the manual's header format."""
    return T.call(method, path, body, token=T.token(), **kw)


class A1AccessManagement(unittest.TestCase):
    def test_login_and_token_header(self):
        st, js, _ = T.call("POST", "/rest-auth/login/",
                           {"username": "admin", "password": T.PASSWORD})
        self.assertEqual(st, 200, "The Client can login to the system using access credentials "
                                  "(POST /rest-auth/login/).")
        self.assertEqual(js["key"], js["token"], "The returned token is used in all follow-up queries.")
        for header in ("Token " + js["key"], "token  " + js["key"]):
            st, _, _ = T.call("GET", "/streams", headers={"Authorization": header})
            self.assertEqual(st, 200, 'The token has to be added to the HTTP header as '
                                      '"Authorization: Token <ACCESS_TOKEN>".')
        st, js, _ = T.call("GET", "/streams")
        self.assertEqual(st, 401, "The returned token is used in all follow-up queries.")
        self.assertEqual((js["status"], js["msg"]), (401, js["error"]),
                         "errors on the manual's routes carry msg and status")
        st, js, _ = T.call("POST", "/enroll", raw=b"{not json")
        self.assertEqual(st, 401, "the token is checked before the body is read")

    def test_password_change_and_reset(self):
        new = "another long passphrase 7"
        st, js, _ = vv("POST", "/rest-auth/password/change/",
                       {"old_password": T.PASSWORD, "new_password1": new, "new_password2": new + "x"})
        self.assertEqual(st, 400, "The Client can change the password for the user account "
                                  "(POST /rest-auth/password/change/).")
        st, js, _ = vv("POST", "/rest-auth/password/change/",
                       {"old_password": T.PASSWORD, "new_password1": new, "new_password2": new})
        self.assertEqual(st, 200, "The Client can change the password for the user account "
                                  "(POST /rest-auth/password/change/).")
        old, T.PASSWORD, T._tok["t"] = T.PASSWORD, new, None
        st, js, _ = vv("POST", "/rest-auth/password/change/",
                       {"old_password": new, "new_password1": old, "new_password2": old})
        self.assertEqual(st, 200, "After successful deployment of Phonexia Voice Verify, the "
                                  "Client must change the password.")
        T.PASSWORD, T._tok["t"] = old, None
        st, js, _ = vv("GET", "/maintenance/reset_password")
        self.assertEqual((st, js["status"]), (501, 501),
                         "Phonexia can reset the password (GET /maintenance/reset_password): "
                         "not available in callprint, said in the manual's error shape")
        self.assertIn("not available", js["msg"])


class B1WebSocket(unittest.TestCase):
    def test_connected_start_media_stop_on_the_root_url(self):
        ws = WS("/")
        self.assertEqual(ws.status, 101, "All WebSocket messages are sent to "
                                         "http://websocket.mydomain.com.")
        self.assertEqual(connected(ws), {"version": "1.0.0", "event": "connected",
                                         "msg": "Connection established.", "status": 200},
                         "After successful connection, the following message will appear as a response")
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u, additional_parameter_1="value_1"))
        self.assertEqual(ws.recv(), {"id": s, "uuid": u, "retries": 0, "event": "start",
                                     "msg": "Stream started.", "status": 201},
                         "After successful stream creation, a similar message will appear as a response")
        for seq in (2, 3, 4):
            ws.send(media_msg(s, seq))
        self.assertTrue(ws.quiet(0.5), "No message is sent back to the client when data is "
                                       "successfully transmitted")
        st, js, _ = vv("POST", "/streams", {"additional_parameter_1": "value_1"})
        self.assertEqual((st, js.get("uuid")), (200, u),
                         "this information will be stored in the stream object and could be used "
                         "for the searching of this stream")
        ws.send(stop_msg(s, 5))
        self.assertEqual(ws.recv(), {"id": s, "uuid": u, "event": "stop",
                                     "msg": "Stream stopped.", "status": 204},
                         "Successful stream stopping results in the following response")
        ws.close()

    def test_configured_path_and_twilio_on_the_root(self):
        ws = WS(EXTRA_PATH)
        self.assertEqual(connected(ws)["status"], 200,
                         "a custom port can be defined during deployment (and a path: "
                         "voiceverify_path)")
        ws.close()
        # Twilio signs every upgrade and names itself: it gets the Twilio dialect, never a reply.
        tw = WS("/", headers={"User-Agent": "Twilio.TmeWs/1.0"})
        tw.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        s, u = sid(), str(uuidlib.uuid4())
        tw.send(start_msg(s, u))
        tw.send(media_msg(s, 2))
        self.assertTrue(tw.quiet(1.5), "a Twilio client never receives a message it does not know")
        st, js, _ = vv("POST", "/streams", {"uuid": u})
        self.assertEqual((st, js.get("dialect")), (200, "twilio"))
        tw.close()

    def test_ping_and_timeout(self):
        ws = WS("/")
        connected(ws)
        ping = ws.recv(PING_MS / 1000 + 1, skip_pings=False)
        self.assertEqual(ping, {"event": "ping", "msg": "Ping.", "status": 100},
                         "Voice Verify sends the following WebSocket message every 5 seconds")
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u))
        self.assertEqual(ws.recv()["status"], 201)
        t0 = time.time()
        msg = ws.recv(TIMEOUT_MS / 1000 + 3)
        self.assertEqual(msg, {"id": s, "uuid": u, "event": "media", "msg": "Request timeout.",
                               "status": 408},
                         "The stream times out after 10 seconds of inactivity (no packets with "
                         "streamSid received). The following message will be sent")
        self.assertGreater(time.time() - t0, TIMEOUT_MS / 1000 - 0.5)
        ws.close()
        out = subprocess.run([os.path.join(T.BIN, "callprint"), "--check-config"],
                             capture_output=True, text=True, env={}).stdout
        self.assertRegex(out, r"ping_interval_ms\s*=\s*5000", "every 5 seconds (the default)")
        self.assertRegex(out, r"stream_timeout_ms\s*=\s*10000", "after 10 seconds (the default)")

    def test_error_codes_and_their_texts(self):
        ws = WS("/")
        connected(ws)
        ws.send(media_msg(sid(), 2))
        msg = ws.recv()
        self.assertEqual((msg["status"], msg["msg"]), (404, "Stream not found."),
                         "404 Stream not found.")
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u))
        self.assertEqual(ws.recv()["status"], 201)
        other = WS("/")
        connected(other)
        s2 = sid()
        other.send(start_msg(s2, u))
        self.assertEqual(other.recv(), {"id": s2, "uuid": u, "event": "start",
                                        "msg": "Stream already exists.", "status": 409},
                         "409 Stream already exists. Occurs when starting multiple streams with "
                         "the same UUID.")
        self.addCleanup(vv, "POST", "/maintenance/unlock")
        self.assertEqual(vv("GET", "/lock")[0], 200, "Maintenance Mode (GET /lock)")
        u3 = str(uuidlib.uuid4())
        other.send(start_msg(s2, u3))
        self.assertEqual(other.recv(), {"id": s2, "uuid": u3, "event": "start",
                                        "msg": "Maintenance mode set.", "status": 423},
                         "423 Maintenance mode set. Voice verify is in maintenance mode.")
        self.assertEqual(vv("GET", "/maintenance/unlock")[0], 200,
                         "Stop Maintenance Mode (GET /maintenance/unlock)")
        other.send(start_msg(s2, u3))
        self.assertEqual(other.recv()["status"], 201)
        ws.close()
        other.close()

    def test_many_streams_on_one_connection_then_403(self):
        self.assertTrue(no_streams())
        ws = WS("/")
        connected(ws)
        sids = []
        for i in range(MAX_STREAMS):  # more than callprint's former per-connection cap of 16
            s = sid()
            ws.send(start_msg(s, str(uuidlib.uuid4())))
            self.assertEqual(ws.recv()["status"], 201,
                             "Multiple streams can be sent through one WebSocket connection.")
            sids.append(s)
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u))
        self.assertEqual(ws.recv(), {"id": s, "uuid": u, "event": "start",
                                     "msg": "Resource is unavailable.", "status": 403},
                         "403 Resource is unavailable. This could happen due to licensing issues "
                         "(not enough stream slots).")
        ws.close()
        self.assertTrue(no_streams())
        out = subprocess.run([os.path.join(T.BIN, "callprint"), "--check-config"],
                             capture_output=True, text=True, env={}).stdout
        self.assertRegex(out, r"max_streams_per_conn\s*=\s*350",
                         "Multiple streams can be sent through one WebSocket connection (as many "
                         "as a whole 350-call server by default)")

    def test_blank_sids(self):
        ws = WS("/")
        connected(ws)
        u = str(uuidlib.uuid4())
        ws.send(start_msg("", u))
        self.assertEqual(ws.recv(), {"id": "", "uuid": u, "retries": 0, "event": "start",
                                     "msg": "Stream started.", "status": 201},
                         "accountSid, streamSid, and callSid parameters are optional and are there "
                         "just for the sake of Twilio protocol support. Leave them blank")
        ws.send(media_msg("", 2))
        self.assertTrue(ws.quiet(0.5), "No message is sent back to the client when data is "
                                       "successfully transmitted")
        ws.send(stop_msg("", 3))
        self.assertEqual(ws.recv()["status"], 204)
        ws.send(start_msg("X" * 33, str(uuidlib.uuid4())))
        self.assertEqual(ws.recv()["status"], 400, "Leave them blank or ensure they are 34 "
                                                   "characters long, otherwise a Validation "
                                                   "Scheme Exception will be raised")
        ws.close()


class C1HttpStreams(unittest.TestCase):
    def test_open_push_close(self):
        st, js, _ = vv("POST", "/api/v2/stream/HTTP", {"info": {"source_uuid": "pbx-2"},
                                                       "frequency": 8000})
        self.assertIn(st, (200, 201), "Opening a stream - done by POST /api/v2/stream/HTTP endpoint.")
        u = js["uuid"]
        pcm = b"\0\0" * 800
        st, _, _ = vv("POST", "/api/v2/stream/HTTP/data/" + u, raw=pcm)
        self.assertEqual(st, 200, "Sending data (voice) to the stream - using POST "
                                  "/api/v2/stream/HTTP/data/{uuid}.")
        st, js, _ = vv("GET", "/api/v2/status")
        self.assertEqual(js["http_streams"]["running"], 1,
                         "Endpoint GET /api/v2/status can be used to check how many HTTP streams "
                         "are currently running")
        self.assertEqual(vv("DELETE", "/api/v2/stream/HTTP/" + u)[0], 200,
                         "Closing the stream - DELETE /api/v2/stream/HTTP/{uuid}.")


class D1EnrollVerify(unittest.TestCase):
    def test_import_verify_snapshot_leave(self):
        st, js, _ = vv("POST", "/import", {"recordings": [
            {"external_id": "alice", "audio": T.b64file("1688-142285-0000.wav"), "overwrite": True}]})
        self.assertEqual((st, js["created"]), (200, 1),
                         "Enrolling from a recording including the Customer's voice (POST /import)")
        st, js, _ = vv("POST", "/voiceprint", {"external_id": "alice"})
        self.assertEqual((st, js["exists"]), (200, True),
                         "The existence of the voiceprint can be checked (POST /voiceprint)")
        # A live stream of the same speaker, verified by polling.
        ws = WS("/")
        connected(ws)
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u))
        self.assertEqual(ws.recv()["status"], 201)
        audio = ulaw_bytes("1688-142285-0001.wav")
        for i in range(0, len(audio) - 160, 160):
            ws.send(media_msg(s, 2 + i // 160, audio[i:i + 160]))
        result = {}

        def verdict():
            st, js, _ = vv("POST", "/verify", {"uuid": u, "external_id": "alice"})
            result.update(js, http=st)
            ws.send(media_msg(s, 99999))  # keep the stream alive while we poll
            return st == 200 and js["status"] == 200
        self.assertTrue(T.wait_for(verdict, 20), result)
        self.assertIn(result["result"], ("verified", "not_sure", "not_verified"),
                      "the status of verification and the verification score are provided in the "
                      "API response with options: not_verified, not_sure, verified")
        self.assertIsInstance(result["score"], (int, float))
        self.assertEqual(result["stream_uuid"], u)
        st, js, _ = vv("POST", "/api/v2/verify", {"uuid": u, "external_id": "nobody"})
        self.assertEqual((st, js["result"]), (404, "voiceprint with external_id does not exist"),
                         "voiceprint with external_id does not exist")
        st, js, _ = vv("POST", "/enroll", {"uuid": str(uuidlib.uuid4()), "external_id": "bob"})
        self.assertEqual((st, js["msg"]), (404, "Stream not found."), "404 Stream not found.")
        st, js, _ = vv("POST", "/enroll", {"uuid": u, "external_id": "bob"})
        self.assertEqual(st, 200, "When creating a voiceprint via POST /enroll, Voice Verify "
                                  "provides information about the amount of net speech")
        self.assertIsInstance(js["speech_length"], (int, float))
        ws.close()
        st, js, _ = vv("GET", "/snapshot/generate")
        self.assertEqual(st, 200, "extract all the voiceprints (GET /snapshot/generate)")
        js["voiceprints"] = [v for v in js["voiceprints"] if v["external_id"] == "alice"]
        alice = js["voiceprints"][0]
        for k in ("created", "external_id", "stream_uuid"):
            self.assertIn(k, alice, "The export includes information on voiceprint creation "
                                    "time, external_id, stream_uuid and more.")
        st, js2, _ = vv("POST", "/snapshot/import", {"voiceprints": js["voiceprints"]})
        self.assertEqual((st, js2["skipped"]), (200, 1), "Import of snapshots allows existing "
                                                         "voiceprints to be overwritten or skipped.")
        st, js2, _ = vv("POST", "/snapshot/import", {"voiceprints": js["voiceprints"],
                                                     "overwrite": True})
        self.assertEqual((st, js2["created"]), (200, 1), "Import of snapshots allows existing "
                                                         "voiceprints to be overwritten or skipped.")
        st, js2, _ = vv("DELETE", "/leave?external_id=alice")
        self.assertEqual((st, js2["deleted"]), (200, True),
                         "a voiceprint can even be removed (DELETE /leave)")
        self.assertEqual(vv("POST", "/voiceprint", {"external_id": "alice"})[1]["exists"], False)
        self.assertEqual(vv("POST", "/maintenance/loadbackup", js)[0], 200,
                         "Import the backed-up database (POST /maintenance/loadbackup)")
        st, js2, _ = vv("DELETE", "/leave", {"external_id": "alice"})
        self.assertEqual((st, js2["deleted"]), (200, True),
                         "As voiceprints are bound to the external_id of a customer, this "
                         "parameter needs to be provided.")

    def test_external_id_length_in_characters(self):
        for ch in ("é", "語", "😀"):
            st, js, _ = vv("POST", "/voiceprint", {"external_id": ch * 256})
            self.assertEqual(st, 200, "external_id, which is an arbitrary string (length max 256 "
                                      "characters)")
            st, js, _ = vv("POST", "/voiceprint", {"external_id": ch * 257})
            self.assertEqual(st, 400, "length max 256 characters")
        st, js, _ = vv("DELETE", "/leave", {"external_id": "😀" * 256})
        self.assertEqual(st, 404, "(length max 256 characters): a 256-character id is looked up")
        ws = WS("/")
        connected(ws)
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u))
        self.assertEqual(ws.recv()["status"], 201)
        st, js, _ = vv("POST", "/enroll", {"uuid": u, "external_id": "語" * 256})
        self.assertEqual((st, js["external_id"]), (200, "語" * 256),
                         "The Customer's voiceprint is bound to an external_id ... (length max "
                         "256 characters)")
        ws.close()


class E1Maintenance(unittest.TestCase):
    def test_lock_force_off_unlock(self):
        self.assertTrue(no_streams())
        self.addCleanup(vv, "POST", "/maintenance/unlock")
        ws = WS("/")
        connected(ws)
        s, u = sid(), str(uuidlib.uuid4())
        ws.send(start_msg(s, u))
        self.assertEqual(ws.recv()["status"], 201)
        st, js, _ = vv("POST", "/lock")
        self.assertEqual((st, js["maintenance"]), (200, True),
                         "Put the system in maintenance mode (POST /lock)")
        st, js, _ = vv("POST", "/maintenance/force_off")
        self.assertEqual((st, js["ended"]), (200, 1),
                         "end all running streams (POST /maintenance/force_off)")
        self.assertEqual(ws.recv()["event"], "stop")
        st, js, _ = vv("GET", "/api/v2/lock")
        self.assertEqual(js["maintenance"], True, "GET /lock, also read as /api/v2/lock")
        st, js, _ = vv("GET", "/maintenance/unlock")
        self.assertEqual((st, js["maintenance"]), (200, False),
                         "Stop Maintenance Mode (GET /maintenance/unlock) and enable all system "
                         "endpoints.")
        ws.close()

    def test_logging_aggregate_counts_streams(self):
        st, before, _ = vv("GET", "/logging_aggregate")
        self.assertEqual(st, 200, "the API provides an endpoint to extract logs of invoiceable "
                                  "actions (GET /logging_aggregate)")
        ws = WS("/")
        connected(ws)
        s = sid()
        ws.send(start_msg(s, str(uuidlib.uuid4())))
        self.assertEqual(ws.recv()["status"], 201)
        ws.send(stop_msg(s, 2))
        ws.recv()
        ws.close()
        n = before["invoiceable"]["streams"]
        self.assertTrue(T.wait_for(lambda: vv("GET", "/logging_aggregate")[1]["invoiceable"]
                                   ["streams"] == n + 1),
                        "logs of invoiceable actions: each stream counted once")
        st, js, _ = vv("GET", "/logging_aggregate?from=2100-01-01")
        self.assertEqual(js["invoiceable"]["streams"], 0, "per frequency as determined by the contract")
        st, js, _ = vv("GET", "/logging_aggregate?from=yesterday")
        self.assertEqual((st, js["status"]), (400, 400))

    def test_pbx_not_available(self):
        st, js, _ = vv("GET", "/pbx/")
        self.assertEqual((st, js), (200, []), "All PBX entries can be listed as well via (GET /pbx/).")
        for method, path in (("POST", "/pbx/"), ("GET", "/pbx/1"), ("DELETE", "/pbx/1"),
                             ("POST", "/pbx/1/start"), ("POST", "/pbx/1/stop")):
            st, js, _ = vv(method, path, {} if method == "POST" else None)
            self.assertEqual((st, js["status"]), (501, 501),
                             "A PBX instance entry is created by (POST /pbx/) ...: not available "
                             "in callprint, in the manual's error shape")
            self.assertIn("SIP PBX", js["msg"])

    def test_audio_source_profiles(self):
        st, lst, _ = vv("GET", "/api/v2/maintenance/asp/")
        self.assertEqual((st, len(lst)), (200, 1),
                         "To list all available ASPs, use GET /api/v2/maintenance/asp/.")
        asp = lst[0]
        self.assertTrue(asp["active"], "only one ASP profile can be used for verifications. This "
                                       "ASP is flagged as active.")
        st, js, _ = vv("GET", "/api/v2/maintenance/asp/active")
        self.assertEqual((st, js["uuid"]), (200, asp["uuid"]),
                         "To get the currently active ASP, use GET api/v2/maintenance/asp/active.")
        st, js, _ = vv("GET", "/api/v2/maintenance/asp/" + asp["uuid"])
        self.assertEqual((st, js["uuid"]), (200, asp["uuid"]), "obtain a detailed description of "
                                                               "a specific ASP via GET "
                                                               "/api/v2/maintenance/asp/{uuid}")
        st, js, _ = vv("POST", "/api/v2/maintenance/asp/%s/active" % asp["uuid"], {})
        self.assertEqual(st, 200, "To set/unset a specific ASP as active, use POST "
                                  "api/v2/maintenance/asp/{uuid}/active.")
        st, js, _ = vv("DELETE", "/api/v2/maintenance/asp/" + asp["uuid"])
        self.assertEqual((st, js["status"]), (409, 409), "or remove it via DELETE "
                                                         "/api/v2/maintenance/asp/{uuid}: not the "
                                                         "active one")
        st, js, _ = vv("GET", "/api/v2/maintenance/asp/" + str(uuidlib.uuid4()))
        self.assertEqual(st, 404)
        st, js, _ = vv("POST", "/api/v2/maintenance/asp/", {})
        self.assertEqual((st, js["status"]), (501, 501),
                         "Phonexia provides ASP and allows the Client to apply it to the running "
                         "Phonexia Voice Verify instance (POST /api/v2/maintenance/asp/): not "
                         "available in callprint")
        st, js, _ = vv("POST", "/maintenance/load_asp/%s/" % asp["name"], {})
        self.assertEqual(st, 200, "utilizing a new calibration profile (POST "
                                  "/maintenance/load_asp/{name}/)")

    def test_subscription(self):
        body = {"channel_uuid": "pbx-9", "webhook": "http://127.0.0.1:9/hook", "type": "streams",
                "info": {}}
        st, js, _ = vv("POST", "/api/v2/subscription", body)
        self.assertEqual(st, 201, "To setup a WebHook callback for starting/stopping of a specific "
                                  "voice stream with source_uuid, use POST/api/v2/subscription")
        st, js, _ = vv("DELETE", "/api/v2/subscription", body)
        self.assertEqual((st, js["deleted"]), (200, 1), "Any WebHook callback can be deleted by "
                                                        "DELETE /api/v2/subscription.")


if __name__ == "__main__":
    T.TOKEN_TTL = 60  # token() logs in again after half of it: the KDF is slow under ASan
    T.run(lambda: T.Server(CALLPRINT_PING_INTERVAL_MS=str(PING_MS),
                           CALLPRINT_STREAM_TIMEOUT_MS=str(TIMEOUT_MS),
                           CALLPRINT_MAX_STREAMS=str(MAX_STREAMS),
                           CALLPRINT_VOICEVERIFY_PATH=EXTRA_PATH,
                           CALLPRINT_TOKEN_TTL_S="60"))
