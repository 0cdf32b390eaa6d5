// The only translation unit of net/ that includes Boost.Asio. CMake force-includes <utility>,
// which Boost 1.74 Asio needs under C++20.
//
// Shape (see transport.hpp for the why): Impl owns `threads` Shards; a Shard is an io_context,
// its thread, its UDP sockets and the scratch buffer its TCP reads go through. A Connection
// belongs to one shard and all of its mutable state is touched only there; the Table (under
// a mutex) maps ids and remote endpoints to connections for send() and enforces the caps.

#include "net/transport.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

// g++ 12 inlines Asio's frame allocator (awaitable_frame_base::operator new/delete) and then
// reports the pair as mismatched on every awaitable function: a known false positive (see
// chriskohlhoff/asio#1391, gcc PR middle-end/109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace cohort::net {

namespace {

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
// Messages gathered into one TCP write.
constexpr std::size_t kMaxGather = 64;
// RFC 5626 §3.5.1: a double-CRLF ping is answered with a single-CRLF pong.
constexpr std::string_view kPing = "\r\n\r\n";
constexpr std::string_view kPong = "\r\n";

auto token(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Accepts "::1" and "[::1]".
std::optional<asio::ip::address> parse_address(std::string_view text) {
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
thread_local const Impl* t_impl = nullptr;
thread_local Shard* t_shard = nullptr;

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
  // consumed, or nullopt when the connection must close (close() has been called).
  std::optional<std::size_t> consume(std::string_view data);

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
  std::string buffer;  // a partial frame carried over between reads
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
};

// Release/acquire (free on x86): a reader of one counter sees the effects counted before it.
void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
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

// ---------------------------------------------------------------------------------------
// Delivery and the connection table

void Impl::deliver(Inbound&& in) {
  try {
    handler(std::move(in));
  } catch (const std::exception& e) {
    spdlog::error("sip transport handler failed error=\"{}\"", e.what());
  } catch (...) {
    spdlog::error("sip transport handler failed error=unknown");
  }
}

void Impl::wake_at(Shard& shard, Clock::time_point at) {
  if (stopping || (shard.wake_armed && *shard.wake_armed <= at)) {
    return;
  }
  shard.wake_armed = at;
  const std::uint64_t generation = ++shard.wake_generation;
  shard.wake.expires_at(at);  // the earlier wait, if any, completes with operation_aborted
  shard.wake.async_wait([this, &shard, generation](const error_code& ec) {
    if (ec || generation != shard.wake_generation || stopping) {
      return;
    }
    shard.wake_armed.reset();
    if (wake_handler) {
      try {
        wake_handler(shard.index);
      } catch (const std::exception& e) {
        spdlog::error("sip wake handler failed error=\"{}\"", e.what());
      }
    }
  });
}

std::shared_ptr<Connection> Impl::add_connection(Shard& shard, tcp::socket socket, Endpoint remote,
                                                 bool outbound) {
  std::lock_guard lock(table.mutex);
  int& per_ip = table.per_ip[remote.address];
  bool over_total = table.by_id.size() >= static_cast<std::size_t>(options.max_tcp_connections);
  // The per-source cap protects against one host exhausting the table; it guards accepts
  // only (our own connects are bounded by the total).
  bool over_source = !outbound && per_ip >= options.max_tcp_connections_per_source;
  if (over_total || over_source) {
    if (per_ip == 0) {
      table.per_ip.erase(remote.address);
    }
    if (!outbound) {
      // Counted before the caller's socket closes, so that a peer that sees the close sees
      // the count too.
      bump(counters.tcp_rejected);
    }
    spdlog::debug("sip tcp connection rejected peer={} reason={}", to_string(remote),
                  over_total ? "max_tcp_connections" : "max_tcp_connections_per_source");
    return nullptr;
  }
  ++per_ip;
  std::uint64_t id = table.next_id++;
  auto c = std::make_shared<Connection>(*this, shard, id, std::move(socket), std::move(remote),
                                        outbound);
  table.by_id.emplace(id, c);
  table.by_remote.emplace(c->key, id);
  counters.tcp_connections.store(table.by_id.size(), std::memory_order_release);
  return c;
}

void Impl::remove_connection(const Connection& c) {
  std::lock_guard lock(table.mutex);
  if (table.by_id.erase(c.id) == 0) {
    return;
  }
  auto [first, last] = table.by_remote.equal_range(c.key);
  for (auto it = first; it != last; ++it) {
    if (it->second == c.id) {
      table.by_remote.erase(it);
      break;
    }
  }
  if (auto it = table.per_ip.find(c.remote.address); it != table.per_ip.end()) {
    if (--it->second <= 0) {
      table.per_ip.erase(it);
    }
  }
  counters.tcp_connections.store(table.by_id.size(), std::memory_order_release);
}

// ---------------------------------------------------------------------------------------
// TCP connections (all on the connection's shard)

void Connection::close(std::string_view reason) {
  if (closed.exchange(true)) {
    return;
  }
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  timer.cancel();
  std::size_t unsent = 0;
  for (const auto& p : queue) {
    unsent += p.message ? 1 : 0;
  }
  // The buffers of a write in flight stay valid: close() cancelled it, and the writer does
  // not touch the queue after an error.
  queue.clear();
  queued_bytes = 0;
  // Out of the table before the failures are counted, so that whoever sees the count sees
  // the connection gone too.
  impl.remove_connection(*this);
  if (unsent > 0) {
    bump(impl.counters.send_failures, unsent);
    spdlog::warn("sip tcp send failed conn={} peer={} messages={} reason={}", id, key, unsent,
                 reason);
  }
  spdlog::debug("sip tcp closed conn={} peer={} reason={}", id, key, reason);
  // `buffer` is left alone: consume() may be iterating over it (a handler that sends can
  // close this connection).
}

void Connection::arm_idle() {
  if (closed) {
    return;  // close() cancelled the timer; re-arming it would hold the shard open
  }
  timer.expires_at(last_activity + impl.options.tcp_idle_timeout);
  timer.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->closed) {
      return;
    }
    if (Clock::now() - self->last_activity >= self->impl.options.tcp_idle_timeout) {
      self->close("idle");
    } else {
      self->arm_idle();
    }
  });
}

