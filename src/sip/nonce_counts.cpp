// Nonce-count replay protection (RFC 7616 §3.4, RFC 2617 §3.2.2): the bounded table of the
// highest nonce-count accepted per nonce (declared in digest.hpp).
#include <algorithm>
#include <functional>

#include "sip/digest.hpp"

namespace cohort::sip::digest {

NonceCounts::NonceCounts(std::size_t capacity)
    : capacity_(std::clamp<std::size_t>(capacity, 1, kNone - 1)) {
  slots_.reserve(capacity_);
  std::size_t n = 1;
  while (n < capacity_) {
    n <<= 1;
  }
  buckets_.assign(n, kNone);
}

NonceCounts::Key NonceCounts::key_of(std::string_view nonce) {
  // Two unrelated hashes: libstdc++'s (Murmur-based) and FNV-1a. Telling two nonces apart
  // by 128 bits: a collision would only make a fresh nonce look used (a new 401).
  std::uint64_t fnv = 0xcbf29ce484222325ull;
  for (char c : nonce) {
    fnv = (fnv ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  return Key{std::hash<std::string_view>{}(nonce), fnv};
}

std::uint32_t NonceCounts::find(const Key& k) const {
  for (std::uint32_t i = buckets_[k.h1 & (buckets_.size() - 1)]; i != kNone; i = slots_[i].chain) {
    if (slots_[i].h1 == k.h1 && slots_[i].h2 == k.h2) {
      return i;
    }
  }
  return kNone;
}

void NonceCounts::unlink(std::uint32_t i) {
  Slot& s = slots_[i];
  (s.newer == kNone ? newest_ : slots_[s.newer].older) = s.older;
  (s.older == kNone ? oldest_ : slots_[s.older].newer) = s.newer;
  s.newer = s.older = kNone;
}

void NonceCounts::push_front(std::uint32_t i) {
  Slot& s = slots_[i];
  s.newer = kNone;
  s.older = newest_;
  if (newest_ != kNone) {
    slots_[newest_].newer = i;
  }
  newest_ = i;
  if (oldest_ == kNone) {
    oldest_ = i;
  }
}

bool NonceCounts::accept(std::string_view nonce, std::uint32_t nc) {
  const Key k = key_of(nonce);
  if (std::uint32_t i = find(k); i != kNone) {
    if (nc <= slots_[i].nc) {
      return false;
    }
    slots_[i].nc = nc;
    unlink(i);
    push_front(i);
    return true;
  }
  std::uint32_t i = 0;
  if (slots_.size() < capacity_) {
    i = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    // Full: the least recently used slot is forgotten and reused.
    i = oldest_;
    unlink(i);
    std::uint32_t* link = &bucket_of(slots_[i].h1);
    while (*link != i) {
      link = &slots_[*link].chain;
    }
    *link = slots_[i].chain;
  }
  Slot& s = slots_[i];
  s.h1 = k.h1;
  s.h2 = k.h2;
  s.nc = nc;
  std::uint32_t& head = bucket_of(k.h1);
  s.chain = head;
  head = i;
  push_front(i);
  return true;
}

std::optional<std::uint32_t> NonceCounts::last(std::string_view nonce) const {
  const std::uint32_t i = find(key_of(nonce));
  if (i == kNone) {
    return std::nullopt;
  }
  return slots_[i].nc;
}

}  // namespace cohort::sip::digest
