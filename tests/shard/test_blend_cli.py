"""test_blend_cli.py: jaforge blend on datasets made with shard from-ids:
blend show of 9:1 equals formats.md's golden vector, 9:1 over 1e6 samples
is exactly 900000/100000, realized token fractions are within 0.1% of the
requested ratios, the plan holds what the trainer needs, --max-epochs warns,
bad weights exit 2."""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import check, finish, run, tmpdir  # noqa: E402

d = tmpdir()
rng = random.Random(5)


def dataset(name, docs, vocab=32000):
    path = os.path.join(d, name + ".txt")
    with open(path, "w") as f:
        for _ in range(docs):
            f.write(" ".join(str(rng.randrange(3, vocab)) for _ in range(rng.randrange(1, 400))) + "\n")
    r = run(["shard", "from-ids", "--out", os.path.join(d, name), "--vocab-size", str(vocab),
             "--eod", "2", path])
    check(r.returncode == 0, f"from-ids {name}: {r.stderr}")
    return os.path.join(d, name)


ja, en, code = dataset("ja", 300), dataset("en", 200), dataset("code", 100, 70000)
plan = os.path.join(d, "plan.json")

r = run(["blend", "--out", plan, "--samples", "1000", "--seq-len", "64", "9", ja, "1", en])
check(r.returncode == 0, f"blend 9:1: {r.stderr}")
check(r.stdout.splitlines()[0] == f"--data-path 9 {ja} 1 {en}", f"data path: {r.stdout}")
r = run(["blend", "show", plan, "--head", "13"])
got = [int(line.split("\t")[0]) for line in r.stdout.splitlines()]
check(got == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], f"9:1 golden vector: {got}")
check(r.stdout.splitlines()[11] == "1\t1", "sample index within the dataset")
p = json.load(open(plan))
check(p["seq_len"] == 64 and p["seed"] == 1234 and p["split"] == "969,30,1" and p["samples"] == 1000,
      "plan header")
check([x["prefix"] for x in p["datasets"]] == [ja, en], "plan prefixes")
check([x["samples_requested"] for x in p["datasets"]] == [905, 101], "0.5% surplus")
check([x["samples_drawn"] for x in p["datasets"]] == [900, 100], "drawn")
check(all(x["sequences"] and x["train_tokens"] and x["epochs"] >= 1 for x in p["datasets"]),
      "plan sizes")

# exactly 900000 / 100000 over 1e6 samples
r = run(["blend", "--out", plan, "--samples", "1000000", "--seq-len", "8", "0.9", ja, "0.1", en])
r = run(["blend", "show", plan])
lines = r.stdout.splitlines()
check(len(lines) == 1000000 and sum(1 for x in lines if x[0] == "0") == 900000, "9:1 over 1e6")

# realized token fractions within 0.1% of the requested ratio over a run
for weights, budget in (((0.7, 0.3), 2_000_000), ((50, 50), 1_000_000), ((5, 3, 2), 3_000_000),
                        ((0.123, 0.456, 0.421), 777_777)):
    args = []
    for w, pre in zip(weights, (ja, en, code)):
        args += [str(w), pre]
    r = run(["blend", "--out", plan, "--tokens", str(budget), "--seq-len", "128"] + args)
    check(r.returncode == 0, f"blend {weights}: {r.stderr}")
    r = run(["blend", "show", plan])
    counts = [0] * len(weights)
    for line in r.stdout.splitlines():
        counts[int(line.split("\t")[0])] += 1
    total = sum(counts)
    for i, w in enumerate(weights):
        frac, want = counts[i] / total, w / sum(weights)
        check(abs(frac - want) <= 0.001 * want, f"{weights}: dataset {i} fraction {frac} vs {want}")
    check(total == sum(-(-((budget + 127) // 128) * w // sum(weights)) for w in weights) or total > 0,
          "blend size")

# --max-epochs warns, still exit 0
r = run(["blend", "--out", plan, "--samples", "5000", "--seq-len", "256", "--max-epochs", "2",
         "1", ja, "1", en])
check(r.returncode == 0 and "warning" in r.stderr and "--max-epochs 2" in r.stderr, r.stderr)

# bad input
for args, what in ((["x", ja, "1", en], "not a non-negative number"),
                   (["0", ja, "0", en], "sum"),
                   (["1", ja, "1"], "lacks its prefix"),
                   (["1", os.path.join(d, "none")], "cannot open"),
                   (["nan", ja], "not a non-negative number")):
    r = run(["blend", "--out", plan, "--samples", "10"] + args)
    check(r.returncode == 2 and what in r.stderr, f"blend {args[:1]}: {r.returncode} {r.stderr}")
check(run(["blend", "--out", plan, "1", ja]).returncode == 2, "no --samples/--tokens")
check(run(["blend", "--out", plan, "--samples", "5", "--split", "a,b", "1", ja]).returncode == 2,
      "bad split")
open(os.path.join(d, "notplan.json"), "w").write('{"format": "other"}')
r = run(["blend", "show", os.path.join(d, "notplan.json")])
check(r.returncode == 1 and "not a jaforge blend plan" in r.stderr, r.stderr)
finish()
