#pragma once
// Private to net/: the transports' internals, shared by the files that implement them.
// Only these files include Boost.Asio. CMake force-includes <utility>, which Boost 1.74 Asio
// needs under C++20.
//   transport.cpp      start, stop, delivery, wake-ups, send(), the Transports API
//   transport_udp.cpp  UDP sockets, the recvmmsg(2) loop, send_udp()
//   transport_tcp.cpp  the connection table, accept, connect, framing, send_tcp()
//
// Shape (see transport.hpp for the why): Impl owns `threads` Shards; a Shard is an io_context,
// its thread, its UDP sockets and the scratch buffer its TCP reads go through. A Connection
// belongs to one shard and all of its mutable state is touched only there; the Table (under
// a mutex) maps ids and remote endpoints to connections for send() and enforces the caps.

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/transport.hpp"

// g++ 12 inlines Asio's frame allocator (awaitable_frame_base::operator new/delete) and then
// reports the pair as mismatched on every awaitable function: a known false positive (see
// chriskohlhoff/asio#1391, gcc PR middle-end/109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace cohort::net::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
// Asio has no named option for it; Linux ≥ 3.9.
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// One read drains up to this much from a TCP socket into the shard's scratch buffer; only
// unconsumed bytes (a partial frame) are copied into the connection's own buffer, so an idle
// connection holds no buffer at all.
constexpr std::size_t kScratchBytes = 64 * 1024;

inline auto token(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Accepts "::1" and "[::1]".
inline std::optional<asio::ip::address> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  error_code ec;
  auto address = asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  return address;
}

template <class AsioEndpoint>
Endpoint to_endpoint(const AsioEndpoint& e) {
  return Endpoint{e.address().to_string(), e.port()};
}

struct Impl;
struct Shard;

// The shard (of which Impl) the current thread runs, if it is a transport thread.
inline thread_local const Impl* t_impl = nullptr;
inline thread_local Shard* t_shard = nullptr;

struct Shard {
  explicit Shard(std::size_t i) : index(i), work(asio::make_work_guard(ioc)) {}

  const std::size_t index;
  // Declared before the I/O objects so that they are destroyed before it.
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  // The shard's one wake-up timer (Transports::wake_at): when it is due and which arming is
  // current (a handler of an earlier arming that was already queued is ignored).
  asio::steady_timer wake{ioc};
  std::optional<Clock::time_point> wake_armed;
  std::uint64_t wake_generation = 0;
  // One per UDP listen address, in Impl::udp_listen order.
  std::vector<std::unique_ptr<udp::socket>> udp_sockets;
  std::vector<char> scratch = std::vector<char>(kScratchBytes);
  // Tasks other threads posted (Transports::post), run in order by one drain: a burst of
  // posts (a commit's acknowledgements, a batch of hops) costs one queued handler and at
  // most one wake-up of the shard, not one each.
  std::mutex inbox_mutex;
  std::vector<std::function<void()>> inbox;     // under inbox_mutex
  bool drain_queued = false;                    // under inbox_mutex
  std::vector<std::function<void()>> draining;  // the shard's thread only
};

// A queued TCP write; `message` = false for keep-alive pongs (not counted as tcp_out).
struct Pending {
  std::string bytes;
  bool message = true;
};

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(Impl& i, Shard& s, std::uint64_t ident, tcp::socket sock, Endpoint peer, bool out)
      : impl(i),
        shard(s),
        id(ident),
        remote(std::move(peer)),
        key(to_string(remote)),
        outbound(out),
        socket(std::move(sock)),
        timer(s.ioc) {}

  // All on the shard's thread.
  void on_connected();
  void enqueue(std::string bytes, bool message);
  void close(std::string_view reason);
  void arm_idle();
  // Consumes keep-alives and complete frames from `data`, delivering each; returns the bytes
  // consumed, or nullopt when the connection must close (close() has been called, or will
  // be once `closing`'s last answer is written).
  std::optional<std::size_t> consume(std::string_view data);
  // A message over max_message_bytes whose head is complete (`head`, up to its blank line):
  // answers 513 from it when it can be addressed and closes once that is written (true);
  // false when it cannot be answered.
  bool answer_oversize(std::string_view head);

  Impl& impl;
  Shard& shard;
  const std::uint64_t id;
  const Endpoint remote;  // normalised address
  const std::string key;  // to_string(remote): the Table's by_remote key
  const bool outbound;

  tcp::socket socket;
  asio::steady_timer timer;  // connect timeout, then idle timeout
  Endpoint local;
  bool connected = false;
  bool writing = false;
  Clock::time_point last_activity = Clock::now();
  std::deque<Pending> queue;
  std::size_t queued_bytes = 0;
  std::string buffer;    // a partial frame carried over between reads
  bool closing = false;  // reads no more: closes once the queue is written (a 513 sent)
  // Written on the shard; read by send() on any thread to skip a closing connection.
  std::atomic<bool> closed{false};
};

