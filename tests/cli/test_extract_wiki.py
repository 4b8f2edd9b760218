"""test_extract_wiki.py: Wikipedia XML dumps through `jaforge extract`: a
bzip2 multistream pages-articles dump (siteinfo, streams of pages, footer)
written from real Japanese and English sentences of the sample WARC, wrapped
in wikitext markup of every kind (templates, infobox, references, tables,
files, categories, interlanguage links, headings, lists, bold/italic).
Each main-namespace article must come out with exactly its sentences;
redirects and other namespaces are skipped; a truncated or malformed dump
keeps the pages before the damage (for malformed XML, all but possibly the
one right before it, which libxml2's reader has parsed ahead)."""
import bz2
import os
import re
from xml.sax.saxutils import escape

from jftest import DATA, check, finish, read_docs, require_data, run, tmpdir

require_data("warc/sample.warc.gz")
work = tmpdir()
base = os.path.join(work, "base")
run(["extract", "-q", "--out", base, os.path.join(DATA, "warc/sample.warc.gz")])
ja = read_docs(os.path.join(base, "ja/sample.jsonl.zst"))
en = read_docs(os.path.join(base, "en/sample.jsonl.zst"))

MARKUP = re.compile(r"[\[\]{}<>|'&=*#:;_~\\]")


KANA = re.compile(r"[\u3040-\u30ff]")


def clean_lines(doc, n, lang):
    """n real lines that hold no wikitext syntax and are in the language."""
    out = [l for l in doc["text"].split("\n") if len(l) >= 12 and not MARKUP.search(l) and l == l.strip()
           and bool(KANA.search(l)) == (lang == "ja")]
    return out[:n] if len(out) >= n else None


articles = []   # (page id, title, wikitext, expected text, lang)
for lang, docs in (("ja", ja), ("en", en)):
    for d in docs:
        ls = clean_lines(d, 3, lang)
        if not ls:
            continue
        i = len(articles)
        word = "見出し語" if lang == "ja" else "Headword"
        wt = (f"{{{{Infobox 記事|名前=ページ{i}|画像=[[File:x{i}.png|thumb|説明]]}}}}\n"
              f"'''{word}{i}''' {ls[0]}<ref>出典 {i}</ref>\n"
              f"== 節 {i} ==\n"
              f"* [[リンク先 {i}|{ls[1]}]]\n"
              "{| class=\"wikitable\"\n|-\n| 表の中身 || 消える\n|}\n"
              f": {ls[2]}\n"
              "[[Category:テスト]]\n[[en:Test]]\n")
        want = f"{word}{i} {ls[0]}\n節 {i}\n{ls[1]}\n{ls[2]}"
        articles.append((100 + i, f"記事 {i}", wt, want, lang))
        if len(articles) >= (40 if lang == "ja" else 46):
            break
check(len(articles) >= 40, f"enough real articles to test ({len(articles)})")


def page(pid, title, text, ns=0, redirect=None):
    red = f'<redirect title="{escape(redirect)}" />' if redirect else ""
    return (f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>{pid}</id>{red}"
            f"<revision><id>{pid * 10}</id><timestamp>2024-03-0{pid % 9 + 1}T00:00:00Z</timestamp>"
            f'<text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text></revision></page>\n')


head = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="ja">\n'
        "<siteinfo><sitename>Wikipedia</sitename><dbname>jawiki</dbname>"
        "<base>https://ja.wikipedia.org/wiki/メインページ</base></siteinfo>\n")
pages = [page(pid, t, wt) for pid, t, wt, _, _ in articles]
pages.append(page(9001, "転送", "#転送 [[記事 1]]", redirect="記事 1"))
pages.append(page(9002, "Template:Infobox", "{{{名前}}} テンプレートの本文です。", ns=10))
unclosed_text = "未完結のテンプレートより前の本文はここにあります。日本語の文章です。\n{{閉じない|..."
pages.append(page(9003, "未完結", unclosed_text))
streams = [head] + ["".join(pages[i:i + 5]) for i in range(0, len(pages), 5)] + ["</mediawiki>\n"]
dump = b"".join(bz2.compress(s.encode()) for s in streams)
path = os.path.join(work, "jawiki-latest-pages-articles-multistream.xml.bz2")
open(path, "wb").write(dump)

out = os.path.join(work, "out")
r = run(["extract", "-q", "--out", out, path])
check(r.returncode == 0, f"exit 0 ({r.stderr[:300]})")
stem = "jawiki-latest-pages-articles-multistream"
got = {}
for lang in ("ja", "en"):
    p = os.path.join(out, lang, stem + ".jsonl.zst")
    for d in read_docs(p) if os.path.exists(p) else []:
        got[d["id"]] = d
for pid, title, _, want, lang in articles:
    d = got.get(f"wikipedia:jawiki:{pid}")
    if not d:
        check(False, f"article {pid} extracted")
        continue
    check(d["text"] == want, f"article {pid}: text is exactly its sentences\n  got:  {d['text']!r}\n  want: {want!r}")
    check(d["lang"] == lang, f"article {pid}: language {lang} (got {d['lang']})")
check(all(d["source"] == "wikipedia" for d in got.values()), "source wikipedia")
d = got.get("wikipedia:jawiki:100")
check(d is not None and d["url"] == "https://ja.wikipedia.org/wiki/記事_0" and d["created"].startswith("2024-03-"),
      f"url from <base> and title, created from the revision ({d and d['url']})")
check("wikipedia:jawiki:9001" not in got and "wikipedia:jawiki:9002" not in got,
      "redirects and other namespaces skipped")
u = got.get("wikipedia:jawiki:9003")
check(u is not None and u["text"] == unclosed_text.split("\n")[0], "an unclosed template drops only what follows it")

# Truncated dump: the pages in the complete streams before the cut still come out.
cut = os.path.join(work, "cut-pages-articles.xml.bz2")
open(cut, "wb").write(dump[: len(dump) * 2 // 3])
r = run(["extract", "-q", "--out", os.path.join(work, "cut"), cut])
n = sum(len(read_docs(os.path.join(work, "cut", l, "cut-pages-articles.jsonl.zst"))) for l in ("ja", "en"))
check(r.returncode == 0 and cut in r.stderr, f"truncated dump: exit 0, reported ({r.stderr[:200]})")
check(len(articles) // 3 < n < len(articles), f"truncated dump: the pages before the cut come out ({n})")

# Malformed XML in the middle: the pages before it still come out.
bad = head + "".join(pages[:10]) + "<page><title>壊れた</ti></page>" + "".join(pages[10:20]) + "</mediawiki>"
badp = os.path.join(work, "bad-pages-articles.xml")
open(badp, "w", encoding="utf-8").write(bad)
r = run(["extract", "-q", "--out", os.path.join(work, "bad"), badp])
n = sum(len(read_docs(os.path.join(work, "bad", l, "bad-pages-articles.jsonl.zst"))) for l in ("ja", "en"))
check(r.returncode == 0 and "malformed XML" in r.stderr, f"malformed XML reported ({r.stderr[:200]})")
# libxml2's reader parses ahead, so the page just before the damage can be lost with it.
check(9 <= n <= 10, f"malformed XML: the pages before it come out ({n} of 10)")
finish()
