"""test_shard_encode.py: `jaforge shard --model MODEL --out PREFIX INPUT...` on
real documents (the Japanese and English Debian pages of the sample WARC,
extracted by jaforge). Every sequence must equal what SentencePiece itself
(python3-sentencepiece, as Megatron's preprocess_data.py calls it) gives for
the document's whole text, plus </s>; decoding gives the text back; the bytes
do not depend on the number of threads. With --out DIR/ there is one dataset
per (lang, source), each holding exactly its documents in input order, and
DIR/datasets.tsv lists them; a blend by per-source weights over them works.
Bad lines (not JSON, no text, too long, a truncated stream) are reported as
FILE:OFFSET in input order and skipped."""
import filecmp
import json
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import check, extract_sample, finish, read_docs, run, tmpdir  # noqa: E402

import sentencepiece as spm  # noqa: E402

work = tmpdir()
docs_dir = extract_sample(work)
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

# ---- one dataset per (lang, source) ----
# Extra documents: other sources, `language` instead of `lang`, no lang, a
# source that needs cleaning for a file name.
extra = []
for i, d in enumerate(docs[:40]):
    e = dict(d, id=f"extra-{i}")
    if i % 4 == 0:
        e["source"] = "wikipedia"
    elif i % 4 == 1:
        e["source"] = "my src/x"
    elif i % 4 == 2:
        del e["lang"]
        e["language"] = "en"
        e["source"] = "mc4"
    else:
        del e["lang"]
    extra.append(e)
extra_path = os.path.join(work, "extra.jsonl")
with open(extra_path, "w", encoding="utf-8") as f:
    for e in extra:
        f.write(json.dumps(e, ensure_ascii=False) + "\n")
all_docs = docs + extra


def group_of(d):
    lang = d.get("lang") or d.get("language") or "und"
    src = re.sub(r"[^A-Za-z0-9.-]", "-", d.get("source") or "unknown")
    return f"{lang}_{src}"


groups = {}
for d in all_docs:
    groups.setdefault(group_of(d), []).append(d)
check(len(groups) == 6, f"six (lang, source) pairs in the input: {sorted(groups)}")
gdir = os.path.join(work, "groups")
r = run(["shard", "-j", "2", "--model", model, "--out", gdir + "/", *inputs, extra_path])
check(r.returncode == 0, f"shard --out DIR/ ({r.stderr[-300:]})")
for g, members in sorted(groups.items()):
    pre = os.path.join(gdir, g + "_text_document")
    check(os.path.exists(pre + ".bin") and os.path.exists(pre + ".idx"), f"{g}: dataset written")
    if not os.path.exists(pre + ".idx"):
        continue
    got = read_dataset(pre)
    check(got == [sp.encode(d["text"]) + [eos] for d in members],
          f"{g}: its {len(members)} documents, in input order")
rows = [line.split("\t") for line in open(os.path.join(gdir, "datasets.tsv")).read().splitlines()[1:]]
check(sorted(os.path.basename(x[0]) for x in rows) == sorted(g + "_text_document" for g in groups),
      "datasets.tsv lists every dataset")
check(all(int(x[3]) == len(groups[f"{x[1]}_{x[2]}"]) for x in rows), "datasets.tsv: document counts")
check(any(x[1] == "und" for x in rows) and any(x[2] == "my-src-x" for x in rows),
      "no lang -> und; a source is cleaned into one name")
gdir2 = os.path.join(work, "groups2")
r = run(["shard", "--by-source", "--model", model, "--out", gdir2, *inputs, extra_path])
same = all(filecmp.cmp(os.path.join(gdir, g + "_text_document" + ext),
                       os.path.join(gdir2, g + "_text_document" + ext), shallow=False)
           for g in groups for ext in (".bin", ".idx"))
check(r.returncode == 0 and same, "--by-source equals --out DIR/, and -j 1 equals -j 2")

# per-source weights over them: a blend of three sources
ja_cc, en_cc, ja_wiki = (os.path.join(gdir, g + "_text_document") for g in ("ja_cc", "en_cc", "ja_wikipedia"))
plan = os.path.join(work, "plan.json")
r = run(["blend", "--out", plan, "--samples", "3000", "--seq-len", "128", "--split", "1,0,0",
         "6", ja_cc, "3", en_cc, "1", ja_wiki])
check(r.returncode == 0 and f"--data-path 6 {ja_cc} 3 {en_cc} 1 {ja_wiki}" in r.stdout,
      f"blend by per-source weights ({r.stderr[-300:]})")