asio::awaitable<void> write_loop(std::shared_ptr<Connection> c) {
  while (!c->queue.empty() && !c->closed) {
    // deque::push_back keeps references to existing elements valid, so enqueue() may run
    // while these buffers are being written.
    std::size_t n = std::min(c->queue.size(), kMaxGather);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      buffers.push_back(asio::buffer(c->queue[i].bytes));
    }
    error_code ec;
    co_await asio::async_write(c->socket, buffers, token(ec));
    if (ec) {
      c->writing = false;
      c->close(fmt::format("write failed: {}", ec.message()));
      co_return;
    }
    if (c->closed) {
      co_return;  // close() emptied the queue while the bytes were already on their way
    }
    c->last_activity = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (c->queue.front().message) {
        bump(c->impl.counters.tcp_out);
      }
      c->queued_bytes -= c->queue.front().bytes.size();
      c->queue.pop_front();
    }
  }
  c->writing = false;
}

void Connection::enqueue(std::string bytes, bool message) {
  if (closed) {
    if (message) {
      bump(impl.counters.send_failures);
      spdlog::warn("sip tcp send failed conn={} peer={} reason=closed", id, key);
    }
    return;
  }
  queued_bytes += bytes.size();
  queue.push_back(Pending{std::move(bytes), message});
  if (queued_bytes > impl.options.max_tcp_send_queue_bytes) {
    // The peer stopped reading: holding more would let it exhaust our memory.
    close("send queue full");
    return;
  }
  if (connected && !writing) {
    writing = true;
    asio::co_spawn(shard.ioc, write_loop(shared_from_this()), asio::detached);
  }
}

