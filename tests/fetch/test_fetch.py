"""test_fetch.py: `jaforge fetch` against the fault-injecting server
(faultserver.py, on 127.0.0.1 only). Every file ends complete and verified
(byte-identical to the source) or reported failed; a half-downloaded file
never gets its final name; a rerun skips verified files; a SIGKILLed fetch
resumes with a Range request; a checksum mismatch fails with no final file;
bad manifest lines are rejected with file and line."""
import ctypes
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, JAFORGE, check, finish, require_data, run, stop, tmpdir  # noqa: E402

require_data("warc/sample.warc.gz", "warc/sample.warc.zst")
HERE = os.path.dirname(os.path.abspath(__file__))
_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH3_64bits.restype = ctypes.c_uint64
_xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def xxh3(data):
    return "%016x" % _xxh.XXH3_64bits(data, len(data))


work = tmpdir()
root = os.path.join(work, "srv")
os.makedirs(root)
src = {}
for i, name in enumerate("abcdefghijklmnopq"):
    ext = ".warc.gz" if i % 2 == 0 else ".warc.zst"
    fn = name + ext
    shutil.copy(os.path.join(DATA, "warc/sample" + ext), os.path.join(root, fn))
    src[fn] = open(os.path.join(root, fn), "rb").read()
log = os.path.join(work, "server.log")
open(log, "w").close()
server = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "faultserver.py"), root, log],
                          stdout=subprocess.PIPE, text=True)


def log_lines():
    with open(log, encoding="utf-8") as f:
        return [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]


def requests_for(name):
    return [ln for ln in log_lines() if ln[0].endswith("/" + name)]


def fetch(manifest, out, *extra, timeout=120):
    return run(["fetch", manifest, "--out", out, "--jobs", "4", "--retries", "3",
                "--retry-wait", "0.05", "--timeout", "1", *extra], timeout=timeout)


def finals(out):
    return sorted(f for f in os.listdir(out) if not f.startswith(".") and f != "jaforge.db"
                  and not f.startswith("jaforge.db-"))


