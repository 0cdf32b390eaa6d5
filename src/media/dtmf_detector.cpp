#include "media/dtmf_detector.hpp"

#include <spandsp.h>

#include <algorithm>
#include <array>
#include <climits>

namespace cohort::media {

struct DtmfDetector::State {
  struct Free {
    void operator()(dtmf_rx_state_t* s) const { dtmf_rx_free(s); }
  };
  std::unique_ptr<dtmf_rx_state_t, Free> rx{dtmf_rx_init(nullptr, nullptr, nullptr)};
};

DtmfDetector::DtmfDetector() : state_(std::make_unique<State>()) {}
DtmfDetector::~DtmfDetector() = default;

std::string DtmfDetector::feed(std::span<const std::int16_t> pcm) {
  std::string digits;
  if (!state_->rx) {
    return digits;
  }
  // In blocks, collecting after each so spandsp's internal digit buffer never fills.
  constexpr std::size_t kBlock = 160;
  std::array<char, 129> buf{};
  for (std::size_t at = 0; at < pcm.size(); at += kBlock) {
    const std::size_t n = std::min(kBlock, pcm.size() - at);
    dtmf_rx(state_->rx.get(), pcm.data() + at, static_cast<int>(n));
    const std::size_t got =
        dtmf_rx_get(state_->rx.get(), buf.data(), static_cast<int>(buf.size() - 1));
    digits.append(buf.data(), got);
  }
  return digits;
}

}  // namespace cohort::media