void Connection::on_connected() {
  connected = true;
  error_code ec;
  local = to_endpoint(socket.local_endpoint(ec));
  // The read loop waits for readiness and then drains without blocking (see serve()).
  socket.non_blocking(true, ec);
  socket.set_option(tcp::no_delay(true), ec);
  last_activity = Clock::now();
  arm_idle();
  if (!queue.empty() && !writing) {
    writing = true;
    asio::co_spawn(shard.ioc, write_loop(shared_from_this()), asio::detached);
  }
}

std::optional<std::size_t> Connection::consume(std::string_view data) {
  const auto& limits = impl.options.limits;
  std::size_t used = 0;
  while (used < data.size() && !closed) {
    std::string_view rest = data.substr(used);
    std::size_t crlf = sip::skip_keepalives(rest);
    if (crlf > 0) {
      // RFC 5626 §3.5.1: answer each double-CRLF ping with a CRLF pong. A lone CRLF (a pong,
      // or RFC 3261 §7.5 leading CRLFs) needs no answer.
      std::string_view run = rest.substr(0, crlf);
      std::size_t pings = 0;
      std::size_t end = 0;  // just past the last ping
      for (std::size_t at = run.find(kPing); at != std::string_view::npos;
           at = run.find(kPing, at + kPing.size())) {
        ++pings;
        end = at + kPing.size();
      }
      if (crlf == rest.size() && crlf - end < kPing.size()) {
        // Only keep-alive bytes so far, and the tail may be the start of a ping split
        // across reads: keep it.
        crlf = end;
      }
      for (std::size_t i = 0; i < pings; ++i) {
        enqueue(std::string(kPong), false);
      }
      if (crlf == 0) {
        break;
      }
      used += crlf;
      continue;
    }
    auto framed = sip::frame_length(rest, limits);
    if (!framed) {
      const auto& err = framed.error();
      if (err.kind == sip::ParseError::Kind::kIncomplete) {
        if (rest.size() > limits.max_message_bytes) {
          bump(impl.counters.oversize);
          close("frame too large");
          return std::nullopt;
        }
        break;
      }
      // RFC 3261 §18.3: without a usable Content-Length the message boundary is unknown,
      // so the stream cannot be resynchronised and no reply can be framed: close.
      if (err.status == 513) {
        bump(impl.counters.oversize);
      } else {
        bump(impl.counters.framing_errors);
      }
      spdlog::info("sip tcp framing error conn={} peer={} status={} reason=\"{}\"", id, key,
                   err.status, err.reason);
      close("framing error");
      return std::nullopt;
    }
    std::size_t n = *framed;
    if (n > limits.max_message_bytes) {
      bump(impl.counters.oversize);
      close("frame too large");
      return std::nullopt;
    }
    if (n == 0 || n > rest.size()) {
      // frame_length broke its contract; do not loop on it.
      bump(impl.counters.framing_errors);
      close("framing error");
      return std::nullopt;
    }
    used += n;
    bump(impl.counters.tcp_in);
    Inbound in{Protocol::kTcp, remote, local, id, std::string(rest.substr(0, n))};
    impl.deliver(std::move(in));
  }
  if (closed) {
    return std::nullopt;
  }
  return used;
}

