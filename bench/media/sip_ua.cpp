// media_load's SIP user agents and SIP/SDP parsing (sip_ua.hpp).
#include "sip_ua.hpp"

#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "util.hpp"

namespace media_bench {

std::string md5_hex(const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out, &len, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string r;
  for (unsigned int i = 0; i < len; ++i) {
    r += hex[out[i] >> 4];
    r += hex[out[i] & 15];
  }
  return r;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<SipMessage> parse_sip(std::string_view text) {
  SipMessage m;
  auto end = text.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return std::nullopt;
  std::string_view head = text.substr(0, end);
  m.body = std::string(text.substr(end + 4));
  auto eol = head.find("\r\n");
  std::string_view first = head.substr(0, eol);
  if (first.rfind("SIP/2.0 ", 0) == 0) {
    m.status = std::atoi(std::string(first.substr(8, 3)).c_str());
  } else {
    m.request = true;
    auto sp = first.find(' ');
    m.method = std::string(first.substr(0, sp));
    auto sp2 = first.find(' ', sp + 1);
    m.uri = std::string(first.substr(sp + 1, sp2 - sp - 1));
  }
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string_view::npos)
      e = head.size();
    std::string_view line = head.substr(pos, e - pos);
    pos = e + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string name = lower(std::string(line.substr(0, colon)));
    while (!name.empty() && name.back() == ' ')
      name.pop_back();
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    static const std::map<std::string, std::string> compact = {
        {"v", "via"},     {"f", "from"},    {"t", "to"},
        {"i", "call-id"}, {"m", "contact"}, {"l", "content-length"}};
    if (auto c = compact.find(name); c != compact.end())
      name = c->second;
    m.headers.emplace_back(name, std::string(value));
  }
  return m;
}

std::string param(const std::string& header, const std::string& name) {
  // name="value" or name=value within a header value
  auto p = header.find(name + "=");
  while (p != std::string::npos && p > 0 &&
         std::isalnum(static_cast<unsigned char>(header[p - 1]))) {
    p = header.find(name + "=", p + 1);
  }
  if (p == std::string::npos)
    return {};
  p += name.size() + 1;
  if (p < header.size() && header[p] == '"') {
    auto e = header.find('"', p + 1);
    return header.substr(p + 1, e - p - 1);
  }
  auto e = header.find_first_of(";, >\r\n", p);
  return header.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

std::string uri_of(const std::string& name_addr) {
  auto l = name_addr.find('<');
  if (l != std::string::npos)
    return name_addr.substr(l + 1, name_addr.find('>', l) - l - 1);
  return name_addr.substr(0, name_addr.find(';'));
}

// The audio address of an SDP: c= (session or media level) and the m=audio port.
std::optional<sockaddr_in> sdp_audio(const std::string& sdp) {
  std::istringstream in(sdp);
  std::string line, ip;
  int port = -1;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.rfind("c=IN IP4 ", 0) == 0)
      ip = line.substr(9, line.find('/', 9) - 9);
    if (line.rfind("m=audio ", 0) == 0 && port < 0)
      port = std::atoi(line.c_str() + 8);
  }
  if (ip.empty() || port <= 0)
    return std::nullopt;
  return make_addr(ip, port);
}

std::string make_sdp(const std::string& ip, int port, std::uint64_t id) {
  return "v=0\r\no=bench " + std::to_string(id) + " 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
         "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
         " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
         "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";
}

// ---- SipUac

SipUac::SipUac(const Options& o, int fd, std::string local_ip, int local_port)
    : o_(o),
      fd_(fd),
      local_ip_(std::move(local_ip)),
      local_port_(local_port),
      server_(make_addr(o.server_ip, o.server_port)),
      rng_(std::random_device{}()) {}

// Call c: dials `number` as `from_user`; the offer's media is (media_ip, media_port).
void SipUac::invite(Call& c, const std::string& from_user, const std::string& number,
                    const std::string& media_ip, int media_port) {
  c.call_id = random_token(rng_) + "@bench";
  c.from_tag = random_token(rng_);
  c.from_user = from_user;
  c.to_uri = "sip:" + number + "@" + o_.server_ip + ":" + std::to_string(o_.server_port);
  c.cseq = 1;
  sdp_ = make_sdp(media_ip, media_port, static_cast<std::uint64_t>(c.index) + 1);
  send_invite(c);
  by_id_[c.call_id] = &c;
}