struct Acceptor {
  Shard* shard = nullptr;
  std::unique_ptr<tcp::acceptor> acceptor;
  Endpoint local;
};

// Finds connections for send() from any thread; enforces the caps.
struct Table {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> by_id;
  std::unordered_multimap<std::string, std::uint64_t> by_remote;
  std::unordered_map<std::string, int> per_ip;
};

struct Counters {
  std::atomic<std::uint64_t> udp_in{0};
  std::atomic<std::uint64_t> udp_out{0};
  std::atomic<std::uint64_t> tcp_in{0};
  std::atomic<std::uint64_t> tcp_out{0};
  std::atomic<std::uint64_t> tcp_connections{0};
  std::atomic<std::uint64_t> tcp_rejected{0};
  std::atomic<std::uint64_t> oversize{0};
  std::atomic<std::uint64_t> framing_errors{0};
  std::atomic<std::uint64_t> send_failures{0};
  std::atomic<std::uint64_t> oversize_answered{0};
};

// Release/acquire (free on x86): a reader of one counter sees the effects counted before it.
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_release);
}

struct Impl {
  Impl(TransportOptions o, Transports::Handler h) : options(std::move(o)), handler(std::move(h)) {
    std::size_t n = static_cast<std::size_t>(std::max(1, options.threads));
    for (std::size_t i = 0; i < n; ++i) {
      shards.push_back(std::make_unique<Shard>(i));
    }
    bound = options.listen;
  }

  Result<void> start();
  Result<void> bind_udp(const ListenAddress& where, std::size_t slot);
  Result<void> bind_tcp(const ListenAddress& where, std::size_t index);
  void stop();
  void close_shard(Shard& shard);

  void send(Outbound out);
  void send_udp(Outbound out, const asio::ip::address& to);
  void send_tcp(Outbound out);
  void fail(const Outbound& out, std::string_view why);

  // Runs `fn` on `shard`: inline when already there, else posted.
  template <class Fn>
  void run_on(Shard& shard, Fn&& fn) {
    if (t_impl == this && t_shard == &shard) {
      fn();
    } else {
      asio::post(shard.ioc, std::forward<Fn>(fn));
    }
  }
  // Where a send to `to` runs: the current shard on a transport thread (no hop; the caller
  // already orders its sends per call, STYLE.md practice 8), else a shard chosen by the
  // destination, so that one thread's sends to one peer keep their order.
  Shard& pick_shard(const Endpoint& to) {
    if (t_impl == this && t_shard != nullptr) {
      return *t_shard;
    }
    std::size_t h = std::hash<std::string>{}(to.address) ^ (std::size_t{to.port} * 0x9e3779b1u);
    return *shards[h % shards.size()];
  }

  void deliver(Inbound&& in);
  void wake_at(Shard& shard, Clock::time_point at);
  // Registers a connection (Table + caps). Nullptr when a cap is reached.
  std::shared_ptr<Connection> add_connection(Shard& shard, tcp::socket socket, Endpoint remote,
                                             bool outbound);
  void remove_connection(const Connection& c);

  const TransportOptions options;
  const Transports::Handler handler;
  Transports::WakeHandler wake_handler;  // set before start()
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<ListenAddress> bound;
  // UDP listen addresses in socket-slot order, with their bound endpoints.
  std::vector<Endpoint> udp_listen;
  std::vector<Acceptor> acceptors;
  std::vector<Endpoint> tcp_listen;  // bound endpoints, for the source of outbound connects
  std::atomic<std::size_t> next_shard{0};
  Table table;
  Counters counters;

  std::mutex lifecycle_mutex;
  bool started = false;  // under lifecycle_mutex
  bool stopped = false;  // under lifecycle_mutex
  // Set before the shards are told to close: a connection spawned later closes at once.
  std::atomic<bool> stopping{false};
  std::atomic<bool> running{false};
};

// Spawned on each shard for each UDP listen socket (transport_udp.cpp).
asio::awaitable<void> udp_loop(Impl& impl, udp::socket& socket, Endpoint local);
// Spawned on the acceptor's shard for each TCP listen address (transport_tcp.cpp).
asio::awaitable<void> accept_loop(Impl& impl, tcp::acceptor& acceptor);

}  // namespace cohort::net::detail
