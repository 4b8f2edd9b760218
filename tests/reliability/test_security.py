"""test_security.py JAFORGE DATA_DIR: the security properties of
docs/reliability.md, checked against the real binary.

- TLS verification is on: `jaforge fetch` from an HTTPS server on 127.0.0.1
  with a self-signed certificate (made here with openssl) fails and writes
  nothing; with that certificate given as --cacert it succeeds, byte for byte.
- No manifest line writes outside the output folder: URLs whose last segment
  is "..", ".", empty, or holds a backslash are refused; every file fetched
  lands directly in --out; nothing appears next to it.
- The source holds no shell: no system(), popen(), or SQL built by printf
  (sqlite3_mprintf), and the one sqlite3_exec runs constant schema text."""
import http.server
import os
import re
import ssl
import subprocess
import threading

from jftest import DATA, check, finish, require_data, run, tmpdir

require_data("warc/sample.warc.gz")
work = tmpdir()
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")

# --- TLS ---------------------------------------------------------------------
key, crt = os.path.join(work, "key.pem"), os.path.join(work, "crt.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   capture_output=True, text=True)
check(r.returncode == 0, f"openssl made a self-signed certificate ({r.stderr[-200:]})")
root = os.path.join(work, "www")
os.makedirs(root)
payload = open(os.path.join(DATA, "warc/sample.warc.gz"), "rb").read()[:300000]
open(os.path.join(root, "sample.warc.gz"), "wb").write(payload)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(crt, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = f"https://127.0.0.1:{srv.server_address[1]}/sample.warc.gz"
man = os.path.join(work, "tls.tsv")
open(man, "w").write(url + "\n")

out = os.path.join(work, "out-untrusted")
r = run(["fetch", "-q", "--retries", "0", "--out", out, man], timeout=120)
check(r.returncode != 0, f"an untrusted certificate fails the fetch (exit {r.returncode})")
check(re.search(r"certificate|SSL|TLS", r.stderr, re.I) is not None,
      f"the error says why ({r.stderr.strip()[-300:]!r})")
check(not os.path.exists(os.path.join(out, "sample.warc.gz")), "nothing written under the final name")

out = os.path.join(work, "out-trusted")
r = run(["fetch", "-q", "--retries", "0", "--cacert", crt, "--out", out, man], timeout=120)
check(r.returncode == 0, f"--cacert with the server's certificate: exit 0 ({r.stderr.strip()[-300:]!r})")
got = os.path.join(out, "sample.warc.gz")
check(os.path.exists(got) and open(got, "rb").read() == payload, "the file arrives byte for byte over TLS")
srv.shutdown()

# --- manifest names ------------------------------------------------------------
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{srv.server_address[1]}"
hostile = [f"{base}/a/..", f"{base}/a/.", f"{base}/a/", f"{base}/x\\..\\..\\evil",
           f"{base}/?name=../../evil", f"{base}/..#frag"]
man = os.path.join(work, "names.tsv")
open(man, "w").write("\n".join(hostile) + "\n")
nest = os.path.join(work, "nest")
out = os.path.join(nest, "out")
os.makedirs(nest)
r = run(["fetch", "-q", "--retries", "0", "--out", out, man], timeout=120)
check(r.returncode != 0 and "nothing fetched" in r.stderr, f"a manifest with unsafe names fetches nothing (exit {r.returncode})")
check(r.stderr.count("no safe file name") == len(hostile),
      f"each of the {len(hostile)} unsafe names is refused with its line ({r.stderr.count('no safe file name')})")
safe = os.path.join(work, "safe.tsv")
open(safe, "w").write(f"{base}/sample.warc.gz?x=../../y#../z\n")
r = run(["fetch", "-q", "--retries", "0", "--out", out, safe], timeout=120)
check(r.returncode == 0, f"a URL with ../ only in its query and fragment is fetched ({r.stderr.strip()[-200:]!r})")
check(sorted(os.listdir(nest)) == ["out"], f"nothing written beside --out ({os.listdir(nest)})")
check(sorted(os.listdir(work)) == sorted(["crt.pem", "key.pem", "www", "tls.tsv", "out-untrusted", "out-trusted",
                                           "names.tsv", "safe.tsv", "nest"]), f"nothing written elsewhere ({os.listdir(work)})")
names = [n for n in os.listdir(out) if not n.startswith(".") and not n.endswith((".db", "-wal", "-shm"))]
check(names == ["sample.warc.gz"], f"named by its last path segment, in --out ({names})")
srv.shutdown()

# --- no shell, no SQL text built from input ------------------------------------
hits = []
for d, _, files in os.walk(SRC):
    for f in files:
        if not f.endswith((".c", ".cc", ".h")):
            continue
        text = open(os.path.join(d, f), encoding="utf-8").read()
        for pat in (r"\bsystem\s*\(", r"\bpopen\s*\(", r"sqlite3_v?mprintf", r"/bin/sh", r"\bexecl?p\s*\("):
            for m in re.finditer(pat, text):
                hits.append(f"{f}: {m.group(0)}")
        for m in re.finditer(r"sqlite3_exec\s*\(([^;]*)\)", text):
            if "exec_const" not in text[max(0, m.start() - 200):m.start()]:
                hits.append(f"{f}: sqlite3_exec outside exec_const")
check(not hits, f"no shell and no printf-built SQL in src/ ({hits})")
finish()
