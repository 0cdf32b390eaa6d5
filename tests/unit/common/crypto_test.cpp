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
