#pragma once
// Words for enums: one table per enum, read by both its to_string and its parse, so the two
// cannot disagree. The words are what the store and the API carry; the code carries enums.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace cohort::model {

/// Each value of an enum with its word, in the documented order.
template <class E, std::size_t N>
using EnumTable = std::array<std::pair<E, std::string_view>, N>;

template <class E, std::size_t N>
constexpr std::string_view name_of(const EnumTable<E, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) {
      return name;
    }
  }
  return "unknown";  // only reachable with a value cast from an out-of-range integer
}

/// The value whose word is exactly `s` (case-sensitive); nullopt for any other text.
template <class E, std::size_t N>
constexpr std::optional<E> value_of(const EnumTable<E, N>& table, std::string_view s) {
  for (const auto& [e, name] : table) {
    if (name == s) {
      return e;
    }
  }
  return std::nullopt;
}

/// The table's values, in its order.
template <class E, std::size_t N>
constexpr std::array<E, N> values_of(const EnumTable<E, N>& table) {
  std::array<E, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = table[i].first;
  }
  return out;
}

/// Whether row i holds the enumerator whose value is i, for every row: then the table has
/// every enumerator of a 0..N-1 enum once, and the value indexes arrays (counters).
template <class E, std::size_t N>
constexpr bool dense(const EnumTable<E, N>& table) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].first) != i) {
      return false;
    }
  }
  return true;
}

}  // namespace cohort::model
