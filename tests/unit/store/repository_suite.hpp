#pragma once
// The repository test suite: written against store::Store only and run against every
// backend. A backend joins by instantiating it with its own factory:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, RepositorySuite,
//                            ::testing::Values(Backend{"postgres", make_postgres}),
//                            BackendName());

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "common/clock.hpp"
#include "store/repository.hpp"

namespace cohort::store::testing {

/// One empty database for one test. `open` may be called again after the previous store
/// was destroyed: it reopens the same database (the reopen tests rely on it).
class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  virtual Result<std::unique_ptr<Store>> open(const Clock& clock) = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<BackendInstance>()> make;
};

inline void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

/// Names the instantiated tests after the backend.
struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<Backend>& info) const {
    return info.param.name;
  }
};

class RepositorySuite : public ::testing::TestWithParam<Backend> {
 protected:
  static constexpr std::int64_t kT0 = 1'700'000'000;

  void SetUp() override;
  void TearDown() override;

  /// Closes the store and opens the same database again.
  void reopen();
  void set_time(std::int64_t unix_seconds) {
    clock_.set(SystemTime{std::chrono::seconds(unix_seconds)});
  }

  model::SnapshotPtr snap() const { return store_->snapshot(); }
  std::uint64_t version() const { return snap()->version(); }

  /// Runs `f(tx)` (returning a Result<T>) as a whole transaction and returns its value.
  template <class F>
  auto in_tx(F f) -> decltype(f(std::declval<Transaction&>())) {
    using R = decltype(f(std::declval<Transaction&>()));
    std::optional<R> out;
    auto committed = store_->transact([&](Transaction& tx) -> Result<void> {
      out.emplace(f(tx));
      if (!*out) {
        return fail(out->error());
      }
      return {};
    });
    if (!committed) {
      return fail(committed.error());
    }
    return std::move(*out);
  }

  // One-operation transactions.
  Result<model::User> create_user(const model::User& u);
  Result<model::Group> create_group(const model::Group& g);
  Result<model::Trunk> create_trunk(const model::Trunk& t);
  Result<model::OutboundRule> create_rule(const model::OutboundRule& r);
  Result<model::OutboundRule> update_rule(const model::OutboundRule& r);
  /// The rule ids in position order, checking that positions are 1..n and that
  /// outbound_rule(id) finds each.
  std::vector<model::OutboundRuleId> rule_ids();
  Result<MembershipRepository::PutResult> put_member(model::GroupId g, model::UserId u,
                                                     std::optional<int> position = std::nullopt);

  /// The user ids of a group in position order, checking that positions are 1..n.
  std::vector<model::UserId> member_ids(model::GroupId g);

  ManualClock clock_;
  std::unique_ptr<BackendInstance> backend_;
  std::unique_ptr<Store> store_;
};

// Builders: a valid object with the fields a test cares about.
model::User make_user(const std::string& name, const std::string& email,
                      const std::string& extension);
model::Group make_group(const std::string& name,
                        std::optional<std::string> extension = std::nullopt);
model::Trunk make_trunk(const std::string& name);
/// A trunk with every field set away from its default.
model::Trunk make_full_trunk(const std::string& name);
/// A rule sending `patterns` out through `trunks`, appended at the end (position 0).
model::OutboundRule make_rule(const std::string& name, std::vector<model::TrunkId> trunks,
                              std::vector<std::string> patterns = {"_X."});

/// Everything a snapshot holds, in a canonical text form, for whole-content comparisons.
std::string dump(const model::Snapshot& s);

}  // namespace cohort::store::testing
