// Typed header values: name-addr / addr-spec (RFC 3261 §20.10), Via (§20.42), Contact lists
// with "*" (§10.2.2), and header_values() list splitting (§7.3.1).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/headers.hpp"

namespace cohort::sip {
namespace {

TEST(NameAddr, Forms) {
  struct Row {
    const char* text;
    const char* display;
    const char* uri;
    const char* tag;
    std::size_t params;
    std::size_t uri_params;
  };
  const Row rows[] = {
      {"<sip:alice@atlanta.com>", "", "sip:alice@atlanta.com", "", 0, 0},
      {"\"Alice\" <sip:alice@atlanta.com>;tag=88", "Alice", "sip:alice@atlanta.com", "88", 1, 0},
      {"Alice Liddell <sip:alice@atlanta.com>;tag=88", "Alice Liddell", "sip:alice@atlanta.com",
       "88", 1, 0},
      {"alice<sip:alice@atlanta.com>", "alice", "sip:alice@atlanta.com", "", 0, 0},
      {"Jörg Müller <sip:j@h>", "Jörg Müller", "sip:j@h", "", 0, 0},  // unquoted UTF-8
      {"\"\" <sip:alice@atlanta.com>", "", "sip:alice@atlanta.com", "", 0, 0},
      {"\"Q \\\"uote\\\", Esq.\" <sip:q@h>", "Q \\\"uote\\\", Esq.", "sip:q@h", "", 0, 0},
      {"\"<not an address>\" <sip:q@h>", "<not an address>", "sip:q@h", "", 0, 0},
      // With <>: params after '>' are header params, inside are URI params.
      {"<sip:alice@atlanta.com;transport=tcp>;tag=1;expires=60", "",
       "sip:alice@atlanta.com;transport=tcp", "1", 2, 1},
      // Without <>: everything after the first ';' is a header param (RFC 3261 §20.10).
      {"sip:alice@atlanta.com;transport=tcp;tag=1", "", "sip:alice@atlanta.com", "1", 2, 0},
      {"sip:alice@atlanta.com ; tag = 1", "", "sip:alice@atlanta.com", "1", 1, 0},
      {"  <tel:+1-201-555-0123>;tag=t  ", "", "tel:+1-201-555-0123", "t", 1, 0},
      {"<sip:a@h>;x=\"quoted;value\";tag=z", "", "sip:a@h", "z", 2, 0},
      {"<sip:a@h>;received=[2001:db8::1];flag", "", "sip:a@h", "", 2, 0},
  };
  for (const Row& r : rows) {
    auto na = parse_name_addr(r.text);
    ASSERT_TRUE(na.has_value()) << r.text << ": " << na.error().reason;
    EXPECT_EQ(na->display_name, r.display) << r.text;
    EXPECT_EQ(na->uri_text, r.uri) << r.text;
    EXPECT_EQ(na->tag(), r.tag) << r.text;
    EXPECT_EQ(na->params.size(), r.params) << r.text;
    EXPECT_EQ(na->uri.params.size(), r.uri_params) << r.text;
  }
  auto q = parse_name_addr("<sip:a@h>;x=\"quoted;value\"");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(find_param(q->params, "x"), "quoted;value");
}

TEST(NameAddr, Invalid) {
  struct Row {
    const char* text;
    int status;
    const char* reason;
  };
  const Row rows[] = {
      {"", 400, "empty"},
      {"\"Unterminated <sip:a@h>", 400, "unterminated quoted string"},
      {"\"Name\" sip:a@h", 400, "missing angle-bracketed URI"},
      {"<sip:a@h", 400, "missing closing angle bracket"},
      {"< sip:a@h>", 400, "whitespace"},
      {"<sip:a@h >", 400, "whitespace"},
      {"<>", 400, "empty URI"},
      {"Bell, Alexander <sip:a@h>", 400, "quoted"},
      {"sip:a@h?Route=x", 400, "angle brackets"},
      {"<sip:a@h>;;tag=1", 400, "empty parameter"},
      {"<sip:a@h>;tag=", 400, "empty parameter value"},
      {"<sip:a@h>;tag=\"open", 400, "unterminated quoted string"},
      {"<sip:a@h> junk", 400, "unexpected character"},
      {"<http://example.com/>", 416, "Unsupported URI Scheme"},
      {"<sip:a@h:0>", 400, "invalid port"},
  };
  for (const Row& r : rows) {
    auto na = parse_name_addr(r.text);
    ASSERT_FALSE(na.has_value()) << r.text;
    EXPECT_EQ(na.error().status, r.status) << r.text;
    EXPECT_NE(na.error().reason.find(r.reason), std::string::npos)
        << r.text << ": " << na.error().reason;
  }
}

TEST(ParseVia, Forms) {
  struct Row {
    const char* text;
    const char* transport;
    const char* host;
    std::optional<std::uint16_t> port;
    const char* branch;
  };
  const Row rows[] = {
      {"SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
       "UDP",
       "pc33.atlanta.com",
       {},
       "z9hG4bK776asdhds"},
      {"SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKx;received=192.0.2.9", "TCP", "192.0.2.1", 5060,
       "z9hG4bKx"},
      {"SIP / 2.0 / TLS host.example.com : 5061 ; branch = z9hG4bKy", "TLS", "host.example.com",
       5061, "z9hG4bKy"},
      {"SIP/2.0/UDP\r\n host.example.com", "UDP", "host.example.com", {}, ""},
      {"SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bK6", "UDP", "[2001:db8::9:1]", 5070,
       "z9hG4bK6"},
      {"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKw;rport",
       "WSS",
       "df7jal23ls0d.invalid",
       {},
       "z9hG4bKw"},
      {"sip/2.0/udp h;maddr=239.255.255.1;ttl=16", "udp", "h", {}, ""},
  };
  for (const Row& r : rows) {
    auto v = parse_via(r.text);
    ASSERT_TRUE(v.has_value()) << r.text << ": " << v.error().reason;
    EXPECT_EQ(v->protocol, "SIP/2.0") << r.text;
    EXPECT_EQ(v->transport, r.transport) << r.text;
    EXPECT_EQ(v->host, r.host) << r.text;
    EXPECT_EQ(v->port, r.port) << r.text;
    EXPECT_EQ(v->branch(), r.branch) << r.text;
  }
}

TEST(ParseVia, ReceivedAndRport) {
  auto none = parse_via("SIP/2.0/UDP h;branch=z9hG4bK1");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->rport().has_value());
  EXPECT_FALSE(none->received().has_value());
  auto empty = parse_via("SIP/2.0/UDP h;rport;branch=z9hG4bK1");
  EXPECT_EQ(empty->rport(), 0);
  auto filled = parse_via("SIP/2.0/UDP h;rport=5090;received=192.0.2.7;branch=z9hG4bK1");
  EXPECT_EQ(filled->rport(), 5090);
  EXPECT_EQ(filled->received(), "192.0.2.7");
}

TEST(ParseVia, Invalid) {
  for (const char* bad :
       {"", "SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0/UDPhost", "SIP//UDP host",
        "SIP/2.0/UDP host:", "SIP/2.0/UDP host:0", "SIP/2.0/UDP host:70000", "SIP/2.0/UDP host;;",
        "SIP/2.0/UDP host;", "SIP/2.0/UDP host;rport=x", "SIP/2.0/UDP host;rport=70000",
        "SIP/2.0/UDP host branch", "SIP/2.0/UDP [::1", "SIP/2.0/UDP h;b=\"x",
        "SIP/2.0/UDP h;branch", "SIP/2.0/UDP h;branch;branch=z9hG4bK1",
        "SIP/2.0/UDP h;branch=z9hG4bK1;branch=z9hG4bK2"}) {
    auto v = parse_via(bad);
    ASSERT_FALSE(v.has_value()) << bad;
    EXPECT_EQ(v.error().status, 400);
    EXPECT_EQ(v.error().reason.rfind("Bad Via", 0), 0u) << v.error().reason;
  }
}

std::string with_contacts(std::string_view contact_lines) {
  std::string s =
      "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: r@h\r\n"
      "CSeq: 1 REGISTER\r\n";
  s += contact_lines;
  s += "\r\n";
  return s;
}

TEST(ParseContacts, ListsAcrossHeadersAndCommas) {
  auto m = parse(with_contacts(
      "Contact: \"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600,\r\n"
      "   \"Mr. Watson, Jr.\" <mailto:watson@bell-telephone.com> ;q=0.1\r\n"
      "m: <sip:a@h;lr>, sip:b@h;expires=0\r\n"));
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  auto values = m->header_values(HeaderId::kContact);
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[1], "\"Mr. Watson, Jr.\" <mailto:watson@bell-telephone.com> ;q=0.1");
  // mailto: is a valid address of a scheme we do not represent: the accessor says 416.
  auto c = parse_contacts(*m);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().status, 416);

  auto ok = parse(with_contacts(
      "Contact: \"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600\r\n"
      "m: <sip:a@h;lr>, sip:b@h;expires=0\r\n"));
  ASSERT_TRUE(ok.has_value());
  auto list = parse_contacts(*ok);
  ASSERT_TRUE(list.has_value()) << list.error().reason;
  EXPECT_FALSE(list->star);
  ASSERT_EQ(list->contacts.size(), 3u);
  EXPECT_EQ(list->contacts[0].display_name, "Mr. Watson");
  EXPECT_EQ(find_param(list->contacts[0].params, "expires"), "3600");
  EXPECT_EQ(list->contacts[1].uri.params.size(), 1u);
  EXPECT_EQ(find_param(list->contacts[2].params, "expires"), "0");
}

