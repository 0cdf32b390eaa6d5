// The PROTOS c07-sip suite (4,527 INVITE cases, ../shared/protos/cases, read at run time and
// never committed) against a real `cohort serve`, once over UDP and once over TCP. Each case
// is sent from a trunk source (so that valid ones reach the call path), then its teardown
// (CANCEL, and ACK after a final response), then an OPTIONS probe from a second socket that
// must be answered. User 1001 is a registered UDP socket answering every INVITE 486.
//
// Asserted: every case that can be addressed gets a response (judged here from the case's
// bytes, independently of the server's parser); a malformed Via version gets 400; no INVITE
// whose SDP does not match the valid case's structure reaches the callee, and what reaches it
// carries the caller's body byte for byte; the server's RSS is back near its start level.
// Printed: cases answered, drops by reason, wall time and the server's CPU time.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sip_fixture.hpp"

namespace cohort::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxDatagram = 65507;
constexpr std::size_t kMaxMessage = 64 * 1024;  // [sip] max_message_bytes default
constexpr const char* kCaller = "127.0.0.5";
constexpr const char* kCallee = "127.0.0.6";

fs::path cases_dir() {
  return fs::path(COHORT_SOURCE_DIR) / ".." / "shared" / "protos" / "cases";
}

struct Case {
  int number = 0;
  std::string invite;    ///< with placeholders
  std::string teardown;  ///< with placeholders
};

