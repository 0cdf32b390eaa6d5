// The transports over real loopback sockets. The peers are plain POSIX sockets, so that the
// test shares no code with the Asio side under test. Every wait is bounded.

#include "net/transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cohort::net {
namespace {

using namespace std::chrono_literals;

// Generous: these bound a hang, they do not measure speed.
constexpr auto kWait = 10s;
// How long "nothing happens" is watched for.
constexpr auto kQuiet = 200ms;

// ---------------------------------------------------------------------------------------
// POSIX peer side

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SockAddr make_addr(const std::string& ip, std::uint16_t port) {
  SockAddr a;
  if (is_ipv6(ip)) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&a.storage);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &s->sin6_addr);
    a.length = sizeof(sockaddr_in6);
  } else {
    auto* s = reinterpret_cast<sockaddr_in*>(&a.storage);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &s->sin_addr);
    a.length = sizeof(sockaddr_in);
  }
  return a;
}

Endpoint endpoint_of(const sockaddr_storage& s) {
  char text[INET6_ADDRSTRLEN] = {};
  if (s.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&s);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    return {text, ntohs(a->sin6_port)};
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&s);
  ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
  return {text, ntohs(a->sin_port)};
}

Endpoint local_of(const Fd& fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&s), &len);
  return endpoint_of(s);
}

