#pragma once
// The vocabulary shared by the four RFC 3261 §17 transaction machines: timer settings,
// the events a machine consumes and the actions it returns. A machine never reads a clock,
// never touches a socket and never owns a Message: the shell feeds it events with `now` and
// carries out the actions (STYLE practices 1 and 10).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sip/message.hpp"

namespace cohort::sip::txn {

using Duration = std::chrono::milliseconds;
/// Monotonic time; pure code is handed it, the shell reads it (steady_clock in net/).
using TimePoint = std::chrono::steady_clock::time_point;

/// RFC 3261 §17.1.1.1 and Table 4. Defaults are the RFC's recommended values.
struct TimerConfig {
  Duration t1{500};   ///< RTT estimate
  Duration t2{4000};  ///< cap of non-INVITE request and INVITE response retransmit intervals
  Duration t4{5000};  ///< how long a message may stay in the network
  /// Timer D on unreliable transports: "at least 32 seconds" (§17.1.1.2).
  Duration timer_d{32000};
  /// INVITE server: send 100 Trying this long after the INVITE arrived when the TU has not
  /// sent a response yet (§17.2.1 "200 ms"); zero sends it at once, nullopt never (the TU
  /// answers every INVITE itself).
  std::optional<Duration> auto_trying = Duration{200};
};

/// The timers of Table 4, kL and kM of RFC 6026 (how long an INVITE transaction stays
/// Accepted after a 2xx), plus kTrying: the §17.2.1 200 ms wait before a 100 Trying.
enum class TimerName : std::uint8_t { kA, kB, kD, kE, kF, kK, kG, kH, kI, kJ, kL, kM, kTrying };
inline constexpr std::size_t kTimerCount = 13;
std::string_view to_string(TimerName t);

/// The states of Figures 5–8 (each machine uses a subset), and RFC 6026's Accepted.
enum class State : std::uint8_t {
  kCalling,     ///< INVITE client
  kTrying,      ///< non-INVITE client and server
  kProceeding,  ///< all four
  kCompleted,   ///< all four
  kConfirmed,   ///< INVITE server
  kAccepted,    ///< INVITE client and server after a 2xx (RFC 6026 §7.1, §7.2)
  kTerminated,  ///< all four; no further event produces an action
};
std::string_view to_string(State s);

// ---- Events -------------------------------------------------------------------------------

/// A message from the transport that the table matched to this transaction: a response for
/// a client transaction, a retransmitted request or an ACK for a server transaction. Only
/// borrowed for the duration of the call.
struct Received {
  const sip::Message& message;
};
/// The TU hands a server transaction a response to send (`bytes` is its wire form).
struct TuResponse {
  int status = 0;
  std::string bytes;
};
/// A timer started by a StartTimer action expired. A generation other than the one the
/// machine armed last for that timer (a timer cancelled or re-armed since) is ignored.
struct TimerFired {
  TimerName timer = TimerName::kA;
  std::uint32_t generation = 0;
};
/// The transport could not send what the machine asked for (§17.1.4, §17.2.4).
struct TransportFailed {};

using Event = std::variant<Received, TuResponse, TimerFired, TransportFailed>;

// ---- Actions ------------------------------------------------------------------------------

/// Hand `bytes` to the transport, to the transaction's peer. Retransmissions carry the same
/// bytes as the first transmission.
struct Send {
  std::string bytes;
  bool operator==(const Send&) const = default;
};
/// Arm (or re-arm) `timer`: feed TimerFired{timer, generation} back at `at` (= now + after).
/// Re-arming a timer supersedes its earlier generation.
struct StartTimer {
  TimerName timer = TimerName::kA;
  Duration after{0};
  TimePoint at{};
  std::uint32_t generation = 0;
  bool operator==(const StartTimer&) const = default;
};
/// The machine no longer needs `timer`; the shell may free it (a late TimerFired is ignored
/// anyway, so this is an optimisation, not a correctness requirement).
struct CancelTimer {
  TimerName timer = TimerName::kA;
  bool operator==(const CancelTimer&) const = default;
};
/// Pass the message of the current event up to the TU: the request that created a server
/// transaction, or a response received by a client transaction. `status` is 0 for a
/// request. Absorbed retransmissions never produce this.
struct DeliverToTu {
  int status = 0;
  bool operator==(const DeliverToTu&) const = default;
};
/// Timer B, F or H fired: tell the TU the transaction failed (a client treats it as 408).
struct TransactionTimeout {
  bool operator==(const TransactionTimeout&) const = default;
};
/// A TransportFailed event ended the transaction: tell the TU (§17.1.4, §17.2.4).
struct TransportError {
  bool operator==(const TransportError&) const = default;
};
/// The machine reached Terminated: drop it and every timer it armed. Always the last action.
struct Terminated {
  bool operator==(const Terminated&) const = default;
};

using Action = std::variant<Send, StartTimer, CancelTimer, DeliverToTu, TransactionTimeout,
                            TransportError, Terminated>;
using Actions = std::vector<Action>;

}  // namespace cohort::sip::txn
