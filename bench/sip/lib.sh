# Helpers shared by the SIP benches (call_bench.sh, group_bench.sh): sourced, not run.
# They read /proc only and keep no state of their own.

# CPU ticks (user + system) of a process and its children, e.g. Kamailio's workers.
cpu_ticks() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

# CPU per operation as issue 11 counts it: everything the operation causes, clean-up included
# (transactions linger 32 s: Timer J, L, M), minus what the process burns at rest.
#   idle_rate PID          → sets `idle_per_s`: ticks/s over BENCH_IDLE_SECONDS (3) at rest
#   settled_ticks PID T0NS → sleeps until BENCH_SETTLE_SECONDS (35) after the load, then sets
#                            `settled` to the ticks since then minus idle_per_s × elapsed
# The caller takes `cpu_ticks` at T0 itself (as `before`).
idle_rate() {
  local a b s=${BENCH_IDLE_SECONDS:-3}
  a=$(cpu_ticks "$1")
  sleep "$s"
  b=$(cpu_ticks "$1")
  idle_per_s=$(awk -v d=$((b - a)) -v s="$s" 'BEGIN{printf "%.3f", d / s}')
}
settled_ticks() {
  local pid=$1 t0=$2 before=$3 now
  sleep "${BENCH_SETTLE_SECONDS:-35}"
  now=$(cpu_ticks "$pid")
  local elapsed_ns=$(($(date +%s%N) - t0))
  settled=$(awk -v d=$((now - before)) -v i="$idle_per_s" -v e="$elapsed_ns" \
    'BEGIN{v = d - i * e / 1e9; printf "%d", (v < 0 ? 0 : v)}')
}

# Datagrams the kernel dropped on the server's UDP socket(s) on PORT since they were opened
# (receive buffer full: the server is not keeping up).
udp_drops() {
  awk -v p="$(printf ':%04X' "$1")" 'NR > 1 && substr($2, length($2) - 4) == p {n += $NF} END {print n + 0}' /proc/net/udp
}

# Sets `reaped` to the CPU ticks of this shell's reaped children (the SIPp processes of a
# step, once waited for). No command substitution: that would read a subshell's own.
reaped_ticks() {
  local st
  read -r -a st < "/proc/$BASHPID/stat"
  reaped=$((st[15] + st[16]))
}

# Why SIPp failed calls, from its error file (-trace_err), most frequent first, on one line:
# "count× step: what" (late responses to calls already over, "dead calls", are left out).
failure_reasons() {
  [ -s "$1" ] || return 0
  grep -aoE "(while expecting '[^']*' \(index [0-9]+\), received '(SIP/2.0 [0-9]+|[A-Z]+)|receive timeout on message [^ ]+|Failed regexp match)" "$1" |
    sed -E "s/while expecting '([^']*)' \(index ([0-9]+)\), received '(.*)/expecting \1 at step \2, got \3/" |
    sort | uniq -c | sort -rn | head -3 | awk '{c = $1; $1 = ""; printf "%s%s×%s", (NR > 1 ? "; " : ""), c, $0}'
}

# ---- rates: the highest rate each server sustained, over the steps of one run ----------
# Uses the caller's `seconds` (length of a step). Call tally_step after each step, then
# report_rates once.
best_cohort=0
best_kamailio=0
clean_cohort=0
clean_kamailio=0

sustained() {  # OK FAILED RATE: < 0.1 % failures and every call accounted for
  [ $(($2 * 1000)) -lt $(($3 * seconds)) ] && [ "$1" -ge $(($3 * seconds * 999 / 1000)) ]
}

# RATE C_OK C_FAIL C_DROPS K_OK K_FAIL K_DROPS
tally_step() {
  if sustained "$2" "$3" "$1"; then
    best_cohort=$1
    if [ "$4" = 0 ]; then clean_cohort=$1; fi
  fi
  if sustained "$5" "$6" "$1"; then
    best_kamailio=$1
    if [ "$7" = 0 ]; then clean_kamailio=$1; fi
  fi
}

report_rates() {
  echo "max sustained rate (< 0.1 % failed calls): Cohort $best_cohort/s, Kamailio $best_kamailio/s"
  if [ "$best_kamailio" -gt 0 ]; then
    echo "ratio Cohort/Kamailio: $(awk -v a="$best_cohort" -v b="$best_kamailio" 'BEGIN{printf "%.2f", a/b}')"
  fi
  # Retransmissions rescue calls whose datagrams the kernel dropped, so the rate above can
  # be past the point where the server keeps up; this one is not.
  echo "max rate with no datagram dropped: Cohort $clean_cohort/s, Kamailio $clean_kamailio/s"
}

# The benches run Kamailio beside Cohort as the reference, and SIPp as the load: without
# them a run would report "Kamailio 0/s" with no reason. `make bench` installs both
# (scripts/deps.sh kamailio sip-tester); a direct run says what is missing and stops.
require_tools() {
  local missing=() t
  for t in /usr/sbin/kamailio sipp "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: missing ${missing[*]}; install with: scripts/deps.sh kamailio sip-tester curl jq" >&2
    exit 2
  fi
}
require_tools