void set_timeouts(const Fd& fd) {
  timeval tv{};
  tv.tv_sec = std::chrono::seconds(kWait).count();
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A UDP socket bound to ip:0.
Fd udp_peer(const std::string& ip) {
  Fd fd(::socket(is_ipv6(ip) ? AF_INET6 : AF_INET, SOCK_DGRAM, 0));
  auto a = make_addr(ip, 0);
  if (!fd.valid() || ::bind(fd.get(), a.get(), a.length) != 0) {
    return Fd();
  }
  set_timeouts(fd);
  return fd;
}

bool send_datagram(const Fd& fd, const Endpoint& to, std::string_view data) {
  auto a = make_addr(to.address, to.port);
  return ::sendto(fd.get(), data.data(), data.size(), 0, a.get(), a.length) ==
         static_cast<ssize_t>(data.size());
}

struct Datagram {
  std::string bytes;
  Endpoint from;
};
std::optional<Datagram> receive_datagram(const Fd& fd) {
  std::vector<char> buffer(70000);
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(fd.get(), buffer.data(), buffer.size(), 0,
                         reinterpret_cast<sockaddr*>(&from), &len);
  if (n < 0) {
    return std::nullopt;
  }
  return Datagram{std::string(buffer.data(), static_cast<std::size_t>(n)), endpoint_of(from)};
}

// Connects to `to`, optionally from `from_ip`; an invalid Fd when refused.
Fd tcp_connect(const Endpoint& to, const std::string& from_ip = "") {
  Fd fd(::socket(is_ipv6(to.address) ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
  if (!fd.valid()) {
    return fd;
  }
  set_timeouts(fd);
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!from_ip.empty()) {
    auto from = make_addr(from_ip, 0);
    if (::bind(fd.get(), from.get(), from.length) != 0) {
      return Fd();
    }
  }
  auto a = make_addr(to.address, to.port);
  if (::connect(fd.get(), a.get(), a.length) != 0) {
    return Fd();
  }
  return fd;
}

// A listening TCP socket on ip:0 (the far end of an outbound connection).
Fd tcp_listener(const std::string& ip) {
  Fd fd(::socket(is_ipv6(ip) ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
  auto a = make_addr(ip, 0);
  if (!fd.valid() || ::bind(fd.get(), a.get(), a.length) != 0 || ::listen(fd.get(), 16) != 0) {
    return Fd();
  }
  return fd;
}

// A listener whose accept queue is full, so that the kernel drops further SYNs and a connect
// to it hangs (the fillers are returned: closing them would free the queue).
struct FullListener {
  Fd listener;
  std::vector<Fd> fillers;
  Endpoint endpoint;
};
FullListener full_listener() {
  FullListener f;
  f.listener = Fd(::socket(AF_INET, SOCK_STREAM, 0));
  auto a = make_addr("127.0.0.1", 0);
  if (::bind(f.listener.get(), a.get(), a.length) != 0 || ::listen(f.listener.get(), 0) != 0) {
    return f;
  }
  f.endpoint = local_of(f.listener);
  auto to = make_addr(f.endpoint.address, f.endpoint.port);
  for (int i = 0; i < 4; ++i) {
    Fd c(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    ::connect(c.get(), to.get(), to.length);  // EINPROGRESS once the queue is full
    f.fillers.push_back(std::move(c));
  }
  return f;
}

// Accepts within `timeout`; an invalid Fd otherwise.
Fd accept_within(const Fd& listener, std::chrono::milliseconds timeout) {
  pollfd p{listener.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    return Fd();
  }
  Fd fd(::accept(listener.get(), nullptr, nullptr));
  if (fd.valid()) {
    set_timeouts(fd);
  }
  return fd;
}

bool send_all(const Fd& fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads exactly `n` bytes (or fewer on EOF, error or timeout).
std::string read_exactly(const Fd& fd, std::size_t n) {
  std::string out;
  char chunk[4096];
  while (out.size() < n) {
    ssize_t got = ::recv(fd.get(), chunk, std::min(sizeof chunk, n - out.size()), 0);
    if (got <= 0) {
      break;
    }
    out.append(chunk, static_cast<std::size_t>(got));
  }
  return out;
}

// True when the peer closes the connection (EOF or reset) before the socket timeout.
bool closed_by_peer(const Fd& fd) {
  char c;
  for (;;) {
    ssize_t n = ::recv(fd.get(), &c, 1, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      return true;
    }
    if (n < 0) {
      return false;  // timeout
    }
  }
}

// No bytes and no close for `kQuiet`.
bool quiet(const Fd& fd) {
  pollfd p{fd.get(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kQuiet).count())) == 0;
}

bool ipv6_loopback_available() {
  Fd fd(::socket(AF_INET6, SOCK_DGRAM, 0));
  auto a = make_addr("::1", 0);
  return fd.valid() && ::bind(fd.get(), a.get(), a.length) == 0;
}

template <class Predicate>
bool eventually(Predicate p, std::chrono::milliseconds timeout = kWait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The transport side

std::string sip_request(std::string_view body = "", std::string_view call_id = "c1@test",
                        std::string_view transport = "TCP") {
  return fmt::format(
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/{} 127.0.0.1:5070;branch=z9hG4bK-{}\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@example.com>;tag=1928301774\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: {}\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: {}\r\n"
      "\r\n"
      "{}",
      transport, call_id, call_id, body.size(), body);
}

std::string sip_response(std::string_view call_id = "c1@test") {
  return fmt::format(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-{}\r\n"
      "From: <sip:alice@example.com>;tag=1928301774\r\n"
      "To: <sip:bob@example.com>;tag=a6c85cf\r\n"
      "Call-ID: {}\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n"
      "\r\n",
      call_id, call_id);
}

// Collects what the handler is given; `on_message` (if set) runs on the transport thread.
class Collector {
 public:
  Transports::Handler handler() {
    return [this](Inbound&& in) {
      if (on_message) {
        on_message(in);
      }
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(in));
      cv_.notify_all();
    };
  }

  // The i-th message, waiting for it.
  std::optional<Inbound> at(std::size_t i, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return items_.size() > i; })) {
      return std::nullopt;
    }
    return items_[i];
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

  std::function<void(const Inbound&)> on_message;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Inbound> items_;
};

TransportOptions options_for(std::vector<ListenAddress> listen) {
  TransportOptions o;
  o.listen = std::move(listen);
  return o;
}

ListenAddress udp_on(std::string ip) {
  return {Protocol::kUdp, {std::move(ip), 0}};
}
ListenAddress tcp_on(std::string ip) {
  return {Protocol::kTcp, {std::move(ip), 0}};
}

// ---------------------------------------------------------------------------------------
// UDP

void udp_round_trip(const std::string& ip) {
  Collector got;
  Transports t(options_for({udp_on(ip)}), got.handler());
  auto started = t.start();
  ASSERT_TRUE(started) << started.error().message;
  auto bound = t.bound();
  ASSERT_EQ(bound.size(), 1u);
  ASSERT_NE(bound[0].endpoint.port, 0);
  EXPECT_EQ(bound[0].endpoint.address, ip);

  Fd peer = udp_peer(ip);
  ASSERT_TRUE(peer.valid());
  std::string request = sip_request("", "udp@test", "UDP");
  ASSERT_TRUE(send_datagram(peer, bound[0].endpoint, request));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->protocol, Protocol::kUdp);
  EXPECT_EQ(in->bytes, request);
  EXPECT_EQ(in->source, local_of(peer));
  EXPECT_EQ(in->local, bound[0].endpoint);
  EXPECT_EQ(in->connection, 0u);

  // The reply leaves from the listen socket (RFC 3581 §4: from where the request arrived).
  t.send(Outbound{Protocol::kUdp, in->source, 0, sip_response("udp@test"), in->local});
  auto reply = receive_datagram(peer);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->bytes, sip_response("udp@test"));
  EXPECT_EQ(reply->from, bound[0].endpoint);
  ASSERT_TRUE(eventually([&] { return t.stats().udp_out == 1; }));
  EXPECT_EQ(t.stats().udp_in, 1u);
}

TEST(UdpTransport, ReceivesAndSendsIpv4) {
  udp_round_trip("127.0.0.1");
}

TEST(UdpTransport, ReceivesAndSendsIpv6) {
  if (!ipv6_loopback_available()) {
    GTEST_SKIP() << "::1 is not available";
  }
  udp_round_trip("::1");
}

TEST(UdpTransport, SendPicksTheSocketOfTheDestinationsFamily) {
  if (!ipv6_loopback_available()) {
    GTEST_SKIP() << "::1 is not available";
  }
  Collector got;
  Transports t(options_for({udp_on("127.0.0.1"), udp_on("::1")}), got.handler());
  ASSERT_TRUE(t.start());
  auto bound = t.bound();
  Fd v4 = udp_peer("127.0.0.1");
  Fd v6 = udp_peer("::1");
  // No `local` preference: the first socket of the family.
  t.send(Outbound{Protocol::kUdp, local_of(v6), 0, "to v6"});
  t.send(Outbound{Protocol::kUdp, local_of(v4), 0, "to v4"});
  auto a = receive_datagram(v6);
  auto b = receive_datagram(v4);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->bytes, "to v6");
  EXPECT_EQ(a->from, bound[1].endpoint);
  EXPECT_EQ(b->bytes, "to v4");
  EXPECT_EQ(b->from, bound[0].endpoint);
}

