#!/usr/bin/env bash
# The media benchmarks of issue 13, on loopback, with bench/media/media_load (built with the
# project: `cmake --build BUILD --target media_load`) as load generator and meter:
#
# 1. Voicemail: BENCH_MEDIA_PLAY calls (200) to a group mailbox whose uploaded greeting is
#    longer than the run (greeting playback all along) and BENCH_MEDIA_REC calls (200) to a
#    mailbox with a 1 s greeting (a beep, then the message is recorded), all at once. The
#    callers come from a trunk's address (an inbound route per DID) and each sends a 1 kHz
#    G.711 µ-law tone every 20 ms. Over the window: Cohort's CPU per call, the pacing of
#    what Cohort sends (each packet's kernel arrival time against its stream's 20 ms grid,
#    the slot taken from the RTP timestamp; p99 target < 2 ms), packets lost or skipped,
#    datagrams dropped on Cohort's sockets, RSS per media session; after the hang-up, the
#    messages in the mailbox and their lengths.
# 2. Relay: BENCH_MEDIA_RELAY_CALLS calls (500) from users (digest auth) to a trunk with
#    `media: relay` whose UAS is media_load: each call's two G.711 streams go through
#    Cohort's anchor (1,000 streams). Then the same streams through rtpengine (Debian
#    rtpengine-daemon, userspace forwarding: --table=-1, ng protocol over UDP). For both:
#    CPU per stream, the jitter the relay adds (one-way delay minus the stream's least,
#    p50/p99/max), packets lost.
#
# CPU is the server process's ticks (/proc/PID/stat, all threads) over the window, minus
# what it burns at rest (lib.sh idle_rate). The server runs on core 0, media_load on core 1.
#
# Usage: bench/media/media_bench.sh BUILD_DIR   (finds src/app/cohort, bench/media_load and
#        bench/seed_calls in it; COHORT_BIN overrides the server binary)
# Environment: BENCH_MEDIA_PLAY (200), BENCH_MEDIA_REC (200), BENCH_MEDIA_RELAY_CALLS (500),
#   BENCH_MEDIA_SECONDS (40: the measured window), BENCH_MEDIA_RATE (50 call set-ups/s),
#   BENCH_MEDIA_STEPS ("vm relay rtpengine"; a step may repeat, e.g. "vm relay rtpengine relay
#   rtpengine" to alternate the relays), BENCH_MEDIA_KEEP (1: keep the work directory, with
#   every packet media_load received in vm.packets and step*.packets).
# Ports (loopback): SIP/HTTP 25000-25030, Cohort RTP 26000-29999, rtpengine 30000-33999,
#   media_load RTP 34000-34001 and 36000-36001; the voicemail callers use 127.0.0.2.
#   BENCH_MEDIA_NICE (0): niceness of the servers and media_load (-19 on a shared machine).
#   BENCH_MEDIA_RT (0): Cohort's `[media] realtime_priority` (SCHED_FIFO for its media thread).
set -euo pipefail
build=$(realpath "${1:-build/release}")
here=$(cd "$(dirname "$0")" && pwd)
cohort_bin=${COHORT_BIN:-$build/src/app/cohort}
media_load=$build/bench/media_load
seed_calls=$build/bench/seed_calls
play=${BENCH_MEDIA_PLAY:-200}
rec=${BENCH_MEDIA_REC:-200}
relay_calls=${BENCH_MEDIA_RELAY_CALLS:-500}
seconds=${BENCH_MEDIA_SECONDS:-40}
rate=${BENCH_MEDIA_RATE:-50}
steps=${BENCH_MEDIA_STEPS:-"vm relay rtpengine"}
# A niceness for the servers and media_load (e.g. -19 as root on a machine shared with a
# build, so that the compiler's processes do not starve the server's core): 0 by default.
# With sched_autogroup (the default), niceness counts only within a session, so the
# session's group gets the same niceness (restored at the end).
prio=(nice -n "${BENCH_MEDIA_NICE:-0}")
autogroup_before=$(awk '{print $3}' /proc/self/autogroup 2>/dev/null || echo 0)
if [ "${BENCH_MEDIA_NICE:-0}" != 0 ] && [ -w /proc/self/autogroup ]; then
  echo "${BENCH_MEDIA_NICE}" > /proc/self/autogroup 2>/dev/null || true
