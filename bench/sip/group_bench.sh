#!/usr/bin/env bash
# Group calls from a trunk (issue 5): SIPp trunk → server → simultaneous ring of 3 SIPp
# members, one answers. Cohort (B2BUA: inbound route → group, ring_strategy simultaneous)
# and Kamailio 5.6 (stateful proxy, kamailio.cfg -A WITH_FORK: parallel forking to the 3
# contacts registered for the DID) side by side under the same SIPp load, on loopback,
# alternating at each rate. Every call: the trunk's INVITE (no authentication: the trunk is
# known by its address, 127.0.0.3), 3 INVITEs out, 3 × 180, the answering member's 200, a
# CANCEL (200, 487, ACK) to each of the other two, ACK and BYE end to end, of zero length
# (-d 0) so that members are free again at once.
#
# Members: a group's three members sit on three SIPp UASs, one per port: 5091 answers (180,
# 200: member_answer.xml), 5092 and 5093 ring until cancelled (180, then 200 to the CANCEL
# and 487: member_ring.xml). Cohort does not ring a member for two calls at the same time,
# so concurrent calls need distinct groups: BENCH_GROUP_POOL groups (DIDs 5550000…), each
# with its own three users (extensions 71xxxx, 72xxxx, 73xxxx, one per UAS), each group
# behind its own inbound route (literal DID); the caller dials the DIDs in turn, so a
# group's next call comes POOL / rate seconds after its last (1 s at 2,000/s with 2,000
# groups). A call is set up in a few ms, but when SIPp falls behind (near 2,000/s on one
# core) members answer late and calls pile up: with 500 groups, 1,600 calls in progress
# left groups whose three members were all still ringing, and Cohort answered 480 (no
# agents) to 7 % of the calls at 2,000/s. The groups have ring_in_use true (members
# on a call are still offered calls: the answering member's previous call may not have
# ended yet) and wrap_up_s 0. Kamailio gets the same three UASs: each registers every DID
# as an AOR, so the DID's location record holds three contacts.
#
# Reports, per server and rate: calls ok and failed at the trunk (SIPp UAC), calls failed
# at the members (the three UASs), the server's CPU time per call (its process and
# children, from /proc ticks), the load generator's (UAC + 3 UASs), datagrams dropped on the
# server's socket and on the members' (SIPp behind), the most calls in progress at the caller (sampled each second) and how
# long the step took; then the maximum rate with < 0.1 % failed calls and the highest one
# without a dropped datagram.
#
# Usage: bench/sip/group_bench.sh BUILD_DIR
# Environment: BENCH_GROUP_RATES ("250 500 1000 1500 1750 2000"), BENCH_GROUP_SECONDS (5),
#              BENCH_GROUP_POOL (2000 groups, 6,000 users; at most 10,000).
# Server on core 0; the SIPp caller and the three members all on core 1 (taskset).
set -euo pipefail
build=$(realpath "${1:-build/release}")
here=$(cd "$(dirname "$0")" && pwd)
rates=${BENCH_GROUP_RATES:-"250 500 1000 1500 1750 2000"}
seconds=${BENCH_GROUP_SECONDS:-5}
pool=${BENCH_GROUP_POOL:-2000}
cohort_sip=15090
cohort_http=18443
kamailio_sip=5070
trunk_ip=127.0.0.3          # TRUNK_SOURCE in kamailio.cfg
member_ports=(5091 5092 5093)  # the member who answers, then the two who ring
token=bench-admin-token-0123456789
member_pw=benchpw-member  # Cohort wants 8 characters at least; Kamailio's is BENCH_PASSWORD
[ "$pool" -ge 1 ] && [ "$pool" -le 10000 ] || { echo "BENCH_GROUP_POOL: 1..10000" >&2; exit 2; }
dir=$(mktemp -d)
pids=()
cleanup() {
  # the SIPp processes of a step run in a subshell ($(load …)): their pids are in step.pids
  if [ -r "$dir/step.pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$dir/step.pids"
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# cpu_ticks, udp_drops, reaped_ticks, failure_reasons
source "$here/lib.sh"
require_tools curl jq

did() { printf '555%04d' "$1"; }              # group I's DID
extension() { printf '7%d%04d' "$1" "$2"; }  # member J (1..3) of group I

# Sends the requests read from stdin, one per line "METHOD PATH [JSON]", to Cohort's API
# over one connection (a curl config file); prints each response body on a line. Any status
# other than 2xx stops the bench with the request and the answer.
api_batch() {
  local method path body n=0
  while read -r method path body; do
    [ $n -gt 0 ] && echo next
    n=$((n + 1))
    printf 'url = "http://127.0.0.1:%s%s"\nrequest = "%s"\n' "$cohort_http" "$path" "$method"
    printf 'header = "Authorization: Bearer %s"\n' "$token"
    if [ -n "$body" ]; then
      printf 'header = "Content-Type: application/json"\ndata = "%s"\n' "${body//\"/\\\"}"
    fi
    printf 'write-out = "\\t%%{http_code}\\n"\n'
  done > "$dir/batch.curl"
  curl -s -K "$dir/batch.curl" > "$dir/batch.out"
  if awk -F'\t' '$2 !~ /^2/ && ++bad <= 3 {print "API error: " $2 " " $1}
      END {if (bad > 3) print "(" bad " errors)"; exit !bad}' \
    "$dir/batch.out" >&2; then
    exit 1
  fi
  cut -f1 "$dir/batch.out"
}

# Registers the CSV's users (fields: user; [authentication …]) from PORT with the server on
# SERVER_PORT (reg_auth.xml, Contact = 127.0.0.1:PORT), 500 a second; stops the bench unless
# all of them got their 200.
register_all() {
  local port=$1 server_port=$2 csv=$3 n
  n=$(($(wc -l < "$csv") - 1))
  if ! taskset -c 1 sipp -sf "$here/reg_auth.xml" -inf "$csv" -r 500 -m "$n" -i 127.0.0.1 \
    -p "$port" -key contact_hostport "127.0.0.1:$port" -recv_timeout 5000 -timeout 60s \
    -nostdin -trace_stat -stf "$dir/reg_$port.csv" "127.0.0.1:$server_port" \
    > "$dir/reg_$port.out" 2>&1; then
    echo "REGISTER from port $port to $server_port: not all of $n succeeded:" \
      "$(tail -1 "$dir/reg_$port.csv" | awk -F';' '{print $16 " ok, " $18 " failed"}')" >&2
    exit 1
  fi
}

# Runs one step: the three members, then the caller at RATE calls/s for `seconds` against
# PORT; prints "ok failed server_cpu_us_per_call sipp_cpu_us_per_call members_failed drops
# members_drops peak seconds" (peak: most calls in progress at the caller; seconds: how long the caller
# took, more than `seconds` when the rate was not kept) and leaves the failure reasons in
# $dir/reasons.NAME.
load() {
  local port=$1 rate=$2 server_pid=$3 name=$4 count=$(($2 * seconds))
  local before after sipp_before sipp_after uac drops_before start_ns j scenario
  local members=()
  reaped_ticks
  sipp_before=$reaped
  : > "$dir/step.pids"
  for j in 0 1 2; do
    scenario=member_ring.xml
    [ $j = 0 ] && scenario=member_answer.xml
    taskset -c 1 sipp -sf "$here/$scenario" -i 127.0.0.1 -p "${member_ports[$j]}" \
      -buff_size 4194304 -nostdin -trace_stat -stf "$dir/m${j}_stat.csv" -fd 1 \
      -trace_err -error_file "$dir/m${j}_err.log" > "$dir/m$j.out" 2>&1 &
    members+=($!)
    echo $! >> "$dir/step.pids"
  done
  sleep 0.3
  before=$(cpu_ticks "$server_pid")
  drops_before=$(udp_drops "$port")
  start_ns=$(date +%s%N)
  taskset -c 1 sipp -sf "$here/group_uac.xml" -inf "$dir/dids.csv" -r "$rate" -m "$count" -d 0 \
    -i "$trunk_ip" -p 0 -buff_size 4194304 -recv_timeout 10000 -timeout $((seconds * 4 + 30))s \
    -nostdin -trace_stat -stf "$dir/stat.csv" -fd 1 -trace_err -error_file "$dir/uac_err.log" \
    "127.0.0.1:$port" > "$dir/uac.out" 2>&1 &
  uac=$!
  echo "$uac" >> "$dir/step.pids"
  wait "$uac" || true
  after=$(cpu_ticks "$server_pid")
  local took_ms=$((($(date +%s%N) - start_ns) / 1000000))
  local drops=$(($(udp_drops "$port") - drops_before))
  sleep 2.5  # the members' last calls leave their 2 s timewait
  # The members dump their statistics every second (-fd 1): the last line is at most 1 s old.
  # Read before they are stopped: SIPp may write a last line at exit counting the calls it
  # still had as failed.
  # Datagrams dropped on the members' sockets: the load generator fell behind, not the server.
  local m_failed=0 m_drops=0 f
  for j in 0 1 2; do
    f=$(tail -1 "$dir/m${j}_stat.csv" 2>/dev/null | awk -F';' '{print $18}')
    [[ "$f" =~ ^[0-9]+$ ]] && m_failed=$((m_failed + f))
    m_drops=$((m_drops + $(udp_drops "${member_ports[$j]}")))
  done
  for j in "${members[@]}"; do kill "$j" 2>/dev/null || true; done
  for j in "${members[@]}"; do wait "$j" 2>/dev/null || true; done
  rm -f "$dir/step.pids"
  reaped_ticks
  sipp_after=$reaped
  local ok failed peak at_members=""
  ok=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $16}')          # SuccessfulCall(C)
  failed=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $18}')      # FailedCall(C)
  peak=$(awk -F';' 'NR > 1 && $14 > m {m = $14} END {print m + 0}' "$dir/stat.csv")  # CurrentCall
  for j in 0 1 2; do
    f=$(failure_reasons "$dir/m${j}_err.log")
    if [ -n "$f" ]; then at_members+=" | at member :${member_ports[$j]}: $f"; fi
  done
  {
    failure_reasons "$dir/uac_err.log"
    echo -n "$at_members"
  } > "$dir/reasons.$name"
  # keep the last step's files of each server for a look after a failure (removed at exit)
  for f in stat.csv uac_err.log m0_stat.csv m1_stat.csv m2_stat.csv m0_err.log m1_err.log \
    m2_err.log; do
    if [ -e "$dir/$f" ]; then mv "$dir/$f" "$dir/last.$name.$f"; fi
  done
  local hz n
  hz=$(getconf CLK_TCK)
  n=$((ok > 0 ? ok : 1))
  echo "$ok $failed $(((after - before) * 1000000 / hz / n))" \
    "$(((sipp_after - sipp_before) * 1000000 / hz / n)) $m_failed $drops $m_drops $peak" \
    "$((took_ms / 1000)).$((took_ms % 1000 / 100))"
}

