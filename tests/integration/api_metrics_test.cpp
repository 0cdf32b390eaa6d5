// /metrics as Prometheus reads it (issue 12): after some API and SIP traffic the exposition
// passes `promtool check metrics` (Debian's prometheus package, installed by scripts/deps.sh),
// which parses it and lints names and types: counts since start are counters named *_total,
// everything else is not named *_total, every family has HELP, units are spelled out.

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "integration/api_fixture.hpp"
#include "support/sip_client.hpp"

namespace cohort::testing {
namespace {

struct Command {
  int exit_code = -1;
  std::string output;
};

/// Runs `command` through the shell, stdout and stderr together.
Command run(const std::string& command) {
  Command out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) {
    out.output.append(buf, n);
  }
  const int status = ::pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class MetricsExpositionTest : public ApiTest {
 protected:
  /// API calls of several outcomes, and a REGISTER that gets challenged.
  void make_activity() {
    json u = create_user("Metric User", "metric.user@example.com", "1301",
                         {{"sip_password", "metric-secret-1"}});
    create_group("Metric Group");
    EXPECT_EQ(call("GET", id_path("/api/v1/users", u)).status, 200);
    EXPECT_EQ(call("GET", "/api/v1/users/999").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/users", nullptr, "").status, 401);
    EXPECT_EQ(call("POST", "/api/v1/groups", {{"name", ""}}).status, 400);

    SipClient phone(SipTransport::kUdp, "127.0.0.1", server_->sip_udp_port());
    ASSERT_TRUE(phone.ok()) << phone.error();
    const std::string uri = phone.server_uri();
    const std::string aor = "<sip:1301@127.0.0.1>";
    ASSERT_TRUE(
        phone.send_raw("REGISTER " + uri + " SIP/2.0\r\nVia: " + phone.via() +
                       "\r\nMax-Forwards: 70\r\nFrom: " + aor + ";tag=metrics1\r\nTo: " + aor +
                       "\r\nCall-ID: metrics-register-1@127.0.0.1\r\nCSeq: 1 REGISTER\r\n"
                       "Contact: " +
                       phone.contact("1301") + "\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n"));
    auto answer = phone.receive_raw(5s);
    ASSERT_TRUE(answer.has_value()) << "no answer to REGISTER";
    EXPECT_EQ(answer->rfind("SIP/2.0 401", 0), 0u) << *answer;
  }

  std::string scrape() {
    HttpResult r = call("GET", "/metrics", nullptr, "");
    EXPECT_EQ(r.status, 200);
    return r.body;
  }
};

TEST_F(MetricsExpositionTest, PassesPromtoolCheckMetrics) {
  make_activity();
  const std::string text = scrape();
  ASSERT_NE(text.find("cohort_sip_events_total{event=\"auth_challenges\"} 1"), std::string::npos)
      << text;

  const Command which = run("command -v promtool");
  ASSERT_EQ(which.exit_code, 0) << "promtool is missing: scripts/deps.sh installs it "
                                   "(Debian package prometheus)";
  const std::string file = dir_.path() + "/metrics.txt";
  std::ofstream(file) << text;
  const Command check = run("timeout 60 promtool check metrics < '" + file + "'");
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(check.output, "") << "promtool found problems:\n" << check.output;
}

// What promtool checks, spelled out here too so that a failure says which family: one TYPE
// and one HELP per family, counters and only counters named *_total, and no family named as
// a counter without its _total.
TEST_F(MetricsExpositionTest, EveryFamilyHasOneHelpAndATypeMatchingItsName) {
  make_activity();
  std::istringstream in(scrape());
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string hash, kind, name, type;
    words >> hash >> kind >> name >> type;
    if (hash != "#") {
      continue;
    }
    if (kind == "TYPE") {
      EXPECT_TRUE(types.emplace(name, type).second) << "two TYPE lines for " << name;
    } else if (kind == "HELP") {
      EXPECT_TRUE(helps.insert(name).second) << "two HELP lines for " << name;
    }
  }
  ASSERT_FALSE(types.empty());
  for (const auto& [name, type] : types) {
    EXPECT_TRUE(helps.contains(name)) << name << " has no HELP";
    EXPECT_EQ(name.ends_with("_total"), type == "counter") << name << " is a " << type;
    // A counter's family is its name without _total (OpenMetrics): no other family may
    // take that name.
    if (type == "counter") {
      const std::string family = name.substr(0, name.size() - std::string_view("_total").size());
      EXPECT_FALSE(types.contains(family)) << family << " clashes with the counter " << name;
    }
  }
  for (const char* counter :
       {"cohort_http_requests_total", "cohort_sip_events_total", "cohort_sip_security_events_total",
        "cohort_sip_transport_total", "cohort_calls_total", "cohort_calls_failed_total",
        "cohort_group_calls_total", "cohort_auto_pauses_total"}) {
    EXPECT_EQ(types[counter], "counter") << counter;
  }
}

}  // namespace
}  // namespace cohort::testing
