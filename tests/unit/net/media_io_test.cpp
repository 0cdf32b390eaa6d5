// The media sockets over real loopback UDP (ports 16100-16140, 16150-16153; each test that
// binds has a range of its own, as ctest runs them side by side): packets reach their stream
// with the sender's address, the stream answers on its own thread, the tick runs, RTP ports
// are even with RTCP next to them, and an exhausted range is refused until a pair is closed.
#include "net/media_io.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cohort::net {
namespace {

using namespace std::chrono_literals;

struct Received {
  bool rtcp = false;
  std::string bytes;
  Endpoint from;
};

// Echoes every RTP datagram back to its sender, records everything.
class EchoStream : public MediaStream {
 public:
  explicit EchoStream(MediaIo& io) : io_(io) {}
  void on_packet(bool rtcp, std::span<const std::uint8_t> bytes, const PeerAddress& from,
                 std::chrono::steady_clock::time_point) override {
    {
      std::lock_guard lock(mu_);
      received_.push_back({rtcp, std::string(bytes.begin(), bytes.end()), from.endpoint()});
    }
    if (!rtcp) {
      io_.send(id, false, bytes, from);
    }
  }
  void on_tick(std::chrono::steady_clock::time_point) override { ++ticks; }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  StreamId id = 0;
  std::atomic<int> ticks{0};

