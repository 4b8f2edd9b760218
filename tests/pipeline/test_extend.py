"""test_extend.py: the Swallow flow end to end on the sample corpus. A base
model is trained (demo recipe: a 4,000-piece tokenizer and a tiny LLaMA);
then a second recipe extends that tokenizer by Japanese pieces learned from
the corpus, shards with the extended vocabulary, and continues training from
the base checkpoint with the embedding and LM head resized (new rows = mean
of their base splits). The continued run starts from the base's loss, not
from scratch."""
import csv
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, check, finish, require_data, run, tmpdir  # noqa: E402

require_data("warc/sample.warc.gz")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
work = tmpdir()
base = os.path.join(work, "base")
r = run(["run", os.path.join(ROOT, "pipelines", "demo.conf"), "--workdir", base, "--set", f"data={DATA}",
         "--set", "train.set=train.steps=30 train.eval_interval=30 train.eval_batches=1 "
                  "train.ckpt_interval=30 train.warmup_steps=3 model.vocab_size=4000"])
check(r.returncode == 0, f"base run ({r.stderr[-300:]})")
ckpt = os.path.join(base, "train", "ckpt-30.bin")
check(os.path.exists(ckpt), "base checkpoint written")

recipe = os.path.join(work, "extend.conf")
open(recipe, "w").write(f"""[pipeline]
name = extend
[extract]
inputs = ${{DATA}}/warc/sample.warc.gz
[filter]
ja = {ROOT}/pipelines/demo-ja.ini
en = gopher-en
[dedup]
preset = swallow
[tokenizer]
base = {base}/tokenizer/tokenizer.model
add = 500
[shard]
threads = 2
[blend]
weights = ja:9 en:1
samples = 200
seq_len = 128
[train]
config = {ROOT}/pipelines/train-tiny.conf
set = train.steps=6 train.eval_interval=6 train.eval_batches=1 train.ckpt_interval=6 train.warmup_steps=1
""")
ext = os.path.join(work, "ext")
n_new = None
# the vocabulary size depends on how many pieces the corpus gives: plan, read it, then run
r = run(["run", recipe, "--workdir", ext, "--set", f"data={DATA}", "--dry-run"])
check(r.returncode == 0 and "tokenizer extend" in r.stdout, "extend recipe plans a tokenizer extension")
# The vocabulary size depends on how many pieces the corpus gives: run up to the
# tokenizer, read it, then run the rest with the resized model.
r = run(["run", recipe, "--workdir", ext, "--set", f"data={DATA}", "--until", "tokenizer"])
check(r.returncode == 0 and not os.path.exists(os.path.join(ext, "shards")), f"run --until tokenizer stops there ({r.stderr[-300:]})")
rows = [l for l in open(os.path.join(ext, "tokenizer", "new_pieces.tsv"), encoding="utf-8")
        if l.strip() and not l.startswith("#") and not l.startswith("id")]
n_new = len(rows)
check(0 < n_new <= 500, f"new pieces learned ({n_new})")
vocab = 4000 + n_new
r = run(["run", recipe, "--workdir", ext, "--set", f"data={DATA}",
         "--set", "train.set=train.steps=6 train.eval_interval=6 train.eval_batches=1 train.ckpt_interval=6 "
                  f"train.warmup_steps=1 model.vocab_size={vocab} init.checkpoint={ckpt} "
                  f"init.new_pieces={ext}/tokenizer/new_pieces.tsv"])
check(r.returncode == 0, f"extend run with continued training ({r.stderr[-400:]})")

idx = open(os.path.join(ext, "shards", "ja.idx"), "rb").read()
bin_ = open(os.path.join(ext, "shards", "ja.bin"), "rb").read()
ids = struct.unpack(f"<{len(bin_) // 2}H", bin_)
check(max(ids) >= 4000, f"the Japanese shard uses new pieces (max id {max(ids)})")
check(max(ids) < vocab, "every id is inside the extended vocabulary")

first_base = float(next(csv.DictReader(open(os.path.join(base, "train", "log.csv"))))["loss"])
cont = list(csv.DictReader(open(os.path.join(ext, "train", "log.csv"))))
check(len(cont) == 6, f"6 continued steps logged ({len(cont)})")
if cont:
    check(float(cont[0]["loss"]) < first_base - 0.5,
          f"continued training starts from the base's knowledge ({float(cont[0]['loss']):.3f} vs scratch {first_base:.3f})")
finish()
