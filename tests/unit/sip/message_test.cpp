// parse(): start lines, header lines (compact forms, folding, case), the eager fields,
// duplicates, mandatory headers, Content-Length on a datagram and the limits.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "sip/headers.hpp"

namespace cohort::sip {
namespace {

// A minimal valid OPTIONS with `extra` header lines inserted before Content-Length-less end.
std::string options(std::string_view extra = {},
                    std::string_view start = "OPTIONS sip:bob@example.com SIP/2.0") {
  std::string s(start);
  s += "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
       "From: <sip:alice@example.com>;tag=a1\r\n"
       "To: <sip:bob@example.com>\r\n"
       "Call-ID: c1@192.0.2.1\r\n"
       "CSeq: 1 OPTIONS\r\n";
  s += extra;
  s += "\r\n";
  return s;
}

ParseError error_of(std::string bytes, const ParseLimits& limits = {}) {
  auto m = parse(std::move(bytes), limits);
  EXPECT_FALSE(m.has_value());
  return m ? ParseError{} : m.error();
}

TEST(Parse, MinimalRequest) {
  auto m = parse(options());
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), Method::kOptions);
  EXPECT_EQ(m->request_uri(), "sip:bob@example.com");
  EXPECT_EQ(m->call_id(), "c1@192.0.2.1");
  EXPECT_EQ(m->cseq(), 1u);
  EXPECT_EQ(m->from_tag(), "a1");
  EXPECT_TRUE(m->to_tag().empty());
  EXPECT_EQ(m->top_via(), "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1");
  EXPECT_EQ(m->branch(), "z9hG4bK1");
  EXPECT_EQ(m->max_forwards(), -1);
  EXPECT_TRUE(m->body().empty());
  EXPECT_EQ(m->headers().size(), 5u);
}

TEST(Parse, ViewsPointIntoTheMessageAndSurviveAMove) {
  auto m = parse(options());
  ASSERT_TRUE(m.has_value());
  Message moved = std::move(*m);
  std::string_view bytes = moved.bytes();
  for (std::string_view v :
       {moved.call_id(), moved.branch(), moved.from_tag(), moved.request_uri(), moved.top_via()}) {
    EXPECT_GE(v.data(), bytes.data());
    EXPECT_LE(v.data() + v.size(), bytes.data() + bytes.size());
  }
  EXPECT_EQ(moved.call_id(), "c1@192.0.2.1");
}

TEST(Parse, CompactFormsMapToTheSameIds) {
  std::string s =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "v: SIP/2.0/TCP h.example.com;branch=z9hG4bKc\r\n"
      "f: <sip:a@example.com>;tag=x\r\n"
      "t: <sip:b@example.com>;tag=y\r\n"
      "i: compact@h\r\n"
      "CSeq: 2 INVITE\r\n"
      "m: <sip:a@h.example.com>\r\n"
      "c: text/plain\r\n"
      "e: gzip\r\n"
      "k: timer, 100rel\r\n"
      "s: subject\r\n"
      "o: presence\r\n"
      "r: <sip:c@example.com>\r\n"
      "u: talk, hold\r\n"
      "l: 5\r\n"
      "\r\nhello";
  auto m = parse(s);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->call_id(), "compact@h");
  EXPECT_EQ(m->from_tag(), "x");
  EXPECT_EQ(m->to_tag(), "y");
  EXPECT_EQ(m->branch(), "z9hG4bKc");
  EXPECT_EQ(m->header(HeaderId::kContact), "<sip:a@h.example.com>");
  EXPECT_EQ(m->header(HeaderId::kContentType), "text/plain");
  EXPECT_EQ(m->header(HeaderId::kContentEncoding), "gzip");
  EXPECT_EQ(m->header_values(HeaderId::kSupported).size(), 2u);
  EXPECT_EQ(m->body(), "hello");
  // o, r, s, u name headers without an id: kOther, compared by name.
  int others = 0;
  for (const Header& h : m->headers()) {
    others += h.id == HeaderId::kOther ? 1 : 0;
  }
  EXPECT_EQ(others, 4);
}

