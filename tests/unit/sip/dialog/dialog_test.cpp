// RFC 3261 §12: dialogs built from requests and responses, requests built within them and
// requests received within them checked. Table-driven where the RFC lists cases.

#include "sip/dialog/dialog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohort::sip::dialog {
namespace {

Message msg(std::string text) {
  std::string wire;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
      wire += "\r\n";
    } else {
      wire += text[i];
    }
  }
  auto m = parse(std::move(wire));
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().reason);
  return std::move(*m);
}

/// An INVITE from Alice (tag a1) through two Record-Routing proxies.
Message invite(std::string extra = "Contact: <sip:alice@192.0.2.10:5070;transport=udp>\n") {
  return msg(
      "INVITE sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK1\n"
      "Record-Route: <sip:p1.example.com;lr>\n"
      "Record-Route: <sip:p2.example.com;lr>\n"
      "From: \"Alice\" <sip:alice@example.com>;tag=a1\n"
      "To: <sip:bob@example.com>\n"
      "Call-ID: c1@192.0.2.10\n"
      "CSeq: 10 INVITE\n"
      "Max-Forwards: 70\n" +
      extra + "Content-Length: 0\n\n");
}

Message response(int status, std::string to_tag, std::string extra) {
  std::string to = "<sip:bob@example.com>";
  if (!to_tag.empty()) {
    to += ";tag=" + to_tag;
  }
  return msg("SIP/2.0 " + std::to_string(status) + " X\n" +
             "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK1\n" +
             "From: \"Alice\" <sip:alice@example.com>;tag=a1\n" + "To: " + to + "\n" +
             "Call-ID: c1@192.0.2.10\n" + "CSeq: 10 INVITE\n" + extra + "Content-Length: 0\n\n");
}

SentRequest sent() {
  Message inv = invite();
  auto s = sent_request(inv, false);
  EXPECT_TRUE(s.has_value());
  return *s;
}

TEST(UasDialog, IsBuiltFromTheRequestPerSection12_1_1) {
  Message inv = invite();
  auto d = uas_dialog(inv, "b9", false, DialogState::kConfirmed);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->call_id, "c1@192.0.2.10");
  EXPECT_EQ(d->local_tag, "b9");
  EXPECT_EQ(d->remote_tag, "a1");
  EXPECT_EQ(d->local_header, "<sip:bob@example.com>;tag=b9");
  EXPECT_EQ(d->remote_header, "\"Alice\" <sip:alice@example.com>;tag=a1");
  EXPECT_EQ(d->remote_cseq, 10u);
  EXPECT_FALSE(d->local_cseq.has_value());
  EXPECT_EQ(d->remote_target, "sip:alice@192.0.2.10:5070;transport=udp");
  // Record-Route in order for the UAS.
  EXPECT_EQ(d->route_set,
            (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  EXPECT_EQ(d->state, DialogState::kConfirmed);
}

TEST(UasDialog, NeedsAContactAndALocalTag) {
  Message no_contact = invite("");
  auto d = uas_dialog(no_contact, "b9", false, DialogState::kEarly);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().status, 400);
  EXPECT_NE(d.error().reason.find("Contact"), std::string::npos);
  Message inv = invite();
  EXPECT_FALSE(uas_dialog(inv, "", false, DialogState::kEarly).has_value());
}

