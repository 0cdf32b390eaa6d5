// UDP: one SO_REUSEPORT socket per shard per listen address, read with recvmmsg(2), and
// sends made inline on the sending shard (see transport.hpp and transport_impl.hpp).

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include "common/log.hpp"

#include "net/transport_impl.hpp"

namespace cohort::net::detail {

// ---------------------------------------------------------------------------------------
// UDP

namespace {

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

}  // namespace

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
      spdlog::debug("sip udp wait error local={} error={}", to_string(local),
                    log::Value{ec.message()});
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

}  // namespace cohort::net::detail
