// Durable acknowledgements: the server is killed (SIGKILL) at random moments under SIPp load
// — REGISTERs of fresh contacts at 10/s and short authenticated calls at 8/s — 20 times, and
// after each restart every acknowledgement a SIPp received is checked against what the
// server kept: each contact whose REGISTER got 200 OK is still registered, each call whose
// INVITE got 200 OK has a record with its answer, and each call whose BYE got 200 OK has a
// record that ended as answered (not "interrupted").

#include <signal.h>

#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

/// The values after `marker` on each line of SIPp's <log> output that starts with it.
std::set<std::string> logged(const std::string& logs, const std::string& marker) {
  std::set<std::string> out;
  std::istringstream in(logs);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(marker, 0) == 0) {
      out.insert(line.substr(marker.size()));
    }
  }
  return out;
}

TEST_F(SipCallTest, EveryAcknowledgementSurvivesKillNine) {
  start_pbx();
  // The callee: a SIPp phone answering every call for 1002 throughout, across the restarts
  // (its own binding was acknowledged, so it survives them too).
  SippProcess phone_1002 = phone("1002", "uas_answer.xml", 100000, std::chrono::seconds(240));

  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> load_ms(800, 2500);
  SCOPED_TRACE("seed " + std::to_string(seed));

  const std::vector<std::string> registering = {"1003", "1004", "1005", "1006", "1007", "1008"};
  std::size_t acknowledged_registrations = 0, acknowledged_answers = 0, acknowledged_ends = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // At most 30 REGISTERs a round over 6 users: each user keeps its 10 latest contacts
    // (older rounds' contacts are evicted, this round's are not).
    std::vector<std::string> rows;
    for (int i = 0; i < 30; ++i) {
      const std::string& ext = registering[static_cast<std::size_t>(i) % registering.size()];
      rows.push_back(ext + ";" + demo_auth(ext) + ";r" + std::to_string(round) + "x" +
                     std::to_string(i) + ";");
    }
    SippOptions reg;
    reg.scenario = "durable_register.xml";
    reg.csv_rows = std::move(rows);
    reg.server_port = udp_port();
    reg.extra_args = {"-r", "10"};
    reg.timeout = std::chrono::seconds(30);
    SippProcess registrations_load = start_sipp(dir_.path(), reg);
    ASSERT_TRUE(registrations_load.started());

    std::vector<std::string> call_rows(40, call_row("1002", "1001"));
    SippOptions calls = caller_options(
        "durable_call_uac.xml", std::move(call_rows),
        "durable-" + std::to_string(round) + "-%u-" + random_token(6), {"-r", "8", "-d", "200"});
    calls.timeout = std::chrono::seconds(30);
    SippProcess calls_load = start_sipp(dir_.path(), calls);
    ASSERT_TRUE(calls_load.started());

    std::this_thread::sleep_for(std::chrono::milliseconds(load_ms(rng)));
    server_->kill();
    // What the SIPps were told before the crash (they only lose answers from here on).
    SippRun reg_run = stop_sipp(registrations_load);
    SippRun call_run = stop_sipp(calls_load);
    server_.reset();
    start(std::string());  // the same data dir: a restart after the crash

    const std::set<std::string> registered = logged(reg_run.logs, "registered ");
    const std::set<std::string> answered = logged(call_run.logs, "answered ");
    const std::set<std::string> ended = logged(call_run.logs, "ended ");
    acknowledged_registrations += registered.size();
    acknowledged_answers += answered.size();
    acknowledged_ends += ended.size();

    const std::string bindings = registrations().dump();
    for (const std::string& token : registered) {
      EXPECT_NE(bindings.find("-" + token + "@"), std::string::npos)
          << "REGISTER of contact " << token << " got 200 OK but was lost in the crash";
    }
    const json records = cdrs("?limit=1000");
    for (const std::string& call_id : answered) {
      json found;
      for (const json& c : records) {
        if (c.value("a_leg_call_id", "") == call_id) {
          found = c;
        }
      }
      ASSERT_TRUE(found.is_object()) << "call " << call_id << " got 200 OK but has no record";
      EXPECT_FALSE(found["answered_at"].is_null()) << found.dump(2);
      if (ended.count(call_id) != 0) {
        EXPECT_EQ(found.value("disposition", ""), "answered") << found.dump(2);
        EXPECT_EQ(found.value("hangup_cause", ""), "caller_bye") << found.dump(2);
      }
    }
  }
  stop_sipp(phone_1002);
  // The load did reach the server in every round, or the checks above proved nothing.
  EXPECT_GE(acknowledged_registrations, 100u);
  EXPECT_GE(acknowledged_answers, 100u);
  EXPECT_GE(acknowledged_ends, 50u);
  RecordProperty("acknowledged_registrations", static_cast<int>(acknowledged_registrations));
  RecordProperty("acknowledged_answers", static_cast<int>(acknowledged_answers));
  RecordProperty("acknowledged_ends", static_cast<int>(acknowledged_ends));
}

}  // namespace
}  // namespace cohort::testing