void SipUac::send_invite(Call& c) {
  c.branch = "z9hG4bK" + random_token(rng_);
  std::string msg =
      "INVITE " + c.to_uri + " SIP/2.0\r\n" + via(c) + from(c) + "To: <" + c.to_uri +
      ">\r\nCall-ID: " + c.call_id + "\r\nCSeq: " + std::to_string(c.cseq) +
      " INVITE\r\nContact: <sip:" + c.from_user + "@" + local_ip_ + ":" +
      std::to_string(local_port_) + ">\r\nMax-Forwards: 70\r\n" + c.auth +
      "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp_.size()) +
      "\r\n\r\n" + sdp_;
  c.state = CallState::kInviting;
  arm(c, msg);
}

void SipUac::bye(Call& c) {
  if (c.state != CallState::kUp)
    return;
  c.cseq += 1;
  c.branch = "z9hG4bK" + random_token(rng_);
  std::string msg = "BYE " + c.contact_uri + " SIP/2.0\r\n" + via(c) + from(c) + "To: <" +
                    c.to_uri + ">;tag=" + c.to_tag + "\r\nCall-ID: " + c.call_id +
                    "\r\nCSeq: " + std::to_string(c.cseq) +
                    " BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  c.state = CallState::kByeSent;
  arm(c, msg);
}

// Resends what has not been answered (RFC 3261 timer A/E, doubled up to 4 s).
void SipUac::tick() {
  std::int64_t now = mono_ns();
  for (auto& [id, c] : by_id_) {
    if ((c->state == CallState::kInviting || c->state == CallState::kByeSent) &&
        c->retrans_at <= now) {
      if (++c->tries > 7) {
        c->state = CallState::kFailed;
        ++stats.failed;
        ++stats.statuses[408];
        continue;
      }
      send(c->last_request);
      ++stats.retrans;
      c->interval = std::min<std::int64_t>(c->interval * 2, 4'000'000'000);
      c->retrans_at = now + c->interval;
    }
  }
}

// Handles a datagram; `on_up(call, sdp answer)` when a call is answered.
void SipUac::handle(const SipMessage& m, const sockaddr_in& src, const OnUp& on_up) {
  auto it = by_id_.find(m.header("call-id"));
  if (m.request) {
    answer_request(m, src, it == by_id_.end() ? nullptr : it->second);
    return;
  }
  if (it == by_id_.end())
    return;
  Call& c = *it->second;
  std::string cseq = m.header("cseq");
  bool is_invite = cseq.find("INVITE") != std::string::npos;
  int n = std::atoi(cseq.c_str());
  if (is_invite) {
    if (m.status < 200) {
      if (c.state == CallState::kInviting)
        c.retrans_at = mono_ns() + 30'000'000'000;  // proceeding
      return;
    }
    std::string to_tag = param(m.header("to"), "tag");
    if (m.status >= 300) {
      send_ack(c, n, to_tag, c.to_uri, c.branch);
      if (n != c.cseq || c.state != CallState::kInviting)
        return;
      if ((m.status == 401 || m.status == 407) && c.auth.empty()) {
        ++stats.challenged;
        challenge(c, m);
        c.cseq += 1;
        send_invite(c);
        return;
      }
      c.state = CallState::kFailed;
      c.failed_status = m.status;
      ++stats.failed;
      ++stats.statuses[m.status];
      return;
    }
    // 2xx: ACK it (again, for a retransmission)
    if (c.state == CallState::kInviting && n == c.cseq) {
      c.to_tag = to_tag;
      c.contact_uri = uri_of(m.header("contact"));
      if (c.contact_uri.empty())
        c.contact_uri = c.to_uri;
      c.state = CallState::kUp;
      c.up_at = real_ns();
      ++stats.up;
      on_up(c, m.body);
    }
    send_ack(c, n, to_tag, c.contact_uri.empty() ? c.to_uri : c.contact_uri,
             "z9hG4bK" + random_token(rng_));
    return;
  }
  if (cseq.find("BYE") != std::string::npos && m.status >= 200 && c.state == CallState::kByeSent) {
    c.state = m.status < 300 ? CallState::kDone : CallState::kFailed;
    if (m.status < 300)
      ++stats.bye_ok;
    else
      ++stats.statuses[m.status];
  }
}

bool SipUac::pending() const {
  for (auto& [id, c] : by_id_) {
    if (c->state == CallState::kInviting || c->state == CallState::kByeSent)
      return true;
  }
  return false;
}

std::string SipUac::via(const Call& c) const {
  return "Via: SIP/2.0/UDP " + local_ip_ + ":" + std::to_string(local_port_) +
         ";branch=" + c.branch + ";rport\r\n";
}

std::string SipUac::from(const Call& c) const {
  return "From: <sip:" + c.from_user + "@" + o_.server_ip + ">;tag=" + c.from_tag + "\r\n";
}

void SipUac::send(const std::string& msg) {
  sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&server_),
         sizeof server_);
}

