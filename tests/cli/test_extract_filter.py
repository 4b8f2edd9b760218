"""test_extract_filter.py: `jaforge extract --filter` filters each page as it
is extracted (one pass, no intermediate documents) and writes the same bytes
as `jaforge extract` followed by `jaforge filter`: kept and rejected
documents, per language, on the sample WARC crawled from Debian's
documentation, with 1 and 2 threads and with a profile override; the run
database keeps each language's filter statistics, the same as filter's."""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jftest import DATA, ROOT, check, finish, read_docs, require_data, run, tmpdir  # noqa: E402

require_data("warc/sample.warc.gz", "warc/sample.warc.zst")
work = tmpdir()
inputs = [os.path.join(DATA, "warc/sample.warc.gz"), os.path.join(DATA, "warc/sample.warc.zst")]
JA = os.path.join(ROOT, "pipelines", "demo-ja.ini")
SET = "ja_min_chars.min=120"


def task_stats(db, stage):
    con = sqlite3.connect(db)
    rows = [(os.path.basename(i), json.loads(s)) for i, s in con.execute(
        "SELECT inputs.path, tasks.stats FROM tasks JOIN inputs ON inputs.id = tasks.input_id "
        "WHERE stage = ? AND status = 'done'", (stage,))]
    con.close()
    return dict(rows)


# Two passes: extract, then filter each language.
two = os.path.join(work, "two")
r = run(["extract", "-q", "--out", f"{two}/extract", *inputs])
check(r.returncode == 0, f"extract ({r.stderr[-300:]})")
for lang, prof, sets in (("ja", JA, ["--set", SET]), ("en", "gopher-en", [])):
    r = run(["filter", "-q", "--profile", prof, *sets, "--out", f"{two}/filter/{lang}", f"{two}/extract/{lang}"])
    check(r.returncode == 0, f"filter {lang} ({r.stderr[-300:]})")
ref = task_stats(f"{two}/filter/ja/jaforge.db", "filter")

for threads in ("1", "2"):
    one = os.path.join(work, f"one-{threads}")
    r = run(["extract", "-j", threads, "--out", f"{one}/extract", "--filter", f"ja={JA}",
             "--filter-set", f"ja:{SET}", "--filter", "en=gopher-en", "--filter-out", f"{one}/filter", *inputs])
    check(r.returncode == 0, f"-j{threads}: extract --filter exit 0 ({r.stderr[-300:]})")
    check("filter ja" in r.stderr and "kept" in r.stderr, "the summary tells what the filters kept")
    for lang in ("ja", "en"):
        for part in ("kept", "rejected"):
            for stem in ("sample", "sample-2"):
                a = f"{two}/filter/{lang}/{part}/{stem}.jsonl.zst"
                b = f"{one}/filter/{lang}/{part}/{stem}.jsonl.zst"
                same = os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read()
                check(same, f"-j{threads}: {lang}/{part}/{stem} byte-identical to extract + filter")
    left = sorted(os.listdir(f"{one}/extract"))
    check(left == ["jaforge.db"], f"-j{threads}: no intermediate documents ({left})")
    got = task_stats(f"{one}/extract/jaforge.db", "extract+filter")
    check(len(got) == 2, f"-j{threads}: one extract+filter task per input ({len(got)})")
    for name, st in got.items():
        stem = "sample" if name.endswith(".gz") else "sample-2"
        f = st.get("filter", {}).get("ja", {})
        want = ref.get(f"{stem}.jsonl.zst", {})
        check(f.get("rules") == want.get("rules") and f.get("kept_docs") == want.get("kept_docs"),
              f"-j{threads}: {name}: ja filter statistics as filter's")
        check(st["filtered"]["ja"] == f.get("kept_docs") and st["kept"]["ja"] == f.get("docs"),
              f"-j{threads}: {name}: filtered/kept counts agree")
        kept = read_docs(f"{one}/filter/ja/kept/{stem}.jsonl.zst")
        check(len(kept) == st["filtered"]["ja"], f"-j{threads}: {name}: {len(kept)} kept ja documents on disk")
        rej = read_docs(f"{one}/filter/ja/rejected/{stem}.jsonl.zst")
        check(rej and all(d["meta"].get("rejected_by") for d in rej), "rejected ones say why")

# Resume: a second run skips both inputs; a plain extract into the same
# folder is another task (it does not pass for the filtered one).
one = os.path.join(work, "one-1")
r = run(["extract", "--out", f"{one}/extract", "--filter", f"ja={JA}", "--filter-set", f"ja:{SET}",
         "--filter", "en=gopher-en", "--filter-out", f"{one}/filter", *inputs])
check(r.returncode == 0 and "2 skipped" in r.stderr, f"re-run skips both inputs ({r.stderr[-200:]})")
r = run(["extract", "-q", "--out", f"{one}/extract", "--lang", "en", inputs[0]])
check(r.returncode == 0 and os.path.exists(f"{one}/extract/en/sample.jsonl.zst"),
      "a plain extract is a task of its own")

# Bad usage: a clear error, exit 2.
for args, what in ((["--filter", "ja=swallow-ja"], "--filter-out"), (["--filter", "xx=swallow-ja",
                   "--filter-out", "f"], "LANG=PROFILE"), (["--filter-set", "ja-nocolon", "--filter-out", "f"],
                   "LANG:RULE.KEY=VALUE")):
    r = run(["extract", "--out", f"{work}/bad", *args, inputs[0]])
    check(r.returncode == 2 and what in r.stderr, f"bad usage {args}: exit 2 naming {what} ({r.stderr.strip()[:120]})")
r = run(["extract", "--out", f"{work}/bad2", "--filter", "ja=no-such-profile", "--filter-out", f"{work}/f2", inputs[0]])
check(r.returncode != 0 and "no-such-profile" in r.stderr, f"unknown profile: a clear error ({r.stderr.strip()[:160]})")
finish()