TEST(Parse, HeaderNamesAreCaseInsensitive) {
  std::string s =
      "BYE sip:bob@example.com SIP/2.0\r\n"
      "VIA: SIP/2.0/UDP h;branch=z9hG4bKu\r\n"
      "fRoM: <sip:a@example.com>;TAG=x\r\n"
      "to: <sip:b@example.com>;tag=y\r\n"
      "CALL-id: up@h\r\n"
      "cseq: 3 BYE\r\n"
      "MAX-FORWARDS: 9\r\n"
      "content-LENGTH: 0\r\n"
      "\r\n";
  auto m = parse(s);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->from_tag(), "x");  // parameter names are case-insensitive too
  EXPECT_EQ(m->max_forwards(), 9);
  EXPECT_EQ(m->method(), Method::kBye);
}

TEST(Parse, FoldingAndLwsAroundTheColon) {
  auto m = parse(options("Subject   :\tfirst line\r\n  second line\r\n\tthird\r\n"));
  ASSERT_TRUE(m.has_value());
  std::string_view subject;
  for (const Header& h : m->headers()) {
    if (h.name == "Subject") {
      subject = h.value;
    }
  }
  EXPECT_EQ(subject, "first line\r\n  second line\r\n\tthird");
}

TEST(Parse, MethodIsCaseSensitive) {
  std::string s = options({}, "options sip:bob@example.com SIP/2.0");
  // The lower-case method is another (extension) method; its CSeq says OPTIONS: mismatch.
  auto e = error_of(s);
  EXPECT_EQ(e.reason, "Bad CSeq: method mismatch");
}

TEST(Parse, StartLineErrors) {
  struct Row {
    const char* start;
    int status;
    const char* reason;
  };
  const Row rows[] = {
      {"OPTIONS sip:bob@example.com SIP/3.0", 505, "Version Not Supported"},
      {"OPTIONS sip:bob@example.com SIP/2.0.1", 505, "Version Not Supported"},
      {"OPTIONS sip:bob@example.com HTTP/1.1", 400, "SIP-Version"},
      {"OPTIONS sip:bob@example.com", 400, "Request-Line"},
      {"OPTIONS", 400, "Request-Line"},
      {"OPTIONS http://example.com/ SIP/2.0", 416, "Unsupported URI Scheme"},
      {"OPTIONS sip:bob@example.com:0 SIP/2.0", 400, "Request-URI: invalid port"},
      {"OPTIONS sip:bob@example.com:65536 SIP/2.0", 400, "Request-URI: invalid port"},
      {"OPTIONS sip:bob@exa%mple.com SIP/2.0", 400, "Request-URI"},
      {"OPT(IONS sip:bob@example.com SIP/2.0", 400, "Request-Line"},
      {"OPTIONS sip:bob@example.com\tSIP/2.0", 400, "Request-Line"},
  };
  for (const Row& r : rows) {
    auto e = error_of(options({}, r.start));
    EXPECT_EQ(e.status, r.status) << r.start << " → " << e.reason;
    EXPECT_NE(e.reason.find(r.reason), std::string::npos) << r.start << " → " << e.reason;
    EXPECT_TRUE(e.can_respond) << r.start;
  }
}

TEST(Parse, SipVersionIsCaseInsensitive) {
  // RFC 3261 §7.1: "The SIP-Version string is case-insensitive".
  EXPECT_TRUE(parse(options({}, "OPTIONS sip:bob@example.com sip/2.0")).has_value());
}

TEST(Parse, StatusLines) {
  auto resp = [](std::string_view line) {
    std::string s(line);
    s += "\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\nFrom: <sip:a@h>;tag=1\r\n"
         "To: <sip:b@h>;tag=2\r\nCall-ID: r@h\r\nCSeq: 1 INVITE\r\n\r\n";
    return parse(s);
  };
  auto ok = resp("SIP/2.0 180 Ringing");
  ASSERT_TRUE(ok.has_value());
  EXPECT_FALSE(ok->is_request());
  EXPECT_EQ(ok->status(), 180);
  EXPECT_EQ(ok->reason(), "Ringing");
  EXPECT_EQ(ok->cseq_method(), Method::kInvite);  // responses: no method to compare with
  EXPECT_EQ(resp("SIP/2.0 699 Whatever it is")->reason(), "Whatever it is");
  for (const char* bad : {"SIP/2.0 99 Low", "SIP/2.0 700 High", "SIP/2.0 2000 Long",
                          "SIP/2.0 20x Bad", "SIP/2.0  200 OK"}) {
    auto r = resp(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().status, 400) << bad;
    EXPECT_FALSE(r.error().can_respond) << bad;
  }
  auto v = resp("SIP/3.0 200 OK");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().status, 505);
  EXPECT_FALSE(v.error().can_respond);
}

