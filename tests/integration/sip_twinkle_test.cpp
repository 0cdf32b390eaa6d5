// Hold and retrieve from twinkle (a third SIP stack, after baresip and linphonec): 1002
// calls 1003, which answers by itself; 1002 puts the call on hold (a re-INVITE with
// a=sendonly) and retrieves it (a=sendrecv), then 1003 does the same the other way. Each
// offer crosses the B2BUA as a re-INVITE of the other leg, each phone reports its re-INVITE
// successful, and the call stays up until the caller hangs up.

#include <string>
#include <string_view>
#include <vector>

#include "sip_call_fixture.hpp"
#include "twinkle_phone.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

/// The bodies of the INVITEs a phone received, in order, from twinkle's SIP log (entries
/// "+++ time … Received from: …" up to "---").
std::vector<std::string> invites_received(const TwinklePhone& phone) {
  std::vector<std::string> out;
  const std::string log = phone.sip_log();
  for (std::size_t at = log.find("Received from:"); at != std::string::npos;
       at = log.find("Received from:", at + 1)) {
    const std::size_t line = log.find('\n', at);
    const std::size_t end = log.find("\n---", at);
    if (line == std::string::npos || end == std::string::npos) {
      break;
    }
    const std::string entry = log.substr(line + 1, end - line - 1);
    if (entry.rfind("INVITE ", 0) == 0) {
      out.push_back(entry);
    }
  }
  return out;
}

/// Waits until `phone` has received `n` INVITEs; the last one ("" when fewer came).
std::string wait_invites(const TwinklePhone& phone, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::vector<std::string> seen = invites_received(phone);
  while (seen.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    seen = invites_received(phone);
  }
  return seen.size() >= n ? seen[n - 1] : std::string();
}

class SipTwinkleTest : public SipCallTest {
 protected:
  void SetUp() override {
    SipCallTest::SetUp();
    if (!executable(kTwinkleBinary)) {
      COHORT_REQUIRE_PEER(kTwinkleBinary, "twinkle-console");
    }
  }
  std::string uri(const std::string& ext) {
    return "sip:" + ext + "@127.0.0.1:" + std::to_string(udp_port());
  }
  /// `holder` holds, then retrieves; `held` receives re-INVITEs number `n` and `n`+1.
  void hold_and_retrieve(TwinklePhone& holder, const TwinklePhone& held, std::size_t n,
                         std::size_t done_before) {
    ASSERT_TRUE(holder.command("hold"));
    ASSERT_TRUE(holder.wait_output("re-INVITE successful", 10s, done_before + 1))
        << holder.output() << server_->log();
    const std::string on_hold = wait_invites(held, n);
    ASSERT_FALSE(on_hold.empty()) << held.sip_log();
    EXPECT_NE(on_hold.find("a=sendonly"), std::string::npos) << on_hold;
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(holder.command("retrieve"));
    ASSERT_TRUE(holder.wait_output("re-INVITE successful", 10s, done_before + 2))
        << holder.output() << server_->log();
    const std::string resumed = wait_invites(held, n + 1);
    ASSERT_FALSE(resumed.empty()) << held.sip_log();
    EXPECT_EQ(resumed.find("a=sendonly"), std::string::npos) << resumed;
    EXPECT_EQ(resumed.find("a=inactive"), std::string::npos) << resumed;
  }
};

TEST_F(SipTwinkleTest, HoldAndRetrieveAreRelayedEndToEndBothWays) {
  start_pbx();
  // One phone registered, and a second more, before the next starts: twinkle seeds rand()
  // with the second it reaches that point in, and on a loaded machine two phones started
  // in different seconds could still seed in the same one (their REGISTERs then share
  // Call-ID and tag: 482). Registered means seeded.
  TwinklePhone ben(dir_.path(), "1002", udp_port());
  ASSERT_TRUE(ben.started());
  ASSERT_TRUE(wait_bindings(ben.extension(), 1)) << ben.output() << server_->log();
  std::this_thread::sleep_for(1100ms);
  TwinklePhone chloe(dir_.path(), "1003", udp_port());
  ASSERT_TRUE(chloe.started());
  ASSERT_TRUE(wait_bindings(chloe.extension(), 1)) << chloe.output() << server_->log();
  ASSERT_TRUE(chloe.command("auto_answer -a on"));
  ASSERT_TRUE(chloe.wait_output("Auto answer enabled", 5s)) << chloe.output();
  ASSERT_TRUE(ben.command("call " + uri("1003")));
  ASSERT_TRUE(ben.wait_output("far end answered call", 10s)) << ben.output() << server_->log();
  ASSERT_TRUE(chloe.wait_output("call established", 10s)) << chloe.output();
  ASSERT_TRUE(wait_answered_calls(1)) << active_calls().dump(2);

  // Ben holds Chloe (her INVITEs: 1 the call, 2 hold, 3 retrieve), then Chloe holds Ben
  // (his: 1 hold, 2 retrieve; Ben made the call).
  hold_and_retrieve(ben, chloe, 2, 0);
  hold_and_retrieve(chloe, ben, 1, 0);
  EXPECT_EQ(ben.count("re-INVITE failed"), 0u) << ben.output();
  EXPECT_EQ(chloe.count("re-INVITE failed"), 0u) << chloe.output();

  const json calls = active_calls();
  ASSERT_EQ(calls.size(), 1u) << calls.dump(2);
  EXPECT_EQ(calls[0]["state"], "answered") << calls.dump(2);
  ASSERT_TRUE(ben.command("bye"));
  EXPECT_TRUE(chloe.wait_output("far end ended call", 10s)) << chloe.output();
  const json cdr = ended_where("callee_user", user_id("1003"));
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2) << server_->log();
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

}  // namespace
}  // namespace cohort::testing
