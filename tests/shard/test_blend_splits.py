"""test_blend_splits.py JAFORGE DATA_DIR: the train, valid and test blends
of `jaforge blend`, as BlendedMegatronDatasetBuilder builds them (one blend
per split, same weights and seed, each dataset's GPTDataset over its --split
range), against megatron_ref.py (numpy): the split ranges, the samples asked
of each dataset, the blend sizes, and for every blended sample the sequence
and token offset where it starts (`blend show --split S --resolve`). Also
Megatron's iteration arithmetic (--train-iters), the golden 9:1 vector in a
valid blend, a 0 part building no blend, a split with no tokens refused,
and a plan without valid/test (older) still read."""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, HERE)
from jftest import check, finish, run, tmpdir  # noqa: E402
import megatron_ref  # noqa: E402

d = tmpdir()
rng = random.Random(11)


def dataset(name, docs, vocab=32000):
    path = os.path.join(d, name + ".txt")
    lengths = []
    with open(path, "w") as f:
        for _ in range(docs):
            n = rng.randrange(0, 300)
            lengths.append(n + 1)
            f.write(" ".join(str(rng.randrange(3, vocab)) for _ in range(n)) + "\n")
    r = run(["shard", "from-ids", "--out", os.path.join(d, name), "--vocab-size", str(vocab),
             "--eod", "2", path])
    check(r.returncode == 0, f"from-ids {name}: {r.stderr}")
    return os.path.join(d, name), lengths


sets = [dataset("ja", 700), dataset("en", 450), dataset("code", 300, 70000)]
SPLIT_NAMES = ("train", "valid", "test")


def resolve(plan, split):
    r = run(["blend", "show", "--split", split, "--resolve", plan])
    check(r.returncode == 0, f"show --split {split}: {r.stderr}")
    return [tuple(int(x) for x in line.split("\t")) for line in r.stdout.splitlines()]


def reference(weights, sizes_per_split, split_text, seq_len, seed):
    """Per split: the blend size, per dataset (range, asked), and the resolved blend."""
    out = []
    w = megatron_ref.normalize(weights)
    for s, n in enumerate(sizes_per_split):
        ranges = [megatron_ref.split_ranges(split_text, len(lengths))[0][s] for _, lengths in sets]
        asked = [megatron_ref.dataset_samples(n, wi) for wi in w] if n else [0] * len(w)
        size = sum(megatron_ref.blend_share(n, wi) for wi in w)
        index = [megatron_ref.gpt_index(lengths, b, e, a, seq_len, seed) if a else None
                 for (_, lengths), (b, e), a in zip(sets, ranges, asked)]
        rows = []
        for ds, k in megatron_ref.blend(weights, size):
            g = index[ds]
            row = g["shuffle"][k]
            pos, off = g["sample"][row]
            rows.append((ds, k, g["docs"][pos], off))
        out.append({"size": size, "ranges": ranges, "asked": asked, "rows": rows,
                    "epochs": [g["epochs"] if g else 0 for g in index]})
    return out


plan = os.path.join(d, "plan.json")
for weights, split_text, seq_len, seed, sizes in (((9, 1, 0.5), "969,30,1", 64, 1234, (3000, 400, 0)),
                                                    ((0.7, 0.3, 1), "80,15,5", 33, 7, (1000, 777, 123)),
                                                    ((2, 1, 1), "1,1,1", 128, 99, (250, 5000, 40))):
    args = ["blend", "--out", plan, "--samples", str(sizes[0]), "--valid-samples", str(sizes[1]),
            "--test-samples", str(sizes[2]), "--seq-len", str(seq_len), "--seed", str(seed),
            "--split", split_text]
    for w, (pre, _) in zip(weights, sets):
        args += [str(w), pre]
    r = run(args)
    check(r.returncode == 0, f"blend {weights} {split_text}: {r.stderr}")
    p = json.load(open(plan))
    ref = reference(weights, sizes, split_text, seq_len, seed)
    for s, name in enumerate(SPLIT_NAMES):
        what = f"{weights} {split_text} {name}"
        top = p if s == 0 else p[name]
        check(top["samples"] == ref[s]["size"] and top["samples_requested"] == sizes[s],
              f"{what}: blend size {top['samples']} vs {ref[s]['size']}")
        for i, x in enumerate(p["datasets"]):
            e = x if s == 0 else x[name]
            b, end = (e["train_begin"], e["train_end"]) if s == 0 else (e["begin"], e["end"])
            check((b, end) == ref[s]["ranges"][i], f"{what}: dataset {i} range {(b, end)}")
            check(e["samples_requested"] == ref[s]["asked"][i], f"{what}: dataset {i} asked")
            check(e["epochs"] == ref[s]["epochs"][i], f"{what}: dataset {i} epochs")
        got = resolve(plan, name)
        check(got == ref[s]["rows"], f"{what}: every sample starts where Megatron's does "
              f"({sum(a != b for a, b in zip(got, ref[s]['rows']))} of {len(got)} differ)")

