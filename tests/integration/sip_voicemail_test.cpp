// Voicemail with a real phone (issue 13): baresip calls a group whose schedule holds it
// closed and which has no closed destination, so its voicemail answers. The phone hears the
// greeting and the beep (its dump of what it received has them), sends a 700 Hz tone as its
// message and hangs up; the message is then a file in the mailbox with that tone and a
// duration close to the time between the beep and the hang-up, its record inside it, and
// the call's record says `voicemail`.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "baresip_phone.hpp"
#include "linphone_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class SipVoicemailTest : public SipCallTest {
 protected:
  void SetUp() override {
    if (!executable(kBaresipBinary)) {
      COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
    }
  }
  /// "Shut Desk" (extension 2999), held closed by its schedule: its voicemail answers.
  std::int64_t closed_group() {
    const std::int64_t sched =
        id_of(post("/api/v1/schedules",
                   {{"name", "Always shut"}, {"timezone", "UTC"}, {"override", "closed"}}));
    return id_of(post("/api/v1/groups",
                      {{"name", "Shut Desk"}, {"extension", "2999"}, {"schedule", sched}}));
  }
  std::vector<fs::path> messages(std::int64_t group) {
    std::vector<fs::path> out;
    const fs::path box = fs::path(dir_.path()) / "voicemail" / ("group-" + std::to_string(group));
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(box, ec)) {
      out.push_back(e.path());
    }
    return out;
  }
};

/// The JSON of a message file's `cmsg` chunk ("" when it has none).
std::string record_chunk(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  const auto at = bytes.find("cmsg");
  if (at == std::string::npos || at + 8 > bytes.size()) {
    return {};
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at + 4);
  const std::size_t size = p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::size_t>(p[3]) << 24;
  return bytes.substr(at + 8, size);
}

TEST_F(SipVoicemailTest, AClosedGroupsVoicemailTakesAMessage) {
  start_pbx();
  const std::int64_t shut = closed_group();
  ASSERT_GT(shut, 0);

  constexpr double kMessageHz = 700;
  BaresipPhone ben(BaresipPhone::demo(dir_.path(), "1002", udp_port(), kMessageHz));
  ASSERT_TRUE(ben.started());
  ASSERT_TRUE(ben.connect()) << ben.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  auto dialled = ben.command("dial", "sip:2999@127.0.0.1:" + std::to_string(udp_port()));
  ASSERT_TRUE(dialled && dialled->value("ok", false)) << ben.events();
  auto up = ben.wait_event("CALL_ESTABLISHED", 10s);
  ASSERT_TRUE(up) << ben.events() << ben.output() << server_->log();
  const std::string call_id = up->value("id", "");
  // The greeting ("Thank you for calling. We are closed right now. Please leave a message
  // after the tone.") and the beep last about 6 s; then 3 s of message.
  std::this_thread::sleep_for(9s);
  auto hung = ben.command("hangup");
  ASSERT_TRUE(hung && hung->value("ok", false));
  ASSERT_TRUE(ben.wait_event("CALL_CLOSED", 10s)) << ben.events();

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_EQ(cdr["disposition"], "voicemail") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  EXPECT_EQ(cdr["fallback_reason"], "closed") << cdr.dump(2);

  // The message: written off the call's threads, so it may take a moment.
  std::vector<fs::path> found;
  for (int i = 0; i < 50 && found.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    found = messages(shut);
  }
  ASSERT_EQ(found.size(), 1u) << server_->log();
  WavStats w = analyse_wav(found.front().string());
  ASSERT_TRUE(w.ok) << w.describe();
  EXPECT_NEAR(w.frequency_hz, kMessageHz, kMessageHz * 0.15) << w.describe();
  const double seconds = static_cast<double>(w.samples) / w.sample_rate;
  EXPECT_GT(seconds, 1.5) << w.describe();
  EXPECT_LT(seconds, 5.0) << w.describe();
  const json record = json::parse(record_chunk(found.front()), nullptr, false);
  ASSERT_TRUE(record.is_object()) << found.front();
  EXPECT_EQ(record["box"], "group");
  EXPECT_EQ(record["box_id"], shut);
  EXPECT_EQ(record["caller"]["number"], "1002") << record.dump(2);
  EXPECT_EQ(record["call_id"], cdr["id"]) << record.dump(2);

  // What the phone heard: the greeting and the beep, seconds of sound.
  ben.stop();
  const auto heard = ben.dumps("-dec.wav");
  ASSERT_EQ(heard.size(), 1u) << ben.output();
  WavStats g = analyse_wav(heard.front());
  ASSERT_TRUE(g.ok) << g.describe();
  EXPECT_GT(g.loud_seconds, 3.0) << g.describe();
}

