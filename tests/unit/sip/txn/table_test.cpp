// TransactionTable: RFC 3261 §17.1.3 / §17.2.3 matching (and the RFC 2543 fallback),
// ACK and CANCEL, merged requests (§8.2.2.2), and the lifecycle of table entries.

#include "sip/txn/table.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "sip/txn/branch.hpp"
#include "sip/txn/key.hpp"
#include "txn_test_util.hpp"

namespace cohort::sip::txn::test {
namespace {

/// Plays the shell for a table: remembers armed timers per transaction.
class TableHarness {
 public:
  explicit TableHarness(TimerConfig config = {}) : table(config) {}

  TransactionTable table;
  TimePoint now{};

  Dispatch request(const std::string& bytes, bool reliable = false) {
    const sip::Message m = parse_ok(bytes);
    Dispatch d = table.on_request(m, reliable, now);
    track(d.id, d.actions);
    return d;
  }
  Dispatch response(const std::string& bytes) {
    const sip::Message m = parse_ok(bytes);
    Dispatch d = table.on_response(m, now);
    track(d.id, d.actions);
    return d;
  }
  Started start(const std::string& bytes, bool reliable = false) {
    const sip::Message m = parse_ok(bytes);
    Started s = table.start_client(m, reliable, now);
    track(s.id, s.actions);
    return s;
  }
  std::string respond(TxnId id, int status, std::string bytes) {
    Actions a = table.respond(id, status, std::move(bytes), now);
    track(id, a);
    return describe(a);
  }
  std::string fire(TxnId id, TimerName t) {
    const auto it = timers_.find({id, t});
    if (it == timers_.end()) {
      ADD_FAILURE() << "timer " << to_string(t) << " of " << id << " not armed";
      return "<not armed>";
    }
    const StartTimer st = it->second;
    timers_.erase(it);
    now = st.at;
    Actions a = table.on_timer(id, TimerFired{t, st.generation}, now);
    track(id, a);
    return describe(a);
  }
  std::uint32_t generation(TxnId id, TimerName t) const { return timers_.at({id, t}).generation; }

