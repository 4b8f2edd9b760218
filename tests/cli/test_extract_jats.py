"""test_extract_jats.py: J-STAGE articles in JATS XML through `jaforge extract`,
made from real Japanese and English sentences of the sample WARC. Each
article gives a Japanese document (title, abstract, body) and an English one
(translated title and abstract), split by xml:lang; authors, affiliations,
references, tables and figures stay out; the DOI names both. J-STAGE Web API
search results (Atom) give each entry's titles in both languages."""
import gzip
import os
import re
from xml.sax.saxutils import escape

from jftest import DATA, check, finish, read_docs, require_data, run, tmpdir

require_data("warc/sample.warc.gz")
work = tmpdir()
base = os.path.join(work, "base")
run(["extract", "-q", "--out", base, os.path.join(DATA, "warc/sample.warc.gz")])
KANA = re.compile(r"[\u3040-\u30ff]")
ja_lines = [l for d in read_docs(os.path.join(base, "ja/sample.jsonl.zst")) for l in d["text"].split("\n")
            if len(l) >= 20 and KANA.search(l) and "<" not in l and "&" not in l]
en_lines = [l for d in read_docs(os.path.join(base, "en/sample.jsonl.zst")) for l in d["text"].split("\n")
            if len(l) >= 40 and not KANA.search(l) and "<" not in l and "&" not in l and l.count(" ") > 5]
check(len(ja_lines) > 100 and len(en_lines) > 50, "enough real sentences")

articles = []
for k in range(8):
    J = ja_lines[k * 6:(k + 1) * 6]
    E = en_lines[k * 3:(k + 1) * 3]
    doi = f"10.1234/jtest.{k}"
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.1 20151215//EN" "JATS-archivearticle1.dtd">
<article xml:lang="ja" article-type="research-article">
<front>
<journal-meta><journal-title-group><journal-title>テスト学会誌</journal-title></journal-title-group></journal-meta>
<article-meta>
<article-id pub-id-type="doi">{doi}</article-id>
<title-group><article-title>{escape(J[0])}</article-title>
<trans-title-group xml:lang="en"><trans-title>{escape(E[0])}</trans-title></trans-title-group></title-group>
<contrib-group><contrib><name><surname>山田</surname><given-names>太郎</given-names></name></contrib></contrib-group>
<aff>東京大学</aff>
<pub-date pub-type="epub"><year>2021</year><month>4</month><day>{k + 1}</day></pub-date>
<abstract><p>{escape(J[1])}</p><p>{escape(J[2])}</p></abstract>
<trans-abstract xml:lang="en"><p>{escape(E[1])}</p><p>{escape(E[2])}</p></trans-abstract>
</article-meta>
</front>
<body>
<sec><title>{escape(J[3])}</title><p>{escape(J[4])}<xref ref-type="bibr" rid="b1">1)</xref></p>
<table-wrap><caption><p>表の説明は入らない</p></caption><table><tr><td>セル</td></tr></table></table-wrap>
<p>{escape(J[5])}</p></sec>
</body>
<back><ref-list><ref id="b1"><mixed-citation>参考文献は入らない</mixed-citation></ref></ref-list></back>
</article>
"""
    name = f"jstage-{k}.xml" + (".gz" if k % 2 else "")
    path = os.path.join(work, "in", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(gzip.compress(xml.encode()) if k % 2 else xml.encode())
    want_ja = "\n".join([J[0], J[1], J[2], J[3], J[4] + "1)", J[5]])
    want_en = "\n".join(E)
    articles.append((doi, want_ja, want_en, k))

out = os.path.join(work, "out")
r = run(["extract", "-q", "--out", out, os.path.join(work, "in")])
check(r.returncode == 0, f"exit 0 ({r.stderr[:300]})")
check("bad" not in r.stderr, "no record reported bad")
got = {}
for lang in ("ja", "en"):
    for f in os.listdir(os.path.join(out, lang)):
        for d in read_docs(os.path.join(out, lang, f)):
            got[d["id"]] = d
for doi, want_ja, want_en, k in articles:
    dj, de = got.get(f"jstage:{doi}:ja"), got.get(f"jstage:{doi}:en")
    check(dj is not None and dj["text"] == want_ja and dj["lang"] == "ja",
          f"{doi}: Japanese document is title, abstract, body\n  got:  {dj and dj['text']!r}\n  want: {want_ja!r}")
    check(de is not None and de["text"] == want_en and de["lang"] == "en",
          f"{doi}: English document is the translated title and abstract")
    if dj:
        check(dj["source"] == "jstage" and dj["url"] == f"https://doi.org/{doi}" and
              dj["created"] == f"2021-04-{k + 1:02d}", f"{doi}: source, url, created")
        check("山田" not in dj["text"] and "参考文献" not in dj["text"] and "表の説明" not in dj["text"],
              f"{doi}: authors, references and tables left out")
# A truncated article keeps the text before the cut (title and abstract) and is reported.
src = open(os.path.join(work, "in", "jstage-0.xml"), encoding="utf-8").read()
cut = os.path.join(work, "cut.xml")
open(cut, "w", encoding="utf-8").write(src[: src.index("<body>")])
r = run(["extract", "-q", "--out", os.path.join(work, "cut"), cut])
d = read_docs(os.path.join(work, "cut", "ja", "cut.jsonl.zst"))
check(r.returncode == 0 and "malformed XML" in r.stderr, f"truncated article reported ({r.stderr[:200]})")
check(len(d) == 1 and d[0]["text"] == "\n".join(articles[0][1].split("\n")[:3]),
      "truncated article: title and abstract kept")
# J-STAGE Web API search results: an Atom feed, titles (and abstracts) in ja and en per entry.
entries = []
for k in range(6):
    tj, te = ja_lines[60 + k][:60].strip(), en_lines[40 + k]
    entries.append((f"10.5555/atom.{k}", tj, te))
feed = ['<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">',
        "<title>J-STAGE API</title><totalResults>6</totalResults>"]
for doi, tj, te in entries:
    feed.append(f"<entry><article_title><en><![CDATA[{te}]]></en><ja><![CDATA[{tj}]]></ja></article_title>"
                f"<article_link><en>https://www.jstage.jst.go.jp/article/x/{doi}/_article</en>"
                f"<ja>https://www.jstage.jst.go.jp/article/x/{doi}/_article/-char/ja/</ja></article_link>"
                f"<author><ja><name>山田 太郎</name></ja></author><pubyear>2019</pubyear>"
                f"<prism:doi>{doi}</prism:doi></entry>")
feed.append("</feed>")
atom = os.path.join(work, "jstage-search.xml")
open(atom, "w", encoding="utf-8").write("\n".join(feed))
r = run(["extract", "-q", "--out", os.path.join(work, "atom"), atom])
check(r.returncode == 0, f"Atom feed: exit 0 ({r.stderr[:200]})")
aj = {d["id"]: d for d in read_docs(os.path.join(work, "atom", "ja", "jstage-search.jsonl.zst"))}
ae = {d["id"]: d for d in read_docs(os.path.join(work, "atom", "en", "jstage-search.jsonl.zst"))}
for doi, tj, te in entries:
    dj, de = aj.get(f"jstage:{doi}:ja"), ae.get(f"jstage:{doi}:en")
    check(dj is not None and dj["text"] == tj and dj["url"].endswith("/-char/ja/") and dj["created"] == "2019",
          f"Atom {doi}: Japanese title, link and year")
    check(de is not None and de["text"] == te and de["url"].endswith("/_article"), f"Atom {doi}: English title")
    if dj:
        check("山田" not in dj["text"], f"Atom {doi}: authors left out")
finish()
