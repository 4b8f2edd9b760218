"""test_extract_bad_input.py: damaged and hostile WARC input. Garbage between
records, a truncated gzip member, a truncated file, wrong Content-Length,
missing mandatory headers, a binary payload labelled text/html, a 50 MB
single-line page, 100,000 nested tags and an unknown charset label: the run
ends with exit 0, each bad record is reported as FILE:OFFSET, and every good
document before and after still comes out."""
import gzip
import json
import os
import re
import uuid

from jftest import DATA, check, finish, read_docs, require_data, run, tmpdir

require_data("warc/sample.warc.gz", "warcio/sample.warc.gz.index.jsonl")
work = tmpdir()
src = os.path.join(DATA, "warc/sample.warc.gz")
blob = open(src, "rb").read()
index = [json.loads(l) for l in open(os.path.join(DATA, "warcio/sample.warc.gz.index.jsonl"))]


def extract(path, *extra):
    out = os.path.join(work, "out-" + os.path.basename(path))
    r = run(["extract", "-q", "--out", out, *extra, path])
    stem = os.path.basename(path).split(".")[0]
    docs = []
    for lang in ("ja", "en"):
        p = os.path.join(out, lang, stem + ".jsonl.zst")
        if os.path.exists(p):
            docs += read_docs(p)
    return r, {d["url"] for d in docs}, docs


def reported_offsets(stderr, path):
    return [int(m) for m in re.findall(re.escape(path) + r":(\d+):", stderr)]


r, base_urls, _ = extract(src)
check(r.returncode == 0 and len(base_urls) > 200, f"baseline extract ({len(base_urls)} docs)")

