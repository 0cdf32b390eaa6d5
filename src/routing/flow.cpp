#include "routing/flow.hpp"

#include <algorithm>

#include "routing/schedule.hpp"

namespace cohort::routing {
namespace {

/// Where a user's calls go when none of its phones can be reached: its no-answer
/// forwarding (those phones would not have answered), else its busy forwarding.
const model::Destination* unavailable_destination(const model::User& u) {
  if (u.forward_no_answer) {
    return &*u.forward_no_answer;
  }
  if (u.forward_busy) {
    return &*u.forward_busy;
  }
  return nullptr;
}

/// The walk of one step: it may pass through closed groups before it ends somewhere.
struct Walk {
  const model::Snapshot& snap;
  const FlowState& state;
  std::int64_t now_ms;
  Step step;

  /// The user whose forwarding the walk is following (a number it reaches is dialled as
  /// that user's call).
  std::optional<model::UserId> forwarding_user;

  bool visited(model::GroupId g) const {
    return std::find(state.visited.begin(), state.visited.end(), g) != state.visited.end() ||
           std::find(step.entered.begin(), step.entered.end(), g) != step.entered.end();
  }
  bool visited_user(model::UserId u) const {
    return std::find(state.users.begin(), state.users.end(), u) != state.users.end() ||
           std::find(step.users.begin(), step.users.end(), u) != step.users.end();
  }
  bool visited_menu(model::IvrMenuId m) const {
    return std::find(state.menus.begin(), state.menus.end(), m) != state.menus.end() ||
           std::find(step.menus.begin(), step.menus.end(), m) != step.menus.end();
  }
  /// Groups entered, forwards followed and menus entered: all count toward max_hops.
  std::size_t hops() const {
    return state.visited.size() + step.entered.size() + state.menus.size() + step.menus.size() +
           static_cast<std::size_t>(state.forwards + step.forwards);
  }
  /// Whether this step followed a forward (a group it comes back to is a forwarding loop).
  bool forwarded() const { return step.forwards > 0; }

  Step forward_loop() {
    return end(EndCause::kForwardLoop, 482, "Loop Detected: call forwarding loop");
  }

  /// Follows `user`'s forwarding to `dest` for `reason`.
  Step forward(const model::User& user, model::ForwardReason reason,
               const model::Destination& dest) {
    if (static_cast<int>(hops()) >= state.max_hops) {
      return end(EndCause::kHopLimit, 480, "Temporarily Unavailable: too many forwarding hops");
    }
    ++step.forwards;
    if (!step.forwarded_from) {
      step.forwarded_from = user.id;
      step.forward_reason = reason;
    }
    forwarding_user = user.id;
    return to(dest, std::nullopt);
  }

  /// A user reached directly (not as a group member): its forwarding applies.
  Step user(const model::User& u) {
    if (visited_user(u.id)) {
      return forward_loop();
    }
    step.users.push_back(u.id);
    if (u.forward_always) {
      return forward(u, model::ForwardReason::kAlways, *u.forward_always);
    }
    if (u.dnd) {
      if (u.forward_busy) {
        return forward(u, model::ForwardReason::kDnd, *u.forward_busy);
      }
      return end(EndCause::kDoNotDisturb, 486, "Busy Here");
    }
    const UserFacts facts = state.facts ? state.facts(u.id) : UserFacts{};
    if (facts.on_call && u.forward_busy) {
      return forward(u, model::ForwardReason::kBusy, *u.forward_busy);
    }
    if (!facts.registered) {
      if (const auto* dest = unavailable_destination(u)) {
        return forward(u, model::ForwardReason::kUnavailable, *dest);
      }
    }
    step.action = RingUser{u.id, u.forward_no_answer ? u.forward_no_answer_s : 0};
    return std::move(step);
  }

  Step end(EndCause cause, int status, std::string reason_phrase) {
    step.action = EndCall{cause, status, std::move(reason_phrase)};
    return std::move(step);
  }

  Step to(const model::Destination& d, std::optional<model::GroupId> from_group) {
    if (const auto* g = std::get_if<model::DestGroup>(&d)) {
      return group(g->id);
    }
    if (const auto* m = std::get_if<model::DestIvr>(&d)) {
      return menu(m->id);
    }
    if (const auto* u = std::get_if<model::DestUser>(&d)) {
      const model::User* user = snap.user(u->id);
      if (user == nullptr) {
        return end(EndCause::kRoutingGap, 480,
                   "Temporarily Unavailable: destination no longer exists");
      }
      step.via_fallback = step.via_fallback || from_group.has_value();
      if (!user->active) {
        return end(EndCause::kInactiveUser, 480, "Temporarily Unavailable");
      }
      return this->user(*user);
    }
    if (const auto* v = std::get_if<model::DestVoicemail>(&d)) {
      const bool exists = v->box == model::DestVoicemail::Box::kUser ? snap.user(v->id) != nullptr
                                                                     : snap.group(v->id) != nullptr;
      if (!exists) {
        return end(EndCause::kRoutingGap, 480,
                   "Temporarily Unavailable: destination no longer exists");
      }
      step.action = EnterVoicemail{*v};
      return std::move(step);
    }
    if (const auto* n = std::get_if<model::DestNumber>(&d)) {
      step.via_fallback = step.via_fallback || from_group.has_value();
      step.action = DialNumber{n->number, from_group, from_group ? std::nullopt : forwarding_user};
      return std::move(step);
    }
    return end(EndCause::kHangup, 480, "Temporarily Unavailable");
  }

