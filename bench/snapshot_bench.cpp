// Snapshot at the scale the design targets: 100,000 users, 10,000 groups, 1,000,000
// memberships (~100 members per group, ~10 groups per user). Measures the lookups the SIP
// and API paths make per request, the cost of publishing one membership change, and the
// memory one published change keeps alive.
//
//   build/<dir>/bench/snapshot_bench --benchmark_min_time=0.2

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "common/text.hpp"
#include "model/snapshot.hpp"

// ---- allocation accounting -------------------------------------------------------------
// Every operator new/delete of this binary goes through these replacements (C++20
// [replacement.functions]); the array and nothrow forms forward to them in libstdc++.
// Bytes are counted as malloc_usable_size (what the allocator really handed out) and
// only while `g_counting` is set, so the timed benchmarks pay one predictable branch.
// noinline: inlined into a delete-expression, g++ 12 sees free() on a pointer from
// operator new and raises -Wmismatched-new-delete, though replacing both is conforming.
namespace {
bool g_counting = false;
std::size_t g_allocated = 0;
std::size_t g_freed = 0;
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  if (g_counting) {
    g_allocated += malloc_usable_size(p);
  }
  return p;
}

[[gnu::noinline]] void operator delete(void* p) noexcept {
  if (p != nullptr && g_counting) {
    g_freed += malloc_usable_size(p);
  }
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}

namespace {

using namespace cohort::model;

constexpr int kUsers = 100'000;
constexpr int kGroups = 10'000;
constexpr int kGroupsPerUser = 10;  // → 1,000,000 memberships
constexpr std::int64_t kJoinedAt = 1'700'000'000;
constexpr std::size_t kKeys = 4096;  // power of two: index with a mask

std::string user_extension(std::int64_t id) {
  return std::to_string(1'000'000 + id);
}

/// The model, built once through Snapshot::apply of one big patch (the store's load path).
/// mt19937_64's output sequence is fixed by the standard, so every run builds the same one.
const Snapshot& model() {
  static const Snapshot snapshot = [] {
    std::mt19937_64 rng(42);
    std::vector<std::vector<Member>> members(kGroups + 1);
    SnapshotPatch p;
    p.users.reserve(kUsers);
    p.groups_of.reserve(kUsers);
    for (std::int64_t u = 1; u <= kUsers; ++u) {
      User user;
      user.id = u;
      user.name = "User " + std::to_string(u);
      user.email = "user" + std::to_string(u) + "@example.com";
      user.extension = user_extension(u);
      p.users.emplace_back(u, std::move(user));

      std::vector<UserMembership> mine;
      while (mine.size() < kGroupsPerUser) {
        GroupId g = 1 + static_cast<GroupId>(rng() % kGroups);
        if (std::any_of(mine.begin(), mine.end(), [&](const auto& m) { return m.group == g; })) {
          continue;
        }
        auto& list = members[g];
        list.push_back(Member{u, static_cast<int>(list.size()) + 1, kJoinedAt});
        mine.push_back(UserMembership{g, static_cast<int>(list.size()), kJoinedAt});
      }
      std::sort(mine.begin(), mine.end(),
                [](const auto& a, const auto& b) { return a.group < b.group; });
      p.groups_of.emplace_back(u, std::move(mine));
    }
    for (std::int64_t g = 1; g <= kGroups; ++g) {
      Group group;
      group.id = g;
      group.name = "Group " + std::to_string(g);
      group.extension = std::to_string(2'000'000 + g);
      p.groups.emplace_back(g, std::move(group));
      p.members.emplace_back(g, std::move(members[g]));
    }
    return Snapshot{}.apply(p);
  }();
  return snapshot;
}

std::vector<std::int64_t> random_ids(std::int64_t max, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> out(kKeys);
  for (auto& id : out) {
    id = 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(max));
  }
  return out;
}

/// A patch adding user `u` to group `g` as the store would send it: the group's whole
/// member list and the user's whole group list, each with the new entry.
SnapshotPatch add_membership(const Snapshot& s, GroupId g, UserId u) {
  SnapshotPatch p;
  auto members = s.members(g);
  std::vector<Member> list(members.begin(), members.end());
  list.push_back(Member{u, static_cast<int>(list.size()) + 1, kJoinedAt});
  auto groups = s.groups_of(u);
  std::vector<UserMembership> mine(groups.begin(), groups.end());
  UserMembership m{g, static_cast<int>(list.size()), kJoinedAt};
  mine.insert(std::upper_bound(mine.begin(), mine.end(), m,
                               [](const auto& a, const auto& b) { return a.group < b.group; }),
              m);
  p.members.emplace_back(g, std::move(list));
  p.groups_of.emplace_back(u, std::move(mine));
  return p;
}

/// `n` membership additions, each of a user not yet in the group.
std::vector<SnapshotPatch> membership_patches(const Snapshot& s, std::size_t n) {
  std::mt19937_64 rng(7);
  std::vector<SnapshotPatch> out;
  while (out.size() < n) {
    GroupId g = 1 + static_cast<GroupId>(rng() % kGroups);
    UserId u = 1 + static_cast<UserId>(rng() % kUsers);
    auto groups = s.groups_of(u);
    if (std::any_of(groups.begin(), groups.end(), [&](const auto& m) { return m.group == g; })) {
      continue;
    }
    out.push_back(add_membership(s, g, u));
  }
  return out;
}

std::size_t resident_bytes() {
  // /proc/self/statm: size resident shared text lib data dt, in pages (proc(5)).
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return static_cast<std::size_t>(resident) * 4096;
}

