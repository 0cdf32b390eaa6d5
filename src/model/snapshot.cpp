#include "model/snapshot.hpp"

#include <string.h>

#include <algorithm>
#include <cassert>

#include "common/text.hpp"

namespace cohort::model {
namespace {

using IdVector = std::vector<std::int64_t>;

/// `ids` with `added` inserted and `removed` erased, as a new vector; `ids` itself when
/// nothing changes, so versions that add or delete nothing share one list. One linear
/// merge instead of an insert per id keeps a bulk load (100k users in one patch) O(n log n).
std::shared_ptr<const IdVector> merge_ids(const std::shared_ptr<const IdVector>& ids,
                                          IdVector added, IdVector removed) {
  if (added.empty() && removed.empty()) {
    return ids;
  }
  std::sort(added.begin(), added.end());
  std::sort(removed.begin(), removed.end());
  static const IdVector kNone;
  const IdVector& old = ids ? *ids : kNone;

  auto out = std::make_shared<IdVector>();
  out->reserve(old.size() + added.size());
  auto a = added.begin();
  auto r = removed.begin();
  for (std::int64_t id : old) {
    while (a != added.end() && *a < id) {
      out->push_back(*a++);
    }
    while (r != removed.end() && *r < id) {
      ++r;
    }
    if (r != removed.end() && *r == id) {
      continue;
    }
    out->push_back(id);
  }
  out->insert(out->end(), a, added.end());
  return out;
}

/// Erases `key` only while it still maps to `owner`: within one patch another object may
/// already have taken the key over (two users swapping extensions).
template <class Map, class V>
void erase_if_owned(Map& map, const std::string& key, const V& owner) {
  if (const auto* current = map.find(key); current != nullptr && *current == owner) {
    map.erase(key);
  }
}

std::string search_key_of(const User& u) {
  std::string key = text::ascii_lower(u.name);
  key.push_back('\n');  // cannot occur in a name or an e-mail: a needle never spans both
  key += text::ascii_lower(u.email);
  return key;
}

}  // namespace

const User* Snapshot::user(UserId id) const {
  const auto* entry = users_.find(id);
  return entry != nullptr ? (*entry)->user.get() : nullptr;
}

const User* Snapshot::user_by_extension(std::string_view extension) const {
  const auto* owner = extensions_.find(extension);
  if (owner == nullptr || owner->kind != ExtensionOwner::Kind::kUser) {
    return nullptr;
  }
  return user(owner->id);
}

const User* Snapshot::user_by_email(std::string_view email) const {
  const auto* id = emails_.find(text::ascii_lower(email));
  return id != nullptr ? user(*id) : nullptr;
}

const Group* Snapshot::group(GroupId id) const {
  const auto* g = groups_.find(id);
  return g != nullptr ? g->get() : nullptr;
}

const Group* Snapshot::group_by_extension(std::string_view extension) const {
  const auto* owner = extensions_.find(extension);
  if (owner == nullptr || owner->kind != ExtensionOwner::Kind::kGroup) {
    return nullptr;
  }
  return group(owner->id);
}

const Group* Snapshot::group_by_name(std::string_view name) const {
  const auto* id = group_names_.find(text::ascii_lower(name));
  return id != nullptr ? group(*id) : nullptr;
}

std::optional<ExtensionOwner> Snapshot::extension_owner(std::string_view extension) const {
  const auto* owner = extensions_.find(extension);
  if (owner == nullptr) {
    return std::nullopt;
  }
  return *owner;
}

const OutboundRule* Snapshot::outbound_rule(OutboundRuleId id) const {
  for (const OutboundRule& r : outbound_rules()) {
    if (r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

const InboundRoute* Snapshot::inbound_route(InboundRouteId id) const {
  for (const InboundRoute& r : inbound_routes()) {
    if (r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

const Schedule* Snapshot::schedule(ScheduleId id) const {
  const auto* s = schedules_.find(id);
  return s != nullptr ? s->get() : nullptr;
}

const Schedule* Snapshot::schedule_by_name(std::string_view name) const {
  // Schedules are few (one per site or team): a scan spares an index kept in step.
  const std::string wanted = text::ascii_lower(name);
  for (ScheduleId id : schedule_ids()) {
    const Schedule* s = schedule(id);
    if (s != nullptr && text::ascii_lower(s->name) == wanted) {
      return s;
    }
  }
  return nullptr;
}

const IvrMenu* Snapshot::ivr_menu(IvrMenuId id) const {
  const auto* m = ivr_menus_.find(id);
  return m != nullptr ? m->get() : nullptr;
}

const IvrMenu* Snapshot::ivr_menu_by_name(std::string_view name) const {
  // Menus are few (a main menu and a handful of sub-menus): a scan, like schedules.
  const std::string wanted = text::ascii_lower(name);
  for (IvrMenuId id : ivr_menu_ids()) {
    const IvrMenu* m = ivr_menu(id);
    if (m != nullptr && text::ascii_lower(m->name) == wanted) {
      return m;
    }
  }
  return nullptr;
}

const Trunk* Snapshot::trunk(TrunkId id) const {
  const auto* t = trunks_.find(id);
  return t != nullptr ? t->get() : nullptr;
}

const ApiToken* Snapshot::token(TokenId id) const {
  const auto* t = tokens_.find(id);
  return t != nullptr ? t->get() : nullptr;
}

const ApiToken* Snapshot::token_by_secret_hash(std::string_view sha256_hex) const {
  const auto* t = tokens_by_hash_.find(sha256_hex);
  return t != nullptr ? t->get() : nullptr;
}

std::span<const Member> Snapshot::members(GroupId group) const {
  const auto* list = members_.find(group);
  return list != nullptr ? std::span<const Member>(**list) : std::span<const Member>();
}

std::span<const UserMembership> Snapshot::groups_of(UserId user) const {
  const auto* list = groups_of_.find(user);
  return list != nullptr ? std::span<const UserMembership>(**list)
                         : std::span<const UserMembership>();
}

std::shared_ptr<const Snapshot::UserSearchText> Snapshot::user_search_text() const {
  if (auto built = user_search_->text.load(std::memory_order_acquire)) {
    return built;
  }
  auto built = std::make_shared<UserSearchText>();
  auto ids = user_ids();
  built->ids.assign(ids.begin(), ids.end());
  built->starts.reserve(ids.size() + 1);
  for (UserId id : ids) {
    built->starts.push_back(static_cast<std::uint32_t>(built->text.size()));
    built->text += user_search_key(id);
    built->text.push_back('\n');
  }
  built->starts.push_back(static_cast<std::uint32_t>(built->text.size()));
  std::shared_ptr<const UserSearchText> result = std::move(built);
  user_search_->text.store(result, std::memory_order_release);
  return result;
}

void Snapshot::search_users(std::string_view needle, UserId after,
                            const std::function<bool(UserId)>& visit) const {
  if (needle.find('\n') != std::string_view::npos) {
    return;  // the separator: no key contains it
  }
  auto ids = user_ids();
  auto first = std::upper_bound(ids.begin(), ids.end(), after);
  if (needle.empty()) {
    for (auto it = first; it != ids.end(); ++it) {
      if (!visit(*it)) {
        return;
      }
    }
    return;
  }
  std::shared_ptr<const UserSearchText> s = user_search_text();
  const char* text = s->text.data();
  const std::size_t size = s->text.size();
  std::size_t pos = s->starts[static_cast<std::size_t>(first - ids.begin())];
  while (pos < size) {
    const void* hit = ::memmem(text + pos, size - pos, needle.data(), needle.size());
    if (hit == nullptr) {
      return;
    }
    auto offset = static_cast<std::uint32_t>(static_cast<const char*>(hit) - text);
    std::size_t entry =
        static_cast<std::size_t>(std::upper_bound(s->starts.begin(), s->starts.end(), offset) -
                                 s->starts.begin()) -
        1;
    if (!visit(s->ids[entry])) {
      return;
    }
    pos = s->starts[entry + 1];  // one visit per user, however often it matches
  }
}

std::string_view Snapshot::user_search_key(UserId id) const {
  const auto* entry = users_.find(id);
  return entry != nullptr ? std::string_view((*entry)->search_key) : std::string_view();
}

Snapshot Snapshot::apply(const SnapshotPatch& patch) const {
  // Copying shares every shard and id list; the writes below clone only what they touch.
  Snapshot next = *this;
  ++next.version_;

  // Pass 1: drop the index entries of the old state of every touched user and group before
  // adding any new one. Extensions are shared between users and groups, so one object may
  // take over a key another one releases in the same patch, in either order.
  for (const auto& [id, u] : patch.users) {
    const auto* old = users_.find(id);
    if (old == nullptr) {
      continue;
    }
    const User& o = *(*old)->user;
    erase_if_owned(next.extensions_, o.extension, ExtensionOwner{ExtensionOwner::Kind::kUser, id});
    erase_if_owned(next.emails_, text::ascii_lower(o.email), id);
  }
  for (const auto& [id, g] : patch.groups) {
    const auto* old = groups_.find(id);
    if (old == nullptr) {
      continue;
    }
    const Group& o = **old;
    if (o.extension) {
      erase_if_owned(next.extensions_, *o.extension,
                     ExtensionOwner{ExtensionOwner::Kind::kGroup, id});
    }
    erase_if_owned(next.group_names_, text::ascii_lower(o.name), id);
  }

  // Pass 2: the new states and their index entries.
  IdVector added;
  IdVector removed;
  std::vector<UserId> deleted_users;
  for (const auto& [id, u] : patch.users) {
    const bool existed = users_.find(id) != nullptr;
    if (!u) {
      if (existed) {
        next.users_.erase(id);
        removed.push_back(id);
        deleted_users.push_back(id);
      }
      continue;
    }
    assert(u->id == id);
    next.users_.set(id, std::make_shared<const UserEntry>(
                            UserEntry{std::make_shared<const User>(*u), search_key_of(*u)}));
    if (!u->extension.empty()) {
      next.extensions_.set(u->extension, ExtensionOwner{ExtensionOwner::Kind::kUser, id});
    }
    if (!u->email.empty()) {
      next.emails_.set(text::ascii_lower(u->email), id);
    }
    if (!existed) {
      added.push_back(id);
    }
  }
  next.user_ids_ = merge_ids(user_ids_, std::move(added), std::move(removed));
  if (!patch.users.empty()) {
    next.user_search_ = std::make_shared<const UserSearchSlot>();
  }

  added.clear();
  removed.clear();
  std::vector<GroupId> deleted_groups;
  for (const auto& [id, g] : patch.groups) {
    const bool existed = groups_.find(id) != nullptr;
    if (!g) {
      if (existed) {
        next.groups_.erase(id);
        removed.push_back(id);
        deleted_groups.push_back(id);
      }
      continue;
    }
    assert(g->id == id);
    next.groups_.set(id, std::make_shared<const Group>(*g));
    if (g->extension && !g->extension->empty()) {
      next.extensions_.set(*g->extension, ExtensionOwner{ExtensionOwner::Kind::kGroup, id});
    }
    next.group_names_.set(text::ascii_lower(g->name), id);
    if (!existed) {
      added.push_back(id);
    }
  }
  next.group_ids_ = merge_ids(group_ids_, std::move(added), std::move(removed));

  added.clear();
  removed.clear();
  for (const auto& [id, t] : patch.trunks) {
    const bool existed = trunks_.find(id) != nullptr;
    if (!t) {
      if (existed) {
        next.trunks_.erase(id);
        removed.push_back(id);
      }
      continue;
    }
    next.trunks_.set(id, std::make_shared<const Trunk>(*t));
    if (!existed) {
      added.push_back(id);
    }
  }
  next.trunk_ids_ = merge_ids(trunk_ids_, std::move(added), std::move(removed));

  added.clear();
  removed.clear();
  for (const auto& [id, t] : patch.tokens) {
    const auto* old = tokens_.find(id);
    if (old != nullptr) {
      const std::string& old_hash = (*old)->secret_sha256;
      if (const auto* by_hash = next.tokens_by_hash_.find(old_hash);
          by_hash != nullptr && (*by_hash)->id == id) {
        next.tokens_by_hash_.erase(old_hash);
      }
    }
    if (!t) {
      if (old != nullptr) {
        next.tokens_.erase(id);
        removed.push_back(id);
      }
      continue;
    }
    auto token = std::make_shared<const ApiToken>(*t);
    next.tokens_.set(id, token);
    next.tokens_by_hash_.set(token->secret_sha256, token);
    if (old == nullptr) {
      added.push_back(id);
    }
  }
  next.token_ids_ = merge_ids(token_ids_, std::move(added), std::move(removed));

  added.clear();
  removed.clear();
  for (const auto& [id, sc] : patch.schedules) {
    const bool existed = schedules_.find(id) != nullptr;
    if (!sc) {
      if (existed) {
        next.schedules_.erase(id);
        removed.push_back(id);
      }
      continue;
    }
    assert(sc->id == id);
    next.schedules_.set(id, std::make_shared<const Schedule>(*sc));
    if (!existed) {
      added.push_back(id);
    }
  }
  next.schedule_ids_ = merge_ids(schedule_ids_, std::move(added), std::move(removed));

  added.clear();
  removed.clear();
  for (const auto& [id, m] : patch.ivr_menus) {
    const bool existed = ivr_menus_.find(id) != nullptr;
    if (!m) {
      if (existed) {
        next.ivr_menus_.erase(id);
        removed.push_back(id);
      }
      continue;
    }
    assert(m->id == id);
    next.ivr_menus_.set(id, std::make_shared<const IvrMenu>(*m));
    if (!existed) {
      added.push_back(id);
    }
  }
  next.ivr_menu_ids_ = merge_ids(ivr_menu_ids_, std::move(added), std::move(removed));

  if (patch.outbound_rules) {
    next.outbound_rules_ = std::make_shared<const std::vector<OutboundRule>>(*patch.outbound_rules);
  }
  if (patch.inbound_routes) {
    next.inbound_routes_ = std::make_shared<const std::vector<InboundRoute>>(*patch.inbound_routes);
  }

  // Memberships: each list replaces the previous one whole. The count is kept from the
  // group side only, so a membership present in both views is counted once.
  for (const auto& [gid, list] : patch.members) {
    std::size_t old_size = 0;
    if (const auto* old = next.members_.find(gid); old != nullptr) {
      old_size = (*old)->size();
    }
    if (list.empty()) {
      next.members_.erase(gid);
    } else {
      next.members_.set(gid, std::make_shared<const std::vector<Member>>(list));
    }
    next.membership_count_ = next.membership_count_ - old_size + list.size();
  }
  for (const auto& [uid, list] : patch.groups_of) {
    if (list.empty()) {
      next.groups_of_.erase(uid);
    } else {
      next.groups_of_.set(uid, std::make_shared<const std::vector<UserMembership>>(list));
    }
  }
  // A deleted object has no memberships, whether or not the patch spelled out its empty
  // list. The other side (a deleted group in its users' lists) carries renumbered
  // positions only the store knows, so the patch must bring those lists itself.
  for (GroupId gid : deleted_groups) {
    if (const auto* old = next.members_.find(gid); old != nullptr) {
      next.membership_count_ -= (*old)->size();
      next.members_.erase(gid);
    }
  }
  for (UserId uid : deleted_users) {
    next.groups_of_.erase(uid);
  }
  return next;
}

}  // namespace cohort::model
