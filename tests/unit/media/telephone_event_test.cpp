// RFC 4733 telephone-events: the payload, the digit table, the receiver's exactly-once digits
// under end-packet repeats, reordering, duplicates and loss, and the sender's schedule.
#include "media/telephone_event.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cohort::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(TelephoneEvent, PayloadRoundTrip) {
  const TelephoneEvent e{11, true, 10, 1280};
  const auto wire = build_telephone_event(e);
  EXPECT_EQ(wire, (std::array<std::uint8_t, 4>{11, 0x80 | 10, 0x05, 0x00}));
  auto parsed = parse_telephone_event(wire);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, e);
  // The R bit is ignored; volume is 6 bits.
  auto r = parse_telephone_event(Bytes{5, 0x40 | 0x3F, 0, 160});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (TelephoneEvent{5, false, 63, 160}));
  EXPECT_FALSE(parse_telephone_event(Bytes{1, 2, 3}));
}

TEST(TelephoneEvent, DigitTable) {
  const std::string digits = "0123456789*#ABCD";
  for (std::uint8_t e = 0; e < 16; ++e) {
    EXPECT_EQ(event_digit(e), digits[e]);
    EXPECT_EQ(digit_event(digits[e]), e);
  }
  EXPECT_EQ(digit_event('d'), 15);
  EXPECT_EQ(event_digit(16), std::nullopt);  // flash
  EXPECT_EQ(digit_event('x'), std::nullopt);
}

struct Pkt {
  std::uint16_t seq;
  std::uint32_t ts;
  std::uint8_t event;
  bool end;
  std::uint16_t duration;
};

std::string feed(DtmfFromRtpEvents& rx, const std::vector<Pkt>& pkts) {
  std::string out;
  for (const Pkt& p : pkts) {
    const auto payload = build_telephone_event({p.event, p.end, 10, p.duration});
    if (auto d = rx.on_packet(p.seq, p.ts, payload)) {
      out += d->digit;
    }
  }
  return out;
}

// One digit '5' at ts 1000: three updates, three end packets.
std::vector<Pkt> press(std::uint16_t seq, std::uint32_t ts, std::uint8_t event) {
  return {{seq, ts, event, false, 160},
          {static_cast<std::uint16_t>(seq + 1), ts, event, false, 320},
          {static_cast<std::uint16_t>(seq + 2), ts, event, false, 480},
          {static_cast<std::uint16_t>(seq + 3), ts, event, true, 640},
          {static_cast<std::uint16_t>(seq + 4), ts, event, true, 640},
          {static_cast<std::uint16_t>(seq + 5), ts, event, true, 640}};
}

