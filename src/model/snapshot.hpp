#pragma once
// The immutable configuration snapshot. Every committed change publishes a new one
// (std::shared_ptr<const Snapshot>); readers hold the pointer they loaded and never lock.
// A new snapshot is derived from the previous one by a SnapshotPatch that names every
// object a transaction touched, with its state after the commit; unchanged parts are
// shared between versions (see CowMap).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/cow_map.hpp"
#include "model/entities.hpp"
#include "model/ivr_menu.hpp"

namespace cohort::model {

/// Everything one transaction changed, as the state after commit. `nullopt` = deleted.
/// Member lists are complete and ordered by position; an empty list = no members.
struct SnapshotPatch {
  std::vector<std::pair<UserId, std::optional<User>>> users;
  std::vector<std::pair<GroupId, std::optional<Group>>> groups;
  std::vector<std::pair<TrunkId, std::optional<Trunk>>> trunks;
  std::vector<std::pair<TokenId, std::optional<ApiToken>>> tokens;
  std::vector<std::pair<GroupId, std::vector<Member>>> members;           ///< per group
  std::vector<std::pair<UserId, std::vector<UserMembership>>> groups_of;  ///< per user
  /// The whole ordered list of outbound rules, when any rule changed.
  std::optional<std::vector<OutboundRule>> outbound_rules;
  /// The whole ordered list of inbound routes, when any route changed.
  std::optional<std::vector<InboundRoute>> inbound_routes;
  std::vector<std::pair<ScheduleId, std::optional<Schedule>>> schedules;
  std::vector<std::pair<IvrMenuId, std::optional<IvrMenu>>> ivr_menus;
  bool empty() const {
    return users.empty() && groups.empty() && trunks.empty() && tokens.empty() && members.empty() &&
           groups_of.empty() && !outbound_rules && !inbound_routes && schedules.empty() &&
           ivr_menus.empty();
  }
};

class Snapshot {
 public:
  Snapshot() = default;

  /// Version 0 is the empty snapshot; each applied patch adds one.
  std::uint64_t version() const { return version_; }

  const User* user(UserId id) const;
  const User* user_by_extension(std::string_view extension) const;
  /// Users whose e-mail equals `email` case-insensitively (ASCII).
  const User* user_by_email(std::string_view email) const;
  const Group* group(GroupId id) const;
  const Group* group_by_extension(std::string_view extension) const;
  /// Case-insensitive (ASCII) lookup of a group by name.
  const Group* group_by_name(std::string_view name) const;
  std::optional<ExtensionOwner> extension_owner(std::string_view extension) const;
  const Trunk* trunk(TrunkId id) const;
  const ApiToken* token(TokenId id) const;
  const ApiToken* token_by_secret_hash(std::string_view sha256_hex) const;

  /// Members of a group, ordered by position. Empty for an unknown group.
  std::span<const Member> members(GroupId group) const;
  /// Groups of a user, ordered by group id. Empty for an unknown user.
  std::span<const UserMembership> groups_of(UserId user) const;

  /// Outbound rules ordered by position.
  std::span<const OutboundRule> outbound_rules() const {
    return outbound_rules_ ? std::span<const OutboundRule>(*outbound_rules_)
                           : std::span<const OutboundRule>();
  }
  const OutboundRule* outbound_rule(OutboundRuleId id) const;

  /// Inbound routes ordered by position.
  std::span<const InboundRoute> inbound_routes() const {
    return inbound_routes_ ? std::span<const InboundRoute>(*inbound_routes_)
                           : std::span<const InboundRoute>();
  }
  const InboundRoute* inbound_route(InboundRouteId id) const;

  const Schedule* schedule(ScheduleId id) const;
  /// Case-insensitive (ASCII) lookup of a schedule by name.
  const Schedule* schedule_by_name(std::string_view name) const;

  const IvrMenu* ivr_menu(IvrMenuId id) const;
  /// Case-insensitive (ASCII) lookup of an IVR menu by name.
  const IvrMenu* ivr_menu_by_name(std::string_view name) const;

