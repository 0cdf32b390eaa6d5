// The legs Cohort answers itself (media_legs.hpp): SDP answer, port pair, session, latching,
// prompt cache.

#include "pbx/media_legs.hpp"

#include <cmath>
#include <numbers>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "media/builtin_prompts.hpp"
#include "sip/sdp_media.hpp"

namespace cohort::pbx {

namespace {

using Clock = std::chrono::steady_clock;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

/// The codecs Cohort answers with, as SDP writes them (an answer follows the offer's order).
std::vector<sip::sdp::LocalCodec> local_codecs() {
  std::vector<sip::sdp::LocalCodec> out;
  for (const auto id : {media::CodecId::kOpus, media::CodecId::kG722, media::CodecId::kPcmu,
                        media::CodecId::kPcma}) {
    const media::CodecInfo& info = media::codec_info(id);
    const bool dynamic = id == media::CodecId::kOpus;
    out.push_back({std::string(info.name), info.clock_rate, info.rtpmap_channels,
                   dynamic ? std::uint8_t{111} : info.payload_type, dynamic,
                   dynamic ? "useinbandfec=1" : ""});
  }
  return out;
}

/// The beep before a recording: 1 kHz for 400 ms at -12 dBFS, with 5 ms ramps.
media::PromptAudio beep() {
  constexpr std::uint32_t kRate = 16000;
  media::PromptAudio audio{std::vector<std::int16_t>(kRate * 400 / 1000), kRate};
  const double amplitude = 32767.0 * std::pow(10.0, -12.0 / 20.0) * std::numbers::sqrt2;
  const std::size_t ramp = kRate * 5 / 1000;
  for (std::size_t i = 0; i < audio.pcm.size(); ++i) {
    const double edge = std::min(
        {1.0, static_cast<double>(i) / ramp, static_cast<double>(audio.pcm.size() - i) / ramp});
    audio.pcm[i] = static_cast<std::int16_t>(amplitude * edge *
                                             std::sin(2.0 * std::numbers::pi * 1000.0 * i / kRate));
  }
  return audio;
}

Result<net::PeerAddress> peer_of(const std::string& address, std::uint16_t port) {
  return net::PeerAddress::from({address, port});
}

}  // namespace

// ---------------------------------------------------------------------------------------

class MediaLegs::Leg final : public net::MediaStream {
 public:
  Leg(MediaLegs& owner, media::SessionConfig config, media::CodecId codec,
      net::PeerAddress rtp_peer, net::PeerAddress rtcp_peer, Handler handler)
      : owner_(owner),
        codec_(codec),
        session_(std::move(config), Clock::now()),
        rtp_peer_(rtp_peer),
        rtcp_peer_(rtcp_peer),
        handler_(std::move(handler)) {}

  LegId id = 0;
  media::CodecId codec() const { return codec_; }
  media::MediaSession& session() { return session_; }

  void on_packet(bool rtcp, std::span<const std::uint8_t> bytes, const net::PeerAddress& from,
                 Clock::time_point now) override {
    if (closed_) {
      return;
    }
    // Symmetric RTP: the first packet's source is where we send from now on.
    bool& latched = rtcp ? rtcp_latched_ : rtp_latched_;
    net::PeerAddress& peer = rtcp ? rtcp_peer_ : rtp_peer_;
    if (!latched) {
      if (!(from == peer)) {
        spdlog::debug("media event=latched leg={} rtcp={} advertised={} actual={}", id, rtcp,
                      net::to_string(peer.endpoint()), net::to_string(from.endpoint()));
      }
      peer = from;
      latched = true;
    } else if (!(from == peer)) {
      return;  // not the peer we latched on: never let a stray sender take the stream
    }
    run(rtcp ? session_.on_rtcp(bytes, now) : session_.on_rtp(bytes, now));
  }

  void on_tick(Clock::time_point now) override {
    if (!closed_) {
      run(session_.on_tick(now));
    }
  }

