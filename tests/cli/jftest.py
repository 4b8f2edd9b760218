"""jftest.py: small helpers shared by the CLI tests (run a command, read
.jsonl.zst documents, check conditions with readable failures). Tests count
their checks and end with 'N passed, N failed'."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

JAFORGE = sys.argv[1]
DATA = sys.argv[2]
_passed = 0
_failed = 0


def check(cond, what):
    global _passed, _failed
    if cond:
        _passed += 1
    else:
        _failed += 1
        print(f"FAIL: {what}", flush=True)


def finish():
    print(f"{_passed} passed, {_failed} failed")
    sys.exit(1 if _failed else 0)


def require_data(*paths):
    for p in paths:
        if not os.path.exists(os.path.join(DATA, p)):
            print(f"FAIL: missing {os.path.join(DATA, p)}; make it with "
                  f"scripts/make-sample-data.sh {DATA}")
            sys.exit(1)


def run(args, **kw):
    """Runs jaforge with args; returns CompletedProcess (text mode)."""
    return subprocess.run([JAFORGE] + args, capture_output=True, text=True, **kw)


def read_docs(path):
    out = subprocess.run(["zstd", "-dcq", path], capture_output=True, check=True).stdout
    return [json.loads(line) for line in out.decode("utf-8").splitlines() if line]


def docs_by_file(docs):
    """Maps the page file name (last URL segment) to the document."""
    return {d["url"].rsplit("/", 1)[-1]: d for d in docs}


def manifest():
    rows = []
    with open(os.path.join(DATA, "site", "MANIFEST.tsv"), encoding="utf-8") as f:
        header = None
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                header = [c.lstrip("#") for c in cols]
                continue
            rows.append(dict(zip(header, cols)))
    return rows


# The demo recipe as the reliability tests run it (kill/resume, full disk):
# every stage, with a 12-step training run that checkpoints every 4 steps.
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEMO_RECIPE = os.path.join(ROOT, "pipelines", "demo.conf")
DEMO_SETS = ["--set", f"data={DATA}",
             "--set", "train.set=train.steps=12 train.eval_interval=6 train.eval_batches=2 "
                      "train.ckpt_interval=4 train.warmup_steps=2 model.vocab_size=4000"]
# Its outputs that a resumed run must reproduce byte for byte.
DEMO_OUTPUTS = ["filter/ja/kept/sample.jsonl.zst", "filter/en/kept/sample.jsonl.zst",
                "filter/ja/rejected/sample.jsonl.zst", "filter/en/rejected/sample.jsonl.zst",
                "dedup/ja/sample.jsonl.zst", "dedup/en/sample.jsonl.zst", "dedup/ja/duplicates.tsv",
                "tokenizer/tokenizer.model", "tokenizer/tokenizer.json", "shards/ja.bin",
                "shards/ja.idx", "shards/en.bin", "shards/en.idx", "blend/plan.json"]


def train_log(path):
    """(step, loss) of each row of a training log.csv (its speeds vary)."""
    return [tuple(x.split(",")[:2]) for x in open(path).read().splitlines()]


def tmp_files(d):
    """The .tmp files left under d."""
    return [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f.endswith(".tmp")]


def tmpdir():
    d = tempfile.mkdtemp(prefix="jf-cli-")
    import atexit
    atexit.register(shutil.rmtree, d, True)
    return d


def stop(proc):
    """Stops a helper process (a test server): SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def mpirun(ranks=None):
    """The mpirun command line the MPI tests start ranks with (as root, more
    ranks than cores, no binding), ending in "-n" (the caller adds the count)
    or in "-n RANKS". Exits 77 (ctest: skipped) when mpirun is not installed."""
    path = shutil.which("mpirun")
    if not path:
        print("mpirun not found: skipped")
        sys.exit(77)
    cmd = [path, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-n"]
    return cmd + [str(ranks)] if ranks else cmd


def extract_sample(work):
    """Extracts the real sample documents (DATA/warc/sample.warc.gz) into
    WORK/ext, checked; returns WORK/ext (ja/ and en/sample.jsonl.zst in it)."""
    require_data("warc/sample.warc.gz")
    ext = os.path.join(work, "ext")
    r = run(["extract", "-q", "--out", ext, os.path.join(DATA, "warc/sample.warc.gz")])
    check(r.returncode == 0, f"extract exit 0 ({r.stderr[-300:]})")
    return ext
