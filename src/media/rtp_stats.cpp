#include "media/rtp_stats.hpp"

#include <algorithm>

namespace cohort::media {
namespace {

constexpr std::uint32_t kSeqMod = 1u << 16;

// Start the unwrapped range high enough that packets reordered before the first one do
// not go below zero.
constexpr std::uint64_t kUnwrapBase = std::uint64_t{1} << 40;

}  // namespace

RtpSourceStats::RtpSourceStats(std::uint16_t first_seq) {
  init_seq(first_seq);
  max_seq_ = static_cast<std::uint16_t>(first_seq - 1);
  probation_ = kMinSequential;
}

void RtpSourceStats::init_seq(std::uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

SeqVerdict RtpSourceStats::update_seq(std::uint16_t seq) {
  const auto udelta = static_cast<std::uint16_t>(seq - max_seq_);
  // Source is not valid until kMinSequential packets with sequential numbers arrive.
  if (probation_ > 0) {
    if (seq == static_cast<std::uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        init_seq(seq);
        ++received_;
        return SeqVerdict::kValid;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
    }
    return SeqVerdict::kProbation;
  }
  if (udelta < kMaxDropout) {
    // In order, with a permissible gap.
    if (seq < max_seq_) {
      cycles_ += kSeqMod;  // wrapped
    }
    max_seq_ = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // The sequence number made a very large jump.
    if (seq == bad_seq_) {
      // Two sequential packets: assume the other side restarted without telling us.
      init_seq(seq);
      ++received_;
      return SeqVerdict::kRestarted;
    }
    bad_seq_ = (seq + 1u) & (kSeqMod - 1);
    return SeqVerdict::kBadJump;
  }
  // else: duplicate or reordered packet, counted as received (A.3 then may go negative).
  ++received_;
  return SeqVerdict::kValid;
}

void RtpSourceStats::update_jitter(std::uint32_t rtp_timestamp, TimePoint arrival,
                                   std::uint32_t clock_rate) {
  // Arrival in timestamp units; only differences matter, so the epoch is irrelevant and the
  // 64-bit arithmetic cannot overflow for any realistic clock.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(arrival.time_since_epoch());
  const std::int64_t rate = clock_rate;
  const std::int64_t arrival_units =
      ns.count() / 1'000'000'000 * rate + ns.count() % 1'000'000'000 * rate / 1'000'000'000;
  // Timestamps wrap at 2^32: transit differences are taken modulo 2^32 as signed 32-bit.
  const std::int64_t transit = arrival_units - static_cast<std::int64_t>(rtp_timestamp);
  if (transit_) {
    auto d = static_cast<std::int32_t>(static_cast<std::uint32_t>(transit - *transit_));
    const std::uint32_t ad = d < 0 ? static_cast<std::uint32_t>(-static_cast<std::int64_t>(d))
                                   : static_cast<std::uint32_t>(d);
    // A.8: J += (|D| - J) / 16, kept scaled by 16.
    jitter_q4_ += ad - ((jitter_q4_ + 8) >> 4);
  }
  transit_ = transit;
}

std::int32_t RtpSourceStats::cumulative_lost() const {
  const std::int64_t lost = static_cast<std::int64_t>(expected()) - received_;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(lost, -0x800000, 0x7FFFFF));
}

std::uint8_t RtpSourceStats::take_fraction_lost() {
  const std::uint32_t expected_now = expected();
  const std::uint32_t expected_interval = expected_now - expected_prior_;
  expected_prior_ = expected_now;
  const std::uint32_t received_interval = received_ - received_prior_;
  received_prior_ = received_;
  const auto lost_interval =
      static_cast<std::int64_t>(expected_interval) - static_cast<std::int64_t>(received_interval);
  if (expected_interval == 0 || lost_interval <= 0) {
    return 0;
  }
  return static_cast<std::uint8_t>(std::min<std::int64_t>(
      255, (lost_interval << 8) / static_cast<std::int64_t>(expected_interval)));
}

std::uint64_t SeqUnwrapper::unwrap(std::uint16_t seq) {
  if (!last_) {
    last_ = kUnwrapBase + seq;
    return *last_;
  }
  const auto delta = static_cast<std::int16_t>(seq - static_cast<std::uint16_t>(*last_));
  const std::uint64_t v = *last_ + static_cast<std::int64_t>(delta);
  if (v > *last_) {
    last_ = v;
  }
  return v;
}

std::uint64_t TimestampUnwrapper::unwrap(std::uint32_t ts) {
  if (!last_) {
    last_ = kUnwrapBase + ts;
    return *last_;
  }
  const auto delta = static_cast<std::int32_t>(ts - static_cast<std::uint32_t>(*last_));
  const std::uint64_t v = *last_ + static_cast<std::int64_t>(delta);
  if (v > *last_) {
    last_ = v;
  }
  return v;
}

}  // namespace cohort::media