std::vector<Case> load_cases() {
  std::vector<Case> out;
  for (int i = 0;; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%07d", i);
    std::ifstream f(cases_dir() / name, std::ios::binary);
    if (!f) {
      break;
    }
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    Case c;
    c.number = i;
    std::size_t sp = bytes.find(' ');
    std::size_t n = std::stoul(bytes.substr(0, sp));
    c.invite = bytes.substr(sp + 1, n);
    std::size_t rest = sp + 1 + n;
    std::size_t sp2 = bytes.find(' ', rest);
    std::size_t m = std::stoul(bytes.substr(rest, sp2 - rest));
    c.teardown = bytes.substr(sp2 + 1, m);
    out.push_back(std::move(c));
  }
  return out;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (std::size_t at = s.find(what); at != std::string::npos;
       at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

struct Values {
  std::string to, from, address, port, branch, call_id, cseq, method;
  bool tcp = false;
};

std::string substitute(std::string pdu, const Values& v) {
  replace_all(pdu, "<To>", v.to);
  replace_all(pdu, "<From>", v.from);
  replace_all(pdu, "<From-Address>", v.address);
  replace_all(pdu, "<From-IP>", v.address);
  replace_all(pdu, "<Local-Port>", v.port);
  replace_all(pdu, "<Branch-ID>", v.branch);
  replace_all(pdu, "<Call-ID>", v.call_id);
  replace_all(pdu, "<CSeq>", v.cseq);
  replace_all(pdu, "<Teardown-Method>", v.method);
  if (v.tcp) {
    replace_all(pdu, "SIP/2.0/UDP", "SIP/2.0/TCP");
  }
  std::size_t head_end = pdu.find("\r\n\r\n");
  std::size_t body = head_end == std::string::npos ? pdu.size() : head_end + 4;
  replace_all(pdu, "<Content-Length>", std::to_string(pdu.size() - body));
  return pdu;
}

std::string body_of(const std::string& m) {
  std::size_t at = m.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : m.substr(at + 4);
}

/// The header lines of `m` (up to the empty line), without their CRLF.
std::vector<std::string_view> head_lines(std::string_view m) {
  std::vector<std::string_view> out;
  std::size_t at = m.find("\r\n");  // skip the start line
  while (at != std::string_view::npos) {
    std::size_t b = at + 2;
    std::size_t e = m.find("\r\n", b);
    if (e == std::string_view::npos || e == b) {
      break;
    }
    out.push_back(m.substr(b, e - b));
    at = e;
  }
  return out;
}
/// The value of header line `line` when its name is `name` (any case), else nullopt.
std::optional<std::string_view> value_of(std::string_view line, std::string_view name) {
  if (line.size() <= name.size()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
      return std::nullopt;
    }
  }
  std::size_t i = name.size();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
    ++i;
  }
  if (i >= line.size() || line[i] != ':') {
    return std::nullopt;
  }
  std::string_view v = line.substr(i + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  return v;
}
bool digits(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

/// Whether a server can address a response to `invite` (as sent), judged from its bytes: a
/// request start line ending in CRLF, a Via header line, within the message limit; on a stream
/// also a Content-Length that frames exactly the body sent (else the stream is out of step).
enum class Address { kHere, kElsewhere, kNone };
/// `local_port`: where the case was sent from. Over UDP a well-formed Via naming another port
/// (and no rport) is answered there (RFC 3261 §18.2.2): kElsewhere, not observed here.
Address addressable(const std::string& invite, bool tcp, std::uint16_t local_port) {
  if (invite.size() > kMaxMessage || invite.rfind("SIP/", 0) == 0) {
    return Address::kNone;
  }
  std::optional<std::string_view> via;
  std::optional<std::string_view> length;
  for (std::string_view line : head_lines(invite)) {
    if (!via) {
      via = value_of(line, "via");
    }
    if (!via) {
      via = value_of(line, "v");
    }
    if (auto v = value_of(line, "content-length")) {
      length = v;
    }
  }
  if (!via) {
    return Address::kNone;
  }
  if (tcp) {
    // On a stream the head must end (an empty line) and Content-Length frame the body sent.
    return invite.find("\r\n\r\n") != std::string::npos && length && digits(*length, 1, 9) &&
                   std::stoul(std::string(*length)) == body_of(invite).size()
               ? Address::kHere
               : Address::kNone;
  }
  const std::string prefix = std::string("SIP/2.0/UDP ") + kCaller + ":";
  if (via->rfind(prefix, 0) == 0 && via->find("rport") == std::string_view::npos) {
    std::string_view port = via->substr(prefix.size());
    port = port.substr(0, port.find(';'));
    if (digits(port, 1, 5) && std::stoul(std::string(port)) >= 1 &&
        std::stoul(std::string(port)) <= 65535 && std::stoul(std::string(port)) != local_port) {
      return Address::kElsewhere;
    }
  }
  return Address::kHere;
}

bool dotted_quad(std::string_view s) {
  int parts = 0;
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find('.', b);
    if (!digits(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b), 1, 3)) {
      return false;
    }
    ++parts;
    if (e == std::string_view::npos) {
      return parts == 4;
    }
    b = e + 1;
  }
}
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find(' ', b);
    out.push_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) {
      return out;
    }
    b = e + 1;
  }
}

bool token(std::string_view s) {
  static constexpr std::string_view kMarks = "-.!%*_+`'~";
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && kMarks.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return !s.empty();
}
bool at_most(std::string_view s, std::uint64_t max) {
  if (!digits(s, 1, 20)) {
    return false;
  }
  errno = 0;
  unsigned long long v = std::strtoull(std::string(s).c_str(), nullptr, 10);
  return errno == 0 && v <= max;
}