TEST(UdpTransport, SendPrefersTheRequestedLocalEndpoint) {
  Collector got;
  Transports t(options_for({udp_on("127.0.0.1"), udp_on("127.0.0.1")}), got.handler());
  ASSERT_TRUE(t.start());
  auto bound = t.bound();
  ASSERT_NE(bound[0].endpoint.port, bound[1].endpoint.port);
  Fd peer = udp_peer("127.0.0.1");
  t.send(Outbound{Protocol::kUdp, local_of(peer), 0, "from the second", bound[1].endpoint});
  auto d = receive_datagram(peer);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from, bound[1].endpoint);
}

TEST(UdpTransport, DropsKeepalivesAndCountsOversizeDatagrams) {
  Collector got;
  auto o = options_for({udp_on("127.0.0.1")});
  o.limits.max_message_bytes = 1000;
  Transports t(o, got.handler());
  ASSERT_TRUE(t.start());
  auto to = t.bound()[0].endpoint;
  Fd peer = udp_peer("127.0.0.1");
  ASSERT_TRUE(send_datagram(peer, to, ""));          // empty
  ASSERT_TRUE(send_datagram(peer, to, "\r\n\r\n"));  // RFC 5626 §4.4.1 keep-alive
  ASSERT_TRUE(send_datagram(peer, to, "\r\n"));      //
  ASSERT_TRUE(send_datagram(peer, to, sip_request(std::string(1200, 'x'))));  // oversize
  // Exactly the limit (the Content-Length digits grow with the body, hence the loop).
  std::string fits;
  for (std::size_t body = 0; fits.size() < 1000; ++body) {
    fits = sip_request(std::string(body, 'y'), "c1@test", "UDP");
  }
  ASSERT_EQ(fits.size(), 1000u);
  ASSERT_TRUE(send_datagram(peer, to, fits));  // exactly the limit: delivered
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, fits);
  EXPECT_FALSE(got.at(1, kQuiet));
  EXPECT_EQ(t.stats().oversize, 1u);
  EXPECT_EQ(t.stats().udp_in, 1u);
}

// A burst larger than one recvmmsg batch (16) arrives whole, in order, from its sources,
// with the oversize datagram in the middle of a batch dropped alone.
TEST(UdpTransport, ABurstIsReadInBatchesWholeAndInOrder) {
  Collector got;
  auto o = options_for({udp_on("127.0.0.1")});
  o.threads = 1;  // one socket: the order of arrival is the order of delivery
  o.limits.max_message_bytes = 1000;
  Transports t(o, got.handler());
  ASSERT_TRUE(t.start());
  auto to = t.bound()[0].endpoint;
  Fd a = udp_peer("127.0.0.1");
  Fd b = udp_peer("127.0.0.1");
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    std::string m = sip_request("", "burst-" + std::to_string(i) + "@test", "UDP");
    ASSERT_TRUE(send_datagram(i % 2 == 0 ? a : b, to, m));
    sent.push_back(std::move(m));
    if (i == 20) {
      ASSERT_TRUE(send_datagram(a, to, sip_request(std::string(1200, 'x'))));  // oversize
    }
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    auto in = got.at(i);
    ASSERT_TRUE(in) << "datagram " << i << " of the burst was not delivered";
    EXPECT_EQ(in->bytes, sent[i]) << i;
    EXPECT_EQ(in->source, local_of(i % 2 == 0 ? a : b)) << i;
  }
  EXPECT_FALSE(got.at(sent.size(), kQuiet));
  EXPECT_EQ(t.stats().udp_in, 50u);
  EXPECT_EQ(t.stats().oversize, 1u);
}