void SipUac::arm(Call& c, const std::string& msg) {
  c.last_request = msg;
  c.tries = 0;
  c.interval = 500'000'000;
  c.retrans_at = mono_ns() + c.interval;
  send(msg);
}

void SipUac::send_ack(Call& c, int n, const std::string& to_tag, const std::string& ruri,
                      const std::string& branch) {
  std::string msg = "ACK " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local_ip_ + ":" +
                    std::to_string(local_port_) + ";branch=" + branch + ";rport\r\n" + from(c) +
                    "To: <" + c.to_uri + ">" + (to_tag.empty() ? "" : ";tag=" + to_tag) +
                    "\r\nCall-ID: " + c.call_id + "\r\nCSeq: " + std::to_string(n) +
                    " ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  send(msg);
}

void SipUac::challenge(Call& c, const SipMessage& m) {
  std::string h = m.header(m.status == 401 ? "www-authenticate" : "proxy-authenticate");
  std::string realm = param(h, "realm"), nonce = param(h, "nonce"), qop = param(h, "qop"),
              opaque = param(h, "opaque");
  std::string uri = c.to_uri;
  std::string ha1 = md5_hex(c.from_user + ":" + realm + ":" + o_.password);
  std::string ha2 = md5_hex("INVITE:" + uri);
  std::string resp, extra;
  if (qop.find("auth") != std::string::npos) {
    std::string cnonce = random_token(rng_);
    resp = md5_hex(ha1 + ":" + nonce + ":00000001:" + cnonce + ":auth:" + ha2);
    extra = ", qop=auth, nc=00000001, cnonce=\"" + cnonce + "\"";
  } else {
    resp = md5_hex(ha1 + ":" + nonce + ":" + ha2);
  }
  c.auth = std::string(m.status == 401 ? "Authorization" : "Proxy-Authorization") +
           ": Digest username=\"" + c.from_user + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
           "\", uri=\"" + uri + "\", response=\"" + resp + "\", algorithm=MD5" + extra +
           (opaque.empty() ? "" : ", opaque=\"" + opaque + "\"") + "\r\n";
}

void SipUac::answer_request(const SipMessage& m, const sockaddr_in& src, Call* c) {
  if (m.method == "ACK")
    return;
  int code = 200;
  if (m.method == "BYE") {
    if (c && (c->state == CallState::kUp || c->state == CallState::kByeSent)) {
      c->remote_bye = true;
      c->state = CallState::kDone;
      ++stats.remote_bye;
    } else if (!c) {
      code = 481;
    }
  }
  std::string r =
      "SIP/2.0 " + std::to_string(code) + (code == 200 ? " OK" : " Call Does Not Exist") + "\r\n";
  for (auto& v : m.all("via"))
    r += "Via: " + v + "\r\n";
  r += "From: " + m.header("from") + "\r\nTo: " + m.header("to") +
       "\r\nCall-ID: " + m.header("call-id") + "\r\nCSeq: " + m.header("cseq") +
       "\r\nContent-Length: 0\r\n\r\n";
  sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<const sockaddr*>(&src), sizeof src);
}