echo "== group calls from a trunk (zero length, simultaneous ring of 3 members, one answers)," \
  "$pool groups, ${seconds}s per step"

# The DIDs the caller dials in turn; the members' registrations: users for Cohort, DIDs
# (the AORs Kamailio forks on) for Kamailio, the same password.
{
  echo SEQUENTIAL
  for i in $(seq 0 $((pool - 1))); do did "$i"; echo; done
} > "$dir/dids.csv"
for j in 1 2 3; do
  {
    echo SEQUENTIAL
    for i in $(seq 0 $((pool - 1))); do
      e=$(extension "$j" "$i")
      echo "$e;[authentication username=$e password=$member_pw]"
    done
  } > "$dir/cohort_users_$j.csv"
done
{
  echo SEQUENTIAL
  for i in $(seq 0 $((pool - 1))); do
    d=$(did "$i")
    echo "$d;[authentication username=$d password=benchpw]"
  done
} > "$dir/kamailio_aors.csv"

# Cohort: the load generator is a trusted source (never rate limited or banned), as an
# office NAT or a proxy would be; MD5 digest, the one SIPp computes.
mkdir -p "$dir/cohort"
cat > "$dir/cohort.toml" <<TOML
[sip]
digest_algorithms = ["MD5"]
[security]
trusted_networks = ["127.0.0.0/8"]
TOML
COHORT_ADMIN_TOKEN=$token taskset -c 0 "$build/src/app/cohort" serve \
  --config "$dir/cohort.toml" --data-dir "$dir/cohort" --http "127.0.0.1:$cohort_http" \
  --sip "127.0.0.1:$cohort_sip" --log-level warn > "$dir/cohort.out" 2> "$dir/cohort.err" &
