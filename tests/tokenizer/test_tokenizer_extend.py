"""test_tokenizer_extend.py JAFORGE DATA_DIR TOK_DIR: `jaforge tokenizer extend` and
`tokenizer stats` on real Japanese+English text (made by make_tok_data.py), with the
LLaMA-like base model llama.model (spm_train, 4,000 pieces, byte fallback).
Extend checks: base pieces unchanged (same pieces and scores, same ids); N new pieces, none a
base piece, each with a Japanese character and closed under merges (its halves are pieces);
scores below the base's, in order; the model loads in python3-sentencepiece; spm_encode
encodes every test line as jaforge does; every line without Japanese encodes exactly as with
the base model; Japanese characters per token improve on held-out text; new_pieces.tsv equals
python3-sentencepiece's base encoding of each piece; tokenizer.json has the new ids; presets,
--strip-prefix, errors. Stats checks: figures against a count made here, --json."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from jftest import check, finish, tmpdir  # noqa: E402

JF, TOK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
TEST, BIG = os.path.join(TOK, "test.txt"), os.path.join(TOK, "big.txt")
BASE = os.path.join(TOK, "llama.model")
PY = "/usr/bin/python3"
WS = "\u2581"


def jf(args):
    return subprocess.run([JF] + args, capture_output=True)


def is_ja(c):
    o = ord(c)
    return (0x3040 <= o <= 0x30FF or 0x3005 <= o <= 0x3007 or 0x31F0 <= o <= 0x31FF or
            0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or
            0x20000 <= o <= 0x3134F or 0xFF66 <= o <= 0xFF9F)


def vocab(model):
    out = subprocess.run(["spm_export_vocab", "--model=" + model], capture_output=True,
                         check=True).stdout.decode()
    return [(l.split("\t")[0], float(l.split("\t")[1])) for l in out.split("\n") if l]


def spm_ids(model, path=TEST):
    with open(path, "rb") as f:
        return subprocess.run(["spm_encode", "--model=" + model, "--output_format=id"], stdin=f,
                              capture_output=True, check=True).stdout.split(b"\n")


def main():
    d = tmpdir()
    out = os.path.join(d, "ext")
    # Learn from every page the test text does not use (big.txt); hold out every 10th line.
    r = jf(["tokenizer", "extend", "-q", "--base", BASE, "--add", "1000", "--out", out,
            "--heldout-every", "10", BIG])
    check(r.returncode == 0, f"extend: exit {r.returncode} {r.stderr[-300:]}")
    rep = r.stdout.decode()
    print(rep, end="")
    check("new pieces used:" in rep and "characters per token" in rep, "extend reports")
    model = os.path.join(out, "tokenizer.model")
    for name in ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "new_pieces.tsv"):
        check(os.path.exists(os.path.join(out, name)), f"{name} written")
    bv, ev = vocab(BASE), vocab(model)
    n_new = len(ev) - len(bv)
    check(n_new == 1000, f"1000 pieces added ({n_new})")
    check(ev[:len(bv)] == bv, "base pieces and scores unchanged, same ids")
    new = ev[len(bv):]
    base_set = {p for p, _ in bv}
    check(len({p for p, _ in new}) == n_new and not base_set & {p for p, _ in new},
          "no duplicates, no base piece repeated")
    check(all(any(is_ja(c) for c in p) for p, _ in new), "every new piece has a Japanese char")
    lo = min(s for _, s in bv if s > -1e8)
    check([s for _, s in new] == [lo - 1 - i for i in range(n_new)],
          "scores below the lowest base score, in order")
    allp = base_set | {p for p, _ in new}
    closed = all(len(p) == 1 or any(p[:k] in allp and p[k:] in allp for k in range(1, len(p)))
                 for p, _ in new)
    check(closed, "every new piece is a merge of two pieces (closed vocabulary)")
    # spm_encode and jaforge agree on every test line; lines without Japanese are unchanged.
    want = spm_ids(model)
    got = jf(["tokenizer", "encode", "--model", model, TEST]).stdout.split(b"\n")
    bad = [i for i in range(len(want)) if i >= len(got) or want[i] != got[i]]
    check(len(want) == len(got) and not bad, f"spm_encode = jaforge, extended model ({bad[:3]})")
    lines = open(TEST, "rb").read().split(b"\n")
    base_ids = spm_ids(BASE)
    other = [i for i, l in enumerate(lines[:-1])
             if not any(is_ja(c) for c in l.decode("utf-8", "replace"))]
    changed = [i for i in other if base_ids[i] != want[i]]
    check(len(other) > 1000 and not changed,
          f"{len(other)} lines without Japanese encode as with the base ({changed[:3]})")
    ja = [i for i, l in enumerate(lines[:-1]) if i not in set(other)]
    chars = sum(len(lines[i].decode("utf-8", "replace")) for i in ja)
    tb = sum(len(base_ids[i].split()) for i in ja)
    te = sum(len(want[i].split()) for i in ja)
    print(f"held-out Japanese ({len(ja)} lines): chars/token {chars / tb:.4f} -> {chars / te:.4f}")
    check(chars / te > chars / tb * 1.05, "Japanese characters per token improve by over 5%")
    # python3-sentencepiece: loads the model, agrees on a sample, and splits each new piece
    # into the base ids of new_pieces.tsv (a tab before the piece: no piece crosses it).
    tsv = os.path.join(out, "new_pieces.tsv")
    py = ("import sentencepiece as s,sys\n"
          "e=s.SentencePieceProcessor(model_file=sys.argv[1])\n"
          "b=s.SentencePieceProcessor(model_file=sys.argv[2])\n"
          "print(e.vocab_size())\n"
          "n=len(b.encode('\\t'))\n"
          "bad=0\n"
          "for l in open(sys.argv[3],encoding='utf-8'):\n"
          "  i,p,ids=l.rstrip('\\n').split('\\t')\n"
          "  bad+=e.id_to_piece(int(i))!=p or b.encode('\\t'+p)[n:]!=list(map(int,ids.split()))\n"
          "print(bad)\n"
          "for l in open(sys.argv[4],encoding='utf-8',errors='surrogateescape')"
          ".read().split('\\n')[:-1][::7]:\n"
          "  print(' '.join(map(str,e.encode(l))))\n")
    pr = subprocess.run([PY, "-c", py, model, BASE, tsv, TEST], capture_output=True)
    check(pr.returncode == 0, f"python3-sentencepiece loads the model: {pr.stderr[-300:]}")
    pl = pr.stdout.split(b"\n")
    check(pl[0] == b"5000", f"python3-sentencepiece sees 5000 pieces ({pl[0]})")
    check(pl[1] == b"0", f"new_pieces.tsv = base encoding of every piece ({pl[1]} differ)")
    check(pl[2:-1] == got[:-1][::7], "python3-sentencepiece agrees on a sample")
    rows = open(tsv, encoding="utf-8").read().split("\n")[:-1]
    check(len(rows) == n_new and rows[0].split("\t")[0] == str(len(bv)), "one row per new id")
    tj = json.load(open(os.path.join(out, "tokenizer.json"), encoding="utf-8"))
    check(tj["model"]["vocab"] == {p: i for i, (p, _) in enumerate(ev)}, "tokenizer.json ids")

    # --strip-prefix: no new piece starts with U+2581; presets parse.
    r = jf(["tokenizer", "extend", "-q", "--base", BASE, "--add", "500", "--strip-prefix",
            "--out", os.path.join(d, "strip"), BIG])
    check(r.returncode == 0, f"--strip-prefix: exit {r.returncode} {r.stderr[-200:]}")
    sv = vocab(os.path.join(d, "strip", "tokenizer.model"))[len(bv):]
    check(len(sv) == 500 and not any(WS in p for p, _ in sv), "--strip-prefix: no U+2581")
    # 16k with pairs seen 500 times or more: the text runs out of pairs, fewer pieces, said so.
    r = jf(["tokenizer", "extend", "-q", "--base", BASE, "--add", "16k", "--heldout-every", "0",
            "--min-frequency", "500",
            "--out", os.path.join(d, "k16"), BIG])
    check(r.returncode == 0 and b"ran out" in r.stdout,
          f"--add 16k on little text: fewer pieces, reported ({r.returncode} {r.stdout[-200:]})")
    # errors
    r = jf(["tokenizer", "extend", "--base", BASE, "--add", "x", "--out", d, BIG])
    check(r.returncode == 2, "--add x: exit 2")
    r = jf(["tokenizer", "extend", "--base", BASE, "--add", "10", "--out", d])
    check(r.returncode == 2, "no INPUT: exit 2")
    en = os.path.join(d, "en.txt")
    open(en, "w").write("only English text here\nand more\n")
    r = jf(["tokenizer", "extend", "--base", BASE, "--add", "10", "--out", os.path.join(d, "e"), en])
    check(r.returncode == 2 and b"Japanese" in r.stderr, f"no Japanese text: exit 2 ({r.returncode})")
    r = jf(["tokenizer", "extend", "--base", os.path.join(TOK, "plain.model"), "--add", "10",
            "--out", os.path.join(d, "e"), BIG])
    check(r.returncode == 2, f"a base that removes extra whitespace is refused ({r.returncode})")
    r = jf(["tokenizer", "extend", "--base", os.path.join(d, "missing"), "--add", "10",
            "--out", os.path.join(d, "e"), BIG])
    check(r.returncode == 1, "missing base: exit 1")

    # stats: figures against a count made here from spm_encode's output
    r = jf(["tokenizer", "stats", "--json", "--model", BASE, "--model", model, TEST])
    check(r.returncode == 0, f"stats --json: exit {r.returncode} {r.stderr[-200:]}")
    js = json.loads(r.stdout)
    text = [l for l in open(TEST, "rb").read().split(b"\n") if l]
    nchars = sum(len(l.decode("utf-8", "replace")) for l in text)
    check(js["lines"] == len(text) and js["bytes"] == sum(len(l) for l in text),
          f"stats: lines and bytes ({js['lines']}, {js['bytes']})")
    check(js["characters"] == nchars, f"stats: characters ({js['characters']} vs {nchars})")
    for m, ids in ((js["models"][0], base_ids), (js["models"][1], want)):
        toks = [int(t) for l in ids for t in l.split()]
        nbytes = sum(1 for t in toks if 3 <= t <= 258)
        check(m["tokens"] == len(toks), f"stats: tokens of {m['model']} ({m['tokens']} vs {len(toks)})")
        check(abs(m["byte_fallback_rate"] - nbytes / len(toks)) < 1e-6, "stats: byte-fallback rate")
        check(m["unknown_rate"] == 0, "stats: no <unk> with byte fallback")
    check(js["models"][1]["chars_per_token"] > js["models"][0]["chars_per_token"],
          "stats: the extended model has more characters per token")
    r = jf(["tokenizer", "stats", "--model", BASE, "--model", model, TEST])
    check(r.returncode == 0 and b"chars/token" in r.stdout and model.encode() in r.stdout,
          "stats prints a table")
    print(r.stdout.decode(), end="")
    r = jf(["tokenizer", "stats", "--model", os.path.join(TOK, "plain.model"), TEST])
    check(r.returncode == 0, "stats of a model without byte fallback")
    r = jf(["tokenizer", "stats", TEST])
    check(r.returncode == 2, "stats without --model: exit 2")
    finish()


main()
