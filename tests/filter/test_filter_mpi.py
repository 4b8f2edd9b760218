"""test_filter_mpi.py JAFORGE DATA_DIR: quality filtering under mpirun gives
the bytes of one process. `jaforge filter` with -n 2 and -n 3 (rank 0 hands
inputs out and filters too, the other ranks filter with their threads) and `jaforge extract
--filter` (extraction and filtering in one pass, on every rank) with -n 2, on
the real sample documents, against one process: the same kept and rejected
files, the same statistics in the run database. Exit 77: no mpirun."""
import json
import os
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, JAFORGE, check, extract_sample, finish, mpirun, require_data, run, tmpdir  # noqa: E402
import subprocess  # noqa: E402

MPI = mpirun()
require_data("warc/sample.warc.gz", "warc/sample.warc.zst")
work = tmpdir()
ext = extract_sample(work)
inp = os.path.join(work, "in")
os.makedirs(inp)
for k in range(4):   # several inputs, so that every rank gets some
    shutil.copy(os.path.join(ext, "ja", "sample.jsonl.zst"), os.path.join(inp, f"ja{k}.jsonl.zst"))


def outputs(top):
    return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs
                  if f.endswith(".jsonl.zst"))


def same_tree(a, b, what):
    fa, fb = outputs(a), outputs(b)
    check(fa == fb and fa, f"{what}: the same files ({len(fa)})")
    for f in fa:
        same = open(os.path.join(a, f), "rb").read() == open(os.path.join(b, f), "rb").read()
        check(same, f"{what}: {f} byte-identical")


def task_stats(db, stage):
    con = sqlite3.connect(db)
    rows = {os.path.basename(p): json.loads(s) for p, s in con.execute(
        "SELECT inputs.path, tasks.stats FROM tasks JOIN inputs ON inputs.id = tasks.input_id "
        "WHERE stage = ? AND status = 'done'", (stage,))}
    con.close()
    return rows


one = os.path.join(work, "one")
r = run(["filter", "-q", "--profile", "swallow-ja", "--out", one, inp])
check(r.returncode == 0, f"filter, one process ({r.stderr[-300:]})")
ref = task_stats(os.path.join(one, "jaforge.db"), "filter")
check(len(ref) == 4, f"four filter tasks ({len(ref)})")
for n, j in ((2, 1), (3, 2)):
    out = os.path.join(work, f"mpi{n}")
    r = subprocess.run(MPI + [str(n), JAFORGE, "filter", "-q", "-j", str(j), "--profile", "swallow-ja",
                              "--out", out, inp], capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, f"filter under mpirun -n {n} ({r.stderr[-300:]})")
    same_tree(one, out, f"filter -n {n} -j {j}")
    check(task_stats(os.path.join(out, "jaforge.db"), "filter") == ref,
          f"filter -n {n}: the same statistics per input")
    check(not os.path.exists(os.path.join(out, "jaforge.db-rank1")), "one run database")

warcs = [os.path.join(DATA, "warc/sample.warc.gz"), os.path.join(DATA, "warc/sample.warc.zst")]
args = ["extract", "-q", "--filter", "ja=swallow-ja", "--filter", "en=gopher-en"]
one = os.path.join(work, "x1")
r = run(args + ["--out", os.path.join(one, "x"), "--filter-out", os.path.join(one, "f"), *warcs])
check(r.returncode == 0, f"extract --filter, one process ({r.stderr[-300:]})")
two = os.path.join(work, "x2")
r = subprocess.run(MPI + ["2", JAFORGE] + args + ["--out", os.path.join(two, "x"), "--filter-out",
                   os.path.join(two, "f"), *warcs], capture_output=True, text=True, timeout=600)
check(r.returncode == 0, f"extract --filter under mpirun -n 2 ({r.stderr[-300:]})")
same_tree(os.path.join(one, "f"), os.path.join(two, "f"), "extract --filter -n 2")
a = task_stats(os.path.join(one, "x", "jaforge.db"), "extract+filter")
b = task_stats(os.path.join(two, "x", "jaforge.db"), "extract+filter")
check(len(a) == 2 and [v["filter"] for v in a.values()] == [b[k]["filter"] for k in a],
      "extract --filter -n 2: the same filter statistics per input")
finish()
