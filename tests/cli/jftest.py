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


def tmpdir():
    d = tempfile.mkdtemp(prefix="jf-cli-")
    import atexit
    atexit.register(shutil.rmtree, d, True)
    return d
