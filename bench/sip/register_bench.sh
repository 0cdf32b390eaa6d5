#!/usr/bin/env bash
# REGISTER with digest auth: Cohort and Kamailio side by side under the same SIPp load, on
# loopback, alternating at each rate. Reports, per server and rate: successful and failed
# registrations and the server's CPU time per registration; then the maximum rate with
# < 0.1 % failures. Then the memory per binding at BENCH_MEM_BINDINGS bindings.
#
# Usage: bench/sip/register_bench.sh BUILD_DIR
# Environment: BENCH_REG_USERS (10000), BENCH_REG_RATES ("2000 4000 6000 8000 10000"),
#              BENCH_REG_SECONDS (5), BENCH_MEM_BINDINGS (100000).
# Server on core 0, SIPp on core 1 (taskset), as in ../shared/TESTING.md.
set -euo pipefail
build=$(realpath "${1:-build/release}")
here=$(cd "$(dirname "$0")" && pwd)
users=${BENCH_REG_USERS:-10000}
rates=${BENCH_REG_RATES:-"2000 4000 6000 8000 10000"}
seconds=${BENCH_REG_SECONDS:-5}
mem_bindings=${BENCH_MEM_BINDINGS:-100000}
cohort_sip=15090
kamailio_sip=5070
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# cpu_ticks, idle_rate, settled_ticks
source "$here/lib.sh"

# Runs one SIPp load at RATE against PORT (COUNT registrations, default rate × seconds);
# prints "ok failed cpu_us_per_registration".
load() {
  local port=$1 rate=$2 server_pid=$3 count=${4:-$(( $2 * seconds ))}
  local before after out start_ns
  idle_rate "$server_pid"
  before=$(cpu_ticks "$server_pid")
  start_ns=$(date +%s%N)
  out=$(taskset -c 1 sipp -sf "$here/reg_auth.xml" -inf "$dir/users.csv" -r "$rate" -m "$count" \
        -key contact_hostport 127.0.0.1:5999 -i 127.0.0.1 -p 0 -buff_size 4194304 \
        -timeout $((seconds * 4 + 20))s -recv_timeout 5000 -nostdin -trace_stat -stf "$dir/stat.csv" \
        "127.0.0.1:$port" 2>&1 || true)
  settled_ticks "$server_pid" "$start_ns" "$before"
  after=$((before + settled))
  local ok failed
  ok=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $16}')  # SuccessfulCall(C)
  failed=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $18}')  # FailedCall(C)
  rm -f "$dir/stat.csv"
  local hz; hz=$(getconf CLK_TCK)
  local cpu_us=$(( (after - before) * 1000000 / hz / (ok > 0 ? ok : 1) ))
  echo "$ok $failed $cpu_us"
}

echo "== REGISTER with digest auth, $users users, ${seconds}s per step"
for i in $(seq 0 $((users - 1))); do
  echo "$((100000 + i));[authentication username=$((100000 + i)) password=benchpw]"
done | { echo SEQUENTIAL; cat; } > "$dir/users.csv"

# Cohort: the users with their HA1 under realm "cohort"; the load generator is a trusted
# source (never rate limited or banned), as an office NAT or a proxy would be.
mkdir -p "$dir/cohort"
"$build/bench/seed_users" "$dir/cohort/cohort.db" "$users" benchpw cohort > /dev/null
cat > "$dir/cohort.toml" <<TOML
[sip]
digest_algorithms = ["MD5"]
[security]
trusted_networks = ["127.0.0.0/8"]
TOML
COHORT_ADMIN_TOKEN=bench-admin-token-0123456789 taskset -c 0 "$build/src/app/cohort" serve \
  --config "$dir/cohort.toml" --data-dir "$dir/cohort" --http 127.0.0.1:18441 \
  --sip "127.0.0.1:$cohort_sip" --log-level warn > "$dir/cohort.out" 2> "$dir/cohort.err" &
cohort_pid=$!
pids+=("$cohort_pid")

# Kamailio 5.6 with auth (any user, password benchpw), in-memory usrloc.
sed "s#DIR#$dir#g" "$here/kamailio.cfg" > "$dir/kamailio.cfg"
taskset -c 0 /usr/sbin/kamailio -f "$dir/kamailio.cfg" -DD -E -x tlsf -X tlsf -n 2 -m 256 -M 16 -A WITH_AUTH \
  -P "$dir/kamailio.pid" -w "$dir" > "$dir/kamailio.out" 2>&1 &
