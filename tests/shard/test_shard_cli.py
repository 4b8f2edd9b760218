"""test_shard_cli.py: jaforge shard from-ids / inspect / verify on datasets
made here: exact bytes for a small input, damage reported as FILE:OFFSET with
exit 1, bad ids refused without leaving files, usage errors exit 2."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import check, finish, run, tmpdir  # noqa: E402

d = tmpdir()
ids = os.path.join(d, "ids.txt")
with open(ids, "w") as f:
    f.write("1 258 3\n\n31999\n")
p = os.path.join(d, "u16")
r = run(["shard", "from-ids", "--out", p, "--vocab-size", "32000", "--eod", "2", ids])
check(r.returncode == 0, f"from-ids exit {r.returncode}: {r.stderr}")
bin_ = open(p + ".bin", "rb").read()
check(bin_ == bytes([1, 0, 2, 1, 3, 0, 2, 0, 2, 0, 0xff, 0x7c, 2, 0]), f"bin bytes {bin_.hex()}")
idx = open(p + ".idx", "rb").read()
check(idx[:9] == b"MMIDIDX\0\0" and idx[17] == 8 and len(idx) == 34 + 12 * 3 + 8 * 4, "idx header")
r = run(["shard", "verify", p])
check(r.returncode == 0 and "ok (uint16, 3 sequences, 3 documents, 7 tokens)" in r.stdout, r.stdout)
r = run(["shard", "inspect", "--top", "2", p + ".idx"])
check(r.returncode == 0 and "sequences   3" in r.stdout and "distinct ids 5" in r.stdout,
      f"inspect: {r.stdout}")
check("         2            3 " in r.stdout, "inspect top token is the EOD")
r = run(["shard", "verify", "--vocab-size", "1000", p])
check(r.returncode == 1 and "token id 31999 >= --vocab-size 1000" in r.stderr, r.stderr)

# int32 above the threshold
p32 = os.path.join(d, "i32")
r = run(["shard", "from-ids", "--out", p32, "--vocab-size", "65500", ids])
check(r.returncode == 0 and open(p32 + ".idx", "rb").read()[17] == 4, "int32 at vocab 65500")

# damage: truncated .bin, bad pointer, bad magic -> FILE:OFFSET: reason, exit 1
bad = os.path.join(d, "bad")
for name, idx_b, bin_b, where in (
        ("truncated bin", idx, bin_[:-1], "bad.bin:13:"),
        ("pointer", idx[:54] + b"\x09" + idx[55:], bin_, "bad.idx:54:"),
        ("magic", b"X" + idx[1:], bin_, "bad.idx:0:"),
        ("version", idx[:9] + b"\x02" + idx[10:], bin_, "bad.idx:9:"),
        ("counts", idx[:-8], bin_, "bad.idx:")):
    open(bad + ".idx", "wb").write(idx_b)
    open(bad + ".bin", "wb").write(bin_b)
    r = run(["shard", "verify", bad])
    check(r.returncode == 1 and where in r.stderr and r.stderr.startswith("jaforge: "),
          f"verify {name}: {r.returncode} {r.stderr}")
    r = run(["shard", "inspect", bad])
    check(r.returncode == 1 and where in r.stderr, f"inspect {name}: {r.stderr}")

# bad ids: nothing is left behind
for text, what in (("1 x 3\n", "not a token id: 'x'"), ("1 2\n3 99\n", "token id 99")):
    out = os.path.join(d, "refused")
    r = run(["shard", "from-ids", "--out", out, "--vocab-size", "50", "-"], input=text)
    check(r.returncode == 1 and what in r.stderr, f"from-ids refuses: {r.stderr}")
    check(not any(n.startswith("refused") for n in os.listdir(d)), "no files left after refusal")

# usage
check(run(["shard"]).returncode == 2, "no subcommand: exit 2")
r = run(["shard", "--model", "m", "--out", "x", os.path.join(d, "missing-input")])
check(r.returncode == 1 and "missing-input" in r.stderr, f"shard --model, missing input: {r.stderr}")
r = run(["shard", "--help"])
check(r.returncode == 0 and "--model" in r.stdout, "help shows the write form")
check(run(["shard", "from-ids", "--out", p]).returncode == 2, "from-ids without --vocab-size")
check(run(["shard", "verify", os.path.join(d, "nothing")]).returncode == 1, "verify missing")
finish()
