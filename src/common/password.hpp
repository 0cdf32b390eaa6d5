#pragma once
// Console passwords (issue 10): argon2id through libsodium, a memory-hard KDF, so that a
// stolen database does not yield passwords at GPU speed. Only the encoded hash is kept.

#include <string>
#include <string_view>

namespace cohort::password {

/// The argon2id string of `plain` (`$argon2id$v=19$m=65536,t=2,p=1$salt$hash`), with a fresh
/// random salt. Takes ~0.1 s and 64 MiB: call it off latency-critical threads. Any thread.
std::string hash(std::string_view plain);

/// Whether `plain` matches `encoded` (an empty or malformed `encoded` matches nothing).
/// Costs the same as hash(). Any thread.
bool verify(std::string_view encoded, std::string_view plain);

/// Burns the time of one verify() so that an unknown account costs as much as a wrong
/// password (no account enumeration by timing). Any thread.
void verify_dummy(std::string_view plain);

/// A short stamp of `encoded` that changes whenever the password does; sessions carry it so
/// that a password change ends them. Empty for an empty `encoded`.
std::string stamp(std::string_view encoded);

}  // namespace cohort::password
