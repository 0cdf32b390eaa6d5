// media_load's small utilities: clocks, fatal errors, IPv4 addresses and UDP sockets,
// random tokens, percentiles of a sample in nanoseconds.
#pragma once

#include <netinet/in.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace media_bench {

std::int64_t now_ns(clockid_t clock);
std::int64_t mono_ns();
std::int64_t real_ns();

[[noreturn]] void die(const std::string& what);

sockaddr_in make_addr(const std::string& ip, int port);

// A UDP socket bound to ip:port with 32 MiB buffers; `timestamps`: SO_TIMESTAMPNS on.
int udp_socket(const std::string& ip, int port, bool timestamps);

std::string random_token(std::mt19937_64& rng);

struct Percentiles {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, p999 = 0, max = 0;  // ms
};
// Sorts `v` (ns) and takes its percentiles, in ms.
Percentiles percentiles(std::vector<std::int64_t>& v);

}  // namespace media_bench