/// The valid case's SDP (v o s c t m a, one line each, ended by CRLF or LF), each line checked
/// against RFC 4566 §9 as it applies to its values, written here independently of the
/// server's parser: a body reaching the callee must pass.
bool sdp_like_the_valid_case(std::string_view body) {
  if (body.empty()) {
    return true;  // no offer at all (a late offer) is not a malformed one
  }
  auto text = [](std::string_view v, bool spaces) {
    for (char c : v) {
      auto u = static_cast<unsigned char>(c);
      if (u == 0 || c == '\r' || c == '\n' || (!spaces && (u <= 0x20 || u == 0x7f))) {
        return false;
      }
    }
    return !v.empty();
  };
  std::vector<std::string_view> lines;
  std::size_t b = 0;
  while (b < body.size()) {
    // Every line ends in CRLF, or LF (which RFC 4566 §5 asks parsers to tolerate).
    std::size_t e = body.find('\n', b);
    if (e == std::string_view::npos) {
      return false;
    }
    std::string_view line = body.substr(b, e - b);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    b = e + 1;
  }
  static constexpr std::string_view kTypes = "vosctma";
  if (lines.size() != kTypes.size()) {
    return false;
  }
  for (std::size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].size() < 3 || lines[k][0] != kTypes[k] || lines[k][1] != '=') {
      return false;
    }
    lines[k].remove_prefix(2);
  }
  auto address = [](std::string_view a) {  // IP4-address / FQDN
    if (dotted_quad(a)) {
      return true;
    }
    if (a.size() < 4) {
      return false;
    }
    for (char c : a) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
        return false;
      }
    }
    return true;
  };
  auto time = [](std::string_view t) {
    return t == "0" || (t.size() >= 10 && t[0] != '0' && at_most(t, ~0ULL));
  };
  auto o = fields(lines[1]);
  auto c = fields(lines[3]);
  auto t = fields(lines[4]);
  auto m = fields(lines[5]);
  bool ok = lines[0] == "0";
  ok = ok && o.size() == 6 && text(o[0], false) && at_most(o[1], 0x7fffffffffffffffULL) &&
       at_most(o[2], 0x7fffffffffffffffULL) && o[3] == "IN" && o[4] == "IP4" && address(o[5]);
  ok = ok && text(lines[2], true);
  ok = ok && c.size() == 3 && c[0] == "IN" && c[1] == "IP4" && address(c[2]);
  ok = ok && t.size() == 2 && time(t[0]) && time(t[1]);
  ok = ok && m.size() >= 4 && token(m[0]) && at_most(m[1], 65535) && m[2] == "RTP/AVP";
  for (std::size_t k = 3; ok && k < m.size(); ++k) {
    ok = at_most(m[k], 127);
  }
  // a=<token>[:<byte-string>]; rtpmap:<pt> <encoding>/<clock>[/<parameters>]
  std::string_view a = lines[6];
  std::size_t colon = a.find(':');
  ok = ok && token(a.substr(0, colon));
  if (ok && colon != std::string_view::npos) {
    std::string_view value = a.substr(colon + 1);
    ok = text(value, true);
    if (ok && a.substr(0, colon) == "rtpmap") {
      auto f = fields(value);
      ok = f.size() == 2 && at_most(f[0], 127);
      std::size_t slash = ok ? f[1].find('/') : std::string_view::npos;
      ok = ok && slash != std::string_view::npos && token(f[1].substr(0, slash));
      std::string_view clock = ok ? f[1].substr(slash + 1) : std::string_view();
      std::size_t second = clock.find('/');
      ok = ok && digits(clock.substr(0, second), 1, 10) &&
           clock.substr(0, second).find_first_not_of('0') != std::string_view::npos &&
           (second == std::string_view::npos || token(clock.substr(second + 1)));
    }
  }
  return ok;
}

int status_of(const std::string& raw) {
  if (raw.rfind("SIP/2.0 ", 0) != 0 || raw.size() < 11) {
    return 0;
  }
  return std::atoi(raw.substr(8, 3).c_str());
}
bool is_cancel_response(const std::string& raw) {
  for (std::string_view line : head_lines(raw)) {
    if (auto v = value_of(line, "cseq")) {
      return v->size() >= 6 && v->substr(v->size() - 6) == "CANCEL";
    }
  }
  return false;
}

long rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}
double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream in(all.substr(all.rfind(')') + 2));
  std::vector<std::string> fields;
  std::string x;
  while (in >> x) {
    fields.push_back(x);
  }
  // After the command: state is field 3, utime 14, stime 15 (proc(5)).
  if (fields.size() < 13) {
    return 0;
  }
  return static_cast<double>(std::stol(fields[11]) + std::stol(fields[12])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// User 1001's phone: answers every INVITE 486 (a CANCEL 200), recording which case each
/// INVITE arrived during and its body.
class Callee {
 public:
  struct Invite {
    int case_number;
    std::string body;
  };
  Callee(SipClient& client, std::atomic<int>& current) : client_(client), current_(current) {
    thread_ = std::thread([this] { run(); });
  }
  ~Callee() {
    stop_ = true;
    thread_.join();
  }
  std::vector<Invite> invites() {
    std::lock_guard lock(mu_);
    return invites_;
  }

 private:
  void run() {
    while (!stop_) {
      auto raw = client_.receive_raw(std::chrono::milliseconds(20));
      if (!raw) {
        continue;
      }
      auto m = sip::parse(*raw);
      if (!m || !m->is_request()) {
        continue;
      }
      int status = 200;
      if (m->method() == sip::Method::kInvite) {
        std::lock_guard lock(mu_);
        invites_.push_back(Invite{current_.load(), std::string(m->body())});
        status = 486;
      } else if (m->method() == sip::Method::kAck) {
        continue;
      }
      client_.send_raw(sip::make_response(*m, status, sip::default_reason(status), "callee1")
                           .header(sip::HeaderId::kContact, client_.contact("1001"))
                           .str());
    }
  }
  SipClient& client_;
  std::atomic<int>& current_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Invite> invites_;
  std::thread thread_;
};

struct Outcome {
  int answered = 0, unanswered_addressable = 0, skipped = 0, probes_failed = 0;
  std::vector<int> missing;         ///< addressable cases without a response
  std::vector<int> via_not_400;     ///< malformed Via versions not answered 400
  std::map<int, int> first_status;  ///< case → first status
};

class SipProtosTest : public SipTest {
 protected:
  void SetUp() override {
    if (!fs::is_directory(cases_dir())) {
      GTEST_SKIP() << "PROTOS c07-sip cases not found at " << cases_dir()
                   << " (../shared/protos/cases from the repository root): suite skipped";
    }
    cases_ = load_cases();
    ASSERT_EQ(cases_.size(), 4527u) << "incomplete PROTOS case set in " << cases_dir();
  }

  /// The server: the caller's address trusted (no rate limit, no bans).
  void start_server() {
    start(
        "[sip]\n"
        "t1_ms = 100\n"  // transactions end within 64·T1 = 6.4 s: the RSS settles sooner
        "tcp_connections_per_source = 100000\n"
        "[security]\n"
        "trusted_networks = [\"127.0.0.5/32\"]\n"
        "ban_after_failures = 1000\n"
        "rate_per_second = 100000\n"
        "rate_burst = 100000\n");
  }
  /// A trunk for the caller's address with an inbound route "1001" → user 1001, and user 1001
  /// registered from `callee`.
  void provision(SipClient& callee) {
    // Nothing may leave for the demo trunk's internet host.
    HttpResult trunks = api("GET", "/api/v1/trunks");
    for (const auto& t : trunks.json().value("items", json::array())) {
      api("PATCH", "/api/v1/trunks/" + std::to_string(t["id"].get<std::int64_t>()),
          json{{"host", ""}, {"register", false}}.dump());
    }
    HttpResult trunk = api("POST", "/api/v1/trunks",
                           json{{"name", "PROTOS"},
                                {"host", kCaller},
                                {"port", 5060},
                                {"transport", "udp"},
                                {"inbound_sources", {kCaller}}}
                               .dump());
    ASSERT_EQ(trunk.status, 201) << trunk.body;
    std::int64_t user = 0;
    HttpResult users = api("GET", "/api/v1/users?limit=100");
    for (const auto& u : users.json().value("items", json::array())) {
      if (u.value("extension", "") == "1001") {
        user = u["id"].get<std::int64_t>();
      }
    }
    ASSERT_NE(user, 0) << users.status << " " << users.body.substr(0, 300);
    HttpResult route = api("POST", "/api/v1/inbound-routes",
                           json{{"name", "PROTOS to 1001"},
                                {"did", "1001"},
                                {"trunk", trunk.json()["id"]},
                                {"destination", {{"type", "user"}, {"id", user}}}}
                               .dump());
    ASSERT_EQ(route.status, 201) << route.body;
    auto reg = register_user(callee, demo_user("1001"));
    ASSERT_TRUE(reg && reg->status() == 200);
  }

  /// Sends one case over `caller` (a fresh connection for TCP) and tears it down; the first
  /// status it got, 0 for none.
  int run_case(const Case& c, SipTransport t, SipClient& caller, bool& addressable_out) {
    Values v;
    v.tcp = t == SipTransport::kTcp;
    v.to = "1001@127.0.0.1:" + std::to_string(sip_port(t));
    v.from = std::string("protos@") + kCaller;
    v.address = kCaller;
    v.port = std::to_string(caller.local_port());
    v.branch = random_token(12);
    v.call_id = random_token(16);
    v.cseq = std::to_string(c.number + 1);
    v.method = "CANCEL";
    const std::string invite = substitute(c.invite, v);
    const Address where = addressable(invite, v.tcp, caller.local_port());
    const bool can = where == Address::kHere;
    addressable_out = can;
    caller.send_raw(invite);
    // A response of this case names its branch or its Call-ID.
    auto ours = [&v](const std::string& raw) {
      return raw.find(v.branch) != std::string::npos || raw.find(v.call_id) != std::string::npos;
    };
    auto next = [&](std::chrono::milliseconds timeout) -> std::optional<std::string> {
      const auto deadline = Clock::now() + timeout;
      while (Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto raw = caller.receive_raw(std::max(left, std::chrono::milliseconds(1)));
        if (!raw) {
          return std::nullopt;
        }
        if (ours(*raw)) {
          return raw;
        }
      }
      return std::nullopt;
    };
    auto first = next(can ? std::chrono::milliseconds(1500) : std::chrono::milliseconds(60));
    const int status = first ? status_of(*first) : 0;
    caller.send_raw(substitute(c.teardown, v));
    bool final_seen = status >= 200;
    const auto deadline = Clock::now() + std::chrono::milliseconds(2000);
    while (first && !final_seen && Clock::now() < deadline) {
      auto raw = next(std::chrono::milliseconds(200));
      if (raw && status_of(*raw) >= 200 && !is_cancel_response(*raw)) {
        final_seen = true;
      }
    }
    if (final_seen) {
      Values ack = v;
      ack.method = "ACK";
      caller.send_raw(substitute(c.teardown, ack));
    }
    return status;
  }

  void run_suite(SipTransport t) {
    start_server();
    if (HasFatalFailure()) {
      return;
    }
    SipClient callee(SipTransport::kUdp, kCallee, udp_port());
    ASSERT_TRUE(callee.ok()) << callee.error();
    provision(callee);
    if (HasFatalFailure()) {
      return;
    }
    std::atomic<int> current{-1};
    Outcome out;
    const pid_t pid = server_->pid();
    std::unique_ptr<SipClient> udp_caller;
    if (t == SipTransport::kUdp) {
      udp_caller = std::make_unique<SipClient>(t, kCaller, sip_port(t));
      ASSERT_TRUE(udp_caller->ok()) << udp_caller->error();
    }
    SipClient probe_socket(SipTransport::kUdp, kCaller, udp_port());
    ASSERT_TRUE(probe_socket.ok());
    {
      Callee phone(callee, current);
      // Warm up with the valid case, then take the start figures.
      {
        bool can = false;
        std::unique_ptr<SipClient> conn;
        SipClient* caller = udp_caller.get();
        if (!caller) {
          conn = std::make_unique<SipClient>(t, kCaller, sip_port(t));
          caller = conn.get();
        }
        current = -1;
        run_case(cases_[0], t, *caller, can);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const long rss_start = rss_kib(pid);
      const double cpu_start = cpu_seconds(pid);
      const auto wall_start = Clock::now();
      for (const Case& c : cases_) {
        const bool fits = t == SipTransport::kTcp || c.invite.size() < kMaxDatagram - 200;
        if (!fits) {
          ++out.skipped;
          continue;
        }
        std::unique_ptr<SipClient> conn;
        SipClient* caller = udp_caller.get();
        if (!caller) {
          conn = std::make_unique<SipClient>(t, kCaller, sip_port(t));
          ASSERT_TRUE(conn->ok()) << conn->error();
          caller = conn.get();
        }
        current = c.number;
        bool can = false;
        const int status = run_case(c, t, *caller, can);
        out.first_status[c.number] = status;
        if (status != 0) {
          ++out.answered;
        } else if (can) {
          ++out.unanswered_addressable;
          out.missing.push_back(c.number);
        }
        if (c.number >= 498 && c.number < 573 && c.invite.size() < kMaxMessage && status != 400) {
          out.via_not_400.push_back(c.number);  // sip-via-version: SIP/2.0 is the only one
        }
        if (options_status(probe_socket, std::chrono::milliseconds(2000)) != 200) {
          ++out.probes_failed;
          ADD_FAILURE() << "the server did not answer OPTIONS after case " << c.number;
          if (out.probes_failed > 3) {
            return;
          }
        }
      }
      const double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
      const double cpu = cpu_seconds(pid) - cpu_start;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      // What reached the phone: each INVITE during a case carries that case's body, and a
      // body the valid case's structure does not describe never reaches it.
      std::vector<Callee::Invite> invites = phone.invites();
      std::size_t reached = 0;
      bool valid_reached = false;
      for (const Callee::Invite& inv : invites) {
        if (inv.case_number < 0) {
          continue;
        }
        ++reached;
        valid_reached = valid_reached || inv.case_number == 0;
        EXPECT_TRUE(sdp_like_the_valid_case(inv.body))
            << "case " << inv.case_number << " reached the callee with this SDP:\n"
            << inv.body.substr(0, 400);
      }
      EXPECT_TRUE(valid_reached) << "the valid case never reached the callee";
      // Transactions end within 64·T1; then the RSS must be back near where it started.
      const auto settle = Clock::now() + std::chrono::seconds(20);
      while (Clock::now() < settle &&
             metric("cohort_sip_state{kind=\"transactions\"}").value_or(1) > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(11000));  // a malloc_trim sweep
      const long rss_end = rss_kib(pid);
      std::string drops;
      std::istringstream metrics(metrics_text());
      for (std::string line; std::getline(metrics, line);) {
        if (line.rfind("cohort_sip_dropped_total{", 0) == 0) {
          drops += "\n  " + line;
        }
      }
      std::printf(
          "PROTOS c07-sip over %s: %zu cases sent, %d answered, %d addressable unanswered, "
          "%d skipped (larger than a datagram), %zu reached the callee\n"
          "  wall %.1f s, server CPU %.1f s, RSS %ld KiB at start, %ld KiB at end%s\n",
          std::string(to_string(t)).c_str(), cases_.size() - out.skipped, out.answered,
          out.unanswered_addressable, out.skipped, reached, wall, cpu, rss_start, rss_end,
          drops.c_str());
      std::string missing;
      for (int n : out.missing) {
        missing += " " + std::to_string(n);
      }
      EXPECT_TRUE(out.missing.empty())
          << out.missing.size() << " addressable cases got no response:" << missing;
      EXPECT_TRUE(out.via_not_400.empty())
          << out.via_not_400.size() << " malformed Via versions not answered 400, e.g. case "
          << out.via_not_400.front() << " → " << out.first_status[out.via_not_400.front()];
      EXPECT_LT(rss_end, rss_start + 16 * 1024 + rss_start / 4)
          << "RSS " << rss_start << " → " << rss_end << " KiB";
    }
  }

  std::vector<Case> cases_;
};

TEST_F(SipProtosTest, EveryCaseOverUdp) {
  run_suite(SipTransport::kUdp);
}

TEST_F(SipProtosTest, EveryCaseOverTcp) {
  run_suite(SipTransport::kTcp);
}

}  // namespace
}  // namespace cohort::testing