// Connects (outbound), then reads until EOF, an error, a framing error, idle or stop.
asio::awaitable<void> serve(std::shared_ptr<Connection> c) {
  Impl& impl = c->impl;
  if (impl.stopping) {
    // Spawned after the shard was told to close (a send() racing stop()).
    c->close("stopping");
    co_return;
  }
  error_code ec;
  if (c->outbound) {
    auto address = parse_address(c->remote.address);
    tcp::endpoint to(*address, c->remote.port);
    c->socket.open(to.protocol(), ec);
    // Connect from a specific listen address of the family when there is one, so that the
    // peer sees the address it knows us by.
    for (const auto& l : impl.tcp_listen) {
      auto from = parse_address(l.address);
      if (!ec && from && from->is_v6() == to.address().is_v6() && !from->is_unspecified() &&
          from->is_loopback() == to.address().is_loopback()) {
        c->socket.bind(tcp::endpoint(*from, 0), ec);
        break;
      }
    }
    if (!ec) {
      c->timer.expires_after(impl.options.tcp_connect_timeout);
      c->timer.async_wait([c](error_code timer_ec) {
        if (!timer_ec && !c->connected) {
          error_code ignored;
          c->socket.close(ignored);  // aborts the connect
        }
      });
      co_await c->socket.async_connect(to, token(ec));
      c->timer.cancel();
      if (ec == asio::error::operation_aborted && !c->closed) {
        ec = asio::error::timed_out;
      }
    }
    if (ec || c->closed) {
      if (!c->closed) {
        c->close(fmt::format("connect failed: {}", ec.message()));
      }
      co_return;
    }
    spdlog::debug("sip tcp connected conn={} peer={}", c->id, c->key);
  }
  if (c->closed) {
    co_return;  // e.g. its send queue overflowed before this coroutine started
  }
  c->on_connected();

  Shard& shard = c->shard;
  std::string_view reason = "peer closed";
  while (!c->closed) {
    co_await c->socket.async_wait(tcp::socket::wait_read, token(ec));
    if (ec) {
      reason = "read failed";
      break;
    }
    // Drained synchronously into the shard's scratch: nothing else runs on this thread
    // until consume() returns.
    std::size_t n = c->socket.read_some(asio::buffer(shard.scratch), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      continue;
    }
    if (ec) {
      reason = ec == asio::error::eof ? "peer closed" : "read failed";
      break;
    }
    c->last_activity = Clock::now();
    std::string_view fresh(shard.scratch.data(), n);
    if (c->buffer.empty()) {
      auto used = c->consume(fresh);
      if (!used) {
        co_return;
      }
      c->buffer.assign(fresh.substr(*used));
    } else {
      c->buffer.append(fresh);
      auto used = c->consume(c->buffer);
      if (!used) {
        co_return;
      }
      c->buffer.erase(0, *used);
    }
  }
  c->close(reason);
}

// ---------------------------------------------------------------------------------------
// UDP

// Datagrams read per recvmmsg(2) call: one wake-up and one system call for a burst.
constexpr int kUdpBatch = 16;

// Handles one datagram read into `data` (`truncated`: it was larger than the buffer).
void on_datagram(Impl& impl, std::string_view data, bool truncated, const udp::endpoint& from,
                 const Endpoint& local) {
  if (truncated) {
    // A 513 would need the message parsed, and the sender cannot be told reliably about a
    // datagram we only saw part of: drop and count (RFC 3261 §18.1.1 has senders switch to
    // TCP long before this).
    bump(impl.counters.oversize);
    spdlog::debug("sip udp datagram too large source={}", to_string(to_endpoint(from)));
    return;
  }
  if (sip::skip_keepalives(data) == data.size()) {
    // Empty or CRLF-only: a keep-alive (RFC 5626 §4.4.1, STUN is not offered), dropped.
    return;
  }
  bump(impl.counters.udp_in);
  Inbound in{Protocol::kUdp, to_endpoint(from), local, 0, std::string(data)};
  impl.deliver(std::move(in));
}

