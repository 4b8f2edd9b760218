"""test_filter_cli.py: `jaforge filter` on real documents extracted at test
time from the sample WARC (Debian documentation pages, Japanese and English).

Checks: every document ends up kept or rejected; rejected ones carry their
failing rules in meta.rejected_by (profile order); the character-class rules
agree with an independent Python computation of the definitions in
docs/filters.md; the printed per-rule table and the run database agree with
the outputs; with the n-gram and long-sentence rules switched off some pages
are kept, and every kept page satisfies the class rules; re-runs skip; a
malformed input line is reported as FILE:OFFSET and skipped; --explain;
gopher-en on the English pages; bad usage exits 2."""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import check, extract_sample, finish, read_docs, run, tmpdir

work = tmpdir()
ext = extract_sample(work)
JA = os.path.join(ext, "ja", "sample.jsonl.zst")
EN = os.path.join(ext, "en", "sample.jsonl.zst")
ja_docs = read_docs(JA)
en_docs = read_docs(EN)
check(len(ja_docs) > 100, f"extracted Japanese pages ({len(ja_docs)})")

SPACE = set(" \t\n\v\f\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | \
    {chr(c) for c in range(0x2000, 0x200B)}


def is_hira(c):
    o = ord(c)
    return 0x3041 <= o <= 0x3096 or 0x309D <= o <= 0x309F


def is_kata(c):
    o = ord(c)
    return (0x30A1 <= o <= 0x30FA or 0x30FC <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF
            or 0xFF66 <= o <= 0xFF9D)


def is_kanji(c):
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF
            or 0x20000 <= o <= 0x3134F or o in (0x3005, 0x3006))


def class_rules(text):
    """The Swallow character-class rules that fail, by the documented definitions."""
    chars = [c for c in text if c not in SPACE]
    h = sum(map(is_hira, chars))
    k = sum(map(is_kata, chars))
    j = h + k + sum(map(is_kanji, chars))
    fails = set()
    if len(chars) < 400:
        fails.add("ja_min_chars")
    if j < 400:
        fails.add("ja_min_ja_chars")
    if not ((h / j if j else 0.0) >= 0.2):
        fails.add("ja_hiragana_ratio")
    if not ((k / j if j else 0.0) <= 0.5):
        fails.add("ja_katakana_ratio")
    if not ((j / len(chars) if chars else 0.0) >= 0.5):
        fails.add("ja_japanese_ratio")
    return fails


CLASS_RULES = {"ja_min_chars", "ja_min_ja_chars", "ja_hiragana_ratio", "ja_katakana_ratio",
               "ja_japanese_ratio"}


