#!/usr/bin/env bash
# bench_encode.sh JAFORGE TOKDIR [RUNS]: encoding speed of `jaforge tokenizer encode`
# against Debian's spm_encode on the same text and model, side by side in one run, one
# thread, outputs compared byte for byte. TOKDIR is what tests/tokenizer/make_tok_data.py
# writes (test.txt, big.txt, llama.model). Two inputs: test.txt repeated to about 20 MB, and
# every line once (big.txt + test.txt, 3.6 MB), so that the encoder's cache of recent chunks
# is not flattered by repeats. Two models: llama.model (spm_train, 4,000 pieces) and a
# 16,000-piece model trained by jaforge on big.txt. Time is CPU time (user+sys), the best of
# RUNS runs (3), because the machine is shared; the load average is printed.
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
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-12s %-8s %9s %9s %9s %9s %7s %s\n' model input MB 'spm s' 'spm MB/s' 'jf s' \
    'jf MB/s' ratio output
for M in "$TOK/llama.model" "$W/m16k/tokenizer.model"; do
    for IN in rep once; do
        MB=$(echo "scale=2; $(stat -c %s "$W/$IN.txt") / 1048576" | bc)
        TS=$(cpu "$W/spm" sh -c "spm_encode --model='$M' --output_format=id < '$W/$IN.txt'")
        TJ=$(cpu "$W/jf" "$JF" tokenizer encode --model "$M" -j 1 "$W/$IN.txt")
        cmp -s "$W/spm" "$W/jf" && SAME=identical || SAME=DIFFERENT
        printf '%-10s %-12s %-8s %9s %9.1f %9s %9.1f %6.1fx %s\n' \
            "$(basename "$(dirname "$M")" | sed 's/tokdata/llama/')" \
            "$([ $IN = rep ] && echo repeated || echo 'each once')" "$MB" "$TS" \
            "$(echo "$MB / $TS" | bc -l)" "$TJ" "$(echo "$MB / $TJ" | bc -l)" \
            "$(echo "$TS / $TJ" | bc -l)" "$SAME"
    done
done
"$JF" tokenizer encode --model "$TOK/llama.model" -j 2 "$W/rep.txt" > "$W/jf2"
"$JF" tokenizer encode --model "$TOK/llama.model" -j 1 "$W/rep.txt" > "$W/jf1"
cmp -s "$W/jf1" "$W/jf2" && echo "-j 2 output identical to -j 1" || echo "-j 2 output DIFFERENT"