TEST(Parse, MissingMandatoryHeaders) {
  struct Row {
    const char* drop;
    const char* reason;
  };
  const Row rows[] = {{"From:", "Missing From"},
                      {"To:", "Missing To"},
                      {"Call-ID:", "Missing Call-ID"},
                      {"CSeq:", "Missing CSeq"}};
  // With a Via the 400 is sent (RFC 4475 §3.3.1): the headers the request has are copied,
  // the missing one stays missing, and it goes where the Via as read says.
  for (const Row& r : rows) {
    std::string s = options();
    std::size_t at = s.find(r.drop);
    s.erase(at, s.find("\r\n", at) + 2 - at);
    auto e = error_of(s);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.reason, r.reason);
    ASSERT_TRUE(e.can_respond) << r.drop;
    EXPECT_TRUE(e.drop_reason.empty());
    EXPECT_EQ(e.top_via, "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1");
    EXPECT_EQ(e.response.rfind("SIP/2.0 400 " + std::string(r.reason) + "\r\n", 0), 0u);
    EXPECT_EQ(e.response.find(std::string("\r\n") + r.drop), std::string::npos) << e.response;
    for (const char* kept :
         {"\r\nVia: ", "\r\nFrom: ", "\r\nTo: ", "\r\nCall-ID: ", "\r\nCSeq: "}) {
      if (std::string(kept).find(r.drop) == std::string::npos) {
        EXPECT_NE(e.response.find(kept), std::string::npos) << kept << " in\n" << e.response;
      }
    }
  }
  // Without a Via nothing can be sent: dropped, with the reason.
  std::string s = options();
  std::size_t at = s.find("Via:");
  s.erase(at, s.find("\r\n", at) + 2 - at);
  auto e = error_of(s);
  EXPECT_EQ(e.reason, "Missing Via");
  EXPECT_FALSE(e.can_respond);
  EXPECT_TRUE(e.response.empty());
  EXPECT_EQ(e.drop_reason, kDropNoVia);
}

