#pragma once
// The call records' writer: CDRs and round-robin cursors queued by the SIP threads and
// committed in batches (one transaction each) by a group-commit writer. A record that
// acknowledges something — a call's answer (the 200 OK to the caller) or its end (the
// 200 OK to a BYE) — is queued with a continuation that sends the acknowledgement once the
// record is committed, so a crash never loses a call the caller was told was answered or
// ended.
//
// Threading: every method from any thread; the continuations run on the writer thread.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pbx/group_commit.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

class CallRecords {
 public:
  /// A record is the whole row: when a call's answer and its end are queued before one
  /// commit (a short call, or a commit that waited its spacing), only the end is written.
  struct Batch {
    std::vector<store::CdrRecord> cdrs;                  ///< one per call, the latest
    std::unordered_map<std::string, std::size_t> index;  ///< call id → position in cdrs
    std::unordered_map<model::GroupId, model::UserId> cursors;
    std::size_t size() const { return cdrs.size() + cursors.size(); }
  };
  using Done = GroupCommit<Batch>::Done;

  /// `cdrs` and `hunt` must outlive the writer.
  CallRecords(store::CdrStore& cdrs, store::HuntStore& hunt);

  void start();
  /// Commits what is queued and stops. Idempotent.
  void stop();

  /// Queues `record`; `durable(ok)` runs once it is committed (when given).
  void write(store::CdrRecord record, Done durable = {});
  /// Queues a round-robin cursor (the latest per group wins).
  void save_cursor(model::GroupId group, model::UserId user);
  /// Runs `durable(ok)` once every record queued so far is committed.
  void after_queued(Done durable);

 private:
  bool commit(Batch& batch);

  store::CdrStore& cdrs_;
  store::HuntStore& hunt_;
  GroupCommit<Batch> writer_;
};

}  // namespace cohort::pbx
