#!/usr/bin/env bash
# bench_train.sh JAFORGE TOKDIR [VOCAB...]: `jaforge tokenizer train` against Debian's
# spm_train --model_type=bpe with the same settings (LLaMA's: identity normalizer, byte
# fallback, split digits, whitespace-only pieces, coverage 0.9995) on the same text
# (TOKDIR/big.txt, made by tests/tokenizer/make_tok_data.py), one run each: wall time,
# peak RSS, and characters per token of both models on held-out text (TOKDIR/test.txt,
# encoded by spm_encode for both). Also checks that spm_encode and jaforge encode agree
# with the jaforge-trained model.
set -euo pipefail
JF=$1; TOK=$2; shift 2
VOCABS=${*:-8000 16000}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
CH=$(/usr/bin/python3 -c "import sys; print(sum(len(l.rstrip('\n')) for l in open(sys.argv[1], encoding='utf-8', errors='replace')))" "$TOK/test.txt")
cpt() { echo "scale=4; $CH / $(spm_encode --model="$1" --output_format=id < "$TOK/test.txt" | wc -w)" | bc; }
run() { /usr/bin/time -f '%e %M' -o "$W/time" "$@" > /dev/null 2>&1; cat "$W/time"; }
printf 'corpus %s MB, held-out %s characters\n' \
    "$(echo "scale=1; $(stat -c %s "$TOK/big.txt") / 1048576" | bc)" "$CH"
printf '%-6s %-8s %8s %9s %7s %s\n' vocab trainer 'time s' 'RSS MB' 'chars/tok' 'encode parity'
for V in $VOCABS; do
    read -r TS MS < <(run spm_train --input="$TOK/big.txt" --model_prefix="$W/spm$V" \
        --model_type=bpe --vocab_size="$V" --character_coverage=0.9995 --byte_fallback=true \
        --split_digits=true --allow_whitespace_only_pieces=true --normalization_rule_name=identity \
        --add_dummy_prefix=true --remove_extra_whitespaces=false --max_sentence_length=4192 \
        --num_threads=2)
    read -r TJ MJ < <(run "$JF" tokenizer train -q --vocab-size "$V" --out "$W/jf$V" "$TOK/big.txt")
    spm_encode --model="$W/jf$V/tokenizer.model" --output_format=id < "$TOK/test.txt" > "$W/a"
    "$JF" tokenizer encode --model "$W/jf$V/tokenizer.model" "$TOK/test.txt" > "$W/b"
    cmp -s "$W/a" "$W/b" && SAME=identical || SAME=DIFFERENT
    printf '%-6s %-8s %8s %9s %7s\n' "$V" spm_train "$TS" "$((MS / 1024))" "$(cpt "$W/spm$V.model")"
    printf '%-6s %-8s %8s %9s %7s %s (x%.1f faster)\n' "$V" jaforge "$TJ" "$((MJ / 1024))" \
        "$(cpt "$W/jf$V/tokenizer.model")" "$SAME" "$(echo "$TS / $TJ" | bc -l)"
done
