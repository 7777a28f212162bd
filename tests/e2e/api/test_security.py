#!/usr/bin/env python3
"""Security hardening of the HTTP side, end to end: real callprint processes, a real
redis-server, real HTTP over loopback (test_api.py's Server and helpers).

What a stranger who can reach the port gets: bodies refused from the headers before they are
buffered, bounded bytes in flight (in total and per client), slow headers and slow bodies
dropped; REST path ids decoded once; login rate limits keyed on the client a trusted proxy
names, a per-user failure budget and a bounded number of concurrent password hashes;
aggregated failure logs; password changes reaching every gateway sharing the Redis; no use of
the store after it closed at shutdown (the ASan build reports it).

Usage: test_security.py (env CALLPRINT_SOURCE_DIR, CALLPRINT_BIN_DIR).
"""
import contextlib
import http.client
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402

BAD = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


@contextlib.contextmanager
def gateway(tc, share=None, own_redis=False, **env):
    """A gateway (with its own redis-server unless `share`, a running Server whose Redis and
    key prefix it then shares, or the suite's CALLPRINT_TEST_REDIS_URL when set and not
    `own_redis`) for the with-block; checks its exit and sanitizer reports."""
    if share:
        g = T.Server.__new__(T.Server)
        g.tmp, g.redis = T.tempfile.mkdtemp(prefix="cp-sec-"), None
        g.redis_url, g.prefix = share.redis_url, share.prefix
        g.start(**env)
    else:
        g = _server(env, own_redis)
    main = T.srv
    T.srv = g
    T._tok["t"] = None
    try:
        yield g
    finally:
        T.srv = main
        T._tok["t"] = None
        rc = g.stop()
        text = g.logtext()
        g.close()
        tc.assertEqual(rc, 0, text[-3000:])
        for bad in BAD:
            tc.assertNotIn(bad, text, text[-6000:])


def _server(env, own_redis=False):
    g = T.Server.__new__(T.Server)
    g.tmp = T.tempfile.mkdtemp(prefix="cp-sec-")
    g.redis = None
    url = None if own_redis else os.environ.get("CALLPRINT_TEST_REDIS_URL")
    if not url:
        port = T.free_port()
        g.redis = T.subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", g.tmp],
            stdout=T.subprocess.DEVNULL, stderr=T.subprocess.DEVNULL)
        url = "redis://127.0.0.1:%d/0" % port
        T.wait_for(lambda: _connects(port), 5)
    g.redis_url = url
    g.prefix = "test:sec:%d:%d:" % (os.getpid(), int(time.time() * 1000))
    g.start(**env)
    return g


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.1).close()
        return True
    except OSError:
        return False


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw_request(head, body=b"", timeout=10.0, pace=None):
    """Send head (and body, at once or a byte every `pace` s); return (answer, seconds until
    the server answered or closed)."""
    s = socket.create_connection(("127.0.0.1", T.srv.port), 10)
    t0 = time.time()
    answer = b""
    try:
        s.sendall(head.encode() if isinstance(head, str) else head)
        if pace is None:
            s.sendall(body)
        else:
            for i in range(len(body)):
                s.sendall(body[i:i + 1])
                time.sleep(pace)
                if time.time() - t0 > timeout:
                    break
    except OSError:
        pass  # the server closed on us: read what it said
    s.settimeout(max(0.5, timeout - (time.time() - t0)))
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    except OSError:
        pass
    s.close()
    return answer, time.time() - t0


def read_response(s):
    """One whole response (headers and Content-Length bytes of body) from socket s."""
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(4096)
        if not c:
            return data
        data += c
    head, _, body = data.partition(b"\r\n\r\n")
    m = T.re.search(rb"(?i)content-length: *(\d+)", head)
    while m and len(body) < int(m.group(1)):
        c = s.recv(4096)
        if not c:
            break
        body += c
    return head + b"\r\n\r\n" + body


