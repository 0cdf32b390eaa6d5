#!/usr/bin/env bash
# Outbound calls through a PBX: Cohort (B2BUA) and Kamailio 5.6 (stateful proxy,
# kamailio.cfg -A WITH_TRUNK) side by side under the same SIPp load, on loopback,
# alternating at each rate. Every call is an authenticated extension dialling an outside
# number: INVITE, 401, ACK, INVITE with credentials, [100] 180 200, ACK, BYE, 200, of zero
# length (-d 0); the server rewrites From to the group's caller ID 010000 and sends the call
# to the trunk, a SIPp UAS (trunk_uas.xml) that declines any other From.
# Reports, per server and rate: successful and failed calls, the server's CPU time per call
# (its process and children, from /proc ticks) and the load generator's (SIPp UAC + UAS),
# the datagrams dropped on the server's socket and how long the step took; then the maximum
# rate with < 0.1 % failed calls, and the highest one without a dropped datagram.
#
# Usage: bench/sip/call_bench.sh BUILD_DIR
# Environment: BENCH_CALL_USERS (1000), BENCH_CALL_RATES ("500 1000 2000 3000 4000"),
#              BENCH_CALL_SECONDS (5).
# Server on core 0; the SIPp caller and the SIPp trunk both on core 1 (taskset).
set -euo pipefail
build=$(realpath "${1:-build/release}")
here=$(cd "$(dirname "$0")" && pwd)
users=${BENCH_CALL_USERS:-1000}
rates=${BENCH_CALL_RATES:-"500 1000 2000 3000 4000"}
seconds=${BENCH_CALL_SECONDS:-5}
cohort_sip=15090
cohort_http=18443
kamailio_sip=5070
trunk_port=5080  # TRUNK_PORT in kamailio.cfg
number=0301234567
dir=$(mktemp -d)
pids=()
cleanup() {
  # the SIPp processes of a step run in a subshell ($(load …)): their pids are in step.pids
  if [ -r "$dir/step.pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$dir/step.pids"
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# cpu_ticks, udp_drops, reaped_ticks, failure_reasons
source "$here/lib.sh"

# Runs one step: the trunk UAS, then the caller at RATE calls/s for `seconds` against PORT;
# prints "ok failed server_cpu_us_per_call (clean-up included, idle subtracted: lib.sh) sipp_cpu_us_per_call uas_failed drops seconds" (how
# long the caller took: more than `seconds` when SIPp could not keep the rate) and leaves the
# failure reasons in $dir/reasons.NAME.
load() {
  local port=$1 rate=$2 server_pid=$3 name=$4 count=$(($2 * seconds))
  local before after sipp_before sipp_after uas uac drops_before start_ns
  reaped_ticks
  sipp_before=$reaped
  taskset -c 1 sipp -sf "$here/trunk_uas.xml" -i 127.0.0.1 -p "$trunk_port" -buff_size 4194304 \
    -nostdin -trace_stat -stf "$dir/uas_stat.csv" -fd 1 -trace_err -error_file "$dir/uas_err.log" \
    > "$dir/uas.out" 2>&1 &
  uas=$!
  echo "$uas" > "$dir/step.pids"
  sleep 0.3
  idle_rate "$server_pid"
  before=$(cpu_ticks "$server_pid")
  drops_before=$(udp_drops "$port")
  start_ns=$(date +%s%N)
  taskset -c 1 sipp -sf "$here/call_uac.xml" -inf "$dir/calls.csv" -r "$rate" -m "$count" -d 0 \
    -i 127.0.0.1 -p 0 -buff_size 4194304 -recv_timeout 10000 -timeout $((seconds * 4 + 30))s \
    -nostdin -trace_stat -stf "$dir/stat.csv" -trace_err -error_file "$dir/uac_err.log" \
    "127.0.0.1:$port" > "$dir/uac.out" 2>&1 &
  uac=$!
  echo "$uac" >> "$dir/step.pids"
  wait "$uac" || true
  local took_ms=$((($(date +%s%N) - start_ns) / 1000000))
  local drops=$(($(udp_drops "$port") - drops_before))
  sleep 2.5  # the trunk's last calls leave their 2 s timewait
  # The UAS dumps its statistics every second (-fd 1): the last line is at most 1 s old.
  kill "$uas" 2>/dev/null || true
  wait "$uas" 2>/dev/null || true
  rm -f "$dir/step.pids"
  reaped_ticks
  sipp_after=$reaped
  settled_ticks "$server_pid" "$start_ns" "$before"
  after=$((before + settled))
  local ok failed uas_failed
  ok=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $16}')          # SuccessfulCall(C)
  failed=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $18}')      # FailedCall(C)
  uas_failed=$(tail -1 "$dir/uas_stat.csv" 2>/dev/null | awk -F';' '{print $18}')
  local at_trunk
  at_trunk=$(failure_reasons "$dir/uas_err.log")
  {
    failure_reasons "$dir/uac_err.log"
    if [ -n "$at_trunk" ]; then echo -n " | at the trunk: $at_trunk"; fi
  } > "$dir/reasons.$name"
  rm -f "$dir/stat.csv" "$dir/uas_stat.csv" "$dir/uac_err.log" "$dir/uas_err.log"
  local hz n
  hz=$(getconf CLK_TCK)
  n=$((ok > 0 ? ok : 1))
  echo "$ok $failed $(((after - before) * 1000000 / hz / n))" \
    "$(((sipp_after - sipp_before) * 1000000 / hz / n)) ${uas_failed:-?} $drops" \
    "$((took_ms / 1000)).$((took_ms % 1000 / 100))"
}

