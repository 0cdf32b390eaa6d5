#include "model/entities.hpp"

#include <array>
#include <utility>

#include "common/crypto.hpp"
#include "model/enum_table.hpp"

namespace cohort::model {
namespace {

// One table per enum (enum_table.hpp): to_string and parse read the same rows.
constexpr EnumTable<Role, 3> kRoles{{
    {Role::kAdmin, "admin"},
    {Role::kSupervisor, "supervisor"},
    {Role::kAgent, "agent"},
}};

constexpr EnumTable<ScheduleOverride, 3> kOverrides{{
    {ScheduleOverride::kAuto, "auto"},
    {ScheduleOverride::kOpen, "open"},
    {ScheduleOverride::kClosed, "closed"},
}};
constexpr EnumTable<RingStrategy, 6> kStrategies{{
    {RingStrategy::kSimultaneous, "simultaneous"},
    {RingStrategy::kRoundRobin, "round_robin"},
    {RingStrategy::kLeastRecent, "least_recent"},
    {RingStrategy::kSequential, "sequential"},
    {RingStrategy::kFewestCalls, "fewest_calls"},
    {RingStrategy::kRandom, "random"},
}};

constexpr EnumTable<AutoPauseScope, 2> kAutoPauseScopes{{
    {AutoPauseScope::kGroup, "group"},
    {AutoPauseScope::kAll, "all"},
}};

constexpr EnumTable<WaitingMode, 3> kWaitingModes{{
    {WaitingMode::kRingback, "ringback"},
    {WaitingMode::kEarlyMedia, "early_media"},
    {WaitingMode::kAnswer, "answer"},
}};

constexpr EnumTable<TrunkTransport, 2> kTransports{{
    {TrunkTransport::kUdp, "udp"},
    {TrunkTransport::kTcp, "tcp"},
}};

constexpr EnumTable<TrunkMedia, 2> kTrunkMedia{{
    {TrunkMedia::kRelay, "relay"},
    {TrunkMedia::kDirect, "direct"},
}};

constexpr EnumTable<CallerIdPolicy, 3> kCallerIdPolicies{{
    {CallerIdPolicy::kGroup, "group"},
    {CallerIdPolicy::kUser, "user"},
    {CallerIdPolicy::kFixed, "fixed"},
}};

}  // namespace

std::string_view to_string(Role r) {
  return name_of(kRoles, r);
}

std::optional<Role> parse_role(std::string_view s) {
  return value_of(kRoles, s);
}

std::string_view to_string(RingStrategy s) {
  return name_of(kStrategies, s);
}

std::optional<RingStrategy> parse_ring_strategy(std::string_view s) {
  return value_of(kStrategies, s);
}

std::string_view to_string(AutoPauseScope s) {
  return name_of(kAutoPauseScopes, s);
}

std::optional<AutoPauseScope> parse_auto_pause_scope(std::string_view s) {
  return value_of(kAutoPauseScopes, s);
}

std::string_view to_string(WaitingMode m) {
  return name_of(kWaitingModes, m);
}

std::optional<WaitingMode> parse_waiting_mode(std::string_view s) {
  return value_of(kWaitingModes, s);
}

std::string_view to_string(TrunkTransport t) {
  return name_of(kTransports, t);
}

std::optional<TrunkTransport> parse_trunk_transport(std::string_view s) {
  return value_of(kTransports, s);
}

std::string_view to_string(TrunkMedia m) {
  return name_of(kTrunkMedia, m);
}

std::optional<TrunkMedia> parse_trunk_media(std::string_view s) {
  return value_of(kTrunkMedia, s);
}

std::string_view to_string(CallerIdPolicy p) {
  return name_of(kCallerIdPolicies, p);
}

std::optional<CallerIdPolicy> parse_caller_id_policy(std::string_view s) {
  return value_of(kCallerIdPolicies, s);
}

std::string_view to_string(ScheduleOverride o) {
  return name_of(kOverrides, o);
}

std::optional<ScheduleOverride> parse_schedule_override(std::string_view s) {
  return value_of(kOverrides, s);
}

DigestCredentials make_digest_credentials(std::string_view username, std::string_view realm,
                                          std::string_view password) {
  // RFC 2617 §3.2.2.2 / RFC 7616 §3.4.2: HA1 = H(username ":" realm ":" password). Keeping
  // both hashes lets a phone pick MD5 or SHA-256 without the server storing the password.
  std::string a1;
  a1.reserve(username.size() + realm.size() + password.size() + 2);
  a1.append(username).append(":").append(realm).append(":").append(password);
  DigestCredentials c;
  c.realm = std::string(realm);
  c.ha1_md5 = crypto::md5_hex(a1);
  c.ha1_sha256 = crypto::sha256_hex(a1);
  return c;
}

}  // namespace cohort::model
