// Two real phones (baresip) calling each other through the B2BUA: both register, 1002
// dials 1003, which answers by itself; audio flows both ways (a different tone from each
// side, checked in what the other side recorded); the first call is hung up by the caller,
// the second by the callee, and the CDRs say so.

#include <string>

#include "baresip_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

class SipPhoneCallTest : public SipCallTest {
 protected:
  void SetUp() override {
    if (!executable(kBaresipBinary)) {
      COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
    }
  }

  BaresipPhone::Options phone_options(const std::string& ext, double tone_hz) {
    return BaresipPhone::demo(dir_.path(), ext, udp_port(), tone_hz);
  }

  /// One call from `caller` to `callee`, established on both sides, with audio for
  /// `talk`, then hung up by `hangs_up`. The caller's Call-ID (from its events).
  std::string talk(BaresipPhone& caller, BaresipPhone& callee, BaresipPhone& hangs_up,
                   std::chrono::milliseconds talk_time) {
    auto dialled = caller.command(
        "dial", "sip:" + callee.extension() + "@127.0.0.1:" + std::to_string(udp_port()));
    EXPECT_TRUE(dialled && dialled->value("ok", false))
        << (dialled ? dialled->dump() : "no response") << caller.events();
    auto up_caller = caller.wait_event("CALL_ESTABLISHED", 10s);
    auto up_callee = callee.wait_event("CALL_ESTABLISHED", 10s);
    EXPECT_TRUE(up_caller) << caller.events() << caller.output() << server_->log();
    EXPECT_TRUE(up_callee) << callee.events() << callee.output() << server_->log();
    if (!up_caller || !up_callee) {
      return {};
    }
    EXPECT_EQ(up_caller->value("direction", ""), "outgoing") << up_caller->dump();
    EXPECT_EQ(up_callee->value("direction", ""), "incoming") << up_callee->dump();
    EXPECT_TRUE(wait_answered_calls(1)) << active_calls().dump(2);
    std::this_thread::sleep_for(talk_time);
    auto hung = hangs_up.command("hangup");
    EXPECT_TRUE(hung && hung->value("ok", false)) << (hung ? hung->dump() : "no response");
    auto closed_caller = caller.wait_event("CALL_CLOSED", 10s);
    auto closed_callee = callee.wait_event("CALL_CLOSED", 10s);
    EXPECT_TRUE(closed_caller) << caller.events();
    EXPECT_TRUE(closed_callee) << callee.events();
    return up_caller->value("id", "");
  }
};

/// The rough frequency a dump must show: the other side's tone, within 15 %.
void expect_tone(const std::string& path, double hz) {
  WavStats w = analyse_wav(path);
  ASSERT_TRUE(w.ok) << path;
  EXPECT_GE(w.loud_seconds, 0.5) << path << " " << w.describe();
  EXPECT_NEAR(w.frequency_hz, hz, hz * 0.15) << path << " " << w.describe();
}

