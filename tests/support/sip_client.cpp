#include "support/sip_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "sip/headers.hpp"

namespace cohort::testing {
namespace {

using Clock = std::chrono::steady_clock;
namespace digest = sip::digest;

bool make_address(const std::string& ip, std::uint16_t port, sockaddr_in* out) {
  *out = sockaddr_in{};
  out->sin_family = AF_INET;
  out->sin_port = htons(port);
  return ::inet_pton(AF_INET, ip.c_str(), &out->sin_addr) == 1;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return lower(a) == lower(b);
}

/// Headers in order, rendered with MessageBuilder for the methods it knows and by hand for
/// an unknown method token (MessageBuilder::request takes the Method enum).
std::string render(std::string_view method, std::string_view uri,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   std::string_view content_type, std::string_view body) {
  sip::Method m = sip::parse_method(method);
  if (m != sip::Method::kUnknown) {
    sip::MessageBuilder b = sip::MessageBuilder::request(m, uri);
    for (const auto& [name, value] : headers) {
      b.header(name, value);
    }
    if (!body.empty()) {
      b.body(content_type, body);
    }
    return b.str();
  }
  std::string out = std::string(method) + " " + std::string(uri) + " SIP/2.0\r\n";
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
  }
  if (!body.empty()) {
    out += "Content-Type: " + std::string(content_type) + "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

}  // namespace

std::string_view to_string(SipTransport t) {
  return t == SipTransport::kUdp ? "udp" : "tcp";
}

std::string random_token(std::size_t n) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (char& c : out) {
    c = kHex[rng() % 16];
  }
  return out;
}

// ---- SipClient --------------------------------------------------------------------------

SipClient::SipClient(SipTransport transport, std::string local_ip, std::uint16_t server_port,
                     std::string server_ip)
    : transport_(transport),
      local_ip_(std::move(local_ip)),
      server_ip_(std::move(server_ip)),
      server_port_(server_port) {
  const int type = transport_ == SipTransport::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error_ = errno_text("socket");
    return;
  }
  // A send can never hang a test: a peer that stopped reading fails it after 5 s.
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in local{};
  if (!make_address(local_ip_, 0, &local)) {
    error_ = "bad local address " + local_ip_;
    ::close(fd);
    return;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    error_ = errno_text("bind");
    ::close(fd);
    return;
  }
  if (transport_ == SipTransport::kTcp) {
    sockaddr_in server{};
    if (!make_address(server_ip_, server_port_, &server) ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
      error_ = errno_text("connect");
      ::close(fd);
      return;
    }
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  local_port_ = ntohs(bound.sin_port);
  fd_ = fd;
}

SipClient::~SipClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool SipClient::send_raw(std::string_view bytes) {
  if (fd_ < 0) {
    last_errno_ = EBADF;
    return false;
  }
  if (transport_ == SipTransport::kUdp) {
    sockaddr_in server{};
    make_address(server_ip_, server_port_, &server);
    ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&server),
                         sizeof server);
    last_errno_ = n < 0 ? errno : 0;
    return n == static_cast<ssize_t>(bytes.size());
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      last_errno_ = n < 0 ? errno : EPIPE;
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  last_errno_ = 0;
  return true;
}

std::optional<std::string> SipClient::receive_raw(std::chrono::milliseconds timeout) {
  if (fd_ < 0) {
    return std::nullopt;
  }
  const auto deadline = Clock::now() + timeout;
  if (transport_ == SipTransport::kUdp) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
      return std::nullopt;
    }
    std::string buf(65536, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      return std::nullopt;
    }
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  sip::ParseLimits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_header_bytes = 1 << 20;
  for (;;) {
    stream_.erase(0, sip::skip_keepalives(stream_));
    if (!stream_.empty()) {
      auto len = sip::frame_length(stream_, limits);
      if (len) {
        std::string frame = stream_.substr(0, *len);
        stream_.erase(0, *len);
        return frame;
      }
      if (len.error().kind == sip::ParseError::Kind::kMalformed || closed_) {
        std::string rest = std::move(stream_);
        stream_.clear();
        return rest;  // unframeable: handed over as is, so that the caller's parse fails
      }
    }
    if (closed_) {
      return std::nullopt;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
      return std::nullopt;
    }
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      continue;
    }
    stream_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<sip::Message> SipClient::receive(std::chrono::milliseconds timeout) {
  auto raw = receive_raw(timeout);
  if (!raw) {
    return std::nullopt;
  }
  auto parsed = sip::parse(std::move(*raw));
  if (!parsed) {
    ++unparseable_;
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::string SipClient::read_bytes(std::chrono::milliseconds timeout) {
  std::string out = std::move(stream_);
  stream_.clear();
  if (fd_ < 0 || closed_) {
    return out;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return out;
  }
  std::string buf(65536, '\0');
  ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n <= 0) {
    closed_ = transport_ == SipTransport::kTcp;
    return out;
  }
  out.append(buf.data(), static_cast<std::size_t>(n));
  return out;
}

bool SipClient::wait_closed(std::chrono::milliseconds timeout, std::string* received) {
  if (transport_ != SipTransport::kTcp || fd_ < 0) {
    return false;
  }
  if (received != nullptr) {
    received->append(stream_);
  }
  stream_.clear();
  const auto deadline = Clock::now() + timeout;
  while (!closed_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
      return false;
    }
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
    } else if (received != nullptr) {
      received->append(buf, static_cast<std::size_t>(n));
    }
  }
  return true;
}

