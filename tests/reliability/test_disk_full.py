"""test_disk_full.py: a run whose writes fail for lack of space (the file-size
limit RLIMIT_FSIZE, which makes write() fail with EFBIG as a full disk fails
with ENOSPC) ends with a clear error and leaves no output that looks
complete; once space is back, running again completes, with the same bytes
as a run that never failed."""
import filecmp
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, JAFORGE, check, finish, require_data, run, tmpdir

require_data("warc/sample.warc.gz")
work = tmpdir()
inp = os.path.join(DATA, "warc/sample.warc.gz")


def limited():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # fail the write, do not kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))


ref = os.path.join(work, "ref")
r = run(["extract", "-q", "--out", ref, inp])
check(r.returncode == 0, "reference extract")

for name, args in (("extract", ["extract", "-q", "--out", "{o}", inp]),):
    out = os.path.join(work, name)
    p = subprocess.run([JAFORGE] + [a.replace("{o}", out) for a in args], capture_output=True,
                       text=True, preexec_fn=limited)
    check(p.returncode == 1, f"{name}: exit 1 when the disk is full ({p.returncode})")
    check("jaforge:" in p.stderr and ("write" in p.stderr or "flush" in p.stderr or "File too large" in p.stderr),
          f"{name}: a clear error ({p.stderr.strip()[:200]})")
    finals = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs if f.endswith(".jsonl.zst")]
    check(not finals, f"{name}: no output under its final name ({finals})")
    r = run([a.replace("{o}", out) for a in args])
    check(r.returncode == 0, f"{name}: resumed once there is space ({r.stderr[-200:]})")
    for lang in ("ja", "en"):
        f = f"{lang}/sample.jsonl.zst"
        check(filecmp.cmp(os.path.join(ref, f), os.path.join(out, f), shallow=False), f"{name}: {f} as if it never failed")
finish()
