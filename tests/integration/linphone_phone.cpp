#include "linphone_phone.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

namespace cohort::testing {

LinphonePhone::LinphonePhone(const std::string& work_dir, const std::string& ext,
                             std::uint16_t server_port, bool sip_info_dtmf)
    : ConsolePhone(ext, "quit") {
  const std::string dir = work_dir + "/linphone-" + ext;
  for (const std::string& d :
       {dir, dir + "/.local", dir + "/.local/share", dir + "/.local/share/linphone"}) {
    ::mkdir(d.c_str(), 0755);
  }
  // TCP and TLS off (0), one UDP port of its own; PCMU only; the account and its digest
  // credentials; no sound card is needed (linphonec runs without one).
  write_text(dir + "/linphonerc",
             fmt::format("[sip]\nsip_port={}\nsip_tcp_port=0\nsip_tls_port=0\ndefault_proxy=0\n{}"
                         "[proxy_0]\nreg_proxy=<sip:127.0.0.1:{}>\nreg_identity=sip:{}@127.0.0.1\n"
                         "reg_expires=300\nreg_sendregister=1\n"
                         "[auth_info_0]\nusername={}\nuserid={}\npasswd=demo-{}\nrealm=cohort\n"
                         "domain=127.0.0.1\nalgorithm=MD5\n"
                         "[audio_codec_0]\nmime=PCMU\nrate=8000\nenabled=1\n"
                         "[video]\nautomatically_initiate=0\nautomatically_accept=0\n",
                         free_port(), sip_info_dtmf ? "use_info=1\nuse_rfc2833=0\n" : "",
                         server_port, ext, ext, ext, ext));
  start({kLinphonecBinary, "-c", dir + "/linphonerc", "-a"}, dir);
}

}  // namespace cohort::testing
