#include "model/entities.hpp"

#include <gtest/gtest.h>

#include "common/crypto.hpp"

namespace cohort::model {
namespace {

TEST(Role, RoundTrip) {
  for (Role r : {Role::kAdmin, Role::kSupervisor, Role::kAgent}) {
    auto parsed = parse_role(to_string(r));
    ASSERT_TRUE(parsed.has_value()) << to_string(r);
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(to_string(Role::kAdmin), "admin");
  EXPECT_EQ(to_string(Role::kSupervisor), "supervisor");
  EXPECT_EQ(to_string(Role::kAgent), "agent");
}

TEST(Role, RejectsUnknownAndCaseVariants) {
  EXPECT_FALSE(parse_role("").has_value());
  EXPECT_FALSE(parse_role("Admin").has_value());
  EXPECT_FALSE(parse_role("root").has_value());
}

TEST(RingStrategy, RoundTrip) {
  const std::pair<RingStrategy, const char*> cases[] = {
      {RingStrategy::kSimultaneous, "simultaneous"}, {RingStrategy::kRoundRobin, "round_robin"},
      {RingStrategy::kLeastRecent, "least_recent"},  {RingStrategy::kSequential, "sequential"},
      {RingStrategy::kFewestCalls, "fewest_calls"},  {RingStrategy::kRandom, "random"},
  };
  for (const auto& [s, name] : cases) {
    EXPECT_EQ(to_string(s), name);
    auto parsed = parse_ring_strategy(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_FALSE(parse_ring_strategy("round-robin").has_value());
  EXPECT_FALSE(parse_ring_strategy("").has_value());
}

TEST(WaitingMode, RoundTrip) {
  const std::pair<WaitingMode, const char*> cases[] = {
      {WaitingMode::kRingback, "ringback"},
      {WaitingMode::kEarlyMedia, "early_media"},
      {WaitingMode::kAnswer, "answer"},
  };
  for (const auto& [m, name] : cases) {
    EXPECT_EQ(to_string(m), name);
    auto parsed = parse_waiting_mode(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_FALSE(parse_waiting_mode("early-media").has_value());
  EXPECT_FALSE(parse_waiting_mode("").has_value());
  EXPECT_EQ(Group{}.waiting_mode, WaitingMode::kRingback);
  EXPECT_EQ(Group{}.announce_position_every_s, 0);
}

TEST(TrunkMedia, RoundTrip) {
  const std::pair<TrunkMedia, const char*> cases[] = {
      {TrunkMedia::kRelay, "relay"},
      {TrunkMedia::kDirect, "direct"},
  };
  for (const auto& [m, name] : cases) {
    EXPECT_EQ(to_string(m), name);
    auto parsed = parse_trunk_media(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_FALSE(parse_trunk_media("Relay").has_value());
  EXPECT_FALSE(parse_trunk_media("sideways").has_value());
  EXPECT_FALSE(parse_trunk_media("").has_value());
  EXPECT_EQ(Trunk{}.media, TrunkMedia::kRelay) << "trunks relay unless told otherwise";
}

// RFC 2617 §3.5 example credentials. The SHA-256 value was computed independently with
// `printf 'Mufasa:testrealm@host.com:Circle Of Life' | sha256sum`.
TEST(DigestCredentials, Ha1Values) {
  DigestCredentials c = make_digest_credentials("Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(c.realm, "testrealm@host.com");
  EXPECT_EQ(c.ha1_md5, "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(c.ha1_sha256, "3ba6cd94661c5ef34598040c868f13b8775df29109986be50ad35ae537dd3aa4");
  EXPECT_FALSE(c.empty());
}

TEST(DigestCredentials, DependOnEveryPart) {
  auto base = make_digest_credentials("101", "cohort", "password1");
  EXPECT_NE(base, make_digest_credentials("102", "cohort", "password1"));
  EXPECT_NE(base, make_digest_credentials("101", "other", "password1"));
  EXPECT_NE(base, make_digest_credentials("101", "cohort", "password2"));
  EXPECT_EQ(base, make_digest_credentials("101", "cohort", "password1"));
}

TEST(DigestCredentials, DefaultIsEmpty) {
  EXPECT_TRUE(DigestCredentials{}.empty());
}

}  // namespace
}  // namespace cohort::model
