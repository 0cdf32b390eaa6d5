#include "routing/flow.hpp"

#include <algorithm>

#include "routing/schedule.hpp"

namespace cohort::routing {
namespace {

/// The walk of one step: it may pass through closed groups before it ends somewhere.
struct Walk {
  const model::Snapshot& snap;
  const FlowState& state;
  std::int64_t now_ms;
  Step step;

  bool visited(model::GroupId g) const {
    return std::find(state.visited.begin(), state.visited.end(), g) != state.visited.end() ||
           std::find(step.entered.begin(), step.entered.end(), g) != step.entered.end();
  }
  std::size_t hops() const { return state.visited.size() + step.entered.size(); }

  Step end(EndCause cause, int status, std::string reason_phrase) {
    step.action = EndCall{cause, status, std::move(reason_phrase)};
    return std::move(step);
  }

  Step to(const model::Destination& d, std::optional<model::GroupId> from_group) {
    if (const auto* g = std::get_if<model::DestGroup>(&d)) {
      return group(g->id);
    }
    if (const auto* u = std::get_if<model::DestUser>(&d)) {
      const model::User* user = snap.user(u->id);
      if (user == nullptr) {
        return end(EndCause::kRoutingGap, 480,
                   "Temporarily Unavailable: destination no longer exists");
      }
      step.via_fallback = from_group.has_value();
      if (!user->active) {
        return end(EndCause::kInactiveUser, 480, "Temporarily Unavailable");
      }
      if (user->dnd) {
        return end(EndCause::kDoNotDisturb, 486, "Busy Here");
      }
      step.action = RingUser{user->id};
      return std::move(step);
    }
    if (const auto* v = std::get_if<model::DestVoicemail>(&d)) {
      const bool exists = v->box == model::DestVoicemail::Box::kUser ? snap.user(v->id) != nullptr
                                                                     : snap.group(v->id) != nullptr;
      if (!exists) {
        return end(EndCause::kRoutingGap, 480,
                   "Temporarily Unavailable: destination no longer exists");
      }
      // Voicemail is carried out by the media issue; until then the caller is told so.
      return end(EndCause::kVoicemailUnavailable, 480,
                 "Temporarily Unavailable: voicemail not available yet");
    }
    if (const auto* n = std::get_if<model::DestNumber>(&d)) {
      step.via_fallback = from_group.has_value();
      step.action = DialNumber{n->number, from_group};
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
  }
  return "hangup";
}

Step route(const model::Snapshot& snapshot, const model::Destination& destination,
           std::optional<model::GroupId> from_group, const FlowState& state, std::int64_t now_ms) {
  Walk w{snapshot, state, now_ms, Step{}};
  return w.to(destination, from_group);
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
