#pragma once
// The domain values of the foundation: User, Group, Membership, Trunk, ApiToken.
// Plain regular structs; the store fills them, the snapshot shares them immutably.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/destination.hpp"
#include "model/ids.hpp"

namespace cohort::model {

enum class Role { kAdmin, kSupervisor, kAgent };
std::string_view to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

enum class RingStrategy {
  kSimultaneous,
  kRoundRobin,
  kLeastRecent,
  kSequential,
  kFewestCalls,
  kRandom
};
std::string_view to_string(RingStrategy s);
std::optional<RingStrategy> parse_ring_strategy(std::string_view s);

/// Where an automatic pause applies: the membership of the group whose calls were missed,
/// or the user in every group (docs/routing.md "Auto-pause").
enum class AutoPauseScope { kGroup, kAll };
std::string_view to_string(AutoPauseScope s);
std::optional<AutoPauseScope> parse_auto_pause_scope(std::string_view s);
/// The largest auto_pause_after the API accepts.
inline constexpr int kMaxAutoPauseAfter = 100;

/// What a caller waiting for a group hears until a member answers (issue 13): ringback (the
/// call stays unanswered), early media (183 with Cohort's waiting music), or Cohort answers
/// (200) and plays the music.
enum class WaitingMode { kRingback, kEarlyMedia, kAnswer };
std::string_view to_string(WaitingMode m);
std::optional<WaitingMode> parse_waiting_mode(std::string_view s);

/// Digest credentials derived from the SIP password; the password itself is never kept.
/// HA1 = H(username ":" realm ":" password) with username = the user's extension.
struct DigestCredentials {
  std::string realm;       ///< realm the HA1 values were computed under; empty = no password
  std::string ha1_md5;     ///< RFC 2617
  std::string ha1_sha256;  ///< RFC 7616 / RFC 8760
  bool operator==(const DigestCredentials&) const = default;
  bool empty() const { return realm.empty(); }
};
DigestCredentials make_digest_credentials(std::string_view username, std::string_view realm,
                                          std::string_view password);

/// Seconds a user rings before its no-answer forwarding takes the call, and the bounds.
inline constexpr int kDefaultForwardNoAnswerS = 20;
inline constexpr int kMinForwardNoAnswerS = 5;
inline constexpr int kMaxForwardNoAnswerS = 300;

struct User {
  UserId id = 0;
  std::string name;
  std::string email;
  std::string extension;
  std::optional<std::string> caller_id;
  Role role = Role::kAgent;
  bool active = true;
  /// Paused everywhere (`PUT /users/{id}/status`): offered no group call until resumed.
  bool paused = false;
  std::string pause_reason;
  /// Do not disturb (`PUT /users/{id}/status` {"status": "dnd"}): calls to the user get
  /// 486 Busy Here, group calls leave the user out. Independent of the pause.
  bool dnd = false;
  /// Call forwarding (`PUT /users/{id}/forwarding`, docs/routing.md "Call forwarding"):
  /// where calls for the user go always, when it is busy (or on do-not-disturb), and when
  /// it does not answer within `forward_no_answer_s` (or cannot be reached). A user, a
  /// group or a number; none = not forwarded. Group calls offered to the user ignore them.
  std::optional<Destination> forward_always;
  std::optional<Destination> forward_busy;
  std::optional<Destination> forward_no_answer;
  int forward_no_answer_s = kDefaultForwardNoAnswerS;
  DigestCredentials digest;
  /// The console password as an argon2id string (`$argon2id$v=19$m=…`); empty = none. The
  /// password itself is never kept.
  std::string password_hash;
  std::int64_t created_at = 0;  ///< unix seconds
  std::int64_t updated_at = 0;
  bool operator==(const User&) const = default;
};

struct Group {
  GroupId id = 0;
  std::string name;
  std::string description;
  std::optional<std::string> extension;
  std::optional<std::string> outbound_caller_id;
  std::optional<TrunkId> trunk;
  RingStrategy ring_strategy = RingStrategy::kSimultaneous;
  int ring_timeout_s = 20;
  int max_wait_s = 120;
  int wrap_up_s = 0;
  bool ring_in_use = false;       ///< offer calls to members already on a call
  bool skip_unregistered = true;  ///< leave out members without a registered binding
  std::optional<Destination> fallback;
  std::optional<ScheduleId> schedule;  ///< business hours; none = always open
  /// Where calls go while the schedule says closed; nullopt = the group's voicemail.
  std::optional<Destination> closed_destination;
  bool cti_scope = false;
  /// Auto-pause: a member who misses this many of the group's calls in a row is paused;
  /// 0 = never.
  int auto_pause_after = 0;
  /// Auto-pause: a member whose phone does not respond at all is paused at once.
  bool auto_pause_unreachable = false;
  AutoPauseScope auto_pause_scope = AutoPauseScope::kGroup;
  /// What a waiting caller hears (issue 13).
  WaitingMode waiting_mode = WaitingMode::kRingback;
  /// Announce the caller's position in line every this many seconds; 0 = never.
  int announce_position_every_s = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const Group&) const = default;
};