// Waits until the socket is readable, then drains it with recvmmsg(2), kUdpBatch datagrams
// per call, yielding to the shard's other work after each full batch.
asio::awaitable<void> udp_loop(Impl& impl, udp::socket& socket, Endpoint local) {
  const std::size_t max = impl.options.limits.max_message_bytes;
  // One byte more than allowed per slot: a datagram that fills it was larger (truncated).
  const std::size_t slot = max + 1;
  std::vector<char> buffer(slot * kUdpBatch);
  std::array<mmsghdr, kUdpBatch> msgs{};
  std::array<iovec, kUdpBatch> iov{};
  std::array<sockaddr_storage, kUdpBatch> from{};
  while (socket.is_open()) {
    error_code ec;
    co_await socket.async_wait(udp::socket::wait_read, token(ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !socket.is_open()) {
        break;
      }
      spdlog::debug("sip udp wait error local={} error=\"{}\"", to_string(local), ec.message());
      continue;
    }
    for (;;) {
      for (int i = 0; i < kUdpBatch; ++i) {
        iov[i] = iovec{buffer.data() + static_cast<std::size_t>(i) * slot, slot};
        msgs[i].msg_hdr = msghdr{};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        msgs[i].msg_len = 0;
      }
      const int n =
          ::recvmmsg(socket.native_handle(), msgs.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          // E.g. ECONNREFUSED from an earlier send's ICMP error: not fatal for a datagram
          // socket.
          spdlog::debug("sip udp receive error local={} errno={}", to_string(local), errno);
        }
        break;
      }
      for (int i = 0; i < n; ++i) {
        udp::endpoint peer;
        std::memcpy(peer.data(), &from[i], msgs[i].msg_hdr.msg_namelen);
        peer.resize(msgs[i].msg_hdr.msg_namelen);
        const std::size_t len = msgs[i].msg_len;
        const bool truncated = len > max || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        const char* data = buffer.data() + static_cast<std::size_t>(i) * slot;
        on_datagram(impl, std::string_view(data, std::min(len, max)), truncated, peer, local);
      }
      if (n < kUdpBatch || !socket.is_open()) {
        break;
      }
      // A full batch: let the shard's timers and other sockets run before the next one.
      co_await asio::post(socket.get_executor(), asio::use_awaitable);
    }
  }
}

// ---------------------------------------------------------------------------------------
// TCP accept

asio::awaitable<void> accept_loop(Impl& impl, tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    Shard& target =
        *impl.shards[impl.next_shard.fetch_add(1, std::memory_order_relaxed) % impl.shards.size()];
    error_code ec;
    tcp::socket socket(target.ioc);
    co_await acceptor.async_accept(socket, token(ec));
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) {
        break;
      }
      // E.g. EMFILE: back off instead of spinning on the same error.
      spdlog::warn("sip tcp accept failed error=\"{}\"", ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(token(ec));
      continue;
    }
    auto peer = socket.remote_endpoint(ec);
    if (ec) {
      continue;  // already reset by the peer
    }
    auto c = impl.add_connection(target, std::move(socket), to_endpoint(peer), false);
    if (!c) {
      // Accepted and closed at once (the socket went with add_connection's parameter):
      // leaving it in the backlog would only delay the refusal.
      continue;
    }
    spdlog::debug("sip tcp accepted conn={} peer={}", c->id, c->key);
    asio::co_spawn(target.ioc, serve(std::move(c)), asio::detached);
  }
}

// ---------------------------------------------------------------------------------------
// Start, stop

Result<void> Impl::bind_udp(const ListenAddress& where, std::size_t slot) {
  std::string name = fmt::format("udp {}", to_string(where.endpoint));
  auto address = parse_address(where.endpoint.address);
  if (!address) {
    return cohort::fail(
        Error{Errc::kInvalid, fmt::format("cannot listen on {}: not an IP address", name), ""});
  }
  udp::endpoint endpoint(*address, where.endpoint.port);
  error_code ec;
  // With several shards each gets its own SO_REUSEPORT socket. SO_REUSEPORT would also let a
  // second process of the same user join the group and silently take half the traffic, so
  // the port is first bound without it: that fails if anyone holds it (and resolves port 0).
  bool group = shards.size() > 1;
  if (group) {
    udp::socket probe(shards[0]->ioc);
    probe.open(endpoint.protocol(), ec);
    if (!ec && address->is_v6()) {
      probe.set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec) {
      probe.bind(endpoint, ec);
    }
    if (!ec) {
      endpoint.port(probe.local_endpoint(ec).port());
    }
  }
  for (std::size_t i = 0; i < shards.size() && !ec; ++i) {
    auto socket = std::make_unique<udp::socket>(shards[i]->ioc);
    socket->open(endpoint.protocol(), ec);
    if (!ec && address->is_v6()) {
      // Keep v4 and v6 listen addresses independent (no v4-mapped traffic on a v6 socket).
      socket->set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec && group) {
      socket->set_option(ReusePort(true), ec);
    }
    if (!ec) {
      // Bursts (a trunk's re-INVITE storm, a load test) overflow the default buffer.
      error_code soft;
      socket->set_option(udp::socket::receive_buffer_size(options.udp_receive_buffer), soft);
    }
    if (!ec) {
      socket->bind(endpoint, ec);
    }
    if (!ec) {
      endpoint.port(socket->local_endpoint(ec).port());
      // Sends happen inline on the shard: never block it on a full send buffer.
      socket->non_blocking(true, ec);
    }
    if (!ec) {
      shards[i]->udp_sockets[slot] = std::move(socket);
    }
  }
  if (ec) {
    return cohort::fail(
        Error{Errc::kUnavailable, fmt::format("cannot listen on {}: {}", name, ec.message()), ""});
  }
  udp_listen[slot] = to_endpoint(endpoint);
  return {};
}

