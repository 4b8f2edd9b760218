"""test_filter_c4.py: `jaforge filter --profile c4-en` against a Python port
of datatrove's C4QualityFilter (the reference the docs name), on the English
Debian documentation pages of the sample WARC and on crafted documents that
exercise every step.

The port is datatrove's filter() line for line, with one documented change:
sentences of a kept line are counted by jaforge's definition
(docs/filters.md "Sentence") instead of NLTK punkt. Checks: the same
documents are kept, kept documents have byte-identical text, every rejected
document names datatrove's reason among its failing rules, the per-rule
table adds up to the lines and characters removed from the kept documents,
and meta.trimmed_chars / meta.removed_lines agree with the text."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import check, extract_sample, finish, read_docs, run, tmpdir

# ---- the reference: datatrove.pipeline.filters.c4_filters.C4QualityFilter ----
CITATION_REGEX = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
ELLIPSIS = "..."
POLICY_SUBSTRINGS = ["terms of use", "privacy policy", "cookie policy", "uses cookies",
                     "use of cookies", "use cookies"]

# jaforge's sentence definition (src/filter/filter_text.c), for one line
TERM = set("\u3002\uff01\uff1f\uff0e!?\uff61")
CLOSER = set("\u300d\u300f\uff09)\u3011\"\u201d\u2019'\u3009\u300b")
JF_SPACE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | \
    {chr(c) for c in range(0x2000, 0x200B)}


def has_char(s):
    return any(c not in JF_SPACE for c in s)


def sentence_count(s):
    n = a = i = 0
    while i < len(s):
        c = s[i]
        i += 1
        if c in "\n\r\u2028\u2029":
            n += has_char(s[a:i - 1])
            a = i
        elif c in TERM or (c == "." and (i >= len(s) or s[i] in "\t\n\v\f\r ")):
            j = i
            while j < len(s) and (s[j] in TERM or s[j] in CLOSER or s[j] == "."):
                j += 1
            n += has_char(s[a:j])
            a = i = j
    return n + has_char(s[a:])


def c4_reference(text, min_num_sentences=5, min_words_per_line=3, max_word_length=1000):
    """(True, new text) or (False, reason): datatrove's filter()."""
    num_sentences = 0
    kept_lines = []
    for line in text.splitlines():
        line = line.strip()
        words = line.split()
        if max_word_length != -1 and any(len(word) > max_word_length for word in words):
            continue
        line = CITATION_REGEX.sub("", line)
        if not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS):
            continue
        if len(words) < min_words_per_line:
            continue
        line_l = line.lower()
        if "lorem ipsum" in line_l:
            return False, "c4_lorem_ipsum"
        if "javascript" in line_l:
            continue
        if "{" in line:
            return False, "c4_curly_bracket"
        if any(p in line_l for p in POLICY_SUBSTRINGS):
            continue
        num_sentences += sentence_count(line)
        kept_lines.append(line)
    if num_sentences < min_num_sentences:
        return False, "c4_min_sentences"
    return True, "\n".join(kept_lines).strip()


def chars(s):
    return sum(c not in JF_SPACE for c in s)


