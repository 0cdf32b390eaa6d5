// MessageBuilder, make_response (RFC 3261 §8.2.6), stamp_via (§18.2.1, RFC 3581 §4) and
// default_reason: build → parse → the same values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/headers.hpp"
#include "unit/sip/corpus.hpp"

namespace cohort::sip {
namespace {

TEST(MessageBuilder, RequestRoundTrip) {
  std::string sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";
  std::string wire = MessageBuilder::request(Method::kInvite, "sip:bob@example.com")
                         .header(HeaderId::kVia, "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1")
                         .header(HeaderId::kMaxForwards, "70")
                         .header(HeaderId::kFrom, "\"Alice\" <sip:alice@example.com>;tag=f1")
                         .header(HeaderId::kTo, "<sip:bob@example.com>")
                         .header(HeaderId::kCallId, "built@192.0.2.1")
                         .header(HeaderId::kCSeq, "7 INVITE")
                         .header("X-Custom", "yes")
                         .header(HeaderId::kContentLength, "999")  // ignored: str() owns it
                         .body("application/sdp", sdp)
                         .str();
  EXPECT_EQ(wire.substr(0, 36), "INVITE sip:bob@example.com SIP/2.0\r\n");
  EXPECT_NE(wire.find("\r\nMax-Forwards: 70\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nContent-Type: application/sdp\r\n"), std::string::npos);
  EXPECT_EQ(wire.find("999"), std::string::npos);
  auto m = parse(wire);
  ASSERT_TRUE(m.has_value()) << m.error().reason << "\n" << wire;
  EXPECT_EQ(m->method(), Method::kInvite);
  EXPECT_EQ(m->request_uri(), "sip:bob@example.com");
  EXPECT_EQ(m->branch(), "z9hG4bKb1");
  EXPECT_EQ(m->from_tag(), "f1");
  EXPECT_EQ(m->call_id(), "built@192.0.2.1");
  EXPECT_EQ(m->cseq(), 7u);
  EXPECT_EQ(m->max_forwards(), 70);
  EXPECT_EQ(m->body(), sdp);
  EXPECT_EQ(m->header(HeaderId::kContentLength), std::to_string(sdp.size()));
  // Header order is kept.
  std::vector<std::string_view> names;
  for (const Header& h : m->headers()) {
    names.push_back(h.name);
  }
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq",
                                           "X-Custom", "Content-Type", "Content-Length"}));
}

TEST(MessageBuilder, BodyReplacesContentType) {
  std::string wire = MessageBuilder::response(200, "OK")
                         .header(HeaderId::kContentType, "text/plain")
                         .body("application/sdp", "v=0\r\n")
                         .str();
  EXPECT_EQ(wire.find("text/plain"), std::string::npos);
  EXPECT_NE(wire.find("Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"),
            std::string::npos);
}

/// Every accessor of a Message, for comparing the built value with the parsed wire form.
void expect_same(const Message& built, const Message& parsed) {
  EXPECT_EQ(built.bytes(), parsed.bytes());
  EXPECT_EQ(built.is_request(), parsed.is_request());
  EXPECT_EQ(built.method(), parsed.method());
  EXPECT_EQ(built.method_token(), parsed.method_token());
  EXPECT_EQ(built.request_uri(), parsed.request_uri());
  EXPECT_EQ(built.status(), parsed.status());
  EXPECT_EQ(built.reason(), parsed.reason());
  ASSERT_EQ(built.headers().size(), parsed.headers().size()) << built.bytes();
  for (std::size_t i = 0; i < built.headers().size(); ++i) {
    EXPECT_EQ(built.headers()[i].id, parsed.headers()[i].id) << i;
    EXPECT_EQ(built.headers()[i].name, parsed.headers()[i].name) << i;
    EXPECT_EQ(built.headers()[i].value, parsed.headers()[i].value) << i;
  }
  EXPECT_EQ(built.body(), parsed.body());
  EXPECT_EQ(built.call_id(), parsed.call_id());
  EXPECT_EQ(built.cseq(), parsed.cseq());
  EXPECT_EQ(built.cseq_method(), parsed.cseq_method());
  EXPECT_EQ(built.cseq_method_token(), parsed.cseq_method_token());
  EXPECT_EQ(built.from_tag(), parsed.from_tag());
  EXPECT_EQ(built.to_tag(), parsed.to_tag());
  EXPECT_EQ(built.top_via(), parsed.top_via());
  EXPECT_EQ(built.branch(), parsed.branch());
  EXPECT_EQ(built.max_forwards(), parsed.max_forwards());
}

