#include "pbx/calls.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cassert>

#include "common/crypto.hpp"
#include "common/text.hpp"
#include "routing/distribution.hpp"
#include "routing/flow.hpp"
#include "routing/schedule.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx {
namespace {

using sip::HeaderId;
using sip::Method;

enum class LegState : std::uint8_t { kTrying, kEarly, kConfirmed, kTerminated };
enum class CallState : std::uint8_t { kTrying, kRinging, kAnswered, kEnding };

std::string_view to_string(LegState s) {
  switch (s) {
    case LegState::kTrying:
      return "trying";
    case LegState::kEarly:
      return "early";
    case LegState::kConfirmed:
      return "confirmed";
    case LegState::kTerminated:
      return "terminated";
  }
  return "?";
}

std::string_view to_string(CallState s) {
  switch (s) {
    case CallState::kTrying:
      return "trying";
    case CallState::kRinging:
      return "ringing";
    case CallState::kAnswered:
      return "answered";
    case CallState::kEnding:
      return "ending";
  }
  return "?";
}

/// Headers copied from a request into every response to it (RFC 3261 §8.2.6.2), with the
/// To value still without our tag.
using ResponseHeaders = std::vector<std::pair<HeaderId, std::string>>;

ResponseHeaders response_headers(const sip::Message& req, std::string_view top_via) {
  ResponseHeaders h;
  bool first = true;
  for (std::string_view via : req.header_values(HeaderId::kVia)) {
    h.emplace_back(HeaderId::kVia, std::string(first && !top_via.empty() ? top_via : via));
    first = false;
  }
  h.emplace_back(HeaderId::kFrom, std::string(req.header(HeaderId::kFrom).value_or("")));
  h.emplace_back(HeaderId::kTo, std::string(req.header(HeaderId::kTo).value_or("")));
  h.emplace_back(HeaderId::kCallId, std::string(req.call_id()));
  h.emplace_back(HeaderId::kCSeq, std::string(req.header(HeaderId::kCSeq).value_or("")));
  return h;
}

/// The URI inside a name-addr or addr-spec header value ("<sip:a@b>;tag=x" → "sip:a@b").
std::string uri_of(std::string_view value) {
  auto na = sip::parse_name_addr(value);
  return na ? std::string(na->uri_text) : std::string();
}

/// A header value without its tag parameter (To of a request to a new dialog).
std::string without_tag(std::string_view value) {
  auto na = sip::parse_name_addr(value);
  if (!na) {
    return std::string(value);
  }
  std::string out = "<" + std::string(na->uri_text) + ">";
  if (!na->display_name.empty()) {
    out = "\"" + std::string(na->display_name) + "\" " + out;
  }
  for (const sip::Param& p : na->params) {
    if (text::ascii_lower(p.name) == "tag") {
      continue;
    }
    out += ";" + std::string(p.name);
    if (p.has_value) {
      out += "=" + std::string(p.value);
    }
  }
  return out;
}

/// A quoted-string for a display name (RFC 3261 §25.1).
std::string display_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    if (static_cast<unsigned char>(c) >= 0x20) {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

struct Leg {
  std::string call_id;
  std::string local_tag;
  std::string local_hdr;   ///< our From (B) / To (A) value, with our tag
  std::string remote_hdr;  ///< the peer's, with its tag once known
  std::string remote_target;
  std::vector<std::string> route_set;
  std::uint32_t cseq = 0;  ///< the last CSeq we sent on this leg
  net::Outbound route;
  LegState state = LegState::kTrying;
  // B legs: the INVITE that created the leg
  TxnId invite_txn = 0;
  std::string request_uri;
  std::string branch;
  std::uint32_t invite_cseq = 0;
  bool provisional = false;
  bool cancel_pending = false;
  bool cancelled = false;
  int final_status = 0;
  std::string final_reason;
  std::optional<model::TrunkId> trunk;
  bool trunk_slot = false;
  int auth_attempts = 0;
  std::string peer;  ///< for GET /calls
  /// The last ACK we sent on this leg, re-sent when its 2xx is retransmitted.
  std::string ack_bytes;
  std::uint32_t ack_cseq = 0;
  // Legs that ring a user (a group member, or a user called directly)
  std::optional<model::UserId> member;
  int hunt_gen = -1;  ///< the group attempt that rang it; -1 = not a group attempt
  int attempt = -1;   ///< its entry in the CDR's attempts
};

/// A call being distributed by a group: the plan of the current round and where it is.
struct Hunt {
  model::GroupId group = 0;
  std::string group_name;
  routing::DistributionPolicy policy;
  routing::DistributionPlan plan;
  std::size_t next = 0;                ///< the next attempt of the plan
  int gen = 0;                         ///< the current attempt's number; legs carry it
  std::vector<model::UserId> claimed;  ///< members ringing for the current attempt
  TimePoint attempt_deadline{};
  TimePoint max_deadline{};
  bool retry_wait = false;  ///< between two rounds
  bool offered = false;     ///< a member has been rung during this visit of the group
};

/// An in-dialog request relayed from one leg to the other, waiting for its response.
struct Relay {
  std::uint64_t call = 0;
  TxnId server_txn = 0;
  int from_leg = -1;  ///< -1 = A, else the B leg index
  Method method = Method::kUnknown;
  ResponseHeaders answer;  ///< headers for the response to the originator
};

/// A 2xx to a re-INVITE that we relayed to its originator and whose ACK we await: the ACK
/// goes on to the far leg.
struct PendingAck {
  std::uint32_t originator_cseq = 0;
  int far_leg = -1;
  std::uint32_t far_cseq = 0;
};

enum class OwnerKind : std::uint8_t { kInvite, kRelay, kOther };
struct Owner {
  OwnerKind kind = OwnerKind::kOther;
  std::uint64_t call = 0;
  int leg = -1;
};

struct Call {
  std::uint64_t key = 0;
  std::string id;
  std::string direction;
  CallState state = CallState::kTrying;
  Leg a;
  TxnId a_txn = 0;
  ResponseHeaders a_answer;
  std::string a_from_tag;
  std::uint32_t a_invite_cseq = 0;
  std::string a_body;
  std::string a_content_type;
  int max_forwards = 70;
  std::vector<Leg> b;
  int winner = -1;
  // outbound routing
  std::vector<model::Trunk> trunks;
  std::size_t next_trunk = 0;
  std::string number;
  std::string caller_id;
  std::string caller_display;
  std::string caller_user_part;  ///< From user sent to the callee
  // the 2xx to A, retransmitted until A's ACK (RFC 3261 §13.3.1.4)
  std::string a_ok;
  bool a_ok_sent = false;  ///< the 2xx left (after its answer record was committed)
  std::chrono::milliseconds ok_interval{0};
  TimePoint ok_next{};
  TimePoint ok_deadline{};
  bool a_acked = false;
  TimePoint ring_deadline{};
  TimePoint end_deadline{};  ///< answered calls are hung up at this time (max_duration)
  std::optional<PendingAck> pending_ack;  ///< re-INVITE 2xx relayed, waiting for ACK
  int pending_ack_from = -2;              ///< the originator leg of pending_ack
  bool caller_cancelled = false;
  store::CdrRecord cdr;
  // Inbound routes and group distribution
  model::SnapshotPtr snap;              ///< the configuration the call is routed with
  std::optional<Hunt> hunt;             ///< set while a group distributes the call
  std::vector<model::GroupId> visited;  ///< groups entered, for loop detection
  bool ringback_sent = false;
  int attempts_started = 0;   ///< group attempts rung so far, in every group visited
  bool via_fallback = false;  ///< carried on by a user or number fallback destination
  bool group_answer = false;  ///< a member answered a group's offer
  std::optional<model::UserId> busy_caller;  ///< the local caller, busy while it calls
  std::optional<model::UserId> busy_member;  ///< the user who answered, busy until the end
};

std::string dialog_key(std::string_view call_id, std::string_view local_tag) {
  std::string k(call_id);
  k.push_back('\x1f');
  k.append(local_tag);
  return k;
}

/// How good a final failure is to report to the caller (RFC 3261 §16.7 step 6, simplified):
/// busy beats everything, then 4xx, then 5xx.
int failure_rank(int status) {
  if (status == 486 || status == 600 || status == 603) {
    return 0;
  }
  if (status >= 600) {
    return 1;
  }
  if (status >= 400 && status < 500 && status != 408) {
    return 2;
  }
  if (status == 408) {
    return 3;
  }
  return 4;
}

}  // namespace

struct CallController::Impl {
  Impl(CallOptions o, SipCore& c, std::size_t n) : opts(std::move(o)), core(c), shards(n) {}

  struct ShardState {
    std::unordered_map<std::uint64_t, std::unique_ptr<Call>> calls;
    std::unordered_map<std::string, std::pair<std::uint64_t, int>> dialogs;
    std::unordered_map<TxnId, std::uint64_t> by_server_txn;   ///< A INVITE txn → call
    std::unordered_map<std::string, std::uint64_t> by_a_key;  ///< Call-ID+From tag → call
    std::unordered_map<TxnId, Owner> owners;                  ///< client txns
    std::unordered_map<TxnId, Relay> relays;
  };

  CallOptions opts;
  SipCore& core;
  std::vector<ShardState> shards;
  std::atomic<std::uint64_t> next_key{0};
  std::atomic<std::uint64_t> n_active{0}, n_attempted{0}, n_answered{0}, n_busy{0}, n_no_answer{0},
      n_failed{0}, n_cancelled{0};
  std::atomic<std::uint64_t> n_group_calls{0}, n_abandoned{0}, n_closed{0}, n_no_agents{0},
      n_fallback{0}, n_routing_gap{0}, n_voicemail_unavailable{0};
  std::array<std::atomic<std::uint64_t>, 700> n_status{};  ///< final status of unanswered

