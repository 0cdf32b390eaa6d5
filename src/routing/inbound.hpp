#pragma once
// PURE: which inbound route takes a call that arrived from a trunk (issue 5, docs/routing.md
// "Inbound routes"). The routes of one snapshot are compiled once; matching walks them in
// position order and stops at the first whose DID pattern, caller pattern and trunk hold.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "model/dial_pattern.hpp"
#include "model/snapshot.hpp"

namespace cohort::routing {

class InboundTable {
 public:
  explicit InboundTable(model::SnapshotPtr snapshot);

  std::uint64_t version() const { return snapshot_->version(); }
  /// The first route, in position order, for a call from `trunk` to `did` by `caller`
  /// (the From user part); nullptr when none takes it. Any thread.
  const model::InboundRoute* match(model::TrunkId trunk, std::string_view did,
                                   std::string_view caller) const;

 private:
  struct Compiled {
    const model::InboundRoute* route = nullptr;
    model::DialPattern did;
    std::optional<model::DialPattern> caller;
  };
  model::SnapshotPtr snapshot_;
  std::vector<Compiled> routes_;
};

}  // namespace cohort::routing
