#pragma once
// The HTTP values the API handlers see. No Beast here: Beast stays inside http_server.cpp
// so that only one translation unit pays for its headers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohort::api {

struct Request {
  std::string method;  ///< "GET", "POST", ... as received
  std::string target;  ///< raw request target, e.g. "/api/v1/users?q=ann"
  std::string path;    ///< percent-decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;  ///< percent-decoded, in order
  std::string authorization;  ///< the Authorization header, empty when absent
  std::string content_type;
  std::string body;

  /// The first value of query parameter `name`.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers
  /// The route pattern that handled the request ("/api/v1/users/{id}"), for logs and
  /// metrics; empty when no route matched.
  std::string route;
};

/// Splits a request target into a decoded path and query. Nullopt when the target is not
/// origin-form or has bad percent-encoding.
struct ParsedTarget {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};
std::optional<ParsedTarget> parse_target(std::string_view target);

}  // namespace cohort::api
