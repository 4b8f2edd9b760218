#!/usr/bin/env bash
# test.sh: the project's test command. Installs what is missing (Debian packages,
# npm peers), builds the sample data from Debian packages, builds with -Werror,
# runs every test under ctest, then the unit, CLI, fuzz-replay and MPI tests
# again under the sanitizers (JF_SKIP_ASAN=1 skips that part), then fuzzes every
# parser for a few seconds (JF_FUZZ_SECONDS, 0 skips).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
data=${JF_DATA_DIR:-$build/data}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/make-sample-data.sh" "$data"
BUILD_DIR=$build bash "$root/scripts/build.sh" -DJF_WERROR=ON -DJF_DATA_DIR="$data"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"

# The same code under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer (CMakePresets.json "asan"): unit, CLI and fuzz-replay tests
# (not the long kill-and-resume test), then the MPI tests ("asan-mpi", with
# Open MPI's own process-lifetime allocations suppressed).
if [ -z "${JF_SKIP_ASAN:-}" ]; then
  cmake --preset asan -S "$root" -DJF_DATA_DIR="$data" >/dev/null
  ninja -C "$root/build-asan" -j"$(nproc)"
  (cd "$root" && ctest --preset asan -j"$(nproc)")
  (cd "$root" && ctest --preset asan-mpi)
fi

# A short, bounded fuzzing run of every parser (clang, libFuzzer, sanitizers):
# JF_FUZZ_SECONDS per target (default 10; 0 skips).
secs=${JF_FUZZ_SECONDS:-10}
if [ "$secs" != 0 ]; then
  bash "$root/scripts/fuzz.sh" "$secs"
fi
