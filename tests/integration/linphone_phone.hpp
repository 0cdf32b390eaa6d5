#pragma once
// linphonec 5.1 (Debian's linphone-cli) as a second real phone, a SIP stack independent of
// baresip's: one instance per extension, its own HOME and config, registered with the
// server, driven by commands on its stdin ("call", "transfer", "pause", "resume",
// "terminate") and read through its output (text lines), auto-answering (-a). TESTING.md
// "linphone pitfalls": the auth_info section needs userid, domain and algorithm to be used
// (without them linphonec asks for the password on stdin and never answers an INVITE's
// challenge).

#include <cstdint>
#include <string>

#include "console_phone.hpp"

namespace cohort::testing {

inline constexpr const char* kLinphonecBinary = "/usr/bin/linphonec";

class LinphonePhone : public ConsolePhone {
 public:
  /// Starts linphonec for demo extension `ext` (password "demo-EXT") against the server on
  /// 127.0.0.1:`server_port`, its files under `work_dir`/linphone-EXT. `sip_info_dtmf`: keys
  /// typed in a call go as SIP INFO (`use_info`), not RFC 4733 events.
  LinphonePhone(const std::string& work_dir, const std::string& ext, std::uint16_t server_port,
                bool sip_info_dtmf = false);
};

}  // namespace cohort::testing
