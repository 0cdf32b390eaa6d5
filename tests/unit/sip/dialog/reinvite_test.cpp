// RFC 3261 §14: one INVITE transaction at a time per dialog; glare answered 491 and retried
// after the §14.1 delay.

#include "sip/dialog/reinvite.hpp"

#include <gtest/gtest.h>

namespace cohort::sip::dialog {
namespace {

TEST(ReInvites, GlareIs491AndASecondIncomingIs500WithRetryAfter) {
  ReInvites r;
  EXPECT_TRUE(r.can_send());
  r.sent();
  EXPECT_FALSE(r.can_send()) << "our own re-INVITE is in progress";
  auto glare = r.on_incoming(7);
  ASSERT_TRUE(glare.has_value());
  EXPECT_EQ(glare->status, 491);
  EXPECT_FALSE(glare->retry_after.has_value());
  EXPECT_FALSE(r.incoming()) << "a refused INVITE is not in progress";
  r.outgoing_done();
  EXPECT_FALSE(r.on_incoming(7).has_value()) << "after ours completed, theirs proceeds";
  EXPECT_FALSE(r.can_send()) << "theirs is in progress now";
  for (std::uint32_t random : {0u, 5u, 10u, 11u, 4294967295u}) {
    auto second = r.on_incoming(random);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->status, 500);
    ASSERT_TRUE(second->retry_after.has_value());
    EXPECT_LE(*second->retry_after, 10u);
  }
  r.incoming_done();
  EXPECT_TRUE(r.can_send());
}

TEST(GlareRetryDelay, OwnerWaits2100To4000MsOthers0To2000In10MsSteps) {
  using std::chrono::milliseconds;
  milliseconds owner_min{99999}, owner_max{0}, other_min{99999}, other_max{0};
  for (std::uint32_t random = 0; random < 1000; ++random) {
    milliseconds a = glare_retry_delay(true, random);
    milliseconds b = glare_retry_delay(false, random);
    EXPECT_EQ(a.count() % 10, 0);
    EXPECT_EQ(b.count() % 10, 0);
    owner_min = std::min(owner_min, a);
    owner_max = std::max(owner_max, a);
    other_min = std::min(other_min, b);
    other_max = std::max(other_max, b);
  }
  EXPECT_EQ(owner_min, milliseconds(2100));
  EXPECT_EQ(owner_max, milliseconds(4000));
  EXPECT_EQ(other_min, milliseconds(0));
  EXPECT_EQ(other_max, milliseconds(2000));
}

}  // namespace
}  // namespace cohort::sip::dialog
