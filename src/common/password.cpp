#include "common/password.hpp"

#include <sodium.h>

#include <stdexcept>

#include "common/crypto.hpp"

namespace cohort::password {
namespace {

void ensure_init() {
  // sodium_init is thread-safe and idempotent; a failure means no usable CSPRNG.
  static const bool ok = sodium_init() >= 0;
  if (!ok) {
    throw std::runtime_error("libsodium failed to initialise");
  }
}

constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

}  // namespace

std::string hash(std::string_view plain) {
  ensure_init();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, plain.data(), plain.size(), kOps, kMem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return std::string(out);
}

bool verify(std::string_view encoded, std::string_view plain) {
  ensure_init();
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) {
    return false;
  }
  std::string z(encoded);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), plain.data(), plain.size()) == 0;
}

void verify_dummy(std::string_view plain) {
  // One hash made at first use, with the same parameters as real ones.
  static const std::string dummy = hash("cohort-no-such-account");
  (void)verify(dummy, plain);
}

std::string stamp(std::string_view encoded) {
  if (encoded.empty()) {
    return {};
  }
  return crypto::sha256_hex(encoded).substr(0, 32);
}

}  // namespace cohort::password