  Call* find(std::size_t shard, std::uint64_t key) {
    auto it = shards[shard].calls.find(key);
    return it == shards[shard].calls.end() ? nullptr : it->second.get();
  }

  // ---- messages ---------------------------------------------------------------------

  std::string response_to(const ResponseHeaders& h, int status, std::string_view reason,
                          std::string_view to_tag,
                          const std::function<void(sip::MessageBuilder&)>& extra = {}) {
    sip::MessageBuilder b = sip::MessageBuilder::response(
        status, reason.empty() ? sip::default_reason(status) : reason);
    for (const auto& [id, value] : h) {
      if (id == HeaderId::kTo && !to_tag.empty() && status > 100 &&
          value.find(";tag=") == std::string::npos) {
        b.header(id, value + ";tag=" + std::string(to_tag));
      } else {
        b.header(id, value);
      }
    }
    b.header(HeaderId::kServer, opts.user_agent);
    if (extra) {
      extra(b);
    }
    return b.str();
  }

  std::string contact_of(net::Protocol p) const {
    return p == net::Protocol::kTcp
               ? fmt::format("<sip:cohort@{};transport=tcp>", core.via_address(p))
               : fmt::format("<sip:cohort@{}>", core.via_address(p));
  }

  /// A request on `leg` (in-dialog, or the INVITE that creates a B leg).
  sip::MessageBuilder request_on(const Leg& leg, std::string_view method,
                                 std::string_view request_uri, std::uint32_t cseq,
                                 std::string_view branch, int max_forwards,
                                 const std::function<void(sip::MessageBuilder&)>& extra = {}) {
    const net::Protocol p = leg.route.protocol;
    sip::MessageBuilder b = sip::MessageBuilder::request(sip::parse_method(method), request_uri);
    b.header(HeaderId::kVia,
             fmt::format("SIP/2.0/{} {};branch={};rport", p == net::Protocol::kTcp ? "TCP" : "UDP",
                         core.via_address(p), branch));
    b.header(HeaderId::kMaxForwards, std::to_string(max_forwards));
    for (const std::string& r : leg.route_set) {
      b.header(HeaderId::kRoute, r);
    }
    b.header(HeaderId::kFrom, leg.local_hdr);
    b.header(HeaderId::kTo, leg.remote_hdr);
    b.header(HeaderId::kCallId, leg.call_id);
    b.header(HeaderId::kCSeq, fmt::format("{} {}", cseq, method));
    if (extra) {
      extra(b);
    }
    return b;
  }

  /// SDP (and any other body) crosses from one leg to the other unchanged. The seam where a
  /// media anchor will substitute its own address.
  static std::pair<std::string, std::string> relay_body(const sip::Message& m) {
    if (m.body().empty()) {
      return {};
    }
    return {std::string(m.header(HeaderId::kContentType).value_or("application/sdp")),
            std::string(m.body())};
  }

  /// Sends `request` on the leg through a new client transaction: the value as built, never
  /// serialized and parsed again.
  TxnId send_on(std::size_t shard, Call& call, int leg_index, sip::MessageBuilder request,
                OwnerKind kind, TimePoint now) {
    Leg& leg = leg_index < 0 ? call.a : call.b[static_cast<std::size_t>(leg_index)];
    const TxnId id = core.start_client(shard, std::move(request).message(), leg.route, now);
    if (id != 0) {
      shards[shard].owners[id] = Owner{kind, call.key, leg_index};
    }
    return id;
  }

  // ---- new calls ----------------------------------------------------------------------

  void reply_a(std::size_t shard, Call& call, int status, std::string_view reason, TimePoint now,
               const std::function<void(sip::MessageBuilder&)>& extra = {}) {
    core.respond(shard, call.a_txn, status,
                 response_to(call.a_answer, status, reason, call.a.local_tag, extra), now);
  }

  bool absorb_retransmission(std::size_t shard, TxnId txn, const sip::Message& inv, TimePoint now) {
    ShardState& st = shards[shard];
    auto it = st.by_a_key.find(dialog_key(inv.call_id(), inv.from_tag()));
    if (it == st.by_a_key.end()) {
      return false;
    }
    Call* c = find(shard, it->second);
    if (c == nullptr || c->a_invite_cseq != inv.cseq() || !c->a_ok_sent) {
      return false;
    }
    // The caller did not get our 2xx yet: the new server transaction answers with the
    // very same 2xx (same To tag), which is what a retransmission of it would have been.
    core.respond(shard, txn, 200, c->a_ok, now);
    return true;
  }

  void on_invite(const NewCall& nc, TimePoint now) {
    const sip::Message& inv = *nc.invite;
    ShardState& st = shards[nc.shard];
    const std::string a_key = dialog_key(inv.call_id(), inv.from_tag());
    if (st.by_a_key.count(a_key) != 0) {
      // Same Call-ID and From tag as a call in progress but not its retransmission (another
      // CSeq): the caller reuses a dialog identity for a second INVITE without a To tag.
      core.respond(nc.shard, nc.txn, 482,
                   response_to(response_headers(inv, nc.top_via), 482, "Loop Detected",
                               crypto::random_hex(6)),
                   now);
      return;
    }
    auto call = std::make_unique<Call>();
    Call& c = *call;
    c.key = ++next_key;
    c.id = crypto::random_hex(16);
    c.a_txn = nc.txn;
    c.a_answer = response_headers(inv, nc.top_via);
    c.a_from_tag = std::string(inv.from_tag());
    c.a_invite_cseq = inv.cseq();
    c.a.call_id = std::string(inv.call_id());
    c.a.local_tag = crypto::random_hex(6);
    c.a.local_hdr = std::string(inv.header(HeaderId::kTo).value_or("")) + ";tag=" + c.a.local_tag;
    c.a.remote_hdr = std::string(inv.header(HeaderId::kFrom).value_or(""));
    c.a.route = nc.reply_route;
    c.a.state = LegState::kTrying;
    auto contact = sip::parse_contacts(inv);
    c.a.remote_target = contact && !contact->contacts.empty()
                            ? std::string(contact->contacts.front().uri_text)
                            : uri_of(c.a.remote_hdr);
    for (std::string_view rr : inv.header_values(HeaderId::kRecordRoute)) {
      c.a.route_set.emplace_back(rr);
    }
    c.a.peer = uri_of(c.a.remote_hdr);
    std::tie(c.a_content_type, c.a_body) = relay_body(inv);
    c.max_forwards = inv.max_forwards() < 0 ? 70 : inv.max_forwards();
    c.ring_deadline = now + opts.ring_timeout;

    auto ruri = sip::parse_uri(inv.request_uri());
    std::string dialled = ruri ? sip::unescape(ruri->user).value_or("") : std::string();
    auto from = sip::parse_name_addr(c.a.remote_hdr);
    std::string from_user = from ? sip::unescape(from->uri.user).value_or("") : std::string();

    c.cdr.id = c.id;
    c.cdr.a_leg_call_id = c.a.call_id;
    c.cdr.start_ms = core.now_ms();
    c.cdr.caller = nc.caller ? nc.caller->extension : from_user;
    c.cdr.dialled = dialled;
    c.cdr.number_sent = dialled;
    if (nc.caller) {
      c.cdr.caller_user = nc.caller->id;
      c.caller_display = nc.caller->name;
      c.caller_user_part = nc.caller->extension;
    } else {
      c.caller_display = from ? std::string(from->display_name) : std::string();
      c.caller_user_part = from_user;
    }
    c.cdr.caller_id = c.caller_user_part;
    c.snap = nc.snapshot;
    if (nc.caller != nullptr) {
      // A user placing a call is not offered a group call meanwhile (ring_in_use aside).
      c.busy_caller = nc.caller->id;
      core.agents().call_began(nc.caller->id);
    }
    ++n_attempted;
    ++n_active;
    const std::uint64_t key = c.key;
    st.dialogs[dialog_key(c.a.call_id, c.a.local_tag)] = {key, -1};
    st.by_server_txn[nc.txn] = key;
    st.by_a_key[a_key] = key;
    st.calls.emplace(key, std::move(call));

    reply_a(nc.shard, c, 100, "Trying", now);
    c.direction = nc.from_trunk ? "inbound" : "internal";
    c.cdr.direction = c.direction;
    c.cdr.trunk = nc.from_trunk;
    if (c.max_forwards <= 0) {
      fail_call(nc.shard, c, 483, "Too Many Hops", "failed", now);
      return;
    }
    route(nc, c, dialled, now);
  }

