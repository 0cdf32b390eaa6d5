#pragma once
// The legs Cohort answers itself (issue 13: greetings, voicemail, IVR, waiting music): each
// one an SDP answer, an RTP/RTCP port pair on a media thread (net::MediaIo) and a pure
// media::MediaSession that paces prompts, records and hears digits. The call controller
// calls answer() on its shard, then commands (play, record, digits from SIP INFO, close)
// from anywhere; the session's events (a digit, a prompt played, a recording finished, no
// RTP) come back through the handler given to answer(), called on the media thread: the
// handler posts them to the call's shard.
//
// Symmetric RTP: packets go to the offer's address until the first packet arrives, then to
// where it came from (phones behind NAT advertise an address nobody can reach); the latch
// holds, so a stray sender cannot take the stream over. RTCP latches the same way.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/errc.hpp"
#include "media/builtin_prompts.hpp"
#include "media/prompt.hpp"
#include "media/session.hpp"
#include "net/media_io.hpp"
#include "sip/message.hpp"
#include "sip/sdp_media.hpp"

namespace cohort::pbx {

/// What a leg's session tells the call.
using MediaEvent =
    std::variant<media::Digit, media::PlaybackDone, media::RecordingDone, media::NoRtp>;

/// A prompt to play: the id of a built-in one (media/builtin_prompts.hpp), "tone:beep", or a
/// caller-supplied PCM under a key of its own (an uploaded greeting: "greeting:group:3:v7").
struct PromptSource {
  std::string key;
  /// PCM for keys that are not built-in; read once per codec, then cached under `key`.
  std::function<std::optional<media::PromptAudio>()> load;
  /// false: encoded for this play only, never kept (a voicemail message, a greeting being
  /// reviewed: each is heard a few times at most, and the cache never evicts).
  bool cache = true;
};

struct MediaLegsOptions {
  net::MediaIoOptions io;
  std::chrono::milliseconds no_rtp_timeout{30000};
};

class MediaLegs {
 public:
  using LegId = net::StreamId;
  /// Called on the leg's media thread; must not block.
  using Handler = std::function<void(LegId, MediaEvent)>;

  explicit MediaLegs(MediaLegsOptions options);
  ~MediaLegs();
  MediaLegs(const MediaLegs&) = delete;
  MediaLegs& operator=(const MediaLegs&) = delete;

  Result<void> start();
  void stop();

  struct Answered {
    LegId leg = 0;
    std::string sdp;    ///< the answer body (application/sdp)
    std::string codec;  ///< "PCMU", "opus", …
  };
  /// Answers `offer` (an SDP body) and starts the leg's session. Errors: the offer's
  /// (Malformed 488 "No common codec", 400 for a body that does not parse) or 503 when no
  /// RTP port pair is free.
  Expected<Answered, sip::ParseError> answer(std::string_view offer, Handler handler);

  struct Offered {
    LegId leg = 0;
    std::string sdp;  ///< our offer (application/sdp) for the far side's INVITE
  };
  /// Opens the far side of a relay for a call whose caller `toward_caller` answered: an
  /// offer of exactly the caller's codec and payload numbers (nothing is transcoded), on the
  /// caller leg's media thread. The leg is silent until bridge(). 503 when no port is free.
  Expected<Offered, sip::ParseError> offer_relay(LegId toward_caller, Handler handler);
  /// The far side answered `answer` (SDP) on `relay`: from now on RTP and RTCP pass between
  /// the two legs' peers with each leg's own SSRC, CNAME, sequence and timestamp line (what
  /// the caller heard from Cohort goes on seamlessly); playing stops. NoRtp comes through
  /// each leg's handler when its peer sends nothing for the no-RTP timeout. Any thread.
  Result<void> bridge(LegId toward_caller, LegId relay, std::string_view answer);
  /// Media anchoring (a call Cohort does not answer but relays: a trunk, a phone behind
  /// NAT). Opens the leg facing the caller of `offer` (the caller's SDP): its peer is the
  /// offer's audio stream. Silent, and without a no-RTP timer, until an answer passes
  /// (pass_sdp). Errors: the offer's (400, 488 "No audio stream") or 503 when no port is free.
  Expected<LegId, sip::ParseError> anchor(std::string_view offer, Handler handler);
  /// Opens a far leg beside `anchor` and returns the caller's offer as the far side gets it:
  /// Cohort's address and the far leg's port (sip::sdp::relay_description). 503 when no port
  /// is free.
  Expected<Offered, sip::ParseError> anchor_offer(LegId anchor, Handler handler);
  /// `sdp` came from the peer of leg `from` (an answer to what Cohort sent it, or a new offer
  /// in the dialog: a re-INVITE, hold): `from` takes its address and direction, `from` and
  /// `to` relay to each other from now on with payload numbers untouched (codecs are agreed
  /// end to end; a bridged IVR call's relay becomes the same), and the description comes
  /// back as `to`'s peer gets it. Errors: the body's (400, 488) or 500 for an unknown leg.
  Expected<std::string, sip::ParseError> pass_sdp(LegId from, LegId to, std::string_view sdp);
  /// Replaces a leg's event handler (a call moving from its IVR menu to a mailbox). Any thread.
  void set_handler(LegId leg, Handler handler);

  /// Plays the prompts one after another (replacing what plays); PlaybackDone at the end
  /// unless `loop`. Unknown built-in ids are skipped (logged). Any thread.
  void play(LegId leg, std::vector<PromptSource> prompts, bool loop = false);
  void stop_playing(LegId leg);
  /// Starts recording; RecordingDone when it ends. Any thread.
  void record(LegId leg, media::RecordOptions options);
  /// Ends the recording now (the caller hung up): RecordingDone with kStopped.
  void stop_recording(LegId leg);
  /// A digit the phone sent by SIP INFO. Any thread.
  void sip_dtmf(LegId leg, char digit);
  /// Closes the leg; no event after it. Any thread; unknown legs are ignored.
  void close(LegId leg);

  std::size_t open_legs() const;
  net::MediaIo::Stats io_stats() const;

 private:
  class Leg;
  /// What Cohort last wrote in SDP toward a leg's peer (under mu_): its o= line's numbers
  /// (the version goes up when the description changes, RFC 3264 §8), the stream's m= index.
  struct SdpState {
    std::uint64_t session_id = 0;
    std::uint64_t version = 0;
    std::string last;
    std::size_t stream_index = 0;
    std::uint16_t port = 0;  ///< the leg's RTP port
    std::string offer;       ///< an anchor's: the caller's offer, for each far leg
  };
  std::string describe_for(LegId to, const sip::sdp::Session& session,
                           const sip::sdp::StreamAddress& stream, std::uint16_t port);
  Expected<net::OpenedStream, sip::ParseError> open_leg(std::shared_ptr<Leg> leg,
                                                        std::optional<LegId> beside);
  std::shared_ptr<const media::EncodedPrompt> prompt(const PromptSource& source,
                                                     media::CodecId codec);
  void with_leg(LegId id, std::function<void(Leg&)> fn);

  MediaLegsOptions options_;
  net::MediaIo io_;
  mutable std::mutex mu_;
  std::unordered_map<LegId, std::shared_ptr<Leg>> legs_;  ///< under mu_
  std::unordered_map<LegId, SdpState> sdp_;               ///< under mu_: anchored legs
  std::mutex prompts_mu_;
  std::unordered_map<std::string, std::shared_ptr<const media::EncodedPrompt>> prompts_;
};

}  // namespace cohort::pbx
