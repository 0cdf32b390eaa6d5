#pragma once
// The domain values of the foundation: User, Group, Membership, Trunk, ApiToken.
// Plain regular structs; the store fills them, the snapshot shares them immutably.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

struct User {
  UserId id = 0;
  std::string name;
  std::string email;
  std::string extension;
  std::optional<std::string> caller_id;
  Role role = Role::kAgent;
  bool active = true;
  DigestCredentials digest;
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
  std::optional<Destination> fallback;
  bool cti_scope = false;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const Group&) const = default;
};

/// A user's place in a group, seen from the group.
struct Member {
  UserId user = 0;
  int position = 0;  ///< 1-based, dense inside a group; the `sequential` order
  std::int64_t joined_at = 0;
  bool operator==(const Member&) const = default;
};

/// The same membership seen from the user.
struct UserMembership {
  GroupId group = 0;
  int position = 0;
  std::int64_t joined_at = 0;
  bool operator==(const UserMembership&) const = default;
};

/// A SIP trunk. Only the name for now; the calls issue adds host, credentials, limits.
struct Trunk {
  TrunkId id = 0;
  std::string name;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool operator==(const Trunk&) const = default;
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
