// Server-side digest: RFC 2617 / RFC 7616 known answers, credentials parsing, stateless
// nonces, verification outcomes and nonce-count replay protection.

#include "sip/digest.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "common/crypto.hpp"

namespace cohort::sip::digest {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kRealm = "pbx.example.com";
constexpr std::int64_t kNow = 1'700'000'000;

// ---- Known answers ----------------------------------------------------------------------

TEST(DigestKat, Rfc2617Section3_5) {
  std::string ha1 = compute_ha1(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(ha1, "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(compute_response(Algorithm::kMd5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                             "0a4f113b", "auth", "GET", "/dir/index.html"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestKat, Rfc7616Section3_9_1Md5) {
  std::string ha1 =
      compute_ha1(Algorithm::kMd5, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(compute_response(Algorithm::kMd5, ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                             "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth",
                             "GET", "/dir/index.html"),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestKat, Rfc7616Section3_9_1Sha256) {
  std::string ha1 =
      compute_ha1(Algorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(ha1.size(), 64u);
  EXPECT_EQ(compute_response(
                Algorithm::kSha256, ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET", "/dir/index.html"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestKat, Rfc2069FormWithoutQop) {
  // RFC 2069 §2.4's printed response is wrong (errata); this is H(HA1:nonce:HA2) for its
  // inputs, cross-checked with Python's hashlib.
  std::string ha1 = compute_ha1(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "CircleOfLife");
  EXPECT_EQ(compute_response(Algorithm::kMd5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "", "", "",
                             "GET", "/dir/index.html"),
            "1949323746fe6a43ef61f9606e7febea");
}

TEST(DigestKat, AlgorithmNames) {
  EXPECT_EQ(parse_algorithm("md5"), Algorithm::kMd5);
  EXPECT_EQ(parse_algorithm("SHA-256"), Algorithm::kSha256);
  EXPECT_EQ(parse_algorithm("sha-256"), Algorithm::kSha256);
  EXPECT_EQ(parse_algorithm("MD5-sess"), std::nullopt);
  EXPECT_EQ(parse_algorithm("SHA-256-sess"), std::nullopt);
  EXPECT_EQ(parse_algorithm("SHA-512-256"), std::nullopt);
  EXPECT_EQ(to_string(Algorithm::kSha256), "SHA-256");
}

// ---- Credentials parsing ----------------------------------------------------------------

TEST(DigestParse, Rfc2617Example) {
  auto c = parse_credentials(
      "Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\",\r\n"
      " nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n uri=\"/dir/index.html\",\r\n"
      " qop=auth,\r\n nc=00000001,\r\n cnonce=\"0a4f113b\",\r\n"
      " response=\"6629fae49393a05397450978507c4ef1\",\r\n"
      " opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->username, "Mufasa");
  EXPECT_EQ(c->realm, "testrealm@host.com");
  EXPECT_EQ(c->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  EXPECT_EQ(c->uri, "/dir/index.html");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_EQ(c->cnonce, "0a4f113b");
  EXPECT_EQ(c->response, "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(c->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(c->algorithm, std::nullopt);
}

TEST(DigestParse, CaseInsensitiveSchemeAndNames) {
  auto c = parse_credentials("dIgEsT UserName=\"100\", REALM=\"r\", Algorithm=sha-256");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "100");
  EXPECT_EQ(c->realm, "r");
  EXPECT_EQ(c->algorithm, "sha-256");
}

TEST(DigestParse, QuotedStringEscapesAndCommas) {
  auto c = parse_credentials(R"(Digest username="a\"b\\c", realm="x, y", uri="sip:a@b;x=\,")");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->username, "a\"b\\c");
  EXPECT_EQ(c->realm, "x, y");
  EXPECT_EQ(c->uri, "sip:a@b;x=,");
}

TEST(DigestParse, LenientTokensAndEmptyElements) {
  // Some phones quote tokens (qop="auth") or leave the uri bare; empty list elements are OK.
  auto c = parse_credentials(
      "Digest  username=100 ,, realm=\"r\",uri=sip:pbx.example.com:5060 , qop=\"auth\",");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->username, "100");
  EXPECT_EQ(c->uri, "sip:pbx.example.com:5060");
  EXPECT_EQ(c->qop, "auth");
}

TEST(DigestParse, EmptyQuotedValueIsPresent) {
  auto c = parse_credentials("Digest username=\"u\", opaque=\"\"");
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->opaque.has_value());
  EXPECT_EQ(*c->opaque, "");
}

TEST(DigestParse, UnknownParamsKept) {
  auto c = parse_credentials("Digest username=\"u\", Foo=bar, baz=\"q x\"");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->extra.size(), 2u);
  EXPECT_EQ(c->extra[0].first, "foo");
  EXPECT_EQ(c->extra[0].second, "bar");
  EXPECT_EQ(c->extra[1].second, "q x");
}

TEST(DigestParse, UsernameStar) {
  // RFC 7616 §3.9.2 style ext-value.
  auto c = parse_credentials("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"r\"");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->username, "J\xC3\xA4s\xC3\xB8n Doe");
}

TEST(DigestParse, Userhash) {
  auto c = parse_credentials("Digest username=\"u\", userhash=TRUE");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->userhash);
}

TEST(DigestParse, Rejects) {
  const std::vector<std::string_view> bad = {
      "",
      "Digest",
      "Digest ",
      "Basic dXNlcjpwYXNz",
      "Digestusername=\"u\"",
      "Digest username=\"u\", username=\"v\"",      // duplicate
      "Digest username=\"u\", USERNAME=\"v\"",      // duplicate, other case
      "Digest username=\"u",                        // unterminated
      "Digest username=\"u\\",                      // escape at the end
      "Digest username",                            // no '='
      "Digest username=",                           // no value
      "Digest username=, realm=\"r\"",              // empty bare value
      "Digest =x",                                  // no name
      "Digest username=\"u\" realm=\"r\"",          // no comma
      "Digest username=\"u\"x",                     // junk after a quoted value
      "Digest username=\"u\", username*=UTF-8''v",  // both forms
      "Digest username*=ISO-8859-1''v",             // charset
      "Digest username*=UTF-8''%4",                 // bad escape
      "Digest username*=\"UTF-8''v\"",              // quoted ext-value
      "Digest userhash=maybe",
  };
  for (auto v : bad) {
    auto c = parse_credentials(v);
    EXPECT_FALSE(c) << v;
    if (!c) {
      EXPECT_EQ(c.error().status, 400);
      EXPECT_EQ(c.error().kind, ParseError::Kind::kMalformed);
      EXPECT_FALSE(c.error().reason.empty());
    }
  }
}

TEST(DigestParse, FindCredentialsByRealm) {
  std::vector<Header> headers = {
      {HeaderId::kAuthorization, "Authorization", "Bearer abc"},
      {HeaderId::kAuthorization, "Authorization", "Digest username=\"u\", realm=\"other\""},
      {HeaderId::kProxyAuthorization, "Proxy-Authorization",
       "Digest username=\"p\", realm=\"pbx.example.com\""},
      {HeaderId::kAuthorization, "Authorization",
       "Digest username=\"me\", realm=\"pbx.example.com\""},
  };
  auto found = find_credentials(headers, HeaderId::kAuthorization, kRealm);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username, "me");

  auto proxy = find_credentials(headers, HeaderId::kProxyAuthorization, kRealm);
  ASSERT_TRUE(proxy && proxy->has_value());
  EXPECT_EQ((*proxy)->username, "p");

  auto none = find_credentials(headers, HeaderId::kAuthorization, "nowhere");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  std::vector<Header> broken = {
      {HeaderId::kAuthorization, "Authorization", "Digest username=\"u"},
  };
  EXPECT_FALSE(find_credentials(broken, HeaderId::kAuthorization, kRealm));
  EXPECT_FALSE(find_credentials({}, HeaderId::kAuthorization, kRealm)->has_value());
}

// ---- Challenges -------------------------------------------------------------------------

TEST(DigestChallenge, Format) {
  EXPECT_EQ(challenge_value({.realm = "r", .nonce = "n"}),
            "Digest realm=\"r\", nonce=\"n\", algorithm=MD5, qop=\"auth\"");
  EXPECT_EQ(challenge_value({.realm = "a\"b",
                             .nonce = "n",
                             .opaque = "o",
                             .algorithm = Algorithm::kSha256,
                             .stale = true}),
            "Digest realm=\"a\\\"b\", nonce=\"n\", opaque=\"o\", algorithm=SHA-256, "
            "qop=\"auth\", stale=true");
}

TEST(DigestChallenge, RoundTripsThroughTheParser) {
  // A challenge parses with the credentials grammar (same auth-param syntax).
  std::string v = challenge_value({.realm = "x\\y", .nonce = "n", .stale = true});
  auto c = parse_credentials(v);
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->realm, "x\\y");
  EXPECT_EQ(c->qop, "auth");
}

// ---- Nonces -----------------------------------------------------------------------------

TEST(DigestNonce, FreshStaleAndSkew) {
  std::string n = make_nonce(kSecret, kRealm, kNow, 42);
  EXPECT_EQ(n.size(), 43u);
  EXPECT_EQ(n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n, kNow), NonceState::kFresh);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n, kNow + kDefaultNonceTtl), NonceState::kFresh);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n, kNow + kDefaultNonceTtl + 1), NonceState::kStale);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n, kNow + 61, 60), NonceState::kStale);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n, kNow - kNonceClockSkew), NonceState::kFresh);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n, kNow - kNonceClockSkew - 1), NonceState::kStale);
}