def post_head(path, length, token=None, xff=None):
    h = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" % path
    if token:
        h += "Authorization: Token %s\r\n" % token
    if xff:
        h += "X-Forwarded-For: %s\r\n" % xff
    return h + "Content-Length: %d\r\n\r\n" % length


def status_of(answer):
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


class S01Bodies(unittest.TestCase):
    def test_unauthenticated_large_bodies_refused_before_buffering(self):
        """The measured attack: 60 MB bodies to /import without a token. Each gets 401 from its
        headers and the gateway's RSS does not grow with what the clients send."""
        with gateway(self, CALLPRINT_IMPORT_BODY_MAX=str(64 << 20)) as g:
            before = rss_kb(g.proc.pid)
            chunk = b"x" * (1 << 20)
            socks, answers = [], []
            for _ in range(4):
                s = socket.create_connection(("127.0.0.1", g.port), 10)
                s.sendall(post_head("/api/v2/import", 60 << 20).encode())
                socks.append(s)
            for s in socks:  # push 16 MiB each, as fast as the server lets us
                s.settimeout(5)
                try:
                    for _ in range(16):
                        s.sendall(chunk)
                except OSError:
                    pass
            for s in socks:
                s.settimeout(2)
                data = b""
                try:
                    while True:
                        c = s.recv(4096)
                        if not c:
                            break
                        data += c
                except OSError:
                    pass
                answers.append(data)
                s.close()
            grown = rss_kb(g.proc.pid) - before
            for a in answers:
                if a:  # a reset can eat the answer; the server log shows none was read
                    self.assertEqual(status_of(a), 401, a[:300])
                    self.assertIn(b"authentication required", a)
            self.assertTrue(any(answers), "at least one 401 read back")
            self.assertLess(grown, 16 * 1024, "RSS grew by %d KiB" % grown)
            self.assertEqual(T.call("GET", "/healthz")[0], 200)
            # Small unauthenticated bodies still reach their handler (login).
            st, js, _ = T.call("POST", "/api/v2/auth/login", {"username": "admin", "password": "x"})
            self.assertEqual(st, 401)
            # An authenticated import of real speech still works.
            st, js, _ = T.api("POST", "/api/v2/import", {"recordings": [
                {"external_id": "sec-import", "audio": T.b64file("1688-142285-0000.wav")}]})
            self.assertEqual(st, 200, js)
            self.assertEqual(js["results"][0]["status"], "created", js)

    def test_in_flight_caps_and_slow_clients(self):
        """Per-client and global caps on bytes buffered (distinct clients named by a trusted
        proxy's X-Forwarded-For), a slow body and slow headers dropped."""
        with gateway(self, CALLPRINT_IMPORT_BODY_MAX=str(2 << 20),
                     CALLPRINT_HTTP_INFLIGHT_PER_CLIENT=str(3 << 20),
                     CALLPRINT_HTTP_INFLIGHT_MAX=str(5 << 20),
                     CALLPRINT_HTTP_BODY_TIMEOUT_S="3",
                     CALLPRINT_HTTP_HEADER_TIMEOUT_S="2",
                     CALLPRINT_TRUSTED_PROXIES="127.0.0.1") as g:
            tok = T.login()
            held = []

            def hold(xff):
                s = socket.create_connection(("127.0.0.1", g.port), 10)
                s.sendall(post_head("/api/v2/import", 2 << 20, tok, xff).encode())
                s.sendall(b"{")
                held.append(s)
                s.settimeout(0.3)  # held: no answer while the body is incomplete
                with self.assertRaises(socket.timeout):
                    s.recv(1)

            hold("198.51.100.1")
            a, _ = raw_request(post_head("/api/v2/import", 2 << 20, tok, "198.51.100.1"))
            self.assertEqual(status_of(a), 503, a[:300])  # 4 MiB > 3 MiB for this client
            self.assertIn(b"Retry-After", a)
            hold("198.51.100.2")  # 4 MiB in flight in total
            a, _ = raw_request(post_head("/api/v2/import", 2 << 20, tok, "198.51.100.3"))
            self.assertEqual(status_of(a), 503, a[:300])  # 6 MiB > 5 MiB
            for s in held:
                s.close()
            time.sleep(0.5)  # the held requests are freed when their connections close
            a, _ = raw_request(post_head("/api/v2/import", 2 << 20, tok, "198.51.100.3"),
                               timeout=2)
            self.assertNotEqual(status_of(a), 503, a[:300])
            # A body trickling in a byte every 0.3 s is cut at the 3 s body timeout.
            a, took = raw_request(post_head("/api/v2/auth/login", 200), b"x" * 200, 20, 0.3)
            self.assertEqual(a, b"")
            self.assertTrue(2.5 < took < 8, took)
            self.assertIn("HTTP body too slow", g.logtext())
            # Slow headers (slowloris): dropped by the header timeout.
            s = socket.create_connection(("127.0.0.1", g.port), 10)
            t0 = time.time()
            closed = None
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\n")
                while time.time() - t0 < 40:
                    s.sendall(b"X-Slow: 1\r\n")
                    time.sleep(0.5)
            except OSError:
                closed = time.time() - t0
            s.close()
            self.assertIsNotNone(closed, "slow headers were not dropped in 40 s")
            self.assertLess(closed, 6)
            self.assertEqual(T.call("GET", "/healthz")[0], 200)


