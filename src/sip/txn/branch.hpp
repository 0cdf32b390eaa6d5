#pragma once
// Branch parameters we mint (RFC 3261 §8.1.1.7): the magic cookie, then a token that names
// the shard owning the client transaction (STYLE practice 8), so that a response is routed
// to its owner by reading its branch, without a lock or a shared table.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cohort::sip::txn {

/// "z9hG4bK" (§8.1.1.7): a branch starting with it was minted by an RFC 3261 element.
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

/// "z9hG4bKc<shard hex>.<random hex>"; `random` (64 bits from the shard's generator)
/// makes the branch unique across space and time. Pure, any thread.
std::string make_branch(std::uint32_t shard, std::uint64_t random);

/// The shard encoded by make_branch(); nullopt for a branch we did not mint.
std::optional<std::uint32_t> shard_of_branch(std::string_view branch);

}  // namespace cohort::sip::txn