cohort_pid=$!
pids+=("$cohort_pid")

# Kamailio 5.6, as in call_bench.sh: two workers, 1 GB of shared memory for tm.
sed "s#DIR#$dir#g" "$here/kamailio.cfg" > "$dir/kamailio.cfg"
taskset -c 0 /usr/sbin/kamailio -f "$dir/kamailio.cfg" -DD -E -x tlsf -X tlsf -n 2 -m 1024 -M 16 -A WITH_FORK \
  -P "$dir/kamailio.pid" -w "$dir" > "$dir/kamailio.out" 2>&1 &
kamailio_pid=$!
pids+=("$kamailio_pid")
for _ in $(seq 100); do grep -q listening "$dir/cohort.out" 2>/dev/null && break; sleep 0.1; done

# Cohort's configuration through the API: the trunk (known by its address), 3 × pool users,
# pool groups of three, and one inbound route per group (its DID, literal).
seed_start=$(date +%s)
echo "POST /api/v1/trunks {\"name\":\"bench-trunk\",\"host\":\"$trunk_ip\",\"inbound_sources\":[\"$trunk_ip\"]}" |
  api_batch > /dev/null
for j in 1 2 3; do
  for i in $(seq 0 $((pool - 1))); do
    e=$(extension "$j" "$i")
    echo "POST /api/v1/users {\"name\":\"Member $e\",\"email\":\"m$e@bench.example.com\",\"extension\":\"$e\",\"sip_password\":\"$member_pw\"}"
  done
