// Users, groups, memberships and API tokens: the directory half of a transaction's
// repositories, and the dense member positions they keep.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace cohort::store::sqlite::detail {
namespace {

// ---- SQL -------------------------------------------------------------------------------
// Values are always bound; the texts are the statement cache's keys.

constexpr std::string_view kInsertUser =
    "INSERT INTO users(name, email, extension, caller_id, role, active, paused, pause_reason, "
    "digest_realm, ha1_md5, ha1_sha256, password_hash, dnd, forward_always, forward_busy, "
    "forward_no_answer, forward_no_answer_s, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateUser =
    "UPDATE users SET name = ?, email = ?, extension = ?, caller_id = ?, role = ?, active = ?, "
    "paused = ?, pause_reason = ?, digest_realm = ?, ha1_md5 = ?, ha1_sha256 = ?, "
    "password_hash = ?, dnd = ?, forward_always = ?, forward_busy = ?, forward_no_answer = ?, "
    "forward_no_answer_s = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteUser = "DELETE FROM users WHERE id = ?";
constexpr std::string_view kUserExists = "SELECT 1 FROM users WHERE id = ?";
constexpr std::string_view kTokensOfUser = "SELECT id FROM api_tokens WHERE user_id = ?";
constexpr std::string_view kPositionsOfUser =
    "SELECT group_id, position FROM memberships WHERE user_id = ? ORDER BY group_id";

constexpr std::string_view kInsertGroup =
    "INSERT INTO groups(name, description, extension, outbound_caller_id, trunk_id, "
    "ring_strategy, ring_timeout_s, max_wait_s, wrap_up_s, ring_in_use, skip_unregistered, "
    "fallback, schedule_id, closed_destination, cti_scope, auto_pause_after, "
    "auto_pause_unreachable, auto_pause_scope, waiting_mode, announce_position_every_s, "
    "created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateGroup =
    "UPDATE groups SET name = ?, description = ?, extension = ?, outbound_caller_id = ?, "
    "trunk_id = ?, ring_strategy = ?, ring_timeout_s = ?, max_wait_s = ?, wrap_up_s = ?, "
    "ring_in_use = ?, skip_unregistered = ?, fallback = ?, schedule_id = ?, "
    "closed_destination = ?, cti_scope = ?, auto_pause_after = ?, auto_pause_unreachable = ?, "
    "auto_pause_scope = ?, waiting_mode = ?, announce_position_every_s = ?, updated_at = ? "
    "WHERE id = ?";
constexpr std::string_view kDeleteGroup = "DELETE FROM groups WHERE id = ?";
constexpr std::string_view kGroupExists = "SELECT 1 FROM groups WHERE id = ?";
constexpr std::string_view kUsersOfGroup = "SELECT user_id FROM memberships WHERE group_id = ?";

constexpr std::string_view kInsertToken =
    "INSERT INTO api_tokens(user_id, secret_sha256, created_at) VALUES (?, ?, ?) RETURNING id";
constexpr std::string_view kDeleteToken = "DELETE FROM api_tokens WHERE id = ?";

constexpr std::string_view kCountMembers = "SELECT count(*) FROM memberships WHERE group_id = ?";
constexpr std::string_view kMemberPosition =
    "SELECT position, joined_at FROM memberships WHERE group_id = ? AND user_id = ?";
constexpr std::string_view kInsertMember =
    "INSERT INTO memberships(group_id, user_id, position, joined_at) VALUES (?, ?, ?, ?)";
constexpr std::string_view kSetPosition =
    "UPDATE memberships SET position = ? WHERE group_id = ? AND user_id = ?";
constexpr std::string_view kSetPause =
    "UPDATE memberships SET paused = ?, pause_reason = ? WHERE group_id = ? AND user_id = ?";
constexpr std::string_view kDeleteMember =
    "DELETE FROM memberships WHERE group_id = ? AND user_id = ?";
// Shifts return the members they moved: each one's position changed, so its groups_of
// entry in the snapshot must be rebuilt too.
constexpr std::string_view kShiftUp =
    "UPDATE memberships SET position = position + 1 "
    "WHERE group_id = ?1 AND position >= ?2 AND position <= ?3 RETURNING user_id";
constexpr std::string_view kShiftDown =
    "UPDATE memberships SET position = position - 1 "
    "WHERE group_id = ?1 AND position >= ?2 AND position <= ?3 RETURNING user_id";

}  // namespace

