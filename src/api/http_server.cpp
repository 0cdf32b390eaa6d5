// The only translation unit that includes Boost.Asio and Boost.Beast (they cost ~30 s of
// compile time each time they are included). CMake force-includes <utility> here, which
// Boost 1.74 Asio needs under C++20.

#include "api/http_server.hpp"

#include <array>
#include <atomic>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/errors.hpp"
#include "api/security_headers.hpp"
#include "common/log.hpp"

// g++ 12 inlines Asio's frame allocator (awaitable_frame_base::operator new/delete) and then
// reports the pair as mismatched on every awaitable function: a known false positive (see
// chriskohlhoff/asio#1391, gcc PR middle-end/109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace cohort::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Room for a long bearer token and a browser's usual headers; Beast's default is 8 KiB.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// After a response with Connection: close and input left unread, how long that input is
// drained before closing (see Session::close_gracefully).
constexpr std::chrono::seconds kLingerLimit{2};

auto token(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Boost 1.74's string_view is boost::string_view; fmt and our API speak std::string_view.
std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

std::string endpoint_name(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

// The JSON error body of DESIGN.md for a status that has no Errc (431).
Response plain_error(int status, std::string_view code, std::string message) {
  return json_response(
      status, {{"error", {{"code", code}, {"message", std::move(message)}, {"field", nullptr}}}});
}

struct Session;

// The server's state. HttpServer::Impl (private to the header) is a thin alias of it so that
// Session can name it.
struct ServerState {
  ServerState(HttpServerOptions o, HttpServer::Callback cb, Metrics& m)
      : options(std::move(o)),
        callback(std::move(cb)),
        metrics(m),
        strand(asio::make_strand(ioc)),
        acceptor(strand),
        signals(strand),
        grace_timer(strand) {}

  // Runs on `strand`. Idempotent: a second signal or stop() changes nothing.
  void begin_stop();
  // Session end, on the session's strand: the last one out during a stop ends run().
  void unregister(Session* s);
  asio::awaitable<void> accept_loop();

  HttpServerOptions options;
  HttpServer::Callback callback;
  Metrics& metrics;
  std::uint16_t bound_port = 0;

  // Declared before the I/O objects so that they are destroyed before it.
  asio::io_context ioc;
  // Serialises the acceptor, the signal set, the grace timer and begin_stop.
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer grace_timer;
  bool stop_started = false;  // on strand
  // Read by sessions on their own strands to decide Connection: close.
  std::atomic<bool> stopping{false};

  std::mutex sessions_mutex;
  // The coroutine frames own the sessions; this finds them for a stop.
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // under sessions_mutex
};

// One connection. Every member is touched only on the session's strand (the executor of its
// socket), where its coroutine runs.
struct Session {
  Session(ServerState& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}

  asio::awaitable<void> run();

  // On the session's strand, during a graceful stop: an idle connection is closed now; one
  // with a request in hand finishes it and closes after the response.
  void on_stop() {
    if (!busy_) {
      stream_.cancel();
    }
  }

  beast::tcp_stream::executor_type executor() { return stream_.get_executor(); }

 private:
  asio::awaitable<void> serve_one(bool& keep_alive);
  // The body limit rule of a request whose header has been read; nullptr = the default.
  const BodyLimitRule* body_rule(const http::request<http::string_body>& head) const {
    if (server_.options.body_limit_rules.empty()) {
      return nullptr;
    }
    const auto parsed = parse_target(sv(head.target()));
    if (!parsed) {
      return nullptr;
    }
    for (const BodyLimitRule& r : server_.options.body_limit_rules) {
      if (r.applies && r.applies(sv(head.method_string()), parsed->path)) {
        return &r;
      }
    }
    return nullptr;
  }
  Response handle(const Request& req);
  asio::awaitable<void> write(Response& r, unsigned version, bool head, bool close);
  asio::awaitable<void> reply_error(Response r, std::string_view method_label,
                                    std::string_view method, std::string_view target,
                                    std::chrono::steady_clock::time_point started);
  asio::awaitable<void> close_gracefully();
  void record(std::string_view method_label, std::string_view method, std::string_view target,
              const Response& r, std::chrono::steady_clock::time_point started);

  ServerState& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool busy_ = false;  // a request has been read and is not yet answered
};

asio::awaitable<void> Session::run() {
  try {
    bool keep_alive = true;
    while (keep_alive && !server_.stopping.load()) {
      co_await serve_one(keep_alive);
    }
  } catch (const std::exception& e) {
    // Only a bug gets here (Beast and Asio report errors through error codes).
    spdlog::error("http session failed error={}", log::Value{e.what()});
  }
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  server_.unregister(this);
}

asio::awaitable<void> Session::serve_one(bool& keep_alive) {
  keep_alive = false;
  busy_ = false;
  http::request_parser<http::string_body> parser;
  // No limit until the request line says which one applies (body_rule, below): the
  // declared length is then judged by that one, and is known to its answer.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.header_limit(kHeaderLimit);
  const BodyLimitRule* rule = nullptr;

  error_code ec;
  stream_.expires_after(server_.options.idle_timeout);
  co_await http::async_read_header(stream_, buffer_, parser, token(ec));
  auto started = std::chrono::steady_clock::now();
  if (!ec) {
    busy_ = true;
    rule = body_rule(parser.get());
    const std::size_t limit = rule != nullptr ? rule->limit : server_.options.body_limit;
    // A declared length over the limit is answered before a byte of the body is read (and
    // before a 100 Continue invites it); a chunked body is cut off where it passes it.
    if (parser.content_length() && *parser.content_length() > limit) {
      ec = http::error::body_limit;
    }
    parser.body_limit(limit);
  }
  if (!ec) {
    const auto& head = parser.get();
    // RFC 9110 §10.1.1: a client that waits for 100 Continue (curl does above 1 KiB) would
    // otherwise stall; the body limit has already been checked against Content-Length.
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, head.version()};
      stream_.expires_after(server_.options.idle_timeout);
      co_await http::async_write(stream_, cont, token(ec));
    }
    if (!ec && !parser.is_done()) {
      stream_.expires_after(server_.options.idle_timeout);
      co_await http::async_read(stream_, buffer_, parser, token(ec));
    }
  }

  if (ec) {
    // The peer left, went idle, or a stop cancelled the wait: nothing to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec.category() != http::make_error_code(http::error::bad_target).category()) {
      co_return;
    }
    // The request line is stored once it parsed, even when a later header or the body failed.
    std::string method(sv(parser.get().method_string()));
    std::string target(sv(parser.get().target()));
    std::string label = method.empty()                                 ? "-"
                        : parser.get().method() == http::verb::unknown ? "OTHER"
                                                                       : method;
    if (method.empty()) {
      method = "-";
      target = "-";
    }
    // Built outside the co_await: g++ 12 destroys temporaries of a co_await full-expression
    // twice (a coroutine codegen bug), so none with a destructor may appear in one.
    Response err;
    if (ec == http::error::body_limit && rule != nullptr && rule->too_big) {
      err = rule->too_big(parser.content_length()
                              ? std::optional<std::uint64_t>(*parser.content_length())
                              : std::nullopt);
    } else if (ec == http::error::body_limit) {
      err = error_response(
          Error{Errc::kTooLarge,
                fmt::format("request body larger than {} bytes", server_.options.body_limit), ""});
    } else if (ec == http::error::header_limit) {
      err = plain_error(431, "header_too_large",
                        fmt::format("request header larger than {} bytes", kHeaderLimit));
    } else {
      err = error_response(Error{Errc::kInvalid, "malformed HTTP request: " + ec.message(), ""});
    }
    co_await reply_error(std::move(err), label, method, target, started);
    co_return;
  }

  auto& msg = parser.get();
  Request req;
  req.method = std::string(sv(msg.method_string()));
  req.target = std::string(sv(msg.target()));
  req.authorization = std::string(sv(msg[http::field::authorization]));
  req.content_type = std::string(sv(msg[http::field::content_type]));
  req.csrf_token = std::string(sv(msg["X-CSRF-Token"]));
  req.accept = std::string(sv(msg[http::field::accept]));
  req.accept_encoding = std::string(sv(msg[http::field::accept_encoding]));
  req.if_none_match = std::string(sv(msg[http::field::if_none_match]));
  // RFC 6265 §5.4: a user agent sends one Cookie header, but HTTP/1.1 intermediaries may
  // have split it; joined, the pairs read the same.
  for (auto it = msg.find(http::field::cookie);
       it != msg.end() && it->name() == http::field::cookie; ++it) {
    if (!req.cookie.empty()) {
      req.cookie += "; ";
    }
    req.cookie += sv(it->value());
  }
  {
    error_code peer_ec;
    auto peer = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec) {
      req.remote_address = peer.address().to_string();
    }
  }
  req.body = std::move(msg.body());

  Response res;
  if (auto parsed = parse_target(req.target)) {
    req.path = std::move(parsed->path);
    req.query = std::move(parsed->query);
    res = handle(req);
  } else {
    res = error_response(Error{Errc::kInvalid, "malformed request target", ""});
  }

  bool close = !msg.keep_alive() || server_.stopping.load();
  co_await write(res, msg.version(), msg.method() == http::verb::head, close);
  busy_ = false;
  record(msg.method() == http::verb::unknown ? std::string_view("OTHER") : req.method, req.method,
         req.target, res, started);
  if (close) {
    // Input left unread (pipelined requests) would turn the close into an RST.
    error_code available_ec;
    if (buffer_.size() > 0 || stream_.socket().available(available_ec) > 0) {
      co_await close_gracefully();
    }
    co_return;
  }
  keep_alive = true;
}

