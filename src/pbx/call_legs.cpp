// The B legs: the INVITE that creates each, CANCEL, BYE and ACK on them, their responses
// (ringing, failure and failover, the answer) and the 2xx to the caller that the answer
// becomes once its record is committed.

#include "common/log.hpp"
#include "pbx/call_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sip/headers.hpp"

namespace cohort::pbx {

/// A leg's dialog as its record keeps it (store::LegDialog).
store::LegDialog leg_record(const Leg& leg) {
  store::LegDialog d;
  d.call_id = leg.call_id;
  d.local_tag = leg.local_tag;
  if (auto na = sip::parse_name_addr(leg.remote_hdr)) {
    d.remote_tag = std::string(na->tag());
  }
  d.local_header = leg.local_hdr;
  d.remote_header = leg.remote_hdr;
  d.remote_target = leg.remote_target;
  d.route_set = leg.route_set;
  d.local_cseq = leg.cseq;
  d.transport = leg.route.protocol == net::Protocol::kTcp ? "tcp" : "udp";
  d.peer = net::to_string(leg.route.destination);
  return d;
}

/// Sends (or re-sends, with credentials) the INVITE of B leg `i`.
void CallController::Impl::send_invite(std::size_t shard, Call& c, int i,
                                       const std::string& authorization, TimePoint now,
                                       HeaderId auth_header) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  leg.cseq = leg.cseq + 1;
  leg.invite_cseq = leg.cseq;
  leg.branch = core.mint_branch(shard);
  if (!leg.session.offer) {
    leg.session.offer = sip::dialog::uac_offer(opts.session_timer);  // RFC 4028 §7.1
  }
  // The caller's offer; when Cohort answered the caller (an IVR menu), Cohort's relay leg's
  // offer (call_media.cpp); when the call's media is anchored, the caller's offer through
  // the relay (call_anchor.cpp).
  std::string offer_type = c.a_content_type;
  const std::string* offer = &c.a_body;
  std::optional<std::string> relayed;
  if (c.media) {
    relayed = relay_offer(shard, c);
    offer_type = "application/sdp";
    offer = relayed ? &*relayed : &c.a_body;
  } else if (relays_media(c, leg)) {
    relayed = anchor_offer(shard, c, i);
    if (relayed) {
      offer_type = "application/sdp";
      offer = &*relayed;
    }
  }
  remember_sdp(leg, offer_type, *offer);
  const model::Trunk* trunk = trunk_of(c, leg);
  sip::MessageBuilder bytes = request_on(
      leg, "INVITE", leg.request_uri, leg.cseq, leg.branch, c.max_forwards - 1,
      [&](sip::MessageBuilder& b) {
        b.header(HeaderId::kContact, contact_of(leg.route.protocol));
        if (trunk != nullptr && !c.caller_id.empty()) {
          const std::string domain = trunk->from_domain.empty() ? trunk->host : trunk->from_domain;
          b.header("P-Asserted-Identity", fmt::format("<sip:{}@{}>", c.caller_id, domain));
        }
        if (!authorization.empty()) {
          b.header(auth_header, authorization);
        }
        if (std::string d = diversion(c, leg); !d.empty()) {
          b.header("Diversion", d);  // RFC 5806: a forwarded call (call_forwarding.cpp)
        }
        b.header(HeaderId::kAllow, kCallAllow);
        add_uac_session(b, *leg.session.offer);
        b.header(HeaderId::kUserAgent, opts.user_agent);
        if (!offer->empty()) {
          b.body(offer_type, *offer);
        }
      });
  ShardState& st = shards[shard];
  if (leg.invite_txn != 0) {
    st.owners.erase(leg.invite_txn);
  }
  st.dialogs[dialog_key(leg.call_id, leg.local_tag)] = {c.key, i};
  leg.invite_txn = send_on(shard, c, i, std::move(bytes), OwnerKind::kInvite, now);
}

