// Voicemail with a real phone (issue 13): baresip calls a group whose schedule holds it
// closed and which has no closed destination, so its voicemail answers. The phone hears the
// greeting and the beep (its dump of what it received has them), sends a 700 Hz tone as its
// message and hangs up; the message is then a file in the mailbox with that tone and a
// duration close to the time between the beep and the hang-up, its record inside it, and
// the call's record says `voicemail`.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "baresip_phone.hpp"
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
  const std::int64_t sched = id_of(post(
      "/api/v1/schedules", {{"name", "Always shut"}, {"timezone", "UTC"}, {"override", "closed"}}));
  const std::int64_t shut = id_of(
      post("/api/v1/groups", {{"name", "Shut Desk"}, {"extension", "2999"}, {"schedule", sched}}));
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

}  // namespace
}  // namespace cohort::testing
