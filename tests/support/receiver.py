#!/usr/bin/python3
"""A real webhook receiver for the tests: HTTP/1.1 (optionally TLS) on 127.0.0.1, port 0.

Usage: receiver.py LOGFILE [CERT KEY [CLIENT_CA]]
With CLIENT_CA the TLS server requires a client certificate signed by it (mutual TLS).
Prints the bound port on stdout, then serves until SIGTERM. Every request (any method) is appended to
LOGFILE as one JSON line {"path", "headers", "body", "t"} *before* it is answered, so the test
sees attempts even when the answer is an error. Behaviour by path:
  /ok/...            200
  /flaky/<key>       500 for the first request with that key, 200 afterwards
  /status/<code>     that status
  /slow/<ms>/...     sleeps <ms> milliseconds, then 200 (threaded: others are not delayed)
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = open(sys.argv[1], "a", encoding="utf-8")
LOCK = threading.Lock()
SEEN = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code):
        body = b'{"ok":true}' if code < 300 else b'{"error":"test"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        parts = self.path.strip("/").split("/")
        with LOCK:
            LOG.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()),
                                  "body": body, "t": time.time()}) + "\n")
            LOG.flush()
            first = self.path not in SEEN
            SEEN.add(self.path)
        kind = parts[0]
        if kind == "flaky":
            self.answer(500 if first else 200)
        elif kind == "status":
            self.answer(int(parts[1]))
        elif kind == "slow":
            time.sleep(int(parts[1]) / 1000.0)
            self.answer(200)
        else:
            self.answer(200)

    do_GET = do_POST
    do_PUT = do_POST


def main():
    # Hundreds of senders connect at once in the many-subscriptions test: the default listen
    # backlog of 5 would drop their SYNs (a one-second retransmit each).
    ThreadingHTTPServer.request_queue_size = 512
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if len(sys.argv) >= 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        if len(sys.argv) >= 5:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
