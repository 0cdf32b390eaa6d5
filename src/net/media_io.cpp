// The media threads: one epoll loop each over its streams' RTP/RTCP sockets, a periodic
// timerfd on the 20 ms grid and an eventfd for tasks posted from other threads
// (media_io.hpp). Plain POSIX rather than Asio: a loop wakes ~50 times a second per thread
// for the tick whatever the number of streams, and reads each socket with recvmmsg(2).

#include "net/media_io.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace cohort::net {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------
// PeerAddress

bool PeerAddress::operator==(const PeerAddress& o) const {
  if (length == 0 || o.length == 0 || storage.ss_family != o.storage.ss_family) {
    return length == o.length && length == 0;
  }
  if (storage.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
    const auto& b = reinterpret_cast<const sockaddr_in&>(o.storage);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
  const auto& b = reinterpret_cast<const sockaddr_in6&>(o.storage);
  return a.sin6_port == b.sin6_port &&
         std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof(a.sin6_addr)) == 0;
}

Endpoint PeerAddress::endpoint() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (length != 0 && storage.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
    inet_ntop(AF_INET, &a.sin_addr, text.data(), text.size());
    return {text.data(), ntohs(a.sin_port)};
  }
  if (length != 0 && storage.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
    inet_ntop(AF_INET6, &a.sin6_addr, text.data(), text.size());
    return {text.data(), ntohs(a.sin6_port)};
  }
  return {};
}

Result<PeerAddress> PeerAddress::from(const Endpoint& e) {
  PeerAddress p;
  if (is_ipv6(e.address)) {
    auto& a = reinterpret_cast<sockaddr_in6&>(p.storage);
    if (inet_pton(AF_INET6, e.address.c_str(), &a.sin6_addr) != 1) {
      return fail(Error::invalid("address", fmt::format("not an IPv6 address: {}", e.address)));
    }
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(e.port);
    p.length = sizeof(sockaddr_in6);
    return p;
  }
  auto& a = reinterpret_cast<sockaddr_in&>(p.storage);
  if (inet_pton(AF_INET, e.address.c_str(), &a.sin_addr) != 1) {
    return fail(Error::invalid("address", fmt::format("not an IPv4 address: {}", e.address)));
  }
  a.sin_family = AF_INET;
  a.sin_port = htons(e.port);
  p.length = sizeof(sockaddr_in);
  return p;
}

// ---------------------------------------------------------------------------------------
// The threads