// ---------------------------------------------------------------------------------------
// TCP framing

struct TcpFixture : ::testing::Test {
  void start(TransportOptions o = options_for({tcp_on("127.0.0.1")})) {
    transports = std::make_unique<Transports>(std::move(o), got.handler());
    auto r = transports->start();
    ASSERT_TRUE(r) << r.error().message;
    to = transports->bound()[0].endpoint;
  }
  void TearDown() override {
    if (transports) {
      transports->stop();
    }
  }

  Collector got;
  std::unique_ptr<Transports> transports;
  Endpoint to;
};

TEST_F(TcpFixture, FramesAMessageWrittenInThreeChunks) {
  start();
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  std::string m = sip_request("hello body");
  std::size_t a = 20, b = m.size() - 5;
  ASSERT_TRUE(send_all(c, m.substr(0, a)));
  EXPECT_FALSE(got.at(0, 50ms));  // incomplete: nothing yet
  ASSERT_TRUE(send_all(c, m.substr(a, b - a)));
  EXPECT_FALSE(got.at(0, 50ms));
  ASSERT_TRUE(send_all(c, m.substr(b)));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, m);
  EXPECT_EQ(in->protocol, Protocol::kTcp);
  EXPECT_EQ(in->source, local_of(c));
  EXPECT_EQ(in->local.address, "127.0.0.1");
  EXPECT_EQ(in->local.port, to.port);
  EXPECT_NE(in->connection, 0u);
  EXPECT_EQ(transports->stats().tcp_in, 1u);
  EXPECT_EQ(transports->stats().tcp_connections, 1u);
}

TEST_F(TcpFixture, SplitsTwoMessagesInOneWrite) {
  start();
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  std::string first = sip_request("one", "first@test");
  std::string second = sip_request("", "second@test");
  ASSERT_TRUE(send_all(c, first + second));
  auto a = got.at(0);
  auto b = got.at(1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->bytes, first);
  EXPECT_EQ(b->bytes, second);
  EXPECT_EQ(a->connection, b->connection);
}

TEST_F(TcpFixture, WaitsForABodySplitAcrossReads) {
  start();
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  std::string body(5000, 'b');
  std::string m = sip_request(body);
  std::size_t cut = m.size() - 3000;  // the head and part of the body
  ASSERT_TRUE(send_all(c, m.substr(0, cut)));
  EXPECT_FALSE(got.at(0, 50ms));
  // The rest of this body and the head of the next message together.
  std::string next = sip_request("", "next@test");
  ASSERT_TRUE(send_all(c, m.substr(cut) + next.substr(0, 10)));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, m);
  ASSERT_TRUE(send_all(c, next.substr(10)));
  auto in2 = got.at(1);
  ASSERT_TRUE(in2);
  EXPECT_EQ(in2->bytes, next);
}

TEST_F(TcpFixture, AnswersADoubleCrlfPingWithACrlfPong) {
  start();
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  // RFC 5626 §3.5.1.
  ASSERT_TRUE(send_all(c, "\r\n\r\n"));
  EXPECT_EQ(read_exactly(c, 2), "\r\n");
  // A ping split across writes is still one ping.
  ASSERT_TRUE(send_all(c, "\r\n"));
  EXPECT_TRUE(quiet(c));
  ASSERT_TRUE(send_all(c, "\r\n"));
  EXPECT_EQ(read_exactly(c, 2), "\r\n");
  // Keep-alives in front of a message are skipped and the message framed.
  std::string m = sip_request();
  ASSERT_TRUE(send_all(c, "\r\n\r\n" + m));
  EXPECT_EQ(read_exactly(c, 2), "\r\n");
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, m);
  EXPECT_FALSE(got.at(1, kQuiet));
  EXPECT_EQ(transports->stats().tcp_out, 0u);  // pongs are not messages
}

