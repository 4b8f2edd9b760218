#!/bin/sh
# bench/filter/run.sh JAFORGE DATA_DIR [REPEAT]: CPU seconds (user) of
# `jaforge filter` on the sample's Japanese pages, one thread, for swallow-ja
# as shipped, with the zstd/BBS rules on, with the MeCab rules on, and an
# empty profile (I/O only: zstd, JSON, writing). The pages are repeated
# REPEAT times (default 8, about 24 MB) so that times are well above the
# 10 ms resolution of /usr/bin/time; best of 5 runs. MB = UTF-8 bytes of the
# documents' text. Prints the load average: the machine may be shared.
set -eu
J=$1; DATA=$2; REPEAT=${3:-8}; W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
"$J" extract -q --out "$W/ext" "$DATA/warc/sample.warc.gz" >/dev/null
ONE=$W/ext/ja/sample.jsonl.zst
IN=$W/in.jsonl.zst
i=0; while [ $i -lt "$REPEAT" ]; do cat "$ONE"; i=$((i + 1)); done > "$IN"   # zstd frames concatenate
printf '[profile]\nname = empty\n[max_bytes]\nmax = 8388608\n' > "$W/empty.ini"
MB=$(zstd -dc "$IN" | python3 -c 'import sys,json; print(sum(len(json.loads(l)["text"].encode()) for l in sys.stdin)/1e6)')
DOCS=$(zstd -dc "$IN" | wc -l)
run() {   # label, args...
    label=$1; shift; best=
    for i in 1 2 3 4 5; do
        rm -rf "$W/o"
        t=$( { /usr/bin/time -f %U "$J" filter -q --out "$W/o" "$@" "$IN" >/dev/null; } 2>&1 | tail -1)
        best=$(python3 -c "print(min(float('$t'), float('${best:-1e9}')))")
    done
    python3 -c "print(f'%-28s %6.2f s  %7.0f docs/s  %6.1f MB/s' % ('$label', $best, $DOCS/$best, $MB/$best))"
}
echo "input: $DOCS documents, $MB MB of text; load average $(cut -d' ' -f1-3 /proc/loadavg)"
run "empty profile (I/O)" --profile "$W/empty.ini"
run "swallow-ja" --profile swallow-ja
run "swallow-ja + zstd, BBS/ad" --profile swallow-ja --set ja_zstd_ratio.enabled=true \
    --set ja_bbs_ad_patterns.enabled=true
run "swallow-ja + MeCab rules" --profile swallow-ja --set ja_noun_ratio.enabled=true \
    --set ja_dup_word_7gram_char_frac.enabled=true
