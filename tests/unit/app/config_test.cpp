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