TEST_F(TcpFixture, OversizeFrameIsAnswered513ThenTheConnectionCloses) {
  auto o = options_for({tcp_on("127.0.0.1")});
  o.limits.max_message_bytes = 2000;
  start(o);
  // A Content-Length over the limit, and a head over the limit with a small one: the head
  // is readable either way, so the peer gets 513 (RFC 3261 §21.5.14) built from it, then
  // the connection closes (its body is never read: the stream cannot stay in step). No
  // delivery.
  std::string big_head = sip_request();
  big_head.insert(big_head.find("Content-Type"), "X-Filler: " + std::string(2500, 'y') + "\r\n");
  std::size_t answered = 0;
  for (const std::string& m : {sip_request(std::string(3000, 'z')), big_head}) {
    Fd c = tcp_connect(to);
    ASSERT_TRUE(c.valid());
    send_all(c, m);
    std::string reply;
    char buf[512];
    for (;;) {
      ssize_t n = ::recv(c.get(), buf, sizeof buf, 0);
      if (n <= 0) {
        break;  // closed (or the receive timeout)
      }
      reply.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(reply.rfind("SIP/2.0 513 ", 0), 0u) << reply;
    EXPECT_NE(reply.find("Call-ID: c1@test"), std::string::npos) << reply;
    ++answered;
    ASSERT_TRUE(eventually([&] { return transports->stats().oversize_answered == answered; }));
  }
  EXPECT_EQ(got.size(), 0u);
  EXPECT_EQ(transports->stats().oversize, 0u) << "answered, not dropped";
  ASSERT_TRUE(eventually([&] { return transports->stats().tcp_connections == 0; }));
}

TEST_F(TcpFixture, OversizeHeadWithoutEndClosesTheConnection) {
  auto o = options_for({tcp_on("127.0.0.1")});
  o.limits.max_message_bytes = 2000;
  start(o);
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  // Headers that never end: the buffer must not grow past the limit.
  std::string head = "OPTIONS sip:bob@example.com SIP/2.0\r\n";
  while (head.size() < 4000) {
    head += "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  }
  send_all(c, head);
  EXPECT_TRUE(closed_by_peer(c));
  ASSERT_TRUE(eventually([&] { return transports->stats().oversize == 1; }));
}

TEST_F(TcpFixture, MalformedFramingClosesOnlyThatConnection) {
  start();
  Fd good = tcp_connect(to);
  Fd bad = tcp_connect(to);
  ASSERT_TRUE(good.valid() && bad.valid());
  std::string broken = sip_request();
  auto at = broken.find("Content-Length: 0");
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, 17, "Content-Length: abc");
  ASSERT_TRUE(send_all(bad, broken));
  EXPECT_TRUE(closed_by_peer(bad));
  ASSERT_TRUE(eventually([&] { return transports->stats().framing_errors == 1; }));

  std::string m = sip_request();
  ASSERT_TRUE(send_all(good, m));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, m);
  EXPECT_EQ(in->source, local_of(good));
  EXPECT_EQ(got.size(), 1u);
}

// RFC 3261 §18.3: a Content-Length shorter than the body leaves bytes that start no message.
// The message is not delivered (it is cut short) and the connection, out of step for good,
// is closed at once instead of waiting for a head that never ends.
TEST_F(TcpFixture, BytesAfterTheBodyThatStartNoMessageCloseTheConnection) {
  start();
  for (std::size_t short_by : {3u, 5u, 19u}) {
    Fd c = tcp_connect(to);
    ASSERT_TRUE(c.valid());
    const std::string body = "v=0\r\ns=x\r\nm=audio 9 RTP/AVP 0\r\n";
    std::string m = sip_request(body);
    const std::string declared = "Content-Length: " + std::to_string(body.size());
    m.replace(m.find(declared), declared.size(),
              "Content-Length: " + std::to_string(body.size() - short_by));
    ASSERT_TRUE(send_all(c, m));
    EXPECT_TRUE(closed_by_peer(c)) << short_by;
  }
  ASSERT_TRUE(eventually([&] { return transports->stats().framing_errors == 3; }));
  EXPECT_EQ(got.size(), 0u);
  // A following message is not a framing error.
  Fd c = tcp_connect(to);
  std::string two = sip_request("body", "a@test") + sip_request("", "b@test");
  ASSERT_TRUE(send_all(c, two));
  EXPECT_TRUE(got.at(1));
  EXPECT_EQ(transports->stats().framing_errors, 3u);
}

TEST_F(TcpFixture, IdleConnectionIsClosed) {
  auto o = options_for({tcp_on("127.0.0.1")});
  o.tcp_idle_timeout = 1s;
  start(o);
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  ASSERT_TRUE(send_all(c, sip_request()));
  ASSERT_TRUE(got.at(0));
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(closed_by_peer(c));
  auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_GE(waited, 800ms);
  EXPECT_LT(waited, 5s);
  ASSERT_TRUE(eventually([&] { return transports->stats().tcp_connections == 0; }));
}

