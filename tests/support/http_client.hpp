#pragma once
// A minimal blocking HTTP/1.1 client for tests: one request per connection
// (Connection: close), loopback only.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace cohort::testing {

struct HttpResult {
  int status = 0;                              ///< 0 when the connection failed
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  nlohmann::json json() const;
};

/// Sends `method target` with `body` (JSON when non-empty) and bearer `token` when
/// non-empty; extra raw header lines may be given in `extra_headers` ("Name: value\r\n").
HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = "", const std::string& token = "",
                        const std::string& extra_headers = "");

/// Sends raw bytes and returns what the server answered before closing (for bad input).
std::string http_raw(std::uint16_t port, const std::string& bytes);

}  // namespace cohort::testing
