#pragma once
// PURE: which inbound route takes a call that arrived from a trunk (issue 5, docs/routing.md
// "Inbound routes"). The routes of one snapshot are compiled once; a call takes the first
// route, in position order, whose DID pattern, caller pattern and trunk hold. Routes with a
// literal DID (a carrier's numbers, possibly thousands) are found through a hash of the
// number; only the routes with a pattern are walked.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
  /// Whether route `c` takes the call, its DID aside.
  static bool holds(const Compiled& c, model::TrunkId trunk, std::string_view caller);

  model::SnapshotPtr snapshot_;
  std::vector<Compiled> routes_;  ///< position order
  /// Literal DID → the indexes in routes_ of the routes with exactly that DID, ascending.
  std::unordered_map<std::string, std::vector<std::uint32_t>> literal_;
  std::vector<std::uint32_t> patterned_;  ///< indexes of the routes with a DID pattern
};

}  // namespace cohort::routing
