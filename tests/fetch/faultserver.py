"""faultserver.py ROOT LOG: an HTTP/1.1 server on 127.0.0.1 (free port, printed
on stdout as 'PORT N') serving the files of ROOT with faults chosen by the URL:

    /<faults>/<name>      faults: 'ok' or a comma list of KIND[:N]; a fault
                          applies to the first N requests of that URL (all
                          when N is left out)

    drop      send half the body, then close the connection
    e500      500 Internal Server Error
    e503ra    503 with 'Retry-After: 1'
    e404      404, e403: 403 (never recovers unless :N is given)
    drip      the body in 64 KiB pieces, 10 ms apart
    slow      the body in 16 KiB pieces, 20 ms apart (for kill tests)
    stall     send half the body, then stay silent for 4 s, then close
    badlen    Content-Length 1000 bytes too large, then close
    shortlen  Content-Length 1000 bytes too small (the rest is not sent)
    norange   ignore Range: answer 200 with the whole file

Range requests ('bytes=N-') get 206 with Content-Range. Every request is
appended to LOG as 'PATH<TAB>RANGE-or-"-"<TAB>STATUS'. Waits are bounded,
so a test using it stays short. Stops on SIGTERM."""
import http.server
import os
import re
import socket
import sys
import threading
import time

ROOT, LOG = sys.argv[1], sys.argv[2]
counts = {}
lock = threading.Lock()


def faults_of(spec, n):
    """Active fault kinds for the n-th (1-based) request of a URL."""
    active = set()
    for item in spec.split(","):
        kind, _, lim = item.partition(":")
        if kind != "ok" and (not lim or n <= int(lim)):
            active.add(kind)
    return active


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, status):
        with lock, open(LOG, "a", encoding="utf-8") as f:
            f.write(f"{self.path}\t{self.headers.get('Range', '-')}\t{status}\n")

    def plain(self, status, extra=()):
        body = f"status {status}\n".encode()
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.record(status)

    def cut(self):
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        m = re.fullmatch(r"/([^/]+)/([^/?]+)", self.path)
        path = os.path.join(ROOT, m.group(2)) if m else None
        if not path or not os.path.isfile(path):
            return self.plain(404)
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            n = counts[self.path]
        faults = faults_of(m.group(1), n)
        for kind, status in (("e404", 404), ("e403", 403), ("e500", 500)):
            if kind in faults:
                return self.plain(status)
        if "e503ra" in faults:
            return self.plain(503, [("Retry-After", "1")])
        data = open(path, "rb").read()
        start = 0
        rng = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if rng and "norange" not in faults:
            start = int(rng.group(1))
            if start >= len(data):
                return self.plain(416, [("Content-Range", f"bytes */{len(data)}")])
        body = data[start:]
        length = len(body)
        if "badlen" in faults:
            length += 1000
        if "shortlen" in faults:
            length = max(0, length - 1000)
        status = 206 if start else 200
        self.send_response(status)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.record(status)
        self.send_body(body[:length], faults)

    def send_body(self, body, faults):
        try:
            if "drop" in faults or "stall" in faults:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                if "stall" in faults:
                    time.sleep(4)
                return self.cut()
            piece, pause = (65536, 0.01) if "drip" in faults else (16384, 0.02) if "slow" in faults \
                else (len(body) or 1, 0)
            for i in range(0, len(body), piece):
                self.wfile.write(body[i:i + piece])
                if pause:
                    self.wfile.flush()
                    time.sleep(pause)
            if "badlen" in faults or "shortlen" in faults:
                self.cut()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that gives up (a killed fetch, a full disk) resets the connection: not news
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


srv = Server(("127.0.0.1", 0), Handler)
print(f"PORT {srv.server_address[1]}", flush=True)
import signal  # noqa: E402
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
srv.serve_forever()