def parse_table(stdout):
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+)" + r"\s+(\d+)" * 7, line)
        if m:
            rows[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return rows


def compare(docs, out, label):
    """Runs c4-en on docs (written to a file) and compares with the reference."""
    path = os.path.join(work, label + ".jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    r = run(["filter", "-q", "--profile", "c4-en", "--out", out, path])
    check(r.returncode == 0, f"{label}: exit 0 ({r.stderr[-300:]})")
    kept = {d["id"]: d for d in read_docs(os.path.join(out, "kept", label + ".jsonl.zst"))}
    rej = {d["id"]: d for d in read_docs(os.path.join(out, "rejected", label + ".jsonl.zst"))}
    check(len(kept) + len(rej) == len(docs), f"{label}: every document kept or rejected")
    bad = []
    for d in docs:
        ok, what = c4_reference(d["text"])
        if ok != (d["id"] in kept):
            bad.append((d["id"], "kept" if ok else what))
        elif ok and kept[d["id"]]["text"] != what:
            bad.append((d["id"], "text differs"))
        elif not ok and what not in rej[d["id"]]["meta"]["rejected_by"]:
            bad.append((d["id"], f"{what} not in {rej[d['id']]['meta']['rejected_by']}"))
    check(not bad, f"{label}: same verdicts and texts as datatrove's C4QualityFilter ({bad[:3]})")
    orig = {d["id"]: d["text"] for d in docs}
    cut = sum(chars(orig[i]) - chars(k["text"]) for i, k in kept.items())
    table = parse_table(r.stdout)
    check(sum(v[6] for v in table.values()) == cut,
          f"{label}: chars_cut adds up to the characters removed from kept documents ({cut})")
    check(all(k["meta"].get("trimmed_chars", 0) == chars(orig[i]) - chars(k["text"])
              for i, k in kept.items()), f"{label}: meta.trimmed_chars per document")
    lines = sum(k["meta"].get("removed_lines", 0) for k in kept.values())
    check(sum(v[5] for v in table.values()) == lines, f"{label}: lines_cut = meta.removed_lines")
    return kept, rej, table


work = tmpdir()
ext = extract_sample(work)
en_docs = read_docs(os.path.join(ext, "en", "sample.jsonl.zst"))
check(len(en_docs) > 30, f"English pages extracted ({len(en_docs)})")

# ---- real English Debian documentation ----
kept, rej, table = compare(en_docs, os.path.join(work, "en"), "en")
# Properties of these manuals: headings, menus and shell lines have no terminal
# punctuation (every kept page loses lines to it); pages with shell/C snippets in
# prose lines carry "{"; index pages keep fewer than 5 sentences.
check(len(kept) > 10 and len(rej) > 5, f"some pages kept, some rejected ({len(kept)}/{len(rej)})")
check(table["c4_line_terminal_punct"][4] == len(kept), "every kept page lost unpunctuated lines")
check(table["c4_curly_bracket"][2] > 0 and table["c4_min_sentences"][2] > 0,
      "curly brackets and too few sentences reject pages")
check(all("{" not in k["text"] for k in kept.values()), "no kept page has a curly bracket")

# ---- crafted documents: each step just below / above its threshold ----
S = "This is a sentence of prose."
crafted = [
    {"id": "words-2", "text": "\n".join([S] * 5 + ["Two words."])},
    {"id": "words-3", "text": "\n".join([S] * 5 + ["Three words here."])},
    {"id": "long-1000", "text": "\n".join([S] * 5 + ["A " + "x" * 1000 + " b."])},
    {"id": "long-1001", "text": "\n".join([S] * 5 + ["A " + "x" * 1001 + " b."])},
    {"id": "sent-4", "text": "\n".join([S] * 4 + ["no end mark here"])},
    {"id": "sent-5", "text": "One two three. Four five six! Seven eight nine?\n" + S + "\n" + S},
    {"id": "ellipsis", "text": "\n".join([S] * 5 + ["It trails off and so on..."])},
    {"id": "quotes", "text": "\n".join([S] * 5 + ['He said "so it goes."', "She said 'fine'"])},
    {"id": "citations", "text": "\n".join([S + "[1]"] * 5 + ["End of it. [citation needed]",
                                                             "[edit] Start of it [12] here."])},
    {"id": "cite-words", "text": "\n".join([S] * 5 + ["[1] [2] Ends."])},
    {"id": "cite-digits", "text": "\n".join([S] * 5 + ["Arabic digits \u0661\u0662 [\u0661\u0662]."])},
    {"id": "lorem-kept", "text": "\n".join([S] * 5 + ["Lorem Ipsum dolor sit amet."])},
    {"id": "lorem-dropped", "text": "\n".join([S] * 5 + ["Lorem ipsum dolor sit amet"])},
    {"id": "curly-kept", "text": "\n".join([S] * 5 + ["Use a {brace} here."])},
    {"id": "curly-dropped", "text": "\n".join([S] * 5 + ["int main() {"])},
    {"id": "curly-js", "text": "\n".join([S] * 5 + ["Enable JavaScript {now} please."])},
    {"id": "policy", "text": "\n".join([S] * 5 + ["This site uses cookies for you."])},
    {"id": "kelvin", "text": "\n".join([S] * 5 + ["See the coo\u212aie policy of ours."])},
    {"id": "spaces", "text": "  " + "\n\t".join([S] * 5) + "  \r\n\x0cLast one is kept.\u2028" + S},
    {"id": "empty", "text": ""},
]
ck, cr, _ = compare(crafted, os.path.join(work, "crafted"), "crafted")
check(set(ck) == {"words-2", "words-3", "long-1000", "long-1001", "sent-5", "ellipsis", "quotes",
                  "citations", "cite-words", "cite-digits", "lorem-dropped", "curly-dropped", "curly-js",
                  "policy", "kelvin", "spaces"}, f"crafted: the expected documents kept ({sorted(ck)})")
check(ck["words-2"]["text"].count("\n") == 4 and ck["words-3"]["text"].endswith("Three words here."),
      "a line of 2 words goes, of 3 words stays")
check("x" * 1000 in ck["long-1000"]["text"] and "x" * 1001 not in ck["long-1001"]["text"],
      "a word of 1000 characters stays, of 1001 drops its line")
check(ck["citations"]["text"].endswith("Start of it  here.") and "[1]" not in ck["citations"]["text"],
      "citations are cut out; a line ending in a citation loses its end mark")
check(ck["cite-words"]["text"].endswith("\n  Ends."), "words are counted before citations are cut")
check(cr["lorem-kept"]["meta"]["rejected_by"] == ["c4_lorem_ipsum"], "lorem ipsum in a kept line rejects")
check(cr["curly-kept"]["meta"]["rejected_by"] == ["c4_curly_bracket"], "{ in a kept line rejects")
check(cr["sent-4"]["meta"]["rejected_by"] == ["c4_min_sentences"], "4 sentences reject, 5 keep")
check(ck["spaces"]["text"].startswith("This") and "Last one is kept.\n" in ck["spaces"]["text"],
      "lines are Python's (\\f, U+2028 break them) and are stripped")

# ---- an edit bound rejects; explain shows the removed lines ----
o = os.path.join(work, "bound")
r = run(["filter", "-q", "--profile", "c4-en", "--set", "c4_line_terminal_punct.max=100", "--out", o,
         os.path.join(work, "en.jsonl")])
check(r.returncode == 0 and parse_table(r.stdout)["c4_line_terminal_punct"][2] > 0,
      "a max on a line rule rejects documents that lose more characters")
r = run(["filter", "--explain", "--profile", "c4-en", os.path.join(work, "crafted.jsonl")])
check(re.search(r"c4_line_min_words\s+9\s+-\s+-\s+pass\s+\(removed 1 lines, 9 chars\)", r.stdout)
      is not None, "explain: a line rule shows its removed lines and characters")
finish()
