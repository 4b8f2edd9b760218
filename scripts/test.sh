#!/usr/bin/env bash
# test.sh: the project's test command. Installs what is missing (Debian packages,
# npm peers), builds the sample data from Debian packages, builds with -Werror,
# and runs every test under ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
data=${JF_DATA_DIR:-$build/data}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/make-sample-data.sh" "$data"
BUILD_DIR=$build bash "$root/scripts/build.sh" -DJF_WERROR=ON -DJF_DATA_DIR="$data"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
