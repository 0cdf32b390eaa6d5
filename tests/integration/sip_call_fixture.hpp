#pragma once
// Calls through the B2BUA: a fresh server with demo data per test, SIPp callers (UAC
// against the server), SIPp phones (a UAS on the port the extension registered from) and
// SIPp providers (a UAS on 127.0.0.2 … that a trunk points at), then the CDRs, the active
// calls and /metrics over the REST API. Every SIPp is bounded by -timeout and stopped by pid.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sip_fixture.hpp"

namespace cohort::testing {

/// The "[authentication ...]" keyword of a demo user for the CSV (SIPp does not expand
/// fields nested inside it).
inline std::string demo_auth(const std::string& ext) {
  return "[authentication username=" + ext + " password=demo-" + ext + "]";
}

/// A CSV row for call_uac*.xml: number dialled; caller extension; the auth keyword.
inline std::string call_row(const std::string& number, const std::string& caller) {
  return number + ";" + caller + ";" + demo_auth(caller) + ";";
}

/// A Call-ID starting with `prefix` whose shard (std::hash % 2: the server's two SIP
/// threads, SipServer::Options::threads) is, or is not, that of `other`: the server hashes
/// it the same way. For the tests of what crosses shards.
inline std::string call_id_on_shard(bool same_shard_as, const std::string& other,
                                    const std::string& prefix) {
  const std::size_t shard = std::hash<std::string_view>{}(other) % 2;
  for (;;) {
    std::string id = prefix + random_token(12);
    if ((std::hash<std::string_view>{}(id) % 2 == shard) == same_shard_as) {
      return id;
    }
  }
}

class SipCallTest : public SipTest {
 protected:
  void SetUp() override {
    if (!executable(kSippBinary)) {
      COHORT_REQUIRE_PEER(kSippBinary, "sip-tester");
    }
  }

  /// Starts the server with demo data made safe for a loopback test: the demo outbound
  /// rules are deleted (each test creates its own) and the demo trunk's internet host is
  /// cleared, so that no call can leave for sip.callcentric.net.
  void start_pbx(const std::string& toml = {}) {
    start(toml);
    const json rules = get("/api/v1/outbound-rules");
    for (const json& r : rules.value("items", json::array())) {
      HttpResult d = api("DELETE", "/api/v1/outbound-rules/" + std::to_string(id_of(r)));
      EXPECT_EQ(d.status, 204) << d.body;
    }
    const json trunks = get("/api/v1/trunks");
    for (const json& t : trunks.value("items", json::array())) {
      patch("/api/v1/trunks/" + std::to_string(id_of(t)), {{"host", ""}, {"register", false}});
    }
  }

  /// A SIPp caller against the server (UDP), run to the end; `call_id` (-cid_str) names
  /// its calls ("%u" = the call number), so that their CDRs can be found.
  SippRun call(const std::string& scenario, std::vector<std::string> rows,
               const std::string& call_id, std::vector<std::string> extra = {},
               const std::string& local_ip = "127.0.0.1") {
    return run_sipp(dir_.path(),
                    caller_options(scenario, std::move(rows), call_id, std::move(extra), local_ip));
  }
  SippOptions caller_options(const std::string& scenario, std::vector<std::string> rows,
                             const std::string& call_id, std::vector<std::string> extra = {},
                             const std::string& local_ip = "127.0.0.1") {
    SippOptions o;
    o.scenario = scenario;
    o.csv_rows = std::move(rows);
    o.server_port = udp_port();
    o.call_id = call_id;
    o.local_ip = local_ip;
    o.extra_args = std::move(extra);
    return o;
  }

  /// A SIPp phone for extension `ext`: registers from a free port P (register.xml), then a
  /// UAS playing `scenario` listens on P, where the server sends the calls for `ext` (SIPp
  /// in client mode drops requests of unknown Call-IDs: two processes, one port).
  SippProcess phone(const std::string& ext, const std::string& scenario, int max_calls = 1,
                    std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const std::uint16_t port = free_port();
    SippOptions reg;
    reg.scenario = "register.xml";
    reg.csv_rows = {ext + ";" + demo_auth(ext) + ";300;1;2;"};
    reg.server_port = udp_port();
    reg.local_port = port;
    reg.timeout = std::chrono::seconds(10);
    SippRun r = run_sipp(dir_.path(), reg);
    EXPECT_EQ(r.exit_code, 0) << "phone " << ext << " did not register\n" << r.describe();
    SippOptions uas;
    uas.scenario = scenario;
    uas.local_port = port;
    uas.max_calls = max_calls;
    uas.timeout = timeout;
    SippProcess p = start_sipp(dir_.path(), uas);
    EXPECT_TRUE(p.started());
    settle();
    return p;
  }