TEST(DigestNonce, DeterministicAndRandom) {
  EXPECT_EQ(make_nonce(kSecret, kRealm, kNow, 7), make_nonce(kSecret, kRealm, kNow, 7));
  EXPECT_NE(make_nonce(kSecret, kRealm, kNow, 7), make_nonce(kSecret, kRealm, kNow, 8));
  std::string a = make_nonce(kSecret, kRealm, kNow);
  std::string b = make_nonce(kSecret, kRealm, kNow);
  EXPECT_NE(a, b);
  EXPECT_EQ(check_nonce(kSecret, kRealm, a, kNow), NonceState::kFresh);
}

TEST(DigestNonce, TamperedOtherRealmOtherSecret) {
  std::string n = make_nonce(kSecret, kRealm, kNow, 42);
  EXPECT_EQ(check_nonce(kSecret, "other.example.com", n, kNow), NonceState::kInvalid);
  EXPECT_EQ(check_nonce("another secret", kRealm, n, kNow), NonceState::kInvalid);
  // Flip every position: the timestamp, the random part and the MAC are all covered.
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string t = n;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(check_nonce(kSecret, kRealm, t, kNow), NonceState::kInvalid) << i;
  }
  EXPECT_EQ(check_nonce(kSecret, kRealm, "", kNow), NonceState::kInvalid);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n.substr(1), kNow), NonceState::kInvalid);
  EXPECT_EQ(check_nonce(kSecret, kRealm, n + "A", kNow), NonceState::kInvalid);
  EXPECT_EQ(check_nonce(kSecret, kRealm, "dcd98b7102dd2f0e8b11d0f600bfb0c093", kNow),
            NonceState::kInvalid);
  std::string with_pad = n;
  with_pad.back() = '=';
  EXPECT_EQ(check_nonce(kSecret, kRealm, with_pad, kNow), NonceState::kInvalid);
}