namespace {

constexpr int kBatch = 16;           ///< datagrams per recvmmsg(2)
constexpr std::size_t kSlot = 2048;  ///< bytes per datagram slot (RTP is < 1500)
constexpr std::uint64_t kTimerTag = ~0ull;
constexpr std::uint64_t kEventTag = ~0ull - 1;
constexpr int kThreadBits = 8;  ///< a StreamId's low bits name its thread

Error unavailable(std::string message) {
  return {Errc::kUnavailable, std::move(message), {}};
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

struct MediaIo::Impl {
  struct Entry {
    std::shared_ptr<MediaStream> stream;
    std::array<int, 2> fds{-1, -1};  ///< RTP, RTCP
  };
  struct Thread {
    std::size_t index = 0;
    int epoll = -1, timer = -1, event = -1;
    std::mutex mu;
    std::vector<std::function<void()>> queue;     ///< under mu
    std::unordered_map<StreamId, Entry> streams;  ///< on the thread only
    std::atomic<std::size_t> load{0};             ///< streams opened and not yet closed
    /// The timer's first expiry; expiry k (1-based) is due at tick_base + (k - 1)·tick.
    Clock::time_point tick_base{};
    std::uint64_t ticks = 0;  ///< expiries so far (on the thread only)
    std::thread thread;
  };

  MediaIoOptions options;
  std::vector<std::unique_ptr<Thread>> threads;
  std::atomic<bool> stopping{false};
  bool started = false;
  bool realtime = false;  ///< every media thread runs at options.realtime_priority
  std::mutex ports_mu;
  std::uint16_t next_port = 0;  ///< under ports_mu
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::uint64_t> packets_in{0}, packets_out{0}, send_failures{0}, streams{0},
      exhausted{0};

  static thread_local Thread* current;

  explicit Impl(MediaIoOptions o) : options(std::move(o)) {}

  Thread& owner(StreamId id) { return *threads[(id & ((1u << kThreadBits) - 1)) % threads.size()]; }

  void post(Thread& t, std::function<void()> task) {
    {
      std::lock_guard lock(t.mu);
      t.queue.push_back(std::move(task));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(t.event, &one, sizeof(one));
  }

  void run_tasks(Thread& t) {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(t.event, &count, sizeof(count));
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard lock(t.mu);
      tasks.swap(t.queue);
    }
    for (auto& task : tasks) {
      task();
    }
  }

  void drain(Thread& t, StreamId id, bool rtcp, std::vector<std::uint8_t>& buffer,
             Clock::time_point now) {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iov{};
    std::array<sockaddr_storage, kBatch> from{};
    // A few batches per wake-up, then the other sockets get their turn (level-triggered:
    // epoll reports this one again).
    for (int round = 0; round < 4; ++round) {
      const auto it = t.streams.find(id);
      if (it == t.streams.end()) {
        return;
      }
      const int fd = it->second.fds[rtcp ? 1 : 0];
      for (int i = 0; i < kBatch; ++i) {
        iov[i] = {buffer.data() + i * kSlot, kSlot};
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
      }
      const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) {
        return;
      }
      packets_in.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      const std::shared_ptr<MediaStream> stream = it->second.stream;  // may close itself
      for (int i = 0; i < n; ++i) {
        if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
          continue;  // larger than any RTP packet we handle
        }
        PeerAddress peer;
        peer.storage = from[i];
        peer.length = msgs[i].msg_hdr.msg_namelen;
        stream->on_packet(rtcp, {buffer.data() + i * kSlot, msgs[i].msg_len}, peer, now);
      }
      if (n < kBatch) {
        return;
      }
    }
  }

  void loop(Thread& t) {
    current = &t;
    std::vector<std::uint8_t> buffer(kSlot * kBatch);
    std::array<epoll_event, 64> events{};
    std::vector<std::shared_ptr<MediaStream>> ticking;
    while (!stopping.load(std::memory_order_acquire)) {
      const int n = ::epoll_wait(t.epoll, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        spdlog::error("media epoll_wait failed: {}", std::strerror(errno));
        break;
      }
      const auto now = Clock::now();
      // The tick first: the packets due now leave before this wake-up's datagrams are
      // drained (up to 64 sockets), not after them.
      bool tick = false;
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kTimerTag) {
          std::uint64_t expirations = 0;
          if (::read(t.timer, &expirations, sizeof(expirations)) == sizeof(expirations)) {
            t.ticks += expirations;
          }
          tick = t.ticks > 0;
        }
      }
      if (tick) {
        // Streams are ticked at the tick's nominal time, not the moment this thread woke: a
        // packet whose slot lies near a tick would otherwise leave on that tick or the next
        // as the wake-up varies, 20 ms apart (measured in bench/media: p99 16.5 ms).
        const auto nominal = t.tick_base + options.tick * static_cast<std::int64_t>(t.ticks - 1);
        // A copy: a stream's on_tick may close streams (posted, but keep it simple and safe).
        ticking.clear();
        for (auto& [id, entry] : t.streams) {
          ticking.push_back(entry.stream);
        }
        for (auto& stream : ticking) {
          stream->on_tick(nominal);  // what is due leaves first, for every stream
        }
        for (auto& stream : ticking) {
          stream->on_tick_done(nominal);
        }
        ticking.clear();
      }
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == kEventTag) {
          run_tasks(t);
        } else if (tag != kTimerTag) {
          drain(t, tag >> 1, (tag & 1) != 0, buffer, now);
        }
      }
    }
    run_tasks(t);  // what was asked before stop() (a last recording to finish) still runs
    for (auto& [id, entry] : t.streams) {
      close_fd(entry.fds[0]);
      close_fd(entry.fds[1]);
    }
    t.streams.clear();
    current = nullptr;
  }

  // Binds a UDP socket on options.address:port; -1 when taken.
  int bind_udp(std::uint16_t port) {
    auto local = PeerAddress::from({options.address, port});
    if (!local) {
      return -1;
    }
    const int fd = ::socket(local->storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return -1;
    }
    const int rcvbuf = options.receive_buffer;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local->storage), local->length) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // An RTP/RTCP pair from the range, round-robin from where the last one was found (a port
  // just released is not reused at once: late packets of its old stream fade first).
  std::optional<std::pair<std::uint16_t, std::array<int, 2>>> allocate() {
    std::lock_guard lock(ports_mu);
    const std::uint32_t first = (options.port_min + 1u) & ~1u;  // even
    if (first + 1u > options.port_max) {
      return std::nullopt;
    }
    const std::uint32_t pairs = (options.port_max - first + 1u) / 2u;
    for (std::uint32_t tried = 0; tried < pairs; ++tried) {
      if (next_port < first || next_port + 1u > options.port_max) {
        next_port = static_cast<std::uint16_t>(first);
      }
      const std::uint16_t port = next_port;
      next_port = static_cast<std::uint16_t>(port + 2u);
      const int rtp = bind_udp(port);
      if (rtp < 0) {
        continue;
      }
      const int rtcp = bind_udp(static_cast<std::uint16_t>(port + 1));
      if (rtcp < 0) {
        ::close(rtp);
        continue;
      }
      return std::pair{port, std::array<int, 2>{rtp, rtcp}};
    }
    return std::nullopt;
  }
};

