#include "common/crypto.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

namespace cohort::crypto {
namespace {

// Known answers: RFC 1321 §A.5 (MD5 of ""), FIPS 180-2 Appendix B.1 (SHA-256 of "abc").
TEST(Crypto, Md5KnownAnswers) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Crypto, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// RFC 2617 §3.5: the example user Mufasa; HA1 = MD5(username ":" realm ":" password).
TEST(Crypto, Rfc2617Ha1) {
  EXPECT_EQ(md5_hex("Mufasa:testrealm@host.com:Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9");
}

TEST(Crypto, HashesBinaryInput) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(md5_hex(with_nul), md5_hex("a"));
  EXPECT_EQ(md5_hex(with_nul).size(), 32u);
}

TEST(Crypto, RandomHexLengthAndAlphabet) {
  for (std::size_t n : {0u, 1u, 16u, 32u}) {
    std::string s = random_hex(n);
    EXPECT_EQ(s.size(), 2 * n);
    EXPECT_EQ(s.find_first_not_of("0123456789abcdef"), std::string::npos) << s;
  }
}

TEST(Crypto, RandomHexIsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(random_hex(16));
  }
  EXPECT_EQ(seen.size(), 100u);
}

// Draws come from per-thread blocks of CSPRNG output: across many block refills (and
// sizes that do not divide the block) no value repeats, and larger-than-block draws work.
TEST(Crypto, RandomHexIsUniqueAcrossBlocks) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    seen.insert(random_hex(7 + static_cast<std::size_t>(i % 5)));
  }
  EXPECT_EQ(seen.size(), 20000u);
  EXPECT_EQ(random_hex(10000).size(), 20000u);
}

// A forked child must not hand out the bytes its parent will hand out next.
TEST(Crypto, RandomHexDiffersAfterFork) {
  (void)random_hex(8);  // the parent's block is filled
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string child = random_hex(16);
    ssize_t n = ::write(fds[1], child.data(), child.size());
    ::_exit(n == 32 ? 0 : 1);
  }
  const std::string parent = random_hex(16);
  char buf[32];
  ASSERT_EQ(::read(fds[0], buf, sizeof buf), 32);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_NE(std::string(buf, 32), parent);
}

std::string hex(const Sha256Mac& m) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : m) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// RFC 4231 §4: test cases 1 (short key), 2 (key shorter than the output), 6 (a 131-byte
// key, longer than a SHA-256 block: hashed first) and 7 (long key and long data).
TEST(Crypto, HmacSha256Rfc4231) {
  EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "This is a test using a larger than block-size key and a larger "
                            "than block-size data. The key needs to be hashed before being "
                            "used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// The keyed state is kept per thread: alternating keys (a key exactly one block long, one
// a prefix of another, the empty key) must each give their own MAC every time.
TEST(Crypto, HmacSha256AlternatingKeys) {
  const std::string block_key(64, 'k');
  const std::string expected_jefe = hex(hmac_sha256("Jefe", "what do ya want for nothing?"));
  const std::string expected_block = hex(hmac_sha256(block_key, "data"));
  const std::string expected_prefix = hex(hmac_sha256("Jef", "what do ya want for nothing?"));
  const std::string expected_empty = hex(hmac_sha256("", "data"));
  // RFC 2104 with an empty key is the MAC under 64 zero bytes.
  EXPECT_EQ(expected_empty, hex(hmac_sha256(std::string(64, '\0'), "data")));
  EXPECT_NE(expected_jefe, expected_prefix);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")), expected_jefe);
    EXPECT_EQ(hex(hmac_sha256(block_key, "data")), expected_block);
    EXPECT_EQ(hex(hmac_sha256("Jef", "what do ya want for nothing?")), expected_prefix);
    EXPECT_EQ(hex(hmac_sha256("", "data")), expected_empty);
  }
}

TEST(Crypto, RandomU64IsUnique) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    seen.insert(random_u64());
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("Secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
}

}  // namespace
}  // namespace cohort::crypto
