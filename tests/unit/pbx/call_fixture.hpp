#pragma once
// The call controller alone: a fake SipCore records what it sends, the tests play the
// phones and trunks by feeding it parsed messages. No sockets, no threads; the clock is the
// `now` each test passes. Shared by the call controller's test files.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pbx/calls.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx::calls_testing {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)
using model::AttemptResult;
using model::CallDirection;
using model::Disposition;
using model::FallbackReason;
using sip::HeaderId;

inline sip::Message parse(std::string text) {
  auto m = sip::parse(std::move(text));
  EXPECT_TRUE(m) << (m ? "" : m.error().reason);
  return std::move(*m);
}

inline std::string user_of(std::string_view header_value) {
  auto na = sip::parse_name_addr(header_value);
  return na ? std::string(na->uri.user) : std::string();
}

struct Sent {
  TxnId txn = 0;
  net::Outbound route;
  std::string bytes;
  sip::Message msg() const { return parse(bytes); }
};

class FakeCore final : public SipCore {
 public:
  TxnId start_client(std::size_t, sip::Message request, const net::Outbound& route,
                     TimePoint) override {
    const TxnId id = ++last_txn;
    requests.push_back(Sent{id, route, std::string(request.bytes())});
    return id;
  }
  void respond(std::size_t, TxnId txn, int status, std::string bytes, TimePoint) override {
    responses.push_back({txn, status, std::move(bytes)});
  }
  void send_direct(net::Outbound out) override { direct.push_back(std::move(out)); }
  void arm(std::size_t, std::uint64_t call, TimePoint at) override {
    timers.emplace_back(call, at);
  }
  std::string mint_call_id(std::size_t) override {
    return "b" + std::to_string(++minted) + "@cohort";
  }
  std::string mint_branch(std::size_t) override {
    return "z9hG4bKc0." + std::to_string(++branches);
  }
  std::string via_address(net::Protocol) const override { return "127.0.0.1:5060"; }
  net::Endpoint local_endpoint(net::Protocol) const override { return {"127.0.0.1", 5060}; }
  std::vector<CallTarget> targets_of(model::UserId user) const override {
    auto it = bindings.find(user);
    return it == bindings.end() ? std::vector<CallTarget>{} : it->second;
  }
  std::optional<net::Endpoint> trunk_address(const model::Trunk& t) override {
    return net::Endpoint{t.host, static_cast<std::uint16_t>(t.port)};
  }
  bool acquire_trunk(const model::Trunk& t) override {
    int& n = slots[t.id];
    if (t.max_concurrent_calls > 0 && n >= t.max_concurrent_calls) {
      return false;
    }
    ++n;
    return true;
  }
  void release_trunk(model::TrunkId id) override { --slots[id]; }
  std::shared_ptr<const routing::OutboundTable> outbound_table(const model::SnapshotPtr&) override {
    return std::make_shared<const routing::OutboundTable>(snapshot);
  }
  bool has_binding(model::UserId user) const override {
    auto it = bindings.find(user);
    return it != bindings.end() && !it->second.empty();
  }
  std::shared_ptr<const routing::InboundTable> inbound_table(const model::SnapshotPtr&) override {
    return std::make_shared<const routing::InboundTable>(snapshot);
  }
  AgentBoard& agents() override { return board; }
  RingingCalls& ringing() override { return ringing_calls; }
  void save_cursor(model::GroupId group, model::UserId user) override {
    saved_cursors.emplace_back(group, user);
  }
  void member_offer_ended(const model::Group& group, model::UserId user, AttemptResult result,
                          std::uint64_t) override {
    offer_ends.push_back(OfferEnd{group.id, user, result});
  }
  void write_cdr(store::CdrRecord r) override { cdrs.push_back(std::move(r)); }
  // The records' writer: a record waiting to be committed holds back what it acknowledges
  // until the test commits (CallsTest::commit).
  void write_cdr_durable(std::size_t, store::CdrRecord r, std::uint64_t call) override {
    cdrs.push_back(std::move(r));
    uncommitted_calls.push_back(call);
  }
  void respond_durable(std::size_t, TxnId txn, int status, std::string bytes) override {
    uncommitted_responses.push_back({txn, status, std::move(bytes)});
  }
  std::int64_t now_ms() const override { return ++clock_ms; }
  std::size_t shard_of(std::string_view) const override { return 0; }  // one shard
  void post(std::size_t, std::function<void(TimePoint)> fn) override {
    posted.push_back(std::move(fn));
  }
  void relocate(const std::string& call_id, std::optional<std::size_t> shard) override {
    relocated[call_id] = shard;
  }