TEST_F(SipPhoneCallTest, BaresipPhonesTalkAndEitherSideHangsUp) {
  start_pbx();
  constexpr double kBenHz = 440, kChloeHz = 1000;
  BaresipPhone ben(phone_options("1002", kBenHz));
  BaresipPhone chloe(phone_options("1003", kChloeHz));
  ASSERT_TRUE(ben.started() && chloe.started());
  ASSERT_TRUE(ben.connect()) << ben.output();
  ASSERT_TRUE(chloe.connect()) << chloe.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  ASSERT_TRUE(wait_bindings("1003", 1)) << chloe.output() << server_->log();

  const std::string first = talk(ben, chloe, ben, 1500ms);
  ASSERT_FALSE(first.empty());
  // Dump files are named by the second: the next call starts in another one.
  std::this_thread::sleep_for(1100ms);
  const std::string second = talk(ben, chloe, chloe, 1000ms);
  ASSERT_FALSE(second.empty());

  json a = ended_cdr(first);
  json b = ended_cdr(second);
  ASSERT_TRUE(a.is_object() && b.is_object());
  for (const json* c : {&a, &b}) {
    EXPECT_EQ((*c)["disposition"], "answered") << c->dump(2);
    EXPECT_EQ((*c)["direction"], "internal") << c->dump(2);
    EXPECT_EQ((*c)["caller_user"], user_id("1002")) << c->dump(2);
    EXPECT_EQ((*c)["callee_user"], user_id("1003")) << c->dump(2);
    EXPECT_EQ((*c)["dialled"], "1003") << c->dump(2);
    EXPECT_FALSE((*c)["answered_at"].is_null()) << c->dump(2);
  }
  EXPECT_EQ(a["hangup_cause"], "caller_bye") << a.dump(2);
  EXPECT_EQ(b["hangup_cause"], "callee_bye") << b.dump(2);
  EXPECT_EQ(calls_total("answered"), 2.0) << metrics_text();
  EXPECT_EQ(metric("cohort_calls_active"), 0.0);

  // Audio went through both ways, in both calls: each side recorded the other's tone.
  ben.stop();
  chloe.stop();
  const auto ben_heard = ben.dumps("-dec.wav");
  const auto chloe_heard = chloe.dumps("-dec.wav");
  ASSERT_EQ(ben_heard.size(), 2u) << ben.output();
  ASSERT_EQ(chloe_heard.size(), 2u) << chloe.output();
  for (const std::string& f : ben_heard) {
    expect_tone(f, kChloeHz);
  }
  for (const std::string& f : chloe_heard) {
    expect_tone(f, kBenHz);
  }
}

}  // namespace
TEST_F(SipPhoneCallTest, HoldAndResumeAreRelayedEndToEnd) {
  // baresip's hold is a re-INVITE with a=sendonly, its resume another with a=sendrecv: both
  // cross the B2BUA as re-INVITEs of the other leg (the held phone sees each offer), and
  // the call stays up through both.
  start_pbx();
  BaresipPhone ben(phone_options("1002", 440));
  BaresipPhone chloe(phone_options("1003", 1000));
  ASSERT_TRUE(ben.started() && chloe.started());
  ASSERT_TRUE(ben.connect()) << ben.output();
  ASSERT_TRUE(chloe.connect()) << chloe.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  ASSERT_TRUE(wait_bindings("1003", 1)) << chloe.output() << server_->log();
  auto dialled = ben.command("dial", "sip:1003@127.0.0.1:" + std::to_string(udp_port()));
  ASSERT_TRUE(dialled && dialled->value("ok", false)) << ben.events();
  ASSERT_TRUE(ben.wait_event("CALL_ESTABLISHED", 10s)) << ben.events() << server_->log();
  ASSERT_TRUE(chloe.wait_event("CALL_ESTABLISHED", 10s)) << chloe.events();
  std::this_thread::sleep_for(700ms);
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  };
  auto wait_offers = [&](std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (count(chloe.output(), "got re-INVITE (SDP Offer)") < n &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    return count(chloe.output(), "got re-INVITE (SDP Offer)");
  };
  auto held = ben.command("hold");
  ASSERT_TRUE(held && held->value("ok", false)) << (held ? held->dump() : "none") << ben.events();
  EXPECT_EQ(wait_offers(1), 1u) << chloe.output() << server_->log();
  std::this_thread::sleep_for(500ms);
  auto resumed = ben.command("resume");
  ASSERT_TRUE(resumed && resumed->value("ok", false))
      << (resumed ? resumed->dump() : "none") << ben.events();
  EXPECT_EQ(wait_offers(2), 2u) << chloe.output() << server_->log();
  std::this_thread::sleep_for(500ms);
  const json calls = active_calls();
  ASSERT_EQ(calls.size(), 1u) << calls.dump(2);
  EXPECT_EQ(calls[0]["state"], "answered") << calls.dump(2);
  auto hung = ben.command("hangup");
  EXPECT_TRUE(hung && hung->value("ok", false));
  EXPECT_TRUE(ben.wait_event("CALL_CLOSED", 10s)) << ben.events();
  EXPECT_TRUE(chloe.wait_event("CALL_CLOSED", 10s)) << chloe.events();
  EXPECT_EQ(ben.output().find("re-INVITE failed"), std::string::npos) << ben.output();
}

}  // namespace cohort::testing
