#!/usr/bin/env bash
# demo.sh: the main job on sample data the project builds itself. Installs what
# is missing, builds jaforge, crawls Japanese and English Debian documentation
# served on 127.0.0.1 into a WARC (wget --warc-file), and runs the demo recipe
# (pipelines/demo.conf) into WORKDIR (default work/demo): extract, filter,
# dedup, a tokenizer trained on the corpus, Megatron shards, a JA:EN 90:10
# blend and a short training run. Run it again to resume or to see it skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
data=${JF_DATA_DIR:-$build/data}
work=${1:-$root/work/demo}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/make-sample-data.sh" "$data"
BUILD_DIR=$build bash "$root/scripts/build.sh" -DJF_DATA_DIR="$data"
jf="$build/src/cli/jaforge"
"$jf" --version | head -1
"$jf" run "$root/pipelines/demo.conf" --workdir "$work" --set data="$data"
echo
"$jf" status "$work"
echo
echo "documents after each stage:"
for d in extract/ja extract/en filter/ja/kept filter/en/kept dedup/ja dedup/en; do
  n=0
  for f in "$work/$d"/*.jsonl.zst; do [ -e "$f" ] && n=$((n + $(zstd -dcq "$f" | wc -l))); done
  printf '  %-16s %6d\n' "$d" "$n"
done
echo
"$jf" shard inspect "$work/shards/ja" | head -8
echo
echo "training log (last lines of $work/train/log.csv):"
tail -3 "$work/train/log.csv"
