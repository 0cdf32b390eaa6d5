#pragma once

// Real SIP peers for the integration tests: child processes (SIPp, baresip, svwar) started
// with fork/exec, their output in a file, bounded by a deadline and stopped by pid.

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/sip_client.hpp"

#ifndef COHORT_SOURCE_DIR
#error "COHORT_SOURCE_DIR must name the source tree"
#endif

namespace cohort::testing {

inline constexpr const char* kSippBinary = "/usr/bin/sipp";
inline constexpr const char* kBaresipBinary = "/usr/bin/baresip";
inline constexpr const char* kSvwarBinary = "/usr/bin/svwar";

/// Whether `path` is an executable file.
bool executable(const std::string& path);
/// A port that is free for both UDP and TCP on `address` (a loopback address) right now
/// (bound with port 0, then released), with the `spacing - 1` ports after it: for peers that
/// cannot be told to pick their own.
std::uint16_t free_port(std::uint16_t spacing = 1, const std::string& address = "127.0.0.1");
/// The whole contents of a file ("" when missing).
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);
/// G.711 µ-law (ITU-T G.711), written here for the tests' own audio.
inline std::uint8_t ulaw_encode(std::int16_t pcm) {
  constexpr int kBias = 0x84, kClip = 32635;
  int sample = pcm;
  const int sign = sample < 0 ? 0x80 : 0;
  if (sample < 0) {
    sample = -sample;
  }
  sample = std::min(sample, kClip) + kBias;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) {
    --exponent;
  }
  const int mantissa = (sample >> (exponent + 3)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}
inline std::int16_t ulaw_decode(std::uint8_t code) {
  const int u = ~code & 0xFF;
  const int t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
  return static_cast<std::int16_t>((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
}

/// Writes `seconds` of a `hz` tone as headerless 8 kHz G.711 µ-law (SIPp's rtp_stream) to
/// `dir`/tone-<hz>.ul and returns the path.
std::string write_ulaw_tone(const std::string& dir, double hz, double seconds);

/// A child process: stdin from /dev/null (or, with `stdin_pipe`, from a pipe the test
/// writes with write_stdin), stdout and stderr appended to `log_path`, `env` added to the
/// environment. Killed (SIGKILL, by pid) and reaped on destruction if still running.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               std::vector<std::pair<std::string, std::string>> env = {}, bool stdin_pipe = false);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  /// Waits up to `timeout`; the exit code (0–255), 128+signal when killed by a signal, or -1
  /// when still running at the deadline.
  int wait(std::chrono::milliseconds timeout);
  /// Sends `sig` to the child (by pid) if it is still running.
  void signal(int sig);
  /// Waits up to `timeout`, then SIGKILLs and reaps; the exit code as from wait() or -1.
  int wait_or_kill(std::chrono::milliseconds timeout);
  std::string output() const { return read_text(log_path_); }
  /// With stdin_pipe: writes `text` to the child's stdin; false when it cannot.
  bool write_stdin(std::string_view text);

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

/// One SIPp run of a scenario: a UAC against the server, or (server_port 0) a UAS that
/// plays a phone or a provider in the background.
struct SippOptions {
  /// A file name in tests/integration/sipp ("register.xml"), or an absolute path (a scenario
  /// the test wrote from a template with the expected values substituted).
  std::string scenario;
  std::vector<std::string> csv_rows;  ///< injected with -inf (SEQUENTIAL); one per call
  SipTransport transport = SipTransport::kUdp;
  std::uint16_t server_port = 0;  ///< Cohort's SIP port on 127.0.0.1; 0 = none (a UAS)
  std::string call_id;            ///< -cid_str: the Call-ID of every call ("" = SIPp's default)
  std::string local_ip = "127.0.0.1";  ///< -i: SIPp's address (127.0.0.2 … play other hosts)
  std::uint16_t local_port = 0;        ///< -p: SIPp's port (its Contact); 0 = a free one
  /// -m: calls before SIPp exits; 0 = the number of CSV rows (at least 1).
  int max_calls = 0;
  /// -timeout with -timeout_error: SIPp fails (exit code 255) when still running after it.
  std::chrono::seconds timeout{20};
  std::vector<std::string> extra_args;
};

struct SippRun {
  int exit_code = -1;            ///< 0: every call succeeded; -1: still running at the deadline
  std::uint16_t local_port = 0;  ///< the -p given to SIPp
  std::string logs;              ///< the scenario's <log> lines
  std::string messages;          ///< -trace_msg: every message sent and received
  std::string errors;
  std::string output;
  /// Everything, for an assertion message.
  std::string describe() const;
};

/// A SIPp started in the background: its process (stopped by pid) and its files.
struct SippProcess {
  std::unique_ptr<ChildProcess> process;
  std::uint16_t local_port = 0;
  std::string messages_path, logs_path, errors_path, output_path;
  bool started() const { return process && process->started(); }
  /// The files as they are now (SIPp writes its traces as it goes).
  SippRun snapshot(int exit_code = -1) const;
};

/// Starts SIPp (-trace_msg, -trace_logs, -trace_err into `work_dir`) and returns at once.
SippProcess start_sipp(const std::string& work_dir, const SippOptions& options);
/// Waits up to `timeout` for SIPp to exit by itself; past it, stops it by pid (SIGTERM, then
/// SIGKILL) and reports exit code -1.
SippRun finish_sipp(SippProcess& sipp, std::chrono::milliseconds timeout);
/// Stops SIPp now by pid (SIGTERM, then SIGKILL after 3 s); the exit code it stopped with.
SippRun stop_sipp(SippProcess& sipp);
/// Runs SIPp to the end: start_sipp, then finish_sipp bounded to options.timeout + 10 s.
SippRun run_sipp(const std::string& work_dir, const SippOptions& options);

/// The requests with `method` that SIPp received, from its -trace_msg text (retransmissions
/// included, as received).
std::vector<std::string> received_requests(const std::string& messages, const std::string& method);

/// A scenario template with every "{{NAME}}" replaced by its value, written to `work_dir`;
/// returns the absolute path for SippOptions::scenario. Throws on a placeholder left over.
std::string scenario_from_template(const std::string& work_dir, const std::string& template_name,
                                   const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace cohort::testing

/// A missing SIP peer skips the test on a developer machine, but fails it under CI
/// (CI=true), where `make test` has installed every peer: a silent skip there would hide
/// the loss of the test.
#define COHORT_REQUIRE_PEER(binary, package)                                              \
  do {                                                                                    \
    const char* ci = std::getenv("CI");                                                   \
    if (ci != nullptr && std::string_view(ci) == "true") {                                \
      FAIL() << (binary) << " is not installed (Debian package " << (package) << ")";     \
    }                                                                                     \
    GTEST_SKIP() << (binary) << " is not installed (Debian package " << (package) << ")"; \
  } while (0)
