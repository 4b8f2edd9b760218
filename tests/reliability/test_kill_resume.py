"""test_kill_resume.py: the demo recipe killed with SIGKILL at twelve points or
more, twice or more inside every step that lasts 0.3 s or more (extract with
its filters, dedup, tokenizer, shards, training), resumed after each kill, ends with outputs
byte-identical to an uninterrupted run; document counts and content hashes
show nothing lost or duplicated."""
import filecmp
import hashlib
import json
import os
import shutil
import signal
import sqlite3
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

def step_rows(db):
    """(step name, status, started, duration) of a run database's steps, in order."""
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(db, timeout=5)
    try:
        rows = con.execute("SELECT inputs.path, tasks.status, tasks.started, tasks.duration_s FROM tasks "
                           "JOIN inputs ON inputs.id = tasks.input_id WHERE stage = 'run' ORDER BY tasks.id").fetchall()
    except sqlite3.Error:
        rows = []
    con.close()
    return [(os.path.basename(p)[:-len(".args")], st, t0 or 0, d or 0) for p, st, t0, d in rows]


def running_since(t_try):
    """The step of this try running now (or at the kill), else None."""
    for name, st, started, _ in step_rows(os.path.join(wd, "jaforge.db")):
        if st == "running" and started >= t_try:
            return name
    return None


def logged_step():
    """The last training step in WORKDIR/train/log.csv (0 when none)."""
    try:
        rows = open(os.path.join(wd, "train", "log.csv")).read().splitlines()
        return max([int(r.split(",")[0]) for r in rows if r[:1].isdigit()] or [0])
    except (OSError, ValueError):
        return 0


def try_once(step, delay=0.05, train_step=None):
    """One try, killed part-way through step: delay seconds after it begins, or
    once training has logged train_step. @return the step it was killed in, or
    None when the run ended first."""
    t_try = time.time()
    p = subprocess.Popen([JAFORGE, "run", RECIPE, "--workdir", wd, *SETS],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = t_try + 300
    while p.poll() is None and time.time() < deadline and running_since(t_try) != step:
        time.sleep(0.003)
    if train_step is None:
        deadline = time.time() + delay
    while p.poll() is None and time.time() < deadline and (train_step is None or logged_step() < train_step):
        time.sleep(0.003)
    if p.poll() is not None:
        return None
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    return running_since(t_try)


# Kills inside every step that lasts long enough to be caught, each try
# resuming the one before (a killed step runs again from its start or its
# checkpoint, so the next kill falls inside it too). Delays are absolute and
# short, because a machine's load changes how long a step takes; training,
# which resumes from its last checkpoint (every 4 of its 12 steps), is killed
# once it has logged step 2, 6, 9, 10 and 11 (each try gets further, and the
# last three resume from the same checkpoint).
ref_time = {name: d for name, _, _, d in step_rows(os.path.join(ref, "jaforge.db"))}
long_steps = [n for n, d in ref_time.items() if d >= 0.15]
must = [n for n in long_steps if ref_time[n] >= 0.3]   # the shorter ones are tried, not required
killed_in = []
for step in long_steps:
    plan = [(None, n) for n in (2, 6, 9, 10, 11)] if step == "train" else \
        [(d, None) for d in ((0.02, 0.15, 0.35) if step == "extract" else (0.02, 0.06))]
    for delay, train_step in plan:
        if killed_in and killed_in[-1] != step and killed_in[-1] in long_steps[long_steps.index(step):]:
            break          # the last kill fell in a later step: this one is done
        killed_in.append(try_once(step, delay=delay, train_step=train_step) or "?")
kills = len([k for k in killed_in if k != "?"])
missed = [s for s in must if s not in killed_in]
check(not missed, f"killed inside every step longer than 0.3 s ({', '.join(must)}; missed {missed})")
print(f"kills: {killed_in}")
check(kills >= 10, f"killed at least 10 times part-way ({kills}: {killed_in})")
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
