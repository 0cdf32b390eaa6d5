#pragma once
// Hashes and random tokens (OpenSSL underneath, kept out of the headers).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cohort::crypto {

/// Lower-case hex MD5 of `data` (RFC 2617 digest HA1 values).
std::string md5_hex(std::string_view data);
/// Lower-case hex SHA-256 of `data` (RFC 7616 digest, token hashes).
std::string sha256_hex(std::string_view data);
using Sha256Mac = std::array<unsigned char, 32>;
/// HMAC-SHA256 (RFC 2104) of `data` under `key` (any length; an empty key is allowed).
Sha256Mac hmac_sha256(std::string_view key, std::string_view data);
/// `bytes` bytes from a CSPRNG, as lower-case hex (2*bytes characters).
std::string random_hex(std::size_t bytes);
/// 64 random bits from the same CSPRNG blocks.
std::uint64_t random_u64();
/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace cohort::crypto