Response Session::handle(const Request& req) {
  try {
    return server_.callback(req);
  } catch (const std::exception& e) {
    spdlog::error("http handler failed method={} target={} error={}", log::Value{req.method},
                  log::Value{req.target}, log::Value{e.what()});
  } catch (...) {
    spdlog::error("http handler failed method={} target={} error=unknown", log::Value{req.method},
                  log::Value{req.target});
  }
  return error_response(Error::internal("internal error"));
}

// Moves the body out of `r`; the rest stays for the log line and metrics.
asio::awaitable<void> Session::write(Response& r, unsigned version, bool head, bool close) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) {
    res.set(http::field::content_type, r.content_type);
  }
  bool has_cache_control = false;
  for (const auto& [name, value] : r.headers) {
    res.insert(name, value);
    has_cache_control = has_cache_control || beast::iequals(name, "Cache-Control");
  }
  // Every answer, API or console: no script but our own files, no framing, no sniffing, no
  // referrer leaking ids in URLs (issue 10). An API answer is never cached by default.
  for (const auto& [name, value] : security_headers()) {
    res.set(beast::string_view(name.data(), name.size()),
            beast::string_view(value.data(), value.size()));
  }
  if (!has_cache_control) {
    res.set(http::field::cache_control, "no-store");
  }
  // RFC 9110 §6.4.1: 1xx, 204 and 304 carry no content; a HEAD response announces the length
  // of the GET body without sending it.
  bool no_content = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  if (!no_content) {
    res.content_length(r.body.size());
    if (!head) {
      res.body() = std::move(r.body);
    }
  }
  res.keep_alive(!close);

  error_code ec;
  stream_.expires_after(server_.options.idle_timeout);
  co_await http::async_write(stream_, res, token(ec));
  if (ec) {
    spdlog::debug("http write failed error={}", log::Value{ec.message()});
  }
}