// ---- Verification -----------------------------------------------------------------------

struct Phone {
  std::string username = "100";
  std::string password = "s3cret";
  Algorithm algorithm = Algorithm::kMd5;

  Credentials answer(std::string_view nonce, std::string_view nc = "00000001",
                     std::string_view method = "REGISTER",
                     std::string_view uri = "sip:pbx.example.com") const {
    Credentials c;
    c.username = username;
    c.realm = std::string(kRealm);
    c.nonce = std::string(nonce);
    c.uri = std::string(uri);
    c.qop = "auth";
    c.nc = std::string(nc);
    c.cnonce = "0a4f113b";
    if (algorithm == Algorithm::kSha256) {
      c.algorithm = "SHA-256";
    }
    c.response = compute_response(algorithm, compute_ha1(algorithm, username, kRealm, password),
                                  c.nonce, *c.nc, *c.cnonce, "auth", method, c.uri);
    return c;
  }
};

struct Stored {
  std::string md5;
  std::string sha256;
  explicit Stored(const Phone& p)
      : md5(compute_ha1(Algorithm::kMd5, p.username, kRealm, p.password)),
        sha256(compute_ha1(Algorithm::kSha256, p.username, kRealm, p.password)) {}
  StoredHa1 view() const { return {kRealm, md5, sha256}; }
};

