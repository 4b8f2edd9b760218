#!/usr/bin/env bash
# bench_train.sh JAFORGE DATA_DIR WORKDIR [VOCAB...]: `jaforge tokenizer train` against Debian's
# spm_train --model_type=bpe with the same settings (LLaMA's: identity normalizer, byte
# fallback, split digits, whitespace-only pieces, coverage 0.9995, max sentence length 4192),
# the same number of threads (all cores) and the same text, side by side in one run.
# The text is the corpus make_bench_corpus.py builds in WORKDIR/corpus from DATA_DIR (every
# Japanese and English document of the sample WARC and the Debian documentation packages'
# pages; made when missing): train.txt to learn from, heldout.txt (every 20th line) to measure.
# For each vocabulary size (default 8000 16000 32000), RUNS runs of each trainer (default 3,
# alternating): the best wall time and the best CPU time (user+sys) of its runs, peak RSS,
# characters per token of both models on heldout.txt (both encoded by spm_encode), and whether
# spm_encode and jaforge encode heldout.txt identically with the jaforge model. The machine may
# be shared: the load is printed before and after, and CPU time is the fairer figure when it is
# high.
set -euo pipefail
JF=$(realpath "$1"); DATA=$2; WORK=$3; shift 3
VOCABS=${*:-8000 16000 32000}
HERE=$(dirname "$(realpath "$0")")
/usr/bin/python3 "$HERE/make_bench_corpus.py" "$JF" "$DATA" "$WORK/corpus"
TRAIN=$WORK/corpus/train.txt; HELD=$WORK/corpus/heldout.txt
NP=$(nproc)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
CH=$(/usr/bin/python3 -c "import sys; print(sum(len(l.rstrip('\n')) for l in open(sys.argv[1], encoding='utf-8', errors='replace')))" "$HELD")
cpt() { echo "scale=4; $CH / $(spm_encode --model="$1" --output_format=id < "$HELD" | wc -w)" | bc; }
RUNS=${RUNS:-3}
# run TAG CMD...: runs CMD (output discarded), appending "wall cpu rss_mb" to $W/TAG.
run() {
    local tag=$1; shift
    /usr/bin/time -f '%e %U %S %M' -o "$W/time" "$@" > /dev/null 2>&1
    awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4 / 1024}' "$W/time" >> "$W/$tag"
}
# best TAG: "best_wall best_cpu max_rss" of the runs of TAG.
best() {
    sort -n -k1 "$W/$1" | head -1 | cut -d' ' -f1 | tr '\n' ' '
    sort -n -k2 "$W/$1" | head -1 | cut -d' ' -f2 | tr '\n' ' '
    sort -n -k3 "$W/$1" | tail -1 | cut -d' ' -f3
}
printf 'corpus %.1f MB (%s lines), held out %.2f MB, %s characters; %s threads; best of %s; load %s\n' \
    "$(echo "$(stat -c %s "$TRAIN") / 1000000" | bc -l)" "$(wc -l < "$TRAIN")" \
    "$(echo "$(stat -c %s "$HELD") / 1000000" | bc -l)" "$CH" "$NP" "$RUNS" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-9s %8s %8s %7s %9s  %s\n' vocab trainer 'wall s' 'CPU s' 'RSS MB' 'chars/tok' \
    'vs spm_train'
for V in $VOCABS; do
    for R in $(seq "$RUNS"); do
        run t-spm$V spm_train --input="$TRAIN" --model_prefix="$W/spm$V" \
            --model_type=bpe --vocab_size="$V" --character_coverage=0.9995 --byte_fallback=true \
            --split_digits=true --allow_whitespace_only_pieces=true \
            --normalization_rule_name=identity --add_dummy_prefix=true \
            --remove_extra_whitespaces=false --max_sentence_length=4192 --num_threads="$NP"
        run t-jf$V "$JF" tokenizer train -q -j "$NP" --vocab-size "$V" --out "$W/jf$V" "$TRAIN"
    done
    read -r SW SC SM < <(best t-spm$V)
    read -r JW JC JM < <(best t-jf$V)
    spm_encode --model="$W/jf$V/tokenizer.model" --output_format=id < "$HELD" > "$W/a"
    "$JF" tokenizer encode --model "$W/jf$V/tokenizer.model" "$HELD" > "$W/b"
    cmp -s "$W/a" "$W/b" && SAME=identical || SAME=DIFFERENT
    SP=$(cpt "$W/spm$V.model"); JP=$(cpt "$W/jf$V/tokenizer.model")
    printf '%-6s %-9s %8s %8s %7s %9s\n' "$V" spm_train "$SW" "$SC" "$SM" "$SP"
    printf '%-6s %-9s %8s %8s %7s %9s  x%.1f wall, x%.1f CPU, compression %+.2f%%, encode %s\n' \
        "$V" jaforge "$JW" "$JC" "$JM" "$JP" "$(echo "$SW / $JW" | bc -l)" \
        "$(echo "$SC / $JC" | bc -l)" "$(echo "($JP / $SP - 1) * 100" | bc -l)" "$SAME"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