std::vector<Pkt> cat(std::vector<std::vector<Pkt>> parts) {
  std::vector<Pkt> out;
  for (auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

struct RxCase {
  std::string name;
  std::vector<Pkt> packets;
  std::string start_mode;
  std::string end_mode;  // before flush()
  std::string end_mode_flushed;
};

class DtmfRx : public ::testing::TestWithParam<RxCase> {};

TEST_P(DtmfRx, EmitsEachDigitOnce) {
  const RxCase& c = GetParam();
  DtmfFromRtpEvents start(DtmfFromRtpEvents::EmitOn::kStart);
  EXPECT_EQ(feed(start, c.packets), c.start_mode);
  DtmfFromRtpEvents end(DtmfFromRtpEvents::EmitOn::kEnd);
  std::string got = feed(end, c.packets);
  EXPECT_EQ(got, c.end_mode);
  if (auto d = end.flush()) {
    got += d->digit;
  }
  EXPECT_EQ(got, c.end_mode_flushed);
}

std::vector<Pkt> reversed(std::vector<Pkt> v) {
  std::reverse(v.begin(), v.end());
  return v;
}

INSTANTIATE_TEST_SUITE_P(
    Streams, DtmfRx,
    ::testing::Values(
        RxCase{"one_press_three_ends", press(1, 1000, 5), "5", "5", "5"},
        RxCase{"digits_1_2_3_hash",
               cat({press(1, 1000, 1), press(7, 3000, 2), press(13, 5000, 3), press(19, 7000, 11)}),
               "123#", "123#", "123#"},
        RxCase{"same_digit_twice", cat({press(1, 1000, 5), press(7, 2600, 5)}), "55", "55", "55"},
        RxCase{
            "only_end_packets", {{1, 1000, 9, true, 800}, {2, 1000, 9, true, 800}}, "9", "9", "9"},
        RxCase{"ends_lost",
               cat({{{1, 1000, 4, false, 160}, {2, 1000, 4, false, 320}}, press(3, 2000, 6)}), "46",
               "46", "46"},
        RxCase{"ends_lost_same_digit",
               cat({{{1, 1000, 4, false, 160}, {2, 1000, 4, false, 320}}, press(3, 2000, 4)}), "44",
               "44", "44"},
        RxCase{"last_end_lost", {{1, 1000, 7, false, 160}, {2, 1000, 7, false, 320}}, "7", "", "7"},
        RxCase{"duplicated_packets", cat({press(1, 1000, 8), press(1, 1000, 8)}), "8", "8", "8"},
        RxCase{"late_end_of_previous_after_next",
               cat({press(1, 1000, 1),
                    {{7, 3000, 2, false, 160}},
                    {{6, 1000, 1, true, 640}},
                    {{8, 3000, 2, true, 320}}}),
               "12", "12", "12"},
        RxCase{"reversed_press", reversed(press(1, 1000, 0)), "0", "0", "0"},
        RxCase{"timestamp_wrap", cat({press(1, 0xFFFFFF00u, 12), press(7, 0x00000600u, 13)}), "AB",
               "AB", "AB"},
        RxCase{"flash_ignored", cat({press(1, 1000, 16), press(7, 3000, 3)}), "3", "3", "3"},
        RxCase{"long_event_in_segments",
               {{1, 1000, 2, false, 65000},
                {2, 1000, 2, false, 65535},
                {3, 1000 + 65535, 2, false, 160},
                {4, 1000 + 65535, 2, true, 800},
                {5, 1000 + 65535, 2, true, 800}},
               "2",
               "2",
               "2"}),
    [](const auto& info) { return info.param.name; });

TEST(DtmfRx, ReportsDurationVolumeAndTimestamp) {
  DtmfFromRtpEvents rx(DtmfFromRtpEvents::EmitOn::kEnd);
  std::optional<DtmfDigit> got;
  for (const Pkt& p : press(1, 4242, 11)) {
    const auto payload = build_telephone_event({p.event, p.end, 7, p.duration});
    if (auto d = rx.on_packet(p.seq, p.ts, payload)) {
      got = d;
    }
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, (DtmfDigit{'#', 4242, 640, 7}));
  rx.reset();
  EXPECT_FALSE(rx.flush());
  EXPECT_FALSE(rx.on_packet(1, 5, Bytes{1, 2}));  // short payload ignored
}

TEST(DtmfTx, PlansUpdatesThenThreeEnds) {
  const auto plan = plan_dtmf_event('#', 800, 160, 10);
  ASSERT_EQ(plan.size(), 4u + 3u);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto e = parse_telephone_event(plan[i].payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, 11);
    EXPECT_EQ(e->volume, 10);
    EXPECT_EQ(plan[i].marker, i == 0);
    if (i < 4) {
      EXPECT_FALSE(e->end);
      EXPECT_EQ(e->duration, 160 * (i + 1));
      EXPECT_EQ(plan[i].offset_ticks, 160 * i);
    } else {
      EXPECT_TRUE(e->end);
      EXPECT_EQ(e->duration, 800);
      EXPECT_EQ(plan[i].offset_ticks, 640 + 160 * (i - 4));
    }
  }
  // Short event: just the ends, the first with the marker.
  const auto short_plan = plan_dtmf_event('1', 100);
  ASSERT_EQ(short_plan.size(), 3u);
  EXPECT_TRUE(short_plan[0].marker);
  EXPECT_TRUE(plan_dtmf_event('x', 800).empty());

  // What the sender plans, the receiver reads as one digit.
  DtmfFromRtpEvents rx;
  std::string digits;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (auto d = rx.on_packet(static_cast<std::uint16_t>(i), 9999, plan[i].payload)) {
      digits += d->digit;
    }
  }
  EXPECT_EQ(digits, "#");
}

}  // namespace
}  // namespace cohort::media