std::string SipClient::via() const {
  return "SIP/2.0/" + std::string(transport_ == SipTransport::kUdp ? "UDP" : "TCP") + " " +
         local_ip_ + ":" + std::to_string(local_port_) + ";branch=z9hG4bK" + random_token(16) +
         ";rport";
}

std::string SipClient::contact(std::string_view user) const {
  return "<sip:" + std::string(user) + "@" + local_ip_ + ":" + std::to_string(local_port_) +
         ";transport=" + std::string(to_string(transport_)) + ">";
}

std::string SipClient::server_uri(std::string_view user) const {
  std::string out = "sip:";
  if (!user.empty()) {
    out += std::string(user) + "@";
  }
  return out + server_ip_ + ":" + std::to_string(server_port_);
}

// ---- challenges and credentials ---------------------------------------------------------

std::optional<std::string> DigestChallenge::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == lower(name)) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<DigestChallenge> parse_challenge(std::string_view value) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  auto is_token = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
  };
  DigestChallenge c;
  std::size_t i = 0;
  while (i < value.size() && is_space(value[i])) {
    ++i;
  }
  while (i < value.size() && is_token(value[i])) {
    c.scheme += value[i++];
  }
  if (c.scheme.empty() || i >= value.size() || !is_space(value[i])) {
    return std::nullopt;
  }
  bool need_comma = false;
  for (;;) {
    while (i < value.size() && is_space(value[i])) {
      ++i;
    }
    if (i == value.size()) {
      break;
    }
    if (need_comma) {
      if (value[i] != ',') {
        return std::nullopt;
      }
      ++i;
      need_comma = false;
      continue;
    }
    std::string name;
    while (i < value.size() && is_token(value[i])) {
      name += value[i++];
    }
    while (i < value.size() && is_space(value[i])) {
      ++i;
    }
    if (name.empty() || i == value.size() || value[i] != '=') {
      return std::nullopt;
    }
    ++i;
    while (i < value.size() && is_space(value[i])) {
      ++i;
    }
    std::string v;
    bool quoted = i < value.size() && value[i] == '"';
    if (quoted) {
      ++i;
      bool closed = false;
      while (i < value.size()) {
        char ch = value[i++];
        if (ch == '\\' && i < value.size()) {
          v += value[i++];
        } else if (ch == '"') {
          closed = true;
          break;
        } else {
          v += ch;
        }
      }
      if (!closed) {
        return std::nullopt;
      }
    } else {
      while (i < value.size() && is_token(value[i])) {
        v += value[i++];
      }
      if (v.empty()) {
        return std::nullopt;
      }
    }
    name = lower(name);
    if (quoted) {
      c.quoted.push_back(name);
    }
    c.params.emplace_back(std::move(name), std::move(v));
    need_comma = true;
  }
  return c;
}

std::vector<std::string> www_authenticate_values(const sip::Message& response) {
  std::vector<std::string> out;
  for (const sip::Header& h : response.headers()) {
    if (h.id == sip::HeaderId::kWwwAuthenticate) {
      out.emplace_back(h.value);
    }
  }
  return out;
}

std::optional<std::string> authorization_for(const sip::Message& response, const DigestUser& user,
                                             std::string_view method, std::string_view uri,
                                             std::uint32_t nc) {
  for (const std::string& value : www_authenticate_values(response)) {
    auto c = parse_challenge(value);
    if (!c || !iequals(c->scheme, "Digest")) {
      continue;
    }
    auto algorithm = c->param("algorithm").value_or("MD5");
    if (!iequals(algorithm, digest::to_string(user.algorithm))) {
      continue;
    }
    auto realm = c->param("realm");
    auto nonce = c->param("nonce");
    if (!realm || !nonce) {
      continue;
    }
    char nc_text[9];
    std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
    const std::string cnonce = random_token(16);
    const std::string ha1 =
        digest::hash_hex(user.algorithm, user.username + ":" + *realm + ":" + user.password);
    const std::string response_value =
        digest::compute_response(user.algorithm, ha1, *nonce, nc_text, cnonce, "auth", method, uri);
    std::string out = "Digest username=\"" + user.username + "\", realm=\"" + *realm +
                      "\", nonce=\"" + *nonce + "\", uri=\"" + std::string(uri) +
                      "\", response=\"" + response_value +
                      "\", algorithm=" + std::string(digest::to_string(user.algorithm)) +
                      ", cnonce=\"" + cnonce + "\", qop=auth, nc=" + nc_text;
    if (auto opaque = c->param("opaque")) {
      out += ", opaque=\"" + *opaque + "\"";
    }
    return out;
  }
  return std::nullopt;
}