  /// A SIPp provider (a UAS) on `ip`:`port` playing `scenario`.
  SippProcess provider(const std::string& scenario, std::uint16_t port,
                       const std::string& ip = "127.0.0.2", int max_calls = 1,
                       std::chrono::seconds timeout = std::chrono::seconds(20)) {
    SippOptions uas;
    uas.scenario = scenario;
    uas.local_ip = ip;
    uas.local_port = port;
    uas.max_calls = max_calls;
    uas.timeout = timeout;
    SippProcess p = start_sipp(dir_.path(), uas);
    EXPECT_TRUE(p.started());
    settle();
    return p;
  }

  /// Gives a SIPp just started the moment it needs to bind its socket.
  static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }

  // ---- REST API ---------------------------------------------------------------------------

  json post(const std::string& path, const json& body) {
    HttpResult r = api("POST", path, body.dump());
    EXPECT_EQ(r.status, 201) << "POST " << path << " " << body.dump() << " → " << r.body;
    return r.json();
  }
  json patch(const std::string& path, const json& body) {
    HttpResult r = api("PATCH", path, body.dump());
    EXPECT_EQ(r.status, 200) << "PATCH " << path << " " << body.dump() << " → " << r.body;
    return r.json();
  }
  json get(const std::string& path) {
    HttpResult r = api("GET", path);
    EXPECT_EQ(r.status, 200) << "GET " << path << " → " << r.body;
    return r.json();
  }
  std::int64_t id_of(const json& j) {
    return j.is_object() && j.contains("id") && j["id"].is_number_integer()
               ? j["id"].get<std::int64_t>()
               : 0;
  }

  std::int64_t user_id(const std::string& ext) {
    const json users = get("/api/v1/users?limit=100");
    for (const json& u : users.value("items", json::array())) {
      if (u.value("extension", "") == ext) {
        return u["id"].get<std::int64_t>();
      }
    }
    ADD_FAILURE() << "no user with extension " << ext;
    return 0;
  }
  std::int64_t group_id(const std::string& name) {
    const json groups = get("/api/v1/groups?limit=100");
    for (const json& g : groups.value("items", json::array())) {
      if (g.value("name", "") == name) {
        return g["id"].get<std::int64_t>();
      }
    }
    ADD_FAILURE() << "no group named " << name;
    return 0;
  }

  /// POST /api/v1/trunks for a provider at `host`:`port` (UDP); `extra` fields override.
  std::int64_t create_trunk(const std::string& name, const std::string& host, std::uint16_t port,
                            const json& extra = json::object()) {
    json body = {{"name", name}, {"host", host}, {"port", port}, {"transport", "udp"}};
    for (const auto& [k, v] : extra.items()) {
      body[k] = v;
    }
    return id_of(post("/api/v1/trunks", body));
  }
  std::int64_t create_rule(const json& body) { return id_of(post("/api/v1/outbound-rules", body)); }

  /// The items of GET /api/v1/cdrs (newest first).
  json cdrs(const std::string& query = "") {
    json j = get("/api/v1/cdrs" + query);
    return j.is_object() && j.contains("items") ? j["items"] : json::array();
  }
  /// The same without an assertion, for polling: null on any error.
  json cdrs_quietly() {
    HttpResult r = api("GET", "/api/v1/cdrs");
    json j = r.status == 200 ? r.json() : json();
    return j.is_object() && j.contains("items") ? j["items"] : json();
  }
  /// The CDR of the call whose caller leg had Call-ID `call_id`, once it is ended (written
  /// off the SIP threads in batches: polled up to 5 s). Null when there is none in time.
  json ended_cdr(const std::string& call_id,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json last = nullptr;
    for (;;) {
      const json all = cdrs_quietly();
      for (const json& c : all.is_array() ? all : json::array()) {
        if (c.value("a_leg_call_id", "") == call_id) {
          last = c;
          if (!c["ended_at"].is_null()) {
            return c;
          }
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ADD_FAILURE() << "no ended CDR for Call-ID " << call_id << "; last seen: " << last.dump()
                      << "\nall: " << api("GET", "/api/v1/cdrs").body;
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  /// The ended CDR whose `field` is `value` (polled like ended_cdr, 5 s); null when none.
  json ended_where(const std::string& field, const json& value) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      const json all = cdrs_quietly();
      for (const json& c : all.is_array() ? all : json::array()) {
        if (c.contains(field) && c[field] == value && !c["ended_at"].is_null()) {
          return c;
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  /// The items of GET /api/v1/calls.
  json active_calls() {
    json j = get("/api/v1/calls");
    return j.is_object() && j.contains("items") ? j["items"] : json::array();
  }
  /// Polls GET /api/v1/calls until `count` calls are answered, up to `timeout`.
  bool wait_answered_calls(std::size_t count,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::size_t answered = 0;
      for (const json& c : active_calls()) {
        answered += c.value("state", "") == "answered" ? 1 : 0;
      }
      if (answered == count) {
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  /// cohort_calls_total{outcome="…"}, -1 when not exposed.
  double calls_total(const std::string& outcome) {
    return metric("cohort_calls_total{outcome=\"" + outcome + "\"}").value_or(-1);
  }
};

}  // namespace cohort::testing