done | api_batch | jq -r .id > "$dir/user_ids"
for i in $(seq 0 $((pool - 1))); do
  echo "POST /api/v1/groups {\"name\":\"bench-group-$i\",\"ring_strategy\":\"simultaneous\",\"ring_timeout_s\":20,\"max_wait_s\":30,\"wrap_up_s\":0,\"ring_in_use\":true}"
done | api_batch | jq -r .id > "$dir/group_ids"
mapfile -t user_ids < "$dir/user_ids"
mapfile -t group_ids < "$dir/group_ids"
for j in 0 1 2; do
  for i in $(seq 0 $((pool - 1))); do
    echo "PUT /api/v1/groups/${group_ids[$i]}/members/${user_ids[$((j * pool + i))]}"
  done
done | api_batch > /dev/null
for i in $(seq 0 $((pool - 1))); do
  echo "POST /api/v1/inbound-routes {\"name\":\"bench-$i\",\"did\":\"$(did "$i")\",\"destination\":{\"type\":\"group\",\"id\":${group_ids[$i]}}}"
done | api_batch > /dev/null
echo "Cohort configured through the API in $(($(date +%s) - seed_start)) s: 1 trunk," \
  "${#user_ids[@]} users, ${#group_ids[@]} groups, $pool inbound routes"

