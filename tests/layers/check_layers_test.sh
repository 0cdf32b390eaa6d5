#!/usr/bin/env bash
# Self-test of scripts/check-layers.sh, so that the check cannot silently stop checking: a
# clean tree passes; each kind of violation, alone in a tree, fails naming its file.
set -euo pipefail
check="$(cd "$(dirname "$0")/../.." && pwd)/scripts/check-layers.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

clean_tree() {
  local t="$1"
  mkdir -p "$t/common" "$t/model" "$t/sip/txn" "$t/routing" "$t/media" "$t/pbx"
  printf '#include <string>\n#include "common/text.hpp"\n' >"$t/common/a.hpp"
  printf '#include "common/clock.hpp"\n#include "model/ids.hpp"\n' >"$t/model/a.cpp"
  printf '#include "sip/message.hpp"\n// steady_clock::now() in a comment is fine\n' >"$t/sip/txn/a.cpp"
  printf '#include "model/snapshot.hpp"\n#include "routing/flow.hpp"\nint time_of(int);\n' >"$t/routing/a.cpp"
  printf '#include <spandsp.h>\n#include <opus.h>\n#include "media/rtp.hpp"\n#include "common/errc.hpp"\n' >"$t/media/a.cpp"
  # The shell may do anything.
  printf '#include <thread>\n#include <mutex>\nauto t = std::chrono::steady_clock::now();\n' >"$t/pbx/a.cpp"
}

failures=0
expect() {  # expect <pass|fail> <name> <tree> [text that must appear]
  local want="$1" name="$2" tree="$3" text="${4:-}" out rc
  set +e
  out="$("$check" "$tree" 2>&1)"
  rc=$?
  set -e
  if [ "$want" = pass ] && [ "$rc" -ne 0 ]; then
    echo "FAIL $name: expected a pass, got rc=$rc: $out"; failures=$((failures + 1))
  elif [ "$want" = fail ] && [ "$rc" -ne 1 ]; then
    echo "FAIL $name: expected rc=1, got rc=$rc: $out"; failures=$((failures + 1))
  elif [ -n "$text" ] && ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL $name: output lacks '$text': $out"; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

clean_tree "$work/clean"
expect pass clean "$work/clean"

case_n=0
violating() {  # violating <name> <file relative to src> <line> <expected text>
  case_n=$((case_n + 1))
  local t="$work/case$case_n"
  clean_tree "$t"
  mkdir -p "$(dirname "$t/$2")"
  printf '%s\n' "$3" >>"$t/$2"
  expect fail "$1" "$t" "$4"
}

violating asio common/b.cpp '#include <boost/asio/io_context.hpp>' 'src/common/b.cpp:1'
violating beast model/a.cpp '#include <boost/beast/http.hpp>' 'src/model/a.cpp:3'
violating boost sip/txn/b.hpp '#include <boost/container/small_vector.hpp>' 'src/sip/txn/b.hpp:1'
violating sqlite routing/b.hpp '#include <sqlite3.h>' 'src/routing/b.hpp:1'
violating thread sip/txn/b.cpp '#include <thread>' 'src/sip/txn/b.cpp:1'
violating mutex sip/dialog/b.hpp '#  include <mutex>' 'src/sip/dialog/b.hpp:1'
violating condvar model/b.cpp '#include <condition_variable>' 'src/model/b.cpp:1'
violating system_clock common/b.cpp 'auto n = std::chrono::system_clock::now();' 'no clock reads'
violating steady_clock sip/b.cpp 'auto n = std::chrono::steady_clock::now ();' 'src/sip/b.cpp:1'
violating time routing/b.cpp 'long t = time(nullptr);' 'src/routing/b.cpp:1'
violating gettimeofday model/b.cpp 'gettimeofday(&tv, nullptr);' 'src/model/b.cpp:1'
violating clock_gettime sip/b.cpp 'clock_gettime(CLOCK_MONOTONIC, &ts);' 'src/sip/b.cpp:1'
violating upward_sip sip/b.cpp '#include "pbx/calls.hpp"' 'includes pbx/'
violating upward_model model/b.cpp '#include "routing/flow.hpp"' 'src/model/b.cpp:1'
violating sideways_routing routing/b.cpp '#include "sip/message.hpp"' 'includes sip/'
violating upward_common common/b.hpp '#include "model/ids.hpp"' 'src/common/b.hpp:1'
violating media_thread media/b.cpp '#include <thread>' 'src/media/b.cpp:1'
violating media_boost media/b.hpp '#include <boost/asio/ip/udp.hpp>' 'src/media/b.hpp:1'
violating media_clock media/b.cpp 'auto n = std::chrono::steady_clock::now();' 'src/media/b.cpp:1'
violating media_sideways media/b.cpp '#include "sip/sdp.hpp"' 'includes sip/'
violating media_upward media/b.cpp '#include "pbx/calls.hpp"' 'media/ may include only common, media'

if [ "$failures" -gt 0 ]; then
  echo "$failures check-layers self-test(s) failed"
  exit 1
fi
echo "check-layers self-test: all cases behave"
