// Robustness on the wire: every message of the SIP corpus (tests/data/sip, RFC 4475-style
// torture cases) sent over UDP and over a fresh TCP connection must leave the server serving,
// and whatever it answers must parse. The expected status of each case is asserted by the
// parser's unit test (tests/unit/sip/corpus_test.cpp), not here. Oversize messages: a
// datagram is dropped, a TCP connection closed.

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sip_fixture.hpp"

namespace cohort::testing {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(COHORT_SOURCE_DIR) / "tests" / "data" / "sip";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".sip") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Torture traffic trips the per-source limits by design (bad credentials, ~250 requests a
// second from 127.0.0.1); lift them so that the test is about parsing alone.
constexpr const char* kNoLimits =
    "[security]\n"
    "ban_after_failures = 1000\n"
    "rate_per_second = 100000\n"
    "rate_burst = 100000\n";

class SipTortureTest : public SipTest {
 protected:
  /// The header fields of a message as (id, name, value), folding undone, values trimmed;
  /// read line by line so that it works on a message that does not parse.
  struct Field {
    sip::HeaderId id;
    std::string name;
    std::string value;
  };
  static std::vector<Field> fields_of(const std::string& message) {
    std::vector<Field> out;
    std::string head = message.substr(0, message.find("\r\n\r\n"));
    std::size_t at = head.find('\n');
    while (at != std::string::npos && at + 1 < head.size()) {
      std::size_t b = at + 1;
      at = head.find('\n', b);
      std::string line = head.substr(b, at == std::string::npos ? std::string::npos : at - b);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      auto trim = [](std::string t) {
        t.erase(0, t.find_first_not_of(" \t"));
        t.erase(t.find_last_not_of(" \t") + 1);
        return t;
      };
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !out.empty()) {
        out.back().value += " " + trim(line);  // a continuation line
        continue;
      }
      std::size_t colon = line.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string name = trim(line.substr(0, colon));
      out.push_back(Field{sip::header_id(name), name, trim(line.substr(colon + 1))});
    }
    return out;
  }

  /// Whether `raw` is a well-formed SIP response to `request` (sent as the corpus file
  /// `file`); records a failure otherwise. A response to a malformed request copies its Via,
  /// From, To, Call-ID and CSeq as read (RFC 3261 §8.2.6.2), so it may carry their defects:
  /// then its status line must be well formed, and every field but Content-Length a verbatim
  /// copy of the request's (the To with a tag added) — nothing Cohort wrote is malformed.
  static void expect_response(const std::string& raw, const std::string& request,
                              const std::string& file) {
    auto m = sip::parse(raw);
    if (m) {
      EXPECT_FALSE(m->is_request()) << file << ": the server sent a request:\n" << raw;
      return;
    }
    EXPECT_FALSE(sip::parse(request).has_value())
        << file << ": the server sent what does not parse to a valid request:\n"
        << raw;
    const std::string status_line = raw.substr(0, raw.find("\r\n"));
    ASSERT_GE(status_line.size(), 13u) << file << ":\n" << raw;
    EXPECT_EQ(status_line.substr(0, 8), "SIP/2.0 ") << file << ":\n" << raw;
    const int status = std::atoi(status_line.substr(8, 3).c_str());
    EXPECT_TRUE(status >= 400 && status <= 699 && status_line[11] == ' ') << file << ":\n" << raw;
    const std::vector<Field> sent = fields_of(request);
    for (const Field& f : fields_of(raw)) {
      if (f.id == sip::HeaderId::kContentLength) {
        EXPECT_EQ(f.value, "0") << file << ":\n" << raw;
        continue;
      }
      bool copied = false;
      for (const Field& r : sent) {
        copied = copied || (r.id == f.id && f.id != sip::HeaderId::kOther &&
                            (f.value == r.value || f.value.rfind(r.value + ";tag=", 0) == 0));
      }
      EXPECT_TRUE(copied) << file << ": " << f.name << ": " << f.value
                          << " is not a copy of the request's\n"
                          << raw;
    }
  }

  /// A probe OPTIONS built by `uac`; its Call-ID tells its answer from the others.
  static std::string probe(SipUac& uac) {
    SipRequest r;
    r.method = "OPTIONS";
    return uac.build(r);
  }
};