  struct Response {
    TxnId txn;
    int status;
    std::string bytes;
  };
  /// What auto-pause was told (SipCore::member_offer_ended).
  struct OfferEnd {
    model::GroupId group;
    model::UserId user;
    AttemptResult result;
    bool operator==(const OfferEnd&) const = default;
  };
  std::vector<OfferEnd> offer_ends;
  model::SnapshotPtr snapshot;
  std::map<model::UserId, std::vector<CallTarget>> bindings;
  std::map<model::TrunkId, int> slots;
  std::vector<Sent> requests;
  std::vector<Response> responses;
  std::vector<net::Outbound> direct;
  std::vector<std::pair<std::uint64_t, TimePoint>> timers;
  std::vector<store::CdrRecord> cdrs;
  std::vector<std::uint64_t> uncommitted_calls;
  std::vector<Response> uncommitted_responses;
  AgentBoard board;
  RingingCalls ringing_calls;
  std::vector<std::pair<model::GroupId, model::UserId>> saved_cursors;
  std::vector<std::function<void(TimePoint)>> posted;
  std::map<std::string, std::optional<std::size_t>> relocated;
  TxnId last_txn = 1000;
  int minted = 0;
  int branches = 0;
  mutable std::int64_t clock_ms = 1'000'000;
};

inline constexpr const char* kSdp =
    "v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";

/// The caller's INVITE; `extra` is more header lines, each ending in CRLF.
inline std::string invite(std::string_view to, int max_forwards = 70, std::string_view extra = {}) {
  return fmt::format(
      "INVITE sip:{}@cohort SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-a1;rport\r\n"
      "Max-Forwards: {}\r\n"
      "From: \"Ana\" <sip:1001@cohort>;tag=fa\r\n"
      "To: <sip:{}@cohort>\r\n"
      "Call-ID: a-call@10.0.0.1\r\n"
      "CSeq: 2 INVITE\r\n"
      "Contact: <sip:1001@10.0.0.1:5062>\r\n"
      "{}"
      "Content-Type: application/sdp\r\n"
      "Content-Length: {}\r\n\r\n{}",
      to, max_forwards, to, extra, std::strlen(kSdp), kSdp);
}

/// A response to a request Cohort sent, as the far end would send it.
inline std::string answer(const Sent& req, int status, std::string_view to_tag, bool sdp = false,
                          std::string_view extra = {}) {
  sip::Message m = req.msg();
  sip::MessageBuilder b = sip::make_response(m, status, sip::default_reason(status), to_tag);
  b.header(HeaderId::kContact, "<sip:callee@10.0.0.9:5070>");
  if (!extra.empty()) {
    const std::size_t colon = extra.find(':');
    b.header(extra.substr(0, colon), extra.substr(colon + 2));
  }
  if (sdp) {
    b.body("application/sdp", "v=0\r\no=b 2 2 IN IP4 10.0.0.9\r\ns=-\r\n");
  }
  return b.str();
}

class CallsTest : public ::testing::Test {
 protected:
  CallsTest() {
    model::Snapshot s;
    model::SnapshotPatch p;
    model::User ana;
    ana.id = 1;
    ana.name = "Ana";
    ana.extension = "1001";
    model::User ben = ana;
    ben.id = 2;
    ben.name = "Ben";
    ben.extension = "1002";
    ben.caller_id = "5551002";
    p.users = {{1, ana}, {2, ben}};
    model::Group sales;
    sales.id = 10;
    sales.name = "Sales Dept";
    sales.outbound_caller_id = "010000";
    p.groups = {{10, sales}};
    p.members = {{10, {model::Member{1, 1, 0}}}};
    p.groups_of = {{1, {model::UserMembership{10, 1, 0}}}};
    model::Trunk a;
    a.id = 20;
    a.name = "A";
    a.host = "127.0.0.2";
    a.port = 5080;
    a.from_domain = "provider.example";
    a.username = "acct";
    a.password = "secret";
    model::Trunk b = a;
    b.id = 21;
    b.name = "B";
    b.host = "127.0.0.3";
    p.trunks = {{20, a}, {21, b}};
    model::OutboundRule sales_rule;
    sales_rule.id = 30;
    sales_rule.name = "sales";
    sales_rule.position = 1;
    sales_rule.patterns = {"_NXXNXXXXXX"};
    sales_rule.caller_groups = {10};
    sales_rule.trunks = {20, 21};
    model::OutboundRule everyone = sales_rule;
    everyone.id = 31;
    everyone.name = "everyone";
    everyone.position = 2;
    everyone.caller_groups = {};
    p.outbound_rules = std::vector<model::OutboundRule>{sales_rule, everyone};
    core_.snapshot = std::make_shared<const model::Snapshot>(s.apply(p));
    CallOptions o;
    o.domain = "cohort";
    calls_ = std::make_unique<CallController>(o, core_, 1);
  }

