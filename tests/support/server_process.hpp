#pragma once
// Runs the real `cohort serve` binary for a test: a fresh temp data dir, HTTP on a free
// loopback port (port 0; the bound port is read from the server's stdout), stopped by pid.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cohort::testing {

/// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";

struct ServerOptions {
  std::vector<std::string> extra_args;
  bool admin_token_env = true;      ///< set COHORT_ADMIN_TOKEN=kAdminToken
  std::string sip = "127.0.0.1:0";  ///< --sip (a fixed port: a restart phones still reach)
};

class ServerProcess {
 public:
  /// Starts the server with `--data-dir data_dir`; waits until it listens (or exits).
  ServerProcess(const std::string& data_dir, ServerOptions options = {});
  /// Stops the server (SIGTERM, then SIGKILL after 10 s) if still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  /// The first SIP UDP and TCP ports (127.0.0.1), 0 when SIP is not listening.
  std::uint16_t sip_udp_port() const { return sip_udp_port_; }
  std::uint16_t sip_tcp_port() const { return sip_tcp_port_; }
  pid_t pid() const { return pid_; }
  /// Everything the server printed on stdout up to the listening line.
  const std::string& banner() const { return banner_; }
  /// Sends SIGTERM and waits; returns the exit status (as from waitpid), or -1.
  int stop();
  /// Sends SIGTERM and returns at once: the server begins its graceful stop. Reap it with
  /// wait_exit (or the destructor).
  void terminate();
  /// Waits up to `timeout` for the server to exit by itself; the exit status (as from
  /// waitpid), or -1 when it still runs (it is left running).
  int wait_exit(std::chrono::milliseconds timeout);
  /// Sends SIGKILL and reaps.
  void kill();
  /// The stderr log captured so far (the server's stderr goes to a file).
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t sip_udp_port_ = 0;
  std::uint16_t sip_tcp_port_ = 0;
  std::string banner_;
  std::string log_path_;
  int stdout_fd_ = -1;
};

/// Runs `cohort` with `args` to completion (bounded to 20 s); returns exit code and output.
struct RunResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};
RunResult run_cohort(const std::vector<std::string>& args);

}  // namespace cohort::testing
