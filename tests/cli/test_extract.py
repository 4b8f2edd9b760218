"""test_extract.py: `jaforge extract` on WARCs crawled with wget from real
Debian documentation (Japanese UTF-8, EUC-JP, re-encoded Shift_JIS/EUC-JP/
ISO-2022-JP twins, English, Chinese). Every Japanese page must come out as
Japanese, every English page as English, Chinese as neither; each re-encoded
twin must give exactly the text of its UTF-8 original; every container
(per-record gzip, plain, whole-file gzip, zstd) must give the same documents."""
import json
import os
import subprocess

from jftest import (DATA, JAFORGE, check, docs_by_file, finish, manifest, read_docs, require_data, run,
                    tmpdir)

require_data("warc/sample.warc.gz", "warc/sample.warc", "warc/sample-whole.warc.gz",
             "warc/sample.warc.zst", "site/MANIFEST.tsv")
work = tmpdir()
rows = manifest()

# --- the Common Crawl layout: one gzip member per record -------------------------------
out = os.path.join(work, "gz")
r = run(["extract", "-q", "--out", out, os.path.join(DATA, "warc/sample.warc.gz")])
check(r.returncode == 0, f"extract exit 0 (got {r.returncode}: {r.stderr})")
ja_path, en_path = os.path.join(out, "ja/sample.jsonl.zst"), os.path.join(out, "en/sample.jsonl.zst")
check(os.path.exists(ja_path) and os.path.exists(en_path), "ja and en outputs exist")
leftovers = [f for _, _, fs in os.walk(out) for f in fs if f.endswith(".tmp")]
check(not leftovers, f"no temporary files left: {leftovers}")
ja, en = docs_by_file(read_docs(ja_path)), docs_by_file(read_docs(en_path))

