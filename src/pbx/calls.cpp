// The call controller's public face and its entry points: responses and failures of client
// transactions, CANCEL, timers, the once-a-second sweep; the active calls and counters.
// The rest of CallController::Impl lives beside it, one concern a file (call_state.hpp).

#include "pbx/calls.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/log.hpp"
#include "net/route.hpp"
#include "pbx/call_state.hpp"

namespace cohort::pbx {

Call* CallController::Impl::find(std::size_t shard, std::uint64_t key) {
  auto it = shards[shard].calls.find(key);
  return it == shards[shard].calls.end() ? nullptr : it->second.get();
}

bool CallController::Impl::on_response(std::size_t shard, TxnId txn, const sip::Message& r,
                                       TimePoint now) {
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
  if (owner.kind == OwnerKind::kRefresh) {
    on_refresh_response(shard, *c, owner.leg, r, now);  // `c` may be gone after this line
    return true;
  }
  if (owner.kind == OwnerKind::kTransfer) {
    on_transfer_reinvite(shard, *c, r, now);  // `c` may be gone after this line
    return true;
  }
  if (owner.kind == OwnerKind::kInvite && owner.leg >= 0 &&
      c->b[static_cast<std::size_t>(owner.leg)].invite_txn == txn) {
    on_b_response(shard, *c, owner.leg, r, now);
  }
  return true;
}

void CallController::Impl::on_client_failure(std::size_t shard, TxnId txn, int status,
                                             TimePoint now) {
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
      if (c != nullptr && rit->second.method == Method::kInvite) {
        end_reinvite(*c, rit->second, owner.leg);
      }
      if (rit->second.server_txn != 0) {
        core.respond(shard, rit->second.server_txn, status,
                     response_to(rit->second.answer, status, {}, {}), now);
      }
      st.relays.erase(rit);
    }
    return;
  }
  if (c != nullptr && owner.kind == OwnerKind::kRefresh) {
    on_refresh_failure(shard, *c, owner.leg, status, now);  // `c` may be gone after this line
    return;
  }
  if (c != nullptr && owner.kind == OwnerKind::kTransfer) {
    c->a.reinvites.outgoing_done();
    transfer_reinvite_failed(shard, *c, status, now);  // `c` may be gone after this line
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
  leg.no_response = true;
  if (leg.state == LegState::kConfirmed) {
    // A re-INVITE of a dialog that exists already (a picker's, an attended transfer's
    // target) went unanswered: the dialog ends with a BYE (RFC 3261 §14.1).
    bye_leg(shard, *c, owner.leg, now);
  }
  leg.state = LegState::kTerminated;
  release_slot(leg);
  after_leg_failure(shard, *c, owner.leg, now);
}

void CallController::Impl::on_stray_response(std::size_t shard, const sip::Message& r,
                                             TimePoint now) {
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
  if (i >= 0 && r.cseq() == leg.invite_cseq && leg.state != LegState::kTrying) {
    auto na = sip::parse_name_addr(leg.remote_hdr);
    if (na && na->tag() != r.to_tag()) {
      end_other_fork(shard, *c, i, r, now);
      return;
    }
  }
  if (!leg.ack_bytes.empty() && leg.ack_cseq == r.cseq()) {
    net::Outbound out = leg.route;
    out.bytes = leg.ack_bytes;
    core.send_direct(std::move(out));  // our ACK was lost: the 2xx came again
  }
}

/// A proxy forked the INVITE of B leg `i` and a second fork answered too (RFC 3261
/// §13.2.2.4): its 2xx is ACKed and the fork is sent a BYE, both on the fork's own dialog
/// (its To tag, its Contact); the same 2xx again gets the ACK again.
void CallController::Impl::end_other_fork(std::size_t shard, Call& c, int i, const sip::Message& r,
                                          TimePoint now) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  sip::dialog::SentRequest sent;
  sent.call_id = leg.call_id;
  sent.from_header = leg.local_hdr;
  sent.from_tag = leg.local_tag;
  sent.to_header = without_tag(leg.remote_hdr);
  sent.request_uri = leg.request_uri;
  sent.cseq = leg.invite_cseq;
  auto fork = sip::dialog::uac_dialog(sent, r);
  if (!fork) {
    return;
  }
  const net::Protocol p = leg.route.protocol;
  auto via = [&] { return net::via_value(p, core.via_address(p), core.mint_branch(shard)); };
  net::Outbound out = leg.route;
  out.bytes = sip::dialog::build_ack(*fork, leg.invite_cseq, via()).str();
  core.send_direct(std::move(out));
  const std::string tag(r.to_tag());
  if (std::find(leg.ended_forks.begin(), leg.ended_forks.end(), tag) != leg.ended_forks.end()) {
    return;  // its 2xx again: our ACK was lost, the BYE went already
  }
  leg.ended_forks.push_back(tag);
  spdlog::info("call event=late_fork_ended call={} leg={} tag={}", c.id, leg.call_id, tag);
  sip::MessageBuilder bye = sip::dialog::build_request(*fork, Method::kBye, via());
  bye.header(HeaderId::kUserAgent, opts.user_agent);
  core.start_client(shard, std::move(bye).message(), leg.route, now);
}

bool CallController::Impl::on_cancel(std::size_t shard, TxnId invite_txn, TimePoint now) {
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
  finish(shard, *c, Disposition::kCancelled, now);
  return true;
}

std::size_t CallController::Impl::end_all(std::size_t shard, TimePoint now) {
  std::vector<std::uint64_t> keys;
  for (const auto& [key, c] : shards[shard].calls) {
    if (c->state != CallState::kEnding) {
      keys.push_back(key);
    }
  }
  for (std::uint64_t key : keys) {
    Call* c = find(shard, key);
    if (c == nullptr || c->state == CallState::kEnding) {
      continue;
    }
    spdlog::info("call event=ended_by_shutdown call={}", c->id);
    if (c->state == CallState::kAnswered) {
      end_answered(shard, *c, "shutdown", now);  // may forget `c`
    } else {
      fail_call(shard, *c, 503, "Service Unavailable", Disposition::kFailed, now);
    }
  }
  return keys.size();
}

