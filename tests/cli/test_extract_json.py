"""test_extract_json.py: JSON-lines sources through `jaforge extract`: mC4
({"text","timestamp","url"}; gzip, bzip2 and zstd) and Wikipedia CirrusSearch
dumps (index lines + content lines, main namespace only), made from the real
Japanese and English documents of the sample WARC. Each document comes out
with its source, id, url and date, and the text the stage gives any page;
bad lines are reported with file and offset and the others still come out."""
import bz2
import gzip
import json
import os
import subprocess

from jftest import DATA, check, finish, read_docs, require_data, run, tmpdir

require_data("warc/sample.warc.gz")
work = tmpdir()
base = os.path.join(work, "base")
r = run(["extract", "-q", "--out", base, os.path.join(DATA, "warc/sample.warc.gz")])
check(r.returncode == 0, "extract the sample WARC")
ja = read_docs(os.path.join(base, "ja/sample.jsonl.zst"))
en = read_docs(os.path.join(base, "en/sample.jsonl.zst"))
docs = ja + en


def outputs(out, stem):
    got = {}
    for lang in ("ja", "en"):
        p = os.path.join(out, lang, stem + ".jsonl.zst")
        for d in read_docs(p) if os.path.exists(p) else []:
            got[d["id"]] = d
    return got


# --- mC4: one JSON object per line, plus two bad lines ------------------------------
lines = [json.dumps({"text": d["text"], "timestamp": "2020-02-%02dT10:00:00Z" % (i % 28 + 1),
                     "url": d["url"]}, ensure_ascii=False) for i, d in enumerate(docs)]
bad_at = [len(lines) // 3, 2 * len(lines) // 3]
raw = ""
offsets = []
for i, line in enumerate(lines):
    if i in bad_at:
        offsets.append(len(raw.encode()))
        raw += '{"text": "broken' + "\n" if i == bad_at[0] else '{"url": "no text"}\n'
    raw += line + "\n"
data = raw.encode()
for name, blob in (("c4-ja.json.gz", gzip.compress(data)), ("c4-ja.json.bz2", bz2.compress(data)),
                   ("c4-ja.json.zst", subprocess.run(["zstd", "-qc"], input=data, capture_output=True).stdout)):
    path = os.path.join(work, name)
    open(path, "wb").write(blob)
    out = os.path.join(work, "out-" + name)
    r = run(["extract", "-q", "--out", out, path])
    check(r.returncode == 0, f"{name}: exit 0 ({r.stderr[:300]})")
    reported = sorted(int(m.split(":")[1]) for m in r.stderr.split() if m.startswith(path + ":"))
    check(reported == offsets, f"{name}: bad lines reported at their offsets {offsets} (got {reported})")
    got = outputs(out, "c4-ja")
    check(len(got) == len(docs), f"{name}: every good line is a document ({len(got)} of {len(docs)})")
    # line numbers count the bad lines too: map back by url
    by_url = {d["url"]: d for d in got.values()}
    same = sum(1 for d in docs if d["url"] in by_url and by_url[d["url"]]["text"] == d["text"])
    check(same == len(docs), f"{name}: texts unchanged ({same} of {len(docs)})")
    one = next(iter(got.values()))
    check(one["source"] == "mc4" and one["id"].startswith("mc4:c4-ja:"), f"{name}: source and id ({one['id']})")
    check(one["created"].startswith("2020-02-"), f"{name}: created from timestamp")
    langs = {d["url"]: d["lang"] for d in got.values()}
    check(all(langs.get(d["url"]) == d["lang"] for d in docs), f"{name}: same languages as from WARC")

# --- Wikipedia CirrusSearch: index line + content line; only namespace 0 -------------
cirrus = []
for i, d in enumerate(ja[:60]):
    ns = 14 if i % 10 == 9 else 0
    title = f"テスト記事 {i}"
    cirrus.append(json.dumps({"index": {"_type": "_doc", "_id": str(1000 + i)}}))
    cirrus.append(json.dumps({"namespace": ns, "title": title, "timestamp": "2024-01-01T00:00:00Z",
                              "wiki": "jawiki", "language": "ja", "text": d["text"].replace("\n", " ")},
                             ensure_ascii=False))
path = os.path.join(work, "jawiki-cirrussearch-content.json.gz")
open(path, "wb").write(gzip.compress(("\n".join(cirrus) + "\n").encode()))
out = os.path.join(work, "out-cirrus")
r = run(["extract", "-q", "--out", out, path])
check(r.returncode == 0, f"cirrus: exit 0 ({r.stderr[:300]})")
got = outputs(out, "jawiki-cirrussearch-content")
want_ids = {f"wikipedia:jawiki:{1000 + i}" for i in range(60) if i % 10 != 9}
check(set(got) == want_ids, f"cirrus: the 54 main-namespace pages, by page id ({len(got)})")
d = got.get("wikipedia:jawiki:1003")
check(d is not None and d["source"] == "wikipedia" and d["url"] == "https://ja.wikipedia.org/wiki/テスト記事_3",
      f"cirrus: source and url ({d and d['url']})")
check(d is not None and d["text"] == " ".join(ja[3]["text"].split("\n")) and d["lang"] == "ja",
      "cirrus: text as given (one line), Japanese")
finish()
