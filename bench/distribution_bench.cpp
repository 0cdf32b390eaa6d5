// Group call distribution (issue 5): distribute() for one call to a group of 500 members in
// mixed states, once per ring strategy. About half the members are available; the others are
// busy, ringing for another group, in wrap-up (by state or by the time since their last
// call), paused (everywhere or in this group) or unregistered. The time includes building
// and freeing the plan (order, attempts and skipped list), as pbx/ would pay it.
//
//   build/<dir>/bench/distribution_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "routing/distribution.hpp"

namespace {

using namespace cohort;

constexpr int kMembers = 500;
constexpr std::int64_t kNow = 1'800'000'000'000;  // ms
constexpr int kWrapUpS = 30;

struct Fixture {
  std::vector<routing::MemberFacts> members;
  routing::DistributionState state;

  Fixture() {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> percent(0, 99);
    std::uniform_int_distribution<std::int64_t> idle_ms(kWrapUpS * 1000, 8 * 3600 * 1000);
    std::uniform_int_distribution<int> answered(0, 40);
    for (int i = 0; i < kMembers; ++i) {
      routing::MemberFacts m;
      m.user = 10'000 + static_cast<model::UserId>(i) * 7;
      m.position = i + 1;
      m.answered_today = answered(rng);
      // One in ten has never had a call today; the rest ended one a while ago.
      m.last_call_end_ms = percent(rng) < 10 ? 0 : kNow - idle_ms(rng);
      const int p = percent(rng);
      if (p < 50) {
        // available
      } else if (p < 65) {
        m.state = routing::AgentState::kBusy;
      } else if (p < 70) {
        m.state = routing::AgentState::kRinging;
      } else if (p < 75) {
        m.state = routing::AgentState::kWrapUp;
      } else if (p < 85) {
        m.last_call_end_ms = kNow - 5'000;  // within the 30 s wrap-up
      } else if (p < 90) {
        m.state = routing::AgentState::kPaused;
      } else if (p < 95) {
        m.paused_in_group = true;
      } else {
        m.registered = false;
      }
      members.push_back(m);
    }
    state.last_offered = members[kMembers / 2].user;  // the round starts mid-group
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void BM_Distribute(benchmark::State& state, model::RingStrategy strategy) {
  const Fixture& f = fixture();
  routing::DistributionPolicy policy;
  policy.strategy = strategy;
  policy.ring_timeout_s = 20;
  policy.wrap_up_s = kWrapUpS;
  std::uint64_t seed = 0;
  std::size_t attempts = 0;
  for (auto _ : state) {
    routing::DistributionPlan plan = routing::distribute(policy, f.members, f.state, kNow, ++seed);
    attempts = plan.attempts.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["attempts"] = static_cast<double>(attempts);
}
BENCHMARK_CAPTURE(BM_Distribute, simultaneous, model::RingStrategy::kSimultaneous);
BENCHMARK_CAPTURE(BM_Distribute, round_robin, model::RingStrategy::kRoundRobin);
BENCHMARK_CAPTURE(BM_Distribute, least_recent, model::RingStrategy::kLeastRecent);
BENCHMARK_CAPTURE(BM_Distribute, sequential, model::RingStrategy::kSequential);
BENCHMARK_CAPTURE(BM_Distribute, fewest_calls, model::RingStrategy::kFewestCalls);
BENCHMARK_CAPTURE(BM_Distribute, random, model::RingStrategy::kRandom);

}  // namespace
