#!/bin/sh
# bench_runs.sh JAFORGE CORPUS OUT MEM SHAPE...: whole dedup runs of CORPUS
# (a folder of .jsonl.zst, e.g. from make_corpus.py), each with one rank and
# with `mpirun -n 2`, for each SHAPE ("40x20", "14x8"; character 5-grams).
# Prints one line per run: wall seconds, CPU seconds (user+sys, all ranks),
# the largest peak RSS of a rank, the removed counts, the load average at
# the start, then each rank's seconds per phase (wall and CPU, as dedup logs
# them); then whether the 2-rank outputs are byte-identical to 1 rank.
# Outputs go to OUT/<shape>-<ranks> (removed before each run).
set -eu
J=$1 CORPUS=$2 OUT=$3 MEM=$4
shift 4
MPI="mpirun --allow-run-as-root --oversubscribe --bind-to none -n 2"
mkdir -p "$OUT"
for shape in "$@"; do
    b=${shape%x*} r=${shape#*x}
    for ranks in 1 2; do
        o=$OUT/$shape-$ranks
        rm -rf "$o"
        load=$(cut -d' ' -f1 /proc/loadavg)
        cmd="$J dedup --bands $b --rows $r --mem $MEM --out $o $CORPUS"
        t0=$(date +%s.%N)
        if [ "$ranks" = 1 ]; then
            /usr/bin/time -f "%M %U %S" -o "$o.time" $cmd 2> "$o.log"
        else
            # one time file per rank: peak RSS and CPU of each
            $MPI sh -c "/usr/bin/time -f '%M %U %S' -o $o.time.\$OMPI_COMM_WORLD_RANK $cmd" 2> "$o.log"
            cat "$o".time.* > "$o.time"
        fi
        t1=$(date +%s.%N)
        st=$(sqlite3 "$o/jaforge.db" "select stats from tasks where stage='dedup'")
        awk -v shape="$shape" -v ranks="$ranks" -v mem="$MEM" -v t0="$t0" -v t1="$t1" \
            -v load="$load" -v st="$st" '
            { rss = $1 > rss ? $1 : rss; cpu += $2 + $3 }
            END {
                match(st, /"removed_exact":[0-9]+/); ex = substr(st, RSTART + 16, RLENGTH - 16)
                match(st, /"removed_near":[0-9]+/); ne = substr(st, RSTART + 15, RLENGTH - 15)
                match(st, /"mem_planned":[0-9]+/); pl = substr(st, RSTART + 14, RLENGTH - 14)
                printf "%s ranks=%s mem=%s: wall %.1f s, cpu %.1f s, peak RSS %.0f MB, " \
                       "planned %.0f MB, removed %s exact / %s near, load %s\n",
                       shape, ranks, mem, t1 - t0, cpu, rss / 1024, pl / 1048576, ex, ne, load
            }' "$o.time"
        tr '\r' '\n' < "$o.log" | grep 'dedup: rank' | sort | sed 's/^jaforge: dedup: /    /'
    done
    same=yes
    for f in "$OUT/$shape-1"/*.jsonl.zst "$OUT/$shape-1/duplicates.tsv"; do
        cmp -s "$f" "$OUT/$shape-2/$(basename "$f")" || same=no
    done
    echo "$shape: 2-rank outputs byte-identical to 1 rank: $same"
done