/// Once a second per shard: calls past their ring deadline or their no-answer forwarding
/// (armed too, for its precision), and answered calls whose session
/// timer (RFC 4028, call_session.cpp) wants a refresh or has expired. Long deadlines are
/// swept rather than armed, so the timer heap holds no entry per call for hours.
void CallController::Impl::sweep(std::size_t shard, TimePoint now) {
  std::vector<std::uint64_t> due;
  for (const auto& [key, c] : shards[shard].calls) {
    const bool ringing = c->state == CallState::kTrying || c->state == CallState::kRinging;
    if ((ringing && now >= c->ring_deadline) || forward_due(*c, now) ||
        (c->state == CallState::kAnswered && session_due(*c, now))) {
      due.push_back(key);
    }
  }
  for (std::uint64_t key : due) {
    on_timer(shard, key, now);  // may end and forget the call
  }
}

void CallController::Impl::on_timer(std::size_t shard, std::uint64_t key, TimePoint now) {
  Call* cp = find(shard, key);
  if (cp == nullptr) {
    return;
  }
  Call& c = *cp;
  if (c.picked_up && resend_pickup_ok(shard, c, now)) {
    return;  // call_pickup.cpp: the picker never acknowledged its answer
  }
  if (forward_due(c, now)) {
    forward_no_answer(shard, c, now);  // call_forwarding.cpp
    return;
  }
  if (c.announce_at && now >= *c.announce_at) {
    announce_position(shard, c, now);  // call_media.cpp, then the checks below
  }
  if (vm_menu_due(c, now)) {
    c.vm_menu->deadline.reset();  // call_voicemail_menu.cpp: no key before the deadline
    run_vm_menu(shard, c, routing::vm_next(c.vm_menu->state, routing::VmTimer{core.now_ms()}), now);
    return;
  }
  if (ivr_due(c, now)) {
    c.ivr->deadline.reset();  // call_media.cpp: no key before the menu's deadline
    run_ivr(shard, c, routing::ivr_next(*c.snap, c.ivr->state, routing::TimerFired{core.now_ms()}),
            now);
    return;
  }
  if ((c.state == CallState::kTrying || c.state == CallState::kRinging) && c.hunt) {
    Hunt& h = *c.hunt;
    if (now >= h.max_deadline) {
      spdlog::info("call event=max_wait call={} group={}", c.id, log::Value{h.group_name});
      end_attempt(shard, c, AttemptResult::kNoAnswer, now);
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
          leave_group(shard, c, *g,
                      h.offered ? routing::LeaveReason::kNoAnswer : routing::LeaveReason::kNoAgents,
                      now);
          return;
        }
      } else {
        end_attempt(shard, c, AttemptResult::kNoAnswer, now);
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
      finish(shard, c, Disposition::kNoAnswer, now);
    }
    return;
  }
  if (c.state == CallState::kAnswered && run_session_timers(shard, c, now)) {
    return;  // the session expired: the call ended, `c` may be gone
  }
  if (c.state != CallState::kAnswered || c.a_acked || !c.a_ok_sent || !c.a_ok_resend) {
    return;
  }
  // The 2xx to the caller until its ACK: sip::dialog::OkRetransmission decides (§13.3.1.4).
  switch (c.a_ok_resend->on_timer(now)) {
    case sip::dialog::OkRetransmission::Step::kGiveUp:
      // No ACK for our 2xx within 64*T1: the dialog is confirmed and then ended.
      spdlog::warn("call event=no_ack call={}", c.id);
      if (c.winner >= 0) {
        ack_leg(shard, c, c.winner, c.b[static_cast<std::size_t>(c.winner)].invite_cseq, {}, {});
      }
      end_answered(shard, c, "no_ack", now);
      return;
    case sip::dialog::OkRetransmission::Step::kResend: {
      net::Outbound out = c.a.route;
      out.bytes = c.a_ok;
      core.send_direct(std::move(out));
      break;
    }
    case sip::dialog::OkRetransmission::Step::kNothing:
      break;
  }
  if (auto next = c.a_ok_resend->next()) {
    core.arm(shard, c.key, *next);
  }
}

std::vector<CallInfo> CallController::Impl::calls(std::size_t shard) const {
  std::vector<CallInfo> out;
  for (const auto& [key, cp] : shards[shard].calls) {
    const Call& c = *cp;
    if (c.state == CallState::kEnding) {
      continue;
    }
    CallInfo info;
    info.id = c.id;
    info.direction = c.direction;
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

std::size_t CallController::end_all(std::size_t shard, TimePoint now) {
  return impl_->end_all(shard, now);
}

std::size_t CallController::held(std::size_t shard) const {
  return impl_->shards[shard].calls.size();
}

bool CallController::owns_invite(std::size_t shard, TxnId invite_txn) const {
  const auto& by_txn = impl_->shards[shard].by_server_txn;
  return by_txn.find(invite_txn) != by_txn.end();
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
  s.group_calls = impl_->n_group_calls;
  for (std::size_t i = 0; i < s.ended.size(); ++i) {
    s.ended[i] = impl_->n_ended[i];
  }
  for (std::size_t i = 300; i < impl_->n_status.size(); ++i) {
    if (const std::uint64_t n = impl_->n_status[i]; n > 0) {
      s.by_status.emplace_back(static_cast<int>(i), n);
    }
  }
  return s;
}

}  // namespace cohort::pbx