  void route(const NewCall& nc, Call& c, const std::string& dialled, TimePoint now) {
    const model::Snapshot& snap = *nc.snapshot;
    // A call from a trunk is inbound; a local caller's call to a number nobody here owns is
    // outbound (refused or not) — so a blocked toll-fraud attempt is found under
    // direction=inbound, and a mistyped outside number under outbound.
    c.direction = nc.from_trunk ? "inbound" : "outbound";
    c.cdr.direction = c.direction;
    if (nc.from_trunk) {
      std::shared_ptr<const routing::InboundTable> inbound = core.inbound_table(c.snap);
      if (const model::InboundRoute* r = inbound->match(*nc.from_trunk, dialled, c.cdr.caller)) {
        c.cdr.inbound_route = r->id;
        c.cdr.did = dialled;
        spdlog::info("call event=inbound call={} trunk={} did={} caller={} route=\"{}\"", c.id,
                     *nc.from_trunk, dialled, c.cdr.caller, r->name);
        take(nc.shard, c,
             routing::route(snap, r->destination, std::nullopt, flow(c), core.now_ms()), now);
        return;
      }
    }
    if (nc.caller != nullptr) {
      if (auto owner = snap.extension_owner(dialled)) {
        if (owner->kind == model::ExtensionOwner::Kind::kUser) {
          const model::User* callee = snap.user(owner->id);
          if (callee == nullptr || !callee->active) {
            fail_call(nc.shard, c, 404, "Not Found", "failed", now);
            return;
          }
          ring_user(nc.shard, c, *callee, now);
          return;
        }
        c.direction = "internal";
        c.cdr.direction = c.direction;
        take(
            nc.shard, c,
            routing::route(snap, model::DestGroup{owner->id}, std::nullopt, flow(c), core.now_ms()),
            now);
        return;
      }
    }
    std::shared_ptr<const routing::OutboundTable> table = core.outbound_table(c.snap);
    routing::OutboundRequest req;
    req.caller = nc.caller;
    req.from_trunk = nc.from_trunk;
    req.number = dialled;
    routing::OutboundPlan plan = table->plan(req);
    if (!plan.matched) {
      // Toll-fraud guard: a call that no rule takes never reaches a trunk.
      spdlog::warn("call event=refused call={} caller={} from_trunk={} dialled={} reason=\"{}\"",
                   c.id, c.cdr.caller, nc.from_trunk ? std::to_string(*nc.from_trunk) : "-",
                   dialled, plan.reason);
      if (nc.caller != nullptr) {
        fail_call(nc.shard, c, 404, "Not Found: no user or outbound rule for this number", "failed",
                  now);
      } else {
        spdlog::warn("call event=no_inbound_route call={} trunk={} did={} caller={}", c.id,
                     nc.from_trunk ? std::to_string(*nc.from_trunk) : "-", dialled, c.cdr.caller);
        fail_call(nc.shard, c, 404, "Not Found: no inbound route for this number", "failed", now);
      }
      return;
    }
    c.cdr.rule = plan.rule;
    c.cdr.caller_id_group = plan.group;
    c.number = plan.number;
    c.cdr.number_sent = plan.number;
    if (!plan.caller_id.empty()) {
      c.caller_id = plan.caller_id;
      c.cdr.caller_id = plan.caller_id;
    } else {
      c.caller_id = c.caller_user_part;
    }
    for (model::TrunkId id : plan.trunks) {
      if (const model::Trunk* t = snap.trunk(id)) {
        c.trunks.push_back(*t);
      }
    }
    spdlog::info(
        "call event=outbound call={} caller={} dialled={} rule={} number={} caller_id={} "
        "group={} trunks={}",
        c.id, c.cdr.caller, dialled, plan.rule_name, plan.number, c.caller_id,
        plan.group ? std::to_string(*plan.group) : "-", c.trunks.size());
    try_next_trunk(nc.shard, c, now);
  }

  void ring_user(std::size_t shard, Call& c, const model::User& callee, TimePoint now) {
    if (c.direction != "inbound") {
      c.direction = "internal";
      c.cdr.direction = "internal";
    }
    c.cdr.callee_user = callee.id;
    std::vector<CallTarget> targets = core.targets_of(callee.id);
    if (targets.empty()) {
      fail_call(shard, c, 480, "Temporarily Unavailable", "failed", now);
      return;
    }
    add_user_legs(shard, c, callee, targets, c.caller_display, -1, -1, now);
  }

  /// One B leg per binding of `user`, each sent its INVITE. The From carries the caller's
  /// number and `display`.
  void add_user_legs(std::size_t shard, Call& c, const model::User& user,
                     std::vector<CallTarget>& targets, const std::string& display, int hunt_gen,
                     int attempt, TimePoint now) {
    const std::string to = fmt::format("<sip:{}@{}>", user.extension, opts.domain);
    const std::string from_uri = fmt::format("sip:{}@{}", c.caller_user_part, opts.domain);
    for (CallTarget& t : targets) {
      Leg leg;
      leg.call_id = core.mint_call_id(shard);
      leg.local_tag = crypto::random_hex(6);
      leg.local_hdr = (display.empty() ? std::string() : display_quoted(display) + " ") + "<" +
                      from_uri + ">;tag=" + leg.local_tag;
      leg.remote_hdr = to;
      leg.request_uri = t.contact;
      leg.remote_target = t.contact;
      leg.route = t.route;
      leg.route.local = core.local_endpoint(t.route.protocol);
      leg.route_set = t.path;
      leg.peer = t.contact;
      leg.member = user.id;
      leg.hunt_gen = hunt_gen;
      leg.attempt = attempt;
      c.b.push_back(std::move(leg));
      send_invite(shard, c, static_cast<int>(c.b.size()) - 1, {}, now);
    }
  }

  // ---- destinations and groups (issue 5) --------------------------------------------

  /// The groups the call has been through, for routing::route / leave.
  routing::FlowState flow(const Call& c) const {
    return routing::FlowState{c.visited, opts.max_fallback_hops};
  }

  /// Carries out where routing:: says the call goes next: records the groups it passed
  /// through and the fallback it took, then enters a group, rings a user, dials a number or
  /// ends the call.
  void take(std::size_t shard, Call& c, const routing::Step& step, TimePoint now) {
    for (model::GroupId g : step.entered) {
      c.visited.push_back(g);
      if (!c.cdr.group) {
        c.cdr.group = g;
        ++n_group_calls;
      }
    }
    if (step.left_because) {
      const model::Group* g = step.left_group ? c.snap->group(*step.left_group) : nullptr;
      const std::string_view group_name = g != nullptr ? std::string_view(g->name) : "-";
      c.cdr.fallback_reason = std::string(routing::to_string(*step.left_because));
      if (step.left_to) {
        c.cdr.fallback_to = model::destination_to_json(*step.left_to).dump();
        spdlog::info("call event=fallback call={} group={} reason={} to={}", c.id, group_name,
                     c.cdr.fallback_reason, c.cdr.fallback_to);
      } else {
        spdlog::info("call event=group_gave_up call={} group={} reason={}", c.id, group_name,
                     c.cdr.fallback_reason);
      }
    }
    if (const auto* e = std::get_if<routing::EnterGroup>(&step.action)) {
      start_hunt(shard, c, e->group, e->timezone, now);
      return;
    }
    c.ring_deadline = now + opts.ring_timeout;
    if (const auto* u = std::get_if<routing::RingUser>(&step.action)) {
      c.via_fallback = step.via_fallback;
      ring_user(shard, c, *c.snap->user(u->user), now);
      return;
    }
    if (const auto* n = std::get_if<routing::DialNumber>(&step.action)) {
      c.via_fallback = step.via_fallback;
      dial_number(shard, c, n->number, n->as_group, now);
      return;
    }
    const auto& end = std::get<routing::EndCall>(step.action);
    // How the call ended: the reason it left its group, when it left one.
    std::string disposition =
        c.cdr.fallback_reason.empty() ? std::string("failed") : c.cdr.fallback_reason;
    switch (end.cause) {
      case routing::EndCause::kRoutingGap:
        spdlog::warn("call event=routing_gap call={}", c.id);
        disposition = "routing_gap";
        break;
      case routing::EndCause::kInactiveUser:
        disposition = "failed";
        break;
      case routing::EndCause::kVoicemailUnavailable:
        disposition = "voicemail_unavailable";
        break;
      case routing::EndCause::kFallbackLoop:
      case routing::EndCause::kHopLimit:
        spdlog::warn("call event={} call={} visited={}", routing::to_string(end.cause), c.id,
                     c.visited.size());
        c.cdr.hangup_cause = std::string(routing::to_string(end.cause));
        break;
      case routing::EndCause::kHangup:
        break;
    }
    fail_call(shard, c, end.status, end.reason_phrase, disposition, now);
  }

  /// An outside number as a destination: through the outbound rules, as the group's own
  /// call (its caller ID presented) or, for an inbound route, as the trunk caller's.
  void dial_number(std::size_t shard, Call& c, const std::string& number,
                   std::optional<model::GroupId> as_group, TimePoint now) {
    std::shared_ptr<const routing::OutboundTable> table = core.outbound_table(c.snap);
    routing::OutboundRequest req;
    req.number = number;
    req.as_group = as_group;
    if (!as_group && c.direction == "inbound") {
      req.from_trunk = c.cdr.trunk;
    }
    routing::OutboundPlan plan = table->plan(req);
    if (!plan.matched) {
      spdlog::warn("call event=refused call={} dialled={} group={} reason=\"{}\"", c.id, number,
                   as_group ? std::to_string(*as_group) : "-", plan.reason);
      fail_call(shard, c, 404, "Not Found: no outbound rule for the destination number",
                c.via_fallback ? "fallback" : "failed", now);
      return;
    }
    c.cdr.rule = plan.rule;
    c.number = plan.number;
    c.cdr.number_sent = plan.number;
    c.caller_id = routing::present_caller_id(*c.snap, plan, as_group, c.caller_user_part,
                                             &c.cdr.caller_id_group);
    c.cdr.caller_id = c.caller_id;
    c.trunks.clear();
    c.next_trunk = 0;
    for (model::TrunkId id : plan.trunks) {
      if (const model::Trunk* t = c.snap->trunk(id)) {
        c.trunks.push_back(*t);
      }
    }
    spdlog::info("call event=dial_number call={} number={} rule={} caller_id={} trunks={}", c.id,
                 plan.number, plan.rule_name, c.caller_id, c.trunks.size());
    try_next_trunk(shard, c, now);
  }

  /// 180 to the caller while the members are tried (once).
  void send_ringback(std::size_t shard, Call& c, TimePoint now) {
    if (c.ringback_sent || c.state == CallState::kEnding) {
      return;
    }
    c.ringback_sent = true;
    c.state = CallState::kRinging;
    c.a.state = LegState::kEarly;
    if (c.cdr.ringing_ms == 0) {
      c.cdr.ringing_ms = core.now_ms();
    }
    reply_a(shard, c, 180, "Ringing", now, [&](sip::MessageBuilder& b) {
      b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
    });
  }