void CallController::Impl::cancel_leg(std::size_t shard, Call& c, int i, TimePoint now,
                                      bool elsewhere) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  if (leg.final_status != 0 || leg.cancelled || leg.state == LegState::kTerminated) {
    return;
  }
  if (!leg.provisional) {
    leg.cancel_pending = true;  // RFC 3261 §9.1: CANCEL only after a provisional response
    return;
  }
  leg.cancelled = true;
  // §9.1: same Request-URI, Call-ID, From, To (no tag), CSeq number, top Via branch and
  // Route header fields as the INVITE (a leg is cancelled only before its 2xx, so its route
  // set is still the one the INVITE carried: the binding's Path).
  Leg copy = leg;
  copy.remote_hdr = without_tag(leg.remote_hdr);
  sip::MessageBuilder bytes =
      request_on(copy, "CANCEL", leg.request_uri, leg.invite_cseq, leg.branch, 70,
                 [&](sip::MessageBuilder& b) {
                   if (elsewhere) {
                     b.header("Reason", R"(SIP;cause=200;text="Call completed elsewhere")");
                   }
                   b.header(HeaderId::kUserAgent, opts.user_agent);
                 });
  send_on(shard, c, i, std::move(bytes), OwnerKind::kOther, now);
}

void CallController::Impl::bye_leg(std::size_t shard, Call& c, int i, TimePoint now) {
  Leg& leg = i < 0 ? c.a : c.b[static_cast<std::size_t>(i)];
  if (leg.state == LegState::kTerminated) {
    return;
  }
  if (i < 0 && !c.a_ok_sent && !c.a_ok.empty()) {
    send_a_ok(shard, c, now);  // answered and ended before the record was committed
  }
  leg.state = LegState::kTerminated;
  leg.cseq += 1;
  sip::MessageBuilder bytes =
      request_on(leg, "BYE", leg.remote_target, leg.cseq, core.mint_branch(shard), 70,
                 [&](sip::MessageBuilder& b) { b.header(HeaderId::kUserAgent, opts.user_agent); });
  send_on(shard, c, i, std::move(bytes), OwnerKind::kOther, now);
}

/// ACK for a 2xx on leg `i` (-1: the caller's, for a re-INVITE relayed to it) (RFC 3261
/// §13.2.2.4: its own transaction, new branch, the INVITE's CSeq number), carrying the
/// session answer when the offer was in the 2xx (a late offer, RFC 3264 §5).
void CallController::Impl::ack_leg(std::size_t shard, Call& c, int i, std::uint32_t cseq,
                                   const std::string& ctype, const std::string& body) {
  Leg& leg = leg_at(c, i);
  leg.ack_bytes = request_on(leg, "ACK", leg.remote_target, cseq, core.mint_branch(shard), 70,
                             [&](sip::MessageBuilder& b) {
                               b.header(HeaderId::kUserAgent, opts.user_agent);
                               if (!body.empty()) {
                                 b.body(ctype, body);
                               }
                             })
                      .str();
  leg.ack_cseq = cseq;
  remember_sdp(leg, ctype, body);
  net::Outbound out = leg.route;
  out.bytes = leg.ack_bytes;
  core.send_direct(std::move(out));
}

void CallController::Impl::on_b_response(std::size_t shard, Call& c, int i, const sip::Message& r,
                                         TimePoint now) {
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
      cancel_leg(shard, c, i, now, c.winner >= 0);
      return;
    }
    if (c.cdr.ringing_ms == 0) {
      c.cdr.ringing_ms = core.now_ms();
    }
    c.state = CallState::kRinging;
    c.a.state = LegState::kEarly;
    // Ringing (and early media SDP in 18x) goes on to the caller under our single To tag.
    auto [ctype, raw] = relay_body(r);
    std::string body = std::move(raw);
    if (!body.empty()) {
      std::optional<std::string> through = anchored_answer(c, i, body);
      if (!through) {
        return;  // early media the relay cannot pass: the caller hears it at the answer
      }
      body = std::move(*through);
    }
    const int out_status = status == 181 || status == 182 || status == 183 ? status : 180;
    if (out_status == 180 && body.empty()) {
      // The caller hears "ringing" once per call, however many members' phones ring; a
      // 180 with early media still goes on.
      if (c.ringback_sent) {
        return;
      }
      c.ringback_sent = true;
    }
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
  if (status == 422 && retry_after_422(shard, c, i, r, now)) {
    return;  // RFC 4028 §7.3: the same leg asks again with the callee's Min-SE
  }
  if (leg.state == LegState::kConfirmed) {
    // A dialog re-INVITEd into this call (a picker's, an attended transfer's target) that
    // refused: the dialog ends (RFC 3261 §14.1).
    bye_leg(shard, c, i, now);
  }
  leg.state = LegState::kTerminated;
  if ((status == 401 || status == 407) && leg.trunk && leg.auth_attempts == 0 &&
      c.state != CallState::kEnding) {
    if (retry_with_credentials(shard, c, i, r, now)) {
      return;
    }
  }
  release_slot(leg);
  spdlog::info("call event=leg_failed call={} leg={} status={} reason={}", c.id, i, status,
               log::Value{r.reason()});
  after_leg_failure(shard, c, i, now);
}