kamailio_pid=$!
pids+=("$kamailio_pid")
for _ in $(seq 100); do grep -q listening "$dir/cohort.out" 2>/dev/null && break; sleep 0.1; done
sleep 1

printf '%-9s %7s | %-32s | %-32s\n' "" "rate/s" "Cohort ok/failed/CPU µs per reg" "Kamailio ok/failed/CPU µs per reg"
best_cohort=0
best_kamailio=0
for rate in $rates; do
  read -r c_ok c_fail c_cpu <<< "$(load $cohort_sip "$rate" "$cohort_pid")"
  read -r k_ok k_fail k_cpu <<< "$(load $kamailio_sip "$rate" "$kamailio_pid")"
  printf '%-9s %7s | %10s %8s %10s | %10s %8s %10s\n' "" "$rate" "$c_ok" "$c_fail" "$c_cpu" \
    "$k_ok" "$k_fail" "$k_cpu"
  # < 0.1 % failures (and every call accounted for) counts as sustained.
  if [ $((c_fail * 1000)) -lt $((rate * seconds)) ] && [ "$c_ok" -ge $((rate * seconds * 999 / 1000)) ]; then best_cohort=$rate; fi
  if [ $((k_fail * 1000)) -lt $((rate * seconds)) ] && [ "$k_ok" -ge $((rate * seconds * 999 / 1000)) ]; then best_kamailio=$rate; fi
done
echo "max sustained rate (< 0.1 % failures): Cohort $best_cohort/s, Kamailio $best_kamailio/s"
if [ "$best_kamailio" -gt 0 ]; then
  echo "ratio Cohort/Kamailio: $(awk -v a="$best_cohort" -v b="$best_kamailio" 'BEGIN{printf "%.2f", a/b}')"
fi
kill "$cohort_pid" "$kamailio_pid" 2>/dev/null || true
wait "$cohort_pid" 2>/dev/null || true
wait "$kamailio_pid" 2>/dev/null || true
pids=()

echo "== memory per binding at $mem_bindings bindings"
mkdir -p "$dir/mem"
"$build/bench/seed_users" "$dir/mem/cohort.db" "$mem_bindings" benchpw cohort > /dev/null
for i in $(seq 0 $((mem_bindings - 1))); do
  echo "$((100000 + i));[authentication username=$((100000 + i)) password=benchpw]"
done | { echo SEQUENTIAL; cat; } > "$dir/users.csv"
COHORT_ADMIN_TOKEN=bench-admin-token-0123456789 taskset -c 0 "$build/src/app/cohort" serve \
  --config "$dir/cohort.toml" --data-dir "$dir/mem" --http 127.0.0.1:18442 \
  --sip "127.0.0.1:$cohort_sip" --log-level warn > "$dir/mem.out" 2> "$dir/mem.err" &
mem_pid=$!
pids+=("$mem_pid")
for _ in $(seq 100); do grep -q listening "$dir/mem.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$mem_pid/status")
heap_before=$(curl -s http://127.0.0.1:18442/metrics | awk '/process_heap_bytes\{kind="in_use"\}/ {print $2}')
read -r m_ok m_fail _ <<< "$(load $cohort_sip 4000 "$mem_pid" "$mem_bindings")"
# Let transactions (Timer J, 32 s) and the persistence queue drain, and the server's
# periodic heap trim (every 10 s) run once after that, before measuring.
sleep 45
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$mem_pid/status")
metrics=$(curl -s http://127.0.0.1:18442/metrics)
bindings=$(echo "$metrics" | awk '/cohort_sip_state\{kind="bindings"\}/ {print $2}')
transactions=$(echo "$metrics" | awk '/cohort_sip_state\{kind="transactions"\}/ {print $2}')
heap_in_use=$(echo "$metrics" | awk '/process_heap_bytes\{kind="in_use"\}/ {print $2}')
echo "registered $m_ok (failed $m_fail); bindings $bindings; transactions $transactions;" \
  "RSS ${rss_before} KiB -> ${rss_after} KiB"
awk -v a="$rss_after" -v b="$rss_before" -v n="$bindings" \
  'BEGIN{ if (n > 0) printf "memory per binding (RSS delta / bindings): %.0f bytes\n", (a - b) * 1024 / n }'
awk -v h="$heap_in_use" -v b="$heap_before" -v n="$bindings" \
  'BEGIN{ if (n > 0) printf "live heap per binding (malloc in-use delta / bindings): %.0f bytes\n", (h - b) / n }'
