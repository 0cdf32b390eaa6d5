// Outbound routing at the scale the design targets: 1,000 rules, 10,000 groups, 50,000
// users (3 groups each). A third of the rules have no caller condition, the others name
// groups (and sometimes users); one rule in ten is a broad "_0." for a few groups, so many
// rules match a number by pattern and fail on the caller. Measures plan() for a match of
// the first rule, a late one (~900th) and no match, explain() on the late match (the
// linear walk, for comparison), and building the OutboundTable.
//
//   build/<dir>/bench/routing_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/snapshot.hpp"
#include "routing/outbound.hpp"

namespace {

using namespace cohort;

constexpr int kUsers = 50'000;
constexpr int kGroups = 10'000;
constexpr int kGroupsPerUser = 3;
constexpr int kRules = 1'000;
constexpr int kLateRule = 900;  ///< 0-based index of the late match

/// The caller of the benchmarks and its groups; no rule but the late one names them.
constexpr model::UserId kCaller = 1;
const std::vector<model::GroupId> kCallerGroups = {17, 4'242, 9'001};
/// A user in none of the rules' groups, for the no-match case.
constexpr model::UserId kOutsider = 2;

std::string country(int rule) {
  return std::to_string(100 + rule);  // a distinct prefix per rule: 100 … 1099
}

struct Fixture {
  model::SnapshotPtr snapshot;
  std::unique_ptr<routing::OutboundTable> table;
  std::string late_number = "00" + country(kLateRule) + "301234567";

  Fixture() {
    std::mt19937 rng(42);
    model::SnapshotPatch p;
    std::map<model::GroupId, std::vector<model::UserId>> members;
    for (model::UserId id = 1; id <= kUsers; ++id) {
      model::User u;
      u.id = id;
      u.name = "User " + std::to_string(id);
      u.extension = std::to_string(100'000 + id);
      u.email = "user" + std::to_string(id) + "@example.com";
      p.users.emplace_back(id, std::move(u));
      std::vector<model::GroupId> groups;
      if (id == kCaller) {
        groups = kCallerGroups;
      } else if (id != kOutsider) {
        for (int k = 0; k < kGroupsPerUser; ++k) {
          groups.push_back(1 + static_cast<model::GroupId>(rng() % kGroups));
        }
      }
      for (model::GroupId g : groups) {
        members[g].push_back(id);
      }
    }
    for (model::GroupId id = 1; id <= kGroups; ++id) {
      model::Group g;
      g.id = id;
      g.name = "Group " + std::to_string(id);
      g.outbound_caller_id = "+4930" + std::to_string(100'000 + id);
      p.groups.emplace_back(id, std::move(g));
    }
    std::map<model::UserId, std::vector<model::UserMembership>> groups_of;
    for (auto& [gid, list] : members) {
      list.erase(std::unique(list.begin(), list.end()), list.end());
      std::vector<model::Member> ms;
      for (std::size_t i = 0; i < list.size(); ++i) {
        const int position = static_cast<int>(i) + 1;
        ms.push_back(model::Member{list[i], position, 0});
        groups_of[list[i]].push_back(model::UserMembership{gid, position, 0});
      }
      p.members.emplace_back(gid, std::move(ms));
    }
    for (auto& [uid, list] : groups_of) {
      p.groups_of.emplace_back(uid, std::move(list));
    }
    for (model::TrunkId id = 1; id <= 3; ++id) {
      model::Trunk t;
      t.id = id;
      t.name = "trunk" + std::to_string(id);
      p.trunks.emplace_back(id, std::move(t));
    }

    // Groups for conditions, never the caller's: only the late rule names those.
    auto other_group = [&] {
      for (;;) {
        const auto g = 1 + static_cast<model::GroupId>(rng() % kGroups);
        if (std::find(kCallerGroups.begin(), kCallerGroups.end(), g) == kCallerGroups.end()) {
          return g;
        }
      }
    };
    std::vector<model::OutboundRule> rules;
    for (int i = 0; i < kRules; ++i) {
      model::OutboundRule r;
      r.id = 1 + i;
      r.name = "rule " + std::to_string(i + 1);
      r.position = i + 1;
      r.trunks = {1 + i % 3, 1 + (i + 1) % 3};
      if (i == 0) {
        r.patterns = {"110", "112"};  // emergency numbers first, for anyone
      } else if (i % 10 == 5) {
        r.patterns = {"_0."};  // broad, but only for a few groups
        r.caller_groups = {other_group(), other_group()};
      } else {
        r.patterns = {"_00" + country(i) + "X.", "_0" + country(i) + "XXXX"};
        r.strip = 2;
        r.prepend = "+";
        if (i % 3 == 1) {
          for (int k = 1 + i % 4; k > 0; --k) {
            r.caller_groups.push_back(other_group());
          }
        } else if (i % 3 == 2) {
          r.caller_groups = {other_group(), other_group()};
          r.caller_users = {3 + i};
        }
      }
      if (i == kLateRule) {
        r.caller_groups = {other_group(), kCallerGroups[1]};
        r.caller_users.clear();
      }
      rules.push_back(std::move(r));
    }
    p.outbound_rules = std::move(rules);
    snapshot = std::make_shared<const model::Snapshot>(model::Snapshot().apply(p));
    table = std::make_unique<routing::OutboundTable>(snapshot);

    // The cases must decide what their names say, or the figures mean nothing.
    check(request(kCaller, "112"), 1);
    check(request(kCaller, late_number), kLateRule + 1);
    check(request(kOutsider, late_number), 0);
    check(request(kCaller, "0301234567"), 0);
  }

  routing::OutboundRequest request(model::UserId caller, std::string_view number) const {
    routing::OutboundRequest r;
    r.caller = snapshot->user(caller);
    r.number = number;
    return r;
  }

  void check(const routing::OutboundRequest& r, model::OutboundRuleId rule) const {
    const auto plan = table->plan(r);
    const auto explained = table->explain(r);
    if (plan.rule != rule || explained.rule != rule) {
      std::fprintf(stderr, "routing_bench: %s: rule %lld (explain %lld), expected %lld\n",
                   std::string(r.number).c_str(), static_cast<long long>(plan.rule),
                   static_cast<long long>(explained.rule), static_cast<long long>(rule));
      std::abort();
    }
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void BM_PlanFirstRule(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto req = f.request(kCaller, "112");
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table->plan(req));
  }
}
BENCHMARK(BM_PlanFirstRule);

void BM_PlanLateRule(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto req = f.request(kCaller, f.late_number);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table->plan(req));
  }
}
BENCHMARK(BM_PlanLateRule);

// The late rule's number from a user in none of its groups: passes the pattern of that rule
// and, by prefix, few others; no rule takes it.
void BM_PlanNoMatch(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto req = f.request(kOutsider, f.late_number);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table->plan(req));
  }
}
BENCHMARK(BM_PlanNoMatch);

// A number every broad "_0." rule matches by pattern (100 of them), for a caller none of
// them admits.
void BM_PlanNoMatchBroad(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto req = f.request(kCaller, "0301234567");
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table->plan(req));
  }
}
BENCHMARK(BM_PlanNoMatchBroad);

void BM_ExplainLateRule(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto req = f.request(kCaller, f.late_number);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table->explain(req));
  }
}
BENCHMARK(BM_ExplainLateRule)->Unit(benchmark::kMicrosecond);

void BM_BuildTable(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    routing::OutboundTable table(f.snapshot);
    benchmark::DoNotOptimize(table.version());
  }
}
BENCHMARK(BM_BuildTable)->Unit(benchmark::kMicrosecond);

}  // namespace
