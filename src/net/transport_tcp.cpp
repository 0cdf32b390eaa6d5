// TCP: the connection table and its caps, accept, outbound connect, RFC 3261 §18.3 framing
// and RFC 5626 keep-alives, gathered writes (see transport.hpp and transport_impl.hpp).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include "common/log.hpp"

#include "net/transport_impl.hpp"

namespace cohort::net::detail {
namespace {

// Messages gathered into one TCP write.
constexpr std::size_t kMaxGather = 64;
// RFC 5626 §3.5.1: a double-CRLF ping is answered with a single-CRLF pong.
constexpr std::string_view kPing = "\r\n\r\n";
constexpr std::string_view kPong = "\r\n";

}  // namespace

// ---------------------------------------------------------------------------------------
// The connection table

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
    spdlog::debug(
        "sip tcp connection rejected peer={} reason={}", to_string(remote),
        log::Value{over_total ? "max_tcp_connections" : "max_tcp_connections_per_source"});
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
                 log::Value{reason});
  }
  spdlog::debug("sip tcp closed conn={} peer={} reason={}", id, key, log::Value{reason});
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

namespace {

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
  if (c->closing && c->queue.empty()) {
    c->close("answered 513");
  }
}

}  // namespace

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

bool Connection::answer_oversize(std::string_view data) {
  const std::size_t blank = data.find("\r\n\r\n");
  if (blank == std::string_view::npos) {
    return false;  // no complete head: nothing to address an answer from
  }
  // RFC 3261 §21.5.14: 513 Message Too Large, built by the parser from the head alone (read
  // as over the limit, which it is, with what followed it). The body is never read: the
  // stream cannot be kept in step, so the connection closes once the answer is written.
  const std::string head(data.substr(0, blank + 4));
  sip::ParseLimits tight = impl.options.limits;
  tight.max_message_bytes = head.size() - 1;
  auto parsed = sip::parse(head, tight);
  if (parsed || parsed.error().status != 513 || !parsed.error().can_respond) {
    return false;
  }
  bump(impl.counters.oversize_answered);
  spdlog::info("sip tcp oversize answered conn={} peer={}", id, key);
  closing = true;
  enqueue(parsed.error().response, true);
  if (!writing && !closed) {
    close("answered 513");  // not connected yet: nothing can be written
  }
  return true;
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
          if (!answer_oversize(rest)) {
            bump(impl.counters.oversize);
            close("frame too large");
          }
          return std::nullopt;
        }
        break;
      }
      // RFC 3261 §18.3: without a usable Content-Length the message boundary is unknown,
      // so the stream cannot be resynchronised and no reply can be framed: close. A
      // Content-Length over the limit (513) leaves the head readable: answered, then closed.
      if (err.status == 513) {
        if (answer_oversize(rest)) {
          return std::nullopt;
        }
        bump(impl.counters.oversize);
      } else {
        bump(impl.counters.framing_errors);
      }
      spdlog::info("sip tcp framing error conn={} peer={} status={} reason={}", id, key, err.status,
                   log::Value{err.reason});
      close("framing error");
      return std::nullopt;
    }
    std::size_t n = *framed;
    if (n > limits.max_message_bytes) {
      if (!answer_oversize(rest)) {
        bump(impl.counters.oversize);
        close("frame too large");
      }
      return std::nullopt;
    }
    if (n == 0 || n > rest.size()) {
      // frame_length broke its contract; do not loop on it.
      bump(impl.counters.framing_errors);
      close("framing error");
      return std::nullopt;
    }
    if (sip::next_message(rest.substr(n)) == sip::NextMessage::kNo) {
      // RFC 3261 §18.3: what follows the declared body starts no message, so the
      // Content-Length was shorter than the body: this message is cut short and the stream
      // is out of step for good. Neither is acted on: close.
      bump(impl.counters.framing_errors);
      spdlog::info(
          "sip tcp framing error conn={} peer={} reason=\"bytes after the body start no "
          "message\"",
          id, key);
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

namespace {

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

}  // namespace

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
      spdlog::warn("sip tcp accept failed error={}", log::Value{ec.message()});
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
// TCP listen, send

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

}  // namespace cohort::net::detail
