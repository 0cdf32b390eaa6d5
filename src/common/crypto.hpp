#pragma once
// Hashes and random tokens (OpenSSL underneath, kept out of the headers).

#include <string>
#include <string_view>

namespace cohort::crypto {

/// Lower-case hex MD5 of `data` (RFC 2617 digest HA1 values).
std::string md5_hex(std::string_view data);
/// Lower-case hex SHA-256 of `data` (RFC 7616 digest, token hashes).
std::string sha256_hex(std::string_view data);
/// `bytes` bytes from a CSPRNG, as lower-case hex (2*bytes characters).
std::string random_hex(std::size_t bytes);
/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace cohort::crypto