 private:
  MediaIo& io_;
  std::mutex mu_;
  std::vector<Received> received_;
};

// A plain POSIX peer on 127.0.0.1.
class Peer {
 public:
  Peer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Peer() { ::close(fd_); }
  void send_to(std::uint16_t to, const std::string& bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(to);
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  std::string receive() {
    char buf[2048];
    const auto n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  std::uint16_t port = 0;

 private:
  int fd_ = -1;
};

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 200; ++i) {  // at most 2 s
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

bool can_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

TEST(MediaIo, PacketsReachTheirStreamAndTheStreamAnswersTheSender) {
  MediaIo io({.address = "127.0.0.1", .port_min = 16100, .port_max = 16119, .threads = 2});
  ASSERT_TRUE(io.start());
  auto stream = std::make_shared<EchoStream>(io);
  auto opened = io.open(stream);
  ASSERT_TRUE(opened) << opened.error().message;
  stream->id = opened->id;
  EXPECT_EQ(opened->rtp_port % 2, 0);
  EXPECT_GE(opened->rtp_port, 16100);
  EXPECT_LE(opened->rtp_port + 1, 16119);
  EXPECT_FALSE(can_bind(opened->rtp_port));      // RTP is ours
  EXPECT_FALSE(can_bind(opened->rtp_port + 1));  // and RTCP next to it

  Peer peer;
  peer.send_to(opened->rtp_port, "rtp-1");
  EXPECT_EQ(peer.receive(), "rtp-1");  // echoed from the media thread, to the source address
  peer.send_to(opened->rtp_port, "rtp-2");
  EXPECT_EQ(peer.receive(), "rtp-2");
  peer.send_to(opened->rtp_port + 1, "rtcp-1");
  ASSERT_TRUE(eventually([&] { return stream->received().size() == 3; }));
  const auto got = stream->received();
  EXPECT_FALSE(got[0].rtcp);
  EXPECT_TRUE(got[2].rtcp);
  EXPECT_EQ(got[2].bytes, "rtcp-1");
  EXPECT_EQ(got[0].from, (Endpoint{"127.0.0.1", peer.port}));
  EXPECT_TRUE(eventually([&] { return stream->ticks >= 5; }));
  EXPECT_GE(io.stats().packets_in, 3u);
  EXPECT_GE(io.stats().packets_out, 2u);
  EXPECT_EQ(io.stats().streams, 1u);

  io.close(opened->id);
  EXPECT_TRUE(eventually([&] { return can_bind(opened->rtp_port); }));
  EXPECT_EQ(io.stats().streams, 0u);
  const int ticks = stream->ticks;
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(stream->ticks, ticks);  // a closed stream gets no more callbacks
  io.stop();
}

// Records the time each tick gives and when it was called.
class TickStream : public MediaStream {
 public:
  void on_packet(bool, std::span<const std::uint8_t>, const PeerAddress&,
                 std::chrono::steady_clock::time_point) override {}
  void on_tick(std::chrono::steady_clock::time_point at) override {
    std::lock_guard lock(mu_);
    ticks_.emplace_back(at, std::chrono::steady_clock::now());
  }
  std::vector<
      std::pair<std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point>>
  ticks() {
    std::lock_guard lock(mu_);
    return ticks_;
  }

 private:
  std::mutex mu_;
  std::vector<
      std::pair<std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point>>
      ticks_;
};

// Streams are ticked at each tick's nominal time (base + k·tick), not at the moment the
// thread woke up: a stream's packet slots then fall on the same side of a tick every time,
// and do not go out a whole tick early or late as wake-ups vary (bench/media pacing).
TEST(MediaIo, TicksCarryTheirNominalTimeOnOneGrid) {
  MediaIo io({.address = "127.0.0.1", .port_min = 16126, .port_max = 16129, .threads = 1});
  ASSERT_TRUE(io.start());
  auto stream = std::make_shared<TickStream>();
  auto opened = io.open(stream);
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_TRUE(eventually([&] { return stream->ticks().size() >= 12; }));
  io.close(opened->id);
  io.stop();
  const auto ticks = stream->ticks();
  for (std::size_t i = 1; i < ticks.size(); ++i) {
    const auto step = ticks[i].first - ticks[i - 1].first;
    // Exactly one tick apart (or a whole number of ticks, when the thread was late).
    EXPECT_GT(step.count(), 0) << i;
    EXPECT_EQ(step % std::chrono::milliseconds(20), std::chrono::nanoseconds(0))
        << i << ": " << step.count() << " ns";
    // A nominal time is never in the future of the call that carries it.
    EXPECT_LE(ticks[i].first, ticks[i].second) << i;
  }
}

// Writes "T" on on_tick and "D" on on_tick_done into one shared log.
class OrderStream : public MediaStream {
 public:
  explicit OrderStream(std::shared_ptr<std::string> log) : log_(std::move(log)) {}
  void on_packet(bool, std::span<const std::uint8_t>, const PeerAddress&,
                 std::chrono::steady_clock::time_point) override {}
  void on_tick(std::chrono::steady_clock::time_point) override { *log_ += 'T'; }
  void on_tick_done(std::chrono::steady_clock::time_point) override { *log_ += 'D'; }

 private:
  std::shared_ptr<std::string> log_;  ///< written on the one media thread only
};

// Every stream of a thread sends what is due (on_tick) before any does its slower work
// (on_tick_done): one stream's recording does not delay another's packets.
TEST(MediaIo, EveryStreamTicksBeforeAnyFinishesItsTick) {
  MediaIo io({.address = "127.0.0.1", .port_min = 16150, .port_max = 16153, .threads = 1});
  ASSERT_TRUE(io.start());
  auto log = std::make_shared<std::string>();
  auto a = io.open(std::make_shared<OrderStream>(log));
  auto b = io.open(std::make_shared<OrderStream>(log));
  ASSERT_TRUE(a && b);
  std::this_thread::sleep_for(200ms);
  io.close(a->id);
  io.close(b->id);
  io.stop();  // joins the thread: the log is ours now
  // Once both streams are open, every tick reads "TTDD".
  const std::size_t both = log->find("TTDD");
  ASSERT_NE(both, std::string::npos) << *log;
  std::string rest = log->substr(both);
  while (rest.compare(0, 4, "TTDD") == 0) {
    rest.erase(0, 4);
  }
  while (rest.compare(0, 2, "TD") == 0) {  // after the first close: one stream left
    rest.erase(0, 2);
  }
  EXPECT_TRUE(rest.empty()) << *log;
}

// realtime_priority: the media threads run under SCHED_FIFO when the process may (root or
// CAP_SYS_NICE, as under CI), and say so in the stats; refused, they run as normal threads.
TEST(MediaIo, MediaThreadsRunRealtimeWhenAsked) {
  MediaIo normal({.address = "127.0.0.1", .port_min = 16126, .port_max = 16129, .threads = 1});
  ASSERT_TRUE(normal.start());
  EXPECT_FALSE(normal.stats().realtime);
  normal.stop();
  MediaIo rt({.address = "127.0.0.1",
              .port_min = 16126,
              .port_max = 16129,
              .threads = 2,
              .realtime_priority = 5});
  ASSERT_TRUE(rt.start());
  // Whether this process may use SCHED_FIFO at all, asked of a thread of its own.
  bool permitted = false;
  std::thread probe([&] {
    sched_param p{};
    p.sched_priority = 1;
    permitted = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &p) == 0;
  });
  probe.join();
  EXPECT_EQ(rt.stats().realtime, permitted);
  if (permitted) {
    // Every thread of the process that is not this test's runs SCHED_FIFO at 5 or not at all;
    // two of them (the media threads) do.
    int fifo = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
      const pid_t tid = static_cast<pid_t>(std::stol(entry.path().filename().string()));
      sched_param p{};
      if (::sched_getscheduler(tid) == SCHED_FIFO && ::sched_getparam(tid, &p) == 0 &&
          p.sched_priority == 5) {
        ++fifo;
      }
    }
    EXPECT_EQ(fifo, 2);
  }
  rt.stop();
}

TEST(MediaIo, AnExhaustedRangeIsRefusedUntilAPairIsClosed) {
  MediaIo io({.address = "127.0.0.1", .port_min = 16121, .port_max = 16125, .threads = 1});
  ASSERT_TRUE(io.start());
  // 16121 is odd: the pairs are 16122/3 and 16124/5.
  auto a = io.open(std::make_shared<EchoStream>(io));
  auto b = io.open(std::make_shared<EchoStream>(io));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->rtp_port, 16122);
  EXPECT_EQ(b->rtp_port, 16124);
  auto c = io.open(std::make_shared<EchoStream>(io));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::kUnavailable);
  EXPECT_NE(c.error().message.find("16121-16125"), std::string::npos);
  EXPECT_EQ(io.stats().ports_exhausted, 1u);
  io.close(a->id);
  ASSERT_TRUE(eventually([&] { return can_bind(16122) && can_bind(16123); }));
  auto d = io.open(std::make_shared<EchoStream>(io));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rtp_port, 16122);
}

