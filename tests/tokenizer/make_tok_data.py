"""make_tok_data.py OUTDIR DATA_DIR: builds the tokenizer tests' data at run time
from the real Debian documentation pages in DATA_DIR/site (made by
scripts/make-sample-data.sh):
  corpus.txt  training text (Japanese + English lines, about 1.5 MB)
  big.txt     all the pages that test.txt does not use (for bench/tokenizer)
  docs.jsonl  corpus.txt as documents (JSON lines, 50 lines per document; the
              tests compress it with zstd for `jaforge tokenizer train`)
  test.txt    held-out lines from other pages plus hand-made hard lines (long
              Japanese lines without spaces, digits, emoji and rare characters
              that need byte fallback, empty lines, leading/trailing/multiple spaces)
  llama.model spm_train BPE with the LLaMA settings (byte_fallback, split_digits,
              identity normalizer, dummy prefix, extra whitespace kept)
  plain.model spm_train BPE without byte fallback, removing extra whitespace, with
              user-defined symbols
Writes OUTDIR/.done last; does nothing when it exists (with big.txt and docs.jsonl)."""
import html.parser
import json
import os
import subprocess
import sys


class Text(html.parser.HTMLParser):
    """The text of an HTML page, a line break at each block tag (BREAK);
    script and style left out. bench/tokenizer/make_bench_corpus.py uses it."""
    BREAK = ("p", "br", "div", "li", "tr", "h1", "h2", "h3", "pre", "dt", "dd", "title")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        p = Text()
        p.feed(f.read())
    for line in "".join(p.parts).split("\n"):
        line = line.replace("\t", " ").replace("\r", "").replace("\x00", "")
        if line.strip():
            yield line.rstrip() if len(line) > 200 else line


def pages():
    rows = []
    with open(os.path.join(DATA, "site", "MANIFEST.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            if c[1] in ("ja", "en") and c[3] == "utf-8" and c[5] == "-":
                rows.append(c[0])
    return sorted(rows)


HARD = [
    "", " ", "   ", "  先頭に空白", "末尾に空白  ", "複数の   空白  と\u3000全角空白",
    "数字12345と67890.5、電話03-1234-5678", "2024年1月1日に1000000円",
    "絵文字😀🎉👍🏽と稀な字𠮷野家、𩸽(ほっけ)", "🀄🃏🂡 ♠♥♦♣ ⚡☃",
    "Ελληνικά και русский текст", "עברית ومرحبا", "한국어 텍스트와 中文简体字",
    "ｱｲｳｴｵ ＡＢＣ １２３ ①②③ ㈱ ㌔", "tab\tinside", "<unk> <s> </s> <0x41>",
    "a" * 3000, "日本語" * 1500, "漢字と仮名の長い行" * 400, " ".join(["word"] * 500),
    "▁already▁has▁marks▁", "x▁ ▁y", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
    "ユーザー定義記号<mask>とユーザー", "<mask><mask>ユーザーユーザー",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    # .done from an older fixture without big.txt / docs.jsonl: build again.
    if all(os.path.exists(os.path.join(OUT, n)) for n in (".done", "big.txt", "docs.jsonl")):
        return
    names = pages()
    train, test, big = [], [], []
    size = 0
    for i, name in enumerate(names):
        lines = list(page_lines(os.path.join(DATA, "site", name)))
        if i % 4 == 3:
            test.extend(lines)
            continue
        big.extend(lines)
        if size < 1_500_000:
            train.extend(lines)
            size += sum(len(s.encode()) for s in lines)
    test = test[:6000]
    # Long Japanese lines without spaces: joined held-out Japanese lines.
    ja = [s.replace(" ", "") for s in test if any("\u3040" <= ch <= "\u30ff" for ch in s)]
    for k in range(0, min(len(ja), 400), 40):
        test.append("".join(ja[k:k + 40]))
    test.extend(HARD)
    with open(os.path.join(OUT, "corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(train) + "\n")
    with open(os.path.join(OUT, "big.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(big) + "\n")
    with open(os.path.join(OUT, "docs.jsonl"), "w", encoding="utf-8") as f:
        for k in range(0, len(train), 50):
            f.write(json.dumps({"id": "d%d" % k, "text": "\n".join(train[k:k + 50]),
                                "source": "test", "lang": "ja", "url": None, "meta": {}},
                               ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, "test.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(test) + "\n")
    corpus = os.path.join(OUT, "corpus.txt")
    common = ["--input=" + corpus, "--model_type=bpe", "--character_coverage=0.9995",
              "--num_threads=2", "--minloglevel=2", "--max_sentence_length=100000"]
    subprocess.run(["spm_train"] + common + [
        "--model_prefix=" + os.path.join(OUT, "llama"), "--vocab_size=4000",
        "--byte_fallback=true", "--split_digits=true", "--allow_whitespace_only_pieces=true",
        "--normalization_rule_name=identity", "--add_dummy_prefix=true",
        "--remove_extra_whitespaces=false"], check=True, capture_output=True)
    subprocess.run(["spm_train"] + common + [
        "--model_prefix=" + os.path.join(OUT, "plain"), "--vocab_size=2000",
        "--normalization_rule_name=identity", "--user_defined_symbols=<mask>,ユーザー"],
        check=True, capture_output=True)
    open(os.path.join(OUT, ".done"), "w").close()


if __name__ == "__main__":   # imported by bench/tokenizer/make_bench_corpus.py for Text
    OUT, DATA = sys.argv[1], sys.argv[2]
    main()