responses = [e for e in index if e["warc-type"] == "response"]
victim = responses[len(responses) // 2]          # a response record in the middle
victim_url = victim["warc-target-uri"]
lo, hi = victim["offset"], victim["offset"] + victim["length"]

# 1. garbage between two records, before the victim
p = os.path.join(work, "garbage.warc.gz")
open(p, "wb").write(blob[:lo] + b"\x00garbage\xffnot a record\n" * 50 + blob[lo:])
r, urls, _ = extract(p)
check(r.returncode == 0, "garbage: exit 0")
check(urls == base_urls, f"garbage: all {len(base_urls)} documents still come out (got {len(urls)})")
check(reported_offsets(r.stderr, p) == [lo], f"garbage: reported once at offset {lo}: {r.stderr.strip()[:300]}")

# 2. the victim's gzip member cut in half, followed by the intact rest
p = os.path.join(work, "cutmember.warc.gz")
open(p, "wb").write(blob[:lo] + blob[lo:lo + (hi - lo) // 2] + blob[hi:])
r, urls, _ = extract(p)
check(r.returncode == 0, "truncated member: exit 0")
check(urls == base_urls - {victim_url}, f"truncated member: only the victim is lost ({len(base_urls - urls)} lost)")
check(lo in reported_offsets(r.stderr, p), f"truncated member: reported at {lo}: {r.stderr.strip()[:300]}")

# 3. file truncated inside the victim
p = os.path.join(work, "cutfile.warc.gz")
open(p, "wb").write(blob[:lo + (hi - lo) // 2])
r, urls, _ = extract(p)
before = {e["warc-target-uri"] for e in responses if e["offset"] < lo}
check(r.returncode == 0, "truncated file: exit 0")
check(before <= urls or before - urls <= {u for u in before if u not in base_urls},
      "truncated file: every document before the cut comes out")
check(victim_url not in urls, "truncated file: the cut record is not emitted half")
check(reported_offsets(r.stderr, p) == [lo], f"truncated file: reported at {lo}")


# Hand-made records, each one gzip member, around real ones.
def record(rtype, block, headers=None, content_length=None):
    h = {"WARC-Type": rtype, "WARC-Record-ID": f"<urn:uuid:{uuid.uuid4()}>",
         "WARC-Date": "2026-01-01T00:00:00Z", "WARC-Target-URI": f"http://test.invalid/{uuid.uuid4().hex}.html",
         "Content-Type": "application/http; msgtype=response"}
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    h["Content-Length"] = str(len(block) if content_length is None else content_length)
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    return head.encode() + block + b"\r\n\r\n", h["WARC-Target-URI"] if "WARC-Target-URI" in h else None


def http(body, ctype="text/html; charset=utf-8"):
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


JA = "日本語の文章です。これはテストのためのページであり、ひらがなとカタカナを含みます。".encode()
good1, url1 = record("response", http(b"<html><body><p>" + JA + b"</p></body></html>"))
good2, url2 = record("response", http(b"<html><body><p>" + JA * 2 + b"</p></body></html>"))
nohdr, _ = record("response", http(b"<p>" + JA + b"</p>"), headers={"WARC-Record-ID": None})
binary, _ = record("response", http(bytes(range(256)) * 40))
nested, url_nested = record("response", http(b"<div>" * 100000 + JA + b"</div>" * 100000))
huge, _ = record("response", http(b"<html><body><p>" + JA * (50 * 1024 * 1024 // len(JA)) + b"</p></body></html>"))
unknown_cs, url_cs = record("response", http(b"<html><body><p>" + JA + b"</p></body></html>",
                                             "text/html; charset=x-no-such-charset"))

gz = lambda b: gzip.compress(b, 6)
members = [gz(good1), gz(nohdr), gz(binary), gz(nested), gz(huge), gz(unknown_cs), gz(good2)]
p = os.path.join(work, "hostile.warc.gz")
open(p, "wb").write(b"".join(members))
r, urls, docs = extract(p)
check(r.returncode == 0, f"hostile: exit 0 ({r.returncode})")
check(url1 in urls and url2 in urls, "hostile: good records before and after come out")
check(url_cs in urls, "hostile: unknown charset label falls back to detection")
check(url_nested in urls, "hostile: 100,000 nested tags still give the text")
nested_doc = next((d for d in docs if d["url"] == url_nested), None)
check(nested_doc is not None and "日本語の文章です" in nested_doc["text"], "hostile: nested text intact")
offs = reported_offsets(r.stderr, p)
check(len(members[0]) in offs, f"hostile: missing WARC-Record-ID reported at its offset {len(members[0])}: {r.stderr[:400]}")
db = os.path.join(work, "out-hostile.warc.gz", "jaforge.db")
import subprocess
st = json.loads(subprocess.run(["sqlite3", db, "SELECT stats FROM tasks"], capture_output=True, text=True).stdout)
check(st["dropped"]["binary"] == 1, f"hostile: binary payload dropped as binary ({st['dropped']})")
check(st["dropped"]["too_big"] == 1, "hostile: 50 MB page dropped as too_big")
check(st["bad_records"] >= 1, "hostile: bad record counted")

# 4. wrong Content-Length in a plain WARC: too long swallows into the next record, too short
#    leaves junk; either way the record after is found again.
g1, u1 = record("response", http(b"<p>" + JA + b"</p>"))
bad_long, _ = record("response", http(b"<p>" + JA + b"</p>"), content_length=len(http(b"<p>" + JA + b"</p>")) + 40)
bad_short, _ = record("response", http(b"<p>" + JA + b"</p>"), content_length=20)
g2, u2 = record("response", http(b"<p>" + JA * 3 + b"</p>"))
g3, u3 = record("response", http(b"<p>" + JA * 4 + b"</p>"))
p = os.path.join(work, "badlength.warc")
open(p, "wb").write(g1 + bad_long + g2 + bad_short + g3)
r, urls, _ = extract(p)
check(r.returncode == 0, "bad Content-Length: exit 0")
check({u1, u3} <= urls, f"bad Content-Length: records before and after survive ({len(urls)} docs)")
check(len(reported_offsets(r.stderr, p)) >= 1, f"bad Content-Length: reported ({r.stderr[:300]})")

# 5. not a WARC at all, and an empty file
p = os.path.join(work, "notwarc.warc")
open(p, "wb").write(b"hello, I am not a WARC file\n" * 10)
r, urls, _ = extract(p)
check(r.returncode in (0, 1) and "notwarc.warc" in r.stderr and not urls, "not a WARC: reported, nothing out")
p = os.path.join(work, "empty.warc.gz")
open(p, "wb").write(b"")
r, urls, _ = extract(p)
check(r.returncode == 0 and not urls, f"empty file: exit 0, no documents ({r.stderr})")
finish()