Result<void> Impl::bind_tcp(const ListenAddress& where, std::size_t index) {
  std::string name = fmt::format("tcp {}", to_string(where.endpoint));
  auto address = parse_address(where.endpoint.address);
  if (!address) {
    return cohort::fail(
        Error{Errc::kInvalid, fmt::format("cannot listen on {}: not an IP address", name), ""});
  }
  tcp::endpoint endpoint(*address, where.endpoint.port);
  Shard& shard = *shards[index % shards.size()];
  auto acceptor = std::make_unique<tcp::acceptor>(shard.ioc);
  error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec && address->is_v6()) {
    acceptor->set_option(asio::ip::v6_only(true), ec);
  }
  if (!ec) {
    // A restart must not wait for TIME_WAIT connections of the previous process.
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (!ec) {
    endpoint = acceptor->local_endpoint(ec);
  }
  if (ec) {
    return cohort::fail(
        Error{Errc::kUnavailable, fmt::format("cannot listen on {}: {}", name, ec.message()), ""});
  }
  Endpoint local = to_endpoint(endpoint);
  tcp_listen.push_back(local);
  acceptors.push_back(Acceptor{&shard, std::move(acceptor), local});
  return {};
}

Result<void> Impl::start() {
  {
    std::lock_guard lock(lifecycle_mutex);
    if (started) {
      return cohort::fail(Error{Errc::kInvalid, "transports already started", ""});
    }
    started = true;
  }
  std::size_t udp_count = 0;
  for (const auto& l : options.listen) {
    udp_count += l.protocol == Protocol::kUdp ? 1 : 0;
  }
  udp_listen.resize(udp_count);
  for (auto& shard : shards) {
    shard->udp_sockets.resize(udp_count);
  }
  std::size_t slot = 0;
  for (std::size_t i = 0; i < options.listen.size(); ++i) {
    const auto& l = options.listen[i];
    Result<void> r;
    if (l.protocol == Protocol::kUdp) {
      r = bind_udp(l, slot);
      if (r) {
        bound[i].endpoint = udp_listen[slot];
      }
      ++slot;
    } else {
      r = bind_tcp(l, i);
      if (r) {
        bound[i].endpoint = acceptors.back().local;
      }
    }
    if (!r) {
      // Nothing stays bound: the sockets close with their shards' vectors.
      for (auto& shard : shards) {
        shard->udp_sockets.clear();
      }
      acceptors.clear();
      tcp_listen.clear();
      return r;
    }
  }

  for (auto& shard : shards) {
    for (std::size_t s = 0; s < shard->udp_sockets.size(); ++s) {
      asio::co_spawn(shard->ioc, udp_loop(*this, *shard->udp_sockets[s], udp_listen[s]),
                     asio::detached);
    }
  }
  for (auto& a : acceptors) {
    asio::co_spawn(a.shard->ioc, accept_loop(*this, *a.acceptor), asio::detached);
  }
  for (const auto& b : bound) {
    spdlog::info("sip listening protocol={} address={}", to_string(b.protocol),
                 to_string(b.endpoint));
  }
  running = true;
  for (auto& shard : shards) {
    Shard* s = shard.get();
    s->thread = std::thread([this, s] {
      t_impl = this;
      t_shard = s;
      s->ioc.run();
      t_impl = nullptr;
      t_shard = nullptr;
    });
  }
  return {};
}