TEST(MediaIo, APortTakenByAnotherProgramIsSkipped) {
  const int blocker = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(16131);  // the RTCP port of the first pair
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  MediaIo io({.address = "127.0.0.1", .port_min = 16130, .port_max = 16139, .threads = 1});
  ASSERT_TRUE(io.start());
  auto opened = io.open(std::make_shared<EchoStream>(io));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->rtp_port, 16132);
  EXPECT_TRUE(can_bind(16130));  // the half-bound pair was released
  ::close(blocker);
}

TEST(MediaIo, BadOptionsAreNamed) {
  MediaIo bad_address({.address = "not-an-ip"});
  auto r = bad_address.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "media.address");
  MediaIo no_pair({.address = "127.0.0.1", .port_min = 16140, .port_max = 16140});
  r = no_pair.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "media.rtp_ports");
  MediaIo stopped({.address = "127.0.0.1"});
  EXPECT_FALSE(stopped.open(nullptr));  // not started
}

TEST(PeerAddress, RoundTripsAndCompares) {
  auto v4 = PeerAddress::from({"192.0.2.7", 5004});
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->endpoint(), (Endpoint{"192.0.2.7", 5004}));
  auto v6 = PeerAddress::from({"2001:db8::1", 5006});
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->endpoint(), (Endpoint{"2001:db8::1", 5006}));
  EXPECT_TRUE(*v4 == *PeerAddress::from({"192.0.2.7", 5004}));
  EXPECT_FALSE(*v4 == *PeerAddress::from({"192.0.2.7", 5005}));
  EXPECT_FALSE(*v4 == *PeerAddress::from({"192.0.2.8", 5004}));
  EXPECT_FALSE(*v4 == *v6);
  EXPECT_TRUE(PeerAddress{} == PeerAddress{});
  EXPECT_FALSE(PeerAddress::from({"192.0.2.300", 1}));
  EXPECT_FALSE(PeerAddress::from({"::g", 1}));
  EXPECT_EQ(PeerAddress{}.endpoint(), Endpoint{});
}

}  // namespace
}  // namespace cohort::net
