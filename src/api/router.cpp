#include "api/router.hpp"

#include <algorithm>

#include "api/errors.hpp"

namespace cohort::api {

namespace {

// "/a/b" → {"", "a", "b"}; "/" → {"", ""}. Keeping the empty segments makes "/a/" differ
// from "/a", so a trailing slash never silently reaches another resource.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

bool is_param(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Whether `segments` (a pattern) matches `path`; a "{name}" segment matches any non-empty
// segment.
bool matches(const std::vector<std::string>& segments, const std::vector<std::string_view>& path) {
  if (segments.size() != path.size()) {
    return false;
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (is_param(segments[i])) {
      if (path[i].empty()) {
        return false;
      }
    } else if (segments[i] != path[i]) {
      return false;
    }
  }
  return true;
}

// True when `a` is more specific than `b`: at the first segment where one is a literal and the
// other a parameter, the literal wins, so "/users/me" beats "/users/{id}" whatever the
// registration order.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    bool pa = is_param(a[i]);
    bool pb = is_param(b[i]);
    if (pa != pb) {
      return !pa;
    }
  }
  return false;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  std::vector<std::string> segments;
  for (auto s : split_path(pattern)) {
    segments.emplace_back(s);
  }
  routes_.push_back(
      Route{std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Response Router::dispatch(const Request& req) const {
  auto path = split_path(req.path);

  const Route* best = nullptr;       // matches path and method
  const Route* best_path = nullptr;  // matches path only, for the 405
  std::vector<std::string_view> allow;
  for (const auto& route : routes_) {
    if (!matches(route.segments, path)) {
      continue;
    }
    if (best_path == nullptr || more_specific(route.segments, best_path->segments)) {
      best_path = &route;
    }
    if (std::find(allow.begin(), allow.end(), route.method) == allow.end()) {
      allow.push_back(route.method);
    }
    if (route.method == req.method &&
        (best == nullptr || more_specific(route.segments, best->segments))) {
      best = &route;
    }
  }

  if (best != nullptr) {
    PathParams params;
    for (std::size_t i = 0; i < best->segments.size(); ++i) {
      const auto& seg = best->segments[i];
      if (is_param(seg)) {
        params.emplace(seg.substr(1, seg.size() - 2), std::string(path[i]));
      }
    }
    Response res = best->handler(req, params);
    res.route = best->pattern;
    return res;
  }

  if (best_path == nullptr) {
    return error_response(Error{Errc::kNotFound, "no route for " + req.path, ""});
  }

  // RFC 9110 §15.5.6: a 405 lists the methods the resource supports in Allow. Errc has no
  // 405 (it is not a domain error), so the body is built here in the same shape.
  std::string allow_header;
  for (auto m : allow) {
    if (!allow_header.empty()) {
      allow_header += ", ";
    }
    allow_header += m;
  }
  Response res =
      json_response(405, {{"error",
                           {{"code", "method_not_allowed"},
                            {"message", "method " + req.method + " not allowed on " + req.path},
                            {"field", nullptr}}}});
  res.headers.emplace_back("Allow", std::move(allow_header));
  res.route = best_path->pattern;
  return res;
}

Router::Lookup Router::lookup(std::string_view method, std::string_view path) const {
  const auto segments = split_path(path);
  Lookup out;
  const Route* best_path = nullptr;
  for (const auto& route : routes_) {
    if (!matches(route.segments, segments)) {
      continue;
    }
    out.route = out.route || route.method == method;
    if (best_path == nullptr || more_specific(route.segments, best_path->segments)) {
      best_path = &route;
    }
  }
  if (best_path != nullptr) {
    out.path_pattern = best_path->pattern;
  }
  return out;
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) {
    out.push_back(RouteInfo{r.method, r.pattern});
  }
  return out;
}

}  // namespace cohort::api
