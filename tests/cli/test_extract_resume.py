"""test_extract_resume.py: a killed `jaforge extract` never leaves an output
that looks complete, and running it again finishes the work with outputs
byte-identical to an uninterrupted run (made on two threads); a finished run
is skipped; an input whose content changed is redone."""
import filecmp
import gzip
import os
import shutil
import signal
import subprocess
import time

from jftest import DATA, JAFORGE, check, finish, require_data, run, tmpdir

require_data("warc/sample.warc.gz")
work = tmpdir()
inputs = os.path.join(work, "in")
os.makedirs(inputs)
for i in range(12):
    shutil.copy(os.path.join(DATA, "warc/sample.warc.gz"), os.path.join(inputs, f"part{i:02d}.warc.gz"))


def finals(out):
    return sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out)
                  for f in fs if f.endswith(".jsonl.zst"))


# Uninterrupted reference run, on two threads: the outputs must not depend on it.
ref = os.path.join(work, "ref")
r = run(["extract", "-q", "--threads", "2", "--out", ref, inputs])
check(r.returncode == 0, f"reference run exit 0 ({r.stderr})")
check(len(finals(ref)) == 24, f"24 outputs (12 inputs x ja,en), got {len(finals(ref))}")

# Killed run: SIGKILL once the first input is committed.
out = os.path.join(work, "killed")
p = subprocess.Popen([JAFORGE, "extract", "-q", "--out", out, inputs],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 120
while time.time() < deadline and p.poll() is None and len(finals(out)) < 2:
    time.sleep(0.01)
p.send_signal(signal.SIGKILL)
p.wait()
done_before = finals(out)
check(0 < len(done_before) < 24, f"killed part-way ({len(done_before)} outputs final)")
for f in done_before:
    check(filecmp.cmp(os.path.join(out, f), os.path.join(ref, f), shallow=False),
          f"killed run: final output {f} is complete and identical")

r = run(["extract", "--out", out, inputs])
check(r.returncode == 0, f"resume exit 0 ({r.stderr[-300:]})")
check("skipped" in r.stderr, "resume reports skipped inputs")
check(finals(out) == finals(ref), "resume: same set of outputs")
check(all(filecmp.cmp(os.path.join(out, f), os.path.join(ref, f), shallow=False) for f in finals(ref)),
      "resume: every output byte-identical to the uninterrupted run")
check(not [f for _, _, fs in os.walk(out) for f in fs if f.endswith(".tmp")], "resume: no temporary files left")

# A finished run is skipped entirely: nothing rewritten.
mtimes = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in finals(out)}
r = run(["extract", "--out", out, inputs])
check(r.returncode == 0 and "0 input(s) done, 12 skipped" in r.stderr, f"second run skips all: {r.stderr}")
check(all(os.stat(os.path.join(out, f)).st_mtime_ns == m for f, m in mtimes.items()), "nothing rewritten")

# Changed content is noticed and redone.
with open(os.path.join(inputs, "part03.warc.gz"), "ab") as f:
    f.write(gzip.compress(b"WARC/1.0\r\nWARC-Type: metadata\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
                          b"WARC-Date: 2026-01-01T00:00:00Z\r\nContent-Length: 0\r\n\r\n\r\n\r\n"))
r = run(["extract", "--out", out, inputs])
check(r.returncode == 0 and "1 input(s) done, 11 skipped" in r.stderr, f"changed input redone: {r.stderr}")

# --force redoes everything.
r = run(["extract", "--force", "--out", out, inputs])
check(r.returncode == 0 and "12 input(s) done, 0 skipped" in r.stderr, f"--force redoes all: {r.stderr}")
finish()
