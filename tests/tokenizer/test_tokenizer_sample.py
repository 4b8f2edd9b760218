"""test_tokenizer_sample.py JAFORGE DATA_DIR TOK_DIR: sentence sampling of `jaforge tokenizer
train` and `extend` (--input-sentence-size, --input-sentence-bytes, --no-shuffle-input-sentence,
--seed; SentencePiece's input_sentence_size / shuffle_input_sentence) on real Japanese+English
text (big.txt, about 51,000 lines, and docs.jsonl of make_tok_data.py).
Checks: a sample gives byte-identical files for -j 1 and -j 2 (plain text and documents); it
holds exactly N sentences (the printed figures); N at least the sentence count gives the
unsampled vocabulary; another seed another model, the same seed the same file; characters per
token on held-out text stay within 3% of the unsampled model's; without shuffling the model is
the one of the first N sentences, and reading stops there; the byte cap; trainer_spec records
input_sentence_size and shuffle_input_sentence, and python3-sentencepiece loads the model;
extend samples Japanese lines the same way (-j, N >= all gives the unsampled model byte for
byte); bad option values."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from jftest import check, finish, tmpdir  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbwire import message  # noqa: E402

JF, TOK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
BIG, TEST = os.path.join(TOK, "big.txt"), os.path.join(TOK, "test.txt")
DOCS, BASE = os.path.join(TOK, "docs.jsonl"), os.path.join(TOK, "llama.model")
PY = "/usr/bin/python3"


def jf(args):
    return subprocess.run([JF] + args, capture_output=True)


def train(d, name, *args, src=BIG, j="2"):
    out = os.path.join(d, name)
    r = jf(["tokenizer", "train", "-j", j, "--vocab-size", "4000", "--out", out] + list(args) +
           [src])
    check(r.returncode == 0, f"train {name}: exit {r.returncode} {r.stderr[-300:]}")
    return out, r.stderr.decode()


def files(out, names=("tokenizer.model", "tokenizer.json")):
    return [open(os.path.join(out, n), "rb").read() for n in names]


def vocab(out):
    r = subprocess.run(["spm_export_vocab", "--model=" + os.path.join(out, "tokenizer.model")],
                       capture_output=True, check=True)
    return r.stdout


def sample_line(err):
    """(kept, bytes, read) of 'sample of K sentences|Japanese lines (B bytes) of R read'."""
    m = re.search(r"sample of (\d+) (?:sentences|Japanese lines) \((\d+) bytes\) of (\d+) read",
                  err)
    return tuple(int(x) for x in m.groups()) if m else None


def trainer_spec(out):
    """(input_sentence_size, shuffle_input_sentence) of the model's trainer_spec (field 2)."""
    ts = message(message(open(os.path.join(out, "tokenizer.model"), "rb").read())[2][0])
    return ts[11][0], ts[19][0]


def chars_per_token(out):
    text = open(TEST, encoding="utf-8", errors="replace").read()
    ids = jf(["tokenizer", "encode", "--model", os.path.join(out, "tokenizer.model"), TEST]).stdout
    return sum(len(l) for l in text.split("\n")) / len(ids.split())


def population(path, max_len=4192):
    """The sentences of a plain file as the trainer counts them."""
    out = []
    for line in open(path, "rb").read().split(b"\n"):
        line = line[:-1] if line.endswith(b"\r") else line
        if line and len(line) <= max_len:
            out.append(line)
    return out


