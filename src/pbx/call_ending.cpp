// The end of a call: the status to the caller, the record and its disposition, the
// counters, the BYEs of an answered call, and forgetting the call once no leg needs it.

#include "pbx/call_state.hpp"

#include <fmt/format.h>

namespace cohort::pbx {

void CallController::Impl::fail_call(std::size_t shard, Call& c, int status,
                                     std::string_view reason, Disposition disposition,
                                     TimePoint now) {
  if (c.state == CallState::kEnding) {
    return;
  }
  reply_a(shard, c, status, reason, now);
  shards[shard].by_server_txn.erase(c.a_txn);
  c.cdr.sip_status = status;
  c.cdr.hangup_cause = fmt::format("{} {}", status, reason);
  finish(shard, c, disposition, now);
}

/// The call is over for the caller: CDR, counters; the call object stays until no leg
/// needs it any more (maybe_reap).
void CallController::Impl::finish(std::size_t shard, Call& c, Disposition disposition,
                                  TimePoint now) {
  c.state = CallState::kEnding;
  c.cdr.end_ms = core.now_ms();
  if (c.voicemail) {
    close_voicemail(c);
    if (disposition == Disposition::kAnswered) {
      // A mailbox, not a person, took the call (or refused it: over its quota).
      disposition = c.voicemail->full ? Disposition::kVoicemailFull : Disposition::kVoicemail;
    }
  }
  if (c.media) {
    // Cohort answered the caller (an IVR menu): it is BYEd whatever ended the call, and a
    // call nobody answered after the menu ended there, or waiting, or ringing.
    if (c.media->answered) {
      bye_leg(shard, c, -1, now);
    }
    const bool reached = c.media->bridged;
    close_caller_media(c);
    if (c.ivr) {
      c.cdr.ivr_ms += core.now_ms() - c.ivr_since_ms;  // ended inside a menu
      c.cdr.ivr_keys += c.ivr->state.keys;
    }
    if (disposition == Disposition::kAnswered && !reached && !c.voicemail && !c.vm_menu) {
      disposition = c.ivr || c.ended_in_ivr ? Disposition::kIvr
                    : c.cdr.group           ? Disposition::kAbandoned
                                            : Disposition::kCancelled;
    }
    c.ivr.reset();
  }
  close_anchor(c);
  abandon_transfer(shard, c, now);  // a transfer target still ringing has nobody to join
  if (c.listed_ringing) {
    core.ringing().stopped(c.key);
    c.listed_ringing = false;
  }
  if (c.hunt) {
    end_attempt(shard, c, AttemptResult::kCancelled, now);
    c.hunt.reset();
  }
  leave_queue(c);
  if (disposition == Disposition::kCancelled && c.cdr.group) {
    disposition = Disposition::kAbandoned;  // the caller hung up while waiting for a group
  } else if (c.via_fallback && disposition != Disposition::kRoutingGap &&
             disposition != Disposition::kVoicemailUnavailable &&
             disposition != Disposition::kVoicemail && disposition != Disposition::kVoicemailFull) {
    disposition = Disposition::kFallback;
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
  ++n_ended[static_cast<std::size_t>(disposition)];
  --n_active;
  if (disposition != Disposition::kAnswered && c.cdr.sip_status >= 300 && c.cdr.sip_status < 700) {
    ++n_status[static_cast<std::size_t>(c.cdr.sip_status)];
  }
  core.write_cdr(c.cdr);
  for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
    if (c.b[static_cast<std::size_t>(k)].state == LegState::kConfirmed) {
      bye_leg(shard, c, k, now);  // a picker's dialog, answered before the call was
    }
    cancel_leg(shard, c, k, now);
  }
  maybe_reap(shard, c);
}

/// Forgets an ended call once no B leg can still answer (a leg waiting for the response
/// to our CANCEL may yet send a 2xx that must be ACKed and BYEd).
void CallController::Impl::maybe_reap(std::size_t shard, Call& c) {
  if (c.state != CallState::kEnding) {
    return;
  }
  for (Leg& leg : c.b) {
    if (leg.final_status == 0 && leg.state != LegState::kTerminated && leg.invite_txn != 0) {
      return;
    }
  }
  ShardState& st = shards[shard];
  release_slot(c.a);  // a trunk's leg that a transfer made the A leg
  for (Leg& leg : c.b) {
    release_slot(leg);
    st.dialogs.erase(dialog_key(leg.call_id, leg.local_tag));
  }
  if (c.a.relocated) {
    core.relocate(c.a.call_id, std::nullopt);  // its messages go to the shard it hashes to
  }
  for (const Leg& leg : c.b) {
    if (leg.relocated) {
      core.relocate(leg.call_id, std::nullopt);
    }
  }
  st.dialogs.erase(dialog_key(c.a.call_id, c.a.local_tag));
  st.by_server_txn.erase(c.a_txn);
  st.by_a_key.erase(dialog_key(c.a.call_id, c.a_from_tag));
  st.calls.erase(c.key);  // `c` is gone after this line
}

/// Ends an answered call: a BYE on each of the two legs that has not hung up itself.
void CallController::Impl::end_answered(std::size_t shard, Call& c, std::string cause,
                                        TimePoint now) {
  c.cdr.hangup_cause = std::move(cause);
  bye_leg(shard, c, -1, now);
  if (c.winner >= 0) {
    bye_leg(shard, c, c.winner, now);
  }
  for (Leg& leg : c.b) {
    release_slot(leg);
  }
  finish(shard, c, Disposition::kAnswered, now);
}

/// The caller (`from_leg` -1) or the answering callee sent BYE.
void CallController::Impl::hang_up(std::size_t shard, Call& c, int from_leg, TimePoint now) {
  (from_leg < 0 ? c.a : c.b[static_cast<std::size_t>(from_leg)]).state = LegState::kTerminated;
  end_answered(shard, c, from_leg < 0 ? "caller_bye" : "callee_bye", now);
}

}  // namespace cohort::pbx