  /// All ids in ascending order (pagination walks these).
  std::span<const UserId> user_ids() const { return span_of(user_ids_); }
  std::span<const GroupId> group_ids() const { return span_of(group_ids_); }
  std::span<const TrunkId> trunk_ids() const { return span_of(trunk_ids_); }
  std::span<const TokenId> token_ids() const { return span_of(token_ids_); }
  std::span<const ScheduleId> schedule_ids() const { return span_of(schedule_ids_); }
  std::span<const IvrMenuId> ivr_menu_ids() const { return span_of(ivr_menu_ids_); }

  /// Lower-cased "name\nemail" of a user, for case-insensitive search without allocating.
  std::string_view user_search_key(UserId id) const;

  /// Calls `visit` with the ids (ascending, greater than `after`) of the users whose
  /// lower-cased name or e-mail contains `needle` (already lower-cased), until `visit`
  /// returns false. An empty needle matches everyone. Searches one contiguous text built on
  /// the first search after a change of users (concurrent first searches may both build it;
  /// one wins). Any thread.
  void search_users(std::string_view needle, UserId after,
                    const std::function<bool(UserId)>& visit) const;

  std::size_t membership_count() const { return membership_count_; }

  /// A new snapshot: this one with `patch` applied. Cost is proportional to the patch
  /// (plus the shards and id lists it touches), not to the size of the model.
  Snapshot apply(const SnapshotPatch& patch) const;

 private:
  struct UserEntry {
    std::shared_ptr<const User> user;
    std::string search_key;
  };
  using Ids = std::shared_ptr<const std::vector<std::int64_t>>;
  static std::span<const std::int64_t> span_of(const Ids& ids) {
    return ids ? std::span<const std::int64_t>(*ids) : std::span<const std::int64_t>();
  }

  /// All users' search keys, "key\n" each, in id order: one memmem scans them all.
  struct UserSearchText {
    std::string text;
    std::vector<std::uint32_t> starts;  ///< entry i is text[starts[i], starts[i+1])
    std::vector<UserId> ids;
  };
  /// Built lazily; replaced (empty) by every patch that touches users, shared otherwise.
  struct UserSearchSlot {
    mutable std::atomic<std::shared_ptr<const UserSearchText>> text;
  };
  std::shared_ptr<const UserSearchText> user_search_text() const;

  std::uint64_t version_ = 0;
  std::shared_ptr<const UserSearchSlot> user_search_ = std::make_shared<const UserSearchSlot>();
  CowMap<UserId, std::shared_ptr<const UserEntry>> users_;
  CowMap<GroupId, std::shared_ptr<const Group>> groups_;
  CowMap<TrunkId, std::shared_ptr<const Trunk>> trunks_;
  CowMap<TokenId, std::shared_ptr<const ApiToken>, 16> tokens_;
  CowMap<std::string, std::shared_ptr<const ApiToken>, 16> tokens_by_hash_;
  CowMap<std::string, ExtensionOwner> extensions_;
  CowMap<std::string, UserId> emails_;        ///< lower-cased
  CowMap<std::string, GroupId> group_names_;  ///< lower-cased
  CowMap<GroupId, std::shared_ptr<const std::vector<Member>>> members_;
  CowMap<UserId, std::shared_ptr<const std::vector<UserMembership>>> groups_of_;
  Ids user_ids_;
  Ids group_ids_;
  Ids trunk_ids_;
  Ids token_ids_;
  std::shared_ptr<const std::vector<OutboundRule>> outbound_rules_;
  std::shared_ptr<const std::vector<InboundRoute>> inbound_routes_;
  CowMap<ScheduleId, std::shared_ptr<const Schedule>, 16> schedules_;
  Ids schedule_ids_;
  CowMap<IvrMenuId, std::shared_ptr<const IvrMenu>, 16> ivr_menus_;
  Ids ivr_menu_ids_;
  std::size_t membership_count_ = 0;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace cohort::model