# Megatron's iteration arithmetic: train I*B, valid (I//E+1)*K*B, test K*B
r = run(["blend", "--out", plan, "--train-iters", "500", "--global-batch-size", "4", "--eval-interval",
         "200", "--eval-iters", "3", "--seq-len", "16", "--split", "90,5,5", "9", sets[0][0], "1", sets[1][0]])
p = json.load(open(plan))
check(r.returncode == 0 and p["samples_requested"] == 2000 and p["valid"]["samples_requested"] == 36 and
      p["test"]["samples_requested"] == 12, f"--train-iters sizes: {r.stderr}")
check("valid: 36 samples asked" in r.stdout and "test: 12 samples asked" in r.stdout, "sizes printed")
# the golden 9:1 vector holds in the valid blend too
r = run(["blend", "show", "--split", "valid", "--head", "13", plan])
check([int(x.split("\t")[0]) for x in r.stdout.splitlines()] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
      f"9:1 golden vector in the valid blend: {r.stdout}")

# a 0 part builds no blend, whatever was asked
r = run(["blend", "--out", plan, "--samples", "100", "--valid-samples", "50", "--test-samples", "50",
         "--split", "98,2,0", "--seq-len", "16", "1", sets[0][0]])
p = json.load(open(plan))
check(r.returncode == 0 and p["test"]["samples"] == 0 and p["valid"]["samples"] == 50, "--split 98,2,0: no test blend")
check(run(["blend", "show", "--split", "test", plan]).stdout == "", "show --split test: empty")

# a split asked for samples but without tokens is refused, naming it
few, _ = dataset("few", 5)
r = run(["blend", "--out", plan, "--samples", "10", "--valid-samples", "10", "--seq-len", "8", "1", few])
check(r.returncode == 1 and "valid split" in r.stderr and "no tokens" in r.stderr, f"empty valid split: {r.stderr}")
r = run(["blend", "--out", plan, "--samples", "10", "--seq-len", "8", "1", few])
check(r.returncode == 0, "without valid samples the same dataset is fine")

# a plan without valid/test (older) reads as those splits not built
r = run(["blend", "--out", plan, "--samples", "200", "--seq-len", "16", "3", sets[0][0], "1", sets[1][0]])
p = json.load(open(plan))
want = run(["blend", "show", plan]).stdout
del p["valid"], p["test"]
for x in p["datasets"]:
    del x["valid"], x["test"]
old = os.path.join(d, "old.json")
json.dump(p, open(old, "w"))
r = run(["blend", "show", old])
check(r.returncode == 0 and r.stdout == want and want, "an older plan: the same train order")
check(run(["blend", "show", "--split", "valid", old]).stdout == "", "an older plan: no valid blend")
check(run(["blend", "show", "--split", "nope", old]).returncode == 2, "--split NAME checked")
r = run(["blend", "--out", plan, "--train-iters", "5", "1", sets[0][0]])
check(r.returncode == 2 and "--global-batch-size" in r.stderr, "--train-iters needs --global-batch-size")
r = run(["blend", "--out", plan, "--samples", "5", "--tokens", "9", "1", sets[0][0]])
check(r.returncode == 2, "--samples and --tokens together: usage")
finish()