asio::awaitable<void> Session::reply_error(Response r, std::string_view method_label,
                                           std::string_view method, std::string_view target,
                                           std::chrono::steady_clock::time_point started) {
  // The framing is unknown after a parse error, so the connection cannot be reused.
  co_await write(r, 11, false, true);
  busy_ = false;
  record(method_label, method, target, r, started);
  co_await close_gracefully();
}

asio::awaitable<void> Session::close_gracefully() {
  // Closing a socket with unread input makes the kernel send RST, which can destroy the
  // response before the client reads it (e.g. a 413 while the body is still arriving). So:
  // send FIN, then discard input until the peer closes or the linger limit passes.
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    co_return;
  }
  stream_.expires_after(
      std::min<std::chrono::steady_clock::duration>(kLingerLimit, server_.options.idle_timeout));
  std::array<char, 4096> discard;
  while (!ec) {
    co_await stream_.async_read_some(asio::buffer(discard), token(ec));
  }
}

void Session::record(std::string_view method_label, std::string_view method,
                     std::string_view target, const Response& r,
                     std::chrono::steady_clock::time_point started) {
  auto duration = std::chrono::steady_clock::now() - started;
  spdlog::info("http method={} route={} target={} status={} duration_ms={:.2f}", log::Value{method},
               log::Value{r.route.empty() ? std::string_view("-") : std::string_view(r.route)},
               log::Value{target}, r.status,
               std::chrono::duration<double, std::milli>(duration).count());
  server_.metrics.observe_request(method_label, r.route, r.status,
                                  std::chrono::duration_cast<std::chrono::nanoseconds>(duration));
}

