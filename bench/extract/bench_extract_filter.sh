#!/usr/bin/env bash
# bench_extract_filter.sh JAFORGE WARC [RUNS]: extract and filter (swallow-ja,
# gopher-en) in one pass (`jaforge extract --filter`) against the two-pass way
# (`jaforge extract`, then `jaforge filter` per language), same input, same
# run, best CPU time (user+sys) of RUNS (default 3). Outputs are compared byte
# for byte.
set -euo pipefail
jf=$1
warc=$2
runs=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpu() {   # CPU seconds of a command (user+sys)
  /usr/bin/time -f '%U %S' -o "$tmp/t" "$@" >/dev/null 2>&1
  awk '{ printf "%.3f\n", $1 + $2 }' "$tmp/t"
}
best_one=999 best_two=999
for r in $(seq "$runs"); do
  rm -rf "$tmp/one" "$tmp/two"
  one=$(cpu "$jf" extract -q --out "$tmp/one/x" --filter ja=swallow-ja --filter en=gopher-en \
        --filter-out "$tmp/one/f" "$warc")
  a=$(cpu "$jf" extract -q --out "$tmp/two/x" "$warc")
  b=$(cpu "$jf" filter -q --profile swallow-ja --out "$tmp/two/f/ja" "$tmp/two/x/ja")
  c=$(cpu "$jf" filter -q --profile gopher-en --out "$tmp/two/f/en" "$tmp/two/x/en")
  two=$(echo "$a $b $c" | awk '{ printf "%.3f\n", $1 + $2 + $3 }')
  best_one=$(echo "$best_one $one" | awk '{ print ($2 < $1) ? $2 : $1 }')
  best_two=$(echo "$best_two $two" | awk '{ print ($2 < $1) ? $2 : $1 }')
done
for f in ja/kept ja/rejected en/kept en/rejected; do
  for o in "$tmp"/two/f/$f/*.jsonl.zst; do
    cmp -s "$o" "$tmp/one/f/$f/$(basename "$o")" || { echo "outputs differ: $f" >&2; exit 1; }
  done
done
echo "input: $warc ($(stat -c %s "$warc") bytes), best of $runs"
echo "one pass (extract --filter): ${best_one} s CPU"
echo "two passes (extract; filter ja; filter en): ${best_two} s CPU"
echo "ratio: $(echo "$best_two $best_one" | awk '{ printf "%.2f", $1 / $2 }')x, outputs identical"
