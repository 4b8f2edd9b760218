"""test_report.py: `jaforge report` on a real demo run (short training):
the page parses as HTML with every <svg> closed, has each chart section, its
numbers match the run databases and the blend plan, it loads nothing from
outside, and headless Chromium (Debian package `chromium`) renders it: a
screenshot that is not blank and a DOM that holds the SVG charts."""
import html.parser
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import DATA, check, finish, require_data, run, tmpdir  # noqa: E402

require_data("warc/sample.warc.gz")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RECIPE = os.path.join(ROOT, "pipelines", "demo.conf")
SETS = ["--set", f"data={DATA}",
        "--set", "train.set=train.steps=10 train.eval_interval=5 train.ckpt_interval=5 "
                 "model.vocab_size=4000"]
SECTIONS = ["funnel", "filter-rules", "extract-drops", "languages", "lengths", "dedup",
            "tokenizer", "mixture", "training"]
work = os.path.join(tmpdir(), "run")

r = run(["report", work])
check(r.returncode == 2, f"report of a missing directory: exit 2 ({r.stderr.strip()})")
r = run(["report"])
check(r.returncode == 2, "report without DIR: exit 2")

r = run(["run", RECIPE, "--workdir", work, *SETS])
check(r.returncode == 0, f"demo run exit 0 ({r.stderr[-500:]})")
r = run(["report", work])
check(r.returncode == 0, f"report exit 0 ({r.stderr[-500:]})")
page = os.path.join(work, "report", "index.html")
check(os.path.exists(page) and not os.path.exists(page + ".tmp"), "index.html written, no .tmp left")
text = open(page, encoding="utf-8").read()


class Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.sections, self.svgs, self.external = [], [], [], 0, []
        self.tables = {}   # section id -> list of rows (lists of cell text)
        self.section = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("meta", "rect", "line", "circle", "path", "polyline", "br"):
            return
        self.stack.append(tag)
        if tag == "section":
            self.section = a.get("id")
            self.sections.append(self.section)
        if tag == "svg":
            self.svgs += 1
        if tag in ("script", "link", "img", "iframe") or any(
                k in ("src", "href") for k in a):
            self.external.append(tag)
        if tag == "tr":
            self.tables.setdefault(self.section, []).append([])
        if tag in ("td", "th"):
            self.tables[self.section][-1].append("")

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in ("meta", "rect", "line", "circle", "path", "polyline", "br"):
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("td", "th") and self.section in self.tables:
            self.tables[self.section][-1][-1] += data


p = Parser()
p.feed(text)
p.close()
check(not p.errors and not p.stack, f"tags nest and close ({p.errors[:3]}, open {p.stack})")
check(p.sections == SECTIONS, f"every section, in order ({p.sections})")
check(text.count("<svg") == text.count("</svg>") >= 12, f"SVG charts closed ({text.count('<svg')})")
check(not p.external, f"nothing loaded from outside ({p.external})")
check("not run" not in text, "no section 'not run' after a full run")


def cell(section, row, col):
    rows = p.tables.get(section, [])
    header = None
    for r in rows:
        if header is None and r and r[0] in ("stage", "rule", "reason", "language", "source",
                                             "characters", "documents", "size", "dataset"):
            header = r
            continue
        if header and r and r[0] == row and col in header:
            return r[header.index(col)]
        if r and r[0] in ("stage", "rule", "reason", "language", "source", "characters",
                          "documents", "size", "dataset", "lang", "series"):
            header = r
    return None


def stats(db, stage):
    con = sqlite3.connect(os.path.join(work, db, "jaforge.db"))
    rows = [json.loads(s) for (s,) in con.execute(
        "SELECT stats FROM tasks WHERE stage = ? AND status = 'done'", (stage,))]
    con.close()
    return rows


