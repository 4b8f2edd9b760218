#!/usr/bin/env bash
# bench_pretok.sh JAFORGE TOKDIR [CHART.svg|-] [TEXT]: SentencePiece's pre-tokenization against
# MeCab's (`--pretokenize mecab`, with and without `--keep-prefix`) on the same real text (TEXT,
# by default TOKDIR/big.txt: Debian documentation pages made by tests/tokenizer/make_tok_data.py;
# or the larger corpus of make_bench_corpus.py), one run each.
# 1. extend: TOKDIR/llama.model (spm_train, 4,000 pieces) + 2,000 and + 16k pieces learned from
#    TEXT with every 10th line held out; the command's own report: new pieces used on the
#    held-out lines, held-out Japanese characters per token; CPU time (user+sys). Modes:
#    sentencepiece, strip (sentencepiece --strip-prefix), mecab (prefix stripped, the default),
#    keep (mecab --keep-prefix).
# 2. train: 8,000 and 16,000 pieces from the other lines; characters per token on the held-out
#    Japanese and other lines (tokenizer stats), spm_encode = jaforge on the held-out lines.
# 3. a chart (tokenizer stats --chart) of the models on the two held-out sets.
set -euo pipefail
JF=$(realpath "$1"); TOK=$(realpath "$2"); CHART=${3:-}; [ "$CHART" = - ] && CHART=
TEXT=$(realpath "${4:-$TOK/big.txt}")
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
/usr/bin/python3 - "$TEXT" "$W" <<'EOF'
import re, sys
ja = re.compile('[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]')
n = 0
with open(sys.argv[2] + "/learn.txt", "wb") as L, open(sys.argv[2] + "/held-ja.txt", "wb") as J, \
        open(sys.argv[2] + "/held-other.txt", "wb") as O:
    for l in open(sys.argv[1], "rb").read().split(b"\n"):
        if not l.rstrip(b"\r"):
            continue
        n += 1   # as `extend --heldout-every 10` counts: every 10th non-empty line
        out = L if n % 10 else (J if ja.search(l.decode("utf-8", "replace")) else O)
        out.write(l + b"\n")
EOF
# cpu OUT CMD...: runs CMD with stdout to OUT; prints its user+sys seconds.
cpu() {
    local out=$1; shift
    /usr/bin/time -f '%U %S' -o "$W/time" "$@" > "$out"
    awk '{printf "%.2f", $1 + $2}' "$W/time"
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== extend $TOK/llama.model, learning from $TEXT, every 10th line held out"
for ADD in 2000 16k; do
    for MODE in sentencepiece strip mecab keep; do
        OPT=(--pretokenize "$MODE"); [ "$MODE" = strip ] && OPT=(--strip-prefix)
        [ "$MODE" = keep ] && OPT=(--pretokenize mecab --keep-prefix)
        T=$(cpu "$W/rep" "$JF" tokenizer extend -q --base "$TOK/llama.model" --add "$ADD" \
            "${OPT[@]}" --heldout-every 10 --out "$W/ext-$MODE-$ADD" "$TEXT")
        USED=$(sed -n 's/.*new pieces used: \(.*\)/\1/p' "$W/rep")
        CPT=$(sed -n 's/.*characters per token \(.*\)/\1/p' "$W/rep")
        printf 'add %-5s %-14s %5s s CPU  used %-14s held-out Japanese chars/token %s\n' \
            "$ADD" "$MODE" "$T" "$USED" "$CPT"
    done
done
echo "== train on the other lines; held-out characters per token (Japanese / other)"
for V in 8000 16000; do
    for MODE in sentencepiece mecab; do
        T=$(cpu /dev/null "$JF" tokenizer train -q --vocab-size "$V" --pretokenize "$MODE" \
            --out "$W/tr-$MODE-$V" "$W/learn.txt")
        M="$W/tr-$MODE-$V/tokenizer.model"
        R=$("$JF" tokenizer stats --json --model "$M" "$W/held-ja.txt" "$W/held-other.txt" |
            /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin)
print(' / '.join('%.4f' % s['models'][0]['chars_per_token'] for s in j['sets']))")
        cat "$W/held-ja.txt" "$W/held-other.txt" > "$W/held"
        spm_encode --model="$M" --output_format=id < "$W/held" > "$W/a"
        "$JF" tokenizer encode --model "$M" "$W/held" > "$W/b"
        cmp -s "$W/a" "$W/b" && SAME=identical || SAME=DIFFERENT
        printf 'vocab %-5s %-14s %5s s CPU  chars/token %s  spm_encode %s\n' "$V" "$MODE" "$T" \
            "$R" "$SAME"
    done
done
if [ -n "$CHART" ]; then
    cp "$TOK/llama.model" "$W/llama.model"
    (cd "$W" && "$JF" tokenizer stats --chart "$W/chart.svg" --model llama.model \
        --model ext-sentencepiece-16k/tokenizer.model --model ext-mecab-16k/tokenizer.model \
        --model tr-sentencepiece-16000/tokenizer.model --model tr-mecab-16000/tokenizer.model \
        held-ja.txt held-other.txt > /dev/null)
    cp "$W/chart.svg" "$CHART"
    echo "chart: $CHART"
fi
