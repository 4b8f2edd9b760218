"""test_tokenizer_cli.py JAFORGE DATA_DIR TOK_DIR: `jaforge tokenizer encode/decode`
against Debian's spm_encode / spm_decode and python3-sentencepiece, on every line
of real Japanese+English test text (made by make_tok_data.py), for models
trained by spm_train; plus usage errors and damaged model files."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from jftest import check, finish, run, tmpdir  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbwire import piece  # noqa: E402

TOK = sys.argv[3]
TEST = os.path.join(TOK, "test.txt")


def spm(prog, model, fmt_flag, path):
    with open(path, "rb") as f:
        return subprocess.run([prog, "--model=" + model, fmt_flag], stdin=f,
                              capture_output=True, check=True).stdout


def jf(args):
    return subprocess.run([sys.argv[1]] + args, capture_output=True)


def compare(what, want, got):
    w, g = want.split(b"\n"), got.split(b"\n")
    bad = [i for i in range(min(len(w), len(g))) if w[i] != g[i]]
    check(len(w) == len(g), f"{what}: {len(g)} lines, spm has {len(w)}")
    check(not bad, f"{what}: {len(bad)} lines differ, first line {bad[0] + 1 if bad else 0}: "
          f"spm {w[bad[0]][:120] if bad else b''} jaforge {g[bad[0]][:120] if bad else b''}")
    print(f"{what}: {len(w) - 1} lines compared, {len(bad)} mismatches")


def main():
    lines = open(TEST, "rb").read().count(b"\n")
    check(lines > 5000, f"test text has {lines} lines")
    for name in ("llama", "plain"):
        model = os.path.join(TOK, name + ".model")
        for fmt in ("id", "piece"):
            want = spm("spm_encode", model, "--output_format=" + fmt, TEST)
            for threads in ("1", "2"):
                r = jf(["tokenizer", "encode", "--model", model, "--output-format", fmt,
                        "-j", threads, TEST])
                check(r.returncode == 0, f"encode {name} {fmt}: exit {r.returncode} {r.stderr}")
                compare(f"encode {name} {fmt} -j{threads}", want, r.stdout)
        # stdin works too
        with open(TEST, "rb") as f:
            r = subprocess.run([sys.argv[1], "tokenizer", "encode", "--model", model], stdin=f,
                               capture_output=True)
        compare(f"encode {name} id (stdin)", spm("spm_encode", model, "--output_format=id", TEST),
                r.stdout)
        # decode: same text as spm_decode for spm_encode's ids
        ids_path = os.path.join(tmpdir(), "ids.txt")
        with open(ids_path, "wb") as f:
            f.write(spm("spm_encode", model, "--output_format=id", TEST))
        want = spm("spm_decode", model, "--input_format=id", ids_path)
        r = jf(["tokenizer", "decode", "--model", model, ids_path])
        check(r.returncode == 0, f"decode {name}: exit {r.returncode} {r.stderr}")
        compare(f"decode {name}", want, r.stdout)
        # python3-sentencepiece on a sample of lines
        py = ("import sentencepiece as s,sys\n"
              "p=s.SentencePieceProcessor(model_file=sys.argv[1])\n"
              "for l in open(sys.argv[2],encoding='utf-8',errors='surrogateescape')"
              ".read().split('\\n')[:-1][::7]:\n"
              "  print(' '.join(map(str,p.encode(l))))\n")
        pr = subprocess.run(["/usr/bin/python3", "-c", py, model, TEST], capture_output=True)
        check(pr.returncode == 0, f"python3-sentencepiece ran: {pr.stderr[-300:]}")
        mine = jf(["tokenizer", "encode", "--model", model, TEST]).stdout.split(b"\n")[:-1][::7]
        compare(f"python3-sentencepiece {name} sample", pr.stdout,
                b"\n".join(mine) + b"\n")

    # A vocabulary that is not closed (formats.md section 1): pieces appended to the llama
    # model whose characters are not pieces themselves (emoji, rare kanji, Greek). The encoder
    # looks such pairs up by text; spm_encode must still agree on every line.
    ext = os.path.join(tmpdir(), "ext.model")
    extra = ["\U00020BB7野", "😀🎉", "🎉👍", "▁😀", "Ελ", "ηνι", "ληνικά", "𩸽(", "한국", "국어",
             "🀄🃏🂡", "𠮷野家"]
    open(ext, "wb").write(open(os.path.join(TOK, "llama.model"), "rb").read() +
                          b"".join(piece(t, 1.0 - i) for i, t in enumerate(extra)))
    for fmt in ("id", "piece"):
        want = spm("spm_encode", ext, "--output_format=" + fmt, TEST)
        r = jf(["tokenizer", "encode", "--model", ext, "--output-format", fmt, TEST])
        check(r.returncode == 0, f"encode extended model: exit {r.returncode} {r.stderr}")
        compare(f"encode extended (not closed) model {fmt}", want, r.stdout)
    used = {int(x) for x in spm("spm_encode", ext, "--output_format=id", TEST).split()} & \
        set(range(4000, 4000 + len(extra)))
    check(len(used) >= 5, f"appended pieces are used by spm_encode ({sorted(used)})")

    # Pieces scored -inf still merge, last (the encoder's scan uses -inf for "no pair", so
    # such a model takes the heap): spm_encode must agree on every line.
    low = os.path.join(tmpdir(), "low.model")
    extra = ["▁of▁the", "ingly", "▁in▁the", "です。"]   # both halves are pieces
    open(low, "wb").write(open(os.path.join(TOK, "llama.model"), "rb").read() +
                          b"".join(piece(t, float("-inf")) for t in extra))
    want = spm("spm_encode", low, "--output_format=id", TEST)
    r = jf(["tokenizer", "encode", "--model", low, TEST])
    compare("encode a model with pieces scored -inf", want, r.stdout)
    used = {int(x) for x in want.split()} & set(range(4000, 4000 + len(extra)))
    check(len(used) >= 2, f"-inf pieces are used by spm_encode ({sorted(used)})")

    # decode(encode(x)) == x with the LLaMA settings (lines without U+2581)
    d = tmpdir()
    keep = [l for l in open(TEST, "rb").read().split(b"\n")[:-1] if "\u2581".encode() not in l]
    src = os.path.join(d, "src.txt")
    open(src, "wb").write(b"\n".join(keep) + b"\n")
    model = os.path.join(TOK, "llama.model")
    ids = jf(["tokenizer", "encode", "--model", model, src]).stdout
    open(os.path.join(d, "ids.txt"), "wb").write(ids)
    back = jf(["tokenizer", "decode", "--model", model, os.path.join(d, "ids.txt")]).stdout
    check(back == b"\n".join(keep) + b"\n", "decode(encode(x)) == x for the llama model")

    # usage and errors
    r = jf(["tokenizer", "--help"])
    check(r.returncode == 0 and b"encode" in r.stdout, "tokenizer --help")
    r = jf(["tokenizer", "encode", "--help"])
    check(r.returncode == 0 and b"--output-format" in r.stdout, "encode --help")
    r = jf(["tokenizer", "encode", TEST])
    check(r.returncode == 2 and b"--model" in r.stderr, f"no --model: exit 2 ({r.returncode})")
    r = jf(["tokenizer", "encode", "--model", model, "--output-format", "xml", TEST])
    check(r.returncode == 2, f"bad --output-format: exit 2 ({r.returncode})")
    r = jf(["tokenizer", "frobnicate"])
    check(r.returncode == 2, "unknown tokenizer command: exit 2")
    raw = open(model, "rb").read()
    for what, data in (("truncated", raw[:len(raw) // 2]), ("garbage", os.urandom(5000)),
                       ("text", b"not a model\n"), ("empty", b"")):
        bad = os.path.join(d, what + ".model")
        open(bad, "wb").write(data)
        r = jf(["tokenizer", "encode", "--model", bad, TEST])
        check(r.returncode == 1 and bad.encode() in r.stderr and b"jaforge:" in r.stderr,
              f"{what} model: exit 1 with a message ({r.returncode}, {r.stderr[:200]})")
    r = jf(["tokenizer", "encode", "--model", os.path.join(d, "missing.model"), TEST])
    check(r.returncode == 1, "missing model: exit 1")
    r = jf(["tokenizer", "encode", "--model", model, os.path.join(d, "missing.txt")])
    check(r.returncode == 1, "missing input: exit 1")
    badids = os.path.join(d, "badids.txt")
    open(badids, "w").write("5 6\n7 99999\n")
    r = jf(["tokenizer", "decode", "--model", model, badids])
    check(r.returncode == 1 and b"out of range" in r.stderr and r.stdout.count(b"\n") == 1,
          f"decode bad id: exit 1, first line printed ({r.returncode}, {r.stderr})")
    open(badids, "w").write("5 x\n")
    r = jf(["tokenizer", "decode", "--model", model, badids])
    check(r.returncode == 1 and b"badids.txt:2" in r.stderr,
          f"decode non-number: exit 1 with offset ({r.stderr})")
    finish()


main()
