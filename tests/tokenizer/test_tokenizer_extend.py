"""test_tokenizer_extend.py JAFORGE DATA_DIR TOK_DIR [PEERS_DIR]: `jaforge tokenizer extend`
and `tokenizer stats` on real Japanese+English text (made by make_tok_data.py), with the
LLaMA-like base model llama.model (spm_train, 4,000 pieces, byte fallback).
Extend checks: base pieces unchanged (same pieces and scores, same ids); N new pieces, none a
base piece, each with a Japanese character and closed under merges (its halves are pieces);
scores below the base's, in order; the model loads in python3-sentencepiece; spm_encode
encodes every test line as jaforge does; every line without Japanese encodes exactly as with
the base model; Japanese characters per token improve on held-out text; new_pieces.tsv equals
python3-sentencepiece's base encoding of each piece; tokenizer.json has the new ids and, when
npm @huggingface/tokenizers is installed under PEERS_DIR/node_modules, encodes every test line
as spm_encode does; presets, --strip-prefix, --pretokenize mecab (no new piece crosses a
morpheme of `mecab -Owakati`) with and without --keep-prefix; -j 1, 2 and 3 give the same
files; errors. Stats checks: figures against a count made here, --json, text sets, the SVG chart."""
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from jftest import check, finish, tmpdir  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfpeer import hf_encode  # noqa: E402

JF, TOK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
PEERS = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
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


def check_hf(what, out):
    """npm @huggingface/tokenizers loads out/tokenizer.json and gives spm_encode's ids on every
    test line but the one that spells control pieces ("<unk> <s> </s>"), which HF reads as
    special tokens and SentencePiece as text."""
    hr = hf_encode(PEERS, out, TEST, what)
    if hr is None:
        return
    check(hr.returncode == 0, f"hf-encode.mjs ran ({what}): {hr.stderr[-300:]}")
    want = spm_ids(os.path.join(out, "tokenizer.model"))
    got = hr.stdout.split(b"\n")
    lines = open(TEST, "rb").read().split(b"\n")
    skip = {i for i, l in enumerate(lines) if b"<s>" in l or b"<unk>" in l or b"</s>" in l}
    bad = [i for i in range(len(want)) if i not in skip and (i >= len(got) or want[i] != got[i])]
    check(len(want) == len(got) and not bad and len(skip) == 1,
          f"@huggingface/tokenizers = spm_encode, {what}: {len(want) - 1} lines, "
          f"{len(bad)} differ {bad[:3]}")
    print(f"@huggingface/tokenizers vs spm_encode, {what}: {len(want) - 1} lines, "
          f"{len(bad)} mismatches")


def same_files(what, dirs, names):
    """The files names in every folder of dirs are byte for byte those of dirs[0]."""
    for name in names:
        data = [open(os.path.join(x, name), "rb").read() for x in dirs]
        check(all(x == data[0] for x in data), f"{what}: {name} identical")