 private:
  void track(TxnId id, const Actions& actions) {
    for (const Action& a : actions) {
      if (const auto* st = std::get_if<StartTimer>(&a)) {
        timers_[{id, st->timer}] = *st;
      } else if (const auto* ct = std::get_if<CancelTimer>(&a)) {
        timers_.erase({id, ct->timer});
      } else if (std::holds_alternative<Terminated>(a)) {
        std::erase_if(timers_, [&](const auto& kv) { return kv.first.first == id; });
      }
    }
  }
  std::map<std::pair<TxnId, TimerName>, StartTimer> timers_;
};

Req register_req() {
  Req r;
  r.method = sip::Method::kRegister;
  r.request_uri = "sip:example.com";
  r.to_tag = "";
  return r;
}

// The flow the registrar drives: create from the request, answer, absorb retransmissions,
// let Timer J end it.
TEST(TransactionTable, RegisterServerTransactionLifecycle) {
  TableHarness t;
  const std::string reg = request_bytes(register_req());
  const Dispatch first = t.request(reg);
  EXPECT_EQ(first.disposition, Disposition::kNew);
  EXPECT_NE(first.id, 0u);
  EXPECT_EQ(describe(first.actions), "deliver:req");
  EXPECT_EQ(t.table.size(), 1u);
  ASSERT_NE(t.table.find(first.id), nullptr);
  EXPECT_TRUE(std::holds_alternative<NonInviteServer>(*t.table.find(first.id)));

  const Dispatch again = t.request(reg);
  EXPECT_EQ(again.disposition, Disposition::kMatched);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(describe(again.actions), "") << "absorbed: no response yet";

  const std::string ok = response_bytes(parse_ok(reg), 200);
  EXPECT_EQ(t.respond(first.id, 200, ok), "send:200 J=32000");
  const Dispatch late = t.request(reg);
  EXPECT_EQ(late.disposition, Disposition::kMatched);
  EXPECT_EQ(sent(late.actions), std::vector<std::string>{ok}) << "the last response re-sent";

  const std::uint32_t j = t.generation(first.id, TimerName::kJ);
  EXPECT_EQ(t.fire(first.id, TimerName::kJ), "terminated");
  EXPECT_EQ(t.table.size(), 0u);
  EXPECT_EQ(t.table.find(first.id), nullptr);
  EXPECT_EQ(describe(t.table.on_timer(first.id, TimerFired{TimerName::kJ, j}, t.now)), "")
      << "a late timer of a forgotten transaction";

  const Dispatch fresh = t.request(reg);
  EXPECT_EQ(fresh.disposition, Disposition::kNew) << "after J the request is new again";
  EXPECT_NE(fresh.id, first.id) << "ids are never reused";
}

TEST(TransactionTable, ReliableRegisterEndsWithTheFinalResponse) {
  TableHarness t;
  const std::string reg = request_bytes(register_req());
  const Dispatch d = t.request(reg, /*reliable=*/true);
  EXPECT_EQ(t.respond(d.id, 200, response_bytes(parse_ok(reg), 200)), "send:200 terminated");
  EXPECT_EQ(t.table.size(), 0u);
}

// §17.2.3 with the magic cookie: branch + sent-by + method (ACK → INVITE).
struct MatchCase {
  const char* name;
  std::function<void(Req&)> change;
  Disposition expected;
};

class Rfc3261Matching : public ::testing::TestWithParam<MatchCase> {};

TEST_P(Rfc3261Matching, Matches) {
  TableHarness t;
  const Req original;
  const Dispatch first = t.request(request_bytes(original));
  ASSERT_EQ(first.disposition, Disposition::kNew);
  Req r = original;
  GetParam().change(r);
  const Dispatch d = t.request(request_bytes(r));
  EXPECT_EQ(d.disposition, GetParam().expected) << to_string(d.disposition);
  if (GetParam().expected == Disposition::kMatched) {
    EXPECT_EQ(d.id, first.id);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Rfc3261Matching,
    ::testing::Values(
        MatchCase{"identical", [](Req&) {}, Disposition::kMatched},
        MatchCase{"sent_by_host_case", [](Req& r) { r.sent_by = "CLIENT.Example.COM:5060"; },
                  Disposition::kMatched},
        MatchCase{"other_request_uri", [](Req& r) { r.request_uri = "sip:carol@example.com"; },
                  Disposition::kMatched},
        MatchCase{"other_transport_same_sent_by", [](Req& r) { r.transport = "TCP"; },
                  Disposition::kMatched},
        MatchCase{"ack_same_branch",
                  [](Req& r) {
                    r.method = sip::Method::kAck;
                    r.to_tag = "tt1";
                  },
                  Disposition::kMatched},
        MatchCase{"ack_other_branch",
                  [](Req& r) {
                    r.method = sip::Method::kAck;
                    r.to_tag = "tt1";
                    r.branch = "z9hG4bK-ack-2xx";
                  },
                  Disposition::kUnmatched},
        MatchCase{"other_branch_is_merged", [](Req& r) { r.branch = "z9hG4bK-client-2"; },
                  Disposition::kMerged},
        MatchCase{"other_sent_by_host_is_merged", [](Req& r) { r.sent_by = "other.example.com"; },
                  Disposition::kMerged},
        MatchCase{"other_sent_by_port_is_merged",
                  [](Req& r) { r.sent_by = "client.example.com:5070"; }, Disposition::kMerged},
        MatchCase{"other_branch_and_call_id",
                  [](Req& r) {
                    r.branch = "z9hG4bK-client-2";
                    r.call_id = "call-2@client.example.com";
                  },
                  Disposition::kNew},
        MatchCase{"other_branch_with_to_tag",
                  [](Req& r) {
                    r.branch = "z9hG4bK-client-2";
                    r.to_tag = "dialog";
                  },
                  Disposition::kNew},
        MatchCase{"cancel_same_branch_is_its_own", [](Req& r) { r.method = sip::Method::kCancel; },
                  Disposition::kNew},
        MatchCase{"other_method_same_branch",
                  [](Req& r) {
                    r.method = sip::Method::kOptions;
                    r.cseq = 2;
                  },
                  Disposition::kNew}),
    [](const auto& info) { return std::string(info.param.name); });

// §17.2.3 for branches without the magic cookie: Request-URI, To tag, From tag, Call-ID,
// CSeq and top Via.
class Rfc2543Matching : public ::testing::TestWithParam<MatchCase> {};

TEST_P(Rfc2543Matching, Matches) {
  TableHarness t;
  Req original;
  original.branch = "";  // RFC 2543 elements may send no branch at all
  const Dispatch first = t.request(request_bytes(original));
  ASSERT_EQ(first.disposition, Disposition::kNew);
  Req r = original;
  GetParam().change(r);
  const Dispatch d = t.request(request_bytes(r));
  EXPECT_EQ(d.disposition, GetParam().expected) << to_string(d.disposition);
  if (GetParam().expected == Disposition::kMatched) {
    EXPECT_EQ(d.id, first.id);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Rfc2543Matching,
    ::testing::Values(
        MatchCase{"identical", [](Req&) {}, Disposition::kMatched},
        MatchCase{"old_style_branch_differs", [](Req& r) { r.branch = "1234abcd"; },
                  Disposition::kMerged},
        MatchCase{"other_request_uri", [](Req& r) { r.request_uri = "sip:carol@example.com"; },
                  Disposition::kMerged},
        MatchCase{"other_top_via", [](Req& r) { r.sent_by = "other.example.com"; },
                  Disposition::kMerged},
        MatchCase{"other_cseq", [](Req& r) { r.cseq = 2; }, Disposition::kNew},
        MatchCase{"other_call_id", [](Req& r) { r.call_id = "x@y"; }, Disposition::kNew},
        MatchCase{"other_from_tag", [](Req& r) { r.from_tag = "ft2"; }, Disposition::kNew},
        MatchCase{"with_to_tag", [](Req& r) { r.to_tag = "t"; }, Disposition::kNew},
        MatchCase{"cancel_is_its_own", [](Req& r) { r.method = sip::Method::kCancel; },
                  Disposition::kNew},
        MatchCase{"ack_before_final_response",
                  [](Req& r) {
                    r.method = sip::Method::kAck;
                    r.to_tag = "tt1";
                  },
                  Disposition::kUnmatched}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TransactionTable, Rfc2543AckMatchesByTheResponseToTag) {
  for (const std::string branch : {"", "1234abcd"}) {
    TableHarness t;
    Req r;
    r.branch = branch;
    const std::string invite = request_bytes(r);
    const Dispatch d = t.request(invite);
    t.respond(d.id, 404, response_bytes(parse_ok(invite), 404, "srv-9"));
    Req ack = r;
    ack.method = sip::Method::kAck;
    ack.to_tag = "wrong";
    EXPECT_EQ(t.request(request_bytes(ack)).disposition, Disposition::kUnmatched) << branch;
    ack.to_tag = "srv-9";
    const Dispatch matched = t.request(request_bytes(ack));
    EXPECT_EQ(matched.disposition, Disposition::kMatched) << branch;
    EXPECT_EQ(matched.id, d.id);
    EXPECT_EQ(describe(matched.actions), "cancel:G cancel:H I=5000") << branch;
    EXPECT_EQ(state_of(*t.table.find(d.id)), State::kConfirmed);
  }
}

TEST(TransactionTable, Rfc2543ReInviteAckMatches) {
  TableHarness t;
  Req r;
  r.branch = "";
  r.to_tag = "dialog-tag";
  r.cseq = 5;
  const std::string invite = request_bytes(r);
  const Dispatch d = t.request(invite);
  // The response keeps the To tag of the re-INVITE.
  t.respond(d.id, 488, response_bytes(parse_ok(invite), 488));
  Req ack = r;
  ack.method = sip::Method::kAck;
  const Dispatch matched = t.request(request_bytes(ack));
  EXPECT_EQ(matched.disposition, Disposition::kMatched);
  EXPECT_EQ(matched.id, d.id);
}

TEST(TransactionTable, AckForNon2xxConfirmsTheInviteTransaction) {
  TableHarness t;
  const Req r;
  const std::string invite = request_bytes(r);
  const Dispatch d = t.request(invite);
  EXPECT_EQ(describe(d.actions), "deliver:req Trying=200");
  EXPECT_TRUE(std::holds_alternative<InviteServer>(*t.table.find(d.id)));
  EXPECT_EQ(t.respond(d.id, 486, response_bytes(parse_ok(invite), 486)),
            "cancel:Trying send:486 G=500 H=32000");
  Req ack = r;
  ack.method = sip::Method::kAck;
  ack.to_tag = "tt1";
  const Dispatch a = t.request(request_bytes(ack));
  EXPECT_EQ(a.disposition, Disposition::kMatched);
  EXPECT_EQ(describe(a.actions), "cancel:G cancel:H I=5000");
  EXPECT_EQ(describe(t.request(request_bytes(ack)).actions), "") << "absorbed in Confirmed";
  EXPECT_EQ(t.fire(d.id, TimerName::kI), "terminated");
  EXPECT_EQ(t.table.size(), 0u);
}

TEST(TransactionTable, AckFor2xxGoesToTheTu) {
  TableHarness t;
  const Req r;
  const std::string invite = request_bytes(r);
  const Dispatch d = t.request(invite);
  EXPECT_EQ(t.respond(d.id, 200, response_bytes(parse_ok(invite), 200)),
            "cancel:Trying send:200 L=32000");
  EXPECT_EQ(t.table.size(), 1u) << "RFC 6026: Accepted until Timer L";
  // A retransmission of the INVITE is absorbed by it, never a new request for the TU.
  const Dispatch again = t.request(invite);
  EXPECT_EQ(again.disposition, Disposition::kMatched);
  EXPECT_EQ(again.id, d.id);
  EXPECT_EQ(describe(again.actions), "");
  Req ack = r;
  ack.method = sip::Method::kAck;
  ack.to_tag = "tt1";
  ack.branch = "z9hG4bK-ack-for-2xx";  // §13.2.2.4: a new transaction
  const Dispatch a = t.request(request_bytes(ack));
  EXPECT_EQ(a.disposition, Disposition::kUnmatched);
  EXPECT_EQ(a.id, 0u);
  EXPECT_TRUE(a.actions.empty());
  EXPECT_EQ(t.table.size(), 1u) << "an ACK never creates a transaction";
  EXPECT_EQ(t.fire(d.id, TimerName::kL), "terminated");
  EXPECT_EQ(t.table.size(), 0u);
}

TEST(TransactionTable, CancelHasItsOwnTransactionAndFindsItsInvite) {
  for (const std::string branch : {"z9hG4bK-client-1", "", "oldstyle-7"}) {
    TableHarness t;
    Req r;
    r.branch = branch;
    const Dispatch inv = t.request(request_bytes(r));
    Req c = r;
    c.method = sip::Method::kCancel;
    const std::string cancel = request_bytes(c);
    const Dispatch can = t.request(cancel);
    EXPECT_EQ(can.disposition, Disposition::kNew) << branch;
    EXPECT_NE(can.id, inv.id);
    EXPECT_TRUE(std::holds_alternative<NonInviteServer>(*t.table.find(can.id)));
    EXPECT_EQ(t.table.find_cancel_target(parse_ok(cancel)), inv.id) << branch;
    EXPECT_EQ(t.request(cancel).id, can.id) << "a CANCEL retransmission matches the CANCEL";

    // The TU answers the CANCEL and 487s the INVITE (§9.2), each on its own transaction.
    EXPECT_EQ(t.respond(can.id, 200, response_bytes(parse_ok(cancel), 200)), "send:200 J=32000");
    EXPECT_EQ(t.respond(inv.id, 487, response_bytes(parse_ok(request_bytes(r)), 487)),
              "cancel:Trying send:487 G=500 H=32000");
  }
}

TEST(TransactionTable, CancelWithoutItsInvite) {
  TableHarness t;
  Req c;
  c.method = sip::Method::kCancel;
  EXPECT_EQ(t.table.find_cancel_target(parse_ok(request_bytes(c))), std::nullopt);
  // A non-INVITE transaction with the same branch is not a CANCEL target.
  Req o;
  o.method = sip::Method::kOptions;
  t.request(request_bytes(o));
  EXPECT_EQ(t.table.find_cancel_target(parse_ok(request_bytes(c))), std::nullopt);
  // An INVITE answered 2xx is still found while Accepted (RFC 6026; §9.2: the CANCEL then
  // has no effect and gets 200), and no longer once its transaction ended.
  Req i;
  i.branch = "z9hG4bK-ended";
  const std::string invite = request_bytes(i);
  const Dispatch d = t.request(invite);
  t.respond(d.id, 200, response_bytes(parse_ok(invite), 200));
  c.branch = i.branch;
  EXPECT_EQ(t.table.find_cancel_target(parse_ok(request_bytes(c))), d.id);
  EXPECT_EQ(t.fire(d.id, TimerName::kL), "terminated");
  EXPECT_EQ(t.table.find_cancel_target(parse_ok(request_bytes(c))), std::nullopt);
}

// §8.2.2.2: the same request through two proxies → 482 on the second.
TEST(TransactionTable, MergedRequestIsReportedAndAnsweredWith482) {
  TableHarness t;
  Req first;
  first.sent_by = "proxy-a.example.net";
  first.branch = "z9hG4bK-path-a";
  const Dispatch a = t.request(request_bytes(first));
  EXPECT_EQ(a.disposition, Disposition::kNew);

  Req second = first;
  second.sent_by = "proxy-b.example.net";
  second.branch = "z9hG4bK-path-b";
  const std::string second_bytes = request_bytes(second);
  const Dispatch b = t.request(second_bytes);
  EXPECT_EQ(b.disposition, Disposition::kMerged);
  EXPECT_NE(b.id, a.id);
  EXPECT_EQ(describe(b.actions), "Trying=200") << "not delivered to the TU as a new request";

  const std::string loop = response_bytes(parse_ok(second_bytes), 482);
  EXPECT_EQ(t.respond(b.id, 482, loop), "cancel:Trying send:482 G=500 H=32000");
  const Dispatch again = t.request(second_bytes);
  EXPECT_EQ(again.disposition, Disposition::kMatched) << "the merged request's own retransmission";
  EXPECT_EQ(again.id, b.id);
  EXPECT_EQ(sent(again.actions), std::vector<std::string>{loop});
  EXPECT_EQ(t.request(request_bytes(first)).id, a.id) << "the first path is unaffected";
}

TEST(TransactionTable, MergeDetectionForNonInviteAndAfterTheFirstEnds) {
  TableHarness t;
  Req first = register_req();
  first.method = sip::Method::kMessage;
  first.branch = "z9hG4bK-m1";
  const Dispatch a = t.request(request_bytes(first), /*reliable=*/true);
  Req second = first;
  second.branch = "z9hG4bK-m2";
  const Dispatch b = t.request(request_bytes(second));
  EXPECT_EQ(b.disposition, Disposition::kMerged);
  EXPECT_EQ(describe(b.actions), "");

  // Once the first transaction is over, the request is no longer "ongoing".
  t.respond(a.id, 200, response_bytes(parse_ok(request_bytes(first)), 200));
  Req third = first;
  third.branch = "z9hG4bK-m3";
  EXPECT_EQ(t.request(request_bytes(third)).disposition, Disposition::kNew);
}

TEST(TransactionTable, ClientTransactionsMatchByBranchAndCSeqMethod) {
  TableHarness t;
  Req r;
  r.branch = make_branch(2, 0xabcdef);
  r.sent_by = "pbx.example.com";
  const std::string invite = request_bytes(r);
  const Started inv = t.start(invite);
  EXPECT_EQ(describe(inv.actions), "send:INVITE A=500 B=32000");
  EXPECT_TRUE(std::holds_alternative<InviteClient>(*t.table.find(inv.id)));
  const sip::Message invite_msg = parse_ok(invite);

  const Dispatch ringing = t.response(response_bytes(invite_msg, 180));
  EXPECT_EQ(ringing.disposition, Disposition::kMatched);
  EXPECT_EQ(ringing.id, inv.id);
  EXPECT_EQ(describe(ringing.actions), "cancel:A cancel:B deliver:180");

  // The CANCEL shares the branch; its responses match it, not the INVITE (§17.1.3).
  Req c = r;
  c.method = sip::Method::kCancel;
  const std::string cancel = request_bytes(c);
  EXPECT_EQ(t.response(response_bytes(parse_ok(cancel), 200)).disposition, Disposition::kUnmatched)
      << "before the CANCEL transaction exists";
  const Started can = t.start(cancel);
  EXPECT_EQ(describe(can.actions), "send:CANCEL E=500 F=32000");
  const Dispatch cancelled = t.response(response_bytes(parse_ok(cancel), 200));
  EXPECT_EQ(cancelled.id, can.id);
  EXPECT_EQ(describe(cancelled.actions), "cancel:E cancel:F deliver:200 K=5000");

  const Dispatch terminated = t.response(response_bytes(invite_msg, 487));
  EXPECT_EQ(terminated.id, inv.id);
  EXPECT_EQ(describe(terminated.actions), "send:ACK deliver:487 D=32000");

  Req other = r;
  other.branch = make_branch(2, 0x1);
  EXPECT_EQ(t.response(response_bytes(parse_ok(request_bytes(other)), 200)).disposition,
            Disposition::kUnmatched);
  EXPECT_EQ(t.table.size(), 2u);
  EXPECT_EQ(t.fire(inv.id, TimerName::kD), "terminated");
  EXPECT_EQ(t.fire(can.id, TimerName::kK), "terminated");
  EXPECT_EQ(t.table.size(), 0u);
}

TEST(TransactionTable, TwoXxRetransmissionsGoToTheTuWhileAcceptedThenAreUnmatched) {
  TableHarness t;
  Req r;
  r.branch = make_branch(0, 99);
  const std::string invite = request_bytes(r);
  const Started s = t.start(invite, /*reliable=*/true);
  const std::string ok = response_bytes(parse_ok(invite), 200);
  const Dispatch first = t.response(ok);
  EXPECT_EQ(describe(first.actions), "cancel:B deliver:200 M=32000");
  EXPECT_EQ(t.table.size(), 1u);
  const Dispatch again = t.response(ok);
  EXPECT_EQ(again.disposition, Disposition::kMatched) << "RFC 6026 §7.2: to the TU";
  EXPECT_EQ(again.id, s.id);
  EXPECT_EQ(describe(again.actions), "deliver:200");
  EXPECT_EQ(t.fire(s.id, TimerName::kM), "terminated");
  EXPECT_EQ(t.table.size(), 0u);
  EXPECT_EQ(t.response(ok).disposition, Disposition::kUnmatched) << "the TU handles it alone";
}

TEST(TransactionTable, ClientTimeoutAndTransportError) {
  TableHarness t;
  Req r;
  r.method = sip::Method::kOptions;
  r.branch = make_branch(1, 1);
  const Started a = t.start(request_bytes(r), /*reliable=*/true);
  EXPECT_EQ(t.fire(a.id, TimerName::kF), "timeout terminated");
  r.branch = make_branch(1, 2);
  const Started b = t.start(request_bytes(r));
  EXPECT_EQ(describe(t.table.on_transport_error(b.id, t.now)), "transport-error terminated");
  EXPECT_EQ(t.table.size(), 0u);
}

TEST(TransactionTable, ServerTransportErrorForgetsTheTransaction) {
  TableHarness t;
  const Dispatch d = t.request(request_bytes(register_req()));
  EXPECT_EQ(describe(t.table.on_transport_error(d.id, t.now)), "transport-error terminated");
  EXPECT_EQ(t.table.size(), 0u);
}

TEST(TransactionTable, UnknownIdsAndWrongSidesDoNothing) {
  TableHarness t;
  EXPECT_TRUE(t.table.respond(42, 200, "x", t.now).empty());
  EXPECT_TRUE(t.table.on_timer(42, TimerFired{TimerName::kA, 1}, t.now).empty());
  EXPECT_TRUE(t.table.on_transport_error(42, t.now).empty());
  EXPECT_EQ(t.table.find(42), nullptr);
  Req r;
  r.method = sip::Method::kOptions;
  const Started c = t.start(request_bytes(r));
  EXPECT_TRUE(t.table.respond(c.id, 200, "x", t.now).empty()) << "a client takes no TU response";
  EXPECT_EQ(t.table.size(), 1u);
}

TEST(TransactionTable, UsesItsTimerConfig) {
  TableHarness t(TimerConfig{.t1 = Duration{100}, .auto_trying = std::nullopt});
  const Dispatch d = t.request(request_bytes(Req{}));
  EXPECT_EQ(describe(d.actions), "deliver:req");
  EXPECT_EQ(t.respond(d.id, 404, response_bytes(parse_ok(request_bytes(Req{})), 404)),
            "send:404 G=100 H=6400");
}

TEST(TransactionTable, TopViaIsUsedForTheTrying) {
  TransactionTable table(TimerConfig{.auto_trying = Duration{0}});
  const sip::Message invite = request(Req{});
  const std::string stamped =
      "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK-client-1;received=198.51.100.1";
  const Dispatch d = table.on_request(invite, false, TimePoint{}, stamped);
  EXPECT_EQ(describe(d.actions), "deliver:req send:100");
  EXPECT_EQ(parse_ok(sent(d.actions).at(0)).top_via(), stamped);
}

TEST(TransactionKeys, ServerKeyMapsAckToInviteAndKeepsCancelApart) {
  Req r;
  const std::string invite_key = server_key(request(r));
  Req ack = r;
  ack.method = sip::Method::kAck;
  ack.to_tag = "x";
  EXPECT_EQ(server_key(request(ack)), invite_key);
  Req cancel = r;
  cancel.method = sip::Method::kCancel;
  EXPECT_NE(server_key(request(cancel)), invite_key);
  EXPECT_EQ(server_key(request(cancel), "INVITE"), invite_key);
}

TEST(TransactionKeys, MergeKeyOnlyForRequestsWithoutToTag) {
  Req r;
  EXPECT_FALSE(merge_key(request(r)).empty());
  r.to_tag = "t";
  EXPECT_TRUE(merge_key(request(r)).empty());
  Req ack;
  ack.method = sip::Method::kAck;
  EXPECT_TRUE(merge_key(request(ack)).empty());
}

TEST(TransactionKeys, ClientKeyOfRequestEqualsThatOfItsResponses) {
  Req r;
  r.method = sip::Method::kBye;
  r.to_tag = "t";
  const sip::Message bye = request(r);
  EXPECT_EQ(client_key(bye), client_key(parse_ok(response_bytes(bye, 200))));
  EXPECT_EQ(method_text(bye), "BYE");
}

}  // namespace
}  // namespace cohort::sip::txn::test
