#!/usr/bin/env bash
# build.sh: configures and builds jaforge into BUILD_DIR (default build/).
# Extra arguments go to cmake (e.g. -DJF_WERROR=ON, -DJF_SANITIZE=ON).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C "$build" -j"$(nproc)"
