#include <gtest/gtest.h>

#include "app/config.hpp"

namespace cohort::app {
namespace {

TEST(HostPort, ParsesIpv4Ipv6AndLocalhost) {
  EXPECT_EQ(*parse_host_port("127.0.0.1:8080"), (HostPort{"127.0.0.1", 8080}));
  EXPECT_EQ(*parse_host_port("[::1]:5060"), (HostPort{"::1", 5060}));
  EXPECT_EQ(*parse_host_port("localhost:0"), (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(to_string(HostPort{"::1", 5060}), "[::1]:5060");
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "example.com:80", "[::1]5060", "[::1", "1.2.3:80", "127.0.0.1:80x"}) {
    EXPECT_FALSE(parse_host_port(bad)) << bad;
  }
}

TEST(Config, DefaultsMatchDesign) {
  Config c;
  EXPECT_EQ(c.data_dir, "var");
  EXPECT_EQ(c.http, (HostPort{"127.0.0.1", 8080}));
  ASSERT_EQ(c.sip_listen.size(), 1u);
  EXPECT_EQ(c.sip_listen[0], (HostPort{"127.0.0.1", 5060}));
  EXPECT_EQ(*c.sqlite_path(), "var/cohort.db");
  EXPECT_EQ(c.sip.session_expires, 1800) << "RFC 4028 §4 recommends 30 minutes";
  EXPECT_EQ(c.sip.min_se, 90);
}

TEST(Config, AppliesEveryKey) {
  auto c = apply_toml(Config{}, R"(
data_dir = "/srv/cohort"
http = "0.0.0.0:9090"
database = "sqlite:/srv/db/cohort.db"
log_level = "debug"
demo_data = true
[sip]
listen = ["127.0.0.1:5060", "[::1]:5062"]
realm = "pbx.example.com"
)",
                      "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->data_dir, "/srv/cohort");
  EXPECT_EQ(c->http, (HostPort{"0.0.0.0", 9090}));
  EXPECT_EQ(*c->sqlite_path(), "/srv/db/cohort.db");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_TRUE(c->demo_data);
  ASSERT_EQ(c->sip_listen.size(), 2u);
  EXPECT_EQ(c->sip_listen[1], (HostPort{"::1", 5062}));
  EXPECT_EQ(c->sip_realm, "pbx.example.com");
}

TEST(Config, SipAndSecurityKeys) {
  auto c = apply_toml(Config{}, R"(
[sip]
domain = "pbx.example.com"
advertised_address = "203.0.113.5:5060"
min_expires = 30
default_expires = 600
max_expires = 3600
t1_ms = 250
t2_ms = 2000
t4_ms = 2500
max_message_bytes = 32768
tcp_idle_timeout_s = 60
tcp_connections_per_source = 8
nonce_ttl_s = 120
session_expires = 600
min_se = 120
[security]
ban_after_failures = 3
ban_window_s = 30
ban_duration_s = 600
rate_per_second = 20
rate_burst = 40
trusted_networks = ["10.0.0.0/8", "192.0.2.7", "::1/128"]
)",
                      "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->sip.domain, "pbx.example.com");
  EXPECT_EQ(c->sip.advertised_address, "203.0.113.5:5060");
  EXPECT_EQ(c->sip.min_expires, 30);
  EXPECT_EQ(c->sip.default_expires, 600);
  EXPECT_EQ(c->sip.max_expires, 3600);
  EXPECT_EQ(c->sip.t1_ms, 250);
  EXPECT_EQ(c->sip.t2_ms, 2000);
  EXPECT_EQ(c->sip.t4_ms, 2500);
  EXPECT_EQ(c->sip.max_message_bytes, 32768);
  EXPECT_EQ(c->sip.tcp_idle_timeout_s, 60);
  EXPECT_EQ(c->sip.tcp_connections_per_source, 8);
  EXPECT_EQ(c->sip.nonce_ttl_s, 120);
  EXPECT_EQ(c->sip.session_expires, 600);
  EXPECT_EQ(c->sip.min_se, 120);
  EXPECT_EQ(c->security.ban_after_failures, 3);
  EXPECT_EQ(c->security.ban_window_s, 30);
  EXPECT_EQ(c->security.ban_duration_s, 600);
  EXPECT_EQ(c->security.rate_per_second, 20);
  EXPECT_EQ(c->security.rate_burst, 40);
  EXPECT_EQ(c->security.trusted_networks,
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.7", "::1/128"}));
}

TEST(Config, MediaNetworksAreRead) {
  auto c = apply_toml(Config{}, R"([media]
relay_networks = ["198.51.100.0/24", "2001:db8::/32"]
direct_networks = ["10.0.0.0/8"]
realtime_priority = 10
)",
                      "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->media.relay_networks,
            (std::vector<std::string>{"198.51.100.0/24", "2001:db8::/32"}));
  EXPECT_EQ(c->media.direct_networks, (std::vector<std::string>{"10.0.0.0/8"}));
  EXPECT_EQ(c->media.realtime_priority, 10);
  EXPECT_TRUE(apply_toml(Config{}, "", "t.toml")->media.relay_networks.empty());
}

TEST(Config, NetworksAreValidated) {
  for (const char* good : {"10.0.0.0/8", "192.0.2.7", "0.0.0.0/0", "::1", "2001:db8::/32"}) {
    EXPECT_TRUE(valid_network(good)) << good;
  }
  for (const char* bad :
       {"", "10.0.0.0/", "10.0.0.0/33", "::1/129", "host/8", "10.0.0/8", "10.0.0.0/8x"}) {
    EXPECT_FALSE(valid_network(bad)) << bad;
  }
}

TEST(Config, ErrorsNameTheKeyAndTheLine) {
  struct Case {
    const char* toml;
    const char* expected;  // a substring of the message
  };
  const Case cases[] = {
      {"data_dir = \"x\"\nport = 1\n", "t.toml:2: port: unknown key"},
      {"http = 8080\n", "t.toml:1: http: expected a string"},
      {"\n\nhttp = \"localhost\"\n", "t.toml:3: http: expected HOST:PORT"},
      {"database = \"postgres://x\"\n", "t.toml:1: database"},
      {"log_level = \"loud\"\n", "t.toml:1: log_level"},
      {"demo_data = \"yes\"\n", "t.toml:1: demo_data"},
      {"sip = \"127.0.0.1:5060\"\n", "t.toml:1: sip: expected a [sip] table"},
      {"[sip]\nlisten = []\n", "t.toml:2: sip.listen"},
      {"[sip]\nlisten = [\"nowhere\"]\n", "t.toml:2: sip.listen"},
      {"[sip]\nrealm = \"\"\n", "t.toml:2: sip.realm"},
      {"[sip]\nport = 1\n", "t.toml:2: sip.port: unknown key"},
      {"data_dir = \n", "t.toml:1:"},
      {"[sip]\nmin_expires = 0\n", "t.toml:2: sip.min_expires: must be between"},
      {"[sip]\nt1_ms = \"500\"\n", "t.toml:2: sip.t1_ms: expected an integer"},
      {"[sip]\nmin_expires = 600\nmax_expires = 300\n", "sip: min_expires <= default_expires"},
      // RFC 4028 §4/§5: nothing below 90 s; Min-SE not above the interval we ask for.
      {"[sip]\nsession_expires = 60\n", "t.toml:2: sip.session_expires: must be between 90"},
      {"[sip]\nmin_se = 89\n", "t.toml:2: sip.min_se: must be between 90"},
      {"[sip]\nmin_se = \"90\"\n", "t.toml:2: sip.min_se: expected an integer"},
      {"[sip]\nsession_expires = 300\nmin_se = 600\n",
       "sip.min_se must not exceed sip.session_expires"},
      {"[security]\nban_after_failures = 0\n", "t.toml:2: security.ban_after_failures"},
      {"[security]\ntrusted_networks = [\"10.0.0.0/33\"]\n", "t.toml:2: security.trusted_networks"},
      {"[security]\ntrusted_networks = \"10.0.0.0/8\"\n", "t.toml:2: security.trusted_networks"},
      {"[security]\nban = 1\n", "t.toml:2: security.ban: unknown key"},
      {"[media]\nrelay_networks = [\"10.0.0.0/33\"]\n", "t.toml:2: media.relay_networks"},
      {"[media]\nrealtime_priority = 100\n", "t.toml:2: media.realtime_priority"},
      {"[media]\nrelay_networks = \"10.0.0.0/8\"\n", "t.toml:2: media.relay_networks"},
      {"[media]\ndirect_networks = [\"lan\"]\n", "t.toml:2: media.direct_networks"},
      {"[media]\ndirect_networks = [8]\n", "t.toml:2: media.direct_networks"},
  };
  for (const Case& c : cases) {
    auto r = apply_toml(Config{}, c.toml, "t.toml");
    ASSERT_FALSE(r) << c.toml;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos)
        << c.toml << " → " << r.error().message;
  }
}

}  // namespace
}  // namespace cohort::app