// The class of defect of issue 12: every malformed request that has a Via is answered 400
// naming the problem, whatever header it is in and however it is malformed.
TEST(Parse, EveryMalformedRequestWithAViaIsAnswered) {
  struct Row {
    const char* header;  ///< the line replaced ("To:") or, with "+", added
    const char* line;
    const char* reason;  ///< a part of the reason phrase
  };
  const Row rows[] = {
      // name-addr: unquoted display names with commas or quotes, unterminated quotes, <>.
      {"To:", "To: Bob, Jr <sip:bob@example.com>", "Bad To: display name must be a quoted"},
      {"From:", "From: Alice, Smith <sip:alice@example.com>;tag=a1", "Bad From"},
      {"To:", "To: \"Bob <sip:bob@example.com>", "Bad To: unterminated quoted string"},
      {"From:", "From: \"Al\\\" <sip:alice@example.com>;tag=a1", "Bad From: unterminated"},
      {"To:", "To: Receiver <<<sip:bob@example.com>>", "Bad To"},
      {"To:", "To: Receiver <sip:bob@example.com>>>>", "Bad To"},
      {"To:", "To: Receiver sip:bob@example.com>", "Bad To"},
      {"To:", "To: Receiver <sip:bob@example.com", "Bad To: missing closing angle bracket"},
      {"To:", "To: <sip:bob@example.com>=token", "Bad To"},
      {"From:", "From: <sip:alice@example.com>;;;=token", "Bad From: empty parameter"},
      {"To:", "To: <sip:bob@10.10.10.-1>", "Bad To: invalid host"},
      {"To:", "To:", "Bad To: empty value"},
      // Call-ID: callid = word ["@" word]
      {"Call-ID:", "Call-ID: @192.0.2.1", "Bad Call-ID"},
      {"Call-ID:", "Call-ID: c1@@@192.0.2.1", "Bad Call-ID"},
      {"Call-ID:", "Call-ID: c1@", "Bad Call-ID"},
      {"Call-ID:", "Call-ID: a b", "Bad Call-ID"},
      {"Call-ID:", "Call-ID:", "Bad Call-ID"},
      // numbers out of range
      {"CSeq:", "CSeq: 2147483648 OPTIONS", "Bad CSeq"},
      {"CSeq:", "CSeq: -1 OPTIONS", "Bad CSeq"},
      {"CSeq:", "CSeq: 99999999999999999999999999999 OPTIONS", "Bad CSeq"},
      {"+", "Max-Forwards: 256", "Bad Max-Forwards"},
      {"+", "Max-Forwards: -1", "Bad Max-Forwards"},
      {"+", "Content-Length: -1", "Bad Content-Length"},
      {"+", "Content-Length: 18446744073709551616", "Bad Content-Length"},
      {"+", "Content-Length: 1073741824", "Message Too Large"},
      // CSeq method
      {"CSeq:", "CSeq: 1 INVITE", "Bad CSeq: method mismatch"},
      {"CSeq:", "CSeq: 1 aaaaaaaaa", "Bad CSeq: method mismatch"},
      // Via: sent-protocol exactly SIP/2.0/transport, sent-by a host
      {"Via:", "Via: aaaa/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", "Bad Via: sent-protocol"},
      {"Via:", "Via: SIP/2.99999999999999999/UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via"},
      {"Via:", "Via: SIP/3.0/UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via: sent-protocol"},
      {"Via:", "Via: SIP/20/UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via: sent-protocol"},
      {"Via:", "Via: SIP/2./UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via"},
      {"Via:", "Via: SIP2.0/UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via"},
      {"Via:", "Via: /2.0/UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via"},
      {"Via:", "Via: SIP/////2.0/UDP 192.0.2.1;branch=z9hG4bK1", "Bad Via"},
      {"Via:", "Via: SIP/2.0/UDP 192.0.2.1;=token", "Bad Via: empty parameter"},
      {"Via:", "Via: SIP/2.0/UDP 10.10.10.-1;branch=z9hG4bK1", "Bad Via: invalid sent-by host"},
      {"Via:", "Via: SIP/2.0/UDP 1.2.3.4.5;branch=z9hG4bK1", "Bad Via: invalid sent-by host"},
      {"Via:", "Via: SIP/2.0/UDP 127.0.0.140000;branch=z9hG4bK1", "Bad Via: invalid sent-by"},
      {"Via:", "Via: SIP/2.0/UDP host-.example.com;branch=z9hG4bK1", "Bad Via: invalid sent-by"},
      {"Via:", "Via: SIP/2.0/UDP 192.0.2.1:99999;branch=z9hG4bK1", "Bad Via: invalid port"},
      {"Via:", "Via: SIP/2.0/UDP 192.0.2.1:::5060;branch=z9hG4bK1", "Bad Via"},
      // via-branch = "branch" EQUAL token, once: the transaction's one id
      {"Via:", "Via: SIP/2.0/UDP 192.0.2.1;branch;branch=z9hG4bK1",
       "Bad Via: branch without a value"},
      {"Via:", "Via: SIP/2.0/UDP 192.0.2.1;branch=", "Bad Via"},
      {"Via:", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;BRANCH=z9hG4bK2",
       "Bad Via: more than one branch"},
      // header lines
      {"+", "NoColonHere", "Bad header line: missing colon"},
  };
  for (const Row& r : rows) {
    std::string s = options();
    if (std::string_view(r.header) == "+") {
      s = options(std::string(r.line) + "\r\n");
    } else {
      std::size_t at = s.find(r.header);
      s.replace(at, s.find("\r\n", at) - at, r.line);
    }
    auto e = error_of(s);
    EXPECT_NE(e.reason.find(r.reason), std::string::npos) << r.line << " → " << e.reason;
    EXPECT_TRUE(e.can_respond) << r.line << " → dropped: " << e.drop_reason;
    EXPECT_EQ(e.response.rfind("SIP/2.0 " + std::to_string(e.status) + " " + e.reason + "\r\n", 0),
              0u)
        << r.line;
    EXPECT_FALSE(e.top_via.empty()) << r.line;
  }
  // A Request-URI with spaces.
  for (const char* start :
       {"OPTIONS sip:bob smith@example.com SIP/2.0", "OPTIONS sip:bob@example.com;x=a b SIP/2.0",
        "OPTIONS  sip:bob@example.com SIP/2.0"}) {
    auto e = error_of(options({}, start));
    EXPECT_EQ(e.status, 400) << start;
    EXPECT_NE(e.reason.find("Request-"), std::string::npos) << start << " → " << e.reason;
    EXPECT_TRUE(e.can_respond) << start;
  }
}

