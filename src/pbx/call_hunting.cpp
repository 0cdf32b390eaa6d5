// Carrying out where routing:: says a call goes (STYLE.md practice 1): groups and their
// rounds of attempts, fallbacks, the end of the road. The decisions are routing::route,
// routing::leave and routing::distribute; this file rings, cancels and keeps the record.

#include "common/log.hpp"
#include "pbx/call_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <span>

#include "routing/schedule.hpp"

namespace cohort::pbx {
namespace {

/// The record's word for why the call left its group.
FallbackReason fallback_reason_of(routing::LeaveReason reason) {
  switch (reason) {
    case routing::LeaveReason::kClosed:
      return FallbackReason::kClosed;
    case routing::LeaveReason::kNoAgents:
      return FallbackReason::kNoAgents;
    case routing::LeaveReason::kNoAnswer:
      return FallbackReason::kNoAnswer;
  }
  return FallbackReason::kNoAgents;
}

}  // namespace

/// The groups and users the call has been through, for routing::route / leave / forward,
/// and what the registrar and the agent board say of a user about to be rung.
routing::FlowState CallController::Impl::flow(const Call& c) const {
  routing::FlowState state{c.visited, opts.max_fallback_hops, c.users_visited, c.forwards, {},
                           c.menus};
  state.facts = [this](model::UserId user) {
    return routing::UserFacts{core.has_binding(user), core.agents().live(user).calls > 0};
  };
  return state;
}

/// Carries out where routing:: says the call goes next: records the groups it passed
/// through and the fallback it took, then enters a group, rings a user, dials a number or
/// ends the call.
void CallController::Impl::take(std::size_t shard, Call& c, const routing::Step& step,
                                TimePoint now) {
  for (model::GroupId g : step.entered) {
    c.visited.push_back(g);
    if (!c.cdr.group) {
      c.cdr.group = g;
      ++n_group_calls;
    }
  }
  c.users_visited.insert(c.users_visited.end(), step.users.begin(), step.users.end());
  c.menus.insert(c.menus.end(), step.menus.begin(), step.menus.end());
  if (step.forwards > 0) {
    c.forwards += step.forwards;
    if (!c.cdr.forwarded_from) {
      c.cdr.forwarded_from = step.forwarded_from;
      c.cdr.forward_reason = step.forward_reason;
    }
    spdlog::info("call event=forwarded call={} from={} reason={} forwards={}", c.id,
                 step.forwarded_from.value_or(0),
                 log::Value{step.forward_reason ? model::to_string(*step.forward_reason) : "-"},
                 c.forwards);
    supersede_legs(shard, c, now);  // the forwarded user's phones stop ringing
  }
  if (step.left_because) {
    const model::Group* g = step.left_group ? c.snap->group(*step.left_group) : nullptr;
    const std::string_view group_name = g != nullptr ? std::string_view(g->name) : "-";
    c.cdr.fallback_reason = fallback_reason_of(*step.left_because);
    if (step.left_to) {
      c.cdr.fallback_to = model::destination_to_json(*step.left_to).dump();
      spdlog::info("call event=fallback call={} group={} reason={} to={}", c.id,
                   log::Value{group_name}, log::Value{model::to_string(*c.cdr.fallback_reason)},
                   c.cdr.fallback_to);
    } else {
      spdlog::info("call event=group_gave_up call={} group={} reason={}", c.id,
                   log::Value{group_name}, log::Value{model::to_string(*c.cdr.fallback_reason)});
    }
  }
  if (const auto* e = std::get_if<routing::EnterGroup>(&step.action)) {
    start_hunt(shard, c, e->group, e->timezone, now);
    return;
  }
  c.ring_deadline = now + opts.ring_timeout;
  // Once carried on by a fallback, a call stays so through the forwards that follow.
  if (const auto* u = std::get_if<routing::RingUser>(&step.action)) {
    c.via_fallback = c.via_fallback || step.via_fallback;
    ring_directly(shard, c, *u, now);
    return;
  }
  if (const auto* n = std::get_if<routing::DialNumber>(&step.action)) {
    c.via_fallback = c.via_fallback || step.via_fallback;
    dial_number(shard, c, n->number, n->as_group, now, n->as_user);
    return;
  }
  if (const auto* vm = std::get_if<routing::EnterVoicemail>(&step.action)) {
    enter_voicemail(shard, c, vm->box, now);
    return;
  }
  // Cohort answers the caller and runs the menu (call_media.cpp); without media (no engine,
  // no offer, no port) the caller gets 480 and the record says why.
  const routing::EndCall ivr_unavailable{routing::EndCause::kIvrUnavailable, 480,
                                         "Temporarily Unavailable: IVR menu cannot answer"};
  const auto* menu = std::get_if<routing::EnterIvr>(&step.action);
  if (menu != nullptr && answer_caller(shard, c, now)) {
    enter_ivr(shard, c, menu->menu, now);
    return;
  }
  const auto& end = menu != nullptr ? ivr_unavailable : std::get<routing::EndCall>(step.action);
  // How the call ended: the reason it left its group, when it left one.
  Disposition disposition =
      c.cdr.fallback_reason ? model::disposition_of(*c.cdr.fallback_reason) : Disposition::kFailed;
  switch (end.cause) {
    case routing::EndCause::kRoutingGap:
      spdlog::warn("call event=routing_gap call={}", c.id);
      disposition = Disposition::kRoutingGap;
      break;
    case routing::EndCause::kInactiveUser:
      disposition = Disposition::kFailed;
      break;
    case routing::EndCause::kDoNotDisturb:
      disposition = Disposition::kBusy;
      break;
    case routing::EndCause::kVoicemailUnavailable:
      disposition = Disposition::kVoicemailUnavailable;
      break;
    case routing::EndCause::kFallbackLoop:
    case routing::EndCause::kHopLimit:
    case routing::EndCause::kForwardLoop:
      spdlog::warn("call event={} call={} visited={}", routing::to_string(end.cause), c.id,
                   c.visited.size());
      c.cdr.hangup_cause = std::string(routing::to_string(end.cause));
      break;
    case routing::EndCause::kIvrUnavailable:
      spdlog::info("call event=ivr_unavailable call={} menu={}", c.id,
                   menu != nullptr ? menu->menu : 0);
      break;
    case routing::EndCause::kHangup:
      break;
  }
  fail_call(shard, c, end.status, end.reason_phrase, disposition, now);
}

/// 180 to the caller while the members are tried (once).
void CallController::Impl::send_ringback(std::size_t shard, Call& c, TimePoint now) {
  if (c.ringback_sent || c.state == CallState::kEnding) {
    return;
  }
  c.ringback_sent = true;
  c.state = CallState::kRinging;
  if (c.media) {
    // Cohort answered the caller (an IVR menu, a group's queue): a 180 means nothing after
    // our answer, so the caller hears ringback or the group's music from Cohort's own leg.
    play_waiting(shard, c, now);
    return;
  }
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
void CallController::Impl::start_hunt(std::size_t shard, Call& c, model::GroupId id,
                                      const std::string& timezone, TimePoint now) {
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
    spdlog::info("call event=no_agents call={} group={}", c.id, log::Value{g->name});
    leave_group(shard, c, *g, routing::LeaveReason::kNoAgents, now);
    return;
  }
  leave_queue(c);  // a group's fallback to another group: the old line first
  c.queued_in = id;
  c.queued_since_ms = now_ms;
  queues.join(id, c.key, c.cdr.start_ms);
  if (g->waiting_mode != model::WaitingMode::kRingback && !c.media) {
    // The group answers its callers into its queue (early media or a 200) to play its music;
    // when Cohort cannot answer (no offer, no port), the caller hears ringing as before.
    answer_caller(shard, c, now, g->waiting_mode == model::WaitingMode::kEarlyMedia);
  }
  send_ringback(shard, c, now);
  next_attempt(shard, c, now);
}

/// Distributes the call over the group's members as they are now. False when nobody is
/// available.
bool CallController::Impl::plan_round(Call& c, const model::Group& g, const std::string& timezone,
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
    // An inactive user, or one on do-not-disturb, takes no calls: left out like a paused one.
    f.state = u->paused || u->dnd || !u->active ? routing::AgentState::kPaused
                                                : routing::AgentState::kAvailable;
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
    spdlog::debug("call event=member_skipped call={} group={} user={} reason={}", c.id,
                  log::Value{g.name}, user, log::Value{reason});
  }
  return !h.plan.attempts.empty();
}