// ---- member positions (TxContext) ------------------------------------------------------

std::int64_t TxContext::member_count(model::GroupId group) {
  auto s = statements_.get(kCountMembers);
  s->bind(1, group);
  s->executeStep();
  return s->getColumn(0).getInt64();
}

std::optional<std::pair<std::int64_t, std::int64_t>> TxContext::position_of(model::GroupId group,
                                                                            model::UserId user) {
  auto s = statements_.get(kMemberPosition);
  s->bind(1, group);
  s->bind(2, user);
  if (!s->executeStep()) {
    return std::nullopt;
  }
  return std::make_pair(s->getColumn(0).getInt64(), s->getColumn(1).getInt64());
}

void TxContext::shift(std::string_view sql, model::GroupId group, std::int64_t from,
                      std::int64_t to) {
  auto s = statements_.get(sql);
  s->bind(1, group);
  s->bind(2, from);
  s->bind(3, to);
  while (s->executeStep()) {
    touched_.groups_of.insert(s->getColumn(0).getInt64());
  }
  touched_.members.insert(group);
}

void TxContext::set_position(model::GroupId group, model::UserId user, std::int64_t position) {
  auto s = statements_.get(kSetPosition);
  s->bind(1, position);
  s->bind(2, group);
  s->bind(3, user);
  s->exec();
  touched_.members.insert(group);
  touched_.groups_of.insert(user);
}

void TxContext::join(model::GroupId group, model::UserId user, std::int64_t position,
                     std::int64_t joined_at) {
  shift(kShiftUp, group, position, kLastPosition);
  auto s = statements_.get(kInsertMember);
  s->bind(1, group);
  s->bind(2, user);
  s->bind(3, position);
  s->bind(4, joined_at);
  s->exec();
  touched_.members.insert(group);
  touched_.groups_of.insert(user);
}

void TxContext::leave(model::GroupId group, model::UserId user, std::int64_t position) {
  {
    auto s = statements_.get(kDeleteMember);
    s->bind(1, group);
    s->bind(2, user);
    s->exec();
  }
  shift(kShiftDown, group, position + 1, kLastPosition);
  touched_.members.insert(group);
  touched_.groups_of.insert(user);
}

// ---- users ---------------------------------------------------------------------------