def japanese_share(text):
    """Kana and kanji among letters, as the language rule counts them."""
    letters = [c for c in text if c.isalpha()]
    jp = [c for c in letters if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff"]
    return len(jp) / max(1, len(letters))


for row in rows:
    name, lang = row["file"], row["lang"]
    if lang == "ja" and name in en:
        # A page of a Japanese package whose main text is English once the
        # navigation is gone (a title page made of license text) is English.
        share = japanese_share(en[name]["text"])
        check(share < 0.3, f"Japanese page {name} tagged en only when mostly English (share {share:.2f})")
    elif lang == "ja":
        check(name in ja, f"Japanese page {name} ({row['encoding']}) extracted as ja")
    elif lang == "en":
        check(name in en, f"English page {name} extracted as en")
    else:
        check(name not in ja and name not in en, f"{lang} page {name} not kept as ja/en")

# Re-encoded twins: same text as the UTF-8 original, charset found where expected.
CHARSET = {"shift_jis": "ibm-943_P15A-2003", "euc-jp": "EUC-JP", "iso-2022-jp": "ISO-2022-JP"}
twins = [row for row in rows if row.get("twin_of", "-") != "-"]
check(len(twins) >= 30, f"at least 30 re-encoded twin pages in the sample (got {len(twins)})")
for row in twins:
    d, orig = ja.get(row["file"]), ja.get(row["twin_of"])
    if not d or not orig:
        check(False, f"twin {row['file']} and original {row['twin_of']} both extracted")
        continue
    check(d["text"] == orig["text"], f"twin {row['file']} has the same text as {row['twin_of']}")
    want = CHARSET.get(row["encoding"])
    if want:
        check(d["meta"]["charset"].lower() == want.lower(),
              f"{row['file']}: charset {d['meta']['charset']} == {want}")
    src = d["meta"]["charset_source"]
    if row["meta_declared"] == "yes":
        check(src == "meta", f"{row['file']}: declared charset taken from <meta> (got {src})")
    else:
        check(src == "detected", f"{row['file']}: charset detected (got {src})")

# Real EUC-JP pages without any declaration (namazu2-common) decode to Japanese.
euc_undeclared = [row for row in rows if row["encoding"] == "euc-jp" and row["meta_declared"] == "no"
                  and row["lang"] == "ja" and row.get("twin_of", "-") == "-"]
check(len(euc_undeclared) > 0, "sample has real EUC-JP pages without a declared charset")
for row in euc_undeclared:
    d = ja.get(row["file"])
    if d:
        check(d["meta"]["charset"].upper() == "EUC-JP", f"{row['file']}: detected EUC-JP")
        check("\ufffd" not in d["text"], f"{row['file']}: no replacement characters")

# Document fields and meta.
some = next(iter(ja.values()))
for key in ("id", "text", "source", "lang", "url", "created", "meta"):
    check(key in some, f"document has field {key}")
check(some["source"] == "cc" and some["id"].startswith("urn:uuid:"), "source cc, id from WARC-Record-ID")
for key in ("warc_file", "warc_offset", "http_status", "charset", "normalization"):
    check(key in some["meta"], f"meta has {key}")
check(all("\r" not in d["text"] and "\u3000" not in d["text"] for d in ja.values()),
      "texts are normalized (no CR, no ideographic space after NFKC)")

# Statistics in the run database agree with the outputs.
db = os.path.join(out, "jaforge.db")
q = subprocess.run(["sqlite3", db, "SELECT stats FROM tasks WHERE stage='extract'"],
                   capture_output=True, text=True)
stats = json.loads(q.stdout.strip().splitlines()[0]) if q.returncode == 0 and q.stdout.strip() else {}
check(stats.get("kept", {}).get("ja") == len(read_docs(ja_path)), f"stats kept.ja matches output ({stats.get('kept')})")
check(stats.get("kept", {}).get("en") == len(read_docs(en_path)), "stats kept.en matches output")
check(stats.get("dropped", {}).get("lang_other", 0) >= 15, "Chinese pages counted as lang_other")

# --- every other container gives the same documents -----------------------------------
def texts(docs):
    return {k: v["text"] for k, v in docs.items()}

for name in ("sample.warc", "sample-whole.warc.gz", "sample.warc.zst"):
    o = os.path.join(work, name.replace(".", "_"))
    r = run(["extract", "-q", "--out", o, os.path.join(DATA, "warc", name)])
    check(r.returncode == 0, f"{name}: exit 0 ({r.stderr.strip()})")
    stem = name.split(".")[0]
    got_ja = docs_by_file(read_docs(os.path.join(o, f"ja/{stem}.jsonl.zst")))
    got_en = docs_by_file(read_docs(os.path.join(o, f"en/{stem}.jsonl.zst")))
    check(texts(got_ja) == texts(ja), f"{name}: same Japanese documents as sample.warc.gz")
    check(texts(got_en) == texts(en), f"{name}: same English documents as sample.warc.gz")

# --- --lang ja: the pre-filter drops non-Japanese pages early but loses none -------------
o = os.path.join(work, "ja-only")
r = run(["extract", "-q", "--lang", "ja", "--out", o, os.path.join(DATA, "warc/sample.warc.gz")])
check(r.returncode == 0, "--lang ja: exit 0")
check(not os.path.exists(os.path.join(o, "en")), "--lang ja writes no en folder")
only = docs_by_file(read_docs(os.path.join(o, "ja/sample.jsonl.zst")))
check(texts(only) == texts(ja), "--lang ja keeps exactly the Japanese documents")
q = subprocess.run(["sqlite3", os.path.join(o, "jaforge.db"), "SELECT stats FROM tasks"],
                   capture_output=True, text=True)
st = json.loads(q.stdout.strip()) if q.returncode == 0 and q.stdout.strip() else {}
check(st.get("dropped", {}).get("prefilter", 0) >= 30, f"pre-filter dropped the English pages ({st.get('dropped')})")

# --- standard input ("-") reads the same stream --------------------------------------------
o = os.path.join(work, "stdin")
with open(os.path.join(DATA, "warc/sample.warc.gz"), "rb") as f:
    r = subprocess.run([JAFORGE, "extract", "-q", "--out", o, "-"], stdin=f,
                       capture_output=True, text=True)
check(r.returncode == 0, f"stdin: exit 0 ({r.stderr})")
check(texts(docs_by_file(read_docs(os.path.join(o, "ja/stdin.jsonl.zst")))) == texts(ja),
      "stdin: same Japanese documents as the file")

# --- WET: conversion records carry text already; it comes back unchanged --------------
import gzip
import uuid


def wet_record(rtype, block, uri=None):
    h = [("WARC-Type", rtype), ("WARC-Date", "2026-01-01T00:00:00Z"),
         ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>")]
    if uri:
        h += [("WARC-Target-URI", uri), ("WARC-Refers-To", f"<urn:uuid:{uuid.uuid4()}>")]
    h += [("Content-Type", "text/plain" if rtype == "conversion" else "application/warc-fields"),
          ("Content-Length", str(len(block)))]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h) + "\r\n"
    return gzip.compress(head.encode() + block + b"\r\n\r\n")


wet = os.path.join(work, "sample.warc.wet.gz")
with open(wet, "wb") as f:
    f.write(wet_record("warcinfo", b"software: jaforge test\r\n"))
    for d in list(ja.values()) + list(en.values()):
        f.write(wet_record("conversion", d["text"].encode("utf-8"), d["url"]))
o = os.path.join(work, "wet")
r = run(["extract", "-q", "--out", o, wet])
check(r.returncode == 0, f"WET: exit 0 ({r.stderr})")
wja = docs_by_file(read_docs(os.path.join(o, "ja/sample.jsonl.zst")))
wen = docs_by_file(read_docs(os.path.join(o, "en/sample.jsonl.zst")))
check(texts(wja) == texts(ja), f"WET: the Japanese texts come back unchanged ({len(wja)} of {len(ja)})")
check(texts(wen) == texts(en), f"WET: the English texts come back unchanged ({len(wen)} of {len(en)})")
check(all(d["meta"]["warc_type"] == "conversion" for d in wja.values()), "WET: warc_type conversion")

# --- usage errors -----------------------------------------------------------------------
r = run(["extract"])
check(r.returncode == 2 and "jaforge:" in r.stderr, "no arguments: exit 2 with a message")
r = run(["extract", "--out", work, "/nonexistent/x.warc.gz"])
check(r.returncode == 1 and "/nonexistent/x.warc.gz" in r.stderr, "missing input: exit 1 naming it")
r = run(["extract", "--help"])
check(r.returncode == 0 and "--out" in r.stdout, "--help: exit 0 with usage")
r = run(["extract", "--lang", "fr", "--out", work, DATA])
check(r.returncode == 2, "unknown language: exit 2")
r = run(["--version"])
check(r.returncode == 0 and r.stdout.startswith("jaforge ") and "zstd" in r.stdout, "--version")
finish()
