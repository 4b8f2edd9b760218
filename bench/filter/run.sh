#!/bin/sh
# bench/filter/run.sh JAFORGE DATA_DIR: CPU seconds (user) of `jaforge filter`
# on the sample's Japanese pages, one thread, for swallow-ja as shipped, with
# the MeCab rules on, with the zstd/BBS rules on, and an empty profile (I/O
# only: zstd, JSON, writing). MB = UTF-8 bytes of the documents' text.
set -eu
J=$1; DATA=$2; W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
"$J" extract -q --out "$W/ext" "$DATA/warc/sample.warc.gz" >/dev/null
IN=$W/ext/ja/sample.jsonl.zst
printf '[profile]\nname = empty\n[max_bytes]\nmax = 8388608\n' > "$W/empty.ini"
MB=$(zstd -dc "$IN" | python3 -c 'import sys,json; print(sum(len(json.loads(l)["text"].encode()) for l in sys.stdin)/1e6)')
DOCS=$(zstd -dc "$IN" | wc -l)
run() {   # label, args...
    label=$1; shift; best=
    for i in 1 2 3; do
        rm -rf "$W/o"
        t=$( { /usr/bin/time -f %U "$J" filter -q --out "$W/o" "$@" "$IN" >/dev/null; } 2>&1 | tail -1)
        best=$(python3 -c "print(min(float('$t'), float('${best:-1e9}')))")
    done
    python3 -c "print(f'%-28s %6.2f s  %7.0f docs/s  %6.1f MB/s' % ('$label', $best, $DOCS/$best, $MB/$best))"
}
echo "sample: $DOCS documents, $MB MB of text"
run "empty profile (I/O)" --profile "$W/empty.ini"
run "swallow-ja" --profile swallow-ja
run "swallow-ja + zstd, BBS/ad" --profile swallow-ja --set ja_zstd_ratio.enabled=true \
    --set ja_bbs_ad_patterns.enabled=true
run "swallow-ja + MeCab rules" --profile swallow-ja --set ja_noun_ratio.enabled=true \
    --set ja_dup_word_7gram_char_frac.enabled=true
