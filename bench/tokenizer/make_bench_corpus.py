"""make_bench_corpus.py JAFORGE DATA_DIR OUTDIR: the larger training corpus of the
tokenizer training benchmark (bench_train.sh), built from the sample data only:
  - every Japanese and English document `jaforge extract` gets from
    DATA_DIR/warc/sample.warc.gz (one line of a document's text per line),
  - the text of every HTML page of the Japanese and English Debian documentation
    packages under DATA_DIR/pkgs (debian-reference, developers-reference, maint-guide,
    gimp-help-ja, namazu2, edict's docs; the zh-cn reference is left out).
vim-runtime's help files are left out: 9 MB of English would make the corpus 92% non-Japanese.
Writes OUTDIR/train.txt (all lines but every 20th) and OUTDIR/heldout.txt (every 20th
line), and prints their sizes. Sources are read in sorted order: the output depends
only on the data. Does nothing when both files exist."""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "tokenizer"))
import make_tok_data  # noqa: E402  (the tests' page-to-text parser)

JF, DATA, OUT = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]


class Text(make_tok_data.Text):
    BREAK = make_tok_data.Text.BREAK + ("h4",)


def clean(text):
    for line in text.split("\n"):
        line = line.replace("\t", " ").replace("\r", "").replace("\x00", "").rstrip()
        if line.strip():
            yield line


def warc_lines():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([JF, "extract", "-q", "--out", d,
                        os.path.join(DATA, "warc", "sample.warc.gz")], check=True)
        for path in sorted(glob.glob(os.path.join(d, "*", "*.jsonl.zst"))):
            out = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
            for row in out.decode("utf-8").split("\n"):
                if row:
                    yield from clean(json.loads(row)["text"])


def html_lines():
    for path in sorted(glob.glob(os.path.join(DATA, "pkgs", "*", "**", "*.html"), recursive=True)):
        if "zh-cn" in path:
            continue
        p = Text()
        with open(path, encoding="utf-8", errors="replace") as f:
            p.feed(f.read())
        yield from clean("".join(p.parts))


def main():
    train, held = os.path.join(OUT, "train.txt"), os.path.join(OUT, "heldout.txt")
    if os.path.exists(train) and os.path.exists(held):
        return
    os.makedirs(OUT, exist_ok=True)
    n = 0
    with open(train + ".tmp", "w", encoding="utf-8") as ft, \
         open(held + ".tmp", "w", encoding="utf-8") as fh:
        for src in (warc_lines(), html_lines()):
            for line in src:
                n += 1
                (fh if n % 20 == 0 else ft).write(line + "\n")
    os.rename(train + ".tmp", train)
    os.rename(held + ".tmp", held)
    for p in (train, held):
        print(f"{p}: {os.path.getsize(p) / 1e6:.1f} MB")


main()