// RFC 3261 §25.1: sent-protocol is SIP/2.0/transport for a SIP/2.0 element; sent-by a
// hostname (labels of alphanum and inner "-", a top label starting with a letter) or an
// IPv4address or IPv6reference.
TEST(Parse, ViaSentProtocolAndHostFollowTheGrammar) {
  for (const char* via :
       {"aaaa/2.0/UDP 192.0.2.1", "SIP/2.99999999999999999/UDP 192.0.2.1", "SIP/3.0/UDP 192.0.2.1",
        "SIP/20/UDP 192.0.2.1", "SIP/2./UDP 192.0.2.1", "SIP/.0/UDP 192.0.2.1",
        "SIP2.0/UDP 192.0.2.1", "/2.0/UDP 192.0.2.1", "SIP/////2.0/UDP 192.0.2.1",
        "%s%s/2.0/UDP 192.0.2.1", "SIP/2.0/UDP 10.10.10.-1", "SIP/2.0/UDP 1.2.3.4.5",
        "SIP/2.0/UDP 127.0.0.140000", "SIP/2.0/UDP host-.example.com",
        "SIP/2.0/UDP -host.example.com", "SIP/2.0/UDP a..b", "SIP/2.0/UDP 123"}) {
    auto v = parse_via(std::string(via) + ";branch=z9hG4bK1");
    ASSERT_FALSE(v.has_value()) << via;
    EXPECT_EQ(v.error().status, 400) << via;
    EXPECT_EQ(v.error().reason.rfind("Bad Via: ", 0), 0u) << via << " → " << v.error().reason;
  }
  for (const char* uri : {"sip:bob@10.10.10.-1", "sip:bob@1.2.3.4.5", "sip:bob@host-"}) {
    EXPECT_FALSE(parse_uri(uri).has_value()) << uri;
  }
  EXPECT_TRUE(parse_uri("sip:bob@a_b.example.com").has_value());
  EXPECT_TRUE(parse_uri("sip:bob@10.10.10.256").has_value());  // 1*3DIGIT per §25.1
}

// RFC 3261 §20.19: "Malformed values SHOULD be treated as equivalent to 3600" — an Expires
// out of range or not a number is the registrar's to read as an hour, not a parse error.
TEST(Parse, MalformedExpiresIsNotAParseError) {
  for (const char* expires : {"Expires: 4294967296\r\n", "Expires: -1\r\n", "Expires: 1x\r\n"}) {
    EXPECT_TRUE(parse(options(expires)).has_value()) << expires;
  }
}