void CallController::Impl::after_leg_failure(std::size_t shard, Call& c, int i, TimePoint now) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  drop_media_leg(leg);
  if (c.winner >= 0 || c.state == CallState::kEnding || c.voicemail) {
    // Answered (by a phone or a mailbox) or over: a leg's failure changes nothing.
    maybe_reap(shard, c);
    return;
  }
  if (leg.hunt_gen >= 0) {
    if (c.hunt) {
      on_member_leg_failed(shard, c, i, now);
    }
    return;  // a leg of a group attempt the call has moved on from
  }
  if (forward_after_failure(shard, c, i, now)) {
    return;  // call_forwarding.cpp: forwarded, or a leg a forward left behind
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
  Disposition disposition = Disposition::kFailed;
  if (c.caller_cancelled) {
    status = 487;
    reason = "Request Terminated";
    disposition = Disposition::kCancelled;
  } else if (status == 422) {
    // A callee whose Min-SE Cohort could not meet: a 422 without our Min-SE would mean
    // nothing to the caller, whose own interval is not the problem.
    status = 500;
    reason = "Session interval refused by the callee";
  } else if (leg.trunk && (fails_over(status) || status == 401 || status == 407)) {
    // Every trunk failed (or refused our credentials): the network is down, not the callee.
    status = 503;
    reason = "Service Unavailable";
  } else if (status == 486 || status == 600 || status == 603) {
    disposition = Disposition::kBusy;
  } else if (status == 408 || status == 480 || status == 487) {
    disposition = Disposition::kNoAnswer;
    status = status == 487 ? 480 : status;  // our own CANCEL on ring timeout
    if (status == 480) {
      reason = "Temporarily Unavailable";
    }
  }
  fail_call(shard, c, status, reason, disposition, now);
}

