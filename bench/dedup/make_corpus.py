#!/usr/bin/env python3
"""make_corpus.py OUTDIR N [FILES] [SRC.jsonl.zst ...]: a synthetic corpus of
N documents made by mutating real text, for the dedup benchmark.

The sentences of the source documents (real pages extracted from the sample
WARC: `jaforge extract --out X $JF_DATA_DIR/warc/sample.warc.gz`, then
X/ja/sample.jsonl.zst X/en/sample.jsonl.zst) form a pool. A new document is
8-24 sentences drawn at random from the pool with a few characters replaced;
then, to give dedup something to find, 8% of documents are exact copies of
an earlier one (new id) and 8% near copies (about 2% of characters replaced
in one stretch). Written as FILES (default 4) zstd JSON-lines files
OUTDIR/part-K.jsonl.zst in the jaforge document format. Deterministic (seed
1). Not committed output: write it under /tmp."""
import json
import os
import random
import re
import subprocess
import sys


def sentences(paths):
    pool = []
    for p in paths:
        out = subprocess.run(["zstd", "-dcq", p], capture_output=True, check=True).stdout
        for line in out.decode("utf-8").splitlines():
            if not line:
                continue
            text = json.loads(line)["text"]
            for s in re.split(r"(?<=[。．！？.!?])\s*|\n+", text):
                s = s.strip()
                if 8 <= len(s) <= 400:
                    pool.append(s)
    return pool


def mutate(rng, text, n, alphabet):
    t = list(text)
    for _ in range(n):
        t[rng.randrange(len(t))] = rng.choice(alphabet)
    return "".join(t)


def main():
    out_dir, n = sys.argv[1], int(sys.argv[2])
    files = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    srcs = sys.argv[4:]
    pool = sentences(srcs)
    alphabet = "あいうえおかきくけこさしすせそabcdefghijklmnopqrstuvwxyz日本語文書"
    rng = random.Random(1)
    os.makedirs(out_dir, exist_ok=True)
    per = (n + files - 1) // files
    recent = []   # earlier documents that copies are made of
    made = 0
    for k in range(files):
        path = os.path.join(out_dir, f"part-{k}.jsonl.zst")
        z = subprocess.Popen(["zstd", "-q", "-f", "-1", "-o", path], stdin=subprocess.PIPE)
        for _ in range(min(per, n - made)):
            r = rng.random()
            if recent and r < 0.08:
                text = rng.choice(recent)
            elif recent and r < 0.16:
                base = rng.choice(recent)
                w = max(1, len(base) // 50)
                at = rng.randrange(max(1, len(base) - w))
                text = base[:at] + "".join(rng.choice(alphabet) for _ in range(w)) + base[at + w:]
            else:
                text = "".join(rng.choice(pool) for _ in range(rng.randint(8, 24)))
                text = mutate(rng, text, 3, alphabet)
                if len(recent) < 20000:
                    recent.append(text)
                else:
                    recent[rng.randrange(20000)] = text
            lang = "ja" if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text[:200]) else "en"
            doc = {"id": f"bench-{made}", "text": text, "lang": lang, "source": "bench",
                   "created": f"2024-{1 + made % 12:02d}-01T00:00:00Z"}
            z.stdin.write((json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8"))
            made += 1
        z.stdin.close()
        if z.wait() != 0:
            sys.exit(f"zstd failed for {path}")
    print(f"{made} documents, {len(pool)} pool sentences, in {out_dir}")


if __name__ == "__main__":
    main()