// message() is the value parse(str()) would give, without the parse: requests and
// responses, with and without a body, several Vias, a Via list in one header, Content-Type
// given as a header, compact and unknown header names.
TEST(MessageBuilder, MessageIsTheValueTheWireFormParsesTo) {
  auto base = [](MessageBuilder b) {
    b.header(HeaderId::kVia,
             "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfirst;rport, "
             "SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKsecond")
        .header(HeaderId::kVia, "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKthird")
        .header(HeaderId::kMaxForwards, "69")
        .header(HeaderId::kFrom, "\"A, B\" <sip:a@example.com;x=y>;tag=ft")
        .header(HeaderId::kTo, "sip:b@example.com;tag=tt")
        .header(HeaderId::kCallId, "c1@192.0.2.1")
        .header(HeaderId::kCSeq, "42 BYE")
        .header("X-Other", "v")
        .header("m", "<sip:a@192.0.2.1>");
    return b;
  };
  std::vector<MessageBuilder> cases;
  cases.push_back(base(MessageBuilder::request(Method::kBye, "sip:b@192.0.2.2;transport=tcp")));
  cases.push_back(base(MessageBuilder::response(486, "Busy Here")));
  cases.push_back(base(MessageBuilder::request(Method::kBye, "sip:b@example.com"))
                      .body("application/sdp", "v=0\r\ns=-\r\n"));
  cases.push_back(base(MessageBuilder::response(200, "OK"))
                      .header(HeaderId::kContentType, "text/plain")
                      .body("application/sdp", "v=0\r\n"));
  cases.push_back(MessageBuilder::request(Method::kOptions, "sip:x@y")
                      .header(HeaderId::kVia, "SIP/2.0/UDP h;branch=z9hG4bKo")
                      .header(HeaderId::kFrom, "<sip:x@y>;tag=1")
                      .header(HeaderId::kTo, "<sip:x@y>")
                      .header(HeaderId::kCallId, "o@h")
                      .header(HeaderId::kCSeq, "1 OPTIONS"));
  for (MessageBuilder& b : cases) {
    const std::string wire = b.str();
    auto parsed = parse(wire);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason << "\n" << wire;
    Message built = std::move(b).message();
    SCOPED_TRACE(wire);
    expect_same(built, *parsed);
    // The views point into the value's own buffer, which survives a move.
    Message moved = std::move(built);
    expect_same(moved, *parsed);
  }
}

TEST(MakeResponse, CopiesTheTransactionHeaders) {
  auto req = parse(test::corpus("invite"));
  ASSERT_TRUE(req.has_value());
  std::string wire = make_response(*req, 486, "", "totag1").header("Retry-After", "30").str();
  auto r = parse(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason << "\n" << wire;
  EXPECT_EQ(r->status(), 486);
  EXPECT_EQ(r->reason(), "Busy Here");  // empty reason → default_reason
  EXPECT_EQ(r->top_via(), req->top_via());
  EXPECT_EQ(r->branch(), req->branch());
  EXPECT_EQ(r->call_id(), req->call_id());
  EXPECT_EQ(r->cseq(), req->cseq());
  EXPECT_EQ(r->cseq_method(), Method::kInvite);
  EXPECT_EQ(r->from_tag(), req->from_tag());
  EXPECT_EQ(r->to_tag(), "totag1");
  EXPECT_TRUE(r->header(HeaderId::kContact) == std::nullopt);
  EXPECT_EQ(r->body(), "");
}

TEST(MakeResponse, ViasInOrderWithTheTopReplaced) {
  std::string s =
      "INVITE sip:b@h SIP/2.0\r\n"
      "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP "
      "p2.example.com;branch=z9hG4bKp2\r\n"
      "Via: SIP/2.0/UDP ua.example.com;branch=z9hG4bKua\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=existing\r\nCall-ID: v@h\r\n"
      "CSeq: 4 INVITE\r\nTimestamp: 54\r\n\r\n";
  auto req = parse(s);
  ASSERT_TRUE(req.has_value());
  std::string stamped = stamp_via(req->top_via(), "192.0.2.99", 5080);
  auto r = parse(make_response(*req, 200, "OK", "ignored", stamped).str());
  ASSERT_TRUE(r.has_value());
  auto vias = r->header_values(HeaderId::kVia);
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0], stamped);
  EXPECT_EQ(vias[1], "SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2");
  EXPECT_EQ(vias[2], "SIP/2.0/UDP ua.example.com;branch=z9hG4bKua");
  EXPECT_EQ(r->to_tag(), "existing");  // the request already had one
  EXPECT_FALSE(r->header(HeaderId::kTimestamp).has_value());
  // 100 Trying: no To tag, Timestamp echoed (RFC 3261 §8.2.6.1).
  auto trying = parse(make_response(*req, 100, "Trying", "t").str());
  ASSERT_TRUE(trying.has_value());
  EXPECT_EQ(trying->header(HeaderId::kTimestamp), "54");
}

