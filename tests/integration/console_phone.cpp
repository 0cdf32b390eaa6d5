#include "console_phone.hpp"

#include <signal.h>

#include <thread>

namespace cohort::testing {

ConsolePhone::~ConsolePhone() {
  if (started()) {
    command(quit_);
    if (process_->wait(std::chrono::seconds(5)) < 0) {
      process_->signal(SIGTERM);
      process_->wait_or_kill(std::chrono::seconds(3));
    }
  }
}

void ConsolePhone::start(std::vector<std::string> argv, const std::string& home) {
  process_ = std::make_unique<ChildProcess>(
      std::move(argv), home + "/output.log",
      std::vector<std::pair<std::string, std::string>>{{"HOME", home}}, /*stdin_pipe=*/true);
}

bool ConsolePhone::command(const std::string& line) {
  return process_ && process_->write_stdin(line + "\n");
}

std::string ConsolePhone::output() const {
  return process_ ? process_->output() : "";
}

std::size_t ConsolePhone::count(const std::string& text) const {
  const std::string out = output();
  std::size_t n = 0;
  for (auto at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) {
    ++n;
  }
  return n;
}

bool ConsolePhone::wait_output(const std::string& text, std::chrono::milliseconds timeout,
                               std::size_t n) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (count(text) < n) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace cohort::testing
