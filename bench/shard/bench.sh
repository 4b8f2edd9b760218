#!/usr/bin/env bash
# bench/shard/bench.sh [BUILD_DIR] [DATA_DIR] [COPIES]: shard writing end to
# end (read zstd documents, encode, write .bin/.idx) against encoding alone
# (`jaforge tokenizer encode` on the same text, one line per document), same
# model, one thread each, then two threads.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=${2:-$build/data}
copies=${3:-20}
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
"$jf" tokenizer train -q --vocab-size 8000 --out "$tmp/tok" "$tmp/one.txt" >/dev/null 2>&1 ||
  "$jf" tokenizer train --vocab-size 8000 --out "$tmp/tok" "$tmp/one.txt" >/dev/null 2>&1
m=$tmp/tok/tokenizer.model
bytes=$(stat -c %s "$tmp/all.txt")
t() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
for j in 1 2; do
  enc=$(t "$jf" tokenizer encode -j "$j" --model "$m" "$tmp/all.txt")
  sh=$(t "$jf" shard -j "$j" --model "$m" --out "$tmp/s$j" "$tmp/docs.jsonl.zst")
  printf 'threads %d: encode %.2f s (%.1f MB/s), shard %.2f s (%.1f MB/s): shard = %.0f%% of encode\n' "$j" \
    "$enc" "$(echo "$bytes/$enc/1000000" | bc -l)" "$sh" "$(echo "$bytes/$sh/1000000" | bc -l)" \
    "$(echo "100*$enc/$sh" | bc -l)"
done
printf 'text: %.1f MB (%d copies of the sample corpus, ja + en)\n' "$(echo "$bytes/1000000" | bc -l)" "$copies"