TEST(UacDialog, IsBuiltFromTheResponsePerSection12_1_2) {
  Message ok = response(200, "b1",
                        "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\n"
                        "Contact: <sip:bob@192.0.2.20>\n");
  auto d = uac_dialog(sent(), ok);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->local_tag, "a1");
  EXPECT_EQ(d->remote_tag, "b1");
  EXPECT_EQ(d->local_header, "\"Alice\" <sip:alice@example.com>;tag=a1");
  EXPECT_EQ(d->remote_header, "<sip:bob@example.com>;tag=b1");
  EXPECT_EQ(d->local_cseq, 10u);
  EXPECT_FALSE(d->remote_cseq.has_value());
  EXPECT_EQ(d->remote_target, "sip:bob@192.0.2.20");
  // Record-Route reversed for the UAC.
  EXPECT_EQ(d->route_set,
            (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  EXPECT_EQ(d->state, DialogState::kConfirmed);
}

TEST(UacDialog, WhichResponsesCreateOne) {
  struct Case {
    int status;
    std::string tag;
    bool creates;
    DialogState state;
  };
  const std::vector<Case> cases = {
      {100, "", false, DialogState::kEarly},      {180, "", false, DialogState::kEarly},
      {180, "b1", true, DialogState::kEarly},     {183, "b2", true, DialogState::kEarly},
      {200, "b1", true, DialogState::kConfirmed}, {202, "b1", true, DialogState::kConfirmed},
      {486, "b1", false, DialogState::kEarly},
  };
  for (const Case& c : cases) {
    Message r = response(c.status, c.tag, "");
    auto d = uac_dialog(sent(), r);
    EXPECT_EQ(d.has_value(), c.creates) << c.status << " " << c.tag;
    if (d) {
      EXPECT_EQ(d->state, c.state) << c.status;
      // No Contact: the Request-URI stands in until one arrives.
      EXPECT_EQ(d->remote_target, "sip:bob@example.com");
    }
  }
}

TEST(Confirm, RecomputesTheRouteSetAndTargetFromThe2xx) {
  Message early = response(180, "b1",
                           "Record-Route: <sip:old.example.com;lr>\n"
                           "Contact: <sip:bob@10.0.0.1>\n");
  auto d = uac_dialog(sent(), early);
  ASSERT_TRUE(d.has_value());
  Message ok = response(200, "b1",
                        "Record-Route: <sip:new.example.com;lr>\n"
                        "Contact: <sip:bob@10.0.0.2>\n");
  ASSERT_TRUE(confirm(*d, ok).has_value());
  EXPECT_EQ(d->state, DialogState::kConfirmed);
  EXPECT_EQ(d->route_set, std::vector<std::string>{"<sip:new.example.com;lr>"});
  EXPECT_EQ(d->remote_target, "sip:bob@10.0.0.2");
  Message other = response(200, "b2", "Contact: <sip:x@10.0.0.3>\n");
  EXPECT_FALSE(confirm(*d, other).has_value()) << "another fork's 2xx";
  EXPECT_EQ(d->remote_target, "sip:bob@10.0.0.2");
}

TEST(RequestTarget, LooseStrictAndNoRoutes) {
  struct Case {
    std::vector<std::string> route_set;
    std::string request_uri;
    std::vector<std::string> routes;
  };
  const std::vector<Case> cases = {
      {{}, "sip:bob@10.0.0.2", {}},
      {{"<sip:p1;lr>", "<sip:p2>"}, "sip:bob@10.0.0.2", {"<sip:p1;lr>", "<sip:p2>"}},
      // Strict: the first route is the Request-URI (without method param and headers), the
      // remote target goes last.
      {{"<sip:p1;maddr=10.1.1.1;method=INVITE?X=y>", "<sip:p2;lr>"},
       "sip:p1;maddr=10.1.1.1",
       {"<sip:p2;lr>", "<sip:bob@10.0.0.2>"}},
      {{"<sip:p1>"}, "sip:p1", {"<sip:bob@10.0.0.2>"}},
  };
  for (const Case& c : cases) {
    Dialog d;
    d.remote_target = "sip:bob@10.0.0.2";
    d.route_set = c.route_set;
    RequestTarget t = request_target(d);
    EXPECT_EQ(t.request_uri, c.request_uri);
    EXPECT_EQ(t.routes, c.routes);
  }
}

TEST(BuildRequest, IncrementsTheLocalSequenceAndCarriesTheDialog) {
  Message inv = invite();
  auto d = uas_dialog(inv, "b9", false, DialogState::kConfirmed);
  ASSERT_TRUE(d.has_value());
  Message bye = build_request(*d, Method::kBye, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx").message();
  EXPECT_EQ(bye.method(), Method::kBye);
  EXPECT_EQ(bye.request_uri(), "sip:alice@192.0.2.10:5070;transport=udp");
  EXPECT_EQ(bye.cseq(), 1u);
  EXPECT_EQ(bye.cseq_method(), Method::kBye);
  EXPECT_EQ(bye.from_tag(), "b9");
  EXPECT_EQ(bye.to_tag(), "a1");
  EXPECT_EQ(bye.call_id(), "c1@192.0.2.10");
  EXPECT_EQ(bye.header_values(HeaderId::kRoute),
            (std::vector<std::string_view>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  Message again =
      build_request(*d, Method::kInfo, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKy").message();
  EXPECT_EQ(again.cseq(), 2u);
  EXPECT_EQ(d->local_cseq, 2u);
  // The ACK carries the INVITE's CSeq number and does not move the sequence.
  Message ack = build_ack(*d, 10, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKz").message();
  EXPECT_EQ(ack.cseq(), 10u);
  EXPECT_EQ(ack.cseq_method(), Method::kAck);
  EXPECT_EQ(d->local_cseq, 2u);
  // The builder's value and its wire form agree.
  auto reparsed = parse(build_request(*d, Method::kBye, "SIP/2.0/UDP h;branch=z9hG4bKw").str());
  ASSERT_TRUE(reparsed.has_value());
  EXPECT_EQ(reparsed->cseq(), 3u);
}

Message in_dialog(std::string method, std::uint32_t cseq, std::string extra = "") {
  return msg(
      method + " sip:bob@192.0.2.20 SIP/2.0\n" + "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK" +
      std::to_string(cseq) + method + "\n" + "From: \"Alice\" <sip:alice@example.com>;tag=a1\n" +
      "To: <sip:bob@example.com>;tag=b9\n" + "Call-ID: c1@192.0.2.10\n" +
      "CSeq: " + std::to_string(cseq) + " " + method + "\n" + extra + "Content-Length: 0\n\n");
}

TEST(CheckRequest, OrderUnknownDialogsAndTargetRefresh) {
  struct Step {
    std::string method;
    std::uint32_t cseq;
    std::string extra;
    Verdict verdict;
    std::string target_after;
  };
  const std::string t0 = "sip:alice@192.0.2.10:5070;transport=udp";
  const std::vector<Step> steps = {
      {"ACK", 10, "", Verdict::kAccept, t0},         // the INVITE's ACK
      {"INFO", 11, "", Verdict::kAccept, t0},        // in order
      {"INFO", 11, "", Verdict::kOutOfOrder, t0},    // equal: not a new request
      {"OPTIONS", 9, "", Verdict::kOutOfOrder, t0},  // lower: 500
      {"INVITE", 20, "Contact: <sip:alice@192.0.2.99>\n", Verdict::kAccept,
       "sip:alice@192.0.2.99"},  // re-INVITE moves the target; gaps ok
      {"ACK", 20, "", Verdict::kAccept, "sip:alice@192.0.2.99"},
      {"INFO", 21, "Contact: <sip:alice@192.0.2.50>\n", Verdict::kAccept,
       "sip:alice@192.0.2.99"},  // INFO refreshes nothing
      {"UPDATE", 22, "Contact: <sip:alice@192.0.2.51>\n", Verdict::kAccept, "sip:alice@192.0.2.51"},
      {"INVITE", 19, "Contact: <sip:evil@192.0.2.66>\n", Verdict::kOutOfOrder,
       "sip:alice@192.0.2.51"},  // refused: the target stays
  };
  Message inv = invite();
  auto d = uas_dialog(inv, "b9", false, DialogState::kConfirmed);
  ASSERT_TRUE(d.has_value());
  for (const Step& s : steps) {
    Message req = in_dialog(s.method, s.cseq, s.extra);
    EXPECT_EQ(check_request(&*d, req), s.verdict) << s.method << " " << s.cseq;
    EXPECT_EQ(d->remote_target, s.target_after) << s.method << " " << s.cseq;
  }
  EXPECT_EQ(status_of(Verdict::kOutOfOrder), 500);
  Message bye = in_dialog("BYE", 30);
  EXPECT_EQ(check_request(nullptr, bye), Verdict::kUnknown);
  EXPECT_EQ(status_of(Verdict::kUnknown), 481);
  d->state = DialogState::kTerminated;
  EXPECT_EQ(check_request(&*d, bye), Verdict::kUnknown) << "an ended dialog is unknown";
}

TEST(CheckRequest, TheFirstRequestOfTheCalleeSetsTheRemoteSequence) {
  Message ok = response(200, "b1", "Contact: <sip:bob@192.0.2.20>\n");
  auto d = uac_dialog(sent(), ok);
  ASSERT_TRUE(d.has_value());
  // Any first CSeq from the peer is in order (its sequence space is its own, §12.2.2).
  Message first =
      msg("BYE sip:alice@192.0.2.10 SIP/2.0\n"
          "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKb\n"
          "From: <sip:bob@example.com>;tag=b1\n"
          "To: \"Alice\" <sip:alice@example.com>;tag=a1\n"
          "Call-ID: c1@192.0.2.10\n"
          "CSeq: 3 BYE\n"
          "Content-Length: 0\n\n");
  EXPECT_EQ(check_request(&*d, first), Verdict::kAccept);
  EXPECT_EQ(d->remote_cseq, 3u);
}

TEST(RefreshResponse, A2xxToOurReInviteMovesTheTarget) {
  Message ok = response(200, "b1", "Contact: <sip:bob@192.0.2.20>\n");
  auto d = uac_dialog(sent(), ok);
  ASSERT_TRUE(d.has_value());
  on_refresh_response(*d, response(491, "b1", "Contact: <sip:bob@192.0.2.21>\n"));
  EXPECT_EQ(d->remote_target, "sip:bob@192.0.2.20");
  on_refresh_response(*d, response(200, "b1", "Contact: <sip:bob@192.0.2.22>\n"));
  EXPECT_EQ(d->remote_target, "sip:bob@192.0.2.22");
}

}  // namespace
}  // namespace cohort::sip::dialog
