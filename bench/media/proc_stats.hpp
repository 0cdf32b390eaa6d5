// What media_load reads of the server under test in /proc: its CPU ticks and scheduler
// waits (every thread), its RSS, the datagrams dropped on its UDP sockets; and the measured
// window, sampled at both ends.
#pragma once

#include <cstdint>

namespace media_bench {

struct ProcSample {
  long ticks = 0;   // utime + stime of every thread
  long rss_kb = 0;  // VmRSS
  // Σ over the threads of /proc/PID/task/*/schedstat: time on a CPU, and time spent
  // runnable but waiting for one (the server starved by other processes)
  std::int64_t run_ns = 0, wait_ns = 0;
};
ProcSample proc_sample(int pid);

// Datagrams the kernel dropped on PID's UDP sockets (receive buffer full), summed.
long socket_drops(int pid);

// Drops on this process's own sockets (the meter must not be the one losing packets).
long own_drops();

struct Window {
  std::int64_t start_real = 0, end_real = 0;
  ProcSample before, after;
  long drops_before = 0, drops_after = 0;
};

// Samples PID, sleeps `seconds`, samples it again.
Window measure_window(int pid, int seconds);

// Prints the window's part of the RESULT line (" window_s=… cpu_ticks=… …").
void print_window(const Window& w, long baseline_rss_kb);

}  // namespace media_bench
