#!/usr/bin/env bash
# bench/extract/bench.sh: end-to-end extraction speed (WARC gzip -> HTTP ->
# charset -> HTML text -> NFKC -> language -> zstd JSON lines) on the sample
# WARC crawled from Debian documentation, one process on one core.
# Usage: bench/extract/bench.sh [BUILD_DIR] [DATA_DIR] [COPIES]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=${2:-$build/data}
copies=${3:-8}
jf=$build/src/cli/jaforge
tmp=$(mktemp -d /tmp/jf-bench-extract.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in"
for i in $(seq -w 1 "$copies"); do cp "$data/warc/sample.warc.gz" "$tmp/in/s$i.warc.gz"; done
bytes=$(du -cb "$tmp"/in/*.warc.gz | tail -1 | cut -f1)
raw=$(( $(stat -c %s "$data/warc/sample.warc") * copies ))

measure() {  # $1 label, rest: extra args
  local label=$1; shift
  rm -rf "$tmp/out"
  local t0 t1
  t0=$(date +%s.%N)
  taskset -c 0 "$jf" extract -q --out "$tmp/out" "$@" "$tmp/in" 2>/dev/null
  t1=$(date +%s.%N)
  local secs ja en
  secs=$(echo "$t1 - $t0" | bc -l)
  ja=$(sqlite3 "$tmp/out/jaforge.db" "SELECT sum(json_extract(stats,'\$.kept.ja')) FROM tasks")
  en=$(sqlite3 "$tmp/out/jaforge.db" "SELECT sum(json_extract(stats,'\$.kept.en')) FROM tasks")
  pages=$(sqlite3 "$tmp/out/jaforge.db" "SELECT sum(json_extract(stats,'\$.html')) FROM tasks")
  en=${en:-0}
  printf '%-24s %6.2f s  %6d pages  %7.0f pages/s  %6.0f ja docs/s  %6.1f MB/s (uncompressed WARC)\n' \
    "$label" "$secs" "$pages" "$(echo "$pages / $secs" | bc -l)" "$(echo "$ja / $secs" | bc -l)" \
    "$(echo "$raw / $secs / 1000000" | bc -l)"
}
echo "input: $copies x sample.warc.gz = $bytes bytes gzip, $raw bytes uncompressed; one core (taskset -c 0)"
measure "--lang ja,en" --lang ja,en
measure "--lang ja (pre-filter)" --lang ja