void Impl::close_shard(Shard& shard) {
  error_code ignored;
  ++shard.wake_generation;
  shard.wake.cancel();
  for (auto& a : acceptors) {
    if (a.shard == &shard) {
      a.acceptor->close(ignored);
    }
  }
  for (auto& socket : shard.udp_sockets) {
    if (socket) {
      socket->close(ignored);
    }
  }
  std::vector<std::shared_ptr<Connection>> mine;
  {
    std::lock_guard lock(table.mutex);
    for (const auto& [id, c] : table.by_id) {
      if (&c->shard == &shard) {
        mine.push_back(c);
      }
    }
  }
  for (auto& c : mine) {
    c->close("stopping");
  }
}

void Impl::stop() {
  {
    std::lock_guard lock(lifecycle_mutex);
    if (!started || stopped) {
      stopped = true;
      return;
    }
    stopped = true;
  }
  assert(t_impl != this && "Transports::stop() called from a transport thread");
  running = false;
  stopping = true;
  // Every socket and timer closes on its own shard; the coroutines then end with
  // operation_aborted, the shards run out of work and their threads return.
  for (auto& shard : shards) {
    Shard* s = shard.get();
    asio::post(s->ioc, [this, s] { close_shard(*s); });
    s->work.reset();
  }
  for (auto& shard : shards) {
    if (shard->thread.joinable()) {
      shard->thread.join();
    }
  }
  std::lock_guard lock(table.mutex);
  table.by_id.clear();
  table.by_remote.clear();
  table.per_ip.clear();
  spdlog::info("sip transports stopped");
}

// ---------------------------------------------------------------------------------------
// Sending

void Impl::fail(const Outbound& out, std::string_view why) {
  bump(counters.send_failures);
  spdlog::warn("sip send failed protocol={} destination={} reason=\"{}\"", to_string(out.protocol),
               to_string(out.destination), why);
}

void Impl::send(Outbound out) {
  if (!running) {
    fail(out, "transports not running");
    return;
  }
  auto address = parse_address(out.destination.address);
  if (!address || out.destination.port == 0) {
    fail(out, "destination is not an IP address and port");
    return;
  }
  // Normalised, so that "::1" and "0:0::1" find the same connection.
  out.destination.address = address->to_string();
  if (out.protocol == Protocol::kUdp) {
    send_udp(std::move(out), *address);
  } else {
    send_tcp(std::move(out));
  }
}

void Impl::send_udp(Outbound out, const asio::ip::address& to) {
  // The listen socket for the reply: the exact local endpoint asked for, else one with the
  // same address, else the first of the destination's family.
  auto local = out.local.address.empty() ? std::nullopt : parse_address(out.local.address);
  std::optional<std::size_t> exact, same_address, family;
  for (std::size_t i = 0; i < udp_listen.size(); ++i) {
    auto a = parse_address(udp_listen[i].address);
    if (!a || a->is_v6() != to.is_v6()) {
      continue;
    }
    if (local && *a == *local) {
      if (udp_listen[i].port == out.local.port && !exact) {
        exact = i;
      }
      if (!same_address) {
        same_address = i;
      }
    }
    if (!family) {
      family = i;
    }
  }
  auto slot = exact ? exact : same_address ? same_address : family;
  if (!slot) {
    fail(out, fmt::format("no UDP listen address for IPv{}", to.is_v6() ? 6 : 4));
    return;
  }
  Shard& shard = pick_shard(out.destination);
  udp::endpoint destination(to, out.destination.port);
  run_on(shard, [this, &shard, s = *slot, destination, out = std::move(out)]() mutable {
    udp::socket* socket = shard.udp_sockets[s].get();
    if (socket == nullptr || !socket->is_open()) {
      fail(out, "socket closed");
      return;
    }
    error_code ec;
    socket->send_to(asio::buffer(out.bytes), destination, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      // The send buffer is full: wait for room without blocking the shard.
      auto held = std::make_shared<Outbound>(std::move(out));
      socket->async_send_to(asio::buffer(held->bytes), destination,
                            [this, held](error_code e, std::size_t) {
                              if (e) {
                                fail(*held, e.message());
                              } else {
                                bump(counters.udp_out);
                              }
                            });
      return;
    }
    if (ec) {
      fail(out, ec.message());
      return;
    }
    bump(counters.udp_out);
  });
}