TEST_F(SipTortureTest, EveryCorpusMessageOverUdpLeavesTheServerServing) {
  std::vector<fs::path> files = corpus_files();
  ASSERT_GE(files.size(), 10u) << "tests/data/sip is missing or nearly empty";
  start(kNoLimits);
  int answered = 0;
  for (const fs::path& file : files) {
    const std::string name = file.filename().string();
    SCOPED_TRACE(name);
    SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
    ASSERT_TRUE(c.ok()) << c.error();
    const std::string request = read_text(file.string());
    ASSERT_TRUE(c.send_raw(request)) << "errno " << c.last_errno();
    // The probe follows on the same socket: one source lands on one shard, in order, so the
    // torture message's answer (if any) comes before the probe's.
    SipUac uac(c, "probe");
    ASSERT_TRUE(c.send_raw(probe(uac)));
    bool probe_ok = false;
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!probe_ok && std::chrono::steady_clock::now() < deadline) {
      auto raw = c.receive_raw(500ms);
      if (!raw) {
        continue;
      }
      auto m = sip::parse(*raw);
      if (m && !m->is_request() && m->call_id() == uac.call_id()) {
        probe_ok = m->status() == 200;
        EXPECT_EQ(m->status(), 200) << *raw;
        break;
      }
      ++answered;
      expect_response(*raw, request, name);
    }
    ASSERT_TRUE(probe_ok) << "the server stopped answering OPTIONS after " << name << "\n"
                          << server_->log();
    // A late answer to the torture message still has to parse.
    while (auto late = c.receive_raw(20ms)) {
      ++answered;
      expect_response(*late, request, name);
    }
  }
  EXPECT_GT(answered, 0) << "no torture message was answered at all";
  EXPECT_GT(metric("cohort_sip_events_total{event=\"parse_errors\"}").value_or(0), 0.0);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kUdp), 200);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200);
}

TEST_F(SipTortureTest, EveryCorpusMessageOverTcpLeavesTheServerServing) {
  std::vector<fs::path> files = corpus_files();
  ASSERT_GE(files.size(), 10u) << "tests/data/sip is missing or nearly empty";
  start(kNoLimits);
  for (const fs::path& file : files) {
    const std::string name = file.filename().string();
    SCOPED_TRACE(name);
    SipClient c(SipTransport::kTcp, "127.0.0.1", tcp_port());
    ASSERT_TRUE(c.ok()) << c.error();
    const std::string request = read_text(file.string());
    ASSERT_TRUE(c.send_raw(request)) << "errno " << c.last_errno();
    // The probe on the same connection is answered unless the server closed it (a framing
    // error) or still waits for a body (a Content-Length beyond the message).
    SipUac uac(c, "probe");
    bool probe_ok = false;
    if (c.send_raw(probe(uac))) {
      const auto deadline = std::chrono::steady_clock::now() + 1s;
      while (!c.closed() && std::chrono::steady_clock::now() < deadline) {
        auto raw = c.receive_raw(200ms);
        if (!raw) {
          continue;
        }
        auto m = sip::parse(*raw);
        if (m && !m->is_request() && m->call_id() == uac.call_id()) {
          probe_ok = m->status() == 200;
          EXPECT_EQ(m->status(), 200) << *raw;
          break;
        }
        expect_response(*raw, request, name);
      }
    }
    if (!probe_ok) {
      std::string rest;
      c.wait_closed(10ms, &rest);
      EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200)
          << "the server stopped answering OPTIONS over TCP after " << name << "\n"
          << server_->log();
    }
  }
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kUdp), 200);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200);
}

/// An OPTIONS of exactly `total` bytes (a text body fills it up).
std::string sized_options(SipClient& c, std::size_t total) {
  SipUac uac(c, "probe");
  SipRequest r;
  r.method = "OPTIONS";
  r.content_type = "text/plain";
  r.body = "x";
  std::string bytes = uac.build(r);
  for (int i = 0; i < 4 && bytes.size() != total; ++i) {
    const auto delta =
        static_cast<std::ptrdiff_t>(total) - static_cast<std::ptrdiff_t>(bytes.size());
    r.body.assign(static_cast<std::size_t>(static_cast<std::ptrdiff_t>(r.body.size()) + delta),
                  'x');
    bytes = uac.build(r);
  }
  return bytes;
}

