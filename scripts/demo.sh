#!/usr/bin/env bash
# demo.sh: the main job on sample data the project builds itself. Installs what
# is missing, builds jaforge, crawls Japanese and English Debian documentation
# served on 127.0.0.1 into WARC files (wget --warc-file), and extracts clean
# documents from them into WORKDIR (default work/demo). Run it again: finished
# inputs are skipped (the run database remembers them).
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
"$jf" extract --out "$work" "$data/warc/sample.warc.gz"
echo
echo "documents:"
for f in "$work"/ja/*.jsonl.zst "$work"/en/*.jsonl.zst; do
  printf '  %-50s %6d docs\n' "${f#$root/}" "$(zstd -dcq "$f" | wc -l)"
done
echo
echo "first Japanese document (text cut at 300 bytes):"
zstd -dcq "$work"/ja/*.jsonl.zst | head -1 | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
print("  id:", d["id"]); print("  url:", d["url"]); print("  meta:", json.dumps(d["meta"], ensure_ascii=False))
print("  text:", d["text"][:300].replace("\n", "\n        "))'
echo
echo "statistics per input (run database $work/jaforge.db):"
sqlite3 "$work/jaforge.db" "SELECT stage, status, attempts, stats FROM tasks" 2>/dev/null || true