def main():
    d = tmpdir()
    sents = population(BIG)
    total = len(sents)
    check(total > 40000, f"big.txt has {total} sentences")

    # 1. a uniform sample of 20000: -j 1 = -j 2, exactly 20000 sentences, recorded in the model
    s1, e1 = train(d, "s1", "--input-sentence-size", "20000", j="1")
    s2, e2 = train(d, "s2", "--input-sentence-size", "20k", j="2")
    check(files(s1) == files(s2), "sampled training: -j 1 and -j 2 give identical files")
    st = sample_line(e2)
    print("sample:", st)
    check(st is not None and st[0] == 20000 and st[2] == total,
          f"exactly 20000 sentences sampled of {total} read ({st})")
    check(" 20000 sentences " in e2, "the summary counts the sentences used")
    check(trainer_spec(s2) == (20000, 1), f"trainer_spec: input_sentence_size 20000, shuffled "
          f"({trainer_spec(s2)})")
    py = ("import sentencepiece as s,sys\n"
          "p=s.SentencePieceProcessor(model_file=sys.argv[1])\n"
          "print(p.vocab_size(), len(p.encode('日本語のテキストです')))\n")
    pr = subprocess.run([PY, "-c", py, os.path.join(s2, "tokenizer.model")], capture_output=True)
    check(pr.returncode == 0 and pr.stdout.startswith(b"4000 "),
          f"python3-sentencepiece loads the sampled model ({pr.stdout} {pr.stderr[-200:]})")

    # 2. N >= the sentence count: the unsampled vocabulary (and tokenizer.json)
    full, ef = train(d, "full")
    check(sample_line(ef) is None, "no sample line without sampling")
    check(trainer_spec(full) == (0, 1), "unsampled trainer_spec: input_sentence_size 0")
    big, eb = train(d, "big", "--input-sentence-size", "1M")
    check(sample_line(eb) == (total, sum(map(len, sents)), total), f"all sampled ({sample_line(eb)})")
    check(vocab(big) == vocab(full) and files(big)[1] == files(full)[1],
          "N >= sentences: the vocabulary of no sampling")
    check(trainer_spec(big) == (1000000, 1), "trainer_spec records the N asked")

    # 3. seeds: another seed another model, seed 0 is the default
    s3, _ = train(d, "seed1", "--input-sentence-size", "20000", "--seed", "1")
    s4, _ = train(d, "seed0", "--input-sentence-size", "20000", "--seed", "0")
    check(vocab(s3) != vocab(s2), "another --seed, another vocabulary")
    check(files(s4) == files(s2), "--seed 0 is the default")

    # 4. compression on held-out text stays close to the unsampled model's
    cf, c2, c3 = chars_per_token(full), chars_per_token(s2), chars_per_token(s3)
    print(f"characters per token on test.txt: all {cf:.4f}, 20000 (seed 0) {c2:.4f}, "
          f"20000 (seed 1) {c3:.4f}")
    check(abs(c2 - cf) / cf < 0.03 and abs(c3 - cf) / cf < 0.03,
          "a 20000-sentence sample compresses within 3% of all 51000")
    small, _ = train(d, "small", "--input-sentence-size", "500")
    cs = chars_per_token(small)
    print(f"characters per token, 500 sentences: {cs:.4f}")
    check(cs < cf * 0.97, "a 500-sentence sample compresses worse (the check can fail)")

    # 5. the first N: the model of a file holding just those sentences; reading stops there
    first = os.path.join(d, "first.txt")
    open(first, "wb").write(b"\n".join(sents[:15000]) + b"\n")
    f1, ef1 = train(d, "first", "--input-sentence-size", "15000", "--no-shuffle-input-sentence",
                    j="1")
    f2, ef2 = train(d, "first2", "--input-sentence-size", "15000", "--no-shuffle-input-sentence")
    ref, _ = train(d, "firstref", src=first)
    check(vocab(f1) == vocab(ref) and files(f1)[1] == files(ref)[1],
          "--no-shuffle-input-sentence: the vocabulary of the first 15000 sentences")
    check(files(f1) == files(f2), "first N: -j 1 and -j 2 give identical files")
    check(sample_line(ef1) == (15000, sum(map(len, sents[:15000])), 15000),
          f"first 15000, reading stopped there ({sample_line(ef1)})")
    check(trainer_spec(f1) == (15000, 0), f"trainer_spec: not shuffled ({trainer_spec(f1)})")

    # 6. documents: the same sample for -j 1 and 2; the first N stop reading documents early
    o1, ed1 = train(d, "docs1", "--input-sentence-size", "8000", "--max-sentence-length",
                    "100000", src=DOCS, j="1")
    o2, ed2 = train(d, "docs2", "--input-sentence-size", "8000", "--max-sentence-length",
                    "100000", src=DOCS, j="2")
    check(files(o1) == files(o2) and sample_line(ed1)[0] == 8000,
          "documents: a sample of 8000 sentences, -j 1 = -j 2")
    _, ed3 = train(d, "docs3", "--input-sentence-size", "1000", "--no-shuffle-input-sentence",
                   src=DOCS)
    ndocs = int(re.search(r"(\d+) documents", ed3).group(1))
    alldocs = sum(1 for _ in open(DOCS))
    check(0 < ndocs < alldocs / 4, f"first 1000 sentences: {ndocs} of {alldocs} documents read")

    # 7. the byte cap: the sample fits in it (shuffled, with and without N)
    for extra in ([], ["--input-sentence-size", "30000"]):
        _, ec = train(d, "cap", "--input-sentence-bytes", "500K", *extra)
        st = sample_line(ec)
        check(st is not None and 400000 < st[1] <= 512000 and st[0] < 20000,
              f"--input-sentence-bytes 500K {extra}: {st}")

    # 8. extend: Japanese lines sampled; -j 1 = -j 2; N >= all = no sampling, byte for byte
    def extend(name, *args, j="2"):
        out = os.path.join(d, name)
        r = jf(["tokenizer", "extend", "-j", j, "--base", BASE, "--add", "1000", "--out", out] +
               list(args) + [BIG])
        check(r.returncode == 0, f"extend {name}: exit {r.returncode} {r.stderr[-300:]}")
        return out, r.stderr.decode()

    names = ("tokenizer.model", "tokenizer.json", "new_pieces.tsv")
    x1, ex1 = extend("x1", "--input-sentence-size", "5000", j="1")
    x2, ex2 = extend("x2", "--input-sentence-size", "5000")
    check(files(x1, names) == files(x2, names), "extend sample: -j 1 and -j 2 give identical files")
    st = sample_line(ex2)
    ja = int(re.search(r"\((\d+) Japanese\)", ex2).group(1))
    check(st is not None and st[0] == 5000 and st[2] == ja,
          f"extend: 5000 Japanese lines sampled of {ja} ({st})")
    xa, _ = extend("xall")
    xb, _ = extend("xbig", "--input-sentence-size", "10M")
    check(files(xa, names) == files(xb, names), "extend: N >= all lines gives the unsampled model")
    check(files(x2, names) != files(xa, names), "extend: a sample gives another model")

    # 9. bad values
    for opt, val in (("--input-sentence-size", "x"), ("--input-sentence-size", "5q"),
                     ("--input-sentence-bytes", "-1"), ("--seed", "abc")):
        r = jf(["tokenizer", "train", "--vocab-size", "4000", "--out", os.path.join(d, "bad"),
                opt, val, BIG])
        check(r.returncode == 2 and opt.encode() in r.stderr,
              f"train {opt} {val}: exit 2 ({r.returncode} {r.stderr[-200:]})")
    r = jf(["tokenizer", "train", "--help"])
    check(b"--input-sentence-size" in r.stdout and b"--seed" in r.stdout, "train --help")
    r = jf(["tokenizer", "extend", "--help"])
    check(b"--no-shuffle-input-sentence" in r.stdout, "extend --help")
    finish()


main()
