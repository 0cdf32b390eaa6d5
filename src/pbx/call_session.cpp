// RFC 4028 session timers on each leg of a call. Cohort is a user agent on both legs: the
// UAS of the caller's INVITE (uas_answer: 422/400 before routing, Session-Expires and
// Require in the 2xx), the UAC of each B leg's INVITE (uac_offer, a new INVITE after a 422,
// uac_result with keep_if_absent so that Cohort runs the timer even for a callee without the
// extension). Each leg then has its own sip::dialog::SessionTimer: when Cohort refreshes the
// leg it sends an UPDATE (or a re-INVITE with the last SDP it sent there) at half the
// interval, answered here and never relayed; when the peer refreshes and does not, the
// session has expired and both legs get a BYE. A re-INVITE or UPDATE relayed end to end that
// succeeds refreshes both legs (call_dialog.cpp calls refreshed_by_relay).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <span>

#include "pbx/call_state.hpp"

namespace cohort::pbx {
namespace {

namespace st = sip::dialog;

/// Re-sending after 422s stops here: each 422 must raise the interval (uac_offer_after_422),
/// and a peer that keeps raising it is refusing the call, not negotiating.
constexpr int kMax422Retries = 2;

std::uint32_t random_of(TimePoint now) {
  return static_cast<std::uint32_t>(now.time_since_epoch().count());
}

}  // namespace

/// The response to a request whose session timer headers Cohort refuses: 422 with our Min-SE
/// (§6, §9) or 400 naming the bad header.
std::string CallController::Impl::session_rejection(const ResponseHeaders& h,
                                                    const st::UasAnswer& answer,
                                                    std::string_view to_tag) {
  if (answer.reject_status == 422) {
    return response_to(h, 422, "Session Interval Too Small", to_tag, [&](sip::MessageBuilder& b) {
      b.header("Min-SE", std::to_string(answer.min_se));
      b.header(HeaderId::kSupported, "timer");
    });
  }
  return response_to(h, 400, answer.reject_reason, to_tag);
}

/// The 2xx of a request Cohort answers as a UAS (§9): Session-Expires with the refresher,
/// Require: timer when the refresher is the UAC (it must know the duty is its own).
void CallController::Impl::add_uas_session(sip::MessageBuilder& b, const st::UasAnswer& answer) {
  b.header(HeaderId::kSupported, "timer");
  if (answer.session_expires) {
    b.header("Session-Expires", st::format_session_expires(*answer.session_expires));
  }
  if (answer.require_timer) {
    b.header(HeaderId::kRequire, "timer");
  }
}

/// A request Cohort sends as a UAC (§7.1): Supported: timer, Session-Expires, Min-SE.
void CallController::Impl::add_uac_session(sip::MessageBuilder& b, const st::UacOffer& offer) {
  b.header(HeaderId::kSupported, "timer");
  b.header("Session-Expires", st::format_session_expires(offer.session_expires));
  b.header("Min-SE", std::to_string(offer.min_se));
}

/// What Cohort offers in a re-INVITE or UPDATE it sends on an answered leg (its refresh, or
/// one relayed from the other leg): the interval in force, and the refresher unchanged —
/// Cohort, the UAC of this request, when it refreshes the leg; else the peer (§7.4).
st::UacOffer CallController::Impl::refresh_offer(const Leg& leg) const {
  const st::Negotiated& n = leg.session.timer.negotiated();
  const std::uint32_t interval =
      n.interval != 0 ? n.interval : st::uac_offer(opts.session_timer).session_expires.seconds;
  st::UacOffer offer;
  offer.session_expires = st::SessionExpires{interval, n.we_refresh || !leg.session.timer.running()
                                                           ? st::Refresher::kUac
                                                           : st::Refresher::kUas};
  // §7.1: Session-Expires must not be below the Min-SE sent with it.
  const std::uint32_t learnt = leg.session.offer ? leg.session.offer->min_se : 0;
  offer.min_se = std::min(interval, std::max(st::effective_min_se(opts.session_timer), learnt));
  return offer;
}

void CallController::Impl::remember_sdp(Leg& leg, const std::string& ctype,
                                        const std::string& body) {
  if (body.empty() || ctype.find("application/sdp") == std::string::npos) {
    return;
  }
  leg.sdp_type = ctype;
  leg.sdp = body;
}

/// A 422 to the INVITE of B leg `i`: the same leg sends a new INVITE (higher CSeq, same
/// Call-ID and From tag) with the interval raised to the 422's Min-SE (§7.3). False when it
/// cannot (no usable Min-SE, too many 422s, the call is over or the leg cancelled): the 422
/// is then a failed attempt of that target.
bool CallController::Impl::retry_after_422(std::size_t shard, Call& c, int i, const sip::Message& r,
                                           TimePoint now) {
  Leg& leg = leg_at(c, i);
  if (c.winner >= 0 || c.state == CallState::kEnding || leg.cancelled || leg.cancel_pending ||
      !leg.session.offer || leg.session.retries_422 >= kMax422Retries) {
    return false;
  }
  auto next = st::uac_offer_after_422(*leg.session.offer, r);
  if (!next) {
    return false;
  }
  spdlog::info("call event=session_interval_raised call={} leg={} session_expires={}", c.id, i,
               next->session_expires.seconds);
  leg.session.offer = *next;
  ++leg.session.retries_422;
  leg.final_status = 0;
  leg.final_reason.clear();
  leg.provisional = false;
  leg.state = LegState::kTrying;
  leg.auth_attempts = 0;  // a trunk challenges the new INVITE again; bounded by the 422s
  send_invite(shard, c, i, {}, now);
  return true;
}

/// The answer of a B leg: the session timer from its 2xx, or Cohort's own when the callee
/// does not do timers (§7.2: keep_if_absent).
void CallController::Impl::start_b_session(Leg& leg, const sip::Message& ok, TimePoint now) {
  leg.session.peer_allows_update = st::allows_update(ok);
  const st::UacOffer offer = leg.session.offer.value_or(st::uac_offer(opts.session_timer));
  if (auto n = st::uac_result(ok, offer, true)) {
    leg.session.timer.start(*n, now);
  }
}

/// Whether a session timer of an answered call wants on_timer (the sweep asks).
bool CallController::Impl::session_due(const Call& c, TimePoint now) {
  auto due = [&](const Leg& leg) {
    const std::optional<TimePoint> next = leg.session.timer.next();
    return (next && now >= *next) || (leg.session.retry_at && now >= *leg.session.retry_at);
  };
  return due(c.a) || (c.winner >= 0 && due(c.b[static_cast<std::size_t>(c.winner)]));
}

/// The session timers of an answered call's two legs. True when the call was ended (the
/// session expired): `c` may be gone then.
bool CallController::Impl::run_session_timers(std::size_t shard, Call& c, TimePoint now) {
  const int legs[] = {-1, c.winner};
  for (const int i : std::span(legs, c.winner >= 0 ? 2 : 1)) {
    Leg& leg = leg_at(c, i);
    if (leg.state == LegState::kTerminated) {
      continue;
    }
    LegSession& s = leg.session;
    if (s.retry_at && now >= *s.retry_at) {
      s.retry_at.reset();
      send_refresh(shard, c, i, s.offer.value_or(refresh_offer(leg)), now);
    }
    switch (s.timer.on_timer(now)) {
      case st::SessionTimer::Due::kExpired:
        // §10: the refresher did not refresh in time (or Cohort's own refresh got no answer).
        spdlog::warn("call event=session_expired call={} leg={}", c.id,
                     i < 0 ? "caller" : "callee");
        end_answered(shard, c, "session_expired", now);
        return true;
      case st::SessionTimer::Due::kRefresh:
        send_refresh(shard, c, i, refresh_offer(leg), now);
        break;
      case st::SessionTimer::Due::kNothing:
        break;
    }
  }
  return false;
}

/// Cohort's refresh on leg `i` (§7.4): an UPDATE without a body when the peer allows UPDATE,
/// else a re-INVITE offering the last SDP Cohort sent on the leg. Its response is handled by
/// on_refresh_response and never reaches the other leg.
void CallController::Impl::send_refresh(std::size_t shard, Call& c, int i,
                                        const st::UacOffer& offer, TimePoint now) {
  Leg& leg = leg_at(c, i);
  LegSession& s = leg.session;
  if (s.refresh_txn != 0 || leg.state == LegState::kTerminated) {
    return;
  }
  const bool update = s.peer_allows_update;
  if (!update && !leg.reinvites.can_send()) {
    // RFC 3261 §14.1: an INVITE transaction is in progress on the leg (relayed): try again
    // after the glare delay. Its 2xx, if any, refreshes the leg meanwhile.
    s.offer = offer;
    s.retry_at = now + st::glare_retry_delay(i >= 0, random_of(now));
    core.arm(shard, c.key, *s.retry_at);
    return;
  }
  s.offer = offer;
  leg.cseq += 1;
  sip::MessageBuilder bytes =
      request_on(leg, update ? "UPDATE" : "INVITE", leg.remote_target, leg.cseq,
                 core.mint_branch(shard), 70, [&](sip::MessageBuilder& b) {
                   b.header(HeaderId::kContact, contact_of(leg.route.protocol));
                   b.header(HeaderId::kAllow, kCallAllow);
                   add_uac_session(b, offer);
                   b.header(HeaderId::kUserAgent, opts.user_agent);
                   if (!update && !leg.sdp.empty()) {
                     b.body(leg.sdp_type, leg.sdp);
                   }
                 });
  if (!update) {
    leg.reinvites.sent();
  }
  s.refresh_is_update = update;
  s.refresh_txn = send_on(shard, c, i, std::move(bytes), OwnerKind::kRefresh, now);
  if (s.refresh_txn == 0 && !update) {
    leg.reinvites.outgoing_done();  // not sent: the session expires unless the peer refreshes
  }
  spdlog::info("call event=session_refresh call={} leg={} method={} session_expires={}", c.id,
               i < 0 ? "caller" : "callee", update ? "UPDATE" : "INVITE",
               offer.session_expires.seconds);
}

/// The response to Cohort's refresh on leg `i` (sip::dialog::refresh_step decides).
void CallController::Impl::on_refresh_response(std::size_t shard, Call& c, int i,
                                               const sip::Message& r, TimePoint now) {
  if (r.status() < 200) {
    return;
  }
  Leg& leg = leg_at(c, i);
  LegSession& s = leg.session;
  const bool update = s.refresh_is_update;
  s.refresh_txn = 0;
  if (!update) {
    leg.reinvites.outgoing_done();
    if (r.status() < 300) {
      // The 2xx to our re-INVITE is ours to ACK (RFC 3261 §13.2.2.4), on this leg only.
      ack_leg(shard, c, i, r.cseq(), {}, {});
    }
  }
  if (c.state != CallState::kAnswered || leg.state == LegState::kTerminated) {
    return;
  }
  const st::UacOffer sent = s.offer.value_or(refresh_offer(leg));
  const st::RefreshStep step = st::refresh_step(update, r.status());
  spdlog::info("call event=session_refresh_answered call={} leg={} status={} step={}", c.id,
               i < 0 ? "caller" : "callee", r.status(), st::to_string(step));
  switch (step) {
    case st::RefreshStep::kRestart:
      s.retries_422 = 0;
      if (auto n = st::uac_result(r, sent, true)) {
        s.timer.start(*n, now);
      }
      return;
    case st::RefreshStep::kRaiseInterval:
      if (auto next = st::uac_offer_after_422(sent, r); next && s.retries_422 < kMax422Retries) {
        ++s.retries_422;
        send_refresh(shard, c, i, *next, now);
      } else {
        s.timer.start(s.timer.negotiated(), now);
      }
      return;
    case st::RefreshStep::kRetryLater:
      s.retry_at = now + st::glare_retry_delay(i >= 0, random_of(now));
      core.arm(shard, c.key, *s.retry_at);
      return;
    case st::RefreshStep::kUseReInvite:
      s.peer_allows_update = false;
      send_refresh(shard, c, i, sent, now);
      return;
    case st::RefreshStep::kEndSession:
      if (r.status() == 481) {
        leg.state = LegState::kTerminated;  // no BYE into a dialog the peer does not know
      }
      end_answered(shard, c, "session_refresh_failed", now);  // `c` may be gone
      return;
    case st::RefreshStep::kKeepInterval:
      s.timer.start(s.timer.negotiated(), now);
      return;
  }
}

/// Cohort's refresh on leg `i` got no response (408) or could not be sent (503): the peer
/// is gone, the call ends on both legs.
void CallController::Impl::on_refresh_failure(std::size_t shard, Call& c, int i, int status,
                                              TimePoint now) {
  Leg& leg = leg_at(c, i);
  if (!leg.session.refresh_is_update) {
    leg.reinvites.outgoing_done();
  }
  leg.session.refresh_txn = 0;
  if (c.state != CallState::kAnswered) {
    return;
  }
  spdlog::warn("call event=session_refresh_failed call={} leg={} status={}", c.id,
               i < 0 ? "caller" : "callee", status);
  end_answered(shard, c, "session_refresh_failed", now);  // `c` may be gone
}

/// A re-INVITE or UPDATE relayed from one leg to the other got a 2xx: both legs' sessions
/// are refreshed, each from its own side of the transaction (§7.4 for the far leg, where
/// Cohort was the UAC; §9 for the originator's, where it answered as the UAS).
void CallController::Impl::refreshed_by_relay(Call& c, const Relay& relay, int far_leg,
                                              const sip::Message& ok, TimePoint now) {
  Leg& origin = leg_at(c, relay.from_leg);
  Leg& far = leg_at(c, far_leg);
  if (relay.origin_session && relay.origin_session->negotiated) {
    origin.session.timer.start(*relay.origin_session->negotiated, now);
  }
  if (relay.far_offer) {
    if (auto n = st::uac_result(ok, *relay.far_offer, true)) {
      far.session.timer.start(*n, now);
    }
  }
}

}  // namespace cohort::pbx