TEST_F(TcpFixture, CapsConnectionsPerSourceAddress) {
  auto o = options_for({tcp_on("127.0.0.1")});
  o.max_tcp_connections_per_source = 2;
  start(o);
  std::vector<Fd> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(tcp_connect(to, "127.0.0.1"));
    ASSERT_TRUE(open.back().valid());
    ASSERT_TRUE(send_all(open.back(), sip_request("", fmt::format("cap{}@test", i))));
    ASSERT_TRUE(got.at(static_cast<std::size_t>(i)));  // registered before the next connects
  }
  Fd third = tcp_connect(to, "127.0.0.1");
  ASSERT_TRUE(third.valid());  // accepted by the kernel, then closed by us
  EXPECT_TRUE(closed_by_peer(third));
  EXPECT_EQ(transports->stats().tcp_rejected, 1u);
  // Another source address still gets in (127.0.0.0/8 is all loopback).
  Fd other = tcp_connect(to, "127.0.0.2");
  ASSERT_TRUE(other.valid());
  ASSERT_TRUE(send_all(other, sip_request("", "other@test")));
  auto in = got.at(2);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->source.address, "127.0.0.2");
  // The first two still work.
  ASSERT_TRUE(send_all(open[0], sip_request("", "again@test")));
  ASSERT_TRUE(got.at(3));
  EXPECT_EQ(transports->stats().tcp_connections, 3u);
}

TEST_F(TcpFixture, CapsConnectionsInTotal) {
  auto o = options_for({tcp_on("127.0.0.1")});
  o.max_tcp_connections = 2;
  start(o);
  Fd a = tcp_connect(to, "127.0.0.2");
  ASSERT_TRUE(send_all(a, sip_request("", "a@test")));
  ASSERT_TRUE(got.at(0));
  Fd b = tcp_connect(to, "127.0.0.3");
  ASSERT_TRUE(send_all(b, sip_request("", "b@test")));
  ASSERT_TRUE(got.at(1));
  Fd c = tcp_connect(to, "127.0.0.4");
  ASSERT_TRUE(c.valid());
  EXPECT_TRUE(closed_by_peer(c));
  EXPECT_EQ(transports->stats().tcp_rejected, 1u);
  // A slot frees up when a connection closes.
  a.reset();
  ASSERT_TRUE(eventually([&] { return transports->stats().tcp_connections == 1; }));
  Fd d = tcp_connect(to, "127.0.0.4");
  ASSERT_TRUE(send_all(d, sip_request("", "d@test")));
  ASSERT_TRUE(got.at(2));
}

// ---------------------------------------------------------------------------------------
// TCP sending

TEST_F(TcpFixture, ResponseReusesTheInboundConnection) {
  start();
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  ASSERT_TRUE(send_all(c, sip_request()));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  // RFC 3261 §18.2.2: on the request's connection. The destination (a sent-by port nobody
  // listens on) is only the fallback.
  std::string response = sip_response();
  transports->send(Outbound{Protocol::kTcp, {"127.0.0.1", 9}, in->connection, response});
  EXPECT_EQ(read_exactly(c, response.size()), response);
  // Without a connection id, an open connection to the destination is reused too.
  transports->send(Outbound{Protocol::kTcp, in->source, 0, response});
  EXPECT_EQ(read_exactly(c, response.size()), response);
  ASSERT_TRUE(eventually([&] { return transports->stats().tcp_out == 2; }));
  EXPECT_EQ(transports->stats().tcp_connections, 1u);
  EXPECT_EQ(transports->stats().send_failures, 0u);
}

TEST_F(TcpFixture, ResponseFromTheHandlerThreadGoesOutInline) {
  got.on_message = [this](const Inbound& in) {
    transports->send(Outbound{Protocol::kTcp, in.source, in.connection, sip_response()});
  };
  start();
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  ASSERT_TRUE(send_all(c, sip_request() + sip_request()));
  std::string two = sip_response() + sip_response();
  EXPECT_EQ(read_exactly(c, two.size()), two);
}