class S07Pipelining(unittest.TestCase):
    def test_pipelined_partial_body_does_not_hang_the_gateway(self):
        """A GET and, in the same packet, a POST with only part of its body: libwebsockets 4.1
        spun on it forever. The GET is answered, the connection closed, the gateway serves on."""
        with gateway(self) as g:
            a, took = raw_request("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
                                  "POST /api/v2/auth/login HTTP/1.1\r\nHost: h\r\n"
                                  "Content-Length: 50\r\n\r\n0123456789", timeout=5)
            self.assertEqual(status_of(a), 200, a[:300])
            self.assertLess(took, 4.5, "the connection was not closed")
            t0 = time.time()
            self.assertEqual(T.call("GET", "/healthz", timeout=5)[0], 200)
            self.assertLess(time.time() - t0, 2)
            self.assertIn("pipelined HTTP request with a body", g.logtext())
            # Requests one after the other on a kept-alive connection still work.
            s = socket.create_connection(("127.0.0.1", g.port), 5)
            s.settimeout(10)
            for _ in range(3):
                s.sendall(post_head("/api/v2/auth/login", 2).encode() + b"{}")
                self.assertEqual(status_of(read_response(s)), 400)
            s.close()


class S02PathIds(unittest.TestCase):
    def test_path_ids_are_decoded_once(self):
        with gateway(self) as g:
            for ext in ("aA", "a%41"):
                st, js, _ = T.api("POST", "/api/v2/import", {"recordings": [
                    {"external_id": ext, "audio": T.b64file("1688-142285-0000.wav")}]})
                self.assertEqual((st, js["created"]), (200, 1), js)
            st, js, _ = T.api("DELETE", "/api/v2/voiceprint/a%2541")  # the id "a%41"
            self.assertEqual(st, 200, js)
            self.assertEqual(T.api("GET", "/api/v2/voiceprint/aA")[0], 200)
            self.assertEqual(T.api("GET", "/api/v2/voiceprint/a%2541")[0], 404)
            self.assertEqual(T.api("GET", "/api/v2/voiceprint/a%41")[0], 200)  # "aA"


def long_wav(minutes):
    """base64 of an 8 kHz WAV of `minutes` of real speech (a fixture repeated)."""
    pcm = T.ulaw_pcm("1688-142285-0000.wav")
    reps = int(minutes * 60 * 8000 * 2 / len(pcm)) + 1
    return T.wav(pcm * reps, 8000)


