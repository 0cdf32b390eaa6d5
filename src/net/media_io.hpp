#pragma once
// The media sockets (issue 13, DESIGN.md "Media"): RTP/RTCP port pairs from a configured
// range, read and written on media threads of their own, never on the SIP shards. Each thread
// is one epoll loop with a periodic timer on the 20 ms grid (a kernel timerfd: the grid does
// not drift however late a wake-up is); every stream of the thread gets on_tick() on each
// expiry and computes what is due itself (media::PacerPlan), so a late tick sends every
// packet that came due, with its own sequence number and timestamp.
//
// A stream is an object of the caller (pbx/) implementing MediaStream. Its callbacks run on
// the thread that owns it, one at a time, so it needs no lock; send() is called from them.
// Packets are handed over as bytes and a PeerAddress (a sockaddr: no conversion per packet);
// symmetric RTP (latching on the peer's source address) is the stream's decision.

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/errc.hpp"
#include "net/endpoint.hpp"

namespace cohort::net {

/// A UDP peer as the kernel gives and takes it.
struct PeerAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  bool empty() const { return length == 0; }
  /// Same family, address and port.
  bool operator==(const PeerAddress& o) const;
  /// "1.2.3.4:5004" / "[::1]:5004"; empty when empty().
  Endpoint endpoint() const;
  /// From an IP literal and a port; an error naming the address when it is not a literal.
  static Result<PeerAddress> from(const Endpoint& endpoint);
};

struct MediaIoOptions {
  /// The local address the media sockets bind to and that SDP advertises (an IP literal).
  std::string address = "127.0.0.1";
  /// RTP ports: even ports of [port_min, port_max] with RTCP on the odd one after each.
  std::uint16_t port_min = 20000;
  std::uint16_t port_max = 29999;
  int threads = 1;
  std::chrono::milliseconds tick{20};
  int receive_buffer = 256 * 1024;  ///< SO_RCVBUF of each socket
  /// SCHED_FIFO priority (1–99) of the media threads, so that other work on a busy core
  /// does not delay the 20 ms packets; 0 = the normal scheduler. Needs CAP_SYS_NICE (or an
  /// RLIMIT_RTPRIO): refused, the threads run as normal ones (logged, Stats::realtime).
  int realtime_priority = 0;
};

using StreamId = std::uint64_t;

/// One RTP/RTCP port pair's user. Callbacks run on the owning media thread.
class MediaStream {
 public:
  virtual ~MediaStream() = default;
  /// A datagram on the RTP (`rtcp` false) or RTCP port. `bytes` is valid during the call.
  virtual void on_packet(bool rtcp, std::span<const std::uint8_t> bytes, const PeerAddress& from,
                         std::chrono::steady_clock::time_point now) = 0;
  /// The thread's tick: about every MediaIoOptions::tick, late under load. Send what is due
  /// here, and do slower work in on_tick_done.
  virtual void on_tick(std::chrono::steady_clock::time_point now) = 0;
  /// After every stream of the thread had its on_tick, with the same time.
  virtual void on_tick_done(std::chrono::steady_clock::time_point) {}
};

struct OpenedStream {
  StreamId id = 0;
  std::uint16_t rtp_port = 0;  ///< RTCP is rtp_port + 1
  std::size_t thread = 0;
};

class MediaIo {
 public:
  explicit MediaIo(MediaIoOptions options);
  /// Stops (see stop()).
  ~MediaIo();
  MediaIo(const MediaIo&) = delete;
  MediaIo& operator=(const MediaIo&) = delete;

  /// Starts the threads. Call once; the error names what failed.
  Result<void> start();
  /// Closes every socket and joins the threads. Idempotent; not from a media thread.
  void stop();

  /// Binds a free RTP/RTCP port pair and hands it to `stream` on the least busy thread; its
  /// callbacks start there. Any thread. kUnavailable when the port range is exhausted.
  /// `beside`: on the thread of that stream instead (a relay's two legs share a thread, so
  /// a packet crosses from one to the other without a hand-over).
  Result<OpenedStream> open(std::shared_ptr<MediaStream> stream,
                            std::optional<StreamId> beside = std::nullopt);
  /// Closes the stream's sockets and drops the object; no callback runs after it has been
  /// handled on the owning thread. Any thread (posted); unknown ids are ignored.
  void close(StreamId id);
  /// Sends on the stream's RTP or RTCP socket. On the stream's own thread only (from its
  /// callbacks or a task posted there); failures are counted, never thrown.
  void send(StreamId id, bool rtcp, std::span<const std::uint8_t> bytes, const PeerAddress& to);
  /// Runs `task` on the thread that owns `id` (never inline). Any thread.
  void post(StreamId id, std::function<void()> task);

  const MediaIoOptions& options() const;

  struct Stats {
    std::uint64_t packets_in = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t send_failures = 0;
    std::uint64_t streams = 0;          ///< open now (a gauge)
    std::uint64_t ports_exhausted = 0;  ///< open() calls refused for want of a port pair
    bool realtime = false;              ///< the threads run at realtime_priority
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::net