TEST_F(TcpFixture, ConnectsToANewDestinationAndReusesIt) {
  start();
  Fd listener = tcp_listener("127.0.0.1");
  ASSERT_TRUE(listener.valid());
  Endpoint far = local_of(listener);
  std::string first = sip_request("", "out1@test");
  std::string second = sip_request("", "out2@test");
  transports->send(Outbound{Protocol::kTcp, far, 0, first});
  transports->send(Outbound{Protocol::kTcp, far, 0, second});
  Fd peer = accept_within(listener, 10s);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(read_exactly(peer, first.size() + second.size()), first + second);
  // The far end answers on the same connection: delivered with the connection's id.
  std::string response = sip_response("out1@test");
  ASSERT_TRUE(send_all(peer, response));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->bytes, response);
  EXPECT_EQ(in->source, far);
  EXPECT_NE(in->connection, 0u);
  // A later send to the destination reuses the connection: no second accept.
  std::string third = sip_request("", "out3@test");
  transports->send(Outbound{Protocol::kTcp, far, 0, third});
  EXPECT_EQ(read_exactly(peer, third.size()), third);
  EXPECT_FALSE(accept_within(listener, kQuiet).valid());
  EXPECT_EQ(transports->stats().tcp_connections, 1u);
  EXPECT_EQ(transports->stats().tcp_out, 3u);
}

TEST_F(TcpFixture, FailedConnectIsCounted) {
  start();
  Endpoint nobody;
  {
    Fd l = tcp_listener("127.0.0.1");
    nobody = local_of(l);
  }  // closed: connecting to it is refused
  transports->send(Outbound{Protocol::kTcp, nobody, 0, sip_request()});
  transports->send(Outbound{Protocol::kTcp, {"not-an-ip", 5060}, 0, sip_request()});
  ASSERT_TRUE(eventually([&] { return transports->stats().send_failures == 2; }));
  ASSERT_TRUE(eventually([&] { return transports->stats().tcp_connections == 0; }));
}

TEST_F(TcpFixture, ConnectTimeoutIsCounted) {
  auto o = options_for({tcp_on("127.0.0.1")});
  o.tcp_connect_timeout = 1s;
  start(o);
  FullListener hang = full_listener();
  ASSERT_NE(hang.endpoint.port, 0);
  auto began = std::chrono::steady_clock::now();
  transports->send(Outbound{Protocol::kTcp, hang.endpoint, 0, sip_request()});
  transports->send(Outbound{Protocol::kTcp, hang.endpoint, 0, sip_request()});
  ASSERT_TRUE(eventually([&] { return transports->stats().send_failures == 2; }));
  auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_GE(waited, 800ms);
  EXPECT_EQ(transports->stats().tcp_connections, 0u);
}

TEST(TcpTransport, Ipv6ConnectionRoundTrip) {
  if (!ipv6_loopback_available()) {
    GTEST_SKIP() << "::1 is not available";
  }
  Collector got;
  Transports t(options_for({tcp_on("::1")}), got.handler());
  ASSERT_TRUE(t.start());
  auto to = t.bound()[0].endpoint;
  EXPECT_EQ(to.address, "::1");
  Fd c = tcp_connect(to);
  ASSERT_TRUE(c.valid());
  ASSERT_TRUE(send_all(c, sip_request()));
  auto in = got.at(0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->source, local_of(c));
  std::string response = sip_response();
  t.send(Outbound{Protocol::kTcp, in->source, in->connection, response});
  EXPECT_EQ(read_exactly(c, response.size()), response);
}

// ---------------------------------------------------------------------------------------
// Lifecycle

TEST(Transports, BoundReportsActualPortsInOrder) {
  Collector got;
  Transports t(options_for({tcp_on("127.0.0.1"), udp_on("127.0.0.1"), tcp_on("127.0.0.1")}),
               got.handler());
  ASSERT_TRUE(t.start());
  auto b = t.bound();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].protocol, Protocol::kTcp);
  EXPECT_EQ(b[1].protocol, Protocol::kUdp);
  EXPECT_EQ(b[2].protocol, Protocol::kTcp);
  for (const auto& l : b) {
    EXPECT_NE(l.endpoint.port, 0);
    EXPECT_EQ(l.endpoint.address, "127.0.0.1");
  }
  EXPECT_NE(b[0].endpoint.port, b[2].endpoint.port);
}

TEST(Transports, StartFailsNamingTheAddressInUse) {
  Fd holder = udp_peer("127.0.0.1");
  ASSERT_TRUE(holder.valid());
  Endpoint taken = local_of(holder);
  for (int threads : {1, 3}) {
    SCOPED_TRACE(threads);
    Collector got;
    auto o = options_for({tcp_on("127.0.0.1"), {Protocol::kUdp, taken}});
    o.threads = threads;
    Transports t(o, got.handler());
    auto r = t.start();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("udp " + to_string(taken)), std::string::npos)
        << r.error().message;
  }
  Collector unused;
  Transports bad(options_for({{Protocol::kTcp, {"example.com", 5060}}}), unused.handler());
  auto r = bad.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("tcp example.com:5060"), std::string::npos) << r.error().message;
}