TEST(Parse, ViaHostsAndVersionsThatAreValid) {
  for (const char* via :
       {"Via: SIP/2.0/UDP 10.10.10.256;branch=z9hG4bK1",  // 1*3DIGIT: an IPv4address by §25
        "Via: SIP/2.0/UDP a_b.example.com;branch=z9hG4bK1",
        "Via: SIP/2.0/UDP example.com.;branch=z9hG4bK1",
        "Via: sip / 2.0 / udp host9.example.com:5060 ;branch=z9hG4bK1",
        "Via: SIP/2.0/SCTP [2001:db8::1]:5060;branch=z9hG4bK1",
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport"}) {
    std::string s = options();
    std::size_t at = s.find("Via:");
    s.replace(at, s.find("\r\n", at) - at, via);
    auto m = parse(s);
    EXPECT_TRUE(m.has_value()) << via << " → " << (m ? "" : m.error().reason);
  }
}

// A legal Call-ID is accepted at any length a message can hold (RFC 3261 §25.1 has no bound).
TEST(Parse, LongCallIdsAreLegal) {
  for (std::size_t n : {100u, 8191u, 8192u, 9000u, 40000u}) {
    std::string id(n, 'a');
    id += "@192.0.2.1";
    std::string s = options();
    std::size_t at = s.find("Call-ID:");
    s.replace(at, s.find("\r\n", at) - at, "Call-ID: " + id);
    auto m = parse(s);
    ASSERT_TRUE(m.has_value()) << n << ": " << m.error().reason;
    EXPECT_EQ(m->call_id(), id);
  }
}

// Messages that cannot be answered are dropped, each with its reason.
TEST(Parse, UnanswerableMessagesSayWhy) {
  EXPECT_EQ(error_of("INVITE sip:a@h SIP/2.0").drop_reason, kDropNoStartLine);
  EXPECT_EQ(error_of("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n").drop_reason,
            kDropResponse);
  std::string ack = options({}, "ACK sip:bob@example.com SIP/2.0");  // CSeq says OPTIONS
  EXPECT_EQ(error_of(ack).drop_reason, kDropAck);
  // The Via glued to the start line (a missing CRLF): no Via header to answer to.
  std::string glued = options({}, "OPTIONS sip:bob@example.com SIP/2.0Via: SIP/2.0/UDP h");
  const std::string via_line = "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1";
  glued.erase(glued.find(via_line), via_line.size());
  auto e = error_of(glued);
  EXPECT_FALSE(e.can_respond);
}

// A line over the limit, or headers past the count limit, are not read, but the headers
// around them still address the 400.
TEST(Parse, LimitsStillAnswer) {
  ParseLimits small;
  small.max_headers = 8;
  small.max_header_bytes = 100;
  std::string s = "OPTIONS sip:bob@example.com SIP/2.0\r\nSubject: " + std::string(200, 'y') +
                  "\r\n" + options().substr(options().find("Via:"));
  auto e = error_of(s, small);
  EXPECT_EQ(e.reason, "Header line too long");
  EXPECT_TRUE(e.can_respond);
  std::string many = "OPTIONS sip:bob@example.com SIP/2.0\r\n";
  for (int i = 0; i < 10; ++i) {
    many += "X-" + std::to_string(i) + ": 1\r\n";
  }
  many += options().substr(options().find("Via:"));
  auto f = error_of(many, small);
  EXPECT_EQ(f.reason, "Too many headers");
  EXPECT_TRUE(f.can_respond);
}

TEST(Parse, DuplicateSingleValuedHeaders) {
  for (const char* dup :
       {"Call-ID: other@h\r\n", "CSeq: 2 OPTIONS\r\n", "From: <sip:x@example.com>;tag=2\r\n",
        "To: <sip:y@example.com>\r\n", "Max-Forwards: 70\r\nMax-Forwards: 69\r\n",
        "Content-Length: 0\r\nl: 1\r\n"}) {
    auto e = error_of(options(dup));
    EXPECT_EQ(e.status, 400) << dup;
    EXPECT_NE(e.reason.find("Multiple"), std::string::npos) << dup << e.reason;
    EXPECT_TRUE(e.can_respond);
  }
  // The same value twice is redundant, not ambiguous.
  EXPECT_TRUE(parse(options("Call-ID: c1@192.0.2.1\r\n")).has_value());
}

TEST(Parse, CSeqChecks) {
  struct Row {
    const char* cseq;
    const char* reason;  ///< empty: valid
  };
  const Row rows[] = {
      {"CSeq: 2147483647 OPTIONS", ""},
      {"CSeq: 0 OPTIONS", ""},
      {"CSeq:   7\r\n  OPTIONS", ""},
      {"CSeq: 2147483648 OPTIONS", "Bad CSeq: sequence number too large"},
      {"CSeq: -1 OPTIONS", "Bad CSeq: missing sequence number"},
      {"CSeq: OPTIONS", "Bad CSeq: missing sequence number"},
      {"CSeq: 1", "Bad CSeq: missing method"},
      {"CSeq: 1OPTIONS", "Bad CSeq: missing method"},
      {"CSeq: 1 OPTIONS extra", "Bad CSeq: invalid method"},
      {"CSeq: 1 INVITE", "Bad CSeq: method mismatch"},
  };
  for (const Row& r : rows) {
    std::string s = options();
    std::size_t at = s.find("CSeq:");
    s.replace(at, s.find("\r\n", at) - at, r.cseq);
    auto m = parse(s);
    if (*r.reason == '\0') {
      EXPECT_TRUE(m.has_value()) << r.cseq << " → " << m.error().reason;
    } else {
      ASSERT_FALSE(m.has_value()) << r.cseq;
      EXPECT_EQ(m.error().reason, r.reason) << r.cseq;
    }
  }
  auto c = parse_cseq("101 INVITE");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->number, 101u);
  EXPECT_EQ(c->method, Method::kInvite);
  EXPECT_EQ(c->method_token, "INVITE");
  EXPECT_EQ(parse_cseq("5 FOO")->method, Method::kUnknown);
}

