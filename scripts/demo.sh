#!/usr/bin/env bash
# demo.sh: the main job on sample data the project builds itself. Installs what
# is missing, builds jaforge, crawls Japanese and English Debian documentation
# served on 127.0.0.1 into a WARC (wget --warc-file), and runs the demo recipe
# (pipelines/demo.conf) into WORKDIR (default work/demo): extract and filter in one pass,
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
echo "documents after each stage (extract filters as it goes: extracted = kept + rejected):"
count() {
  local n=0 f
  for f in "$@"; do [ -e "$f" ] && n=$((n + $(zstd -dcq "$f" | wc -l))); done
  echo "$n"
}
for l in ja en; do
  printf '  %-16s %6d\n' "extracted $l" "$(count "$work"/filter/$l/kept/*.jsonl.zst "$work"/filter/$l/rejected/*.jsonl.zst)"
  printf '  %-16s %6d\n' "filtered $l" "$(count "$work"/filter/$l/kept/*.jsonl.zst)"
  printf '  %-16s %6d\n' "deduplicated $l" "$(count "$work"/dedup/$l/*.jsonl.zst)"
done
echo
"$jf" shard inspect "$work/shards/ja" | head -8
echo
echo "training log (last lines of $work/train/log.csv):"
tail -3 "$work/train/log.csv"
