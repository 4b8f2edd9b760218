"""make_dump.py DOCS_JSONL_ZST OUT.xml N_PAGES: writes a pages-articles XML
dump whose articles are real sentences (from jaforge documents) wrapped in
the wikitext markup of a typical Japanese Wikipedia article (infobox
template, references, headings, lists, a table, links, categories)."""
import json
import subprocess
import sys
from xml.sax.saxutils import escape

docs = [json.loads(l) for l in subprocess.run(["zstd", "-dcq", sys.argv[1]], capture_output=True,
                                              check=True).stdout.decode().splitlines()]
lines = [l for d in docs for l in d["text"].split("\n") if len(l) > 20]
out = open(sys.argv[2], "w", encoding="utf-8")
out.write('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="ja">\n'
          "<siteinfo><dbname>jawiki</dbname><base>https://ja.wikipedia.org/wiki/メインページ</base></siteinfo>\n")
k = 0
for i in range(int(sys.argv[3])):
    parts = ["{{Infobox 記事\n|名前 = 記事%d\n|画像 = [[ファイル:x%d.jpg|thumb|説明]]\n}}" % (i, i)]
    for s in range(8):
        l = lines[k % len(lines)]; k += 1
        parts.append("== 節 %d ==\n'''%s'''は[[リンク|%s]]<ref>出典 %d</ref>\n* %s\n" %
                     (s, l[:10], l, s, lines[(k + 7) % len(lines)]))
    parts.append('{| class="wikitable"\n|-\n| a || b\n|}\n[[Category:テスト]]\n[[en:Test]]')
    text = "\n".join(parts)
    out.write(f"<page><title>記事 {i}</title><ns>0</ns><id>{i + 1}</id><revision><id>{i + 9}</id>"
              f"<timestamp>2024-01-01T00:00:00Z</timestamp><text xml:space=\"preserve\">{escape(text)}</text>"
              "</revision></page>\n")
out.write("</mediawiki>\n")
