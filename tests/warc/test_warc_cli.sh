#!/bin/sh
# test_warc_cli.sh JAFORGE TEST_WARC_READER PEERS_DIR
# `jaforge warc`: exit codes, error format, and `warc index` output diffed
# against npm warcio's `warcio index -f offset,length,warc-type,warc-target-uri,filename`
# (that part is skipped, exit 77, when node or warcio is missing).
set -u
JF=$1 SAMPLE=$2 PEERS=$3
T=$(mktemp -d "${TMPDIR:-/tmp}/jf_warc_cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SAMPLE" --write-sample "$T/s.warc.gz" || fail "cannot write sample"
"$SAMPLE" --write-sample "$T/d.warc.gz" damaged || fail "cannot write damaged sample"

# warc-cli-1: usage and help
"$JF" warc --help > "$T/help" || fail "--help exit $?"
grep -q "warc index" "$T/help" || fail "--help text"
"$JF" warc index --help > /dev/null || fail "index --help"
"$JF" warc > /dev/null 2>&1; [ $? -eq 2 ] || fail "no args should exit 2"
"$JF" warc index > /dev/null 2>&1; [ $? -eq 2 ] || fail "no file should exit 2"
"$JF" warc frobnicate x > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad command should exit 2"

# warc-cli-2: a good file: 24 lines, exit 0, nothing on stderr
"$JF" warc index "$T/s.warc.gz" > "$T/s.out" 2> "$T/s.err" || fail "index exit $?"
[ "$(wc -l < "$T/s.out")" -eq 24 ] || fail "expected 24 index lines"
[ -s "$T/s.err" ] && fail "unexpected stderr: $(cat "$T/s.err")"
FIRST='^{"offset":0,"length":[0-9]*,"warc-type":"warcinfo",'
FIRST="$FIRST"'"warc-target-uri":"http://example.com/a\\"quoted\\"","filename":"s.warc.gz"}$'
head -1 "$T/s.out" | grep -q "$FIRST" || fail "first line: $(head -1 "$T/s.out")"

# warc-cli-3: a damaged file: records still listed, error as FILE:OFFSET: reason, exit 1
"$JF" warc index "$T/d.warc.gz" > "$T/d.out" 2> "$T/d.err"
[ $? -eq 1 ] || fail "damaged file should exit 1"
[ "$(wc -l < "$T/d.out")" -eq 24 ] || fail "damaged: expected all 24 records"
grep -q "^jaforge: $T/d.warc.gz:[0-9][0-9]*: garbage" "$T/d.err" ||
    fail "error format: $(cat "$T/d.err")"
"$JF" warc index "$T/missing.warc" > /dev/null 2> "$T/m.err"
[ $? -eq 1 ] || fail "missing file should exit 1"
grep -q "^jaforge: $T/missing.warc: cannot open" "$T/m.err" || fail "missing: $(cat "$T/m.err")"

# warc-cli-4: the same bytes as warcio index
WARCIO="$PEERS/node_modules/warcio/dist/cli.js"
if ! command -v node > /dev/null || [ ! -f "$WARCIO" ]; then
    echo "SKIP: node or warcio missing"
    exit 77
fi
node "$WARCIO" index "$T/s.warc.gz" -f offset,length,warc-type,warc-target-uri,filename \
    > "$T/s.warcio" || fail "warcio failed"
diff "$T/s.warcio" "$T/s.out" > "$T/diff" || fail "differs from warcio: $(head -5 "$T/diff")"
echo "ok"
