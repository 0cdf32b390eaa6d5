#pragma once
// linphonec 5.1 (Debian's linphone-cli) as a second real phone, a SIP stack independent of
// baresip's: one instance per extension, its own HOME and config, registered with the
// server, driven by commands on its stdin ("call", "transfer", "pause", "terminate") and
// read through its output (text lines), auto-answering (-a), and stopped by its pid when the
// test ends ("quit", then SIGTERM, then SIGKILL). TESTING.md "linphone pitfalls": the auth_info
// section needs userid, domain and algorithm to be used (without them linphonec asks for the
// password on stdin and never answers an INVITE's challenge).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sip_peers.hpp"

namespace cohort::testing {

inline constexpr const char* kLinphonecBinary = "/usr/bin/linphonec";

class LinphonePhone {
 public:
  /// Starts linphonec for demo extension `ext` (password "demo-EXT") against the server on
  /// 127.0.0.1:`server_port`, its files under `work_dir`/linphone-EXT.
  LinphonePhone(const std::string& work_dir, const std::string& ext, std::uint16_t server_port);
  ~LinphonePhone();
  LinphonePhone(const LinphonePhone&) = delete;
  LinphonePhone& operator=(const LinphonePhone&) = delete;

  bool started() const { return process_ && process_->started(); }
  const std::string& extension() const { return ext_; }
  /// Sends one command line.
  bool command(const std::string& line);
  /// Waits until the output holds `text` `count` times; false at `timeout`.
  bool wait_output(const std::string& text, std::chrono::milliseconds timeout,
                   std::size_t count = 1) const;
  std::size_t count(const std::string& text) const;
  std::string output() const;

 private:
  std::string ext_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace cohort::testing