  /// Distributes the call over group `id` (open: routing::route checked), its day
  /// boundaries in `timezone`.
  void start_hunt(std::size_t shard, Call& c, model::GroupId id, const std::string& timezone,
                  TimePoint now) {
    const model::Group* g = c.snap->group(id);
    const std::int64_t now_ms = core.now_ms();
    Hunt& h = c.hunt.emplace();
    h.group = id;
    h.group_name = g->name;
    h.policy.strategy = g->ring_strategy;
    h.policy.ring_timeout_s = g->ring_timeout_s;
    h.policy.wrap_up_s = g->wrap_up_s;
    h.policy.ring_in_use = g->ring_in_use;
    h.policy.skip_unregistered = g->skip_unregistered;
    h.max_deadline = now + std::chrono::seconds(g->max_wait_s);
    // The call's own ring timeout must not cut the group's wait (and its fallback) short.
    c.ring_deadline = std::max(c.ring_deadline, h.max_deadline + opts.ring_timeout);
    if (!plan_round(c, *g, timezone, now_ms)) {
      spdlog::info("call event=no_agents call={} group={}", c.id, g->name);
      leave_group(shard, c, *g, routing::LeaveReason::kNoAgents, now);
      return;
    }
    send_ringback(shard, c, now);
    next_attempt(shard, c, now);
  }

  /// Distributes the call over the group's members as they are now. False when nobody is
  /// available.
  bool plan_round(Call& c, const model::Group& g, const std::string& timezone,
                  std::int64_t now_ms) {
    Hunt& h = *c.hunt;
    const model::Snapshot& snap = *c.snap;
    std::span<const model::Member> members = snap.members(g.id);
    std::vector<routing::MemberFacts> facts;
    facts.reserve(members.size());
    for (const model::Member& m : members) {
      const model::User* u = snap.user(m.user);
      if (u == nullptr) {
        continue;
      }
      routing::MemberFacts f;
      f.user = m.user;
      f.position = m.position;
      // An inactive user takes no calls: left out like a paused one.
      f.state =
          u->paused || !u->active ? routing::AgentState::kPaused : routing::AgentState::kAvailable;
      f.paused_in_group = m.paused;
      f.registered = core.has_binding(m.user);
      facts.push_back(f);
    }
    core.agents().fill(facts, routing::local_day_start_ms(timezone, now_ms));
    routing::DistributionState state;
    state.last_offered = core.agents().cursor(g.id);
    const std::uint64_t seed = static_cast<std::uint64_t>(now_ms) * 0x9e3779b97f4a7c15ULL ^ c.key;
    h.plan = routing::distribute(h.policy, facts, state, now_ms, seed);
    h.next = 0;
    h.retry_wait = false;
    if (h.plan.next_state.last_offered && h.plan.next_state != state) {
      core.agents().set_cursor(g.id, *h.plan.next_state.last_offered);
      core.save_cursor(g.id, *h.plan.next_state.last_offered);
    }
    for (const auto& [user, reason] : h.plan.skipped) {
      spdlog::debug("call event=member_skipped call={} group={} user={} reason={}", c.id, g.name,
                    user, reason);
    }
    return !h.plan.attempts.empty();
  }

  /// Rings the next attempt of the plan that has anyone to ring; at the end of the plan,
  /// waits for the next round (or falls back when max_wait_s is reached first).
  void next_attempt(std::size_t shard, Call& c, TimePoint now) {
    Hunt& h = *c.hunt;
    const model::Snapshot& snap = *c.snap;
    const std::string display = fmt::format("{}: {}", h.group_name, c.caller_user_part);
    while (h.next < h.plan.attempts.size()) {
      const routing::Attempt& attempt = h.plan.attempts[h.next++];
      // Numbered across the whole call: legs of an earlier group, still waiting for the
      // answer to their CANCEL, never pass for the current attempt's.
      h.gen = ++c.attempts_started;
      h.claimed.clear();
      for (model::UserId user : h.plan.users(attempt)) {
        const model::User* u = snap.user(user);
        // The plan was made when the round began: a member may have started ringing for
        // another call, or taken one, since.
        if (u == nullptr || !core.agents().claim_ring(user, h.policy.ring_in_use)) {
          continue;
        }
        std::vector<CallTarget> targets = core.targets_of(user);
        const int index = static_cast<int>(c.cdr.attempts.size());
        c.cdr.attempts.push_back(store::CdrRecord::Attempt{user, h.group, core.now_ms(), 0, {}});
        if (targets.empty()) {
          core.agents().release_ring(user);
          c.cdr.attempts.back().end_ms = c.cdr.attempts.back().start_ms;
          c.cdr.attempts.back().result = "unreachable";
          continue;
        }
        h.claimed.push_back(user);
        h.offered = true;
        spdlog::info("call event=offer call={} group={} user={} bindings={}", c.id, h.group_name,
                     user, targets.size());
        add_user_legs(shard, c, *u, targets, display, h.gen, index, now);
      }
      if (!h.claimed.empty()) {
        h.attempt_deadline =
            std::min(now + std::chrono::seconds(attempt.timeout_s), h.max_deadline);
        core.arm(shard, c.key, h.attempt_deadline);
        return;
      }
    }
    // Everyone in this round was offered the call (or could not be): the next round.
    h.retry_wait = true;
    h.attempt_deadline = now + opts.hunt_retry;
    if (h.attempt_deadline >= h.max_deadline) {
      const model::Group* g = snap.group(h.group);
      leave_group(shard, c, *g,
                  h.offered ? routing::LeaveReason::kNoAnswer : routing::LeaveReason::kNoAgents,
                  now);
      return;
    }
    core.arm(shard, c.key, h.attempt_deadline);
  }

  /// The current attempt is over: its legs still ringing are cancelled, its members freed
  /// and their attempts closed with `result` (those not closed already).
  void end_attempt(std::size_t shard, Call& c, std::string_view result, TimePoint now) {
    Hunt& h = *c.hunt;
    for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
      Leg& leg = c.b[static_cast<std::size_t>(k)];
      if (leg.hunt_gen == h.gen && leg.hunt_gen >= 0) {
        cancel_leg(shard, c, k, now);
        close_member_attempt(c, leg.attempt, result);
      }
    }
    for (model::UserId user : h.claimed) {
      core.agents().release_ring(user);
    }
    h.claimed.clear();
  }

  void close_member_attempt(Call& c, int index, std::string_view result) {
    if (index < 0 || static_cast<std::size_t>(index) >= c.cdr.attempts.size()) {
      return;
    }
    store::CdrRecord::Attempt& a = c.cdr.attempts[static_cast<std::size_t>(index)];
    if (a.end_ms == 0) {
      a.end_ms = core.now_ms();
      a.result = std::string(result);
    }
  }

  /// A member leg of a group attempt failed. When all of a member's legs failed the member
  /// is free again; when all legs of the attempt failed, the next attempt rings.
  void on_member_leg_failed(std::size_t shard, Call& c, int i, TimePoint now) {
    Hunt& h = *c.hunt;
    const Leg& leg = c.b[static_cast<std::size_t>(i)];
    if (leg.hunt_gen != h.gen || h.retry_wait) {
      return;  // an earlier attempt's leg, cancelled when it ran out of time
    }
    auto pending = [&](auto pred) {
      for (const Leg& other : c.b) {
        if (other.hunt_gen == h.gen && other.final_status == 0 &&
            other.state != LegState::kTerminated && pred(other)) {
          return true;
        }
      }
      return false;
    };
    const model::UserId member = *leg.member;
    if (!pending([&](const Leg& o) { return o.member == member; })) {
      int best = 0;
      for (const Leg& o : c.b) {
        if (o.hunt_gen == h.gen && o.member == member &&
            (best == 0 || failure_rank(o.final_status) < failure_rank(best))) {
          best = o.final_status;
        }
      }
      close_member_attempt(c, leg.attempt, attempt_result(best));
      if (auto it = std::find(h.claimed.begin(), h.claimed.end(), member); it != h.claimed.end()) {
        h.claimed.erase(it);
        core.agents().release_ring(member);
      }
    }
    if (!pending([](const Leg&) { return true; })) {
      next_attempt(shard, c, now);
    }
  }

  static std::string_view attempt_result(int status) {
    if (status == 486 || status == 600) {
      return "busy";
    }
    if (status == 408 || status == 480 || status == 487) {
      return "no_answer";
    }
    return status >= 400 ? "declined" : "failed";
  }

  /// The call leaves group `g` for its closed destination (reason "closed") or its fallback
  /// ("no_answer", "no_agents"); without one it ends with the reason as its disposition.
  /// The call leaves the group distributing it for `reason`: its attempts end, and
  /// routing::leave says where it goes.
  void leave_group(std::size_t shard, Call& c, const model::Group& g, routing::LeaveReason reason,
                   TimePoint now) {
    if (c.hunt) {
      end_attempt(shard, c, "cancelled", now);
      c.hunt.reset();
    }
    take(shard, c, routing::leave(*c.snap, g.id, reason, flow(c), core.now_ms()), now);
  }