  const model::User* user(model::UserId id) { return core_.snapshot->user(id); }

  /// Places the INVITE from user `from` (nullptr: from trunk `trunk`).
  void call(const std::string& to, const model::User* from,
            std::optional<model::TrunkId> trunk = std::nullopt, int max_forwards = 70,
            std::string_view extra = {}) {
    invite_ = std::make_unique<sip::Message>(parse(invite(to, max_forwards, extra)));
    NewCall nc;
    nc.txn = 1;
    nc.invite = invite_.get();
    nc.reply_route.destination = {"10.0.0.1", 5062};
    nc.snapshot = core_.snapshot;
    nc.caller = from;
    nc.from_trunk = trunk;
    calls_->on_invite(nc, now_);
  }

  /// Statuses Cohort sent to the caller (through the INVITE server transaction).
  std::vector<int> to_caller() const {
    std::vector<int> out;
    for (const auto& r : core_.responses) {
      if (r.txn == 1) {
        out.push_back(r.status);
      }
    }
    return out;
  }

  void feed(const Sent& req, const std::string& response) {
    sip::Message m = parse(response);
    calls_->on_response(0, req.txn, m, now_);
    commit();
  }
  /// The records' writer commits what is queued: the acknowledgements waiting for it go.
  void commit(bool durable = true) {
    for (std::uint64_t call : std::exchange(core_.uncommitted_calls, {})) {
      calls_->on_record_durable(0, call, durable, now_);
    }
    for (auto& r : std::exchange(core_.uncommitted_responses, {})) {
      core_.responses.push_back(std::move(r));
    }
  }

  FakeCore core_;
  std::unique_ptr<CallController> calls_;
  std::unique_ptr<sip::Message> invite_;
  TimePoint now_{std::chrono::seconds(100)};
};

/// An answered call (A ⇄ Cohort ⇄ trunk B) with the caller's ACK relayed.
class AnsweredCallTest : public CallsTest {
 protected:
  void SetUp() override {
    call("2125551234", user(1));
    b_ = core_.requests.at(0);
    feed(b_, answer(b_, 200, "tb", true));
    a_tag_ = std::string(parse(core_.responses.back().bytes).to_tag());
    sip::Message ack =
        parse(fmt::format("ACK sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                          "10.0.0.1:5062;branch=z9hG4bK-a2\r\n"
                          "From: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag={}\r\n"
                          "Call-ID: a-call@10.0.0.1\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
                          a_tag_));
    ASSERT_TRUE(calls_->on_in_dialog(0, 0, ack, {}, now_));
  }
  /// A request from the caller inside the dialog.
  /// `extra` is more header lines, each ending in CRLF.
  sip::Message from_caller(std::string_view method, int cseq, std::string_view body = {},
                           std::string_view extra = {}) {
    return parse(fmt::format(
        "{} sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
        "10.0.0.1:5062;branch=z9hG4bK-r{}\r\n"
        "From: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag={}\r\n"
        "Call-ID: a-call@10.0.0.1\r\nCSeq: {} {}\r\nContact: <sip:1001@10.0.0.1:5062>\r\n"
        "{}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{}",
        method, cseq, a_tag_, cseq, method, extra, body.size(), body));
  }
  /// A request from the callee inside the dialog (its From is our To on the B leg).
  sip::Message from_callee(std::string_view method, int cseq, std::string_view body = {}) {
    return parse(fmt::format(
        "{} sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch="
        "z9hG4bK-c{}{}\r\nFrom: <sip:2125551234@x>;tag=tb\r\nTo: {}\r\nCall-ID: {}\r\n"
        "CSeq: {} {}\r\nContact: <sip:callee@10.0.0.9:5070>\r\n{}Content-Length: {}\r\n\r\n{}",
        method, method, cseq, std::string(*b_.msg().header(sip::HeaderId::kFrom)),
        b_.msg().call_id(), cseq, method, body.empty() ? "" : "Content-Type: application/sdp\r\n",
        body.size(), body));
  }
  Sent b_;
  std::string a_tag_;
};

}  // namespace cohort::pbx::calls_testing
