#!/usr/bin/env bash
# install-deps.sh: installs, from Debian packages only, what jaforge needs to build,
# test and run its demo. Idempotent: does nothing when everything is present.
# Does not build jaforge (see scripts/build.sh).
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config
  libcurl4-openssl-dev libzstd-dev libxxhash-dev libsqlite3-dev sqlite3 libicu-dev
  libopenmpi-dev openmpi-bin libopenblas-dev libxml2-dev libbz2-dev zlib1g-dev
  libisal-dev libjansson-dev libcld2-dev libcmocka-dev libuchardet-dev
  mecab libmecab-dev mecab-ipadic-utf8
  libssl-dev libinih-dev libdatrie-dev libprotobuf-c-dev protobuf-c-compiler
  sentencepiece python3-sentencepiece python3-numpy
  chromium fonts-noto-cjk clang libclang-rt-14-dev
  wget python3 zstd ca-certificates openssl libomp-dev
)
# Node.js may come from another packaging that bundles npm: ask for it only when absent.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm peers used by interoperability tests (kept inside the tree, never global).
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$here/tests/peers/node_modules/warcio" ] ||
   [ ! -d "$here/tests/peers/node_modules/@huggingface/tokenizers" ]; then
  (cd "$here/tests/peers" && npm install --no-audit --no-fund --silent >/dev/null)
fi
