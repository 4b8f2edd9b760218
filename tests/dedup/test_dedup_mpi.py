"""test_dedup_mpi.py JAFORGE DATA_DIR: `mpirun -n 2` (and -n 3, -n 5) of
`jaforge dedup` gives byte-identical outputs to one rank without mpirun, on
the real sample documents (extracted at test time from $JF_DATA_DIR) plus
injected exact and near duplicates spread over four inputs; also with a
small --mem (spilling, many exchange rounds), --keep longest and --verify.
With 5 ranks one rank has no input at all. Each rank reads only its share of
the inputs: the checkpoint folders of a 2-rank run hold disjoint parts that
add up to all documents. The statistics agree except the work counters
(candidates, verify_rejected, runs_spilled, merge_passes, mem_planned,
resumed_docs), which describe how the work was split. A 2-rank run stopped
after the signatures, or stopped at one rank's first part-way checkpoint
(the other rank is killed by MPI_Abort wherever it was), resumes to the same
outputs. An error under mpirun ends the job with a failure, not a hang.
Exit 77: no mpirun."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import JAFORGE, check, extract_sample, finish, mpirun, read_docs, run, tmpdir

MPI = mpirun()
WORK_COUNTERS = ("candidates", "verify_rejected", "runs_spilled", "merge_passes", "phase1_resumed",
                 "resumed_docs", "mem_planned")

work = tmpdir()
ext = extract_sample(work)
ja = read_docs(os.path.join(ext, "ja", "sample.jsonl.zst"))
en = read_docs(os.path.join(ext, "en", "sample.jsonl.zst"))


def write_zst(path, docs):
    plain = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=plain.encode(), check=True)


def edit(text, frac, at):
    """Replaces frac of text (from position at * len) with x's: a near copy."""
    w = max(1, int(len(text) * frac))
    p = int(len(text) * at)
    return text[:p] + "x" * w + text[p + w:]


# Four inputs: the real ja and en documents, and copies of them (exact,
# edited 1-3%, and edited copies of edited copies: clusters that chain),
# split in two files so that copies and originals fall to different ranks.
inp = os.path.join(work, "in")
os.makedirs(inp)
write_zst(os.path.join(inp, "a-ja.jsonl.zst"), ja)
write_zst(os.path.join(inp, "b-en.jsonl.zst"), en)
copies = []
for i, d in enumerate(ja[:30] + en[:10]):
    copies.append(dict(d, id=f"exact-{i}"))
big = [d for d in ja + en if len(d["text"]) > 3000]
for i, d in enumerate(big[:60]):
    near = edit(d["text"], 0.01 + 0.01 * (i % 3), 0.3 + 0.01 * (i % 7))
    copies.append(dict(d, id=f"near-{i}", text=near, created=f"2024-0{1 + i % 9}-01T00:00:00Z"))
    if i % 4 == 0:
        copies.append(dict(d, id=f"near2-{i}", text=edit(near, 0.01, 0.7)))