// ---- SipUac -----------------------------------------------------------------------------

SipUac::SipUac(SipClient& client, std::string user)
    : client_(client),
      user_(std::move(user)),
      call_id_(random_token(20) + "@" + client.local_ip()),
      from_tag_(random_token(10)) {}

namespace {

std::string build_request(const SipRequest& r, const SipClient& client, const std::string& user,
                          const std::string& from_tag, const std::string& call_id,
                          std::uint32_t cseq, const std::string& via,
                          const std::string& authorization) {
  const std::string uri = r.uri.empty() ? client.server_uri() : r.uri;
  const std::string to_user = r.to_user.empty() ? user : r.to_user;
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("Via", via);
  h.emplace_back("Max-Forwards", "70");
  h.emplace_back("From", "<sip:" + user + "@" + client.server_ip() + ">;tag=" + from_tag);
  h.emplace_back("To", "<sip:" + to_user + "@" + client.server_ip() + ">");
  h.emplace_back("Call-ID", call_id);
  h.emplace_back("CSeq", std::to_string(cseq) + " " + r.method);
  if (r.contact) {
    h.emplace_back("Contact", *r.contact);
  }
  if (r.expires) {
    h.emplace_back("Expires", *r.expires);
  }
  if (!authorization.empty()) {
    h.emplace_back("Authorization", authorization);
  }
  h.emplace_back("User-Agent", "cohort-sip-test");
  for (const auto& extra : r.headers) {
    h.push_back(extra);
  }
  return render(r.method, uri, h, r.content_type, r.body);
}

}  // namespace

std::string SipUac::build(const SipRequest& r, const std::string& authorization) {
  return build_request(r, client_, user_, from_tag_, call_id_, ++cseq_, client_.via(),
                       authorization);
}

std::optional<sip::Message> SipUac::request(const SipRequest& r, const std::string& authorization,
                                            std::chrono::milliseconds timeout) {
  const std::string via = client_.via();
  const std::string bytes =
      build_request(r, client_, user_, from_tag_, call_id_, ++cseq_, via, authorization);
  if (!client_.send_raw(bytes)) {
    return std::nullopt;
  }
  return await_final(r, via, timeout);
}

std::optional<sip::Message> SipUac::await_final(const SipRequest& r, const std::string& via,
                                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    auto m = client_.receive(left);
    if (!m) {
      if (client_.closed()) {
        return std::nullopt;
      }
      continue;  // an unparseable message (counted by the client) or a timeout
    }
    if (m->is_request() || m->call_id() != call_id_ || m->cseq() != cseq_ ||
        m->cseq_method_token() != r.method || m->status() < 200) {
      continue;  // provisional, or a retransmission for an earlier request
    }
    if (r.method == "INVITE" && m->status() >= 300) {
      // RFC 3261 §17.1.1.3: the ACK of a non-2xx final response, in the same transaction.
      std::vector<std::pair<std::string, std::string>> h;
      h.emplace_back("Via", via);
      h.emplace_back("Max-Forwards", "70");
      h.emplace_back("From", std::string(m->header(sip::HeaderId::kFrom).value_or("")));
      h.emplace_back("To", std::string(m->header(sip::HeaderId::kTo).value_or("")));
      h.emplace_back("Call-ID", call_id_);
      h.emplace_back("CSeq", std::to_string(cseq_) + " ACK");
      client_.send_raw(render("ACK", r.uri.empty() ? client_.server_uri() : r.uri, h, "", ""));
    }
    return m;
  }
}

std::optional<sip::Message> SipUac::request_with_auth(const SipRequest& r, const DigestUser& creds,
                                                      std::chrono::milliseconds timeout,
                                                      std::string* challenge) {
  auto first = request(r, {}, timeout);
  if (!first || first->status() != 401) {
    return first;
  }
  if (challenge != nullptr) {
    *challenge = std::string(first->bytes());
  }
  const std::string uri = r.uri.empty() ? client_.server_uri() : r.uri;
  auto auth = authorization_for(*first, creds, r.method, uri);
  if (!auth) {
    return first;
  }
  return request(r, *auth, timeout);
}

}  // namespace cohort::testing
