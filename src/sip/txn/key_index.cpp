#include "sip/txn/key_index.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <utility>

namespace cohort::sip::txn {

namespace {
constexpr std::size_t kMinCapacity = 16;
}  // namespace

std::uint64_t KeyIndex::hash_of(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

std::size_t KeyIndex::position(std::string_view key, std::uint64_t hash) const {
  if (slots_.empty()) {
    return 0;
  }
  // The load stays at most 1/2, so an empty slot always ends the probe.
  for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
    const Slot& s = slots_[i];
    if (s.id == 0) {
      return slots_.size();
    }
    if (s.hash == hash && s.key == key) {
      return i;
    }
  }
}

std::optional<TxnId> KeyIndex::find(std::string_view key) const {
  const std::size_t at = position(key, hash_of(key));
  if (at >= slots_.size()) {
    return std::nullopt;
  }
  return slots_[at].id;
}

void KeyIndex::file(std::string_view key, TxnId id) {
  const std::uint64_t hash = hash_of(key);
  if (const std::size_t at = position(key, hash); at < slots_.size()) {
    // The newer owner: its id, and a view of its own string (the older one's dies with it).
    slots_[at].id = id;
    slots_[at].key = key;
    return;
  }
  if ((size_ + 1) * 2 > slots_.size()) {
    rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
  }
  std::size_t i = hash & mask();
  while (slots_[i].id != 0) {
    i = (i + 1) & mask();
  }
  slots_[i] = Slot{hash, id, key};
  ++size_;
}

void KeyIndex::erase(std::string_view key, TxnId id) {
  std::size_t hole = position(key, hash_of(key));
  if (hole >= slots_.size() || slots_[hole].id != id) {
    return;
  }
  // Backward-shift deletion: move each later slot of the run whose home is not between the
  // hole and itself into the hole, so that no probe ever stops early at a gap.
  for (std::size_t j = (hole + 1) & mask(); slots_[j].id != 0; j = (j + 1) & mask()) {
    const std::size_t home = slots_[j].hash & mask();
    if (((j - home) & mask()) >= ((j - hole) & mask())) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
  // Give memory back after a burst: shrink once at most 1/8 full, to 1/4 full.
  if (slots_.size() > kMinCapacity && size_ * 8 < slots_.size()) {
    rehash(std::max(kMinCapacity, std::bit_ceil(size_ * 4)));
  }
}

void KeyIndex::rehash(std::size_t capacity) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  for (const Slot& s : old) {
    if (s.id == 0) {
      continue;
    }
    std::size_t i = s.hash & mask();
    while (slots_[i].id != 0) {
      i = (i + 1) & mask();
    }
    slots_[i] = s;
  }
}

}  // namespace cohort::sip::txn
