// Readers of /proc for the server under test, and the measured window (proc_stats.hpp).
#include "proc_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util.hpp"

namespace media_bench {

ProcSample proc_sample(int pid) {
  ProcSample s;
  if (pid <= 0)
    return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in(all.substr(close + 2));
    std::string f;
    std::vector<std::string> fields;
    while (in >> f)
      fields.push_back(f);
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    if (fields.size() > 13)
      s.ticks = std::stol(fields[11]) + std::stol(fields[12]);
  }
  std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = opendir(tasks.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.')
        continue;
      std::ifstream ss(tasks + "/" + e->d_name + "/schedstat");
      std::int64_t run = 0, wait = 0;
      if (ss >> run >> wait) {
        s.run_ns += run;
        s.wait_ns += wait;
      }
    }
    closedir(d);
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      s.rss_kb = std::stol(line.substr(6));
  }
  return s;
}

long socket_drops(int pid) {
  if (pid <= 0)
    return 0;
  std::set<std::string> inodes;
  std::string fddir = "/proc/" + std::to_string(pid) + "/fd";
  if (DIR* d = opendir(fddir.c_str())) {
    while (dirent* e = readdir(d)) {
      char target[128];
      ssize_t n = readlink((fddir + "/" + e->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0)
        continue;
      target[n] = 0;
      std::string_view t(target);
      if (t.rfind("socket:[", 0) == 0)
        inodes.insert(std::string(t.substr(8, t.size() - 9)));
    }
    closedir(d);
  }
  long drops = 0;
  std::ifstream udp("/proc/net/udp");
  std::string line;
  std::getline(udp, line);
  while (std::getline(udp, line)) {
    std::istringstream in(line);
    std::vector<std::string> f;
    std::string x;
    while (in >> x)
      f.push_back(x);
    if (f.size() >= 13 && inodes.count(f[9]))
      drops += std::stol(f.back());
  }
  return drops;
}

long own_drops() {
  return socket_drops(getpid());
}

Window measure_window(int pid, int seconds) {
  Window w;
  w.before = proc_sample(pid);
  w.drops_before = socket_drops(pid);
  w.start_real = real_ns();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  w.end_real = real_ns();
  w.after = proc_sample(pid);
  w.drops_after = socket_drops(pid);
  return w;
}

void print_window(const Window& w, long baseline_rss_kb) {
  std::printf(
      " window_s=%.2f cpu_ticks=%ld rss_baseline_kb=%ld rss_start_kb=%ld rss_end_kb=%ld"
      " server_drops=%ld run_ms=%.1f runqueue_wait_ms=%.1f",
      static_cast<double>(w.end_real - w.start_real) / 1e9, w.after.ticks - w.before.ticks,
      baseline_rss_kb, w.before.rss_kb, w.after.rss_kb, w.drops_after - w.drops_before,
      static_cast<double>(w.after.run_ns - w.before.run_ns) / 1e6,
      static_cast<double>(w.after.wait_ns - w.before.wait_ns) / 1e6);
}

}  // namespace media_bench