void CallController::Impl::on_b_answer(std::size_t shard, Call& c, int i, const sip::Message& r,
                                       TimePoint now) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  auto contact = sip::parse_contacts(r);
  if (contact && !contact->contacts.empty()) {
    leg.remote_target = std::string(contact->contacts.front().uri_text);  // §12.2.1.2
  }
  if (leg.state != LegState::kConfirmed) {
    // The dialog begins (§12.1.2). A leg confirmed already is one an attended transfer took
    // over and re-INVITEd: its route set does not change (§12.2.1.2).
    leg.remote_hdr = std::string(r.header(HeaderId::kTo).value_or(leg.remote_hdr));
    leg.route_set.clear();
    std::vector<std::string_view> rr = r.header_values(HeaderId::kRecordRoute);
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) {
      leg.route_set.emplace_back(*it);
    }
  }
  leg.state = LegState::kConfirmed;
  if (c.winner >= 0 || c.state == CallState::kEnding || c.voicemail) {
    // A second fork answered too late, the caller hung up meanwhile, or a mailbox took the
    // call while this phone's 200 crossed our CANCEL: ACK and BYE it.
    ack_leg(shard, c, i, leg.invite_cseq, {}, {});
    bye_leg(shard, c, i, now);
    release_slot(leg);
    maybe_reap(shard, c);
    return;
  }
  // A relayed leg's answer passes the relay before anything else: an answer the relay cannot
  // carry (no audio stream it can take) is this leg's failure, not the call's answer. The
  // leg is ACKed and BYEd, and the call goes on as after any failed leg (other forks, the
  // next trunk, or the caller refused with 488).
  std::optional<std::string> relayed;
  if (c.anchor != 0 && leg.media_leg != 0 && !c.transfer_in && !c.media) {
    relayed = anchored_answer(c, i, relay_body(r).second);
    if (!relayed) {
      ack_leg(shard, c, i, leg.invite_cseq, {}, {});
      bye_leg(shard, c, i, now);
      leg.final_status = 488;
      leg.final_reason = "Not Acceptable Here: media refused";
      release_slot(leg);
      after_leg_failure(shard, c, i, now);  // `c` may be gone after this line
      return;
    }
  }
  c.winner = i;
  c.state = CallState::kAnswered;
  if (c.listed_ringing) {
    core.ringing().stopped(c.key);
    c.listed_ringing = false;
  }
  start_b_session(leg, r, now);
  c.a.state = LegState::kConfirmed;
  if (leg.member) {
    const model::UserId member = *leg.member;
    core.agents().call_began(member);
    c.busy_member = member;
    c.cdr.callee_user = member;
    if (c.hunt) {
      close_member_attempt(c, leg.attempt, AttemptResult::kAnswered);
      Hunt& h = *c.hunt;
      for (Leg& other : c.b) {
        if (other.hunt_gen == h.gen && other.member != leg.member) {
          close_member_attempt(c, other.attempt, AttemptResult::kCancelled);
        }
      }
      for (model::UserId user : h.claimed) {
        core.agents().release_ring(user);
      }
      c.group_answer = true;
      c.cdr.answered_by = member;
      core.agents().answered(member, core.now_ms());
      queues.answered(h.group, core.now_ms() - c.cdr.start_ms);  // expected waits
      leave_queue(c);
      spdlog::info("call event=group_answered call={} group={} user={}", c.id,
                   log::Value{h.group_name}, member);
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
  // No other leg will be offered the caller's session: its body and the other trunks (a
  // winner on a trunk keeps its own, for the credentials of later requests) are set-up state.
  const bool late_offer = c.a_body.empty();
  release(c.a_body);
  std::erase_if(c.trunks, [&](const model::Trunk& t) { return t.id != leg.trunk; });
  c.trunks.shrink_to_fit();
  for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
    if (k != i) {
      cancel_leg(shard, c, k, now, /*elsewhere=*/true);
    }
  }
  if (c.transfer_in) {
    join_transfer(shard, c, i, r, now);  // the target of a transfer: no caller to answer
    return;
  }
  if (c.media) {
    bridge_answer(shard, c, i, r, now);  // the caller has Cohort's answer already
    return;
  }
  auto [ctype, raw] = relay_body(r);
  std::string body = std::move(raw);
  if (c.anchor != 0) {
    for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
      if (k != i) {
        drop_media_leg(c.b[static_cast<std::size_t>(k)]);  // the other forks' relays
      }
    }
    if (leg.media_leg == 0) {
      close_anchor(c);  // a direct leg answered: the caller's SDP went to it as it was
    } else if (relayed) {
      body = std::move(*relayed);
    }
  } else if (late_offer && !body.empty() && opts.media != nullptr &&
             (c.relay_caller || needs_relay(c, leg))) {
    // A late offer: the callee offers in its 2xx, the caller answers in its ACK
    // (call_dialog.cpp passes that answer through the relay).
    if (std::optional<std::string> anchored = anchor_far_offer(shard, c, i, ctype, body)) {
      body = std::move(*anchored);
    }
  }
  c.a_ok = response_to(c.a_answer, 200, "OK", c.a.local_tag, [&](sip::MessageBuilder& b) {
    b.header(HeaderId::kContact, contact_of(c.a.route.protocol));
    b.header(HeaderId::kAllow, kCallAllow);
    add_uas_session(b, c.a_session);  // RFC 4028 §9
    if (!body.empty()) {
      b.body(ctype, body);
    }
  });
  remember_sdp(c.a, ctype, body);
  // The caller is told the call was answered only once the answer is on disk: a crash
  // from then on leaves a record that start-up closes as "interrupted" (on_record_durable
  // sends the 200 OK). The record carries both legs' dialogs, so that after a crash the
  // next request of either phone still ends the other leg (InterruptedCalls).
  c.cdr.dialogs = {leg_record(c.a), leg_record(leg)};
  core.write_cdr_durable(shard, c.cdr, c.key);
  c.cdr.dialogs.clear();  // only the answer record holds them: the end record clears them
}

void CallController::Impl::on_record_durable(std::size_t shard, std::uint64_t key, bool durable,
                                             TimePoint now) {
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
void CallController::Impl::send_a_ok(std::size_t shard, Call& c, TimePoint now) {
  c.a_ok_sent = true;
  core.respond(shard, c.a_txn, 200, c.a_ok, now);
  if (c.a_session.negotiated) {
    c.a.session.timer.start(*c.a_session.negotiated, now);  // the caller's session begins
  }
  shards[shard].by_server_txn.erase(c.a_txn);
  c.a_ok_resend.emplace(opts.t1, opts.t2, c.a.route.protocol != net::Protocol::kUdp);
  c.a_ok_resend->start(now);
  core.arm(shard, c.key, *c.a_ok_resend->next());
}

}  // namespace cohort::pbx
