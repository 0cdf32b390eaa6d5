#!/usr/bin/env bash
# Installs the Debian packages Cohort needs that are missing (../shared/DEPENDENCIES.md).
# Non-interactive, --no-install-recommends; `apt-get update` runs only when a package is
# not found in the current lists. Usage: scripts/deps.sh [extra packages...]
set -euo pipefail

packages=(
  # toolchain
  g++ make cmake pkg-config clang-format
  # libraries (DEPENDENCIES.md install line)
  libboost-dev libssl-dev nlohmann-json3-dev libsqlite3-dev libsqlitecpp-dev
  libhowardhinnant-date-dev tzdata libsndfile1-dev libspandsp-dev libopus-dev
  # the built-in prompts, spoken at build time (prompts/); runtime speech of defaults
  # that name things (src/audio/speech.cpp)
  espeak-ng libespeak-ng-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev sip-tester
  # console passwords (argon2id)
  libsodium-dev
  # real SIP peers of the integration tests (TESTING.md)
  baresip-core sipvicious linphone-cli twinkle-console
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev sqlite3 procps
  # audio checks of the media tests (tones made and measured with sox)
  sox
  # promtool, which lints the /metrics exposition in a ctest test (Debian ships it only in
  # the server package; where services may start on install, its daemon is enabled too)
  prometheus
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

echo "deps: installing ${missing[*]}"
# Update the package lists only when one of the missing packages is unknown to them.
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then
    $sudo apt-get update -q
    break
  fi
done
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