  void try_next_trunk(std::size_t shard, Call& c, TimePoint now) {
    while (c.next_trunk < c.trunks.size()) {
      const model::Trunk& t = c.trunks[c.next_trunk++];
      if (t.host.empty()) {
        continue;
      }
      if (!core.acquire_trunk(t)) {
        spdlog::info("call event=trunk_full call={} trunk={} limit={}", c.id, t.name,
                     t.max_concurrent_calls);
        continue;
      }
      auto address = core.trunk_address(t);
      if (!address) {
        core.release_trunk(t.id);
        spdlog::warn("call event=trunk_unresolved call={} trunk={} host={}", c.id, t.name, t.host);
        continue;
      }
      const std::string from_domain = t.from_domain.empty() ? t.host : t.from_domain;
      const std::string host_port = t.port == 5060 ? t.host : fmt::format("{}:{}", t.host, t.port);
      Leg leg;
      leg.call_id = core.mint_call_id(shard);
      leg.local_tag = crypto::random_hex(6);
      leg.local_hdr = fmt::format("<sip:{}@{}>;tag={}", c.caller_id, from_domain, leg.local_tag);
      leg.remote_hdr = fmt::format("<sip:{}@{}>", c.number, host_port);
      leg.request_uri =
          fmt::format("sip:{}@{}{}", c.number, host_port,
                      t.transport == model::TrunkTransport::kTcp ? ";transport=tcp" : "");
      leg.remote_target = leg.request_uri;
      leg.route.protocol =
          t.transport == model::TrunkTransport::kTcp ? net::Protocol::kTcp : net::Protocol::kUdp;
      leg.route.destination = *address;
      leg.route.local = core.local_endpoint(leg.route.protocol);
      leg.trunk = t.id;
      leg.trunk_slot = true;
      leg.peer = leg.request_uri;
      if (c.direction != "inbound") {
        c.cdr.trunk = t.id;  // an inbound call's record keeps the trunk it came from
      }
      c.b.push_back(std::move(leg));
      send_invite(shard, c, static_cast<int>(c.b.size()) - 1, {}, now);
      return;
    }
    fail_call(shard, c, 503, "Service Unavailable: no trunk could take the call", "failed", now);
  }

  const model::Trunk* trunk_of(const Call& c, const Leg& leg) const {
    if (!leg.trunk) {
      return nullptr;
    }
    for (const model::Trunk& t : c.trunks) {
      if (t.id == *leg.trunk) {
        return &t;
      }
    }
    return nullptr;
  }

