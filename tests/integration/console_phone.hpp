#pragma once
// A SIP phone driven from its text console (linphonec, twinkle-console): one child process
// with its own HOME, commands written to its stdin, and its output read back from a log
// file. Stopped by its pid when the test ends: the quit command first (the phone
// un-registers), then SIGTERM, then SIGKILL.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sip_peers.hpp"

namespace cohort::testing {

class ConsolePhone {
 public:
  ConsolePhone(const ConsolePhone&) = delete;
  ConsolePhone& operator=(const ConsolePhone&) = delete;

  bool started() const { return process_ && process_->started(); }
  const std::string& extension() const { return ext_; }
  /// Sends one command line.
  bool command(const std::string& line);
  /// Waits until the output holds `text` `count` times; false at `timeout`.
  bool wait_output(const std::string& text, std::chrono::milliseconds timeout,
                   std::size_t count = 1) const;
  std::size_t count(const std::string& text) const;
  std::string output() const;

 protected:
  /// `quit`: the console's command that ends the phone.
  ConsolePhone(std::string ext, std::string quit) : ext_(std::move(ext)), quit_(std::move(quit)) {}
  ~ConsolePhone();
  /// Starts `argv` with HOME=`home`, its output in `home`/output.log.
  void start(std::vector<std::string> argv, const std::string& home);

 private:
  std::string ext_;
  std::string quit_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace cohort::testing
