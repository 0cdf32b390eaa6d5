#pragma once
// The SIP transports (RFC 3261 §18): UDP and TCP over IPv4 and IPv6, TCP framing, keep-alives
// (RFC 5626), connection reuse, limits. Asio stays inside transport*.cpp.
//
// Threading: `threads` shards, each one io_context run by one thread. Every socket and TCP
// connection belongs to one shard and is touched only on its thread, so there are no locks
// on the I/O path; a mutex guards only the connection table that send() consults from any
// thread. UDP: one SO_REUSEPORT socket per shard per listen address; the kernel hashes each
// datagram's 4-tuple to a socket, so one peer always lands on the same shard (its messages
// stay in order) and shards never wake each other. TCP: one acceptor per listen address,
// accepted connections spread round-robin over the shards. Inbound messages are delivered
// on the thread of the shard that read them; the caller moves work to the shard that owns
// the call (STYLE.md practice 8).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/errc.hpp"
#include "net/endpoint.hpp"
#include "net/route.hpp"
#include "sip/message.hpp"

namespace cohort::net {

struct ListenAddress {
  Protocol protocol = Protocol::kUdp;
  Endpoint endpoint;  ///< port 0 = any free port (see Transports::bound)
  bool operator==(const ListenAddress&) const = default;
};

struct TransportOptions {
  std::vector<ListenAddress> listen;
  int threads = 2;  ///< shards: one io_context and one thread each
  /// max_message_bytes caps a UDP datagram and a TCP frame; larger ones are dropped (UDP)
  /// or close the connection (TCP) and count as `oversize`.
  sip::ParseLimits limits;
  std::chrono::seconds tcp_idle_timeout{300};   ///< no bytes either way for this long → close
  int max_tcp_connections_per_source = 32;      ///< open connections per remote IP
  int max_tcp_connections = 4096;               ///< open connections, inbound and outbound
  int udp_receive_buffer = 4 * 1024 * 1024;     ///< SO_RCVBUF (the kernel caps it at rmem_max)
  std::chrono::seconds tcp_connect_timeout{5};  ///< an outbound connect gives up after this
  /// A TCP connection whose unsent bytes exceed this (a peer that stopped reading) is closed.
  std::size_t max_tcp_send_queue_bytes = 4 * 1024 * 1024;
};

class Transports {
 public:
  /// Called on a transport thread, concurrently from several; must not block for long
  /// (it holds up every other socket of its shard) and must not call stop().
  using Handler = std::function<void(Inbound&&)>;

  Transports(TransportOptions options, Handler handler);
  /// Stops (see stop()).
  ~Transports();
  Transports(const Transports&) = delete;
  Transports& operator=(const Transports&) = delete;

  /// Binds every listen address and starts the threads. Call once, from a non-transport
  /// thread. The error names the address that failed; nothing stays bound after an error.
  Result<void> start();
  /// The listen addresses with their actual ports (port 0 replaced by the kernel's choice),
  /// in the order of options.listen. After a successful start(); any thread.
  std::vector<ListenAddress> bound() const;
  /// Queues `out` for sending; returns at once. Any thread (on a transport thread a UDP send
  /// or a send on one of that shard's connections happens inline, without a hop). Failures
  /// (no socket for the family, connect error or timeout, closed connection) are logged and
  /// counted in Stats::send_failures.
  void send(Outbound out);
  /// Closes every socket and connection and joins the threads; messages still queued are
  /// dropped. Idempotent. Not from a transport thread (it joins them).
  void stop();

  // ---- the shards as event loops for the SIP core (STYLE.md practice 8) ----
  /// How many shards (threads) run: options.threads, at least 1. Any thread.
  std::size_t shards() const;
  /// The shard of the calling thread; nullopt off the transport threads.
  std::optional<std::size_t> current_shard() const;
  /// Runs `task` on shard `shard`'s thread, after what is already queued there (never
  /// inline). Any thread; the tasks one thread posts to one shard run in the order posted.
  /// Posts that arrive before the shard gets to them run in one go (one wake-up). Dropped
  /// once stop() has begun.
  void post(std::size_t shard, std::function<void()> task);
  /// Called on shard `shard`'s thread when the time given to wake_at() has come.
  using WakeHandler = std::function<void(std::size_t shard)>;
  /// Before start().
  void set_wake_handler(WakeHandler handler);
  /// On a transport thread only: call the wake handler of this thread's shard at `at` (or
  /// soon after). Each shard has one pending wake-up: an earlier `at` replaces the pending
  /// one, a later one is ignored (the handler re-arms for what is due next).
  void wake_at(std::chrono::steady_clock::time_point at);

  struct Stats {
    std::uint64_t udp_in = 0;           ///< datagrams delivered
    std::uint64_t udp_out = 0;          ///< datagrams sent
    std::uint64_t tcp_in = 0;           ///< frames delivered
    std::uint64_t tcp_out = 0;          ///< messages written (keep-alive pongs not counted)
    std::uint64_t tcp_connections = 0;  ///< open now (a gauge), inbound and outbound
    std::uint64_t tcp_rejected = 0;     ///< accepted and closed at once: over a connection cap
    std::uint64_t oversize = 0;         ///< datagrams dropped / connections closed: too large
    std::uint64_t framing_errors = 0;   ///< connections closed: the stream could not be framed
    std::uint64_t send_failures = 0;    ///< messages send() could not deliver to the kernel
    /// TCP messages over the limit whose head could be read: answered 513, then closed.
    std::uint64_t oversize_answered = 0;
  };
  /// A snapshot of the counters. Any thread.
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::net
