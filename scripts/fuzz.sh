#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: builds the libFuzzer targets with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/, and runs
# each target for SECONDS (default 60) from its seed corpus
# (tests/fuzz/corpus/<target>/). Findings land in build-fuzz/findings/<target>/;
# copy a crash into the corpus folder to keep it as a regression test.
# JF_FUZZ_RUNS=N also stops each target after N executions (a campaign:
# JF_FUZZ_RUNS=1000000 scripts/fuzz.sh 1800).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
targets=${*:-warc http charset html extract docstream config wikitext inputs jats manifest cclist spmodel mmidx ckpt shardjson}
build=$root/build-fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DJF_FUZZ=ON \
    -DJF_STAGES="common;rundb;warc;normalize;extract;fetch;tokenizer;shard;train" >/dev/null
ninja -C "$build" $(for t in $targets; do echo "fuzz_$t"; done)
status=0
passed=0
failed=0
for t in $targets; do
  out=$build/findings/$t
  mkdir -p "$out" "$build/work/$t"
  echo "fuzz: $t for ${secs}s"
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" ${JF_FUZZ_RUNS:+-runs=$JF_FUZZ_RUNS} -timeout=10 -rss_limit_mb=4096 \
       -artifact_prefix="$out/" -print_final_stats=1 "$build/work/$t" "$root/tests/fuzz/corpus/$t" \
       > "$out/log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM, see $out/" >&2
    status=1
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Slowest unit|Done [0-9]+ runs" "$out/log" |
    sed "s/^/  $t: /"
done
echo "fuzz: $passed passed, $failed failed"
exit $status
