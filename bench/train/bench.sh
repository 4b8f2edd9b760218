#!/bin/sh
# bench.sh BUILD_DIR: builds bench_attention and bench_train against
# BUILD_DIR's libraries; times the causal attention against the full block at
# T 256 and 512, then runs the shapes of README.md at one global batch:
# 1 rank x 2 BLAS threads,
# 1 rank x 1 thread, 2 ranks x 1 thread with the gradients in buckets
# overlapped with backward (BUCKET_MB, default 8), and 2 ranks with
# BUCKET_MB=0 (one all-reduce after backward). Prints `uptime` before each
# shape: on a shared machine compare the MFU(cpu) lines (README.md).
# OPENBLAS_CORETYPE is passed through as set by the caller (say so with figures).
# SHAPES="DIM HIDDEN LAYERS HEADS VOCAB T B;..." overrides the shapes.
set -e
B=${1:-build}
OUT=${TMPDIR:-/tmp}/bench_train
gcc -O2 -fopenmp -Isrc/train -Isrc/common bench/train/bench_train.c \
    "$B/src/train/libjf_train.a" "$B/src/common/libjf_common.a" \
    $(pkg-config --cflags --libs openblas ompi-c) -lm -o "$OUT"
gcc -O2 -fopenmp -Isrc/train -Isrc/common bench/train/bench_attention.c \
    "$B/src/train/libjf_train.a" $(pkg-config --cflags --libs openblas) -lm -o "$OUT-att"
lscpu | grep -E 'Model name|^CPU\(s\)'
uptime
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$OUT-att" 8 256 4 64 5
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$OUT-att" 4 512 8 64 5
STEPS=${STEPS:-2}
MPI="mpirun -n 2 --bind-to none --allow-run-as-root --oversubscribe"
[ -n "$ATT_ONLY" ] && exit 0
SHAPES=${SHAPES:-"384 1024 6 6 32000 256 8;256 704 8 4 8000 256 8;512 1408 8 8 8000 512 4"}
IFS=';'
for shape in $SHAPES; do
    IFS=' '
    set -- $shape
    half=$(( $7 / 2 ))
    echo "== $shape"
    uptime
    echo "-- 1 rank x 2 BLAS threads"
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1 "$OUT" "$@" "$STEPS"
    echo "-- 1 rank x 1 BLAS thread"
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$OUT" "$@" "$STEPS"
    echo "-- 2 ranks x 1 BLAS thread, buckets"
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $MPI "$OUT" $1 $2 $3 $4 $5 $6 $half "$STEPS" </dev/null
    echo "-- 2 ranks x 1 BLAS thread, BUCKET_MB=0"
    BUCKET_MB=0 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        $MPI "$OUT" $1 $2 $3 $4 $5 $6 $half "$STEPS" </dev/null
done
uptime
