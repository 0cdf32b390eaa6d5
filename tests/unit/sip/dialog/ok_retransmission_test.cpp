// RFC 3261 §13.3.1.4: the UAS retransmits its 2xx from T1 doubling to T2 until the ACK, and
// gives up after 64*T1. Simulated clock.

#include "sip/dialog/ok_retransmission.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cohort::sip::dialog {
namespace {

using std::chrono::milliseconds;
using Step = OkRetransmission::Step;
const OkRetransmission::TimePoint t0{};

/// Runs the machine to its end, firing at every next(), and returns the resend offsets.
std::vector<long> resends(OkRetransmission& m, Step* last) {
  std::vector<long> out;
  while (auto at = m.next()) {
    Step s = m.on_timer(*at);
    if (s == Step::kResend) {
      out.push_back(std::chrono::duration_cast<milliseconds>(*at - t0).count());
    }
    *last = s;
  }
  return out;
}

TEST(OkRetransmission, UdpResendsAtT1DoublingToT2ThenGivesUpAt64T1) {
  OkRetransmission m(milliseconds(500), milliseconds(4000), false);
  EXPECT_FALSE(m.next().has_value()) << "nothing before the 2xx is sent";
  m.start(t0);
  Step last = Step::kNothing;
  std::vector<long> at = resends(m, &last);
  const std::vector<long> expected = {500,   1500,  3500,  7500,  11500,
                                      15500, 19500, 23500, 27500, 31500};
  EXPECT_EQ(at, expected);
  EXPECT_EQ(last, Step::kGiveUp);
  EXPECT_EQ(m.on_timer(t0 + milliseconds(60000)), Step::kNothing) << "gives up once";
}

TEST(OkRetransmission, TcpSendsOnceAndStillBoundsTheWait) {
  OkRetransmission m(milliseconds(500), milliseconds(4000), true);
  m.start(t0);
  ASSERT_TRUE(m.next().has_value());
  EXPECT_EQ(*m.next(), t0 + milliseconds(32000));
  EXPECT_EQ(m.on_timer(t0 + milliseconds(1000)), Step::kNothing);
  Step last = Step::kNothing;
  EXPECT_TRUE(resends(m, &last).empty());
  EXPECT_EQ(last, Step::kGiveUp);
}

TEST(OkRetransmission, TheAckStopsEverything) {
  OkRetransmission m(milliseconds(500), milliseconds(4000), false);
  m.start(t0);
  EXPECT_EQ(m.on_timer(t0 + milliseconds(500)), Step::kResend);
  EXPECT_EQ(m.on_timer(t0 + milliseconds(600)), Step::kNothing) << "not due yet";
  m.on_ack();
  EXPECT_TRUE(m.acked());
  EXPECT_FALSE(m.next().has_value());
  EXPECT_EQ(m.on_timer(t0 + milliseconds(40000)), Step::kNothing);
}

}  // namespace
}  // namespace cohort::sip::dialog
