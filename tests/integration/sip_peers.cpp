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
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cohort::testing {
namespace {

/// Binds `address`:`port` (IPv4) with `type`; the fd (to be closed) or -1.
int bind_loopback(int type, std::uint16_t port, const std::string& address) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) {
    return -1;
  }
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
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

std::uint16_t free_port(std::uint16_t spacing, const std::string& address) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int probe = bind_loopback(SOCK_DGRAM, 0, address);
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
        int fd = bind_loopback(type, static_cast<std::uint16_t>(base + i), address);
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
                           std::vector<std::pair<std::string, std::string>> env, bool stdin_pipe)
    : log_path_(std::move(log_path)) {
  int fds[2] = {-1, -1};
  if (stdin_pipe && ::pipe2(fds, O_CLOEXEC) != 0) {
    return;  // not started
  }
  if (stdin_pipe) {
    ::signal(SIGPIPE, SIG_IGN);  // a child that died makes write_stdin fail, not the test
  }
  pid_ = ::fork();
  if (pid_ != 0 && stdin_pipe) {
    ::close(fds[0]);
    stdin_fd_ = fds[1];
  }
  if (pid_ == 0) {
    int in = stdin_pipe ? fds[0] : ::open("/dev/null", O_RDONLY);
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

bool ChildProcess::write_stdin(std::string_view text) {
  while (stdin_fd_ >= 0 && !text.empty()) {
    const ssize_t n = ::write(stdin_fd_, text.data(), text.size());
    if (n <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return stdin_fd_ >= 0;
}

ChildProcess::~ChildProcess() {
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
  }
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

SippRun SippProcess::snapshot(int exit_code) const {
  SippRun run;
  run.exit_code = exit_code;
  run.local_port = local_port;
  run.output = read_text(output_path);
  run.logs = read_text(logs_path);
  run.messages = read_text(messages_path);
  run.errors = read_text(errors_path);
  return run;
}

SippProcess start_sipp(const std::string& work_dir, const SippOptions& o) {
  static std::atomic<int> counter{0};
  const std::string base = work_dir + "/sipp-" + std::to_string(++counter);
  SippProcess p;
  p.local_port = o.local_port != 0 ? o.local_port : free_port(1, o.local_ip);
  p.messages_path = base + ".messages";
  p.logs_path = base + ".logs";
  p.errors_path = base + ".errors";
  p.output_path = base + ".out";
  const std::string scenario =
      !o.scenario.empty() && o.scenario.front() == '/'
          ? o.scenario
          : std::string(COHORT_SOURCE_DIR) + "/tests/integration/sipp/" + o.scenario;
  const int max_calls =
      o.max_calls > 0 ? o.max_calls : static_cast<int>(std::max<std::size_t>(1, o.csv_rows.size()));
  std::vector<std::string> args = {kSippBinary,
                                   "-sf",
                                   scenario,
                                   "-i",
                                   o.local_ip,
                                   "-p",
                                   std::to_string(p.local_port),
                                   "-t",
                                   o.transport == SipTransport::kUdp ? "u1" : "t1",
                                   "-m",
                                   std::to_string(max_calls),
                                   "-timeout",
                                   std::to_string(o.timeout.count()) + "s",
                                   "-timeout_error",
                                   "-nostdin",
                                   "-trace_msg",
                                   "-message_file",
                                   p.messages_path,
                                   "-trace_logs",
                                   "-log_file",
                                   p.logs_path,
                                   "-trace_err",
                                   "-error_file",
                                   p.errors_path};
  if (!o.csv_rows.empty()) {
    const std::string csv = base + ".csv";
    std::string rows = "SEQUENTIAL\n";
    for (const std::string& row : o.csv_rows) {
      rows += row + "\n";
    }
    write_text(csv, rows);
    args.push_back("-inf");
    args.push_back(csv);
  }
  if (!o.call_id.empty()) {
    args.push_back("-cid_str");
    args.push_back(o.call_id);
  }
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  if (o.server_port != 0) {
    args.push_back("127.0.0.1:" + std::to_string(o.server_port));
  }
  p.process = std::make_unique<ChildProcess>(std::move(args), p.output_path);
  return p;
}

SippRun finish_sipp(SippProcess& sipp, std::chrono::milliseconds timeout) {
  if (!sipp.process) {
    return sipp.snapshot();
  }
  int code = sipp.process->wait(timeout);
  if (code == -1) {
    sipp.process->signal(SIGTERM);
    sipp.process->wait_or_kill(std::chrono::seconds(3));
  }
  sipp.process.reset();
  return sipp.snapshot(code);
}

SippRun stop_sipp(SippProcess& sipp) {
  if (!sipp.process) {
    return sipp.snapshot();
  }
  sipp.process->signal(SIGTERM);
  const int code = sipp.process->wait_or_kill(std::chrono::seconds(3));
  sipp.process.reset();
  return sipp.snapshot(code);
}

SippRun run_sipp(const std::string& work_dir, const SippOptions& o) {
  SippProcess p = start_sipp(work_dir, o);
  return finish_sipp(p, o.timeout + std::chrono::seconds(10));
}

std::vector<std::string> received_requests(const std::string& messages, const std::string& method) {
  std::vector<std::string> out;
  const std::string marker = " message received [";
  std::size_t at = 0;
  while ((at = messages.find(marker, at)) != std::string::npos) {
    // "UDP message received [514] bytes :\n\n" then the message, up to the next separator.
    std::size_t start = messages.find("\n\n", at);
    if (start == std::string::npos) {
      break;
    }
    start += 2;
    std::size_t end = messages.find("\n-----------------------------------------------", start);
    std::string message =
        messages.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (message.compare(0, method.size() + 1, method + " ") == 0) {
      out.push_back(std::move(message));
    }
    at = start;
  }
  return out;
}

std::string write_ulaw_tone(const std::string& dir, double hz, double seconds) {
  std::string bytes;
  const int n = static_cast<int>(seconds * 8000);
  for (int i = 0; i < n; ++i) {
    bytes.push_back(static_cast<char>(
        ulaw_encode(static_cast<std::int16_t>(8000 * std::sin(2 * M_PI * hz * i / 8000.0)))));
  }
  const std::string path = dir + "/tone-" + std::to_string(static_cast<int>(hz)) + ".ul";
  write_text(path, bytes);
  return path;
}

std::string scenario_from_template(const std::string& work_dir, const std::string& template_name,
                                   const std::vector<std::pair<std::string, std::string>>& values) {
  std::string text =
      read_text(std::string(COHORT_SOURCE_DIR) + "/tests/integration/sipp/" + template_name);
  if (text.empty()) {
    throw std::runtime_error("no scenario template " + template_name);
  }
  for (const auto& [name, value] : values) {
    const std::string placeholder = "{{" + name + "}}";
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  if (auto left = text.find("{{"); left != std::string::npos) {
    throw std::runtime_error(template_name + ": no value for " + text.substr(left, 40));
  }
  static std::atomic<int> counter{0};
  std::string name = template_name;
  if (auto dot = name.rfind(".xml"); dot != std::string::npos) {
    name.erase(dot);
  }
  const std::string path = work_dir + "/" + name + "-" + std::to_string(++counter) + ".xml";
  write_text(path, text);
  return path;
}

}  // namespace cohort::testing