fi
sip_port=25000
http_port=25001
token=bench-admin-token-0123456789
api="http://127.0.0.1:$http_port/api/v1"
for f in "$cohort_bin" "$media_load" "$seed_calls"; do
  [ -x "$f" ] || { echo "media_bench: $f not found (build the targets cohort, media_load, seed_calls)" >&2; exit 2; }
done
for t in sox curl jq; do
  command -v "$t" > /dev/null || { echo "media_bench: $t missing (apt-get install $t)" >&2; exit 2; }
done
if [[ " $steps " == *" rtpengine "* ]] && ! command -v rtpengine > /dev/null; then
  echo "media_bench: rtpengine missing (apt-get install --no-install-recommends rtpengine-daemon)" >&2
  exit 2
fi

dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${BENCH_MEDIA_KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
  if [ "${BENCH_MEDIA_NICE:-0}" != 0 ]; then echo "$autogroup_before" > /proc/self/autogroup 2>/dev/null || true; fi
}
trap cleanup EXIT

# cpu_ticks, idle_rate (sourced; it also checks that SIPp and Kamailio are installed)
source "$here/../sip/lib.sh"
hz=$(getconf CLK_TCK)

# A value from media_load's RESULT line.
val() { sed -n 's/^RESULT //p' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
# ticks per second at rest × seconds subtracted from TICKS, as µs of CPU per second per UNIT
per_unit() {  # TICKS WINDOW_S UNITS → µs of CPU per second of load per unit
  awk -v t="$1" -v w="$2" -v n="$3" -v i="$idle_per_s" -v hz="$hz" \
    'BEGIN{v = (t - i * w) / hz / w / n * 1e6; printf "%.1f", (v < 0 ? 0 : v)}'
}

# How long the server's threads were runnable but not running, per second of the window
# (schedstat): above a few ms/s the server was starved by other processes.
wait_per_s() { awk -v q="$(val "$1" runqueue_wait_ms)" -v w="$(val "$1" window_s)" 'BEGIN{printf "%.1f", q / w}'; }

curl_api() {  # METHOD PATH [curl args…]: the body, failing on an HTTP error
  local m=$1 p=$2
  shift 2
  curl -sS --fail-with-body -X "$m" -H "Authorization: Bearer $token" "$api$p" "$@"
}

start_cohort() {
  mkdir -p "$dir/cohort"
  "$seed_calls" "$dir/cohort/cohort.db" "$relay_calls" benchpw 25020 > /dev/null
  cat > "$dir/cohort.toml" <<TOML
[sip]
digest_algorithms = ["MD5"]
[security]
trusted_networks = ["127.0.0.0/8"]
[media]
rtp_ports = "26000-29999"
voicemail_max_s = 900
mailbox_max_messages = 0
mailbox_max_minutes = 0
realtime_priority = ${BENCH_MEDIA_RT:-0}
TOML
  COHORT_ADMIN_TOKEN=$token "${prio[@]}" taskset -c 0 "$cohort_bin" serve --config "$dir/cohort.toml" \
    --data-dir "$dir/cohort" --http "127.0.0.1:$http_port" --sip "127.0.0.1:$sip_port" \
    --log-level warn > "$dir/cohort.out" 2> "$dir/cohort.err" &
  cohort_pid=$!
  pids+=("$cohort_pid")
  for _ in $(seq 100); do grep -q listening "$dir/cohort.out" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
}

# ---------------------------------------------------------------------------- voicemail
run_vm() {
  # The playback greeting outlasts the set-up, the settling and the window.
  local greeting_s=$(((play + rec) / rate + seconds + 40))
  [ "$greeting_s" -le 300 ] || greeting_s=300
  sox -n -r 16000 -c 1 -b 16 "$dir/long.wav" synth "$greeting_s" sine 440 vol 0.3
  sox -n -r 16000 -c 1 -b 16 "$dir/short.wav" synth 1 sine 440 vol 0.3
  local trunk g_play g_rec
  trunk=$(curl_api POST /trunks -H 'Content-Type: application/json' \
    -d '{"name": "vm-carrier", "host": "127.0.0.2", "port": 25011, "inbound_sources": ["127.0.0.2/32"]}' | jq .id)
  g_play=$(curl_api POST /groups -H 'Content-Type: application/json' -d '{"name": "VM Play"}' | jq .id)
  g_rec=$(curl_api POST /groups -H 'Content-Type: application/json' -d '{"name": "VM Record"}' | jq .id)
  curl_api PUT "/groups/$g_play/greeting" -H 'Content-Type: audio/wav' --data-binary "@$dir/long.wav" > /dev/null
  curl_api PUT "/groups/$g_rec/greeting" -H 'Content-Type: audio/wav' --data-binary "@$dir/short.wav" > /dev/null
  for r in "vm-play 7001 $g_play" "vm-rec 7002 $g_rec"; do
    set -- $r
    curl_api POST /inbound-routes -H 'Content-Type: application/json' \
      -d "{\"name\": \"$1\", \"did\": \"$2\", \"trunk\": $trunk, \"destination\": {\"type\": \"voicemail\", \"box\": \"group\", \"id\": $3}}" > /dev/null
  done

  local dump=()
  if [ "${BENCH_MEDIA_KEEP:-0}" = 1 ]; then dump=(--dump "$dir/vm.packets"); fi
  idle_rate "$cohort_pid"
  echo "-- voicemail: $play greeting playbacks (${greeting_s} s greeting) + $rec recordings, set up at $rate/s, ${seconds} s window (Cohort idle: $idle_per_s ticks/s)"
  "${prio[@]}" taskset -c 1 "$media_load" vm --server "127.0.0.1:$sip_port" --local 127.0.0.2 --sip-port 25010 \
    --rtp-a 34000 --play-calls "$play" --rec-calls "$rec" --play-did 7001 --rec-did 7002 \
    --rate "$rate" --seconds "$seconds" --settle 3 --cpu-pid "$cohort_pid" --warmup 1 \
    "${dump[@]}" > "$dir/vm.out" 2> "$dir/vm.err" || true
  cat "$dir/vm.err"
  if ! grep -q '^RESULT' "$dir/vm.out"; then echo "media_load vm failed"; return; fi
  local total=$((play + rec)) w ticks up
  w=$(val "$dir/vm.out" window_s)
  ticks=$(val "$dir/vm.out" cpu_ticks)
  up=$(val "$dir/vm.out" up_at_window_end)
  local base start end
  base=$(val "$dir/vm.out" rss_baseline_kb)
  start=$(val "$dir/vm.out" rss_start_kb)
  end=$(val "$dir/vm.out" rss_end_kb)
  echo "calls up: $(val "$dir/vm.out" up) of $total (failed $(val "$dir/vm.out" failed)," \
    "still up at the window's end $up, hung up by Cohort $(val "$dir/vm.out" remote_byes), set-up $(val "$dir/vm.out" setup_s) s)"
  echo "Cohort CPU: $(per_unit "$ticks" "$w" "$total") µs/s per call (one stream each way;" \
    "$(awk -v t="$ticks" -v w="$w" -v i="$idle_per_s" -v hz="$hz" 'BEGIN{printf "%.1f", (t - i * w) / hz / w * 100}') % of a core for $total calls," \
    "$(per_unit "$ticks" "$w" "$((total * 2))") µs/s per stream)"
  echo "pacing of Cohort's packets against their 20 ms grid (ms, p50 / p99 / p99.9 / max):"
  for k in play rec; do
    echo "  $k: $(val "$dir/vm.out" ${k}_dev_p50_ms) / $(val "$dir/vm.out" ${k}_dev_p99_ms) /" \
      "$(val "$dir/vm.out" ${k}_dev_p999_ms) / $(val "$dir/vm.out" ${k}_dev_max_ms) over" \
      "$(val "$dir/vm.out" ${k}_packets) packets of $(val "$dir/vm.out" ${k}_streams) streams;" \
      "lost (sequence gaps) $(val "$dir/vm.out" ${k}_seq_gaps), grid slots skipped $(val "$dir/vm.out" ${k}_skipped_slots)," \
      "SSRC changes $(val "$dir/vm.out" ${k}_ssrc_changes)"
  done
  echo "Cohort's threads waited for a CPU $(wait_per_s "$dir/vm.out") ms/s during the window"
  echo "datagrams dropped on Cohort's sockets in the window: $(val "$dir/vm.out" server_drops);" \
    "on media_load's: $(val "$dir/vm.out" meter_drops); packets from unknown sources: $(val "$dir/vm.out" unknown)"
  echo "Cohort RSS: $base KiB after a warm-up call to each mailbox, $start KiB with the calls up" \
    "($(((start - base) / total)) KiB per session), $end KiB ${seconds} s later" \
    "($(((end - base) / total)) KiB per session; the recordings grow)"
  # The messages are written after the hang-up: wait until the mailbox holds them all.
  local n=0 list
  for _ in $(seq 120); do
    list=$(curl_api GET "/voicemails?box=group&id=$g_rec&limit=100" || true)
    n=$(echo "$list" | jq '.items | length' 2>/dev/null || echo 0)
    local cursor=$(echo "$list" | jq -r '.next_cursor // empty' 2>/dev/null || true)
    local all="$list"
    while [ -n "$cursor" ]; do
      list=$(curl_api GET "/voicemails?box=group&id=$g_rec&limit=100&cursor=$cursor")
      all="$all$list"
      n=$((n + $(echo "$list" | jq '.items | length')))
      cursor=$(echo "$list" | jq -r '.next_cursor // empty')
    done
    [ "$n" -ge "$rec" ] && break
    sleep 1
  done
  echo "$all" | jq -r '.items[].duration_ms' > "$dir/durations"
  echo "messages in the recording mailbox: $n of $rec; length min / max $(sort -n "$dir/durations" | head -1) /" \
    "$(sort -n "$dir/durations" | tail -1) ms (answer to hang-up: $(val "$dir/vm.out" rec_answered_to_bye_min_ms) /" \
    "$(val "$dir/vm.out" rec_answered_to_bye_max_ms) ms, less the 1 s greeting and the beep)"
  grep -iE 'warn|error' "$dir/cohort.err" | cut -c1-300 | sort | uniq -c | sort -rn | head -5 | sed 's/^/  cohort log: /' || true
}

# ------------------------------------------------------------------------------- relay
report_relay() {  # NAME FILE
  local f=$2 w ticks streams per
  w=$(val "$f" window_s)
  ticks=$(val "$f" cpu_ticks)
  streams=$(val "$f" active_streams)
  per=$(per_unit "$ticks" "$w" "$streams")
  echo "$1: calls up $(val "$f" up) of $(val "$f" calls) (set-up $(val "$f" setup_s) s); CPU" \
    "$per µs/s per stream ($(awk -v p="$per" 'BEGIN{printf "%.1f", p / 50}') µs per packet relayed)" \
    "($(awk -v t="$ticks" -v w="$w" -v i="$idle_per_s" -v hz="$hz" 'BEGIN{printf "%.1f", (t - i * w) / hz / w * 100}') % of a core for $streams streams);" \
    "added jitter p50 / p99 / p99.9 / max $(val "$f" added_jitter_p50_ms) / $(val "$f" added_jitter_p99_ms) /" \
    "$(val "$f" added_jitter_p999_ms) / $(val "$f" added_jitter_max_ms) ms (mean one-way delay $(val "$f" delay_mean_ms) ms);" \
    "packets sent $(val "$f" sent), lost $(val "$f" lost) (streams with a loss: $(val "$f" streams_with_loss));" \
    "dropped on the server's sockets $(val "$f" server_drops), on media_load's $(val "$f" meter_drops);" \
    "RSS $(val "$f" rss_baseline_kb) KiB; waited for a CPU $(wait_per_s "$f") ms/s (all threads)"
}

run_relay() {  # OUT
  local out=$1 dump=()
  if [ "${BENCH_MEDIA_KEEP:-0}" = 1 ]; then dump=(--dump "$out.packets"); fi
  idle_rate "$cohort_pid"
  echo "-- relay through Cohort: $relay_calls calls ($((relay_calls * 2)) streams), ${seconds} s window (Cohort idle: $idle_per_s ticks/s)"
  "${prio[@]}" taskset -c 1 "$media_load" relay --server "127.0.0.1:$sip_port" --local 127.0.0.1 --sip-port 25012 \
    --uas-port 25020 --rtp-a 34000 --rtp-b 36000 --calls "$relay_calls" --first-user 100000 \
    --password benchpw --rate "$rate" --seconds "$seconds" --settle 3 --cpu-pid "$cohort_pid" \
    "${dump[@]}" > "$out" 2> "$out.err" || true
  cat "$out.err"
  if grep -q '^RESULT' "$out"; then report_relay Cohort "$out"; else echo "media_load relay failed"; fi
  grep -iE 'warn|error' "$dir/cohort.err" | cut -c1-300 | sort | uniq -c | sort -rn | head -5 | sed 's/^/  cohort log: /' || true
}

run_rtpengine() {  # OUT
  local out=$1 dump=()
  if [ "${BENCH_MEDIA_KEEP:-0}" = 1 ]; then dump=(--dump "$out.packets"); fi
  # Userspace forwarding only (--table=-1: no kernel module), one worker thread as Cohort
  # has one media thread here; no config file, so nothing but the ng port is opened.
  "${prio[@]}" taskset -c 0 rtpengine --config-file=none --foreground --log-stderr --table=-1 \
    --interface=127.0.0.1 --listen-ng=127.0.0.1:25030 --port-min=30000 --port-max=33999 \
    --num-threads=1 --log-level=4 > "$dir/rtpengine.log" 2>&1 &
  local rpid=$!
  pids+=("$rpid")
  sleep 1
  idle_rate "$rpid"
  echo "-- relay through rtpengine $(rtpengine --version 2>&1 | awk '/Version/ {print $2}') (userspace): $relay_calls calls," \
    "${seconds} s window (rtpengine idle: $idle_per_s ticks/s)"
  "${prio[@]}" taskset -c 1 "$media_load" rtpengine --ng 127.0.0.1:25030 --local 127.0.0.1 --sip-port 25013 \
    --rtp-a 34000 --rtp-b 36000 --calls "$relay_calls" --rate "$rate" --seconds "$seconds" \
    --settle 3 --cpu-pid "$rpid" "${dump[@]}" > "$out" 2> "$out.err" || true
  cat "$out.err"
  if grep -q '^RESULT' "$out"; then report_relay rtpengine "$out"; else echo "media_load rtpengine failed"; fi
  kill "$rpid" 2>/dev/null || true
  wait "$rpid" 2>/dev/null || true
}

echo "== media (issue 13): $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "niceness ${BENCH_MEDIA_NICE:-0} ($(cat /proc/self/autogroup 2>/dev/null || echo 'no autogroup'))"
if [[ " $steps " == *" vm "* || " $steps " == *" relay "* ]]; then start_cohort; fi
n=0
for s in $steps; do
  n=$((n + 1))
  case $s in
    vm) run_vm ;;
    relay) run_relay "$dir/step$n.relay.out" ;;
    rtpengine) run_rtpengine "$dir/step$n.rtpengine.out" ;;
    *) echo "unknown step $s" >&2 ;;
  esac
done
for f in "$dir"/vm.out "$dir"/step*.out; do
  [ -r "$f" ] && sed -n 's/^RESULT /raw: /p' "$f"
done
exit 0
