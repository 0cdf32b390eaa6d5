#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <stdexcept>
#include <vector>

namespace cohort::crypto {
namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");  // only on a broken OpenSSL install
  }
  return to_hex(out.data(), len);
}

std::atomic<unsigned> forks{0};

/// How many times this process has been forked into (0 in the original process).
unsigned fork_generation() {
  static const bool registered = [] {
    ::pthread_atfork(nullptr, nullptr, [] { forks.fetch_add(1); });
    return true;
  }();
  (void)registered;
  return forks.load(std::memory_order_relaxed);
}

}  // namespace

std::string md5_hex(std::string_view data) {
  return digest_hex(EVP_md5(), data);
}

std::string sha256_hex(std::string_view data) {
  return digest_hex(EVP_sha256(), data);
}

std::string random_hex(std::size_t bytes) {
  // Tags, branches and Call-IDs take several of these per call: draw from the CSPRNG in
  // blocks per thread instead of one RAND_bytes (and its fork check, a getpid) each.
  // Bytes are never handed out twice. A forked child must not use the block it inherited
  // (its parent uses the same bytes): a fork bumps the generation, which empties it.
  constexpr std::size_t kBlock = 4096;
  thread_local std::array<unsigned char, kBlock> block{};
  thread_local std::size_t used = kBlock;
  thread_local unsigned owner = ~0u;
  if (bytes > kBlock) {
    std::vector<unsigned char> buf(bytes);
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    return to_hex(buf.data(), buf.size());
  }
  if (used + bytes > kBlock || owner != fork_generation()) {
    if (RAND_bytes(block.data(), static_cast<int>(block.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    used = 0;
    owner = fork_generation();
  }
  std::string out = to_hex(block.data() + used, bytes);
  OPENSSL_cleanse(block.data() + used, bytes);
  used += bytes;
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cohort::crypto