thread_local MediaIo::Impl::Thread* MediaIo::Impl::current = nullptr;

MediaIo::MediaIo(MediaIoOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

MediaIo::~MediaIo() {
  stop();
}

const MediaIoOptions& MediaIo::options() const {
  return impl_->options;
}

Result<void> MediaIo::start() {
  Impl& m = *impl_;
  if (m.started) {
    return {};
  }
  if (!PeerAddress::from({m.options.address, 0})) {
    return fail(
        Error::invalid("media.address", fmt::format("not an IP address: {}", m.options.address)));
  }
  if (m.options.port_min > m.options.port_max || m.options.port_max - m.options.port_min < 1) {
    return fail(Error::invalid("media.rtp_ports", "the range holds no RTP/RTCP port pair"));
  }
  const int count = std::clamp(m.options.threads, 1, 1 << kThreadBits);
  const auto tick_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(m.options.tick).count();
  for (int i = 0; i < count; ++i) {
    auto t = std::make_unique<Impl::Thread>();
    t->index = static_cast<std::size_t>(i);
    t->epoll = ::epoll_create1(EPOLL_CLOEXEC);
    t->timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    t->event = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->epoll < 0 || t->timer < 0 || t->event < 0) {
      return fail(unavailable(fmt::format("media thread: {}", std::strerror(errno))));
    }
    // An absolute first expiry on CLOCK_MONOTONIC (steady_clock's clock): the nominal time
    // of every tick is then known on the thread.
    timespec base{};
    ::clock_gettime(CLOCK_MONOTONIC, &base);
    const std::int64_t base_ns = std::int64_t{base.tv_sec} * 1'000'000'000 + base.tv_nsec + tick_ns;
    t->tick_base = Clock::time_point(
        std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(base_ns)));
    itimerspec spec{};
    spec.it_interval.tv_sec = tick_ns / 1'000'000'000;
    spec.it_interval.tv_nsec = tick_ns % 1'000'000'000;
    spec.it_value.tv_sec = base_ns / 1'000'000'000;
    spec.it_value.tv_nsec = base_ns % 1'000'000'000;
    ::timerfd_settime(t->timer, TFD_TIMER_ABSTIME, &spec, nullptr);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimerTag;
    ::epoll_ctl(t->epoll, EPOLL_CTL_ADD, t->timer, &ev);
    ev.data.u64 = kEventTag;
    ::epoll_ctl(t->epoll, EPOLL_CTL_ADD, t->event, &ev);
    m.threads.push_back(std::move(t));
  }
  bool realtime = m.options.realtime_priority > 0;
  for (auto& t : m.threads) {
    Impl::Thread* raw = t.get();
    raw->thread = std::thread([&m, raw] { m.loop(*raw); });
    if (m.options.realtime_priority > 0) {
      sched_param param{};
      param.sched_priority = std::clamp(m.options.realtime_priority, 1, 99);
      if (const int err = ::pthread_setschedparam(raw->thread.native_handle(), SCHED_FIFO, &param);
          err != 0) {
        realtime = false;
        spdlog::warn("media event=realtime_refused priority={} error={}", param.sched_priority,
                     std::strerror(err));
      }
    }
  }
  m.realtime = realtime;
  m.started = true;
  return {};
}

