// response_route (RFC 3261 §18.2.2, RFC 3581 §4) as a table, and Endpoint formatting.

#include "net/route.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace cohort::net {
namespace {

TEST(Endpoint, ToStringBracketsIpv6) {
  EXPECT_EQ(to_string(Endpoint{"192.0.2.1", 5060}), "192.0.2.1:5060");
  EXPECT_EQ(to_string(Endpoint{"::1", 5062}), "[::1]:5062");
  EXPECT_EQ(to_string(Endpoint{"2001:db8::7", 0}), "[2001:db8::7]:0");
  EXPECT_EQ(to_string(Protocol::kUdp), "udp");
  EXPECT_EQ(to_string(Protocol::kTcp), "tcp");
}

sip::Param param(std::string_view name) {
  return sip::Param{name, {}, false};
}
sip::Param param(std::string_view name, std::string_view value) {
  return sip::Param{name, value, true};
}

struct Case {
  const char* name;
  Protocol protocol;
  const char* via_host;
  std::optional<std::uint16_t> via_port;
  std::vector<sip::Param> params;
  Endpoint expected;
  std::uint64_t expected_connection = 0;
};

TEST(ResponseRoute, Table) {
  // The request came from 198.51.100.7:40000 (connection 42 when TCP) to 192.0.2.1:5060.
  const std::vector<Case> cases = {
      {"udp, plain: sent-by port",
       Protocol::kUdp,
       "198.51.100.7",
       5070,
       {},
       {"198.51.100.7", 5070}},
      {"udp, no sent-by port: 5060",
       Protocol::kUdp,
       "198.51.100.7",
       std::nullopt,
       {},
       {"198.51.100.7", 5060}},
      {"udp, rport without value: source port (RFC 3581 §4)",
       Protocol::kUdp,
       "10.0.0.5",
       5070,
       {param("rport")},
       {"198.51.100.7", 40000}},
      {"udp, rport with value",
       Protocol::kUdp,
       "10.0.0.5",
       5070,
       {param("rport", "41000"), param("received", "203.0.113.9")},
       {"203.0.113.9", 41000}},
      {"udp, received without rport: sent-by port (RFC 3261 §18.2.2)",
       Protocol::kUdp,
       "10.0.0.5",
       5070,
       {param("received", "203.0.113.9")},
       {"203.0.113.9", 5070}},
      {"udp, received, no port: 5060",
       Protocol::kUdp,
       "10.0.0.5",
       std::nullopt,
       {param("received", "203.0.113.9")},
       {"203.0.113.9", 5060}},
      {"udp, hostname sent-by, no received: source address",
       Protocol::kUdp,
       "pc.example.com",
       5070,
       {},
       {"198.51.100.7", 5070}},
      {"udp, maddr wins over received and rport",
       Protocol::kUdp,
       "10.0.0.5",
       5072,
       {param("received", "203.0.113.9"), param("rport", "41000"), param("maddr", "239.1.1.1")},
       {"239.1.1.1", 5072}},
      {"udp, maddr, no port: 5060",
       Protocol::kUdp,
       "10.0.0.5",
       std::nullopt,
       {param("maddr", "192.0.2.50")},
       {"192.0.2.50", 5060}},
      {"udp, IPv6 received is unbracketed",
       Protocol::kUdp,
       "[2001:db8::1]",
       5070,
       {param("received", "2001:db8::9"), param("rport", "5999")},
       {"2001:db8::9", 5999}},
      {"tcp: the connection; fallback sent-by",
       Protocol::kTcp,
       "198.51.100.7",
       5070,
       {},
       {"198.51.100.7", 5070},
       42},
      {"tcp: fallback to received at the sent-by port",
       Protocol::kTcp,
       "pc.example.com",
       std::nullopt,
       {param("received", "203.0.113.9"), param("rport", "41000")},
       {"203.0.113.9", 5060},
       42},
      {"tcp: maddr ignored for a reliable transport",
       Protocol::kTcp,
       "198.51.100.7",
       5070,
       {param("maddr", "239.1.1.1")},
       {"198.51.100.7", 5070},
       42},
      {"tcp: IPv6 sent-by is unbracketed",
       Protocol::kTcp,
       "[2001:db8::1]",
       std::nullopt,
       {},
       {"2001:db8::1", 5060},
       42},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Inbound in;
    in.protocol = c.protocol;
    in.source = {"198.51.100.7", 40000};
    in.local = {"192.0.2.1", 5060};
    in.connection = c.protocol == Protocol::kTcp ? 42 : 0;
    sip::Via via;
    via.protocol = "SIP/2.0";
    via.transport = c.protocol == Protocol::kTcp ? "TCP" : "UDP";
    via.host = c.via_host;
    via.port = c.via_port;
    via.params = c.params;
    via.params.insert(via.params.begin(), param("branch", "z9hG4bK776asdhds"));

    Outbound out = response_route(in, via, "SIP/2.0 200 OK\r\n\r\n");
    EXPECT_EQ(out.protocol, c.protocol);
    EXPECT_EQ(out.destination, c.expected) << to_string(out.destination);
    EXPECT_EQ(out.connection, c.expected_connection);
    EXPECT_EQ(out.local, in.local);  // RFC 3581 §4: from where the request arrived
    EXPECT_EQ(out.bytes, "SIP/2.0 200 OK\r\n\r\n");
  }
}

}  // namespace
}  // namespace cohort::net

namespace cohort::net {
namespace {

// The Via of a request Cohort sends: transport by protocol, the sent-by as given (IPv6
// bracketed by its maker), the branch, and rport asked for; parsed back by our own parser.
TEST(ViaValue, BuildsAViaOurParserReadsBack) {
  EXPECT_EQ(via_value(Protocol::kUdp, "192.0.2.1:5060", "z9hG4bK-1"),
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport");
  EXPECT_EQ(via_value(Protocol::kTcp, "[2001:db8::1]:5061", "z9hG4bK-2"),
            "SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK-2;rport");
  const std::string text = via_value(Protocol::kTcp, "pbx.example.com", "z9hG4bKabc");
  auto via = sip::parse_via(text);  // views into `text`
  ASSERT_TRUE(via);
  EXPECT_EQ(via->transport, "TCP");
  EXPECT_EQ(via->host, "pbx.example.com");
  EXPECT_EQ(via->branch(), "z9hG4bKabc");
}

}  // namespace
}  // namespace cohort::net
