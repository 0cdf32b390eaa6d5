// media_load's small utilities (util.hpp): clocks, sockets, tokens, percentiles.
#include "util.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace media_bench {

std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t mono_ns() {
  return now_ns(CLOCK_MONOTONIC);
}

std::int64_t real_ns() {
  return now_ns(CLOCK_REALTIME);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "media_load: %s\n", what.c_str());
  std::exit(1);
}

sockaddr_in make_addr(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1)
    die("bad IPv4 address " + ip);
  return a;
}

int udp_socket(const std::string& ip, int port, bool timestamps) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket: " + std::string(std::strerror(errno)));
  int big = 32 << 20;
  // root may pass net.core.rmem_max; otherwise the plain option (capped) is enough to try
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  }
  if (timestamps) {
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  }
  sockaddr_in a = make_addr(ip, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    die("bind " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return fd;
}

std::string random_token(std::mt19937_64& rng) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, rng());
  return buf;
}

Percentiles percentiles(std::vector<std::int64_t>& v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty())
    return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return static_cast<double>(v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))]) /
           1e6;
  };
  p.p50 = at(0.5);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = static_cast<double>(v.back()) / 1e6;
  return p;
}

}  // namespace media_bench
