#include "sip/txn/client.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "sip/headers.hpp"

namespace cohort::sip::txn {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

bool provisional(int status) {
  return status >= 100 && status <= 199;
}
bool success(int status) {
  return status >= 200 && status <= 299;
}
bool final_non2xx(int status) {
  return status >= 300 && status <= 699;
}

}  // namespace

// ---- INVITE client, RFC 3261 §17.1.1 / Figure 5 ----------------------------------------------

InviteClient::InviteClient(const sip::Message& request, bool reliable, const TimerConfig& config)
    : config_(config),
      reliable_(reliable),
      request_(request.bytes()),
      request_uri_(request.request_uri()),
      top_via_(request.top_via()),
      from_(request.header(sip::HeaderId::kFrom).value_or(std::string_view{})),
      call_id_(request.call_id()),
      cseq_(request.cseq()) {
  // §17.1.1.3: "If the INVITE request whose response is being acknowledged had Route header
  // fields, those header fields MUST appear in the ACK." Kept as received, in order.
  for (const sip::Header& h : request.headers()) {
    if (h.id == sip::HeaderId::kRoute) {
      routes_.emplace_back(h.value);
    }
  }
}

Actions InviteClient::start(TimePoint now) {
  Actions out;
  out.emplace_back(Send{request_});
  // §17.1.1.2: Timer A only on unreliable transports; Timer B always.
  if (!reliable_) {
    interval_ = config_.t1;
    out.emplace_back(timers_.arm(TimerName::kA, interval_, now));
  }
  out.emplace_back(timers_.arm(TimerName::kB, 64 * config_.t1, now));
  return out;
}

Actions InviteClient::on(const Event& event, TimePoint now) {
  if (state_ == State::kTerminated) {
    return {};
  }
  return std::visit(Overloaded{
                        [&](const Received& r) -> Actions {
                          return r.message.is_request() ? Actions{} : on_response(r.message, now);
                        },
                        [&](const TimerFired& f) { return on_timer(f, now); },
                        [&](const TransportFailed&) {
                          // §17.1.4: inform the TU and terminate.
                          Actions out;
                          out.emplace_back(TransportError{});
                          return terminate(std::move(out));
                        },
                        [](const TuResponse&) { return Actions{}; },
                    },
                    event);
}

Actions InviteClient::on_response(const sip::Message& response, TimePoint now) {
  const int status = response.status();
  Actions out;
  if (state_ == State::kAccepted) {
    // RFC 6026 §7.2: every further 2xx (a retransmission, or another fork's answer) goes to
    // the TU, which ACKs it (and hangs up a second dialog); anything else is dropped.
    if (success(status)) {
      out.emplace_back(DeliverToTu{status});
    }
    return out;
  }
  if (state_ == State::kCompleted) {
    // §17.1.1.2: a retransmitted final response re-sends the ACK and is not passed up.
    if (final_non2xx(status)) {
      out.emplace_back(Send{ack_});
    }
    return out;
  }
  // Calling or Proceeding.
  if (provisional(status)) {
    if (state_ == State::kCalling) {
      // §17.1.1.2: no more retransmissions once a provisional response arrived; Timer B
      // only guards Calling (Figure 5), Proceeding waits for the TU (CANCEL, Timer C).
      timers_.disarm(TimerName::kA, out);
      timers_.disarm(TimerName::kB, out);
      state_ = State::kProceeding;
    }
    out.emplace_back(DeliverToTu{status});
    return out;
  }
  if (success(status)) {
    // RFC 6026 §7.2 (updating §17.1.1.2): a 2xx goes to the TU, which ACKs it; the
    // transaction waits in Accepted for Timer M (64·T1) to pass later 2xx up as well.
    timers_.disarm(TimerName::kA, out);
    timers_.disarm(TimerName::kB, out);
    out.emplace_back(DeliverToTu{status});
    state_ = State::kAccepted;
    out.emplace_back(timers_.arm(TimerName::kM, 64 * config_.t1, now));
    // No retransmission and no ACK of ours from here: free what was kept for them.
    std::string().swap(request_);
    std::vector<std::string>().swap(routes_);
    return out;
  }
  if (!final_non2xx(status)) {
    return out;
  }
  timers_.disarm(TimerName::kA, out);
  timers_.disarm(TimerName::kB, out);
  ack_ = build_ack(response);
  out.emplace_back(Send{ack_});
  out.emplace_back(DeliverToTu{status});
  state_ = State::kCompleted;
  // §17.1.1.2: Timer D is zero on reliable transports.
  if (reliable_) {
    return terminate(std::move(out));
  }
  out.emplace_back(timers_.arm(TimerName::kD, config_.timer_d, now));
  return out;
}

