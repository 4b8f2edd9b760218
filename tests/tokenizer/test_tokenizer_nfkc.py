"""test_tokenizer_nfkc.py JAFORGE DATA_DIR TOK_DIR [PEERS_DIR]: `jaforge tokenizer encode`
with SentencePiece models whose normalizer has a precompiled charsmap (spm_train's default
nmt_nfkc, and nfkc, nmt_nfkc_cf, nfkc_cf), trained here by Debian's spm_train (BPE, byte
fallback, split digits) on the real Japanese+English corpus of make_tok_data.py; also with
user-defined symbols and whitespace as suffix, with extra whitespace kept, and with rules of
a TSV file (--normalization_rule_tsv); and an identity model that removes extra whitespace
(for export-hf's whitespace rules alone).
Text: the held-out test lines, the same lines rewritten into what NFKC folds back
(full-width ASCII, half-width katakana, circled digits, ligatures, compatibility kanji,
extra spaces, tabs, control characters), and hand-made hard lines (invalid UTF-8, NUL,
lines that normalize to nothing). jaforge's ids and pieces must equal spm_encode's on every
line, its decoding spm_decode's. export-hf writes the charsmap as a Precompiled normalizer
(base64 of the model's bytes); when npm @huggingface/tokenizers is installed under
PEERS_DIR/node_modules it must give spm_encode's ids on every line it can (tokenizers.js
approximates the charsmap by NFKC and fixed nmt rules: lines it cannot match are listed).
Damaged charsmaps (sizes, root, offsets, values, strings, random flips) must give a clear
error (exit 1), never a crash."""
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfpeer import hf_encode  # noqa: E402
from pbwire import fields  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from jftest import check, finish, tmpdir  # noqa: E402

JF, TOK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
PEERS = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
TEST, CORPUS = os.path.join(TOK, "test.txt"), os.path.join(TOK, "corpus.txt")


def jf(args, **kw):
    return subprocess.run([JF] + args, capture_output=True, **kw)


def spm(prog, model, flag, path):
    with open(path, "rb") as f:
        return subprocess.run([prog, "--model=" + model, flag], stdin=f, capture_output=True,
                              check=True).stdout


def compare(what, want, got, skip=()):
    w, g = want.split(b"\n"), got.split(b"\n")
    bad = [i for i in range(min(len(w), len(g))) if w[i] != g[i] and i not in skip]
    check(len(w) == len(g), f"{what}: {len(g)} lines, spm has {len(w)}")
    check(not bad, f"{what}: {len(bad)} lines differ, first line {bad[0] + 1 if bad else 0}: "
          f"spm {w[bad[0]][:120] if bad else b''} jaforge {g[bad[0]][:120] if bad else b''}")
    print(f"{what}: {len(w) - 1} lines compared, {len(bad)} mismatches")
    return bad


# ---- the text ----

HW = {}   # full-width katakana -> half-width (with ﾞ/ﾟ for voiced ones)
for cp in range(0xFF61, 0xFFA0):
    full = unicodedata.normalize("NFKC", chr(cp))
    if len(full) == 1:
        HW.setdefault(full, chr(cp))
for cp in range(0x30A0, 0x3100):
    d = unicodedata.normalize("NFD", chr(cp))
    if len(d) == 2 and d[0] in HW and d[1] in "\u3099\u309a":
        HW[chr(cp)] = HW[d[0]] + ("\uff9e" if d[1] == "\u3099" else "\uff9f")
COMPAT = {}   # kanji -> a compatibility ideograph that NFKC maps to it
for cp in list(range(0xF900, 0xFB00)) + list(range(0x2F00, 0x2FD6)):
    n = unicodedata.normalize("NFKC", chr(cp))
    if len(n) == 1 and n != chr(cp):
        COMPAT.setdefault(n, chr(cp))
CIRCLED = {str(d): chr(0x2460 + d - 1) for d in range(1, 10)}
CIRCLED["0"] = "\u24ea"
LIGATURES = (("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"),
             ("fl", "\ufb02"), ("kg", "\u338f"), ("km", "\u339e"), ("No", "\u2116"))


