"""make_corpus.py DATA_DIR: writes the seed corpus of the fuzz targets into
corpus/<target>/ from small pieces of the real sample data (Debian pages,
vim's Japanese tutor in three encodings) and hand-made damage. Run once; the
seeds are committed, and crashes found later are added beside them."""
import gzip
import json
import os
import subprocess
import sys
import zlib

DATA = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
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
