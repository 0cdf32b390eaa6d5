#pragma once
// CowMap: a hash map split into a fixed number of shards, each shared immutably between
// snapshot versions. Copying a CowMap copies only the shard pointers; writing to a copy
// clones the one shard it touches. A membership change at 1M memberships therefore copies
// one shard (~1/256 of the entries) instead of the whole index.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cohort::model {

/// Transparent hash so string-keyed maps can be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class K>
struct CowMapTraits {
  using Hash = std::hash<K>;
  using Eq = std::equal_to<>;
};
template <>
struct CowMapTraits<std::string> {
  using Hash = StringHash;
  using Eq = std::equal_to<>;
};

template <class K, class V, std::size_t kShards = 256>
class CowMap {
  static_assert((kShards & (kShards - 1)) == 0, "shard count must be a power of two");
  using Hash = typename CowMapTraits<K>::Hash;
  using Eq = typename CowMapTraits<K>::Eq;
  using Shard = std::unordered_map<K, V, Hash, Eq>;

 public:
  CowMap() {
    auto empty = std::make_shared<const Shard>();
    shards_.fill(empty);
  }

  /// The value for `key`, or nullptr. Valid while this map (or a copy sharing the shard) lives.
  template <class Q>
  const V* find(const Q& key) const {
    const Shard& shard = *shards_[shard_of(key)];
    auto it = shard.find(key);
    return it == shard.end() ? nullptr : &it->second;
  }

  void set(K key, V value) {
    Shard& shard = writable(shard_of(key));
    auto [it, inserted] = shard.insert_or_assign(std::move(key), std::move(value));
    (void)it;
    size_ += inserted ? 1 : 0;
  }

  template <class Q>
  void erase(const Q& key) {
    std::size_t s = shard_of(key);
    if (shards_[s]->find(key) == shards_[s]->end()) {
      return;
    }
    auto it = writable(s).find(key);
    writable(s).erase(it);
    --size_;
  }

  std::size_t size() const { return size_; }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& shard : shards_) {
      for (const auto& [k, v] : *shard) {
        f(k, v);
      }
    }
  }

 private:
  template <class Q>
  static std::size_t shard_of(const Q& key) {
    // Mix the hash so that identity hashes of sequential ids spread over the shards and
    // the buckets inside a shard alike.
    std::size_t h = Hash{}(key);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h & (kShards - 1);
  }

  /// The shard for writing: cloned first if another map version shares it.
  Shard& writable(std::size_t s) {
    if (shards_[s].use_count() != 1) {
      shards_[s] = std::make_shared<const Shard>(*shards_[s]);
    }
    // Sole owner: nobody else can obtain a reference to this shard any more.
    return const_cast<Shard&>(*shards_[s]);
  }

  std::array<std::shared_ptr<const Shard>, kShards> shards_;
  std::size_t size_ = 0;
};

}  // namespace cohort::model
