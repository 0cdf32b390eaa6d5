// The on-hold answer of a call pickup (sdp::inactive_answer): a valid description that
// accepts every offered stream with the offer's formats and a=inactive, keeps rejected
// streams rejected, and follows the offer's address family.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sip/sdp.hpp"

namespace cohort::sip::sdp {
namespace {

TEST(InactiveAnswer, AcceptsEveryStreamOnHold) {
  const std::string offer =
      "v=0\r\no=alice 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 "
      "telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
      "m=video 0 RTP/AVP 31\r\n";
  auto o = parse(offer);
  ASSERT_TRUE(o.has_value()) << o.error().reason;
  const std::string answer = inactive_answer(*o);
  auto a = parse(answer);
  ASSERT_TRUE(a.has_value()) << a.error().reason << "\n" << answer;
  ASSERT_EQ(a->media.size(), 2u);
  EXPECT_EQ(a->media[0].media, "audio");
  EXPECT_EQ(a->media[0].port, 9);
  EXPECT_EQ(a->media[0].formats, (std::vector<std::string_view>{"0", "8", "101"}));
  const auto& attrs = a->media[0].attributes;
  EXPECT_NE(std::find(attrs.begin(), attrs.end(), "inactive"), attrs.end()) << answer;
  EXPECT_NE(std::find(attrs.begin(), attrs.end(), "fmtp:101 0-16"), attrs.end()) << answer;
  EXPECT_EQ(std::find(attrs.begin(), attrs.end(), "sendrecv"), attrs.end()) << answer;
  EXPECT_EQ(a->media[1].port, 0) << "a rejected stream stays rejected";
  EXPECT_TRUE(a->media[1].attributes.empty());
}

TEST(InactiveAnswer, FollowsTheOffersAddressFamily) {
  auto o = parse(
      "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
      "m=audio 5004 RTP/AVP 0\r\n");
  ASSERT_TRUE(o.has_value()) << o.error().reason;
  auto a = parse(inactive_answer(*o));
  ASSERT_TRUE(a.has_value()) << a.error().reason;
  EXPECT_EQ(a->origin.addrtype, "IP6");
  ASSERT_EQ(a->connections.size(), 1u);
  EXPECT_EQ(a->connections[0].addrtype, "IP6");
}

}  // namespace
}  // namespace cohort::sip::sdp