void BM_UserByExtension(benchmark::State& state) {
  const Snapshot& s = model();
  std::vector<std::string> keys;
  for (auto id : random_ids(kUsers, 1)) {
    keys.push_back(user_extension(id));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.user_by_extension(keys[i++ & (kKeys - 1)]));
  }
}
BENCHMARK(BM_UserByExtension);

void BM_GroupsOfUser(benchmark::State& state) {
  const Snapshot& s = model();
  auto keys = random_ids(kUsers, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    auto groups = s.groups_of(keys[i++ & (kKeys - 1)]);
    benchmark::DoNotOptimize(groups.data());
    benchmark::DoNotOptimize(groups.size());
  }
}
BENCHMARK(BM_GroupsOfUser);

void BM_MembersOfGroup(benchmark::State& state) {
  const Snapshot& s = model();
  auto keys = random_ids(kGroups, 3);
  std::size_t i = 0;
  for (auto _ : state) {
    auto members = s.members(keys[i++ & (kKeys - 1)]);
    benchmark::DoNotOptimize(members.data());
    benchmark::DoNotOptimize(members.size());
  }
}
BENCHMARK(BM_MembersOfGroup);

// Time of Snapshot::apply alone: the previous version's release is a separate cost (paid
// when the last reader drops it), so the result is destroyed outside the measured span.
void BM_ApplyOneMembershipChange(benchmark::State& state) {
  const Snapshot& s = model();
  auto patches = membership_patches(s, 64);
  std::size_t i = 0;
  for (auto _ : state) {
    const SnapshotPatch& p = patches[i++ % patches.size()];
    auto start = std::chrono::steady_clock::now();
    Snapshot next = s.apply(p);
    auto stop = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(next.membership_count());
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  state.counters["memberships"] = static_cast<double>(s.membership_count());
}
BENCHMARK(BM_ApplyOneMembershipChange)->UseManualTime();

// Memory one published change keeps alive. A chain of kChain versions is built, each
// applying one membership addition to the previous one and all held (as SnapshotPtr, like
// the publisher does), then two figures per version:
//   retained_bytes: bytes allocated minus bytes freed while the chain was built, counted by
//     the operator new/delete replacements above (malloc_usable_size, so allocator
//     rounding is included, its per-chunk header is not). Exact and repeatable.
//   rss_bytes: growth of the resident set (/proc/self/statm) over the chain, after
//     malloc_trim; an independent cross-check, in whole pages and lower when malloc reuses
//     freed memory.
//   snapshot_object_bytes: sizeof(Snapshot), the part of retained_bytes that is the copy of
//     the shard pointer arrays themselves, whatever the patch.
// The patch vectors are built before counting starts.
void BM_ApplyRetainedBytes(benchmark::State& state) {
  constexpr std::size_t kChain = 256;
  const Snapshot& s = model();
  auto patches = membership_patches(s, kChain);
  double retained = 0;
  double allocated = 0;
  double rss = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<SnapshotPtr> chain;
    chain.reserve(kChain + 1);
    chain.push_back(std::make_shared<const Snapshot>(s));  // shares everything with `s`
    // Hand free heap pages back first (the model's build freed ~100 MB of patch), or the
    // chain grows into pages that are already resident and RSS does not move.
    malloc_trim(0);
    std::size_t rss_before = resident_bytes();
    state.ResumeTiming();
    g_allocated = 0;
    g_freed = 0;
    g_counting = true;
    for (const SnapshotPatch& p : patches) {
      chain.push_back(std::make_shared<const Snapshot>(chain.back()->apply(p)));
    }
    g_counting = false;
    std::size_t rss_after = resident_bytes();
    retained = static_cast<double>(g_allocated - g_freed) / kChain;
    allocated = static_cast<double>(g_allocated) / kChain;
    rss = static_cast<double>(rss_after - std::min(rss_after, rss_before)) / kChain;
    state.PauseTiming();
    chain.clear();  // outside the timing: releasing 256 versions is not what is measured
    state.ResumeTiming();
  }
  state.counters["retained_bytes"] = retained;
  state.counters["allocated_bytes"] = allocated;
  state.counters["rss_bytes"] = rss;
  state.counters["snapshot_object_bytes"] = sizeof(Snapshot);
}
BENCHMARK(BM_ApplyRetainedBytes)->Iterations(3)->Unit(benchmark::kMillisecond);

// Worst case of the console's user search: a needle that matches nobody, so every search
// key of the 100,000 users is scanned. First key by key (the baseline), then with
// Snapshot::search_users, which scans one contiguous text with memmem.
void BM_SearchUsersKeyScan(benchmark::State& state) {
  const Snapshot& s = model();
  const std::string needle = cohort::text::ascii_lower("NoSuchPerson");
  for (auto _ : state) {
    std::size_t hits = 0;
    for (UserId id : s.user_ids()) {
      hits += cohort::text::contains(s.user_search_key(id), needle) ? 1 : 0;
    }
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(s.user_ids().size()));
}
BENCHMARK(BM_SearchUsersKeyScan)->Unit(benchmark::kMillisecond);

void BM_SearchUsersNoMatch(benchmark::State& state) {
  const Snapshot& s = model();
  const std::string needle = cohort::text::ascii_lower("NoSuchPerson");
  for (auto _ : state) {
    std::size_t hits = 0;
    s.search_users(needle, 0, [&](UserId) {
      ++hits;
      return true;
    });
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(s.user_ids().size()));
}
BENCHMARK(BM_SearchUsersNoMatch)->Unit(benchmark::kMillisecond);

}  // namespace