# The members register from the ports their UASs will listen on: with Cohort, one user per
# group on each port; with Kamailio, every DID on each port (three contacts per DID).
reg_start=$(date +%s)
for server_port in "$cohort_sip" "$kamailio_sip"; do
  regs=()
  for j in 0 1 2; do
    csv=$dir/kamailio_aors.csv
    [ "$server_port" = "$cohort_sip" ] && csv=$dir/cohort_users_$((j + 1)).csv
    register_all "${member_ports[$j]}" "$server_port" "$csv" &
    regs+=($!)
  done
  for p in "${regs[@]}"; do wait "$p"; done
done
echo "members registered in $(($(date +%s) - reg_start)) s: $((3 * pool)) with each server"
sleep 1

# Per server: calls ok, failed (at the caller), failed at the members, the server's CPU µs
# per call, the SIPp caller's and members' together, datagrams the kernel dropped on the
# server's socket and on the members' sockets, the most calls in progress, and the seconds the caller took for its
# rate × BENCH_GROUP_SECONDS calls.
printf '%7s | %-60s | %-60s\n' "calls/s" \
  "Cohort ok / failed / at mbr / CPU µs / SIPp µs / drops / mbr drops / peak / s" \
  "Kamailio ok / failed / at mbr / CPU µs / SIPp µs / drops / mbr drops / peak / s"
for rate in $rates; do
  read -r c_ok c_fail c_cpu c_sipp c_mbr c_drops c_mdrops c_peak c_s <<< \
    "$(load $cohort_sip "$rate" "$cohort_pid" cohort)"
  read -r k_ok k_fail k_cpu k_sipp k_mbr k_drops k_mdrops k_peak k_s <<< \
    "$(load $kamailio_sip "$rate" "$kamailio_pid" kamailio)"
  printf '%7s | %7s %6s %4s %6s %6s %6s %6s %5s %5s | %7s %6s %4s %6s %6s %6s %6s %5s %5s\n' \
    "$rate" "$c_ok" "$c_fail" "$c_mbr" "$c_cpu" "$c_sipp" "$c_drops" "$c_mdrops" "$c_peak" \
    "$c_s" "$k_ok" "$k_fail" "$k_mbr" "$k_cpu" "$k_sipp" "$k_drops" "$k_mdrops" "$k_peak" "$k_s"
  if [ "$c_fail" != 0 ] || [ -s "$dir/reasons.cohort" ]; then
    echo "        Cohort failures: $(cat "$dir/reasons.cohort")"
  fi
  if [ "$c_peak" -gt "$pool" ] && grep -q "got SIP/2.0 480" "$dir/reasons.cohort"; then
    echo "        (more calls in progress at the caller, $c_peak, than groups, $pool: Cohort's 480s" \
      "may be groups whose members still ring for the previous call; BENCH_GROUP_POOL)"
  fi
  if [ "$k_fail" != 0 ] || [ -s "$dir/reasons.kamailio" ]; then
    echo "        Kamailio failures: $(cat "$dir/reasons.kamailio")"
  fi
  tally_step "$rate" "$c_ok" "$c_fail" "$c_drops" "$k_ok" "$k_fail" "$k_drops"
done
report_rates
metrics=$(curl -s "http://127.0.0.1:$cohort_http/metrics")
echo "Cohort after the run: $(echo "$metrics" | awk '/^cohort_calls_active / {print "calls up " $2}')," \
  "group calls $(echo "$metrics" | awk '/^cohort_group_calls_total/ {print $2}'):" \
  "$(echo "$metrics" | awk '/^cohort_calls_total/ {gsub(/.*outcome="/, ""); gsub(/"}/, ""); printf "%s ", $0}')"
if [ -s "$dir/cohort.err" ]; then
  echo "Cohort warnings and errors (first 5 of $(wc -l < "$dir/cohort.err")):"
  head -5 "$dir/cohort.err"
fi