def full_width(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


def half_width(s):
    return "".join(HW.get(c, c) for c in s)


def compat(s):
    for a, b in LIGATURES:
        s = s.replace(a, b)
    return "".join(COMPAT.get(c, CIRCLED.get(c, c)) for c in s)


def messy(s, rnd):
    """Spaces doubled, tabs and odd white space, control characters, leading/trailing runs."""
    ws = [" ", "  ", "\t", "\u3000", "\u00a0", " \t ", "\u2003", "   "]
    out = []
    for c in s:
        if c == " ":
            c = rnd.choice(ws)
        elif rnd.random() < 0.02:
            c += rnd.choice(["\x01", "\x7f", "\u200b", "\ufeff", "\x1b", "\u0085", "\x0b"])
        out.append(c)
    return rnd.choice(ws) + "".join(out) + rnd.choice(ws)


HARD = [
    "ＡＢＣ　ｄｅｆ！？　１２３４５", "ｱｲｳｴｵ ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟﾌﾟ ｳﾞ ｰ｡｢｣､･", "①②③⑳㉑㊿ ⑴⒈ ⓐⒶ",
    "ﬁﬂﬀﬃ ﬅ Ĳ ǅ ǈ", "豈更車賈 ⼀⼁ ㍻㍼㌔㌘ ㈱㈲ ㎏㎡ ℃№™℡", "か\u3099き\u3099 A\u030a e\u0301 \u212b Å",
    "multiple    spaces   here", "   leading spaces", "trailing spaces   ", "\ttab\tseparated\t",
    "\t\t", "ctrl\x01\x02\x03chars\x7f\x1b[0m end", "\x01", "   \x01   ",
    "zero\u200bwidth\ufeffbom\u2060joiner", "nbsp\u00a0em\u2003ideo\u3000ls\u2028ps\u2029nel\u0085",
    "\u2581literal\u2581marks\u2581", "x\u2581 \u2581y", "repl\ufffdchar", "½ ¼ x²³ H₂O ㏂ ㏘",
    "ß ẞ İ ı ς Σ ΐ ǰ ŉ Straße ΣΑΣ ΑΒΓ Ωmega", "❤️ 👨\u200d👩\u200d👧 🇯🇵",
    "Ｈｅｌｌｏ，　Ｗｏｒｌｄ．　ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／", "全角英数ＡＢＣと半角ｶﾀｶﾅの混在テキスト。",
    "\u3000\u3000全角空白で始まる", "終わりが全角空白\u3000\u3000", "a \u200b b", " \u00a0 x \u00a0 ",
    "ﾟﾞ", "ﾞ", "\u3099\u309a", "한국어 \u1100\u1161\u11a8 ㄱㅏ", "\u0410\u0306 й", "…‥ ・ ～〜 ー ｰ",
    "\r carriage\rreturn", "\x0b vt \x0c ff", "ﷺ ﷻ ﷽", "<mask>ユーザーＡＢ <mask>  x", "ＡＢ ＡＢ　ｶﾞｶﾞ",
    "ＡＢＣ１２３ｱｲｳ①ﬁ豈　" * 300, "ｶﾞ" * 2000,
]
BAD_BYTES = [b"bad\xffbyte", b"\xc3 cut", b"over\xc0\xaflong", b"sur\xed\xa0\x80rogate",
             b"\xf4\x90\x80\x80 big", b"\xe3\x81 trunc3", b"\xef\xbc", b"ok\xe2\x96",
             b"\x80\x80\x80", b"\xff\xfe  \xff", b"mix \xef\xbc\xa1\xff\xef\xbd\xb1",
             b"a\x00b \xef\xbc\xa1\x00"]


def make_text(d):
    rnd = random.Random(7)
    real = [l for l in open(TEST, "rb").read().decode("utf-8").split("\n")[:-1]
            if l.strip() and len(l) < 2000]
    sample = real[::3]
    lines = list(real)
    lines += [full_width(l) for l in sample]
    lines += [half_width(l) for l in sample]
    lines += [compat(l) for l in sample]
    lines += [messy(l, rnd) for l in sample]
    lines += [half_width(full_width(compat(l))) for l in sample[::5]]
    lines += HARD
    data = b"\n".join(l.encode() for l in lines) + b"\n" + b"\n".join(BAD_BYTES) + b"\n"
    path = os.path.join(d, "text.txt")
    open(path, "wb").write(data)
    changed = sum(unicodedata.normalize("NFKC", l) != l for l in lines)
    check(changed > 2000, f"{changed} lines of the text change under NFKC")
    return path, data.count(b"\n")


# ---- models ----

COMMON = ["--input=" + CORPUS, "--model_type=bpe", "--character_coverage=0.9995",
          "--num_threads=2", "--minloglevel=2", "--max_sentence_length=100000"]
MODELS = {   # name: extra spm_train flags (no --normalization_rule_name: nmt_nfkc)
    "nmt": ["--vocab_size=3000", "--byte_fallback=true", "--split_digits=true"],
    "nfkc": ["--vocab_size=3000", "--byte_fallback=true", "--split_digits=true",
             "--normalization_rule_name=nfkc"],
    "nmt_cf": ["--vocab_size=2000", "--normalization_rule_name=nmt_nfkc_cf"],
    "nfkc_cf": ["--vocab_size=2000", "--byte_fallback=true", "--normalization_rule_name=nfkc_cf"],
    "user": ["--vocab_size=2000", "--byte_fallback=true", "--treat_whitespace_as_suffix=true",
             "--user_defined_symbols=<mask>,ユーザー,ＡＢ,ｶﾞ"],
    "keep": ["--vocab_size=2000", "--byte_fallback=true", "--normalization_rule_name=nfkc",
             "--remove_extra_whitespaces=false", "--add_dummy_prefix=false"],
    "keep_nmt": ["--vocab_size=2000", "--byte_fallback=true", "--split_digits=true",
                 "--remove_extra_whitespaces=false"],
    "rules": ["--vocab_size=2000", "--byte_fallback=true"],   # + --normalization_rule_tsv
    # no charsmap, but extra whitespace removed: export-hf's regular expressions alone
    "ident_rm": ["--vocab_size=2000", "--byte_fallback=true", "--normalization_rule_name=identity"],
}
# Hand-written rules (spm_train --normalization_rule_tsv): keys that prefix each other (ｶ,
# ｶﾞ; ＡＢ), deletions, replacements with spaces (collapsed with the text's), a rule that
# grows 3 bytes into 33.
RULES = ["%X\t%X" % (cp, cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)] + [
    "FF21 FF22\t41 20 20 42", "3000\t20", "9\t20", "2003\t20 20", "FF76 FF9E\t30AC",
    "FF76\t30AB", "FF9E\t3099", "2460\t31", "FB01\t66 69", "1\t", "7F\t", "200B\t",
    "FDFA\t635 644 649 20 627 644 644 647 20 639 644 64A 647 20 648 633 644 645"]


def charsmap_span(raw):
    """(name, start, end) of NormalizerSpec.name and precompiled_charsmap in a model file."""
    name, span = None, None
    for f, a, b in fields(raw, 0, len(raw)):
        if f == 3:
            for g, c, e in fields(raw, a, b):
                if g == 1:
                    name = raw[c:e].decode()
                elif g == 2:
                    span = (c, e)
    return name, span


def main():
    d = tmpdir()
    text, n_lines = make_text(d)
    check(n_lines > 12000, f"{n_lines} lines of text")
    models = {}
    tsv = os.path.join(d, "rules.tsv")
    open(tsv, "w").write("\n".join(RULES) + "\n")
    MODELS["rules"].append("--normalization_rule_tsv=" + tsv)
    for name, flags in MODELS.items():
        prefix = os.path.join(d, name)
        subprocess.run(["spm_train"] + COMMON + flags + ["--model_prefix=" + prefix], check=True,
                       capture_output=True)
        models[name] = prefix + ".model"
    want_rule = {"nmt": "nmt_nfkc", "nfkc": "nfkc", "nmt_cf": "nmt_nfkc_cf", "nfkc_cf": "nfkc_cf",
                 "user": "nmt_nfkc", "keep": "nfkc", "keep_nmt": "nmt_nfkc",
                 "rules": "user_defined", "ident_rm": "identity"}
    for name, path in models.items():
        rule, span = charsmap_span(open(path, "rb").read())
        size = span[1] - span[0] if span else 0
        least = {"rules": 1000, "ident_rm": -1}.get(name, 100000)
        check(rule == want_rule[name] and size > least,
              f"{name}: normalizer {rule} with a charsmap of {size} bytes")

    # 1. encode: ids and pieces as spm_encode, on every line, one and two threads
    for name, model in models.items():
        for fmt in ("id", "piece"):
            want = spm("spm_encode", model, "--output_format=" + fmt, text)
            for threads in (("1", "2") if fmt == "id" else ("1",)):
                r = jf(["tokenizer", "encode", "--model", model, "--output-format", fmt,
                        "-j", threads, text])
                check(r.returncode == 0, f"encode {name} {fmt}: exit {r.returncode} "
                      f"{r.stderr[-300:]}")
                compare(f"encode {name} {fmt} -j{threads}", want, r.stdout)
    # the normalizer did something: full-width text encodes as its ASCII form
    nmt = models["nmt"]
    src = os.path.join(d, "fw.txt")
    open(src, "w", encoding="utf-8").write("Ｄｅｂｉａｎ　ｐａｃｋａｇｅ\nDebian package\n")
    ids = jf(["tokenizer", "encode", "--model", nmt, src]).stdout.split(b"\n")
    check(ids[0] == ids[1] and ids[0], f"full-width and ASCII encode alike ({ids[:2]})")

    # 2. decode: spm_decode's text for spm_encode's ids
    for name in ("nmt", "user", "keep"):
        ids_path = os.path.join(d, name + ".ids")
        open(ids_path, "wb").write(spm("spm_encode", models[name], "--output_format=id", text))
        want = spm("spm_decode", models[name], "--input_format=id", ids_path)
        r = jf(["tokenizer", "decode", "--model", models[name], ids_path])
        check(r.returncode == 0, f"decode {name}: exit {r.returncode}")
        compare(f"decode {name}", want, r.stdout)

    # 3. export-hf: the charsmap as a Precompiled normalizer; tokenizers.js when installed
    for name in ("nmt", "keep_nmt", "ident_rm"):
        out = os.path.join(d, "hf-" + name)
        r = jf(["tokenizer", "export-hf", "--model", models[name], "--out", out])
        check(r.returncode == 0, f"export-hf {name}: exit {r.returncode} {r.stderr[-300:]}")
        if r.returncode:
            continue
        shutil.copy(models[name], os.path.join(out, "tokenizer.model"))
        tj = json.load(open(os.path.join(out, "tokenizer.json"), encoding="utf-8"))
        norms = tj["normalizer"]["normalizers"]
        raw = open(models[name], "rb").read()
        _, span = charsmap_span(raw)
        if name == "ident_rm":
            check(all(n["type"] != "Precompiled" for n in norms), "identity: no Precompiled")
        else:
            check(norms[0]["type"] == "Precompiled" and
                  base64.b64decode(norms[0]["precompiled_charsmap"]) == raw[span[0]:span[1]],
                  f"export-hf {name}: Precompiled normalizer holds the model's charsmap")
        check(tj["pre_tokenizer"] is None, "no pre-tokenizer: merges over the whole line")
        check_hf(name, out, models[name], text)
    r = jf(["tokenizer", "export-hf", "--model", models["user"], "--out",
            os.path.join(d, "hf-user")])
    check(r.returncode == 2 and b"suffix whitespace" in r.stderr,
          f"export-hf refuses whitespace as suffix ({r.returncode})")

    # extend reads its corpus as the identity rule does: a normalizing base is refused
    corpus = os.path.join(d, "extend-corpus.txt")
    open(corpus, "w", encoding="utf-8").write("日本語の文章を少し書きます。\n" * 50)
    r = jf(["tokenizer", "extend", "--base", models["keep_nmt"], "--add", "10", "--out",
            os.path.join(d, "ext"), corpus])
    check(r.returncode == 2 and b"identity normalizer" in r.stderr,
          f"extend refuses an NFKC base model ({r.returncode}: {r.stderr[-160:]})")

    # 4. damaged charsmaps: a clear error, never a crash
    damaged(d, nmt)
    finish()


# tokenizers.js's Precompiled is NFKC plus fixed rules, not the charsmap: it reads text as
# UTF-16 (a bad byte becomes U+FFFD, which its rules make a space, while SentencePiece keeps
# U+FFFD for a bad byte without looking it up) and makes U+200D (zero width joiner) a space,
# which nmt_nfkc keeps. Every other character of the text it normalizes as nmt_nfkc does.
HF_APPROX = ("\u200d",)


def check_hf(name, out, model, text):
    hr = hf_encode(PEERS, out, text, name)
    if hr is None:
        return
    check(hr.returncode == 0, f"hf-encode.mjs ran ({name}): {hr.stderr[-300:]}")
    lines = open(text, "rb").read().split(b"\n")
    skip = set()
    for i, l in enumerate(lines):
        try:
            s = l.decode("utf-8")
        except UnicodeDecodeError:
            skip.add(i)
            continue
        # control pieces spelled in the text are special tokens to HF, text to SentencePiece
        if "<s>" in s or "<unk>" in s or "</s>" in s or any(c in s for c in HF_APPROX):
            skip.add(i)
    bad = compare(f"@huggingface/tokenizers vs spm_encode, {name}",
                  spm("spm_encode", model, "--output_format=id", text), hr.stdout, skip)
    check(len(skip) < 20, f"HF check of {name} skips {len(skip)} lines")
    return bad


def damaged(d, model):
    raw = bytearray(open(model, "rb").read())
    _, (a, b) = charsmap_span(raw)
    tsize = int.from_bytes(raw[a:a + 4], "little")
    units = a + 4
    n_units = tsize // 4
    src = os.path.join(d, "short.txt")
    open(src, "wb").write("ＡＢＣ ｱｲｳ ①② ﬁ 日本語 English\n\x01\t x  y \n".encode())

    def unit(i):
        return int.from_bytes(raw[units + 4 * i:units + 4 * i + 4], "little")

    def try_model(blob, what, must_fail):
        bad = os.path.join(d, "bad.model")
        open(bad, "wb").write(blob)
        r = jf(["tokenizer", "encode", "--model", bad, src])
        if must_fail:
            check(r.returncode == 1 and b"precompiled_charsmap" in r.stderr,
                  f"{what}: exit 1 with a message ({r.returncode} {r.stderr[-200:]})")
        else:
            check(r.returncode in (0, 1), f"{what}: exit 0 or 1, no crash ({r.returncode})")
        return r.returncode

    def with_units(changes):
        c = bytearray(raw)
        for i, v in changes:
            c[units + 4 * i:units + 4 * i + 4] = v.to_bytes(4, "little")
        return bytes(c)

    c = bytearray(raw)
    c[a:a + 4] = (b - a).to_bytes(4, "little")
    try_model(bytes(c), "trie size past the blob", True)
    c[a:a + 4] = (tsize - 4).to_bytes(4, "little")
    try_model(bytes(c), "trie size not whole blocks", True)
    try_model(with_units([(0, 0)]), "root unit zeroed", True)
    # first node with children and a leaf: its children moved past the array, its value
    # past the strings
    node = next(i for i in range(1, n_units) if not unit(i) >> 31 and unit(i) >> 8 & 1 and
                unit(i) >> 10 and not unit(i) >> 9 & 1)
    u = unit(node)
    try_model(with_units([(node, (u & 0x3FF) | ((n_units * 4) << 10))]),
              "children past the array", True)
    leaf = node ^ (u >> 10)
    try_model(with_units([(leaf, 0x80000000 | (b - a - 4 - tsize))]), "value past the strings",
              True)
    c = bytearray(raw)
    c[units + tsize:b] = bytes(x or 0x41 for x in raw[units + tsize:b])
    try_model(bytes(c), "strings without NUL", True)
    # random flips in the trie: refused or encoded, never a crash
    rnd = random.Random(11)
    fails = 0
    for _ in range(150):
        c = bytearray(raw)
        for _ in range(rnd.randint(1, 3)):
            at = units + rnd.randrange(min(tsize, 4096 if rnd.random() < 0.5 else tsize))
            c[at] ^= 1 << rnd.randrange(8)
        fails += try_model(bytes(c), "random flips in the trie", False) == 1
    print(f"damaged charsmaps: 150 random flips, {fails} refused")


main()
