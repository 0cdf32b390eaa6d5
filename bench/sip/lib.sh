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
