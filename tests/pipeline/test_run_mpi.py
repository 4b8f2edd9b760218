"""test_run_mpi.py JAFORGE DATA_DIR: `mpirun -n 2 jaforge run pipelines/demo.conf`
gives the same corpus, tokenizer, shards and blend plan, byte for byte, as
one process (extract and filter hand inputs to rank 1; dedup and shard split
their work); only rank 0 keeps a run database; the training step runs on both
ranks; a second mpirun skips every step. Exit 77: no mpirun."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, JAFORGE, check, finish, mpirun, require_data, run, tmpdir  # noqa: E402

MPI = mpirun(2)
require_data("warc/sample.warc.gz")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RECIPE = os.path.join(ROOT, "pipelines", "demo.conf")
SETS = ["--set", f"data={DATA}",
        "--set", "train.set=train.steps=4 train.eval_interval=2 train.eval_batches=1 "
                 "train.ckpt_interval=4 train.warmup_steps=1 model.vocab_size=4000"]
work = tmpdir()

# The same work directory path for both runs (the tokenizer and the blend
# plan record their input paths), one after the other.
here = os.path.join(work, "run")
r = run(["run", RECIPE, "--workdir", here, *SETS])
check(r.returncode == 0, f"one process: exit 0 ({r.stderr[-400:]})")
ref = os.path.join(work, "ref")
os.rename(here, ref)

r = subprocess.run(MPI + [JAFORGE, "run", RECIPE, "--workdir", here, *SETS], capture_output=True, text=True)
check(r.returncode == 0, f"mpirun -n 2: exit 0 ({r.stderr[-600:]})")
check("(MPI)" in r.stderr and r.stderr.count("jaforge: run: demo: done") == 1,
      "rank 0 alone reports the run")

def outputs(top):
    out = []
    for d, _, files in os.walk(top):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), top)
            if rel.split(os.sep)[0] in ("logs", "train", ".steps", "report") or "jaforge.db" in f:
                continue
            out.append(rel)
    return sorted(out)

want, got = outputs(ref), outputs(here)
check(want == got, f"the same output files ({sorted(set(want) ^ set(got))[:8]})")
for rel in want:
    a, b = os.path.join(ref, rel), os.path.join(here, rel)
    check(os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read(), f"{rel}: byte-identical")
for must in ("dedup/ja/sample.jsonl.zst", "tokenizer/tokenizer.model", "shards/ja.bin", "blend/plan.json"):
    check(must in got, f"{must} is among them")
check(os.path.exists(os.path.join(here, "train/log.csv")), "the training step ran")
for step in ("extract", "dedup-ja", "shard-ja"):
    check(os.path.exists(os.path.join(here, f"logs/{step}.rank1.out")), f"rank 1 took part in {step}")
dbs = sorted(os.path.relpath(os.path.join(d, f), here) for d, _, fs in os.walk(here) for f in fs
             if f == "jaforge.db")
want_dbs = sorted(os.path.relpath(os.path.join(d, f), ref) for d, _, fs in os.walk(ref) for f in fs
                  if f == "jaforge.db")
check(dbs == want_dbs, f"run databases only where one process keeps them ({dbs})")

r = subprocess.run(MPI + [JAFORGE, "run", RECIPE, "--workdir", here, *SETS], capture_output=True, text=True)
check(r.returncode == 0 and r.stderr.count("skipped") == 8,
      f"a second mpirun skips the 8 steps ({r.stderr[-400:]})")
finish()
