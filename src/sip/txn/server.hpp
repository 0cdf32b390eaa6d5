#pragma once
// Server transactions: RFC 3261 §17.2.1 (INVITE, Figure 7) and §17.2.2 (non-INVITE,
// Figure 8). Value types: construct from the received request, call start() (which hands
// the request to the TU), then feed the TU's responses, retransmissions, ACKs and timers.
// Single-threaded: a transaction lives on the shard that received its request.

#include <string>
#include <string_view>

#include "sip/message.hpp"
#include "sip/txn/timer_set.hpp"
#include "sip/txn/types.hpp"

namespace cohort::sip::txn {

/// RFC 3261 §17.2.1: timers G (retransmit the final response, unreliable only), H (wait
/// for the ACK), I (absorb ACK retransmissions), and the optional 200 ms 100 Trying.
/// A 2xx from the TU terminates the transaction: the TU retransmits 2xx and receives the
/// ACK for it itself (§13.3.1.4).
class InviteServer {
 public:
  /// `request`: the received INVITE. `top_via`: its top Via as stamped by the transport
  /// (received/rport, §18.2.1), used in the 100 Trying; empty keeps the received value.
  InviteServer(const sip::Message& request, bool reliable, const TimerConfig& config = {},
               std::string_view top_via = {});

  /// Delivers the INVITE to the TU and arms the 100 Trying timer. Call once.
  Actions start(TimePoint now);
  /// The TU's responses (TuResponse), INVITE retransmissions and ACKs (Received), timers,
  /// transport errors.
  Actions on(const Event& event, TimePoint now);
  /// The TU sends a response: the TuResponse event without copying `bytes`.
  Actions respond(int status, std::string bytes, TimePoint now);

  State state() const { return state_; }
  bool reliable() const { return reliable_; }
  /// The response re-sent on a retransmission (the last provisional in Proceeding, the
  /// final one in Completed); empty when none was sent yet.
  const std::string& last_response() const { return last_response_; }

 private:
  Actions on_request(const sip::Message& request, TimePoint now);
  Actions on_timer(const TimerFired& fired, TimePoint now);
  Actions terminate(Actions out);

  TimerConfig config_;
  bool reliable_ = false;
  State state_ = State::kProceeding;
  TimerSet timers_;
  Duration interval_{0};  // current Timer G interval
  std::string trying_;    // the prepared 100 Trying, empty when auto_trying is off
  std::string last_response_;
};

/// RFC 3261 §17.2.2: Timer J absorbs request retransmissions after the final response.
class NonInviteServer {
 public:
  /// `request`: the received request (neither INVITE nor ACK).
  NonInviteServer(const sip::Message& request, bool reliable, const TimerConfig& config = {});

  /// Delivers the request to the TU. Call once.
  Actions start(TimePoint now);
  /// The TU's responses (TuResponse), request retransmissions (Received), Timer J,
  /// transport errors.
  Actions on(const Event& event, TimePoint now);
  /// The TU sends a response: the TuResponse event without copying `bytes`.
  Actions respond(int status, std::string bytes, TimePoint now);

  State state() const { return state_; }
  bool reliable() const { return reliable_; }
  const std::string& last_response() const { return last_response_; }

 private:
  Actions terminate(Actions out);

  TimerConfig config_;
  bool reliable_ = false;
  State state_ = State::kTrying;
  TimerSet timers_;
  std::string last_response_;
};

}  // namespace cohort::sip::txn