Result<model::User> Users::create(const model::User& draft) {
  Hints hints{.email = draft.email, .extension = draft.extension};
  return tx_.op("create user", hints, [&]() -> Result<model::User> {
    const std::int64_t now = tx_.now();
    model::UserId id = 0;
    {
      auto s = tx_.st().get(kInsertUser);
      detail::bind_user_fields(*s, 1, draft);
      s->bind(detail::kUserFieldCount + 1, now);
      s->bind(detail::kUserFieldCount + 2, now);
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().users.insert(id);
    return stored(detail::find_user(tx_.st(), id), "user", id);
  });
}

Result<model::User> Users::update(const model::User& u) {
  Hints hints{.email = u.email, .extension = u.extension};
  return tx_.op("update user", hints, [&]() -> Result<model::User> {
    {
      auto s = tx_.st().get(kUpdateUser);
      detail::bind_user_fields(*s, 1, u);
      s->bind(detail::kUserFieldCount + 1, tx_.now());
      s->bind(detail::kUserFieldCount + 2, u.id);
      if (s->exec() == 0) {
        return fail(Error::not_found(fmt::format("user {} not found", u.id)));
      }
    }
    tx_.touched().users.insert(u.id);
    return stored(detail::find_user(tx_.st(), u.id), "user", u.id);
  });
}

Result<void> Users::remove(model::UserId id) {
  return tx_.op("remove user", {}, [&]() -> Result<void> {
    if (!tx_.exists(kUserExists, id)) {
      return fail(Error::not_found(fmt::format("user {} not found", id)));
    }
    // Leave every group explicitly rather than through ON DELETE CASCADE: the groups'
    // positions must be renumbered, which a cascade would not do.
    std::vector<std::pair<model::GroupId, std::int64_t>> places;
    {
      auto s = tx_.st().get(kPositionsOfUser);
      s->bind(1, id);
      while (s->executeStep()) {
        places.emplace_back(s->getColumn(0).getInt64(), s->getColumn(1).getInt64());
      }
    }
    for (const auto& [group, position] : places) {
      tx_.leave(group, id, position);
    }
    {
      // The tokens go by cascade; the snapshot must drop them too.
      auto s = tx_.st().get(kTokensOfUser);
      s->bind(1, id);
      while (s->executeStep()) {
        tx_.touched().tokens.insert(s->getColumn(0).getInt64());
      }
    }
    {
      auto s = tx_.st().get(kDeleteUser);
      s->bind(1, id);
      s->exec();
    }
    tx_.touched().users.insert(id);
    tx_.touched().groups_of.insert(id);
    return {};
  });
}

// ---- groups --------------------------------------------------------------------------

Result<model::Group> Groups::create(const model::Group& draft) {
  return tx_.op("create group", hints_for(draft), [&]() -> Result<model::Group> {
    const std::int64_t now = tx_.now();
    model::GroupId id = 0;
    {
      auto s = tx_.st().get(kInsertGroup);
      detail::bind_group_fields(*s, 1, draft);
      s->bind(detail::kGroupFieldCount + 1, now);
      s->bind(detail::kGroupFieldCount + 2, now);
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().groups.insert(id);
    return stored(detail::find_group(tx_.st(), id), "group", id);
  });
}

Result<model::Group> Groups::update(const model::Group& g) {
  return tx_.op("update group", hints_for(g), [&]() -> Result<model::Group> {
    {
      auto s = tx_.st().get(kUpdateGroup);
      detail::bind_group_fields(*s, 1, g);
      s->bind(detail::kGroupFieldCount + 1, tx_.now());
      s->bind(detail::kGroupFieldCount + 2, g.id);
      if (s->exec() == 0) {
        return fail(Error::not_found(fmt::format("group {} not found", g.id)));
      }
    }
    tx_.touched().groups.insert(g.id);
    return stored(detail::find_group(tx_.st(), g.id), "group", g.id);
  });
}

Result<void> Groups::remove(model::GroupId id) {
  return tx_.op("remove group", {}, [&]() -> Result<void> {
    if (!tx_.exists(kGroupExists, id)) {
      return fail(Error::not_found(fmt::format("group {} not found", id)));
    }
    {
      // Memberships go by cascade; their users' group lists change with them. Positions
      // elsewhere are unaffected: a position is per group.
      auto s = tx_.st().get(kUsersOfGroup);
      s->bind(1, id);
      while (s->executeStep()) {
        tx_.touched().groups_of.insert(s->getColumn(0).getInt64());
      }
    }
    {
      auto s = tx_.st().get(kDeleteGroup);
      s->bind(1, id);
      s->exec();
    }
    tx_.touched().groups.insert(id);
    tx_.touched().members.insert(id);
    return {};
  });
}

Hints Groups::hints_for(const model::Group& g) {
  Hints hints{.extension = g.extension ? std::string_view(*g.extension) : std::string_view(),
              .name = g.name,
              .kind = "group"};
  // The only foreign key a group row carries.
  hints.foreign_key =
      Error::invalid("trunk", fmt::format("trunk {} does not exist", g.trunk.value_or(0)));
  return hints;
}

// ---- memberships ---------------------------------------------------------------------

Result<MembershipRepository::PutResult> Memberships::put(model::GroupId group, model::UserId user,
                                                         std::optional<int> position) {
  return tx_.op("put membership", {}, [&]() -> Result<PutResult> {
    if (!tx_.exists(kGroupExists, group)) {
      return fail(Error::not_found(fmt::format("group {} not found", group)));
    }
    if (!tx_.exists(kUserExists, user)) {
      return fail(Error::not_found(fmt::format("user {} not found", user)));
    }
    const std::int64_t n = tx_.member_count(group);
    const auto current = tx_.position_of(group, user);
    if (!current) {
      const std::int64_t target = position ? std::clamp<std::int64_t>(*position, 1, n + 1) : n + 1;
      const std::int64_t now = tx_.now();
      tx_.join(group, user, target, now);
      return PutResult{{user, static_cast<int>(target), now}, true};
    }
    const auto [at, joined_at] = *current;
    if (!position) {
      return PutResult{{user, static_cast<int>(at), joined_at}, false};
    }
    const std::int64_t target = std::clamp<std::int64_t>(*position, 1, n);
    if (target < at) {
      tx_.shift(kShiftUp, group, target, at - 1);
      tx_.set_position(group, user, target);
    } else if (target > at) {
      tx_.shift(kShiftDown, group, at + 1, target);
      tx_.set_position(group, user, target);
    }
    return PutResult{{user, static_cast<int>(target), joined_at}, false};
  });
}

Result<void> Memberships::remove(model::GroupId group, model::UserId user) {
  return tx_.op("remove membership", {}, [&]() -> Result<void> {
    const auto current = tx_.position_of(group, user);
    if (!current) {
      return fail(
          Error::not_found(fmt::format("user {} is not a member of group {}", user, group)));
    }
    tx_.leave(group, user, current->first);
    return {};
  });
}

Result<model::Member> Memberships::set_pause(model::GroupId group, model::UserId user, bool paused,
                                             const std::string& reason) {
  return tx_.op("pause membership", {}, [&]() -> Result<model::Member> {
    const auto current = tx_.position_of(group, user);
    if (!current) {
      return fail(
          Error::not_found(fmt::format("user {} is not a member of group {}", user, group)));
    }
    const std::string kept = paused ? reason : std::string();
    {
      auto s = tx_.st().get(kSetPause);
      s->bind(1, paused ? 1 : 0);
      s->bind(2, kept);
      s->bind(3, group);
      s->bind(4, user);
      s->exec();
    }
    tx_.touched().members.insert(group);
    tx_.touched().groups_of.insert(user);
    return model::Member{user, static_cast<int>(current->first), current->second, paused, kept};
  });
}

Result<void> Memberships::replace_groups_of(model::UserId user,
                                            const std::vector<model::GroupId>& groups) {
  return tx_.op("replace groups of user", {}, [&]() -> Result<void> {
    if (!tx_.exists(kUserExists, user)) {
      return fail(Error::not_found(fmt::format("user {} not found", user)));
    }
    const std::set<model::GroupId> wanted(groups.begin(), groups.end());
    for (model::GroupId group : wanted) {
      if (!tx_.exists(kGroupExists, group)) {
        return fail(Error::invalid("group_ids", fmt::format("group {} does not exist", group)));
      }
    }
    std::vector<std::pair<model::GroupId, std::int64_t>> places;
    {
      auto s = tx_.st().get(kPositionsOfUser);
      s->bind(1, user);
      while (s->executeStep()) {
        places.emplace_back(s->getColumn(0).getInt64(), s->getColumn(1).getInt64());
      }
    }
    std::set<model::GroupId> kept;
    for (const auto& [group, position] : places) {
      if (wanted.contains(group)) {
        kept.insert(group);
      } else {
        tx_.leave(group, user, position);
      }
    }
    const std::int64_t now = tx_.now();
    for (model::GroupId group : wanted) {
      if (!kept.contains(group)) {
        tx_.join(group, user, tx_.member_count(group) + 1, now);
      }
    }
    return {};
  });
}

// ---- API tokens ----------------------------------------------------------------------

Result<model::ApiToken> Tokens::create(model::UserId user, const std::string& secret_sha256) {
  Hints hints;
  hints.foreign_key = Error::invalid("user", fmt::format("user {} does not exist", user));
  return tx_.op("create token", hints, [&]() -> Result<model::ApiToken> {
    if (!tx_.exists(kUserExists, user)) {
      return fail(*hints.foreign_key);
    }
    model::TokenId id = 0;
    {
      auto s = tx_.st().get(kInsertToken);
      s->bind(1, user);
      s->bind(2, secret_sha256);
      s->bind(3, tx_.now());
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().tokens.insert(id);
    return stored(detail::find_token(tx_.st(), id), "token", id);
  });
}

Result<void> Tokens::remove(model::TokenId id) {
  return tx_.op("remove token", {}, [&]() -> Result<void> {
    {
      auto s = tx_.st().get(kDeleteToken);
      s->bind(1, id);
      if (s->exec() == 0) {
        return fail(Error::not_found(fmt::format("token {} not found", id)));
      }
    }
    tx_.touched().tokens.insert(id);
    return {};
  });
}

}  // namespace cohort::store::sqlite::detail
