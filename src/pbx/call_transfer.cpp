// Call transfer (RFC 3515 REFER, RFC 3891 Replaces; docs/life-of-a-call.md "Transfers").
//
// A REFER from either party of an answered call (the referrer) asks Cohort to connect the
// other party (the transferee) to a target. Blind: the target is routed as the referrer
// would dial it — a user, a group (distributed like any group call) or a number through the
// outbound rules with the referrer as the caller — in a new call on the same shard whose
// INVITEs carry no offer. While it rings, the transferee waits in the old call and the
// referrer gets NOTIFY sipfrag for each step. When the target answers with its offer, the
// transferee's leg moves into the new call as its A leg and is re-INVITEd with that offer;
// its answer goes to the target in the ACK (RFC 3725 flow I). The old call ends
// ("transferred"), its referrer leg with a BYE.
//
// Attended: the REFER's Refer-To carries Replaces naming the referrer's dialog in another
// call (the consultation). The party the referrer talks to there becomes the target: its
// leg leaves the consultation call, which ends, and joins the transferee the same way.

#include "common/log.hpp"
#include "pbx/call_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "sip/refer.hpp"

namespace cohort::pbx {
namespace {

/// The identity one party of a call shows to a transfer target: its number and name.
struct Party {
  std::string user_part;
  std::string display;
};

}  // namespace

std::optional<model::UserId> CallController::Impl::user_on(const Call& c, int leg) const {
  if (leg < 0) {
    return c.a_user;
  }
  return c.b[static_cast<std::size_t>(leg)].member;
}

void CallController::Impl::on_refer(std::size_t shard, TxnId txn, Call& c, int from,
                                    const sip::Message& req, TimePoint now) {
  const ResponseHeaders answer = response_headers(req, {});
  auto respond = [&](int status, std::string_view reason) {
    if (txn != 0) {
      core.respond(shard, txn, status, response_to(answer, status, reason, {}), now);
    }
  };
  auto refer_to = sip::parse_refer_to(req);
  if (!refer_to) {
    respond(refer_to.error().status, refer_to.error().reason);
    return;
  }
  if (c.transfer_out || (c.transfer_in && c.transfer_in->joined)) {
    respond(491, "A transfer is under way");
    return;
  }
  // Only a local user transfers, and only to what it could dial itself (no toll fraud by
  // REFER: a trunk's party or an unknown number never makes Cohort call anywhere).
  const std::optional<model::UserId> user = user_on(c, from);
  const model::User* referrer = user ? c.snap->user(*user) : nullptr;
  if (referrer == nullptr || !referrer->active) {
    spdlog::warn("call event=transfer_refused call={} reason=not_a_local_user", c.id);
    respond(403, "Forbidden: only a local user may transfer");
    return;
  }
  const int transferee = from < 0 ? c.winner : -1;
  if (leg_at(c, transferee).state != LegState::kConfirmed) {
    respond(481, "Call Does Not Exist");
    return;
  }
  ShardState& st = shards[shard];
  // Attended: the dialog the target replaces is the referrer's in its consultation call.
  // On this shard it is checked now (481 if it is not the referrer's); on another, that
  // shard checks it and a refusal comes as the NOTIFY's final status.
  const std::optional<sip::Replaces>& replaces = refer_to->replaces;
  const std::size_t consult_shard = replaces ? core.shard_of(replaces->call_id) : shard;
  Consultation consultation;
  if (replaces && consult_shard == shard) {
    consultation = consultation_of(shard, *replaces, *user, c.key);
    if (consultation.call == nullptr) {
      spdlog::warn("call event=transfer_refused call={} reason=replaces_unknown", c.id);
      respond(481, "Replaced dialog does not exist");
      return;
    }
  }
  respond(202, "Accepted");
  spdlog::info("call event=transfer call={} by={} target={} attended={} other_shard={}", c.id,
               referrer->id, log::Value{refer_to->user}, replaces.has_value(),
               consult_shard != shard);

  // The call to the target: what a caller would be told goes to the referrer.
  auto call = std::make_unique<Call>();
  Call& t = *call;
  t.key = ++next_key;
  t.id = crypto::random_hex(16);
  t.snap = c.snap;
  t.a_txn = 0;
  t.a_ok_sent = true;  // the transferee's 2xx was sent long ago, in the old call
  t.a_acked = true;
  t.max_forwards = 70;
  t.ring_deadline = now + opts.ring_timeout;
  t.transfer_in = TransferIn{c.key, transferee};
  c.transfer_out = TransferOut{t.key, from, req.cseq()};
  // The target sees the transferee: the party it is going to talk to.
  Party party;
  if (transferee < 0) {
    party = {c.caller_user_part, c.caller_display};
  } else if (const model::User* u =
                 c.b[static_cast<std::size_t>(transferee)].member
                     ? c.snap->user(*c.b[static_cast<std::size_t>(transferee)].member)
                     : nullptr) {
    party = {u->extension, u->name};
  } else {
    party = {c.number.empty() ? c.cdr.dialled : c.number, {}};
  }
  t.caller_user_part = party.user_part;
  t.caller_display = party.display;
  t.a_user = user_on(c, transferee);
  t.cdr.id = t.id;
  t.cdr.a_leg_call_id = leg_at(c, transferee).call_id;
  t.cdr.start_ms = core.now_ms();
  t.cdr.caller = party.user_part;
  t.cdr.caller_user = t.a_user;
  t.cdr.dialled = refer_to->user;
  t.cdr.number_sent = refer_to->user;
  t.cdr.caller_id = party.user_part;
  t.cdr.transferred_by = referrer->id;
  t.cdr.transferred_from = c.id;
  if (t.a_user) {
    t.busy_caller = t.a_user;
    core.agents().call_began(*t.a_user);
  }
  ++n_attempted;
  ++n_active;
  const std::uint64_t key = t.key;
  st.calls.emplace(key, std::move(call));
  notify_transfer(shard, c, 100, "Trying", now);

  if (consultation.call != nullptr) {
    Handed handed = hand_over(shard, *consultation.call, consultation.leg, t.id, now);
    attend(shard, t, std::move(handed), now);
    return;
  }
  if (replaces) {
    // The consultation call is another shard's: it gives the target's leg up there, and
    // the leg's messages come here from then on (SipCore::relocate).
    core.post(consult_shard, [this, from = consult_shard, to = shard, r = *replaces, user = *user,
                              key, id = t.id](TimePoint at) {
      Consultation k = consultation_of(from, r, user, 0);
      if (k.call == nullptr) {
        core.post(to, [this, to, key](TimePoint then) {
          if (Call* target = find(to, key);
              target != nullptr && target->state != CallState::kEnding) {
            fail_call(to, *target, 481, "Replaced dialog does not exist", Disposition::kFailed,
                      then);
          }
        });
        return;
      }
      Handed handed = hand_over(from, *k.call, k.leg, id, at);
      core.relocate(handed.leg.call_id, to);
      core.post(to, [this, to, key, handed = std::move(handed)](TimePoint then) mutable {
        handed.leg.relocated = true;
        Call* target = find(to, key);
        if (target == nullptr || target->state == CallState::kEnding) {
          end_orphan_leg(to, std::move(handed.leg), then);  // the transferee left meanwhile
          return;
        }
        attend(to, *target, std::move(handed), then);
      });
    });
    return;
  }

  // Blind: routed as the referrer would dial it.
  NewCall nc;
  nc.shard = shard;
  nc.snapshot = t.snap;
  nc.caller = referrer;
  route(nc, t, refer_to->user, now);  // `t` may be gone after this line
}

/// The referrer's consultation call named by `r` on this shard, and the referrer's leg in it
/// (call nullptr unless it is an answered call, not in a transfer, with `user` on that leg).
CallController::Impl::Consultation CallController::Impl::consultation_of(std::size_t shard,
                                                                         const sip::Replaces& r,
                                                                         model::UserId user,
                                                                         std::uint64_t exclude) {
  ShardState& st = shards[shard];
  for (const std::string& tag : {r.to_tag, r.from_tag}) {  // whichever tag is ours finds it
    auto it = st.dialogs.find(dialog_key(r.call_id, tag));
    if (it == st.dialogs.end() || it->second.first == exclude) {
      continue;
    }
    Call* k = find(shard, it->second.first);
    const int leg = it->second.second;
    if (k == nullptr || k->state != CallState::kAnswered || k->transfer_out || k->transfer_in ||
        (leg != -1 && leg != k->winner) || user_on(*k, leg) != user) {
      return {};
    }
    return {k, leg};
  }
  return {};
}

/// Takes the far party's leg out of consultation call `k` (the referrer is on `referrer_leg`)
/// and ends `k` as transferred to `target_id` (a BYE to the referrer's leg).
CallController::Impl::Handed CallController::Impl::hand_over(std::size_t shard, Call& k,
                                                             int referrer_leg,
                                                             const std::string& target_id,
                                                             TimePoint now) {
  const int far = referrer_leg < 0 ? k.winner : -1;
  Handed out;
  out.user = user_on(k, far);
  out.direction = k.direction;
  out.leg = std::move(leg_at(k, far));
  leg_at(k, far) = Leg{};
  leg_at(k, far).state = LegState::kTerminated;
  ShardState& st = shards[shard];
  st.dialogs.erase(dialog_key(out.leg.call_id, out.leg.local_tag));
  if (far < 0) {
    st.by_a_key.erase(dialog_key(out.leg.call_id, k.a_from_tag));
  }
  out.leg.session.refresh_txn = 0;
  out.leg.session.retry_at.reset();
  out.leg.reinvites = sip::dialog::ReInvites{};
  drop_media_leg(out.leg);  // its relay faced the consultation's anchor, which ends now
  k.cdr.transferred_to = target_id;
  end_answered(shard, k, "transferred", now);  // `k` may be gone after this line
  return out;
}

/// Attended: the target's leg `h`, answered long ago, becomes the leg of call `t`, which
/// re-INVITEs it without an offer; the target's fresh offer then goes to the transferee
/// (join_transfer, from the 2xx of that re-INVITE).
void CallController::Impl::attend(std::size_t shard, Call& t, Handed h, TimePoint now) {
  t.direction = h.direction;
  t.cdr.direction = h.direction;
  t.cdr.callee_user = h.user;
  t.cdr.trunk = h.leg.trunk;
  t.b.push_back(std::move(h.leg));
  Leg& leg = t.b.back();
  leg.member = h.user;
  leg.hunt_gen = -1;
  leg.attempt = -1;
  shards[shard].dialogs[dialog_key(leg.call_id, leg.local_tag)] = {t.key, 0};
  t.state = CallState::kRinging;
  leg.cseq += 1;
  leg.invite_cseq = leg.cseq;
  leg.final_status = 0;
  sip::MessageBuilder bytes =
      request_on(leg, "INVITE", leg.remote_target, leg.cseq, core.mint_branch(shard), 70,
                 [&](sip::MessageBuilder& b) {
                   b.header(HeaderId::kContact, contact_of(leg.route.protocol));
                   b.header(HeaderId::kAllow, kCallAllow);
                   b.header(HeaderId::kUserAgent, opts.user_agent);
                 });
  leg.invite_txn = send_on(shard, t, 0, std::move(bytes), OwnerKind::kInvite, now);
}

/// A leg handed over for a call that ended meanwhile: a BYE, and its Call-ID goes home.
void CallController::Impl::end_orphan_leg(std::size_t shard, Leg leg, TimePoint now) {
  leg.cseq += 1;
  sip::MessageBuilder bye =
      request_on(leg, "BYE", leg.remote_target, leg.cseq, core.mint_branch(shard), 70,
                 [&](sip::MessageBuilder& b) { b.header(HeaderId::kUserAgent, opts.user_agent); });
  core.start_client(shard, std::move(bye).message(), leg.route, now);
  core.relocate(leg.call_id, std::nullopt);
}

/// A NOTIFY on the referrer's leg of `c` reporting `status` (RFC 3515 §2.4.4-5).
void CallController::Impl::notify_transfer(std::size_t shard, Call& c, int status,
                                           std::string_view reason, TimePoint now) {
  if (!c.transfer_out || c.transfer_out->referrer_gone) {
    return;
  }
  TransferOut& out = *c.transfer_out;
  if (status < 200 && status == out.last_notified) {
    return;  // one NOTIFY per step (every member's 180 is one "ringing")
  }
  out.last_notified = status;
  Leg& leg = leg_at(c, out.referrer);
  if (leg.state == LegState::kTerminated) {
    return;
  }
  const bool final = status >= 200;
  leg.cseq += 1;
  sip::MessageBuilder bytes =
      request_on(leg, "NOTIFY", leg.remote_target, leg.cseq, core.mint_branch(shard), 70,
                 [&](sip::MessageBuilder& b) {
                   b.header("Event", fmt::format("refer;id={}", out.event_id));
                   b.header("Subscription-State",
                            final ? "terminated;reason=noresource" : "active;expires=60");
                   b.header(HeaderId::kContact, contact_of(leg.route.protocol));
                   b.header(HeaderId::kUserAgent, opts.user_agent);
                   b.body("message/sipfrag;version=2.0", sip::sipfrag(status, reason));
                 });
  send_on(shard, c, out.referrer, std::move(bytes), OwnerKind::kOther, now);
}

/// The call to a transfer target reached `status` (what reply_a would tell a caller).
void CallController::Impl::transfer_progress(std::size_t shard, Call& target, int status,
                                             std::string_view reason, TimePoint now) {
  if (status == 100) {
    return;
  }
  Call* from = target.transfer_in->from != 0 ? find(shard, target.transfer_in->from) : nullptr;
  if (from == nullptr || !from->transfer_out || from->transfer_out->target != target.key) {
    return;
  }
  notify_transfer(shard, *from, status, reason, now);
  if (status < 200) {
    return;
  }
  // The target failed: the transferee stays with the referrer, who may take it back off
  // hold; a referrer that hung up already leaves nobody to talk to.
  spdlog::info("call event=transfer_failed call={} target_call={} status={}", from->id, target.id,
               status);
  const bool gone = from->transfer_out->referrer_gone;
  from->transfer_out.reset();
  target.transfer_in->from = 0;
  if (gone && from->state == CallState::kAnswered) {
    end_answered(shard, *from, "transfer_failed", now);
  }
}

/// The target answered (blind: the 2xx of its INVITE; attended: of our re-INVITE) with an
/// offer: the transferee moves here and is offered it.
void CallController::Impl::join_transfer(std::size_t shard, Call& t, int i, const sip::Message& ok,
                                         TimePoint now) {
  TransferIn& in = *t.transfer_in;
  Call* from = in.from != 0 ? find(shard, in.from) : nullptr;
  auto [ctype, offer] = relay_body(ok);
  Leg& target = t.b[static_cast<std::size_t>(i)];
  if (from == nullptr || from->state != CallState::kAnswered || offer.empty()) {
    // The transferee hung up meanwhile, or the target made no offer: nothing to join.
    spdlog::info("call event=transfer_abandoned call={} offer={}", t.id, !offer.empty());
    if (from != nullptr && from->transfer_out) {
      notify_transfer(shard, *from, 500, "Transfer abandoned", now);
      from->transfer_out.reset();
    }
    ack_leg(shard, t, i, target.invite_cseq, {}, {});
    t.transfer_in.reset();
    t.a.state = LegState::kTerminated;
    end_answered(shard, t, offer.empty() ? "transfer_failed" : "transferee_gone", now);
    return;
  }
  ShardState& st = shards[shard];
  Call& c = *from;
  const int transferee = in.transferee;
  // The transferee's call was relayed, or the target needs it (a NATed phone, a relay
  // trunk): the two are joined through a relay of their own (call_anchor.cpp).
  const bool relay = c.anchor != 0 || needs_relay(t, target);
  Leg moved = std::move(leg_at(c, transferee));
  leg_at(c, transferee) = Leg{};
  leg_at(c, transferee).state = LegState::kTerminated;
  if (transferee < 0) {
    st.by_a_key.erase(dialog_key(moved.call_id, c.a_from_tag));
  }
  moved.session.refresh_txn = 0;
  moved.session.retry_at.reset();
  st.dialogs[dialog_key(moved.call_id, moved.local_tag)] = {t.key, -1};
  t.a = std::move(moved);
  in.joined = true;
  in.target_cseq = target.invite_cseq;
  // The old call is over for both its parties: the referrer is told and sent a BYE.
  notify_transfer(shard, c, 200, "OK", now);
  if (c.transfer_out && !c.transfer_out->referrer_gone) {
    bye_leg(shard, c, c.transfer_out->referrer, now);
  }
  c.cdr.transferred_to = t.id;
  c.transfer_out.reset();
  const std::string old_id = c.id;
  end_answered(shard, c, "transferred", now);  // `c` may be gone after this line
  // The transferee is offered the target's session (through the relay when anchored); its
  // answer goes to the target in the ACK (on_transfer_reinvite).
  if (relay) {
    if (std::optional<std::string> anchored = anchor_far_offer(shard, t, i, ctype, offer)) {
      offer = std::move(*anchored);
    }
  }
  Leg& a = t.a;
  a.cseq += 1;
  a.reinvites.sent();
  sip::MessageBuilder bytes =
      request_on(a, "INVITE", a.remote_target, a.cseq, core.mint_branch(shard), 70,
                 [&](sip::MessageBuilder& b) {
                   b.header(HeaderId::kContact, contact_of(a.route.protocol));
                   b.header(HeaderId::kAllow, kCallAllow);
                   b.header(HeaderId::kUserAgent, opts.user_agent);
                   b.body(ctype, offer);
                 });
  remember_sdp(a, ctype, offer);
  spdlog::info("call event=transfer_joined call={} from={}", t.id, old_id);
  if (send_on(shard, t, -1, std::move(bytes), OwnerKind::kTransfer, now) == 0) {
    transfer_reinvite_failed(shard, t, 503, now);
  }
}

/// The transferee's answer to the target's offer.
void CallController::Impl::on_transfer_reinvite(std::size_t shard, Call& t, const sip::Message& r,
                                                TimePoint now) {
  if (r.status() < 200 || !t.transfer_in || !t.transfer_in->joined) {
    return;
  }
  t.a.reinvites.outgoing_done();
  if (r.status() >= 300) {
    transfer_reinvite_failed(shard, t, r.status(), now);
    return;
  }
  ack_leg(shard, t, -1, r.cseq(), {}, {});
  auto [ctype, body] = relay_body(r);
  if (t.anchor != 0 && t.winner >= 0) {
    // The transferee's answer goes to the target through the relay.
    const Leg& target = t.b[static_cast<std::size_t>(t.winner)];
    auto passed = opts.media->pass_sdp(t.anchor, target.media_leg, body);
    if (!passed) {
      spdlog::warn("call event=anchor_answer_refused call={} reason={}", t.id,
                   log::Value{passed.error().reason});
      transfer_reinvite_failed(shard, t, 488, now);
      return;
    }
    body = std::move(*passed);
  }
  const std::uint32_t target_cseq = t.transfer_in->target_cseq;
  t.transfer_in.reset();
  if (t.winner >= 0) {
    ack_leg(shard, t, t.winner, target_cseq, ctype, body);
    // The call's answer record, with both legs' dialogs: after a crash the next request of
    // either phone ends the other (as for any answered call, call_legs.cpp).
    t.cdr.dialogs = {leg_record(t.a), leg_record(t.b[static_cast<std::size_t>(t.winner)])};
    core.write_cdr(t.cdr);
    t.cdr.dialogs.clear();
  }
  spdlog::info("call event=transferred call={}", t.id);
}

/// The transferee refused the target's session (or did not answer): both legs end.
void CallController::Impl::transfer_reinvite_failed(std::size_t shard, Call& t, int status,
                                                    TimePoint now) {
  spdlog::warn("call event=transfer_reinvite_failed call={} status={}", t.id, status);
  if (t.transfer_in && t.winner >= 0) {
    ack_leg(shard, t, t.winner, t.transfer_in->target_cseq, {}, {});
  }
  t.transfer_in.reset();
  if (t.state == CallState::kAnswered) {
    end_answered(shard, t, "transfer_failed", now);
  }
}

/// The call a REFER arrived in ends while its target still rings: that call is cancelled.
void CallController::Impl::abandon_transfer(std::size_t shard, Call& c, TimePoint now) {
  if (!c.transfer_out) {
    return;
  }
  Call* t = find(shard, c.transfer_out->target);
  c.transfer_out.reset();
  if (t == nullptr || !t->transfer_in || t->transfer_in->joined) {
    return;
  }
  t->transfer_in->from = 0;
  t->caller_cancelled = true;
  t->cdr.hangup_cause = "transferee_gone";
  if (t->state == CallState::kAnswered) {
    end_answered(shard, *t, "transferee_gone", now);
  } else if (t->state != CallState::kEnding) {
    finish(shard, *t, Disposition::kCancelled, now);
  }
}

/// A BYE from leg `from` of `c`: true when it is the referrer leaving a transfer under way
/// (the call goes on with the transferee waiting for the target).
bool CallController::Impl::referrer_hangs_up(std::size_t shard, Call& c, int from) {
  (void)shard;
  if (!c.transfer_out || c.transfer_out->referrer != from) {
    return false;
  }
  c.transfer_out->referrer_gone = true;
  leg_at(c, from).state = LegState::kTerminated;
  spdlog::info("call event=referrer_left call={}", c.id);
  return true;
}

}  // namespace cohort::pbx
