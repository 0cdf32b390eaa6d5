#pragma once
// One small interface over the audio codecs Cohort speaks on RTP: G.711 µ-law and A-law
// (ours), G.722 (spandsp) and Opus (libopus). A codec turns one frame of 16-bit linear PCM
// at its sample rate into an RTP payload and back. Stateful codecs (G.722, Opus) keep their
// state in the object: one object per stream and direction. Not thread-safe; pure
// computation, no I/O.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/errc.hpp"

namespace cohort::media {

enum class CodecId : std::uint8_t { kPcmu, kPcma, kG722, kOpus };

struct CodecInfo {
  CodecId id = CodecId::kPcmu;
  std::string_view name;             ///< SDP rtpmap encoding name: "PCMU", "PCMA", "G722", "opus"
  std::uint8_t payload_type = 0;     ///< static PT (RFC 3551), or the dynamic one given
  std::uint32_t clock_rate = 0;      ///< RTP timestamp rate (G.722: 8000, RFC 3551 §4.5.2)
  std::uint32_t sample_rate = 0;     ///< rate of the PCM encode() takes and decode() returns
  std::uint8_t rtpmap_channels = 1;  ///< the rtpmap's channel count (opus/48000/2, RFC 7587)

  /// PCM samples in one 20 ms frame at sample_rate.
  std::uint32_t frame_samples() const { return sample_rate / 50; }
  /// RTP timestamp ticks of one 20 ms frame.
  std::uint32_t frame_ticks() const { return clock_rate / 50; }
};

class Codec {
 public:
  virtual ~Codec() = default;
  virtual const CodecInfo& info() const = 0;
  /// One frame of mono PCM at info().sample_rate (usually frame_samples() long; G.711 and
  /// G.722 take any length, Opus 2.5, 5, 10, 20, 40 or 60 ms) -> the RTP payload.
  virtual Result<std::vector<std::uint8_t>> encode(std::span<const std::int16_t> pcm) = 0;
  /// One RTP payload -> mono PCM at info().sample_rate. A corrupt payload is an error (Opus).
  virtual Result<std::vector<std::int16_t>> decode(std::span<const std::uint8_t> payload) = 0;
  /// PCM standing in for `samples` lost samples: Opus packet-loss concealment, silence for
  /// the others (G.711 Appendix I style PLC is not done).
  virtual std::vector<std::int16_t> conceal(std::uint32_t samples);
};

/// The codec for an id. `dynamic_payload_type` is used for Opus only (the SDP's choice);
/// `opus_sample_rate` is the PCM rate of Opus' encode/decode (8000, 12000, 16000, 24000 or
/// 48000; the RTP clock stays 48000).
std::unique_ptr<Codec> make_codec(CodecId id, std::uint8_t dynamic_payload_type = 111,
                                  std::uint32_t opus_sample_rate = 48000);

/// The codec named by an SDP rtpmap encoding name (case-insensitive, RFC 4855 §3) and clock
/// rate: PCMU/8000, PCMA/8000, G722/8000, opus/48000. nullopt for anything else, so the
/// caller leaves that payload type out of its answer.
std::optional<CodecId> find_codec(std::string_view encoding_name, std::uint32_t clock_rate);

/// The static description of a codec (payload type 111 for Opus).
const CodecInfo& codec_info(CodecId id);

}  // namespace cohort::media