  /// Sends (or re-sends, with credentials) the INVITE of B leg `i`.
  void send_invite(std::size_t shard, Call& c, int i, const std::string& authorization,
                   TimePoint now, HeaderId auth_header = HeaderId::kAuthorization) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    leg.cseq = leg.cseq + 1;
    leg.invite_cseq = leg.cseq;
    leg.branch = core.mint_branch(shard);
    const model::Trunk* trunk = trunk_of(c, leg);
    sip::MessageBuilder bytes = request_on(
        leg, "INVITE", leg.request_uri, leg.cseq, leg.branch, c.max_forwards - 1,
        [&](sip::MessageBuilder& b) {
          b.header(HeaderId::kContact, contact_of(leg.route.protocol));
          if (trunk != nullptr && !c.caller_id.empty()) {
            const std::string domain =
                trunk->from_domain.empty() ? trunk->host : trunk->from_domain;
            b.header("P-Asserted-Identity", fmt::format("<sip:{}@{}>", c.caller_id, domain));
          }
          if (!authorization.empty()) {
            b.header(auth_header, authorization);
          }
          b.header(HeaderId::kAllow, "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO");
          b.header(HeaderId::kUserAgent, opts.user_agent);
          if (!c.a_body.empty()) {
            b.body(c.a_content_type, c.a_body);
          }
        });
    ShardState& st = shards[shard];
    if (leg.invite_txn != 0) {
      st.owners.erase(leg.invite_txn);
    }
    st.dialogs[dialog_key(leg.call_id, leg.local_tag)] = {c.key, i};
    leg.invite_txn = send_on(shard, c, i, std::move(bytes), OwnerKind::kInvite, now);
  }

  void cancel_leg(std::size_t shard, Call& c, int i, TimePoint now) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    if (leg.final_status != 0 || leg.cancelled || leg.state == LegState::kTerminated) {
      return;
    }
    if (!leg.provisional) {
      leg.cancel_pending = true;  // RFC 3261 §9.1: CANCEL only after a provisional response
      return;
    }
    leg.cancelled = true;
    // §9.1: same Request-URI, Call-ID, From, To (no tag), CSeq number and top Via branch as
    // the INVITE.
    Leg copy = leg;
    copy.remote_hdr = without_tag(leg.remote_hdr);
    copy.route_set.clear();
    sip::MessageBuilder bytes = request_on(
        copy, "CANCEL", leg.request_uri, leg.invite_cseq, leg.branch, 70,
        [&](sip::MessageBuilder& b) { b.header(HeaderId::kUserAgent, opts.user_agent); });
    send_on(shard, c, i, std::move(bytes), OwnerKind::kOther, now);
  }

  void bye_leg(std::size_t shard, Call& c, int i, TimePoint now) {
    Leg& leg = i < 0 ? c.a : c.b[static_cast<std::size_t>(i)];
    if (leg.state == LegState::kTerminated) {
      return;
    }
    if (i < 0 && !c.a_ok_sent && !c.a_ok.empty()) {
      send_a_ok(shard, c, now);  // answered and ended before the record was committed
    }
    leg.state = LegState::kTerminated;
    leg.cseq += 1;
    sip::MessageBuilder bytes = request_on(
        leg, "BYE", leg.remote_target, leg.cseq, core.mint_branch(shard), 70,
        [&](sip::MessageBuilder& b) { b.header(HeaderId::kUserAgent, opts.user_agent); });
    send_on(shard, c, i, std::move(bytes), OwnerKind::kOther, now);
  }

  /// ACK for a 2xx on B leg `i` (RFC 3261 §13.2.2.4: its own transaction, new branch, the
  /// INVITE's CSeq number).
  void ack_leg(std::size_t shard, Call& c, int i, std::uint32_t cseq, const std::string& ctype,
               const std::string& body) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    leg.ack_bytes = request_on(leg, "ACK", leg.remote_target, cseq, core.mint_branch(shard), 70,
                               [&](sip::MessageBuilder& b) {
                                 b.header(HeaderId::kUserAgent, opts.user_agent);
                                 if (!body.empty()) {
                                   b.body(ctype, body);
                                 }
                               })
                        .str();
    leg.ack_cseq = cseq;
    net::Outbound out = leg.route;
    out.bytes = leg.ack_bytes;
    core.send_direct(std::move(out));
  }

  void ack_to_a(std::size_t shard, Call& c, std::uint32_t cseq) {
    // ACK toward the caller (a re-INVITE the callee sent us, relayed to A).
    c.a.ack_bytes =
        request_on(c.a, "ACK", c.a.remote_target, cseq, core.mint_branch(shard), 70).str();
    c.a.ack_cseq = cseq;
    net::Outbound out = c.a.route;
    out.bytes = c.a.ack_bytes;
    core.send_direct(std::move(out));
  }

  // ---- responses on B legs ------------------------------------------------------------

  void on_b_response(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    const int status = r.status();
    if (status < 200) {
      if (status == 100) {
        return;
      }
      leg.provisional = true;
      if (leg.state == LegState::kTrying && !r.to_tag().empty()) {
        leg.state = LegState::kEarly;
      }
      if (leg.cancel_pending || c.winner >= 0 || c.state == CallState::kEnding) {
        leg.cancel_pending = false;
        cancel_leg(shard, c, i, now);
        return;
      }
      if (c.cdr.ringing_ms == 0) {
        c.cdr.ringing_ms = core.now_ms();
      }
      c.state = CallState::kRinging;
      c.a.state = LegState::kEarly;
      // Ringing (and early media SDP in 18x) goes on to the caller under our single To tag.
      auto [ctype, body] = relay_body(r);
      const int out_status = status == 181 || status == 182 || status == 183 ? status : 180;
      reply_a(shard, c, out_status, r.reason(), now, [&](sip::MessageBuilder& b) {
        b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
        if (!body.empty()) {
          b.body(ctype, body);
        }
      });
      return;
    }
    leg.final_status = status;
    leg.final_reason = std::string(r.reason());
    if (status < 300) {
      on_b_answer(shard, c, i, r, now);
      return;
    }
    leg.state = LegState::kTerminated;
    if ((status == 401 || status == 407) && leg.trunk && leg.auth_attempts == 0 &&
        c.state != CallState::kEnding) {
      if (retry_with_credentials(shard, c, i, r, now)) {
        return;
      }
    }
    release_slot(leg);
    spdlog::info("call event=leg_failed call={} leg={} status={} reason=\"{}\"", c.id, i, status,
                 r.reason());
    after_leg_failure(shard, c, i, now);
  }

  bool retry_with_credentials(std::size_t shard, Call& c, int i, const sip::Message& r,
                              TimePoint now) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    const model::Trunk* trunk = trunk_of(c, leg);
    if (trunk == nullptr || trunk->username.empty()) {
      return false;
    }
    const bool proxy = r.status() == 407;
    auto value = r.header(proxy ? HeaderId::kProxyAuthenticate : HeaderId::kWwwAuthenticate);
    if (!value) {
      return false;
    }
    auto challenge = sip::digest::parse_challenge(*value);
    if (!challenge || (trunk->auth_realm && *trunk->auth_realm != challenge->realm)) {
      return false;
    }
    leg.auth_attempts++;
    leg.final_status = 0;
    leg.provisional = false;
    leg.state = LegState::kTrying;
    const std::string auth =
        sip::digest::authorization_value(*challenge, trunk->username, trunk->password, "INVITE",
                                         leg.request_uri, crypto::random_hex(8), 1);
    send_invite(shard, c, i, auth, now,
                proxy ? HeaderId::kProxyAuthorization : HeaderId::kAuthorization);
    return true;
  }

  void release_slot(Leg& leg) {
    if (leg.trunk_slot && leg.trunk) {
      leg.trunk_slot = false;
      core.release_trunk(*leg.trunk);
    }
  }

  /// Failover: a trunk leg that ended with 408, 5xx or no response moves on to the next
  /// trunk of the rule.
  static bool fails_over(int status) { return status == 408 || (status >= 500 && status < 600); }

  void after_leg_failure(std::size_t shard, Call& c, int i, TimePoint now) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    if (c.winner >= 0 || c.state == CallState::kEnding) {
      maybe_reap(shard, c);
      return;
    }
    if (leg.hunt_gen >= 0) {
      if (c.hunt) {
        on_member_leg_failed(shard, c, i, now);
      }
      return;  // a leg of a group attempt the call has moved on from
    }
    if (leg.trunk && fails_over(leg.final_status) && !c.caller_cancelled &&
        c.next_trunk < c.trunks.size()) {
      spdlog::info("call event=failover call={} status={}", c.id, leg.final_status);
      try_next_trunk(shard, c, now);
      return;
    }
    for (const Leg& other : c.b) {
      if (other.final_status == 0 && other.state != LegState::kTerminated) {
        return;  // another fork is still ringing
      }
    }
    // Every leg failed: the best failure goes back to the caller.
    const Leg* best = nullptr;
    for (const Leg& other : c.b) {
      if (best == nullptr || failure_rank(other.final_status) < failure_rank(best->final_status)) {
        best = &other;
      }
    }
    int status = best ? best->final_status : 500;
    std::string reason = best ? best->final_reason : std::string();
    std::string disposition = "failed";
    if (c.caller_cancelled) {
      status = 487;
      reason = "Request Terminated";
      disposition = "cancelled";
    } else if (leg.trunk && (fails_over(status) || status == 401 || status == 407)) {
      // Every trunk failed (or refused our credentials): the network is down, not the callee.
      status = 503;
      reason = "Service Unavailable";
    } else if (status == 486 || status == 600 || status == 603) {
      disposition = "busy";
    } else if (status == 408 || status == 480 || status == 487) {
      disposition = "no_answer";
      status = status == 487 ? 480 : status;  // our own CANCEL on ring timeout
      if (status == 480) {
        reason = "Temporarily Unavailable";
      }
    }
    fail_call(shard, c, status, reason, disposition, now);
  }

  void on_b_answer(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now) {
    Leg& leg = c.b[static_cast<std::size_t>(i)];
    leg.remote_hdr = std::string(r.header(HeaderId::kTo).value_or(leg.remote_hdr));
    auto contact = sip::parse_contacts(r);
    if (contact && !contact->contacts.empty()) {
      leg.remote_target = std::string(contact->contacts.front().uri_text);
    }
    leg.route_set.clear();
    std::vector<std::string_view> rr = r.header_values(HeaderId::kRecordRoute);
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) {
      leg.route_set.emplace_back(*it);
    }
    leg.state = LegState::kConfirmed;
    if (c.winner >= 0 || c.state == CallState::kEnding) {
      // A second fork answered too late, or the caller hung up meanwhile: ACK and BYE it.
      ack_leg(shard, c, i, leg.invite_cseq, {}, {});
      bye_leg(shard, c, i, now);
      release_slot(leg);
      maybe_reap(shard, c);
      return;
    }
    c.winner = i;
    c.state = CallState::kAnswered;
    c.a.state = LegState::kConfirmed;
    if (leg.member) {
      const model::UserId member = *leg.member;
      core.agents().call_began(member);
      c.busy_member = member;
      c.cdr.callee_user = member;
      if (c.hunt) {
        close_member_attempt(c, leg.attempt, "answered");
        Hunt& h = *c.hunt;
        for (Leg& other : c.b) {
          if (other.hunt_gen == h.gen && other.member != leg.member) {
            close_member_attempt(c, other.attempt, "cancelled");
          }
        }
        for (model::UserId user : h.claimed) {
          core.agents().release_ring(user);
        }
        c.group_answer = true;
        c.cdr.answered_by = member;
        core.agents().answered(member, core.now_ms());
        spdlog::info("call event=group_answered call={} group={} user={}", c.id, h.group_name,
                     member);
        c.hunt.reset();
      } else if (c.via_fallback) {
        c.cdr.answered_by = member;
      }
    }
    c.cdr.b_leg_call_id = leg.call_id;
    c.cdr.answer_ms = core.now_ms();
    if (c.cdr.ringing_ms == 0) {
      c.cdr.ringing_ms = c.cdr.answer_ms;
    }
    c.cdr.sip_status = r.status();
    ++n_answered;
    for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
      if (k != i) {
        cancel_leg(shard, c, k, now);
      }
    }
    auto [ctype, body] = relay_body(r);
    c.a_ok = response_to(c.a_answer, 200, "OK", c.a.local_tag, [&](sip::MessageBuilder& b) {
      b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
      b.header(HeaderId::kAllow, "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO");
      if (!body.empty()) {
        b.body(ctype, body);
      }
    });
    c.end_deadline = now + opts.max_duration;
    // The caller is told the call was answered only once the answer is on disk: a crash
    // from then on leaves a record that start-up closes as "interrupted" (on_record_durable
    // sends the 200 OK).
    core.write_cdr_durable(shard, c.cdr, c.key);
  }

  void on_record_durable(std::size_t shard, std::uint64_t key, bool durable, TimePoint now) {
    Call* c = find(shard, key);
    if (c == nullptr || c->a_ok_sent || c->a_ok.empty()) {
      return;  // ended meanwhile (the 200 OK went out before its BYE)
    }
    if (!durable) {
      // The call goes on: a phone conversation matters more than its record.
      spdlog::error("call event=answer_not_recorded call={}", c->id);
    }
    send_a_ok(shard, *c, now);
  }

  /// Sends the caller the 2xx built at the answer, then retransmits it until the ACK
  /// (RFC 3261 §13.3.1.4).
  void send_a_ok(std::size_t shard, Call& c, TimePoint now) {
    c.a_ok_sent = true;
    core.respond(shard, c.a_txn, 200, c.a_ok, now);
    shards[shard].by_server_txn.erase(c.a_txn);
    c.ok_interval = opts.t1;
    c.ok_next = now + c.ok_interval;
    c.ok_deadline = now + 64 * opts.t1;
    core.arm(shard, c.key, c.a.route.protocol == net::Protocol::kUdp ? c.ok_next : c.ok_deadline);
  }

  // ---- ending -------------------------------------------------------------------------

  void fail_call(std::size_t shard, Call& c, int status, std::string_view reason,
                 std::string_view disposition, TimePoint now) {
    if (c.state == CallState::kEnding) {
      return;
    }
    reply_a(shard, c, status, reason, now);
    shards[shard].by_server_txn.erase(c.a_txn);
    c.cdr.sip_status = status;
    c.cdr.hangup_cause = fmt::format("{} {}", status, reason);
    finish(shard, c, std::string(disposition), now);
  }

  /// The call is over for the caller: CDR, counters; the call object stays until no leg
  /// needs it any more (maybe_reap).
  void finish(std::size_t shard, Call& c, std::string disposition, TimePoint now) {
    c.state = CallState::kEnding;
    c.cdr.end_ms = core.now_ms();
    if (c.hunt) {
      end_attempt(shard, c, "cancelled", now);
      c.hunt.reset();
    }
    if (disposition == "cancelled" && c.cdr.group) {
      disposition = "abandoned";  // the caller hung up while waiting for a group
    } else if (c.via_fallback && disposition != "routing_gap" &&
               disposition != "voicemail_unavailable") {
      disposition = "fallback";
    }
    c.cdr.disposition = disposition;
    const std::int64_t answered = c.cdr.answer_ms;
    c.cdr.wait_ms = (answered != 0 ? answered : c.cdr.end_ms) - c.cdr.start_ms;
    c.cdr.talk_ms = answered != 0 ? c.cdr.end_ms - answered : 0;
    if (c.busy_caller) {
      core.agents().call_ended(*c.busy_caller);
      c.busy_caller.reset();
    }
    if (c.busy_member) {
      core.agents().call_ended(*c.busy_member);
      if (c.group_answer) {
        core.agents().group_call_ended(*c.busy_member, c.cdr.end_ms);
      }
      c.busy_member.reset();
    }
    if (disposition == "busy") {
      ++n_busy;
    } else if (disposition == "no_answer") {
      ++n_no_answer;
    } else if (disposition == "cancelled") {
      ++n_cancelled;
    } else if (disposition == "failed") {
      ++n_failed;
    } else if (disposition == "abandoned") {
      ++n_abandoned;
    } else if (disposition == "closed") {
      ++n_closed;
    } else if (disposition == "no_agents") {
      ++n_no_agents;
    } else if (disposition == "fallback") {
      ++n_fallback;
    } else if (disposition == "routing_gap") {
      ++n_routing_gap;
    } else if (disposition == "voicemail_unavailable") {
      ++n_voicemail_unavailable;
    }
    --n_active;
    if (disposition != "answered" && c.cdr.sip_status >= 300 && c.cdr.sip_status < 700) {
      ++n_status[static_cast<std::size_t>(c.cdr.sip_status)];
    }
    core.write_cdr(c.cdr);
    for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
      cancel_leg(shard, c, k, now);
    }
    maybe_reap(shard, c);
  }

  /// Forgets an ended call once no B leg can still answer (a leg waiting for the response
  /// to our CANCEL may yet send a 2xx that must be ACKed and BYEd).
  void maybe_reap(std::size_t shard, Call& c) {
    if (c.state != CallState::kEnding) {
      return;
    }
    for (Leg& leg : c.b) {
      if (leg.final_status == 0 && leg.state != LegState::kTerminated && leg.invite_txn != 0) {
        return;
      }
    }
    ShardState& st = shards[shard];
    for (Leg& leg : c.b) {
      release_slot(leg);
      st.dialogs.erase(dialog_key(leg.call_id, leg.local_tag));
    }
    st.dialogs.erase(dialog_key(c.a.call_id, c.a.local_tag));
    st.by_server_txn.erase(c.a_txn);
    st.by_a_key.erase(dialog_key(c.a.call_id, c.a_from_tag));
    st.calls.erase(c.key);  // `c` is gone after this line
  }

  /// Ends an answered call: a BYE on each of the two legs that has not hung up itself.
  void end_answered(std::size_t shard, Call& c, std::string cause, TimePoint now) {
    c.cdr.hangup_cause = std::move(cause);
    bye_leg(shard, c, -1, now);
    if (c.winner >= 0) {
      bye_leg(shard, c, c.winner, now);
    }
    for (Leg& leg : c.b) {
      release_slot(leg);
    }
    finish(shard, c, "answered", now);
  }

  /// The caller (`from_leg` -1) or the answering callee sent BYE.
  void hang_up(std::size_t shard, Call& c, int from_leg, TimePoint now) {
    (from_leg < 0 ? c.a : c.b[static_cast<std::size_t>(from_leg)]).state = LegState::kTerminated;
    end_answered(shard, c, from_leg < 0 ? "caller_bye" : "callee_bye", now);
  }

  // ---- in-dialog requests -------------------------------------------------------------

  bool on_in_dialog(std::size_t shard, TxnId txn, const sip::Message& req,
                    const net::Outbound& reply_route, TimePoint now) {
    ShardState& st = shards[shard];
    auto it = st.dialogs.find(dialog_key(req.call_id(), req.to_tag()));
    if (it == st.dialogs.end()) {
      return false;
    }
    Call* cp = find(shard, it->second.first);
    if (cp == nullptr) {
      return false;
    }
    Call& c = *cp;
    const int from = it->second.second;
    Leg& origin = from < 0 ? c.a : c.b[static_cast<std::size_t>(from)];
    (void)reply_route;
    const ResponseHeaders answer = response_headers(req, {});
    auto respond = [&](int status, std::string_view reason) {
      if (txn != 0) {
        core.respond(shard, txn, status, response_to(answer, status, reason, {}), now);
      }
    };
    switch (req.method()) {
      case Method::kAck: {
        if (from < 0 && req.cseq() == c.a_invite_cseq) {
          if (!c.a_acked && c.winner >= 0) {
            c.a_acked = true;
            auto [ctype, body] = relay_body(req);
            ack_leg(shard, c, c.winner, c.b[static_cast<std::size_t>(c.winner)].invite_cseq, ctype,
                    body);
          }
          return true;
        }
        if (c.pending_ack && c.pending_ack_from == from &&
            req.cseq() == c.pending_ack->originator_cseq) {
          PendingAck p = *c.pending_ack;
          c.pending_ack.reset();
          auto [ctype, body] = relay_body(req);
          if (p.far_leg < 0) {
            ack_to_a(shard, c, p.far_cseq);
          } else {
            ack_leg(shard, c, p.far_leg, p.far_cseq, ctype, body);
          }
        }
        return true;
      }
      case Method::kBye:
        // Only the caller or the answering callee ends the call: a losing fork that we
        // ACKed and hung up may send its own BYE meanwhile.
        if (c.state != CallState::kEnding && (from < 0 || from == c.winner)) {
          hang_up(shard, c, from, now);  // `c` may be gone after this line
          // The 200 OK acknowledges the end: it leaves once the end record is committed.
          core.respond_durable(shard, txn, 200, response_to(answer, 200, "OK", {}));
        } else {
          respond(200, "OK");
          origin.state = LegState::kTerminated;
        }
        return true;
      case Method::kInvite:
      case Method::kUpdate:
      case Method::kInfo:
      case Method::kOptions:
      case Method::kMessage:
      case Method::kNotify:
      case Method::kRefer:
      case Method::kPrack: {
        if (c.state != CallState::kAnswered || c.winner < 0) {
          // Early-dialog requests (UPDATE, PRACK) are not relayed yet.
          respond(req.method() == Method::kInvite ? 491 : 501, {});
          return true;
        }
        if (req.method() == Method::kRefer) {
          respond(501, "Transfer not available yet");
          return true;
        }
        const int to = from < 0 ? c.winner : -1;
        Leg& far = to < 0 ? c.a : c.b[static_cast<std::size_t>(to)];
        far.cseq += 1;
        const std::uint32_t far_cseq = far.cseq;
        auto [ctype, body] = relay_body(req);
        sip::MessageBuilder bytes = request_on(
            far, req.method_token(), far.remote_target, far_cseq, core.mint_branch(shard),
            req.max_forwards() < 0 ? 70 : std::max(0, req.max_forwards() - 1),
            [&](sip::MessageBuilder& b) {
              if (req.method() == Method::kInvite || req.method() == Method::kUpdate) {
                b.header(HeaderId::kContact, contact_of(far.route.protocol));
              }
              for (HeaderId h : {HeaderId::kContentEncoding}) {
                if (auto v = req.header(h)) {
                  b.header(h, *v);
                }
              }
              for (const sip::Header& h : req.headers()) {
                if (h.id == HeaderId::kOther) {
                  const std::string n = text::ascii_lower(h.name);
                  if (n == "info-package" || n == "event" || n == "subscription-state" ||
                      n == "recv-info" || n == "session-expires") {
                    b.header(h.name, h.value);
                  }
                }
              }
              b.header(HeaderId::kUserAgent, opts.user_agent);
              if (!body.empty()) {
                b.body(ctype, body);
              }
            });
        const TxnId client = send_on(shard, c, to, std::move(bytes), OwnerKind::kRelay, now);
        if (client == 0) {
          respond(500, "Server Internal Error");
          return true;
        }
        st.relays[client] = Relay{c.key, txn, from, req.method(), answer};
        return true;
      }
      default:
        respond(501, {});
        return true;
    }
  }

  void on_relay_response(std::size_t shard, Call& c, Relay& relay, int far_leg,
                         const sip::Message& r, TimePoint now) {
    if (r.status() == 100) {
      return;
    }
    Leg& origin = relay.from_leg < 0 ? c.a : c.b[static_cast<std::size_t>(relay.from_leg)];
    auto [ctype, body] = relay_body(r);
    std::string bytes =
        response_to(relay.answer, r.status(), r.reason(), {}, [&](sip::MessageBuilder& b) {
          if (relay.method == Method::kInvite || relay.method == Method::kUpdate) {
            b.header(HeaderId::kContact, contact_of(origin.route.protocol));
          }
          if (!body.empty()) {
            b.body(ctype, body);
          }
        });
    if (relay.method == Method::kInvite && r.status() >= 200 && r.status() < 300) {
      // The originator's ACK goes on to the far leg (end-to-end ACK, RFC 3261 §13.3.1.4);
      // until then the far side may retransmit its 2xx.
      std::uint32_t originator_cseq = 0;
      for (const auto& [id, v] : relay.answer) {
        if (id == HeaderId::kCSeq) {
          originator_cseq = static_cast<std::uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
        }
      }
      auto cseq = sip::parse_cseq(*r.header(HeaderId::kCSeq));
      c.pending_ack = PendingAck{originator_cseq, far_leg, cseq ? cseq->number : 0};
      c.pending_ack_from = relay.from_leg;
    }
    if (relay.server_txn != 0) {
      core.respond(shard, relay.server_txn, r.status(), std::move(bytes), now);
    }
  }

  // ---- entry points -------------------------------------------------------------------

  bool on_response(std::size_t shard, TxnId txn, const sip::Message& r, TimePoint now) {
    ShardState& st = shards[shard];
    auto it = st.owners.find(txn);
    if (it == st.owners.end()) {
      return false;
    }
    const Owner owner = it->second;
    if (r.status() >= 200) {
      st.owners.erase(it);
    }
    Call* c = find(shard, owner.call);
    if (owner.kind == OwnerKind::kRelay) {
      auto rit = st.relays.find(txn);
      if (rit == st.relays.end()) {
        return true;
      }
      if (c != nullptr) {
        on_relay_response(shard, *c, rit->second, owner.leg, r, now);
      }
      if (r.status() >= 200) {
        st.relays.erase(rit);
      }
      return true;
    }
    if (c == nullptr) {
      return true;  // the response to a BYE or CANCEL of a call already forgotten
    }
    if (owner.kind == OwnerKind::kInvite && owner.leg >= 0 &&
        c->b[static_cast<std::size_t>(owner.leg)].invite_txn == txn) {
      on_b_response(shard, *c, owner.leg, r, now);
    }
    return true;
  }

  void on_client_failure(std::size_t shard, TxnId txn, int status, TimePoint now) {
    ShardState& st = shards[shard];
    auto it = st.owners.find(txn);
    if (it == st.owners.end()) {
      return;
    }
    const Owner owner = it->second;
    st.owners.erase(it);
    Call* c = find(shard, owner.call);
    if (owner.kind == OwnerKind::kRelay) {
      auto rit = st.relays.find(txn);
      if (rit != st.relays.end()) {
        if (rit->second.server_txn != 0) {
          core.respond(shard, rit->second.server_txn, status,
                       response_to(rit->second.answer, status, {}, {}), now);
        }
        st.relays.erase(rit);
      }
      return;
    }
    if (c == nullptr || owner.kind != OwnerKind::kInvite || owner.leg < 0) {
      return;
    }
    Leg& leg = c->b[static_cast<std::size_t>(owner.leg)];
    if (leg.invite_txn != txn || leg.final_status != 0) {
      return;
    }
    leg.final_status = status;
    leg.final_reason = status == 408 ? "Request Timeout" : "Service Unavailable";
    leg.state = LegState::kTerminated;
    release_slot(leg);
    after_leg_failure(shard, *c, owner.leg, now);
  }

  void on_stray_response(std::size_t shard, const sip::Message& r, TimePoint now) {
    (void)now;
    if (r.status() < 200 || r.status() >= 300 || r.cseq_method() != Method::kInvite) {
      return;
    }
    ShardState& st = shards[shard];
    auto it = st.dialogs.find(dialog_key(r.call_id(), r.from_tag()));
    if (it == st.dialogs.end()) {
      return;
    }
    Call* c = find(shard, it->second.first);
    if (c == nullptr) {
      return;
    }
    const int i = it->second.second;
    Leg& leg = i < 0 ? c->a : c->b[static_cast<std::size_t>(i)];
    if (!leg.ack_bytes.empty() && leg.ack_cseq == r.cseq()) {
      net::Outbound out = leg.route;
      out.bytes = leg.ack_bytes;
      core.send_direct(std::move(out));  // our ACK was lost: the 2xx came again
    }
  }

  bool on_cancel(std::size_t shard, TxnId invite_txn, TimePoint now) {
    ShardState& st = shards[shard];
    auto it = st.by_server_txn.find(invite_txn);
    if (it == st.by_server_txn.end()) {
      return false;
    }
    Call* c = find(shard, it->second);
    if (c == nullptr || c->state == CallState::kAnswered || c->state == CallState::kEnding) {
      return c != nullptr;
    }
    c->caller_cancelled = true;
    c->cdr.hangup_cause = "caller_cancel";
    // §9.2: the INVITE is answered 487; the callee legs are cancelled.
    reply_a(shard, *c, 487, "Request Terminated", now);
    st.by_server_txn.erase(c->a_txn);
    c->cdr.sip_status = 487;
    finish(shard, *c, "cancelled", now);
    return true;
  }

  /// Once a second per shard: calls past their ring deadline or maximum duration. Long
  /// deadlines are swept rather than armed, so the timer heap holds no entry per call for
  /// hours.
  void sweep(std::size_t shard, TimePoint now) {
    std::vector<std::uint64_t> due;
    for (const auto& [key, c] : shards[shard].calls) {
      const bool ringing = c->state == CallState::kTrying || c->state == CallState::kRinging;
      if ((ringing && now >= c->ring_deadline) ||
          (c->state == CallState::kAnswered && now >= c->end_deadline)) {
        due.push_back(key);
      }
    }
    for (std::uint64_t key : due) {
      on_timer(shard, key, now);  // may end and forget the call
    }
  }

  void on_timer(std::size_t shard, std::uint64_t key, TimePoint now) {
    Call* cp = find(shard, key);
    if (cp == nullptr) {
      return;
    }
    Call& c = *cp;
    if ((c.state == CallState::kTrying || c.state == CallState::kRinging) && c.hunt) {
      Hunt& h = *c.hunt;
      if (now >= h.max_deadline) {
        spdlog::info("call event=max_wait call={} group={}", c.id, h.group_name);
        end_attempt(shard, c, "no_answer", now);
        const model::Group* g = c.snap->group(h.group);
        leave_group(shard, c, *g,
                    h.offered ? routing::LeaveReason::kNoAnswer : routing::LeaveReason::kNoAgents,
                    now);
        return;
      }
      if (now >= h.attempt_deadline) {
        if (h.retry_wait) {
          const model::Group* g = c.snap->group(h.group);
          std::string timezone = "UTC";
          if (g->schedule) {
            if (const model::Schedule* sched = c.snap->schedule(*g->schedule)) {
              timezone = sched->timezone;
            }
          }
          if (!plan_round(c, *g, timezone, core.now_ms())) {
            leave_group(
                shard, c, *g,
                h.offered ? routing::LeaveReason::kNoAnswer : routing::LeaveReason::kNoAgents, now);
            return;
          }
        } else {
          end_attempt(shard, c, "no_answer", now);
        }
        next_attempt(shard, c, now);
        return;
      }
    }
    if (c.state == CallState::kTrying || c.state == CallState::kRinging) {
      if (now >= c.ring_deadline) {
        spdlog::info("call event=ring_timeout call={}", c.id);
        c.cdr.hangup_cause = "ring_timeout";
        reply_a(shard, c, 480, "Temporarily Unavailable", now);
        shards[shard].by_server_txn.erase(c.a_txn);
        c.cdr.sip_status = 480;
        finish(shard, c, "no_answer", now);
      }
      return;
    }
    if (c.state == CallState::kAnswered && now >= c.end_deadline) {
      spdlog::warn("call event=max_duration call={}", c.id);
      end_answered(shard, c, "max_duration", now);
      return;
    }
    if (c.state != CallState::kAnswered || c.a_acked || !c.a_ok_sent) {
      return;
    }
    if (now >= c.ok_deadline) {
      // §13.3.1.4: no ACK for our 2xx within 64*T1: the dialog is confirmed and then ended.
      spdlog::warn("call event=no_ack call={}", c.id);
      if (c.winner >= 0) {
        ack_leg(shard, c, c.winner, c.b[static_cast<std::size_t>(c.winner)].invite_cseq, {}, {});
      }
      end_answered(shard, c, "no_ack", now);
      return;
    }
    if (now >= c.ok_next && c.a.route.protocol == net::Protocol::kUdp) {
      net::Outbound out = c.a.route;
      out.bytes = c.a_ok;
      core.send_direct(std::move(out));
      c.ok_interval = std::min(c.ok_interval * 2, std::chrono::milliseconds(opts.t2));
      c.ok_next = now + c.ok_interval;
    }
    core.arm(shard, c.key, std::min(c.ok_next, c.ok_deadline));
  }

  std::vector<CallInfo> calls(std::size_t shard) const {
    std::vector<CallInfo> out;
    for (const auto& [key, cp] : shards[shard].calls) {
      const Call& c = *cp;
      if (c.state == CallState::kEnding) {
        continue;
      }
      CallInfo info;
      info.id = c.id;
      info.direction = c.direction.empty() ? "internal" : c.direction;
      info.state = std::string(to_string(c.state));
      info.caller_user = c.cdr.caller_user;
      info.caller = c.cdr.caller;
      info.dialled = c.cdr.dialled;
      info.trunk = c.cdr.trunk;
      info.group = c.hunt ? std::optional<model::GroupId>(c.hunt->group) : c.cdr.group;
      info.answered_by = c.cdr.answered_by;
      info.since_ms = c.cdr.start_ms;
      info.answered_ms = c.cdr.answer_ms;
      info.legs.push_back({"caller", c.a.call_id, c.a.peer, std::string(to_string(c.a.state))});
      for (const Leg& l : c.b) {
        if (l.state == LegState::kTerminated && c.winner >= 0) {
          continue;
        }
        info.legs.push_back({"callee", l.call_id, l.peer, std::string(to_string(l.state))});
      }
      out.push_back(std::move(info));
    }
    return out;
  }
};

