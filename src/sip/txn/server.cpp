#include "sip/txn/server.hpp"

#include <algorithm>
#include <utility>

#include "sip/headers.hpp"

namespace cohort::sip::txn {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

// ---- INVITE server, RFC 3261 §17.2.1 / Figure 7 ----------------------------------------------

InviteServer::InviteServer(const sip::Message& request, bool reliable, const TimerConfig& config,
                           std::string_view top_via)
    : config_(config), reliable_(reliable) {
  if (config_.auto_trying) {
    // Prepared now because the transaction does not keep the request. make_response gives
    // a 100 no To tag (§8.2.6.2) and echoes the Timestamp (§8.2.6.1).
    trying_ = sip::make_response(request, 100, "Trying", {}, top_via).str();
  }
}

Actions InviteServer::start(TimePoint now) {
  Actions out;
  out.emplace_back(DeliverToTu{0});
  if (config_.auto_trying) {
    if (config_.auto_trying->count() == 0) {
      last_response_ = trying_;
      out.emplace_back(Send{trying_});
    } else {
      out.emplace_back(timers_.arm(TimerName::kTrying, *config_.auto_trying, now));
    }
  }
  return out;
}

Actions InviteServer::on(const Event& event, TimePoint now) {
  if (state_ == State::kTerminated) {
    return {};
  }
  return std::visit(Overloaded{
                        [&](const Received& r) -> Actions {
                          return r.message.is_request() ? on_request(r.message, now) : Actions{};
                        },
                        [&](const TuResponse& r) { return respond(r.status, r.bytes, now); },
                        [&](const TimerFired& f) { return on_timer(f, now); },
                        [&](const TransportFailed&) {
                          // §17.2.4: inform the TU and terminate (RFC 3263 §5 fallback is the
                          // shell's).
                          Actions out;
                          out.emplace_back(TransportError{});
                          return terminate(std::move(out));
                        },
                    },
                    event);
}

Actions InviteServer::on_request(const sip::Message& request, TimePoint now) {
  Actions out;
  if (state_ == State::kAccepted) {
    // RFC 6026 §7.1: a retransmitted INVITE is absorbed (the TU retransmits its 2xx); an
    // ACK that matches (an RFC 2543 peer reusing the INVITE's branch) goes to the TU.
    if (request.method() == sip::Method::kAck) {
      out.emplace_back(DeliverToTu{0});
    }
    return out;
  }
  if (request.method() == sip::Method::kAck) {
    // §17.2.1: the ACK for a non-2xx final response confirms it; later ACKs are absorbed.
    if (state_ != State::kCompleted) {
      return out;
    }
    timers_.disarm(TimerName::kG, out);
    timers_.disarm(TimerName::kH, out);
    state_ = State::kConfirmed;
    // Timer I is T4 on unreliable transports and zero on reliable ones.
    if (reliable_) {
      return terminate(std::move(out));
    }
    out.emplace_back(timers_.arm(TimerName::kI, config_.t4, now));
    return out;
  }
  // A retransmitted INVITE: re-send the last provisional (Proceeding) or the final response
  // (Completed); nothing yet sent, or Confirmed, absorbs it.
  if ((state_ == State::kProceeding || state_ == State::kCompleted) && !last_response_.empty()) {
    out.emplace_back(Send{last_response_});
  }
  return out;
}

Actions InviteServer::respond(int status, std::string bytes, TimePoint now) {
  Actions out;
  if (state_ == State::kAccepted && status >= 200 && status < 300) {
    out.emplace_back(Send{std::move(bytes)});  // RFC 6026 §7.1: the TU's 2xx retransmission
    return out;
  }
  // §17.2.1: only Proceeding takes responses from the TU; a response in another state, or
  // a status outside 100–699, is a TU bug and is dropped.
  if (state_ != State::kProceeding || status < 100 || status > 699) {
    return out;
  }
  timers_.disarm(TimerName::kTrying, out);
  if (status < 200) {
    last_response_ = std::move(bytes);
    out.emplace_back(Send{last_response_});
    return out;
  }
  if (status < 300) {
    // RFC 6026 §7.1 (updating §17.2.1): a 2xx goes out and the transaction waits in
    // Accepted for Timer L (64·T1), absorbing retransmitted INVITEs so that they are never
    // taken for new requests; the TU owns 2xx retransmission and the ACK for it.
    out.emplace_back(Send{std::move(bytes)});
    state_ = State::kAccepted;
    out.emplace_back(timers_.arm(TimerName::kL, 64 * config_.t1, now));
    // Nothing it kept is sent again: free it for the 32 s the transaction waits.
    std::string().swap(trying_);
    std::string().swap(last_response_);
    return out;
  }
  last_response_ = std::move(bytes);
  out.emplace_back(Send{last_response_});
  state_ = State::kCompleted;
  // Timer G only on unreliable transports; Timer H always.
  if (!reliable_) {
    interval_ = config_.t1;
    out.emplace_back(timers_.arm(TimerName::kG, interval_, now));
  }
  out.emplace_back(timers_.arm(TimerName::kH, 64 * config_.t1, now));
  return out;
}

Actions InviteServer::on_timer(const TimerFired& fired, TimePoint now) {
  if (!timers_.accept(fired)) {
    return {};
  }
  Actions out;
  switch (fired.timer) {
    case TimerName::kTrying:
      // Armed in Proceeding and disarmed by the first TU response, so none was sent yet.
      last_response_ = trying_;
      out.emplace_back(Send{trying_});
      return out;
    case TimerName::kG:
      // §17.2.1: retransmit the final response; the interval doubles up to T2.
      out.emplace_back(Send{last_response_});
      interval_ = std::min(2 * interval_, config_.t2);
      out.emplace_back(timers_.arm(TimerName::kG, interval_, now));
      return out;
    case TimerName::kH:
      // §17.2.1: the ACK never came.
      out.emplace_back(TransactionTimeout{});
      return terminate(std::move(out));
    case TimerName::kI:
    case TimerName::kL:
      return terminate(std::move(out));
    default:
      return out;
  }
}

Actions InviteServer::terminate(Actions out) {
  timers_.clear();
  state_ = State::kTerminated;
  out.emplace_back(Terminated{});
  return out;
}

// ---- non-INVITE server, RFC 3261 §17.2.2 / Figure 8 ------------------------------------------

NonInviteServer::NonInviteServer(const sip::Message& /*request*/, bool reliable,
                                 const TimerConfig& config)
    : config_(config), reliable_(reliable) {}

Actions NonInviteServer::start(TimePoint /*now*/) {
  Actions out;
  out.emplace_back(DeliverToTu{0});
  return out;
}

Actions NonInviteServer::on(const Event& event, TimePoint now) {
  if (state_ == State::kTerminated) {
    return {};
  }
  return std::visit(Overloaded{
                        [&](const Received& r) -> Actions {
                          // §17.2.2: a retransmission is absorbed in Trying and answered with the
                          // last response in Proceeding and Completed.
                          Actions out;
                          if (r.message.is_request() && !last_response_.empty()) {
                            out.emplace_back(Send{last_response_});
                          }
                          return out;
                        },
                        [&](const TuResponse& r) { return respond(r.status, r.bytes, now); },
                        [&](const TimerFired& f) -> Actions {
                          if (!timers_.accept(f) || f.timer != TimerName::kJ) {
                            return {};
                          }
                          return terminate({});
                        },
                        [&](const TransportFailed&) {
                          // §17.2.4: inform the TU and terminate.
                          Actions out;
                          out.emplace_back(TransportError{});
                          return terminate(std::move(out));
                        },
                    },
                    event);
}

Actions NonInviteServer::respond(int status, std::string bytes, TimePoint now) {
  Actions out;
  // §17.2.2: "Any other final responses passed by the TU to the server transaction MUST be
  // discarded while in the Completed state."
  if (state_ == State::kCompleted || state_ == State::kTerminated || status < 100 || status > 699) {
    return out;
  }
  last_response_ = std::move(bytes);
  out.emplace_back(Send{last_response_});
  if (status < 200) {
    state_ = State::kProceeding;
    return out;
  }
  state_ = State::kCompleted;
  // Timer J is 64*T1 on unreliable transports and zero on reliable ones.
  if (reliable_) {
    return terminate(std::move(out));
  }
  out.emplace_back(timers_.arm(TimerName::kJ, 64 * config_.t1, now));
  return out;
}

Actions NonInviteServer::terminate(Actions out) {
  timers_.clear();
  state_ = State::kTerminated;
  out.emplace_back(Terminated{});
  return out;
}

}  // namespace cohort::sip::txn
