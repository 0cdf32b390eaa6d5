#include "sip_peers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cohort::testing {
namespace {

/// Binds 127.0.0.1:`port` with `type`; the fd (to be closed) or -1.
int bind_loopback(int type, std::uint16_t port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::uint16_t free_port(std::uint16_t spacing) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int probe = bind_loopback(SOCK_DGRAM, 0);
    if (probe < 0) {
      continue;
    }
    const std::uint16_t base = port_of(probe);
    ::close(probe);
    if (base == 0 || base > 65535 - spacing) {
      continue;
    }
    std::vector<int> held;
    bool all = true;
    for (std::uint16_t i = 0; i < spacing && all; ++i) {
      for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
        int fd = bind_loopback(type, static_cast<std::uint16_t>(base + i));
        if (fd < 0) {
          all = false;
          break;
        }
        held.push_back(fd);
      }
    }
    for (int fd : held) {
      ::close(fd);
    }
    if (all) {
      return base;
    }
  }
  throw std::runtime_error("no free loopback port");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// ---- ChildProcess -----------------------------------------------------------------------

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path,
                           std::vector<std::pair<std::string, std::string>> env)
    : log_path_(std::move(log_path)) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(in, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    for (const auto& [name, value] : env) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<char*> args;
    for (auto& a : argv) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return exit_code_;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      exit_code_ = decode_status(status);
      return exit_code_;
    }
    if (r < 0 || std::chrono::steady_clock::now() >= deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) {
    ::kill(pid_, sig);
  }
}

int ChildProcess::wait_or_kill(std::chrono::milliseconds timeout) {
  int code = wait(timeout);
  if (code == -1 && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  return code;
}

// ---- SIPp -------------------------------------------------------------------------------

std::string SippRun::describe() const {
  return "sipp exit code " + std::to_string(exit_code) + "\n--- output\n" + output +
         "\n--- errors\n" + errors + "\n--- messages\n" + messages + "\n--- logs\n" + logs;
}

SippRun run_sipp(const std::string& work_dir, const SippOptions& o) {
  static std::atomic<int> counter{0};
  const std::string base = work_dir + "/sipp-" + std::to_string(++counter);
  const std::string csv = base + ".csv";
  std::string rows = "SEQUENTIAL\n";
  for (const std::string& row : o.csv_rows) {
    rows += row + "\n";
  }
  write_text(csv, rows);
  const std::uint16_t local_port = o.local_port != 0 ? o.local_port : free_port();
  std::vector<std::string> args = {
      kSippBinary,
      "-sf",
      std::string(COHORT_SOURCE_DIR) + "/tests/integration/sipp/" + o.scenario,
      "-inf",
      csv,
      "-i",
      "127.0.0.1",
      "-p",
      std::to_string(local_port),
      "-t",
      o.transport == SipTransport::kUdp ? "u1" : "t1",
      "-m",
      std::to_string(std::max<std::size_t>(1, o.csv_rows.size())),
      "-timeout",
      "20s",
      "-timeout_error",
      "-nostdin",
      "-trace_msg",
      "-message_file",
      base + ".messages",
      "-trace_logs",
      "-log_file",
      base + ".logs",
      "-trace_err",
      "-error_file",
      base + ".errors"};
  if (!o.call_id.empty()) {
    args.push_back("-cid_str");
    args.push_back(o.call_id);
  }
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  args.push_back("127.0.0.1:" + std::to_string(o.server_port));
  SippRun run;
  run.local_port = local_port;
  {
    ChildProcess sipp(args, base + ".out");
    run.exit_code = sipp.wait_or_kill(std::chrono::seconds(30));
  }
  run.output = read_text(base + ".out");
  run.logs = read_text(base + ".logs");
  run.messages = read_text(base + ".messages");
  run.errors = read_text(base + ".errors");
  return run;
}

}  // namespace cohort::testing