CallController::CallController(CallOptions options, SipCore& core, std::size_t shards)
    : impl_(std::make_unique<Impl>(std::move(options), core, shards)) {}

CallController::~CallController() = default;

void CallController::on_invite(const NewCall& call, TimePoint now) {
  impl_->on_invite(call, now);
}

bool CallController::absorb_retransmission(std::size_t shard, TxnId txn, const sip::Message& invite,
                                           TimePoint now) {
  return impl_->absorb_retransmission(shard, txn, invite, now);
}

bool CallController::on_cancel(std::size_t shard, TxnId invite_txn, TimePoint now) {
  return impl_->on_cancel(shard, invite_txn, now);
}

bool CallController::on_in_dialog(std::size_t shard, TxnId txn, const sip::Message& request,
                                  const net::Outbound& reply_route, TimePoint now) {
  return impl_->on_in_dialog(shard, txn, request, reply_route, now);
}

bool CallController::on_response(std::size_t shard, TxnId txn, const sip::Message& response,
                                 TimePoint now) {
  return impl_->on_response(shard, txn, response, now);
}

void CallController::on_client_failure(std::size_t shard, TxnId txn, int status, TimePoint now) {
  impl_->on_client_failure(shard, txn, status, now);
}

void CallController::on_record_durable(std::size_t shard, std::uint64_t call, bool durable,
                                       TimePoint now) {
  impl_->on_record_durable(shard, call, durable, now);
}

