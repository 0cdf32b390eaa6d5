// A user's call forwarding (issue 12), carried out: where a call goes is routing::route's
// (always, do-not-disturb, on a call, unreachable) and routing::forward's (busy, no answer,
// every phone failed) decision; this file rings the user with its no-answer deadline,
// notices when the user's phones are all busy or failed, runs the deadline, and cancels the
// phones a forward leaves behind. Group calls never come here: a member attempt is just an
// attempt (docs/routing.md "Call forwarding").

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log.hpp"
#include "pbx/call_state.hpp"

namespace cohort::pbx {
namespace {

/// RFC 5806 §3: the diversion-reason of a forward.
std::string_view diversion_reason(model::ForwardReason r) {
  switch (r) {
    case model::ForwardReason::kAlways:
      return "unconditional";
    case model::ForwardReason::kBusy:
      return "user-busy";
    case model::ForwardReason::kDnd:
      return "do-not-disturb";
    case model::ForwardReason::kNoAnswer:
      return "no-answer";
    case model::ForwardReason::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

bool busy_status(int status) {
  return status == 486 || status == 600 || status == 603;
}

}  // namespace

/// Rings `ring.user`, a user the call is for (not a group member): its legs start here, and
/// with a no-answer forwarding its deadline is armed.
void CallController::Impl::ring_directly(std::size_t shard, Call& c, const routing::RingUser& ring,
                                         TimePoint now) {
  const model::User* user = c.snap->user(ring.user);
  c.rung_user = ring.user;
  c.rung_legs_from = c.b.size();
  c.no_answer_at.reset();
  if (ring.no_answer_s > 0) {
    c.no_answer_at = now + std::chrono::seconds(ring.no_answer_s);
    core.arm(shard, c.key, *c.no_answer_at);
  }
  ring_user(shard, c, *user, now);
}

/// A forward was taken: the legs ringing so far (the forwarding user's phones) are
/// cancelled, and their failures no longer count for the call.
void CallController::Impl::supersede_legs(std::size_t shard, Call& c, TimePoint now) {
  for (int k = 0; k < static_cast<int>(c.b.size()); ++k) {
    cancel_leg(shard, c, k, now);
  }
  c.rung_legs_from = c.b.size();
  c.rung_user.reset();
  c.no_answer_at.reset();
}

/// B leg `i` (not a group attempt's) failed. True when forwarding dealt with it: a leg a
/// forward left behind, a leg of the rung user while its other phones still ring, or the
/// last of its phones, when the user forwards on busy (486/600/603) or on failure. False
/// leaves the failure to after_leg_failure as if no forwarding existed.
bool CallController::Impl::forward_after_failure(std::size_t shard, Call& c, int i, TimePoint now) {
  const auto index = static_cast<std::size_t>(i);
  if (c.forwards > 0 && index < c.rung_legs_from) {
    return true;  // a phone of a user the call was forwarded away from
  }
  const Leg& leg = c.b[index];
  if (!c.rung_user || leg.member != c.rung_user || c.caller_cancelled) {
    return false;
  }
  int best = 0;
  for (std::size_t k = c.rung_legs_from; k < c.b.size(); ++k) {
    const Leg& other = c.b[k];
    if (other.member != c.rung_user) {
      continue;
    }
    if (other.final_status == 0 && other.state != LegState::kTerminated) {
      return false;  // another phone of the user still rings
    }
    if (best == 0 || failure_rank(other.final_status) < failure_rank(best)) {
      best = other.final_status;
    }
  }
  const model::ForwardReason reason =
      busy_status(best) ? model::ForwardReason::kBusy : model::ForwardReason::kUnavailable;
  std::optional<routing::Step> step =
      routing::forward(*c.snap, *c.rung_user, reason, flow(c), core.now_ms());
  if (!step) {
    return false;
  }
  spdlog::info("call event=forward call={} user={} reason={} status={}", c.id, *c.rung_user,
               log::Value{model::to_string(reason)}, best);
  take(shard, c, *step, now);
  return true;
}

/// Whether the no-answer forwarding of the user the call rings is due.
bool CallController::Impl::forward_due(const Call& c, TimePoint now) {
  const bool ringing = c.state == CallState::kTrying || c.state == CallState::kRinging;
  return ringing && c.winner < 0 && !c.hunt && c.rung_user && c.no_answer_at &&
         now >= *c.no_answer_at;
}

/// The rung user did not answer within its forward_no_answer_s: its phones get CANCEL and
/// the call goes on to its no-answer forwarding.
void CallController::Impl::forward_no_answer(std::size_t shard, Call& c, TimePoint now) {
  const model::UserId user = *c.rung_user;
  c.no_answer_at.reset();
  std::optional<routing::Step> step =
      routing::forward(*c.snap, user, model::ForwardReason::kNoAnswer, flow(c), core.now_ms());
  if (!step) {
    return;  // the call rings on until its ring timeout
  }
  spdlog::info("call event=forward call={} user={} reason=no_answer", c.id, user);
  take(shard, c, *step, now);
}

/// The Diversion header (RFC 5806) of a forwarded call's legs: the user whose forwarding
/// first took the call, why, and how many forwards it followed. Phones show "forwarded by";
/// providers see the number the call was for.
std::string CallController::Impl::diversion(const Call& c, const Leg& leg) const {
  if (!c.cdr.forwarded_from || !c.cdr.forward_reason) {
    return {};
  }
  const model::User* from = c.snap->user(*c.cdr.forwarded_from);
  if (from == nullptr) {
    return {};
  }
  std::string host;
  std::string user = from->extension;
  if (const model::Trunk* t = trunk_of(c, leg)) {
    host = t->from_domain.empty() ? t->host : t->from_domain;
    if (from->caller_id && !from->caller_id->empty()) {
      user = *from->caller_id;  // the provider knows the user by its public number
    }
  } else {
    host = opts.domain.empty() ? core.via_address(leg.route.protocol) : opts.domain;
  }
  return fmt::format("<sip:{}@{}>;reason={};counter={}", user, host,
                     diversion_reason(*c.cdr.forward_reason), c.forwards);
}

}  // namespace cohort::pbx