VerifyOptions options() {
  VerifyOptions o;
  o.realm = kRealm;
  o.secret = kSecret;
  return o;
}

TEST(DigestVerify, OkMd5AndSha256) {
  for (auto alg : {Algorithm::kMd5, Algorithm::kSha256}) {
    Phone phone;
    phone.algorithm = alg;
    Stored stored(phone);
    StoredHa1 s = stored.view();
    std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
    auto v = verify(phone.answer(nonce), "REGISTER", &s, options(), kNow + 10);
    EXPECT_EQ(v.outcome, Outcome::kOk) << to_string(v.outcome);
    EXPECT_EQ(v.username, "100");
    EXPECT_EQ(v.algorithm, alg);
  }
}

TEST(DigestVerify, UpperCaseHexResponseAccepted) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  auto c = phone.answer(make_nonce(kSecret, kRealm, kNow, 1));
  for (char& ch : c.response) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  EXPECT_EQ(verify(c, "REGISTER", &s, options(), kNow).outcome, Outcome::kOk);
}

TEST(DigestVerify, WrongPasswordMethodOrUri) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  Phone wrong = phone;
  wrong.password = "guess";
  EXPECT_EQ(verify(wrong.answer(nonce), "REGISTER", &s, options(), kNow).outcome,
            Outcome::kBadCredentials);
  // The response covers the method: an INVITE answer does not authenticate a REGISTER.
  EXPECT_EQ(
      verify(phone.answer(nonce, "00000001", "INVITE"), "REGISTER", &s, options(), kNow).outcome,
      Outcome::kBadCredentials);
  auto c = phone.answer(nonce);
  c.uri = "sip:other.example.com";
  EXPECT_EQ(verify(c, "REGISTER", &s, options(), kNow).outcome, Outcome::kBadCredentials);
  c = phone.answer(nonce);
  c.cnonce = "different";
  EXPECT_EQ(verify(c, "REGISTER", &s, options(), kNow).outcome, Outcome::kBadCredentials);
}

TEST(DigestVerify, StaleOnlyWhenTheResponseIsRight) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  auto v = verify(phone.answer(nonce), "REGISTER", &s, options(), kNow + kDefaultNonceTtl + 1);
  EXPECT_EQ(v.outcome, Outcome::kStale);
  EXPECT_EQ(v.username, "100");
  Phone wrong = phone;
  wrong.password = "guess";
  EXPECT_EQ(
      verify(wrong.answer(nonce), "REGISTER", &s, options(), kNow + kDefaultNonceTtl + 1).outcome,
      Outcome::kBadCredentials);
  // A custom TTL.
  VerifyOptions o = options();
  o.nonce_ttl = 30;
  EXPECT_EQ(verify(phone.answer(nonce), "REGISTER", &s, o, kNow + 31).outcome, Outcome::kStale);
}