TEST(ParseContacts, Star) {
  auto m = parse(with_contacts("Contact: *\r\nExpires: 0\r\n"));
  ASSERT_TRUE(m.has_value());
  auto c = parse_contacts(*m);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->star);
  EXPECT_TRUE(c->contacts.empty());

  auto mixed = parse(with_contacts("Contact: *, <sip:a@h>\r\n"));
  ASSERT_TRUE(mixed.has_value());
  auto bad = parse_contacts(*mixed);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().reason.find("'*'"), std::string::npos);

  auto none = parse(with_contacts(""));
  auto empty = parse_contacts(*none);
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->star);
  EXPECT_TRUE(empty->contacts.empty());
}

TEST(ParseContacts, BadContactNamesTheHeader) {
  auto m = parse(with_contacts("Contact: <sip:a@h>;;\r\n"));
  ASSERT_TRUE(m.has_value());
  auto c = parse_contacts(*m);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().reason, "Bad Contact: empty parameter");
}

TEST(HeaderValues, SplitsOnlyTopLevelCommas) {
  std::string s = with_contacts(
      "Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\r\n"
      "Route: <sip:p3.example.com;lr;x=\"a,b\">\r\n"
      "Record-Route: <sip:weird,user@h;lr>, \"a, \\\"b,\" <sip:c@h>\r\n"
      "Allow: INVITE,ACK , ,CANCEL,,\r\n"
      "WWW-Authenticate: Digest realm=\"a\", nonce=\"b\", qop=\"auth,auth-int\"\r\n"
      "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\"\r\n"
      "Proxy-Authorization: Digest username=\"u\", realm=\"p\"\r\n"
      "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
      "User-Agent: Phone/1.0 (Linux, x86)\r\n"
      "Expires: 60\r\n");
  auto m = parse(s);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->header_values(HeaderId::kRoute),
            (std::vector<std::string_view>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>",
                                           "<sip:p3.example.com;lr;x=\"a,b\">"}));
  EXPECT_EQ(m->header_values(HeaderId::kRecordRoute),
            (std::vector<std::string_view>{"<sip:weird,user@h;lr>", "\"a, \\\"b,\" <sip:c@h>"}));
  EXPECT_EQ(m->header_values(HeaderId::kAllow),
            (std::vector<std::string_view>{"INVITE", "ACK", "CANCEL"}));
  // Not lists by grammar: returned whole.
  EXPECT_EQ(m->header_values(HeaderId::kWwwAuthenticate).size(), 1u);
  EXPECT_EQ(m->header_values(HeaderId::kProxyAuthenticate).size(), 1u);
  EXPECT_EQ(m->header_values(HeaderId::kProxyAuthorization).size(), 1u);
  EXPECT_EQ(m->header_values(HeaderId::kUserAgent),
            (std::vector<std::string_view>{"Phone/1.0 (Linux, x86)"}));
  EXPECT_EQ(m->header_values(HeaderId::kExpires), (std::vector<std::string_view>{"60"}));
  EXPECT_EQ(m->header_values(HeaderId::kFrom).size(), 1u);
  EXPECT_TRUE(m->header_values(HeaderId::kSupported).empty());
  EXPECT_FALSE(m->header(HeaderId::kSupported).has_value());
}

TEST(FindParam, CaseInsensitiveNames) {
  std::vector<Param> params{{"Tag", "x", true}, {"lr", "", false}, {"tag", "y", true}};
  EXPECT_EQ(find_param(params, "TAG"), "x");
  EXPECT_EQ(find_param(params, "LR"), "");
  EXPECT_FALSE(find_param(params, "maddr").has_value());
}

}  // namespace
}  // namespace cohort::sip