try:
    port = int(server.stdout.readline().split()[1])
    base = f"http://127.0.0.1:{port}"

    def line(fault, fn, size=True, sum_kind=None, wrong=False):
        data = src[fn]
        cols = [f"{base}/{fault}/{fn}", str(len(data)) if size else "-"]
        if sum_kind:
            digest = xxh3(data) if sum_kind == "xxh3" else hashlib.new(sum_kind, data).hexdigest()
            if wrong:
                digest = ("0" if digest[0] != "0" else "1") + digest[1:]
            cols.append(f"{sum_kind}:{digest}")
        return "\t".join(cols)

    # fetch-1: every fault kind in one run, 4 transfers at once.
    local = os.path.join(work, "local.warc.gz")
    shutil.copy(os.path.join(DATA, "warc/sample.warc.gz"), local)
    src["local.warc.gz"] = src["a.warc.gz"]
    shutil.copy(os.path.join(DATA, "warc/sample.warc.zst"), os.path.join(work, "viafile.warc.zst"))
    src["viafile.warc.zst"] = src["b.warc.zst"]
    good = {
        "a.warc.gz": line("ok", "a.warc.gz", sum_kind="xxh3"),
        "b.warc.zst": line("drop:2", "b.warc.zst", sum_kind="md5"),
        "c.warc.gz": line("e500:1", "c.warc.gz", size=False, sum_kind="sha1"),
        "d.warc.zst": line("e503ra:1", "d.warc.zst"),
        "e.warc.gz": line("drip:1", "e.warc.gz", sum_kind="xxh3"),
        "f.warc.zst": line("stall:1", "f.warc.zst", sum_kind="xxh3"),
        "g.warc.gz": line("badlen:1", "g.warc.gz"),
        "h.warc.zst": line("shortlen:1", "h.warc.zst"),
        "i.warc.gz": line("drop:1,norange", "i.warc.gz", sum_kind="xxh3"),
        "local.warc.gz": f"{local}\t{len(src['a.warc.gz'])}\txxh3:{xxh3(src['a.warc.gz'])}",
        "viafile.warc.zst": f"file://{work}/viafile.warc.zst\t-\tsha1:"
                            + hashlib.sha1(src["b.warc.zst"]).hexdigest() + "\tsource=cc\tlang=ja",
    }
    bad = {
        "j.warc.zst": (line("e404", "j.warc.zst"), "HTTP 404"),
        "k.warc.gz": (line("e403", "k.warc.gz"), "HTTP 403"),
        "l.warc.zst": (line("ok", "l.warc.zst", sum_kind="xxh3", wrong=True), "xxh3 checksum"),
        "m.warc.gz": (line("e500", "m.warc.gz"), "gave up after 4 tries: HTTP 500"),
        "n.warc.zst": (line("ok", "n.warc.zst", sum_kind="md5", wrong=True), "md5 checksum"),
    }
    manifest = os.path.join(work, "m.tsv")
    with open(manifest, "w") as f:
        f.write("# fault kinds, one per file\n\n")
        for text in good.values():
            f.write(text + "\n")
        for text, _ in bad.values():
            f.write(text + "\n")
    out = os.path.join(work, "out")
    t0 = time.time()
    r = fetch(manifest, out)
    check(r.returncode == 1, f"fetch-1.1 exit 1 with failures ({r.returncode}: {r.stderr[-500:]})")
    for fn in good:
        path = os.path.join(out, fn)
        check(os.path.exists(path) and open(path, "rb").read() == src[fn],
              f"fetch-1.2 {fn} complete and identical to the source")
    for fn, (text, why) in bad.items():
        url = text.split("\t")[0]
        final_lines = [ln for ln in r.stderr.splitlines()
                       if ln.startswith(f"jaforge: {url}: ") and "; try " not in ln]
        check(len(final_lines) == 1 and why in final_lines[0],
              f"fetch-1.3 {fn} reported once as 'jaforge: URL: ...{why}...': {final_lines}")
        check(not os.path.exists(os.path.join(out, fn)), f"fetch-1.4 {fn}: no final file")
    for fn in ("l.warc.zst", "n.warc.zst"):
        check(not os.path.exists(os.path.join(out, fn + ".part")), f"fetch-1.5 {fn}: mismatching .part removed")
    check(not [f for f in os.listdir(out) if f.endswith(".part") and f[:-5] in good],
          "fetch-1.6 no .part left for a complete file")
    check(len(requests_for("j.warc.zst")) == 1, "fetch-1.7 404 requested once, not retried")
    check(len(requests_for("m.warc.gz")) == 4, f"fetch-1.8 always-500 tried 1 + 3 retries "
          f"({len(requests_for('m.warc.gz'))})")
    b_ranges = [ln[1] for ln in requests_for("b.warc.zst")]
    check(len(b_ranges) == 3 and b_ranges[0] == "-" and all(x.startswith("bytes=") for x in b_ranges[1:]),
          f"fetch-1.9 dropped body resumed with Range: {b_ranges}")
    i_reqs = requests_for("i.warc.gz")
    check(len(i_reqs) == 2 and i_reqs[1][1].startswith("bytes=") and i_reqs[1][2] == "200",
          f"fetch-1.10 Range ignored (200) restarts from zero: {i_reqs}")
    check(len(requests_for("d.warc.zst")) == 2, "fetch-1.11 503 + Retry-After then OK")
    check(len(requests_for("f.warc.zst")) == 2 and "f.warc.zst: no data received for 1 s; try 2" in r.stderr,
          "fetch-1.12 stalled transfer timed out (--timeout 1) and resumed")
    check(len(requests_for("h.warc.zst")) == 2 and requests_for("h.warc.zst")[1][1].startswith("bytes="),
          "fetch-1.13 short Content-Length caught by the manifest size and resumed")
    for ln in log_lines():
        check(ln[0].split("/")[2] in src, f"fetch-1.14 only manifest files requested: {ln}")
    db = sqlite3.connect(os.path.join(out, "jaforge.db"))
    rows = db.execute("SELECT input, status, last_error, stats FROM tasks_v WHERE stage = 'fetch'").fetchall()
    st = {os.path.basename(i)[:-4]: (s, e, j) for i, s, e, j in rows}
    check(all(st.get(fn, ("",))[0] == "done" for fn in good), "fetch-1.15 run database: good files done")
    check(all(st.get(fn, ("",))[0] == "failed" for fn in bad), "fetch-1.16 run database: bad files failed")
    check(st.get("j.warc.zst", ("", ""))[1].endswith("HTTP 404"), "fetch-1.17 last_error kept")
    db.close()
    print(f"fetch-1 took {time.time() - t0:.1f} s", flush=True)

    # fetch-2: a rerun skips verified files (no request), retries only the failed ones.
    n_before = {fn: len(requests_for(fn)) for fn in good}
    r = fetch(manifest, out)
    check(r.returncode == 1, "fetch-2.1 rerun still fails for the bad entries")
    check(f"0 fetched, {len(good)} already present, {len(bad)} failed" in r.stderr,
          f"fetch-2.2 rerun summary ({r.stderr[-300:]})")
    check(all(len(requests_for(fn)) == n_before[fn] for fn in good), "fetch-2.3 no request for present files")

    # fetch-3: a damaged final file is not taken as done: fetched again.
    with open(os.path.join(out, "a.warc.gz"), "r+b") as f:
        f.seek(1000)
        f.write(b"XXXX")
    good_manifest = os.path.join(work, "good.tsv")
    with open(good_manifest, "w") as f:
        f.write("\n".join(good.values()) + "\n")
    r = fetch(good_manifest, out)
    check(r.returncode == 0, f"fetch-3.1 only good entries: exit 0 ({r.stderr[-300:]})")
    check(open(os.path.join(out, "a.warc.gz"), "rb").read() == src["a.warc.gz"], "fetch-3.2 damaged file refetched")
    check("1 fetched" in r.stderr, "fetch-3.3 summary counts the refetch")

    # fetch-4: SIGKILL mid-body, then resume with Range.
    kmanifest = os.path.join(work, "kill.tsv")
    with open(kmanifest, "w") as f:
        f.write(line("slow:1", "o.warc.gz", sum_kind="xxh3") + "\n")
    kout = os.path.join(work, "kout")
    p = subprocess.Popen([JAFORGE, "fetch", kmanifest, "--out", kout, "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = os.path.join(kout, "o.warc.gz.part")
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None and \
            (not os.path.exists(part) or os.path.getsize(part) < 300000):
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    had = os.path.getsize(part) if os.path.exists(part) else 0
    check(0 < had < len(src["o.warc.gz"]), f"fetch-4.1 killed mid-body ({had} bytes in .part)")
    check(not os.path.exists(os.path.join(kout, "o.warc.gz")), "fetch-4.2 no final name for a half file")
    r = fetch(kmanifest, kout)
    check(r.returncode == 0, f"fetch-4.3 resume exit 0 ({r.stderr[-300:]})")
    check(open(os.path.join(kout, "o.warc.gz"), "rb").read() == src["o.warc.gz"], "fetch-4.4 resumed file identical")
    o_reqs = requests_for("o.warc.gz")
    check(len(o_reqs) == 2 and o_reqs[1][1].startswith("bytes=") and int(o_reqs[1][1][6:-1]) > 0
          and o_reqs[1][2] == "206", f"fetch-4.5 resumed with a Range request: {o_reqs}")
    db = sqlite3.connect(os.path.join(kout, "jaforge.db"))
    row = db.execute("SELECT status, attempts, stats FROM tasks_v WHERE stage = 'fetch'").fetchone()
    check(row[0] == "done" and row[1] == 2 and '"resumed":true' in row[2],
          f"fetch-4.6 run database: done after 2 begins, resumed ({row})")
    db.close()

    # fetch-5: bad manifest lines are reported with file and line; nothing fetched.
    bmanifest = os.path.join(work, "bad.tsv")
    with open(bmanifest, "w") as f:
        f.write(f"{base}/ok/p.warc.gz\n"
                f"{base}/ok/..\n"
                f"{base}/ok/q.warc.gz\tabc\n"
                f"{base}/ok/q.warc.gz\txxh3:1234\n"
                f"{base}/other/p.warc.gz\n"
                f"{base}/ok/q.warc.gz\tcolor=red\n")
    bout = os.path.join(work, "bout")
    r = fetch(bmanifest, bout)
    check(r.returncode == 1, f"fetch-5.1 bad manifest: exit 1 ({r.returncode})")
    for n, why in ((2, "no safe file name"), (3, "unknown field"), (4, "bad xxh3 checksum"),
                   (5, "already used by line 1"), (6, "unknown field 'color=red'")):
        check(f"bad.tsv:" in r.stderr and f": line {n}: " in r.stderr and why in r.stderr,
              f"fetch-5.2 line {n} reported: {why}")
    check(not requests_for("p.warc.gz"), "fetch-5.3 nothing fetched from a bad manifest")
finally:
    stop(server)

finish()
