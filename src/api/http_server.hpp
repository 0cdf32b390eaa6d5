#pragma once
// The HTTP/1.1 server (Boost.Beast, kept inside http_server.cpp). Keep-alive, a body size
// limit, idle timeouts, one log line and one metrics observation per request, graceful
// shutdown on SIGINT/SIGTERM or stop(): stop accepting, let in-flight requests finish,
// then return from run().

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"
#include "api/metrics.hpp"
#include "common/errc.hpp"

namespace cohort::api {

/// A body limit of its own for some requests (audio uploads, issue 13), so that raising it
/// there does not raise it for every route.
struct BodyLimitRule {
  /// Whether the rule takes a request (its method and decoded path). Any server thread.
  std::function<bool(std::string_view method, std::string_view path)> applies;
  std::size_t limit = 0;
  /// The answer to a body over `limit` (instead of the 413); `declared` is the
  /// Content-Length when the request had one. The connection is closed after it.
  std::function<Response(std::optional<std::uint64_t> declared)> too_big;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";  ///< IPv4 or IPv6 literal
  std::uint16_t port = 8080;       ///< 0 = any free port (see HttpServer::port)
  int threads = 2;
  std::size_t body_limit = 1 << 20;  ///< larger bodies get 413
  /// The first rule that applies to a request replaces `body_limit` for it.
  std::vector<BodyLimitRule> body_limit_rules;
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds shutdown_grace{10};  ///< in-flight requests get this long
  bool handle_signals = true;               ///< SIGINT/SIGTERM start a graceful stop
};

class HttpServer {
 public:
  /// Called on a server thread for every well-formed request.
  using Callback = std::function<Response(const Request&)>;

  HttpServer(HttpServerOptions options, Callback callback, Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and listens. The error names the address. Call once, before run().
  Result<void> listen();
  /// The bound port (useful with port 0). After listen().
  std::uint16_t port() const;
  /// Serves on `threads` threads until a graceful stop completes. Blocks the caller.
  void run();
  /// Begins a graceful stop. Any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::api
