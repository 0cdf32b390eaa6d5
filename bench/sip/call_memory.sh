#!/usr/bin/env bash
# Memory per active call in Cohort: BENCH_MEM_CALLS (10,000) outbound calls are set up (the
# same authenticated caller, From rewrite and SIPp trunk as call_bench.sh) and held for
# BENCH_MEM_HOLD_MS; Cohort's VmRSS and live heap (process_heap_bytes{kind="in_use"}) are
# read before the load, as soon as every call is up (their INVITE transactions still
# alive), and again while the calls are still up but those transactions are gone (Timer L
# and M, 64·T1 = 32 s, then a heap trim), then after every call and its BYE transactions
# have ended.
#
# Usage: bench/sip/call_memory.sh BUILD_DIR
# Environment: BENCH_MEM_CALLS (10000), BENCH_MEM_CALL_RATE (700 calls/s: the calls build
#              up in ~14 s), BENCH_MEM_HOLD_MS (90000).
# Cohort on core 0, the SIPp caller and trunk on core 1; loopback only; every process is
# stopped by pid when the script ends.
set -euo pipefail
build=$(realpath "${1:-build/release}")
here=$(cd "$(dirname "$0")" && pwd)
calls=${BENCH_MEM_CALLS:-10000}
rate=${BENCH_MEM_CALL_RATE:-700}
hold_ms=${BENCH_MEM_HOLD_MS:-90000}
cohort_sip=15090
cohort_http=18444
trunk_port=5080
number=0301234567
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

metrics() { curl -s --max-time 5 "http://127.0.0.1:$cohort_http/metrics"; }
metric() {  # NAME_AND_LABELS (as printed, e.g. 'cohort_calls_active ') from the metrics in $m
  echo "$m" | awk -v k="$1" 'index($0, k) == 1 {print $NF; exit}'
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$cohort_pid/status"; }
# One reading: "rss_kib heap_bytes calls transactions"
reading() {
  m=$(metrics)
  echo "$(rss) $(metric 'process_heap_bytes{kind="in_use"}') $(metric 'cohort_calls_active ')" \
    "$(metric 'cohort_sip_state{kind="transactions"}')"
}

echo "== memory per active call: $calls calls held ${hold_ms} ms, set up at $rate/s"
for i in $(seq 0 $((calls - 1))); do
  echo "$number;$((100000 + i));[authentication username=$((100000 + i)) password=benchpw]"
done | { echo SEQUENTIAL; cat; } > "$dir/calls.csv"
mkdir -p "$dir/cohort"
"$build/bench/seed_calls" "$dir/cohort/cohort.db" "$calls" benchpw "$trunk_port" > /dev/null
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
taskset -c 1 sipp -sf "$here/trunk_uas.xml" -i 127.0.0.1 -p "$trunk_port" -buff_size 4194304 \
  -nostdin > "$dir/uas.out" 2>&1 &
uas_pid=$!
pids+=("$uas_pid")
for _ in $(seq 100); do grep -q listening "$dir/cohort.out" 2>/dev/null && break; sleep 0.1; done
sleep 2

read -r rss0 heap0 calls0 txn0 <<< "$(reading)"
taskset -c 1 sipp -sf "$here/call_uac.xml" -inf "$dir/calls.csv" -r "$rate" -m "$calls" \
  -l "$calls" -d "$hold_ms" -i 127.0.0.1 -p 0 -buff_size 4194304 -recv_timeout 10000 \
  -timeout $((hold_ms / 1000 + 120))s -nostdin -trace_stat -stf "$dir/stat.csv" \
  "127.0.0.1:$cohort_sip" > "$dir/uac.out" 2>&1 &
uac_pid=$!
pids+=("$uac_pid")
start=$(date +%s)

# Every call up: poll the cohort_calls_active gauge.
up=0
while kill -0 "$uac_pid" 2>/dev/null; do
  m=$(metrics)
  up=$(metric 'cohort_calls_active ')
  [ "${up:-0}" -ge "$calls" ] && break
  [ $(($(date +%s) - start)) -gt $((hold_ms / 1000)) ] && break
  sleep 0.5
done
read -r rss1 heap1 calls1 txn1 <<< "$(reading)"
t1=$(($(date +%s) - start))

# Calls still up, transactions gone: 32 s after the last 200, plus a heap trim (every 10 s).
settle_until=$((t1 + 45))
while [ "$(date +%s)" -lt $((start + settle_until)) ] && kill -0 "$uac_pid" 2>/dev/null; do
  sleep 1
done
read -r rss2 heap2 calls2 txn2 <<< "$(reading)"
t2=$(($(date +%s) - start))

wait "$uac_pid" || true
# After the calls: once the BYE transactions are gone too (Timer J, 32 s) and a heap trim
# has run, the live heap should be back near its level before the load (no leak).
for _ in $(seq 60); do
  m=$(metrics)
  [ "$(metric 'cohort_sip_state{kind="transactions"}')" = 0 ] && break
  sleep 1
done
sleep 11
read -r rss3 heap3 calls3 txn3 <<< "$(reading)"
ok=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $16}')
failed=$(tail -1 "$dir/stat.csv" | awk -F';' '{print $18}')

printf '%-34s %10s %12s %8s %13s\n' "" "RSS KiB" "heap bytes" "calls" "transactions"
printf '%-34s %10s %12s %8s %13s\n' "before the load" "$rss0" "$heap0" "$calls0" "$txn0"
printf '%-34s %10s %12s %8s %13s\n' "all calls up (t=${t1}s)" "$rss1" "$heap1" "$calls1" "$txn1"
printf '%-34s %10s %12s %8s %13s\n' "calls up, transactions gone (${t2}s)" "$rss2" "$heap2" \
  "$calls2" "$txn2"
printf '%-34s %10s %12s %8s %13s\n' "calls and transactions over" "$rss3" "$heap3" "$calls3" \
  "$txn3"
echo "calls: $ok ok, $failed failed"
per_call() {  # LABEL RSS HEAP CALLS
  awk -v l="$1" -v r="$2" -v r0="$rss0" -v h="$3" -v h0="$heap0" -v n="$4" 'BEGIN{
    if (n > 0) printf "%s: RSS %.2f KiB per call, live heap %.2f KiB per call\n", l,
      (r - r0) / n, (h - h0) / 1024 / n }'
}
per_call "all calls up" "$rss1" "$heap1" "$calls1"
per_call "calls up, transactions gone" "$rss2" "$heap2" "$calls2"
