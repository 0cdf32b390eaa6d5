#!/usr/bin/env bash
# The layering, enforced (DESIGN.md "Architecture", issue 11): the pure folders — common/,
# model/, sip/ (with txn/ and any subfolder), routing/ and media/ — include no Boost (Asio and
# Beast included), SQLite or threading header, read no clock, and include only the folders they
# may depend on:
#
#   common  → common
#   model   → common, model
#   sip/**  → common, sip
#   routing → common, model, routing
#   media   → common, media   (plus spandsp and libopus: pure computation, issue 13)
#
# Randomness from the CSPRNG (common/crypto, sip/digest nonces) is allowed: it is the one
# documented side effect of those folders and has no simulated stand-in to test against.
#
# Usage: scripts/check-layers.sh [SRC_DIR]   (default: src/ of this repository)
# Exit 0 when clean; 1 with one "file:line: rule" line per violation.
set -euo pipefail
src="${1:-$(cd "$(dirname "$0")/.." && pwd)/src}"
[ -d "$src" ] || { echo "check-layers: no directory $src" >&2; exit 2; }

declare -A allowed=(
  [common]="common"
  [model]="common model"
  [sip]="common sip"
  [routing]="common model routing"
  [media]="common media"
)
forbidden_includes='^[[:space:]]*#[[:space:]]*include[[:space:]]*<(boost/|asio|sqlite3\.h|SQLiteCpp|thread>|mutex>|shared_mutex>|condition_variable>|future>|stop_token>|semaphore>|latch>|barrier>)'
clock_reads='(system_clock|steady_clock|high_resolution_clock|utc_clock|tai_clock|gps_clock|file_clock)::now[[:space:]]*\(|std::time[[:space:]]*\(|[^_[:alnum:]]time[[:space:]]*\([[:space:]]*(nullptr|NULL|0)[[:space:]]*\)|gettimeofday[[:space:]]*\(|clock_gettime[[:space:]]*\(|timespec_get[[:space:]]*\('

violations=0
report() {
  echo "$1"
  violations=$((violations + 1))
}

for layer in common model sip routing media; do
  dir="$src/$layer"
  [ -d "$dir" ] || continue
  while IFS= read -r -d '' file; do
    rel="${file#"$src"/}"
    while IFS= read -r hit; do
      report "src/$rel:${hit%%:*}: $layer/ is pure: no Asio, Beast, SQLite or threads (${hit#*:})"
    done < <(grep -nE "$forbidden_includes" "$file" | sed -E 's/^([0-9]+):[[:space:]]*/\1:/' || true)
    while IFS= read -r hit; do
      report "src/$rel:${hit%%:*}: $layer/ is pure: time is an input, no clock reads (${hit#*:})"
    done < <(grep -nE "$clock_reads" "$file" | grep -vE '^[0-9]+:[[:space:]]*//' |
               sed -E 's/^([0-9]+):[[:space:]]*/\1:/' || true)
    while IFS= read -r hit; do
      line="${hit%%:*}"
      target="$(sed -E 's/.*#[[:space:]]*include[[:space:]]*"([a-z_]+)\/.*/\1/' <<<"${hit#*:}")"
      ok=0
      for a in ${allowed[$layer]}; do
        [ "$a" = "$target" ] && ok=1
      done
      [ "$ok" = 1 ] ||
        report "src/$rel:$line: $layer/ may include only ${allowed[$layer]// /, } (includes $target/)"
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$file" || true)
  done < <(find "$dir" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) -print0)
done

if [ "$violations" -gt 0 ]; then
  echo "check-layers: $violations violation(s) of the layering (DESIGN.md, docs/architecture.md)" >&2
  exit 1
fi
echo "check-layers: common/, model/, sip/, routing/, media/ are pure"