def parse_table(stdout):
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            rows[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return rows


def outputs(out, stem="sample"):
    kept = read_docs(os.path.join(out, "kept", stem + ".jsonl.zst"))
    rej = read_docs(os.path.join(out, "rejected", stem + ".jsonl.zst"))
    return kept, rej


# ---- swallow-ja, default thresholds ----
out = os.path.join(work, "ja")
r = run(["filter", "-q", "--profile", "swallow-ja", "--out", out, JA])
check(r.returncode == 0, f"filter exit 0 ({r.stderr[-300:]})")
kept, rej = outputs(out)
check(len(kept) + len(rej) == len(ja_docs), f"every document kept or rejected ({len(kept)}+{len(rej)})")
check(sorted(d["id"] for d in kept + rej) == sorted(d["id"] for d in ja_docs), "same ids")
check(all(d["meta"].get("rejected_by") for d in rej), "rejected documents name their rules")
check(all("rejected_by" not in d["meta"] for d in kept), "kept documents carry no rejected_by")
check(all(d["meta"].get("filter_profile") == "swallow-ja" for d in rej), "profile named in meta")
text_of = {d["id"]: d["text"] for d in ja_docs}
mismatch = [d["id"] for d in rej
            if set(d["meta"]["rejected_by"]) & CLASS_RULES != class_rules(d["text"])]
mismatch += [d["id"] for d in kept if class_rules(d["text"])]
check(not mismatch, f"class rules agree with the Python definitions ({mismatch[:3]})")
short = [d for d in ja_docs if len([c for c in d["text"] if c not in SPACE]) < 400]
check(len(short) > 10, f"the sample has short pages ({len(short)})")

table = parse_table(r.stdout)
check(table.get("max_bytes") == (0, 0, 0, 0), "no page over max_bytes")
for rule, (dfirst, _, dany, _) in table.items():
    any_n = sum(rule in d["meta"]["rejected_by"] for d in rej)
    first_n = sum(d["meta"]["rejected_by"][0] == rule for d in rej)
    check((dfirst, dany) == (first_n, any_n),
          f"table row {rule}: first/any {dfirst}/{dany} = outputs {first_n}/{any_n}")
check(sum(v[0] for v in table.values()) == len(rej), "docs_first adds up to the rejected count")
check(f"{len(ja_docs)} docs" in r.stdout, "summary line counts the documents")
# Properties of these technical manuals (stable under the definitions): short pages
# fail ja_min_chars; index/menu pages fail on katakana; long manual pages repeat
# character 5-grams far beyond 0.15 (code, commands, Japanese inflections).
check(table["ja_min_chars"][2] == len(short), "ja_min_chars rejects exactly the short pages")
check(table["ja_katakana_ratio"][2] > 0, "some katakana-heavy index pages")
check(table["ja_dup_5gram_char_frac"][2] > len(ja_docs) // 2, "5-gram repetition fires on most pages")
check(table["ja_ng_word_ratio"][2] == 0 and table["host_blocklist"][2] == 0,
      "no NG words or blocked hosts in Debian documentation")

db = sqlite3.connect(os.path.join(out, "jaforge.db"))
rows = db.execute("SELECT t.status, t.stats FROM tasks t WHERE t.stage='filter'").fetchall()
check(len(rows) == 1 and rows[0][0] == "done", f"one done filter task ({rows})")
st = json.loads(rows[0][1]) if rows else {}
check(st.get("docs") == len(ja_docs) and st.get("profile") == "swallow-ja", "task statistics stored")
check(st.get("rules", {}).get("ja_min_chars", {}).get("docs_any") == len(short), "per-rule stats stored")
db.close()

r2 = run(["filter", "-q", "--profile", "swallow-ja", "--out", out, JA])
check(r2.returncode == 0 and "0 input(s) done, 1 skipped" in r2.stdout, f"re-run skips: {r2.stdout[-200:]}")
check(parse_table(r2.stdout) == table, "re-run prints the stored statistics")

# ---- relaxed: no n-gram / long-sentence rules: some pages are kept ----
relax = [f"--set=ja_dup_{n}gram_char_frac.enabled=false" for n in range(5, 11)]
relax += ["--set=ja_sentence_max_len.enabled=false", "--set=ja_min_chars.min=200"]
out2 = os.path.join(work, "relaxed")
r = run(["filter", "-q", "--profile", "swallow-ja", "--out", out2, JA] + relax)
check(r.returncode == 0, f"relaxed exit 0 ({r.stderr[-300:]})")
kept2, rej2 = outputs(out2)
check(len(kept2) > 10, f"relaxed profile keeps pages ({len(kept2)})")
bad = [d["id"] for d in kept2 if class_rules(d["text"]) - {"ja_min_chars"}]
check(not bad, f"every kept page has hiragana >= 0.2, katakana <= 0.5, Japanese >= 0.5 ({bad[:3]})")
check("ja_dup_5gram_char_frac" not in r.stdout, "disabled rules are not in the table")

# ---- a malformed line ----
bad_in = os.path.join(work, "bad.jsonl")
with open(bad_in, "w", encoding="utf-8") as f:
    f.write(json.dumps(ja_docs[0], ensure_ascii=False) + "\n")
    f.write("{this is not json\n")
    f.write(json.dumps(ja_docs[1], ensure_ascii=False) + "\n")
r = run(["filter", "-q", "--profile", "swallow-ja", "--out", os.path.join(work, "bad"), bad_in])
check(r.returncode == 0, f"malformed line: exit 0 ({r.stderr})")
check(re.search(r"bad\.jsonl:\d+:", r.stderr) is not None, f"malformed line reported as FILE:OFFSET ({r.stderr})")
check("2 docs" in r.stdout and "1 bad line" in r.stdout, f"two documents filtered, one bad line ({r.stdout[-300:]})")

# ---- --explain ----
r = run(["filter", "--explain", "--profile", "swallow-ja", JA])
check(r.returncode == 0, "explain exit 0")
check(r.stdout.count("\n== ") + r.stdout.startswith("== ") == len(ja_docs), "explain: one block per document")
check(all(name in r.stdout for name in ("ja_hiragana_ratio", "ja_dup_10gram_char_frac", "host_blocklist")),
      "explain names every rule")
check(re.search(r"ja_min_chars\s+\S+\s+400\s+-\s+(pass|FAIL)", r.stdout) is not None, "explain shows bounds")

# ---- gopher-en and c4-en on the English pages ----
for prof in ("gopher-en", "c4-en"):
    o = os.path.join(work, prof)
    r = run(["filter", "-q", "--profile", prof, "--out", o, EN])
    check(r.returncode == 0, f"{prof} exit 0 ({r.stderr[-300:]})")
    k, j = outputs(o)
    check(len(k) + len(j) == len(en_docs), f"{prof}: every English page kept or rejected")
    if prof == "gopher-en":
        def words(t):
            return [w for w in t.split() if any(not (c.isascii() and not c.isalnum() and c.isprintable()
                                                     and not c.isspace()) for c in w)]
        want = {d["id"] for d in en_docs if len(words(d["text"])) < 50}
        got = {d["id"] for d in j if "en_word_count" in d["meta"]["rejected_by"]}
        check(want == got, f"en_word_count agrees with Python ({len(want)} vs {len(got)})")
        check(len(k) > 0, f"gopher-en keeps some Debian reference pages ({len(k)})")

# ---- --threads: same bytes for every N; footer trimming rewrites kept documents ----
FOOT = "会社概要 | お問い合わせ\nCopyright 2024 Example\n"
trim_in = os.path.join(work, "trim-in.jsonl")
with open(trim_in, "w", encoding="utf-8") as fo:
    for d in ja_docs:
        e = dict(d)
        e["text"] = d["text"].rstrip("\n") + "\n" + FOOT
        fo.write(json.dumps(e, ensure_ascii=False) + "\n")
sets = ["--set", "ja_dup_5gram_char_frac.enabled=false", "--set", "ja_zstd_ratio.enabled=true",
        "--set", "ja_noun_ratio.enabled=true", "--set", "ja_bbs_ad_patterns.enabled=true"]
outs = {}
for n in (1, 3):
    o = os.path.join(work, f"threads{n}")
    r = run(["filter", "-q", "--profile", "swallow-ja", "--threads", str(n), "--out", o, trim_in] + sets)
    check(r.returncode == 0, f"--threads {n} exit 0 ({r.stderr[-300:]})")
    outs[n] = (r.stdout, [open(os.path.join(o, sub, "trim-in.jsonl.zst"), "rb").read()
                          for sub in ("kept", "rejected")])
check(outs[1] == outs[3], "--threads 1 and 3: same kept/rejected bytes and table")
k, j = outputs(os.path.join(work, "threads3"), "trim-in")
check(len(k) > 0, f"some pages kept with MeCab rules on ({len(k)})")
orig = {d["id"]: d["text"] for d in ja_docs}
check(all(d["text"] == orig[d["id"]].rstrip("\n \t\r") and d["meta"]["trimmed_chars"] == 31
          for d in k), "kept pages: the appended footer is cut, meta.trimmed_chars = 31")
check(all(d["text"].endswith(FOOT) for d in j), "rejected pages keep their text as given")
check(run(["filter", "--profile", "swallow-ja", "--threads", "0", "--out", work, JA]).returncode == 2,
      "--threads 0: exit 2")

# ---- bad usage ----
check(run(["filter", "--out", work, JA]).returncode == 2, "no --profile: exit 2")
check(run(["filter", "--profile", "no-such", "--out", work, JA]).returncode == 2, "unknown profile: exit 2")
r = run(["filter", "--profile", "swallow-ja", "--set", "nosuch.min=1", "--out", work, JA])
check(r.returncode == 2 and "unknown rule" in r.stderr, f"unknown rule in --set: exit 2 ({r.stderr})")
check(run(["filter", "--help"]).returncode == 0, "--help exit 0")
finish()
