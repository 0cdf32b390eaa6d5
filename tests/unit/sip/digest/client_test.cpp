#include <gtest/gtest.h>

#include "sip/digest.hpp"

namespace cohort::sip::digest {
namespace {

TEST(DigestClient, ParsesAChallenge) {
  auto c = parse_challenge(
      R"(Digest realm="sip.example.net", nonce="abc", opaque="o1", algorithm=MD5, qop="auth,auth-int", stale=TRUE)");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->realm, "sip.example.net");
  EXPECT_EQ(c->nonce, "abc");
  EXPECT_EQ(c->opaque, "o1");
  EXPECT_TRUE(c->qop_auth);
  EXPECT_TRUE(c->stale);
  EXPECT_EQ(c->algorithm, Algorithm::kMd5);
}

TEST(DigestClient, RefusesWhatItCannotAnswer) {
  EXPECT_FALSE(parse_challenge(R"(Basic realm="x")"));
  EXPECT_FALSE(parse_challenge(R"(Digest realm="x", nonce="n", algorithm=MD5-sess)"));
  EXPECT_FALSE(parse_challenge(R"(Digest nonce="n")"));
}

// The answer must verify with our own server-side code, which is checked against RFC
// known answers elsewhere.
TEST(DigestClient, AnswerVerifiesServerSide) {
  const std::string secret = "k";
  const std::string nonce = make_nonce(secret, "cohort", 1000, 7);
  for (const char* alg : {"MD5", "SHA-256"}) {
    auto c = parse_challenge(std::string("Digest realm=\"cohort\", nonce=\"") + nonce +
                             "\", qop=\"auth\", algorithm=" + alg);
    ASSERT_TRUE(c);
    const std::string value =
        authorization_value(*c, "1001", "pw-1001", "INVITE", "sip:2000@cohort", "cn0", 1);
    auto creds = parse_credentials(value);
    ASSERT_TRUE(creds) << value;
    EXPECT_EQ(creds->nc, "00000001");
    const std::string ha1_md5 = compute_ha1(Algorithm::kMd5, "1001", "cohort", "pw-1001");
    const std::string ha1_sha = compute_ha1(Algorithm::kSha256, "1001", "cohort", "pw-1001");
    StoredHa1 stored{"cohort", ha1_md5, ha1_sha};
    VerifyOptions vo;
    vo.realm = "cohort";
    vo.secret = secret;
    EXPECT_EQ(verify(*creds, "INVITE", &stored, vo, 1001).outcome, Outcome::kOk) << alg;
    EXPECT_NE(verify(*creds, "BYE", &stored, vo, 1001).outcome, Outcome::kOk) << alg;
  }
}

TEST(DigestClient, WithoutQopUsesTheRfc2069Form) {
  auto c = parse_challenge(R"(Digest realm="r", nonce="n")");
  ASSERT_TRUE(c);
  const std::string value = authorization_value(*c, "u", "p", "REGISTER", "sip:r", "cn", 1);
  EXPECT_EQ(value.find("qop"), std::string::npos);
  const std::string expected =
      compute_response(Algorithm::kMd5, compute_ha1(Algorithm::kMd5, "u", "r", "p"), "n", "", "",
                       "", "REGISTER", "sip:r");
  EXPECT_NE(value.find(expected), std::string::npos);
}

}  // namespace
}  // namespace cohort::sip::digest
