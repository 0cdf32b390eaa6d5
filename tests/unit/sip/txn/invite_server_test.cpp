// RFC 3261 §17.2.1 INVITE server transaction (Figure 7).

#include <gtest/gtest.h>

#include "sip/txn/server.hpp"
#include "txn_test_util.hpp"

namespace cohort::sip::txn::test {
namespace {

using H = Harness<InviteServer>;

Req ack_for(Req r) {
  r.method = sip::Method::kAck;
  r.to_tag = "tt1";
  return r;
}

struct Fixture {
  Req r;
  sip::Message invite = request(r);
  std::string invite_again = request_bytes(r);
  std::string ack = request_bytes(ack_for(r));
  std::string resp(int status) { return response_bytes(invite, status); }
  H make(bool reliable, TimerConfig config = {}) {
    return H{InviteServer(invite, reliable, config)};
  }
};

TEST(InviteServer, StartDeliversAndArmsTheTryingTimer) {
  Fixture f;
  H h = f.make(false);
  EXPECT_EQ(h.start(), "deliver:req Trying=200");
  EXPECT_EQ(h.machine().state(), State::kProceeding);
  EXPECT_EQ(h.fire(TimerName::kTrying), "send:100");
  EXPECT_EQ(h.elapsed().count(), 200);
  const sip::Message trying = parse_ok(sent(h.last()).at(0));
  EXPECT_EQ(trying.status(), 100);
  EXPECT_EQ(trying.to_tag(), "") << "§8.2.6.2: no tag on a 100";
  EXPECT_EQ(trying.call_id(), f.invite.call_id());
  EXPECT_EQ(trying.cseq(), f.invite.cseq());
  EXPECT_EQ(trying.cseq_method(), sip::Method::kInvite);
  EXPECT_EQ(trying.header_values(sip::HeaderId::kVia), f.invite.header_values(sip::HeaderId::kVia));
  EXPECT_EQ(h.machine().last_response(), sent(h.last()).at(0));
}

TEST(InviteServer, TryingCopiesTimestampAndUsesTheStampedVia) {
  Req r;
  r.timestamp = "54.2";
  const sip::Message invite = request(r);
  const std::string stamped =
      "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK-client-1;received=192.0.2.7";
  H h{InviteServer(invite, false, TimerConfig{.auto_trying = Duration{0}}, stamped)};
  EXPECT_EQ(h.start(), "deliver:req send:100");
  const sip::Message trying = parse_ok(sent(h.last()).at(0));
  EXPECT_EQ(trying.header_values(sip::HeaderId::kTimestamp), std::vector<std::string_view>{"54.2"});
  EXPECT_EQ(trying.top_via(), stamped);
}

TEST(InviteServer, AutoTryingCanBeOff) {
  Fixture f;
  H h = f.make(false, TimerConfig{.auto_trying = std::nullopt});
  EXPECT_EQ(h.start(), "deliver:req");
  EXPECT_EQ(h.receive(f.invite_again), "") << "nothing to re-send yet";
}

TEST(InviteServer, TuProvisionalCancelsTheTryingTimer) {
  Fixture f;
  H h = f.make(false);
  h.start();
  const std::uint32_t trying = h.timer(TimerName::kTrying).generation;
  EXPECT_EQ(h.respond(180, f.resp(180)), "cancel:Trying send:180");
  EXPECT_EQ(h.fire_stale(TimerName::kTrying, trying), "") << "stale: no 100 after a 180";
  EXPECT_EQ(h.respond(183, f.resp(183)), "send:183");
}

TEST(InviteServer, RetransmittedInviteResendsTheLastProvisional) {
  Fixture f;
  H h = f.make(false);
  h.start();
  EXPECT_EQ(h.receive(f.invite_again), "") << "absorbed: nothing sent yet";
  h.fire(TimerName::kTrying);
  EXPECT_EQ(h.receive(f.invite_again), "send:100");
  const std::string ringing = f.resp(180);
  h.respond(180, ringing);
  EXPECT_EQ(h.receive(f.invite_again), "send:180");
  EXPECT_EQ(sent(h.last()).at(0), ringing);
  EXPECT_EQ(h.machine().state(), State::kProceeding);
}

TEST(InviteServer, TwoXxMovesToAcceptedWhichAbsorbsRetransmittedInvites) {
  Fixture f;
  H h = f.make(false);
  h.start();
  h.respond(180, f.resp(180));
  // RFC 6026 §7.1: the 2xx is sent and the transaction waits in Accepted for Timer L
  // (64·T1): a retransmitted INVITE is absorbed (not taken for a new request, not answered
  // with the 180), the TU's 2xx retransmissions go out through it, a matching ACK goes to
  // the TU, other responses are dropped.
  EXPECT_EQ(h.respond(200, f.resp(200)), "send:200 L=32000");
  EXPECT_EQ(h.machine().state(), State::kAccepted);
  EXPECT_EQ(h.receive(f.invite_again), "");
  EXPECT_EQ(h.receive(f.invite_again), "");
  EXPECT_EQ(h.respond(200, f.resp(200)), "send:200");
  EXPECT_EQ(h.respond(486, f.resp(486)), "");
  EXPECT_EQ(h.receive(f.ack), "deliver:req");
  EXPECT_EQ(h.machine().state(), State::kAccepted);
  EXPECT_EQ(h.fire(TimerName::kL), "terminated");
  EXPECT_EQ(h.receive(f.invite_again), "");
  EXPECT_EQ(h.respond(200, f.resp(200)), "");
}

TEST(InviteServer, TwoXxBeforeTheTryingTimer) {
  Fixture f;
  H h = f.make(true);
  h.start();
  EXPECT_EQ(h.respond(200, f.resp(200)), "cancel:Trying send:200 L=32000");
}

TEST(InviteServer, TimerGDoublesUpToT2UntilTimerH) {
  Fixture f;
  H h = f.make(false);
  h.start();
  const std::string busy = f.resp(486);
  EXPECT_EQ(h.respond(486, busy), "cancel:Trying send:486 G=500 H=32000");
  EXPECT_EQ(h.machine().state(), State::kCompleted);
  const std::vector<int> next = {1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000, 4000};
  const std::vector<int> at = {500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
  for (std::size_t i = 0; i < next.size(); ++i) {
    EXPECT_EQ(h.fire(TimerName::kG), "send:486 G=" + std::to_string(next[i])) << i;
    EXPECT_EQ(h.elapsed().count(), at[i]) << i;
    EXPECT_EQ(sent(h.last()).at(0), busy);
  }
  EXPECT_EQ(h.fire(TimerName::kH), "timeout terminated");
  EXPECT_EQ(h.elapsed().count(), 32000);
}

struct Step {
  const char* event;  // "INVITE", "ACK", a TU status "tu:486", a timer, "transport"
  const char* actions;
  State after;
};
struct Scenario {
  const char* name;
  bool reliable;
  std::vector<Step> steps;
};

class InviteServerScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(InviteServerScenario, Runs) {
  const Scenario& s = GetParam();
  Fixture f;
  H h = f.make(s.reliable);
  EXPECT_EQ(h.start(), "deliver:req Trying=200");
  for (const Step& step : s.steps) {
    const std::string what = step.event;
    std::string got;
    if (what == "INVITE") {
      got = h.receive(f.invite_again);
    } else if (what == "ACK") {
      got = h.receive(f.ack);
    } else if (what.starts_with("tu:")) {
      const int status = std::stoi(what.substr(3));
      // Out-of-range statuses are TU bugs; MessageBuilder cannot even build them.
      got = h.respond(status, status >= 100 && status <= 699 ? f.resp(status) : "bogus");
    } else if (what == "Trying") {
      got = h.fire(TimerName::kTrying);
    } else if (what == "G") {
      got = h.fire(TimerName::kG);
    } else if (what == "H") {
      got = h.fire(TimerName::kH);
    } else if (what == "I") {
      got = h.fire(TimerName::kI);
    } else if (what == "transport") {
      got = h.on(TransportFailed{});
    }
    EXPECT_EQ(got, step.actions) << s.name << " at " << what;
    EXPECT_EQ(h.machine().state(), step.after) << s.name << " at " << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Figure7, InviteServerScenario,
    ::testing::Values(
        Scenario{"proceeding_final_ack_confirmed_i",
                 false,
                 {{"Trying", "send:100", State::kProceeding},
                  {"ACK", "", State::kProceeding},
                  {"tu:180", "send:180", State::kProceeding},
                  {"tu:404", "send:404 G=500 H=32000", State::kCompleted},
                  {"INVITE", "send:404", State::kCompleted},
                  {"G", "send:404 G=1000", State::kCompleted},
                  {"tu:500", "", State::kCompleted},
                  {"tu:200", "", State::kCompleted},
                  {"ACK", "cancel:G cancel:H I=5000", State::kConfirmed},
                  {"ACK", "", State::kConfirmed},
                  {"INVITE", "", State::kConfirmed},
                  {"I", "terminated", State::kTerminated},
                  {"ACK", "", State::kTerminated}}},
        Scenario{"reliable_no_g_and_i_is_zero",
                 true,
                 {{"tu:603", "cancel:Trying send:603 H=32000", State::kCompleted},
                  {"INVITE", "send:603", State::kCompleted},
                  {"ACK", "cancel:H terminated", State::kTerminated}}},
        Scenario{"reliable_h_times_out",
                 true,
                 {{"tu:486", "cancel:Trying send:486 H=32000", State::kCompleted},
                  {"H", "timeout terminated", State::kTerminated}}},
        Scenario{"proceeding_2xx",
                 false,
                 {{"tu:183", "cancel:Trying send:183", State::kProceeding},
                  {"tu:200", "send:200 L=32000", State::kAccepted},
                  {"INVITE", "", State::kAccepted}}},
        Scenario{"proceeding_transport_error",
                 false,
                 {{"tu:180", "cancel:Trying send:180", State::kProceeding},
                  {"transport", "transport-error terminated", State::kTerminated}}},
        Scenario{"completed_transport_error",
                 false,
                 {{"tu:480", "cancel:Trying send:480 G=500 H=32000", State::kCompleted},
                  {"G", "send:480 G=1000", State::kCompleted},
                  {"transport", "transport-error terminated", State::kTerminated},
                  {"INVITE", "", State::kTerminated}}},
        Scenario{"bad_tu_statuses_ignored",
                 false,
                 {{"tu:99", "", State::kProceeding}, {"tu:700", "", State::kProceeding}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(InviteServer, StaleTimersAreIgnored) {
  Fixture f;
  H h = f.make(false);
  h.start();
  h.respond(486, f.resp(486));
  const std::uint32_t g = h.timer(TimerName::kG).generation;
  const std::uint32_t hh = h.timer(TimerName::kH).generation;
  h.fire(TimerName::kG);
  EXPECT_EQ(h.fire_stale(TimerName::kG, g), "") << "superseded by the re-armed G";
  h.receive(f.ack);
  EXPECT_EQ(h.fire_stale(TimerName::kH, hh), "") << "H was cancelled by the ACK";
  EXPECT_EQ(h.machine().state(), State::kConfirmed);
}

TEST(InviteServer, IgnoresResponses) {
  Fixture f;
  H h = f.make(false);
  h.start();
  EXPECT_EQ(h.receive(f.resp(200)), "");
  EXPECT_EQ(h.machine().state(), State::kProceeding);
}

}  // namespace
}  // namespace cohort::sip::txn::test
