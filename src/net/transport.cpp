// The transports' life cycle and public face: start and stop, delivery to the handler, the
// shards' wake-ups and posted tasks, and send(), which hands each message to UDP
// (transport_udp.cpp) or TCP (transport_tcp.cpp). Shape: transport_impl.hpp.

#include "net/transport.hpp"

#include <algorithm>
#include <cassert>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include "common/log.hpp"

#include "net/transport_impl.hpp"

namespace cohort::net {

namespace detail {

// ---------------------------------------------------------------------------------------
// Delivery and wake-ups

void Impl::deliver(Inbound&& in) {
  try {
    handler(std::move(in));
  } catch (const std::exception& e) {
    spdlog::error("sip transport handler failed error={}", log::Value{e.what()});
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
        spdlog::error("sip wake handler failed error={}", log::Value{e.what()});
      }
    }
  });
}

// ---------------------------------------------------------------------------------------
// Start, stop

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
  spdlog::warn("sip send failed protocol={} destination={} reason={}", to_string(out.protocol),
               to_string(out.destination), log::Value{why});
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

}  // namespace detail

// ---------------------------------------------------------------------------------------

namespace asio = boost::asio;
using detail::Shard;
using detail::t_impl;
using detail::t_shard;

struct Transports::Impl final : detail::Impl {
  using detail::Impl::Impl;
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
        spdlog::error("sip shard task failed error={}", log::Value{e.what()});
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
  return Stats{get(c.udp_in),           get(c.udp_out),         get(c.tcp_in),
               get(c.tcp_out),          get(c.tcp_connections), get(c.tcp_rejected),
               get(c.oversize),         get(c.framing_errors),  get(c.send_failures),
               get(c.oversize_answered)};
}

}  // namespace cohort::net
