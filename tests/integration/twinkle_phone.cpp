#include "twinkle_phone.hpp"

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

namespace cohort::testing {
namespace {

/// Waits, when needed, until the wall-clock second differs from the last start's (see the
/// header: twinkle seeds its random numbers with it).
void new_second() {
  static std::int64_t last = -1;
  auto second = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  while (second() == last) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  last = second();
}

}  // namespace

TwinklePhone::TwinklePhone(const std::string& work_dir, const std::string& ext,
                           std::uint16_t server_port)
    : ConsolePhone(ext, "quit"), home_(work_dir + "/twinkle-" + ext) {
  for (const std::string& d : {home_, home_ + "/.twinkle"}) {
    ::mkdir(d.c_str(), 0755);
  }
  write_text(home_ + "/.asoundrc", "pcm.!default { type null }\n");
  // One UDP port of its own (and RTP ports above it), no sound card, no ring tones.
  const std::uint16_t sip_port = free_port();
  write_text(home_ + "/.twinkle/twinkle.sys",
             fmt::format("dev_ringtone=alsa:default\ndev_speaker=alsa:default\n"
                         "dev_mic=alsa:default\nvalidate_audio_dev=no\nsip_port={}\n"
                         "rtp_port={}\nplay_ringtone=no\nplay_ringback=no\nlog_show_sip=yes\n",
                         sip_port, free_port()));
  // The account: registered with Cohort, which is also where every request goes; hold is a
  // re-INVITE with a=sendonly (RFC 3264 §8.4); PCMU only.
  write_text(home_ + "/.twinkle/" + ext + ".cfg",
             fmt::format("user_name={0}\nuser_domain=127.0.0.1\nuser_display=Ext {0}\n"
                         "auth_realm=\nauth_name={0}\nauth_pass=demo-{0}\n"
                         "registrar=127.0.0.1:{1}\nregister_at_startup=yes\n"
                         "outbound_proxy=127.0.0.1:{1}\nall_requests_to_proxy=yes\n"
                         "hold_variant=rfc3264\ncodecs=g711u\n",
                         ext, server_port));
  new_second();
  start({kTwinkleBinary, ext + ".cfg"}, home_);
}

std::string TwinklePhone::sip_log() const {
  return read_text(home_ + "/.twinkle/twinkle.log");
}

}  // namespace cohort::testing
