// Transfer values: Refer-To (RFC 3515 §2.1: name-addr or addr-spec, the compact form "r",
// exactly one per REFER), Replaces carried escaped in its URI headers (RFC 3891 §6.1) and
// the sipfrag of a NOTIFY. Each class of defect is refused with a 400 naming the header.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "sip/refer.hpp"

namespace cohort::sip {
namespace {

/// A REFER with `headers` (each ending in CRLF) added; the parse must succeed.
Message refer_with(const std::string& headers) {
  std::string text =
      "REFER sip:pbx@192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-1\r\n"
      "From: <sip:101@pbx>;tag=a\r\n"
      "To: <sip:102@pbx>;tag=b\r\n"
      "Call-ID: c1@192.0.2.9\r\n"
      "CSeq: 3 REFER\r\n"
      "Max-Forwards: 70\r\n" +
      headers + "Content-Length: 0\r\n\r\n";
  auto m = parse(std::move(text));
  if (!m) {
    ADD_FAILURE() << m.error().reason;
    std::abort();
  }
  return std::move(*m);
}

TEST(ReferTo, Forms) {
  struct Row {
    const char* header;
    const char* uri;
    const char* user;
    const char* host;
  };
  const Row rows[] = {
      {"Refer-To: <sip:103@pbx.example>\r\n", "sip:103@pbx.example", "103", "pbx.example"},
      {"Refer-To: sip:103@pbx.example\r\n", "sip:103@pbx.example", "103", "pbx.example"},
      {"r: <sip:103@pbx.example>\r\n", "sip:103@pbx.example", "103", "pbx.example"},
      {"refer-to: \"Chloe\" <sip:103@pbx.example;user=phone>;x=1\r\n",
       "sip:103@pbx.example;user=phone", "103", "pbx.example"},
      {"Refer-To: <sip:%2B4930123@pbx>\r\n", "sip:%2B4930123@pbx", "+4930123", "pbx"},
      {"Refer-To: <tel:+4930123>\r\n", "tel:+4930123", "+4930123", ""},
      {"Refer-To: <sip:103@pbx?Subject=hi>\r\n", "sip:103@pbx", "103", "pbx"},
  };
  for (const Row& row : rows) {
    Message m = refer_with(row.header);
    auto r = parse_refer_to(m);
    ASSERT_TRUE(r.has_value()) << row.header << (r ? "" : r.error().reason);
    EXPECT_EQ(r->uri, row.uri) << row.header;
    EXPECT_EQ(r->user, row.user) << row.header;
    EXPECT_EQ(r->host, row.host) << row.header;
    EXPECT_FALSE(r->replaces) << row.header;
  }
}

TEST(ReferTo, ReplacesInTheUriHeaders) {
  Message m = refer_with(
      "Refer-To: <sip:103@pbx?Replaces=abc%40192.0.2.9%3Bto-tag%3D7743%3Bfrom-tag%3D6472"
      "&Require=replaces>\r\n");
  auto r = parse_refer_to(m);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->uri, "sip:103@pbx");
  ASSERT_TRUE(r->replaces);
  EXPECT_EQ(r->replaces->call_id, "abc@192.0.2.9");
  EXPECT_EQ(r->replaces->to_tag, "7743");
  EXPECT_EQ(r->replaces->from_tag, "6472");
  EXPECT_FALSE(r->replaces->early_only);
}

TEST(ReferTo, DefectsAreRefusedNamingTheHeader) {
  const char* bad[] = {
      "",                                                        // none
      "Refer-To: <sip:103@pbx>\r\nRefer-To: <sip:104@pbx>\r\n",  // two headers
      "Refer-To: <sip:103@pbx>, <sip:104@pbx>\r\n",              // two values
      "Refer-To: <sip:103@pbx\r\n",                              // unterminated <
      "Refer-To: <sip:1%G3@pbx>\r\n",                            // bad escape
      "Refer-To: <sip:103@pbx?Replaces=abc%3Bto-tag%3D1>\r\n",   // Replaces without from-tag
      "Refer-To: <sip:103@pbx?Replaces=%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\n",  // no call-id
      "Refer-To: <sip:103@pbx?Replaces>\r\n",                               // header without value
      "Refer-To: <sip:103@pbx?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&Replaces=b%3Bto-tag%3D1"
      "%3Bfrom-tag%3D2>\r\n",  // two Replaces
  };
  for (const char* header : bad) {
    Message m = refer_with(header);
    auto r = parse_refer_to(m);
    ASSERT_FALSE(r.has_value()) << header;
    EXPECT_EQ(r.error().status, 400) << header;
    EXPECT_NE(r.error().reason.find("Refer-To"), std::string::npos)
        << header << " → " << r.error().reason;
  }
}

TEST(Replaces, Grammar) {
  auto ok = parse_replaces("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only");
  ASSERT_TRUE(ok.has_value()) << ok.error().reason;
  EXPECT_EQ(ok->call_id, "98732@sip.example.com");
  EXPECT_EQ(ok->from_tag, "r33th4x0r");
  EXPECT_EQ(ok->to_tag, "ff87ff");
  EXPECT_TRUE(ok->early_only);
  auto spaced = parse_replaces(" a1 ; to-tag = x ; from-tag = y ; other=1 ");
  ASSERT_TRUE(spaced.has_value()) << spaced.error().reason;
  EXPECT_EQ(spaced->call_id, "a1");
  EXPECT_EQ(spaced->to_tag, "x");
  EXPECT_EQ(spaced->from_tag, "y");
  for (const char* bad : {"", ";to-tag=1;from-tag=2", "a b;to-tag=1;from-tag=2", "a;to-tag=1",
                          "a;from-tag=2", "a;to-tag;from-tag=2", "a;to-tag=1;to-tag=3;from-tag=2",
                          "a;to-tag=1;from-tag=2;early-only=yes", "a@;to-tag=1;from-tag=2"}) {
    auto r = parse_replaces(bad);
    EXPECT_FALSE(r.has_value()) << bad;
  }
}

TEST(Sipfrag, StatusLine) {
  EXPECT_EQ(sipfrag(100, "Trying"), "SIP/2.0 100 Trying\r\n");
  EXPECT_EQ(sipfrag(486, {}), "SIP/2.0 486 Busy Here\r\n");
}

}  // namespace
}  // namespace cohort::sip
