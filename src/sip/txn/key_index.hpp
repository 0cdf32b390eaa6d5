#pragma once
// The transaction table's key index: transaction key → TxnId, as a flat open-addressing
// table (linear probing, backward-shift deletion, no tombstones). Each slot stores the
// key's 64-bit hash, so a probe compares a string only on a full hash match, and a lookup
// touches one cache line of slots instead of a chain of heap nodes: a shard holds hundreds
// of thousands of keys under load (Timer J keeps a UDP transaction 32 s), and the
// node-based map spent ~8 % of REGISTER's CPU walking them (bench/README.md).
//
// Keys are views: the index never owns a key; the caller keeps the viewed string alive and
// in place (the table's entries are nodes that never move) until the key is erased or
// filed again under another view.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace cohort::sip::txn {

using TxnId = std::uint64_t;

class KeyIndex {
 public:
  /// The id filed under `key`, if any.
  std::optional<TxnId> find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key).has_value(); }
  /// Files `id` under `key`, replacing an older owner (and its view) of the same key.
  void file(std::string_view key, TxnId id);
  /// Erases `key` if it is still filed under `id` (a newer owner keeps it).
  void erase(std::string_view key, TxnId id);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    TxnId id = 0;  ///< 0: empty (a TxnId is never 0)
    std::string_view key;
  };
  static std::uint64_t hash_of(std::string_view key);
  std::size_t mask() const { return slots_.size() - 1; }
  /// The slot holding `key`, or slots_.size() when absent.
  std::size_t position(std::string_view key, std::uint64_t hash) const;
  void rehash(std::size_t capacity);

  std::vector<Slot> slots_;  ///< a power of two in size, or empty
  std::size_t size_ = 0;
};

}  // namespace cohort::sip::txn
