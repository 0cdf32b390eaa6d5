#pragma once
// In-band DTMF detection (for phones that offer neither RFC 4733 nor SIP INFO), through
// spandsp's dtmf_rx: feed 8 kHz 16-bit PCM, get the digits it recognised. One object per
// stream; the spandsp state stays private. Not thread-safe.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace cohort::media {

class DtmfDetector {
 public:
  DtmfDetector();
  ~DtmfDetector();
  DtmfDetector(const DtmfDetector&) = delete;
  DtmfDetector& operator=(const DtmfDetector&) = delete;

  /// 8 kHz mono PCM, any length. Returns the digits completed in it ("0"-"9", "*", "#",
  /// "A"-"D"), each once.
  std::string feed(std::span<const std::int16_t> pcm_8k);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cohort::media
