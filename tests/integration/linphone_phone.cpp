#include "linphone_phone.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <thread>

#include <fmt/format.h>

namespace cohort::testing {

LinphonePhone::LinphonePhone(const std::string& work_dir, const std::string& ext,
                             std::uint16_t server_port)
    : ext_(ext) {
  const std::string dir = work_dir + "/linphone-" + ext;
  for (const std::string& d :
       {dir, dir + "/.local", dir + "/.local/share", dir + "/.local/share/linphone"}) {
    ::mkdir(d.c_str(), 0755);
  }
  // TCP and TLS off (0), one UDP port of its own; PCMU only; the account and its digest
  // credentials; no sound card is needed (linphonec runs without one).
  write_text(dir + "/linphonerc",
             fmt::format("[sip]\nsip_port={}\nsip_tcp_port=0\nsip_tls_port=0\ndefault_proxy=0\n"
                         "[proxy_0]\nreg_proxy=<sip:127.0.0.1:{}>\nreg_identity=sip:{}@127.0.0.1\n"
                         "reg_expires=300\nreg_sendregister=1\n"
                         "[auth_info_0]\nusername={}\nuserid={}\npasswd=demo-{}\nrealm=cohort\n"
                         "domain=127.0.0.1\nalgorithm=MD5\n"
                         "[audio_codec_0]\nmime=PCMU\nrate=8000\nenabled=1\n"
                         "[video]\nautomatically_initiate=0\nautomatically_accept=0\n",
                         free_port(), server_port, ext, ext, ext, ext));
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kLinphonecBinary, "-c", dir + "/linphonerc", "-a"},
      dir + "/output.log", std::vector<std::pair<std::string, std::string>>{{"HOME", dir}},
      /*stdin_pipe=*/true);
}

LinphonePhone::~LinphonePhone() {
  // Stopped by its pid: "quit" first (it un-registers), SIGTERM, then SIGKILL.
  if (started()) {
    command("quit");
    if (process_->wait(std::chrono::seconds(5)) < 0) {
      process_->signal(SIGTERM);
      process_->wait_or_kill(std::chrono::seconds(3));
    }
  }
}

bool LinphonePhone::command(const std::string& line) {
  return process_ && process_->write_stdin(line + "\n");
}

std::string LinphonePhone::output() const {
  return process_ ? process_->output() : "";
}

std::size_t LinphonePhone::count(const std::string& text) const {
  const std::string out = output();
  std::size_t n = 0;
  for (auto at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) {
    ++n;
  }
  return n;
}

bool LinphonePhone::wait_output(const std::string& text, std::chrono::milliseconds timeout,
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