ex = stats("extract", "extract+filter")    # the demo filters as it extracts
check(len(ex) > 0, "the demo's extract step filtered as it went (stage extract+filter)")
for lang in ("ja", "en"):
    kept = sum(s["kept"][lang] for s in ex)
    check(cell("funnel", "extracted", lang) == str(kept), f"funnel extracted {lang} = {kept}")
    f = [s["filter"][lang] for s in ex]
    kept = sum(s["kept_docs"] for s in f)
    check(cell("funnel", "filtered", lang) == str(kept), f"funnel filtered {lang} = {kept}")
    for rule, st in f[0]["rules"].items():
        if st["docs_first"]:
            check(cell("filter-rules", rule, lang) == str(st["docs_first"]),
                  f"rule {rule} {lang} = {st['docs_first']} ({cell('filter-rules', rule, lang)})")
    d = stats(f"dedup/{lang}", "dedup")
    out = sum(s["docs_out"] for s in d)
    check(cell("funnel", "deduplicated", lang) == str(out), f"funnel deduplicated {lang} = {out}")
    exact = sum(s["removed_exact"] for s in d)
    check(cell("dedup", "exact duplicates", lang) == str(exact), f"dedup exact {lang} = {exact}")
    r = subprocess.run(["zstd", "-dcq"] + [os.path.join(work, "dedup", lang, n) for n in
                       sorted(os.listdir(os.path.join(work, "dedup", lang))) if n.endswith(".jsonl.zst")],
                       capture_output=True, check=True)
    docs = [json.loads(x) for x in r.stdout.decode().splitlines() if x]
    chars = sum(len(x["text"]) for x in docs)
    check(cell("funnel", "deduplicated", lang) == str(len(docs)), f"dedup outputs hold {len(docs)} {lang} docs")
    lengths = [cell("lengths", b, lang) for b in ("<100", "100-299", "300-999", "1k-3k", "3k-10k",
                                                  "10k-30k", "30k-100k", ">=100k")]
    check(sum(int(x or 0) for x in lengths) == len(docs), f"length histogram {lang} sums to {len(docs)}")
    for reason, n in ex[0]["dropped"].items():
        check(cell("extract-drops", reason, "documents") == str(n), f"drop reason {reason} = {n}")

plan = json.load(open(os.path.join(work, "blend", "plan.json")))
for ds in plan["datasets"]:
    name = os.path.basename(ds["prefix"])
    want = ds["weight_normalized"] * 100
    got = cell("mixture", name, "requested %")
    check(got is not None and abs(float(got) - want) < 0.05, f"mixture {name} requested {want} ({got})")
    cpt = cell("tokenizer", name, "characters per token")
    check(cpt is not None and 1.0 < float(cpt) < 6.0, f"characters per token {name} plausible ({cpt})")
steps = [line for line in open(os.path.join(work, "train", "log.csv")) if line[:1].isdigit()]
check(re.search(r"<td>loss</td><td class=\"num\">%d</td>" % len(steps), text) is not None,
      f"training table counts {len(steps)} loss points")
check(text.count("<polyline") == 3, f"three loss curves ({text.count('<polyline')})")

# Headless Chromium: screenshot and DOM.
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    check(False, "headless Chromium not found: install Debian's package with "
                 "`apt-get install -y chromium` (scripts/install-deps.sh lists it)")
    finish()
shot = os.path.join(work, "report", "shot.png")
flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={os.path.join(work, 'chromium-profile')}"]
url = "file://" + os.path.abspath(page)
r = subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1200,3000", url],
                   capture_output=True, text=True, timeout=300)
ok = r.returncode == 0 and os.path.exists(shot)
check(ok, f"chromium screenshot ({r.returncode}: {r.stderr[-300:]})")
if ok:
    png = open(shot, "rb").read()
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is a PNG")
    # A blank 1200x3000 page compresses to a few KB; charts and text take far more.
    check(len(png) > 40000, f"screenshot is not blank ({len(png)} bytes)")
r = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=300)
dom = r.stdout
check(r.returncode == 0 and dom.count("<svg") == text.count("<svg") and "<rect" in dom,
      f"the DOM holds the {text.count('<svg')} SVG charts ({dom.count('<svg')})")
for s in SECTIONS:
    check(f'<section id="{s}">' in dom, f"section {s} in the DOM")
finish()
