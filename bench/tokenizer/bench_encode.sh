#!/usr/bin/env bash
# bench_encode.sh JAFORGE TOKDIR [RUNS]: encoding speed of `jaforge tokenizer encode`
# against Debian's spm_encode on the same text and model, side by side in one run, one
# thread, outputs compared byte for byte. TOKDIR is what tests/tokenizer/make_tok_data.py
# writes (test.txt, big.txt, llama.model). Two inputs: test.txt repeated to about 20 MB, and
# every line once (big.txt + test.txt, 3.6 MB), so that the encoder's cache of recent chunks
# is not flattered by repeats. Two models: llama.model (spm_train, 4,000 pieces) and a
# 16,000-piece model trained by jaforge on big.txt. Time is CPU time (user+sys), the best of
# RUNS runs (3), because the machine is shared; the load average is printed.
# Then npm tiktoken (WASM; cl100k_base, o200k_base) on the same two inputs, as a speed
# reference only (another vocabulary): tiktoken_encode.mjs, installed from package.json into
# node_modules here (npm install when missing; skipped with a message without node or npm).
set -euo pipefail
JF=$1; TOK=$2; RUNS=${3:-3}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
for i in $(seq 60); do cat "$TOK/test.txt"; done > "$W/rep.txt"
cat "$TOK/big.txt" "$TOK/test.txt" > "$W/once.txt"
"$JF" tokenizer train -q --vocab-size 16000 --out "$W/m16k" "$TOK/big.txt"
# cpu OUT CMD...: best user+sys seconds of RUNS runs, stdout to OUT
cpu() {   # getrusage of the children: microseconds, where time(1) gives 10 ms
    /usr/bin/python3 -c '
import resource, subprocess, sys
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
best = None
for _ in range(runs):
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "wb") as f:
        subprocess.run(cmd, stdout=f, check=True)
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = a.ru_utime - b.ru_utime + a.ru_stime - b.ru_stime
    best = t if best is None else min(best, t)
print("%.3f" % best)' "$RUNS" "$@"
}
# cpt IN OUT: characters per token of ids OUT (a line per line of IN), all lines and the
# lines with a Japanese character (bpe_char_is_japanese's rule, as tiktoken_encode.mjs)
cpt() {
    /usr/bin/python3 -c '
import re, sys
ja = re.compile("[\u3040-\u30ff\u3005-\u3007\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]")
c = [0, 0, 0, 0]
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2]) as g:
    for line, ids in zip(f, g):
        line = line.rstrip("\n"); n = len(ids.split())
        c[0] += len(line); c[1] += n
        if ja.search(line): c[2] += len(line); c[3] += n
print(" ".join("%.3f" % (a / b) if b else "-" for a, b in ((c[0], c[1]), (c[2], c[3]))))' "$@"
}
declare -A JFS JFCPT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$W/empty.txt"
printf '%-10s %-12s %-8s %9s %9s %9s %9s %7s %8s %s\n' model input MB 'spm s' 'spm MB/s' 'jf s' \
    'jf MB/s' ratio 'ratio-ld' output
for M in "$TOK/llama.model" "$W/m16k/tokenizer.model"; do
    # start-up and model load, on an empty input (jaforge's binary links MPI, OpenBLAS, ICU...:
    # about 13 ms before main); ratio-ld compares the encoding alone
    LS=$(RUNS=$((RUNS * 3)) cpu "$W/spm" sh -c "spm_encode --model='$M' --output_format=id < '$W/empty.txt'")
    LJ=$(cpu "$W/jf" "$JF" tokenizer encode --model "$M" -j 1 "$W/empty.txt")
    for IN in rep once; do
        MB=$(echo "scale=2; $(stat -c %s "$W/$IN.txt") / 1048576" | bc)
        TS=$(cpu "$W/spm" sh -c "spm_encode --model='$M' --output_format=id < '$W/$IN.txt'")
        TJ=$(cpu "$W/jf" "$JF" tokenizer encode --model "$M" -j 1 "$W/$IN.txt")
        cmp -s "$W/spm" "$W/jf" && SAME=identical || SAME=DIFFERENT
        MN=$(basename "$(dirname "$M")" | sed 's/tokdata/llama/')
        K=$([ "$M" = "$TOK/llama.model" ] && echo llama || echo m16k)
        JFS[$K.$IN]=$TJ
        JFCPT[$K.$IN]=$(cpt "$W/$IN.txt" "$W/jf")
        printf '%-10s %-12s %-8s %9s %9.1f %9s %9.1f %6.1fx %7.1fx %s\n' "$MN" \
            "$([ $IN = rep ] && echo repeated || echo 'each once')" "$MB" "$TS" \
            "$(echo "$MB / $TS" | bc -l)" "$TJ" "$(echo "$MB / $TJ" | bc -l)" \
            "$(echo "$TS / $TJ" | bc -l)" "$(echo "($TS - $LS) / ($TJ - $LJ)" | bc -l)" "$SAME"
    done
