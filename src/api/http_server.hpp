#pragma once
// The HTTP/1.1 server (Boost.Beast, kept inside http_server.cpp). Keep-alive, a body size
// limit, idle timeouts, one log line and one metrics observation per request, graceful
// shutdown on SIGINT/SIGTERM or stop(): stop accepting, let in-flight requests finish,
// then return from run().

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.hpp"
#include "api/metrics.hpp"
#include "common/errc.hpp"

namespace cohort::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  ///< IPv4 or IPv6 literal
  std::uint16_t port = 8080;       ///< 0 = any free port (see HttpServer::port)
  int threads = 2;
  std::size_t body_limit = 1 << 20;  ///< larger bodies get 413
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
