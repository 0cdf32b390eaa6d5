// RFC 3261 §17.1.1 INVITE client transaction (Figure 5).

#include <gtest/gtest.h>

#include "sip/txn/client.hpp"
#include "txn_test_util.hpp"

namespace cohort::sip::txn::test {
namespace {

using H = Harness<InviteClient>;

struct Fixture {
  sip::Message invite = request(Req{});
  H h{InviteClient(invite, /*reliable=*/false)};
  H tcp{InviteClient(invite, /*reliable=*/true)};
  std::string resp(int status) { return response_bytes(invite, status); }
};

TEST(InviteClient, StartSendsTheInviteAndArmsAAndBOnUdp) {
  Fixture f;
  EXPECT_EQ(f.h.start(), "send:INVITE A=500 B=32000");
  EXPECT_EQ(sent(f.h.last()).at(0), f.invite.bytes());
  EXPECT_EQ(f.h.machine().state(), State::kCalling);
}

TEST(InviteClient, StartArmsOnlyBOnReliableTransports) {
  Fixture f;
  EXPECT_EQ(f.tcp.start(), "send:INVITE B=32000");
}

TEST(InviteClient, TimerADoublesWithoutCapUntilTimerBTimesOut) {
  Fixture f;
  f.h.start();
  // §17.1.1.2: A = T1, 2T1, 4T1 … (no T2 cap for INVITE); B = 64*T1 ends it.
  const std::vector<std::string> expected = {
      "send:INVITE A=1000", "send:INVITE A=2000",  "send:INVITE A=4000",
      "send:INVITE A=8000", "send:INVITE A=16000", "send:INVITE A=32000",
  };
  const std::vector<int> fire_at_ms = {500, 1500, 3500, 7500, 15500, 31500};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(f.h.fire(TimerName::kA), expected[i]) << i;
    EXPECT_EQ(f.h.elapsed().count(), fire_at_ms[i]) << i;
    EXPECT_EQ(sent(f.h.last()).at(0), f.invite.bytes()) << "retransmissions are identical";
  }
  EXPECT_EQ(f.h.fire(TimerName::kB), "timeout terminated");
  EXPECT_EQ(f.h.elapsed().count(), 32000);
  EXPECT_EQ(f.h.machine().state(), State::kTerminated);
  EXPECT_FALSE(f.h.armed(TimerName::kA));
}

TEST(InviteClient, TimerBTimesOutOnReliableTransports) {
  Fixture f;
  f.tcp.start();
  EXPECT_EQ(f.tcp.fire(TimerName::kB), "timeout terminated");
}

TEST(InviteClient, TimersFollowTheConfiguredT1AndD) {
  const sip::Message invite = request(Req{});
  H h{InviteClient(invite, false, TimerConfig{.t1 = Duration{100}, .timer_d = Duration{40000}})};
  EXPECT_EQ(h.start(), "send:INVITE A=100 B=6400");
  EXPECT_EQ(h.receive(response_bytes(invite, 404)),
            "cancel:A cancel:B send:ACK deliver:404 D=40000");
}

// Figure 5, every transition, as (setup, event, expected actions, state after).
struct Step {
  const char* response;  // status as text, or a timer/"transport"
  const char* actions;
  State after;
};
struct Scenario {
  const char* name;
  bool reliable;
  std::vector<Step> steps;
};

class InviteClientScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(InviteClientScenario, Runs) {
  const Scenario& s = GetParam();
  const sip::Message invite = request(Req{});
  H h{InviteClient(invite, s.reliable)};
  h.start();
  for (const Step& step : s.steps) {
    const std::string what = step.response;
    std::string got;
    if (what == "A") {
      got = h.fire(TimerName::kA);
    } else if (what == "B") {
      got = h.fire(TimerName::kB);
    } else if (what == "D") {
      got = h.fire(TimerName::kD);
    } else if (what == "M") {
      got = h.fire(TimerName::kM);
    } else if (what == "transport") {
      got = h.on(TransportFailed{});
    } else {
      got = h.receive(response_bytes(invite, std::stoi(what)));
    }
    EXPECT_EQ(got, step.actions) << s.name << " at " << what;
    EXPECT_EQ(h.machine().state(), step.after) << s.name << " at " << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Figure5, InviteClientScenario,
    ::testing::Values(
        Scenario{"calling_1xx_proceeding_2xx",
                 false,
                 {{"100", "cancel:A cancel:B deliver:100", State::kProceeding},
                  {"180", "deliver:180", State::kProceeding},
                  {"183", "deliver:183", State::kProceeding},
                  // RFC 6026 §7.2: a 2xx moves to Accepted; later 2xx (retransmissions,
                  // other forks) go to the TU too, other responses are dropped; Timer M
                  // (64·T1) ends it.
                  {"200", "deliver:200 M=32000", State::kAccepted},
                  {"200", "deliver:200", State::kAccepted},
                  {"180", "", State::kAccepted},
                  {"486", "", State::kAccepted},
                  {"M", "terminated", State::kTerminated},
                  {"200", "", State::kTerminated}}},
        Scenario{"calling_2xx",
                 false,
                 {{"200", "cancel:A cancel:B deliver:200 M=32000", State::kAccepted}}},
        Scenario{"calling_2xx_after_retransmit",
                 false,
                 {{"A", "send:INVITE A=1000", State::kCalling},
                  {"202", "cancel:A cancel:B deliver:202 M=32000", State::kAccepted}}},
        Scenario{"reliable_2xx_accepted_too",
                 true,
                 {{"200", "cancel:B deliver:200 M=32000", State::kAccepted},
                  {"200", "deliver:200", State::kAccepted},
                  {"M", "terminated", State::kTerminated}}},
        Scenario{"calling_3xx_completed_d",
                 false,
                 {{"302", "cancel:A cancel:B send:ACK deliver:302 D=32000", State::kCompleted},
                  {"302", "send:ACK", State::kCompleted},
                  {"302", "send:ACK", State::kCompleted},
                  {"D", "terminated", State::kTerminated}}},
        Scenario{"proceeding_4xx_completed_d",
                 false,
                 {{"180", "cancel:A cancel:B deliver:180", State::kProceeding},
                  {"486", "send:ACK deliver:486 D=32000", State::kCompleted},
                  {"180", "", State::kCompleted},
                  {"200", "", State::kCompleted},
                  {"486", "send:ACK", State::kCompleted},
                  {"D", "terminated", State::kTerminated}}},
        Scenario{"proceeding_6xx_reliable",
                 true,
                 {{"180", "cancel:B deliver:180", State::kProceeding},
                  {"603", "send:ACK deliver:603 terminated", State::kTerminated}}},
        Scenario{"calling_5xx_reliable_d_is_zero",
                 true,
                 {{"503", "cancel:B send:ACK deliver:503 terminated", State::kTerminated}}},
        Scenario{"calling_transport_error",
                 false,
                 {{"transport", "transport-error terminated", State::kTerminated}}},
        Scenario{"proceeding_transport_error",
                 false,
                 {{"180", "cancel:A cancel:B deliver:180", State::kProceeding},
                  {"transport", "transport-error terminated", State::kTerminated}}},
        Scenario{"completed_transport_error",
                 false,
                 {{"404", "cancel:A cancel:B send:ACK deliver:404 D=32000", State::kCompleted},
                  {"transport", "transport-error terminated", State::kTerminated},
                  {"404", "", State::kTerminated}}},
        Scenario{"terminated_ignores_everything",
                 false,
                 {{"B", "timeout terminated", State::kTerminated},
                  {"180", "", State::kTerminated},
                  {"transport", "", State::kTerminated}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(InviteClient, StaleTimersAreIgnored) {
  Fixture f;
  f.h.start();
  const std::uint32_t a = f.h.timer(TimerName::kA).generation;
  const std::uint32_t b = f.h.timer(TimerName::kB).generation;
  EXPECT_EQ(f.h.fire_stale(TimerName::kA, a + 100), "") << "unknown generation";
  f.h.fire(TimerName::kA);  // re-armed with a new generation
  EXPECT_EQ(f.h.fire_stale(TimerName::kA, a), "") << "superseded generation";
  EXPECT_EQ(f.h.receive(f.resp(180)), "cancel:A cancel:B deliver:180");
  EXPECT_EQ(f.h.fire_stale(TimerName::kB, b), "") << "B belongs to Calling only";
  EXPECT_EQ(f.h.fire_stale(TimerName::kD, 0), "") << "never armed";
  EXPECT_EQ(f.h.machine().state(), State::kProceeding);
}

TEST(InviteClient, IgnoresRequestsAndTuResponses) {
  Fixture f;
  f.h.start();
  EXPECT_EQ(f.h.receive(std::string(f.invite.bytes())), "");
  EXPECT_EQ(f.h.respond(200, "x"), "");
  EXPECT_EQ(f.h.machine().state(), State::kCalling);
}

TEST(InviteClient, RetransmittedFinalResponseResendsTheSameAck) {
  Fixture f;
  f.h.start();
  f.h.receive(f.resp(486));
  const std::string ack = sent(f.h.last()).at(0);
  EXPECT_EQ(ack, f.h.machine().ack());
  f.h.receive(f.resp(486));
  EXPECT_EQ(sent(f.h.last()), std::vector<std::string>{ack});
}

// §17.1.1.3: the ACK for 3xx–6xx, parsed back and checked field by field.
class InviteClientAck : public ::testing::TestWithParam<int> {};

TEST_P(InviteClientAck, CopiesTheRightHeaders) {
  Req r;
  r.request_uri = "sip:bob@biloxi.example.com;transport=udp";
  r.routes = {"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>,<sip:p3.example.com;lr>"};
  r.cseq = 4711;
  const sip::Message invite = request(r);
  H h{InviteClient(invite, false)};
  h.start();
  const std::string response = response_bytes(invite, GetParam(), "srv-tag-9");
  h.receive(response);
  const sip::Message resp = parse_ok(response);
  const sip::Message ack = parse_ok(sent(h.last()).at(0));

  ASSERT_TRUE(ack.is_request());
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.request_uri(), invite.request_uri());
  EXPECT_EQ(ack.call_id(), invite.call_id());
  EXPECT_EQ(ack.header(sip::HeaderId::kFrom), invite.header(sip::HeaderId::kFrom));
  EXPECT_EQ(ack.from_tag(), "ft1");
  EXPECT_EQ(ack.header(sip::HeaderId::kTo), resp.header(sip::HeaderId::kTo));
  EXPECT_EQ(ack.to_tag(), "srv-tag-9");
  EXPECT_EQ(ack.cseq(), 4711u);
  EXPECT_EQ(ack.cseq_method(), sip::Method::kAck);
  // A single Via, equal to the INVITE's top Via (same branch: same transaction).
  EXPECT_EQ(ack.header_values(sip::HeaderId::kVia),
            std::vector<std::string_view>{invite.top_via()});
  EXPECT_EQ(ack.branch(), invite.branch());
  EXPECT_EQ(ack.header_values(sip::HeaderId::kRoute), invite.header_values(sip::HeaderId::kRoute));
  EXPECT_EQ(ack.header_values(sip::HeaderId::kRoute).size(), 3u);
  EXPECT_EQ(ack.max_forwards(), 70);
  EXPECT_EQ(ack.body(), "");
  EXPECT_FALSE(ack.header(sip::HeaderId::kContact).has_value());
}

INSTANTIATE_TEST_SUITE_P(Final, InviteClientAck,
                         ::testing::Values(300, 302, 401, 404, 487, 500, 503, 600, 603, 699));

TEST(InviteClient, AckWithoutRoutesHasNone) {
  Fixture f;
  f.h.start();
  f.h.receive(f.resp(404));
  const sip::Message ack = parse_ok(f.h.machine().ack());
  EXPECT_TRUE(ack.header_values(sip::HeaderId::kRoute).empty());
}

}  // namespace
}  // namespace cohort::sip::txn::test
