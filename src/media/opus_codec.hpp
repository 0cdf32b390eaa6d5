#pragma once
// Opus (RFC 6716) through libopus, as RFC 7587 carries it on RTP: a 48 kHz RTP clock whatever
// the PCM rate, a dynamic payload type, mono PCM here (the rtpmap still says /2). Packet
// loss concealment is libopus' own (decode of a missing packet). One object per stream and
// direction; the libopus states stay private.

#include <memory>

#include "media/codec.hpp"

namespace cohort::media {

class OpusCodec final : public Codec {
 public:
  /// `sample_rate`: 8000, 12000, 16000, 24000 or 48000 (anything else is taken as 48000).
  explicit OpusCodec(std::uint8_t payload_type = 111, std::uint32_t sample_rate = 48000);
  ~OpusCodec() override;
  OpusCodec(const OpusCodec&) = delete;
  OpusCodec& operator=(const OpusCodec&) = delete;

  const CodecInfo& info() const override { return info_; }
  /// 2.5 to 60 ms of PCM -> one Opus packet (VoIP application, libopus' default bitrate).
  Result<std::vector<std::uint8_t>> encode(std::span<const std::int16_t> pcm) override;
  /// One Opus packet -> its PCM; an empty or corrupt payload is an error.
  Result<std::vector<std::int16_t>> decode(std::span<const std::uint8_t> payload) override;
  /// libopus' concealment, in steps of at most 20 ms, truncated to `samples`.
  std::vector<std::int16_t> conceal(std::uint32_t samples) override;

 private:
  struct State;
  CodecInfo info_;
  std::unique_ptr<State> state_;
};

}  // namespace cohort::media
