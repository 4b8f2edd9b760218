"""test_cc_manifest.py: from a Common Crawl snapshot id to documents, against
a loopback HTTP server laid out like data.commoncrawl.org: `jaforge fetch
cc-manifest` fetches the snapshot's warc.paths.gz and writes a manifest of the
first N WARC files, `jaforge fetch` downloads them, `jaforge extract` reads
them. A listing with a path that is not under crawl-data/ is refused."""
import gzip
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, check, finish, read_docs, require_data, run, stop, tmpdir  # noqa: E402

require_data("warc/sample.warc.gz")
work = tmpdir()
site = os.path.join(work, "site")
snap = "CC-MAIN-2099-01"
paths = [f"crawl-data/{snap}/segments/1700000000000.{i}/warc/{snap}-2099-0000{i}.warc.gz" for i in range(5)]
for p in paths:
    os.makedirs(os.path.dirname(os.path.join(site, p)), exist_ok=True)
    shutil.copy(os.path.join(DATA, "warc/sample.warc.gz"), os.path.join(site, p))
with open(os.path.join(site, f"crawl-data/{snap}/warc.paths.gz"), "wb") as f:
    f.write(gzip.compress(("\n".join(paths) + "\n").encode()))
os.makedirs(os.path.join(site, "crawl-data/BAD"))
with open(os.path.join(site, "crawl-data/BAD/warc.paths.gz"), "wb") as f:
    f.write(gzip.compress(b"crawl-data/BAD/a.warc.gz\n../../etc/passwd\n"))
# two paths with one file name (fetch would refuse the second line), and a NUL byte
for snap_bad, listing in (("DUP", b"crawl-data/DUP/1/a.warc.gz\ncrawl-data/DUP/2/a.warc.gz\n"),
                          ("NUL", b"crawl-data/NUL/a.warc.gz\ncrawl-data/NUL/\0/b.warc.gz\n")):
    os.makedirs(os.path.join(site, "crawl-data", snap_bad))
    with open(os.path.join(site, "crawl-data", snap_bad, "warc.paths.gz"), "wb") as f:
        f.write(gzip.compress(listing))

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                           "--directory", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/"
    manifest = os.path.join(work, "m", "cc.tsv")
    os.makedirs(os.path.dirname(manifest))
    r = run(["fetch", "cc-manifest", snap, "--count", "3", "--base", base, "--out", manifest])
    check(r.returncode == 0, f"cc-manifest exit 0 ({r.stderr})")
    lines = [l for l in open(manifest, encoding="utf-8") if not l.startswith("#")]
    check(lines == [f"{base}{p}\t-\t-\tsource=cc\n" for p in paths[:3]], f"the first 3 WARC URLs ({lines[:1]})")

    r = run(["fetch", "-q", manifest, "--out", os.path.join(work, "warc")])
    check(r.returncode == 0, f"fetch exit 0 ({r.stderr[:300]})")
    got = sorted(f for f in os.listdir(os.path.join(work, "warc")) if f.endswith(".warc.gz"))
    check(got == sorted(os.path.basename(p) for p in paths[:3]), f"3 WARC files fetched ({got})")

    r = run(["extract", "-q", "--lang", "ja", "--out", os.path.join(work, "docs"), os.path.join(work, "warc")])
    check(r.returncode == 0, "extract the fetched WARCs")
    n = [len(read_docs(os.path.join(work, "docs", "ja", f))) for f in sorted(os.listdir(os.path.join(work, "docs", "ja")))]
    check(len(n) == 3 and len(set(n)) == 1 and n[0] > 200, f"each fetched WARC gives the same Japanese documents ({n})")

    r = run(["fetch", "cc-manifest", "BAD", "--count", "0", "--base", base, "--out", os.path.join(work, "m", "bad.tsv")])
    check(r.returncode == 1 and "crawl-data" in r.stderr and not os.path.exists(os.path.join(work, "m", "bad.tsv")),
          f"a listing with ../ refused, no manifest written ({r.stderr.strip()})")
    for snap_bad, why, at in (("DUP", "file name 'a.warc.gz' already used", 27),
                              ("NUL", "not a crawl-data/ file path", 25)):
        out_bad = os.path.join(work, "m", snap_bad + ".tsv")
        r = run(["fetch", "cc-manifest", snap_bad, "--count", "0", "--base", base, "--out", out_bad])
        check(r.returncode == 1 and why in r.stderr and f".gz:{at}: " in r.stderr and not os.path.exists(out_bad),
              f"a listing whose line 2 (offset {at}) {why}: refused there, no manifest ({r.stderr.strip()})")
    r = run(["fetch", "cc-manifest", snap, "--out", manifest])
    check(r.returncode == 2, "cc-manifest without --count: exit 2")
finally:
    stop(server)
finish()
