#pragma once
// A string-keyed map with a capacity and least-recently-used eviction: the bounded
// per-source-address state of the security limits (security.hpp). Lookups take a
// string_view and allocate nothing. Not thread-safe.

#include <cassert>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace cohort::pbx {

template <class V>
class LruMap {
 public:
  struct Node {
    std::string key;
    V value;
  };

  explicit LruMap(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  LruMap(const LruMap&) = delete;  // index_ holds views into order_'s nodes
  LruMap& operator=(const LruMap&) = delete;
  LruMap(LruMap&&) noexcept = default;
  LruMap& operator=(LruMap&&) noexcept = default;

  /// The value of `key`, marked most recently used; nullptr when absent.
  V* find(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }
  /// The value of `key` without touching the order; nullptr when absent.
  const V* peek(std::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->value;
  }
  /// The value of `key`, inserted as `fresh` when absent (evicting the least recently used
  /// entry when full); marked most recently used either way.
  V& get_or_insert(std::string_view key, V fresh) {
    if (V* v = find(key)) {
      return *v;
    }
    if (index_.size() >= capacity_) {
      pop_oldest();
    }
    order_.push_front(Node{std::string(key), std::move(fresh)});
    index_.emplace(std::string_view(order_.front().key), order_.begin());
    return order_.front().value;
  }
  bool erase(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      return false;
    }
    auto node = it->second;
    index_.erase(it);
    order_.erase(node);
    return true;
  }
  /// The least recently used entry; nullptr when empty.
  const Node* oldest() const { return order_.empty() ? nullptr : &order_.back(); }
  void pop_oldest() {
    assert(!order_.empty());
    index_.erase(std::string_view(order_.back().key));
    order_.pop_back();
  }
  /// Drops least recently used entries while `idle(value)` holds, at most `limit` of them;
  /// returns how many. Entries used more recently than a non-idle one are not examined.
  template <class Pred>
  std::size_t prune_oldest(Pred idle, std::size_t limit = static_cast<std::size_t>(-1)) {
    std::size_t n = 0;
    while (n < limit && !order_.empty() && idle(order_.back().value)) {
      pop_oldest();
      ++n;
    }
    return n;
  }
  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }
  /// Most recently used first.
  const std::list<Node>& entries() const { return order_; }

 private:
  std::size_t capacity_;
  std::list<Node> order_;  // most recently used first
  std::unordered_map<std::string_view, typename std::list<Node>::iterator> index_;
};

}  // namespace cohort::pbx
