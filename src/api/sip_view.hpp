#pragma once
// What the API shows of the SIP side. Defined here and implemented by pbx/ (wired in app/),
// so that api/ does not depend on pbx/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/call_record.hpp"
#include "model/destination.hpp"
#include "model/ids.hpp"

namespace cohort::api {

struct RegistrationView {
  model::UserId user = 0;
  std::string contact;
  std::string source;     ///< "ip:port"
  std::string transport;  ///< "udp" | "tcp"
  std::string user_agent;
  std::int64_t expires_at = 0;  ///< unix seconds
  std::string instance_id;
  int reg_id = -1;
  int q_milli = 1000;
  std::vector<std::string> path;
};

struct BanView {
  std::string address;
  std::int64_t since = 0;  ///< unix seconds
  std::int64_t until = 0;
  std::string reason;
};

/// A trunk's registration with its provider and its load.
struct TrunkStatusView {
  /// "disabled" (register off) | "registering" | "registered" | "failed"
  std::string state = "disabled";
  int last_status = 0;          ///< status of the last final response to REGISTER (0 = none)
  std::string last_reason;      ///< its reason phrase, or "timeout" / "transport error"
  std::int64_t expires_at = 0;  ///< unix seconds, while registered
  std::int64_t updated_at = 0;  ///< unix seconds of the last change
  int active_calls = 0;
};

/// One leg of an active call.
struct LegView {
  std::string role;     ///< "caller" (A leg, toward the caller) | "callee" (B leg)
  std::string call_id;  ///< the leg's SIP Call-ID
  std::string peer;     ///< URI of the far end (the caller's From / the callee's target)
  std::string state;    ///< "trying" | "early" | "confirmed" | "terminated"
};

struct CallView {
  std::string id;  ///< Cohort's call id (also the CDR id)
  model::CallDirection direction = model::CallDirection::kInternal;
  std::string state;  ///< "trying" | "ringing" | "answered" | "ending"
  std::optional<model::UserId> caller_user;
  std::string caller;   ///< the caller's number
  std::string dialled;  ///< the number dialled
  std::optional<model::TrunkId> trunk;
  std::optional<model::GroupId> group;       ///< the group distributing it (or last)
  std::optional<model::UserId> answered_by;  ///< the member who answered
  std::int64_t since_ms = 0;                 ///< unix ms the call arrived
  std::int64_t answered_ms = 0;              ///< unix ms of the answer, 0 = not answered
  std::vector<LegView> legs;
};

/// What a user is doing on the phone right now (shared by all its groups).
struct AgentView {
  bool ringing = false;               ///< offered a group call right now
  int calls = 0;                      ///< calls it is on (or placing)
  std::int64_t last_call_end_ms = 0;  ///< end of its last group call, 0 = none
};

class SipView {
 public:
  virtual ~SipView() = default;
  /// Current (unexpired) bindings, of one user or all, ordered by user then contact. Any thread.
  virtual std::vector<RegistrationView> registrations(std::optional<model::UserId> user) const = 0;
  /// Active bans. Any thread.
  virtual std::vector<BanView> bans() const = 0;
  /// Lifts the ban of `address`; false when there was none. Any thread.
  virtual bool lift_ban(const std::string& address) = 0;
  /// The registration state of trunk `id`; nullopt for an unknown trunk. Any thread.
  virtual std::optional<TrunkStatusView> trunk_status(model::TrunkId id) const = 0;
  /// Active calls, oldest first. Any thread.
  virtual std::vector<CallView> calls() const = 0;
  /// The live state of `user`. Any thread.
  virtual AgentView agent(model::UserId user) const = 0;
  /// `user` was paused or resumed by hand: auto-pause counts its missed calls from zero, in
  /// `group` or (none) in every group. Any thread.
  virtual void reset_missed_calls(model::UserId user, std::optional<model::GroupId> group) = 0;
  /// A message of mailbox (`box`, `id`) was marked heard or unheard, or deleted: the SIP
  /// side reads its counts again and tells the phones (MWI). Any thread.
  virtual void mailbox_changed(model::DestVoicemail::Box box, std::int64_t id) = 0;
};

}  // namespace cohort::api
