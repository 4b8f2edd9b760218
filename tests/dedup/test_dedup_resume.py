"""test_dedup_resume.py JAFORGE DATA_DIR: a dedup run stopped after its
signature phase (hidden test option --stop-after signatures, which acts like
a kill once phase 1 is checkpointed) resumes at clustering: the log says so,
the statistics say phase1_resumed, the outputs are byte-identical to an
uninterrupted run and the checkpoint is gone afterwards. Changed inputs,
--force or a damaged checkpoint start over (and still give right outputs).
Part-way: a run stopped after its second mid-phase checkpoint
(--stop-after checkpoint:2), and a run killed with SIGKILL once a part-way
checkpoint is on disk, go on from there (reading only the rest) and end
with the same outputs. Real documents extracted at test time from
$JF_DATA_DIR plus injected copies, and for the kill a larger corpus made by
bench/dedup/make_corpus.py from them."""
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import JAFORGE, check, extract_sample, finish, read_docs, run, tmpdir

work = tmpdir()
ext = extract_sample(work)
ja = read_docs(os.path.join(ext, "ja", "sample.jsonl.zst"))


def write_zst(path, docs):
    plain = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=plain.encode(), check=True)


inp = os.path.join(work, "in")
os.makedirs(inp)
write_zst(os.path.join(inp, "a.jsonl.zst"), ja)
big = [d for d in ja if len(d["text"]) > 3000][:30]
copies = [dict(d, id=f"exact-{i}") for i, d in enumerate(ja[:15])]
for i, d in enumerate(big):
    t = d["text"]
    w = len(t) // 60
    copies.append(dict(d, id=f"near-{i}", text=t[: len(t) // 3] + "x" * w + t[len(t) // 3 + w:]))
write_zst(os.path.join(inp, "b.jsonl.zst"), copies)
NAMES = ("a.jsonl.zst", "b.jsonl.zst", "duplicates.tsv")
STATE = os.path.join("tmp", "phase1-0-of-1", "phase1.state")
OPTS = ["--verify", "0.7", "--mem", "128K"]   # verify: shingle sets are part of the checkpoint


def stats(out):
    db = sqlite3.connect(os.path.join(out, "jaforge.db"))
    row = db.execute("select status, stats from tasks where stage='dedup'").fetchone()
    db.close()
    return row[0], json.loads(row[1]) if row[1] else {}


def same_outputs(a, b):
    return all(open(os.path.join(a, n), "rb").read() == open(os.path.join(b, n), "rb").read()
               for n in NAMES)


def comparable(st):
    return {k: v for k, v in st.items()
            if k not in ("runs_spilled", "merge_passes", "phase1_resumed", "resumed_docs", "mem_planned")}


ref = os.path.join(work, "ref")
r = run(["dedup", "-q", "--out", ref] + OPTS + [inp])
check(r.returncode == 0, f"uninterrupted run exit 0 ({r.stderr[-300:]})")
_, ref_st = stats(ref)
check(ref_st["phase1_resumed"] is False and ref_st["removed_exact"] >= 15
      and ref_st["removed_near"] >= 20, f"reference run found the copies ({ref_st})")
check(not os.path.exists(os.path.join(ref, "tmp")), "no checkpoint left after a finished run")

# resume-1: stopped after the signatures, then resumed.
out = os.path.join(work, "out")
r = run(["dedup", "--stop-after", "signatures", "--out", out] + OPTS + [inp])
check(r.returncode == 1 and "stopped after the signature phase" in r.stderr,
      f"resume-1.1: --stop-after ends the run with a failure (exit {r.returncode})")
check(os.path.exists(os.path.join(out, STATE)), "resume-1.2: phase-1 checkpoint on disk")
check(not os.path.exists(os.path.join(out, "duplicates.tsv")), "resume-1.3: no outputs yet")
check(stats(out)[0] == "failed", "resume-1.4: the task is failed in the run database")
r = run(["dedup", "--out", out] + OPTS + [inp])
check(r.returncode == 0, f"resume-1.5: resumed run exit 0 ({r.stderr[-300:]})")
check("resumed: the signature phase" in r.stderr and "dedup: signatures" not in r.stderr,
      "resume-1.6: the log shows the signature phase was not redone")
status, st = stats(out)
check(status == "done" and st["phase1_resumed"] is True, "resume-1.7: statistics say phase1_resumed")
check(comparable(st) == comparable(ref_st), "resume-1.8: statistics equal to the uninterrupted run")
check(same_outputs(ref, out), "resume-1.9: outputs byte-identical to the uninterrupted run")
check(not os.path.exists(os.path.join(out, "tmp")), "resume-1.10: checkpoint removed at the end")

# resume-2: the inputs change after the checkpoint: start over.
out2 = os.path.join(work, "out2")
r = run(["dedup", "-q", "--stop-after", "signatures", "--out", out2] + OPTS + [inp])
inp2 = os.path.join(work, "in2")
os.makedirs(inp2)
write_zst(os.path.join(inp2, "a.jsonl.zst"), ja)
write_zst(os.path.join(inp2, "b.jsonl.zst"), copies[:-5])
ref2 = os.path.join(work, "ref2")
run(["dedup", "-q", "--out", ref2] + OPTS + [inp2])
write_zst(os.path.join(inp, "b.jsonl.zst"), copies[:-5])   # same path, other content
r = run(["dedup", "--out", out2] + OPTS + [inp])
check(r.returncode == 0 and "resumed" not in r.stderr, "resume-2.1: changed inputs are not resumed")
check(same_outputs(ref2, out2), "resume-2.2: outputs of the changed inputs are right")
write_zst(os.path.join(inp, "b.jsonl.zst"), copies)

# resume-3: --force ignores a checkpoint; resume-4: a damaged checkpoint is ignored.
for label, extra, damage in (("resume-3", ["--force"], False), ("resume-4", [], True)):
    o = os.path.join(work, label)
    run(["dedup", "-q", "--stop-after", "signatures", "--out", o] + OPTS + [inp])
    if damage:
        p = os.path.join(o, STATE)
        data = open(p, "rb").read()
        open(p, "wb").write(data[: len(data) - 20])
    r = run(["dedup", "--out", o] + extra + OPTS + [inp])
    check(r.returncode == 0 and "resumed" not in r.stderr and "dedup: signatures" in r.stderr,
          f"{label}: phase 1 redone ({r.stderr[-200:]})")
    check(same_outputs(ref, o), f"{label}: outputs byte-identical")


def state_of(out):
    """(documents, complete) of a phase-1 checkpoint (dedup_state.c's header), or None."""
    try:
        head = open(os.path.join(out, STATE), "rb").read(64)
    except OSError:
        return None
    if len(head) < 64 or head[:8] != b"JFDDST02":
        return None
    return struct.unpack_from("<Q", head, 16)[0], struct.unpack_from("<I", head, 60)[0] == 1


# resume-5: stopped after its second mid-phase checkpoint (--mem 128K: one
# about every 75 documents), then resumed part-way.
o = os.path.join(work, "resume-5")
r = run(["dedup", "-q", "--stop-after", "checkpoint:2", "--out", o] + OPTS + [inp])
st5 = state_of(o)
check(r.returncode == 1 and st5 is not None and 0 < st5[0] < ref_st["docs_in"] and not st5[1],
      f"resume-5.1: stopped part-way with a checkpoint of {st5}")
r = run(["dedup", "--out", o] + OPTS + [inp])
check(r.returncode == 0 and f"signatures of {st5[0] if st5 else '?'} docs were done" in r.stderr,
      f"resume-5.2: went on from the checkpoint ({r.stderr[-300:]})")
status, st = stats(o)
check(st.get("resumed_docs") == (st5[0] if st5 else -1) and comparable(st) == comparable(ref_st),
      "resume-5.3: statistics: resumed_docs, the rest equal to the uninterrupted run")
check(same_outputs(ref, o), "resume-5.4: outputs byte-identical")

# resume-6: SIGKILL part-way through phase 1 of a larger corpus (10,000
# documents, two inputs): killed as soon as a part-way checkpoint is on disk.
big_in = os.path.join(work, "big")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
subprocess.run([sys.executable, os.path.join(ROOT, "bench", "dedup", "make_corpus.py"), big_in, "10000",
                "2", os.path.join(ext, "ja", "sample.jsonl.zst")], check=True, capture_output=True)
NAMES = ("part-0.jsonl.zst", "part-1.jsonl.zst", "duplicates.tsv")
BIG = ["--mem", "256K", "--bands", "20", "--rows", "5"]
ref6 = os.path.join(work, "ref6")
r = run(["dedup", "-q", "--out", ref6] + BIG + [big_in])
check(r.returncode == 0, f"resume-6.1: uninterrupted run of 10,000 documents ({r.stderr[-200:]})")
killed_at = None
for attempt in range(3):   # a try where phase 1 ended before the kill landed is made again
    o = os.path.join(work, f"resume-6-{attempt}")
    p = subprocess.Popen([JAFORGE, "dedup", "-q", "--out", o] + BIG + [big_in],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline and state_of(o) is None:
        time.sleep(0.002)
    p.send_signal(signal.SIGKILL)
    p.wait()
    killed_at = state_of(o)
    if killed_at and not killed_at[1]:
        break
check(killed_at is not None and not killed_at[1] and 0 < killed_at[0] < 10000,
      f"resume-6.2: killed with a part-way checkpoint on disk ({killed_at})")
r = run(["dedup", "--out", o] + BIG + [big_in])
check(r.returncode == 0 and "were done by an earlier run; going on at document" in r.stderr,
      f"resume-6.3: the killed run went on from its checkpoint ({r.stderr[-300:]})")
_, st6 = stats(o)
_, ref6_st = stats(ref6)
check(0 < st6.get("resumed_docs", 0) < 10000 and comparable(st6) == comparable(ref6_st),
      f"resume-6.4: {st6.get('resumed_docs')} documents not redone; statistics equal")
check(all(open(os.path.join(ref6, n), "rb").read() == open(os.path.join(o, n), "rb").read()
          for n in NAMES), "resume-6.5: outputs byte-identical to the uninterrupted run")
check(not os.path.exists(os.path.join(o, "tmp")), "resume-6.6: checkpoint removed at the end")
finish()
