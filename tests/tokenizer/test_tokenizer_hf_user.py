"""test_tokenizer_hf_user.py JAFORGE DATA_DIR TOK_DIR [PEERS_DIR]: `jaforge tokenizer
export-hf` (and `train --user-defined-symbols`) for models with USER_DEFINED and UNUSED pieces,
against Debian's spm_encode and, when installed under PEERS_DIR/node_modules, npm
@huggingface/tokenizers (tokenizers.js, loads tokenizer.json offline).

Models: spm_train with the LLaMA settings (identity) and with nmt_nfkc (extra whitespace
removed, and kept) with user pieces that overlap, prefix each other, hold regular-expression
syntax, U+2581 or a space, are one byte, two bytes, one kanji, over 63 bytes; jaforge train
--user-defined-symbols; the fixture's plain.model (identity, extra whitespace removed); the
fixture's llama.model with UNUSED pieces appended. Text: the test lines plus lines made around
every user piece (alone, at the start, at the end, inside words, next to spaces and full-width
characters, next to each other and to every other piece).
Checks: jaforge encode = spm_encode on every line (the encoder's user-piece filters); export-hf
writes the user pieces as a Split pre-tokenizer with ignore_merges, not as added tokens, no
merge makes a user or unused piece; tokenizers.js gives spm_encode's ids on every line but the
documented exceptions (control pieces spelled in the text; a byte piece's "<0xNN>" spelled
between user pieces); unused pieces are never produced; the models that cannot be matched are
refused with their reason (a user piece the normalization changes, one that holds a control
piece or a run of spaces with whitespace removal, an unused piece merges reach, unused or never
produced pieces next to user pieces)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
sys.path.insert(0, os.path.dirname(__file__))
from hfpeer import hf_encode  # noqa: E402
from pbwire import piece  # noqa: E402
from jftest import check, finish, tmpdir  # noqa: E402

JF, TOK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
PEERS = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
TEST, CORPUS = os.path.join(TOK, "test.txt"), os.path.join(TOK, "corpus.txt")
WS = "\u2581"
LONG = "<" + "long" * 17 + ">"   # 70 bytes: past the encoder's per-length filter (63 bytes)
L63, L64 = "<" + "z" * 61 + ">", "<" + "z" * 62 + ">"
# Identity models: syntax of regular expressions, pieces that prefix or overlap each other,
# U+2581 (matched where the text has a space, or at the dummy prefix), a space (never
# matched: the normalized text has none), 1- and 2-byte pieces, an emoji, Japanese.
SYMS = ["<mask>", "<|im_start|>", "<|im_end|>", "<|im", "ユーザー", "ユーザー名", "ザー", "の",
        "日本", WS + "zq", "x" + WS + "y", "a b", "[x]", "a.b", "(?", "\\d", "^$", "{n}", "@", "é",
        "ab", "abc", "bcd", "😀", LONG, L63, L64]
# nmt_nfkc models: pieces the normalization keeps (AB: full-width ＡＢ becomes it; ガ: so does
# half-width ｶﾞ). U+2581 becomes a space in nmt_nfkc: fine where whitespace is kept only.
NSYMS = ["<mask>", "<|im_start|>", "ユーザー", "ユーザー名", "AB", "ガ", "の", "a b", "[x]",
         "a.b", "@", "é", "ab", "abc", "bcd", "😀", LONG]
NSYMS_WS = NSYMS + [WS + "zq", "x" + WS + "y"]
# Text forms that meet the pieces only after normalization, or look like them.
EXTRA = ["ＡＢ", "ｶﾞ", "ﾕｰｻﾞｰ", "a  b", "a\u3000b", " zq", "zq", "x y", "ab c", "<|im_start"]
CONTEXTS = ["{}", " {}", "{} ", "  {}  ", "x{}", "{}x", "x{}y", "a {} b", "{}{}", "これは{}です",
            "{}。", "Ｓ{}", "\t{}", "{} {}", "テスト{}テスト", "{}\u3000x", "{}" + WS, WS + "{}",
            "ａ{}ｂ"]


def jf(args):
    return subprocess.run([JF] + args, capture_output=True)


def spm_ids(model, path):
    with open(path, "rb") as f:
        return subprocess.run(["spm_encode", "--model=" + model, "--output_format=id"], stdin=f,
                              capture_output=True, check=True).stdout


def spm_train(d, name, syms, flags):
    path = os.path.join(d, name + ".syms")
    open(path, "w", encoding="utf-8").write("\n".join(syms) + "\n")
    subprocess.run(["spm_train", "--input=" + CORPUS, "--model_type=bpe",
                    "--character_coverage=0.9995", "--num_threads=2", "--minloglevel=2",
                    "--max_sentence_length=100000", "--byte_fallback=true",
                    "--model_prefix=" + os.path.join(d, name),
                    "--user_defined_symbols_file=" + path] + flags,
                   check=True, capture_output=True)
    return os.path.join(d, name + ".model")


def appended(d, base, name, pieces):
    """base with pieces (text, score, type) appended (field 1 of ModelProto)."""
    body = b"".join(piece(text, score, typ) for text, score, typ in pieces)
    path = os.path.join(d, name + ".model")
    open(path, "wb").write(open(base, "rb").read() + body)
    return path


def make_text(d, syms):
    lines = []
    for s in syms + EXTRA:
        lines += [c.format(s, s) for c in CONTEXTS]
        for t in syms[:12]:
            lines += [s + t, t + " " + s + "x"]
    lines += ["ユーザー名前", "ユーザーザー", "ザーユーザー", "abcd", "abcbcd", "xabcx",
              "<|im<|im_start|>", "<|im_end|", "x" + WS + "zq", "xx yy", "a" + WS + "b",
              "日本語のユーザー名を設定", "@@@", "éé", "😀😀", "ééab", LONG[:-1], LONG + LONG,
              "<" + "z" * 70 + ">", L63 + L64 + L63, L64[:-1], "x" + L63[1:],
              "the user's name is ユーザー名 and <mask> <mask>",
              syms[0] + "<0x41>" + syms[0]]   # the byte-piece exception (skipped())
    path = os.path.join(d, "lines.txt")
    data = "\n".join(lines).encode() + b"\n" + open(TEST, "rb").read()
    open(path, "wb").write(data)
    return path, data.split(b"\n")[:-1], len(lines)


def alternatives(regex):
    """The literal alternatives of a|b|c with backslash escapes."""
    out, cur, i = [], "", 0
    while i < len(regex):
        if regex[i] == "\\":
            cur += regex[i + 1]
            i += 2
        elif regex[i] == "|":
            out.append(cur)
            cur, i = "", i + 1
        else:
            cur, i = cur + regex[i], i + 1
    return out + [cur]


def vocab_of(model):
    out = subprocess.run(["spm_export_vocab", "--model=" + model], capture_output=True,
                         check=True).stdout.decode()
    return {l.split("\t")[0]: i for i, l in enumerate(out.split("\n")) if l}


def skipped(line):
    """Lines tokenizers.js cannot agree on, documented in docs/tokenizer.md: control pieces
    spelled in the text (special tokens to HF, text to SentencePiece); a byte piece's text
    between user pieces (ignore_merges looks the stretch up whole)."""
    return any(c in line for c in (b"<s>", b"</s>", b"<unk>", b"<0x"))


def check_model(d, name, model, syms, want_user_lines=100):
    text, lines, n_made = make_text(d, syms)
    want = spm_ids(model, text)
    r = jf(["tokenizer", "encode", "--model", model, text])
    differ = sum(a != b for a, b in zip(r.stdout.split(b"\n"), want.split(b"\n")))
    check(r.returncode == 0 and r.stdout == want,
          f"{name}: jaforge encode = spm_encode on {len(lines)} lines ({differ} differ)")
    out = os.path.join(d, "hf-" + name)
    r = jf(["tokenizer", "export-hf", "--model", model, "--out", out])
    check(r.returncode == 0, f"{name}: export-hf exit {r.returncode} {r.stderr[-300:]}")
    if r.returncode:
        return
    tj = json.load(open(os.path.join(out, "tokenizer.json"), encoding="utf-8"))
    vocab = tj["model"]["vocab"]
    users = [s for s in syms if s in vocab]
    check(len(users) == len(syms), f"{name}: every user piece in the vocabulary")
    matched = [s for s in syms if " " not in s]
    pre = tj["pre_tokenizer"] or {}
    alts = alternatives(pre["pattern"]["Regex"]) if pre.get("type") == "Split" else []
    check(pre.get("behavior") == "Isolated" and pre.get("invert") is False and
          sorted(alts) == sorted(matched) and
          [len(a.encode()) for a in alts] == sorted((len(a.encode()) for a in alts), reverse=True),
          f"{name}: a Split pre-tokenizer isolates the user pieces without a space, longest "
          f"first ({pre})")
    check(tj["model"]["ignore_merges"] is True, f"{name}: ignore_merges")
    check([t["content"] for t in tj["added_tokens"]] == ["<unk>", "<s>", "</s>"],
          f"{name}: user pieces are not added tokens")
    made = {a + b for a, b in (m.split(" ", 1) if isinstance(m, str) else m
                               for m in tj["model"]["merges"])}
    check(not made & set(syms), f"{name}: no merge makes a user piece")
    # the pieces are used: spm_encode gives user ids on the lines made around them
    ids = {vocab[s] for s in syms}
    used = sum(any(int(x) in ids for x in l.split()) for l in want.split(b"\n")[:n_made])
    check(used >= want_user_lines, f"{name}: {used} made lines hold a user piece")
    hr = hf_encode(PEERS, out, text, name)
    if hr is None:
        return
    check(hr.returncode == 0, f"hf-encode.mjs ran ({name}): {hr.stderr[-300:]}")
    w, g = want.split(b"\n"), hr.stdout.split(b"\n")
    check(len(w) == len(g), f"{name}: tokenizers.js gave {len(g)} lines, spm {len(w)}")
    skip = {i for i, l in enumerate(lines) if skipped(l)}
    bad = [i for i in range(min(len(w), len(g))) if w[i] != g[i] and i not in skip]
    check(not bad, f"{name}: tokenizers.js differs from spm_encode on {len(bad)} lines, first "
          f"{[(lines[i][:60], w[i][:60], g[i][:60]) for i in bad[:3]]}")
    # the documented exception is real: tokenizers.js gives <0x41> for "<0x41>" between two
    # user pieces, SentencePiece its characters
    k = lines.index((syms[0] + "<0x41>" + syms[0]).encode())
    b41 = str(vocab["<0x41>"]).encode() if "<0x41>" in vocab else None
    check(b41 is None or (b41 in g[k].split() and b41 not in w[k].split()),
          f"{name}: a byte piece's text between user pieces: {w[k]} / {g[k]}")
    print(f"{name}: tokenizers.js vs spm_encode: {len(w) - 1} lines ({n_made} made around the "
          f"user pieces, {used} of them hold one), {len(skip)} skipped, {len(bad)} mismatches")


def refused(what, model, d, words):
    r = jf(["tokenizer", "export-hf", "--model", model, "--out", os.path.join(d, "refused")])
    check(r.returncode == 2 and all(w in r.stderr for w in words),
          f"export-hf refuses {what}: exit {r.returncode} {r.stderr[-300:]}")


def main():
    d = tmpdir()
    ident = spm_train(d, "ident", SYMS, [
        "--vocab_size=4000", "--split_digits=true", "--allow_whitespace_only_pieces=true",
        "--normalization_rule_name=identity", "--remove_extra_whitespaces=false"])
    nfkc = spm_train(d, "nfkc", NSYMS, ["--vocab_size=3000", "--split_digits=true"])
    nfkc_ws = spm_train(d, "nfkc_ws", NSYMS_WS, ["--vocab_size=3000",
                                                 "--remove_extra_whitespaces=false"])
    # 1. user pieces: spm_encode = jaforge encode = tokenizers.js
    check_model(d, "identity", ident, SYMS)
    check_model(d, "nmt_nfkc", nfkc, NSYMS)
    check_model(d, "nmt_nfkc, whitespace kept", nfkc_ws, NSYMS_WS)
    # train --user-defined-symbols writes a tokenizer.json that matches as well; pieces with
    # U+2581 match the normalized text as spm_train matches them (so "\u2581zq" is never
    # learned as a normal piece too), one with a space never matches
    jsyms = [s for s in SYMS if "," not in s] + [WS + "the", WS + "th"]
    out = os.path.join(d, "jf")
    r = jf(["tokenizer", "train", "-q", "--vocab-size", "4000", "--out", out,
            "--user-defined-symbols", ",".join(jsyms), CORPUS])
    check(r.returncode == 0 and os.path.exists(os.path.join(out, "tokenizer.json")),
          f"train --user-defined-symbols: exit {r.returncode} {r.stderr[-300:]}")
    check_model(d, "jaforge-trained", os.path.join(out, "tokenizer.model"), jsyms)
    # identity, extra whitespace removed, no byte fallback (spm_train's defaults)
    check_model(d, "plain (whitespace removed)", os.path.join(TOK, "plain.model"),
                ["<mask>", "ユーザー"], want_user_lines=20)

    # 2. unused pieces: one merges never reach (no split into pieces or characters that
    # merge) and a single character are exported; spm_encode never gives the first, gives the
    # second for its character, and so does tokenizers.js.
    llama = os.path.join(TOK, "llama.model")
    lvocab = vocab_of(llama)
    unformable, single = "zqxjv", "\U0001d518"
    check(len(lvocab) == 4000 and not {unformable, single, unformable[:2], unformable[1:3],
                                       unformable[2:4], unformable[3:]} & set(lvocab),
          "appended pieces are new, no two letters of the first are a piece")
    um = appended(d, llama, "unused", [(unformable, -1.0, 5), (single, -2.0, 5)])
    text = os.path.join(d, "unused.txt")
    open(text, "w", encoding="utf-8").write(
        "zqxjv\nthe zqxjv word\n" + single + "\nx" + single + "y zqxjv" + single + "\n" +
        open(TEST, encoding="utf-8", errors="replace").read())
    want = spm_ids(um, text)
    r = jf(["tokenizer", "encode", "--model", um, text])
    check(r.stdout == want, "unused pieces: jaforge encode = spm_encode")
    first = [l.split() for l in want.split(b"\n")[:4]]
    check(all(b"4000" not in l for l in first) and b"4001" in first[2],
          f"spm_encode never gives the unreachable unused piece, gives the character ({first})")
    out = os.path.join(d, "hf-unused")
    r = jf(["tokenizer", "export-hf", "--model", um, "--out", out])
    check(r.returncode == 0, f"export-hf with unused pieces: exit {r.returncode} {r.stderr}")
    if r.returncode == 0:
        tj = json.load(open(os.path.join(out, "tokenizer.json"), encoding="utf-8"))
        made = {"".join(m.split(" ", 1)) for m in tj["model"]["merges"]}
        check(unformable not in made and tj["pre_tokenizer"] is None and
              tj["model"]["ignore_merges"] is False, "no merge makes the unused piece")
        hr = hf_encode(PEERS, out, text, "unused")
        if hr is not None:
            lines = open(text, "rb").read().split(b"\n")
            w, g = want.split(b"\n"), hr.stdout.split(b"\n")
            bad = [i for i in range(len(w)) if w[i] != g[i] and not skipped(lines[i])]
            check(len(w) == len(g) and not bad, f"unused: tokenizers.js = spm_encode ({bad[:3]})")
            check(not any(b"4000" in l.split() for l in g), "tokenizers.js never gives it")

    # 3. refused, each with its reason
    # an unused piece merges reach: SentencePiece splits it back (tested), HF cannot
    formable = WS + "the" + WS + "of"
    check(WS + "the" in lvocab and WS + "of" in lvocab and formable not in lvocab,
          "both halves of the formable unused piece are pieces")
    fm = appended(d, llama, "formable", [(formable, 10.0, 5)])
    src = os.path.join(d, "formable.txt")
    open(src, "w").write("the of\n")
    got = spm_ids(fm, src).split()
    check(got and b"4000" not in got and len(got) == 2,
          f"spm_encode splits the formable unused piece back ({got})")
    refused("an unused piece merges reach", fm, d, [b"unused piece", b"reached by merges"])
    refused("an unused piece with user pieces",
            appended(d, ident, "ident_unused", [(unformable, -1.0, 5)]), d,
            [b"unused piece 'zqxjv'", b"ignore_merges"])
    refused("a piece merges never produce, with user pieces",
            appended(d, ident, "ident_dead", [("zqxjvk", -1.0, 1)]), d,
            [b"normal piece 'zqxjvk'", b"never produced"])
    refused("a user piece holding a control piece",
            appended(d, ident, "ident_ctl", [("<s>x", 0.0, 4)]), d,
            [b"user-defined piece '<s>x'", b"control piece"])
    refused("a user piece the normalization changes",
            appended(d, nfkc, "nfkc_fw", [("ＡＢＣ", 0.0, 4)]), d,
            [b"user-defined piece", b"normalization rules"])
    refused("a U+2581 user piece where whitespace is removed (nmt_nfkc makes it a space)",
            appended(d, nfkc, "nfkc_ws_rm", [(WS + "zq", 0.0, 4)]), d,
            [b"normalization rules"])
    refused("a user piece with a run of spaces where whitespace is removed",
            appended(d, os.path.join(TOK, "plain.model"), "plain_run", [("a  b", 0.0, 4)]), d,
            [b"user-defined piece 'a  b'", b"run of spaces"])
    finish()


main()
