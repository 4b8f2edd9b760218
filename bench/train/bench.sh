#!/bin/sh
# bench.sh BUILD_DIR: builds bench_train against BUILD_DIR's libraries and runs
# the shapes of README.md, 1 rank x 2 BLAS threads and 2 ranks x 1 thread.
# OPENBLAS_CORETYPE is passed through as set by the caller (say so with figures).
set -e
B=${1:-build}
OUT=${TMPDIR:-/tmp}/bench_train
gcc -O2 -fopenmp -Isrc/train -Isrc/common bench/train/bench_train.c \
    "$B/src/train/libjf_train.a" "$B/src/common/libjf_common.a" \
    $(pkg-config --cflags --libs openblas ompi-c) -lm -o "$OUT"
lscpu | grep -E 'Model name|^CPU\(s\)'
STEPS=${STEPS:-2}
MPI="mpirun -n 2 --bind-to none --allow-run-as-root --oversubscribe"
for shape in "384 1024 6 6 32000 256 8" "256 704 8 4 8000 256 8" "512 1408 8 8 8000 512 4"; do
    echo "== $shape"
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1 "$OUT" $shape "$STEPS"
    set -- $shape
    half=$(( $7 / 2 ))
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $MPI "$OUT" $1 $2 $3 $4 $5 $6 $half "$STEPS"
done
