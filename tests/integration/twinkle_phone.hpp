#pragma once
// twinkle-console 1.10 (Debian's twinkle-console) as a third real phone, a SIP stack of its
// own: one instance per extension with its own HOME (~/.twinkle holds the system settings,
// the user profile and the SIP log), registered with the server, driven by commands on its
// stdin ("call", "hold", "retrieve", "bye", "auto_answer -a on") and read through its output.
// Pitfalls:
// - twinkle seeds rand() with the time in seconds, so two instances started in the same
//   second make the same Call-IDs, tags and branches (the server rightly answers the second
//   REGISTER 482 as a merged request): instances are started in different seconds.
// - without a sound card twinkle refuses to start: ALSA's null device stands in for it
//   (~/.asoundrc), and audio validation is off.

#include <cstdint>
#include <string>

#include "console_phone.hpp"

namespace cohort::testing {

inline constexpr const char* kTwinkleBinary = "/usr/bin/twinkle-console";

class TwinklePhone : public ConsolePhone {
 public:
  /// Starts twinkle-console for demo extension `ext` (password "demo-EXT") against the
  /// server on 127.0.0.1:`server_port`, its files under `work_dir`/twinkle-EXT.
  TwinklePhone(const std::string& work_dir, const std::string& ext, std::uint16_t server_port);
  /// The SIP messages twinkle sent and received, as its log has them.
  std::string sip_log() const;

 private:
  std::string home_;
};

}  // namespace cohort::testing
