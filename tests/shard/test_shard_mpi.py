"""test_shard_mpi.py JAFORGE DATA_DIR: `mpirun -n 2` and `-n 3` of `jaforge
shard` write byte-identical datasets to one rank with one thread, without
mpirun, on the real sample documents (several MiB: many chunks, so every rank
encodes some) plus documents of other sources and a file of bad lines and a
truncated stream: one PREFIX, one dataset per (lang, source) with DIR/, and
--max-tokens parts; the bad lines are reported once each, in the same order.
A failure (missing input, not a model) ends the job with an error said once,
not a hang. Exit 77: no mpirun."""
import filecmp
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import JAFORGE, check, extract_sample, finish, mpirun, read_docs, run, tmpdir  # noqa: E402

MPI = mpirun()

work = tmpdir()
ext = extract_sample(work)
ja = read_docs(os.path.join(ext, "ja", "sample.jsonl.zst"))
en = read_docs(os.path.join(ext, "en", "sample.jsonl.zst"))

corpus = os.path.join(work, "corpus.txt")
with open(corpus, "w", encoding="utf-8") as f:
    for d in ja + en:
        f.write(d["text"].replace("\n", " ") + "\n")
r = run(["tokenizer", "train", "--vocab-size", "2000", "--out", os.path.join(work, "tok"), corpus],
        timeout=600)
check(r.returncode == 0, f"tokenizer train ({r.stderr[-300:]})")
model = os.path.join(work, "tok", "tokenizer.model")


def write_zst(path, docs):
    plain = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=plain.encode(), check=True)


inp = os.path.join(work, "in")
os.makedirs(inp)
# three copies of the Japanese pages (about 13 MiB of JSON: a dozen chunks)
write_zst(os.path.join(inp, "a-ja.jsonl.zst"), [dict(d, id=f"{d['id']}-{k}") for k in range(3) for d in ja])
others = []
for i, d in enumerate(en):
    others.append(dict(d, source=("wikipedia", "mc4", "cc")[i % 3]))
write_zst(os.path.join(inp, "b-en.jsonl.zst"), others)
with open(os.path.join(inp, "c-bad.jsonl"), "wb") as f:
    f.write(json.dumps(en[0]).encode() + b"\nnot json\n" + b'{"id":"x"}\n' + json.dumps(en[1]).encode() +
            b"\n" + b'{"id":"y","text":"' + b"z" * 300000 + b'"}\n' + json.dumps(en[2]).encode() + b"\n")
packed = open(os.path.join(inp, "a-ja.jsonl.zst"), "rb").read()
with open(os.path.join(inp, "d-trunc.jsonl.zst"), "wb") as f:
    f.write(packed[:len(packed) // 3])


def shard(ranks, out, extra, threads=1):
    args = ["shard", "-j", str(threads), "--model", model, "--max-line", "200000", "--out", out] + extra + [inp]
    if ranks == 0:
        return run(args, timeout=600)
    return subprocess.run(MPI + [str(ranks), JAFORGE] + args, capture_output=True, text=True, timeout=600)


def files(out):
    if out.endswith("/"):
        return sorted(os.path.join(out, n) for n in os.listdir(out) if n.endswith((".bin", ".idx")))
    d, base = os.path.split(out)
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if n.startswith(base) and n.endswith((".bin", ".idx")))


def errors(stderr):
    return [line for line in stderr.splitlines() if line.startswith("jaforge: " + inp)]


for name, extra in (("one", []), ("groups/", []), ("parts", ["--max-tokens", "3000000"])):
    ref = os.path.join(work, "r0", name)
    os.makedirs(os.path.dirname(ref), exist_ok=True)
    r0 = shard(0, ref, extra)
    check(r0.returncode == 0, f"{name}: one rank ({r0.stderr[-300:]})")
    want = files(ref)
    check(len(want) >= 2, f"{name}: datasets written ({len(want)} files)")
    errs = errors(r0.stderr)
    kinds = ("invalid JSON", "lacks a string", "line longer than 200000", "truncated")
    check(all(any(k in e for e in errs) for k in kinds), f"{name}: the problems reported by one rank: {errs}")
    for ranks, threads in ((2, 1), (3, 2)):
        out = os.path.join(work, f"r{ranks}", name)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = shard(ranks, out, extra, threads)
        check(r.returncode == 0, f"{name}: mpirun -n {ranks} exit 0 ({r.stderr[-300:]})")
        got = files(out)
        check([os.path.basename(p) for p in got] == [os.path.basename(p) for p in want],
              f"{name}: -n {ranks} writes the same files")
        check(all(filecmp.cmp(a, b, shallow=False) for a, b in zip(want, got)),
              f"{name}: -n {ranks} -j {threads}: byte-identical to one rank")
        check(errors(r.stderr) == errs, f"{name}: -n {ranks}: the same problems, once each, in order")
check(len(files(os.path.join(work, "r0", "groups/"))) == 8, "four (lang, source) datasets")

# failures end the job, said once
r = subprocess.run(MPI + ["2", JAFORGE, "shard", "--model", model, "--out", os.path.join(work, "x"),
                          os.path.join(work, "missing.jsonl.zst")], capture_output=True, text=True,
                   timeout=120)
check(r.returncode != 0 and r.stderr.count("missing.jsonl.zst") == 1, f"missing input: {r.stderr[-400:]}")
r = subprocess.run(MPI + ["2", JAFORGE, "shard", "--model", corpus, "--out", os.path.join(work, "x"), inp],
                   capture_output=True, text=True, timeout=120)
check(r.returncode != 0 and r.stderr.count("corpus.txt") == 1, f"not a model: {r.stderr[-400:]}")
check(not any(n.startswith("x.") for n in os.listdir(work)), "nothing written after a failure")
finish()
