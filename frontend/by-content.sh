#!/usr/bin/env bash
# A build step's output kept by the content of its input, for steps too slow to redo on a file that
# has not changed (wasm-opt -Oz, brotli at quality 11): prints the path of COMMAND's output for FILE,
# CACHE/<SHA-256 of FILE>.EXT, running COMMAND only when that is not there yet. In COMMAND's
# arguments `{in}` stands for FILE and `{out}` for where it writes. The output's time is refreshed,
# so a recipe can drop the least recently used.
#
# usage: by-content.sh CACHE EXT FILE COMMAND...
set -euo pipefail

cache=$1 ext=$2 file=$3
shift 3
out=$cache/$(sha256sum "$file" | cut -c1-64).$ext
if [ ! -f "$out" ]; then
  mkdir -p "$cache"
  args=()
  for arg in "$@"; do
    arg=${arg//\{in\}/$file}
    args+=("${arg//\{out\}/$out.partial}")
  done
  echo "${1##*/} $(basename "$file")" >&2
  "${args[@]}"
  mv "$out.partial" "$out"
fi
touch "$out"
echo "$out"