done
"$JF" tokenizer encode --model "$TOK/llama.model" -j 2 "$W/rep.txt" > "$W/jf2"
"$JF" tokenizer encode --model "$TOK/llama.model" -j 1 "$W/rep.txt" > "$W/jf1"
cmp -s "$W/jf1" "$W/jf2" && echo "-j 2 output identical to -j 1" || echo "-j 2 output DIFFERENT"

# tiktoken as a speed reference: MB/s per thread without its load (Node start-up, WASM, ranks:
# about 0.4 s) and with it; the ratios are jaforge's MB/s of this run (its load included) over
# tiktoken's without load, per jaforge model; +ld: both with their load. Characters per token
# (c/tok: all lines, ja c/t: lines with a Japanese character) are only context.
HERE=$(cd "$(dirname "$0")" && pwd)
echo "start-up and model load (empty input): spm_encode ${LS} s, jaforge ${LJ} s (last model)"
if [ -n "${JF_BENCH_NO_TIKTOKEN:-}" ]; then
    echo "tiktoken: skipped (JF_BENCH_NO_TIKTOKEN)"; exit 0
fi
if ! command -v node > /dev/null; then
    echo "tiktoken: skipped (node not found)"; exit 0
fi
if [ ! -d "$HERE/node_modules/tiktoken" ]; then
    if ! command -v npm > /dev/null; then
        echo "tiktoken: skipped (npm not found; npm install in $HERE)"; exit 0
    fi
    if ! (cd "$HERE" && npm install --no-audit --no-fund --silent > /dev/null 2>&1); then
        echo "tiktoken: skipped (npm install in $HERE failed)"; exit 0
    fi
fi
echo "tiktoken $(node -p 'require(process.argv[1]).version' \
    "$HERE/node_modules/tiktoken/package.json") (npm, WASM), node $(node --version), load: \
$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %-10s %7s %8s %8s %8s %8s %8s %8s %6s %6s\n' encoding input 'load s' \
    'enc s' 'MB/s' 'MB/s+ld' 'jf/tt 4k' 'jf/tt16k' '+ld 16k' 'c/tok' 'ja c/t'
for E in cl100k_base o200k_base; do
    for IN in rep once; do
        MB=$(echo "scale=2; $(stat -c %s "$W/$IN.txt") / 1048576" | bc)
        R=$(cd "$HERE" && node tiktoken_encode.mjs --runs "$RUNS" "$E" "$W/$IN.txt")
        v() { echo "$R" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
        L=$(v load_cpu_s); T=$(v encode_cpu_s); TT=$(v total_cpu_s)
        printf '%-12s %-10s %7s %8s %8.1f %8.1f %7.1fx %7.1fx %7.1fx %6s %6s\n' "$E" \
            "$([ $IN = rep ] && echo repeated || echo 'each once')" "$L" "$T" \
            "$(echo "$MB / $T" | bc -l)" "$(echo "$MB / $TT" | bc -l)" \
            "$(echo "$T / ${JFS[llama.$IN]}" | bc -l)" "$(echo "$T / ${JFS[m16k.$IN]}" | bc -l)" \
            "$(echo "$TT / ${JFS[m16k.$IN]}" | bc -l)" "$(v chars_per_token)" \
            "$(v ja_chars_per_token)"
    done
done
for IN in rep once; do   # for context only: other vocabularies, the 16k model saw big.txt
    echo "jaforge chars/token (all, Japanese lines), $([ $IN = rep ] && echo 'repeated (test.txt):' \
        || echo 'each once:          ') llama ${JFCPT[llama.$IN]}, m16k ${JFCPT[m16k.$IN]}"
done