TEST(Parse, MaxForwardsRange) {
  EXPECT_EQ(parse(options("Max-Forwards: 255\r\n"))->max_forwards(), 255);
  EXPECT_EQ(parse(options("Max-Forwards: 0\r\n"))->max_forwards(), 0);
  for (const char* bad : {"Max-Forwards: 256\r\n", "Max-Forwards: -1\r\n", "Max-Forwards: ten\r\n",
                          "Max-Forwards:\r\n"}) {
    EXPECT_EQ(error_of(options(bad)).reason, "Bad Max-Forwards") << bad;
  }
}

TEST(Parse, CallIdGrammar) {
  EXPECT_TRUE(parse(options("Call-ID: c1@192.0.2.1\r\n")).has_value());
  std::string b64 = options();
  std::size_t b64_at = b64.find("Call-ID:");
  b64.replace(b64_at, b64.find("\r\n", b64_at) - b64_at, "Call-ID: YWJj+/==@host");
  EXPECT_EQ(parse(b64)->call_id(), "YWJj+/==@host");  // read leniently: '=' is not in word
  std::string s = options();
  std::size_t at = s.find("Call-ID:");
  s.replace(at, s.find("\r\n", at) - at, "Call-ID: a b");
  EXPECT_EQ(error_of(s).reason, "Bad Call-ID");
}

TEST(Parse, ContentLengthOnADatagram) {
  auto m = parse(options("Content-Length: 3\r\n") + "abcdef");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body(), "abc");  // RFC 3261 §18.3: the excess is discarded
  EXPECT_EQ(parse(options() + "abcdef")->body(), "abcdef");  // absent: the rest is body
  auto e = error_of(options("Content-Length: 7\r\n") + "abcdef");
  EXPECT_EQ(e.reason, "Content-Length larger than message");
  EXPECT_TRUE(e.can_respond);
  EXPECT_EQ(error_of(options("Content-Length: 1x\r\n")).reason, "Bad Content-Length");
  EXPECT_EQ(error_of(options("Content-Length: 99999999999999999999\r\n")).reason,
            "Bad Content-Length");
}

TEST(Parse, HeaderLineErrors) {
  EXPECT_EQ(error_of(options("NoColonHere\r\n")).reason, "Bad header line: missing colon");
  EXPECT_EQ(error_of(options("Bad Name: x\r\n")).reason, "Bad header line: missing colon");
  EXPECT_EQ(error_of(options(": empty name\r\n")).reason, "Bad header line: missing colon");
  // A continuation right after the start line has no header to continue.
  std::string s = options();
  s.insert(s.find("\r\n") + 2, " folded\r\n");
  EXPECT_EQ(error_of(s).reason, "Bad header line: continuation without a header");
  // No empty line: the head never ends.
  std::string cut = options();
  cut.resize(cut.size() - 2);
  EXPECT_EQ(error_of(cut).reason, "Missing empty line after headers");
  EXPECT_EQ(error_of("").reason, "Missing end of start line");
  EXPECT_EQ(error_of("\r\n\r\n").reason, "Missing end of start line");
}

TEST(Parse, BareLineFeedsAreTolerated) {
  std::string s = options();
  std::string lf;
  for (char c : s) {
    if (c != '\r') {
      lf += c;
    }
  }
  auto m = parse(lf);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->call_id(), "c1@192.0.2.1");
}

