#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <algorithm>
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

// OpenSSL 3 looks an algorithm up by name on every EVP_Digest(EVP_md5(), …) and
// allocates a context each time: a REGISTER costs several hashes, so the algorithms are
// fetched once per process and each thread keeps one context per use.
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    throw std::runtime_error(std::string("EVP_MD_fetch failed: ") + name);
  }
  return md;  // kept for the life of the process
}

const EVP_MD* md5() {
  static const EVP_MD* md = fetched("MD5");
  return md;
}

const EVP_MD* sha256() {
  static const EVP_MD* md = fetched("SHA256");
  return md;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  MdCtx() {
    if (ctx == nullptr) {
      throw std::runtime_error("EVP_MD_CTX_new failed");
    }
  }
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
  MdCtx(const MdCtx&) = delete;
  MdCtx& operator=(const MdCtx&) = delete;
};

void check(int ok, const char* what) {
  if (ok != 1) {
    throw std::runtime_error(what);  // only on a broken OpenSSL install
  }
}

unsigned digest_into(const EVP_MD* md, std::string_view data, unsigned char* out) {
  thread_local MdCtx c;
  unsigned len = 0;
  check(EVP_DigestInit_ex2(c.ctx, md, nullptr), "EVP_DigestInit_ex2 failed");
  check(EVP_DigestUpdate(c.ctx, data.data(), data.size()), "EVP_DigestUpdate failed");
  check(EVP_DigestFinal_ex(c.ctx, out, &len), "EVP_DigestFinal_ex failed");
  return len;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  const unsigned len = digest_into(md, data, out.data());
  return to_hex(out.data(), len);
}

// HMAC-SHA256 (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)). The two keyed prefixes are
// one SHA-256 block each; they are hashed once per key and thread, and each MAC starts from
// copies of those states. The callers use one server secret, so the key rarely changes.
class PrekeyedHmac {
 public:
  Sha256Mac mac(std::string_view key, std::string_view data) {
    if (!keyed_ || key != key_) {
      rekey(key);
    }
    Sha256Mac out{};
    unsigned len = 0;
    std::array<unsigned char, 32> inner{};
    check(EVP_MD_CTX_copy_ex(work_.ctx, inner_.ctx), "EVP_MD_CTX_copy_ex failed");
    check(EVP_DigestUpdate(work_.ctx, data.data(), data.size()), "EVP_DigestUpdate failed");
    check(EVP_DigestFinal_ex(work_.ctx, inner.data(), &len), "EVP_DigestFinal_ex failed");
    check(EVP_MD_CTX_copy_ex(work_.ctx, outer_.ctx), "EVP_MD_CTX_copy_ex failed");
    check(EVP_DigestUpdate(work_.ctx, inner.data(), inner.size()), "EVP_DigestUpdate failed");
    check(EVP_DigestFinal_ex(work_.ctx, out.data(), &len), "EVP_DigestFinal_ex failed");
    return out;
  }

 private:
  static constexpr std::size_t kBlock = 64;  // SHA-256's block size

  void rekey(std::string_view key) {
    std::array<unsigned char, kBlock> k{};
    if (key.size() > kBlock) {
      digest_into(sha256(), key, k.data());
    } else {
      std::copy(key.begin(), key.end(), k.begin());
    }
    std::array<unsigned char, kBlock> pad{};
    for (std::size_t i = 0; i < kBlock; ++i) {
      pad[i] = static_cast<unsigned char>(k[i] ^ 0x36);
    }
    check(EVP_DigestInit_ex2(inner_.ctx, sha256(), nullptr), "EVP_DigestInit_ex2 failed");
    check(EVP_DigestUpdate(inner_.ctx, pad.data(), pad.size()), "EVP_DigestUpdate failed");
    for (std::size_t i = 0; i < kBlock; ++i) {
      pad[i] = static_cast<unsigned char>(k[i] ^ 0x5c);
    }
    check(EVP_DigestInit_ex2(outer_.ctx, sha256(), nullptr), "EVP_DigestInit_ex2 failed");
    check(EVP_DigestUpdate(outer_.ctx, pad.data(), pad.size()), "EVP_DigestUpdate failed");
    OPENSSL_cleanse(k.data(), k.size());
    OPENSSL_cleanse(pad.data(), pad.size());
    if (!key_.empty()) {
      OPENSSL_cleanse(key_.data(), key_.size());
    }
    key_.assign(key);
    keyed_ = true;
  }

  MdCtx inner_;
  MdCtx outer_;
  MdCtx work_;
  std::string key_;
  bool keyed_ = false;
};

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
  return digest_hex(md5(), data);
}

std::string sha256_hex(std::string_view data) {
  return digest_hex(sha256(), data);
}

Sha256Mac hmac_sha256(std::string_view key, std::string_view data) {
  thread_local PrekeyedHmac hmac;
  return hmac.mac(key, data);
}

void random_bytes(unsigned char* out, std::size_t bytes) {
  // Tags, branches, Call-IDs and nonces take several of these per request: draw from the
  // CSPRNG in blocks per thread instead of one RAND_bytes (and its fork check, a getpid)
  // each. Bytes are never handed out twice. A forked child must not use the block it
  // inherited (its parent uses the same bytes): a fork bumps the generation, which empties it.
  constexpr std::size_t kBlock = 4096;
  thread_local std::array<unsigned char, kBlock> block{};
  thread_local std::size_t used = kBlock;
  thread_local unsigned owner = ~0u;
  if (bytes > kBlock) {
    check(RAND_bytes(out, static_cast<int>(bytes)), "RAND_bytes failed");
    return;
  }
  if (used + bytes > kBlock || owner != fork_generation()) {
    check(RAND_bytes(block.data(), static_cast<int>(block.size())), "RAND_bytes failed");
    used = 0;
    owner = fork_generation();
  }
  std::copy_n(block.data() + used, bytes, out);
  OPENSSL_cleanse(block.data() + used, bytes);
  used += bytes;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  random_bytes(buf.data(), bytes);
  std::string out = to_hex(buf.data(), buf.size());
  OPENSSL_cleanse(buf.data(), buf.size());
  return out;
}

std::uint64_t random_u64() {
  std::array<unsigned char, 8> b{};
  random_bytes(b.data(), b.size());
  std::uint64_t v = 0;
  for (unsigned char c : b) {
    v = (v << 8) | c;
  }
  return v;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cohort::crypto