TEST_F(SipTest, SeventyKilobyteMessagesAreRefused) {
  start();
  // UDP: 70,000 bytes do not fit an IPv4 datagram (65,507 bytes of payload at most): the
  // kernel refuses to send it, so no such datagram can reach the server.
  SipClient udp(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(udp.ok()) << udp.error();
  const std::string big = sized_options(udp, 70'000);
  ASSERT_EQ(big.size(), 70'000u);
  EXPECT_FALSE(udp.send_raw(big));
  EXPECT_EQ(udp.last_errno(), EMSGSIZE);

  // TCP: above max_message_bytes (64 KiB by default) the server answers 513 from the head
  // and closes the connection (the body is never read).
  SipClient tcp(SipTransport::kTcp, "127.0.0.1", tcp_port());
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  tcp.send_raw(big);  // may fail part-way once the server has closed
  std::string received;
  EXPECT_TRUE(tcp.wait_closed(3s, &received)) << "the connection stayed open";
  auto m = sip::parse(received);
  ASSERT_TRUE(m) << received;
  EXPECT_FALSE(m->is_request());
  EXPECT_EQ(m->status(), 513) << received;
  EXPECT_EQ(metric("cohort_sip_transport_total{counter=\"oversize_answered\"}"), 1.0);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kUdp), 200);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200);
}

TEST_F(SipTest, MessagesAboveMaxMessageBytesAreDroppedOverUdpAndAnswered513OverTcp) {
  start("[sip]\nmax_message_bytes = 16384\n");
  SipClient udp(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(udp.ok()) << udp.error();
  const std::string big = sized_options(udp, 20'000);
  ASSERT_EQ(big.size(), 20'000u);
  ASSERT_TRUE(udp.send_raw(big)) << "errno " << udp.last_errno();
  EXPECT_FALSE(udp.receive_raw(1s)) << "an oversize datagram is dropped without an answer";
  EXPECT_EQ(metric("cohort_sip_transport_total{counter=\"oversize\"}"), 1.0);
  // The same size just under the limit is answered.
  const std::string fits = sized_options(udp, 16'000);
  ASSERT_TRUE(udp.send_raw(fits));
  auto answer = udp.receive(2s);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status(), 200);

  SipClient tcp(SipTransport::kTcp, "127.0.0.1", tcp_port());
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  tcp.send_raw(big);
  std::string received;
  EXPECT_TRUE(tcp.wait_closed(3s, &received)) << "the connection stayed open";
  EXPECT_EQ(received.rfind("SIP/2.0 513 ", 0), 0u) << received;
  EXPECT_EQ(metric("cohort_sip_transport_total{counter=\"oversize\"}"), 1.0) << "the datagram";
  EXPECT_EQ(metric("cohort_sip_transport_total{counter=\"oversize_answered\"}"), 1.0);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kUdp), 200);
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200);
}

TEST_F(SipTest, TcpConnectionsPerSourceAreCapped) {
  start("[sip]\ntcp_connections_per_source = 4\n");
  std::vector<std::unique_ptr<SipClient>> conns;
  for (int i = 0; i < 4; ++i) {
    conns.push_back(std::make_unique<SipClient>(SipTransport::kTcp, "127.0.0.8", tcp_port()));
    ASSERT_TRUE(conns.back()->ok()) << conns.back()->error();
    EXPECT_EQ(options_status(*conns.back()), 200) << "connection " << i;
  }
  // The fifth from the same address is accepted by the kernel and closed by the server.
  SipClient fifth(SipTransport::kTcp, "127.0.0.8", tcp_port());
  if (fifth.ok()) {
    SipUac uac(fifth, "probe");
    SipRequest r;
    r.method = "OPTIONS";
    fifth.send_raw(uac.build(r));
    std::string received;
    EXPECT_TRUE(fifth.wait_closed(2s, &received)) << "a fifth connection stayed open";
    EXPECT_TRUE(received.empty()) << received;
  }
  EXPECT_EQ(metric("cohort_sip_transport_total{counter=\"tcp_rejected\"}"), 1.0);
  // Other addresses are not affected; closing one frees a slot.
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200);
  conns.pop_back();
  bool reopened = false;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!reopened && std::chrono::steady_clock::now() < deadline) {
    SipClient again(SipTransport::kTcp, "127.0.0.8", tcp_port());
    reopened = again.ok() && options_status(again, 500ms) == 200;
  }
  EXPECT_TRUE(reopened) << "the freed slot was not reusable";
}

TEST_F(SipTest, IdleTcpConnectionsAreClosed) {
  start("[sip]\ntcp_idle_timeout_s = 1\n");
  SipClient c(SipTransport::kTcp, "127.0.0.1", tcp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(options_status(c), 200);
  EXPECT_TRUE(c.wait_closed(4s)) << "an idle connection stayed open";
  EXPECT_EQ(options_from("127.0.0.1", SipTransport::kTcp), 200);
}

}  // namespace
}  // namespace cohort::testing