r = run(["blend", "show", plan])
counts = [0, 0, 0]
for line in r.stdout.splitlines():
    counts[int(line.split("\t")[0])] += 1
check(counts == [1800, 900, 300], f"per-source blend counts {counts}")

# --max-tokens with groups: numbered parts per group, merged back equal to the group
parts_dir = os.path.join(work, "gparts")
r = run(["shard", "--model", model, "--max-tokens", "60000", "--out", parts_dir + "/", *inputs])
ja_parts = sorted(f[:-4] for f in os.listdir(parts_dir) if f.startswith("ja_cc_") and f.endswith(".bin"))
check(r.returncode == 0 and len(ja_parts) > 1 and ja_parts[0] == "ja_cc_000_text_document",
      f"--max-tokens parts per group: {ja_parts[:3]}")
merged = os.path.join(work, "ja_merged")
r = run(["shard", "merge", "--out", merged, *[os.path.join(parts_dir, n) for n in ja_parts]])
check(r.returncode == 0 and
      read_dataset(merged) == [sp.encode(d["text"]) + [eos] for d in docs if group_of(d) == "ja_cc"],
      "the parts of a group merge back into the group")

# ---- bad lines: reported in input order with FILE:OFFSET, skipped ----
short = [d for d in docs if len(json.dumps(d, ensure_ascii=False).encode()) < 3000][:5]
lines = [json.dumps(d, ensure_ascii=False).encode() for d in short]
check(len(lines) == 5, "five short documents for the bad-lines case")
bad_lines = [lines[0], b"not json", lines[1], b'{"id":"x"}', b"", lines[2], b'{"id":"1","text":"\xff"}',
             lines[3], b'{"id":"2","text":"' + b"y" * 5000 + b'"}', lines[4]]
bad_path = os.path.join(work, "bad.jsonl")
with open(bad_path, "wb") as f:
    f.write(b"\n".join(bad_lines) + b"\n")
offsets, at = [], 0
for b in bad_lines:
    offsets.append(at)
    at += len(b) + 1
bad_out = os.path.join(work, "bad")
r = run(["shard", "--model", model, "--max-line", "4000", "--out", bad_out, bad_path])
err_lines = [x for x in r.stderr.splitlines() if x.startswith(f"jaforge: {bad_path}:")]
want = [f"{bad_path}:{offsets[1]}: invalid JSON", f"{bad_path}:{offsets[3]}: document lacks a string",
        f"{bad_path}:{offsets[6]}: invalid JSON", f"{bad_path}:{offsets[8]}: line longer than 4000 bytes"]
check(r.returncode == 0 and len(err_lines) == len(want) and
      all(e.startswith("jaforge: " + w) for e, w in zip(err_lines, want)),
      f"bad lines reported in order with their offsets: {err_lines}")
check(read_dataset(bad_out) == [sp.encode(d["text"]) + [eos] for d in short],
      "the good lines around them are written")
trunc = os.path.join(work, "trunc.jsonl.zst")
packed = open(inputs[1], "rb").read()
with open(trunc, "wb") as f:
    f.write(packed[:len(packed) // 2])
r = run(["shard", "--model", model, "--out", bad_out + "2", trunc, bad_path])
got = read_dataset(bad_out + "2")
en_docs = read_docs(inputs[1])
after = [json.loads(bad_lines[i]) for i in (0, 2, 5, 7, 8, 9)]    # no --max-line: the long one too
n_before = len(got) - len(after)
check(r.returncode == 0 and f"jaforge: {trunc}:" in r.stderr and "truncated" in r.stderr,
      f"a truncated stream is reported ({r.stderr[-200:]})")
check(0 < n_before < len(en_docs) and
      got[:n_before] == [sp.encode(d["text"]) + [eos] for d in en_docs[:n_before]] and
      got[n_before:] == [sp.encode(d["text"]) + [eos] for d in after],
      f"the documents before the damage ({n_before}), then the next input's")

r = run(["shard", "--model", os.path.join(work, "corpus.txt"), "--out", out + "x", *inputs])
check(r.returncode == 1 and "corpus.txt" in r.stderr and not os.path.exists(out + "x.bin"),
      "a file that is not a model: exit 1, nothing written")
r = run(["shard", "--model", model, *inputs])
check(r.returncode == 2, "missing --out: exit 2")
finish()
