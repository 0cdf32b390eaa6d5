#pragma once

#include <cstdlib>
#include <string_view>
// Real SIP peers for the integration tests: child processes (SIPp, baresip, svwar) started
// with fork/exec, their output in a file, bounded by a deadline and stopped by pid.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
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
/// A port that is free for both UDP and TCP on 127.0.0.1 right now (bound with port 0, then
/// released): for peers that cannot be told to pick their own.
std::uint16_t free_port(std::uint16_t spacing = 1);
/// The whole contents of a file ("" when missing).
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);

/// A child process: stdin from /dev/null, stdout and stderr appended to `log_path`,
/// `env` added to the environment. Killed (SIGKILL, by pid) and reaped on destruction if
/// still running.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               std::vector<std::pair<std::string, std::string>> env = {});
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

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

/// One SIPp run of a scenario from tests/integration/sipp as a UAC against the server.
struct SippOptions {
  std::string scenario;               ///< file name, e.g. "register.xml"
  std::vector<std::string> csv_rows;  ///< injected with -inf (SEQUENTIAL); one per call
  SipTransport transport = SipTransport::kUdp;
  std::uint16_t server_port = 0;
  std::string call_id;           ///< -cid_str: the Call-ID of every call ("" = SIPp's default)
  std::uint16_t local_port = 0;  ///< -p: SIPp's port (its Contact); 0 = a free one
  std::vector<std::string> extra_args;
};

struct SippRun {
  int exit_code = -1;            ///< 0: every call succeeded; -1: still running at the deadline
  std::uint16_t local_port = 0;  ///< the -p given to SIPp
  std::string logs;              ///< the scenario's <log> lines
  std::string messages;
  std::string errors;
  std::string output;
  /// Everything, for an assertion message.
  std::string describe() const;
};

/// Runs SIPp (-m = number of CSV rows, -timeout 20s -timeout_error, bounded to 30 s and killed
/// by pid after that) with its files in `work_dir`.
SippRun run_sipp(const std::string& work_dir, const SippOptions& options);

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
