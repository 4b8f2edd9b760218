#!/usr/bin/env bash
# bench_encode.sh JAFORGE TOKDIR: encoding speed of `jaforge tokenizer encode`
# against Debian's spm_encode on the same text and model, one run each, one
# thread, output compared. TOKDIR is what tests/tokenizer/make_tok_data.py
# writes (test.txt, big.txt, llama.model); the text is repeated to about
# 20 MB. A second input has every line once (big.txt + test.txt, 3.6 MB),
# so that the encoder's cache of recent chunks is not flattered by repeats.
set -euo pipefail
JF=$1; TOK=$2
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
for i in $(seq 60); do cat "$TOK/test.txt"; done > "$W/in.txt"
MB=$(du -m --apparent-size "$W/in.txt" | cut -f1)
t() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
T_SPM=$(t sh -c "spm_encode --model='$TOK/llama.model' --output_format=id < '$W/in.txt' > '$W/spm.txt'")
T_JF1=$(t sh -c "'$JF' tokenizer encode --model '$TOK/llama.model' -j 1 '$W/in.txt' > '$W/jf.txt'")
T_JF2=$(t sh -c "'$JF' tokenizer encode --model '$TOK/llama.model' -j 2 '$W/in.txt' > '$W/jf2.txt'")
cmp -s "$W/spm.txt" "$W/jf.txt" && SAME=yes || SAME=NO
cmp -s "$W/jf.txt" "$W/jf2.txt" && SAME2=yes || SAME2=NO
printf 'input %s MB (%s lines)\n' "$MB" "$(wc -l < "$W/in.txt")"
printf 'spm_encode      1 thread : %6.2f s  %7.1f MB/s\n' "$T_SPM" "$(echo "$MB / $T_SPM" | bc -l)"
printf 'jaforge encode  1 thread : %6.2f s  %7.1f MB/s  (x%.1f)  identical: %s\n' "$T_JF1" \
    "$(echo "$MB / $T_JF1" | bc -l)" "$(echo "$T_SPM / $T_JF1" | bc -l)" "$SAME"
printf 'jaforge encode  2 threads: %6.2f s  %7.1f MB/s  identical to -j1: %s\n' "$T_JF2" \
    "$(echo "$MB / $T_JF2" | bc -l)" "$SAME2"
cat "$TOK/big.txt" "$TOK/test.txt" > "$W/once.txt"
MB1=$(echo "$(stat -c %s "$W/once.txt") / 1048576" | bc -l)
T_SPM=$(t sh -c "spm_encode --model='$TOK/llama.model' --output_format=id < '$W/once.txt' > '$W/spm.txt'")
T_JF1=$(t sh -c "'$JF' tokenizer encode --model '$TOK/llama.model' -j 1 '$W/once.txt' > '$W/jf.txt'")
cmp -s "$W/spm.txt" "$W/jf.txt" && SAME=yes || SAME=NO
printf 'input %.1f MB, every line once\n' "$MB1"
printf 'spm_encode      1 thread : %6.2f s  %7.1f MB/s\n' "$T_SPM" "$(echo "$MB1 / $T_SPM" | bc -l)"
printf 'jaforge encode  1 thread : %6.2f s  %7.1f MB/s  (x%.1f)  identical: %s\n' "$T_JF1" \
    "$(echo "$MB1 / $T_JF1" | bc -l)" "$(echo "$T_SPM / $T_JF1" | bc -l)" "$SAME"