// '#' ends a message: baresip presses it as an RFC 4733 event, linphonec (use_info) as a
// SIP INFO. Either way the recording stops there, Cohort says goodbye and hangs up (the
// phone does not), and the message is as long as the time between the beep and the key.
TEST_F(SipVoicemailTest, PoundEndsTheMessageFromBaresipAsAnRfc4733Event) {
  start_pbx();
  const std::int64_t shut = closed_group();
  BaresipPhone ben(BaresipPhone::demo(dir_.path(), "1002", udp_port(), 700));
  ASSERT_TRUE(ben.started() && ben.connect()) << ben.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  auto dialled = ben.command("dial", "sip:2999@127.0.0.1:" + std::to_string(udp_port()));
  ASSERT_TRUE(dialled && dialled->value("ok", false)) << ben.events();
  auto up = ben.wait_event("CALL_ESTABLISHED", 10s);
  ASSERT_TRUE(up) << ben.events() << server_->log();
  const std::string call_id = up->value("id", "");
  std::this_thread::sleep_for(9s);  // ~6 s of greeting and beep, then ~3 s of message
  auto pressed = ben.command("sndcode", "#");
  ASSERT_TRUE(pressed && pressed->value("ok", false)) << ben.events();
  // Cohort hangs up after "Goodbye." (~1 s): the phone never does in this test.
  ASSERT_TRUE(ben.wait_event("CALL_CLOSED", 10s)) << ben.events() << server_->log();
  const json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_EQ(cdr["disposition"], "voicemail") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "voicemail_done") << cdr.dump(2);
  EXPECT_EQ(server_->log().find("event=info_dtmf"), std::string::npos) << "an RTP event, not INFO";
  std::vector<fs::path> found;
  for (int i = 0; i < 50 && found.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    found = messages(shut);
  }
  ASSERT_EQ(found.size(), 1u) << server_->log();
  const WavStats w = analyse_wav(found.front().string());
  const double seconds = static_cast<double>(w.samples) / w.sample_rate;
  EXPECT_GT(seconds, 1.5) << w.describe();
  EXPECT_LT(seconds, 5.0) << w.describe();
  EXPECT_NEAR(w.frequency_hz, 700, 700 * 0.15) << w.describe();
}

TEST_F(SipVoicemailTest, PoundEndsTheMessageFromLinphonecAsASipInfo) {
  if (!executable(kLinphonecBinary)) {
    COHORT_REQUIRE_PEER(kLinphonecBinary, "linphone-cli");
  }
  start_pbx();
  const std::int64_t shut = closed_group();
  ASSERT_GT(shut, 0);
  LinphonePhone ben(dir_.path(), "1002", udp_port(), /*sip_info_dtmf=*/true);
  ASSERT_TRUE(ben.started());
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  ASSERT_TRUE(ben.command("call sip:2999@127.0.0.1:" + std::to_string(udp_port())));
  ASSERT_TRUE(ben.wait_output("Media streams established with", 10s))
      << ben.output() << server_->log();
  std::this_thread::sleep_for(9s);
  ASSERT_TRUE(ben.command("#"));  // a line of keys is sent as DTMF
  const json cdr = ended_where("hangup_cause", "voicemail_done");
  ASSERT_TRUE(cdr.is_object()) << ben.output() << server_->log();
  EXPECT_EQ(cdr["disposition"], "voicemail") << cdr.dump(2);
  // Without the key the call would go on to the maximum length (180 s): linphonec does not
  // hang up, and ended_where waits 5 s. The key came as a SIP INFO, not an RTP event.
  EXPECT_NE(server_->log().find("event=info_dtmf"), std::string::npos) << server_->log();
}

/// The 16-bit PCM of a WAV's first channel and its rate (empty when it is not one).
std::pair<std::vector<std::int16_t>, int> read_pcm16(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string f{std::istreambuf_iterator<char>(in), {}};
  const auto u = [&](std::size_t at, int n) {
    std::uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
      v = v << 8 | static_cast<unsigned char>(f[at + static_cast<std::size_t>(i)]);
    }
    return v;
  };
  int rate = 0, channels = 1;
  for (std::size_t at = 12; at + 8 <= f.size();) {
    const std::uint32_t size = u(at + 4, 4);
    if (f.compare(at, 4, "fmt ") == 0) {
      channels = static_cast<int>(u(at + 10, 2));
      rate = static_cast<int>(u(at + 12, 4));
    } else if (f.compare(at, 4, "data") == 0 && rate > 0) {
      std::vector<std::int16_t> pcm;
      const std::size_t end = std::min<std::size_t>(f.size(), at + 8 + size);
      for (std::size_t i = at + 8; i + 2 * channels <= end;
           i += 2 * static_cast<std::size_t>(channels)) {
        pcm.push_back(static_cast<std::int16_t>(u(i, 2)));
      }
      return {pcm, rate};
    }
    at += 8 + size + (size % 2);
  }
  return {{}, 0};
}

/// sox's "Rough frequency" of `seconds` of `path` from `start`.
double sox_frequency(const std::string& path, double start, double seconds) {
  const std::string cmd = "sox '" + path + "' -n trim " + std::to_string(start) + " " +
                          std::to_string(seconds) + " stat 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return 0;
  }
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    out += buf;
  }
  ::pclose(p);
  const auto at = out.find("Rough   frequency:");
  return at == std::string::npos ? 0 : std::atof(out.c_str() + at + 18);
}

