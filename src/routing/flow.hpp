#pragma once
// PURE: where a call goes next (docs/routing.md "Destinations and fallbacks"). Given the
// snapshot the call started with, a destination (an inbound route's, or a group's fallback
// or closed destination) and the groups the call has been through, it returns one step for
// the shell to carry out: distribute over a group, ring a user, dial a number, or end the
// call with a status — following closed groups, fallback chains, loops and the hop limit on
// the way, so that the shell decides none of it. A user's call forwarding is applied here
// too: route() follows forward_always, do-not-disturb and busy forwarding, and forward()
// says where a call goes when the user it rings is busy, does not answer or cannot be
// reached (docs/routing.md "Call forwarding"). The caller ID a number is dialled with is
// decided here too (present_caller_id).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/call_record.hpp"
#include "model/destination.hpp"
#include "model/snapshot.hpp"
#include "routing/outbound.hpp"

namespace cohort::routing {

/// Why a call leaves a group for its fallback (or closed) destination.
enum class LeaveReason : std::uint8_t {
  kClosed,    ///< outside the group's business hours (its closed destination)
  kNoAgents,  ///< nobody could be offered the call
  kNoAnswer,  ///< members were offered it and max_wait_s passed without an answer
};
/// "closed", "no_agents", "no_answer": the CDR's fallback_reason.
std::string_view to_string(LeaveReason r);

/// Why a call ends without reaching anyone.
enum class EndCause : std::uint8_t {
  kRoutingGap,    ///< the destination no longer exists
  kInactiveUser,  ///< a deactivated user
  kDoNotDisturb,  ///< a user on do-not-disturb: 486 Busy Here
  /// Not returned by route(): the shell's end for EnterVoicemail when it cannot answer
  /// (media not running, no offer to answer, no RTP port free).
  kVoicemailUnavailable,
  kHangup,        ///< a `hangup` destination, or a group with nowhere to go
  kFallbackLoop,  ///< the chain came back to a group it had left
  kHopLimit,      ///< more groups and forwards than FlowState::max_hops
  kForwardLoop,   ///< a forward came back to a user or group the call was for: 482
  /// Not returned by route(): the shell's end for EnterIvr until the media engine plays
  /// menus (480, docs/life-of-a-call.md section 2a).
  kIvrUnavailable,
};
std::string_view to_string(EndCause c);

/// Distribute the call over `group`'s members (the group is open now).
struct EnterGroup {
  model::GroupId group = 0;
  std::string timezone = "UTC";  ///< its schedule's, for day boundaries (fewest_calls)
  bool operator==(const EnterGroup&) const = default;
};
/// Ring every binding of `user`. `no_answer_s` > 0: the user has a no-answer forwarding,
/// due (routing::forward, kNoAnswer) when nobody answered after that many seconds.
struct RingUser {
  model::UserId user = 0;
  int no_answer_s = 0;
  bool operator==(const RingUser&) const = default;
};
/// Dial an outside number through the outbound rules, as `as_group`'s call when set, else
/// as `as_user`'s (a user's forwarding: its rules and caller ID, never more than it could
/// dial itself), else as the caller's.
struct DialNumber {
  std::string number;
  std::optional<model::GroupId> as_group;
  std::optional<model::UserId> as_user;
  bool operator==(const DialNumber&) const = default;
};
/// Answer the call into IVR menu `menu` and run it (routing/ivr.hpp says what to play and
/// where a key leads).
struct EnterIvr {
  model::IvrMenuId menu = 0;
  bool operator==(const EnterIvr&) const = default;
};
/// Answer the call into a mailbox: its greeting, a beep, then the caller's message.
struct EnterVoicemail {
  model::DestVoicemail box;
  bool operator==(const EnterVoicemail&) const = default;
};
/// End the call: the caller gets `status` `reason_phrase`.
struct EndCall {
  EndCause cause = EndCause::kHangup;
  int status = 480;
  std::string reason_phrase;
  bool operator==(const EndCall&) const = default;
};
using Action = std::variant<EnterGroup, RingUser, DialNumber, EndCall, EnterIvr, EnterVoicemail>;

/// What the shell knows of a user at the moment (routing reads no registrar or board).
struct UserFacts {
  bool registered = true;  ///< at least one binding
  bool on_call = false;    ///< in a call (answered, or placing one)
  bool operator==(const UserFacts&) const = default;
};

/// The groups a call has been distributed by, in order (each at most once), the users it
/// was for (rung directly or forwarded from, each at most once), the forwards it followed,
/// the IVR menus it entered, and the limit on groups plus forwards plus menus. A key pressed
/// in a menu starts a new count (routing/ivr.hpp, IvrStep::by_caller).
struct FlowState {
  std::span<const model::GroupId> visited;
  int max_hops = 8;
  std::span<const model::UserId> users;
  int forwards = 0;
  /// Facts of a user about to be rung; unset: registered and not on a call.
  std::function<UserFacts(model::UserId)> facts;
  std::span<const model::IvrMenuId> menus;
};

/// One step and what it went through to get there.
struct Step {
  Action action;
  /// Groups the step passed through or enters, in order, to add to FlowState::visited
  /// (a closed group counts: the call was offered to it).
  std::vector<model::GroupId> entered;
  /// The last group the call left on the way, why, and the destination it took there (the
  /// CDR's fallback fields); unset when no group was left.
  std::optional<model::GroupId> left_group;
  std::optional<LeaveReason> left_because;
  std::optional<model::Destination> left_to;
  /// Whether the user or number reached is a group's fallback (answered_by, disposition).
  bool via_fallback = false;
  /// Users the step rings or forwarded from, in order, to add to FlowState::users.
  std::vector<model::UserId> users;
  /// Forwards the step followed (to add to FlowState::forwards), and the first of them:
  /// whose forwarding and why (the CDR's forwarded_from and forward_reason).
  int forwards = 0;
  std::optional<model::UserId> forwarded_from;
  std::optional<model::ForwardReason> forward_reason;
  /// IVR menus the step enters (EnterIvr), to add to FlowState::menus.
  std::vector<model::IvrMenuId> menus;
};

/// Where a call for `destination` goes at `now_ms` (unix ms). `from_group`: the group whose
/// fallback or closed destination it is (nullopt for an inbound route's destination).
Step route(const model::Snapshot& snapshot, const model::Destination& destination,
           std::optional<model::GroupId> from_group, const FlowState& state, std::int64_t now_ms);

/// Where a call for `user`, which rang the user directly (RingUser), goes on `reason`:
/// kBusy (every phone answered 486/600/603), kNoAnswer (RingUser::no_answer_s passed) or
/// kUnavailable (every phone failed otherwise). nullopt when the user has no forwarding for
/// it: the call ends as it would have without forwarding. Group calls never ask.
std::optional<Step> forward(const model::Snapshot& snapshot, model::UserId user,
                            model::ForwardReason reason, const FlowState& state,
                            std::int64_t now_ms);

/// Where a call goes when it leaves group `group` for `reason`: the closed destination
/// (default: the group's voicemail) when closed, else the fallback; the end when none.
Step leave(const model::Snapshot& snapshot, model::GroupId group, LeaveReason reason,
           const FlowState& state, std::int64_t now_ms);

/// The caller ID an outside call presents (the From user part): the rule's choice, else
/// `as_group`'s outbound caller ID, else the caller's own user part. `group` is set to the
/// group whose ID it is, if any.
std::string present_caller_id(const model::Snapshot& snapshot, const OutboundPlan& plan,
                              std::optional<model::GroupId> as_group,
                              std::string_view caller_user_part,
                              std::optional<model::GroupId>* group);

}  // namespace cohort::routing
