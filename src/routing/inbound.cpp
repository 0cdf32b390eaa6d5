#include "routing/inbound.hpp"

#include <utility>

namespace cohort::routing {

InboundTable::InboundTable(model::SnapshotPtr snapshot) : snapshot_(std::move(snapshot)) {
  for (const model::InboundRoute& r : snapshot_->inbound_routes()) {
    // The API refuses patterns that do not compile; a route with one (a hand-edited
    // database) takes no call rather than every call.
    auto did = model::DialPattern::compile(r.did);
    if (!did) {
      continue;
    }
    Compiled c{&r, std::move(*did), std::nullopt};
    if (r.caller) {
      auto caller = model::DialPattern::compile(*r.caller);
      if (!caller) {
        continue;
      }
      c.caller = std::move(*caller);
    }
    const auto index = static_cast<std::uint32_t>(routes_.size());
    // Without a leading '_' a pattern matches exactly its own text (model/dial_pattern.hpp).
    if (r.did.front() == '_') {
      patterned_.push_back(index);
    } else {
      literal_[r.did].push_back(index);
    }
    routes_.push_back(std::move(c));
  }
}

bool InboundTable::holds(const Compiled& c, model::TrunkId trunk, std::string_view caller) {
  if (c.route->trunk && *c.route->trunk != trunk) {
    return false;
  }
  return !c.caller || c.caller->matches(caller);
}

const model::InboundRoute* InboundTable::match(model::TrunkId trunk, std::string_view did,
                                               std::string_view caller) const {
  static const std::vector<std::uint32_t> kNone;
  const auto it = literal_.find(std::string(did));
  const std::vector<std::uint32_t>& literal = it == literal_.end() ? kNone : it->second;
  // Both lists ascend: merge them, so the first route to hold is the first by position.
  std::size_t l = 0;
  std::size_t p = 0;
  while (l < literal.size() || p < patterned_.size()) {
    const bool take_literal =
        p == patterned_.size() || (l < literal.size() && literal[l] < patterned_[p]);
    if (take_literal) {
      const Compiled& c = routes_[literal[l++]];
      if (holds(c, trunk, caller)) {
        return c.route;
      }
    } else {
      const Compiled& c = routes_[patterned_[p++]];
      if (c.did.matches(did) && holds(c, trunk, caller)) {
        return c.route;
      }
    }
  }
  return nullptr;
}

}  // namespace cohort::routing