void CallController::on_stray_response(std::size_t shard, const sip::Message& response,
                                       TimePoint now) {
  impl_->on_stray_response(shard, response, now);
}

void CallController::on_timer(std::size_t shard, std::uint64_t call, TimePoint now) {
  impl_->on_timer(shard, call, now);
}

void CallController::sweep(std::size_t shard, TimePoint now) {
  impl_->sweep(shard, now);
}

std::vector<CallInfo> CallController::calls(std::size_t shard) const {
  return impl_->calls(shard);
}

CallStats CallController::stats() const {
  CallStats s;
  s.active = impl_->n_active;
  s.attempted = impl_->n_attempted;
  s.answered = impl_->n_answered;
  s.busy = impl_->n_busy;
  s.no_answer = impl_->n_no_answer;
  s.failed = impl_->n_failed;
  s.cancelled = impl_->n_cancelled;
  s.group_calls = impl_->n_group_calls;
  s.abandoned = impl_->n_abandoned;
  s.closed = impl_->n_closed;
  s.no_agents = impl_->n_no_agents;
  s.fallback = impl_->n_fallback;
  s.routing_gap = impl_->n_routing_gap;
  s.voicemail_unavailable = impl_->n_voicemail_unavailable;
  for (std::size_t i = 300; i < impl_->n_status.size(); ++i) {
    if (const std::uint64_t n = impl_->n_status[i]; n > 0) {
      s.by_status.emplace_back(static_cast<int>(i), n);
    }
  }
  return s;
}

}  // namespace cohort::pbx
