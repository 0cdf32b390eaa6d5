#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef COHORT_BINARY
#error "COHORT_BINARY must name the cohort executable"
#endif

namespace cohort::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cohort-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

/// Waits for `pid` up to `timeout`; returns the wait status or -1 if still running.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return status;
    }
    if (r < 0 || std::chrono::steady_clock::now() > deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Reads from `fd` until `stop_marker` appears in the text or `timeout` passes.
std::string read_until(int fd, const std::string& stop_marker, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (out.find(stop_marker) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& data_dir, ServerOptions options) {
  log_path_ = data_dir + "/server.log";
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> args = {COHORT_BINARY, "serve",       "--data-dir", data_dir,
                                   "--http",      "127.0.0.1:0", "--sip",      options.sip};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log, STDERR_FILENO);
    if (options.admin_token_env) {
      ::setenv("COHORT_ADMIN_TOKEN", kAdminToken, 1);
    } else {
      ::unsetenv("COHORT_ADMIN_TOKEN");
    }
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // The last banner line names the admin token; it follows the listening line.
  banner_ = read_until(out[0], "admin token", std::chrono::seconds(30));
  // "cohort: listening http=HOST:PORT sip_udp=HOST:PORT sip_tcp=HOST:PORT ..."
  const std::string marker = "cohort: listening ";
  auto at = banner_.find(marker);
  if (at != std::string::npos) {
    auto line_end = banner_.find('\n', at);
    std::string line = banner_.substr(at + marker.size(), line_end - at - marker.size());
    std::size_t pos = 0;
    while (pos < line.size()) {
      auto end = line.find(' ', pos);
      std::string item = line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      auto eq = item.find('=');
      auto colon = item.rfind(':');
      if (eq != std::string::npos && colon != std::string::npos && colon > eq) {
        std::string key = item.substr(0, eq);
        auto port = static_cast<std::uint16_t>(std::stoi(item.substr(colon + 1)));
        if (key == "http") {
          port_ = port;
        } else if (key == "sip_udp" && sip_udp_port_ == 0) {
          sip_udp_port_ = port;
        } else if (key == "sip_tcp" && sip_tcp_port_ == 0) {
          sip_tcp_port_ = port;
        }
      }
      if (end == std::string::npos) {
        break;
      }
      pos = end + 1;
    }
  }
  // Keep the pipe open so that later writes to stdout never raise SIGPIPE in the server.
  stdout_fd_ = out[0];
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    stop();
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
  }
}

int ServerProcess::stop() {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, SIGTERM);
  int status = wait_for(pid_, std::chrono::seconds(10));
  if (status == -1) {
    ::kill(pid_, SIGKILL);
    status = wait_for(pid_, std::chrono::seconds(10));
  }
  pid_ = -1;
  return status;
}

void ServerProcess::terminate() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
  }
}

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  const int status = wait_for(pid_, timeout);
  if (status != -1) {
    pid_ = -1;
  }
  return status;
}

void ServerProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(10));
    pid_ = -1;
  }
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RunResult run_cohort(const std::vector<std::string>& args) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> all = {COHORT_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::setenv("COHORT_ADMIN_TOKEN", kAdminToken, 1);
    std::vector<char*> argv;
    for (auto& a : all) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  RunResult r;
  r.output = read_until(out[0], "\x01never\x01", std::chrono::seconds(20));
  ::close(out[0]);
  int status = wait_for(pid, std::chrono::seconds(5));
  if (status == -1) {
    ::kill(pid, SIGKILL);
    wait_for(pid, std::chrono::seconds(5));
    return r;
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace cohort::testing
