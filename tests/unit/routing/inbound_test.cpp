#include "routing/inbound.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cohort::routing {
namespace {

using model::InboundRoute;

model::SnapshotPtr with_routes(std::vector<InboundRoute> routes) {
  for (std::size_t i = 0; i < routes.size(); ++i) {
    routes[i].id = static_cast<model::InboundRouteId>(i + 1);
    routes[i].position = static_cast<int>(i + 1);
    routes[i].name = "route" + std::to_string(i + 1);
    routes[i].destination = model::DestGroup{100 + static_cast<model::GroupId>(i)};
  }
  model::SnapshotPatch p;
  p.inbound_routes = std::move(routes);
  return std::make_shared<const model::Snapshot>(model::Snapshot().apply(p));
}

InboundRoute route(std::string did, std::optional<std::string> caller = std::nullopt,
                   std::optional<model::TrunkId> trunk = std::nullopt) {
  InboundRoute r;
  r.did = std::move(did);
  r.caller = std::move(caller);
  r.trunk = trunk;
  return r;
}

/// The id of the route taking the call, 0 for none.
model::InboundRouteId taken(const InboundTable& t, model::TrunkId trunk, std::string_view did,
                            std::string_view caller) {
  const InboundRoute* r = t.match(trunk, did, caller);
  return r == nullptr ? 0 : r->id;
}

TEST(InboundRouting, FirstRouteByPositionWhetherLiteralOrPattern) {
  const InboundTable t(with_routes({
      route("_555XXXX", "_1800.", std::nullopt),  // 1: toll-free callers of any 555 number
      route("5550100", std::nullopt, 7),          // 2: the literal DID, from trunk 7 only
      route("_555XXXX"),                          // 3: every other 555 number
      route("5550100"),                           // 4: the literal DID from anywhere else
      route("5550199", "_0."),                    // 5: after 3, so never reached for 555…
      route("_X."),                               // 6: everything else
  }));
  EXPECT_EQ(taken(t, 7, "5550100", "4930111"), 2);
  EXPECT_EQ(taken(t, 7, "5550100", "18005551234"), 1) << "a pattern before the literal";
  EXPECT_EQ(taken(t, 8, "5550100", "4930111"), 3) << "the literal's trunk does not hold";
  EXPECT_EQ(taken(t, 8, "5550199", "0301"), 3);
  EXPECT_EQ(taken(t, 8, "123", "0301"), 6);
  EXPECT_EQ(taken(t, 8, "", "0301"), 0) << "_X. needs at least one digit";
}

TEST(InboundRouting, CallerAndTrunkConditions) {
  const InboundTable t(with_routes({
      route("100", "_49.", 1),
      route("100", "_49."),
      route("100", std::nullopt, 2),
  }));
  EXPECT_EQ(taken(t, 1, "100", "4930"), 1);
  EXPECT_EQ(taken(t, 3, "100", "4930"), 2);
  EXPECT_EQ(taken(t, 2, "100", "3300"), 3);
  EXPECT_EQ(taken(t, 3, "100", "3300"), 0);
  EXPECT_EQ(taken(t, 2, "1000", "3300"), 0) << "a literal matches only itself";
}

TEST(InboundRouting, NoRoutes) {
  const InboundTable t(with_routes({}));
  EXPECT_EQ(taken(t, 1, "100", "200"), 0);
}

/// The index must give the answer of the plain walk in position order, on random tables.
TEST(InboundRouting, IndexAgreesWithTheWalkInPositionOrder) {
  std::mt19937 rng(20261122);
  const std::vector<std::string> dids = {"100", "101", "200", "_1XX", "_2.", "_X.", "_10!"};
  const std::vector<std::optional<std::string>> callers = {std::nullopt, std::nullopt, "_4.",
                                                           "_[0-3]X"};
  for (int round = 0; round < 200; ++round) {
    std::vector<InboundRoute> routes;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      std::optional<model::TrunkId> trunk;
      if (rng() % 3 == 0) {
        trunk = 1 + static_cast<model::TrunkId>(rng() % 2);
      }
      routes.push_back(route(dids[rng() % dids.size()], callers[rng() % callers.size()], trunk));
    }
    const model::SnapshotPtr snap = with_routes(routes);
    const InboundTable t(snap);
    for (const std::string did : {"100", "101", "102", "200", "2", "10", "999"}) {
      for (const std::string caller : {"4930", "12", "99"}) {
        for (model::TrunkId trunk : {1, 2}) {
          model::InboundRouteId expected = 0;
          for (const InboundRoute& r : snap->inbound_routes()) {
            if ((!r.trunk || *r.trunk == trunk) &&
                model::DialPattern::compile(r.did)->matches(did) &&
                (!r.caller || model::DialPattern::compile(*r.caller)->matches(caller))) {
              expected = r.id;
              break;
            }
          }
          ASSERT_EQ(taken(t, trunk, did, caller), expected)
              << "round " << round << " did " << did << " caller " << caller;
        }
      }
    }
  }
}

}  // namespace
}  // namespace cohort::routing
