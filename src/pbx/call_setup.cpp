// A new call: the INVITE from the caller becomes a Call, is routed (inbound route, local
// user or group, outbound rule) and, for a local user, rings every binding.

#include "pbx/call_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "sip/sdp.hpp"

namespace cohort::pbx {

bool CallController::Impl::absorb_retransmission(std::size_t shard, TxnId txn,
                                                 const sip::Message& inv, TimePoint now) {
  ShardState& st = shards[shard];
  auto it = st.by_a_key.find(dialog_key(inv.call_id(), inv.from_tag()));
  if (it == st.by_a_key.end()) {
    return false;
  }
  Call* c = find(shard, it->second);
  if (c == nullptr || c->a_invite_cseq != inv.cseq() || !c->a_ok_sent) {
    return false;
  }
  if (c->a_acked) {
    // The caller acknowledged our 2xx (which is released then): a copy of its INVITE
    // delayed past the transaction's end is a merged request (RFC 3261 §8.2.2.2).
    core.respond(shard, txn, 482,
                 response_to(response_headers(inv, inv.top_via()), 482, "Loop Detected", {}), now);
    return true;
  }
  // The caller did not get our 2xx yet: the new server transaction answers with the
  // very same 2xx (same To tag), which is what a retransmission of it would have been.
  core.respond(shard, txn, 200, c->a_ok, now);
  return true;
}

void CallController::Impl::on_invite(const NewCall& nc, TimePoint now) {
  const sip::Message& inv = *nc.invite;
  ShardState& st = shards[nc.shard];
  const std::string a_key = dialog_key(inv.call_id(), inv.from_tag());
  if (st.by_a_key.count(a_key) != 0) {
    // Same Call-ID and From tag as a call in progress but not its retransmission (another
    // CSeq): the caller reuses a dialog identity for a second INVITE without a To tag.
    core.respond(
        nc.shard, nc.txn, 482,
        response_to(response_headers(inv, nc.top_via), 482, "Loop Detected", crypto::random_hex(6)),
        now);
    return;
  }
  // RFC 4028 §9: a Session-Expires below our Min-SE gets 422 (the caller retries with our
  // Min-SE), a malformed one 400 — before the call exists or is routed anywhere.
  sip::dialog::UasAnswer session = sip::dialog::uas_answer(inv, opts.session_timer);
  if (session.reject_status != 0) {
    core.respond(
        nc.shard, nc.txn, session.reject_status,
        session_rejection(response_headers(inv, nc.top_via), session, crypto::random_hex(6)), now);
    return;
  }
  auto call = std::make_unique<Call>();
  Call& c = *call;
  c.a_session = std::move(session);
  c.a.session.peer_allows_update = sip::dialog::allows_update(inv);
  c.key = ++next_key;
  c.id = crypto::random_hex(16);
  c.a_txn = nc.txn;
  c.a_answer = response_headers(inv, nc.top_via);
  c.a_from_tag = std::string(inv.from_tag());
  c.a_invite_cseq = inv.cseq();
  c.a.remote_cseq = inv.cseq();
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
    c.a_user = nc.caller->id;
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
  c.direction = nc.from_trunk ? CallDirection::kInbound : CallDirection::kInternal;
  c.cdr.direction = c.direction;
  c.cdr.trunk = nc.from_trunk;
  // Media anchoring (call_anchor.cpp): a caller from a trunk set to relay, or a phone whose
  // media is relayed (PhoneMediaPolicy: behind NAT, or in a relay network).
  if (nc.from_trunk) {
    const model::Trunk* trunk = c.snap ? c.snap->trunk(*nc.from_trunk) : nullptr;
    c.relay_caller = trunk == nullptr || trunk->media == model::TrunkMedia::kRelay;
  } else {
    c.relay_caller = opts.phone_media.relays(c.a.remote_target, c.a.route.destination.address);
  }
  if (c.max_forwards <= 0) {
    fail_call(nc.shard, c, 483, "Too Many Hops", Disposition::kFailed, now);
    return;
  }
  route(nc, c, dialled, now);
}

void CallController::Impl::route(const NewCall& nc, Call& c, const std::string& dialled,
                                 TimePoint now) {
  const model::Snapshot& snap = *nc.snapshot;
  // A call from a trunk is inbound; a local caller's call to a number nobody here owns is
  // outbound (refused or not) — so a blocked toll-fraud attempt is found under
  // direction=inbound, and a mistyped outside number under outbound.
  c.direction = nc.from_trunk ? CallDirection::kInbound : CallDirection::kOutbound;
  c.cdr.direction = c.direction;
  if (nc.from_trunk) {
    std::shared_ptr<const routing::InboundTable> inbound = core.inbound_table(c.snap);
    if (const model::InboundRoute* r = inbound->match(*nc.from_trunk, dialled, c.cdr.caller)) {
      c.cdr.inbound_route = r->id;
      c.cdr.did = dialled;
      spdlog::info("call event=inbound call={} trunk={} did={} caller={} route={}", c.id,
                   *nc.from_trunk, dialled, c.cdr.caller, log::Value{r->name});
      take(nc.shard, c, routing::route(snap, r->destination, std::nullopt, flow(c), core.now_ms()),
           now);
      return;
    }
  }
  if (nc.caller != nullptr) {
    if (dialled == kVoicemailAccess) {
      enter_vm_menu(nc.shard, c, *nc.caller, now);  // call_voicemail_menu.cpp
      return;
    }
    if (is_pickup_code(dialled)) {
      pickup(nc, c, dialled, now);
      return;
    }
    if (auto owner = snap.extension_owner(dialled)) {
      if (owner->kind == model::ExtensionOwner::Kind::kUser) {
        const model::User* callee = snap.user(owner->id);
        if (callee == nullptr || !callee->active) {
          fail_call(nc.shard, c, 404, "Not Found", Disposition::kFailed, now);
          return;
        }
        // routing:: decides whether the user can be rung (do-not-disturb: busy).
        take(
            nc.shard, c,
            routing::route(snap, model::DestUser{callee->id}, std::nullopt, flow(c), core.now_ms()),
            now);
        return;
      }
      c.direction = CallDirection::kInternal;
      c.cdr.direction = c.direction;
      take(nc.shard, c,
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
    spdlog::warn("call event=refused call={} caller={} from_trunk={} dialled={} reason={}", c.id,
                 c.cdr.caller, nc.from_trunk ? std::to_string(*nc.from_trunk) : "-", dialled,
                 log::Value{plan.reason});
    if (nc.caller != nullptr) {
      fail_call(nc.shard, c, 404, "Not Found: no user or outbound rule for this number",
                Disposition::kFailed, now);
    } else {
      spdlog::warn("call event=no_inbound_route call={} trunk={} did={} caller={}", c.id,
                   nc.from_trunk ? std::to_string(*nc.from_trunk) : "-", dialled, c.cdr.caller);
      fail_call(nc.shard, c, 404, "Not Found: no inbound route for this number",
                Disposition::kFailed, now);
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
    // The caller's own number; for a transfer, the transferring user's (nc.caller).
    c.caller_id = nc.caller != nullptr ? nc.caller->extension : c.caller_user_part;
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
      log::Value{plan.group ? std::to_string(*plan.group) : "-"}, c.trunks.size());
  try_next_trunk(nc.shard, c, now);
}

void CallController::Impl::ring_user(std::size_t shard, Call& c, const model::User& callee,
                                     TimePoint now) {
  if (c.direction != CallDirection::kInbound) {
    c.direction = CallDirection::kInternal;
    c.cdr.direction = CallDirection::kInternal;
  }
  c.cdr.callee_user = callee.id;
  std::vector<CallTarget> targets = core.targets_of(callee.id);
  if (targets.empty()) {
    fail_call(shard, c, 480, "Temporarily Unavailable", Disposition::kFailed, now);
    return;
  }
  add_user_legs(shard, c, callee, targets, c.caller_display, -1, -1, now);
}

bool CallController::Impl::refuse_offer(std::size_t shard, Call& c, TimePoint now) {
  // The offer's syntax was checked when the INVITE came in (400); whether it asks for
  // anything a leg can take is judged here, once the call has somewhere to go, so that an
  // unknown number is still a 404 (RFC 3264 §6: 488 for an offer with nothing usable).
  if (c.a_body.empty() || c.state == CallState::kEnding) {
    return false;
  }
  if (auto problem = sip::sdp::validate_offer(c.a_body)) {
    fail_call(shard, c, problem->status, problem->reason, Disposition::kFailed, now);
    return true;
  }
  return false;
}

/// One B leg per binding of `user`, each sent its INVITE. The From carries the caller's
/// number and `display`.
void CallController::Impl::add_user_legs(std::size_t shard, Call& c, const model::User& user,
                                         std::vector<CallTarget>& targets,
                                         const std::string& display, int hunt_gen, int attempt,
                                         TimePoint now) {
  if (refuse_offer(shard, c, now)) {
    return;
  }
  core.ringing().ringing(shard, c.key,
                         c.hunt ? std::optional<model::GroupId>(c.hunt->group) : std::nullopt,
                         user.id, core.now_ms());
  c.listed_ringing = true;
  for (CallTarget& t : targets) {
    // A phone redials the From of its call history: its host must be one the phone reaches.
    const std::string host = opts.domain.empty() ? core.via_address(t.route.protocol) : opts.domain;
    const std::string to = fmt::format("<sip:{}@{}>", user.extension, host);
    const std::string from_uri = fmt::format("sip:{}@{}", c.caller_user_part, host);
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
    leg.relay_phone = t.relay_media;
    leg.hunt_gen = hunt_gen;
    leg.attempt = attempt;
    c.b.push_back(std::move(leg));
    send_invite(shard, c, static_cast<int>(c.b.size()) - 1, {}, now);
  }
}

}  // namespace cohort::pbx
