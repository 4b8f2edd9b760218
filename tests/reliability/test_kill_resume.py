"""test_kill_resume.py: the demo recipe killed with SIGKILL at twelve points
spread over every stage, resumed after each kill, ends with outputs
byte-identical to an uninterrupted run; document counts and content hashes
show nothing lost or duplicated."""
import filecmp
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import (DEMO_OUTPUTS as OUTPUTS, DEMO_RECIPE as RECIPE, DEMO_SETS as SETS,  # noqa: E402
                    JAFORGE, check, finish, read_docs, require_data, run, tmp_files, tmpdir, train_log)

require_data("warc/sample.warc.gz")
work = tmpdir()
wd = os.path.join(work, "run")      # both runs use the same path (outputs record paths)

t0 = time.time()
r = run(["run", RECIPE, "--workdir", wd, *SETS])
total = time.time() - t0
check(r.returncode == 0, f"uninterrupted run ({r.stderr[-300:]})")
ref = os.path.join(work, "ref")
os.rename(wd, ref)

# Each try is killed after 1/16 of the uninterrupted run's time and the next
# one resumes it, so the twelve kills fall one after the other through the stages.
kills = 0
for at in [total / 16] * 12:
    p = subprocess.Popen([JAFORGE, "run", RECIPE, "--workdir", wd, *SETS],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + at
    while time.time() < deadline and p.poll() is None:
        time.sleep(0.005)
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        kills += 1
    p.wait()
check(kills >= 10, f"killed at least 10 times part-way ({kills})")
r = run(["run", RECIPE, "--workdir", wd, *SETS])
check(r.returncode == 0, f"final resume ({r.stderr[-300:]})")

for o in OUTPUTS:
    a, b = os.path.join(ref, o), os.path.join(wd, o)
    check(os.path.exists(b) and filecmp.cmp(a, b, shallow=False), f"{o} byte-identical after {kills} kills")
for lang in ("ja", "en"):
    docs = read_docs(os.path.join(wd, "dedup", lang, "sample.jsonl.zst"))
    ids = [d["id"] for d in docs]
    check(len(ids) == len(set(ids)), f"dedup/{lang}: no document twice")
    h = hashlib.sha256("".join(d["text"] for d in docs).encode()).hexdigest()
    h0 = hashlib.sha256("".join(d["text"] for d in read_docs(os.path.join(ref, "dedup", lang, "sample.jsonl.zst"))).encode()).hexdigest()
    check(h == h0, f"dedup/{lang}: same content hash as the uninterrupted run ({len(ids)} documents)")
check(train_log(os.path.join(ref, "train/log.csv")) == train_log(os.path.join(wd, "train/log.csv")),
      "training log: same steps and losses")
left = tmp_files(wd)
check(not left, f"no temporary file left ({left[:3]})")
finish()
