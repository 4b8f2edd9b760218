"""test_dedup_cli.py: `jaforge dedup` on real documents extracted at test time
from the sample WARC, with a second input holding exact and edited copies.

Checks: exit 0; one output per input with the same stem; kept + removed =
input documents, ids unique; duplicates.tsv rows (id, cluster, kept id,
exact|near) point at kept documents; exact copies removed as exact; a small
--mem spills and gives byte-identical outputs; a re-run is skipped (run
database task "dedup" done, statistics stored); bad usage exits 2."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import check, extract_sample, finish, read_docs, run, tmpdir

work = tmpdir()
ext = extract_sample(work)
ja = read_docs(os.path.join(ext, "ja", "sample.jsonl.zst"))

# zz-copies.jsonl.zst: 20 exact copies (new ids) and 20 copies with 2% replaced.
copies = []
for i, d in enumerate(ja[:20]):
    copies.append(dict(d, id=f"copy-exact-{i}"))
big = [d for d in ja if len(d["text"]) > 3000][:20]
for i, d in enumerate(big):
    t = d["text"]
    w = len(t) // 50
    copies.append(dict(d, id=f"copy-near-{i}", text=t[:len(t) // 2] + "x" * w + t[len(t) // 2 + w:]))
inp = os.path.join(work, "in")
os.makedirs(inp)
plain = "\n".join(json.dumps(d, ensure_ascii=False) for d in copies) + "\n"
subprocess.run(["zstd", "-q", "-o", os.path.join(inp, "zz-copies.jsonl.zst")], input=plain.encode(), check=True)
os.link(os.path.join(ext, "ja", "sample.jsonl.zst"), os.path.join(inp, "sample.jsonl.zst"))

out = os.path.join(work, "out")
r = run(["dedup", "--out", out, inp])
check(r.returncode == 0, f"dedup exit 0 ({r.stderr[-400:]})")
check("docs in" in r.stderr and "cluster sizes" in r.stderr, "statistics printed")
kept = {name: read_docs(os.path.join(out, name)) for name in ("zz-copies.jsonl.zst", "sample.jsonl.zst")}
rows = [l.split("\t") for l in open(os.path.join(out, "duplicates.tsv"), encoding="utf-8").read().splitlines()]
n_in = len(ja) + len(copies)
n_kept = sum(len(v) for v in kept.values())
check(n_kept + len(rows) == n_in, f"kept {n_kept} + removed {len(rows)} == {n_in}")
kept_ids = {d["id"] for v in kept.values() for d in v}
check(len(kept_ids) == n_kept, "kept ids unique")
check(all(len(x) == 4 and x[2] in kept_ids and x[3] in ("exact", "near") for x in rows),
      "each duplicates.tsv row: id, cluster, kept id (a kept document), exact|near")
removed = {x[0]: x for x in rows}
check(all(f"copy-exact-{i}" in removed and removed[f"copy-exact-{i}"][3] == "exact" for i in range(20)),
      "exact copies removed as exact")
near = [removed.get(f"copy-near-{i}") for i in range(len(big))]
check(sum(1 for x in near if x and x[3] == "near") >= len(big) - 1,
      f"edited copies removed as near ({sum(1 for x in near if x)} of {len(big)})")
check(len(kept["zz-copies.jsonl.zst"]) == 0, "nothing new in the copies survives")

out2 = os.path.join(work, "out2")
r = run(["dedup", "-q", "--mem", "64K", "--out", out2, inp])
check(r.returncode == 0, f"dedup --mem 64K exit 0 ({r.stderr[-400:]})")
for name in ("zz-copies.jsonl.zst", "sample.jsonl.zst", "duplicates.tsv"):
    a = open(os.path.join(out, name), "rb").read()
    b = open(os.path.join(out2, name), "rb").read()
    check(a == b, f"{name} identical with --mem 64K")
db = sqlite3.connect(os.path.join(out2, "jaforge.db"))
st = json.loads(db.execute("select stats from tasks where stage='dedup'").fetchone()[0])
check(st["runs_spilled"] >= 2, f"--mem 64K spilled runs ({st['runs_spilled']})")
check(st["docs_in"] == n_in and st["docs_out"] == n_kept, "statistics in the run database")
check(st["groups"][0]["lang"] == "ja", "per source/lang statistics")

r = run(["dedup", "--out", out, inp])
check(r.returncode == 0 and "already done" in r.stderr, "re-run skipped")
r = run(["dedup", "-q", "--force", "--out", out, inp])
check(r.returncode == 0 and open(os.path.join(out, "duplicates.tsv"), "rb").read() ==
      open(os.path.join(out2, "duplicates.tsv"), "rb").read(), "--force redoes it, same output")

for bad in (["--out", out, "--bands", "0", inp], ["--out", out, "--keep", "oldest", inp], [inp]):
    r = run(["dedup"] + bad)
    check(r.returncode == 2, f"bad usage {bad} exits 2")
r = run(["dedup", "--help"])
check(r.returncode == 0 and "--bands" in r.stdout, "--help")
finish()
