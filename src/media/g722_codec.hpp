#pragma once
// G.722 at 64 kbit/s through spandsp's encoder and decoder: 16 kHz PCM, one byte per two
// samples, an 8 kHz RTP clock (RFC 3551 §4.5.2, the clock-rate erratum kept for
// compatibility). One object per stream and direction. The spandsp state stays private.

#include <memory>

#include "media/codec.hpp"

namespace cohort::media {

class G722Codec final : public Codec {
 public:
  G722Codec();
  ~G722Codec() override;
  G722Codec(const G722Codec&) = delete;
  G722Codec& operator=(const G722Codec&) = delete;

  const CodecInfo& info() const override;
  Result<std::vector<std::uint8_t>> encode(std::span<const std::int16_t> pcm) override;
  Result<std::vector<std::int16_t>> decode(std::span<const std::uint8_t> payload) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cohort::media