TEST(DigestVerify, ForeignOrTamperedNonceIsBad) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  EXPECT_EQ(
      verify(phone.answer("dcd98b7102dd2f0e8b11d0f600bfb0c093"), "REGISTER", &s, options(), kNow)
          .outcome,
      Outcome::kBadCredentials);
  std::string other = make_nonce(kSecret, "other.example.com", kNow, 1);
  EXPECT_EQ(verify(phone.answer(other), "REGISTER", &s, options(), kNow).outcome,
            Outcome::kBadCredentials);
  std::string foreign = make_nonce("other secret", kRealm, kNow, 1);
  EXPECT_EQ(verify(phone.answer(foreign), "REGISTER", &s, options(), kNow).outcome,
            Outcome::kBadCredentials);
}

TEST(DigestVerify, UnknownUserLooksLikeAWrongPassword) {
  Phone phone;
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  auto v = verify(phone.answer(nonce), "REGISTER", nullptr, options(), kNow);
  EXPECT_EQ(v.outcome, Outcome::kBadCredentials);
  EXPECT_TRUE(v.username.empty());
  // Even a client that somehow sends H() of the fake HA1 does not get in.
  auto c = phone.answer(nonce);
  c.response = compute_response(Algorithm::kMd5, fake_ha1(kSecret, "100", kRealm, Algorithm::kMd5),
                                nonce, "00000001", "0a4f113b", "auth", "REGISTER", c.uri);
  EXPECT_EQ(verify(c, "REGISTER", nullptr, options(), kNow).outcome, Outcome::kBadCredentials);
}

TEST(DigestVerify, StoredHa1UnderAnotherRealmOrMissing) {
  Phone phone;
  Stored stored(phone);
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  StoredHa1 old_realm{"old.example.com", stored.md5, stored.sha256};
  EXPECT_EQ(verify(phone.answer(nonce), "REGISTER", &old_realm, options(), kNow).outcome,
            Outcome::kBadCredentials);
  StoredHa1 md5_only{kRealm, stored.md5, ""};
  Phone sha = phone;
  sha.algorithm = Algorithm::kSha256;
  EXPECT_EQ(verify(sha.answer(nonce), "REGISTER", &md5_only, options(), kNow).outcome,
            Outcome::kBadCredentials);
  EXPECT_EQ(verify(phone.answer(nonce), "REGISTER", &md5_only, options(), kNow).outcome,
            Outcome::kOk);
}

TEST(DigestVerify, FakeHa1IsStablePerUserAndShaped) {
  std::string a = fake_ha1(kSecret, "alice", kRealm, Algorithm::kMd5);
  EXPECT_EQ(a, fake_ha1(kSecret, "alice", kRealm, Algorithm::kMd5));
  EXPECT_NE(a, fake_ha1(kSecret, "bob", kRealm, Algorithm::kMd5));
  EXPECT_NE(a, fake_ha1("other", "alice", kRealm, Algorithm::kMd5));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(fake_ha1(kSecret, "alice", kRealm, Algorithm::kSha256).size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(DigestVerify, Malformed) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  auto check = [&](auto mutate, Outcome want) {
    Credentials c = phone.answer(nonce);
    mutate(c);
    EXPECT_EQ(verify(c, "REGISTER", &s, options(), kNow).outcome, want);
  };
  check([](Credentials& c) { c.username.clear(); }, Outcome::kMalformed);
  check([](Credentials& c) { c.uri.clear(); }, Outcome::kMalformed);
  check([](Credentials& c) { c.nonce.clear(); }, Outcome::kMalformed);
  check([](Credentials& c) { c.response.clear(); }, Outcome::kMalformed);
  check([](Credentials& c) { c.realm = "other.example.com"; }, Outcome::kMalformed);
  check([](Credentials& c) { c.qop = "auth-int"; }, Outcome::kMalformed);
  check([](Credentials& c) { c.cnonce.reset(); }, Outcome::kMalformed);
  check([](Credentials& c) { c.nc.reset(); }, Outcome::kMalformed);
  check([](Credentials& c) { c.nc = "1"; }, Outcome::kMalformed);
  check([](Credentials& c) { c.nc = "0000000g"; }, Outcome::kMalformed);
  check([](Credentials& c) { c.nc = "00000000"; }, Outcome::kMalformed);
  check([](Credentials& c) { c.userhash = true; }, Outcome::kMalformed);
  check([](Credentials& c) { c.algorithm = "MD5-sess"; }, Outcome::kUnknownAlgorithm);
  check([](Credentials& c) { c.algorithm = "SHA-256-sess"; }, Outcome::kUnknownAlgorithm);
  check([](Credentials& c) { c.algorithm = "SHA-512-256"; }, Outcome::kUnknownAlgorithm);
  check([](Credentials& c) { c.algorithm = "md5"; }, Outcome::kOk);
}

TEST(DigestVerify, NoQopIsAnOption) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  Credentials c = phone.answer(nonce);
  c.qop.reset();
  c.nc.reset();
  c.cnonce.reset();
  c.response = compute_response(Algorithm::kMd5, stored.md5, nonce, "", "", "", "REGISTER", c.uri);
  EXPECT_EQ(verify(c, "REGISTER", &s, options(), kNow).outcome, Outcome::kMalformed);
  VerifyOptions o = options();
  o.allow_no_qop = true;
  NonceCounts counts;
  EXPECT_EQ(verify(c, "REGISTER", &s, o, kNow, &counts).outcome, Outcome::kOk);
  EXPECT_EQ(counts.size(), 0u);  // nothing to count without nc
}