  Step group(model::GroupId id) {
    const model::Group* g = snap.group(id);
    if (g == nullptr) {
      return end(EndCause::kRoutingGap, 480,
                 "Temporarily Unavailable: destination no longer exists");
    }
    if (visited(id)) {
      if (forwarded()) {
        return forward_loop();  // a forward led back into a group the call was in
      }
      return end(EndCause::kFallbackLoop, 480, "Temporarily Unavailable: fallback loop");
    }
    if (static_cast<int>(hops()) >= state.max_hops) {
      return end(EndCause::kHopLimit, 480, "Temporarily Unavailable: too many fallback hops");
    }
    step.entered.push_back(id);
    std::string timezone = "UTC";
    if (g->schedule) {
      if (const model::Schedule* sched = snap.schedule(*g->schedule)) {
        timezone = sched->timezone;
        if (!schedule_state(*sched, now_ms).open) {
          return leave(*g, LeaveReason::kClosed);
        }
      }
    }
    step.action = EnterGroup{id, std::move(timezone)};
    return std::move(step);
  }

  /// An IVR menu: one hop, entered at most once per count (a key press starts a new one,
  /// so "0 — main menu" is no loop; an automatic exit that comes back is).
  Step menu(model::IvrMenuId id) {
    if (snap.ivr_menu(id) == nullptr) {
      return end(EndCause::kRoutingGap, 480,
                 "Temporarily Unavailable: destination no longer exists");
    }
    if (visited_menu(id)) {
      if (forwarded()) {
        return forward_loop();
      }
      return end(EndCause::kFallbackLoop, 480, "Temporarily Unavailable: fallback loop");
    }
    if (static_cast<int>(hops()) >= state.max_hops) {
      return end(EndCause::kHopLimit, 480, "Temporarily Unavailable: too many fallback hops");
    }
    step.menus.push_back(id);
    step.action = EnterIvr{id};
    return std::move(step);
  }

  Step leave(const model::Group& g, LeaveReason reason) {
    std::optional<model::Destination> dest;
    if (reason == LeaveReason::kClosed) {
      dest =
          g.closed_destination
              ? *g.closed_destination
              : model::Destination{model::DestVoicemail{model::DestVoicemail::Box::kGroup, g.id}};
    } else {
      dest = g.fallback;
    }
    step.left_group = g.id;
    step.left_because = reason;
    step.left_to = dest;
    if (!dest) {
      return end(EndCause::kHangup, 480, "Temporarily Unavailable");
    }
    return to(*dest, g.id);
  }
};

}  // namespace

std::string_view to_string(LeaveReason r) {
  switch (r) {
    case LeaveReason::kClosed:
      return "closed";
    case LeaveReason::kNoAgents:
      return "no_agents";
    case LeaveReason::kNoAnswer:
      return "no_answer";
  }
  return "no_agents";
}

std::string_view to_string(EndCause c) {
  switch (c) {
    case EndCause::kRoutingGap:
      return "routing_gap";
    case EndCause::kInactiveUser:
      return "inactive_user";
    case EndCause::kDoNotDisturb:
      return "do_not_disturb";
    case EndCause::kVoicemailUnavailable:
      return "voicemail_unavailable";
    case EndCause::kHangup:
      return "hangup";
    case EndCause::kFallbackLoop:
      return "fallback_loop";
    case EndCause::kHopLimit:
      return "hop_limit";
    case EndCause::kForwardLoop:
      return "forward_loop";
    case EndCause::kIvrUnavailable:
      return "ivr_unavailable";
  }
  return "hangup";
}

Step route(const model::Snapshot& snapshot, const model::Destination& destination,
           std::optional<model::GroupId> from_group, const FlowState& state, std::int64_t now_ms) {
  Walk w{snapshot, state, now_ms, Step{}};
  return w.to(destination, from_group);
}

std::optional<Step> forward(const model::Snapshot& snapshot, model::UserId user,
                            model::ForwardReason reason, const FlowState& state,
                            std::int64_t now_ms) {
  const model::User* u = snapshot.user(user);
  if (u == nullptr) {
    return std::nullopt;
  }
  const model::Destination* dest = nullptr;
  switch (reason) {
    case model::ForwardReason::kAlways:
      dest = u->forward_always ? &*u->forward_always : nullptr;
      break;
    case model::ForwardReason::kBusy:
    case model::ForwardReason::kDnd:
      dest = u->forward_busy ? &*u->forward_busy : nullptr;
      break;
    case model::ForwardReason::kNoAnswer:
      dest = u->forward_no_answer ? &*u->forward_no_answer : nullptr;
      break;
    case model::ForwardReason::kUnavailable:
      dest = unavailable_destination(*u);
      break;
  }
  if (dest == nullptr) {
    return std::nullopt;
  }
  Walk w{snapshot, state, now_ms, Step{}};
  return w.forward(*u, reason, *dest);
}

Step leave(const model::Snapshot& snapshot, model::GroupId group, LeaveReason reason,
           const FlowState& state, std::int64_t now_ms) {
  Walk w{snapshot, state, now_ms, Step{}};
  const model::Group* g = snapshot.group(group);
  if (g == nullptr) {
    return w.end(EndCause::kRoutingGap, 480,
                 "Temporarily Unavailable: destination no longer exists");
  }
  return w.leave(*g, reason);
}

std::string present_caller_id(const model::Snapshot& snapshot, const OutboundPlan& plan,
                              std::optional<model::GroupId> as_group,
                              std::string_view caller_user_part,
                              std::optional<model::GroupId>* group) {
  *group = plan.group;
  if (!plan.caller_id.empty()) {
    return plan.caller_id;
  }
  if (as_group) {
    const model::Group* g = snapshot.group(*as_group);
    if (g != nullptr && g->outbound_caller_id && !g->outbound_caller_id->empty()) {
      *group = g->id;
      return *g->outbound_caller_id;
    }
  }
  return std::string(caller_user_part);
}

}  // namespace cohort::routing