TEST_F(SipVoicemailTest, AnUploadedGreetingIsWhatTheCallerHearsBeforeTheBeep) {
  start_pbx();
  const std::int64_t sched = id_of(post(
      "/api/v1/schedules", {{"name", "Always shut"}, {"timezone", "UTC"}, {"override", "closed"}}));
  const std::int64_t shut = id_of(
      post("/api/v1/groups", {{"name", "Tone Desk"}, {"extension", "2998"}, {"schedule", sched}}));
  ASSERT_GT(shut, 0);

  // The greeting: 3 s of 600 Hz made by sox at 44.1 kHz stereo (converted on upload).
  constexpr double kGreetingHz = 600, kGreetingS = 3.0;
  const std::string tone = (fs::path(dir_.path()) / "greeting-600.wav").string();
  ASSERT_EQ(
      std::system(("sox -n -r 44100 -c 2 -b 16 '" + tone + "' synth 3 sine 600 vol 0.5").c_str()),
      0);
  std::ifstream in(tone, std::ios::binary);
  const std::string wav{std::istreambuf_iterator<char>(in), {}};
  const std::string put =
      "PUT /api/v1/groups/" + std::to_string(shut) +
      "/greeting HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      "Authorization: Bearer " +
      std::string(kAdminToken) +
      "\r\nContent-Type: audio/wav\r\nContent-Length: " + std::to_string(wav.size()) + "\r\n\r\n" +
      wav;
  const std::string answer = http_raw(server_->port(), put);
  ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;

  BaresipPhone ben(BaresipPhone::demo(dir_.path(), "1002", udp_port(), 440));
  ASSERT_TRUE(ben.started());
  ASSERT_TRUE(ben.connect()) << ben.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  auto dialled = ben.command("dial", "sip:2998@127.0.0.1:" + std::to_string(udp_port()));
  ASSERT_TRUE(dialled && dialled->value("ok", false)) << ben.events();
  ASSERT_TRUE(ben.wait_event("CALL_ESTABLISHED", 10s)) << ben.events() << server_->log();
  std::this_thread::sleep_for(5s);  // the greeting, the beep, a moment of message
  auto hung = ben.command("hangup");
  ASSERT_TRUE(hung && hung->value("ok", false));
  ASSERT_TRUE(ben.wait_event("CALL_CLOSED", 10s)) << ben.events();
  ben.stop();

  const auto heard = ben.dumps("-dec.wav");
  ASSERT_EQ(heard.size(), 1u) << ben.output();
  const auto [pcm, rate] = read_pcm16(heard.front());
  ASSERT_GT(rate, 0) << heard.front();
  // 20 ms blocks: where sound starts, how long the 600 Hz lasts, and that the beep (1 kHz)
  // follows it.
  const std::size_t block = static_cast<std::size_t>(rate) / 50;
  const auto block_hz = [&](std::size_t b, double& level) {
    double e = 0;
    std::size_t crossings = 0;
    for (std::size_t i = b * block; i < (b + 1) * block; ++i) {
      e += static_cast<double>(pcm[i]) * pcm[i];
      if (i > b * block && (pcm[i - 1] < 0) != (pcm[i] < 0)) {
        ++crossings;
      }
    }
    level = std::sqrt(e / static_cast<double>(block));
    return crossings / 2.0 * 50;
  };
  const std::size_t blocks = pcm.size() / block;
  std::size_t first = blocks, tone_blocks = 0, after = blocks;
  for (std::size_t b = 0; b < blocks; ++b) {
    double level = 0;
    const double hz = block_hz(b, level);
    if (first == blocks) {
      if (level > 1000) {
        first = b;
      } else {
        continue;
      }
    }
    if (level > 1000 && std::abs(hz - kGreetingHz) < 100) {
      ++tone_blocks;
    } else {
      after = b;
      break;
    }
  }
  ASSERT_LT(first, blocks) << "the phone heard nothing";
  const double tone_s = tone_blocks / 50.0;
  EXPECT_NEAR(tone_s, kGreetingS, 0.3) << "600 Hz for " << tone_s << " s";
  // Then the beep: about 1 kHz within the next half second.
  bool beep = false;
  for (std::size_t b = after; b < std::min(blocks, after + 25); ++b) {
    double level = 0;
    const double hz = block_hz(b, level);
    beep = beep || (level > 1000 && std::abs(hz - 1000) < 100);
  }
  EXPECT_TRUE(beep) << "no beep after the greeting";
  // sox agrees on the greeting's tone.
  const double start_s = static_cast<double>(first) / 50 + 0.2;
  EXPECT_NEAR(sox_frequency(heard.front(), start_s, tone_s - 0.4), kGreetingHz, kGreetingHz * 0.1);
}

}  // namespace
}  // namespace cohort::testing
