#pragma once
// Client transactions: RFC 3261 §17.1.1 (INVITE, Figure 5) and §17.1.2 (non-INVITE,
// Figure 6). Value types: construct from the request the TU built, call start(), then feed
// events. Single-threaded: a transaction lives on the shard that owns its branch.

#include <cstdint>
#include <string>
#include <vector>

#include "sip/message.hpp"
#include "sip/txn/timer_set.hpp"
#include "sip/txn/types.hpp"

namespace cohort::sip::txn {

/// RFC 3261 §17.1.1: timers A (retransmit, unreliable only), B (timeout), D (absorb
/// retransmitted final responses); builds and sends the ACK for 3xx–6xx itself.
class InviteClient {
 public:
  /// `request`: the INVITE exactly as it is sent; it must have a Via, From, Call-ID and
  /// CSeq (sip::parse guarantees it). `reliable`: TCP/TLS (no retransmissions, D = 0).
  InviteClient(const sip::Message& request, bool reliable, const TimerConfig& config = {});

  /// Sends the INVITE and arms A and B. Call once, right after construction.
  Actions start(TimePoint now);
  /// Responses (Received), timers, transport errors; other events are ignored.
  Actions on(const Event& event, TimePoint now);

  State state() const { return state_; }
  bool reliable() const { return reliable_; }
  /// The ACK built for the non-2xx final response; empty before one arrived.
  const std::string& ack() const { return ack_; }

 private:
  Actions on_response(const sip::Message& response, TimePoint now);
  Actions on_timer(const TimerFired& fired, TimePoint now);
  Actions terminate(Actions out);
  std::string build_ack(const sip::Message& response) const;

  TimerConfig config_;
  bool reliable_ = false;
  State state_ = State::kCalling;
  TimerSet timers_;
  Duration interval_{0};  // current Timer A interval
  std::string request_;   // retransmitted as is
  // §17.1.1.3: what the ACK copies from the INVITE, taken at construction because the
  // transaction does not keep the Message.
  std::string request_uri_;
  std::string top_via_;
  std::string from_;
  std::string call_id_;
  std::uint32_t cseq_ = 0;
  std::vector<std::string> routes_;
  std::string ack_;
};

/// RFC 3261 §17.1.2: timers E (retransmit, unreliable only, doubling up to T2), F
/// (timeout), K (absorb retransmitted final responses).
class NonInviteClient {
 public:
  /// `request`: any request but INVITE and ACK, exactly as it is sent.
  NonInviteClient(const sip::Message& request, bool reliable, const TimerConfig& config = {});

  /// Sends the request and arms E and F. Call once, right after construction.
  Actions start(TimePoint now);
  /// Responses (Received), timers, transport errors; other events are ignored.
  Actions on(const Event& event, TimePoint now);

  State state() const { return state_; }
  bool reliable() const { return reliable_; }

 private:
  Actions on_response(const sip::Message& response, TimePoint now);
  Actions on_timer(const TimerFired& fired, TimePoint now);
  Actions terminate(Actions out);

  TimerConfig config_;
  bool reliable_ = false;
  State state_ = State::kTrying;
  TimerSet timers_;
  Duration interval_{0};  // current Timer E interval
  std::string request_;
};

}  // namespace cohort::sip::txn
