"""test_shard_encode.py: `jaforge shard --model MODEL --out PREFIX INPUT...` on
real documents (the Japanese and English Debian pages of the sample WARC,
extracted by jaforge). Every sequence must equal what SentencePiece itself
(python3-sentencepiece, as Megatron's preprocess_data.py calls it) gives for
the document's whole text, plus </s>; decoding gives the text back; the bytes
do not depend on the number of threads."""
import filecmp
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, check, finish, read_docs, require_data, run, tmpdir  # noqa: E402

import sentencepiece as spm  # noqa: E402

require_data("warc/sample.warc.gz")
work = tmpdir()
docs_dir = os.path.join(work, "docs")
r = run(["extract", "-q", "--out", docs_dir, os.path.join(DATA, "warc/sample.warc.gz")])
check(r.returncode == 0, f"extract ({r.stderr})")
inputs = [os.path.join(docs_dir, "ja/sample.jsonl.zst"), os.path.join(docs_dir, "en/sample.jsonl.zst")]
docs = read_docs(inputs[0]) + read_docs(inputs[1])

# A LLaMA-style model (BPE, byte fallback, identity normalizer) trained on the texts.
corpus = os.path.join(work, "corpus.txt")
with open(corpus, "w", encoding="utf-8") as f:
    for d in docs:
        f.write(d["text"] + "\n")
prefix_model = os.path.join(work, "m")
t = subprocess.run(["spm_train", f"--input={corpus}", f"--model_prefix={prefix_model}",
                    "--model_type=bpe", "--vocab_size=3000", "--byte_fallback=true",
                    "--split_digits=true", "--allow_whitespace_only_pieces=true",
                    "--normalization_rule_name=identity", "--remove_extra_whitespaces=false",
                    "--character_coverage=0.9995", "--max_sentence_length=100000",
                    "--input_sentence_size=200000", "--shuffle_input_sentence=false"],
                   capture_output=True, text=True)
check(t.returncode == 0, f"spm_train ({t.stderr[-300:]})")
model = prefix_model + ".model"
sp = spm.SentencePieceProcessor(model_file=model)


def read_dataset(prefix):
    idx = open(prefix + ".idx", "rb").read()
    binary = open(prefix + ".bin", "rb").read()
    check(idx[:9] == b"MMIDIDX\x00\x00", "magic")
    version, dtype, s, d = struct.unpack_from("<QBQQ", idx, 9)
    check(version == 1 and dtype == 8, f"version 1, uint16 for a 3000-piece vocabulary (dtype {dtype})")
    lengths = struct.unpack_from(f"<{s}i", idx, 34)
    pointers = struct.unpack_from(f"<{s}q", idx, 34 + 4 * s)
    doc_idx = struct.unpack_from(f"<{d}q", idx, 34 + 12 * s)
    check(list(doc_idx) == list(range(s + 1)), "one sequence per document")
    return [list(struct.unpack_from(f"<{n}H", binary, p)) for n, p in zip(lengths, pointers)]


out = os.path.join(work, "shard1")
r = run(["shard", "--model", model, "--out", out, *inputs])
check(r.returncode == 0, f"shard exit 0 ({r.stderr})")
seqs = read_dataset(out)
check(len(seqs) == len(docs), f"{len(docs)} documents -> {len(seqs)} sequences")
eos = sp.eos_id()
mismatch = [i for i, (d, ids) in enumerate(zip(docs, seqs)) if sp.encode(d["text"]) + [eos] != ids]
check(not mismatch, f"every sequence equals SentencePiece's encoding + </s> ({len(mismatch)} differ)")
back = [i for i, (d, ids) in enumerate(zip(docs, seqs)) if sp.decode(ids[:-1]) != d["text"]]
check(not back, f"every sequence decodes back to its document ({len(back)} differ)")
multi = sum(1 for d in docs if "\n" in d["text"])
check(multi > 100, f"documents with several lines are covered ({multi})")

out2 = os.path.join(work, "shard2")
r = run(["shard", "-j", "2", "--model", model, "--out", out2, *inputs])
check(r.returncode == 0, "shard -j 2")
check(filecmp.cmp(out + ".bin", out2 + ".bin", shallow=False) and
      filecmp.cmp(out + ".idx", out2 + ".idx", shallow=False), "-j 2 writes the same bytes")
out3 = os.path.join(work, "shard3")
r = run(["shard", "--model", model, "--out", out3, docs_dir])
check(r.returncode == 0 and len(read_dataset(out3)) == len(docs), "a folder as INPUT (en/, ja/ in sorted order)")
r = run(["shard", "verify", "--vocab-size", "3000", out])
check(r.returncode == 0, f"shard verify ({r.stderr})")

# --max-tokens splits at document boundaries; merge joins the parts back byte for byte.
parts = os.path.join(work, "parts")
r = run(["shard", "--model", model, "--max-tokens", "100000", "--out", parts, *inputs])
names = sorted(f[:-4] for f in os.listdir(work) if f.startswith("parts_") and f.endswith(".bin"))
total = sum(len(ids) for ids in seqs)
check(r.returncode == 0 and len(names) >= total // 100000, f"--max-tokens 100000 -> {len(names)} datasets")
for n in names[:-1]:
    toks = sum(len(x) for x in read_dataset(os.path.join(work, n)))
    last = read_dataset(os.path.join(work, n))[-1]
    check(toks >= 100000 and toks - len(last) < 100000, f"{n}: closed at the first document past 100000 tokens ({toks})")
merged = os.path.join(work, "merged")
r = run(["shard", "merge", "--out", merged, *[os.path.join(work, n) for n in names]])
check(r.returncode == 0 and filecmp.cmp(out + ".bin", merged + ".bin", shallow=False) and
      filecmp.cmp(out + ".idx", merged + ".idx", shallow=False), "merging the parts gives the single dataset's bytes")

# inspect decodes documents back to text with the model.
r = run(["shard", "inspect", "--model", model, "--decode", "2", out])
first = docs[0]["text"][:40]
check(r.returncode == 0 and first.split("\n")[0] in r.stdout, "inspect --decode shows the first document's text")

r = run(["shard", "--model", os.path.join(work, "corpus.txt"), "--out", out + "x", *inputs])
check(r.returncode == 1 and "corpus.txt" in r.stderr and not os.path.exists(out + "x.bin"),
      "a file that is not a model: exit 1, nothing written")
r = run(["shard", "--model", model, *inputs])
check(r.returncode == 2, "missing --out: exit 2")
finish()