write_zst(os.path.join(inp, "c-copies.jsonl.zst"), copies[: len(copies) // 2])
write_zst(os.path.join(inp, "d-copies.jsonl.zst"), copies[len(copies) // 2:])
n_in = len(ja) + len(en) + len(copies)
names = ("a-ja.jsonl.zst", "b-en.jsonl.zst", "c-copies.jsonl.zst", "d-copies.jsonl.zst",
         "duplicates.tsv")
FACT_BYTES = 56   # one DedupFact per document in each rank's facts.bin (src/dedup/dedup_int.h)


def stats(out):
    db = sqlite3.connect(os.path.join(out, "jaforge.db"))
    st = json.loads(db.execute("select stats from tasks where stage='dedup'").fetchone()[0])
    db.close()
    return {k: v for k, v in st.items() if k not in WORK_COUNTERS}, st


def dedup(ranks, out, extra):
    args = ["dedup", "-q", "--out", out] + extra + [inp]
    if ranks == 0:
        return run(args, timeout=600)
    return subprocess.run(MPI + [str(ranks), JAFORGE] + args, capture_output=True, text=True,
                          timeout=600)


for label, extra in (("default", []), ("mem64K", ["--mem", "64K"]),
                     ("longest-verify", ["--keep", "longest", "--verify", "0.8"]),
                     ("newest-fineweb", ["--keep", "newest", "--preset", "fineweb"])):
    ref = os.path.join(work, f"{label}-1")
    r = dedup(0, ref, extra)
    check(r.returncode == 0, f"{label}: one rank exit 0 ({r.stderr[-300:]})")
    ref_st, ref_full = stats(ref)
    check(ref_st["docs_in"] == n_in, f"{label}: docs_in {ref_st['docs_in']} == {n_in}")
    check(ref_st["removed_exact"] >= 40 and ref_st["removed_near"] >= 40,
          f"{label}: injected duplicates found ({ref_st['removed_exact']} exact, "
          f"{ref_st['removed_near']} near)")
    for ranks in (2, 3, 5) if label == "default" else (2,):
        out = os.path.join(work, f"{label}-{ranks}")
        r = dedup(ranks, out, extra)
        check(r.returncode == 0, f"{label}: mpirun -n {ranks} exit 0 ({r.stderr[-400:]})")
        for name in names:
            a = open(os.path.join(ref, name), "rb").read()
            b = open(os.path.join(out, name), "rb").read() if os.path.exists(
                os.path.join(out, name)) else None
            check(a == b, f"{label}: {name} identical with {ranks} ranks")
        st, full = stats(out)
        check(st == ref_st, f"{label}: statistics equal with {ranks} ranks")
        if label == "mem64K":
            check(full["runs_spilled"] >= 2, f"{label}: spilled under MPI ({full['runs_spilled']})")

# Stopped under mpirun after the signatures, resumed with 2 ranks: same outputs.
ref = os.path.join(work, "default-1")
out = os.path.join(work, "resume-2")
r = dedup(2, out, ["--stop-after", "signatures"])
check(r.returncode != 0 and all(os.path.exists(os.path.join(out, "tmp", f"phase1-{k}-of-2", "phase1.state"))
                                for k in (0, 1)), "mpi resume: every rank checkpointed phase 1")
share = [os.path.getsize(os.path.join(out, "tmp", f"phase1-{k}-of-2", "facts.bin")) // FACT_BYTES
         for k in (0, 1)]
check(all(share) and sum(share) == n_in, f"each rank read only its share of the inputs ({share} of {n_in})")
r = subprocess.run(MPI + ["2", JAFORGE, "dedup", "--out", out, inp], capture_output=True, text=True,
                   timeout=600)
check(r.returncode == 0 and "resumed: the signature phase" in r.stderr,
      f"mpi resume: resumed ({r.stderr[-300:]})")
check(all(open(os.path.join(ref, n), "rb").read() == open(os.path.join(out, n), "rb").read()
          for n in names), "mpi resume: outputs identical to one uninterrupted rank")
check(stats(out)[1]["phase1_resumed"] is True, "mpi resume: statistics say phase1_resumed")
check(not os.path.exists(os.path.join(out, "tmp")), "mpi resume: checkpoints removed")

# Stopped at a rank's first part-way checkpoint (--mem 64K: one every ~60
# documents); MPI_Abort ends the other rank wherever it is. Resumed: same outputs.
out = os.path.join(work, "resume-part-2")
r = dedup(2, out, ["--mem", "64K", "--stop-after", "checkpoint:1"])
check(r.returncode != 0 and any(os.path.exists(os.path.join(out, "tmp", f"phase1-{k}-of-2", "phase1.state"))
                                for k in (0, 1)), "mpi part-way: stopped with a part-way checkpoint")
r = subprocess.run(MPI + ["2", JAFORGE, "dedup", "--mem", "64K", "--out", out, inp], capture_output=True,
                   text=True, timeout=600)
check(r.returncode == 0 and stats(out)[1]["resumed_docs"] > 0, f"mpi part-way: resumed ({r.stderr[-300:]})")
ref = os.path.join(work, "mem64K-1")
check(all(open(os.path.join(ref, n), "rb").read() == open(os.path.join(out, n), "rb").read()
          for n in names), "mpi part-way: outputs identical to one uninterrupted rank")

# A finished run is skipped by every rank; an error ends the job, no hang.
r = dedup(2, os.path.join(work, "default-2"), [])
check(r.returncode == 0, f"re-run under mpirun skipped, exit 0 ({r.stderr[-300:]})")
# DIR/tmp is a file: every rank fails after rank 0 said go; --out is a file:
# rank 0 fails while rank 1 waits for it. Both must end the job (MPI_Abort).
for label, out in (("work", os.path.join(work, "bad-out")), ("lead", os.path.join(work, "bad-file"))):
    os.makedirs(os.path.join(work, "bad-out"), exist_ok=True)
    open(os.path.join(work, "bad-out", "tmp"), "w").close()
    open(os.path.join(work, "bad-file"), "w").close()
    try:
        r = subprocess.run(MPI + ["2", JAFORGE, "dedup", "-q", "--out", out, inp],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode != 0 and "jaforge:" in r.stderr,
              f"{label} error under mpirun fails the job (exit {r.returncode}: {r.stderr[-200:]})")
    except subprocess.TimeoutExpired:
        check(False, f"{label} error under mpirun: hang")
finish()
