#include "sip/txn/branch.hpp"

#include <charconv>

#include <fmt/format.h>

namespace cohort::sip::txn {
namespace {

// Follows the magic cookie in every branch we mint, so foreign branches that happen to
// start with hex digits are not taken for ours.
constexpr std::string_view kOurs = "c";

}  // namespace

std::string make_branch(std::uint32_t shard, std::uint64_t random) {
  return fmt::format("{}{}{:x}.{:016x}", kMagicCookie, kOurs, shard, random);
}

std::optional<std::uint32_t> shard_of_branch(std::string_view branch) {
  if (!branch.starts_with(kMagicCookie)) {
    return std::nullopt;
  }
  branch.remove_prefix(kMagicCookie.size());
  if (!branch.starts_with(kOurs)) {
    return std::nullopt;
  }
  branch.remove_prefix(kOurs.size());
  const std::size_t dot = branch.find('.');
  // 1–8 hex digits, a dot, and a non-empty random part.
  if (dot == std::string_view::npos || dot == 0 || dot > 8 || dot + 1 == branch.size()) {
    return std::nullopt;
  }
  std::uint32_t shard = 0;
  const char* first = branch.data();
  const char* last = branch.data() + dot;
  const auto [end, ec] = std::from_chars(first, last, shard, 16);
  if (ec != std::errc{} || end != last) {
    return std::nullopt;
  }
  return shard;
}

}  // namespace cohort::sip::txn