// ---- SipUas

SipUas::SipUas(int fd, std::string ip, int port, int rtp_port)
    : fd_(fd), ip_(std::move(ip)), port_(port), rtp_port_(rtp_port), rng_(7) {}

void SipUas::handle(const SipMessage& m, const sockaddr_in& src, const OnOffer& on_offer) {
  if (!m.request)
    return;
  std::string id = m.header("call-id");
  if (m.method == "INVITE") {
    auto& d = dialogs_[id];
    if (d.tag.empty()) {
      d.tag = random_token(rng_);
      // sip:<prefix><index, 6 digits>@…
      std::string user = m.uri.substr(4, m.uri.find('@') - 4);
      d.index = std::atoi(user.substr(user.size() >= 6 ? user.size() - 6 : 0).c_str());
      if (auto a = sdp_audio(m.body))
        on_offer(d.index, *a);
      ++invites;
    }
    std::string sdp = make_sdp(ip_, rtp_port_, 900000 + static_cast<std::uint64_t>(d.index));
    reply(m, src, 200, "OK", d.tag, "Content-Type: application/sdp\r\n", sdp);
    d.ok = reply_text_;
    d.src = src;
    d.acked = false;
    d.retrans_at = mono_ns() + 500'000'000;
  } else if (m.method == "ACK") {
    if (auto d = dialogs_.find(id); d != dialogs_.end())
      d->second.acked = true;
  } else if (m.method == "BYE") {
    reply(m, src, 200, "OK", "", "", "");
    ++byes;
  } else {
    reply(m, src, 200, "OK", "", "", "");
  }
}

void SipUas::tick() {  // the 2xx until its ACK (RFC 3261 §13.3.1.4)
  std::int64_t now = mono_ns();
  for (auto& [id, d] : dialogs_) {
    if (!d.acked && !d.ok.empty() && d.retrans_at <= now) {
      sendto(fd_, d.ok.data(), d.ok.size(), 0, reinterpret_cast<const sockaddr*>(&d.src),
             sizeof d.src);
      d.retrans_at = now + 1'000'000'000;
    }
  }
}

void SipUas::reply(const SipMessage& m, const sockaddr_in& src, int code, const char* reason,
                   const std::string& tag, const std::string& extra, const std::string& body) {
  std::string r = "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n";
  for (auto& v : m.all("via"))
    r += "Via: " + v + "\r\n";
  std::string to = m.header("to");
  if (!tag.empty() && to.find("tag=") == std::string::npos)
    to += ";tag=" + tag;
  r += "From: " + m.header("from") + "\r\nTo: " + to + "\r\nCall-ID: " + m.header("call-id") +
       "\r\nCSeq: " + m.header("cseq") + "\r\nContact: <sip:trunk@" + ip_ + ":" +
       std::to_string(port_) + ">\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
       "\r\n\r\n" + body;
  reply_text_ = r;
  sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<const sockaddr*>(&src), sizeof src);
}

// Reads SIP datagrams from the given sockets for up to `ms`, handing each to `fn(fd, msg, src)`.
void pump(const std::vector<int>& fds, int ms,
          const std::function<void(int, const SipMessage&, const sockaddr_in&)>& fn) {
  std::vector<pollfd> p;
  for (int fd : fds)
    p.push_back({fd, POLLIN, 0});
  if (poll(p.data(), p.size(), ms) <= 0)
    return;
  for (auto& q : p) {
    if (!(q.revents & POLLIN))
      continue;
    for (;;) {
      char buf[65536];
      sockaddr_in src{};
      socklen_t sl = sizeof src;
      ssize_t n =
          recvfrom(q.fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&src), &sl);
      if (n <= 0)
        break;
      if (auto m = parse_sip(std::string_view(buf, static_cast<std::size_t>(n))))
        fn(q.fd, *m, src);
    }
  }
}

}  // namespace media_bench
