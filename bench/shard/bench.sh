#!/usr/bin/env bash
# bench/shard/bench.sh [BUILD_DIR] [DATA_DIR] [COPIES] [REPEATS]: shard writing
# end to end (read zstd documents, parse JSON, encode, write .bin/.idx)
# against encoding alone (`jaforge tokenizer encode` on the same text, one
# line per document), same model, side by side in one run: -j 1, -j 2, and
# shard under `mpirun -n 2` (-j 1 each). Each pair runs REPEATS times
# alternately (encode, shard, encode, shard...) and the best of each is
# kept, as wall time and as CPU time (user + sys, the figure to trust on a
# busy machine). Prints the load average before and after.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=${2:-$build/data}
copies=${3:-20}
repeats=${4:-3}
jf=$build/src/cli/jaforge
tmp=$(mktemp -d /tmp/jf-bench-shard.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$jf" extract -q --out "$tmp/x" "$data/warc/sample.warc.gz"
zstd -dcq "$tmp/x/ja/sample.jsonl.zst" "$tmp/x/en/sample.jsonl.zst" > "$tmp/one.jsonl"
for i in $(seq "$copies"); do cat "$tmp/one.jsonl"; done | zstd -q -o "$tmp/docs.jsonl.zst"
/usr/bin/python3 -c '
import json, sys
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in open(sys.argv[1], encoding="utf-8"):
        out.write(json.loads(line)["text"].replace("\n", " ") + "\n")' "$tmp/one.jsonl" "$tmp/one.txt"
for i in $(seq "$copies"); do cat "$tmp/one.txt"; done > "$tmp/all.txt"
"$jf" tokenizer train --vocab-size 8000 --out "$tmp/tok" "$tmp/one.txt" >/dev/null 2>&1
m=$tmp/tok/tokenizer.model
bytes=$(stat -c %s "$tmp/all.txt")
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none -n 2)

# t CMD...: "WALL CPU" seconds of one run (CPU: user + sys of all its processes)
t() {
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" >/dev/null 2>&1
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$tmp/time"
}
# best_of K < FILE: the smallest value of column K (1 wall, 2 CPU)
best_of() { sort -n -k"$1" | head -1 | cut -d' ' -f"$1"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-26s %9s %9s %9s %9s %12s %12s\n' "case" "enc wall" "enc cpu" "shd wall" "shd cpu" \
  "shard/enc wall" "shard/enc cpu"
for case in j1 j2 mpi2; do
  : > "$tmp/enc" ; : > "$tmp/shd"
  for r in $(seq "$repeats"); do
    case $case in
      j1)   t "$jf" tokenizer encode -j 1 --model "$m" "$tmp/all.txt" >> "$tmp/enc"
            t "$jf" shard -q -j 1 --model "$m" --out "$tmp/s" "$tmp/docs.jsonl.zst" >> "$tmp/shd" ;;
      j2)   t "$jf" tokenizer encode -j 2 --model "$m" "$tmp/all.txt" >> "$tmp/enc"
            t "$jf" shard -q -j 2 --model "$m" --out "$tmp/s" "$tmp/docs.jsonl.zst" >> "$tmp/shd" ;;
      mpi2) t "$jf" tokenizer encode -j 2 --model "$m" "$tmp/all.txt" >> "$tmp/enc"
            t "${mpi[@]}" "$jf" shard -q -j 1 --model "$m" --out "$tmp/s" "$tmp/docs.jsonl.zst" >> "$tmp/shd" ;;
    esac
  done
  ew=$(best_of 1 < "$tmp/enc"); ec=$(best_of 2 < "$tmp/enc")
  sw=$(best_of 1 < "$tmp/shd"); sc=$(best_of 2 < "$tmp/shd")
  label=$case
  [ "$case" = j1 ] && enc_j1=$ew
  [ "$case" = mpi2 ] && label="mpi2 (vs encode -j 2)"
  printf '%-26s %8.2fs %8.2fs %8.2fs %8.2fs %11.0f%% %11.0f%%\n' "$label" "$ew" "$ec" "$sw" "$sc" \
    "$(echo "100*$ew/$sw" | bc -l)" "$(echo "100*$ec/$sc" | bc -l)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'text: %.1f MB (%d copies of the sample corpus, ja + en); encode -j 1 best: %.1f MB/s\n' \
  "$(echo "$bytes/1000000" | bc -l)" "$copies" "$(echo "$bytes/$enc_j1/1000000" | bc -l)"
