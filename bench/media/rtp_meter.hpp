// media_load's RTP side: senders that keep every stream on its own 20 ms grid (the streams'
// phases spread over the 20 ms), receivers that record each packet's kernel receive time
// (SO_TIMESTAMPNS), and the statistics drawn from them: the jitter a relay adds and its
// losses, the pacing of a server's streams against their grid.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "proc_stats.hpp"
#include "util.hpp"

namespace media_bench {

constexpr int kFrame = 160;  // G.711, 20 ms at 8 kHz
constexpr std::int64_t kPtime = 20'000'000;
constexpr std::uint32_t kMagic = 0xC0407A11;

// One RTP stream this tool sends (caller → server, or callee → server).
struct TxStream {
  int fd = -1;
  sockaddr_in dst{};
  std::atomic<bool> active{false};
  bool stamp = false;  // relay: send time, stream id and counter in the payload
  std::uint16_t seq = 0;
  std::uint32_t ts = 0, ssrc = 0;
  std::uint32_t sent = 0;
};

// Per received packet.
struct RxRecord {
  std::int64_t arrival;  // kernel receive time, CLOCK_REALTIME ns
  std::int64_t tx;       // relay: send time from the payload (CLOCK_REALTIME ns); vm: 0
  std::uint32_t ts, ssrc;
  std::uint32_t counter;  // relay: the sender's packet counter; vm: RTP sequence number
};

struct RxStream {
  std::vector<RxRecord> packets;
};

struct Meter {
  std::vector<std::unique_ptr<TxStream>> tx;
  std::vector<RxStream> rx;
  // vm: the server's RTP source port → the stream it belongs to (−1 unknown)
  std::vector<std::atomic<int>> by_port = std::vector<std::atomic<int>>(65536);
  std::atomic<bool> stop{false};
  std::atomic<long> unknown{0}, malformed{0};
  std::uint8_t tone[kFrame];

  explicit Meter(std::size_t streams);
};

// G.711 µ-law encoder (for the tone the callers send).
std::uint8_t linear_to_ulaw(int sample);

// Sends every active stream's packets on its own 20 ms grid, the S streams' phases spread
// evenly over the 20 ms (stream i at i·20/S ms), as independent phones would be.
void sender(Meter& m, std::int64_t t0_mono);

// Reads one side's RTP (and drains its RTCP) with kernel timestamps. `stamped`: streams
// known by the stamp in the payload (relay), else by the source port (m.by_port, vm).
void receiver(Meter& m, int rtp_fd, int rtcp_fd, bool stamped);

// Relay analysis: one-way delay minus the stream's least delay, and losses by counter;
// prints its part of the RESULT line.
void relay_report(Meter& m, const Window& w, std::size_t streams);

// Pacing of the server's streams: |arrival − (anchor + N·20 ms)|, N from the RTP timestamp,
// the anchor the stream's median such offset in the window (per SSRC): how far each packet
// is from where the receiver expects it on the stream's own 20 ms grid.
struct PacingReport {
  Percentiles dev;
  long packets = 0, seq_gaps = 0, skipped_slots = 0, streams = 0, ssrc_changes = 0;
  std::int64_t late_sum = 0;  // Σ per stream (median − earliest offset): the usual wait for a tick
};
PacingReport pacing(Meter& m, const Window& w, std::size_t first, std::size_t last);
void print_pacing(const char* name, const PacingReport& p);

}  // namespace media_bench
