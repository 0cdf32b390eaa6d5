// Media anchoring (issue 13, docs/media.md "Media anchoring"): a call to or from a trunk set
// to relay, or with a phone behind NAT, is not answered by Cohort, but its SDP goes through
// the relay in both directions — Cohort's address and ports, the codecs as the phones offered
// them — and MediaLegs relays the RTP and RTCP under Cohort's own SSRC and CNAME, so no LAN
// address or extension reaches the provider and NATed phones get audio. Each relayed B leg
// has a media leg of its own beside the caller's (forks may send early media); the one that
// answers is bridged, the others closed. Re-INVITEs and UPDATEs of a relayed call pass the
// relay the same way (call_dialog.cpp), so hold and codec changes keep the anchor.

#include <spdlog/spdlog.h>

#include "common/log.hpp"
#include "common/text.hpp"
#include "pbx/call_state.hpp"

namespace cohort::pbx {

bool contact_behind_nat(std::string_view contact_uri, std::string_view source_address) {
  auto uri = sip::parse_uri(contact_uri);
  if (!uri) {
    return true;
  }
  std::string_view host = uri->host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host != source_address;
}

bool PhoneMediaPolicy::relays(std::string_view contact_uri, std::string_view source_address) const {
  if (relay.contains(source_address)) {
    return true;
  }
  if (direct.contains(source_address)) {
    return false;
  }
  return contact_behind_nat(contact_uri, source_address);
}

namespace {

bool is_sdp(const std::string& content_type) {
  const std::string t = text::ascii_lower(content_type);
  return t.rfind("application/sdp", 0) == 0;
}

}  // namespace

bool CallController::Impl::relays_media(const Call& c, const Leg& leg) const {
  // A caller Cohort answered (menus, queues) is relayed already; a transfer's target, and
  // the callee of a late offer, make the offer in their 2xx (anchor_far_offer).
  if (opts.media == nullptr || c.media || c.transfer_in || c.a_body.empty() ||
      !is_sdp(c.a_content_type)) {
    return false;
  }
  return c.relay_caller || needs_relay(c, leg);
}

std::optional<std::string> CallController::Impl::anchor_offer(std::size_t shard, Call& c, int i) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  if (leg.media_leg != 0) {
    return leg.sdp;  // the INVITE again (with credentials): the same offer
  }
  auto handler = [this, shard, key = c.key](MediaLegs::LegId, MediaEvent event) {
    core.post(shard, [this, shard, key, event = std::move(event)](TimePoint at) mutable {
      on_media_event(shard, key, std::move(event), at);
    });
  };
  if (c.anchor == 0) {
    auto anchored = opts.media->anchor(c.a_body, handler);
    if (!anchored) {
      spdlog::warn("call event=anchor_failed call={} status={} reason={}", c.id,
                   anchored.error().status, log::Value{anchored.error().reason});
      return std::nullopt;
    }
    c.anchor = *anchored;
  }
  auto offered = opts.media->anchor_offer(c.anchor, std::move(handler));
  if (!offered) {
    spdlog::warn("call event=anchor_failed call={} status={} reason={}", c.id,
                 offered.error().status, log::Value{offered.error().reason});
    return std::nullopt;
  }
  leg.media_leg = offered->leg;
  spdlog::debug("call event=media_anchored call={} leg={}", c.id, i);
  return std::move(offered->sdp);
}

bool CallController::Impl::needs_relay(const Call& c, const Leg& leg) const {
  if (opts.media == nullptr) {
    return false;
  }
  if (leg.relay_phone) {
    return true;
  }
  const model::Trunk* trunk = trunk_of(c, leg);
  return trunk != nullptr && trunk->media == model::TrunkMedia::kRelay;
}

std::optional<std::string> CallController::Impl::anchor_far_offer(std::size_t shard, Call& t, int i,
                                                                  const std::string& ctype,
                                                                  const std::string& offer) {
  if (opts.media == nullptr || offer.empty() || !is_sdp(ctype)) {
    return std::nullopt;
  }
  Leg& target = t.b[static_cast<std::size_t>(i)];
  close_anchor(t);
  auto handler = [this, shard, key = t.key](MediaLegs::LegId, MediaEvent event) {
    core.post(shard, [this, shard, key, event = std::move(event)](TimePoint at) mutable {
      on_media_event(shard, key, std::move(event), at);
    });
  };
  // The target made the offer, so the leg facing it plays the part a caller's anchor plays,
  // and the transferee's is offered beside it; relay_between then works as for any call.
  auto facing_target = opts.media->anchor(offer, handler);
  if (!facing_target) {
    spdlog::warn("call event=anchor_failed call={} reason={}", t.id,
                 log::Value{facing_target.error().reason});
    return std::nullopt;
  }
  auto offered = opts.media->anchor_offer(*facing_target, std::move(handler));
  if (!offered) {
    spdlog::warn("call event=anchor_failed call={} reason={}", t.id,
                 log::Value{offered.error().reason});
    opts.media->close(*facing_target);
    return std::nullopt;
  }
  target.media_leg = *facing_target;
  t.anchor = offered->leg;
  spdlog::debug("call event=media_anchored call={} transfer=true", t.id);
  return std::move(offered->sdp);
}

std::optional<std::string> CallController::Impl::anchored_answer(Call& c, int i,
                                                                 const std::string& body) {
  const Leg& leg = c.b[static_cast<std::size_t>(i)];
  if (leg.media_leg == 0 || c.anchor == 0 || body.empty()) {
    return body;  // a direct leg: its SDP goes on as it is
  }
  auto passed = opts.media->pass_sdp(leg.media_leg, c.anchor, body);
  if (!passed) {
    spdlog::warn("call event=anchor_answer_refused call={} status={} reason={}", c.id,
                 passed.error().status, log::Value{passed.error().reason});
    return std::nullopt;
  }
  return std::move(*passed);
}

std::pair<std::uint64_t, std::uint64_t> CallController::Impl::relay_between(const Call& c, int from,
                                                                            int to) const {
  std::uint64_t caller = 0;
  std::uint64_t callee = 0;
  if (c.media && c.media->bridged) {
    caller = c.media->leg;
    callee = c.media->relay;
  } else if (c.anchor != 0 && c.winner >= 0) {
    caller = c.anchor;
    callee = c.b[static_cast<std::size_t>(c.winner)].media_leg;
  }
  if (caller == 0 || callee == 0) {
    return {0, 0};
  }
  const auto side = [&](int leg) { return leg < 0 ? caller : leg == c.winner ? callee : 0; };
  const std::uint64_t a = side(from);
  const std::uint64_t b = side(to);
  return a != 0 && b != 0 ? std::pair{a, b} : std::pair<std::uint64_t, std::uint64_t>{0, 0};
}

void CallController::Impl::drop_media_leg(Leg& leg) {
  if (leg.media_leg != 0 && opts.media != nullptr) {
    opts.media->close(leg.media_leg);
  }
  leg.media_leg = 0;
}

void CallController::Impl::close_anchor(Call& c) {
  for (Leg& leg : c.b) {
    drop_media_leg(leg);
  }
  if (c.anchor != 0 && opts.media != nullptr) {
    opts.media->close(c.anchor);
  }
  c.anchor = 0;
}

}  // namespace cohort::pbx
