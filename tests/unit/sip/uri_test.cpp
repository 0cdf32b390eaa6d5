// URIs (RFC 3261 §19.1, §25.1; RFC 3966 tel:): parsing, escapes, equivalence (§19.1.4).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sip/headers.hpp"

namespace cohort::sip {
namespace {

struct UriRow {
  const char* text;
  Uri::Scheme scheme;
  const char* user;
  const char* password;
  const char* host;
  std::optional<std::uint16_t> port;
  std::size_t params;
  const char* headers;
};

TEST(ParseUri, Valid) {
  const UriRow rows[] = {
      {"sip:alice@atlanta.com", Uri::Scheme::kSip, "alice", "", "atlanta.com", {}, 0, ""},
      {"SIP:alice@atlanta.com", Uri::Scheme::kSip, "alice", "", "atlanta.com", {}, 0, ""},
      {"sip:alice:secretword@atlanta.com;transport=tcp",
       Uri::Scheme::kSip,
       "alice",
       "secretword",
       "atlanta.com",
       {},
       1,
       ""},
      {"sips:alice@atlanta.com?subject=project%20x&priority=urgent",
       Uri::Scheme::kSips,
       "alice",
       "",
       "atlanta.com",
       {},
       0,
       "subject=project%20x&priority=urgent"},
      {"sip:+1-212-555-1212:1234@gateway.com;user=phone",
       Uri::Scheme::kSip,
       "+1-212-555-1212",
       "1234",
       "gateway.com",
       {},
       1,
       ""},
      {"sips:1212@gateway.com", Uri::Scheme::kSips, "1212", "", "gateway.com", {}, 0, ""},
      {"sip:alice@192.0.2.4", Uri::Scheme::kSip, "alice", "", "192.0.2.4", {}, 0, ""},
      {"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
       Uri::Scheme::kSip,
       "",
       "",
       "atlanta.com",
       {},
       1,
       "to=alice%40atlanta.com"},
      {"sip:alice;day=tuesday@atlanta.com",
       Uri::Scheme::kSip,
       "alice;day=tuesday",
       "",
       "atlanta.com",
       {},
       0,
       ""},
      {"sip:[2001:db8::10]", Uri::Scheme::kSip, "", "", "[2001:db8::10]", {}, 0, ""},
      {"sip:bob@[2001:db8::10]:5070;lr", Uri::Scheme::kSip, "bob", "", "[2001:db8::10]", 5070, 1,
       ""},
      {"sip:bob@[::ffff:192.0.2.1]", Uri::Scheme::kSip, "bob", "", "[::ffff:192.0.2.1]", {}, 0, ""},
      {"sip:host.example.com:1", Uri::Scheme::kSip, "", "", "host.example.com", 1, 0, ""},
      {"sip:host.example.com:65535", Uri::Scheme::kSip, "", "", "host.example.com", 65535, 0, ""},
      {"sip:%61lice@atlanta.com", Uri::Scheme::kSip, "%61lice", "", "atlanta.com", {}, 0, ""},
      {"sip:alice:@atlanta.com", Uri::Scheme::kSip, "alice", "", "atlanta.com", {}, 0, ""},
      {"sip:edge.example.com;lr;maddr=192.0.2.1;x-%41=%42",
       Uri::Scheme::kSip,
       "",
       "",
       "edge.example.com",
       {},
       3,
       ""},
      {"tel:+1-201-555-0123", Uri::Scheme::kTel, "+1-201-555-0123", "", "", {}, 0, ""},
      {"tel:7042;phone-context=example.com", Uri::Scheme::kTel, "7042", "", "", {}, 1, ""},
      {"tel:863-1234;phone-context=+1-914-555", Uri::Scheme::kTel, "863-1234", "", "", {}, 1, ""},
      {"TEL:*21#", Uri::Scheme::kTel, "*21#", "", "", {}, 0, ""},
  };
  for (const UriRow& r : rows) {
    auto u = parse_uri(r.text);
    ASSERT_TRUE(u.has_value()) << r.text << ": " << u.error().reason;
    EXPECT_EQ(u->scheme, r.scheme) << r.text;
    EXPECT_EQ(u->user, r.user) << r.text;
    EXPECT_EQ(u->password, r.password) << r.text;
    EXPECT_EQ(u->host, r.host) << r.text;
    EXPECT_EQ(u->port, r.port) << r.text;
    EXPECT_EQ(u->params.size(), r.params) << r.text;
    EXPECT_EQ(u->headers, r.headers) << r.text;
  }
}

TEST(ParseUri, Params) {
  auto u = parse_uri("sip:proxy.example.com;transport=TCP;lr;ttl=15;maddr=239.255.255.1");
  ASSERT_TRUE(u.has_value());
  ASSERT_EQ(u->params.size(), 4u);
  EXPECT_EQ(u->params[0], (Param{"transport", "TCP", true}));
  EXPECT_EQ(u->params[1], (Param{"lr", "", false}));
  EXPECT_EQ(find_param(u->params, "TTL"), "15");
  EXPECT_EQ(find_param(u->params, "maddr"), "239.255.255.1");
  EXPECT_FALSE(find_param(u->params, "user").has_value());
  auto t = parse_uri("tel:+1-201-555-0123;ext=1234;isub=5;phone-context=+1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(find_param(t->params, "ext"), "1234");
}

TEST(ParseUri, Invalid) {
  struct Row {
    const char* text;
    int status;
    const char* reason;
  };
  const Row rows[] = {
      {"", 400, "no scheme"},
      {"alice@atlanta.com", 400, "no scheme"},
      {":alice@atlanta.com", 400, "no scheme"},
      {"<sip:alice@atlanta.com>", 400, "invalid scheme"},
      {"1sip:alice@atlanta.com", 400, "invalid scheme"},
      {"http://www.example.com/", 416, "Unsupported URI Scheme"},
      {"urn:service:sos", 416, "Unsupported URI Scheme"},
      {"sip:", 400, "invalid host"},
      {"sip:alice@", 400, "invalid host"},
      {"sip:@atlanta.com", 400, "invalid user"},
      {"sip:al ice@atlanta.com", 400, "invalid user"},
      {"sip:al%4@atlanta.com", 400, "invalid user"},
      {"sip:al%zzice@atlanta.com", 400, "invalid user"},
      {"sip:alice:pa:ss@atlanta.com", 400, "invalid password"},
      {"sip:alice@atlanta.com:", 400, "invalid port"},
      {"sip:alice@atlanta.com:0", 400, "invalid port"},
      {"sip:alice@atlanta.com:65536", 400, "invalid port"},
      {"sip:alice@atlanta.com:99999999999999999999999", 400, "invalid port"},
      {"sip:alice@atlanta.com:5o6o", 400, "unexpected character"},
      {"sip:alice@[2001:db8::1", 400, "invalid host"},
      {"sip:alice@[zz::1]", 400, "invalid host"},
      {"sip:alice@[]", 400, "invalid host"},
      {"sip:alice@atlanta.com;", 400, "invalid parameter"},
      {"sip:alice@atlanta.com;=x", 400, "invalid parameter"},
      {"sip:alice@atlanta.com;a=", 400, "invalid parameter"},
      {"sip:alice@atlanta.com;a b", 400, "invalid parameter"},
      {"sip:alice@atlanta.com?", 400, "invalid headers"},
      {"sip:alice@atlanta.com?noequals", 400, "invalid headers"},
      {"sip:alice@atlanta.com>", 400, "unexpected character"},
      {"sip:alice@atl anta.com", 400, "unexpected character"},
      {"tel:", 400, "telephone number"},
      {"tel:abc!", 400, "telephone number"},
      {"tel:1+2", 400, "telephone number"},
      {"tel:+1;", 400, "invalid parameter"},
  };
  for (const Row& r : rows) {
    auto u = parse_uri(r.text);
    ASSERT_FALSE(u.has_value()) << r.text;
    EXPECT_EQ(u.error().kind, ParseError::Kind::kMalformed);
    EXPECT_EQ(u.error().status, r.status) << r.text;
    EXPECT_NE(u.error().reason.find(r.reason), std::string::npos)
        << r.text << ": " << u.error().reason;
  }
}

TEST(Unescape, DecodesAndRejectsBadEscapes) {
  EXPECT_EQ(unescape("%61lice"), "alice");
  EXPECT_EQ(unescape("a%2Cb%2cc"), "a,b,c");
  EXPECT_EQ(unescape("100%25"), "100%");
  EXPECT_EQ(unescape("%00"), std::string(1, '\0'));
  EXPECT_EQ(unescape(""), "");
  EXPECT_EQ(unescape("plain"), "plain");
  EXPECT_EQ(unescape("%"), std::nullopt);
  EXPECT_EQ(unescape("%4"), std::nullopt);
  EXPECT_EQ(unescape("%4g"), std::nullopt);
  EXPECT_EQ(unescape("ab%"), std::nullopt);
}

bool eq(const char* a, const char* b) {
  auto ua = parse_uri(a);
  auto ub = parse_uri(b);
  EXPECT_TRUE(ua.has_value()) << a;
  EXPECT_TRUE(ub.has_value()) << b;
  if (!ua || !ub) {
    return false;
  }
  bool ab = equivalent(*ua, *ub);
  EXPECT_EQ(ab, equivalent(*ub, *ua)) << "not symmetric: " << a << " / " << b;
  return ab;
}

// RFC 3261 §19.1.4, the examples of the RFC and a few more.
TEST(Equivalent, EquivalentPairs) {
  EXPECT_TRUE(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                 "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  EXPECT_TRUE(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                 "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
  EXPECT_TRUE(eq("sip:alice@atlanta.com;lr", "sip:alice@atlanta.com"));
  EXPECT_TRUE(eq("sip:[2001:DB8::1]:5060", "sip:[2001:db8::1]:5060"));
  EXPECT_TRUE(eq("tel:+1-201-555-0123", "tel:+1.201.555.0123"));
  EXPECT_TRUE(eq("tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com"));
}

TEST(Equivalent, NonEquivalentPairs) {
  EXPECT_FALSE(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  EXPECT_FALSE(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  EXPECT_FALSE(eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
  EXPECT_FALSE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  EXPECT_FALSE(eq("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
  EXPECT_FALSE(eq("sip:alice:a@atlanta.com", "sip:alice:b@atlanta.com"));
  EXPECT_FALSE(eq("sip:alice@atlanta.com;maddr=192.0.2.1", "sip:alice@atlanta.com"));
  EXPECT_FALSE(eq("sip:alice@atlanta.com;user=phone", "sip:alice@atlanta.com;user=ip"));
  EXPECT_FALSE(eq("tel:+1-201-555-0123", "tel:+1-201-555-0124"));
  EXPECT_FALSE(eq("tel:7042;phone-context=example.com", "tel:7042"));
}

}  // namespace
}  // namespace cohort::sip
