#pragma once
// PURE: which outbound rule a call to an outside number takes, the number sent, the caller
// ID presented and the trunks to try in order (DESIGN.md "Outbound caller ID"). No sockets,
// no clock, no store: the snapshot and the request go in, a plan comes out.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/dial_pattern.hpp"
#include "model/snapshot.hpp"

namespace cohort::routing {

/// Who is calling which number.
struct OutboundRequest {
  /// The authenticated local user placing the call; nullptr for a call that arrived from a
  /// trunk (`from_trunk` set), which only rules with allow_trunk_callers may take.
  const model::User* caller = nullptr;
  std::optional<model::TrunkId> from_trunk;
  std::string_view number;  ///< as dialled (the Request-URI user part, unescaped)
  /// A group's own call: its fallback (or closed destination) to an outside number, with
  /// `caller` nullptr. Rules without conditions or with this group in caller_groups take it,
  /// allow_trunk_callers is not needed (an administrator chose the number, not the caller),
  /// and the `group` caller ID policy presents this group's outbound caller ID.
  std::optional<model::GroupId> as_group;
};

/// Why a rule before the matching one was not taken.
struct SkippedRule {
  model::OutboundRuleId rule = 0;
  std::string name;
  std::string reason;  ///< "number does not match any pattern", "caller not in groups …"
  bool operator==(const SkippedRule&) const = default;
};

struct OutboundPlan {
  bool matched = false;
  model::OutboundRuleId rule = 0;
  std::string rule_name;
  std::vector<SkippedRule> skipped;     ///< filled only by explain()
  std::string number;                   ///< after strip and prepend
  std::string caller_id;                ///< user part of From and P-Asserted-Identity
  std::optional<model::GroupId> group;  ///< the group whose caller ID is presented
  std::vector<model::TrunkId> trunks;   ///< existing trunks of the rule, in order
  std::string reason;                   ///< when !matched: why no rule took the call
};

/// The rules of one snapshot compiled for matching. Build once per snapshot version (it is
/// immutable and shared by any number of threads); pbx/ caches it by snapshot version.
class OutboundTable {
 public:
  explicit OutboundTable(model::SnapshotPtr snapshot);
  ~OutboundTable();
  OutboundTable(const OutboundTable&) = delete;
  OutboundTable& operator=(const OutboundTable&) = delete;

  std::uint64_t version() const;
  /// The decision for a call. Any thread.
  OutboundPlan plan(const OutboundRequest& request) const;
  /// The same decision, with `skipped` filled in for every rule before the matching one
  /// (or every rule when none matches). Slower; for the explain endpoint.
  OutboundPlan explain(const OutboundRequest& request) const;

 private:
  struct Impl;
  std::unique_ptr<const Impl> impl_;
};

}  // namespace cohort::routing
