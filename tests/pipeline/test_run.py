"""test_run.py: `jaforge run pipelines/demo.conf` end to end on the sample
data (a short training run): every stage leaves its outputs, validation loss
falls for both languages, a second run skips every step, a run killed with
SIGKILL part-way and resumed gives the same bytes as an uninterrupted one,
and `jaforge status` shows the steps."""
import csv
import filecmp
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, JAFORGE, check, finish, require_data, run, tmpdir  # noqa: E402

require_data("warc/sample.warc.gz")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RECIPE = os.path.join(ROOT, "pipelines", "demo.conf")
SETS = ["--set", f"data={DATA}",
        "--set", "train.set=train.steps=12 train.eval_interval=6 train.eval_batches=2 "
                 "train.ckpt_interval=6 train.warmup_steps=2 model.vocab_size=4000"]
work = tmpdir()

# Both runs use the same work directory path (the tokenizer and the blend plan
# record their input paths), one after the other.
ref = os.path.join(work, "run")
r = run(["run", RECIPE, "--workdir", ref, *SETS])
check(r.returncode == 0, f"demo run exit 0 ({r.stderr[-500:]})")
outputs = ["filter/ja/kept/sample.jsonl.zst", "filter/en/kept/sample.jsonl.zst",
           "dedup/ja/sample.jsonl.zst", "dedup/en/sample.jsonl.zst", "tokenizer/tokenizer.model",
           "tokenizer/tokenizer.json", "shards/ja.bin", "shards/ja.idx", "shards/en.bin", "shards/en.idx",
           "blend/plan.json", "train/log.csv"]
for o in outputs:
    check(os.path.exists(os.path.join(ref, o)), f"output {o}")
# extract filters as it goes: no intermediate documents between the two
left = [f for f in os.listdir(os.path.join(ref, "extract")) if f != "jaforge.db" and not f.startswith("jaforge.db-")]
check(left == [], f"no intermediate extract output ({left})")
rows = list(csv.DictReader(open(os.path.join(ref, "train/log.csv"))))
vals = [row for row in rows if row.get("val_loss_ja") not in (None, "", "nan")]
check(len(vals) >= 2, f"validation measured at least twice ({len(vals)})")
if len(vals) >= 2:
    check(float(vals[-1]["val_loss_ja"]) < float(vals[0]["val_loss_ja"]), "Japanese validation loss falls")
    check(float(vals[-1]["val_loss_en"]) < float(vals[0]["val_loss_en"]), "English validation loss falls")

r = run(["run", RECIPE, "--workdir", ref, *SETS])
check(r.returncode == 0 and r.stderr.count("skipped") == 8, f"second run skips the 8 steps ({r.stderr[-400:]})")

r = run(["status", ref])
check(r.returncode == 0 and r.stdout.count(" run ") >= 8 and "extract+filter" in r.stdout, "status lists the steps and stages")

# SIGKILL once the tokenizer is trained, then resume.
os.rename(ref, os.path.join(work, "ref"))
killed, ref = ref, os.path.join(work, "ref")
p = subprocess.Popen([JAFORGE, "run", RECIPE, "--workdir", killed, *SETS],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
deadline = time.time() + 600
while time.time() < deadline and p.poll() is None and not os.path.exists(os.path.join(killed, "tokenizer/tokenizer.model")):
    time.sleep(0.02)
os.killpg(p.pid, signal.SIGKILL)
p.wait()
r = run(["run", RECIPE, "--workdir", killed, *SETS])
check(r.returncode == 0 and "skipped" in r.stderr, f"resumed run exit 0 and skips finished steps ({r.stderr[-300:]})")
for o in outputs[:-1]:
    a, b = os.path.join(ref, o), os.path.join(killed, o)
    check(os.path.exists(b) and filecmp.cmp(a, b, shallow=False), f"resumed {o} identical to the uninterrupted run")
la = [(x["step"], x["loss"]) for x in csv.DictReader(open(os.path.join(ref, "train/log.csv")))]
lb = [(x["step"], x["loss"]) for x in csv.DictReader(open(os.path.join(killed, "train/log.csv")))]
check(la == lb, "resumed training logs the same losses")

# The Common Crawl recipes of the seed's experiments plan the expected commands.
for recipe, add, weights, vocab in (("swallow-cc.conf", "16k", "9 ", "48000"), ("cc-50-50-32k.conf", "32k", "1 ", "64000")):
    r = run(["run", os.path.join(ROOT, "pipelines", recipe), "--workdir", os.path.join(work, "cc"),
             "--dry-run", "--set", "tokenizer.base=/base/tokenizer.model"])
    cmds = r.stdout.splitlines()
    check(r.returncode == 0 and len(cmds) == 10, f"{recipe}: 10 steps planned ({len(cmds)})")
    if len(cmds) == 10:
        check(cmds[0].startswith("jaforge fetch cc-manifest CC-MAIN-") and cmds[1].startswith("jaforge fetch -q "),
              f"{recipe}: snapshot manifest, then fetch")
        check(cmds[2].startswith("jaforge extract ") and "--filter ja=swallow-ja" in cmds[2]
              and "--filter-out" in cmds[2], f"{recipe}: extract filters Japanese as it goes ({cmds[2][:160]})")
        check(f"tokenizer extend" in cmds[5] and f"--add {add}" in cmds[5] and "/dedup/ja" in cmds[5]
              and "/dedup/en" not in cmds[5], f"{recipe}: LLaMA + {add} from the Japanese documents")
        check(f" {weights}" in cmds[8] and "--seq-len 4096" in cmds[8], f"{recipe}: mixture weights")
        check(f"model.vocab_size={vocab}" in cmds[9] and "new_pieces.tsv" in cmds[9], f"{recipe}: resized vocabulary")

# filter.stream = false keeps the extracted documents and filters in steps of its own
r = run(["run", RECIPE, "--workdir", os.path.join(work, "sep"), "--dry-run", *SETS,
         "--set", "filter.stream=false", "--set", "filter.set_ja=ja_min_chars.min=50"])
cmds = r.stdout.splitlines()
check(r.returncode == 0 and len(cmds) == 10 and "--filter" not in cmds[0], f"stream=false: 10 steps ({len(cmds)})")
check(any(c.startswith("jaforge filter ") and "--set ja_min_chars.min=50" in c for c in cmds),
      "stream=false: a filter step per language with its --set")
r = run(["run", RECIPE, "--workdir", os.path.join(work, "sep"), "--dry-run", *SETS,
         "--set", "filter.set_ja=ja_min_chars.min=50"])
check(r.returncode == 0 and "--filter-set ja:ja_min_chars.min=50" in r.stdout.splitlines()[0],
      "streaming: the recipe's --set goes to extract as --filter-set")
bad = os.path.join(work, "bad.conf")
open(bad, "w").write("[extract]\nlang = ja\n[tokenizer]\nadd = 16k\n")
r = run(["run", bad, "--workdir", os.path.join(work, "bad"), "--dry-run"])
check(r.returncode == 1 and "extract.inputs" in r.stderr, f"a recipe without inputs names the key ({r.stderr.strip()})")

r = run(["run", os.path.join(work, "missing.conf"), "--workdir", killed])
check(r.returncode == 1, "missing recipe: exit 1")
r = run(["run", RECIPE])
check(r.returncode == 2, "no --workdir: exit 2")
finish()