void MediaIo::stop() {
  Impl& m = *impl_;
  if (!m.started) {
    return;
  }
  m.stopping.store(true, std::memory_order_release);
  for (auto& t : m.threads) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(t->event, &one, sizeof(one));
  }
  for (auto& t : m.threads) {
    if (t->thread.joinable()) {
      t->thread.join();
    }
    close_fd(t->epoll);
    close_fd(t->timer);
    close_fd(t->event);
  }
  m.streams.store(0);
  m.started = false;
}

Result<OpenedStream> MediaIo::open(std::shared_ptr<MediaStream> stream,
                                   std::optional<StreamId> beside) {
  Impl& m = *impl_;
  if (!m.started || m.stopping.load()) {
    return fail(unavailable("media is not running"));
  }
  auto pair = m.allocate();
  if (!pair) {
    m.exhausted.fetch_add(1, std::memory_order_relaxed);
    return fail(unavailable(
        fmt::format("no free RTP port pair in {}-{}", m.options.port_min, m.options.port_max)));
  }
  Impl::Thread* least = m.threads.front().get();
  if (beside) {
    least = &m.owner(*beside);
  } else {
    for (auto& t : m.threads) {
      if (t->load.load(std::memory_order_relaxed) < least->load.load(std::memory_order_relaxed)) {
        least = t.get();
      }
    }
  }
  const StreamId id = (m.next_id.fetch_add(1) << kThreadBits) | least->index;
  least->load.fetch_add(1, std::memory_order_relaxed);
  m.streams.fetch_add(1, std::memory_order_relaxed);
  const auto fds = pair->second;
  m.post(*least, [&m, least, id, fds, s = std::move(stream)]() mutable {
    least->streams.emplace(id, Impl::Entry{std::move(s), fds});
    for (int i = 0; i < 2; ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = (id << 1) | static_cast<std::uint64_t>(i);
      ::epoll_ctl(least->epoll, EPOLL_CTL_ADD, fds[i], &ev);
    }
  });
  return OpenedStream{id, pair->first, least->index};
}

void MediaIo::close(StreamId id) {
  Impl& m = *impl_;
  if (!m.started) {
    return;
  }
  Impl::Thread& t = m.owner(id);
  m.post(t, [&m, &t, id] {
    const auto it = t.streams.find(id);
    if (it == t.streams.end()) {
      return;
    }
    close_fd(it->second.fds[0]);  // closing removes it from the epoll set
    close_fd(it->second.fds[1]);
    t.streams.erase(it);
    t.load.fetch_sub(1, std::memory_order_relaxed);
    m.streams.fetch_sub(1, std::memory_order_relaxed);
  });
}

void MediaIo::send(StreamId id, bool rtcp, std::span<const std::uint8_t> bytes,
                   const PeerAddress& to) {
  Impl& m = *impl_;
  Impl::Thread* t = Impl::current;  // the calling thread's, if it is a media thread
  if (t == nullptr || to.empty()) {
    m.send_failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto it = t->streams.find(id);
  if (it == t->streams.end()) {
    m.send_failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto sent = ::sendto(it->second.fds[rtcp ? 1 : 0], bytes.data(), bytes.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&to.storage), to.length);
  if (sent < 0) {
    m.send_failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  m.packets_out.fetch_add(1, std::memory_order_relaxed);
}

void MediaIo::post(StreamId id, std::function<void()> task) {
  Impl& m = *impl_;
  if (!m.started) {
    return;
  }
  m.post(m.owner(id), std::move(task));
}

MediaIo::Stats MediaIo::stats() const {
  const Impl& m = *impl_;
  return {m.packets_in.load(), m.packets_out.load(), m.send_failures.load(),
          m.streams.load(),    m.exhausted.load(),   m.realtime};
}

}  // namespace cohort::net
