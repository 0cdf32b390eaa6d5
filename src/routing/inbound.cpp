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
    routes_.push_back(std::move(c));
  }
}

const model::InboundRoute* InboundTable::match(model::TrunkId trunk, std::string_view did,
                                               std::string_view caller) const {
  for (const Compiled& c : routes_) {
    if (c.route->trunk && *c.route->trunk != trunk) {
      continue;
    }
    if (!c.did.matches(did)) {
      continue;
    }
    if (c.caller && !c.caller->matches(caller)) {
      continue;
    }
    return c.route;
  }
  return nullptr;
}

}  // namespace cohort::routing
