// The legs Cohort answers itself (media_legs.hpp): SDP answer, port pair, session, latching,
// prompt cache.

#include "pbx/media_legs.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "media/builtin_prompts.hpp"
#include "media/rtcp.hpp"
#include "media/tones.hpp"
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
        payload_type_(config.payload_type),
        telephone_event_pt_(config.telephone_event_pt),
        frame_ticks_(media::codec_info(codec).frame_ticks()),
        no_rtp_timeout_(config.no_rtp_timeout),
        session_(std::move(config), Clock::now()),
        rtp_peer_(rtp_peer),
        rtcp_peer_(rtcp_peer),
        advertised_rtp_(rtp_peer),
        advertised_rtcp_(rtcp_peer),
        handler_(std::move(handler)) {}

  LegId id = 0;
  /// An offered relay leg waiting for the answer: it neither sends nor takes packets.
  bool awaiting_answer = false;
  media::CodecId codec() const { return codec_; }
  std::uint8_t payload_type() const { return payload_type_; }
  std::optional<std::uint8_t> telephone_event_pt() const { return telephone_event_pt_; }
  media::MediaSession& session() { return session_; }
  void set_handler(Handler h) { handler_ = std::move(h); }

  /// The answer to our offer arrived: where the peer receives and its payload numbers.
  void answered(net::PeerAddress rtp, net::PeerAddress rtcp, std::uint8_t pt,
                std::optional<std::uint8_t> te_pt) {
    rtp_peer_ = rtp;
    rtcp_peer_ = rtcp;
    payload_type_ = pt;
    telephone_event_pt_ = te_pt;
    awaiting_answer = false;
  }

  /// The peer described its stream anew (an answer or an offer passing a relay): a new
  /// address undoes the latch; the same one keeps it (a phone behind NAT keeps advertising
  /// its LAN address). A peer that does not send has no no-RTP timer; one that does not
  /// receive (RFC 2543 hold) is sent nothing.
  void take_peer(net::PeerAddress rtp, net::PeerAddress rtcp, bool sends, bool receives) {
    if (!(rtp == advertised_rtp_)) {
      advertised_rtp_ = rtp;
      rtp_peer_ = rtp;
      rtp_latched_ = false;
    }
    if (!(rtcp == advertised_rtcp_)) {
      advertised_rtcp_ = rtcp;
      rtcp_peer_ = rtcp;
      rtcp_latched_ = false;
    }
    peer_sends_ = sends;
    peer_receives_ = receives;
    awaiting_answer = false;
  }

  /// From now on packets from this leg's peer go to `partner`'s peer and back, rewritten
  /// (relay mode): the session stops playing and sending. Both legs share a media thread.
  /// `pass_through`: payload numbers go on untouched (the peers agreed their codecs end to
  /// end); else they are mapped to this leg's own (an IVR call's relay).
  void bridge(Leg& partner, Clock::time_point now, bool pass_through) {
    partner_ = &partner;
    pass_through_ = pass_through;
    relaying_ = true;
    last_rx_ = now;
    no_rtp_reported_ = false;
    mapped_.reset();
  }

  void on_packet(bool rtcp, std::span<const std::uint8_t> bytes, const net::PeerAddress& from,
                 Clock::time_point now) override {
    if (closed_ || awaiting_answer) {
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
    if (relaying_) {
      last_rx_ = now;
      no_rtp_reported_ = false;
      if (partner_ != nullptr) {
        rtcp ? partner_->relay_rtcp(bytes, *this) : partner_->relay_rtp(bytes);
      }
      return;
    }
    run(rtcp ? session_.on_rtcp(bytes, now) : session_.on_rtp(bytes, now));
  }

  void on_tick(Clock::time_point now) override {
    if (!closed_ && !awaiting_answer && !relaying_) {
      run(session_.send_due(now));
    }
  }

  void on_tick_done(Clock::time_point now) override {
    if (closed_ || awaiting_answer) {
      return;
    }
    if (!relaying_) {
      run(session_.after_sends(now));
      return;
    }
    // The relay's no-RTP timer: once per outage, as the session's; none while the peer said
    // it does not send (hold).
    if (peer_sends_ && !no_rtp_reported_ && now - last_rx_ >= no_rtp_timeout_) {
      no_rtp_reported_ = true;
      if (handler_) {
        handler_(id, MediaEvent(media::NoRtp{}));
      }
    }
  }

  /// An RTP packet the partner's peer sent, out to this leg's peer: our SSRC, our sequence
  /// and timestamp line (continuing what the session sent, re-based when the source
  /// changes), our payload numbers. What this leg did not negotiate is dropped.
  void relay_rtp(std::span<const std::uint8_t> bytes) {
    auto packet = media::parse_rtp(bytes);
    if (!packet || partner_ == nullptr) {
      ++relay_dropped;
      return;
    }
    if (!peer_receives_) {
      return;  // on hold with c=0.0.0.0: nothing goes to it
    }
    std::uint8_t pt = 0;
    if (pass_through_) {
      pt = packet->header.payload_type;
    } else if (packet->header.payload_type == partner_->payload_type()) {
      pt = payload_type_;
    } else if (partner_->telephone_event_pt() &&
               packet->header.payload_type == *partner_->telephone_event_pt() &&
               telephone_event_pt_) {
      pt = *telephone_event_pt_;
    } else {
      ++relay_dropped;
      return;
    }
    bool marker = packet->header.marker;
    if (!mapped_ || mapped_->from_ssrc != packet->header.ssrc) {
      // A new source goes on from where this leg's stream is: what it relayed last, else
      // what the session sent.
      Mapping m;
      m.from_ssrc = packet->header.ssrc;
      const std::uint16_t next_seq =
          out_seq_ ? static_cast<std::uint16_t>(*out_seq_ + 1) : session_.next_sequence();
      m.seq_delta = static_cast<std::uint16_t>(next_seq - packet->header.sequence);
      const std::uint32_t next_ts = out_ts_ ? *out_ts_ + frame_ticks_
                                    : session_.last_sent_timestamp()
                                        ? *session_.last_sent_timestamp() + frame_ticks_
                                        : 0;
      m.ts_delta = next_ts - packet->header.timestamp;
      mapped_ = m;
      marker = true;  // a new timeline starts here
    }
    buffer_.assign(bytes.begin(), bytes.end());
    media::rewrite_rtp_ssrc(buffer_, session_.local_ssrc());
    const auto seq = static_cast<std::uint16_t>(packet->header.sequence + mapped_->seq_delta);
    const std::uint32_t ts = packet->header.timestamp + mapped_->ts_delta;
    media::rewrite_rtp_seq_ts(buffer_, seq, ts);
    // The newest packet of our line (a reordered older one does not move it back).
    if (!out_seq_ || static_cast<std::int16_t>(seq - *out_seq_) > 0) {
      out_seq_ = seq;
      out_ts_ = ts;
    }
    buffer_[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
    owner_.io_.send(id, false, buffer_, rtp_peer_);
  }

  /// An RTCP packet from `from`'s peer, out to this leg's peer with our SSRC and CNAME and its
  /// report blocks about our rewritten stream mapped back to this peer's own SSRC.
  void relay_rtcp(std::span<const std::uint8_t> bytes, Leg& from) {
    media::RtcpRewrite rewrite;
    rewrite.ssrc = session_.local_ssrc();
    rewrite.cname = "cohort";
    // `from`'s peer reports on what `from` sent it; that was this leg's peer's stream
    // (from.mapped_ knows its SSRC) under `from`'s SSRC.
    if (from.mapped_) {
      rewrite.report_ssrc_map.emplace_back(from.session_.local_ssrc(), from.mapped_->from_ssrc);
    }
    auto out = media::rewrite_rtcp(bytes, rewrite);
    if (out && !out->empty() && peer_receives_) {
      owner_.io_.send(id, true, *out, rtcp_peer_);
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

  void close() {
    closed_ = true;
    if (partner_ != nullptr) {
      partner_->partner_ = nullptr;
      partner_ = nullptr;
    }
  }

  std::uint64_t relay_dropped = 0;

 private:
  struct Mapping {
    std::uint32_t from_ssrc = 0;
    std::uint16_t seq_delta = 0;
    std::uint32_t ts_delta = 0;
  };

  MediaLegs& owner_;
  media::CodecId codec_;
  std::uint8_t payload_type_;
  std::optional<std::uint8_t> telephone_event_pt_;
  std::uint32_t frame_ticks_;
  std::chrono::milliseconds no_rtp_timeout_;
  media::MediaSession session_;
  Leg* partner_ = nullptr;  ///< the other leg of a relay (same thread), or none
  bool relaying_ = false;
  bool pass_through_ = false;
  std::optional<std::uint16_t> out_seq_;  ///< the newest sequence number relayed out
  std::optional<std::uint32_t> out_ts_;   ///< its timestamp
  bool peer_sends_ = true;
  bool peer_receives_ = true;
  Clock::time_point last_rx_{};
  bool no_rtp_reported_ = false;
  std::optional<Mapping> mapped_;
  std::vector<std::uint8_t> buffer_;
  net::PeerAddress rtp_peer_;
  net::PeerAddress rtcp_peer_;
  net::PeerAddress advertised_rtp_;  ///< what the peer's SDP said, before any latch
  net::PeerAddress advertised_rtcp_;
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

namespace {

/// A session's configuration for what `agreed` negotiated.
media::SessionConfig session_config(media::CodecId codec, const sip::sdp::NegotiatedMedia& agreed,
                                    std::chrono::milliseconds no_rtp_timeout) {
  media::SessionConfig config;
  config.codec = codec;
  config.payload_type = agreed.payload_type;
  config.telephone_event_pt = agreed.telephone_event_pt;
  const std::uint64_t r = crypto::random_u64();
  config.local_ssrc = static_cast<std::uint32_t>(r);
  config.initial_seq = static_cast<std::uint16_t>(r >> 32);
  config.initial_timestamp = static_cast<std::uint32_t>(crypto::random_u64());
  config.no_rtp_timeout = no_rtp_timeout;
  config.inband_dtmf = !agreed.telephone_event_pt.has_value();
  config.wall_clock_at_start = std::chrono::system_clock::now();
  return config;
}

media::Direction media_direction(sip::sdp::Direction d) {
  switch (d) {
    case sip::sdp::Direction::kSendRecv:
      break;
    case sip::sdp::Direction::kSendOnly:
      return media::Direction::kSendOnly;
    case sip::sdp::Direction::kRecvOnly:
      return media::Direction::kRecvOnly;
    case sip::sdp::Direction::kInactive:
      return media::Direction::kInactive;
  }
  return media::Direction::kSendRecv;
}

sip::ParseError media_error(int status, std::string reason) {
  return sip::ParseError{sip::ParseError::Kind::kMalformed, status, std::move(reason)};
}

}  // namespace

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
    return unexpected(media_error(488, "No usable media address"));
  }
  auto leg = std::make_shared<Leg>(*this, session_config(*codec, *agreed, options_.no_rtp_timeout),
                                   *codec, *rtp_peer, *rtcp_peer, std::move(handler));
  if (agreed->direction != sip::sdp::Direction::kSendRecv) {
    leg->session().set_direction(media_direction(agreed->direction), Clock::now());
  }
  auto opened = open_leg(leg, std::nullopt);
  if (!opened) {
    return unexpected(opened.error());
  }
  local.rtp_port = opened->rtp_port;
  auto final_answer = sip::sdp::answer_terminated(*session, local);
  {
    std::lock_guard lock(mu_);
    sdp_[opened->id] = SdpState{local.session_id,    local.session_version, final_answer->body,
                                agreed->media_index, opened->rtp_port,      {}};
  }
  return Answered{opened->id, std::move(final_answer->body), agreed->codec_name};
}

Expected<net::OpenedStream, sip::ParseError> MediaLegs::open_leg(std::shared_ptr<Leg> leg,
                                                                 std::optional<LegId> beside) {
  // Registered before the stream opens: a command right after answer() finds it.
  std::unique_lock lock(mu_);
  auto opened = io_.open(leg, beside);
  if (!opened) {
    lock.unlock();
    spdlog::warn("media event=no_port error={}", log::Value{opened.error().message});
    return unexpected(media_error(503, "No media port free"));
  }
  leg->id = opened->id;
  legs_.emplace(opened->id, std::move(leg));
  return *opened;
}

Expected<MediaLegs::Offered, sip::ParseError> MediaLegs::offer_relay(LegId toward_caller,
                                                                     Handler handler) {
  std::shared_ptr<Leg> caller;
  {
    std::lock_guard lock(mu_);
    if (const auto it = legs_.find(toward_caller); it != legs_.end()) {
      caller = it->second;
    }
  }
  if (!caller) {
    return unexpected(media_error(500, "No media leg toward the caller"));
  }
  // The far side is offered exactly the caller's codec (and its telephone-event), with the
  // caller's payload numbers: what arrives from either side passes unchanged but for the
  // header, never transcoded.
  const media::CodecInfo& info = media::codec_info(caller->codec());
  sip::sdp::LocalCodec codec;
  for (const sip::sdp::LocalCodec& c : local_codecs()) {
    if (c.name == info.name) {
      codec = c;
    }
  }
  codec.payload_type = caller->payload_type();
  sip::sdp::LocalMedia local{io_.options().address, 0, {codec}, crypto::random_u64() >> 1, 1};
  local.telephone_event = caller->telephone_event_pt().has_value();
  local.telephone_event_pt = caller->telephone_event_pt().value_or(101);
  sip::sdp::NegotiatedMedia agreed;
  agreed.payload_type = caller->payload_type();
  agreed.telephone_event_pt = caller->telephone_event_pt();
  auto leg = std::make_shared<Leg>(
      *this, session_config(caller->codec(), agreed, options_.no_rtp_timeout), caller->codec(),
      net::PeerAddress{}, net::PeerAddress{}, std::move(handler));
  leg->awaiting_answer = true;
  auto opened = open_leg(leg, toward_caller);
  if (!opened) {
    return unexpected(opened.error());
  }
  local.rtp_port = opened->rtp_port;
  std::string body = sip::sdp::offer_terminated(local, sip::sdp::Direction::kSendRecv);
  {
    std::lock_guard lock(mu_);
    sdp_[opened->id] =
        SdpState{local.session_id, local.session_version, body, 0, opened->rtp_port, {}};
  }
  return Offered{opened->id, std::move(body)};
}

Result<void> MediaLegs::bridge(LegId toward_caller, LegId relay, std::string_view answer) {
  auto session = sip::sdp::parse(answer);
  if (!session) {
    return fail(Error::invalid("sdp", "the answer does not parse: " + session.error().reason));
  }
  std::shared_ptr<Leg> a, b;
  {
    std::lock_guard lock(mu_);
    const auto ia = legs_.find(toward_caller);
    const auto ib = legs_.find(relay);
    if (ia == legs_.end() || ib == legs_.end()) {
      return fail(Error::not_found("media leg"));
    }
    a = ia->second;
    b = ib->second;
  }
  // The answer read as if it were an offer against the one codec we offered: its payload
  // numbers, its address and ports, its telephone-event.
  const media::CodecInfo& info = media::codec_info(b->codec());
  sip::sdp::LocalCodec codec;
  for (const sip::sdp::LocalCodec& c : local_codecs()) {
    if (c.name == info.name) {
      codec = c;
    }
  }
  sip::sdp::LocalMedia local{io_.options().address, 1, {codec}, 1, 1};
  auto agreed = sip::sdp::answer_terminated(*session, local);
  if (!agreed) {
    return fail(
        Error::invalid("sdp", "the answer does not fit our offer: " + agreed.error().reason));
  }
  auto rtp_peer = peer_of(agreed->remote_address, agreed->remote_rtp_port);
  auto rtcp_peer = peer_of(agreed->remote_rtcp_address, agreed->remote_rtcp_port);
  if (!rtp_peer || !rtcp_peer) {
    return fail(Error::invalid("sdp", "the answer's address is not an IP literal"));
  }
  const std::uint8_t pt = agreed->payload_type;
  const auto te_pt = agreed->telephone_event_pt;
  io_.post(relay, [a, b, rtp = *rtp_peer, rtcp = *rtcp_peer, pt, te_pt] {
    b->answered(rtp, rtcp, pt, te_pt);
    a->session().stop_playing();
    const auto now = Clock::now();
    a->bridge(*b, now, false);
    b->bridge(*a, now, false);
  });
  return {};
}

namespace {

/// Whether the sender of `stream` sends on it, and receives (not on RFC 2543 hold).
bool stream_sends(const sip::sdp::StreamAddress& s) {
  return s.rtp_port != 0 && (s.direction == sip::sdp::Direction::kSendRecv ||
                             s.direction == sip::sdp::Direction::kSendOnly);
}
/// Where a relayed stream's sender takes RTP and RTCP; 488 when an address is not a literal.
Expected<std::pair<net::PeerAddress, net::PeerAddress>, sip::ParseError> peers_of(
    const sip::sdp::StreamAddress& s) {
  auto rtp = peer_of(s.address, s.rtp_port);
  auto rtcp = peer_of(s.rtcp_address, s.rtcp_port);
  if (!rtp || !rtcp) {
    return unexpected(media_error(488, "No usable media address"));
  }
  return std::pair{*rtp, *rtcp};
}

bool stream_receives(const sip::sdp::StreamAddress& s) {
  return s.rtp_port != 0 && s.address != "0.0.0.0" && s.address != "::";
}

}  // namespace

std::string MediaLegs::describe_for(LegId to, const sip::sdp::Session& session,
                                    const sip::sdp::StreamAddress& stream, std::uint16_t port) {
  std::lock_guard lock(mu_);
  SdpState& st = sdp_[to];
  sip::sdp::RelayRewrite rewrite{io_.options().address, port, st.session_id, st.version};
  std::string body = sip::sdp::relay_description(session, stream, rewrite);
  if (!st.last.empty() && body != st.last) {
    // RFC 3264 §8: a changed description carries the next version.
    rewrite.session_version = ++st.version;
    body = sip::sdp::relay_description(session, stream, rewrite);
  }
  st.last = body;
  return body;
}

Expected<MediaLegs::LegId, sip::ParseError> MediaLegs::anchor(std::string_view offer,
                                                              Handler handler) {
  auto session = sip::sdp::parse(offer);
  if (!session) {
    return unexpected(session.error());
  }
  auto stream = sip::sdp::relayed_stream(*session, std::nullopt);
  if (!stream) {
    return unexpected(stream.error());
  }
  auto peers = peers_of(*stream);
  if (!peers) {
    return unexpected(peers.error());
  }
  const auto [rtp_peer, rtcp_peer] = *peers;
  // A relay leg never plays or records: its session only lends it an SSRC and a sequence.
  auto leg = std::make_shared<Leg>(
      *this, session_config(media::CodecId::kPcmu, {}, options_.no_rtp_timeout),
      media::CodecId::kPcmu, rtp_peer, rtcp_peer, std::move(handler));
  leg->take_peer(rtp_peer, rtcp_peer, stream_sends(*stream), stream_receives(*stream));
  leg->awaiting_answer = true;
  auto opened = open_leg(leg, std::nullopt);
  if (!opened) {
    return unexpected(opened.error());
  }
  std::lock_guard lock(mu_);
  sdp_[opened->id] = SdpState{
      crypto::random_u64() >> 1, 1, {}, stream->media_index, opened->rtp_port, std::string(offer)};
  return opened->id;
}

Expected<MediaLegs::Offered, sip::ParseError> MediaLegs::anchor_offer(LegId anchor,
                                                                      Handler handler) {
  std::string offer;
  {
    std::lock_guard lock(mu_);
    const auto it = sdp_.find(anchor);
    if (it == sdp_.end() || it->second.offer.empty()) {
      return unexpected(media_error(500, "No anchored media leg"));
    }
    offer = it->second.offer;
  }
  auto session = sip::sdp::parse(offer);
  auto stream =
      session ? sip::sdp::relayed_stream(*session, std::nullopt)
              : Expected<sip::sdp::StreamAddress, sip::ParseError>(unexpected(session.error()));
  if (!stream) {
    return unexpected(stream.error());
  }
  auto leg = std::make_shared<Leg>(
      *this, session_config(media::CodecId::kPcmu, {}, options_.no_rtp_timeout),
      media::CodecId::kPcmu, net::PeerAddress{}, net::PeerAddress{}, std::move(handler));
  leg->awaiting_answer = true;
  auto opened = open_leg(leg, anchor);
  if (!opened) {
    return unexpected(opened.error());
  }
  {
    std::lock_guard lock(mu_);
    sdp_[opened->id] =
        SdpState{crypto::random_u64() >> 1, 1, {}, stream->media_index, opened->rtp_port, {}};
  }
  return Offered{opened->id, describe_for(opened->id, *session, *stream, opened->rtp_port)};
}

Expected<std::string, sip::ParseError> MediaLegs::pass_sdp(LegId from, LegId to,
                                                           std::string_view sdp) {
  auto session = sip::sdp::parse(sdp);
  if (!session) {
    return unexpected(session.error());
  }
  std::shared_ptr<Leg> a, b;
  std::size_t known = 0;
  std::uint16_t to_port = 0;
  {
    std::lock_guard lock(mu_);
    const auto ia = legs_.find(from);
    const auto ib = legs_.find(to);
    const auto sa = sdp_.find(from);
    const auto sb = sdp_.find(to);
    if (ia == legs_.end() || ib == legs_.end() || sa == sdp_.end() || sb == sdp_.end()) {
      return unexpected(media_error(500, "No media leg to relay"));
    }
    a = ia->second;
    b = ib->second;
    known = sa->second.stream_index;
    to_port = sb->second.port;
  }
  // An offer's stream is its first audio line; an answer's the line of the offer it answers
  // (perhaps rejected, port 0).
  auto stream = sip::sdp::relayed_stream(*session, std::nullopt);
  if (!stream) {
    stream = sip::sdp::relayed_stream(*session, known);
  }
  if (!stream) {
    return unexpected(stream.error());
  }
  auto peers = peers_of(*stream);
  if (!peers) {
    return unexpected(peers.error());
  }
  const auto [rtp_peer, rtcp_peer] = *peers;
  {
    std::lock_guard lock(mu_);
    sdp_[from].stream_index = stream->media_index;
    sdp_[to].stream_index = stream->media_index;
  }
  std::string body = describe_for(to, *session, *stream, to_port);
  io_.post(from, [a, b, rtp = rtp_peer, rtcp = rtcp_peer, sends = stream_sends(*stream),
                  receives = stream_receives(*stream)] {
    a->take_peer(rtp, rtcp, sends, receives);
    b->awaiting_answer = false;
    a->session().stop_playing();
    b->session().stop_playing();
    const auto now = Clock::now();
    a->bridge(*b, now, true);
    b->bridge(*a, now, true);
  });
  return body;
}

void MediaLegs::set_handler(LegId leg, Handler handler) {
  with_leg(leg, [h = std::move(handler)](Leg& l) mutable { l.set_handler(std::move(h)); });
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
  if (source.cache) {
    std::lock_guard lock(prompts_mu_);
    if (const auto it = prompts_.find(key); it != prompts_.end()) {
      return it->second;
    }
  }
  std::optional<media::PromptAudio> audio;
  if (source.key == "tone:beep") {
    audio = beep();
  } else if (source.key == "tone:ringback") {
    // One cadence of ringback (ITU-T E.180: 425 Hz, 1 s on, 4 s off), played in a loop.
    constexpr std::uint32_t kRate = 16000;
    media::ToneGenerator tone({425.0}, kRate, std::chrono::milliseconds(1000),
                              std::chrono::milliseconds(4000));
    audio = media::PromptAudio{tone.next(kRate * 5), kRate};
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
  if (!source.cache) {
    return shared;
  }
  std::lock_guard lock(prompts_mu_);
  return prompts_.emplace(key, std::move(shared)).first->second;
}

void MediaLegs::play(LegId leg, std::vector<PromptSource> prompts, bool loop) {
  with_leg(leg, [this, prompts = std::move(prompts), loop](Leg& l) {
    // Encoded on the media thread on first use, then cached for every leg of that codec.
    // Several parts are played as one prompt, itself cached when every part is (a greeting
    // and its beep: callers share one copy instead of one each).
    const bool cacheable =
        prompts.size() > 1 &&
        std::all_of(prompts.begin(), prompts.end(), [](const PromptSource& p) { return p.cache; });
    std::string whole_key;
    if (cacheable) {
      for (const PromptSource& p : prompts) {
        whole_key += (whole_key.empty() ? "" : "+") + p.key;
      }
      whole_key += "#" + std::string(media::codec_info(l.codec()).name);
      std::lock_guard lock(prompts_mu_);
      if (const auto it = prompts_.find(whole_key); it != prompts_.end()) {
        l.session().play(it->second, loop, Clock::now());
        return;
      }
    }
    std::vector<std::shared_ptr<const media::EncodedPrompt>> parts;
    std::vector<const media::EncodedPrompt*> raw;
    for (const PromptSource& p : prompts) {
      if (auto encoded = prompt(p, l.codec())) {
        raw.push_back(encoded.get());
        parts.push_back(std::move(encoded));
      }
    }
    std::shared_ptr<const media::EncodedPrompt> whole =
        raw.size() == 1
            ? parts.front()
            : std::make_shared<const media::EncodedPrompt>(
                  raw.empty() ? media::EncodedPrompt(l.codec()) : media::concat_prompts(raw));
    if (cacheable && raw.size() == prompts.size()) {
      std::lock_guard lock(prompts_mu_);
      whole = prompts_.emplace(whole_key, std::move(whole)).first->second;
    }
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
    sdp_.erase(leg);
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
