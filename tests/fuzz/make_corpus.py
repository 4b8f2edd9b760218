"""make_corpus.py DATA_DIR [TARGET...]: writes the seed corpus of the fuzz targets into
corpus/<target>/ from small pieces of the real sample data (Debian pages,
vim's Japanese tutor in three encodings) and hand-made damage. Run once; the
seeds are committed, and crashes found later are added beside them. With
TARGET names, writes only those targets' seeds."""
import gzip
import json
import os
import subprocess
import sys
import zlib

DATA = sys.argv[1]
ONLY = set(sys.argv[2:])
HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    if ONLY and target not in ONLY:
        return
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def head(path, n):
    with open(os.path.join(DATA, path), "rb") as f:
        return f.read(n)


tutor_utf8 = head("tutor/tutor.ja.utf-8", 1500)
tutor_sjis = head("tutor/tutor.ja.sjis", 1000)
tutor_euc = head("tutor/tutor.ja.euc", 1000)
page_ja = head("site/ja-debref-ch01.html", 3000)
iso2022 = tutor_utf8.decode("utf-8", "ignore").encode("iso-2022-jp", "replace")[:1000]


def record(rtype, block, extra=b""):
    return (b"WARC/1.0\r\nWARC-Type: " + rtype + b"\r\nWARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789abc>\r\n"
            b"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: http://example.jp/a.html\r\n" + extra +
            b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n" + block + b"\r\n\r\n")


def http(body, headers=b"Content-Type: text/html\r\n"):
    return b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n" + body


resp = record(b"response", http(page_ja), b"Content-Type: application/http; msgtype=response\r\n")
info = record(b"warcinfo", b"software: wget\r\n")
plain = info + resp
put("warc", "plain.warc", plain)
put("warc", "member.warc.gz", gzip.compress(info) + gzip.compress(resp))
put("warc", "whole.warc.gz", gzip.compress(plain))
put("warc", "plain.warc.zst", subprocess.run(["zstd", "-qc"], input=plain, capture_output=True).stdout)
put("warc", "wet.warc", record(b"conversion", tutor_utf8))
put("warc", "truncated.warc.gz", (gzip.compress(info) + gzip.compress(resp))[:-40])
put("warc", "garbage.warc", info + b"\x00garbage\n" * 4 + resp)
put("warc", "badlength.warc", plain.replace(b"Content-Length: 16", b"Content-Length: 99"))

put("http", "plain", http(page_ja[:800]))
chunked = b"".join(b"%x\r\n" % len(page_ja[i:i + 300]) + page_ja[i:i + 300] + b"\r\n" for i in range(0, 900, 300)) + b"0\r\n\r\n"
put("http", "chunked", http(chunked, b"Transfer-Encoding: chunked\r\n"))
put("http", "gzip", http(gzip.compress(page_ja[:800]), b"Content-Encoding: gzip\r\n"))
put("http", "deflate", http(zlib.compress(page_ja[:800]), b"Content-Encoding: deflate\r\n"))
put("http", "broken", b"HTTP/1.1 2x0\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc")

put("charset", "utf8-declared", b"\x02" + tutor_utf8)
put("charset", "sjis-undeclared", b"\x00" + tutor_sjis)
put("charset", "sjis-declared", b"\x03" + tutor_sjis)
put("charset", "euc-undeclared", b"\x00" + tutor_euc)
put("charset", "euc-lying-utf8", b"\x02" + tutor_euc)
put("charset", "iso2022", b"\x05" + iso2022)
put("charset", "meta", b"\x00<html><head><meta charset=\"euc-jp\"></head><body>" + tutor_euc[:400])
put("charset", "utf16", b"\x06\xff\xfe" + tutor_utf8.decode("utf-8", "ignore")[:200].encode("utf-16-le"))

put("html", "debian-page", page_ja)
put("html", "nested", b"<div>" * 200 + "日本語".encode() + b"</div>" * 200)
put("html", "boilerplate", b"<html><body><nav><a href=x>a</a><a href=y>b</a><a href=z>c</a></nav>"
    b"<article><h1>t</h1><p>" + tutor_utf8[:300] + b"</p></article><footer>f</footer></body></html>")
put("html", "script-pre", b"<script>var x='<p>';</script><pre>  a\n  b</pre><style>p{}</style><p>x&amp;y&#x3042;")

for name in os.listdir(os.path.join(HERE, "corpus", "charset")):
    put("extract", name, (b"\x03" if "utf8" in name else b"\x01") + open(os.path.join(HERE, "corpus", "charset", name), "rb").read()[1:])
put("extract", "plain-text", b"\x00" + tutor_utf8)
put("extract", "binary", b"\x01" + bytes(range(256)) * 4)

doc = {"id": "a", "text": tutor_utf8.decode("utf-8", "ignore")[:300], "source": "cc", "lang": "ja",
       "url": None, "created": None, "meta": {"k": 1}}
lines = (json.dumps(doc, ensure_ascii=False) + "\n").encode() * 3
put("docstream", "plain.jsonl", lines + b"{broken\n" + b'{"text":"no id"}\n')
put("docstream", "zstd.jsonl.zst", subprocess.run(["zstd", "-qc"], input=lines, capture_output=True).stdout)
put("docstream", "truncated.jsonl.zst", subprocess.run(["zstd", "-qc"], input=lines * 5, capture_output=True).stdout[:-30])

put("config", "profile.ini", b"# profile\nname = swallow-ja\n[ja_hiragana_ratio]\nenabled = yes\nmin = 0.2 ; c\n[train]\nsteps=10\nlr = 3e-4\n")
put("config", "broken.ini", b"[open\nx\n=y\n[a]\nb = \xe3\x81\x82\n")

# J-STAGE: a JATS article (Japanese with English translations) and an Atom
# search result, from real sentences of the tutor.
ja = tutor_utf8.decode("utf-8", "ignore").split("\n")
ja = [l for l in ja if len(l) > 10][:4]
jats = ("""<?xml version="1.0" encoding="UTF-8"?>
<article xml:lang="ja"><front><article-meta><article-id pub-id-type="doi">10.1/x</article-id>
<title-group><article-title>%s</article-title><trans-title-group xml:lang="en"><trans-title>Vim tutor</trans-title>
</trans-title-group></title-group><pub-date><year>2021</year><month>4</month><day>1</day></pub-date>
<abstract><p>%s</p></abstract><trans-abstract xml:lang="en"><p>The tutor of Vim, in Japanese.</p></trans-abstract>
</article-meta></front><body><sec><title>%s</title><p>%s<xref rid="b1">1)</xref></p>
<table-wrap><table><tr><td>x</td></tr></table></table-wrap></sec></body>
<back><ref-list><ref id="b1"><mixed-citation>ref</mixed-citation></ref></ref-list></back></article>
""" % tuple(ja)).encode()
put("jats", "article.xml", jats)
put("jats", "article.xml.gz", gzip.compress(jats, mtime=0))
put("jats", "atom.xml", ("""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><article_title><ja>%s</ja><en>Vim tutor</en></article_title>
<prism:doi xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">10.1/y</prism:doi></entry></feed>
""" % ja[0]).encode())

# Manifests: the shipped ones, plus names that must be refused.
for f in sorted(os.listdir(os.path.join(HERE, "..", "..", "data-manifests"))):
    if f.endswith(".tsv"):
        put("manifest", f, open(os.path.join(HERE, "..", "..", "data-manifests", f), "rb").read())
put("manifest", "hostile.tsv", b"http://h/a/..\t-\t-\nhttp://h/a/.\nfile:///etc/passwd\t12\txxh3:0123456789abcdef\n"
    b"http://h/x?y=../../z\t5\tsha1:" + b"a" * 40 + b"\nhttp://h/d/\nhttp://h/\\\\evil\n\x00\n" + b"http://h/" + b"n" * 300 + b"\n")

# SentencePiece: a tiny BPE model trained by Debian's spm_train on the tutor
# (byte fallback, split digits), and the same cut short.
import tempfile
with tempfile.TemporaryDirectory() as td:
    txt = os.path.join(td, "t.txt")
    open(txt, "wb").write(tutor_utf8 * 3 + b"The quick brown fox 12345 jumps.\n" * 20)
    subprocess.run(["spm_train", "--input=" + txt, "--model_prefix=" + os.path.join(td, "m"), "--vocab_size=600",
                    "--model_type=bpe", "--byte_fallback=true", "--split_digits=true", "--character_coverage=0.98",
                    "--normalization_rule_name=identity", "--minloglevel=2"], check=True, capture_output=True)
    model = open(os.path.join(td, "m.model"), "rb").read()
put("spmodel", "bpe.model", model)
put("spmodel", "truncated.model", model[:len(model) // 2])

# SentencePiece with a precompiled charsmap (darts-clone trie + replacement strings): the
# same text under small hand-written rules (--normalization_rule_tsv; nmt_nfkc's own
# charsmap is 237 KB, too big a seed): full-width ASCII, half-width katakana with a
# two-character key, a deletion, a rule that grows 3 bytes into 33, spaces; one model
# removing extra whitespace, one keeping it with whitespace as suffix and user symbols.
rules = ["%X\t%X" % (cp, cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)]
rules += ["3000\t20", "9\t20", "2003\t20 20", "FF76 FF9E\t30AC", "FF76\t30AB", "FF9E\t3099",
          "2460\t31", "FB01\t66 69", "1\t", "7F\t",
          "FDFA\t635 644 649 20 627 644 644 647 20 639 644 64A 647 20 648 633 644 645"]
with tempfile.TemporaryDirectory() as td:
    txt, tsv = os.path.join(td, "t.txt"), os.path.join(td, "rules.tsv")
    open(txt, "wb").write(tutor_utf8 * 3 + "The quick brown fox 12345 jumps. ＦＵＬＬ ｶﾞｷﾞ\n".encode() * 20)
    open(tsv, "w").write("\n".join(rules) + "\n")
    for name, extra in (("charsmap-rules.model", []),
                        ("charsmap-suffix.model", ["--remove_extra_whitespaces=false",
                                                   "--treat_whitespace_as_suffix=true",
                                                   "--user_defined_symbols=<mask>,ＡＢ"])):
        subprocess.run(["spm_train", "--input=" + txt, "--model_prefix=" + os.path.join(td, "c"),
                        "--vocab_size=600", "--model_type=bpe", "--byte_fallback=true",
                        "--character_coverage=0.98", "--normalization_rule_tsv=" + tsv,
                        "--minloglevel=2"] + extra, check=True, capture_output=True)
        put("spmodel", name, open(os.path.join(td, "c.model"), "rb").read())

# Megatron indexed datasets (formats.md §3): u32 .idx length, .idx, .bin.
import struct


def mmidx(seqs, code, fmt):
    lens = [len(q) for q in seqs]
    size = struct.calcsize(fmt)
    ptr, ptrs = 0, []
    for n in lens:
        ptrs.append(ptr)
        ptr += n * size
    idx = (b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, code, len(seqs), len(seqs) + 1) +
           struct.pack("<%di" % len(lens), *lens) + struct.pack("<%dq" % len(ptrs), *ptrs) +
           struct.pack("<%dq" % (len(seqs) + 1), *range(len(seqs) + 1)))
    bin_ = b"".join(struct.pack("<%d%s" % (len(q), fmt[-1]), *q) for q in seqs)
    return struct.pack("<I", len(idx)) + idx + bin_


seqs = [[1, 2, 3, 2], [5, 6, 2], [7, 8, 9, 10, 2]]
put("mmidx", "uint16", mmidx(seqs, 8, "<H"))
put("mmidx", "int32", mmidx(seqs, 4, "<i"))
put("mmidx", "empty", mmidx([], 8, "<H"))

# llama2.c checkpoints (formats.md §5): dim 8, hidden 16, 1 layer, 2 heads,
# vocabulary 16 (shared classifier) and -16 (separate), seq_len 4.
def ckpt(vocab):
    C, H, L, V, T = 8, 16, 1, abs(vocab), 4
    n = V * C + L * C + 4 * L * C * C + L * C + 3 * L * H * C + C + 2 * T * (C // 2 // 2)
    if vocab < 0:
        n += V * C
    return struct.pack("<7i", C, H, L, 2, 2, vocab, T) + struct.pack("<%df" % n, *[(i % 7) * 0.01 for i in range(n)])


put("ckpt", "shared.bin", ckpt(16))
put("ckpt", "separate.bin", ckpt(-16))
put("ckpt", "hostile-header.bin", struct.pack("<7i", 1 << 30, 1 << 30, 1 << 20, 1, 1, 1 << 30, 1 << 30))

# The shard writer's JSON scanner (differential against jansson): documents
# as jaforge writes them, escapes of every kind, numbers and nesting.
tut = tutor_utf8.decode("utf-8", "ignore")[:600]
put("shardjson", "doc.json", json.dumps({"id": "a", "text": tut, "source": "cc", "lang": "ja", "url": None,
                                         "created": None, "meta": {"k": 1}}).encode())
put("shardjson", "language.json", json.dumps({"id": "b", "text": "plain English text.", "language": "en",
                                              "source": None}).encode())
put("shardjson", "escapes.json", rb'{"id":"c","text":"a\"b\\c\/\b\f\n\r\t\u3042\ud83d\ude00 \u0000",'
    rb'"lang":"ja","source":"wiki","lang":"en"}')
put("shardjson", "numbers.json", b'{"id":"d","text":"x","n":-1.5e+300,"m":[1,2,{"a":null}],"t":true,"f":false}')