// Posts from other threads are gathered per shard and run by one drain: every task runs,
// on the shard's thread, never inline, in the order each thread posted them; a task that
// posts to its own shard runs after the drain that is running.
TEST(Transports, PostedTasksRunOnTheShardInOrderPerPoster) {
  Collector got;
  auto o = options_for({udp_on("127.0.0.1")});
  o.threads = 2;
  Transports t(o, got.handler());
  ASSERT_TRUE(t.start());
  constexpr int kPosters = 3;
  constexpr int kPerPoster = 2000;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<int>> seen(kPosters);
  int wrong_thread = 0;
  int done = 0;
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kPerPoster; ++i) {
        t.post(1, [&, p, i] {
          std::lock_guard lock(mu);
          wrong_thread += t.current_shard() == std::optional<std::size_t>(1) ? 0 : 1;
          seen[p].push_back(i);
          ++done;
          cv.notify_all();
        });
      }
    });
  }
  for (std::thread& th : posters) {
    th.join();
  }
  bool nested_ran = false;
  bool nested_inline = false;
  t.post(1, [&] {
    t.post(1, [&] {
      std::lock_guard lock(mu);
      nested_ran = true;
      cv.notify_all();
    });
    std::lock_guard lock(mu);
    nested_inline = nested_ran;
  });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return done == kPosters * kPerPoster && nested_ran; }))
      << "ran " << done;
  EXPECT_EQ(wrong_thread, 0);
  EXPECT_FALSE(nested_inline) << "a post from the shard ran inline";
  for (int p = 0; p < kPosters; ++p) {
    ASSERT_EQ(seen[p].size(), static_cast<std::size_t>(kPerPoster));
    EXPECT_TRUE(std::is_sorted(seen[p].begin(), seen[p].end())) << "poster " << p;
  }
}

TEST(Transports, SendBeforeStartIsCountedAsAFailure) {
  Collector got;
  Transports t(options_for({udp_on("127.0.0.1")}), got.handler());
  t.send(Outbound{Protocol::kUdp, {"127.0.0.1", 5060}, 0, "x"});
  EXPECT_EQ(t.stats().send_failures, 1u);
}

TEST(Transports, StopWhileTrafficFlowsReturnsPromptly) {
  Collector got;
  std::atomic<Transports*> self{nullptr};
  // Echo every UDP message, so sends race the stop too.
  got.on_message = [&self](const Inbound& in) {
    if (auto* t = self.load(); t != nullptr && in.protocol == Protocol::kUdp) {
      t->send(Outbound{Protocol::kUdp, in.source, 0, "echo", in.local});
    }
  };
  auto o = options_for({udp_on("127.0.0.1"), tcp_on("127.0.0.1")});
  o.threads = 2;
  auto t = std::make_unique<Transports>(o, got.handler());
  ASSERT_TRUE(t->start());
  self = t.get();
  auto udp_to = t->bound()[0].endpoint;
  auto tcp_to = t->bound()[1].endpoint;

  std::atomic<bool> done{false};
  std::thread udp_blaster([&] {
    Fd peer = udp_peer("127.0.0.1");
    std::string m = sip_request("", "blast@test", "UDP");
    while (!done) {
      send_datagram(peer, udp_to, m);
    }
  });
  std::thread tcp_blaster([&] {
    std::string m = sip_request("x", "tcp-blast@test");
    while (!done) {
      Fd c = tcp_connect(tcp_to);
      if (!c.valid()) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      for (int i = 0; i < 50 && !done && send_all(c, m); ++i) {
      }
    }
  });
  // An outbound connection open at stop, to a peer that never reads, and one still
  // connecting (the default connect timeout is 5 s).
  Fd silent = tcp_listener("127.0.0.1");
  t->send(Outbound{Protocol::kTcp, local_of(silent), 0, sip_request()});
  FullListener hang = full_listener();
  t->send(Outbound{Protocol::kTcp, hang.endpoint, 0, sip_request()});
  ASSERT_TRUE(eventually([&] { return got.size() > 200; }));

  auto began = std::chrono::steady_clock::now();
  self = nullptr;
  t->stop();
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_LT(took, 2s);
  std::size_t after = got.size();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(got.size(), after);  // nothing is delivered after stop() returns
  done = true;
  udp_blaster.join();
  tcp_blaster.join();
  t->send(Outbound{Protocol::kUdp, udp_to, 0, "late"});  // counted, not crashing
  t.reset();
}

}  // namespace
}  // namespace cohort::net