  void run(std::vector<media::Action> actions) {
    for (media::Action& a : actions) {
      std::visit(Overloaded{
                     [&](media::SendRtp& s) { owner_.io_.send(id, false, s.bytes, rtp_peer_); },
                     [&](media::SendRtcp& s) { owner_.io_.send(id, true, s.bytes, rtcp_peer_); },
                     [&](auto& event) {
                       if (!closed_ && handler_) {
                         handler_(id, MediaEvent(std::move(event)));
                       }
                     },
                 },
                 a);
    }
  }

  void close() { closed_ = true; }

 private:
  MediaLegs& owner_;
  media::CodecId codec_;
  media::MediaSession session_;
  net::PeerAddress rtp_peer_;
  net::PeerAddress rtcp_peer_;
  bool rtp_latched_ = false;
  bool rtcp_latched_ = false;
  bool closed_ = false;
  Handler handler_;
};

// ---------------------------------------------------------------------------------------

MediaLegs::MediaLegs(MediaLegsOptions options) : options_(std::move(options)), io_(options_.io) {}

MediaLegs::~MediaLegs() {
  stop();
}

Result<void> MediaLegs::start() {
  return io_.start();
}

void MediaLegs::stop() {
  io_.stop();
  std::lock_guard lock(mu_);
  legs_.clear();
}

Expected<MediaLegs::Answered, sip::ParseError> MediaLegs::answer(std::string_view offer,
                                                                 Handler handler) {
  auto session = sip::sdp::parse(offer);
  if (!session) {
    return unexpected(session.error());
  }
  sip::sdp::LocalMedia local{io_.options().address, 0, local_codecs(), crypto::random_u64() >> 1,
                             1};
  // First to choose the codec and learn the peer, then again with the port we got.
  auto agreed = sip::sdp::answer_terminated(*session, local);
  if (!agreed) {
    return unexpected(agreed.error());
  }
  const auto codec = media::find_codec(agreed->codec_name, agreed->clock_rate);
  auto rtp_peer = peer_of(agreed->remote_address, agreed->remote_rtp_port);
  auto rtcp_peer = peer_of(agreed->remote_rtcp_address, agreed->remote_rtcp_port);
  if (!codec || !rtp_peer || !rtcp_peer) {
    return unexpected(
        sip::ParseError{sip::ParseError::Kind::kMalformed, 488, "No usable media address"});
  }
  media::SessionConfig config;
  config.codec = *codec;
  config.payload_type = agreed->payload_type;
  config.telephone_event_pt = agreed->telephone_event_pt;
  const std::uint64_t r = crypto::random_u64();
  config.local_ssrc = static_cast<std::uint32_t>(r);
  config.initial_seq = static_cast<std::uint16_t>(r >> 32);
  config.initial_timestamp = static_cast<std::uint32_t>(crypto::random_u64());
  config.no_rtp_timeout = options_.no_rtp_timeout;
  config.inband_dtmf = !agreed->telephone_event_pt.has_value();
  config.wall_clock_at_start = std::chrono::system_clock::now();
  auto leg = std::make_shared<Leg>(*this, std::move(config), *codec, *rtp_peer, *rtcp_peer,
                                   std::move(handler));
  switch (agreed->direction) {
    case sip::sdp::Direction::kSendRecv:
      break;
    case sip::sdp::Direction::kSendOnly:
      leg->session().set_direction(media::Direction::kSendOnly, Clock::now());
      break;
    case sip::sdp::Direction::kRecvOnly:
      leg->session().set_direction(media::Direction::kRecvOnly, Clock::now());
      break;
    case sip::sdp::Direction::kInactive:
      leg->session().set_direction(media::Direction::kInactive, Clock::now());
      break;
  }
  // Registered before the stream opens: a command right after answer() finds it.
  std::unique_lock lock(mu_);
  auto opened = io_.open(leg);
  if (!opened) {
    lock.unlock();
    spdlog::warn("media event=no_port error={}", log::Value{opened.error().message});
    return unexpected(
        sip::ParseError{sip::ParseError::Kind::kMalformed, 503, "No media port free"});
  }
  leg->id = opened->id;
  legs_.emplace(opened->id, leg);
  lock.unlock();
  local.rtp_port = opened->rtp_port;
  auto final_answer = sip::sdp::answer_terminated(*session, local);
  return Answered{opened->id, std::move(final_answer->body), agreed->codec_name};
}

void MediaLegs::with_leg(LegId id, std::function<void(Leg&)> fn) {
  std::shared_ptr<Leg> leg;
  {
    std::lock_guard lock(mu_);
    const auto it = legs_.find(id);
    if (it == legs_.end()) {
      return;
    }
    leg = it->second;
  }
  io_.post(id, [leg, fn = std::move(fn)] { fn(*leg); });
}

std::shared_ptr<const media::EncodedPrompt> MediaLegs::prompt(const PromptSource& source,
                                                              media::CodecId codec) {
  const std::string key = source.key + "#" + std::string(media::codec_info(codec).name);
  {
    std::lock_guard lock(prompts_mu_);
    if (const auto it = prompts_.find(key); it != prompts_.end()) {
      return it->second;
    }
  }
  std::optional<media::PromptAudio> audio;
  if (source.key == "tone:beep") {
    audio = beep();
  } else if (source.load) {
    audio = source.load();
  } else {
    audio = media::builtin_prompt(source.key);
  }
  if (!audio) {
    spdlog::warn("media event=no_prompt prompt={}", log::Value{source.key});
    return nullptr;
  }
  auto encoded = media::encode_prompt(audio->pcm, audio->sample_rate, codec);
  if (!encoded) {
    spdlog::warn("media event=prompt_encode_failed prompt={} error={}", log::Value{source.key},
                 log::Value{encoded.error().message});
    return nullptr;
  }
  auto shared = std::make_shared<const media::EncodedPrompt>(std::move(*encoded));
  std::lock_guard lock(prompts_mu_);
  return prompts_.emplace(key, std::move(shared)).first->second;
}

void MediaLegs::play(LegId leg, std::vector<PromptSource> prompts, bool loop) {
  with_leg(leg, [this, prompts = std::move(prompts), loop](Leg& l) {
    // Encoded on the media thread on first use, then cached for every leg of that codec.
    std::vector<std::shared_ptr<const media::EncodedPrompt>> parts;
    std::vector<const media::EncodedPrompt*> raw;
    for (const PromptSource& p : prompts) {
      if (auto encoded = prompt(p, l.codec())) {
        raw.push_back(encoded.get());
        parts.push_back(std::move(encoded));
      }
    }
    auto whole = raw.size() == 1 ? parts.front()
                                 : std::make_shared<const media::EncodedPrompt>(
                                       raw.empty() ? media::EncodedPrompt(l.codec())
                                                   : media::concat_prompts(raw));
    l.session().play(std::move(whole), loop, Clock::now());
  });
}

void MediaLegs::stop_playing(LegId leg) {
  with_leg(leg, [](Leg& l) { l.session().stop_playing(); });
}

void MediaLegs::record(LegId leg, media::RecordOptions options) {
  with_leg(leg, [options](Leg& l) { l.session().start_recording(options, Clock::now()); });
}

void MediaLegs::stop_recording(LegId leg) {
  with_leg(leg, [](Leg& l) { l.run(l.session().stop_recording(Clock::now())); });
}

void MediaLegs::sip_dtmf(LegId leg, char digit) {
  with_leg(leg, [digit](Leg& l) { l.run(l.session().on_sip_dtmf(digit, Clock::now())); });
}

void MediaLegs::close(LegId leg) {
  std::shared_ptr<Leg> l;
  {
    std::lock_guard lock(mu_);
    const auto it = legs_.find(leg);
    if (it == legs_.end()) {
      return;
    }
    l = std::move(it->second);
    legs_.erase(it);
  }
  io_.post(leg, [l] { l->close(); });
  io_.close(leg);
}

std::size_t MediaLegs::open_legs() const {
  std::lock_guard lock(mu_);
  return legs_.size();
}

net::MediaIo::Stats MediaLegs::io_stats() const {
  return io_.stats();
}

}  // namespace cohort::pbx
