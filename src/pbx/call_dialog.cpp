// Requests inside an established dialog (RFC 3261 §12.2): ACK and BYE handled here, the
// rest (re-INVITE, UPDATE, INFO …) relayed to the other leg with their responses relayed
// back.

#include "pbx/call_state.hpp"

#include <algorithm>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "common/log.hpp"
#include "common/text.hpp"
#include "sip/sdp.hpp"

namespace cohort::pbx {

bool CallController::Impl::on_in_dialog(std::size_t shard, TxnId txn, const sip::Message& req,
                                        const net::Outbound& reply_route, TimePoint now) {
  ShardState& st = shards[shard];
  auto it = st.dialogs.find(dialog_key(req.call_id(), req.to_tag()));
  if (it == st.dialogs.end()) {
    return false;
  }
  Call* cp = find(shard, it->second.first);
  if (cp == nullptr) {
    return false;
  }
  Call& c = *cp;
  const int from = it->second.second;
  Leg& origin = from < 0 ? c.a : c.b[static_cast<std::size_t>(from)];
  (void)reply_route;
  const ResponseHeaders answer = response_headers(req, {});
  auto respond = [&](int status, std::string_view reason) {
    if (txn != 0) {
      core.respond(shard, txn, status, response_to(answer, status, reason, {}), now);
    }
  };
  // RFC 3261 §12.2.2: a request whose CSeq is not above the last one the peer sent in this
  // dialog is out of order (retransmissions never get here: their transaction took them).
  if (req.method() != Method::kAck) {
    if (origin.remote_cseq && req.cseq() <= *origin.remote_cseq) {
      respond(sip::dialog::status_of(sip::dialog::Verdict::kOutOfOrder),
              sip::dialog::reason_of(sip::dialog::Verdict::kOutOfOrder));
      return true;
    }
    origin.remote_cseq = req.cseq();
  }
  switch (req.method()) {
    case Method::kAck: {
      if (from < 0 && req.cseq() == c.a_invite_cseq) {
        if (!c.a_acked && c.winner >= 0 && !c.media) {
          c.a_acked = true;
          if (c.a_ok_resend) {
            c.a_ok_resend->on_ack();
          }
          // The caller has our 2xx: no INVITE retransmission or response to it can follow.
          release(c.a_ok);
          release(c.a_answer);
          auto [ctype, body] = relay_body(req);
          Leg& callee = c.b[static_cast<std::size_t>(c.winner)];
          if (!body.empty() && c.anchor != 0 && callee.media_leg != 0) {
            // The caller's answer to a late offer Cohort anchored (call_legs.cpp).
            auto passed = opts.media->pass_sdp(c.anchor, callee.media_leg, body);
            if (!passed) {
              spdlog::warn("call event=anchor_answer_refused call={} reason={}", c.id,
                           log::Value{passed.error().reason});
              ack_leg(shard, c, c.winner, callee.invite_cseq, {}, {});
              end_answered(shard, c, "media_refused", now);
              return true;
            }
            body = std::move(*passed);
          }
          ack_leg(shard, c, c.winner, callee.invite_cseq, ctype, body);
        } else if (!c.a_acked && c.voicemail && c.state == CallState::kAnswered) {
          c.a_acked = true;
          if (c.a_ok_resend) {
            c.a_ok_resend->on_ack();
          }
          release(c.a_ok);
          release(c.a_answer);
          if (c.voicemail->phase != VoicemailCall::Phase::kAnswering) {
            // Started already: the caller heard a queue's early media before the mailbox.
          } else if (c.voicemail->full) {
            mailbox_full_acked(shard, c, now);  // the refusal prompt starts
          } else {
            voicemail_acked(shard, c, now);  // the greeting starts
          }
        } else if (!c.a_acked && c.media && c.media->answered && c.state != CallState::kEnding) {
          c.a_acked = true;
          if (c.a_ok_resend) {
            c.a_ok_resend->on_ack();
          }
          release(c.a_ok);
          release(c.a_answer);
          caller_acked(shard, c, now);  // call_media.cpp: the menu's prompt starts
        }
        return true;
      }
      if (from >= 0 && origin.pickup && origin.invite_cseq == 0 && c.state != CallState::kEnding) {
        offer_caller_to_picker(shard, c, from, now);  // the picker ACKed its on-hold answer
        return true;
      }
      if (c.pending_ack && c.pending_ack_from == from &&
          req.cseq() == c.pending_ack->originator_cseq) {
        PendingAck p = *c.pending_ack;
        c.pending_ack.reset();
        auto [ctype, body] = relay_body(req);
        ack_leg(shard, c, p.far_leg, p.far_cseq, ctype, body);
      }
      return true;
    }
    case Method::kBye:
      // Only the caller or the answering callee ends the call: a losing fork that we
      // ACKed and hung up may send its own BYE meanwhile.
      if (c.state != CallState::kEnding && referrer_hangs_up(shard, c, from)) {
        respond(200, "OK");  // a transfer goes on without its referrer
      } else if (c.state != CallState::kEnding && (from < 0 || from == c.winner)) {
        hang_up(shard, c, from, now);  // `c` may be gone after this line
        // The 200 OK acknowledges the end: it leaves once the end record is committed.
        core.respond_durable(shard, txn, 200, response_to(answer, 200, "OK", {}));
      } else {
        respond(200, "OK");
        origin.state = LegState::kTerminated;
      }
      return true;
    case Method::kInvite:
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kOptions:
    case Method::kMessage:
    case Method::kNotify:
    case Method::kRefer:
    case Method::kPrack: {
      const bool cohort_answered = (c.voicemail && c.state == CallState::kAnswered) ||
                                   (c.media && !c.media->bridged && c.state != CallState::kEnding);
      if (cohort_answered && from < 0) {
        // Nobody to relay to: a mailbox or a menu answered. A digit by INFO goes to its leg.
        if (req.method() == Method::kInfo) {
          const auto digit =
              info_digit(req.header(HeaderId::kContentType).value_or(""), req.body());
          if (digit) {
            // Which key is not logged: keys may be a PIN.
            spdlog::info("call event=info_dtmf call={}", c.id);
            opts.media->sip_dtmf(c.voicemail ? c.voicemail->leg : c.media->leg, *digit);
          }
          respond(digit || req.body().empty() ? 200 : 415, {});
        } else if (req.method() == Method::kOptions) {
          respond(200, "OK");
        } else {
          respond(req.method() == Method::kInvite || req.method() == Method::kUpdate ? 488 : 501,
                  {});
        }
        return true;
      }
      if (c.state != CallState::kAnswered || c.winner < 0) {
        // Early-dialog requests (UPDATE, PRACK) are not relayed yet.
        respond(req.method() == Method::kInvite ? 491 : 501, {});
        return true;
      }
      if (from >= 0 && from != c.winner) {
        // A losing fork (ACKed and sent a BYE) is not in the call: nothing of it reaches the
        // caller.
        respond(481, {});
        return true;
      }
      if (req.method() == Method::kRefer) {
        on_refer(shard, txn, c, from, req, now);
        return true;
      }
      if ((req.method() == Method::kInvite || req.method() == Method::kUpdate) &&
          !req.body().empty()) {
        // A new offer is checked as the first one was (docs/sip.md "Offers"): malformed
        // 400, another body type 415, nothing usable 488 — never relayed to the other phone.
        std::optional<sip::ParseError> problem = sip::sdp::check_offer_body(req);
        if (!problem) {
          problem = sip::sdp::validate_offer(req.body());
        }
        if (problem) {
          if (txn != 0) {
            core.respond(shard, txn, problem->status,
                         response_to(answer, problem->status, problem->reason, {},
                                     [&](sip::MessageBuilder& b) {
                                       if (problem->status == 415) {
                                         b.header(HeaderId::kAccept, "application/sdp");
                                       }
                                     }),
                         now);
          }
          return true;
        }
      }
      const int to = from < 0 ? c.winner : -1;
      Leg& far = to < 0 ? c.a : c.b[static_cast<std::size_t>(to)];
      // RFC 4028: a re-INVITE or UPDATE is a session refresh of both legs. Cohort answers
      // the originator as a UAS (a 422 or 400 here, not relayed) and offers the far leg its
      // own interval as a UAC: the two negotiations never see each other's headers.
      std::optional<sip::dialog::UasAnswer> origin_session;
      std::optional<sip::dialog::UacOffer> far_offer;
      if (req.method() == Method::kInvite || req.method() == Method::kUpdate) {
        sip::dialog::UasAnswer session = sip::dialog::uas_answer(req, opts.session_timer);
        if (session.reject_status != 0) {
          if (txn != 0) {
            core.respond(shard, txn, session.reject_status, session_rejection(answer, session, {}),
                         now);
          }
          return true;
        }
        origin_session = std::move(session);
        far_offer = refresh_offer(far);
      }
      if (req.method() == Method::kInvite) {
        // §14: a re-INVITE while we re-INVITE this phone (glare) gets 491; a second one
        // before its first was answered, 500 with Retry-After.
        const auto random = static_cast<std::uint32_t>(now.time_since_epoch().count());
        if (auto refusal = origin.reinvites.on_incoming(random)) {
          if (txn != 0) {
            core.respond(shard, txn, refusal->status,
                         response_to(answer, refusal->status, {}, {},
                                     [&](sip::MessageBuilder& b) {
                                       if (refusal->retry_after) {
                                         b.header("Retry-After",
                                                  std::to_string(*refusal->retry_after));
                                       }
                                     }),
                         now);
          }
          return true;
        }
        if (!far.reinvites.can_send()) {
          // Cohort's own refresh re-INVITE is in progress on the far leg: glare, as if the
          // far peer had sent it (§14.2).
          origin.reinvites.incoming_done();
          respond(491, {});
          return true;
        }
        far.reinvites.sent();
      }
      auto [ctype, body] = relay_body(req);
      if ((req.method() == Method::kInvite || req.method() == Method::kUpdate) && !body.empty()) {
        // A relayed call's new offer (hold, a codec change) passes the relay too
        // (call_anchor.cpp): the far side never sees the originator's own address.
        if (const auto [mine, theirs] = relay_between(c, from, to); mine != 0) {
          auto passed = opts.media->pass_sdp(mine, theirs, body);
          if (!passed) {
            if (req.method() == Method::kInvite) {
              origin.reinvites.incoming_done();
              far.reinvites.outgoing_done();
            }
            respond(passed.error().status, passed.error().reason);
            return true;
          }
          body = std::move(*passed);
        }
      }
      far.cseq += 1;
      const std::uint32_t far_cseq = far.cseq;
      sip::MessageBuilder bytes =
          request_on(far, req.method_token(), far.remote_target, far_cseq, core.mint_branch(shard),
                     req.max_forwards() < 0 ? 70 : std::max(0, req.max_forwards() - 1),
                     [&](sip::MessageBuilder& b) {
                       if (req.method() == Method::kInvite || req.method() == Method::kUpdate) {
                         b.header(HeaderId::kContact, contact_of(far.route.protocol));
                       }
                       for (HeaderId h : {HeaderId::kContentEncoding}) {
                         if (auto v = req.header(h)) {
                           b.header(h, *v);
                         }
                       }
                       for (const sip::Header& h : req.headers()) {
                         if (h.id == HeaderId::kOther) {
                           const std::string n = text::ascii_lower(h.name);
                           if (n == "info-package" || n == "event" || n == "subscription-state" ||
                               n == "recv-info") {
                             b.header(h.name, h.value);
                           }
                         }
                       }
                       if (far_offer) {
                         add_uac_session(b, *far_offer);
                       }
                       b.header(HeaderId::kUserAgent, opts.user_agent);
                       if (!body.empty()) {
                         b.body(ctype, body);
                       }
                     });
      const TxnId client = send_on(shard, c, to, std::move(bytes), OwnerKind::kRelay, now);
      if (client == 0) {
        if (req.method() == Method::kInvite) {
          origin.reinvites.incoming_done();
          far.reinvites.outgoing_done();
        }
        respond(500, "Server Internal Error");
        return true;
      }
      st.relays[client] = Relay{c.key,
                                txn,
                                from,
                                req.method(),
                                req.cseq(),
                                answer,
                                std::move(origin_session),
                                far_offer,
                                std::move(ctype),
                                std::move(body)};
      return true;
    }
    default:
      respond(501, {});
      return true;
  }
}

void CallController::Impl::on_relay_response(std::size_t shard, Call& c, Relay& relay, int far_leg,
                                             const sip::Message& r, TimePoint now) {
  if (r.status() == 100) {
    return;
  }
  Leg& origin = relay.from_leg < 0 ? c.a : c.b[static_cast<std::size_t>(relay.from_leg)];
  if (relay.method == Method::kInvite && r.status() >= 200) {
    end_reinvite(c, relay, far_leg);
  }
  auto [ctype, body] = relay_body(r);
  if (!body.empty() && r.status() < 300 &&
      (relay.method == Method::kInvite || relay.method == Method::kUpdate)) {
    if (const auto [theirs, mine] = relay_between(c, far_leg, relay.from_leg); theirs != 0) {
      if (auto passed = opts.media->pass_sdp(theirs, mine, body)) {
        body = std::move(*passed);
      } else {
        spdlog::warn("call event=relay_answer_refused call={} status={} reason={}", c.id,
                     passed.error().status, log::Value{passed.error().reason});
      }
    }
  }
  const bool refreshed = r.status() >= 200 && r.status() < 300 && relay.origin_session;
  // A 422 of the far leg answers Cohort's interval there, not the originator's: without our
  // Min-SE it would mean nothing to the originator (RFC 4028 §6), so it becomes a 500.
  const int status = r.status() == 422 && relay.far_offer ? 500 : r.status();
  std::string bytes = response_to(
      relay.answer, status, status == r.status() ? r.reason() : std::string_view(), {},
      [&](sip::MessageBuilder& b) {
        if (relay.method == Method::kInvite || relay.method == Method::kUpdate) {
          b.header(HeaderId::kContact, contact_of(origin.route.protocol));
        }
        if (refreshed) {
          add_uas_session(b, *relay.origin_session);  // RFC 4028 §9, the originator's leg
        }
        if (!body.empty()) {
          b.body(ctype, body);
        }
      });
  if (r.status() >= 200 && r.status() < 300) {
    // The offer and its answer are now the session on each leg: a refreshing re-INVITE
    // offers them again.
    remember_sdp(leg_at(c, far_leg), relay.body_type, relay.body);
    remember_sdp(origin, ctype, body);
  }
  if (refreshed) {
    refreshed_by_relay(c, relay, far_leg, r, now);
  }
  if (relay.method == Method::kInvite && r.status() >= 200 && r.status() < 300) {
    // The originator's ACK goes on to the far leg (end-to-end ACK, RFC 3261 §13.3.1.4);
    // until then the far side may retransmit its 2xx.
    c.pending_ack = PendingAck{relay.origin_cseq, far_leg, r.cseq()};
    c.pending_ack_from = relay.from_leg;
  }
  if (relay.server_txn != 0) {
    core.respond(shard, relay.server_txn, status, std::move(bytes), now);
  }
}

/// A relayed re-INVITE got its final response (or failed): neither leg has one in progress.
void CallController::Impl::end_reinvite(Call& c, const Relay& relay, int far_leg) {
  Leg& origin = relay.from_leg < 0 ? c.a : c.b[static_cast<std::size_t>(relay.from_leg)];
  Leg& far = far_leg < 0 ? c.a : c.b[static_cast<std::size_t>(far_leg)];
  origin.reinvites.incoming_done();
  far.reinvites.outgoing_done();
}

}  // namespace cohort::pbx