class S03Shutdown(unittest.TestCase):
    def test_stop_with_imports_and_password_hashes_in_flight(self):
        """SIGTERM while an import runs on the thread pool and bad logins are being hashed:
        their completions must not reach the closed store (ASan reports a use after free),
        the import answers "cancelled" and the process exits 0."""
        audio = long_wav(10)
        with gateway(self, CALLPRINT_IMPORT_BODY_MAX=str(64 << 20)) as g:
            tok = T.login()
            out = {}

            def imp():
                with contextlib.suppress(OSError, http.client.HTTPException):
                    out["import"] = T.call("POST", "/api/v2/import", {"recordings": [
                        {"external_id": "sec-long-%d" % i, "audio": audio} for i in range(4)]},
                        token=tok, timeout=60)

            def bad_login():
                try:
                    T.call("POST", "/api/v2/auth/login", {"username": "admin", "password": "no"},
                           timeout=30)
                except OSError:
                    pass

            th = [threading.Thread(target=imp)]
            th[0].start()
            time.sleep(1.0)  # the body is in and the import is on the pool
            for _ in range(3):
                th.append(threading.Thread(target=bad_login))
                th[-1].start()
            time.sleep(0.05)
            t0 = time.time()
            g.proc.send_signal(T.signal.SIGTERM)
            g.proc.wait(60)
            stopped = time.time() - t0
            for t in th:
                t.join(60)
            self.assertLess(stopped, 20)
            if "import" in out:  # answered before the connection closed
                st, js, _ = out["import"]
                self.assertEqual(st, 200, js)
                self.assertIn("cancelled", str(js))
            self.assertIn("outbound queues flushed", g.logtext())


def login_as(password, xff=None, timeout=30):
    h = {"X-Forwarded-For": xff} if xff else None
    return T.call("POST", "/api/v2/auth/login", {"username": "admin", "password": password},
                  headers=h, timeout=timeout)


class S04Logins(unittest.TestCase):
    def test_rate_limit_per_forwarded_client_budget_and_hash_bound(self):
        """Behind a trusted proxy each forwarded client has its own login limit; from an
        untrusted peer X-Forwarded-For changes nothing; the account's failure budget stops
        many addresses guessing; at most one password hash runs at a time."""
        with gateway(self, CALLPRINT_TRUSTED_PROXIES="127.0.0.1",
                     CALLPRINT_LOGIN_USER_FAILURES="24"):
            codes = [login_as("guess", "203.0.113.1")[0] for _ in range(11)]
            self.assertEqual(codes[:10], [401] * 10)
            self.assertEqual(codes[10], 429)
            # The proxy's other clients are not locked out with it.
            self.assertEqual(login_as(T.PASSWORD, "203.0.113.2")[0], 200)
            # A burst of logins: one hash at a time, the rest told to retry at once.
            out = []
            th = [threading.Thread(target=lambda i=i: out.append(
                login_as("guess", "198.51.100.%d" % i)[0])) for i in range(8)]
            for t in th:
                t.start()
            for t in th:
                t.join(60)
            self.assertGreaterEqual(out.count(503), 4, out)
            self.assertGreaterEqual(out.count(401), 1, out)
            # The account's budget (24; 10 + up to 8 spent above): distinct addresses, one
            # guess each, until it is spent; then even the right password waits.
            codes = []
            for i in range(24):
                codes.append(login_as("guess", "2001:db8::%x" % i)[0])
                if codes[-1] == 429:
                    break
            self.assertEqual(codes[-1], 429, codes)
            self.assertTrue(set(codes[:-1]) <= {401}, codes)
            st, js, _ = login_as(T.PASSWORD, "2001:db8::ffff")
            self.assertEqual(st, 429, js)
            self.assertIn("login failure budget", T.srv.logtext())

    def test_forwarded_for_ignored_from_untrusted_peers(self):
        with gateway(self):  # no trusted proxies
            for i in range(10):
                self.assertEqual(login_as("guess", "203.0.113.%d" % i)[0], 401)
            # Claiming another address does not escape the peer's limit.
            self.assertEqual(login_as(T.PASSWORD, "203.0.113.200")[0], 429)


