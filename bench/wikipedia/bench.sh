#!/usr/bin/env bash
# bench/wikipedia/bench.sh [BUILD_DIR] [DATA_DIR] [PAGES]: Wikipedia XML dump
# -> documents, one core, plain XML and bzip2 (one stream per 100 pages, like
# the multistream dumps), against bzip2 decoding alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=${2:-$build/data}
pages=${3:-20000}
jf=$build/src/cli/jaforge
tmp=$(mktemp -d /tmp/jf-bench-wiki.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$jf" extract -q --lang ja --out "$tmp/docs" "$data/warc/sample.warc.gz"
/usr/bin/python3 "$root/bench/wikipedia/make_dump.py" "$tmp/docs/ja/sample.jsonl.zst" "$tmp/dump.xml" "$pages"
/usr/bin/python3 - "$tmp/dump.xml" "$tmp/dump.xml.bz2" <<'PY'
import bz2, sys
pages = open(sys.argv[1], encoding="utf-8").read().split("</page>\n")
with open(sys.argv[2], "wb") as f:
    for i in range(0, len(pages), 100):
        chunk = "</page>\n".join(pages[i:i + 100]) + ("</page>\n" if i + 100 < len(pages) else "")
        f.write(bz2.compress(chunk.encode()))
PY
size=$(stat -c %s "$tmp/dump.xml")
t() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
plain=$(t taskset -c 0 "$jf" extract -q --lang ja --out "$tmp/o1" "$tmp/dump.xml")
bz=$(t taskset -c 0 "$jf" extract -q --lang ja --out "$tmp/o2" "$tmp/dump.xml.bz2")
bzcat=$(t taskset -c 0 bzip2 -dc "$tmp/dump.xml.bz2")
docs=$(zstd -dcq "$tmp/o2/ja/dump.jsonl.zst" | wc -l)
printf 'dump: %d pages, %.1f MB of XML, %.1f MB bzip2; %d Japanese documents out\n' "$pages" \
  "$(echo "$size/1000000" | bc -l)" "$(echo "$(stat -c %s "$tmp/dump.xml.bz2")/1000000" | bc -l)" "$docs"
printf '%-34s %6.2f s  %6.1f MB/s of XML\n' "jaforge extract, plain XML" "$plain" "$(echo "$size/$plain/1000000" | bc -l)"
printf '%-34s %6.2f s  %6.1f MB/s of XML\n' "jaforge extract, bzip2 multistream" "$bz" "$(echo "$size/$bz/1000000" | bc -l)"
printf '%-34s %6.2f s  %6.1f MB/s of XML\n' "bzip2 -dc alone" "$bzcat" "$(echo "$size/$bzcat/1000000" | bc -l)"