Actions InviteClient::on_timer(const TimerFired& fired, TimePoint now) {
  if (!timers_.accept(fired)) {
    return {};
  }
  Actions out;
  switch (fired.timer) {
    case TimerName::kA:
      // §17.1.1.2: retransmit and double the interval (no T2 cap for INVITE).
      out.emplace_back(Send{request_});
      interval_ *= 2;
      out.emplace_back(timers_.arm(TimerName::kA, interval_, now));
      return out;
    case TimerName::kB:
      out.emplace_back(TransactionTimeout{});
      return terminate(std::move(out));
    case TimerName::kD:
    case TimerName::kM:
      return terminate(std::move(out));
    default:
      return out;
  }
}

Actions InviteClient::terminate(Actions out) {
  timers_.clear();
  state_ = State::kTerminated;
  out.emplace_back(Terminated{});
  return out;
}

std::string InviteClient::build_ack(const sip::Message& response) const {
  // §17.1.1.3: Request-URI, Call-ID, From and CSeq number of the INVITE, the To of the
  // response (with its tag), one Via equal to the INVITE's top Via, and its Routes.
  sip::MessageBuilder ack = sip::MessageBuilder::request(sip::Method::kAck, request_uri_);
  ack.header(sip::HeaderId::kVia, top_via_);
  ack.header(sip::HeaderId::kMaxForwards, "70");  // §8.1.1.6 applies to every request
  for (const std::string& route : routes_) {
    ack.header(sip::HeaderId::kRoute, route);
  }
  ack.header(sip::HeaderId::kFrom, from_);
  ack.header(sip::HeaderId::kTo, response.header(sip::HeaderId::kTo).value_or(std::string_view{}));
  ack.header(sip::HeaderId::kCallId, call_id_);
  ack.header(sip::HeaderId::kCSeq, fmt::format("{} ACK", cseq_));
  return ack.str();
}

// ---- non-INVITE client, RFC 3261 §17.1.2 / Figure 6 ------------------------------------------

NonInviteClient::NonInviteClient(const sip::Message& request, bool reliable,
                                 const TimerConfig& config)
    : config_(config), reliable_(reliable), request_(request.bytes()) {}

Actions NonInviteClient::start(TimePoint now) {
  Actions out;
  out.emplace_back(Send{request_});
  // §17.1.2.2: Timer E only on unreliable transports; Timer F always.
  if (!reliable_) {
    interval_ = config_.t1;
    out.emplace_back(timers_.arm(TimerName::kE, interval_, now));
  }
  out.emplace_back(timers_.arm(TimerName::kF, 64 * config_.t1, now));
  return out;
}

Actions NonInviteClient::on(const Event& event, TimePoint now) {
  if (state_ == State::kTerminated) {
    return {};
  }
  return std::visit(Overloaded{
                        [&](const Received& r) -> Actions {
                          return r.message.is_request() ? Actions{} : on_response(r.message, now);
                        },
                        [&](const TimerFired& f) { return on_timer(f, now); },
                        [&](const TransportFailed&) {
                          // §17.1.4: inform the TU and terminate.
                          Actions out;
                          out.emplace_back(TransportError{});
                          return terminate(std::move(out));
                        },
                        [](const TuResponse&) { return Actions{}; },
                    },
                    event);
}

Actions NonInviteClient::on_response(const sip::Message& response, TimePoint now) {
  const int status = response.status();
  Actions out;
  if (state_ == State::kCompleted || status < 100 || status > 699) {
    // §17.1.2.2: retransmitted final responses are absorbed in Completed.
    return out;
  }
  if (provisional(status)) {
    state_ = State::kProceeding;
    out.emplace_back(DeliverToTu{status});
    return out;
  }
  timers_.disarm(TimerName::kE, out);
  timers_.disarm(TimerName::kF, out);
  out.emplace_back(DeliverToTu{status});
  state_ = State::kCompleted;
  // §17.1.2.2: Timer K is T4 on unreliable transports and zero on reliable ones.
  if (reliable_) {
    return terminate(std::move(out));
  }
  out.emplace_back(timers_.arm(TimerName::kK, config_.t4, now));
  return out;
}

Actions NonInviteClient::on_timer(const TimerFired& fired, TimePoint now) {
  if (!timers_.accept(fired)) {
    return {};
  }
  Actions out;
  switch (fired.timer) {
    case TimerName::kE:
      // §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
      out.emplace_back(Send{request_});
      interval_ = state_ == State::kProceeding ? config_.t2 : std::min(2 * interval_, config_.t2);
      out.emplace_back(timers_.arm(TimerName::kE, interval_, now));
      return out;
    case TimerName::kF:
      out.emplace_back(TransactionTimeout{});
      return terminate(std::move(out));
    case TimerName::kK:
      return terminate(std::move(out));
    default:
      return out;
  }
}

Actions NonInviteClient::terminate(Actions out) {
  timers_.clear();
  state_ = State::kTerminated;
  out.emplace_back(Terminated{});
  return out;
}

}  // namespace cohort::sip::txn
