#pragma once
// A fresh `cohort serve --demo-data` per test (users 1001–1008, password "demo-<ext>"),
// optionally with a TOML config file written into its temp data dir, driven over SIP and
// checked over the REST API and /metrics.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <ctime>
#include <iomanip>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sip/headers.hpp"
#include "sip_peers.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/sip_client.hpp"

namespace cohort::testing {

using nlohmann::json;

/// "2026-11-22T15:46:36Z" → unix seconds; -1 when it does not parse.
inline std::int64_t parse_rfc3339(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) {
    return -1;
  }
  return static_cast<std::int64_t>(::timegm(&tm));
}

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline DigestUser demo_user(const std::string& ext,
                            sip::digest::Algorithm a = sip::digest::Algorithm::kMd5) {
  return DigestUser{ext, "demo-" + ext, a};
}

class SipTest : public ::testing::Test {
 protected:
  /// Starts the server with `toml` as its config file (none when empty) and demo data.
  void start(const std::string& toml = {}) {
    config_ = toml;
    launch();
  }
  /// Stops the server by SIGTERM (expects a clean exit) and starts it again on the same
  /// data dir and config.
  void restart() {
    ASSERT_TRUE(server_);
    int status = server_->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << server_->log();
    server_.reset();
    launch();
  }
  /// Starts the server again on the same data dir and config, once it has exited by itself
  /// (e.g. after ServerProcess::terminate and wait_exit).
  void start_again() {
    server_.reset();
    launch();
  }
  /// Kills the server with SIGKILL (a crash: nothing is flushed or closed) and starts it
  /// again on the same data dir and config.
  void crash_and_restart() {
    ASSERT_TRUE(server_);
    server_->kill();
    server_.reset();
    launch();
  }
  /// Kills the server (SIGKILL) and starts it again on the same data dir, config and SIP
  /// port, as a supervisor restarting a crashed PBX: the phones in its calls still reach it.
  void crash_and_restart_on_same_port() {
    ASSERT_TRUE(server_);
    sip_listen_ = "127.0.0.1:" + std::to_string(udp_port());
    server_->kill();
    server_.reset();
    launch();
  }

  std::uint16_t udp_port() const { return server_->sip_udp_port(); }
  std::uint16_t tcp_port() const { return server_->sip_tcp_port(); }
  std::uint16_t sip_port(SipTransport t) const {
    return t == SipTransport::kUdp ? udp_port() : tcp_port();
  }

  HttpResult api(const std::string& method, const std::string& target,
                 const std::string& body = {}) {
    return http_request(server_->port(), method, target, body, kAdminToken);
  }
  /// The items of GET /api/v1/registrations.
  json registrations() {
    HttpResult r = api("GET", "/api/v1/registrations");
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.json();
    return j.is_object() && j.contains("items") ? j["items"] : json::array();
  }
  /// The registrations of extension `ext`.
  std::vector<json> bindings_of(const std::string& ext) {
    std::vector<json> out;
    for (const json& item : registrations()) {
      if (item.value("extension", "") == ext) {
        out.push_back(item);
      }
    }
    return out;
  }
  /// Polls the API (every 50 ms, up to `timeout`) until extension `ext` has `count` bindings.
  bool wait_bindings(const std::string& ext, std::size_t count,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (bindings_of(ext).size() == count) {
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::string metrics_text() {
    HttpResult r = http_request(server_->port(), "GET", "/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  /// The value of the series named exactly `series` (name and labels), if exposed.
  std::optional<double> metric(const std::string& series) {
    std::istringstream in(metrics_text());
    std::string line;
    while (std::getline(in, line)) {
      if (line.compare(0, series.size(), series) == 0 && line.size() > series.size() &&
          line[series.size()] == ' ') {
        return std::stod(line.substr(series.size() + 1));
      }
    }
    return std::nullopt;
  }

  /// An OPTIONS to the server itself from `client`: the final status, 0 without one in time.
  int options_status(SipClient& client,
                     std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    SipUac uac(client, "probe");
    SipRequest r;
    r.method = "OPTIONS";
    auto m = uac.request(r, {}, timeout);
    return m ? m->status() : 0;
  }
  int options_from(const std::string& ip, SipTransport t = SipTransport::kUdp,
                   std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    SipClient c(t, ip, sip_port(t));
    EXPECT_TRUE(c.ok()) << c.error();
    return options_status(c, timeout);
  }

  /// A REGISTER of `user` for `contact` from `client`, answering the challenge.
  std::optional<sip::Message> register_user(SipClient& client, const DigestUser& user,
                                            const std::string& expires = "300") {
    SipUac uac(client, user.username);
    SipRequest r;
    r.contact = client.contact(user.username);
    r.expires = expires;
    return uac.request_with_auth(r, user);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;

 private:
  void launch() {
    ServerOptions o;
    if (!config_.empty()) {
      const std::string path = dir_.path() + "/cohort.toml";
      write_text(path, config_);
      o.extra_args = {"--config", path};
    }
    o.extra_args.push_back("--demo-data");
    o.sip = sip_listen_;
    server_ = std::make_unique<ServerProcess>(dir_.path(), std::move(o));
    ASSERT_TRUE(server_->started()) << server_->banner() << server_->log();
    ASSERT_NE(udp_port(), 0) << server_->banner();
    ASSERT_NE(tcp_port(), 0) << server_->banner();
  }

  std::string config_;
  std::string sip_listen_ = "127.0.0.1:0";
};

}  // namespace cohort::testing
