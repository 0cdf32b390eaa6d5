#pragma once
// The registrar's state: every user's bindings in memory, and their writer. A REGISTER's
// changes are applied in memory at once (calls see the new contact immediately) and
// committed to the store by a group-commit writer; the 200 OK is sent by the `durable`
// continuation, after the commit (DESIGN.md: nothing acknowledged is lost to a crash).
// The decisions are registrar_core's (pure); this class owns the lock, the map and the
// writer thread.
//
// Memory: the bindings live packed (one text buffer per binding) in a pool of their own,
// not in the shards' heaps among the transactions that come and go beside them: when a
// burst of registrations ends, the pages its transactions used become free whole and go
// back to the system, instead of being pinned by the bindings between them.
//
// Threading: every method from any thread; one mutex guards the map (held for a map
// operation, never across I/O). The continuations run on the writer thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/errc.hpp"
#include "model/snapshot.hpp"
#include "pbx/group_commit.hpp"
#include "pbx/registrar_core.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

class Registrar {
 public:
  /// What one commit writes: the latest state of every binding changed since the last
  /// commit, per key (a record to upsert, or nullopt to delete). Last write wins.
  struct Batch {
    std::map<std::tuple<model::UserId, std::string, std::string, int>,
             std::optional<store::BindingRecord>>
        changes;
    std::size_t size() const { return changes.size(); }
  };
  using Done = GroupCommit<Batch>::Done;

  /// `store` must outlive the registrar. `host` is the host part of the AORs ("sip:EXT@host").
  Registrar(RegistrarLimits limits, store::BindingStore& store, std::string host);

  /// Start-up: loads the stored bindings of users that still exist (expired ones are
  /// deleted), then starts the writer.
  Result<void> start(const model::Snapshot& snapshot, std::int64_t now_s);
  /// Commits what is queued and stops the writer. Idempotent.
  void stop();

  /// Builds the acknowledgement of a successful REGISTER from its result (the 200 OK).
  using Acknowledge = std::function<Done(const RegisterSuccess&)>;
  /// Applies an authenticated REGISTER (registrar_core::apply_register). When it changed
  /// bindings, the changes are queued for the store with `acknowledge(result)`, which runs
  /// on the writer thread once they are committed. When it changed nothing (a fetch, an
  /// error), nothing is queued and the caller answers at once.
  Expected<RegisterSuccess, RegisterError> apply(const RegisterRequest& request, std::int64_t now_s,
                                                 const Acknowledge& acknowledge);

  /// Drops the expired bindings (memory and store). About once a second.
  void expire(std::int64_t now_s);

  /// Live bindings of `user`, best q first (stable).
  std::vector<Binding> bindings_of(model::UserId user, std::int64_t now_s) const;
  bool has_binding(model::UserId user, std::int64_t now_s) const;
  /// Live bindings of one user or all, ordered by user then contact.
  std::vector<std::pair<model::UserId, store::BindingRecord>> list(
      std::optional<model::UserId> user, std::int64_t now_s) const;
  std::size_t count() const;

  static store::BindingRecord to_record(const Binding& b);
  static Binding from_record(const store::BindingRecord& r, const std::string& aor);

 private:
  /// A binding as kept in memory: the scalars, and every text field in one buffer (each
  /// field a 4-byte length and its bytes: aor, contact, instance_id, call_id, source,
  /// transport, local, user_agent, then the Path values).
  struct Packed {
    explicit Packed(std::pmr::polymorphic_allocator<char> alloc) : text(alloc) {}
    std::pmr::string text;
    std::int64_t expires_at = 0;
    std::int64_t updated_at = 0;
    std::uint32_t cseq = 0;
    std::int32_t reg_id = -1;  ///< -1: none
    std::int32_t q = 1000;
  };
  using PackedList = std::pmr::vector<Packed>;

  Packed pack(const Binding& b);
  static Binding unpack(const Packed& p, model::UserId user);
  static std::vector<Binding> unpack_all(const PackedList& list, model::UserId user);
  /// Replaces the user's bindings by `list` (erases the user when it is empty). Under mu_.
  void store_list(model::UserId user, const std::vector<Binding>& list);

  void queue(const std::vector<BindingChange>& changes, Done durable);
  bool write(Batch& batch);

  RegistrarLimits limits_;
  store::BindingStore& store_;
  std::string host_;
  mutable std::mutex mu_;
  std::pmr::unsynchronized_pool_resource pool_;  ///< under mu_: the bindings' memory
  std::pmr::unordered_map<model::UserId, PackedList> bindings_{&pool_};
  GroupCommit<Batch> writer_;
};

}  // namespace cohort::pbx
