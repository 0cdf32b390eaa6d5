// The server process: health, metrics, OpenAPI, HTTP errors, configuration, the admin
// token, demo data, persistence and clean shutdown.

#include <sys/stat.h>

#include <sys/wait.h>

#include <fstream>
#include <map>

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

TEST_F(ApiTest, HealthzNeedsNoAuth) {
  HttpResult r = call("GET", "/healthz", nullptr, "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["status"], "ok");
  EXPECT_EQ(r.json()["store"], "up");
}

TEST_F(ApiTest, MetricsCountRequestsObjectsAndMemory) {
  create_user("M", "m@example.com", "1401");
  create_group("G");
  call("GET", "/api/v1/users/999");
  HttpResult r = call("GET", "/metrics", nullptr, "");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers["content-type"].find("text/plain"), std::string::npos);
  const std::string& m = r.body;
  EXPECT_NE(m.find("cohort_http_requests_total{method=\"POST\",route=\"/api/v1/users\",status="
                   "\"201\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("route=\"/api/v1/users/{id}\",status=\"404\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("cohort_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/"
                   "users\",le=\"+Inf\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("cohort_objects{kind=\"users\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("cohort_objects{kind=\"groups\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("process_resident_memory_bytes "), std::string::npos) << m;
  EXPECT_NE(m.find("process_heap_bytes{kind=\"in_use\"} "), std::string::npos) << m;
  EXPECT_NE(m.find("cohort_sip_state{kind=\"bindings\"} 0"), std::string::npos) << m;
}

TEST_F(ApiTest, OpenApiDocumentIsServed) {
  HttpResult r = call("GET", "/api/v1/openapi.json", nullptr, "");
  ASSERT_EQ(r.status, 200);
  json doc = r.json();
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.", 0), 0u);
  EXPECT_TRUE(doc["paths"].contains("/api/v1/groups/{id}/members/{user_id}"));
}

TEST_F(ApiTest, UnknownRoutesAndMethods) {
  expect_error(call("GET", "/api/v1/nothing"), 404, "");
  HttpResult r = call("POST", "/api/v1/users/1");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.headers["allow"].find("PATCH"), std::string::npos) << r.headers["allow"];
  expect_error(call("GET", "/api/v1/users/abc"), 404, "");
}

TEST_F(ApiTest, BadHttpGetsAnErrorAndTheServerKeepsServing) {
  std::string big(2 * 1024 * 1024, 'x');
  HttpResult too_big = call_raw_body("POST", "/api/v1/users", big);
  EXPECT_EQ(too_big.status, 413);
  std::string garbage = http_raw(server_->port(), "\x16\x03\x01 hello\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(ApiTest, DataSurvivesARestartAndShutdownIsClean) {
  json u = create_user("Persist", "p@example.com", "1501", {{"sip_password", "persisted-1"}});
  json g = create_group("Kept");
  ASSERT_EQ(
      call("PUT",
           id_path("/api/v1/groups", g) + "/members/" + std::to_string(u["id"].get<std::int64_t>()),
           {{"position", 1}})
          .status,
      201);
  int status = server_->stop();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string log = server_->log();
  EXPECT_NE(log.find("stopped"), std::string::npos) << log;
  EXPECT_NE(log.find("http method=PUT route=/api/v1/groups/{id}/members/{user_id}"),
            std::string::npos)
      << "one log line per request with method and route:\n"
      << log;
  start();
  EXPECT_EQ(call("GET", id_path("/api/v1/users", u)).json(), u);
  json members = call("GET", id_path("/api/v1/groups", g) + "/members").json()["items"];
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["user_id"], u["id"]);
}

class FreshServerTest : public ApiTest {
 protected:
  void SetUp() override {}  // each test starts its own server
};

TEST_F(FreshServerTest, AdminTokenIsGeneratedOnceWithMode0600) {
  start({.extra_args = {}, .admin_token_env = false});
  std::string file = dir_.path() + "/admin.token";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string secret;
  std::ifstream(file) >> secret;
  EXPECT_GE(secret.size(), 32u);
  EXPECT_NE(server_->banner().find(secret), std::string::npos) << "printed at first start";
  EXPECT_EQ(call("GET", "/api/v1/users", nullptr, secret).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/users", nullptr, kAdminToken).status, 401);
  server_->stop();
  start({.extra_args = {}, .admin_token_env = false});
  EXPECT_EQ(server_->banner().find(secret), std::string::npos) << "printed only once";
  std::string again;
  std::ifstream(file) >> again;
  EXPECT_EQ(again, secret);
  EXPECT_EQ(call("GET", "/api/v1/users", nullptr, secret).status, 200);
}

TEST_F(FreshServerTest, DemoDataSeedsTheProductExample) {
  start({.extra_args = {"--demo-data"}});
  json groups = call("GET", "/api/v1/groups").json()["items"];
  std::map<std::string, json> by_name;
  for (const json& g : groups) {
    by_name[g["name"]] = g;
  }
  ASSERT_TRUE(by_name.count("Sales Dept"));
  ASSERT_TRUE(by_name.count("West Coast Sales"));
  ASSERT_TRUE(by_name.count("Tier 2 Support"));
  const json& sales = by_name["Sales Dept"];
  EXPECT_EQ(sales["outbound_caller_id"], "010000");
  HttpResult trunk_result =
      call("GET", "/api/v1/trunks/" + std::to_string(sales["trunk"].get<int>()));
  json trunk = trunk_result.json();
  EXPECT_EQ(trunk["name"], "CallCentric");
  EXPECT_EQ(trunk["host"], "sip.callcentric.net");
  EXPECT_EQ(trunk["port"], 5060);
  EXPECT_EQ(trunk["transport"], "udp");
  EXPECT_EQ(trunk["username"], "17775551234");
  EXPECT_EQ(trunk["has_password"], true);
  EXPECT_EQ(trunk_result.body.find("demo-trunk-secret"), std::string::npos);
  EXPECT_EQ(trunk["register"], false) << "make run must not reach the internet";
  EXPECT_EQ(trunk["from_domain"], "callcentric.net");
  // The product example's rules: Sales Dept first with its group caller ID, then everyone.
  json rules = call("GET", "/api/v1/outbound-rules").json()["items"];
  ASSERT_EQ(rules.size(), 2u) << rules.dump();
  EXPECT_EQ(rules[0]["name"], "Sales via CallCentric");
  EXPECT_EQ(rules[0]["position"], 1);
  EXPECT_EQ(rules[0]["patterns"], json::array({"_NXXNXXXXXX", "_1NXXNXXXXXX", "_011."}));
  EXPECT_EQ(rules[0]["caller_groups"], json::array({sales["id"]}));
  EXPECT_EQ(rules[0]["trunks"], json::array({trunk["id"]}));
  EXPECT_EQ(rules[0]["caller_id"]["policy"], "group");
  EXPECT_EQ(rules[1]["name"], "Everyone else");
  EXPECT_EQ(rules[1]["position"], 2);
  EXPECT_EQ(rules[1]["patterns"], json::array({"_NXXNXXXXXX", "_1NXXNXXXXXX", "_011."}));
  EXPECT_EQ(rules[1]["caller_groups"], json::array());
  EXPECT_EQ(rules[1]["trunks"], json::array({trunk["id"]}));
  EXPECT_EQ(rules[1]["caller_id"]["policy"], "user");
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["items"].size(), 0u);
  // Overlapping memberships: some user is in two groups or more.
  std::map<std::int64_t, int> count;
  for (const json& g : groups) {
    const json listed_1 = call("GET", id_path("/api/v1/groups", g) + "/members").json()["items"];
    for (const json& m : listed_1) {
      ++count[m["user_id"].get<std::int64_t>()];
    }
  }
  int overlapping = 0;
  for (auto [id, n] : count) {
    overlapping += n >= 2 ? 1 : 0;
  }
  EXPECT_GE(overlapping, 2);
  json users = call("GET", "/api/v1/users").json()["items"];
  EXPECT_GE(users.size(), 6u);
  for (const json& u : users) {
    EXPECT_FALSE(u["email"].get<std::string>().empty());
    EXPECT_FALSE(u["extension"].get<std::string>().empty());
  }
  // Seeding happens only on an empty database.
  server_->stop();
  start({.extra_args = {"--demo-data"}});
  EXPECT_EQ(call("GET", "/api/v1/groups").json()["items"].size(), groups.size());
}

TEST_F(FreshServerTest, ConfigFileErrorsNameTheKeyAndLine) {
  std::string cfg = dir_.path() + "/cohort.toml";
  std::ofstream(cfg) << "data_dir = \"" << dir_.path() << "\"\n\nlistn = \"x\"\n";
  RunResult unknown = run_cohort({"serve", "--config", cfg});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find(cfg + ":3"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("listn"), std::string::npos) << unknown.output;

  std::ofstream(cfg) << "http = \"127.0.0.1:99999\"\n";
  RunResult bad = run_cohort({"serve", "--config", cfg});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find(cfg + ":1"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("http"), std::string::npos) << bad.output;

  std::ofstream(cfg) << "[sip]\nrealm = 5\n";
  RunResult realm = run_cohort({"serve", "--config", cfg});
  EXPECT_NE(realm.output.find(cfg + ":2"), std::string::npos) << realm.output;
  EXPECT_NE(realm.output.find("sip.realm"), std::string::npos) << realm.output;

  RunResult flag = run_cohort({"serve", "--data-dir", dir_.path(), "--http", "nowhere"});
  EXPECT_NE(flag.exit_code, 0);
  EXPECT_NE(flag.output.find("--http"), std::string::npos) << flag.output;

  RunResult db = run_cohort({"serve", "--data-dir", dir_.path(), "--database", "mysql://x"});
  EXPECT_NE(db.exit_code, 0);
  EXPECT_NE(db.output.find("sqlite:"), std::string::npos) << db.output;
}

TEST_F(FreshServerTest, FlagsOverrideTheConfigFile) {
  std::string cfg = dir_.path() + "/cohort.toml";
  // The file's HTTP address is taken by the flag; the file's database is used.
  std::ofstream(cfg) << "http = \"127.0.0.1:1\"\ndatabase = \"sqlite:" << dir_.path()
                     << "/from-config.db\"\n[sip]\nlisten = [\"127.0.0.1:5999\"]\nrealm = "
                        "\"pbx.example\"\n";
  start({.extra_args = {"--config", cfg}});
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  EXPECT_TRUE(std::ifstream(dir_.path() + "/from-config.db").good());
  EXPECT_FALSE(std::ifstream(dir_.path() + "/cohort.db").good());
}

}  // namespace
}  // namespace cohort::testing