TEST(MakeResponse, NoTagOn100) {
  auto req = parse(test::corpus("invite"));
  auto r = parse(make_response(*req, 100, "Trying", "tag").str());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->to_tag().empty());
}

TEST(StampVia, Cases) {
  struct Row {
    const char* via;
    const char* ip;
    std::uint16_t port;
    const char* expected;
  };
  const Row rows[] = {
      // sent-by is the source: nothing to add.
      {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", "192.0.2.1", 5060,
       "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1"},
      // a domain name or another address: received (RFC 3261 §18.2.1).
      {"SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1", "192.0.2.1", 5060,
       "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1;received=192.0.2.1"},
      {"SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1", "192.0.2.1", 1024,
       "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;received=192.0.2.1"},
      // RFC 3581 §4: rport filled, received added even when the address matches.
      {"SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1", "192.0.2.1", 9988,
       "SIP/2.0/UDP 192.0.2.1:5060;rport=9988;branch=z9hG4bK1;received=192.0.2.1"},
      {"SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKkjshdyff;rport", "192.0.2.1", 9988,
       "SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKkjshdyff;rport=9988;received=192.0.2.1"},
      // an existing received is replaced, not duplicated.
      {"SIP/2.0/UDP h;received=1.1.1.1;branch=z9hG4bK1", "192.0.2.1", 5060,
       "SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.1"},
      // IPv6: compared without brackets, received without brackets (RFC 5118 §4.5).
      {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1", "[2001:DB8::1]", 5060,
       "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1"},
      {"SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;rport", "2001:db8::2", 5062,
       "SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;rport=5062;received=2001:db8::2"},
      // LWS in the original is kept where it does not matter.
      {"SIP / 2.0 / UDP host ; branch = z9hG4bK1 ; rport", "192.0.2.1", 7,
       "SIP / 2.0 / UDP host;branch = z9hG4bK1;rport=7;received=192.0.2.1"},
      // no params at all
      {"SIP/2.0/TCP host", "192.0.2.1", 7, "SIP/2.0/TCP host;received=192.0.2.1"},
  };
  for (const Row& r : rows) {
    std::string out = stamp_via(r.via, r.ip, r.port);
    EXPECT_EQ(out, r.expected) << r.via;
    EXPECT_TRUE(parse_via(out).has_value()) << out;
  }
  // Unparseable: returned as is (the caller already rejected the request).
  EXPECT_EQ(stamp_via("garbage", "192.0.2.1", 1), "garbage");
}

TEST(DefaultReason, Table) {
  EXPECT_EQ(default_reason(100), "Trying");
  EXPECT_EQ(default_reason(180), "Ringing");
  EXPECT_EQ(default_reason(200), "OK");
  EXPECT_EQ(default_reason(404), "Not Found");
  EXPECT_EQ(default_reason(416), "Unsupported URI Scheme");
  EXPECT_EQ(default_reason(481), "Call/Transaction Does Not Exist");
  EXPECT_EQ(default_reason(505), "Version Not Supported");
  EXPECT_EQ(default_reason(513), "Message Too Large");
  EXPECT_EQ(default_reason(603), "Decline");
  EXPECT_EQ(default_reason(299), "Unknown");
  EXPECT_EQ(default_reason(0), "Unknown");
}

}  // namespace
}  // namespace cohort::sip
