#pragma once
// The calls whose phones ring now, across the shards: what a call pickup (`*8`, `**EXT`,
// docs/life-of-a-call.md §4c) looks for before its INVITE is dispatched, so that the
// picker's call is handled on the shard of the call it takes. A small map under a mutex,
// held only for an update or a lookup, never across I/O; a call is listed from its first
// ringing phone until it is answered or ends. The owning shard checks again what it finds
// here (a call may have been answered meanwhile).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "model/ids.hpp"

namespace cohort::pbx {

class RingingCalls {
 public:
  /// Call `call` of shard `shard` rings `user`'s phones, for `group` when a group offers it.
  void ringing(std::size_t shard, std::uint64_t call, std::optional<model::GroupId> group,
               model::UserId user, std::int64_t now_ms);
  /// The call was answered or ended.
  void stopped(std::uint64_t call);

  /// The shard of the oldest call ringing `user`'s phones.
  std::optional<std::size_t> shard_ringing(model::UserId user) const;
  /// The shard of the oldest call a group of `groups` offers.
  std::optional<std::size_t> shard_offered_by(std::span<const model::GroupId> groups) const;

 private:
  struct Entry {
    std::size_t shard = 0;
    std::optional<model::GroupId> group;
    std::vector<model::UserId> users;
    std::int64_t since_ms = 0;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, Entry> calls_;
};

}  // namespace cohort::pbx
