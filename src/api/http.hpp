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
  std::string cookie;           ///< the Cookie header(s), joined with "; "
  std::string csrf_token;       ///< the X-CSRF-Token header
  std::string accept;           ///< the Accept header
  std::string accept_encoding;  ///< the Accept-Encoding header
  std::string if_none_match;    ///< the If-None-Match header
  std::string remote_address;   ///< the peer's IP address (no port), empty when unknown
  std::string body;

  /// The first value of query parameter `name`.
  std::optional<std::string_view> query_param(std::string_view name) const;
  /// The value of cookie `name` (RFC 6265 §5.4 cookie-string), nullopt when absent.
  std::optional<std::string_view> cookie_value(std::string_view name) const;
  /// GET, HEAD and OPTIONS change nothing (RFC 9110 §9.2.1); the others need a CSRF token
  /// when authenticated by a session cookie.
  bool safe_method() const { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }
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