/// A user's place in a group, seen from the group.
struct Member {
  UserId user = 0;
  int position = 0;  ///< 1-based, dense inside a group; the `sequential` order
  std::int64_t joined_at = 0;
  bool paused = false;  ///< paused for this group only
  std::string pause_reason;
  bool operator==(const Member&) const = default;
};

/// The same membership seen from the user.
struct UserMembership {
  GroupId group = 0;
  int position = 0;
  std::int64_t joined_at = 0;
  bool paused = false;
  std::string pause_reason;
  bool operator==(const UserMembership&) const = default;
};

enum class TrunkTransport { kUdp, kTcp };
std::string_view to_string(TrunkTransport t);
std::optional<TrunkTransport> parse_trunk_transport(std::string_view s);

/// Where a trunk call's RTP goes (issue 13): `kRelay` anchors it at Cohort (Cohort's address
/// and ports in the SDP toward the provider, RTP relayed), `kDirect` passes the phone's SDP
/// to the provider unchanged (RTP phone <-> provider).
enum class TrunkMedia : std::uint8_t { kRelay, kDirect };
std::string_view to_string(TrunkMedia m);
std::optional<TrunkMedia> parse_trunk_media(std::string_view s);

/// A SIP trunk: the provider Cohort sends outside calls to (and, through `inbound_sources`,
/// accepts calls from). The password is kept as given: answering the provider's challenge
/// needs it (the API never returns it).
struct Trunk {
  TrunkId id = 0;
  std::string name;
  std::string host;  ///< provider host name or address; empty = not usable for calls
  int port = 5060;
  TrunkTransport transport = TrunkTransport::kUdp;
  std::string username;  ///< digest user (and the REGISTER AOR user); empty = no auth
  std::string password;
  std::optional<std::string> auth_realm;  ///< answer only challenges of this realm
  bool register_enabled = false;  ///< JSON "register": keep a registration with the provider
  int register_expires_s = 3600;
  std::string from_domain;       ///< host part of From on calls out; empty = `host`
  int max_concurrent_calls = 0;  ///< 0 = unlimited
  /// Addresses or CIDR blocks whose requests are this trunk's (inbound calls).
  std::vector<std::string> inbound_sources;
  TrunkMedia media = TrunkMedia::kRelay;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const Trunk&) const = default;
};

enum class CallerIdPolicy { kGroup, kUser, kFixed };
std::string_view to_string(CallerIdPolicy p);
std::optional<CallerIdPolicy> parse_caller_id_policy(std::string_view s);

/// What an outbound rule presents as the caller: the matched group's outbound caller ID,
/// the user's own, or a fixed value.
struct CallerIdSetting {
  CallerIdPolicy policy = CallerIdPolicy::kUser;
  std::string value;  ///< kFixed only
  bool operator==(const CallerIdSetting&) const = default;
};