TEST(Parse, LeadingKeepalivesAreSkipped) {
  auto m = parse("\r\n\r\n" + options());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), Method::kOptions);
}

TEST(Parse, Limits) {
  ParseLimits tiny;
  tiny.max_message_bytes = 300;
  auto big = error_of(options() + std::string(400, 'x'), tiny);
  EXPECT_EQ(big.status, 513);
  EXPECT_EQ(big.reason, "Message Too Large");
  EXPECT_TRUE(big.can_respond);
  ParseLimits small;
  small.max_headers = 8;
  small.max_header_bytes = 100;
  auto many = error_of(options("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), small);
  EXPECT_EQ(many.status, 400);
  EXPECT_EQ(many.reason, "Too many headers");
  auto longline = error_of(options("Subject: " + std::string(120, 'y') + "\r\n"), small);
  EXPECT_EQ(longline.reason, "Header line too long");
  // Folding counts towards the line.
  auto folded = error_of(
      options("Subject: " + std::string(60, 'y') + "\r\n " + std::string(60, 'z') + "\r\n"), small);
  EXPECT_EQ(folded.reason, "Header line too long");
  auto start = error_of(options({}, "OPTIONS sip:" + std::string(120, 'u') + "@h SIP/2.0"), small);
  EXPECT_EQ(start.reason, "Start line too long");
}

TEST(Parse, AckIsNeverAnswered) {
  std::string s =
      "ACK sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: a@h\r\nCSeq: 1 INVITE\r\n\r\n";
  auto e = error_of(s);
  EXPECT_EQ(e.reason, "Bad CSeq: method mismatch");
  EXPECT_FALSE(e.can_respond);
}

TEST(Parse, ErrorResponseIsComplete) {
  std::string s =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
      "Via: SIP/2.0/TCP b.example.com;branch=z9hG4bK2\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: e@h\r\nCSeq: 1 INVITE\r\n"
      "Max-Forwards: 300\r\n\r\n";
  auto e = error_of(s);
  ASSERT_TRUE(e.can_respond);
  auto r = parse(e.response);
  ASSERT_TRUE(r.has_value()) << e.response;
  EXPECT_EQ(r->status(), 400);
  EXPECT_EQ(r->reason(), "Bad Max-Forwards");
  EXPECT_EQ(r->header_values(HeaderId::kVia).size(), 2u);
  EXPECT_EQ(r->branch(), "z9hG4bK1");
  EXPECT_EQ(r->call_id(), "e@h");
  EXPECT_EQ(r->cseq(), 1u);
  EXPECT_EQ(r->from_tag(), "1");
  EXPECT_FALSE(r->to_tag().empty());
  // A retransmission gets the same tag.
  EXPECT_EQ(error_of(s).response, e.response);
}

TEST(Names, MethodsRoundTrip) {
  for (auto m :
       {Method::kInvite, Method::kAck, Method::kBye, Method::kCancel, Method::kRegister,
        Method::kOptions, Method::kInfo, Method::kUpdate, Method::kPrack, Method::kSubscribe,
        Method::kNotify, Method::kRefer, Method::kMessage, Method::kPublish}) {
    EXPECT_EQ(parse_method(to_string(m)), m) << to_string(m);
  }
  EXPECT_EQ(parse_method("invite"), Method::kUnknown);
  EXPECT_EQ(parse_method(""), Method::kUnknown);
  EXPECT_TRUE(to_string(Method::kUnknown).empty());
}

TEST(Names, HeaderIdsRoundTrip) {
  for (int i = 1; i <= static_cast<int>(HeaderId::kTimestamp); ++i) {
    auto id = static_cast<HeaderId>(i);
    std::string_view name = header_name(id);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(header_id(name), id) << name;
    std::string upper(name);
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(header_id(upper), id) << upper;
  }
  EXPECT_EQ(header_id("X-Custom"), HeaderId::kOther);
  EXPECT_EQ(header_id("s"), HeaderId::kOther);
  EXPECT_EQ(header_id("V"), HeaderId::kVia);
  EXPECT_TRUE(header_name(HeaderId::kOther).empty());
}

}  // namespace
}  // namespace cohort::sip