void Impl::send_tcp(Outbound out) {
  std::shared_ptr<Connection> c;
  bool fresh = false;
  {
    std::lock_guard lock(table.mutex);
    if (out.connection != 0) {
      if (auto it = table.by_id.find(out.connection);
          it != table.by_id.end() && !it->second->closed) {
        c = it->second;
      }
    }
    if (!c) {
      // RFC 3261 §18.2.2 / §18.1.1: reuse any open connection to the destination, whether
      // it was accepted from there or opened by us.
      auto [first, last] = table.by_remote.equal_range(to_string(out.destination));
      for (auto it = first; it != last && !c; ++it) {
        auto found = table.by_id.find(it->second);
        if (found != table.by_id.end() && !found->second->closed) {
          c = found->second;
        }
      }
    }
  }
  if (!c) {
    Shard& shard = pick_shard(out.destination);
    tcp::socket socket(shard.ioc);
    c = add_connection(shard, std::move(socket), out.destination, true);
    if (!c) {
      fail(out, "max_tcp_connections reached");
      return;
    }
    fresh = true;
  }
  if (fresh) {
    // Queued before or after the connect: the writer starts once connected.
    asio::co_spawn(c->shard.ioc, serve(c), asio::detached);
  }
  Connection* raw = c.get();
  run_on(raw->shard, [c = std::move(c), bytes = std::move(out.bytes)]() mutable {
    c->enqueue(std::move(bytes), true);
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct Transports::Impl final : net::Impl {
  using net::Impl::Impl;
};

Transports::Transports(TransportOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Transports::~Transports() {
  impl_->stop();
}

Result<void> Transports::start() {
  return impl_->start();
}

std::vector<ListenAddress> Transports::bound() const {
  return impl_->bound;
}

void Transports::send(Outbound out) {
  impl_->send(std::move(out));
}

void Transports::stop() {
  impl_->stop();
}

std::size_t Transports::shards() const {
  return impl_->shards.size();
}

std::optional<std::size_t> Transports::current_shard() const {
  if (t_impl == impl_.get() && t_shard != nullptr) {
    return t_shard->index;
  }
  return std::nullopt;
}

void Transports::post(std::size_t shard, std::function<void()> task) {
  Impl& impl = *impl_;
  if (impl.stopping || shard >= impl.shards.size()) {
    return;
  }
  Shard& s = *impl.shards[shard];
  bool queue_drain = false;
  {
    std::lock_guard lock(s.inbox_mutex);
    s.inbox.push_back(std::move(task));
    queue_drain = !std::exchange(s.drain_queued, true);
  }
  if (!queue_drain) {
    return;  // the drain already queued runs this task too
  }
  asio::post(s.ioc, [&s] {
    {
      std::lock_guard lock(s.inbox_mutex);
      s.draining.swap(s.inbox);
      s.drain_queued = false;
    }
    for (std::function<void()>& t : s.draining) {
      try {
        t();
      } catch (const std::exception& e) {
        spdlog::error("sip shard task failed error=\"{}\"", e.what());
      }
    }
    s.draining.clear();  // keeps its capacity for the next drain
  });
}

void Transports::set_wake_handler(WakeHandler handler) {
  impl_->wake_handler = std::move(handler);
}

void Transports::wake_at(std::chrono::steady_clock::time_point at) {
  assert(t_impl == impl_.get() && t_shard != nullptr && "wake_at() off a transport thread");
  impl_->wake_at(*t_shard, at);
}

Transports::Stats Transports::stats() const {
  const auto& c = impl_->counters;
  auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_acquire); };
  return Stats{get(c.udp_in),   get(c.udp_out),         get(c.tcp_in),
               get(c.tcp_out),  get(c.tcp_connections), get(c.tcp_rejected),
               get(c.oversize), get(c.framing_errors),  get(c.send_failures)};
}

}  // namespace cohort::net