/// An ordered rule that sends matching outside numbers out through trunks.
struct OutboundRule {
  OutboundRuleId id = 0;
  std::string name;
  int position = 0;  ///< 1-based, dense; rules are tried in this order
  /// Dial patterns ("_NXXXXXX", "_9.", "_0[1-5]X!") or literal numbers; the rule matches a
  /// number that any of them matches. Empty matches nothing.
  std::vector<std::string> patterns;
  std::vector<GroupId> caller_groups;  ///< condition: caller in any of these groups
  std::vector<UserId> caller_users;    ///< condition: caller is one of these users
  int strip = 0;                       ///< leading digits removed from the dialled number
  std::string prepend;                 ///< then added in front
  std::vector<TrunkId> trunks;         ///< tried in order
  /// nullopt = the default: `group` when caller_groups is set, `user` otherwise.
  std::optional<CallerIdSetting> caller_id;
  /// Calls that arrived from a trunk may leave through this rule (toll-fraud guard: off by
  /// default, so a trunk call never goes back out unless a rule says so).
  bool allow_trunk_callers = false;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const OutboundRule&) const = default;
};

/// An ordered rule that sends calls arriving from trunks to a destination by the number
/// dialled (the DID) and, optionally, the caller's number and the trunk.
struct InboundRoute {
  InboundRouteId id = 0;
  std::string name;
  int position = 0;                   ///< 1-based, dense; routes are tried in this order
  std::string did;                    ///< dial pattern or literal number (DialPattern syntax)
  std::optional<std::string> caller;  ///< dial pattern the caller's number must match
  std::optional<TrunkId> trunk;       ///< only calls from this trunk
  Destination destination = DestHangup{};
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const InboundRoute&) const = default;
};

/// Days of the week as bits: Monday = bit 0 … Sunday = bit 6.
enum Weekday : std::uint8_t {
  kMon = 1,
  kTue = 2,
  kWed = 4,
  kThu = 8,
  kFri = 16,
  kSat = 32,
  kSun = 64
};

/// An open interval on some days of the week, in the schedule's local time. Minutes after
/// local midnight; `to_min` <= `from_min` crosses midnight (open until `to_min` the next
/// day); from == to is open the whole day.
struct WeeklyInterval {
  std::uint8_t days = 0;  ///< Weekday bits
  int from_min = 0;
  int to_min = 0;
  bool operator==(const WeeklyInterval&) const = default;
};

/// Closed dates, inclusive, as yyyymmdd integers. `yearly` compares month and day only (a
/// range may then wrap the year end: 12-24 … 01-02).
struct Holiday {
  std::string name;
  int from = 0;  ///< yyyymmdd
  int to = 0;    ///< yyyymmdd, >= from unless yearly
  bool yearly = false;
  bool operator==(const Holiday&) const = default;
};

enum class ScheduleOverride { kAuto, kOpen, kClosed };
std::string_view to_string(ScheduleOverride o);
std::optional<ScheduleOverride> parse_schedule_override(std::string_view s);

/// Business hours: open during the weekly intervals, except on holidays, unless overridden.
struct Schedule {
  ScheduleId id = 0;
  std::string name;
  std::string timezone = "UTC";  ///< IANA name
  std::vector<WeeklyInterval> weekly;
  std::vector<Holiday> holidays;
  ScheduleOverride override_mode = ScheduleOverride::kAuto;  ///< JSON "override"
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const Schedule&) const = default;
};

/// A bearer token acting as a user; only the SHA-256 of the secret is kept.
struct ApiToken {
  TokenId id = 0;
  UserId user = 0;
  std::string secret_sha256;
  std::int64_t created_at = 0;
  bool operator==(const ApiToken&) const = default;
};

/// Who owns an extension: extensions are unique across users and groups.
struct ExtensionOwner {
  enum class Kind { kUser, kGroup };
  Kind kind = Kind::kUser;
  std::int64_t id = 0;
  bool operator==(const ExtensionOwner&) const = default;
};

}  // namespace cohort::model
