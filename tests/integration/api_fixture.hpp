#pragma once
// A fresh `cohort serve` per test, on a temp data dir, driven over HTTP.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace cohort::testing {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start(ServerOptions options = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.path(), std::move(options));
    ASSERT_TRUE(server_->started()) << server_->banner() << server_->log();
  }

  HttpResult call(const std::string& method, const std::string& target, const json& body = nullptr,
                  const std::string& token = kAdminToken) {
    return http_request(server_->port(), method, target, body.is_null() ? "" : body.dump(), token);
  }
  HttpResult call_raw_body(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& token = kAdminToken) {
    return http_request(server_->port(), method, target, body, token);
  }

  json create_user(const std::string& name, const std::string& email, const std::string& ext,
                   json extra = json::object()) {
    json body = {{"name", name}, {"email", email}, {"extension", ext}};
    body.update(extra);
    HttpResult r = call("POST", "/api/v1/users", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  json create_group(const std::string& name, json extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    HttpResult r = call("POST", "/api/v1/groups", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  /// A bearer token acting as `user_id`.
  std::string token_for(std::int64_t user_id) {
    HttpResult r = call("POST", "/api/v1/tokens", {{"user_id", user_id}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("token", "");
  }
  static std::string id_path(const std::string& base, const json& obj) {
    return base + "/" + std::to_string(obj.at("id").get<std::int64_t>());
  }
  /// Asserts a 4xx error body naming `field` (null when empty).
  static void expect_error(const HttpResult& r, int status, const std::string& field) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = r.json();
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_TRUE(j["error"]["code"].is_string()) << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << r.body;
    if (field.empty()) {
      EXPECT_TRUE(j["error"]["field"].is_null()) << r.body;
    } else {
      EXPECT_EQ(j["error"]["field"], field) << r.body;
    }
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace cohort::testing
