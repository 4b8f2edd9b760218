"""test_numpy_parity.py: the C sample order (through tests/shard/mo_dump)
against numpy itself and a short transcription of Megatron's Python/C++ index
building (megatron_ref.py: blending, GPTDataset doc/sample/shuffle indices,
--split).
Usage: test_numpy_parity.py MO_DUMP"""
import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import megatron_ref  # noqa: E402

MO = sys.argv[1]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}", flush=True)


def mo(*args):
    out = subprocess.run([MO] + [str(a) for a in args], capture_output=True, text=True, check=True)
    return out.stdout.split("\n")[:-1]


# ---- numpy RandomState(seed).permutation / shuffle, bounded draws ----
for seed in (0, 1, 1234, 42, 2**32 - 1):
    for n in (1, 2, 3, 255, 256, 257, 1000, 65535, 65536, 65537, 100003):
        want = np.random.RandomState(seed).permutation(n)
        got = np.array([int(x) for x in mo("perm", seed, n)])
        check(np.array_equal(want, got), f"permutation seed={seed} n={n}")
# shuffle of an int32 array (GPTDataset's doc index dtype) draws the same
a = np.arange(5000, dtype=np.int32)
np.random.RandomState(7).shuffle(a)
check(np.array_equal(a, [int(x) for x in mo("perm", 7, 5000)]), "shuffle of int32 array")
# bounded draws, 32-bit and 64-bit paths: randint(0, max + 1) is numpy's masked
# rejection sampler, the same as the shuffle's random_interval
for seed, mx in ((3, 5), (3, 2**31), (9, 2**32 - 1), (9, 2**32), (11, 2**40 + 12345),
                 (5, 2**63 + 7)):
    want = np.random.RandomState(seed).randint(0, mx + 1, size=200, dtype=np.uint64)
    got = [int(x) for x in mo("interval", seed, mx, 200)]
    check([int(v) for v in want] == got, f"bounded draws seed={seed} max={mx}")


# ---- weights, shares, blending (helpers.cpp build_blending_indices) ----
def blend_ref(weights, size):
    return [f"{d} {k}" for d, k in megatron_ref.blend(weights, size)]


for weights, n in (([9, 1], 2000), ([0.7, 0.3], 2000), ([2, 1, 1], 999),
                   ([0.123, 4.56, 7.89, 0.001], 3000), ([1] * 9, 1000),
                   ([(i * 7919) % 97 + 0.5 for i in range(20)], 2000)):
    check(mo("blend", n, *weights) == blend_ref(weights, n), f"blend {weights[:4]} n={n}")
    w = np.array(weights, dtype=np.float64)
    w = (w / np.sum(w)).tolist()
    rows = mo("weights", 1234567, *weights)
    for i, wi in enumerate(w):
        share = math.ceil(1234567 * wi)
        want = f"{wi!r} {share} {math.ceil(math.ceil(1234567 * wi) * 1.005)}"
        got = rows[i].split()
        check(float(got[0]) == wi and " ".join(got[1:]) == want.split(" ", 1)[1],
              f"weights {weights[:4]} #{i}: {rows[i]} != {want}")


# ---- --split (megatron/core: normalized, round(sum(split[:i]) * S)) ----
def split_ref(text, size):
    return [f"{b} {e}" for b, e in megatron_ref.split_ranges(text, size)[0]]


for text in ("969,30,1", "98,2,0", "1,1,1", "949,50,1", "1/1", "0.7,0.2,0.1"):
    for size in (1, 2, 3, 5, 7, 1000, 12345, 987654321):
        check(mo("split", text, size) == split_ref(text, size), f"split {text} S={size}")


# ---- GPTDataset (_build_index_mappings, old Megatron / Megatron core) ----
def gpt_ref(sizes, begin, end, num_samples, seq_len, seed):
    g = megatron_ref.gpt_index(sizes, begin, end, num_samples, seq_len, seed)
    out = [f"epochs {g['epochs']}", f"separate {int(g['separate'])}"]
    out += [f"doc {d}" for d in g["docs"]]
    out += [f"sample {p} {o}" for p, o in g["sample"]]
    out += [f"shuffle {s}" for s in g["shuffle"]]
    return out


lengths = [(i * 7919) % 300 + 1 for i in range(400)]
seen_separate = set()
for seed, seq_len, num_samples, begin, end in ((1234, 8, 4, 0, 5), (1234, 64, 100, 0, 400),
                                                (1234, 128, 2000, 10, 390),
                                                (7, 2048, 200, 0, 400), (7, 100, 590, 0, 400),
                                                (99, 33, 12000, 0, 300), (5, 256, 640, 3, 350)):
    sizes = [4, 6, 8, 10, 12] if end == 5 else lengths
    want = gpt_ref(sizes, begin, end, num_samples, seq_len, seed)
    got = mo("gpt", seed, seq_len, num_samples, begin, end, *sizes)
    seen_separate.add(want[1])
    check(got == want, f"gpt seed={seed} seq_len={seq_len} n={num_samples} [{begin},{end})")
check(seen_separate == {"separate 0", "separate 1"}, "cases cover both last-epoch rules")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
