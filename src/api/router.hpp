#pragma once
// Method + path-pattern routing. Patterns are literal segments and `{name}` parameters,
// the same syntax as OpenAPI paths, so the route table can be checked against the
// checked-in OpenAPI document.

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http.hpp"

namespace cohort::api {

using PathParams = std::unordered_map<std::string, std::string>;
using Handler = std::function<Response(const Request&, const PathParams&)>;

class Router {
 public:
  /// Registers `handler` for `method` on `pattern` (e.g. "/api/v1/users/{id}"). Start-up only.
  void add(std::string method, std::string pattern, Handler handler);

  /// Runs the matching handler. An unknown path → 404, a known path with another method →
  /// 405 with Allow; both with the JSON error body. Sets Response::route. Any thread.
  Response dispatch(const Request& req) const;

  /// What dispatch() would find for `method` on `path`, without running anything: whether a
  /// route takes the request, and the pattern that matches the path whatever the method
  /// (empty when none does). Any thread.
  struct Lookup {
    bool route = false;
    std::string path_pattern;
  };
  Lookup lookup(std::string_view method, std::string_view path) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  /// Every registered (method, pattern), in registration order.
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  ///< "{x}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace cohort::api