echo "== outbound calls (zero length, digest auth, From rewrite, to a trunk), $users callers," \
  "${seconds}s per step"
for i in $(seq 0 $((users - 1))); do
  echo "$number;$((100000 + i));[authentication username=$((100000 + i)) password=benchpw]"
done | { echo SEQUENTIAL; cat; } > "$dir/calls.csv"

# Cohort: the callers in group "Sales Dept" (caller ID 010000), trunk bench-trunk to the
# UAS, rule _X. → bench-trunk; the load generator is a trusted source (never rate limited or
# banned), as an office NAT or a proxy would be.
mkdir -p "$dir/cohort"
"$build/bench/seed_calls" "$dir/cohort/cohort.db" "$users" benchpw "$trunk_port" > /dev/null
cat > "$dir/cohort.toml" <<TOML
[sip]
digest_algorithms = ["MD5"]
[security]
trusted_networks = ["127.0.0.0/8"]
TOML
COHORT_ADMIN_TOKEN=bench-admin-token-0123456789 taskset -c 0 "$build/src/app/cohort" serve \
  --config "$dir/cohort.toml" --data-dir "$dir/cohort" --http "127.0.0.1:$cohort_http" \
  --sip "127.0.0.1:$cohort_sip" --log-level warn > "$dir/cohort.out" 2> "$dir/cohort.err" &
cohort_pid=$!
pids+=("$cohort_pid")

# Kamailio 5.6: digest auth on the INVITE (any user, password benchpw), From rewrite,
# record-routed relay to the UAS; two workers. Shared memory 1 GB: tm keeps each INVITE
# and BYE transaction (~8 KB) for its wait timer after the final reply, and with 256 MB
# (enough for REGISTER) it ran out at ~1,800 calls/s and answered the rest 500.
sed "s#DIR#$dir#g" "$here/kamailio.cfg" > "$dir/kamailio.cfg"
taskset -c 0 /usr/sbin/kamailio -f "$dir/kamailio.cfg" -DD -E -x tlsf -X tlsf -n 2 -m 1024 -M 16 -A WITH_TRUNK \
  -P "$dir/kamailio.pid" -w "$dir" > "$dir/kamailio.out" 2>&1 &
kamailio_pid=$!
pids+=("$kamailio_pid")
for _ in $(seq 100); do grep -q listening "$dir/cohort.out" 2>/dev/null && break; sleep 0.1; done
sleep 1

# Per server: calls ok, failed, the server's CPU µs per call, the SIPp caller's and trunk's
# together, the datagrams the kernel dropped on the server's socket, and the seconds the
# caller took for its rate × BENCH_CALL_SECONDS calls.
printf '%7s | %-50s | %-50s\n' "calls/s" "Cohort ok / failed / CPU µs / SIPp µs / drops / s" \
  "Kamailio ok / failed / CPU µs / SIPp µs / drops / s"
for rate in $rates; do
  read -r c_ok c_fail c_cpu c_sipp c_uas c_drops c_s <<< \
    "$(load $cohort_sip "$rate" "$cohort_pid" cohort)"
  read -r k_ok k_fail k_cpu k_sipp k_uas k_drops k_s <<< \
    "$(load $kamailio_sip "$rate" "$kamailio_pid" kamailio)"
  printf '%7s | %8s %7s %8s %8s %8s %5s | %8s %7s %8s %8s %8s %5s\n' "$rate" "$c_ok" "$c_fail" \
    "$c_cpu" "$c_sipp" "$c_drops" "$c_s" "$k_ok" "$k_fail" "$k_cpu" "$k_sipp" "$k_drops" "$k_s"
  if [ "$c_fail" != 0 ] || [ -s "$dir/reasons.cohort" ]; then
    echo "        Cohort failures (calls the trunk failed: $c_uas): $(cat "$dir/reasons.cohort")"
  fi
  if [ "$k_fail" != 0 ] || [ -s "$dir/reasons.kamailio" ]; then
    echo "        Kamailio failures (calls the trunk failed: $k_uas): $(cat "$dir/reasons.kamailio")"
  fi
  tally_step "$rate" "$c_ok" "$c_fail" "$c_drops" "$k_ok" "$k_fail" "$k_drops"
done
report_rates
metrics=$(curl -s "http://127.0.0.1:$cohort_http/metrics")
echo "Cohort after the run: $(echo "$metrics" | awk '/^cohort_calls_active / {print "calls up " $2}')," \
  "$(echo "$metrics" | awk '/^cohort_calls_total/ {gsub(/.*outcome="/, ""); gsub(/"}/, ""); printf "%s ", $0}')"
