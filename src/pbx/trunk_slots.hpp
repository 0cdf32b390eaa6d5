#pragma once
// Calls in progress per trunk, against its max_concurrent_calls: shared by every shard.
//
// Threading: every method from any thread (one mutex, held for a map operation).

#include <mutex>
#include <unordered_map>

#include "model/entities.hpp"

namespace cohort::pbx {

class TrunkSlots {
 public:
  /// Takes one of the trunk's call slots; false when it is at max_concurrent_calls (0 = no
  /// limit).
  bool acquire(const model::Trunk& trunk) {
    std::lock_guard lock(mu_);
    int& n = calls_[trunk.id];
    if (trunk.max_concurrent_calls > 0 && n >= trunk.max_concurrent_calls) {
      return false;
    }
    ++n;
    return true;
  }
  void release(model::TrunkId trunk) {
    std::lock_guard lock(mu_);
    if (auto it = calls_.find(trunk); it != calls_.end() && it->second > 0) {
      --it->second;
    }
  }
  int active(model::TrunkId trunk) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(trunk);
    return it == calls_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<model::TrunkId, int> calls_;
};

}  // namespace cohort::pbx