namespace cohort::app {
namespace {

TEST(MediaConfig, DefaultsAndKeys) {
  Config d;
  EXPECT_EQ(d.media.rtp_port_min, 20000);
  EXPECT_EQ(d.media.rtp_port_max, 29999);
  EXPECT_EQ(d.media.voicemail_max_s, 180);
  EXPECT_EQ(d.media.voicemail_min_s, 2);
  EXPECT_EQ(media_address(d), "127.0.0.1");  // the SIP listen host
  auto c = apply_toml(Config{}, R"(
[sip]
listen = ["0.0.0.0:5060"]
[media]
rtp_ports = "30000-30100"
threads = 2
no_rtp_timeout_s = 20
voicemail_max_s = 120
voicemail_min_s = 1
silence_threshold_dbfs = -50
silence_s = 0
)",
                      "m.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->media.rtp_port_min, 30000);
  EXPECT_EQ(c->media.rtp_port_max, 30100);
  EXPECT_EQ(c->media.threads, 2);
  EXPECT_EQ(c->media.no_rtp_timeout_s, 20);
  EXPECT_EQ(c->media.voicemail_max_s, 120);
  EXPECT_EQ(c->media.silence_threshold_dbfs, -50);
  EXPECT_EQ(c->media.silence_s, 0);
  EXPECT_EQ(media_address(*c), "127.0.0.1");  // a wildcard is no address to send to
  auto a = apply_toml(Config{}, "[media]\naddress = \"2001:db8::5\"\n", "a.toml");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(media_address(*a), "2001:db8::5");
}

TEST(MediaConfig, BadValuesNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"[media]\nrtp_ports = \"20000\"\n", "media.rtp_ports"},
      {"[media]\nrtp_ports = \"20000-x\"\n", "media.rtp_ports"},
      {"[media]\nrtp_ports = \"80-200\"\n", "media.rtp_ports"},
      {"[media]\nrtp_ports = \"20001-20002\"\n", "media.rtp_ports"},  // no even+odd pair
      {"[media]\nrtp_ports = \"20000-70000\"\n", "media.rtp_ports"},
      {"[media]\naddress = \"media.example.com\"\n", "media.address"},
      {"[media]\naddress = \"10.0.0.0/8\"\n", "media.address"},
      {"[media]\nthreads = 0\n", "media.threads"},
      {"[media]\nsilence_threshold_dbfs = 3\n", "media.silence_threshold_dbfs"},
      {"[media]\nvoicemail_min_s = 10\nvoicemail_max_s = 10\n", "media.voicemail_min_s"},
      {"[media]\nrtp_port = \"1-2\"\n", "media.rtp_port"},
      {"media = 3\n", "media"},
  };
  for (const auto& [text, key] : cases) {
    auto c = apply_toml(Config{}, text, "bad.toml");
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find(key), std::string::npos) << text << c.error().message;
  }
}

}  // namespace
}  // namespace cohort::app