def redis_cli(g, *args):
    return T.subprocess.run(["redis-cli", "-u", g.redis_url] + list(args), capture_output=True,
                            text=True, timeout=10).stdout.strip()


def metric(name):
    st, text, _ = T.call("GET", "/metrics")
    for line in text.splitlines():
        if line.startswith("callprint_" + name + " "):
            return float(line.split()[1])
    return None


class S05FailureLogs(unittest.TestCase):
    def test_failed_authentications_are_aggregated_and_not_queued_while_redis_is_down(self):
        with gateway(self, own_redis=True) as g:  # this test kills its Redis
            for _ in range(200):
                self.assertEqual(T.call("GET", "/api/v2/status", token="0" * 64)[0], 401)
            text = g.logtext()
            self.assertLessEqual(text.count("API authentication failed"), 10)
            self.assertGreaterEqual(text.count("API authentication failed"), 1)
            audit = int(redis_cli(g, "XLEN", g.prefix + "audit") or 0)
            self.assertLessEqual(audit, 10)
            self.assertGreaterEqual(audit, 1)
            T.login()  # the password record is read: later logins check it against this copy
            g.redis.kill()
            g.redis.wait()
            T.wait_for(lambda: metric("redis_up") == 0, 10)
            for _ in range(200):
                self.assertEqual(T.call("GET", "/api/v2/status", token="0" * 64)[0], 401)
            for i in range(5):
                login_as("guess")
            self.assertEqual(metric("redis_queued_writes"), 0)
            g.proc.send_signal(T.signal.SIGTERM)
            g.proc.wait(30)
            text = g.logtext()
            self.assertLessEqual(text.count("API authentication failed") +
                                 text.count("login refused"), 10)
            m = T.re.search(r'"count":"(\d+)"[^\n]*not logged one by one', text)
            self.assertIsNotNone(m, text[-3000:])
            self.assertEqual(int(m.group(1)) + min(10, text.count("API authentication failed") +
                                                   text.count("login refused")), 405)


class S06SharedRedis(unittest.TestCase):
    def test_password_change_reaches_other_gateways_and_first_logins_coexist(self):
        new = "another long passphrase 7"
        with gateway(self) as g1:
            with gateway(self, share=g1) as g2:
                T.srv = g2
                t2 = T.login()
                T.srv = g1
                st, js, _ = T.call("POST", "/api/v2/auth/password",
                                   {"old_password": T.PASSWORD, "new_password": new},
                                   token=T.login())
                self.assertEqual((st, js.get("persisted")), (200, True), js)
                T.srv = g2
                # The old password no longer opens the other gateway, at once.
                self.assertEqual(login_as(T.PASSWORD)[0], 401)
                # Its tokens are revoked within about a second of their next use.
                self.assertTrue(T.wait_for(
                    lambda: T.call("GET", "/api/v2/status", token=t2)[0] == 401, 5))
                st, js, _ = login_as(new)
                self.assertEqual(st, 200, js)
                mine = js["token"]
                # Reading the same record again revokes nothing.
                self.assertEqual(login_as(new)[0], 200)
                self.assertEqual(T.call("GET", "/api/v2/status", token=mine)[0], 200)
            # A fresh gateway on the same Redis: simultaneous first logins, each reading the
            # stored record, must not revoke each other's tokens (nor fail each other's hash).
            with gateway(self, share=g1) as g3:
                T.srv = g3
                out = []
                th = [threading.Thread(target=lambda: out.append(login_as(new)))
                      for _ in range(4)]
                for t in th:
                    t.start()
                for t in th:
                    t.join(60)
                codes = sorted(r[0] for r in out)
                self.assertNotIn(401, codes)
                self.assertIn(200, codes)
                for st, js, _ in out:
                    if st == 200:
                        self.assertEqual(
                            T.call("GET", "/api/v2/status", token=js["token"])[0], 200)


if __name__ == "__main__":
    T.srv = None
    res = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if res.wasSuccessful() else 1)
