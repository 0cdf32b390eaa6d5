#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build/fuzz, apart
# from the g++ build, and runs each for SECONDS/2 seconds seeded with a copy of the SIP
# corpus (tests/data/sip); first it replays the PROTOS c07-sip cases (../shared/protos/cases,
# when present) through the same sanitized target. Exits non-zero on any crash, leak or sanitizer report; the input
# that caused it is kept in build/fuzz/artifacts/<target>/.
# Usage: scripts/fuzz.sh [SECONDS]   (default 60). FUZZ_JOBS sets the build's -j (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
per_target=$((seconds / 2))
if [ "$per_target" -lt 1 ]; then per_target=1; fi
llvm=19
cxx="clang++-${llvm}"

if ! command -v "$cxx" >/dev/null 2>&1 ||
  ! dpkg-query -W -f='${Status}' "libclang-rt-${llvm}-dev" 2>/dev/null | grep -q 'install ok installed'; then
  scripts/deps.sh "clang-${llvm}" "libclang-rt-${llvm}-dev"
fi

build=build/fuzz
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCOHORT_FUZZ=ON -DCOHORT_BUILD_TESTS=OFF -DCOHORT_BUILD_BENCH=OFF >/dev/null
targets=(sip_message_fuzz sip_uri_fuzz)
cmake --build "$build" --target "${targets[@]}" -j "${FUZZ_JOBS:-2}"

for symbolizer in "/usr/lib/llvm-${llvm}/bin/llvm-symbolizer" "$(command -v llvm-symbolizer || true)"; do
  if [ -n "$symbolizer" ] && [ -x "$symbolizer" ]; then
    export ASAN_SYMBOLIZER_PATH="$symbolizer"
    break
  fi
done
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
status=0
# The PROTOS c07-sip cases (../shared/protos/cases, outside the repository), when present: every
# case replayed once through the sanitized parser and SDP checks before fuzzing starts.
protos_cases=../shared/protos/cases
if [ -d "$protos_cases" ]; then
  protos="$build/protos"
  rm -rf "$protos"
  mkdir -p "$build/artifacts"
  count=$(python3 scripts/protos-inputs.py "$protos_cases" "$protos")
  echo "fuzz: replaying $count PROTOS c07-sip inputs through sip_message_fuzz (ASan/UBSan)"
  if ! "$build/tests/fuzz/sip_message_fuzz" -runs=0 -max_len=200000 -rss_limit_mb=2048 \
    -timeout=10 -artifact_prefix="$build/artifacts/" "$protos" >"$build/protos.log" 2>&1; then
    echo "fuzz: PROTOS replay FAILED — see $build/protos.log" >&2
    tail -n 40 "$build/protos.log" >&2
    status=1
  else
    grep -E 'INITED|DONE' "$build/protos.log" | sed 's/^/fuzz: protos /' | tail -n 2
  fi
else
  echo "fuzz: no PROTOS cases at $protos_cases: replay skipped"
fi
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  cp tests/data/sip/*.sip "$corpus/"
  echo "fuzz: $t for ${per_target}s"
  if ! "$build/tests/fuzz/$t" -max_total_time="$per_target" -max_len=70000 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
    >"$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED — see $build/$t.log and $artifacts/" >&2
    tail -n 40 "$build/$t.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/$t.log" | sed "s/^/fuzz: $t /"
  fi
done
exit "$status"
