// Call pickup (docs/life-of-a-call.md §4c): a user dials `*8` to take the oldest call a
// group of theirs is offering, or `**EXT` to take the call ringing a colleague's phones
// (only a colleague of a group they share).
//
// The picker's INVITE is dispatched to the shard of the call it takes (SipServer looks the
// call up in RingingCalls before the hop), and its Call-ID stays there (SipCore::relocate).
// Both INVITEs carry offers and neither can answer the other's, so the picker's is answered
// on hold (sdp::inactive_answer); on its ACK the picker's phone is re-INVITEd with the
// waiting caller's offer, and the 2xx of that re-INVITE is the answer of the call, as if a
// callee had answered: the caller gets its 200 with the picker's answer, and its ACK goes
// on to the picker. The ringing phones are cancelled ("Call completed elsewhere").

#include "common/log.hpp"
#include "pbx/call_state.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "sip/sdp.hpp"

namespace cohort::pbx {

bool is_pickup_code(std::string_view dialled) {
  return dialled == kGroupPickup || (dialled.size() > 2 && dialled.rfind(kDirectedPickup, 0) == 0);
}

/// The call `picker` may take with `dialled` on this shard: for `*8` the oldest call a group
/// of theirs offers, for `**EXT` the oldest ringing EXT's phones when they share a group.
Call* CallController::Impl::call_to_pick(std::size_t shard, const model::Snapshot& snap,
                                         const model::User& picker, std::string_view dialled) {
  std::vector<model::GroupId> groups;
  for (const model::UserMembership& m : snap.groups_of(picker.id)) {
    groups.push_back(m.group);
  }
  std::optional<model::UserId> colleague;
  if (dialled != kGroupPickup) {
    auto owner = snap.extension_owner(dialled.substr(kDirectedPickup.size()));
    if (!owner || owner->kind != model::ExtensionOwner::Kind::kUser || owner->id == picker.id) {
      return nullptr;
    }
    const bool shared =
        std::any_of(snap.groups_of(owner->id).begin(), snap.groups_of(owner->id).end(),
                    [&](const model::UserMembership& m) {
                      return std::find(groups.begin(), groups.end(), m.group) != groups.end();
                    });
    if (!shared) {
      return nullptr;
    }
    colleague = owner->id;
  }
  Call* best = nullptr;
  for (auto& [key, cp] : shards[shard].calls) {
    Call& k = *cp;
    if ((k.state != CallState::kTrying && k.state != CallState::kRinging) || k.winner >= 0 ||
        k.transfer_in || k.caller_cancelled || k.picked_up) {
      continue;
    }
    bool matches = false;
    if (colleague) {
      matches = std::any_of(k.b.begin(), k.b.end(), [&](const Leg& leg) {
        return leg.member == colleague && leg.final_status == 0 && !leg.cancelled &&
               leg.state != LegState::kTerminated;
      });
    } else {
      matches = k.hunt && std::find(groups.begin(), groups.end(), k.hunt->group) != groups.end();
    }
    if (matches && (best == nullptr || k.cdr.start_ms < best->cdr.start_ms)) {
      best = &k;
    }
  }
  return best;
}

void CallController::Impl::pickup(const NewCall& nc, Call& c, const std::string& dialled,
                                  TimePoint now) {
  const std::size_t shard = nc.shard;
  ShardState& st = shards[shard];
  c.direction = CallDirection::kInternal;
  c.cdr.direction = CallDirection::kInternal;
  Call* found = call_to_pick(shard, *nc.snapshot, *nc.caller, dialled);
  if (found == nullptr) {
    spdlog::info("call event=pickup_failed call={} by={} code={}", c.id, nc.caller->id,
                 log::Value{dialled});
    fail_call(shard, c, 404, "Not Found: no ringing call to pick up", Disposition::kFailed, now);
    return;
  }
  Call& k = *found;
  // The picker's INVITE is answered on hold: the answer to its offer (or, without one, an
  // offer) that lets no media flow until the caller's offer reaches it.
  auto session = sip::sdp::parse(c.a_body.empty() ? k.a_body : c.a_body);
  if (!session) {
    fail_call(shard, c, 488, "Not Acceptable Here", Disposition::kFailed, now);
    return;
  }
  const std::string hold = sip::sdp::inactive_answer(*session);
  std::string ok = response_to(c.a_answer, 200, "OK", c.a.local_tag, [&](sip::MessageBuilder& b) {
    b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
    b.header(HeaderId::kAllow, kCallAllow);
    add_uas_session(b, c.a_session);
    b.body("application/sdp", hold);
  });
  core.respond(shard, c.a_txn, 200, ok, now);
  if (c.a_session.negotiated) {
    c.a.session.timer.start(*c.a_session.negotiated, now);
  }
  spdlog::info("call event=picked_up call={} by={} code={} picker_call={}", k.id, nc.caller->id,
               log::Value{dialled}, c.id);
  // The picker's dialog becomes a leg of the call it took; the picker's own call object
  // goes without a record (the taken call's record says who answered it).
  st.by_server_txn.erase(c.a_txn);
  st.by_a_key.erase(dialog_key(c.a.call_id, c.a_from_tag));
  const bool dispatched_here = core.shard_of(c.a.call_id) != shard;
  if (dispatched_here) {
    core.relocate(c.a.call_id, shard);  // SipServer sent it here: its dialog stays here
  }
  Leg leg = std::move(c.a);
  leg.relocated = leg.relocated || dispatched_here;
  leg.state = LegState::kConfirmed;
  leg.member = nc.caller->id;
  leg.pickup = true;
  leg.relay_phone = c.relay_caller;  // the picker's phone, judged on its INVITE
  leg.invite_cseq = 0;               // its re-INVITE, sent on the picker's ACK
  leg.provisional = false;
  leg.final_status = 0;
  leg.peer = leg.remote_target;
  // The transaction layer does not resend a 2xx (RFC 6026): the call does, until the ACK.
  leg.pickup_ok = std::move(ok);
  leg.pickup_ok_resend.emplace(opts.t1, opts.t2, leg.route.protocol != net::Protocol::kUdp);
  leg.pickup_ok_resend->start(now);
  core.arm(shard, k.key, *leg.pickup_ok_resend->next());
  k.b.push_back(std::move(leg));
  const int index = static_cast<int>(k.b.size()) - 1;
  st.dialogs[dialog_key(k.b.back().call_id, k.b.back().local_tag)] = {k.key, index};
  c.a = Leg{};
  c.a.state = LegState::kTerminated;
  if (c.busy_caller) {
    core.agents().call_ended(*c.busy_caller);  // busy again once the picked call is answered
    c.busy_caller.reset();
  }
  --n_active;
  st.calls.erase(c.key);  // `c` is gone after this line

  k.picked_up = true;
  core.ringing().stopped(k.key);
  for (int i = 0; i < index; ++i) {
    cancel_leg(shard, k, i, now, /*elsewhere=*/true);
  }
  k.cdr.answered_by = nc.caller->id;
  if (k.hunt) {
    end_attempt(shard, k, AttemptResult::kCancelled, now);
    k.group_answer = true;
    core.agents().answered(nc.caller->id, core.now_ms());  // counts for fewest_calls
    k.hunt.reset();
  }
}

/// The picker's on-hold 2xx again while its ACK is missing (§13.3.1.4); after 64*T1 the
/// picker's dialog ends and the call goes on as if its phone had failed.
bool CallController::Impl::resend_pickup_ok(std::size_t shard, Call& k, TimePoint now) {
  for (std::size_t i = 0; i < k.b.size(); ++i) {
    Leg& leg = k.b[i];
    if (!leg.pickup_ok_resend) {
      continue;
    }
    switch (leg.pickup_ok_resend->on_timer(now)) {
      case sip::dialog::OkRetransmission::Step::kGiveUp: {
        spdlog::warn("call event=no_ack call={} leg={} pickup=true", k.id, i);
        leg.pickup_ok_resend.reset();
        release(leg.pickup_ok);
        const int index = static_cast<int>(i);
        bye_leg(shard, k, index, now);
        leg.final_status = 408;
        leg.final_reason = "Request Timeout";
        after_leg_failure(shard, k, index, now);  // `k` may be gone after this line
        return true;
      }
      case sip::dialog::OkRetransmission::Step::kResend: {
        net::Outbound out = leg.route;
        out.bytes = leg.pickup_ok;
        core.send_direct(std::move(out));
        break;
      }
      case sip::dialog::OkRetransmission::Step::kNothing:
        break;
    }
    if (auto next = leg.pickup_ok_resend->next()) {
      core.arm(shard, k.key, *next);
    }
  }
  return false;
}

/// The picker's ACK of our on-hold answer: its phone is offered the caller's session.
void CallController::Impl::offer_caller_to_picker(std::size_t shard, Call& k, int i,
                                                  TimePoint now) {
  Leg& leg = k.b[static_cast<std::size_t>(i)];
  leg.pickup_ok_resend.reset();
  release(leg.pickup_ok);
  leg.cseq += 1;
  leg.invite_cseq = leg.cseq;
  leg.branch = core.mint_branch(shard);
  // An anchored call's picker is offered the relay, as a phone it rang would have been.
  std::string offer = k.a_body;
  if (!offer.empty() && relays_media(k, leg)) {
    if (std::optional<std::string> anchored = anchor_offer(shard, k, i)) {
      offer = std::move(*anchored);
    }
  }
  sip::MessageBuilder bytes = request_on(
      leg, "INVITE", leg.remote_target, leg.cseq, leg.branch, 70, [&](sip::MessageBuilder& b) {
        b.header(HeaderId::kContact, contact_of(leg.route.protocol));
        b.header(HeaderId::kAllow, kCallAllow);
        b.header(HeaderId::kUserAgent, opts.user_agent);
        if (!offer.empty()) {
          b.body(k.a_content_type, offer);
        }
      });
  leg.invite_txn = send_on(shard, k, i, std::move(bytes), OwnerKind::kInvite, now);
}

}  // namespace cohort::pbx