TEST(DigestVerify, Opaque) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  VerifyOptions o = options();
  o.opaque = "op";
  Credentials c = phone.answer(nonce);
  EXPECT_EQ(verify(c, "REGISTER", &s, o, kNow).outcome, Outcome::kMalformed);
  c.opaque = "xx";
  EXPECT_EQ(verify(c, "REGISTER", &s, o, kNow).outcome, Outcome::kMalformed);
  c.opaque = "op";
  EXPECT_EQ(verify(c, "REGISTER", &s, o, kNow).outcome, Outcome::kOk);
}

TEST(DigestVerify, EndToEndThroughTheParser) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 9);
  Credentials a = phone.answer(nonce);
  std::string header = "Digest username=\"" + a.username + "\", realm=\"" + a.realm +
                       "\", nonce=\"" + a.nonce + "\", uri=\"" + a.uri + "\", response=\"" +
                       a.response + "\", algorithm=MD5, cnonce=\"" + *a.cnonce +
                       "\", qop=auth, nc=" + *a.nc;
  auto c = parse_credentials(header);
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(verify(*c, "REGISTER", &s, options(), kNow).outcome, Outcome::kOk);
}

// ---- Replay -----------------------------------------------------------------------------

TEST(DigestReplay, SameNcIsAReplayHigherIsOk) {
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  NonceCounts counts;
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  EXPECT_EQ(
      verify(phone.answer(nonce, "00000001"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kOk);
  EXPECT_EQ(
      verify(phone.answer(nonce, "00000001"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kReplay);
  EXPECT_EQ(
      verify(phone.answer(nonce, "00000002"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kOk);
  EXPECT_EQ(
      verify(phone.answer(nonce, "00000001"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kReplay);
  EXPECT_EQ(
      verify(phone.answer(nonce, "0000000a"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kOk);
  EXPECT_EQ(counts.last(nonce), 10u);
}

TEST(DigestReplay, FailuresDoNotAdvanceTheCount) {
  // A forged request with a high nc must not lock the real client out of its nonce.
  Phone phone;
  Stored stored(phone);
  StoredHa1 s = stored.view();
  NonceCounts counts;
  std::string nonce = make_nonce(kSecret, kRealm, kNow, 1);
  Phone wrong = phone;
  wrong.password = "guess";
  EXPECT_EQ(
      verify(wrong.answer(nonce, "ffffffff"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kBadCredentials);
  EXPECT_EQ(counts.size(), 0u);
  EXPECT_EQ(
      verify(phone.answer(nonce, "00000001"), "REGISTER", &s, options(), kNow, &counts).outcome,
      Outcome::kOk);
  // A stale nonce is not recorded either.
  std::string old = make_nonce(kSecret, kRealm, kNow - 1000, 2);
  EXPECT_EQ(verify(phone.answer(old), "REGISTER", &s, options(), kNow, &counts).outcome,
            Outcome::kStale);
  EXPECT_EQ(counts.size(), 1u);
}

TEST(DigestReplay, BoundedLru) {
  NonceCounts counts(3);
  EXPECT_TRUE(counts.accept("a", 1));
  EXPECT_TRUE(counts.accept("b", 1));
  EXPECT_TRUE(counts.accept("c", 1));
  EXPECT_TRUE(counts.accept("a", 2));  // a is now the most recent; b the oldest
  EXPECT_TRUE(counts.accept("d", 1));  // evicts b
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts.last("b"), std::nullopt);
  EXPECT_EQ(counts.last("a"), 2u);
  EXPECT_FALSE(counts.accept("a", 2));
  EXPECT_FALSE(counts.accept("c", 1));
  EXPECT_TRUE(counts.accept("b", 1));  // forgotten, so accepted again; evicts c
  EXPECT_EQ(counts.last("c"), std::nullopt);
  EXPECT_EQ(counts.last("d"), 1u);
}

TEST(DigestReplay, ManyNoncesStayBounded) {
  NonceCounts counts(1000);
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_TRUE(counts.accept("nonce-" + std::to_string(i), 1));
  }
  EXPECT_EQ(counts.size(), 1000u);
  EXPECT_FALSE(counts.accept("nonce-9999", 1));
  EXPECT_TRUE(counts.accept("nonce-0", 1));
}

// The recency order and the bucket chains stay right through many evictions and refreshes
// in a small table (every slot is reused many times; chains of several entries).
TEST(DigestReplay, EvictsTheLeastRecentlyUsedThroughManyReuses) {
  constexpr std::size_t kCapacity = 7;
  NonceCounts counts(kCapacity);
  std::vector<std::string> recent;  // most recently used last, as the table should order them
  for (int i = 0; i < 500; ++i) {
    const std::string fresh = "n" + std::to_string(i);
    ASSERT_TRUE(counts.accept(fresh, 1));
    recent.push_back(fresh);
    if (recent.size() > kCapacity) {
      const std::string evicted = recent.front();
      recent.erase(recent.begin());
      ASSERT_EQ(counts.last(evicted), std::nullopt) << evicted << " at " << i;
    }
    if (i % 3 == 0 && recent.size() > 2) {
      // Use an older one again: it becomes the most recent.
      const std::string again = recent[1];
      const auto before = counts.last(again);
      ASSERT_TRUE(before);
      ASSERT_TRUE(counts.accept(again, *before + 1));
      ASSERT_FALSE(counts.accept(again, *before + 1)) << "a replay was accepted";
      recent.erase(recent.begin() + 1);
      recent.push_back(again);
    }
    ASSERT_EQ(counts.size(), recent.size());
    for (const std::string& n : recent) {
      ASSERT_TRUE(counts.last(n)) << n << " forgotten at " << i;
    }
  }
}

TEST(DigestReplay, ParseNonceCount) {
  EXPECT_EQ(parse_nonce_count("00000001"), 1u);
  EXPECT_EQ(parse_nonce_count("FFFFFFFF"), 0xffffffffu);
  EXPECT_EQ(parse_nonce_count("0000000A"), 10u);
  EXPECT_EQ(parse_nonce_count("00000000"), std::nullopt);
  EXPECT_EQ(parse_nonce_count("0000001"), std::nullopt);
  EXPECT_EQ(parse_nonce_count("000000001"), std::nullopt);
  EXPECT_EQ(parse_nonce_count("0000000x"), std::nullopt);
}

}  // namespace
}  // namespace cohort::sip::digest