// A free function so that the coroutine frame, not a `this` pointer, owns the session.
asio::awaitable<void> run_session(std::shared_ptr<Session> session) {
  co_await session->run();
}

void ServerState::begin_stop() {
  if (stop_started) {
    return;
  }
  stop_started = true;
  stopping.store(true);
  error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);

  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (const auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) {
        live.push_back(std::move(s));
      }
    }
  }
  if (live.empty()) {
    ioc.stop();
    return;
  }
  spdlog::info("http stopping sessions={} grace_s={}", live.size(), options.shutdown_grace.count());
  for (auto& s : live) {
    asio::post(s->executor(), [s] { s->on_stop(); });
  }
  grace_timer.expires_after(options.shutdown_grace);
  grace_timer.async_wait([this](error_code ec) {
    if (!ec) {
      std::lock_guard lock(sessions_mutex);
      spdlog::warn("http shutdown grace elapsed sessions={}", sessions.size());
      ioc.stop();
    }
  });
}

void ServerState::unregister(Session* s) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(s);
  // `stopping` is set before begin_stop takes this lock, so either begin_stop sees this
  // session gone or this sees the stop: the last session cannot slip between the two.
  if (stopping.load() && sessions.empty()) {
    ioc.stop();
  }
}

asio::awaitable<void> ServerState::accept_loop() {
  while (acceptor.is_open()) {
    // Each connection gets its own strand: its coroutine, timer and socket never run
    // concurrently, while different connections use all `threads`.
    tcp::socket socket(asio::make_strand(ioc));
    error_code ec;
    co_await acceptor.async_accept(socket, token(ec));
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) {
        break;
      }
      // E.g. EMFILE: back off instead of spinning on the same error.
      spdlog::warn("http accept failed error={}", log::Value{ec.message()});
      asio::steady_timer pause(strand, std::chrono::milliseconds(100));
      co_await pause.async_wait(token(ec));
      continue;
    }
    if (stopping.load()) {
      break;  // accepted just before the stop closed the acceptor: not in flight
    }
    auto session = std::make_shared<Session>(*this, std::move(socket));
    {
      std::lock_guard lock(sessions_mutex);
      sessions.emplace(session.get(), session);
    }
    auto executor = session->executor();
    asio::co_spawn(executor, run_session(std::move(session)), asio::detached);
  }
}

}  // namespace

struct HttpServer::Impl final : ServerState {
  using ServerState::ServerState;
};

HttpServer::HttpServer(HttpServerOptions options, Callback callback, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(callback), metrics)) {}

HttpServer::~HttpServer() = default;

Result<void> HttpServer::listen() {
  auto& o = impl_->options;
  std::string where = endpoint_name(o.host, o.port);
  error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) {
    return fail(
        Error{Errc::kInvalid, fmt::format("cannot listen on {}: not an IP address", where), ""});
  }
  tcp::endpoint endpoint(address, o.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    // A restart must not wait for TIME_WAIT connections of the previous process.
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (!ec) {
    impl_->bound_port = acceptor.local_endpoint(ec).port();
  }
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return fail(
        Error{Errc::kUnavailable, fmt::format("cannot listen on {}: {}", where, ec.message()), ""});
  }

  if (o.handle_signals) {
    // Installed here rather than in run() so that a signal between listen() and run() is
    // queued instead of killing the process.
    impl_->signals.add(SIGINT);
    impl_->signals.add(SIGTERM);
    impl_->signals.async_wait([impl = impl_.get()](error_code e, int signo) {
      if (!e) {
        spdlog::info("http signal={} graceful stop", signo);
        impl->begin_stop();
      }
    });
  }
  asio::co_spawn(impl_->strand, impl_->accept_loop(), asio::detached);
  spdlog::info("http listening address={}", endpoint_name(o.host, impl_->bound_port));
  return {};
}

std::uint16_t HttpServer::port() const {
  return impl_->bound_port;
}

void HttpServer::run() {
  int n = std::max(1, impl_->options.threads);
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(n - 1));
  for (int i = 1; i < n; ++i) {
    workers.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto& t : workers) {
    t.join();
  }
  spdlog::info("http stopped");
}

void HttpServer::stop() {
  asio::post(impl_->strand, [impl = impl_.get()] { impl->begin_stop(); });
}

}  // namespace cohort::api