def check_extended(out, n_want):
    """The checks every extended model passes; returns (base vocab, vocab, spm ids, jaforge ids)."""
    model = os.path.join(out, "tokenizer.model")
    for name in ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "new_pieces.tsv"):
        check(os.path.exists(os.path.join(out, name)), f"{name} written")
    bv, ev = vocab(BASE), vocab(model)
    n_new = len(ev) - len(bv)
    check(n_new == n_want, f"{n_want} pieces added ({n_new})")
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
    check(pl[0] == str(len(ev)).encode(), f"python3-sentencepiece sees {len(ev)} pieces ({pl[0]})")
    check(pl[1] == b"0", f"new_pieces.tsv = base encoding of every piece ({pl[1]} differ)")
    check(pl[2:-1] == got[:-1][::7], "python3-sentencepiece agrees on a sample")
    rows = open(tsv, encoding="utf-8").read().split("\n")[:-1]
    check(len(rows) == n_new and rows[0].split("\t")[0] == str(len(bv)), "one row per new id")
    tj = json.load(open(os.path.join(out, "tokenizer.json"), encoding="utf-8"))
    check(tj["model"]["vocab"] == {p: i for i, (p, _) in enumerate(ev)}, "tokenizer.json ids")
    return bv, ev, want, got


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
    bv, ev, want, got = check_extended(out, 1000)
    check_hf("extended model", out)
    base_ids = spm_ids(BASE)

    # --pretokenize mecab: the same guarantees; no new piece has U+2581 (the prefix is
    # stripped) and every new piece lies inside one morpheme of `mecab -Owakati` of the text.
    mout = os.path.join(d, "mecab")
    r = jf(["tokenizer", "extend", "-q", "--base", BASE, "--add", "1000", "--out", mout,
            "--heldout-every", "10", "--pretokenize", "mecab", BIG])
    check(r.returncode == 0, f"extend --pretokenize mecab: exit {r.returncode} {r.stderr[-300:]}")
    print("mecab:", r.stdout.decode(), end="")
    check(b"new pieces used:" in r.stdout, "extend --pretokenize mecab reports")
    _, mev, _, _ = check_extended(mout, 1000)
    check_hf("extended model, MeCab pre-tokenization", mout)
    mnew = [p for p, _ in mev[len(bv):]]
    check(not any(WS in p for p in mnew), "MeCab: no new piece holds U+2581")
    with open(BIG, "rb") as f:
        wak = subprocess.run(["mecab", "-d", "/var/lib/mecab/dic/ipadic-utf8", "-Owakati",
                              "-b", "1000000"], stdin=f, capture_output=True, check=True).stdout
    inside = set()
    for m in set(wak.decode("utf-8", "replace").split()):
        if any(is_ja(c) for c in m):
            for i in range(len(m)):
                inside.update(m[i:j] for j in range(i + 2, min(len(m), i + 16) + 1))
    cross = [p for p in mnew if len(p) > 1 and p not in inside]
    scross = [p for p, _ in ev[len(bv):] if len(p.lstrip(WS)) > 1 and p.lstrip(WS) not in inside]
    print(f"new pieces crossing a MeCab morpheme: mecab {len(cross)} {cross[:5]}, "
          f"sentencepiece {len(scross)}")
    check(not cross and len(scross) > 50, "MeCab: no new piece crosses a morpheme")

    # --keep-prefix: MeCab's cuts with the U+2581 of real spaces and line starts kept; the
    # same guarantees, some new pieces start with U+2581 (never hold one elsewhere), none
    # crosses a morpheme once its U+2581 is set aside.
    kout = os.path.join(d, "keep")
    r = jf(["tokenizer", "extend", "-q", "--base", BASE, "--add", "1000", "--out", kout,
            "--heldout-every", "10", "--pretokenize", "mecab", "--keep-prefix", BIG])
    check(r.returncode == 0, f"extend --keep-prefix: exit {r.returncode} {r.stderr[-300:]}")
    print("mecab --keep-prefix:", r.stdout.decode(), end="")
    _, kev, _, _ = check_extended(kout, 1000)
    check_hf("extended model, MeCab pre-tokenization, --keep-prefix", kout)
    knew = [p for p, _ in kev[len(bv):]]
    lead = [p for p in knew if p.startswith(WS)]
    check(len(lead) > 10 and not any(WS in p[1:] for p in knew),
          f"--keep-prefix: {len(lead)} new pieces start with U+2581, none holds one elsewhere")
    kcross = [p for p in knew if len(p.lstrip(WS)) > 1 and p.lstrip(WS) not in inside]
    check(not kcross, f"--keep-prefix: no new piece crosses a morpheme ({kcross[:5]})")
    r = jf(["tokenizer", "extend", "--base", BASE, "--add", "10", "--keep-prefix",
            "--strip-prefix", "--out", os.path.join(d, "e"), BIG])
    check(r.returncode == 2, f"--keep-prefix with --strip-prefix: exit 2 ({r.returncode})")

    # -j: the words are counted on 1, 2 or 3 threads (big.txt is several 1 MiB batches);
    # the model and new_pieces.tsv are byte for byte the same, for both pre-tokenizations.
    for mode in ("sentencepiece", "mecab"):
        dirs = []
        for j in ("1", "2", "3"):
            dirs.append(os.path.join(d, f"j{mode}{j}"))
            r = jf(["tokenizer", "extend", "-q", "-j", j, "--base", BASE, "--add", "2000",
                    "--heldout-every", "0", "--pretokenize", mode, "--out", dirs[-1], BIG])
            check(r.returncode == 0, f"extend -j {j} ({mode}): exit {r.returncode}")
        same_files(f"extend -j 1/2/3, {mode}", dirs,
                   ("tokenizer.model", "tokenizer.json", "new_pieces.tsv"))

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

    # stats over two text sets (the Japanese and the other lines of test.txt), with a chart:
    # totals add up, the extended model is better on Japanese and identical elsewhere, and
    # the SVG parses as XML with one bar per model and set, its value and length the figure.
    jap, oth = os.path.join(d, "ja.txt"), os.path.join(d, "other.txt")
    with open(jap, "wb") as fj, open(oth, "wb") as fo:
        for l in open(TEST, "rb").read().split(b"\n")[:-1]:
            (fj if any(is_ja(c) for c in l.decode("utf-8", "replace")) else fo).write(l + b"\n")
    odd = os.path.join(d, "a&b<\"c\">.model")   # a name the SVG must escape
    shutil.copy(model, odd)
    svg = os.path.join(d, "chart.svg")
    r = jf(["tokenizer", "stats", "--json", "--chart", svg, "--model", BASE, "--model", odd,
            jap, oth])
    check(r.returncode == 0, f"stats --chart: exit {r.returncode} {r.stderr[-200:]}")
    js = json.loads(r.stdout)
    sets = js["sets"]
    check([x["name"] for x in sets] == [jap, oth], "stats: one set per FILE")
    check(js["lines"] == sum(x["lines"] for x in sets) and all(
        js["models"][m]["tokens"] == sum(x["models"][m]["tokens"] for x in sets) for m in (0, 1)),
        "stats: totals are the sums of the sets")
    cpt = [[x["models"][m]["chars_per_token"] for m in (0, 1)] for x in sets]
    check(cpt[0][1] > cpt[0][0] * 1.05 and sets[1]["models"][0]["tokens"] ==
          sets[1]["models"][1]["tokens"], f"stats per set: Japanese better, other same ({cpt})")
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    bars = [e for e in root.iter(ns + "rect") if e.get("class") == "bar"]
    check(len(bars) == 4 and sorted((int(b.get("data-set")), int(b.get("data-model")))
                                    for b in bars) == [(0, 0), (0, 1), (1, 0), (1, 1)],
          f"chart: a bar per model and set ({len(bars)})")
    scale = [float(b.get("width")) / float(b.get("data-value")) for b in bars]
    val = lambda b: cpt[int(b.get("data-set"))][int(b.get("data-model"))]  # noqa: E731
    check(all(abs(float(b.get("data-value")) - val(b)) < 1e-5 for b in bars) and
          max(scale) - min(scale) < 1e-3 * max(scale),
          "chart: bar values are the characters per token, lengths proportional")
    texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
    check(odd in texts and BASE[-40:] in texts, "chart: the legend names every model (escaped)")
    check(not os.path.exists(svg + ".tmp"), "chart: no .tmp left")
    r = jf(["tokenizer", "stats", "--model", BASE, "--model", model, jap, oth])
    check(r.returncode == 0 and r.stdout.count(b"chars/token") == 3 and b"all:" in r.stdout,
          "stats: a table per set, then the total")
    r = jf(["tokenizer", "stats", "--chart", os.path.join(d, "no", "dir", "c.svg"), "--model",
            BASE, jap])
    check(r.returncode == 1 and b"c.svg" in r.stderr,
          f"chart in a missing folder: exit 1 ({r.returncode})")
    r = jf(["tokenizer", "stats", TEST])
    check(r.returncode == 2, "stats without --model: exit 2")
    finish()


main()