/// Rings the next attempt of the plan that has anyone to ring; at the end of the plan,
/// waits for the next round (or falls back when max_wait_s is reached first).
void CallController::Impl::next_attempt(std::size_t shard, Call& c, TimePoint now) {
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
        c.cdr.attempts.back().result = AttemptResult::kUnreachable;
        core.member_offer_ended(*snap.group(h.group), user, AttemptResult::kUnreachable, c.key);
        continue;
      }
      h.claimed.push_back(user);
      h.offered = true;
      spdlog::info("call event=offer call={} group={} user={} bindings={}", c.id,
                   log::Value{h.group_name}, user, targets.size());
      add_user_legs(shard, c, *u, targets, display, h.gen, index, now);
    }
    if (!h.claimed.empty()) {
      h.attempt_deadline = std::min(now + std::chrono::seconds(attempt.timeout_s), h.max_deadline);
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
                h.offered ? routing::LeaveReason::kNoAnswer : routing::LeaveReason::kNoAgents, now);
    return;
  }
  core.arm(shard, c.key, h.attempt_deadline);
}

/// The current attempt is over: its legs still ringing are cancelled, its members freed
/// and their attempts closed with `result` (those not closed already).
void CallController::Impl::end_attempt(std::size_t shard, Call& c, AttemptResult result,
                                       TimePoint now) {
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

void CallController::Impl::close_member_attempt(Call& c, int index, AttemptResult result) {
  if (index < 0 || static_cast<std::size_t>(index) >= c.cdr.attempts.size()) {
    return;
  }
  store::CdrRecord::Attempt& a = c.cdr.attempts[static_cast<std::size_t>(index)];
  if (a.end_ms == 0) {
    a.end_ms = core.now_ms();
    a.result = result;
    // Auto-pause counts every offer's end (docs/routing.md "Auto-pause").
    if (const model::Group* g = a.group ? c.snap->group(*a.group) : nullptr) {
      core.member_offer_ended(*g, a.user, result, c.key);
    }
  }
}

/// A member leg of a group attempt failed. When all of a member's legs failed the member
/// is free again; when all legs of the attempt failed, the next attempt rings.
void CallController::Impl::on_member_leg_failed(std::size_t shard, Call& c, int i, TimePoint now) {
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
    bool silent = true;  // no phone of the member answered anything: it is unreachable
    for (const Leg& o : c.b) {
      if (o.hunt_gen == h.gen && o.member == member) {
        silent = silent && o.no_response;
        if (best == 0 || failure_rank(o.final_status) < failure_rank(best)) {
          best = o.final_status;
        }
      }
    }
    close_member_attempt(c, leg.attempt, silent ? AttemptResult::kFailed : attempt_result(best));
    if (auto it = std::find(h.claimed.begin(), h.claimed.end(), member); it != h.claimed.end()) {
      h.claimed.erase(it);
      core.agents().release_ring(member);
    }
  }
  if (!pending([](const Leg&) { return true; })) {
    next_attempt(shard, c, now);
  }
}

AttemptResult CallController::Impl::attempt_result(int status) {
  if (status == 486 || status == 600) {
    return AttemptResult::kBusy;
  }
  if (status == 408 || status == 480 || status == 487) {
    return AttemptResult::kNoAnswer;
  }
  return status >= 400 ? AttemptResult::kDeclined : AttemptResult::kFailed;
}

/// The call leaves group `g` for its closed destination (reason "closed") or its fallback
/// ("no_answer", "no_agents"); without one it ends with the reason as its disposition.
/// The call leaves the group distributing it for `reason`: its attempts end, and
/// routing::leave says where it goes.
void CallController::Impl::leave_group(std::size_t shard, Call& c, const model::Group& g,
                                       routing::LeaveReason reason, TimePoint now) {
  if (c.hunt) {
    end_attempt(shard, c, AttemptResult::kCancelled, now);
    c.hunt.reset();
  }
  leave_queue(c);
  take(shard, c, routing::leave(*c.snap, g.id, reason, flow(c), core.now_ms()), now);
}

}  // namespace cohort::pbx
