"""test_fetch_disk_full.py: `jaforge fetch` onto a disk that fills. In a
private mount namespace (tmpfs_ns.py) a size-limited tmpfs holds --out; the
files come from the loopback test server (tests/fetch/faultserver.py). The
disk fills while the run database is made, and in the middle of a download,
with one and with three transfers at once. Each run must exit 1 (no crash)
naming the file and "No space left on device", keep its run database intact,
and give no file its final name unless it is complete and verified; once the
tmpfs is remounted larger, the same command completes with every file
identical to the server's, leaving no .part. Exits 77 (skipped) where a
private tmpfs mount is not permitted."""
import ctypes
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from jftest import DATA, check, finish, require_data, run, stop, tmpdir  # noqa: E402
from tmpfs_ns import PAGE, db_state, enter_namespace, mount, remount, umount  # noqa: E402

require_data("warc/sample.warc.gz", "warc/sample.warc.zst", "warc/sample-whole.warc.gz")
enter_namespace()

_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH3_64bits.restype = ctypes.c_uint64
_xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]

work = tmpdir()
root = os.path.join(work, "srv")
os.makedirs(root)
src = {}
for fn, data in (("a.warc.gz", "sample.warc.gz"), ("b.warc.zst", "sample.warc.zst"),
                 ("c.warc.gz", "sample-whole.warc.gz")):
    shutil.copy(os.path.join(DATA, "warc", data), os.path.join(root, fn))
    src[fn] = open(os.path.join(root, fn), "rb").read()
total = sum(len(b) for b in src.values())
log = os.path.join(work, "server.log")
open(log, "w").close()
server = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "..", "fetch", "faultserver.py"), root, log],
                          stdout=subprocess.PIPE, text=True)


def requests_for(name):
    with open(log, encoding="utf-8") as f:
        return [ln.rstrip("\n").split("\t") for ln in f if ln.split("\t")[0].endswith("/" + name)]


def db_ok(out, what):
    """The run database passes integrity_check; every file it lists as done is complete."""
    path = os.path.join(out, "jaforge.db")
    if not os.path.exists(path):
        return
    ok, done = db_state(path, os.path.join(work, "scratch"))
    check(ok == "ok", f"{what}: run database intact ({ok})")
    for _, outputs in done:
        for o in outputs:
            fn = os.path.basename(o)
            check(fn in src and open(os.path.join(out, fn), "rb").read() == src[fn],
                  f"{what}: {fn}, done in the run database, is complete")


def finals_ok(out, what):
    """Files under a final name are whole and identical; returns their names."""
    names = [f for f in os.listdir(out) if f in src]
    for fn in names:
        check(open(os.path.join(out, fn), "rb").read() == src[fn], f"{what}: {fn} under its final name is whole")
    return names


try:
    port = int(server.stdout.readline().split()[1])
    manifest = os.path.join(work, "m.tsv")
    with open(manifest, "w") as f:
        for fn, b in src.items():
            f.write(f"http://127.0.0.1:{port}/ok/{fn}\t{len(b)}\txxh3:{_xxh.XXH3_64bits(b, len(b)):016x}\n")

    mnt = os.path.join(work, "mnt")
    # (what, tmpfs size, transfers at once): the run database cannot be made;
    # the second file fills the disk; three files at once fill it.
    points = [("run database", 2 * PAGE, 1),
              ("second file", len(src["a.warc.gz"]) + len(src["b.warc.zst"]) // 2, 1),
              ("three at once", total * 6 // 10, 3)]
    resumed = 0
    for what, size, jobs in points:
        mount(mnt, size)
        try:
            out = os.path.join(mnt, "out")
            cmd = ["fetch", manifest, "--out", out, "--jobs", str(jobs), "--retries", "2",
                   "--retry-wait", "0.05", "-q"]
            before = {fn: len(requests_for(fn)) for fn in src}
            r = run(cmd, timeout=300)
            print(f"{what}: " + next((ln for ln in r.stderr.splitlines() if "No space" in ln), "?"), flush=True)
            check(r.returncode == 1, f"{what}: exit 1 on a full disk ({r.returncode}: {r.stderr[-400:]})")
            check("No space left on device" in r.stderr, f"{what}: the error says why ({r.stderr[-400:]})")
            check(what == "run database" or ".part" in r.stderr or "jaforge.db" in r.stderr,
                  f"{what}: the error names the file ({r.stderr[-400:]})")
            if os.path.isdir(out):
                db_ok(out, what)
                names = finals_ok(out, what)
                check(len(names) < len(src), f"{what}: the disk filled before every file was there ({names})")
            parts = {fn: os.path.getsize(os.path.join(out, fn + ".part"))
                     for fn in src if os.path.exists(os.path.join(out, fn + ".part"))}
            remount(mnt, 2 * total + (1 << 20))
            r = run(cmd, timeout=300)
            check(r.returncode == 0, f"{what}: after space is freed the same command completes ({r.stderr[-400:]})")
            check(sorted(finals_ok(out, what + ", resumed")) == sorted(src),
                  f"{what}: every file present after the resume")
            check(not [f for f in os.listdir(out) if f.endswith(".part")], f"{what}: no .part left")
            db_ok(out, what + ", resumed")
            for fn, had in parts.items():
                reqs = requests_for(fn)[before[fn]:]
                if had > 0 and reqs and reqs[-1][1].startswith("bytes="):
                    resumed += 1
        finally:
            umount(mnt)
    check(resumed >= 1, f"a download cut by the full disk resumed with a Range request ({resumed})")
    print(f"fetch disk full: {len(points)} fill points, {resumed} downloads resumed", flush=True)
finally:
    stop(server)

finish()
