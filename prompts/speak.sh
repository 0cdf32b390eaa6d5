#!/usr/bin/env bash
# Speaks every prompt of a prompt table (en.tsv: id TAB words) into OUT_DIR/<id>.wav with
# espeak-ng (Debian package, scripts/deps.sh). Run by the build (prompts/CMakeLists.txt).
# Usage: prompts/speak.sh TABLE OUT_DIR [VOICE]
set -euo pipefail
table=$1 out=$2 voice=${3:-en-us}
mkdir -p "$out"
while IFS=$'\t' read -r id words; do
  case "$id" in ''|'#'*) continue ;; esac
  [ -n "$words" ] || { echo "speak.sh: prompt '$id' has no words" >&2; exit 1; }
  espeak-ng -v "$voice" -s 155 -w "$out/$id.wav" "$words"
done < "$table"
